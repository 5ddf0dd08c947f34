#include "api/webhook_destination.h"

#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "api/api_error.h"
#include "core/network_address.h"

namespace chargelock::api {

namespace {

[[noreturn]] void refuse(const std::string& host, const std::string& address,
                         core::AddressClass kind) {
  const std::string where = host == address ? address : host + " resolves to " + address;
  throw bad_request("url: " + where + ", a " + core::to_string(kind) +
                    " address; webhooks must reach public addresses (the operator may allow "
                    "others with --webhook-allow-private)");
}

}  // namespace

void check_webhook_destination(const core::WebhookUrl& url) {
  if (const auto kind = core::classify_address(url.host)) {
    if (!core::is_public(*kind)) refuse(url.host, url.host, *kind);
    return;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(url.host.c_str(), nullptr, &hints, &found) != 0) return;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  // Every address: a client may pick any of them.
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const core::AddressClass kind = core::classify_address(*a->ai_addr);
    if (!core::is_public(kind)) refuse(url.host, core::address_text(*a->ai_addr), kind);
  }
}

}  // namespace chargelock::api
