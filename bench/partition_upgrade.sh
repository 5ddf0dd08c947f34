#!/usr/bin/env bash
# How long the upgrade across the partitioning migrations (0011: message_log,
# 0013: meter_values) takes on a populated database, and how long a write to
# each table waits meanwhile: a private PostgreSQL (scripts/postgres.sh) at
# the schema before 0011, filled with N message log and N meter value rows
# spread over the last 10 days, then every later migration applied one at a
# time as `chargelock` applies them (one transaction each). Prints the
# figures and the plan of the transaction page's meter values lookup.
#
#   bench/partition_upgrade.sh [--rows N] [--port P] [--keep]
# (defaults: 1,000,000 rows each, port 25001; --keep leaves the work folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=1000000 port=25001 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--rows N] [--port P] [--keep]" >&2; exit 2 ;;
  esac
done
log() { echo "partition_upgrade: $*"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/chargelock-partition-upgrade.XXXXXX")
chmod 755 "$work"
cleanup() {
  "$root/scripts/postgres.sh" stop "$work/pg" || true
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
url=$("$root/scripts/postgres.sh" start "$work/pg" "$port")
sql() { psql "$url" -X -v ON_ERROR_STOP=1 -qAt "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
version_of() { local v; v=$(basename "$1" | cut -c1-4); echo $((10#$v)); }

log "PostgreSQL $(sql -c 'SHOW server_version'), fsync $(sql -c 'SHOW fsync'),"\
" maintenance_work_mem $(sql -c 'SHOW maintenance_work_mem')"
for file in "$root"/storage/migrations/*.sql; do
  [ "$(version_of "$file")" -le 10 ] && sql -1 -f "$file" >/dev/null
done

log "filling $rows message log rows and $rows meter value rows (schema 0010)"
sql <<SQL
INSERT INTO charge_points (id) SELECT 'CP-' || p FROM generate_series(1, 1000) p;
-- Half MeterValues calls (~600 characters), half their answers.
INSERT INTO message_log (charge_point_id, direction, frame, received_at)
SELECT 'CP-' || (g % 1000 + 1), CASE WHEN g % 2 = 0 THEN 'in' ELSE 'out' END,
       CASE WHEN g % 2 = 0
            THEN '[2,"' || g || '","MeterValues",{"connectorId":1,"meterValue":[' ||
                 repeat('{"value":"1234.5","measurand":"Energy.Active.Import.Register"},', 8) || ']}]'
            ELSE '[3,"' || g || '",{}]' END,
       now() - interval '10 days' + g * (interval '10 days' / $rows)
  FROM generate_series(1, $rows) g;
-- 1,000 values per transaction, received over the last 10 days.
INSERT INTO transactions (charge_point_id, connector_id, id_tag, meter_start, start_timestamp, created_at)
SELECT 'CP-' || (t % 1000 + 1), 1, 'TAG', 0, now() - interval '10 days' + t * (interval '10 days' / ($rows / 1000)),
       now() - interval '10 days' + t * (interval '10 days' / ($rows / 1000))
  FROM generate_series(0, $rows / 1000 - 1) t;
INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp, value, measurand, unit, received_at)
SELECT 'CP-' || (g / 1000 % 1000 + 1), 1, g / 1000 + 1,
       now() - interval '10 days' + g * (interval '10 days' / $rows), g::text,
       'Energy.Active.Import.Register', 'Wh', now() - interval '10 days' + g * (interval '10 days' / $rows)
  FROM generate_series(0, $rows - 1) g;
VACUUM ANALYZE;
SQL
log "message_log $(sql -c "SELECT pg_size_pretty(pg_total_relation_size('message_log'))"),"\
" meter_values $(sql -c "SELECT pg_size_pretty(pg_total_relation_size('meter_values'))")"

# A one-row write to `table` while the migration runs: how long it waits.
probe() {
  case "$1" in
    message_log) echo "INSERT INTO message_log (charge_point_id, direction, frame, received_at) VALUES ('CP-1', 'in', 'probe', now())" ;;
    meter_values) echo "INSERT INTO meter_values (charge_point_id, connector_id, timestamp, value) VALUES ('CP-1', 1, now(), 'probe')" ;;
  esac
}
for file in "$root"/storage/migrations/*.sql; do
  [ "$(version_of "$file")" -le 10 ] && continue
  case "$(basename "$file")" in
    0011_*) table=message_log ;;
    0013_*) table=meter_values ;;
    *) table= ;;
  esac
  start=$(now_ms)
  sql -1 -f "$file" >/dev/null &
  migration=$!
  waited=
  if [ -n "$table" ]; then
    sleep 0.2
    probe_start=$(now_ms)
    sql -c "$(probe "$table")"
    waited=$(($(now_ms) - probe_start))
  fi
  wait "$migration"
  line="$(basename "$file"): $(($(now_ms) - start)) ms"
  [ -n "$waited" ] && line="$line; a write to $table issued 0.2 s in waited $waited ms"
  log "$line"
done

log "the transaction page's lookup (a transaction of 3 days ago, its 1,000 values):"
since=$(sql -c "SELECT created_at - interval '1 hour' FROM transactions WHERE id = $((rows / 1000 * 7 / 10))")
sql -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM meter_values WHERE transaction_id = $((rows / 1000 * 7 / 10)) AND received_at >= '$since'::timestamptz
  ORDER BY timestamp, id" | sed 's/^/  /'

log "the same lookup for a transaction stored two days after the upgrade: the legacy partition and"\
" the days before are left out by the planner"
sql -c "EXPLAIN (COSTS OFF)
  SELECT * FROM meter_values WHERE transaction_id = 1 AND received_at >= '$(sql -c "SELECT date_trunc('day', now()) + interval '2 days 1 hour'")'::timestamptz
  ORDER BY timestamp, id" | sed 's/^/  /'
