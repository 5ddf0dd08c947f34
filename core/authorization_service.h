// Id tag authorization (Authorize, and the idTagInfo of Start/Stop
// Transaction), and the management of id tags.
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/stores/id_tag_store.h"
#include "core/stores/transaction_store.h"
#include "core/timestamp.h"

namespace chargelock::core {

// OCPP 1.6 AuthorizationStatus.
enum class AuthorizationStatus { Accepted, Blocked, Expired, Invalid, ConcurrentTx };

const char* to_string(AuthorizationStatus status);

// OCPP 1.6 IdTagInfo.
struct IdTagInfo {
  AuthorizationStatus status = AuthorizationStatus::Invalid;
  std::optional<Timestamp> expiry_date;
  std::optional<std::string> parent_id_tag;
};

// Where the tag is presented, so an open transaction there is not
// "concurrent".
struct AuthorizationContext {
  std::string charge_point_id;
  std::optional<int> connector_id;           // known for StartTransaction
  std::optional<int> ignore_transaction_id;  // the transaction being started/stopped
  bool check_concurrent = true;              // false for StopTransaction
};

// Extension point (the vehicle lock, SPEC §4): consulted before the id tag
// rules; a returned status wins (e.g. Blocked for a locked vehicle's tag).
// Implementations must be thread-safe.
class AuthorizationPolicy {
 public:
  virtual ~AuthorizationPolicy() = default;
  virtual std::optional<AuthorizationStatus> check(const AuthorizationContext& context,
                                                   const std::string& id_tag) = 0;
};

class AuthorizationService {
 public:
  AuthorizationService(IdTagStore& id_tags, TransactionStore& transactions);

  // Install before the workers start; not synchronised.
  void set_policy(AuthorizationPolicy* policy) { policy_ = policy; }

  // Rules: the policy's answer when it has one; unknown tag -> Invalid;
  // stored Blocked/Expired/Invalid -> that status; Accepted but past its
  // expiry date -> Expired; Accepted with an open transaction elsewhere
  // (another charge point, or another connector of this one when the
  // connector is known) -> ConcurrentTx; otherwise Accepted. Known tags
  // carry their expiry date and parent id tag.
  IdTagInfo authorize(const AuthorizationContext& context, const std::string& id_tag);

  // Creates or replaces a tag. Throws std::invalid_argument for an id tag
  // or parent outside 1..20 characters.
  void put_id_tag(const IdTag& tag);
  std::optional<IdTag> find_id_tag(const std::string& id_tag);
  std::vector<IdTag> list_id_tags();
  bool remove_id_tag(const std::string& id_tag);

 private:
  IdTagStore& id_tags_;
  TransactionStore& transactions_;
  AuthorizationPolicy* policy_ = nullptr;
};

}  // namespace chargelock::core
