// A scenario's hot path, measured like the plain driver's: a login -> token ->
// authorized journey (JSON, header and regex captures, expectations searched
// in the streaming body, CSV rows percent-encoded into the path) makes no heap
// allocation per request once its virtual users are prepared. This binary
// replaces operator new to count.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "loadprof/load/scenario.h"
#include "server_process.h"
#include "support/count_allocations.h"


using namespace loadprof;
using namespace loadprof::load;
using loadprof::test::ServerProcess;

TEST(ScenarioHotPath, NoHeapAllocationPerJourneyStep) {
  ServerProcess server({});
  ASSERT_GT(server.port(), 0);
  auto dir = std::filesystem::path(LOADPROF_BINARY_DIR) / "test-output" / "scenario_hot_path";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "users.csv") << "user,item\nalice,1\nbob,2\ncarol,3\n";
  std::ofstream(dir / "s.json") << R"({"base_url": "http://127.0.0.1:)" << server.port() << R"(",
    "variables": {"csv": "users.csv"},
    "steps": [
      {"name": "login", "method": "POST", "path": "/login", "body": {"user": "${user}-${vu}"},
       "capture": {"token": {"json": "data.token"}, "htoken": {"header": "X-Token"},
                   "rtoken": {"regex": "\"token\":\"([^\"]+)\""}}, "expect": {"status": 200}},
      {"name": "account", "path": "/account/${item}", "headers": {"Authorization": "Bearer ${token}"},
       "expect": {"body_contains": "\"ok\":true"}},
      {"name": "again", "path": "/account?u=${user}", "headers": {"Authorization": "Bearer ${htoken}"}},
      {"name": "third", "path": "/account", "headers": {"Authorization": "Bearer ${rtoken}"}}]})";
  auto s = load_scenario((dir / "s.json").string());
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto run = [&](uint64_t requests, uint64_t* allocations) {
    LoadConfig c;
    c.url = s->base;
    c.threads = 2;
    c.closed = true;
    c.connections = 8;
    c.max_requests = requests;
    c.stages = {{300'000'000'000, 0, 0}};
    ScenarioSource src(*s, true, true, 1);
    src.prepare(c.threads, c.connections);
    c.source = &src;
    uint64_t a0 = loadprof::testing::allocations();
    auto r = run_load(c);
    *allocations = loadprof::testing::allocations() - a0;
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return LoadResult{};
    auto steps = src.step_results();
    for (const auto& st : steps) EXPECT_EQ(st.errors, 0u) << st.name;
    return std::move(*r);
  };
  uint64_t small = 0, big = 0;
  auto r1 = run(3'000, &small);
  auto r2 = run(33'000, &big);
  EXPECT_EQ(r2.requests, 33'000u);
  EXPECT_EQ(r2.errors, 0u);
  int64_t extra = static_cast<int64_t>(big) - static_cast<int64_t>(small);
  std::printf("allocations: %llu for 3k journey requests, %llu for 33k: %lld for 30,000 more\n",
              static_cast<unsigned long long>(small), static_cast<unsigned long long>(big),
              static_cast<long long>(extra));
  EXPECT_LT(extra, 500) << "allocations grow with requests";
}
