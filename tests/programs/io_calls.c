/* io_calls: known syscalls for the io probe, each issued by inline asm in a
 * named function of ours (not through libc, which has no frame pointers), so
 * the user stack at the call names that function:
 *   main -> pipe_phase -> slow_pipe_read -> read      (a writer thread sleeps 45 ms before each byte)
 *   main -> file_phase -> file_write -> write          (N writes of B bytes to DIR/io_calls.dat)
 *                      -> file_fsync -> fsync          (after every batch)
 *   main -> socket_phase -> socket_ping -> sendto/recvfrom   (AF_UNIX stream socketpair,
 *           echo thread:    socket_echo -> recvfrom/sendto     K round trips)
 *   GROUND_TRUTH program=io_calls pid= pipe_reads= pipe_read_ns= pipe_read_min_ns= pipe_read_max_ns=
 *                writes= write_bytes= fsyncs= fsync_ns= round_trips= message_bytes=
 * Usage: io_calls DIR */
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "program_util.h"

#define PIPE_READS 8
#define PIPE_SLEEP_NS 45000000L
#define WRITE_BATCHES 3
#define WRITES_PER_BATCH 100
#define WRITE_BYTES 4096
#define ROUND_TRIPS 200
#define MESSAGE_BYTES 64

static inline long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static int pipe_fds[2];
static int sock_fds[2];
static char block[WRITE_BYTES];

static void *pipe_writer(void *arg)
{
	(void)arg;
	struct timespec ts = {0, PIPE_SLEEP_NS};
	for (int i = 0; i < PIPE_READS; i++) {
		nanosleep(&ts, NULL);
		if (write(pipe_fds[1], "x", 1) != 1)
			exit(3);
	}
	return NULL;
}

__attribute__((noinline)) long slow_pipe_read(void)
{
	char c;
	return raw_syscall6(SYS_read, pipe_fds[0], (long)&c, 1, 0, 0, 0);
}

__attribute__((noinline)) void pipe_phase(uint64_t *total_ns, uint64_t *min_ns, uint64_t *max_ns)
{
	pthread_t writer;
	pthread_create(&writer, NULL, pipe_writer, NULL);
	*total_ns = 0;
	*min_ns = UINT64_MAX;
	*max_ns = 0;
	for (int i = 0; i < PIPE_READS; i++) {
		uint64_t t = wall_ns();
		if (slow_pipe_read() != 1)
			exit(3);
		t = wall_ns() - t;
		*total_ns += t;
		*min_ns = t < *min_ns ? t : *min_ns;
		*max_ns = t > *max_ns ? t : *max_ns;
	}
	pthread_join(writer, NULL);
}

__attribute__((noinline)) long file_write(int fd)
{
	return raw_syscall6(SYS_write, fd, (long)block, WRITE_BYTES, 0, 0, 0);
}

__attribute__((noinline)) long file_fsync(int fd)
{
	return raw_syscall6(SYS_fsync, fd, 0, 0, 0, 0, 0);
}

__attribute__((noinline)) uint64_t file_phase(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/io_calls.dat", dir);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		exit(4);
	memset(block, 'b', sizeof block);
	uint64_t fsync_ns = 0;
	for (int b = 0; b < WRITE_BATCHES; b++) {
		for (int i = 0; i < WRITES_PER_BATCH; i++) {
			if (file_write(fd) != WRITE_BYTES)
				exit(4);
		}
		uint64_t t = wall_ns();
		if (file_fsync(fd) != 0)
			exit(4);
		fsync_ns += wall_ns() - t;
	}
	close(fd);
	unlink(path);
	return fsync_ns;
}

__attribute__((noinline)) void socket_echo_once(char *buf)
{
	if (raw_syscall6(SYS_recvfrom, sock_fds[1], (long)buf, MESSAGE_BYTES, MSG_WAITALL, 0, 0) != MESSAGE_BYTES)
		exit(5);
	if (raw_syscall6(SYS_sendto, sock_fds[1], (long)buf, MESSAGE_BYTES, 0, 0, 0) != MESSAGE_BYTES)
		exit(5);
}

static void *socket_echo(void *arg)
{
	(void)arg;
	char buf[MESSAGE_BYTES];
	for (int i = 0; i < ROUND_TRIPS; i++)
		socket_echo_once(buf);
	return NULL;
}

__attribute__((noinline)) void socket_ping(char *buf)
{
	if (raw_syscall6(SYS_sendto, sock_fds[0], (long)buf, MESSAGE_BYTES, 0, 0, 0) != MESSAGE_BYTES)
		exit(5);
	if (raw_syscall6(SYS_recvfrom, sock_fds[0], (long)buf, MESSAGE_BYTES, MSG_WAITALL, 0, 0) != MESSAGE_BYTES)
		exit(5);
}

__attribute__((noinline)) void socket_phase(void)
{
	char buf[MESSAGE_BYTES] = {0};
	pthread_t echo;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock_fds) != 0)
		exit(5);
	pthread_create(&echo, NULL, socket_echo, NULL);
	for (int i = 0; i < ROUND_TRIPS; i++)
		socket_ping(buf);
	pthread_join(echo, NULL);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: io_calls DIR\n");
		return 2;
	}
	if (pipe(pipe_fds) != 0)
		return 3;
	uint64_t pipe_ns, pipe_min_ns, pipe_max_ns;
	pipe_phase(&pipe_ns, &pipe_min_ns, &pipe_max_ns);
	uint64_t fsync_ns = file_phase(argv[1]);
	socket_phase();
	printf("GROUND_TRUTH program=io_calls pid=%d pipe_reads=%d pipe_read_ns=%llu pipe_read_min_ns=%llu "
	       "pipe_read_max_ns=%llu writes=%d write_bytes=%d fsyncs=%d fsync_ns=%llu round_trips=%d "
	       "message_bytes=%d\n",
	       getpid(), PIPE_READS, (unsigned long long)pipe_ns, (unsigned long long)pipe_min_ns,
	       (unsigned long long)pipe_max_ns, WRITE_BATCHES * WRITES_PER_BATCH, WRITE_BYTES, WRITE_BATCHES,
	       (unsigned long long)fsync_ns, ROUND_TRIPS, MESSAGE_BYTES);
	return 0;
}
