/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCB: a 4 KiB control area and state save area (AMD APM vol. 2,
 * appendix B; the same layout as Linux's arch/x86/include/asm/svm.h),
 * and the exit codes the hypervisor knows.
 */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include "hv.h"

struct vmcb_seg {
	u16 selector;
	u16 attrib;		/* type, S, DPL, P, AVL, L, D/B, G: 12 bits */
	u32 limit;
	u64 base;
};

struct vmcb_control {
	u32 intercept_cr;	/* 0x000: reads 15:0, writes 31:16 */
	u32 intercept_dr;	/* 0x004 */
	u32 intercept_exc;	/* 0x008: one bit per exception vector */
	u32 intercept_misc1;	/* 0x00c */
	u32 intercept_misc2;	/* 0x010 */
	u32 intercept_misc3;	/* 0x014 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_thresh;
	u16 pause_filter_count;
	u64 iopm_base_pa;	/* 0x040 */
	u64 msrpm_base_pa;	/* 0x048 */
	u64 tsc_offset;		/* 0x050 */
	u32 asid;		/* 0x058 */
	u8 tlb_control;		/* 0x05c */
	u8 reserved_05d[3];
	u32 int_ctl;		/* 0x060: V_TPR, V_IRQ, V_INTR_MASKING ... */
	u32 int_vector;		/* 0x064 */
	u32 int_state;		/* 0x068: interrupt shadow */
	u8 reserved_06c[4];
	u64 exit_code;		/* 0x070 */
	u64 exit_info1;		/* 0x078 */
	u64 exit_info2;		/* 0x080 */
	u32 exit_int_info;	/* 0x088 */
	u32 exit_int_info_err;
	u64 nested_ctl;		/* 0x090: NP_ENABLE, SEV, SEV-ES */
	u64 avic_vapic_bar;	/* 0x098 */
	u64 ghcb_gpa;		/* 0x0a0 */
	u32 event_inj;		/* 0x0a8 */
	u32 event_inj_err;
	u64 nested_cr3;		/* 0x0b0 */
	u64 virt_ext;		/* 0x0b8 */
	u32 clean;		/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;		/* 0x0c8: only with NRIPS, which QEMU lacks */
	u8 insn_len;		/* 0x0d0: only with decode assists */
	u8 insn_bytes[15];
	u8 reserved_0e0[0x400 - 0x0e0];
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs;	/* 0x400 */
	struct vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x460 */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;			/* 0x4cb */
	u8 reserved_4cc[4];
	u64 efer;		/* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;		/* 0x548 */
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;		/* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;		/* 0x5d8 */
	u64 s_cet, ssp, isst_addr;
	u64 rax;		/* 0x5f8 */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 cr2;		/* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;		/* 0x668 */
	u8 reserved_670[0x1000 - 0x670];
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

_Static_assert(offsetof(struct vmcb, control.exit_code) == 0x070, "VMCB layout");
_Static_assert(offsetof(struct vmcb, control.nested_cr3) == 0x0b0, "VMCB layout");
_Static_assert(offsetof(struct vmcb, control.insn_len) == 0x0d0, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.cpl) == 0x4cb, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.efer) == 0x4d0, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.cr4) == 0x548, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.rip) == 0x578, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.rsp) == 0x5d8, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.rax) == 0x5f8, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.cr2) == 0x640, "VMCB layout");
_Static_assert(offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB size");

/* intercept_misc1 */
#define INT_CTL_V_IRQ		BIT(8)
#define INT_CTL_V_PRIO_SHIFT	16
#define INT_CTL_V_IGN_TPR	BIT(20)

#define INTERCEPT_CPUID		BIT(18)
#define INTERCEPT_HLT		BIT(24)
#define INTERCEPT_IOIO		BIT(27)
#define INTERCEPT_MSR		BIT(28)
#define INTERCEPT_SHUTDOWN	BIT(31)
/* intercept_misc2 */
#define INTERCEPT_VMRUN		BIT(0)

#define TLB_FLUSH_ALL		1
#define NESTED_NP_ENABLE	BIT(0)

/* EVENTINJ and EXITINTINFO */
#define EVENT_VECTOR(e)		((e) & 0xff)
#define EVENT_TYPE_EXC		(3U << 8)
#define EVENT_ERR_VALID		BIT(11)
#define EVENT_VALID		(1U << 31)

/* Exit codes */
#define VMEXIT_EXC(v)		(0x40 + (v))
#define VMEXIT_INTR		0x60
#define VMEXIT_NMI		0x61
#define VMEXIT_CPUID		0x72
#define VMEXIT_HLT		0x78
#define VMEXIT_IOIO		0x7b
#define VMEXIT_MSR		0x7c
#define VMEXIT_SHUTDOWN		0x7f
#define VMEXIT_VMRUN		0x80
#define VMEXIT_VMMCALL		0x81
#define VMEXIT_NPF		0x400
#define VMEXIT_INVALID		((u64)-1)

/* EXITINFO1 of a nested page fault: a #PF error code. */
#define NPF_WRITE		BIT(1)
#define NPF_FETCH		BIT(4)

#define VEC_UD			6
#define VEC_GP			13

#endif /* SVM_VMCB_H */
