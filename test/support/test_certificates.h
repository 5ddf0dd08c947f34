// Throw-away PKI for TLS tests, generated with the OpenSSL C API into a
// private temporary folder that is removed again on destruction.
//
//   CA ──┬─ server certificate for "localhost" and 127.0.0.1 (SAN)
//        └─ client certificates with a chosen CN
//   untrusted CA ── client certificates the server must not trust
//
// All files are PEM; keys are unencrypted EC P-256.
#pragma once

#include <map>
#include <string>

namespace chargelock::test {

struct CertificateFiles {
  std::string cert;
  std::string key;
};

class TestCertificates {
 public:
  TestCertificates();  // throws std::runtime_error when OpenSSL fails
  ~TestCertificates();
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  const std::string& directory() const { return directory_; }
  const std::string& ca_file() const { return ca_.cert; }
  const std::string& untrusted_ca_file() const { return untrusted_ca_.cert; }
  const CertificateFiles& server() const { return server_; }

  // A client certificate signed by the CA; made once per CN.
  const CertificateFiles& client(const std::string& common_name);
  // A client certificate with this CN signed by the untrusted CA.
  const CertificateFiles& untrusted_client(const std::string& common_name);

 private:
  std::string directory_;
  CertificateFiles ca_;
  CertificateFiles untrusted_ca_;
  CertificateFiles server_;
  std::map<std::string, CertificateFiles> clients_;
  std::map<std::string, CertificateFiles> untrusted_clients_;
  int next_file_ = 0;
};

}  // namespace chargelock::test
