"""Medians of bench/run.sh rounds: our servers next to the raw server of each runtime.

usage: python3 summarize.py results.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    res = r["result"]
    rows[(r["workload"], r["server"])].append((res["per_second"], res["p99_us"], res["errors"]))


def med(key, i):
    return statistics.median(x[i] for x in rows[key])


def errors(*keys):
    return sum(x[2] for k in keys for x in rows[k])


# Echo workloads: ours next to the raw server of the same runtime.
PAIRS = {"pp1": ("raw", "tcpserver"),
         "udp1": ("rawudp", "udpserver"), "udp10": ("rawudp", "udpserver")}
printed = False
for w in sorted({w for w, _ in rows if w in PAIRS}):
    if not printed:
        print("| workload | runtime | raw/s | ours/s | ratio | raw p99 us | ours p99 us | errors |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        printed = True
    for rt in ("deno", "bun", "node"):
        raw, ours = (w, f"{rt}-{PAIRS[w][0]}"), (w, f"{rt}-{PAIRS[w][1]}")
        if raw in rows and ours in rows:
            print(f"| {w} | {rt} | {med(raw, 0):,.0f} | {med(ours, 0):,.0f} | {med(ours, 0) / med(raw, 0):.2f} "
                  f"| {med(raw, 1):,.0f} | {med(ours, 1):,.0f} | {errors(raw, ours)} |")
if printed:
    print()

# Several servers against one reference: the raw echo (io100) or the
# sequential TCPServer of the same runtime (cpu10).
GROUPS = {
    "pp100": ("raw", ["raw", "rawpull", "eventloop"]),
    "io100": ("raw", ["raw", "rawpull", "eventloop", "threading", "forking"]),
    "cpu10": ("cputcpserver", ["cputcpserver", "cpueventloop", "cputhreading", "cpuforking"]),
}
for w, (ref, kinds) in GROUPS.items():
    if not any(k[0] == w for k in rows):
        continue
    print(f"| {w} | server | per s | x {ref} | p99 us | errors |")
    print("| --- | --- | --- | --- | --- | --- |")
    if w == "cpu10":
        base = (w, "python-cputcp")
        for kind in ("cputcp", "cpuforking"):
            key = (w, f"python-{kind}")
            if key in rows and base in rows:
                print(f"| {w} | python {kind[3:]} | {med(key, 0):,.0f} | {med(key, 0) / med(base, 0):.2f} "
                      f"| {med(key, 1):,.0f} | {errors(key)} |")
    for rt in ("deno", "bun", "node"):
        base = (w, f"{rt}-{ref}")
        for kind in kinds:
            key = (w, f"{rt}-{kind}")
            if key in rows and base in rows:
                print(f"| {w} | {rt} {kind.removeprefix('cpu')} | {med(key, 0):,.0f} "
                      f"| {med(key, 0) / med(base, 0):.2f} | {med(key, 1):,.0f} | {errors(key)} |")
    print()
