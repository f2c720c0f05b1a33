"""Medians of bench/run.sh rounds: our server next to the raw server of each runtime."""
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

print("| workload | runtime | raw echoes/s | ours echoes/s | ratio | raw p99 us | ours p99 us | errors |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for w in sorted({w for w, _ in rows}):
    for rt in ("deno", "bun", "node"):
        kinds = (("rawudp", "udpserver") if w.startswith("udp")
                 else ("raw", "eventloop") if w == "pp100" else ("raw", "tcpserver"))
        raw, ours = (w, f"{rt}-{kinds[0]}"), (w, f"{rt}-{kinds[1]}")
        if raw not in rows or ours not in rows:
            continue
        errors = sum(x[2] for x in rows[raw] + rows[ours])
        print(f"| {w} | {rt} | {med(raw, 0):,.0f} | {med(ours, 0):,.0f} | {med(ours, 0) / med(raw, 0):.2f} "
              f"| {med(raw, 1):,.0f} | {med(ours, 1):,.0f} | {errors} |")
