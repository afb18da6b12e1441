// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk backed by a file, one request queue.
 *
 * Requests are served synchronously on the notifying vCPU thread.  Data
 * moves between the file and guest memory through a bounce buffer of the
 * VMM: the copy into or out of the guest is a plain memcpy(), so a buffer
 * the guest did not share faults here (see mem.c) instead of being read
 * by the kernel on the VMM's behalf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio.h"
#include "vmm.h"

#define VIRTIO_ID_BLOCK		2
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_FLUSH	9

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define SECTOR_SIZE		512
#define BOUNCE_SIZE		(64 * 1024)
#define DISK_ID			"pkvm-vmm-disk"

struct blk_config {
	uint64_t capacity;	/* in sectors */
	uint32_t size_max;
	uint32_t seg_max;
	uint8_t geometry[4];
	uint32_t blk_size;
} __attribute__((packed));

struct blk {
	int fd;
	uint64_t size;
	struct blk_config config;
	uint8_t bounce[BOUNCE_SIZE];
	struct vchain chain;
};

/* Copy between the file at @off and one guest buffer, in bounce-sized steps. */
static bool transfer(struct blk *blk, struct vbuf *b, uint64_t off, bool read)
{
	uint32_t done, n;

	if (off > blk->size || b->len > blk->size - off)
		return false;
	for (done = 0; done < b->len; done += n) {
		n = b->len - done < BOUNCE_SIZE ? b->len - done : BOUNCE_SIZE;
		if (read) {
			if (pread(blk->fd, blk->bounce, n, off + done) != (ssize_t)n)
				return false;
			memcpy(b->p + done, blk->bounce, n);
		} else {
			memcpy(blk->bounce, b->p + done, n);
			if (pwrite(blk->fd, blk->bounce, n, off + done) != (ssize_t)n)
				return false;
		}
	}
	return true;
}

/* One request: header, data buffers, then the status byte. */
static void request(struct virtio_dev *dev, struct blk *blk, struct vchain *c)
{
	struct vbuf *status = &c->buf[c->n - 1];
	uint32_t type, written = 0;
	uint64_t off;
	uint8_t result = VIRTIO_BLK_S_OK;
	unsigned int i;

	if (c->n < 2 || c->buf[0].len < 16 || c->buf[0].device_writes ||
	    !status->device_writes || status->len < 1)
		die("%s: malformed request (%u buffers)", dev->name, c->n);
	memcpy(&type, c->buf[0].p, 4);
	memcpy(&off, c->buf[0].p + 8, 8);
	off *= SECTOR_SIZE;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		for (i = 1; i < c->n - 1 && result == VIRTIO_BLK_S_OK; i++) {
			struct vbuf *b = &c->buf[i];

			if (b->device_writes != (type == VIRTIO_BLK_T_IN))
				die("%s: data buffer %u has the wrong direction",
				    dev->name, i);
			if (!transfer(blk, b, off, type == VIRTIO_BLK_T_IN))
				result = VIRTIO_BLK_S_IOERR;
			off += b->len;
			if (type == VIRTIO_BLK_T_IN)
				written += b->len;
		}
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (fdatasync(blk->fd))
			result = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (c->n < 3 || !c->buf[1].device_writes)
			die("%s: malformed GET_ID request", dev->name);
		written = c->buf[1].len < sizeof(DISK_ID) ? c->buf[1].len : sizeof(DISK_ID);
		memcpy(c->buf[1].p, DISK_ID, written);
		break;
	default:
		result = VIRTIO_BLK_S_UNSUPP;
	}
	if (result == VIRTIO_BLK_S_IOERR)
		fprintf(stderr, "vmm: %s: I/O error, request type %u at byte %llu\n",
			dev->name, type, (unsigned long long)off);
	status->p[0] = result;
	virtq_push(dev, 0, c, written + 1);
}

static void blk_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct blk *blk = dev->priv;
	bool any = false;

	(void)queue;
	while (virtq_pop(dev, 0, &blk->chain)) {
		request(dev, blk, &blk->chain);
		any = true;
	}
	if (any)
		virtio_interrupt(dev);
}

void virtio_blk_create(struct vm *vm, unsigned int slot, const char *disk)
{
	struct virtio_dev *dev = calloc(1, sizeof(*dev));
	struct blk *blk = calloc(1, sizeof(*blk));
	struct stat st;

	if (!dev || !blk)
		die("out of memory");
	blk->fd = open(disk, O_RDWR | O_CLOEXEC);
	if (blk->fd < 0)
		die("cannot open the disk image %s: %s", disk, strerror(errno));
	if (fstat(blk->fd, &st) || !S_ISREG(st.st_mode) || !st.st_size ||
	    st.st_size % SECTOR_SIZE)
		die("the disk image %s must be a regular file, a non-zero multiple of %d bytes",
		    disk, SECTOR_SIZE);
	blk->size = st.st_size;
	blk->config.capacity = blk->size / SECTOR_SIZE;
	blk->config.seg_max = VIRTIO_MAX_SEGS - 2;	/* header and status */

	dev->name = "virtio-blk";
	dev->vm = vm;
	dev->slot = slot;
	dev->device_id = VIRTIO_ID_BLOCK;
	dev->features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH;
	dev->config = (uint8_t *)&blk->config;
	dev->config_len = sizeof(blk->config);
	dev->nr_queues = 1;
	dev->notify = blk_notify;
	dev->priv = blk;
	virtio_dev_register(dev);
}
