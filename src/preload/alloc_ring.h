/*
 * ABI between the preload allocation profiler (src/preload/alloc_preload.c,
 * inside the launched target) and its reader in the recorder
 * (src/collect/alloc_preload_ring.cpp): a shared-memory file (a memfd the
 * target inherits; its number in LOADPROF_ALLOC_FD) holding a header with the
 * counters of bpf/alloc.h, and a bounded multi-producer ring of fixed slots,
 * each carrying one struct lp_alloc_event exactly as the uprobe path sends it.
 * Producers claim a slot with a CAS on enqueue_pos (a full ring is a counted
 * drop, never a wait); a slot is published by storing seq = pos + 1, and given
 * back by the reader with seq = pos + slot_count. Every shared word is accessed
 * with __atomic builtins from both C and C++. Plain C.
 */
#ifndef LOADPROF_ALLOC_RING_H
#define LOADPROF_ALLOC_RING_H

#include "alloc.h"

#define LP_ALLOC_RING_MAGIC 0x314c4e52434f4c41ull /* "ALOCRNL1" */
#define LP_ALLOC_RING_VERSION 1
/* Environment of the launched command: the inherited memfd's number. */
#define LP_ALLOC_RING_FD_ENV "LOADPROF_ALLOC_FD"
#define LP_ALLOC_RING_PATH_BYTES 512

/* Counters of the preload path beyond bpf/alloc.h's (ring_counters). */
enum lp_alloc_ring_counter {
	LP_RING_PROCESSES = 0,		/* processes that loaded the library and joined the ring */
	LP_RING_NOT_INTERPOSED = 1,	/* ... of which malloc resolved elsewhere (the executable's own) */
	LP_RING_UNWIND_REENTERED = 2,	/* allocations made by the unwinder itself: counted, never sampled */
	LP_RING_COUNTERS = 3,
};

/* Per-thread counters of the calls every allocation and free makes: each
 * thread claims one slot (threads_claimed) and is its only writer, so the hot
 * path has no locked instruction; the reader sums the slots into counters[].
 * Threads beyond the slots count into counters[] atomically. */
#define LP_ALLOC_RING_THREAD_SLOTS 4096
struct lp_alloc_thread_counters {
	__u64 calls;		/* LP_ALLOC_CALLS */
	__u64 bytes;		/* LP_ALLOC_BYTES */
	__u64 frees_unknown;	/* LP_ALLOC_FREES_UNKNOWN */
	__u64 pad[5];
};

struct lp_alloc_ring_header {
	__u64 magic;
	__u32 version;
	__u32 slot_count;		/* a power of two */
	__u64 slot_bytes;		/* sizeof(struct lp_alloc_ring_slot) */
	__u64 sample_period_bytes;	/* mean of the Poisson process; 0: every allocation */
	__u64 counters[LP_ALLOC_COUNTERS];	/* enum lp_alloc_counter, as the uprobe path's */
	__u64 ring_counters[LP_RING_COUNTERS];
	/* The module the first joining process's malloc resolves to (dladdr of
	 * the next malloc after ours), written once under allocator_claim. */
	__u32 allocator_claim;
	__u32 allocator_ready;
	char allocator_path[LP_ALLOC_RING_PATH_BYTES];
	__u8 pad0[64];
	__u64 enqueue_pos;		/* producers: next position to claim */
	__u8 pad1[56];
	__u64 dequeue_pos;		/* the reader's next position (for diagnostics) */
	__u8 pad2[56];
	__u32 threads_claimed;
	__u32 pad3;
	__u8 pad4[56];
	struct lp_alloc_thread_counters threads[LP_ALLOC_RING_THREAD_SLOTS];
};

struct lp_alloc_ring_slot {
	__u64 seq;
	__u64 pad;
	struct lp_alloc_event event;
};

/* Bytes of the mapping for slot_count slots. */
#define LP_ALLOC_RING_BYTES(slot_count) \
	(sizeof(struct lp_alloc_ring_header) + (unsigned long)(slot_count) * sizeof(struct lp_alloc_ring_slot))

static inline struct lp_alloc_ring_slot *lp_alloc_ring_slots(struct lp_alloc_ring_header *h)
{
	return (struct lp_alloc_ring_slot *)(h + 1);
}

#endif /* LOADPROF_ALLOC_RING_H */
