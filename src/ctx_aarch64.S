/*
** Context switch for AArch64, AAPCS64.
**
** cogen_ctx_swap(void **save, void *load): same contract as on x86-64.
** Callee-saved: x19-x28, the frame pointer x29, the link register x30
** (it holds our return address), sp, the low 64 bits of v8-v15 (d8-d15)
** and FPCR (rounding mode, flush-to-zero). 176 bytes keep sp 16-aligned.
** No GNU property note: the switch knows nothing of BTI or GCS, so the
** module must not claim them.
*/
#if defined(__aarch64__) && !defined(COGEN_FALLBACK)

	.text
	.globl	cogen_ctx_swap
	.hidden	cogen_ctx_swap
	.type	cogen_ctx_swap, %function
	.p2align 4
cogen_ctx_swap:
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8,  d9,  [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x9, sp
	str	x9, [x0]		/* *save = this stack */
	mov	sp, x1			/* now on the other stack */
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8,  d9,  [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x9, [sp, #160]
	msr	fpcr, x9
	add	sp, sp, #176
	/* to x30 of the other context, by a plain branch: ctx_jump (ctx.h)
	** enters with one, so the return predictor holds nothing for us */
	br	x30
	.size	cogen_ctx_swap, .-cogen_ctx_swap

/* First code on a new stack: argument in x19, entry function in x20. */
	.globl	cogen_ctx_boot
	.hidden	cogen_ctx_boot
	.type	cogen_ctx_boot, %function
	.p2align 4
cogen_ctx_boot:
	.cfi_startproc
	.cfi_undefined x30
	mov	x29, #0
	mov	x30, #0			/* entered as if called, but by a branch: */
	mov	x0, x19			/* no return predictor entry is left */
	br	x20			/* never returns */
	.cfi_endproc
	.size	cogen_ctx_boot, .-cogen_ctx_boot

#endif

#if defined(__linux__) && defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
