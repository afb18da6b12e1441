// SPDX-License-Identifier: GPL-2.0
/*
 * The two library calls gcc may emit on its own, even with -ffreestanding
 * (structure copies and clears), so they must exist; plain byte loops,
 * the hypervisor copies one small image at boot and nothing else.
 */
#include "hv.h"

void *memset(void *dst, int c, size_t n)
{
	u8 *d = dst;

	while (n--)
		*d++ = (u8)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
