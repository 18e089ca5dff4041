// SPDX-License-Identifier: GPL-2.0
/*
 * The alloc probe, uprobe path (attach by pid). Entry uprobes on the target's
 * allocator functions (malloc, calloc, realloc, memalign family, free) store
 * the request in a per-thread entry; a common uretprobe completes it with the
 * returned address. Every allocation is counted; a sample of them (all with
 * sample_period_bytes 0, else each with probability size / period, sizes of
 * at least the period always) is sent to the ring buffer with its user stack
 * and its address enters a bounded live map (pid, address) -> size, time.
 * A free of a tracked address is sent (without a stack) and leaves the map; a
 * free of any other address (made before the capture, not sampled, or lost)
 * is counted, never subtracted. The uprobes are attached for the target's
 * pid only, so no target-set filter is needed here. In DWARF mode a
 * sampled allocation carries the user registers and the top of the user
 * stack at the allocator's return instead (lp_alloc_dwarf_event).
 */
#include "common.bpf.h"
#include "alloc.h"
#include "user_stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 sample_period_bytes = 0;
/* DWARF mode: user stack bytes copied per sampled allocation (a power of
 * two, at most LP_ALLOC_STACK_MAX_BYTES; 0: FP stacks). */
const volatile __u32 alloc_stack_bytes = 0;

struct live_key {
	__u32 pid;
	__u32 pad;
	__u64 address;
};

struct live_value {
	__u64 size;
	__u64 time_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LP_ALLOC_MAX_LIVE);
	__type(key, struct live_key);
	__type(value, struct live_value);
} live SEC(".maps");

/* A call between its entry and its return. depth > 1: an allocator function
 * called from inside another one (only the outer call is recorded). */
struct inflight {
	__u64 size;
	__u64 old_address;	/* realloc: the block it resizes */
	__u64 out_address;	/* posix_memalign: where the result is stored */
	__u32 fn;
	__u32 depth;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_ALLOC_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by user space before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LP_ALLOC_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 index, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &index);

	if (c)
		*c += n;
}

static __always_inline int enter(__u32 fn, __u64 size, __u64 old_address, __u64 out_address)
{
	__u32 tid = current_tid();
	struct inflight *in = bpf_map_lookup_elem(&inflight, &tid);
	struct inflight fresh = {};

	if (in) {
		in->depth += 1;
		return 0;
	}
	fresh.size = size;
	fresh.old_address = old_address;
	fresh.out_address = out_address;
	fresh.fn = fn;
	fresh.depth = 1;
	if (bpf_map_update_elem(&inflight, &tid, &fresh, BPF_NOEXIST) != 0)
		count(LP_ALLOC_DROP_INFLIGHT_MAP_FULL, 1);
	return 0;
}

static __always_inline void record_free(__u64 address, __u32 fn)
{
	struct live_key key = {.pid = current_tgid(), .address = address};
	struct live_value *v;
	struct lp_alloc_event *e;

	if (!address)
		return;
	v = bpf_map_lookup_elem(&live, &key);
	if (!v) {
		count(LP_ALLOC_FREES_UNKNOWN, 1);
		return;
	}
	count(LP_ALLOC_FREES, 1);
	e = bpf_ringbuf_reserve(&events, LP_ALLOC_FREE_EVENT_BYTES, 0);
	if (e) {
		e->type = LP_EVENT_FREE;
		e->fn = fn;
		e->time_ns = bpf_ktime_get_ns();
		e->address = address;
		e->size = v->size;
		e->alloc_ns = v->time_ns;
		e->pid = key.pid;
		e->tid = current_tid();
		e->tracked = 1;
		e->user_stack_bytes = 0;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	} else {
		count(LP_ALLOC_DROP_RINGBUF_FULL, 1);
	}
	bpf_map_delete_elem(&live, &key);
}

static __always_inline int sampled(__u64 size)
{
	__u64 period = sample_period_bytes;

	if (period == 0 || size >= period)
		return 1;
	/* Probability size / period, in 32-bit fixed point. */
	return (__u64)bpf_get_prandom_u32() < ((size << 32) / period);
}

/* The sampled allocation's address enters the live map; 1 when it did. */
static __always_inline __u32 track(struct live_key *key, struct live_value *value)
{
	/* An address still in the map was freed where the probe did not see it
	 * (an unprobed path): the new block replaces it. */
	if (bpf_map_update_elem(&live, key, value, BPF_ANY) != 0) {
		count(LP_ALLOC_DROP_LIVE_MAP_FULL, 1);
		return 0;
	}
	return 1;
}

/* DWARF mode: ctx is the caller's user context at the allocator's return. */
static __always_inline void send_dwarf(struct pt_regs *ctx, __u32 fn, struct live_key *key,
				       struct live_value *value)
{
	struct lp_alloc_dwarf_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(LP_ALLOC_DROP_RINGBUF_FULL, 1);
		return;
	}
	e->type = LP_EVENT_ALLOC_DWARF;
	e->fn = fn;
	e->time_ns = value->time_ns;
	e->address = key->address;
	e->size = value->size;
	e->alloc_ns = value->time_ns;
	e->pid = key->pid;
	e->tid = current_tid();
	e->tracked = track(key, value);
	e->user_stack_bytes = 0;
	e->pad = 0;
	lp_copy_user_regs(ctx, e->regs);
	e->stack_bytes = lp_copy_user_stack(e->regs[7], e->stack, alloc_stack_bytes, LP_ALLOC_STACK_MAX_BYTES);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

static __always_inline void record_alloc(struct pt_regs *ctx, __u32 fn, __u64 address, __u64 size)
{
	struct live_key key = {.pid = current_tgid(), .address = address};
	struct live_value value = {.size = size};
	struct lp_alloc_event *e;

	count(LP_ALLOC_CALLS, 1);
	count(LP_ALLOC_BYTES, size);
	if (!sampled(size))
		return;
	count(LP_ALLOC_SAMPLED, 1);
	value.time_ns = bpf_ktime_get_ns();
	if (alloc_stack_bytes) {
		send_dwarf(ctx, fn, &key, &value);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(LP_ALLOC_DROP_RINGBUF_FULL, 1);
		return;
	}
	e->type = LP_EVENT_ALLOC;
	e->fn = fn;
	e->time_ns = value.time_ns;
	e->address = address;
	e->size = size;
	e->alloc_ns = value.time_ns;
	e->pid = key.pid;
	e->tid = current_tid();
	e->tracked = track(&key, &value);
	e->user_stack_bytes = bpf_get_stack(ctx, e->user_ips, sizeof(e->user_ips), BPF_F_USER_STACK);
	if (e->user_stack_bytes < 0)
		count(LP_ALLOC_DROP_USER_STACK, 1);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

SEC("uprobe")
int BPF_KPROBE(on_malloc, __u64 size)
{
	return enter(LP_ALLOC_MALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(on_calloc, __u64 n, __u64 size)
{
	return enter(LP_ALLOC_CALLOC, n * size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(on_realloc, __u64 old_address, __u64 size)
{
	return enter(LP_ALLOC_REALLOC, size, old_address, 0);
}

/* memalign(alignment, size), aligned_alloc(alignment, size). */
SEC("uprobe")
int BPF_KPROBE(on_memalign, __u64 alignment, __u64 size)
{
	return enter(LP_ALLOC_MEMALIGN, size, 0, 0);
}

/* valloc(size), pvalloc(size). */
SEC("uprobe")
int BPF_KPROBE(on_valloc, __u64 size)
{
	return enter(LP_ALLOC_MEMALIGN, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(on_posix_memalign, __u64 out_address, __u64 alignment, __u64 size)
{
	return enter(LP_ALLOC_MEMALIGN, size, 0, out_address);
}

SEC("uprobe")
int BPF_KPROBE(on_free, __u64 address)
{
	/* free() inside another allocator call (realloc's own) is that call's business. */
	__u32 tid = current_tid();

	if (bpf_map_lookup_elem(&inflight, &tid))
		return 0;
	record_free(address, LP_ALLOC_FREE);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(on_alloc_return, __u64 ret)
{
	__u32 tid = current_tid();
	struct inflight *in = bpf_map_lookup_elem(&inflight, &tid);
	struct inflight call;
	__u64 address = ret;

	if (!in) {
		count(LP_ALLOC_MISSED_RETURNS, 1);
		return 0;
	}
	if (in->depth > 1) {
		in->depth -= 1;
		return 0;
	}
	call = *in;
	bpf_map_delete_elem(&inflight, &tid);
	if (call.out_address) {
		/* posix_memalign: 0 on success, the block stored at *out_address. */
		if (ret != 0 || bpf_probe_read_user(&address, sizeof(address), (void *)call.out_address) != 0)
			return 0;
	}
	if (call.fn == LP_ALLOC_REALLOC) {
		/* realloc(p, n): p is gone when it returns a block, or when n is 0. */
		if (call.old_address && (address || call.size == 0))
			record_free(call.old_address, LP_ALLOC_REALLOC);
	}
	if (!address)
		return 0;
	record_alloc(ctx, call.fn, address, call.size);
	return 0;
}
