// Loader and caller of bpf/ksym.bpf.c: addresses in through the program's
// .bss, one BPF_PROG_TEST_RUN per batch, texts out through the same .bss.
#include "loadprof/collect/kernel_symbol_lookup.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ksym.h"
#include "ksym.skel.h"
#include "privilege.h"

namespace loadprof::collect {

Result<std::unique_ptr<KernelSymbolLookup>> KernelSymbolLookup::open() {
  std::unique_ptr<KernelSymbolLookup> lookup(new KernelSymbolLookup());
  lookup->skel_ = ksym::open_and_load();
  if (!lookup->skel_) {
    const int err = errno;
    if (err == EPERM || err == EACCES) return permission_error("load BPF program ksym", err);
    return errno_error(ErrorKind::internal, "load BPF program ksym", err);
  }
  if (!lookup->skel_->bss) return make_error(ErrorKind::internal, "BPF program ksym: .bss not mapped");
  return lookup;
}

KernelSymbolLookup::~KernelSymbolLookup() {
  if (skel_) ksym::destroy(skel_);
}

Result<std::vector<std::string>> KernelSymbolLookup::describe(std::span<const uint64_t> addresses) {
  std::vector<std::string> texts;
  texts.reserve(addresses.size());
  auto* bss = skel_->bss;
  const int fd = bpf_program__fd(skel_->progs.describe_addresses);
  for (size_t done = 0; done < addresses.size();) {
    const size_t n = std::min<size_t>(addresses.size() - done, LP_KSYM_BATCH);
    std::copy_n(addresses.begin() + static_cast<std::ptrdiff_t>(done), n, bss->addresses);
    for (size_t i = 0; i < n; ++i) bss->texts[i][0] = '\0';
    bss->count = static_cast<uint32_t>(n);
    LIBBPF_OPTS(bpf_test_run_opts, opts);
    if (int err = bpf_prog_test_run_opts(fd, &opts); err != 0)
      return errno_error(ErrorKind::internal, "run BPF program ksym", -err);
    for (size_t i = 0; i < n; ++i)
      texts.emplace_back(bss->texts[i], strnlen(bss->texts[i], LP_KSYM_TEXT_BYTES));
    done += n;
  }
  return texts;
}

}  // namespace loadprof::collect
