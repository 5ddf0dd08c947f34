// Round-trip load mode (`--flood heartbeat|status|meter`): every booted pile
// sends one CALL after another, one outstanding at a time as OCPP requires,
// for a window of --flood-duration seconds. The window opens once every pile
// is booted (or --flood-wait seconds after start, with whichever piles are
// booted by then). After it closes no new CALL is sent; the calls still in
// flight are waited for (at most the call timeout).
//
// Latency is measured per CALL from the moment the pile queued it (it is
// sent in the same event-loop turn: the pile had nothing else in flight) to
// the moment its answer was handled, with a steady microsecond clock.
// Throughput is the number of answers received inside the window divided
// by the window's length.
//
// FloodDriver owns no sockets: it queues calls on ChargePoints and is told
// about answers through CallObserver, so tests drive it with a fake clock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulators/pilesim/charge_point.h"
#include "simulators/pilesim/latency_histogram.h"

namespace chargelock::base {
class JsonWriter;
}

namespace chargelock::pilesim {

enum class FloodKind { None, Heartbeat, Status, Meter };
std::optional<FloodKind> parse_flood_kind(std::string_view text);
std::string_view to_string(FloodKind kind);

struct FloodSettings {
  FloodKind kind = FloodKind::None;
  double duration_s = 30;  // length of the measuring window
  double wait_s = 600;     // longest wait for every pile to be booted
  int samples = 4;         // sampled values per MeterValues (1..8)
};

struct FloodCall {
  std::string action;
  std::string payload;  // JSON text
};

// The `sequence`-th call of a pile: Heartbeat {}, StatusNotification of
// connector 1 (Available, NoError, timestamp `now_ms`) or MeterValues of
// connector 1 with `samples` sampled values (no transaction), the energy
// register growing with `sequence`.
FloodCall flood_call(FloodKind kind, std::uint64_t sequence, std::int64_t now_ms, int samples);

// CPU time of this process so far (getrusage), seconds.
struct CpuTime {
  double user_s = 0;
  double system_s = 0;
  long max_rss_kb = 0;
};
CpuTime cpu_time();

class FloodDriver : public CallObserver {
 public:
  using Clock = std::function<std::int64_t()>;  // microseconds, monotonic
  // Registers itself as the observer of every pile. `piles` must outlive it.
  FloodDriver(FloodSettings settings, std::vector<ChargePoint>& piles, Clock clock = {});
  ~FloodDriver() override;
  FloodDriver(const FloodDriver&) = delete;
  FloodDriver& operator=(const FloodDriver&) = delete;

  const FloodSettings& settings() const { return settings_; }
  static std::int64_t steady_us();

  // Opens the window now. Afterwards feed() queues calls.
  void begin(std::int64_t wall_ms);
  bool begun() const { return begun_; }
  // True while the window is open.
  bool running() const;
  // The window is closed and no flood call is outstanding any more.
  bool done() const;
  std::size_t outstanding() const { return outstanding_; }

  // Queues the next call on every idle pile that has none (new piles, piles
  // that reconnected, piles whose call was lost with the connection).
  // Returns the indices of piles given a call, to be pumped by the caller.
  std::vector<std::size_t> feed(std::int64_t wall_ms);

  void on_call_done(std::uint32_t tag, CallOutcome outcome, std::int64_t now_ms) override;

  // Figures (valid any time; final once done()).
  std::uint64_t sent() const { return sent_; }
  std::uint64_t answered() const { return answered_; }
  std::uint64_t answered_in_window() const { return answered_in_window_; }
  std::uint64_t call_errors() const { return errors_; }
  std::uint64_t timeouts() const { return timeouts_; }
  std::uint64_t samples_sent() const;      // MeterValues: sampled values sent
  std::uint64_t samples_answered() const;  // … in calls that got a CALLRESULT
  double window_s() const;                 // the window's real length so far
  double per_second() const;               // answered_in_window / window_s
  const LatencyHistogram& latency() const { return latency_; }
  std::size_t piles_flooding() const;  // piles that sent at least one call

  // The "flood" member of the --json summary (an object, written as the
  // value after out's key), and a text block. `cpu` is pilesim's own CPU
  // time spent inside the window.
  void write_json(base::JsonWriter& out, const CpuTime& cpu) const;
  std::string text(const CpuTime& cpu) const;

 private:
  bool send(std::size_t index, std::int64_t wall_ms);

  FloodSettings settings_;
  std::vector<ChargePoint>& piles_;
  Clock clock_;
  std::vector<std::int64_t> sent_at_;  // per pile; -1: nothing outstanding
  std::vector<std::uint64_t> sequence_;
  bool begun_ = false;
  std::int64_t start_us_ = 0;
  std::int64_t end_us_ = 0;
  std::int64_t start_wall_ms_ = 0;
  std::size_t outstanding_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t answered_ = 0;
  std::uint64_t answered_in_window_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t timeouts_ = 0;
  LatencyHistogram latency_;
};

}  // namespace chargelock::pilesim
