// Running other programs from a test: a shell command to completion with its
// output, node scripts (the interop and browser tests) and the check that
// the npm packages such a script needs are installed, and reading pilesim's
// --json summary out of its output.
//
// Threading: any thread; each call runs its own child.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace chargelock::test {

// `program` and `args`, each single-quoted for /bin/sh (none may contain a
// single quote).
std::string shell_command(const std::string& program, const std::vector<std::string>& args);

// Runs `command` with /bin/sh to completion; returns {exit code, or -1 when
// it did not exit normally; what it wrote on stdout (redirect stderr in
// `command` to have it too)}.
std::pair<int, std::string> run_command(const std::string& command);

// Runs `node script` with `env` added, stderr folded into the output.
std::pair<int, std::string> run_node(const std::string& script,
                                     const std::map<std::string, std::string>& env);

// FAILs the test, saying how to install it, unless `package` is installed
// in `dir`/node_modules.
void require_npm_package(const std::string& dir, const std::string& package,
                         const std::string& install_command);

// The last pilesim --json summary object in `output` (REQUIREs one that
// parses).
rapidjson::Document pilesim_summary(const std::string& output);

}  // namespace chargelock::test
