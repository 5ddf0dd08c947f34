#!/usr/bin/env bash
# Usage: run.sh DATABASE_URL old|new  (database migrated by chargelock; prints per-phase sums)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); U=$1; v=$2
arr() { local s=""; for g in $(seq "$1" "$2"); do s="$s,P$g"; done; echo "'{${s:1}}'"; }
{ if [ "$v" = old ]; then cat "$here/old_idx.sql" "$here/claim_old.sql"; else cat "$here/new_idx.sql" "$here/claim_new_prep.sql"; fi
  echo "INSERT INTO commands (charge_point_id, action, payload, expires_at) SELECT 'P'||g, 'DataTransfer', '{}', now()+interval '1 hour' FROM generate_series(1,10000) g;"
  echo '\timing on'
  for b in $(seq 0 39); do echo "EXECUTE claim($(arr $((b*250+1)) $((b*250+250))), 'n1');"; done
  for b in $(seq 0 39); do a=$(arr $((b*250+1)) $((b*250+250)))
    echo "UPDATE commands SET status='completed', completed_at=now() WHERE status='sent' AND charge_point_id = ANY($a);"
    echo "EXECUTE claim($a, 'n1');"; done; } > /tmp/claim-plan-run.sql
psql -XAq "$U" -f "$here/setup.sql" >/dev/null 2>&1
psql -XAq "$U" -f /tmp/claim-plan-run.sql 2>&1 | grep Time | awk '{print $2}' | tail -n 120 > /tmp/claim-plan.times
python3 "$here/report.py" /tmp/claim-plan.times
