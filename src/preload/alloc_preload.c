/*
 * libloadprof_alloc.so: the alloc probe's preload path, loaded into a command
 * launched by `loadprof record --probes alloc -- CMD` through LD_PRELOAD. It
 * interposes malloc, free, calloc, realloc, reallocarray, memalign,
 * aligned_alloc, posix_memalign, valloc and pvalloc, calls the allocator the
 * process would have used (the next definition after ours: glibc, jemalloc,
 * ...), counts every call in the shared ring's header, and samples by bytes
 * with a Poisson process of mean sample_period_bytes (each thread counts down
 * an exponential number of bytes; an allocation that reaches zero is
 * sampled, so one of s bytes is sampled with probability 1 - exp(-s/period)).
 * Only a sampled allocation is unwound (libunwind, in process) and sent, and
 * its address enters a bounded open-addressing table so that its free is sent
 * too; any other free is one counter. Records are struct lp_alloc_event, the
 * uprobe path's, in the ring of src/preload/alloc_ring.h.
 *
 * Recursion: while the real functions are being looked up (dlsym may
 * allocate), allocations come from a static arena and are never freed; while a
 * thread is inside the profiler (unwinding, sending), its allocations go
 * straight to the allocator, counted apart. fork: the child keeps the shared
 * ring (it is MAP_SHARED) with its own pid and a private copy of the table of
 * live sampled blocks; exec'd children inherit LD_PRELOAD and the ring's fd,
 * and join it. Plain C: no allocation of its own outside mmap.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "alloc_ring.h"

#define EXPORT __attribute__((visibility("default")))
#define TLS __thread __attribute__((tls_model("initial-exec")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The allocator the process would have used without us. */
static struct {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
} real;

/* Allocations made while dlsym looks the real functions up: never freed. */
static char boot_arena[1 << 16] __attribute__((aligned(64)));
static size_t boot_used;
static int resolving;
static int initialized;

static struct lp_alloc_ring_header *ring; /* NULL: not recording */
static struct lp_alloc_ring_slot *slots;
static uint64_t slot_mask;
static uint64_t period_bytes;
static uint32_t pid_cached;
static uintptr_t self_text_lo, self_text_hi; /* our own code: skipped in stacks */

/* Live sampled allocations of this process: open addressing, keys claimed
 * and released by CAS, a released key left as a tombstone (so a lookup never
 * misses a key another thread moved). A key lives within LIVE_PROBES slots
 * of its hash. */
#define LIVE_EMPTY 0
#define LIVE_TOMBSTONE 1
#define LIVE_PROBES 64
#define LIVE_SLOTS LP_ALLOC_MAX_LIVE
struct live_entry {
	uint64_t address;
	uint64_t size;
	uint64_t time_ns;
};
static struct live_entry *live;
static uint64_t live_count;
/* A counting filter in front of the table: per hash bucket, how many live
 * sampled blocks hash there (saturating at 255). A free whose bucket reads 0
 * was not sampled: one load, however many tombstones the table holds. */
#define FILTER_BITS 20
static uint8_t *filter;

static TLS int in_hook;
static TLS int sampler_ready;
static TLS int64_t bytes_until_sample;
static TLS uint64_t rng_state;
static TLS uint32_t tid_cached;
static TLS struct lp_alloc_thread_counters *my_counters; /* NULL: not claimed yet */
static TLS int no_counter_slot;			    /* every slot taken: atomics instead */

static inline void count(int index, uint64_t n)
{
	__atomic_fetch_add(&ring->counters[index], n, __ATOMIC_RELAXED);
}

static int in_boot_arena(const void *p)
{
	return (const char *)p >= boot_arena && (const char *)p < boot_arena + sizeof boot_arena;
}

static void *boot_alloc(size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	size_t at = (boot_used + align - 1) & ~(align - 1);
	if (at + size > sizeof boot_arena)
		return NULL;
	boot_used = at + size;
	return boot_arena + at;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t current_tid(void)
{
	if (!tid_cached)
		tid_cached = (uint32_t)syscall(SYS_gettid);
	return tid_cached;
}

static void after_fork_in_child(void)
{
	pid_cached = (uint32_t)getpid();
	tid_cached = 0;
	my_counters = NULL; /* the parent's thread keeps writing its slot: take another */
	no_counter_slot = 0;
}

static struct lp_alloc_thread_counters *claim_counters(void)
{
	if (no_counter_slot)
		return NULL;
	uint32_t i = __atomic_fetch_add(&ring->threads_claimed, 1, __ATOMIC_RELAXED);
	if (i >= LP_ALLOC_RING_THREAD_SLOTS) {
		no_counter_slot = 1;
		return NULL;
	}
	my_counters = &ring->threads[i];
	return my_counters;
}

/* One writer per slot: a plain add, read by the recorder with relaxed loads. */
static inline void bump(__u64 *slot, uint64_t n)
{
	__atomic_store_n(slot, __atomic_load_n(slot, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void count_call(uint64_t size)
{
	struct lp_alloc_thread_counters *c = my_counters;
	if (UNLIKELY(!c) && !(c = claim_counters())) {
		count(LP_ALLOC_CALLS, 1);
		count(LP_ALLOC_BYTES, size);
		return;
	}
	bump(&c->calls, 1);
	bump(&c->bytes, size);
}

static inline void count_unknown_free(void)
{
	struct lp_alloc_thread_counters *c = my_counters;
	if (UNLIKELY(!c) && !(c = claim_counters())) {
		count(LP_ALLOC_FREES_UNKNOWN, 1);
		return;
	}
	bump(&c->frees_unknown, 1);
}

struct text_search {
	uintptr_t base;
	uintptr_t lo, hi;
};

static int find_own_text(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct text_search *s = data;
	if (info->dlpi_addr != s->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (!s->lo || lo < s->lo)
			s->lo = lo;
		if (hi > s->hi)
			s->hi = hi;
	}
	return 1;
}

/* Maps the ring the recorder handed over; NULL when there is none (the
 * library loaded outside a recording) or it is not ours. */
static struct lp_alloc_ring_header *map_ring(void)
{
	const char *text = getenv(LP_ALLOC_RING_FD_ENV);
	if (!text || !*text)
		return NULL;
	char *end;
	long fd = strtol(text, &end, 10);
	if (*end || fd < 0)
		return NULL;
	struct stat st;
	if (fstat((int)fd, &st) != 0 || (size_t)st.st_size < sizeof(struct lp_alloc_ring_header))
		return NULL;
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	struct lp_alloc_ring_header *h = m;
	if (h->magic != LP_ALLOC_RING_MAGIC || h->version != LP_ALLOC_RING_VERSION ||
	    h->slot_bytes != sizeof(struct lp_alloc_ring_slot) || h->slot_count == 0 ||
	    (h->slot_count & (h->slot_count - 1)) != 0 || LP_ALLOC_RING_BYTES(h->slot_count) > (size_t)st.st_size) {
		munmap(m, (size_t)st.st_size);
		return NULL;
	}
	return h;
}

/* Our malloc by a local name: &malloc here resolves through the GOT to the
 * global definition, which is not ours when the executable defines malloc. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-attributes"
#endif
void *lp_own_malloc(size_t size) __attribute__((alias("malloc"), visibility("hidden")));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static void init(void)
{
	if (initialized)
		return;
	resolving = 1;
	real.malloc = dlsym(RTLD_NEXT, "malloc");
	real.free = dlsym(RTLD_NEXT, "free");
	real.calloc = dlsym(RTLD_NEXT, "calloc");
	real.realloc = dlsym(RTLD_NEXT, "realloc");
	real.memalign = dlsym(RTLD_NEXT, "memalign");
	real.posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real.aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real.valloc = dlsym(RTLD_NEXT, "valloc");
	real.pvalloc = dlsym(RTLD_NEXT, "pvalloc");
	resolving = 0;
	initialized = 1;
	if (!real.malloc || !real.free || !real.calloc || !real.realloc || !real.posix_memalign)
		abort(); /* no allocator after us: nothing sensible to call */

	struct lp_alloc_ring_header *h = map_ring();
	if (!h)
		return;
	live = mmap(NULL, sizeof(struct live_entry) * LIVE_SLOTS, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (live == MAP_FAILED)
		return;
	filter = mmap(NULL, (size_t)1 << FILTER_BITS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	if (filter == MAP_FAILED)
		return;
	Dl_info self;
	if (dladdr((void *)&init, &self)) {
		struct text_search s = {(uintptr_t)self.dli_fbase, 0, 0};
		dl_iterate_phdr(find_own_text, &s);
		self_text_lo = s.lo;
		self_text_hi = s.hi;
	}
	pid_cached = (uint32_t)getpid();
	slots = lp_alloc_ring_slots(h);
	slot_mask = h->slot_count - 1;
	period_bytes = h->sample_period_bytes;
	pthread_atfork(NULL, NULL, after_fork_in_child);
	__atomic_fetch_add(&h->ring_counters[LP_RING_PROCESSES], 1, __ATOMIC_RELAXED);
	/* The executable's own malloc comes before ours in the lookup order: it is
	 * not interposed, and the recorder says so. */
	void *global_malloc = dlsym(RTLD_DEFAULT, "malloc");
	if (global_malloc != (void *)&lp_own_malloc)
		__atomic_fetch_add(&h->ring_counters[LP_RING_NOT_INTERPOSED], 1, __ATOMIC_RELAXED);
	__u32 unclaimed = 0;
	if (__atomic_compare_exchange_n(&h->allocator_claim, &unclaimed, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		Dl_info where;
		const char *path = "";
		void *defining = global_malloc != (void *)&lp_own_malloc ? global_malloc : (void *)real.malloc;
		if (dladdr(defining, &where) && where.dli_fname)
			path = where.dli_fname;
		char exe[LP_ALLOC_RING_PATH_BYTES];
		if (!*path) { /* the executable: dladdr names it "" */
			ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
			exe[n > 0 ? n : 0] = 0;
			path = exe;
		}
		size_t len = strnlen(path, LP_ALLOC_RING_PATH_BYTES - 1);
		memcpy(h->allocator_path, path, len);
		h->allocator_path[len] = 0;
		__atomic_store_n(&h->allocator_ready, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&ring, h, __ATOMIC_RELEASE);
}

/* Uniform in (0, 1] from a per-thread xorshift64*. */
static double uniform01(void)
{
	if (!rng_state)
		rng_state = (now_ns() ^ ((uint64_t)current_tid() << 32) ^ (uint64_t)(uintptr_t)&rng_state) | 1;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)(((rng_state * 2685821657736338717ull) >> 11) + 1) * 0x1.0p-53;
}

/* Bytes to the next point of the Poisson process (at least 1). */
static int64_t next_sample_distance(void)
{
	double d = -log(uniform01()) * (double)period_bytes;
	if (d > 9.0e18)
		d = 9.0e18;
	return (int64_t)d + 1;
}

static uint64_t live_hash(uint64_t address)
{
	return ((address >> 4) * 0x9E3779B97F4A7C15ull) >> 32;
}

static uint8_t *filter_bucket(uint64_t address)
{
	return &filter[((address >> 4) * 0xC2B2AE3D27D4EB4Full) >> (64 - FILTER_BITS)];
}

static void filter_add(uint64_t address)
{
	uint8_t *b = filter_bucket(address);
	uint8_t v = __atomic_load_n(b, __ATOMIC_RELAXED);
	while (v != 255 && !__atomic_compare_exchange_n(b, &v, v + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
	}
}

static void filter_remove(uint64_t address)
{
	uint8_t *b = filter_bucket(address);
	uint8_t v = __atomic_load_n(b, __ATOMIC_RELAXED);
	/* A saturated bucket stays saturated: its count is no longer known. */
	while (v != 255 && v != 0 && !__atomic_compare_exchange_n(b, &v, v - 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
	}
}

static int live_insert(uint64_t address, uint64_t size, uint64_t time_ns)
{
	uint64_t h = live_hash(address);
	for (int i = 0; i < LIVE_PROBES; i++) {
		struct live_entry *e = &live[(h + (uint64_t)i) % LIVE_SLOTS];
		uint64_t k = __atomic_load_n(&e->address, __ATOMIC_RELAXED);
		if (k != LIVE_EMPTY && k != LIVE_TOMBSTONE)
			continue;
		if (!__atomic_compare_exchange_n(&e->address, &k, address, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		e->size = size;
		e->time_ns = time_ns;
		filter_add(address);
		__atomic_fetch_add(&live_count, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

/* Takes address out of the table; 1 with its size and time when it was there. */
static int live_remove(uint64_t address, uint64_t *size, uint64_t *time_ns)
{
	uint64_t h = live_hash(address);
	for (int i = 0; i < LIVE_PROBES; i++) {
		struct live_entry *e = &live[(h + (uint64_t)i) % LIVE_SLOTS];
		uint64_t k = __atomic_load_n(&e->address, __ATOMIC_ACQUIRE);
		if (k == LIVE_EMPTY)
			return 0;
		if (k != address)
			continue;
		*size = e->size;
		*time_ns = e->time_ns;
		if (!__atomic_compare_exchange_n(&e->address, &k, LIVE_TOMBSTONE, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return 0; /* freed twice at once by two threads: one wins */
		filter_remove(address);
		__atomic_fetch_sub(&live_count, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

/* Claims the next slot; NULL when the ring is full (counted). */
static struct lp_alloc_ring_slot *claim_slot(uint64_t *pos_out)
{
	uint64_t pos = __atomic_load_n(&ring->enqueue_pos, __ATOMIC_RELAXED);
	for (;;) {
		struct lp_alloc_ring_slot *s = &slots[pos & slot_mask];
		uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		int64_t diff = (int64_t)(seq - pos);
		if (diff == 0) {
			if (__atomic_compare_exchange_n(&ring->enqueue_pos, &pos, pos + 1, 1, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED)) {
				*pos_out = pos;
				return s;
			}
		} else if (diff < 0) {
			count(LP_ALLOC_DROP_RINGBUF_FULL, 1);
			return NULL;
		} else {
			pos = __atomic_load_n(&ring->enqueue_pos, __ATOMIC_RELAXED);
		}
	}
}

static void publish(struct lp_alloc_ring_slot *s, uint64_t pos)
{
	__atomic_store_n(&s->seq, pos + 1, __ATOMIC_RELEASE);
}

/* The caller's stack into e->user_ips, our own frames left out. */
static void unwind_into(struct lp_alloc_event *e)
{
	void *ips[LP_MAX_STACK_DEPTH + 16];
	int n = unw_backtrace(ips, (int)(sizeof ips / sizeof ips[0]));
	if (n <= 0) {
		e->user_stack_bytes = -EFAULT;
		count(LP_ALLOC_DROP_USER_STACK, 1);
		return;
	}
	int from = 0;
	while (from < n && (uintptr_t)ips[from] >= self_text_lo && (uintptr_t)ips[from] < self_text_hi)
		from++;
	int k = 0;
	for (int i = from; i < n && k < LP_MAX_STACK_DEPTH; i++)
		e->user_ips[k++] = (__u64)(uintptr_t)ips[i];
	e->user_stack_bytes = k * 8;
}

__attribute__((noinline)) static void record_alloc(uint32_t fn, void *p, size_t size)
{
	in_hook = 1;
	count(LP_ALLOC_SAMPLED, 1);
	uint64_t pos;
	struct lp_alloc_ring_slot *s = claim_slot(&pos);
	if (s) {
		struct lp_alloc_event *e = &s->event;
		unwind_into(e);
		e->type = LP_EVENT_ALLOC;
		e->fn = fn;
		e->time_ns = now_ns();
		e->address = (uint64_t)(uintptr_t)p;
		e->size = size;
		e->alloc_ns = 0;
		e->pid = pid_cached;
		e->tid = current_tid();
		e->tracked = live_insert(e->address, size, e->time_ns);
		if (!e->tracked)
			count(LP_ALLOC_DROP_LIVE_MAP_FULL, 1);
		publish(s, pos);
	}
	in_hook = 0;
}

static inline void on_alloc(uint32_t fn, void *p, size_t size)
{
	if (UNLIKELY(!ring))
		return;
	if (UNLIKELY(in_hook)) {
		__atomic_fetch_add(&ring->ring_counters[LP_RING_UNWIND_REENTERED], 1, __ATOMIC_RELAXED);
		return;
	}
	count_call(size);
	if (period_bytes) {
		if (UNLIKELY(!sampler_ready)) {
			sampler_ready = 1;
			bytes_until_sample = next_sample_distance();
		}
		bytes_until_sample -= (int64_t)size;
		if (LIKELY(bytes_until_sample > 0))
			return;
		bytes_until_sample = next_sample_distance();
	}
	record_alloc(fn, p, size);
}

__attribute__((noinline)) static void record_free(uint64_t address, uint64_t size, uint64_t alloc_ns)
{
	in_hook = 1;
	count(LP_ALLOC_FREES, 1);
	uint64_t pos;
	struct lp_alloc_ring_slot *s = claim_slot(&pos);
	if (s) {
		struct lp_alloc_event *e = &s->event;
		e->type = LP_EVENT_FREE;
		e->fn = LP_ALLOC_FREE;
		e->time_ns = now_ns();
		e->address = address;
		e->size = size;
		e->alloc_ns = alloc_ns;
		e->pid = pid_cached;
		e->tid = current_tid();
		e->tracked = 1;
		e->user_stack_bytes = 0;
		publish(s, pos);
	}
	in_hook = 0;
}

/* Before the allocator gets the block back: no other thread can be handed
 * the same address while its entry is still in the table. */
static inline void on_free(void *p)
{
	if (UNLIKELY(!ring) || UNLIKELY(in_hook))
		return;
	uint64_t size, alloc_ns;
	if (__atomic_load_n(&live_count, __ATOMIC_RELAXED) != 0 &&
	    __atomic_load_n(filter_bucket((uint64_t)(uintptr_t)p), __ATOMIC_RELAXED) != 0 &&
	    live_remove((uint64_t)(uintptr_t)p, &size, &alloc_ns)) {
		record_free((uint64_t)(uintptr_t)p, size, alloc_ns);
		return;
	}
	count_unknown_free();
}

EXPORT void *malloc(size_t size)
{
	if (UNLIKELY(!initialized)) {
		if (resolving)
			return boot_alloc(size, 16);
		init();
	}
	void *p = real.malloc(size);
	if (LIKELY(p != NULL))
		on_alloc(LP_ALLOC_MALLOC, p, size);
	return p;
}

EXPORT void free(void *p)
{
	if (!p || UNLIKELY(in_boot_arena(p)))
		return;
	if (UNLIKELY(!initialized))
		init();
	on_free(p);
	real.free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	if (UNLIKELY(!initialized)) {
		if (resolving) {
			size_t total;
			if (__builtin_mul_overflow(n, size, &total))
				return NULL;
			return boot_alloc(total, 16); /* the arena is zeroed and never reused */
		}
		init();
	}
	void *p = real.calloc(n, size);
	if (LIKELY(p != NULL))
		on_alloc(LP_ALLOC_CALLOC, p, n * size);
	return p;
}

EXPORT void *realloc(void *old, size_t size)
{
	if (UNLIKELY(!initialized)) {
		if (resolving)
			return old ? NULL : boot_alloc(size, 16);
		init();
	}
	if (UNLIKELY(old && in_boot_arena(old))) {
		void *p = malloc(size);
		if (p) {
			size_t left = (size_t)(boot_arena + sizeof boot_arena - (char *)old);
			memcpy(p, old, size < left ? size : left);
		}
		return p;
	}
	if (old)
		on_free(old);
	void *p = real.realloc(old, size);
	if (p && size)
		on_alloc(LP_ALLOC_REALLOC, p, size);
	return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, total);
}

static void *aligned(size_t alignment, size_t size, void *(*fn)(size_t, size_t))
{
	if (UNLIKELY(!initialized)) {
		if (resolving)
			return boot_alloc(size, alignment);
		init();
	}
	void *p = NULL;
	if (fn)
		p = fn(alignment, size);
	else if (real.memalign)
		p = real.memalign(alignment, size);
	else if (real.posix_memalign(&p, alignment, size) != 0) /* an allocator without memalign */
		p = NULL;
	if (LIKELY(p != NULL))
		on_alloc(LP_ALLOC_MEMALIGN, p, size);
	return p;
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	return aligned(alignment, size, NULL);
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	if (UNLIKELY(!initialized) && !resolving)
		init();
	return aligned(alignment, size, real.aligned_alloc);
}

EXPORT int posix_memalign(void **out, size_t alignment, size_t size)
{
	if (UNLIKELY(!initialized)) {
		if (resolving) {
			*out = boot_alloc(size, alignment);
			return *out ? 0 : ENOMEM;
		}
		init();
	}
	int r = real.posix_memalign(out, alignment, size);
	if (r == 0 && *out)
		on_alloc(LP_ALLOC_MEMALIGN, *out, size);
	return r;
}

EXPORT void *valloc(size_t size)
{
	if (UNLIKELY(!initialized) && !resolving)
		init();
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (real.valloc && !resolving) {
		void *p = real.valloc(size);
		if (p)
			on_alloc(LP_ALLOC_MEMALIGN, p, size);
		return p;
	}
	return aligned(page, size, NULL);
}

EXPORT void *pvalloc(size_t size)
{
	if (UNLIKELY(!initialized) && !resolving)
		init();
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (real.pvalloc && !resolving) {
		void *p = real.pvalloc(size);
		if (p)
			on_alloc(LP_ALLOC_MEMALIGN, p, size);
		return p;
	}
	return aligned(page, (size + page - 1) & ~(page - 1), NULL);
}

__attribute__((constructor)) static void loadprof_alloc_start(void)
{
	init();
}
