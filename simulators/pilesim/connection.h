// The libwebsockets client glue: one lws context and one event loop thread
// for all simulated piles. It owns no OCPP logic; for each pile it
//   - opens and closes the websocket when the pile asks to
//     (subprotocol ocpp1.6, URL = --url + "/" + pile id, HTTP Basic auth
//     when a password pattern is set, TLS that always verifies the server,
//     client certificates for security profile 3),
//   - feeds received text frames, connects and disconnects to the pile,
//   - writes the pile's outgoing frames, one per writeable callback,
//   - wakes each pile at its next_wakeup() (one heap, one lws timer).
// Everything runs on the thread that calls run(); stop() may also be called
// from a signal handler.
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "simulators/pilesim/charge_point.h"
#include "simulators/pilesim/options.h"
#include "simulators/pilesim/progress.h"

namespace chargelock::pilesim {

struct NetworkSettings {
  Url url;
  std::string ca;                // PEM file; empty: the system's trust store
  std::string password_pattern;  // {n}: the pile's number
  std::string cert_pattern;      // profile 3
  std::string key_pattern;
  int first_number = 1;  // {n} of piles[0]
  bool verbose = false;
};

class PileNetwork {
 public:
  // `piles` must outlive the network and keep its size. Throws
  // std::runtime_error when the lws context or a TLS vhost cannot be made
  // (e.g. an unreadable certificate).
  PileNetwork(const NetworkSettings& settings, std::vector<ChargePoint>& piles, Reporter& reporter);
  ~PileNetwork();
  PileNetwork(const PileNetwork&) = delete;
  PileNetwork& operator=(const PileNetwork&) = delete;

  // Carries out pile `index`'s effects; call after every event given to it.
  void pump(std::size_t index);
  // Calls `fn` every `interval_ms` (first call after one interval).
  void every(std::int64_t interval_ms, std::function<void(std::int64_t now)> fn);
  // Services the event loop until stop().
  void run();
  void stop();
  bool link_open(std::size_t index) const { return links_[index].wsi != nullptr; }

  static std::int64_t now_ms();  // wall clock, ms since the epoch

 private:
  struct Slot {  // standard layout: the sul comes first
    lws_sorted_usec_list_t sul;
    PileNetwork* network;
    std::size_t index;
  };
  struct Link {
    lws* wsi = nullptr;
    std::int64_t scheduled = kNever;
    bool closing = false;
    bool error_reported = false;
    std::string partial;  // a message arriving in fragments
  };
  struct Periodic {  // standard layout: the sul comes first
    lws_sorted_usec_list_t sul;
    PileNetwork* network;
    std::size_t id;
  };

  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);
  static void on_wakeup(lws_sorted_usec_list_t* sul);
  // Arms the one lws timer at the earliest live entry of wakeups_.
  void arm_wakeup();
  static void on_periodic(lws_sorted_usec_list_t* sul);
  int handle(Slot& slot, lws* wsi, lws_callback_reasons reason, void* in, std::size_t len);
  void connect(std::size_t index);
  lws_vhost* vhost_for(std::size_t index);
  std::string password_for(std::size_t index) const;

  NetworkSettings settings_;
  std::vector<ChargePoint>& piles_;
  Reporter& reporter_;
  lws_context* context_ = nullptr;
  lws_vhost* default_vhost_ = nullptr;
  std::map<std::string, lws_vhost*> cert_vhosts_;
  std::vector<Slot> slots_;  // each pile's wsi user data
  // The piles' wake-up times (ms, pile index), earliest on top; an entry
  // whose time is no longer its link's `scheduled` is stale and skipped.
  // One lws timer serves them all: lws 4.1 keeps its timers in one sorted
  // list with O(N) inserts, and a timer per pile made every reschedule walk
  // all piles (80 % of pilesim's CPU in a 10,000-pile storm, under perf),
  // which real piles, each on its own device, never pay.
  using Wakeup = std::pair<std::int64_t, std::size_t>;
  std::priority_queue<Wakeup, std::vector<Wakeup>, std::greater<Wakeup>> wakeups_;
  Slot wake_{};
  std::int64_t wake_armed_at_ = kNever;
  std::vector<Link> links_;
  std::vector<std::unique_ptr<Periodic>> periodic_;
  std::vector<std::int64_t> periodic_interval_;
  std::vector<std::function<void(std::int64_t)>> periodic_fn_;
  std::vector<unsigned char> write_buffer_;
  std::atomic<bool> stopping_{false};
  bool destroying_ = false;
  int connection_errors_reported_ = 0;
};

}  // namespace chargelock::pilesim
