// SPDX-License-Identifier: GPL-2.0
/*
 * Guest workload: runs as /init, checks that virtio I/O through memory
 * shared with the host is correct, prints KTAP and powers the guest off.
 *
 * Every byte that crosses a virtio device is generated from a seed, so
 * both ends can verify it without keeping a copy.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/reboot.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#define CHUNK		(256 * 1024)
#define STREAM_BYTES	(1024 * 1024)	/* must match guest-stream.py */
#define POOL_HIWATER	"/sys/kernel/debug/restricted-dma-pool/io_tlb_used_hiwater"
#define DMA_API_ERRORS	"/sys/kernel/debug/dma-api/error_count"
#define NR_CASES	6

static int case_nr;

static void result(int ok, const char *name)
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
}

/* xorshift64: the same stream on the host side (guest-stream.py). */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(uint8_t *buf, size_t len, uint64_t *s)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = next(s);

		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
}

static long read_number(const char *path)
{
	char text[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(text, sizeof(text), f))
		text[0] = 0;
	fclose(f);
	return text[0] ? strtol(text, NULL, 10) : -1;
}

/* Every virtio device must have negotiated VIRTIO_F_ACCESS_PLATFORM. */
static void check_access_platform(void)
{
	DIR *dir = opendir("/sys/bus/virtio/devices");
	int devices = 0, missing = 0;
	struct dirent *d;

	while (dir && (d = readdir(dir))) {
		char path[300], bits[128] = "";
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/virtio/devices/%s/features", d->d_name);
		f = fopen(path, "r");
		if (!f || !fgets(bits, sizeof(bits), f))
			bits[0] = 0;
		if (f)
			fclose(f);
		devices++;
		if (strlen(bits) <= 33 || bits[33] != '1') {
			diag("%s: ACCESS_PLATFORM (bit 33) not negotiated", d->d_name);
			missing++;
		}
	}
	if (dir)
		closedir(dir);
	diag("%d virtio devices", devices);
	result(devices >= 2 && !missing, "virtio_access_platform");
}

/* Write the whole disk from @seed, read it back and compare every byte. */
static void check_disk(const char *name, int flags, uint64_t seed)
{
	uint64_t size = 0, off, w = seed, r = seed, bad = 0;
	uint8_t *buf, *expect;
	int fd, err = 0;

	fd = open("/dev/vda", O_RDWR | flags);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || !size) {
		diag("%s: cannot open /dev/vda", name);
		result(0, name);
		return;
	}
	if (posix_memalign((void **)&buf, 4096, CHUNK) ||
	    posix_memalign((void **)&expect, 4096, CHUNK))
		exit(1);

	for (off = 0; off < size && !err; off += CHUNK) {
		fill(buf, CHUNK, &w);
		err = pwrite(fd, buf, CHUNK, off) != CHUNK;
	}
	/* Drop the page cache so that the reads really come from the device. */
	err |= fsync(fd) || ioctl(fd, BLKFLSBUF, 0);
	for (off = 0; off < size && !err; off += CHUNK) {
		size_t i;

		fill(expect, CHUNK, &r);
		err = pread(fd, buf, CHUNK, off) != CHUNK;
		for (i = 0; i < CHUNK && !err; i++)
			bad += buf[i] != expect[i];
	}
	close(fd);
	free(buf);
	free(expect);
	diag("%s: %llu bytes checked, %llu mismatches%s", name,
	     (unsigned long long)size, (unsigned long long)bad,
	     err ? ", I/O error" : "");
	result(!err && !bad, name);
}

/*
 * The host sends STREAM_BYTES over a virtio-console port, one byte per
 * xorshift step so that any split into reads gives the same stream; the
 * guest checks them and sends them back for the host to check.
 */
static void check_console_stream(void)
{
	uint64_t s = 0x5eed5eedULL, bad = 0, got = 0;
	static uint8_t buf[CHUNK];
	int fd = open("/dev/vport0p1", O_RDWR);

	if (fd < 0) {
		diag("console_stream: no /dev/vport0p1");
		result(0, "console_stream");
		return;
	}
	while (got < STREAM_BYTES) {
		ssize_t n = read(fd, buf, sizeof(buf) < STREAM_BYTES - got ?
					  sizeof(buf) : STREAM_BYTES - got);
		ssize_t i;

		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			bad += buf[i] != (uint8_t)(next(&s) >> 56);
		if (write(fd, buf, n) != n)
			break;
		got += n;
	}
	close(fd);
	diag("console_stream: %llu bytes received and echoed, %llu mismatches",
	     (unsigned long long)got, (unsigned long long)bad);
	result(got == STREAM_BYTES && !bad, "console_stream");
}

int main(void)
{
	long before, after, errors;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);

	printf("KTAP version 1\n1..%d\n", NR_CASES);
	check_access_platform();
	before = read_number(POOL_HIWATER);
	check_disk("disk_buffered", 0, 0x1234abcdULL);
	check_disk("disk_o_direct", O_DIRECT, 0x9876fedcULL);
	check_console_stream();
	after = read_number(POOL_HIWATER);
	diag("restricted pool high-water mark: %ld slots before I/O, %ld after",
	     before, after);
	result(before >= 0 && after > before, "restricted_pool_in_use");
	errors = read_number(DMA_API_ERRORS);
	diag("DMA-API debug error_count: %ld", errors);
	result(errors == 0, "dma_api_debug_errors");

	sync();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
