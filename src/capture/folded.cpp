// Folded-stack export ("root;...;leaf COUNT"), the contract with every flame
// graph tool. The process command is the root frame, as stackcollapse-perf
// writes it. ';' separates frames and the last space separates the count, so a
// ';' inside a name becomes ':' and line breaks become spaces (see
// docs/CAPTURE_FORMAT.md, "Folded export").
#include "loadprof/capture/folded.h"

#include <cstdio>
#include <iterator>
#include <map>
#include <unordered_map>

#include "loadprof/capture/alloc_live.h"
#include "loadprof/capture/io_names.h"

namespace loadprof::capture {
namespace {

std::string sanitize(std::string name) {
  for (char& c : name) {
    if (c == ';')
      c = ':';
    else if (c == '\n' || c == '\r')
      c = ' ';
  }
  if (name.empty()) name = "[unknown]";
  return name;
}

// (pid, stack, leaf tag) -> weight, then one string per distinct key: the
// string work is done once per distinct stack, not once per sample. The tag
// is 0 (none), 1 + the off-CPU reason, or kIoTag + the syscall and fd kind,
// written as a leaf frame.
struct Key {
  uint32_t pid = 0;
  StackId stack = kNoStack;
  uint32_t tag = 0;
  StackId waker_stack = kNoStack;  // wakers: the waker's, above "--wakes--"
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    return std::hash<uint64_t>()(((uint64_t(k.pid) << 32 | k.stack) * 31 + k.tag) * 31 + k.waker_stack);
  }
};

const char* const kReasonFrames[] = {"[offcpu:runqueue]",   "[offcpu:lock]", "[offcpu:disk]",
                                     "[offcpu:network]",    "[offcpu:pipe]", "[offcpu:sleep]",
                                     "[offcpu:page_fault]", "[offcpu:other]"};

constexpr uint32_t kIoTag = 256;
constexpr uint32_t kFdKinds = 8;

uint32_t io_tag(IoSyscall s, FdKind k) {
  return kIoTag + static_cast<uint32_t>(s) * kFdKinds + (static_cast<uint32_t>(k) % kFdKinds);
}

// "[io:fsync:file]": the syscall and its fd kind under the stack that called it.
std::string io_frame(uint32_t tag) {
  const uint32_t v = tag - kIoTag;
  return std::string("[io:") + io_syscall_name(static_cast<IoSyscall>(v / kFdKinds)) + ":" +
         fd_kind_name(static_cast<FdKind>(v % kFdKinds)) + "]";
}

uint32_t reason_tag(OffCpuReason r) {
  const auto i = static_cast<uint32_t>(r);
  return 1 + (i < std::size(kReasonFrames) ? i : static_cast<uint32_t>(OffCpuReason::other));
}

std::vector<FoldedLine> fold(const Capture& capture,
                             const std::unordered_map<Key, uint64_t, KeyHash>& weights) {
  std::unordered_map<uint32_t, std::string> roots;
  for (const auto& p : capture.processes) roots[p.pid] = sanitize(p.command);
  std::vector<std::string> frame_names(capture.frames.size());
  for (size_t i = 0; i < capture.frames.size(); ++i)
    frame_names[i] = sanitize(frame_display_name(capture.frames[i]));

  std::map<std::string, uint64_t> merged;
  for (const auto& [key, weight] : weights) {
    auto root = roots.find(key.pid);
    std::string line = root != roots.end() ? root->second : std::to_string(key.pid);
    if (key.stack != kNoStack && key.stack < capture.stacks.size()) {
      const auto& frames = capture.stacks[key.stack].frames;
      for (auto it = frames.rbegin(); it != frames.rend(); ++it) {  // stacks are leaf first
        line += ';';
        line += *it < frame_names.size() ? frame_names[*it] : std::string("[bad frame]");
      }
    }
    if (key.tag >= kIoTag) {
      line += ';';
      line += io_frame(key.tag);
    } else if (key.tag != 0) {
      line += ';';
      line += offcpu_reason_frame(static_cast<OffCpuReason>(key.tag - 1));
    }
    if (key.waker_stack != kNoStack && key.waker_stack < capture.stacks.size()) {
      line += ';';
      line += kWakesFrame;
      for (FrameId f : capture.stacks[key.waker_stack].frames) {  // leaf first: the waking call on top
        line += ';';
        line += f < frame_names.size() ? frame_names[f] : std::string("[bad frame]");
      }
    }
    merged[std::move(line)] += weight;
  }
  std::vector<FoldedLine> lines;
  lines.reserve(merged.size());
  for (auto& [stack, count] : merged) lines.push_back({stack, count});
  return lines;
}

}  // namespace

const char* offcpu_reason_frame(OffCpuReason reason) {
  const auto i = static_cast<size_t>(reason);
  return kReasonFrames[i < std::size(kReasonFrames) ? i : static_cast<size_t>(OffCpuReason::other)];
}

std::string frame_display_name(const Frame& frame) {
  std::string name = frame.function;
  if (name.empty()) {
    if (!frame.module.empty()) {
      char offset[32];
      std::snprintf(offset, sizeof offset, "+0x%llx", static_cast<unsigned long long>(frame.module_offset));
      name = frame.module + offset;
    } else {
      name = "[unknown]";
    }
  }
  if (frame.kernel) name += "_[k]";
  return name;
}

Result<std::vector<FoldedLine>> folded_stacks(const Capture& capture, const std::string& kind,
                                              const std::string& weight) {
  const bool alloc_kind = kind == "alloc" || kind == "alloc-live" || kind == "mmap";
  if (alloc_kind) {
    if (weight != "time" && weight != "bytes" && weight != "count") {
      return make_error(ErrorKind::usage,
                        "--weight " + weight + ": " + kind + " is weighted by bytes or count");
    }
  } else if (weight != "time" && !(weight == "bytes" && kind == "io")) {
    return make_error(ErrorKind::usage, "--weight " + weight + " applies to io (time, bytes) and alloc, " +
                                            "alloc-live (bytes, count); " + kind + " is weighted by time");
  }
  std::unordered_map<Key, uint64_t, KeyHash> weights;
  auto add_offcpu = [&] {
    for (const auto& o : capture.offcpu) {  // weight: nanoseconds off the CPU
      if (o.end_ns > o.start_ns) weights[{o.pid, o.stack, reason_tag(o.reason)}] += o.end_ns - o.start_ns;
    }
  };
  if (kind == "cpu") {
    for (const auto& s : capture.cpu_samples) weights[{s.pid, s.stack, 0}] += 1;  // weight: samples
  } else if (kind == "offcpu") {
    add_offcpu();
  } else if (kind == "wakers") {
    // The waits with their waker's stack: the waiter's stack and reason, then
    // "--wakes--" and the waker's stack upside down (BCC offwaketime's layout).
    for (const auto& o : capture.offcpu) {
      if (o.waker_stack != kNoStack && o.end_ns > o.start_ns)
        weights[{o.pid, o.stack, reason_tag(o.reason), o.waker_stack}] += o.end_ns - o.start_ns;
    }
  } else if (kind == "wall") {
    // On-CPU time from the samples: each stands for one sampling period.
    const uint64_t period_ns =
        capture.metadata.frequency_hz ? 1'000'000'000ull / capture.metadata.frequency_hz : 0;
    for (const auto& s : capture.cpu_samples) weights[{s.pid, s.stack, 0}] += period_ns;
    add_offcpu();
  } else if (kind == "io") {
    for (const auto& r : capture.io_syscalls) {  // weight: ns inside the calls, or bytes they moved
      const uint64_t w = weight == "bytes" ? r.bytes : r.total_ns;
      if (w > 0) weights[{r.pid, r.stack, io_tag(r.syscall, r.fd_kind)}] += w;
    }
  } else if (kind == "mmap") {
    // Anonymous memory mapped (mmap), brk and mremap growth by stack:
    // page-rounded bytes, or calls with weight count. Every call is in (no sampling).
    for (const auto& m : capture.mmaps) {
      if (!mmap_grows(m.op)) continue;
      const uint64_t w = weight == "count" ? m.calls : m.bytes;
      if (w > 0) weights[{m.pid, m.stack, 0}] += w;
    }
  } else if (alloc_kind) {
    // alloc: bytes (or calls) allocated; alloc-live: those still live at the
    // end. Estimates under sampling: a recorded allocation stands for 1 / p.
    const uint64_t period = alloc_sample_period(capture);
    const bool poisson = alloc_poisson_sampling(capture);
    const bool count = weight == "count";
    for (const auto& l : alloc_lifetimes(capture)) {
      const AllocEvent& a = *l.alloc;
      if (kind == "alloc-live" && (l.free_ns != 0 || !a.tracked)) continue;
      const uint64_t w = count ? static_cast<uint64_t>(alloc_estimated_count(a.size, period, poisson) + 0.5)
                               : alloc_estimated_bytes(a.size, period, poisson);
      if (w > 0) weights[{a.pid, a.stack, 0}] += w;
    }
  } else {
    return make_error(ErrorKind::usage, "unknown stack kind '" + kind +
                                            "' (known: cpu, offcpu, wall, io, alloc, alloc-live, wakers, mmap)");
  }
  return fold(capture, weights);
}

void write_folded(std::ostream& out, const std::vector<FoldedLine>& lines) {
  for (const auto& l : lines) out << l.stack << ' ' << l.count << '\n';
}

}  // namespace loadprof::capture
