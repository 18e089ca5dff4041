// mmap/munmap/brk/mremap figures from the mmap probe's records.
#include "loadprof/analyze/mmap_summary.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "loadprof/capture/folded.h"

namespace loadprof::analyze {
namespace {

constexpr size_t kStackFrames = 32;

bool in_libc(const capture::Capture& c, capture::FrameId f) {
  if (f >= c.frames.size()) return false;
  const std::string& m = c.frames[f].module;
  const size_t slash = m.rfind('/');
  const std::string base = slash == std::string::npos ? m : m.substr(slash + 1);
  // The C library, and the preload path's interposer in front of its malloc.
  return base.rfind("libc.so", 0) == 0 || base.rfind("libc-", 0) == 0 ||
         base.rfind("libloadprof_alloc", 0) == 0;
}

// The first frame, leaf first, outside the C library and the preload
// library (the function that called mmap, sbrk or malloc); the leaf when
// every frame is theirs.
std::string allocating_frame(const capture::Capture& c, capture::StackId id) {
  if (id == capture::kNoStack || id >= c.stacks.size() || c.stacks[id].frames.empty()) return "[no stack]";
  const auto& frames = c.stacks[id].frames;
  capture::FrameId pick = frames.front();
  for (capture::FrameId f : frames) {
    if (!in_libc(c, f)) {
      pick = f;
      break;
    }
  }
  return pick < c.frames.size() ? capture::frame_display_name(c.frames[pick]) : "[bad frame]";
}

}  // namespace

const char* mmap_op_name(size_t op) {
  static const char* const kNames[] = {"mmap",     "mmap (file)", "munmap",      "munmap (file)",
                                       "brk grow", "brk shrink",  "mremap grow", "mremap shrink"};
  return op < kMmapOps ? kNames[op] : "other";
}

std::optional<MmapSummary> summarize_mmap(const capture::Capture& c) {
  const auto& probes = c.metadata.probes;
  const bool ran = std::find(probes.begin(), probes.end(), "alloc") != probes.end();
  if (!ran && c.mmaps.empty()) return std::nullopt;
  MmapSummary s;
  std::map<std::tuple<uint32_t, capture::StackId, capture::MmapOp>, size_t> index;  // -> s.stacks
  for (const auto& m : c.mmaps) {
    const auto op = static_cast<size_t>(m.op);
    if (op >= kMmapOps) continue;
    s.calls[op] += m.calls;
    s.bytes[op] += m.bytes;
    const char* name = m.op == capture::MmapOp::mmap_anon     ? "mmap"
                       : m.op == capture::MmapOp::munmap_anon ? "munmap"
                       : m.op == capture::MmapOp::brk_grow    ? "brk"
                       : m.op == capture::MmapOp::mremap_grow ? "mremap"
                                                              : nullptr;
    if (!name) continue;
    auto [it, fresh] = index.try_emplace({m.pid, m.stack, m.op}, s.stacks.size());
    if (fresh) {
      MmapStackStat st;
      st.pid = m.pid;
      st.stack = m.stack;
      st.op = name;
      st.frame = allocating_frame(c, m.stack);
      if (m.stack != capture::kNoStack && m.stack < c.stacks.size()) {
        for (capture::FrameId f : c.stacks[m.stack].frames) {
          if (st.frames.size() >= kStackFrames) break;
          st.frames.push_back(f < c.frames.size() ? capture::frame_display_name(c.frames[f]) : "[bad frame]");
        }
        st.truncated = c.stacks[m.stack].truncated;
      }
      s.stacks.push_back(std::move(st));
    }
    MmapStackStat& st = s.stacks[it->second];
    st.calls += m.calls;
    st.bytes += m.bytes;
  }
  using Op = capture::MmapOp;
  auto b = [&](Op op) { return static_cast<int64_t>(s.bytes[static_cast<size_t>(op)]); };
  s.anon_net_bytes = b(Op::mmap_anon) + b(Op::brk_grow) + b(Op::mremap_grow) - b(Op::munmap_anon) -
                     b(Op::brk_shrink) - b(Op::mremap_shrink);
  std::sort(s.stacks.begin(), s.stacks.end(),
            [](const MmapStackStat& x, const MmapStackStat& y) { return x.bytes > y.bytes; });
  return s;
}

}  // namespace loadprof::analyze
