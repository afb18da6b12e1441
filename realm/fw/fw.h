/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The realm firmware: runs at EL2 below an unmodified Linux arm64 kernel
 * on QEMU virt and answers the kernel's SMCs (SMCCC, PSCI, RSI) so that
 * the kernel believes it is a realm guest.  No RMM, no granule protection:
 * see ../README.md.
 */
#ifndef REALM_FW_H
#define REALM_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

#define BIT(n)			(1UL << (n))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define ALIGNED(x, a)		(((x) & ((a) - 1)) == 0)

#define MAX_CPUS		8
#define STACK_SIZE		0x4000

/*
 * The run's layout, written into memory by QEMU before the first
 * instruction (scripts/realm.sh: one "-device loader,data=" per field),
 * so that the layout lives in one place, the runner.
 */
#define PARAMS_ADDR		0x60000000UL
#define PARAMS_MAGIC		0x31574650534d4c52UL	/* "RLMSPFW1" */

struct fw_params {
	u64 magic;
	u64 kernel_entry;	/* the Image's load address */
	u64 dtb;		/* passed to the kernel in x0 */
	u64 ram_base;		/* the private RAM the kernel owns */
	u64 ram_size;
	u64 pool_base;		/* restricted DMA pool, 0 if none */
	u64 pool_size;
	u64 ipa_bits;		/* reported by RSI_REALM_CONFIG */
	u64 uart;		/* PL011 shared with the kernel's console */
	u64 enforce;		/* stage 2 follows the RIPAS (stage2.c) */
};

extern const volatile struct fw_params *params;

/* Saved by the lower-EL synchronous vector (start.S), restored by ERET. */
struct trap_frame {
	u64 x[31];
	u64 elr;
	u64 spsr;
	u64 pad;
};

#define read_sysreg(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(v, r) asm volatile("msr " #r ", %0" : : "r"((u64)(v)))
#define isb() asm volatile("isb" ::: "memory")
#define dsb(opt) asm volatile("dsb " #opt ::: "memory")

/* Counters bumped by any vCPU. */
static inline void count(u64 *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static inline u32 mmio_read32(u64 addr)
{
	return *(volatile u32 *)addr;
}

static inline void mmio_write32(u64 addr, u32 val)
{
	*(volatile u32 *)addr = val;
}

/* start.S */
extern char vectors[];
extern char secondary_entry[];
void __attribute__((noreturn)) enter_el1(u64 entry, u64 x0, u64 sp);
u64 qemu_psci(u64 fid, u64 a1, u64 a2, u64 a3);
u64 stack_top(unsigned int cpu);
void spin_lock(u32 *lock);
void spin_unlock(u32 *lock);

/* main.c */
unsigned int this_cpu(void);
unsigned int mpidr_to_cpu(u64 mpidr);
void cpu_init_el2(void);
void __attribute__((noreturn)) fw_fatal(const char *why);

/* console.c */
void console_init(u64 base);
void fw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* smccc.c: the SMCCC function-id space and its bookkeeping */
#define SMCCC_RET_SUCCESS		0UL
#define SMCCC_RET_NOT_SUPPORTED		((u64)-1)
#define SMCCC_RET_INVALID_PARAMETER	((u64)-3)

#define SMCCC_VERSION			0x80000000U
#define SMCCC_ARCH_FEATURES		0x80000001U

void trap_sync(struct trap_frame *f);
void smccc_unimplemented(struct trap_frame *f, const char *what);
void smccc_absent(struct trap_frame *f, const char *what);
void smccc_report(void);

/* psci.c */
bool psci_call(struct trap_frame *f, u32 fid);
bool psci_has(u32 fid);
void __attribute__((noreturn)) secondary_main(void);

/* rsi.c */
enum ripas {
	RIPAS_EMPTY = 0,
	RIPAS_RAM = 1,
	RIPAS_DESTROYED = 2,
	RIPAS_DEV = 3,
};

void rsi_init(void);
u8 rsi_ripas(u64 ipa);
bool rsi_call(struct trap_frame *f, u32 fid);
void rsi_report(void);
bool rsi_version_seen(void);

/* stage2.c: the enforcing mode */
void stage2_init(u64 ram_base, u64 ram_size, u64 ipa_bits, u64 dtb);
void stage2_cpu_init(void);
void stage2_ripas_changed(u64 ipa, u8 from, u8 to);
void stage2_sync(void);
void __attribute__((noreturn)) stage2_fault(struct trap_frame *f, u64 esr, bool fetch);
void stage2_report(void);

#endif /* REALM_FW_H */
