/* DNS over TCP (RFC 1035 4.2.2, RFC 7766): framing, pipelining, idle timeout. */
#include "dns_tr_int.h"

int dns_tcp_init(struct dns_tcp *c, struct dns_srv *srv, const struct dns_stream_ops *ops,
	void *ctx, const struct dns_addr *peer, uint8_t *ibuf, size_t icap, uint8_t *obuf,
	size_t ocap, uint64_t now_ms)
{
	memset(c, 0, sizeof *c);
	c->priv.srv = srv;
	c->priv.ops = ops;
	c->priv.ctx = ctx;
	if (peer) {
		c->priv.peer = *peer;
		c->priv.have_peer = true;
	}
	c->priv.ibuf = ibuf;
	c->priv.icap = icap;
	c->priv.obuf = obuf;
	c->priv.ocap = ocap;
	c->priv.last_ms = now_ms;
	if (!srv || !ops || !ops->recv || !ops->send || !ibuf || icap < 2 + DNS_HDR_LEN ||
	    !obuf || ocap < 2 + DNS_UDP_MIN) {
		c->priv.err = DNS_EINVAL;
		c->priv.closed = true;
		return DNS_EINVAL;
	}
	return 0;
}

static void set_err(struct dns_tcp *c, int err)
{
	if (!c->priv.err)
		c->priv.err = err;
}

static int shut(struct dns_tcp *c)
{
	if (!c->priv.closed) {
		c->priv.closed = true;
		dns_ops_close(c->priv.ops, c->priv.ctx);
	}
	return c->priv.err;
}

/* Sends pending output. 1 if bytes moved, 0 if not, -1 if the ops failed. */
static int flush(struct dns_tcp *c, uint64_t now_ms)
{
	int moved = 0;
	while (c->priv.ohead < c->priv.olen) {
		size_t left = c->priv.olen - c->priv.ohead;
		int n = dns_ops_send(c->priv.ops, c->priv.ctx, c->priv.obuf + c->priv.ohead, left);
		if (n == 0)
			break;
		if (n < 0 || (size_t)n > left) {
			set_err(c, DNS_EIO);
			return -1;
		}
		c->priv.ohead += (size_t)n;
		c->priv.last_ms = now_ms;
		moved = 1;
	}
	if (c->priv.ohead == c->priv.olen)
		c->priv.ohead = c->priv.olen = 0;
	return moved;
}

static size_t query_max(const struct dns_tcp *c)
{
	size_t m = c->priv.srv->tcp_query_max;
	return m < c->priv.icap - 2 ? m : c->priv.icap - 2;
}

/* Is a whole frame waiting at the head of the input? */
static bool frame_ready(const struct dns_tcp *c)
{
	size_t avail = c->priv.ilen - c->priv.ihead;
	return avail >= 2 && avail >= 2 + (size_t)dns_get16(c->priv.ibuf + c->priv.ihead);
}

/*
 * Answers the query at the head of the input. 1 when it did (the frame is
 * consumed unless the callback has more messages for it), 0 when it cannot
 * yet (frame incomplete, or no room for the answer until output drains),
 * -1 when the connection failed (err set).
 */
static int answer_one(struct dns_tcp *c, uint64_t now_ms)
{
	size_t avail = c->priv.ilen - c->priv.ihead;
	if (avail < 2)
		return 0;
	const uint8_t *f = c->priv.ibuf + c->priv.ihead;
	size_t flen = dns_get16(f);
	/* Checked as soon as the length is in, so a bad peer cannot make us
	 * wait for 64 KiB we would refuse anyway. */
	if (flen < DNS_HDR_LEN) {
		set_err(c, DNS_ETCP_SHORT);
		return -1;
	}
	if (flen > query_max(c)) {
		set_err(c, DNS_ETCP_LONG);
		return -1;
	}
	if (avail < 2 + flen)
		return 0;
	if (c->priv.ohead > 0) {
		memmove(c->priv.obuf, c->priv.obuf + c->priv.ohead, c->priv.olen - c->priv.ohead);
		c->priv.olen -= c->priv.ohead;
		c->priv.ohead = 0;
	}
	size_t room = c->priv.ocap - c->priv.olen;
	if (room < 2 + DNS_HDR_LEN || (c->priv.wait_drain && c->priv.olen > 0))
		return 0;
	c->priv.wait_drain = false;

	struct dns_msg m;
	struct dns_req req;
	memset(&req, 0, sizeof req);
	req.wire = f + 2;
	req.len = flen;
	req.priv.msg = &m;
	req.transport = DNS_TR_TCP;
	req.peer = c->priv.have_peer ? &c->priv.peer : NULL;
	req.now_ms = now_ms;
	req.limit = DNS_MSG_MAX;
	req.seq = c->priv.seq;
	memcpy(req.cont, c->priv.cont, sizeof req.cont);
	uint8_t *out = c->priv.obuf + c->priv.olen + 2;
	struct dns_srv *s = c->priv.srv;
	int r;
	if (c->priv.olen > 0) {
		/* Output is pending: an answer that does not fit the room left
		 * waits until it drains rather than being cut. */
		size_t cap = room - 2 > DNS_MSG_MAX ? DNS_MSG_MAX : room - 2;
		req.limit = cap;
		r = s->answer(s->answer_ctx, &req, out, cap);
		/* An engine that cuts its answers to cap itself (TC) did not
		 * fit either: the whole answer comes once the output drains. */
		if (r >= DNS_HDR_LEN && (out[2] & 0x02) && cap < DNS_MSG_MAX)
			r = DNS_ENOMEM;
		if (r == DNS_ENOMEM) {
			/* Retry once the output has drained, not at every poll. */
			c->priv.wait_drain = true;
			return 0;
		}
		if (r > 0 && (size_t)r > cap)
			r = DNS_EINVAL;
	} else {
		r = dns_srv_call(s, &req, out, room - 2);
	}
	if (r < 0) {
		set_err(c, r);
		return -1;
	}
	if (r > 0) {
		dns_put16(c->priv.obuf + c->priv.olen, (uint16_t)r);
		c->priv.olen += 2 + (size_t)r;
		c->answered++;
		s->answered++;
	} else {
		s->dropped++;
	}
	if (req.more) {
		c->priv.seq++;
		memcpy(c->priv.cont, req.cont, sizeof req.cont);
	} else {
		c->priv.seq = 0;
		memset(c->priv.cont, 0, sizeof c->priv.cont);
		c->priv.ihead += 2 + flen;
		if (c->priv.ihead == c->priv.ilen)
			c->priv.ihead = c->priv.ilen = 0;
	}
	return 1;
}

/* Reads what fits. 1 if bytes came, 0 if not (or EOF), -1 if the ops failed. */
static int fill(struct dns_tcp *c, uint64_t now_ms)
{
	if (c->priv.eof || c->priv.err)
		return 0;
	if (c->priv.ilen == c->priv.icap && c->priv.ihead > 0) {
		memmove(c->priv.ibuf, c->priv.ibuf + c->priv.ihead, c->priv.ilen - c->priv.ihead);
		c->priv.ilen -= c->priv.ihead;
		c->priv.ihead = 0;
	}
	size_t room = c->priv.icap - c->priv.ilen;
	if (room == 0)
		return 0;
	int n = dns_ops_recv(c->priv.ops, c->priv.ctx, c->priv.ibuf + c->priv.ilen, room);
	if (n == 0)
		return 0;
	if (n == -1) {
		c->priv.eof = true;
		return 0;
	}
	if (n < 0 || (size_t)n > room) {
		set_err(c, DNS_EIO);
		return -1;
	}
	c->priv.ilen += (size_t)n;
	c->priv.last_ms = now_ms;
	return 1;
}

/* Rounds of flush/answer/read per poll: each round moves bytes or ends the poll. */
#define POLL_ROUNDS 64

int dns_tcp_poll(struct dns_tcp *c, uint64_t now_ms)
{
	if (c->priv.closed)
		return c->priv.err ? c->priv.err : DNS_ECLOSED;
	unsigned answered = 0;
	bool again = false;
	for (int round = 0; round < POLL_ROUNDS; round++) {
		int moved = flush(c, now_ms);
		if (moved < 0)
			return shut(c);
		while (!c->priv.err && answered < DNS_TCP_BURST) {
			int a = answer_one(c, now_ms);
			if (a <= 0)
				break;
			answered++;
			moved = 1;
		}
		int f = flush(c, now_ms);
		if (f < 0)
			return shut(c);
		int g = fill(c, now_ms);
		if (g < 0)
			return shut(c);
		if (!(moved | f | g))
			break;
		/* Out of rounds while bytes still move: more may be ready. */
		again = round == POLL_ROUNDS - 1;
	}
	bool pending = c->priv.olen > c->priv.ohead;
	uint32_t idle = c->priv.srv->tcp_idle_ms;
	if (idle && now_ms >= c->priv.last_ms + idle) {
		set_err(c, DNS_ETIMEDOUT);
		return shut(c);
	}
	if (!pending && (c->priv.err || (c->priv.eof && !frame_ready(c)))) {
		set_err(c, DNS_EEOF);
		return shut(c);
	}
	int want = 0;
	if (pending)
		want |= DNS_WANT_WRITE;
	if (!c->priv.err) {
		if (!c->priv.eof && c->priv.ilen - c->priv.ihead < c->priv.icap)
			want |= DNS_WANT_READ;
		/* More queries wait but this poll's burst is spent. */
		if (frame_ready(c) && answered >= DNS_TCP_BURST)
			again = true;
	}
	if (again && !c->priv.err)
		want |= DNS_WANT_AGAIN;
	return want;
}

uint64_t dns_tcp_next_deadline(const struct dns_tcp *c)
{
	if (c->priv.closed || c->priv.srv->tcp_idle_ms == 0)
		return UINT64_MAX;
	return c->priv.last_ms + c->priv.srv->tcp_idle_ms;
}

void dns_tcp_close(struct dns_tcp *c)
{
	if (c->priv.closed)
		return;
	set_err(c, DNS_ECLOSED);
	shut(c);
}
