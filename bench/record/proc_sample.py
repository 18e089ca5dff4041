#!/usr/bin/env python3
"""Runs one command (the profiler) and samples its own resource use from /proc
while it runs: resident set (VmRSS, VmHWM) and CPU time summed over its threads
(/proc/PID/task/*/schedstat, nanoseconds; children such as a launched target
are not included). Used by bench/record/rss.sh and startup.sh.

  proc_sample.py --interval 0.1 --out ROWS [--stdout F] [--stderr F] -- CMD...

ROWS starts with "start_realtime_ns N" (CLOCK_REALTIME just before the spawn,
for hooks that stamp times with `date +%s%N`), then one line per sample,
"t_s rss_kib hwm_kib cpu_ms" (t from the spawn),
and a last line "end t_s exit_status maxrss_kib" where maxrss comes from wait4
(the true peak, which sampling can miss; it is the max with the command's own
reaped children, which are small here). Exits with the command's status.
"""
import argparse
import glob
import os
import subprocess
import sys
import time


def read_status(pid):
    rss = hwm = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def read_cpu_ns(pid):
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just exited
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--out", required=True)
    p.add_argument("--stdout")
    p.add_argument("--stderr")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        p.error("no command")
    out = open(a.stdout, "w") if a.stdout else None
    err = open(a.stderr, "w") if a.stderr else None
    rows = open(a.out, "w")
    rows.write(f"start_realtime_ns {time.time_ns()}\n")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err)
    status = None
    while True:
        t = time.monotonic() - t0
        rss, hwm = read_status(proc.pid)
        cpu_ns = read_cpu_ns(proc.pid)
        pid, st, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            status, maxrss = st, usage.ru_maxrss
            break
        if rss is not None:
            rows.write(f"{t:.3f} {rss} {hwm} {cpu_ns / 1e6:.3f}\n")
        time.sleep(a.interval)
    code = os.waitstatus_to_exitcode(status)
    rows.write(f"end {time.monotonic() - t0:.3f} {code} {maxrss}\n")
    rows.close()
    proc.returncode = code  # already reaped
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
