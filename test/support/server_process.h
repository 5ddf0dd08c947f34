// Runs the real `chargelock` program as a child process for integration
// tests, and learns its listening ports from the "ready" log lines it prints
// ("chargelock: <what> listening on <host>:<port>").
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace chargelock::test {

class ServerProcess {
 public:
  // Starts CHARGELOCK_BINARY with `args` and extra environment variables and
  // waits (up to `timeout`) until every listener in `await` ("ocpp ws",
  // "ocpp wss", "api") has logged that it is ready. Throws with the
  // program's output when it exits or times out first.
  ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env,
                std::vector<std::string> await = {"ocpp ws"},
                std::chrono::seconds timeout = std::chrono::seconds(30));
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port(const std::string& listener) const;  // e.g. port("ocpp ws")
  std::string output() const;                   // everything printed so far
  // Waits (up to `timeout`) until the program has printed `needle`;
  // whether it has.
  bool output_holds(const std::string& needle,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  // SIGTERM (clean) or SIGKILL (crash); returns the exit status as from
  // waitpid, or -1 if already reaped.
  int stop(bool kill_hard = false);
  // Sends `signal_number` (e.g. SIGTERM, SIGHUP) without waiting; false when
  // the program is not running.
  bool signal(int signal_number);
  bool running() const { return pid_ > 0; }

  // Runs the program to completion (for `migrate`, `chargepoint add`, bad
  // settings...) and returns {exit code, output}.
  static std::pair<int, std::string> run(std::vector<std::string> args,
                                         std::map<std::string, std::string> env);

 private:
  void read_output();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::thread reader_;
  mutable base::Mutex mutex_;
  std::string output_ GUARDED_BY(mutex_);
  std::map<std::string, int> ports_ GUARDED_BY(mutex_);
};

}  // namespace chargelock::test
