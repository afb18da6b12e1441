// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the pKVM host's initramfs (scripts/pkvm.sh): mount the kernel
 * file systems, make an empty disk image, run the VMM on the guest files
 * and power off.  Every line it prints starts with "host: ".
 *
 * Settings from the host kernel command line (unknown key=value
 * parameters reach init as environment variables):
 *   vmm_timeout=<seconds>	passed to the VMM's -t (default 600)
 *   vmm_disk_mib=<MiB>		size of the guest's disk (default 8)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VMM		"/pkvm-vmm"
#define DISK		"/disk.img"
#define GUEST_CONSOLE	"/dev/hvc0"	/* QEMU virtconsole -> guest log */

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
