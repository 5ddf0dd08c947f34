#include "app/autogroup.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/log.h"

namespace chargelock::app {
namespace {

std::optional<int> read_autogroup_nice(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return autogroup_nice_of(text);
}

// The kernel answers a refused write with the write's errno (EPERM, EINVAL);
// stdio keeps it, an ofstream would not.
int write_text(const std::string& path, const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return errno;
  int error = 0;
  if (std::fputs(text.c_str(), file) < 0 || std::fflush(file) != 0) error = errno;
  if (std::fclose(file) != 0 && error == 0) error = errno;
  return error;
}

}  // namespace

std::optional<int> autogroup_nice_of(std::string_view text) {
  static constexpr std::string_view kNice = " nice ";
  const auto at = text.find(kNice);
  if (text.rfind("/autogroup-", 0) != 0 || at == std::string_view::npos) return std::nullopt;
  const std::string number(text.substr(at + kNice.size()));
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(number.c_str(), &end, 10);
  if (end == number.c_str() || errno != 0 || value < -20 || value > 19) return std::nullopt;
  while (*end == '\n' || *end == ' ') ++end;
  if (*end != '\0') return std::nullopt;
  return static_cast<int>(value);
}

std::optional<int> apply_autogroup_nice(int nice, const std::string& path) {
  const int error = write_text(path, fmt::format("{}\n", nice));
  const std::optional<int> now = read_autogroup_nice(path);
  const std::string now_text = now ? fmt::format("{}", *now) : "unknown";
  if (error == 0 && now == nice) {
    core::log(core::LogLevel::Notice, "autogroup_nice",
              fmt::format("chargelock: this session's autogroup runs at nice {}", nice));
  } else {
    core::log(core::LogLevel::Warn, "autogroup_nice_refused",
              fmt::format("chargelock: autogroup nice {} refused ({}; a negative value needs "
                          "CAP_SYS_NICE): the session stays at nice {}",
                          nice, error != 0 ? std::strerror(error) : "not in force", now_text));
  }
  return now;
}

}  // namespace chargelock::app
