// Charging transactions. Ids come from a database sequence.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "core/transaction.h"

namespace chargelock::core {

class TransactionStore {
 public:
  virtual ~TransactionStore() = default;

  // Records a start. The same start reported twice (same charge point,
  // connector, id tag, timestamp and meter start) yields the id of the first
  // one and no second row. Throws NotFoundError for an unknown charge point.
  virtual StartOutcome start(const TransactionStart& start) = 0;
  // Records the stop. Returns false when the transaction id is unknown.
  virtual bool stop(const TransactionStop& stop) = 0;

  virtual std::optional<TransactionRecord> find(int transaction_id) = 0;
  // Open (not stopped) transactions started with `id_tag`.
  virtual std::vector<TransactionRecord> open_for_id_tag(const std::string& id_tag) = 0;
  // Newest first; optionally for one charge point, and only ids below
  // `before_id` (for paging).
  virtual std::vector<TransactionRecord> list(const std::optional<std::string>& charge_point_id,
                                              std::optional<int> before_id, std::size_t limit) = 0;
};

}  // namespace chargelock::core
