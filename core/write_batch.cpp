#include "core/write_batch.h"

#include <utility>

namespace chargelock::core {

WriteBatch::WriteBatch(GroupCommit* group)
    : group_(group), stores_(group != nullptr ? group->stores() : nullptr), open_(false) {
  if (group_ == nullptr) return;
  group_->begin();
  open_ = true;
}

WriteBatch::~WriteBatch() {
  if (open_) group_->abort();
}

void WriteBatch::after_commit(std::function<void()> callback) {
  if (group_ == nullptr)
    callback();
  else
    callbacks_.push_back(std::move(callback));
}

bool WriteBatch::commit(const std::function<void(const std::function<void()>&)>& guard) {
  if (!open_) return group_ == nullptr;
  const bool committed = group_->commit();  // throws: still open, the destructor rolls back
  open_ = false;
  if (!committed) {
    callbacks_.clear();
    return false;
  }
  auto callbacks = std::move(callbacks_);
  callbacks_.clear();
  for (auto& callback : callbacks) {
    if (guard)
      guard(callback);
    else
      callback();
  }
  return true;
}

void WriteBatch::abort() {
  callbacks_.clear();
  if (!open_) return;
  open_ = false;
  group_->abort();
}

}  // namespace chargelock::core
