// Per-kind sample weights for the stack exports.
#include "kind_samples.h"

#include <map>
#include <tuple>
#include <unordered_map>

#include "loadprof/capture/alloc_live.h"
#include "loadprof/capture/folded.h"

namespace loadprof::report {
namespace {

using capture::FrameId;
using capture::kNoStack;
using capture::StackId;

// The stacks of wall and wakers that the capture does not hold, made once per
// (waiting stack, reason, waker stack) into KindSamples::extra_*: the frame
// names are the folded output's (offcpu_reason_frame, kWakesFrame), so both
// show the same graph.
class DerivedStacks {
 public:
  DerivedStacks(const capture::Capture& c, KindSamples& out) : c_(c), out_(out) {}

  // Leaf first: the waker's stack root first (BCC offwaketime's layout, the
  // waking call at the top of the graph), "--wakes--", the reason, the waiting stack.
  StackId with_reason(StackId stack, capture::OffCpuReason reason, StackId waker = kNoStack) {
    auto [it, inserted] = ids_.try_emplace({stack, static_cast<uint8_t>(reason), waker}, 0);
    if (!inserted) return it->second;
    capture::Stack derived;
    if (waker < c_.stacks.size()) {
      const auto& frames = c_.stacks[waker].frames;
      for (auto f = frames.rbegin(); f != frames.rend(); ++f)
        if (*f < c_.frames.size()) derived.frames.push_back(outer(*f));
      derived.frames.push_back(synthetic(capture::kWakesFrame));
    }
    derived.frames.push_back(synthetic(capture::offcpu_reason_frame(reason)));
    if (stack < c_.stacks.size()) {
      const auto& waiting = c_.stacks[stack];
      derived.frames.insert(derived.frames.end(), waiting.frames.begin(), waiting.frames.end());
      derived.truncated = waiting.truncated;
    }
    out_.extra_stacks.push_back(std::move(derived));
    return it->second = static_cast<StackId>(c_.stacks.size() + out_.extra_stacks.size() - 1);
  }

 private:
  FrameId add(capture::Frame f) {
    out_.extra_frames.push_back(std::move(f));
    return static_cast<FrameId>(c_.frames.size() + out_.extra_frames.size() - 1);
  }
  FrameId synthetic(const std::string& name) {
    auto [it, inserted] = names_.try_emplace(name, 0);
    if (inserted) {
      capture::Frame f;
      f.function = name;
      it->second = add(std::move(f));
    }
    return it->second;
  }
  // An inline frame of a stack read root first would join the frame above it
  // (its callee) into one pprof location: a copy that is not inline instead.
  FrameId outer(FrameId id) {
    if (!c_.frames[id].inlined) return id;
    auto [it, inserted] = outlined_.try_emplace(id, 0);
    if (inserted) {
      capture::Frame f = c_.frames[id];
      f.inlined = false;
      it->second = add(std::move(f));
    }
    return it->second;
  }

  const capture::Capture& c_;
  KindSamples& out_;
  std::map<std::tuple<StackId, uint8_t, StackId>, StackId> ids_;
  std::map<std::string, FrameId> names_;
  std::unordered_map<FrameId, FrameId> outlined_;
};

}  // namespace

const capture::Frame* KindSamples::frame(const capture::Capture& c, capture::FrameId id) const {
  if (id < c.frames.size()) return &c.frames[id];
  const size_t i = id - c.frames.size();
  return i < extra_frames.size() ? &extra_frames[i] : nullptr;
}

const capture::Stack* KindSamples::stack(const capture::Capture& c, capture::StackId id) const {
  if (id < c.stacks.size()) return &c.stacks[id];
  const size_t i = id - c.stacks.size();
  return i < extra_stacks.size() ? &extra_stacks[i] : nullptr;
}

Result<KindSamples> kind_samples(const capture::Capture& capture, const std::string& kind) {
  KindSamples out;
  out.kind = kind;
  if (kind == "cpu") {
    out.count_name = "samples";
    out.weight_name = "cpu";
    const uint32_t hz = capture.metadata.frequency_hz;
    out.has_weight = hz != 0;
    out.period_ns = hz != 0 ? 1'000'000'000ull / hz : 0;
    out.samples.reserve(capture.cpu_samples.size());
    for (const auto& s : capture.cpu_samples)
      out.samples.push_back({s.time_ns, s.pid, s.tid, s.stack, 1, out.period_ns});
    return out;
  }
  if (kind == "offcpu") {
    out.count_name = "intervals";
    out.weight_name = "offcpu";
    out.has_weight = true;
    out.samples.reserve(capture.offcpu.size());
    for (const auto& o : capture.offcpu) {
      const uint64_t ns = o.end_ns > o.start_ns ? o.end_ns - o.start_ns : 0;
      out.samples.push_back({o.start_ns, o.pid, o.tid, o.stack, o.count, ns});
    }
    return out;
  }
  if (kind == "io") {
    out.count_name = "calls";
    out.weight_name = "io";
    out.has_weight = true;
    out.samples.reserve(capture.io_syscalls.size());
    for (const auto& r : capture.io_syscalls)
      out.samples.push_back({r.start_ns, r.pid, r.tid, r.stack, r.count, r.total_ns});
    return out;
  }
  if (kind == "alloc" || kind == "alloc-live") {
    // pprof's heap profile names: go tool pprof -sample_index=alloc_space etc.
    const bool live = kind == "alloc-live";
    out.count_name = live ? "inuse_objects" : "alloc_objects";
    out.weight_name = live ? "inuse_space" : "alloc_space";
    out.weight_unit = "bytes";
    out.has_weight = true;
    const uint64_t period = capture::alloc_sample_period(capture);
    const bool poisson = capture::alloc_poisson_sampling(capture);
    for (const auto& l : capture::alloc_lifetimes(capture)) {
      const capture::AllocEvent& a = *l.alloc;
      if (live && (l.free_ns != 0 || !a.tracked)) continue;
      out.samples.push_back(
          {a.time_ns, a.pid, a.tid, a.stack,
           static_cast<uint64_t>(capture::alloc_estimated_count(a.size, period, poisson) + 0.5),
           capture::alloc_estimated_bytes(a.size, period, poisson)});
    }
    return out;
  }
  if (kind == "mmap") {
    out.count_name = "calls";
    out.weight_name = "mapped_space";
    out.weight_unit = "bytes";
    out.has_weight = true;
    for (const auto& m : capture.mmaps) {
      if (!capture::mmap_grows(m.op)) continue;
      out.samples.push_back({m.start_ns, m.pid, m.tid, m.stack, m.calls, m.bytes});
    }
    return out;
  }
  if (kind == "wall") {
    // Where the threads' time went: each cpu sample for one period, each
    // off-CPU interval for its time under its reason frame, all in ns.
    out.count_name = "events";  // cpu samples and off-CPU intervals
    out.weight_name = "wall";
    out.has_weight = true;
    const uint32_t hz = capture.metadata.frequency_hz;
    const uint64_t period_ns = hz != 0 ? 1'000'000'000ull / hz : 0;
    out.samples.reserve(capture.cpu_samples.size() + capture.offcpu.size());
    for (const auto& s : capture.cpu_samples)
      out.samples.push_back({s.time_ns, s.pid, s.tid, s.stack, 1, period_ns});
    DerivedStacks derived(capture, out);
    for (const auto& o : capture.offcpu) {
      const uint64_t ns = o.end_ns > o.start_ns ? o.end_ns - o.start_ns : 0;
      out.samples.push_back({o.start_ns, o.pid, o.tid, derived.with_reason(o.stack, o.reason), o.count, ns});
    }
    return out;
  }
  if (kind == "wakers") {
    // The waits that carry their waker's stack (--offcpu-wakers): ns blocked,
    // and the wake-ups that ended them.
    out.count_name = "wakeups";
    out.weight_name = "blocked";
    out.has_weight = true;
    DerivedStacks derived(capture, out);
    for (const auto& o : capture.offcpu) {
      if (o.waker_stack == kNoStack) continue;
      const uint64_t ns = o.end_ns > o.start_ns ? o.end_ns - o.start_ns : 0;
      out.samples.push_back(
          {o.start_ns, o.pid, o.tid, derived.with_reason(o.stack, o.reason, o.waker_stack), o.count, ns});
    }
    return out;
  }
  return make_error(
      ErrorKind::usage,
      "unknown stack kind '" + kind + "' (known: cpu, offcpu, wall, io, alloc, alloc-live, wakers, mmap)");
}

}  // namespace loadprof::report
