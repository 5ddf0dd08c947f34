#!/bin/bash
# CPU per answered message (us; the bench's cpu% columns are % of one core over the window):
# server+pg+sim for ChargeLock and for the limit, and the ratio limit_us / chargelock_us
# (= the msg/s ratio a saturated quiet machine would give).
for f in $(ls "$1"/*-[0-9]-*.txt | sort -t- -k2,2n -k1,1); do
  b=$(basename "$f")
  awk -v name="$b" -v piles="${2:-200}" '
    /^  (chargelock|limit) +[0-9]+ (heartbeat|status|meter)/ && $2==piles {
      n=NF; us=($(n-2)+$(n-1)+$n)*10000/$4; key=$1" "$3; tot[key]=us; srv[key]=$(n-2)*10000/$4; pg[key]=$(n-1)*10000/$4 }
    END {
      line=sprintf("%-32s", substr(name,1,32));
      split("heartbeat status meter", K, " ");
      for (k=1;k<=3;k++) { kind=K[k];
        line=line sprintf(" | %s srv %4.1f pg %4.1f tot %5.1f lim %4.1f -> %.2f", substr(kind,1,2), srv["chargelock " kind], pg["chargelock " kind], tot["chargelock " kind], tot["limit " kind], tot["limit " kind]/tot["chargelock " kind]); }
      print line }' "$f"
done
