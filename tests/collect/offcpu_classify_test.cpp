// Off-CPU reasons from kernel stacks as this kernel (6.18) gives them at
// sched_switch, leaf first, the probe's own frames included.
#include "collect/offcpu_classify.h"

#include <gtest/gtest.h>

using loadprof::capture::OffCpuReason;
using namespace loadprof::collect;

namespace {

std::vector<std::string> after_scheduler(std::vector<std::string> fs) {
  fs.erase(fs.begin(), fs.begin() + static_cast<std::ptrdiff_t>(offcpu_scheduler_frames(fs)));
  return fs;
}

const std::vector<std::string> kProbe = {"bpf_prog_6deef7357e7b4530_on_switch", "bpf_trace_run4",
                                         "__bpf_trace_sched_switch", "__traceiter_sched_switch",
                                         "__schedule"};

std::vector<std::string> stack(std::vector<std::string> own) {
  std::vector<std::string> fs = kProbe;
  fs.insert(fs.end(), own.begin(), own.end());
  return fs;
}

}  // namespace

TEST(OffCpuClassify, SkipsTheProbeAndTheSchedulerFrames) {
  auto fs = stack({"schedule", "do_nanosleep", "hrtimer_nanosleep"});
  EXPECT_EQ(offcpu_scheduler_frames(fs), kProbe.size());
  EXPECT_EQ(after_scheduler(fs).front(), "schedule");
  // Without __schedule: only the BPF and tracing frames go.
  EXPECT_EQ(offcpu_scheduler_frames({"bpf_prog_1_x", "__traceiter_sched_switch", "schedule"}), 2u);
}

TEST(OffCpuClassify, ReasonsFromTheKernelStack) {
  const unsigned kInterruptible = 1, kUninterruptible = 2;
  EXPECT_EQ(classify_offcpu(kInterruptible, after_scheduler(stack({"schedule", "futex_wait_queue",
                                                                   "__futex_wait", "futex_wait", "do_futex",
                                                                   "__x64_sys_futex", "do_syscall_64"}))),
            OffCpuReason::lock);
  EXPECT_EQ(
      classify_offcpu(kInterruptible, after_scheduler(stack({"schedule", "do_nanosleep", "hrtimer_nanosleep",
                                                             "__x64_sys_clock_nanosleep"}))),
      OffCpuReason::sleep);
  EXPECT_EQ(classify_offcpu(kInterruptible,
                            after_scheduler(stack({"schedule", "pipe_read", "vfs_read", "ksys_read"}))),
            OffCpuReason::pipe);
  EXPECT_EQ(classify_offcpu(kInterruptible,  // 6.18 names it so
                            after_scheduler(stack({"schedule", "anon_pipe_read", "vfs_read", "ksys_read"}))),
            OffCpuReason::pipe);
  EXPECT_EQ(
      classify_offcpu(kInterruptible, after_scheduler(stack({"schedule", "schedule_timeout", "sk_wait_data",
                                                             "tcp_recvmsg_locked", "tcp_recvmsg"}))),
      OffCpuReason::network);
  EXPECT_EQ(classify_offcpu(kUninterruptible,
                            after_scheduler(stack({"schedule", "io_schedule", "folio_wait_bit_common",
                                                   "folio_wait_writeback", "__filemap_fdatawait_range",
                                                   "file_write_and_wait_range", "ext4_sync_file"}))),
            OffCpuReason::disk);
  EXPECT_EQ(classify_offcpu(kUninterruptible,
                            after_scheduler(stack({"schedule", "io_schedule", "folio_wait_bit_common",
                                                   "filemap_fault", "__do_fault", "handle_mm_fault",
                                                   "do_user_addr_fault", "exc_page_fault"}))),
            OffCpuReason::disk);  // the innermost frame that says something decides: waiting on the read
  EXPECT_EQ(
      classify_offcpu(kUninterruptible, after_scheduler(stack({"schedule", "rwsem_down_read_slowpath",
                                                               "do_user_addr_fault", "exc_page_fault"}))),
      OffCpuReason::page_fault);
  EXPECT_EQ(
      classify_offcpu(kInterruptible, after_scheduler(stack({"schedule", "schedule_hrtimeout_range",
                                                             "do_epoll_wait", "__x64_sys_epoll_wait"}))),
      OffCpuReason::other);  // waiting for events, not a timer
  EXPECT_EQ(classify_offcpu(kInterruptible, after_scheduler(stack({"schedule", "do_wait", "kernel_wait4"}))),
            OffCpuReason::other);
}

TEST(OffCpuClassify, StillRunnableIsRunqueueWhateverTheStack) {
  EXPECT_EQ(classify_offcpu(0, after_scheduler(stack({"schedule", "futex_wait_queue"}))),
            OffCpuReason::runqueue);
  EXPECT_EQ(classify_offcpu(0, {}), OffCpuReason::runqueue);
}

TEST(OffCpuClassify, FunctionNameFromPrintkText) {
  EXPECT_EQ(kernel_function_name("futex_wait_queue+0x60/0x90"), "futex_wait_queue");
  EXPECT_EQ(kernel_function_name("ext4_sync_file+0x1a/0x3c0 [ext4]"), "ext4_sync_file");
  EXPECT_EQ(kernel_function_name("0xffffffffc0001234"), "0xffffffffc0001234");
  EXPECT_EQ(kernel_function_name("schedule"), "schedule");
}
