// core::BatchStores on PostgreSQL: the stores of one write batch, each made
// once with a Scope bound to the batch's state, so a worker reuses them
// group after group (nothing allocated per group but the transaction).
#include <stdexcept>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

class PgBatchStores final : public core::BatchStores {
 public:
  explicit PgBatchStores(Database& database) : database_(database) {
    Database::Impl& db = database.impl();
    const Scope scope(db, &state_);
    charge_points_ = make_charge_point_store(scope);
    connectors_ = make_connector_store(scope);
    id_tags_ = make_id_tag_store(scope);
    transactions_ = make_transaction_store(scope);
    meter_values_ = make_meter_value_store(scope);
    message_log_ = make_message_log_store(scope);
    events_ = make_event_store(scope);
    commands_ = make_command_store(scope);
    vehicles_ = make_vehicle_store(scope);
    locks_ = make_lock_store(scope);
    notifications_ = make_notification_store(scope);
    webhooks_ = make_webhook_store(scope);
    api_tokens_ = make_api_token_store(scope);
    operator_queries_ = make_operator_query_store(scope);
    partitions_ = make_partition_store(scope);
  }
  ~PgBatchStores() override { state_.drop(); }

  void begin() override {
    if (state_.open) throw std::logic_error("write batches do not nest: this one is open");
    state_.open = true;
    state_.failed = false;
    // The transaction opens with the first statement: a group of Heartbeats
    // writes nothing and costs the database nothing.
  }
  bool commit() override { return database_.impl().commit_batch(state_); }
  void abort() override {
    state_.drop();
    state_.open = false;
    state_.failed = false;
  }

  std::unique_ptr<core::BatchStores> make_batch() override { return database_.make_batch(); }
  void release_thread_connection() override { database_.release_thread_connection(); }
  bool accepts_writes() override { return database_.accepts_writes(); }

  core::ChargePointStore& charge_points() override { return *charge_points_; }
  core::ConnectorStore& connectors() override { return *connectors_; }
  core::IdTagStore& id_tags() override { return *id_tags_; }
  core::TransactionStore& transactions() override { return *transactions_; }
  core::MeterValueStore& meter_values() override { return *meter_values_; }
  core::MessageLogStore& message_log() override { return *message_log_; }
  core::EventStore& events() override { return *events_; }
  core::CommandStore& commands() override { return *commands_; }
  core::VehicleStore& vehicles() override { return *vehicles_; }
  core::LockStore& locks() override { return *locks_; }
  core::NotificationStore& notifications() override { return *notifications_; }
  core::WebhookStore& webhooks() override { return *webhooks_; }
  core::ApiTokenStore& api_tokens() override { return *api_tokens_; }
  core::OperatorQueryStore& operator_queries() override { return *operator_queries_; }
  core::PartitionStore& partitions() override { return *partitions_; }

 private:
  Database& database_;
  BatchState state_;  // before the stores, which point at it
  std::unique_ptr<core::ChargePointStore> charge_points_;
  std::unique_ptr<core::ConnectorStore> connectors_;
  std::unique_ptr<core::IdTagStore> id_tags_;
  std::unique_ptr<core::TransactionStore> transactions_;
  std::unique_ptr<core::MeterValueStore> meter_values_;
  std::unique_ptr<core::MessageLogStore> message_log_;
  std::unique_ptr<core::EventStore> events_;
  std::unique_ptr<core::CommandStore> commands_;
  std::unique_ptr<core::VehicleStore> vehicles_;
  std::unique_ptr<core::LockStore> locks_;
  std::unique_ptr<core::NotificationStore> notifications_;
  std::unique_ptr<core::WebhookStore> webhooks_;
  std::unique_ptr<core::ApiTokenStore> api_tokens_;
  std::unique_ptr<core::OperatorQueryStore> operator_queries_;
  std::unique_ptr<core::PartitionStore> partitions_;
};

}  // namespace

std::unique_ptr<core::BatchStores> make_batch_stores(Database& database) {
  return std::make_unique<PgBatchStores>(database);
}

}  // namespace chargelock::storage::postgres
