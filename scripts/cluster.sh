#!/usr/bin/env bash
# The production shape of ChargeLock on one machine, without Docker
# (docs/deployment.md): 3 etcd members, 3 Patroni-managed PostgreSQL 15
# members (synchronous replication), HAProxy, 3 `chargelock ocpp` nodes and
# 2 `chargelock api` processes, each in its own folder under .cluster/, all
# on 127.0.0.1. The configuration is deploy/'s, mapped to local ports.
#
#   scripts/cluster.sh up            start everything (idempotent), print the URLs
#   scripts/cluster.sh down          stop everything (data kept; `down --wipe` removes it)
#   scripts/cluster.sh status        each member's role and health
#   scripts/cluster.sh kill NAME     SIGKILL one member (a crash): etcd-N, patroni-N
#                                    (Patroni and its PostgreSQL), haproxy, ocpp-N, api-N
#   scripts/cluster.sh stop NAME     SIGTERM one member (a graceful stop)
#   scripts/cluster.sh start NAME    start one member again
#   scripts/cluster.sh env           the URLs and secrets as shell variables (eval it)
#
# Needs: haproxy (2.6), patroni (3.0), etcd-server + etcd-client (3.4),
# PostgreSQL 15 server binaries, and a built chargelock (CHARGELOCK_BUILD,
# default build/). As root, Patroni and PostgreSQL run as the 'postgres'
# user (PostgreSQL refuses root), like scripts/postgres.sh.
#
# Ports (CHARGELOCK_CLUSTER_PORT_BASE, default 47000, = B):
#   etcd-N client B+N, peer B+10+N       patroni-N REST B+20+N, PostgreSQL B+30+N
#   HAProxy: OCPP ws B+100, wss B+143, API B+180, PostgreSQL (leader) B+132, stats B+104
#   ocpp-N ws B+200+N, wss B+240+N       api-N B+280+N
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHARGELOCK_BUILD:-$root/build}
dir=${CHARGELOCK_CLUSTER_DIR:-$root/.cluster}
B=${CHARGELOCK_CLUSTER_PORT_BASE:-47000}
chargelock=$build/app/chargelock

ETCD=(etcd-1 etcd-2 etcd-3)
PATRONI=(patroni-1 patroni-2 patroni-3)
OCPP=(ocpp-1 ocpp-2 ocpp-3)
API=(api-1 api-2)
HAPROXY_WS=$((B + 100)) HAPROXY_WSS=$((B + 143)) HAPROXY_API=$((B + 180))
HAPROXY_PG=$((B + 132)) HAPROXY_STATS=$((B + 104))

log() { echo "cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }
num() { echo "${1##*-}"; }  # ocpp-2 -> 2

pg_bin() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  die "no PostgreSQL server binaries (install postgresql-15)"
}

pid_of() { cat "$dir/$1/pid" 2>/dev/null || true; }
# A process that has exited is a zombie until its parent reaps it; a member's
# parent is the machine's init (spawn detaches it), which may take seconds
# (seen: 2 s here on a quiet machine). kill -0 succeeds on a zombie, so a
# zombie must count as gone: `start` right after a `kill` took a dead node
# for a running one and started nothing (CI, 2026-11-27: the killed ocpp-1
# of failover test a never came back, and test b failed for it).
running() {  # running PID
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && running "$p"; }

# Starts "$@" detached in its own session, output to $dir/NAME/log.
spawn() {
  local name=$1; shift
  mkdir -p "$dir/$name"
  setsid "$@" >>"$dir/$name/log" 2>&1 </dev/null &
  echo $! >"$dir/$name/pid"
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.3
  done
}

secrets() {
  mkdir -p "$dir"
  chmod 755 "$dir"
  if [ ! -f "$dir/secrets.env" ]; then
    local r
    r() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
    umask 077
    cat >"$dir/secrets.env" <<EOF
PATRONI_SUPERUSER_PASSWORD=$(r)
PATRONI_REPLICATION_PASSWORD=$(r)
CHARGELOCK_DB_PASSWORD=$(r)
CHARGELOCK_ADMIN_TOKEN=$(r)$(r)
EOF
    umask 022
  fi
  # shellcheck disable=SC1091
  . "$dir/secrets.env"
  export PATRONI_SUPERUSER_PASSWORD PATRONI_REPLICATION_PASSWORD CHARGELOCK_DB_PASSWORD
  DATABASE_URL="postgresql://chargelock:$CHARGELOCK_DB_PASSWORD@127.0.0.1:$HAPROXY_PG/chargelock"
  SUPERUSER_URL="postgresql://postgres:$PATRONI_SUPERUSER_PASSWORD@127.0.0.1:$HAPROXY_PG/postgres"
}

tls_files() {  # a private CA and a server certificate for 127.0.0.1/localhost
  local t=$dir/tls
  [ -f "$t/server.pem" ] && return
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ChargeLock cluster CA" \
    -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$t/server.key" \
    -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$t/ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 3650 -extfile "$t/ext" -out "$t/server.pem" 2>/dev/null
}

etcd_cluster() {
  local i list=""
  for i in 1 2 3; do list+="${list:+,}etcd-$i=http://127.0.0.1:$((B + 10 + i))"; done
  echo "$list"
}

start_etcd() {
  local name=$1 i; i=$(num "$1")
  alive "$name" && return
  mkdir -p "$dir/$name"
  # deploy/etcd.env is the common part; the member's own part follows, and
  # the initial cluster is mapped to local ports.
  (
    set -a
    # shellcheck disable=SC1091
    . "$root/deploy/etcd.env"
    set +a
    export ETCD_INITIAL_CLUSTER; ETCD_INITIAL_CLUSTER=$(etcd_cluster)
    [ -d "$dir/$name/data/member" ] && export ETCD_INITIAL_CLUSTER_STATE=existing
    export ETCD_NAME=$name ETCD_DATA_DIR=$dir/$name/data \
      ETCD_LISTEN_CLIENT_URLS=http://127.0.0.1:$((B + i)) \
      ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.1:$((B + i)) \
      ETCD_LISTEN_PEER_URLS=http://127.0.0.1:$((B + 10 + i)) \
      ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.1:$((B + 10 + i))
    spawn "$name" etcd
  )
}

etcd_endpoints() { echo "127.0.0.1:$((B + 1)),127.0.0.1:$((B + 2)),127.0.0.1:$((B + 3))"; }

start_patroni() {
  local name=$1 i; i=$(num "$1")
  alive "$name" && return
  local m=$dir/$name
  mkdir -p "$m"
  # The member's copy of deploy/patroni: only the post_bootstrap path differs.
  sed "s#/etc/patroni/post-bootstrap.sh#$root/deploy/patroni/post-bootstrap.sh#" \
    "$root/deploy/patroni/patroni.yml" >"$m/patroni.yml"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$m"
  chmod 700 "$m"
  [ -d "$m/data" ] && chmod 700 "$m/data"
  local bin_dir etcd_hosts
  bin_dir=$(pg_bin)
  etcd_hosts=$(etcd_endpoints)
  export PATRONI_NAME=$name \
    PATRONI_RESTAPI_LISTEN=127.0.0.1:$((B + 20 + i)) \
    PATRONI_RESTAPI_CONNECT_ADDRESS=127.0.0.1:$((B + 20 + i)) \
    PATRONI_POSTGRESQL_LISTEN=127.0.0.1:$((B + 30 + i)) \
    PATRONI_POSTGRESQL_CONNECT_ADDRESS=127.0.0.1:$((B + 30 + i)) \
    PATRONI_POSTGRESQL_DATA_DIR=$m/data \
    PATRONI_POSTGRESQL_PGPASS=$m/pgpass \
    PATRONI_POSTGRESQL_BIN_DIR=$bin_dir \
    PATRONI_ETCD3_HOSTS=$etcd_hosts
  # The log belongs to the member's owner, who writes it.
  touch "$m/log"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$m/log"
  if [ "$(id -u)" = 0 ]; then
    setsid runuser -u postgres --preserve-environment -- patroni "$m/patroni.yml" \
      >>"$m/log" 2>&1 </dev/null &
  else
    setsid patroni "$m/patroni.yml" >>"$m/log" 2>&1 </dev/null &
  fi
  echo $! >"$m/pid.runner"
  # The pid file names Patroni itself (runuser's child), for `kill`.
  local p
  for _ in $(seq 1 50); do
    p=$(pgrep -f "patroni $m/patroni.yml" -u postgres 2>/dev/null | head -1 || true)
    [ "$(id -u)" = 0 ] || p=$!
    [ -n "$p" ] && break
    sleep 0.1
  done
  echo "${p:-$!}" >"$m/pid"
}

postmaster_of() { head -1 "$dir/$1/data/postmaster.pid" 2>/dev/null || true; }

start_haproxy() {
  alive haproxy && return
  mkdir -p "$dir/haproxy"
  # deploy/haproxy.cfg names the compose services; here each is a local port.
  local sedargs=(-e "s/^\(\s*bind\) :8180$/\1 127.0.0.1:$HAPROXY_WS/"
                 -e "s/^\(\s*bind\) :8443$/\1 127.0.0.1:$HAPROXY_WSS/"
                 -e "s/^\(\s*bind\) :8080$/\1 127.0.0.1:$HAPROXY_API/"
                 -e "s/^\(\s*bind\) :5432$/\1 127.0.0.1:$HAPROXY_PG/"
                 -e "s/^\(\s*bind\) :8404$/\1 127.0.0.1:$HAPROXY_STATS/")
  local i
  for i in 1 2 3; do
    sedargs+=(-e "s/ ocpp-$i:8180 check$/ 127.0.0.1:$((B + 200 + i)) check/"
              -e "s/ ocpp-$i:8443 check port 8180$/ 127.0.0.1:$((B + 240 + i)) check port $((B + 200 + i))/"
              -e "s/ patroni-$i:5432 check port 8008$/ 127.0.0.1:$((B + 30 + i)) check port $((B + 20 + i))/")
  done
  for i in 1 2; do sedargs+=(-e "s/ api-$i:8080 check$/ 127.0.0.1:$((B + 280 + i)) check/"); done
  sed "${sedargs[@]}" "$root/deploy/haproxy.cfg" >"$dir/haproxy/haproxy.cfg"
  if grep -nE '(ocpp|api|patroni)-[0-9]:[0-9]|bind :' "$dir/haproxy/haproxy.cfg" >&2; then
    die "deploy/haproxy.cfg has lines the local mapping does not know (above)"
  fi
  haproxy -c -q -f "$dir/haproxy/haproxy.cfg" || die "haproxy rejects $dir/haproxy/haproxy.cfg"
  # -db: stay in the foreground (setsid detaches it); logs go to stdout.
  spawn haproxy haproxy -db -f "$dir/haproxy/haproxy.cfg"
  sleep 0.5
  # A front port may be taken, e.g. as the local end of some other
  # program's connection (these ports are inside the kernel's ephemeral
  # range): say so rather than wait for a database that never comes.
  alive haproxy || { tail -3 "$dir/haproxy/log" >&2; die "HAProxy did not start (CHARGELOCK_CLUSTER_PORT_BASE moves every port)"; }
}

node_env() {  # what every chargelock process of the cluster shares
  export CHARGELOCK_DATABASE_URL=$DATABASE_URL CHARGELOCK_ADMIN_TOKEN
  export CHARGELOCK_TLS_CERT=$dir/tls/server.pem CHARGELOCK_TLS_KEY=$dir/tls/server.key
  export CHARGELOCK_TLS_CA=$dir/tls/ca.pem
  # Behind HAProxy every pile comes from the proxy's address: the per-address
  # connection limit moves to HAProxy (deploy/haproxy.cfg).
  export CHARGELOCK_OCPP_CONNECT_RATE=0
  [ -f "$dir/secret.key" ] || head -c 32 /dev/urandom | base64 >"$dir/secret.key"
  export CHARGELOCK_SECRET_KEY_FILE=$dir/secret.key
}

start_ocpp() {
  local name=$1 i; i=$(num "$1")
  alive "$name" && return
  (
    node_env
    spawn "$name" "$chargelock" ocpp --node-id "$name" \
      --ocpp-listen "127.0.0.1:$((B + 200 + i))" --ocpp-tls-listen "127.0.0.1:$((B + 240 + i))" \
      ${CHARGELOCK_CLUSTER_NODE_ARGS:-}
  )
}

start_api() {
  local name=$1 i; i=$(num "$1")
  alive "$name" && return
  (
    node_env
    spawn "$name" "$chargelock" api --api-listen "127.0.0.1:$((B + 280 + i))" \
      ${CHARGELOCK_CLUSTER_API_ARGS:-}
  )
}

http_ok() { curl -sf -o /dev/null --max-time 2 "$1"; }

node_port() {  # the port that answers /readyz
  case $1 in
    ocpp-*) echo $((B + 200 + $(num "$1"))) ;;
    api-*) echo $((B + 280 + $(num "$1"))) ;;
  esac
}

start_member() {
  case $1 in
    etcd-[123]) start_etcd "$1" ;;
    patroni-[123]) start_patroni "$1" ;;
    haproxy) start_haproxy ;;
    ocpp-[123]) start_ocpp "$1" ;;
    api-[12]) start_api "$1" ;;
    *) die "unknown member '$1'" ;;
  esac
}

leader_rest() {  # the REST port of the Patroni leader, if any
  local i
  for i in 1 2 3; do
    http_ok "http://127.0.0.1:$((B + 20 + i))/primary" && { echo $((B + 20 + i)); return 0; }
  done
  return 1
}

# Through HAProxy's front, and a primary: HAProxy takes every server for up
# when it starts, until its first checks say otherwise, so a connection made
# right then may land on a standby (and `chargelock migrate` would fail).
database_ready() {
  psql -qtAX "$DATABASE_URL" -c "SELECT NOT pg_is_in_recovery()" 2>/dev/null | grep -qx t
}

sync_standby_ready() {
  local i
  for i in 1 2 3; do
    http_ok "http://127.0.0.1:$((B + 20 + i))/sync" && return 0
  done
  return 1
}

# Debian's haproxy, patroni and etcd packages, installed when missing. The
# services they would start are not wanted (they would hold the default
# ports): on a systemd machine they are stopped and disabled.
install_packages() {
  local p missing=()
  for p in haproxy patroni etcd-server etcd-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "${CHARGELOCK_SKIP_APT:-0}" = 1 ] && die "missing packages: ${missing[*]}"
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now haproxy patroni etcd 2>/dev/null || true
  fi
}

cmd_up() {
  install_packages
  secrets
  tls_files
  local m
  for m in "${ETCD[@]}"; do start_etcd "$m"; done
  wait_for 30 "etcd" etcdctl --endpoints "$(etcd_endpoints)" endpoint health
  for m in "${PATRONI[@]}"; do start_patroni "$m"; done
  start_haproxy
  wait_for 90 "a Patroni leader" leader_rest
  sleep 2.5  # HAProxy's first checks (fall 2, inter 1s) take the standbys out
  wait_for 60 "the chargelock database (post_bootstrap)" database_ready
  wait_for 60 "a synchronous standby" sync_standby_ready
  [ -x "$chargelock" ] || die "no $chargelock (scripts/setup.sh builds it; or set CHARGELOCK_BUILD)"
  (node_env && "$chargelock" migrate >/dev/null)
  for m in "${OCPP[@]}"; do start_ocpp "$m"; done
  for m in "${API[@]}"; do start_api "$m"; done
  for m in "${OCPP[@]}" "${API[@]}"; do
    wait_for 60 "$m /readyz (its log: $dir/$m/log)" http_ok "http://127.0.0.1:$(node_port "$m")/readyz"
  done
  # HAProxy takes a server in after `rise` good checks.
  wait_for 15 "HAProxy's OCPP front" http_ok "http://127.0.0.1:$HAPROXY_API/readyz"
  cmd_env | sed 's/^/  /' >&2
  log "up (scripts/cluster.sh status for roles and health)"
}

cmd_env() {
  secrets
  cat <<EOF
CLUSTER_OCPP_WS=ws://127.0.0.1:$HAPROXY_WS/ocpp
CLUSTER_OCPP_WSS=wss://localhost:$HAPROXY_WSS/ocpp
CLUSTER_CA=$dir/tls/ca.pem
CLUSTER_API=http://127.0.0.1:$HAPROXY_API/api/v1
CLUSTER_DATABASE_URL=$DATABASE_URL
CLUSTER_SUPERUSER_URL=$SUPERUSER_URL
CLUSTER_STATS=http://127.0.0.1:$HAPROXY_STATS/stats
CHARGELOCK_ADMIN_TOKEN=$CHARGELOCK_ADMIN_TOKEN
EOF
}

stop_member() {  # stop_member NAME SIGNAL
  local name=$1 sig=$2 p pm=""
  p=$(pid_of "$name")
  [[ $name == patroni-* ]] && pm=$(postmaster_of "$name")
  if [ "$sig" = KILL ] && [ -n "$pm" ]; then
    # A crash of the whole member: Patroni and its PostgreSQL at once.
    kill -KILL "$p" "$pm" 2>/dev/null || true
    pkill -KILL -P "$pm" 2>/dev/null || true
  elif [ -n "$p" ]; then
    kill "-$sig" "$p" 2>/dev/null || true
  fi
}

wait_gone() {
  local name=$1 p
  p=$(pid_of "$name")
  [ -n "$p" ] || return 0
  for _ in $(seq 1 150); do running "$p" || return 0; sleep 0.1; done
  log "$name did not stop within 15 s: SIGKILL"
  kill -KILL "$p" 2>/dev/null || true
}

cmd_down() {
  local m
  for m in "${OCPP[@]}" "${API[@]}"; do stop_member "$m" TERM; done
  for m in "${OCPP[@]}" "${API[@]}"; do wait_gone "$m"; done
  stop_member haproxy TERM; wait_gone haproxy
  for m in "${PATRONI[@]}"; do stop_member "$m" TERM; done
  for m in "${PATRONI[@]}"; do wait_gone "$m"; done
  for m in "${ETCD[@]}"; do stop_member "$m" TERM; done
  for m in "${ETCD[@]}"; do wait_gone "$m"; done
  rm -f "$dir"/*/pid
  if [ "${1:-}" = --wipe ]; then rm -rf "$dir"; log "down, data removed"; else log "down"; fi
}

cmd_status() {
  secrets
  local m i state code
  printf '%-10s %-8s %-28s %s\n' MEMBER PROCESS ROLE HEALTH
  for m in "${ETCD[@]}"; do
    i=$(num "$m")
    state=$(etcdctl --endpoints "127.0.0.1:$((B + i))" --dial-timeout 1s endpoint status 2>/dev/null |
      awk -F', ' '{print ($5 == "true") ? "leader" : "follower"}')
    code=$(curl -s --max-time 2 "http://127.0.0.1:$((B + i))/health" | jq -r '.health // empty' 2>/dev/null)
    printf '%-10s %-8s %-28s %s\n' "$m" "$(alive "$m" && echo up || echo down)" "${state:--}" \
      "health=${code:-unreachable}"
  done
  for m in "${PATRONI[@]}"; do
    i=$(num "$m")
    state=$(curl -s --max-time 2 "http://127.0.0.1:$((B + 20 + i))/patroni" |
      jq -r '"\(.role)/\(.state) tl=\(.timeline // "-")"' 2>/dev/null || true)
    code="async"
    http_ok "http://127.0.0.1:$((B + 20 + i))/sync" && code="sync standby"
    http_ok "http://127.0.0.1:$((B + 20 + i))/primary" && code="primary"
    printf '%-10s %-8s %-28s %s\n' "$m" "$(alive "$m" && echo up || echo down)" "${state:--}" \
      "${state:+$code}"
  done
  state=$(curl -s --max-time 2 "http://127.0.0.1:$HAPROXY_STATS/stats;csv" |
    awk -F, '$2 != "FRONTEND" && $2 != "BACKEND" && NR > 1 {printf "%s/%s=%s ", $1, $2, $18}')
  printf '%-10s %-8s %-28s %s\n' haproxy "$(alive haproxy && echo up || echo down)" "balancer" \
    "${state:-unreachable}"
  for m in "${OCPP[@]}" "${API[@]}"; do
    local port; port=$(node_port "$m")
    local h r
    h=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/healthz" || true)
    r=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz" || true)
    printf '%-10s %-8s %-28s %s\n' "$m" "$(alive "$m" && echo up || echo down)" \
      "${m%-*} :$port" "healthz=$h readyz=$r"
  done
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down "${2:-}" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  # Returns once the process is gone (a zombie at most), so that a `start`
  # right after finds its ports free.
  kill) [ -n "${2:-}" ] || die "usage: $0 kill NAME"; stop_member "$2" KILL; wait_gone "$2" ;;
  stop) [ -n "${2:-}" ] || die "usage: $0 stop NAME"; stop_member "$2" TERM; wait_gone "$2" ;;
  start)
    [ -n "${2:-}" ] || die "usage: $0 start NAME"
    secrets; tls_files; start_member "$2"
    case $2 in
      haproxy) sleep 2.5; wait_for 30 "the database through HAProxy" database_ready ;;
      ocpp-* | api-*)
        # On a time-out, say why while the member's folder still exists
        # (CI wipes it): whether the process runs, and its last words.
        if ! (wait_for 60 "$2 /readyz (its log: $dir/$2/log)" http_ok "http://127.0.0.1:$(node_port "$2")/readyz"); then
          log "$2: process $(alive "$2" && echo running || echo "not running"); the last lines of its log:"
          tail -n 15 "$dir/$2/log" | cut -c1-300 >&2
          exit 1
        fi ;;
    esac
    ;;
  *) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
