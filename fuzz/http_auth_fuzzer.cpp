// Credentials and upgrade pieces from the network: HTTP Basic (piles,
// security profiles 1 and 2), Bearer (REST API), the OCPP path and the
// offered subprotocols.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/bearer_token.h"
#include "ocpp/websockets/upgrade_parsing.h"

using namespace chargelock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ocpp::websockets::parse_basic_authorization(text);
  (void)ocpp::websockets::charge_point_id_from_path(text);
  (void)ocpp::websockets::offers_subprotocol(text, "ocpp1.6");
  (void)api::bearer_token(text);
  return 0;
}
