// StartTransaction, StopTransaction and MeterValues.
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/authorization_service.h"
#include "core/stores/meter_value_store.h"
#include "core/stores/transaction_store.h"
#include "core/timestamp.h"
#include "core/write_batch.h"

namespace chargelock::core {

struct StartTransactionRequest {
  int connector_id = 0;
  std::string id_tag;
  int meter_start = 0;  // Wh
  Timestamp timestamp;
  std::optional<int> reservation_id;
};

struct StartTransactionResult {
  int transaction_id = 0;
  IdTagInfo id_tag_info;
};

struct StopTransactionRequest {
  int transaction_id = 0;
  std::optional<std::string> id_tag;
  int meter_stop = 0;  // Wh
  Timestamp timestamp;
  std::optional<std::string> reason;
  std::vector<MeterValue> transaction_data;
};

struct MeterValuesRequest {
  int connector_id = 0;
  std::optional<int> transaction_id;
  std::vector<MeterValue> meter_values;
};

class TransactionService {
 public:
  TransactionService(TransactionStore& transactions, MeterValueStore& meters,
                     AuthorizationService& authorization);

  // Records the transaction (whatever the id tag's status: the pile has
  // started it) and authorizes the tag. The same start sent twice yields the
  // same transaction id. Throws RowNotFoundError for an unregistered
  // charge point.
  StartTransactionResult start(const std::string& charge_point_id,
                               const StartTransactionRequest& request);

  // Records the stop (only for a transaction of this charge point; an
  // unknown id is accepted and ignored, as OCPP requires the answer anyway)
  // and its transactionData meter values. Returns the idTagInfo when an id
  // tag was given.
  std::optional<IdTagInfo> stop(const std::string& charge_point_id,
                                const StopTransactionRequest& request);

  // Stores every sampled value of the request, through `batch` (sharing its
  // commit when grouped); without one, in a commit of its own.
  void meter_values(WriteBatch& batch, const std::string& charge_point_id,
                    const MeterValuesRequest& request);
  void meter_values(const std::string& charge_point_id, const MeterValuesRequest& request);

  std::optional<TransactionRecord> find(int transaction_id);
  std::vector<TransactionRecord> list(const std::optional<std::string>& charge_point_id,
                                      std::optional<int> before_id, std::size_t limit);
  std::vector<MeterValueRecord> meter_values_of(int transaction_id);

 private:
  static void store_meter_values(MeterValueStore& meters, const std::string& charge_point_id,
                                 int connector_id, std::optional<int> transaction_id,
                                 const std::vector<MeterValue>& values);

  TransactionStore& transactions_;
  MeterValueStore& meters_;
  AuthorizationService& authorization_;
};

}  // namespace chargelock::core
