#include "core/secret_box.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace chargelock::core {

namespace {

constexpr std::string_view kEncrypted = "aes256gcm:";
constexpr std::string_view kPlain = "plain:";
constexpr int kNonceBytes = 12;  // the size GCM is specified for (NIST SP 800-38D)
constexpr int kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext new_context() {
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return ctx;
}

std::string base64(const std::vector<unsigned char>& data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::vector<unsigned char>> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(3 * text.size() / 4);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trimmed(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<SecretBox::Key> SecretBox::parse_key(std::string_view text) {
  text = trimmed(text);
  Key key{};
  if (text.size() == 2 * kKeyBytes) {
    for (std::size_t i = 0; i < kKeyBytes; ++i) {
      const int high = hex_digit(text[2 * i]);
      const int low = hex_digit(text[2 * i + 1]);
      if (high < 0 || low < 0) return std::nullopt;
      key[i] = static_cast<unsigned char>(high * 16 + low);
    }
    return key;
  }
  auto bytes = unbase64(text);
  if (!bytes || bytes->size() != kKeyBytes) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::string SecretBox::seal(std::string_view secret, std::string_view context) const {
  if (!key_) return std::string(kPlain) + std::string(secret);
  std::vector<unsigned char> out(kNonceBytes + secret.size() + kTagBytes);
  unsigned char* nonce = out.data();
  unsigned char* ciphertext = nonce + kNonceBytes;
  unsigned char* tag = ciphertext + secret.size();
  if (RAND_bytes(nonce, kNonceBytes) != 1) throw std::runtime_error("RAND_bytes failed");
  auto ctx = new_context();
  int length = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_->data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ciphertext, &length,
                        reinterpret_cast<const unsigned char*>(secret.data()),
                        static_cast<int>(secret.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ciphertext + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return std::string(kEncrypted) + base64(out);
}

std::optional<std::string> SecretBox::open(std::string_view sealed,
                                           std::string_view context) const {
  if (sealed.substr(0, kPlain.size()) == kPlain) return std::string(sealed.substr(kPlain.size()));
  if (!key_ || sealed.substr(0, kEncrypted.size()) != kEncrypted) return std::nullopt;
  auto data = unbase64(sealed.substr(kEncrypted.size()));
  if (!data || data->size() < kNonceBytes + kTagBytes) return std::nullopt;
  const std::size_t size = data->size() - kNonceBytes - kTagBytes;
  unsigned char* nonce = data->data();
  unsigned char* ciphertext = nonce + kNonceBytes;
  unsigned char* tag = ciphertext + size;
  std::string plain(size, '\0');
  auto ctx = new_context();
  int length = 0;
  int final_length = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_->data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &length,
                        ciphertext, static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + length,
                          &final_length) != 1)
    return std::nullopt;  // wrong key, wrong context or tampered with
  return plain;
}

std::optional<SecretBox::Key> SecretBox::derive_key(std::string_view purpose) const {
  if (!key_) return std::nullopt;
  Key derived{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key_->data(), static_cast<int>(key_->size()),
           reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(), derived.data(),
           &size) == nullptr ||
      size != derived.size())
    throw std::runtime_error("HMAC-SHA256 failed");
  return derived;
}

}  // namespace chargelock::core
