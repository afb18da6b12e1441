/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small VMM for one pKVM protected guest: see README.md, section
 * "pKVM protected guest".  The pieces:
 *
 *   main.c            options, start-up order, the final verdict
 *   kvm.c             the protected VM, its memory slot, GICv3, vCPUs
 *   mem.c             guest RAM, loading Image/initramfs/DTB, checked
 *                     access to guest memory, SIGSEGV reporting
 *   vcpu.c            vCPU threads: KVM_RUN exits, MMIO, PSCI events
 *   virtio-mmio.c     the virtio-mmio (version 2) transport, split rings
 *   virtio-blk.c      the disk
 *   virtio-console.c  the guest console (hvc0) and the stream port
 *   uart.c            a PL011 data register for the guest's earlycon
 */
#ifndef VMM_H
#define VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE	4096UL

struct vm;

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int gic_fd;
	size_t run_size;
	uint8_t *ram;			/* RAM_BASE is at ram[0] */
	uint64_t entry;			/* guest address of the kernel */
	struct vcpu vcpus[NR_VCPUS];

	/* Evidence for the verdict, under stats_lock */
	pthread_mutex_t stats_lock;
	uint64_t pool_pages_used;	/* distinct pool pages the devices touched */
	uint64_t outside_pool;		/* device accesses outside the pool */
	uint8_t pool_used[POOL_SIZE / PAGE_SIZE];
};

/* main.c */
void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...);
void vm_finish(struct vm *vm, const char *how, bool powered_off);

/* kvm.c */
void kvm_create_vm(struct vm *vm);
void kvm_add_ram(struct vm *vm);
void kvm_create_gic(struct vm *vm);
void kvm_create_vcpus(struct vm *vm);
void kvm_init_gic(struct vm *vm);
void kvm_set_irq(struct vm *vm, unsigned int spi, bool level);
uint64_t kvm_get_pc(struct vcpu *vcpu);

/* mem.c */
void mem_init(struct vm *vm);
void mem_load_kernel(struct vm *vm, const char *path);
void mem_load_file(struct vm *vm, const char *path, uint64_t base,
		   uint64_t max, const char *what);
void *guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len, const char *what);
bool guest_page_faults(struct vm *vm, uint64_t gpa);
void mem_count_pool_at_rest(struct vm *vm);
bool mem_report_pool_sharing(struct vm *vm);
void mem_catch_faults(struct vm *vm);

/* vcpu.c */
void vcpus_start(struct vm *vm);

/* uart.c */
void uart_init(int out_fd);
bool uart_access(uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

/* virtio-blk.c, virtio-console.c */
void virtio_blk_create(struct vm *vm, unsigned int slot, const char *disk);
void virtio_console_create(struct vm *vm, unsigned int slot, int out_fd);
void virtio_stream_create(struct vm *vm, unsigned int slot, uint64_t bytes);
bool virtio_stream_report(void);

#endif /* VMM_H */
