// SPDX-License-Identifier: GPL-2.0
/*
 * dma_alloc_coherent() and dma_free_coherent() on a device behind a
 * restricted DMA pool, the path of dma-direct that the series changes:
 * their cost, or their correctness while several threads use them at
 * once.  guest/workload.c loads this module for wl_coherent=; it is built
 * out of tree against the guest kernel.
 *
 * At load it takes the first platform device whose coherent memory comes
 * from a restricted pool.  The device's own driver keeps using the pool
 * meanwhile: allocations from it are what a driver does.
 *
 * Benchmark (default): allocate and free @pairs buffers of each size in
 * turn, check that every buffer lies in the pool and that its last byte
 * reads back what was written, and leave one line per size in the read-only parameter
 * "result": the median cost of an allocation and of a free, in ns
 * (scripts/bench-abab.sh compares the trees).
 *
 * Stress (@stress_threads > 0): that many threads, spread over the CPUs,
 * allocate, fill, check and free buffers of several sizes for
 * @stress_seconds, each holding a few at a time, so that allocations and
 * frees of different threads interleave; every buffer must lie in the
 * pool and still hold its own pattern when it is freed.  "result" gets
 * one line with the counts.
 *
 * Any failure makes the load fail.
 */
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>
#include <linux/timekeeping.h>

static unsigned int pairs = 2000;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "allocations and frees per size");

static char result[512];
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "per size, median ns of an allocation and of a free; or the stress counts");

static unsigned int stress_threads;
module_param(stress_threads, uint, 0444);
MODULE_PARM_DESC(stress_threads, "instead of the benchmark, this many threads at once");

static unsigned int stress_seconds = 10;
module_param(stress_seconds, uint, 0444);
MODULE_PARM_DESC(stress_seconds, "how long the stress threads run");

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

#define STRESS_HELD	8	/* buffers a stress thread holds at a time */

static const size_t stress_sizes[] = { SZ_4K, SZ_16K, SZ_64K };

struct stress_buf {
	void *cpu;
	dma_addr_t handle;
	size_t size;
	u32 tag;
};

struct stress_thread {
	struct device *dev;
	struct task_struct *task;
	unsigned int id;
	unsigned long allocs, full, bad;
};

/* Word i holds tag + i, modulo 2^32. */
static u32 stress_word(const struct stress_buf *b, size_t i)
{
	return b->tag + (u32)i;
}

static void stress_fill(struct stress_buf *b)
{
	u32 *word = b->cpu;
	size_t i;

	for (i = 0; i < b->size / sizeof(*word); i++)
		word[i] = stress_word(b, i);
}

/* The first word that lost its pattern, and what it holds, in the log. */
static bool stress_intact(struct device *dev, const struct stress_buf *b)
{
	const u32 *word = b->cpu;
	size_t i;

	for (i = 0; i < b->size / sizeof(*word); i++) {
		if (word[i] == stress_word(b, i))
			continue;
		dev_err(dev, "coherent bench: %zu-byte buffer at %pad: word %zu is %#x, not %#x\n",
			b->size, &b->handle, i, word[i], stress_word(b, i));
		return false;
	}
	return true;
}

static void stress_release(struct stress_thread *t, struct stress_buf *b)
{
	if (!b->cpu)
		return;
	t->bad += !stress_intact(t->dev, b);
	dma_free_coherent(t->dev, b->size, b->cpu, b->handle);
	b->cpu = NULL;
}

/*
 * Until told to stop: free the oldest buffer held, after checking it, and
 * allocate a new one in its place.  A failure stops the allocations; the
 * thread still waits for kthread_stop().
 */
static int stress_fn(void *data)
{
	struct stress_buf held[STRESS_HELD] = {};
	struct stress_thread *t = data;
	unsigned int n, i;

	for (n = 0; !kthread_should_stop(); n++) {
		struct stress_buf *b = &held[n % STRESS_HELD];

		if (t->bad) {
			msleep(20);
			continue;
		}
		stress_release(t, b);
		b->size = stress_sizes[n % ARRAY_SIZE(stress_sizes)];
		b->cpu = dma_alloc_coherent(t->dev, b->size, &b->handle, GFP_KERNEL);
		if (!b->cpu) {
			t->full++;
			usleep_range(1000, 2000);
			continue;
		}
		t->allocs++;
		if (!in_pool(t->dev, b->handle, b->size)) {
			dev_err(t->dev, "coherent bench: %zu-byte buffer at %pad outside the pool\n",
				b->size, &b->handle);
			t->bad++;
		}
		b->tag = (t->id << 28) ^ (n * 2654435761U);
		stress_fill(b);
		cond_resched();
	}
	for (i = 0; i < STRESS_HELD; i++)
		stress_release(t, &held[i]);
	return 0;
}

static int run_stress(struct device *dev)
{
	unsigned long allocs = 0, full = 0, bad = 0;
	struct stress_thread *threads;
	unsigned int i, started;
	int ret = 0;

	threads = kcalloc(stress_threads, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return -ENOMEM;
	for (started = 0; started < stress_threads; started++) {
		struct stress_thread *t = &threads[started];

		t->dev = dev;
		t->id = started;
		t->task = kthread_create(stress_fn, t, "coherent-stress/%u", started);
		if (IS_ERR(t->task)) {
			ret = PTR_ERR(t->task);
			break;
		}
		kthread_bind(t->task, started % num_online_cpus());
		wake_up_process(t->task);
	}
	if (!ret)
		msleep(stress_seconds * MSEC_PER_SEC);
	for (i = 0; i < started; i++) {
		kthread_stop(threads[i].task);
		allocs += threads[i].allocs;
		full += threads[i].full;
		bad += threads[i].bad;
	}
	kfree(threads);
	scnprintf(result, sizeof(result),
		  "%s: stress: %u threads on %u CPUs for %u s, %lu buffers allocated, checked and freed, %lu allocations failed (pool full), %lu outside the pool or not as written\n",
		  dev_name(dev), started, num_online_cpus(), stress_seconds, allocs, full, bad);
	if (!ret && (bad || !allocs))
		ret = -EIO;
	return ret;
}

static int __init coherent_bench_init(void)
{
	struct device *dev = NULL;
	u64 *alloc_ns, *free_ns;
	size_t len = 0;
	unsigned int s;
	int ret = 0;

	if (!pairs || (stress_threads && !stress_seconds))
		return -EINVAL;
	bus_for_each_dev(&platform_bus_type, NULL, &dev, pooled);
	if (!dev) {
		pr_err("coherent bench: no platform device with a restricted DMA pool\n");
		return -ENODEV;
	}
	if (stress_threads) {
		ret = run_stress(dev);
		if (ret)
			dev_err(dev, "coherent bench: %s", result);
		put_device(dev);
		return ret;
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

MODULE_DESCRIPTION("dma_alloc_coherent() on a restricted DMA pool: cost, and under concurrency");
MODULE_LICENSE("GPL");
