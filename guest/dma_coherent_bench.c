// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of dma_alloc_coherent() and dma_free_coherent() on a device behind
 * a restricted DMA pool: the path of dma-direct that the series changes
 * (guest/workload.c loads this module for wl_coherent=; scripts/bench-abab.sh
 * compares the trees).  Built out of tree against the guest kernel.
 *
 * At load it takes the first platform device whose coherent memory comes
 * from a restricted pool, allocates and frees @pairs buffers of each size
 * in turn, checks that every buffer lies in the pool and holds what was
 * written to it, and leaves one line per size in the read-only parameter
 * "result": the median cost of an allocation and of a free, in ns.  Any
 * failure makes the load fail.  The device's own driver keeps using the
 * pool meanwhile: allocations from it are what a driver does.
 */
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>
#include <linux/timekeeping.h>

static unsigned int pairs = 2000;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "allocations and frees per size");

static char result[256];
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "per size: median ns of an allocation and of a free");

static const size_t sizes[] = { SZ_4K, SZ_64K };

static int pooled(struct device *dev, void *data)
{
	struct device **found = data;

	if (!dev->dma_io_tlb_mem || !is_swiotlb_for_alloc(dev))
		return 0;
	*found = get_device(dev);
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *ns, unsigned int n)
{
	sort(ns, n, sizeof(*ns), cmp_u64, NULL);
	return ns[n / 2];
}

/*
 * The pool's physical range holds every byte of the buffer (from its DMA
 * address: the CPU address may be a remapped alias).
 */
static bool in_pool(struct device *dev, dma_addr_t handle, size_t size)
{
	struct io_tlb_pool *pool = &dev->dma_io_tlb_mem->defpool;
	phys_addr_t phys = dma_to_phys(dev, handle);

	return phys >= pool->start && phys + size <= pool->end;
}

static int measure(struct device *dev, size_t size, u64 *alloc_ns, u64 *free_ns)
{
	unsigned int i;

	for (i = 0; i < pairs; i++) {
		dma_addr_t handle;
		u64 t0, t1, t2;
		void *cpu;

		t0 = ktime_get_ns();
		cpu = dma_alloc_coherent(dev, size, &handle, GFP_KERNEL);
		t1 = ktime_get_ns();
		if (!cpu)
			return -ENOMEM;
		memset(cpu, i & 0xff, size);
		if (!in_pool(dev, handle, size) || ((u8 *)cpu)[size - 1] != (i & 0xff)) {
			dev_err(dev, "coherent bench: buffer at %pad outside the pool or not as written\n",
				&handle);
			dma_free_coherent(dev, size, cpu, handle);
			return -EIO;
		}
		t2 = ktime_get_ns();
		dma_free_coherent(dev, size, cpu, handle);
		alloc_ns[i] = t1 - t0;
		free_ns[i] = ktime_get_ns() - t2;
	}
	return 0;
}

static int __init coherent_bench_init(void)
{
	struct device *dev = NULL;
	u64 *alloc_ns, *free_ns;
	size_t len = 0;
	unsigned int s;
	int ret = 0;

	if (!pairs)
		return -EINVAL;
	bus_for_each_dev(&platform_bus_type, NULL, &dev, pooled);
	if (!dev) {
		pr_err("coherent bench: no platform device with a restricted DMA pool\n");
		return -ENODEV;
	}
	alloc_ns = kcalloc(pairs, sizeof(*alloc_ns), GFP_KERNEL);
	free_ns = kcalloc(pairs, sizeof(*free_ns), GFP_KERNEL);
	if (!alloc_ns || !free_ns) {
		ret = -ENOMEM;
		goto out;
	}
	for (s = 0; s < ARRAY_SIZE(sizes) && !ret; s++) {
		ret = measure(dev, sizes[s], alloc_ns, free_ns);
		if (ret)
			dev_err(dev, "coherent bench: %zu-byte buffers: error %d\n", sizes[s], ret);
		else
			len += scnprintf(result + len, sizeof(result) - len,
					 "%s: %zu bytes: %u pairs, alloc median %llu ns, free median %llu ns\n",
					 dev_name(dev), sizes[s], pairs,
					 median(alloc_ns, pairs), median(free_ns, pairs));
	}
out:
	kfree(alloc_ns);
	kfree(free_ns);
	put_device(dev);
	return ret;
}
module_init(coherent_bench_init);

static void __exit coherent_bench_exit(void)
{
}
module_exit(coherent_bench_exit);

MODULE_DESCRIPTION("dma_alloc_coherent() cost on a restricted DMA pool");
MODULE_LICENSE("GPL");
