#!/usr/bin/env bash
# ChargeLock memory soak: busy piles for a long time, the server's RSS sampled.
#
#   bench/soak.sh [MINUTES] [--piles N] [--sample S] [--warmup MIN] [--lock-every S]
#                 [--busy-idle S] [--busy-session S] [--busy-tags N] [--pg-fsync on|off]
#                 [--keep]
#
# MINUTES defaults to 60. Builds chargelock and pilesim (Release,
# build-bench-release/, as bench/run.sh does; SOAK_BIN_DIR=DIR uses the
# binaries DIR/app/chargelock and DIR/simulators/pilesim instead), starts a
# private PostgreSQL, registers the piles and the id tags BUSY-1..BUSY-N,
# runs pilesim in busy mode (random plug-ins and charging sessions with those
# tags) for MINUTES while a vehicle is locked and
# released through the API every --lock-every seconds (each lock fans out to
# every pile), and samples the server's RSS every --sample seconds. Prints
# the RSS after the warm-up, at the end, and the slope (least squares) over
# the second half; writes bench/results/soak-<UTC date>.{json,csv,txt}.
# SOAK_SERVER_WRAPPER="heaptrack -o FILE" runs the server under a tool;
# SOAK_SERVER_ARGS adds flags to `chargelock serve` (e.g.
# "--memory-trim-interval 0" for a run without trimming).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench
build=${BENCH_BUILD_DIR:-$root/build-bench-release}

minutes=60
piles=1000
sample_s=10
warmup_min=
lock_every=30
busy_idle=30
busy_session=90
busy_tags=200
pg_fsync=off
keep=0
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then minutes=$1; shift; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --piles) piles=$2; shift ;;
    --sample) sample_s=$2; shift ;;
    --warmup) warmup_min=$2; shift ;;
    --lock-every) lock_every=$2; shift ;;
    --busy-idle) busy_idle=$2; shift ;;
    --busy-session) busy_session=$2; shift ;;
    --busy-tags) busy_tags=$2; shift ;;
    --pg-fsync) pg_fsync=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in "$minutes" "$piles" "$sample_s" "$lock_every" "$busy_tags"; do
  [[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "soak: expected a positive whole number, got '$v'" >&2; exit 2; }
done
# Warm-up: the first quarter, at most 10 minutes (boot storm, first
# sessions, caches and the allocator's arenas filling).
[ -n "$warmup_min" ] || warmup_min=$(( minutes / 4 < 10 ? minutes / 4 : 10 ))
[ "$warmup_min" -ge 1 ] || warmup_min=1

log() { printf 'soak: %s\n' "$*" >&2; }
bench_name=soak
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"
command -v jq >/dev/null && command -v curl >/dev/null ||
  { echo "soak: needs jq and curl (apt-get install jq curl)" >&2; exit 1; }

# ------------------------------------------------------------------ build
if [ -n "${SOAK_BIN_DIR:-}" ]; then
  chargelock=$SOAK_BIN_DIR/app/chargelock
  pilesim=$SOAK_BIN_DIR/simulators/pilesim
else
  bench_build "$build" Release "${BENCH_BUILD_JOBS:-1}"
  chargelock=$build/app/chargelock
  pilesim=$build/simulators/pilesim
fi
[ -x "$chargelock" ] && [ -x "$pilesim" ] || { echo "soak: no $chargelock or $pilesim" >&2; exit 1; }

raise_fd_limit $((piles + 1024))

# ------------------------------------------------------------------ postgres
make_work_dir
start_postgres "$pg_fsync"
sql() { psql -qAt "$CHARGELOCK_DATABASE_URL" -c "$1"; }
"$chargelock" migrate >/dev/null
log "registering $piles piles SOAK-1..SOAK-$piles"
"$chargelock" chargepoint add-range SOAK- 1 "$piles" --password-pattern 'soak-pile-secret-{n}' >/dev/null

# ------------------------------------------------------------------ server
ocpp_port=$(free_port)
api_port=$(free_port)
admin_token=$(new_admin_token)
# shellcheck disable=SC2086 # the wrapper is a command line
${SOAK_SERVER_WRAPPER:-} "$chargelock" serve --ocpp-listen "127.0.0.1:$ocpp_port" \
  --api-listen "127.0.0.1:$api_port" --admin-token "$admin_token" --heartbeat-interval 60 \
  "${load_serve_flags[@]}" ${SOAK_SERVER_ARGS:-} >"$work/server.log" 2>&1 &
launcher_pid=$!
pids+=("$launcher_pid")
wait_port "$api_port" 120 "$launcher_pid" ||
  { tail -5 "$work/server.log" >&2; exit 1; }
# The chargelock process itself (a wrapper may be its parent).
server_pid=$(pgrep -n -f "$chargelock serve --ocpp-listen 127.0.0.1:$ocpp_port" || echo "$launcher_pid")
[ "$server_pid" = "$launcher_pid" ] || pids+=("$server_pid")
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0; }
log "server pid $server_pid, RSS $(rss_kb) KB before the piles"

api() {  # METHOD PATH TOKEN [BODY] -> prints "STATUS BODY"
  local out
  out=$(curl -s -m 10 -o - -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
    -H 'Content-Type: application/json' ${4:+--data "$4"} "http://127.0.0.1:$api_port/api/v1$2") || true
  printf '%s %s\n' "$(tail -1 <<<"$out")" "$(sed '$d' <<<"$out")"
}
created=$(api POST /owners "$admin_token" '{"name":"soak owner"}' | cut -d' ' -f2-)
owner_token=$(jq -r .token <<<"$created")
owner_id=$(jq -r .ownerId <<<"$created")
vin=WSTRESS0000000001  # 17 characters, no I, O or Q (a VIN)
api POST /idtags "$admin_token" "{\"idTag\":\"SOAKTAG1\",\"ownerId\":$owner_id}" >/dev/null
api POST /vehicles "$owner_token" "{\"vin\":\"$vin\",\"idTags\":[\"SOAKTAG1\"],\"evccIds\":[]}" >/dev/null
api POST "/vehicles/$vin/verify" "$admin_token" "{\"ownerId\":$owner_id}" >/dev/null
# The busy piles' cards: known, so that their sessions become transactions.
for t in $(seq 1 "$busy_tags"); do
  api POST /idtags "$admin_token" "{\"idTag\":\"BUSY-$t\"}" >/dev/null
done

# ------------------------------------------------------------------ run
duration_s=$((minutes * 60))
nice -n 5 "$pilesim" --url "ws://127.0.0.1:$ocpp_port/ocpp" --count "$piles" --id-pattern 'SOAK-{n}' \
  --password-pattern 'soak-pile-secret-{n}' --rate 500 --busy --busy-idle "$busy_idle" \
  --busy-session "$busy_session" --busy-tags "$busy_tags" --duration "$duration_s" --quiet --json \
  >"$work/pilesim.json" 2>"$work/pilesim.err" &
sim_pid=$!
pids+=("$sim_pid")

# Locks and releases: lock the vehicle (a fan-out to every pile), release
# it half a period later. Counted, not asserted: the soak measures memory.
(
  locks=0 releases=0
  while kill -0 "$sim_pid" 2>/dev/null; do
    sleep $((lock_every / 2))
    lock_id=$(api POST "/vehicles/$vin/lock" "$owner_token" '{}' | cut -d' ' -f2- | jq -r '.lockId // empty' 2>/dev/null || true)
    [ -n "$lock_id" ] && locks=$((locks + 1))
    sleep $((lock_every - lock_every / 2))
    if [ -n "$lock_id" ] && [ "$(api POST "/locks/$lock_id/release" "$owner_token" '{}' | cut -d' ' -f1)" = 202 ]; then
      releases=$((releases + 1))
    fi
    echo "$locks $releases" >"$work/locks.txt"
  done
) &
pids+=($!)

samples=$work/rss.csv
echo "seconds,rss_kb" >"$samples"
start=$(date +%s)
log "$piles busy piles for $minutes min (warm-up $warmup_min min), RSS every $sample_s s"
while kill -0 "$sim_pid" 2>/dev/null && kill -0 "$server_pid" 2>/dev/null; do
  t=$(( $(date +%s) - start ))
  [ "$t" -gt "$duration_s" ] && break
  echo "$t,$(rss_kb)" >>"$samples"
  if [ $((t % 300)) -lt "$sample_s" ]; then log "t=${t}s RSS $(rss_kb) KB"; fi
  sleep "$sample_s"
done
kill -0 "$server_pid" 2>/dev/null || { log "the server exited:"; tail -5 "$work/server.log" >&2; exit 1; }
end_rss=$(rss_kb)
wait "$sim_pid" 2>/dev/null || true

# ------------------------------------------------------------------ report
warm_s=$((warmup_min * 60))
half_s=$((duration_s / 2))
stats=$(awk -F, -v warm="$warm_s" -v half="$half_s" 'NR > 1 {
    if (warm_rss == "" && $1 >= warm) warm_rss = $2
    if ($1 >= half) { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
    if ($2 > peak) peak = $2
  } END {
    slope = (n > 1 && n * sxx - sx * sx != 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0
    printf "{\"warmupRssKb\":%d,\"peakRssKb\":%d,\"secondHalfSamples\":%d,\"secondHalfSlopeKbPerMin\":%.1f}", warm_rss, peak, n, slope * 60
  }' "$samples")
transactions=$(sql "SELECT count(*) FROM transactions")
meter_rows=$(sql "SELECT count(*) FROM meter_values")
read -r locks releases <"$work/locks.txt" 2>/dev/null || { locks=0; releases=0; }
sim=$(cat "$work/pilesim.json" 2>/dev/null || true)
[ -n "$sim" ] || sim='{}'
stamp=$(date -u +%Y-%m-%dT%H-%M-%SZ)
mkdir -p "$bench/results"
out=$bench/results/soak-$stamp
cp "$samples" "$out.csv"
jq -n --argjson stats "$stats" --argjson minutes "$minutes" --argjson piles "$piles" \
  --argjson warmup "$warmup_min" --argjson endrss "$end_rss" --argjson tx "$transactions" \
  --argjson meter "$meter_rows" --argjson locks "$locks" --argjson releases "$releases" \
  --argjson sim "$sim" --arg commit "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg wrapper "${SOAK_SERVER_WRAPPER:-}" --arg binary "$chargelock" \
  --arg server_args "${SOAK_SERVER_ARGS:-}" \
  '$stats + {minutes:$minutes, piles:$piles, warmupMinutes:$warmup, endRssKb:$endrss,
    transactions:$tx, meterValueRows:$meter, locks:$locks, releases:$releases,
    pilesimDisconnects: ($sim.disconnects // null), commit:$commit, server:$binary,
    serverWrapper:$wrapper, serverArgs:$server_args}' >"$out.json"
jq -r '"soak \(.minutes) min, \(.piles) busy piles (commit \(.commit), server \(.server)\(if .serverWrapper != "" then " under " + .serverWrapper else "" end))
warm-up RSS (at \(.warmupMinutes) min): \(.warmupRssKb) KB
end RSS:                        \(.endRssKb) KB (peak \(.peakRssKb) KB)
second-half slope:              \(.secondHalfSlopeKbPerMin) KB/min over \(.secondHalfSamples) samples
transactions \(.transactions), meter value rows \(.meterValueRows), locks \(.locks), releases \(.releases)"' \
  "$out.json" | tee "$out.txt"
log "wrote $out.{json,csv,txt}"
