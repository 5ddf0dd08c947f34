#include "simulators/pilesim/fleet_setup.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "base/pattern.h"

namespace chargelock::pilesim {

std::vector<ChargePoint> build_piles(const Options& options, Stats& stats, Reporter& reporter) {
  std::vector<ChargePoint> piles;
  piles.reserve(static_cast<std::size_t>(options.count));
  std::unordered_map<std::string, int> numbers;
  int extension_piles = 0;
  for (int i = 0; i < options.count; ++i) {
    PileConfig config;
    config.id = base::expand_pattern(options.id_pattern, options.first + i);
    config.connectors = options.connectors;
    config.lock_extension = !in_even_share(i, options.standard_fraction);
    if (config.lock_extension) {
      // Counted among the extension piles only, so that the piles that
      // cannot hold are never the standard ones (which hold nothing anyway).
      config.holds_cable = !in_even_share(extension_piles++, options.no_hold_fraction);
      config.hashed_matching = options.hashed_matching;
    }
    config.vendor = options.vendor;
    config.model = options.model;
    config.max_power_w = options.max_power_kw * 1000.0;
    config.call_timeout_ms = std::int64_t{options.call_timeout_s} * 1000;
    if (!numbers.emplace(config.id, i).second) {
      throw SetupError("--id-pattern gives the id " + config.id + " twice");
    }
    piles.emplace_back(std::move(config), stats, reporter,
                       options.seed * 2654435761u + static_cast<std::uint32_t>(i));
  }
  return piles;
}

std::vector<ResolvedAction> resolve_actions(const Scenario& scenario, const Options& options,
                                            const std::vector<ChargePoint>& piles) {
  std::unordered_map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < piles.size(); ++i) by_id.emplace(piles[i].id(), i);
  std::vector<ResolvedAction> actions;
  for (std::size_t i = 0; i < scenario.actions.size(); ++i) {
    const auto& action = scenario.actions[i];
    std::optional<std::size_t> index;
    if (const auto* id = std::get_if<std::string>(&action.pile)) {
      if (auto it = by_id.find(*id); it != by_id.end()) index = it->second;
    } else {
      const int n = std::get<int>(action.pile);
      if (n >= options.first && n < options.first + options.count) {
        index = static_cast<std::size_t>(n - options.first);
      }
    }
    const std::string where = options.scenario + ": action " + std::to_string(i + 1);
    if (!index) throw SetupError(where + " names a pile this run does not simulate");
    if (action.connector > options.connectors) {
      throw SetupError(where + " names connector " + std::to_string(action.connector) +
                       " but piles have " + std::to_string(options.connectors));
    }
    actions.push_back({action, *index});
  }
  return actions;
}

NetworkSettings network_settings(const Options& options) {
  NetworkSettings settings;
  settings.url = options.url;
  settings.ca = options.ca;
  settings.password_pattern = options.password_pattern;
  settings.cert_pattern = options.cert_pattern;
  settings.key_pattern = options.key_pattern;
  settings.first_number = options.first;
  settings.verbose = options.verbose;
  return settings;
}

}  // namespace chargelock::pilesim
