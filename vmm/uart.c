// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's boot console: just enough of a PL011 for the kernel's
 * earlycon (earlycon=pl011,mmio32,<UART_BASE>): a write to the data
 * register sends one character, the flag register reads "not busy, FIFO
 * not full".
 *
 * Why it exists: the virtio console drops what the kernel printed before
 * the port was up (the printk replay reaches virtio_console before it
 * knows the port), and those early lines are the ones that show pKVM's
 * hypervisor services and the restricted pool being set up.
 */
#include <string.h>
#include <unistd.h>

#include "vmm.h"

#define UART_DR		0x00
#define UART_FR		0x18

static int out_fd = 1;

void uart_init(int fd)
{
	out_fd = fd;
}

bool uart_access(uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t reg = addr - UART_BASE;

	if (addr < UART_BASE || reg >= UART_SIZE)
		return false;
	if (is_write && reg == UART_DR) {
		/* The guest console's fd is shared with hvc0: one byte, atomic. */
		if (write(out_fd, data, 1) != 1)
			die("cannot write the guest console output");
		return true;
	}
	if (!is_write && reg == UART_FR) {
		memset(data, 0, len);
		return true;
	}
	die("boot console: %u-byte %s at register 0x%llx, only data writes and flag reads are emulated",
	    len, is_write ? "write" : "read", (unsigned long long)reg);
}
