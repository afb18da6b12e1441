// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: anonymous memory, loaded before the first KVM_RUN.
 *
 * Under pKVM a page of a protected guest is donated to it (pinned,
 * accounted to RLIMIT_MEMLOCK and unmapped from the host's stage 2) the
 * first time the guest touches it.  From then on the VMM may only touch
 * pages that the guest shared back (MEM_SHARE hypercall; the pKVM guest
 * driver does it for the restricted DMA pool); any other access gets
 * SIGSEGV.  So every device access goes through guest_ptr(), which checks
 * the range and notes whether it lies in the pool, and a SIGSEGV is
 * reported as the failure it is.  The devices copy with plain loads and
 * stores, never by handing guest memory to a system call: a system call
 * on unshared memory would fail or make the hypervisor reclaim the page
 * instead of faulting.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define ARM64_IMAGE_MAGIC	0x644d5241	/* "ARM\x64" */
#define FDT_MAGIC		0xd00dfeed
#define MAX_REPORTS		5

static struct vm *fault_vm;
/* volatile: the store must happen before the probing load. */
static __thread sigjmp_buf *volatile probe_jmp;

void mem_init(struct vm *vm)
{
	vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		die("cannot allocate %u MiB of guest RAM: %s", RAM_SIZE >> 20,
		    strerror(errno));
	/* pKVM maps guest pages one by one; huge pages gain nothing. */
	madvise(vm->ram, RAM_SIZE, MADV_NOHUGEPAGE);
	pthread_mutex_init(&vm->stats_lock, NULL);
}

static void *read_file(const char *path, const char *what, uint64_t max,
		       uint64_t *size)
{
	struct stat st;
	void *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open the %s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		die("the %s %s is not a regular file", what, path);
	if ((uint64_t)st.st_size > max)
		die("the %s %s is %llu bytes, the memory layout has room for %llu (vmm/layout.h)",
		    what, path, (unsigned long long)st.st_size,
		    (unsigned long long)max);
	if (!st.st_size)
		die("the %s %s is empty", what, path);
	buf = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (buf == MAP_FAILED)
		die("cannot read the %s %s: %s", what, path, strerror(errno));
	close(fd);
	*size = st.st_size;
	return buf;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * An arm64 Image (Documentation/arch/arm64/booting.rst): 64-byte header
 * with text_offset at 8, image_size (including BSS) at 16, magic at 56.
 * It runs text_offset bytes above a 2 MiB aligned base.
 */
void mem_load_kernel(struct vm *vm, const char *path)
{
	uint64_t size, text_offset, image_size;
	uint8_t *img;

	img = read_file(path, "kernel Image", KERNEL_MAX, &size);
	if (size < 64 || (uint32_t)le64(img + 56) != ARM64_IMAGE_MAGIC)
		die("%s is not an arm64 kernel Image (no ARM\\x64 magic)", path);
	text_offset = le64(img + 8);
	image_size = le64(img + 16);
	if (!image_size)	/* kernels before 3.17 */
		image_size = size;
	if (text_offset > KERNEL_MAX || image_size > KERNEL_MAX - text_offset ||
	    size > KERNEL_MAX - text_offset)
		die("the kernel %s needs %llu bytes at offset %llu, the memory layout has room for %u",
		    path, (unsigned long long)image_size,
		    (unsigned long long)text_offset, KERNEL_MAX);
	memcpy(vm->ram + KERNEL_BASE - RAM_BASE + text_offset, img, size);
	munmap(img, size);
	vm->entry = KERNEL_BASE + text_offset;
}

void mem_load_file(struct vm *vm, const char *path, uint64_t base,
		   uint64_t max, const char *what)
{
	uint64_t size;
	uint8_t *buf;

	buf = read_file(path, what, max, &size);
	if (base == DTB_BASE && (size < 8 || be32(buf) != FDT_MAGIC ||
				 be32(buf + 4) > size))
		die("%s is not a flattened device tree", path);
	memcpy(vm->ram + base - RAM_BASE, buf, size);
	munmap(buf, size);
}

/*
 * Host address of guest range [gpa, gpa + len) for a device access.  A
 * range outside RAM is a protocol error; one outside the restricted pool
 * is counted as a failure and still accessed, so that pKVM shows what it
 * does with it.
 */
void *guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len, const char *what)
{
	uint64_t off = gpa - RAM_BASE, page;

	if (gpa < RAM_BASE || len > RAM_SIZE || off > RAM_SIZE - len)
		die("%s: guest address 0x%llx (+%llu) is outside guest RAM",
		    what, (unsigned long long)gpa, (unsigned long long)len);

	pthread_mutex_lock(&vm->stats_lock);
	if (gpa < POOL_BASE || gpa - POOL_BASE >= POOL_SIZE ||
	    len > POOL_BASE + POOL_SIZE - gpa) {
		if (vm->outside_pool++ < MAX_REPORTS)
			fprintf(stderr, "vmm: FAIL: %s at guest address 0x%llx (+%llu) is outside the restricted DMA pool\n",
				what, (unsigned long long)gpa,
				(unsigned long long)len);
	} else if (len) {
		for (page = (gpa - POOL_BASE) / PAGE_SIZE;
		     page <= (gpa + len - 1 - POOL_BASE) / PAGE_SIZE; page++) {
			vm->pool_pages_used += !vm->pool_used[page];
			vm->pool_used[page] = 1;
		}
	}
	pthread_mutex_unlock(&vm->stats_lock);
	return vm->ram + off;
}

static void segv_handler(int sig, siginfo_t *info, void *ctx)
{
	uintptr_t addr = (uintptr_t)info->si_addr;
	uintptr_t ram = (uintptr_t)fault_vm->ram;
	char msg[200];
	int n;

	(void)sig;
	(void)ctx;
	/*
	 * snprintf() is not async-signal-safe in general; this path only
	 * formats integers and ends the process right away.
	 */
	if (probe_jmp)
		siglongjmp(*probe_jmp, 1);
	if (addr >= ram && addr - ram < RAM_SIZE)
		n = snprintf(msg, sizeof(msg),
			     "vmm: FAIL: VMM FAULT: SIGSEGV on guest page 0x%llx, which the guest did not share\n",
			     (unsigned long long)(addr - ram + RAM_BASE));
	else
		n = snprintf(msg, sizeof(msg),
			     "vmm: FAIL: VMM FAULT: SIGSEGV at %p (not guest memory: a VMM bug)\n",
			     info->si_addr);
	if (write(2, msg, n) < 0)
		_exit(3);
	_exit(3);
}

void mem_catch_faults(struct vm *vm)
{
	struct sigaction sa = {
		.sa_sigaction = segv_handler,
		.sa_flags = SA_SIGINFO,
	};

	fault_vm = vm;
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		die("sigaction: %s", strerror(errno));
}

/*
 * Does reading guest page @gpa fault?  The negative control of the run:
 * a page the guest uses but never shared must fault, or the VM is not
 * protected and a clean run proves nothing.
 */
bool guest_page_faults(struct vm *vm, uint64_t gpa)
{
	volatile uint8_t *p = vm->ram + gpa - RAM_BASE;
	sigjmp_buf env;
	bool faulted;

	if (sigsetjmp(env, 1)) {
		faulted = true;
	} else {
		probe_jmp = &env;
		(void)*p;
		faulted = false;
	}
	probe_jmp = NULL;
	return faulted;
}

/*
 * How many pages of the restricted DMA pool the VMM can read: the pages
 * the guest shared (swiotlb shares the whole pool once, when the first
 * device attaches it).  Counted at rest after the boot's I/O and again
 * at the end, so that a page unshared and not shared again, or shared
 * twice over, shows up as a difference.
 */
static long pool_shared_at_rest = -1;

static unsigned long pool_pages_shared(struct vm *vm)
{
	unsigned long n = 0;
	uint64_t gpa;

	for (gpa = POOL_BASE; gpa < POOL_BASE + POOL_SIZE; gpa += PAGE_SIZE)
		n += !guest_page_faults(vm, gpa);
	return n;
}

void mem_count_pool_at_rest(struct vm *vm)
{
	if (pool_shared_at_rest < 0)
		pool_shared_at_rest = pool_pages_shared(vm);
}

bool mem_report_pool_sharing(struct vm *vm)
{
	unsigned long now = pool_pages_shared(vm);

	if (pool_shared_at_rest < 0) {
		printf("vmm: %lu of %lu restricted DMA pool pages shared at the end (no count at rest: the first stream round never ended)\n",
		       now, POOL_SIZE / PAGE_SIZE);
		return true;
	}
	printf("vmm: restricted DMA pool pages shared: %ld of %lu at rest after the first stream round, %lu at the end%s\n",
	       pool_shared_at_rest, POOL_SIZE / PAGE_SIZE, now,
	       now == (unsigned long)pool_shared_at_rest ? "" : ": FAIL, the pool's sharing changed");
	return now == (unsigned long)pool_shared_at_rest;
}
