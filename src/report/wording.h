// Sentences the Markdown and HTML reports share, so the two never explain a
// figure differently.
#pragma once

namespace loadprof::report {

inline constexpr const char* kAccountingNote =
    "cpu-clock samples per CPU: the target, loadprof itself, other processes, idle. Idle is what the sampling "
    "frequency expects minus the busy samples (an idle CPU takes fewer cpu-clock samples than asked), or the "
    "idle samples counted when those are more.";

}  // namespace loadprof::report
