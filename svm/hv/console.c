// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's lines on COM1, the 16550 UART the guest writes to as
 * well (the guest's port I/O to it reaches QEMU directly).  One vCPU and
 * the hypervisor prints only while the guest is stopped in an exit, so a
 * line is never split by the guest's; each line is built in a buffer
 * first and starts with "hv: " (the format may name a part of the
 * hypervisor next: "hv: npt: ...") so the runner can tell them apart.
 * Polled: the hypervisor runs with interrupts off.
 */
#include <stdarg.h>

#include "hv.h"

#define UART_THR	0	/* transmit holding register */
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_DLL	0	/* with LCR.DLAB */
#define UART_DLM	1
#define LCR_8N1		0x03
#define LCR_DLAB	0x80

#define LINE_MAX	512

void console_init(void)
{
	/*
	 * 115200 8N1, FIFOs on, no interrupts.  QEMU ignores the rate; a
	 * real UART would not, and the guest finds the port as a firmware
	 * would leave it.
	 */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);
	outb(COM1 + UART_MCR, 0x03);
}

static void putc_raw(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1 + UART_THR, (u8)c);
}

struct line {
	char buf[LINE_MAX];
	unsigned int len;
};

static void flush(struct line *l)
{
	for (unsigned int i = 0; i < l->len; i++) {
		if (l->buf[i] == '\n')
			putc_raw('\r');
		putc_raw(l->buf[i]);
	}
	l->len = 0;
}

static void put(struct line *l, char c)
{
	/* A line longer than the buffer goes out in pieces, still whole. */
	if (l->len == LINE_MAX)
		flush(l);
	l->buf[l->len++] = c;
	if (c == '\n')
		flush(l);
}

static void put_str(struct line *l, const char *s)
{
	while (*s)
		put(l, *s++);
}

static void put_num(struct line *l, u64 v, unsigned int base, int width)
{
	char tmp[24];
	int i = 0;

	/* 64 bits are at most 20 decimal digits: a wider pad is cut. */
	if (width > (int)sizeof(tmp))
		width = sizeof(tmp);
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i < width)
		tmp[i++] = '0';
	while (i)
		put(l, tmp[--i]);
}

/*
 * A printf for what the hypervisor prints: %s, %c, %u/%x (32 bits) and
 * %lu/%lx/%llx (64 bits), %% and a zero-padded width ("%08x").  No
 * signed numbers: the hypervisor never prints a negative one.
 */
void hv_printf(const char *fmt, ...)
{
	struct line l = { .len = 0 };
	va_list ap;
	int width;
	bool wide;

	put_str(&l, "hv: ");
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&l, *fmt);
			continue;
		}
		fmt++;
		width = 0;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		wide = false;
		while (*fmt == 'l') {
			wide = true;
			fmt++;
		}
		if (!*fmt)	/* a '%' at the end: stop at the terminator */
			break;
		switch (*fmt) {
		case 's':
			put_str(&l, va_arg(ap, const char *));
			break;
		case 'c':
			put(&l, (char)va_arg(ap, int));
			break;
		case 'u':
		case 'x':
			put_num(&l, wide ? va_arg(ap, u64) : va_arg(ap, unsigned int),
				*fmt == 'u' ? 10 : 16, width);
			break;
		case '%':
			put(&l, '%');
			break;
		default:
			put(&l, '?');
			break;
		}
	}
	va_end(ap);
	flush(&l);
}
