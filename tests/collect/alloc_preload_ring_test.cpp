// The preload path's ring reader against a writer played by the test (the
// layout of src/preload/alloc_ring.h, claim by enqueue_pos, publish by seq):
// records come back in ring order with their fields and sizes, a slot claimed
// but never published blocks the ring only for a second (then it is skipped
// and counted), at the end at once; counters are the header's plus every
// thread slot's; the environment hands over the library and the fd.
#include "collect/alloc_preload_ring.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace loadprof::collect;

namespace {

// The recorder's ring, mapped a second time as the target maps it.
struct Writer {
  explicit Writer(const AllocPreloadRing& ring) {
    const size_t bytes = LP_ALLOC_RING_BYTES(16);
    void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, ring.fd(), 0);
    EXPECT_NE(m, MAP_FAILED);
    h = static_cast<lp_alloc_ring_header*>(m);
  }
  // Claims the next slot; publish() makes it visible.
  uint64_t claim() { return __atomic_fetch_add(&h->enqueue_pos, 1, __ATOMIC_RELAXED); }
  void publish(uint64_t pos, uint32_t type, uint64_t address) {
    lp_alloc_ring_slot& s = lp_alloc_ring_slots(h)[pos & 15];
    EXPECT_EQ(__atomic_load_n(&s.seq, __ATOMIC_ACQUIRE), pos);  // free for this lap
    s.event = {};
    s.event.type = type;
    s.event.address = address;
    s.event.size = 64;
    s.event.user_stack_bytes = type == LP_EVENT_ALLOC ? 8 : 0;
    s.event.user_ips[0] = 0x1234;
    __atomic_store_n(&s.seq, pos + 1, __ATOMIC_RELEASE);
  }
  lp_alloc_ring_header* h = nullptr;
};

struct Seen {
  uint32_t type;
  uint64_t address;
  size_t bytes;
};

TEST(AllocPreloadRing, RecordsInOrderAndAStuckSlotSkippedAfterASecond) {
  setenv("LOADPROF_ALLOC_PRELOAD", "/dev/null", 1);  // any readable file: the library is not loaded here
  std::vector<Seen> seen;
  auto ring = AllocPreloadRing::open(4096, 16, [&](std::span<const uint8_t> r) {
    const auto* e = reinterpret_cast<const lp_alloc_event*>(r.data());
    seen.push_back({e->type, e->address, r.size()});
  });
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  AllocPreloadRing& reader = **ring;
  const auto env = reader.environment();
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0].rfind("LD_PRELOAD=/dev/null", 0), 0u) << env[0];
  EXPECT_EQ(env[1], "LOADPROF_ALLOC_FD=" + std::to_string(reader.fd()));
  Writer w(reader);
  EXPECT_EQ(w.h->sample_period_bytes, 4096u);
  EXPECT_EQ(w.h->magic, LP_ALLOC_RING_MAGIC);

  // Two records, in order; an alloc carries the whole event, a free only its head.
  w.publish(w.claim(), LP_EVENT_ALLOC, 0x100);
  w.publish(w.claim(), LP_EVENT_FREE, 0x100);
  reader.consume(false);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].address, 0x100u);
  EXPECT_EQ(seen[0].bytes, sizeof(lp_alloc_event));
  EXPECT_EQ(seen[1].type, static_cast<uint32_t>(LP_EVENT_FREE));
  EXPECT_EQ(seen[1].bytes, LP_ALLOC_FREE_EVENT_BYTES);

  // A writer that claims a slot and dies: the record after it waits a second.
  w.claim();
  w.publish(w.claim(), LP_EVENT_ALLOC, 0x200);
  reader.consume(false);
  EXPECT_EQ(seen.size(), 2u);
  usleep(500'000);
  reader.consume(false);
  EXPECT_EQ(seen.size(), 2u);
  usleep(700'000);
  reader.consume(false);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].address, 0x200u);
  EXPECT_EQ(reader.unfinished(), 1u);

  // Laps around the 16 slots keep working once the dead slot is given back.
  for (int i = 0; i < 40; ++i) {
    w.publish(w.claim(), LP_EVENT_ALLOC, 0x1000 + i);
    if (i % 8 == 7) reader.consume(false);
  }
  reader.consume(false);
  ASSERT_EQ(seen.size(), 43u);
  EXPECT_EQ(seen.back().address, 0x1000u + 39);

  // At the end an unpublished slot is skipped at once.
  w.claim();
  w.publish(w.claim(), LP_EVENT_FREE, 0x300);
  reader.consume(true);
  ASSERT_EQ(seen.size(), 44u);
  EXPECT_EQ(reader.unfinished(), 2u);

  // Counters: the header's plus each claimed thread slot's.
  w.h->counters[LP_ALLOC_CALLS] = 5;
  w.h->threads_claimed = 2;
  w.h->threads[0].calls = 10;
  w.h->threads[1].calls = 7;
  w.h->threads[1].bytes = 700;
  w.h->threads[1].frees_unknown = 3;
  const auto c = reader.counters();
  EXPECT_EQ(c[LP_ALLOC_CALLS], 22u);
  EXPECT_EQ(c[LP_ALLOC_BYTES], 700u);
  EXPECT_EQ(c[LP_ALLOC_FREES_UNKNOWN], 3u);
  EXPECT_EQ(reader.allocator_path(), "");
  unsetenv("LOADPROF_ALLOC_PRELOAD");
}

}  // namespace
