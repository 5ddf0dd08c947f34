# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # variables shared with the sourcing script
# Shared by bench/run.sh and bench/soak.sh (sourced, not run): the Release
# build, the open-file limit, free ports, the work folder and its cleanup,
# the private PostgreSQL, waiting for a log line, and the flags that lift
# chargelock's rate limits for a load run.
#
# The sourcing script defines log() (its own prefix) and sets `root`,
# `keep` (1: keep the work folder) and `bench_name` (for error messages).

# every_cpu_ticks: every process's CPU ticks so far, "pid comm ticks" lines
# (utime + stime, fields 14-15 of /proc/PID/stat; comm may hold spaces, in
# parentheses). (cat, not awk's own file list: mawk stops at a process gone
# meanwhile.)
every_cpu_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null |
    awk '{ match($0, /\(.*\)/); comm = substr($0, RSTART + 1, RLENGTH - 2)
           split(substr($0, RSTART + RLENGTH + 1), f, " ")
           gsub(/ /, "_", comm); print $1, comm, f[12] + f[13] }' || true
}

# cpu_by_process TICKS_FILE WALL_MS: where the cores went since TICKS_FILE
# (every_cpu_ticks' output then) by process name, CPU ms against what the cores
# had in WALL_MS: a phase whose total is near the cores' ms is CPU-bound,
# and total / cores is the least wall time that work could take here.
cpu_by_process() {
  local cores; cores=$(nproc)
  echo "wall $2 ms; CPU ms by process name ($cores cores: $((cores * $2)) ms)"
  every_cpu_ticks | awk -v hz="$(getconf CLK_TCK)" '
    NR == FNR { before[$1] = $3; next }
    { used[$2] += $3 - (($1 in before) ? before[$1] : 0) }
    END { for (c in used) if (used[c] > 0) { printf "%8d  %s\n", used[c] * 1000 / hz, c; all += used[c] }
          printf "%8d  (all)\n", all * 1000 / hz }' "$1" - | sort -k1,1nr
}

# bench_build DIR TYPE JOBS: scripts/setup.sh installs the missing Debian
# packages and builds chargelock and pilesim (no tests) in DIR.
bench_build() {
  local logf="${TMPDIR:-/tmp}/chargelock-$bench_name-build.log"
  log "building chargelock and pilesim ($2, $1, -j$3)"
  CHARGELOCK_JOBS=$3 "$root/scripts/setup.sh" "$1" -DCMAKE_BUILD_TYPE="$2" \
    -DCHARGELOCK_BUILD_TESTS=OFF >"$logf" 2>&1 || { tail -30 "$logf" >&2; exit 1; }
}

# raise_fd_limit NEED: the soft open-file limit up to the hard one, the hard
# one up to NEED where allowed; sets fd_limit.
raise_fd_limit() {
  local hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$1" ]; then
    ulimit -Hn "$1" 2>/dev/null || log "cannot raise the hard open-file limit above $hard"
  fi
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  fd_limit=$(ulimit -n)
}

free_port() {
  # Below the kernel's ephemeral range (32768-60999 here): thousands of pile
  # connections use those as source ports, and a listener cannot bind one
  # that is in use even though nothing answers a connect to it.
  local lowest=${BENCH_PORT_LOW:-20000} highest port
  highest=${BENCH_PORT_HIGH:-$(($(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768) - 1))}
  for _ in $(seq 1 200); do
    port=$((lowest + RANDOM % (highest - lowest)))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  echo "$bench_name: no free port" >&2; exit 1
}

# make_work_dir: a temp folder `work`, removed on exit (unless keep=1) with
# the processes in `pids` and the PostgreSQL in $work/pg.
make_work_dir() {
  work=$(mktemp -d "/tmp/chargelock-$bench_name.XXXXXX")
  chmod 755 "$work"
  pids=()
  trap bench_cleanup INT TERM EXIT
}
bench_cleanup() {
  trap "" INT TERM
  trap - EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/scripts/postgres.sh" stop "$work/pg" 2>/dev/null || true
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}

# start_postgres FSYNC [OPTIONS]: a private PostgreSQL in $work/pg with the
# database chargelock; sets pg_port, admin_url, db_url and exports
# CHARGELOCK_DATABASE_URL.
start_postgres() {
  pg_port=$(free_port)
  log "private PostgreSQL in $work/pg on port $pg_port (fsync=$1)"
  admin_url=$(CHARGELOCK_PG_FSYNC=$1 CHARGELOCK_PG_OPTIONS=${2:-} "$root/scripts/postgres.sh" start "$work/pg" "$pg_port")
  psql -q "$admin_url" -c "CREATE DATABASE chargelock" >/dev/null
  db_url="postgresql://chargelock@127.0.0.1:$pg_port/chargelock"
  export CHARGELOCK_DATABASE_URL=$db_url
}

# wait_line FILE PATTERN TIMEOUT_S PID: until PATTERN appears in FILE; 1 on
# timeout or exit of PID.
wait_line() {
  local deadline=$(( $(date +%s) + $3 ))
  while ! grep -q -- "$2" "$1" 2>/dev/null; do
    kill -0 "$4" 2>/dev/null || return 1
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# wait_port PORT TIMEOUT_S PID: until a listener on 127.0.0.1:PORT accepts
# while PID runs; 1 on timeout or exit of PID. (chargelock's "listening"
# lines are info level, which the load runs' --log-level warn leaves out.)
wait_port() {
  local deadline=$(( $(date +%s) + $2 ))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || return 1
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
  kill -0 "$3" 2>/dev/null
}

new_admin_token() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }

# `chargelock serve` flags of a load run: no per-token, per-address,
# per-owner or per-hour limits (the load comes from one address and a few
# tokens), warnings and errors only in the log.
load_serve_flags=(--api-token-rate 0 --ocpp-connect-rate 0 --vehicles-per-owner 100000
                  --lock-requests-per-hour 100000 --log-level warn)
