#include "core/transaction_service.h"

namespace chargelock::core {

TransactionService::TransactionService(TransactionStore& transactions, MeterValueStore& meters,
                                       AuthorizationService& authorization)
    : transactions_(transactions), meters_(meters), authorization_(authorization) {}

StartTransactionResult TransactionService::start(const std::string& charge_point_id,
                                                 const StartTransactionRequest& request) {
  TransactionStart start;
  start.charge_point_id = charge_point_id;
  start.connector_id = request.connector_id;
  start.id_tag = request.id_tag;
  start.meter_start = request.meter_start;
  start.timestamp = request.timestamp;
  start.reservation_id = request.reservation_id;
  const auto outcome = transactions_.start(start);

  StartTransactionResult result;
  result.transaction_id = outcome.transaction_id;
  AuthorizationContext context;
  context.charge_point_id = charge_point_id;
  context.connector_id = request.connector_id;
  context.ignore_transaction_id = outcome.transaction_id;
  result.id_tag_info = authorization_.authorize(context, request.id_tag);
  return result;
}

std::optional<IdTagInfo> TransactionService::stop(const std::string& charge_point_id,
                                                  const StopTransactionRequest& request) {
  const auto transaction = transactions_.find(request.transaction_id);
  const bool ours = transaction && transaction->charge_point_id == charge_point_id;
  if (ours) {
    TransactionStop stop;
    stop.transaction_id = request.transaction_id;
    stop.meter_stop = request.meter_stop;
    stop.timestamp = request.timestamp;
    stop.reason = request.reason;
    stop.id_tag = request.id_tag;
    transactions_.stop(stop);
  }
  // transactionData is kept even for a transaction we do not know.
  store_meter_values(meters_, charge_point_id, ours ? transaction->connector_id : 0,
                     ours ? std::optional<int>(request.transaction_id) : std::nullopt,
                     request.transaction_data);
  if (!request.id_tag) return std::nullopt;
  AuthorizationContext context;
  context.charge_point_id = charge_point_id;
  context.ignore_transaction_id = request.transaction_id;
  context.check_concurrent = false;
  return authorization_.authorize(context, *request.id_tag);
}

void TransactionService::meter_values(const std::string& charge_point_id,
                                      const MeterValuesRequest& request) {
  WriteBatch alone = WriteBatch::alone();
  meter_values(alone, charge_point_id, request);
}

void TransactionService::meter_values(WriteBatch& batch, const std::string& charge_point_id,
                                      const MeterValuesRequest& request) {
  // A pile may only add values to its own transactions; values naming
  // another pile's (or an unknown) transaction are kept without the id.
  std::optional<int> transaction_id;
  if (request.transaction_id) {
    const auto transaction =
        batch.store(&Stores::transactions, transactions_).find(*request.transaction_id);
    if (transaction && transaction->charge_point_id == charge_point_id)
      transaction_id = request.transaction_id;
  }
  store_meter_values(batch.store(&Stores::meter_values, meters_), charge_point_id,
                     request.connector_id, transaction_id, request.meter_values);
}

void TransactionService::store_meter_values(MeterValueStore& meters,
                                            const std::string& charge_point_id, int connector_id,
                                            std::optional<int> transaction_id,
                                            const std::vector<MeterValue>& values) {
  std::vector<MeterValueRecord> rows;
  for (const MeterValue& value : values) {
    for (const SampledValue& sample : value.sampled_values) {
      MeterValueRecord row;
      row.charge_point_id = charge_point_id;
      row.connector_id = connector_id;
      row.transaction_id = transaction_id;
      row.timestamp = value.timestamp;
      row.sampled = sample;
      rows.push_back(std::move(row));
    }
  }
  meters.append(rows);
}

std::optional<TransactionRecord> TransactionService::find(int transaction_id) {
  return transactions_.find(transaction_id);
}

std::vector<TransactionRecord> TransactionService::list(
    const std::optional<std::string>& charge_point_id, std::optional<int> before_id,
    std::size_t limit) {
  return transactions_.list(charge_point_id, before_id, limit);
}

std::vector<MeterValueRecord> TransactionService::meter_values_of(int transaction_id) {
  return meters_.for_transaction(transaction_id);
}

}  // namespace chargelock::core
