/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mmio transport (virtio 1.x, "version 2" register layout) and
 * split virtqueues, for the devices in virtio-blk.c and virtio-console.c.
 */
#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33

#define VIRTIO_MAX_QUEUES	4
#define VIRTIO_QUEUE_SIZE	128	/* QueueNumMax of every queue */
#define VIRTIO_MAX_SEGS		VIRTIO_QUEUE_SIZE

struct virtq {
	uint32_t num;		/* QueueNum: entries, a power of 2 */
	bool ready;
	uint64_t desc, avail, used;	/* guest addresses of the three rings */
	uint16_t last_avail;	/* next avail entry the device will take */
	uint16_t used_idx;	/* next used entry the device will fill */
};

/* One buffer of a descriptor chain, already mapped for the VMM. */
struct vbuf {
	uint8_t *p;
	uint32_t len;
	bool device_writes;	/* VIRTQ_DESC_F_WRITE */
};

struct vchain {
	uint16_t head;
	unsigned int n;
	struct vbuf buf[VIRTIO_MAX_SEGS];
};

struct virtio_dev {
	const char *name;
	struct vm *vm;
	unsigned int slot;	/* transport: address and SPI, see layout.h */
	uint32_t device_id;
	uint64_t features;	/* offered */
	uint8_t *config;	/* device configuration space */
	uint32_t config_len;
	unsigned int nr_queues;
	/* A queue has new available buffers (QueueNotify); dev->lock held */
	void (*notify)(struct virtio_dev *dev, unsigned int queue);
	/* The driver set DRIVER_OK; dev->lock held */
	void (*driver_ok)(struct virtio_dev *dev);
	/* The driver reset the device (status 0), e.g. on unbind; optional */
	void (*reset)(struct virtio_dev *dev);
	void *priv;

	/* Transport state, under lock: vCPU threads access it concurrently */
	pthread_mutex_t lock;
	uint64_t driver_features;
	uint32_t device_features_sel, driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t interrupt_status;
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

void virtio_dev_register(struct virtio_dev *dev);
bool virtio_mmio_access(uint64_t addr, uint8_t *data, uint32_t len,
			bool is_write);

/* Ring helpers for the devices; dev->lock held. */
bool virtq_pop(struct virtio_dev *dev, unsigned int queue, struct vchain *c);
void virtq_push(struct virtio_dev *dev, unsigned int queue,
		const struct vchain *c, uint32_t written);
void virtio_interrupt(struct virtio_dev *dev);

#endif /* VMM_VIRTIO_H */
