#include "core/stores/command_store.h"

#include <algorithm>
#include <charconv>

namespace chargelock::core {

CommandIdRange covering(const std::optional<CommandIdRange>& range, const CommandIdRange& more) {
  if (!range) return more;
  return {std::min(range->first, more.first), std::max(range->last, more.last)};
}

std::string batch_wakeup(const CommandIdRange& ids) {
  return "*" + std::to_string(ids.first) + "-" + std::to_string(ids.last);
}

std::optional<CommandIdRange> parse_batch_wakeup(const std::string& wakeup) {
  // "*FIRST-LAST": two decimal ids, nothing else.
  if (wakeup.size() < 4 || wakeup[0] != '*') return std::nullopt;
  const char* const end = wakeup.data() + wakeup.size();
  CommandIdRange ids;
  const auto first = std::from_chars(wakeup.data() + 1, end, ids.first);
  if (first.ec != std::errc() || first.ptr == end || *first.ptr != '-') return std::nullopt;
  const auto last = std::from_chars(first.ptr + 1, end, ids.last);
  if (last.ec != std::errc() || last.ptr != end || ids.last < ids.first) return std::nullopt;
  return ids;
}

}  // namespace chargelock::core
