#include "test/support/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "test/support/http_head.h"

namespace chargelock::test {

namespace {

// One socket, closed when the exchange ends.
class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool connect(int port) {
    if (fd_ < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }

  bool write_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Appends what arrives to `into`; false on EOF, error or time-out.
  bool read(std::string& into, std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    into.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

 private:
  int fd_;
};

}  // namespace

HttpResult raw_http_exchange(int port, const std::string& bytes,
                             std::chrono::milliseconds timeout) {
  Socket socket;
  if (!socket.connect(port) || !socket.write_all(bytes)) return {};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string read;
  std::size_t head_end;
  while ((head_end = read.find("\r\n\r\n")) == std::string::npos)
    if (!socket.read(read, deadline)) return {};

  HttpResult result;
  const std::string head = read.substr(0, head_end);
  const std::string status_line = head.substr(0, head.find("\r\n"));
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return {};
  result.status = std::atoi(status_line.c_str() + 9);
  result.headers = header_fields(head);
  const std::size_t length =
      static_cast<std::size_t>(std::strtoull(result.header("content-length").c_str(), nullptr, 10));
  std::string body = read.substr(head_end + 4);
  while (body.size() < length)
    if (!socket.read(body, deadline)) return HttpResult{};
  result.body = body.substr(0, length);
  return result;
}

}  // namespace chargelock::test
