// base/url.h: the one URL parser (webhooks, the vehicle feeder, pilesim's
// central system URL, the tests' client).
#include <catch2/catch.hpp>
#include <stdexcept>

#include "base/url.h"

using namespace chargelock::base;

TEST_CASE("url: scheme, host, port and target, with the schemes' default ports") {
  const Url u = parse_url("HTTPS://Hooks.Example.com:8443/in/coming?x=1");
  CHECK(u.scheme == "https");
  CHECK(u.tls());
  CHECK(u.host == "hooks.example.com");
  CHECK(u.port == 8443);
  CHECK(u.target == "/in/coming?x=1");
  CHECK(u.authority() == "hooks.example.com:8443");

  CHECK(parse_url("http://h").port == 80);
  CHECK(parse_url("https://h").port == 443);
  CHECK(parse_url("ws://h").port == 80);
  CHECK_FALSE(parse_url("ws://h").tls());
  CHECK(parse_url("wss://h/ocpp").port == 443);
  CHECK(parse_url("wss://h/ocpp").tls());
  CHECK(parse_url("http://h").target == "/");
  CHECK(parse_url("http://h?q=1").target == "/?q=1");
  CHECK(parse_url("http://h:80/").authority() == "h");  // the default port is not repeated
  CHECK(parse_url("https://h:80/").authority() == "h:80");
}

TEST_CASE("url: IPv6 addresses in brackets") {
  const Url v6 = parse_url("http://[::1]:9000/hook");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9000);
  CHECK(v6.authority() == "[::1]:9000");
  const Url v6_default = parse_url("wss://[2001:DB8::1]/ocpp");
  CHECK(v6_default.host == "2001:db8::1");
  CHECK(v6_default.port == 443);
  CHECK(v6_default.authority() == "[2001:db8::1]");
}

TEST_CASE("url: anything else is refused with a reason") {
  for (const char* bad : {"",
                          "ftp://example.com/",
                          "example.com/hook",
                          "http://",
                          "http:///path",
                          "http://user:pw@example.com/",
                          "http://example.com/#frag",
                          "http://exa mple.com/",
                          "http://example.com:0/",
                          "http://example.com:65536/",
                          "http://example.com:/",
                          "http://example.com:80a/",
                          "http://example.com:123456/",
                          "http://[::1/",
                          "http://[::1]x/",
                          "http://[]/",
                          "http://[fe80::1%25eth0]/",
                          "http://ex!ample.com/",
                          "http://[::1]:/",
                          "http://caf\xc3\xa9.example/",
                          "http://example.com/\x01"}) {
    INFO(bad);
    try {
      parse_url(bad);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).rfind("url: ", 0) == 0);
    }
  }
}
