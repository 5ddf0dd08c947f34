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

void WriteBatch::before_commit(const void* key, std::string item, const Flush& flush) {
  if (group_ == nullptr) {
    flush(*this, {std::move(item)});
    return;
  }
  for (Deferred& deferred : deferred_) {
    if (deferred.key != key) continue;
    deferred.items.push_back(std::move(item));
    return;
  }
  deferred_.push_back(Deferred{key, flush, {std::move(item)}});
}

bool WriteBatch::commit(const std::function<void(const std::function<void()>&)>& guard) {
  if (!open_) return group_ == nullptr;
  // Each deferred work once, in the transaction; one registered by a flush
  // runs after it (taken out first: a flush may add to the list).
  while (!deferred_.empty()) {
    Deferred deferred = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    deferred.flush(*this, deferred.items);
  }
  const bool committed = group_->commit();  // throws: still open, the destructor rolls back
  open_ = false;
  if (!committed) {
    callbacks_.clear();
    deferred_.clear();
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
  deferred_.clear();
  if (!open_) return;
  open_ = false;
  group_->abort();
}

}  // namespace chargelock::core
