// Which kind of network an IP address belongs to, for owners' webhooks
// (SPEC §7): a URL an owner gives must not make the server reach its own
// loopback, the operator's private networks, link-local services (cloud
// metadata at 169.254.169.254) or the unspecified address (which Linux
// connects to the local host), unless the operator allows it.
//
// The one classifier: the API uses it when a webhook is registered (on every
// address the host name resolves to) and the webhook client again on the
// address it is about to connect to (DNS can change in between).
//
// Thread contract: pure functions, any thread.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace chargelock::core {

enum class AddressClass {
  Public,       // anything below does not apply
  Loopback,     // 127.0.0.0/8, ::1
  Private,      // 10/8, 172.16/12, 192.168/16 (RFC 1918), fc00::/7 (unique local)
  LinkLocal,    // 169.254/16, fe80::/10
  Unspecified,  // 0.0.0.0/8 ("this network"), ::
};

// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) IPv6
// addresses are judged by the IPv4 address they carry. `address` is the
// start of a sockaddr_in or sockaddr_in6 (as getaddrinfo gives them); any
// other family is Unspecified (never reachable).
AddressClass classify_address(const sockaddr& address);
// An address in text form ("10.0.0.1", "::ffff:127.0.0.1"); nothing when
// the text is not an IP address.
std::optional<AddressClass> classify_address(std::string_view text);

// Only public addresses may be reached unless the operator allows others.
inline bool is_public(AddressClass c) { return c == AddressClass::Public; }

// "loopback", "private", "link-local", "unspecified", "public".
const char* to_string(AddressClass c);

// The numeric text of `address` ("127.0.0.1", "::1").
std::string address_text(const sockaddr& address);

}  // namespace chargelock::core
