// Loader of the cpu probe (bpf/cpu.bpf.c).
#include "cpu_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include "bpf_util.h"
#include "cpu.skel.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/log.h"
#include "perf_ring.h"

namespace loadprof::collect {
namespace {

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG && log::level() < log::Level::debug) return 0;
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  std::string_view text(buf, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1) : 0);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  // libbpf warnings are noise for the user when the error is reported anyway.
  log::debug(std::string("libbpf: ") + std::string(text));
  return 0;
}

uint64_t max_sample_rate_hz() {
  FILE* f = std::fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");
  if (!f) return 0;
  unsigned long long hz = 0;
  if (std::fscanf(f, "%llu", &hz) != 1) hz = 0;
  std::fclose(f);
  return hz;
}

uint64_t ringbuf_size_for(const CpuProbeOptions& o) {
  if (o.ringbuf_bytes) return std::bit_ceil(std::max<uint64_t>(o.ringbuf_bytes, 4096));
  // Two seconds of samples at full rate on every CPU: the reader drains every ~250 ms.
  uint64_t per_second =
      uint64_t{o.frequency_hz} * static_cast<uint64_t>(o.cpus.size()) * (sizeof(lp_sample_event) + 8);
  uint64_t bytes = std::bit_ceil(std::max<uint64_t>(2 * per_second, 256 * 1024));
  return std::min<uint64_t>(bytes, 256ull << 20);
}

// Pages of one CPU's DWARF ring: half a second of samples at full rate (the
// reader drains every ~250 ms), a power of two, 256 KiB .. 16 MiB.
size_t dwarf_ring_pages(const CpuProbeOptions& o) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t record = uint64_t{o.user_stack_bytes} + 8 * 24 + 8 * 130;  // stack, regs, callchain
  const uint64_t bytes = uint64_t{o.frequency_hz} * record / 2;
  return static_cast<size_t>(std::clamp<uint64_t>(std::bit_ceil(bytes / page + 1), 64, 4096));
}

}  // namespace

Result<std::unique_ptr<CpuProbe>> CpuProbe::open(const CpuProbeOptions& options, RecordFn on_record) {
  libbpf_set_print(libbpf_print);
  std::unique_ptr<CpuProbe> probe(new CpuProbe());
  probe->options_ = options;
  probe->on_record_ = std::move(on_record);
  int possible = libbpf_num_possible_cpus();
  if (possible <= 0) return libbpf_error("libbpf_num_possible_cpus", possible);
  probe->possible_cpus_ = possible;

  probe->ringbuf_bytes_ = ringbuf_size_for(options);
  // tp_btf reads task fields directly; raw_tp with CO-RE reads where BTF
  // tracepoints are missing. Tried in that order, rather than looking the
  // tracepoints up first: parsing the kernel's BTF costs ~10 ms of CPU each
  // time, and libbpf parses it anyway while loading.
  bool with_btf = true;
  cpu* skel = nullptr;
  for (;; with_btf = false) {
    skel = cpu::open();
    if (!skel) return libbpf_error("open BPF object cpu", errno);
    skel->rodata->self_tgid = options.self_tgid;
    skel->rodata->follow_children = options.follow_children;
    bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(probe->ringbuf_bytes_));
    bpf_program__set_autoload(skel->progs.on_fork_btf, with_btf);
    bpf_program__set_autoload(skel->progs.on_exit_btf, with_btf);
    bpf_program__set_autoload(skel->progs.on_fork_raw, !with_btf);
    bpf_program__set_autoload(skel->progs.on_exit_raw, !with_btf);
    const int err = cpu::load(skel);
    if (err == 0) break;
    cpu::destroy(skel);
    if (!with_btf) return libbpf_error("load BPF program cpu", err);
    log::debug("tp_btf tracepoints refused (" + std::string(std::strerror(-err)) + "): trying raw_tp");
  }
  probe->skel_ = skel;

  for (bpf_program* prog : {with_btf ? skel->progs.on_fork_btf : skel->progs.on_fork_raw,
                            with_btf ? skel->progs.on_exit_btf : skel->progs.on_exit_raw}) {
    bpf_link* link = bpf_program__attach(prog);
    if (!link) return libbpf_error(std::string("attach ") + bpf_program__name(prog), errno);
    probe->tracepoint_links_.push_back(link);
  }

  probe->ringbuf_ =
      ring_buffer__new(bpf_map__fd(skel->maps.events), &CpuProbe::on_ringbuf_record, probe.get(), nullptr);
  if (!probe->ringbuf_) return libbpf_error("ring_buffer__new", errno);

  probe->throttling_recorded_ = !options.cpus.empty();
  for (size_t i = 0; i < options.cpus.size(); ++i) {
    const int c = options.cpus[i];
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.freq = 1;
    attr.sample_freq = options.frequency_hz;
    // One clock with bpf_ktime_get_ns, the sideband and the load driver.
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;
    // The samples never reach a ring (the BPF program returns 0); the
    // THROTTLE/UNTHROTTLE records do, and carry the sideband's sample_id.
    attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
    attr.sample_id_all = 1;
    if (options.dwarf) {
      // Only the samples the program returns 1 for reach the ring: the
      // DWARF targets'. The user callchain is unwound from the stack copy.
      attr.sample_type |= PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
      attr.exclude_callchain_user = 1;
      attr.sample_regs_user = kDwarfSampleRegsMask;
      attr.sample_stack_user = options.user_stack_bytes;
      // Enabled by the attach below (libbpf's PERF_EVENT_IOC_ENABLE): an
      // event enabled at open writes every process's samples to its ring
      // until the filter program is attached.
      attr.disabled = 1;
    }
    auto opened = open_perf_event(attr, -1, c);
    if (!opened.ok()) {
      uint64_t max_hz = max_sample_rate_hz();
      if (max_hz && options.frequency_hz > max_hz) {
        return make_error(ErrorKind::usage, "sampling frequency " + std::to_string(options.frequency_hz) +
                                                " Hz is above kernel.perf_event_max_sample_rate (" +
                                                std::to_string(max_hz) + ")");
      }
      return opened.error();
    }
    UniqueFd fd = std::move(opened.value());
    if (options.dwarf) {
      // The ring's own fd: the link below closes the event's.
      UniqueFd ring_fd(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
      if (!ring_fd.valid()) return errno_error(ErrorKind::internal, "dup perf event fd", errno);
      const size_t pages = dwarf_ring_pages(options);
      LOADPROF_TRY(ring, PerfRing::map(std::move(ring_fd), pages));
      probe->dwarf_rings_.push_back(std::move(ring));
      probe->dwarf_ring_bytes_ = pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
    }
    const int out_fd = options.dwarf                            ? -1
                       : i < options.throttle_output_fds.size() ? options.throttle_output_fds[i]
                                                                : -1;
    if (options.dwarf) {
      // Throttle records come through the DWARF ring (same sample_id layout).
    } else if (out_fd < 0 || ioctl(fd.get(), PERF_EVENT_IOC_SET_OUTPUT, out_fd) != 0) {
      if (out_fd >= 0)
        log::debug("cpu " + std::to_string(c) + ": throttle records not routed: " + std::strerror(errno));
      probe->throttling_recorded_ = false;
    }
    bpf_link* link = bpf_program__attach_perf_event(skel->progs.on_cpu_sample, fd.get());
    if (!link) return libbpf_error("attach cpu-clock program (cpu " + std::to_string(c) + ")", errno);
    fd.release();  // the link owns and closes the perf event fd
    probe->perf_links_.push_back(link);
  }
  return probe;
}

CpuProbe::~CpuProbe() {
  stop_sampling();
  for (bpf_link* link : tracepoint_links_) bpf_link__destroy(link);
  if (ringbuf_) ring_buffer__free(ringbuf_);
  if (skel_) cpu::destroy(skel_);
}

int CpuProbe::on_ringbuf_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<CpuProbe*>(ctx);
  self->on_record_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  return 0;
}

Result<void> CpuProbe::add_pid(uint32_t pid, uint8_t mode) {
  if (!options_.dwarf) mode = LP_UNWIND_FP;
  int err = bpf_map__update_elem(skel_->maps.targets, &pid, sizeof pid, &mode, sizeof mode, BPF_ANY);
  if (err) return libbpf_error("add pid " + std::to_string(pid) + " to the target map", err);
  return {};
}

void CpuProbe::remove_pid(uint32_t pid) { bpf_map__delete_elem(skel_->maps.targets, &pid, sizeof pid, 0); }

int CpuProbe::targets_map_fd() const { return bpf_map__fd(skel_->maps.targets); }

std::vector<uint32_t> CpuProbe::filter_pids() const {
  std::vector<uint32_t> out;
  uint32_t key = 0, next = 0;
  const void* prev = nullptr;
  while (bpf_map__get_next_key(skel_->maps.targets, prev, &next, sizeof next) == 0) {
    out.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
}

Result<void> CpuProbe::poll(int timeout_ms) {
  int n = ring_buffer__poll(ringbuf_, timeout_ms);
  if (n < 0 && n != -EINTR) return libbpf_error("ring_buffer__poll", n);
  return {};
}

int CpuProbe::wakeup_fd() const { return ring_buffer__epoll_fd(ringbuf_); }

Result<void> CpuProbe::consume() {
  int n = ring_buffer__consume(ringbuf_);
  if (n < 0 && n != -EINTR) return libbpf_error("ring_buffer__consume", n);
  return {};
}

void CpuProbe::read_dwarf_rings(const std::function<void(size_t, std::span<const uint8_t>)>& fn) {
  for (size_t i = 0; i < dwarf_rings_.size(); ++i)
    dwarf_rings_[i].read([&](std::span<const uint8_t> record) { fn(i, record); });
}

void CpuProbe::stop_sampling() {
  for (bpf_link* link : perf_links_) bpf_link__destroy(link);
  perf_links_.clear();
}

std::array<uint64_t, LP_DROP_REASONS> CpuProbe::drops() const {
  return sum_percpu_counters<LP_DROP_REASONS>(skel_->maps.drops, possible_cpus_);
}

std::pair<uint64_t, uint64_t> CpuProbe::sample_program_stats() const {
  bpf_prog_info info{};
  uint32_t size = sizeof info;
  if (bpf_obj_get_info_by_fd(bpf_program__fd(skel_->progs.on_cpu_sample), &info, &size) != 0) return {0, 0};
  return {info.run_cnt, info.run_time_ns};
}

std::vector<std::array<lp_accounting_slot, LP_ACCOUNTING_SLOTS>> CpuProbe::read_accounting() const {
  std::vector<std::array<lp_accounting_slot, LP_ACCOUNTING_SLOTS>> out(static_cast<size_t>(possible_cpus_));
  std::vector<lp_accounting_slot> values(static_cast<size_t>(possible_cpus_));
  for (uint32_t slot = 0; slot < LP_ACCOUNTING_SLOTS; ++slot) {
    if (bpf_map__lookup_elem(skel_->maps.accounting, &slot, sizeof slot, values.data(),
                             values.size() * sizeof(lp_accounting_slot), 0) != 0) {
      continue;
    }
    for (size_t c = 0; c < values.size(); ++c) out[c][slot] = values[c];
  }
  return out;
}

}  // namespace loadprof::collect
