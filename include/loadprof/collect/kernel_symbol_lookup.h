// Kernel addresses -> the kernel's own symbol text, asked of the kernel through
// a BPF program (bpf/ksym.bpf.c) instead of reading /proc/kallsyms: a recording
// looks up the few hundred kernel addresses its stacks hold for about a
// microsecond each, where reading and parsing kallsyms costs ~100 ms of CPU at
// the start of every recording, on the machine being measured.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "loadprof/util/result.h"

struct ksym;

namespace loadprof::collect {

class KernelSymbolLookup {
 public:
  // Loads the program; an error when the kernel refuses it (no BPF, an old
  // kernel without BPF_PROG_TYPE_SYSCALL or bpf_snprintf): the caller falls
  // back to /proc/kallsyms.
  static Result<std::unique_ptr<KernelSymbolLookup>> open();
  ~KernelSymbolLookup();
  KernelSymbolLookup(const KernelSymbolLookup&) = delete;
  KernelSymbolLookup& operator=(const KernelSymbolLookup&) = delete;

  // One text per address, as printk's %pS prints it: "name+0xoff/0xsize" or
  // "name+0xoff/0xsize [module]"; "0x..." when no symbol covers the address.
  [[nodiscard]] Result<std::vector<std::string>> describe(std::span<const uint64_t> addresses);

 private:
  KernelSymbolLookup() = default;
  struct ksym* skel_ = nullptr;
};

}  // namespace loadprof::collect
