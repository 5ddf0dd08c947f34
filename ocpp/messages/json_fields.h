// Reading request fields and writing response fields for the handlers in
// ocpp/messages. Requests have passed their schema already, so a missing
// required field or a wrong type here is a bug of the schema layer; it is
// answered as a CALLERROR (CallFailure) rather than crashing.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "core/authorization_service.h"
#include "core/timestamp.h"

namespace chargelock::ocpp::messages {

std::string required_string(const rapidjson::Value& object, const char* name);
std::optional<std::string> optional_string(const rapidjson::Value& object, const char* name);
int required_int(const rapidjson::Value& object, const char* name);
std::optional<int> optional_int(const rapidjson::Value& object, const char* name);
// RFC 3339 date-time; a malformed one is a TypeConstraintViolation.
core::Timestamp required_time(const rapidjson::Value& object, const char* name);

// Starts `response` as an empty object.
void begin_object(rapidjson::Document& response);
void add_string(rapidjson::Document& response, rapidjson::Value& object, const char* name,
                const std::string& value);
void add_int(rapidjson::Document& response, rapidjson::Value& object, const char* name, int value);
// OCPP IdTagInfo {status, expiryDate?, parentIdTag?}.
void add_id_tag_info(rapidjson::Document& response, rapidjson::Value& object,
                     const core::IdTagInfo& info);

}  // namespace chargelock::ocpp::messages
