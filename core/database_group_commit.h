// WorkQueue group commit on the database: a group of Shared tasks runs in
// one transaction of the worker's connection (core::Stores batches).
#pragma once

#include "core/group_commit.h"
#include "core/stores/stores.h"

namespace chargelock::core {

class DatabaseGroupCommit final : public GroupCommit {
 public:
  explicit DatabaseGroupCommit(Stores& stores) : stores_(stores) {}
  void begin() override { stores_.begin_batch(); }
  bool commit() override { return stores_.commit_batch(); }
  void abort() override { stores_.abort_batch(); }

 private:
  Stores& stores_;
};

}  // namespace chargelock::core
