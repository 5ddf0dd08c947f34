// The verified-token cache (core/verified_token_cache.h) and TokenService's
// use of it: what is kept is served only while the change channel is known
// live and settled; a change, a loss or an overlapping change drops or
// refuses it; with the channel down every check reaches the store.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <memory>

#include "core/token_service.h"
#include "core/verified_token_cache.h"

using namespace chargelock;
using namespace chargelock::core;
using namespace std::chrono_literals;

namespace {

Principal principal(std::int64_t token_id) {
  Principal p;
  p.token_id = token_id;
  p.role = ApiRole::Owner;
  p.name = "owner " + std::to_string(token_id);
  p.owner_id = 7;
  return p;
}

// A monotonic clock that moves only when told to.
struct ManualSteady {
  std::shared_ptr<std::atomic<std::int64_t>> micros =
      std::make_shared<std::atomic<std::int64_t>>(0);
  VerifiedTokenCache::Clock clock() const {
    return
        [m = micros] { return VerifiedTokenCache::Instant(std::chrono::microseconds(m->load())); };
  }
  void advance(std::chrono::microseconds by) { *micros += by.count(); }
  VerifiedTokenCache::Instant now() const { return clock()(); }
};

struct Channel {
  ManualSteady time;
  std::atomic<bool> unsettled{false};
  VerifiedTokenCache cache{[this] { return unsettled.load(); }, VerifiedTokenLimits{},
                           time.clock()};
};

// A token store that counts what reaches it (no database).
class CountingStore final : public ApiTokenStore {
 public:
  std::map<std::string, ApiTokenRecord> valid;  // by hash
  int lookups = 0;

  std::int64_t create(const NewApiToken&) override { return 0; }
  bool create_if_missing(const NewApiToken&) override { return false; }
  std::optional<ApiTokenRecord> find_valid(const std::string& token_hash) override {
    ++lookups;
    const auto found = valid.find(token_hash);
    if (found == valid.end()) return std::nullopt;
    return found->second;
  }
  std::optional<ApiTokenRecord> find(std::int64_t) override { return std::nullopt; }
  std::vector<ApiTokenRecord> list() override { return {}; }
  bool revoke(std::int64_t id) override {
    for (auto it = valid.begin(); it != valid.end(); ++it)
      if (it->second.id == id) {
        valid.erase(it);
        return true;
      }
    return false;
  }
  std::pair<OwnerRecord, std::int64_t> create_owner(const std::string&,
                                                    const NewApiToken&) override {
    return {};
  }
};

}  // namespace

TEST_CASE("nothing is kept or served before the channel answered its first round trip") {
  Channel channel;
  channel.cache.remember("k", principal(1), channel.cache.generation());
  CHECK(channel.cache.size() == 0);
  CHECK_FALSE(channel.cache.find("k"));

  channel.cache.confirmed(channel.time.now());
  channel.cache.remember("k", principal(1), channel.cache.generation());
  const auto kept = channel.cache.find("k");
  REQUIRE(kept);
  CHECK(kept->token_id == 1);
  CHECK(kept->name == "owner 1");
  CHECK(kept->owner_id == 7);
  CHECK_FALSE(channel.cache.find("other"));
}

TEST_CASE("a change drops its token at once, a table-wide change drops every token") {
  Channel channel;
  channel.cache.confirmed(channel.time.now());
  channel.cache.remember("a", principal(1), channel.cache.generation());
  channel.cache.remember("b", principal(2), channel.cache.generation());
  channel.cache.remember("c", principal(3), channel.cache.generation());

  channel.cache.changed(ApiTokenChange{2});
  CHECK(channel.cache.find("a"));
  CHECK_FALSE(channel.cache.find("b"));
  CHECK(channel.cache.find("c"));

  channel.cache.changed(ApiTokenChange{});
  CHECK_FALSE(channel.cache.find("a"));
  CHECK_FALSE(channel.cache.find("c"));
  CHECK(channel.cache.size() == 0);
}

TEST_CASE("a verification that overlapped a change is not kept") {
  Channel channel;
  channel.cache.confirmed(channel.time.now());
  // Read before the database was asked; a revocation is heard meanwhile
  // (of another token, even: the cache cannot tell which row the read saw).
  const auto before = channel.cache.generation();
  channel.cache.changed(ApiTokenChange{99});
  channel.cache.remember("k", principal(1), before);
  CHECK_FALSE(channel.cache.find("k"));

  channel.cache.remember("k", principal(1), channel.cache.generation());
  CHECK(channel.cache.find("k"));
}

TEST_CASE("a lost channel drops everything and nothing is kept until it answers again") {
  Channel channel;
  channel.cache.confirmed(channel.time.now());
  channel.cache.remember("k", principal(1), channel.cache.generation());
  REQUIRE(channel.cache.find("k"));

  const auto before_loss = channel.cache.generation();
  channel.cache.lost();
  CHECK_FALSE(channel.cache.find("k"));
  channel.cache.remember("k", principal(1), channel.cache.generation());
  CHECK(channel.cache.size() == 0);

  // Back: a verification begun while the channel was down may have missed a
  // change made then; it is not kept.
  const auto while_down = channel.cache.generation();
  channel.cache.confirmed(channel.time.now());
  channel.cache.remember("k", principal(1), while_down);
  channel.cache.remember("k", principal(1), before_loss);
  CHECK(channel.cache.size() == 0);
  channel.cache.remember("k", principal(1), channel.cache.generation());
  CHECK(channel.cache.find("k"));
}

TEST_CASE("nothing is served while the channel has something not handed over yet") {
  Channel channel;
  channel.cache.confirmed(channel.time.now());
  channel.cache.remember("k", principal(1), channel.cache.generation());
  channel.unsettled = true;
  CHECK_FALSE(channel.cache.find("k"));
  channel.unsettled = false;
  CHECK(channel.cache.find("k"));
}

TEST_CASE("an unconfirmed channel stops serving after its lease, an entry after its ttl") {
  Channel channel;
  channel.cache.confirmed(channel.time.now());
  channel.cache.remember("k", principal(1), channel.cache.generation());
  channel.time.advance(900ms);
  CHECK(channel.cache.find("k"));
  channel.time.advance(200ms);  // 1.1 s since the round trip was sent: the lease (1 s) is out
  CHECK_FALSE(channel.cache.find("k"));
  channel.cache.confirmed(channel.time.now());  // a round trip of the same connection
  CHECK(channel.cache.find("k"));

  // Renewed every slice, the entry still ends 10 s after it was verified.
  for (int i = 0; i < 8; ++i) {
    channel.time.advance(1s);
    channel.cache.confirmed(channel.time.now());
  }
  CHECK(channel.cache.find("k"));  // 9.1 s
  channel.time.advance(1s);
  channel.cache.confirmed(channel.time.now());
  CHECK_FALSE(channel.cache.find("k"));
}

TEST_CASE("the cache holds at most its capacity, dropping the oldest") {
  ManualSteady time;
  VerifiedTokenLimits limits;
  limits.capacity = 3;
  VerifiedTokenCache cache(nullptr, limits, time.clock());
  cache.confirmed(time.now());
  for (int i = 1; i <= 4; ++i) {
    cache.remember("k" + std::to_string(i), principal(i), cache.generation());
    time.advance(10ms);
  }
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.find("k1"));
  CHECK(cache.find("k2"));
  CHECK(cache.find("k4"));
}

TEST_CASE("tokens: with the change channel down every check asks the store") {
  CountingStore store;
  ApiTokenRecord record;
  record.id = 5;
  record.role = ApiRole::Operator;
  record.name = "ops";
  store.valid[TokenService::hash("clk_secret")] = record;

  ManualSteady time;
  VerifiedTokenCache cache(nullptr, VerifiedTokenLimits{}, time.clock());
  TokenService tokens(store, &cache);

  // Never confirmed (the listener is not connected yet).
  CHECK(tokens.authenticate("clk_secret"));
  CHECK(tokens.authenticate("clk_secret"));
  CHECK(store.lookups == 2);

  // Live: the second check is answered from the cache.
  cache.confirmed(time.now());
  CHECK(tokens.authenticate("clk_secret"));
  CHECK(tokens.authenticate("clk_secret"));
  CHECK(store.lookups == 3);
  CHECK(cache.size() == 1);

  // Lost: nothing kept is used, every check reaches the store again.
  cache.lost();
  CHECK(tokens.authenticate("clk_secret"));
  CHECK(tokens.authenticate("clk_secret"));
  CHECK(store.lookups == 5);
  CHECK(cache.size() == 0);
}

TEST_CASE("tokens: a revocation drops this process's kept token before it returns") {
  CountingStore store;
  ApiTokenRecord record;
  record.id = 5;
  record.name = "ops";
  store.valid[TokenService::hash("clk_secret")] = record;
  ManualSteady time;
  VerifiedTokenLimits limits;
  limits.lease = 50ms;  // what revoke() waits out for the other processes
  VerifiedTokenCache cache(nullptr, limits, time.clock());
  TokenService tokens(store, &cache);
  cache.confirmed(time.now());
  REQUIRE(tokens.authenticate("clk_secret"));
  REQUIRE(cache.size() == 1);

  const auto started = std::chrono::steady_clock::now();
  CHECK(tokens.revoke(5));  // no signal has come back yet
  CHECK(std::chrono::steady_clock::now() - started >= 50ms);
  CHECK_FALSE(tokens.authenticate("clk_secret"));
  // The kept entry is keyed by the hash, never by the token.
  CHECK_FALSE(cache.find("clk_secret"));
}
