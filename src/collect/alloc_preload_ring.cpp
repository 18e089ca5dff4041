// Recorder side of the alloc probe's preload path (see alloc_preload_ring.h).
#include "alloc_preload_ring.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "loadprof/util/clock.h"

namespace loadprof::collect {
namespace {

constexpr uint32_t kDefaultSlots = 8192;
// A slot claimed but not published for this long is given up on (its writer
// died mid-record): the ring would otherwise stay blocked behind it.
constexpr uint64_t kStuckNs = 1'000'000'000;
constexpr const char* kLibraryName = "libloadprof_alloc.so";

}  // namespace

Result<std::string> find_alloc_preload_library() {
  if (const char* e = std::getenv("LOADPROF_ALLOC_PRELOAD"); e && *e) {
    if (access(e, R_OK) == 0) return std::string(e);
    return make_error(ErrorKind::not_available,
                      std::string("alloc: LOADPROF_ALLOC_PRELOAD=") + e + ": " + std::strerror(errno));
  }
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string dir = n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string();
  dir = dir.substr(0, dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/'));
  for (const std::string& candidate : {dir + "/" + kLibraryName, dir + "/../lib/loadprof/" + kLibraryName}) {
    if (access(candidate.c_str(), R_OK) == 0) return candidate;
  }
  return make_error(ErrorKind::not_available, std::string("alloc: ") + kLibraryName +
                                                  " (the preload path for -- CMD) not found next to " +
                                                  (dir.empty() ? "the loadprof binary" : dir) +
                                                  " nor in ../lib/loadprof; set LOADPROF_ALLOC_PRELOAD");
}

Result<std::unique_ptr<AllocPreloadRing>> AllocPreloadRing::open(uint64_t sample_period_bytes,
                                                                 uint32_t slot_count, RecordFn on_record) {
  std::unique_ptr<AllocPreloadRing> ring(new AllocPreloadRing());
  LOADPROF_TRY(library, find_alloc_preload_library());
  ring->library_ = std::move(library);
  ring->on_record_ = std::move(on_record);
  uint32_t slots = slot_count ? slot_count : kDefaultSlots;
  if ((slots & (slots - 1)) != 0)
    return make_error(ErrorKind::internal, "alloc ring: slot count not a power of two");
  const int fd = memfd_create("loadprof-alloc-ring", MFD_CLOEXEC);
  if (fd < 0) return errno_error(ErrorKind::internal, "memfd_create", errno);
  ring->fd_ = UniqueFd(fd);
  ring->bytes_ = LP_ALLOC_RING_BYTES(slots);
  if (ftruncate(fd, static_cast<off_t>(ring->bytes_)) != 0)
    return errno_error(ErrorKind::internal, "ftruncate (alloc ring)", errno);
  void* m = mmap(nullptr, ring->bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return errno_error(ErrorKind::internal, "mmap (alloc ring)", errno);
  auto* h = static_cast<lp_alloc_ring_header*>(m);
  ring->header_ = h;
  // A new memfd reads as zeros: only the non-zero fields are written.
  h->version = LP_ALLOC_RING_VERSION;
  h->slot_count = slots;
  h->slot_bytes = sizeof(lp_alloc_ring_slot);
  h->sample_period_bytes = sample_period_bytes;
  lp_alloc_ring_slot* s = lp_alloc_ring_slots(h);
  for (uint32_t i = 0; i < slots; ++i) s[i].seq = i;
  __atomic_store_n(&h->magic, LP_ALLOC_RING_MAGIC, __ATOMIC_RELEASE);
  return ring;
}

AllocPreloadRing::~AllocPreloadRing() {
  if (header_) munmap(header_, bytes_);
}

std::vector<std::string> AllocPreloadRing::environment() const {
  std::string preload = library_;
  if (const char* existing = std::getenv("LD_PRELOAD"); existing && *existing)
    preload += std::string(":") + existing;
  return {"LD_PRELOAD=" + preload, std::string(LP_ALLOC_RING_FD_ENV) + "=" + std::to_string(fd_.get())};
}

void AllocPreloadRing::consume(bool final) {
  lp_alloc_ring_slot* slots = lp_alloc_ring_slots(header_);
  const uint64_t count = header_->slot_count;
  // What was claimed when the call began, at most: a writer refilling the
  // slots as they are given back would otherwise keep this loop (and the
  // records it hands on, held until the next dispatch) growing without end.
  const uint64_t end = __atomic_load_n(&header_->enqueue_pos, __ATOMIC_ACQUIRE);
  while (pos_ < end) {
    lp_alloc_ring_slot& s = slots[pos_ & (count - 1)];
    const uint64_t seq = __atomic_load_n(&s.seq, __ATOMIC_ACQUIRE);
    if (seq == pos_ + 1) {
      const size_t size = s.event.type == LP_EVENT_FREE ? LP_ALLOC_FREE_EVENT_BYTES : sizeof(lp_alloc_event);
      on_record_(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&s.event), size));
    } else {
      // Not published: nothing claimed yet, a writer in the middle of it, or
      // one that died there (killed mid-record). At the end, or stuck for
      // kStuckNs while later slots were claimed, it is skipped and counted.
      if (!final) {
        const uint64_t now_ns = monotonic_ns();
        if (stuck_pos_ != pos_ || stuck_since_ns_ == 0) {
          stuck_pos_ = pos_;
          stuck_since_ns_ = now_ns;
          break;
        }
        if (now_ns - stuck_since_ns_ < kStuckNs) break;
      }
      ++unfinished_;
    }
    __atomic_store_n(&s.seq, pos_ + count, __ATOMIC_RELEASE);
    ++pos_;
  }
  __atomic_store_n(&header_->dequeue_pos, pos_, __ATOMIC_RELAXED);
}

uint64_t AllocPreloadRing::counter(uint32_t index) const {
  return __atomic_load_n(&header_->counters[index], __ATOMIC_RELAXED);
}

std::array<uint64_t, LP_ALLOC_COUNTERS> AllocPreloadRing::counters() const {
  std::array<uint64_t, LP_ALLOC_COUNTERS> out{};
  for (uint32_t i = 0; i < LP_ALLOC_COUNTERS; ++i) out[i] = counter(i);
  const uint32_t threads = std::min<uint32_t>(__atomic_load_n(&header_->threads_claimed, __ATOMIC_RELAXED),
                                              LP_ALLOC_RING_THREAD_SLOTS);
  for (uint32_t t = 0; t < threads; ++t) {
    const lp_alloc_thread_counters& c = header_->threads[t];
    out[LP_ALLOC_CALLS] += __atomic_load_n(&c.calls, __ATOMIC_RELAXED);
    out[LP_ALLOC_BYTES] += __atomic_load_n(&c.bytes, __ATOMIC_RELAXED);
    out[LP_ALLOC_FREES_UNKNOWN] += __atomic_load_n(&c.frees_unknown, __ATOMIC_RELAXED);
  }
  return out;
}

uint64_t AllocPreloadRing::ring_counter(uint32_t index) const {
  return __atomic_load_n(&header_->ring_counters[index], __ATOMIC_RELAXED);
}

uint64_t AllocPreloadRing::processes() const { return ring_counter(LP_RING_PROCESSES); }
uint64_t AllocPreloadRing::not_interposed() const { return ring_counter(LP_RING_NOT_INTERPOSED); }
uint64_t AllocPreloadRing::unwinder_allocations() const { return ring_counter(LP_RING_UNWIND_REENTERED); }

std::string AllocPreloadRing::allocator_path() const {
  if (!__atomic_load_n(&header_->allocator_ready, __ATOMIC_ACQUIRE)) return {};
  return std::string(header_->allocator_path, strnlen(header_->allocator_path, LP_ALLOC_RING_PATH_BYTES));
}

}  // namespace loadprof::collect
