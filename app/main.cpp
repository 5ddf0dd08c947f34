// chargelock: the ChargeLock central system. See `chargelock --help` and
// docs/configuration.md.
#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "app/api_node.h"
#include "app/autogroup.h"
#include "app/chargepoint_command.h"
#include "app/config.h"
#include "app/memory_trimmer.h"
#include "app/metrics_listener.h"
#include "app/ocpp_node.h"
#include "app/partition_upkeep.h"
#include "app/periodic_task.h"
#include "app/process_metrics.h"
#include "core/central_system.h"
#include "core/domain_errors.h"
#include "core/log.h"
#include "core/readiness.h"
#include "core/time_source.h"
#include "ocpp/command_validator.h"
#include "storage/database.h"

namespace {

using namespace chargelock;

// SIGINT/SIGTERM (stop) and SIGHUP (re-read the TLS certificates, keys and
// the client CA bundle) are
// blocked in every thread and taken by one thread with sigwait(), which may
// then call ordinary (not async-signal-safe) code.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// `serve` runs the OCPP node and the API (each with its own loop thread);
// `ocpp` and `api` run one of them. The signal thread stops everything; a
// loop that ends on its own (failure) stops the others too.
int serve(const app::Config& config, core::CentralSystem& central, storage::Database& database) {
  core::MetricsRegistry metrics;  // outlives the nodes and the listener below
  // One probe answers /readyz for both roles (its own connection).
  core::ReadinessProbe::Options probe_options;
  probe_options.on_thread_exit = [&central] { central.stores().release_thread_connection(); };
  core::ReadinessProbe readiness(core::ReadinessProbe::database_check(central.stores()),
                                 probe_options);
  const auto ready = [&readiness] { return readiness.ready(); };
  std::unique_ptr<app::OcppNode> node;
  std::unique_ptr<app::ApiNode> api;
  if (config.command != "api") node = std::make_unique<app::OcppNode>(config, central, ready);
  if (config.command != "ocpp")
    api = std::make_unique<app::ApiNode>(config, central, ready, &metrics);
  app::add_process_metrics(metrics, database, node != nullptr, api.get());
  std::unique_ptr<app::MetricsListener> metrics_listener;
  if (config.metrics_listen)
    metrics_listener = std::make_unique<app::MetricsListener>(*config.metrics_listen, metrics);
  const auto stop_all = [&node, &api] {
    if (node) node->stop();
    if (api) api->stop();
  };
  // The resident set follows the live heap after bursts (boot storms,
  // lock fan-outs) instead of creeping towards their size.
  std::optional<app::MemoryTrimmer> trimmer;
  if (config.memory_trim_interval_s > 0)
    trimmer.emplace(std::chrono::seconds(config.memory_trim_interval_s));
  // The day partitions of the message log and the meter values: created a
  // week ahead, and the days past their retention dropped, by every OCPP
  // node (they take turns in the database).
  std::optional<app::PartitionUpkeep> partition_upkeep;
  if (node)
    partition_upkeep.emplace(central.stores(), core::system_time(),
                             app::PartitionUpkeep::Retention{config.message_log_retention_days,
                                                             config.meter_values_retention_days});
  // The group commits' markers left behind (a marker is read only within
  // seconds of its commit, after an in-doubt COMMIT; ten minutes is ample),
  // deleted by every OCPP node every 15 minutes.
  std::optional<app::PeriodicTask> commit_markers;
  if (node)
    commit_markers.emplace(
        std::chrono::minutes(15),
        [&database] {
          try {
            database.forget_commit_markers(std::chrono::minutes(10));
          } catch (const std::exception& error) {
            core::log(core::LogLevel::Warn, "commit_markers",
                      fmt::format("chargelock: old commit markers not deleted: {}", error.what()));
          }
        },
        app::PeriodicTask::FirstRun::AtStart,
        [&central] { central.stores().release_thread_connection(); });
  const sigset_t signals = handled_signals();
  std::thread signal_thread([&stop_all, &node, &api, signals] {
    int signal_number = 0;
    while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
      // Certificate rotation without dropping connected piles.
      if (node) node->reload_certificates();
      if (api) api->reload_certificates();
    }
    core::log(core::LogLevel::Notice, "stopping",
              fmt::format("chargelock: stopping (signal {})", signal_number));
    stop_all();
  });
  std::thread api_thread;
  if (node && api) {
    api_thread = std::thread([&api, &stop_all] {
      api->run();
      stop_all();
    });
    node->run();
  } else if (node) {
    node->run();
  } else {
    api->run();
  }
  stop_all();
  if (api_thread.joinable()) api_thread.join();
  // run() also returns without a signal when the loop fails; wake the
  // signal thread so it can be joined.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  core::log(core::LogLevel::Notice, "stopped", "chargelock: stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  app::ParseResult parsed;
  try {
    parsed = app::parse_config(argc, argv);
  } catch (const app::ConfigError& error) {
    std::fprintf(stderr, "chargelock: error: %s\n", error.what());
    return 2;
  }
  if (parsed.wants_help) {
    std::fputs(app::usage().c_str(), stdout);
    return 0;
  }
  const app::Config& config = parsed.config;
  core::LogLevel level = core::LogLevel::Info;
  core::parse_log_level(config.log_level, level);  // checked by parse_config
  core::configure_logging(config.log_format, level, app::node_id(config));
  // A database host that drops packets would otherwise hold every connection
  // attempt for the kernel's TCP timeout (minutes): at start that looks like
  // a hang, during an outage it holds a worker. A URL's own connect_timeout
  // still wins (libpq reads this variable only as the default).
  setenv("PGCONNECT_TIMEOUT", "10", 0);
  try {
    storage::Database database(config.database_url);
    const int applied = database.migrate();
    if (applied > 0 || config.command == "migrate")
      core::log(
          core::LogLevel::Info, "migrated",
          fmt::format("chargelock: database {} at schema version {} ({} migration(s) applied)",
                      database.display_url(), database.schema_version(), applied));
    if (config.command == "migrate") return 0;

    core::CentralSystemConfig central_config;
    central_config.heartbeat_interval_s = config.heartbeat_interval_s;
    central_config.auto_register = config.auto_register;
    central_config.allow_unauthenticated_piles = config.allow_unauthenticated_piles;
    central_config.low_battery_threshold = config.low_battery_threshold;
    central_config.vehicles_per_owner = config.vehicles_per_owner;
    central_config.lock_requests_per_hour = config.lock_requests_per_hour;
    central_config.node_id = app::node_id(config);
    central_config.message_log_nice = config.worker_nice;
    central_config.message_log = config.command != "chargepoint" && config.command != "api";
    if (config.secret_key) {
      central_config.secrets = core::SecretBox(*config.secret_key);
    } else if (config.command != "chargepoint") {
      core::log(core::LogLevel::Warn, "secret_key_missing",
                "chargelock: warning: no CHARGELOCK_SECRET_KEY / --secret-key-file: a queued "
                "AuthorizationKey is kept in clear in the database until it is delivered");
    }
    // Before any thread starts; the threads' own priorities come with them.
    if (config.autogroup_nice != 0 && config.command != "chargepoint")
      app::apply_autogroup_nice(config.autogroup_nice);
    core::CentralSystem central(database, central_config);
    const ocpp::OcppCommandValidator command_validator;
    central.set_command_validator(&command_validator);
    if (config.command == "chargepoint")
      return app::run_chargepoint_command(config.arguments, central);
    central.directory().reload();
    return serve(config, central, database);
  } catch (const app::ConfigError& error) {
    core::log(core::LogLevel::Error, "fatal", fmt::format("chargelock: error: {}", error.what()));
    return 2;
  } catch (const core::DatabaseError& error) {
    core::log(core::LogLevel::Error, "fatal",
              fmt::format("chargelock: database error: {}", error.what()));
    return 1;
  } catch (const std::exception& error) {
    core::log(core::LogLevel::Error, "fatal", fmt::format("chargelock: error: {}", error.what()));
    return 1;
  }
}
