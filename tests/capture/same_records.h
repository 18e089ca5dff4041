// Record-by-record comparison of two captures, shared by the round-trip and
// corruption tests.
#pragma once

#include <gtest/gtest.h>

#include "loadprof/capture/model.h"

namespace loadprof::capture::testing {

// Every record of got equals want's (one failure per differing kind).
inline void expect_same_records(const Capture& got, const Capture& want) {
  EXPECT_EQ(got.metadata, want.metadata);
  EXPECT_EQ(got.clock_sync, want.clock_sync);
  EXPECT_EQ(got.processes, want.processes);
  EXPECT_EQ(got.threads, want.threads);
  EXPECT_EQ(got.mappings, want.mappings);
  EXPECT_EQ(got.frames, want.frames);
  EXPECT_EQ(got.stacks, want.stacks);
  EXPECT_EQ(got.cpu_samples.size(), want.cpu_samples.size());
  EXPECT_TRUE(got.cpu_samples == want.cpu_samples);
  EXPECT_EQ(got.offcpu, want.offcpu);
  EXPECT_EQ(got.io_syscalls, want.io_syscalls);
  EXPECT_EQ(got.io_devices, want.io_devices);
  EXPECT_EQ(got.allocs, want.allocs);
  EXPECT_EQ(got.alloc_info, want.alloc_info);
  EXPECT_EQ(got.cpu_accounting, want.cpu_accounting);
  EXPECT_EQ(got.requests, want.requests);
  EXPECT_EQ(got.resources, want.resources);
  EXPECT_EQ(got.sockets, want.sockets);
  EXPECT_EQ(got.drops, want.drops);
  EXPECT_EQ(got.end, want.end);
}

}  // namespace loadprof::capture::testing
