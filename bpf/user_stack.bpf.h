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

/* A stack mapping ends on a page boundary; the largest copy (8192 bytes)
 * crosses at most LP_USER_STACK_BOUNDARIES of them. */
#define LP_USER_STACK_PAGE 4096ULL
#define LP_USER_STACK_BOUNDARIES 3

/* Copies `size` bytes (at most max_bytes) of the current task's user stack
 * from sp into stack[]. When the stack ends closer to sp than that (the main
 * thread near its top: main's own frame is there), the copy reaches exactly
 * its end, the last readable page boundary: a copy halved until it fit lost
 * up to half of the stack, and with it the outermost frames (1 run in ~8 of a
 * test whose stack ended 2-4 KB above sp stopped one frame short of main).
 * Returns the bytes copied, 0 when not even 64 could be. */
static __always_inline __u32 lp_copy_user_stack(__u64 sp, __u8 *stack, __u32 size, __u32 max_bytes)
{
	__u64 end;

	if (size > max_bytes)
		size = max_bytes;
	if (size < 64)
		return 0;
	if (bpf_probe_read_user(stack, size, (void *)sp) == 0)
		return size;
	end = (sp + size - 1) & ~(LP_USER_STACK_PAGE - 1); /* the last boundary below sp + size */
	for (int i = 0; i < LP_USER_STACK_BOUNDARIES; i++) {
		__u64 n = end - sp;

		if (end <= sp || n < 64 || n > max_bytes)
			break;
		if (bpf_probe_read_user(stack, (__u32)n, (void *)sp) == 0)
			return (__u32)n;
		end -= LP_USER_STACK_PAGE;
	}
	return 0;
}

#endif /* LOADPROF_USER_STACK_BPF_H */
