// SPDX-License-Identifier: GPL-2.0
/*
 * One thread per vCPU, each in a KVM_RUN loop.
 *
 * KVM handles PSCI itself (KVM_ARM_VCPU_PSCI_0_2): CPU_ON, CPU_OFF and
 * the like never reach the VMM.  SYSTEM_OFF, SYSTEM_RESET and a crash
 * come back as KVM_EXIT_SYSTEM_EVENT and end the run.  Everything else
 * the VMM sees is MMIO to a virtio-mmio transport or the boot console;
 * any other exit, and MMIO anywhere else, is an error.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "virtio.h"
#include "vmm.h"

static void system_event(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_finish(vcpu->vm, "guest powered off (PSCI SYSTEM_OFF)", true);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		/* The guest runs with panic=-1: a panic ends as a reset. */
		vm_finish(vcpu->vm, "guest reset (PSCI SYSTEM_RESET: a panic?)", false);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_finish(vcpu->vm, "guest crashed (PSCI system event CRASH)", false);
		break;
	default:
		die("vCPU %d: unknown system event %u", vcpu->id,
		    run->system_event.type);
	}
}

static void mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t addr = run->mmio.phys_addr;

	if (!virtio_mmio_access(addr, run->mmio.data, run->mmio.len,
				run->mmio.is_write) &&
	    !uart_access(addr, run->mmio.data, run->mmio.len, run->mmio.is_write))
		die("vCPU %d: unhandled MMIO %s of %u bytes at 0x%llx (pc 0x%llx)",
		    vcpu->id, run->mmio.is_write ? "write" : "read",
		    run->mmio.len, (unsigned long long)addr,
		    (unsigned long long)kvm_get_pc(vcpu));
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct kvm_run *run = vcpu->run;

	for (;;) {
		if (ioctl(vcpu->fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* e.g. EFAULT: pKVM could not map a guest page */
			die("vCPU %d: KVM_RUN failed: %s (pc 0x%llx)", vcpu->id,
			    strerror(errno),
			    (unsigned long long)kvm_get_pc(vcpu));
		}

		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			mmio(vcpu);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			system_event(vcpu);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			die("vCPU %d: entry failed, reason 0x%llx", vcpu->id,
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		case KVM_EXIT_ARM_NISV:
			die("vCPU %d: MMIO at 0x%llx without a valid syndrome (not a plain load or store)",
			    vcpu->id, (unsigned long long)run->arm_nisv.fault_ipa);
		default:
			die("vCPU %d: unexpected exit reason %u (pc 0x%llx)",
			    vcpu->id, run->exit_reason,
			    (unsigned long long)kvm_get_pc(vcpu));
		}
	}
	return NULL;
}

void vcpus_start(struct vm *vm)
{
	int i, err;

	for (i = 0; i < NR_VCPUS; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (err)
			die("cannot start the thread of vCPU %d: %s", i,
			    strerror(err));
	}
}
