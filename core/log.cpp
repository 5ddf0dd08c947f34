#include "core/log.h"

#include <cstdio>

#include "base/json_writer.h"
#include "core/timestamp.h"

namespace chargelock::core {

namespace {

struct LogSettings {
  LogFormat format = LogFormat::Text;
  LogLevel level = LogLevel::Info;
  std::string node;
};

LogSettings& settings() {
  static LogSettings instance;
  return instance;
}

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Error:
      return "error";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Notice:
      return "notice";
    case LogLevel::Info:
      return "info";
    case LogLevel::Debug:
      return "debug";
  }
  return "info";
}

bool parse_log_level(std::string_view text, LogLevel& level) {
  for (const LogLevel candidate :
       {LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug})
    if (text == to_string(candidate)) {
      level = candidate;
      return true;
    }
  return false;
}

std::string_view to_string(LogFormat format) { return format == LogFormat::Json ? "json" : "text"; }

bool parse_log_format(std::string_view text, LogFormat& format) {
  for (const LogFormat candidate : {LogFormat::Text, LogFormat::Json})
    if (text == to_string(candidate)) {
      format = candidate;
      return true;
    }
  return false;
}

void configure_logging(LogFormat format, LogLevel level, std::string node) {
  LogSettings& s = settings();
  s.format = format;
  s.level = level;
  s.node = std::move(node);
}

std::string log_json_line(std::string_view time, LogLevel level, std::string_view node,
                          std::string_view event, std::string_view text, LogContext context) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  base::JsonWriter json;
  json.begin_object().field("time", time).field("level", to_string(level));
  if (!node.empty()) json.field("node", node);
  if (!context.charge_point_id.empty()) json.field("chargePointId", context.charge_point_id);
  if (!context.message_id.empty()) json.field("messageId", context.message_id);
  json.field("event", event).field("message", text).end_object();
  std::string line = json.str();
  line += '\n';
  return line;
}

void log(LogLevel level, std::string_view event, std::string_view text, LogContext context) {
  const LogSettings& s = settings();
  if (level != LogLevel::Notice && static_cast<int>(level) > static_cast<int>(s.level)) return;
  FILE* stream = level <= LogLevel::Warn ? stderr : stdout;
  std::string line;
  if (s.format == LogFormat::Json) {
    line = log_json_line(format_rfc3339(Clock::now()), level, s.node, event, text, context);
  } else {
    line.assign(text);
    if (line.empty() || line.back() != '\n') line += '\n';
  }
  std::fwrite(line.data(), 1, line.size(), stream);
  if (stream == stdout) std::fflush(stdout);
}

}  // namespace chargelock::core
