/* dlopen_host: waits a little, dlopens libloadprof_burn.so (next to this
 * binary) and burns CPU inside it, so the library is mapped only after the
 * profiler attached: main -> run_library -> burn_in_library -> library_hot.
 *   GROUND_TRUTH program=dlopen_host pid=N library=/path/libloadprof_burn.so
 *                library_share_pct=.. loaded_at_ns=..
 * Usage: dlopen_host [seconds=2] */
#include <dlfcn.h>

#include "program_util.h"

typedef uint64_t (*burn_fn)(uint64_t);
static volatile uint64_t sink;

__attribute__((noinline)) uint64_t run_library(burn_fn burn, uint64_t duration_ns, uint64_t *lib_ns)
{
	uint64_t start = wall_ns();
	while (wall_ns() - start < duration_ns) {
		uint64_t t0 = thread_cpu_ns();
		sink += burn(sink);
		*lib_ns += thread_cpu_ns() - t0;
	}
	return sink;
}

int main(int argc, char **argv)
{
	uint64_t duration_ns = seconds_arg(argc, argv, 1, 2.0);
	char dir[4096], path[8192];
	self_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/libloadprof_burn.so", dir);
	usleep(200 * 1000);
	uint64_t loaded_at = wall_ns();
	void *lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return 1;
	}
	burn_fn burn = (burn_fn)dlsym(lib, "burn_in_library");
	if (!burn) {
		fprintf(stderr, "dlsym burn_in_library: %s\n", dlerror());
		return 1;
	}
	uint64_t lib_ns = 0;
	run_library(burn, duration_ns, &lib_ns);
	uint64_t total = process_cpu_ns();
	printf("GROUND_TRUTH program=dlopen_host pid=%d library=%s library_share_pct=%.2f loaded_at_ns=%llu\n",
	       getpid(), path, 100.0 * lib_ns / total, (unsigned long long)loaded_at);
	return 0;
}
