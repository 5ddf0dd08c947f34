#include "api/webhook_http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "api/json_util.h"
#include "api/notification_streams.h"
#include "core/network_address.h"

namespace chargelock::api {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string openssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return what;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return what + ": " + text;
}

bool is_ip_address(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// One request's connection: the socket, the TLS session when https, the
// deadline and the cancel flag.
class Connection {
 public:
  Connection(const std::atomic<bool>& cancelled, SteadyClock::time_point deadline)
      : cancelled_(cancelled), deadline_(deadline) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& error() const { return error_; }

  bool connect(const core::WebhookUrl& url, std::chrono::milliseconds connect_timeout,
               bool allow_private) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(url.port);
    if (const int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0)
      return fail("cannot resolve " + url.host + ": " + gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
    std::string last = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      // The address about to be connected to, not the one seen when the
      // webhook was registered.
      if (const auto kind = core::classify_address(*a->ai_addr);
          !allow_private && !core::is_public(kind)) {
        last = "refused: " + url.host + " resolves to " + core::address_text(*a->ai_addr) + ", a " +
               core::to_string(kind) + " address (allowed only with --webhook-allow-private)";
        continue;
      }
      const int fd =
          ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) {
        last = std::strerror(errno);
        continue;
      }
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
        fd_ = fd;
        const auto limit = std::min(deadline_, SteadyClock::now() + connect_timeout);
        if (wait(POLLOUT, limit)) {
          int so_error = 0;
          socklen_t size = sizeof so_error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &size);
          if (so_error == 0) return true;
          last = std::strerror(so_error);
        } else {
          last = error_;
          if (cancelled_) return false;
        }
        fd_ = -1;
      } else {
        last = std::strerror(errno);
      }
      ::close(fd);
    }
    return fail("cannot connect to " + url.host + ":" + port + ": " + last);
  }

  bool start_tls(ssl_ctx_st* context, const std::string& host) {
    ssl_ = SSL_new(context);
    if (ssl_ == nullptr) return fail(openssl_error("SSL_new failed"));
    SSL_set_fd(ssl_, fd_);
    if (is_ip_address(host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, host.c_str());
      SSL_set1_host(ssl_, host.c_str());
    }
    for (;;) {
      ERR_clear_error();
      const int rc = SSL_connect(ssl_);
      if (rc == 1) return true;
      const int reason = SSL_get_error(ssl_, rc);
      if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
        if (!wait(reason == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_)) return false;
        continue;
      }
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK)
        return fail(std::string("TLS certificate not accepted: ") +
                    X509_verify_cert_error_string(verify));
      return fail(openssl_error("TLS handshake failed"));
    }
  }

  bool send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const char* data = bytes.data() + sent;
      const std::size_t size = bytes.size() - sent;
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int n = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
        if (n > 0) {
          sent += static_cast<std::size_t>(n);
          continue;
        }
        const int reason = SSL_get_error(ssl_, n);
        if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
          if (!wait(reason == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_)) return false;
          continue;
        }
        return fail(openssl_error("TLS write failed"));
      }
      const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!wait(POLLOUT, deadline_)) return false;
      } else {
        return fail(std::string("send failed: ") + std::strerror(errno));
      }
    }
    return true;
  }

  // Reads into `out`; 0 at the end of the stream, -1 on failure.
  long receive(char* out, std::size_t size) {
    for (;;) {
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int n = SSL_read(ssl_, out, static_cast<int>(size));
        if (n > 0) return n;
        const int reason = SSL_get_error(ssl_, n);
        if (reason == SSL_ERROR_ZERO_RETURN) return 0;
        if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
          if (!wait(reason == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_)) return -1;
          continue;
        }
        if (reason == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return 0;  // closed uncleanly
        fail(openssl_error("TLS read failed"));
        return -1;
      }
      const ssize_t n = ::recv(fd_, out, size, 0);
      if (n >= 0) return static_cast<long>(n);
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        if (!wait(POLLIN, deadline_)) return -1;
        continue;
      }
      fail(std::string("receive failed: ") + std::strerror(errno));
      return -1;
    }
  }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // Waits for `events` on the socket in short slices, so that cancel() is
  // seen quickly.
  bool wait(short events, SteadyClock::time_point limit) {
    for (;;) {
      if (cancelled_) return fail("cancelled (shutting down)");
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(limit - SteadyClock::now());
      if (left.count() <= 0) return fail("timed out");
      pollfd p{fd_, events, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
      if (rc > 0) return true;
      if (rc < 0 && errno != EINTR)
        return fail(std::string("poll failed: ") + std::strerror(errno));
    }
  }

  const std::atomic<bool>& cancelled_;
  SteadyClock::time_point deadline_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string error_;
};

std::string host_header(const core::WebhookUrl& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls() ? 443 : 80)) host += ":" + std::to_string(url.port);
  return host;
}

// The status of "HTTP/1.x NNN ..." or nothing.
std::optional<int> status_of(const std::string& head) {
  if (head.compare(0, 7, "HTTP/1.") != 0 || head.size() < 12 || head[8] != ' ') return std::nullopt;
  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return std::nullopt;
    status = status * 10 + (head[i] - '0');
  }
  return status;
}

}  // namespace

WebhookHttpClient::WebhookHttpClient(WebhookHttpClientConfig config) : config_(std::move(config)) {
  tls_ = SSL_CTX_new(TLS_client_method());
  if (tls_ == nullptr) throw std::runtime_error(openssl_error("webhooks: SSL_CTX_new failed"));
  SSL_CTX_set_min_proto_version(tls_, TLS1_2_VERSION);
  SSL_CTX_set_verify(tls_, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(tls_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  const int loaded = config_.ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(tls_)
                         : SSL_CTX_load_verify_locations(tls_, config_.ca_file.c_str(), nullptr);
  if (loaded != 1) {
    const std::string error =
        openssl_error("webhooks: cannot load CA certificates " +
                      (config_.ca_file.empty() ? "(system default)" : config_.ca_file));
    SSL_CTX_free(tls_);
    throw std::runtime_error(error);
  }
}

WebhookHttpClient::~WebhookHttpClient() { SSL_CTX_free(tls_); }

core::WebhookAnswer WebhookHttpClient::post(const core::WebhookPost& request) {
  core::WebhookAnswer answer;
  core::WebhookUrl url;
  try {
    url = core::parse_webhook_url(request.url);
  } catch (const std::invalid_argument& error) {
    answer.error = error.what();
    return answer;
  }
  Connection connection(cancelled_, SteadyClock::now() + config_.timeout);
  if (!connection.connect(url, config_.connect_timeout, config_.allow_private) ||
      (url.tls() && !connection.start_tls(tls_, url.host))) {
    answer.error = connection.error();
    return answer;
  }

  std::string bytes = "POST " + url.target + " HTTP/1.1\r\nHost: " + host_header(url) +
                      "\r\nUser-Agent: ChargeLock-Webhook/1\r\nConnection: close\r\n"
                      "Content-Length: " +
                      std::to_string(request.body.size()) + "\r\n";
  for (const auto& [name, value] : request.headers) bytes += name + ": " + value + "\r\n";
  bytes += "\r\n";
  bytes += request.body;
  if (!connection.send_all(bytes)) {
    answer.error = connection.error();
    return answer;
  }

  // The status line (and the rest of the head, up to a limit); the body is
  // not needed.
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < config_.max_response_head) {
    const long n = connection.receive(buffer, sizeof buffer);
    if (n < 0) {
      if (status_of(head)) break;  // the status arrived; the rest does not matter
      answer.error = "no answer: " + connection.error();
      return answer;
    }
    if (n == 0) break;
    head.append(buffer, static_cast<std::size_t>(n));
  }
  answer.status = status_of(head);
  if (!answer.status)
    answer.error = head.empty() ? "connection closed without an answer" : "not an HTTP answer";
  return answer;
}

std::string webhook_body(const core::Notification& notification) {
  JsonOut out;
  write_notification(out, notification);
  return out.str();
}

}  // namespace chargelock::api
