#include "simulators/pilesim/meter_values.h"

#include "base/json_writer.h"
#include "base/time.h"

namespace chargelock::pilesim {

std::string meter_values_payload(int connector, std::int64_t unix_ms, std::string_view context,
                                 const std::vector<SampledValue>& samples) {
  base::JsonWriter payload;
  payload.begin_object().field("connectorId", connector).begin_array("meterValue");
  payload.begin_object()
      .field("timestamp", base::from_unix_ms(unix_ms))
      .begin_array("sampledValue");
  for (const SampledValue& s : samples) {
    payload.begin_object()
        .field("value", s.value)
        .field("context", context)
        .field("format", "Raw")
        .field("measurand", s.measurand)
        .field("location", s.location)
        .field("unit", s.unit)
        .end_object();
  }
  payload.end_array().end_object().end_array().end_object();
  return payload.str();
}

}  // namespace chargelock::pilesim
