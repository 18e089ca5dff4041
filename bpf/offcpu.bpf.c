// SPDX-License-Identifier: GPL-2.0
/*
 * The offcpu probe: on sched_switch, a target thread leaving the CPU has its
 * switch-out time, state and user + kernel stacks stored by tid (it is
 * `current` there, so bpf_get_stack sees its stacks); sched_wakeup notes when
 * and by whom it was woken; when it is switched back in, the interval is sent
 * to the ring buffer without waking the reader, or, when shorter than
 * offcpu_min_ns, merged into an aggregate per (thread, stacks, runnable) that
 * user space drains every second. The target set is the cpu probe's map,
 * shared by file descriptor. For targets unwound by DWARF, the user
 * registers and the top of the user stack are copied at switch-out too, and
 * sent ahead of the interval (lp_offcpu_stack_event) to be unwound in user
 * space.
 */
#include "common.bpf.h"
#include "offcpu.h"
#include "user_stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef EFAULT
#define EFAULT 14
#endif

const volatile __u64 offcpu_min_ns = 0;
/* DWARF mode: user stack bytes copied at switch-out (a power of two, at most
 * LP_OFFCPU_STACK_MAX_BYTES; 0: no copies). */
const volatile __u32 offcpu_stack_bytes = 0;
/* Records are submitted without waking the reader, unless this much is
 * waiting in the ring (0: never): then the reader is woken before its timer,
 * so a busy target does not fill the ring between two timed drains. */
const volatile __u64 ringbuf_wakeup_bytes = 0;
/* --offcpu-wakers: the waker's user + kernel stacks are taken at
 * sched_waking (one bpf_get_stackid each) into waker_stacks. */
const volatile __u32 waker_stacks_on = 0;
/* Which aggregate map BPF writes (0: agg0, 1: agg1); flipped by user space. */
__u32 agg_generation = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps"); /* reused: the cpu probe's map */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LP_OFFCPU_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct lp_offcpu_event);
} switched_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lp_offcpu_event);
} scratch SEC(".maps");

struct agg_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_OFFCPU_MAX_AGGREGATES);
	__type(key, struct lp_offcpu_agg_key);
	__type(value, struct lp_offcpu_agg);
} agg0 SEC(".maps"), agg1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lp_offcpu_agg);
} agg_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by user space before load */
} events SEC(".maps");

/* The wakers' stacks (--offcpu-wakers; max_entries 1 without it). Ids are
 * never freed and BPF_F_REUSE_STACKID is not used: an id in a record queued
 * for user space always names the stack it was taken for (PLATFORM.md). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, LP_OFFCPU_MAX_WAKER_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, LP_MAX_STACK_DEPTH * sizeof(__u64));
} waker_stacks SEC(".maps");

/* BPF_RB_NO_WAKEUP, or a wake-up when the ring is filling. */
static __always_inline __u64 submit_flags(void)
{
	if (ringbuf_wakeup_bytes && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* DWARF mode: registers and stack copy of each thread switched out (user
 * space sets max_entries to 1 when no target is unwound by DWARF). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LP_OFFCPU_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct lp_offcpu_stack_event);
} dwarf_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lp_offcpu_stack_event);
} dwarf_scratch SEC(".maps");

/* A waking that found no switch-out record: the thread was still switching
 * out (its stacks being taken) when its waker woke it. Kept by tid for the
 * record about to appear, whose wake-up then comes later from an IPI, in
 * whatever context the wakee's CPU runs (the idle task, often). */
struct early_waking {
	__u64 time_ns;
	__u32 waker_pid;
	__u32 waker_tid;
	char waker_comm[16];
	__s32 waker_user_stack_id;
	__s32 waker_kernel_stack_id;
};

/* A waking at most this long before the switch-out record's start belongs to it. */
#define LP_EARLY_WAKING_NS 1000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LP_OFFCPU_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct early_waking);
} early_wakings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LP_OFFCPU_DROP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void count_drop(__u32 reason)
{
	__u64 *count = bpf_map_lookup_elem(&drops, &reason);

	if (count)
		*count += 1;
}

static __always_inline bool is_target(struct task_struct *task)
{
	__u32 tgid = task->tgid;

	return task->pid != 0 && bpf_map_lookup_elem(&targets, &tgid);
}

static __always_inline void on_switch_out(void *ctx, bool preempt, struct task_struct *prev,
					  unsigned int prev_state, __u64 now_ns)
{
	__u32 zero = 0, tid = prev->pid;
	struct lp_offcpu_event *e = bpf_map_lookup_elem(&scratch, &zero);

	if (!e)
		return;
	e->type = LP_EVENT_OFFCPU;
	e->cpu = bpf_get_smp_processor_id();
	e->start_ns = now_ns;
	e->wake_ns = 0;
	e->end_ns = 0;
	e->pid = prev->tgid;
	e->tid = tid;
	e->waker_pid = 0;
	e->waker_tid = 0;
	e->waker_known = 0;
	e->waker_pad = 0;
	e->waker_user_stack_id = -1;
	e->waker_kernel_stack_id = -1;
	__builtin_memset(e->waker_comm, 0, sizeof(e->waker_comm));
	e->state = prev_state;
	e->preempt = preempt;
	/* prev is current here: these are its stacks. */
	e->kernel_stack_bytes = bpf_get_stack(ctx, e->kernel_ips, sizeof(e->kernel_ips), 0);
	if (e->kernel_stack_bytes < 0)
		count_drop(LP_OFFCPU_DROP_KERNEL_STACK);
	e->user_stack_bytes = bpf_get_stack(ctx, e->user_ips, sizeof(e->user_ips), BPF_F_USER_STACK);
	/* A kernel thread of the target has no user stack: not a loss. */
	if (e->user_stack_bytes < 0 && prev->mm)
		count_drop(LP_OFFCPU_DROP_USER_STACK);
	if (bpf_map_update_elem(&switched_out, &tid, e, BPF_ANY) != 0)
		count_drop(LP_OFFCPU_DROP_START_MAP_FULL);
}

/* DWARF mode: prev's user registers and the top of its user stack, kept by
 * tid until it is switched back in. prev is current: its user memory is the
 * one bpf_probe_read_user reads (user_stack.bpf.h). */
static __always_inline void copy_user_stack(struct task_struct *prev, __u64 start_ns)
{
	__u32 zero = 0, tid = prev->pid;
	struct lp_offcpu_stack_event *d;
	struct pt_regs *regs;
	__u32 size = offcpu_stack_bytes;

	if (size == 0 || !prev->mm)
		return;
	d = bpf_map_lookup_elem(&dwarf_scratch, &zero);
	if (!d)
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	if (!regs)
		return;
	d->type = LP_EVENT_OFFCPU_STACK;
	d->tid = tid;
	d->start_ns = start_ns;
	lp_copy_user_regs(regs, d->regs);
	d->stack_bytes = lp_copy_user_stack(regs->sp, d->stack, size, LP_OFFCPU_STACK_MAX_BYTES);
	if (d->stack_bytes == 0)
		count_drop(LP_OFFCPU_DROP_DWARF_STACK);
	bpf_map_update_elem(&dwarf_out, &tid, d, BPF_ANY);
}

/* DWARF mode: the stack kept at the interval's switch-out, to the ring
 * (only its copied bytes). */
static __always_inline void send_user_stack(__u32 tid, __u64 start_ns)
{
	struct lp_offcpu_stack_event *d;
	__u32 size;

	if (offcpu_stack_bytes == 0)
		return;
	d = bpf_map_lookup_elem(&dwarf_out, &tid);
	if (!d || d->start_ns != start_ns)
		return;
	size = d->stack_bytes;
	if (size > LP_OFFCPU_STACK_MAX_BYTES)
		size = LP_OFFCPU_STACK_MAX_BYTES;
	if (bpf_ringbuf_output(&events, d, __builtin_offsetof(struct lp_offcpu_stack_event, stack) + size,
			       BPF_RB_NO_WAKEUP) != 0)
		count_drop(LP_OFFCPU_DROP_DWARF_RINGBUF_FULL);
}

static __always_inline __u64 hash_ips(const __u64 *ips, __s32 bytes)
{
	__u64 h = 14695981039346656037ULL;
	__u32 n = bytes > 0 ? (__u32)bytes / 8 : 0;

	for (__u32 i = 0; i < LP_MAX_STACK_DEPTH; i++) {
		if (i >= n)
			break;
		h = (h ^ ips[i]) * 1099511628211ULL;
	}
	return h ^ n;
}

static __always_inline void add_to(struct lp_offcpu_agg *v, __u64 blocked_ns, __u64 runqueue_ns, __u64 end_ns)
{
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->blocked_ns, blocked_ns);
	__sync_fetch_and_add(&v->runqueue_ns, runqueue_ns);
	v->last_end_ns = end_ns;
}

/* A short interval: merged into its (thread, stacks, runnable) aggregate. */
static __always_inline void aggregate(struct lp_offcpu_event *start, __u64 now_ns)
{
	struct lp_offcpu_agg_key key = {};
	struct lp_offcpu_agg *v, *fresh;
	__u64 blocked_ns = 0, runqueue_ns = 0;
	__u32 zero = 0;
	void *map = agg_generation & 1 ? (void *)&agg1 : (void *)&agg0;

	key.tid = start->tid;
	key.runnable = start->state == 0;
	key.user_hash = hash_ips(start->user_ips, start->user_stack_bytes);
	key.kernel_hash = hash_ips(start->kernel_ips, start->kernel_stack_bytes);
	key.waker_tid = start->waker_tid;
	key.waker_known = start->waker_known;
	key.waker_user_stack_id = start->waker_user_stack_id;
	key.waker_kernel_stack_id = start->waker_kernel_stack_id;
	if (key.runnable) {
		runqueue_ns = now_ns - start->start_ns;
	} else if (start->wake_ns > start->start_ns && start->wake_ns < now_ns) {
		blocked_ns = start->wake_ns - start->start_ns;
		runqueue_ns = now_ns - start->wake_ns;
	} else {
		blocked_ns = now_ns - start->start_ns;
	}
	v = bpf_map_lookup_elem(map, &key);
	if (v) {
		add_to(v, blocked_ns, runqueue_ns, now_ns);
		return;
	}
	fresh = bpf_map_lookup_elem(&agg_scratch, &zero);
	if (!fresh)
		return;
	fresh->count = 1;
	fresh->blocked_ns = blocked_ns;
	fresh->runqueue_ns = runqueue_ns;
	fresh->last_end_ns = now_ns;
	bpf_probe_read_kernel(&fresh->sample, sizeof(fresh->sample), start);
	if (bpf_map_update_elem(map, &key, fresh, BPF_NOEXIST) == 0) {
		send_user_stack(start->tid, start->start_ns); /* the aggregate's stack */
		return;
	}
	/* Inserted meanwhile on another CPU, or the map is full. */
	v = bpf_map_lookup_elem(map, &key);
	if (v)
		add_to(v, blocked_ns, runqueue_ns, now_ns);
	else
		count_drop(LP_OFFCPU_DROP_AGGREGATE_MAP_FULL);
}

static __always_inline void on_switch_in(struct task_struct *next, __u64 now_ns)
{
	__u32 tid = next->pid;
	struct lp_offcpu_event *start = bpf_map_lookup_elem(&switched_out, &tid);
	struct lp_offcpu_event *e;

	if (!start)
		return; /* switched out before the probe ran, or its entry was evicted */
	if (now_ns - start->start_ns < offcpu_min_ns) {
		aggregate(start, now_ns);
		bpf_map_delete_elem(&switched_out, &tid);
		return;
	}
	send_user_stack(tid, start->start_ns); /* before the interval it belongs to */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(LP_OFFCPU_DROP_RINGBUF_FULL);
		bpf_map_delete_elem(&switched_out, &tid);
		return;
	}
	bpf_probe_read_kernel(e, sizeof(*e), start);
	e->end_ns = now_ns;
	bpf_ringbuf_submit(e, submit_flags());
	bpf_map_delete_elem(&switched_out, &tid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now_ns = bpf_ktime_get_ns();

	if (is_target(prev)) {
		__u32 tid = prev->pid;

		/* TASK_DEAD: its last switch-out, it never comes back. */
		if (prev_state & 0x80)
			bpf_map_delete_elem(&switched_out, &tid);
		else
			on_switch_out(ctx, preempt, prev, prev_state, now_ns);
		if (!(prev_state & 0x80)) {
			__u32 tgid = prev->tgid;
			__u8 *mode = bpf_map_lookup_elem(&targets, &tgid);

			if (mode && *mode == LP_UNWIND_DWARF)
				copy_user_stack(prev, now_ns);
		}
	}
	if (is_target(next))
		on_switch_in(next, now_ns);
	return 0;
}

/* The waker's stacks, current being the waker (sched_waking runs in its
 * context). No user stack for a kernel thread: not a loss. */
static __always_inline void waker_stack_ids(void *ctx, __s32 *user_id, __s32 *kernel_id)
{
	struct task_struct *current = (struct task_struct *)bpf_get_current_task_btf();
	struct pt_regs *regs;
	long id;

	*user_id = -1;
	*kernel_id = -1;
	if (!waker_stacks_on)
		return;
	id = bpf_get_stackid(ctx, &waker_stacks, 0);
	if (id < 0)
		count_drop(LP_OFFCPU_DROP_WAKER_STACK);
	*kernel_id = id;
	if (!current->mm)
		return; /* a kernel thread */
	/* An interrupt that came from user mode (orig_ax < 0: an interrupt
	 * entry; a syscall's number or an exception's error code are >= 0):
	 * the task is whatever the interrupt hit, not the waker, and its user
	 * stack a random place that would fill the map. */
	regs = (struct pt_regs *)bpf_task_pt_regs(current);
	if (!regs || (long)regs->orig_ax < 0)
		return;
	id = bpf_get_stackid(ctx, &waker_stacks, BPF_F_USER_STACK);
	if (id < 0 && id != -EFAULT)
		count_drop(LP_OFFCPU_DROP_WAKER_STACK);
	*user_id = id;
}

static __always_inline void note_waker(void *ctx, struct lp_offcpu_event *start, bool stacks)
{
	__u64 id = bpf_get_current_pid_tgid();

	start->waker_pid = id >> 32;
	start->waker_tid = (__u32)id;
	bpf_get_current_comm(start->waker_comm, sizeof(start->waker_comm));
	start->waker_known = 1;
	if (stacks)
		waker_stack_ids(ctx, &start->waker_user_stack_id, &start->waker_kernel_stack_id);
}

/* sched_wakeup: the wake time. The waker was noted at sched_waking; when no
 * sched_waking was seen for it (the probe attached in between), current is
 * the best guess (it may be another CPU's idle task, the wakeup being queued
 * there by an IPI), without stacks. */
static __always_inline void on_wakeup(void *ctx, struct task_struct *task)
{
	__u32 tid = task->pid;
	struct lp_offcpu_event *start;

	if (!is_target(task))
		return;
	start = bpf_map_lookup_elem(&switched_out, &tid);
	if (!start || start->wake_ns != 0)
		return;
	start->wake_ns = bpf_ktime_get_ns();
	if (!start->waker_known) {
		struct early_waking *w = bpf_map_lookup_elem(&early_wakings, &tid);

		/* A waking while the record was being made (after its start
		 * time was taken) or shortly before. */
		if (w && w->time_ns <= start->wake_ns && w->time_ns + LP_EARLY_WAKING_NS >= start->start_ns) {
			start->waker_pid = w->waker_pid;
			start->waker_tid = w->waker_tid;
			__builtin_memcpy(start->waker_comm, w->waker_comm, sizeof(start->waker_comm));
			start->waker_user_stack_id = w->waker_user_stack_id;
			start->waker_kernel_stack_id = w->waker_kernel_stack_id;
			start->waker_known = 1;
		} else {
			note_waker(ctx, start, false);
		}
		if (w)
			bpf_map_delete_elem(&early_wakings, &tid);
	}
}

/* The waker, in its own context: the first waking of a switched-out thread. */
SEC("tp_btf/sched_waking")
int BPF_PROG(on_waking_btf, struct task_struct *task)
{
	__u32 tid = task->pid;
	struct lp_offcpu_event *start;

	if (!is_target(task))
		return 0;
	start = bpf_map_lookup_elem(&switched_out, &tid);
	if (start && start->wake_ns == 0 && !start->waker_known) {
		note_waker(ctx, start, true);
	} else if (!start) {
		struct early_waking w = {};
		__u64 id = bpf_get_current_pid_tgid();

		w.time_ns = bpf_ktime_get_ns();
		w.waker_pid = id >> 32;
		w.waker_tid = (__u32)id;
		bpf_get_current_comm(w.waker_comm, sizeof(w.waker_comm));
		waker_stack_ids(ctx, &w.waker_user_stack_id, &w.waker_kernel_stack_id);
		bpf_map_update_elem(&early_wakings, &tid, &w, BPF_ANY);
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup_btf, struct task_struct *task)
{
	on_wakeup(ctx, task);
	return 0;
}

/* A new thread waits for its first CPU from here: a runqueue interval
 * without stacks (it has not run yet). */
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(on_wakeup_new_btf, struct task_struct *task)
{
	__u32 zero = 0, tid = task->pid;
	struct lp_offcpu_event *e;
	__u64 id, now_ns;

	if (!is_target(task))
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	id = bpf_get_current_pid_tgid();
	now_ns = bpf_ktime_get_ns();
	e->type = LP_EVENT_OFFCPU;
	e->cpu = bpf_get_smp_processor_id();
	e->start_ns = now_ns;
	e->wake_ns = now_ns;
	e->end_ns = 0;
	e->pid = task->tgid;
	e->tid = tid;
	e->waker_pid = id >> 32;
	e->waker_tid = (__u32)id;
	bpf_get_current_comm(e->waker_comm, sizeof(e->waker_comm));
	e->waker_known = 1;
	e->waker_pad = 0;
	e->waker_user_stack_id = -1;
	e->waker_kernel_stack_id = -1;
	e->state = 0;
	e->preempt = 0;
	e->kernel_stack_bytes = 0;
	e->user_stack_bytes = 0;
	if (bpf_map_update_elem(&switched_out, &tid, e, BPF_ANY) != 0)
		count_drop(LP_OFFCPU_DROP_START_MAP_FULL);
	return 0;
}
