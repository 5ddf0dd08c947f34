#include "test/support/private_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace chargelock::test {

namespace {

// A port nobody listens on now (the kernel's pick for an ephemeral bind).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("could not find a free port");
  return ntohs(address.sin_port);
}

}  // namespace

PrivateCluster::PrivateCluster() {
  char folder[] = "/tmp/chargelock-private-pg-XXXXXX";
  if (::mkdtemp(folder) == nullptr) throw std::runtime_error("mkdtemp failed");
  folder_ = folder;
  // As root the script runs PostgreSQL as 'postgres', which must reach the
  // data folder inside this one.
  std::filesystem::permissions(folder_, std::filesystem::perms::owner_all |
                                            std::filesystem::perms::group_exec |
                                            std::filesystem::perms::others_exec);
  port_ = free_port();
  script("start");
  url_ = "postgresql://chargelock@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

PrivateCluster::~PrivateCluster() {
  try {
    script("stop");
  } catch (...) {
    // Nothing more to do: the folder goes anyway.
  }
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

void PrivateCluster::restart() { script("restart"); }
void PrivateCluster::stop() { script("stop"); }
void PrivateCluster::start() { script("start"); }

void PrivateCluster::script(const std::string& command) const {
  const std::string line =
      "CHARGELOCK_PG_FSYNC=off '" CHARGELOCK_SOURCE_DIR "/scripts/postgres.sh' " + command + " '" +
      folder_ + "/data' " + std::to_string(port_) + " >/dev/null";
  if (std::system(line.c_str()) != 0)
    throw std::runtime_error("scripts/postgres.sh " + command + " failed for " + folder_);
}

}  // namespace chargelock::test
