// SPDX-License-Identifier: GPL-2.0
/*
 * The io probe. Syscalls: on the raw sys_enter tracepoint, a traced syscall
 * (syscall_table, filled by user space) of a target thread has its entry
 * time, number and fd kind (task->files -> fdtable -> file -> inode mode)
 * stored in the thread's task storage; on sys_exit the call's latency and byte count are merged
 * into an aggregate per (tgid, syscall, fd kind, user stack) that user space
 * drains every second, or, at or above slow_ns, sent to the ring buffer on
 * its own (without waking the reader) with its user stack. Block layer:
 * block_rq_issue -> block_rq_complete by request, merged per (device, op)
 * the same way, for the whole machine (a request is issued by whoever
 * flushes, often a kernel worker, not by the process that wrote).
 * The target set is the cpu probe's map, shared by file descriptor. For
 * targets unwound by DWARF, each traced call goes to the ring with its user
 * registers and the top of its user stack (lp_io_dwarf_event) instead, to be
 * unwound and merged by stack in user space.
 */
#include "common.bpf.h"
#include "io.h"
#include "user_stack.bpf.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 slow_ns = 1000000;
/* The local port range connect() picks from (ip_local_port_range): a socket
 * whose local port is in it and remote port is not is a client's. */
const volatile __u16 ephemeral_low = 32768;
const volatile __u16 ephemeral_high = 60999;
/* DWARF mode: user stack bytes copied per call (a power of two, at most
 * LP_IO_STACK_MAX_BYTES; 0: no copies, FP stacks for every target). */
const volatile __u32 io_stack_bytes = 0;
/* Records are submitted without waking the reader, unless this much is
 * waiting in the ring (0: never). */
const volatile __u64 ringbuf_wakeup_bytes = 0;
/* Which aggregate maps BPF writes (0: agg0/dev0, 1: agg1/dev1); flipped by user space. */
__u32 agg_generation = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps"); /* reused: the cpu probe's map */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LP_IO_SYSCALL_TABLE);
	__type(key, __u32);
	__type(value, __u32);
} syscall_table SEC(".maps");

struct inflight {
	__u64 start_ns;
	__u32 nr;	/* syscall number, checked again at exit */
	__u32 info;	/* syscall_table value */
	__u32 fd_kind;
	__u32 active;	/* entered, exit not seen yet */
};

/* Per-thread storage: cheaper than a hash keyed by tid (no lookup, no
 * update or delete per call), and freed with the thread. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct agg_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_IO_MAX_AGGREGATES);
	__type(key, struct lp_io_agg_key);
	__type(value, struct lp_io_agg);
} agg0 SEC(".maps"), agg1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lp_io_agg);
} agg_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_IO_MAX_REQUESTS);
	__type(key, __u64);
	__type(value, struct lp_io_request);
} requests SEC(".maps");

struct device_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_IO_MAX_DEVICE_AGGREGATES);
	__type(key, struct lp_io_device_key);
	__type(value, struct lp_io_device_agg);
} dev0 SEC(".maps"), dev1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LP_IO_MAX_SOCKETS);
	__type(key, struct lp_io_socket_key);
	__type(value, struct lp_io_socket);
} sockets SEC(".maps");

/* The exchange a thread is serving (a server socket's receive not answered
 * yet) and the client round trips it made meanwhile. */
struct serving {
	struct lp_io_exchange e;
	__u32 active;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct serving);
} serving SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by user space before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LP_IO_DROP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void count_drop(__u32 reason)
{
	__u64 *count = bpf_map_lookup_elem(&drops, &reason);

	if (count)
		*count += 1;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	return r;
}

static __always_inline __u32 latency_bucket(__u64 ns)
{
	__u32 b = log2_u64(ns);

	return b < LP_IO_LATENCY_BUCKETS ? b : LP_IO_LATENCY_BUCKETS - 1;
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

/* What the fd is, from its inode's mode (S_IFMT bits). */
static __always_inline __u32 fd_kind_of(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;
	unsigned int max_fds;
	__u32 mode;

	if (!fdt || fd < 0)
		return LP_FD_OTHER;
	max_fds = BPF_CORE_READ(fdt, max_fds);
	if (fd >= max_fds)
		return LP_FD_OTHER;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) != 0 || !file)
		return LP_FD_OTHER;
	mode = BPF_CORE_READ(file, f_inode, i_mode) & 0170000;
	if (mode == 0140000)
		return LP_FD_SOCKET;
	if (mode == 0010000)
		return LP_FD_PIPE;
	if (mode == 0100000 || mode == 0060000)
		return LP_FD_FILE;
	return LP_FD_OTHER;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct inflight *in;
	__u32 nr = (__u32)id, tgid, *info;

	if (id < 0 || id >= LP_IO_SYSCALL_TABLE)
		return 0;
	info = bpf_map_lookup_elem(&syscall_table, &nr);
	if (!info || !(*info & 0xff))
		return 0;
	tgid = current_tgid();
	if (!bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!in) {
		count_drop(LP_IO_DROP_INFLIGHT_MAP_FULL);
		return 0;
	}
	in->nr = nr;
	in->info = *info;
	if (in->info & LP_IO_F_POLL)
		in->fd_kind = LP_FD_POLL;
	else if (in->info & LP_IO_F_SOCKET)
		in->fd_kind = LP_FD_SOCKET;
	else if (in->info & LP_IO_F_FD)
		in->fd_kind = fd_kind_of((long)(int)BPF_CORE_READ(regs, di));
	else
		in->fd_kind = LP_FD_OTHER;
	in->active = 1;
	in->start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void add_call(struct lp_io_agg *v, __u64 bytes, __u64 error, __u64 latency_ns,
				     __u32 bucket, __u64 now_ns)
{
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->bytes, bytes);
	__sync_fetch_and_add(&v->errors, error);
	__sync_fetch_and_add(&v->total_ns, latency_ns);
	if (bucket < LP_IO_LATENCY_BUCKETS)
		__sync_fetch_and_add(&v->latency_log2[bucket], 1);
	if (latency_ns > v->max_ns)
		v->max_ns = latency_ns; /* racy across CPUs: at worst a smaller max of the same second */
	v->last_ns = now_ns;
}

static __always_inline void send_slow(void *ctx, struct inflight *in, __u64 now_ns, long ret)
{
	struct lp_io_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		count_drop(LP_IO_DROP_RINGBUF_FULL);
		return;
	}
	e->type = LP_EVENT_IO;
	e->cpu = bpf_get_smp_processor_id();
	e->start_ns = in->start_ns;
	e->end_ns = now_ns;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->syscall = (in->info & 0xff) - 1;
	e->fd_kind = in->fd_kind;
	e->ret = ret;
	e->pad = 0;
	e->user_stack_bytes = bpf_get_stack(ctx, e->user_ips, sizeof(e->user_ips), BPF_F_USER_STACK);
	if (e->user_stack_bytes < 0)
		count_drop(LP_IO_DROP_USER_STACK);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

static __always_inline void aggregate(void *ctx, struct inflight *in, __u64 now_ns, long ret)
{
	struct lp_io_agg_key key = {};
	struct lp_io_agg *v, *fresh;
	__u64 latency_ns = now_ns - in->start_ns;
	__u64 bytes = (in->info & LP_IO_F_BYTES) && ret > 0 ? (__u64)ret : 0;
	__u64 error = ret < 0;
	__u32 bucket = latency_bucket(latency_ns), zero = 0;
	__u64 id = bpf_get_current_pid_tgid();
	void *map = agg_generation & 1 ? (void *)&agg1 : (void *)&agg0;

	fresh = bpf_map_lookup_elem(&agg_scratch, &zero);
	if (!fresh)
		return;
	fresh->user_stack_bytes =
		bpf_get_stack(ctx, fresh->user_ips, sizeof(fresh->user_ips), BPF_F_USER_STACK);
	if (fresh->user_stack_bytes < 0)
		count_drop(LP_IO_DROP_USER_STACK);
	key.pid = id >> 32;
	key.syscall = (in->info & 0xff) - 1;
	key.fd_kind = in->fd_kind;
	key.user_hash = hash_ips(fresh->user_ips, fresh->user_stack_bytes);
	v = bpf_map_lookup_elem(map, &key);
	if (v) {
		add_call(v, bytes, error, latency_ns, bucket, now_ns);
		return;
	}
	fresh->count = 1;
	fresh->bytes = bytes;
	fresh->errors = error;
	fresh->total_ns = latency_ns;
	fresh->max_ns = latency_ns;
	fresh->first_ns = in->start_ns;
	fresh->last_ns = now_ns;
	for (__u32 i = 0; i < LP_IO_LATENCY_BUCKETS; i++)
		fresh->latency_log2[i] = 0;
	if (bucket < LP_IO_LATENCY_BUCKETS)
		fresh->latency_log2[bucket] = 1;
	fresh->tid = (__u32)id;
	if (bpf_map_update_elem(map, &key, fresh, BPF_NOEXIST) == 0)
		return;
	/* Inserted meanwhile on another CPU, or the map is full. */
	v = bpf_map_lookup_elem(map, &key);
	if (v)
		add_call(v, bytes, error, latency_ns, bucket, now_ns);
	else
		count_drop(LP_IO_DROP_AGGREGATE_MAP_FULL);
}

/* BPF_RB_NO_WAKEUP, or a wake-up when the ring is filling. */
static __always_inline __u64 submit_flags(void)
{
	if (ringbuf_wakeup_bytes && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* DWARF mode: the call with its user registers (saved at its entry) and the
 * top of its user stack; false when the ring had no room (the caller then
 * merges it with an FP stack). */
static __always_inline bool send_dwarf(struct pt_regs *regs, struct inflight *in, __u64 now_ns, long ret)
{
	struct lp_io_dwarf_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		count_drop(LP_IO_DROP_DWARF_RINGBUF_FULL);
		return false;
	}
	e->type = LP_EVENT_IO_DWARF;
	e->cpu = bpf_get_smp_processor_id();
	e->start_ns = in->start_ns;
	e->end_ns = now_ns;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->syscall = (in->info & 0xff) - 1;
	e->fd_kind = in->fd_kind;
	e->ret = ret;
	e->pad = 0;
	lp_copy_user_regs(regs, e->regs);
	e->stack_bytes = lp_copy_user_stack(e->regs[7], e->stack, io_stack_bytes, LP_IO_STACK_MAX_BYTES);
	if (e->stack_bytes == 0)
		count_drop(LP_IO_DROP_DWARF_STACK);
	bpf_ringbuf_submit(e, submit_flags());
	return true;
}

static __always_inline bool dwarf_target(void)
{
	__u32 tgid = current_tgid();
	__u8 *mode;

	if (io_stack_bytes == 0)
		return false;
	mode = bpf_map_lookup_elem(&targets, &tgid);
	return mode && *mode == LP_UNWIND_DWARF;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct inflight *found = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	struct inflight in;
	__u64 now_ns;

	if (!found || !found->active)
		return 0;
	in = *found;
	found->active = 0;
	/* An entry left by a call whose exit was never seen: not this call's. */
	if ((__u32)BPF_CORE_READ(regs, orig_ax) != in.nr)
		return 0;
	now_ns = bpf_ktime_get_ns();
	if (dwarf_target() && send_dwarf(regs, &in, now_ns, ret))
		return 0;
	if (now_ns - in.start_ns >= slow_ns)
		send_slow(ctx, &in, now_ns, ret);
	else
		aggregate(ctx, &in, now_ns, ret);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(on_rq_issue, struct request *rq)
{
	struct lp_io_request r = {};
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
	__u64 key = (__u64)rq;
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & 0xff;

	if (disk)
		r.dev = ((__u32)BPF_CORE_READ(disk, major) << 20) | (__u32)BPF_CORE_READ(disk, first_minor);
	r.op = op <= LP_BLOCK_DISCARD ? op : LP_BLOCK_OTHER;
	r.issue_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&requests, &key, &r, BPF_ANY) != 0)
		count_drop(LP_IO_DROP_REQUEST_MAP_FULL);
	return 0;
}

static __always_inline void add_request(struct lp_io_device_agg *v, __u64 bytes, __u64 error,
					__u64 latency_ns, __u32 bucket, __u64 now_ns)
{
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->bytes, bytes);
	__sync_fetch_and_add(&v->errors, error);
	__sync_fetch_and_add(&v->total_ns, latency_ns);
	if (bucket < LP_IO_LATENCY_BUCKETS)
		__sync_fetch_and_add(&v->latency_log2[bucket], 1);
	if (latency_ns > v->max_ns)
		v->max_ns = latency_ns;
	v->last_ns = now_ns;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, now_ns, latency_ns;
	struct lp_io_request *r = bpf_map_lookup_elem(&requests, &key);
	struct lp_io_device_key dk = {};
	struct lp_io_device_agg *v, fresh = {};
	void *map = agg_generation & 1 ? (void *)&dev1 : (void *)&dev0;
	__u32 bucket;

	if (!r)
		return 0; /* issued before the probe ran */
	now_ns = bpf_ktime_get_ns();
	latency_ns = now_ns - r->issue_ns;
	bucket = latency_bucket(latency_ns);
	dk.dev = r->dev;
	dk.op = r->op;
	fresh.first_ns = r->issue_ns;
	bpf_map_delete_elem(&requests, &key);
	v = bpf_map_lookup_elem(map, &dk);
	if (v) {
		add_request(v, nr_bytes, error != 0, latency_ns, bucket, now_ns);
		return 0;
	}
	fresh.count = 1;
	fresh.bytes = nr_bytes;
	fresh.errors = error != 0;
	fresh.total_ns = latency_ns;
	fresh.max_ns = latency_ns;
	fresh.last_ns = now_ns;
	if (bucket < LP_IO_LATENCY_BUCKETS)
		fresh.latency_log2[bucket] = 1;
	if (bpf_map_update_elem(map, &dk, &fresh, BPF_NOEXIST) == 0)
		return 0;
	v = bpf_map_lookup_elem(map, &dk);
	if (v)
		add_request(v, nr_bytes, error != 0, latency_ns, bucket, now_ns);
	else
		count_drop(LP_IO_DROP_DEVICE_MAP_FULL);
	return 0;
}

#define LP_AF_UNIX 1
#define LP_AF_INET 2
#define LP_AF_INET6 10
#define LP_MSG_PEEK 2

static __always_inline int ephemeral(__u16 port)
{
	return port >= ephemeral_low && port <= ephemeral_high;
}

/* The socket's entry, created at its first data: the peer from the socket,
 * the role from the ports (a client's local port is ephemeral, the server's
 * is not), else from who spoke first. */
static __always_inline struct lp_io_socket *socket_of(struct sock *sk, __u32 pid, int sending, __u64 now_ns)
{
	struct lp_io_socket_key key = {.sk = (__u64)sk, .pid = pid};
	struct lp_io_socket *s = bpf_map_lookup_elem(&sockets, &key);
	struct lp_io_socket fresh = {};

	if (s)
		return s;
	fresh.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fresh.family == LP_AF_INET || fresh.family == LP_AF_INET6) {
		fresh.protocol = BPF_CORE_READ(sk, sk_protocol);
		fresh.local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
		fresh.remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (fresh.family == LP_AF_INET) {
			__be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

			__builtin_memcpy(fresh.remote_addr, &a, 4);
		} else {
			BPF_CORE_READ_INTO(&fresh.remote_addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
	}
	if (ephemeral(fresh.local_port) && !ephemeral(fresh.remote_port))
		fresh.role = LP_ROLE_CLIENT;
	else if (ephemeral(fresh.remote_port) && !ephemeral(fresh.local_port))
		fresh.role = LP_ROLE_SERVER;
	else
		fresh.role = sending ? LP_ROLE_CLIENT : LP_ROLE_SERVER;
	fresh.first_ns = now_ns;
	if (bpf_map_update_elem(&sockets, &key, &fresh, BPF_NOEXIST) != 0) {
		s = bpf_map_lookup_elem(&sockets, &key); /* another CPU made it */
		if (!s)
			count_drop(LP_IO_DROP_SOCKET_MAP_FULL);
		return s;
	}
	return bpf_map_lookup_elem(&sockets, &key);
}

/* A server socket's receive opened an exchange on this thread: round trips
 * the thread makes as a client until it answers belong to it. */
static __always_inline void serve_open(struct sock *sk, struct lp_io_socket *s, __u64 now_ns)
{
	struct serving *v = bpf_task_storage_get(&serving, bpf_get_current_task_btf(), 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!v)
		return; /* not counted: the exchange just goes unattributed */
	__builtin_memset(&v->e, 0, sizeof(v->e));
	v->e.type = LP_EVENT_IO_EXCHANGE;
	v->e.pid = current_tgid();
	v->e.tid = current_tid();
	v->e.local_port = s->local_port;
	v->e.remote_port = s->remote_port;
	v->e.sk = (__u64)sk;
	v->e.start_ns = now_ns;
	v->active = 1;
}

/* A client round trip of this thread closed: add it to the exchange served. */
static __always_inline void serve_nested(struct sock *sk, struct lp_io_socket *s, __u64 wait_ns)
{
	struct serving *v = bpf_task_storage_get(&serving, bpf_get_current_task_btf(), 0, 0);
	int i;

	if (!v || !v->active)
		return;
	for (i = 0; i < LP_IO_EXCHANGE_PEERS; i++) {
		struct lp_io_nested *n = &v->e.peers[i];

		if (n->sk != 0 && n->sk != (__u64)sk)
			continue;
		if (n->sk == 0) {
			n->sk = (__u64)sk;
			__builtin_memcpy(n->remote_addr, s->remote_addr, sizeof(n->remote_addr));
			n->family = s->family;
			n->remote_port = s->remote_port;
		}
		n->round_trips += 1;
		n->wait_ns += wait_ns;
		return;
	}
	count_drop(LP_IO_DROP_EXCHANGE_PEERS);
}

/* The served socket answered: send the exchange if it made round trips. */
static __always_inline void serve_close(struct sock *sk, __u64 now_ns)
{
	struct serving *v = bpf_task_storage_get(&serving, bpf_get_current_task_btf(), 0, 0);
	struct lp_io_exchange *e;

	if (!v || !v->active || v->e.sk != (__u64)sk)
		return;
	v->active = 0;
	if (v->e.peers[0].sk == 0)
		return; /* no round trips: nothing to attribute */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(LP_IO_DROP_EXCHANGE_RINGBUF_FULL);
		return;
	}
	__builtin_memcpy(e, &v->e, sizeof(*e));
	e->end_ns = now_ns;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

static __always_inline void on_socket_data(struct sock *sk, int ret, int flags, int sending)
{
	__u32 pid = current_tgid();
	struct lp_io_socket *s;
	__u64 now_ns;

	if (ret <= 0 || !sk || (!sending && (flags & LP_MSG_PEEK)))
		return;
	if (!bpf_map_lookup_elem(&targets, &pid))
		return;
	now_ns = bpf_ktime_get_ns();
	s = socket_of(sk, pid, sending, now_ns);
	if (!s)
		return;
	if (sending) {
		__sync_fetch_and_add(&s->bytes_sent, ret);
		__sync_fetch_and_add(&s->sends, 1);
	} else {
		__sync_fetch_and_add(&s->bytes_received, ret);
		__sync_fetch_and_add(&s->receives, 1);
	}
	s->last_ns = now_ns;
	/* A client's send (a server's receive) opens an exchange; the other
	 * direction closes it. More data the same way belongs to it. */
	if ((s->role == LP_ROLE_CLIENT) == (sending != 0)) {
		if (!s->open) {
			s->open = 1;
			s->exchange_start_ns = now_ns;
			if (s->role == LP_ROLE_SERVER)
				serve_open(sk, s, now_ns);
		}
	} else if (s->open) {
		s->open = 0;
		__sync_fetch_and_add(&s->round_trips, 1);
		__sync_fetch_and_add(&s->wait_ns, now_ns - s->exchange_start_ns);
		if (s->role == LP_ROLE_CLIENT)
			serve_nested(sk, s, now_ns - s->exchange_start_ns);
		else
			serve_close(sk, now_ns);
	}
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(on_sock_send, struct sock *sk, int ret, int flags)
{
	on_socket_data(sk, ret, flags, 1);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(on_sock_recv, struct sock *sk, int ret, int flags)
{
	on_socket_data(sk, ret, flags, 0);
	return 0;
}
