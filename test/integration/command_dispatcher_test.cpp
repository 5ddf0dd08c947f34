// ocpp::CommandDispatcher's wake-up paths against a real database, in one
// process: the dispatcher with its listener, a real WorkQueue with group
// commit, real ChargePointSessions whose frames are collected instead of
// written to a socket, and a thread playing the OCPP loop. The safety-net
// scan runs once at the start and then not for an hour, so what arrives
// later came through the wake-up under test (the end-to-end tests pass
// even when a wake-up path fails: the scan delivers a second later).
#include "ocpp/command_dispatcher.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/central_system.h"
#include "core/message_log.h"
#include "core/work_queue.h"
#include "ocpp/command_validator.h"
#include "ocpp/rpc/action_handler.h"
#include "ocpp/rpc/charge_point_session.h"
#include "ocpp/rpc/session_output.h"
#include "ocpp/schemas/schema_registry.h"
#include "storage/database.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace std::chrono_literals;
using chargelock::test::TestDatabase;

namespace {

// The OCPP loop's part: runs posted tasks in order on one thread.
class TestLoop {
 public:
  TestLoop() : thread_([this] { run(); }) {}
  ~TestLoop() { stop(); }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  void post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }
  // Runs `task` on the loop and waits for it (false: not within 10 s).
  bool run(std::function<void()> task) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    post([task = std::move(task), done] {
      task();
      done->set_value();
    });
    return finished.wait_for(10s) == std::future_status::ready;
  }
  void call(std::function<void()> task) { REQUIRE(run(std::move(task))); }
  // Runs what is queued, then ends the thread (later posts are dropped).
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

// The frames each pile was sent.
class Frames {
 public:
  void add(const std::string& pile, std::string text) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      frames_[pile].push_back(std::move(text));
    }
    changed_.notify_all();
  }
  std::vector<std::string> of(const std::string& pile) {
    std::lock_guard<std::mutex> lock(mutex_);
    return frames_[pile];
  }
  // Waits until every pile in `piles` was sent at least `count` frames.
  bool wait_for(const std::vector<std::string>& piles, std::size_t count,
                std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const auto& pile : piles)
        if (frames_[pile].size() < count) return false;
      return true;
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<std::string>> frames_;
};

class PileOutput final : public ocpp::SessionOutput {
 public:
  PileOutput(std::string pile, Frames& frames, TestLoop& loop)
      : pile_(std::move(pile)), frames_(frames), loop_(loop) {}
  void send(std::string text) override { frames_.add(pile_, std::move(text)); }
  void post(std::function<void()> task) override { loop_.post(std::move(task)); }
  // The CALL time-outs: never within a test.
  void schedule(std::chrono::milliseconds, std::function<void()>) override {}

 private:
  std::string pile_;
  Frames& frames_;
  TestLoop& loop_;
};

class NoLog final : public core::MessageLog {
 public:
  void record(const std::string&, core::FrameDirection, std::string) override {}
};

core::CentralSystemConfig central_config() {
  core::CentralSystemConfig config;
  config.node_id = "node-a";
  config.message_log = false;
  return config;
}

// The message id of a CALL frame.
std::string message_id(const std::string& frame) {
  rapidjson::Document call;
  call.Parse(frame.c_str());
  REQUIRE((!call.HasParseError() && call.IsArray() && call.Size() == 4));
  CHECK(call[0].GetInt() == 2);
  return call[1].GetString();
}

struct DispatcherFixture {
  TestDatabase database;
  core::CentralSystem central{database.db(), central_config()};
  ocpp::OcppCommandValidator validator;
  TestLoop loop;
  core::WorkQueue work;
  Frames frames;
  NoLog log;
  ocpp::ActionRegistry actions;
  std::map<std::string, std::unique_ptr<PileOutput>> outputs;  // outlive the sessions
  std::map<std::string, std::shared_ptr<ocpp::ChargePointSession>> sessions;  // loop thread
  std::unique_ptr<ocpp::CommandDispatcher> dispatcher;

  explicit DispatcherFixture(std::size_t workers)
      : work(workers, nullptr, [this]() -> std::unique_ptr<core::GroupCommit> {
          return central.stores().make_batch();
        }) {
    central.set_command_validator(&validator);
  }

  ~DispatcherFixture() {
    // Listener first; then the sessions go (their unanswered CALLs end as
    // ConnectionClosed outcomes, recorded on the workers); then the workers
    // finish and the loop runs what they posted.
    if (dispatcher) dispatcher->stop();
    loop.run([this] { sessions.clear(); });
    loop.run([] {});
    work.stop();
    loop.stop();
  }

  // Piles connected to this node with a registered session each (booted
  // and Accepted in the database too: the claims ask).
  void connect(const std::vector<std::string>& piles) {
    for (const auto& pile : piles) {
      database.scalar(
          fmt::format("INSERT INTO charge_points (id, connected_node, last_boot_at)"
                      " VALUES ('{}', 'node-a', now()) RETURNING 1",
                      pile));
      outputs[pile] = std::make_unique<PileOutput>(pile, frames, loop);
    }
    loop.call([&] {
      for (const auto& pile : piles) {
        auto session = ocpp::ChargePointSession::create(pile, *outputs[pile], work, actions, log,
                                                        ocpp::SchemaRegistry::ocpp16());
        session->accepted_before();
        sessions[pile] = std::move(session);
      }
    });
  }

  void start(std::chrono::milliseconds scan_interval) {
    ocpp::CommandDispatcherOptions options;
    options.scan_interval = scan_interval;
    options.sweep_interval = 1h;
    options.on_thread_exit = [this] { central.stores().release_thread_connection(); };
    dispatcher = std::make_unique<ocpp::CommandDispatcher>(
        central.commands(), work,
        [this](std::function<void()> task) { loop.post(std::move(task)); },
        [this](const std::string& id) -> std::shared_ptr<ocpp::ChargePointSession> {
          auto it = sessions.find(id);
          return it == sessions.end() ? nullptr : it->second;
        },
        options);
    dispatcher->start();
  }

  static core::CommandRequest clear_cache(const std::string& pile) {
    core::CommandRequest request;
    request.charge_point_id = pile;
    request.action = "ClearCache";
    request.payload_json = "{}";
    return request;
  }

  // Answers the pile's last CALL (on the loop, as a frame from the pile).
  void answer_last(const std::string& pile) {
    const auto sent = frames.of(pile);
    REQUIRE_FALSE(sent.empty());
    const std::string reply =
        fmt::format(R"([3,"{}",{{"status":"Accepted"}}])", message_id(sent.back()));
    loop.call([&] { sessions.at(pile)->on_text(reply); });
  }

  // Queues one command for `pile` (a wake-up naming the pile: a pump on a
  // worker) and waits for its CALL. Once it is out, the dispatcher's first
  // scan is over (it runs before the listener's first wait, the only one
  // within the test).
  void first_command_through_a_pump(const std::string& pile) {
    central.commands().enqueue(clear_cache(pile));
    REQUIRE(frames.wait_for({pile}, 1, 10s));
  }

  int count(const std::string& where) {
    return std::stoi(database.scalar("SELECT count(*) FROM commands WHERE " + where));
  }
};

std::vector<std::string> names(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(fmt::format("{}-{:02}", prefix, i));
  return out;
}

}  // namespace

TEST_CASE(
    "a batch's wake-up alone delivers the batch to every pile of the node, and a busy pile "
    "gets its command after its answer") {
  DispatcherFixture f(2);
  const auto piles = names("RP", 30);
  f.connect(piles);
  f.connect({"RP-BUSY"});
  f.start(1h);
  f.first_command_through_a_pump("RP-BUSY");  // and left unanswered: busy

  std::vector<core::CommandRequest> batch;
  for (const auto& pile : piles) batch.push_back(DispatcherFixture::clear_cache(pile));
  batch.push_back(DispatcherFixture::clear_cache("RP-BUSY"));
  const auto queued = f.central.commands().enqueue_many(batch);  // wakes with "*FIRST-LAST"
  REQUIRE(queued.size() == batch.size());

  CHECK(f.frames.wait_for(piles, 1, 10s));
  for (const auto& pile : piles) {
    INFO(pile);
    CHECK(f.frames.of(pile).size() == 1);
  }
  // One CALL at a time: the busy pile's second command waits for its answer.
  CHECK(f.frames.of("RP-BUSY").size() == 1);
  CHECK(f.count(fmt::format("id = {} AND status = 'queued'", queued.back().id)) == 1);
  f.answer_last("RP-BUSY");
  CHECK(f.frames.wait_for({"RP-BUSY"}, 2, 10s));
  CHECK(f.count(fmt::format("id BETWEEN {} AND {} AND status = 'sent' AND claimed_by = 'node-a'",
                            queued.front().id, queued.back().id)) ==
        static_cast<int>(queued.size()));
}

// The listener claims a batch's commands itself and the loop sends them: no
// worker is needed before the first CALL (the pump's way needs one for the
// claim). With the only worker blocked, the CALLs still go out.
TEST_CASE("a batch's wake-up is claimed on the listener and sent without a worker") {
  DispatcherFixture f(1);
  const auto piles = names("NW", 10);
  f.connect(piles);
  f.connect({"NW-FIRST"});
  f.start(1h);
  f.first_command_through_a_pump("NW-FIRST");

  // The worker waits until the gate opens (at the latest when the test
  // ends: the fixture joins the worker).
  struct Gate {
    std::promise<void> promise;
    std::shared_future<void> opened = promise.get_future().share();
    bool open = false;
    void release() {
      if (!open) promise.set_value();
      open = true;
    }
    ~Gate() { release(); }
  } gate;
  auto started = std::make_shared<std::promise<void>>();
  auto running = started->get_future();
  f.work.submit("block", [started, opened = gate.opened] {
    started->set_value();
    opened.wait();
  });
  REQUIRE(running.wait_for(10s) == std::future_status::ready);

  std::vector<core::CommandRequest> batch;
  for (const auto& pile : piles) batch.push_back(DispatcherFixture::clear_cache(pile));
  f.central.commands().enqueue_many(batch);
  const bool all_sent = f.frames.wait_for(piles, 1, 10s);
  gate.release();
  CHECK(all_sent);
  for (const auto& pile : piles) {
    INFO(pile);
    CHECK(f.frames.of(pile).size() == 1);
  }
}

TEST_CASE("commands whose wake-up was lost are delivered by the scan") {
  DispatcherFixture f(2);
  const auto piles = names("LS", 5);
  f.connect(piles);
  f.start(300ms);
  // Queued without a NOTIFY (as if the listener's connection was down).
  for (const auto& pile : piles)
    f.database.scalar(
        fmt::format("INSERT INTO commands (charge_point_id, action, payload,"
                    " expires_at) VALUES ('{}', 'ClearCache', '{{}}',"
                    " now() + interval '1 hour') RETURNING id",
                    pile));
  CHECK(f.frames.wait_for(piles, 1, 10s));
}
