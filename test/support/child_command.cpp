#include "test/support/child_command.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>

namespace chargelock::test {

std::string shell_command(const std::string& program, const std::vector<std::string>& args) {
  std::string command = "'" + program + "'";
  for (const auto& arg : args) command += " '" + arg + "'";
  return command;
}

std::pair<int, std::string> run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::pair<int, std::string> run_node(const std::string& script,
                                     const std::map<std::string, std::string>& env) {
  std::string command;
  for (const auto& [name, value] : env) command += fmt::format("{}='{}' ", name, value);
  command += fmt::format("node '{}' 2>&1", script);
  return run_command(command);
}

void require_npm_package(const std::string& dir, const std::string& package,
                         const std::string& install_command) {
  struct stat info {};
  if (::stat((dir + "/node_modules/" + package).c_str(), &info) != 0)
    FAIL(package << " is not installed: run `" << install_command << "` in " << dir
                 << " (scripts/test.sh does)");
}

rapidjson::Document pilesim_summary(const std::string& output) {
  const auto last = output.rfind("{\"elapsedSeconds\"");  // the summary's first member
  INFO(output);
  REQUIRE(last != std::string::npos);
  rapidjson::Document summary;
  summary.Parse(output.c_str() + last);
  REQUIRE_FALSE(summary.HasParseError());
  return summary;
}

}  // namespace chargelock::test
