/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hypervisor (hv/) and the guests it runs (test/) need of
 * the CPU: fixed-width types, port I/O, MSRs, CPUID and 64-bit IDT gates.
 * Freestanding: no libc, no kernel headers.
 */
#ifndef SVM_X86_H
#define SVM_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define BIT(n)			(1UL << (n))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define __aligned(a)		__attribute__((aligned(a)))
#define __noreturn		__attribute__((noreturn))

#define PAGE_SIZE		0x1000UL
#define PTE_P			BIT(0)
#define PTE_RW			BIT(1)
#define PTE_US			BIT(2)
#define PTE_PS			BIT(7)
#define PTE_ADDR_MASK		0x000ffffffffff000UL

#define CR0_PG			BIT(31)
#define MSR_EFER		0xc0000080
#define EFER_LMA		BIT(10)
#define MSR_SEV_STATUS		0xc0010131	/* AMD: SEV, SEV-ES, SNP active */
#define CPUID_SVM		BIT(2)		/* 0x80000001 ECX */

/* The TDX module's status for an operand it refuses or a leaf it does not know. */
#define TDX_OPERAND_INVALID	0xc000010000000000UL

#define COM1			0x3f8
#define UART_LSR		5
#define UART_LSR_THRE		0x20

/* outb()/inb(), outw()/inw(), outl()/inl(), as the kernel's BUILDIO makes them. */
#define X86_PORT_IO(bwl, type)						\
static inline void out##bwl(u16 port, type val)				\
{									\
	asm volatile("out" #bwl " %0, %1" : : "a"(val), "Nd"(port));	\
}									\
									\
static inline type in##bwl(u16 port)					\
{									\
	type val;							\
									\
	asm volatile("in" #bwl " %1, %0" : "=a"(val) : "Nd"(port));	\
	return val;							\
}

X86_PORT_IO(b, u8)
X86_PORT_IO(w, u16)
X86_PORT_IO(l, u32)

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((u64)hi << 32);
}

static inline void wrmsr(u32 msr, u64 val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)));
}

static inline void cpuid(u32 leaf, u32 subleaf, u32 r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(subleaf));
}

/*
 * A 64-bit IDT entry; idt_gate() makes a present interrupt gate (type 0xe)
 * that only ring 0 may raise with INT, idt_user_gate() one that ring 3 may.
 */
struct idt_entry {
	u16 offset0;
	u16 selector;
	u8 ist;
	u8 type;
	u16 offset1;
	u32 offset2;
	u32 reserved;
};

static inline struct idt_entry idt_gate(u16 cs, const void *entry)
{
	u64 a = (u64)entry;

	return (struct idt_entry){
		.offset0 = (u16)a,
		.selector = cs,
		.type = 0x8e,
		.offset1 = (u16)(a >> 16),
		.offset2 = (u32)(a >> 32),
	};
}

static inline struct idt_entry idt_user_gate(u16 cs, const void *entry)
{
	struct idt_entry e = idt_gate(cs, entry);

	e.type |= 3 << 5;	/* DPL 3 */
	return e;
}

static inline void load_idt(const struct idt_entry *idt, size_t size)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = { (u16)(size - 1), (u64)idt };

	asm volatile("lidt %0" : : "m"(idtr));
}

#endif /* SVM_X86_H */
