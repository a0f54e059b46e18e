#!/usr/bin/env python3
"""Shares of a native engine profile by statistic (docs/plans/performance.md §4).

Build scalelab-bench with line tables (same code, same LTO) and record it:
  CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release -p scalelab-engine --bin scalelab-bench
  perf record -F 1999 -o mm1.data -- target/release/scalelab-bench run engine/scenarios/bench-mm1.json
  python3 xtask/perf-shares.py target/release/scalelab-bench mm1.data     (LINES=1: the top lines too)
Each sample goes to the first matching row reading its inline chain
(llvm-addr2line -i) from the innermost engine frame out. Shares of one run do
not depend on the machine's load."""
import subprocess, sys, collections
binary, data = sys.argv[1], sys.argv[2]
import re
mm = subprocess.run(["perf", "script", "-i", data, "--show-mmap-events"], capture_output=True, text=True).stdout
m = [l for l in mm.splitlines() if "MMAP" in l and "r-xp" in l and l.rstrip().endswith(binary)][0]
base, pgoff = re.search(r"\[(0x[0-9a-f]+)\(0x[0-9a-f]+\) @ (0x[0-9a-f]+|0) ", m).groups()
base, pgoff = int(base, 16), int(pgoff, 16)
loads = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True).stdout
delta = None
for l in loads.splitlines():
    f = l.split()
    # The executable segment: its address minus its offset in the file.
    if f and f[0] == "LOAD" and "E" in f[6:-1]:
        delta = int(f[2], 16) - int(f[1], 16)
out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,dso"], capture_output=True, text=True).stdout
ips = []
for line in out.splitlines():
    parts = line.split()
    if len(parts) >= 2 and binary.split("/")[-1] in parts[1]:
        ips.append("%x" % (int(parts[0], 16) - base + pgoff + delta))
    else:
        ips.append(None)
uniq = sorted({ip for ip in ips if ip})
# Addresses are file offsets for a non-PIE; perf prints virtual addresses (PIE: relative to the load base,
# which perf script already maps for dso symbols). Ask addr2line for the chains.
res = subprocess.run(["llvm-addr2line", "-i", "-f", "-C", "-e", binary, "--output-style=LLVM"] + ["0x" + u for u in uniq],
                     capture_output=True, text=True).stdout
chains = {}
blocks = res.strip("\n").split("\n\n")
for u, b in zip(uniq, blocks):
    lines = b.split("\n")
    frames = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2)]
    chains[u] = frames  # innermost first
def eng(f):
    return "/engine/src/" in f[1]
def path(f):
    return f[1].split("/engine/src/")[1].split(":")[0]
def classify(chain):
    es = [f for f in chain if eng(f)]
    if not es:
        return "outside the engine (libc, allocator, std not inlined)"
    for k, f in enumerate(es):
        p = path(f)
        if p in ("kernel/trace.rs", "kernel/breakdown.rs"):
            return "statistics: breakdown traces"
        if p == "kernel/latency.rs":
            return "statistics: global latency histograms"
        if p in ("kernel/snapshot.rs", "kernel/recent.rs"):
            return "statistics: per-node latency, regions, readings"
        if p == "base/histogram.rs":
            for g in es[k + 1:]:
                q = path(g)
                if q == "base/histogram.rs":
                    continue
                if q == "kernel/latency.rs" or (q == "kernel/sim.rs" and "finish" in g[0]):
                    return "statistics: global latency histograms"
                if q in ("kernel/snapshot.rs", "kernel/recent.rs"):
                    return "statistics: per-node latency, regions, readings"
                return "statistics: other histogram use (per-second quantiles, goal, batches)"
            if "record_all" in f[0]:
                return "statistics: latency folds (buffered, per-node and global)"
            return "statistics: other histogram use (per-second quantiles, goal, batches)"
        if p == "metrics/stats.rs":
            return "statistics: busy/waiting time integrals"
        if p in ("metrics/series.rs", "metrics/confidence.rs", "model/goal.rs"):
            return "statistics: other histogram use (per-second quantiles, goal, batches)"
        if p == "blocks/event.rs":
            return "event list"
        if p in ("base/rng.rs", "base/ziggurat.rs") or p.startswith("blocks/dist"):
            return "random draws"
        if p == "blocks/request.rs":
            return "request arena"
        return "moving requests, components, dispatch"
    return "?"
counts = collections.Counter()
lines = collections.Counter()
for ip in ips:
    c = classify(chains[ip]) if ip else "outside the engine (libc, allocator, std not inlined)"
    counts[c] += 1
    if ip and c.startswith("statistics"):
        es = [f for f in chains[ip] if eng(f)]
        lines[(c, " <- ".join(path(f) + ":" + f[1].split(":")[1] for f in es[:3]))] += 1
total = sum(counts.values())
stats = sum(v for k, v in counts.items() if k.startswith("statistics"))
print(f"samples {total}; statistics {100*stats/total:.1f}%")
for k, v in sorted(counts.items(), key=lambda kv: (not kv[0].startswith("statistics"), -kv[1])):
    print(f"  {100*v/total:5.1f}%  {k}")

import os
if os.environ.get("LINES"):
    for (c, l), v in lines.most_common(25):
        print(f"  {100*v/total:5.2f}%  {c[12:]}: {l}")
