#include "test/support/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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

HttpTestClient::~HttpTestClient() { close_socket(); }

void HttpTestClient::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffered_.clear();
}

bool HttpTestClient::ensure_connected() {
  if (fd_ >= 0) {
    // A server that closed the idle connection makes it readable (EOF).
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) {
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
  return true;
}

bool HttpTestClient::write_all(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

HttpResult HttpTestClient::read_response(bool head_request) {
  HttpResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Reads more bytes into buffered_; false on EOF, error or time-out.
  const auto fill = [&]() -> bool {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffered_.append(chunk, static_cast<std::size_t>(n));
    return true;
  };

  std::size_t header_end;
  while ((header_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      close_socket();
      return result;
    }
  }
  const std::string head = buffered_.substr(0, header_end);
  buffered_.erase(0, header_end + 4);

  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
    close_socket();
    return result;
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

  std::size_t length = 0;
  if (!head_request && result.headers.count("content-length"))
    length = static_cast<std::size_t>(
        std::strtoull(result.headers["content-length"].c_str(), nullptr, 10));
  while (buffered_.size() < length) {
    if (!fill()) {
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

HttpResult HttpTestClient::request(
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
