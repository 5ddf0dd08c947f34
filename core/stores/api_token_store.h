// REST API access: bearer tokens (stored as hashes) and the vehicle owners
// they may belong to. Reached through Stores::api_tokens().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api_token.h"
#include "core/owner.h"
#include "core/timestamp.h"

namespace chargelock::core {

// A token row changed or went away (revoked, role or VINs changed, deleted):
// whatever was verified of it before is stale.
struct ApiTokenChange {
  std::optional<std::int64_t> token_id;  // none: possibly every token (the table emptied)
};

// The changes committed by any process, as PostgreSQL signals them at each
// commit (what keeps a VerifiedTokenCache honest).
// Thread contract: wait() on one thread; unsettled() from any thread.
class ApiTokenSignals {
 public:
  virtual ~ApiTokenSignals() = default;
  // Waits up to `timeout` for changes and hands each to `apply` (on this
  // thread).
  virtual void wait(std::chrono::milliseconds timeout,
                    const std::function<void(const ApiTokenChange&)>& apply) = 0;
  // A round trip on the channel, handing what came before its answer to
  // `apply`. True: every change committed before the call went to `apply`,
  // now or earlier. False: the channel is down or broke (changes may have
  // been lost; the next wait() reconnects).
  virtual bool confirm(const std::function<void(const ApiTokenChange&)>& apply) = 0;
  // Thread-safe: true while a change may have arrived that wait() has not
  // handed to `apply` yet, or while the channel is down.
  virtual bool unsettled() const = 0;
};

class ApiTokenStore {
 public:
  virtual ~ApiTokenStore() = default;

  // Returns the new token's id. Throws ConflictError when the hash exists.
  virtual std::int64_t create(const NewApiToken& token) = 0;
  // Creates the token unless one with the same hash exists (revoked or not);
  // safe for concurrent callers. Returns whether it was created.
  virtual bool create_if_missing(const NewApiToken& token) = 0;
  // A token with this hash that is not revoked.
  virtual std::optional<ApiTokenRecord> find_valid(const std::string& token_hash) = 0;
  virtual std::optional<ApiTokenRecord> find(std::int64_t id) = 0;
  // Ordered by id.
  virtual std::vector<ApiTokenRecord> list() = 0;
  // Marks the token revoked (keeps the time of a first revocation). Returns
  // false when the id is unknown.
  virtual bool revoke(std::int64_t id) = 0;

  // Creates an owner and its first token (role owner; owner_id and role of
  // `token` are set here) in one transaction. Returns {owner, token id}.
  virtual std::pair<OwnerRecord, std::int64_t> create_owner(const std::string& name,
                                                            const NewApiToken& token) = 0;

  // Hears every change of a token row committed from when this returns (a
  // trigger signals each, whoever makes it). Null: the store has no channel;
  // nothing verified may then be kept.
  virtual std::unique_ptr<ApiTokenSignals> listen() { return nullptr; }
};

}  // namespace chargelock::core
