#include "core/network_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace chargelock::core {

namespace {

AddressClass classify_ipv4(std::uint32_t a) {  // host byte order
  const auto first = a >> 24;
  if (first == 0) return AddressClass::Unspecified;
  if (first == 127) return AddressClass::Loopback;
  if (first == 10) return AddressClass::Private;
  if ((a & 0xFFF00000u) == 0xAC100000u) return AddressClass::Private;    // 172.16.0.0/12
  if ((a & 0xFFFF0000u) == 0xC0A80000u) return AddressClass::Private;    // 192.168.0.0/16
  if ((a & 0xFFFF0000u) == 0xA9FE0000u) return AddressClass::LinkLocal;  // 169.254.0.0/16
  return AddressClass::Public;
}

AddressClass classify_ipv6(const unsigned char (&b)[16]) {
  bool first_ten_zero = true;
  for (int i = 0; i < 10; ++i) first_ten_zero = first_ten_zero && b[i] == 0;
  const bool mapped = first_ten_zero && b[10] == 0xFF && b[11] == 0xFF;
  const bool compatible = first_ten_zero && b[10] == 0 && b[11] == 0;
  const std::uint32_t tail = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                             (std::uint32_t{b[14]} << 8) | std::uint32_t{b[15]};
  if (compatible) {
    if (tail == 0) return AddressClass::Unspecified;  // ::
    if (tail == 1) return AddressClass::Loopback;     // ::1
  }
  // The kernel routes ::ffff:127.0.0.1 to 127.0.0.1: judge the IPv4 inside.
  if (mapped || compatible) return classify_ipv4(tail);
  if ((b[0] & 0xFE) == 0xFC) return AddressClass::Private;                    // fc00::/7
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return AddressClass::LinkLocal;  // fe80::/10
  return AddressClass::Public;
}

}  // namespace

AddressClass classify_address(const sockaddr& address) {
  if (address.sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, &address, sizeof v4);
    return classify_ipv4(ntohl(v4.sin_addr.s_addr));
  }
  if (address.sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, &address, sizeof v6);
    unsigned char bytes[16];
    std::memcpy(bytes, &v6.sin6_addr, sizeof bytes);
    return classify_ipv6(bytes);
  }
  // Not an internet address at all (e.g. a UNIX socket): never public.
  return AddressClass::Unspecified;
}

std::optional<AddressClass> classify_address(std::string_view text) {
  const std::string copy(text);  // inet_pton needs a terminated string
  in_addr v4{};
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) return classify_ipv4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    unsigned char bytes[16];
    std::memcpy(bytes, &v6, sizeof bytes);
    return classify_ipv6(bytes);
  }
  return std::nullopt;
}

const char* to_string(AddressClass c) {
  switch (c) {
    case AddressClass::Public:
      return "public";
    case AddressClass::Loopback:
      return "loopback";
    case AddressClass::Private:
      return "private";
    case AddressClass::LinkLocal:
      return "link-local";
    case AddressClass::Unspecified:
      return "unspecified";
  }
  return "unspecified";
}

std::string address_text(const sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, &address, sizeof v4);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
  } else if (address.sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, &address, sizeof v6);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace chargelock::core
