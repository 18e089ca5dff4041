// Stages and arrival schedules. A run is a list of stages (DURATION:RATE or
// DURATION:FROM->TO, a linear ramp), optionally preceded by a warmup at the
// first stage's starting rate. The schedule maps the cumulative number of
// arrivals to intended send times, so each driver thread can walk its own
// share of the arrivals without talking to the others.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::load {

struct Stage {
  int64_t duration_ns = 0;
  double rate_start_rps = 0;
  double rate_end_rps = 0;  // == start for a steady stage
};

// "30s:100,20s:100->2000,10s:5000". Usage error naming the bad stage.
Result<std::vector<Stage>> parse_stages(std::string_view spec);

enum class Arrival { uniform, poisson };

class Schedule {
 public:
  // Times are relative to the run start; the warmup (if any) runs first at the
  // first stage's starting rate and belongs to no stage (index -1).
  Schedule(std::vector<Stage> stages, int64_t warmup_ns);

  int64_t warmup_ns() const { return warmup_ns_; }
  int64_t total_ns() const { return total_ns_; }  // warmup + all stages
  const std::vector<Stage>& stages() const { return stages_; }
  // Index of the stage holding relative time t, -1 for warmup, stages.size() after the end.
  int stage_at(int64_t t_ns) const;
  int64_t stage_start_ns(int index) const;  // relative to the run start, warmup included
  double rate_at(int64_t t_ns) const;
  // Expected arrivals in [from, to): the integral of the rate.
  double arrivals_between(int64_t from_ns, int64_t to_ns) const;
  double total_arrivals() const { return cumulative_.back(); }
  // The time at which the cumulative arrival count reaches `count` (count <
  // total_arrivals()); total_ns() when it never does.
  int64_t time_of_arrival(double count) const;

 private:
  struct Segment {
    int64_t start_ns, duration_ns;
    double r0, r1;  // per second
  };
  std::vector<Stage> stages_;
  std::vector<Segment> segments_;  // warmup (if any) + stages
  std::vector<double> cumulative_;  // arrivals before each segment; back() = total
  int64_t warmup_ns_;
  int64_t total_ns_ = 0;
};

// One thread's walk over the schedule: thread `index` of `count` takes every
// count-th arrival (uniform) or a Poisson process of 1/count of the rate.
class ArrivalCursor {
 public:
  ArrivalCursor(const Schedule& schedule, Arrival arrival, int index, int count, uint64_t seed);
  // Intended time (relative to run start) of the next arrival, or -1 when the schedule is over.
  int64_t peek() const { return next_ns_; }
  void advance();

 private:
  const Schedule* schedule_;
  Arrival arrival_;
  double step_;
  double position_;
  int64_t next_ns_ = -1;
  std::mt19937_64 rng_;
  std::exponential_distribution<double> exp_{1.0};
};

}  // namespace loadprof::load
