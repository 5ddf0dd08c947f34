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
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>

#include "base/mutex.h"
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
  // Added to the writer thread's nice value (core/thread_setup.h): the log
  // is bulk work the OCPP loop should not wait behind for a core.
  int thread_nice = 0;
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
  void flush() EXCLUDES(mutex_);
  void stop() EXCLUDES(mutex_);

  std::uint64_t written() const EXCLUDES(mutex_);
  std::uint64_t dropped() const EXCLUDES(mutex_);

 private:
  void run() EXCLUDES(mutex_);

  MessageLogStore& store_;
  MessageLogWriterOptions options_;

  mutable base::Mutex mutex_;
  base::CondVar wake_{&mutex_};
  base::CondVar done_{&mutex_};
  std::deque<LoggedFrame> pending_ GUARDED_BY(mutex_);
  std::uint64_t recorded_ GUARDED_BY(mutex_) = 0;  // frames ever recorded
  std::uint64_t finished_ GUARDED_BY(mutex_) = 0;  // frames written or dropped
  std::uint64_t written_ GUARDED_BY(mutex_) = 0;
  std::uint64_t dropped_ GUARDED_BY(mutex_) = 0;
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool exited_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace chargelock::core
