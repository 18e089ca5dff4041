/* hot: a CPU burner with main -> a -> b -> hot and main -> a -> warm. It
 * measures its own thread CPU time in hot() and prints hot's share of the
 * process CPU time as ground truth:
 *   GROUND_TRUTH program=hot pid=N hot_share_pct=65.1 warm_share_pct=32.0 ...
 * Usage: hot [seconds=3] */
#include "program_util.h"

static volatile uint64_t sink;
static uint64_t hot_ns, warm_ns, calls;

#define HOT_STEPS 1500000
#define WARM_STEPS 750000

__attribute__((noinline)) uint64_t hot(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < HOT_STEPS; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline)) uint64_t warm(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < WARM_STEPS; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline)) void b(void)
{
	uint64_t t0 = thread_cpu_ns();
	sink += hot(sink + 1);
	hot_ns += thread_cpu_ns() - t0;
}

__attribute__((noinline)) void a(void)
{
	b();
	uint64_t t0 = thread_cpu_ns();
	sink += warm(sink + 2);
	warm_ns += thread_cpu_ns() - t0;
	calls++;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 3.0);
	uint64_t start = wall_ns();
	while (wall_ns() - start < duration_ns)
		a();
	uint64_t total = process_cpu_ns();
	printf("GROUND_TRUTH program=hot pid=%d hot_share_pct=%.2f warm_share_pct=%.2f hot_cpu_ns=%llu "
	       "warm_cpu_ns=%llu total_cpu_ns=%llu calls=%llu\n",
	       getpid(), 100.0 * hot_ns / total, 100.0 * warm_ns / total, (unsigned long long)hot_ns,
	       (unsigned long long)warm_ns, (unsigned long long)total, (unsigned long long)calls);
	return 0;
}
