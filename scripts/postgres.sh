#!/usr/bin/env bash
# Private PostgreSQL cluster in a folder of our own: no system service.
#   scripts/postgres.sh start DIR PORT   -> initdb if new, start, print URL
#   scripts/postgres.sh restart DIR      -> pg_ctl restart -m fast (fault tests)
#   scripts/postgres.sh stop DIR
# Environment: CHARGELOCK_PG_FSYNC (on|off), CHARGELOCK_PG_OPTIONS (more server
# options, e.g. "-c shared_preload_libraries=pg_stat_statements" for profiling).
# As root the cluster runs as the 'postgres' system user (initdb refuses root).
set -euo pipefail

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && { echo "$dir"; return; }; done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "postgres.sh: no PostgreSQL server binaries (install postgresql)" >&2
  exit 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}; dir=${2:-}; port=${3:-5433}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|restart|stop DIR [PORT]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(pg_bin)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir" && chmod 700 "$dir"

case "$cmd" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U chargelock --auth=trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 ||
        { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${CHARGELOCK_PG_FSYNC:-on} ${CHARGELOCK_PG_OPTIONS:-}" \
        start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
    fi
    echo "postgresql://chargelock@127.0.0.1:$port/postgres"
    ;;
  restart)
    # -m fast: sessions are terminated, as in a crash-free failover or an
    # operator's restart; -w returns once the server accepts connections
    # again (the options of the last start are reused from postmaster.opts).
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null ||
      { tail -20 "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|restart|stop DIR [PORT]" >&2; exit 2 ;;
esac
