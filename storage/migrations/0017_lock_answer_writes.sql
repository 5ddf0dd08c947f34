-- Fewer index entries written per lock answer (issue 14: a lock's 10,000
-- answers are recorded by PostgreSQL, ~300 us of its CPU a pile).
--
-- 1. vehicle_lock_piles: room on each page for the row's next version.
-- A lock's fan-out inserts all its pile rows in one statement, and at the
-- default fillfactor (100) every page is full. The answer's update changes
-- no indexed column (status, detail, attempts, updated_at; retry_at stays
-- NULL), yet with no room on the page the new version goes to another page
-- and all three indexes get a new entry: a HOT update needs the new version
-- on the same page. Half of each page is left free at insert; pruning on the
-- next visit of the page frees the dead versions again, so the release's
-- update (unlock_command_id) and its answer find room too. The table is
-- twice the size on disk; rows are read by key, never scanned whole.
ALTER TABLE vehicle_lock_piles SET (fillfactor = 50);

-- 2. commands: the idempotency key's uniqueness only over rows that have a
-- key. A command's status is in the partial indexes' predicates, so none of
-- its three writes (insert, claim, completion) is HOT, and each wrote an
-- entry into the (charge_point_id, idempotency_key) index even for the
-- commands without a key — every command of a lock's fan-out and every
-- operator command sent without an Idempotency-Key. NULL keys were never
-- unique against each other (NULLs are distinct), so the rule is unchanged:
-- one command per pile and key. Writers naming the conflict target must now
-- name the predicate (ON CONFLICT (charge_point_id, idempotency_key)
-- WHERE idempotency_key IS NOT NULL, storage/postgres/command_store.cpp).
CREATE UNIQUE INDEX commands_idempotency_unique_keyed ON commands (charge_point_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
ALTER TABLE commands DROP CONSTRAINT commands_idempotency_unique;
ALTER INDEX commands_idempotency_unique_keyed RENAME TO commands_idempotency_unique;
