#include "base/url.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace chargelock::base {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void bad_url(const std::string& why) { throw std::invalid_argument("url: " + why); }

}  // namespace

std::string Url::authority() const {
  std::string text = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls() ? 443 : 80)) text += ":" + std::to_string(port);
  return text;
}

Url parse_url(std::string_view url) {
  if (url.empty()) bad_url("must not be empty");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      bad_url("spaces, control and non-ASCII characters must be percent-encoded");
  }
  Url parsed;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    bad_url("must start with a scheme (http://, ws://, ...)");
  parsed.scheme = lower(url.substr(0, scheme_end));
  if (parsed.scheme != "http" && parsed.scheme != "https" && parsed.scheme != "ws" &&
      parsed.scheme != "wss")
    bad_url("unknown scheme " + parsed.scheme + "://");
  if (url.find('#') != std::string_view::npos) bad_url("must not have a fragment (#...)");

  const std::string_view rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    bad_url("must not carry user information (user@host)");

  std::string_view host;
  std::string_view port_text;
  bool port_given = false;  // a ':' after the host
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_url("unexpected characters after the IPv6 address");
      port_given = true;
      port_text = after.substr(1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      bad_url("invalid IPv6 address");
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_given = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) bad_url("has no host");
    if (!std::all_of(host.begin(), host.end(), host_char)) bad_url("invalid host name");
  }
  parsed.host = lower(host);

  parsed.port = parsed.tls() ? 443 : 80;
  // (The colons inside "[::1]" are no port separator.)
  if (port_given && port_text.empty()) bad_url("empty port");
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), is_digit))
      bad_url("invalid port");
    parsed.port = std::stoi(std::string(port_text));
    if (parsed.port < 1 || parsed.port > 65535) bad_url("port outside 1..65535");
  }

  parsed.target = std::string(target);
  if (parsed.target.empty() || parsed.target.front() != '/') parsed.target.insert(0, "/");
  return parsed;
}

}  // namespace chargelock::base
