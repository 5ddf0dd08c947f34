// Pure parsing of the pieces of an OCPP-J websocket upgrade request: the
// request path, the offered subprotocols and HTTP Basic credentials. Kept
// free of libwebsockets so it can be tested on plain strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chargelock::ocpp::websockets {

// The charge point id of a path of the form "/ocpp/{id}". The path must
// already be URL-decoded (libwebsockets decodes %xx while parsing the request
// line, so decoding again would turn "%2541" into "A"). Returns nothing when
// the prefix differs, the id is empty or contains a further '/'.
std::optional<std::string> charge_point_id_from_path(std::string_view decoded_path);

// True when the comma-separated Sec-WebSocket-Protocol header value lists
// `wanted` as one of its tokens (exact, case-sensitive as RFC 6455 requires).
bool offers_subprotocol(std::string_view header_value, std::string_view wanted);

struct BasicCredentials {
  std::string user;
  std::string password;  // may contain ':' and arbitrary bytes
};

// Parses an Authorization header value "Basic <base64(user:password)>".
// The scheme is case-insensitive; the base64 must be canonical (padded,
// no stray characters). Returns nothing for other schemes or bad encoding.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header_value);

}  // namespace chargelock::ocpp::websockets
