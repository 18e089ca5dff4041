// Per-endpoint time (endpoints.h): each scenario step's requests, their
// latency, and the attributed cpu samples and off-CPU time, keyed by the
// target's own function nearest the leaf and the reason.
#include "loadprof/analyze/endpoints.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "loadprof/analyze/analysis.h"
#include "names.h"
#include "own_code.h"
#include "sorted_percentile.h"

namespace loadprof::analyze {
namespace {

constexpr double kNsPerMs = 1e6;

// The steps' names from the load run's summary (`load --json`'s scenario.steps).
std::vector<std::string> step_names(const capture::Capture& c) {
  std::vector<std::string> names;
  if (!c.load) return names;
  const auto j = nlohmann::json::parse(c.load->summary_json, nullptr, false);
  if (j.is_discarded() || !j.contains("scenario") || !j["scenario"].contains("steps")) return names;
  for (const auto& st : j["scenario"]["steps"])
    names.push_back(st.contains("name") && st["name"].is_string() ? st["name"].get<std::string>() : "");
  return names;
}

// The folded name of a stack's own function nearest the leaf, "" when none.
class OwnLeaf {
 public:
  explicit OwnLeaf(const capture::Capture& c) : c_(c), done_(c.stacks.size()), names_(c.stacks.size()) {}
  const std::string& of(capture::StackId id) {
    static const std::string kNone;
    if (id == capture::kNoStack || id >= c_.stacks.size()) return kNone;
    if (!done_[id]) {
      done_[id] = true;
      for (capture::FrameId f : c_.stacks[id].frames) {  // leaf first
        if (f < c_.frames.size() && is_own_code(c_.frames[f])) {
          names_[id] = folded_name(capture::frame_display_name(c_.frames[f]));
          break;
        }
      }
    }
    return names_[id];
  }

 private:
  const capture::Capture& c_;
  std::vector<bool> done_;
  std::vector<std::string> names_;
};

struct Accumulator {
  std::vector<uint64_t> latencies;
  double summed_ns = 0;
  uint64_t p99_ns = 0;
  double slow_summed_ns = 0;
  uint64_t slow_requests = 0;
  // (kind, frame) -> (ns over all requests, ns over the slowest ones)
  std::map<std::pair<std::string, std::string>, std::pair<double, double>> parts;
};

}  // namespace

std::vector<Endpoint> break_down_endpoints(const capture::Capture& c, const std::vector<size_t>& requests,
                                           const RequestTime& attributed) {
  std::map<uint16_t, Accumulator> steps;
  const auto latency_ns = [&](size_t i) { return c.requests[i].end_ns - c.requests[i].intended_start_ns; };
  for (size_t i : requests) {
    Accumulator& a = steps[c.requests[i].step];
    a.latencies.push_back(latency_ns(i));
    a.summed_ns += static_cast<double>(latency_ns(i));
  }
  if (steps.size() < 2) return {};
  double all_ns = 0;
  for (auto& [step, a] : steps) {
    std::sort(a.latencies.begin(), a.latencies.end());
    a.p99_ns = sorted_percentile(a.latencies, 0.99);
    for (uint64_t l : a.latencies)
      if (l >= a.p99_ns) {
        ++a.slow_requests;
        a.slow_summed_ns += static_cast<double>(l);
      }
    all_ns += a.summed_ns;
  }

  OwnLeaf own(c);
  const double hz = c.metadata.frequency_hz ? static_cast<double>(c.metadata.frequency_hz) : 1000.0;
  const double sample_ns = 1e9 / hz;
  const auto add = [&](size_t request, const std::string& kind, const std::string& frame, double ns) {
    Accumulator& a = steps[c.requests[request].step];
    auto& [all, slow] = a.parts[{kind, frame}];
    all += ns;
    if (latency_ns(request) >= a.p99_ns) slow += ns;
  };
  for (const auto& [request, stack] : attributed.cpu) add(request, "cpu", own.of(stack), sample_ns);
  const auto& reasons = offcpu_reason_names();
  for (const auto& o : attributed.offcpu) {
    const auto& interval = c.offcpu[o.interval];
    const size_t r = std::min<size_t>(static_cast<size_t>(interval.reason), reasons.size() - 1);
    add(o.request, reasons[r], own.of(interval.stack), static_cast<double>(o.ns));
  }

  const std::vector<std::string> names = step_names(c);
  std::vector<Endpoint> out;
  for (const auto& [step, a] : steps) {
    Endpoint e;
    e.step = step;
    e.name = step < names.size() && !names[step].empty() ? names[step] : "step" + std::to_string(step + 1);
    e.requests = a.latencies.size();
    e.p50_ms = static_cast<double>(sorted_percentile(a.latencies, 0.50)) / kNsPerMs;
    e.p99_ms = static_cast<double>(a.p99_ns) / kNsPerMs;
    e.summed_ms = a.summed_ns / kNsPerMs;
    e.mean_ms = e.requests ? e.summed_ms / static_cast<double>(e.requests) : 0;
    e.share_of_all_pct = all_ns > 0 ? 100.0 * a.summed_ns / all_ns : 0;
    e.slow_requests = a.slow_requests;
    e.slow_summed_ms = a.slow_summed_ns / kNsPerMs;
    double attributed_ns = 0;
    for (const auto& [key, ns] : a.parts) {
      attributed_ns += ns.first;
      EndpointPart p;
      p.kind = key.first;
      p.frame = key.second;
      p.ms = ns.first / kNsPerMs;
      p.share_pct = a.summed_ns > 0 ? 100.0 * ns.first / a.summed_ns : 0;
      p.slow_share_pct = a.slow_summed_ns > 0 ? 100.0 * ns.second / a.slow_summed_ns : 0;
      e.parts.push_back(std::move(p));
    }
    e.attributed_pct = a.summed_ns > 0 ? 100.0 * attributed_ns / a.summed_ns : 0;
    std::stable_sort(e.parts.begin(), e.parts.end(), [](const EndpointPart& x, const EndpointPart& y) {
      if (x.ms != y.ms) return x.ms > y.ms;
      if (x.kind != y.kind) return x.kind < y.kind;
      return x.frame < y.frame;
    });
    if (e.parts.size() > kEndpointParts) e.parts.resize(kEndpointParts);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace loadprof::analyze
