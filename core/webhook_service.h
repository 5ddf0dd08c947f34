// Owners' webhooks (SPEC §5, issue 4): an optional URL per owner that gets
// every notification of the owner, at least once.
//
// - WebhookService: an owner sets, reads and deletes their webhook. The
//   secret is the owner's (they check the signature with it); it is stored
//   as given and never handed out again (a generated one is shown once).
// - Delivery: NotificationStore::add queues a row in the webhook outbox in
//   the notification's transaction. A WebhookDispatcher (its own thread,
//   hence its own database connection) claims due rows with FOR UPDATE SKIP
//   LOCKED, so any number of processes may run one, and POSTs the
//   notification through a WebhookTransport:
//       Content-Type: application/json
//       X-ChargeLock-Signature: sha256=<hex HMAC-SHA256 of the body, keyed by the secret>
//       X-ChargeLock-Delivery: <delivery id> (the same on every retry)
//       X-ChargeLock-Event: <notification kind>
//   A 2xx answer is delivered; anything else (another status, no answer) is
//   retried after 1 s, 2 s, 4 s, ... capped at 10 min, and given up (status
//   failed, last error kept) once the notification is 24 h old. A claim
//   leases the row; a process that dies mid-request leaves it due again
//   when the lease ends, so a delivery may arrive twice, never zero times.
//
// Core knows no HTTP: the transport ("POST these bytes to this URL with
// these headers, tell me the status") is implemented by the API layer
// (api/webhook_http_client.h), and the body by a renderer the app passes in
// (the JSON of GET /notifications).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/url.h"
#include "core/notification_service.h"
#include "core/stores/webhook_store.h"
#include "core/time_source.h"
#include "core/timestamp.h"

namespace chargelock::core {

// ---- URL

// An owner's webhook URL: one of base/url.h's, http or https.
using WebhookUrl = base::Url;

inline constexpr std::size_t kMaxWebhookUrlLength = 2048;

// Parses an owner's webhook URL: http:// or https://, a host, an optional
// port (1..65535), an optional path and query. Throws std::invalid_argument
// naming the problem for anything else (user info, a fragment, spaces or
// control characters, longer than kMaxWebhookUrlLength).
WebhookUrl parse_webhook_url(std::string_view url);

// ---- signature and retry schedule

// "sha256=" + lower-case hex HMAC-SHA256 of `body` keyed by `secret`.
std::string webhook_signature(std::string_view secret, std::string_view body);

struct WebhookRetryPolicy {
  std::chrono::milliseconds first_delay{1000};
  std::chrono::milliseconds max_delay{std::chrono::minutes(10)};
  std::chrono::milliseconds give_up_after{std::chrono::hours(24)};  // since the notification
};

// The wait after the `attempts`-th failed attempt (1-based): first_delay
// doubled each time, capped at max_delay.
std::chrono::milliseconds webhook_backoff(int attempts, const WebhookRetryPolicy& policy = {});

// ---- the owner's settings

struct Webhook {
  std::string url;
  Timestamp created_at;
  Timestamp updated_at;
};

struct WebhookSet {
  Webhook webhook;
  // The secret the service chose when the owner gave none (shown once).
  std::optional<std::string> generated_secret;
};

inline constexpr std::size_t kMinWebhookSecretLength = 16;
inline constexpr std::size_t kMaxWebhookSecretLength = 512;

class WebhookService {
 public:
  explicit WebhookService(WebhookStore& store);

  // Creates or replaces the owner's webhook; pending deliveries go to the
  // new URL with the new secret. Without a secret one is generated. Throws
  // std::invalid_argument for a bad URL or a secret outside 16..512
  // printable ASCII characters; RowNotFoundError for an unknown owner.
  WebhookSet set(std::int64_t owner_id, const std::string& url,
                 const std::optional<std::string>& secret);
  std::optional<Webhook> get(std::int64_t owner_id);
  // Also drops the deliveries not yet made. False when there was none.
  bool remove(std::int64_t owner_id);
  // Newest first (limit clamped to 1..1000).
  std::vector<WebhookDeliveryRecord> deliveries(std::int64_t owner_id, int limit = 100);

  static std::string generate_secret();  // "whsec_" + 64 hex characters

 private:
  WebhookStore& store_;
};

// ---- delivery

struct WebhookPost {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct WebhookAnswer {
  std::optional<int> status;  // none: no HTTP answer (refused, timeout, TLS, ...)
  std::string error;          // why, when there is no status
};

// POSTs bytes to a URL. Called on the dispatcher's thread only; cancel()
// may be called from any thread and makes the request in flight (and any
// later one) end quickly without an answer.
class WebhookTransport {
 public:
  virtual ~WebhookTransport() = default;
  virtual WebhookAnswer post(const WebhookPost& request) = 0;
  virtual void cancel() = 0;
};

// The body of a webhook request for a notification.
using WebhookRenderer = std::function<std::string(const Notification&)>;

struct WebhookDispatcherConfig {
  std::chrono::milliseconds poll_interval{500};  // looks for due deliveries this often
  int batch = 4;  // rows claimed at a time, then sent one after the other
  // How long a claimed row stays with its claimer: more than `batch` times
  // the transport's timeout, or another process may send it meanwhile.
  std::chrono::milliseconds lease{std::chrono::minutes(2)};
  WebhookRetryPolicy retry;
  std::function<void()> on_thread_exit;  // e.g. release the thread's database connection
};

class WebhookDispatcher {
 public:
  // `time` decides when a delivery is due and when its retry is (a test's
  // ManualTimeSource skips a backoff); the poll interval is real time.
  WebhookDispatcher(WebhookStore& store, WebhookTransport& transport, WebhookRenderer renderer,
                    WebhookDispatcherConfig config = {}, const TimeSource& time = system_time());
  ~WebhookDispatcher();  // stop()
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Starts the delivery thread (once).
  void start() EXCLUDES(mutex_);
  // Thread-safe, idempotent: cancels the request in flight and joins the
  // thread. A delivery interrupted this way is retried later.
  void stop() EXCLUDES(mutex_);

  // Thread-safe: looks for due deliveries now instead of at the next poll
  // (a notification was just committed in this process).
  void wake() EXCLUDES(mutex_);

  // One pass on the calling thread: claims the due deliveries (one batch),
  // sends them and records the outcomes. Returns how many were attempted.
  int run_once();

 private:
  void run() EXCLUDES(mutex_);
  void attempt(const ClaimedWebhookDelivery& claimed);

  WebhookStore& store_;
  WebhookTransport& transport_;
  WebhookRenderer renderer_;
  WebhookDispatcherConfig config_;
  const TimeSource& time_;
  base::Mutex mutex_;
  base::CondVar wake_{&mutex_};
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool woken_ GUARDED_BY(mutex_) = false;  // wake() since the last pass began
  std::atomic<bool> stopped_{false};       // stopping_, read without the lock
  std::thread thread_ GUARDED_BY(mutex_);
};

}  // namespace chargelock::core
