// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio transport, version 2 (virtio 1.x "modern" register layout),
 * with split virtqueues.
 *
 * Every device offers VERSION_1 and ACCESS_PLATFORM and insists on both:
 * without ACCESS_PLATFORM the guest's virtio core bypasses the DMA API,
 * so the restricted pool (and the code under test) would not be used.
 * A driver that accepts a feature that was not offered, or a register
 * access this file does not know, stops the VMM with an error.
 */
#include <stdio.h>
#include <string.h>

#include "virtio.h"
#include "vmm.h"

#define MAGIC_VALUE		0x74726976	/* "virt" */
#define VENDOR_ID		0x554d4551	/* "QEMU": any value will do */

/* Register offsets (virtio 1.2, 4.2.2) */
#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
#define REG_VENDOR_ID		0x00c
#define REG_DEVICE_FEATURES	0x010
#define REG_DEVICE_FEATURES_SEL	0x014
#define REG_DRIVER_FEATURES	0x020
#define REG_DRIVER_FEATURES_SEL	0x024
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_INTERRUPT_STATUS	0x060
#define REG_INTERRUPT_ACK	0x064
#define REG_STATUS		0x070
#define REG_QUEUE_DESC_LOW	0x080
#define REG_QUEUE_DESC_HIGH	0x084
#define REG_QUEUE_DRIVER_LOW	0x090
#define REG_QUEUE_DRIVER_HIGH	0x094
#define REG_QUEUE_DEVICE_LOW	0x0a0
#define REG_QUEUE_DEVICE_HIGH	0x0a4
#define REG_CONFIG_GENERATION	0x0fc
#define REG_CONFIG		0x100

#define STATUS_DRIVER_OK	4
#define STATUS_FEATURES_OK	8
#define STATUS_FAILED		128

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4

#define INT_USED_BUFFER		1

#define NR_SLOTS		3

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static struct virtio_dev *slots[NR_SLOTS];

void virtio_dev_register(struct virtio_dev *dev)
{
	if (dev->slot >= NR_SLOTS || slots[dev->slot])
		die("%s: virtio-mmio slot %u is not free", dev->name, dev->slot);
	dev->features |= 1ULL << VIRTIO_F_VERSION_1 |
			 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	pthread_mutex_init(&dev->lock, NULL);
	slots[dev->slot] = dev;
}

static void set_irq_line(struct virtio_dev *dev)
{
	kvm_set_irq(dev->vm, VIRTIO_FIRST_SPI + dev->slot,
		    dev->interrupt_status != 0);
}

void virtio_interrupt(struct virtio_dev *dev)
{
	dev->interrupt_status |= INT_USED_BUFFER;
	set_irq_line(dev);
}

static void reset(struct virtio_dev *dev)
{
	dev->driver_features = 0;
	dev->device_features_sel = dev->driver_features_sel = 0;
	dev->queue_sel = 0;
	dev->status = 0;
	memset(dev->vq, 0, sizeof(dev->vq));
	dev->interrupt_status = 0;
	set_irq_line(dev);
	if (dev->reset)
		dev->reset(dev);
}

static void set_status(struct virtio_dev *dev, uint32_t status)
{
	uint64_t must = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	uint32_t new = status & ~dev->status;

	if (!status) {
		reset(dev);
		return;
	}
	if (status & STATUS_FAILED)
		die("%s: the guest driver gave up on the device (status FAILED)",
		    dev->name);
	if ((new & STATUS_FEATURES_OK) && (dev->driver_features & must) != must)
		die("%s: the guest driver did not accept VERSION_1 and ACCESS_PLATFORM (features 0x%llx)",
		    dev->name, (unsigned long long)dev->driver_features);
	dev->status = status;
	if ((new & STATUS_DRIVER_OK) && dev->driver_ok)
		dev->driver_ok(dev);
}

static void set_driver_features(struct virtio_dev *dev, uint32_t val)
{
	uint64_t word;

	if (dev->driver_features_sel > 1) {
		if (val)
			die("%s: the guest driver accepts features 0x%x of word %u, none offered",
			    dev->name, val, dev->driver_features_sel);
		return;
	}
	word = (uint64_t)val << (32 * dev->driver_features_sel);
	if (word & ~dev->features)
		die("%s: the guest driver accepts features 0x%llx, which were not offered",
		    dev->name, (unsigned long long)(word & ~dev->features));
	dev->driver_features &= ~(0xffffffffULL << (32 * dev->driver_features_sel));
	dev->driver_features |= word;
}

static void set_queue_ready(struct virtio_dev *dev, struct virtq *vq, uint32_t val)
{
	if (!val) {
		vq->ready = false;
		return;
	}
	if (!vq->num || vq->num > VIRTIO_QUEUE_SIZE || (vq->num & (vq->num - 1)))
		die("%s: queue %u has an invalid size %u", dev->name,
		    dev->queue_sel, vq->num);
	if (vq->desc % 16 || vq->avail % 2 || vq->used % 4)
		die("%s: queue %u rings are misaligned", dev->name, dev->queue_sel);
	vq->ready = true;
}

/* Queue registers before QueueReady; 64-bit addresses in two halves. */
static void set_half(uint64_t *addr, uint32_t val, bool high)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*addr = (*addr & ~0xffffffffULL) | val;
}

static void write_reg(struct virtio_dev *dev, uint32_t reg, uint32_t val)
{
	struct virtq *vq = dev->queue_sel < dev->nr_queues ?
			   &dev->vq[dev->queue_sel] : NULL;

	switch (reg) {
	case REG_DEVICE_FEATURES_SEL:
		dev->device_features_sel = val;
		return;
	case REG_DRIVER_FEATURES:
		set_driver_features(dev, val);
		return;
	case REG_DRIVER_FEATURES_SEL:
		dev->driver_features_sel = val;
		return;
	case REG_QUEUE_SEL:
		dev->queue_sel = val;
		return;
	case REG_QUEUE_NOTIFY:
		if (val >= dev->nr_queues || !dev->vq[val].ready)
			die("%s: notify for queue %u, which is not ready",
			    dev->name, val);
		dev->notify(dev, val);
		return;
	case REG_INTERRUPT_ACK:
		dev->interrupt_status &= ~val;
		set_irq_line(dev);
		return;
	case REG_STATUS:
		set_status(dev, val);
		return;
	}

	if (!vq)
		die("%s: write to register 0x%03x for queue %u, which does not exist",
		    dev->name, reg, dev->queue_sel);
	if (reg != REG_QUEUE_READY && vq->ready)
		die("%s: write to register 0x%03x of queue %u while it is ready",
		    dev->name, reg, dev->queue_sel);
	switch (reg) {
	case REG_QUEUE_NUM:
		vq->num = val;
		break;
	case REG_QUEUE_READY:
		set_queue_ready(dev, vq, val);
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
		set_half(&vq->desc, val, reg == REG_QUEUE_DESC_HIGH);
		break;
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
		set_half(&vq->avail, val, reg == REG_QUEUE_DRIVER_HIGH);
		break;
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		set_half(&vq->used, val, reg == REG_QUEUE_DEVICE_HIGH);
		break;
	default:
		die("%s: write of 0x%x to unknown register 0x%03x", dev->name,
		    val, reg);
	}
}

static uint32_t read_reg(struct virtio_dev *dev, uint32_t reg)
{
	uint32_t sel = dev->device_features_sel;

	switch (reg) {
	case REG_MAGIC:
		return MAGIC_VALUE;
	case REG_VERSION:
		return 2;
	case REG_DEVICE_ID:
		return dev->device_id;
	case REG_VENDOR_ID:
		return VENDOR_ID;
	case REG_DEVICE_FEATURES:
		return sel > 1 ? 0 : (uint32_t)(dev->features >> (32 * sel));
	case REG_QUEUE_NUM_MAX:
		return dev->queue_sel < dev->nr_queues ? VIRTIO_QUEUE_SIZE : 0;
	case REG_QUEUE_READY:
		return dev->queue_sel < dev->nr_queues &&
		       dev->vq[dev->queue_sel].ready;
	case REG_INTERRUPT_STATUS:
		return dev->interrupt_status;
	case REG_STATUS:
		return dev->status;
	case REG_CONFIG_GENERATION:
		return 0;	/* the configuration never changes */
	}
	die("%s: read of unknown register 0x%03x", dev->name, reg);
}

/* Called by the vCPU threads for every MMIO exit; false: not ours. */
bool virtio_mmio_access(uint64_t addr, uint8_t *data, uint32_t len,
			bool is_write)
{
	uint64_t slot = (addr - VIRTIO_MMIO_BASE) / VIRTIO_MMIO_SIZE;
	uint32_t reg = (addr - VIRTIO_MMIO_BASE) % VIRTIO_MMIO_SIZE;
	struct virtio_dev *dev;
	uint32_t val;

	if (addr < VIRTIO_MMIO_BASE || slot >= NR_SLOTS || !slots[slot])
		return false;
	dev = slots[slot];

	pthread_mutex_lock(&dev->lock);
	if (reg >= REG_CONFIG) {
		reg -= REG_CONFIG;
		if (reg > dev->config_len || len > dev->config_len - reg)
			die("%s: %s of %u bytes at 0x%x, outside the %u bytes of configuration space",
			    dev->name, is_write ? "write" : "read", len, reg,
			    dev->config_len);
		if (is_write)
			die("%s: the guest writes the read-only configuration space at 0x%x",
			    dev->name, reg);
		memcpy(data, dev->config + reg, len);
	} else if (len != 4 || reg % 4) {
		die("%s: %u-byte %s at register 0x%03x; registers are 32-bit",
		    dev->name, len, is_write ? "write" : "read", reg);
	} else if (is_write) {
		memcpy(&val, data, 4);
		write_reg(dev, reg, val);
	} else {
		val = read_reg(dev, reg);
		memcpy(data, &val, 4);
	}
	pthread_mutex_unlock(&dev->lock);
	return true;
}

/*
 * Take the next available descriptor chain of @queue, if any.  The driver
 * publishes the avail index after the ring entries (a release store), so
 * the index is read with acquire ordering before the entries.
 */
bool virtq_pop(struct virtio_dev *dev, unsigned int queue, struct vchain *c)
{
	struct virtq *vq = &dev->vq[queue];
	uint16_t *avail = guest_ptr(dev->vm, vq->avail, 4 + 2 * vq->num, "avail ring");
	uint16_t idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
	unsigned int i;

	if (idx == vq->last_avail)
		return false;
	if ((uint16_t)(idx - vq->last_avail) > vq->num)
		die("%s: queue %u: avail index %u is %u entries ahead of the device",
		    dev->name, queue, idx, (uint16_t)(idx - vq->last_avail));

	i = c->head = avail[2 + vq->last_avail % vq->num];
	vq->last_avail++;
	for (c->n = 0;; c->n++) {
		struct virtq_desc *d;

		if (i >= vq->num || c->n >= vq->num || c->n >= VIRTIO_MAX_SEGS)
			die("%s: queue %u: bad descriptor chain (index %u, length %u)",
			    dev->name, queue, i, c->n);
		d = guest_ptr(dev->vm, vq->desc + 16 * i, 16, "descriptor");
		if (d->flags & VIRTQ_DESC_F_INDIRECT)
			die("%s: queue %u: indirect descriptor, which was not offered",
			    dev->name, queue);
		c->buf[c->n].p = guest_ptr(dev->vm, d->addr, d->len, dev->name);
		c->buf[c->n].len = d->len;
		c->buf[c->n].device_writes = d->flags & VIRTQ_DESC_F_WRITE;
		if (!(d->flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d->next;
	}
	c->n++;
	return true;
}

/* Return a chain to the driver with @written bytes in its buffers. */
void virtq_push(struct virtio_dev *dev, unsigned int queue,
		const struct vchain *c, uint32_t written)
{
	struct virtq *vq = &dev->vq[queue];
	uint8_t *used = guest_ptr(dev->vm, vq->used, 4 + 8 * vq->num, "used ring");
	uint32_t *elem = (uint32_t *)(used + 4 + 8 * (vq->used_idx % vq->num));

	elem[0] = c->head;
	elem[1] = written;
	vq->used_idx++;
	__atomic_store_n((uint16_t *)(used + 2), vq->used_idx, __ATOMIC_RELEASE);
}
