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
# builds must share the database schema. One JSON line per run on stdout.
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
start_postgres on
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
owner_token=
run=0
one_run() {  # BUILD LABEL
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
  local t0; t0=$(now_ms)
  local lock; lock=$(api POST "/vehicles/$vin/lock" "$owner_token" '{}' | cut -d' ' -f2- | jq -r '.lockId // empty')
  local armed=0 all_ms="" p99_ms="" deadline=$(( $(date +%s) + 120 ))
  while [ -n "$lock" ] && [ "$armed" -lt "$n" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    armed=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2- | jq -r '.piles.armed // 0' 2>/dev/null)
    armed=${armed:-0}
    if [ -z "$p99_ms" ] && [ "$armed" -ge $(( (n * 99 + 99) / 100 )) ]; then p99_ms=$(( $(now_ms) - t0 )); fi
  done
  [ "$armed" -ge "$n" ] && all_ms=$(( $(now_ms) - t0 ))
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
  kill -TERM "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
  jq -cn --arg build "$2" --argjson n "$n" --argjson boot "$boot_ms" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
    --argjson all "${all_ms:-null}" --argjson p99 "${p99_ms:-null}" --argjson rel "${release_ms:-null}" \
    '{build:$build, piles:$n, bootMs:$boot, allArmedMs:$all, p99ArmedMs:$p99, releaseMs:$rel, load:($load|tonumber)}'
  run=$((run + 1))
}
log "first boot (PBKDF2 for every pile, then cached): A, not timed"
one_run "$build_a" "warm-up A" >/dev/null
for _ in $(seq 1 "$rounds"); do
  one_run "$build_a" A
  one_run "$build_b" B
done
