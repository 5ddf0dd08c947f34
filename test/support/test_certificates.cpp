#include "test/support/test_certificates.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace chargelock::test {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using File = std::unique_ptr<FILE, decltype(&std::fclose)>;

enum class Kind { Ca, Server, Client };

[[noreturn]] void fail(const std::string& what) {
  char detail[256] = "";
  ERR_error_string_n(ERR_get_error(), detail, sizeof(detail));
  ERR_clear_error();
  throw std::runtime_error("test certificates: " + what + ": " + detail);
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

Key generate_key() {
  Key key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  check(key != nullptr, "EC key generation");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(extension != nullptr, "certificate extension");
  const bool added = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  check(added, "adding extension");
}

// A certificate for `key` named `common_name`, signed by issuer/issuer_key
// (self-signed when issuer is null).
Cert make_certificate(const std::string& common_name, EVP_PKEY* key, X509* issuer,
                      EVP_PKEY* issuer_key, Kind kind) {
  Cert cert(X509_new(), &X509_free);
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "version");

  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof(serial_bytes)) == 1, "serial");
  serial_bytes[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr), &BN_free);
  check(serial && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())),
        "serial number");

  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600);
  check(X509_set_pubkey(cert.get(), key) == 1, "public key");

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("ChargeLock tests"), -1,
                                   -1, 0) == 1,
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "subject CN");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");

  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  switch (kind) {
    case Kind::Ca:
      add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
      add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Kind::Server:
      add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid");
      add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
      add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
      add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
      break;
    case Kind::Client:
      add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid");
      add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
      add_extension(cert.get(), signer, NID_ext_key_usage, "clientAuth");
      break;
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
        "signing");
  return cert;
}

File open_for_writing(const std::string& path) {
  File file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) throw std::runtime_error("test certificates: cannot write " + path);
  return file;
}

CertificateFiles write_pair(const std::string& stem, X509* cert, EVP_PKEY* key) {
  CertificateFiles files{stem + ".crt", stem + ".key"};
  {
    File out = open_for_writing(files.cert);
    check(PEM_write_X509(out.get(), cert) == 1, "writing certificate");
  }
  {
    File out = open_for_writing(files.key);
    check(PEM_write_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "writing key");
  }
  return files;
}

Cert read_certificate(const std::string& path) {
  File in(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!in) throw std::runtime_error("test certificates: cannot read " + path);
  Cert cert(PEM_read_X509(in.get(), nullptr, nullptr, nullptr), &X509_free);
  check(cert != nullptr, "reading certificate");
  return cert;
}

Key read_key(const std::string& path) {
  File in(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!in) throw std::runtime_error("test certificates: cannot read " + path);
  Key key(PEM_read_PrivateKey(in.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  check(key != nullptr, "reading key");
  return key;
}

CertificateFiles make_ca(const std::string& stem, const std::string& common_name) {
  Key key = generate_key();
  Cert cert = make_certificate(common_name, key.get(), nullptr, nullptr, Kind::Ca);
  return write_pair(stem, cert.get(), key.get());
}

CertificateFiles make_signed(const std::string& stem, const std::string& common_name,
                             const CertificateFiles& ca, Kind kind) {
  Cert ca_cert = read_certificate(ca.cert);
  Key ca_key = read_key(ca.key);
  Key key = generate_key();
  Cert cert = make_certificate(common_name, key.get(), ca_cert.get(), ca_key.get(), kind);
  return write_pair(stem, cert.get(), key.get());
}

}  // namespace

TestCertificates::TestCertificates() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "chargelock-certs-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("test certificates: cannot create a temporary folder");
  }
  directory_ = pattern;
  try {
    ca_ = make_ca(directory_ + "/ca", "ChargeLock Test CA");
    untrusted_ca_ = make_ca(directory_ + "/untrusted-ca", "Untrusted Test CA");
    server_ = make_signed(directory_ + "/server", "localhost", ca_, Kind::Server);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    throw;
  }
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

const CertificateFiles& TestCertificates::client(const std::string& common_name) {
  auto it = clients_.find(common_name);
  if (it == clients_.end()) {
    const std::string stem = directory_ + "/client-" + std::to_string(next_file_++);
    it = clients_.emplace(common_name, make_signed(stem, common_name, ca_, Kind::Client)).first;
  }
  return it->second;
}

const CertificateFiles& TestCertificates::untrusted_client(const std::string& common_name) {
  auto it = untrusted_clients_.find(common_name);
  if (it == untrusted_clients_.end()) {
    const std::string stem = directory_ + "/untrusted-client-" + std::to_string(next_file_++);
    it = untrusted_clients_
             .emplace(common_name, make_signed(stem, common_name, untrusted_ca_, Kind::Client))
             .first;
  }
  return it->second;
}

}  // namespace chargelock::test
