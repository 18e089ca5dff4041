// Per-kind sample weights for the stack exports.
#include "kind_samples.h"

#include "loadprof/capture/alloc_live.h"

namespace loadprof::report {

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
  if (kind == "wall" || kind == "wakers")
    return make_error(ErrorKind::not_available, "stack export of kind " + kind);
  return make_error(ErrorKind::usage,
                    "unknown stack kind '" + kind + "' (known: cpu, offcpu, io, alloc, alloc-live, mmap)");
}

}  // namespace loadprof::report
