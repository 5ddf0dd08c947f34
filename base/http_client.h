// The one blocking HTTP(S) client (libcurl): webhooks, the vehicle feeder
// and the tests' REST client use it.
//
// Why libcurl: three hand-written HTTP/1.1 + OpenSSL clients (~865 lines)
// each had their own chunked/keep-alive/TLS-verification corners; libcurl
// (Debian's libcurl4-openssl-dev) is the well-kept one, and a blocking
// worker thread is what every caller has.
//
// TLS: the peer certificate is verified against the system's CAs or
// `ca_file`, and the URL's host name or address; TLS 1.2 at least. Only
// http and https; redirects are not followed; proxies from the environment
// are ignored (an address check must see the address really connected to).
//
// Destinations: `check_address`, when set, sees every address right before
// a socket is opened for it (whatever name resolution returned at that
// moment, so DNS rebinding cannot slip past it) and may refuse it.
//
// Threading: send() from one thread at a time; cancel() from any thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chargelock::base {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://
  HttpHeaders headers;
  // Sent with Content-Length when not empty, and always for POST, PUT and
  // PATCH.
  std::string body;
  // The whole request's limit; zero: the client's `timeout`.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  std::optional<int> status;  // none: no answer; `error` says why
  std::string error;
  HttpHeaders headers;  // lower-case names, in the order received
  std::string body;
  bool reused_connection = false;  // sent on a connection kept from an earlier request

  // The first header of that (lower-case) name, or "".
  std::string header(const std::string& lower_case_name) const;
};

struct HttpClientOptions {
  std::string ca_file;  // PEM; empty: the system's default CAs
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(15)};  // the whole request
  // false: "Connection: close" and a new connection for every request.
  bool keep_alive = true;
  // false: the status and headers are the answer; the body is not read.
  bool read_body = true;
  std::string user_agent = "ChargeLock";
  // Returns a reason to refuse connecting to `address`, or none.
  std::function<std::optional<std::string>(const sockaddr& address)> check_address;
};

class HttpClient {
 public:
  // Throws std::runtime_error when libcurl cannot be set up or `ca_file`
  // cannot be read.
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws for network trouble: the response's error says what went
  // wrong ("cannot connect to host:port: …", "timed out …", "TLS
  // certificate not accepted: …", "cancelled (shutting down)", "url: …").
  HttpResponse send(const HttpRequest& request);

  // A long-lived answer (server-sent events): sends `request` and returns
  // once the status and headers arrived, leaving the transfer open (no
  // overall timeout applies to it); read_stream() reads its body. A status
  // other than 2xx (an error) is returned with its body, and no stream
  // stays open. send() and
  // open_stream() end a stream still open.
  HttpResponse open_stream(const HttpRequest& request);
  // Appends body bytes of the open stream to `into`, waiting up to `wait`
  // for the first; false when none came (time passed, the stream ended or
  // none is open).
  bool read_stream(std::string& into, std::chrono::milliseconds wait);
  void close_stream();

  // Ends the request in flight (within ~100 ms) and refuses later ones.
  void cancel() { cancelled_ = true; }

 private:
  struct Handles;
  // Sets the transfer up from `request`; false (and the response's error)
  // after cancel() or for a URL that is not http(s).
  bool prepare(const HttpRequest& request, std::chrono::milliseconds timeout);
  // Runs the transfer until it ends (true), `until` says so or `deadline`
  // passes (false).
  bool run(const std::function<bool()>& until, std::chrono::steady_clock::time_point deadline);
  // After the transfer ended: the response with status or error.
  HttpResponse finish();

  HttpClientOptions options_;
  Handles* handles_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace chargelock::base
