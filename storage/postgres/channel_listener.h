// LISTEN on one NOTIFY channel over a connection of its own: what the
// command dispatchers (commands) and the notification relay (notifications)
// wait on.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace chargelock::storage::postgres {

// Thread contract: one thread at a time calls wait() (each user owns one
// listener on its own thread).
class ChannelListener {
 public:
  // Connects at once, so that whatever is committed and signalled after the
  // constructor returns is heard; a database out of reach is retried by
  // wait().
  ChannelListener(std::string url, std::string channel);
  ~ChannelListener();
  ChannelListener(const ChannelListener&) = delete;
  ChannelListener& operator=(const ChannelListener&) = delete;

  // The payloads heard within `timeout`, in the order PostgreSQL delivered
  // them (commit order); empty when none came. Without a connection it
  // reconnects, and when that fails it sleeps out `timeout` (so a caller's
  // loop does not spin) and returns nothing; a connection that breaks while
  // waiting is dropped and reopened by the next call. Signals sent while no
  // connection listened are lost: callers keep a periodic scan.
  std::vector<std::string> wait(std::chrono::milliseconds timeout);

 private:
  class Receiver;
  bool reconnect();
  void drop();

  const std::string url_;
  const std::string channel_;
  std::vector<std::string> pending_;
  struct Connection;
  std::unique_ptr<Connection> connection_;
};

}  // namespace chargelock::storage::postgres
