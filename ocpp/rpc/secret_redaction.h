// Where OCPP 1.6 payloads carry secrets, and their "***" replacement
// (SPEC §7). Which values are secrets is core's rule (core/secrets.h); this
// file only knows where OCPP puts them:
//   ChangeConfiguration.req  {"key": <secret key>, "value": <the secret>}
//   GetConfiguration.conf    configurationKey[i].value of a secret key
//                            (a pile should never report it; some do)
// Used for the message log (ChargePointSession) and the command queue's
// rows (OcppCommandValidator), so both hide the same things.
//
// Threading: pure functions over the caller's values.
#pragma once

#include <rapidjson/document.h>

#include <string_view>

namespace chargelock::ocpp {

// The member of a CALL payload of `action` that holds a secret, or null.
rapidjson::Value* call_secret(std::string_view action, rapidjson::Value& payload);

// Whether a CALL payload / the CALLRESULT payload answering `action` holds
// a secret (cheap checks, so that only those payloads are copied).
bool call_has_secret(std::string_view action, const rapidjson::Value& payload);
bool result_has_secret(std::string_view action, const rapidjson::Value& payload);

// Replaces the secrets of a CALL payload / of the CALLRESULT payload
// answering `action` with "***". Returns whether anything was replaced.
bool redact_call_payload(std::string_view action, rapidjson::Value& payload);
bool redact_result_payload(std::string_view action, rapidjson::Value& payload);

}  // namespace chargelock::ocpp
