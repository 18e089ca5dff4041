// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols without reading /proc/kallsyms: user space writes a batch of
 * kernel addresses into `addresses`, runs this program (BPF_PROG_TEST_RUN) and
 * reads back, per address, the kernel's own "%pS" text ("tcp_sendmsg+0x2d/0x50",
 * "ext4_map_blocks+0x1a/0x5f0 [ext4]", or "0x..." for an address no symbol
 * covers). Each lookup is the kernel's binary search over its symbol table,
 * about a microsecond, where reading /proc/kallsyms formats all ~120,000 lines
 * (~50 ms of kernel time plus the parse) to look up a few hundred addresses.
 */
#include "common.bpf.h"
#include "ksym.h"

char LICENSE[] SEC("license") = "GPL";

__u64 addresses[LP_KSYM_BATCH];
char texts[LP_KSYM_BATCH][LP_KSYM_TEXT_BYTES];
__u32 count;

SEC("syscall")
int describe_addresses(void *ctx)
{
	for (__u32 i = 0; i < LP_KSYM_BATCH; i++) {
		if (i >= count)
			break;
		bpf_snprintf(texts[i], sizeof(texts[i]), "%pS", &addresses[i], sizeof(addresses[i]));
	}
	return 0;
}
