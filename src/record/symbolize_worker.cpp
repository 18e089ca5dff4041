// The low-priority symbolizing thread; see symbolize_worker.h.
#include "symbolize_worker.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <system_error>

#include "loadprof/util/clock.h"
#include "loadprof/util/log.h"

namespace loadprof::record {
namespace {

// CAP_SYS_NICE in the effective set: a thread put at SCHED_IDLE can be raised
// back (without it, leaving SCHED_IDLE needs an RLIMIT_NICE nobody sets).
bool can_raise_priority() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_SYS_NICE / 32].effective & (1u << (CAP_SYS_NICE % 32))) != 0;
}

}  // namespace

SymbolizeWorker::SymbolizeWorker(std::unique_ptr<symbolize::Symbolizer> symbolizer, bool background)
    : symbolizer_(std::move(symbolizer)) {
  if (!background) return;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    log::debug(std::string("symbolizing on the recorder's thread: ") + e.what());
  }
}

SymbolizeWorker::~SymbolizeWorker() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stop_requested_ = true;
    wake_.notify_all();
    thread_.join();
  }
}

void SymbolizeWorker::add_mapping(const capture::Mapping& mapping) {
  std::lock_guard lock(mutex_);
  queue_.emplace_back(mapping);
}

void SymbolizeWorker::on_exec(uint32_t pid, uint64_t time_ns) {
  std::lock_guard lock(mutex_);
  queue_.emplace_back(Exec{pid, time_ns});
}

void SymbolizeWorker::add_jobs(std::vector<Job> jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (Job& j : jobs) queue_.emplace_back(std::move(j));
  }
  wake_.notify_one();
}

std::vector<SymbolizeWorker::Done> SymbolizeWorker::take_done() {
  if (!thread_.joinable()) {
    // No thread: resolve on the caller's, now.
    const uint64_t start = thread_cpu_ns();
    std::deque<Item> items;
    items.swap(queue_);
    process(items, done_, nullptr);
    for (auto& w : symbolizer_->take_warnings()) warnings_.push_back(std::move(w));
    worker_cpu_ns_ += thread_cpu_ns() - start;
  }
  std::lock_guard lock(mutex_);
  return std::exchange(done_, {});
}

std::vector<std::string> SymbolizeWorker::take_warnings() {
  std::lock_guard lock(mutex_);
  return std::exchange(warnings_, {});
}

void SymbolizeWorker::run() {
  const int tid = static_cast<int>(syscall(SYS_gettid));
  std::string priority = "recorder priority";
  bool raisable = false;
  sched_param param{};
  if (can_raise_priority() && sched_setscheduler(0, SCHED_IDLE, &param) == 0) {
    priority = "SCHED_IDLE";
    raisable = true;
  } else if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 19) == 0) {
    priority = "nice 19";
  }
  std::unique_lock lock(mutex_);
  worker_tid_ = tid;
  priority_ = priority;
  raise_at_finish_ = raisable;
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::deque<Item> items;
    items.swap(queue_);
    lock.unlock();
    const uint64_t start = thread_cpu_ns();
    std::vector<Done> done;
    process(items, done, &stop_requested_);
    std::vector<std::string> warnings = symbolizer_->take_warnings();
    const uint64_t used = thread_cpu_ns() - start;
    lock.lock();
    worker_cpu_ns_ += used;
    for (Done& d : done) done_.push_back(std::move(d));
    for (auto& w : warnings) warnings_.push_back(std::move(w));
    // Stopped mid-batch: what is left goes back in front, in order.
    while (!items.empty()) {
      queue_.push_front(std::move(items.back()));
      items.pop_back();
    }
  }
}

void SymbolizeWorker::process(std::deque<Item>& items, std::vector<Done>& done,
                              const std::atomic<bool>* stop) {
  std::vector<uint64_t> kernel_ips;
  for (const Item& item : items)
    if (const Job* job = std::get_if<Job>(&item))
      kernel_ips.insert(kernel_ips.end(), job->kernel_ips.begin(), job->kernel_ips.end());
  symbolizer_->prefetch_kernel(kernel_ips);
  std::vector<capture::Frame> frames;
  while (!items.empty()) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return;
    Item item = std::move(items.front());
    items.pop_front();
    if (auto* m = std::get_if<capture::Mapping>(&item)) {
      symbolizer_->add_mapping(*m);
    } else if (auto* e = std::get_if<Exec>(&item)) {
      symbolizer_->on_exec(e->pid, e->time_ns);
    } else {
      Job& job = std::get<Job>(item);
      Done d;
      d.id = job.id;
      d.truncated = job.truncated;
      for (uint64_t ip : job.kernel_ips) symbolizer_->symbolize_kernel(ip, d.frames);
      for (size_t i = 0; i < job.user_ips.size(); ++i)
        symbolizer_->symbolize_user(job.pid, job.time_ns, job.user_ips[i], i > 0, d.frames);
      done.push_back(std::move(d));
    }
  }
}

std::vector<SymbolizeWorker::Done> SymbolizeWorker::finish() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      // Out of SCHED_IDLE, so the join does not wait for an idle CPU.
      sched_param param{};
      if (raise_at_finish_ && worker_tid_ != 0 && sched_setscheduler(worker_tid_, SCHED_OTHER, &param) != 0)
        log::debug("could not raise the symbolizing thread's priority");
    }
    stop_requested_ = true;
    wake_.notify_all();
    thread_.join();
  }
  const uint64_t start = thread_cpu_ns();
  std::vector<Done> out;
  std::deque<Item> rest;
  {
    std::lock_guard lock(mutex_);
    out = std::exchange(done_, {});
    rest.swap(queue_);
  }
  const size_t before = out.size();
  process(rest, out, nullptr);
  resolved_at_finish_ += out.size() - before;
  std::lock_guard lock(mutex_);
  for (auto& w : symbolizer_->take_warnings()) warnings_.push_back(std::move(w));
  finish_cpu_ns_ += thread_cpu_ns() - start;
  return out;
}

uint64_t SymbolizeWorker::cpu_ns() const {
  std::lock_guard lock(mutex_);
  return worker_cpu_ns_ + finish_cpu_ns_;
}

std::string SymbolizeWorker::priority() const {
  std::lock_guard lock(mutex_);
  return priority_;
}

}  // namespace loadprof::record
