// The waker's kernel stack at sched_waking (--offcpu-wakers): the probe's and
// the waking's own frames cut, interrupt wakings told apart.
#include "collect/waker_frames.h"

#include <gtest/gtest.h>

using namespace loadprof::collect;

TEST(WakerFrames, CutThroughTryToWakeUp) {
  const std::vector<std::string> futex = {"bpf_prog_6deef7357e7b4530_on_waking_btf",
                                          "bpf_trace_run1",
                                          "__bpf_trace_sched_waking",
                                          "try_to_wake_up",
                                          "wake_up_q",
                                          "futex_wake",
                                          "do_futex",
                                          "__x64_sys_futex",
                                          "do_syscall_64",
                                          "entry_SYSCALL_64_after_hwframe"};
  EXPECT_EQ(waker_probe_frames(futex), 4u);  // futex_wake's caller chain remains
  EXPECT_FALSE(waker_in_interrupt(futex));
  EXPECT_EQ(waker_probe_frames({"bpf_prog_x", "bpf_trace_run1", "wake_up_new_task", "kernel_clone"}), 3u);
  // Neither waking function in sight: only the BPF and tracing frames are cut.
  EXPECT_EQ(waker_probe_frames({"bpf_prog_x", "__traceiter_sched_waking", "pipe_write"}), 2u);
  EXPECT_EQ(waker_probe_frames({}), 0u);
}

TEST(WakerFrames, TimerAndSoftirqWakingsAreInterrupts) {
  EXPECT_TRUE(waker_in_interrupt({"try_to_wake_up", "hrtimer_wakeup", "__hrtimer_run_queues",
                                  "hrtimer_interrupt", "__sysvec_apic_timer_interrupt",
                                  "sysvec_apic_timer_interrupt", "asm_sysvec_apic_timer_interrupt"}));
  EXPECT_TRUE(
      waker_in_interrupt({"try_to_wake_up", "sock_def_readable", "tcp_v4_rcv", "net_rx_action",
                          "handle_softirqs", "irq_exit_rcu", "common_interrupt", "asm_common_interrupt"}));
  // A loopback send delivers the packet in its own softirq: the sender woke the reader.
  EXPECT_FALSE(waker_in_interrupt({"try_to_wake_up", "sock_def_readable", "tcp_v4_rcv", "net_rx_action",
                                   "handle_softirqs", "do_softirq", "__local_bh_enable_ip",
                                   "__dev_queue_xmit", "tcp_sendmsg", "__sys_sendto"}));
  EXPECT_FALSE(waker_in_interrupt({"try_to_wake_up", "pipe_write", "vfs_write", "ksys_write"}));
}
