#include "core/central_system.h"

#include "core/lock_codec.h"
#include "core/stores/command_store.h"
#include "core/stores/lock_store.h"
#include "core/stores/notification_store.h"
#include "core/stores/stores.h"
#include "core/stores/vehicle_store.h"
#include "core/stores/webhook_store.h"

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
  limits.fan_out_chunk = c.lock_fan_out_chunk;
  return limits;
}
}  // namespace

CentralSystem::CentralSystem(Stores& stores, CentralSystemConfig config)
    : stores_(stores),
      config_(std::move(config)),
      directory_(stores.charge_points(), config_.auto_register, config_.allow_unauthenticated_piles,
                 config_.secrets),
      charge_points_(stores.charge_points(), stores.connectors(), &directory_,
                     service_config(config_)),
      authorization_(stores.id_tags(), stores.transactions()),
      transactions_(stores.transactions(), stores.meter_values(), authorization_),
      events_(stores.events()),
      data_transfers_(stores.events(), &stores),
      commands_(stores.commands(), CommandServiceConfig{config_.node_id, config_.secrets}),
      vehicles_(stores.vehicles(), stores.id_tags(), stores.locks(),
                VehicleLimits{config_.vehicles_per_owner}),
      notifications_(stores.notifications()),
      webhooks_(stores.webhooks()),
      telematics_(stores.vehicles(), notifications_,
                  TelematicsConfig{config_.low_battery_threshold}),
      locks_(stores.locks(), stores.vehicles(), stores.charge_points(), stores.transactions(),
             commands_, notifications_, &stores, lock_limits(config_)) {
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
    options.on_thread_exit = [&stores] { stores.release_thread_connection(); };
    options.thread_nice = config_.message_log_nice;
    message_log_ = std::make_unique<MessageLogWriter>(stores.message_log(), std::move(options));
  }
}

CentralSystem::~CentralSystem() = default;

}  // namespace chargelock::core
