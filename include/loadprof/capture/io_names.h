// Names of the io probe's enums as the report, folded stacks and JSON spell
// them ("pread64", "socket", "flush").
#pragma once

#include "loadprof/capture/model.h"

namespace loadprof::capture {

inline constexpr size_t kIoSyscalls = static_cast<size_t>(IoSyscall::other) + 1;

const char* io_syscall_name(IoSyscall s);
const char* fd_kind_name(FdKind k);
const char* block_op_name(BlockOp op);

}  // namespace loadprof::capture
