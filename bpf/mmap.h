/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI between bpf/mmap.bpf.c and src/collect: the address-space operations
 * the mmap probe counts (mmap, munmap, brk), the per-stack aggregate, map
 * sizes and counter indices. Plain C with fixed-size types so both the BPF
 * program and C++ user space include it.
 */
#ifndef LOADPROF_MMAP_H
#define LOADPROF_MMAP_H

#include "cpu.h"

/* Distinct (tgid, op, user stack) keys per flush (about a second). */
#define LP_MMAP_MAX_AGGREGATES 4096

/* Words of user stack copied from the stack pointer at the call's exit: the
 * return addresses of the FP-less frames in it (libc's syscall wrappers,
 * sbrk, malloc's internals) are picked out by user space. */
#define LP_MMAP_WINDOW_WORDS 64

/* x86-64 syscall numbers. */
#define LP_NR_MMAP 9
#define LP_NR_MUNMAP 11
#define LP_NR_BRK 12

/* What a call did to the address space (stored in the capture by this index:
 * append only). Lengths are page-rounded, as the kernel maps them. */
enum lp_mmap_op {
	LP_MMAP_ANON = 0,	/* mmap with MAP_ANONYMOUS (private or shared): memory growth */
	LP_MMAP_FILE = 1,	/* mmap of a file (libraries, data files): counted apart */
	LP_MUNMAP_ANON = 2,	/* munmap whose first mapping is anonymous */
	LP_MUNMAP_FILE = 3,	/* munmap whose first mapping is a file's */
	LP_BRK_GROW = 4,	/* brk that moved the break up: bytes = new - old */
	LP_BRK_SHRINK = 5,	/* brk that moved it down: bytes = old - new */
	LP_MMAP_OPS = 6,
};

/* Counters, indices into the per-CPU `counters` array. */
enum lp_mmap_counter {
	LP_MMAP_CALLS = 0,		/* calls of the three syscalls by a target, entries seen */
	LP_MMAP_FAILED = 1,		/* ... that returned an error (not aggregated) */
	LP_MMAP_BRK_QUERIES = 2,	/* brk calls that left the break where it was (brk(0), refused) */
	LP_MMAP_DROP_INFLIGHT = 3,	/* entry not stored (task storage): that call is missed */
	LP_MMAP_DROP_AGGREGATE_MAP_FULL = 4,	/* a call found no aggregate slot: missed */
	LP_MMAP_DROP_USER_STACK = 5,	/* the stack window was not readable: only the FP chain kept */
	LP_MMAP_COUNTERS = 6,
};

struct lp_mmap_agg_key {
	__u32 pid;		/* tgid */
	__u32 op;		/* enum lp_mmap_op */
	__u64 user_hash;	/* of the user stack's addresses */
};

/* Calls with the same key, merged. Two maps take turns (agg_generation):
 * user space drains the one BPF stopped writing at the previous flush. */
struct lp_mmap_agg {
	__u64 calls;
	__u64 bytes;
	__u64 first_ns;		/* CLOCK_MONOTONIC: exit of the first call */
	__u64 last_ns;		/* exit of the latest call */
	__u32 tid;		/* the first call's thread */
	/* user_ips: the first call's user IP, then the return addresses of the
	 * frame-pointer chain from the first frame record found (rbp when it
	 * points into the stack, else the first saved rbp in the window). */
	__s32 user_stack_bytes;	/* bytes written, or -errno */
	__u64 user_ips[LP_MAX_STACK_DEPTH];
	/* The first call's user stack from its stack pointer up, window_words
	 * words of it: those below the chain's first frame record (the return
	 * addresses of the frames without frame pointers are among them). */
	__u32 window_words;
	__u32 pad;
	__u64 window[LP_MMAP_WINDOW_WORDS];
};

#endif /* LOADPROF_MMAP_H */
