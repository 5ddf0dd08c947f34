// Shared by the core_lock_* tests: a migrated database, the central system
// on it (command validator installed), owners, vehicles and piles, and a
// hand-driven command queue standing in for the piles.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/central_system.h"
#include "ocpp/command_validator.h"
#include "test/support/test_database.h"

namespace chargelock::test {

struct LockFixture {
  TestDatabase database;
  ocpp::OcppCommandValidator validator;
  std::unique_ptr<core::CentralSystem> central;

  explicit LockFixture(double low_battery_threshold = 20) {
    core::CentralSystemConfig config;
    config.message_log = false;
    config.low_battery_threshold = low_battery_threshold;
    central = std::make_unique<core::CentralSystem>(database.db(), config);
    central->set_command_validator(&validator);
  }

  std::int64_t owner(const std::string& name) {
    return std::stoll(
        database.scalar("INSERT INTO owners (name) VALUES ('" + name + "') RETURNING id"));
  }

  void pile(const std::string& id, std::optional<core::GeoLocation> location = std::nullopt) {
    core::ChargePointRegistration r;
    r.id = id;
    r.location = location;
    REQUIRE(central->charge_points().register_charge_point(r));
  }

  // Registers the vehicle as an operator would have it: its id tags
  // assigned to the owner, the binding verified.
  core::Vehicle vehicle(std::int64_t owner_id, const std::string& vin,
                        std::vector<std::string> id_tags, std::vector<std::string> evcc_ids = {}) {
    for (const auto& tag : id_tags) assign_tag(tag, owner_id);
    central->vehicles().register_vehicle({owner_id, vin, id_tags, evcc_ids});
    return central->vehicles().verify(vin, owner_id, {"operator:test", std::nullopt});
  }

  void assign_tag(const std::string& tag, std::int64_t owner_id) {
    core::IdTag record;
    record.id_tag = tag;
    record.owner_id = owner_id;
    central->authorization().put_id_tag(record);
  }

  // Plays the pile: claims each queued command of `charge_point_id` in turn
  // and answers it with `response_json`. Returns what it answered.
  std::vector<core::CommandRecord> answer(const std::string& charge_point_id,
                                          const std::string& response_json) {
    std::vector<core::CommandRecord> out;
    while (auto command = central->commands().claim_next(charge_point_id)) {
      REQUIRE(central->commands().complete(*command, response_json));
      out.push_back(*command);
    }
    return out;
  }

  std::vector<core::CommandRecord> queued(const std::string& charge_point_id) {
    core::CommandFilter filter;
    filter.charge_point_id = charge_point_id;
    filter.status = core::CommandStatus::Queued;
    auto list = central->commands().list(filter);
    std::reverse(list.begin(), list.end());  // oldest first
    return list;
  }
};

}  // namespace chargelock::test
