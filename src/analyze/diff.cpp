// Stack-share diff of two captures (see diff.h for the definitions).
#include "loadprof/analyze/diff.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_set>

#include "loadprof/analyze/analysis.h"
#include "loadprof/capture/folded.h"
#include "loadprof/stats/block_ratio.h"
#include "loadprof/stats/proportion.h"
#include "names.h"
#include "weight_shares.h"

namespace loadprof::analyze {
namespace {

// The capture's time is cut into this many blocks; how much a share varies
// between them beyond sampling noise widens its test (stats::dispersion).
constexpr size_t kBlocks = 10;
using Blocks = std::array<uint64_t, kBlocks>;

struct Counts {
  uint64_t self = 0;
  uint64_t total = 0;
  Blocks self_blocks{};
  Blocks total_blocks{};
};

bool is_interrupt_entry(const capture::Frame& f) {
  return f.kernel && (f.function.starts_with("asm_sysvec_") || f.function == "asm_common_interrupt");
}

struct CpuCounts {
  std::map<std::string, Counts> functions;
  uint64_t samples = 0;
  uint64_t interrupt_samples = 0;  // kernel frames of an interrupt taken in user code, left out
  uint64_t without_stack = 0;      // not in `samples`
  Blocks block_samples{};          // `samples` per block
};

// Function name -> (self, total) samples over the cpu samples with a stack
// (n): a sample without one says nothing about functions, and counting it
// in n would lower every share of the capture that lost more stacks. A
// function counts once per stack in total, however often it recurses. Unless keep_interrupts, the kernel
// frames of an interrupt taken in user code (the entry is asm_sysvec_* or asm_common_interrupt, with user
// frames under it) are left out: the sample counts for the interrupted function. Those frames are the
// machine's noise (timer ticks, rescheduling IPIs, device interrupts on the same CPU), not the code's work,
// and a busy machine moves them by points between runs. Every count is also kept per time block (kBlocks
// equal slices from the first sample to the last) for the dispersion of each share.
Result<CpuCounts> cpu_counts(const capture::Capture& c, bool keep_interrupts) {
  CpuCounts out;
  uint64_t first_ns = UINT64_MAX, last_ns = 0;
  for (const auto& s : c.cpu_samples) {
    first_ns = std::min(first_ns, s.time_ns);
    last_ns = std::max(last_ns, s.time_ns);
  }
  const uint64_t span_ns = last_ns >= first_ns ? last_ns - first_ns + 1 : 1;
  std::vector<Blocks> per_stack(c.stacks.size());
  for (const auto& s : c.cpu_samples) {
    if (s.stack == capture::kNoStack) {
      ++out.without_stack;
      continue;
    }
    if (s.stack >= c.stacks.size()) return make_error(ErrorKind::corrupt_input, "sample of an unknown stack");
    const auto block =
        static_cast<size_t>(static_cast<unsigned __int128>(s.time_ns - first_ns) * kBlocks / span_ns);
    ++per_stack[s.stack][std::min(block, kBlocks - 1)];
  }
  std::vector<std::string> names(c.frames.size());
  for (size_t i = 0; i < c.frames.size(); ++i)
    names[i] = folded_name(capture::frame_display_name(c.frames[i]));
  std::unordered_set<std::string_view> seen;
  for (size_t id = 0; id < c.stacks.size(); ++id) {
    const Blocks& blocks = per_stack[id];
    uint64_t count = 0;
    for (uint64_t n : blocks) count += n;
    if (count == 0) continue;
    const auto& frames = c.stacks[id].frames;  // leaf first
    if (frames.empty()) {
      out.without_stack += count;
      continue;
    }
    out.samples += count;
    for (size_t b = 0; b < kBlocks; ++b) out.block_samples[b] += blocks[b];
    for (capture::FrameId f : frames) {
      if (f >= c.frames.size()) return make_error(ErrorKind::corrupt_input, "stack of an unknown frame");
    }
    size_t first = 0;
    if (!keep_interrupts) {
      size_t k = 0;
      while (k < frames.size() && c.frames[frames[k]].kernel) ++k;
      if (k > 0 && k < frames.size() && is_interrupt_entry(c.frames[frames[k - 1]])) {
        first = k;
        out.interrupt_samples += count;
      }
    }
    if (first >= frames.size()) continue;
    seen.clear();
    for (size_t i = first; i < frames.size(); ++i) {
      const std::string& name = names[frames[i]];
      Counts& acc = out.functions[name];
      if (i == first) {
        acc.self += count;
        for (size_t b = 0; b < kBlocks; ++b) acc.self_blocks[b] += blocks[b];
      }
      if (seen.insert(name).second) {
        acc.total += count;
        for (size_t b = 0; b < kBlocks; ++b) acc.total_blocks[b] += blocks[b];
      }
    }
  }
  return out;
}

// A regression is growth beyond the threshold across the whole 95 % interval
// of the change (its lower end), not at the point estimate: two runs of the
// same build differ by more than one run's sampling noise (code layout,
// caches, the machine), so a significant shift just past the threshold is
// what a same-build pair shows now and then, and a real slowdown clears it
// by far. An improvement is the mirror image. As the latency rule (DIFF.md).
Verdict judge(const ShareChange& s, double threshold_pct) {
  if (!s.significant) return Verdict::no_change;
  if (s.base_pct <= 0) return s.delta_pct_points > 0 ? Verdict::regression : Verdict::no_change;
  const double low_pct = 100 * s.ci95_low_points / s.base_pct;    // relative change, low end
  const double high_pct = 100 * s.ci95_high_points / s.base_pct;  // relative change, high end
  if (s.delta_pct_points > 0 && low_pct > threshold_pct) return Verdict::regression;
  if (s.delta_pct_points < 0 && -high_pct > threshold_pct) return Verdict::improvement;
  return Verdict::no_change;
}

int rank(const ShareChange& s) {
  if (s.verdict == Verdict::regression) return 0;
  if (s.verdict == Verdict::improvement) return 1;
  return s.significant ? 2 : 3;
}

// Significance (Bonferroni over the kind's shares), verdicts, ranking, and
// the shares kept: every significant one and the largest other changes.
void finish_kind(KindDiff& d, std::vector<ShareChange> changes, const DiffOptions& options) {
  d.comparisons = changes.size();
  d.alpha_per_test = d.comparisons ? options.alpha / static_cast<double>(d.comparisons) : options.alpha;
  for (auto& s : changes) {
    s.significant = s.p_value < d.alpha_per_test;
    s.verdict = s.judged ? judge(s, options.threshold_pct) : Verdict::no_change;
    // Time rows: a change of less than kMinTimeChangePoints of the wall time at
    // its interval's near end is the disk's or the scheduler's noise.
    if (s.weight == "ns" &&
        ((s.verdict == Verdict::regression && s.ci95_low_points < kMinTimeChangePoints) ||
         (s.verdict == Verdict::improvement && s.ci95_high_points > -kMinTimeChangePoints)))
      s.verdict = Verdict::no_change;
    if (s.verdict == Verdict::regression) d.verdict = Verdict::regression;
    if (s.verdict == Verdict::improvement && d.verdict == Verdict::no_change)
      d.verdict = Verdict::improvement;
  }
  std::stable_sort(changes.begin(), changes.end(), [](const ShareChange& x, const ShareChange& y) {
    if (rank(x) != rank(y)) return rank(x) < rank(y);
    if (rank(x) == 0) return x.delta_pct_points > y.delta_pct_points;
    if (rank(x) == 1) return x.delta_pct_points < y.delta_pct_points;
    return std::fabs(x.delta_pct_points) > std::fabs(y.delta_pct_points);
  });
  size_t unchanged = 0;
  for (auto& s : changes) {
    if (s.significant || unchanged++ < options.top_unchanged) d.changes.push_back(std::move(s));
  }
}

Result<KindDiff> diff_kind(const capture::Capture& base, const capture::Capture& next,
                           const std::string& kind, const DiffOptions& options) {
  LOADPROF_TRY(b, cpu_counts(base, options.keep_interrupts));
  LOADPROF_TRY(n, cpu_counts(next, options.keep_interrupts));
  if (b.samples == 0) return make_error(ErrorKind::usage, "base capture holds no cpu samples with a stack");
  if (n.samples == 0) return make_error(ErrorKind::usage, "new capture holds no cpu samples with a stack");
  KindDiff d;
  d.kind = kind;
  d.base_samples = b.samples;
  d.new_samples = n.samples;
  d.base_without_stack = b.without_stack;
  d.new_without_stack = n.without_stack;
  d.base_interrupt_samples = b.interrupt_samples;
  d.new_interrupt_samples = n.interrupt_samples;

  std::map<std::string, std::pair<Counts, Counts>> all;
  for (const auto& [name, c] : b.functions) all[name].first = c;
  for (const auto& [name, c] : n.functions) all[name].second = c;
  std::vector<ShareChange> changes;
  for (const auto& [name, pair] : all) {
    for (bool self : {true, false}) {
      const uint64_t x1 = self ? pair.first.self : pair.first.total;
      const uint64_t x2 = self ? pair.second.self : pair.second.total;
      if (x1 == 0 && x2 == 0) continue;
      ShareChange s;
      s.frame = name;
      s.kind = kind;
      s.self = self;
      s.base_samples = x1;
      s.new_samples = x2;
      const Blocks& xb1 = self ? pair.first.self_blocks : pair.first.total_blocks;
      const Blocks& xb2 = self ? pair.second.self_blocks : pair.second.total_blocks;
      s.base_dispersion = stats::dispersion(xb1.data(), b.block_samples.data(), kBlocks);
      s.new_dispersion = stats::dispersion(xb2.data(), n.block_samples.data(), kBlocks);
      const auto t = stats::two_proportion_test(x1, d.base_samples, x2, d.new_samples, s.base_dispersion,
                                                s.new_dispersion);
      s.base_pct = 100 * t.p1;
      s.new_pct = 100 * t.p2;
      s.delta_pct_points = 100 * t.delta;
      if (x1 > 0) s.change_pct = 100 * (t.p2 - t.p1) / t.p1;
      s.z = t.z;
      s.p_value = t.p_value;
      s.ci95_low_points = 100 * t.ci95_low;
      s.ci95_high_points = 100 * t.ci95_high;
      changes.push_back(std::move(s));
    }
  }
  finish_kind(d, std::move(changes), options);
  return d;
}

// The off-CPU and io kinds, each side's variance from its time blocks
// (stats::block_ratio_test), the same Bonferroni split and interval rule as
// cpu's. Time (ns) is compared per unit of the window's wall time — a rate:
// 100 % is one thread waiting all the time — not as a share of all waits:
// how many idle threads a run had (connections the driver opened, a thread
// blocked all along) moves every share between two runs of the same build
// but not the time of a wait per second. Bytes are a share of all bytes.
// Tags ("[offcpu:lock]", "[io:fsync:file]": time by reason or operation) are
// self rows; stack frames total rows (a blocked stack's leaf is the
// scheduler, so self rows of frames would say nothing). Waiting (idle)
// reasons and operations are shown, not judged, and in no function row
// (weight_shares.h).
Result<KindDiff> diff_weight_kind(const capture::Capture& base, const capture::Capture& next,
                                  const std::string& kind, const std::string& weight,
                                  const DiffOptions& options) {
  LOADPROF_TRY(b, weight_counts(base, kind, weight));
  LOADPROF_TRY(n, weight_counts(next, kind, weight));
  const std::string what = kind + (weight == "bytes" ? " bytes" : " time");
  if (b.weight <= 0) return make_error(ErrorKind::usage, "base capture holds no " + what);
  if (n.weight <= 0) return make_error(ErrorKind::usage, "new capture holds no " + what);
  KindDiff d;
  d.kind = kind;
  d.weight = weight;
  d.base_samples = static_cast<uint64_t>(b.weight + 0.5);
  d.new_samples = static_cast<uint64_t>(n.weight + 0.5);
  d.base_without_stack = static_cast<uint64_t>(b.without_stack + 0.5);
  d.new_without_stack = static_cast<uint64_t>(n.without_stack + 0.5);
  const bool time = weight == "ns";
  std::vector<ShareChange> changes;
  for (bool self : {true, false}) {
    const auto& base_map = self ? b.tags : b.total;
    const auto& new_map = self ? n.tags : n.total;
    std::map<std::string, std::pair<WeightShare, WeightShare>> all;
    for (const auto& [name, w] : base_map) all[name].first = w;
    for (const auto& [name, w] : new_map) all[name].second = w;
    for (const auto& [name, pair] : all) {
      if (pair.first.weight <= 0 && pair.second.weight <= 0) continue;
      // Time: per unit of the window's wall time (a rate), so a wait's figure does not move when idle
      // threads come and go between runs; bytes: a share of all bytes.
      const WeightBlocks& bn = time ? b.block_span_ns : b.block_weight;
      const WeightBlocks& nn = time ? n.block_span_ns : n.block_weight;
      const auto t = stats::block_ratio_test(pair.first.blocks.data(), bn.data(), kWeightBlocks,
                                             pair.second.blocks.data(), nn.data(), kWeightBlocks);
      ShareChange s;
      s.frame = name;
      s.kind = kind;
      s.weight = weight;
      s.self = self;
      s.judged = !(self && (b.unjudged_tags.count(name) || n.unjudged_tags.count(name)));
      s.base_samples = static_cast<uint64_t>(pair.first.weight + 0.5);
      s.new_samples = static_cast<uint64_t>(pair.second.weight + 0.5);
      s.base_pct = 100 * t.p1;
      s.new_pct = 100 * t.p2;
      s.delta_pct_points = 100 * t.delta;
      if (pair.first.weight > 0) s.change_pct = 100 * (t.p2 - t.p1) / t.p1;
      s.z = t.t;
      s.df = t.df;
      s.p_value = t.p_value;
      s.ci95_low_points = 100 * t.ci95_low;
      s.ci95_high_points = 100 * t.ci95_high;
      changes.push_back(std::move(s));
    }
  }
  finish_kind(d, std::move(changes), options);
  return d;
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::regression:
      return "regression";
    case Verdict::improvement:
      return "improvement";
    case Verdict::no_change:
      break;
  }
  return "no_change";
}

Result<void> check_diff_options(const DiffOptions& options) {
  if (!(options.threshold_pct >= 0)) return make_error(ErrorKind::usage, "diff: --threshold must be >= 0");
  for (const auto& kind : options.kinds) {
    if (kind == "cpu" || kind == "offcpu" || kind == "io") continue;
    if (is_kind(kind)) {
      return make_error(ErrorKind::not_available,
                        "diff --kind " + kind + " (only cpu, offcpu and io are compared yet)");
    }
    return make_error(ErrorKind::usage, "diff: unknown kind '" + kind + "' (cpu, offcpu, io)");
  }
  return {};
}

namespace {
uint64_t samples_of(const capture::Capture& c, const std::string& kind) {
  if (kind == "offcpu") return c.offcpu.size();
  if (kind == "io") return c.io_syscalls.size();
  return kind == "cpu" ? c.cpu_samples.size() : 0;
}

bool has_io_bytes(const capture::Capture& c) {
  return std::any_of(c.io_syscalls.begin(), c.io_syscalls.end(), [](const auto& r) { return r.bytes > 0; });
}

// No --kind: each of cpu, offcpu and io that both captures hold.
std::vector<std::string> kinds_to_compare(const capture::Capture& base, const capture::Capture& next,
                                          const DiffOptions& options) {
  if (!options.kinds.empty()) return options.kinds;
  std::vector<std::string> kinds;
  for (const char* kind : {"cpu", "offcpu", "io"})
    if (samples_of(base, kind) > 0 && samples_of(next, kind) > 0) kinds.push_back(kind);
  // None both hold: cpu, so the error (or the load-only note) names what is missing.
  if (kinds.empty()) kinds.push_back("cpu");
  return kinds;
}
}  // namespace

Result<DiffResult> diff_captures(const capture::Capture& base, const capture::Capture& next,
                                 const DiffOptions& options) {
  LOADPROF_CHECK(check_diff_options(options));
  DiffResult r;
  r.threshold_pct = options.threshold_pct;
  r.alpha = options.alpha;
  r.requests = diff_requests(base, next, options.threshold_pct, options.alpha, r.requests_note);
  r.has_requests = r.requests.has_value();
  for (const auto& kind : kinds_to_compare(base, next, options)) {
    // Load-only data (bench without samples of the kind on either side): the requests are compared.
    if (r.has_requests && samples_of(base, kind) == 0 && samples_of(next, kind) == 0) {
      r.kinds_skipped.push_back(kind);
      continue;
    }
    std::vector<KindDiff> diffs;
    if (kind == "cpu") {
      LOADPROF_TRY(d, diff_kind(base, next, kind, options));
      diffs.push_back(std::move(d));
    } else {
      LOADPROF_TRY(d, diff_weight_kind(base, next, kind, "ns", options));
      diffs.push_back(std::move(d));
      if (kind == "io" && has_io_bytes(base) && has_io_bytes(next)) {
        LOADPROF_TRY(bytes, diff_weight_kind(base, next, kind, "bytes", options));
        diffs.push_back(std::move(bytes));
      }
    }
    for (auto& d : diffs) {
      if (d.verdict == Verdict::regression) r.verdict = Verdict::regression;
      if (d.verdict == Verdict::improvement && r.verdict == Verdict::no_change)
        r.verdict = Verdict::improvement;
      r.kinds.push_back(std::move(d));
    }
  }
  if (r.requests) {
    if (r.requests->verdict == Verdict::regression) r.verdict = Verdict::regression;
    if (r.requests->verdict == Verdict::improvement && r.verdict == Verdict::no_change)
      r.verdict = Verdict::improvement;
  }
  return r;
}

}  // namespace loadprof::analyze
