// Internal to the load module: the per-thread request-log ring (single
// producer: the driver thread; single consumer: the log thread) and the log
// thread that drains every ring into the RequestSink. A full ring drops the
// record and counts it, so a slow sink never slows the driver.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "loadprof/load/request_log.h"

namespace loadprof::load::detail {

// Single-producer single-consumer ring of request records.
struct LogRing {
  explicit LogRing(size_t capacity) {
    size_t c = 1;
    while (c < capacity) c <<= 1;
    slots.reset(new RequestRecord[c]);
    mask = c - 1;
  }
  void push(const RequestRecord& r) {
    uint64_t h = head.load(std::memory_order_relaxed);
    if (h - cached_tail > mask) {
      cached_tail = tail.load(std::memory_order_acquire);
      if (h - cached_tail > mask) {
        dropped.store(dropped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return;
      }
    }
    slots[h & mask] = r;
    head.store(h + 1, std::memory_order_release);
  }
  // Consumer side: hands every pending record to the sink, in order.
  uint64_t drain(RequestSink* sink) {
    uint64_t t = tail.load(std::memory_order_relaxed);
    uint64_t h = head.load(std::memory_order_acquire);
    if (h == t) return 0;
    uint64_t n = h - t;
    size_t first = static_cast<size_t>(t & mask);
    size_t run = std::min<uint64_t>(n, mask + 1 - first);
    sink->consume(std::span<const RequestRecord>(&slots[first], run));
    if (run < n) sink->consume(std::span<const RequestRecord>(&slots[0], n - run));
    tail.store(h, std::memory_order_release);
    return n;
  }
  std::unique_ptr<RequestRecord[]> slots;
  uint64_t mask = 0;
  uint64_t cached_tail = 0;  // producer's view
  alignas(64) std::atomic<uint64_t> head{0};
  alignas(64) std::atomic<uint64_t> tail{0};
  alignas(64) std::atomic<uint64_t> dropped{0};
};

// Drains the rings of `sources` (anything with a `ring_` member) every 2 ms until finish().
template <class Source>
class LogThread {
 public:
  LogThread(RequestSink* sink, std::vector<std::unique_ptr<Source>>& workers) : sink_(sink), workers_(workers) {
    if (sink_) thread_ = std::thread([this] { loop(); });
  }
  ~LogThread() { finish(); }
  void finish() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    thread_.join();
  }
  uint64_t records() const { return records_; }

 private:
  void loop() {
    while (true) {
      bool last = stop_.load();
      for (auto& w : workers_) records_ += w->ring_.drain(sink_);
      if (last) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  RequestSink* sink_;
  std::vector<std::unique_ptr<Source>>& workers_;
  std::atomic<bool> stop_{false};
  uint64_t records_ = 0;
  std::thread thread_;
};

}  // namespace loadprof::load::detail
