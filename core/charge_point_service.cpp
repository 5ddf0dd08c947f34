#include "core/charge_point_service.h"

#include <stdexcept>

#include "core/domain_errors.h"
#include "core/password_hash.h"

namespace chargelock::core {

namespace {

void check_profile(int profile) {
  if (profile < 1 || profile > 3) throw std::invalid_argument("securityProfile must be 1, 2 or 3");
}

// The OCPP security whitepaper (profile 1/2 Basic auth) asks for 16 to 40
// characters; only the lower bound protects anything (PBKDF2 cannot save a
// short password from guessing), so longer ones are accepted.
void check_password(const std::optional<std::string>& password) {
  if (password && password->size() < kMinPasswordLength)
    throw std::invalid_argument("password must be at least " + std::to_string(kMinPasswordLength) +
                                " characters");
}

void check_location(const std::optional<GeoLocation>& location) {
  if (!location) return;
  if (!(location->latitude >= -90 && location->latitude <= 90) ||
      !(location->longitude >= -180 && location->longitude <= 180))
    throw std::invalid_argument("location must have lat in -90..90 and lon in -180..180");
}

void check_id(const std::string& id) {
  if (id.empty() || id.size() > 48) throw std::invalid_argument("id must be 1 to 48 characters");
  for (unsigned char c : id)
    if (c < 0x21 || c == 0x7f || c == '/' || c == '%' || c == '?' || c == '#')
      throw std::invalid_argument("id must not contain spaces, control characters, /, %, ? or #");
}

}  // namespace

ChargePointService::ChargePointService(ChargePointStore& charge_points, ConnectorStore& connectors,
                                       ChargePointDirectory* directory,
                                       ChargePointServiceConfig config)
    : charge_points_(charge_points),
      connectors_(connectors),
      directory_(directory),
      config_(std::move(config)) {}

void ChargePointService::refresh_directory(const std::string& id) {
  if (!directory_) return;
  const auto record = charge_points_.find(id);
  if (!record) {
    directory_->erase(id);
    return;
  }
  directory_->put(ChargePointAccess{record->id, record->security_profile, record->password_hash,
                                    record->registration_status});
}

bool ChargePointService::register_charge_point(const ChargePointRegistration& r) {
  check_id(r.id);
  check_profile(r.security_profile);
  check_password(r.password);
  check_location(r.location);
  NewChargePoint cp;
  cp.id = r.id;
  if (r.password) cp.password_hash = hash_password(*r.password);
  cp.security_profile = r.security_profile;
  cp.registration_status = r.registration_status;
  cp.location = r.location;
  if (!charge_points_.create(cp)) return false;
  refresh_directory(r.id);
  return true;
}

bool ChargePointService::update_charge_point(const std::string& id, const ChargePointUpdate& u) {
  if (u.security_profile) check_profile(*u.security_profile);
  check_password(u.password);
  check_location(u.location);
  ChargePointChange change;
  if (u.password) change.password_hash = hash_password(*u.password);
  change.clear_password = u.clear_password && !u.password;
  change.security_profile = u.security_profile;
  change.registration_status = u.registration_status;
  change.location = u.location;
  change.clear_location = u.clear_location && !u.location;
  if (!charge_points_.update(id, change)) return false;
  refresh_directory(id);
  return true;
}

bool ChargePointService::remove_charge_point(const std::string& id) {
  const bool removed = charge_points_.remove(id);
  if (directory_) directory_->erase(id);
  return removed;
}

std::optional<ChargePointRecord> ChargePointService::find(const std::string& id) {
  return charge_points_.find(id);
}

std::vector<ChargePointRecord> ChargePointService::list() { return charge_points_.list(); }

std::vector<ChargePointRecord> ChargePointService::list_page(const std::string& after, int limit) {
  return charge_points_.list_page(after, limit);
}

std::vector<ConnectorStatus> ChargePointService::connectors(const std::string& id) {
  return connectors_.list(id);
}

BootResult ChargePointService::boot(const std::string& id, const BootInfo& boot) {
  WriteBatch alone = WriteBatch::alone();
  return this->boot(alone, id, boot);
}

BootResult ChargePointService::boot(WriteBatch& batch, const std::string& id,
                                    const BootInfo& boot) {
  ChargePointStore& charge_points = batch.store(&Stores::charge_points, charge_points_);
  BootResult result;
  result.current_time = Clock::now();
  auto record = charge_points.find(id);
  if (!record && config_.auto_register) {
    NewChargePoint cp;
    cp.id = id;
    cp.security_profile = 1;
    cp.registration_status = RegistrationStatus::Pending;
    charge_points.create(cp);  // false if a concurrent boot registered it first
    charge_points.set_online(id, config_.node_id, result.current_time);
    refresh_directory(id);
    record = charge_points.find(id);
  }
  if (!record) {
    result.status = RegistrationStatus::Rejected;
    result.interval_s = config_.boot_retry_interval_s;
    return result;
  }
  charge_points.record_boot(id, boot, result.current_time);
  result.status = record->registration_status;
  result.interval_s = result.status == RegistrationStatus::Accepted ? config_.heartbeat_interval_s
                                                                    : config_.boot_retry_interval_s;
  if (boot_observer_ != nullptr) boot_observer_->booted(batch, id, result.status);
  return result;
}

Timestamp ChargePointService::heartbeat(const std::string&) { return Clock::now(); }

void ChargePointService::seen(const std::vector<SeenAt>& piles) {
  charge_points_.touch_many(piles);
}

bool ChargePointService::status_notification(const ConnectorStatus& status) {
  WriteBatch alone = WriteBatch::alone();
  return status_notification(alone, status);
}

bool ChargePointService::status_notification(WriteBatch& batch, const ConnectorStatus& status) {
  try {
    batch.store(&Stores::connectors, connectors_).record_status(status);
  } catch (const RowNotFoundError&) {
    return false;  // not registered (e.g. auto-registering pile before boot)
  }
  return true;
}

bool ChargePointService::connected(const std::string& id) {
  WriteBatch alone = WriteBatch::alone();
  return connected(alone, id);
}

bool ChargePointService::connected(WriteBatch& batch, const std::string& id) {
  const auto mark = batch.store(&Stores::charge_points, charge_points_)
                        .set_online(id, config_.node_id, Clock::now());
  if (boot_observer_ != nullptr) boot_observer_->connected(batch, id);
  return mark.accepted_before;
}

void ChargePointService::disconnected(const std::string& id) {
  WriteBatch alone = WriteBatch::alone();
  disconnected(alone, id);
}

void ChargePointService::disconnected(WriteBatch& batch, const std::string& id) {
  batch.store(&Stores::charge_points, charge_points_)
      .set_offline(id, config_.node_id, Clock::now());
}

int ChargePointService::node_started() {
  return charge_points_.set_node_offline(config_.node_id, Clock::now());
}

}  // namespace chargelock::core
