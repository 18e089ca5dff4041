/* Steps of known size at known times for the resource timeline test: idle for
 * 1.5 s, then at once grows its RSS by GROW_MIB MiB (touched pages), writes
 * WRITE_MIB MiB to DIR/resource_steps.dat with fsync, opens FDS fds and
 * sends NET_MIB MiB to itself over loopback TCP, spawns THREADS sleeping
 * threads; idles to 3 s, burns the CPU on the main
 * thread for 2 s (so one whole 1-s reading lies inside the loop), naps NAPS
 * times 1 ms (voluntary context switches), idles to 6.5 s and exits.
 * Context switches are its own getrusage (all threads). Prints every time
 * (CLOCK_MONOTONIC) and the RSS it measured itself (/proc/self/statm).
 * Usage: resource_steps DIR */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "program_util.h"

#define GROW_MIB 64
#define WRITE_MIB 8
#define FDS 100
#define THREADS 4
#define NET_MIB 4
#define NAPS 400

/* Sends NET_MIB MiB to itself over TCP on 127.0.0.1 (through the loopback interface). */
static int loopback_bytes(void)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return -1;
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a))
		return -1;
	int s = accept(l, NULL, NULL);
	if (s < 0)
		return -1;
	static char buf[64 << 10];
	size_t sent = 0, got = 0;
	while (got < ((size_t)NET_MIB << 20)) {
		if (sent < ((size_t)NET_MIB << 20)) {
			ssize_t n = write(c, buf, sizeof buf);
			if (n < 0)
				return -1;
			sent += (size_t)n;
		}
		ssize_t n = read(s, buf, sizeof buf);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	close(s);
	close(c);
	close(l);
	return 0;
}

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

	if (loopback_bytes() != 0)
		return 1;
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
	/* Voluntary context switches: NAPS short sleeps. */
	for (int i = 0; i < NAPS; ++i)
		usleep(1000);
	sleep_until(t0 + 6500000000ull);
	const uint64_t end_ns = wall_ns();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	const uint64_t total_cpu_ns = process_cpu_ns();

	printf("GROUND_TRUTH program=resource_steps pid=%d start_ns=%llu step_ns=%llu step_done_ns=%llu "
	       "rss_before=%llu rss_after=%llu grow_bytes=%llu write_bytes=%llu fds_opened=%d threads_spawned=%d "
	       "busy_start_ns=%llu busy_end_ns=%llu busy_cpu_ns=%llu total_cpu_ns=%llu end_ns=%llu net_bytes=%llu "
	       "voluntary_ctxsw=%ld involuntary_ctxsw=%ld x=%llu\n",
	       getpid(), (unsigned long long)t0, (unsigned long long)step_ns, (unsigned long long)step_done_ns,
	       (unsigned long long)rss_before, (unsigned long long)rss_after,
	       (unsigned long long)((uint64_t)GROW_MIB << 20), (unsigned long long)((uint64_t)WRITE_MIB << 20),
	       FDS, THREADS, (unsigned long long)busy_start_ns, (unsigned long long)busy_end_ns,
	       (unsigned long long)busy_cpu_ns, (unsigned long long)total_cpu_ns, (unsigned long long)end_ns,
	       (unsigned long long)((uint64_t)NET_MIB << 20), ru.ru_nvcsw, ru.ru_nivcsw, (unsigned long long)(x & 1));
	fflush(stdout);
	/* Threads, fds and memory are held until exit. */
	_exit(0);
}
