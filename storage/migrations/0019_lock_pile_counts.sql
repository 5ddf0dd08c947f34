-- A lock's pile counts kept as it changes, not counted per read.
--
-- Why: GET /locks/{id} (an owner polls it while the piles answer; the
-- console shows it) counted the lock's pile rows by status on every read:
-- 2.2-3.0 ms of PostgreSQL at 10,000 piles on a quiet machine, ~30 ms while
-- the same rows were being updated by the fan-out's answers, and linear in
-- the network (a 40,000-pile network-wide lock: ~10 ms a read). Issue 14's
-- API target is p99 < 20 ms under a flood.
--
-- How: every statement that inserts, updates or deletes pile rows adds one
-- row per (lock, status) whose count it changed, +n or -n (statement-level
-- triggers over the statement's transition tables: a batch of 250 answers
-- adds one or two rows, not 250). Insert-only, so concurrent writers never
-- wait for each other on a counter row; a read sums the lock's rows (a few
-- dozen); the lock sweep folds an active lock's rows into one per status
-- (LockStore::compact_pile_counts). Rows are visible with the transaction
-- that wrote them, so a read sees exactly the pile rows it would have
-- counted.
-- A lock deleted with its piles (its vehicle or owner deleted): the cascade
-- deletes its count rows; the pile rows' cascaded delete adds none for a
-- lock that is gone.
CREATE TABLE vehicle_lock_pile_counts (
  lock_id  text NOT NULL REFERENCES vehicle_locks (id) ON DELETE CASCADE,
  status   text NOT NULL,
  piles    integer NOT NULL
);
CREATE INDEX vehicle_lock_pile_counts_by_lock ON vehicle_lock_pile_counts (lock_id);

-- One function for the four triggers (PostgreSQL allows transition tables
-- only on a trigger of one event): TG_OP says which tables exist.
CREATE FUNCTION vehicle_lock_pile_counts_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM vehicle_lock_pile_counts;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO vehicle_lock_pile_counts (lock_id, status, piles)
    SELECT n.lock_id, n.status, count(*) FROM added_piles n
    WHERE EXISTS (SELECT 1 FROM vehicle_locks l WHERE l.id = n.lock_id)
    GROUP BY n.lock_id, n.status;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO vehicle_lock_pile_counts (lock_id, status, piles)
    SELECT o.lock_id, o.status, -count(*) FROM removed_piles o
    WHERE EXISTS (SELECT 1 FROM vehicle_locks l WHERE l.id = o.lock_id)
    GROUP BY o.lock_id, o.status;
  ELSE
    INSERT INTO vehicle_lock_pile_counts (lock_id, status, piles)
    SELECT d.lock_id, d.status, sum(d.piles) FROM (
      SELECT n.lock_id, n.status, 1 AS piles FROM changed_piles n
      UNION ALL SELECT o.lock_id, o.status, -1 FROM previous_piles o) d
    WHERE EXISTS (SELECT 1 FROM vehicle_locks l WHERE l.id = d.lock_id)
    GROUP BY d.lock_id, d.status HAVING sum(d.piles) <> 0;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER vehicle_lock_piles_counted_insert AFTER INSERT ON vehicle_lock_piles
  REFERENCING NEW TABLE AS added_piles
  FOR EACH STATEMENT EXECUTE FUNCTION vehicle_lock_pile_counts_change();
CREATE TRIGGER vehicle_lock_piles_counted_update AFTER UPDATE ON vehicle_lock_piles
  REFERENCING OLD TABLE AS previous_piles NEW TABLE AS changed_piles
  FOR EACH STATEMENT EXECUTE FUNCTION vehicle_lock_pile_counts_change();
CREATE TRIGGER vehicle_lock_piles_counted_delete AFTER DELETE ON vehicle_lock_piles
  REFERENCING OLD TABLE AS removed_piles
  FOR EACH STATEMENT EXECUTE FUNCTION vehicle_lock_pile_counts_change();

CREATE TRIGGER vehicle_lock_piles_counted_truncate AFTER TRUNCATE ON vehicle_lock_piles
  FOR EACH STATEMENT EXECUTE FUNCTION vehicle_lock_pile_counts_change();

-- The piles already there. The triggers exist from here on in this
-- transaction, whose CREATE TRIGGER holds off every writer of the pile rows
-- until it commits: nothing is counted twice or missed.
INSERT INTO vehicle_lock_pile_counts (lock_id, status, piles)
SELECT lock_id, status, count(*) FROM vehicle_lock_piles GROUP BY lock_id, status;
