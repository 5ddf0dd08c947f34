#include "test/support/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace chargelock::test {

rapidjson::Document HttpResult::json() const {
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  return document;
}

std::string HttpResult::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpTestClient::HttpTestClient(int port, std::string bearer_token)
    : port_(port), token_(std::move(bearer_token)) {}

HttpTestClient::HttpTestClient(int port, std::string bearer_token, std::string ca_file)
    : port_(port), token_(std::move(bearer_token)), ca_file_(std::move(ca_file)) {}

HttpTestClient::~HttpTestClient() {
  close_socket();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
}

void HttpTestClient::close_socket() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffered_.clear();
}

namespace {
std::string openssl_error(const char* what) {
  std::string text = what;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += std::string(": ") + buffer;
  }
  return text;
}
}  // namespace

bool HttpTestClient::ensure_connected() {
  if (fd_ >= 0) {
    // A server that closed the idle connection makes it readable (EOF).
    pollfd p{fd_, POLLIN, 0};
    if (buffered_.empty() && ::poll(&p, 1, 0) == 0) {
      reused_ = true;
      return true;
    }
    close_socket();
  }
  reused_ = false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close_socket();
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (ca_file_.empty()) return true;

  if (ssl_ctx_ == nullptr) {
    ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    if (ssl_ctx_ == nullptr ||
        SSL_CTX_load_verify_locations(ssl_ctx_, ca_file_.c_str(), nullptr) != 1) {
      error_ = openssl_error("cannot load the CA file");
      close_socket();
      return false;
    }
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ssl_ctx_);
  // The certificate must name the address we connected to.
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
  SSL_set_fd(ssl_, fd_);
  // Blocking handshake, bounded by a receive time-out.
  timeval limit{static_cast<time_t>(timeout.count() / 1000),
                static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  if (SSL_connect(ssl_) != 1) {
    error_ = openssl_error("TLS handshake failed");
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK)
      error_ += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    close_socket();
    return false;
  }
  return true;
}

bool HttpTestClient::write_all(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    if (ssl_ != nullptr) {
      const int n = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
      continue;
    }
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool HttpTestClient::fill(std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0) return false;
  char chunk[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    }
    if (ssl_ != nullptr) {
      const int n = SSL_read(ssl_, chunk, sizeof(chunk));
      if (n <= 0) {
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) continue;
        return false;
      }
      buffered_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffered_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

HttpResult HttpTestClient::read_response(bool head_request) {
  HttpResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!read_head(result, deadline)) return result;
  std::size_t length = 0;
  if (!head_request && result.headers.count("content-length"))
    length = static_cast<std::size_t>(
        std::strtoull(result.headers["content-length"].c_str(), nullptr, 10));
  while (buffered_.size() < length) {
    if (!fill(deadline)) {
      close_socket();
      result.status = 0;
      return result;
    }
  }
  result.body = buffered_.substr(0, length);
  buffered_.erase(0, length);
  std::string connection = result.header("connection");
  for (char& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (connection == "close") close_socket();
  return result;
}

bool HttpTestClient::read_head(HttpResult& result, std::chrono::steady_clock::time_point deadline) {
  std::size_t header_end;
  while ((header_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) {
      close_socket();
      return false;
    }
  }
  const std::string head = buffered_.substr(0, header_end);
  buffered_.erase(0, header_end + 4);

  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
    close_socket();
    return false;
  }
  result.status = std::atoi(status_line.c_str() + 9);
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(' ');
    value = first == std::string::npos ? std::string() : value.substr(first);
    result.headers[name] = value;
  }
  return true;
}

std::string HttpTestClient::request_text(
    const std::string& method, const std::string& path, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string text =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  bool has_authorization = false;
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    text += name + ": " + value + "\r\n";
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    has_authorization = has_authorization || lower == "authorization";
    has_length = has_length || lower == "content-length";
  }
  if (!token_.empty() && !has_authorization) text += "Authorization: Bearer " + token_ + "\r\n";
  if (!body.empty()) text += "Content-Type: application/json\r\n";
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH"))
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n";
  text += body;
  return text;
}

HttpResult HttpTestClient::open_stream(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers) {
  close_socket();
  stream_text_.clear();
  HttpResult result;
  if (!ensure_connected()) return result;
  if (!write_all(request_text("GET", path, {}, headers))) {
    close_socket();
    return result;
  }
  if (!read_head(result, std::chrono::steady_clock::now() + timeout)) return HttpResult{};
  if (result.status != 200) {
    // An ordinary answer (an error): read its body.
    std::size_t length = static_cast<std::size_t>(
        std::strtoull(result.header("content-length").c_str(), nullptr, 10));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffered_.size() < length && fill(deadline)) {
    }
    result.body = buffered_.substr(0, std::min(length, buffered_.size()));
    close_socket();
    return result;
  }
  stream_text_ = std::move(buffered_);
  buffered_.clear();
  return result;
}

bool HttpTestClient::read_stream_until(const std::string& needle, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    stream_text_ += buffered_;
    buffered_.clear();
    if (stream_text_.find(needle) != std::string::npos) return true;
    if (!fill(deadline)) return false;
  }
}

HttpResult HttpTestClient::request(
    const std::string& method, const std::string& path, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  const std::string text = request_text(method, path, body, headers);

  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ensure_connected()) return {};
    const bool reused = reused_;
    if (write_all(text)) {
      HttpResult result = read_response(method == "HEAD");
      // A kept-alive connection the server closed meanwhile: retry once.
      if (result.status != 0 || !reused) return result;
    } else if (!reused) {
      close_socket();
      return {};
    }
    close_socket();
  }
  return {};
}

HttpResult HttpTestClient::raw(const std::string& bytes) {
  close_socket();
  if (!ensure_connected()) return {};
  if (!write_all(bytes)) {
    close_socket();
    return {};
  }
  HttpResult result = read_response(false);
  close_socket();
  return result;
}

}  // namespace chargelock::test
