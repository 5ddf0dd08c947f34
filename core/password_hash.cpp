#include "core/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace chargelock::core {

namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr int kSaltBytes = 16;
constexpr int kHashBytes = 32;
constexpr int kMaxIterations = 10'000'000;

std::string base64(const unsigned char* data, int size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, size);
  out.resize(n);
  return out;
}

bool unbase64(std::string_view text, std::vector<unsigned char>& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  out.assign(3 * text.size() / 4, 0);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return true;
}

bool derive(std::string_view password, const unsigned char* salt, int salt_size, int iterations,
            unsigned char* out, int out_size) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt, salt_size,
                           iterations, EVP_sha256(), out_size, out) == 1;
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  if (iterations < 1 || iterations > kMaxIterations)
    throw std::invalid_argument("password hash iterations out of range");
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, kSaltBytes) != 1) throw std::runtime_error("RAND_bytes failed");
  unsigned char hash[kHashBytes];
  if (!derive(password, salt, kSaltBytes, iterations, hash, kHashBytes))
    throw std::runtime_error("PBKDF2 failed");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64(salt, kSaltBytes) +
         "$" + base64(hash, kHashBytes);
}

bool verify_password(std::string_view password, std::string_view encoded) {
  // Split into exactly four '$'-separated parts.
  std::string_view parts[4];
  std::size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t end = i < 3 ? encoded.find('$', start) : encoded.size();
    if (end == std::string_view::npos) return false;
    parts[i] = encoded.substr(start, end - start);
    start = end + 1;
  }
  if (parts[0] != kScheme || parts[3].find('$') != std::string_view::npos) return false;
  if (parts[1].empty() || parts[1].size() > 8) return false;
  int iterations = 0;
  for (char c : parts[1]) {
    if (c < '0' || c > '9') return false;
    iterations = iterations * 10 + (c - '0');
  }
  if (iterations < 1 || iterations > kMaxIterations) return false;
  std::vector<unsigned char> salt, expected;
  if (!unbase64(parts[2], salt) || !unbase64(parts[3], expected) || expected.empty() ||
      expected.size() > 64)
    return false;
  std::vector<unsigned char> actual(expected.size());
  if (!derive(password, salt.data(), static_cast<int>(salt.size()), iterations, actual.data(),
              static_cast<int>(actual.size())))
    return false;
  return CRYPTO_memcmp(actual.data(), expected.data(), expected.size()) == 0;
}

}  // namespace chargelock::core
