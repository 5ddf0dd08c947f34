// Encryption at rest for secrets the central system must keep for a while
// (a queued ChangeConfiguration's AuthorizationKey, until it is delivered):
// AES-256-GCM with a 32-byte key the operator gives (CHARGELOCK_SECRET_KEY
// or a key file, see docs/security.md), a fresh 96-bit nonce per value and
// a context (the charge point id) bound in as associated data, so a sealed
// value copied onto another pile's row does not open.
//
// Why AES-256-GCM: authenticated (a tampered or wrongly keyed value is
// refused, never sent as garbage), in every OpenSSL the project already
// links, and the standard choice for short secrets at rest.
//
// Without a key, seal() keeps the value in clear, marked as such ("plain:"):
// the row still holds it only until delivery (SPEC §7's minimum), and the
// program warns at start. Every process that queues or delivers commands
// (API and OCPP nodes) must be given the same key.
//
// Threading: immutable after construction; seal() and open() are safe from
// any number of threads.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace chargelock::core {

class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  using Key = std::array<unsigned char, kKeyBytes>;

  SecretBox() = default;  // no key: values are kept in clear
  explicit SecretBox(const Key& key) : key_(key) {}

  // 64 hexadecimal digits or the base64 of 32 bytes (surrounding white
  // space ignored); nothing for anything else.
  static std::optional<Key> parse_key(std::string_view text);

  bool encrypts() const { return key_.has_value(); }

  // A key for another purpose (HMAC-SHA256 of `purpose` under this box's
  // key), so the sealing key itself serves one purpose only; nothing
  // without a key.
  std::optional<Key> derive_key(std::string_view purpose) const;

  // "aes256gcm:<base64(nonce | ciphertext | tag)>", or "plain:<secret>"
  // without a key. Throws std::runtime_error when OpenSSL fails.
  std::string seal(std::string_view secret, std::string_view context) const;
  // The secret, or nothing when `sealed` is malformed, was sealed with
  // another key or context, or is encrypted and this box has no key.
  std::optional<std::string> open(std::string_view sealed, std::string_view context) const;

 private:
  std::optional<Key> key_;
};

}  // namespace chargelock::core
