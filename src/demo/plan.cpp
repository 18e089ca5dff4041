// The demo's load: stages and request mix (plan.h).
#include "loadprof/demo/plan.h"

#include <nlohmann/json.hpp>

namespace loadprof::demo {

Result<std::vector<load::Stage>> demo_stages(int64_t duration_ns) {
  if (duration_ns < kMinDurationNs)
    return make_error(ErrorKind::usage,
                      "--duration: at least 5s (the ramp, the spike and the recovery need it)");
  const double spike_rps = kBaseRateRps * kSpikeFactor;
  auto part = [&](double fraction) {
    return static_cast<int64_t>(static_cast<double>(duration_ns) * fraction);
  };
  std::vector<load::Stage> stages;
  stages.push_back({part(0.40), kRampStartRps, kBaseRateRps});
  stages.push_back({part(0.20), kBaseRateRps, kBaseRateRps});
  stages.push_back({part(0.15), spike_rps, spike_rps});
  // The last stage takes the rounding, so the stages sum to the duration.
  stages.push_back({duration_ns - part(0.40) - part(0.20) - part(0.15), kBaseRateRps, kBaseRateRps});
  return stages;
}

const std::vector<Endpoint>& demo_endpoints() {
  static const std::vector<Endpoint> endpoints = {
      {"search", "/search?q=${vu}", 40, "cpu: every 6th search runs score_all_products() (4 ms of CPU)"},
      {"cart", "/cart?item=${vu}", 20,
       "lock: update_cart() holds cart_lock 5 ms; refresh_prices() 10 ms of 50"},
      {"order", "/order?id=${vu}", 10, "io: persist_order() fsyncs once per order"},
      {"session", "/session?user=${vu}", 15, "leak: cache_session() keeps 1 KiB per session forever"},
      {"orders", "/orders?user=${vu}", 15, "N+1: load_order_items() makes 8 backend round trips per request"},
  };
  return endpoints;
}

std::string demo_scenario_json(int port) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& e : demo_endpoints())
    steps.push_back(
        {{"name", e.name}, {"path", e.path}, {"weight", e.weight}, {"expect", {{"status", 200}}}});
  nlohmann::json scenario = {
      {"base_url", "http://127.0.0.1:" + std::to_string(port)}, {"mode", "weighted"}, {"steps", steps}};
  return scenario.dump(2);
}

}  // namespace loadprof::demo
