#include "core/message_log_writer.h"

#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "core/log.h"

namespace chargelock::core {

MessageLogWriter::MessageLogWriter(MessageLogStore& store, MessageLogWriterOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  thread_ = std::thread([this] { run(); });
}

MessageLogWriter::~MessageLogWriter() { stop(); }

void MessageLogWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
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
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(std::move(entry));
    ++recorded_;
    while (pending_.size() > options_.max_buffered) {
      pending_.pop_front();
      ++dropped_;
      ++finished_;
    }
  }
  wake_.notify_one();
}

void MessageLogWriter::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t target = recorded_;
  wake_.notify_one();
  done_.wait(lock, [&] { return finished_ >= target || exited_; });
}

std::uint64_t MessageLogWriter::written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_;
}

std::uint64_t MessageLogWriter::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

void MessageLogWriter::run() {
  std::vector<LoggedFrame> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
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
    std::unique_lock<std::mutex> lock(mutex_);
    if (ok) {
      written_ += batch.size();
      finished_ += batch.size();
      done_.notify_all();
      continue;
    }
    if (stopping_) {  // last attempt failed: give these frames up
      dropped_ += batch.size();
      finished_ += batch.size();
      done_.notify_all();
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
    done_.notify_all();
    wake_.wait_for(lock, options_.retry_pause, [&] { return stopping_; });
  }
  if (options_.on_thread_exit) options_.on_thread_exit();
  std::lock_guard<std::mutex> lock(mutex_);
  exited_ = true;
  done_.notify_all();
}

}  // namespace chargelock::core
