#include "simulators/pilesim/scenario_player.h"

#include <string>
#include <utility>

namespace chargelock::pilesim {

ScenarioPlayer::ScenarioPlayer(std::vector<ResolvedAction> actions, std::vector<ChargePoint>& piles,
                               Stats& stats, Reporter& reporter, std::int64_t start_ms)
    : actions_(std::move(actions)),
      piles_(piles),
      stats_(stats),
      reporter_(reporter),
      start_ms_(start_ms) {}

void ScenarioPlayer::step(std::int64_t now_ms, const std::function<void(std::size_t)>& pump) {
  const double elapsed = static_cast<double>(now_ms - start_ms_) / 1000.0;
  while (next_ < actions_.size() && actions_[next_].action.at_s <= elapsed) {
    const ResolvedAction& step = actions_[next_++];
    play(step, now_ms);
    pump(step.pile);
  }
}

void ScenarioPlayer::play(const ResolvedAction& step, std::int64_t now) {
  ChargePoint& pile = piles_[step.pile];
  const ScenarioAction& a = step.action;
  ActionResult result;
  switch (a.verb) {
    case ScenarioVerb::Plug:
      result = pile.plug_in(a.connector, a.vehicle, a.auto_start, now);
      break;
    case ScenarioVerb::Unplug:
      result = pile.unplug(a.connector, now);
      break;
    case ScenarioVerb::Start:
      result = pile.start_charging(a.connector, now);
      break;
    case ScenarioVerb::Stop:
      result = pile.stop_charging(a.connector, now);
      break;
    case ScenarioVerb::Drop:
      pile.drop_connection(now);
      break;
    case ScenarioVerb::Offline:
      pile.go_offline(static_cast<std::int64_t>(a.seconds * 1000), now);
      break;
  }
  std::string text = "scenario " + std::string(to_string(a.verb));
  if (a.verb != ScenarioVerb::Drop && a.verb != ScenarioVerb::Offline) {
    text += " connector " + std::to_string(a.connector);
  }
  if (!result.ok) {
    ++stats_.action_refusals;
    text += " refused: " + result.reason;
  } else if (!result.reason.empty()) {
    text += ": " + result.reason;
  }
  reporter_.note(pile.id(), text);
}

}  // namespace chargelock::pilesim
