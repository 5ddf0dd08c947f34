#!/bin/bash
# thr.sh BIN : heartbeat flood, per-thread CPU of the server over 4 s mid-flood
bin=$1
( ./prof.sh $bin heartbeat 10 "" > /tmp/limit-ab/thr-run.out 2>&1 & )
sleep 3
for i in $(seq 1 30); do pid=$(pgrep -n -f "$bin serve --ocpp-listen 127.0.0.1:25600"); [ -n "$pid" ] && grep -q "flood .* begins" /tmp/limit-ab/prof-sim.err 2>/dev/null && break; sleep 0.5; done
declare -A t0
for t in /proc/$pid/task/*; do t0[$t]=$(awk '{print $14+$15}' $t/stat); done
sleep 4
for t in /proc/$pid/task/*; do n=$(cat $t/comm); v=$(awk '{print $14+$15}' $t/stat); d=$((v - ${t0[$t]:-0})); [ $d -gt 2 ] && echo "$n $(basename $t) $((d*100/4/100)).$((d*100/4%100))%"; done
sleep 8; cat /tmp/limit-ab/thr-run.out | tail -1
