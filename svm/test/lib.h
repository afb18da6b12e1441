/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hypervisor's test guests share (lib.c, head.S): KTAP on COM1,
 * an IDT whose #UD and #GP handlers count the fault and step over it.
 */
#ifndef SVM_TEST_LIB_H
#define SVM_TEST_LIB_H

#include "../include/x86.h"

#define VEC_UD			6
#define VEC_GP			13
#define VEC_USER_RETURN		0x81	/* ring 3 back to run_user() (user.S) */

/* Set by head.S's handlers; fault_skip is set by the case that expects one. */
extern volatile u64 fault_vector, fault_count, fault_skip;

void idt_init(void);
bool idt_set(unsigned int vector, struct idt_entry entry);
void puts_uart(const char *s);
void ktap_plan(unsigned int nr_cases);
void expect(const char *name, bool ok, u64 got);

#endif /* SVM_TEST_LIB_H */
