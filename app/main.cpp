// chargelock: the ChargeLock central system. See `chargelock --help` and
// docs/configuration.md.
#include <signal.h>

#include <cstdio>
#include <thread>

#include "app/chargepoint_command.h"
#include "app/config.h"
#include "app/ocpp_node.h"
#include "core/central_system.h"
#include "storage/database.h"
#include "storage/database_error.h"

namespace {

using namespace chargelock;

// SIGINT/SIGTERM are blocked in every thread and taken by one thread with
// sigwait(), which may then call ordinary (not async-signal-safe) code.
sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

int serve(const app::Config& config, core::CentralSystem& central) {
  if (config.command == "api" || config.command == "serve")
    std::fprintf(stderr,
                 "chargelock: the REST API is not part of this build yet; serving OCPP only\n");
  if (config.command == "api") return 1;
  app::OcppNode node(config, central);
  const sigset_t signals = termination_signals();
  std::thread signal_thread([&node, signals] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    std::fprintf(stderr, "chargelock: stopping (signal %d)\n", signal_number);
    node.stop();
  });
  node.run();
  // run() also returns without a signal when the loop fails; wake the
  // signal thread so it can be joined.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  std::fprintf(stderr, "chargelock: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const sigset_t signals = termination_signals();
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
  try {
    storage::Database database(config.database_url);
    const int applied = database.migrate();
    if (applied > 0 || config.command == "migrate")
      std::printf("chargelock: database %s at schema version %d (%d migration(s) applied)\n",
                  database.display_url().c_str(), database.schema_version(), applied);
    if (config.command == "migrate") return 0;

    core::CentralSystemConfig central_config;
    central_config.heartbeat_interval_s = config.heartbeat_interval_s;
    central_config.auto_register = config.auto_register;
    central_config.node_id = app::node_id(config);
    central_config.message_log = config.command != "chargepoint";
    core::CentralSystem central(database, central_config);
    if (config.command == "chargepoint")
      return app::run_chargepoint_command(config.arguments, central);
    central.directory().reload();
    return serve(config, central);
  } catch (const app::ConfigError& error) {
    std::fprintf(stderr, "chargelock: error: %s\n", error.what());
    return 2;
  } catch (const storage::DatabaseError& error) {
    std::fprintf(stderr, "chargelock: database error: %s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "chargelock: error: %s\n", error.what());
    return 1;
  }
}
