/* leaky: known allocations for the alloc probe, each made by a named function
 * of ours (frame pointers; the probe's return stack starts at the allocator's
 * caller):
 *   main -> leak_some      malloc(LEAK_BYTES), never freed: live bytes grow linearly
 *        -> balanced_work  malloc(BALANCED_BYTES) into a ring of RING slots, freeing the
 *                          slot's previous block: a working set that levels off
 *        -> calloc_work    calloc(CALLOC_N, CALLOC_SIZE), freed at once
 *        -> realloc_work   malloc(REALLOC_FROM), realloc to REALLOC_TO, freed
 * one round every TICK_NS for DURATION seconds. Before the work it allocates
 * PRE blocks it frees during the first round (made before the capture: never
 * leaks), and it waits until the probe is attached: a uprobe on free() puts a
 * breakpoint (0xCC) on its first byte, which the program can read; launched
 * with the preload path (LOADPROF_ALLOC_FD set) it does not wait.
 *   PID n   (first line, at start)
 *   GROUND_TRUTH program=leaky pid= work_ns= rounds= leak_calls= leak_bytes= balanced_calls=
 *                balanced_bytes= balanced_live_bytes= calloc_calls= calloc_bytes= realloc_calls=
 *                realloc_from_bytes= realloc_to_bytes= total_bytes= pre_capture_frees=
 * Usage: leaky [DURATION_S=3] [LINGER_S=0: seconds to stay after the line] */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "program_util.h"

#define LEAK_BYTES 1024
#define BALANCED_BYTES 4096
#define RING 32
#define CALLOC_N 16
#define CALLOC_SIZE 64
#define REALLOC_FROM 100
#define REALLOC_TO 5000
#define PRE 64
#define PRE_BYTES 2048
#define TICK_NS 5000000L

/* Keeps a block alive to the optimiser (clang removes malloc/free pairs it can see through). */
#define USE(p) __asm__ volatile("" ::"r"(p) : "memory")

static void **leaked;
static size_t leaked_n, leaked_cap;
static void *ring[RING];
static void *pre[PRE];

__attribute__((noinline)) static void leak_some(void)
{
	char *p = malloc(LEAK_BYTES);
	p[0] = 1;
	USE(p);
	if (leaked_n == leaked_cap)
		return; /* the list is preallocated for the whole run */
	leaked[leaked_n++] = p;
}

__attribute__((noinline)) static void balanced_work(size_t round)
{
	size_t slot = round % RING;
	free(ring[slot]);
	char *p = malloc(BALANCED_BYTES);
	p[0] = 2;
	USE(p);
	ring[slot] = p;
}

__attribute__((noinline)) static void calloc_work(void)
{
	char *p = calloc(CALLOC_N, CALLOC_SIZE);
	USE(p);
	free(p);
}

__attribute__((noinline)) static void realloc_work(void)
{
	char *p = malloc(REALLOC_FROM);
	USE(p);
	p = realloc(p, REALLOC_TO);
	USE(p);
	free(p);
}

static int probe_attached(void)
{
	const volatile unsigned char *f = (const unsigned char *)dlsym(RTLD_DEFAULT, "free");
	return f && *f == 0xCC;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 3.0);
	uint64_t linger_ns = seconds_arg(argc, argv, 2, 0.0);
	printf("PID %d\n", (int)getpid());
	fflush(stdout);
	leaked_cap = (size_t)(duration_ns / TICK_NS) + 1000;
	leaked = calloc(leaked_cap, sizeof(void *));
	for (int i = 0; i < PRE; i++) {
		pre[i] = malloc(PRE_BYTES);
		USE(pre[i]);
	}
	uint64_t wait_start = wall_ns();
	/* Launched under the preload path, the library records from the start. */
	while (!getenv("LOADPROF_ALLOC_FD") && !probe_attached()) {
		if (wall_ns() - wait_start > 60000000000ull) {
			fprintf(stderr, "leaky: no probe on free() after 60 s\n");
			return 1;
		}
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	/* The free probe is the last one attached; give the attach a moment to return. */
	struct timespec settle = {0, 200000000};
	nanosleep(&settle, NULL);

	uint64_t start = wall_ns(), rounds = 0;
	for (int i = 0; i < PRE; i++)
		free(pre[i]);
	while (wall_ns() - start < duration_ns) {
		leak_some();
		balanced_work(rounds);
		calloc_work();
		realloc_work();
		rounds++;
		struct timespec ts = {0, TICK_NS};
		nanosleep(&ts, NULL);
	}
	uint64_t work_ns = wall_ns() - start;
	uint64_t live_ring = rounds < RING ? rounds : RING;
	uint64_t total = rounds * (LEAK_BYTES + BALANCED_BYTES + CALLOC_N * CALLOC_SIZE + REALLOC_FROM + REALLOC_TO);
	printf("GROUND_TRUTH program=leaky pid=%d work_ns=%llu rounds=%llu leak_calls=%llu leak_bytes=%llu "
	       "balanced_calls=%llu balanced_bytes=%llu balanced_live_bytes=%llu calloc_calls=%llu calloc_bytes=%llu "
	       "realloc_calls=%llu realloc_from_bytes=%llu realloc_to_bytes=%llu total_bytes=%llu "
	       "pre_capture_frees=%d\n",
	       (int)getpid(), (unsigned long long)work_ns, (unsigned long long)rounds, (unsigned long long)rounds,
	       (unsigned long long)(rounds * LEAK_BYTES), (unsigned long long)rounds,
	       (unsigned long long)(rounds * BALANCED_BYTES), (unsigned long long)(live_ring * BALANCED_BYTES),
	       (unsigned long long)rounds, (unsigned long long)(rounds * CALLOC_N * CALLOC_SIZE),
	       (unsigned long long)rounds, (unsigned long long)(rounds * REALLOC_FROM),
	       (unsigned long long)(rounds * REALLOC_TO), (unsigned long long)total, PRE);
	fflush(stdout);
	if (linger_ns) {
		struct timespec ts = {(time_t)(linger_ns / 1000000000ull), (long)(linger_ns % 1000000000ull)};
		nanosleep(&ts, NULL);
	}
	return 0;
}
