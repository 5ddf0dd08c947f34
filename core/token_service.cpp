#include "core/token_service.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <thread>

#include "core/digest.h"
#include "core/stores/stores.h"
#include "core/token_change_listener.h"
#include "core/vehicle_service.h"
#include "core/verified_token_cache.h"

namespace chargelock::core {

namespace {

void check_name(const std::string& name) {
  if (name.empty() || name.size() > 200)
    throw std::invalid_argument("name must be 1..200 characters");
}

std::string base64url(const unsigned char* data, std::size_t size) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

}  // namespace

TokenService::TokenService(ApiTokenStore& store, VerifiedTokenCache* cache)
    : store_(store), cache_(cache) {}

std::string TokenService::hash(std::string_view token) { return sha256_hex(token); }

std::string TokenService::generate() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) throw std::runtime_error("no random bytes");
  return "clk_" + base64url(bytes, sizeof(bytes));
}

std::optional<Principal> TokenService::authenticate(std::string_view token) {
  if (token.empty() || token.size() > 512) return std::nullopt;
  const std::string key = hash(token);
  if (cache_ != nullptr) {
    if (auto kept = cache_->find(key)) return kept;
  }
  const std::uint64_t generation = cache_ != nullptr ? cache_->generation() : 0;
  const auto record = store_.find_valid(key);
  if (!record) return std::nullopt;
  Principal principal;
  principal.token_id = record->id;
  principal.role = record->role;
  principal.name = record->name;
  principal.owner_id = record->owner_id;
  principal.vins = record->vins;
  if (cache_ != nullptr) cache_->remember(key, principal, generation);
  return principal;
}

IssuedToken TokenService::issue(ApiRole role, const std::string& name,
                                std::optional<std::vector<std::string>> vins) {
  if (role == ApiRole::Owner)
    throw std::invalid_argument("owner tokens are created with their owner (POST /owners)");
  check_name(name);
  NewApiToken token;
  token.role = role;
  token.name = name;
  if (vins) {
    if (role != ApiRole::Telematics)
      throw std::invalid_argument("vins: only a telematics token is scoped to VINs");
    if (vins->size() > 100000) throw std::invalid_argument("vins: at most 100000");
    for (std::string& vin : *vins) {
      if (!VehicleService::valid_vin(vin))
        throw std::invalid_argument("vins: " + vin + " is not a VIN");
      vin = VehicleService::normalize_vin(vin);
    }
    token.vins = std::move(vins);
  }
  IssuedToken issued;
  issued.token = generate();
  token.token_hash = hash(issued.token);
  issued.id = store_.create(token);
  return issued;
}

bool TokenService::revoke(std::int64_t id) {
  const bool known = store_.revoke(id);
  if (cache_ != nullptr && known) {
    // This process refuses the token from now on without waiting for the
    // signal to come back.
    cache_->changed(ApiTokenChange{id});
    // Every other API process has heard the signal, or has served nothing
    // kept since the lease ran out (verified_token_cache.h): once this
    // answers, the token is refused everywhere.
    std::this_thread::sleep_for(cache_->limits().lease);
  }
  return known;
}

std::vector<ApiTokenRecord> TokenService::list() { return store_.list(); }

CreatedOwner TokenService::create_owner(const std::string& name) {
  check_name(name);
  NewApiToken token;
  token.role = ApiRole::Owner;
  token.name = name;
  CreatedOwner created;
  created.token.token = generate();
  token.token_hash = hash(created.token.token);
  auto [owner, token_id] = store_.create_owner(name, token);
  created.owner = std::move(owner);
  created.token.id = token_id;
  return created;
}

bool TokenService::ensure_admin_token(const std::string& token) {
  if (token.empty()) throw std::invalid_argument("the admin token is empty");
  NewApiToken record;
  record.role = ApiRole::Operator;
  record.name = "admin (CHARGELOCK_ADMIN_TOKEN)";
  record.token_hash = hash(token);
  return store_.create_if_missing(record);
}

AccessServices::AccessServices(Stores& stores)
    : store_(stores.api_tokens()), tokens_(stores.api_tokens()) {}

AccessServices::~AccessServices() {
  tokens_.use_cache(nullptr);
  listener_.reset();
}

void AccessServices::keep_verified_tokens() {
  if (cache_) return;
  // Listening before anything is kept: a change committed from here on is
  // heard (and the cache serves nothing until the first round trip).
  std::shared_ptr<ApiTokenSignals> signals = store_.listen();
  if (!signals) return;
  cache_ = std::make_unique<VerifiedTokenCache>([signals] { return signals->unsettled(); });
  listener_ = std::make_unique<TokenChangeListener>(signals, *cache_);
  tokens_.use_cache(cache_.get());
}

}  // namespace chargelock::core
