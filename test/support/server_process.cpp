#include "test/support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

#include "test/support/eventually.h"

namespace chargelock::test {
namespace {

// fork+exec with stdout and stderr into one pipe. Returns {pid, read end}.
std::pair<pid_t, int> spawn(const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = CHARGELOCK_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env,
                             std::vector<std::string> await, std::chrono::seconds timeout) {
  auto [pid, fd] = spawn(args, env);
  pid_ = pid;
  out_fd_ = fd;
  reader_ = std::thread([this] { read_output(); });
  const auto listening = [&] {
    base::MutexLock lock(mutex_);
    for (const auto& name : await)
      if (ports_.count(name) == 0) return false;
    return true;
  };
  bool exited = false;
  eventually(
      [&] {
        if (listening()) return true;
        int status = 0;
        exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
        return exited;
      },
      timeout, std::chrono::milliseconds(20));
  if (exited) {
    pid_ = -1;
    reader_.join();
    throw std::runtime_error("chargelock exited before it was ready:\n" + output());
  }
  if (!listening()) {
    stop(true);
    throw std::runtime_error("chargelock was not ready in time:\n" + output());
  }
}

ServerProcess::~ServerProcess() { stop(); }

void ServerProcess::read_output() {
  static const std::regex ready(R"(chargelock: (.+) listening on .*:(\d+))");
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      std::smatch match;
      base::MutexLock lock(mutex_);
      output_ += line + "\n";
      if (std::regex_search(line, match, ready)) ports_[match[1]] = std::stoi(match[2]);
    }
  }
  base::MutexLock lock(mutex_);
  output_ += pending;
}

int ServerProcess::port(const std::string& listener) const {
  base::MutexLock lock(mutex_);
  auto it = ports_.find(listener);
  if (it == ports_.end()) throw std::runtime_error("no listener '" + listener + "'");
  return it->second;
}

std::string ServerProcess::output() const {
  base::MutexLock lock(mutex_);
  return output_;
}

bool ServerProcess::output_holds(const std::string& needle,
                                 std::chrono::milliseconds timeout) const {
  return eventually([&] { return output().find(needle) != std::string::npos; }, timeout);
}

bool ServerProcess::signal(int signal_number) {
  return pid_ > 0 && ::kill(pid_, signal_number) == 0;
}

int ServerProcess::stop(bool kill_hard) {
  int status = -1;
  if (pid_ > 0) {
    ::kill(pid_, kill_hard ? SIGKILL : SIGTERM);
    // A clean stop must not take long; escalate after 20 s.
    if (!eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                    std::chrono::seconds(20), std::chrono::milliseconds(10))) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
  return status;
}

std::pair<int, std::string> ServerProcess::run(std::vector<std::string> args,
                                               std::map<std::string, std::string> env) {
  auto [pid, fd] = spawn(args, env);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace chargelock::test
