#include "test/support/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

#include "base/ids.h"
#include "test/support/http_head.h"

namespace chargelock::test {

WebhookReceiver::WebhookReceiver(bool listening, const CertificateFiles* tls) {
  if (tls != nullptr) {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (tls_ == nullptr || SSL_CTX_use_certificate_chain_file(tls_, tls->cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_, tls->key.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("cannot load the receiver's certificate");
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  const int on = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("bind failed");
  socklen_t size = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  if (listening) listen();
}

WebhookReceiver::~WebhookReceiver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

std::string WebhookReceiver::url(const std::string& path) const {
  return std::string(tls_ != nullptr ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
         path;
}

void WebhookReceiver::listen() {
  if (thread_.joinable()) return;
  if (::listen(listen_fd_, 16) != 0) throw std::runtime_error("listen failed");
  thread_ = std::thread([this] { run(); });
}

void WebhookReceiver::script(std::vector<int> statuses) {
  base::MutexLock lock(mutex_);
  script_.assign(statuses.begin(), statuses.end());
}

bool WebhookReceiver::wait_for(std::size_t count, std::chrono::milliseconds timeout) {
  base::MutexLock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (requests_.size() < count)
    if (!changed_.wait_until(deadline)) return requests_.size() >= count;
  return true;
}

std::vector<ReceivedRequest> WebhookReceiver::requests() {
  base::MutexLock lock(mutex_);
  return requests_;
}

void WebhookReceiver::run() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void WebhookReceiver::serve(int fd) {
  timeval five{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &five, sizeof five);
  SSL* ssl = nullptr;
  struct Free {
    SSL*& ssl;
    ~Free() {
      if (ssl != nullptr) SSL_free(ssl);
    }
  } free_ssl{ssl};
  if (tls_ != nullptr) {
    ssl = SSL_new(tls_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) return;  // e.g. the client did not trust the certificate
  }
  const auto read_some = [&](char* out, std::size_t size) -> long {
    if (ssl != nullptr) return SSL_read(ssl, out, static_cast<int>(size));
    return static_cast<long>(::recv(fd, out, size, 0));
  };
  std::string data;
  char buffer[4096];
  std::size_t head_end = std::string::npos;
  std::size_t length = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string lower = data.substr(0, head_end);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto at = lower.find("\r\ncontent-length:");
        if (at != std::string::npos) length = std::stoul(lower.substr(at + 17));
      }
    }
    if (head_end != std::string::npos && data.size() >= head_end + 4 + length) break;
    if (std::chrono::steady_clock::now() > deadline) return;
    const long n = read_some(buffer, sizeof buffer);
    if (n <= 0) return;
    data.append(buffer, static_cast<std::size_t>(n));
  }

  ReceivedRequest request;
  const std::string head = data.substr(0, head_end);
  std::size_t line_end = head.find("\r\n");
  const std::string first = head.substr(0, line_end);
  const auto space1 = first.find(' ');
  const auto space2 = first.find(' ', space1 + 1);
  request.method = first.substr(0, space1);
  request.target = first.substr(space1 + 1, space2 - space1 - 1);
  request.headers = header_fields(head);
  request.body = data.substr(head_end + 4, length);

  int status = 200;
  {
    base::MutexLock lock(mutex_);
    if (!script_.empty()) {
      status = script_.front();
      script_.pop_front();
    }
  }
  request.answered = status;
  const std::string answer = "HTTP/1.1 " + std::to_string(status) +
                             " Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  if (ssl != nullptr) {
    SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
    SSL_shutdown(ssl);
  } else {
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  }
  {
    base::MutexLock lock(mutex_);
    requests_.push_back(std::move(request));
  }
  changed_.signal_all();
}

std::string expected_signature(const std::string& secret, const std::string& body) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* context = EVP_MAC_CTX_new(mac);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t size = 0;
  const bool ok = EVP_MAC_init(context, reinterpret_cast<const unsigned char*>(secret.data()),
                               secret.size(), params) == 1 &&
                  EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(body.data()),
                                 body.size()) == 1 &&
                  EVP_MAC_final(context, out, &size, sizeof out) == 1;
  EVP_MAC_CTX_free(context);
  EVP_MAC_free(mac);
  if (!ok) throw std::runtime_error("EVP_MAC failed");
  return "sha256=" + base::hex(out, size);
}

}  // namespace chargelock::test
