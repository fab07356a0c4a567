/*
 * receive-pack, sans I/O (git's builtin/receive-pack.c): advertisement,
 * commands, the pack read whole and checked, refs moved with
 * compare-and-swap, report-status.
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

enum { R_CMDS, R_PACK, R_DRAIN_DONE, R_DONE };

static const char agent[] = "agent=cloudlet/" GITSTORE_VERSION;

/* ---- the stage (as in gitstore_upload.c) */

static void put(struct gitstore_receive *rc, const void *p, size_t n)
{
	if (rc->priv.err)
		return;
	if (rc->priv.stage_len + n > rc->priv.m.stage_cap) {
		rc->priv.err = GITSTORE_ENOMEM;
		return;
	}
	memcpy(rc->priv.m.stage + rc->priv.stage_len, p, n);
	rc->priv.stage_len += n;
}

static void puts_(struct gitstore_receive *rc, const char *s)
{
	put(rc, s, strlen(s));
}

static size_t line_begin(struct gitstore_receive *rc)
{
	size_t at = rc->priv.stage_len;
	put(rc, "0000", 4);
	return at;
}

static void line_end(struct gitstore_receive *rc, size_t at)
{
	if (!rc->priv.err)
		gitstore_int_pkt_hdr(rc->priv.m.stage + at, rc->priv.stage_len - at);
}

static void put_hex(struct gitstore_receive *rc, const struct gitstore_oid *id)
{
	char hex[GITSTORE_HEX_MAX];
	put(rc, hex, gitstore_oid_to_hex(rc->repo->algo, id, hex));
}

/* ---- the advertisement */

struct adv {
	struct gitstore_receive *rc;
	bool first;
};

static void caps(struct gitstore_receive *rc)
{
	put(rc, "", 1);
	puts_(rc, "report-status delete-refs atomic ofs-delta side-band-64k quiet no-thin");
	puts_(rc, rc->repo->algo == GITSTORE_SHA256 ? " object-format=sha256 " : " object-format=sha1 ");
	puts_(rc, agent);
}

static int adv_one(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct adv *a = arg;
	if (ref->symbolic)
		return 0;   /* git advertises symbolic refs under refs/ as .have at most: skip */
	size_t at = line_begin(a->rc);
	put_hex(a->rc, &ref->id);
	puts_(a->rc, " ");
	puts_(a->rc, name);
	if (a->first)
		caps(a->rc);
	a->first = false;
	puts_(a->rc, "\n");
	line_end(a->rc, at);
	return a->rc->priv.err;
}

static int advertise(struct gitstore_receive *rc)
{
	if (rc->flags & GITSTORE_RECEIVE_ADVERTISE) {
		size_t at = line_begin(rc);
		puts_(rc, "# service=git-receive-pack\n");
		line_end(rc, at);
		put(rc, "0000", 4);
	}
	struct adv a = { rc, true };
	int r = gitstore_ref_list(rc->repo, "refs/", adv_one, &a);
	if (r < 0 && r != GITSTORE_ENOENT)
		return r;
	if (a.first) {
		size_t at = line_begin(rc);
		struct gitstore_oid zero;
		memset(&zero, 0, sizeof zero);
		put_hex(rc, &zero);
		puts_(rc, " capabilities^{}");
		caps(rc);
		puts_(rc, "\n");
		line_end(rc, at);
	}
	put(rc, "0000", 4);
	return rc->priv.err;
}

int gitstore_receive_init(struct gitstore_receive *rc, struct gitstore_repo *repo, unsigned flags,
	const struct gitstore_receive_mem *m, gitstore_receive_check_fn check, void *check_ctx)
{
	if (!repo || !m || !m->in || m->in_cap < GITSTORE_PKT_MAX || !m->cmds || !m->ncmds || !m->stage ||
		m->stage_cap < GITSTORE_PKT_MAX)
		return GITSTORE_EINVAL;
	memset(rc, 0, sizeof *rc);
	int r = gitstore_int_inpack_init(&rc->priv.ip, &m->pack);
	if (r < 0)
		return r;
	rc->repo = repo;
	rc->flags = flags;
	rc->check = check;
	rc->check_ctx = check_ctx;
	rc->priv.m = *m;
	gitstore_pktbuf_init(&rc->priv.in, m->in, m->in_cap);
	rc->priv.state = R_CMDS;
	if (flags & GITSTORE_RECEIVE_STATELESS)
		return 0;
	r = advertise(rc);
	if (flags & GITSTORE_RECEIVE_ADVERTISE)
		rc->priv.state = R_DRAIN_DONE;
	if (r < 0) {
		rc->priv.err = r;
		rc->priv.state = R_DRAIN_DONE;
	}
	return r;
}

/* ---- reading objects: the pushed pack first, then the repository */

int gitstore_receive_obj_read(struct gitstore_receive *rc, const struct gitstore_oid *id, int *type,
	uint8_t *buf, size_t cap, size_t *needed)
{
	return gitstore_int_inpack_read(&rc->priv.ip, rc->repo, id, type, buf, cap, needed);
}

static void refuse(struct gitstore_receive_update *c, const char *why)
{
	if (c->reason[0])
		return;
	size_t n = strlen(why);
	if (n >= sizeof c->reason)
		n = sizeof c->reason - 1;
	memcpy(c->reason, why, n);
	c->reason[n] = 0;
}

static int current(struct gitstore_receive *rc, const char *name, struct gitstore_oid *id)
{
	struct gitstore_ref ref;
	int r = gitstore_ref_read(rc->repo, name, &ref);
	if (r == GITSTORE_ENOENT) {
		memset(id, 0, sizeof *id);
		return 0;
	}
	if (r < 0)
		return r;
	if (ref.symbolic)
		return gitstore_ref_resolve(rc->repo, name, id, NULL);
	*id = ref.id;
	return 0;
}

static int move_ref(struct gitstore_receive *rc, const char *name, const struct gitstore_oid *to,
	const struct gitstore_oid *from)
{
	if (gitstore_oid_is_zero(to))
		return gitstore_ref_delete(rc->repo, name, from);
	return gitstore_ref_update(rc->repo, name, to, from);
}

static const char *move_error(int r)
{
	return r == GITSTORE_EREF_STALE ? "stale info" : r == GITSTORE_EREF_LOCKED ? "failed to lock" : gitstore_strerror(r);
}

static void report(struct gitstore_receive *rc);

static void run_push(struct gitstore_receive *rc)
{
	struct gitstore_receive_update *cmds = rc->priv.m.cmds;
	size_t n = rc->priv.ncmds;
	struct gitstore_inpack *ip = &rc->priv.ip;
	if (rc->priv.need_pack && !rc->priv.unpack_err) {
		int r = gitstore_int_inpack_unpack(ip, rc->repo);
		if (r < 0)
			rc->priv.unpack_err = r;
	}
	bool atomic = rc->priv.caps & GITSTORE_RCAP_ATOMIC, any_bad = false, any_ok = false;
	for (size_t i = 0; i < n; i++) {
		struct gitstore_receive_update *c = &cmds[i];
		c->ok = false;
		if (rc->priv.unpack_err) {
			refuse(c, "unpacker error");
			any_bad = true;
			continue;
		}
		struct gitstore_oid cur;
		int r = current(rc, c->name, &cur);
		bool del = gitstore_oid_is_zero(&c->new_id);
		if (r < 0)
			refuse(c, gitstore_strerror(r));
		else if (gitstore_oid_cmp(&cur, &c->old_id) != 0)
			refuse(c, "stale info");
		else if (del && gitstore_oid_is_zero(&cur))
			refuse(c, "no such ref");
		if (!c->reason[0] && !del) {
			r = gitstore_int_inpack_connected(ip, rc->repo, &c->new_id);
			if (r < 0)
				refuse(c, r == GITSTORE_ENOENT ? "missing necessary objects" : gitstore_strerror(r));
		}
		if (!c->reason[0] && !del && !gitstore_oid_is_zero(&c->old_id) && strncmp(c->name, "refs/heads/", 11) == 0 &&
			!(rc->flags & GITSTORE_RECEIVE_ALLOW_NONFF)) {
			r = gitstore_int_inpack_descends(ip, rc->repo, &c->new_id, &c->old_id);
			if (r < 0)
				refuse(c, gitstore_strerror(r));
			else if (r == 0)
				refuse(c, "non-fast-forward");
		}
		if (!c->reason[0] && rc->check) {
			char why[GITSTORE_REASON_MAX];
			why[0] = 0;
			if (rc->check(rc->check_ctx, rc, c, why, sizeof why) != 0) {
				why[sizeof why - 1] = 0;
				refuse(c, why[0] ? why : "rejected");
			}
		}
		if (c->reason[0])
			any_bad = true;
	}
	if (atomic && any_bad)
		for (size_t i = 0; i < n; i++)
			refuse(&cmds[i], "atomic push failure");
	for (size_t i = 0; i < n; i++)
		any_ok |= !cmds[i].reason[0];
	if (any_ok && rc->priv.need_pack) {
		int r = gitstore_int_inpack_store(ip, rc->repo);
		if (r < 0) {
			for (size_t i = 0; i < n; i++)
				refuse(&cmds[i], gitstore_strerror(r));
			any_ok = false;
		}
	}
	for (size_t i = 0; any_ok && i < n; i++) {
		struct gitstore_receive_update *c = &cmds[i];
		if (c->reason[0])
			continue;
		int r = move_ref(rc, c->name, &c->new_id, &c->old_id);
		if (r == 0) {
			c->ok = true;
			continue;
		}
		refuse(c, move_error(r));
		if (atomic) {
			/* Put back what moved, then fail the rest. */
			for (size_t k = 0; k < i; k++) {
				if (cmds[k].ok) {
					move_ref(rc, cmds[k].name, &cmds[k].old_id, &cmds[k].new_id);
					cmds[k].ok = false;
				}
				refuse(&cmds[k], "atomic push failure");
			}
			for (size_t k = i + 1; k < n; k++)
				refuse(&cmds[k], "atomic push failure");
			break;
		}
	}
	report(rc);
}

static void report(struct gitstore_receive *rc)
{
	rc->priv.state = R_DRAIN_DONE;
	if (!(rc->priv.caps & GITSTORE_RCAP_REPORT_STATUS))
		return;
	rc->priv.stage_len = rc->priv.stage_off = 0;
	size_t at = line_begin(rc);
	puts_(rc, "unpack ");
	puts_(rc, rc->priv.unpack_err ? gitstore_strerror(rc->priv.unpack_err) : "ok");
	puts_(rc, "\n");
	line_end(rc, at);
	for (size_t i = 0; i < rc->priv.ncmds; i++) {
		struct gitstore_receive_update *c = &rc->priv.m.cmds[i];
		at = line_begin(rc);
		puts_(rc, c->ok ? "ok " : "ng ");
		puts_(rc, c->name);
		if (!c->ok) {
			puts_(rc, " ");
			puts_(rc, c->reason);
		}
		puts_(rc, "\n");
		line_end(rc, at);
	}
	put(rc, "0000", 4);
	rc->priv.stage_band = (rc->priv.caps & GITSTORE_RCAP_SIDEBAND) != 0;
}

/* ---- input */

static int command(struct gitstore_receive *rc, const struct gitstore_pkt *p)
{
	struct gitstore_receive_cmd c;
	struct gitstore_slice caps_s;
	struct gitstore_slice t = p->data;
	/* A push certificate or shallow line is not offered: refuse it. */
	int r = gitstore_receive_cmd_parse(rc->repo->algo, t.p, t.len, &c, &caps_s);
	if (r < 0)
		return r;
	if (rc->priv.ncmds == 0)
		rc->priv.caps = gitstore_receive_caps_parse(caps_s);
	if (rc->priv.ncmds == rc->priv.m.ncmds)
		return GITSTORE_ENOMEM;
	struct gitstore_receive_update *u = &rc->priv.m.cmds[rc->priv.ncmds++];
	memset(u, 0, sizeof *u);
	memcpy(u->name, c.name.p, c.name.len);
	u->name[c.name.len] = 0;
	u->old_id = c.old_id;
	u->new_id = c.new_id;
	if (!gitstore_oid_is_zero(&c.new_id))
		rc->priv.need_pack = true;
	return 0;
}

static int fail(struct gitstore_receive *rc, int err)
{
	if (!rc->priv.err)
		rc->priv.err = err;
	rc->priv.state = R_DRAIN_DONE;
	return rc->priv.err;
}

static int pack_bytes(struct gitstore_receive *rc, const uint8_t *data, size_t len)
{
	if (rc->priv.unpack_err)
		return 0;   /* already failed: swallow the rest */
	int r = gitstore_int_inpack_add(&rc->priv.ip, rc->repo->algo, data, len);
	if (r < 0) {
		rc->priv.unpack_err = r;
		run_push(rc);
	} else if (r == 1) {
		run_push(rc);
	}
	return 0;
}

int gitstore_receive_input(struct gitstore_receive *rc, const uint8_t *data, size_t len)
{
	if (rc->priv.err)
		return rc->priv.err;
	if (rc->priv.state == R_PACK) {
		pack_bytes(rc, data, len);
		return (int)len;
	}
	if (rc->priv.state != R_CMDS)
		return (int)len;   /* after the report: nothing more is read */
	size_t taken = gitstore_pktbuf_feed(&rc->priv.in, data, len);
	while (rc->priv.state == R_CMDS) {
		struct gitstore_pkt p;
		int r = gitstore_pktbuf_next(&rc->priv.in, &p);
		if (r == GITSTORE_EAGAIN)
			break;
		if (r < 0)
			return fail(rc, r);
		if (p.kind == GITSTORE_PKT_FLUSH) {
			if (rc->priv.ncmds == 0) {
				rc->priv.state = R_DRAIN_DONE;
				break;
			}
			if (!rc->priv.need_pack) {
				run_push(rc);
				break;
			}
			rc->priv.state = R_PACK;
			struct gitstore_slice rest = gitstore_pktbuf_rest(&rc->priv.in);
			gitstore_pktbuf_skip(&rc->priv.in, rest.len);
			if (rest.len)
				pack_bytes(rc, rest.p, rest.len);
			break;
		}
		if (p.kind != GITSTORE_PKT_DATA)
			return fail(rc, GITSTORE_EPROTO_STATE);
		r = command(rc, &p);
		if (r < 0)
			return fail(rc, r);
	}
	return (int)taken;
}

int gitstore_receive_input_end(struct gitstore_receive *rc)
{
	if (rc->priv.err)
		return rc->priv.err;
	if (rc->priv.state == R_PACK) {
		/* The stream ended before the pack did. */
		rc->priv.unpack_err = GITSTORE_ETRUNCATED;
		run_push(rc);
		return 0;
	}
	if (rc->priv.state == R_CMDS) {
		if (rc->priv.ncmds == 0 && gitstore_pktbuf_rest(&rc->priv.in).len == 0) {
			rc->priv.state = R_DONE;
			return 0;
		}
		return fail(rc, GITSTORE_EEOF);
	}
	return 0;
}

int gitstore_receive_output(struct gitstore_receive *rc, uint8_t *out, size_t cap)
{
	if (cap < 6)
		return GITSTORE_EINVAL;
	size_t n = 0;
	while (n + 6 <= cap && rc->priv.stage_off < rc->priv.stage_len) {
		size_t avail = rc->priv.stage_len - rc->priv.stage_off;
		const uint8_t *src = rc->priv.m.stage + rc->priv.stage_off;
		if (rc->priv.stage_band) {
			size_t k = avail < GITSTORE_SIDEBAND_MAX ? avail : GITSTORE_SIDEBAND_MAX;
			if (k > cap - n - 5)
				k = cap - n - 5;
			gitstore_int_pkt_hdr(out + n, k + 5);
			out[n + 4] = GITSTORE_BAND_DATA;
			memcpy(out + n + 5, src, k);
			n += k + 5;
			rc->priv.stage_off += k;
			if (rc->priv.stage_off == rc->priv.stage_len) {
				/* The side-band stream ends with a flush of its own. */
				rc->priv.stage_band = false;
				rc->priv.stage_len = rc->priv.stage_off = 0;
				put(rc, "0000", 4);
			}
		} else {
			size_t k = avail < cap - n ? avail : cap - n;
			memcpy(out + n, src, k);
			n += k;
			rc->priv.stage_off += k;
		}
	}
	if (rc->priv.stage_off == rc->priv.stage_len) {
		rc->priv.stage_len = rc->priv.stage_off = 0;
		if (rc->priv.state == R_DRAIN_DONE)
			rc->priv.state = R_DONE;
	}
	if (n == 0 && rc->priv.err && rc->priv.state == R_DONE)
		return rc->priv.err;
	return (int)n;
}

bool gitstore_receive_done(const struct gitstore_receive *rc)
{
	return rc->priv.state == R_DONE;
}

const struct gitstore_receive_update *gitstore_receive_updates(const struct gitstore_receive *rc, size_t *n)
{
	*n = rc->priv.ncmds;
	return rc->priv.m.cmds;
}
