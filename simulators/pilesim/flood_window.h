// The --flood part of a run around FloodDriver (flood.h): opens the window
// once every pile has booted (or --flood-wait seconds into the run), feeds
// the piles while it is open, takes pilesim's own CPU time at both ends, and
// says when a run without --duration may end (every answer in, or the call
// timeout passed since the window closed).
//
// Threading: the event loop thread (PileNetwork::every); read the figures
// once the loop has stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "simulators/pilesim/flood.h"
#include "simulators/pilesim/options.h"
#include "simulators/pilesim/progress.h"

namespace chargelock::pilesim {

class FloodWindow {
 public:
  // REQUIRES: options.flood names a flood kind (parse_options checked it).
  // `piles` and `reporter` must outlive the window.
  FloodWindow(const Options& options, std::vector<ChargePoint>& piles, Reporter& reporter);
  FloodWindow(const FloodWindow&) = delete;
  FloodWindow& operator=(const FloodWindow&) = delete;

  // One turn (every 250 ms): `elapsed_s` since the run began, `all_booted`
  // once every pile has booted; `pump` is called with each pile given a
  // call. Returns true when the run should end now.
  bool step(std::int64_t now_ms, double elapsed_s, bool all_booted,
            const std::function<void(std::size_t pile)>& pump);

  const FloodDriver& driver() const { return driver_; }
  // pilesim's CPU time inside the window (up to `now` while it is open).
  CpuTime cpu_in_window(const CpuTime& now) const;

 private:
  FloodDriver driver_;
  Reporter& reporter_;
  std::string kind_;
  double duration_s_;
  double wait_s_;
  std::int64_t call_timeout_ms_;
  bool stops_run_;  // no --duration: the run ends with the flood
  CpuTime cpu_start_;
  std::optional<CpuTime> cpu_end_;
  std::int64_t closed_ms_ = 0;
};

}  // namespace chargelock::pilesim
