// The operator console (/) and the owner page (/owner) in a real browser:
// Debian's chromium, headless, driven by puppeteer-core (test/browser,
// pinned in its package-lock.json) against a running `chargelock serve` and
// pilesim piles. The steps are in test/browser/console.mjs; screenshots land
// in browser-artifacts/ of the build's test folder.
//
// Skipped (with a warning saying so) only when chromium is not installed;
// scripts/setup.sh installs it, so CI runs it.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "test/support/api_fixture.h"
#include "test/support/child_command.h"
#include "test/support/webhook_receiver.h"

using namespace chargelock;
using namespace chargelock::test;

namespace {

std::string chromium() {
  if (const char* configured = std::getenv("CHARGELOCK_CHROMIUM")) return configured;
  // The binary itself; /usr/bin/chromium is Debian's wrapper script around it.
  for (const char* candidate : {"/usr/lib/chromium/chromium", "/usr/bin/chromium"})
    if (::access(candidate, X_OK) == 0) return candidate;
  return {};
}

}  // namespace

TEST_CASE(
    "browser: an operator sees a pile come online and commands it, an owner locks, sees the catch "
    "live and releases") {
  const std::string browser = chromium();
  if (browser.empty()) {
    WARN(
        "SKIPPED: chromium is not installed (apt-get install chromium, or set "
        "CHARGELOCK_CHROMIUM); the console's browser test did not run");
    return;
  }
  const std::string dir = std::string(CHARGELOCK_SOURCE_DIR) + "/test/browser";
  require_npm_package(dir, "puppeteer-core", "npm ci");

  // Map tiles come from a server of their own (another origin): the pages
  // must be allowed to load them, and do.
  WebhookReceiver tiles;
  ApiFixture api("serve",
                 {"--map-tile-url",
                  fmt::format("http://127.0.0.1:{}/tiles/{{z}}/{{x}}/{{y}}.png", tiles.port())});
  auto admin = api.admin();
  for (int n = 1; n <= 3; ++n)
    REQUIRE(admin
                ->post("/api/v1/chargepoints",
                       fmt::format(R"({{"id":"BR-{}","password":"browser-pile-secret-{}",)"
                                   R"("location":{{"lat":48.1{},"lon":11.5{}}}}})",
                                   n, n, n, n))
                .status == 201);
  const auto owner = api.new_owner("Alice");
  const std::string vin = "WVWZZZ1JZXW000042";
  api.verified_vehicle(owner, vin, {"BR-TAG-STOLEN"});

  const std::string artifacts = (std::filesystem::current_path() / "browser-artifacts").string();
  auto [code, output] =
      run_node(dir + "/console.mjs",
               {{"CL_BASE_URL", fmt::format("http://127.0.0.1:{}", api.port())},
                {"CL_OCPP_URL", fmt::format("ws://127.0.0.1:{}/ocpp", api.server->port("ocpp ws"))},
                {"CL_ADMIN_TOKEN", kAdminToken},
                {"CL_OWNER_TOKEN", owner.token},
                {"CL_OWNER_ID", std::to_string(owner.id)},
                {"CL_VIN", vin},
                {"CL_ID_TAG", "BR-TAG-STOLEN"},
                {"CL_PILESIM", PILESIM_BINARY},
                {"CL_CHROMIUM", browser},
                {"CL_SCREENSHOTS", artifacts}});
  INFO(output);
  INFO(api.server->output());
  CHECK(code == 0);
  CHECK(output.find("every step passed") != std::string::npos);
  REQUIRE(tiles.wait_for(1, std::chrono::seconds(5)));
  CHECK(tiles.requests().front().target.rfind("/tiles/", 0) == 0);
}
