#include "ocpp/websockets/tls_files.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace chargelock::ocpp::websockets {
namespace {

using File = std::unique_ptr<FILE, decltype(&std::fclose)>;

File open_file(const std::string& path, const char* what) {
  File file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw std::runtime_error(std::string("cannot read TLS ") + what + " file " + path);
  return file;
}

[[noreturn]] void fail(const std::string& message) {
  ERR_clear_error();
  throw std::runtime_error(message);
}

}  // namespace

void check_tls_files(const std::string& cert_file, const std::string& key_file,
                     const std::string& ca_file) {
  if (cert_file.empty() || key_file.empty()) {
    fail("a TLS listener needs both a certificate and a key file");
  }
  const File cert_in = open_file(cert_file, "certificate");
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_X509(cert_in.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) fail("no PEM certificate in " + cert_file);

  const File key_in = open_file(key_file, "key");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_PrivateKey(key_in.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) fail("no PEM private key in " + key_file + " (or it is encrypted)");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    fail("the key in " + key_file + " does not match the certificate in " + cert_file);
  }

  if (!ca_file.empty()) {
    const File ca_in = open_file(ca_file, "CA");
    std::unique_ptr<X509, decltype(&X509_free)> ca(
        PEM_read_X509(ca_in.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!ca) fail("no PEM certificate in CA file " + ca_file);
  }
  ERR_clear_error();
}

}  // namespace chargelock::ocpp::websockets
