/* mmap_loop: the mmap probe's cost per call. For SECONDS it maps one
 * anonymous page and unmaps it, through glibc, as fast as it can (two traced
 * calls an iteration), from a named function:
 *   main -> map_unmap -> mmap / munmap
 * It waits for the alloc probe as mapper does (a breakpoint on free, or
 * LOADPROF_ALLOC_FD set), then prints
 *   GROUND_TRUTH program=mmap_loop pid= iterations= calls= seconds= calls_per_s=
 * Usage: mmap_loop [SECONDS=2] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/mman.h>

#include "program_util.h"

__attribute__((noinline)) static long map_unmap(uint64_t ns)
{
	long n = 0;
	uint64_t end = wall_ns() + ns;

	while (wall_ns() < end) {
		for (int i = 0; i < 256; i++, n++) {
			void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED || munmap(p, 4096) != 0) {
				perror("mmap_loop");
				exit(1);
			}
		}
	}
	return n;
}

static int probe_attached(void)
{
	const volatile unsigned char *f = (const unsigned char *)dlsym(RTLD_DEFAULT, "free");
	return f && *f == 0xCC;
}

int main(int argc, char **argv)
{
	uint64_t ns = seconds_arg(argc, argv, 1, 2.0);
	uint64_t wait_start = wall_ns();

	while (!getenv("LOADPROF_ALLOC_FD") && !probe_attached()) {
		if (wall_ns() - wait_start > 60000000000ull) {
			fprintf(stderr, "mmap_loop: no probe on free() after 60 s\n");
			return 1;
		}
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	uint64_t start = wall_ns();
	long n = map_unmap(ns);
	double s = (double)(wall_ns() - start) / 1e9;
	printf("GROUND_TRUTH program=mmap_loop pid=%d iterations=%ld calls=%ld seconds=%.3f calls_per_s=%.0f\n",
	       (int)getpid(), n, 2 * n, s, 2 * n / s);
	return 0;
}
