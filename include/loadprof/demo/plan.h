// `loadprof demo`'s load: the staged rates (a ramp, a plateau, a 3x spike and
// the recovery after it, scaled to the run's duration) and the mix of requests
// over the demo service's endpoints (a weighted scenario: each request one
// endpoint, drawn by weight).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadprof/load/schedule.h"
#include "loadprof/util/result.h"

namespace loadprof::demo {

inline constexpr int64_t kDefaultDurationNs = 60'000'000'000;
inline constexpr int64_t kMinDurationNs = 5'000'000'000;  // shorter: the stages hold too few requests

inline constexpr double kBaseRateRps = 120;  // the plateau
inline constexpr double kSpikeFactor = 3;    // the spike's rate, times the plateau's
inline constexpr double kRampStartRps = 20;

// ramp 40 % of the duration (20 -> 120 req/s), plateau 20 %, spike 15 % (360),
// recovery 25 % (120). A duration under kMinDurationNs is a usage error.
[[nodiscard]] Result<std::vector<load::Stage>> demo_stages(int64_t duration_ns);

// One endpoint of the demo service and its share of the requests.
struct Endpoint {
  const char* name;  // the scenario step's name
  const char* path;
  double weight;
  const char* planted;  // what it hides, in a few words
};
const std::vector<Endpoint>& demo_endpoints();

// The scenario (docs/scenarios.md, "mode": "weighted") over demo_endpoints() at 127.0.0.1:port.
std::string demo_scenario_json(int port);

}  // namespace loadprof::demo
