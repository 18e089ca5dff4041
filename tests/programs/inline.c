/* inline: a hot always_inline function inside a named caller, so a profiler
 * must expand inline frames to see it:
 *   main -> named_caller -> [inlined_hot]   and   main -> named_caller (own loop)
 * Ground truth from thread CPU time around the inlined part:
 *   GROUND_TRUTH program=inline pid=N inlined_share_pct=.. caller_share_pct=..
 * Usage: inline [seconds=3] */
#include "program_util.h"

static volatile uint64_t sink;
static uint64_t inlined_ns, caller_ns;

static inline __attribute__((always_inline)) uint64_t inlined_hot(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 1500000; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline)) uint64_t named_caller(uint64_t seed)
{
	uint64_t t0 = thread_cpu_ns();
	uint64_t x = inlined_hot(seed);
	inlined_ns += thread_cpu_ns() - t0;
	for (int i = 0; i < 500000; i++) /* the caller's own work */
		BURN_STEP(x);
	return x;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 3.0);
	uint64_t start = wall_ns();
	while (wall_ns() - start < duration_ns) {
		uint64_t t0 = thread_cpu_ns();
		sink += named_caller(sink + 1);
		caller_ns += thread_cpu_ns() - t0;
	}
	uint64_t total = process_cpu_ns();
	printf("GROUND_TRUTH program=inline pid=%d inlined_share_pct=%.2f caller_share_pct=%.2f "
	       "inlined_cpu_ns=%llu total_cpu_ns=%llu\n",
	       getpid(), 100.0 * inlined_ns / total, 100.0 * caller_ns / total, (unsigned long long)inlined_ns,
	       (unsigned long long)total);
	return 0;
}
