// The OCPP node's switchboard: decides websocket upgrades with the core
// directory, gives every accepted connection its ChargePointSession, routes
// frames to it, and reports connects/disconnects to the core.
//
// Threading contract: every ConnectionHandler callback runs on the OCPP loop
// thread (see OcppServer). Connection state changes are handed to the
// WorkQueue (they touch the database), sharded by charge point id so they
// stay ordered with that pile's messages. Passwords the directory cannot
// judge without PBKDF2 are checked on the gateway's own verification
// threads, never on the loop: such a connection is upgraded, holds its
// frames, and becomes a session only once the password passed (else it is
// closed with 1008 Policy Violation); it never replaces the pile's live
// session before that.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/central_system.h"
#include "core/metric_types.h"
#include "core/work_queue.h"
#include "ocpp/rpc/action_handler.h"
#include "ocpp/rpc/charge_point_session.h"
#include "ocpp/schemas/schema_registry.h"
#include "ocpp/websockets/ocpp_server.h"

namespace chargelock::ocpp {

// Told (on the loop thread) when a pile's session starts or its current
// session ends; e.g. the command dispatcher delivers queued commands then.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void on_session_open(const std::string& charge_point_id) = 0;
  virtual void on_session_closed(const std::string& charge_point_id) = 0;
  // The pile may now receive CALLs (ChargePointSession::registered()).
  virtual void on_session_registered(const std::string& charge_point_id) = 0;
};

class ChargePointGateway : public ConnectionHandler {
 public:
  // `central`, `work`, `actions` and `schemas` must outlive the gateway.
  ChargePointGateway(core::CentralSystem& central, core::WorkQueue& work,
                     const ActionRegistry& actions, const SchemaRegistry& schemas,
                     SessionOptions options);
  ~ChargePointGateway() override;

  // Threads that run PBKDF2 for connections whose password is not in the
  // verified-credentials cache.
  static constexpr std::size_t kVerificationThreads = 2;
  // Frames a connection may send before its password is verified; one
  // more closes it (a pile sends its BootNotification and waits).
  static constexpr std::size_t kMaxHeldFrames = 16;
  // Websocket close code for a password that failed after the upgrade.
  static constexpr int kPolicyViolation = 1008;

  // The server is created with this gateway as its handler, so it is
  // attached afterwards, before OcppServer::run().
  void attach(OcppServer& server) { server_ = &server; }

  // Ends every session (outgoing calls fail with ConnectionClosed), records
  // the piles as disconnected and stops the verification threads. Call on
  // the loop thread or after the loop has stopped, before the server goes.
  void close_all();

  // The live session of a charge point on this node, or null. Loop thread.
  std::shared_ptr<ChargePointSession> session_of(const std::string& charge_point_id) const;
  // CALLs from piles being handled on workers (their answers not yet
  // handed to the server). Loop thread.
  std::size_t calls_in_flight() const;

  // Optional; set before OcppServer::run(). Must outlive the gateway's use.
  void set_observer(SessionObserver* observer) { observer_ = observer; }

  // Hands the piles heard from since the last call (with the time of their
  // last frame) to a worker, which records them as last seen. The node
  // calls it about once a second (and at stop). Loop thread.
  void flush_seen();

  UpgradeVerdict on_upgrade(const UpgradeRequest& request) override;
  void on_open(SessionId session, const std::string& charge_point_id) override;
  void on_text(SessionId session, std::string text) override;
  void on_close(SessionId session) override;

 private:
  class Output;  // SessionOutput bound to one websocket session
  // Counts a connection in its security profile's gauge for as long as it
  // lives (moves with the Connection).
  class CountedConnection {
   public:
    explicit CountedConnection(core::Gauge& gauge) : gauge_(&gauge) { gauge_->add(1); }
    CountedConnection(CountedConnection&& other) noexcept : gauge_(other.gauge_) {
      other.gauge_ = nullptr;
    }
    CountedConnection& operator=(CountedConnection&&) = delete;
    ~CountedConnection() {
      if (gauge_ != nullptr) gauge_->add(-1);
    }

   private:
    core::Gauge* gauge_;
  };
  struct Connection {
    std::string charge_point_id;
    std::unique_ptr<Output> output;
    std::shared_ptr<ChargePointSession> session;  // null while the password is verified
    std::vector<std::string> held;                // frames received meanwhile
    std::string remote_address;
    // Set when the connection closes before its password was checked: the
    // queued check is skipped (a pile that gave up and reconnected must not
    // cost a second PBKDF2 run, in a storm the queue would only grow).
    std::shared_ptr<std::atomic<bool>> gone;
    std::optional<CountedConnection> counted;  // in the connected-piles gauge
  };
  void start_session(SessionId session, Connection& connection);
  void finish_verification(SessionId session, core::AccessDecision decision);
  // Records the connect/disconnect on a worker. On a connect of a pile
  // accepted before (ChargePointService::connected), `accepted_before` runs
  // (ChargePointSession::accepted_before_from_any_thread).
  void report(const std::string& charge_point_id, bool connected,
              std::function<void()> accepted_before = {});
  core::MessageLog& message_log();

  core::CentralSystem& central_;
  core::WorkQueue& work_;
  const ActionRegistry& actions_;
  const SchemaRegistry& schemas_;
  SessionOptions options_;
  OcppServer* server_ = nullptr;
  SessionObserver* observer_ = nullptr;
  std::unordered_map<SessionId, Connection> sessions_;
  std::unordered_map<std::string, SessionId> by_charge_point_;
  std::unordered_map<std::string, core::Timestamp> seen_;  // since flush_seen()
  // The upgrade on_upgrade() let through for verification; on_open() of the
  // same connection follows at once (OcppServer establishes it right away).
  std::optional<core::AccessAttempt> pending_verification_;
  std::string pending_remote_address_;
  core::WorkQueue verifier_{kVerificationThreads};
  // Security profile of an accepted upgrade, until its connection opens.
  std::unordered_map<std::string, int> upgrade_profiles_;
};

}  // namespace chargelock::ocpp
