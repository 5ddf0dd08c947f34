// HttpServer on libwebsockets 4.1: one context, one vhost, one service
// thread. lws parses requests and keeps connections alive; this file turns
// them into HttpRequests and writes HttpResponses. Everything touching lws
// runs on the loop thread; responses from workers travel through `inbox_`
// and a lws_cancel_service() wake-up (as in ocpp/websockets/ocpp_server.cpp).
#include "api/http_server.h"

#include <libwebsockets.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "api/lws_parser_refusals.h"
#include "core/log.h"
#include "tls/lws_listener.h"
#include "tls/server_policy.h"

namespace chargelock::api {

std::optional<std::string> HttpRequest::query_value(const std::string& name) const {
  for (const auto& [key, value] : query)
    if (key == name) return value;
  return std::nullopt;
}

std::optional<std::string> HttpRequest::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

bool HttpStream::write(const std::string& bytes) {
  base::MutexLock lock(mutex_);
  if (closing_ || gone_) return false;
  if (pending_.size() + bytes.size() > kMaxPending) {
    // The client stopped reading: end the stream rather than grow forever.
    pending_.clear();
    closing_ = true;
  } else {
    pending_ += bytes;
  }
  // The wake-up runs under the mutex: detach() (the server going away)
  // waits for it.
  if (wake_ && !wake_requested_) {
    wake_requested_ = true;
    wake_();
  }
  return !closing_;
}

void HttpStream::close() {
  base::MutexLock lock(mutex_);
  if (closing_ || gone_) return;
  closing_ = true;
  if (wake_ && !wake_requested_) {
    wake_requested_ = true;
    wake_();
  }
}

bool HttpStream::ended() const {
  base::MutexLock lock(mutex_);
  return closing_ || gone_;
}

void HttpStream::attach(std::function<void()> wake) {
  base::MutexLock lock(mutex_);
  wake_ = std::move(wake);
  wake_requested_ = false;
}

HttpStream::Take HttpStream::take(std::string& out, std::size_t max) {
  base::MutexLock lock(mutex_);
  wake_requested_ = false;
  if (pending_.size() <= max) {
    out.swap(pending_);
    pending_.clear();
  } else {
    out.assign(pending_, 0, max);
    pending_.erase(0, max);
    return Take::More;
  }
  return closing_ ? Take::Finish : Take::Idle;
}

void HttpStream::detach() {
  base::MutexLock lock(mutex_);
  gone_ = true;
  wake_ = nullptr;
  pending_.clear();
}

namespace {

// Body bytes written per WRITEABLE callback.
constexpr std::size_t kWriteChunk = 16 * 1024;
// A declared body this much larger than the limit is not read at all: the
// 413 is sent at once and lws discards what follows.
constexpr long long kDiscardWithoutReading = 8LL * 1024 * 1024;

struct KnownHeader {
  const char* name;  // lower case
  lws_token_indexes token;
};
const KnownHeader kKnownHeaders[] = {
    {"authorization", WSI_TOKEN_HTTP_AUTHORIZATION},
    {"content-type", WSI_TOKEN_HTTP_CONTENT_TYPE},
    {"content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH},
    {"accept", WSI_TOKEN_HTTP_ACCEPT},
};
const char* const kCustomHeaders[] = {"idempotency-key", "last-event-id"};

struct Method {
  lws_token_indexes token;
  const char* name;
};
const Method kMethods[] = {
    {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
    {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},
};

std::optional<std::string> custom_header(lws* wsi, const std::string& lower_name) {
  const std::string name = lower_name + ":";
  const int length = lws_hdr_custom_length(wsi, name.c_str(), static_cast<int>(name.size()));
  if (length < 0) return std::nullopt;
  std::string value(static_cast<std::size_t>(length) + 1, '\0');
  const int copied = lws_hdr_custom_copy(wsi, value.data(), length + 1, name.c_str(),
                                         static_cast<int>(name.size()));
  if (copied < 0) return std::nullopt;
  value.resize(static_cast<std::size_t>(copied));
  // lws keeps the whitespace after the colon of unknown headers.
  const auto first = value.find_first_not_of(" \t");
  if (first == std::string::npos) return std::string();
  const auto last = value.find_last_not_of(" \t");
  return value.substr(first, last - first + 1);
}

std::string json_error(const std::string& message) {
  // Messages here are fixed ASCII texts without quotes or backslashes.
  return "{\"error\":\"" + message + "\"}";
}

int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);

const lws_protocols kProtocols[] = {
    {"chargelock-http", lws_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

class HttpServer::Impl : public ParserRefusalHandler {
 public:
  Impl(HttpServerConfig config, HttpHandler& handler);
  ~Impl() override;

  int port() const { return port_; }
  bool tls() const { return !config_.tls_cert.empty(); }
  void run();
  void stop();
  void reload_certificates() {
    reload_requested_.store(true);
    lws_cancel_service(context_);
  }
  void shut_down() {
    drain_requested_.store(true);
    lws_cancel_service(context_);
  }

  int on_event(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len);

  // ParserRefusalHandler (loop thread).
  bool reading_request_head(lws* wsi) override;
  void refuse_request_head(lws* wsi, int status, const char* message) override;

 private:
  struct Connection {
    lws* wsi = nullptr;
    std::uint64_t request_seq = 0;  // the request being served
    // From the request's head (or a refusal of it) until its answer is out
    // and lws waits for the next request on the connection.
    bool in_request = false;
    // The request's method and when its head was read (for on_answered).
    std::string method;
    std::chrono::steady_clock::time_point started;
    HttpRequest request;
    bool reading_body = false;
    bool body_too_large = false;
    bool awaiting_response = false;  // handed to the handler
    std::optional<HttpResponse> response;
    bool headers_written = false;
    std::size_t body_offset = 0;
    bool close_after = false;
    std::shared_ptr<HttpStream> stream;  // a long-lived response being written
  };
  struct Reply {
    std::uint64_t connection;
    std::uint64_t request_seq;
    HttpResponse response;
  };

  Connection* connection_of(lws* wsi);
  Connection& attach(lws* wsi);
  void forget(lws* wsi);

  int on_http(lws* wsi, const char* uri);
  int on_body(lws* wsi, const char* data, std::size_t len);
  int on_body_complete(lws* wsi);
  int on_writeable(lws* wsi);
  void dispatch(Connection& connection);
  void answer(Connection& connection, HttpResponse response);
  int answer_now(lws* wsi, int status, const std::string& message, bool close);
  void drain_inbox();
  void wake_stream(std::uint64_t connection);
  int write_stream(Connection& connection);

  const HttpServerConfig config_;
  HttpHandler& handler_;
  lws_context* context_ = nullptr;
  lws_vhost* vhost_ = nullptr;
  SSL_CTX* ssl_ctx_ = nullptr;  // HTTPS: the vhost's context (owned by lws)
  std::atomic<bool> reload_requested_{false};
  std::atomic<bool> drain_requested_{false};
  // Graceful stop (loop thread): new requests get 503; the loop ends once
  // every request begun before is answered, or after kDrainLimit.
  struct DrainTimer {
    lws_sorted_usec_list_t sul;  // first: the timer callback gets back here
    Impl* server;
  };
  // Requests already on the wire when the stop comes are read for at least
  // kDrainSettle (their headers may not have been parsed yet).
  static constexpr std::chrono::milliseconds kDrainSettle{300};
  static constexpr std::chrono::milliseconds kDrainLimit{5000};
  void check_drain();
  bool requests_in_progress() const;
  static void on_drain_timer(lws_sorted_usec_list_t* sul);
  bool draining_ = false;
  std::chrono::steady_clock::time_point drain_started_;
  DrainTimer drain_timer_{};
  int port_ = 0;

  std::atomic<bool> stop_requested_{false};
  base::Mutex inbox_mutex_;
  std::vector<Reply> inbox_ GUARDED_BY(inbox_mutex_);
  std::vector<std::uint64_t> stream_wakes_
      GUARDED_BY(inbox_mutex_);  // connections with stream bytes

  // Loop thread only.
  std::unordered_map<std::uint64_t, Connection> connections_;
  std::uint64_t next_connection_ = 1;
  std::uint64_t next_request_ = 1;
  bool destroying_ = false;
};

namespace {

int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
  auto* server = static_cast<HttpServer::Impl*>(lws_context_user(lws_get_context(wsi)));
  if (server == nullptr) return lws_callback_http_dummy(wsi, reason, user, in, len);
  // The one event whose data comes as `user`: the HTTPS vhost's SSL_CTX.
  if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS) in = user;
  return server->on_event(wsi, reason, in, len);
}

}  // namespace

HttpServer::Impl::Impl(HttpServerConfig config, HttpHandler& handler)
    : config_(std::move(config)), handler_(handler) {
  lws_set_log_level(config_.lws_log_levels, nullptr);
  lws_context_creation_info info = tls::context_info(this, !config_.tls_cert.empty());
  info.timeout_secs = static_cast<unsigned int>(std::max(1, config_.request_timeout_s));
  info.max_http_header_data = 8192;
  // A connection holds a header table from its first byte until its
  // headers are complete; one that has not finished them within this many
  // seconds is closed, so clients dribbling or stalling their headers
  // cannot keep the pool (below) from others for long. (lws's default,
  // stated here because the API relies on it.)
  info.timeout_secs_ah_idle = 10;
  // An open stream keeps its header table until it ends.
  info.max_http_header_pool =
      static_cast<unsigned short>(128 + std::clamp(config_.max_streams, 0, 4096));
  context_ = lws_create_context(&info);
  if (context_ == nullptr) throw std::runtime_error("cannot create the libwebsockets context");

  lws_context_creation_info vhost =
      tls::vhost_info("api", config_.host, config_.port, kProtocols, nullptr);
  vhost.keepalive_timeout = std::max(1, config_.keepalive_timeout_s);
  vhost.timeout_secs = info.timeout_secs;
  const bool https = !config_.tls_cert.empty();
  if (https) {
    if (config_.tls_key.empty()) {
      lws_context_destroy(context_);
      throw std::runtime_error("HTTPS needs a private key besides the certificate");
    }
    // The same TLS policy as the OCPP wss:// listener.
    tls::apply_server_tls(vhost, config_.tls_cert.c_str(), config_.tls_key.c_str());
  }
  vhost_ = lws_create_vhost(context_, &vhost);
  if (vhost_ == nullptr) {
    lws_context_destroy(context_);
    throw std::runtime_error("cannot listen on " + std::string(https ? "https://" : "http://") +
                             config_.host + ":" + std::to_string(config_.port) +
                             (https ? " (address in use, bad address or TLS setup failed)"
                                    : " (address in use or bad address)"));
  }
  port_ = lws_get_vhost_listen_port(vhost_);
  register_parser_refusals(vhost_, this);
}

HttpServer::Impl::~Impl() {
  destroying_ = true;
  // The loop has stopped: end every stream before the context goes (a
  // writer must not wake a destroyed loop).
  for (auto& [id, connection] : connections_)
    if (connection.stream) connection.stream->detach();
  {
    base::MutexLock lock(inbox_mutex_);
    for (Reply& reply : inbox_)
      if (reply.response.stream) reply.response.stream->detach();
    inbox_.clear();
  }
  unregister_parser_refusals(vhost_);
  lws_context_destroy(context_);
}

void HttpServer::Impl::run() {
  while (!stop_requested_.load()) {
    if (lws_service(context_, 0) < 0) break;
  }
}

void HttpServer::Impl::stop() {
  stop_requested_.store(true);
  lws_cancel_service(context_);
}

HttpServer::Impl::Connection* HttpServer::Impl::connection_of(lws* wsi) {
  const auto id =
      static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(lws_get_opaque_user_data(wsi)));
  if (id == 0) return nullptr;
  auto it = connections_.find(id);
  return it == connections_.end() || it->second.wsi != wsi ? nullptr : &it->second;
}

HttpServer::Impl::Connection& HttpServer::Impl::attach(lws* wsi) {
  if (Connection* existing = connection_of(wsi)) return *existing;
  const std::uint64_t id = next_connection_++;
  Connection& connection = connections_[id];
  connection.wsi = wsi;
  lws_set_opaque_user_data(wsi, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)));
  return connection;
}

void HttpServer::Impl::forget(lws* wsi) {
  const auto id =
      static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(lws_get_opaque_user_data(wsi)));
  auto it = connections_.find(id);
  if (it != connections_.end() && it->second.wsi == wsi) {
    if (it->second.stream) it->second.stream->detach();
    connections_.erase(it);
  }
  lws_set_opaque_user_data(wsi, nullptr);
}

int HttpServer::Impl::on_event(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len) {
  try {
    switch (reason) {
      case LWS_CALLBACK_HTTP:
        return on_http(wsi, static_cast<const char*>(in));
      case LWS_CALLBACK_HTTP_BODY:
        return on_body(wsi, static_cast<const char*>(in), len);
      case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return on_body_complete(wsi);
      case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_writeable(wsi);
      case LWS_CALLBACK_CLOSED_HTTP:
      case LWS_CALLBACK_WSI_DESTROY:
        forget(wsi);
        return 0;
      case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (reload_requested_.exchange(false) && !destroying_ && tls()) {
          if (auto error =
                  tls::reload_server_certificate(ssl_ctx_, config_.tls_cert, config_.tls_key))
            core::log(core::LogLevel::Error, "certificate_reload_failed",
                      "chargelock: api: certificate reload failed, keeping the old one: " + *error);
          else
            core::log(core::LogLevel::Info, "certificate_reloaded",
                      "chargelock: api: certificate reloaded from " + config_.tls_cert);
        }
        if (!destroying_) drain_inbox();
        if (drain_requested_.exchange(false) && !draining_ && !destroying_) {
          draining_ = true;
          drain_started_ = std::chrono::steady_clock::now();
          check_drain();
        }
        return 0;
      case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        ssl_ctx_ = static_cast<SSL_CTX*>(in);  // lws_callback passes `user` here
        return tls::apply_server_context_policy(ssl_ctx_) ? 0 : 1;  // 1: the vhost fails
      case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return -1;  // no websockets here
      default:
        return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
    }
  } catch (const std::exception& e) {
    // Exceptions must not unwind through libwebsockets' C frames.
    lwsl_err("ChargeLock api: %s\n", e.what());
    return -1;
  }
}

int HttpServer::Impl::on_http(lws* wsi, const char* uri) {
  Connection& connection = attach(wsi);
  if (connection.stream) return -1;  // no request after a long-lived response
  connection.in_request = true;
  connection.started = std::chrono::steady_clock::now();
  connection.method.clear();
  // Shutting down: the client should retry (another API process, or this
  // one once it is back).
  if (draining_) return answer_now(wsi, 503, "the server is shutting down", true);
  connection.request = HttpRequest{};
  connection.request_seq = next_request_++;
  connection.reading_body = false;
  connection.body_too_large = false;
  connection.awaiting_response = false;
  connection.response.reset();
  connection.headers_written = false;
  connection.body_offset = 0;
  connection.close_after = false;

  HttpRequest& request = connection.request;
  for (const Method& method : kMethods) {
    if (lws_hdr_total_length(wsi, method.token) > 0) {
      request.method = method.name;
      connection.method = request.method;
      break;
    }
  }
  request.path = uri != nullptr ? uri : "";
  // lws decodes %XX in place and hands over a C string: a decoded NUL
  // would silently cut the path. lws itself drops the connection for a NUL
  // inside a segment; one right after a '/' reaches us. Followed by more
  // characters, the token is longer than the C string (lws counts them);
  // at the end ("/chargepoints/%00") the path ends in '/', which the
  // router answers 404 (see router.cpp).
  for (const Method& method : kMethods) {
    const int length = lws_hdr_total_length(wsi, method.token);
    if (length > 0 && static_cast<std::size_t>(length) != request.path.size())
      return answer_now(wsi, 400, "the path contains a NUL character", true);
  }
  for (int index = 0;; ++index) {
    const int length = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, index);
    if (length < 0) break;
    std::string fragment(static_cast<std::size_t>(length) + 1, '\0');
    const int copied =
        lws_hdr_copy_fragment(wsi, fragment.data(), length + 1, WSI_TOKEN_HTTP_URI_ARGS, index);
    if (copied < 0) break;
    fragment.resize(static_cast<std::size_t>(copied));
    const auto equals = fragment.find('=');
    if (equals == std::string::npos) {
      request.query.emplace_back(fragment, "");
    } else {
      request.query.emplace_back(fragment.substr(0, equals), fragment.substr(equals + 1));
    }
  }
  for (const KnownHeader& known : kKnownHeaders) {
    if (lws_hdr_total_length(wsi, known.token) > 0)
      request.headers[known.name] = tls::header_value(wsi, known.token);
  }
  for (const char* name : kCustomHeaders) {
    if (auto value = custom_header(wsi, name)) request.headers[name] = std::move(*value);
  }
  char address[128] = {};
  if (lws_get_peer_simple(wsi, address, sizeof(address)) != nullptr)
    request.remote_address = address;

  // lws reads a body when Content-Length is above zero (any method), and
  // calls BODY + BODY_COMPLETION for a POST with an explicit zero.
  const bool has_length = request.headers.count("content-length") > 0;
  long long declared = 0;
  if (has_length) {
    const std::string& text = request.headers["content-length"];
    char* end = nullptr;
    declared = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || end == nullptr || *end != '\0' || declared < 0)
      return answer_now(wsi, 400, "bad Content-Length", true);
  }
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
    // lws 4.1 does not read chunked request bodies: it would wait for a
    // 100 MB body. Ask for a length and close.
    return answer_now(wsi, 411, "chunked request bodies are not supported: send Content-Length",
                      true);
  }
  // Neither Content-Length nor Transfer-Encoding: the body is empty (RFC
  // 9112 §6.3), whatever the method; dispatched below at once. lws 4.1
  // itself expects up to 100 MB of body after such a POST/PUT/PATCH and
  // would swallow the client's next request as that body, so the connection
  // is closed after the answer ("Connection: close") to stay in step.
  const bool body_method =
      request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if (body_method && !has_length) connection.close_after = true;
  const long long discard_above =
      std::max(kDiscardWithoutReading, static_cast<long long>(config_.max_body_bytes));
  if (declared > discard_above) return answer_now(wsi, 413, "request body too large", true);
  if (declared > 0 || (request.method == "POST" && has_length)) {
    connection.reading_body = true;
    connection.body_too_large = declared > static_cast<long long>(config_.max_body_bytes);
    if (!connection.body_too_large) request.body.reserve(static_cast<std::size_t>(declared));
    return 0;  // dispatched at BODY_COMPLETION
  }
  dispatch(connection);
  return 0;
}

int HttpServer::Impl::on_body(lws* wsi, const char* data, std::size_t len) {
  Connection* connection = connection_of(wsi);
  if (connection == nullptr || !connection->reading_body) return 0;
  if (connection->body_too_large) return 0;  // read and dropped
  if (connection->request.body.size() + len > config_.max_body_bytes) {
    connection->body_too_large = true;
    std::string().swap(connection->request.body);
    return 0;
  }
  if (data != nullptr && len > 0) connection->request.body.append(data, len);
  return 0;
}

int HttpServer::Impl::on_body_complete(lws* wsi) {
  Connection* connection = connection_of(wsi);
  if (connection == nullptr || !connection->reading_body) return 0;
  connection->reading_body = false;
  if (connection->body_too_large) {
    HttpResponse response;
    response.status = 413;
    response.body = json_error("request body too large (limit " +
                               std::to_string(config_.max_body_bytes) + " bytes)");
    answer(*connection, std::move(response));
    return 0;
  }
  dispatch(*connection);
  return 0;
}

void HttpServer::Impl::dispatch(Connection& connection) {
  connection.awaiting_response = true;
  lws_set_timeout(connection.wsi, PENDING_TIMEOUT_HTTP_CONTENT,
                  std::max(1, config_.request_timeout_s));
  const std::uint64_t id = static_cast<std::uint64_t>(
      reinterpret_cast<std::uintptr_t>(lws_get_opaque_user_data(connection.wsi)));
  const std::uint64_t seq = connection.request_seq;
  Responder respond = [this, id, seq](HttpResponse response) {
    bool was_empty;
    {
      base::MutexLock lock(inbox_mutex_);
      was_empty = inbox_.empty();
      inbox_.push_back(Reply{id, seq, std::move(response)});
    }
    if (was_empty) lws_cancel_service(context_);
  };
  HttpRequest request = std::move(connection.request);
  connection.request = HttpRequest{};
  try {
    handler_.handle(std::move(request), std::move(respond));
  } catch (const std::exception& e) {
    lwsl_err("ChargeLock api: handler threw: %s\n", e.what());
    HttpResponse response;
    response.status = 500;
    response.body = json_error("internal error");
    answer(connection, std::move(response));
  }
}

void HttpServer::Impl::drain_inbox() {
  std::vector<Reply> replies;
  std::vector<std::uint64_t> wakes;
  {
    base::MutexLock lock(inbox_mutex_);
    replies.swap(inbox_);
    wakes.swap(stream_wakes_);
  }
  for (Reply& reply : replies) {
    auto it = connections_.find(reply.connection);
    if (it == connections_.end() || it->second.request_seq != reply.request_seq ||
        !it->second.awaiting_response) {
      // The client went away: a stream answer ends unseen.
      if (reply.response.stream) reply.response.stream->detach();
      continue;
    }
    Connection& connection = it->second;
    connection.awaiting_response = false;
    answer(connection, std::move(reply.response));
  }
  for (const std::uint64_t id : wakes) {
    auto it = connections_.find(id);
    if (it != connections_.end() && it->second.stream) lws_callback_on_writable(it->second.wsi);
  }
}

void HttpServer::Impl::wake_stream(std::uint64_t connection) {
  bool was_empty;
  {
    base::MutexLock lock(inbox_mutex_);
    was_empty = inbox_.empty() && stream_wakes_.empty();
    stream_wakes_.push_back(connection);
  }
  if (was_empty) lws_cancel_service(context_);
}

int HttpServer::Impl::write_stream(Connection& connection) {
  std::string chunk;
  const HttpStream::Take state = connection.stream->take(chunk, kWriteChunk);
  if (!chunk.empty()) {
    std::string buffer(LWS_PRE + chunk.size(), '\0');
    std::memcpy(buffer.data() + LWS_PRE, chunk.data(), chunk.size());
    auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
    if (lws_write(connection.wsi, start, chunk.size(), LWS_WRITE_HTTP) <
        static_cast<int>(chunk.size()))
      return -1;
  }
  if (state == HttpStream::Take::Finish && chunk.empty()) return -1;  // closes the connection
  if (state != HttpStream::Take::Idle) lws_callback_on_writable(connection.wsi);
  return 0;
}

void HttpServer::Impl::answer(Connection& connection, HttpResponse response) {
  connection.response = std::move(response);
  connection.headers_written = false;
  connection.body_offset = 0;
  lws_callback_on_writable(connection.wsi);
}

bool HttpServer::Impl::requests_in_progress() const {
  for (const auto& [id, connection] : connections_) {
    if (connection.stream) continue;  // a notification stream never ends by itself
    if (connection.reading_body || connection.awaiting_response || connection.response) return true;
  }
  return false;
}

void HttpServer::Impl::check_drain() {
  const auto waited = std::chrono::steady_clock::now() - drain_started_;
  if ((waited >= kDrainSettle && !requests_in_progress()) || waited >= kDrainLimit) {
    stop_requested_.store(true);
    lws_cancel_service(context_);
    return;
  }
  drain_timer_.server = this;
  lws_sul_schedule(context_, 0, &drain_timer_.sul, &Impl::on_drain_timer, 20000);  // µs
}

void HttpServer::Impl::on_drain_timer(lws_sorted_usec_list_t* sul) {
  auto* timer = reinterpret_cast<DrainTimer*>(sul);
  timer->server->check_drain();
}

int HttpServer::Impl::answer_now(lws* wsi, int status, const std::string& message, bool close) {
  // Small responses written straight from the HTTP callback (before any
  // body was read); `close` ends the connection after it.
  const std::string body = json_error(message);
  std::string buffer(LWS_PRE + 1024 + body.size(), '\0');
  auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = reinterpret_cast<unsigned char*>(buffer.data()) + buffer.size();
  static const char kJson[] = "application/json";
  static const char kClose[] = "close";
  if (lws_add_http_header_status(wsi, static_cast<unsigned>(status), &p, end) != 0) return -1;
  if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                   reinterpret_cast<const unsigned char*>(kJson),
                                   static_cast<int>(sizeof(kJson) - 1), &p, end) != 0)
    return -1;
  if (close && lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                            reinterpret_cast<const unsigned char*>(kClose),
                                            static_cast<int>(sizeof(kClose) - 1), &p, end) != 0)
    return -1;
  if (lws_add_http_header_content_length(wsi, body.size(), &p, end) != 0) return -1;
  if (lws_finalize_http_header(wsi, &p, end) != 0) return -1;
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  const auto length = static_cast<std::size_t>(p - start);
  if (lws_write(wsi, start, length, LWS_WRITE_HTTP_FINAL) < static_cast<int>(length)) return -1;
  if (close) return -1;
  if (Connection* connection = connection_of(wsi)) connection->in_request = false;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

bool HttpServer::Impl::reading_request_head(lws* wsi) {
  const Connection* connection = connection_of(wsi);
  return connection == nullptr || !connection->in_request;
}

void HttpServer::Impl::refuse_request_head(lws* wsi, int status, const char* message) {
  // Marked first: lws closes the connection next, and that close must not
  // answer a second time (see lws_parser_refusals.cpp).
  attach(wsi).in_request = true;
  answer_now(wsi, status, message, true);
}

int HttpServer::Impl::on_writeable(lws* wsi) {
  Connection* connection = connection_of(wsi);
  if (connection == nullptr) return 0;
  if (connection->stream) return write_stream(*connection);
  if (!connection->response) return 0;
  HttpResponse& response = *connection->response;
  if (!connection->headers_written) {
    if (response.status == 204) response.body.clear();
    // A body that fits one write goes out with the headers: one pass of the
    // loop per answer instead of two (under a flood each pass waits for a
    // core: the API's p99).
    const bool with_body = !response.stream && response.body.size() <= kWriteChunk;
    std::string buffer(LWS_PRE + 2048 + (with_body ? response.body.size() : 0), '\0');
    auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = reinterpret_cast<unsigned char*>(buffer.data()) + buffer.size();
    if (lws_add_http_header_status(wsi, static_cast<unsigned>(response.status), &p, end) != 0)
      return -1;
    if (response.status != 204 && !response.content_type.empty() &&
        lws_add_http_header_by_token(
            wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
            reinterpret_cast<const unsigned char*>(response.content_type.data()),
            static_cast<int>(response.content_type.size()), &p, end) != 0)
      return -1;
    for (const auto& [name, value] : response.headers) {
      const std::string with_colon = name + ":";
      if (lws_add_http_header_by_name(wsi,
                                      reinterpret_cast<const unsigned char*>(with_colon.c_str()),
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), &p, end) != 0)
        return -1;
    }
    if (response.stream) {
      // No length: the body lasts until the stream ends, then the
      // connection closes.
      static const char kClose[] = "close";
      if (lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                       reinterpret_cast<const unsigned char*>(kClose),
                                       static_cast<int>(sizeof(kClose) - 1), &p, end) != 0)
        return -1;
      if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) return -1;
      connection->stream = std::move(response.stream);
      connection->response.reset();
      lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
      const std::uint64_t id = static_cast<std::uint64_t>(
          reinterpret_cast<std::uintptr_t>(lws_get_opaque_user_data(wsi)));
      connection->stream->attach([this, id] { wake_stream(id); });
      lws_callback_on_writable(wsi);  // what was queued before
      return 0;
    }
    if (connection->close_after) {
      static const char kClose[] = "close";
      if (lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                       reinterpret_cast<const unsigned char*>(kClose),
                                       static_cast<int>(sizeof(kClose) - 1), &p, end) != 0)
        return -1;
    }
    if (lws_add_http_header_content_length(wsi, response.body.size(), &p, end) != 0) return -1;
    if (with_body) {
      if (lws_finalize_http_header(wsi, &p, end) != 0) return -1;
      std::memcpy(p, response.body.data(), response.body.size());
      p += response.body.size();
      const auto length = static_cast<std::size_t>(p - start);
      if (lws_write(wsi, start, length, LWS_WRITE_HTTP_FINAL) < static_cast<int>(length)) return -1;
      connection->headers_written = true;
      connection->body_offset = response.body.size();
    } else {
      if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) return -1;
      connection->headers_written = true;
      lws_callback_on_writable(wsi);
      return 0;
    }
  } else {
    const std::size_t remaining = response.body.size() - connection->body_offset;
    const std::size_t chunk = std::min(remaining, kWriteChunk);
    std::string buffer(LWS_PRE + chunk, '\0');
    std::memcpy(buffer.data() + LWS_PRE, response.body.data() + connection->body_offset, chunk);
    const bool last = chunk == remaining;
    auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
    if (lws_write(wsi, start, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
        static_cast<int>(chunk))
      return -1;
    connection->body_offset += chunk;
    if (!last) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  // The whole response is out: ready for the next request (keep-alive),
  // unless the request left lws out of step (see on_http).
  if (config_.on_answered)
    config_.on_answered(connection->method, response.status,
                        std::chrono::steady_clock::now() - connection->started);
  connection->response.reset();
  if (connection->close_after) return -1;
  connection->in_request = false;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

HttpServer::HttpServer(HttpServerConfig config, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(config), handler)) {}
HttpServer::~HttpServer() = default;
int HttpServer::port() const { return impl_->port(); }
bool HttpServer::tls() const { return impl_->tls(); }
void HttpServer::run() { impl_->run(); }
void HttpServer::stop() { impl_->stop(); }
void HttpServer::reload_certificates() { impl_->reload_certificates(); }
void HttpServer::shut_down() { impl_->shut_down(); }

}  // namespace chargelock::api
