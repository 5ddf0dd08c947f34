#!/usr/bin/env bash
# Round trips (statements seen by pg_stat_statements, BEGIN/COMMIT included)
# of single API requests: count.sh LABEL BINARY
set -euo pipefail
label=$1; bin=$2
admin=postgresql://chargelock@127.0.0.1:24613/postgres
db=rt_$label
psql -qAt "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
url=postgresql://chargelock@127.0.0.1:24613/$db
psql -qAt "$url" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
export CHARGELOCK_DATABASE_URL=$url
export CHARGELOCK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$bin" migrate >/dev/null
"$bin" chargepoint add-range RT- 1 200 --password-pattern 'rt-pile-secret-{n}-xxxxxx' >/dev/null
tok=rt-admin-token-0123456789abcdef
"$bin" api --api-listen 127.0.0.1:24702 --admin-token $tok > /tmp/apitok-rt/$label.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:24702/healthz && break; sleep 0.1; done
api() { curl -s -X "$1" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+--data "$4"} "http://127.0.0.1:24702/api/v1$2"; }
owner=$(api POST /owners $tok '{"name":"rt"}')
otok=$(jq -r .token <<<"$owner"); oid=$(jq -r .ownerId <<<"$owner")
vin=WRTRT000000000001
api POST /idtags $tok "{\"idTag\":\"RTTAG1\",\"ownerId\":$oid}" >/dev/null
api POST /vehicles $otok "{\"vin\":\"$vin\",\"idTags\":[\"RTTAG1\"],\"evccIds\":[]}" >/dev/null
api POST /vehicles/$vin/verify $tok "{\"ownerId\":$oid}" >/dev/null
sleep 1.2  # the token channel's first round trip (a kept token from then on)
count() {  # METHOD PATH TOKEN BODY -> statements of that request (min of the repetitions is taken outside)
  psql -qAt "$url" -c "SELECT pg_stat_statements_reset()" >/dev/null
  api "$@" | head -c 80 >> /tmp/apitok-rt/$label.answers; echo >> /tmp/apitok-rt/$label.answers
  psql -qAt "$url" -c "SELECT coalesce(sum(calls),0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = '$db' AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%AS chargelock_api_tokens%' AND toplevel"
}
for cycle in 1 2 3 4 5; do
  lock=$(api POST /vehicles/$vin/lock $otok '{}' | jq -r '.lockId // .id')
  sleep 0.3
  min() { sort -n | head -1; }
  get=$(for r in 1 2 3 4 5; do count GET /locks/$lock $otok; done | min)
  post=$(for r in 1 2 3 4 5; do count POST /vehicles/$vin/lock $otok '{}'; done | min)
  change=$(for r in 1 2 3 4 5; do count PATCH /locks/$lock $otok "{\"caseReference\":\"case-$cycle-$r\"}"; done | min)
  release=$(count POST /locks/$lock/release $otok '{}')
  echo "$label cycle $cycle: GET /locks/{id} $get, repeated POST lock $post, PATCH $change, release $release"
done
