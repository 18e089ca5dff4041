/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI between bpf/cpu.bpf.c and src/collect: ring-buffer record layouts, map
 * sizes and counter indices. Plain C with fixed-size types so both the BPF
 * program and C++ user space include it.
 */
#ifndef LOADPROF_CPU_H
#define LOADPROF_CPU_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LP_MAX_STACK_DEPTH 127
#define LP_MAX_TARGETS 8192
/* Per-second accounting slots per CPU: user space reads finished seconds well
 * before a slot is reused (it polls every ~250 ms). */
#define LP_ACCOUNTING_SLOTS 16

/* Value of a `targets` entry: how the process's user stacks are unwound. fp:
 * bpf_get_stack into the ring-buffer record; dwarf: the program returns 1 and
 * the kernel writes the sample with the user registers and a copy of the user
 * stack into the cpu-clock event's own perf ring, unwound in user space. */
enum lp_unwind_mode {
	LP_UNWIND_FP = 1,
	LP_UNWIND_DWARF = 2,
};

enum lp_event_type {
	LP_EVENT_SAMPLE = 1,
	LP_EVENT_FORK = 2,
	LP_EVENT_EXIT = 3,
};

/* Drop reasons, indices into the per-CPU `drops` array. */
enum lp_drop_reason {
	LP_DROP_RINGBUF_FULL = 0,	/* sample reserve failed */
	LP_DROP_USER_STACK = 1,		/* bpf_get_stack(user) failed */
	LP_DROP_KERNEL_STACK = 2,	/* bpf_get_stack(kernel) failed, not -EFAULT */
	LP_DROP_MAP_FULL = 3,		/* a forked child could not enter the target map */
	LP_DROP_EVENT_RINGBUF_FULL = 4,	/* fork/exit record reserve failed */
	LP_DROP_REASONS = 5,
};

struct lp_sample_event {
	__u32 type;		/* LP_EVENT_SAMPLE */
	__u32 cpu;
	__u64 time_ns;		/* CLOCK_MONOTONIC */
	__u32 pid;		/* tgid */
	__u32 tid;
	__s32 user_stack_bytes;	/* bytes written, or -errno */
	__s32 kernel_stack_bytes;	/* bytes written, or -errno (-EFAULT: user mode) */
	__u64 user_ips[LP_MAX_STACK_DEPTH];
	__u64 kernel_ips[LP_MAX_STACK_DEPTH];
};

struct lp_task_event {
	__u32 type;		/* LP_EVENT_FORK or LP_EVENT_EXIT */
	__u32 cpu;
	__u64 time_ns;
	__u32 pid;		/* child (fork) or exiting process (exit) */
	__u32 ppid;		/* fork only */
	__s32 exit_code;	/* exit only: wait-status style (code << 8 | signal) */
	__u32 pad;
};

/* One second of one CPU: where its cpu-clock samples went. */
struct lp_accounting_slot {
	__u64 second;		/* CLOCK_MONOTONIC seconds; slot = second % LP_ACCOUNTING_SLOTS */
	__u64 target;
	__u64 self;
	__u64 other;
	__u64 idle;
};

#endif /* LOADPROF_CPU_H */
