// A SystemAccess that forwards everything to the real one under a lock (the
// symbolizing thread and the recorder's thread both use it), except kernel
// addresses, which it asks the kernel about through BPF.
#include "recording_system_access.h"

#include <mutex>

#include "loadprof/collect/kernel_symbol_lookup.h"
#include "loadprof/util/log.h"

namespace loadprof::record {
namespace {

class RecordingSystemAccess final : public symbolize::SystemAccess {
 public:
  RecordingSystemAccess(std::unique_ptr<symbolize::SystemAccess> inner,
                        std::unique_ptr<collect::KernelSymbolLookup> kernel)
      : inner_(std::move(inner)), kernel_(std::move(kernel)) {}

  void note_process(uint32_t pid) override {
    std::lock_guard lock(mutex_);
    inner_->note_process(pid);
  }
  Result<std::string> read_kallsyms() override {
    std::lock_guard lock(mutex_);
    return inner_->read_kallsyms();
  }
  std::optional<std::vector<std::string>> describe_kernel_addresses(
      std::span<const uint64_t> addresses) override {
    std::lock_guard lock(mutex_);
    if (!kernel_) return std::nullopt;
    auto texts = kernel_->describe(addresses);
    if (!texts.ok()) {
      log::debug("kernel symbols through BPF failed, reading /proc/kallsyms: " + texts.error().message);
      return std::nullopt;
    }
    return std::move(texts).value();
  }
  symbolize::PerfMapText read_perf_map(uint32_t pid) override {
    std::lock_guard lock(mutex_);
    return inner_->read_perf_map(pid);
  }
  std::vector<symbolize::ElfCandidate> elf_candidates(const capture::Mapping& mapping) override {
    std::lock_guard lock(mutex_);
    return inner_->elf_candidates(mapping);
  }
  Result<UniqueFd> open_elf(uint32_t pid, const symbolize::ElfCandidate& candidate) override {
    std::lock_guard lock(mutex_);
    return inner_->open_elf(pid, candidate);
  }

 private:
  std::mutex mutex_;  // the symbolizing thread and the recorder's (note_process) share it
  std::unique_ptr<symbolize::SystemAccess> inner_;
  std::unique_ptr<collect::KernelSymbolLookup> kernel_;  // null: kallsyms
};

}  // namespace

std::unique_ptr<symbolize::SystemAccess> make_recording_system_access() {
  auto kernel = collect::KernelSymbolLookup::open();
  std::unique_ptr<collect::KernelSymbolLookup> lookup;
  if (kernel.ok())
    lookup = std::move(kernel).value();
  else
    log::debug("kernel symbols from /proc/kallsyms: " + kernel.error().message);
  return std::make_unique<RecordingSystemAccess>(symbolize::make_system_access(), std::move(lookup));
}

}  // namespace loadprof::record
