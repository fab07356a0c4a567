/*
 * The fetch client, sans I/O (git's fetch-pack.c in its simplest shape:
 * one want, the local ref tips as haves (at most GITSTORE_FETCH_HAVES), and
 * done at once: no multi-round negotiation. A follower's tip is almost
 * always an ancestor of what it fetches, so one round finds the common
 * commit; after a history rewrite the server may send objects the local
 * repository already has, never fewer than needed).
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

enum {
	F_ADV,          /* reading the advertisement (v2 capabilities or v0 refs) */
	F_SEND_LSREFS,
	F_LSREFS,
	F_SEND_FETCH,   /* v2 fetch, or v0 wants */
	F_RESP,         /* v2: "packfile"; v0: ACK or NAK */
	F_PACK,
	F_SEND_END,     /* stream: a flush to say goodbye */
	F_DONE
};

static const char agent[] = "agent=cloudlet/" GITSTORE_VERSION;

int gitstore_daemon_request(uint8_t *out, size_t cap, const char *service, const char *path, const char *host,
	int version)
{
	size_t sl = strlen(service), pl = strlen(path), hl = strlen(host);
	size_t n = sl + 1 + pl + 1 + 5 + hl + 1 + (version == 2 ? 11 : 0);
	if (n > GITSTORE_PKT_DATA_MAX)
		return GITSTORE_EPKT_TOOLONG;
	if (n + 4 > cap)
		return GITSTORE_ENOMEM;
	uint8_t *p = out + 4;
	memcpy(p, service, sl);
	p += sl;
	*p++ = ' ';
	memcpy(p, path, pl);
	p += pl;
	*p++ = 0;
	memcpy(p, "host=", 5);
	p += 5;
	memcpy(p, host, hl);
	p += hl;
	*p++ = 0;
	if (version == 2) {
		/* git daemon passes what follows a second NUL on as GIT_PROTOCOL. */
		memcpy(p, "\0version=2\0", 11);
		p += 11;
	}
	gitstore_int_pkt_hdr(out, n + 4);
	return (int)n + 4;
}

static bool copy_name(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n >= GITSTORE_REFNAME_MAX)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static void add_have(struct gitstore_fetch *f, const struct gitstore_oid *id)
{
	if (gitstore_oid_is_zero(id) || f->priv.nhaves == GITSTORE_FETCH_HAVES)
		return;
	for (size_t i = 0; i < f->priv.nhaves; i++)
		if (gitstore_oid_cmp(&f->priv.haves[i], id) == 0)
			return;
	f->priv.haves[f->priv.nhaves++] = *id;
}

static int have_each(void *arg, const char *name, const struct gitstore_ref *ref)
{
	(void)name;
	if (!ref->symbolic)
		add_have(arg, &ref->id);
	return 0;
}

int gitstore_fetch_init(struct gitstore_fetch *f, struct gitstore_repo *repo, unsigned flags, const char *remote_ref,
	const char *local_ref, const struct gitstore_fetch_mem *mem)
{
	if (!repo || !mem || !mem->in || mem->in_cap < GITSTORE_PKT_MAX)
		return GITSTORE_EINVAL;
	memset(f, 0, sizeof *f);
	int rc = gitstore_int_inpack_init(&f->priv.ip, &mem->pack);
	if (rc < 0)
		return rc;
	if (!copy_name(f->remote_ref, remote_ref) || !copy_name(f->local_ref, local_ref) ||
		gitstore_refname_check(local_ref, 0) < 0)
		return GITSTORE_EREF_NAME;
	f->repo = repo;
	f->flags = flags;
	f->priv.m = *mem;
	gitstore_pktbuf_init(&f->priv.in, mem->in, mem->in_cap);
	/* The value compare-and-swap will expect: none when the ref does not exist yet. */
	struct gitstore_ref ref;
	rc = gitstore_ref_read(repo, local_ref, &ref);
	if (rc == 0 && ref.symbolic)
		rc = gitstore_ref_resolve(repo, local_ref, &ref.id, NULL);
	if (rc == 0)
		f->priv.old = ref.id;
	else if (rc != GITSTORE_ENOENT)
		return rc;
	/* What the server may leave out because we have it: our tips (any order; the server ignores the rest). */
	add_have(f, &f->priv.old);
	rc = gitstore_ref_list(repo, "refs/", have_each, f);
	if (rc < 0 && rc != GITSTORE_ENOENT)
		return rc;
	f->priv.state = F_ADV;
	return 0;
}

/* ---- requests */

struct req {
	uint8_t *out;
	size_t cap, len;
	int err;
};

static void r_line(struct req *q, const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	size_t at = q->len;
	if (q->err)
		return;
	q->len += 4;
	for (int i = 0; i < 3; i++) {
		if (!parts[i])
			continue;
		size_t n = strlen(parts[i]);
		if (q->len + n > q->cap) {
			q->err = GITSTORE_ENOMEM;
			return;
		}
		memcpy(q->out + q->len, parts[i], n);
		q->len += n;
	}
	if (q->len > q->cap) {
		q->err = GITSTORE_ENOMEM;
		return;
	}
	gitstore_int_pkt_hdr(q->out + at, q->len - at);
}

static void r_special(struct req *q, const char *s)
{
	if (q->err || q->len + 4 > q->cap) {
		q->err = q->err ? q->err : GITSTORE_ENOMEM;
		return;
	}
	memcpy(q->out + q->len, s, 4);
	q->len += 4;
}

int gitstore_fetch_output(struct gitstore_fetch *f, uint8_t *out, size_t cap)
{
	struct req q = { out, cap, 0, 0 };
	char want[GITSTORE_HEX_MAX + 8], have[GITSTORE_HEX_MAX + 8];
	memcpy(want, "want ", 5);
	gitstore_oid_to_hex(f->repo->algo, &f->priv.want, want + 5);
	memcpy(have, "have ", 5);
	switch (f->priv.state) {
	case F_SEND_LSREFS:
		r_line(&q, "command=ls-refs\n", NULL, NULL);
		r_line(&q, agent, "\n", NULL);
		r_special(&q, "0001");
		r_line(&q, "peel\n", NULL, NULL);
		r_line(&q, "symrefs\n", NULL, NULL);
		r_line(&q, "ref-prefix ", f->remote_ref, "\n");
		r_special(&q, "0000");
		if (!q.err)
			f->priv.state = F_LSREFS;
		break;
	case F_SEND_FETCH:
		if (f->priv.version == 2) {
			r_line(&q, "command=fetch\n", NULL, NULL);
			r_line(&q, agent, "\n", NULL);
			r_special(&q, "0001");
			r_line(&q, "ofs-delta\n", NULL, NULL);
			r_line(&q, "no-progress\n", NULL, NULL);
			r_line(&q, want, "\n", NULL);
			for (size_t i = 0; i < f->priv.nhaves; i++) {
				gitstore_oid_to_hex(f->repo->algo, &f->priv.haves[i], have + 5);
				r_line(&q, have, "\n", NULL);
			}
			r_line(&q, "done\n", NULL, NULL);
			r_special(&q, "0000");
		} else {
			r_line(&q, want, " side-band-64k ofs-delta no-progress ", agent);
			r_special(&q, "0000");
			for (size_t i = 0; i < f->priv.nhaves; i++) {
				gitstore_oid_to_hex(f->repo->algo, &f->priv.haves[i], have + 5);
				r_line(&q, have, "\n", NULL);
			}
			r_line(&q, "done\n", NULL, NULL);
		}
		if (!q.err)
			f->priv.state = F_RESP;
		break;
	case F_SEND_END:
		r_special(&q, "0000");
		if (!q.err)
			f->priv.state = F_DONE;
		break;
	default:
		return 0;
	}
	return q.err ? q.err : (int)q.len;
}

/* ---- responses */

static int fail(struct gitstore_fetch *f, int err)
{
	if (!f->priv.err)
		f->priv.err = err;
	f->priv.state = F_DONE;
	return f->priv.err;
}

static void remote_says(struct gitstore_fetch *f, struct gitstore_slice msg)
{
	size_t n = msg.len < GITSTORE_REASON_MAX - 1 ? msg.len : GITSTORE_REASON_MAX - 1;
	for (size_t i = 0; i < n; i++)
		f->priv.remote_error[i] = msg.p[i] >= ' ' && msg.p[i] < 0x7f ? (char)msg.p[i] : '?';
	f->priv.remote_error[n] = 0;
}

static bool starts(struct gitstore_slice t, const char *lit)
{
	size_t n = strlen(lit);
	return t.len >= n && memcmp(t.p, lit, n) == 0;
}

static bool text_is_version2(struct gitstore_slice t)
{
	return t.len == 9 && memcmp(t.p, "version 2", 9) == 0;
}

/* "<id> <name>[\0caps | SP attrs]": the wanted ref's id when name matches. */
static int ref_line(struct gitstore_fetch *f, struct gitstore_slice t)
{
	size_t h = 2 * gitstore_hash_len(f->repo->algo);
	struct gitstore_oid id;
	if (t.len < h + 2 || t.p[h] != ' ' || gitstore_oid_from_hex(f->repo->algo, (const char *)t.p, h, &id) < 0)
		return GITSTORE_EPROTO_LINE;
	const uint8_t *name = t.p + h + 1;
	size_t n = 0;
	while (h + 1 + n < t.len && name[n] != 0 && name[n] != ' ')
		n++;
	if (n == strlen(f->remote_ref) && memcmp(name, f->remote_ref, n) == 0) {
		f->priv.want = id;
		f->priv.found = true;
	}
	/* v0 capabilities after the NUL of the first line */
	if (h + 1 + n < t.len && name[n] == 0) {
		struct gitstore_slice caps = { name + n + 1, t.len - h - 1 - n - 1 };
		for (size_t i = 0; i + 13 <= caps.len; i++)
			if (memcmp(caps.p + i, "side-band-64k", 13) == 0)
				f->priv.sideband = true;
	}
	return 0;
}

/* After the refs: nothing to fetch when the object is here already. */
static int refs_done(struct gitstore_fetch *f)
{
	if (!f->priv.found)
		return GITSTORE_ENOENT;
	int type;
	uint64_t size;
	bool here = false;
	struct gitstore_repo *r = f->repo;
	for (size_t i = 0; i < r->priv.npacks && !here; i++)
		here = r->priv.packs[i].idx && gitstore_idx_find(r->priv.packs[i].idx, &f->priv.want, NULL, NULL) == 0;
	if (!here)
		here = gitstore_loose_stat(r, &f->priv.want, &type, &size) == 0;
	if (!here) {
		f->priv.state = F_SEND_FETCH;
		return 0;
	}
	int rc = 0;
	if (gitstore_oid_cmp(&f->priv.want, &f->priv.old) != 0) {
		rc = gitstore_ref_update(r, f->local_ref, &f->priv.want, &f->priv.old);
		f->priv.updated = rc == 0;
	}
	/* A v0 client that wants nothing says so with a flush; v2 ends the session with one. */
	f->priv.state = (f->flags & GITSTORE_FETCH_HTTP) ? F_DONE : F_SEND_END;
	return rc;
}

static int finish_pack(struct gitstore_fetch *f)
{
	struct gitstore_inpack *ip = &f->priv.ip;
	if (!f->priv.pack_whole)
		return GITSTORE_ETRUNCATED;
	int rc = gitstore_int_inpack_unpack(ip, f->repo);
	if (rc == 0)
		rc = gitstore_int_inpack_connected(ip, f->repo, &f->priv.want);
	if (rc == 0)
		rc = gitstore_int_inpack_store(ip, f->repo);
	if (rc == 0)
		rc = gitstore_ref_update(f->repo, f->local_ref, &f->priv.want, &f->priv.old);
	if (rc < 0)
		return rc;
	f->priv.updated = true;
	f->priv.state = F_DONE;
	return 0;
}

static int pack_data(struct gitstore_fetch *f, const uint8_t *p, size_t n)
{
	if (f->priv.pack_whole)
		return n ? GITSTORE_EPACK_COUNT : 0;
	int rc = gitstore_int_inpack_add(&f->priv.ip, f->repo->algo, p, n);
	if (rc < 0)
		return rc;
	f->priv.pack_whole = rc == 1;
	return 0;
}

static int packet(struct gitstore_fetch *f, const struct gitstore_pkt *p)
{
	struct gitstore_slice t = gitstore_pkt_text(p);
	/* A response-end (0002) closes a response of a stateless exchange: the protocol already knows where. */
	if (p->kind == GITSTORE_PKT_END)
		return 0;
	if (p->kind == GITSTORE_PKT_DATA && starts(t, "ERR ")) {
		struct gitstore_slice m = { t.p + 4, t.len - 4 };
		remote_says(f, m);
		return GITSTORE_EREMOTE;
	}
	switch (f->priv.state) {
	case F_ADV:
		if (p->kind == GITSTORE_PKT_DATA && starts(t, "# service=")) {
			f->priv.version = -1;   /* the flush after it is not the end */
			return 0;
		}
		if (p->kind == GITSTORE_PKT_FLUSH) {
			if (f->priv.version == -1) {
				f->priv.version = 0;
				return 0;
			}
			if (f->priv.version == 2) {
				f->priv.state = F_SEND_LSREFS;
				return 0;
			}
			return refs_done(f);
		}
		if (p->kind != GITSTORE_PKT_DATA)
			return GITSTORE_EPROTO_STATE;
		if (f->priv.version == 2)
			return 0;   /* capability lines: what we use is always there */
		if (text_is_version2(t)) {
			f->priv.version = 2;
			return 0;
		}
		f->priv.version = 0;
		/* "capabilities^{}" of an empty repository is a ref line that names nothing we want. */
		return ref_line(f, t);
	case F_LSREFS:
		if (p->kind == GITSTORE_PKT_FLUSH)
			return refs_done(f);
		if (p->kind != GITSTORE_PKT_DATA)
			return GITSTORE_EPROTO_STATE;
		return ref_line(f, t);
	case F_RESP:
		if (f->priv.version == 2) {
			if (p->kind == GITSTORE_PKT_DATA && starts(t, "packfile") && t.len == 8) {
				f->priv.sideband = true;
				f->priv.state = F_PACK;
				return 0;
			}
			return GITSTORE_EPROTO_STATE;
		}
		if (p->kind == GITSTORE_PKT_DATA && (starts(t, "NAK") || starts(t, "ACK "))) {
			if (starts(t, "ACK ") && (t.len > 4 + 2 * gitstore_hash_len(f->repo->algo)))
				return 0;   /* "ACK <id> common/ready/continue": more may follow */
			f->priv.state = F_PACK;
			return 0;
		}
		return GITSTORE_EPROTO_LINE;
	case F_PACK: {
		if (p->kind == GITSTORE_PKT_FLUSH)
			return finish_pack(f);
		int band;
		struct gitstore_slice pl;
		int rc = gitstore_sideband_parse(p, &band, &pl);
		if (rc < 0)
			return rc;
		if (band == GITSTORE_BAND_ERROR) {
			remote_says(f, pl);
			return GITSTORE_EREMOTE;
		}
		return band == GITSTORE_BAND_DATA ? pack_data(f, pl.p, pl.len) : 0;
	}
	default:
		return GITSTORE_EPROTO_STATE;
	}
}

int gitstore_fetch_input(struct gitstore_fetch *f, const uint8_t *data, size_t len)
{
	if (f->priv.err)
		return f->priv.err;
	if (f->priv.state == F_DONE)
		return (int)len;
	size_t taken = 0;
	while (taken < len || f->priv.state == F_PACK) {
		if (f->priv.state == F_PACK && !f->priv.sideband) {
			/* A v0 server without side-band: raw pack bytes follow the ACK/NAK. */
			struct gitstore_slice rest = gitstore_pktbuf_rest(&f->priv.in);
			gitstore_pktbuf_skip(&f->priv.in, rest.len);
			int rc = pack_data(f, rest.p, rest.len);
			if (rc == 0)
				rc = pack_data(f, data + taken, len - taken);
			taken = len;
			if (rc == 0 && f->priv.pack_whole)
				rc = finish_pack(f);
			if (rc < 0)
				return fail(f, rc);
			break;
		}
		taken += gitstore_pktbuf_feed(&f->priv.in, data + taken, len - taken);
		int progressed = 0;
		for (;;) {
			if (f->priv.state == F_DONE || f->priv.state == F_SEND_LSREFS || f->priv.state == F_SEND_FETCH ||
				f->priv.state == F_SEND_END || (f->priv.state == F_PACK && !f->priv.sideband))
				break;
			struct gitstore_pkt p;
			int rc = gitstore_pktbuf_next(&f->priv.in, &p);
			if (rc == GITSTORE_EAGAIN)
				break;
			if (rc == 1)
				rc = packet(f, &p);
			if (rc < 0)
				return fail(f, rc);
			progressed = 1;
		}
		if (f->priv.state == F_PACK && !f->priv.sideband)
			continue;
		if (!progressed && taken < len && gitstore_pktbuf_rest(&f->priv.in).len == f->priv.in.cap)
			return fail(f, GITSTORE_EPKT_TOOLONG);
		if (f->priv.state != F_PACK || taken == len)
			break;
	}
	return (int)taken;
}

int gitstore_fetch_input_end(struct gitstore_fetch *f)
{
	if (f->priv.err || f->priv.state == F_DONE)
		return f->priv.err;
	if ((f->flags & GITSTORE_FETCH_HTTP) && (f->priv.state == F_SEND_LSREFS || f->priv.state == F_SEND_FETCH))
		return 0;   /* the response body ended where the protocol said it would */
	if (f->priv.state == F_PACK && !f->priv.sideband) {
		int rc = finish_pack(f);
		return rc < 0 ? fail(f, rc) : 0;
	}
	return fail(f, GITSTORE_EEOF);
}

bool gitstore_fetch_done(const struct gitstore_fetch *f)
{
	return f->priv.state == F_DONE;
}

int gitstore_fetch_result(const struct gitstore_fetch *f, struct gitstore_oid *id, bool *updated)
{
	if (f->priv.err)
		return f->priv.err;
	if (f->priv.state != F_DONE)
		return GITSTORE_EAGAIN;
	if (id)
		*id = f->priv.want;
	if (updated)
		*updated = f->priv.updated;
	return 0;
}
