/* shares: three tasks with different CPU shares, each measuring its own CPU
 * time: in this process the main thread burns all the time ("busy") and a
 * second thread burns half of each 20 ms ("half"); a forked child process
 * burns a quarter of each 20 ms ("quarter"). The half thread and the child
 * name themselves after their role (comm). One line per task:
 *   GROUND_TRUTH program=shares pid=N tid=T role=busy|half|quarter cpu_ns=...
 * Usage: shares [seconds=3] */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "program_util.h"

static volatile uint64_t sink;
static uint64_t duration_ns;

__attribute__((noinline)) void burn_for(uint64_t ns)
{
	uint64_t t0 = wall_ns(), x = sink;
	while (wall_ns() - t0 < ns)
		for (int i = 0; i < 1000; i++)
			BURN_STEP(x);
	sink = x;
}

/* Burns duty_pct of every 20 ms period until the duration is over. */
__attribute__((noinline)) void run_task(const char *role, int duty_pct)
{
	const uint64_t period_ns = 20000000;
	uint64_t start = wall_ns();
	while (wall_ns() - start < duration_ns) {
		uint64_t t0 = wall_ns();
		burn_for(period_ns * duty_pct / 100);
		uint64_t spent = wall_ns() - t0;
		if (spent < period_ns && duty_pct < 100) {
			struct timespec ts = {0, (long)(period_ns - spent)};
			nanosleep(&ts, NULL);
		}
	}
	printf("GROUND_TRUTH program=shares pid=%d tid=%ld role=%s cpu_ns=%llu\n", getpid(), (long)syscall(SYS_gettid),
	       role, (unsigned long long)thread_cpu_ns());
	fflush(stdout);
}

static void *half_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "half");
	run_task("half", 50);
	return NULL;
}

int main(int argc, char **argv)
{
	duration_ns = seconds_arg(argc, argv, 1, 3.0);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "quarter");
		run_task("quarter", 25);
		_exit(0);
	}
	pthread_t t;
	pthread_create(&t, NULL, half_thread, NULL);
	run_task("busy", 100);
	pthread_join(t, NULL);
	waitpid(child, NULL, 0);
	return 0;
}
