/* alloc_threads: THREADS threads, each making PAIRS malloc/free pairs of
 * SIZE bytes in thread_alloc(), plus KEEP blocks of SIZE it never frees in
 * thread_keep() — for the preload path's per-thread counters and sampler
 * (every call counted exactly, bytes by function within the sampling bound).
 *   GROUND_TRUTH program=alloc_threads threads= pairs= size= keep= alloc_bytes= keep_bytes=
 * Usage: alloc_threads [THREADS=4] [PAIRS=200000] [LINGER_S=0: seconds to stay after the line,
 *        so a recorder can still read the executable of a process that is about to exit] */
#include <pthread.h>

#include "program_util.h"

#define SIZE 256
#define KEEP 1000

static long pairs;

__attribute__((noinline)) static void thread_alloc(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(SIZE);
		p[0] = (char)i;
		__asm__ volatile("" ::"r"(p) : "memory");
		free(p);
	}
}

__attribute__((noinline)) static void thread_keep(void **kept)
{
	for (int i = 0; i < KEEP; i++) {
		kept[i] = malloc(SIZE);
		__asm__ volatile("" ::"r"(kept[i]) : "memory");
	}
}

static void *worker(void *arg)
{
	(void)arg;
	static __thread void *kept[KEEP];
	thread_keep(kept);
	thread_alloc(pairs);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;
	pairs = argc > 2 ? atol(argv[2]) : 200000;
	if (threads < 1 || threads > 64 || pairs < 0) {
		fprintf(stderr, "usage: alloc_threads [THREADS 1..64] [PAIRS]\n");
		return 2;
	}
	pthread_t t[64];
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("GROUND_TRUTH program=alloc_threads threads=%d pairs=%ld size=%d keep=%d alloc_bytes=%ld keep_bytes=%ld\n",
	       threads, pairs, SIZE, KEEP, (long)threads * pairs * SIZE, (long)threads * KEEP * SIZE);
	fflush(stdout);
	uint64_t linger_ns = seconds_arg(argc, argv, 3, 0.0);
	struct timespec ts = {(time_t)(linger_ns / 1000000000ull), (long)(linger_ns % 1000000000ull)};
	nanosleep(&ts, NULL);
	return 0;
}
