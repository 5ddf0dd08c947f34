// A small HTTP/1.1 server on libwebsockets for the REST API: its own lws
// context and service thread, keep-alive connections, request bodies up to a
// limit, and answers produced on other threads.
//
// Threading contract: run() owns the calling thread (the loop). The
// HttpHandler is called on the loop thread and must not block: it hands the
// request to a worker and answers later through the Responder, which may be
// called from any thread, exactly once. stop() is thread-safe.
//
// Long-lived responses (server-sent events): a response carrying an
// HttpStream is sent without Content-Length (with "Connection: close");
// afterwards the loop writes whatever any thread queues with
// HttpStream::write() until close() or until the client goes away. No thread
// waits for the client: writers append to a buffer and wake the loop.
//
// TLS: with tls_cert and tls_key set the listener speaks HTTPS only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/mutex.h"

namespace chargelock::api {

struct HttpServerConfig {
  std::string host = "0.0.0.0";  // "0.0.0.0" every IPv4 interface, "::" dual stack, or an IP
  int port = 0;                  // 0 = pick a free port (see HttpServer::port)
  std::size_t max_body_bytes = 1024 * 1024;  // larger bodies are answered 413
  int request_timeout_s = 60;                // a request (body + handling) must finish within
  int keepalive_timeout_s = 30;              // idle keep-alive connections are closed after
  int lws_log_levels = 1 | 2;                // LLL_ERR | LLL_WARN
  std::string tls_cert;                      // PEM; with tls_key: HTTPS instead of HTTP
  std::string tls_key;                       // PEM
  int max_streams = 100;                     // long-lived responses the loop must hold at once
  // Called on the loop thread once a response's last byte is handed to the
  // socket, with the request's method, the status and the time since its
  // head was read (a long-lived stream is not reported). Must not block.
  std::function<void(const std::string& method, int status,
                     std::chrono::steady_clock::duration elapsed)>
      on_answered;
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

// The body of a long-lived response, written piece by piece.
class HttpStream {
 public:
  // Bytes queued but not yet written above which write() ends the stream (a
  // client that stopped reading).
  static constexpr std::size_t kMaxPending = 1024 * 1024;

  HttpStream() = default;
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  // Any thread, never blocks on the network: queues bytes for the client.
  // Returns false (and drops them) once the stream has ended.
  bool write(const std::string& bytes);
  // Any thread: ends the response once the queued bytes are written (the
  // connection is closed).
  void close();
  // close() was called, or the connection is gone.
  bool ended() const;

  // ---- used by HttpServer (loop thread)
  enum class Take { Idle, More, Finish };
  // Hands the stream to a connection; `wake` asks the loop to write.
  void attach(std::function<void()> wake);
  // Moves up to `max` queued bytes into `out`; Finish when close() was
  // called and nothing else is queued.
  Take take(std::string& out, std::size_t max);
  // The connection is gone: nothing more is written.
  void detach();

 private:
  mutable base::Mutex mutex_;
  std::string pending_ GUARDED_BY(mutex_);
  bool closing_ GUARDED_BY(mutex_) = false;
  bool gone_ GUARDED_BY(mutex_) = false;
  bool wake_requested_ GUARDED_BY(mutex_) = false;
  std::function<void()> wake_ GUARDED_BY(mutex_);
};

struct HttpResponse {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Set: a long-lived response; `body` is ignored, the stream is the body.
  std::shared_ptr<HttpStream> stream;
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
  bool tls() const;  // HTTPS

  void run();   // serves until stop(); returns at once if stop() came first
  void stop();  // thread-safe
  // Thread-safe graceful stop (SIGTERM): from now on requests are answered
  // 503 (and the connection closed); run() returns once every request begun
  // before is answered and written, at most 5 s later. Notification streams
  // do not hold it up.
  void shut_down();
  // Thread-safe: re-reads the HTTPS certificate and key files (SIGHUP);
  // open connections stay. A bad pair is logged and ignored.
  void reload_certificates();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::api
