#!/bin/bash
# prof.sh BIN KIND SECONDS OUT : hand run on my PG (24633), OCPP 25600/API 25601, 200 piles, perf of the server
bin=$1; kind=$2; secs=$3; out=$4
export CHARGELOCK_DATABASE_URL=postgresql://chargelock@127.0.0.1:24633/limitprof
export CHARGELOCK_SECRET_KEY=$(printf '%064d' 7)
if ! psql -qAt postgresql://chargelock@127.0.0.1:24633/postgres -c "select 1 from pg_database where datname='limitprof'" | grep -q 1; then
  psql -q postgresql://chargelock@127.0.0.1:24633/postgres -c "CREATE DATABASE limitprof"
  "$bin" migrate >/dev/null
  "$bin" chargepoint add-range BENCH- 1 200 --password-pattern 'bench-pile-secret-{n}' >/dev/null
fi
${NICE:+nice -n $NICE} ${RT:+chrt -f $RT} "$bin" serve --ocpp-listen 127.0.0.1:25600 --api-listen 127.0.0.1:25601 --admin-token prof-admin-token-0123456789abcdef --workers 4 > /tmp/limit-ab/prof-server.log 2>&1 &
spid=$!
sleep 2
${NICE:+nice -n $NICE} /tmp/limit-A/pilesim --url ws://127.0.0.1:25600/ocpp --count 200 --id-pattern 'BENCH-{n}' --password-pattern 'bench-pile-secret-{n}' --rate 2000 --quiet --json --flood "$kind" --flood-duration "$secs" --flood-wait 60 > /tmp/limit-ab/prof-sim.json 2>/tmp/limit-ab/prof-sim.err &
simpid=$!
for i in $(seq 1 60); do grep -q "flood .* begins" /tmp/limit-ab/prof-sim.err && break; sleep 0.5; done
if [ -n "$out" ]; then perf record -g -p $spid -o "$out" -- sleep $((secs - 2)) 2>/dev/null >/dev/null; fi
wait $simpid
jq -c '.flood | {perSecond, answered, p50: .latencyMs.p50}' /tmp/limit-ab/prof-sim.json
kill -TERM $spid; wait $spid
