#include "simulators/pilesim/salted_hash.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "base/ids.h"

namespace chargelock::pilesim {

std::string salted_sha256_hex(std::string_view salt, std::string_view compare_form) {
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // Two updates rather than a concatenated copy: the salt and the
  // identifier are hashed as one text either way.
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), salt.data(), salt.size()) != 1 ||
      EVP_DigestUpdate(context.get(), compare_form.data(), compare_form.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &size) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return base::hex(digest, size);
}

}  // namespace chargelock::pilesim
