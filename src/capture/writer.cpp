// Streaming .lpc writer. Records wait in typed vectors until flush(), which
// encodes each kind into one chunk — clock sync, processes, threads, mappings,
// frames, stacks first, so dictionaries always precede the samples that use
// them — and writes them with one write(2) sequence. Pending data is bounded
// (kPendingBoundBytes): past it, the next add flushes on its own, which keeps
// the recorder's memory flat however long it runs.
#include "loadprof/capture/writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <optional>

#include "capture/codec.h"
#include "capture/format.h"
#include "loadprof/util/fd.h"

namespace loadprof::capture {
namespace {

// zstd level 3 (zstd's default) compresses a second of samples in well under a
// millisecond; higher levels buy a few percent for several times the CPU.
constexpr int kZstdLevel = 3;
constexpr size_t kPendingBoundBytes = 4u << 20;

struct CctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

size_t approx_size(const ClockSync&) { return sizeof(ClockSync); }
size_t approx_size(const Process& p) { return sizeof(Process) + p.command.size(); }
size_t approx_size(const Thread& t) { return sizeof(Thread) + t.name.size(); }
size_t approx_size(const Mapping& m) { return sizeof(Mapping) + m.path.size() + m.build_id.size(); }
size_t approx_size(const Frame& f) {
  return sizeof(Frame) + f.function.size() + f.module.size() + f.file.size();
}
size_t approx_size(const Stack& s) { return sizeof(Stack) + s.frames.size() * sizeof(FrameId); }
size_t approx_size(const CpuSample&) { return sizeof(CpuSample); }
size_t approx_size(const OffCpuInterval&) { return sizeof(OffCpuInterval); }
size_t approx_size(const IoSyscallRecord&) { return sizeof(IoSyscallRecord); }
size_t approx_size(const IoDeviceRecord& d) { return sizeof(IoDeviceRecord) + d.device.size(); }
size_t approx_size(const AllocEvent&) { return sizeof(AllocEvent); }
size_t approx_size(const MmapRecord&) { return sizeof(MmapRecord); }
size_t approx_size(const CpuAccounting&) { return sizeof(CpuAccounting); }
size_t approx_size(const RequestRecord&) { return sizeof(RequestRecord); }
size_t approx_size(const ResourceSample&) { return sizeof(ResourceSample); }
size_t approx_size(const SocketRecord&) { return sizeof(SocketRecord); }
size_t approx_size(const OffCpuWaker& w) { return sizeof(OffCpuWaker) + w.waker_comm.size(); }

class FileCaptureWriter final : public CaptureWriter {
 public:
  FileCaptureWriter(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {
    cctx_.reset(ZSTD_createCCtx());
  }
  ~FileCaptureWriter() override {
    // A writer dropped without finish() still saves what it holds (no end chunk):
    // the reader treats that like a recorder that stopped early.
    if (!finished_) (void)flush();
  }

  Result<void> start(const Metadata& metadata) {
    std::string out = encode_file_header();
    LOADPROF_CHECK(append(out, encode_metadata(metadata)));
    return write_all(out);
  }

  void add_clock_sync(const ClockSync& s) override { add(clock_sync_, s); }
  void add_process(const Process& p) override { add(processes_, p); }
  void add_thread(const Thread& t) override { add(threads_, t); }
  void add_mapping(const Mapping& m) override { add(mappings_, m); }
  FrameId add_frame(const Frame& f) override {
    FrameId id = next_frame_id_++;
    add(frames_, f);
    return id;
  }
  void replace_stack(StackId id, const Stack& s) override {
    if (finished_ || error_) return;
    stack_symbols_.emplace_back(id, s);
    pending_bytes_ += approx_size(s) + sizeof(StackId);
    if (pending_bytes_ >= kPendingBoundBytes) (void)flush();
  }

  StackId add_stack(const Stack& s) override {
    StackId id = next_stack_id_++;
    add(stacks_, s);
    return id;
  }
  void add_cpu_sample(const CpuSample& s) override { add(cpu_samples_, s); }
  void add_offcpu(const OffCpuInterval& o) override { add(offcpu_, o); }
  void add_io_syscall(const IoSyscallRecord& r) override { add(io_syscalls_, r); }
  void add_io_device(const IoDeviceRecord& r) override { add(io_devices_, r); }
  void add_alloc(const AllocEvent& e) override { add(allocs_, e); }
  void add_mmap(const MmapRecord& m) override { add(mmaps_, m); }
  void set_alloc_info(const AllocInfo& info) override {
    alloc_info_ = info;
    alloc_info_dirty_ = true;
  }
  void add_cpu_accounting(const CpuAccounting& a) override { add(cpu_accounting_, a); }
  void add_request(const RequestRecord& r) override { add(requests_, r); }
  void set_load_run(const LoadRun& run) override {
    load_run_ = run;
    load_run_dirty_ = true;
  }
  void add_resource(const ResourceSample& r) override { add(resources_, r); }
  void add_socket(const SocketRecord& r) override { add(sockets_, r); }
  void add_offcpu_waker(const OffCpuWaker& w) override { add(offcpu_wakers_, w); }
  void set_drops(const DropCounters& drops) override {
    drops_ = drops;
    drops_dirty_ = true;
  }
  void set_unwind(const std::vector<UnwindModule>& modules) override {
    unwind_ = modules;
    unwind_dirty_ = true;
  }

  Result<void> flush() override {
    if (error_) return *error_;
    if (finished_) return make_error(ErrorKind::internal, "capture writer: flush after finish");
    std::string out;
    auto run = [&]() -> Result<void> {
      // Order matters: dictionaries (frames, stacks) before the data that refers to them.
      if (!clock_sync_.empty()) LOADPROF_CHECK(append(out, encode_clock_sync(clock_sync_)));
      if (!processes_.empty()) LOADPROF_CHECK(append(out, encode_processes(processes_)));
      if (!threads_.empty()) LOADPROF_CHECK(append(out, encode_threads(threads_)));
      if (!mappings_.empty()) LOADPROF_CHECK(append(out, encode_mappings(mappings_)));
      if (!frames_.empty()) {
        LOADPROF_CHECK(append(out, encode_frames(FrameId(next_frame_id_ - frames_.size()), frames_)));
      }
      if (!stacks_.empty()) {
        LOADPROF_CHECK(append(out, encode_stacks(StackId(next_stack_id_ - stacks_.size()), stacks_)));
      }
      if (!stack_symbols_.empty()) LOADPROF_CHECK(append(out, encode_stack_symbols(stack_symbols_)));
      if (!cpu_samples_.empty()) LOADPROF_CHECK(append(out, encode_cpu_samples(cpu_samples_)));
      if (!offcpu_.empty()) LOADPROF_CHECK(append(out, encode_offcpu(offcpu_)));
      if (!io_syscalls_.empty() || !io_devices_.empty())
        LOADPROF_CHECK(append(out, encode_io_events(io_syscalls_, io_devices_)));
      if (!mmaps_.empty()) LOADPROF_CHECK(append(out, encode_mmaps(mmaps_)));
      if (!allocs_.empty() || alloc_info_dirty_) {
        LOADPROF_CHECK(append(out, encode_allocations(allocs_, alloc_info_dirty_ ? &alloc_info_ : nullptr)));
      }
      if (!cpu_accounting_.empty()) {
        LOADPROF_CHECK(append(out, encode_cpu_accounting(cpu_accounting_)));
        // Right after its accounting rows: the reader joins it to them.
        EncodedChunk extra = encode_cpu_accounting_extra(cpu_accounting_);
        if (extra.type != 0) LOADPROF_CHECK(append(out, extra));
      }
      if (!requests_.empty()) LOADPROF_CHECK(append(out, encode_requests(requests_)));
      if (load_run_dirty_) LOADPROF_CHECK(append(out, encode_load_run(load_run_)));
      if (!resources_.empty()) LOADPROF_CHECK(append(out, encode_resources(resources_)));
      if (!sockets_.empty()) LOADPROF_CHECK(append(out, encode_sockets(sockets_)));
      if (!offcpu_wakers_.empty()) LOADPROF_CHECK(append(out, encode_offcpu_wakers(offcpu_wakers_)));
      if (drops_dirty_) LOADPROF_CHECK(append(out, encode_drops(drops_)));
      if (unwind_dirty_) LOADPROF_CHECK(append(out, encode_unwind(unwind_)));
      return write_all(out);
    };
    Result<void> result = run();
    clear_pending();
    if (!result.ok()) error_ = result.error();
    return result;
  }

  Result<void> finish(const EndInfo& end) override {
    LOADPROF_CHECK(flush());
    std::string out;
    Result<void> result = append(out, encode_end(end));
    if (result.ok()) result = write_all(out);
    if (result.ok() && ::fdatasync(fd_.get()) != 0 && errno != EINVAL && errno != EROFS) {
      result = errno_error(ErrorKind::io, "sync " + path_, errno);
    }
    finished_ = true;
    if (!result.ok()) error_ = result.error();
    return result;
  }

  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  template <class T>
  void add(std::vector<T>& pending, const T& record) {
    if (finished_ || error_) return;
    pending.push_back(record);
    pending_bytes_ += approx_size(record);
    // An error here is kept in error_ and returned by the next flush()/finish().
    if (pending_bytes_ >= kPendingBoundBytes) (void)flush();
  }

  Result<void> append(std::string& out, const EncodedChunk& c) {
    return append_chunk(out, c.type, c.payload, c.record_count, c.time_min_ns, c.time_max_ns, kZstdLevel,
                        cctx_.get());
  }

  Result<void> write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error(ErrorKind::io, "write " + path_, errno);
      }
      bytes.remove_prefix(size_t(n));
      bytes_written_ += uint64_t(n);
    }
    return {};
  }

  void clear_pending() {
    clock_sync_.clear();
    processes_.clear();
    threads_.clear();
    mappings_.clear();
    frames_.clear();
    stacks_.clear();
    stack_symbols_.clear();
    cpu_samples_.clear();
    offcpu_.clear();
    io_syscalls_.clear();
    io_devices_.clear();
    allocs_.clear();
    mmaps_.clear();
    alloc_info_dirty_ = false;
    cpu_accounting_.clear();
    requests_.clear();
    resources_.clear();
    sockets_.clear();
    offcpu_wakers_.clear();
    drops_dirty_ = false;
    unwind_dirty_ = false;
    load_run_dirty_ = false;
    pending_bytes_ = 0;
  }

  UniqueFd fd_;
  std::string path_;
  std::unique_ptr<ZSTD_CCtx, CctxDeleter> cctx_;
  std::vector<ClockSync> clock_sync_;
  std::vector<Process> processes_;
  std::vector<Thread> threads_;
  std::vector<Mapping> mappings_;
  std::vector<Frame> frames_;
  std::vector<Stack> stacks_;
  std::vector<std::pair<StackId, Stack>> stack_symbols_;
  std::vector<CpuSample> cpu_samples_;
  std::vector<OffCpuInterval> offcpu_;
  std::vector<IoSyscallRecord> io_syscalls_;
  std::vector<IoDeviceRecord> io_devices_;
  std::vector<AllocEvent> allocs_;
  std::vector<MmapRecord> mmaps_;
  AllocInfo alloc_info_;
  bool alloc_info_dirty_ = false;
  std::vector<CpuAccounting> cpu_accounting_;
  std::vector<RequestRecord> requests_;
  std::vector<ResourceSample> resources_;
  std::vector<SocketRecord> sockets_;
  std::vector<OffCpuWaker> offcpu_wakers_;
  DropCounters drops_;
  bool drops_dirty_ = false;
  std::vector<UnwindModule> unwind_;
  bool unwind_dirty_ = false;
  LoadRun load_run_;
  bool load_run_dirty_ = false;
  uint64_t next_frame_id_ = 0;
  uint64_t next_stack_id_ = 0;
  size_t pending_bytes_ = 0;
  uint64_t bytes_written_ = 0;
  bool finished_ = false;
  std::optional<Error> error_;
};

}  // namespace

Result<std::unique_ptr<CaptureWriter>> CaptureWriter::create(const std::string& path,
                                                             const Metadata& metadata) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error(ErrorKind::io, "open " + path, errno);
  auto writer = std::make_unique<FileCaptureWriter>(std::move(fd), path);
  LOADPROF_CHECK(writer->start(metadata));
  return std::unique_ptr<CaptureWriter>(std::move(writer));
}

}  // namespace loadprof::capture

namespace loadprof::capture {

Result<void> write_whole_capture(const std::string& path, const Capture& capture) {
  LOADPROF_TRY(writer, CaptureWriter::create(path, capture.metadata));
  for (const auto& s : capture.clock_sync) writer->add_clock_sync(s);
  for (const auto& p : capture.processes) writer->add_process(p);
  for (const auto& t : capture.threads) writer->add_thread(t);
  for (const auto& m : capture.mappings) writer->add_mapping(m);
  for (const auto& f : capture.frames) writer->add_frame(f);
  for (const auto& s : capture.stacks) writer->add_stack(s);
  for (const auto& s : capture.cpu_samples) writer->add_cpu_sample(s);
  for (const auto& o : capture.offcpu) writer->add_offcpu(o);
  for (const auto& r : capture.io_syscalls) writer->add_io_syscall(r);
  for (const auto& r : capture.io_devices) writer->add_io_device(r);
  for (const auto& e : capture.allocs) writer->add_alloc(e);
  for (const auto& m : capture.mmaps) writer->add_mmap(m);
  if (capture.alloc_info) writer->set_alloc_info(*capture.alloc_info);
  for (const auto& a : capture.cpu_accounting) writer->add_cpu_accounting(a);
  for (const auto& r : capture.requests) writer->add_request(r);
  if (capture.load) writer->set_load_run(*capture.load);
  for (const auto& r : capture.resources) writer->add_resource(r);
  for (const auto& r : capture.sockets) writer->add_socket(r);
  for (const auto& r : capture.offcpu_wakers) writer->add_offcpu_waker(r);
  if (!capture.drops.empty()) writer->set_drops(capture.drops);
  if (!capture.unwind.empty()) writer->set_unwind(capture.unwind);
  if (capture.end) return writer->finish(*capture.end);
  return writer->flush();
}

}  // namespace loadprof::capture
