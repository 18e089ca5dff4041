// Address -> frames. User addresses through elfutils libdwfl (function names,
// demangled C++, inline frames expanded, file:line), kernel addresses through
// /proc/kallsyms. Maps are versioned by time per process so a dlopen'ed
// library or an exited child still resolves. Lookups are cached per module.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::symbolize {

class Symbolizer {
 public:
  static std::unique_ptr<Symbolizer> create();
  virtual ~Symbolizer() = default;

  // Every mapping the collector saw, in any order of pids; per pid in time order.
  virtual void add_mapping(const capture::Mapping& mapping) = 0;
  // exec replaces the address space of pid from time_ns on.
  virtual void on_exec(uint32_t pid, uint64_t time_ns) = 0;

  // Appends the frames for one user address, leaf first (inline frames before
  // the function they are inlined into). return_address: look up ip - 1 (every
  // frame but the leaf). Never fails: unresolved -> "module+0xoff", unknown
  // module -> "[unknown]" with the raw address.
  virtual void symbolize_user(uint32_t pid, uint64_t time_ns, uint64_t ip, bool return_address,
                              std::vector<capture::Frame>& out) = 0;
  virtual void symbolize_kernel(uint64_t ip, std::vector<capture::Frame>& out) = 0;
};

}  // namespace loadprof::symbolize
