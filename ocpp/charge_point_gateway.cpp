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
  core::AccessAttempt attempt;
  attempt.charge_point_id = request.charge_point_id;
  attempt.tls = request.tls;
  attempt.basic_user = request.basic_user;
  attempt.basic_password = request.basic_password;
  attempt.client_cert_cn = request.client_cert_cn;
  const core::AccessDecision decision = central_.directory().decide(attempt);
  if (decision == core::AccessDecision::Accept) {
    // How it connected: 0 = no credentials (--allow-unauthenticated-piles),
    // 1 = Basic over ws://, 2 = Basic over wss://, 3 = client certificate.
    upgrade_profiles_[request.charge_point_id] =
        request.tls ? (request.client_cert_cn ? 3 : 2) : (request.basic_password ? 1 : 0);
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
  // A pile that reconnects replaces its old connection (the old socket is
  // often half-open after a network change).
  if (auto old = by_charge_point_.find(charge_point_id); old != by_charge_point_.end()) {
    const SessionId old_session = old->second;
    by_charge_point_.erase(old);
    sessions_.erase(old_session);
    if (server_ != nullptr) server_->close(old_session);
  }
  Connection connection;
  connection.charge_point_id = charge_point_id;
  int profile = 1;
  if (auto it = upgrade_profiles_.find(charge_point_id); it != upgrade_profiles_.end()) {
    profile = it->second;
    upgrade_profiles_.erase(it);
  }
  connection.counted.emplace(ocpp_metrics().connected_piles.at(static_cast<std::size_t>(profile)));
  connection.output = std::make_unique<Output>(*server_, session);
  connection.session = ChargePointSession::create(charge_point_id, *connection.output, work_,
                                                  actions_, message_log(), schemas_, options_);
  sessions_.emplace(session, std::move(connection));
  by_charge_point_[charge_point_id] = session;
  report(charge_point_id, true);
  if (observer_ != nullptr) observer_->on_session_open(charge_point_id);
}

void ChargePointGateway::on_text(SessionId session, std::string text) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  seen_[it->second.charge_point_id] = core::Clock::now();
  it->second.session->on_text(std::move(text));
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
  flush_seen();
  for (const auto& [id, session] : by_charge_point_) report(id, false);
  by_charge_point_.clear();
  sessions_.clear();
}

std::size_t ChargePointGateway::calls_in_flight() const {
  std::size_t calls = 0;
  for (const auto& [id, connection] : sessions_) calls += connection.session->incoming_in_flight();
  return calls;
}

std::shared_ptr<ChargePointSession> ChargePointGateway::session_of(
    const std::string& charge_point_id) const {
  auto id = by_charge_point_.find(charge_point_id);
  if (id == by_charge_point_.end()) return nullptr;
  return sessions_.at(id->second).session;
}

void ChargePointGateway::report(const std::string& charge_point_id, bool connected) {
  core::ChargePointService& service = central_.charge_points();
  // Shared: thousands of piles (re)connect at once after an outage.
  work_.submit(
      charge_point_id,
      [&service, charge_point_id, connected] {
        try {
          if (connected)
            service.connected(charge_point_id);
          else
            service.disconnected(charge_point_id);
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
