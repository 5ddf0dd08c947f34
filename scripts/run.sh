#!/usr/bin/env bash
# Quick start command 1: set up and run ChargeLock locally.
#  - installs what is missing and builds (build/)
#  - starts a private PostgreSQL cluster in .data/pg (port 5433 unless
#    CHARGELOCK_PG_PORT says otherwise); data is kept between runs
#  - registers a few demo charge points and runs `chargelock serve`
#  - starts simulated piles (pilesim) when it has been built
# Ctrl-C stops everything, PostgreSQL included.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHARGELOCK_BUILD:-$root/build}
data=$root/.data
pg_port=${CHARGELOCK_PG_PORT:-5433}
piles=${CHARGELOCK_DEMO_PILES:-3}

"$root/scripts/setup.sh" "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARGELOCK_BUILD_TESTS=OFF

mkdir -p "$data"
chmod 755 "$data"
admin_url=$("$root/scripts/postgres.sh" start "$data/pg" "$pg_port")
pids=()
cleanup() {
  trap "" INT TERM  # a second Ctrl-C must not cut the cleanup short
  trap - EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/scripts/postgres.sh" stop "$data/pg"
  echo "run: stopped (data kept in $data)"
}
trap cleanup INT TERM EXIT

psql -q "$admin_url" -tc "SELECT 1 FROM pg_database WHERE datname = 'chargelock'" | grep -q 1 ||
  psql -q "$admin_url" -c "CREATE DATABASE chargelock" >/dev/null
export CHARGELOCK_DATABASE_URL="postgresql://chargelock@127.0.0.1:$pg_port/chargelock"
export CHARGELOCK_API_LISTEN=${CHARGELOCK_API_LISTEN:-0.0.0.0:8080}
export CHARGELOCK_ADMIN_TOKEN=${CHARGELOCK_ADMIN_TOKEN:-$(cat "$data/admin-token" 2>/dev/null ||
  (head -c 24 /dev/urandom | base64 | tr -d '/+=' | tee "$data/admin-token"))}

"$build/app/chargelock" migrate
for i in $(seq 1 "$piles"); do
  "$build/app/chargelock" chargepoint add "SIM-$i" --password "sim-pile-secret-$i" \
    --lat "48.1$i" --lon "11.5$i" --if-missing >/dev/null
done

"$build/app/chargelock" serve &
pids+=($!)
listen=${CHARGELOCK_OCPP_LISTEN:-0.0.0.0:8180}
echo "run: central system at ws://localhost:${listen##*:}/ocpp/{id}"
echo "run: operator console at http://localhost:${CHARGELOCK_API_LISTEN##*:}/ (sign in with the admin token)," \
     "owner page at http://localhost:${CHARGELOCK_API_LISTEN##*:}/owner"
echo "run: admin token in $data/admin-token; Ctrl-C stops everything"

if [ -x "$build/simulators/pilesim" ]; then
  # The demo fleet's RFID cards BUSY-1..BUSY-5, known to the central system
  # (few, so a card comes back within minutes: the README's theft story).
  api="http://127.0.0.1:${CHARGELOCK_API_LISTEN##*:}/api/v1"
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$api/openapi.json" && break; sleep 0.2; done
  for i in $(seq 1 5); do
    curl -s -o /dev/null -H "Authorization: Bearer $CHARGELOCK_ADMIN_TOKEN" \
      -d "{\"idTag\":\"BUSY-$i\"}" "$api/idtags" || true
  done
  "$build/simulators/pilesim" --url "ws://127.0.0.1:${listen##*:}/ocpp" --count "$piles" \
    --id-pattern "SIM-{n}" --password-pattern "sim-pile-secret-{n}" --busy --busy-tags 5 \
    --busy-idle 20 --busy-session 60 &
  pids+=($!)
fi
wait -n "${pids[@]}"
