// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet data forwarder (capture mode): the headers of selected frames go
 * into per-CPU header batches (lib/batch.h, the format dicapd's XDP
 * capture sends) and from there over UDP to the analyzers.
 *
 * Each CPU has a ring of DICAP_FWD_NBUF batch buffers with one producer,
 * the packet path on that CPU (softirq), and one consumer, that CPU's send
 * work item (process context: a kernel socket may sleep, so nothing is
 * sent from softirq).  A buffer's state word hands it over: FREE ->
 * FILLING (producer) -> READY (producer, release) -> FREE (consumer,
 * release).  The producer takes no lock and allocates nothing; to wake
 * the consumer it raises an irq_work (lockless), which queues the work.
 * A delayed work item per CPU hands over a partly filled batch every
 * DICAP_FWD_FLUSH_MS on its own CPU with bottom halves off, which is what
 * keeps it from racing with that CPU's producer.
 *
 * Batches go round-robin over the configured analyzers, each numbered per
 * analyzer stream (+1 per batch; restarted when the list changes).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/irq_work.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "dicap/batch.h"
#include "dicap.h"

#define DICAP_FWD_NBUF		8
#define DICAP_FWD_BATCH_LEN	DICAP_BATCH_DEFAULT_MAX		/* 1472 */
#define DICAP_FWD_FLUSH_MS	50
#define DICAP_LINKTYPE_ETHERNET	1

enum { DICAP_BUF_FREE, DICAP_BUF_FILLING, DICAP_BUF_READY };

struct dicap_fwd_cpu {
	unsigned int head;	/* producer's buffer */
	unsigned int tail;	/* consumer's next buffer */
	int state[DICAP_FWD_NBUF];
	u8 flags[DICAP_FWD_NBUF];
	struct dicap_batch_writer w[DICAP_FWD_NBUF];
	struct irq_work kick;
	struct work_struct send;
	struct delayed_work flush;
	int cpu;
	u8 buf[DICAP_FWD_NBUF][DICAP_FWD_BATCH_LEN];
};

static struct {
	struct dicap_fwd_cpu __percpu *pcpu;
	struct socket *sock4;
	struct socket *sock6;
	atomic_t next_analyzer;
	atomic_t seq[DICAP_K_MAX_ANALYZERS];
	bool running;
} dicap_fwd;

/* Producer: hand the head buffer to the sender and move on. */
static void dicap_fwd_ready(struct dicap_fwd_cpu *p, u8 flags)
{
	unsigned int i = p->head;

	p->flags[i] = flags;
	/* the batch's bytes before the state the sender acquires */
	smp_store_release(&p->state[i], DICAP_BUF_READY);
	p->head = (i + 1) % DICAP_FWD_NBUF;
}

/* Producer: the head buffer, begun if it was free; NULL if none is free. */
static struct dicap_batch_writer *dicap_fwd_writer(struct dicap_fwd_cpu *p)
{
	unsigned int i = p->head;

	if (p->state[i] == DICAP_BUF_FILLING)
		return &p->w[i];
	/* pairs with the sender's release: it is done with the bytes */
	if (smp_load_acquire(&p->state[i]) != DICAP_BUF_FREE)
		return NULL;
	dicap_batch_begin(&p->w[i], p->buf[i], DICAP_FWD_BATCH_LEN);
	p->state[i] = DICAP_BUF_FILLING;
	return &p->w[i];
}

/*
 * The packet path, softirq, under RCU: one record of @caplen bytes
 * (<= DICAP_K_SNAPLEN_MAX, so it always fits an empty batch).
 */
void dicap_fwd_capture(const struct dicap_cfg *cfg, const u8 *data,
		       unsigned int caplen, unsigned int wirelen, u64 ts)
{
	struct dicap_fwd_cpu *p = this_cpu_ptr(dicap_fwd.pcpu);
	struct dicap_batch_writer *w = dicap_fwd_writer(p);

	if (w && dicap_batch_add(w, ts, wirelen, data, caplen) < 0) {
		dicap_fwd_ready(p, 0);
		irq_work_queue(&p->kick);
		w = dicap_fwd_writer(p);
		if (w && dicap_batch_add(w, ts, wirelen, data, caplen) < 0)
			w = NULL;
	}
	if (!w) {
		dicap_count(DICAP_DP_RINGBUF_FULL);
		return;
	}
	dicap_count(DICAP_DP_RING_RECORDS);
}

static void dicap_fwd_kick(struct irq_work *work)
{
	struct dicap_fwd_cpu *p = container_of(work, struct dicap_fwd_cpu, kick);

	queue_work_on(p->cpu, system_highpri_wq, &p->send);
}

/* One batch to the next analyzer in turn; process context. */
static void dicap_fwd_send_one(struct dicap_fwd_cpu *p, unsigned int i)
{
	struct sockaddr_storage addr;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	const struct dicap_cfg *cfg;
	struct socket *sock;
	struct kvec iov;
	u32 node_id, an, seq;
	int addrlen, err;

	rcu_read_lock();
	cfg = rcu_dereference(dicap.cfg);
	if (!cfg->n_analyzers) {
		rcu_read_unlock();
		dicap_count(DICAP_K_SEND_ERRORS);
		return;
	}
	an = (u32)atomic_inc_return(&dicap_fwd.next_analyzer) % cfg->n_analyzers;
	addr = cfg->analyzers[an].addr;
	addrlen = cfg->analyzers[an].addrlen;
	node_id = cfg->node_id;
	rcu_read_unlock();

	seq = (u32)atomic_inc_return(&dicap_fwd.seq[an]) - 1;
	iov.iov_base = p->buf[i];
	iov.iov_len = dicap_batch_finish(&p->w[i], node_id, seq, DICAP_LINKTYPE_ETHERNET,
					 p->flags[i]);
	sock = addr.ss_family == AF_INET6 ? dicap_fwd.sock6 : dicap_fwd.sock4;
	msg.msg_name = &addr;
	msg.msg_namelen = addrlen;
	err = sock ? kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len) : -EAFNOSUPPORT;
	if (err < 0) {
		dicap_count(DICAP_K_SEND_ERRORS);
		return;
	}
	dicap_count(DICAP_K_BATCHES_SENT);
	this_cpu_add(dicap.stats->v[DICAP_K_RECORDS_SENT], p->w[i].count);
}

/* Consumer: send every READY buffer, in order. */
static void dicap_fwd_send(struct work_struct *work)
{
	struct dicap_fwd_cpu *p = container_of(work, struct dicap_fwd_cpu, send);
	unsigned int i;

	/* acquire pairs with dicap_fwd_ready(): the batch is complete */
	for (i = p->tail; smp_load_acquire(&p->state[i]) == DICAP_BUF_READY;
	     i = (i + 1) % DICAP_FWD_NBUF) {
		dicap_fwd_send_one(p, i);
		/* sent: the producer may overwrite the bytes from here on */
		smp_store_release(&p->state[i], DICAP_BUF_FREE);
	}
	p->tail = i;
}

static void dicap_fwd_flush(struct work_struct *work)
{
	struct dicap_fwd_cpu *p = container_of(to_delayed_work(work),
					       struct dicap_fwd_cpu, flush);

	local_bh_disable();
	/* Off its CPU (being unplugged) this could race with the producer. */
	if (smp_processor_id() == p->cpu && p->state[p->head] == DICAP_BUF_FILLING &&
	    p->w[p->head].count)
		dicap_fwd_ready(p, DICAP_BF_FLUSH);
	local_bh_enable();
	/* Through the work item: it never runs twice at once, so one consumer. */
	queue_work_on(p->cpu, system_highpri_wq, &p->send);
	if (READ_ONCE(dicap_fwd.running))
		queue_delayed_work_on(p->cpu, system_wq, &p->flush,
				      msecs_to_jiffies(DICAP_FWD_FLUSH_MS));
}

/* The analyzer list changed: new streams start at sequence number 0. */
void dicap_fwd_analyzers_changed(void)
{
	int i;

	for (i = 0; i < DICAP_K_MAX_ANALYZERS; i++)
		atomic_set(&dicap_fwd.seq[i], 0);
}

int dicap_fwd_init(void)
{
	struct dicap_fwd_cpu *p;
	int cpu, err;

	dicap_fwd.pcpu = alloc_percpu(struct dicap_fwd_cpu);
	if (!dicap_fwd.pcpu)
		return -ENOMEM;
	err = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP, &dicap_fwd.sock4);
	if (err)
		goto err_free;
	/* A kernel without IPv6 still forwards to IPv4 analyzers. */
	if (sock_create_kern(&init_net, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, &dicap_fwd.sock6))
		dicap_fwd.sock6 = NULL;
	WRITE_ONCE(dicap_fwd.running, true);
	for_each_possible_cpu(cpu) {
		p = per_cpu_ptr(dicap_fwd.pcpu, cpu);
		p->cpu = cpu;
		init_irq_work(&p->kick, dicap_fwd_kick);
		INIT_WORK(&p->send, dicap_fwd_send);
		INIT_DELAYED_WORK(&p->flush, dicap_fwd_flush);
		if (cpu_online(cpu))
			queue_delayed_work_on(cpu, system_wq, &p->flush,
					      msecs_to_jiffies(DICAP_FWD_FLUSH_MS));
	}
	return 0;

err_free:
	free_percpu(dicap_fwd.pcpu);
	return err;
}

/*
 * After the packet path is gone (no producers): stop the flush timers,
 * then the kicks that could queue a send, then the sends.
 */
void dicap_fwd_exit(void)
{
	struct dicap_fwd_cpu *p;
	int cpu;

	WRITE_ONCE(dicap_fwd.running, false);
	for_each_possible_cpu(cpu) {
		p = per_cpu_ptr(dicap_fwd.pcpu, cpu);
		cancel_delayed_work_sync(&p->flush);
		irq_work_sync(&p->kick);
		cancel_work_sync(&p->send);
	}
	if (dicap_fwd.sock6)
		sock_release(dicap_fwd.sock6);
	sock_release(dicap_fwd.sock4);
	free_percpu(dicap_fwd.pcpu);
}
