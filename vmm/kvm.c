// SPDX-License-Identifier: GPL-2.0
/*
 * KVM set-up: a protected VM with one memory slot, an in-kernel GICv3 and
 * NR_VCPUS vCPUs that use the in-kernel PSCI.
 *
 * pKVM (kvm-arm.mode=protected) only lets a protected VM use a short list
 * of VM ioctls (kvm_pkvm_ext_allowed() in arch/arm64/include/asm/kvm_pkvm.h):
 * no KVM_ARM_SET_DEVICE_ADDR, so the GIC is placed through its device
 * attributes; no read-only slots or dirty logging.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

/* Linux 7.1 uapi; the cross toolchain's headers are older. */
#ifndef KVM_VM_TYPE_ARM_PROTECTED
#define KVM_VM_TYPE_ARM_PROTECTED	(1UL << 31)
#endif

#define CORE_REG(name)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(name))

void kvm_create_vm(struct vm *vm)
{
	int ret;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die("cannot open /dev/kvm: %s", strerror(errno));
	ret = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION)
		die("KVM API version %d, expected %d", ret, KVM_API_VERSION);

	/* IPA size 0: the default 40 bits, plenty for this layout. */
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, KVM_VM_TYPE_ARM_PROTECTED);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM(protected) failed: %s%s", strerror(errno),
		    errno == EINVAL ? " (host not booted with kvm-arm.mode=protected?)" : "");

	ret = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
	vm->run_size = ret;
}

void kvm_add_ram(struct vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = RAM_BASE,
		.memory_size = RAM_SIZE,
		.userspace_addr = (uintptr_t)vm->ram,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION failed: %s", strerror(errno));
}

static void gic_attr(struct vm *vm, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	if (ioctl(vm->gic_fd, KVM_SET_DEVICE_ATTR, &a))
		die("GICv3 attribute %u/%llu: %s", group,
		    (unsigned long long)attr, strerror(errno));
}

/* The GIC exists before the vCPUs; it is initialised after them. */
void kvm_create_gic(struct vm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GIC_DIST_BASE, redist = GIC_REDIST_BASE;

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev))
		die("cannot create the in-kernel GICv3: %s", strerror(errno));
	vm->gic_fd = dev.fd;
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
}

void kvm_init_gic(struct vm *vm)
{
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

static void set_reg(struct vcpu *vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg))
		die("vCPU %d: KVM_SET_ONE_REG 0x%llx: %s", vcpu->id,
		    (unsigned long long)id, strerror(errno));
}

/* For failure reports only; 0 if KVM will not say. */
uint64_t kvm_get_pc(struct vcpu *vcpu)
{
	uint64_t val = 0;
	struct kvm_one_reg reg = { .id = CORE_REG(regs.pc), .addr = (uintptr_t)&val };

	ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg);
	return val;
}

/*
 * vCPU 0 starts at the kernel with x0 = DTB (arm64 boot protocol; KVM's
 * reset state already has EL1h with interrupts masked and x1-x3 = 0).
 * The others start powered off; the guest starts them with PSCI CPU_ON,
 * which KVM handles in the kernel.
 */
void kvm_create_vcpus(struct vm *vm)
{
	struct kvm_vcpu_init init;
	int i;

	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET failed: %s", strerror(errno));

	for (i = 0; i < NR_VCPUS; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (vcpu->fd < 0)
			die("KVM_CREATE_VCPU %d failed: %s", i, strerror(errno));
		vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, vcpu->fd, 0);
		if (vcpu->run == MAP_FAILED)
			die("cannot map kvm_run of vCPU %d: %s", i, strerror(errno));

		memset(init.features, 0, sizeof(init.features));
		init.features[0] = 1U << KVM_ARM_VCPU_PSCI_0_2;
		if (i)
			init.features[0] |= 1U << KVM_ARM_VCPU_POWER_OFF;
		if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init))
			die("KVM_ARM_VCPU_INIT %d failed: %s", i, strerror(errno));
	}
	set_reg(&vm->vcpus[0], CORE_REG(regs.pc), vm->entry);
	set_reg(&vm->vcpus[0], CORE_REG(regs.regs[0]), DTB_BASE);
}

/* A level-triggered SPI: virtio-mmio's interrupt follows InterruptStatus. */
void kvm_set_irq(struct vm *vm, unsigned int spi, bool level)
{
	struct kvm_irq_level irq = {
		.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT |
		       (32 + spi) << KVM_ARM_IRQ_NUM_SHIFT,
		.level = level,
	};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq))
		die("KVM_IRQ_LINE SPI %u: %s", spi, strerror(errno));
}
