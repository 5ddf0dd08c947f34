#include "test/support/http_head.h"

#include <cctype>

namespace chargelock::test {

std::map<std::string, std::string> header_fields(const std::string& head) {
  std::map<std::string, std::string> fields;
  std::size_t line_end = head.find("\r\n");
  while (line_end != std::string::npos && line_end < head.size()) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(' ');
    fields[name] = first == std::string::npos ? std::string() : value.substr(first);
  }
  return fields;
}

}  // namespace chargelock::test
