// perf_event_open wrapper and perf mmap ring reader.
#include "perf_ring.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "privilege.h"

namespace loadprof::collect {

Result<UniqueFd> open_perf_event(perf_event_attr& attr, pid_t pid, int cpu) {
  attr.size = sizeof(attr);
  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) {
    int err = errno;
    if (err == EPERM || err == EACCES) return permission_error("perf_event_open", err);
    return errno_error(ErrorKind::internal, "perf_event_open (cpu " + std::to_string(cpu) + ")", err);
  }
  return UniqueFd(fd);
}

void copy_from_ring(const uint8_t* ring, uint64_t ring_size, uint64_t pos, size_t size, uint8_t* out) {
  uint64_t offset = pos & (ring_size - 1);
  size_t first = static_cast<size_t>(std::min<uint64_t>(size, ring_size - offset));
  std::memcpy(out, ring + offset, first);
  if (first < size) std::memcpy(out + first, ring, size - first);
}

Result<PerfRing> PerfRing::map(UniqueFd fd, size_t data_pages) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t bytes = (1 + data_pages) * page;
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (base == MAP_FAILED) {
    int err = errno;
    if (err == EPERM) return permission_error("mmap perf ring", err);
    return errno_error(ErrorKind::internal, "mmap perf ring", err);
  }
  PerfRing ring;
  ring.fd_ = std::move(fd);
  ring.base_ = base;
  ring.mapped_bytes_ = bytes;
  ring.data_size_ = data_pages * page;
  return ring;
}

PerfRing::PerfRing(PerfRing&& o) noexcept
    : fd_(std::move(o.fd_)),
      base_(std::exchange(o.base_, nullptr)),
      mapped_bytes_(std::exchange(o.mapped_bytes_, 0)),
      data_size_(o.data_size_),
      scratch_(std::move(o.scratch_)) {}

PerfRing& PerfRing::operator=(PerfRing&& o) noexcept {
  if (this != &o) {
    if (base_) munmap(base_, mapped_bytes_);
    fd_ = std::move(o.fd_);
    base_ = std::exchange(o.base_, nullptr);
    mapped_bytes_ = std::exchange(o.mapped_bytes_, 0);
    data_size_ = o.data_size_;
    scratch_ = std::move(o.scratch_);
  }
  return *this;
}

PerfRing::~PerfRing() {
  if (base_) munmap(base_, mapped_bytes_);
}

void PerfRing::read(const std::function<void(std::span<const uint8_t>)>& fn) {
  auto* meta = static_cast<perf_event_mmap_page*>(base_);
  const uint8_t* data = static_cast<const uint8_t*>(base_) + meta->data_offset;
  uint64_t size = meta->data_size ? meta->data_size : data_size_;
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;
  while (tail + sizeof(perf_event_header) <= head) {
    perf_event_header header;
    copy_from_ring(data, size, tail, sizeof header, reinterpret_cast<uint8_t*>(&header));
    if (header.size < sizeof header || tail + header.size > head) break;
    uint64_t offset = tail & (size - 1);
    if (offset + header.size <= size) {
      fn(std::span<const uint8_t>(data + offset, header.size));
    } else {
      scratch_.resize(header.size);
      copy_from_ring(data, size, tail, header.size, scratch_.data());
      fn(std::span<const uint8_t>(scratch_.data(), header.size));
    }
    tail += header.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

}  // namespace loadprof::collect
