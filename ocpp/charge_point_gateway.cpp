#include "ocpp/charge_point_gateway.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/log.h"
#include "ocpp/ocpp_metrics.h"

namespace chargelock::ocpp {

namespace {

// Used when the message log writer is switched off (tests, benchmarks).
class DiscardingMessageLog : public core::MessageLog {
 public:
  void record(const std::string&, core::FrameDirection, std::string) override {}
};

const char* refusal_reason(core::AccessDecision decision) {
  return decision == core::AccessDecision::UnknownId ? "unknown id" : "bad credentials";
}

}  // namespace

class ChargePointGateway::Output : public SessionOutput {
 public:
  Output(OcppServer& server, SessionId id) : server_(server), id_(id) {}
  void send(std::string text) override { server_.send(id_, std::move(text)); }
  void post(std::function<void()> task) override { server_.post(std::move(task)); }
  void send_urgent(std::string text) override { server_.send_urgent(id_, std::move(text)); }
  void post_urgent(std::function<void()> task) override { server_.post_urgent(std::move(task)); }
  void schedule(std::chrono::milliseconds delay, std::function<void()> task) override {
    server_.schedule(delay, std::move(task));
  }

 private:
  OcppServer& server_;
  SessionId id_;
};

ChargePointGateway::ChargePointGateway(core::CentralSystem& central, core::WorkQueue& work,
                                       const ActionRegistry& actions, const SchemaRegistry& schemas,
                                       SessionOptions options)
    : central_(central), work_(work), actions_(actions), schemas_(schemas), options_(options) {}

ChargePointGateway::~ChargePointGateway() { close_all(); }

core::MessageLog& ChargePointGateway::message_log() {
  static DiscardingMessageLog discard;
  core::MessageLog* log = central_.message_log();
  return log != nullptr ? *log : discard;
}

UpgradeVerdict ChargePointGateway::on_upgrade(const UpgradeRequest& request) {
  pending_verification_.reset();
  core::AccessAttempt attempt;
  attempt.charge_point_id = request.charge_point_id;
  attempt.tls = request.tls;
  attempt.basic_user = request.basic_user;
  attempt.basic_password = request.basic_password;
  attempt.client_cert_cn = request.client_cert_cn;
  const core::AccessDecision decision = central_.directory().decide(attempt);
  // How it connected: 0 = no credentials (--allow-unauthenticated-piles),
  // 1 = Basic over ws://, 2 = Basic over wss://, 3 = client certificate.
  const int profile =
      request.tls ? (request.client_cert_cn ? 3 : 2) : (request.basic_password ? 1 : 0);
  if (decision == core::AccessDecision::Accept) {
    upgrade_profiles_[request.charge_point_id] = profile;
    return UpgradeVerdict::Accept;
  }
  if (decision == core::AccessDecision::Verify) {
    // libwebsockets answers the upgrade before this returns; PBKDF2 must
    // not run here. Upgraded now, served once verified (on_open).
    upgrade_profiles_[request.charge_point_id] = profile;
    pending_verification_ = std::move(attempt);
    pending_remote_address_ = request.remote_address;
    return UpgradeVerdict::Accept;
  }
  // The log tells the operator why; the pile gets 401 either way, so ids
  // cannot be enumerated.
  core::log(core::LogLevel::Warn, "pile_refused",
            fmt::format("chargelock: refused {} from {} ({})", request.charge_point_id,
                        request.remote_address, refusal_reason(decision)),
            {request.charge_point_id, {}});
  return UpgradeVerdict::Unauthorized;
}

void ChargePointGateway::on_open(SessionId session, const std::string& charge_point_id) {
  Connection connection;
  connection.charge_point_id = charge_point_id;
  connection.output = std::make_unique<Output>(*server_, session);
  if (!pending_verification_ || pending_verification_->charge_point_id != charge_point_id) {
    pending_verification_.reset();
    start_session(session, sessions_.emplace(session, std::move(connection)).first->second);
    return;
  }
  core::AccessAttempt attempt = std::move(*pending_verification_);
  pending_verification_.reset();
  connection.remote_address = std::move(pending_remote_address_);
  connection.gone = std::make_shared<std::atomic<bool>>(false);
  auto gone = connection.gone;
  sessions_.emplace(session, std::move(connection));
  core::ChargePointDirectory& directory = central_.directory();
  verifier_.submit(
      charge_point_id, [this, &directory, session, gone, attempt = std::move(attempt)] {
        if (gone->load()) return;  // closed while waiting: nobody to answer
        core::AccessDecision decision = core::AccessDecision::Unauthorized;
        try {
          decision = directory.verify(attempt);
        } catch (const std::exception& error) {
          core::log(core::LogLevel::Error, "password_check_failed",
                    fmt::format("chargelock: checking the password of {} failed: {}",
                                attempt.charge_point_id, error.what()),
                    {attempt.charge_point_id, {}});
        }
        server_->post([this, session, decision] { finish_verification(session, decision); });
      });
}

void ChargePointGateway::finish_verification(SessionId session, core::AccessDecision decision) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;  // the pile left meanwhile
  Connection& connection = it->second;
  if (decision != core::AccessDecision::Accept) {
    core::log(core::LogLevel::Warn, "pile_refused",
              fmt::format("chargelock: refused {} from {} ({})", connection.charge_point_id,
                          connection.remote_address, refusal_reason(decision)),
              {connection.charge_point_id, {}});
    sessions_.erase(it);
    server_->close(session, kPolicyViolation);
    return;
  }
  start_session(session, connection);
  std::vector<std::string> held;
  held.swap(connection.held);
  for (std::string& text : held) on_text(session, std::move(text));
}

void ChargePointGateway::start_session(SessionId session, Connection& connection) {
  const std::string& charge_point_id = connection.charge_point_id;
  // A pile that reconnects replaces its old connection (the old socket is
  // often half-open after a network change).
  if (auto old = by_charge_point_.find(charge_point_id); old != by_charge_point_.end()) {
    const SessionId old_session = old->second;
    by_charge_point_.erase(old);
    sessions_.erase(old_session);
    if (server_ != nullptr) server_->close(old_session);
  }
  int profile = 1;
  if (auto it = upgrade_profiles_.find(charge_point_id); it != upgrade_profiles_.end()) {
    profile = it->second;
    upgrade_profiles_.erase(it);
  }
  connection.counted.emplace(ocpp_metrics().connected_piles.at(static_cast<std::size_t>(profile)));
  connection.session = ChargePointSession::create(charge_point_id, *connection.output, work_,
                                                  actions_, message_log(), schemas_, options_);
  connection.session->set_on_registered([this, charge_point_id] {
    if (observer_ != nullptr) observer_->on_session_registered(charge_point_id);
  });
  auto accepted_before = connection.session->accepted_before_from_any_thread();
  by_charge_point_[charge_point_id] = session;
  report(charge_point_id, true, std::move(accepted_before));
  if (observer_ != nullptr) observer_->on_session_open(charge_point_id);
}

void ChargePointGateway::on_text(SessionId session, std::string text) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  Connection& connection = it->second;
  if (!connection.session) {  // password not verified yet: nothing is served
    if (connection.held.size() >= kMaxHeldFrames) {
      connection.gone->store(true);
      sessions_.erase(it);
      server_->close(session, kPolicyViolation);
      return;
    }
    connection.held.push_back(std::move(text));
    return;
  }
  seen_[connection.charge_point_id] = core::Clock::now();
  connection.session->on_text(std::move(text));
}

void ChargePointGateway::flush_seen() {
  if (seen_.empty()) return;
  auto piles = std::make_shared<std::vector<core::ChargePointService::SeenAt>>();
  piles->reserve(seen_.size());
  for (auto& [id, at] : seen_) piles->push_back({id, at});
  seen_.clear();
  core::ChargePointService& service = central_.charge_points();
  work_.submit("last-seen", [&service, piles] {
    try {
      service.seen(*piles);
    } catch (const std::exception& error) {
      core::log(core::LogLevel::Error, "last_seen_failed",
                fmt::format("chargelock: recording {} piles as seen failed: {}", piles->size(),
                            error.what()));
    }
  });
}

void ChargePointGateway::on_close(SessionId session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;  // already replaced by a newer connection
  if (it->second.gone) it->second.gone->store(true);
  const std::string charge_point_id = it->second.charge_point_id;
  sessions_.erase(it);
  auto current = by_charge_point_.find(charge_point_id);
  if (current != by_charge_point_.end() && current->second == session) {
    by_charge_point_.erase(current);
    report(charge_point_id, false);
    if (observer_ != nullptr) observer_->on_session_closed(charge_point_id);
  }
}

void ChargePointGateway::close_all() {
  verifier_.stop();  // its tasks post to the server
  flush_seen();
  for (const auto& [id, session] : by_charge_point_) report(id, false);
  by_charge_point_.clear();
  sessions_.clear();
}

std::size_t ChargePointGateway::calls_in_flight() const {
  std::size_t calls = 0;
  for (const auto& [id, connection] : sessions_)
    if (connection.session) calls += connection.session->incoming_in_flight();
  return calls;
}

std::shared_ptr<ChargePointSession> ChargePointGateway::session_of(
    const std::string& charge_point_id) const {
  auto id = by_charge_point_.find(charge_point_id);
  if (id == by_charge_point_.end()) return nullptr;
  return sessions_.at(id->second).session;
}

void ChargePointGateway::report(const std::string& charge_point_id, bool connected,
                                std::function<void()> accepted_before) {
  core::ChargePointService& service = central_.charge_points();
  // Shared: thousands of piles (re)connect at once after an outage.
  work_.submit(
      charge_point_id,
      [&service, charge_point_id, connected,
       accepted_before = std::move(accepted_before)](core::WriteBatch& batch) {
        try {
          if (!connected) {
            service.disconnected(batch, charge_point_id);
            return;
          }
          if (!service.connected(batch, charge_point_id) || !accepted_before) return;
          // Accepted before: its queued commands go now, not after its next
          // CALL (minutes away for a pile that reconnected without a reboot).
          // After the commit, so that commands the connect queued (the lock
          // re-arming the pile) are claimable.
          batch.after_commit(accepted_before);
        } catch (const std::exception& error) {
          core::log(
              core::LogLevel::Error, "connection_record_failed",
              fmt::format("chargelock: recording {} of {} failed: {}",
                          connected ? "connect" : "disconnect", charge_point_id, error.what()),
              {charge_point_id, {}});
        }
      },
      core::WorkQueue::Commit::Shared);
}

}  // namespace chargelock::ocpp
