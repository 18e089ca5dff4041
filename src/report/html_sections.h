// report.html's sections beyond report.md's plain tables: the verdict with the
// SLO table (html_verdict.cpp), the load run (html_load.cpp), the charts
// (html_charts.cpp), wall/io/peers (html_io.cpp). Each writes XHTML into the page write_html assembles.
#pragma once

#include <array>
#include <ostream>
#include <vector>

#include "loadprof/analyze/analysis.h"
#include "loadprof/capture/model.h"

namespace loadprof::report {

// Off-CPU ms of the target's threads by reason (offcpu_reason_names order), one
// entry per second of the capture: each interval spread over the seconds it covers.
using OffCpuSecond = std::array<double, analyze::kOffCpuReasons>;
std::vector<OffCpuSecond> offcpu_per_second(const capture::Capture& capture);

// The verdict sentence, the SLO table (whole run and per stage), the
// bottlenecks with evidence, recommendation and estimated gain.
void verdict_html(std::ostream& out, const analyze::Analysis& a);
// The load run (bench captures): the driver's table, the request log, the stages' CPU.
void load_html(std::ostream& out, const analyze::Analysis& a);
// The capacity model's table, USL fit and spike recoveries.
void capacity_html(std::ostream& out, const analyze::CapacityModel& m);
// Every chart whose data the capture holds; one line for each that is absent.
void charts_html(std::ostream& out, const analyze::Analysis& a, const std::vector<OffCpuSecond>& offcpu);
// Wall time by reason, I/O syscalls and devices, peers (issue 8's tables).
void wall_io_peers_html(std::ostream& out, const analyze::Analysis& a);

}  // namespace loadprof::report
