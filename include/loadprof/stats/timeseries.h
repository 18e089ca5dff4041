// Per-second time series of a run: requests, errors, late starts and the
// latency distribution of each second, kept sparse (only non-empty histogram
// buckets) so an hour-long run costs a few MiB. Series from several threads or
// runs merge second by second without loss.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "loadprof/stats/histogram.h"

namespace loadprof::stats {

struct SecondPoint {
  uint32_t t_s = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t late_starts = 0;
  Percentiles latency;
};

class TimeSeries {
 public:
  // Adds one thread's totals for second t_s (seconds since the run started):
  // completed requests (errors included), the latency of those that got a
  // response, errors and late starts.
  void add_second(uint32_t t_s, const Histogram& latency, uint64_t requests, uint64_t errors, uint64_t late_starts);
  void merge(const TimeSeries& other);
  // One point per second from 0 to the last second seen (empty seconds included).
  std::vector<SecondPoint> points() const;
  size_t seconds() const { return seconds_.empty() ? 0 : seconds_.rbegin()->first + 1; }

 private:
  struct Entry {
    uint64_t requests = 0, errors = 0, late_starts = 0, max_ns = 0;
    std::vector<std::pair<uint32_t, uint64_t>> buckets;  // sparse, may hold repeats until merged
  };
  std::map<uint32_t, Entry> seconds_;
};

}  // namespace loadprof::stats
