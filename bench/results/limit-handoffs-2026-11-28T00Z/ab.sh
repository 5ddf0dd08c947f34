#!/bin/bash
# usage: ab.sh OUTDIR ROUNDS A_DIR B_DIR  (each dir holds chargelock; pilesim and limit from A_DIR)
out=$1; rounds=$2; a=$3; b=$4
mkdir -p "$out"
cd /work/wt-limit
for r in $(seq 1 "$rounds"); do
  for side in A B; do
    dir=$a; [ $side = B ] && dir=$b
    echo "== round $r $side $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/log.txt"
    BENCH_PORT_LOW=25500 BENCH_PORT_HIGH=25999 BENCH_SKIP_BUILD=1 BENCH_BUILD_DIR=/work/wt-limit/build-rel \
      BENCH_CHARGELOCK=$dir/chargelock BENCH_PILESIM=$a/pilesim BENCH_LIMIT=$a/chargelock-limit \
      bench/run.sh --quick --no-peer --scenarios roundtrip > "$out/run-$r-$side.out" 2>&1
    echo "   rc $? end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/log.txt"
    f=$(ls -t bench/results/*.txt | head -1)
    echo "   result $f" >> "$out/log.txt"
    mv "$f" "$out/$side-$r-$(basename "$f")"; mv "${f%.txt}.json" "$out/$side-$r-$(basename "${f%.txt}.json")" 2>/dev/null
    rm -f "${f%.txt}.png"
  done
done
echo DONE >> "$out/log.txt"
