/* short_child: forks a child that re-executes this binary in child mode,
 * burns ~100 ms of CPU in child_burn and exits; the parent waits for it and
 * stays a little longer. The child's code is mapped by its own exec, so only
 * a sideband (not /proc read afterwards) can tell where its samples point.
 *   GROUND_TRUTH program=short_child pid=N child_pid=M child_cpu_ns=..
 * With mode `fork`, the child does not exec: it burns in the parent's image,
 * whose mappings it inherited (no mmap2 record says so).
 * Usage: short_child [burn_ms=100] [exec|fork] */
#include <sys/wait.h>

#include "program_util.h"

static volatile uint64_t sink;

__attribute__((noinline)) uint64_t child_burn(uint64_t burn_ns)
{
	uint64_t x = 1, t0 = thread_cpu_ns();
	while (thread_cpu_ns() - t0 < burn_ns) {
		for (int i = 0; i < 100000; i++)
			BURN_STEP(x);
	}
	return x;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--child") == 0) {
		sink = child_burn((uint64_t)atoi(argv[2]) * 1000000ull);
		printf("GROUND_TRUTH program=short_child_child pid=%d child_cpu_ns=%llu\n", getpid(),
		       (unsigned long long)thread_cpu_ns());
		return 0;
	}
	const char *burn_ms = argc > 1 ? argv[1] : "100";
	int fork_only = argc > 2 && strcmp(argv[2], "fork") == 0;
	usleep(100 * 1000);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0 && fork_only) {
		sink = child_burn((uint64_t)atoi(burn_ms) * 1000000ull);
		printf("GROUND_TRUTH program=short_child_child pid=%d child_cpu_ns=%llu\n", getpid(),
		       (unsigned long long)thread_cpu_ns());
		fflush(stdout);
		_exit(0);
	}
	if (child == 0) {
		execl("/proc/self/exe", "short_child", "--child", burn_ms, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	waitpid(child, &status, 0);
	usleep(200 * 1000);
	printf("GROUND_TRUTH program=short_child pid=%d child_pid=%d child_status=%d\n", getpid(), child,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
