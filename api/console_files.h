// The operator console and the owner page: static HTML, CSS and JavaScript
// modules from api/console/, compiled into the binary (api/embed_console.cmake)
// so that the API serves them without files beside it or any network.
#pragma once

#include <string_view>
#include <vector>

namespace chargelock::api {

struct ConsoleFile {
  std::string_view name;  // e.g. "operator.js"
  std::string_view body;
};

const std::vector<ConsoleFile>& console_files();

}  // namespace chargelock::api
