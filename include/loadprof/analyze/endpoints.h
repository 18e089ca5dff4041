// Where each endpoint's time goes: the requests of each scenario step, their
// latency, and the time attributed to them (correlation.h's attribution: cpu
// samples by time or by the thread serving the connection, off-CPU time of
// those threads) split by the function of the target's own code nearest the
// leaf and, off the CPU, by the reason. A mix of endpoints hides a hot path
// that only some requests take behind the others' waits; per endpoint it
// shows. Pure computation over a capture::Capture.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// One place an endpoint's time went.
struct EndpointPart {
  std::string kind;      // "cpu", or the off-CPU reason: "lock", "disk", "network", "runqueue", "sleep", ...
  std::string frame;     // the target's own function nearest the leaf; "" when the stack holds none
  double ms = 0;         // summed over the endpoint's requests (cpu: samples / frequency)
  double share_pct = 0;  // of the endpoint's summed latency
  double slow_share_pct = 0;  // of its slowest requests' (>= the endpoint's p99) summed latency
};

struct Endpoint {
  uint16_t step = 0;
  std::string name;  // the scenario step's name
  uint64_t requests = 0;
  double p50_ms = 0;  // latency from the intended send, as the correlation counts it
  double p99_ms = 0;
  double mean_ms = 0;
  double summed_ms = 0;
  double share_of_all_pct = 0;  // of every endpoint's summed latency
  double attributed_pct = 0;    // the parts' sum, of summed_ms
  uint64_t slow_requests = 0;   // latency >= p99_ms
  double slow_summed_ms = 0;
  std::vector<EndpointPart> parts;  // by ms, descending; the largest kEndpointParts
};

inline constexpr size_t kEndpointParts = 8;

// The attribution, as correlate() computed it: indices into capture.requests.
struct RequestTime {
  std::vector<std::pair<size_t, capture::StackId>> cpu;  // (request, the sample's stack), one per sample
  struct OffCpu {
    size_t request = 0;
    size_t interval = 0;  // index into capture.offcpu
    uint64_t ns = 0;      // the part of the interval inside the request
  };
  std::vector<OffCpu> offcpu;
};

// Empty unless the requests carry more than one scenario step. `requests`
// lists the requests with a latency (indices into capture.requests).
std::vector<Endpoint> break_down_endpoints(const capture::Capture& capture,
                                           const std::vector<size_t>& requests,
                                           const RequestTime& attributed);

}  // namespace loadprof::analyze
