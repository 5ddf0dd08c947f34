// The tests' REST client (loopback only): base::HttpClient (libcurl) to
// http://127.0.0.1:PORT, or https:// with the server certificate verified
// against a CA file and the address 127.0.0.1. Keep-alive connections,
// reopened when the server closed them. raw() writes bytes as they are
// (test/support/raw_http.h). Not thread-safe: one client per thread.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/http_client.h"

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
  // HTTPS: the server's certificate must chain to `ca_file` and name
  // 127.0.0.1.
  HttpTestClient(int port, std::string bearer_token, std::string ca_file);
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
  // Why the last connection attempt failed (TLS handshake, connect), if it did.
  const std::string& last_error() const { return error_; }

  // A long-lived response (server-sent events): sends a GET on a fresh
  // connection and reads the status line and headers (status 0 on failure);
  // the body is then read with read_stream().
  HttpResult open_stream(const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Reads body bytes of the open stream until `needle` occurs in what was
  // read since open_stream() (then true) or `wait` passes / the stream
  // ends (false). stream_text() is everything read so far.
  bool read_stream_until(const std::string& needle, std::chrono::milliseconds wait);
  const std::string& stream_text() const { return stream_text_; }
  void close_stream() { http_.close_stream(); }

  std::chrono::milliseconds timeout{10000};

 private:
  base::HttpRequest make_request(const std::string& method, const std::string& path,
                                 const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers);
  HttpResult result_of(base::HttpResponse response);

  int port_;
  std::string token_;
  std::string base_url_;  // "http://127.0.0.1:PORT" or https
  base::HttpClient http_;
  std::string error_;
  std::string stream_text_;
  bool reused_ = false;
};

}  // namespace chargelock::test
