// report.json writer. Key names follow SPEC.md ("Analysis and report");
// docs/report.schema.json is the contract and must change with this file.
#include "loadprof/report/json.h"

#include <cmath>

#include "correlation_sections.h"
#include "loadprof/util/version.h"
#include "verdict_sections.h"

namespace loadprof::report {
namespace {

// ordered: keys in the order SPEC.md lists them, loadprof_version first.
using json = nlohmann::ordered_json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

json opt_s(const std::optional<double>& v) { return v ? json(round2(*v)) : json(nullptr); }

json process_json(const analyze::ProcessSummary& p) {
  json exit_status = nullptr;  // SPEC: null while running (or when the status is unknown)
  if (p.exit_code)
    exit_status = {{"code", *p.exit_code}};
  else if (p.exit_signal)
    exit_status = {{"signal", *p.exit_signal}};
  return {{"pid", p.pid},
          {"ppid", p.ppid},
          {"command", p.command},
          {"launched", p.launched},
          {"root", p.root},
          {"start_s", round2(p.start_s)},
          {"exit_s", opt_s(p.exit_s)},
          {"exited_mid_capture", p.exited_mid_capture},
          {"exit_status", exit_status}};
}

json counts_json(const analyze::CpuShare& s) {
  return {{"target", s.target},
          {"self", s.self},
          {"other", s.other},
          {"idle", s.idle},
          {"idle_counted", s.idle_counted},
          {"idle_estimated", s.idle_estimated},
          {"steal", s.steal},
          {"throttled", s.throttled},
          {"throttles", s.throttles},
          {"expected", s.expected},
          {"target_pct", round2(s.target_pct)},
          {"self_pct", round2(s.self_pct)},
          {"other_pct", round2(s.other_pct)},
          {"idle_pct", round2(s.idle_pct)},
          {"steal_pct", round2(s.steal_pct)},
          {"throttled_pct", round2(s.throttled_pct)}};
}

json accounting_json(const std::optional<analyze::CpuAccountingSummary>& acc) {
  if (!acc) return nullptr;
  json cpus = json::array();
  for (const auto& s : acc->cpus) {
    json j = counts_json(s);
    j["cpu"] = s.cpu;
    cpus.push_back(std::move(j));
  }
  json seconds = json::array();
  for (const auto& s : acc->per_second) {
    seconds.push_back({{"t_s", round2(s.t_s)},
                       {"target", s.target},
                       {"self", s.self},
                       {"other", s.other},
                       {"idle", s.idle},
                       {"idle_counted", s.idle_counted},
                       {"idle_estimated", s.idle_estimated},
                       {"steal", s.steal},
                       {"throttled", s.throttled},
                       {"target_pct", round2(s.target_pct)},
                       {"busy_pct", round2(s.busy_pct)},
                       {"max_cpu_target_pct", round2(s.max_cpu_target_pct)}});
  }
  return {{"idle_shown", acc->idle_shown},
          {"cpus", std::move(cpus)},
          {"all", counts_json(acc->all)},
          {"per_second", std::move(seconds)}};
}

json opt_count(const std::optional<uint64_t>& n) { return n ? json(*n) : json(nullptr); }

json functions_json(const std::vector<analyze::FunctionStat>& fs) {
  json out = json::array();
  for (const auto& f : fs) {
    out.push_back({{"name", f.name},
                   {"module", f.module},
                   {"self_samples", f.self_samples},
                   {"total_samples", f.total_samples},
                   {"self_pct", round2(f.self_pct)},
                   {"total_pct", round2(f.total_pct)}});
  }
  return out;
}

json stacks_json(const std::vector<analyze::StackStat>& ss) {
  json out = json::array();
  for (const auto& s : ss) {
    std::string folded;
    for (size_t i = 0; i < s.frames.size(); ++i) {
      if (i) folded += ';';
      folded += s.frames[i];
    }
    out.push_back({{"folded", folded},
                   {"frames", s.frames},
                   {"samples", s.samples},
                   {"pct", round2(s.pct)},
                   {"truncated", s.truncated},
                   {"stopped_early", s.stopped_early}});
  }
  return out;
}

// SPEC "unwind": per module, the method and the stacks unwound and truncated.
json unwind_json(const std::vector<capture::UnwindModule>& modules) {
  json out = json::array();
  for (const auto& m : modules) {
    json reasons = json::object();
    for (const auto& [reason, n] : m.truncated_by_reason) reasons[reason] = n;
    out.push_back({{"module", m.module},
                   {"method", m.method},
                   {"stacks", m.stacks},
                   {"truncated", m.truncated},
                   {"truncated_by_reason", std::move(reasons)}});
  }
  return {{"modules", std::move(out)}};
}

json stack_quality_json(const analyze::StackQuality& q) {
  json depths = json::array();
  for (const auto& d : q.depths) {
    depths.push_back({{"user_frames", d.label},
                      {"min", d.min_depth},
                      {"max", d.max_depth == UINT32_MAX ? json(nullptr) : json(d.max_depth)},
                      {"samples", d.samples},
                      {"pct", round2(d.pct)}});
  }
  json modules = json::array();
  for (const auto& m : q.modules) {
    modules.push_back({{"module", m.module},
                       {"stopped_early", m.stopped_early},
                       {"stopped_early_pct", round2(m.stopped_early_pct)},
                       {"samples", m.samples}});
  }
  return {{"poor", q.poor},
          {"samples", q.samples},
          {"kernel_only", q.kernel_only},
          {"user_samples", q.user_samples},
          {"reached_root", q.reached_root},
          {"reached_root_pct", round2(q.reached_root_pct)},
          {"stopped_early", q.stopped_early},
          {"stopped_early_pct", round2(q.stopped_early_pct)},
          {"truncated", q.truncated},
          {"truncated_pct", round2(q.truncated_pct)},
          {"depths", std::move(depths)},
          {"modules", std::move(modules)}};
}

json by_process_json(const analyze::Analysis& a) {
  json out = json::array();
  for (const auto& p : a.by_process) {
    out.push_back({{"pid", p.pid},
                   {"command", p.command},
                   {"samples", p.samples},
                   {"share_pct", round2(p.share_pct)},
                   {"cpu_pct", round2(p.cpu_pct)}});
  }
  return out;
}

json by_thread_json(const analyze::Analysis& a) {
  json out = json::array();
  for (const auto& t : a.by_thread) {
    out.push_back({{"pid", t.pid},
                   {"tid", t.tid},
                   {"comm", t.comm},
                   {"samples", t.samples},
                   {"share_pct", round2(t.share_pct)},
                   {"cpu_pct", round2(t.cpu_pct)}});
  }
  return out;
}

json by_module_json(const analyze::Analysis& a) {
  json out = json::array();
  for (const auto& m : a.by_module) {
    out.push_back({{"module", m.module},
                   {"self_samples", m.self_samples},
                   {"total_samples", m.total_samples},
                   {"self_pct", round2(m.self_pct)},
                   {"total_pct", round2(m.total_pct)}});
  }
  return out;
}

json capture_json(const analyze::Analysis& a) {
  const auto& c = a.capture;
  return {{"recorded_by", c.loadprof_version},
          {"hostname", c.hostname},
          {"kernel_release", c.kernel_release},
          {"command_line", c.command_line},
          {"probes", c.probes},
          {"frequency_hz", c.frequency_hz},
          {"unwind", c.unwind},
          {"cpu_count", c.cpu_count},
          {"start_realtime_ns", c.start_realtime_ns},
          {"kinds", a.kinds},
          {"complete", c.complete},
          {"end_reason", a.end_reason},
          {"duration_estimated", a.duration_estimated},
          {"truncated", c.truncated},
          {"damage_offset", c.truncated ? json(c.damage_offset) : json(nullptr)},
          {"damage", c.truncated ? json(c.damage) : json(nullptr)},
          {"chunks_read", c.chunks_read},
          {"chunks_skipped_unknown", c.chunks_skipped_unknown}};
}

json wall_time_json(const analyze::WallTime& t) {
  json reasons = json::object();
  for (size_t r = 0; r < analyze::kOffCpuReasons; ++r)
    reasons[analyze::offcpu_reason_names()[r]] = round2(t.offcpu_ms[r]);
  return {{"on_cpu_ms", round2(t.on_cpu_ms)}, {"offcpu_ms", std::move(reasons)}};
}

json wall_json(const analyze::WallSummary& w) {
  json threads = json::array();
  for (const auto& t : w.threads) {
    json row = {{"pid", t.pid}, {"tid", t.tid}, {"comm", t.comm}};
    row.update(wall_time_json(t.time));
    threads.push_back(std::move(row));
  }
  json out = {{"total", wall_time_json(w.total)}, {"threads", std::move(threads)}};
  if (!w.wakers.empty()) {
    json wakers = json::array();
    for (const auto& k : w.wakers)
      wakers.push_back({{"reason", k.reason},
                        {"waker_pid", k.waker_pid},
                        {"waker_tid", k.waker_tid},
                        {"waker_comm", k.waker_comm},
                        {"wakeups", k.wakeups},
                        {"blocked_ms", round2(k.blocked_ms)},
                        {"woken", k.woken}});
    out["wakers"] = std::move(wakers);
  }
  if (!w.waker_stacks.empty()) {
    json stacks = json::array();
    for (const auto& s : w.waker_stacks)
      stacks.push_back({{"reason", s.reason},
                        {"frames", s.frames},
                        {"waits", s.waits},
                        {"blocked_ms", round2(s.blocked_ms)},
                        {"woken", s.woken}});
    out["waker_stacks"] = std::move(stacks);
  }
  return out;
}

json resources_json(const std::vector<analyze::ResourceSecond>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    out.push_back({{"t_s", r.t_s},
                   {"cpu_pct", round2(r.cpu_pct)},
                   {"rss_bytes", r.rss_bytes},
                   {"read_bytes", r.read_bytes},
                   {"write_bytes", r.write_bytes},
                   {"net_rx_bytes", r.net_rx_bytes},
                   {"net_tx_bytes", r.net_tx_bytes},
                   {"voluntary_ctxsw", opt_count(r.voluntary_ctxsw)},
                   {"involuntary_ctxsw", opt_count(r.involuntary_ctxsw)},
                   {"threads", r.threads},
                   {"fds", r.fds},
                   {"processes", r.processes},
                   {"machine_cpu_pct", round2(r.machine_cpu_pct)},
                   {"machine_mem_used_bytes", r.machine_mem_used_bytes},
                   {"machine_mem_available_bytes", r.machine_mem_available_bytes},
                   {"minor_faults", r.minor_faults},
                   {"major_faults", r.major_faults}});
  }
  return out;
}

// Latencies of microsecond syscalls: 4 decimals of a ms (0.1 us).
double round_ms(double v) { return std::round(v * 1e4) / 1e4; }

json latency_json(const analyze::LatencyMs& l) {
  return {{"p50", round_ms(l.p50)}, {"p99", round_ms(l.p99)}, {"max", round_ms(l.max)}};
}

json io_json(const analyze::IoSummary& io) {
  json syscalls = json::array();
  for (const auto& s : io.syscalls) {
    syscalls.push_back({{"name", s.name},
                        {"fd_kind", s.fd_kind},
                        {"count", s.count},
                        {"bytes", s.bytes},
                        {"errors", s.errors},
                        {"total_ms", round_ms(s.total_ms)},
                        {"latency_ms", latency_json(s.latency_ms)}});
  }
  json devices = json::array();
  for (const auto& d : io.devices) {
    devices.push_back({{"device", d.device},
                       {"op", d.op},
                       {"count", d.count},
                       {"bytes", d.bytes},
                       {"errors", d.errors},
                       {"total_ms", round_ms(d.total_ms)},
                       {"latency_ms", latency_json(d.latency_ms)}});
  }
  return {{"latency_histograms", "log2"},
          {"devices_scope", "machine"},
          {"syscalls", std::move(syscalls)},
          {"devices", std::move(devices)}};
}

json peers_json(const analyze::PeersSummary& peers) {
  json out = json::array();
  for (const auto& p : peers.peers) {
    json e = {{"address", p.address},
              {"protocol", p.protocol},
              {"role", p.role},
              {"sockets", p.sockets},
              {"round_trips", p.round_trips},
              {"wait_ms", round_ms(p.wait_ms)},
              {"bytes_sent", p.bytes_sent},
              {"bytes_received", p.bytes_received}};
    if (p.role == "server") e["local_port"] = p.local_port;
    if (p.round_trips_per_request)
      e["round_trips_per_request"] = std::round(*p.round_trips_per_request * 1e3) / 1e3;
    if (!p.by_step.empty()) {
      json steps = json::array();
      for (const auto& st : p.by_step)
        steps.push_back({{"step", st.step},
                         {"path", st.path},
                         {"requests", st.requests},
                         {"round_trips", st.round_trips},
                         {"round_trips_per_request", std::round(st.round_trips_per_request * 1e3) / 1e3},
                         {"wait_ms", round_ms(st.wait_ms)}});
      e["round_trips_by_step"] = std::move(steps);
    }
    out.push_back(std::move(e));
  }
  return out;
}

json alloc_json(const analyze::AllocSummary& s) {
  json stacks = json::array();
  for (size_t i = 0; i < s.stacks.size() && i < 20; ++i) {
    const auto& st = s.stacks[i];
    stacks.push_back({{"frame", st.frame},
                      {"stack", st.frames},
                      {"pid", st.pid},
                      {"bytes", st.bytes},
                      {"count", std::round(st.count)},
                      {"live_bytes_end", st.live_bytes},
                      {"truncated", st.truncated}});
  }
  json timeline = json::array();
  for (const auto& p : s.timeline)
    timeline.push_back({{"t_s", round2(p.t_s)}, {"live_bytes", p.live_bytes}, {"rss_bytes", p.rss_bytes}});
  return {{"method", s.method},
          {"allocator", s.allocator},
          {"sample_period_bytes", s.sample_period_bytes},
          {"allocated_bytes", s.allocated_bytes},
          {"allocations", s.allocations},
          {"recorded", s.recorded},
          {"frees_of_unknown_blocks", s.frees_unknown},
          {"live_bytes_end", s.live_bytes_end},
          {"rss_bytes_start", s.rss_bytes_start},
          {"rss_bytes_end", s.rss_bytes_end},
          {"truncated_stacks", s.truncated_stacks},
          {"stacks", std::move(stacks)},
          {"live_timeline", std::move(timeline)}};
}

json mmap_json(const analyze::MmapSummary& m) {
  using Op = capture::MmapOp;
  auto calls = [&](Op op) { return m.calls[static_cast<size_t>(op)]; };
  auto bytes = [&](Op op) { return m.bytes[static_cast<size_t>(op)]; };
  json stacks = json::array();
  for (size_t i = 0; i < m.stacks.size() && i < 20; ++i) {
    const auto& st = m.stacks[i];
    stacks.push_back({{"frame", st.frame},
                      {"stack", st.frames},
                      {"pid", st.pid},
                      {"op", st.op},
                      {"calls", st.calls},
                      {"bytes", st.bytes},
                      {"truncated", st.truncated}});
  }
  json out = {{"mmap_calls", calls(Op::mmap_anon)},          {"mapped_bytes", bytes(Op::mmap_anon)},
              {"munmap_calls", calls(Op::munmap_anon)},      {"unmapped_bytes", bytes(Op::munmap_anon)},
              {"brk_grow_calls", calls(Op::brk_grow)},       {"brk_growth_bytes", bytes(Op::brk_grow)},
              {"brk_shrink_calls", calls(Op::brk_shrink)},   {"brk_shrink_bytes", bytes(Op::brk_shrink)},
              {"file_mmap_calls", calls(Op::mmap_file)},     {"file_mapped_bytes", bytes(Op::mmap_file)},
              {"file_munmap_calls", calls(Op::munmap_file)}, {"file_unmapped_bytes", bytes(Op::munmap_file)},
              {"anon_net_bytes", m.anon_net_bytes},          {"stacks", std::move(stacks)}};
  out["mremap_grow_calls"] = calls(Op::mremap_grow);
  out["mremap_growth_bytes"] = bytes(Op::mremap_grow);
  out["mremap_shrink_calls"] = calls(Op::mremap_shrink);
  out["mremap_shrink_bytes"] = bytes(Op::mremap_shrink);
  return out;
}

json leaks_json(const analyze::AllocSummary& s) {
  json out = json::array();
  for (const auto& l : s.leaks) {
    out.push_back({{"frame", l.frame},
                   {"stack", l.frames},
                   {"pid", l.pid},
                   {"growth_bytes_per_s", std::round(l.growth_bytes_per_s)},
                   {"r2", std::round(l.r2 * 1000) / 1000},
                   {"confidence", l.confidence},
                   {"live_bytes_end", l.live_bytes_end},
                   {"allocated_bytes", l.allocated_bytes},
                   {"recommendation", l.recommendation}});
  }
  return out;
}

// A bench capture: the load run's keys (those `load --json` writes) join the
// report's, so report.json on a bench capture has everything load's JSON has.
// The report's own figures win where both have one (the capture's duration,
// whether the recording was interrupted); the profile fills in each stage's
// CPU use.
void merge_load(json& out, const analyze::LoadView& load) {
  json run = json::parse(load.summary_json, nullptr, false);
  if (run.is_discarded() || !run.is_object()) {
    out["warnings"].push_back("the capture's load summary is not valid JSON: its figures are left out");
    return;
  }
  for (auto& [key, value] : run.items()) {
    if (key == "loadprof_version" || key == "interrupted" || key == "duration_s") continue;
    if (key == "warnings" && value.is_array()) {
      for (auto& w : value) out["warnings"].push_back(w);
      continue;
    }
    out[key] = value;
  }
  if (out.contains("stages") && out["stages"].is_array()) {
    auto& stages = out["stages"];
    for (size_t i = 0; i < stages.size() && i < load.stages.size(); ++i) {
      const auto& u = load.stages[i];
      stages[i]["cpu_util_pct"] = u.target_cpu_pct ? json(round2(*u.target_cpu_pct)) : json(nullptr);
      stages[i]["loadprof_cpu_pct"] = u.loadprof_cpu_pct ? json(round2(*u.loadprof_cpu_pct)) : json(nullptr);
    }
  }
  out["request_log"] = {
      {"in_capture", load.requests_in_capture}, {"logged", load.log_records}, {"dropped", load.log_dropped}};
}

json percentiles_json(const stats::Percentiles& p) {
  const auto r3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  return {{"p50", r3(p.p50_ms)}, {"p90", r3(p.p90_ms)},   {"p95", r3(p.p95_ms)},
          {"p99", r3(p.p99_ms)}, {"p999", r3(p.p999_ms)}, {"max", r3(p.max_ms)}};
}

void put_figures(json& o, const analyze::LoadFigures& f) {
  o["requests"] = f.requests;
  o["errors"] = f.errors;
  o["error_rate_pct"] = round2(f.error_rate_pct);
  o["throughput_rps"] = round2(f.throughput_rps);
  o["latency_ms"] = percentiles_json(f.latency);
  o["service_time_ms"] = percentiles_json(f.service_time);
}

// report --window on a bench capture: the load keys counted again from the
// request log in the window; the stages and seconds outside it left out.
void apply_window_load(json& out, const analyze::WindowLoad& w) {
  put_figures(out, w.total);
  json by_class = json::object();  // the capture's requests are the window's already
  for (const auto& [name, n] : w.total.errors_by_class) by_class[name] = n;
  out["errors_by_class"] = std::move(by_class);
  if (out.contains("stages") && out["stages"].is_array()) {
    json kept = json::array();
    for (size_t i = 0; i < out["stages"].size() && i < w.stages.size(); ++i) {
      const auto& f = w.stages[i];
      if (f.duration_s <= 0) continue;
      json st = out["stages"][i];
      put_figures(st, f);
      st["start_s"] = round2(f.start_s);
      st["duration_s"] = round2(f.duration_s);
      kept.push_back(std::move(st));
    }
    out["stages"] = std::move(kept);
  }
  if (out.contains("timeseries") && out["timeseries"].is_array()) {
    json kept = json::array();
    for (const auto& s : out["timeseries"]) {
      const double t = s.value("t_s", -1.0);
      if (t + 1 > w.timeseries_from_s && t < w.timeseries_to_s) kept.push_back(s);
    }
    out["timeseries"] = std::move(kept);
  }
  out["warnings"].push_back(
      "--window: requests, errors (and by class), latency, service time, throughput, stages and the time "
      "series are the window's (from the request log); slo, late starts, schedule lag, status codes and "
      "load.* are the whole run's");
}

}  // namespace

json to_json(const analyze::Analysis& a) {
  json processes = json::array();
  for (const auto& p : a.processes) processes.push_back(process_json(p));
  json lost = json::object();
  for (const auto& [probe, reasons] : a.lost) {
    json r = json::object();
    for (const auto& [reason, n] : reasons) r[reason] = n;
    lost[probe] = std::move(r);
  }
  json out = {
      {"loadprof_version", kVersion},
      {"target", {{"processes", std::move(processes)}, {"exited_s", opt_s(a.target_exited_s)}}},
      {"interrupted", a.interrupted},
      {"duration_s", round2(a.duration_s)},
      {"samples",
       {{"cpu", opt_count(a.samples.cpu)},
        {"offcpu", opt_count(a.samples.offcpu)},
        {"io", opt_count(a.samples.io)},
        {"alloc", opt_count(a.samples.alloc)}}},
      {"lost", std::move(lost)},
      {"cpu_stacks", {{"missing", a.cpu_samples_without_stack}, {"truncated", a.cpu_samples_truncated}}},
      {"stack_quality", stack_quality_json(a.stack_quality)},
      {"by_process", by_process_json(a)},
      {"by_thread", by_thread_json(a)},
      {"by_module", by_module_json(a)},
      {"group_by", a.group_by},
      {"cpu_accounting", accounting_json(a.cpu_accounting)},
      {"top_functions", {{"by_self", functions_json(a.top_self)}, {"by_total", functions_json(a.top_total)}}},
      {"top_stacks", stacks_json(a.top_stacks)},
      {"capture", capture_json(a)},
      {"warnings", a.warnings}};
  if (a.wall) out["wall"] = wall_json(*a.wall);  // SPEC: present when the capture holds off-CPU data
  if (!a.unwind.empty()) out["unwind"] = unwind_json(a.unwind);  // DWARF captures
  if (a.load) merge_load(out, *a.load);
  // SPEC: present when the capture holds resource readings.
  if (!a.resources.empty()) out["resources"] = resources_json(a.resources);
  if (a.load && a.window_load) apply_window_load(out, *a.window_load);
  if (a.window) {  // report --window: the part of the capture every figure is of
    out["window"] = {{"start_s", round2(a.window->start_s)},
                     {"end_s", round2(a.window->end_s)},
                     {"capture_duration_s", round2(a.window->capture_duration_s)}};
  }
  if (a.correlation) out["correlation"] = correlation_json(*a.correlation);  // SPEC: captures with requests
  if (a.io) out["io"] = io_json(*a.io);  // SPEC: present when the io probe ran
  if (a.peers) out["peers"] = peers_json(*a.peers);
  if (a.alloc) {  // SPEC: present when the alloc probe ran
    out["alloc"] = alloc_json(*a.alloc);
    if (a.alloc->mmap) out["alloc"]["mmap"] = mmap_json(*a.alloc->mmap);
    out["leaks"] = leaks_json(*a.alloc);
  }
  out["bottlenecks"] = bottlenecks_json(a.verdict);
  out["verdict"] = verdict_json(a.verdict);
  if (a.capacity_model) out["capacity_model"] = capacity_model_json(*a.capacity_model);
  return out;
}

void write_json(std::ostream& out, const analyze::Analysis& a) {
  // Names come from binaries and may not be UTF-8: replace bad bytes rather than throw.
  out << to_json(a).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace loadprof::report
