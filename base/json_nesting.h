// The one nesting limit for JSON that comes from outside (REST bodies, OCPP
// frames), checked without parsing.
//
// Why here: api/ and ocpp/ both take JSON from the network and must not
// depend on each other; base is the one place both (and core) may include.
// The check is a scan of the text, not a JSON model.
//
// Why a pre-scan: RapidJSON's default parser recurses once per level, and so
// do the code that copies, validates (schemas) and writes a parsed value. A
// hostile "[[[[..." of a megabyte would overflow the stack. The scan is a
// loop with a counter (no recursion, no allocation) and stops at the first
// level too deep; the parse that follows uses kParseIterativeFlag.
//
// Thread contract: pure functions, callable from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace chargelock::base {

// Deepest nesting accepted (SPEC §7): OCPP payloads nest about six levels,
// REST bodies three; 64 leaves room for any honest document.
inline constexpr int kMaxJsonNesting = 64;

// When `text` opens more than `max_depth` arrays/objects inside one another
// (brackets inside strings do not count), the offset of the first bracket
// that goes too deep; nothing otherwise. Malformed text is not an error here
// (the parser reports it).
std::optional<std::size_t> json_too_deep_at(std::string_view text, int max_depth = kMaxJsonNesting);

}  // namespace chargelock::base
