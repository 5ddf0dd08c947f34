#include "test/support/ocpp_test_pile.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>
#include <stdexcept>

#include "test/support/eventually.h"

namespace chargelock::test {

rapidjson::Document OcppTestPile::exchange(const std::string& text) {
  if (!client_.send_text(text)) throw std::runtime_error(id_ + ": not connected");
  auto reply = client_.receive(std::chrono::seconds(10));
  if (!reply) throw std::runtime_error(id_ + ": no reply to " + text);
  rapidjson::Document frame;
  frame.Parse(reply->c_str());
  if (frame.HasParseError() || !frame.IsArray())
    throw std::runtime_error(id_ + ": reply is not a JSON array: " + *reply);
  return frame;
}

rapidjson::Document OcppTestPile::call(const std::string& action, const std::string& payload_json) {
  last_id_ = fmt::format("{}-{}", id_, next_id_++);
  return exchange(fmt::format(R"([2,"{}","{}",{}])", last_id_, action, payload_json));
}

rapidjson::Document OcppTestPile::call_ok(const std::string& action,
                                          const std::string& payload_json) {
  rapidjson::Document frame = call(action, payload_json);
  if (frame[0].GetInt() != 3) {
    rapidjson::StringBuffer text;
    rapidjson::Writer<rapidjson::StringBuffer> writer(text);
    frame.Accept(writer);
    throw std::runtime_error(fmt::format("{} {} failed: {}", id_, action, text.GetString()));
  }
  rapidjson::Document payload;
  payload.CopyFrom(frame[2], payload.GetAllocator());
  return payload;
}

std::unique_ptr<OcppTestPile> connect_when_known(const std::string& url,
                                                 const std::string& charge_point_id,
                                                 const WsClientOptions& options,
                                                 std::chrono::milliseconds timeout) {
  std::unique_ptr<OcppTestPile> connected;
  eventually(
      [&] {
        auto pile = std::make_unique<OcppTestPile>(charge_point_id);
        const ConnectResult result = pile->connect(url, options);
        if (!result.connected) {
          if (result.http_status != 401)
            throw std::runtime_error(fmt::format("{}: refused with {} ({})", charge_point_id,
                                                 result.http_status, result.error));
          return false;
        }
        const auto closed = pile->client().wait_closed(std::chrono::seconds(2));
        if (closed && *closed != 1008)
          throw std::runtime_error(fmt::format("{}: closed with {}", charge_point_id, *closed));
        if (!closed) connected = std::move(pile);
        return !closed;
      },
      timeout, std::chrono::milliseconds(500));  // the retry pace, not an assertion
  return connected;
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", text, millis);
}

}  // namespace chargelock::test
