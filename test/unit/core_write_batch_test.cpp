// core::WriteBatch (the shared commit as an object) over a recording
// GroupCommit, and core::ManualTimeSource (time that moves when told).
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/time_source.h"
#include "core/write_batch.h"

using namespace chargelock;
using namespace std::chrono_literals;

namespace {
class RecordingGroupCommit final : public core::GroupCommit {
 public:
  void begin() override { events.push_back("begin"); }
  bool commit() override {
    events.push_back("commit");
    return ok;
  }
  void abort() override { events.push_back("abort"); }
  std::vector<std::string> events;
  bool ok = true;
};
}  // namespace

TEST_CASE("write batch: callbacks wait for the commit, in order, dropped when it fails") {
  RecordingGroupCommit group;
  std::vector<std::string> done;
  {
    core::WriteBatch batch(&group);
    batch.after_commit([&] { done.push_back("a"); });
    batch.after_commit([&] { done.push_back("b"); });
    CHECK(done.empty());
    CHECK(batch.commit());
  }
  CHECK(done == std::vector<std::string>{"a", "b"});
  group.ok = false;
  {
    core::WriteBatch batch(&group);
    batch.after_commit([&] { done.push_back("c"); });
    CHECK_FALSE(batch.commit());
  }
  CHECK(done.size() == 2);
  CHECK(group.events == std::vector<std::string>{"begin", "commit", "begin", "commit"});
}

TEST_CASE("write batch: left without a commit it rolls back, abort drops callbacks") {
  RecordingGroupCommit group;
  bool ran = false;
  try {
    core::WriteBatch batch(&group);
    batch.after_commit([&] { ran = true; });
    throw std::runtime_error("a write failed");
  } catch (const std::runtime_error&) {
  }
  {
    core::WriteBatch batch(&group);
    batch.after_commit([&] { ran = true; });
    batch.abort();
  }
  CHECK_FALSE(ran);
  CHECK(group.events == std::vector<std::string>{"begin", "abort", "begin", "abort"});
}

TEST_CASE("write batch alone: every write commits by itself, callbacks run at once") {
  core::WriteBatch batch = core::WriteBatch::alone();
  bool ran = false;
  batch.after_commit([&] { ran = true; });
  CHECK(ran);
  CHECK(batch.commit());
}

TEST_CASE("write batch: deferred work runs once per key before the commit with every item") {
  RecordingGroupCommit group;
  const char boots = 0, connects = 0;
  std::vector<std::string> flushed;
  const auto flush_as = [&](const std::string& name) {
    return [&flushed, name](core::WriteBatch&, const std::vector<std::string>& items) {
      std::string line = name + ":";
      for (const auto& item : items) line += " " + item;
      flushed.push_back(line);
    };
  };
  {
    core::WriteBatch batch(&group);
    batch.after_commit([&] { flushed.push_back("answered"); });
    batch.before_commit(&connects, "CP-1", flush_as("connects"));
    batch.before_commit(&boots, "CP-1", flush_as("boots"));
    batch.before_commit(&boots, "CP-2", flush_as("boots"));
    batch.before_commit(&connects, "CP-3", flush_as("connects"));
    CHECK(flushed.empty());  // nothing before the commit
    CHECK(batch.commit());
  }
  // In the order of each key's first call, all items at once, before the
  // commit and so before the answers.
  CHECK(flushed == std::vector<std::string>{"connects: CP-1 CP-3", "boots: CP-1 CP-2", "answered"});
  CHECK(group.events == std::vector<std::string>{"begin", "commit"});

  // Work a flush defers runs after it, still before the commit.
  flushed.clear();
  {
    core::WriteBatch batch(&group);
    batch.before_commit(&boots, "CP-1",
                        [&](core::WriteBatch& inner, const std::vector<std::string>& items) {
                          flushed.push_back("boots: " + items.front());
                          inner.before_commit(&connects, "CP-9", flush_as("connects"));
                        });
    CHECK(batch.commit());
  }
  CHECK(flushed == std::vector<std::string>{"boots: CP-1", "connects: CP-9"});
}

TEST_CASE("write batch: a throwing flush fails the commit, an aborted batch flushes nothing") {
  RecordingGroupCommit group;
  const char key = 0;
  bool answered = false;
  {
    core::WriteBatch batch(&group);
    batch.after_commit([&] { answered = true; });
    batch.before_commit(&key, "CP-1", [](core::WriteBatch&, const std::vector<std::string>&) {
      throw std::runtime_error("a write failed");
    });
    CHECK_THROWS_AS(batch.commit(), std::runtime_error);
  }  // rolled back
  CHECK_FALSE(answered);
  int flushes = 0;
  {
    core::WriteBatch batch(&group);
    batch.before_commit(&key, "CP-1",
                        [&](core::WriteBatch&, const std::vector<std::string>&) { ++flushes; });
    batch.abort();
  }
  CHECK(flushes == 0);
  CHECK(group.events == std::vector<std::string>{"begin", "abort", "begin", "abort"});
}

TEST_CASE("write batch alone: deferred work runs at once with its one item") {
  core::WriteBatch batch = core::WriteBatch::alone();
  const char key = 0;
  std::vector<std::string> seen;
  batch.before_commit(&key, "CP-1", [&](core::WriteBatch&, const std::vector<std::string>& items) {
    seen.insert(seen.end(), items.begin(), items.end());
  });
  batch.before_commit(&key, "CP-2", [&](core::WriteBatch&, const std::vector<std::string>& items) {
    seen.insert(seen.end(), items.begin(), items.end());
  });
  CHECK(seen == std::vector<std::string>{"CP-1", "CP-2"});
}

TEST_CASE("manual time moves only when told") {
  const core::Timestamp start = core::Clock::now() - 1h;
  core::ManualTimeSource time(start);
  CHECK(time.now() == start);
  CHECK(time.now() == start);
  time.advance(1500ms);
  CHECK(time.now() == start + 1500ms);
  time.set(start - 24h);
  CHECK(time.now() == start - 24h);
  const core::TimeSource& system = core::system_time();
  const auto before = core::Clock::now();
  const auto now = system.now();
  CHECK(now >= before);
  CHECK(now <= core::Clock::now());
}
