// Bytes written as they are on a fresh plain connection to 127.0.0.1, and
// the one answer read back: for the tests that send what no HTTP client
// would (garbage, a TLS hello on a plain port, chunked bodies). Everything
// else goes through HttpTestClient.
#pragma once

#include <chrono>
#include <string>

#include "test/support/http_test_client.h"

namespace chargelock::test {

// Status 0 when the server closed without answering or `timeout` passed.
HttpResult raw_http_exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout);

}  // namespace chargelock::test
