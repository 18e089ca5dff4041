// Log-linear bucketing: values below 256 ns are exact; above, each octave
// [2^k, 2^(k+1)) is cut into 128 equal buckets, so a bucket's width is at most
// 1/128 of its lower bound and its midpoint is within 1/256 of any member.
#include "loadprof/stats/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace loadprof::stats {

namespace {
constexpr uint32_t kSerialMagic = 0x4C504831;  // "LPH1"

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}
}  // namespace

size_t Histogram::bucket_index(uint64_t v) {
  if (v > kMaxTrackableNs) v = kMaxTrackableNs;
  if (v < 2 * kSubBuckets) return static_cast<size_t>(v);
  int top = 63 - std::countl_zero(v);       // floor(log2 v) >= 8
  int shift = top - kSubBucketBits;          // >= 1; v >> shift in [128, 256)
  return static_cast<size_t>(2 * kSubBuckets + static_cast<uint64_t>(shift - 1) * kSubBuckets +
                             ((v >> shift) - kSubBuckets));
}

uint64_t Histogram::bucket_lower_ns(size_t index) {
  if (index < 2 * kSubBuckets) return index;
  uint64_t rel = index - 2 * kSubBuckets;
  uint64_t shift = rel / kSubBuckets + 1;
  uint64_t sub = rel % kSubBuckets + kSubBuckets;
  return sub << shift;
}

uint64_t Histogram::bucket_upper_ns(size_t index) {
  if (index < 2 * kSubBuckets) return index + 1;
  uint64_t rel = index - 2 * kSubBuckets;
  uint64_t shift = rel / kSubBuckets + 1;
  return bucket_lower_ns(index) + (1ull << shift);
}

void Histogram::record_n(uint64_t v, uint64_t n) {
  if (n == 0) return;
  counts_[bucket_index(v)] += n;
  total_ += n;
  sum_ns_ += v * n;
  if (v < min_ns_) min_ns_ = v;
  if (v > max_ns_) max_ns_ = v;
}

void Histogram::merge(const Histogram& o) {
  if (o.total_ == 0) return;
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += o.counts_[i];
  total_ += o.total_;
  sum_ns_ += o.sum_ns_;
  min_ns_ = std::min(min_ns_, o.min_ns_);
  max_ns_ = std::max(max_ns_, o.max_ns_);
}

void Histogram::reset() {
  counts_.fill(0);
  total_ = 0;
  min_ns_ = UINT64_MAX;
  max_ns_ = 0;
  sum_ns_ = 0;
}

uint64_t Histogram::value_at_quantile(double q) const {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  if (q >= 1.0) return max_ns_;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t lo = bucket_lower_ns(i), hi = bucket_upper_ns(i);
      uint64_t mid = lo + (hi - lo - 1) / 2;
      return std::clamp(mid, min_ns_, max_ns_);
    }
  }
  return max_ns_;
}

std::string Histogram::serialize() const {
  std::string out;
  put_varint(out, kSerialMagic);
  put_varint(out, total_);
  put_varint(out, total_ ? min_ns_ : 0);
  put_varint(out, max_ns_);
  put_varint(out, sum_ns_);
  uint64_t last = 0;
  uint64_t nonzero = 0;
  for (size_t i = 0; i < kBucketCount; ++i) nonzero += counts_[i] != 0;
  put_varint(out, nonzero);
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (!counts_[i]) continue;
    put_varint(out, i - last);
    put_varint(out, counts_[i]);
    last = i;
  }
  return out;
}

Result<Histogram> Histogram::deserialize(std::string_view in) {
  auto bad = [](const char* why) { return make_error(ErrorKind::corrupt_input, std::string("histogram: ") + why); };
  uint64_t magic, total, mn, mx, sum, nonzero;
  if (!get_varint(in, magic) || magic != kSerialMagic) return bad("bad magic");
  if (!get_varint(in, total) || !get_varint(in, mn) || !get_varint(in, mx) || !get_varint(in, sum) ||
      !get_varint(in, nonzero))
    return bad("truncated header");
  if (nonzero > kBucketCount) return bad("too many buckets");
  Histogram h;
  uint64_t idx = 0, check = 0;
  for (uint64_t k = 0; k < nonzero; ++k) {
    uint64_t delta, c;
    if (!get_varint(in, delta) || !get_varint(in, c)) return bad("truncated buckets");
    idx += delta;
    if (idx >= kBucketCount || (k > 0 && delta == 0)) return bad("bucket index out of range");
    h.counts_[idx] = c;
    check += c;
  }
  if (!in.empty()) return bad("trailing bytes");
  if (check != total) return bad("counts do not add up");
  h.total_ = total;
  h.min_ns_ = total ? mn : UINT64_MAX;
  h.max_ns_ = mx;
  h.sum_ns_ = sum;
  return h;
}

void Histogram::append_sparse(std::vector<std::pair<uint32_t, uint64_t>>& out) const {
  for (size_t i = 0; i < kBucketCount; ++i)
    if (counts_[i]) out.emplace_back(static_cast<uint32_t>(i), counts_[i]);
}

void Histogram::add_sparse(const std::vector<std::pair<uint32_t, uint64_t>>& in) {
  for (auto [i, c] : in) {
    if (i >= kBucketCount || !c) continue;
    counts_[i] += c;
    total_ += c;
    uint64_t lo = bucket_lower_ns(i), hi = bucket_upper_ns(i) - 1;
    sum_ns_ += (lo + (hi - lo) / 2) * c;
    min_ns_ = std::min(min_ns_, lo);
    max_ns_ = std::max(max_ns_, hi);
  }
}

bool Histogram::operator==(const Histogram& o) const {
  return total_ == o.total_ && min_ns() == o.min_ns() && max_ns_ == o.max_ns_ && sum_ns_ == o.sum_ns_ &&
         counts_ == o.counts_;
}

Percentiles percentiles_of(const Histogram& h) {
  auto ms = [&](double q) { return static_cast<double>(h.value_at_quantile(q)) / 1e6; };
  return {ms(0.50), ms(0.90), ms(0.95), ms(0.99), ms(0.999), static_cast<double>(h.max_ns()) / 1e6};
}

}  // namespace loadprof::stats
