#include "core/webhook_service.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "core/core_metrics.h"
#include "core/digest.h"
#include "core/domain_errors.h"
#include "core/log.h"

namespace chargelock::core {

WebhookUrl parse_webhook_url(std::string_view url) {
  if (url.size() > kMaxWebhookUrlLength)
    throw std::invalid_argument("url: longer than " + std::to_string(kMaxWebhookUrlLength) +
                                " characters");
  // Checked first: base::parse_url also knows ws:// and wss://.
  std::string scheme(url.substr(0, url.find("://")));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!url.empty() && scheme != "http" && scheme != "https")
    throw std::invalid_argument("url: must start with http:// or https://");
  return base::parse_url(url);
}

std::string webhook_signature(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest,
           &size) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed");
  return "sha256=" + hex(digest, size);
}

std::chrono::milliseconds webhook_backoff(int attempts, const WebhookRetryPolicy& policy) {
  std::chrono::milliseconds delay = policy.first_delay;
  for (int i = 1; i < attempts && delay < policy.max_delay; ++i) delay *= 2;
  return std::min(delay, policy.max_delay);
}

// ---- WebhookService

WebhookService::WebhookService(WebhookStore& store) : store_(store) {}

WebhookSet WebhookService::set(std::int64_t owner_id, const std::string& url,
                               const std::optional<std::string>& secret) {
  parse_webhook_url(url);
  WebhookSet result;
  std::string key;
  if (secret) {
    if (secret->size() < kMinWebhookSecretLength || secret->size() > kMaxWebhookSecretLength)
      throw std::invalid_argument("secret: must be 16 to 512 characters");
    if (!std::all_of(secret->begin(), secret->end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return u > 0x20 && u < 0x7f;
        }))
      throw std::invalid_argument("secret: printable ASCII characters only, no spaces");
    key = *secret;
  } else {
    key = generate_secret();
    result.generated_secret = key;
  }
  const WebhookRecord stored = store_.put(owner_id, url, key);
  result.webhook = Webhook{stored.url, stored.created_at, stored.updated_at};
  return result;
}

std::optional<Webhook> WebhookService::get(std::int64_t owner_id) {
  auto stored = store_.find(owner_id);
  if (!stored) return std::nullopt;
  return Webhook{stored->url, stored->created_at, stored->updated_at};
}

bool WebhookService::remove(std::int64_t owner_id) { return store_.remove(owner_id); }

std::vector<WebhookDeliveryRecord> WebhookService::deliveries(std::int64_t owner_id, int limit) {
  return store_.deliveries(owner_id, std::clamp(limit, 1, 1000));
}

std::string WebhookService::generate_secret() { return "whsec_" + random_hex(32); }

// ---- WebhookDispatcher

WebhookDispatcher::WebhookDispatcher(WebhookStore& store, WebhookTransport& transport,
                                     WebhookRenderer renderer, WebhookDispatcherConfig config,
                                     const TimeSource& time)
    : store_(store),
      transport_(transport),
      renderer_(std::move(renderer)),
      config_(std::move(config)),
      time_(time) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  base::MutexLock lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void WebhookDispatcher::stop() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  stopped_ = true;
  wake_.signal_all();
  transport_.cancel();
  std::thread thread;
  {
    base::MutexLock lock(mutex_);
    thread = std::move(thread_);
  }
  if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
}

void WebhookDispatcher::wake() {
  {
    base::MutexLock lock(mutex_);
    woken_ = true;
  }
  wake_.signal_all();
}

void WebhookDispatcher::run() {
  bool failing = false;
  while (!stopped_) {
    {
      base::MutexLock lock(mutex_);
      woken_ = false;  // this pass sees what a wake() before it announced
    }
    int attempted = 0;
    try {
      attempted = run_once();
      if (failing)
        log(LogLevel::Info, "webhooks_recovered", "chargelock: webhooks: database reachable again");
      failing = false;
    } catch (const std::exception& error) {
      if (!failing)
        log(LogLevel::Error, "webhooks_failed",
            fmt::format("chargelock: webhooks: delivery pass failed: {}", error.what()));
      failing = true;
    }
    // A full batch: there may be more due at once.
    if (attempted >= config_.batch && !failing) continue;
    base::MutexLock lock(mutex_);
    const auto due = std::chrono::steady_clock::now() + config_.poll_interval;
    while (!stopping_ && !woken_ && wake_.wait_until(due)) {
    }
  }
  if (config_.on_thread_exit) config_.on_thread_exit();
}

int WebhookDispatcher::run_once() {
  const auto claimed = store_.claim_due(std::max(config_.batch, 1), time_.now(), config_.lease);
  int attempted = 0;
  for (const auto& delivery : claimed) {
    // After stop() the rest stay claimed until the lease ends; they are
    // attempted again then (their counted attempt costs nothing else).
    if (stopped_) break;
    attempt(delivery);
    ++attempted;
  }
  return attempted;
}

void WebhookDispatcher::attempt(const ClaimedWebhookDelivery& claimed) {
  const auto& delivery = claimed.delivery;
  WebhookAnswer answer;
  try {
    WebhookPost post;
    post.url = claimed.url;
    post.body = renderer_(claimed.notification);
    post.headers = {
        {"Content-Type", "application/json"},
        {"X-ChargeLock-Signature", webhook_signature(claimed.secret, post.body)},
        {"X-ChargeLock-Delivery", std::to_string(delivery.id)},
        {"X-ChargeLock-Event", claimed.notification.kind},
    };
    answer = transport_.post(post);
  } catch (const std::exception& error) {
    answer.status.reset();
    answer.error = error.what();
  }
  if (answer.status && *answer.status >= 200 && *answer.status < 300) {
    store_.mark_delivered(delivery.id, *answer.status);
    core_metrics().webhook_deliveries["delivered"].add();
    return;
  }
  const std::string error = answer.status ? "HTTP status " + std::to_string(*answer.status)
                                          : (answer.error.empty() ? "no answer" : answer.error);
  const Timestamp next = time_.now() + std::chrono::duration_cast<Clock::duration>(
                                           webhook_backoff(delivery.attempts, config_.retry));
  if (next - claimed.notification.created_at >= config_.retry.give_up_after) {
    log(LogLevel::Warn, "webhook_given_up",
        fmt::format("chargelock: webhooks: giving up delivery {} (owner {}) after {} attempts: {}",
                    delivery.id, delivery.owner_id, delivery.attempts, error));
    store_.mark_failed(delivery.id, answer.status, error);
    core_metrics().webhook_deliveries["failed"].add();
    return;
  }
  store_.mark_retry(delivery.id, answer.status, error, next);
  core_metrics().webhook_deliveries["retry"].add();
}

}  // namespace chargelock::core
