/* nofp_shares: two hot paths in a program built WITHOUT frame pointers, one of
 * them through glibc (also without frame pointers): main -> run_round ->
 * level3 -> level2 -> level1 -> hot_direct (about 70 % of the CPU), and
 * main -> run_round -> sort_step -> qsort (libc) -> by_burned_key ->
 * burn_key (the rest). Each path's CPU time is measured around it with the
 * thread CPU clock (the program is single-threaded), so a DWARF unwinder
 * must put hot_direct and sort_step at their measured shares, every stack
 * reaching main; a frame-pointer walk loses them.
 *   GROUND_TRUTH program=nofp_shares pid=N total_cpu_ns=... direct_cpu_ns=... sort_cpu_ns=...
 * Usage: nofp_shares [seconds=3] */
#include "program_util.h"

static volatile uint64_t sink;

__attribute__((noinline)) uint64_t hot_direct(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 420000; i++)
		BURN_STEP(x);
	return x;
}

/* Each level works after its call: no tail calls. */
#define LEVEL(name, next)                                        \
	__attribute__((noinline)) uint64_t name(uint64_t seed)   \
	{                                                        \
		uint64_t r = next(seed + 1);                     \
		sink += r;                                       \
		return r ^ seed;                                 \
	}
LEVEL(level1, hot_direct)
LEVEL(level2, level1)
LEVEL(level3, level2)

__attribute__((noinline)) uint64_t burn_key(uint64_t v)
{
	uint64_t x = v;
	for (int i = 0; i < 2000; i++)
		BURN_STEP(x);
	return x;
}

static int by_burned_key(const void *a, const void *b)
{
	uint64_t ka = burn_key(*(const uint64_t *)a), kb = burn_key(*(const uint64_t *)b);
	return ka < kb ? -1 : ka > kb;
}

__attribute__((noinline)) void sort_step(uint64_t seed)
{
	uint64_t keys[16];
	for (int i = 0; i < 16; i++)
		keys[i] = seed * 31 + (uint64_t)i * 7919;
	qsort(keys, 16, sizeof keys[0], by_burned_key);
	sink += keys[0];
}

static uint64_t direct_ns, sort_ns;

__attribute__((noinline)) void run_round(uint64_t round)
{
	uint64_t t0 = thread_cpu_ns();
	sink += level3(sink + round);
	uint64_t t1 = thread_cpu_ns();
	sort_step(round);
	uint64_t t2 = thread_cpu_ns();
	direct_ns += t1 - t0;
	sort_ns += t2 - t1;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 3.0);
	uint64_t start = wall_ns(), round = 0;
	while (wall_ns() - start < duration_ns)
		run_round(round++);
	printf("GROUND_TRUTH program=nofp_shares pid=%d total_cpu_ns=%llu direct_cpu_ns=%llu sort_cpu_ns=%llu "
	       "rounds=%llu\n",
	       getpid(), (unsigned long long)process_cpu_ns(), (unsigned long long)direct_ns,
	       (unsigned long long)sort_ns, (unsigned long long)round);
	return 0;
}
