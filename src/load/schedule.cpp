// Stage parsing and the inverse of the cumulative arrival function. Within a
// segment the rate is linear, so the arrival count is quadratic in time and
// its inverse has a closed form.
#include "loadprof/load/schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "loadprof/util/units.h"

namespace loadprof::load {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
constexpr double kMaxRateRps = 10'000'000;
// Far beyond any real run, and low enough that the schedule's running sum of
// int64 nanoseconds over the stages cannot overflow.
constexpr int64_t kMaxTotalNs = 100'000LL * 3600 * 1'000'000'000;
}  // namespace

Result<std::vector<Stage>> parse_stages(std::string_view spec) {
  std::vector<Stage> out;
  int64_t total_ns = 0;
  if (trim(spec).empty()) return make_error(ErrorKind::usage, "empty stage list");
  size_t pos = 0;
  while (true) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view raw = trim(spec.substr(pos, comma - pos));
    auto bad = [&](const std::string& why) {
      return make_error(ErrorKind::usage,
                        "bad stage " + std::to_string(out.size() + 1) + " '" + std::string(raw) + "': " + why);
    };
    size_t colon = raw.find(':');
    if (raw.empty()) return bad("empty stage");
    if (colon == std::string_view::npos) return bad("expected DURATION:RATE");
    auto dur = parse_duration_ns(trim(raw.substr(0, colon)));
    if (!dur) return bad(dur.error().message);
    if (*dur <= 0) return bad("duration must be positive");
    if (*dur > kMaxTotalNs - total_ns) return bad("stages add up to more than 100000h");
    total_ns += *dur;
    std::string_view rates = trim(raw.substr(colon + 1));
    Stage s;
    s.duration_ns = *dur;
    size_t arrow = rates.find("->");
    auto rate = [&](std::string_view t) -> Result<double> {
      auto r = parse_double(trim(t));
      if (!r) return make_error(ErrorKind::usage, "bad rate '" + std::string(trim(t)) + "'");
      if (*r > kMaxRateRps) return make_error(ErrorKind::usage, "rate above 10,000,000 req/s");
      return *r;
    };
    if (arrow == std::string_view::npos) {
      auto r = rate(rates);
      if (!r) return bad(r.error().message);
      s.rate_start_rps = s.rate_end_rps = *r;
    } else {
      auto a = rate(rates.substr(0, arrow));
      if (!a) return bad(a.error().message);
      auto b = rate(rates.substr(arrow + 2));
      if (!b) return bad(b.error().message);
      s.rate_start_rps = *a;
      s.rate_end_rps = *b;
    }
    out.push_back(s);
    if (comma == spec.size()) break;
    pos = comma + 1;
  }
  return out;
}

Schedule::Schedule(std::vector<Stage> stages, int64_t warmup_ns) : stages_(std::move(stages)), warmup_ns_(warmup_ns) {
  int64_t t = 0;
  cumulative_.push_back(0);
  auto add = [&](int64_t d, double r0, double r1) {
    segments_.push_back({t, d, r0, r1});
    cumulative_.push_back(cumulative_.back() + (r0 + r1) / 2 * static_cast<double>(d) / 1e9);
    t += d;
  };
  if (warmup_ns_ > 0 && !stages_.empty()) add(warmup_ns_, stages_[0].rate_start_rps, stages_[0].rate_start_rps);
  for (const auto& s : stages_) add(s.duration_ns, s.rate_start_rps, s.rate_end_rps);
  total_ns_ = t;
}

int Schedule::stage_at(int64_t t) const {
  if (t < warmup_ns_) return -1;
  int64_t s = warmup_ns_;
  for (size_t i = 0; i < stages_.size(); ++i) {
    s += stages_[i].duration_ns;
    if (t < s) return static_cast<int>(i);
  }
  return static_cast<int>(stages_.size());
}

int64_t Schedule::stage_start_ns(int index) const {
  int64_t s = warmup_ns_;
  for (int i = 0; i < index && i < static_cast<int>(stages_.size()); ++i) s += stages_[i].duration_ns;
  return s;
}

double Schedule::rate_at(int64_t t) const {
  for (const auto& g : segments_) {
    if (t >= g.start_ns && t < g.start_ns + g.duration_ns)
      return g.r0 + (g.r1 - g.r0) * static_cast<double>(t - g.start_ns) / static_cast<double>(g.duration_ns);
  }
  return 0;
}

double Schedule::arrivals_between(int64_t from, int64_t to) const {
  auto cum = [&](int64_t t) {
    double c = 0;
    for (size_t i = 0; i < segments_.size(); ++i) {
      const auto& g = segments_[i];
      if (t >= g.start_ns + g.duration_ns) {
        c = cumulative_[i + 1];
        continue;
      }
      if (t <= g.start_ns) break;
      double x = static_cast<double>(t - g.start_ns) / 1e9;
      double d = static_cast<double>(g.duration_ns) / 1e9;
      c = cumulative_[i] + g.r0 * x + (g.r1 - g.r0) / d * x * x / 2;
      break;
    }
    return c;
  };
  return to > from ? cum(to) - cum(from) : 0;
}

int64_t Schedule::time_of_arrival(double count) const {
  if (count < 0) count = 0;
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), count);
  if (it == cumulative_.end()) return total_ns_;
  size_t i = static_cast<size_t>(it - cumulative_.begin()) - 1;
  if (i >= segments_.size()) return total_ns_;
  const auto& g = segments_[i];
  double need = count - cumulative_[i];
  double d = static_cast<double>(g.duration_ns) / 1e9;
  double a = (g.r1 - g.r0) / d / 2;  // need = a x^2 + r0 x
  double x;
  if (std::fabs(a) < 1e-12) x = g.r0 > 0 ? need / g.r0 : d;
  else {
    double disc = g.r0 * g.r0 + 4 * a * need;
    x = (-g.r0 + std::sqrt(std::max(0.0, disc))) / (2 * a);
  }
  x = std::clamp(x, 0.0, d);
  return g.start_ns + static_cast<int64_t>(x * 1e9);
}

ArrivalCursor::ArrivalCursor(const Schedule& schedule, Arrival arrival, int index, int count, uint64_t seed)
    : schedule_(&schedule), arrival_(arrival), step_(count), rng_(seed * 7919 + static_cast<uint64_t>(index)) {
  // Uniform: thread i takes arrivals i, i+T, ... (offset by half a gap so the
  // first request is not at t=0 on every thread).
  if (arrival_ == Arrival::uniform) position_ = index + 0.5;
  else position_ = exp_(rng_) * step_;
  next_ns_ = position_ < schedule_->total_arrivals() ? schedule_->time_of_arrival(position_) : -1;
}

void ArrivalCursor::advance() {
  position_ += arrival_ == Arrival::uniform ? step_ : exp_(rng_) * step_;
  next_ns_ = position_ < schedule_->total_arrivals() ? schedule_->time_of_arrival(position_) : -1;
}

}  // namespace loadprof::load
