// The waker's kernel stack taken at sched_waking (--offcpu-wakers): where its
// own frames begin (the probe's, the tracepoint's and try_to_wake_up come
// first), and whether the waking ran in an interrupt (a timer, a softirq run
// on the interrupt's exit), where `current` is whatever task was interrupted:
// then its user stack is not the waker's and is not kept. A softirq run in a
// task's context (local_bh_enable: loopback packets a send delivers) is that
// task's doing: kept.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace loadprof::collect {

// kernel_functions: leaf first, bare names. How many leaf frames to skip:
// everything up to and including try_to_wake_up (or wake_up_new_task), or
// the BPF/tracing frames when neither is there.
size_t waker_probe_frames(const std::vector<std::string>& kernel_functions);

// True when a frame of the stack is an interrupt or exception entry (a
// softirq run at an interrupt's exit included).
bool waker_in_interrupt(const std::vector<std::string>& kernel_functions);

}  // namespace loadprof::collect
