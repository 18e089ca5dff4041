/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by every loadprof BPF program: the target process set (a
 * hash of tgids kept current by the fork/exit tracepoints) and per-CPU drop
 * counters. Included by <probe>.bpf.c only.
 */
#ifndef LOADPROF_COMMON_BPF_H
#define LOADPROF_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

#endif /* LOADPROF_COMMON_BPF_H */
