// Turning pilesim's options into what a run drives: the simulated piles (ids,
// connectors, which have the lock extension), the scenario's actions bound to
// those piles, and the network settings. Everything is checked before a
// single pile connects.
//
// Threading: main thread, before the event loop runs.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "simulators/pilesim/charge_point.h"
#include "simulators/pilesim/connection.h"
#include "simulators/pilesim/options.h"
#include "simulators/pilesim/progress.h"
#include "simulators/pilesim/scenario.h"

namespace chargelock::pilesim {

// A run that cannot start as asked (the message is for the user; exit 2).
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A scenario action and the index of the pile it names.
struct ResolvedAction {
  ScenarioAction action;
  std::size_t pile = 0;
};

// The piles of the run, in the order of their numbers. Throws SetupError
// when --id-pattern gives two piles the same id.
std::vector<ChargePoint> build_piles(const Options& options, Stats& stats, Reporter& reporter);

// The scenario's actions with their piles found (by id or by number).
// Throws SetupError for an action naming a pile or connector the run does
// not simulate.
std::vector<ResolvedAction> resolve_actions(const Scenario& scenario, const Options& options,
                                            const std::vector<ChargePoint>& piles);

NetworkSettings network_settings(const Options& options);

}  // namespace chargelock::pilesim
