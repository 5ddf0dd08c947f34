// The end-of-run summary pilesim prints on stdout: a text block for people
// or, with --json, one JSON object for scripts (bench/run.sh reads its
// members: keep their names).
//
// Pure functions; any thread.
#pragma once

#include <optional>
#include <string>

#include "simulators/pilesim/flood.h"
#include "simulators/pilesim/progress.h"
#include "simulators/pilesim/stats.h"

namespace chargelock::pilesim {

struct RunFigures {
  Gauges gauges;  // at the end
  Stats stats;
  double elapsed_s = 0;
  std::optional<double> all_booted_s;  // when every pile was booted at once
  CpuTime cpu;                         // the whole run
  const FloodDriver* flood = nullptr;  // null: no --flood
  CpuTime flood_cpu;                   // pilesim's CPU inside the flood window
};

std::string summary_text(const RunFigures& run);
// One object and a newline; "flood" is absent without --flood and null when
// its window never opened.
std::string summary_json(const RunFigures& run);

}  // namespace chargelock::pilesim
