/* regress: a request loop main -> handle -> parse | compute | render with a
 * regression planted on demand: "slow" makes compute() do twice its work (a
 * 2x slowdown of one function), "fast" (the default) leaves it alone. Work
 * per call: parse 1 unit, compute 1 (2 when slow), render 2, so compute's
 * share of the CPU goes from 25 % to 40 %. Each function's own thread CPU
 * time is measured and printed as ground truth:
 *   GROUND_TRUTH program=regress pid=N mode=fast|slow calls=...
 *     parse_share_pct=.. compute_share_pct=.. render_share_pct=.. total_cpu_ns=..
 * Usage: regress [seconds=3] [fast|slow] */
#include "program_util.h"

static volatile uint64_t sink;
static uint64_t parse_ns, compute_ns, render_ns;

#define UNIT_STEPS 60000

__attribute__((noinline)) uint64_t parse(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < UNIT_STEPS; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline)) uint64_t compute(uint64_t seed, int units)
{
	uint64_t x = seed;
	for (int i = 0; i < units * UNIT_STEPS; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline)) uint64_t render(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 2 * UNIT_STEPS; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline)) void handle(int compute_units)
{
	uint64_t t0 = thread_cpu_ns();
	sink += parse(sink + 1);
	uint64_t t1 = thread_cpu_ns();
	sink += compute(sink + 2, compute_units);
	uint64_t t2 = thread_cpu_ns();
	sink += render(sink + 3);
	uint64_t t3 = thread_cpu_ns();
	parse_ns += t1 - t0;
	compute_ns += t2 - t1;
	render_ns += t3 - t2;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 3.0);
	int slow = argc > 2 && strcmp(argv[2], "slow") == 0;
	if (argc > 2 && !slow && strcmp(argv[2], "fast") != 0) {
		fprintf(stderr, "usage: regress [seconds=3] [fast|slow]\n");
		return 2;
	}
	uint64_t start = wall_ns(), calls = 0;
	while (wall_ns() - start < duration_ns) {
		handle(slow ? 2 : 1);
		calls++;
	}
	double all = (double)(parse_ns + compute_ns + render_ns);
	printf("GROUND_TRUTH program=regress pid=%d mode=%s calls=%llu parse_share_pct=%.2f compute_share_pct=%.2f "
	       "render_share_pct=%.2f total_cpu_ns=%llu\n",
	       getpid(), slow ? "slow" : "fast", (unsigned long long)calls, 100.0 * parse_ns / all,
	       100.0 * compute_ns / all, 100.0 * render_ns / all, (unsigned long long)process_cpu_ns());
	return 0;
}
