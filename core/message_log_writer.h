// The background writer behind core::MessageLog: record() buffers a frame
// (never blocks on the database); one thread writes the buffer in batches
// through MessageLogStore, in arrival order.
//
// When the database fails, the batch is retried (with a pause) and frames
// keep being buffered up to `max_buffered`; beyond that the oldest are
// dropped and counted (dropped()), so a database outage cannot exhaust
// memory. The destructor writes what is buffered (one last attempt), then
// joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/message_log.h"
#include "core/stores/message_log_store.h"

namespace chargelock::core {

struct MessageLogWriterOptions {
  // Frames per transaction. A batch takes what is buffered, up to this: the
  // commit (an fsync), not the rows, is what limits the writer, so under
  // load batches grow instead of the backlog.
  std::size_t max_batch = 20000;
  std::size_t max_buffered = 200000;
  std::chrono::milliseconds retry_pause{1000};
  // Runs on the writer thread when it ends (e.g. to release its connection).
  std::function<void()> on_thread_exit;
};

class MessageLogWriter final : public MessageLog {
 public:
  explicit MessageLogWriter(MessageLogStore& store, MessageLogWriterOptions options = {});
  ~MessageLogWriter() override;
  MessageLogWriter(const MessageLogWriter&) = delete;
  MessageLogWriter& operator=(const MessageLogWriter&) = delete;

  void record(const std::string& charge_point_id, FrameDirection direction,
              std::string frame) override;

  // Blocks until every frame recorded before the call is written (or
  // dropped). For tests and orderly shutdown.
  void flush();
  void stop();

  std::uint64_t written() const;
  std::uint64_t dropped() const;

 private:
  void run();

  MessageLogStore& store_;
  MessageLogWriterOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<LoggedFrame> pending_;
  std::uint64_t recorded_ = 0;  // frames ever recorded
  std::uint64_t finished_ = 0;  // frames written or dropped
  std::uint64_t written_ = 0;
  std::uint64_t dropped_ = 0;
  bool stopping_ = false;
  bool exited_ = false;
  std::thread thread_;
};

}  // namespace chargelock::core
