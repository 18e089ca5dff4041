// report.html's wall time by reason (offcpu probe), I/O syscalls and block
// devices, and peers (io probe): report.md's tables of the same name, as XHTML.
#include <cstdio>
#include <string>

#include "html_sections.h"
#include "html_text.h"
#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {
namespace {

std::string f2(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

// A latency in ms with enough digits for microsecond syscalls.
std::string latency(double ms) {
  char b[32];
  std::snprintf(b, sizeof b, ms < 1 ? "%.4f" : "%.2f", ms);
  return b;
}

std::string td(const std::string& text) { return "<td class=\"num\">" + text + "</td>"; }
std::string td(uint64_t n) { return td(std::to_string(n)); }

void wall_row(std::ostream& out, const std::string& who, const analyze::WallTime& t) {
  out << "<tr><td>" << who << "</td>" << td(f2(t.on_cpu_ms));
  for (double ms : t.offcpu_ms) out << td(f2(ms));
  out << "</tr>\n";
}

void wall(std::ostream& out, const analyze::Analysis& a) {
  if (!a.wall) return;
  out << "<h2>Wall time (ms)</h2>\n<p class=\"note\">On CPU (cpu samples / frequency) and off CPU by reason: "
         "runqueue = runnable, waiting for a CPU; the rest blocked, classified from the kernel stack at "
         "switch-out.</p>\n<table class=\"wall\">\n<tr><th>thread</th><th>on CPU</th>";
  for (const char* r : analyze::offcpu_reason_names()) out << "<th>" << r << "</th>";
  out << "</tr>\n";
  wall_row(out, "<b>total</b>", a.wall->total);
  for (const auto& t : a.wall->threads)
    wall_row(out, std::to_string(t.pid) + "/" + std::to_string(t.tid) + " <code>" + esc(t.comm) + "</code>",
             t.time);
  out << "</table>\n";
  auto names = [](const std::vector<std::string>& list) {
    std::string s;
    for (const auto& n : list) s += (s.empty() ? "" : ", ") + ("<code>" + esc(n) + "</code>");
    return s;
  };
  if (!a.wall->wakers.empty()) {
    out << "<h3>Wakers</h3>\n<p class=\"note\">Who woke the blocked threads, per reason: the waker thread "
           "(0/0 is the idle task: a timer or an interrupt), its wake-ups and the blocked time they "
           "ended.</p>\n"
           "<table class=\"wakers\">\n<tr><th>reason</th><th>waker</th><th>wake-ups</th><th>blocked ms</th>"
           "<th>woken threads</th></tr>\n";
    for (const auto& k : a.wall->wakers)
      out << "<tr><td>" << esc(k.reason) << "</td><td>" << k.waker_pid << "/" << k.waker_tid << " <code>"
          << esc(k.waker_comm) << "</code></td>" << td(k.wakeups) << td(f2(k.blocked_ms)) << "<td>"
          << names(k.woken) << "</td></tr>\n";
    out << "</table>\n";
  }
  if (!a.wall->waker_stacks.empty()) {
    out << "<h3>Waker stacks</h3>\n<p class=\"note\">What the wakers were doing when they woke the blocked "
           "threads (--offcpu-wakers; frame pointers, root first), with the blocked time their wake-ups "
           "ended.</p>\n<table class=\"waker-stacks\">\n<tr><th>reason</th><th>waker stack</th><th>waits</th>"
           "<th>blocked ms</th><th>woken threads</th></tr>\n";
    for (const auto& s : a.wall->waker_stacks) {
      std::string frames;
      for (const auto& f : s.frames) frames += (frames.empty() ? "" : " ; ") + f;
      out << "<tr><td>" << esc(s.reason) << "</td><td><code>" << esc(frames) << "</code></td>" << td(s.waits)
          << td(f2(s.blocked_ms)) << "<td>" << names(s.woken) << "</td></tr>\n";
    }
    out << "</table>\n";
  }
}

void io(std::ostream& out, const analyze::Analysis& a) {
  if (!a.io) return;
  out << "<h2>I/O</h2>\n<p class=\"note\">Syscalls of the target timed from entry to exit; p50/p99 come from "
         "log2 latency histograms (each bucket spans a factor of 2; interpolated inside it), max is exact. "
         "fd "
         "kind <code>poll</code> is the poll/select/epoll family.</p>\n";
  if (a.io->syscalls.empty()) {
    out << "<p>No traced syscall was seen.</p>\n";
  } else {
    out << "<table class=\"io-syscalls\">\n<tr><th>syscall</th><th>fd kind</th><th>calls</th><th>bytes</th>"
           "<th>errors</th><th>total ms</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th></tr>\n";
    for (const auto& s : a.io->syscalls)
      out << "<tr><td>" << esc(s.name) << "</td><td>" << esc(s.fd_kind) << "</td>" << td(s.count)
          << td(s.bytes) << td(s.errors) << td(f2(s.total_ms)) << td(latency(s.latency_ms.p50))
          << td(latency(s.latency_ms.p99)) << td(latency(s.latency_ms.max)) << "</tr>\n";
    out << "</table>\n";
  }
  out << "<p>Block requests, issue to completion, of every process on the machine (a write is often issued "
         "by "
         "a kernel flusher, not by the process that wrote):</p>\n";
  if (a.io->devices.empty()) {
    out << "<p>None.</p>\n";
    return;
  }
  out << "<table class=\"io-devices\">\n<tr><th>device</th><th>op</th><th>requests</th><th>bytes</th>"
         "<th>errors</th><th>total ms</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th></tr>\n";
  for (const auto& d : a.io->devices)
    out << "<tr><td><code>" << esc(d.device) << "</code></td><td>" << esc(d.op) << "</td>" << td(d.count)
        << td(d.bytes) << td(d.errors) << td(f2(d.total_ms)) << td(latency(d.latency_ms.p50))
        << td(latency(d.latency_ms.p99)) << td(latency(d.latency_ms.max)) << "</tr>\n";
  out << "</table>\n";
}

void peers(std::ostream& out, const analyze::Analysis& a) {
  if (!a.peers) return;
  out << "<h2>Peers</h2>\n<p class=\"note\">Whom the target talked to over sockets. As a <b>client</b> it "
         "sent, then waited for the answer: wait is the time from its first send to the first data back, "
         "summed over the round trips. As a <b>server</b> it received, then answered: wait is its time to "
         "answer; its clients are merged per address and the port they reached. Figures span the whole "
         "capture.</p>\n";
  if (a.peers->peers.empty()) {
    out << "<p>No socket data was seen.</p>\n";
    return;
  }
  const bool per_request = a.peers->requests > 0;
  out << "<table class=\"peers\">\n<tr><th>peer</th><th>protocol</th><th>role</th><th>sockets</th>"
         "<th>round trips</th>"
      << (per_request ? "<th>per request</th>" : "")
      << "<th>wait ms</th><th>mean ms</th><th>sent</th><th>received</th></tr>\n";
  for (const auto& p : a.peers->peers) {
    const std::string peer =
        p.role == "server" ? p.address + " → :" + std::to_string(p.local_port) : p.address;
    const double mean = p.round_trips ? p.wait_ms / static_cast<double>(p.round_trips) : 0;
    out << "<tr><td><code>" << esc(peer) << "</code></td><td>" << esc(p.protocol) << "</td><td>"
        << esc(p.role) << "</td>" << td(p.sockets) << td(p.round_trips);
    if (per_request) out << td(p.round_trips_per_request ? f2(*p.round_trips_per_request) : "");
    out << td(f2(p.wait_ms)) << td(latency(mean)) << td(p.bytes_sent) << td(p.bytes_received) << "</tr>\n";
  }
  out << "</table>\n";
  if (per_request)
    out << "<p>Per request: round trips over the " << a.peers->requests
        << " requests of the load run (warm-up included in both).</p>\n";
}

}  // namespace

void wall_io_peers_html(std::ostream& out, const analyze::Analysis& a) {
  wall(out, a);
  io(out, a);
  peers(out, a);
}

}  // namespace loadprof::report
