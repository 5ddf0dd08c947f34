// Owners' webhooks in core: URL checks, the HMAC signature (against an
// independent OpenSSL computation and RFC 4231), the retry schedule, the
// outbox rows written with notifications, and the dispatcher's claims,
// retries, give-up and leases on a real database with a fake transport.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "core/notification_service.h"
#include "core/stores/webhook_store.h"
#include "core/time_source.h"
#include "core/webhook_service.h"
#include "storage/database.h"
#include "test/support/eventually.h"
#include "test/support/test_database.h"
#include "test/support/webhook_receiver.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSecret = "a-secret-of-sufficient-length";

std::int64_t make_owner(TestDatabase& database, const std::string& name) {
  return std::stoll(
      database.scalar("INSERT INTO owners (name) VALUES ('" + name + "') RETURNING id"));
}

std::string render(const core::Notification& n) {
  return "{\"id\":" + std::to_string(n.id) + ",\"kind\":\"" + n.kind +
         "\",\"body\":" + n.body_json + "}";
}

// Answers with scripted statuses (then 200) and records every request.
class FakeTransport final : public core::WebhookTransport {
 public:
  std::vector<core::WebhookAnswer> script;
  std::vector<core::WebhookPost> posts;

  core::WebhookAnswer post(const core::WebhookPost& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    posts.push_back(request);
    if (script.empty()) return {200, ""};
    auto answer = script.front();
    script.erase(script.begin());
    return answer;
  }
  void cancel() override {}

 private:
  std::mutex mutex_;
};

std::string header(const core::WebhookPost& post, const std::string& name) {
  for (const auto& [key, value] : post.headers)
    if (key == name) return value;
  return {};
}

// An owner, Alice, with a webhook, and the services the dispatcher tests use.
struct OwnerWithWebhook {
  TestDatabase database;
  core::NotificationService notifications{database.db().notifications()};
  core::WebhookService webhooks{database.db().webhooks()};
  const std::int64_t owner = make_owner(database, "Alice");

  OwnerWithWebhook() { webhooks.set(owner, "http://127.0.0.1:9/hook", std::string(kSecret)); }
};

}  // namespace

TEST_CASE("webhook urls: http and https with host, port, path and query only") {
  const auto u = core::parse_webhook_url("https://Hooks.Example.com:8443/in/coming?x=1");
  CHECK(u.scheme == "https");
  CHECK(u.tls());
  CHECK(u.host == "hooks.example.com");
  CHECK(u.port == 8443);
  CHECK(u.target == "/in/coming?x=1");

  const auto plain = core::parse_webhook_url("http://127.0.0.1");
  CHECK(plain.port == 80);
  CHECK(plain.target == "/");
  CHECK(core::parse_webhook_url("https://h.example?q").target == "/?q");
  CHECK(core::parse_webhook_url("https://h.example").port == 443);
  const auto v6 = core::parse_webhook_url("http://[::1]:9000/hook");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9000);
  // Without a port: the colons of the address are no port separator.
  const auto v6_default = core::parse_webhook_url("https://[2001:db8::1]/hook");
  CHECK(v6_default.host == "2001:db8::1");
  CHECK(v6_default.port == 443);

  for (const char* bad :
       {"", "ftp://example.com/", "example.com/hook", "http://", "http:///path",
        "http://user:pw@example.com/", "http://example.com/#frag", "http://exa mple.com/",
        "http://example.com:0/", "http://example.com:65536/", "http://example.com:/",
        "http://example.com:80a/", "http://[::1/", "http://ex!ample.com/", "http://[::1]:/"}) {
    INFO(bad);
    CHECK_THROWS_AS(core::parse_webhook_url(bad), std::invalid_argument);
  }
  CHECK_THROWS_AS(core::parse_webhook_url("https://example.com/" + std::string(2100, 'a')),
                  std::invalid_argument);
}

TEST_CASE("webhook signature: hex HMAC-SHA256 of the body keyed by the secret") {
  // RFC 4231, test case 2.
  CHECK(core::webhook_signature("Jefe", "what do ya want for nothing?") ==
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Against OpenSSL's EVP_MAC, computed apart from the code under test.
  const std::string body = R"({"id":7,"kind":"low_battery","body":{"soc":12.5}})";
  CHECK(core::webhook_signature(kSecret, body) == expected_signature(kSecret, body));
  CHECK(core::webhook_signature(kSecret, "") == expected_signature(kSecret, ""));
  CHECK(core::webhook_signature("other-secret-0123456789", body) !=
        core::webhook_signature(kSecret, body));
}

TEST_CASE("webhook backoff: 1 s doubling, capped at 10 min") {
  CHECK(core::webhook_backoff(0) == 1s);
  CHECK(core::webhook_backoff(1) == 1s);
  CHECK(core::webhook_backoff(2) == 2s);
  CHECK(core::webhook_backoff(3) == 4s);
  CHECK(core::webhook_backoff(10) == 512s);
  CHECK(core::webhook_backoff(11) == 600s);
  CHECK(core::webhook_backoff(1000) == 600s);
  core::WebhookRetryPolicy fast;
  fast.first_delay = 10ms;
  fast.max_delay = 50ms;
  CHECK(core::webhook_backoff(3, fast) == 40ms);
  CHECK(core::webhook_backoff(4, fast) == 50ms);
}

TEST_CASE("webhook settings: set, read without the secret, replace, delete") {
  TestDatabase database;
  core::WebhookService webhooks(database.db().webhooks());
  const auto owner = make_owner(database, "Alice");

  CHECK_FALSE(webhooks.get(owner));
  const auto set = webhooks.set(owner, "https://hooks.example.com/a", std::string(kSecret));
  CHECK(set.webhook.url == "https://hooks.example.com/a");
  CHECK_FALSE(set.generated_secret);
  CHECK(database.scalar("SELECT secret FROM owner_webhooks WHERE owner_id = " +
                        std::to_string(owner)) == kSecret);

  // Without a secret, one is generated and shown once.
  const auto generated = webhooks.set(owner, "http://127.0.0.1:9/b", std::nullopt);
  REQUIRE(generated.generated_secret);
  CHECK(generated.generated_secret->rfind("whsec_", 0) == 0);
  CHECK(generated.generated_secret->size() == 6 + 64);
  CHECK(webhooks.get(owner)->url == "http://127.0.0.1:9/b");

  CHECK_THROWS_AS(webhooks.set(owner, "ftp://x/", std::string(kSecret)), std::invalid_argument);
  CHECK_THROWS_AS(webhooks.set(owner, "https://x/", std::string("short")), std::invalid_argument);
  CHECK_THROWS_AS(webhooks.set(owner, "https://x/", std::string("with space 0123456789")),
                  std::invalid_argument);
  CHECK_THROWS(webhooks.set(owner + 1000, "https://x/", std::string(kSecret)));

  CHECK(webhooks.remove(owner));
  CHECK_FALSE(webhooks.remove(owner));
  CHECK_FALSE(webhooks.get(owner));
}

TEST_CASE("webhook outbox: a row per notification of an owner with a webhook") {
  TestDatabase database;
  core::NotificationService notifications(database.db().notifications());
  core::WebhookService webhooks(database.db().webhooks());
  const auto alice = make_owner(database, "Alice");
  const auto bob = make_owner(database, "Bob");

  notifications.notify(alice, core::notification_kind::kLowBattery, R"({"soc":10})");
  webhooks.set(alice, "http://127.0.0.1:9/hook", std::string(kSecret));
  const auto second =
      notifications.notify(alice, core::notification_kind::kVehicleCaught, R"({"vin":"X"})");
  notifications.notify(bob, core::notification_kind::kLowBattery, R"({"soc":5})");

  const auto rows = webhooks.deliveries(alice);
  REQUIRE(rows.size() == 1);  // only notifications after the webhook was set
  CHECK(rows[0].notification_id == second.id);
  CHECK(rows[0].status == "pending");
  CHECK(rows[0].attempts == 0);
  CHECK(webhooks.deliveries(bob).empty());
  CHECK(database.scalar("SELECT count(*) FROM webhook_deliveries") == "1");

  // Deleting the webhook drops what was not delivered.
  CHECK(webhooks.remove(alice));
  CHECK(database.scalar("SELECT count(*) FROM webhook_deliveries") == "0");
}

TEST_CASE("webhook dispatcher: signed POST, retry with backoff, delivered, given up") {
  OwnerWithWebhook f;

  FakeTransport transport;
  core::WebhookDispatcherConfig config;
  config.retry.first_delay = 300ms;
  // The dispatcher's time moves only when the test says so: the backoff is
  // skipped, not slept out, and the retry times below are exact.
  core::ManualTimeSource time;
  core::WebhookDispatcher dispatcher(f.database.db().webhooks(), transport, render, config, time);

  const auto n =
      f.notifications.notify(f.owner, core::notification_kind::kLowBattery, R"({"soc":12.5})");
  time.set(core::Clock::now());  // the new delivery is due (stamped by the database before)
  transport.script = {{500, ""}};
  CHECK(dispatcher.run_once() == 1);
  REQUIRE(transport.posts.size() == 1);
  const auto& post = transport.posts[0];
  CHECK(post.url == "http://127.0.0.1:9/hook");
  CHECK(post.body == render(n));
  CHECK(header(post, "Content-Type") == "application/json");
  CHECK(header(post, "X-ChargeLock-Signature") == expected_signature(kSecret, post.body));
  CHECK(header(post, "X-ChargeLock-Event") == "low_battery");
  const auto delivery_id = f.webhooks.deliveries(f.owner).at(0).id;
  CHECK(header(post, "X-ChargeLock-Delivery") == std::to_string(delivery_id));

  auto row = f.webhooks.deliveries(f.owner).at(0);
  CHECK(row.status == "pending");
  CHECK(row.attempts == 1);
  CHECK(row.last_status == 500);
  CHECK(row.last_error == std::optional<std::string>("HTTP status 500"));
  CHECK(row.next_attempt_at > time.now() + 100ms);

  // Not due yet; then due after the backoff.
  CHECK(dispatcher.run_once() == 0);
  time.advance(400ms);
  transport.script = {{std::nullopt, "cannot connect: refused"}};
  CHECK(dispatcher.run_once() == 1);
  row = f.webhooks.deliveries(f.owner).at(0);
  CHECK(row.attempts == 2);
  CHECK_FALSE(row.last_status);
  CHECK(row.last_error == std::optional<std::string>("cannot connect: refused"));
  CHECK(row.next_attempt_at > time.now() + 400ms);  // 600 ms after the 2nd failure

  time.advance(700ms);
  CHECK(dispatcher.run_once() == 1);  // 200
  row = f.webhooks.deliveries(f.owner).at(0);
  CHECK(row.status == "delivered");
  CHECK(row.attempts == 3);
  CHECK(row.last_status == 200);
  CHECK(row.delivered_at);
  CHECK_FALSE(row.last_error);
  REQUIRE(transport.posts.size() == 3);
  for (const auto& p : transport.posts)  // the same delivery each time
    CHECK(header(p, "X-ChargeLock-Delivery") == std::to_string(delivery_id));
  CHECK(dispatcher.run_once() == 0);

  SECTION("given up once the notification is older than the limit; the error is kept") {
    core::WebhookDispatcherConfig impatient;
    impatient.retry.give_up_after = 0ms;
    core::WebhookDispatcher quitter(f.database.db().webhooks(), transport, render, impatient);
    f.notifications.notify(f.owner, core::notification_kind::kLockState, R"({"status":"armed"})");
    transport.script = {{503, ""}};
    CHECK(quitter.run_once() == 1);
    const auto failed = f.webhooks.deliveries(f.owner).at(0);
    CHECK(failed.status == "failed");
    CHECK(failed.last_status == 503);
    CHECK(failed.last_error == std::optional<std::string>("HTTP status 503"));
    CHECK(quitter.run_once() == 0);
  }
}

TEST_CASE("webhook dispatcher: the thread delivers, stop() ends it") {
  OwnerWithWebhook f;
  FakeTransport transport;
  core::WebhookDispatcherConfig config;
  config.poll_interval = 50ms;
  config.on_thread_exit = [&f] { f.database.db().release_thread_connection(); };
  core::WebhookDispatcher dispatcher(f.database.db().webhooks(), transport, render, config);
  dispatcher.start();
  f.notifications.notify(f.owner, core::notification_kind::kLowBattery, R"({"soc":1})");
  CHECK(eventually([&] { return f.webhooks.deliveries(f.owner).at(0).status == "delivered"; }));
  dispatcher.stop();
  dispatcher.stop();  // idempotent
}

TEST_CASE("webhook dispatcher: a notification committed in this process wakes it, no poll due") {
  OwnerWithWebhook f;
  FakeTransport transport;
  core::WebhookDispatcherConfig config;
  config.poll_interval = std::chrono::hours(1);  // only a wake() can deliver in time
  config.on_thread_exit = [&f] { f.database.db().release_thread_connection(); };
  core::WebhookDispatcher dispatcher(f.database.db().webhooks(), transport, render, config);
  // As app/api_node.cpp wires it: every owner's notification wakes the dispatcher.
  const auto wake = f.notifications.subscribe_all(
      [&dispatcher](const core::Notification&) { dispatcher.wake(); });
  dispatcher.start();
  const auto delivered = [&](std::size_t n) {
    return eventually([&] {
      const auto rows = f.webhooks.deliveries(f.owner);
      return rows.size() == n && std::all_of(rows.begin(), rows.end(), [](const auto& row) {
               return row.status == "delivered";
             });
    });
  };
  f.notifications.notify(f.owner, core::notification_kind::kLowBattery, R"({"soc":9})");
  INFO("the first notification is delivered (by the start's pass or the wake)");
  REQUIRE(delivered(1));
  // The dispatcher now sleeps for its hour-long poll: the wake alone brings this one.
  f.notifications.notify(f.owner, core::notification_kind::kLowBattery, R"({"soc":8})");
  INFO("the second notification is delivered although no poll is due for an hour");
  CHECK(delivered(2));
  dispatcher.stop();
}

TEST_CASE("webhook claims: concurrent claimers never share a row, a lapsed lease is due again") {
  OwnerWithWebhook f;
  constexpr int kCount = 60;
  for (int i = 0; i < kCount; ++i)
    f.notifications.notify(f.owner, core::notification_kind::kLockState, R"({"i":1})");

  core::WebhookStore& store = f.database.db().webhooks();
  std::mutex mutex;
  std::multiset<std::int64_t> claimed;
  std::vector<std::thread> claimers;
  for (int t = 0; t < 4; ++t)
    claimers.emplace_back([&] {
      for (;;) {
        const auto batch = store.claim_due(3, core::Clock::now(), std::chrono::minutes(1));
        if (batch.empty()) break;
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& c : batch) {
          claimed.insert(c.delivery.id);
          CHECK(c.delivery.attempts == 1);
          CHECK(c.secret == kSecret);
        }
      }
      f.database.db().release_thread_connection();
    });
  for (auto& t : claimers) t.join();
  CHECK(claimed.size() == kCount);
  CHECK(std::set<std::int64_t>(claimed.begin(), claimed.end()).size() == kCount);

  // A claimer that dies leaves its rows claimed until the lease ends.
  f.notifications.notify(f.owner, core::notification_kind::kLowBattery, R"({"soc":3})");
  const auto claimed_at = core::Clock::now();
  const auto first = store.claim_due(10, claimed_at, 200ms);
  REQUIRE(first.size() == 1);
  CHECK(store.claim_due(10, claimed_at, 200ms).empty());
  // 300 ms later by the claimers' clock: the lease has lapsed.
  const auto again = store.claim_due(10, claimed_at + 300ms, 200ms);
  REQUIRE(again.size() == 1);
  CHECK(again[0].delivery.id == first[0].delivery.id);
  CHECK(again[0].delivery.attempts == 2);
}
