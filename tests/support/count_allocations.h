// Counts every heap allocation of the test binary that links
// count_allocations.cpp (which replaces the global operator new family).
#pragma once

#include <cstdint>

namespace loadprof::testing {

// Allocations made so far by any thread.
uint64_t allocations();

}  // namespace loadprof::testing
