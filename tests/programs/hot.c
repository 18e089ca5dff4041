/* hot: a CPU burner with main -> a -> b -> hot and main -> a -> warm. It
 * measures its own thread CPU time in hot() and prints hot's share of the
 * process CPU time as ground truth:
 *   GROUND_TRUTH program=hot pid=N hot_share_pct=65.1 warm_share_pct=32.0 ...
 * With threads > 1 every thread runs the same loop; the shares are of the
 * whole process's CPU time.
 * Usage: hot [seconds=3] [threads=1] */
#include <pthread.h>

#include "program_util.h"

static volatile uint64_t sink;
static __thread uint64_t hot_ns, warm_ns, calls;
static uint64_t total_hot_ns, total_warm_ns, total_calls;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t duration_ns;

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

__attribute__((noinline)) void *burn_thread(void *arg)
{
	(void)arg;
	uint64_t start = wall_ns();
	while (wall_ns() - start < duration_ns)
		a();
	pthread_mutex_lock(&lock);
	total_hot_ns += hot_ns;
	total_warm_ns += warm_ns;
	total_calls += calls;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	duration_ns = seconds_arg(argc, argv, 1, 3.0);
	int threads = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t extra[64];
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	for (int i = 1; i < threads; i++)
		pthread_create(&extra[i], NULL, burn_thread, NULL);
	burn_thread(NULL);
	for (int i = 1; i < threads; i++)
		pthread_join(extra[i], NULL);
	uint64_t total = process_cpu_ns();
	uint64_t hot_ns = total_hot_ns, warm_ns = total_warm_ns, calls = total_calls;
	printf("GROUND_TRUTH program=hot pid=%d threads=%d hot_share_pct=%.2f warm_share_pct=%.2f hot_cpu_ns=%llu "
	       "warm_cpu_ns=%llu total_cpu_ns=%llu calls=%llu\n",
	       getpid(), threads, 100.0 * hot_ns / total, 100.0 * warm_ns / total, (unsigned long long)hot_ns,
	       (unsigned long long)warm_ns, (unsigned long long)total, (unsigned long long)calls);
	return 0;
}
