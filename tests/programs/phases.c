/* phases: one thread that burns in fn_a for a phase, then in fn_b for a
 * phase, so a time window of its capture must hold one function and not the
 * other. It prints the CLOCK_MONOTONIC times of the phases (the clock of a
 * capture's samples) and the CPU time each function took:
 *   GROUND_TRUTH program=phases pid=N a_start_ns=.. switch_ns=.. b_end_ns=.. a_cpu_ns=.. b_cpu_ns=..
 * Usage: phases [phase_seconds=1] */
#include "program_util.h"

static volatile uint64_t sink;

#define STEPS 20000 /* ~50 us a call: the phase ends within a call of its time */

__attribute__((noinline)) uint64_t fn_a(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < STEPS; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline)) uint64_t fn_b(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < STEPS; i++)
		BURN_STEP(x);
	return x;
}

/* Calls fn until `until_ns`; returns the thread CPU time it took. */
__attribute__((noinline)) uint64_t run_phase(uint64_t (*fn)(uint64_t), uint64_t until_ns)
{
	uint64_t cpu0 = thread_cpu_ns();
	while (wall_ns() < until_ns)
		sink += fn(sink + 1);
	return thread_cpu_ns() - cpu0;
}

int main(int argc, char **argv)
{
	uint64_t phase_ns = seconds_arg(argc, argv, 1, 1.0);
	uint64_t a_start = wall_ns();
	uint64_t a_cpu = run_phase(fn_a, a_start + phase_ns);
	uint64_t switch_at = wall_ns();
	uint64_t b_cpu = run_phase(fn_b, switch_at + phase_ns);
	uint64_t b_end = wall_ns();
	printf("GROUND_TRUTH program=phases pid=%d a_start_ns=%llu switch_ns=%llu b_end_ns=%llu a_cpu_ns=%llu "
	       "b_cpu_ns=%llu\n",
	       getpid(), (unsigned long long)a_start, (unsigned long long)switch_at, (unsigned long long)b_end,
	       (unsigned long long)a_cpu, (unsigned long long)b_cpu);
	return 0;
}
