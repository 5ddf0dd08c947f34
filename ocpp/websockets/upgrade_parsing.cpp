#include "ocpp/websockets/upgrade_parsing.h"

#include <openssl/evp.h>

#include <cctype>
#include <vector>

namespace chargelock::ocpp::websockets {
namespace {

constexpr std::string_view kPathPrefix = "/ocpp/";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Strict base64 (RFC 4648 §4, padded). EVP_DecodeBlock rejects characters
// outside the alphabet but counts padding as zero bytes, so the padding is
// checked and removed here.
std::optional<std::string> decode_base64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (in.back() == '=') ++padding;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++padding;
  if (in.substr(0, in.size() - padding).find('=') != std::string_view::npos) {
    return std::nullopt;
  }
  std::vector<unsigned char> out(in.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0 || static_cast<std::size_t>(n) < padding) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(out.data()),
                     static_cast<std::size_t>(n) - padding);
}

}  // namespace

std::optional<std::string> charge_point_id_from_path(std::string_view decoded_path) {
  if (decoded_path.substr(0, kPathPrefix.size()) != kPathPrefix) return std::nullopt;
  const std::string_view id = decoded_path.substr(kPathPrefix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

bool offers_subprotocol(std::string_view header_value, std::string_view wanted) {
  while (!header_value.empty()) {
    const std::size_t comma = header_value.find(',');
    const std::string_view token = trim(header_value.substr(0, comma));
    if (token == wanted) return true;
    if (comma == std::string_view::npos) break;
    header_value.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header_value) {
  header_value = trim(header_value);
  const std::size_t space = header_value.find(' ');
  if (space == std::string_view::npos || !iequals(header_value.substr(0, space), "Basic")) {
    return std::nullopt;
  }
  const auto decoded = decode_base64(trim(header_value.substr(space + 1)));
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace chargelock::ocpp::websockets
