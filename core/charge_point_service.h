// Charge points: registration (CLI, admin API), BootNotification,
// Heartbeat, StatusNotification and the connection state.
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/charge_point_directory.h"
#include "core/stores/charge_point_store.h"
#include "core/stores/connector_store.h"
#include "core/timestamp.h"
#include "core/write_batch.h"

namespace chargelock::core {

// One StatusNotification (received_at is set by the store).

struct ChargePointServiceConfig {
  int heartbeat_interval_s = 300;  // interval answered to an Accepted boot
  int boot_retry_interval_s = 60;  // interval answered to a Pending/Rejected boot
  bool auto_register = false;      // unknown piles become Pending at boot
  std::string node_id = "ocpp-1";  // this OCPP node, recorded on connect
};

// Shortest pile password accepted (HTTP Basic auth, profiles 1 and 2).
inline constexpr std::size_t kMinPasswordLength = 16;

struct ChargePointRegistration {
  std::string id;                       // 1..48 characters, no '/'
  std::optional<std::string> password;  // plain text; stored hashed
  int security_profile = 1;             // 1, 2 or 3
  std::optional<GeoLocation> location;
  RegistrationStatus registration_status = RegistrationStatus::Accepted;
};

// A partial change: only fields holding a value change.
struct ChargePointUpdate {
  std::optional<std::string> password;  // plain text; stored hashed
  bool clear_password = false;
  std::optional<int> security_profile;
  std::optional<RegistrationStatus> registration_status;
  std::optional<GeoLocation> location;
  bool clear_location = false;
};

struct BootResult {
  RegistrationStatus status = RegistrationStatus::Rejected;
  Timestamp current_time;
  int interval_s = 0;
};

// Told about every boot the central system answered and every connection
// of a pile (the vehicle lock arms piles that boot, and re-arms piles that
// reconnect without a boot). Called on the worker handling the
// BootNotification / recording the connection, with its batch: what the
// observer writes through `batch` shares the boot's commit. Must be
// thread-safe and should not throw.
class BootObserver {
 public:
  virtual ~BootObserver() = default;
  virtual void booted(WriteBatch& batch, const std::string& charge_point_id,
                      RegistrationStatus status) = 0;
  virtual void connected(WriteBatch& /*batch*/, const std::string& /*charge_point_id*/) {}
};

class ChargePointService {
 public:
  // `directory` (may be null) is updated at once after registrations.
  ChargePointService(ChargePointStore& charge_points, ConnectorStore& connectors,
                     ChargePointDirectory* directory, ChargePointServiceConfig config);

  // Registers a charge point. Throws std::invalid_argument for a bad id,
  // profile, location or a password shorter than kMinPasswordLength;
  // returns false when the id already exists.
  bool register_charge_point(const ChargePointRegistration& registration);
  // Returns false when the id is unknown. Throws std::invalid_argument for
  // a bad profile, location or a too short password.
  bool update_charge_point(const std::string& id, const ChargePointUpdate& update);
  bool remove_charge_point(const std::string& id);
  std::optional<ChargePointRecord> find(const std::string& id);
  std::vector<ChargePointRecord> list();
  // A page ordered by id: at most `limit` charge points with an id above `after`.
  std::vector<ChargePointRecord> list_page(const std::string& after, int limit);
  std::vector<ConnectorStatus> connectors(const std::string& id);

  // BootNotification: stores the boot info; answers by registration state
  // (Accepted with the heartbeat interval; Pending/Rejected with the retry
  // interval). An unknown pile is registered as Pending (profile 1, no
  // password) when auto-registration is on, else Rejected.
  // Writes through `batch` (shares its commit when grouped); without one,
  // commits on its own.
  BootResult boot(WriteBatch& batch, const std::string& id, const BootInfo& boot);
  BootResult boot(const std::string& id, const BootInfo& boot);
  // Heartbeat: the current time. (That the pile was seen is recorded with
  // every frame, through seen().) Reads the clock only: any thread, never
  // blocks (the OCPP loop answers a Heartbeat itself).
  Timestamp heartbeat(const std::string& id);
  // Piles heard from, with when: moves their last_seen forward. The OCPP
  // node collects these per frame and hands them over about once a second,
  // so last seen costs one statement per second instead of one per message.
  using SeenAt = ChargePointStore::SeenAt;
  void seen(const std::vector<SeenAt>& piles);
  // StatusNotification: current connector state plus history. Unknown
  // charge points are ignored (returns false).
  // Writes through `batch`; without one, commits on its own.
  bool status_notification(WriteBatch& batch, const ConnectorStatus& status);
  bool status_notification(const ConnectorStatus& status);
  // Websocket connection opened / closed on this node. connected() returns
  // whether the pile may get commands before it boots again: it booted
  // before and its registration is Accepted (a reconnect without a reboot;
  // such a pile may send nothing until its next heartbeat). A pile never
  // accepted (no boot on record, Pending, Rejected, unknown) gets commands
  // only after a BootNotification answered Accepted (OCPP 1.6 §4.2).
  // Both write through `batch`; without one, commit on their own.
  bool connected(WriteBatch& batch, const std::string& id);
  bool connected(const std::string& id);
  void disconnected(WriteBatch& batch, const std::string& id);
  void disconnected(const std::string& id);
  // At node start: piles this node held before a crash are offline now.
  // Returns how many were marked.
  int node_started();

  const ChargePointServiceConfig& config() const { return config_; }
  // Install before the workers start; not synchronised.
  void set_boot_observer(BootObserver* observer) { boot_observer_ = observer; }

 private:
  void refresh_directory(const std::string& id);

  ChargePointStore& charge_points_;
  ConnectorStore& connectors_;
  ChargePointDirectory* directory_;
  ChargePointServiceConfig config_;
  BootObserver* boot_observer_ = nullptr;
};

}  // namespace chargelock::core
