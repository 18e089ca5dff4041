#!/usr/bin/env python3
"""Makes this machine behave like a VM whose host steals its CPUs.

On each CPU, a SCHED_FIFO thread burns the CPU for a random 2-15 ms every
50-300 ms: nothing else runs there meanwhile, as when the hypervisor runs
another guest. CI's VMs do this at times (a 7 ms stall failed a think-time test
once); run the suite under it to find the tests that read the machine's noise:

    scripts/steal.py --seconds 900 & scripts/test.sh; kill %1

Root only (SCHED_FIFO). Bounded: it stops after --seconds.
"""
import argparse
import os
import random
import multiprocessing
import time


def burner(cpu, until, burst_ms, gap_ms, stolen):
    os.sched_setaffinity(0, {cpu})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    rng = random.Random(cpu)
    while time.monotonic() < until:
        time.sleep(rng.uniform(*gap_ms) / 1000)
        burn = rng.uniform(*burst_ms) / 1000
        t0 = time.monotonic()
        while time.monotonic() - t0 < burn:
            pass
        with stolen.get_lock():
            stolen.value += burn


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=900)
    p.add_argument("--burst-ms", type=float, nargs=2, default=(2, 15))
    p.add_argument("--gap-ms", type=float, nargs=2, default=(50, 300))
    a = p.parse_args()
    until = time.monotonic() + a.seconds
    cpus = sorted(os.sched_getaffinity(0))
    stolen = {c: multiprocessing.Value("d", 0.0) for c in cpus}
    # One process per CPU: threads would share one interpreter lock and never burn at once.
    procs = [multiprocessing.Process(target=burner, args=(c, until, a.burst_ms, a.gap_ms, stolen[c])) for c in cpus]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    for c in cpus:
        print(f"cpu {c}: stole {100 * stolen[c].value / a.seconds:.1f}% in bursts of "
              f"{a.burst_ms[0]:g}-{a.burst_ms[1]:g} ms")


if __name__ == "__main__":
    main()
