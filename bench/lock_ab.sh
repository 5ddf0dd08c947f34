#!/usr/bin/env bash
# Lock fan-out, two builds side by side on one database: before/after of a
# change at 10,000 piles on a machine too loaded for bench/run.sh's fresh
# database per run (there every run registers the piles and their first boot
# runs PBKDF2 for each: 10+ minutes per 10,000-pile run at load 15-20).
#
#   bench/lock_ab.sh N ROUNDS CHARGELOCK_A CHARGELOCK_B [PILESIM]
#
# One private PostgreSQL (fsync on), N piles registered once; then ROUNDS
# times A then B: the server started, N pilesim piles booted (after the
# first boot from the verified-credentials cache), a car locked by its
# owner and released, timed as bench/run.sh's scenario 3 (from the owner's
# POST to `armed` = N, from the release's POST to armed + pending = 0). The
# builds must share the database schema. One JSON line per run on stdout,
# with the lock's timeline (see timeline() below).
#
# LOCK_AB_SQL_A / LOCK_AB_SQL_B: SQL run on the database before each run
# of that build (e.g. a migration's index, created for B and dropped for A,
# so that A runs on the schema it knew).
#
# LOCK_AB_PROFILE=DIR: also, per run and phase (lock: POST to all armed;
# release: POST to all disarmed), PostgreSQL's statements by total time
# (pg_stat_statements) and the server's CPU by symbol (perf record -g on
# the chargelock process), as DIR/RUN-BUILD-PHASE-{statements,perf}.txt,
# and per run (lock and release together, read once the server has exited
# and its backends flushed their counters) the rows inserted, updated and
# HOT-updated in the lock's tables, as DIR/RUN-BUILD-tables.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench_name=lock-ab
keep=0
log() { echo "lock-ab: $*" >&2; }
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

[ $# -ge 4 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
n=$1 rounds=$2 build_a=$3 build_b=$4
pilesim=${5:-$root/build-bench-release/simulators/pilesim}
raise_fd_limit $((n + 2000))
make_work_dir
profile=${LOCK_AB_PROFILE:-}
if [ -n "$profile" ]; then
  mkdir -p "$profile"
  start_postgres on "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
  psql -q "$db_url" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
else
  start_postgres on
fi
CHARGELOCK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CHARGELOCK_SECRET_KEY
"$build_a" migrate >/dev/null
log "$("$build_a" chargepoint add-range BENCH- 1 "$n" --password-pattern 'bench-pile-secret-{n}')"
now_ms() { date +%s%3N; }
ocpp_port=$(free_port)
api_port=$(free_port)
admin_token=$(new_admin_token)
api() {  # METHOD PATH TOKEN [BODY] -> "status body"
  local out
  out=$(curl -s -m 10 -o - -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
    -H 'Content-Type: application/json' ${4:+--data "$4"} "http://127.0.0.1:$api_port/api/v1$2") || true
  printf '%s %s\n' "$(tail -1 <<<"$out")" "$(sed '$d' <<<"$out")"
}
# timeline LOCK_ID: where one lock's time went, read back from the database
# as one JSON object. Milliseconds from the lock's request (lock.*) and from
# its release (unlock.*): the commands queued (created), claimed (sent_at),
# written to the wire and their answers read (message log 'out' and 'in',
# joined by message id), the answers recorded (completed); p99 is the time
# by which 99 % of the piles' answers were read.
timeline() {
  psql "$db_url" -XAtq -v lock="$1" <<'SQL' 2>/dev/null || echo null
WITH t AS (SELECT min(at) FILTER (WHERE to_status = 'requested') AS t0,
                  min(at) FILTER (WHERE to_status IN ('cancelled', 'released')) AS t1
           FROM vehicle_lock_transitions WHERE lock_id = :'lock'),
c AS (SELECT CASE WHEN payload LIKE '%"messageId":"UnlockVehicle"%' THEN 'unlock' ELSE 'lock' END
             AS kind, created_at, sent_at, completed_at
      FROM commands WHERE origin = 'lock:' || :'lock' AND action = 'DataTransfer'),
o AS (SELECT charge_point_id, split_part(frame, '"', 2) AS mid, received_at AS out_at,
             CASE WHEN frame LIKE '%"messageId":"UnlockVehicle"%' THEN 'unlock' ELSE 'lock' END
             AS kind
      FROM message_log WHERE direction = 'out' AND frame LIKE '[2,%'
      AND frame LIKE '%' || :'lock' || '%' AND received_at >= (SELECT t0 FROM t)),
i AS (SELECT charge_point_id, split_part(frame, '"', 2) AS mid, received_at AS in_at
      FROM message_log WHERE direction = 'in' AND frame LIKE '[3,%'
      AND received_at >= (SELECT t0 FROM t)),
w AS (SELECT o.kind, o.out_at, i.in_at FROM o LEFT JOIN i USING (charge_point_id, mid)),
ms AS (SELECT kind, CASE kind WHEN 'lock' THEN (SELECT t0 FROM t) ELSE (SELECT t1 FROM t) END
              AS base FROM (VALUES ('lock'), ('unlock')) k(kind))
SELECT json_object_agg(ms.kind, json_build_object(
  'commands', (SELECT count(*) FROM c WHERE c.kind = ms.kind),
  'created', (SELECT json_build_array(round(extract(epoch FROM min(created_at) - ms.base) * 1000),
                     round(extract(epoch FROM max(created_at) - ms.base) * 1000))
              FROM c WHERE c.kind = ms.kind),
  'claimed', (SELECT json_build_array(round(extract(epoch FROM min(sent_at) - ms.base) * 1000),
                     round(extract(epoch FROM max(sent_at) - ms.base) * 1000))
              FROM c WHERE c.kind = ms.kind),
  'wire', (SELECT json_build_array(round(extract(epoch FROM min(out_at) - ms.base) * 1000),
                  round(extract(epoch FROM max(out_at) - ms.base) * 1000))
           FROM w WHERE w.kind = ms.kind),
  'answered', (SELECT json_build_array(round(extract(epoch FROM min(in_at) - ms.base) * 1000),
                      round(extract(epoch FROM percentile_disc(0.99) WITHIN GROUP (ORDER BY in_at)
                                    - ms.base) * 1000),
                      round(extract(epoch FROM max(in_at) - ms.base) * 1000))
               FROM w WHERE w.kind = ms.kind),
  'recorded', (SELECT json_build_array(round(extract(epoch FROM min(completed_at) - ms.base) * 1000),
                      round(extract(epoch FROM max(completed_at) - ms.base) * 1000))
               FROM c WHERE c.kind = ms.kind)))
FROM ms;
SQL
}
# profile_start RUN LABEL PHASE SERVER_PID / profile_stop: LOCK_AB_PROFILE's
# figures of one phase.
perf_pid=
profile_start() {
  [ -n "$profile" ] || return 0
  profile_name="$profile/$1-${2// /-}-$3"
  every_cpu_ticks >"$profile_name.ticks"
  profile_started_ms=$(date +%s%3N)
  psql -XAtq "$db_url" -c "SELECT pg_stat_statements_reset()" >/dev/null
  perf record -q -F 999 -g -p "$4" -o "$profile_name.perf.data" >/dev/null 2>&1 &
  perf_pid=$!
  sleep 0.2  # perf attached
}
profile_stop() {
  [ -n "$profile" ] || return 0
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  # Where both cores went during the phase, by process name (the server,
  # pilesim, PostgreSQL's backends together): CPU ms against the wall ms.
  local wall_ms=$(($(date +%s%3N) - profile_started_ms))
  cpu_by_process "$profile_name.ticks" "$wall_ms" >"$profile_name-cpu.txt" || true
  rm -f "$profile_name.ticks"
  perf report -i "$profile_name.perf.data" --no-children -g none --percent-limit 0.3 \
    --sort dso,sym --stdio 2>/dev/null |
    grep -v '^$' | head -120 >"$profile_name-perf.txt" || true
  rm -f "$profile_name.perf.data"
  psql -XAqt -F $'\t' "$db_url" -c "SELECT calls, round(total_exec_time::numeric, 1),
      round(mean_exec_time::numeric, 3), rows, regexp_replace(left(query, 200), '\s+', ' ', 'g')
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'chargelock')
    ORDER BY total_exec_time DESC LIMIT 30" >"$profile_name-statements.txt" || true
}
# tables_profile RUN LABEL: the lock's tables' row writes since the
# pg_stat_reset() before the lock (HOT: the update wrote no index entry).
tables_profile() {
  sleep 1  # the exited backends' counters reach the shared statistics
  psql -XAq -F $'\t' "$db_url" -c "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd,
      round(100.0 * n_tup_hot_upd / nullif(n_tup_upd, 0), 1) AS hot_pct
    FROM pg_stat_user_tables WHERE relname IN ('commands', 'vehicle_lock_piles', 'charge_points')
    ORDER BY relname" >"$profile/$1-${2// /-}-tables.txt" || true
}
owner_token=
run=0
one_run() {  # BUILD LABEL
  local hook=${LOCK_AB_SQL_A:-}
  [ "${2: -1}" = B ] && hook=${LOCK_AB_SQL_B:-}
  [ -z "$hook" ] || psql -XAtq "$db_url" -c "$hook" >/dev/null
  "$1" serve --ocpp-listen "127.0.0.1:$ocpp_port" --api-listen "127.0.0.1:$api_port" \
    --admin-token "$admin_token" --heartbeat-interval 60 --workers 4 \
    "${load_serve_flags[@]}" >"$work/server-$run.log" 2>&1 &
  local server=$!
  pids+=("$server")
  wait_port "$ocpp_port" 60 "$server" && wait_port "$api_port" 60 "$server"
  : >"$work/pilesim.err"
  "$pilesim" --url "ws://127.0.0.1:$ocpp_port/ocpp" --count "$n" --id-pattern 'BENCH-{n}' \
    --password-pattern 'bench-pile-secret-{n}' --rate 2000 --quiet --json --duration 3600 \
    >/dev/null 2>"$work/pilesim.err" &
  local sim=$!
  pids+=("$sim")
  local b0; b0=$(now_ms)
  wait_line "$work/pilesim.err" "piles booted after" 1800 "$sim" || log "$2: not all piles booted"
  local boot_ms=$(( $(now_ms) - b0 ))
  sleep 2
  if [ -z "$owner_token" ]; then
    local created; created=$(api POST /owners "$admin_token" '{"name":"bench owner"}' | cut -d' ' -f2-)
    owner_token=$(jq -r .token <<<"$created")
    owner_id=$(jq -r .ownerId <<<"$created")
  fi
  # A car per run (one active lock per car; the previous run's is released).
  local vin tag
  vin=$(printf 'WABRUN%011d' "$run")
  tag="T${vin:1}"
  api POST /idtags "$admin_token" "{\"idTag\":\"$tag\",\"ownerId\":$owner_id}" >/dev/null
  api POST /vehicles "$owner_token" "{\"vin\":\"$vin\",\"idTags\":[\"$tag\"],\"evccIds\":[]}" >/dev/null
  api POST "/vehicles/$vin/verify" "$admin_token" "{\"ownerId\":$owner_id}" >/dev/null
  [ -z "$profile" ] || psql -XAtq "$db_url" -c "SELECT pg_stat_reset()" >/dev/null
  profile_start "$run" "$2" lock "$server"
  local t0; t0=$(now_ms)
  local lock; lock=$(api POST "/vehicles/$vin/lock" "$owner_token" '{}' | cut -d' ' -f2- | jq -r '.lockId // empty')
  local armed=0 all_ms="" p99_ms="" deadline=$(( $(date +%s) + 120 ))
  while [ -n "$lock" ] && [ "$armed" -lt "$n" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    armed=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2- | jq -r '.piles.armed // 0' 2>/dev/null)
    armed=${armed:-0}
    if [ -z "$p99_ms" ] && [ "$armed" -ge $(( (n * 99 + 99) / 100 )) ]; then p99_ms=$(( $(now_ms) - t0 )); fi
  done
  [ "$armed" -ge "$n" ] && all_ms=$(( $(now_ms) - t0 ))
  profile_stop
  profile_start "$run" "$2" release "$server"
  local r0 release_ms=""
  r0=$(now_ms)
  api POST "/locks/$lock/release" "$owner_token" '{}' >/dev/null
  deadline=$(( $(date +%s) + 120 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local status; status=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2-)
    if [ "$(jq -r '(.piles.armed // 0) + (.piles.pending // 0)' <<<"$status")" = 0 ]; then
      release_ms=$(( $(now_ms) - r0 )); break
    fi
  done
  profile_stop
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  kill -TERM "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
  [ -z "$profile" ] || tables_profile "$run" "$2"
  local times=null
  [ -n "$lock" ] && times=$(timeline "$lock")
  jq -cn --arg build "$2" --argjson n "$n" --argjson boot "$boot_ms" --arg load "$load" \
    --argjson all "${all_ms:-null}" --argjson p99 "${p99_ms:-null}" --argjson rel "${release_ms:-null}" \
    --argjson times "${times:-null}" \
    '{build:$build, piles:$n, bootMs:$boot, allArmedMs:$all, p99ArmedMs:$p99, releaseMs:$rel, load:($load|tonumber), timeline:$times}'
  run=$((run + 1))
}
log "first boot (PBKDF2 for every pile, then cached): A, not timed"
one_run "$build_a" "warm-up A" >/dev/null
for _ in $(seq 1 "$rounds"); do
  one_run "$build_a" A
  one_run "$build_b" B
done
