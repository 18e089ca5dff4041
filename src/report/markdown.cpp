// Markdown report writer: one section per figure of the analysis, tables for
// what has rows, the warnings first so a truncated capture or useless stacks
// are never missed. Function names are shortened in tables (short_name.h).
#include "loadprof/report/markdown.h"

#include <cstdio>
#include <iterator>
#include <string>

#include "correlation_sections.h"
#include "loadprof/analyze/short_name.h"
#include "resources_summary.h"
#include "verdict_sections.h"
#include "wording.h"

namespace loadprof::report {
namespace {

// Above this many seconds the per-second table goes to report.json only.
constexpr size_t kMaxSecondsInMarkdown = 120;

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string pct(double v) { return fixed2(v) + " %"; }

// A code span: names hold '<', '>' (templates) that Markdown would take for
// HTML, and sometimes a backtick; inside a GFM table a '|' (operator|) must be escaped too.
std::string code(const std::string& text, bool in_table = true) {
  std::string escaped;
  bool backtick = false;
  for (char ch : text) {
    if (ch == '|' && in_table)
      escaped += "\\|";
    else
      escaped += ch;
    if (ch == '`') backtick = true;
  }
  return backtick ? "`` " + escaped + " ``" : "`" + escaped + "`";
}

std::string exit_text(const analyze::ProcessSummary& p) {
  std::string how;
  if (p.exit_code)
    how = "exit code " + std::to_string(*p.exit_code);
  else if (p.exit_signal)
    how = "killed by signal " + std::to_string(*p.exit_signal);
  else if (p.exit_s)
    how = "exited";
  if (!p.exit_s) return how.empty() ? "running at the end" : how;
  return how + " at +" + fixed2(*p.exit_s) + " s";
}

void header(std::ostream& out, const analyze::Analysis& a) {
  const auto& c = a.capture;
  out << "# loadprof report\n\n";
  for (const auto& w : a.warnings) out << "> **Warning:** " << w << "\n\n";
  if (!c.hostname.empty()) {
    out << "- Host: " << c.hostname;
    if (!c.kernel_release.empty()) out << " (kernel " << c.kernel_release << ")";
    out << "\n";
  }
  if (!c.command_line.empty()) {
    out << "- Recorded by loadprof " << (c.loadprof_version.empty() ? "?" : c.loadprof_version) << ": "
        << code(c.command_line, false) << "\n";
  }
  if (!c.source.empty()) out << "- Imported from " << c.source << "\n";
  if (!c.probes.empty()) {
    out << "- Probes: ";
    for (size_t i = 0; i < c.probes.size(); ++i) out << (i ? ", " : "") << c.probes[i];
    if (c.frequency_hz) out << "; cpu sampling at " << c.frequency_hz << " Hz";
    if (!c.unwind.empty()) out << "; unwinding: " << c.unwind;
    out << "\n";
  }
  if (a.window) {
    out << "- Window: " << fixed2(a.window->start_s) << ".." << fixed2(a.window->end_s) << " s of a "
        << fixed2(a.window->capture_duration_s) << " s capture (--window): every figure is of it\n";
  }
  if (a.group_by == "module") out << "- Frames grouped by module (--group-by module)\n";
  out << "- Duration: " << fixed2(a.duration_s) << " s" << (a.duration_estimated ? " (estimated)" : "")
      << "; ended by: " << a.end_reason << "\n";
  if (a.interrupted) out << "- Interrupted (Ctrl-C / SIGTERM): the results so far\n";
  out << "\n";
}

void processes(std::ostream& out, const analyze::Analysis& a) {
  out << "## Target processes\n\n";
  if (a.processes.empty()) {
    out << "The capture names no target process.\n\n";
    return;
  }
  out << "| pid | command | started | exit |\n|---:|---|---:|---|\n";
  for (const auto& p : a.processes) {
    out << "| " << p.pid << " | " << code(p.command) << " | +" << fixed2(p.start_s) << " s | " << exit_text(p)
        << " |\n";
  }
  out << "\n";
  bool any = false;
  for (const auto& p : a.processes) {
    if (!p.exited_mid_capture || !p.exit_s) continue;
    out << "- pid " << p.pid << " (" << code(p.command) << ") exited mid-capture at +" << fixed2(*p.exit_s)
        << " s";
    if (p.exit_code) out << " with exit code " << *p.exit_code;
    if (p.exit_signal) out << ", killed by signal " << *p.exit_signal;
    out << ".\n";
    any = true;
  }
  if (a.target_exited_s) {
    out << "- Every target process had exited at +" << fixed2(*a.target_exited_s) << " s.\n";
    any = true;
  }
  if (any) out << "\n";
}

void samples(std::ostream& out, const analyze::Analysis& a) {
  out << "## Samples\n\n| kind | samples |\n|---|---:|\n";
  const std::pair<const char*, std::optional<uint64_t>> rows[] = {
      {"cpu", a.samples.cpu}, {"offcpu", a.samples.offcpu}, {"io", a.samples.io}, {"alloc", a.samples.alloc}};
  for (const auto& [kind, n] : rows)
    out << "| " << kind << " | " << (n ? std::to_string(*n) : std::string("not recorded")) << " |\n";
  out << "\n";
  if (a.cpu_samples_without_stack || a.cpu_samples_truncated) {
    out << "cpu samples without a stack: " << a.cpu_samples_without_stack
        << "; with a truncated stack: " << a.cpu_samples_truncated << ".\n\n";
  }
}

void lost(std::ostream& out, const analyze::Analysis& a) {
  out << "## Lost\n\n";
  bool any = false;
  for (const auto& [probe, reasons] : a.lost) {
    for (const auto& [reason, n] : reasons) any = any || (n > 0 && !is_stack_quality_reason(reason));
  }
  if (!any) {
    out << "Nothing was lost (stack quality is in its own section).\n\n";
    return;
  }
  out << "| probe | reason | count |\n|---|---|---:|\n";
  for (const auto& [probe, reasons] : a.lost) {
    for (const auto& [reason, n] : reasons) {
      if (n > 0 && !is_stack_quality_reason(reason))
        out << "| " << probe << " | " << reason << " | " << n << " |\n";
    }
  }
  out << "\n";
}

void by_task(std::ostream& out, const analyze::Analysis& a) {
  if (a.by_process.empty()) return;
  out << "## CPU by process\n\n" << kCpuPctNote << "\n\n";
  out << "| pid | command | samples | share % | cpu % |\n|---:|---|---:|---:|---:|\n";
  for (const auto& p : a.by_process) {
    out << "| " << p.pid << " | " << code(p.command) << " | " << p.samples << " | " << pct(p.share_pct)
        << " | " << pct(p.cpu_pct) << " |\n";
  }
  out << "\n## CPU by thread\n\n";
  out << "| pid | tid | comm | samples | share % | cpu % |\n|---:|---:|---|---:|---:|---:|\n";
  for (const auto& t : a.by_thread) {
    out << "| " << t.pid << " | " << t.tid << " | " << code(t.comm) << " | " << t.samples << " | "
        << pct(t.share_pct) << " | " << pct(t.cpu_pct) << " |\n";
  }
  out << "\n";
}

void wall_row(std::ostream& out, const std::string& who, const analyze::WallTime& t) {
  out << "| " << who << " | " << fixed2(t.on_cpu_ms);
  for (double ms : t.offcpu_ms) out << " | " << fixed2(ms);
  out << " |\n";
}

// On-CPU and off-CPU time by reason (offcpu probe), in total and per thread.
void wall(std::ostream& out, const analyze::Analysis& a) {
  if (!a.wall) return;
  out << "## Wall time (ms)\n\n"
      << "On CPU (cpu samples / frequency) and off CPU by reason: runqueue = runnable, waiting for a CPU; "
         "the rest blocked, classified from the kernel stack at switch-out.\n\n";
  out << "| thread | on CPU";
  for (const char* r : analyze::offcpu_reason_names()) out << " | " << r;
  out << " |\n|---|---:";
  for (size_t i = 0; i < analyze::kOffCpuReasons; ++i) out << "|---:";
  out << "|\n";
  wall_row(out, "**total**", a.wall->total);
  for (const auto& t : a.wall->threads)
    wall_row(out, std::to_string(t.pid) + "/" + std::to_string(t.tid) + " " + code(t.comm), t.time);
  out << "\n";
  if (a.wall->wakers.empty()) return;
  out << "### Wakers\n\nWho woke the blocked threads, per reason (the top " << analyze::kTopWakersPerReason
      << "): the waker thread (pid/tid 0/0 is the idle task: a timer or an interrupt), its wake-ups and the "
         "blocked time they ended. Waits shorter than --offcpu-min are merged in BPF per waker.\n\n"
         "| reason | waker | wake-ups | blocked ms | woken threads |\n|---|---|---:|---:|---|\n";
  for (const auto& k : a.wall->wakers) {
    std::string woken;
    for (const auto& n : k.woken) woken += (woken.empty() ? "" : ", ") + code(n);
    out << "| " << k.reason << " | " << std::to_string(k.waker_pid) << "/" << std::to_string(k.waker_tid)
        << " " << code(k.waker_comm) << " | " << k.wakeups << " | " << fixed2(k.blocked_ms) << " | " << woken
        << " |\n";
  }
  out << "\n";
  if (a.wall->waker_stacks.empty()) return;
  out << "### Waker stacks\n\nWhat the wakers were doing when they woke the blocked threads "
         "(--offcpu-wakers; "
         "frame pointers, root first; user frames only for wakers among the targets), per reason (the top "
      << analyze::kTopWakerStacksPerReason
      << "), with the blocked time their wake-ups ended. The `wakers` flame graph puts each waker stack "
         "above the stack that waited.\n\n| reason | waker stack | waits | blocked ms | woken threads |\n"
         "|---|---|---:|---:|---|\n";
  for (const auto& s : a.wall->waker_stacks) {
    std::string frames, woken;
    for (const auto& f : s.frames) frames += (frames.empty() ? "" : " ; ") + f;
    for (const auto& n : s.woken) woken += (woken.empty() ? "" : ", ") + code(n);
    out << "| " << s.reason << " | " << code(frames) << " | " << s.waits << " | " << fixed2(s.blocked_ms)
        << " | " << woken << " |\n";
  }
  out << "\n";
}

// A latency in ms with enough digits for microsecond syscalls.
std::string latency(double ms) {
  char b[32];
  std::snprintf(b, sizeof b, ms < 1 ? "%.4f" : "%.2f", ms);
  return b;
}

// Syscalls by (name, fd kind) and block requests by (device, op) (io probe).
void io(std::ostream& out, const analyze::Analysis& a) {
  if (!a.io) return;
  out << "## I/O\n\n"
      << "Syscalls of the target timed from entry to exit; p50/p99 come from log2 latency histograms (each "
         "bucket spans a factor of 2; interpolated inside it), max is exact. fd kind `poll` is the "
         "poll/select/epoll family.\n\n";
  if (a.io->syscalls.empty()) {
    out << "No traced syscall was seen.\n\n";
  } else {
    out << "| syscall | fd kind | calls | bytes | errors | total ms | p50 ms | p99 ms | max ms |\n"
           "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& s : a.io->syscalls) {
      out << "| " << s.name << " | " << s.fd_kind << " | " << s.count << " | " << s.bytes << " | " << s.errors
          << " | " << fixed2(s.total_ms) << " | " << latency(s.latency_ms.p50) << " | "
          << latency(s.latency_ms.p99) << " | " << latency(s.latency_ms.max) << " |\n";
    }
    out << "\n";
  }
  out << "Block requests, issue to completion, of every process on the machine (a write is often issued "
         "by a kernel flusher, not by the process that wrote):\n\n";
  if (a.io->devices.empty()) {
    out << "None.\n\n";
    return;
  }
  out << "| device | op | requests | bytes | errors | total ms | p50 ms | p99 ms | max ms |\n"
         "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& d : a.io->devices) {
    out << "| " << code(d.device) << " | " << d.op << " | " << d.count << " | " << d.bytes << " | "
        << d.errors << " | " << fixed2(d.total_ms) << " | " << latency(d.latency_ms.p50) << " | "
        << latency(d.latency_ms.p99) << " | " << latency(d.latency_ms.max) << " |\n";
  }
  out << "\n";
}

// The sockets merged per peer (io probe).
void peers(std::ostream& out, const analyze::Analysis& a) {
  if (!a.peers) return;
  out << "## Peers\n\n"
      << "Whom the target talked to over sockets. As a **client** it sent, then waited for the answer: wait "
         "is the time from its first send to the first data back, summed over the round trips. As a "
         "**server** it received, then answered: wait is its time to answer; its clients are merged per "
         "address and the port they reached. Figures span the whole capture.\n\n";
  if (a.peers->peers.empty()) {
    out << "No socket data was seen.\n\n";
    return;
  }
  const bool per_request = a.peers->requests > 0;
  out << "| peer | protocol | role | sockets | round trips |" << (per_request ? " per request |" : "")
      << " wait ms | mean ms | sent | received |\n|---|---|---|---:|---:|" << (per_request ? "---:|" : "")
      << "---:|---:|---:|---:|\n";
  for (const auto& p : a.peers->peers) {
    std::string peer = p.role == "server" ? p.address + " → :" + std::to_string(p.local_port) : p.address;
    const double mean = p.round_trips ? p.wait_ms / static_cast<double>(p.round_trips) : 0;
    out << "| " << code(peer) << " | " << p.protocol << " | " << p.role << " | " << p.sockets << " | "
        << p.round_trips << " | ";
    if (per_request) out << (p.round_trips_per_request ? fixed2(*p.round_trips_per_request) : "") << " | ";
    out << fixed2(p.wait_ms) << " | " << latency(mean) << " | " << p.bytes_sent << " | " << p.bytes_received
        << " |\n";
  }
  if (per_request)
    out << "\nPer request: round trips over the " << a.peers->requests
        << " requests of the load run (warm-up included in both).\n";
  bool by_step = false;
  for (const auto& p : a.peers->peers) by_step = by_step || !p.by_step.empty();
  if (by_step) {
    out << "\nRound trips per request of each step: made by the thread that served the request, between "
           "its arrival and its answer (thread-per-connection servers). "
        << a.peers->served_joined << " of the " << a.peers->served_exchanges
        << " served exchanges that made round trips were joined to a request of the load run.\n\n"
        << "| peer | step | requests | round trips | per request | wait ms "
           "|\n|---|---|---:|---:|---:|---:|\n";
    for (const auto& p : a.peers->peers)
      for (const auto& st : p.by_step)
        out << "| " << code(p.address) << " | " << code(st.path.empty() ? st.step : st.path) << " | "
            << st.requests << " | " << st.round_trips << " | " << fixed2(st.round_trips_per_request) << " | "
            << fixed2(st.wait_ms) << " |\n";
  }
  out << "\n";
}

std::string bytes_text(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;
  while (b >= 1024 && u + 1 < std::size(units)) {
    b /= 1024;
    ++u;
  }
  char out[48];
  std::snprintf(out, sizeof out, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return out;
}

// mmap/munmap/brk by stack (the mmap probe, on with alloc).
void alloc_mmap(std::ostream& out, const analyze::MmapSummary& m) {
  using Op = capture::MmapOp;
  auto calls = [&](Op op) { return m.calls[static_cast<size_t>(op)]; };
  auto bytes = [&](Op op) { return bytes_text(static_cast<double>(m.bytes[static_cast<size_t>(op)])); };
  const int64_t net = m.anon_net_bytes;
  out << "### Address space: mmap, munmap, brk, mremap\n\n";
  out << "- Anonymous mmap: " << calls(Op::mmap_anon) << " calls, " << bytes(Op::mmap_anon) << "; munmap "
      << calls(Op::munmap_anon) << " calls, " << bytes(Op::munmap_anon) << ".\n";
  out << "- brk: grew " << calls(Op::brk_grow) << " times by " << bytes(Op::brk_grow) << ", shrank "
      << calls(Op::brk_shrink) << " times by " << bytes(Op::brk_shrink) << ".\n";
  out << "- mremap: grew " << calls(Op::mremap_grow) << " times by " << bytes(Op::mremap_grow) << ", shrank "
      << calls(Op::mremap_shrink) << " times by " << bytes(Op::mremap_shrink) << ".\n";
  out << "- Anonymous growth (mapped + brk and mremap grown - unmapped - brk and mremap shrunk): "
      << (net < 0 ? "-" : "+") << bytes_text(static_cast<double>(net < 0 ? -net : net)) << ".\n";
  out << "- File mappings (not memory growth): " << calls(Op::mmap_file) << " mmap, " << bytes(Op::mmap_file)
      << "; " << calls(Op::munmap_file) << " munmap, " << bytes(Op::munmap_file) << ".\n\n";
  if (m.stacks.empty()) return;
  out << "| allocating function | op | bytes | calls |\n|---|---|---:|---:|\n";
  for (size_t i = 0; i < m.stacks.size() && i < 10; ++i) {
    const auto& st = m.stacks[i];
    out << "| " << code(st.frame) << (st.truncated ? " (truncated)" : "") << " | " << st.op << " | "
        << bytes_text(static_cast<double>(st.bytes)) << " | " << st.calls << " |\n";
  }
  out << "\n";
}

// Allocations by stack, live bytes and leak suspects (alloc probe).
void alloc(std::ostream& out, const analyze::Analysis& a) {
  if (!a.alloc) return;
  const auto& s = *a.alloc;
  out << "## Allocations\n\n";
  out << "- Method: " << (s.method.empty() ? "unknown" : s.method) << ", allocator "
      << (s.allocator.empty() ? "unknown" : code(s.allocator)) << "; ";
  if (s.sample_period_bytes == 0) {
    out << "every allocation recorded.\n";
  } else {
    out << "sampled: one allocation per " << s.sample_period_bytes << " bytes on average ("
        << (s.method == "preload" ? "a Poisson process by bytes: each with probability 1 - exp(-size/period)"
                                  : "each with probability size/period")
        << "), figures by stack scaled up; a stack with "
           "n recorded allocations is within about 2/sqrt(n) of its true bytes (95 %).\n";
  }
  if (s.method == "uprobes") {
    out << "- Uprobes trap on every allocator call (about 5.6 us + 15 us for the return on this kind of "
           "machine): the target ran slower while recorded.\n";
  }
  const double duration = a.duration_s > 0 ? a.duration_s : 1;
  out << "- Allocated: " << s.allocations << " allocations, "
      << bytes_text(static_cast<double>(s.allocated_bytes)) << " ("
      << bytes_text(static_cast<double>(s.allocated_bytes) / duration) << "/s); recorded " << s.recorded
      << ".\n";
  out << "- Live at the end (allocated during the capture, not freed): "
      << bytes_text(static_cast<double>(s.live_bytes_end)) << ". RSS "
      << bytes_text(static_cast<double>(s.rss_bytes_start)) << " -> "
      << bytes_text(static_cast<double>(s.rss_bytes_end)) << ".\n";
  out << "- Frees of blocks not recorded (allocated before the capture, or not sampled): " << s.frees_unknown
      << "; never subtracted.\n";
  if (s.truncated_stacks > 0) {
    out << "- " << s.truncated_stacks
        << " recorded allocations have a truncated stack (with --unwind fp, frame pointers lost in code "
           "built without them, e.g. a C++ operator new in libstdc++; unwound by DWARF, the copied stack "
           "window ended: see the unwinding section).\n";
  }
  out << "\n";
  if (s.leaks.empty()) {
    out << "No leak suspect: no stack's live bytes grew steadily over the capture.\n\n";
  } else {
    out << "### Leak suspects\n\n"
           "| # | allocating function | growth/s | R^2 | confidence | live at end | allocated |\n"
           "|---:|---|---:|---:|---|---:|---:|\n";
    for (size_t i = 0; i < s.leaks.size(); ++i) {
      const auto& l = s.leaks[i];
      out << "| " << i + 1 << " | " << code(l.frame) << " | " << bytes_text(l.growth_bytes_per_s) << " | "
          << fixed2(l.r2) << " | " << l.confidence << " | "
          << bytes_text(static_cast<double>(l.live_bytes_end)) << " | "
          << bytes_text(static_cast<double>(l.allocated_bytes)) << " |\n";
    }
    out << "\n";
    for (size_t i = 0; i < s.leaks.size(); ++i) out << i + 1 << ". " << s.leaks[i].recommendation << "\n";
    out << "\n";
  }
  out << "### Top allocating stacks\n\n"
         "| allocating function | bytes | allocations | live at end |\n"
         "|---|---:|---:|---:|\n";
  for (size_t i = 0; i < s.stacks.size() && i < 10; ++i) {
    const auto& st = s.stacks[i];
    out << "| " << code(st.frame) << (st.truncated ? " (truncated)" : "") << " | "
        << bytes_text(static_cast<double>(st.bytes)) << " | " << static_cast<uint64_t>(st.count + 0.5)
        << " | " << bytes_text(static_cast<double>(st.live_bytes)) << " |\n";
  }
  out << "\n";
  if (s.mmap) alloc_mmap(out, *s.mmap);
}

void by_module(std::ostream& out, const analyze::Analysis& a) {
  if (a.by_module.empty()) return;
  out << "## CPU by module\n\n" << kModuleNote << "\n\n";
  out << "| module | self % | self | total % | total |\n|---|---:|---:|---:|---:|\n";
  for (const auto& m : a.by_module) {
    out << "| " << code(m.module) << " | " << pct(m.self_pct) << " | " << m.self_samples << " | "
        << pct(m.total_pct) << " | " << m.total_samples << " |\n";
  }
  out << "\n";
}

void stack_quality(std::ostream& out, const analyze::Analysis& a) {
  const auto& q = a.stack_quality;
  out << "## Stack quality\n\n";
  if (q.samples == 0) {
    out << "No cpu samples with a stack.\n\n";
    return;
  }
  out << kStackQualityNote << "\n\n";
  out << "- Samples with a user stack: " << q.user_samples << " (kernel only: " << q.kernel_only << ")\n"
      << "- Reaching main or a thread start: " << q.reached_root << " (" << pct(q.reached_root_pct) << ")\n"
      << "- Stopped early: " << q.stopped_early << " (" << pct(q.stopped_early_pct) << ")\n"
      << "- Cut by the unwinder (an address outside the code): " << q.truncated << " ("
      << pct(q.truncated_pct) << ")\n\n";
  out << "| user frames | samples | % |\n|---|---:|---:|\n";
  for (const auto& d : q.depths)
    out << "| " << d.label << " | " << d.samples << " | " << pct(d.pct) << " |\n";
  out << "\n";
  if (!q.modules.empty()) {
    out << "Where the stacks that stopped early stop:\n\n"
           "| module | stopped early | % of samples | stacks ending there |\n|---|---:|---:|---:|\n";
    for (const auto& m : q.modules) {
      out << "| " << code(m.module) << " | " << m.stopped_early << " | " << pct(m.stopped_early_pct) << " | "
          << m.samples << " |\n";
    }
    out << "\n";
  }
  if (q.poor) out << analyze::kStackQualityAdvice << "\n\n";
  if (!a.unwind.empty()) {
    out << "### Unwinding\n\nHow the cpu stacks went through each module (DWARF: its CFI; fp: frame "
           "pointers, "
           "where it has no CFI), the samples with a frame in it, and those whose unwind was cut short "
           "there:\n\n"
           "| module | method | stacks | truncated | why |\n|---|---|---:|---:|---|\n";
    for (const auto& m : a.unwind) {
      std::string why;
      for (const auto& [reason, n] : m.truncated_by_reason)
        why += (why.empty() ? "" : ", ") + reason + " " + std::to_string(n);
      out << "| " << code(m.module) << " | " << m.method << " | " << m.stacks << " | " << m.truncated << " | "
          << why << " |\n";
    }
    out << "\n";
  }
}

void share_row(std::ostream& out, const std::string& label, const analyze::CpuShare& s) {
  out << "| " << label << " | " << s.target << " | " << s.self << " | " << s.other << " | " << s.idle << " | "
      << s.idle_counted << " | " << s.steal << " | " << s.throttled << " | " << pct(s.target_pct) << " | "
      << pct(s.self_pct) << " | " << pct(s.other_pct) << " | " << pct(s.idle_pct) << " | " << pct(s.steal_pct)
      << " |\n";
}

void accounting(std::ostream& out, const analyze::Analysis& a) {
  out << "## CPU accounting\n\n";
  if (!a.cpu_accounting) {
    out << "The capture holds no per-CPU accounting.\n\n";
    return;
  }
  const auto& acc = *a.cpu_accounting;
  out << kAccountingNote << "\n\n";
  out << "| cpu | target | loadprof | other | idle (" << acc.idle_shown
      << ") | idle counted | steal | throttled | target % | loadprof % | other % | idle % | steal % |\n"
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& s : acc.cpus) share_row(out, std::to_string(s.cpu), s);
  share_row(out, "all", acc.all);
  if (acc.all.throttles > 0)
    out << "\nThe kernel throttled the cpu-clock event " << acc.all.throttles << " times.\n";
  out << "\n";
  if (acc.per_second.empty()) return;
  out << "### Per second (all CPUs)\n\n";
  if (acc.per_second.size() > kMaxSecondsInMarkdown) {
    out << acc.per_second.size() << " seconds: the series is in report.json (cpu_accounting.per_second).\n\n";
    return;
  }
  out << "| t (s) | target | loadprof | other | idle (" << acc.idle_shown
      << ") | idle counted | steal | throttled | target % | busy % | busiest CPU target % |\n"
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& s : acc.per_second) {
    out << "| " << fixed2(s.t_s) << " | " << s.target << " | " << s.self << " | " << s.other << " | "
        << s.idle << " | " << s.idle_counted << " | " << s.steal << " | " << s.throttled << " | "
        << pct(s.target_pct) << " | " << pct(s.busy_pct) << " | " << pct(s.max_cpu_target_pct) << " |\n";
  }
  out << "\n";
}

void functions(std::ostream& out, const std::string& title, const std::vector<analyze::FunctionStat>& fs,
               bool by_self) {
  out << "## " << title << "\n\n";
  if (fs.empty()) {
    out << "No cpu samples with a stack.\n\n";
    return;
  }
  if (by_self) {
    out << "| # | function | module | self % | self | total % | total "
           "|\n|---:|---|---|---:|---:|---:|---:|\n";
  } else {
    out << "| # | function | module | total % | total | self % | self "
           "|\n|---:|---|---|---:|---:|---:|---:|\n";
  }
  for (size_t i = 0; i < fs.size(); ++i) {
    const auto& f = fs[i];
    out << "| " << i + 1 << " | " << code(analyze::short_name(f.name)) << " | " << code(f.module) << " | ";
    if (by_self) {
      out << pct(f.self_pct) << " | " << f.self_samples << " | " << pct(f.total_pct) << " | "
          << f.total_samples;
    } else {
      out << pct(f.total_pct) << " | " << f.total_samples << " | " << pct(f.self_pct) << " | "
          << f.self_samples;
    }
    out << " |\n";
  }
  out << "\n";
}

void stacks(std::ostream& out, const analyze::Analysis& a) {
  out << "## Top stacks\n\n";
  if (a.top_stacks.empty()) {
    out << "No cpu samples with a stack.\n\n";
    return;
  }
  for (size_t i = 0; i < a.top_stacks.size(); ++i) {
    const auto& s = a.top_stacks[i];
    std::string folded;
    for (size_t j = 0; j < s.frames.size(); ++j) {
      if (j) folded += ';';
      folded += analyze::short_name(s.frames[j]);
    }
    out << i + 1 << ". " << pct(s.pct) << " (" << s.samples << " samples)"
        << (s.stopped_early ? ", stopped early"
            : s.truncated   ? ", truncated"
                            : "")
        << ": " << code(folded, false) << "\n";
  }
  out << "\n";
}

// A bench capture: the load's own table as `load` printed it, then the
// stages' CPU use from the profile.
void load_run(std::ostream& out, const analyze::Analysis& a) {
  if (!a.load) return;
  const auto& l = *a.load;
  out << "## Load\n\n```\n"
      << l.table << (l.table.empty() || l.table.back() == '\n' ? "" : "\n") << "```\n\n";
  if (a.window_load) {
    const auto& w = a.window_load->total;
    out << "The table is the whole run's. In the window (--window): " << w.requests << " requests, "
        << w.errors << " errors (" << pct(w.error_rate_pct) << "), " << fixed2(w.throughput_rps)
        << " req/s; latency p50 " << fixed2(w.latency.p50_ms) << " ms, p90 " << fixed2(w.latency.p90_ms)
        << " ms, p99 " << fixed2(w.latency.p99_ms) << " ms, max " << fixed2(w.latency.max_ms) << " ms.\n\n";
  }
  out << "Request log: " << l.requests_in_capture << " requests in the capture";
  if (l.log_dropped) out << ", " << l.log_dropped << " lost on the way (ring or queue full)";
  out << ".\n\n";
  if (l.stages.empty()) return;
  out << "| stage | window | target CPU | loadprof CPU |\n|---|---|---|---|\n";
  for (size_t i = 0; i < l.stages.size(); ++i) {
    const auto& u = l.stages[i];
    out << "| " << i + 1 << " | " << fixed2(u.start_s) << "s-" << fixed2(u.end_s) << "s | "
        << (u.target_cpu_pct ? pct(*u.target_cpu_pct) : std::string("-")) << " | "
        << (u.loadprof_cpu_pct ? pct(*u.loadprof_cpu_pct) : std::string("-")) << " |\n";
  }
  out << "\nCPU in % of one CPU: the targets' from their samples, loadprof's (load driver and recorder) "
         "from the per-second accounting.\n\n";
}

}  // namespace

void resources(std::ostream& out, const analyze::Analysis& a) {
  const auto rows = resource_summary(a.resources);
  if (rows.empty()) return;
  out << "## Resources\n\n"
      << kResourcesNote << "\n\n| figure | first second | peak | last second |\n"
      << "|---|---:|---:|---:|\n";
  for (const auto& r : rows)
    out << "| " << r.figure << " | " << r.start << " | " << r.peak << " | " << r.end << " |\n";
  out << "\n";
}

void write_markdown(std::ostream& out, const analyze::Analysis& a) {
  header(out, a);
  verdict_markdown(out, a.verdict);  // the answer first
  load_run(out, a);
  if (a.capacity_model) capacity_model_markdown(out, *a.capacity_model);
  processes(out, a);
  samples(out, a);
  by_task(out, a);
  wall(out, a);
  io(out, a);
  peers(out, a);
  alloc(out, a);
  by_module(out, a);
  stack_quality(out, a);
  lost(out, a);
  accounting(out, a);
  resources(out, a);
  if (a.correlation) correlation_markdown(out, *a.correlation);
  functions(out, "Top functions by self time", a.top_self, true);
  functions(out, "Top functions by total time", a.top_total, false);
  stacks(out, a);
}

}  // namespace loadprof::report
