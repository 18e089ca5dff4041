// Drawing the record status line.
#include "record_status.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace loadprof::cli {

RecordStatusLine::RecordStatusLine(int fd, std::string targets)
    : fd_(fd), tty_(isatty(fd) == 1), targets_(std::move(targets)) {}

RecordStatusLine::~RecordStatusLine() { clear(); }

std::string RecordStatusLine::text(const std::string& targets, const record::RecordProgress& p) {
  char b[256];
  const auto secs = static_cast<long long>(p.elapsed_s);
  std::snprintf(b, sizeof b,
                "recording %s: %lld:%02lld elapsed, %llu samples, %llu lost, %zu process%s alive",
                targets.c_str(), secs / 60, secs % 60, static_cast<unsigned long long>(p.samples),
                static_cast<unsigned long long>(p.lost), p.live_targets, p.live_targets == 1 ? "" : "es");
  std::string out = b;
  if (p.target_cpu_pct) {
    std::snprintf(b, sizeof b, ", target CPU %.0f %%", *p.target_cpu_pct);
    out += b;
  }
  out += p.phase == record::RecordProgress::Phase::finishing ? " - finishing (Ctrl-C again: at once)"
                                                             : " - Ctrl-C to stop";
  return out;
}

void RecordStatusLine::write_all(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd_, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

void RecordStatusLine::update(const record::RecordProgress& p) {
  if (!tty_) return;
  if (p.command_has_terminal) {
    // The command writes to this terminal too: say once how to stop, draw nothing over its output.
    if (!said_terminal_ && p.phase == record::RecordProgress::Phase::recording) {
      write_all("loadprof: recording " + targets_ +
                "; the command has the terminal: Ctrl-C goes to it, and the recording stops when it exits\n");
      said_terminal_ = true;
    }
    return;
  }
  write_all("\r\033[K" + text(targets_, p));
  drawn_ = true;
}

void RecordStatusLine::clear() {
  if (!drawn_) return;
  write_all("\r\033[K");
  drawn_ = false;
}

std::string recorder_cost_text(const record::RecorderCost& c) {
  auto ms = [](uint64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(ns) / 1e6);
    return std::string(buf);
  };
  std::string out = "recorder CPU " + ms(c.process_ns) + " ms: open " + ms(c.open_ns) + ", attach " +
                    ms(c.attach_ns) + ", drain " + ms(c.drain_ns) + ", symbolize " + ms(c.symbolize_ns) +
                    " (" + std::to_string(c.symbolized_stacks) + " stacks, " +
                    std::to_string(c.symbolized_at_end) + " after sampling stopped; " +
                    c.symbolizer_priority + "), write " + ms(c.write_ns) + ", other " + ms(c.other_ns) +
                    " ms; first second of sampling " + ms(c.first_second_ns) + " ms";
  if (c.recording_s > 1.5) {
    char rate[48];
    std::snprintf(rate, sizeof rate, ", then %.2f ms/s",
                  static_cast<double>(c.steady_ns) / 1e6 / (c.recording_s - 1));
    out += rate;
  }
  if (c.unwinds > 0) {
    char unwind[128];
    std::snprintf(unwind, sizeof unwind,
                  "; DWARF unwinding %llu stacks, %.1f us each (in drain; %llu replayed)",
                  static_cast<unsigned long long>(c.unwinds),
                  static_cast<double>(c.unwind_ns) / 1e3 / static_cast<double>(c.unwinds),
                  static_cast<unsigned long long>(c.unwinds_replayed));
    out += unwind;
  }
  if (c.bpf_runs > 0) {
    char bpf[96];
    std::snprintf(bpf, sizeof bpf, "; sample program %llu runs, %.0f ns each",
                  static_cast<unsigned long long>(c.bpf_runs),
                  static_cast<double>(c.bpf_run_ns) / static_cast<double>(c.bpf_runs));
    out += bpf;
  } else {
    out += "; sample program time not counted (kernel.bpf_stats_enabled=0)";
  }
  out += "; sideband " + std::to_string(c.sideband_kept) + " of " + std::to_string(c.sideband_read) +
         " records about the targets";
  if (c.mid_dispatch_pumps > 0)
    out += "; rings emptied " + std::to_string(c.mid_dispatch_pumps) + " times mid-dispatch";
  if (c.resource_passes > 0) {
    char res[112];
    std::snprintf(res, sizeof res, "; resource timeline %llu passes, %.0f us each (%s ms CPU)",
                  static_cast<unsigned long long>(c.resource_passes),
                  static_cast<double>(c.resource_pass_ns) / 1e3 / static_cast<double>(c.resource_passes),
                  ms(c.resources_ns).c_str());
    out += res;
  }
  return out;
}

}  // namespace loadprof::cli
