// A hand-driven OCPP 1.6J charge point for integration tests: a WsTestClient
// plus CALL/CALLRESULT bookkeeping, so a test reads like the conversation.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <memory>
#include <string>

#include "test/support/ws_test_client.h"

namespace chargelock::test {

class OcppTestPile {
 public:
  explicit OcppTestPile(std::string charge_point_id) : id_(std::move(charge_point_id)) {}

  const std::string& id() const { return id_; }
  WsTestClient& client() { return client_; }

  ConnectResult connect(const std::string& url, const WsClientOptions& options = {}) {
    return client_.connect(url, id_, options);
  }

  // Sends [2,<fresh id>,action,payload] and returns the parsed reply frame
  // (a CALLRESULT or CALLERROR array). Throws when nothing comes back in time.
  rapidjson::Document call(const std::string& action, const std::string& payload_json);

  // Sends any text and returns the parsed reply frame.
  rapidjson::Document exchange(const std::string& text);

  // call() that must succeed: returns the CALLRESULT payload, or throws with
  // the CALLERROR it got.
  rapidjson::Document call_ok(const std::string& action, const std::string& payload_json);

  std::string last_message_id() const { return last_id_; }

  // ChargeLock checks a password it has not verified recently off its
  // websocket loop, after the upgrade: such a connection is served nothing
  // and closed with 1008 (Policy Violation) when the check fails, whether
  // the id exists or not. True when `result` ended that way.
  bool refused_after_upgrade(const ConnectResult& result,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return result.connected && client_.wait_closed(timeout) == 1008;
  }

 private:
  std::string id_;
  WsTestClient client_;
  std::string last_id_;
  int next_id_ = 1;
};

// A pile registered through the API is known to an OCPP node after the
// node's next directory refresh (every 5 s); until then its id is unknown
// there and refused at the upgrade with 401. Once known, its first connect
// is upgraded and its password checked off the loop (closed with 1008 if
// the check failed). Connects `charge_point_id` afresh every 500 ms until a
// connection is upgraded and not closed within 2 s: returns that pile, or
// nullptr after `timeout`. Throws on any other refusal or close code.
std::unique_ptr<OcppTestPile> connect_when_known(
    const std::string& url, const std::string& charge_point_id, const WsClientOptions& options,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The current UTC time as RFC 3339 with milliseconds and 'Z'.
std::string now_rfc3339();

}  // namespace chargelock::test
