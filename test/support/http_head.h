// Reading an HTTP/1.1 head as the tests' raw-socket peers see it (the
// receiver of webhooks, the raw request helper).
#pragma once

#include <map>
#include <string>

namespace chargelock::test {

// The header fields of `head` (its lines after the first, without the blank
// line that ends it): lower-case names, values without leading spaces; a
// repeated name keeps its last value.
std::map<std::string, std::string> header_fields(const std::string& head);

}  // namespace chargelock::test
