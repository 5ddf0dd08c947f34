// pilesim: runs simulated OCPP 1.6J charge points against a central system.
// Usage and flags: docs/pilesim.md or `pilesim --help`.
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/pattern.h"
#include "simulators/pilesim/busy.h"
#include "simulators/pilesim/charge_point.h"
#include "simulators/pilesim/connection.h"
#include "simulators/pilesim/flood.h"
#include "simulators/pilesim/options.h"
#include "simulators/pilesim/progress.h"
#include "simulators/pilesim/scenario.h"

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

pilesim::Gauges gauges_of(const std::vector<pilesim::ChargePoint>& piles) {
  pilesim::Gauges g;
  g.piles = piles.size();
  for (const auto& pile : piles) {
    if (!pile.has_lock_extension()) ++g.standard;
    if (pile.link() == pilesim::LinkState::Up) ++g.connected;
    if (pile.registration() == pilesim::Registration::Accepted) ++g.booted;
    if (!pile.watch_list().empty()) ++g.armed;
    g.queued += pile.queued_calls();
    for (int c = 1; c <= pile.connector_count(); ++c) {
      if (pile.charging(c)) ++g.charging;
      if (!pile.held_by(c).empty()) ++g.held;
    }
  }
  return g;
}

struct ResolvedAction {
  pilesim::ScenarioAction action;
  std::size_t pile = 0;
};

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

  // Build the piles.
  std::vector<pilesim::ChargePoint> piles;
  piles.reserve(static_cast<std::size_t>(options.count));
  pilesim::Stats stats;
  const std::int64_t start = pilesim::PileNetwork::now_ms();
  pilesim::Reporter reporter(stderr, ::isatty(STDERR_FILENO) == 1, options.quiet, start);
  std::unordered_map<std::string, std::size_t> by_id;
  int extension_piles = 0;
  for (int i = 0; i < options.count; ++i) {
    pilesim::PileConfig config;
    config.id = chargelock::base::expand_pattern(options.id_pattern, options.first + i);
    config.connectors = options.connectors;
    config.lock_extension = !pilesim::in_even_share(i, options.standard_fraction);
    if (config.lock_extension) {
      // Counted among the extension piles only, so that the piles that
      // cannot hold are never the standard ones (which hold nothing anyway).
      config.holds_cable = !pilesim::in_even_share(extension_piles++, options.no_hold_fraction);
      config.hashed_matching = options.hashed_matching;
    }
    config.vendor = options.vendor;
    config.model = options.model;
    config.max_power_w = options.max_power_kw * 1000.0;
    config.call_timeout_ms = std::int64_t{options.call_timeout_s} * 1000;
    if (!by_id.emplace(config.id, piles.size()).second) {
      std::cerr << "pilesim: --id-pattern gives the id " << config.id << " twice\n";
      return 2;
    }
    piles.emplace_back(std::move(config), stats, reporter,
                       options.seed * 2654435761u + static_cast<std::uint32_t>(i));
  }

  // Resolve the scenario's pile references before anything connects.
  std::vector<ResolvedAction> actions;
  if (scenario) {
    for (std::size_t i = 0; i < scenario->actions.size(); ++i) {
      const auto& action = scenario->actions[i];
      std::optional<std::size_t> index;
      if (const auto* id = std::get_if<std::string>(&action.pile)) {
        if (auto it = by_id.find(*id); it != by_id.end()) index = it->second;
      } else {
        const int n = std::get<int>(action.pile);
        if (n >= options.first && n < options.first + options.count) {
          index = static_cast<std::size_t>(n - options.first);
        }
      }
      if (!index) {
        std::cerr << "pilesim: " << options.scenario << ": action " << i + 1
                  << " names a pile this run does not simulate\n";
        return 2;
      }
      if (action.connector > options.connectors) {
        std::cerr << "pilesim: " << options.scenario << ": action " << i + 1 << " names connector "
                  << action.connector << " but piles have " << options.connectors << "\n";
        return 2;
      }
      actions.push_back({action, *index});
    }
  }

  raise_file_limit();
  std::signal(SIGPIPE, SIG_IGN);
  std::optional<pilesim::PileNetwork> network;
  try {
    pilesim::NetworkSettings settings;
    settings.url = options.url;
    settings.ca = options.ca;
    settings.password_pattern = options.password_pattern;
    settings.cert_pattern = options.cert_pattern;
    settings.key_pattern = options.key_pattern;
    settings.first_number = options.first;
    settings.verbose = options.verbose;
    network.emplace(settings, piles, reporter);
  } catch (const std::exception& error) {
    std::cerr << "pilesim: " << error.what() << "\n";
    return 1;
  }
  g_network = &*network;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  const std::size_t standard = gauges_of(piles).standard;
  reporter.line(std::to_string(piles.size()) + " piles (" + std::to_string(standard) +
                " without the lock extension), " + std::to_string(options.connectors) +
                " connector(s) each → " + (options.url.tls ? "wss://" : "ws://") +
                options.url.host + ":" + std::to_string(options.url.port) + options.url.path +
                "/{id}");
  for (std::size_t i = 0; i < piles.size(); ++i) {
    piles[i].power_on(start,
                      static_cast<std::int64_t>(static_cast<double>(i) * 1000.0 / options.rate));
  }

  if (!actions.empty()) {
    auto next = std::make_shared<std::size_t>(0);
    network->every(100, [&, next](std::int64_t now) {
      const double elapsed = static_cast<double>(now - start) / 1000.0;
      while (*next < actions.size() && actions[*next].action.at_s <= elapsed) {
        const ResolvedAction& step = actions[(*next)++];
        pilesim::ChargePoint& pile = piles[step.pile];
        const auto& a = step.action;
        pilesim::ActionResult result;
        switch (a.verb) {
          case pilesim::ScenarioVerb::Plug:
            result = pile.plug_in(a.connector, a.vehicle, a.auto_start, now);
            break;
          case pilesim::ScenarioVerb::Unplug:
            result = pile.unplug(a.connector, now);
            break;
          case pilesim::ScenarioVerb::Start:
            result = pile.start_charging(a.connector, now);
            break;
          case pilesim::ScenarioVerb::Stop:
            result = pile.stop_charging(a.connector, now);
            break;
          case pilesim::ScenarioVerb::Drop:
            pile.drop_connection(now);
            break;
          case pilesim::ScenarioVerb::Offline:
            pile.go_offline(static_cast<std::int64_t>(a.seconds * 1000), now);
            break;
        }
        std::string text = "scenario " + std::string(pilesim::to_string(a.verb));
        if (a.verb != pilesim::ScenarioVerb::Drop && a.verb != pilesim::ScenarioVerb::Offline) {
          text += " connector " + std::to_string(a.connector);
        }
        if (!result.ok) {
          ++stats.action_refusals;
          text += " refused: " + result.reason;
        } else if (!result.reason.empty()) {
          text += ": " + result.reason;
        }
        reporter.note(pile.id(), text);
        network->pump(step.pile);
      }
    });
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

  network->every(1000, [&](std::int64_t now) { reporter.progress(gauges_of(piles), stats, now); });

  // Time until every pile was booted at once (the boot storm), and the
  // round-trip load mode.
  std::optional<double> all_booted_s;
  std::optional<pilesim::FloodDriver> flood;
  pilesim::CpuTime flood_cpu_start;
  std::optional<pilesim::CpuTime> flood_cpu_end;
  std::int64_t flood_closed_ms = 0;
  if (!options.flood.empty()) {
    pilesim::FloodSettings settings;
    settings.kind = *pilesim::parse_flood_kind(options.flood);
    settings.duration_s = options.flood_duration_s;
    settings.wait_s = options.flood_wait_s;
    settings.samples = options.flood_samples;
    flood.emplace(settings, piles);
  }
  network->every(250, [&](std::int64_t now) {
    if (!all_booted_s && gauges_of(piles).booted == piles.size()) {
      all_booted_s = static_cast<double>(now - start) / 1000.0;
      reporter.line("all " + std::to_string(piles.size()) + " piles booted after " +
                    std::to_string(*all_booted_s) + " s");
    }
    if (!flood) return;
    const double elapsed = static_cast<double>(now - start) / 1000.0;
    if (!flood->begun()) {
      if (!all_booted_s && elapsed < options.flood_wait_s) return;
      flood_cpu_start = pilesim::cpu_time();
      flood->begin(now);
      reporter.line("flood " + options.flood + " begins for " +
                    std::to_string(options.flood_duration_s) + " s");
    }
    if (flood->running()) {
      for (std::size_t index : flood->feed(now)) network->pump(index);
      return;
    }
    if (!flood_cpu_end) {
      flood_cpu_end = pilesim::cpu_time();
      flood_closed_ms = now;
      reporter.line("flood window over, waiting for " + std::to_string(flood->outstanding()) +
                    " answers");
    }
    // Without --duration the run ends once every answer is in (or could
    // no longer come: the call timeout has passed).
    if (options.duration_s <= 0 &&
        (flood->done() || now - flood_closed_ms > std::int64_t{options.call_timeout_s} * 1000)) {
      network->stop();
    }
  });

  double duration = options.duration_s;
  if (duration <= 0 && scenario && scenario->duration_s) duration = *scenario->duration_s;
  if (duration > 0) {
    network->every(static_cast<std::int64_t>(duration * 1000),
                   [&](std::int64_t) { network->stop(); });
  }

  network->run();
  const double elapsed = static_cast<double>(pilesim::PileNetwork::now_ms() - start) / 1000.0;
  reporter.clear();
  const pilesim::Gauges gauges = gauges_of(piles);
  g_network = nullptr;
  const pilesim::CpuTime cpu = pilesim::cpu_time();
  pilesim::CpuTime flood_cpu;
  if (flood && flood->begun()) {
    const pilesim::CpuTime end = flood_cpu_end.value_or(cpu);
    flood_cpu.user_s = end.user_s - flood_cpu_start.user_s;
    flood_cpu.system_s = end.system_s - flood_cpu_start.system_s;
  }
  std::string summary = options.json ? pilesim::summary_json(gauges, stats, elapsed)
                                     : pilesim::summary_text(gauges, stats, elapsed);
  if (options.json) {
    summary = pilesim::add_json_member(summary, "allBootedSeconds",
                                       all_booted_s ? std::to_string(*all_booted_s) : "null");
    summary = pilesim::add_json_member(summary, "cpuUserSeconds", std::to_string(cpu.user_s));
    summary = pilesim::add_json_member(summary, "cpuSystemSeconds", std::to_string(cpu.system_s));
    summary = pilesim::add_json_member(summary, "maxRssKb", std::to_string(cpu.max_rss_kb));
    if (flood) {
      summary = pilesim::add_json_member(summary, "flood",
                                         flood->begun() ? flood->json(flood_cpu) : "null");
    }
  } else {
    summary += "  resources    " +
               (all_booted_s ? "all booted after " + std::to_string(*all_booted_s) + " s, "
                             : std::string("not all booted, ")) +
               "CPU " + std::to_string(cpu.user_s) + " s user + " + std::to_string(cpu.system_s) +
               " s system, max RSS " + std::to_string(cpu.max_rss_kb) + " KB\n";
    if (flood && flood->begun()) summary += flood->text(flood_cpu);
  }
  flood.reset();
  network.reset();
  std::cout << summary;
  return stats.boots_accepted > 0 ? 0 : 1;
}
