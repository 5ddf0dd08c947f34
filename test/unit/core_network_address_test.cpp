// The webhook address classifier (core/network_address.h) at the edges of
// every range SPEC §7 names, in IPv4, IPv6 and IPv4-in-IPv6 forms.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <string>

#include "core/network_address.h"

using namespace chargelock::core;

namespace {

AddressClass of(const std::string& text) {
  INFO(text);
  const auto c = classify_address(text);
  REQUIRE(c.has_value());
  return *c;
}

}  // namespace

TEST_CASE("address classes: IPv4 ranges and their edges") {
  CHECK(of("127.0.0.1") == AddressClass::Loopback);
  CHECK(of("127.255.255.254") == AddressClass::Loopback);
  CHECK(of("126.255.255.255") == AddressClass::Public);
  CHECK(of("128.0.0.1") == AddressClass::Public);
  CHECK(of("10.0.0.0") == AddressClass::Private);
  CHECK(of("10.255.255.255") == AddressClass::Private);
  CHECK(of("11.0.0.1") == AddressClass::Public);
  CHECK(of("172.15.255.255") == AddressClass::Public);
  CHECK(of("172.16.0.0") == AddressClass::Private);
  CHECK(of("172.31.255.255") == AddressClass::Private);
  CHECK(of("172.32.0.0") == AddressClass::Public);
  CHECK(of("192.168.0.1") == AddressClass::Private);
  CHECK(of("192.169.0.1") == AddressClass::Public);
  CHECK(of("169.254.169.254") == AddressClass::LinkLocal);  // cloud metadata
  CHECK(of("169.253.255.255") == AddressClass::Public);
  CHECK(of("169.255.0.0") == AddressClass::Public);
  CHECK(of("0.0.0.0") == AddressClass::Unspecified);
  CHECK(of("0.1.2.3") == AddressClass::Unspecified);
  CHECK(of("8.8.8.8") == AddressClass::Public);
  CHECK(of("1.0.0.0") == AddressClass::Public);
}

TEST_CASE("address classes: IPv6 ranges and their edges") {
  CHECK(of("::1") == AddressClass::Loopback);
  CHECK(of("::") == AddressClass::Unspecified);
  CHECK(of("::2") == AddressClass::Unspecified);  // ::0.0.0.2, IPv4-compatible 0/8
  CHECK(of("fc00::") == AddressClass::Private);
  CHECK(of("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == AddressClass::Private);
  CHECK(of("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == AddressClass::Public);
  CHECK(of("fe00::1") == AddressClass::Public);
  CHECK(of("fe80::1") == AddressClass::LinkLocal);
  CHECK(of("febf:ffff::1") == AddressClass::LinkLocal);
  CHECK(of("fec0::1") == AddressClass::Public);
  CHECK(of("2001:db8::1") == AddressClass::Public);
  CHECK(of("2a00:1450:4001:82b::200e") == AddressClass::Public);
}

TEST_CASE("address classes: IPv4 inside IPv6 is judged by the IPv4 address") {
  CHECK(of("::ffff:127.0.0.1") == AddressClass::Loopback);
  CHECK(of("::ffff:7f00:1") == AddressClass::Loopback);  // the same, in hex
  CHECK(of("::ffff:10.1.2.3") == AddressClass::Private);
  CHECK(of("::ffff:192.168.1.1") == AddressClass::Private);
  CHECK(of("::ffff:169.254.169.254") == AddressClass::LinkLocal);
  CHECK(of("::ffff:0.0.0.0") == AddressClass::Unspecified);
  CHECK(of("::ffff:8.8.8.8") == AddressClass::Public);
  CHECK(of("::127.0.0.1") == AddressClass::Loopback);  // IPv4-compatible (deprecated)
  CHECK(of("::10.0.0.1") == AddressClass::Private);
  // Not mapped: ffff in another place is an ordinary public address.
  CHECK(of("::fffe:127.0.0.1") == AddressClass::Public);
}

TEST_CASE("address classes: socket addresses as getaddrinfo gives them, names are not addresses") {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, "192.168.7.7", &v4.sin_addr) == 1);
  CHECK(classify_address(reinterpret_cast<const sockaddr&>(v4)) == AddressClass::Private);
  CHECK(address_text(reinterpret_cast<const sockaddr&>(v4)) == "192.168.7.7");
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr) == 1);
  CHECK(classify_address(reinterpret_cast<const sockaddr&>(v6)) == AddressClass::Loopback);
  sockaddr other{};
  other.sa_family = AF_UNIX;
  CHECK(classify_address(other) == AddressClass::Unspecified);

  CHECK_FALSE(classify_address(std::string("localhost")).has_value());
  CHECK_FALSE(classify_address(std::string("127.0.0.1.example.com")).has_value());
  CHECK_FALSE(classify_address(std::string("")).has_value());
  CHECK(std::string(to_string(AddressClass::LinkLocal)) == "link-local");
  CHECK(is_public(AddressClass::Public));
  CHECK_FALSE(is_public(AddressClass::Loopback));
}
