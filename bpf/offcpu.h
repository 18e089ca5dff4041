/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI between bpf/offcpu.bpf.c and src/collect: the off-CPU interval record,
 * map sizes and drop counter indices. Plain C with fixed-size types so both
 * the BPF program and C++ user space include it.
 */
#ifndef LOADPROF_OFFCPU_H
#define LOADPROF_OFFCPU_H

#include "cpu.h"

/* Threads switched out and not back in yet (LRU: a thread that never comes
 * back must not hold its slot for ever). */
#define LP_OFFCPU_MAX_THREADS 4096
/* Distinct (thread, stacks, runnable) keys of short intervals per flush. */
#define LP_OFFCPU_MAX_AGGREGATES 2048
/* Distinct waker stacks (--offcpu-wakers), user and kernel ones together:
 * ids are never freed, so an id in a queued record always names its stack;
 * a stack whose bucket is taken is lost (counted). */
#define LP_OFFCPU_MAX_WAKER_STACKS 16384

/* Record type in the ring buffer, beside cpu.h's lp_event_type. */
#define LP_EVENT_OFFCPU 4

/* Drop reasons, indices into the per-CPU `offcpu_drops` array. */
enum lp_offcpu_drop_reason {
	LP_OFFCPU_DROP_RINGBUF_FULL = 0,	/* interval reserve failed */
	LP_OFFCPU_DROP_USER_STACK = 1,		/* bpf_get_stack(user) failed */
	LP_OFFCPU_DROP_KERNEL_STACK = 2,	/* bpf_get_stack(kernel) failed */
	LP_OFFCPU_DROP_START_MAP_FULL = 3,	/* switch-out not stored (map update failed) */
	LP_OFFCPU_DROP_AGGREGATE_MAP_FULL = 4,	/* a short interval found no aggregate slot */
	LP_OFFCPU_DROP_DWARF_RINGBUF_FULL = 5,	/* DWARF stack record reserve failed */
	LP_OFFCPU_DROP_DWARF_STACK = 6,		/* the user stack could not be copied at all */
	LP_OFFCPU_DROP_WAKER_STACK = 7,		/* --offcpu-wakers: bpf_get_stackid failed (bucket taken, map full) */
	LP_OFFCPU_DROP_REASONS = 8,
};

/* One off-CPU interval of one thread: switched out at start_ns, woken at
 * wake_ns (0: no wakeup seen, e.g. preempted), switched in at end_ns. Stacks
 * are the thread's at switch-out (the kernel one starts inside the BPF
 * program and the scheduler: user space skips those frames). */
struct lp_offcpu_event {
	__u32 type;		/* LP_EVENT_OFFCPU */
	__u32 cpu;		/* CPU it was switched out on */
	__u64 start_ns;		/* CLOCK_MONOTONIC */
	__u64 wake_ns;
	__u64 end_ns;
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 waker_pid;	/* tgid of the waker; 0 when unknown */
	__u32 waker_tid;
	__u32 state;		/* prev_state at switch-out: 0 = TASK_RUNNING (preempted) */
	__u32 preempt;		/* sched_switch's preempt flag */
	__s32 user_stack_bytes;	/* bytes written, or -errno */
	__s32 kernel_stack_bytes;
	__u64 user_ips[LP_MAX_STACK_DEPTH];
	__u64 kernel_ips[LP_MAX_STACK_DEPTH];
	/* Appended: who woke it, from sched_waking (which runs in the waker's
	 * context; sched_wakeup may run on the wakee's CPU from an IPI). */
	char waker_comm[16];	/* the waker thread's name */
	__u32 waker_known;	/* waker_* are set (pid 0 is the idle task: a timer or an interrupt) */
	__u32 waker_pad;
	/* Appended (--offcpu-wakers): the waker's stacks at sched_waking, ids
	 * in the waker_stacks map; < 0: none (not asked, no user stack, or
	 * -errno of bpf_get_stackid). */
	__s32 waker_user_stack_id;
	__s32 waker_kernel_stack_id;
};

/* Short intervals (below offcpu_min_ns) of one thread with the same stacks,
 * the same runnable state and the same waker (thread, stacks), merged: `sample` is the first one (its
 * stacks, pid/tid, state, start). Two maps take turns (agg_generation): user
 * space drains the one BPF stopped writing at the previous flush. */
struct lp_offcpu_agg_key {
	__u32 tid;
	__u32 runnable;		/* prev_state == TASK_RUNNING */
	__u64 user_hash;
	__u64 kernel_hash;
	/* The waker (merged waits keep who woke them: one aggregate per waker). */
	__u32 waker_tid;
	__u32 waker_known;
	__s32 waker_user_stack_id;
	__s32 waker_kernel_stack_id;
};

struct lp_offcpu_agg {
	__u64 count;
	__u64 blocked_ns;	/* switch-out to wakeup (to switch-in without a wakeup) */
	__u64 runqueue_ns;	/* wakeup to switch-in; all of it when runnable */
	__u64 last_end_ns;
	struct lp_offcpu_event sample;
};

/* DWARF mode (the thread's target-map entry is LP_UNWIND_DWARF): at
 * switch-out the thread's user registers (bpf_task_pt_regs: saved at its
 * syscall or interrupt entry) and the top of its user stack are kept by tid;
 * an interval sent to the ring (or the first of an aggregate) is preceded by
 * one of these records, matched in user space by (tid, start_ns) and unwound
 * there with the cpu samples' unwinder. Only the first stack_bytes of stack
 * are sent. */
#define LP_EVENT_OFFCPU_STACK 5
#define LP_OFFCPU_STACK_MAX_BYTES 8192	/* a power of two */
#define LP_OFFCPU_DWARF_REGS 17		/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */

struct lp_offcpu_stack_event {
	__u32 type;		/* LP_EVENT_OFFCPU_STACK */
	__u32 tid;
	__u64 start_ns;		/* the interval's (its switch-out) */
	__u64 regs[LP_OFFCPU_DWARF_REGS];
	__u32 stack_bytes;	/* bytes of stack[] copied (and sent) */
	__u32 pad;
	__u8 stack[LP_OFFCPU_STACK_MAX_BYTES];
};

#endif /* LOADPROF_OFFCPU_H */
