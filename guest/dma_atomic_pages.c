// SPDX-License-Identifier: GPL-2.0
/*
 * dma_alloc_pages() that cannot block, for a device that forces
 * unencrypted DMA and has no restricted DMA pool: dma-direct takes such
 * memory from the atomic pools, which pool.c shared with the host when it
 * filled them, and dma_free_pages() must give it back to its pool.  That
 * is the path of the series' first patch.  guest/workload.c loads this
 * module for wl_atomic= (the realm gate, scripts/realm-trees.sh, and the
 * SEV and TDX guests' vendor variant, scripts/svm-trees.sh); it is built
 * out of tree against the guest kernel.
 *
 * At load it takes the first virtio-mmio transport (a realm's devices) or,
 * failing that, virtio-pci device (an x86 guest's) without a restricted
 * pool (the realm gate boots without pools for this case), and for
 * @rounds rounds allocates @batch buffers of one to four pages with
 * GFP_ATOMIC, checks that each handle is the shared encoding of its pages
 * (the top IPA bit in a realm, the address itself in a SEV or TDX guest),
 * fills each buffer through its linear address, which the pool made
 * shared, checks all of them, and frees them.
 * Allocating a batch before freeing it makes the pool hand out more than
 * its first page.
 *
 * It refuses to run (-EOPNOTSUPP) on a device that does not force
 * unencrypted DMA: dma-direct would not use the atomic pools at all.  Any
 * other failure fails the load, with the reason and the round in the
 * kernel log; after a load that succeeded, "result" says what was done.
 */
#include <linux/cc_platform.h>
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

static unsigned int rounds = 200;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "allocate a batch, check it, free it: this many times");

static unsigned int batch = 8;
module_param(batch, uint, 0444);
MODULE_PARM_DESC(batch, "buffers held at once, 1 to 32");

static char result[256];
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "what was allocated, checked and freed");

#define MAX_BATCH	32

struct atomic_buf {
	struct page *page;
	dma_addr_t handle;
	size_t size;
};

struct unpooled_match {
	const char *driver;
	struct device *dev;
};

/*
 * A device bound to the driver named in @data that has no restricted
 * pool.  dev->driver is read without the device lock: the workload binds
 * and unbinds nothing while this module loads, and the virtio transports'
 * drivers are built in, so a driver seen here stays valid.
 */
static int unpooled(struct device *dev, void *data)
{
	const struct device_driver *drv = READ_ONCE(dev->driver);
	struct unpooled_match *match = data;

	if (!drv || strcmp(drv->name, match->driver) ||
	    (dev->dma_io_tlb_mem && is_swiotlb_for_alloc(dev)))
		return 0;
	match->dev = get_device(dev);
	return 1;
}

/* The first unpooled virtio-mmio transport, or else virtio-pci device. */
static struct device *unpooled_virtio(void)
{
	struct unpooled_match match = { .driver = "virtio-mmio" };

	bus_for_each_dev(&platform_bus_type, NULL, &match, unpooled);
#ifdef CONFIG_PCI
	if (!match.dev) {
		match.driver = "virtio-pci";
		bus_for_each_dev(&pci_bus_type, NULL, &match, unpooled);
	}
#endif
	return match.dev;
}

/*
 * Whether dma-direct shares this device's memory.  x86 does not export
 * force_dma_unencrypted(); in a guest it says what cc_platform_has() says.
 */
static bool shares_dma_memory(struct device *dev)
{
#ifdef CONFIG_X86
	return cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
#else
	return force_dma_unencrypted(dev);
#endif
}

/* A byte per buffer and round, so that a buffer handed out twice shows. */
static u8 pattern(unsigned int round, unsigned int i)
{
	return (round * 31 + i * 7) & 0xff;
}

/* One round: allocate and fill a batch, then check and free it. */
static int one_round(struct device *dev, unsigned int round,
		     struct atomic_buf *bufs)
{
	unsigned int i, n;
	phys_addr_t phys;
	int ret = 0;

	for (n = 0; n < batch; n++) {
		struct atomic_buf *b = &bufs[n];

		b->size = PAGE_SIZE << ((round + n) % 3);
		b->page = dma_alloc_pages(dev, b->size, &b->handle,
					  DMA_BIDIRECTIONAL, GFP_ATOMIC);
		if (!b->page) {
			dev_err(dev, "atomic pages: round %u: no %zu-byte buffer\n",
				round, b->size);
			ret = -ENOMEM;
			break;
		}
		phys = page_to_phys(b->page);
		if (b->handle != phys_to_dma_unencrypted(dev, phys)) {
			dev_err(dev, "atomic pages: handle %pad is not the shared encoding of %pa\n",
				&b->handle, &phys);
			ret = -EIO;
		}
		memset(page_address(b->page), pattern(round, n), b->size);
	}
	for (i = 0; i < n; i++) {
		struct atomic_buf *b = &bufs[i];
		u8 *p = page_address(b->page), *bad;

		bad = memchr_inv(p, pattern(round, i), b->size);
		if (bad) {
			dev_err(dev, "atomic pages: round %u: buffer %u not as written at byte %td\n",
				round, i, bad - p);
			ret = -EIO;
		}
		dma_free_pages(dev, b->size, b->page, b->handle, DMA_BIDIRECTIONAL);
	}
	return ret;
}

static int __init atomic_pages_init(void)
{
	struct atomic_buf *bufs;
	struct device *dev;
	unsigned int round;
	int ret = 0;

	if (!rounds || !batch || batch > MAX_BATCH)
		return -EINVAL;
	dev = unpooled_virtio();
	if (!dev) {
		pr_err("atomic pages: no bound virtio device without a restricted DMA pool\n");
		return -ENODEV;
	}
	if (!shares_dma_memory(dev)) {
		dev_err(dev, "atomic pages: the device does not force unencrypted DMA\n");
		ret = -EOPNOTSUPP;
		goto out;
	}
	bufs = kcalloc(batch, sizeof(*bufs), GFP_KERNEL);
	if (!bufs) {
		ret = -ENOMEM;
		goto out;
	}
	for (round = 0; round < rounds && !ret; round++)
		ret = one_round(dev, round, bufs);
	kfree(bufs);
	if (ret)
		dev_err(dev, "atomic pages: round %u failed, %u of %u rounds done\n",
			round - 1, round - 1, rounds);
	else
		scnprintf(result, sizeof(result),
			  "%s: %u rounds of %u GFP_ATOMIC dma_alloc_pages() buffers checked and freed\n",
			  dev_name(dev), rounds, batch);
out:
	put_device(dev);
	return ret;
}
module_init(atomic_pages_init);

static void __exit atomic_pages_exit(void)
{
}
module_exit(atomic_pages_exit);

MODULE_DESCRIPTION("dma_alloc_pages() without blocking on a device that forces unencrypted DMA");
MODULE_LICENSE("GPL");
