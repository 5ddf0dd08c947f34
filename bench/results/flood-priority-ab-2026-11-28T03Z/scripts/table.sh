#!/usr/bin/env bash
# One line per run: label, load min-max, api flood msg/s, GET p50/p99, POST p50/p99, notify flood msg/s, answer/SSE/webhook p50/p90/p99
for d in "$@"; do
  l=$(basename $d)
  load=$(awk '{print $2}' $d/load.txt | sort -n | sed -n '1p;$p' | paste -sd-)
  api=$(grep '"scenario":"api"' $d/out.txt | jq -r '"\(.floodPerSecond|floor) | \(.getLockP50Ms) / \(.getLockP99Ms) | \(.postLockP50Ms) / \(.postLockP99Ms) | \(.requests)"')
  nt=$(grep '"scenario":"notify"' $d/out.txt | jq -r '"\(.floodPerSecond|floor) | \(.answer.p50Ms) / \(.answer.p90Ms) / \(.answer.p99Ms) | \(.sse.p50Ms) / \(.sse.p90Ms) / \(.sse.p99Ms) | \(.webhook.p50Ms) / \(.webhook.p90Ms) / \(.webhook.p99Ms) | \(.accepted)/\(.sent)"')
  echo "| $l | $load | $api | $nt |"
done
