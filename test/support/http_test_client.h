// A tiny blocking HTTP/1.1 client for tests (plain sockets, loopback only).
// One keep-alive connection per client, reopened when the server closed it.
// Not thread-safe: one client per thread.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chargelock::test {

struct HttpResult {
  int status = 0;  // 0: no answer (connection refused, closed, timed out)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  // The body parsed as JSON (a Document with a parse error when it is not).
  rapidjson::Document json() const;
  std::string header(const std::string& lower_case_name) const;
};

class HttpTestClient {
 public:
  explicit HttpTestClient(int port, std::string bearer_token = {});
  ~HttpTestClient();
  HttpTestClient(const HttpTestClient&) = delete;
  HttpTestClient& operator=(const HttpTestClient&) = delete;

  void set_token(std::string bearer_token) { token_ = std::move(bearer_token); }

  // Sends one request (with Content-Length; Authorization when a token is
  // set and no "Authorization" is in `headers`) and reads the answer.
  HttpResult request(const std::string& method, const std::string& path,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult get(const std::string& path) { return request("GET", path); }
  HttpResult post(const std::string& path, const std::string& body) {
    return request("POST", path, body);
  }
  HttpResult put(const std::string& path, const std::string& body) {
    return request("PUT", path, body);
  }
  HttpResult del(const std::string& path) { return request("DELETE", path); }

  // Writes `bytes` as they are on a fresh connection and reads one answer
  // (status 0 when the server closed without answering).
  HttpResult raw(const std::string& bytes);

  // Whether the last request reused an open connection.
  bool reused_connection() const { return reused_; }

  std::chrono::milliseconds timeout{10000};

 private:
  bool ensure_connected();
  void close_socket();
  bool write_all(const std::string& bytes);
  HttpResult read_response(bool head_request);

  int port_;
  std::string token_;
  int fd_ = -1;
  std::string buffered_;  // bytes read past the previous response
  bool reused_ = false;
};

}  // namespace chargelock::test
