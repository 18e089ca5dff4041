/* fsync_work: commits to a journal and an index, each block written and
 * fsynced from a named function of ours by inline asm (not through libc, which
 * has no frame pointers), so the user stack at the call names it:
 *   main -> commit -> journal_sync -> write, fsync   (DIR/fsync_work.journal)
 *                  -> index_sync   -> write, fsync   (DIR/fsync_work.index; twice per commit in "double":
 *                                                     the planted regression, 2x fsyncs from one function)
 *   GROUND_TRUTH program=fsync_work mode= commits= journal_fsyncs= journal_ns= index_fsyncs= index_ns=
 * (journal_ns / index_ns: wall time inside journal_sync / index_sync, the write and the fsync.)
 * It sleeps 0.3 s after its last commit (no io) before exiting.
 * Usage: fsync_work DIR [single|double] [COMMITS=400] */
#include <fcntl.h>
#include <sys/syscall.h>

#include "program_util.h"

#define BLOCK_BYTES 4096

static char block[BLOCK_BYTES];

static inline long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

/* One block written and made durable. */
__attribute__((noinline)) void journal_sync(int fd)
{
	if (raw_syscall3(SYS_write, fd, (long)block, BLOCK_BYTES) != BLOCK_BYTES)
		exit(4);
	if (raw_syscall3(SYS_fsync, fd, 0, 0) != 0)
		exit(4);
}

__attribute__((noinline)) void index_sync(int fd)
{
	if (raw_syscall3(SYS_write, fd, (long)block, BLOCK_BYTES) != BLOCK_BYTES)
		exit(4);
	if (raw_syscall3(SYS_fsync, fd, 0, 0) != 0)
		exit(4);
}

__attribute__((noinline)) void commit(int journal, int index, int index_syncs, uint64_t *journal_ns,
				      uint64_t *index_ns)
{
	uint64_t t = wall_ns();
	journal_sync(journal);
	*journal_ns += wall_ns() - t;
	for (int i = 0; i < index_syncs; i++) {
		t = wall_ns();
		index_sync(index);
		*index_ns += wall_ns() - t;
	}
}

static int open_in(const char *dir, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		exit(3);
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fsync_work DIR [single|double] [COMMITS]\n");
		return 2;
	}
	const int twice = argc > 2 && strcmp(argv[2], "double") == 0;
	const int commits = argc > 3 ? atoi(argv[3]) : 400;
	char journal_path[4096], index_path[4096];
	int journal = open_in(argv[1], "fsync_work.journal", journal_path, sizeof journal_path);
	int index = open_in(argv[1], "fsync_work.index", index_path, sizeof index_path);
	memset(block, 'j', sizeof block);
	uint64_t journal_ns = 0, index_ns = 0;
	for (int c = 0; c < commits; c++)
		commit(journal, index, twice ? 2 : 1, &journal_ns, &index_ns);
	close(journal);
	close(index);
	unlink(journal_path);
	unlink(index_path);
	printf("GROUND_TRUTH program=fsync_work mode=%s commits=%d journal_fsyncs=%d journal_ns=%llu index_fsyncs=%d "
	       "index_ns=%llu\n",
	       twice ? "double" : "single", commits, commits, (unsigned long long)journal_ns,
	       commits * (twice ? 2 : 1), (unsigned long long)index_ns);
	fflush(stdout);
	/* Alive a little longer than its last io, so the recorder reads its maps before it is gone. */
	struct timespec linger = {0, 300000000L};
	nanosleep(&linger, NULL);
	return 0;
}
