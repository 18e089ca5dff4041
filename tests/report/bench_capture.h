// A bench-like capture built by hand for report.html's browser test: the
// sample capture's processes and stacks spread over `seconds` seconds, with a
// load run of four stages (100, 200, 400, 800 req/s; p99 turning up at 400),
// one latency/throughput point per second, per-second CPU accounting,
// off-CPU intervals (lock and sleep), and a /proc reading per second.
#pragma once

#include <nlohmann/json.hpp>

#include "analyze/sample_capture.h"

namespace loadprof::testing {

inline capture::Capture bench_like_capture(uint32_t seconds) {
  using namespace capture;
  Capture c = sample_capture();
  c.metadata.command_line = "loadprof bench http://127.0.0.1:8080/ --stages ... -- ./prog";
  c.metadata.probes = {"cpu", "offcpu"};
  c.processes = {c.processes[1]};  // prog alone, running to the end
  c.processes[0].exit_ns.reset();
  c.processes[0].exit_code.reset();
  const uint64_t end = kStartNs + seconds * kSecNs;
  // cpu samples: the same stacks, 10 a second.
  const std::vector<Stack> stacks = c.stacks;
  c.cpu_samples.clear();
  for (uint32_t s = 0; s < seconds; ++s) {
    for (uint32_t i = 0; i < 10; ++i) {
      CpuSample x;
      x.time_ns = kStartNs + s * kSecNs + i * (kSecNs / 10);
      x.pid = x.tid = 100;
      x.cpu = i % 2;
      x.stack = i < 6 ? 0 : i < 8 ? 1 : 2;
      c.cpu_samples.push_back(x);
    }
  }
  c.cpu_accounting.clear();
  for (uint32_t s = 0; s < seconds; ++s)
    for (uint32_t cpu = 0; cpu < 2; ++cpu) {
      CpuAccounting a;
      a.second_ns = kStartNs + s * kSecNs;
      a.cpu = cpu;
      a.target = 5;
      a.self = 1;
      a.other = 10;
      a.idle = 83;
      c.cpu_accounting.push_back(a);
    }
  // Off CPU: a 300 ms lock wait and a 500 ms sleep every second.
  auto wait = [&](uint64_t from_ns, uint64_t to_ns, uint32_t tid, StackId stack, OffCpuReason reason) {
    OffCpuInterval o;
    o.start_ns = from_ns;
    o.end_ns = to_ns;
    o.pid = 100;
    o.tid = tid;
    o.stack = stack;
    o.reason = reason;
    c.offcpu.push_back(o);
  };
  for (uint32_t s = 0; s < seconds; ++s) {
    const uint64_t t = kStartNs + s * kSecNs;
    wait(t, t + 300'000'000, 100, 0, OffCpuReason::lock);
    wait(t + 400'000'000, t + 900'000'000, 101, 1, OffCpuReason::sleep);
  }
  for (uint32_t s = 1; s <= seconds; ++s) {
    ResourceSample r;
    r.time_ns = kStartNs + s * kSecNs;
    r.pid = 100;
    r.interval_ns = kSecNs;
    r.cpu_ns = 100'000'000;
    r.rss_bytes = (10 + s) * 1024 * 1024;
    r.read_bytes = 4096 * s;
    r.write_bytes = 8192 * s;
    r.threads = 2;
    r.fds = 5;
    c.resources.push_back(r);
  }
  // The load: four stages of a quarter of the run each.
  using nlohmann::json;
  const double rates[4] = {100, 200, 400, 800}, got[4] = {100, 200, 390, 600}, p99s[4] = {2, 2.5, 9, 90};
  json stages = json::array(), ts = json::array();
  const uint32_t per = seconds / 4;
  LoadRun run;
  run.measured_start_ns = kStartNs;
  run.measured_end_ns = end;
  for (int i = 0; i < 4; ++i) {
    stages.push_back({{"start_s", i * per},
                      {"duration_s", per},
                      {"rate_start_rps", rates[i]},
                      {"rate_end_rps", rates[i]},
                      {"requests", got[i] * per},
                      {"errors", 0},
                      {"throughput_rps", got[i]},
                      {"latency_ms", {{"p50", p99s[i] / 3}, {"p99", p99s[i]}}},
                      {"slo_ok", p99s[i] < 50}});
    LoadStageSpan span;
    span.start_ns = kStartNs + i * per * kSecNs;
    span.end_ns = kStartNs + (i + 1) * per * kSecNs;
    run.stages.push_back(span);
  }
  for (uint32_t s = 0; s < seconds; ++s) {
    const int i = std::min<int>(3, static_cast<int>(s / per));
    ts.push_back({{"t_s", s},
                  {"throughput_rps", got[i]},
                  {"requested_rps", rates[i]},
                  {"errors", s % 7 == 0 ? 1 : 0},
                  {"latency_ms", {{"p50", p99s[i] / 3}, {"p90", p99s[i] / 1.5}, {"p99", p99s[i]}}}});
  }
  run.summary_json = json{{"stages", stages},
                          {"timeseries", ts},
                          {"slo", json::array({{{"term", "p99<50ms"}, {"value", 90}, {"ok", false}},
                                               {{"term", "errors<1%"}, {"value", 0.1}, {"ok", true}}})},
                          {"load", {{"model", "open"}}}}
                         .dump();
  run.table = "stage  window ...\n";
  c.load = run;
  c.end->end_ns = end;
  c.end->target_exited_ns.reset();
  c.end->reason = "load finished";
  return c;
}

}  // namespace loadprof::testing
