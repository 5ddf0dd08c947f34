#!/usr/bin/env bash
# Every 2 s: each thread of this worktree's chargelock: name, run ns, wait ns (schedstat) -> $1
out=$1; exe=/work/wt-prio/build-rel/app/chargelock
while :; do
  for p in /proc/[0-9]*; do
    [ "$(readlink $p/exe 2>/dev/null)" = "$exe" ] || continue
    ts=$(date +%s)
    for t in $p/task/*; do
      echo "$ts ${p#/proc/} ${t##*/} $(tr ' ' '_' < $t/comm 2>/dev/null) $(cat $t/schedstat 2>/dev/null) $(awk "{print \$18\"/\"\$19}" $t/stat 2>/dev/null)"
    done
  done >> "$out"
  sleep 2
done
