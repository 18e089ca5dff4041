// bench: load and record in one process (bench.h).
#include "loadprof/bench/bench.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "loadprof/load/listener_wait.h"
#include "loadprof/util/clock.h"
#include "request_log_queue.h"

namespace loadprof::bench {
namespace {

// Request records the queue may hold between two flushes of the capture (about
// a second apart): ~56 MiB, 10 s of 100,000 req/s. Beyond it they are dropped and counted.
constexpr size_t kQueueRecords = 1u << 20;

// A process that is gone or a zombie (exited, not reaped yet) will never listen.
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return true;
  char state = text[paren + 2];
  return state == 'Z' || state == 'X';
}

// The recorder thread's state, as the load side sees it.
struct RecorderState {
  std::mutex mutex;
  std::condition_variable changed;
  bool started = false;
  bool ended = false;
  std::vector<pid_t> targets;
  std::optional<Result<record::RecordSummary>> result;
};

}  // namespace

capture::LoadRun describe_load_run(const load::LoadConfig& config, const load::LoadResult& result,
                                   std::string summary_json, std::string table) {
  capture::LoadRun run;
  run.summary_json = std::move(summary_json);
  run.table = std::move(table);
  const uint64_t measured_start = static_cast<uint64_t>(result.start_monotonic_ns + config.warmup_ns);
  run.measured_start_ns = measured_start;
  run.measured_end_ns = measured_start + static_cast<uint64_t>(std::max<int64_t>(result.duration_ns, 0));
  const uint64_t scheduled_end =
      measured_start + static_cast<uint64_t>(std::max<int64_t>(result.scheduled_ns, 0));
  for (const auto& st : result.stages) {
    capture::LoadStageSpan span;
    span.start_ns = measured_start + static_cast<uint64_t>(std::max<int64_t>(st.start_ns, 0));
    span.end_ns = std::min(span.start_ns + static_cast<uint64_t>(std::max<int64_t>(st.duration_ns, 0)),
                           std::max(scheduled_end, span.start_ns));
    run.stages.push_back(span);
  }
  run.log_records = result.log_records;
  run.log_dropped = result.log_dropped;
  return run;
}

Result<BenchResult> run_bench(BenchOptions options, const LoadFn& run_load, const std::atomic<bool>& stop,
                              const std::function<void(double)>& target_cpu) {
  detail::RequestLogQueue queue(kQueueRecords);
  RecorderState state;
  std::atomic<bool> finish{false};
  std::mutex run_mutex;
  std::optional<capture::LoadRun> load_run;  // under run_mutex, set once the load is done

  record::RecordOptions& ro = options.record;
  const bool launched = !ro.command.empty();
  ro.give_terminal = false;  // Ctrl-C stops the load first, then the target
  ro.caller_ends = true;
  ro.finish = &finish;
  ro.finish_reason = "load finished";
  ro.on_started = [&](const std::vector<pid_t>& targets) {
    std::lock_guard<std::mutex> lock(state.mutex);
    state.started = true;
    state.targets = targets;
    state.changed.notify_all();
  };
  ro.on_flush = [&](capture::CaptureWriter& writer) {
    queue.drain_into(writer);
    std::lock_guard<std::mutex> lock(run_mutex);
    if (load_run) writer.set_load_run(*load_run);
  };
  // The targets' CPU: the recorder's last /proc reading (all their threads' CPU time).
  auto user_progress = ro.progress;
  ro.progress = [&, user_progress](const record::RecordProgress& p) {
    if (user_progress) user_progress(p);
    if (target_cpu && p.phase == record::RecordProgress::Phase::recording && p.target_cpu_pct)
      target_cpu(*p.target_cpu_pct);
  };

  // The recorder hears Ctrl-C only once the load has stopped and handed over
  // its last requests and its summary: they belong in the capture.
  std::atomic<bool> interrupted{false};
  std::thread recorder([&] {
    auto r = record::run_record(ro, interrupted);
    std::lock_guard<std::mutex> lock(state.mutex);
    state.result = std::move(r);
    state.ended = true;
    state.changed.notify_all();
  });
  auto end_recording = [&]() -> Result<record::RecordSummary> {
    if (stop.load())
      interrupted.store(true);
    else
      finish.store(true);
    recorder.join();
    return std::move(*state.result);
  };

  {
    std::unique_lock<std::mutex> lock(state.mutex);
    state.changed.wait(lock, [&] { return state.started || state.ended; });
    if (!state.started) {
      lock.unlock();
      recorder.join();
      return state.result->error();  // nothing was recorded: a bad pid, no permission, a command not found
    }
  }
  BenchResult out;
  out.targets = state.targets;

  if (launched && !out.targets.empty()) {
    const pid_t pid = out.targets.front();
    auto waited = load::wait_for_listener(options.url, options.listen_timeout_ns,
                                          [&] { return stop.load() || process_gone(pid); });
    if (!waited.ok()) {
      const bool exited = process_gone(pid);  // before the recording's end stops it
      auto recorded = end_recording();
      if (stop.load() && recorded.ok()) {
        out.record = std::move(*recorded);
        return out;  // interrupted while waiting: the capture is kept, marked so
      }
      std::string why = waited.error().message;
      if (exited) why = "the command exited before it accepted connections (" + why + ")";
      return make_error(ErrorKind::target_gone, why);
    }
    out.listen_wait_ns = *waited;
  }

  auto ran = run_load(queue);
  if (ran.ok()) {
    // The driver's log thread has handed over everything: the queue's counts are final. Every run's
    // records count (a capacity search runs one per step; its summary is the best step's).
    ran->log_records = std::max(ran->log_records, queue.received());
    ran->log_dropped += queue.dropped();
    std::lock_guard<std::mutex> lock(run_mutex);
    load_run = std::move(*ran);
  }
  auto recorded = end_recording();
  if (!recorded.ok()) return recorded.error();
  if (!ran.ok()) return ran.error();
  out.record = std::move(*recorded);
  out.requests_written = queue.written();
  out.requests_dropped = load_run ? load_run->log_dropped : queue.dropped();
  return out;
}

}  // namespace loadprof::bench
