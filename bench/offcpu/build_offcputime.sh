#!/usr/bin/env bash
# Builds libbpf-tools' offcputime (github.com/iovisor/bcc, libbpf-tools/) against
# the system's libbpf and this kernel's vmlinux.h (our build's), into OUT, for
# bench/offcpu/compare.sh. Nothing of it enters loadprof.
#
#   bench/offcpu/build_offcputime.sh BCC_CHECKOUT [OUT=/tmp/offcputime]
#   BCC_CHECKOUT: a bcc source tree (git clone https://github.com/iovisor/bcc)
set -euo pipefail
BCC=${1:?usage: build_offcputime.sh BCC_CHECKOUT [OUT]}
OUT=${2:-/tmp/offcputime}
VMLINUX=${VMLINUX:-$(dirname "$0")/../../build/bpf/vmlinux.h}
[ -f "$VMLINUX" ] || { echo "no vmlinux.h at $VMLINUX (build loadprof first)" >&2; exit 1; }
mkdir -p "$OUT"
for f in offcputime.bpf.c offcputime.c offcputime.h trace_helpers.c trace_helpers.h btf_helpers.c btf_helpers.h \
  compat.bpf.h compat.c compat.h core_fixes.bpf.h errno_helpers.c errno_helpers.h map_helpers.c map_helpers.h \
  uprobe_helpers.c uprobe_helpers.h; do
  cp "$BCC/libbpf-tools/$f" "$OUT/"
done
cp "$VMLINUX" "$OUT/vmlinux.h"
cd "$OUT"
clang -target bpf -D__TARGET_ARCH_x86 -g -O2 -I. -c offcputime.bpf.c -o offcputime.tmp.bpf.o
bpftool gen object offcputime.bpf.o offcputime.tmp.bpf.o
bpftool gen skeleton offcputime.bpf.o > offcputime.skel.h
cc -g -O2 -I. -o offcputime offcputime.c trace_helpers.c btf_helpers.c uprobe_helpers.c compat.c map_helpers.c \
  errno_helpers.c -lbpf -lelf -lz
echo "$OUT/offcputime"
