// Test helper for the pilesim unit tests: drives one ChargePoint without
// sockets, playing a scripted central system. Every CALL the pile sends is
// checked against its OCPP 1.6 request schema; every answer the pile gives
// to a central-system CALL can be checked against the response schema.
#pragma once

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ocpp/rpc/frame.h"
#include "ocpp/schemas/schema_registry.h"
#include "simulators/pilesim/charge_point.h"
#include "simulators/pilesim/json_util.h"

namespace pilesim_test {

using namespace chargelock::pilesim;

struct Recorder : EventSink {
  std::vector<std::string> lines;
  void note(std::string_view pile, std::string_view text) override {
    lines.push_back(std::string(pile) + ": " + std::string(text));
  }
};

// A CALL the pile sent.
struct SentCall {
  std::string message_id;
  std::string action;
  rapidjson::Document payload;
  std::string text() const { return json::to_text(payload); }
  std::string str(const char* key) const { return json::string(payload, key).value_or(""); }
  std::int64_t num(const char* key) const { return json::integer(payload, key).value_or(-999); }
};

inline PileConfig pile_config(int connectors = 1, bool extension = true) {
  PileConfig config;
  config.id = "SIM-1";
  config.connectors = connectors;
  config.lock_extension = extension;
  return config;
}

class FakeCsms {
 public:
  explicit FakeCsms(PileConfig config = pile_config())
      : pile(std::move(config), stats, events, 42) {}

  Stats stats;
  Recorder events;
  ChargePoint pile;
  std::int64_t now = 1700000000000;  // 2023-11-14T22:13:20Z
  std::vector<SentCall> calls;       // every CALL the pile sent, in order
  std::vector<std::string> replies;  // frames that were not CALLs (answers to our calls)
  int next_transaction_id = 100;
  // Answers by action; a missing entry gets the default answer. Return a
  // JSON text for a CALLRESULT payload, or "" to leave the CALL unanswered.
  std::map<std::string, std::function<std::string(const SentCall&)>> answer;
  bool answering = true;

  // Power on, connect and have the boot accepted with `interval`.
  void boot(int interval = 300) {
    pile.power_on(now);
    REQUIRE(pile.take_connect_request());
    pile.on_connected(now);
    auto previous = answer["BootNotification"];
    answer["BootNotification"] = [interval](const SentCall&) {
      return R"({"status":"Accepted","currentTime":"2023-11-14T22:13:20Z","interval":)" +
             std::to_string(interval) + "}";
    };
    exchange();
    if (previous) {
      answer["BootNotification"] = previous;
    } else {
      answer.erase("BootNotification");
    }
    REQUIRE(pile.registration() == Registration::Accepted);
  }

  // Reads what the pile wrote and answers its CALLs until it is quiet.
  void exchange() {
    for (int guard = 0; guard < 10000 && pile.has_outgoing(); ++guard) {
      const std::string frame = pile.pop_outgoing();
      auto parsed = chargelock::ocpp::parse_frame(frame);
      REQUIRE(std::holds_alternative<chargelock::ocpp::Frame>(parsed));
      auto& f = std::get<chargelock::ocpp::Frame>(parsed);
      auto* call = std::get_if<chargelock::ocpp::Call>(&f);
      if (call == nullptr) {
        replies.push_back(frame);
        continue;
      }
      const auto failure =
          chargelock::ocpp::SchemaRegistry::ocpp16().validate_request(call->action, call->payload);
      INFO(call->action << " " << frame);
      CHECK_FALSE(failure.has_value());
      SentCall sent{call->message_id, call->action, rapidjson::Document()};
      sent.payload.CopyFrom(call->payload, sent.payload.GetAllocator());
      calls.push_back(std::move(sent));
      if (!answering) continue;
      const SentCall& last = calls.back();
      const std::string result =
          answer.count(last.action) ? answer[last.action](last) : default_answer(last);
      if (!result.empty()) {
        pile.on_text("[3,\"" + last.message_id + "\"," + result + "]", now);
      }
    }
  }

  std::string default_answer(const SentCall& call) {
    const std::string accepted = R"({"idTagInfo":{"status":"Accepted"}})";
    if (call.action == "BootNotification") {
      return R"({"status":"Accepted","currentTime":"2023-11-14T22:13:20Z","interval":300})";
    }
    if (call.action == "Heartbeat") return R"({"currentTime":"2023-11-14T22:13:20Z"})";
    if (call.action == "Authorize") return accepted;
    if (call.action == "StartTransaction") {
      return R"({"transactionId":)" + std::to_string(next_transaction_id++) +
             R"(,"idTagInfo":{"status":"Accepted"}})";
    }
    if (call.action == "StopTransaction") return accepted;
    if (call.action == "DataTransfer") return R"({"status":"Accepted"})";
    return "{}";
  }

  // Lets time pass, firing the pile's timers as they come due.
  void advance(std::int64_t ms) {
    const std::int64_t until = now + ms;
    for (int guard = 0; guard < 100000; ++guard) {
      const std::int64_t next = pile.next_wakeup();
      if (next > until) break;
      now = std::max(now, next);
      pile.tick(now);
      exchange();
    }
    now = until;
    pile.tick(now);
    exchange();
  }

  // Sends a CALL as the central system; returns the pile's answer frame
  // (CALLRESULT or CALLERROR) and keeps the exchange going.
  std::string cs_call(const std::string& action, const std::string& payload) {
    const std::string id = "cs-" + std::to_string(++cs_ids_);
    const std::size_t before = replies.size();
    pile.on_text("[2,\"" + id + "\",\"" + action + "\"," + payload + "]", now);
    exchange();
    for (std::size_t i = before; i < replies.size(); ++i) {
      if (replies[i].find("\"" + id + "\"") != std::string::npos) return replies[i];
    }
    FAIL("no answer to " << action);
    return "";
  }

  // The payload of a CALLRESULT frame (REQUIREs that it is one).
  static rapidjson::Document result_payload(const std::string& frame) {
    auto parsed = chargelock::ocpp::parse_frame(frame);
    REQUIRE(std::holds_alternative<chargelock::ocpp::Frame>(parsed));
    auto& f = std::get<chargelock::ocpp::Frame>(parsed);
    auto* result = std::get_if<chargelock::ocpp::CallResult>(&f);
    INFO(frame);
    REQUIRE(result != nullptr);
    return std::move(result->payload);
  }

  std::string cs_status(const std::string& action, const std::string& payload) {
    auto doc = result_payload(cs_call(action, payload));
    return json::string(doc, "status").value_or("");
  }

  std::vector<const SentCall*> sent(const std::string& action) const {
    std::vector<const SentCall*> out;
    for (const auto& call : calls) {
      if (call.action == action) out.push_back(&call);
    }
    return out;
  }

  // DataTransfer CALLs of the lock extension with this messageId, in order.
  std::vector<const SentCall*> sent_extension(const std::string& message_id) const {
    std::vector<const SentCall*> out;
    for (const auto* call : sent("DataTransfer")) {
      if (call->str("vendorId") == "org.chargelock" && call->str("messageId") == message_id) {
        out.push_back(call);
      }
    }
    return out;
  }

  // Statuses reported for a connector, in order.
  std::vector<std::string> statuses(int connector) const {
    std::vector<std::string> out;
    for (const auto* call : sent("StatusNotification")) {
      if (call->num("connectorId") == connector) out.push_back(call->str("status"));
    }
    return out;
  }

  std::vector<std::string> actions() const {
    std::vector<std::string> out;
    for (const auto& call : calls) out.push_back(call.action);
    return out;
  }

 private:
  int cs_ids_ = 0;
};

inline Vehicle vehicle(std::string id_tag, std::string evcc_id = "", std::string vin = "") {
  Vehicle v;
  v.id_tag = std::move(id_tag);
  v.evcc_id = std::move(evcc_id);
  v.vin = std::move(vin);
  return v;
}

}  // namespace pilesim_test
