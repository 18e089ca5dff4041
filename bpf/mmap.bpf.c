// SPDX-License-Identifier: GPL-2.0
/*
 * The mmap probe, always on with the alloc probe (both of its paths): the
 * address-space calls of the target set — mmap, munmap, brk, mremap — by
 * user stack.
 * On the per-syscall tracepoints (syscalls:sys_enter_mmap ..., which run for
 * these calls only; the raw sys_enter/sys_exit ones, which run for every
 * syscall on the machine, when tracefs is missing) a target thread's call stores its
 * arguments in task storage (mmap: length and whether it maps a file;
 * munmap: length and whether its first mapping is a file's, from the VMA;
 * brk: the break before the call, mm->brk; mremap: old and new length); on
 * sys_exit a successful call is
 * merged into an aggregate per (tgid, op, user stack) — calls and
 * page-rounded bytes (brk: the move of the break; mremap: new - old) — that user space drains
 * about every second, so the stacks of a target that exits are still
 * symbolized (the stack is walked by hand: see user_stack). Failed calls
 * and brk calls that did not move the break are counted, never aggregated. The target set is the cpu probe's map, shared
 * by file descriptor. For targets unwound by DWARF (their target-map entry
 * is LP_UNWIND_DWARF), each successful call goes to the ring instead with its
 * user registers and the top of its user stack (lp_mmap_dwarf_event), to be
 * unwound and merged by stack in user space; a call that finds the ring full
 * is aggregated here as above (counted).
 */
#include "common.bpf.h"
#include "mmap.h"
#include "user_stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define LP_MAP_ANONYMOUS 0x20
#define LP_PAGE_BYTES 4096ULL
/* How far above the stack pointer a frame record may lie. */
#define LP_MMAP_STACK_SPAN (1ULL << 20)

/* DWARF mode: user stack bytes copied per call (a power of two, at most
 * LP_MMAP_STACK_MAX_BYTES; 0: no copies, FP stacks for every target). */
const volatile __u32 mmap_stack_bytes = 0;
/* Records are submitted without waking the reader, unless this much is
 * waiting in the ring (0: never). */
const volatile __u64 ringbuf_wakeup_bytes = 0;
/* Which aggregate map BPF writes (0: agg0, 1: agg1); flipped by user space. */
__u32 agg_generation = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps"); /* reused: the cpu probe's map */

struct inflight {
	__u64 length;		/* mmap, munmap: page-rounded; mremap: the old length */
	__u64 new_length;	/* mremap: page-rounded */
	__u64 old_brk;		/* brk: the break before the call */
	__u32 nr;		/* syscall number, checked again at exit */
	__u32 op;		/* mmap, munmap: enum lp_mmap_op */
	__u32 active;		/* entered, exit not seen yet */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct agg_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_MMAP_MAX_AGGREGATES);
	__type(key, struct lp_mmap_agg_key);
	__type(value, struct lp_mmap_agg);
} agg0 SEC(".maps"), agg1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lp_mmap_agg);
} agg_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 12); /* resized by user space before load (DWARF mode) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LP_MMAP_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &index);

	if (c)
		*c += 1;
}

static __always_inline __u64 page_round(__u64 bytes)
{
	return (bytes + LP_PAGE_BYTES - 1) & ~(LP_PAGE_BYTES - 1);
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

/* bpf_find_vma's callback: is the mapping at the address a file's? */
static long vma_is_file(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(__u32 *)data = vma->vm_file != NULL;
	return 0;
}

/* A target thread enters mmap/munmap/brk/mremap: what the exit needs, in task storage. */
static __always_inline int enter(__u32 nr, __u64 addr, __u64 length, __u64 flags, __u64 new_length)
{
	struct task_struct *task;
	struct inflight *in;
	__u32 tgid = current_tgid(), file = 0;

	if (!bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	count(LP_MMAP_CALLS);
	task = bpf_get_current_task_btf();
	in = bpf_task_storage_get(&inflight, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!in) {
		count(LP_MMAP_DROP_INFLIGHT);
		return 0;
	}
	in->nr = nr;
	in->length = page_round(length);
	in->new_length = page_round(new_length);
	in->old_brk = 0;
	if (nr == LP_NR_MREMAP) {
		in->op = LP_MREMAP_GROW; /* or shrink: decided at exit */
	} else if (nr == LP_NR_MMAP) {
		in->op = (flags & LP_MAP_ANONYMOUS) ? LP_MMAP_ANON : LP_MMAP_FILE;
	} else if (nr == LP_NR_MUNMAP) {
		bpf_find_vma(task, addr, vma_is_file, &file, 0);
		in->op = file ? LP_MUNMAP_FILE : LP_MUNMAP_ANON;
	} else {
		in->old_brk = BPF_CORE_READ(task, mm, brk);
		in->op = LP_BRK_GROW;
	}
	in->active = 1;
	return 0;
}

static __always_inline void add_call(struct lp_mmap_agg *v, __u64 bytes, __u64 now_ns)
{
	__sync_fetch_and_add(&v->calls, 1);
	__sync_fetch_and_add(&v->bytes, bytes);
	v->last_ns = now_ns;
}

/* Frame-pointer targets (and DWARF calls that found the ring full): a
 * heuristic — a stale return address left in the window shows as a frame
 * that was never called; DWARF targets send a copy instead (send_dwarf).
 * The user stack of the call, by hand: bpf_get_stack walks from rbp, which
 * inside FP-less libc code (sbrk keeps the break in it) is not a frame
 * pointer, and never sees the return address a leaf wrapper (mmap, munmap,
 * brk) leaves at the stack pointer. So: the IP, a copy of the stack's first
 * words (user space keeps the ones inside executable mappings), then the
 * frame-pointer chain from the first frame record: rbp when it points into
 * the stack above the stack pointer, else the first word of the window that
 * does (a caller's rbp that FP-less code saved). */
static __always_inline void user_stack(struct lp_mmap_agg *a, struct pt_regs *regs)
{
	__u64 ip = BPF_CORE_READ(regs, ip), sp = BPF_CORE_READ(regs, sp), bp = BPF_CORE_READ(regs, bp);
	__u64 fp = 0, rec[2];
	__u32 n = 0, i;

	/* Near the top of the stack the whole window may not be readable: no window then. */
	int window_ok = bpf_probe_read_user(a->window, sizeof(a->window), (void *)sp) == 0;

	a->window_words = 0;
	if (!window_ok) {
		a->window[0] = 0;
		count(LP_MMAP_DROP_USER_STACK);
	}
	a->user_ips[n++] = ip;
	if (bp > sp && bp < sp + LP_MMAP_STACK_SPAN && !(bp & 7)) {
		fp = bp;
	} else if (window_ok) {
		for (i = 1; i < LP_MMAP_WINDOW_WORDS; i++) {
			__u64 at = sp + 8 * (__u64)i, w = a->window[i];

			if (w > at && w < at + LP_MMAP_STACK_SPAN && !(w & 7)) {
				fp = w;
				break;
			}
		}
	}
	if (window_ok) {
		a->window_words = LP_MMAP_WINDOW_WORDS;
		if (fp && (fp - sp) / 8 < LP_MMAP_WINDOW_WORDS)
			a->window_words = (fp - sp) / 8;
	}
	for (i = 0; i < LP_MAX_STACK_DEPTH - 1 && fp; i++) {
		if (n >= LP_MAX_STACK_DEPTH)
			break;
		if (bpf_probe_read_user(rec, sizeof(rec), (void *)fp) != 0 || rec[1] == 0)
			break;
		a->user_ips[n++] = rec[1];
		if (rec[0] <= fp)
			break;
		fp = rec[0];
	}
	a->user_stack_bytes = n * 8;
}

/* BPF_RB_NO_WAKEUP, or a wake-up when the ring is filling. */
static __always_inline __u64 submit_flags(void)
{
	if (ringbuf_wakeup_bytes && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline bool dwarf_target(void)
{
	__u32 tgid = current_tgid();
	__u8 *mode;

	if (mmap_stack_bytes == 0)
		return false;
	mode = bpf_map_lookup_elem(&targets, &tgid);
	return mode && *mode == LP_UNWIND_DWARF;
}

/* DWARF mode: the call with its user registers and the top of its user
 * stack; false when the ring had no room (the caller then aggregates it
 * with the FP walk). */
static __always_inline bool send_dwarf(struct pt_regs *regs, __u32 op, __u64 bytes, __u64 now_ns)
{
	struct lp_mmap_dwarf_event *e;
	struct pt_regs user;
	__u64 id = bpf_get_current_pid_tgid();

	/* A copy first: the exit programs are plain tracepoints, where the
	 * task's pt_regs are read as kernel memory. */
	if (bpf_probe_read_kernel(&user, sizeof(user), regs) != 0)
		return false;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(LP_MMAP_DWARF_RINGBUF_FULL);
		return false;
	}
	e->type = LP_EVENT_MMAP_DWARF;
	e->op = op;
	e->time_ns = now_ns;
	e->bytes = bytes;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->pad = 0;
	lp_copy_user_regs(&user, e->regs);
	e->stack_bytes = lp_copy_user_stack(e->regs[7], e->stack, mmap_stack_bytes, LP_MMAP_STACK_MAX_BYTES);
	if (e->stack_bytes == 0)
		count(LP_MMAP_DWARF_STACK);
	bpf_ringbuf_submit(e, submit_flags());
	return true;
}

static __always_inline void aggregate(struct pt_regs *regs, __u32 op, __u64 bytes, __u64 now_ns)
{
	struct lp_mmap_agg_key key = {};
	struct lp_mmap_agg *v, *fresh;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	void *map = agg_generation & 1 ? (void *)&agg1 : (void *)&agg0;

	fresh = bpf_map_lookup_elem(&agg_scratch, &zero);
	if (!fresh)
		return;
	user_stack(fresh, regs);
	key.pid = id >> 32;
	key.op = op;
	/* The word at the stack pointer joins the key: the caller of a leaf wrapper. */
	key.user_hash = hash_ips(fresh->user_ips, fresh->user_stack_bytes) ^ (fresh->window[0] * 31);
	v = bpf_map_lookup_elem(map, &key);
	if (v) {
		add_call(v, bytes, now_ns);
		return;
	}
	fresh->calls = 1;
	fresh->bytes = bytes;
	fresh->first_ns = now_ns;
	fresh->last_ns = now_ns;
	fresh->tid = (__u32)id;
	if (bpf_map_update_elem(map, &key, fresh, BPF_NOEXIST) == 0)
		return;
	/* Inserted meanwhile on another CPU, or the map is full. */
	v = bpf_map_lookup_elem(map, &key);
	if (v)
		add_call(v, bytes, now_ns);
	else
		count(LP_MMAP_DROP_AGGREGATE_MAP_FULL);
}

/* The call returns: merged into its aggregate when it changed the address space. */
static __always_inline int leave(__u32 nr, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inflight *found = bpf_task_storage_get(&inflight, task, 0, 0);
	struct inflight in;
	struct pt_regs *regs;
	__u64 bytes, now_ns;
	__u32 op;

	if (!found || !found->active)
		return 0;
	in = *found;
	found->active = 0;
	/* An entry left by a call whose exit was never seen: not this call's. */
	if (nr != in.nr)
		return 0;
	op = in.op;
	bytes = in.length;
	if (in.nr == LP_NR_BRK) {
		/* brk returns the new break (the old one when refused). */
		__u64 now_brk = (__u64)ret;

		if (now_brk == in.old_brk) {
			count(LP_MMAP_BRK_QUERIES);
			return 0;
		}
		if (now_brk > in.old_brk) {
			bytes = now_brk - in.old_brk;
		} else {
			op = LP_BRK_SHRINK;
			bytes = in.old_brk - now_brk;
		}
	} else if (ret < 0 && ret >= -4095) {
		count(LP_MMAP_FAILED);
		return 0;
	} else if (in.nr == LP_NR_MREMAP) {
		if (in.new_length >= in.length) {
			bytes = in.new_length - in.length;
		} else {
			op = LP_MREMAP_SHRINK;
			bytes = in.length - in.new_length;
		}
	}
	now_ns = bpf_ktime_get_ns();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (dwarf_target() && send_dwarf(regs, op, bytes, now_ns))
		return 0;
	aggregate(regs, op, bytes, now_ns);
	return 0;
}

/* Per-syscall tracepoints (tracefs): the kernel runs these programs for
 * these four syscalls only. One exit program, attached by the loader to
 * the four exit tracepoints alike (their records share one layout and hold
 * the syscall number): the stack walk is verified once. The loader's first
 * choice. */
SEC("tracepoint/syscalls/sys_enter_mmap")
int on_enter_mmap(struct trace_event_raw_sys_enter *ctx)
{
	return enter(LP_NR_MMAP, ctx->args[0], ctx->args[1], ctx->args[3], 0);
}

/* Each enter program reads no further than its own record (the kernel
 * refuses to attach one that could). */
SEC("tracepoint/syscalls/sys_enter_munmap")
int on_enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	return enter(LP_NR_MUNMAP, ctx->args[0], ctx->args[1], 0, 0);
}

SEC("tracepoint/syscalls/sys_enter_brk")
int on_enter_brk(struct trace_event_raw_sys_enter *ctx)
{
	return enter(LP_NR_BRK, ctx->args[0], 0, 0, 0);
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int on_enter_mremap(struct trace_event_raw_sys_enter *ctx)
{
	return enter(LP_NR_MREMAP, ctx->args[0], ctx->args[1], 0, ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int on_exit(struct trace_event_raw_sys_exit *ctx)
{
	return leave((__u32)ctx->id, ctx->ret);
}

/* The raw tracepoints (no tracefs needed): run for every syscall of every
 * process, so they cost more (docs/benchmarks/mmap.md). The fallback. */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	if (id != LP_NR_MMAP && id != LP_NR_MUNMAP && id != LP_NR_BRK && id != LP_NR_MREMAP)
		return 0;
	return enter((__u32)id, BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si), BPF_CORE_READ(regs, r10),
		     BPF_CORE_READ(regs, dx));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	return leave((__u32)BPF_CORE_READ(regs, orig_ax), ret);
}
