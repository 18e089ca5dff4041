// Sentences the Markdown and HTML reports share, so the two never explain a
// figure differently.
#pragma once

#include <string_view>

namespace loadprof::report {

// The recorder counts truncated stacks among its drops (SPEC's lost.cpu.stack_truncated);
// the reports show them under stack quality, not under Lost: nothing was lost.
inline bool is_stack_quality_reason(std::string_view reason) { return reason == "stack_truncated"; }

inline constexpr const char* kCpuPctNote =
    "share % is of all cpu samples of the capture; cpu % is of one CPU over the whole capture (100 % = a "
    "thread that was on a CPU all the time).";

inline constexpr const char* kModuleNote =
    "self: the sampled instruction was in the module; total: a frame of the module was in the stack "
    "(once per stack). Frames a stripped library leaves unresolved (module+0x...) count for their module.";

inline constexpr const char* kStackQualityNote =
    "User frames per cpu sample. A stack that reaches neither main nor a thread start and has at most 2 user "
    "frames stopped early: the frame-pointer walk ran into code built without frame pointers, and the "
    "callers are missing. \"Where they stop\" names the module of the outermost frame found.";

inline constexpr const char* kAccountingNote =
    "cpu-clock samples per CPU: the target, loadprof itself, other processes, idle. The sampling frequency "
    "asks "
    "for a number of samples per CPU; a CPU takes fewer when the hypervisor runs something else (steal: the "
    "steal time of /proc/stat, as samples), when the kernel throttles the event (throttled: the time between "
    "its THROTTLE and UNTHROTTLE records, as samples) and when it idles (an idle CPU takes fewer cpu-clock "
    "samples than asked). The idle shown is the estimate: the idle samples counted plus the shortfall that "
    "steal and throttling do not explain; \"idle counted\" is what the CPU took. Percentages are of all of "
    "these together.";

}  // namespace loadprof::report
