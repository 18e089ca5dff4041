// HDR-style latency histogram: log-linear buckets over nanoseconds with 128
// sub-buckets per power of two, so any recorded value in 1 us .. 100 s is
// reported within 1/256 (< 0.4 %) of its true value. Fixed size, no allocation
// after construction, so a load-driver thread can record on its hot path.
// Merging adds counters, so histograms merge without loss across threads and
// runs; serialize()/deserialize() carry them between processes and machines.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::stats {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;                       // 128 sub-buckets per octave
  static constexpr uint64_t kSubBuckets = 1u << kSubBucketBits;  // 128
  static constexpr uint64_t kMaxTrackableNs = 100'000'000'000ull;  // 100 s; larger values clamp
  static constexpr size_t kBucketCount = 4096;                   // covers up to 2^38 ns > 100 s

  Histogram() { counts_.fill(0); }

  // Records one value (nanoseconds). Values above kMaxTrackableNs are clamped
  // into the top bucket but min/max stay exact.
  void record(uint64_t value_ns) { record_n(value_ns, 1); }
  void record_n(uint64_t value_ns, uint64_t count);
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return total_; }
  uint64_t min_ns() const { return total_ ? min_ns_ : 0; }
  uint64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return total_ ? static_cast<double>(sum_ns_) / static_cast<double>(total_) : 0.0; }
  // Value at quantile q in [0,1] (q=0.99 -> p99): the smallest recorded value
  // v such that at least ceil(q*count) values are <= v, reported as the middle
  // of its bucket and clamped into [min, max]. 0 when empty.
  uint64_t value_at_quantile(double q) const;

  // Compact, versioned byte string (varint-coded non-empty buckets).
  std::string serialize() const;
  static Result<Histogram> deserialize(std::string_view bytes);

  // Non-empty buckets as (index, count) pairs: the sparse form used by the
  // per-second time series.
  void append_sparse(std::vector<std::pair<uint32_t, uint64_t>>& out) const;
  void add_sparse(const std::vector<std::pair<uint32_t, uint64_t>>& in);

  static size_t bucket_index(uint64_t value_ns);
  static uint64_t bucket_lower_ns(size_t index);
  static uint64_t bucket_upper_ns(size_t index);  // exclusive

  bool operator==(const Histogram& o) const;

 private:
  std::array<uint64_t, kBucketCount> counts_;
  uint64_t total_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
  uint64_t sum_ns_ = 0;
};

// The percentile set every report shows.
struct Percentiles {
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};
Percentiles percentiles_of(const Histogram& h);

}  // namespace loadprof::stats
