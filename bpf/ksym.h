/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI between bpf/ksym.bpf.c and src/collect/kernel_symbols.cpp: the batch of
 * kernel addresses user space asks about and the text the kernel gives back.
 */
#ifndef LOADPROF_KSYM_H
#define LOADPROF_KSYM_H

/* Addresses per run of the program. */
#define LP_KSYM_BATCH 64
/* "%pS" text per address: "name+0xoff/0xsize [module]"; KSYM_NAME_LEN is 512
 * but text symbols that long do not exist (a cut name is still told apart by
 * its end being missing: user space treats a full buffer as cut). */
#define LP_KSYM_TEXT_BYTES 256

#endif /* LOADPROF_KSYM_H */
