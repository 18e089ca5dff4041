// The driver engine. One Worker per thread owns an epoll fd, its connections,
// its arrival cursor, its histograms and its request-log ring; nothing on the
// hot path is shared or allocated. The main thread resolves the target,
// starts the workers, reports progress from relaxed atomics, and merges the
// workers' results after they join. A log thread drains the rings into the sink.
#include "loadprof/load/driver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "loadprof/load/http_response.h"
#include "loadprof/util/clock.h"
#include "loadprof/util/fd.h"
#include "log_ring.h"
#include "target.h"

namespace loadprof::load {

const char* error_class_name(ErrorClass c) {
  switch (c) {
    case ErrorClass::none:
      return "none";
    case ErrorClass::connect:
      return "connect";
    case ErrorClass::timeout:
      return "timeout";
    case ErrorClass::reset:
      return "reset";
    case ErrorClass::read:
      return "read";
    case ErrorClass::status_4xx:
      return "4xx";
    case ErrorClass::status_5xx:
      return "5xx";
    case ErrorClass::expect:
      return "expect";
  }
  return "?";
}

int default_connections(const LoadConfig& config) {
  if (config.connections > 0) return config.connections;
  if (config.closed) return 64;
  double peak = 0;
  for (const auto& s : config.stages) peak = std::max({peak, s.rate_start_rps, s.rate_end_rps});
  // Enough for the peak rate at 50 ms per request before requests queue in the driver.
  int n = static_cast<int>(std::ceil(peak / 20.0));
  return std::clamp(n, std::max(2, config.threads), 1024);
}

namespace {

using detail::LogRing;
using detail::Target;

constexpr size_t kInBufBytes = 16384;
constexpr int64_t kScanIntervalNs = 5'000'000;
constexpr int64_t kInterruptGraceNs = 200'000'000;
constexpr int64_t kMaxDrainNs = 3'000'000'000;
constexpr int64_t kConnectErrorBackoffNs = 1'000'000;
constexpr uint16_t kWarmupStage = 0xFFFF;
constexpr rlim_t kSpareFds = 64;  // epoll fds, the log sink, stdio: beyond one per connection

int64_t now_ns() { return static_cast<int64_t>(monotonic_ns()); }

// On EEVDF kernels (6.12+), a SCHED_OTHER thread may ask for a short time
// slice (sched_attr.sched_runtime); a short slice lets the thread preempt on
// wake-up instead of queueing behind a CPU hog, which is what keeps the
// schedule lag small on a busy machine. Unprivileged; ignored where unsupported.
void request_short_slice() {
  struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
  } attr{};
  attr.size = sizeof attr;
  if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0 || attr.sched_policy != 0 /* SCHED_OTHER */)
    return;
  attr.size = sizeof attr;
  attr.sched_flags = 0;
  attr.sched_runtime = 100'000;  // 100 us: the kernel's minimum slice
  (void)syscall(SYS_sched_setattr, 0, &attr, 0);
}

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// Time this thread has spent runnable but waiting for a CPU (the second field
// of /proc/thread-self/schedstat); -1 where the kernel does not keep it.
int64_t thread_runqueue_ns() {
  int fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  unsigned long long run = 0, wait = 0;
  if (std::sscanf(buf, "%llu %llu", &run, &wait) != 2) return -1;
  return static_cast<int64_t>(wait);
}

enum class ConnState : uint8_t { closed, connecting, writing, reading, idle, waiting };

struct Conn {
  int fd = -1;
  uint32_t id = 0;
  uint16_t local_port = 0;
  ConnState state = ConnState::closed;
  bool readable = false;
  bool head = false;
  ResponseParser parser;
  char* buf = nullptr;
  uint32_t buf_len = 0;
  const char* out = nullptr;
  uint32_t out_len = 0, out_off = 0;
  uint32_t step = 0;
  char* keep = nullptr;  // scenarios: where the response is copied (RequestSource::Next::keep)
  uint32_t keep_cap = 0, keep_len = 0;
  bool keep_truncated = false;
  bool arrival = false;  // began a scheduled arrival (not the continuation of a journey)
  int stage = 0;
  int64_t intended = 0, start = 0, connect_start = 0, connect_ns = 0, first_byte = 0, deadline = 0;
  int64_t due = 0;           // when it was meant to go: `intended`, or a closed-model think time's end
  int64_t sent = 0;          // the actual send on an established connection (0: the connection never came up)
  int64_t free_since = 0;    // open model: when it went back on the free stack
  bool driver_late = false;  // late although this connection was free at the intended time
  uint64_t bytes_in = 0;
};

struct StageAcc {
  stats::Histogram latency, service;
  stats::Histogram latency_censored;  // the subset of `latency` that is only a lower bound
  uint64_t requests = 0, errors = 0, late = 0, driver_late = 0, arrivals = 0, censored = 0;
};

class Worker {
 public:
  Worker(int index, const LoadConfig& cfg, const Schedule& sched, const sockaddr_storage& addr,
         socklen_t addr_len, int connections, uint32_t first_conn_id, uint64_t request_limit)
      : index_(index),
        stages_(sched.stages().size()),
        ring_(cfg.sink ? cfg.log_ring_records : 1),
        cfg_(cfg),
        sched_(sched),
        addr_(addr),
        addr_len_(addr_len),
        conns_(static_cast<size_t>(connections)),
        bufs_(static_cast<size_t>(connections) * kInBufBytes),
        free_(static_cast<size_t>(connections)),

        cursor_(sched, cfg.arrival, index, std::max(1, cfg.threads), cfg.seed),
        request_limit_(request_limit) {
    waiting_.reserve(conns_.size());  // never grows past one entry per connection: no allocation later
    for (size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].id = first_conn_id + static_cast<uint32_t>(i);
      conns_[i].buf = bufs_.data() + i * kInBufBytes;
    }
    ok_status_.reset();
    for (int s : cfg.ok_statuses)
      if (s >= 0 && s < 1000) ok_status_.set(static_cast<size_t>(s));
  }

  void run(int64_t t0) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // the default 50 us slack would be the schedule lag
    request_short_slice();
    int64_t cpu0 = thread_cpu_ns();
    int64_t rq0 = thread_runqueue_ns();
    t0_ = t0;
    measure_start_ = t0 + sched_.warmup_ns();
    end_ = t0 + sched_.total_ns();
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) {
      setup_errno_ = errno;
      setup_failed_ = true;
      finished_.store(true, std::memory_order_release);
      return;
    }
    // Every thread starts at the same instant t0, the run's time origin.
    timespec start{t0 / 1'000'000'000, t0 % 1'000'000'000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &start, nullptr) == EINTR) {
    }
    int64_t now = now_ns();
    if (cfg_.closed) {
      for (uint32_t i = 0; i < conns_.size(); ++i) push_waiting(i, now);
    } else {
      for (uint32_t i = 0; i < conns_.size(); ++i)
        free_[free_top_++] = static_cast<uint32_t>(conns_.size() - 1 - i);
      for (auto& c : conns_) c.free_since = t0;
    }
    epoll_event events[256];
    int64_t next_scan = now + kScanIntervalNs;
    bool use_pwait2 = true;
    while (true) {
      now = now_ns();
      if (!stopping_) {
        bool interrupted = cfg_.stop && cfg_.stop->load(std::memory_order_relaxed);
        // What fell due before the end leaves first, even when this thread woke
        // late (a busy machine): it is measured late from its intended time, not
        // censored as never sent — only a request without a free connection is.
        if (!interrupted) dispatch(now);
        if (interrupted || now >= end_ || (request_limit_ && issued_ >= request_limit_))
          begin_stop(now, interrupted);
      }
      if (now >= next_scan) {
        scan(now);
        next_scan = now + kScanIntervalNs;
      }
      if (stopping_ && inflight_ == 0) break;
      if (stopping_ && now >= drain_deadline_) break;
      int64_t wake = std::min(next_scan, stopping_ ? drain_deadline_ : end_);
      if (!stopping_) {
        if (!cfg_.closed && free_top_ > 0 && cursor_.peek() >= 0) wake = std::min(wake, t0_ + cursor_.peek());
        if (!waiting_.empty()) wake = std::min(wake, waiting_.front().ready);
      }
      int64_t before_wait = now_ns();
      int64_t delay = std::max<int64_t>(0, wake - before_wait);
      int n;
      if (use_pwait2) {
        timespec ts{delay / 1'000'000'000, delay % 1'000'000'000};
        n = epoll_pwait2(epoll_.get(), events, 256, &ts, nullptr);
        if (n < 0 && errno == ENOSYS) {
          use_pwait2 = false;
          continue;
        }
      } else {
        // Old kernels: round up to whole milliseconds (never wake early and spin).
        n = epoll_wait(epoll_.get(), events, 256, static_cast<int>((delay + 999'999) / 1'000'000));
      }
      // Idle: blocked with nothing to do. Returning later than asked means the
      // thread waited for a CPU: that counts as busy, it is the driver being late.
      idle_ns_ += std::min(now_ns(), before_wait + delay) - before_wait;
      for (int i = 0; i < n; ++i) handle(conns_[events[i].data.u32], events[i].events);
    }
    // Anything still in flight after the grace period is cancelled: not a
    // completion (no request, no error), but its latency is censored at the
    // time it had waited so far, so the percentiles do not forget it.
    int64_t cancel_at = now_ns();
    for (auto& c : conns_) {
      if (in_request(c)) {
        ++cancelled_;
        if (c.stage >= 0) {
          StageAcc& st = stage_acc(c.stage);
          auto waited = static_cast<uint64_t>(std::max<int64_t>(0, cancel_at - c.intended));
          st.latency.record(waited);
          st.latency_censored.record(waited);
          ++st.censored;
        }
      }
      close_conn(c);
    }
    flush_second();
    int64_t rq1 = thread_runqueue_ns();
    runqueue_ns_ = rq0 >= 0 && rq1 >= rq0 ? rq1 - rq0 : -1;
    cpu_ns_ = thread_cpu_ns() - cpu0;
    wall_ns_ = now_ns() - t0;
    busy_ns_ = std::max<int64_t>(0, wall_ns_ - idle_ns_);
    finished_.store(true, std::memory_order_release);
  }

  // Results, read after join.
  const int index_;
  std::vector<StageAcc> stages_;
  LogRing ring_;
  stats::Histogram lag_;
  stats::TimeSeries ts_;
  uint64_t errors_by_class_[kErrorClassCount] = {};
  uint64_t not_sent_ = 0, cancelled_ = 0, responses_ = 0, warmup_requests_ = 0, local_errors_ = 0;
  std::vector<uint64_t> status_counts_ =
      std::vector<uint64_t>(kStatusCodes, 0);  // measured responses by status
  uint64_t bytes_received_ = 0;                // of measured requests
  // When each error class was first and last seen, and the last success (CLOCK_MONOTONIC; 0: never).
  int64_t error_first_[kErrorClassCount] = {}, error_last_[kErrorClassCount] = {};
  int64_t last_ok_ = 0;
  int connect_errno_ = 0;  // the last connect error's errno (0: none known)
  int64_t cpu_ns_ = 0, wall_ns_ = 0, busy_ns_ = 0, idle_ns_ = 0, runqueue_ns_ = -1;
  int64_t stop_at_ = 0;       // when the stop began (the schedule's end, Ctrl-C or the request bound)
  int64_t last_end_ = 0;      // the last counted (non-warmup) completion; 0: none
  stats::Histogram connect_;  // connect times of connections opened for measured requests
  bool setup_failed_ = false;
  int setup_errno_ = 0;

  // Progress, read by the main thread while running.
  std::atomic<uint64_t> done_{0}, errors_{0}, last_sec_count_{0}, last_sec_p99_ns_{0};
  std::atomic<bool> finished_{false};

 private:
  StageAcc& stage_acc(int stage) { return stages_[std::min(static_cast<size_t>(stage), stages_.size() - 1)]; }

  static bool in_request(const Conn& c) {
    return c.state == ConnState::connecting || c.state == ConnState::writing || c.state == ConnState::reading;
  }

  // A min-heap by ready time: think times may differ per request (random ranges, per-step values).
  struct Waiting {
    uint32_t conn;
    int64_t ready;
    bool operator>(const Waiting& o) const { return ready > o.ready; }
  };

  void push_waiting(uint32_t i, int64_t ready) {
    waiting_.push_back({i, ready});
    std::push_heap(waiting_.begin(), waiting_.end(), std::greater<>());
    conns_[i].state = conns_[i].fd >= 0 ? ConnState::waiting : ConnState::closed;
  }

  Waiting pop_waiting() {
    std::pop_heap(waiting_.begin(), waiting_.end(), std::greater<>());
    Waiting w = waiting_.back();
    waiting_.pop_back();
    return w;
  }

  void begin_stop(int64_t now, bool interrupted) {
    stopping_ = true;
    stop_at_ = now;
    drain_deadline_ = now + (interrupted ? kInterruptGraceNs : std::min(cfg_.timeout_ns, kMaxDrainNs));
    bool bounded = request_limit_ && issued_ >= request_limit_;  // later arrivals were never part of the run
    if (!cfg_.closed && !bounded) {
      // Arrivals that were due but never left: the driver or its connections
      // could not keep up. Each is censored at (stop - intended): it waited at
      // least that long, so it counts in the percentiles; not_sent says how many.
      int64_t horizon = std::min(now, end_) - t0_;
      while (cursor_.peek() >= 0 && cursor_.peek() < horizon) {
        if (cursor_.peek() >= sched_.warmup_ns()) censor_not_sent(t0_ + cursor_.peek(), now);
        cursor_.advance();
      }
      // Journeys whose next step was due before the stop: due, not sent, the same.
      for (const auto& w : waiting_)
        if (w.ready < t0_ + horizon && w.ready >= measure_start_) censor_not_sent(w.ready, now);
    }
  }

  void censor_not_sent(int64_t intended, int64_t now) {
    ++not_sent_;
    StageAcc& st = stage_acc(sched_.stage_at(intended - t0_));
    auto waited = static_cast<uint64_t>(std::max<int64_t>(0, now - intended));
    st.latency.record(waited);
    st.latency_censored.record(waited);
    ++st.censored;
  }

  // Starts what fell due by `now` and before the schedule's end.
  void dispatch(int64_t now) {
    const int64_t due_by = std::min(now, end_ - 1);
    // Closed model: connections whose think time is over. Open model: journeys
    // continuing after their think time; their latency counts from the time the
    // next step was due, so a late step is corrected like a late arrival.
    while (!waiting_.empty() && waiting_.front().ready <= due_by) {
      if (request_limit_ && issued_ >= request_limit_) return;
      Waiting w = pop_waiting();
      Conn& c = conns_[w.conn];
      c.arrival = cfg_.closed;
      c.driver_late = true;  // the connection was the virtual user's all along
      start_request(c, cfg_.closed ? now : w.ready, w.ready, now);
      now = now_ns();
    }
    if (cfg_.closed) return;
    while (free_top_ > 0 && cursor_.peek() >= 0 && t0_ + cursor_.peek() <= due_by) {
      if (request_limit_ && issued_ >= request_limit_) return;
      int64_t intended = t0_ + cursor_.peek();
      cursor_.advance();
      Conn& c = conns_[free_[--free_top_]];
      // Free since before the request was due, yet sent late: the driver fell behind, not the target.
      c.driver_late = c.free_since <= intended;
      c.arrival = true;
      start_request(c, intended, intended, now);
      now = now_ns();
    }
  }

  // `intended` is where the request's latency counts from; `due` is when the
  // driver meant to send it. They differ in the closed model only: a virtual
  // user's latency counts from its actual send, yet a send after its think time
  // ended is the driver's lateness, and the schedule lag shows it.
  void start_request(Conn& c, int64_t intended, int64_t due, int64_t now) {
    ++issued_;
    ++inflight_;
    c.intended = intended;
    c.due = due;
    c.start = now;
    c.first_byte = 0;
    c.bytes_in = 0;
    c.connect_ns = 0;
    c.sent = 0;
    c.deadline = now + cfg_.timeout_ns;
    c.stage = sched_.stage_at(intended - t0_);
    ResponseParser::BodyObserver* observer = nullptr;
    if (cfg_.source) {
      auto next = cfg_.source->next(static_cast<uint32_t>(index_), c.id);
      observer = next.body;
      c.out = next.bytes.data();
      c.out_len = static_cast<uint32_t>(next.bytes.size());
      c.head = next.head;
      c.step = next.step;
      c.keep = next.keep;
      c.keep_cap = next.keep ? next.keep_capacity : 0;
    } else {
      c.out = cfg_.request.data();
      c.out_len = static_cast<uint32_t>(cfg_.request.size());
      c.head = cfg_.head_request;
      c.step = 0;
      c.keep = nullptr;
      c.keep_cap = 0;
    }
    c.keep_len = 0;
    c.keep_truncated = false;
    c.out_off = 0;
    c.parser.reset(c.head);
    c.parser.observe_body(observer);
    if (c.fd < 0) {
      connect_conn(c, now);
      return;
    }
    c.state = ConnState::writing;
    c.sent = now;
    do_write(c);
  }

  void connect_conn(Conn& c, int64_t now) {
    c.connect_start = now;
    c.buf_len = 0;
    c.readable = false;
    c.state = ConnState::connecting;
    int fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      // The driver's own failure (EMFILE: more connections than descriptors):
      // the request fails as a connect error, and is counted apart as local.
      ++local_errors_;
      complete(c, 0, ErrorClass::connect);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = static_cast<uint32_t>(&c - conns_.data());
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      // Unwatched, the request would only ever end by its timeout: fail it now.
      ++local_errors_;
      complete(c, 0, ErrorClass::connect);
      return;
    }
    int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (r == 0)
      on_connected(c);
    else if (errno != EINPROGRESS) {
      connect_errno_ = errno;
      complete(c, 0, ErrorClass::connect);
    }
  }

  void on_connected(Conn& c) {
    int64_t now = now_ns();
    c.connect_ns = now - c.connect_start;
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (getsockname(c.fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      c.local_port = local.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                                                 : ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    }
    c.state = ConnState::writing;
    c.sent = now;  // service time starts here, with the connection up
    do_write(c);
  }

  void do_write(Conn& c) {
    while (c.out_off < c.out_len) {
      ssize_t n = ::send(c.fd, c.out + c.out_off, c.out_len - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<uint32_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT resumes
      complete(c, 0, ErrorClass::reset);
      return;
    }
    c.state = ConnState::reading;
    // Bytes that arrived before or during the write (edge-triggered: no new event will come).
    if (c.buf_len > 0 && process_buffer(c)) return;
    if (c.readable) do_read(c);
  }

  // Feeds buffered bytes to the parser; true when the request completed.
  bool process_buffer(Conn& c) {
    size_t used = c.parser.feed(c.buf, c.buf_len);
    if (c.keep && used) {
      size_t n = std::min<size_t>(used, c.keep_cap - c.keep_len);
      std::memcpy(c.keep + c.keep_len, c.buf, n);
      c.keep_len += static_cast<uint32_t>(n);
      c.keep_truncated |= n < used;
    }
    if (c.parser.done()) {
      size_t left = c.buf_len - used;
      if (left) std::memmove(c.buf, c.buf + used, left);
      c.buf_len = static_cast<uint32_t>(left);
      complete(c, c.parser.status(), ErrorClass::none);
      return true;
    }
    if (c.parser.failed()) {
      c.buf_len = 0;
      complete(c, c.parser.status(), ErrorClass::read);
      return true;
    }
    c.buf_len = 0;  // in progress: the parser took everything
    return false;
  }

  void do_read(Conn& c) {
    while (true) {
      ssize_t n = ::read(c.fd, c.buf + c.buf_len, kInBufBytes - c.buf_len);
      if (n > 0) {
        if (c.first_byte == 0) c.first_byte = now_ns();
        c.bytes_in += static_cast<uint64_t>(n);
        c.buf_len += static_cast<uint32_t>(n);
        if (process_buffer(c)) return;
        continue;
      }
      if (n == 0) {
        c.parser.on_eof();
        if (c.parser.done())
          complete(c, c.parser.status(), ErrorClass::none);
        else
          complete(c, c.parser.status(), c.bytes_in ? ErrorClass::read : ErrorClass::reset);
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c.readable = false;
        return;
      }
      complete(c, c.parser.status(), errno == ECONNRESET ? ErrorClass::reset : ErrorClass::read);
      return;
    }
  }

  // Bytes or a close on a connection with no request: remember the bytes, notice the close.
  void read_idle(Conn& c) {
    while (c.fd >= 0) {
      if (c.buf_len == kInBufBytes) {
        close_conn(c);
        return;
      }
      ssize_t n = ::read(c.fd, c.buf + c.buf_len, kInBufBytes - c.buf_len);
      if (n > 0) {
        c.buf_len += static_cast<uint32_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      close_conn(c);  // the server closed an idle keep-alive connection: reconnect on next use
      return;
    }
  }

  void handle(Conn& c, uint32_t ev) {
    if (c.fd < 0) return;
    if (c.state == ConnState::connecting) {
      if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err || (ev & (EPOLLERR | EPOLLHUP)) == (EPOLLERR | EPOLLHUP)) {
        if (err) connect_errno_ = err;
        complete(c, 0, ErrorClass::connect);
        return;
      }
      c.readable = (ev & EPOLLIN) != 0;
      on_connected(c);
      return;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.readable = true;
    if (c.state == ConnState::writing) {
      if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) do_write(c);
      return;
    }
    if (c.state == ConnState::reading) {
      if (c.readable) do_read(c);
      return;
    }
    if (c.readable) read_idle(c);
  }

  void close_conn(Conn& c) {
    if (c.fd >= 0) {
      ::close(c.fd);  // epoll forgets a closed fd by itself
      c.fd = -1;
    }
    c.buf_len = 0;
    c.readable = false;
    c.local_port = 0;
  }

  void scan(int64_t now) {
    for (auto& c : conns_) {
      if (in_request(c) && now >= c.deadline) complete(c, 0, ErrorClass::timeout);
    }
    if (now >= measure_start_) {
      auto sec = static_cast<uint32_t>((now - measure_start_) / 1'000'000'000);
      if (sec != cur_sec_) flush_second(), cur_sec_ = sec;
    }
  }

  void flush_second() {
    if (sec_requests_ == 0 && sec_errors_ == 0) return;
    ts_.add_second(cur_sec_, sec_hist_, sec_requests_, sec_errors_, sec_late_);
    last_sec_count_.store(sec_requests_, std::memory_order_relaxed);
    last_sec_p99_ns_.store(sec_hist_.value_at_quantile(0.99), std::memory_order_relaxed);
    sec_hist_.reset();
    sec_requests_ = sec_errors_ = sec_late_ = 0;
  }

  void complete(Conn& c, int status, ErrorClass err) {
    int64_t end = now_ns();
    --inflight_;
    if (err == ErrorClass::none && status >= 400 &&
        !ok_status_.test(static_cast<size_t>(std::min(status, 999))))
      err = status >= 500 ? ErrorClass::status_5xx : ErrorClass::status_4xx;
    bool responded = status >= 100 && (err == ErrorClass::none || err == ErrorClass::status_4xx ||
                                       err == ErrorClass::status_5xx);
    if (responded) ++responses_;
    bool warmup = c.stage < 0;
    RequestSource::After after{err, false, cfg_.think_time_ns};
    if (cfg_.source) {
      RequestSource::Response resp;
      resp.status = status;
      resp.error = err;
      resp.bytes = std::string_view(c.keep ? c.keep : "", c.keep_len);
      resp.truncated = c.keep_truncated;
      resp.warmup = warmup;
      resp.intended_ns = c.intended;
      resp.start_ns = c.start;
      resp.end_ns = end;
      after = cfg_.source->on_response(static_cast<uint32_t>(index_), c.id, resp);
      err = after.error;
    }
    if (warmup) {
      ++warmup_requests_;
    } else {
      bool late = c.start - c.intended > kLateStartNs;
      bool is_error = err != ErrorClass::none;
      lag_.record(static_cast<uint64_t>(std::max<int64_t>(0, c.start - c.due)));
      StageAcc& st = stage_acc(c.stage);
      ++st.requests;
      st.errors += is_error;
      st.late += late;
      st.driver_late += late && c.driver_late;
      st.arrivals += c.arrival;
      // Every completion counts, failures included: a timed-out, reset or
      // refused request took at least until it failed, from its intended start.
      // A timeout is censored: the client gave up, the true latency is longer.
      auto latency = static_cast<uint64_t>(std::max<int64_t>(0, end - c.intended));
      st.latency.record(latency);
      if (err == ErrorClass::timeout) st.latency_censored.record(latency);
      if (c.sent > 0) st.service.record(static_cast<uint64_t>(std::max<int64_t>(0, end - c.sent)));
      if (c.connect_ns > 0) connect_.record(static_cast<uint64_t>(c.connect_ns));
      last_end_ = std::max(last_end_, end);
      if (is_error) {
        const int k = static_cast<int>(err);
        ++errors_by_class_[k];
        if (!error_first_[k]) error_first_[k] = end;
        error_last_[k] = end;
      } else {
        last_ok_ = end;
      }
      if (status >= 100 && status < kStatusCodes) ++status_counts_[static_cast<size_t>(status)];
      bytes_received_ += c.bytes_in;
      auto sec = static_cast<uint32_t>(std::max<int64_t>(0, end - measure_start_) / 1'000'000'000);
      if (sec != cur_sec_) {
        flush_second();
        cur_sec_ = sec;
      }
      ++sec_requests_;
      sec_errors_ += is_error;
      sec_late_ += late;
      sec_hist_.record(static_cast<uint64_t>(std::max<int64_t>(0, end - c.intended)));
      done_.store(done_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      if (is_error) errors_.store(errors_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    if (cfg_.sink) {
      RequestRecord r;
      r.intended_ns = c.intended;
      r.start_ns = c.start;
      r.connect_ns = c.connect_ns;
      r.first_byte_ns = c.first_byte;
      r.end_ns = end;
      r.bytes_in = c.bytes_in;
      r.bytes_out = c.out_off;
      r.connection_id = c.id;
      r.status = static_cast<uint16_t>(status);
      r.local_port = c.local_port;
      r.stage = warmup ? kWarmupStage : static_cast<uint16_t>(c.stage);
      r.error = err;
      r.worker = static_cast<uint8_t>(index_);
      r.scenario_step = c.step;
      ring_.push(r);
    }
    bool reuse = err != ErrorClass::connect && err != ErrorClass::timeout && err != ErrorClass::reset &&
                 err != ErrorClass::read && cfg_.keep_alive && c.parser.keep_alive();
    if (!reuse) close_conn(c);
    c.state = c.fd >= 0 ? ConnState::idle : ConnState::closed;
    uint32_t idx = static_cast<uint32_t>(&c - conns_.data());
    if (cfg_.closed) {
      int64_t ready = end + after.think_ns;
      if (err == ErrorClass::connect) ready += kConnectErrorBackoffNs;  // a refused port would spin otherwise
      push_waiting(idx, ready);
    } else if (after.more && !stopping_) {
      push_waiting(idx, end + after.think_ns);  // the journey's next step, on the same connection
    } else {
      c.free_since = end;
      free_[free_top_++] = idx;
    }
  }

  const LoadConfig& cfg_;
  const Schedule& sched_;
  sockaddr_storage addr_;
  socklen_t addr_len_;
  UniqueFd epoll_;
  std::vector<Conn> conns_;
  std::vector<char> bufs_;
  std::vector<uint32_t> free_;
  size_t free_top_ = 0;
  std::vector<Waiting> waiting_;  // connections waiting out a think time (closed model, or journeys)
  ArrivalCursor cursor_;
  std::bitset<1000> ok_status_;
  int64_t t0_ = 0, measure_start_ = 0, end_ = 0, drain_deadline_ = 0;
  bool stopping_ = false;
  uint64_t issued_ = 0, inflight_ = 0;
  uint64_t request_limit_;
  stats::Histogram sec_hist_;
  uint32_t cur_sec_ = 0;
  uint64_t sec_requests_ = 0, sec_errors_ = 0, sec_late_ = 0;
};

}  // namespace

Result<LoadResult> run_load(const LoadConfig& config_in, const ProgressFn& progress) {
  LoadConfig cfg = config_in;
  if (cfg.stages.empty()) return make_error(ErrorKind::usage, "no stages: give --duration or --stages");
  if (cfg.threads < 1) return make_error(ErrorKind::usage, "--threads must be at least 1");
  if (cfg.timeout_ns <= 0) return make_error(ErrorKind::usage, "--timeout must be positive");
  if (!cfg.source && cfg.request.empty()) return make_error(ErrorKind::usage, "empty request");
  int connections = default_connections(cfg);
  cfg.threads = std::min(cfg.threads, connections);
  if (cfg.threads > 255) cfg.threads = 255;
  Schedule sched(cfg.stages, cfg.warmup_ns);
  LoadResult result;
  // Many connections need many descriptors: lift the soft limit to the hard one,
  // and say so when even that is not enough (the connections past it would fail
  // as local connect errors, counted in local_errors).
  const auto wanted = static_cast<rlim_t>(connections) + kSpareFds;
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) {
    result.warnings.push_back(std::string("cannot read the open-file limit (getrlimit: ") +
                              std::strerror(errno) + ")");
  } else if (files.rlim_cur < wanted) {
    rlim_t soft = files.rlim_cur;
    if (files.rlim_cur < files.rlim_max) {
      rlimit raised = files;
      raised.rlim_cur = files.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) soft = raised.rlim_cur;
    }
    if (soft < wanted) {
      result.warnings.push_back(
          std::to_string(connections) + " connections need about " + std::to_string(wanted) +
          " file descriptors, but the open-file limit is " + std::to_string(soft) + " (hard " +
          std::to_string(files.rlim_max) +
          "): connections past it fail as local connect errors (raise it with ulimit -n)");
    }
  }
  LOADPROF_TRY(target, detail::resolve(cfg.url));
  LOADPROF_CHECK(detail::probe(target, cfg.url, cfg.timeout_ns));

  std::vector<std::unique_ptr<Worker>> workers;
  uint32_t conn_id = 0;
  for (int i = 0; i < cfg.threads; ++i) {
    int n = connections / cfg.threads + (i < connections % cfg.threads ? 1 : 0);
    uint64_t limit = 0;
    if (cfg.max_requests) {
      limit = cfg.max_requests / static_cast<uint64_t>(cfg.threads) +
              (static_cast<uint64_t>(i) < cfg.max_requests % static_cast<uint64_t>(cfg.threads) ? 1 : 0);
      if (limit == 0) continue;
    }
    workers.push_back(std::make_unique<Worker>(i, cfg, sched, target.addr, target.len, n, conn_id, limit));
    conn_id += static_cast<uint32_t>(n);
  }
  result.closed = cfg.closed;
  result.connections = connections;
  int64_t t0 = now_ns() + 1'000'000;  // a moment for the threads to start
  result.start_monotonic_ns = t0;
  {
    detail::LogThread<Worker> log_thread(cfg.sink, workers);
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back([&w, t0] { w->run(t0); });
    int64_t next_progress = t0 + 1'000'000'000;
    while (true) {
      bool all_done = true;
      for (auto& w : workers) all_done &= w->finished_.load(std::memory_order_acquire);
      if (all_done) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      int64_t now = now_ns();
      if (progress && now >= next_progress) {
        next_progress += 1'000'000'000;
        Progress p;
        p.elapsed_s = static_cast<double>(now - t0) / 1e9;
        uint64_t p99 = 0;
        for (auto& w : workers) {
          p.requests += w->done_.load(std::memory_order_relaxed);
          p.errors += w->errors_.load(std::memory_order_relaxed);
          p.last_second_rps += static_cast<double>(w->last_sec_count_.load(std::memory_order_relaxed));
          p99 = std::max(p99, w->last_sec_p99_ns_.load(std::memory_order_relaxed));
        }
        p.last_second_p99_ms = static_cast<double>(p99) / 1e6;  // the worst thread's: an upper bound
        p.stage = sched.stage_at(now - t0);
        progress(p);
      }
    }
    for (auto& t : threads) t.join();
    log_thread.finish();
    result.log_records = log_thread.records();
  }
  for (auto& w : workers)
    if (w->setup_failed_) return errno_error(ErrorKind::internal, "epoll_create1", w->setup_errno_);

  // Merge: plain additions, after the join, so no lock was ever needed.
  const auto& stages = sched.stages();
  result.stages.resize(stages.size());
  for (size_t i = 0; i < stages.size(); ++i) {
    result.stages[i].start_ns = sched.stage_start_ns(static_cast<int>(i)) - sched.warmup_ns();
    result.stages[i].duration_ns = stages[i].duration_ns;
    result.stages[i].rate_start_rps = stages[i].rate_start_rps;
    result.stages[i].rate_end_rps = stages[i].rate_end_rps;
  }
  int64_t stop_at = 0, last_end = 0;
  for (auto& w : workers) {
    result.schedule_lag.merge(w->lag_);
    result.timeseries.merge(w->ts_);
    for (int k = 0; k < kErrorClassCount; ++k) result.errors_by_class[k] += w->errors_by_class_[k];
    result.not_sent += w->not_sent_;
    result.cancelled += w->cancelled_;
    result.responses += w->responses_;
    result.local_errors += w->local_errors_;
    result.bytes_received += w->bytes_received_;
    for (int code = 0; code < kStatusCodes; ++code)
      if (w->status_counts_[static_cast<size_t>(code)])
        result.status_counts[code] += w->status_counts_[static_cast<size_t>(code)];
    for (int k = 0; k < kErrorClassCount; ++k) {
      if (!w->error_first_[k]) continue;
      int64_t first = w->error_first_[k] - t0 - sched.warmup_ns(),
              last = w->error_last_[k] - t0 - sched.warmup_ns();
      if (result.error_first_ns[k] < 0 || first < result.error_first_ns[k]) result.error_first_ns[k] = first;
      result.error_last_ns[k] = std::max(result.error_last_ns[k], last);
    }
    if (w->last_ok_) result.last_ok_ns = std::max(result.last_ok_ns, w->last_ok_ - t0 - sched.warmup_ns());
    if (w->connect_errno_) result.connect_errno = w->connect_errno_;
    result.connect.merge(w->connect_);
    stop_at = std::max(stop_at, w->stop_at_ - t0);
    if (w->last_end_ > 0) last_end = std::max(last_end, w->last_end_ - t0);
    result.warmup_requests += w->warmup_requests_;
    result.log_dropped += w->ring_.dropped.load();
    result.threads.push_back({w->cpu_ns_, w->wall_ns_, w->busy_ns_, w->runqueue_ns_});
    for (size_t i = 0; i < stages.size(); ++i) {
      auto& s = result.stages[i];
      auto& a = w->stages_[i];
      s.requests += a.requests;
      s.errors += a.errors;
      s.late_starts += a.late;
      s.arrivals += a.arrivals;
      s.censored += a.censored;
      result.driver_late_starts += a.driver_late;
      s.latency.merge(a.latency);
      s.latency_censored.merge(a.latency_censored);
      s.service.merge(a.service);
    }
  }
  for (auto& s : result.stages) {
    result.requests += s.requests;
    result.errors += s.errors;
    result.late_starts += s.late_starts;
    result.arrivals += s.arrivals;
    result.censored += s.censored;
    result.latency.merge(s.latency);
    result.latency_censored.merge(s.latency_censored);
    result.service.merge(s.service);
  }
  result.interrupted = cfg.stop && cfg.stop->load();
  // The measured span: from the end of the warmup to the stop (the schedule's
  // end, Ctrl-C or the request bound), or to the last response counted when
  // that came later, in the drain: completions are divided by the time they
  // really took, never by a nominal duration they overran.
  result.scheduled_ns = std::max<int64_t>(0, std::min(stop_at, sched.total_ns()) - sched.warmup_ns());
  int64_t measured_end = std::max(std::min(stop_at, sched.total_ns()), last_end);
  result.duration_ns = std::max<int64_t>(0, measured_end - sched.warmup_ns());
  for (size_t i = 0; i < result.stages.size(); ++i) {
    // A stage lasted until the stop when the run stopped in it; the last stage
    // until the last response counted.
    auto& s = result.stages[i];
    if (i + 1 == result.stages.size() || s.start_ns + s.duration_ns > result.duration_ns)
      s.duration_ns = std::max<int64_t>(0, result.duration_ns - s.start_ns);
  }
  if (!cfg.closed) {
    size_t secs = static_cast<size_t>((result.duration_ns + 999'999'999) / 1'000'000'000);
    for (size_t s = 0; s < secs; ++s) {
      int64_t from = sched.warmup_ns() + static_cast<int64_t>(s) * 1'000'000'000;
      result.requested_rps.push_back(sched.arrivals_between(from, from + 1'000'000'000));
    }
  }
  const bool connected = result.errors_by_class[static_cast<int>(ErrorClass::connect)] < result.requests;
  if (result.responses == 0 && !result.interrupted && result.warmup_requests + result.requests > 0 &&
      (cfg.answer_required || !connected)) {
    std::string where = cfg.url.host + ":" + std::to_string(cfg.url.port);
    return make_error(ErrorKind::target_gone,
                      "no response from " + where + " (" +
                          std::to_string(result.errors_by_class[static_cast<int>(ErrorClass::connect)]) +
                          " connect errors, " +
                          std::to_string(result.errors_by_class[static_cast<int>(ErrorClass::timeout)]) +
                          " timeouts, " + std::to_string(result.cancelled) + " unanswered at the end)");
  }
  return result;
}

Saturation judge_saturation(const LoadResult& r, const Schedule& schedule) {
  Saturation s;
  bool runqueue_known = !r.threads.empty();
  int64_t cpu_total = 0, runqueue_total = 0;
  for (const auto& t : r.threads) {
    if (t.wall_ns <= 0) continue;
    auto wall = static_cast<double>(t.wall_ns);
    s.max_thread_cpu_pct = std::max(s.max_thread_cpu_pct, 100.0 * static_cast<double>(t.cpu_ns) / wall);
    s.max_thread_busy_pct = std::max(s.max_thread_busy_pct, 100.0 * static_cast<double>(t.busy_ns) / wall);
    s.max_thread_runqueue_pct = std::max(
        s.max_thread_runqueue_pct, 100.0 * static_cast<double>(std::max<int64_t>(0, t.runqueue_ns)) / wall);
    runqueue_known &= t.runqueue_ns >= 0;
    cpu_total += t.cpu_ns;
    runqueue_total += std::max<int64_t>(0, t.runqueue_ns);
  }
  // Starved: the driver's threads waited for a CPU (other work had them), and
  // none ran for half of one. A driver at its own limit runs most of the time.
  bool light = runqueue_known && runqueue_total > 0 && s.max_thread_cpu_pct < 50.0;
  // Busy = not waiting in epoll: running, or runnable but starved of a CPU by
  // other work on the machine. Either way the driver, not the target, was late.
  bool driver_busy = s.max_thread_busy_pct >= 85.0;
  char buf[512];
  auto say_starved = [&](const char* what) {
    s.starved = true;
    std::snprintf(
        buf, sizeof buf,
        "the driver's machine was busy, %s: the driver's threads waited for a CPU up to %.0f%% of the "
        "time and used at most %.0f%% of one, so its late sends measure the machine, not the target "
        "(free CPUs on the driver's machine; more --threads will not help)",
        what, s.max_thread_runqueue_pct, s.max_thread_cpu_pct);
    s.message = buf;
  };
  if (r.closed) {
    if (driver_busy && light && runqueue_total > cpu_total) {
      s.limited_by = "driver";
      say_starved("the driver may have been the limit");
    } else if (driver_busy) {
      s.limited_by = "driver";
      std::snprintf(
          buf, sizeof buf,
          "the driver, not the target, may have been the limit: its busiest thread was busy %.0f%% of "
          "the time and used %.0f%% of a CPU (add --threads, or free CPUs on the driver's machine)",
          s.max_thread_busy_pct, s.max_thread_cpu_pct);
      s.message = buf;
    }
    return s;
  }
  double requested = schedule.arrivals_between(schedule.warmup_ns(), schedule.warmup_ns() + r.duration_ns);
  double achieved = static_cast<double>(r.arrivals);  // journeys: their later steps are no arrivals
  s.achieved_pct = requested > 0 ? 100.0 * achieved / requested : 100.0;
  double late_pct =
      r.requests ? 100.0 * static_cast<double>(r.late_starts) / static_cast<double>(r.requests) : 0;
  if (s.achieved_pct >= 95.0 && late_pct <= 1.0) return s;
  double driver_late_share =
      r.late_starts ? static_cast<double>(r.driver_late_starts) / static_cast<double>(r.late_starts) : 0;
  // A starved driver also looks like a busy target: a response it has not yet
  // read keeps its connection "busy". When the threads' wait for a CPU could
  // account for the lateness (at least a quarter of the summed schedule lag),
  // the machine is named, whatever the connections looked like; a target that
  // cannot keep up piles up far more lag than any run-queue wait.
  double lag_total_ns = r.schedule_lag.mean_ns() * static_cast<double>(r.schedule_lag.count());
  if (light && static_cast<double>(runqueue_total) >= 0.25 * lag_total_ns) {
    s.limited_by = "driver";
    char what[160];
    std::snprintf(what, sizeof what, "%.1f%% of the requested rate achieved, %.1f%% late starts",
                  s.achieved_pct, late_pct);
    say_starved(what);
    return s;
  }
  if (driver_busy || driver_late_share > 0.5) {
    s.limited_by = "driver";
    std::snprintf(
        buf, sizeof buf,
        "the driver, not the target, was the limit: %.1f%% of the requested rate achieved, %.1f%% late "
        "starts, %.0f%% of them with a connection free; its busiest thread was busy %.0f%% of the time "
        "and used %.0f%% of a CPU (add --threads, or free CPUs on the driver's machine)",
        s.achieved_pct, late_pct, 100.0 * driver_late_share, s.max_thread_busy_pct, s.max_thread_cpu_pct);
  } else {
    s.limited_by = "target";
    std::snprintf(
        buf, sizeof buf,
        "the target could not keep up: %.1f%% of the requested rate achieved, %.1f%% late starts "
        "(all %d connections busy), while the driver's busiest thread was busy only %.0f%% of the time; "
        "if the target can serve more requests at once, raise --connections (now %d)",
        s.achieved_pct, late_pct, r.connections, s.max_thread_busy_pct, r.connections);
  }
  s.message = buf;
  return s;
}

}  // namespace loadprof::load
