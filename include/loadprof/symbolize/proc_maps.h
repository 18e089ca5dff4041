// /proc/PID/maps as capture::Mapping records: the snapshot taken when a
// process is attached (later changes come from perf mmap2 records).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::symbolize {

// Parses the text of /proc/PID/maps; every line becomes a Mapping valid from
// time_ns (build_id left empty: the symbolizer reads it from the file).
// Malformed lines are skipped.
std::vector<capture::Mapping> parse_proc_maps(std::string_view text, uint32_t pid, uint64_t time_ns);

// Reads /proc/PID/maps. ErrorKind::target_gone when the process does not exist.
[[nodiscard]] Result<std::vector<capture::Mapping>> read_proc_maps(uint32_t pid, uint64_t time_ns);

}  // namespace loadprof::symbolize
