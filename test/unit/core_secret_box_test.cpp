// SecretBox: AES-256-GCM sealing of secrets kept at rest (queued
// AuthorizationKey values), bound to a context (the charge point id).
#include <catch2/catch.hpp>

#include "core/secret_box.h"

using chargelock::core::SecretBox;

namespace {
const char* const kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
}

TEST_CASE("a sealed secret opens with the same key and context only") {
  const SecretBox box(*SecretBox::parse_key(kHexKey));
  REQUIRE(box.encrypts());
  const std::string sealed = box.seal("my-authorization-key", "CP-1");
  CHECK_THAT(sealed, Catch::StartsWith("aes256gcm:"));
  CHECK_THAT(sealed, !Catch::Contains("my-authorization-key"));
  CHECK(box.open(sealed, "CP-1") == std::optional<std::string>("my-authorization-key"));
  // A fresh nonce each time: the same secret never seals the same twice.
  CHECK(box.seal("my-authorization-key", "CP-1") != sealed);
  // Moved to another pile's row: refused.
  CHECK_FALSE(box.open(sealed, "CP-2"));
  // Another key: refused.
  auto other_key = *SecretBox::parse_key(kHexKey);
  other_key[0] ^= 1;
  CHECK_FALSE(SecretBox(other_key).open(sealed, "CP-1"));
  // Tampered with: refused.
  std::string tampered = sealed;
  tampered[tampered.size() - 6] = tampered[tampered.size() - 6] == 'A' ? 'B' : 'A';
  CHECK_FALSE(box.open(tampered, "CP-1"));
  // A box without the key cannot open it.
  CHECK_FALSE(SecretBox().open(sealed, "CP-1"));
  CHECK(box.open(box.seal("", "CP-1"), "CP-1") == std::optional<std::string>(""));
}

TEST_CASE("without a key a secret is kept marked as clear text") {
  const SecretBox box;
  CHECK_FALSE(box.encrypts());
  CHECK(box.seal("k", "CP-1") == "plain:k");
  CHECK(box.open("plain:k", "CP-1") == std::optional<std::string>("k"));
  CHECK_FALSE(box.open("garbage", "CP-1"));
}

TEST_CASE("keys are 64 hex digits or the base64 of 32 bytes") {
  CHECK(SecretBox::parse_key(std::string(kHexKey) + "\n"));
  CHECK(SecretBox::parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") ==
        SecretBox::parse_key(kHexKey));
  CHECK_FALSE(SecretBox::parse_key(""));
  CHECK_FALSE(SecretBox::parse_key("00112233"));
  CHECK_FALSE(SecretBox::parse_key(std::string(63, 'a') + "g"));
  CHECK_FALSE(SecretBox::parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="));  // 28 bytes
}
