#include "storage/postgres/channel_listener.h"

#include <poll.h>

#include <pqxx/pqxx>
#include <thread>
#include <utility>

namespace chargelock::storage::postgres {

class ChannelListener::Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& connection, const std::string& channel, std::vector<std::string>& sink)
      : pqxx::notification_receiver(connection, channel), sink_(sink) {}
  void operator()(const std::string& payload, int) override { sink_.push_back(payload); }

 private:
  std::vector<std::string>& sink_;
};

struct ChannelListener::Connection {
  pqxx::connection connection;
  std::unique_ptr<Receiver> receiver;  // destroyed before the connection
  explicit Connection(const std::string& url) : connection(url) {}
};

ChannelListener::ChannelListener(std::string url, std::string channel)
    : url_(std::move(url)), channel_(std::move(channel)) {
  reconnect();
}

ChannelListener::~ChannelListener() = default;

namespace {

// Whether `socket` has bytes to read (or was closed by the peer) within
// `timeout`; reads nothing.
bool readable(int socket, std::chrono::milliseconds timeout) {
  pollfd entry{socket, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) != 0;  // an error: look
}

}  // namespace

bool ChannelListener::reconnect() {
  try {
    auto fresh = std::make_unique<Connection>(url_);
    fresh->receiver = std::make_unique<Receiver>(fresh->connection, channel_, pending_);
    connection_ = std::move(fresh);
    socket_ = connection_->connection.sock();
    return true;
  } catch (const std::exception&) {
    drop();
    return false;
  }
}

void ChannelListener::drop() {
  // Unsettled before the socket closes: unsettled() never polls a number
  // the kernel may hand to another file meanwhile.
  reading_ = true;
  socket_ = -1;
  connection_.reset();
}

std::vector<std::string> ChannelListener::wait(std::chrono::milliseconds timeout) {
  if (!connection_ && !reconnect()) {
    std::this_thread::sleep_for(timeout);
    return {};
  }
  try {
    // Waits without reading, then marks what is read unsettled before
    // reading it (see unsettled()).
    if (readable(socket_, timeout)) {
      reading_ = true;
      connection_->connection.get_notifs();  // throws for a closed connection
    }
  } catch (const pqxx::failure&) {  // broken_connection included
    drop();
  }
  std::vector<std::string> heard;
  heard.swap(pending_);
  return heard;
}

std::optional<std::vector<std::string>> ChannelListener::round_trip() {
  if (!connection_) return std::nullopt;
  reading_ = true;
  try {
    {
      pqxx::nontransaction work(connection_->connection);
      // Named after the channel: the session is recognisable in
      // pg_stat_activity (its last query).
      work.exec("SELECT 1 AS " + channel_);
    }
    // Outside the transaction: libpqxx delivers nothing inside one.
    connection_->connection.get_notifs();
  } catch (const pqxx::failure&) {
    drop();
    pending_.clear();  // the caller learns that signals may be lost
    return std::nullopt;
  }
  std::vector<std::string> heard;
  heard.swap(pending_);
  return heard;
}

bool ChannelListener::unsettled() const {
  // The socket first, then the flag: a reader sets the flag before it
  // reads, so bytes gone from the socket are seen in the flag.
  const int socket = socket_;
  if (socket < 0 || readable(socket, std::chrono::milliseconds(0))) return true;
  return reading_;
}

void ChannelListener::settle() {
  if (connection_ && pending_.empty()) reading_ = false;
}

}  // namespace chargelock::storage::postgres
