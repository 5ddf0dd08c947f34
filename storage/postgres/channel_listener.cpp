#include "storage/postgres/channel_listener.h"

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

bool ChannelListener::reconnect() {
  try {
    auto fresh = std::make_unique<Connection>(url_);
    fresh->receiver = std::make_unique<Receiver>(fresh->connection, channel_, pending_);
    connection_ = std::move(fresh);
    return true;
  } catch (const std::exception&) {
    drop();
    return false;
  }
}

void ChannelListener::drop() { connection_.reset(); }

std::vector<std::string> ChannelListener::wait(std::chrono::milliseconds timeout) {
  if (!connection_ && !reconnect()) {
    std::this_thread::sleep_for(timeout);
    return {};
  }
  try {
    const long micros =
        static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
    connection_->connection.await_notification(micros / 1000000, micros % 1000000);
  } catch (const pqxx::failure&) {  // broken_connection included
    drop();
  }
  std::vector<std::string> heard;
  heard.swap(pending_);
  return heard;
}

}  // namespace chargelock::storage::postgres
