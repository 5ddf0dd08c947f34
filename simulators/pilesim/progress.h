// What pilesim tells its user while it runs: event lines (held vehicles,
// refusals, boot results) on stderr and a live progress line when stderr is
// a terminal. The end-of-run summary is run_summary.h.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "simulators/pilesim/charge_point.h"
#include "simulators/pilesim/stats.h"

namespace chargelock::pilesim {

// A snapshot of the piles' current state.
struct Gauges {
  std::size_t piles = 0;
  std::size_t standard = 0;   // piles without the lock extension
  std::size_t connected = 0;  // websocket up
  std::size_t booted = 0;     // BootNotification accepted
  std::size_t charging = 0;   // connectors with a running transaction
  std::size_t held = 0;       // connectors holding a locked vehicle
  std::size_t armed = 0;      // piles with at least one armed lock
  std::size_t queued = 0;     // CALLs waiting to be sent
};

class Reporter : public EventSink {
 public:
  // `live`: draw a progress line (only sensible on a terminal); `quiet`: no
  // event lines.
  Reporter(std::FILE* out, bool live, bool quiet, std::int64_t start_ms);

  void note(std::string_view pile_id, std::string_view text) override;
  void line(std::string_view text);  // a line of its own (not from a pile)
  void progress(const Gauges& gauges, const Stats& stats, std::int64_t now_ms);
  void clear();  // removes the progress line

 private:
  std::FILE* out_;
  bool live_;
  bool quiet_;
  bool drawn_ = false;
  std::int64_t start_ms_;
  std::int64_t last_ms_ = 0;
  std::uint64_t last_frames_ = 0;
};

// The piles' state now.
Gauges gauges_of(const std::vector<ChargePoint>& piles);

}  // namespace chargelock::pilesim
