// The capture data model: everything a .lpc file holds, in memory. Writers
// (record, bench) append to it chunk by chunk; readers (report, analyze, diff)
// get it back whole. All times are CLOCK_MONOTONIC nanoseconds. Every record
// carries its process id. See docs/CAPTURE_FORMAT.md for the on-disk layout.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadprof::capture {

using FrameId = uint32_t;  // index into Capture::frames
using StackId = uint32_t;  // index into Capture::stacks
inline constexpr StackId kNoStack = UINT32_MAX;
// Module of the raw frames a recorder writes for a new stack until its symbols
// follow (a stack-symbols record); a capture cut before then keeps them.
inline constexpr std::string_view kUnsymbolizedModule = "[unsymbolized]";

struct Metadata {
  std::string loadprof_version;
  std::string hostname;
  std::string kernel_release;
  std::string command_line;         // loadprof's own argv, joined
  std::vector<std::string> probes;  // "cpu", "offcpu", ...
  uint32_t frequency_hz = 0;        // cpu probe sampling frequency
  std::string unwind;               // "fp", "dwarf", "auto"
  uint32_t cpu_count = 0;
  uint64_t start_monotonic_ns = 0;
  uint64_t start_realtime_ns = 0;
  // Empty for a recorded capture. An imported one says where it came from and
  // which clock its times are on ("perf script (event cpu-clock); times on
  // perf's own clock ..."): its times do not line up with other captures'.
  std::string source;

  friend bool operator==(const Metadata&, const Metadata&) = default;
};

// MONOTONIC<->REALTIME pairs, at least one at start and one at end.
struct ClockSync {
  uint64_t monotonic_ns = 0;
  uint64_t realtime_ns = 0;

  friend bool operator==(const ClockSync&, const ClockSync&) = default;
};

// A process of the target set. exit_* are set when it exited during the capture.
struct Process {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string command;    // comm, or argv[0] when launched
  uint64_t start_ns = 0;  // first seen (fork time, or capture start)
  std::optional<uint64_t> exit_ns;
  std::optional<int> exit_code;    // WEXITSTATUS when it exited normally
  std::optional<int> exit_signal;  // signal number when killed
  bool launched = false;           // started by loadprof (-- CMD)
  bool root = false;               // named on the command line (not a child)

  friend bool operator==(const Process&, const Process&) = default;
};

struct Thread {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string name;  // comm
  uint64_t start_ns = 0;
  std::optional<uint64_t> exit_ns;

  friend bool operator==(const Thread&, const Thread&) = default;
};

// A memory mapping, valid from time_ns on (maps are versioned by time).
struct Mapping {
  uint32_t pid = 0;
  uint64_t time_ns = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t pgoff = 0;
  std::string path;
  std::string build_id;  // hex, empty when unknown
  bool executable = false;

  friend bool operator==(const Mapping&, const Mapping&) = default;
};

// One symbolized frame. Inline frames are frames of their own (inlined=true),
// listed before the frame they are inlined into (leaf first).
struct Frame {
  uint64_t address = 0;        // raw IP (user) or kernel address
  std::string function;        // demangled; "module+0xoff" when unresolved
  std::string module;          // basename of the ELF file, "[kernel]" for kernel
  uint64_t module_offset = 0;  // file offset-based address inside the module
  std::string file;            // source file when debug info exists
  uint32_t line = 0;
  bool inlined = false;
  bool kernel = false;  // rendered with the "_[k]" suffix

  friend bool operator==(const Frame&, const Frame&) = default;
};

// A stack: frames leaf first. truncated = the unwinder stopped early.
struct Stack {
  std::vector<FrameId> frames;
  bool truncated = false;

  friend bool operator==(const Stack&, const Stack&) = default;
};

// One cpu-clock sample. weight is 1 sample (the period is 1/frequency_hz).
struct CpuSample {
  uint64_t time_ns = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint32_t cpu = 0;
  StackId stack = kNoStack;

  friend bool operator==(const CpuSample&, const CpuSample&) = default;
};

// Reserved for the off-CPU probe: a blocked interval [start_ns, end_ns).
enum class OffCpuReason : uint8_t { runqueue, lock, disk, network, pipe, sleep, page_fault, other };
struct OffCpuInterval {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  StackId stack = kNoStack;
  StackId waker_stack = kNoStack;  // --offcpu-wakers: the waker's, on the blocked part
  OffCpuReason reason = OffCpuReason::other;
  uint32_t count = 1;  // >1 when short intervals were aggregated in BPF

  friend bool operator==(const OffCpuInterval&, const OffCpuInterval&) = default;
};

// Who woke a target thread (offcpu probe): per (thread, reason it blocked,
// waker thread) the wake-ups and the blocked time they ended (switch-out to
// wakeup). Intervals merged in BPF (shorter than --offcpu-min) are merged
// per waker and counted too. Aggregated by the recorder, written at the end.
struct OffCpuWaker {
  uint32_t pid = 0;
  uint32_t tid = 0;
  OffCpuReason reason = OffCpuReason::other;
  uint32_t waker_pid = 0;  // tgid; 0 with waker_tid 0: the idle task (a timer, an interrupt)
  uint32_t waker_tid = 0;
  std::string waker_comm;
  uint64_t wakeups = 0;
  uint64_t blocked_ns = 0;

  friend bool operator==(const OffCpuWaker&, const OffCpuWaker&) = default;
};

// io probe: the syscalls it times (stored by this index: append only).
enum class IoSyscall : uint8_t {
  read,
  write,
  pread64,
  pwrite64,
  readv,
  writev,
  preadv,
  pwritev,
  fsync,
  fdatasync,
  sendto,
  sendmsg,
  recvfrom,
  recvmsg,
  accept,
  accept4,
  connect,
  poll,
  ppoll,
  select,
  pselect6,
  epoll_wait,
  epoll_pwait,
  epoll_pwait2,
  other  // a later version's syscall, read by this one
};
// What the call's fd was: poll = the poll family (waits on many fds).
enum class FdKind : uint8_t { file, socket, pipe, other, poll };
// Block request operation (REQ_OP_*).
enum class BlockOp : uint8_t { read, write, flush, discard, other };
// Log2 latency histogram: bucket b counts calls of [2^b, 2^(b+1)) ns (0 ns in
// bucket 0, the last bucket everything from 2^39 ns on).
inline constexpr size_t kIoLatencyBuckets = 40;
using LatencyLog2 = std::array<uint64_t, kIoLatencyBuckets>;

// Calls of one syscall on one fd kind from one stack of one process in
// [start_ns, end_ns): merged in BPF (first entry to last exit, tid = the first
// call's), or one slow call on its own (count 1, exact times).
struct IoSyscallRecord {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  IoSyscall syscall = IoSyscall::other;
  FdKind fd_kind = FdKind::other;
  StackId stack = kNoStack;  // user stack at the call
  uint64_t count = 0;
  uint64_t bytes = 0;     // positive return values of the read/write/send/recv family
  uint64_t errors = 0;    // calls that returned an error
  uint64_t total_ns = 0;  // summed latency (entry to exit)
  uint64_t max_ns = 0;
  LatencyLog2 latency_log2{};

  friend bool operator==(const IoSyscallRecord&, const IoSyscallRecord&) = default;
};

// Block requests of one device and operation, issue to completion, for the
// whole machine (not only the target's), in [start_ns, end_ns).
struct IoDeviceRecord {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t dev = 0;    // major << 20 | minor of the disk
  std::string device;  // DEVNAME from /sys/dev/block/MAJ:MIN/uevent, else "MAJ:MIN"
  BlockOp op = BlockOp::other;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t total_ns = 0;
  uint64_t max_ns = 0;
  LatencyLog2 latency_log2{};

  friend bool operator==(const IoDeviceRecord&, const IoDeviceRecord&) = default;
};

// What carried a socket's data.
enum class SocketProtocol : uint8_t { tcp, udp, unix_socket, other };
// Who opened the exchanges on a socket: a client sends then waits for the
// answer; a server receives, then answers.
enum class SocketRole : uint8_t { client, server };

// Round trips made to one peer (as a client) while a request was served.
struct NestedRoundTrips {
  uint16_t family = 0;
  std::array<uint8_t, 16> remote_addr{};
  uint16_t remote_port = 0;
  uint64_t round_trips = 0;
  uint64_t wait_ns = 0;

  friend bool operator==(const NestedRoundTrips&, const NestedRoundTrips&) = default;
};

// One exchange a server socket served (its receive to its answer) during
// which the serving thread made client round trips to other peers: the
// analysis joins it to the load driver's request on that connection, which
// gives round trips per request of each scenario step. Only thread-per-
// connection servers are followed (the round trips must be on the thread
// that received the request).
struct ServedExchange {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t tid = 0;
  std::vector<NestedRoundTrips> peers;

  friend bool operator==(const ServedExchange&, const ServedExchange&) = default;
};

// One socket of a target process over the capture (io probe): the peer at
// the other end and the exchanges on it. A round trip is one exchange (a
// client's send then its receive; a server's receive then its send); wait_ns
// sums their times (a client's wait for the peer; a server's time to
// answer). Whole-capture figures: [start_ns, end_ns) spans its first to its
// latest data.
struct SocketRecord {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t pid = 0;
  uint16_t family = 0;  // AF_INET, AF_INET6, AF_UNIX ...
  SocketProtocol protocol = SocketProtocol::other;
  SocketRole role = SocketRole::client;
  std::array<uint8_t, 16> remote_addr{};  // IPv4 in the first 4 bytes, network order
  uint16_t remote_port = 0;
  uint16_t local_port = 0;
  uint64_t round_trips = 0;
  uint64_t wait_ns = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t sends = 0;
  uint64_t receives = 0;
  // Server sockets: the exchanges that made round trips elsewhere, in time order.
  std::vector<ServedExchange> served;

  friend bool operator==(const SocketRecord&, const SocketRecord&) = default;
};

// alloc probe: the allocator function of a record (stored by this index:
// append only). memalign stands for memalign, aligned_alloc, posix_memalign,
// valloc and pvalloc; free for free() and for the old block of a realloc.
enum class AllocFn : uint8_t { malloc, calloc, realloc, memalign, free, other };

// One allocation the probe recorded (a sample of them, see AllocInfo), or the
// free of one (is_free: size is the freed allocation's, no stack). An
// allocation that is never freed in the capture is live at its end. tracked
// false: its address could not be tracked (live map full), so its free is
// never seen: counted as allocated, never as live.
struct AllocEvent {
  uint64_t time_ns = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t address = 0;
  uint64_t size = 0;  // bytes requested
  AllocFn fn = AllocFn::other;
  bool is_free = false;
  bool tracked = true;
  StackId stack = kNoStack;  // user stack of the allocation; kNoStack for a free

  friend bool operator==(const AllocEvent&, const AllocEvent&) = default;
};

// How the alloc probe recorded, and its counts of every call (sampled or
// not), as of the end of the capture (the last record wins on read).
struct AllocInfo {
  std::string method;                // "uprobes" (attach by pid) or "preload"
  std::string allocator;             // "glibc", "jemalloc", "tcmalloc", "own (MODULE)"; joined by ", "
  std::string allocator_path;        // the module(s) probed
  uint64_t sample_period_bytes = 0;  // 0: every allocation recorded
  uint64_t allocations = 0;          // every allocation that returned memory
  uint64_t allocated_bytes = 0;      // ... their requested bytes
  uint64_t sampled = 0;              // allocations recorded (AllocEvent, not free)
  uint64_t frees = 0;                // frees of a recorded address
  uint64_t frees_unknown = 0;        // frees of an address not recorded: never subtracted

  friend bool operator==(const AllocInfo&, const AllocInfo&) = default;
};

// mmap probe (always on with alloc): what an address-space call did, stored
// by this index (append only). Anonymous mappings (MAP_ANONYMOUS, private or
// shared) are memory growth; a file's mapping (libraries, data files) is
// counted apart. munmap is classed by the first mapping it removes. mremap
// (any mapping): grow = page-rounded new - old length, shrink = old - new.
// `other` is never stored: a reader maps an index it does not know to it.
enum class MmapOp : uint8_t {
  mmap_anon,
  mmap_file,
  munmap_anon,
  munmap_file,
  brk_grow,
  brk_shrink,
  mremap_grow,
  mremap_shrink,
  other
};

// The calls that grow the address space the `mmap` kind weighs: anonymous
// mmap, brk growth, mremap growth.
inline bool mmap_grows(MmapOp op) {
  return op == MmapOp::mmap_anon || op == MmapOp::brk_grow || op == MmapOp::mremap_grow;
}

// The successful mmap/munmap/brk calls of one (process, op, user stack),
// merged in BPF over about a second: bytes are page-rounded lengths (brk: how
// far the break moved).
struct MmapRecord {
  uint64_t start_ns = 0;  // exit of the first call
  uint64_t end_ns = 0;    // exit of the latest
  uint32_t pid = 0;
  uint32_t tid = 0;  // the first call's thread
  MmapOp op = MmapOp::other;
  uint64_t calls = 0;
  uint64_t bytes = 0;
  StackId stack = kNoStack;

  friend bool operator==(const MmapRecord&, const MmapRecord&) = default;
};

// Per CPU, per second: where the cpu-clock samples went, and what explains
// samples the frequency asked for but the CPU did not take.
struct CpuAccounting {
  uint64_t second_ns = 0;  // start of the second (monotonic)
  uint32_t cpu = 0;
  uint64_t target = 0;
  uint64_t self = 0;  // loadprof itself
  uint64_t other = 0;
  uint64_t idle = 0;  // idle samples counted (not estimated)
  // Stored in a chunk of their own ("cpu accounting extra"); 0 when the
  // recorder did not measure them (older captures).
  uint64_t steal_ns = 0;      // the hypervisor ran something else (/proc/stat steal)
  uint64_t throttles = 0;     // PERF_RECORD_THROTTLE records of the cpu-clock event
  uint64_t throttled_ns = 0;  // time between THROTTLE and UNTHROTTLE in this second

  friend bool operator==(const CpuAccounting&, const CpuAccounting&) = default;
};

// Drop counters: probe -> reason -> count ("cpu" -> "ringbuf_full" -> 3).
using DropCounters = std::map<std::string, std::map<std::string, uint64_t>>;

// How the user stacks went through one module (DWARF unwinding at record
// time): the samples whose stack has a frame in it, and those whose unwind
// was cut short with their outermost frame in it, by reason (stack_window:
// the caller's frame lies above the copied stack; depth_limit: 127 frames;
// process_gone: its maps could not be read; no_caller: not even the leaf's
// caller was found).
struct UnwindModule {
  std::string module;
  std::string method;  // "dwarf" (its CFI) or "fp" (no CFI: frame pointers)
  uint64_t stacks = 0;
  uint64_t truncated = 0;
  std::map<std::string, uint64_t> truncated_by_reason;

  friend bool operator==(const UnwindModule&, const UnwindModule&) = default;
};

// Reserved for `bench`: one request of the load driver's request log.
struct RequestRecord {
  uint64_t intended_start_ns = 0;
  uint64_t actual_start_ns = 0;
  uint64_t connect_ns = 0;  // 0 when the connection was reused
  uint64_t first_byte_ns = 0;
  uint64_t end_ns = 0;
  uint16_t status = 0;
  uint8_t error_class = 0;  // 0 = none; see load::ErrorClass
  uint32_t bytes = 0;
  uint32_t connection_id = 0;
  uint16_t local_port = 0;
  uint16_t stage = 0;
  uint16_t step = 0;

  friend bool operator==(const RequestRecord&, const RequestRecord&) = default;
};

// RequestRecord::stage of a request of the load's warmup (the driver's mark).
inline constexpr uint16_t kWarmupStage = 0xFFFF;
// RequestRecord::error_class values the analysis reads (load::ErrorClass's order).
inline constexpr uint8_t kRequestErrorNone = 0;
inline constexpr uint8_t kRequestErrorConnect = 1;
inline constexpr uint8_t kRequestErrorTimeout = 2;

// A load run recorded next to the profile (`bench`): the driver's results as
// `load --json` writes them (their keys join report.json's), its final table,
// and where the measured span and each stage lie on the capture's clock. The
// request log itself is in Capture::requests.
struct LoadStageSpan {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;

  friend bool operator==(const LoadStageSpan&, const LoadStageSpan&) = default;
};
struct LoadRun {
  std::string summary_json;           // `load --json`'s document
  std::string table;                  // `load`'s final table (plain text)
  uint64_t measured_start_ns = 0;     // the end of the warmup
  uint64_t measured_end_ns = 0;       // the end of the measured span
  std::vector<LoadStageSpan> stages;  // as run (an interrupted run's last stage ends at the stop)
  uint64_t log_records = 0;           // requests the driver logged (warmup included)
  uint64_t log_dropped = 0;           // ... and dropped because a log ring was full

  friend bool operator==(const LoadRun&, const LoadRun&) = default;
};

// One reading of /proc, about once a second, for one target process (pid >
// 0) or for the machine (pid kMachinePid). Counters are deltas over
// [time_ns - interval_ns, time_ns], since the previous reading of the same
// pid (interval_ns 0 on its first reading, whose deltas are 0); rss_bytes,
// available_bytes, threads and fds are the values at time_ns.
inline constexpr uint32_t kMachinePid = 0;
struct ResourceSample {
  uint64_t time_ns = 0;
  uint32_t pid = 0;
  uint64_t interval_ns = 0;
  // Process: utime + stime of all its threads (/proc/PID/stat). Machine: busy
  // time of all CPUs (/proc/stat: all but idle and iowait).
  uint64_t cpu_ns = 0;
  // Process: resident set (/proc/PID/stat rss x page size). Machine: memory
  // in use (/proc/meminfo MemTotal - MemAvailable).
  uint64_t rss_bytes = 0;
  uint64_t available_bytes = 0;  // machine: MemAvailable; 0 for a process
  // /proc/PID/io read_bytes / write_bytes, all threads: bytes fetched from
  // storage (page-cache hits are not in it) and bytes dirtied for storage
  // (counted when dirtied, before they reach the disk); tmpfs, pipes and
  // sockets are in neither. 0 for the machine.
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  // /proc/PID/net/dev, every interface loopback included: the traffic of the
  // process's network namespace, not of the process. Written on the first
  // process of each namespace in a pass, 0 on the others (sums are not
  // counted twice). 0 for the machine.
  uint64_t net_rx_bytes = 0;
  uint64_t net_tx_bytes = 0;
  // Context switches of all live threads (taskstats, summed by the kernel);
  // ctxsw_known false when that source was unavailable (then both are 0).
  uint64_t voluntary_ctxsw = 0;
  uint64_t involuntary_ctxsw = 0;
  bool ctxsw_known = false;
  uint32_t threads = 0;  // /proc/PID/stat num_threads; machine: 0
  uint32_t fds = 0;      // entries of /proc/PID/fd; machine: 0
  // Page faults of all its threads, live and exited (/proc/PID/stat minflt,
  // majflt; children's not counted), deltas like cpu_ns: minor (no I/O: a
  // first touch of anonymous memory, a page already cached) and major (read
  // from storage). 0 for the machine and in captures that predate them.
  uint64_t minor_faults = 0;
  uint64_t major_faults = 0;

  friend bool operator==(const ResourceSample&, const ResourceSample&) = default;
};

// How the capture ended.
struct EndInfo {
  uint64_t end_ns = 0;
  bool interrupted = false;                  // Ctrl-C / SIGTERM
  std::optional<uint64_t> target_exited_ns;  // all target processes gone at this time
  std::string reason;                        // "duration", "interrupted", "target exited"

  friend bool operator==(const EndInfo&, const EndInfo&) = default;
};

// What a reader found while reading; set only by the reader.
struct ReadInfo {
  bool truncated = false;      // damage found; everything before it recovered
  uint64_t damage_offset = 0;  // byte offset of the first bad chunk
  std::string damage;          // what was wrong there
  uint64_t chunks_read = 0;
  uint64_t chunks_skipped_unknown = 0;
  uint64_t chunks_skipped_window = 0;  // event chunks wholly outside ReadOptions' window
  uint64_t decoded_bytes = 0;          // upper estimate of the memory the records read take

  friend bool operator==(const ReadInfo&, const ReadInfo&) = default;
};

struct Capture {
  Metadata metadata;
  std::vector<ClockSync> clock_sync;
  std::vector<Process> processes;
  std::vector<Thread> threads;
  std::vector<Mapping> mappings;
  std::vector<Frame> frames;
  std::vector<Stack> stacks;
  std::vector<CpuSample> cpu_samples;
  std::vector<OffCpuInterval> offcpu;
  std::vector<IoSyscallRecord> io_syscalls;
  std::vector<IoDeviceRecord> io_devices;
  std::vector<SocketRecord> sockets;       // io probe: written once, at the end
  std::vector<OffCpuWaker> offcpu_wakers;  // offcpu probe: written once, at the end
  std::vector<AllocEvent> allocs;          // alloc probe records, in time order
  std::optional<AllocInfo> alloc_info;
  std::vector<MmapRecord> mmaps;  // mmap probe: address-space calls by stack, per second
  std::vector<CpuAccounting> cpu_accounting;
  std::vector<RequestRecord> requests;
  std::optional<LoadRun> load;            // bench captures; the last load-run record wins
  std::vector<ResourceSample> resources;  // readings of /proc, about once a second
  DropCounters drops;
  std::vector<UnwindModule> unwind;  // DWARF-mode captures; cumulative, the last record wins
  std::optional<EndInfo> end;        // absent when the recorder died before the end
  ReadInfo read_info;

  friend bool operator==(const Capture&, const Capture&) = default;
};

}  // namespace loadprof::capture
