// ChargePointSession: every CALLERROR path for a pile's CALL, idempotent
// duplicates, safety when the connection closes while a worker is busy, and
// the central system's own CALLs (one outstanding, FIFO, matching, timeout).
//
// The test thread plays the OCPP loop: FakeOutput queues post()ed tasks and
// the test runs them; a real one-thread WorkQueue runs the handlers.
#include "ocpp/rpc/charge_point_session.h"

#include <rapidjson/document.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/message_log.h"
#include "core/work_queue.h"
#include "ocpp/rpc/action_handler.h"
#include "ocpp/rpc/frame.h"
#include "ocpp/rpc/session_output.h"
#include "ocpp/schemas/schema_registry.h"

using namespace chargelock;
using namespace chargelock::ocpp;
using namespace std::chrono_literals;

namespace {

class FakeOutput : public SessionOutput {
 public:
  void send(std::string text) override {
    std::lock_guard<std::mutex> lock(mutex_);
    sent_.push_back(std::move(text));
  }
  void post(std::function<void()> task) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      posted_.push_back(std::move(task));
      ++posts_;
    }
    wake_.notify_all();
  }
  void send_urgent(std::string text) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++urgent_sends_;
    }
    send(std::move(text));
  }
  void post_urgent(std::function<void()> task) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++urgent_posts_;
    }
    post(std::move(task));
  }
  void schedule(std::chrono::milliseconds delay, std::function<void()> task) override {
    timers.push_back({delay, std::move(task)});
  }

  // Waits for a post()ed task and runs everything posted, as the loop would.
  bool run_posted(std::chrono::milliseconds timeout = 5s) {
    std::vector<std::function<void()>> tasks;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!wake_.wait_for(lock, timeout, [&] { return !posted_.empty(); })) return false;
      tasks.swap(posted_);
    }
    for (auto& task : tasks) task();
    return true;
  }
  std::vector<std::string> sent() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }
  std::string last_sent() {
    auto all = sent();
    REQUIRE_FALSE(all.empty());
    return all.back();
  }
  int posts() {
    std::lock_guard<std::mutex> lock(mutex_);
    return posts_;
  }
  int urgent_sends() {
    std::lock_guard<std::mutex> lock(mutex_);
    return urgent_sends_;
  }
  int urgent_posts() {
    std::lock_guard<std::mutex> lock(mutex_);
    return urgent_posts_;
  }

  struct Timer {
    std::chrono::milliseconds delay;
    std::function<void()> task;
  };
  std::vector<Timer> timers;  // loop thread only

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::string> sent_;
  std::vector<std::function<void()>> posted_;
  int posts_ = 0;
  int urgent_sends_ = 0;
  int urgent_posts_ = 0;
};

class FakeLog : public core::MessageLog {
 public:
  void record(const std::string& charge_point_id, core::FrameDirection direction,
              std::string frame) override {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back({charge_point_id, direction, std::move(frame)});
  }
  struct Entry {
    std::string charge_point_id;
    core::FrameDirection direction;
    std::string frame;
  };
  std::vector<Entry> entries() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_;
  }

 private:
  std::mutex mutex_;
  std::vector<Entry> entries_;
};

// Answers with a fixed JSON payload (valid or not) and counts its calls.
class FixedHandler : public ActionHandler {
 public:
  explicit FixedHandler(std::string response) : response_(std::move(response)) {}
  void handle(const CallContext& context, const rapidjson::Value&,
              rapidjson::Document& response) override {
    last_context = context;
    ++calls;
    response.Parse(response_.c_str());
  }
  std::atomic<int> calls{0};
  CallContext last_context;

 private:
  std::string response_;
};

// As FixedHandler, in the work queue's urgent lane (as VehicleLocked is).
class UrgentHandler : public FixedHandler {
 public:
  using FixedHandler::FixedHandler;
  bool urgent(const rapidjson::Value&) const override { return true; }
};

class ThrowingHandler : public ActionHandler {
 public:
  explicit ThrowingHandler(std::function<void()> thrower) : thrower_(std::move(thrower)) {}
  void handle(const CallContext&, const rapidjson::Value&, rapidjson::Document&) override {
    thrower_();
  }

 private:
  std::function<void()> thrower_;
};

// As FixedHandler, answered on the OCPP loop (as Heartbeat is).
class LoopHandler : public FixedHandler {
 public:
  using FixedHandler::FixedHandler;
  bool answers_on_loop() const override { return true; }
};

// Blocks until released: keeps a CALL in flight for as long as a test needs.
class BlockingHandler : public ActionHandler {
 public:
  explicit BlockingHandler(std::string response = R"({"currentTime":"2024-03-01T10:00:00Z"})")
      : response_(std::move(response)) {}
  void handle(const CallContext&, const rapidjson::Value&, rapidjson::Document& response) override {
    ++calls;
    started.set_value();
    release_future.wait();
    response.Parse(response_.c_str());
  }
  std::atomic<int> calls{0};
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();

 private:
  std::string response_;
};

// Collects send_call outcomes.
struct Outcomes {
  std::vector<CallOutcome> list;
  CallCallback callback() {
    return [this](CallOutcome outcome) { list.push_back(std::move(outcome)); };
  }
};

const char* const kHeartbeatResponse = R"({"currentTime":"2024-03-01T10:00:00Z"})";

struct Fixture {
  explicit Fixture(SessionOptions options = {}) {
    auto heartbeat = std::make_unique<FixedHandler>(kHeartbeatResponse);
    heartbeat_handler = heartbeat.get();
    actions.add("Heartbeat", std::move(heartbeat));
    session = ChargePointSession::create("CP-1", output, work, actions, log,
                                         SchemaRegistry::ocpp16(), options);
  }

  // Delivers a frame and, if the answer comes from a worker, runs the loop
  // until it is sent.
  std::string exchange(const std::string& frame) {
    const auto before = output.sent().size();
    session->on_text(frame);
    if (output.sent().size() == before) REQUIRE(output.run_posted());
    REQUIRE(output.sent().size() == before + 1);
    return output.last_sent();
  }

  // Waits until the worker has finished everything submitted so far.
  void drain_worker() {
    std::promise<void> done;
    work.submit("CP-1", [&] { done.set_value(); });
    REQUIRE(done.get_future().wait_for(5s) == std::future_status::ready);
  }

  // Members are destroyed bottom-up: session, then the worker pool (joined),
  // then what the workers use.
  FakeOutput output;
  FakeLog log;
  ActionRegistry actions;
  core::WorkQueue work{1};
  FixedHandler* heartbeat_handler = nullptr;
  // Before the session: its destructor still delivers ConnectionClosed.
  Outcomes outcomes;
  std::shared_ptr<ChargePointSession> session;
};

CallError as_error(const std::string& text) {
  auto parsed = parse_frame(text);
  REQUIRE(std::holds_alternative<Frame>(parsed));
  auto& frame = std::get<Frame>(parsed);
  INFO(text);
  REQUIRE(std::holds_alternative<CallError>(frame));
  return std::move(std::get<CallError>(frame));
}

void check_call_error(const std::string& text, const std::string& id, ErrorCode code) {
  INFO(text);
  CallError error = as_error(text);
  CHECK(error.message_id == id);
  CHECK(to_string(error.code) == to_string(code));
}

Call as_call(const std::string& text) {
  auto parsed = parse_frame(text);
  REQUIRE(std::holds_alternative<Frame>(parsed));
  auto& frame = std::get<Frame>(parsed);
  REQUIRE(std::holds_alternative<Call>(frame));
  return std::move(std::get<Call>(frame));
}

rapidjson::Document json(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  return document;
}

}  // namespace

// ------------------------------------------------------------ pile → CSMS

TEST_CASE("a valid CALL is handled on a worker and answered with a CALLRESULT") {
  Fixture f;
  const std::string reply = f.exchange(R"([2,"hb-1","Heartbeat",{}])");
  CHECK(reply == R"([3,"hb-1",{"currentTime":"2024-03-01T10:00:00Z"}])");
  CHECK(f.heartbeat_handler->calls == 1);
  CHECK(f.heartbeat_handler->last_context.charge_point_id == "CP-1");
  CHECK(f.heartbeat_handler->last_context.message_id == "hb-1");
  CHECK(f.session->incoming_in_flight() == 0);
}

TEST_CASE("every frame in and out is recorded in the message log in order") {
  Fixture f;
  f.exchange(R"([2,"hb-1","Heartbeat",{}])");
  f.exchange("garbage");
  auto entries = f.log.entries();
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].direction == core::FrameDirection::Incoming);
  CHECK(entries[0].frame == R"([2,"hb-1","Heartbeat",{}])");
  CHECK(entries[1].direction == core::FrameDirection::Outgoing);
  CHECK(entries[1].frame == f.output.sent()[0]);
  CHECK(entries[2].frame == "garbage");
  CHECK(entries[3].direction == core::FrameDirection::Outgoing);
  for (const auto& entry : entries) CHECK(entry.charge_point_id == "CP-1");
}

TEST_CASE("a frame that is not JSON is answered FormationViolation with id -1") {
  Fixture f;
  f.session->on_text("{{{");
  check_call_error(f.output.last_sent(), "-1", ErrorCode::FormationViolation);
}

TEST_CASE("a frame error keeps the message id when it could be read") {
  Fixture f;
  f.session->on_text(R"([2,"m-7","Heartbeat",null])");
  check_call_error(f.output.last_sent(), "m-7", ErrorCode::FormationViolation);
  f.session->on_text(R"([2,"m-8","Heartbeat"])");
  check_call_error(f.output.last_sent(), "m-8", ErrorCode::ProtocolError);
  f.session->on_text(R"([9,"m-9","Heartbeat",{}])");
  check_call_error(f.output.last_sent(), "m-9", ErrorCode::ProtocolError);
  CHECK(f.heartbeat_handler->calls == 0);
}

TEST_CASE("an unknown action is answered NotImplemented") {
  Fixture f;
  check_call_error(f.exchange(R"([2,"u-1","LockVehicle",{}])"), "u-1", ErrorCode::NotImplemented);
}

TEST_CASE("a central-system-only action sent by a pile is answered NotSupported") {
  Fixture f;
  check_call_error(f.exchange(R"([2,"r-1","Reset",{"type":"Hard"}])"), "r-1",
                   ErrorCode::NotSupported);
}

TEST_CASE("a known action without a registered handler is answered NotSupported") {
  Fixture f;
  check_call_error(f.exchange(R"([2,"a-1","Authorize",{"idTag":"T"}])"), "a-1",
                   ErrorCode::NotSupported);
}

TEST_CASE("a request that fails its schema gets the mapped CALLERROR and is not handled") {
  Fixture f;
  f.actions.add("StartTransaction", std::make_unique<FixedHandler>("{}"));
  f.actions.add("Authorize", std::make_unique<FixedHandler>("{}"));
  check_call_error(f.exchange(R"([2,"s-1","StartTransaction",{"connectorId":1}])"), "s-1",
                   ErrorCode::OccurenceConstraintViolation);
  check_call_error(
      f.exchange(
          R"([2,"s-2","StartTransaction",{"connectorId":"1","idTag":"T","meterStart":0,"timestamp":"2024-03-01T10:00:00Z"}])"),
      "s-2", ErrorCode::TypeConstraintViolation);
  check_call_error(f.exchange(R"([2,"s-3","Authorize",{"idTag":"ABCDEFGHIJ01234567890"}])"), "s-3",
                   ErrorCode::PropertyConstraintViolation);
  check_call_error(f.exchange(R"([2,"s-4","Heartbeat",{"extra":true}])"), "s-4",
                   ErrorCode::FormationViolation);
  check_call_error(
      f.exchange(
          R"([2,"s-5","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"now"}])"),
      "s-5", ErrorCode::PropertyConstraintViolation);
  CHECK(f.heartbeat_handler->calls == 0);
  // The description names the field, so the pile's log shows what was wrong.
  f.session->on_text(R"([2,"s-6","StartTransaction",{"connectorId":1}])");
  CHECK_THAT(as_error(f.output.last_sent()).description, Catch::Contains("/idTag"));
}

TEST_CASE("a handler's CallFailure is answered with its code and description") {
  Fixture f;
  f.actions.add("Authorize", std::make_unique<ThrowingHandler>([] {
                  throw CallFailure(ErrorCode::GenericError, "id tag store unavailable");
                }));
  CallError error = as_error(f.exchange(R"([2,"c-1","Authorize",{"idTag":"T"}])"));
  CHECK(error.code == ErrorCode::GenericError);
  CHECK(error.description == "id tag store unavailable");
}

TEST_CASE("any other handler exception is answered InternalError without its details") {
  Fixture f;
  f.actions.add("Authorize", std::make_unique<ThrowingHandler>([] {
                  throw std::runtime_error("connection to db.internal:5432 failed");
                }));
  f.actions.add("StatusNotification", std::make_unique<ThrowingHandler>([] { throw 42; }));
  CallError error = as_error(f.exchange(R"([2,"c-1","Authorize",{"idTag":"T"}])"));
  CHECK(error.code == ErrorCode::InternalError);
  CHECK_THAT(error.description, !Catch::Contains("db.internal"));
  check_call_error(
      f.exchange(
          R"([2,"c-2","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}])"),
      "c-2", ErrorCode::InternalError);
}

TEST_CASE("a response that fails its schema is never sent: InternalError instead") {
  Fixture f;
  f.actions.add("Authorize", std::make_unique<FixedHandler>(R"({"idTagInfo":{"status":"Maybe"}})"));
  f.actions.add("BootNotification", std::make_unique<FixedHandler>(R"({"status":"Accepted"})"));
  f.actions.add("StatusNotification", std::make_unique<FixedHandler>("null"));
  const std::string reply = f.exchange(R"([2,"v-1","Authorize",{"idTag":"T"}])");
  check_call_error(reply, "v-1", ErrorCode::InternalError);
  CHECK(reply.find("Maybe") == std::string::npos);
  check_call_error(
      f.exchange(
          R"([2,"v-2","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}])"),
      "v-2", ErrorCode::InternalError);
  check_call_error(
      f.exchange(
          R"([2,"v-3","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}])"),
      "v-3", ErrorCode::InternalError);
}

TEST_CASE("a repeated message id gets the cached reply without a second handling") {
  Fixture f;
  const std::string first = f.exchange(R"([2,"dup-1","Heartbeat",{}])");
  f.session->on_text(R"([2,"dup-1","Heartbeat",{}])");
  CHECK(f.output.sent().size() == 2);  // answered at once, from the cache
  CHECK(f.output.last_sent() == first);
  CHECK(f.heartbeat_handler->calls == 1);
  // Error replies are cached too.
  const std::string error = f.exchange(R"([2,"dup-2","Nope",{}])");
  CHECK(f.exchange(R"([2,"dup-2","Nope",{}])") == error);
}

TEST_CASE("an InternalError is not cached: the same id sent again is handled again") {
  // The database away: a pile retries its MeterValues with the same message
  // id and must get a real answer once the database is back.
  Fixture f;
  std::atomic<bool> database_away{true};
  f.actions.add("Authorize", std::make_unique<ThrowingHandler>([&] {
                  if (database_away) throw std::runtime_error("lost connection to database");
                  throw CallFailure(ErrorCode::NotSupported, "handled this time");
                }));
  const std::string call = R"([2,"retry-1","Authorize",{"idTag":"T"}])";
  check_call_error(f.exchange(call), "retry-1", ErrorCode::InternalError);
  check_call_error(f.exchange(call), "retry-1", ErrorCode::InternalError);
  database_away = false;
  check_call_error(f.exchange(call), "retry-1", ErrorCode::NotSupported);
  // A final answer is cached as before.
  f.session->on_text(call);
  CHECK(f.output.last_sent().find("handled this time") != std::string::npos);
}

TEST_CASE("a repeat of a CALL still being handled is ignored, one answer follows") {
  Fixture f;
  auto blocking = std::make_unique<BlockingHandler>();
  BlockingHandler* handler = blocking.get();
  f.actions.add("Heartbeat", std::move(blocking));
  f.session->on_text(R"([2,"slow-1","Heartbeat",{}])");
  REQUIRE(handler->started.get_future().wait_for(5s) == std::future_status::ready);
  f.session->on_text(R"([2,"slow-1","Heartbeat",{}])");
  CHECK(f.session->incoming_in_flight() == 1);
  CHECK(f.output.sent().empty());
  handler->release.set_value();
  REQUIRE(f.output.run_posted());
  f.drain_worker();
  CHECK(f.output.sent().size() == 1);
  CHECK(handler->calls == 1);
  CHECK(f.output.last_sent().rfind(R"([3,"slow-1",)", 0) == 0);
}

TEST_CASE("the reply cache is bounded: an id older than the cache is handled again") {
  SessionOptions options;
  options.reply_cache_size = 4;
  Fixture f(options);
  f.exchange(R"([2,"old","Heartbeat",{}])");
  for (int i = 0; i < 4; ++i) f.exchange(R"([2,"n-)" + std::to_string(i) + R"(","Heartbeat",{}])");
  CHECK(f.heartbeat_handler->calls == 5);
  // The newest four are kept: a repeat of any of them is not handled again.
  for (int i = 0; i < 4; ++i) f.exchange(R"([2,"n-)" + std::to_string(i) + R"(","Heartbeat",{}])");
  CHECK(f.heartbeat_handler->calls == 5);
  f.exchange(R"([2,"old","Heartbeat",{}])");
  CHECK(f.heartbeat_handler->calls == 6);
  // "old" took the place of the oldest (n-0); n-1 is still cached.
  f.exchange(R"([2,"n-1","Heartbeat",{}])");
  CHECK(f.heartbeat_handler->calls == 6);
  f.exchange(R"([2,"n-0","Heartbeat",{}])");
  CHECK(f.heartbeat_handler->calls == 7);
}

TEST_CASE("a session destroyed while its handler runs drops the late reply safely") {
  Fixture f;
  auto blocking = std::make_unique<BlockingHandler>();
  BlockingHandler* handler = blocking.get();
  f.actions.add("Heartbeat", std::move(blocking));
  f.session->on_text(R"([2,"late-1","Heartbeat",{}])");
  REQUIRE(handler->started.get_future().wait_for(5s) == std::future_status::ready);
  f.session.reset();  // the connection closed
  handler->release.set_value();
  f.drain_worker();
  CHECK(f.output.posts() == 0);  // the worker no longer reaches the output
  CHECK(f.output.sent().empty());
}

TEST_CASE("a reply posted just before the session was destroyed is dropped safely") {
  Fixture f;
  f.session->on_text(R"([2,"late-2","Heartbeat",{}])");
  f.drain_worker();  // the reply is posted, not yet run by the loop
  REQUIRE(f.output.posts() == 1);
  f.session.reset();
  REQUIRE(f.output.run_posted());
  CHECK(f.output.sent().empty());
}

TEST_CASE("a CALLRESULT or CALLERROR with an unknown id is dropped without an answer") {
  Fixture f;
  f.session->on_text(R"([3,"never-sent",{}])");
  f.session->on_text(R"([4,"never-sent","GenericError","x",{}])");
  f.session->on_text(R"([3,"never-sent",[]])");  // malformed as well
  CHECK(f.output.sent().empty());
  CHECK(f.log.entries().size() == 3);
}

TEST_CASE("a pile's DataTransfer is handled (it goes both ways)") {
  Fixture f;
  f.actions.add("DataTransfer", std::make_unique<FixedHandler>(R"({"status":"Accepted"})"));
  CHECK(
      f.exchange(
          R"([2,"dt-1","DataTransfer",{"vendorId":"org.chargelock","messageId":"VehicleLocked"}])") ==
      R"([3,"dt-1",{"status":"Accepted"}])");
}

// The answer to an urgent CALL (VehicleLocked) overtakes other piles' work
// on the loop too (OcppServer::post_urgent / send_urgent); the rest do not.
TEST_CASE("an urgent CALL's answer travels the loop's urgent way, a bulk one does not") {
  Fixture f;
  f.actions.add("DataTransfer", std::make_unique<UrgentHandler>(R"({"status":"Accepted"})"));
  f.exchange(R"([2,"hb-1","Heartbeat",{}])");
  CHECK(f.output.urgent_posts() == 0);
  CHECK(f.output.urgent_sends() == 0);
  CHECK(
      f.exchange(
          R"([2,"dt-1","DataTransfer",{"vendorId":"org.chargelock","messageId":"VehicleLocked"}])") ==
      R"([3,"dt-1",{"status":"Accepted"}])");
  CHECK(f.output.urgent_posts() == 1);
  CHECK(f.output.urgent_sends() == 1);
}

// Heartbeat stores nothing: its answer needs no worker and no hand-off back
// to the loop (ActionHandler::answers_on_loop()).
TEST_CASE("a CALL answered on the loop is answered at once, even with every worker busy") {
  Fixture f;
  auto on_loop = std::make_unique<LoopHandler>(kHeartbeatResponse);
  LoopHandler* handler = on_loop.get();
  f.actions.add("Heartbeat", std::move(on_loop));
  // Another pile's work holds the only worker.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  f.work.submit("CP-other", [released] { released.wait(); });

  f.session->on_text(R"([2,"hb-1","Heartbeat",{}])");
  CHECK(f.output.sent() ==
        std::vector<std::string>{R"([3,"hb-1",{"currentTime":"2024-03-01T10:00:00Z"}])"});
  CHECK(f.output.posts() == 0);
  CHECK(handler->calls == 1);
  CHECK(handler->last_context.message_id == "hb-1");
  CHECK(f.session->incoming_in_flight() == 0);
  const auto entries = f.log.entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].direction == core::FrameDirection::Incoming);
  CHECK(entries[1].direction == core::FrameDirection::Outgoing);
  CHECK(entries[1].frame == f.output.sent()[0]);
  // Answered like any other: a repeat of the id gets the cached reply.
  f.session->on_text(R"([2,"hb-1","Heartbeat",{}])");
  CHECK(f.output.sent().size() == 2);
  CHECK(handler->calls == 1);
  release.set_value();
}

TEST_CASE(
    "a CALL answered on the loop waits behind the pile's CALL on a worker: answers in order") {
  Fixture f;
  auto on_loop = std::make_unique<LoopHandler>(kHeartbeatResponse);
  LoopHandler* heartbeat = on_loop.get();
  f.actions.add("Heartbeat", std::move(on_loop));
  auto blocking = std::make_unique<BlockingHandler>(R"({"status":"Accepted"})");
  BlockingHandler* data_transfer = blocking.get();
  f.actions.add("DataTransfer", std::move(blocking));

  f.session->on_text(R"([2,"dt-1","DataTransfer",{"vendorId":"org.example"}])");
  REQUIRE(data_transfer->started.get_future().wait_for(5s) == std::future_status::ready);
  f.session->on_text(R"([2,"hb-2","Heartbeat",{}])");
  CHECK(f.output.sent().empty());  // not before the DataTransfer's answer
  CHECK(f.session->incoming_in_flight() == 2);

  data_transfer->release.set_value();
  while (f.output.sent().size() < 2) REQUIRE(f.output.run_posted());
  const auto sent = f.output.sent();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == R"([3,"dt-1",{"status":"Accepted"}])");
  CHECK(sent[1] == R"([3,"hb-2",{"currentTime":"2024-03-01T10:00:00Z"}])");
  CHECK(heartbeat->calls == 1);
  CHECK(f.session->incoming_in_flight() == 0);

  // Nothing in flight any more: the next one is answered at once again.
  const int posts = f.output.posts();
  f.session->on_text(R"([2,"hb-3","Heartbeat",{}])");
  CHECK(f.output.sent().size() == 3);
  CHECK(f.output.posts() == posts);
}

// ------------------------------------------------------------ CSMS → pile

TEST_CASE("send_call sends a CALL and delivers the matching CALLRESULT") {
  Fixture f;
  f.session->send_call("Reset", json(R"({"type":"Soft"})"), f.outcomes.callback());
  Call call = as_call(f.output.last_sent());
  CHECK(call.action == "Reset");
  CHECK(call.message_id.size() <= kMaxMessageIdLength);
  CHECK(std::string(call.payload["type"].GetString()) == "Soft");
  CHECK(f.log.entries().back().direction == core::FrameDirection::Outgoing);
  // Written at once when the socket takes it, not after a writable callback.
  CHECK(f.output.urgent_sends() == 1);
  CHECK(f.outcomes.list.empty());

  f.session->on_text(R"([3,")" + call.message_id + R"(",{"status":"Accepted"}])");
  REQUIRE(f.outcomes.list.size() == 1);
  CHECK(f.outcomes.list[0].status == CallStatus::Completed);
  CHECK(f.outcomes.list[0].message_id == call.message_id);
  CHECK(std::string(f.outcomes.list[0].payload["status"].GetString()) == "Accepted");
  CHECK_FALSE(f.session->call_outstanding());
  CHECK(f.output.sent().size() == 1);  // a CALLRESULT is never answered
}

TEST_CASE("only one CALL is outstanding, the others follow in FIFO order") {
  Fixture f;
  f.session->send_call("Reset", json(R"({"type":"Soft"})"), f.outcomes.callback());
  f.session->send_call("ClearCache", json("{}"), f.outcomes.callback());
  f.session->send_call("UnlockConnector", json(R"({"connectorId":1})"), f.outcomes.callback());
  REQUIRE(f.output.sent().size() == 1);
  CHECK(f.session->calls_waiting() == 2);

  Call first = as_call(f.output.last_sent());
  CHECK(first.action == "Reset");
  f.session->on_text(R"([3,")" + first.message_id + R"(",{"status":"Accepted"}])");
  REQUIRE(f.output.sent().size() == 2);
  Call second = as_call(f.output.last_sent());
  CHECK(second.action == "ClearCache");
  CHECK(second.message_id != first.message_id);
  f.session->on_text(R"([3,")" + second.message_id + R"(",{"status":"Rejected"}])");
  REQUIRE(f.output.sent().size() == 3);
  CHECK(as_call(f.output.last_sent()).action == "UnlockConnector");
  REQUIRE(f.outcomes.list.size() == 2);
  CHECK(f.outcomes.list[0].message_id == first.message_id);
  CHECK(f.outcomes.list[1].message_id == second.message_id);
}

TEST_CASE("an answer with another id does not complete the outstanding CALL") {
  Fixture f;
  f.session->send_call("ClearCache", json("{}"), f.outcomes.callback());
  f.session->on_text(R"([3,"someone-else",{"status":"Accepted"}])");
  CHECK(f.outcomes.list.empty());
  CHECK(f.session->call_outstanding());
}

TEST_CASE("an unanswered CALL times out after the configured time and the next one goes") {
  SessionOptions options;
  options.call_timeout = 5s;
  Fixture f(options);
  f.session->send_call("ClearCache", json("{}"), f.outcomes.callback());
  f.session->send_call("Reset", json(R"({"type":"Hard"})"), f.outcomes.callback());
  const std::string first_id = as_call(f.output.last_sent()).message_id;
  REQUIRE(f.output.timers.size() == 1);
  CHECK(f.output.timers[0].delay == 5s);
  f.output.timers[0].task();  // time passes
  REQUIRE(f.outcomes.list.size() == 1);
  CHECK(f.outcomes.list[0].status == CallStatus::Timeout);
  CHECK(f.outcomes.list[0].message_id == first_id);
  CHECK(as_call(f.output.last_sent()).action == "Reset");

  // The late answer to the timed-out CALL is dropped, not mistaken for Reset's.
  f.session->on_text(R"([3,")" + first_id + R"(",{"status":"Accepted"}])");
  CHECK(f.outcomes.list.size() == 1);
  CHECK(f.session->call_outstanding());
}

TEST_CASE("the default CALL timeout is 30 seconds") {
  Fixture f;
  f.session->send_call("ClearCache", json("{}"), nullptr);
  REQUIRE(f.output.timers.size() == 1);
  CHECK(f.output.timers[0].delay == 30s);
}

TEST_CASE("a timer of an already answered CALL does not time out the next one") {
  Fixture f;
  f.session->send_call("ClearCache", json("{}"), f.outcomes.callback());
  f.session->send_call("ClearCache", json("{}"), f.outcomes.callback());
  const std::string first_id = as_call(f.output.last_sent()).message_id;
  f.session->on_text(R"([3,")" + first_id + R"(",{"status":"Accepted"}])");
  REQUIRE(f.output.timers.size() == 2);
  f.output.timers[0].task();  // the first CALL's timer fires late
  REQUIRE(f.outcomes.list.size() == 1);
  CHECK(f.outcomes.list[0].status == CallStatus::Completed);
  CHECK(f.session->call_outstanding());
}

TEST_CASE("a CALLERROR answer is delivered as such") {
  Fixture f;
  f.session->send_call("Reset", json(R"({"type":"Soft"})"), f.outcomes.callback());
  const std::string id = as_call(f.output.last_sent()).message_id;
  f.session->on_text(R"([4,")" + id + R"(","NotSupported","no reset here",{"why":"model"}])");
  REQUIRE(f.outcomes.list.size() == 1);
  CHECK(f.outcomes.list[0].status == CallStatus::CallError);
  CHECK(f.outcomes.list[0].error_code == ErrorCode::NotSupported);
  CHECK(f.outcomes.list[0].description == "no reset here");
  CHECK(std::string(f.outcomes.list[0].payload["why"].GetString()) == "model");
  CHECK(f.output.sent().size() == 1);  // a CALLERROR is never answered
}

TEST_CASE("a CALLRESULT that fails the response schema is InvalidResponse") {
  Fixture f;
  f.session->send_call("Reset", json(R"({"type":"Soft"})"), f.outcomes.callback());
  const std::string id = as_call(f.output.last_sent()).message_id;
  f.session->on_text(R"([3,")" + id + R"(",{"status":"Maybe"}])");
  REQUIRE(f.outcomes.list.size() == 1);
  CHECK(f.outcomes.list[0].status == CallStatus::InvalidResponse);
  CHECK(f.outcomes.list[0].error_code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(f.outcomes.list[0].description, Catch::Contains("/status"));
}

TEST_CASE("a malformed answer to the outstanding CALL ends it as InvalidResponse, unanswered") {
  Fixture f;
  f.session->send_call("Reset", json(R"({"type":"Soft"})"), f.outcomes.callback());
  const std::string id = as_call(f.output.last_sent()).message_id;
  f.session->on_text(R"([3,")" + id + R"(","not an object"])");
  REQUIRE(f.outcomes.list.size() == 1);
  CHECK(f.outcomes.list[0].status == CallStatus::InvalidResponse);
  CHECK(f.outcomes.list[0].error_code == ErrorCode::FormationViolation);
  CHECK(f.output.sent().size() == 1);
}

TEST_CASE("send_call rejects a payload that fails the request schema, nothing is sent") {
  Fixture f;
  f.session->send_call("Reset", json(R"({"type":"Gentle"})"), f.outcomes.callback());
  f.session->send_call("UnlockConnector", json("{}"), f.outcomes.callback());
  REQUIRE(f.outcomes.list.size() == 2);
  CHECK(f.outcomes.list[0].status == CallStatus::Rejected);
  CHECK(f.outcomes.list[0].error_code == ErrorCode::PropertyConstraintViolation);
  CHECK(f.outcomes.list[0].message_id.empty());
  CHECK(f.outcomes.list[1].error_code == ErrorCode::OccurenceConstraintViolation);
  CHECK(f.output.sent().empty());
  CHECK(f.output.timers.empty());
}

TEST_CASE("send_call rejects unknown actions and actions only a pile sends") {
  Fixture f;
  f.session->send_call("LockVehicle", json("{}"), f.outcomes.callback());
  f.session->send_call("BootNotification",
                       json(R"({"chargePointVendor":"V","chargePointModel":"M"})"),
                       f.outcomes.callback());
  REQUIRE(f.outcomes.list.size() == 2);
  CHECK(f.outcomes.list[0].status == CallStatus::Rejected);
  CHECK(f.outcomes.list[0].error_code == ErrorCode::NotImplemented);
  CHECK(f.outcomes.list[1].status == CallStatus::Rejected);
  CHECK(f.outcomes.list[1].error_code == ErrorCode::NotSupported);
  CHECK(f.output.sent().empty());
}

TEST_CASE("a callback may send the next CALL itself") {
  Fixture f;
  f.session->send_call("ClearCache", json("{}"), [&](CallOutcome) {
    f.session->send_call("Reset", json(R"({"type":"Soft"})"), f.outcomes.callback());
  });
  const std::string id = as_call(f.output.last_sent()).message_id;
  f.session->on_text(R"([3,")" + id + R"(",{"status":"Accepted"}])");
  CHECK(as_call(f.output.last_sent()).action == "Reset");
  CHECK(f.session->call_outstanding());
}

TEST_CASE("closing the connection fails the outstanding and queued CALLs") {
  Fixture f;
  f.session->send_call("ClearCache", json("{}"), f.outcomes.callback());
  f.session->send_call("Reset", json(R"({"type":"Soft"})"), f.outcomes.callback());
  f.session.reset();
  REQUIRE(f.outcomes.list.size() == 2);
  CHECK(f.outcomes.list[0].status == CallStatus::ConnectionClosed);
  CHECK_FALSE(f.outcomes.list[0].message_id.empty());  // it had been sent
  CHECK(f.outcomes.list[1].status == CallStatus::ConnectionClosed);
  CHECK(f.outcomes.list[1].message_id.empty());  // it never was
  f.output.timers[0].task();                     // a timer after closing is harmless
  CHECK(f.outcomes.list.size() == 2);
}

// ------------------------------------------------------------ secrets (SPEC §7)

TEST_CASE("a CALL carrying an AuthorizationKey goes out in clear but is logged as \"***\"") {
  Fixture f;
  f.session->send_call("ChangeConfiguration",
                       json(R"({"key":"authorizationKey","value":"s3cret-key-0123456789"})"),
                       f.outcomes.callback());
  Call call = as_call(f.output.last_sent());
  CHECK(std::string(call.payload["value"].GetString()) == "s3cret-key-0123456789");
  const auto entries = f.log.entries();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].direction == core::FrameDirection::Outgoing);
  CHECK(entries[0].frame ==
        R"([2,")" + call.message_id +
            R"(","ChangeConfiguration",{"key":"authorizationKey","value":"***"}])");

  // Any other key is logged as sent.
  f.session->on_text(R"([3,")" + call.message_id + R"(",{"status":"Accepted"}])");
  f.session->send_call("ChangeConfiguration", json(R"({"key":"HeartbeatInterval","value":"60"})"),
                       f.outcomes.callback());
  CHECK(f.log.entries().back().frame == f.output.last_sent());
}

TEST_CASE("a GetConfiguration answer reporting the AuthorizationKey is logged with \"***\"") {
  Fixture f;
  f.session->send_call("GetConfiguration", json("{}"), f.outcomes.callback());
  Call call = as_call(f.output.last_sent());
  f.session->on_text(
      R"([3,")" + call.message_id +
      R"(",{"configurationKey":[{"key":"AuthorizationKey","readonly":false,)"
      R"("value":"s3cret-key-0123456789"},{"key":"A","readonly":true,"value":"1"}]}])");
  const auto entries = f.log.entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].direction == core::FrameDirection::Incoming);
  CHECK_THAT(entries[1].frame, !Catch::Contains("s3cret"));
  CHECK_THAT(entries[1].frame,
             Catch::Contains(R"({"key":"AuthorizationKey","readonly":false,"value":"***"})"));
  CHECK_THAT(entries[1].frame, Catch::Contains(R"({"key":"A","readonly":true,"value":"1"})"));
  // The command queue still gets the answer as the pile sent it.
  REQUIRE(f.outcomes.list.size() == 1);
  CHECK(f.outcomes.list[0].status == CallStatus::Completed);
}
