// A small HTTP/1.1 server on libwebsockets for the REST API: its own lws
// context and service thread, keep-alive connections, request bodies up to a
// limit, and answers produced on other threads.
//
// Threading contract: run() owns the calling thread (the loop). The
// HttpHandler is called on the loop thread and must not block: it hands the
// request to a worker and answers later through the Responder, which may be
// called from any thread, exactly once. stop() is thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chargelock::api {

struct HttpServerConfig {
  std::string host = "0.0.0.0";  // "0.0.0.0" every IPv4 interface, "::" dual stack, or an IP
  int port = 0;                  // 0 = pick a free port (see HttpServer::port)
  std::size_t max_body_bytes = 64 * 1024;  // larger bodies are answered 413
  int request_timeout_s = 60;              // a request (body + handling) must finish within
  int keepalive_timeout_s = 30;            // idle keep-alive connections are closed after
  int lws_log_levels = 1 | 2;              // LLL_ERR | LLL_WARN
};

struct HttpRequest {
  std::string method;  // "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"
  std::string path;    // URL-decoded path, without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded name=value, in order
  std::map<std::string, std::string> headers;  // lower-case names; only those the server reads
  std::string body;
  std::string remote_address;

  std::optional<std::string> query_value(const std::string& name) const;
  std::optional<std::string> header(const std::string& lower_case_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using Responder = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // On the loop thread; must not block. Call `respond` exactly once, from
  // any thread (a response to a connection that closed meanwhile is dropped).
  virtual void handle(HttpRequest request, Responder respond) = 0;
};

class HttpServer {
 public:
  // Throws std::runtime_error when the listener cannot be created.
  HttpServer(HttpServerConfig config, HttpHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;  // the bound port; valid after construction

  void run();   // serves until stop(); returns at once if stop() came first
  void stop();  // thread-safe

  // Request headers the server keeps in HttpRequest::headers.
  static const std::vector<std::string>& kept_headers();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::api
