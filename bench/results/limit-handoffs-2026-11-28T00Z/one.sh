#!/bin/bash
bin=$1; n=${2:-1}
export CHARGELOCK_DATABASE_URL=postgresql://chargelock@127.0.0.1:24633/limitprof
export CHARGELOCK_SECRET_KEY=$(printf '%064d' 7)
"$bin" serve --ocpp-listen 127.0.0.1:25600 --api-listen 127.0.0.1:25601 --admin-token prof-admin-token-0123456789abcdef --workers 4 > /tmp/limit-ab/one-server.log 2>&1 &
spid=$!; sleep 2
/tmp/limit-A/pilesim --url ws://127.0.0.1:25600/ocpp --count $n --id-pattern 'BENCH-{n}' --password-pattern 'bench-pile-secret-{n}' --rate 2000 --quiet --json --flood heartbeat --flood-duration 4 --flood-wait 60 2>/dev/null | jq -c '.flood | {perSecond, p50: .latencyMs.p50, p99: .latencyMs.p99}'
kill -TERM $spid; wait $spid
