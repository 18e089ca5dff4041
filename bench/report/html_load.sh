#!/usr/bin/env bash
# report.html load time in headless Chromium (issue 12: a 10-minute capture's page
# opens in < 2 s). For each CAPTURE: `loadprof report CAPTURE --output-dir` once,
# then ROUNDS loads of its report.html with a timing script added before </body>
# (the page itself unchanged otherwise), captures alternated between rounds,
# Chromium pinned to CPU_BROWSER. Figures from the page's own navigation timing:
# DOMContentLoaded and load end (navigationStart = 0), and the first paint.
# Median and spread (min..max). No anchor: the target is absolute.
#
#   bench/report/html_load.sh BUILD_DIR ROUNDS CAPTURE...
#   env: CPU_BROWSER (1), CHROMIUM (/usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
BUILD=${1:?BUILD_DIR}
ROUNDS=${2:?ROUNDS}
shift 2
CPU_BROWSER=${CPU_BROWSER:-1}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
LOADPROF=$BUILD/src/cli/loadprof
need taskset util-linux
need "$CHROMIUM" chromium
need python3 python3
need_built "$LOADPROF" loadprof
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

timing='<script>//<![CDATA[
window.addEventListener("load", function () {
  var t = performance.timing, p = performance.getEntriesByType("paint");
  var fp = p.length ? Math.round(p[0].startTime) : -1;
  var pre = document.createElement("pre");
  pre.textContent = "TIMING[" + (t.domContentLoadedEventEnd - t.navigationStart) + " " +
    (t.loadEventStart - t.navigationStart) + " " + fp + " " + performance.getEntriesByType("resource").length + "]TIMING";
  document.body.appendChild(pre); });
//]]></script>'
i=0
names=()
for cap in "$@"; do
  i=$((i + 1))
  out=$work/out$i
  t0=$(date +%s%N)
  "$LOADPROF" report "$cap" --output-dir "$out" > /dev/null 2> "$work/report.err" || { cat "$work/report.err" >&2; exit 1; }
  t1=$(date +%s%N)
  python3 - "$out/report.html" "$work/page$i.html" "$timing" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
end = page.rfind("</body>")
open(sys.argv[2], "w", encoding="utf-8").write(page[:end] + sys.argv[3] + page[end:])
PY
  echo "capture $i: $cap ($(stat -c %s "$cap") B); report --output-dir $(( (t1 - t0) / 1000000 )) ms;" \
       "report.html $(stat -c %s "$out/report.html") B"
  names+=("$i")
done
echo "load average before: $(loadavg)"
: > "$work/times"
for r in $(seq 1 "$ROUNDS"); do
  for n in $(round_order "$r" "${names[@]}"); do
    prof=$(mktemp -d)
    dom=$(taskset -c "$CPU_BROWSER" timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
      --no-first-run --disable-background-networking --disable-component-update --disable-sync \
      --disable-dev-shm-usage --user-data-dir="$prof" --dump-dom \
      "file://$work/page$n.html" 2>/dev/null || true)
    rm -rf "$prof"
    fig=$(grep -o 'TIMING\[[0-9 -]*\]TIMING' <<< "$dom" | tail -1 | tr -d 'TIMING[]')
    [ -n "$fig" ] || { echo "no timing from page $n" >&2; exit 1; }
    echo "$n $fig" >> "$work/times"
  done
  echo "round $r done (load average $(loadavg))" >&2
done
echo "load average after: $(loadavg)"
python3 - "$work/times" "$ROUNDS" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    n, dcl, load, fp, fetched = line.split()
    by.setdefault(n, []).append((int(dcl), int(load), int(fp), int(fetched)))
print(f"\n{sys.argv[2]} rounds; median (min..max), ms from navigation start\n")
print("| capture | DOMContentLoaded | load end | first paint | resources fetched |")
print("|---|---:|---:|---:|---:|")
for n, rows in sorted(by.items()):
    cell = lambda k: f"{statistics.median(r[k] for r in rows):.0f} ({min(r[k] for r in rows)}..{max(r[k] for r in rows)})"
    print(f"| {n} | {cell(0)} | {cell(1)} | {cell(2)} | {max(r[3] for r in rows)} |")
PY
