// The durable command queue: central-system-initiated OCPP calls waiting
// for, travelling to, or answered by a charge point (the records are in
// core/command.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/command.h"
#include "core/timestamp.h"

namespace chargelock::core {

// Blocks until a charge point id is announced on the command channel (an
// enqueue anywhere), or the timeout passes. Owns its own database
// connection; use it from one thread only. After a lost connection it
// reconnects on the next wait() (and returns an empty list meanwhile).
class CommandWakeups {
 public:
  virtual ~CommandWakeups() = default;
  // Charge point ids announced since the last call (may repeat); empty after
  // the timeout. "*" stands for many piles at once (a batch): the caller
  // looks up which have queued commands; "*FIRST-LAST" (see
  // batch_wakeup()) for a batch whose commands' ids lie in FIRST..LAST:
  // the caller looks among those only.
  virtual std::vector<std::string> wait(std::chrono::milliseconds timeout) = 0;
};

// The ids of a batch of commands (a lock's fan-out chunk): FIRST..LAST,
// both included; other commands' ids may lie between.
struct CommandIdRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
};
// The range covering `range` (none: nothing yet) and `more`.
CommandIdRange covering(const std::optional<CommandIdRange>& range, const CommandIdRange& more);
// A batch's wake-up, "*FIRST-LAST", and back (nothing for anything else).
std::string batch_wakeup(const CommandIdRange& ids);
std::optional<CommandIdRange> parse_batch_wakeup(const std::string& wakeup);

class CommandStore {
 public:
  virtual ~CommandStore() = default;

  // Inserts a queued command and announces its charge point on the command
  // channel (NOTIFY chargelock_commands, '<chargePointId>') when the
  // transaction commits. When the charge point already has a command with
  // the same idempotency key, returns that one instead (inserted = false).
  // Throws NotFoundError for an unknown charge point.
  struct Enqueued {
    StoredCommand command;
    bool inserted = false;
  };
  virtual Enqueued enqueue(const NewCommand& command) = 0;
  // Inserts many commands (none may carry an idempotency key) in a few
  // statements and announces them with one notification ("*": every node
  // looks up which of its piles have queued commands). Returns
  // them in the order given. Throws NotFoundError when any charge point is
  // unknown (then none is queued).
  virtual std::vector<StoredCommand> enqueue_many(const std::vector<NewCommand>& commands) = 0;

  virtual std::optional<StoredCommand> find(std::int64_t id) = 0;
  // Newest first.
  virtual std::vector<StoredCommand> list(const CommandQuery& query) = 0;

  // Claims the oldest queued command of `charge_point_id` that has not
  // expired (FOR UPDATE SKIP LOCKED: concurrent claimers never get the same
  // one) and marks it sent by `node` now. Queued commands of that pile past
  // their expiry become expired first. Returns nothing when there is none,
  // or while another command of that pile is still sent and unanswered
  // (one outstanding CALL per pile). The claim takes the command's secret
  // out of the row: the returned record carries it, the row keeps none.
  virtual std::optional<StoredCommand> claim_next(const std::string& charge_point_id,
                                                  const std::string& node) = 0;
  // claim_next() for many charge points in one transaction and a few
  // statements (a lock's fan-out wakes thousands of piles at once): at most
  // one command per charge point, none for a charge point with a command
  // still sent. Charge points are locked in a fixed order (no deadlock
  // between batches of two nodes). Returns the claimed commands, each with
  // its secret.
  virtual std::vector<StoredCommand> claim_next_many(
      const std::vector<std::string>& charge_point_ids, const std::string& node) = 0;
  // A batch's wake-up (`ids`, see batch_wakeup()) claimed by the node that
  // heard it, without the round trip through its loop and workers (a lock's
  // fan-out queued by a process without an OCPP node; within one, the
  // fan-out claims for itself, see LockDelivery::claiming_node). Claims
  // what claim_next_many() would, limited to the commands with ids in `ids`:
  // per pile recorded as connected to `node` with a registration Accepted
  // and a boot on record, and without a command sent, its oldest unexpired
  // queued command when that one's id is in `ids` (FIFO per pile), marked
  // sent by `node`, each with its secret and more_queued. The per-pile
  // advisory locks of claim_next() and claim_next_many(), so a pump of the
  // pile racing this claim cannot send a second command; only those free at
  // once (never waiting, it cannot deadlock with the claims of a group
  // commit): a pile another claimer holds is left waiting. At most
  // `max_piles` piles are claimed for (their locks stay in PostgreSQL's lock
  // table until the commit). `waiting`: the other piles of `node` with a
  // queued command in `ids` (busy, not registered, an older command first,
  // locked, beyond max_piles, `excluded`), for the caller to pump as before.
  // `excluded`: piles not to claim for (the caller's piles whose sent
  // commands a reset of their new connection is about to time out: it
  // would time out a command claimed now too).
  // REQUIRES: ids.first <= ids.last, max_piles > 0.
  struct RangeClaim {
    std::vector<StoredCommand> claimed;
    std::vector<std::string> waiting;
  };
  virtual RangeClaim claim_in_range(const CommandIdRange& ids, const std::string& node,
                                    std::size_t max_piles,
                                    const std::vector<std::string>& excluded) = 0;
  // A claimed command that was never written to the pile goes back to the
  // queue (keeps its place: the queue is ordered by id) with `secret` (the
  // one claim_next() took out, sealed again). Only while sent.
  virtual bool unclaim(std::int64_t id, const std::optional<std::string>& secret) = 0;
  // Records the end of a sent command and applies `effects`. Only while the
  // command is still sent; returns false otherwise (then nothing changes).
  // Every final state (this, time-outs, expiry) drops the command's secret.
  virtual bool complete(std::int64_t id, const CommandResult& result,
                        const CommandEffects& effects) = 0;

  // complete() for many commands without effects, in one statement.
  // Returns the commands whose end was recorded (those still sent), as
  // stored now.
  struct Ended {
    std::int64_t id = 0;
    CommandResult result;
  };
  virtual std::vector<StoredCommand> complete_many(const std::vector<Ended>& ended) = 0;

  // Queued commands past their expiry become expired. Returns how many.
  virtual int expire_overdue() = 0;
  // Sent commands of a charge point (all, or only those sent before
  // `sent_before`) become timeout with `description`: no answer can come any
  // more. Returns how many.
  virtual int time_out_sent(const std::optional<std::string>& charge_point_id,
                            std::optional<Timestamp> sent_before,
                            const std::string& description) = 0;
  // time_out_sent() for the sent commands of many charge points (they
  // reconnected), in one statement.
  virtual int time_out_sent_many(const std::vector<std::string>& charge_point_ids,
                                 const std::string& description) = 0;
  // Active reservations past their expiry date become expired, and their
  // connectors' recorded status goes from Reserved back to Available.
  // Returns how many.
  virtual int expire_reservations() = 0;
  // Commands waiting for delivery ("queued") and for their answer ("sent"),
  // by status; both always present (for the /metrics queue depth).
  virtual std::vector<std::pair<std::string, std::int64_t>> pending_counts() = 0;
  // Charge points that have queued commands (for the periodic safety net),
  // only those recorded as connected to `node` when one is given, only
  // commands with ids in `ids` when given (a batch's wake-up).
  virtual std::vector<std::string> charge_points_with_queued(
      const std::optional<std::string>& node, const std::optional<CommandIdRange>& ids) = 0;

  virtual std::vector<ConfigurationKey> configuration(const std::string& charge_point_id) = 0;
  virtual std::optional<int> local_list_version(const std::string& charge_point_id) = 0;
  virtual std::vector<Reservation> reservations(const std::string& charge_point_id) = 0;

  // A listener on the command channel with its own connection.
  virtual std::unique_ptr<CommandWakeups> listen() = 0;
};

}  // namespace chargelock::core
