// What a ChargePointSession needs from the transport underneath it. The
// websocket layer implements it per connection on top of OcppServer::send()
// / post() (and a loop timer for schedule()); tests implement it with queues.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>

namespace chargelock::ocpp {

class SessionOutput {
 public:
  virtual ~SessionOutput() = default;

  // Sends one text frame to the pile. Thread-safe; dropped silently when the
  // connection is gone.
  virtual void send(std::string text) = 0;

  // Runs `task` later on the OCPP loop thread. Thread-safe. May drop the task
  // when the server shuts down (sessions guard against that themselves).
  virtual void post(std::function<void()> task) = 0;

  // As send() and post(), for what a person waits on (the answer to a
  // pile's VehicleLocked): ahead of other piles' queued work on the loop
  // (OcppServer::post_urgent). Frames to one pile still keep their order.
  // Without such a lane, the same as send() and post().
  virtual void send_urgent(std::string text) { send(std::move(text)); }
  virtual void post_urgent(std::function<void()> task) { post(std::move(task)); }

  // Runs `task` on the loop thread after at least `delay`. Called only on the
  // loop thread. No cancellation: the session ignores timers it no longer
  // needs, so implementations may simply keep them until they fire.
  virtual void schedule(std::chrono::milliseconds delay, std::function<void()> task) = 0;
};

}  // namespace chargelock::ocpp
