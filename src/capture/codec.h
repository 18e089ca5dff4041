// Record encodings inside a chunk payload (docs/CAPTURE_FORMAT.md, "Records").
// Encoders turn a batch of model records into one chunk payload; decode_chunk()
// turns a payload back into records and appends them to a Capture only when
// the whole payload is well formed and consistent with what came before.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::capture {

// Every payload starts with this varint. A reader that meets a higher value
// for a type it knows skips the chunk (counted like an unknown type).
inline constexpr uint64_t kEncodingVersion = 1;

struct EncodedChunk {
  uint16_t type = 0;
  std::string payload;
  uint32_t record_count = 0;
  uint64_t time_min_ns = 0;  // 0/0: no time range
  uint64_t time_max_ns = 0;
};

EncodedChunk encode_metadata(const Metadata& metadata);
EncodedChunk encode_clock_sync(const std::vector<ClockSync>& records);
EncodedChunk encode_processes(const std::vector<Process>& records);
EncodedChunk encode_threads(const std::vector<Thread>& records);
EncodedChunk encode_mappings(const std::vector<Mapping>& records);
EncodedChunk encode_frames(FrameId first_id, const std::vector<Frame>& records);
EncodedChunk encode_stacks(StackId first_id, const std::vector<Stack>& records);
// New frames for stacks already written (ids below the next stack id).
EncodedChunk encode_stack_symbols(const std::vector<std::pair<StackId, Stack>>& records);
EncodedChunk encode_cpu_samples(const std::vector<CpuSample>& records);
EncodedChunk encode_offcpu(const std::vector<OffCpuInterval>& records);
// Syscall records, then device records, in one chunk.
EncodedChunk encode_io_events(const std::vector<IoSyscallRecord>& syscalls,
                              const std::vector<IoDeviceRecord>& devices);
// Allocation records, then the probe's info when given (0 or 1 record), in one chunk.
EncodedChunk encode_allocations(const std::vector<AllocEvent>& events, const AllocInfo* info);
EncodedChunk encode_mmaps(const std::vector<MmapRecord>& records);
EncodedChunk encode_cpu_accounting(const std::vector<CpuAccounting>& records);
// The steal/throttle fields of the rows that have any; no chunk (type 0) when none has.
EncodedChunk encode_cpu_accounting_extra(const std::vector<CpuAccounting>& records);
EncodedChunk encode_requests(const std::vector<RequestRecord>& records);
EncodedChunk encode_resources(const std::vector<ResourceSample>& records);
EncodedChunk encode_sockets(const std::vector<SocketRecord>& records);
EncodedChunk encode_offcpu_wakers(const std::vector<OffCpuWaker>& records);
EncodedChunk encode_drops(const DropCounters& drops);
EncodedChunk encode_unwind(const std::vector<UnwindModule>& modules);
EncodedChunk encode_end(const EndInfo& end);
EncodedChunk encode_load_run(const LoadRun& run);

enum class DecodeStatus { ok, malformed, unsupported_version };

// Where each pid / thread already sits in a Capture, so a later record replaces it.
struct DecodeIndex {
  std::unordered_map<uint32_t, size_t> process_by_pid;
  std::unordered_map<uint64_t, size_t> thread_by_id;  // pid << 32 | tid
};

// Decodes a payload of a known type into `capture` (all or nothing). On
// `malformed`, `why` says what was wrong.
DecodeStatus decode_chunk(uint16_t type, std::string_view payload, uint32_t record_count, Capture& capture,
                          DecodeIndex& index, std::string& why);

}  // namespace loadprof::capture
