/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI between bpf/io.bpf.c and src/collect: the slow-call record, the
 * per-second aggregates of syscalls and block requests, the syscall table's
 * value layout, fd kinds, map sizes and drop counter indices. Plain C with
 * fixed-size types so both the BPF program and C++ user space include it.
 */
#ifndef LOADPROF_IO_H
#define LOADPROF_IO_H

#include "cpu.h"

/* Distinct (tgid, syscall, fd kind, user stack) keys per flush. */
#define LP_IO_MAX_AGGREGATES 2048
/* Block requests issued and not completed yet. */
#define LP_IO_MAX_REQUESTS 8192
/* Distinct (device, op) keys per flush. */
#define LP_IO_MAX_DEVICE_AGGREGATES 256
/* Syscall numbers the table covers (x86-64 numbers are below 512). */
#define LP_IO_SYSCALL_TABLE 512
/* Latency histogram: bucket b counts calls of [2^b, 2^(b+1)) ns (0 ns in
 * bucket 0; the last bucket takes everything longer). */
#define LP_IO_LATENCY_BUCKETS 40

/* Record type in the ring buffer, beside cpu.h's and offcpu.h's. */
#define LP_EVENT_IO 5
/* A served exchange that made round trips to other peers (lp_io_exchange). */
#define LP_EVENT_IO_EXCHANGE 8

/* syscall_table value: bits 0-7 the syscall's index in user space's list
 * plus 1 (0: not traced), bits 8-15 LP_IO_F_* flags. */
#define LP_IO_F_FD 0x100	/* first argument is an fd: its kind is resolved */
#define LP_IO_F_BYTES 0x200	/* a positive return value is a byte count */
#define LP_IO_F_SOCKET 0x400	/* the fd is a socket by definition (accept, connect) */
#define LP_IO_F_POLL 0x800	/* poll family: fd kind LP_FD_POLL */

enum lp_fd_kind {
	LP_FD_FILE = 0,		/* regular file or block device */
	LP_FD_SOCKET = 1,
	LP_FD_PIPE = 2,		/* pipe or FIFO */
	LP_FD_OTHER = 3,	/* character device, eventfd, anon inode, bad fd ... */
	LP_FD_POLL = 4,		/* poll/select/epoll: waits on many fds */
};

/* Block request operations (REQ_OP_* & 0xff: 0 read, 1 write, 2 flush, 3 discard). */
enum lp_block_op {
	LP_BLOCK_READ = 0,
	LP_BLOCK_WRITE = 1,
	LP_BLOCK_FLUSH = 2,
	LP_BLOCK_DISCARD = 3,
	LP_BLOCK_OTHER = 4,
};

/* Drop reasons, indices into the per-CPU `drops` array. */
enum lp_io_drop_reason {
	LP_IO_DROP_RINGBUF_FULL = 0,		/* slow-call reserve failed */
	LP_IO_DROP_USER_STACK = 1,		/* bpf_get_stack(user) failed */
	LP_IO_DROP_INFLIGHT_MAP_FULL = 2,	/* syscall entry not stored (task storage) */
	LP_IO_DROP_AGGREGATE_MAP_FULL = 3,	/* a call found no aggregate slot */
	LP_IO_DROP_REQUEST_MAP_FULL = 4,	/* block request issue not stored */
	LP_IO_DROP_DEVICE_MAP_FULL = 5,		/* a block request found no aggregate slot */
	LP_IO_DROP_SOCKET_MAP_FULL = 6,		/* a socket's data found no slot in `sockets` */
	LP_IO_DROP_EXCHANGE_RINGBUF_FULL = 7,	/* a served exchange's reserve failed */
	LP_IO_DROP_EXCHANGE_PEERS = 8,		/* a round trip to a 5th peer within one exchange */
	LP_IO_DROP_DWARF_RINGBUF_FULL = 9,	/* a DWARF call's reserve failed: merged with its FP stack */
	LP_IO_DROP_DWARF_STACK = 10,		/* a DWARF call's user stack could not be copied at all */
	LP_IO_DROP_REASONS = 11,
};

/* One syscall at or above slow_ns, sent on its own with its user stack. */
struct lp_io_event {
	__u32 type;		/* LP_EVENT_IO */
	__u32 cpu;
	__u64 start_ns;		/* CLOCK_MONOTONIC: entry */
	__u64 end_ns;		/* exit */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 syscall;		/* index in user space's list */
	__u32 fd_kind;		/* enum lp_fd_kind */
	__s64 ret;		/* return value */
	__s32 user_stack_bytes;	/* bytes written, or -errno */
	__u32 pad;
	__u64 user_ips[LP_MAX_STACK_DEPTH];
};

/* Calls below slow_ns with the same key, merged. Two maps take turns
 * (agg_generation): user space drains the one BPF stopped writing at the
 * previous flush. */
struct lp_io_agg_key {
	__u32 pid;
	__u16 syscall;
	__u16 fd_kind;
	__u64 user_hash;
};

struct lp_io_agg {
	__u64 count;
	__u64 bytes;
	__u64 errors;		/* negative return values */
	__u64 total_ns;
	__u64 max_ns;
	__u64 first_ns;		/* entry of the first call */
	__u64 last_ns;		/* exit of the latest call */
	__u64 latency_log2[LP_IO_LATENCY_BUCKETS];
	__u32 tid;		/* the first call's thread */
	__s32 user_stack_bytes;
	__u64 user_ips[LP_MAX_STACK_DEPTH];
};

struct lp_io_request {
	__u64 issue_ns;
	__u32 dev;		/* major << 20 | minor, the whole disk's */
	__u32 op;		/* enum lp_block_op */
};

struct lp_io_device_key {
	__u32 dev;
	__u32 op;
};

struct lp_io_device_agg {
	__u64 count;
	__u64 bytes;
	__u64 errors;		/* completed with an error status */
	__u64 total_ns;
	__u64 max_ns;
	__u64 first_ns;		/* issue of the first request */
	__u64 last_ns;		/* completion of the latest */
	__u64 latency_log2[LP_IO_LATENCY_BUCKETS];
};

/* Sockets the target sent or received data on during the capture. */
#define LP_IO_MAX_SOCKETS 16384

/* Who opened the exchanges on a socket. */
enum lp_peer_role {
	LP_ROLE_CLIENT = 1,	/* sends, then waits for the answer */
	LP_ROLE_SERVER = 2,	/* receives, then answers */
};

/* One socket of one target process, from sock_send_length/sock_recv_length
 * (every family: their `struct sock *` gives the peer). A round trip is one
 * exchange: a client's first send after a receive (or ever) opens it, its
 * next receive closes it — wait_ns sums the time in between; a server's
 * receive opens, its send closes (wait_ns is then its time to answer). Kept
 * for the whole capture; user space reads the map at the end. */
struct lp_io_socket_key {
	__u64 sk;
	__u32 pid;		/* tgid */
	__u32 pad;
};

struct lp_io_socket {
	__u8 remote_addr[16];	/* IPv4 in the first 4 bytes, network order */
	__u16 family;		/* AF_INET, AF_INET6, AF_UNIX ... */
	__u16 protocol;		/* IPPROTO_TCP, IPPROTO_UDP; 0 for AF_UNIX */
	__u16 remote_port;	/* host order */
	__u16 local_port;	/* host order */
	__u32 role;		/* enum lp_peer_role */
	__u32 open;		/* an exchange is open */
	__u64 exchange_start_ns;
	__u64 round_trips;
	__u64 wait_ns;
	__u64 bytes_sent;
	__u64 bytes_received;
	__u64 sends;
	__u64 receives;
	__u64 first_ns;		/* first data seen */
	__u64 last_ns;		/* latest data */
};

/* Peers one served exchange can name; round trips to more are counted as
 * LP_IO_DROP_EXCHANGE_PEERS. */
#define LP_IO_EXCHANGE_PEERS 4

/* Round trips a thread made as a client to one peer while it served an
 * exchange (a request) on a server socket. */
struct lp_io_nested {
	__u64 sk;		/* the client socket: 0 = free slot */
	__u8 remote_addr[16];
	__u16 family;
	__u16 remote_port;
	__u32 round_trips;
	__u64 wait_ns;
};

/* One exchange a thread served (a server socket's receive to its answer)
 * during which the same thread made client round trips: sent when the answer
 * goes out, so user space can join it to the load driver's request on that
 * connection (thread-per-connection servers; an event loop's requests are
 * not followed). */
struct lp_io_exchange {
	__u32 type;		/* LP_EVENT_IO_EXCHANGE */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u16 local_port;	/* the served socket's ports, host order */
	__u16 remote_port;
	__u64 sk;		/* the served socket */
	__u64 start_ns;		/* its receive that opened the exchange */
	__u64 end_ns;		/* its send that closed it */
	struct lp_io_nested peers[LP_IO_EXCHANGE_PEERS];
};

/* DWARF mode (the target-map entry of the caller's process is
 * LP_UNWIND_DWARF): every traced call is sent on its own with the user
 * registers at its entry and the top of its user stack (stack_bytes of them,
 * io_stack_bytes asked), instead of an FP walk: user space unwinds it and
 * merges the calls by (process, syscall, fd kind, unwound stack). A call
 * whose record finds no room in the ring is merged in BPF as in FP mode
 * (LP_IO_DROP_DWARF_RINGBUF_FULL). */
#define LP_EVENT_IO_DWARF 9
#define LP_IO_STACK_MAX_BYTES 4096	/* a power of two */
#define LP_IO_DWARF_REGS 17		/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */

struct lp_io_dwarf_event {
	__u32 type;		/* LP_EVENT_IO_DWARF */
	__u32 cpu;
	__u64 start_ns;		/* CLOCK_MONOTONIC: entry */
	__u64 end_ns;		/* exit */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 syscall;		/* index in user space's list */
	__u32 fd_kind;		/* enum lp_fd_kind */
	__s64 ret;		/* return value */
	__u64 regs[LP_IO_DWARF_REGS];
	__u32 stack_bytes;	/* bytes of stack[] copied (0: none could be) */
	__u32 pad;
	__u8 stack[LP_IO_STACK_MAX_BYTES];
};

#endif /* LOADPROF_IO_H */
