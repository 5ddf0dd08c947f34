// core/lock_codec on hostile input from piles (no database needed).
#include <pthread.h>

#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "core/lock_codec.h"

using namespace chargelock::core;

namespace {

// Runs `task` on a thread with a 1 MiB stack: how deep parsing recurses
// must not depend on how big the worker's stack happens to be.
void on_small_stack(std::function<void()> task) {
  pthread_attr_t attributes;
  REQUIRE(pthread_attr_init(&attributes) == 0);
  REQUIRE(pthread_attr_setstacksize(&attributes, 1024 * 1024) == 0);
  pthread_t thread;
  auto run = [](void* argument) -> void* {
    (*static_cast<std::function<void()>*>(argument))();
    return nullptr;
  };
  REQUIRE(pthread_create(&thread, &attributes, run, &task) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attributes);
}

}  // namespace

TEST_CASE("VehicleLocked data nested deeply is refused, not parsed recursively") {
  // The DataTransfer `data` is a JSON text inside the frame: the frame's
  // nesting limit does not see into it. A 64 KiB frame fits ~65 000 '['.
  for (const char open : {'[', '{'}) {
    std::string data;
    if (open == '[') {
      data.assign(65000, '[');
    } else {
      for (int i = 0; i < 13000; ++i) data += "{\"a\":";
    }
    bool parsed = true, status = true, member = true;
    std::string error;
    on_small_stack([&] {
      parsed = lock_codec::parse_vehicle_locked(data, &error).has_value();
      status = lock_codec::status_of(data).has_value();
      member = lock_codec::int_member(data, "connectorId").has_value();
    });
    CHECK_FALSE(parsed);
    CHECK_FALSE(error.empty());
    CHECK_FALSE(status);
    CHECK_FALSE(member);
  }
}

TEST_CASE("VehicleLocked data: a well-formed report is read") {
  std::string error;
  const auto report =
      lock_codec::parse_vehicle_locked(R"({"lockId":"L-1","connectorId":2,"idTag":"TAG"})", &error);
  REQUIRE(report);
  CHECK(report->lock_id == "L-1");
  CHECK(report->connector_id == 2);
  CHECK(report->matched_kind == "idTag");
  CHECK(report->matched_value == "TAG");
}
