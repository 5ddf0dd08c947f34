#include "test/support/tls_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "base/ids.h"

namespace chargelock::test {

namespace {

std::string openssl_error(const char* what) {
  std::string text = what;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += ": ";
    text += buffer;
  }
  return text;
}

std::string fingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest, &size) != 1)
    return {};
  return base::hex(digest, size);
}

TlsProbeResult failed(std::string error) {
  TlsProbeResult result;
  result.error = std::move(error);
  return result;
}

}  // namespace

std::string certificate_fingerprint(const std::string& pem_file) {
  std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(pem_file.c_str(), "rb"),
                                                     &std::fclose);
  if (!file) return {};
  std::unique_ptr<X509, decltype(&X509_free)> certificate(
      PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
  return fingerprint(certificate.get());
}

TlsProbeResult tls_handshake(int port, int min_version, int max_version,
                             const std::string& tls12_ciphers) {
  TlsProbeResult result;
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        &SSL_CTX_free);
  if (!ctx) return failed(openssl_error("SSL_CTX_new"));
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (SSL_CTX_set_min_proto_version(ctx.get(), min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), max_version) != 1 ||
      SSL_CTX_set_cipher_list(ctx.get(), tls12_ciphers.c_str()) != 1)
    return failed(openssl_error("client settings"));

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return failed("socket failed");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    return failed("connect failed");

  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  if (!ssl) return failed(openssl_error("SSL_new"));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  if (SSL_connect(ssl.get()) != 1) return failed(openssl_error("handshake refused"));
  result.connected = true;
  result.protocol = SSL_get_version(ssl.get());
  result.cipher = SSL_get_cipher_name(ssl.get());
  std::unique_ptr<X509, decltype(&X509_free)> peer(SSL_get1_peer_certificate(ssl.get()),
                                                   &X509_free);
  result.peer_fingerprint = fingerprint(peer.get());
  SSL_shutdown(ssl.get());
  return result;
}

}  // namespace chargelock::test
