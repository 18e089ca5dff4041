// The symbolizing thread: mappings, execs and stacks reach the symbolizer in
// the order they were given; every stack comes back exactly once, resolved on
// the thread while it runs or by finish() for what is left; the thread runs at
// the lowest priority.
#include "symbolize_worker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace loadprof::record {
namespace {

// Names each address after itself and logs every call, in order. A stack
// whose leaf is kBlockingIp waits until released: the thread is then
// mid-job when finish() comes.
class FakeSymbolizer final : public symbolize::Symbolizer {
 public:
  static constexpr uint64_t kBlockingIp = 0xb10c;

  void add_mapping(const capture::Mapping& m) override { log("map " + std::to_string(m.pid)); }
  void on_exec(uint32_t pid, uint64_t) override { log("exec " + std::to_string(pid)); }
  void symbolize_user(uint32_t pid, uint64_t, uint64_t ip, bool, std::vector<capture::Frame>& out) override {
    if (ip == kBlockingIp) {
      blocked = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    log("user " + std::to_string(pid) + " " + std::to_string(ip));
    capture::Frame f;
    f.function = "u" + std::to_string(ip);
    out.push_back(f);
  }
  void symbolize_kernel(uint64_t ip, std::vector<capture::Frame>& out) override {
    capture::Frame f;
    f.function = "k" + std::to_string(ip);
    f.kernel = true;
    out.push_back(f);
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::atomic<bool> blocked{false}, release{false};

 private:
  void log(std::string s) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(s));
  }
  std::mutex mutex_;
  std::vector<std::string> calls_;
};

SymbolizeWorker::Job job(capture::StackId id, uint32_t pid, std::vector<uint64_t> user,
                         std::vector<uint64_t> kernel = {}) {
  SymbolizeWorker::Job j;
  j.id = id;
  j.pid = pid;
  j.user_ips = std::move(user);
  j.kernel_ips = std::move(kernel);
  return j;
}

capture::Mapping mapping(uint32_t pid) {
  capture::Mapping m;
  m.pid = pid;
  return m;
}

TEST(SymbolizeWorker, ResolvesInOrderOnItsThreadAtTheLowestPriority) {
  auto fake = std::make_unique<FakeSymbolizer>();
  FakeSymbolizer* raw = fake.get();
  SymbolizeWorker worker(std::move(fake), true);
  ASSERT_TRUE(worker.background());
  worker.add_mapping(mapping(7));
  worker.add_jobs({job(0, 7, {10, 11}, {99})});
  worker.on_exec(7, 5);
  worker.add_mapping(mapping(7));
  worker.add_jobs({job(1, 7, {12})});

  std::vector<SymbolizeWorker::Done> done;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (done.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    for (auto& d : worker.take_done()) done.push_back(std::move(d));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(done.size(), 2u) << "the thread never ran (an idle CPU is needed, and this machine has one now and then)";
  EXPECT_EQ(done[0].id, 0u);
  ASSERT_EQ(done[0].frames.size(), 3u);
  EXPECT_EQ(done[0].frames[0].function, "k99");  // kernel frames first, then user, leaf first
  EXPECT_EQ(done[0].frames[1].function, "u10");
  EXPECT_EQ(done[0].frames[2].function, "u11");
  EXPECT_EQ(done[1].id, 1u);
  EXPECT_EQ(raw->calls(), (std::vector<std::string>{"map 7", "user 7 10", "user 7 11", "exec 7", "map 7",
                                                    "user 7 12"}));
  EXPECT_TRUE(worker.finish().empty());
  EXPECT_EQ(worker.resolved_at_finish(), 0u);
  if (geteuid() == 0) EXPECT_EQ(worker.priority(), "SCHED_IDLE");
  else EXPECT_NE(worker.priority(), "");
}

TEST(SymbolizeWorker, FinishResolvesWhatTheThreadLeftExactlyOnce) {
  auto fake = std::make_unique<FakeSymbolizer>();
  FakeSymbolizer* raw = fake.get();
  SymbolizeWorker worker(std::move(fake), true);
  worker.add_jobs({job(0, 1, {FakeSymbolizer::kBlockingIp})});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!raw->blocked && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(raw->blocked);
  // Queued while the thread is busy with job 0: finish() must take them.
  std::vector<SymbolizeWorker::Job> more;
  for (capture::StackId id = 1; id <= 50; ++id) more.push_back(job(id, 1, {id}));
  worker.add_jobs(std::move(more));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    raw->release = true;
  });
  auto done = worker.finish();
  releaser.join();
  ASSERT_EQ(done.size(), 51u);
  for (size_t i = 0; i < done.size(); ++i) EXPECT_EQ(done[i].id, i) << "in order, each once";
  EXPECT_GE(worker.resolved_at_finish(), 50u);
  EXPECT_EQ(raw->calls().size(), 51u);
}

TEST(SymbolizeWorker, WithoutAThreadResolvesOnTheCallersThread) {
  SymbolizeWorker worker(std::make_unique<FakeSymbolizer>(), false);
  EXPECT_FALSE(worker.background());
  worker.add_jobs({job(0, 1, {5})});
  auto done = worker.take_done();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].frames[0].function, "u5");
  EXPECT_EQ(worker.priority(), "recorder thread");
}

}  // namespace
}  // namespace loadprof::record
