// Delivers the durable command queue (core::CommandService) to the piles
// connected to this OCPP node (SPEC §5 commands, §6 scale-out).
//
// Threads:
// - listener (one, owned here): LISTEN chargelock_commands on its own
//   database connection; a notification naming a pile asks for a pump of it;
//   one naming a batch's command ids (a lock's fan-out chunk) claims there
//   and then, on this thread's connection, the batch's commands of this
//   node's registered idle piles (CommandService::claim_in_range; not for
//   a pile whose new connection's reset is still to come), handed to the
//   loop as deliver() hands them, and asks for pumps of the others.
//   Every `scan_interval` (≤ 1 s) it also asks for a pump of every pile with
//   queued commands (a safety net for lost notifications), and now and then
//   expires overdue commands and times out sent ones nobody will answer.
// - loop (the OcppServer thread): pump requests, per-pile state, send_call.
// - workers (core::WorkQueue, shard = charge point id): claim and record.
//
// Per pile at most one command is in flight from this node: claimed (queued
// → sent, FOR UPDATE SKIP LOCKED) on a worker, handed to the session on the
// loop, its outcome recorded on a worker together with the claim of the
// pile's next command. Nothing is claimed for a pile before its session is
// registered (BootNotification accepted, or a pile accepted before that
// reconnected without a reboot: see ChargePointSession::registered).
//
// Batches: a lock's fan-out wakes thousands of piles at once, and their
// answers arrive within milliseconds of each other. Pumps asked for during
// one loop turn are claimed together (one statement per batch, not three per
// pile), and outcomes are recorded together (one UPDATE per batch, the lock
// told once per batch), each batch on a worker with group commit.
// Outcomes: CALLRESULT → completed; CALLERROR → failed (code, description,
// details); answer failing its schema → failed "InvalidResponse"; no answer
// in time, or connection closed after the CALL was written → timeout (never
// sent again); connection closed before it was written → queued again.
// When a pile (re)connects, its commands still "sent" on an older connection
// become timeout first: their answers cannot arrive any more.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/mutex.h"
#include "core/claimed_command_sink.h"
#include "core/command_service.h"
#include "core/work_queue.h"
#include "ocpp/charge_point_gateway.h"
#include "ocpp/rpc/charge_point_session.h"

namespace chargelock::ocpp {

struct CommandDispatcherOptions {
  // Safety-net scan for queued commands of connected piles.
  std::chrono::milliseconds scan_interval{1000};
  // How often overdue/stale commands are swept.
  std::chrono::milliseconds sweep_interval{5000};
  // A command sent longer ago than this without an answer is timed out by
  // the sweep (its node died or lost it). Use the CALL timeout plus a margin.
  std::chrono::milliseconds stale_after{std::chrono::seconds(40)};
  // Runs on the listener thread before it ends (e.g. to release its
  // per-thread database connection).
  std::function<void()> on_thread_exit;
  // Runs on the listener thread after each sweep (e.g. the vehicle lock
  // reconciling its piles with commands that were timed out in bulk).
  std::function<void()> after_sweep;
};

class CommandDispatcher final : public SessionObserver, public core::ClaimedCommandSink {
 public:
  using PostToLoop = std::function<void(std::function<void()>)>;
  using SessionLookup = std::function<std::shared_ptr<ChargePointSession>(const std::string&)>;

  // `post` runs a task on the loop thread (OcppServer::post); `session_of`
  // (loop thread) finds a pile's live session (ChargePointGateway). All
  // references must outlive the dispatcher.
  CommandDispatcher(core::CommandService& commands, core::WorkQueue& work, PostToLoop post,
                    SessionLookup session_of, CommandDispatcherOptions options = {});
  ~CommandDispatcher() override;  // stop()
  CommandDispatcher(const CommandDispatcher&) = delete;
  CommandDispatcher& operator=(const CommandDispatcher&) = delete;

  // Starts the listener thread. Call once, before or after the loop runs.
  void start();
  // Joins the listener thread; idempotent. Work already handed to the
  // WorkQueue still runs (stop the WorkQueue after ending the sessions).
  void stop();

  // Loop thread. Graceful stop (SIGTERM): from now on no command is claimed
  // or sent; one claimed but not yet written goes back to the queue. The
  // queued commands stay for the node the piles reconnect to (a CALL written
  // now would be cut off unanswered by the closing connection: timeout).
  void stop_sending();
  // Loop thread: piles with a claim or a CALL of ours not yet settled (its
  // outcome not yet recorded). A stopping node waits for these.
  std::size_t commands_in_flight() const;

  // Loop thread.
  void on_session_open(const std::string& charge_point_id) override;
  void on_session_closed(const std::string& charge_point_id) override;
  void on_session_registered(const std::string& charge_point_id) override;
  void request_pump(const std::string& charge_point_id);

  // core::ClaimedCommandSink: commands a lock's fan-out marked sent by this
  // node (any thread; each goes out on the loop as a claimed one would, or
  // back to the queue when its pile cannot take it now).
  const std::string& node_id() const override { return commands_.config().node_id; }
  void deliver(std::vector<core::CommandRecord> claimed) override;

 private:
  struct PileState {
    bool busy = false;           // a claim or a CALL of ours is in flight
    bool again = false;          // a pump was asked for while busy
    bool reset_pending = false;  // time out older "sent" ones before claiming
    // The claim of the CALL in flight saw another command of the pile queued
    // (or could not tell). Without one, nothing is claimed after its answer:
    // a command queued meanwhile announces itself (NOTIFY -> again) and the
    // once-a-second scan catches one whose wake-up was lost.
    bool more_queued = true;
  };
  using Claimed = std::vector<core::CommandRecord>;
  void pump(const std::string& charge_point_id);  // loop
  void flush();                                   // loop: hands the batches to workers
  // Worker: records `outcomes`, times out the sent commands of `resets`,
  // claims the next command of `to_claim` (unless `claim` is false: the node
  // is stopping) in `batch`; then on_claimed for `piles` on the loop once
  // durable (a pile of `piles` not claimed for is finished()).
  void run_batch(std::vector<core::CommandOutcome> outcomes, std::vector<std::string> resets,
                 std::vector<std::string> piles, std::vector<std::string> to_claim, bool claim,
                 core::WriteBatch& batch);
  void on_claimed(const std::vector<std::string>& piles, Claimed claimed);  // loop
  void take_claimed(core::CommandRecord command);                           // loop
  // Loop: a claimed command never written goes back to the queue (on a
  // worker; its wake-up pumps the pile again).
  void requeue(core::CommandRecord command);
  void send(const std::string& charge_point_id, core::CommandRecord command);  // loop
  void on_outcome(const std::string& charge_point_id, const core::CommandRecord& command,
                  CallOutcome outcome);               // loop
  void finished(const std::string& charge_point_id);  // loop
  void listen_loop();                                 // listener thread
  // Listener thread: the piles named by wake-ups to pump, batches looked
  // up; a batch's commands claimable at once are claimed and deliver()ed.
  std::vector<std::string> resolved(std::vector<std::string> woken);
  void post_pumps(std::vector<std::string> charge_point_ids);

  core::CommandService& commands_;
  core::WorkQueue& work_;
  PostToLoop post_;
  SessionLookup session_of_;
  CommandDispatcherOptions options_;
  std::unordered_map<std::string, PileState> piles_;  // loop thread only
  // The batch being gathered during this loop turn (loop thread only).
  struct Batch {
    std::vector<std::string> claims;  // piles whose next command to claim
    std::vector<std::string> resets;  // of those, piles on a new connection
    std::vector<core::CommandOutcome> outcomes;
    std::vector<std::string> answered;  // the piles of `outcomes`, claimed next
  };
  Batch batch_;
  // Piles on a new connection whose reset (their commands still sent time
  // out) is pending or not yet committed: the listener claims nothing for
  // them, the reset would time out that claim too (it was never written).
  // Added on the loop when a session opens, removed on a worker once the
  // reset committed.
  base::Mutex resetting_mutex_;
  std::unordered_set<std::string> resetting_ GUARDED_BY(resetting_mutex_);
  bool flush_posted_ = false;
  bool sending_ = true;  // loop thread only; see stop_sending()
  std::atomic<bool> stopping_{false};
  std::thread listener_;
};

}  // namespace chargelock::ocpp
