/* mapper: known address-space calls for the mmap probe (on with --probes
 * alloc), each made by a named function of ours (frame pointers):
 *   main -> map_chunks    mmap(CHUNK) anonymous, private, CHUNKS times, every page touched
 *        -> unmap_half    munmap of every other chunk (CHUNKS / 2)
 *        -> grow_heap     sbrk(BRK_STEP) BRK_STEPS times (brk through glibc's sbrk,
 *                         which keeps the break in rbp: no frame pointer there)
 * It waits until the probe is attached (a uprobe on free() puts a breakpoint,
 * 0xCC, on its first byte; launched with the preload path, LOADPROF_ALLOC_FD
 * set, it does not wait), then PAUSE_S seconds so the recorder's once-a-second
 * /proc reading sees it before and after the pages are touched. It measures
 * its own minor faults around the touching (getrusage). No malloc after the
 * start: glibc's would move the break too.
 *   PID n   (first line, at start)
 *   GROUND_TRUTH program=mapper pid= mmap_calls= mmap_bytes= munmap_calls= munmap_bytes= brk_calls=
 *                brk_bytes= pages_touched= touch_minor_faults=
 * Usage: mapper [PAUSE_S=1.5] [LINGER_S=0: seconds to stay after the line] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "program_util.h"

#define CHUNK (1024 * 1024)
#define CHUNKS 64
#define BRK_STEP (256 * 1024)
#define BRK_STEPS 16
#define PAGE 4096

static char *chunks[CHUNKS];

__attribute__((noinline)) static long map_chunks(void)
{
	long pages = 0;

	for (int i = 0; i < CHUNKS; i++) {
		chunks[i] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunks[i] == MAP_FAILED) {
			perror("mapper: mmap");
			exit(1);
		}
		/* One fault per page, whatever the kernel's huge-page setting. */
		madvise(chunks[i], CHUNK, MADV_NOHUGEPAGE);
		for (long off = 0; off < CHUNK; off += PAGE, pages++)
			((volatile char *)chunks[i])[off] = 1;
	}
	return pages;
}

__attribute__((noinline)) static void unmap_half(void)
{
	for (int i = 0; i < CHUNKS; i += 2) {
		if (munmap(chunks[i], CHUNK) != 0) {
			perror("mapper: munmap");
			exit(1);
		}
	}
}

__attribute__((noinline)) static void grow_heap(void)
{
	for (int i = 0; i < BRK_STEPS; i++) {
		if (sbrk(BRK_STEP) == (void *)-1) {
			perror("mapper: sbrk");
			exit(1);
		}
	}
}

static int probe_attached(void)
{
	const volatile unsigned char *f = (const unsigned char *)dlsym(RTLD_DEFAULT, "free");
	return f && *f == 0xCC;
}

static long minor_faults(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_minflt;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};

	while (nanosleep(&ts, &ts) != 0) {
	}
}

int main(int argc, char **argv)
{
	uint64_t pause_ns = seconds_arg(argc, argv, 1, 1.5);
	uint64_t linger_ns = seconds_arg(argc, argv, 2, 0.0);

	printf("PID %d\n", (int)getpid());
	fflush(stdout);
	uint64_t wait_start = wall_ns();
	while (!getenv("LOADPROF_ALLOC_FD") && !probe_attached()) {
		if (wall_ns() - wait_start > 60000000000ull) {
			fprintf(stderr, "mapper: no probe on free() after 60 s\n");
			return 1;
		}
		sleep_ns(2000000);
	}
	sleep_ns(pause_ns);
	long before = minor_faults();
	long pages = map_chunks();
	long faults = minor_faults() - before;
	unmap_half();
	grow_heap();
	sleep_ns(pause_ns);
	printf("GROUND_TRUTH program=mapper pid=%d mmap_calls=%d mmap_bytes=%ld munmap_calls=%d munmap_bytes=%ld "
	       "brk_calls=%d brk_bytes=%ld pages_touched=%ld touch_minor_faults=%ld\n",
	       (int)getpid(), CHUNKS, (long)CHUNKS * CHUNK, CHUNKS / 2, (long)(CHUNKS / 2) * CHUNK, BRK_STEPS,
	       (long)BRK_STEPS * BRK_STEP, pages, faults);
	fflush(stdout);
	if (linger_ns)
		sleep_ns(linger_ns);
	return 0;
}
