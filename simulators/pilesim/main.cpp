// pilesim: runs simulated OCPP 1.6J charge points against a central system.
// Usage and flags: docs/pilesim.md or `pilesim --help`.
//
// main wires the parts: the fleet from the options (fleet_setup.h), the
// drivers on the event loop (scenario_player.h, busy.h, flood_window.h, the
// progress line), and the summary at the end (run_summary.h).
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>

#include "simulators/pilesim/busy.h"
#include "simulators/pilesim/fleet_setup.h"
#include "simulators/pilesim/flood_window.h"
#include "simulators/pilesim/run_summary.h"
#include "simulators/pilesim/scenario_player.h"

namespace pilesim = chargelock::pilesim;

namespace {

pilesim::PileNetwork* g_network = nullptr;

void on_signal(int) {
  if (g_network != nullptr) g_network->stop();
}

void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  pilesim::Options options;
  std::optional<pilesim::Scenario> scenario;
  try {
    options = pilesim::parse_options(argc, argv);
    if (options.help) {
      std::cout << pilesim::usage();
      return 0;
    }
    if (!options.scenario.empty()) scenario = pilesim::load_scenario(options.scenario);
  } catch (const std::exception& error) {
    std::cerr << "pilesim: " << error.what() << "\n";
    return 2;
  }

  // Setup: every pile and scenario reference is checked before anything
  // connects.
  pilesim::Stats stats;
  const std::int64_t start = pilesim::PileNetwork::now_ms();
  pilesim::Reporter reporter(stderr, ::isatty(STDERR_FILENO) == 1, options.quiet, start);
  std::vector<pilesim::ChargePoint> piles;
  std::vector<pilesim::ResolvedAction> actions;
  try {
    piles = pilesim::build_piles(options, stats, reporter);
    if (scenario) actions = pilesim::resolve_actions(*scenario, options, piles);
  } catch (const pilesim::SetupError& error) {
    std::cerr << "pilesim: " << error.what() << "\n";
    return 2;
  }

  raise_file_limit();
  std::signal(SIGPIPE, SIG_IGN);
  std::optional<pilesim::PileNetwork> network;
  try {
    network.emplace(pilesim::network_settings(options), piles, reporter);
  } catch (const std::exception& error) {
    std::cerr << "pilesim: " << error.what() << "\n";
    return 1;
  }
  g_network = &*network;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto pump = [&](std::size_t pile) { network->pump(pile); };

  reporter.line(std::to_string(piles.size()) + " piles (" +
                std::to_string(pilesim::gauges_of(piles).standard) +
                " without the lock extension), " + std::to_string(options.connectors) +
                " connector(s) each → " + (options.url.tls ? "wss://" : "ws://") +
                options.url.host + ":" + std::to_string(options.url.port) + options.url.path +
                "/{id}");
  for (std::size_t i = 0; i < piles.size(); ++i) {
    piles[i].power_on(start,
                      static_cast<std::int64_t>(static_cast<double>(i) * 1000.0 / options.rate));
  }

  // Drivers, all on the event loop.
  pilesim::ScenarioPlayer player(std::move(actions), piles, stats, reporter, start);
  if (!player.empty()) {
    network->every(100, [&](std::int64_t now) { player.step(now, pump); });
  }

  std::optional<pilesim::BusyDriver> busy;
  if (options.busy) {
    busy.emplace(piles.size(), options.connectors, options.busy_idle_s, options.busy_session_s,
                 options.seed, start, options.busy_tags);
    network->every(1000, [&](std::int64_t now) {
      for (std::size_t i = 0; i < piles.size(); ++i) {
        if (busy->step(i, piles[i], now)) network->pump(i);
      }
    });
  }

  network->every(
      1000, [&](std::int64_t now) { reporter.progress(pilesim::gauges_of(piles), stats, now); });

  // The time until every pile was booted at once (the boot storm), and the
  // round-trip load mode.
  std::optional<double> all_booted_s;
  std::optional<pilesim::FloodWindow> flood;
  if (!options.flood.empty()) flood.emplace(options, piles, reporter);
  network->every(250, [&](std::int64_t now) {
    const double elapsed = static_cast<double>(now - start) / 1000.0;
    if (!all_booted_s && pilesim::gauges_of(piles).booted == piles.size()) {
      all_booted_s = elapsed;
      reporter.line("all " + std::to_string(piles.size()) + " piles booted after " +
                    std::to_string(*all_booted_s) + " s");
    }
    if (flood && flood->step(now, elapsed, all_booted_s.has_value(), pump)) network->stop();
  });

  double duration = options.duration_s;
  if (duration <= 0 && scenario && scenario->duration_s) duration = *scenario->duration_s;
  if (duration > 0) {
    network->every(static_cast<std::int64_t>(duration * 1000),
                   [&](std::int64_t) { network->stop(); });
  }

  network->run();

  // Summary.
  pilesim::RunFigures run;
  run.elapsed_s = static_cast<double>(pilesim::PileNetwork::now_ms() - start) / 1000.0;
  reporter.clear();
  run.gauges = pilesim::gauges_of(piles);
  g_network = nullptr;
  run.stats = stats;
  run.all_booted_s = all_booted_s;
  run.cpu = pilesim::cpu_time();
  if (flood) {
    run.flood = &flood->driver();
    run.flood_cpu = flood->cpu_in_window(run.cpu);
  }
  const std::string summary =
      options.json ? pilesim::summary_json(run) : pilesim::summary_text(run);
  flood.reset();
  network.reset();
  std::cout << summary;
  return stats.boots_accepted > 0 ? 0 : 1;
}
