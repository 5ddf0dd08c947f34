// WorkQueue group commit on the database: a group of Shared tasks runs in
// one transaction of the worker's connection (storage::Database batches).
#pragma once

#include "core/group_commit.h"
#include "storage/database.h"

namespace chargelock::core {

class DatabaseGroupCommit final : public GroupCommit {
 public:
  explicit DatabaseGroupCommit(storage::Database& database) : database_(database) {}
  void begin() override { database_.begin_batch(); }
  bool commit() override { return database_.commit_batch(); }
  void abort() override { database_.abort_batch(); }

 private:
  storage::Database& database_;
};

}  // namespace chargelock::core
