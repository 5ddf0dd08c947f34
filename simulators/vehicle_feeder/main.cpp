// vehicle-feeder: posts simulated vehicles' state of charge and position to
// ChargeLock's telematics endpoint. See `vehicle-feeder --help` and
// docs/vehicle-feeder.md.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>

#include "base/http_client.h"
#include "base/time.h"
#include "base/url.h"
#include "simulators/vehicle_feeder/feeder.h"

using namespace chargelock::feeder;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

struct Totals {
  long posted = 0;
  long accepted = 0;
  long prompts = 0;
  std::map<int, long> refused;  // HTTP status → count (0: no answer)
  std::string last_error;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    bool help = false;
    options = parse_options(argc, argv, help);
    if (help) {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "vehicle-feeder: %s\n", error.what());
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  std::unique_ptr<chargelock::base::HttpClient> client;
  std::string endpoint;  // the URL reports are POSTed to
  try {
    const chargelock::base::Url url = chargelock::base::parse_url(options.url);
    if (url.scheme != "http" && url.scheme != "https")
      throw std::invalid_argument("the URL must start with http:// or https://");
    if (url.tls() && options.ca_file.empty())
      throw std::invalid_argument("an https URL needs --ca FILE");
    std::string path = url.target;
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.size() < 7 || path.compare(path.size() - 7, 7, "/api/v1") != 0) path += "/api/v1";
    endpoint = url.scheme + "://" + url.authority() + path + "/telematics/status";
    chargelock::base::HttpClientOptions http;
    http.ca_file = options.ca_file;
    http.timeout = std::chrono::seconds(10);
    http.user_agent = "vehicle-feeder";
    client = std::make_unique<chargelock::base::HttpClient>(std::move(http));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "vehicle-feeder: %s\n", error.what());
    return 2;
  }

  Fleet fleet(options);
  Totals totals;
  const bool progress = !options.quiet && ::isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(options.interval_s));
  auto next = start;
  auto last_step = start;
  bool first = true;
  while (!g_stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (!first) fleet.advance(std::chrono::duration<double>(now - last_step).count());
    first = false;
    last_step = now;
    const std::string timestamp = chargelock::base::format_rfc3339(chargelock::base::Clock::now());
    for (const Vehicle& vehicle : fleet.vehicles()) {
      if (g_stop.load()) break;
      chargelock::base::HttpRequest request;
      request.method = "POST";
      request.url = endpoint;
      request.headers = {{"Content-Type", "application/json"},
                         {"Authorization", "Bearer " + options.token}};
      request.body = report_json(vehicle, timestamp);
      const chargelock::base::HttpResponse reply = client->send(request);
      const int status = reply.status.value_or(0);
      ++totals.posted;
      if (status == 202) {
        ++totals.accepted;
        if (reply.body.find("\"lowBatteryPrompt\":true") != std::string::npos) {
          ++totals.prompts;
          if (!options.quiet)
            std::fprintf(stderr,
                         "vehicle-feeder: %s below the threshold (%.1f %%): owner prompted\n",
                         vehicle.vin.c_str(), vehicle.soc);
        }
      } else {
        ++totals.refused[status];
        totals.last_error = status == 0 ? reply.error : fmt::format("{} {}", status, reply.body);
        if (status == 401 || status == 403) {
          std::fprintf(stderr, "vehicle-feeder: the token was refused (%s)\n",
                       totals.last_error.c_str());
          return 1;
        }
      }
    }
    if (progress)
      std::fprintf(stderr, "\rvehicle-feeder: %ld posted, %ld accepted, %ld refused, %ld prompts ",
                   totals.posted, totals.accepted, totals.posted - totals.accepted, totals.prompts);
    if (options.duration_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
            options.duration_s)
      break;
    next += interval;
    while (!g_stop.load() && std::chrono::steady_clock::now() < next) {
      const auto left = next - std::chrono::steady_clock::now();
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
    }
    if (options.duration_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
            options.duration_s)
      break;
  }
  if (progress) std::fputc('\n', stderr);

  const long refused = totals.posted - totals.accepted;
  if (options.json) {
    std::string statuses;
    for (const auto& [status, count] : totals.refused)
      statuses += fmt::format("{}\"{}\":{}", statuses.empty() ? "" : ",", status, count);
    std::printf(
        "{\"vehicles\":%d,\"posted\":%ld,\"accepted\":%ld,\"refused\":%ld,\"prompts\":%ld,"
        "\"refusedByStatus\":{%s}}\n",
        options.count, totals.posted, totals.accepted, refused, totals.prompts, statuses.c_str());
  } else if (!options.quiet) {
    std::printf(
        "vehicle-feeder: %d vehicle(s), %ld report(s) posted, %ld accepted, %ld refused, "
        "%ld low-battery prompt(s)\n",
        options.count, totals.posted, totals.accepted, refused, totals.prompts);
  }
  if (refused > 0 && !totals.last_error.empty())
    std::fprintf(stderr, "vehicle-feeder: last refusal: %s\n", totals.last_error.c_str());
  return totals.accepted > 0 || totals.posted == 0 ? 0 : 1;
}
