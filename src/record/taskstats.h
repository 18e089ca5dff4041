// Context switches of a whole thread group from the kernel's taskstats
// (generic netlink, TASKSTATS_CMD_GET by TGID): one request and one reply,
// ~6 us, where summing /proc/PID/task/*/status costs ~18 us per thread
// (/proc/PID/status and /proc/PID/sched count the main thread only). The
// kernel sums the live threads; an exited thread's switches leave the sum.
// Needs CONFIG_TASKSTATS and CAP_NET_ADMIN: open() fails without them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "loadprof/util/fd.h"
#include "loadprof/util/result.h"

namespace loadprof::record {

struct ContextSwitches {
  uint64_t voluntary = 0;
  uint64_t involuntary = 0;
};

class TaskstatsClient {
 public:
  [[nodiscard]] static Result<TaskstatsClient> open();
  // nullopt when the process is gone or the kernel refused the request.
  std::optional<ContextSwitches> thread_group(pid_t tgid);

 private:
  TaskstatsClient(UniqueFd fd, uint16_t family) : fd_(std::move(fd)), family_(family) {}
  UniqueFd fd_;
  uint16_t family_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace loadprof::record
