/* alloc_churn: malloc/free pairs as fast as it can (sizes 64..319 bytes), for
 * the alloc probe's overhead benchmark (bench/record/alloc.sh). With WAIT 1 it
 * first waits until a uprobe sits on free() (its first byte reads 0xCC), so a
 * recorder attached by pid is in place before the measured span starts, then
 * settles 0.2 s; with WAIT 2 it starts at once (free() is probed last).
 *   GROUND_TRUTH program=alloc_churn pairs= seconds= pairs_per_s=
 * Usage: alloc_churn [SECONDS=2] [WAIT=0: 1 waits for the probe and settles, 2 only waits] */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "program_util.h"

__attribute__((noinline)) static void churn_once(uint64_t i)
{
	char *p = malloc(64 + (i & 255));
	p[0] = (char)i;
	__asm__ volatile("" ::"r"(p) : "memory");
	free(p);
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 2.0);
	int wait = argc > 2 ? atoi(argv[2]) : 0;
	if (wait) {
		const volatile unsigned char *f = (const unsigned char *)dlsym(RTLD_DEFAULT, "free");
		uint64_t start = wall_ns();
		while (!(f && *f == 0xCC)) {
			if (wall_ns() - start > 60000000000ull) {
				fprintf(stderr, "alloc_churn: no probe on free() after 60 s\n");
				return 1;
			}
			struct timespec ts = {0, 2000000};
			nanosleep(&ts, NULL);
		}
		struct timespec settle = {0, 200000000};
		if (wait == 1)
			nanosleep(&settle, NULL);
	}
	uint64_t start = wall_ns(), pairs = 0, now;
	do {
		for (int k = 0; k < 64; k++)
			churn_once(pairs++);
		now = wall_ns();
	} while (now - start < duration_ns);
	double s = (double)(now - start) / 1e9;
	printf("GROUND_TRUTH program=alloc_churn pairs=%llu seconds=%.3f pairs_per_s=%.0f\n", (unsigned long long)pairs,
	       s, (double)pairs / s);
	return 0;
}
