// Per-kind sample weights for the stack exports.
#include "kind_samples.h"

namespace loadprof::report {

Result<KindSamples> kind_samples(const capture::Capture& capture, const std::string& kind) {
  KindSamples out;
  out.kind = kind;
  if (kind == "cpu") {
    out.count_name = "samples";
    out.weight_name = "cpu";
    const uint32_t hz = capture.metadata.frequency_hz;
    out.has_weight_ns = hz != 0;
    out.period_ns = hz != 0 ? 1'000'000'000ull / hz : 0;
    out.samples.reserve(capture.cpu_samples.size());
    for (const auto& s : capture.cpu_samples)
      out.samples.push_back({s.time_ns, s.pid, s.tid, s.stack, 1, out.period_ns});
    return out;
  }
  if (kind == "offcpu") {
    out.count_name = "intervals";
    out.weight_name = "offcpu";
    out.has_weight_ns = true;
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
    out.has_weight_ns = true;
    out.samples.reserve(capture.io_syscalls.size());
    for (const auto& r : capture.io_syscalls)
      out.samples.push_back({r.start_ns, r.pid, r.tid, r.stack, r.count, r.total_ns});
    return out;
  }
  if (kind == "wall" || kind == "alloc" || kind == "alloc-live")
    return make_error(ErrorKind::not_available, "stack export of kind " + kind);
  return make_error(ErrorKind::usage, "unknown stack kind '" + kind + "' (known: cpu, offcpu, io)");
}

}  // namespace loadprof::report
