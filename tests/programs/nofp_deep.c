/* nofp_deep: a deep recursion built WITHOUT frame pointers: main -> recurse
 * (DEPTH times) -> deep_leaf, which burns the CPU. DWARF unwinding must give
 * the whole chain up to its 127-frame limit: with DEPTH 100 every stack
 * reaches main; with DEPTH 150 every stack is cut at 127 frames (counted as
 * depth_limit), never earlier.
 *   GROUND_TRUTH program=nofp_deep pid=N depth=DEPTH calls=...
 * Usage: nofp_deep [seconds=2] [depth=100] */
#include "program_util.h"

static volatile uint64_t sink;

__attribute__((noinline)) uint64_t deep_leaf(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 100000; i++)
		BURN_STEP(x);
	return x;
}

/* Works after its call: no tail call, no loop. */
__attribute__((noinline)) uint64_t recurse(int n, uint64_t seed)
{
	uint64_t r = n == 0 ? deep_leaf(seed) : recurse(n - 1, seed + 1);
	sink += r;
	return r ^ seed;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 2.0);
	int depth = argc > 2 ? atoi(argv[2]) : 100;
	uint64_t start = wall_ns(), calls = 0;
	while (wall_ns() - start < duration_ns) {
		sink += recurse(depth, sink);
		calls++;
	}
	printf("GROUND_TRUTH program=nofp_deep pid=%d depth=%d calls=%llu\n", getpid(), depth,
	       (unsigned long long)calls);
	return 0;
}
