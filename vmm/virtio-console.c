// SPDX-License-Identifier: GPL-2.0
/*
 * Two virtio-console devices:
 *
 * - the guest's console (hvc0): a single console port, no features; what
 *   the guest writes goes to the VMM's console output;
 * - the stream device: MULTIPORT, one port named "stream" that the guest
 *   workload finds in /sys/class/virtio-ports (wl_stream=port:stream).
 *   The VMM is the peer: once the guest opens the port it sends the
 *   payload of guest/stream.py (the top byte of each xorshift64 step
 *   from STREAM_SEED), checks the guest's echo byte for byte and, once
 *   the whole echo is back, sends one byte "A" to say so.  One byte "R"
 *   from the guest then asks for another round, from STREAM_SEED plus
 *   the round's number; the guest may reset the device between rounds
 *   (its soak and device_churn cases unbind and rebind it).  A port
 *   and not a second console: a console is a tty, whose line discipline
 *   would rewrite binary data.
 *
 * The multiport control protocol (virtio 1.2, 5.3.6.2), as used here:
 *   driver: DEVICE_READY          device: PORT_ADD 0
 *   driver: PORT_READY 0          device: PORT_NAME 0 "stream", PORT_OPEN 0 1
 *   driver: PORT_OPEN 0 1 (the workload opened the port): data may flow;
 *   the driver drops data that arrives for a port nobody has open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio.h"
#include "vmm.h"

#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_CONSOLE_F_MULTIPORT	1

#define RX			0	/* port 0, device to driver */
#define TX			1	/* port 0, driver to device */
#define CTRL_RX			2	/* control, device to driver */
#define CTRL_TX			3	/* control, driver to device */

#define CTRL_DEVICE_READY	0
#define CTRL_PORT_ADD		1
#define CTRL_PORT_READY		3
#define CTRL_PORT_OPEN		6
#define CTRL_PORT_NAME		7

#define STREAM_PORT		"stream"
#define STREAM_SEED		0x5eed5eedULL	/* guest/workload.c, guest/stream.py */
#define MAX_PENDING		4

struct console_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
} __attribute__((packed));

struct ctrl_msg {
	uint32_t id;
	uint16_t event;
	uint16_t value;
	char name[sizeof(STREAM_PORT)];	/* PORT_NAME only, no NUL sent */
} __attribute__((packed));

struct console {
	struct console_config config;
	struct vchain chain;
	int out_fd;			/* console: where guest output goes */

	/* stream */
	struct ctrl_msg pending[MAX_PENDING];
	unsigned int nr_pending;
	bool guest_open, acked;
	uint64_t bytes, sent, echoed;		/* this round */
	uint64_t rounds, total_sent, total_echoed, mismatches;
	uint64_t send_state, check_state;	/* xorshift64 */
};

static struct console *stream;

static uint8_t next_byte(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s >> 56;
}

/* hvc0: copy out of the guest, then write (see mem.c on system calls). */
static void console_tx(struct virtio_dev *dev, struct console *con)
{
	uint8_t buf[4096];
	unsigned int i;
	uint32_t done, n;

	while (virtq_pop(dev, TX, &con->chain)) {
		for (i = 0; i < con->chain.n; i++) {
			struct vbuf *b = &con->chain.buf[i];

			if (b->device_writes)
				continue;
			for (done = 0; done < b->len; done += n) {
				n = b->len - done < sizeof(buf) ? b->len - done : sizeof(buf);
				memcpy(buf, b->p + done, n);
				if (write(con->out_fd, buf, n) != (ssize_t)n)
					die("cannot write the guest console output");
			}
		}
		virtq_push(dev, TX, &con->chain, 0);
		virtio_interrupt(dev);
	}
}

static void console_notify(struct virtio_dev *dev, unsigned int queue)
{
	/* Receive buffers stay with the device: the guest gets no input. */
	if (queue == TX)
		console_tx(dev, dev->priv);
}

void virtio_console_create(struct vm *vm, unsigned int slot, int out_fd)
{
	struct virtio_dev *dev = calloc(1, sizeof(*dev));
	struct console *con = calloc(1, sizeof(*con));

	if (!dev || !con)
		die("out of memory");
	con->out_fd = out_fd;
	dev->name = "virtio-console";
	dev->vm = vm;
	dev->slot = slot;
	dev->device_id = VIRTIO_ID_CONSOLE;
	dev->config = (uint8_t *)&con->config;
	dev->config_len = sizeof(con->config);
	dev->nr_queues = 2;
	dev->notify = console_notify;
	dev->priv = con;
	virtio_dev_register(dev);
}

/* --- the stream port ------------------------------------------------- */

static void ctrl_send(struct console *con, uint16_t event, uint16_t value)
{
	struct ctrl_msg *m;

	if (con->nr_pending == MAX_PENDING)
		die("virtio-stream: too many control messages pending");
	m = &con->pending[con->nr_pending++];
	memset(m, 0, sizeof(*m));
	m->event = event;
	m->value = value;
	if (event == CTRL_PORT_NAME)
		memcpy(m->name, STREAM_PORT, strlen(STREAM_PORT));
}

/* Deliver pending control messages into the driver's control buffers. */
static void ctrl_flush(struct virtio_dev *dev, struct console *con)
{
	while (con->nr_pending && virtq_pop(dev, CTRL_RX, &con->chain)) {
		struct ctrl_msg *m = &con->pending[0];
		size_t len = 8 + (m->event == CTRL_PORT_NAME ? strlen(STREAM_PORT) : 0);
		struct vbuf *b = &con->chain.buf[0];

		if (!b->device_writes || b->len < len)
			die("virtio-stream: control receive buffer too small");
		memcpy(b->p, m, len);
		virtq_push(dev, CTRL_RX, &con->chain, len);
		memmove(m, m + 1, --con->nr_pending * sizeof(*m));
		virtio_interrupt(dev);
	}
}

static void ctrl_receive(struct virtio_dev *dev, struct console *con)
{
	struct ctrl_msg m;

	while (virtq_pop(dev, CTRL_TX, &con->chain)) {
		struct vbuf *b = &con->chain.buf[0];

		if (b->device_writes || b->len < 8)
			die("virtio-stream: malformed control message");
		memcpy(&m, b->p, 8);
		virtq_push(dev, CTRL_TX, &con->chain, 0);
		virtio_interrupt(dev);

		switch (m.event) {
		case CTRL_DEVICE_READY:
			if (m.value != 1)
				die("virtio-stream: the guest driver failed to set up the device");
			ctrl_send(con, CTRL_PORT_ADD, 0);
			break;
		case CTRL_PORT_READY:
			if (m.id != 0 || m.value != 1)
				die("virtio-stream: the guest could not add port %u", m.id);
			ctrl_send(con, CTRL_PORT_NAME, 0);
			ctrl_send(con, CTRL_PORT_OPEN, 1);	/* host side connected */
			break;
		case CTRL_PORT_OPEN:
			con->guest_open = m.value;
			break;
		default:
			die("virtio-stream: unexpected control event %u", m.event);
		}
	}
	ctrl_flush(dev, con);
}

/*
 * The acknowledgement: the guest must not close the port, let alone reset
 * the device, while its echo is still on the way (guest/workload.c).
 */
static void stream_ack(struct virtio_dev *dev, struct console *con)
{
	if (con->acked || con->echoed < con->bytes || !con->guest_open ||
	    !virtq_pop(dev, RX, &con->chain))
		return;
	if (!con->chain.buf[0].device_writes || !con->chain.buf[0].len)
		die("virtio-stream: no room for the acknowledgement");
	con->chain.buf[0].p[0] = 'A';
	virtq_push(dev, RX, &con->chain, 1);
	virtio_interrupt(dev);
	con->acked = true;
	if (!con->rounds)
		mem_count_pool_at_rest(dev->vm);
}

/* Fill the guest's receive buffers with the payload, while any is left. */
static void stream_fill(struct virtio_dev *dev, struct console *con)
{
	unsigned int i;

	while (con->guest_open && con->sent < con->bytes &&
	       virtq_pop(dev, RX, &con->chain)) {
		uint32_t written = 0;

		for (i = 0; i < con->chain.n; i++) {
			struct vbuf *b = &con->chain.buf[i];
			uint32_t j;

			if (!b->device_writes)
				die("virtio-stream: read-only receive buffer");
			for (j = 0; j < b->len && con->sent < con->bytes; j++, con->sent++)
				b->p[j] = next_byte(&con->send_state);
			written += j;
			con->total_sent += j;
		}
		virtq_push(dev, RX, &con->chain, written);
		virtio_interrupt(dev);
	}
}

/* The next round, which the guest asked for with "R". */
static void stream_next_round(struct console *con)
{
	con->rounds++;
	con->sent = con->echoed = 0;
	con->acked = false;
	con->send_state = con->check_state = STREAM_SEED + con->rounds;
}

static void stream_check(struct virtio_dev *dev, struct console *con)
{
	unsigned int i;
	uint32_t j;

	while (virtq_pop(dev, TX, &con->chain)) {
		for (i = 0; i < con->chain.n; i++) {
			struct vbuf *b = &con->chain.buf[i];

			if (b->device_writes)
				continue;
			for (j = 0; j < b->len; j++) {
				if (con->acked && b->p[j] == 'R') {
					stream_next_round(con);
					continue;
				}
				con->mismatches += con->acked || con->echoed >= con->sent ||
					b->p[j] != next_byte(&con->check_state);
				con->echoed++;
				con->total_echoed++;
			}
		}
		virtq_push(dev, TX, &con->chain, 0);
		virtio_interrupt(dev);
	}
}

static void stream_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct console *con = dev->priv;

	switch (queue) {
	case CTRL_TX:
		ctrl_receive(dev, con);
		break;
	case CTRL_RX:
		ctrl_flush(dev, con);
		break;
	case TX:
		stream_check(dev, con);
		break;
	}
	stream_fill(dev, con);
	stream_ack(dev, con);
}

/* The driver starts over: control messages and the port are gone. */
static void stream_reset(struct virtio_dev *dev)
{
	struct console *con = dev->priv;

	con->nr_pending = 0;
	con->guest_open = false;
}

void virtio_stream_create(struct vm *vm, unsigned int slot, uint64_t bytes)
{
	struct virtio_dev *dev = calloc(1, sizeof(*dev));
	struct console *con = calloc(1, sizeof(*con));

	if (!dev || !con)
		die("out of memory");
	con->config.max_nr_ports = 1;
	con->bytes = bytes;
	con->send_state = con->check_state = STREAM_SEED;
	dev->name = "virtio-stream";
	dev->vm = vm;
	dev->slot = slot;
	dev->device_id = VIRTIO_ID_CONSOLE;
	dev->features = 1ULL << VIRTIO_CONSOLE_F_MULTIPORT;
	dev->config = (uint8_t *)&con->config;
	dev->config_len = sizeof(con->config);
	dev->nr_queues = 4;
	dev->notify = stream_notify;
	dev->reset = stream_reset;
	dev->priv = con;
	virtio_dev_register(dev);
	stream = con;
}

/* The stream's verdict line; true if every byte came back unchanged. */
bool virtio_stream_report(void)
{
	bool ok;

	if (!stream)
		return true;
	ok = stream->acked && !stream->mismatches;
	printf("vmm: stream %s: %llu rounds, %llu bytes sent, %llu echoed back, %llu mismatches\n",
	       ok ? "ok" : "FAILED", (unsigned long long)stream->rounds + 1,
	       (unsigned long long)stream->total_sent,
	       (unsigned long long)stream->total_echoed,
	       (unsigned long long)stream->mismatches);
	return ok;
}
