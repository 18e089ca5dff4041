// Per-function weights of the off-CPU and io kinds, per time block (see
// weight_shares.h).
#include "weight_shares.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "loadprof/analyze/analysis.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/io_names.h"
#include "names.h"

namespace loadprof::analyze {
namespace {

struct Record {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  capture::StackId stack = capture::kNoStack;
  std::string tag;
  double weight = 0;
  bool judged = true;
};

// A bench capture's records cut to the load's measured span: before the load
// starts and after it ends only the server's idle threads wait, and how long
// that lasts (start-up, drain) differs from run to run — it would move every
// idle share between two runs of the same build. A record partly inside
// keeps the part of its weight its time inside stands for.
void clip_to_load(const capture::Capture& c, std::vector<Record>& records) {
  if (!c.load || c.load->measured_end_ns <= c.load->measured_start_ns) return;
  const uint64_t from = c.load->measured_start_ns, to = c.load->measured_end_ns;
  std::vector<Record> kept;
  kept.reserve(records.size());
  for (auto& r : records) {
    const uint64_t s = std::max(r.start_ns, from), e = std::min(r.end_ns, to);
    if (e <= s) continue;
    r.weight *= static_cast<double>(e - s) / static_cast<double>(r.end_ns - r.start_ns);
    r.start_ns = s;
    r.end_ns = e;
    kept.push_back(std::move(r));
  }
  records = std::move(kept);
}

std::vector<Record> records_of(const capture::Capture& c, const std::string& kind,
                               const std::string& weight) {
  std::vector<Record> out;
  if (kind == "offcpu") {
    const auto& reasons = offcpu_reason_names();
    for (const auto& o : c.offcpu) {
      if (o.end_ns <= o.start_ns) continue;  // as the folded export: weight = time off the CPU
      const auto r = static_cast<size_t>(o.reason);
      const std::string reason = r < reasons.size() ? reasons[r] : "other";
      // Waiting for work (a request, a timer, a pipe) or for a CPU: not the code's blocking.
      const bool waiting =
          o.reason == capture::OffCpuReason::network || o.reason == capture::OffCpuReason::sleep ||
          o.reason == capture::OffCpuReason::pipe || o.reason == capture::OffCpuReason::runqueue;
      out.push_back({o.start_ns, o.end_ns, o.stack, "[offcpu:" + reason + "]",
                     static_cast<double>(o.end_ns - o.start_ns), !waiting});
    }
  } else {
    for (const auto& r : c.io_syscalls) {
      const uint64_t w = weight == "bytes" ? r.bytes : r.total_ns;
      if (w == 0) continue;
      out.push_back({r.start_ns, std::max(r.end_ns, r.start_ns + 1), r.stack,
                     std::string("[io:") + capture::io_syscall_name(r.syscall) + ":" +
                         capture::fd_kind_name(r.fd_kind) + "]",
                     static_cast<double>(w),
                     // Time in calls on sockets, pipes and poll is mostly waiting for a peer or for work.
                     weight == "bytes" || r.fd_kind == capture::FdKind::file});
    }
  }
  clip_to_load(c, out);
  return out;
}

}  // namespace

Result<WeightCounts> weight_counts(const capture::Capture& c, const std::string& kind,
                                   const std::string& weight) {
  WeightCounts out;
  const auto records = records_of(c, kind, weight);
  if (records.empty()) return out;
  uint64_t first_ns = UINT64_MAX, last_ns = 0;
  for (const auto& r : records) {
    first_ns = std::min(first_ns, r.start_ns);
    last_ns = std::max(last_ns, r.end_ns);
  }
  if (c.load && c.load->measured_end_ns > c.load->measured_start_ns) {  // the window records were cut to
    first_ns = c.load->measured_start_ns;
    last_ns = c.load->measured_end_ns;
  }
  const double span_ns = std::max(static_cast<double>(last_ns - first_ns), 1.0);
  const double block_ns = span_ns / kWeightBlocks;
  out.span_ns = span_ns;
  out.block_span_ns.fill(block_ns);

  // (stack, tag) -> weight per block: the string work once per distinct stack.
  std::map<std::pair<capture::StackId, std::string>, WeightBlocks> per_stack;
  for (const auto& r : records)
    if (!r.judged) out.unjudged_tags.insert(r.tag);
  for (const auto& r : records) {
    if (r.stack != capture::kNoStack && r.stack >= c.stacks.size())
      return make_error(ErrorKind::corrupt_input, kind + " record of an unknown stack");
    WeightBlocks& blocks = per_stack[{r.stack, r.tag}];
    const double s = static_cast<double>(r.start_ns - first_ns);
    const double e = static_cast<double>(r.end_ns - first_ns);
    const size_t b0 = std::min(static_cast<size_t>(s / block_ns), kWeightBlocks - 1);
    const size_t b1 = std::min(static_cast<size_t>(e / block_ns), kWeightBlocks - 1);
    for (size_t b = b0; b <= b1; ++b) {
      const double lo = std::max(s, b * block_ns);
      const double hi = b + 1 == kWeightBlocks ? e : std::min(e, (b + 1) * block_ns);
      const double part = b0 == b1 ? 1.0 : std::max(0.0, hi - lo) / (e - s);
      blocks[b] += r.weight * part;
    }
  }
  std::vector<std::string> names(c.frames.size());
  for (size_t i = 0; i < c.frames.size(); ++i)
    names[i] = folded_name(capture::frame_display_name(c.frames[i]));
  std::unordered_set<std::string_view> seen;
  auto add = [](WeightShare& share, const WeightBlocks& blocks) {
    for (size_t b = 0; b < kWeightBlocks; ++b) {
      share.blocks[b] += blocks[b];
      share.weight += blocks[b];
    }
  };
  for (const auto& [key, blocks] : per_stack) {
    double w = 0;
    for (size_t b = 0; b < kWeightBlocks; ++b) {
      w += blocks[b];
      out.block_weight[b] += blocks[b];
    }
    out.weight += w;
    add(out.tags[key.second], blocks);
    if (out.unjudged_tags.count(key.second)) continue;  // its tag row shows it; no function row
    if (key.first == capture::kNoStack || c.stacks[key.first].frames.empty()) {
      out.without_stack += w;
      continue;
    }
    seen.clear();
    for (capture::FrameId f : c.stacks[key.first].frames) {
      if (f >= c.frames.size()) return make_error(ErrorKind::corrupt_input, "stack of an unknown frame");
      if (seen.insert(names[f]).second) add(out.total[names[f]], blocks);
    }
  }
  return out;
}

}  // namespace loadprof::analyze
