#!/usr/bin/env bash
# /tmp/prio-ab/perfsched.sh LABEL: once the api scenario's flood began, perf sched for 5 s -> latency summary
d=/tmp/prio-ab/$1
until w=$(sed -n 's/.*private PostgreSQL in \(.*\)\/pg on port.*/\1/p' $d/out.txt) && [ -n "$w" ]; do sleep 2; done
until grep -q "API under load" $d/out.txt; do sleep 1; done
until grep -q "flood .* begins" $w/pilesim.err 2>/dev/null; do sleep 1; done
sleep 8
cd /tmp/prio-ab && perf sched record -a -o $d/perf.data -- sleep 5 2>/dev/null >/dev/null
perf sched latency -i $d/perf.data --sort max 2>/dev/null > $d/perf-sched-latency.txt
perf sched timehist -i $d/perf.data 2>/dev/null | grep -E " curl\[" > $d/perf-curl.txt
rm -f $d/perf.data
