// The Markdown diff report (diff.md, and `loadprof diff`'s stdout): the
// verdict first, then per kind a table of the shares that changed, and the
// rule that decided "significant", so a reader can check a verdict by hand.
#include <cstdio>
#include <string>

#include "loadprof/analyze/short_name.h"
#include "loadprof/report/diff.h"

namespace loadprof::report {
namespace {

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string signed2(double v) { return (v > 0 ? "+" : "") + fixed2(v); }

std::string p_text(double p) {
  char buf[64];
  std::snprintf(buf, sizeof buf, p < 0.001 ? "%.1e" : "%.3f", p);
  return buf;
}

// A code span safe inside a table cell.
std::string code(const std::string& text) {
  std::string escaped;
  bool backtick = false;
  for (char ch : text) {
    escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
    if (ch == '`') backtick = true;
  }
  return backtick ? "`` " + escaped + " ``" : "`" + escaped + "`";
}

void table(std::ostream& out, const analyze::KindDiff& k) {
  out << "| function | share | base % | new % | change (points) | change (relative) | 95 % interval "
         "(points) | p | significant | verdict |\n"
         "|---|---|---:|---:|---:|---:|---|---:|---|---|\n";
  for (const auto& s : k.changes) {
    out << "| " << code(analyze::short_name(s.frame)) << " | " << (s.self ? "self" : "total") << " | "
        << fixed2(s.base_pct) << " | " << fixed2(s.new_pct) << " | " << signed2(s.delta_pct_points) << " | "
        << (s.change_pct ? signed2(*s.change_pct) + " %" : std::string("new")) << " | ["
        << signed2(s.ci95_low_points) << ", " << signed2(s.ci95_high_points) << "] | " << p_text(s.p_value)
        << " | " << (s.significant ? "yes" : "no") << " | "
        << (s.judged ? analyze::verdict_name(s.verdict) : "not judged (waiting)") << " |\n";
  }
}

// "1234 samples", "812.5 ms", "3.2 MB": a side's n in its unit.
std::string amount(uint64_t n, const std::string& weight) {
  if (weight == "ns") return fixed2(static_cast<double>(n) / 1e6) + " ms";
  if (weight == "bytes") return fixed2(static_cast<double>(n) / 1e6) + " MB";
  return std::to_string(n) + " samples";
}

std::string heading(const analyze::KindDiff& k) {
  if (k.weight == "ns")
    return k.kind == "offcpu" ? "offcpu time (% of wall time)" : "io time (% of wall time)";
  if (k.weight == "bytes") return "io bytes shares";
  return k.kind + " shares";
}

}  // namespace

void write_diff_markdown(std::ostream& out, const analyze::DiffResult& diff, const std::string& base_path,
                         const std::string& new_path) {
  out << "# loadprof diff\n\n"
      << "Base: `" << base_path << "`  \nNew: `" << new_path << "`\n\n"
      << "**Verdict: " << analyze::verdict_name(diff.verdict) << "** (threshold "
      << fixed2(diff.threshold_pct) << " % relative change of a share)\n\n";
  for (const auto& k : diff.kinds) {
    size_t regressions = 0, improvements = 0;
    for (const auto& s : k.changes) {
      if (s.verdict == analyze::Verdict::regression) ++regressions;
      if (s.verdict == analyze::Verdict::improvement) ++improvements;
    }
    const bool weighted = k.weight != "samples";
    out << "## " << heading(k) << "\n\n";
    if (weighted) {
      out << amount(k.base_samples, k.weight) << " in base, " << amount(k.new_samples, k.weight)
          << " in new (" << amount(k.base_without_stack, k.weight) << " and "
          << amount(k.new_without_stack, k.weight) << " without a stack count under their "
          << (k.kind == "offcpu" ? "reason" : "operation") << " only); ";
    } else {
      out << k.base_samples << " samples with a stack in base, " << k.new_samples << " in new; ";
    }
    out << k.comparisons << " shares compared; " << regressions << " regressed, " << improvements
        << " improved.";
    if (!weighted && k.base_without_stack + k.new_without_stack > 0) {
      out << " Samples without a stack, left out of the shares: " << k.base_without_stack << " in base, "
          << k.new_without_stack << " in new.";
    }
    if (k.base_interrupt_samples + k.new_interrupt_samples > 0) {
      out << " Interrupts taken in user code (" << k.base_interrupt_samples << " samples in base, "
          << k.new_interrupt_samples
          << " in new) count for the interrupted function: their kernel frames are the machine's noise "
             "(--keep-interrupts compares them too).";
    }
    out << "\n\n";
    for (const auto& s : k.changes) {
      if (s.verdict != analyze::Verdict::regression) continue;
      out << "- **regression**: " << code(s.frame) << " " << (s.self ? "self" : "total") << " share "
          << fixed2(s.base_pct) << " % -> " << fixed2(s.new_pct) << " % ("
          << (s.change_pct ? signed2(*s.change_pct) + " %" : std::string("absent from base")) << ", p "
          << p_text(s.p_value) << ")\n";
    }
    if (regressions) out << "\n";
    table(out, k);
    if (weighted) {
      if (k.weight == "ns") {
        out << "\nTime as a rate: % of the window's wall time (100 % = one thread all the time; a bench "
               "capture's window is the load's measured span), so idle threads that come and go do not move "
               "it. ";
      } else {
        out << "\nShares of all io bytes. ";
      }
      out << "`[" << (k.kind == "offcpu" ? "offcpu:REASON" : "io:SYSCALL:FD") << "]` rows (self) are by "
          << (k.kind == "offcpu" ? "reason" : "operation")
          << ", function rows (total) under that function. Significant: each side's variance from how the "
             "figure moved between 20 time blocks, Student's t (Welch) p-value below "
          << p_text(k.alpha_per_test) << " (alpha " << fixed2(diff.alpha) << " / " << k.comparisons
          << " compared, Bonferroni). A regression is a significant growth whose whole 95 % interval lies "
             "beyond "
          << fixed2(diff.threshold_pct) << " % of the base figure.\n\n";
      continue;
    }
    out << "\nSignificant: the two-sided p-value of the pooled two-proportion z-test (each side's variance "
           "times its dispersion over 10 time blocks) is below "
        << p_text(k.alpha_per_test) << " (alpha " << fixed2(diff.alpha) << " / " << k.comparisons
        << " shares compared, Bonferroni). A regression is a significant growth of more than "
        << fixed2(diff.threshold_pct)
        << " % of the base share. Shares are of all samples of the kind: a function that got faster "
           "raises the share of every other one.\n\n";
  }
  out << "## Latency and throughput\n\n";
  if (!diff.requests) {
    out << diff.requests_note << ".\n";
    return;
  }
  const auto& r = *diff.requests;
  out << "| metric | stage | base ms | new ms | change | 95 % interval | verdict "
         "|\n|---|---|---:|---:|---:|---|---|\n";
  for (const auto& c : r.latency)
    out << "| " << c.metric << " | " << (c.stage ? std::to_string(*c.stage) : std::string("all")) << " | "
        << fixed2(c.base_ms) << " | " << fixed2(c.new_ms) << " | " << fixed2(c.change_pct) << " % | "
        << fixed2(c.ci95_low_pct) << " .. " << fixed2(c.ci95_high_pct) << " % | "
        << (c.held_back ? "held back (see below)"
                        : (c.significant ? analyze::verdict_name(c.verdict) : "not significant"))
        << " |\n";
  const auto& t = r.throughput;
  out << "\nThroughput: " << fixed2(t.base_rps) << " -> " << fixed2(t.new_rps) << " req/s ("
      << fixed2(t.change_pct) << " %, Welch p = " << p_text(t.p_value) << ", "
      << (t.significant ? analyze::verdict_name(t.verdict) : "not significant") << ").\n\n";
  out << "Latency from the intended send (CO-corrected), " << r.base_requests << " base and "
      << r.new_requests << " new requests (warmup left out). Intervals: block bootstrap over whole seconds, "
      << r.resamples << " resamples, Bonferroni over " << r.comparisons
      << " percentiles compared; significant when the "
         "interval excludes 0; a regression is a significant growth beyond "
      << fixed2(diff.threshold_pct) << " % across the whole interval and by at least "
      << fixed2(analyze::kMinLatencyChangeMs) << " ms.\n";
  if (r.gate.cost)
    out << "\nTarget CPU per request: " << fixed2(r.gate.cost->base_ms) << " -> "
        << fixed2(r.gate.cost->new_ms) << " ms (" << fixed2(r.gate.cost->change_pct) << " %, 95 % interval "
        << fixed2(r.gate.cost->ci95_low_pct) << " .. " << fixed2(r.gate.cost->ci95_high_pct)
        << " %): " << analyze::verdict_name(r.gate.cost_verdict) << ".\n";
  if (!r.gate.why.empty()) {
    bool held = false;
    for (const auto& c : r.latency) held = held || c.held_back;
    out << "\nLatency gate: " << r.gate.why << "."
        << (held ? " Latency changes are held back (not counted in the verdict): on a shared machine latency "
                   "moves between runs of the same build by far more than the interval; run on a quiet "
                   "machine to gate a slower downstream or lock."
                 : "")
        << "\n";
  }
  if (!r.stages_note.empty()) out << "\n" << r.stages_note << ".\n";
  for (const auto& k : diff.kinds_skipped)
    out << "\nNo " << k << " samples in either capture: only the requests were compared.\n";
}

}  // namespace loadprof::report
