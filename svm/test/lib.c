// SPDX-License-Identifier: GPL-2.0
/*
 * What the hypervisor's test guests share: KTAP lines on COM1 (port I/O,
 * straight to QEMU) and an IDT with head.S's #UD and #GP handlers, and
 * room for the gate that brings the TDX test back from ring 3 (user.S).
 */
#include "lib.h"

/* head.S */
extern char ud_entry[], gp_entry[];
volatile u64 fault_vector, fault_count, fault_skip;

static struct idt_entry idt[VEC_USER_RETURN + 1] __aligned(16);
static unsigned int nr_case;

static void putc_uart(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1, (u8)c);
}

void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void put_hex(u64 v)
{
	puts_uart("0x");
	for (int i = 60; i >= 0; i -= 4)
		putc_uart("0123456789abcdef"[(v >> i) & 0xf]);
}

static void put_dec(unsigned int v)
{
	if (v >= 10)
		put_dec(v / 10);
	putc_uart('0' + v % 10);
}

void expect(const char *name, bool ok, u64 got)
{
	puts_uart(ok ? "ok " : "not ok ");
	put_dec(++nr_case);
	puts_uart(" ");
	puts_uart(name);
	if (!ok) {
		puts_uart(" # got ");
		put_hex(got);
	}
	puts_uart("\n");
}

void ktap_plan(unsigned int nr_cases)
{
	puts_uart("KTAP version 1\n1..");
	put_dec(nr_cases);
	puts_uart("\n");
}

void idt_init(void)
{
	u16 cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	idt[VEC_UD] = idt_gate(cs, ud_entry);
	idt[VEC_GP] = idt_gate(cs, gp_entry);
	load_idt(idt, sizeof(idt));
}

/* The IDT is loaded already: a gate set here takes effect at once. */
bool idt_set(unsigned int vector, struct idt_entry entry)
{
	if (vector >= ARRAY_SIZE(idt))
		return false;
	idt[vector] = entry;
	return true;
}
