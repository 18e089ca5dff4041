/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI between bpf/alloc.bpf.c and src/collect: the allocation and free
 * records, the allocator functions probed, counter indices and map sizes.
 * Plain C with fixed-size types so both the BPF program and C++ user space
 * include it.
 */
#ifndef LOADPROF_ALLOC_H
#define LOADPROF_ALLOC_H

#include "cpu.h"

/* Live allocations tracked at once (address -> size, time, pid). */
#define LP_ALLOC_MAX_LIVE 262144
/* Threads inside an allocator call at once (entry -> return). */
#define LP_ALLOC_MAX_INFLIGHT 16384

/* Record types in the ring buffer, beside cpu.h's, offcpu.h's and io.h's. */
#define LP_EVENT_ALLOC 6
#define LP_EVENT_FREE 7

/* The allocator function a record came from (stored in the capture by this
 * index: append only). */
enum lp_alloc_fn {
	LP_ALLOC_MALLOC = 0,
	LP_ALLOC_CALLOC = 1,
	LP_ALLOC_REALLOC = 2,
	LP_ALLOC_MEMALIGN = 3,		/* memalign, aligned_alloc, posix_memalign, valloc */
	LP_ALLOC_FREE = 4,
	LP_ALLOC_FNS = 5,
};

/* Counters, indices into the per-CPU `counters` array. */
enum lp_alloc_counter {
	LP_ALLOC_CALLS = 0,		/* allocations that returned memory (all, sampled or not) */
	LP_ALLOC_BYTES = 1,		/* ... their requested bytes */
	LP_ALLOC_SAMPLED = 2,		/* allocations recorded (the sample) */
	LP_ALLOC_FREES = 3,		/* frees of a recorded (tracked) address */
	LP_ALLOC_FREES_UNKNOWN = 4,	/* frees of an address not tracked: made before the
					   capture, not sampled, or lost; never subtracted */
	LP_ALLOC_DROP_RINGBUF_FULL = 5,	/* alloc/free record reserve failed */
	LP_ALLOC_DROP_LIVE_MAP_FULL = 6,	/* a sampled allocation found no slot: recorded untracked */
	LP_ALLOC_DROP_INFLIGHT_MAP_FULL = 7,	/* an entry not stored: that call is missed */
	LP_ALLOC_DROP_USER_STACK = 8,	/* bpf_get_stack(user) failed */
	LP_ALLOC_MISSED_RETURNS = 9,	/* a return without its entry (probe attached mid-call) */
	LP_ALLOC_COUNTERS = 10,
};

/* One sampled allocation (LP_EVENT_ALLOC) or the free of one (LP_EVENT_FREE,
 * no stack: size and alloc_ns are the allocation's). */
struct lp_alloc_event {
	__u32 type;
	__u32 fn;		/* enum lp_alloc_fn */
	__u64 time_ns;		/* CLOCK_MONOTONIC: the allocator's return (alloc) or the free's entry */
	__u64 address;
	__u64 size;		/* bytes requested */
	__u64 alloc_ns;		/* free: when the freed allocation was made */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 tracked;		/* alloc: 1 when its address entered the live map */
	__s32 user_stack_bytes;	/* alloc: bytes written, or -errno; free: 0 */
	__u64 user_ips[LP_MAX_STACK_DEPTH];
};

/* A free record carries no stack: only the fields before user_ips are sent. */
#define LP_ALLOC_FREE_EVENT_BYTES ((unsigned long)&((struct lp_alloc_event *)0)->user_ips)

/* DWARF mode (alloc_stack_bytes > 0): a sampled allocation is sent as this
 * record instead, with the user registers at the allocator's return (the
 * uretprobe: ip is the return address in the caller, sp the caller's) and
 * the top of the user stack, unwound in user space (stack_bytes 0: none
 * could be copied; counted there). Its fields up to user_stack_bytes are
 * lp_alloc_event's. */
#define LP_EVENT_ALLOC_DWARF 12
#define LP_ALLOC_STACK_MAX_BYTES 4096	/* a power of two */
#define LP_ALLOC_DWARF_REGS 17		/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */

struct lp_alloc_dwarf_event {
	__u32 type;		/* LP_EVENT_ALLOC_DWARF */
	__u32 fn;
	__u64 time_ns;
	__u64 address;
	__u64 size;
	__u64 alloc_ns;
	__u32 pid;
	__u32 tid;
	__u32 tracked;
	__s32 user_stack_bytes;	/* 0: no FP stack */
	__u64 regs[LP_ALLOC_DWARF_REGS];
	__u32 stack_bytes;	/* bytes of stack[] copied (0: none could be) */
	__u32 pad;
	__u8 stack[LP_ALLOC_STACK_MAX_BYTES];
};

#endif /* LOADPROF_ALLOC_H */
