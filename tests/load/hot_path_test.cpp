// The hot path's promises, measured: no heap allocation per request (this
// binary replaces operator new to count), every request reaches the request
// log sink with none dropped, and memory stays flat from 100 k to 1 M requests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>

#include "loadprof/load/driver.h"
#include "server_process.h"
#include "support/count_allocations.h"


using namespace loadprof;
using namespace loadprof::load;
using loadprof::test::ServerProcess;

namespace {

// Checks every record as it arrives and keeps only counters: consuming must not allocate either.
class CheckingSink : public RequestSink {
 public:
  void consume(std::span<const RequestRecord> records) override {
    for (const auto& r : records) {
      ++count_;
      bool ok = r.start_ns >= r.intended_ns && r.end_ns >= r.first_byte_ns && r.first_byte_ns >= r.start_ns &&
                r.status == 200 && r.error == ErrorClass::none && r.local_port != 0 && r.bytes_in > 0 &&
                r.bytes_out > 0 && r.connection_id < 8;
      bad_ += !ok;
      connects_ += r.connect_ns > 0;
      if (r.connection_id < 8) {
        // Per connection, requests arrive in the order they were made.
        bad_order_ += r.start_ns < last_start_[r.connection_id];
        last_start_[r.connection_id] = r.start_ns;
      }
    }
  }
  uint64_t count_ = 0, bad_ = 0, bad_order_ = 0, connects_ = 0;
  int64_t last_start_[8] = {};
};

LoadConfig closed_config(const ServerProcess& s, uint64_t requests, RequestSink* sink) {
  LoadConfig c;
  c.url = *parse_url(s.url());
  c.request = format_request(c.url, RequestSpec{});
  c.threads = 2;
  c.closed = true;
  c.connections = 8;
  c.max_requests = requests;
  c.stages = {{300'000'000'000, 0, 0}};
  c.sink = sink;
  return c;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

}  // namespace

TEST(HotPath, NoHeapAllocationPerRequestAndEveryRequestReachesTheSink) {
  ServerProcess server({});
  ASSERT_GT(server.port(), 0);
  // The difference between a 10 k and a 110 k request run is what 100,000 requests cost.
  CheckingSink small_sink, big_sink;
  auto c1 = closed_config(server, 10'000, &small_sink);
  uint64_t a0 = loadprof::testing::allocations();
  auto r1 = run_load(c1);
  uint64_t a1 = loadprof::testing::allocations();
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  auto c2 = closed_config(server, 110'000, &big_sink);
  uint64_t b0 = loadprof::testing::allocations();
  auto r2 = run_load(c2);
  uint64_t b1 = loadprof::testing::allocations();
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  ASSERT_EQ(r2->requests, 110'000u);
  int64_t extra = static_cast<int64_t>(b1 - b0) - static_cast<int64_t>(a1 - a0);
  std::printf("allocations: %llu for 10k requests, %llu for 110k requests: %lld for 100,000 more\n",
              static_cast<unsigned long long>(a1 - a0), static_cast<unsigned long long>(b1 - b0),
              static_cast<long long>(extra));
  // What is left is the per-second time series (a map node and a sparse bucket
  // vector per thread and second), not anything per request.
  EXPECT_LT(extra, 1000) << "allocations grow with requests";

  EXPECT_EQ(big_sink.count_, 110'000u);
  EXPECT_EQ(r2->log_records, 110'000u);
  EXPECT_EQ(r2->log_dropped, 0u);
  EXPECT_EQ(big_sink.bad_, 0u);
  EXPECT_EQ(big_sink.bad_order_, 0u);
  EXPECT_EQ(big_sink.connects_, 8u);  // keep-alive: one connect per connection
  EXPECT_EQ(small_sink.count_, 10'000u);
}

TEST(HotPath, MemoryStaysFlatFrom100kTo1MRequests) {
  ServerProcess server({});
  ASSERT_GT(server.port(), 0);
  CheckingSink sink;
  auto c = closed_config(server, 1'000'000, &sink);
  long rss_at_100k = -1, rss_last = -1;
  auto r = run_load(c, [&](const Progress& p) {
    long rss = rss_kib();
    if (rss_at_100k < 0 && p.requests >= 100'000) rss_at_100k = rss;
    rss_last = rss;
  });
  long rss_end = rss_kib();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->requests, 1'000'000u);
  ASSERT_GT(rss_at_100k, 0);
  std::printf("RSS: %ld KiB after 100k requests, %ld KiB near 1M, %ld KiB after the run\n", rss_at_100k, rss_last,
              rss_end);
  EXPECT_LT(rss_last - rss_at_100k, 4096);  // under 4 MiB of growth for 900,000 more requests
  EXPECT_EQ(sink.count_, 1'000'000u);
  EXPECT_EQ(r->log_dropped, 0u);
}
