// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the pKVM host's initramfs (scripts/pkvm.sh): mount the kernel
 * file systems, make an empty disk image, check that the VMM rejects bad
 * input with an error (never a hang), run the VMM on the guest files and
 * power off.  Every line it prints starts with "host: ".
 *
 * Settings from the host kernel command line (unknown key=value
 * parameters reach init as environment variables):
 *   vmm_timeout=<seconds>	passed to the VMM's -t (default 600)
 *   vmm_disk_mib=<MiB>		size of the guest's disk (default 8)
 *   vmm_bad_cases=0		skip the bad-input cases
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VMM		"/pkvm-vmm"
#define DISK		"/disk.img"
#define GUEST_CONSOLE	"/dev/hvc0"	/* QEMU virtconsole -> guest log */
#define CASE_TIMEOUT	60		/* seconds: longer is a hang */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Bad input for the VMM: expected exit status and a piece of its error
 * message.  The /tests images are vmm/test-guest.S, run as protected VMs.
 */
static const struct bad_case {
	const char *name;
	int status;
	const char *message;
	char *argv[16];
} bad_cases[] = {
	{ "no arguments", 2, "are required", { VMM, NULL } },
	{ "missing kernel image", 1, "cannot open the kernel Image",
	  { VMM, "-k", "/nonexistent", "-i", "/guest/initramfs.cpio",
	    "-d", "/guest/guest.dtb", "-b", DISK, NULL } },
	{ "not a kernel image", 1, "is not an arm64 kernel Image",
	  { VMM, "-k", "/guest/guest.dtb", "-i", "/guest/initramfs.cpio",
	    "-d", "/guest/guest.dtb", "-b", DISK, NULL } },
	{ "DTB too large for the layout", 1, "the memory layout has room for",
	  { VMM, "-k", "/guest/Image", "-i", "/guest/initramfs.cpio",
	    "-d", "/guest/Image", "-b", DISK, NULL } },
	{ "not a DTB", 1, "is not a flattened device tree",
	  { VMM, "-k", "/guest/Image", "-i", "/guest/initramfs.cpio",
	    "-d", "/guest/initramfs.cpio", "-b", DISK, NULL } },
	{ "unknown MMIO access", 1, "unhandled MMIO write",
	  { VMM, "-k", "/tests/bad-mmio.img", "-i", "/guest/initramfs.cpio",
	    "-d", "/guest/guest.dtb", "-b", DISK, NULL } },
	{ "unsupported virtio feature", 1, "which were not offered",
	  { VMM, "-k", "/tests/bad-feature.img", "-i", "/guest/initramfs.cpio",
	    "-d", "/guest/guest.dtb", "-b", DISK, NULL } },
	{ "guest that never stops", 1, "TIMEOUT",
	  { VMM, "-k", "/tests/spin.img", "-i", "/guest/initramfs.cpio",
	    "-d", "/guest/guest.dtb", "-b", DISK, "-t", "5", NULL } },
};

static double uptime(void)
{
	double t = -1;
	FILE *f = fopen("/proc/uptime", "r");

	if (f) {
		if (fscanf(f, "%lf", &t) != 1)
			t = -1;
		fclose(f);
	}
	return t;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	printf("host: power off failed: %s\n", strerror(errno));
	for (;;)
		pause();
}

/* Run one bad case with its output in @out; the exit status, or -1. */
static int run_case(const struct bad_case *c, char *out, size_t len)
{
	int pipefd[2], status = -1, waited = 0;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execv(VMM, c->argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (used < len - 1 && (n = read(pipefd[0], out + used, len - 1 - used)) > 0)
		used += n;
	out[used] = 0;
	close(pipefd[0]);
	while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
		if (waited++ == CASE_TIMEOUT) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep(1);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void run_bad_cases(void)
{
	char out[4096];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		int status = run_case(c, out, sizeof(out));
		char *line = strstr(out, c->message);

		if (status == c->status && line) {
			while (line > out && line[-1] != '\n')
				line--;
			printf("host: bad input ok: %s: exit %d, %.*s\n", c->name,
			       status, (int)strcspn(line, "\n"), line);
		} else {
			printf("host: FAIL: bad input %s: exit %d (expected %d with \"%s\"), output:\n%s\n",
			       c->name, status, c->status, c->message, out);
		}
	}
}

int main(void)
{
	const char *timeout = getenv("vmm_timeout") ? : "600";
	const char *disk_mib = getenv("vmm_disk_mib") ? : "8";
	char *argv[] = { VMM, "-k", "/guest/Image", "-i", "/guest/initramfs.cpio",
			 "-d", "/guest/guest.dtb", "-b", DISK, "-t", (char *)timeout,
			 "-o", GUEST_CONSOLE, NULL };
	double started;
	int fd, status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	started = uptime();
	printf("host: init started %.1f s after boot\n", started);

	if (access("/dev/kvm", R_OK | W_OK)) {
		printf("host: FAIL: no /dev/kvm (%s): KVM did not initialise\n",
		       strerror(errno));
		power_off();
	}
	if (access(GUEST_CONSOLE, W_OK)) {
		printf("host: no %s, the guest console goes to this console\n",
		       GUEST_CONSOLE);
		argv[11] = NULL;	/* drop -o */
	}

	fd = open(DISK, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, strtoll(disk_mib, NULL, 0) << 20)) {
		printf("host: FAIL: cannot create %s: %s\n", DISK, strerror(errno));
		power_off();
	}
	close(fd);

	if (strcmp(getenv("vmm_bad_cases") ? : "1", "0")) {
		run_bad_cases();
		printf("host: bad-input cases done %.1f s after boot\n", uptime());
	}
	started = uptime();
	pid = fork();
	if (pid == 0) {
		execv(VMM, argv);
		printf("host: FAIL: cannot run %s: %s\n", VMM, strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("host: FAIL: cannot run %s: %s\n", VMM, strerror(errno));
		power_off();
	}
	if (WIFEXITED(status))
		printf("host: vmm exited with status %d after %.1f s\n",
		       WEXITSTATUS(status), uptime() - started);
	else
		printf("host: vmm killed by signal %d (%s) after %.1f s\n",
		       WTERMSIG(status), strsignal(WTERMSIG(status)),
		       uptime() - started);
	power_off();
	return 0;
}
