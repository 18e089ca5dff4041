/* nofp: a CPU burner built WITHOUT frame pointers (-O2 -fomit-frame-pointer),
 * with a deep call chain main -> level1 -> ... -> level8 -> nofp_leaf. A
 * frame-pointer walk cannot follow it: the report must say its stacks stopped
 * early, in this module. Ground truth: the whole CPU time is under the chain.
 *   GROUND_TRUTH program=nofp pid=N depth=9 total_cpu_ns=... calls=...
 * Usage: nofp [seconds=2] */
#include "program_util.h"

static volatile uint64_t sink;

__attribute__((noinline)) uint64_t nofp_leaf(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 200000; i++)
		BURN_STEP(x);
	return x;
}

/* Each level does work after the call, so no level is a tail call. */
#define LEVEL(name, next)                                        \
	__attribute__((noinline)) uint64_t name(uint64_t seed)   \
	{                                                        \
		uint64_t r = next(seed + 1);                     \
		sink += r;                                       \
		return r ^ seed;                                 \
	}
LEVEL(level8, nofp_leaf)
LEVEL(level7, level8)
LEVEL(level6, level7)
LEVEL(level5, level6)
LEVEL(level4, level5)
LEVEL(level3, level4)
LEVEL(level2, level3)
LEVEL(level1, level2)

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 2.0);
	uint64_t start = wall_ns(), calls = 0;
	while (wall_ns() - start < duration_ns) {
		sink += level1(sink);
		calls++;
	}
	printf("GROUND_TRUTH program=nofp pid=%d depth=9 total_cpu_ns=%llu calls=%llu\n", getpid(),
	       (unsigned long long)process_cpu_ns(), (unsigned long long)calls);
	return 0;
}
