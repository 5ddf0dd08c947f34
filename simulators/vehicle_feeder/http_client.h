// A small blocking HTTP/1.1 client for the vehicle feeder: one keep-alive
// connection to one server, plain or TLS (OpenSSL, the server certificate
// verified against a CA file and the URL's host), reconnected when the
// server closed it.
#pragma once

#include <chrono>
#include <string>

struct ssl_ctx_st;
struct ssl_st;

namespace chargelock::feeder {

struct Url {
  bool https = false;
  std::string host;
  int port = 0;
  std::string path;  // without a trailing '/'
};

// "http://host[:port][/path]" or "https://…"; throws std::invalid_argument.
Url parse_url(const std::string& text);

struct HttpReply {
  int status = 0;  // 0: no answer (see HttpClient::last_error)
  std::string body;
};

class HttpClient {
 public:
  // `ca_file` is required for https URLs.
  HttpClient(Url url, std::string ca_file, std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply post_json(const std::string& path, const std::string& body,
                      const std::string& bearer_token);
  const std::string& last_error() const { return error_; }

 private:
  bool connect();
  void disconnect();
  bool send_all(const std::string& bytes);
  bool receive(std::string& into, std::chrono::steady_clock::time_point deadline);
  HttpReply read_reply();

  Url url_;
  std::string ca_file_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string buffered_;
  std::string error_;
};

}  // namespace chargelock::feeder
