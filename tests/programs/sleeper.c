/* sleeper: sleeps for the given seconds (default 30) and takes no CPU time
 * meanwhile, for the recorder's "no samples: the target was idle" warning:
 *   GROUND_TRUTH program=sleeper pid=N
 * Usage: sleeper [SECONDS] */
#include "program_util.h"

int main(int argc, char **argv)
{
	uint64_t ns = seconds_arg(argc, argv, 1, 30.0);
	printf("GROUND_TRUTH program=sleeper pid=%d\n", getpid());
	fflush(stdout);
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) != 0) {
	}
	return 0;
}
