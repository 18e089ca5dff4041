#!/usr/bin/env python3
"""Loss table for the record-overhead benchmarks (cpu_bound.sh, overhead.sh).

  loss_table.py ROWS --value NAME [--extra NAME,NAME...]

ROWS: one line per run, "round side value [extra...]". Sides `none` and
`none2` are two unprofiled runs of the same round. Every side's loss is
100 * (none - value) / none against the `none` run of its own round; `none2`
gets the same treatment, so its losses are the noise floor: what a side that
costs nothing shows. Prints a Markdown table with the median and spread
(min..max) of each side's loss, whether that median lies beyond the noise floor
(its largest deviation from zero either way), and the median of each extra column.
"""
import argparse
import statistics

LABELS = {
    "none": "none",
    "none2": "none′ (2nd unprofiled run: noise floor)",
    "loadprof99": "loadprof 99 Hz",
    "loadprof999": "loadprof 999 Hz",
    "perf99": "perf record -g 99 Hz",
    "perf999": "perf record -g 999 Hz",
    "bench": "loadprof bench (load + record 99 Hz)",
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rows")
    p.add_argument("--value", required=True)
    p.add_argument("--extra", default="")
    a = p.parse_args()
    extras = [e for e in a.extra.split(",") if e]
    runs = [line.split() for line in open(a.rows) if line.strip()]
    base = {r[0]: float(r[2]) for r in runs if r[1] == "none"}
    sides = []
    for r in runs:
        if r[1] not in sides:
            sides.append(r[1])
    sides.sort(key=lambda s: list(LABELS).index(s) if s in LABELS else len(LABELS))

    def losses(side):
        return sorted(100 * (base[r[0]] - float(r[2])) / base[r[0]] for r in runs if r[1] == side and r[0] in base)

    floor = losses("none2") if "none2" in sides else []
    rounds = len(base)
    if floor:
        print(f"Noise floor: a second unprofiled run (none′) against the same round's none: median "
              f"{statistics.median(floor):.2f} %, spread {floor[0]:.2f}..{floor[-1]:.2f} % over {rounds} rounds. "
              f"A loss whose median is within ±{max(abs(floor[0]), abs(floor[-1])):.2f} % (the floor's largest "
              f"deviation) is not resolved by this run.")
        print()
    head = ["side", f"median {a.value}", "median loss vs same-round none", "loss spread (min..max)",
            "beyond the noise floor?"] + [f"{e} (median)" for e in extras]
    print("| " + " | ".join(head) + " |")
    print("|---|---:|---:|---|---|" + "---:|" * len(extras))
    for side in sides:
        rs = [r for r in runs if r[1] == side]
        value = statistics.median(float(r[2]) for r in rs)
        ex = []
        for i in range(len(extras)):
            xs = [float(r[3 + i]) for r in rs if len(r) > 3 + i and r[3 + i] != "-"]
            ex.append(f"{statistics.median(xs):.1f}" if xs else "—")
        if side == "none":
            cells = [f"{value:.0f}", "—", "—", "—"]
        else:
            ls = losses(side)
            m = statistics.median(ls)
            if side == "none2" or not floor:
                verdict = "—"
            elif abs(m) <= max(abs(floor[0]), abs(floor[-1])):
                verdict = "no"
            else:
                verdict = "yes"
            cells = [f"{value:.0f}", f"{m:.2f} %", f"{ls[0]:.2f}..{ls[-1]:.2f} %", verdict]
        print(f"| {LABELS.get(side, side)} | " + " | ".join(cells + ex) + " |")


if __name__ == "__main__":
    main()
