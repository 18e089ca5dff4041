// Why a thread was off the CPU, from its state and kernel stack at switch-out:
// runqueue (still runnable: preempted) or blocked, and blocked by what the
// kernel frames say (futex -> lock, nanosleep/hrtimer -> sleep, pipe, socket
// -> network, block I/O and fsync -> disk, page fault), else other. Also where
// the thread's own kernel frames begin (the BPF program and the scheduler
// come first in a stack taken at sched_switch).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::collect {

// kernel_functions: leaf first, bare names ("futex_wait_queue").
// task_state: prev_state at switch-out (0 = TASK_RUNNING).
capture::OffCpuReason classify_offcpu(unsigned task_state, const std::vector<std::string>& kernel_functions);

// How many leaf frames belong to the probe and the scheduler's switch itself
// (everything up to and including __schedule, or the BPF/tracing frames when
// there is no __schedule).
size_t offcpu_scheduler_frames(const std::vector<std::string>& kernel_functions);

// "name+0x1a/0x80 [module]" (printk's %pS) -> "name"; "0x..." stays as is.
std::string_view kernel_function_name(std::string_view symbol_text);

}  // namespace loadprof::collect
