// The demo's printed findings (findings.h).
#include "loadprof/demo/findings.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "loadprof/capture/reader.h"

namespace loadprof::demo {
namespace {

constexpr size_t kTopCpuFunctions = 3;
constexpr size_t kTopReasons = 6;
constexpr size_t kTopSyscalls = 3;

bool is_kernel_frame(const std::string& frame) { return frame.ends_with("_[k]"); }

std::vector<std::string> split_frames(const std::string& stack) {
  std::vector<std::string> frames;
  size_t start = 0;
  while (start <= stack.size()) {
    size_t end = stack.find(';', start);
    if (end == std::string::npos) end = stack.size();
    frames.push_back(stack.substr(start, end - start));
    start = end + 1;
  }
  return frames;
}

std::string leaf(const std::string& stack) {
  size_t semi = stack.rfind(';');
  return semi == std::string::npos ? stack : stack.substr(semi + 1);
}

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
  char text[256];
  std::snprintf(text, sizeof text, fmt, a, b, c);
  return text;
}

// Lines grouped by their leaf frame: the weight of each group and its heaviest line.
struct LeafGroup {
  uint64_t total = 0;
  const capture::FoldedLine* top = nullptr;
};
std::map<std::string, LeafGroup> group_by_leaf(const std::vector<capture::FoldedLine>& lines) {
  std::map<std::string, LeafGroup> groups;
  for (const auto& line : lines) {
    auto& g = groups[leaf(line.stack)];
    g.total += line.count;
    if (!g.top || line.count > g.top->count) g.top = &line;
  }
  return groups;
}

bool has_probe(const analyze::Analysis& analysis, const std::string& probe) {
  const auto& probes = analysis.capture.probes;
  return std::find(probes.begin(), probes.end(), probe) != probes.end();
}

}  // namespace

std::string user_stack(const std::string& folded_stack, size_t max_frames) {
  auto frames = split_frames(folded_stack);
  std::vector<std::string> user;
  for (size_t i = 1; i < frames.size(); ++i)  // frames[0]: the process name
    if (!is_kernel_frame(frames[i]) && !frames[i].starts_with("[")) user.push_back(frames[i]);
  if (user.size() > max_frames) user.erase(user.begin(), user.end() - static_cast<long>(max_frames));
  std::string out;
  for (const auto& f : user) out += (out.empty() ? "" : " > ") + f;
  return out;
}

std::vector<Finding> profile_findings(const analyze::Analysis& analysis,
                                      const std::vector<capture::FoldedLine>& offcpu,
                                      const std::vector<capture::FoldedLine>& io) {
  std::vector<Finding> out;
  // The classifier's verdict first: each bottleneck with its evidence, what
  // to do and what it would buy.
  for (const auto& b : analysis.verdict.bottlenecks) {
    std::string head = b.frame.empty() ? b.evidence : b.frame + ": " + b.evidence;
    head += "\n      do: " + b.recommendation + "\n      gain: " + b.estimated_gain;
    // A bottleneck's stacks are folded lines with their weight at the end ("a;b;c 436"): the weight goes.
    std::string stack = b.stacks.empty() ? "" : b.stacks.front();
    if (auto space = stack.rfind(' '); space != std::string::npos && space + 1 < stack.size() &&
                                       stack.find_first_not_of("0123456789", space + 1) == std::string::npos)
      stack.resize(space);
    out.push_back({"bottleneck:" + b.kind, head, stack.empty() ? "" : user_stack(stack)});
  }
  // Peers the target waited on as a client, with round trips per request.
  if (analysis.peers) {
    for (const auto& p : analysis.peers->peers) {
      if (p.role != "client" || p.round_trips == 0) continue;
      std::string head =
          "peer " + p.address +
          format(": %.0f round trips, %.0f ms waited", static_cast<double>(p.round_trips), p.wait_ms);
      if (p.round_trips_per_request)
        head += format(", %.2f per request of the whole mix", *p.round_trips_per_request);
      out.push_back({"peer", head, ""});
    }
  }
  // CPU: the user-space functions with the most samples of their own.
  size_t shown = 0;
  for (const auto& f : analysis.top_self) {
    if (shown == kTopCpuFunctions) break;
    if (is_kernel_frame(f.name)) continue;
    double total_pct = f.total_pct;
    for (const auto& t : analysis.top_total)
      if (t.name == f.name) total_pct = t.total_pct;
    Finding finding{
        "cpu", f.name + format(": %.1f %% of the CPU samples (self %.1f %%)", total_pct, f.self_pct), ""};
    for (const auto& s : analysis.top_stacks)
      if (!s.frames.empty() && s.frames.back() == f.name) {
        std::string folded;
        for (const auto& fr : s.frames) folded += (folded.empty() ? "" : ";") + fr;
        finding.stack = user_stack(folded);
        break;
      }
    out.push_back(std::move(finding));
    ++shown;
  }
  // Off-CPU: time by reason, each with its heaviest stack. No share: the
  // total holds every thread waiting for work (idle connections, accept),
  // which would make a real wait look small.
  if (analysis.wall) {
    std::vector<std::pair<std::string, LeafGroup>> reasons;
    for (auto& [leaf_frame, g] : group_by_leaf(offcpu)) reasons.emplace_back(leaf_frame, g);
    std::sort(reasons.begin(), reasons.end(),
              [](const auto& a, const auto& b) { return a.second.total > b.second.total; });
    for (size_t i = 0; i < reasons.size() && i < kTopReasons; ++i) {
      const auto& [leaf_frame, g] = reasons[i];
      std::string reason = leaf_frame;  // "[offcpu:lock]" -> "lock"
      if (reason.starts_with("[offcpu:")) reason = reason.substr(8, reason.size() - 9);
      out.push_back(
          {"offcpu:" + reason,
           "off-CPU " + reason + format(": %.0f ms over all threads", static_cast<double>(g.total) / 1e6),
           g.top ? user_stack(g.top->stack) : ""});
    }
  }
  // I/O: syscalls by time inside them, each with its heaviest stack — the
  // files' first (socket reads and accepts hold threads waiting for work, and
  // would push an fsync off the list), then the others'.
  if (analysis.io) {
    auto groups = group_by_leaf(io);
    std::vector<const analyze::IoSyscallStat*> shown_syscalls;
    for (bool files : {true, false}) {
      size_t n = 0;
      for (const auto& s : analysis.io->syscalls)
        if ((s.fd_kind == "file") == files && n++ < kTopSyscalls) shown_syscalls.push_back(&s);
    }
    for (const auto* sp : shown_syscalls) {
      const auto& s = *sp;
      auto g = groups.find("[io:" + s.name + ":" + s.fd_kind + "]");
      out.push_back({"io:" + s.name,
                     s.name + " (" + s.fd_kind + ")" +
                         format(": %.0f calls, %.0f ms in all, p99 %.2f ms", static_cast<double>(s.count),
                                s.total_ms, s.latency_ms.p99),
                     g != groups.end() && g->second.top ? user_stack(g->second.top->stack) : ""});
    }
  }
  return out;
}

std::vector<NotLookedFor> not_looked_for(const analyze::Analysis& analysis) {
  std::vector<NotLookedFor> out;
  if (!has_probe(analysis, "alloc")) {
    std::string why =
        "the demo records with --probes cpu,offcpu,io; the alloc probe (its preload path for a launched "
        "command: loadprof record --probes alloc -- CMD) was not run";
    if (analysis.resources.size() >= 2) {
      const double mib = (static_cast<double>(analysis.resources.back().rss_bytes) -
                          static_cast<double>(analysis.resources.front().rss_bytes)) /
                         (1024.0 * 1024.0);
      why += format("; the resource timeline's RSS moved by %+.1f MiB, without the stacks behind it", mib);
    }
    out.push_back({"leak in cache_session() (1 KiB kept per /session request)", why});
  }
  if (!analysis.peers)
    out.push_back({"N+1 in load_order_items() (8 backend round trips per /orders request)",
                   "round trips per peer need the io probe's sockets (--probes cpu,io)"});
  return out;
}

Result<Findings> demo_findings(const std::string& capture_path) {
  LOADPROF_TRY(capture, capture::read_capture(capture_path));
  LOADPROF_TRY(analysis, analyze::analyze(capture));
  std::vector<capture::FoldedLine> offcpu, io;
  const auto& kinds = analysis.kinds;
  if (std::find(kinds.begin(), kinds.end(), "offcpu") != kinds.end()) {
    LOADPROF_TRY(lines, capture::folded_stacks(capture, "offcpu"));
    offcpu = std::move(lines);
  }
  if (std::find(kinds.begin(), kinds.end(), "io") != kinds.end()) {
    LOADPROF_TRY(lines, capture::folded_stacks(capture, "io"));
    io = std::move(lines);
  }
  Findings out;
  out.findings = profile_findings(analysis, offcpu, io);
  out.not_looked_for = not_looked_for(analysis);
  return out;
}

std::string describe_ground_truth(const std::string& truth_line) {
  std::map<std::string, double> v;
  size_t start = 0;
  while (start < truth_line.size()) {
    size_t end = truth_line.find_first_of(" \n", start);
    if (end == std::string::npos) end = truth_line.size();
    const std::string token = truth_line.substr(start, end - start);
    if (size_t eq = token.find('='); eq != std::string::npos)
      v[token.substr(0, eq)] = std::atof(token.c_str() + eq + 1);
    start = end + 1;
  }
  const double cpu_ns = v["process_cpu_ns"];
  std::string out = "What the service measured itself (" + format("%.0f requests", v["requests"]) + "):\n";
  out += format("  score_all_products(): %.0f slow searches, %.1f %% of the service's CPU time\n",
                v["slow_searches"], cpu_ns > 0 ? 100.0 * v["score_cpu_ns"] / cpu_ns : 0);
  out += format("  update_cart(): %.0f carts waited %.0f ms for cart_lock\n", v["carts"],
                v["cart_lock_wait_ns"] / 1e6);
  out += format("  persist_order(): %.0f fsyncs, %.0f ms in them\n", v["fsyncs"], v["fsync_ns"] / 1e6);
  out += format("  cache_session(): %.0f sessions, %.0f KiB never freed\n", v["sessions"],
                v["leaked_bytes"] / 1024);
  out += format("  load_order_items(): %.0f order lists, %.0f backend round trips\n", v["order_lists"],
                v["backend_round_trips"]);
  return out;
}

std::string format_findings(const Findings& findings) {
  std::string out =
      "Findings: the bottlenecks the report names (ranked by estimated gain), the peers waited on, then the "
      "profile's\n"
      "top figures (off-CPU and I/O times include threads waiting for work: idle keep-alive connections, "
      "accept):\n";
  if (findings.findings.empty()) out += "  (none: the capture holds no samples)\n";
  for (const auto& f : findings.findings) {
    out += "  [" + f.kind + "] " + f.headline + "\n";
    if (!f.stack.empty()) out += "      " + f.stack + "\n";
  }
  if (!findings.not_looked_for.empty()) {
    out += "Planted but not looked for:\n";
    for (const auto& n : findings.not_looked_for) out += "  " + n.planted + ": " + n.why + "\n";
  }
  return out;
}

}  // namespace loadprof::demo
