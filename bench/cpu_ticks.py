"""CPU time (in clock ticks) of a process and all its descendants, from
/proc: a threading server's threads and a forking server's children count,
and so do children already gone, through their parent's cutime and cstime
(Python's ForkingTCPServer forks one per connection).

usage: python3 cpu_ticks.py PID
"""
import os
import sys

root = int(sys.argv[1])
children, ticks = {}, {}
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    try:
        with open(f"/proc/{entry}/stat") as f:
            stat = f.read()
    except OSError:
        continue  # gone meanwhile
    fields = stat[stat.rindex(")") + 2:].split()
    children.setdefault(int(fields[1]), []).append(int(entry))
    # utime, stime, and cutime, cstime: the children it has waited for.
    ticks[int(entry)] = sum(int(v) for v in fields[11:15])
total, todo = 0, [root]
while todo:
    pid = todo.pop()
    total += ticks.get(pid, 0)
    todo += children.get(pid, [])
print(total)
