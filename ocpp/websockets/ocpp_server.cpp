// OcppServer on libwebsockets 4.1: one context, one service thread, one vhost
// per listener. Everything that touches lws objects happens on the loop
// thread; other threads hand work over through `inbox_` and wake the loop
// with lws_cancel_service().
//
// The loop is a libev loop (epoll) that this server owns and lws joins as a
// "foreign" loop: lws's own default waits in poll() over every descriptor on
// every wake-up, which cost 11 % of a core at 5,000 idle piles and 25 % at
// 10,000 (2-3 % on epoll; docs/architecture.md). Should the libev plugin of
// lws be missing, the server falls back to poll() and says so.
#include "ocpp/websockets/ocpp_server.h"

#include <ev.h>
#include <fmt/format.h>
#include <libwebsockets.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <list>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "core/log.h"
#include "core/rate_limiter.h"
#include "ocpp/websockets/client_certificate.h"
#include "ocpp/websockets/fd_limit.h"
#include "ocpp/websockets/loop_timers.h"
#include "ocpp/websockets/tls_files.h"
#include "ocpp/websockets/upgrade_parsing.h"
#include "tls/lws_listener.h"
#include "tls/server_policy.h"

namespace chargelock::ocpp {
namespace {

constexpr char kSubprotocol[] = "ocpp1.6";
constexpr char kWwwAuthenticate[] = "Basic realm=\"ChargeLock\"";
// Bytes lws reads per RECEIVE callback; allocated once per connection by lws,
// so it is kept small (OCPP messages are mostly well under 1 KiB; longer
// ones arrive in several callbacks and are reassembled). Per-connection
// containers are std::list, not std::deque (~600 bytes even when empty):
// memory per idle connection is a goal (bench/README.md).
constexpr std::size_t kRxChunkBytes = 1024;
// A peer that stops reading must not make the server buffer without end:
// beyond this many unsent messages its session is closed instead.
constexpr std::size_t kMaxQueuedMessages = 1024;
// The server whose loop runs on this thread (set by run()), so send() can
// tell a call on the loop from one on another thread.
thread_local const void* tls_loop_server = nullptr;
// Keepalive is ours, not lws's validity timer: lws 4.1 keeps every timer
// (each connection's validity timer among them) in one sorted linked list
// and inserts by walking it from the head, and a new connection's timer is
// the latest, so each connect walked past every connected pile: O(N) per
// connect, O(N^2) per storm. Profiled in a 10,000-pile reconnect storm:
// 47 % of the server's CPU in lws_dll2_add_sorted. One sweep a second over
// the sessions (a few microseconds per thousand) decides pings and hang-ups.
constexpr auto kKeepaliveSweep = std::chrono::seconds(1);

static_assert(sizeof(void*) >= sizeof(SessionId), "session ids are kept in lws opaque data");

// What the lws callback reaches through the context's user pointer.
class LwsEventSink {
 public:
  virtual int on_lws_event(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len) = 0;

 protected:
  ~LwsEventSink() = default;
};

// What the loop knows about one listener; the vhost's user pointer.
struct Listener {
  bool tls = false;
  SSL_CTX* ssl_ctx = nullptr;  // owned by lws; for certificate reloads
  std::string cert_file;
  std::string key_file;
  std::string ca_file;  // set when it verifies client certificates (profile 3)
  bool verifies_client_certs = false;
  lws_retry_bo_t keepalive{};
  lws_vhost* vhost = nullptr;
  int port = 0;
};

int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);

const lws_protocols kProtocols[] = {
    // One protocol serves the HTTP phase and the websocket: lws binds HTTP
    // connections to protocols[0], and "ocpp1.6" is the only subprotocol.
    {kSubprotocol, lws_callback, 0, kRxChunkBytes, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Writes a complete body-less HTTP response. Returns false when it could not
// be written (the caller then hangs up).
constexpr unsigned kTooManyRequests = 429;  // RFC 6585; lws 4.1 names no constant

bool respond(lws* wsi, unsigned status, bool ask_for_basic_auth = false) {
  unsigned char buffer[LWS_PRE + 512];
  unsigned char* start = buffer + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer + sizeof(buffer);
  if (lws_add_http_header_status(wsi, status, &p, end) != 0) return false;
  if (ask_for_basic_auth &&
      lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
                                   reinterpret_cast<const unsigned char*>(kWwwAuthenticate),
                                   static_cast<int>(std::strlen(kWwwAuthenticate)), &p, end) != 0) {
    return false;
  }
  if (lws_add_http_header_content_length(wsi, 0, &p, end) != 0) return false;
  return lws_finalize_write_http_header(wsi, start, &p, end) == 0;
}

SessionId session_of(lws* wsi) {
  return static_cast<SessionId>(reinterpret_cast<std::uintptr_t>(lws_get_opaque_user_data(wsi)));
}

}  // namespace

class OcppServer::Impl final : public LwsEventSink {
 public:
  Impl(ServerConfig config, ConnectionHandler& handler);
  ~Impl();

  int plain_port() const { return plain_ ? plain_->port : 0; }
  int tls_port() const { return tls_ ? tls_->port : 0; }

  void run();
  void stop();
  void send(SessionId session, std::string text, bool urgent);
  void close(SessionId session, int code);
  void post(std::function<void()> task, bool urgent = false);
  void schedule(std::chrono::milliseconds delay, std::function<void()> task);
  void stop_accepting() { accepting_ = false; }
  void reload_certificates();
  void close_all(int code);
  std::size_t session_count() const { return sessions_.size(); }
  std::uint64_t pings_sent() const { return pings_sent_; }

  int on_lws_event(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len) override;

 private:
  struct Session {
    lws* wsi = nullptr;
    std::list<std::string> outbox;  // each has LWS_PRE bytes of headroom; a list: see below

    std::string partial;  // text message being reassembled
    bool close_requested = false;
    // Websocket close code sent once the outbox is empty.
    lws_close_status close_code = LWS_CLOSE_STATUS_NORMAL;
    lws_usec_t last_heard = 0;    // last inbound frame or PONG
    lws_usec_t ping_sent_at = 0;  // 0: no PING awaiting its PONG
    bool ping_due = false;        // a PING to write at the next writable
  };

  // Work handed to the loop by any thread.
  struct Command {
    enum class Kind { Send, Close, Task } kind;
    SessionId session = 0;
    std::string payload;
    std::function<void()> task;
    int close_code = LWS_CLOSE_STATUS_NORMAL;  // Kind::Close
  };

  // The one lws timer of the scheduled tasks (LoopTimers: lws inserts a
  // timer in linear time). Standard layout with the sul first, so the timer
  // callback can get back from the sul to the server.
  struct TimerSul {
    lws_sorted_usec_list_t sul;
    Impl* server;
  };

  Listener* create_listener(const ListenerConfig& config, bool tls);
  void enqueue(Command command, bool urgent);
  void drain_inbox();
  // Loop only: runs what post_urgent()/send_urgent() handed over, if any.
  // Called before each pile's receive and writable callback: one atomic
  // load when there is none.
  void run_urgent();
  void execute(Command& command, bool urgent);
  // Loop only: a Send or Close command into its session's outbox (an urgent
  // Send straight onto the socket when write_now() can).
  void deliver(Command& command, bool urgent);
  // Loop only: writes an urgent frame now when nothing is queued before it
  // for its session, the session is not the one being served and its socket
  // takes it without blocking; false: it goes through the outbox.
  bool write_now(Session& session, std::string& message);
  void arm_timer(std::chrono::milliseconds delay, std::function<void()> task);
  // The lws timer at the earliest scheduled task (none when none waits).
  void rearm_timer();
  // Every kKeepaliveSweep: PING sessions silent for ping_interval_s, hang
  // up those whose PING went unanswered for pong_timeout_s.
  void sweep_keepalive();
  void on_pong(lws* wsi);
  static void on_timer(lws_sorted_usec_list_t* sul);

  int confirm_upgrade(lws* wsi, const Listener& listener, const char* upgrade);
  int answer_plain_http(lws* wsi);
  int on_established(lws* wsi);
  int on_receive(lws* wsi, const void* data, std::size_t len);
  int on_writeable(lws* wsi);
  void on_closed(lws* wsi);

  Session* find(lws* wsi);
  template <typename F>
  void call_handler(const char* what, F&& f);

  const ServerConfig config_;
  ConnectionHandler& handler_;
  lws_context* context_ = nullptr;
  struct ev_loop* loop_ = nullptr;  // null: lws's own poll() loop
  // lws 4.1 on a libev loop only re-arms its timers (keepalive pings and
  // hang-ups, handshake time-outs, our schedule()) after socket activity; a
  // loop with nothing to read would let them slip. This tick wakes lws four
  // times a second, which costs nothing per connection.
  ev_timer tick_{};
  std::vector<std::unique_ptr<Listener>> listeners_;
  Listener* plain_ = nullptr;
  Listener* tls_ = nullptr;

  std::atomic<bool> stop_requested_{false};
  std::atomic<std::uint64_t> pings_sent_{0};  // written on the loop thread
  base::Mutex inbox_mutex_;
  std::vector<Command> inbox_ GUARDED_BY(inbox_mutex_);
  std::vector<Command> urgent_inbox_ GUARDED_BY(inbox_mutex_);
  // Mirrors !urgent_inbox_.empty() for the loop's check between callbacks.
  std::atomic<bool> urgent_waiting_{false};

  // Loop thread only from here on.
  std::unordered_map<SessionId, Session> sessions_;
  bool running_urgent_ = false;  // run_urgent() is not re-entered
  // The connection whose receive or writable callback runs: an urgent frame
  // for it waits for its own writable callback (lws is inside its I/O).
  lws* serving_wsi_ = nullptr;
  SessionId next_session_ = 1;
  // The upgrade accepted by confirm_upgrade(); lws establishes the websocket
  // synchronously right after it, on the same wsi.
  lws* pending_wsi_ = nullptr;
  std::string pending_charge_point_;
  websockets::LoopTimers timers_;
  TimerSul timer_sul_{};
  bool destroying_ = false;
  bool accepting_ = true;              // false while shutting down: upgrades get 503
  core::RateLimiter connect_limiter_;  // upgrade attempts per source address
  // The SSL_CTX lws reported while creating the vhost being created.
  SSL_CTX* created_ssl_ctx_ = nullptr;
};

namespace {

int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
  auto* server = static_cast<LwsEventSink*>(lws_context_user(lws_get_context(wsi)));
  if (server == nullptr) return lws_callback_http_dummy(wsi, reason, user, in, len);
  // The one event whose data comes as `user`: a TLS vhost's SSL_CTX.
  if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS) in = user;
  return server->on_lws_event(wsi, reason, in, len);
}

}  // namespace

OcppServer::Impl::Impl(ServerConfig config, ConnectionHandler& handler)
    : config_(std::move(config)),
      handler_(handler),
      connect_limiter_(core::RateLimit{config_.connect_rate, config_.connect_burst}) {
  if (!config_.plain && !config_.tls) throw std::runtime_error("OCPP server has no listener");
  if (config_.tls) {
    websockets::check_tls_files(config_.tls->cert_file, config_.tls->key_file,
                                config_.tls->ca_file);
  }
  lws_set_log_level(config_.lws_log_levels, nullptr);
  websockets::adjust_open_file_limit();

  lws_context_creation_info info = tls::context_info(static_cast<LwsEventSink*>(this), true);
  // VALIDATE_UTF8 is read from the context (not the vhost) options in 4.1:
  // invalid UTF-8 in a text message closes the connection with 1007.
  info.options |= LWS_SERVER_OPTION_VALIDATE_UTF8;
  // fd_limit_per_thread stays 0: lws sizes its tables from RLIMIT_NOFILE,
  // which adjust_open_file_limit() has raised (and bounded).
  loop_ = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
  if (loop_ != nullptr) {
    void* foreign_loops[] = {loop_};
    lws_context_creation_info evented = info;
    evented.options |= LWS_SERVER_OPTION_LIBEV;
    evented.foreign_loops = foreign_loops;
    context_ = lws_create_context(&evented);
    if (context_ == nullptr) {
      ev_loop_destroy(loop_);
      loop_ = nullptr;
    } else {
      ev_timer_init(
          &tick_,
          [](struct ev_loop*, ev_timer* timer, int) {
            lws_cancel_service(static_cast<lws_context*>(timer->data));
          },
          0.25, 0.25);
      tick_.data = context_;
      ev_timer_start(loop_, &tick_);
    }
  }
  if (context_ == nullptr) {
    lwsl_warn("libev loop unavailable (lws evlib plugin missing?): falling back to poll()\n");
    core::log(core::LogLevel::Warn, "poll_fallback",
              "chargelock: warning: OCPP server runs on poll(), not epoll: the libwebsockets "
              "libev plugin (package libwebsockets-evlib-ev) could not be loaded");
    context_ = lws_create_context(&info);
  }
  if (context_ == nullptr) throw std::runtime_error("cannot create the libwebsockets context");

  try {
    if (config_.plain) plain_ = create_listener(*config_.plain, false);
    if (config_.tls) tls_ = create_listener(*config_.tls, true);
    if (config_.ping_interval_s > 0) arm_timer(kKeepaliveSweep, [this] { sweep_keepalive(); });
  } catch (...) {
    lws_context_destroy(context_);
    if (loop_ != nullptr) ev_loop_destroy(loop_);
    throw;
  }
}

Listener* OcppServer::Impl::create_listener(const ListenerConfig& config, bool tls) {
  auto listener = std::make_unique<Listener>();
  listener->tls = tls;
  listener->verifies_client_certs = tls && !config.ca_file.empty();
  // All zero: no lws validity timer (see kKeepaliveSweep; pings are ours).

  const std::string where =
      (tls ? "wss://" : "ws://") + config.host + ":" + std::to_string(config.port);
  lws_context_creation_info info = tls::vhost_info(tls ? "ocpp-tls" : "ocpp-plain", config.host,
                                                   config.port, kProtocols, listener.get());
  info.retry_and_idle_policy = &listener->keepalive;
  // How long a connection may sit in the handshake (lws default: 5 s). In a
  // boot storm thousands of piles connect at once and their upgrades queue
  // behind each other's password checks (5,000 piles: ~5 s of checks).
  info.timeout_secs = 30;
  // The same for a connection accepted but not yet read: lws hangs up a
  // connection holding a header table for timeout_secs_ah_idle (default
  // 10 s) before its request was processed. In a reconnect storm of 10,000
  // piles the loop reaches the last upgrades after more than 10 s; those
  // piles were cut off, retried after their back-off (1, 2, 4 s...) and
  // were cut off again behind the next wave: 24.7 s at 10,000 piles for
  // 0.83 s at 1,000. The handshake's 30 s covers the whole storm.
  info.timeout_secs_ah_idle = info.timeout_secs;
  if (tls) {
    // The listeners' one TLS policy (versions, ciphers; ALPN h1 only:
    // ws-over-h2 would bypass the per-connection keepalive).
    tls::apply_server_tls(info, config.cert_file.c_str(), config.key_file.c_str());
    if (listener->verifies_client_certs) {
      // Ask for a client certificate (SSL_VERIFY_PEER) without requiring one
      // (no SSL_VERIFY_FAIL_IF_NO_PEER_CERT). The verify callback lets the
      // handshake continue either way; verified_client_common_name() only
      // trusts certificates whose verify result is X509_V_OK.
      info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
                      LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED;
      info.ssl_ca_filepath = config.ca_file.c_str();
    }
  }

  created_ssl_ctx_ = nullptr;
  listener->vhost = lws_create_vhost(context_, &info);
  if (tls) {
    listener->ssl_ctx = created_ssl_ctx_;
    listener->cert_file = config.cert_file;
    listener->key_file = config.key_file;
    if (listener->verifies_client_certs) listener->ca_file = config.ca_file;
  }
  if (listener->vhost == nullptr) {
    throw std::runtime_error("cannot listen on " + where +
                             " (address in use, bad address or TLS setup failed)");
  }
  listener->port = lws_get_vhost_listen_port(listener->vhost);
  listeners_.push_back(std::move(listener));
  return listeners_.back().get();
}

OcppServer::Impl::~Impl() {
  destroying_ = true;
  lws_sul_cancel(&timer_sul_.sul);
  timers_.clear();
  if (loop_ != nullptr) ev_timer_stop(loop_, &tick_);
  lws_context_destroy(context_);  // stops lws's watchers on the foreign loop
  if (loop_ != nullptr) ev_loop_destroy(loop_);
}

void OcppServer::Impl::run() {
  tls_loop_server = this;
  while (!stop_requested_.load()) {
    if (loop_ != nullptr) {
      ev_run(loop_, 0);  // until stop() breaks it (see EVENT_WAIT_CANCELLED)
    } else if (lws_service(context_, 0) < 0) {
      break;
    }
  }
}

void OcppServer::Impl::stop() {
  stop_requested_.store(true);
  lws_cancel_service(context_);
}

void OcppServer::Impl::reload_certificates() {
  post([this] {
    for (const auto& listener : listeners_) {
      if (!listener->tls) continue;
      if (auto error = tls::reload_server_certificate(listener->ssl_ctx, listener->cert_file,
                                                      listener->key_file)) {
        core::log(
            core::LogLevel::Error, "certificate_reload_failed",
            "chargelock: ocpp wss: certificate reload failed, keeping the old one: " + *error);
      } else {
        core::log(core::LogLevel::Info, "certificate_reloaded",
                  "chargelock: ocpp wss: certificate reloaded from " + listener->cert_file);
      }
      if (listener->ca_file.empty()) continue;
      if (auto error = tls::reload_client_ca(listener->ssl_ctx, listener->ca_file)) {
        core::log(core::LogLevel::Error, "client_ca_reload_failed",
                  "chargelock: ocpp wss: client CA reload failed, keeping the old one: " + *error);
      } else {
        core::log(core::LogLevel::Info, "client_ca_reloaded",
                  "chargelock: ocpp wss: client CA bundle reloaded from " + listener->ca_file);
      }
    }
  });
}

void OcppServer::Impl::close_all(int code) {
  // Through the inbox, so that answers enqueued before are written first.
  post([this, code] {
    for (auto& [id, session] : sessions_) {
      session.close_requested = true;
      session.close_code = static_cast<lws_close_status>(code);
      lws_callback_on_writable(session.wsi);
    }
  });
}

void OcppServer::Impl::send(SessionId session, std::string text, bool urgent) {
  Command command{Command::Kind::Send, session, std::string(LWS_PRE, '\0'), {}};
  command.payload += text;
  // On the loop (an answer finished by a posted task, a protocol error):
  // straight into the outbox. Through the inbox it would wait for one more
  // wake-up of the loop, which under a flood is one more pass over every
  // readable pile.
  if (tls_loop_server == this && !destroying_) {
    deliver(command, urgent);
    return;
  }
  enqueue(std::move(command), urgent);
}

void OcppServer::Impl::close(SessionId session, int code) {
  enqueue(Command{Command::Kind::Close, session, {}, {}, code}, /*urgent=*/false);
}

void OcppServer::Impl::post(std::function<void()> task, bool urgent) {
  enqueue(Command{Command::Kind::Task, 0, {}, std::move(task)}, urgent);
}

void OcppServer::Impl::schedule(std::chrono::milliseconds delay, std::function<void()> task) {
  // On the loop (every CALL's answer time-out: 10,000 in a lock's fan-out):
  // into the timer heap at once, not one more inbox task (a mutex, a
  // wake-up) each.
  if (tls_loop_server == this && !destroying_) {
    arm_timer(delay, std::move(task));
    return;
  }
  post([this, delay, task = std::move(task)]() mutable { arm_timer(delay, std::move(task)); });
}

void OcppServer::Impl::enqueue(Command command, bool urgent) {
  bool was_empty;
  {
    base::MutexLock lock(inbox_mutex_);
    std::vector<Command>& box = urgent ? urgent_inbox_ : inbox_;
    was_empty = box.empty();
    box.push_back(std::move(command));
    if (urgent) urgent_waiting_.store(true, std::memory_order_release);
  }
  // A non-empty inbox already has a wake-up on its way: the loop empties the
  // inbox only in response to one. (A busy loop finds urgent work sooner,
  // between two callbacks; the wake-up is for a loop waiting in epoll.)
  if (was_empty) lws_cancel_service(context_);
}

void OcppServer::Impl::drain_inbox() {
  run_urgent();
  std::vector<Command> commands;
  {
    base::MutexLock lock(inbox_mutex_);
    commands.swap(inbox_);
  }
  for (Command& command : commands) {
    execute(command, false);
    // Urgent work posted meanwhile does not wait for the rest of a long
    // inbox (a group commit's 128 answers, each a message-log record).
    run_urgent();
  }
}

void OcppServer::Impl::run_urgent() {
  if (!urgent_waiting_.load(std::memory_order_acquire) || running_urgent_ || destroying_) return;
  running_urgent_ = true;
  std::vector<Command> commands;
  {
    base::MutexLock lock(inbox_mutex_);
    commands.swap(urgent_inbox_);
    urgent_waiting_.store(false, std::memory_order_relaxed);
  }
  for (Command& command : commands) execute(command, true);
  running_urgent_ = false;
}

void OcppServer::Impl::execute(Command& command, bool urgent) {
  if (command.kind == Command::Kind::Task) {
    call_handler(urgent ? "urgent task" : "posted task", command.task);
    return;
  }
  deliver(command, urgent);
}

bool OcppServer::Impl::write_now(Session& session, std::string& message) {
  // lws_send_pipe_choked: a remainder of an earlier write still buffered,
  // or the socket would not take more now (poll() for POLLOUT, no wait).
  if (!session.outbox.empty() || session.wsi == serving_wsi_ ||
      lws_send_pipe_choked(session.wsi) != 0)
    return false;
  const std::size_t length = message.size() - LWS_PRE;
  auto* body = reinterpret_cast<unsigned char*>(message.data()) + LWS_PRE;
  // lws keeps what the socket did not take and sends it before the next
  // writable callback; less than `length` means the connection failed.
  if (lws_write(session.wsi, body, length, LWS_WRITE_TEXT) < static_cast<int>(length))
    lws_set_timeout(session.wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
  return true;
}

void OcppServer::Impl::deliver(Command& command, bool urgent) {
  auto it = sessions_.find(command.session);
  if (it == sessions_.end()) return;  // already closed: dropped
  Session& session = it->second;
  if (command.kind == Command::Kind::Send) {
    if (session.close_requested) return;
    if (urgent && write_now(session, command.payload)) return;
    if (session.outbox.size() >= kMaxQueuedMessages) {
      session.close_requested = true;  // the queue still drains first
    } else {
      session.outbox.push_back(std::move(command.payload));
    }
  } else if (!session.close_requested) {
    session.close_requested = true;
    session.close_code = static_cast<lws_close_status>(command.close_code);
  }
  lws_callback_on_writable(session.wsi);
}

void OcppServer::Impl::arm_timer(std::chrono::milliseconds delay, std::function<void()> task) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::max(delay, std::chrono::milliseconds(0)));
  if (timers_.add(lws_now_usecs() + static_cast<lws_usec_t>(us.count()), std::move(task)))
    rearm_timer();
}

void OcppServer::Impl::rearm_timer() {
  const auto next = timers_.next_due();
  if (!next) {
    lws_sul_cancel(&timer_sul_.sul);
    return;
  }
  timer_sul_.server = this;
  lws_sul_schedule(context_, 0, &timer_sul_.sul, &Impl::on_timer,
                   std::max<lws_usec_t>(0, *next - lws_now_usecs()));
}

void OcppServer::Impl::on_timer(lws_sorted_usec_list_t* sul) {
  Impl* self = reinterpret_cast<TimerSul*>(sul)->server;
  // Tasks may schedule more (the keepalive sweep re-arms itself): those
  // land in the heap and run on a later turn.
  for (auto& task : self->timers_.take_due(lws_now_usecs()))
    self->call_handler("scheduled task", task);
  self->rearm_timer();
}

void OcppServer::Impl::sweep_keepalive() {
  const lws_usec_t now = lws_now_usecs();
  const lws_usec_t ping_after =
      static_cast<lws_usec_t>(std::min(config_.ping_interval_s, 30000)) * LWS_US_PER_SEC;
  const lws_usec_t hang_up_after =
      static_cast<lws_usec_t>(std::clamp(config_.pong_timeout_s, 1, 30000)) * LWS_US_PER_SEC;
  for (auto& [id, session] : sessions_) {
    if (session.ping_sent_at != 0) {
      // Closed asynchronously: on_closed() then tells the handler.
      if (now - session.ping_sent_at >= hang_up_after)
        lws_set_timeout(session.wsi, PENDING_TIMEOUT_WS_PONG_CHECK_GET_PONG, LWS_TO_KILL_ASYNC);
    } else if (now - session.last_heard >= ping_after) {
      session.ping_sent_at = now;
      session.ping_due = true;
      lws_callback_on_writable(session.wsi);
    }
  }
  arm_timer(kKeepaliveSweep, [this] { sweep_keepalive(); });
}

void OcppServer::Impl::on_pong(lws* wsi) {
  Session* session = find(wsi);
  if (session == nullptr) return;
  session->last_heard = lws_now_usecs();
  session->ping_sent_at = 0;
}

template <typename F>
void OcppServer::Impl::call_handler(const char* what, F&& f) {
  // Exceptions must not unwind through libwebsockets' C frames.
  try {
    f();
  } catch (const std::exception& e) {
    lwsl_err("ChargeLock: %s threw: %s\n", what, e.what());
  } catch (...) {
    lwsl_err("ChargeLock: %s threw\n", what);
  }
}

OcppServer::Impl::Session* OcppServer::Impl::find(lws* wsi) {
  auto it = sessions_.find(session_of(wsi));
  return it == sessions_.end() || it->second.wsi != wsi ? nullptr : &it->second;
}

int OcppServer::Impl::on_lws_event(lws* wsi, lws_callback_reasons reason, void* in,
                                   std::size_t len) {
  switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
      created_ssl_ctx_ = static_cast<SSL_CTX*>(in);
      return tls::apply_server_context_policy(created_ssl_ctx_) ? 0 : 1;  // 1: vhost fails

    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
      // 0 = let the handshake proceed, whatever OpenSSL's verdict (`len`):
      // a certificate that fails verification is simply not trusted later.
      return 0;

    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
      const auto* listener = static_cast<const Listener*>(lws_vhost_user(lws_get_vhost(wsi)));
      if (listener == nullptr) return -1;
      return confirm_upgrade(wsi, *listener, static_cast<const char*>(in));
    }

    case LWS_CALLBACK_HTTP:
      return answer_plain_http(wsi);

    case LWS_CALLBACK_ESTABLISHED:
      return on_established(wsi);

    case LWS_CALLBACK_RECEIVE: {
      serving_wsi_ = wsi;
      run_urgent();
      const int result = on_receive(wsi, in, len);
      serving_wsi_ = nullptr;
      return result;
    }

    case LWS_CALLBACK_RECEIVE_PONG:
      on_pong(wsi);
      return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE: {
      serving_wsi_ = wsi;
      run_urgent();
      const int result = on_writeable(wsi);
      serving_wsi_ = nullptr;
      return result;
    }

    case LWS_CALLBACK_CLOSED:
      on_closed(wsi);
      return 0;

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      // Delivered once per vhost; the second call finds the inbox empty.
      if (!destroying_) drain_inbox();
      if (stop_requested_.load() && loop_ != nullptr) ev_break(loop_, EVBREAK_ALL);
      return 0;

    default:
      return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  }
}

int OcppServer::Impl::confirm_upgrade(lws* wsi, const Listener& listener, const char* upgrade) {
  // Return values: 0 = go on with the upgrade, 1 = we answered, -1 = hang up.
  const auto refuse = [wsi](unsigned status, bool ask_for_basic_auth = false) {
    return respond(wsi, status, ask_for_basic_auth) ? 1 : -1;
  };
  // Defence in depth: never treat a cleartext connection as wss.
  if (listener.tls && !lws_is_ssl(wsi)) return -1;
  if (upgrade == nullptr || strcasecmp(upgrade, "websocket") != 0) {
    return refuse(HTTP_STATUS_BAD_REQUEST);
  }
  const auto charge_point_id =
      websockets::charge_point_id_from_path(tls::header_value(wsi, WSI_TOKEN_GET_URI));
  if (!charge_point_id) return refuse(HTTP_STATUS_NOT_FOUND);
  // Shutting down: the pile should try again (another node, or this one
  // once it is back).
  if (!accepting_) return refuse(HTTP_STATUS_SERVICE_UNAVAILABLE);
  char address[128] = {};
  const bool has_address = lws_get_peer_simple(wsi, address, sizeof(address)) != nullptr;
  if (has_address) {
    // Before any password is hashed: a reconnect loop (or an attacker)
    // cannot make this loop run PBKDF2 without bound.
    const auto admitted = connect_limiter_.admit(address);
    if (!admitted.admitted) {
      if (admitted.log)
        core::log(core::LogLevel::Warn, "connect_rate_exceeded",
                  fmt::format("chargelock: ocpp: too many connection attempts from {} (more than "
                              "{}/s): answered 429",
                              address, config_.connect_rate));
      return refuse(kTooManyRequests);
    }
  }
  if (!websockets::offers_subprotocol(tls::header_value(wsi, WSI_TOKEN_PROTOCOL), kSubprotocol)) {
    return refuse(HTTP_STATUS_BAD_REQUEST);
  }

  UpgradeRequest request;
  request.charge_point_id = *charge_point_id;
  request.tls = listener.tls;
  if (auto credentials = websockets::parse_basic_authorization(
          tls::header_value(wsi, WSI_TOKEN_HTTP_AUTHORIZATION))) {
    request.basic_user = std::move(credentials->user);
    request.basic_password = std::move(credentials->password);
  }
  if (listener.verifies_client_certs) {
    request.client_cert_cn = websockets::verified_client_common_name(lws_get_ssl(wsi));
  }
  if (has_address) request.remote_address = address;

  std::optional<UpgradeVerdict> verdict;
  call_handler("on_upgrade", [&] { verdict = handler_.on_upgrade(request); });
  if (!verdict) return refuse(HTTP_STATUS_INTERNAL_SERVER_ERROR);
  switch (*verdict) {
    case UpgradeVerdict::Accept:
      pending_wsi_ = wsi;
      pending_charge_point_ = std::move(request.charge_point_id);
      return 0;
    case UpgradeVerdict::Unauthorized:
      return refuse(HTTP_STATUS_UNAUTHORIZED, true);
    case UpgradeVerdict::NotFound:
      break;
  }
  return refuse(HTTP_STATUS_NOT_FOUND);
}

int OcppServer::Impl::answer_plain_http(lws* wsi) {
  // A plain request to an OCPP path is told to upgrade; the health paths
  // are answered (see ServerConfig::ready); anything else is not here.
  const std::string path = tls::header_value(wsi, WSI_TOKEN_GET_URI);
  const bool ocpp_path = websockets::charge_point_id_from_path(path).has_value();
  unsigned status = ocpp_path ? 426 : HTTP_STATUS_NOT_FOUND;
  if (path == "/healthz") status = HTTP_STATUS_OK;
  if (path == "/readyz")
    status = accepting_ && (!config_.ready || config_.ready()) ? HTTP_STATUS_OK
                                                               : HTTP_STATUS_SERVICE_UNAVAILABLE;
  if (!respond(wsi, status)) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int OcppServer::Impl::on_established(lws* wsi) {
  if (wsi != pending_wsi_) return -1;  // not an upgrade we confirmed
  pending_wsi_ = nullptr;
  const SessionId id = next_session_++;
  Session& session = sessions_[id];
  session.wsi = wsi;
  session.last_heard = lws_now_usecs();
  lws_set_opaque_user_data(wsi, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)));
  const std::string charge_point_id = std::move(pending_charge_point_);
  call_handler("on_open", [&] { handler_.on_open(id, charge_point_id); });
  return 0;
}

int OcppServer::Impl::on_receive(lws* wsi, const void* data, std::size_t len) {
  Session* session = find(wsi);
  if (session == nullptr) return -1;
  if (lws_frame_is_binary(wsi)) {
    static const char reason[] = "OCPP-J uses text frames";
    lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                     reinterpret_cast<unsigned char*>(const_cast<char*>(reason)),
                     sizeof(reason) - 1);
    return -1;
  }
  if (session->partial.size() + len > config_.max_frame_bytes) {
    static const char reason[] = "message too big";
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                     reinterpret_cast<unsigned char*>(const_cast<char*>(reason)),
                     sizeof(reason) - 1);
    return -1;
  }
  session->partial.append(static_cast<const char*>(data), len);

  // Inbound data proves the peer alive as a PONG does.
  session->last_heard = lws_now_usecs();
  session->ping_sent_at = 0;
  if (!lws_is_final_fragment(wsi)) return 0;

  std::string message;
  message.swap(session->partial);  // leaves no large capacity behind
  const SessionId id = session_of(wsi);
  call_handler("on_text", [&] { handler_.on_text(id, std::move(message)); });
  return 0;
}

int OcppServer::Impl::on_writeable(lws* wsi) {
  Session* session = find(wsi);
  if (session == nullptr) return -1;
  if (session->ping_due) {
    session->ping_due = false;
    // One byte of payload: lws 4.1 does not report an empty PONG.
    unsigned char ping[LWS_PRE + 1] = {};
    ping[LWS_PRE] = 'k';
    if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 1) return -1;
    ++pings_sent_;
    if (!session->outbox.empty() || session->close_requested) lws_callback_on_writable(wsi);
    return 0;
  }
  if (!session->outbox.empty()) {
    std::string& message = session->outbox.front();
    const std::size_t length = message.size() - LWS_PRE;
    auto* body = reinterpret_cast<unsigned char*>(message.data()) + LWS_PRE;
    if (lws_write(wsi, body, length, LWS_WRITE_TEXT) < static_cast<int>(length)) return -1;
    session->outbox.pop_front();
    if (!session->outbox.empty() || session->close_requested) lws_callback_on_writable(wsi);
    return 0;
  }
  if (session->close_requested) {
    lws_close_reason(wsi, session->close_code, nullptr, 0);
    return -1;
  }
  return 0;
}

void OcppServer::Impl::on_closed(lws* wsi) {
  Session* session = find(wsi);
  if (session == nullptr) return;
  const SessionId id = session_of(wsi);
  sessions_.erase(id);
  if (!destroying_) call_handler("on_close", [&] { handler_.on_close(id); });
}

OcppServer::OcppServer(ServerConfig config, ConnectionHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(config), handler)) {}
OcppServer::~OcppServer() = default;
int OcppServer::plain_port() const { return impl_->plain_port(); }
int OcppServer::tls_port() const { return impl_->tls_port(); }
void OcppServer::run() { impl_->run(); }
void OcppServer::stop() { impl_->stop(); }
void OcppServer::stop_accepting() { impl_->stop_accepting(); }
void OcppServer::reload_certificates() { impl_->reload_certificates(); }
void OcppServer::close_all(int code) { impl_->close_all(code); }
std::size_t OcppServer::session_count() const { return impl_->session_count(); }
std::uint64_t OcppServer::pings_sent() const { return impl_->pings_sent(); }
void OcppServer::send(SessionId session, std::string text) {
  impl_->send(session, std::move(text), false);
}
void OcppServer::send_urgent(SessionId session, std::string text) {
  impl_->send(session, std::move(text), true);
}
void OcppServer::close(SessionId session, int code) { impl_->close(session, code); }
void OcppServer::post(std::function<void()> task) { impl_->post(std::move(task), false); }
void OcppServer::post_urgent(std::function<void()> task) { impl_->post(std::move(task), true); }
void OcppServer::schedule(std::chrono::milliseconds delay, std::function<void()> task) {
  impl_->schedule(delay, std::move(task));
}

}  // namespace chargelock::ocpp
