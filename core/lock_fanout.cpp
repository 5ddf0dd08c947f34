// The fan-out to the piles: LockVehicle / UnlockVehicle to every pile in
// scope, folding in their answers (next_step), re-arming lapsed deliveries,
// arming piles that connect or boot, and stopping a standard pile's charging.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>

#include "core/core_metrics.h"
#include "core/digest.h"
#include "core/domain_errors.h"
#include "core/lock_codec.h"
#include "core/lock_rules.h"
#include "core/lock_service.h"
#include "core/log.h"
#include "core/vehicle_identity.h"
#include "core/vehicle_service.h"

namespace chargelock::core {

using namespace lock_rules;

template <typename Work>
void LockService::for_each_chunk(const std::vector<std::string>& charge_point_ids,
                                 const Work& work) const {
  const std::size_t chunk = std::max<std::size_t>(1, limits_.fan_out_chunk);
  for (std::size_t i = 0; i < charge_point_ids.size(); i += chunk) {
    const auto first = charge_point_ids.begin() + static_cast<std::ptrdiff_t>(i);
    const auto last = charge_point_ids.begin() +
                      static_cast<std::ptrdiff_t>(std::min(charge_point_ids.size(), i + chunk));
    work(std::vector<std::string>(first, last));
  }
}

void LockService::command_finished(WriteBatch& batch, const CommandRecord& command) {
  commands_finished(batch, {command});
}

void LockService::commands_finished(WriteBatch& batch, const std::vector<CommandRecord>& commands) {
  // Only the piles these commands went to can have changed (and the
  // release, when one was the UnlockConnector): a lock spans thousands of
  // piles, and re-deriving all of them per answer made a fan-out quadratic.
  std::map<std::string, std::vector<const CommandRecord*>> by_lock;
  for (const CommandRecord& command : commands)
    if (command.origin.rfind(kOriginPrefix, 0) == 0)
      by_lock[command.origin.substr(std::char_traits<char>::length(kOriginPrefix))].push_back(
          &command);
  for (const auto& [lock_id, answered] : by_lock) {
    try {
      const auto lock = locks(batch).find(lock_id);
      if (!lock) continue;
      std::set<std::int64_t> ids;
      std::vector<std::string> charge_points;
      bool release_answered = false;
      for (const CommandRecord* command : answered) {
        ids.insert(command->id);
        charge_points.push_back(command->charge_point_id);
        release_answered = release_answered || lock->release_command_id == command->id;
      }
      std::vector<LockPile> piles;
      for (LockPile& pile : locks(batch).piles_of(lock->id, charge_points))
        if ((pile.command_id && ids.count(*pile.command_id) != 0) ||
            (pile.unlock_command_id && ids.count(*pile.unlock_command_id) != 0))
          piles.push_back(std::move(pile));
      LazyVehicle vehicle;
      settle(batch, *lock, piles, vehicle);
      // A standard pile where the vehicle is charging now: stop it.
      if (lock->status == LockStatus::Engaged && lock->charge_point_id &&
          std::any_of(piles.begin(), piles.end(), [&](const LockPile& p) {
            return p.charge_point_id == *lock->charge_point_id;
          }))
        stop_charging(batch, *lock, locks(batch).sightings(lock->id));
      if (release_answered) reconcile_release(batch, *lock);
    } catch (const std::exception& e) {
      log(fmt::format("reconciling lock {} after {} command outcome(s) failed: {}", lock_id,
                      answered.size(), e.what()));
    }
  }
}

// A boot storm's group (up to 128 boots or connects in one commit) re-arms
// its piles together, just before the commit: per lock a few statements for
// all of them instead of ~10 a pile. In the boot's transaction, so a pile
// answered Accepted has its LockVehicle queued in the same commit: a crash
// between the two cannot leave it unarmed.
namespace {
const char kBootedPiles = 0;     // the key of the boots' deferred re-arm
const char kConnectedPiles = 0;  // the key of the connects'
}  // namespace

void LockService::booted(WriteBatch& batch, const std::string& charge_point_id,
                         RegistrationStatus status) {
  if (status != RegistrationStatus::Accepted) return;
  batch.before_commit(&kBootedPiles, charge_point_id,
                      [this](WriteBatch& batch, const std::vector<std::string>& piles) {
                        resync(batch, piles, true);
                      });
}

void LockService::connected(WriteBatch& batch, const std::string& charge_point_id) {
  batch.before_commit(&kConnectedPiles, charge_point_id,
                      [this](WriteBatch& batch, const std::vector<std::string>& piles) {
                        resync(batch, piles, false);
                      });
}

std::vector<LockRecord> LockService::active_locks(WriteBatch& batch) {
  const auto now = std::chrono::steady_clock::now();
  {
    base::MutexLock lock(no_active_mutex_);
    if (no_active_since_ && now - *no_active_since_ < kNoActiveLockReuse) return {};
  }
  auto active = locks(batch).list_active();
  base::MutexLock lock(no_active_mutex_);
  if (active.empty())
    no_active_since_ = now;
  else
    no_active_since_.reset();
  return active;
}

void LockService::resync(WriteBatch& batch, const std::vector<std::string>& charge_point_ids,
                         bool at_boot) {
  // Grouped, a failure fails the group (its tasks then run again alone,
  // each committing on its own, and arm their pile here one by one): no
  // pile's arming is dropped with a rolled-back transaction. Alone, a
  // failure is logged and the next lock tried.
  const bool grouped = batch.grouped();
  std::vector<LockRecord> active_locks;
  std::vector<ChargePointRecord> charge_points;
  try {
    active_locks = this->active_locks(batch);
    if (active_locks.empty() || charge_point_ids.empty()) return;
    const std::set<std::string> wanted(charge_point_ids.begin(), charge_point_ids.end());
    charge_points = batch.store(&Stores::charge_points, charge_points_)
                        .find_many({wanted.begin(), wanted.end()});
  } catch (const std::exception& e) {
    if (grouped) throw;
    log(fmt::format("arming {} failed: {}", charge_point_ids.front(), e.what()));
    return;
  }
  for (const LockRecord& lock : active_locks) {
    try {
      resync(batch, lock, charge_points, at_boot);
    } catch (const std::exception& e) {
      if (grouped) throw;
      log(fmt::format("arming {} for lock {} failed: {}", charge_point_ids.front(), lock.id,
                      e.what()));
    }
  }
}

void LockService::resync(WriteBatch& batch, const LockRecord& lock,
                         const std::vector<ChargePointRecord>& charge_points, bool at_boot) {
  std::vector<std::string> in_scope_ids;
  for (const ChargePointRecord& charge_point : charge_points) {
    if (!at_boot && charge_point.registration_status != RegistrationStatus::Accepted) continue;
    if (in_scope(lock, charge_point.location)) in_scope_ids.push_back(charge_point.id);
  }
  if (in_scope_ids.empty()) return;
  std::map<std::string, LockPile> rows;
  for (LockPile& row : locks(batch).piles_of(lock.id, in_scope_ids))
    rows.emplace(row.charge_point_id, std::move(row));
  std::vector<LockPile> again;         // rows armed again
  std::vector<std::string> new_piles;  // no row yet
  for (const std::string& id : in_scope_ids) {
    const auto row = rows.find(id);
    if (row == rows.end()) {
      new_piles.push_back(id);
      continue;
    }
    const LockPile& pile = row->second;
    if (answered_unsupported(pile)) continue;
    if (pile.status == PileStatus::Unsupported || pile.status == PileStatus::Disarmed) continue;
    // On its way (a LockVehicle sent on an older connection times out
    // when this one registers, and is re-sent then).
    if (pile.command_status == CommandStatus::Queued || pile.command_status == CommandStatus::Sent)
      continue;
    // A reconnect without a boot: the pile kept what it was told; only a
    // delivery that lapsed is sent again. A boot may have wiped the
    // pile's watch list: it is armed again.
    const PileStep step = next_step(true, pile, Clock::now());
    if (!at_boot && step.kind != PileStep::RearmNow) continue;
    again.push_back(pile);
  }
  if (again.empty() && new_piles.empty()) return;
  LazyVehicle vehicle;
  rearm(batch, lock, again, vehicle);
  if (new_piles.empty()) return;
  if (!vehicle.loaded) {
    vehicle.value = vehicle_of(batch, lock);
    vehicle.loaded = true;
  }
  if (!vehicle.value) return;
  for (const std::string& id : new_piles) arm(batch, lock, *vehicle.value, id);
}

void LockService::stop_charging(WriteBatch& batch, const LockRecord& lock,
                                const std::vector<Sighting>& sightings) {
  if (!active(lock)) return;
  for (const Sighting& seen : sightings) {
    if (!seen.transaction_id) continue;
    if (seen.source != sighting_source::kTransaction &&
        seen.source != sighting_source::kStartTransaction)
      continue;
    const auto transaction =
        batch.store(&Stores::transactions, transactions_).find(*seen.transaction_id);
    if (!transaction || transaction->stop_timestamp) continue;  // stopped: nothing to do
    // A pile with the extension that armed holds the vehicle itself; a pile
    // without it (or not yet answering) would go on charging the car.
    if (seen.source == sighting_source::kTransaction) {
      const auto pile = locks(batch).pile(lock.id, seen.charge_point_id);
      if (!pile || pile->status == PileStatus::Armed) continue;
      if (pile->status != PileStatus::Unsupported && !answered_unsupported(*pile)) continue;
    }
    CommandRequest request =
        lock_command(lock, seen.charge_point_id, "RemoteStopTransaction",
                     lock_codec::ObjectWriter().add("transactionId", *seen.transaction_id).str());
    // Once per transaction, whichever node's sweep gets there first.
    request.idempotency_key = fmt::format("lock:{}:stop:{}", lock.id, *seen.transaction_id);
    try {
      const auto command = commands_.enqueue(batch, request);
      (void)command;
    } catch (const std::exception& e) {
      log(fmt::format("RemoteStopTransaction {} at {} not queued: {}", *seen.transaction_id,
                      seen.charge_point_id, e.what()));
    }
  }
}

std::optional<CommandRecord> LockService::enqueue(WriteBatch& batch, const LockRecord& lock,
                                                  const std::string& charge_point_id,
                                                  const std::string& action,
                                                  const std::string& payload) {
  try {
    return commands_.enqueue(batch, lock_command(lock, charge_point_id, action, payload));
  } catch (const RowNotFoundError&) {
    return std::nullopt;  // the charge point was removed meanwhile
  } catch (const InvalidCommand& e) {
    log(fmt::format("{} for {} refused by the command queue: {}", action, charge_point_id,
                    e.what()));
    return std::nullopt;
  }
}

void LockService::arm(WriteBatch& batch, const LockRecord& lock, const Vehicle& vehicle,
                      const std::string& charge_point_id) {
  LockPile pile;
  pile.lock_id = lock.id;
  pile.charge_point_id = charge_point_id;
  pile.status = PileStatus::Pending;
  within(batch, [&](WriteBatch& batch) {
    // The fan-out and this pile's boot may race: one row, one LockVehicle.
    locks(batch).hold(lock.id, false);
    if (locks(batch).add_piles({pile}).empty()) return;
    const auto command =
        enqueue(batch, lock, charge_point_id, "DataTransfer",
                lock_vehicle_payload(lock, vehicle, locks(batch).hashed_matching(charge_point_id)));
    if (!command) return;
    LockPileChange change;
    change.next = pile;
    change.next.command_id = command->id;
    change.expected_status = PileStatus::Pending;
    locks(batch).change_piles(lock.id, {change});
  });
}

void LockService::rearm(WriteBatch& batch, const LockRecord& lock,
                        const std::vector<LockPile>& piles, LazyVehicle& vehicle) {
  if (piles.empty() || !active(lock)) return;
  if (!vehicle.loaded) {
    vehicle.value = vehicle_of(batch, lock);
    vehicle.loaded = true;
  }
  if (!vehicle.value) return;
  // First the rows let go of the lapsed command (only rows still as read:
  // whoever changes a row first acts on it), then LockVehicle goes to the
  // piles this call took.
  std::vector<LockPileChange> take;
  for (const LockPile& pile : piles) {
    // An armed pile re-armed at its boot stays armed until it answers.
    LockPileChange change = change_of(pile);
    change.next.command_id.reset();
    change.next.retry_at.reset();
    take.push_back(std::move(change));
  }
  within(batch, [&](WriteBatch& batch) {
    const auto taken = locks(batch).change_piles(lock.id, take);
    if (taken.empty()) return;
    const std::set<std::string> taken_set(taken.begin(), taken.end());
    const auto hashing = locks(batch).hashed_matching_piles();
    const std::set<std::string> hashing_piles(hashing.begin(), hashing.end());
    // One payload per kind (clear or hashed identifiers), not one per pile.
    const std::string clear = lock_vehicle_payload(lock, *vehicle.value, false);
    std::optional<std::string> hashed;
    std::vector<const LockPileChange*> taking;
    std::vector<CommandRequest> requests;
    for (const auto& change : take) {
      const std::string& id = change.next.charge_point_id;
      if (taken_set.count(id) == 0) continue;
      const bool hashes = hashing_piles.count(id) != 0;
      if (hashes && !hashed) hashed = lock_vehicle_payload(lock, *vehicle.value, true);
      taking.push_back(&change);
      requests.push_back(lock_command(lock, id, "DataTransfer", hashes ? *hashed : clear));
    }
    std::vector<std::optional<CommandRecord>> commands;
    if (batch.grouped() && requests.size() > 1) {
      // In one statement (and one NOTIFY): in a shared transaction a failed
      // insert fails the whole batch anyway, which then runs again alone.
      for (CommandRecord& command : commands_.enqueue_many(batch, requests))
        commands.emplace_back(std::move(command));
    } else {
      for (const CommandRequest& request : requests)
        commands.push_back(
            enqueue(batch, lock, request.charge_point_id, request.action, request.payload_json));
    }
    std::vector<LockPileChange> put;
    for (std::size_t i = 0; i < taking.size() && i < commands.size(); ++i) {
      if (!commands[i]) continue;  // the pile was removed; the sweep tries again
      LockPileChange set = *taking[i];
      set.next.command_id = commands[i]->id;
      set.expected_status = taking[i]->next.status;
      set.expected_command_id.reset();
      put.push_back(std::move(set));
    }
    locks(batch).change_piles(lock.id, put);
  });
}

void LockService::send_unlock(WriteBatch& batch, const LockRecord& lock,
                              const std::vector<LockPile>& piles) {
  if (piles.empty()) return;
  // UnlockVehicle must reach every pile that may hold the lock: the store
  // queues it and records it on the row in one statement, for rows still
  // pending or armed without one (an answer recorded meanwhile is seen: the
  // rows are locked first). The guard's rule (CommandGuard, refuse()) for
  // the lock's own UnlockVehicle, applied to the whole set: none to a pile
  // where another lock holds its vehicle.
  std::set<std::string> held_there;
  for (const LockRecord& other : locks(batch).list_active())
    if (other.id != lock.id && held(other) && other.charge_point_id)
      held_there.insert(*other.charge_point_id);
  std::vector<std::string> targets;
  targets.reserve(piles.size());
  for (const LockPile& pile : piles) {
    if (held_there.count(pile.charge_point_id) != 0) {
      log(fmt::format("lock {}: no UnlockVehicle to {}: another lock holds a vehicle there",
                      lock.id, pile.charge_point_id));
      continue;
    }
    targets.push_back(pile.charge_point_id);
  }
  if (targets.empty()) return;
  // In chunks, each its own commit (as the fan-out in dispatch()): the
  // first piles get UnlockVehicle while the next ones are written.
  LockDelivery delivery =
      delivery_of(lock, targets, lock_codec::unlock_vehicle_payload(lock.id), std::nullopt);
  ClaimedCommandSink* const sink = claimed_sink_.load(std::memory_order_acquire);
  if (sink != nullptr) delivery.claiming_node = sink->node_id();
  for_each_chunk(targets, [&](std::vector<std::string> chunk) {
    delivery.charge_point_ids = std::move(chunk);
    within(batch, [&](WriteBatch& batch) {
      hand_over(batch, sink, delivery, locks(batch).queue_unlock_vehicle(delivery));
    });
  });
}

void LockService::hand_over(WriteBatch& batch, ClaimedCommandSink* sink,
                            const LockDelivery& delivery, const LockDeliveryResult& written) {
  if (written.claimed.empty() || sink == nullptr) return;
  std::vector<CommandRecord> claimed;
  claimed.reserve(written.claimed.size());
  const Timestamp now = time_.now();
  for (const LockDeliveryResult::Claimed& c : written.claimed) {
    CommandRecord record;
    record.id = c.command_id;
    record.charge_point_id = c.charge_point_id;
    record.action = delivery.action;
    record.payload_json = c.hashed && delivery.hashed_payload_json ? *delivery.hashed_payload_json
                                                                   : delivery.payload_json;
    record.status = CommandStatus::Sent;
    record.origin = delivery.origin;
    record.created_at = now;
    record.expires_at = delivery.expires_at;
    record.sent_at = now;
    record.more_queued = false;  // claimed only with nothing queued before it
    claimed.push_back(std::move(record));
  }
  batch.after_commit(
      [sink, claimed = std::move(claimed)]() mutable { sink->deliver(std::move(claimed)); });
}

LockDelivery LockService::delivery_of(const LockRecord& lock,
                                      const std::vector<std::string>& charge_point_ids,
                                      const std::string& payload,
                                      const std::optional<std::string>& hashed_payload) const {
  // One payload for every pile: checked once, not once per pile.
  const NewCommand command = commands_.checked_for_fan_out(
      lock_command(lock, charge_point_ids.front(), "DataTransfer", payload));
  LockDelivery delivery;
  delivery.lock_id = lock.id;
  delivery.charge_point_ids = charge_point_ids;
  delivery.action = command.action;
  delivery.payload_json = command.payload_json;
  delivery.origin = command.origin;
  delivery.expires_at = command.expires_at;
  if (hashed_payload)
    delivery.hashed_payload_json =
        commands_
            .checked_for_fan_out(
                lock_command(lock, charge_point_ids.front(), "DataTransfer", *hashed_payload))
            .payload_json;
  return delivery;
}

void LockService::settle(WriteBatch& batch, const LockRecord& lock,
                         const std::vector<LockPile>& piles, LazyVehicle& vehicle) {
  const auto now = Clock::now();
  const bool is_active = active(lock);
  std::vector<LockPileChange> changes;
  std::vector<std::string> now_unsupported;
  std::vector<LockPile> to_rearm;
  std::vector<LockPile> to_unlock;
  for (const LockPile& pile : piles) {
    const PileStep step = next_step(is_active, pile, now);
    switch (step.kind) {
      case PileStep::None:
        break;
      case PileStep::Record: {
        LockPileChange change = change_of(pile);
        change.next.status = step.status;
        change.next.detail = step.detail;
        change.next.retry_at.reset();
        change.next.attempts = 0;
        changes.push_back(std::move(change));
        if (step.status == PileStatus::Unsupported) now_unsupported.push_back(pile.charge_point_id);
        break;
      }
      case PileStep::RetryLater: {
        LockPileChange change = change_of(pile);
        change.next.retry_at = now + backoff(pile.attempts);
        change.next.attempts = pile.attempts + 1;
        changes.push_back(std::move(change));
        break;
      }
      case PileStep::RearmNow:
        to_rearm.push_back(pile);
        break;
      case PileStep::UnlockAgain: {
        LockPile again = pile;
        again.unlock_command_id.reset();  // send_unlock records the new one
        // The old one is replaced only if the row is still as read.
        LockPileChange drop = change_of(pile);
        drop.next.unlock_command_id.reset();
        drop.next.retry_at.reset();
        within(batch, [&](WriteBatch& batch) {
          if (!locks(batch).change_piles(lock.id, {drop}).empty())
            send_unlock(batch, lock, {again});
        });
        break;
      }
    }
  }
  const auto changed = locks(batch).change_piles(lock.id, changes);
  rearm(batch, lock, to_rearm, vehicle);
  // A standard pile may authorize from its cache or local list: the cards
  // go on its list as Blocked and the cache is cleared, so it cannot start
  // charging on a cached Accepted while the central system is not asked.
  if (is_active && !now_unsupported.empty()) {
    const std::set<std::string> done(changed.begin(), changed.end());
    for (const std::string& id : now_unsupported)
      if (done.count(id) != 0) update_local_authorization(batch, lock, id, true);
  }
}

void LockService::update_local_authorization(WriteBatch& batch, const LockRecord& lock,
                                             const std::string& charge_point_id, bool block) {
  try {
    const auto vehicle = vehicle_of(batch, lock);
    if (!vehicle || vehicle->id_tags.empty()) return;
    // A differential update: the cards as Blocked while the lock is active,
    // removed from the list (no idTagInfo) when it ends.
    std::string entries = "[";
    for (const std::string& tag : vehicle->id_tags) {
      lock_codec::ObjectWriter entry;
      entry.add("idTag", tag);
      if (block) entry.add_raw("idTagInfo", R"({"status":"Blocked"})");
      entries += (entries.size() > 1 ? "," : "") + entry.str();
    }
    entries += "]";
    const int version = commands_.local_list_version(charge_point_id).value_or(0) + 1;
    CommandRequest list = lock_command(lock, charge_point_id, "SendLocalList",
                                       lock_codec::ObjectWriter()
                                           .add("listVersion", version)
                                           .add("updateType", "Differential")
                                           .add_raw("localAuthorizationList", entries)
                                           .str());
    // Once per lock and pile, whichever node gets there first.
    list.idempotency_key = fmt::format("lock:{}:{}:{}", lock.id,
                                       block ? "list-block" : "list-unblock", charge_point_id);
    commands_.enqueue(batch, list);
    if (block) {
      CommandRequest clear = lock_command(lock, charge_point_id, "ClearCache", "{}");
      clear.idempotency_key = fmt::format("lock:{}:clear-cache:{}", lock.id, charge_point_id);
      commands_.enqueue(batch, clear);
    }
  } catch (const std::exception& e) {
    log(fmt::format("local authorization update for {} (lock {}) not queued: {}", charge_point_id,
                    lock.id, e.what()));
  }
}

std::string LockService::lock_vehicle_payload(const LockRecord& lock, const Vehicle& vehicle,
                                              bool hashed) const {
  // A pile that declared hashed matching never learns the identifiers in
  // clear; a fresh salt per message (each carries its own).
  if (hashed)
    return lock_codec::lock_vehicle_hashed_payload(lock.id, random_hex(16), vehicle.vin,
                                                   vehicle.id_tags, vehicle.evcc_ids);
  return lock_codec::lock_vehicle_payload(lock.id, vehicle.vin, vehicle.id_tags, vehicle.evcc_ids);
}

std::optional<Vehicle> LockService::vehicle_of(WriteBatch& batch, const LockRecord& lock) {
  return batch.store(&Stores::vehicles, vehicles_).find_registration(lock.vin, lock.owner_id);
}

void LockService::dispatch(WriteBatch& batch, const LockRecord& lock) {
  const auto started = std::chrono::steady_clock::now();
  const auto vehicle = vehicle_of(batch, lock);
  if (!vehicle) return;
  std::vector<std::string> targets;
  for (ChargePointPlace& place : batch.store(&Stores::charge_points, charge_points_).list_places())
    if (in_scope(lock, place.location)) targets.push_back(std::move(place.id));
  // Thousands of piles: their commands and rows one statement and one
  // commit per chunk (the piles that declared hashed matching get the
  // hashed payload), so the first chunk's piles are claimed and sent while
  // the next ones are written. The lock turns armed once every chunk is
  // queued; a crash in between leaves it requested, and its next request
  // queues the rest (piles with a row are left out).
  if (!targets.empty()) {
    LockDelivery delivery = delivery_of(lock, targets, lock_vehicle_payload(lock, *vehicle, false),
                                        lock_vehicle_payload(lock, *vehicle, true));
    ClaimedCommandSink* const sink = claimed_sink_.load(std::memory_order_acquire);
    if (sink != nullptr) delivery.claiming_node = sink->node_id();
    for_each_chunk(targets, [&](std::vector<std::string> chunk) {
      delivery.charge_point_ids = std::move(chunk);
      try {
        within(batch, [&](WriteBatch& batch) {
          // Holding the lock's row, the piles armed before (a pile's boot,
          // the pile where the car charges) keep their row and get no
          // second LockVehicle, and no boot arms one meanwhile.
          locks(batch).hold(lock.id, true);
          hand_over(batch, sink, delivery, locks(batch).queue_lock_vehicle(delivery));
        });
      } catch (const RowNotFoundError&) {
        // A pile was removed meanwhile: arm the chunk's others one by one.
        for (const std::string& id : delivery.charge_point_ids) arm(batch, lock, *vehicle, id);
      }
    });
  }
  const std::size_t queued = targets.size();
  core_metrics().lock_fanout_seconds.observe(std::chrono::steady_clock::now() - started);
  core_metrics().lock_fanout_piles.add(queued);
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {LockStatus::Requested};
  update.to = LockStatus::Armed;
  update.cause = fmt::format("LockVehicle queued for {} pile(s) in scope", queued);
  if (auto armed = locks(batch).update(update))
    notify_state(batch, *armed, update.cause);
  else
    log(fmt::format("lock {}: LockVehicle queued for {} pile(s) in scope", lock.id, queued));
}

void LockService::disarm(WriteBatch& batch, const LockRecord& lock) {
  // Every armed (or still pending) pile gets UnlockVehicle; it stays armed
  // in the counts until it answers. Piles that answered they do not
  // support the extension get nothing. Thousands of piles: a few
  // statements and one commit.
  std::vector<LockPile> to_disarm;
  std::vector<std::string> listed;  // standard piles that got the cards as Blocked
  for (LockPile& pile : locks(batch).piles(lock.id)) {
    if (pile.status == PileStatus::Unsupported) listed.push_back(pile.charge_point_id);
    if (pile.status != PileStatus::Pending && pile.status != PileStatus::Armed) continue;
    if (pile.unlock_command_id) continue;  // on its way already
    if (answered_unsupported(pile)) {
      listed.push_back(pile.charge_point_id);
      continue;  // settled by the next reconcile
    }
    to_disarm.push_back(std::move(pile));
  }
  send_unlock(batch, lock, to_disarm);
  for (const std::string& id : listed) update_local_authorization(batch, lock, id, false);
}

}  // namespace chargelock::core
