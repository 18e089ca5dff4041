#!/usr/bin/env python3
"""Scenario benchmark: a 3-step journey with a token capture (POST /login -> JSON capture -> 2 x GET /account with
the token) against the single-URL requests/s of the same driver, closed model, same threads and connections, our
test server pinned to one CPU and the driver to another, alternating rounds. Plus memory per virtual user: the
driver's peak RSS with many vs few virtual users. Replaces its own section of docs/benchmarks/load.md."""
import argparse, json, os, statistics, subprocess, tempfile, time

SERVER_CPU, DRIVER_CPU = "0", "1"
BEGIN, END = "<!-- scenario-bench:begin -->", "<!-- scenario-bench:end -->"


def start_server(build):
    p = subprocess.Popen(["taskset", "-c", SERVER_CPU, f"{build}/tests/load/loadprof_test_server"],
                         stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().split()[1])
    return p, port


def write_scenario(tmp, port):
    path = os.path.join(tmp, "journey.json")
    with open(path, "w") as f:
        json.dump({
            "base_url": f"http://127.0.0.1:{port}",
            "steps": [
                {"name": "login", "method": "POST", "path": "/login", "body": {"user": "u${vu}"},
                 "capture": {"token": {"json": "data.token"}}, "expect": {"status": 200}},
                {"name": "account", "path": "/account", "headers": {"Authorization": "Bearer ${token}"}},
                {"name": "account_again", "path": "/account", "headers": {"Authorization": "Bearer ${token}"},
                 "expect": {"body_contains": "\"ok\":true"}},
            ]}, f, indent=2)
    return path


def run(cmd):
    """Runs cmd; returns its stdout, or stops the benchmark when it fails."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def loadprof(build, target, extra, secs, tmp):
    js = os.path.join(tmp, "out.json")
    args = ["--scenario", target] if target.endswith(".json") else [target]
    cmd = ["taskset", "-c", DRIVER_CPU, f"{build}/src/cli/loadprof", "load"] + args + \
          ["--duration", f"{secs}s", "--json", js] + extra
    run(cmd)
    with open(js) as f:
        return json.load(f)


def peak_rss_kib(build, scenario, conns, secs):
    """Peak RSS (VmHWM) of one loadprof run, polled from /proc while it runs."""
    cmd = ["bash", "-c", f'"{build}/src/cli/loadprof" load --scenario "{scenario}" --closed --connections {conns} '
           f'--threads 2 --think-time 200ms --duration {secs}s >/dev/null & pid=$!; peak=0; '
           f'while kill -0 $pid 2>/dev/null; do r=$(awk \'/VmHWM/{{print $2}}\' /proc/$pid/status 2>/dev/null); '
           f'[ -n "$r" ] && peak=$r; sleep 0.2; done; wait $pid; echo $peak']
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout.strip().splitlines()
    return int(out[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--output", default="docs/benchmarks/load.md")
    a = ap.parse_args()
    load_before = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="loadprof-scn-")
    server, port = start_server(a.build)
    try:
        scenario = write_scenario(tmp, port)
        common = ["--closed", "--threads", str(a.threads), "--connections", str(a.connections)]
        single, journey, steps_ok = [], [], True
        for i in range(a.rounds):
            order = [("single", f"http://127.0.0.1:{port}/"), ("journey", scenario)]
            if i % 2:
                order.reverse()
            for name, target in order:
                j = loadprof(a.build, target, common, a.seconds, tmp)
                (single if name == "single" else journey).append(j["throughput_rps"])
                if name == "journey":
                    steps_ok &= j["errors"] == 0 and all(s["capture_failures"] == 0 for s in j["scenario"]["steps"])
                    vu_bytes = j["scenario"]["bytes_per_virtual_user"]
            time.sleep(0.5)
        few, many = 50, 2000
        rss_few = peak_rss_kib(a.build, scenario, few, 3)
        rss_many = peak_rss_kib(a.build, scenario, many, 3)
    finally:
        server.kill()
        server.wait()
    load_after = os.getloadavg()
    med_s, med_j = statistics.median(single), statistics.median(journey)
    ratios = [j / s for s, j in zip(single, journey)]
    per_vu_rss = (rss_many - rss_few) * 1024 / (many - few)
    cmd = f"bench/load/scenario.sh {a.build}  (ROUNDS={a.rounds} SECONDS_PER_RUN={a.seconds})"
    lines = [BEGIN, "", "## Scenario journey vs single URL (same driver)", "",
             f"Command: `{cmd}`. Closed model, {a.threads} driver thread, {a.connections} connections, "
             f"{a.seconds} s per run, {a.rounds} alternating rounds; our test server pinned to CPU {SERVER_CPU}, "
             f"the driver to CPU {DRIVER_CPU}. Journey: POST /login (JSON body from `${{vu}}`, token captured by "
             "JSON path, status expected) -> GET /account with `Authorization: Bearer ${token}` -> GET /account "
             "again with a body expectation; the server rejects a wrong token, and the runs had "
             f"{'no errors and no capture failures' if steps_ok else 'ERRORS or capture failures (see below)'}. "
             f"Single URL: GET / on the same server. Load average {load_before[0]:.1f} before, "
             f"{load_after[0]:.1f} after (2 CPUs).", "",
             "| side | req/s median | spread (min–max) |", "|---|---|---|",
             f"| single URL | {med_s:,.0f} | {min(single):,.0f}–{max(single):,.0f} |",
             f"| 3-step journey with token capture | {med_j:,.0f} | {min(journey):,.0f}–{max(journey):,.0f} |", "",
             f"Ratio journey / single URL (median of per-round ratios): **{statistics.median(ratios):.2f}** "
             f"(spread {min(ratios):.2f}–{max(ratios):.2f}); target ≥ 0.50: "
             f"{'met' if statistics.median(ratios) >= 0.5 else 'MISSED'}.", "",
             "Per round (single / journey, req/s): " +
             ", ".join(f"{s:,.0f} / {j:,.0f}" for s, j in zip(single, journey)), "",
             "### Memory per virtual user", "",
             f"Allocated per virtual user (the driver's own accounting, `scenario.bytes_per_virtual_user` in "
             f"`--json`): **{vu_bytes:,} bytes** ({vu_bytes / 1024:.1f} KiB; target ≤ 64 KiB): a 16 KiB input "
             "buffer and connection state in the driver, a 16 KiB kept response (only for scenarios with captures), "
             "a 2 KiB window for body_contains searched as the body streams (only with body expectations), a 4 KiB "
             "request buffer, 256 bytes per variable.", "",
             f"Measured: peak RSS {rss_few:,} KiB with {few} virtual users and {rss_many:,} KiB with {many} "
             f"(closed model, 200 ms think time, 3 s): **{per_vu_rss / 1024:.1f} KiB per virtual user** resident "
             "(the buffers are allocated, and the kept-response buffer zero-filled, when the run starts, so resident memory is the allocation, flat however long the run).", "", END]
    section = "\n".join(lines) + "\n"
    text = open(a.output).read() if os.path.exists(a.output) else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(a.output, "w") as f:
        f.write(text)
    print(section)


if __name__ == "__main__":
    main()
