// The core's thread-crossing objects used from many threads at once, with
// in-memory stores, so that scripts/tsan.sh (ThreadSanitizer) sees every
// path between the threads: the production callers are one loop thread and
// a few workers, which the other tests exercise one at a time.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/message_log_writer.h"
#include "core/notification_service.h"
#include "core/work_queue.h"

using namespace chargelock;
using namespace chargelock::core;

namespace {

// Written by the writer thread, read by the test after flush().
class MemoryMessageLog final : public core::MessageLogStore {
 public:
  void append(const std::vector<core::LoggedFrame>& frames) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fail_next_ > 0) {
      --fail_next_;
      throw std::runtime_error("database away");
    }
    for (const auto& frame : frames) frames_.push_back(frame.frame);
  }
  std::vector<core::LoggedFrame> page(const std::string&, std::optional<std::int64_t>,
                                      std::size_t) override {
    return {};
  }
  std::vector<core::LoggedFrame> containing(const std::string&, const std::string&, core::Timestamp,
                                            std::size_t) override {
    return {};
  }
  void fail_next(int count) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_next_ = count;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return frames_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> frames_;  // guarded by mutex_
  int fail_next_ = 0;                // guarded by mutex_
};

class MemoryNotifications final : public core::NotificationStore {
 public:
  core::Notification add(std::int64_t owner_id, const std::string& kind,
                         const std::string& body_json) override {
    std::lock_guard<std::mutex> lock(mutex_);
    core::Notification record{++last_id_, owner_id, kind, body_json, {}};
    records_.push_back(record);
    return record;
  }
  std::vector<core::Notification> list(std::int64_t owner_id, std::int64_t after_id,
                                       int limit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<core::Notification> found;
    for (const auto& record : records_)
      if (record.owner_id == owner_id && record.id > after_id &&
          found.size() < static_cast<std::size_t>(limit))
        found.push_back(record);
    return found;
  }

 private:
  std::mutex mutex_;
  std::int64_t last_id_ = 0;                 // guarded by mutex_
  std::vector<core::Notification> records_;  // guarded by mutex_
};

}  // namespace

TEST_CASE("message log writer: frames from several threads, flushes and counters meanwhile") {
  MemoryMessageLog store;
  MessageLogWriterOptions options;
  options.max_batch = 50;
  options.retry_pause = std::chrono::milliseconds(5);
  MessageLogWriter writer(store, options);
  store.fail_next(2);  // a short outage: batches go back to the buffer

  constexpr int kThreads = 4;
  constexpr int kFrames = 500;
  std::atomic<bool> producing{true};
  std::thread reader([&] {
    while (producing) {
      (void)writer.written();
      (void)writer.dropped();
      writer.flush();
    }
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t)
    producers.emplace_back([&writer, t] {
      for (int i = 0; i < kFrames; ++i)
        writer.record("CP-" + std::to_string(t), FrameDirection::Incoming, std::to_string(i));
    });
  for (auto& producer : producers) producer.join();
  producing = false;
  reader.join();
  writer.flush();
  CHECK(writer.written() == kThreads * kFrames);
  CHECK(writer.dropped() == 0);
  CHECK(store.size() == kThreads * kFrames);
}

TEST_CASE("notification service: notify on workers while subscriptions come and go") {
  MemoryNotifications store;
  NotificationService notifications(store);
  std::atomic<int> heard{0};
  // Outlives every subscription: counts what the long-lived listener heard.
  auto steady = notifications.subscribe(1, [&heard](const Notification&) { ++heard; });

  constexpr int kNotes = 200;
  std::atomic<bool> notifying{true};
  std::thread churn([&] {
    while (notifying) {
      // A stream opening and closing (NotificationStreams does this on a
      // worker and on its ticker) while notifications are delivered.
      std::atomic<int> local{0};
      auto subscription = notifications.subscribe(1, [&local](const Notification&) { ++local; });
      std::this_thread::yield();
      subscription.reset();  // after this, `local` is never touched again
    }
  });
  {
    // Notifications are stored by workers; after_commit() runs the
    // listeners once the worker's writes are committed.
    WorkQueue work(3);
    for (int i = 0; i < kNotes; ++i)
      work.submit("CP-" + std::to_string(i % 7),
                  [&notifications] { notifications.notify(1, "lock_state", "{}"); });
  }  // the destructor finishes the queued work
  notifying = false;
  churn.join();
  CHECK(heard == kNotes);
  CHECK(notifications.list(1, 0, 1000).size() == kNotes);
}
