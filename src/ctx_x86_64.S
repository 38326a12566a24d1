/*
** Context switch for x86-64, System V ABI.
**
** cogen_ctx_swap(void **save, void *load)
**   pushes the callee-saved state on the current stack, stores the stack
**   pointer in *save, loads 'load' as stack pointer and pops the state that
**   an earlier swap (or cogen_ctx_make) left there. Caller-saved registers
**   need no saving: the C caller already assumes the call clobbers them.
**
** The ABI makes rbx, rbp, r12-r15 callee-saved, and also the control bits
** of MXCSR (SSE rounding, exception masks) and of the x87 control word.
** This file carries no GNU property note on purpose: the switch does not
** maintain CET shadow stacks, so the linked module must not claim them.
*/
#if defined(__x86_64__) && !defined(COGEN_FALLBACK)

	.text
	.globl	cogen_ctx_swap
	.hidden	cogen_ctx_swap
	.type	cogen_ctx_swap, @function
	.p2align 4
cogen_ctx_swap:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp		/* one slot: MXCSR (low half), x87 CW */
	.cfi_adjust_cfa_offset 8
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)		/* *save = this stack */
	movq	%rsi, %rsp		/* now on the other stack */
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	/*
	** Return with pop and an indirect jump, not ret: ctx_jump (ctx.h)
	** enters with a jump and no call, so the CPU's return-address
	** predictor holds no entry for this return. rcx is caller-saved.
	*/
	popq	%rcx
	jmpq	*%rcx
	.cfi_endproc
	.size	cogen_ctx_swap, .-cogen_ctx_swap

/*
** First code run on a new stack: cogen_ctx_make left the argument in r12
** and the entry function in r13. rip is marked undefined so that debuggers
** and unwinders stop here instead of walking into garbage. The entry
** function is entered as if called, but by a jump after a null return
** address: a call would leave an entry on the CPU's return-address
** predictor that no return ever takes, and the resumer's returns after the
** context's last switch would each be predicted one frame off.
*/
	.globl	cogen_ctx_boot
	.hidden	cogen_ctx_boot
	.type	cogen_ctx_boot, @function
	.p2align 4
cogen_ctx_boot:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	pushq	$0
	jmpq	*%r13			/* never returns */
	.cfi_endproc
	.size	cogen_ctx_boot, .-cogen_ctx_boot

#endif

#if defined(__linux__) && defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
