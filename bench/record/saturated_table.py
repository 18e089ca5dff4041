#!/usr/bin/env python3
"""Where loadprof's cost goes, per frequency, from the loadprof runs of
bench/record/saturated.sh: each run's `loadprof -v` line (the recorder's CPU by
phase, its first second and steady rate, the sampling program's run count and
time from kernel.bpf_stats_enabled, the sideband records read and kept) and its
capture's per-CPU sample accounting (`report --format json`: samples of the
target, of loadprof itself, of other processes and of idle).

  saturated_table.py COSTS --loadprof BIN

COSTS: lines "round side stderr_file capture_file". Prints a Markdown table of
medians (with min..max) per side.
"""
import argparse
import json
import re
import statistics
import subprocess

PHASES = ["open", "attach", "drain", "symbolize", "write", "other"]


def parse_cost(text):
    m = re.search(r"recorder CPU ([\d.]+) ms: (.*)", text)
    if not m:
        return None
    line = m.group(0)
    out = {"process_ms": float(m.group(1))}
    for phase in PHASES:
        pm = re.search(rf"\b{phase} ([\d.]+)", line)
        out[f"{phase}_ms"] = float(pm.group(1)) if pm else None
    fm = re.search(r"first second of sampling ([\d.]+) ms", line)
    out["first_second_ms"] = float(fm.group(1)) if fm else None
    sm = re.search(r"then ([\d.]+) ms/s", line)
    out["steady_ms_per_s"] = float(sm.group(1)) if sm else None
    bm = re.search(r"sample program (\d+) runs, (\d+) ns each", line)
    out["bpf_runs"] = int(bm.group(1)) if bm else None
    out["bpf_ns_per_run"] = int(bm.group(2)) if bm else None
    sb = re.search(r"sideband (\d+) of (\d+) records", line)
    out["sideband_kept"] = int(sb.group(1)) if sb else None
    out["sideband_read"] = int(sb.group(2)) if sb else None
    st = re.search(r"symbolize [\d.]+ \((\d+) stacks(?:, (\d+) after sampling stopped)?", line)
    out["stacks"] = int(st.group(1)) if st else None
    out["stacks_at_end"] = int(st.group(2)) if st and st.group(2) else None
    return out


def accounting(loadprof, capture):
    out = subprocess.run([loadprof, "report", capture, "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    d = json.loads(out.stdout)
    a = d.get("cpu_accounting", {}).get("all", {})
    return {"duration_s": d.get("duration_s") or 0, **{k: a.get(k, 0) for k in ("target", "self", "other", "idle_counted")}}


def fmt(xs, digits=1):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return "—"
    med = statistics.median(xs)
    return f"{med:.{digits}f} ({xs[0]:.{digits}f}..{xs[-1]:.{digits}f})"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("costs")
    p.add_argument("--loadprof", required=True)
    a = p.parse_args()
    runs = {}
    for line in open(a.costs):
        parts = line.split()
        if len(parts) != 4:
            continue
        _, side, err, cap = parts
        cost = parse_cost(open(err).read())
        acc = accounting(a.loadprof, cap)
        if cost is None:
            continue
        if acc:
            s = max(acc["duration_s"], 1e-9)
            cost["sampling_interrupts_per_s"] = (acc["target"] + acc["self"] + acc["other"] + acc["idle_counted"]) / s
            cost["not_target_per_s"] = (acc["self"] + acc["other"] + acc["idle_counted"]) / s
            cost["target_per_s"] = acc["target"] / s
            if cost.get("bpf_runs"):
                cost["bpf_ms_per_s"] = cost["bpf_runs"] * cost["bpf_ns_per_run"] / 1e6 / s
                cost["bpf_not_target_ms_per_s"] = cost["bpf_ms_per_s"] * cost["not_target_per_s"] / max(
                    cost["sampling_interrupts_per_s"], 1e-9)
            cost["sideband_read_per_s"] = (cost["sideband_read"] or 0) / s
            cost["sideband_kept_per_s"] = (cost["sideband_kept"] or 0) / s
        runs.setdefault(side, []).append(cost)
    sides = sorted(runs, key=lambda x: int(re.sub(r"\D", "", x) or 0))
    rows = [
        ("sampling program (BPF) per run, ns", "bpf_ns_per_run", 0),
        ("sampling program, ms CPU per s (all samples)", "bpf_ms_per_s", 2),
        ("… of which on samples not of the target, ms/s (estimated: runs × mean time)", "bpf_not_target_ms_per_s", 2),
        ("samples of the target per s", "target_per_s", 0),
        ("sampling interrupts not of the target per s (loadprof, other processes, idle)", "not_target_per_s", 0),
        ("recorder: open (BPF load, perf events), ms per run", "open_ms", 1),
        ("recorder: attach (/proc scans, first drain), ms per run", "attach_ms", 1),
        ("recorder: drain (rings, ordering, dedup), ms per run", "drain_ms", 1),
        ("recorder: symbolize new stacks, ms per run", "symbolize_ms", 1),
        ("recorder: write (chunks, zstd, write), ms per run", "write_ms", 1),
        ("recorder: other (accounting, drops, checks, end), ms per run", "other_ms", 1),
        ("recorder: process total, ms per run", "process_ms", 1),
        ("recorder: first second of sampling, ms", "first_second_ms", 1),
        ("recorder: steady state after the first second, ms/s", "steady_ms_per_s", 2),
        ("stacks symbolized per run", "stacks", 0),
        ("… of which after sampling stopped (no idle CPU for the SCHED_IDLE thread before)", "stacks_at_end", 0),
        ("sideband records read per s (every process)", "sideband_read_per_s", 1),
        ("sideband records kept per s (the target's)", "sideband_kept_per_s", 1),
    ]
    print("| component (loadprof, median (min..max) over rounds) | " + " | ".join(sides) + " |")
    print("|---|" + "---:|" * len(sides))
    for label, key, digits in rows:
        print(f"| {label} | " + " | ".join(fmt([r.get(key) for r in runs[s]], digits) for s in sides) + " |")


if __name__ == "__main__":
    main()
