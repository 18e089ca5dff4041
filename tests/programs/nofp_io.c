/* nofp_io: io syscalls through glibc (no frame pointers) from named functions
 * of ours, built without frame pointers too, so only DWARF unwinding finds
 * the function above read/fsync:
 *   main -> read_phase -> read_header    HEADER_READS reads of 64 B from DIR/nofp_io.dat
 *                      -> read_body      BODY_READS reads of 4 KiB from the same file:
 *                                        the same (syscall, fd kind) as read_header, told
 *                                        apart by their stacks only
 *        -> pipe_phase -> wait_pipe      PIPE_READS reads of a pipe whose writer sleeps
 *                                        PIPE_SLEEP_NS before each byte (slow calls)
 *        -> sync_phase -> sync_file      SYNCS fsyncs, each after a 4 KiB write
 * Each call is timed around the libc call (wall clock). It stays LINGER_NS
 * after printing: gone earlier (its work takes ~0.4 s), its stacks are still
 * unwound (from the mappings the recorder kept) but their names could come
 * out unresolved in 1 of 6 runs (the symbolizer read its files too late).
 *   GROUND_TRUTH program=nofp_io pid= header_reads= header_read_ns= header_bytes= body_reads=
 *                body_read_ns= body_bytes= pipe_reads= pipe_read_ns= fsyncs= fsync_ns=
 * Usage: nofp_io DIR */
#include <fcntl.h>
#include <pthread.h>

#include "program_util.h"

#define HEADER_READS 3000
#define HEADER_BYTES 64
#define BODY_READS 1000
#define BODY_BYTES 4096
#define PIPE_READS 20
#define PIPE_SLEEP_NS 10000000L
#define SYNCS 10
#define LINGER_NS 1000000000L

struct timed {
	uint64_t calls, ns, bytes;
};

static int pipe_fds[2];
static char buf[BODY_BYTES];

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

/* Each reader keeps its frame (no tail call: the result is used after). */
__attribute__((noinline)) void read_header(int fd, struct timed *t)
{
	for (int i = 0; i < HEADER_READS; i++) {
		uint64_t start = wall_ns();
		ssize_t n = read(fd, buf, HEADER_BYTES);
		t->ns += wall_ns() - start;
		if (n != HEADER_BYTES)
			exit(4);
		t->calls++;
		t->bytes += (uint64_t)n;
		lseek(fd, 0, SEEK_SET);
	}
}

__attribute__((noinline)) void read_body(int fd, struct timed *t)
{
	for (int i = 0; i < BODY_READS; i++) {
		lseek(fd, 0, SEEK_SET);
		uint64_t start = wall_ns();
		ssize_t n = read(fd, buf, BODY_BYTES);
		t->ns += wall_ns() - start;
		if (n != BODY_BYTES)
			exit(4);
		t->calls++;
		t->bytes += (uint64_t)n;
	}
}

__attribute__((noinline)) void read_phase(const char *path, struct timed *header, struct timed *body)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		exit(4);
	read_header(fd, header);
	read_body(fd, body);
	close(fd);
}

__attribute__((noinline)) void wait_pipe(struct timed *t)
{
	char c;
	for (int i = 0; i < PIPE_READS; i++) {
		uint64_t start = wall_ns();
		ssize_t n = read(pipe_fds[0], &c, 1);
		t->ns += wall_ns() - start;
		if (n != 1)
			exit(5);
		t->calls++;
	}
}

__attribute__((noinline)) void pipe_phase(struct timed *t)
{
	pthread_t writer;
	if (pipe(pipe_fds) != 0)
		exit(5);
	pthread_create(&writer, NULL, pipe_writer, NULL);
	wait_pipe(t);
	pthread_join(writer, NULL);
}

__attribute__((noinline)) void sync_file(int fd, struct timed *t)
{
	for (int i = 0; i < SYNCS; i++) {
		if (write(fd, buf, BODY_BYTES) != BODY_BYTES)
			exit(6);
		uint64_t start = wall_ns();
		int r = fsync(fd);
		t->ns += wall_ns() - start;
		if (r != 0)
			exit(6);
		t->calls++;
	}
}

__attribute__((noinline)) void sync_phase(const char *path, struct timed *t)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		exit(6);
	sync_file(fd, t);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: nofp_io DIR\n");
		return 2;
	}
	char data[512], synced[512];
	snprintf(data, sizeof data, "%s/nofp_io.dat", argv[1]);
	snprintf(synced, sizeof synced, "%s/nofp_io.sync", argv[1]);
	memset(buf, 'd', sizeof buf);
	int fd = open(data, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, buf, BODY_BYTES) != BODY_BYTES)
		return 4;
	close(fd);
	struct timed header = {0}, body = {0}, piped = {0}, syncs = {0};
	read_phase(data, &header, &body);
	pipe_phase(&piped);
	sync_phase(synced, &syncs);
	unlink(data);
	unlink(synced);
	printf("GROUND_TRUTH program=nofp_io pid=%d header_reads=%llu header_read_ns=%llu header_bytes=%llu "
	       "body_reads=%llu body_read_ns=%llu body_bytes=%llu pipe_reads=%llu pipe_read_ns=%llu fsyncs=%llu "
	       "fsync_ns=%llu\n",
	       (int)getpid(), (unsigned long long)header.calls, (unsigned long long)header.ns,
	       (unsigned long long)header.bytes, (unsigned long long)body.calls, (unsigned long long)body.ns,
	       (unsigned long long)body.bytes, (unsigned long long)piped.calls, (unsigned long long)piped.ns,
	       (unsigned long long)syncs.calls, (unsigned long long)syncs.ns);
	fflush(stdout);
	struct timespec linger = {LINGER_NS / 1000000000L, LINGER_NS % 1000000000L};
	nanosleep(&linger, NULL);
	return 0;
}
