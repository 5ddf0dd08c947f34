// Plays a --scenario: each action goes to its pile once the run has lasted
// the action's `at` seconds, and what came of it is noted (a refusal counts
// in Stats::action_refusals).
//
// Threading: the event loop thread (PileNetwork::every).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "simulators/pilesim/fleet_setup.h"

namespace chargelock::pilesim {

class ScenarioPlayer {
 public:
  // `piles`, `stats` and `reporter` must outlive the player.
  ScenarioPlayer(std::vector<ResolvedAction> actions, std::vector<ChargePoint>& piles, Stats& stats,
                 Reporter& reporter, std::int64_t start_ms);

  bool empty() const { return actions_.empty(); }
  // Carries out every action due at `now_ms` in order, calling `pump` with
  // the pile's index after each.
  void step(std::int64_t now_ms, const std::function<void(std::size_t pile)>& pump);

 private:
  void play(const ResolvedAction& step, std::int64_t now_ms);

  std::vector<ResolvedAction> actions_;
  std::vector<ChargePoint>& piles_;
  Stats& stats_;
  Reporter& reporter_;
  std::int64_t start_ms_;
  std::size_t next_ = 0;
};

}  // namespace chargelock::pilesim
