#include "simulators/pilesim/meter_values.h"

#include "base/time.h"
#include "simulators/pilesim/json_util.h"

namespace chargelock::pilesim {

namespace {

rapidjson::Value text(std::string_view value, rapidjson::Document::AllocatorType& alloc) {
  return rapidjson::Value(value.data(), static_cast<rapidjson::SizeType>(value.size()), alloc);
}

}  // namespace

std::string meter_values_payload(int connector, std::int64_t unix_ms, std::string_view context,
                                 const std::vector<SampledValue>& samples) {
  json::ObjectBuilder payload;
  payload.add("connectorId", connector);
  auto& alloc = payload.allocator();
  rapidjson::Value sampled(rapidjson::kArrayType);
  for (const SampledValue& s : samples) {
    rapidjson::Value sample(rapidjson::kObjectType);
    sample.AddMember("value", text(s.value, alloc), alloc);
    sample.AddMember("context", text(context, alloc), alloc);
    sample.AddMember("format", "Raw", alloc);
    sample.AddMember("measurand", text(s.measurand, alloc), alloc);
    sample.AddMember("location", text(s.location, alloc), alloc);
    sample.AddMember("unit", text(s.unit, alloc), alloc);
    sampled.PushBack(sample, alloc);
  }
  rapidjson::Value meter_value(rapidjson::kObjectType);
  meter_value.AddMember("timestamp", text(base::format_rfc3339(base::from_unix_ms(unix_ms)), alloc),
                        alloc);
  meter_value.AddMember("sampledValue", sampled, alloc);
  rapidjson::Value meter_values(rapidjson::kArrayType);
  meter_values.PushBack(meter_value, alloc);
  payload.add("meterValue", meter_values);
  return payload.text();
}

}  // namespace chargelock::pilesim
