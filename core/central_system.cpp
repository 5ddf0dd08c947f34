#include "core/central_system.h"

#include "core/lock_codec.h"
#include "storage/command_store.h"
#include "storage/database.h"
#include "storage/lock_store.h"
#include "storage/notification_store.h"
#include "storage/vehicle_store.h"
#include "storage/webhook_store.h"

namespace chargelock::core {

namespace {
ChargePointServiceConfig service_config(const CentralSystemConfig& c) {
  ChargePointServiceConfig s;
  s.heartbeat_interval_s = c.heartbeat_interval_s;
  s.boot_retry_interval_s = c.boot_retry_interval_s;
  s.auto_register = c.auto_register;
  s.node_id = c.node_id;
  return s;
}
LockLimits lock_limits(const CentralSystemConfig& c) {
  LockLimits limits;
  limits.requests_per_vehicle_per_hour = c.lock_requests_per_hour;
  return limits;
}
}  // namespace

CentralSystem::CentralSystem(storage::Database& database, CentralSystemConfig config)
    : database_(database),
      group_commit_(database),
      config_(std::move(config)),
      directory_(database.charge_points(), config_.auto_register,
                 config_.allow_unauthenticated_piles, config_.secrets),
      charge_points_(database.charge_points(), database.connectors(), &directory_,
                     service_config(config_)),
      authorization_(database.id_tags(), database.transactions()),
      transactions_(database.transactions(), database.meter_values(), authorization_),
      events_(database.events()),
      data_transfers_(database.events()),
      commands_(database.commands(), CommandServiceConfig{config_.node_id, config_.secrets}),
      vehicles_(database.vehicles(), database.id_tags(), database.locks(),
                VehicleLimits{config_.vehicles_per_owner}),
      notifications_(database.notifications()),
      webhooks_(database.webhooks()),
      telematics_(database.vehicles(), notifications_,
                  TelematicsConfig{config_.low_battery_threshold}),
      locks_(database.locks(), database.vehicles(), database.charge_points(),
             database.transactions(), commands_, notifications_, &group_commit_,
             lock_limits(config_)) {
  data_transfers_.add_vendor(lock_codec::kVendorId, locks_);
  authorization_.set_policy(&locks_);
  charge_points_.set_boot_observer(&locks_);
  commands_.set_guard(&locks_);
  commands_.set_observer(&locks_);
  commands_.set_password_observer([this](const std::string& id, const std::string& hash) {
    directory_.set_password_hash(id, hash);
  });
  if (config_.message_log) {
    MessageLogWriterOptions options;
    options.on_thread_exit = [&database] { database.release_thread_connection(); };
    message_log_ = std::make_unique<MessageLogWriter>(database.message_log(), std::move(options));
  }
}

CentralSystem::~CentralSystem() = default;

}  // namespace chargelock::core
