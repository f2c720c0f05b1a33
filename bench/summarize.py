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
    # Server CPU time (threads and children included) per echo, in us.
    cpu = None
    if "cpu_ticks" in r and res.get("exchanges"):
        cpu = r["cpu_ticks"] * 1e6 / r["ticks_per_s"] / res["exchanges"]
    rows[(r["workload"], r["server"])].append((res["per_second"], res["p99_us"], res["errors"], cpu))


def med(key, i):
    values = [x[i] for x in rows[key] if x[i] is not None]
    return statistics.median(values) if values else float("nan")


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
PYTHON = {"io100": ["threading", "forking"], "cpu10": ["cputcp", "cputhreading", "cpuforking"]}
for w, (ref, kinds) in GROUPS.items():
    if not any(k[0] == w for k in rows):
        continue
    # CPU per echo against the event loop of the same runtime (python: its
    # threading server), the ratio the pools' targets are set in.
    print(f"| {w} | server | per s | x {ref} | CPU us per echo | CPU x eventloop | p99 us | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    pbase = (w, "python-cputcp" if w == "cpu10" else "python-threading")
    pcpu = (w, "python-cputhreading" if w == "cpu10" else "python-threading")
    for kind in PYTHON.get(w, []):
        key = (w, f"python-{kind}")
        if key in rows:
            ratio = f"{med(key, 0) / med(pbase, 0):.2f}" if pbase in rows and w == "cpu10" else "-"
            cratio = f"{med(key, 3) / med(pcpu, 3):.2f}" if pcpu in rows else "-"
            print(f"| {w} | python {kind.removeprefix('cpu')} | {med(key, 0):,.0f} | {ratio} "
                  f"| {med(key, 3):.2f} | {cratio} (python) | {med(key, 1):,.0f} | {errors(key)} |")
    for rt in ("deno", "bun", "node"):
        base = (w, f"{rt}-{ref}")
        loop = (w, f"{rt}-{'cpueventloop' if w == 'cpu10' else 'eventloop'}")
        for kind in kinds:
            key = (w, f"{rt}-{kind}")
            if key in rows and base in rows:
                cratio = f"{med(key, 3) / med(loop, 3):.2f}" if loop in rows else "-"
                print(f"| {w} | {rt} {kind.removeprefix('cpu')} | {med(key, 0):,.0f} "
                      f"| {med(key, 0) / med(base, 0):.2f} | {med(key, 3):.2f} | {cratio} "
                      f"| {med(key, 1):,.0f} | {errors(key)} |")
    print()
