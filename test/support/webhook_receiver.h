// A tiny loopback HTTP receiver for webhook tests: a thread with a listening
// socket on 127.0.0.1 that records each request and answers it with the next
// scripted status (200 once the script is used up). It can start bound but
// not listening, so that connections are refused until listen() (the
// receiver is "down" on a port known in advance). With a certificate it
// speaks HTTPS.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "test/support/test_certificates.h"

struct ssl_ctx_st;

namespace chargelock::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int answered = 0;  // the status sent back

  std::string header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class WebhookReceiver {
 public:
  explicit WebhookReceiver(bool listening = true, const CertificateFiles* tls = nullptr);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  // http(s)://127.0.0.1:PORT/path
  std::string url(const std::string& path = "/hook") const;

  void listen();  // starts accepting (once)
  // The statuses of the next answers, in order.
  void script(std::vector<int> statuses);

  // Waits until at least `count` requests were received.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout);
  std::vector<ReceivedRequest> requests();

 private:
  void run();
  void serve(int fd);

  ssl_ctx_st* tls_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  base::Mutex mutex_;
  base::CondVar changed_{&mutex_};
  std::deque<int> script_ GUARDED_BY(mutex_);
  std::vector<ReceivedRequest> requests_ GUARDED_BY(mutex_);
};

// "sha256=" + hex HMAC-SHA256 computed with OpenSSL's EVP_MAC API,
// independently of the code under test.
std::string expected_signature(const std::string& secret, const std::string& body);

}  // namespace chargelock::test
