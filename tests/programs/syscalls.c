/* syscalls: a syscall-heavy loop. The syscalls are issued by inline asm in
 * named functions of ours (not through libc, which has no frame pointers), so
 * kernel stacks have complete user stacks above them:
 *   main -> do_syscalls -> write_devnull / get_pid  -> [kernel]
 *   GROUND_TRUTH program=syscalls pid=N syscalls=.. user_cpu_ns=.. sys_cpu_ns=..
 * Usage: syscalls [seconds=3] */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "program_util.h"

static inline long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static char buffer[4096];

__attribute__((noinline)) long write_devnull(int fd)
{
	return raw_syscall3(SYS_write, fd, (long)buffer, sizeof buffer);
}

__attribute__((noinline)) long get_pid(void)
{
	return raw_syscall3(SYS_getpid, 0, 0, 0);
}

__attribute__((noinline)) uint64_t do_syscalls(int fd, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		write_devnull(fd);
		get_pid();
	}
	return 2 * n;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 3.0);
	int fd = open("/dev/null", O_WRONLY);
	uint64_t count = 0, start = wall_ns();
	while (wall_ns() - start < duration_ns)
		count += do_syscalls(fd, 1000);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("GROUND_TRUTH program=syscalls pid=%d syscalls=%llu user_cpu_ns=%llu sys_cpu_ns=%llu\n", getpid(),
	       (unsigned long long)count,
	       (unsigned long long)(ru.ru_utime.tv_sec * 1000000000ll + ru.ru_utime.tv_usec * 1000ll),
	       (unsigned long long)(ru.ru_stime.tv_sec * 1000000000ll + ru.ru_stime.tv_usec * 1000ll));
	return 0;
}
