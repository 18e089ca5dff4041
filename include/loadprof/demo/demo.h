// `loadprof demo`: starts the demo service shipped with loadprof
// (loadprof-demo-service, next to the loadprof binary; examples/demo_service.c)
// under the recorder with every probe that exists, drives the demo's staged
// load at it through the bench library (load + record on one clock, in this
// process), writes the capture and the report directory. What the report
// found is demo/findings.h's.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "loadprof/bench/bench.h"
#include "loadprof/demo/plan.h"
#include "loadprof/load/driver.h"
#include "loadprof/report/run.h"
#include "loadprof/util/result.h"

namespace loadprof::demo {

inline constexpr const char* kServiceName = "loadprof-demo-service";

struct DemoOptions {
  std::string output_dir = "demo-out";
  int64_t duration_ns = kDefaultDurationNs;
  std::string service_path;                  // "": kServiceName next to this executable
  uint32_t frequency_hz = 999;               // so that median requests get samples too
  std::string command_line;                  // loadprof's argv, for the capture's metadata
  const std::atomic<bool>* stop = nullptr;   // Ctrl-C: stops the load, then the recording
  const std::atomic<bool>* hurry = nullptr;  // a second Ctrl-C
  // About once a second while the load runs (stage_count: the demo's stages).
  std::function<void(const load::Progress&, size_t stage_count)> progress;
};

struct DemoRun {
  std::string capture_path;  // DIR/demo.lpc
  std::string report_dir;    // DIR (report.html, report.md, report.json, KIND.svg/.folded)
  std::string truth_path;    // DIR/service/ground-truth.txt: what the service planted and measured
  std::string load_table;    // the load driver's table
  bool interrupted = false;
  bench::BenchResult bench;
  report::ReportOutcome report;
};

// The service binary: kServiceName in the directory of this process's executable.
[[nodiscard]] Result<std::string> find_service();

// Errors: usage (a duration too short), io (the output directory), target_gone
// (the service is missing or never listened), permission (no BPF), and the
// report's errors.
[[nodiscard]] Result<DemoRun> run_demo(const DemoOptions& options);

}  // namespace loadprof::demo
