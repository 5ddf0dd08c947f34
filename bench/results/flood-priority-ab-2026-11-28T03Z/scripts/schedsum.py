#!/usr/bin/env python3
# schedstat.txt lines: ts pid tid comm run_ns wait_ns slices prio -> per server process, per thread:
# on-CPU and run-queue wait over the process's sampled life (last - first sample).
import sys, collections
first, last, names, prio = {}, {}, {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 8: continue
    ts, pid, tid, comm, run, wait, _, pr = f[:8]
    key = (pid, tid)
    first.setdefault(key, (int(ts), int(run), int(wait)))
    last[key] = (int(ts), int(run), int(wait)); names[key] = comm; prio[key] = pr
bypid = collections.defaultdict(list)
for k in last: bypid[k[0]].append(k)
for pid, keys in bypid.items():
    span = max(last[k][0] for k in keys) - min(first[k][0] for k in keys)
    print(f"server pid {pid}: sampled {span} s")
    rows = []
    for k in keys:
        run = (last[k][1] - first[k][1]) / 1e9; wait = (last[k][2] - first[k][2]) / 1e9
        if run < 0.05 and wait < 0.05: continue
        name = names[k] + (" (main = ocpp loop)" if k[1] == pid else "")
        rows.append((wait, run, name, k[1], prio[k]))
    for wait, run, name, tid, pr in sorted(rows, key=lambda r: -r[1]):
        print(f"  {name:<28} tid {tid:>7} prio {pr:>3}  on CPU {run:7.2f} s  run-queue wait {wait:7.2f} s  wait/run {wait/run if run else 0:5.2f}")
