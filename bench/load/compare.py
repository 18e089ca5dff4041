#!/usr/bin/env python3
"""Runs wrk and loadprof side by side (alternating, pinned) and writes the results as Markdown."""
import argparse, json, os, re, resource, shutil, signal, statistics, subprocess, sys, tempfile, time

SERVER_CPU, DRIVER_CPU = "0", "1"


def run_with_rusage(cmd):
    """Runs cmd; returns (exit code, stdout, CPU seconds it used: user + system, from RUSAGE_CHILDREN deltas)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.returncode, p.stdout, cpu


def start_nginx(workdir, port):
    www = os.path.join(workdir, "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<html><body>" + "x" * 600 + "</body></html>\n")  # ~640 bytes, a small static file
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  server {{ listen 127.0.0.1:{port}; root {www}; }}
}}
""")
    p = subprocess.Popen(["taskset", "-c", SERVER_CPU, "nginx", "-c", conf, "-p", workdir],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return p, f"http://127.0.0.1:{port}/index.html"


def start_test_server(build):
    p = subprocess.Popen(["taskset", "-c", SERVER_CPU, f"{build}/tests/load/loadprof_test_server"],
                         stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().split()[1])
    return p, f"http://127.0.0.1:{port}/"


def wrk_run(url, threads, conns, secs):
    code, out, cpu = run_with_rusage(["taskset", "-c", DRIVER_CPU, "wrk", f"-t{threads}", f"-c{conns}",
                                      f"-d{secs}s", url])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, cpu * 1000.0 / reqs * 1000.0  # ms of CPU per 1,000 requests


def loadprof_run(build, url, extra, secs, tmp, prefix=()):
    js = os.path.join(tmp, "lp.json")
    cmd = list(prefix) + ["taskset", "-c", DRIVER_CPU, f"{build}/src/cli/loadprof", "load", url, "--duration", f"{secs}s",
           "--json", js] + extra
    code, out, cpu = run_with_rusage(cmd)
    if code not in (0, 1):
        sys.exit(f"loadprof failed ({code}): {' '.join(cmd)}")
    with open(js) as f:
        j = json.load(f)
    return j, cpu * 1000.0 / max(1, j["requests"]) * 1000.0


def spread(xs):
    return f"{min(xs):,.0f}–{max(xs):,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--output", default="docs/benchmarks/load.md")
    a = ap.parse_args()
    threads, conns = 1, 64
    tmp = tempfile.mkdtemp(prefix="lp_bench_")
    load_before = os.getloadavg()
    lines = []
    results = {}
    procs = []
    try:
        ng, ng_url = start_nginx(tmp, 18080)
        procs.append(ng)
        ts, ts_url = start_test_server(a.build)
        procs.append(ts)
        for name, url in (("nginx (640 B static file)", ng_url), ("loadprof test server", ts_url)):
            w_rps, l_rps, w_cpu, l_cpu = [], [], [], []
            for r in range(a.rounds):
                order = ("wrk", "loadprof") if r % 2 == 0 else ("loadprof", "wrk")
                for tool in order:
                    if tool == "wrk":
                        rps, cpu = wrk_run(url, threads, conns, a.seconds)
                        w_rps.append(rps); w_cpu.append(cpu)
                    else:
                        j, cpu = loadprof_run(a.build, url, ["--closed", "--threads", str(threads),
                                                             "--connections", str(conns)], a.seconds, tmp)
                        l_rps.append(j["throughput_rps"]); l_cpu.append(cpu)
                    print(f"{name} round {r + 1} {tool}: {(w_rps if tool == 'wrk' else l_rps)[-1]:,.0f} req/s",
                          file=sys.stderr)
            results[name] = (w_rps, l_rps, w_cpu, l_cpu)
        # The lag at normal priority shows what this machine gives; at SCHED_FIFO (chrt) the driver thread
        # is not queued behind other work on its CPU, which shows what the engine itself does.
        lag = {}
        for label, prefix in (("default priority", ()), ("driver at SCHED_FIFO 50 (chrt -f 50)", ("chrt", "-f", "50"))):
            rows = {"p99": [], "p50": [], "lat": [], "rps": []}
            for r in range(a.rounds):
                j, _ = loadprof_run(a.build, ng_url, ["--rate", "10000", "--threads", str(threads)], a.seconds, tmp,
                                    prefix)
                rows["p99"].append(j["schedule_lag_ms"]["p99"] * 1000)
                rows["p50"].append(j["schedule_lag_ms"]["p50"] * 1000)
                rows["lat"].append(j["latency_ms"]["p50"] * 1000)
                rows["rps"].append(j["throughput_rps"])
                print(f"lag {label} round {r + 1}: p99 {rows['p99'][-1]:.0f} us", file=sys.stderr)
            lag[label] = rows
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    lines.append("# Load driver benchmark: `loadprof load` vs `wrk`\n")
    # The benchmark itself keeps about one CPU busy; more than that is other work.
    busy = max(load_before[0], load_after[0]) > 1.5
    lines.append(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on a {os.cpu_count()}-CPU machine: "
                 f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
                 + ("(a busy machine: treat small differences as noise).\n" if busy else
                    "(nothing else running).\n"))
    lines.append("Command: `bench/load/run.sh` (defaults: ROUNDS=5 SECONDS_PER_RUN=5). Server pinned to CPU "
                 f"{SERVER_CPU}, driver to CPU {DRIVER_CPU} (`taskset`); both drivers with {threads} thread and "
                 f"{conns} connections, keep-alive; the two tools alternate, the first tool swaps every round.\n")
    lines.append("## Throughput (closed model, requests/s)\n")
    lines.append("| target | wrk median | wrk spread | loadprof median | loadprof spread | ratio loadprof/wrk |"
                 " CPU ms per 1,000 req wrk | CPU ms per 1,000 req loadprof |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for name, (w, l, wc, lc) in results.items():
        lines.append(f"| {name} | {statistics.median(w):,.0f} | {spread(w)} | {statistics.median(l):,.0f} | "
                     f"{spread(l)} | {statistics.median(l) / statistics.median(w):.3f} | "
                     f"{statistics.median(wc):.1f} | {statistics.median(lc):.1f} |")
    lines.append("\nPer round (wrk / loadprof, req/s):\n")
    for name, (w, l, _, _) in results.items():
        lines.append(f"- {name}: " + ", ".join(f"{x:,.0f} / {y:,.0f}" for x, y in zip(w, l)))
    lines.append("\n## Schedule lag at 10,000 req/s (open model, nginx, 1 driver thread)\n")
    lines.append("| driver scheduling | lag p99 µs (median, spread) | lag p50 µs | latency p50 µs | achieved req/s |")
    lines.append("|---|---|---|---|---|")
    for label, rows in lag.items():
        lines.append(f"| {label} | {statistics.median(rows['p99']):.0f} ({spread(rows['p99'])}) | "
                     f"{statistics.median(rows['p50']):.0f} | {statistics.median(rows['lat']):.0f} | "
                     f"{statistics.median(rows['rps']):,.0f} |")
    for label, rows in lag.items():
        verdict = "met" if statistics.median(rows["p99"]) <= 100 else "MISSED"
        lines.append(f"\nTarget schedule lag p99 ≤ 100 µs, {label}: {verdict} "
                     f"(median {statistics.median(rows['p99']):.0f} µs).")
    lines.append("")
    text = "\n".join(lines) + "\n"
    with open(a.output, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
