// SPDX-License-Identifier: GPL-2.0
/*
 * pkvm-vmm: run one Linux guest as a pKVM protected VM and judge the run.
 *
 * usage: pkvm-vmm -k Image -i initramfs -d guest.dtb -b disk.img
 *                 [-o console-output] [-s stream-bytes] [-t seconds]
 *
 * Exit status 0 only if the guest powered off by itself, the stream came
 * back intact, no device access left the restricted DMA pool, the pool
 * pages shared at rest after the first stream round are the ones shared at
 * the end, and a guest page that was never shared faults when the VMM
 * reads it.  Any error, a guest panic (reset), a VMM fault or the timeout
 * gives a non-zero status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

#define DEFAULT_STREAM_BYTES	(1024 * 1024)	/* guest/workload.c STREAM_BYTES */
#define DEFAULT_TIMEOUT		600

static struct timespec start;

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmm: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9;
}

/*
 * The end of the run, from a vCPU thread (a system event) or the main
 * thread (timeout): report what the run proved and exit.  Only the first
 * caller gets here; exit() ends the other threads.
 */
void vm_finish(struct vm *vm, const char *how, bool powered_off)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	bool ok = powered_off, private;

	pthread_mutex_lock(&once);
	printf("vmm: %s after %.1f s\n", how, elapsed());

	ok &= virtio_stream_report();

	pthread_mutex_lock(&vm->stats_lock);
	printf("vmm: the devices used %llu of %lu restricted DMA pool pages; %llu accesses outside the pool\n",
	       (unsigned long long)vm->pool_pages_used, POOL_SIZE / PAGE_SIZE,
	       (unsigned long long)vm->outside_pool);
	ok &= vm->pool_pages_used > 0 && !vm->outside_pool;
	pthread_mutex_unlock(&vm->stats_lock);
	ok &= mem_report_pool_sharing(vm);

	/* The negative control: the kernel's first page is guest-private. */
	private = guest_page_faults(vm, vm->entry);
	printf("vmm: guest page 0x%llx (kernel entry, never shared): %s\n",
	       (unsigned long long)vm->entry,
	       private ? "VMM read faults, the VM is protected" :
			 "VMM read it, the VM is NOT protected");
	ok &= private;

	printf("vmm: result: %s\n", ok ? "PASS" : "FAIL");
	exit(ok ? 0 : 1);
}

static void __attribute__((noreturn)) usage(const char *why)
{
	fprintf(stderr, "vmm: error: %s\n"
		"usage: pkvm-vmm -k Image -i initramfs -d guest.dtb -b disk.img\n"
		"                [-o console-output] [-s stream-bytes] [-t seconds]\n",
		why);
	exit(2);
}

static unsigned long number(const char *arg, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end)
		usage(what);
	return v;
}

int main(int argc, char **argv)
{
	const char *kernel = NULL, *initrd = NULL, *dtb = NULL, *disk = NULL;
	const char *console = NULL;
	unsigned long stream_bytes = DEFAULT_STREAM_BYTES, timeout = DEFAULT_TIMEOUT;
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	static struct vm vm;
	int opt, out_fd = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &start);

	while ((opt = getopt(argc, argv, "k:i:d:b:o:s:t:")) != -1) {
		switch (opt) {
		case 'k':
			kernel = optarg;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'd':
			dtb = optarg;
			break;
		case 'b':
			disk = optarg;
			break;
		case 'o':
			console = optarg;
			break;
		case 's':
			stream_bytes = number(optarg, "-s wants a byte count");
			break;
		case 't':
			timeout = number(optarg, "-t wants seconds");
			break;
		default:
			usage("unknown option");
		}
	}
	if (!kernel || !initrd || !dtb || !disk || optind != argc)
		usage("-k, -i, -d and -b are required, nothing else");
	if (console) {
		out_fd = open(console, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (out_fd < 0)
			die("cannot open the console output %s: %s", console,
			    strerror(errno));
	}

	/* pKVM pins every page the guest touches, against RLIMIT_MEMLOCK. */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		die("cannot raise RLIMIT_MEMLOCK: %s", strerror(errno));

	/* Bad input fails here, before any KVM state exists. */
	mem_init(&vm);
	mem_load_kernel(&vm, kernel);
	mem_load_file(&vm, initrd, INITRD_BASE, INITRD_MAX, "initramfs");
	mem_load_file(&vm, dtb, DTB_BASE, DTB_MAX, "DTB");
	uart_init(out_fd);
	virtio_console_create(&vm, VIRTIO_CONSOLE_SLOT, out_fd);
	virtio_blk_create(&vm, VIRTIO_BLK_SLOT, disk);
	if (stream_bytes)
		virtio_stream_create(&vm, VIRTIO_STREAM_SLOT, stream_bytes);

	kvm_create_vm(&vm);
	kvm_add_ram(&vm);
	kvm_create_gic(&vm);
	kvm_create_vcpus(&vm);
	kvm_init_gic(&vm);
	printf("vmm: protected VM with %d vCPUs, %u MiB RAM, restricted DMA pool at 0x%x (%u MiB); kernel entry 0x%llx\n",
	       NR_VCPUS, RAM_SIZE >> 20, POOL_BASE, POOL_SIZE >> 20,
	       (unsigned long long)vm.entry);

	mem_catch_faults(&vm);
	vcpus_start(&vm);
	sleep(timeout);
	vm_finish(&vm, "TIMEOUT: the guest did not power off", false);
	return 1;
}
