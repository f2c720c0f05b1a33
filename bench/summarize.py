"""Medians of bench/run.sh rounds: our servers next to the raw server of each runtime.

A ratio is the median of each round's ratio: the servers of one round ran
minutes apart at most, while the machine's speed drifts more between rounds,
so a ratio of medians taken from different rounds can be far from all of them.

usage: python3 summarize.py results.jsonl [--svg chart.svg]
With --svg it also draws memory per idle connection and CPU per echo.
"""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
idle = defaultdict(list)  # (runtime, kind) -> bytes per idle connection
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["workload"] == "idle":
        rt, kind = r["server"].split("-", 1)
        idle[(rt, kind.removeprefix("idle"))].append(r["per_conn_bytes"])
        continue
    res = r["result"]
    # Server CPU time (threads and children included) per echo, in us.
    cpu = None
    if "cpu_ticks" in r and res.get("exchanges"):
        cpu = r["cpu_ticks"] * 1e6 / r["ticks_per_s"] / res["exchanges"]
    rows[(r["workload"], r["server"])].append((res["per_second"], res["p99_us"], res["errors"], cpu, r["round"]))


def med(key, i):
    values = [x[i] for x in rows[key] if x[i] is not None]
    return statistics.median(values) if values else float("nan")


def ratio(key, base, i):
    """The median over rounds of key's value i divided by base's in the same round."""
    theirs = {x[4]: x[i] for x in rows[base] if x[i]}
    values = [x[i] / theirs[x[4]] for x in rows[key] if x[i] is not None and x[4] in theirs]
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
            print(f"| {w} | {rt} | {med(raw, 0):,.0f} | {med(ours, 0):,.0f} | {ratio(ours, raw, 0):.2f} "
                  f"| {med(raw, 1):,.0f} | {med(ours, 1):,.0f} | {errors(raw, ours)} |")
if printed:
    print()

# Several servers against one reference: the raw echo (io100) or the
# sequential TCPServer of the same runtime (cpu10).
GROUPS = {
    "pp100": ("raw", ["raw", "rawpull", "eventloop"]),
    "io100": ("raw", ["raw", "rawpull", "eventloop", "threading", "listening", "forking", "forklistening"]),
    "cpu10": ("cputcpserver", ["cputcpserver", "cpueventloop", "cputhreading", "cpulistening", "cpuforking", "cpuforklistening"]),
    "udppools": ("rawudp", ["rawudp", "udpserver", "udpthreading", "udplistening", "udpforking", "udpforklistening"]),
}
# What each group's "CPU x" column divides by: the one-loop server.
LOOP = {"cpu10": "cpueventloop", "udppools": "udpserver"}
PYTHON = {"io100": ["threading", "forking"], "cpu10": ["cputcp", "cputhreading", "cpuforking"]}
for w, (ref, kinds) in GROUPS.items():
    if not any(k[0] == w for k in rows):
        continue
    # CPU per echo against the event loop of the same runtime (python: its
    # threading server), the ratio the pools' targets are set in.
    print(f"| {w} | server | per s | x {ref} | CPU us per echo | CPU x {LOOP.get(w, 'eventloop')} | p99 us | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    pbase = (w, "python-cputcp" if w == "cpu10" else "python-threading")
    pcpu = (w, "python-cputhreading" if w == "cpu10" else "python-threading")
    for kind in PYTHON.get(w, []):
        key = (w, f"python-{kind}")
        if key in rows:
            pratio = f"{ratio(key, pbase, 0):.2f}" if pbase in rows and w == "cpu10" else "-"
            cratio = f"{ratio(key, pcpu, 3):.2f}" if pcpu in rows else "-"
            print(f"| {w} | python {kind.removeprefix('cpu')} | {med(key, 0):,.0f} | {pratio} "
                  f"| {med(key, 3):.2f} | {cratio} (python) | {med(key, 1):,.0f} | {errors(key)} |")
    for rt in ("deno", "bun", "node"):
        base = (w, f"{rt}-{ref}")
        loop = (w, f"{rt}-{LOOP.get(w, 'eventloop')}")
        for kind in kinds:
            key = (w, f"{rt}-{kind}")
            if key in rows and base in rows:
                cratio = f"{ratio(key, loop, 3):.2f}" if loop in rows else "-"
                print(f"| {w} | {rt} {kind.removeprefix('cpu')} | {med(key, 0):,.0f} "
                      f"| {ratio(key, base, 0):.2f} | {med(key, 3):.2f} | {cratio} "
                      f"| {med(key, 1):,.0f} | {errors(key)} |")
    print()

IDLE_KINDS = ["raw", "rawpull", "eventloop"]
if idle:
    print("| idle | runtime | raw KB | rawpull KB | event loop KB | event loop x raw |")
    print("| --- | --- | --- | --- | --- | --- |")
    for rt in ("deno", "bun", "node"):
        kb = {k: statistics.median(idle[(rt, k)]) / 1000 for k in IDLE_KINDS if (rt, k) in idle}
        if len(kb) == len(IDLE_KINDS):
            print(f"| idle | {rt} | {kb['raw']:.1f} | {kb['rawpull']:.1f} | {kb['eventloop']:.1f} "
                  f"| {kb['eventloop'] / kb['raw']:.2f} |")
    print()


def svg_panel(x0, title, unit, groups, series, values):
    """One grouped bar chart: a group per runtime, a bar per series."""
    w, h, top, bottom = 440, 230, 56, 40
    peak = max([v for v in values.values() if v == v] or [1])
    colors = ["#9aa5b1", "#5b8def", "#e8793a", "#3aa66b", "#a05bd6"]
    out = [f'<text x="{x0 + 10}" y="20" font-size="14" font-weight="bold">{title}</text>']
    gw = (w - 20) / max(len(groups), 1)
    bw = (gw - 20) / max(len(series), 1)
    for gi, g in enumerate(groups):
        gx = x0 + 10 + gi * gw
        out.append(f'<text x="{gx + gw / 2 - 10:.0f}" y="{h - 12}" font-size="12" text-anchor="middle">{g}</text>')
        for si, name in enumerate(series):
            v = values.get((g, name))
            if v is None or v != v:
                continue
            bh = (h - top - bottom) * v / peak
            bx = gx + si * bw
            out.append(f'<rect x="{bx:.1f}" y="{h - bottom - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="{colors[si % 5]}"/>')
            out.append(f'<text x="{bx + bw / 2 - 1:.1f}" y="{h - bottom - bh - 3:.1f}" font-size="9" text-anchor="middle">{v:.1f}</text>')
    for si, name in enumerate(series):
        lx = x0 + 10 + si * 85
        out.append(f'<rect x="{lx}" y="28" width="9" height="9" fill="{colors[si % 5]}"/>')
        out.append(f'<text x="{lx + 12}" y="36" font-size="10">{name}</text>')
    out.append(f'<text x="{x0 + w - 10}" y="20" font-size="10" text-anchor="end">{unit}</text>')
    return out


if "--svg" in sys.argv:
    path = sys.argv[sys.argv.index("--svg") + 1]
    runtimes = ["deno", "bun", "node"]
    parts = []
    x = 0
    if idle:
        values = {(rt, k): statistics.median(v) / 1000 for (rt, k), v in idle.items()}
        parts += svg_panel(x, "Memory per idle connection", "KB, lower is better",
                           runtimes, IDLE_KINDS, values)
        x += 460
    w = next((w for w in ("io100", "pp100") if any(k[0] == w for k in rows)), None)
    if w:
        kinds = [k for k in GROUPS[w][1] if any((w, f"{rt}-{k}") in rows for rt in runtimes)]
        values = {(rt, k): med((w, f"{rt}-{k}"), 3) for rt in runtimes for k in kinds if (w, f"{rt}-{k}") in rows}
        parts += svg_panel(x, f"Server CPU per echo ({w})", "us, lower is better", runtimes, kinds, values)
        x += 460
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{max(x, 460)}" height="240" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>', *parts, "</svg>"]
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")
    print(f"chart written to {path}")
