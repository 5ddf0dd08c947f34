#include "base/pattern.h"

namespace chargelock::base {

std::string expand_pattern(std::string_view pattern, long n, std::size_t digits) {
  std::string out;
  std::string number = std::to_string(n);
  if (number.size() < digits) number.insert(0, digits - number.size(), '0');
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern.compare(i, 3, "{n}") == 0) {
      out += number;
      i += 3;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

}  // namespace chargelock::base
