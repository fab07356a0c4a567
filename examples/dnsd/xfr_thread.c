/* dnsd: the xfr thread: NOTIFY out (RFC 1996 3.6) and secondary zones
 * (RFC 1034 4.3.5: SOA refresh, retry, expire; RFC 5936 AXFR and RFC 1995
 * IXFR in), on a loop of its own so that no worker ever waits for a
 * primary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"

/* The longest a transfer may take, start to end (dns_sec bounds SOA
 * queries, not transfers). */
#define XFR_TIMEOUT_MS 60000
/* First size of each of a secondary zone's two record sets; grown when a
 * transfer does not fit. malloc'd: only what is written is touched. */
#define XSET_FIRST ((size_t)1 << 20)
#define RBUF (2 + DNS_MSG_MAX)

struct njob {
	bool active;
	struct dns_notify_tx tx;
	uint32_t serial;
};

struct sec {
	struct xfr_thread *th;
	size_t k;
	const struct xfr_peer *p;
	struct cl_addr primary;
	struct dns_sec s;
	struct dns_xset set[2];
	uint8_t *mem[2];
	size_t cap[2];
	int live;           /* set[live] is the copy held */
	bool served;        /* published as servable */
	/* The transfer in progress. */
	bool busy, ixfr;
	struct cl_stream st;
	struct dns_xfr_rx rx;
	uint8_t q[2 + 1024];
	size_t qlen, qoff;
	uint8_t *rbuf;
	size_t rlen;
	uint64_t deadline;
	uint32_t msgs;
};

struct xfr_thread {
	struct xfr *x;
	pthread_t tid;
	bool running;
	struct cl_loop loop;
	struct cl_timer timer;
	struct cl_udp u4, u6;
	bool have_u4, have_u6;
	/* mu: the secondaries' dns_sec (workers hand them NOTIFYs). qmu: the
	 * NOTIFY jobs (a reload queues them). Lock order: mu, then pub_mu;
	 * pub_mu, then qmu; never mu and qmu together. */
	pthread_mutex_t mu, qmu;
	struct njob *jobs;  /* one per --notify */
	struct sec *secs;   /* one per --secondary */
};

static bool same_ip(const struct dns_addr *a, const uint8_t family, const uint8_t *ip)
{
	return a->family == family && memcmp(a->ip, ip, family == 4 ? 4 : 16) == 0;
}

static void to_cl(struct cl_addr *c, const struct dns_xfr_peer *p)
{
	memset(c, 0, sizeof *c);
	c->family = p->family;
	c->port = p->port;
	memcpy(c->ip, p->ip, sizeof c->ip);
}

static void send_udp(struct xfr_thread *th, const struct cl_addr *to, const uint8_t *b, size_t n)
{
	struct cl_udp *u = to->family == 4 ? (th->have_u4 ? &th->u4 : NULL) : (th->have_u6 ? &th->u6 : NULL);
	if (!u || cl_udp_send(u, b, n, to) <= 0) {
		char a[CL_ADDR_STRLEN];
		cl_addr_format(to, a, sizeof a);
		cl_log(CL_LOG_DEBUG, "udp to %s not sent", a);
	}
}

static void run(struct xfr_thread *th);

/* A secondary's dns_sec is shared with the workers (NOTIFY in): every call
 * on it goes through these, under mu. The transfer's own state (stream,
 * buffers, record sets, receiver) is the xfr thread's alone. */
static void sec_done(struct sec *z, int r, const struct dns_xrr *soa, uint64_t now)
{
	pthread_mutex_lock(&z->th->mu);
	dns_sec_xfr_done(&z->s, r, soa, now);
	pthread_mutex_unlock(&z->th->mu);
}

static uint32_t sec_serial(struct sec *z)
{
	pthread_mutex_lock(&z->th->mu);
	uint32_t s = dns_sec_serial(&z->s);
	pthread_mutex_unlock(&z->th->mu);
	return s;
}

static void xfr_begin(struct sec *z, uint64_t now);

/* ---- NOTIFY out */

void xfr_notify_queue(struct xfr *x, const uint8_t *origin, const struct dns_xrr *soa)
{
	struct xfr_thread *th = x->th;
	if (!th || !th->jobs)
		return;
	struct dns_soa v;
	if (dns_soa_parse(soa->rdata, soa->rdlen, &v))
		return;
	bool any = false;
	pthread_mutex_lock(&th->qmu);
	for (size_t i = 0; i < x->c->nnotify; i++) {
		const struct xfr_peer *p = &x->c->notify[i];
		if (!dns_name_equal(p->p.zone, origin))
			continue;
		struct njob *j = &th->jobs[i];
		/* RFC 1996 3.6: a new serial replaces a NOTIFY still being retried. */
		dns_notify_tx_init(&j->tx, origin, soa, p->key, cl_random, NULL, 2000, 5, cl_now_ms());
		j->active = true;
		j->serial = v.serial;
		any = true;
	}
	pthread_mutex_unlock(&th->qmu);
	if (any)
		cl_loop_reload(&th->loop);
}

static void notify_result(struct xfr_thread *th, size_t i, int r)
{
	const struct xfr_peer *p = &th->x->c->notify[i];
	struct njob *j = &th->jobs[i];
	if (r == 0) {
		cl_log(CL_LOG_INFO, "NOTIFY of %s serial %u to %s: acknowledged", p->zone_text, j->serial,
			p->addr_text);
		j->active = false;
	} else if (r == DNS_ETIMEDOUT || r == DNS_EXFR_RCODE) {
		cl_log(CL_LOG_WARN, "NOTIFY of %s serial %u to %s: %s", p->zone_text, j->serial, p->addr_text,
			r == DNS_ETIMEDOUT ? "no answer after 5 tries, giving up" : "refused by the secondary");
		j->active = false;
	} else {
		cl_log(CL_LOG_WARN, "NOTIFY of %s serial %u to %s: answer ignored: %s", p->zone_text,
			j->serial, p->addr_text, dns_strerror(r));
	}
}

static uint64_t notify_poll(struct xfr_thread *th, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	uint64_t now_s = xfr_now_s();
	pthread_mutex_lock(&th->qmu);
	for (size_t i = 0; i < th->x->c->nnotify; i++) {
		struct njob *j = &th->jobs[i];
		if (!j->active)
			continue;
		uint8_t b[1024];
		int n = dns_notify_tx_poll(&j->tx, now, now_s, b, sizeof b);
		if (n > 0) {
			struct cl_addr to;
			to_cl(&to, &th->x->c->notify[i].p);
			send_udp(th, &to, b, (size_t)n);
		} else if (n < 0) {
			notify_result(th, i, n);
		}
		if (j->active && dns_notify_tx_next_deadline(&j->tx) < next)
			next = dns_notify_tx_next_deadline(&j->tx);
	}
	pthread_mutex_unlock(&th->qmu);
	return next;
}

/* ---- Secondary zones */

static void sec_log_name(const struct sec *z, char *buf, size_t cap)
{
	snprintf(buf, cap, "zone %s (primary %s)", z->p->zone_text, z->p->addr_text);
}

/* Builds a servable zone from the set the transfer filled. 0, or a
 * DNS_E* code with why in err. */
static int build_zone(struct sec *z, struct dns_zone *zone, void **arena, char *err, size_t errcap)
{
	const struct dns_xset *set = &z->set[1 - z->live];
	size_t cap = 4096 + 2 * dns_xset_used(set);
	for (int attempt = 0; attempt < 3; attempt++) {
		*arena = malloc(cap);
		if (!*arena) {
			snprintf(err, errcap, "out of memory (%zu octets)", cap);
			return DNS_ENOMEM;
		}
		dns_zone_init(zone, z->p->p.zone, *arena, cap);
		struct dns_xset_iter it;
		struct dns_xrr rr;
		struct dns_zone_err ze;
		memset(&ze, 0, sizeof ze);
		dns_xset_iter_init(&it, set);
		int r = 0;
		while (r == 0 && dns_xset_next(&it, &rr) == 1) {
			struct dns_zrr zr = { rr.owner, rr.type, rr.rclass, rr.ttl, rr.rdlen, rr.rdata, NULL, 0 };
			r = dns_zone_add(zone, &zr, &ze);
		}
		if (r == 0)
			r = dns_zone_finish(zone, &ze);
		if (r == 0)
			return 0;
		free(*arena);
		*arena = NULL;
		if (r != DNS_ENOMEM) {
			char n[DNS_NAME_MAX * 4 + 2] = "";
			if (ze.name[0])
				dns_name_to_text(ze.name, n, sizeof n);
			const char *t = dns_type_name(ze.type);
			snprintf(err, errcap, "the zone fails its checks at %s %s: %s", n, t ? t : "",
				dns_strerror(ze.code ? ze.code : r));
			return r;
		}
		cap = dns_zone_needed(zone);
	}
	snprintf(err, errcap, "the zone does not fit %zu octets", cap);
	return DNS_ENOMEM;
}

static void xfr_end(struct sec *z, int r)
{
	struct xfr_thread *th = z->th;
	uint64_t now = cl_now_ms();
	char who[DNS_NAME_MAX * 4 + 100];
	sec_log_name(z, who, sizeof who);
	cl_stream_close(&z->st);
	z->busy = false;
	const char *kind = z->ixfr ? "IXFR" : "AXFR";
	if (r == DNS_XFR_NEW) {
		struct dns_zone zone;
		void *arena;
		char err[600];
		int b = build_zone(z, &zone, &arena, err, sizeof err);
		if (b < 0) {
			cl_log(CL_LOG_WARN, "%s: %s received but not used: %s; the copy in use is unchanged",
				who, kind, err);
			sec_done(z, b, NULL, now);
			return;
		}
		struct zdata *data = zdata_new(arena);
		if (!data || xfr_publish_secondary(th->x, z->k, &zone, data, true) < 0) {
			if (!data)
				free(arena);
			zdata_release(data);
			cl_log(CL_LOG_WARN, "%s: out of memory publishing the new copy", who);
			sec_done(z, DNS_ENOMEM, NULL, now);
			return;
		}
		zdata_release(data);
		z->live = 1 - z->live;
		z->served = true;
		/* The set that held the old copy is the next transfer's: as big
		 * as the one in use. */
		int n = 1 - z->live;
		if (z->cap[n] < z->cap[z->live]) {
			uint8_t *m = realloc(z->mem[n], z->cap[z->live]);
			if (m) {
				z->mem[n] = m;
				z->cap[n] = z->cap[z->live];
			}
		}
		dns_xset_init(&z->set[n], z->mem[n], z->cap[n]);
		struct dns_xrr soa;
		dns_xset_soa(&z->set[z->live], &soa);
		sec_done(z, r, &soa, now);
		cl_log(CL_LOG_INFO, "%s: serial %u by %s, %u message%s, %zu records, now served", who,
			sec_serial(z), kind, z->msgs, z->msgs == 1 ? "" : "s",
			dns_xset_count(&z->set[z->live]));
		/* Secondaries of ours (--notify) hear of it as after a reload. */
		xfr_notify_queue(th->x, z->p->p.zone, &soa);
		return;
	}
	if (r == DNS_XFR_UPTODATE) {
		sec_done(z, r, NULL, now);
		cl_log(CL_LOG_INFO, "%s: %s: up to date at serial %u", who, kind, sec_serial(z));
		return;
	}
	if (r == DNS_ENOMEM) {
		/* The zone is larger than the set lent for it: a set four times
		 * as large, and the transfer again at once. */
		int n = 1 - z->live;
		size_t cap = z->cap[n] * 4;
		uint8_t *m = cap > z->cap[n] ? realloc(z->mem[n], cap) : NULL;
		if (m) {
			z->mem[n] = m;
			z->cap[n] = cap;
			dns_xset_init(&z->set[n], z->mem[n], z->cap[n]);
			cl_log(CL_LOG_INFO, "%s: the zone needs more than %zu octets, %s again into %zu", who,
				cap / 4, kind, cap);
			xfr_begin(z, now);
			return;
		}
	}
	sec_done(z, r, NULL, now);
	cl_log(CL_LOG_WARN, "%s: %s failed after %u message%s: %s; the copy in use is unchanged", who,
		kind, z->msgs, z->msgs == 1 ? "" : "s", dns_strerror(r));
}

static void on_stream(void *arg, unsigned events)
{
	struct sec *z = arg;
	struct xfr_thread *th = z->th;
	int done = 0;
	if (!z->busy)
		goto out;
	if (z->qoff < z->qlen) {
		int n = cl_stream_send(&z->st, z->q + z->qoff, z->qlen - z->qoff);
		if (n < 0) {
			xfr_end(z, DNS_EIO);
			goto out;
		}
		z->qoff += (size_t)n;
		if (z->qoff == z->qlen)
			cl_stream_want(&z->st, CL_READ);
		else
			goto out;
	}
	if (!(events & (CL_READ | CL_HUP | CL_ERROR)))
		goto out;
	for (int round = 0; round < 64 && !done; round++) {
		int n = cl_stream_recv(&z->st, z->rbuf + z->rlen, RBUF - z->rlen);
		if (n == 0)
			break;
		if (n < 0) {
			xfr_end(z, n == -1 ? dns_xfr_rx_end(&z->rx) : DNS_EIO);
			done = 1;
			break;
		}
		z->rlen += (size_t)n;
		while (z->rlen >= 2) {
			size_t len = (size_t)z->rbuf[0] << 8 | z->rbuf[1];
			if (z->rlen < 2 + len)
				break;
			z->msgs++;
			int r = dns_xfr_rx_input(&z->rx, z->rbuf + 2, len, xfr_now_s());
			memmove(z->rbuf, z->rbuf + 2 + len, z->rlen - 2 - len);
			z->rlen -= 2 + len;
			if (r != DNS_EAGAIN) {
				xfr_end(z, r);
				done = 1;
				break;
			}
		}
	}
out:
	run(th);
}

static void xfr_begin(struct sec *z, uint64_t now)
{
	char who[DNS_NAME_MAX * 4 + 100];
	sec_log_name(z, who, sizeof who);
	int n = 1 - z->live;
	dns_xset_reset(&z->set[n]);
	pthread_mutex_lock(&z->th->mu);
	bool have = dns_sec_has_zone(&z->s);
	int len = dns_sec_xfr_begin(&z->s, &z->rx, have ? &z->set[z->live] : NULL, &z->set[n], z->q + 2,
		sizeof z->q - 2, now, xfr_now_s());
	pthread_mutex_unlock(&z->th->mu);
	if (len < 0) {
		cl_log(CL_LOG_WARN, "%s: transfer query not made: %s", who, dns_strerror(len));
		sec_done(z, len, NULL, now);
		return;
	}
	struct dns_msg m;
	z->ixfr = dns_msg_parse(&m, z->q + 2, (size_t)len) == 0 && m.q.type == DNS_T_IXFR;
	z->q[0] = (uint8_t)(len >> 8);
	z->q[1] = (uint8_t)len;
	z->qlen = 2 + (size_t)len;
	z->qoff = 0;
	z->rlen = 0;
	z->msgs = 0;
	z->deadline = now + XFR_TIMEOUT_MS;
	if (cl_stream_connect(&z->st, &z->th->loop, &z->primary, on_stream, z) < 0) {
		cl_log(CL_LOG_WARN, "%s: cannot connect: %s", who, strerror(errno));
		sec_done(z, DNS_EIO, NULL, now);
		return;
	}
	z->busy = true;
	cl_stream_want(&z->st, CL_WRITE);
	cl_log(CL_LOG_INFO, "%s: %s requested%s", who, z->ixfr ? "IXFR" : "AXFR",
		have ? "" : " (no copy held yet)");
}

static uint64_t sec_poll(struct xfr_thread *th, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (size_t k = 0; k < th->x->c->nsec; k++) {
		struct sec *z = &th->secs[k];
		char who[DNS_NAME_MAX * 4 + 100];
		sec_log_name(z, who, sizeof who);
		if (z->busy && now >= z->deadline)
			xfr_end(z, DNS_ETIMEDOUT);
		uint8_t b[1024];
		int n = 0;
		pthread_mutex_lock(&th->mu);
		int a = dns_sec_poll(&z->s, now);
		if (a == DNS_SEC_QUERY_SOA)
			n = dns_sec_soa_query(&z->s, b, sizeof b, now, xfr_now_s());
		pthread_mutex_unlock(&th->mu);
		if (n > 0)
			send_udp(th, &z->primary, b, (size_t)n);
		if (a == DNS_SEC_TRANSFER && !z->busy)
			xfr_begin(z, now);
		pthread_mutex_lock(&th->mu);
		bool has = dns_sec_has_zone(&z->s);
		bool want = has && !dns_sec_expired(&z->s, now);
		int err = dns_sec_last_error(&z->s);
		uint64_t d = dns_sec_next_deadline(&z->s);
		pthread_mutex_unlock(&th->mu);
		if (want != z->served && has && xfr_publish_secondary(th->x, k, NULL, NULL, want) == 0) {
			z->served = want;
			if (want)
				cl_log(CL_LOG_INFO, "%s: confirmed by the primary, served again", who);
			else
				cl_log(CL_LOG_ERROR, "%s: expired (no answer from the primary within the SOA "
					"expire time), answering SERVFAIL; last error: %s", who,
					err ? dns_strerror(err) : "a SOA query still unanswered");
		}
		if (z->busy && z->deadline < d)
			d = z->deadline;
		if (d < next)
			next = d;
	}
	return next;
}

static void soa_answer(struct xfr_thread *th, const uint8_t *b, size_t n, const struct cl_addr *from)
{
	pthread_mutex_lock(&th->mu);
	uint64_t now = cl_now_ms();
	for (size_t k = 0; k < th->x->c->nsec; k++) {
		struct sec *z = &th->secs[k];
		if (!cl_addr_equal(from, &z->primary))
			continue;
		uint32_t had = dns_sec_serial(&z->s);
		int r = dns_sec_soa_input(&z->s, b, n, now, xfr_now_s());
		if (r == DNS_EXFR_MISMATCH)
			continue;
		char who[DNS_NAME_MAX * 4 + 100];
		sec_log_name(z, who, sizeof who);
		if (r == DNS_SEC_TRANSFER)
			cl_log(CL_LOG_INFO, "%s: the primary has a newer serial than %u", who, had);
		else if (r == 0)
			cl_log(CL_LOG_DEBUG, "%s: serial %u confirmed", who, had);
		else if (r == DNS_ESERIAL)
			cl_log(CL_LOG_WARN, "%s: the primary's serial is older than ours (%u, RFC 1982): "
				"keeping our copy", who, had);
		else
			cl_log(CL_LOG_WARN, "%s: SOA query failed: %s", who, dns_strerror(r));
		break;
	}
	pthread_mutex_unlock(&th->mu);
}

static void notify_answer(struct xfr_thread *th, const uint8_t *b, size_t n, const struct cl_addr *from)
{
	pthread_mutex_lock(&th->qmu);
	for (size_t i = 0; i < th->x->c->nnotify; i++) {
		struct njob *j = &th->jobs[i];
		struct cl_addr to;
		to_cl(&to, &th->x->c->notify[i].p);
		if (!j->active || !cl_addr_equal(from, &to))
			continue;
		int r = dns_notify_tx_input(&j->tx, b, n, xfr_now_s());
		if (r == DNS_EXFR_MISMATCH)
			continue;
		notify_result(th, i, r);
		break;
	}
	pthread_mutex_unlock(&th->qmu);
}

static void udp_read(struct xfr_thread *th, struct cl_udp *u)
{
	for (int i = 0; i < 64; i++) {
		uint8_t b[4096];
		struct cl_addr from;
		int n = cl_udp_recv(u, b, sizeof b, &from);
		if (n <= 0)
			break;
		if (n < DNS_HDR_LEN || !(b[2] & 0x80))
			continue;
		if (DNS_OPCODE((unsigned)b[2] << 8) == DNS_OP_NOTIFY)
			notify_answer(th, b, (size_t)n, &from);
		else
			soa_answer(th, b, (size_t)n, &from);
	}
	run(th);
}

static void on_udp4(void *arg, unsigned events)
{
	struct xfr_thread *th = arg;
	(void)events;
	udp_read(th, &th->u4);
}

static void on_udp6(void *arg, unsigned events)
{
	struct xfr_thread *th = arg;
	(void)events;
	udp_read(th, &th->u6);
}

/* ---- The loop */

static void run(struct xfr_thread *th)
{
	uint64_t now = cl_now_ms();
	uint64_t a = notify_poll(th, now);
	uint64_t b = sec_poll(th, now);
	cl_timer_set(&th->loop, &th->timer, a < b ? a : b);
}

static void on_timer(void *arg)
{
	run(arg);
}

static void on_wake(struct cl_loop *loop, void *arg)
{
	(void)loop;
	run(arg);
}

static void *thread_main(void *arg)
{
	struct xfr_thread *th = arg;
	cl_log_set_tag("xfr");
	run(th);
	cl_loop_run(&th->loop);
	pthread_mutex_lock(&th->mu);
	for (size_t k = 0; k < th->x->c->nsec; k++)
		if (th->secs[k].busy) {
			cl_stream_close(&th->secs[k].st);
			th->secs[k].busy = false;
		}
	pthread_mutex_unlock(&th->mu);
	cl_timer_cancel(&th->timer);
	return NULL;
}

int xfr_notify_in(struct xfr *x, const struct dns_msg *m, const struct dns_addr *peer,
	uint64_t now_ms, uint8_t *out, size_t cap)
{
	struct xfr_thread *th = x->th;
	char p[64], zone[DNS_NAME_MAX * 4 + 2];
	xfr_addr_text(peer, p, sizeof p);
	dns_name_to_text(m->q.name, zone, sizeof zone);
	size_t k = 0;
	while (th && k < x->c->nsec && !dns_name_equal(x->c->sec[k].p.zone, m->q.name))
		k++;
	if (!th || k == x->c->nsec) {
		cl_log(CL_LOG_INFO, "NOTIFY for %s from %s: not a secondary zone here", zone, p);
		return dns_notify_answer(m, out, cap, DNS_RC_NOTAUTH);
	}
	struct sec *z = &th->secs[k];
	if (!same_ip(peer, z->p->p.family, z->p->p.ip)) {
		cl_log(CL_LOG_WARN, "NOTIFY for %s from %s refused: not its primary %s", zone, p,
			z->p->addr_text);
		return dns_notify_answer(m, out, cap, DNS_RC_REFUSED);
	}
	size_t rlen = 0;
	pthread_mutex_lock(&th->mu);
	int r = dns_sec_notify(&z->s, m, now_ms, xfr_now_s(), out, cap, &rlen);
	pthread_mutex_unlock(&th->mu);
	if (r == 0) {
		cl_log(CL_LOG_INFO, "NOTIFY for %s from %s: checking the primary", zone, p);
		cl_loop_reload(&th->loop);
	} else {
		cl_log(CL_LOG_WARN, "NOTIFY for %s from %s not accepted: %s", zone, p, dns_strerror(r));
	}
	return (int)rlen;
}

int xfr_start(struct dnsd *d)
{
	struct xfr *x = d->xfr;
	const struct xfr_conf *c = x->c;
	if (!c->nnotify && !c->nsec)
		return 0;
	struct xfr_thread *th = calloc(1, sizeof *th);
	if (!th)
		return -1;
	th->x = x;
	pthread_mutex_init(&th->mu, NULL);
	pthread_mutex_init(&th->qmu, NULL);
	th->jobs = c->nnotify ? calloc(c->nnotify, sizeof *th->jobs) : NULL;
	th->secs = c->nsec ? calloc(c->nsec, sizeof *th->secs) : NULL;
	if ((c->nnotify && !th->jobs) || (c->nsec && !th->secs) || cl_loop_init(&th->loop) < 0)
		goto fail;
	cl_timer_init(&th->timer, on_timer, th);
	cl_loop_on_reload(&th->loop, on_wake, th);
	bool v4 = false, v6 = false;
	for (size_t i = 0; i < c->nnotify; i++)
		*(c->notify[i].p.family == 4 ? &v4 : &v6) = true;
	for (size_t i = 0; i < c->nsec; i++)
		*(c->sec[i].p.family == 4 ? &v4 : &v6) = true;
	if (v4) {
		if (cl_udp_open(&th->u4, &th->loop, "0.0.0.0:0", 0, on_udp4, th) < 0)
			goto fail;
		th->have_u4 = true;
	}
	if (v6) {
		if (cl_udp_open(&th->u6, &th->loop, "[::]:0", 0, on_udp6, th) < 0)
			goto fail;
		th->have_u6 = true;
	}
	uint64_t now = cl_now_ms();
	for (size_t k = 0; k < c->nsec; k++) {
		struct sec *z = &th->secs[k];
		z->th = th;
		z->k = k;
		z->p = &c->sec[k];
		to_cl(&z->primary, &z->p->p);
		for (int i = 0; i < 2; i++) {
			z->cap[i] = XSET_FIRST;
			z->mem[i] = malloc(z->cap[i]);
			if (!z->mem[i])
				goto fail;
			dns_xset_init(&z->set[i], z->mem[i], z->cap[i]);
		}
		z->rbuf = malloc(RBUF);
		if (!z->rbuf)
			goto fail;
		dns_sec_init(&z->s, z->p->p.zone, z->p->key, cl_random, NULL, 10000, 5000, now);
	}
	x->th = th;
	if (pthread_create(&th->tid, NULL, thread_main, th) != 0) {
		x->th = NULL;
		goto fail;
	}
	th->running = true;
	return 0;
fail:
	cl_log(CL_LOG_ERROR, "zone transfer thread not started: %s", strerror(errno));
	return -1;
}

void xfr_stop(struct dnsd *d)
{
	struct xfr *x = d->xfr;
	struct xfr_thread *th = x ? x->th : NULL;
	if (!th)
		return;
	cl_loop_stop(&th->loop);
	if (th->running)
		pthread_join(th->tid, NULL);
	x->th = NULL;
	if (th->have_u4)
		cl_udp_close(&th->u4);
	if (th->have_u6)
		cl_udp_close(&th->u6);
	cl_loop_close(&th->loop);
	pthread_mutex_destroy(&th->mu);
	pthread_mutex_destroy(&th->qmu);
	for (size_t k = 0; th->secs && k < x->c->nsec; k++) {
		free(th->secs[k].mem[0]);
		free(th->secs[k].mem[1]);
		free(th->secs[k].rbuf);
	}
	free(th->secs);
	free(th->jobs);
	free(th);
}

void xfr_free(struct dnsd *d)
{
	struct xfr *x = d->xfr;
	xfr_stop(d);
	xfr_teardown();
	if (x) {
		for (size_t k = 0; x->served && k < x->c->nsec; k++)
			zdata_release(x->served[k].data);
		free(x->served);
		pthread_mutex_destroy(&x->pub_mu);
		free(x);
	}
	d->xfr = NULL;
	free(d->cfg.xfr);
	d->cfg.xfr = NULL;
}
