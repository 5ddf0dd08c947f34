-- The dispatcher's claim (storage/postgres/command_store.cpp) asks, per pile
-- of a batch, "is one of its commands still sent?" and "which is its oldest
-- queued one?". Both questions must be answered through an index keyed by the
-- pile whatever the table's statistics say: a lock's fan-out turns 10,000 rows
-- queued -> sent -> completed within a second, long before autovacuum's next
-- ANALYZE, and with statistics taken before it the planner judged the
-- status-led indexes (commands_queued_by_expiry, commands_sent_by_time,
-- commands_by_status) cheapest and scanned every queued or sent row for each
-- pile: 46-106 ms per claim of 250 piles at 10,000, O(piles x fan-out), and the
-- lock's and release's fan-out spent most of their time there. Measured on a
-- copy of the shape (10,000 piles, 40 claims then 40 answer batches): 4.5 s
-- of claims before, 0.1 s after (bench/results/claim-plan-2026-11-28T00Z.txt).
--
-- So no index on commands leads with, or is restricted to, a status the claim
-- asks about except the two keyed by the pile:
-- * queued: commands_queued_by_charge_point (charge_point_id, id), kept;
-- * sent: commands_sent_by_charge_point (charge_point_id), UNIQUE — at most one
--   command of a pile is sent at a time (OCPP 1.6 §4.1.1, one CALL in flight;
--   the claim's per-pile advisory lock keeps it), now stated by the database.
-- The sweeps read those two partial indexes whole (queued and sent rows are
-- few outside a fan-out); listing by a final status keeps an index of its own.

-- A pile with more than one sent command (should not exist; a database from
-- before the advisory lock could hold one): all but its newest never get an
-- answer any more.
UPDATE commands SET status = 'timeout', error_code = 'Timeout', completed_at = now(),
  secret = NULL, error_description = 'superseded by a later command sent to the pile'
  WHERE status = 'sent' AND id NOT IN (
    SELECT max(id) FROM commands WHERE status = 'sent' GROUP BY charge_point_id);

DROP INDEX commands_queued_by_expiry;
DROP INDEX commands_sent_by_time;
DROP INDEX commands_by_status;
CREATE UNIQUE INDEX commands_sent_by_charge_point ON commands (charge_point_id)
  WHERE status = 'sent';
CREATE INDEX commands_ended_by_status ON commands (status, id)
  WHERE status NOT IN ('queued', 'sent');
