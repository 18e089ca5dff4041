// Top waker stacks per off-CPU reason (--offcpu-wakers).
#include "waker_stacks.h"

#include <algorithm>
#include <map>

#include "loadprof/capture/folded.h"
#include "names.h"

namespace loadprof::analyze {

std::vector<WakerStackShare> top_waker_stacks(const capture::Capture& c) {
  struct Acc {
    uint64_t waits = 0;
    uint64_t blocked_ns = 0;
    std::map<std::string, uint64_t> woken_ns;
  };
  std::map<std::pair<size_t, capture::StackId>, Acc> by_key;
  std::map<std::pair<uint32_t, uint32_t>, std::string> comms;
  for (const auto& t : c.threads)
    if (!t.name.empty()) comms[{t.pid, t.tid}] = t.name;
  for (const auto& o : c.offcpu) {
    if (o.waker_stack == capture::kNoStack || o.waker_stack >= c.stacks.size() || o.end_ns <= o.start_ns)
      continue;
    const size_t r = std::min<size_t>(static_cast<size_t>(o.reason), kOffCpuReasons - 1);
    Acc& a = by_key[{r, o.waker_stack}];
    a.waits += o.count;
    a.blocked_ns += o.end_ns - o.start_ns;
    auto comm = comms.find({o.pid, o.tid});
    a.woken_ns[comm != comms.end() ? comm->second : std::to_string(o.tid)] += o.end_ns - o.start_ns;
  }
  std::map<size_t, std::vector<WakerStackShare>> per_reason;
  for (const auto& [key, a] : by_key) {
    WakerStackShare s;
    s.reason = offcpu_reason_names()[key.first];
    const auto& frames = c.stacks[key.second].frames;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)  // root first, as a folded line
      s.frames.push_back(*it < c.frames.size() ? folded_name(capture::frame_display_name(c.frames[*it]))
                                               : std::string("[bad frame]"));
    s.waits = a.waits;
    s.blocked_ms = static_cast<double>(a.blocked_ns) / 1e6;
    std::vector<std::pair<std::string, uint64_t>> woken(a.woken_ns.begin(), a.woken_ns.end());
    std::stable_sort(woken.begin(), woken.end(),
                     [](const auto& x, const auto& y) { return x.second > y.second; });
    for (size_t i = 0; i < woken.size() && i < 5; ++i) s.woken.push_back(woken[i].first);
    per_reason[key.first].push_back(std::move(s));
  }
  std::vector<WakerStackShare> out;
  for (auto& [reason, list] : per_reason) {
    std::stable_sort(list.begin(), list.end(), [](const WakerStackShare& x, const WakerStackShare& y) {
      return x.blocked_ms > y.blocked_ms;
    });
    if (list.size() > kTopWakerStacksPerReason) list.resize(kTopWakerStacksPerReason);
    for (auto& s : list) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace loadprof::analyze
