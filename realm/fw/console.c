// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware's own lines on the PL011 the kernel also uses as its
 * console.  Whole lines are written under a lock, so a line from one
 * vCPU is never split by another; the kernel's output may still come
 * between two lines.  Polled, no interrupts: the firmware only prints
 * at boot, on an unexpected call and at power-off.
 */
#include <stdarg.h>

#include "fw.h"

#define UARTDR		0x000
#define UARTFR		0x018
#define UARTCR		0x030
#define UARTFR_TXFF	BIT(5)
#define UARTCR_EN	(BIT(0) | BIT(8) | BIT(9))	/* UARTEN, TXE, RXE */

static u64 uart;
static u32 console_lock;

void console_init(u64 base)
{
	uart = base;
	/* Before the kernel's driver takes over, make sure it transmits. */
	if ((mmio_read32(uart + UARTCR) & UARTCR_EN) != UARTCR_EN)
		mmio_write32(uart + UARTCR, UARTCR_EN);
}

static void putc_raw(char c)
{
	if (!uart)
		return;
	while (mmio_read32(uart + UARTFR) & UARTFR_TXFF)
		;
	mmio_write32(uart + UARTDR, (u8)c);
}

static void put_str(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_raw('\r');
		putc_raw(*s);
	}
}

static void put_num(u64 v, unsigned int base, int width)
{
	char buf[24];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i < width)
		buf[i++] = '0';
	while (i)
		putc_raw(buf[--i]);
}

/*
 * A printf for what the firmware prints: %s, %c, %d/%u/%x with an
 * optional l or ll (all taken as 64 bits), %% and a zero-padded width
 * for %x ("%08x").  %d of a negative value is not needed anywhere.
 */
void fw_printf(const char *fmt, ...)
{
	va_list ap;
	int width;

	va_start(ap, fmt);
	spin_lock(&console_lock);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			if (*fmt == '\n')
				putc_raw('\r');
			putc_raw(*fmt);
			continue;
		}
		fmt++;
		width = 0;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l')
			fmt++;
		switch (*fmt) {
		case 's':
			put_str(va_arg(ap, const char *));
			break;
		case 'c':
			putc_raw((char)va_arg(ap, int));
			break;
		case 'd':
		case 'u':
			put_num(va_arg(ap, u64), 10, width);
			break;
		case 'x':
			put_num(va_arg(ap, u64), 16, width);
			break;
		case '%':
			putc_raw('%');
			break;
		default:
			putc_raw('?');
			break;
		}
	}
	spin_unlock(&console_lock);
	va_end(ap);
}
