/* pingpong: two threads bounce one byte over two pipes as fast as they can,
 * a context-switch- and syscall-heavy target for the offcpu and io probes'
 * overhead benchmarks (bench/record/io.sh); with PAUSE_US it sleeps that
 * long after every 100 round trips (a paced rate, bench/record/io_walk_cost.sh):
 *   main -> ping_loop -> read/write,  thread -> pong_loop -> read/write
 *   GROUND_TRUTH program=pingpong pid= round_trips= seconds= round_trips_per_s=
 * Usage: pingpong [seconds=2] [pause_us=0] */
#include <pthread.h>

#include "program_util.h"

static int to_pong[2], to_ping[2];
static volatile int stop;

static void *pong_loop(void *arg)
{
	(void)arg;
	char c;
	while (read(to_pong[0], &c, 1) == 1) {
		if (c == 'q' || write(to_ping[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

__attribute__((noinline)) uint64_t ping_loop(uint64_t duration_ns, long pause_us)
{
	uint64_t n = 0, start = wall_ns();
	char c = 'p';
	struct timespec pause = {pause_us / 1000000, (pause_us % 1000000) * 1000};
	while (wall_ns() - start < duration_ns) {
		for (int i = 0; i < 100; i++) {
			if (write(to_pong[1], &c, 1) != 1 || read(to_ping[0], &c, 1) != 1)
				exit(3);
		}
		n += 100;
		if (pause_us > 0)
			nanosleep(&pause, NULL);
	}
	return n;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 2.0);
	long pause_us = argc > 2 ? atol(argv[2]) : 0;
	if (pipe(to_pong) != 0 || pipe(to_ping) != 0)
		return 3;
	pthread_t pong;
	pthread_create(&pong, NULL, pong_loop, NULL);
	uint64_t start = wall_ns();
	uint64_t n = ping_loop(duration_ns, pause_us);
	double seconds = (double)(wall_ns() - start) / 1e9;
	char q = 'q';
	if (write(to_pong[1], &q, 1) != 1)
		return 3;
	pthread_join(pong, NULL);
	printf("GROUND_TRUTH program=pingpong pid=%d round_trips=%llu seconds=%.3f round_trips_per_s=%.0f\n", getpid(),
	       (unsigned long long)n, seconds, (double)n / seconds);
	return 0;
}
