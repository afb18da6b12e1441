// SPDX-License-Identifier: GPL-2.0
/*
 * Workload of the guests (scripts/guest-*.sh, scripts/pkvm.sh).
 *
 * Runs as /init, checks that virtio I/O bounced through a swiotlb pool (a
 * restricted DMA pool, or the default pool with swiotlb=force) is correct,
 * reports each check as a KTAP case on the console and powers the guest
 * off.  Every byte that crosses a virtio device comes from a seeded
 * xorshift generator, so each end can verify it without keeping a copy.
 *
 * Settings come from the kernel command line: the kernel passes unknown
 * key=value parameters to init as environment variables.
 *   wl_disk=<block device>	default /dev/vda
 *   wl_pool=<debugfs folder>	the swiotlb pool the devices bounce through,
 *				default the restricted pool's
 *   wl_stream=port:<virtio-serial port name> |
 *	       tcp:<ipv4 address>:<port> | none	(default none)
 *   wl_bench=<PCI address>	bind the kernel's DMA map benchmark to this
 *				spare device and run tools/dma's program
 *   wl_churn=<cycles>		unbind and rebind the disk's virtio device
 *				(and the stream's, for port:) this many
 *				times, each followed by a verified disk pass
 *				and stream round (default 0: no churn case)
 *   wl_soak=<MiB>		verify this much disk I/O from several
 *				processes while the stream's device is
 *				rebound (default 0: no soak case)
 *   wl_coherent=<module>	load this module of the initramfs
 *				(guest/dma_coherent_bench.c) and report
 *				its result (default: no such case)
 *   wl_coherent_stress=<s>	load it in its stress mode instead, for
 *				this many seconds, while disk passes run
 *   wl_hv_mark=<I/O port>	x86 only: write 1 to this port before the
 *				churn's first cycle and 2 after its last,
 *				so that a hypervisor below that counts the
 *				guest's shared pages (svm/) reports them at
 *				both points (default: no marks)
 *   wl_atomic=<module>		load this module of the initramfs
 *				(guest/dma_atomic_pages.c) in a child
 *				process, so that a kernel BUG in it ends
 *				the child and not init, and report its
 *				result (default: no such case)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_ids.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <sys/io.h>
#endif

#define CHUNK		(256 * 1024)	/* the largest single swiotlb mapping */

#define STREAM_BYTES	(1024 * 1024)	/* must match guest/stream.py */
#define STREAM_SEED	0x5eed5eedULL	/* must match guest/stream.py */
#define STREAM_IDLE_MS	30000
#define CONNECT_TRIES	60		/* half-seconds: the link comes up late */
#define STEP_SECONDS	30		/* run_watched(): a TCG cycle takes 1-2 s */

#define DMA_DEBUG	"/sys/kernel/debug/dma-api/"

#define BENCH_PROGRAM	"/bin/dma_map_benchmark"	/* tools/dma, static */
#define BENCH_FILE	"/sys/kernel/debug/dma_map_benchmark"
#define BENCH_RUNS	5
#define BENCH_SECONDS	"2"

static struct {
	const char *disk;
	char pool[200];		/* with a trailing slash */
	const char *stream;
	const char *bench;
	const char *coherent;
	int coherent_stress;	/* seconds */
	const char *atomic;
	int churn;
	int soak;		/* MiB */
	unsigned long hv_mark;	/* I/O port, 0: none */
} cfg;

static int case_nr;

static void result(bool ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++case_nr, name);
	fflush(stdout);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Memory that the children of fork() share with us, or NULL. */
static void *shared_memory(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* xorshift64; guest/stream.py has the same generator. */
static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Each disk block has its own seed, so any block can be checked alone. */
static void fill_block(uint8_t *buf, uint64_t seed, uint64_t blk)
{
	uint64_t s = (seed ^ (blk + 1) * 0x9e3779b97f4a7c15ULL) | 1;	/* never 0 */
	size_t i;

	for (i = 0; i < CHUNK; i += 8) {
		uint64_t v = xorshift64(&s);

		memcpy(buf + i, &v, 8);
	}
}

static long read_long(const char *path)
{
	char text[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(text, sizeof(text), f))
		text[0] = 0;
	fclose(f);
	return text[0] ? strtol(text, NULL, 0) : -1;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	buf[0] = 0;
	if (!f)
		return -1;
	ok = fgets(buf, len, f);
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok ? 0 : -1;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * Without VIRTIO_F_ACCESS_PLATFORM (feature bit 33) virtio bypasses the
 * DMA API, so the pool would not be used: every device must have it.
 */
static void check_access_platform(void)
{
	const char *root = "/sys/bus/virtio/devices";
	int blk = 0, console = 0, net = 0, missing = 0;
	bool want_console = !strncmp(cfg.stream, "port:", 5);
	bool want_net = !strncmp(cfg.stream, "tcp:", 4);
	DIR *dir = opendir(root);
	struct dirent *d;

	while (dir && (d = readdir(dir))) {
		char path[300], bits[256];
		bool ok;
		long id;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", root, d->d_name);
		id = read_long(path);
		snprintf(path, sizeof(path), "%s/%s/features", root, d->d_name);
		read_line(path, bits, sizeof(bits));
		ok = strlen(bits) > 33 && bits[33] == '1';
		diag("%s: virtio device id %ld, ACCESS_PLATFORM %s", d->d_name,
		     id, ok ? "negotiated" : "NOT negotiated");
		missing += !ok;
		blk += id == VIRTIO_ID_BLOCK;
		console += id == VIRTIO_ID_CONSOLE;
		net += id == VIRTIO_ID_NET;
	}
	if (dir)
		closedir(dir);
	if (!blk || (want_console && !console) || (want_net && !net))
		diag("expected a virtio-blk device%s", want_net ? " and a virtio-net device" :
		     want_console ? " and a virtio-console device" : "");
	result(blk && (console || !want_console) && (net || !want_net) && !missing,
	       "virtio_access_platform");
}

/* Write the whole disk from @seed, read it back and compare every byte. */
/* One verified pass over the whole disk; diagnostics go to the console. */
static bool disk_pass(const char *name, int flags, uint64_t seed)
{
	uint64_t size = 0, off = 0, written = 0, checked = 0, bad = 0, first = 0;
	const char *failed = NULL;
	uint8_t *buf, *want;
	int fd;

	/* O_DIRECT needs buffers aligned to the logical block size. */
	if (posix_memalign((void **)&buf, 4096, CHUNK) ||
	    posix_memalign((void **)&want, 4096, CHUNK)) {
		diag("%s: out of memory", name);
		return false;
	}
	fd = open(cfg.disk, O_RDWR | flags);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || !size || size % CHUNK) {
		diag("%s: cannot use %s (%s, %llu bytes)", name, cfg.disk,
		     strerror(errno), (unsigned long long)size);
		failed = "open";
		size = 0;
	}

	for (off = 0; off < size && !failed; off += CHUNK) {
		fill_block(buf, seed, off / CHUNK);
		if (pwrite(fd, buf, CHUNK, off) != CHUNK)
			failed = "write";
		else
			written += CHUNK;
	}

	/*
	 * The reads must come from the device, not from the page cache:
	 * write everything back, then drop the disk's cached pages and
	 * every other clean cache.
	 */
	if (!failed && fsync(fd))
		failed = "fsync";
	if (!failed && ioctl(fd, BLKFLSBUF, 0))
		failed = "BLKFLSBUF";
	if (!failed && write_file("/proc/sys/vm/drop_caches", "3"))
		failed = "drop_caches";

	for (off = 0; off < size && !failed; off += CHUNK) {
		size_t i;

		fill_block(want, seed, off / CHUNK);
		if (pread(fd, buf, CHUNK, off) != CHUNK) {
			failed = "read";
			break;
		}
		for (i = 0; i < CHUNK; i++) {
			if (buf[i] == want[i])
				continue;
			if (!bad++)
				first = off + i;
		}
		checked += CHUNK;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	free(want);

	diag("%s: %llu bytes written, %llu bytes checked, %llu mismatches",
	     name, (unsigned long long)written, (unsigned long long)checked,
	     (unsigned long long)bad);
	if (bad)
		diag("%s: first mismatch at byte %llu", name,
		     (unsigned long long)first);
	if (failed)
		diag("%s: %s failed at byte %llu: %s", name, failed,
		     (unsigned long long)off, strerror(errno));
	return !failed && !bad && size && checked == size;
}

static void check_disk(const char *name, int flags, uint64_t seed)
{
	result(disk_pass(name, flags, seed), name);
}

/*
 * No udev here to make /dev/virtio-ports/<name>: find the port whose name
 * QEMU gave it in sysfs.  Its folder name ("vport1p1") is the device
 * node's name too.
 */
static bool find_port(const char *want, char *port, size_t len)
{
	const char *root = "/sys/class/virtio-ports";
	DIR *dir = opendir(root);
	struct dirent *d;
	bool found = false;

	while (dir && !found && (d = readdir(dir))) {
		char path[300], name[64];

		snprintf(path, sizeof(path), "%s/%s/name", root, d->d_name);
		if (d->d_name[0] == '.' || read_line(path, name, sizeof(name)) ||
		    strcmp(name, want))
			continue;
		snprintf(port, len, "%s", d->d_name);
		found = true;
	}
	if (dir)
		closedir(dir);
	return found;
}

static int open_port(const char *want, char *dev, size_t len)
{
	char port[256];

	if (!find_port(want, port, sizeof(port)))
		return -1;
	snprintf(dev, len, "/dev/%s", port);
	return open(dev, O_RDWR);
}

/* Wait for @events on @fd; give up after STREAM_IDLE_MS of silence. */
static bool wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, STREAM_IDLE_MS) == 1;
}

/* Send all of @buf; a port takes at most 32 KiB per write(). */
static bool echo(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = wait_for(fd, POLLOUT) ? write(fd, buf, len) : -1;

		if (n <= 0)
			return false;
		buf += n;
		len -= n;
	}
	return true;
}

/* Connect to the host's stream.py over virtio-net ("tcp:<ip>:<port>"). */
static int connect_tcp(const char *where)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char ip[32];
	int fd, port, tries;

	if (sscanf(where, "%31[0-9.]:%d", ip, &port) != 2 ||
	    inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -1;
	sa.sin_port = htons(port);
	for (tries = 0; tries < CONNECT_TRIES; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		usleep(500 * 1000);
	}
	return -1;
}

static int open_stream(char *dev, size_t len)
{
	const char *arg = strchr(cfg.stream, ':');

	if (!arg++)
		return -1;
	if (!strncmp(cfg.stream, "port:", 5))
		return open_port(arg, dev, len);
	snprintf(dev, len, "%s", arg);
	if (!strncmp(cfg.stream, "tcp:", 4))
		return connect_tcp(arg);
	return -1;
}

/*
 * The host sends STREAM_BYTES, the top byte of one xorshift step each, so
 * that any split into reads gives the same stream.  The guest checks them
 * and echoes them back for the host to check (guest/stream.py, or the
 * VMM's stream device), which then sends one byte, "A".  Round 0 starts
 * when the port opens; each later round (soak, device_churn) starts with
 * one byte from the guest asking for it, "R", and runs from a seed of its
 * own, so that old data cannot pass.
 */
static unsigned int *next_round;	/* shared with the children */

static bool stream_round(const char *name)
{
	unsigned int round = __atomic_fetch_add(next_round, 1, __ATOMIC_RELAXED);
	uint64_t s = STREAM_SEED + round, got = 0, bad = 0;
	static uint8_t buf[64 * 1024];
	const char *failed = NULL;
	char dev[300] = "";
	int fd;

	fd = open_stream(dev, sizeof(dev));
	if (fd < 0)
		failed = "cannot open or connect the stream";
	else if (round && !echo(fd, (const uint8_t *)"R", 1))
		failed = "cannot ask the host for the next round";

	while (!failed && got < STREAM_BYTES) {
		size_t want = STREAM_BYTES - got < sizeof(buf) ?
			      STREAM_BYTES - got : sizeof(buf);
		ssize_t n, i;

		if (!wait_for(fd, POLLIN)) {
			failed = "no data from the host";
			break;
		}
		n = read(fd, buf, want);
		if (n <= 0) {
			failed = n ? "read failed" : "host closed the stream";
			break;
		}
		for (i = 0; i < n; i++)
			bad += buf[i] != (uint8_t)(xorshift64(&s) >> 56);
		if (!echo(fd, buf, n)) {
			failed = "echo to the host failed";
			break;
		}
		got += n;
	}
	/*
	 * The host says when the whole echo is back: until then it may still
	 * sit in the device's queue, which closing the port or resetting the
	 * device would drop.
	 */
	if (!failed && (!wait_for(fd, POLLIN) || read(fd, buf, 1) != 1 || buf[0] != 'A'))
		failed = "no acknowledgement from the host";
	if (fd >= 0)
		close(fd);

	/* later rounds are counted by their callers and by the host */
	if (!round || failed || bad || got != STREAM_BYTES)
		diag("%s: %s: round %u: %llu bytes received and echoed, %llu mismatches",
		     name, dev[0] ? dev : cfg.stream, round, (unsigned long long)got,
		     (unsigned long long)bad);
	if (failed)
		diag("%s: %s (%s)", name, failed, strerror(errno));
	return !failed && !bad && got == STREAM_BYTES;
}

static void check_stream(const char *name)
{
	result(stream_round(name), name);
}

/*
 * The pool's high-water mark, per I/O phase: the mark is reset before the
 * phase and read after it.  It counts the slots in use at rest too
 * (virtqueues, the console's receive buffers), so a phase that bounced
 * anything through the pool leaves it above the count at rest.
 */
struct pool_phase {
	const char *name;
	long at_rest, hiwater;
};

static struct pool_phase phases[3];
static int nr_phases;

static const char *pool_file(const char *file)
{
	static char path[300];

	snprintf(path, sizeof(path), "%s%s", cfg.pool, file);
	return path;
}

static void pool_phase_start(const char *name)
{
	struct pool_phase *p = &phases[nr_phases];

	p->name = name;
	p->at_rest = read_long(pool_file("io_tlb_used"));
	p->hiwater = -1;
	if (write_file(pool_file("io_tlb_used_hiwater"), "0"))
		p->at_rest = -1;
}

static void pool_phase_end(void)
{
	phases[nr_phases++].hiwater = read_long(pool_file("io_tlb_used_hiwater"));
}

static void check_pool(long boot, int expected)
{
	bool ok = boot > 0 && nr_phases == expected;
	int i;

	diag("pool %s: %ld slots, high-water mark %ld after boot", cfg.pool,
	     read_long(pool_file("io_tlb_nslabs")), boot);
	for (i = 0; i < nr_phases; i++) {
		struct pool_phase *p = &phases[i];

		diag("%s: pool high-water mark %ld, %ld slots in use before",
		     p->name, p->hiwater, p->at_rest);
		ok &= p->at_rest >= 0 && p->hiwater > p->at_rest;
	}
	result(ok, "swiotlb_pool_in_use");
}

/*
 * A device whose virtqueues it can no longer read stops answering, and
 * the process waiting for it sleeps in the kernel for good.  So a long
 * check runs in a child, which writes a byte to @progress after each step;
 * when no step ends for STEP_SECONDS the parent gives up on it, and the
 * guest still reports and powers off.  Returns the child's success.
 */
static bool stalled;

static bool run_watched(const char *name, bool (*check)(int progress))
{
	int pipefd[2], status, n = -1;
	struct pollfd p;
	char byte;
	pid_t pid;

	fflush(stdout);
	if (pipe(pipefd))
		return false;
	pid = fork();
	if (pid == 0) {
		/* its own group, so that a stall can stop its children too */
		setpgid(0, 0);
		close(pipefd[0]);
		_exit(check(pipefd[1]) ? 0 : 1);
	}
	close(pipefd[1]);
	p = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	while (pid > 0 && (n = poll(&p, 1, STEP_SECONDS * 1000)) == 1 &&
	       read(pipefd[0], &byte, 1) == 1)
		;
	close(pipefd[0]);
	if (pid > 0 && n == 0) {
		diag("%s: no progress for %d s: a device stopped answering", name,
		     STEP_SECONDS);
		/*
		 * All of the group: a soak racer left running would share the
		 * stream's port with the next case.
		 */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		stalled = true;
		return false;
	}
	/* the child closed the pipe: it has exited or is exiting */
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
}

/*
 * The virtio device behind a sysfs folder: the last component of its
 * "device" link (e.g. "virtio0"), into @dev.
 */
static bool virtio_device_of(const char *folder, char *dev, size_t len)
{
	char path[300], link[300];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/device", folder);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	snprintf(dev, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	return true;
}

struct churn_device {
	const char *driver;
	char dev[300];
};

/* Unbind @c from its driver and bind it again. */
static bool rebind(const struct churn_device *c)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/unbind", c->driver);
	if (!write_file(path, c->dev)) {
		snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/bind", c->driver);
		if (!write_file(path, c->dev))
			return true;
	}
	diag("rebind: writing %s to %s failed: %s", c->dev, path, strerror(errno));
	return false;
}

/* Wait up to 10 s for the disk's node, or the stream's port, to come back. */
static bool device_back(bool port)
{
	char name[300];
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (port ? find_port(cfg.stream + 5, name, sizeof(name)) :
			   !access(cfg.disk, F_OK))
			return true;
		usleep(10000);
	}
	diag("rebind: %s did not come back", port ? cfg.stream + 5 : cfg.disk);
	return false;
}

/*
 * Unbinding a virtio device frees its coherent memory (the virtqueues)
 * and binding it again allocates that memory anew, from the restricted
 * pool when the device has one: the free and allocation paths of
 * dma-direct that a boot alone runs once.  Each cycle rebinds the disk
 * and verifies a disk pass, then, with a virtio-serial stream, rebinds the
 * console device and verifies a stream round; each with a seed of its own
 * so that old data cannot pass.  The pool's slots in use must then be back
 * at their value before the first cycle: a slot that a cycle does not give
 * back is a leak.
 */
static struct {
	struct churn_device devs[2];
	int nr_devs;
	long rest;
} churn;

/*
 * A mark for the hypervisor below (wl_hv_mark): it cannot see where the
 * workload is, and compares what it counts at two marks.
 */
static void hv_mark(unsigned char mark)
{
#if defined(__x86_64__)
	if (!cfg.hv_mark)
		return;
	if (ioperm(cfg.hv_mark, 1, 1)) {
		diag("hv_mark: ioperm(0x%lx): %s", cfg.hv_mark, strerror(errno));
		return;
	}
	outb(mark, cfg.hv_mark);
#else
	(void)mark;
#endif
}

static bool churn_cycles(int progress)
{
	long used = -1;
	bool ok = true;
	int i, done = 0;

	hv_mark(1);
	for (i = 0; i < cfg.churn && ok; i++) {
		/* each device's own traffic right after its rebind */
		ok = rebind(&churn.devs[0]) && device_back(false) &&
		     disk_pass("device_churn", i % 2 ? O_DIRECT : 0, 0xc0ffee00ULL + i);
		if (ok && churn.nr_devs > 1)
			ok = rebind(&churn.devs[1]) && device_back(true) &&
			     stream_round("device_churn");
		used = read_long(pool_file("io_tlb_used"));
		if (ok && used != churn.rest) {
			diag("device_churn: cycle %d: %ld pool slots in use at rest, %ld before",
			     i + 1, used, churn.rest);
			ok = false;
		}
		done += ok;
		ok = ok && write(progress, "", 1) == 1;
	}
	hv_mark(2);
	diag("device_churn: %d of %d unbind/bind cycles of %s%s%s verified; pool slots in use at rest: %ld before, %ld after",
	     done, cfg.churn, churn.devs[0].dev, churn.nr_devs > 1 ? " and " : "",
	     churn.nr_devs > 1 ? churn.devs[1].dev : "", churn.rest, used);
	return ok;
}

/* The virtio devices of the disk and, for a port: stream, of the console. */
static bool find_churn_devices(const char *name)
{
	bool port = !strncmp(cfg.stream, "port:", 5), ok;
	struct churn_device *d = churn.devs;
	char folder[600], port_name[300] = "";

	if (churn.nr_devs)
		return true;
	snprintf(folder, sizeof(folder), "/sys/block/%s", strrchr(cfg.disk, '/') + 1);
	d[0].driver = "virtio_blk";
	ok = virtio_device_of(folder, d[0].dev, sizeof(d[0].dev));
	if (ok && port) {
		d[1].driver = "virtio_console";
		snprintf(folder, sizeof(folder), "/sys/class/virtio-ports/");
		ok = find_port(cfg.stream + 5, port_name, sizeof(port_name)) &&
		     virtio_device_of(strcat(folder, port_name), d[1].dev, sizeof(d[1].dev));
	}
	if (!ok) {
		diag("%s: cannot find the virtio devices of %s%s%s: %s", name,
		     cfg.disk, port ? " and port " : "", port ? cfg.stream + 5 : "",
		     strerror(errno));
		return false;
	}
	churn.nr_devs = port ? 2 : 1;
	return true;
}

static void check_churn(void)
{
	if (!find_churn_devices("device_churn")) {
		result(false, "device_churn");
		return;
	}
	churn.rest = read_long(pool_file("io_tlb_used"));
	result(run_watched("device_churn", churn_cycles), "device_churn");
}

/*
 * The soak: SOAK_WORKERS processes, more than there are vCPUs, each
 * writing and verifying its own quarter of the disk over and over, with
 * request sizes from 4 KiB to 1 MiB and buffered and O_DIRECT I/O in
 * turn, until cfg.soak MiB have been verified in all.  Meanwhile, with a
 * virtio-serial stream, the console device is unbound and rebound again
 * and again, each time followed by a verified stream round: coherent
 * allocations and frees on the pool racing the disk's bounce buffers.
 * The pool's high-water mark must stay below its size.
 */
#define SOAK_WORKERS	4

static const size_t soak_sizes[] = { 4096, 65536, 262144, 1048576 };

static struct soak_counts {
	uint64_t checked, bad, errors, rounds, done;
	uint64_t by_mode[2];
} *soak;

/* Each 4 KiB unit of the disk has its own seed, like fill_block(). */
static void fill_units(uint8_t *buf, size_t len, uint64_t seed, uint64_t off)
{
	size_t u, i;

	for (u = 0; u < len; u += 4096) {
		uint64_t s = (seed ^ ((off + u) / 4096 + 1) * 0x9e3779b97f4a7c15ULL) | 1;

		for (i = 0; i < 4096; i += 8) {
			uint64_t v = xorshift64(&s);

			memcpy(buf + u + i, &v, 8);
		}
	}
}

/* One verified pass over [@off, @off + @len) with @req-byte requests. */
static bool soak_pass(int fd, bool direct, uint64_t off, uint64_t len,
		      size_t req, uint64_t seed, uint8_t *buf, uint8_t *want)
{
	uint64_t o, bad = 0;
	size_t i;

	for (o = off; o < off + len; o += req) {
		fill_units(buf, req, seed, o);
		if (pwrite(fd, buf, req, o) != (ssize_t)req)
			goto io_error;
	}
	/* buffered reads must come from the device: write back, then drop */
	if (!direct && (fdatasync(fd) ||
			posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED)))
		goto io_error;
	for (o = off; o < off + len; o += req) {
		if (pread(fd, buf, req, o) != (ssize_t)req)
			goto io_error;
		fill_units(want, req, seed, o);
		for (i = 0; i < req; i++)
			bad += buf[i] != want[i];
	}
	__atomic_add_fetch(&soak->checked, len, __ATOMIC_RELAXED);
	__atomic_add_fetch(&soak->by_mode[direct], len, __ATOMIC_RELAXED);
	__atomic_add_fetch(&soak->bad, bad, __ATOMIC_RELAXED);
	return !bad;
io_error:
	diag("soak: %s I/O at byte %llu (%zu-byte requests) failed: %s",
	     direct ? "O_DIRECT" : "buffered", (unsigned long long)o, req,
	     strerror(errno));
	__atomic_add_fetch(&soak->errors, 1, __ATOMIC_RELAXED);
	return false;
}

static bool soak_worker(int w, uint64_t disk, int progress)
{
	uint64_t len = disk / SOAK_WORKERS, off = w * len;
	uint64_t target = (uint64_t)cfg.soak << 20;
	int fds[2] = { open(cfg.disk, O_RDWR), open(cfg.disk, O_RDWR | O_DIRECT) };
	uint8_t *buf, *want;
	bool ok = fds[0] >= 0 && fds[1] >= 0;
	unsigned int pass;

	if (posix_memalign((void **)&buf, 4096, soak_sizes[3]) ||
	    posix_memalign((void **)&want, 4096, soak_sizes[3]))
		return false;
	for (pass = 0; ok && __atomic_load_n(&soak->checked, __ATOMIC_RELAXED) < target; pass++) {
		bool direct = (pass + w) & 1;
		size_t req = soak_sizes[(pass / 2 + w) % 4];

		ok = soak_pass(fds[direct], direct, off, len, req,
			       0x50a50000ULL + pass * SOAK_WORKERS + w, buf, want) &&
		     write(progress, "", 1) == 1;
	}
	return ok;
}

/* Rebind the console and verify a stream round, until the disk is done. */
static bool soak_racer(void)
{
	while (!__atomic_load_n(&soak->done, __ATOMIC_RELAXED)) {
		if (!rebind(&churn.devs[1]) || !device_back(true) ||
		    !stream_round("soak"))
			return false;
		__atomic_add_fetch(&soak->rounds, 1, __ATOMIC_RELAXED);
	}
	return true;
}

static bool soak_all(int progress)
{
	pid_t pids[SOAK_WORKERS], racer = -1;
	uint64_t disk = 0;
	bool ok = true;
	int fd, w, status;

	fd = open(cfg.disk, O_RDONLY);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &disk) || disk % (SOAK_WORKERS * soak_sizes[3])) {
		diag("soak: cannot use %s (%llu bytes)", cfg.disk, (unsigned long long)disk);
		return false;
	}
	close(fd);
	fflush(stdout);
	if (churn.nr_devs > 1) {
		racer = fork();
		if (racer == 0)
			_exit(soak_racer() ? 0 : 1);
	}
	for (w = 0; w < SOAK_WORKERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0)
			_exit(soak_worker(w, disk, progress) ? 0 : 1);
	}
	for (w = 0; w < SOAK_WORKERS; w++)
		ok &= pids[w] > 0 && waitpid(pids[w], &status, 0) == pids[w] &&
		      WIFEXITED(status) && !WEXITSTATUS(status);
	__atomic_store_n(&soak->done, 1, __ATOMIC_RELAXED);
	if (racer >= 0) {
		ok &= racer > 0 && waitpid(racer, &status, 0) == racer &&
		      WIFEXITED(status) && !WEXITSTATUS(status);
		ok &= soak->rounds > 0;
	}
	return ok;
}

static void check_soak(void)
{
	long slots = read_long(pool_file("io_tlb_nslabs")), hiwater;
	bool ok;

	soak = shared_memory(sizeof(*soak));
	if (!soak || !find_churn_devices("soak") ||
	    write_file(pool_file("io_tlb_used_hiwater"), "0")) {
		result(false, "soak");
		return;
	}
	ok = run_watched("soak", soak_all);
	hiwater = read_long(pool_file("io_tlb_used_hiwater"));
	diag("soak: %d workers, %llu bytes verified (%llu buffered, %llu O_DIRECT; 4 KiB to 1 MiB requests), %llu mismatches, %llu I/O errors",
	     SOAK_WORKERS, (unsigned long long)soak->checked,
	     (unsigned long long)soak->by_mode[0], (unsigned long long)soak->by_mode[1],
	     (unsigned long long)soak->bad, (unsigned long long)soak->errors);
	if (churn.nr_devs > 1)
		diag("soak: console device %s rebound with a verified stream round %llu times during the disk I/O",
		     churn.devs[1].dev, (unsigned long long)soak->rounds);
	diag("soak: pool high-water mark %ld of %ld slots, margin %ld",
	     hiwater, slots, slots - hiwater);
	result(ok && !soak->bad && !soak->errors && hiwater > 0 && hiwater < slots &&
	       soak->checked >= (uint64_t)cfg.soak << 20, "soak");
}

/* No DMA-API misuse found, and the checker did not switch itself off. */
static void check_dma_debug(void)
{
	long errors = read_long(DMA_DEBUG "error_count");
	long disabled = read_long(DMA_DEBUG "disabled");

	diag("DMA-API debug: error_count %ld, disabled %ld, %ld of %ld entries free at the minimum",
	     errors, disabled, read_long(DMA_DEBUG "min_free_entries"),
	     read_long(DMA_DEBUG "nr_total_entries"));
	result(errors == 0 && disabled == 0, "dma_api_debug_errors");
}

/*
 * The kernel's DMA map benchmark (CONFIG_DMA_MAP_BENCHMARK): bind its
 * driver to a spare PCI device, then run tools/dma's program, which maps
 * and unmaps one page in a loop for BENCH_SECONDS and reports the mean
 * latencies.  The numbers go to the console for the host to tabulate;
 * the case only says that every run worked.
 */
static bool bench_run(int run)
{
	char *argv[] = { BENCH_PROGRAM, "-s", BENCH_SECONDS, "-t", "1", NULL };
	char line[256];
	bool latency = false;
	int pipefd[2], status;
	FILE *out;
	pid_t pid;

	if (pipe(pipefd))
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		line[strcspn(line, "\n")] = 0;
		diag("dma_map_benchmark run %d: %s", run, line);
		latency |= !strncmp(line, "average map latency", 19);
	}
	if (out)
		fclose(out);
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status) && latency;
}

static void check_dma_map_benchmark(void)
{
	char path[300];
	bool ok;
	int run;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 cfg.bench);
	ok = !write_file(path, "dma_map_benchmark") &&
	     !write_file("/sys/bus/pci/drivers_probe", cfg.bench) &&
	     !access(BENCH_FILE, R_OK);
	if (!ok)
		diag("dma_map_benchmark: cannot bind PCI device %s: %s",
		     cfg.bench, strerror(errno));
	for (run = 1; ok && run <= BENCH_RUNS; run++)
		ok = bench_run(run);
	result(ok, "dma_map_benchmark");
}

/*
 * The coherent allocation module (guest/dma_coherent_bench.c) runs when
 * it loads, and leaves its result in a parameter.  In stress mode its
 * threads (two per CPU) allocate and free while a child of ours keeps
 * the disk busy with verified passes, through the same pool.
 */
#define COHERENT_RESULT	"/sys/module/dma_coherent_bench/parameters/result"
#define ATOMIC_RESULT	"/sys/module/dma_atomic_pages/parameters/result"

static bool module_load(const char *name, const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	ok = fd >= 0 && !syscall(SYS_finit_module, fd, params, 0);
	if (!ok)
		diag("%s: cannot load %s: %s", name, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

static void module_result(const char *name, const char *param)
{
	char line[512];
	FILE *f = fopen(param, "r");	/* absent after a failed load */

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			diag("%s: %s", name, line);
	}
	if (f)
		fclose(f);
}

static bool coherent_load(const char *name, const char *params)
{
	bool ok = module_load(name, cfg.coherent, params);

	module_result(name, COHERENT_RESULT);
	return ok;
}

/*
 * The atomic pool module runs in a child: on a kernel that frees atomic
 * pool pages to the page allocator (stock 7.2), DEBUG_VM stops the load
 * with a kernel BUG, which ends the process that loads it.
 */
static void check_atomic_pages(void)
{
	int status = 0;
	pid_t child;
	bool ok;

	fflush(stdout);
	child = fork();
	if (child == 0)
		_exit(module_load("atomic_pages", cfg.atomic, "") ? 0 : 1);
	ok = child > 0 && waitpid(child, &status, 0) == child &&
	     WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (child > 0 && WIFSIGNALED(status))
		diag("atomic_pages: the loading process died of signal %d",
		     WTERMSIG(status));
	module_result("atomic_pages", ATOMIC_RESULT);
	result(ok, "atomic_pages");
}

static void check_coherent_benchmark(void)
{
	result(coherent_load("coherent_benchmark", ""), "coherent_benchmark");
}

static int *stress_stop;	/* shared with the disk child */

static bool coherent_stress_all(int progress)
{
	char params[100];
	int status;
	bool ok;
	pid_t disk;

	disk = fork();
	if (disk == 0) {
		bool pass_ok = true;
		int n;

		for (n = 0; pass_ok && !__atomic_load_n(stress_stop, __ATOMIC_RELAXED); n++)
			pass_ok = disk_pass("coherent_stress", n % 2 ? O_DIRECT : 0,
					    0xc0de0000ULL + n) &&
				  write(progress, "", 1) == 1;
		_exit(pass_ok && n > 0 ? 0 : 1);
	}
	snprintf(params, sizeof(params), "stress_threads=%ld stress_seconds=%d",
		 2 * sysconf(_SC_NPROCESSORS_ONLN), cfg.coherent_stress);
	ok = coherent_load("coherent_stress", params);
	__atomic_store_n(stress_stop, 1, __ATOMIC_RELAXED);
	ok &= disk > 0 && waitpid(disk, &status, 0) == disk &&
	      WIFEXITED(status) && !WEXITSTATUS(status);
	return ok;
}

/* Watched like the soak: the disk child reports each pass. */
static void check_coherent_stress(void)
{
	stress_stop = shared_memory(sizeof(*stress_stop));
	if (!stress_stop) {
		diag("coherent_stress: mmap: %s", strerror(errno));
		result(false, "coherent_stress");
		return;
	}
	result(run_watched("coherent_stress", coherent_stress_all), "coherent_stress");
}

static const char *setting(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

static bool read_settings(void)
{
	const char *pool = setting("wl_pool", "/sys/kernel/debug/restricted-dma-pool");

	cfg.disk = setting("wl_disk", "/dev/vda");
	cfg.stream = setting("wl_stream", "none");
	cfg.bench = setting("wl_bench", NULL);
	cfg.coherent = setting("wl_coherent", NULL);
	cfg.coherent_stress = atoi(setting("wl_coherent_stress", "0"));
	cfg.atomic = setting("wl_atomic", NULL);
	cfg.churn = atoi(setting("wl_churn", "0"));
	cfg.hv_mark = strtoul(setting("wl_hv_mark", "0"), NULL, 0);
	cfg.soak = atoi(setting("wl_soak", "0"));
	snprintf(cfg.pool, sizeof(cfg.pool), "%s%s", pool,
		 pool[strlen(pool) - 1] == '/' ? "" : "/");
	return !strcmp(cfg.stream, "none") || !strncmp(cfg.stream, "port:", 5) ||
	       !strncmp(cfg.stream, "tcp:", 4);
}

static void mount_or_say(const char *type, const char *dir)
{
	if (mount(type, dir, type, 0, NULL))
		diag("cannot mount %s on %s: %s", type, dir, strerror(errno));
}

int main(void)
{
	bool stream, settings_ok = read_settings();
	const char *stream_case;
	long boot;
	int phases;

	stream = strcmp(cfg.stream, "none");
	stream_case = !strncmp(cfg.stream, "tcp:", 4) ? "net_stream" : "console_stream";
	phases = 2 + stream;
	/* access platform, two disk passes, pool and DMA-API debug: 5 */
	printf("KTAP version 1\n1..%d\n",
	       5 + stream + !!cfg.bench + !!cfg.coherent + !!cfg.atomic +
	       (cfg.churn > 0) + (cfg.soak > 0));
	if (!settings_ok)
		diag("unknown wl_stream=%s: stream check will fail", cfg.stream);
	next_round = shared_memory(sizeof(*next_round));
	if (!next_round) {
		static unsigned int rounds;	/* the children then cannot count */

		diag("mmap: %s", strerror(errno));
		next_round = &rounds;
	}
	mount_or_say("proc", "/proc");
	mount_or_say("sysfs", "/sys");
	mount_or_say("devtmpfs", "/dev");
	mount_or_say("debugfs", "/sys/kernel/debug");

	check_access_platform();

	boot = read_long(pool_file("io_tlb_used_hiwater"));
	pool_phase_start("disk_buffered");
	check_disk("disk_buffered", 0, 0x1234abcdULL);
	pool_phase_end();
	pool_phase_start("disk_o_direct");
	check_disk("disk_o_direct", O_DIRECT, 0x9876fedcULL);
	pool_phase_end();
	if (stream) {
		pool_phase_start(stream_case);
		check_stream(stream_case);
		pool_phase_end();
	}
	check_pool(boot, phases);

	if (cfg.soak > 0)
		check_soak();
	if (cfg.churn > 0)
		check_churn();

	if (cfg.bench)
		check_dma_map_benchmark();
	if (cfg.coherent && cfg.coherent_stress > 0)
		check_coherent_stress();
	else if (cfg.coherent)
		check_coherent_benchmark();
	if (cfg.atomic)
		check_atomic_pages();

	/* Last, so that it covers every mapping made above. */
	check_dma_debug();

	/* sync() would wait for a device that stopped answering */
	if (!stalled)
		sync();
	reboot(RB_POWER_OFF);
	diag("power off failed: %s", strerror(errno));
	return 1;
}
