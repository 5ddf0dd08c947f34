// Notifications stored by another process (an OCPP node when the API runs
// apart) reach this process's subscribers through the relay (PostgreSQL
// NOTIFY/LISTEN), at once and once. Two storage::Database objects on one
// database stand for the two processes.
#include "core/notification_relay.h"

#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "core/notification_service.h"
#include "storage/database.h"
#include "test/support/eventually.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace std::chrono_literals;
using chargelock::test::eventually;

namespace {

std::int64_t add_owner(test::TestDatabase& t, const std::string& name) {
  return std::stoll(t.scalar("INSERT INTO owners (name) VALUES ('" + name + "') RETURNING id"));
}

// What a subscriber heard, in order.
class Heard {
 public:
  core::NotificationService::Listener listener() {
    return [this](const core::Notification& n) {
      std::lock_guard<std::mutex> lock(mutex_);
      ids_.push_back(n.id);
      bodies_.push_back(n.body_json);
    };
  }
  std::vector<std::int64_t> ids() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::int64_t> ids_;
  std::vector<std::string> bodies_;
};

}  // namespace

TEST_CASE("a notification another process stores reaches this process's subscribers, once") {
  test::TestDatabase t;
  const std::int64_t alice = add_owner(t, "alice");
  const std::int64_t bob = add_owner(t, "bob");
  storage::Database api_process(t.url());   // serves the owner's stream
  storage::Database ocpp_process(t.url());  // stores the vehicle_caught
  core::NotificationService here(api_process.notifications());
  core::NotificationService there(ocpp_process.notifications());
  core::NotificationRelay relay(here, api_process.notifications(),
                                [&] { api_process.release_thread_connection(); });
  relay.start();

  Heard alice_stream;
  auto subscription = here.subscribe(alice, alice_stream.listener());

  // Without the relay nothing but a poll of the database would find it.
  const auto caught = there.notify(alice, "vehicle_caught", R"({"chargePointId":"CP-1"})");
  INFO("waiting for the relayed vehicle_caught");
  REQUIRE(eventually([&] { return !alice_stream.ids().empty(); }, 10s));
  CHECK(alice_stream.ids() == std::vector<std::int64_t>{caught.id});
  CHECK(alice_stream.bodies() == std::vector<std::string>{R"({"chargePointId":"CP-1"})"});

  // Stored here: told by notify() itself, and not once more by the relay.
  // Another owner's is not for this subscriber. The relay hears signals in
  // commit order, so once the last one is through, a second copy of the
  // first would have come before it.
  const auto own = here.notify(alice, "lock_state", R"({"status":"engaged"})");
  there.notify(bob, "lock_state", R"({"status":"armed"})");
  const auto last = there.notify(alice, "vehicle_sighted", R"({"chargePointId":"CP-2"})");
  INFO("waiting for the last one");
  REQUIRE(eventually([&] { return alice_stream.ids().size() >= 3; }, 10s));
  CHECK(alice_stream.ids() == std::vector<std::int64_t>{caught.id, own.id, last.id});
}

TEST_CASE("a rolled-back notification is not relayed") {
  test::TestDatabase t;
  const std::int64_t alice = add_owner(t, "alice");
  storage::Database api_process(t.url());
  storage::Database ocpp_process(t.url());
  core::NotificationService here(api_process.notifications());
  core::NotificationService there(ocpp_process.notifications());
  core::NotificationRelay relay(here, api_process.notifications(),
                                [&] { api_process.release_thread_connection(); });
  relay.start();
  Heard stream;
  auto subscription = here.subscribe(alice, stream.listener());

  {
    auto batch_stores = ocpp_process.make_batch();
    core::WriteBatch batch(batch_stores.get());
    there.notify(batch, alice, "vehicle_caught", R"({"chargePointId":"CP-1"})");
    // Destroyed without commit(): rolled back.
  }
  const auto kept = there.notify(alice, "vehicle_sighted", R"({"chargePointId":"CP-2"})");
  INFO("waiting for the committed one");
  REQUIRE(eventually([&] { return !stream.ids().empty(); }, 10s));
  CHECK(stream.ids() == std::vector<std::int64_t>{kept.id});
}
