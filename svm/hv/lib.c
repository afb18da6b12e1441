// SPDX-License-Identifier: GPL-2.0
/*
 * Copies and fills: the two library calls gcc may emit on its own, even
 * with -ffreestanding (structure copies and clears), and the same by
 * physical address, where an address may be 0 (the guest's first page),
 * which C must not dereference.  REP MOVSB/STOSB: the hypervisor copies a
 * kernel and poisons the guest's RAM at launch, and TCG runs string
 * instructions far faster than a loop.
 */
#include "hv.h"

void hpa_copy(u64 dst, u64 src, u64 n)
{
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

void hpa_fill(u64 dst, u8 c, u64 n)
{
	asm volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
}

void *memset(void *dst, int c, size_t n)
{
	hpa_fill((u64)dst, (u8)c, n);
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	hpa_copy((u64)dst, (u64)src, n);
	return dst;
}
