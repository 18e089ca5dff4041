/* waits: threads that wait for known reasons, each measuring its own blocked
 * time (wall minus CPU time around the waiting call, split by the thread's
 * runqueue delay from /proc/thread-self/schedstat, the kernel's own count),
 * for the offcpu probe's tests.
 *   waits block SECONDS DIR: a nanosleep loop, a contended mutex (the holder
 *     sleeps with it held), a pipe read (the writer writes every 4 ms) and
 *     fsync of a file in DIR. One line per waiting thread:
 *     GROUND_TRUTH program=waits role=sleep|lock|pipe|fsync tid=N waits=N
 *       blocked_ns=N start_ns=N end_ns=N runqueue_ns=N
 *     blocked_ns: off-CPU in the calls but not waiting for a CPU; runqueue_ns:
 *     waiting for a CPU (after a wakeup, or preempted) anywhere in the loop,
 *     which ran over [start_ns, end_ns) (CLOCK_MONOTONIC).
 *   waits spin SECONDS THREADS: THREADS threads spin (run it under taskset
 *     with fewer CPUs): runqueue time = wall - CPU time, per thread:
 *     GROUND_TRUTH program=waits role=spin tid=N wall_ns=N cpu_ns=N
 * Each waiting call sits in a noinline wait_* function called by a *_loop
 * function: glibc has no frame pointers, so a frame-pointer walk from inside
 * libc loses the wait_* caller but keeps the *_loop. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "program_util.h"

static uint64_t deadline_ns;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static int pipe_fds[2];
static const char *dir = "/tmp";

struct role {
	const char *name;
	pid_t tid;
	uint64_t waits;
	uint64_t blocked_ns;
	uint64_t runqueue_ns;
	uint64_t start_ns, end_ns;
	int schedstat_fd;
	uint64_t wall_ns, cpu_ns;
};

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void sleep_ms(double ms)
{
	struct timespec ts = {0, (long)(ms * 1e6)};
	nanosleep(&ts, NULL);
}

/* The thread's time spent waiting on a runqueue so far (schedstat's run_delay). */
static uint64_t run_delay_ns(struct role *r)
{
	char text[128];
	unsigned long long exec_ns = 0, delay_ns = 0;
	ssize_t n = pread(r->schedstat_fd, text, sizeof text - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = 0;
	if (sscanf(text, "%llu %llu", &exec_ns, &delay_ns) != 2)
		return 0;
	return delay_ns;
}

/* Runs one waiting call and adds its off-CPU time: waiting for a CPU, and the rest. */
#define MEASURE(r, call)                                                       \
	do {                                                                   \
		uint64_t w0 = wall_ns(), c0 = thread_cpu_ns();                 \
		uint64_t d0 = run_delay_ns(r);                                 \
		call;                                                          \
		uint64_t d1 = run_delay_ns(r);                                 \
		uint64_t c1 = thread_cpu_ns(), w1 = wall_ns();                 \
		uint64_t off = (w1 - w0) - (c1 - c0), rq = d1 - d0;            \
		(r)->blocked_ns += off > rq ? off - rq : 0;                    \
		(r)->waits++;                                                  \
	} while (0)

__attribute__((noinline)) void wait_sleep(void) { sleep_ms(3); }
__attribute__((noinline)) void sleep_loop(struct role *r)
{
	while (wall_ns() < deadline_ns)
		MEASURE(r, wait_sleep());
}

__attribute__((noinline)) void wait_lock(void) { pthread_mutex_lock(&mutex); }
__attribute__((noinline)) void lock_loop(struct role *r)
{
	while (wall_ns() < deadline_ns) {
		MEASURE(r, wait_lock());
		pthread_mutex_unlock(&mutex);
		sleep_ms(2); /* the holder takes it again meanwhile */
	}
}

/* The unlock that wakes the lock thread: a frame-pointer walk from inside
 * glibc (no frame pointers) loses this caller, not hold_loop above it, which
 * is the waker's stack --offcpu-wakers must show. */
__attribute__((noinline)) void release_lock(void) { pthread_mutex_unlock(&mutex); }

/* Holds the mutex 8 ms of every 9, sleeping with it held. */
__attribute__((noinline)) void hold_loop(void)
{
	while (wall_ns() < deadline_ns + 20000000ull) {
		pthread_mutex_lock(&mutex);
		sleep_ms(8);
		release_lock();
		sleep_ms(1);
	}
}

__attribute__((noinline)) long wait_pipe(void)
{
	char c;
	return read(pipe_fds[0], &c, 1);
}
__attribute__((noinline)) void pipe_loop(struct role *r)
{
	long n = 1;
	while (n == 1 && wall_ns() < deadline_ns)
		MEASURE(r, n = wait_pipe());
}

/* The write that wakes the pipe thread (write_loop stays in the waker's stack). */
__attribute__((noinline)) long write_byte(void) { return write(pipe_fds[1], "x", 1); }

__attribute__((noinline)) void write_loop(void)
{
	while (wall_ns() < deadline_ns + 20000000ull) {
		sleep_ms(4);
		if (write_byte() != 1)
			break;
	}
}

__attribute__((noinline)) void wait_fsync(int fd) { fsync(fd); }
__attribute__((noinline)) void fsync_loop(struct role *r)
{
	static char block[16 * 1024];
	char path[4096];
	snprintf(path, sizeof path, "%s/waits_fsync.%d", dir, getpid());
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0) {
		perror(path);
		return;
	}
	unlink(path);
	memset(block, 'y', sizeof block);
	while (wall_ns() < deadline_ns) {
		if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block)
			break;
		MEASURE(r, wait_fsync(fd));
	}
	close(fd);
}

__attribute__((noinline)) void spin_loop(struct role *r)
{
	uint64_t x = 1, w0 = wall_ns(), c0 = thread_cpu_ns();
	while (wall_ns() < deadline_ns) {
		for (int i = 0; i < 10000; i++)
			BURN_STEP(x);
	}
	r->cpu_ns = thread_cpu_ns() - c0;
	r->wall_ns = wall_ns() - w0;
}

static void *thread_main(void *arg)
{
	struct role *r = arg;
	r->tid = gettid_();
	r->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY);
	pthread_setname_np(pthread_self(), r->name);
	const uint64_t d0 = run_delay_ns(r);
	r->start_ns = wall_ns();
	if (!strcmp(r->name, "sleep"))
		sleep_loop(r);
	else if (!strcmp(r->name, "lock"))
		lock_loop(r);
	else if (!strcmp(r->name, "holder"))
		hold_loop();
	else if (!strcmp(r->name, "pipe"))
		pipe_loop(r);
	else if (!strcmp(r->name, "writer"))
		write_loop();
	else if (!strcmp(r->name, "fsync"))
		fsync_loop(r);
	else if (!strcmp(r->name, "spin"))
		spin_loop(r);
	r->end_ns = wall_ns();
	r->runqueue_ns = run_delay_ns(r) - d0;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "block") && strcmp(argv[1], "spin"))) {
		fprintf(stderr, "usage: waits block SECONDS [DIR] | waits spin SECONDS THREADS\n");
		return 2;
	}
	const int spin = !strcmp(argv[1], "spin");
	deadline_ns = wall_ns() + seconds_arg(argc, argv, 2, 3.0);
	struct role roles[16];
	int n = 0;
	memset(roles, 0, sizeof roles);
	if (spin) {
		int threads = argc > 3 ? atoi(argv[3]) : 3;
		for (; n < threads && n < 16; n++)
			roles[n].name = "spin";
	} else {
		if (argc > 3)
			dir = argv[3];
		if (pipe(pipe_fds) != 0)
			return 1;
		const char *names[] = {"holder", "sleep", "lock", "pipe", "writer", "fsync"};
		for (; n < 6; n++)
			roles[n].name = names[n];
	}
	pthread_t threads[16];
	for (int i = 0; i < n; i++)
		pthread_create(&threads[i], NULL, thread_main, &roles[i]);
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < n; i++) {
		const struct role *r = &roles[i];
		if (spin)
			printf("GROUND_TRUTH program=waits role=spin tid=%d wall_ns=%llu cpu_ns=%llu\n", r->tid,
			       (unsigned long long)r->wall_ns, (unsigned long long)r->cpu_ns);
		else if (r->waits)
			printf("GROUND_TRUTH program=waits role=%s tid=%d waits=%llu blocked_ns=%llu start_ns=%llu "
			       "end_ns=%llu runqueue_ns=%llu\n",
			       r->name, r->tid, (unsigned long long)r->waits, (unsigned long long)r->blocked_ns,
			       (unsigned long long)r->start_ns, (unsigned long long)r->end_ns,
			       (unsigned long long)r->runqueue_ns);
	}
	return 0;
}
