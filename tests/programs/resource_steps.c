/* Steps of known size at known times for the resource timeline test: idle for
 * 1.5 s, then at once grows its RSS by GROW_MIB MiB (touched pages), writes
 * WRITE_MIB MiB to DIR/resource_steps.dat with fsync, opens FDS fds and
 * spawns THREADS sleeping threads; idles to 3 s, burns the CPU on the main
 * thread for 2 s (so one whole 1-s reading lies inside the loop), idles to
 * 6.5 s and exits. Prints every time
 * (CLOCK_MONOTONIC) and the RSS it measured itself (/proc/self/statm).
 * Usage: resource_steps DIR */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include "program_util.h"

#define GROW_MIB 64
#define WRITE_MIB 8
#define FDS 100
#define THREADS 4

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	if (f)
		fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void sleep_until(uint64_t t_ns)
{
	while (wall_ns() < t_ns) {
		uint64_t left = t_ns - wall_ns();
		struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
		nanosleep(&ts, NULL);
	}
}

static int hold[2];

static void *sleeper(void *arg)
{
	(void)arg;
	char c;
	while (read(hold[0], &c, 1) < 0) {
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: resource_steps DIR\n");
		return 2;
	}
	const uint64_t t0 = wall_ns();
	if (pipe(hold) != 0)
		return 1;
	sleep_until(t0 + 1500000000ull);

	const uint64_t step_ns = wall_ns();
	const uint64_t rss_before = rss_bytes();
	char *grow = malloc((size_t)GROW_MIB << 20);
	if (!grow)
		return 1;
	memset(grow, 1, (size_t)GROW_MIB << 20);
	__asm__ volatile("" : : "r"(grow) : "memory"); /* the pages stay: no dead-store elimination */
	const uint64_t rss_after = rss_bytes();

	char path[4096];
	snprintf(path, sizeof path, "%s/resource_steps.dat", argv[1]);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return 1;
	static char block[1 << 20];
	memset(block, 'x', sizeof block);
	for (int i = 0; i < WRITE_MIB; ++i)
		if (write(out, block, sizeof block) != (ssize_t)sizeof block)
			return 1;
	if (fsync(out) != 0)
		return 1;
	close(out);
	unlink(path);

	int fds[FDS];
	for (int i = 0; i < FDS; ++i)
		if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			return 1;
	pthread_t threads[THREADS];
	for (int i = 0; i < THREADS; ++i)
		pthread_create(&threads[i], NULL, sleeper, NULL);
	const uint64_t step_done_ns = wall_ns();

	sleep_until(t0 + 3000000000ull);
	const uint64_t busy_start_ns = wall_ns();
	const uint64_t cpu_before = process_cpu_ns();
	uint64_t x = 1;
	while (wall_ns() < busy_start_ns + 2000000000ull)
		for (int i = 0; i < 10000; ++i)
			BURN_STEP(x);
	const uint64_t busy_end_ns = wall_ns();
	const uint64_t busy_cpu_ns = process_cpu_ns() - cpu_before;
	sleep_until(t0 + 6500000000ull);
	const uint64_t end_ns = wall_ns();
	const uint64_t total_cpu_ns = process_cpu_ns();

	printf("GROUND_TRUTH program=resource_steps pid=%d start_ns=%llu step_ns=%llu step_done_ns=%llu "
	       "rss_before=%llu rss_after=%llu grow_bytes=%llu write_bytes=%llu fds_opened=%d threads_spawned=%d "
	       "busy_start_ns=%llu busy_end_ns=%llu busy_cpu_ns=%llu total_cpu_ns=%llu end_ns=%llu x=%llu\n",
	       getpid(), (unsigned long long)t0, (unsigned long long)step_ns, (unsigned long long)step_done_ns,
	       (unsigned long long)rss_before, (unsigned long long)rss_after,
	       (unsigned long long)((uint64_t)GROW_MIB << 20), (unsigned long long)((uint64_t)WRITE_MIB << 20),
	       FDS, THREADS, (unsigned long long)busy_start_ns, (unsigned long long)busy_end_ns,
	       (unsigned long long)busy_cpu_ns, (unsigned long long)total_cpu_ns, (unsigned long long)end_ns, (unsigned long long)(x & 1));
	fflush(stdout);
	/* Threads, fds and memory are held until exit. */
	_exit(0);
}
