#include "simulators/vehicle_feeder/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace chargelock::feeder {

namespace {

std::string tls_error(const std::string& what) {
  std::string text = what;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += std::string(": ") + buffer;
  }
  return text;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Url parse_url(const std::string& text) {
  Url url;
  std::string rest;
  if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    url.https = true;
    rest = text.substr(8);
  } else {
    throw std::invalid_argument("the URL must start with http:// or https://");
  }
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  url.path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos) throw std::invalid_argument("bad IPv6 address in the URL");
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port_text = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw std::invalid_argument("the URL has no host");
  url.port = url.https ? 443 : 80;
  if (!port_text.empty()) {
    char* end = nullptr;
    const long port = std::strtol(port_text.c_str(), &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
      throw std::invalid_argument("bad port in the URL: " + port_text);
    url.port = static_cast<int>(port);
  }
  return url;
}

HttpClient::HttpClient(Url url, std::string ca_file, std::chrono::milliseconds timeout)
    : url_(std::move(url)), ca_file_(std::move(ca_file)), timeout_(timeout) {
  if (url_.https) {
    if (ca_file_.empty()) throw std::invalid_argument("an https URL needs --ca FILE");
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr || SSL_CTX_load_verify_locations(ctx_, ca_file_.c_str(), nullptr) != 1)
      throw std::runtime_error(tls_error("cannot load the CA file " + ca_file_));
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
}

HttpClient::~HttpClient() {
  disconnect();
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

void HttpClient::disconnect() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffered_.clear();
}

bool HttpClient::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url_.port);
  if (const int rc = ::getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error_ = "cannot resolve " + url_.host + ": " + gai_strerror(rc);
    return false;
  }
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ < 0) continue;
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
      error_ = std::string("cannot connect: ") + std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval limit{static_cast<time_t>(timeout_.count() / 1000),
                static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  if (!url_.https) return true;

  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  // The certificate must name the host of the URL (an IP address or a name).
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str()) != 1) {
    X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), 0);
    SSL_set_tlsext_host_name(ssl_, url_.host.c_str());
  }
  if (SSL_connect(ssl_) != 1) {
    error_ = tls_error("TLS handshake with " + url_.host + " failed");
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK)
      error_ += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    disconnect();
    return false;
  }
  return true;
}

bool HttpClient::send_all(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    int n;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    } else {
      n = static_cast<int>(::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL));
      if (n < 0 && errno == EINTR) continue;
    }
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool HttpClient::receive(std::string& into, std::chrono::steady_clock::time_point deadline) {
  char chunk[8192];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
    }
    int n;
    if (ssl_ != nullptr) {
      n = SSL_read(ssl_, chunk, sizeof chunk);
      if (n <= 0) {
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) continue;
        return false;
      }
    } else {
      n = static_cast<int>(::recv(fd_, chunk, sizeof chunk, 0));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
    }
    into.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

HttpReply HttpClient::read_reply() {
  HttpReply reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  std::size_t head_end;
  while ((head_end = buffered_.find("\r\n\r\n")) == std::string::npos)
    if (!receive(buffered_, deadline)) return reply;
  const std::string head = lower(buffered_.substr(0, head_end));
  buffered_.erase(0, head_end + 4);
  if (head.rfind("http/1.", 0) != 0 || head.size() < 12) return reply;
  const int status = std::atoi(head.c_str() + 9);
  std::size_t length = 0;
  if (const auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
    length = static_cast<std::size_t>(std::strtoull(head.c_str() + at + 17, nullptr, 10));
  while (buffered_.size() < length)
    if (!receive(buffered_, deadline)) return reply;
  reply.body = buffered_.substr(0, length);
  buffered_.erase(0, length);
  reply.status = status;
  if (head.find("\r\nconnection: close") != std::string::npos) disconnect();
  return reply;
}

HttpReply HttpClient::post_json(const std::string& path, const std::string& body,
                                const std::string& bearer_token) {
  std::string request =
      "POST " + url_.path + path + " HTTP/1.1\r\nHost: " + url_.host + ":" +
      std::to_string(url_.port) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n";
  if (!bearer_token.empty()) request += "Authorization: Bearer " + bearer_token + "\r\n";
  request += "\r\n" + body;
  // A kept-alive connection may have been closed by the server: one retry
  // on a fresh connection (a telematics report may safely arrive twice).
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = fd_ < 0;
    if (fresh && !connect()) return {};
    if (send_all(request)) {
      HttpReply reply = read_reply();
      if (reply.status != 0) return reply;
      error_ = "no answer from the server";
    } else {
      error_ = "cannot send the request";
    }
    disconnect();
    if (fresh) break;
  }
  return {};
}

}  // namespace chargelock::feeder
