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
