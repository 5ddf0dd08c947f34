#include "core/message_log_writer.h"

#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "core/log.h"
#include "core/thread_setup.h"

namespace chargelock::core {

MessageLogWriter::MessageLogWriter(MessageLogStore& store, MessageLogWriterOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  thread_ = std::thread([this] { run(); });
}

MessageLogWriter::~MessageLogWriter() { stop(); }

void MessageLogWriter::stop() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.signal_all();
  if (thread_.joinable()) thread_.join();
}

void MessageLogWriter::record(const std::string& charge_point_id, FrameDirection direction,
                              std::string frame) {
  LoggedFrame entry;
  entry.charge_point_id = charge_point_id;
  entry.direction = direction;
  entry.frame = std::move(frame);
  entry.received_at = std::chrono::system_clock::now();
  {
    base::MutexLock lock(mutex_);
    pending_.push_back(std::move(entry));
    ++recorded_;
    while (pending_.size() > options_.max_buffered) {
      pending_.pop_front();
      ++dropped_;
      ++finished_;
    }
  }
  wake_.signal();
}

void MessageLogWriter::flush() {
  base::MutexLock lock(mutex_);
  const std::uint64_t target = recorded_;
  wake_.signal();
  while (finished_ < target && !exited_) done_.wait();
}

std::uint64_t MessageLogWriter::written() const {
  base::MutexLock lock(mutex_);
  return written_;
}

std::uint64_t MessageLogWriter::dropped() const {
  base::MutexLock lock(mutex_);
  return dropped_;
}

void MessageLogWriter::run() {
  name_this_thread("message-log");
  if (options_.thread_nice > 0) lower_this_thread_priority(options_.thread_nice);
  std::vector<LoggedFrame> batch;
  for (;;) {
    {
      base::MutexLock lock(mutex_);
      while (!stopping_ && pending_.empty()) wake_.wait();
      if (pending_.empty()) break;  // stopping and drained
      const std::size_t n = std::min(options_.max_batch, pending_.size());
      batch.assign(std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.begin() + n));
      pending_.erase(pending_.begin(), pending_.begin() + n);
    }
    bool ok = false;
    try {
      store_.append(batch);
      ok = true;
    } catch (const std::exception& e) {
      log(LogLevel::Error, "message_log_failed",
          fmt::format("message log: writing {} frames failed: {}", batch.size(), e.what()));
    }
    base::MutexLock lock(mutex_);
    if (ok) {
      written_ += batch.size();
      finished_ += batch.size();
      done_.signal_all();
      continue;
    }
    if (stopping_) {  // last attempt failed: give these frames up
      dropped_ += batch.size();
      finished_ += batch.size();
      done_.signal_all();
      continue;
    }
    // Put the batch back in front (order kept) and pause before retrying.
    pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    while (pending_.size() > options_.max_buffered) {
      pending_.pop_front();
      ++dropped_;
      ++finished_;
    }
    done_.signal_all();
    const auto due = std::chrono::steady_clock::now() + options_.retry_pause;
    while (!stopping_ && wake_.wait_until(due)) {
    }
  }
  if (options_.on_thread_exit) options_.on_thread_exit();
  base::MutexLock lock(mutex_);
  exited_ = true;
  done_.signal_all();
}

}  // namespace chargelock::core
