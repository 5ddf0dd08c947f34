#include <catch2/catch.hpp>

#include "ocpp/websockets/upgrade_parsing.h"

using chargelock::ocpp::websockets::charge_point_id_from_path;
using chargelock::ocpp::websockets::offers_subprotocol;
using chargelock::ocpp::websockets::parse_basic_authorization;

TEST_CASE("the charge point id is the single path segment after /ocpp/", "[websockets]") {
  CHECK(charge_point_id_from_path("/ocpp/CP-1") == std::optional<std::string>("CP-1"));
  CHECK(charge_point_id_from_path("/ocpp/CP 1") == std::optional<std::string>("CP 1"));
  CHECK_FALSE(charge_point_id_from_path("/ocpp/"));
  CHECK_FALSE(charge_point_id_from_path("/ocpp"));
  CHECK_FALSE(charge_point_id_from_path("/"));
  CHECK_FALSE(charge_point_id_from_path(""));
  CHECK_FALSE(charge_point_id_from_path("/OCPP/CP-1"));
  CHECK_FALSE(charge_point_id_from_path("/ocpp/CP-1/"));
  CHECK_FALSE(charge_point_id_from_path("/ocpp/a/b"));
  CHECK_FALSE(charge_point_id_from_path("/x/ocpp/CP-1"));
}

TEST_CASE("subprotocol offers are matched token by token", "[websockets]") {
  CHECK(offers_subprotocol("ocpp1.6", "ocpp1.6"));
  CHECK(offers_subprotocol("ocpp2.0.1, ocpp1.6", "ocpp1.6"));
  CHECK(offers_subprotocol("ocpp1.6,ocpp2.0.1", "ocpp1.6"));
  CHECK(offers_subprotocol(" ocpp1.6 ", "ocpp1.6"));
  CHECK_FALSE(offers_subprotocol("", "ocpp1.6"));
  CHECK_FALSE(offers_subprotocol("ocpp1.5", "ocpp1.6"));
  CHECK_FALSE(offers_subprotocol("ocpp1.6j", "ocpp1.6"));
  CHECK_FALSE(offers_subprotocol("OCPP1.6", "ocpp1.6"));
  CHECK_FALSE(offers_subprotocol("xocpp1.6", "ocpp1.6"));
}

TEST_CASE("HTTP Basic credentials are decoded strictly", "[websockets]") {
  // "CP-1:secret"
  auto credentials = parse_basic_authorization("Basic Q1AtMTpzZWNyZXQ=");
  REQUIRE(credentials);
  CHECK(credentials->user == "CP-1");
  CHECK(credentials->password == "secret");

  // scheme is case-insensitive; the password keeps its colons
  credentials = parse_basic_authorization("basic dTpwOnE6cg==");  // "u:p:q:r"
  REQUIRE(credentials);
  CHECK(credentials->user == "u");
  CHECK(credentials->password == "p:q:r");

  // empty password, no padding needed
  credentials = parse_basic_authorization("Basic YWJjOg==");  // "abc:"
  REQUIRE(credentials);
  CHECK(credentials->user == "abc");
  CHECK(credentials->password.empty());

  // binary bytes survive
  credentials = parse_basic_authorization("Basic dToA/w==");  // "u:\0\xff"
  REQUIRE(credentials);
  CHECK(credentials->password == std::string("\0\xff", 2));

  CHECK_FALSE(parse_basic_authorization(""));
  CHECK_FALSE(parse_basic_authorization("Bearer abc"));
  CHECK_FALSE(parse_basic_authorization("Basic"));
  CHECK_FALSE(parse_basic_authorization("Basic !!!!"));
  CHECK_FALSE(parse_basic_authorization("Basic Q1AtMTpzZWNyZXQ"));    // missing padding
  CHECK_FALSE(parse_basic_authorization("Basic Q1A=tMTpzZWNyZXQ="));  // '=' inside
  CHECK_FALSE(parse_basic_authorization("Basic bm9jb2xvbg=="));       // "nocolon"
}
