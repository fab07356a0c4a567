/* dnsd: one worker: UDP sockets served in recvmmsg/sendmmsg batches, TCP
 * listeners and connections, and taking up reloaded zone sets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "dnsd.h"

CL_STREAM_OPS(dnsd_tcp_ops, struct dns_stream_ops, struct dns_iov);

/* Queries longer than this are not served over UDP (nor held per batch). */
#define UDP_QUERY_MAX 4096
/* Batches per readiness callback, so UDP cannot starve the TCP clients. */
#define UDP_ROUNDS 4
/* TCP buffers per connection: a whole query and a whole answer (malloc'd
 * but only touched as far as used, so an idle connection costs little). */
#define TCP_IBUF (2 + DNS_MSG_MAX)
#define TCP_OBUF DNS_TCP_BUFSIZE

struct worker;

struct udp_sock {
	struct cl_udp u;
	struct worker *w;
};

struct tcp_lsn {
	struct cl_listener l;
	struct worker *w;
};

struct conn {
	struct cl_stream s;
	struct cl_timer t;
	struct dns_tcp tcp;
	struct worker *w;
	struct conn *prev, *next;
	uint8_t *ibuf, *obuf;
};

struct worker {
	struct dnsd *d;
	struct cl_loop *loop;
	unsigned index;
	struct engine eng;
	uint64_t gen;
	struct dns_srv srv;
	uint8_t *scratch;
	struct udp_sock udp[DNSD_MAX_LISTEN];
	struct tcp_lsn tcp[DNSD_MAX_LISTEN];
	unsigned nudp, ntcp;
	struct conn *conns;
	struct cl_udp_batch rb, sb;
	uint8_t *rmem, *smem;
	size_t sb_each;
};

/* Takes the newest zone set if a reload published one: between two
 * pieces of work, never during an answer. */
static void refresh(struct worker *w)
{
	zholder_refresh(&w->d->zones, &w->eng.zs, &w->gen);
}

static void to_dns_addr(struct dns_addr *d, const struct cl_addr *a)
{
	d->family = a->family;
	d->port = a->port;
	memcpy(d->ip, a->ip, sizeof d->ip);
}

/* ---- UDP */

/* RFC 9715 3.1: a UDP responder sets DF on IPv4 and does not fragment.
 * PROBE sets DF without taking path MTU hints from ICMP (which an attacker
 * can forge), and with DF set the kernel also skips computing an IP id
 * for every datagram. Failure only loses that, so it is not fatal. */
static void udp_tune(struct udp_sock *us)
{
#ifdef IP_PMTUDISC_PROBE
	if (us->u.addr.family == 4) {
		int v = IP_PMTUDISC_PROBE;
		if (setsockopt(cl_udp_fd(&us->u), IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v) < 0)
			cl_log(CL_LOG_DEBUG, "udp: IP_MTU_DISCOVER: %s", strerror(errno));
	}
#else
	(void)us;
#endif
}

static void on_udp(void *arg, unsigned events)
{
	struct udp_sock *us = arg;
	struct worker *w = us->w;
	if (!(events & CL_READ))
		return;
	refresh(w);
	uint64_t now = cl_loop_now(w->loop);
	for (int round = 0; round < UDP_ROUNDS; round++) {
		int n = cl_udp_recv_batch(&us->u, &w->rb);
		if (n <= 0)
			break;
		unsigned k = 0;
		for (int i = 0; i < n; i++) {
			struct cl_udp_msg *q = &w->rb.msg[i];
			if (q->trunc)
				continue;
			struct dns_addr peer;
			to_dns_addr(&peer, &q->peer);
			struct cl_udp_msg *r = &w->sb.msg[k];
			/* --remote: a NOTIFY fetches at once (repo.c) */
			int len = dnsd_repo_notify(w->d, q->buf, q->len, r->buf, r->cap);
			if (len == 0)
				len = dns_udp_answer(&w->srv, q->buf, q->len, &peer, r->buf, r->cap, now);
			if (len <= 0)
				continue;
			r->len = (size_t)len;
			r->peer = q->peer;
			k++;
		}
		w->sb.count = k;
		unsigned first = 0;
		while (first < k) {
			int s = cl_udp_send_batch(&us->u, &w->sb, first);
			if (s == 0)
				break; /* the socket is full: UDP clients retry */
			first += s > 0 ? (unsigned)s : 1; /* skip a datagram the kernel refused */
		}
		if ((unsigned)n < w->rb.nmsg)
			break;
	}
}

/* ---- TCP */

static void conn_free(struct conn *c)
{
	struct worker *w = c->w;
	cl_timer_cancel(&c->t);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->ibuf);
	free(c);
}

static void conn_poll(struct conn *c)
{
	struct worker *w = c->w;
	refresh(w);
	int r = dns_tcp_poll(&c->tcp, cl_loop_now(w->loop));
	if (r < 0) {
		if (r != DNS_EEOF)
			cl_log(CL_LOG_DEBUG, "tcp connection closed: %s", dns_strerror(r));
		conn_free(c); /* the stream was closed through the ops */
		return;
	}
	unsigned want = 0;
	if (r & DNS_WANT_READ)
		want |= CL_READ;
	/* Level-triggered: a writable socket calls back at once, which is
	 * what DNS_WANT_AGAIN asks for. */
	if (r & (DNS_WANT_WRITE | DNS_WANT_AGAIN))
		want |= CL_WRITE;
	cl_stream_want(&c->s, want);
	cl_timer_set(w->loop, &c->t, dns_tcp_next_deadline(&c->tcp));
}

static void on_conn(void *arg, unsigned events)
{
	(void)events;
	conn_poll(arg);
}

static void on_conn_timer(void *arg)
{
	conn_poll(arg);
}

static void on_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct tcp_lsn *tl = arg;
	struct worker *w = tl->w;
	struct conn *c = calloc(1, sizeof *c);
	uint8_t *bufs = malloc(TCP_IBUF + TCP_OBUF);
	if (!c || !bufs) {
		cl_log(CL_LOG_WARN, "tcp: out of memory, connection refused");
		free(c);
		free(bufs);
		close(fd);
		return;
	}
	c->w = w;
	c->ibuf = bufs;
	c->obuf = bufs + TCP_IBUF;
	if (cl_stream_init(&c->s, w->loop, fd, on_conn, c) < 0) {
		free(bufs);
		free(c);
		return;
	}
	struct dns_addr pa;
	to_dns_addr(&pa, peer);
	dns_tcp_init(&c->tcp, &w->srv, &dnsd_tcp_ops, &c->s, &pa, c->ibuf, TCP_IBUF, c->obuf,
		TCP_OBUF, cl_loop_now(w->loop));
	cl_timer_init(&c->t, on_conn_timer, c);
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	conn_poll(c);
}

/* ---- Reload */

void dnsd_reload(struct dnsd *d)
{
	char err[1200];
	uint64_t t0 = cl_now_ms();
	struct zoneset *zs = zoneset_load(&d->cfg, err, sizeof err);
	if (!zs) {
		cl_log(CL_LOG_ERROR, "reload failed, the old zones keep serving: %s", err);
		return;
	}
	char desc[CL_LOG_LINE];
	zoneset_describe(zs, desc, sizeof desc);
	zholder_publish(&d->zones, zs);
	cl_log(CL_LOG_INFO, "reloaded in %llu ms: %s", (unsigned long long)(cl_now_ms() - t0), desc);
}

static void *reload_main(void *arg)
{
	struct dnsd *d = arg;
	cl_log_set_tag("reload");
	pthread_mutex_lock(&d->reload_mu);
	do {
		d->reload_again = false;
		pthread_mutex_unlock(&d->reload_mu);
		dnsd_reload(d);
		pthread_mutex_lock(&d->reload_mu);
	} while (d->reload_again);
	d->reload_running = false;
	pthread_mutex_unlock(&d->reload_mu);
	return NULL;
}

void dnsd_reload_async(struct dnsd *d)
{
	pthread_mutex_lock(&d->reload_mu);
	if (d->reload_running) {
		d->reload_again = true;
	} else {
		if (d->reload_joinable)
			pthread_join(d->reload_thread, NULL);
		d->reload_joinable = false;
		d->reload_running = true;
		if (pthread_create(&d->reload_thread, NULL, reload_main, d) == 0) {
			d->reload_joinable = true;
		} else {
			d->reload_running = false;
			cl_log(CL_LOG_ERROR, "reload failed: cannot start its thread");
		}
	}
	pthread_mutex_unlock(&d->reload_mu);
}

void dnsd_reload_join(struct dnsd *d)
{
	pthread_mutex_lock(&d->reload_mu);
	bool j = d->reload_joinable;
	d->reload_joinable = false;
	pthread_mutex_unlock(&d->reload_mu);
	if (j)
		pthread_join(d->reload_thread, NULL);
}

/* SIGHUP reaches every worker; the first one starts the reload, and every
 * worker takes the new set up in refresh() once it is published. */
static void on_reload(struct cl_loop *loop, void *arg)
{
	(void)loop;
	struct worker *w = arg;
	if (w->index == 0 && w->d->repo)
		dnsd_repo_trigger(w->d);
	else if (w->index == 0)
		dnsd_reload_async(w->d);
	refresh(w);
}

/* ---- The worker */

static void worker_close(struct worker *w)
{
	while (w->conns) {
		struct conn *c = w->conns;
		dns_tcp_close(&c->tcp);
		conn_free(c);
	}
	for (unsigned i = 0; i < w->ntcp; i++)
		cl_listener_close(&w->tcp[i].l);
	for (unsigned i = 0; i < w->nudp; i++)
		cl_udp_close(&w->udp[i].u);
	zoneset_release(w->eng.zs);
	xfr_worker_free(w->eng.xw);
	free(w->scratch);
	free(w->rmem);
	free(w->smem);
}

int dnsd_worker(struct cl_loop *loop, unsigned index, void *arg)
{
	struct dnsd *d = arg;
	const struct config *cfg = &d->cfg;
	struct worker *w = calloc(1, sizeof *w);
	if (!w)
		return 1;
	w->d = d;
	w->loop = loop;
	w->index = index;
	w->eng.zs = zholder_get(&d->zones);
	w->gen = w->eng.zs->gen;
	w->eng.udp_max = cfg->udp_max;
	w->eng.xw = xfr_worker_new(d, cfg->tcp_idle_ms);
	w->sb_each = cfg->udp_max;
	w->scratch = malloc(DNS_SCRATCH_SIZE);
	w->rmem = malloc((size_t)CL_UDP_BATCH * UDP_QUERY_MAX);
	w->smem = malloc((size_t)CL_UDP_BATCH * w->sb_each);
	int rc = 1;
	if (!w->scratch || !w->rmem || !w->smem || !w->eng.xw ||
	    dns_srv_init(&w->srv, engine_answer, &w->eng, w->scratch, DNS_SCRATCH_SIZE) < 0 ||
	    cl_udp_batch_init(&w->rb, w->rmem, UDP_QUERY_MAX, CL_UDP_BATCH) < 0 ||
	    cl_udp_batch_init(&w->sb, w->smem, w->sb_each, CL_UDP_BATCH) < 0) {
		cl_log(CL_LOG_ERROR, "worker %u: out of memory", index);
		goto out;
	}
	w->srv.udp_max = cfg->udp_max;
	w->srv.tcp_idle_ms = cfg->tcp_idle_ms;
	unsigned per = (cfg->tcp_max + cfg->workers - 1) / cfg->workers;
	loop->max_conns = per ? per : 1;
	unsigned flags = cfg->workers > 1 ? CL_REUSEPORT : 0;
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		struct udp_sock *us = &w->udp[i];
		us->w = w;
		if (cl_udp_open(&us->u, loop, cfg->listen[i], flags, on_udp, us) < 0) {
			cl_log(CL_LOG_ERROR, "cannot listen on %s (udp): %s", cfg->listen[i], strerror(errno));
			goto out;
		}
		w->nudp++;
		udp_tune(us);
		struct tcp_lsn *tl = &w->tcp[i];
		tl->w = w;
		if (cl_listener_open(&tl->l, loop, cfg->listen[i], flags, on_accept, tl) < 0) {
			cl_log(CL_LOG_ERROR, "cannot listen on %s (tcp): %s", cfg->listen[i], strerror(errno));
			goto out;
		}
		w->ntcp++;
	}
	cl_loop_on_reload(loop, on_reload, w);
	if (index == 0) {
		char addrs[512] = "", desc[CL_LOG_LINE];
		size_t n = 0;
		for (unsigned i = 0; i < w->ntcp && n < sizeof addrs; i++) {
			char a[CL_ADDR_STRLEN];
			cl_addr_format(&w->tcp[i].l.addr, a, sizeof a);
			int k = snprintf(addrs + n, sizeof addrs - n, "%s%s", i ? " " : "", a);
			n += k > 0 ? (size_t)k : 0;
		}
		zoneset_describe(w->eng.zs, desc, sizeof desc);
		cl_log(CL_LOG_INFO, "dnsd %s started: udp+tcp on %s, %u worker%s, tcp-max %u, zones: %s",
			dns_version(), addrs, cfg->workers, cfg->workers == 1 ? "" : "s", cfg->tcp_max,
			desc);
	}
	rc = cl_loop_run(loop) < 0 ? 1 : 0;
out:
	worker_close(w);
	free(w);
	return rc;
}
