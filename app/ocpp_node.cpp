#include "app/ocpp_node.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "core/log.h"
#include "core/thread_setup.h"
#include "core/work_queue.h"
#include "ocpp/charge_point_gateway.h"
#include "ocpp/command_dispatcher.h"
#include "ocpp/messages/register_actions.h"
#include "ocpp/schemas/schema_registry.h"
#include "ocpp/websockets/ocpp_server.h"
#include "storage/database.h"

namespace chargelock::app {
namespace {

// How often the directory of charge point credentials is re-read, so that
// piles registered by another process (the API) can connect.
constexpr std::chrono::seconds kDirectoryRefresh{5};
// How stale a pile's last_seen may be (it is written in one statement for
// all piles heard from in this period, not once per message).
constexpr std::chrono::seconds kLastSeenFlush{1};
// Graceful stop (SIGTERM, SPEC §7), bounded so the process exits well within
// 10 s: frames already on their way are read for at least kDrainSettle;
// CALLs being handled get up to kDrainCalls to be answered; piles then get
// kDrainClose to receive their close frame.
constexpr std::chrono::milliseconds kDrainSettle{200};
constexpr std::chrono::milliseconds kDrainCalls{5000};
constexpr std::chrono::milliseconds kDrainClose{2000};
constexpr std::chrono::milliseconds kDrainPoll{20};
constexpr int kGoingAway = 1001;  // RFC 6455 §7.4.1: the server is going down

ocpp::ServerConfig server_config(const Config& config, std::function<bool()> ready) {
  ocpp::ServerConfig server;
  server.ready = std::move(ready);
  server.plain = ocpp::ListenerConfig{};
  server.plain->host = config.ocpp_listen.host;
  server.plain->port = config.ocpp_listen.port;
  if (config.ocpp_tls_listen) {
    ocpp::ListenerConfig tls;
    tls.host = config.ocpp_tls_listen->host;
    tls.port = config.ocpp_tls_listen->port;
    tls.cert_file = config.tls_cert;
    tls.key_file = config.tls_key;
    tls.ca_file = config.tls_ca;
    server.tls = tls;
  }
  server.ping_interval_s = config.ping_interval_s;
  server.pong_timeout_s = config.ping_interval_s;
  server.connect_rate = config.ocpp_connect_rate;
  server.connect_burst = config.ocpp_connect_burst;
  return server;
}

}  // namespace

class OcppNode::Impl {
 public:
  Impl(const Config& config, core::CentralSystem& central, std::function<bool()> ready)
      : config_(config),
        central_(central),
        work_(
            static_cast<std::size_t>(config.workers), nullptr,
            [&central]() -> std::unique_ptr<core::GroupCommit> {
              return central.stores().make_batch();  // one per worker, reused
            },
            work_options(config)),
        gateway_(central, work_, actions_, ocpp::SchemaRegistry::ocpp16(), session_options(config)),
        server_(server_config(config, std::move(ready)), gateway_),
        dispatcher_(
            central.commands(), work_,
            [this](std::function<void()> task) { server_.post(std::move(task)); },
            [this](const std::string& id) { return gateway_.session_of(id); },
            dispatcher_options(config, central)) {
    ocpp::register_charge_point_actions(actions_, central_);
    gateway_.attach(server_);
    gateway_.set_observer(&dispatcher_);
    // Before any pile connects: what this node held before a crash is gone.
    if (const int stale = central_.charge_points().node_started(); stale > 0)
      core::log(
          core::LogLevel::Info, "piles_marked_offline",
          fmt::format("chargelock: {} charge point(s) of node {} marked offline after restart",
                      stale, central_.config().node_id));
  }

  ~Impl() {
    // Order matters: no new command wake-ups, no new frames (loop stopped),
    // then end the sessions (a command still unanswered becomes timeout),
    // then finish queued work, which records that and the disconnections.
    central_.locks().set_claimed_command_sink(nullptr);
    dispatcher_.stop();
    gateway_.close_all();
    work_.stop();
  }

  void run() {
    core::log(core::LogLevel::Notice, "listening",
              fmt::format("chargelock: ocpp ws listening on {}:{}", config_.ocpp_listen.host,
                          server_.plain_port()));
    if (config_.ocpp_tls_listen)
      core::log(core::LogLevel::Notice, "listening",
                fmt::format("chargelock: ocpp wss listening on {}:{}",
                            config_.ocpp_tls_listen->host, server_.tls_port()));
    schedule_directory_refresh();
    schedule_last_seen_flush();
    dispatcher_.start();
    // A lock's fan-out in this process claims our idle piles' commands at
    // once and hands them to the dispatcher (no claim round trip).
    central_.locks().set_claimed_command_sink(&dispatcher_);
    if (config_.loop_realtime_priority > 0)
      core::run_this_thread_in_realtime(config_.loop_realtime_priority, "the ocpp loop");
    server_.run();
  }

  void reload_certificates() { server_.reload_certificates(); }

  // Stops accepting piles (503) and sending commands (they stay queued for
  // the node the piles reconnect to), lets the CALLs being handled finish
  // and their answers go out and the commands already sent be answered,
  // closes every pile with 1001 Going Away, then ends the loop. Queued work
  // still runs after (see ~Impl). Thread-safe and idempotent.

  void stop() {
    if (stopping_.exchange(true)) return;
    central_.locks().set_claimed_command_sink(nullptr);  // fan-outs queue for the next node
    server_.post([this] {
      server_.stop_accepting();
      dispatcher_.stop_sending();
      await_calls(std::chrono::steady_clock::now());
    });
  }

 private:
  // A pile's VehicleLocked (Lane::Immediate) on a thread and connection of
  // its own, never behind a bulk group; the bulk workers below the loop.
  static core::WorkQueue::Options work_options(const Config& config) {
    core::WorkQueue::Options options;
    options.immediate_worker = true;
    options.bulk_nice = config.worker_nice;
    options.immediate_realtime_priority = config.loop_realtime_priority;
    options.thread_name = "ocpp";
    return options;
  }

  static ocpp::SessionOptions session_options(const Config& config) {
    ocpp::SessionOptions options;
    options.call_timeout = std::chrono::seconds(config.call_timeout_s);
    if (config.assume_utc_timestamps) options.missing_offset = base::MissingOffset::AssumeUtc;
    return options;
  }

  static ocpp::CommandDispatcherOptions dispatcher_options(const Config& config,
                                                           core::CentralSystem& central) {
    ocpp::CommandDispatcherOptions options;
    // A sent command unanswered this long has lost its node (crash, restart).
    options.stale_after = std::chrono::seconds(config.call_timeout_s) + std::chrono::seconds(10);
    options.on_thread_exit = [&central] { central.stores().release_thread_connection(); };
    options.after_sweep = [&central] { central.locks().sweep(); };
    return options;
  }

  void schedule_directory_refresh() {
    server_.schedule(kDirectoryRefresh, [this] {
      work_.submit("directory", [this] {
        try {
          central_.directory().reload();
        } catch (const std::exception& error) {
          core::log(core::LogLevel::Error, "directory_refresh_failed",
                    fmt::format("chargelock: directory refresh failed: {}", error.what()));
        }
      });
      schedule_directory_refresh();
    });
  }

  void await_calls(std::chrono::steady_clock::time_point since) {  // loop
    // The piles' CALLs being handled, and the commands sent to piles whose
    // answers are awaited (closing first would make them timeouts).
    const std::size_t in_flight = gateway_.calls_in_flight() + dispatcher_.commands_in_flight();
    const auto waited = std::chrono::steady_clock::now() - since;
    if ((waited >= kDrainSettle && in_flight == 0) || waited >= kDrainCalls) {
      if (in_flight > 0)
        core::log(core::LogLevel::Warn, "calls_unanswered",
                  fmt::format("chargelock: stopping with {} call(s) or command(s) unanswered",
                              in_flight));
      server_.close_all(kGoingAway);
      await_closed(std::chrono::steady_clock::now());
      return;
    }
    server_.schedule(kDrainPoll, [this, since] { await_calls(since); });
  }

  void await_closed(std::chrono::steady_clock::time_point since) {  // loop
    if (server_.session_count() == 0 || std::chrono::steady_clock::now() - since >= kDrainClose) {
      server_.stop();
      return;
    }
    server_.schedule(kDrainPoll, [this, since] { await_closed(since); });
  }

  void schedule_last_seen_flush() {
    server_.schedule(kLastSeenFlush, [this] {
      gateway_.flush_seen();
      // Passwords verified meanwhile, so a restart of this node does not
      // hash them again (core/verified_credentials.h).
      work_.submit("verified-credentials", [this] {
        try {
          central_.directory().save_verified();
        } catch (const std::exception& error) {
          core::log(
              core::LogLevel::Error, "verified_credentials_save_failed",
              fmt::format("chargelock: saving verified credentials failed: {}", error.what()));
        }
      });
      schedule_last_seen_flush();
    });
  }

  const Config& config_;
  core::CentralSystem& central_;
  ocpp::ActionRegistry actions_;
  core::WorkQueue work_;
  ocpp::ChargePointGateway gateway_;
  ocpp::OcppServer server_;
  ocpp::CommandDispatcher dispatcher_;  // after server_: destroyed first
  std::atomic<bool> stopping_{false};
};

OcppNode::OcppNode(const Config& config, core::CentralSystem& central, std::function<bool()> ready)
    : impl_(std::make_unique<Impl>(config, central, std::move(ready))) {}
OcppNode::~OcppNode() = default;
void OcppNode::run() { impl_->run(); }
void OcppNode::stop() { impl_->stop(); }
void OcppNode::reload_certificates() { impl_->reload_certificates(); }

}  // namespace chargelock::app
