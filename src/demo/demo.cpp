// loadprof demo: the service under the recorder, the staged load through the
// bench library, the report directory (demo.h).
#include "loadprof/demo/demo.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>

#include "loadprof/collect/run_as.h"
#include "loadprof/load/scenario.h"
#include "loadprof/load/summary.h"
#include "loadprof/stats/slo.h"
#include "loadprof/util/fd.h"

namespace loadprof::demo {
namespace {

namespace fs = std::filesystem;

// Every probe: the alloc probe takes the launched service through its
// preload library (sampled, cheap).
const std::vector<std::string> kProbes = {"cpu", "offcpu", "io", "alloc"};
// The service keeps 1 KiB per /session request, a few hundred KiB a minute:
// at the default 512 KiB mean period the leak would be one sample or none; at
// 4 KiB it is about a hundred (the service allocates little, so this costs
// nothing measurable).
constexpr uint64_t kAllocSampleBytes = 4096;

// Judged, not enforced: the report's SLO table and per-stage verdicts show the spike breaking it.
constexpr const char* kSlo = "p99<50ms,errors<1%";

// A loopback port free right now (the service binds it a moment later).
Result<int> free_loopback_port() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error(ErrorKind::internal, std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return make_error(ErrorKind::internal, std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
  return static_cast<int>(ntohs(addr.sin_port));
}

// The service writes into `dir` as the user the recorder runs it as (under
// sudo: the invoking user, not root).
Result<void> make_service_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::io, "create " + dir + ": " + ec.message());
  auto run_as = collect::resolve_run_as(collect::run_as_source_from_environment(""));
  if (!run_as.ok()) return run_as.error();
  if (*run_as && chown(dir.c_str(), (*run_as)->uid, (*run_as)->gid) != 0)
    return make_error(ErrorKind::io, "chown " + dir + ": " + std::strerror(errno));
  return {};
}

}  // namespace

Result<std::string> find_service() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return make_error(ErrorKind::internal, "readlink /proc/self/exe: " + ec.message());
  const std::string path = (exe.parent_path() / kServiceName).string();
  if (access(path.c_str(), X_OK) != 0)
    return make_error(ErrorKind::target_gone, "the demo service is not next to loadprof: " + path + ": " +
                                                  std::strerror(errno) +
                                                  " (it is built with loadprof: cmake --build build)");
  return path;
}

Result<DemoRun> run_demo(const DemoOptions& options) {
  LOADPROF_TRY(stages, demo_stages(options.duration_ns));
  std::string service = options.service_path;
  if (service.empty()) {
    LOADPROF_TRY(found, find_service());
    service = found;
  }
  DemoRun run;
  run.report_dir = options.output_dir;
  run.capture_path = (fs::path(options.output_dir) / "demo.lpc").string();
  const std::string service_dir = (fs::path(options.output_dir) / "service").string();
  run.truth_path = (fs::path(service_dir) / "ground-truth.txt").string();
  LOADPROF_CHECK(make_service_dir(service_dir));
  std::error_code ec;
  fs::remove(run.truth_path, ec);  // a previous run's must not pass for this one's

  LOADPROF_TRY(port, free_loopback_port());
  LOADPROF_TRY(scenario, load::parse_scenario(demo_scenario_json(port), options.output_dir));
  LOADPROF_TRY(slo, stats::parse_slo(kSlo));

  load::LoadConfig config;
  config.url = scenario.base;
  config.stages = stages;
  config.stop = options.stop;
  auto source = std::make_unique<load::ScenarioSource>(scenario, config.keep_alive, false, config.seed);
  config.source = source.get();
  {
    double peak = 0;
    for (const auto& st : config.stages) peak = std::max({peak, st.rate_start_rps, st.rate_end_rps});
    config.connections = source->suggested_connections(peak);
    source->prepare(config.threads, load::default_connections(config));
  }

  bench::BenchOptions bo;
  bo.url = config.url;
  auto& ro = bo.record;
  ro.command = {service,     "--port",  std::to_string(port), "--data-dir",
                service_dir, "--truth", run.truth_path};
  ro.probes = kProbes;
  ro.alloc_sample_bytes = kAllocSampleBytes;
  ro.frequency_hz = options.frequency_hz;
  ro.output_path = run.capture_path;
  ro.command_line = options.command_line;
  ro.hurry = options.hurry;

  load::ScenarioReport scenario_report;
  auto run_load = [&](load::RequestSink& sink) -> Result<capture::LoadRun> {
    config.sink = &sink;
    load::ProgressFn progress;
    if (options.progress)
      progress = [&](const load::Progress& p) { options.progress(p, config.stages.size()); };
    LOADPROF_TRY(result, load::run_load(config, progress));
    scenario_report.steps = source->step_results();
    scenario_report.journeys = source->journeys_started();
    auto summary = load::summarize(config, result, slo);
    summary.scenario = &scenario_report;
    run.interrupted = result.interrupted;
    run.load_table = "loadprof demo: " + load::format_table(summary);
    return bench::describe_load_run(config, result, load::format_json(summary), run.load_table);
  };
  static const std::atomic<bool> kNever{false};
  LOADPROF_TRY(benched, bench::run_bench(std::move(bo), run_load, options.stop ? *options.stop : kNever));
  run.bench = std::move(benched);
  run.interrupted = run.interrupted || run.bench.record.end.interrupted;

  report::ReportConfig rc;
  rc.capture_path = run.capture_path;
  rc.output_dir = options.output_dir;
  std::ostringstream unused;  // with output_dir everything goes to files
  LOADPROF_TRY(outcome, report::run_report(rc, unused));
  run.report = std::move(outcome);
  return run;
}

}  // namespace loadprof::demo
