#!/usr/bin/env bash
# ChargeLock benchmark: one command, see bench/README.md.
#
#   bench/run.sh [--quick] [--sizes 1000,5000,10000] [--kinds heartbeat,status,meter]
#                [--flood-duration S] [--idle S] [--workers N] [--peer-pool N] [--rate R]
#                [--pg-fsync on|off] [--no-peer] [--no-limit] [--storms-only] [--keep]
#                [--scenarios capacity,roundtrip,lock,api,notify,scale-out] [--pg-stat-statements]
#                [--scale-out-nodes N] [--piles-per-sim N] [--haproxy-max-piles N]
#                [--storm-lock without|with|both] [--notify-piles N]
#
# Installs what is missing (npm packages of the peer, gnuplot, jq), builds
# chargelock, pilesim and chargelock-limit (Release, build-bench-release/),
# starts a private PostgreSQL in a temp folder, registers the piles, raises
# the open-file limit, runs every scenario at every size against ChargeLock,
# the ocpp-rpc peer and (round trips) the limit server, prints a table, and
# writes bench/results/<date>.json and bench/results/<date>.png.
# BENCH_CHARGELOCK=path measures another build.
# BENCH_SERVER_SETSID=1 starts the server in a session of its own (see try_start_server).
# scale-out (not in the default list): the piles over several `chargelock
# ocpp` nodes behind HAProxy, e.g. the 40,000-pile run:
#   bench/run.sh --scenarios scale-out --sizes 40000 --no-peer
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench
build=${BENCH_BUILD_DIR:-$root/build-bench-release}
build_type=${BENCH_BUILD_TYPE:-Release}
build_jobs=${BENCH_BUILD_JOBS:-1}

sizes=1000,5000,10000
kinds=heartbeat,status,meter
flood_s=30
idle_s=20
workers=4
peer_pool=10
rate=2000
heartbeat=60
pg_fsync=on
with_peer=1
with_limit=1
notify_piles=20
storms_only=0
keep=0
quick=0
scenarios=capacity,roundtrip,lock,api,notify
pg_stat=0
scale_nodes=4
piles_per_sim=10000
haproxy_max_piles=
storm_lock=both

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; sizes=200,1000; flood_s=8; idle_s=5 ;;
    --sizes) sizes=$2; shift ;;
    --kinds) kinds=$2; shift ;;
    --flood-duration) flood_s=$2; shift ;;
    --idle) idle_s=$2; shift ;;
    --workers) workers=$2; shift ;;
    --peer-pool) peer_pool=$2; shift ;;
    --rate) rate=$2; shift ;;
    --pg-fsync) pg_fsync=$2; shift ;;
    --no-peer) with_peer=0 ;;
    --no-limit) with_limit=0 ;;
    --storms-only) storms_only=1 ;;
    --keep) keep=1 ;;
    --scenarios) scenarios=$2; shift ;;
    --pg-stat-statements) pg_stat=1 ;;
    --scale-out-nodes) scale_nodes=$2; shift ;;
    --piles-per-sim) piles_per_sim=$2; shift ;;
    --haproxy-max-piles) haproxy_max_piles=$2; shift ;;
    --storm-lock) storm_lock=$2; shift ;;
    --notify-piles) notify_piles=$2; shift ;;  # VehicleLocked reports, 200 ms apart (p99 = max below 100)
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
IFS=, read -r -a size_list <<<"$sizes"
IFS=, read -r -a kind_list <<<"$kinds"
max_size=0
for n in "${size_list[@]}"; do
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || { echo "bench: bad size '$n'" >&2; exit 2; }
  [ "$n" -gt "$max_size" ] && max_size=$n
done
IFS=, read -r -a scenario_list <<<"$scenarios"
for s in "${scenario_list[@]}"; do
  case "$s" in capacity|roundtrip|lock|api|notify|scale-out) ;; *) echo "bench: bad scenario '$s'" >&2; exit 2 ;; esac
done
wanted() { [[ ",$scenarios," == *",$1,"* ]]; }
only_scale_out=0
[ "$scenarios" = scale-out ] && only_scale_out=1
case "$storm_lock" in without|with|both) ;; *) echo "bench: bad --storm-lock '$storm_lock'" >&2; exit 2 ;; esac
for k in "${kind_list[@]}"; do
  case "$k" in heartbeat|status|meter) ;; *) echo "bench: bad kind '$k'" >&2; exit 2 ;; esac
done

log() { printf 'bench: %s\n' "$*" >&2; }
bench_name=bench
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"

# ------------------------------------------------------------------ install
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  log "installing $* (apt-get)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null ||
    { as_root apt-get update >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "$@" >/dev/null; }
}
command -v jq >/dev/null || apt_install jq
command -v curl >/dev/null || apt_install curl
if wanted scale-out; then command -v haproxy >/dev/null || apt_install haproxy; fi
command -v gnuplot >/dev/null || apt_install gnuplot-nox || log "no gnuplot: the PNG plot is skipped"
# The notify scenario's probe (bench/notify/) uses the peer's `ws` package.
if [ "$with_peer" = 1 ] || wanted notify; then
  command -v node >/dev/null || apt_install nodejs npm
  if [ ! -d "$bench/peers/ocpp-rpc-csms/node_modules/ocpp-rpc" ] ||
     [ ! -d "$bench/peers/ocpp-rpc-csms/node_modules/pg" ]; then
    log "npm ci (bench/peers/ocpp-rpc-csms)"
    (cd "$bench/peers/ocpp-rpc-csms" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi

# ------------------------------------------------------------------ build
# scripts/setup.sh installs the missing Debian packages (PostgreSQL, the
# C++ libraries) and builds every target of this configuration.
if [ -n "${BENCH_CHARGELOCK:-}" ]; then
  # Another build of chargelock (e.g. the previous commit's) measured with
  # this script; pilesim from BENCH_PILESIM or built here.
  chargelock=$BENCH_CHARGELOCK
  log "chargelock: $chargelock (BENCH_CHARGELOCK)"
fi
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
  # Binaries built elsewhere (e.g. a copy of an earlier commit's, for a
  # before/after comparison in one session).
  log "using the binaries in $build as they are (BENCH_SKIP_BUILD=1)"
elif [ -z "${BENCH_CHARGELOCK:-}" ] || [ -z "${BENCH_PILESIM:-}" ]; then
  bench_build "$build" "$build_type" "$build_jobs"
fi
chargelock=${BENCH_CHARGELOCK:-$build/app/chargelock}
pilesim=${BENCH_PILESIM:-$build/simulators/pilesim}
limit_server=${BENCH_LIMIT:-$build/bench/chargelock-limit}
if [ "$with_limit" = 1 ] && [ ! -x "$limit_server" ]; then
  log "no $limit_server (an older build?): the limit reference is skipped"; with_limit=0
fi

# ------------------------------------------------------------------ limits
need_fds=$((max_size + 1024))
# Scale-out: each node and each pilesim process holds a share; HAProxy
# two descriptors a pile, split over several HAProxy processes (scale_out).
if [ "$only_scale_out" = 1 ]; then
  need_fds=$(( max_size / scale_nodes > piles_per_sim ? max_size / scale_nodes : piles_per_sim ))
  need_fds=$((need_fds + 1024))
fi
raise_fd_limit "$need_fds"
log "open-file limit (ulimit -n) raised to $fd_limit for chargelock, the peer and pilesim"
if [ "$fd_limit" != unlimited ] && [ "$fd_limit" -lt "$need_fds" ]; then
  log "warning: $max_size piles need about $need_fds descriptors per process"
fi

# ------------------------------------------------------------------ postgres
make_work_dir
pg_options=
[ "$pg_stat" = 1 ] && pg_options="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
start_postgres "$pg_fsync" "$pg_options"
[ "$pg_stat" = 1 ] && psql -q "${admin_url%/postgres}/chargelock" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
# As in production: the key that seals queued secrets and keys the
# verified-credentials cache (docs/security.md).
CHARGELOCK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CHARGELOCK_SECRET_KEY
postmaster_pid=$(head -1 "$work/pg/postmaster.pid")
sql() { psql -qAt "$db_url" -c "$1"; }

"$chargelock" migrate >/dev/null
log "registering $max_size piles BENCH-1..BENCH-$max_size (profile 1, PBKDF2-hashed passwords)"
register_line=$("$chargelock" chargepoint add-range BENCH- 1 "$max_size" --password-pattern 'bench-pile-secret-{n}')
log "${register_line#chargelock: }"
register_ms_per_pile=$(sed -n 's/.*, \([0-9.]*\) ms each.*/\1/p' <<<"$register_line")
register_s=$(sed -n 's/.* in \([0-9.]*\) s with.*/\1/p' <<<"$register_line")
if wanted notify; then
  "$chargelock" chargepoint add-range NOTIFY- 1 "$notify_piles" \
    --password-pattern 'notify-pile-secret-{n}' >/dev/null
fi

# ------------------------------------------------------------------ helpers
clk_tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {  # the postmaster and all its children
  local total=0 pid
  for pid in $postmaster_pid $(pgrep -P "$postmaster_pid" || true); do
    total=$((total + $(cpu_ticks "$pid")))
  done
  echo "$total"
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

server_pid=
server_url=
start_server() {  # $1 = chargelock | peer; three tries (a port may be taken meanwhile)
  local attempt
  for attempt in 1 2 3; do
    try_start_server "$1" && return 0
    log "starting $1 failed (attempt $attempt):"; tail -3 "$work/$1.log" >&2
    kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
  done
  exit 1
}
try_start_server() {  # $1 = chargelock | peer [$2 = OCPP port, $3 = API port: a restart]
  local port=${2:-$(free_port)}
  local logf=$work/$1.log
  server_port=$port
  # BENCH_SERVER_SETSID=1: the server in a session of its own, as a service
  # manager starts it; with the kernel's autogroup scheduling
  # (/proc/sys/kernel/sched_autogroup_enabled) it then no longer shares one
  # CPU share with pilesim and the probe, which this script starts.
  local launch=()
  [ "${BENCH_SERVER_SETSID:-0}" = 1 ] && launch=(setsid)
  if [ "$1" = chargelock ]; then
    api_port=${3:-$(free_port)}
    admin_token=$(new_admin_token)
    "${launch[@]}" "$chargelock" serve --ocpp-listen "127.0.0.1:$port" --api-listen "127.0.0.1:$api_port" \
      --admin-token "$admin_token" --heartbeat-interval "$heartbeat" --workers "$workers" \
      "${load_serve_flags[@]}" --webhook-allow-private >"$logf" 2>&1 &
    server_pid=$!
    wait_port "$port" 60 "$server_pid" || return 1
    wait_port "$api_port" 60 "$server_pid" || return 1
  elif [ "$1" = limit ]; then
    "${launch[@]}" "$limit_server" --listen "127.0.0.1:$port" >"$logf" 2>&1 &
    server_pid=$!
    wait_port "$port" 60 "$server_pid" || return 1
  else
    PEER_PORT=$port PEER_HOST=127.0.0.1 DATABASE_URL=$db_url PEER_PG_POOL=$peer_pool \
      PEER_HEARTBEAT_INTERVAL=$heartbeat "${launch[@]}" node "$bench/peers/ocpp-rpc-csms/server.mjs" >"$logf" 2>&1 &
    server_pid=$!
    wait_line "$logf" "listening on" 60 "$server_pid" || return 1
  fi
  pids+=("$server_pid")
  server_url="ws://127.0.0.1:$port/ocpp"
  [ -n "${2:-}" ] || sleep 1
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
meter_rows() {  # $1 = chargelock | peer | limit (keeps nothing)
  if [ "$1" = chargelock ]; then sql "SELECT count(*) FROM meter_values"
  elif [ "$1" = limit ]; then echo 0
  else sql "SELECT count(*) FROM ocpp_rpc_peer.meter_values" 2>/dev/null || echo 0; fi
}
log_rows() {  # $1 = chargelock | peer: frames in ChargeLock's message log (the peer keeps none)
  if [ "$1" = chargelock ]; then sql "SELECT count(*) FROM message_log"; else echo 0; fi
}
settled_log_rows() {  # $1: log_rows once the writer has caught up (two equal counts 1 s apart)
  local a b; a=$(log_rows "$1")
  while :; do sleep 1; b=$(log_rows "$1"); [ "$a" = "$b" ] && break; a=$b; done
  echo "$b"
}
run_pilesim() {  # N extra-args… ; writes $work/pilesim.{json,err}; sets sim_pid
  local n=$1; shift
  # Emptied here, not by the child's redirection: a wait_line right after
  # could otherwise still read the previous run's "piles booted after".
  : >"$work/pilesim.json"; : >"$work/pilesim.err"
  "$pilesim" --url "$server_url" --count "$n" --id-pattern 'BENCH-{n}' \
    --password-pattern 'bench-pile-secret-{n}' --rate "$rate" --quiet --json "$@" \
    >"$work/pilesim.json" 2>"$work/pilesim.err" &
  sim_pid=$!
  pids+=("$sim_pid")
}

results=$work/results.jsonl
: >"$results"
record() { jq -nc "$@" >>"$results"; }

# ------------------------------------------------------------------ scenario 1
capacity() {  # server N
  local server=$1 n=$2
  start_server "$server"
  local rss0; rss0=$(rss_kb "$server_pid")
  local t0; t0=$(now_ms)
  run_pilesim "$n"
  if ! wait_line "$work/pilesim.err" "piles booted after" $((60 + n / 20)) "$sim_pid"; then
    log "capacity $server $n: not all piles booted"; kill "$sim_pid" 2>/dev/null || true
  fi
  local booted_ms=$(( $(now_ms) - t0 ))
  sleep 3  # let the StatusNotifications after the boots settle
  local rss1; rss1=$(rss_kb "$server_pid")
  local c0 s0 p0; c0=$(cpu_ticks "$server_pid"); s0=$(cpu_ticks "$sim_pid"); p0=$(pg_ticks)
  sleep "$idle_s"
  local c1 s1 p1; c1=$(cpu_ticks "$server_pid"); s1=$(cpu_ticks "$sim_pid"); p1=$(pg_ticks)
  kill -TERM "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  local sim; sim=$(cat "$work/pilesim.json" 2>/dev/null || echo '{}')
  [ -n "$sim" ] || sim='{}'
  record --arg server "$server" --argjson n "$n" --argjson rss0 "$rss0" --argjson rss1 "$rss1" \
    --argjson booted_ms "$booted_ms" --argjson idle "$idle_s" --argjson tck "$clk_tck" \
    --argjson c "$((c1 - c0))" --argjson s "$((s1 - s0))" --argjson p "$((p1 - p0))" \
    --argjson sim "$sim" '{scenario:"capacity", server:$server, piles:$n,
      connected: ($sim.connected // null), booted: ($sim.booted // null),
      connectFailures: ($sim.connectFailures // null), disconnects: ($sim.disconnects // null),
      pilesimRssKb: ($sim.maxRssKb // null),
      bootStormSeconds: ($sim.allBootedSeconds // null),
      rssBeforeKb:$rss0, rssAfterKb:$rss1,
      rssPerPileKb: (($rss1 - $rss0) / (if ($sim.connected // 0) > 0 then $sim.connected else $n end)),
      idleServerCpuPercent: (100 * $c / $tck / $idle),
      idlePostgresCpuPercent: (100 * $p / $tck / $idle),
      idlePilesimCpuPercent: (100 * $s / $tck / $idle)}'
  tail -1 "$results" | jq -c '{server,piles,booted,connectFailures,bootStormSeconds,rssPerPileKb,idleServerCpuPercent}' >&2
}

# ------------------------------------------------------------------ scenario 2
round_trips() {  # server N kind
  local server=$1 n=$2 kind=$3
  local rows0; rows0=$(meter_rows "$server")
  local log0; log0=$(settled_log_rows "$server")
  run_pilesim "$n" --flood "$kind" --flood-duration "$flood_s" --flood-wait $((60 + n / 20))
  local c0=0 p0=0 c1=0 p1=0
  if wait_line "$work/pilesim.err" "flood .* begins" $((90 + n / 20)) "$sim_pid"; then
    c0=$(cpu_ticks "$server_pid"); p0=$(pg_ticks)
    wait_line "$work/pilesim.err" "flood window over" $((flood_s + 60)) "$sim_pid" || true
    c1=$(cpu_ticks "$server_pid"); p1=$(pg_ticks)
  fi
  wait "$sim_pid" 2>/dev/null || true
  sleep 1
  local rows1; rows1=$(meter_rows "$server")
  local log1; log1=$(settled_log_rows "$server")
  local sim; sim=$(cat "$work/pilesim.json" 2>/dev/null || echo '{}')
  [ -n "$sim" ] || sim='{}'
  record --arg server "$server" --argjson n "$n" --arg kind "$kind" \
    --argjson rows "$((rows1 - rows0))" --argjson logrows "$((log1 - log0))" --argjson tck "$clk_tck" \
    --argjson c "$((c1 - c0))" --argjson p "$((p1 - p0))" --argjson sim "$sim" \
    '{scenario:"roundtrip", server:$server, piles:$n, kind:$kind,
      perSecond: ($sim.flood.perSecond // 0), answered: ($sim.flood.answered // 0),
      sent: ($sim.flood.sent // 0), errors: (($sim.flood.callErrors // 0) + ($sim.flood.timeouts // 0)),
      unanswered: ($sim.flood.unanswered // 0),
      p50Ms: ($sim.flood.latencyMs.p50 // null), p99Ms: ($sim.flood.latencyMs.p99 // null),
      maxMs: ($sim.flood.latencyMs.max // null),
      windowSeconds: ($sim.flood.windowSeconds // 0),
      samplesSent: ($sim.flood.samplesSent // 0), samplesAnswered: ($sim.flood.samplesAnswered // 0),
      meterRows: $rows, messageLogRows: $logrows,
      serverCpuPercent: (if ($sim.flood.windowSeconds // 0) > 0 then 100 * $c / $tck / $sim.flood.windowSeconds else null end),
      postgresCpuPercent: (if ($sim.flood.windowSeconds // 0) > 0 then 100 * $p / $tck / $sim.flood.windowSeconds else null end),
      pilesimCpuPercent: ($sim.flood.cpuPercent // null)}'
  tail -1 "$results" | jq -c '{server,piles,kind,perSecond,p50Ms,p99Ms,meterRows,samplesAnswered}' >&2
}
# The ceiling: the same round trips against bench/limit/ (no database), run
# right after ChargeLock's run of the same kind so that both see the same
# load on this shared machine (run after all of ChargeLock's scenarios, the
# limit's own rate moved 2x between runs and the ratio meant nothing).
# ChargeLock stays up, idle, meanwhile, with the capacity step's piles.
limit_round_trips() {  # N kind
  local n=$1 kind=$2
  local kept_pid=$server_pid kept_url=$server_url kept_port=$server_port
  log "== limit, $n piles: round trips ($kind, ${flood_s} s)"
  start_server limit
  round_trips limit "$n" "$kind"
  stop_server
  server_pid=$kept_pid server_url=$kept_url server_port=$kept_port
}

# ------------------------------------------------------------------ scenarios 3, 4
api() {  # METHOD PATH TOKEN [BODY] -> prints "STATUS BODY"
  local out
  out=$(curl -s -m 10 -o - -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
    -H 'Content-Type: application/json' ${4:+--data "$4"} "http://127.0.0.1:$api_port/api/v1$2") || true
  printf '%s %s\n' "$(tail -1 <<<"$out")" "$(sed '$d' <<<"$out")"
}
lock_api_available() {
  local paths
  paths=$(curl -s -m 5 "http://127.0.0.1:$api_port/api/v1/openapi.json" | jq -r '.paths | keys[]' 2>/dev/null || true)
  grep -qx '/vehicles/{vin}/lock' <<<"$paths" && grep -qx '/locks/{lockId}' <<<"$paths" || return 1
  local probe; probe=$(api POST /vehicles/BENCHPROBE0000000/lock "$admin_token" '{}')
  [ "${probe%% *}" != 404 ] || grep -q 'vehicle' <<<"$probe"
}
owner_token=
owner_id=
ensure_owner() {  # sets owner_token; not inside $(...), where it would be lost
  if [ -z "$owner_token" ]; then
    local created; created=$(api POST /owners "$admin_token" '{"name":"bench owner"}' | cut -d' ' -f2-)
    owner_token=$(jq -r .token <<<"$created")
    owner_id=$(jq -r .ownerId <<<"$created")
  fi
}
id_tag_of() { echo "T${1:1}"; }  # a vehicle's card: unique per VIN (the VINs differ after the W)
registered_vehicle() {  # $1 = vin: registered, carded and verified (call ensure_owner first)
  local vin=$1 tag; tag=$(id_tag_of "$1")
  # As in production: the operator assigns the card and verifies the car.
  # (Until 2026-11-27 scenario 4's VIN held an I, which VINs never do, and
  # its card was the fan-out vehicle's ("T" + the last 8 characters): its
  # vehicle was refused, and scenario 4 timed 404s for lock "null".)
  api POST /idtags "$admin_token" "{\"idTag\":\"$tag\",\"ownerId\":$owner_id}" >/dev/null
  api POST /vehicles "$owner_token" "{\"vin\":\"$vin\",\"idTags\":[\"$tag\"],\"evccIds\":[]}" >/dev/null
  api POST "/vehicles/$vin/verify" "$admin_token" "{\"ownerId\":$owner_id}" >/dev/null
}
lock_vehicle() {  # $1 = vin; prints lockId; fails loudly
  local vin=$1 answer lock; answer=$(api POST "/vehicles/$vin/lock" "$owner_token" '{}')
  lock=$(cut -d' ' -f2- <<<"$answer" | jq -r '.lockId // empty' 2>/dev/null)
  if [ -z "$lock" ]; then log "locking $vin failed: $answer"; return 1; fi
  echo "$lock"
}
new_locked_vehicle() { registered_vehicle "$1" && lock_vehicle "$1"; }
# phase_cpu TITLE WALL_MS: the CPU by process since the last `every_cpu_ticks
# >"$work/cpu.ticks"` into the results' text (beside the statements), and
# the snapshot renewed for the next phase.
phase_cpu() {
  { echo "CPU: $1"; cpu_by_process "$work/cpu.ticks" "$2" | head -12; echo; } >>"$work/pg-statements.txt"
  every_cpu_ticks >"$work/cpu.ticks"
}
lock_fanout() {  # N (chargelock running, piles connected by the capacity step's pilesim)
  local n=$1
  run_pilesim "$n" --duration 3600
  wait_line "$work/pilesim.err" "piles booted after" $((60 + n / 20)) "$sim_pid" || true
  sleep 2
  local vin; vin=$(printf 'WBENCH%011d' "$n")
  ensure_owner
  registered_vehicle "$vin"
  # From the owner's POST (issue 14's target), not from registering the car.
  every_cpu_ticks >"$work/cpu.ticks"
  local t0; t0=$(now_ms)
  local lock; lock=$(lock_vehicle "$vin") || { kill -TERM "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; return 0; }
  local curve=$work/armed.txt; : >"$curve"
  local armed=0 deadline=$(( $(date +%s) + 60 ))
  while [ "$armed" -lt "$n" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    armed=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2- | jq -r '.piles.armed // 0' 2>/dev/null)
    armed=${armed:-0}  # no answer within curl's 10 s: counts as none armed yet
    echo "$(( $(now_ms) - t0 )) $armed" >>"$curve"
  done
  local all_ms; all_ms=$(awk -v n="$n" '$2 >= n {print $1; exit}' "$curve")
  local p99_ms; p99_ms=$(awk -v n="$n" '$2 >= 0.99 * n {print $1; exit}' "$curve")
  phase_cpu "lock fan-out, $n piles (POST to all armed)" $(( $(now_ms) - t0 ))
  local r0; r0=$(now_ms)
  api POST "/locks/$lock/release" "$owner_token" '{}' >/dev/null
  local status=""; deadline=$(( $(date +%s) + 60 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    status=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2-)
    # Released: no pile armed or still pending (a pile that is offline
    # counts as pendingOffline: it gets UnlockVehicle when it reconnects).
    [ "$(jq -r '(.piles.armed // 0) + (.piles.pending // 0)' <<<"$status")" = 0 ] && break
  done
  local release_ms=$(( $(now_ms) - r0 ))
  phase_cpu "lock release, $n piles (POST to none armed)" "$release_ms"
  kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true
  record --argjson n "$n" --argjson all "${all_ms:-null}" --argjson p99 "${p99_ms:-null}" \
    --argjson rel "$release_ms" '{scenario:"lock", server:"chargelock", piles:$n,
      allArmedMs:$all, p99ArmedMs:$p99, releaseMs:$rel}'
  tail -1 "$results" >&2
}
api_under_load() {  # N: API latency while a meter flood runs
  local n=$1 vin; vin=$(printf 'WBENCHAPX%08d' "$n")
  ensure_owner
  local lock; lock=$(new_locked_vehicle "$vin") || return 0
  run_pilesim "$n" --flood meter --flood-duration "$flood_s" --flood-wait $((60 + n / 20))
  wait_line "$work/pilesim.err" "flood .* begins" $((90 + n / 20)) "$sim_pid" || true
  local get=$work/api-get.txt post=$work/api-post.txt; : >"$get"; : >"$post"
  # The server's own timing of the same requests (chargelock_api_request_seconds,
  # head read to last byte written): what curl adds beyond it is the client
  # and the network waiting for a core.
  curl -s -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$api_port/metrics" \
    >"$work/api-metrics-before.txt" || true
  every_cpu_ticks >"$work/cpu.ticks"
  local t0; t0=$(now_ms)
  while kill -0 "$sim_pid" 2>/dev/null && ! grep -q "flood window over" "$work/pilesim.err"; do
    curl -s -o /dev/null -w '%{time_total} %{http_code}\n' -H "Authorization: Bearer $owner_token" \
      "http://127.0.0.1:$api_port/api/v1/locks/$lock" >>"$get" || true
    curl -s -o /dev/null -w '%{time_total} %{http_code}\n' -X POST -H "Authorization: Bearer $owner_token" \
      -H 'Content-Type: application/json' --data '{}' \
      "http://127.0.0.1:$api_port/api/v1/vehicles/$vin/lock" >>"$post" || true
  done
  curl -s -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$api_port/metrics" \
    >"$work/api-metrics-after.txt" || true
  phase_cpu "API requests under the flood, $n piles (the flood window)" $(( $(now_ms) - t0 ))
  wait "$sim_pid" 2>/dev/null || true
  # Released, as an owner would: the storm (scenario 5) starts from a network
  # without this lock.
  api POST "/locks/$lock/release" "$owner_token" '{}' >/dev/null
  pct() { sort -n "$1" | awk -v q="$2" '{a[NR]=$1} END {if (NR==0) {print "null"; exit}
    i=int(q*NR+0.999999); if (i<1) i=1; printf "%.2f\n", a[i]*1000}'; }
  # server_pct METHOD Q: the upper bound (ms) of the histogram bucket holding
  # quantile Q of the window's requests (bucket deltas between the scrapes).
  server_pct() {
    awk -v m="$1" -v q="$2" '
      index($0, "chargelock_api_request_seconds_bucket{method=\"" m "\",le=\"") == 1 {
        le = $0; sub(/.*le="/, "", le); sub(/".*/, "", le)
        if (FNR == NR) before[le] = $2; else { after[le] = $2; order[++n] = le } }
      END {
        if (n == 0) { print "null"; exit }
        total = after[order[n]] - before[order[n]]
        if (total <= 0) { print "null"; exit }
        for (i = 1; i <= n; i++) if (after[order[i]] - before[order[i]] >= q * total) {
          if (order[i] == "+Inf") print "null"; else printf "%.1f\n", order[i] * 1000; exit } }
    ' "$work/api-metrics-before.txt" "$work/api-metrics-after.txt" 2>/dev/null || echo null
  }
  local sim; sim=$(cat "$work/pilesim.json" 2>/dev/null || echo '{}')
  [ -n "$sim" ] || sim='{}'
  # The flood's own MeterValues round trip in the same window: the figure the
  # API is compared with when the machine's load moves between runs.
  record --argjson n "$n" --argjson g50 "$(pct "$get" 0.5)" --argjson g99 "$(pct "$get" 0.99)" \
    --argjson p50 "$(pct "$post" 0.5)" --argjson p99 "$(pct "$post" 0.99)" \
    --argjson count "$(wc -l <"$get")" --argjson sim "$sim" \
    --argjson bad "$(cat "$get" "$post" | awk '$2 !~ /^2/' | wc -l)" \
    --argjson sg50 "$(server_pct GET 0.5)" --argjson sg99 "$(server_pct GET 0.99)" \
    --argjson sp50 "$(server_pct POST 0.5)" --argjson sp99 "$(server_pct POST 0.99)" \
    '{scenario:"api", server:"chargelock", piles:$n,
      requests:$count, getLockP50Ms:$g50, getLockP99Ms:$g99, postLockP50Ms:$p50, postLockP99Ms:$p99,
      serverGetP50AtMostMs:$sg50, serverGetP99AtMostMs:$sg99,
      serverPostP50AtMostMs:$sp50, serverPostP99AtMostMs:$sp99,
      non2xxAnswers:$bad, floodPerSecond: ($sim.flood.perSecond // null),
      floodLatencyP50Ms: ($sim.flood.latencyMs.p50 // null), floodLatencyP99Ms: ($sim.flood.latencyMs.p99 // null)}'
  tail -1 "$results" >&2
}

# notify_latency N: a pile's VehicleLocked -> the owner's SSE event and
# webhook POST (bench/notify/notify_probe.mjs holds the probe piles, the
# stream and the webhook receiver, and times both against the report's
# send) with N piles connected and a meter flood running.
notify_latency() {
  local n=$1 vin; vin=$(printf 'WBENCHNTF%08d' "$n")
  ensure_owner
  local hook_port; hook_port=$(free_port)
  api PUT /webhook "$owner_token" "{\"url\":\"http://127.0.0.1:$hook_port/hook\"}" >/dev/null
  local lock; lock=$(new_locked_vehicle "$vin") || return 0
  local go=$work/notify-go; rm -f "$go"
  node "$bench/notify/notify_probe.mjs" --ocpp "$server_url" --api "http://127.0.0.1:$api_port/api/v1" \
    --token "$owner_token" --lock "$lock" --id-tag "$(id_tag_of "$vin")" --count "$notify_piles" \
    --webhook-port "$hook_port" --go-file "$go" --timeout $((120 + n / 20)) \
    >"$work/notify.json" 2>"$work/notify.err" &
  local probe_pid=$!
  pids+=("$probe_pid")
  wait_line "$work/notify.err" "waiting for the go-file" $((120 + n / 20)) "$probe_pid" || true
  run_pilesim "$n" --flood meter --flood-duration "$flood_s" --flood-wait $((60 + n / 20))
  wait_line "$work/pilesim.err" "flood .* begins" $((90 + n / 20)) "$sim_pid" || true
  sleep 2  # into the flood's steady state
  every_cpu_ticks >"$work/cpu.ticks"
  local t0; t0=$(now_ms)
  touch "$go"
  wait "$probe_pid" 2>/dev/null || true
  phase_cpu "VehicleLocked reports under the flood, $n piles (go to the probe's last event)" $(( $(now_ms) - t0 ))
  wait "$sim_pid" 2>/dev/null || true
  api DELETE /webhook "$owner_token" >/dev/null
  api POST "/locks/$lock/release" "$owner_token" '{}' >/dev/null
  local probe; probe=$(tail -1 "$work/notify.json" 2>/dev/null)
  jq -e . >/dev/null 2>&1 <<<"$probe" || { tail -5 "$work/notify.err" >&2; probe='{}'; }
  local sim; sim=$(cat "$work/pilesim.json" 2>/dev/null || echo '{}')
  [ -n "$sim" ] || sim='{}'
  record --argjson n "$n" --argjson probe "$probe" --argjson sim "$sim" \
    '{scenario:"notify", server:"chargelock", piles:$n, floodPerSecond: ($sim.flood.perSecond // null),
      floodLatencyP50Ms: ($sim.flood.latencyMs.p50 // null), floodLatencyP99Ms: ($sim.flood.latencyMs.p99 // null)} + $probe'
  tail -1 "$results" >&2
}

# pg_statements TITLE [CONDITION]: the statements that cost most since the
# last reset (--pg-stat-statements): calls, total and mean ms, rows; only
# those whose query text matches CONDITION (SQL on `query`) when given.
pg_statements() {
  echo "$1: statements by total time (pg_stat_statements)"
  psql -qAt -F $'\t' "$db_url" -c "SELECT calls, round(total_exec_time::numeric, 1),
      round(mean_exec_time::numeric, 3), rows, regexp_replace(left(query, 150), '\s+', ' ', 'g')
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'chargelock')
      AND (${2:-true}) ORDER BY total_exec_time DESC LIMIT 25" |
    awk -F'\t' 'BEGIN {printf "  %8s %10s %8s %8s  %s\n", "calls", "total ms", "mean ms", "rows", "query"}
                {printf "  %8s %10s %8s %8s  %s\n", $1, $2, $3, $4, $5}'
  echo
}

# ------------------------------------------------------------------ scenario 5
# Reconnect storm: N piles connected and booted, the server killed with
# SIGKILL (nothing closed, nothing saved on the way out), started again on
# the same port, and the N piles connect at once (pilesim at --rate, as the
# piles come back when the node does). Measured: from the restart (exec)
# until every pile has booted again; the restart until listening is part
# of it. The same for the peer.
# With a lock (ChargeLock, `--storm-lock with|both`): before the kill a
# network-wide lock (no scope: every pile) is made and armed on all N
# piles, as a stolen car's lock would be when a node crashes. The restarted
# piles (pilesim forgets what it was told, as a rebooted pile does) must
# each get LockVehicle again: measured until every pile answered Accepted to
# a LockVehicle queued after the restart ("all re-armed"), with how many
# were queued (exactly one a pile is right).
reconnect_storm() {  # server N [with-lock: 0|1]
  local server=$1 n=$2 with_lock=${3:-0}
  # From a network without locks or queued commands (the scenarios before
  # leave theirs): the plain storm carries no lock traffic, and the storm
  # with a lock carries only its own.
  reset_network
  start_server "$server"
  run_pilesim "$n" --duration 3600
  wait_line "$work/pilesim.err" "piles booted after" $((60 + n / 20)) "$sim_pid" ||
    log "reconnect storm $server $n: not all piles booted before the kill"
  local lock="" armed_ms=null
  if [ "$with_lock" = 1 ]; then
    if [ "$lock_api" = unknown ]; then
      if lock_api_available; then lock_api=yes; else lock_api=no; fi
    fi
    ensure_owner
    local vin; vin=$(printf 'WBENCHSTM%08d' "$n")
    local t_lock; t_lock=$(now_ms)
    lock=$(new_locked_vehicle "$vin") || lock=""
    if [ -n "$lock" ]; then
      local armed=0 deadline=$(( $(date +%s) + 60 + n / 100 ))
      while [ "$armed" -lt "$n" ] && [ "$(date +%s)" -lt "$deadline" ]; do
        armed=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2- | jq -r '.piles.armed // 0' 2>/dev/null)
        armed=${armed:-0}
        [ "$armed" -ge "$n" ] || sleep 0.2
      done
      armed_ms=$(( $(now_ms) - t_lock ))
      [ "$armed" -ge "$n" ] || log "reconnect storm $n: only $armed of $n piles armed before the kill"
    fi
  fi
  sleep 2  # ChargeLock writes the credentials it verified once a second
  local command0=0
  [ "$server" = chargelock ] && command0=$(sql "SELECT coalesce(max(id), 0) FROM commands")
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  kill -TERM "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  [ "$pg_stat" = 1 ] && [ "$server" = chargelock ] && sql "SELECT pg_stat_statements_reset()" >/dev/null
  local port=$server_port t0 attempt
  t0=$(now_ms)
  for attempt in 1 2 3 4 5; do
    try_start_server "$server" "$port" "${api_port:-}" && break
    log "restarting $server on port $port failed (attempt $attempt)"; tail -3 "$work/$server.log" >&2
    kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
    sleep 0.5
  done
  local ready_ms=$(( $(now_ms) - t0 ))
  run_pilesim "$n" --duration 3600
  if ! wait_line "$work/pilesim.err" "piles booted after" $((60 + n / 20)) "$sim_pid"; then
    log "reconnect storm $server $n: not all piles booted again"
  fi
  local booted_ms=$(( $(now_ms) - t0 ))
  # Re-armed: every pile answered Accepted to a LockVehicle of the lock
  # queued after the restart (from the commands' own completion times).
  local rearm='{}'
  if [ -n "$lock" ]; then
    local lv="origin = 'lock:$lock' AND action = 'DataTransfer' AND id > $command0
              AND payload::json->>'messageId' = 'LockVehicle'"
    local accepted=0 deadline=$(( $(date +%s) + 60 + n / 100 ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
      accepted=$(sql "SELECT count(DISTINCT charge_point_id) FROM commands WHERE $lv
                      AND status = 'completed' AND response::json->>'status' = 'Accepted'")
      [ "${accepted:-0}" -ge "$n" ] && break
      sleep 0.2
    done
    rearm=$(psql -qAt "$db_url" -c "SELECT json_build_object(
        'rearmedPiles', count(DISTINCT charge_point_id) FILTER (WHERE status = 'completed'
                          AND response::json->>'status' = 'Accepted'),
        'lockVehicleQueued', count(*),
        'pilesWithMoreThanOne', (SELECT count(*) FROM (SELECT charge_point_id FROM commands
                          WHERE $lv GROUP BY charge_point_id HAVING count(*) > 1) m),
        'lockVehicleNotCompleted', count(*) FILTER (WHERE status <> 'completed'),
        'restartToAllRearmedMs', CASE WHEN count(DISTINCT charge_point_id) FILTER (WHERE status = 'completed'
                          AND response::json->>'status' = 'Accepted') >= $n
                          THEN round(extract(epoch FROM max(completed_at)) * 1000 - $t0) END)
      FROM commands WHERE $lv")
    jq -e . >/dev/null 2>&1 <<<"$rearm" || rearm='{}'
  fi
  [ "$pg_stat" = 1 ] && [ "$server" = chargelock ] &&
    pg_statements "reconnect storm$([ -n "$lock" ] && echo ' with a lock armed'), $n piles (restart to all booted$([ -n "$lock" ] && echo ' and re-armed'))" >>"$work/pg-statements.txt"
  kill -TERM "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  local sim; sim=$(cat "$work/pilesim.json" 2>/dev/null || echo '{}')
  [ -n "$sim" ] || sim='{}'
  local deadlocks=0 arm_failures=0
  if [ "$server" = chargelock ]; then
    deadlocks=$(grep -c -e deadlock -e 'handler failed' "$work/$server.log" || true)
    arm_failures=$(grep -c -e 'arming .* failed' "$work/$server.log" || true)
  fi
  record --arg server "$server" --argjson n "$n" --argjson ready "$ready_ms" \
    --argjson booted "$booted_ms" --argjson dl "${deadlocks:-0}" --argjson sim "$sim" \
    --argjson withlock "$([ -n "$lock" ] && echo true || echo false)" --argjson armed "$armed_ms" \
    --argjson rearm "$rearm" --argjson af "${arm_failures:-0}" \
    '{scenario:"reconnect", server:$server, piles:$n, withLock:$withlock, restartToListeningMs:$ready,
      restartToAllBootedMs:$booted, booted: ($sim.booted // null),
      connectFailures: ($sim.connectFailures // null),
      bootsAccepted: ($sim.bootsAccepted // null), pilesimCallTimeouts: ($sim.callTimeouts // null),
      stormSeconds: ($sim.allBootedSeconds // null), deadlockOrHandlerFailureLines:$dl}
      + (if $withlock then {lockArmedBeforeKillMs:$armed, armingFailedLines:$af,
           pilesimLocksArmed: ($sim.locksArmed // null)} + $rearm else {} end)'
  tail -1 "$results" >&2
  stop_server
}

# ------------------------------------------------------------------ scenario 6
# Scale-out: N piles over $scale_nodes `chargelock ocpp` nodes sharing the
# database, behind HAProxy (mode tcp, leastconn, GET /readyz checks, as
# deploy/haproxy.cfg's ocpp_ws front), the piles from several pilesim
# processes of at most $piles_per_sim piles each (one process may hold at
# most 20,000 open files here), through as many HAProxy processes as the
# open-file limit needs (--haproxy-max-piles sets the share of one).
# Measured: the boot storm
# (start of the pilesims until all of them report every pile booted), each
# node's piles and RSS per pile (RSS growth / piles it holds), HAProxy's
# CPU (all its processes) during the storm and over the idle window
# (heartbeats only), and its RSS.
scale_out() {  # N
  local n=$1 i port
  local node_pids=() node_ports=()
  for i in $(seq 1 "$scale_nodes"); do
    port=$(free_port)
    "$chargelock" ocpp --node-id "bench-node-$i" --ocpp-listen "127.0.0.1:$port" \
      --heartbeat-interval "$heartbeat" --workers "$workers" --ocpp-connect-rate 0 \
      --log-level warn >"$work/node-$i.log" 2>&1 &
    node_pids+=($!); node_ports+=("$port"); pids+=($!)
  done
  for i in "${!node_ports[@]}"; do
    local deadline=$((SECONDS + 60))
    until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:${node_ports[$i]}/readyz"; do
      [ $SECONDS -lt $deadline ] || { log "scale-out: node $((i + 1)) not ready"; tail -3 "$work/node-$((i + 1)).log" >&2; return 1; }
      sleep 0.3
    done
  done
  local rss0=() ; for i in "${!node_pids[@]}"; do rss0+=("$(rss_kb "${node_pids[$i]}")"); done
  # One HAProxy holds two descriptors a pile and, like every process here,
  # at most `ulimit -Hn` (20,000 on this machine, not raisable even as
  # root): above that, several HAProxy instances, each with its own share
  # of the piles and the same nodes behind it (as several balancers behind
  # DNS or an L4 balancer would be in production; docs/capacity.md).
  local hard per_hap
  hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] && hard=$((4 * n + 1000))
  # HAProxy refuses to start unless 2 x maxconn (+ ~20 for its listeners
  # and checks) fits the limit; maxconn is the share + 500 (below).
  per_hap=${haproxy_max_piles:-$(( (hard - 1100) / 2 ))}
  local chunk=$(( piles_per_sim < per_hap ? piles_per_sim : per_hap ))
  local sims=$(( (n + chunk - 1) / chunk ))
  local haps=1
  [ "$n" -gt "$per_hap" ] && haps=$sims
  # Front ports: every pile connects from 127.0.0.1, and the kernel has
  # ~28,000 source ports per destination (32768-60999): one port per 20,000.
  local front_ports=() front_hap=() h f
  for h in $(seq 0 $((haps - 1))); do
    local share=$(( haps == 1 ? n : chunk ))
    for f in $(seq 1 $(( (share + 19999) / 20000 ))); do front_ports+=("$(free_port)"); front_hap+=("$h"); done
  done
  local hap_pids=()
  for h in $(seq 0 $((haps - 1))); do
    local cfg=$work/haproxy-$h.cfg
    {
      echo "global"
      echo "    maxconn $(( (haps == 1 ? n : chunk) + 500 ))"
      echo "defaults"
      echo "    mode tcp"
      echo "    timeout connect 3s"
      echo "    timeout client 120s"
      echo "    timeout server 120s"
      echo "    timeout tunnel 1h"
      echo "    retries 3"
      echo "    option redispatch 1"
      echo "    default-server inter 1s fall 2 rise 2"
      echo "    timeout check 3s"
      echo "frontend ocpp_ws"
      for f in "${!front_ports[@]}"; do
        [ "${front_hap[$f]}" = "$h" ] && echo "    bind 127.0.0.1:${front_ports[$f]}"
      done
      echo "    default_backend ocpp_ws_nodes"
      echo "backend ocpp_ws_nodes"
      echo "    balance leastconn"
      echo "    option httpchk GET /readyz"
      echo "    http-check expect status 200"
      for i in "${!node_ports[@]}"; do echo "    server ocpp-$((i + 1)) 127.0.0.1:${node_ports[$i]} check"; done
    } >"$cfg"
    haproxy -db -f "$cfg" >"$work/haproxy-$h.log" 2>&1 &
    hap_pids+=($!); pids+=($!)
  done
  sleep 3  # `rise 2` good checks of every node
  for h in "${!hap_pids[@]}"; do
    kill -0 "${hap_pids[$h]}" 2>/dev/null || { log "scale-out: HAProxy $h did not start"; tail -5 "$work/haproxy-$h.log" >&2; return 1; }
  done
  hap_ticks() { local t=0 p; for p in "${hap_pids[@]}"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }

  local sim_pids=() first=1 count url
  local h0; h0=$(hap_ticks)
  local t0; t0=$(now_ms)
  for i in $(seq 0 $((sims - 1))); do
    count=$(( n - first + 1 < chunk ? n - first + 1 : chunk ))
    if [ "$haps" = 1 ]; then url=${front_ports[$(( (first - 1) / 20000 ))]}; else url=${front_ports[$i]}; fi
    "$pilesim" --url "ws://127.0.0.1:$url/ocpp" \
      --count "$count" --first "$first" --id-pattern 'BENCH-{n}' \
      --password-pattern 'bench-pile-secret-{n}' --rate $(( rate / sims + 1 )) --quiet --json \
      --duration 3600 >"$work/sim-$i.json" 2>"$work/sim-$i.err" &
    sim_pids+=($!); pids+=($!)
    first=$((first + count))
  done
  local all=1
  for i in "${!sim_pids[@]}"; do
    wait_line "$work/sim-$i.err" "piles booted after" $((120 + n / 20)) "${sim_pids[$i]}" ||
      { all=0; log "scale-out: pilesim $i: not all piles booted"; }
  done
  local storm_ms=$(( $(now_ms) - t0 ))
  local h1; h1=$(hap_ticks)
  sleep 3
  local rss1=() held=()
  for i in "${!node_pids[@]}"; do
    rss1+=("$(rss_kb "${node_pids[$i]}")")
    held+=("$(sql "SELECT count(*) FROM charge_points WHERE online AND connected_node = 'bench-node-$((i + 1))'")")
  done
  local hi0; hi0=$(hap_ticks)
  sleep "$idle_s"
  local hi1; hi1=$(hap_ticks)
  local lock_rec; lock_rec=$(scale_out_lock "$n")
  local hap_rss=0 hap_fds=0 p
  for p in "${hap_pids[@]}"; do
    hap_rss=$((hap_rss + $(rss_kb "$p"))); hap_fds=$((hap_fds + $(ls "/proc/$p/fd" | wc -l)))
  done
  for i in "${!sim_pids[@]}"; do kill -TERM "${sim_pids[$i]}" 2>/dev/null || true; done
  for i in "${!sim_pids[@]}"; do wait "${sim_pids[$i]}" 2>/dev/null || true; done
  local booted=0 failures=0 b f
  for i in "${!sim_pids[@]}"; do
    b=$(jq -r '.booted // 0' "$work/sim-$i.json" 2>/dev/null || echo 0)
    f=$(jq -r '.connectFailures // 0' "$work/sim-$i.json" 2>/dev/null || echo 0)
    booted=$((booted + ${b:-0})); failures=$((failures + ${f:-0}))
  done
  local per_node="[]"
  for i in "${!node_pids[@]}"; do
    per_node=$(jq -c --argjson a "${rss0[$i]}" --argjson b "${rss1[$i]}" --argjson h "${held[$i]:-0}" \
      --arg node "bench-node-$((i + 1))" \
      '. + [{node:$node, piles:$h, rssBeforeKb:$a, rssAfterKb:$b,
             rssPerPileKb: (if $h > 0 then ($b - $a) / $h else null end)}]' <<<"$per_node")
  done
  local storm_s; storm_s=$(awk -v m="$storm_ms" 'BEGIN { printf "%.3f", m / 1000 }')
  record --argjson n "$n" --argjson nodes "$scale_nodes" --argjson sims "$sims" \
    --argjson booted "$booted" --argjson failures "$failures" --argjson all "$all" \
    --argjson storm "$storm_s" --argjson pernode "$per_node" --argjson tck "$clk_tck" \
    --argjson hs "$((h1 - h0))" --argjson hi "$((hi1 - hi0))" --argjson idle "$idle_s" \
    --argjson hrss "${hap_rss:-0}" --argjson hfds "$hap_fds" --argjson fronts "${#front_ports[@]}" --argjson haps "$haps" \
    --argjson lock "$lock_rec" \
    '{scenario:"scale-out", server:"chargelock", piles:$n, nodes:$nodes, pilesimProcesses:$sims,
      haproxyProcesses:$haps, haproxyFronts:$fronts, booted:$booted, connectFailures:$failures, allBooted:($all == 1),
      bootStormSeconds:$storm, perNode:$pernode,
      haproxyStormCpuPercent: (100 * $hs / $tck / $storm),
      haproxyIdleCpuPercent: (100 * $hi / $tck / $idle),
      haproxyRssKb:$hrss, haproxyOpenFiles:$hfds, lock:$lock}'
  tail -1 "$results" | jq -c '{piles,nodes,booted,bootStormSeconds,haproxyStormCpuPercent,haproxyIdleCpuPercent,lock}' >&2
  for p in "${hap_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for i in "${!node_pids[@]}"; do kill -TERM "${node_pids[$i]}" 2>/dev/null || true; done
  wait "${hap_pids[@]}" "${node_pids[@]}" 2>/dev/null || true
}

# scale_out_lock N: with the N piles connected over the nodes, a `chargelock
# api` process takes an owner's network-wide lock (no scope: every pile);
# timed from the POST until every pile answered Accepted (the lock's
# summary), and the release until none is armed or pending. Prints the
# record's "lock" object ({} when the lock could not be made).
scale_out_lock() {
  local n=$1 logf=$work/api-node.log
  api_port=$(free_port)
  admin_token=$(new_admin_token)
  "$chargelock" api --api-listen "127.0.0.1:$api_port" --admin-token "$admin_token" \
    "${load_serve_flags[@]}" >"$logf" 2>&1 &
  local api_pid=$!
  pids+=("$api_pid")
  if ! wait_port "$api_port" 60 "$api_pid"; then
    log "scale-out: the API node did not start"; tail -3 "$logf" >&2; echo '{}'; return 0
  fi
  ensure_owner
  local vin; vin=$(printf 'WBENCHSCL%08d' "$n")
  registered_vehicle "$vin"
  [ "$pg_stat" = 1 ] && psql -qAt "$db_url" -c "SELECT pg_stat_statements_reset()" >/dev/null
  every_cpu_ticks >"$work/cpu.ticks"
  local t0; t0=$(now_ms)
  local lock; lock=$(lock_vehicle "$vin") || { kill "$api_pid"; wait "$api_pid" 2>/dev/null; echo '{}'; return 0; }
  local curve=$work/scale-armed.txt; : >"$curve"
  local armed=0 deadline=$(( $(date +%s) + 60 + n / 200 ))
  while [ "$armed" -lt "$n" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    armed=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2- | jq -r '.piles.armed // 0' 2>/dev/null)
    armed=${armed:-0}
    echo "$(( $(now_ms) - t0 )) $armed" >>"$curve"
  done
  local all_ms; all_ms=$(awk -v n="$n" '$2 >= n {print $1; exit}' "$curve")
  local p99_ms; p99_ms=$(awk -v n="$n" '$2 >= 0.99 * n {print $1; exit}' "$curve")
  phase_cpu "scale-out lock fan-out, $n piles (POST to all armed)" $(( $(now_ms) - t0 ))
  if [ "$pg_stat" = 1 ]; then
    pg_statements "scale-out lock fan-out, $n piles (POST to all armed)" >>"$work/pg-statements.txt"
    psql -qAt "$db_url" -c "SELECT pg_stat_statements_reset()" >/dev/null
  fi
  local r0; r0=$(now_ms) status="" left=1
  api POST "/locks/$lock/release" "$owner_token" '{}' >/dev/null
  deadline=$(( $(date +%s) + 60 + n / 200 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    status=$(api GET "/locks/$lock" "$owner_token" | cut -d' ' -f2-)
    left=$(jq -r '(.piles.armed // 0) + (.piles.pending // 0)' <<<"$status" 2>/dev/null)
    [ "${left:-1}" = 0 ] && break
  done
  local release_ms=$(( $(now_ms) - r0 ))
  phase_cpu "scale-out lock release, $n piles (POST to none armed)" "$release_ms"
  [ "$pg_stat" = 1 ] &&
    pg_statements "scale-out lock release, $n piles (POST to none armed)" >>"$work/pg-statements.txt"
  kill -TERM "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true
  jq -nc --argjson all "${all_ms:-null}" --argjson p99 "${p99_ms:-null}" --argjson armed "$armed" \
    --argjson rel "$( [ "${left:-1}" = 0 ] && echo "$release_ms" || echo null)" \
    '{allArmedMs:$all, p99ArmedMs:$p99, armedAtEnd:$armed, releaseMs:$rel}'
}

# ------------------------------------------------------------------ run
started=$(date -u +%Y-%m-%dT%H-%M-%SZ)
servers=(chargelock)
[ "$with_peer" = 1 ] && servers+=(peer)
plotted=("${servers[@]}")
[ "$with_limit" = 1 ] && plotted+=(limit)
lock_api=unknown
# Each size starts from a network without locks or queued commands: the
# previous size's lock scenarios leave a lock whose LockVehicle commands (one
# per registered pile) would otherwise be delivered during the next boot
# storm and floods, and measured as their cost.
reset_network() {
  # Sightings first: they keep their lock (no cascade), and the notify
  # scenario's VehicleLocked reports leave some before a storm's reset.
  sql "DELETE FROM webhook_deliveries; DELETE FROM owner_notifications;
       DELETE FROM vehicle_lock_sightings; DELETE FROM vehicle_locks; DELETE FROM commands" >/dev/null
}

# The reconnect storm without a lock and (ChargeLock) with one armed on
# every pile (--storm-lock).
storms() {  # server N
  if [ "$storm_lock" != with ] || [ "$1" != chargelock ]; then
    log "== $1, $2 piles: reconnect storm after kill -9"
    reconnect_storm "$1" "$2" 0
  fi
  if [ "$storm_lock" != without ] && [ "$1" = chargelock ]; then
    log "== $1, $2 piles: reconnect storm after kill -9, a lock armed on every pile"
    reconnect_storm "$1" "$2" 1
  fi
}

for n in "${size_list[@]}"; do
  reset_network
  if wanted scale-out; then
    log "== chargelock, $n piles over $scale_nodes nodes behind HAProxy: scale-out"
    scale_out "$n" || log "scale-out $n: failed (above)"
  fi
  [ "$only_scale_out" = 1 ] && continue
  for server in "${servers[@]}"; do
    if [ "$storms_only" = 1 ] || wanted capacity; then
      log "== $server, $n piles: capacity"
      capacity "$server" "$n"
    else
      start_server "$server"
    fi
    if [ "$storms_only" = 1 ]; then
      stop_server
      storms "$server" "$n"
      continue
    fi
    if wanted roundtrip; then
      for kind in "${kind_list[@]}"; do
        log "== $server, $n piles: round trips ($kind, ${flood_s} s)"
        [ "$pg_stat" = 1 ] && sql "SELECT pg_stat_statements_reset()" >/dev/null
        round_trips "$server" "$n" "$kind"
        [ "$pg_stat" = 1 ] && pg_statements "$server round trips ($kind), $n piles" >>"$work/pg-statements.txt"
        if [ "$server" = chargelock ] && [ "$with_limit" = 1 ]; then limit_round_trips "$n" "$kind"; fi
      done
    fi
    if [ "$server" = chargelock ] && { wanted lock || wanted api || wanted notify; }; then
      if [ "$lock_api" = unknown ]; then
        if lock_api_available; then lock_api=yes; else lock_api=no; fi
      fi
      if [ "$lock_api" = yes ]; then
        if wanted lock; then
          [ "$pg_stat" = 1 ] && sql "SELECT pg_stat_statements_reset()" >/dev/null
          log "== chargelock, $n piles: lock fan-out"; lock_fanout "$n"
          [ "$pg_stat" = 1 ] && pg_statements "lock fan-out, $n piles" >>"$work/pg-statements.txt"
        fi
        if wanted api; then
          [ "$pg_stat" = 1 ] && sql "SELECT pg_stat_statements_reset()" >/dev/null
          log "== chargelock, $n piles: API under load"; api_under_load "$n"
          if [ "$pg_stat" = 1 ]; then
            pg_statements "API under load, $n piles" >>"$work/pg-statements.txt"
            # The API's own: BEGIN/COMMIT and the tables a lock request reads.
            pg_statements "API under load, $n piles, the API's statements" \
              "query ~ '^(BEGIN|COMMIT)' OR query ~ 'api_tokens|vehicle_registrations|vehicle_lock'" \
              >>"$work/pg-statements.txt"
          fi
        fi
        if wanted notify; then
          log "== chargelock, $n piles: VehicleLocked -> SSE and webhook under a meter flood"
          notify_latency "$n"
        fi
      else
        log "scenarios 3 (lock fan-out) and 4 (API under load): not available in this build" \
            "(POST /api/v1/vehicles/{vin}/lock, GET /api/v1/locks/{id} answer 404)"
      fi
    fi
    stop_server
    storms "$server" "$n"
  done
done

# ------------------------------------------------------------------ report
mkdir -p "$bench/results"
out=$bench/results/$started
jq -s --arg date "$started" --arg host "$(uname -n)" --argjson cpus "$(nproc)" \
  --arg fd "$fd_limit" --arg fsync "$pg_fsync" --argjson workers "$workers" --argjson peerpool "$peer_pool" \
  --argjson flood "$flood_s" --argjson idle "$idle_s" --argjson rate "$rate" \
  --arg build "$build_type" --arg lock "$lock_api" \
  --argjson reg "${register_ms_per_pile:-null}" --argjson regs "${register_s:-null}" \
  --arg commit "${BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}" \
  '{date:$date, host:$host, cpus:$cpus, commit:$commit, build:$build, openFileLimit:$fd,
    postgresFsync:$fsync, chargelockWorkers:$workers, peerPgPool:$peerpool, floodSeconds:$flood, idleSeconds:$idle,
    connectRate:$rate, lockApiAvailable:$lock,
    registration:{msPerPile:$reg, seconds:$regs},
    results: .,
    ratios: ([.[] | select(.scenario == "roundtrip")] | group_by([.piles, .kind]) | map(
      {piles: .[0].piles, kind: .[0].kind,
       chargelock: (map(select(.server == "chargelock"))[0].perSecond),
       peer: (map(select(.server == "peer"))[0].perSecond),
       limit: (map(select(.server == "limit"))[0].perSecond)}
      | . + {ratio: (if (.peer // 0) > 0 then .chargelock / .peer else null end),
             ofLimit: (if (.limit // 0) > 0 then .chargelock / .limit else null end)}))}' \
  "$results" >"$out.json"

{
  echo
  echo "ChargeLock benchmark $started — $(nproc) CPUs shared by server, PostgreSQL and pilesim;" \
       "ulimit -n $fd_limit; PostgreSQL fsync=$pg_fsync; chargelock --workers $workers, peer pg pool $peer_pool"
  echo "registration: $max_size piles in ${register_s:-?} s (${register_ms_per_pile:-?} ms/pile, PBKDF2)"
  if [ "$only_scale_out" = 0 ]; then
  echo
  echo "1. capacity (connected + booted + heartbeating every ${heartbeat} s, idle window ${idle_s} s)"
  jq -r 'select(.scenario == "capacity") | [.server, .piles, .booted,
     (.bootStormSeconds // "-"), (.rssPerPileKb | . * 100 | round / 100),
     (.idleServerCpuPercent | . * 10 | round / 10), (.idlePostgresCpuPercent | . * 10 | round / 10),
     (.idlePilesimCpuPercent | . * 10 | round / 10)] | @tsv' "$results" |
    awk 'BEGIN {printf "  %-10s %7s %7s %10s %10s %9s %9s %9s\n", "server", "piles", "booted",
           "storm s", "KB/pile", "cpu %", "pg cpu %", "sim cpu %"}
         {printf "  %-10s %7s %7s %10s %10s %9s %9s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8}'
  echo
  echo "2. round trips (one CALL outstanding per pile, ${flood_s} s window)"
  jq -r 'select(.scenario == "roundtrip") | [.server, .piles, .kind, (.perSecond | round),
     .p50Ms, .p99Ms, .maxMs, .errors, .unanswered,
     (if .kind == "meter" then "\(.meterRows)/\(.samplesAnswered)" else "-" end),
     (.serverCpuPercent // 0 | round), (.postgresCpuPercent // 0 | round),
     (.pilesimCpuPercent // 0 | round)] | @tsv' "$results" |
    awk -F'\t' 'BEGIN {printf "  %-10s %6s %-9s %8s %8s %8s %8s %5s %5s %17s %6s %6s %6s\n", "server",
           "piles", "kind", "msg/s", "p50 ms", "p99 ms", "max ms", "err", "lost", "rows/samples",
           "cpu%", "pg%", "sim%"}
         {printf "  %-10s %6s %-9s %8s %8.1f %8.1f %8.1f %5s %5s %17s %6s %6s %6s\n",
           $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13}'
  jq -r 'select(.scenario == "roundtrip" and .server == "chargelock") |
     "   message log, \(.piles) \(.kind): \(.messageLogRows) frames kept for \(.answered) answered calls" +
     (if .messageLogRows >= 2 * .answered then " (every call and answer, and the boot before it)"
      else " (FEWER than 2 per call: frames were dropped)" end)' "$results"
  echo
  echo "   ChargeLock / peer and ChargeLock / limit (answered msg/s; goal: heartbeat >= 0.7 x limit, status and meter >= 0.5 x)"
  jq -r 'def r: if type == "number" then (. * 100 | round / 100 | tostring) + "×" else "-" end;
     .ratios[] | "  \(.piles)\t\(.kind)\t\(.ratio | r)\t\(.ofLimit | r)"' "$out.json" |
    awk -F'\t' 'BEGIN {printf "  %6s %-9s %8s %8s\n", "piles", "kind", "/ peer", "/ limit"}
                 {printf "  %6s %-9s %8s %8s\n", $1, $2, $3, $4}'
  echo
  if [ "$lock_api" = yes ]; then
    echo "3. lock fan-out"
    jq -r 'select(.scenario == "lock") | "  \(.piles) piles: all armed \(.allArmedMs) ms, 99 % armed \(.p99ArmedMs) ms, released \(.releaseMs) ms"' "$results"
    echo "4. API under a meter flood"
    jq -r 'select(.scenario == "api") | "  \(.piles) piles, \(.requests) requests: GET /locks/{id} p50 \(.getLockP50Ms) p99 \(.getLockP99Ms) ms; POST /vehicles/{vin}/lock p50 \(.postLockP50Ms) p99 \(.postLockP99Ms) ms (the server'"'"'s own timing, histogram bucket bounds: GET p50 <= \(.serverGetP50AtMostMs // "?") p99 <= \(.serverGetP99AtMostMs // "?"), POST p50 <= \(.serverPostP50AtMostMs // "?") p99 <= \(.serverPostP99AtMostMs // "?") ms); \(.non2xxAnswers // "?") answers not 2xx; the flood'"'"'s MeterValues round trip p50 \(.floodLatencyP50Ms // "?") p99 \(.floodLatencyP99Ms // "?") ms"' "$results"
    echo "6. VehicleLocked -> owner's SSE event and webhook POST (piles connected, meter flood running)"
    jq -r 'select(.scenario == "notify") | "  \(.piles) piles + \(.probePiles // "?") probe piles (flood \(.floodPerSecond // "?" | if type == "number" then round else . end) msg/s): \(.sent // 0) reports, \(.accepted // 0) Accepted (answer p50 \(.answer.p50Ms) p99 \(.answer.p99Ms) ms; a flood MeterValues p50 \(.floodLatencyP50Ms // "?") p99 \(.floodLatencyP99Ms // "?") ms); SSE \(.sse.received // 0)/\(.sent // 0) p50 \(.sse.p50Ms) p90 \(.sse.p90Ms // "?") p99 \(.sse.p99Ms) max \(.sse.maxMs) ms; webhook \(.webhook.received // 0)/\(.sent // 0) p50 \(.webhook.p50Ms) p90 \(.webhook.p90Ms // "?") p99 \(.webhook.p99Ms) max \(.webhook.maxMs) ms"' "$results"
  else
    echo "3./4. lock fan-out and API under load: not available in this build"
  fi
  echo
  [ -s "$work/pg-statements.txt" ] && cat "$work/pg-statements.txt"
  echo "5. reconnect storm (kill -9 with the piles connected, restart on the same port, all piles at once)"
  echo "   with a lock: a network-wide lock armed on every pile before the kill; re-armed = every pile answered"
  echo "   Accepted to a LockVehicle queued after the restart (from the restart); LockVehicle = queued after it / piles"
  jq -r 'select(.scenario == "reconnect") | [.server, .piles, (if .withLock then "yes" else "no" end), .booted,
     (.restartToListeningMs / 1000), (.stormSeconds // "-"), (.restartToAllBootedMs / 1000),
     (if .withLock then (.restartToAllRearmedMs // "-" | if type == "number" then . / 1000 | tostring else . end) else "-" end),
     (if .withLock then "\(.lockVehicleQueued // "?")/\(.piles)" else "-" end),
     (.deadlockOrHandlerFailureLines + (.armingFailedLines // 0))] | @tsv' "$results" |
    awk -F'\t' 'BEGIN {printf "  %-10s %7s %5s %7s %12s %10s %14s %14s %13s %10s\n", "server", "piles", "lock",
           "booted", "listening s", "storm s", "all booted s", "re-armed s", "LockVehicle", "failures"}
         {printf "  %-10s %7s %5s %7s %12.2f %10s %14.2f %14s %13s %10s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
  fi
  if wanted scale-out; then
    echo
    echo "6. scale-out ($scale_nodes OCPP nodes behind HAProxy, one database; boot storm, then ${idle_s} s idle)"
    jq -r 'select(.scenario == "scale-out") |
      "  \(.piles) piles from \(.pilesimProcesses) pilesim processes via \(.haproxyProcesses) HAProxy process(es), \(.haproxyFronts) front port(s): \(.booted) booted (all: \(.allBooted)), connect failures \(.connectFailures), boot storm \(.bootStormSeconds) s",
      "  lock on every pile, from an API node: all armed \(.lock.allArmedMs // "not") ms, 99 % armed \(.lock.p99ArmedMs // "-") ms (\(.lock.armedAtEnd // "?") armed at the end), released \(.lock.releaseMs // "not") ms",
      "  HAProxy (all processes): CPU \(.haproxyStormCpuPercent | . * 10 | round / 10) % of a core during the storm, \(.haproxyIdleCpuPercent | . * 10 | round / 10) % idle; RSS \(.haproxyRssKb / 1024 | round) MB, \(.haproxyOpenFiles) open files",
      (.perNode[] | "  \(.node): \(.piles) piles, RSS \(.rssBeforeKb / 1024 | round) -> \(.rssAfterKb / 1024 | round) MB, \(.rssPerPileKb // "-" | if type == "number" then (. * 100 | round / 100) else . end) KB per pile")' "$results"
    if [ "$only_scale_out" = 1 ] && [ -s "$work/pg-statements.txt" ]; then echo; cat "$work/pg-statements.txt"; fi
  fi
  echo
  echo "results: $out.json"
} | tee "$out.txt"

# ------------------------------------------------------------------ plot
if [ "$only_scale_out" = 0 ] && command -v gnuplot >/dev/null; then
  dat=$work/plot
  for server in "${plotted[@]}"; do
    jq -r --arg s "$server" 'select(.scenario == "capacity" and .server == $s) |
      "\(.piles) \(.rssPerPileKb) \(.idleServerCpuPercent) \(.bootStormSeconds // "NaN")"' "$results" \
      >"$dat-cap-$server.dat"
    jq -r --arg s "$server" 'select(.scenario == "reconnect" and .server == $s and (.withLock | not)) |
      "\(.piles) \(.restartToAllBootedMs / 1000)"' "$results" >"$dat-rc-$server.dat"
    jq -r --arg s "$server" 'select(.scenario == "reconnect" and .server == $s and .withLock == true) |
      "\(.piles) \(.restartToAllBootedMs / 1000) \((.restartToAllRearmedMs // "NaN") | if type == "number" then . / 1000 else . end)"' \
      "$results" >"$dat-rcl-$server.dat"
    for kind in "${kind_list[@]}"; do
      jq -r --arg s "$server" --arg k "$kind" 'select(.scenario == "roundtrip" and .server == $s and .kind == $k) |
        "\(.piles) \(.perSecond) \(.p99Ms) \(.serverCpuPercent // 0)"' "$results" >"$dat-rt-$server-$kind.dat"
    done
  done
  jq -r 'select(.scenario == "lock") |
    "\(.piles) \((.allArmedMs // "NaN") | if type == "number" then . / 1000 else . end) \((.p99ArmedMs // "NaN") | if type == "number" then . / 1000 else . end) \(.releaseMs / 1000)"' \
    "$results" >"$dat-lock.dat"
  {
    echo "set terminal pngcairo size 1800,1000 font ',10' noenhanced" 2>/dev/null
    echo "set output '$out.png'"
    echo "set multiplot layout 2,3 title 'ChargeLock vs ocpp-rpc peer vs limit (canned answers) — $started ($(nproc) shared CPUs)'"
    echo "set key left top; set grid; set xlabel 'piles'"
    plots() {  # column title
      local sep="" server kind
      printf 'plot '
      for server in "${plotted[@]}"; do
        for kind in "${kind_list[@]}"; do
          [ -s "$dat-rt-$server-$kind.dat" ] || continue
          printf "%s'%s' using 1:%s with linespoints title '%s %s'" "$sep" "$dat-rt-$server-$kind.dat" "$1" "$server" "$kind"
          sep=", "
        done
      done
      [ -n "$sep" ] || printf "1 with lines lc rgb 'white' title 'not run'"
      echo
    }
    # One plot of the servers' lines, server by server: for each, a line per
    # spec "FILE-SUFFIX COLUMN STYLE [TITLE…]" from $dat-SUFFIX-SERVER.dat,
    # titled "SERVER TITLE"; a server without data for the first spec is left
    # out.
    plot_servers() {  # spec...
      local sep="" server spec suffix column style title file
      printf 'plot '
      for server in "${servers[@]}"; do
        for spec in "$@"; do
          read -r suffix column style title <<<"$spec"
          file="$dat-$suffix-$server.dat"
          if [ ! -s "$file" ]; then
            [ "$spec" = "$1" ] && break
            continue
          fi
          printf "%s'%s' using 1:%s with %s title '%s%s'" "$sep" "$file" "$column" "$style" "$server" "${title:+ $title}"
          sep=", "
        done
      done
      [ -n "$sep" ] || printf "1 with lines lc rgb 'white' title 'not run'"
      echo
    }
    echo "set title 'round trips: answered msg/s'; set ylabel 'msg/s'"; plots 2
    echo "set title 'round trips: p99 latency'; set ylabel 'ms'; set logscale y"; plots 3
    echo "unset logscale y"
    echo "set title 'capacity: server RSS per connected pile'; set ylabel 'KB per pile'"
    plot_servers "cap 2 linespoints"
    echo "set title 'boot storm (pilesim start to all booted)'; set ylabel 'seconds'"
    plot_servers "cap 4 linespoints boot storm"
    echo "set title 'lock fan-out: owner POST to armed (piles answered Accepted), release to disarmed'; set ylabel 'seconds'"
    echo "set yrange [0:*]"
    if [ -s "$dat-lock.dat" ]; then
      echo "plot '$dat-lock.dat' using 1:2 with linespoints title 'all armed', '$dat-lock.dat' using 1:3 with linespoints title '99 % armed', '$dat-lock.dat' using 1:4 with linespoints title 'released', 1 with lines dashtype 2 title 'target 1 s'"
    else
      echo "plot 1 with lines lc rgb 'white' title 'not run'"
    fi
    echo "set autoscale y"
    echo "set title 'reconnect storm after kill -9 (restart to all booted)'; set ylabel 'seconds'"
    plot_servers "rc 2 linespoints reconnect storm" "rcl 2 linespoints storm, lock armed: all booted" \
      "rcl 3 linespoints storm, lock armed: all re-armed" "cap 4 points boot storm"
    echo "unset multiplot"
  } >"$work/plot.gp"
  if gnuplot "$work/plot.gp" 2>"$work/gnuplot.err"; then
    log "plot: $out.png"
  else
    sed -i 's/pngcairo/png/' "$work/plot.gp"
    gnuplot "$work/plot.gp" 2>>"$work/gnuplot.err" && log "plot: $out.png" || cat "$work/gnuplot.err" >&2
  fi
fi
