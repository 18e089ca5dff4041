// Sentences the Markdown and HTML reports share, so the two never explain a
// figure differently.
#pragma once

namespace loadprof::report {

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
