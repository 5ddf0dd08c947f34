// What the REST API accepts as text in a request's decoded path and query:
// valid UTF-8 without control characters. lws percent-decodes both, so
// "%ff" or "%C3%28" arrive as bytes that no id, VIN or tag can contain;
// passed on they would reach PostgreSQL, which refuses invalid UTF-8 (the
// client saw a 503 for its own typo).
//
// Thread contract: pure functions, any thread.
#pragma once

#include <string_view>

namespace chargelock::api {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool valid_utf8(std::string_view text);

// valid_utf8 and no C0 control character or DEL (NUL included).
bool acceptable_request_text(std::string_view text);

}  // namespace chargelock::api
