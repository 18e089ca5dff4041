/* nofp_mapper: known address-space calls through glibc's wrappers (no frame
 * pointers there) from named functions of ours, built without frame pointers
 * too, under a frame of PAD_BYTES, so that neither the frame-pointer chain
 * nor the stack words the mmap probe scans in FP mode (the first 512 bytes)
 * reach main: only a DWARF unwind puts each call under its function and main.
 *   main -> padded -> map_region     MAPS mmap(CHUNK) anonymous, private
 *                  -> grow_region    mremap of REMAPS of them CHUNK -> 3 * CHUNK (MREMAP_MAYMOVE)
 *                  -> shrink_region  mremap of SHRINKS of those 3 * CHUNK -> CHUNK
 *                  -> unmap_region   munmap of every mapping (at its final size)
 *                  -> realloc_region malloc(CHUNK) REALLOCS times (glibc maps blocks this large),
 *                                    each realloc-ed to 3 * CHUNK: glibc grows the mapping with
 *                                    mremap by exactly 2 * CHUNK (header page included on both
 *                                    sides), then frees them
 * No other malloc of its own. Launched with the preload path (LOADPROF_ALLOC_FD
 * set) it starts at once; otherwise it waits until a uprobe sits on free()
 * (a breakpoint, 0xCC, on its first byte). It pauses PAUSE_S before its calls
 * and stays LINGER_S after its line, so its stacks are unwound and
 * symbolized while it lives.
 *   PID n   (first line, at start)
 *   GROUND_TRUTH program=nofp_mapper pid= map_calls= map_bytes= grow_calls= grow_bytes=
 *                shrink_calls= shrink_bytes= unmap_calls= unmap_bytes= realloc_calls= realloc_bytes=
 * Usage: nofp_mapper [PAUSE_S=0.5] [LINGER_S=1] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <sys/mman.h>

#include "program_util.h"

#define CHUNK (1024 * 1024)
#define MAPS 32
#define REMAPS 8
#define SHRINKS 4
#define REALLOCS 4
#define PAD_BYTES 2048

static char *maps[MAPS];
static long sizes[MAPS];
/* Loop bounds the compiler cannot see: a loop it unrolled would call from a
 * call site per iteration (one stack each; the same function). */
static volatile int remaps = REMAPS, shrinks = SHRINKS, reallocs = REALLOCS;
static void *blocks[REALLOCS];

__attribute__((noinline)) void map_region(void)
{
	for (int i = 0; i < MAPS; i++) {
		maps[i] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED) {
			perror("nofp_mapper: mmap");
			exit(1);
		}
		sizes[i] = CHUNK;
	}
}

__attribute__((noinline)) void grow_region(void)
{
	for (int i = 0; i < remaps; i++) {
		char *p = mremap(maps[i], CHUNK, 3 * CHUNK, MREMAP_MAYMOVE);
		if (p == MAP_FAILED) {
			perror("nofp_mapper: mremap (grow)");
			exit(1);
		}
		maps[i] = p;
		sizes[i] = 3 * CHUNK;
	}
}

__attribute__((noinline)) void shrink_region(void)
{
	for (int i = 0; i < shrinks; i++) {
		char *p = mremap(maps[i], 3 * CHUNK, CHUNK, 0);
		if (p == MAP_FAILED) {
			perror("nofp_mapper: mremap (shrink)");
			exit(1);
		}
		sizes[i] = CHUNK;
	}
}

__attribute__((noinline)) long unmap_region(void)
{
	long bytes = 0;

	for (int i = 0; i < MAPS; i++) {
		if (munmap(maps[i], sizes[i]) != 0) {
			perror("nofp_mapper: munmap");
			exit(1);
		}
		bytes += sizes[i];
	}
	return bytes;
}

__attribute__((noinline)) void realloc_region(void)
{
	for (int i = 0; i < reallocs; i++) {
		char *p = malloc(CHUNK);
		char *q = p ? realloc(p, 3 * CHUNK) : NULL;
		if (!q) {
			perror("nofp_mapper: realloc");
			exit(1);
		}
		blocks[i] = q;
	}
	for (int i = 0; i < reallocs; i++)
		free(blocks[i]);
}

/* A frame of PAD_BYTES between main and the calls: the array's address
 * escapes (an empty asm), so the compiler keeps all of it; read after the
 * calls (no tail call). */
__attribute__((noinline)) long padded(void)
{
	char pad[PAD_BYTES];

	memset(pad, 0, sizeof pad);
	__asm__ volatile("" : : "r"(pad) : "memory");
	map_region();
	grow_region();
	shrink_region();
	long unmapped = unmap_region();
	realloc_region();
	__asm__ volatile("" : : "r"(pad) : "memory");
	return unmapped + pad[0] + pad[PAD_BYTES - 1];
}

static int probe_attached(void)
{
	const volatile unsigned char *f = (const unsigned char *)dlsym(RTLD_DEFAULT, "free");
	return f && *f == 0xCC;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};

	while (nanosleep(&ts, &ts) != 0) {
	}
}

int main(int argc, char **argv)
{
	uint64_t pause_ns = seconds_arg(argc, argv, 1, 0.5);
	uint64_t linger_ns = seconds_arg(argc, argv, 2, 1.0);

	printf("PID %d\n", (int)getpid());
	fflush(stdout);
	uint64_t wait_start = wall_ns();
	while (!getenv("LOADPROF_ALLOC_FD") && !probe_attached()) {
		if (wall_ns() - wait_start > 60000000000ull) {
			fprintf(stderr, "nofp_mapper: no probe on free() after 60 s\n");
			return 1;
		}
		sleep_ns(2000000);
	}
	sleep_ns(pause_ns);
	long unmapped = padded();
	printf("GROUND_TRUTH program=nofp_mapper pid=%d map_calls=%d map_bytes=%ld grow_calls=%d grow_bytes=%ld "
	       "shrink_calls=%d shrink_bytes=%ld unmap_calls=%d unmap_bytes=%ld realloc_calls=%d realloc_bytes=%ld\n",
	       (int)getpid(), MAPS, (long)MAPS * CHUNK, REMAPS, (long)REMAPS * 2 * CHUNK, SHRINKS,
	       (long)SHRINKS * 2 * CHUNK, MAPS, unmapped, REALLOCS, (long)REALLOCS * 2 * CHUNK);
	fflush(stdout);
	sleep_ns(linger_ns);
	return 0;
}
