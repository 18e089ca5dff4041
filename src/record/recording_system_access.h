// The symbolizer's system boundary as the recorder uses it: the real one, but
// kernel addresses are described by the kernel itself through BPF
// (collect::KernelSymbolLookup), a microsecond each, instead of reading and
// parsing all of /proc/kallsyms (~100 ms of CPU in the first second of every
// recording, on the machine being measured).
#pragma once

#include <memory>

#include "loadprof/symbolize/system_access.h"

namespace loadprof::record {

// Thread-safe: the recorder's thread notes each new process while it is
// alive (note_process) while the symbolizing thread, maybe much later, reads
// its files. Kernel symbols fall back to kallsyms when the BPF program cannot
// be loaded.
std::unique_ptr<symbolize::SystemAccess> make_recording_system_access();

}  // namespace loadprof::record
