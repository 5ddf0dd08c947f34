#!/usr/bin/env bash
# /tmp/prio-ab/run.sh LABEL RTPRIO AGNICE: notify+api at 10,000; stopped (TERM: the bench cleans up) after the notify record
label=$1; rt=$2; ag=$3
cd /work/wt-prio
dir=/tmp/prio-ab/$label; mkdir -p $dir
/tmp/prio-ab/sampler.sh $dir/schedstat.txt & sp=$!
(while :; do echo "$(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 5; done) > $dir/load.txt & lp=$!
CHARGELOCK_LOOP_REALTIME_PRIORITY=$rt CHARGELOCK_AUTOGROUP_NICE=$ag BENCH_SERVER_SETSID=1 BENCH_SKIP_BUILD=1 BENCH_BUILD_DIR=/work/wt-prio/build-rel \
  bench/run.sh --scenarios notify,api --sizes 10000 --no-peer --no-limit --notify-piles 100 > $dir/out.txt 2>&1 &
bp=$!; echo $bp > $dir/bench.pid
while kill -0 $bp 2>/dev/null; do
  if grep -q '"scenario":"notify"' $dir/out.txt; then sleep 1; kill -TERM $bp; break; fi
  sleep 2
done
wait $bp; echo "rc=$?" >> $dir/out.txt
kill $sp $lp
