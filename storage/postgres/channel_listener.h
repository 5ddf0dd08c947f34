// LISTEN on one NOTIFY channel over a connection of its own: what the
// command dispatchers (commands) and the notification relay (notifications)
// wait on.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chargelock::storage::postgres {

// Thread contract: one thread at a time calls wait(), round_trip() and
// settle() (each user owns one listener on its own thread); unsettled() is
// safe from any thread.
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

  // A query answered on the listening connection: the payloads PostgreSQL
  // delivered before the answer (every signal of a transaction that
  // committed before this call is among them or an earlier wait()'s: the
  // server sends a session's pending notifications before it reports the
  // session ready). None: the connection is gone (dropped; reopened by the
  // next wait()), and signals may have been lost.
  std::optional<std::vector<std::string>> round_trip();

  // Thread-safe: whether something came on the connection that its owner has
  // not finished with: bytes not yet read (a signal on its way, or the
  // server closing the connection), payloads handed out since the last
  // settle(), or no connection at all. What the verified-token cache asks
  // before serving an entry (core/verified_token_cache.h).
  bool unsettled() const;
  // The owner acted on every payload handed out so far.
  void settle();

 private:
  class Receiver;
  bool reconnect();
  void drop();

  const std::string url_;
  const std::string channel_;
  std::vector<std::string> pending_;
  struct Connection;
  std::unique_ptr<Connection> connection_;
  // The connection's socket (-1: none) and whether payloads were read but
  // not settled: read by unsettled() on other threads.
  std::atomic<int> socket_{-1};
  std::atomic<bool> reading_{true};
};

}  // namespace chargelock::storage::postgres
