// The program's log: one line per event, as text (what chargelock always
// printed) or as one JSON object per line (--log-format json) for log
// shippers: {"time","level","node","chargePointId","messageId","event",
// "message"} (the ids only when the event concerns a pile or a message).
// Errors and warnings go to stderr, the rest to stdout; lines below the
// configured level (--log-level) are dropped.
//
// Threading contract: configure_logging() runs once at start, before other
// threads; log() is then safe from any thread (each line is one write).
#pragma once

#include <string>
#include <string_view>

namespace chargelock::core {

// Notice: the process's life (listening, stopping): printed at every
// --log-level, to stdout, since scripts and operators wait for those lines
// whatever else they silence.
enum class LogLevel { Error, Warn, Notice, Info, Debug };
std::string_view to_string(LogLevel level);
// "error" | "warn" | "info" | "debug"; false for anything else.
bool parse_log_level(std::string_view text, LogLevel& level);

enum class LogFormat { Text, Json };
std::string_view to_string(LogFormat format);
bool parse_log_format(std::string_view text, LogFormat& format);

void configure_logging(LogFormat format, LogLevel level, std::string node);

struct LogContext {
  std::string_view charge_point_id;
  std::string_view message_id;
};

// `event`: a short stable name ("listening", "pile_refused", ...) to filter
// on; `text`: the line as a person reads it (the text format prints only it).
void log(LogLevel level, std::string_view event, std::string_view text, LogContext context = {});

// The JSON form of one line (exposed for tests).
std::string log_json_line(std::string_view time, LogLevel level, std::string_view node,
                          std::string_view event, std::string_view text, LogContext context);

}  // namespace chargelock::core
