// SPDX-License-Identifier: GPL-2.0
/*
 * The cpu probe: runs on every cpu-clock sample of every CPU, counts where the
 * sample went (target / loadprof itself / other / idle, per CPU per second)
 * and streams samples of the target process set, with user and kernel stacks,
 * into a ring buffer without waking the reader. fork/exit tracepoints keep the
 * target set current so children are followed.
 *
 * Processes marked LP_UNWIND_DWARF in the target map are not written here:
 * the program returns 1 and the kernel writes the sample (registers, a copy
 * of the user stack, the kernel callchain) into the event's own perf ring.
 */
#include "common.bpf.h"
#include "cpu.h"

char LICENSE[] SEC("license") = "GPL";

#define EFAULT 14

const volatile __u32 self_tgid = 0;
const volatile bool follow_children = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by user space before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LP_DROP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LP_ACCOUNTING_SLOTS);
	__type(key, __u32);
	__type(value, struct lp_accounting_slot);
} accounting SEC(".maps");

static __always_inline void count_drop(__u32 reason)
{
	__u64 *count = bpf_map_lookup_elem(&drops, &reason);

	if (count)
		*count += 1;
}

/* Per-CPU slots keyed by the second, so no reader/writer race: user space only
 * reads slots of finished seconds. */
static __always_inline void account(__u64 now_ns, __u32 tgid, __u32 tid, bool is_target)
{
	__u64 second = now_ns / 1000000000ULL;
	__u32 index = second % LP_ACCOUNTING_SLOTS;
	struct lp_accounting_slot *slot = bpf_map_lookup_elem(&accounting, &index);

	if (!slot)
		return;
	if (slot->second != second) {
		slot->second = second;
		slot->target = 0;
		slot->self = 0;
		slot->other = 0;
		slot->idle = 0;
	}
	if (tid == 0)
		slot->idle += 1;
	else if (is_target)
		slot->target += 1;
	else if (tgid == self_tgid)
		slot->self += 1;
	else
		slot->other += 1;
}

/* The sample interrupted user code: there is no kernel stack to walk. */
static __always_inline bool interrupted_user_mode(struct bpf_perf_event_data *ctx)
{
#if defined(__TARGET_ARCH_x86)
	/* A whole-word read: the verifier refuses narrower loads of perf_event
	 * regs, and (cs & 3) == 3 would otherwise compile into a byte load. */
	__u64 cs = *(volatile __u64 *)&ctx->regs.cs;

	return (cs & 3) == 3;
#else
	return false; /* not known here: ask for the kernel stack (empty in user mode) */
#endif
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	__u64 now_ns = bpf_ktime_get_ns();
	__u8 *mode = tid != 0 ? bpf_map_lookup_elem(&targets, &tgid) : NULL;
	bool is_target = mode != NULL;
	struct lp_sample_event *e;

	account(now_ns, tgid, tid, is_target);
	if (!is_target)
		return 0;
	/* DWARF: the perf ring gets this sample (and only the targets' samples). */
	if (*mode == LP_UNWIND_DWARF)
		return 1;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(LP_DROP_RINGBUF_FULL);
		return 0;
	}
	e->type = LP_EVENT_SAMPLE;
	e->cpu = bpf_get_smp_processor_id();
	e->time_ns = now_ns;
	e->pid = tgid;
	e->tid = tid;
	/* -EFAULT: the sample hit user mode, so there is no kernel stack (the
	 * helper is not even called then: it would find none). */
	e->kernel_stack_bytes = interrupted_user_mode(ctx) ? -EFAULT
							  : bpf_get_stack(ctx, e->kernel_ips, sizeof(e->kernel_ips), 0);
	if (e->kernel_stack_bytes < 0 && e->kernel_stack_bytes != -EFAULT)
		count_drop(LP_DROP_KERNEL_STACK);
	e->user_stack_bytes = bpf_get_stack(ctx, e->user_ips, sizeof(e->user_ips), BPF_F_USER_STACK);
	if (e->user_stack_bytes < 0)
		count_drop(LP_DROP_USER_STACK);
	/* No wake-up: a per-sample wake-up would preempt the target; user space
	 * drains on a timer. */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int handle_fork(__u32 parent_tgid, __u32 child_tgid)
{
	struct lp_task_event *e;
	__u8 *parent_mode, mode;
	long err;

	/* A new thread shares its tgid: it is already covered. */
	if (!follow_children || parent_tgid == child_tgid)
		return 0;
	parent_mode = bpf_map_lookup_elem(&targets, &parent_tgid);
	if (!parent_mode)
		return 0;
	mode = *parent_mode; /* a child is unwound as its parent */
	err = bpf_map_update_elem(&targets, &child_tgid, &mode, BPF_ANY);
	if (err) {
		count_drop(LP_DROP_MAP_FULL);
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(LP_DROP_EVENT_RINGBUF_FULL);
		return 0;
	}
	e->type = LP_EVENT_FORK;
	e->cpu = bpf_get_smp_processor_id();
	e->time_ns = bpf_ktime_get_ns();
	e->pid = child_tgid;
	e->ppid = parent_tgid;
	e->exit_code = 0;
	e->pad = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Called for every exiting thread; acts only when the last one goes. */
static __always_inline int handle_exit(__u32 tgid, int live_threads, int exit_code)
{
	struct lp_task_event *e;

	if (live_threads != 0)
		return 0;
	if (bpf_map_delete_elem(&targets, &tgid) != 0)
		return 0; /* not a target */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(LP_DROP_EVENT_RINGBUF_FULL);
		return 0;
	}
	e->type = LP_EVENT_EXIT;
	e->cpu = bpf_get_smp_processor_id();
	e->time_ns = bpf_ktime_get_ns();
	e->pid = tgid;
	e->ppid = 0;
	e->exit_code = exit_code;
	e->pad = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(parent->tgid, child->tgid);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid));
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit_btf, struct task_struct *task)
{
	return handle_exit(task->tgid, task->signal->live.counter, task->exit_code);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit_raw, struct task_struct *task)
{
	return handle_exit(BPF_CORE_READ(task, tgid), BPF_CORE_READ(task, signal, live.counter),
			   BPF_CORE_READ(task, exit_code));
}
