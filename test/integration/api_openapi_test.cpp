// The OpenAPI document served at /api/v1/openapi.json describes exactly the
// routes the server has.
#include <catch2/catch.hpp>
#include <set>

#include "api/router.h"
#include "test/support/api_fixture.h"

using namespace chargelock;
using namespace chargelock::test;

namespace {
std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}
}  // namespace

TEST_CASE("api: every route is in the OpenAPI document, and every documented operation exists") {
  ApiFixture api;
  auto anonymous = api.client();  // the document is public
  auto served = anonymous->get("/api/v1/openapi.json");
  REQUIRE(served.status == 200);
  CHECK(served.header("content-type").find("application/json") == 0);
  auto doc = served.json();
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["openapi"].GetString()).rfind("3.", 0) == 0);
  REQUIRE(doc["paths"].IsObject());
  const auto& paths = doc["paths"];

  std::set<std::pair<std::string, std::string>> routed;
  for (const api::Route& route : api::routes()) {
    const std::string method = lower(route.method);
    routed.emplace(route.pattern, method);
    INFO(route.method << " " << route.pattern);
    REQUIRE(paths.HasMember(route.pattern));
    REQUIRE(paths[route.pattern].HasMember(method.c_str()));
    const auto& operation = paths[route.pattern][method.c_str()];
    CHECK(operation.HasMember("responses"));
    CHECK(operation.HasMember("summary"));
  }

  static const std::set<std::string> kMethods = {"get", "post", "put", "patch", "delete"};
  for (auto path = paths.MemberBegin(); path != paths.MemberEnd(); ++path) {
    for (auto op = path->value.MemberBegin(); op != path->value.MemberEnd(); ++op) {
      const std::string method = op->name.GetString();
      if (!kMethods.count(method)) continue;  // "parameters" shared by the path
      INFO(method << " " << path->name.GetString());
      CHECK(routed.count({path->name.GetString(), method}) == 1);
    }
  }
}
