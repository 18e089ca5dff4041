/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The copy every probe makes of a DWARF target's user context, for user
 * space to unwind (src/symbolize/dwarf_unwinder.cpp): the user registers in
 * DWARF order and the top of the user stack from sp up. One mechanism for
 * the off-CPU switch-outs, the io syscalls and the alloc uprobes. Included
 * by <probe>.bpf.c only, after common.bpf.h.
 */
#ifndef LOADPROF_USER_STACK_BPF_H
#define LOADPROF_USER_STACK_BPF_H

/* DWARF register order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
#define LP_USER_DWARF_REGS 17

static __always_inline void lp_copy_user_regs(const struct pt_regs *regs, __u64 *out)
{
	out[0] = regs->ax;
	out[1] = regs->dx;
	out[2] = regs->cx;
	out[3] = regs->bx;
	out[4] = regs->si;
	out[5] = regs->di;
	out[6] = regs->bp;
	out[7] = regs->sp;
	out[8] = regs->r8;
	out[9] = regs->r9;
	out[10] = regs->r10;
	out[11] = regs->r11;
	out[12] = regs->r12;
	out[13] = regs->r13;
	out[14] = regs->r14;
	out[15] = regs->r15;
	out[16] = regs->ip;
}

/* Copies `size` bytes (a power of two, at most max_bytes) of the current
 * task's user stack from sp into stack[]; a copy that faults (the stack ends
 * closer to sp than that) is retried with half the size, down to 512.
 * Returns the bytes copied, 0 when none could be. */
static __always_inline __u32 lp_copy_user_stack(__u64 sp, __u8 *stack, __u32 size, __u32 max_bytes)
{
	for (int i = 0; i < 5; i++) {
		if (size > max_bytes)
			size = max_bytes;
		if (size < 512)
			break;
		if (bpf_probe_read_user(stack, size, (void *)sp) == 0)
			return size;
		size /= 2;
	}
	return 0;
}

#endif /* LOADPROF_USER_STACK_BPF_H */
