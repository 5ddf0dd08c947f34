#!/usr/bin/env bash
# Failover tests against the cluster of scripts/cluster.sh (real processes:
# HAProxy, Patroni + etcd, 3 OCPP nodes, 2 API processes), with pilesim
# piles connecting through HAProxy. See docs/deployment.md.
#
#   scripts/failover.sh [PILES] [TESTS]      PILES default 200; TESTS: t a b c (default all)
#     t  wss:// through HAProxy (TLS passed through): a profile-2 pile and a
#        profile-3 pile (client certificate) boot; profile 3 without one is
#        refused, so the nodes do see the client certificate
#     a  kill -9 one OCPP node: every pile online again within 15 s, the
#        commands queued for its piles before the kill delivered after, an
#        armed lock still armed on every pile
#     b  kill -9 the Patroni leader (Patroni and its PostgreSQL) while the piles
#        flood MeterValues: a standby promoted, nodes and API back by
#        themselves, every acknowledged sample stored, traffic again within 30 s
#     c  rolling restart (SIGTERM, start) of every OCPP node, one at a time,
#        with a lock in flight and the piles flooding MeterValues: nothing
#        acknowledged lost, the queued commands delivered, the lock armed
#        everywhere
# Each prints its figures and PASS/FAIL; the last line is "N passed, N failed".
# The full size is `scripts/failover.sh 3000` (docs/deployment.md).
#
# Brings the cluster up when it is not (scripts/cluster.sh up) and leaves it
# running; CHARGELOCK_FAILOVER_DOWN=1 stops it at the end, =wipe also removes
# its data (what .ci/run does). The exit status is 0 only when every test
# passed (a check failed, or the cluster did not come up: 1).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHARGELOCK_BUILD:-$root/build}
piles=${1:-200}
shift || true
tests=${*:-t a b c}
cluster=$root/scripts/cluster.sh
cluster_dir=${CHARGELOCK_CLUSTER_DIR:-$root/.cluster}  # as scripts/cluster.sh
pilesim=$build/simulators/pilesim
work=$(mktemp -d /tmp/chargelock-failover-XXXXXX)
passed=0 failed=0
sim_pid=""

log() { echo "failover: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
  rm -rf "$work"
  case ${CHARGELOCK_FAILOVER_DOWN:-0} in
    1) "$cluster" down ;;
    wipe) "$cluster" down --wipe ;;
  esac
}
trap cleanup EXIT

verdict() {  # verdict NAME CONDITION-TEXT (0 = pass)
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "RESULT $1: PASS"
  else failed=$((failed + 1)); echo "RESULT $1: FAIL ($3)"; fi
}

"$cluster" status >/dev/null 2>&1
if ! curl -sf -o /dev/null --max-time 2 "$(CHARGELOCK_BUILD=$build "$cluster" env | sed -n 's/^CLUSTER_API=//p')/openapi.json"; then
  log "bringing the cluster up"
  CHARGELOCK_BUILD=$build "$cluster" up || exit 1
fi
eval "$("$cluster" env)"
export CHARGELOCK_DATABASE_URL=$CLUSTER_DATABASE_URL
admin=(-H "Authorization: Bearer $CHARGELOCK_ADMIN_TOKEN" -H "Content-Type: application/json")

sql() { psql -qtAX "$CLUSTER_DATABASE_URL" -c "$1" 2>/dev/null; }
# Retries through a failover (503, or no answer, meanwhile); a 4xx is final.
api() {  # api METHOD PATH [BODY] -> body on stdout
  local out code
  for _ in $(seq 1 60); do
    out=$(curl -s --max-time 5 -w '\n%{http_code}' -X "$1" "${admin[@]}" ${3:+-d "$3"} "$CLUSTER_API$2")
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    case $code in
      2??) echo "$out"; return 0 ;;
      4??) log "API $1 $2: $code $out"; return 1 ;;
    esac
    sleep 0.5
  done
  log "API $1 $2 failed ($code)"; return 1
}
owner_api() {  # owner_api TOKEN METHOD PATH [BODY]
  curl -sf --max-time 5 -X "$2" -H "Authorization: Bearer $1" -H "Content-Type: application/json" \
    ${4:+-d "$4"} "$CLUSTER_API$3"
}

prefix=FO
run_id=$(date +%s)
log "registering $piles piles $prefix-1..$prefix-$piles (kept between runs)"
"$build/app/chargelock" chargepoint add-range "$prefix-" 1 "$piles" \
  --password-pattern 'failover-pile-secret-{n}' >/dev/null 2>&1 || true
registered=$(sql "SELECT count(*) FROM charge_points WHERE id LIKE '$prefix-%'")
[ "${registered:-0}" -ge "$piles" ] || { log "only ${registered:-0} piles registered"; exit 1; }

online_elsewhere() {  # piles of this run online on a node other than $1
  sql "SELECT count(*) FROM charge_points WHERE id LIKE '$prefix-%' AND online
       AND connected_node IS DISTINCT FROM '$1'"
}
online_count() { sql "SELECT count(*) FROM charge_points WHERE id LIKE '$prefix-%' AND online"; }
samples_stored() {
  sql "SELECT count(*) FROM meter_values WHERE charge_point_id LIKE '$prefix-%' AND received_at >= to_timestamp($1)"
}

start_pilesim() {  # start_pilesim OUTFILE ARGS...
  local out=$1; shift
  "$pilesim" --url "$CLUSTER_OCPP_WS" --count "$piles" --id-pattern "$prefix-{n}" \
    --password-pattern 'failover-pile-secret-{n}' --rate 500 --quiet --json "$@" \
    >"$out" 2>"$out.err" &
  sim_pid=$!
}
stop_pilesim() {  # SIGINT: pilesim prints its summary and exits
  [ -n "$sim_pid" ] || return
  kill -INT "$sim_pid" 2>/dev/null
  wait "$sim_pid" 2>/dev/null
  sim_pid=""
}
json_field() { jq -r "$2" "$1" 2>/dev/null; }

wait_until() {  # wait_until SECONDS COMMAND... ; returns 1 on time-out
  local deadline
  deadline=$(awk -v n="$(now)" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
  shift
  until "$@"; do
    awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }' && return 1
    sleep 0.25
  done
}
all_online() { [ "$(online_count)" = "$piles" ]; }
all_online_elsewhere() { [ "$(online_elsewhere "$1")" = "$piles" ]; }

# A vehicle with a verified owner and a lock on it (every pile, default
# scope): prints the lock id.
new_lock() {
  local vin owner token owner_id
  vin=$(printf 'WFAVR%012d' "$((RANDOM * 32768 + RANDOM))")
  owner=$(api POST /owners "{\"name\":\"failover $run_id\"}") || return 1
  token=$(jq -r .token <<<"$owner")
  owner_id=$(jq -r .ownerId <<<"$owner")
  owner_api "$token" POST /vehicles "{\"vin\":\"$vin\"}" >/dev/null || return 1
  api POST "/vehicles/$vin/verify" "{\"ownerId\":$owner_id}" >/dev/null || return 1
  owner_api "$token" POST "/vehicles/$vin/lock" '' | jq -r .lockId
}
# Ends a test's lock (an operator's emergency release), so that locks of
# earlier runs are not re-armed on every boot of later ones.
release_lock() { api POST "/locks/$1/release" '{"reason":"failover test finished"}' >/dev/null; }
lock_armed() { api GET "/locks/$1" | jq -r '.piles.armed // 0'; }
lock_fully_armed() { [ "$(lock_armed "$1")" -ge "$piles" ]; }

# Commands for piles on `node`, queued while it is frozen (SIGSTOP): they
# cannot leave before the kill. Prints the command ids.
queue_commands() {  # queue_commands NODE COUNT
  local id
  for id in $(sql "SELECT id FROM charge_points WHERE id LIKE '$prefix-%' AND online
                   AND connected_node = '$1' ORDER BY id LIMIT $2"); do
    api POST "/chargepoints/$id/commands" \
      '{"action":"TriggerMessage","payload":{"requestedMessage":"Heartbeat"}}' | jq -r .commandId
  done
}
commands_done() {  # commands_done IDS... -> "completed other pending"
  local ids
  ids=$(IFS=,; echo "$*")
  [ -n "$ids" ] || { echo "0 0 0"; return; }
  sql "SELECT count(*) FILTER (WHERE status = 'completed'),
              count(*) FILTER (WHERE status NOT IN ('completed','queued','sent')),
              count(*) FILTER (WHERE status IN ('queued','sent'))
       FROM commands WHERE id IN ($ids)" | tr '|' ' '
}
commands_settled() { [ "$(commands_done "$@" | awk '{print $3}')" = 0 ]; }

# ---------------------------------------------------------------- test t
pilesim_boots() {  # pilesim_boots ID ARGS... -> bootsAccepted of a 3 s run of one pile
  local id=$1; shift
  "$pilesim" --url "$CLUSTER_OCPP_WSS" --ca "$CLUSTER_CA" --count 1 --id-pattern "$id" \
    --duration 3 --quiet --json "$@" 2>/dev/null | jq -r '.bootsAccepted // 0'
}
test_t() {
  log "t: wss:// through HAProxy, security profiles 2 and 3"
  local tls=$cluster_dir/tls
  api POST /chargepoints '{"id":"TLS-FO2","password":"failover-tls-secret-2","securityProfile":2}' \
    >/dev/null 2>&1 || true
  api POST /chargepoints '{"id":"TLS-FO3","securityProfile":3}' >/dev/null 2>&1 || true
  if [ ! -f "$tls/TLS-FO3.pem" ]; then
    openssl req -newkey rsa:2048 -nodes -subj "/CN=TLS-FO3" -keyout "$tls/TLS-FO3.key" \
      -out "$tls/TLS-FO3.csr" 2>/dev/null
    openssl x509 -req -in "$tls/TLS-FO3.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
      -CAcreateserial -days 3650 -out "$tls/TLS-FO3.pem" 2>/dev/null
  fi
  sleep 6  # the nodes re-read the charge point directory every 5 s
  local p2 p3 p3_without
  p2=$(pilesim_boots TLS-FO2 --password-pattern failover-tls-secret-2)
  p3=$(pilesim_boots TLS-FO3 --cert-pattern "$tls/TLS-FO3.pem" --key-pattern "$tls/TLS-FO3.key")
  p3_without=$(pilesim_boots TLS-FO3)
  echo "t: boots through HAProxy's wss front: profile 2 ${p2}, profile 3 with certificate ${p3}, profile 3 without ${p3_without} (want 1, 1, 0)"
  local ok=0
  [ "$p2" -ge 1 ] && [ "$p3" -ge 1 ] && [ "$p3_without" = 0 ] || ok=1
  verdict t "$ok" "see the figures above"
}

# ---------------------------------------------------------------- test a
test_a() {
  log "a: $piles piles, lock armed, kill -9 of an OCPP node"
  start_pilesim "$work/a.json" --duration 600
  wait_until 120 all_online || { verdict a 1 "only $(online_count)/$piles piles online at start"; stop_pilesim; return; }
  local lock
  lock=$(new_lock) || { verdict a 1 "could not lock a vehicle"; stop_pilesim; return; }
  wait_until 60 lock_fully_armed "$lock" || log "a: lock armed on $(lock_armed "$lock")/$piles before the kill"
  local victim victim_piles
  victim=$(sql "SELECT connected_node FROM charge_points WHERE id LIKE '$prefix-%' AND online
                GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
  victim_piles=$(sql "SELECT count(*) FROM charge_points WHERE id LIKE '$prefix-%' AND connected_node = '$victim' AND online")
  local pid; pid=$(cat "$cluster_dir/$victim/pid")
  kill -STOP "$pid"
  local commands
  commands=$(queue_commands "$victim" 20)
  local t0; t0=$(now)
  "$cluster" kill "$victim"
  local recovered="timeout"
  if wait_until 60 all_online_elsewhere "$victim"; then recovered=$(elapsed "$t0" "$(now)"); fi
  # shellcheck disable=SC2086
  wait_until 60 commands_settled $commands
  # shellcheck disable=SC2086
  read -r delivered other pending <<<"$(commands_done $commands)"
  local queued; queued=$(wc -w <<<"$commands")
  local armed; armed=$(lock_armed "$lock")
  stop_pilesim
  release_lock "$lock"
  local sim_armed; sim_armed=$(json_field "$work/a.json" '.pilesArmed // .state.pilesArmed // empty')
  # The node must come back (ready within cluster.sh's 60 s): the next test
  # needs all three, and a node that does not restart is this test's failure.
  local restarted=yes
  "$cluster" start "$victim" >/dev/null || restarted=no
  echo "a: killed $victim holding $victim_piles of $piles piles; all piles online again after ${recovered} s (limit 15 s)"
  echo "a: commands queued for its piles before the kill: $queued, delivered after: $delivered, other outcome: $other, still pending: $pending"
  echo "a: lock $lock armed on $armed/$piles piles (central system), ${sim_armed:-?}/$piles (pilesim's watch lists)"
  echo "a: $victim started again and ready: $restarted"
  local ok=0
  [ "$restarted" = yes ] || ok=1
  [[ $recovered != timeout ]] && awk -v r="$recovered" 'BEGIN { exit !(r <= 15) }' || ok=1
  [ "$delivered" = "$queued" ] || ok=1
  [ "$armed" -ge "$piles" ] || ok=1
  [ -z "$sim_armed" ] || [ "$sim_armed" -ge "$piles" ] || ok=1
  verdict a "$ok" "see the figures above"
}

# ---------------------------------------------------------------- test b
flood_begun() { [ "$(samples_stored "$1")" -gt 0 ]; }
samples_grow() {  # samples_grow SINCE BASELINE
  local n; n=$(samples_stored "$1")
  [ -n "$n" ] && [ "$n" -gt "$2" ]
}
# flood_missing OUTFILE: why no MeterValues arrived (seen once in CI after
# test b, not reproduced): what pilesim said, the piles online, the cluster's
# health and each OCPP node's last errors.
flood_missing() {
  echo "flood: pilesim's last words:" >&2
  tail -n 15 "$1.err" >&2 2>/dev/null
  echo "flood: piles online: $(sql "SELECT count(*) FROM charge_points WHERE id LIKE '$prefix-%' AND online")," \
    "transactions since the start: $(sql "SELECT count(*) FROM transactions WHERE charge_point_id LIKE '$prefix-%' AND start_timestamp >= now() - interval '3 minutes'")" >&2
  "$cluster" status >&2
  local node
  for node in ocpp-1 ocpp-2 ocpp-3; do
    echo "flood: $node:" >&2
    grep -E "error|fail|fatal" "$cluster_dir/$node/log" 2>/dev/null | tail -n 5 | cut -c1-300 >&2
  done
}
node_ready() {  # NAME: its /readyz answers 200 (cluster.sh status)
  "$cluster" status | awk -v n="$1" '$1 == n' | grep -q "readyz=200"
}
why_not_ready() {  # NAME: its status line and its last readiness log lines
  "$cluster" status | awk -v n="$1" '$1 == n' >&2
  grep -E "ready|listening|fatal|error:" "$cluster_dir/$1/log" 2>/dev/null | tail -n 5 | cut -c1-300 >&2
}
test_b() {
  log "b: $piles piles flooding MeterValues, kill -9 of the Patroni leader"
  local since; since=$(date +%s)
  start_pilesim "$work/b.json" --flood meter --flood-duration "${CHARGELOCK_FAILOVER_FLOOD_S:-50}" \
    --flood-samples 2 --call-timeout 20
  wait_until 120 flood_begun "$since" ||
    { flood_missing "$work/b.json"; verdict b 1 "the flood did not start"; stop_pilesim; return; }
  sleep 5
  local leader
  leader=$("$cluster" status | awk '$NF == "primary" {print $1}')
  local t0; t0=$(now)
  "$cluster" kill "$leader"
  # Traffic resumes: stored samples grow again, read through HAProxy's
  # PostgreSQL front (so the new primary is serving).
  local base resumed="timeout" promoted="timeout"
  sleep 1
  base=""
  while [ -z "$base" ] && awk -v n="$(now)" -v t="$t0" 'BEGIN { exit !(n - t < 60) }'; do
    base=$(samples_stored "$since"); [ -n "$base" ] || sleep 0.25
  done
  [ -n "$promoted" ] && promoted=$(elapsed "$t0" "$(now)")
  if [ -n "$base" ] && wait_until 60 samples_grow "$since" "$base"; then
    resumed=$(elapsed "$t0" "$(now)")
  fi
  local new_leader
  new_leader=$("$cluster" status | awk '$NF == "primary" {print $1}')
  wait "$sim_pid" 2>/dev/null; sim_pid=""
  local acked stored errors
  acked=$(json_field "$work/b.json" '.flood.samplesAnswered')
  errors=$(json_field "$work/b.json" '.flood.callErrors // .flood.errors // empty')
  stored=$(samples_stored "$since")
  # Each process re-probes its database every second and answers /readyz
  # within cluster.sh's 2 s curl limit only when its loop is not swamped: a
  # single look right after the flood can miss one that is ready (seen once
  # in CI), so each gets up to 30 s, the time the issue allows for recovery.
  local api_ready=0 node not_ready=""
  for node in ocpp-1 ocpp-2 ocpp-3 api-1 api-2; do
    if wait_until 30 node_ready "$node"; then
      api_ready=$((api_ready + 1))
    else
      not_ready+=" $node"
      why_not_ready "$node"
    fi
  done
  "$cluster" start "$leader" >/dev/null
  echo "b: killed leader $leader; new primary ${new_leader:-none}; database reachable through HAProxy after ${promoted} s; MeterValues stored again after ${resumed} s (limit 30 s)"
  echo "b: samples acknowledged ${acked:-?}, stored ${stored:-?} (CALLERRORs meanwhile: ${errors:-?}); nodes and API ready afterwards: $api_ready/5${not_ready:+ (not ready:$not_ready)}"
  local ok=0
  [ -n "$new_leader" ] && [ "$new_leader" != "$leader" ] || ok=1
  [[ $resumed != timeout ]] && awk -v r="$resumed" 'BEGIN { exit !(r <= 30) }' || ok=1
  [ -n "$acked" ] && [ -n "$stored" ] && [ "$stored" -ge "$acked" ] || ok=1
  [ "$api_ready" = 5 ] || ok=1
  verdict b "$ok" "see the figures above"
}

# ---------------------------------------------------------------- test c
test_c() {
  log "c: rolling restart of every OCPP node with a lock in flight, piles flooding MeterValues"
  local since; since=$(date +%s)
  start_pilesim "$work/c.json" --flood meter --flood-duration "${CHARGELOCK_FAILOVER_ROLL_S:-90}" \
    --flood-samples 2 --call-timeout 20
  wait_until 120 flood_begun "$since" ||
    { flood_missing "$work/c.json"; verdict c 1 "the flood did not start"; stop_pilesim; return; }
  local lock t0 node commands="" slow_nodes=""
  lock=$(new_lock) || { verdict c 1 "could not lock a vehicle"; stop_pilesim; return; }
  t0=$(now)
  for node in ocpp-1 ocpp-2 ocpp-3; do
    commands+=" $(queue_commands "$node" 5)"
    local t; t=$(now)
    "$cluster" stop "$node"
    "$cluster" start "$node" >/dev/null
    local took="timeout"
    if wait_until 60 all_online; then took=$(elapsed "$t" "$(now)"); else slow_nodes+=" $node"; fi
    echo "c: $node restarted; all piles online again after $took s (limit 60 s)"
  done
  local roll; roll=$(elapsed "$t0" "$(now)")
  wait_until 60 lock_fully_armed "$lock"
  # shellcheck disable=SC2086
  wait_until 60 commands_settled $commands
  wait "$sim_pid" 2>/dev/null; sim_pid=""
  local acked stored armed sim_armed
  acked=$(json_field "$work/c.json" '.flood.samplesAnswered')
  stored=$(samples_stored "$since")
  armed=$(lock_armed "$lock")
  sim_armed=$(json_field "$work/c.json" '.pilesArmed // .state.pilesArmed // empty')
  release_lock "$lock"
  # shellcheck disable=SC2086
  read -r delivered other pending <<<"$(commands_done $commands)"
  local queued; queued=$(wc -w <<<"$commands")
  echo "c: rolling restart of 3 nodes took $roll s; lock $lock armed on $armed/$piles piles (central system), ${sim_armed:-?}/$piles (pilesim)"
  echo "c: samples acknowledged ${acked:-?}, stored ${stored:-?}; commands queued $queued, delivered $delivered, other outcome $other, pending $pending"
  local ok=0
  [ -n "$acked" ] && [ -n "$stored" ] && [ "$stored" -ge "$acked" ] || ok=1
  [ "$armed" -ge "$piles" ] || ok=1
  [ "$pending" = 0 ] && [ "$delivered" = "$queued" ] || ok=1
  [ -z "$slow_nodes" ] || ok=1
  verdict c "$ok" "see the figures above"
}

for t in $tests; do
  case $t in
    t) test_t ;;
    a) test_a ;;
    b) test_b ;;
    c) test_c ;;
    *) log "unknown test '$t' (t, a, b or c)"; exit 2 ;;
  esac
done
echo "failover: $passed passed, $failed failed"
[ "$failed" = 0 ]
