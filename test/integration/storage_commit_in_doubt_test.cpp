// A group commit whose connection is lost during COMMIT (the commit() of a
// storage::Database::make_batch() batch) against a real PostgreSQL, behind a
// proxy that cuts the connection at the COMMIT: a group the server committed
// is reported committed (its caller must not run it again: its rows would be
// stored twice); one the server never received is reported not committed;
// after a failover to a server that never received the group, the group is
// reported not committed even when that server has since committed a
// transaction of its own under the group's transaction id.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/stores/charge_point_store.h"
#include "core/stores/meter_value_store.h"
#include "test/support/private_cluster.h"
#include "test/support/test_database.h"

using namespace chargelock::core;
using chargelock::storage::Database;
using chargelock::test::PrivateCluster;
using chargelock::test::TestDatabase;
using namespace std::chrono_literals;

namespace {

// A TCP proxy in front of PostgreSQL. Armed, it watches the client's bytes
// for the next simple-protocol Query "COMMIT" (what libpqxx sends) and then
// either forwards it, waits for the server's first answer byte (the server
// has committed by then) and closes both sides without passing it on
// (kAfterServerCommitted), or closes both sides without forwarding it
// (kBeforeServerSawIt).
class CommitCuttingProxy {
 public:
  enum class Cut { kAfterServerCommitted, kBeforeServerSawIt };

  CommitCuttingProxy(std::string server_host, int server_port)
      : server_host_(std::move(server_host)), server_port_(server_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~CommitCuttingProxy() {
    stop_ = true;
    thread_.join();
    for (const Pair& pair : pairs_) close_pair(pair);
    ::close(listener_);
  }
  CommitCuttingProxy(const CommitCuttingProxy&) = delete;
  CommitCuttingProxy& operator=(const CommitCuttingProxy&) = delete;

  int port() const { return port_; }
  // Connections accepted from now on go to `server_port` (a failover);
  // those open stay where they are.
  void send_new_connections_to(int server_port) { server_port_ = server_port; }
  void cut_next_commit(Cut how) {
    how_ = how;
    armed_ = true;
  }
  int cuts() const { return cuts_; }

 private:
  struct Pair {
    int client = -1;
    int server = -1;
    bool cutting = false;  // the COMMIT went through; the answer is not passed on
    bool closed = false;
  };
  static void close_pair(const Pair& pair) {
    if (pair.closed) return;
    ::close(pair.client);
    ::close(pair.server);
  }
  static bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }
  int connect_server() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(server_port_.load()));
    ::inet_pton(AF_INET, server_host_.c_str(), &address.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  void run() {
    // 'Q', length 11 (itself + "COMMIT\0"), "COMMIT\0".
    static const std::string kCommit(
        "Q\0\0\0\x0b"
        "COMMIT\0",
        12);
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      std::vector<std::pair<std::size_t, bool>> owners{{0, false}};  // pair, is client
      for (std::size_t i = 0; i < pairs_.size(); ++i) {
        if (pairs_[i].closed) continue;
        fds.push_back({pairs_[i].client, POLLIN, 0});
        owners.emplace_back(i, true);
        fds.push_back({pairs_[i].server, POLLIN, 0});
        owners.emplace_back(i, false);
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int client = ::accept(listener_, nullptr, nullptr);
        const int server = client >= 0 ? connect_server() : -1;
        if (server >= 0) {
          pairs_.push_back({client, server});
        } else if (client >= 0) {
          ::close(client);
        }
      }
      for (std::size_t k = 1; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        Pair& pair = pairs_[owners[k].first];
        if (pair.closed) continue;
        char buffer[16384];
        const ssize_t n = ::recv(fds[k].fd, buffer, sizeof buffer, 0);
        const std::string bytes(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
        bool drop = n <= 0;
        if (!drop && owners[k].second) {  // client -> server
          if (armed_ && bytes.find(kCommit) != std::string::npos) {
            armed_ = false;
            if (how_ == Cut::kBeforeServerSawIt) {
              drop = true;
              ++cuts_;
            } else {
              pair.cutting = true;
            }
          }
          if (!drop) drop = !write_all(pair.server, bytes.data(), bytes.size());
        } else if (!drop) {  // server -> client
          if (pair.cutting) {
            drop = true;
            ++cuts_;
          } else {
            drop = !write_all(pair.client, bytes.data(), bytes.size());
          }
        }
        if (drop) {
          close_pair(pair);
          pair.closed = true;
        }
      }
    }
  }

  const std::string server_host_;
  std::atomic<int> server_port_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> armed_{false};
  std::atomic<Cut> how_{Cut::kAfterServerCommitted};
  std::atomic<int> cuts_{0};
  std::vector<Pair> pairs_;  // proxy thread only (and the destructor, after it)
};

// `url` with its host and port replaced by the proxy's, without TLS (the
// proxy reads the protocol).
std::string through(const std::string& url, int port) {
  static const std::regex host_port(R"(@([0-9.]+):([0-9]+)/)");
  std::string out = std::regex_replace(url, host_port, "@127.0.0.1:" + std::to_string(port) + "/");
  return out + (out.find('?') == std::string::npos ? "?" : "&") + "sslmode=disable";
}

std::pair<std::string, int> host_and_port(const std::string& url) {
  static const std::regex host_port(R"(@([0-9.]+):([0-9]+)/)");
  std::smatch match;
  REQUIRE(std::regex_search(url, match, host_port));
  return {match[1], std::stoi(match[2])};
}

MeterValueRecord sample(const std::string& value) {
  MeterValueRecord v;
  v.charge_point_id = "CP-1";
  v.connector_id = 1;
  v.timestamp = Timestamp(std::chrono::microseconds(1714564800123456LL));
  v.value = value;
  v.unit = std::string("Wh");
  return v;
}

}  // namespace

TEST_CASE("a group commit whose connection is lost during COMMIT says what the server did") {
  TestDatabase test;
  NewChargePoint cp;
  cp.id = "CP-1";
  REQUIRE(test.db().charge_points().create(cp));
  const auto [host, port] = host_and_port(test.url());
  CommitCuttingProxy proxy(host, port);
  {
    Database db(through(test.url(), proxy.port()));
    const auto batch = db.make_batch();

    SECTION("the server committed: committed, stored once") {
      batch->begin();
      batch->meter_values().append({sample("10")});
      proxy.cut_next_commit(CommitCuttingProxy::Cut::kAfterServerCommitted);
      CHECK(batch->commit());  // the caller does not run the group again
      CHECK(proxy.cuts() == 1);
      CHECK(test.scalar("SELECT count(*) FROM meter_values WHERE value = '10'") == "1");
    }
    SECTION("the server never saw the COMMIT: not committed, nothing stored") {
      batch->begin();
      batch->meter_values().append({sample("20")});
      proxy.cut_next_commit(CommitCuttingProxy::Cut::kBeforeServerSawIt);
      CHECK_FALSE(batch->commit());  // the caller runs the group again
      CHECK(proxy.cuts() == 1);
      CHECK(test.scalar("SELECT count(*) FROM meter_values WHERE value = '20'") == "0");
    }
    // The thread reconnected: the next group commits normally.
    batch->begin();
    batch->meter_values().append({sample("30")});
    CHECK(batch->commit());
    CHECK(test.scalar("SELECT count(*) FROM meter_values WHERE value = '30'") == "1");
    db.release_thread_connection();
  }
}

namespace {

// Assigns (and commits) transaction ids on the server at `url` until its
// next one is above `above`; returns the last one assigned.
std::int64_t advance_transaction_ids(const std::string& url, std::int64_t above) {
  pqxx::connection connection(url);
  pqxx::nontransaction query(connection);
  std::int64_t last = 0;
  do {
    last = query.exec1("SELECT txid_current()")[0].as<std::int64_t>();
  } while (last <= above);
  return last;
}

std::int64_t current_transaction_id(const std::string& url) {
  return advance_transaction_ids(url, 0);
}

}  // namespace

TEST_CASE("after a failover a group in doubt is run again though the new primary reused its xid") {
  // `old_primary` commits the group but its answer never arrives (the
  // primary dies); `promoted` never received the group (its WAL did not
  // reach the standby) and has since committed transactions of its own
  // under the ids the old primary had handed out, the group's included.
  PrivateCluster old_primary;
  PrivateCluster promoted;
  for (const PrivateCluster* server : {&old_primary, &promoted}) {
    Database db(server->url());
    db.migrate();
    NewChargePoint cp;
    cp.id = "CP-1";
    REQUIRE(db.charge_points().create(cp));
    db.release_thread_connection();
  }
  // Both servers' ids start from the same point; the group's is the next
  // one the old primary hands out (the test alone uses it).
  const std::int64_t start =
      std::max(current_transaction_id(old_primary.url()), current_transaction_id(promoted.url()));
  const std::int64_t before_group = advance_transaction_ids(old_primary.url(), start);

  CommitCuttingProxy proxy("127.0.0.1", old_primary.port());
  {
    Database db(through(old_primary.url(), proxy.port()));
    const auto batch = db.make_batch();
    batch->begin();
    batch->meter_values().append({sample("40")});
    // The promoted server reuses the ids: the group's (before_group + 1, or
    // a few later) reads "committed" there.
    advance_transaction_ids(promoted.url(), before_group + 20);
    proxy.send_new_connections_to(promoted.port());
    proxy.cut_next_commit(CommitCuttingProxy::Cut::kAfterServerCommitted);
    CHECK_FALSE(batch->commit());  // the caller runs the group again, on the new primary
    CHECK(proxy.cuts() == 1);
    db.release_thread_connection();
  }
  pqxx::connection promoted_db(promoted.url());
  pqxx::nontransaction query(promoted_db);
  CHECK(query.exec1("SELECT count(*) FROM meter_values WHERE value = '40'")[0].as<int>() == 0);
  // The group's transaction id is a committed one there, someone else's:
  // asking the transaction's status instead of the marker gets it wrong.
  CHECK(query
            .exec1("SELECT count(*) FROM generate_series(" + std::to_string(before_group + 1) +
                   ", " + std::to_string(before_group + 5) +
                   ") AS x WHERE txid_status(x) = 'committed'")[0]
            .as<int>() == 5);
}

TEST_CASE("the commit markers stay one per connection and those left behind are forgotten") {
  TestDatabase test;
  NewChargePoint cp;
  cp.id = "CP-1";
  REQUIRE(test.db().charge_points().create(cp));
  const auto batch = test.db().make_batch();
  for (int i = 0; i < 20; ++i) {
    batch->begin();
    batch->meter_values().append({sample(std::to_string(i))});
    REQUIRE(batch->commit());
  }
  // Each group deleted its predecessor's marker: only the last one is left.
  CHECK(test.scalar("SELECT count(*) FROM meter_values") == "20");
  CHECK(test.scalar("SELECT count(*) FROM commit_markers") == "1");
  // A marker left behind by a connection that closed, ten minutes ago.
  test.scalar(
      "INSERT INTO commit_markers (id, written_at) VALUES (42, now() - interval '11 minutes') "
      "RETURNING id");
  CHECK(test.db().forget_commit_markers(std::chrono::minutes(10)) == 1);
  CHECK(test.scalar("SELECT count(*) FROM commit_markers WHERE id = 42") == "0");
  CHECK(test.scalar("SELECT count(*) FROM commit_markers") == "1");  // the recent one stays
  test.db().release_thread_connection();
}
