// The REST API against hostile or unusual HTTP (SPEC §7), over real sockets
// to the real chargelock program: requests without a body length (RFC 9112
// §6.3), body limits, deep or malformed JSON, percent-decoded paths that no
// id can contain, and a client dribbling its headers while others are served.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "test/support/api_fixture.h"
#include "test/support/eventually.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVin = "1HGCM82633A004352";

// One plain TCP connection to the API, written and read by hand: what an
// HttpTestClient never sends (no Content-Length, bytes one at a time).
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Whether the server closes the connection within `wait` (reads what it
  // may send first).
  bool closed_by_server(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const Read read = read_some(deadline);
      if (read == Read::Closed) return true;
      if (read == Read::TimedOut) return false;
    }
  }
  // One response (status line, headers, Content-Length body); status 0 when
  // the server closed or said nothing within `wait`.
  HttpResult read_response(std::chrono::milliseconds wait = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    HttpResult result;
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return result;
    const std::string head = buffer_.substr(0, head_end);
    std::size_t length = 0;
    std::size_t line_start = head.find("\r\n");
    if (head.size() < 12) return result;
    const int status = std::stoi(head.substr(9, 3));
    while (line_start != std::string::npos) {
      const std::size_t next = head.find("\r\n", line_start + 2);
      const std::string line = head.substr(
          line_start + 2, next == std::string::npos ? std::string::npos : next - line_start - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        if (name == "content-length") length = std::stoul(value);
        result.headers[name] = value;
      }
      line_start = next;
    }
    while (buffer_.size() < head_end + 4 + length)
      if (!fill(deadline)) return result;
    result.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    result.status = status;
    return result;
  }

 private:
  enum class Read { Data, Closed, TimedOut };
  // One read before `deadline`, appended to buffer_.
  Read read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Read::TimedOut;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return Read::TimedOut;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return Read::Closed;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return Read::Data;
  }
  bool fill(std::chrono::steady_clock::time_point deadline) {
    return read_some(deadline) == Read::Data;
  }

  int fd_ = -1;
  std::string buffer_;
};

std::string nested(int levels) {
  return std::string(static_cast<std::size_t>(levels), '[') +
         std::string(static_cast<std::size_t>(levels), ']');
}

bool is_json_error(const HttpResult& result) {
  auto json = result.json();
  return json.IsObject() && json.HasMember("error") && json["error"].IsString();
}

}  // namespace

TEST_CASE("api http: a POST without Content-Length has an empty body: a lock of default scope") {
  ApiFixture api;
  const auto alice = api.new_owner("Alice");
  const std::string owner = alice.token;
  REQUIRE(api.admin()->post("/api/v1/chargepoints", R"({"id":"CP-1"})").status == 201);
  api.verified_vehicle(alice, kVin, {});

  RawConnection raw(api.port());
  REQUIRE(raw.connected());
  // RFC 9112 §6.3: neither Content-Length nor Transfer-Encoding → no body.
  REQUIRE(
      raw.send(fmt::format("POST /api/v1/vehicles/{}/lock HTTP/1.1\r\nHost: x\r\n"
                           "Authorization: Bearer {}\r\n\r\n",
                           kVin, owner)));
  auto lock = raw.read_response();
  INFO(lock.status << " " << lock.body);
  REQUIRE(lock.status == 202);
  auto body = lock.json();
  REQUIRE(body.IsObject());
  CHECK(body["scope"]["radiusKm"].IsNull());  // every pile
  CHECK(body["piles"]["pending"].GetInt() == 1);
  // lws 4.1 would read what follows as a body: the server closes after the
  // answer, and says so, rather than lose the client's next request.
  CHECK(lock.header("connection") == "close");
  auto read = api.client(owner)->get("/api/v1/locks/" + string_member(lock, "lockId"));
  CHECK(read.status == 200);

  // A body-less POST elsewhere is judged on its (empty) body, not refused 411.
  RawConnection other(api.port());
  REQUIRE(other.send(fmt::format(
      "POST /api/v1/owners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", kAdminToken)));
  auto empty = other.read_response();
  CHECK(empty.status == 400);
  CHECK(is_json_error(empty));

  // A chunked body is not read (lws 4.1 cannot): 411 asks for a length.
  RawConnection chunked(api.port());
  REQUIRE(
      chunked.send("POST /api/v1/owners HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n0\r\n\r\n"));
  auto refused = chunked.read_response();
  CHECK(refused.status == 411);
  CHECK(is_json_error(refused));
}

TEST_CASE(
    "api http: bodies up to 1 MiB are read, larger ones get 413, and the limit is a setting") {
  ApiFixture api;
  auto admin = api.admin();
  const auto padded = [](std::size_t bytes) {
    return R"({"idTag":"T","padding":")" + std::string(bytes, 'x') + "\"}";
  };
  // Under the default limit the body is read and judged (an unknown field).
  auto read = admin->post("/api/v1/idtags", padded(900 * 1024));
  CHECK(read.status == 400);
  CHECK(error_of(read).find("padding") != std::string::npos);
  auto too_big = admin->post("/api/v1/idtags", padded(1024 * 1024));
  CHECK(too_big.status == 413);
  CHECK(is_json_error(too_big));
  CHECK(admin->get("/api/v1/idtags").status == 200);

  ApiFixture small("api", {"--api-max-body", "2048"});
  auto limited = small.admin()->post("/api/v1/idtags", padded(3000));
  CHECK(limited.status == 413);
  CHECK(error_of(limited).find("2048") != std::string::npos);
  CHECK(small.admin()->post("/api/v1/idtags", R"({"idTag":"SMALL"})").status == 201);
}

TEST_CASE("api http: malformed, too deep or wrongly typed JSON is a 400, never a crash") {
  ApiFixture api;
  auto admin = api.admin();
  // 64 levels are parsed (the object is one): the error is about the field.
  auto at_limit = admin->post("/api/v1/idtags", R"({"idTag":"T","x":)" + nested(63) + "}");
  CHECK(at_limit.status == 400);
  CHECK(error_of(at_limit).find("unknown field x") != std::string::npos);
  auto over = admin->post("/api/v1/idtags", R"({"idTag":"T","x":)" + nested(64) + "}");
  CHECK(over.status == 400);
  CHECK(error_of(over).find("deeper than 64") != std::string::npos);
  // Half a megabyte of '[' would overflow a recursive parser's stack.
  auto hostile = admin->post("/api/v1/idtags", std::string(512 * 1024, '['));
  CHECK(hostile.status == 400);
  CHECK(error_of(hostile).find("deeper than 64") != std::string::npos);

  CHECK(admin->post("/api/v1/idtags", R"({"idTag":)").status == 400);
  auto typed = admin->post("/api/v1/idtags", R"({"idTag":42})");
  CHECK(typed.status == 400);
  CHECK(error_of(typed).find("idTag") != std::string::npos);
  CHECK(api.server->running());
}

TEST_CASE("api http: hostile bodies on every writing route never get a 500") {
  ApiFixture api;
  const std::string owner = api.new_owner_token("Alice");
  const std::string telematics = api.new_token("telematics", "cloud");
  const std::vector<std::string> bodies = {
      "",
      "null",
      "[]",
      "\"x\"",
      "1e400",
      "{}",
      "{\"\":null}",
      "{\"a\":1e400}",
      R"({"id":{},"idTag":[],"vin":1,"name":null})",
      "\xff\xfe",
      R"({"scope":{"radiusKm":-1e308}})",
      R"({"action":"Reset","payload":[]})",
      R"({"url":"http://[::1","secret":7})",
      R"({"soc":"x","lat":1e999})",
  };
  struct Target {
    const char* method;
    const char* path;
    const std::string* token;
  };
  const std::string admin = kAdminToken;
  const std::vector<Target> targets = {
      {"POST", "/api/v1/chargepoints", &admin},
      {"PUT", "/api/v1/chargepoints/CP-X", &admin},
      {"POST", "/api/v1/chargepoints/CP-X/commands", &admin},
      {"POST", "/api/v1/idtags", &admin},
      {"PUT", "/api/v1/idtags/T", &admin},
      {"POST", "/api/v1/owners", &admin},
      {"POST", "/api/v1/tokens", &admin},
      {"POST", "/api/v1/vehicles", &owner},
      {"POST", "/api/v1/vehicles/1HGCM82633A004352/lock", &owner},
      {"PUT", "/api/v1/webhook", &owner},
      {"POST", "/api/v1/telematics/status", &telematics},
  };
  for (const Target& target : targets) {
    auto client = api.client(*target.token);
    for (const std::string& body : bodies) {
      auto result = client->request(target.method, target.path, body);
      INFO(target.method << " " << target.path << " " << body << " -> " << result.status << " "
                         << result.body);
      CHECK(result.status >= 400);
      CHECK(result.status < 500);
      CHECK(is_json_error(result));
    }
  }
  CHECK(api.server->running());
}

TEST_CASE("api http: path parameters that decode to NUL or invalid UTF-8 get a JSON 400") {
  ApiFixture api;
  auto admin = api.admin();
  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-1"})").status == 201);
  // Invalid UTF-8 (a lone 0xff, a broken sequence, an encoded surrogate), a
  // NUL followed by more: 400.
  for (const char* path :
       {"/api/v1/chargepoints/%ff", "/api/v1/idtags/%C3%28", "/api/v1/chargepoints/%ED%A0%80",
        "/api/v1/chargepoints/%00CP-1", "/api/v1/locks/%00abc",
        "/api/v1/commands?chargePointId=%ff", "/api/v1/commands?chargePointId=a%01b"}) {
    auto result = admin->get(path);
    INFO(path << " -> " << result.status << " " << result.body);
    CHECK(result.status == 400);
    CHECK(is_json_error(result));
  }
  // lws ends the path at a decoded NUL or line feed: what is left ends in
  // '/', which names no resource (it used to read as the whole list).
  for (const char* path : {"/api/v1/chargepoints/%00", "/api/v1/locks/%00",
                           "/api/v1/chargepoints/%0A", "/api/v1/chargepoints/"}) {
    auto result = admin->get(path);
    INFO(path << " -> " << result.status << " " << result.body);
    CHECK(result.status == 404);
    CHECK(is_json_error(result));
  }
  // Valid UTF-8 is just an id that does not exist.
  auto unknown = admin->get("/api/v1/chargepoints/%C3%A9");
  CHECK(unknown.status == 404);
  CHECK(is_json_error(unknown));
  CHECK(admin->get("/api/v1/chargepoints/CP-1").status == 200);
}

TEST_CASE("api http: an invalid percent escape or a NUL inside a path segment gets a JSON 400") {
  // libwebsockets refuses both while it parses the request line: the first
  // used to get its HTML 403 page, the second a closed connection and no
  // answer at all.
  ApiFixture api;
  auto admin = api.admin();
  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-1"})").status == 201);
  const auto request = [](const std::string& target) {
    return fmt::format("GET {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", target,
                       kAdminToken);
  };
  for (const char* target :
       {"/api/v1/chargepoints/%zz", "/api/v1/chargepoints/CP%4-1", "/api/v1/chargepoints/CP-1%",
        "/api/v1/commands?chargePointId=%g1", "/api/v1/chargepoints/CP%00-1",
        "/api/v1/chargepoints/CP-1%00", "/api/v1/locks/a%00b"}) {
    RawConnection connection(api.port());
    REQUIRE(connection.connected());
    REQUIRE(connection.send(request(target)));
    HttpResult result = connection.read_response();
    INFO(target << " -> " << result.status << " " << result.body);
    CHECK(result.status == 400);
    CHECK(result.headers["content-type"] == "application/json");
    CHECK(is_json_error(result));
  }
  // On a kept-alive connection, after a request that was served.
  RawConnection kept(api.port());
  REQUIRE(kept.send(request("/api/v1/chargepoints/CP-1")));
  CHECK(kept.read_response().status == 200);
  REQUIRE(kept.send(request("/api/v1/chargepoints/C%zzP-1")));
  const HttpResult second = kept.read_response();
  CHECK(second.status == 400);
  CHECK(is_json_error(second));
  // The server goes on serving.
  CHECK(admin->get("/api/v1/chargepoints/CP-1").status == 200);
}

TEST_CASE("api http: a client dribbling its headers byte by byte does not hold up others") {
  ApiFixture api;
  constexpr int kDribblers = 4;
  const std::string request = fmt::format(
      "GET /api/v1/chargepoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
      kAdminToken);
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::vector<int> statuses(kDribblers, -1);
  std::vector<std::thread> dribblers;
  for (int d = 0; d < kDribblers; ++d) {
    dribblers.emplace_back([&, d] {
      RawConnection slow(api.port());
      for (std::size_t i = 0; i < request.size(); ++i) {
        if (!slow.send(request.substr(i, 1))) break;
        if (i == 0) ++started;
        std::this_thread::sleep_for(40ms);  // the client's pace, not an assertion
      }
      statuses[static_cast<std::size_t>(d)] = slow.read_response().status;
      ++finished;
    });
  }
  // Wait until every dribbler has begun its request.
  REQUIRE(eventually([&] { return started == kDribblers; }, 10s, 5ms));

  auto admin = api.admin();
  int answered = 0;
  for (int i = 0; i < 20; ++i)
    if (admin->get("/api/v1/chargepoints").status == 200) ++answered;
  // All 20 answers came while the slow requests were still being written.
  const int finished_meanwhile = finished;
  CHECK(answered == 20);
  CHECK(finished_meanwhile == 0);

  for (auto& thread : dribblers) thread.join();
  for (int status : statuses) CHECK(status == 200);  // and they are served in the end
}

TEST_CASE("api http: a client that stalls inside its headers is dropped, not waited for") {
  ApiFixture api;
  // Each connection holds one of the server's header tables until its
  // headers are complete: a stalled one gives it back when lws closes it
  // (after 10 s without a complete request).
  RawConnection stalled(api.port());
  REQUIRE(stalled.send("GET /api/v1/chargepoints HTTP/1.1\r\nHost: x\r\n"));
  auto admin = api.admin();
  CHECK(admin->get("/api/v1/chargepoints").status == 200);
  CHECK(stalled.closed_by_server(30s));
  CHECK(admin->get("/api/v1/chargepoints").status == 200);
}
