// Per off-CPU reason, the waker stacks (--offcpu-wakers) that ended the most
// blocked time: what the threads that woke the waiters were doing.
#pragma once

#include <vector>

#include "loadprof/analyze/analysis.h"
#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// Intervals with a waker stack, merged per (reason, waker stack), the top
// kTopWakerStacksPerReason of each reason by blocked_ms, reasons in
// offcpu_reason_names() order. Empty without waker stacks.
std::vector<WakerStackShare> top_waker_stacks(const capture::Capture& capture);

}  // namespace loadprof::analyze
