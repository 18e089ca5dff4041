/* Helpers shared by the test programs: clocks, the duration argument, a CPU
 * burn loop the optimiser cannot fold, and the GROUND_TRUTH line. */
#ifndef LOADPROF_PROGRAM_UTIL_H
#define LOADPROF_PROGRAM_UTIL_H

#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t thread_cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }
static inline uint64_t process_cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

/* argv[i] as seconds (default when absent), returned in ns. */
static inline uint64_t seconds_arg(int argc, char **argv, int i, double default_s)
{
	double s = argc > i ? atof(argv[i]) : default_s;
	return (uint64_t)(s * 1e9);
}

/* One step of a serial LCG + xorshift chain: no closed form, no vectorising. */
#define BURN_STEP(x)                                                             \
	do {                                                                     \
		(x) = (x) * 6364136223846793005ull + 1442695040888963407ull;     \
		(x) ^= (x) >> 29;                                                \
		__asm__ volatile("" : "+r"(x));                                  \
	} while (0)

/* Directory of this executable, for finding sibling programs. */
static inline void self_dir(char *out, size_t size)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		n = 0;
	exe[n] = 0;
	snprintf(out, size, "%s", dirname(exe));
}

#endif
