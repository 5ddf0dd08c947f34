#!/usr/bin/env bash
# /tmp/answers-wal.sh LABEL ROUND: one lock's write shape on 10,000 piles, WAL bytes and ms per step.
set -e
label=$1 round=$2 lock="L-$1-$2"
q() { psql -XAtq "$PGURL" "$@"; }
lsn() { q -c "SELECT pg_current_wal_insert_lsn()"; }
step() {  # NAME SQLFILE
  local a t0 t1 b

  a=$(lsn); t0=$(date +%s%3N); q -f "$2" >/dev/null; t1=$(date +%s%3N); b=$(lsn)
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$1" "$(q -c "SELECT pg_wal_lsn_diff('$b', '$a')")" "$((t1 - t0))"
}
q -c "INSERT INTO vehicle_locks (id, vin, owner_id, status, expires_at) SELECT '$lock', vin, owner_id, 'released', now() + interval '1 day' FROM vehicles LIMIT 1" >/dev/null
cat >/tmp/answers-wal-fanout.sql <<SQL
WITH c AS (INSERT INTO commands (charge_point_id, action, payload, origin, expires_at)
  SELECT id, 'DataTransfer', '{"lock":true}', 'lock:$lock', now() + interval '1 hour' FROM charge_points ORDER BY id
  RETURNING id, charge_point_id)
INSERT INTO vehicle_lock_piles (lock_id, charge_point_id, command_id) SELECT '$lock', charge_point_id, id FROM c;
SQL
: >/tmp/answers-wal-claim.sql; : >/tmp/answers-wal-complete.sql; : >/tmp/answers-wal-answer.sql
for i in $(seq 0 39); do
  lo=$((i * 250 + 1)) hi=$(((i + 1) * 250))
  r="charge_point_id IN (SELECT 'BENCH-' || g FROM generate_series($lo, $hi) g)"
  echo "UPDATE commands SET status = 'sent', sent_at = now(), claimed_by = 'n', message_id = 'm' WHERE id IN (SELECT command_id FROM vehicle_lock_piles WHERE lock_id = '$lock' AND $r);" >>/tmp/answers-wal-claim.sql
  echo "UPDATE commands SET status = 'completed', response = '{\"status\":\"Accepted\"}', completed_at = now() WHERE id IN (SELECT command_id FROM vehicle_lock_piles WHERE lock_id = '$lock' AND $r);" >>/tmp/answers-wal-complete.sql
  echo "WITH o AS (SELECT 1 FROM vehicle_lock_piles WHERE lock_id = '$lock' AND $r ORDER BY charge_point_id FOR UPDATE) UPDATE vehicle_lock_piles SET status = 'armed', detail = 'Accepted', attempts = 0, retry_at = NULL, updated_at = now() WHERE (SELECT count(*) FROM o) >= 0 AND lock_id = '$lock' AND $r;" >>/tmp/answers-wal-answer.sql
done
q -c "CHECKPOINT" >/dev/null
step fanout /tmp/answers-wal-fanout.sql
step claim /tmp/answers-wal-claim.sql
step complete /tmp/answers-wal-complete.sql
step answer /tmp/answers-wal-answer.sql
