/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI between bpf/mmap.bpf.c and src/collect: the address-space operations
 * the mmap probe counts (mmap, munmap, brk, mremap), the per-stack aggregate,
 * the DWARF-mode call record, map sizes and counter indices. Plain C with fixed-size types so both the BPF
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
#define LP_NR_MREMAP 25

/* What a call did to the address space (stored in the capture by this index:
 * append only). Lengths are page-rounded, as the kernel maps them. */
enum lp_mmap_op {
	LP_MMAP_ANON = 0,	/* mmap with MAP_ANONYMOUS (private or shared): memory growth */
	LP_MMAP_FILE = 1,	/* mmap of a file (libraries, data files): counted apart */
	LP_MUNMAP_ANON = 2,	/* munmap whose first mapping is anonymous */
	LP_MUNMAP_FILE = 3,	/* munmap whose first mapping is a file's */
	LP_BRK_GROW = 4,	/* brk that moved the break up: bytes = new - old */
	LP_BRK_SHRINK = 5,	/* brk that moved it down: bytes = old - new */
	/* mremap, whatever the mapping (anonymous in practice: glibc's realloc
	 * of an mmap-ed block): bytes = page-rounded new_len - old_len. A move
	 * that keeps the size is a grow of 0 bytes (its call counted). */
	LP_MREMAP_GROW = 6,	/* new_len >= old_len */
	LP_MREMAP_SHRINK = 7,	/* new_len < old_len: bytes = old - new */
	LP_MMAP_OPS = 8,
};

/* Counters, indices into the per-CPU `counters` array. */
enum lp_mmap_counter {
	LP_MMAP_CALLS = 0,		/* calls of the three syscalls by a target, entries seen */
	LP_MMAP_FAILED = 1,		/* ... that returned an error (not aggregated) */
	LP_MMAP_BRK_QUERIES = 2,	/* brk calls that left the break where it was (brk(0), refused) */
	LP_MMAP_DROP_INFLIGHT = 3,	/* entry not stored (task storage): that call is missed */
	LP_MMAP_DROP_AGGREGATE_MAP_FULL = 4,	/* a call found no aggregate slot: missed */
	LP_MMAP_DROP_USER_STACK = 5,	/* the stack window was not readable: only the FP chain kept */
	LP_MMAP_DWARF_RINGBUF_FULL = 6,	/* a DWARF call's reserve failed: merged in BPF with its FP stack */
	LP_MMAP_DWARF_STACK = 7,	/* a DWARF call's user stack could not be copied at all */
	LP_MMAP_COUNTERS = 8,
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

/* DWARF mode (the target-map entry of the caller's process is
 * LP_UNWIND_DWARF and mmap_stack_bytes > 0): every successful call is sent
 * on its own with the user registers at its exit and the top of its user
 * stack, instead of the FP walk and the window: user space unwinds it and
 * merges the calls by (process, op, unwound stack). A call whose record
 * finds no room in the ring is merged in BPF as in FP mode
 * (LP_MMAP_DWARF_RINGBUF_FULL). */
#define LP_EVENT_MMAP_DWARF 13
#define LP_MMAP_STACK_MAX_BYTES 4096	/* a power of two */
#define LP_MMAP_DWARF_REGS 17		/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */

struct lp_mmap_dwarf_event {
	__u32 type;		/* LP_EVENT_MMAP_DWARF */
	__u32 op;		/* enum lp_mmap_op */
	__u64 time_ns;		/* CLOCK_MONOTONIC: exit */
	__u64 bytes;		/* as in lp_mmap_agg */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u64 regs[LP_MMAP_DWARF_REGS];
	__u32 stack_bytes;	/* bytes of stack[] copied (0: none could be) */
	__u32 pad;
	__u8 stack[LP_MMAP_STACK_MAX_BYTES];
};

#endif /* LOADPROF_MMAP_H */
