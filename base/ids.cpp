#include "base/ids.h"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace chargelock::base {

namespace {

void random_bytes(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) throw std::runtime_error("no random bytes");
}

}  // namespace

std::string hex(const unsigned char* data, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0x0f]);
  }
  return out;
}

std::string random_hex(std::size_t size) {
  std::vector<unsigned char> bytes(size);
  random_bytes(bytes.data(), size);
  return hex(bytes.data(), size);
}

std::string uuid_v4(const unsigned char (&random)[16]) {
  unsigned char b[16];
  for (int i = 0; i < 16; ++i) b[i] = random[i];
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return hex(b, 4) + '-' + hex(b + 4, 2) + '-' + hex(b + 6, 2) + '-' + hex(b + 8, 2) + '-' +
         hex(b + 10, 6);
}

std::string random_uuid_v4() {
  unsigned char b[16];
  random_bytes(b, sizeof b);
  return uuid_v4(b);
}

}  // namespace chargelock::base
