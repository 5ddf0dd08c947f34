// The one URL parser: "scheme://host[:port][/path][?query]" for the schemes
// ChargeLock speaks (http, https, ws, wss). Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace chargelock::base {

struct Url {
  std::string scheme;  // lower case: "http", "https", "ws" or "wss"
  std::string host;    // lower case; a name or an address (IPv6 without brackets)
  int port = 0;        // the scheme's default (80, 443) when the URL names none
  std::string target;  // path and query as written, at least "/"

  // https or wss.
  bool tls() const { return scheme == "https" || scheme == "wss"; }
  // What a Host header says: the host (IPv6 in brackets), ":port" when not
  // the scheme's default.
  std::string authority() const;
};

// Throws std::invalid_argument with a text starting "url: " that names the
// problem: another scheme, no host, user information (user@host), a
// fragment (#...), a port outside 1..65535, spaces, control or non-ASCII
// characters (they must be percent-encoded), a malformed IPv6 address.
Url parse_url(std::string_view text);

}  // namespace chargelock::base
