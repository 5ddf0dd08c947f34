#include "test/support/ws_test_client.h"

#include <libwebsockets.h>

#include <atomic>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mutex.h"

namespace chargelock::test {
namespace {

constexpr char kClientProtocol[] = "chargelock-test-client";

int client_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);

const lws_protocols kProtocols[] = {
    {kClientProtocol, client_callback, 0, 4096, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

struct ParsedUrl {
  bool tls = false;
  std::string host;
  int port = 0;
};

ParsedUrl parse_url(const std::string& url) {
  ParsedUrl parsed;
  std::string rest;
  if (url.rfind("wss://", 0) == 0) {
    parsed.tls = true;
    rest = url.substr(6);
  } else if (url.rfind("ws://", 0) == 0) {
    rest = url.substr(5);
  } else {
    throw std::invalid_argument("not a ws:// or wss:// url: " + url);
  }
  rest = rest.substr(0, rest.find('/'));
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    parsed.host = rest;
    parsed.port = parsed.tls ? 443 : 80;
  } else {
    parsed.host = rest.substr(0, colon);
    parsed.port = std::stoi(rest.substr(colon + 1));
  }
  return parsed;
}

std::string base64(const std::string& raw) {
  std::string out(raw.size() * 4 / 3 + 8, '\0');
  const int n = lws_b64_encode_string(raw.data(), static_cast<int>(raw.size()), out.data(),
                                      static_cast<int>(out.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::string header(lws* wsi, lws_token_indexes token) {
  const int length = lws_hdr_total_length(wsi, token);
  if (length <= 0) return {};
  std::string value(static_cast<std::size_t>(length) + 1, '\0');
  const int copied = lws_hdr_copy(wsi, value.data(), length + 1, token);
  value.resize(copied < 0 ? 0 : static_cast<std::size_t>(copied));
  return value;
}

}  // namespace

struct WsTestClient::State {
  enum class Phase { Idle, Connecting, Open, Closed };

  base::Mutex mutex;
  base::CondVar changed{&mutex};
  Phase phase GUARDED_BY(mutex) = Phase::Idle;
  ConnectResult result GUARDED_BY(mutex);
  std::deque<std::string> received GUARDED_BY(mutex);
  std::optional<int> close_code GUARDED_BY(mutex);

  // Loop thread only.
  lws* wsi = nullptr;
  std::string authorization;
  // Frames to write, LWS_PRE headroom first; int = lws_write_protocol flags.
  std::deque<std::pair<std::string, int>> outbox;
  std::string partial;
  bool close_requested = false;
  int http_status = 0;
  std::string www_authenticate;

  void finish(Phase final_phase) {
    base::MutexLock lock(mutex);
    phase = final_phase;
    changed.signal_all();
  }
};

class WsClientLoop::Impl {
 public:
  explicit Impl(int max_connections) {
    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.user = this;
    info.fd_limit_per_thread = max_connections > 0 ? static_cast<unsigned>(max_connections) + 8 : 0;
    // Refusals (401, 404) are expected in tests; lws would log each one.
    lws_set_log_level(LLL_ERR, nullptr);
    context_ = lws_create_context(&info);
    if (context_ == nullptr) throw std::runtime_error("test client: no lws context");
    // A vhost must exist for lws to deliver EVENT_WAIT_CANCELLED (posted
    // tasks); it also serves plain ws:// connections.
    if (vhost_for(false, "", "", "") == nullptr) {
      lws_context_destroy(context_);
      throw std::runtime_error("test client: no lws vhost");
    }
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        if (lws_service(context_, 0) < 0) break;
      }
    });
  }

  ~Impl() {
    stop_.store(true);
    lws_cancel_service(context_);
    thread_.join();
    lws_context_destroy(context_);  // may still call back: live_ keeps states valid
    live_.clear();
  }

  void post(std::function<void()> task) {
    {
      base::MutexLock lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    lws_cancel_service(context_);
  }

  lws_context* context() { return context_; }

  // Loop thread (or the constructor): the vhost holding a client TLS context
  // for this CA / client certificate combination.
  lws_vhost* vhost_for(bool tls, const std::string& ca, const std::string& cert,
                       const std::string& key) {
    const std::string id = tls ? "tls|" + ca + "|" + cert + "|" + key : "plain";
    auto it = vhosts_.find(id);
    if (it != vhosts_.end()) return it->second;
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kProtocols;
    const std::string name = "client-" + std::to_string(vhosts_.size());
    info.vhost_name = name.c_str();
    if (tls) {
      // Trust only the given CA, not the OS bundle.
      info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
      if (!ca.empty()) info.client_ssl_ca_filepath = ca.c_str();
      if (!cert.empty()) info.client_ssl_cert_filepath = cert.c_str();
      if (!key.empty()) info.client_ssl_private_key_filepath = key.c_str();
    }
    lws_vhost* vhost = lws_create_vhost(context_, &info);
    if (vhost != nullptr) vhosts_.emplace(id, vhost);
    return vhost;
  }

  void keep_alive(const std::shared_ptr<WsTestClient::State>& state) {
    live_.emplace(state.get(), state);
  }
  void release(WsTestClient::State* state) { live_.erase(state); }

  void drain() {
    std::vector<std::function<void()>> tasks;
    {
      base::MutexLock lock(mutex_);
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) task();
  }

 private:
  lws_context* context_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  base::Mutex mutex_;
  std::vector<std::function<void()>> tasks_ GUARDED_BY(mutex_);
  std::map<std::string, lws_vhost*> vhosts_;
  std::unordered_map<WsTestClient::State*, std::shared_ptr<WsTestClient::State>> live_;
};

namespace {

int client_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
  auto* loop = static_cast<WsClientLoop::Impl*>(lws_context_user(lws_get_context(wsi)));
  auto* state = static_cast<WsTestClient::State*>(lws_get_opaque_user_data(wsi));
  using Phase = WsTestClient::State::Phase;

  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      loop->drain();
      return 0;

    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      if (state == nullptr || state->authorization.empty()) return 0;
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      return lws_add_http_header_by_token(
                 wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                 reinterpret_cast<const unsigned char*>(state->authorization.data()),
                 static_cast<int>(state->authorization.size()), p, end)
                 ? -1
                 : 0;
    }

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
      if (state != nullptr) {
        state->http_status = static_cast<int>(lws_http_client_http_response(wsi));
        state->www_authenticate = header(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE);
      }
      return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (state != nullptr) {
        state->wsi = wsi;
        base::MutexLock lock(state->mutex);
        state->result.connected = true;
        state->result.http_status = 101;
        state->phase = Phase::Open;
        state->changed.signal_all();
      }
      return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (state != nullptr) {
        state->wsi = nullptr;
        {
          base::MutexLock lock(state->mutex);
          state->result.http_status = state->http_status;
          state->result.www_authenticate = state->www_authenticate;
          state->result.error = in != nullptr ? static_cast<const char*>(in) : "connection error";
        }
        state->finish(Phase::Closed);
        lws_set_opaque_user_data(wsi, nullptr);
        loop->release(state);
      }
      return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (state == nullptr) return -1;
      state->partial.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi)) {
        std::string message;
        message.swap(state->partial);
        if (!lws_frame_is_binary(wsi)) {
          base::MutexLock lock(state->mutex);
          state->received.push_back(std::move(message));
          state->changed.signal_all();
        }
      }
      return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (state == nullptr) return -1;
      if (!state->outbox.empty()) {
        auto& [buffer, flags] = state->outbox.front();
        const std::size_t length = buffer.size() - LWS_PRE;
        auto* body = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
        if (lws_write(wsi, body, length, static_cast<lws_write_protocol>(flags)) <
            static_cast<int>(length)) {
          return -1;
        }
        state->outbox.pop_front();
        if (!state->outbox.empty() || state->close_requested) lws_callback_on_writable(wsi);
        return 0;
      }
      if (state->close_requested) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
      }
      return 0;
    }

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (state != nullptr && len >= 2) {
        const auto* code = static_cast<const unsigned char*>(in);
        base::MutexLock lock(state->mutex);
        state->close_code = code[0] << 8 | code[1];
      }
      return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
      if (state != nullptr) {
        state->wsi = nullptr;
        {
          // Our own close handshake reports our code; a peer's close frame
          // set it above; no close frame at all is 1006.
          base::MutexLock lock(state->mutex);
          if (!state->close_code) state->close_code = state->close_requested ? 1000 : 1006;
        }
        state->finish(Phase::Closed);
        lws_set_opaque_user_data(wsi, nullptr);
        loop->release(state);
      }
      return 0;

    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

}  // namespace

WsClientLoop::WsClientLoop(int max_connections) : impl_(std::make_unique<Impl>(max_connections)) {}
WsClientLoop::~WsClientLoop() = default;

WsTestClient::WsTestClient() : WsTestClient(std::make_shared<WsClientLoop>(8)) {}

WsTestClient::WsTestClient(std::shared_ptr<WsClientLoop> loop)
    : loop_(std::move(loop)), state_(std::make_shared<State>()) {}

WsTestClient::~WsTestClient() {
  if (is_open()) {
    close();
    wait_closed(std::chrono::seconds(2));
  }
}

ConnectResult WsTestClient::connect(const std::string& url, const std::string& charge_point_id,
                                    const WsClientOptions& options) {
  const ParsedUrl target = parse_url(url);
  {
    base::MutexLock lock(state_->mutex);
    if (state_->phase != State::Phase::Idle) {
      throw std::logic_error("WsTestClient::connect: one connection per client");
    }
    state_->phase = State::Phase::Connecting;
  }
  const std::string path =
      options.raw_path ? *options.raw_path : "/ocpp/" + percent_encode(charge_point_id);
  std::string authorization;
  if (options.basic_user) {
    authorization =
        "Basic " + base64(*options.basic_user + ":" + options.basic_password.value_or(""));
  }

  WsClientLoop::Impl& loop = loop_->impl();
  std::shared_ptr<State> state = state_;
  loop.post([&loop, state, target, path, authorization, options] {
    state->authorization = authorization;
    lws_vhost* vhost =
        loop.vhost_for(target.tls, options.ca_file, options.cert_file, options.key_file);
    lws_client_connect_info info{};
    info.context = loop.context();
    info.vhost = vhost;
    info.address = target.host.c_str();
    info.port = target.port;
    info.path = path.c_str();
    info.host = target.host.c_str();
    info.origin = target.host.c_str();
    info.ssl_connection = target.tls ? LCCSCF_USE_SSL : 0;
    info.protocol = options.subprotocol ? options.subprotocol->c_str() : nullptr;
    info.local_protocol_name = kClientProtocol;
    info.alpn = "http/1.1";
    info.opaque_user_data = state.get();
    loop.keep_alive(state);
    if (vhost == nullptr || lws_client_connect_via_info(&info) == nullptr) {
      // lws may or may not have reported CONNECTION_ERROR already.
      {
        base::MutexLock lock(state->mutex);
        if (state->phase == State::Phase::Connecting) {
          state->result.error = vhost == nullptr ? "cannot set up client TLS" : "connect failed";
          state->phase = State::Phase::Closed;
          state->changed.signal_all();
        }
      }
      loop.release(state.get());
    }
  });

  base::MutexLock lock(state_->mutex);
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (state_->phase == State::Phase::Connecting && state_->changed.wait_until(deadline)) {
  }
  if (state_->phase == State::Phase::Connecting) {
    ConnectResult timed_out;
    timed_out.error = "timeout";
    return timed_out;
  }
  return state_->result;
}

namespace {

// Queues frames (payload, lws_write flags) to be written in order, one per
// WRITEABLE callback.
bool enqueue_frames(const std::shared_ptr<WsClientLoop>& loop,
                    const std::shared_ptr<WsTestClient::State>& state,
                    std::vector<std::pair<std::string, int>> frames) {
  {
    base::MutexLock lock(state->mutex);
    if (state->phase != WsTestClient::State::Phase::Open) return false;
  }
  for (auto& frame : frames) frame.first.insert(0, LWS_PRE, '\0');
  loop->impl().post([state, frames = std::move(frames)]() mutable {
    if (state->wsi == nullptr) return;
    for (auto& frame : frames) state->outbox.push_back(std::move(frame));
    lws_callback_on_writable(state->wsi);
  });
  return true;
}

}  // namespace

bool WsTestClient::send_text(const std::string& text) {
  return enqueue_frames(loop_, state_, {{text, LWS_WRITE_TEXT}});
}

bool WsTestClient::send_binary(const std::string& data) {
  return enqueue_frames(loop_, state_, {{data, LWS_WRITE_BINARY}});
}

bool WsTestClient::send_text_fragments(const std::vector<std::string>& fragments) {
  std::vector<std::pair<std::string, int>> frames;
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    int flags = i == 0 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
    if (i + 1 < fragments.size()) flags |= LWS_WRITE_NO_FIN;
    frames.emplace_back(fragments[i], flags);
  }
  return !frames.empty() && enqueue_frames(loop_, state_, std::move(frames));
}

std::optional<std::string> WsTestClient::receive(std::chrono::milliseconds timeout) {
  base::MutexLock lock(state_->mutex);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (state_->received.empty() && state_->changed.wait_until(deadline)) {
  }
  if (state_->received.empty()) {
    return std::nullopt;
  }
  std::string message = std::move(state_->received.front());
  state_->received.pop_front();
  return message;
}

std::optional<int> WsTestClient::wait_closed(std::chrono::milliseconds timeout) {
  base::MutexLock lock(state_->mutex);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (state_->phase != State::Phase::Closed && state_->changed.wait_until(deadline)) {
  }
  if (state_->phase != State::Phase::Closed) {
    return std::nullopt;
  }
  return state_->close_code.value_or(1006);
}

void WsTestClient::set_answer_pings(bool answer) {
  std::shared_ptr<State> state = state_;
  loop_->impl().post([state, answer] {
    if (state->wsi != nullptr) lws_rx_flow_control(state->wsi, answer ? 1 : 0);
  });
}

void WsTestClient::close() {
  std::shared_ptr<State> state = state_;
  loop_->impl().post([state] {
    if (state->wsi == nullptr) return;
    state->close_requested = true;
    lws_callback_on_writable(state->wsi);
  });
}

bool WsTestClient::is_open() const {
  base::MutexLock lock(state_->mutex);
  return state_->phase == State::Phase::Open;
}

std::string percent_encode(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

}  // namespace chargelock::test
