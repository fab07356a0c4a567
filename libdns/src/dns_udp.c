/* The server object and UDP answering: size limits (RFC 1035 4.2.1, RFC 6891 6.2.5). */
#include "dns_tr_int.h"

int dns_srv_init(struct dns_srv *s, dns_answer_fn answer, void *ctx, uint8_t *scratch,
	size_t scratch_cap)
{
	memset(s, 0, sizeof *s);
	s->answer = answer;
	s->answer_ctx = ctx;
	s->udp_max = DNS_UDP_MAX_DEFAULT;
	s->tcp_query_max = DNS_MSG_MAX;
	s->tcp_idle_ms = DNS_TCP_IDLE_DEFAULT;
	s->priv.scratch = scratch;
	s->priv.scratch_cap = scratch_cap > DNS_MSG_MAX ? DNS_MSG_MAX : scratch_cap;
	if (!answer || !scratch || scratch_cap < DNS_SCRATCH_SIZE)
		return DNS_EINVAL;
	return 0;
}

size_t dns_udp_limit(const struct dns_srv *s, const struct dns_msg *m, int parse_err)
{
	if (parse_err || !m->edns.present)
		return DNS_UDP_MIN;
	/* RFC 6891 6.2.5: a requestor's size below 512 is taken as 512. */
	size_t want = m->edns.udp_size < DNS_UDP_MIN ? DNS_UDP_MIN : m->edns.udp_size;
	size_t max = s->udp_max < DNS_UDP_MIN ? DNS_UDP_MIN : s->udp_max;
	return want < max ? want : max;
}

const struct dns_msg *dns_req_msg(struct dns_req *req, int *err)
{
	if (!req->priv.parsed) {
		req->priv.parse_err = dns_msg_parse(req->priv.msg, req->wire, req->len);
		req->priv.parsed = true;
	}
	if (err)
		*err = req->priv.parse_err;
	return req->priv.msg;
}

/* The usual query: QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1, an
 * uncompressed question name, and then nothing or exactly one OPT record
 * (root owner) to the end. Returns 1 with *edns and *size set, 0 if the
 * query has another shape. */
static int quick_edns(const uint8_t *q, size_t len, bool *edns, uint16_t *size)
{
	if (len < DNS_HDR_LEN + 5 || dns_get16(q + 4) != 1 || dns_get16(q + 6) != 0 ||
	    dns_get16(q + 8) != 0 || dns_get16(q + 10) > 1)
		return 0;
	size_t pos = DNS_HDR_LEN;
	for (int labels = 0; labels <= DNS_LABELS_MAX; labels++) {
		if (pos >= len || q[pos] > DNS_LABEL_MAX)
			return 0;
		if (q[pos] == 0)
			break;
		pos += (size_t)q[pos] + 1;
	}
	if (pos >= len || q[pos] != 0 || pos - DNS_HDR_LEN + 1 > DNS_NAME_MAX)
		return 0;
	pos += 5; /* the root label, QTYPE, QCLASS */
	if (dns_get16(q + 10) == 0) {
		*edns = false;
		return pos == len;
	}
	if (pos > len || len - pos < 11 || q[pos] != 0 || dns_get16(q + pos + 1) != DNS_T_OPT ||
	    len - pos - 11 != dns_get16(q + pos + 9))
		return 0;
	*edns = true;
	*size = dns_get16(q + pos + 3);
	return 1;
}

size_t dns_udp_query_limit(const struct dns_srv *s, const uint8_t *q, size_t len)
{
	bool edns;
	uint16_t size = 0;
	if (quick_edns(q, len, &edns, &size)) {
		if (!edns)
			return DNS_UDP_MIN;
		size_t want = size < DNS_UDP_MIN ? DNS_UDP_MIN : size;
		size_t max = s->udp_max < DNS_UDP_MIN ? DNS_UDP_MIN : s->udp_max;
		return want < max ? want : max;
	}
	struct dns_msg m;
	int err = dns_msg_parse(&m, q, len);
	return dns_udp_limit(s, &m, err);
}

/*
 * Calls the answer callback for req into out (cap octets) and makes the
 * response fit req->limit: when the callback needs more room than out, it
 * writes into the scratch buffer instead, and a response over the limit is
 * cut back by dns_msg_truncate(). Shared by UDP and TCP.
 */
int dns_srv_call(struct dns_srv *s, struct dns_req *req, uint8_t *out, size_t cap)
{
	if (cap > DNS_MSG_MAX)
		cap = DNS_MSG_MAX;
	if (req->limit > cap)
		req->limit = cap;
	int r = s->answer(s->answer_ctx, req, out, cap);
	const uint8_t *from = out;
	if (r == DNS_ENOMEM && cap < s->priv.scratch_cap) {
		r = s->answer(s->answer_ctx, req, s->priv.scratch, s->priv.scratch_cap);
		from = s->priv.scratch;
		if (r > 0 && (size_t)r > s->priv.scratch_cap)
			return DNS_EINVAL;
	} else if (r > 0 && (size_t)r > cap) {
		return DNS_EINVAL; /* the callback wrote past its buffer */
	}
	if (r <= 0)
		return r;
	if ((size_t)r > req->limit) {
		r = dns_msg_truncate(from, (size_t)r, out, req->limit);
		if (r > 0)
			s->truncated++;
	} else if (from != out) {
		memcpy(out, from, (size_t)r);
	}
	return r;
}

int dns_udp_answer(struct dns_srv *s, const uint8_t *query, size_t len,
	const struct dns_addr *peer, uint8_t *out, size_t cap, uint64_t now_ms)
{
	/* Without a whole header there is no id to answer to. */
	if (len < DNS_HDR_LEN || cap < DNS_UDP_MIN) {
		s->dropped++;
		return len < DNS_HDR_LEN ? 0 : DNS_EINVAL;
	}
	struct dns_msg m;
	struct dns_req req;
	memset(&req, 0, sizeof req);
	req.priv.msg = &m;
	req.wire = query;
	req.len = len;
	req.transport = DNS_TR_UDP;
	req.peer = peer;
	req.now_ms = now_ms;
	req.limit = dns_udp_query_limit(s, query, len);
	int r = dns_srv_call(s, &req, out, cap);
	if (r > 0)
		s->answered++;
	else
		s->dropped++;
	return r;
}

int dns_udp_serve(struct dns_srv *s, const struct dns_datagram_ops *ops, void *ctx,
	uint8_t *qbuf, size_t qcap, uint8_t *rbuf, size_t rcap, unsigned max, uint64_t now_ms)
{
	unsigned n = 0;
	while (n < max) {
		struct dns_addr from;
		int q = dns_dgram_recv(ops, ctx, qbuf, qcap, &from);
		if (q == 0)
			break;
		if (q < 0)
			return DNS_EIO;
		n++;
		int r = dns_udp_answer(s, qbuf, (size_t)q, &from, rbuf, rcap, now_ms);
		if (r <= 0)
			continue;
		int w = dns_dgram_send(ops, ctx, rbuf, (size_t)r, &from);
		if (w < 0)
			return DNS_EIO;
		if (w == 0) {
			/* The socket is full: drop this answer, the client retries. */
			s->answered--;
			s->dropped++;
		}
	}
	return (int)n;
}
