#!/usr/bin/env bash
# /tmp/prio-ab/perfapi.sh LABEL: during the api scenario's flood, perf record the API loop thread (the unnamed thread that is not main, at RT, or the given TID) 5 s
d=/tmp/prio-ab/$1
until w=$(sed -n 's/.*private PostgreSQL in \(.*\)\/pg on port.*/\1/p' $d/out.txt) && [ -n "$w" ]; do sleep 2; done
until grep -q "API under load" $d/out.txt; do sleep 1; done
until grep -q "flood .* begins" $w/pilesim.err 2>/dev/null; do sleep 1; done
sleep 16
exe=/work/wt-prio/build-rel/app/chargelock
for p in /proc/[0-9]*; do [ "$(readlink $p/exe 2>/dev/null)" = "$exe" ] && pid=${p#/proc/}; done
for t in /proc/$pid/task/*; do
  tid=${t##*/}; [ "$tid" = "$pid" ] && continue
  [ "$(cat $t/comm)" = chargelock ] || continue
  chrt -p $tid | grep -q SCHED_RR && api=$tid
done
echo "pid $pid api loop $api" > $d/perf-api-loop.txt
perf record -q -t $api -g -o $d/perf-api.data -- sleep 5 >/dev/null 2>&1
perf report -i $d/perf-api.data --no-children --stdio --percent-limit 2 2>/dev/null | grep -v "^$" | head -80 >> $d/perf-api-loop.txt
rm -f $d/perf-api.data
