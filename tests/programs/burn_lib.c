/* libloadprof_burn.so: the code dlopen_host loads at run time and burns CPU
 * in: burn_in_library -> library_hot. */
#include "program_util.h"

__attribute__((noinline)) uint64_t library_hot(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 1000000; i++)
		BURN_STEP(x);
	return x;
}

__attribute__((noinline, visibility("default"))) uint64_t burn_in_library(uint64_t seed)
{
	return library_hot(seed) + 1;
}
