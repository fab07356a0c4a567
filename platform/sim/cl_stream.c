/* Stream pairs: two connected ends with seeded faults, in virtual time. */
#include "cl_sim_int.h"

/* dir[i] carries the bytes end[i] sends; end[i] reads dir[1 - i]. */

static struct cl_sim_stream_pair *pair_of(struct cl_sim_stream *end)
{
	return (struct cl_sim_stream_pair *)(void *)(end - end->priv.idx);
}

static uint64_t now_of(const struct cl_sim_stream_pair *p)
{
	return cl_sim_now(p->priv.sim);
}

static char end_name(const struct cl_sim_stream *end)
{
	return end->priv.idx ? 'b' : 'a';
}

static void notify_fire(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct cl_sim_stream *end = arg;
	(void)tag;
	if (end->priv.notify_pending_at == cl_sim_now(sim))
		end->priv.notify_pending_at = UINT64_MAX;
	if (end->priv.closed || !end->priv.notify)
		return;
	CL_TRACE(sim, "s%u.%c wake", (unsigned)pair_of(end)->priv.id, end_name(end));
	end->priv.notify(end->priv.notify_ctx, end);
}

/* Every op that returns 0 leaves an event behind that wakes the end when
 * trying again can help; events also carry the clock to arrival times. */
static void wake(struct cl_sim_stream_pair *p, struct cl_sim_stream *end, uint64_t at)
{
	if (end->priv.closed || at == end->priv.notify_pending_at)
		return;
	if (cl_sim_at_quiet(p->priv.sim, at, notify_fire, end, 0))
		end->priv.notify_pending_at = at;
}

static uint64_t arrival(struct cl_sim_stream_pair *p, struct cl_sim_stream_dir *d)
{
	uint64_t t = now_of(p) + p->priv.cfg.latency_ms;
	if (p->priv.cfg.jitter_ms)
		t += cl_rng_below(&p->priv.rng, p->priv.cfg.jitter_ms + 1);
	/* A stream is in order: a later send never overtakes an earlier one. */
	if (t < d->priv.last_arrival)
		t = d->priv.last_arrival;
	return t;
}

static void settle(struct cl_sim_stream_pair *p, struct cl_sim_stream_dir *d)
{
	uint64_t now = now_of(p);
	while (d->priv.seg_n && d->priv.seg[d->priv.seg_head].at <= now) {
		d->priv.ready += d->priv.seg[d->priv.seg_head].len;
		d->priv.seg_head = (d->priv.seg_head + 1) % CL_SIM_SEGS;
		d->priv.seg_n--;
	}
}

static void reset_at(struct cl_sim_stream_pair *p, uint64_t at)
{
	if (at >= p->priv.reset_at)
		return;
	p->priv.reset_at = at;
	CL_TRACE(p->priv.sim, "s%u reset at %llu", (unsigned)p->priv.id, (unsigned long long)at);
	wake(p, &p->end[0], at);
	wake(p, &p->end[1], at);
}

static void shut(struct cl_sim_stream_pair *p, int i, uint64_t at)
{
	struct cl_sim_stream_dir *d = &p->priv.dir[i];
	if (d->priv.shut)
		return;
	d->priv.shut = true;
	d->priv.fin_at = at;
	wake(p, &p->end[1 - i], at);
}

/* Apply the cut of direction i once its offset is reached. */
static void check_cut(struct cl_sim_stream_pair *p, int i, uint64_t at)
{
	struct cl_sim_stream_dir *d = &p->priv.dir[i];
	if (d->priv.cut_kind == CL_SIM_CUT_NONE || d->priv.written < d->priv.cut_at)
		return;
	if (d->priv.cut_kind == CL_SIM_CUT_EOF) {
		if (!d->priv.shut)
			CL_TRACE(p->priv.sim, "s%u.%c cut eof at %llu", (unsigned)p->priv.id,
			         end_name(&p->end[i]), (unsigned long long)d->priv.written);
		shut(p, i, at);
	} else {
		reset_at(p, at);
	}
}

int cl_sim_stream_pair_init(struct cl_sim_stream_pair *p, struct cl_sim *sim,
                            const struct cl_sim_stream_cfg *cfg, uint8_t *mem, size_t len)
{
	memset(p, 0, sizeof *p);
	if (!mem || len < 2)
		return CL_SIM_EINVAL;
	p->priv.sim = sim;
	if (cfg)
		p->priv.cfg = *cfg;
	p->priv.id = cl_sim_obj_id(sim);
	cl_rng_seed(&p->priv.rng, cl_rng_next(&sim->rng));
	p->priv.reset_at = UINT64_MAX;
	for (int i = 0; i < 2; i++) {
		struct cl_sim_stream *end = &p->end[i];
		end->priv.idx = (uint8_t)i;
		end->priv.notify_pending_at = UINT64_MAX;
		struct cl_sim_stream_dir *d = &p->priv.dir[i];
		d->priv.buf = mem + (size_t)i * (len / 2);
		d->priv.cap = len / 2;
		d->priv.last_arrival = 0;
		const struct cl_sim_cut *c = &p->priv.cfg.cut[i];
		d->priv.cut_kind = c->kind;
		d->priv.cut_at = c->at;
		if (c->kind != CL_SIM_CUT_NONE && c->random)
			d->priv.cut_at = c->at == UINT64_MAX
			                     ? cl_rng_next(&p->priv.rng)
			                     : cl_rng_below(&p->priv.rng, c->at + 1);
	}
	CL_TRACE(sim, "s%u init cut %llu/%llu", (unsigned)p->priv.id,
	         (unsigned long long)p->priv.dir[0].priv.cut_at,
	         (unsigned long long)p->priv.dir[1].priv.cut_at);
	for (int i = 0; i < 2; i++)
		check_cut(p, i, arrival(p, &p->priv.dir[i]));
	return 0;
}

struct cl_sim_stream *cl_sim_stream_a(struct cl_sim_stream_pair *p)
{
	return &p->end[0];
}

struct cl_sim_stream *cl_sim_stream_b(struct cl_sim_stream_pair *p)
{
	return &p->end[1];
}

struct cl_sim_stream *cl_sim_stream_peer(struct cl_sim_stream *end)
{
	return &pair_of(end)->end[1 - end->priv.idx];
}

void cl_sim_stream_set_notify(struct cl_sim_stream *end, cl_sim_stream_fn fn, void *ctx)
{
	end->priv.notify = fn;
	end->priv.notify_ctx = ctx;
}

static int done(struct cl_sim_stream_pair *p, struct cl_sim_stream *end, const char *op,
                size_t want, int ret, const char *why)
{
	CL_TRACE(p->priv.sim, "s%u.%c %s %zu -> %d%s%s", (unsigned)p->priv.id, end_name(end), op,
	         want, ret, why[0] ? " " : "", why);
	return ret;
}

static bool is_reset(struct cl_sim_stream_pair *p)
{
	return now_of(p) >= p->priv.reset_at;
}

/* A chance reset (cfg.reset) hits both ends now. */
static bool chance_reset(struct cl_sim_stream_pair *p)
{
	if (!cl_rng_chance(&p->priv.rng, p->priv.cfg.reset))
		return false;
	reset_at(p, now_of(p));
	return true;
}

int cl_sim_stream_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct cl_sim_stream *end = ctx;
	struct cl_sim_stream_pair *p = pair_of(end);
	struct cl_sim_stream_dir *d = &p->priv.dir[1 - end->priv.idx];
	const struct cl_sim_stream_cfg *cfg = &p->priv.cfg;

	if (cap == 0 || end->priv.closed)
		return done(p, end, "recv", cap, -2, "misuse");
	if (is_reset(p))
		return done(p, end, "recv", cap, -2, "reset");
	if (chance_reset(p))
		return done(p, end, "recv", cap, -2, "reset injected");
	settle(p, d);
	if (d->priv.ready == 0) {
		if (d->priv.shut && d->priv.seg_n == 0 && now_of(p) >= d->priv.fin_at)
			return done(p, end, "recv", cap, -1, "eof");
		end->stats.empty++;
		return done(p, end, "recv", cap, 0, "empty");
	}
	if (cl_rng_chance(&p->priv.rng, cfg->block_read)) {
		end->stats.blocked_reads++;
		wake(p, end, now_of(p));
		return done(p, end, "recv", cap, 0, "block injected");
	}
	size_t n = d->priv.ready < cap ? d->priv.ready : cap;
	const char *why = "";
	if (n > 1 && cl_rng_chance(&p->priv.rng, cfg->short_read)) {
		n = 1 + (size_t)cl_rng_below(&p->priv.rng, n - 1);
		end->stats.short_reads++;
		why = "short";
	}
	if (n > INT32_MAX)
		n = INT32_MAX;
	size_t first = d->priv.cap - d->priv.head;
	if (first > n)
		first = n;
	memcpy(buf, d->priv.buf + d->priv.head, first);
	memcpy(buf + first, d->priv.buf, n - first);
	d->priv.head = (d->priv.head + n) % d->priv.cap;
	d->priv.used -= n;
	d->priv.ready -= n;
	end->stats.received += n;
	struct cl_sim_stream *writer = &p->end[1 - end->priv.idx];
	if (writer->priv.want_write) {
		writer->priv.want_write = false;
		wake(p, writer, now_of(p));
	}
	return done(p, end, "recv", cap, (int)n, why);
}

int cl_sim_stream_sendv(void *ctx, const struct cl_sim_iov *iov, int iovcnt)
{
	struct cl_sim_stream *end = ctx;
	struct cl_sim_stream_pair *p = pair_of(end);
	int i = end->priv.idx;
	struct cl_sim_stream_dir *d = &p->priv.dir[i];
	struct cl_sim_stream *peer = &p->end[1 - i];
	const struct cl_sim_stream_cfg *cfg = &p->priv.cfg;

	size_t len = 0;
	for (int k = 0; k < iovcnt; k++)
		len += iov[k].len;
	if (len == 0 || end->priv.closed)
		return done(p, end, "send", len, -2, "misuse");
	if (is_reset(p))
		return done(p, end, "send", len, -2, "reset");
	if (d->priv.shut && d->priv.cut_kind == CL_SIM_CUT_EOF && d->priv.written >= d->priv.cut_at)
		return done(p, end, "send", len, -2, "broken pipe (cut)");
	if (d->priv.shut)
		return done(p, end, "send", len, -2, "after shutdown");
	if (peer->priv.closed && now_of(p) >= peer->priv.closed_at)
		return done(p, end, "send", len, -2, "broken pipe");
	if (chance_reset(p))
		return done(p, end, "send", len, -2, "reset injected");

	uint64_t room = UINT64_MAX;
	if (d->priv.cut_kind != CL_SIM_CUT_NONE)
		room = d->priv.cut_at - d->priv.written;
	if (room == 0) /* a reset cut: the reset is on its way */
		return done(p, end, "send", len, 0, "reset pending");
	if (cl_rng_chance(&p->priv.rng, cfg->block_write)) {
		end->stats.blocked_writes++;
		wake(p, end, now_of(p));
		return done(p, end, "send", len, 0, "block injected");
	}
	size_t space = d->priv.cap - d->priv.used;
	if (space == 0) {
		end->stats.full++;
		end->priv.want_write = true;
		return done(p, end, "send", len, 0, "full");
	}
	uint64_t at = arrival(p, d);
	unsigned last = (d->priv.seg_head + d->priv.seg_n + CL_SIM_SEGS - 1) % CL_SIM_SEGS;
	bool merge = d->priv.seg_n && d->priv.seg[last].at == at;
	if (!merge && d->priv.seg_n == CL_SIM_SEGS) {
		end->stats.full++;
		wake(p, end, d->priv.seg[d->priv.seg_head].at);
		return done(p, end, "send", len, 0, "segments full");
	}
	size_t n = len < space ? len : space;
	if (n > room)
		n = (size_t)room;
	if (n > INT32_MAX)
		n = INT32_MAX;
	const char *why = "";
	if (n > 1 && cl_rng_chance(&p->priv.rng, cfg->short_write)) {
		n = 1 + (size_t)cl_rng_below(&p->priv.rng, n - 1);
		end->stats.short_writes++;
		why = "short";
	}

	size_t tail = (d->priv.head + d->priv.used) % d->priv.cap;
	size_t left = n;
	for (int k = 0; k < iovcnt && left; k++) {
		const uint8_t *src = iov[k].base;
		size_t take = iov[k].len < left ? iov[k].len : left;
		left -= take;
		while (take) {
			size_t chunk = d->priv.cap - tail;
			if (chunk > take)
				chunk = take;
			memcpy(d->priv.buf + tail, src, chunk);
			tail = (tail + chunk) % d->priv.cap;
			src += chunk;
			take -= chunk;
		}
	}
	d->priv.used += n;
	d->priv.written += n;
	if (merge) {
		d->priv.seg[last].len += n;
	} else {
		last = (d->priv.seg_head + d->priv.seg_n) % CL_SIM_SEGS;
		d->priv.seg[last].at = at;
		d->priv.seg[last].len = n;
		d->priv.seg_n++;
	}
	d->priv.last_arrival = at;
	end->stats.sent += n;
	wake(p, peer, at);
	int ret = done(p, end, "send", len, (int)n, why);
	check_cut(p, i, at);
	return ret;
}

int cl_sim_stream_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct cl_sim_iov v = { buf, len };
	return cl_sim_stream_sendv(ctx, &v, 1);
}

void cl_sim_stream_shutdown(struct cl_sim_stream *end)
{
	struct cl_sim_stream_pair *p = pair_of(end);
	int i = end->priv.idx;
	if (p->priv.dir[i].priv.shut)
		return;
	uint64_t at = arrival(p, &p->priv.dir[i]);
	CL_TRACE(p->priv.sim, "s%u.%c shutdown, peer sees eof at %llu", (unsigned)p->priv.id,
	         end_name(end), (unsigned long long)at);
	shut(p, i, at);
}

void cl_sim_stream_close(void *ctx)
{
	struct cl_sim_stream *end = ctx;
	struct cl_sim_stream_pair *p = pair_of(end);
	int i = end->priv.idx;
	if (end->priv.closed)
		return;
	if (p->priv.cfg.close_unread_resets && p->priv.dir[1 - i].priv.used) {
		CL_TRACE(p->priv.sim, "s%u.%c close with %zu bytes unread: reset",
		         (unsigned)p->priv.id, end_name(end), p->priv.dir[1 - i].priv.used);
		end->priv.closed = true;
		end->priv.closed_at = cl_sim_now(p->priv.sim);
		reset_at(p, arrival(p, &p->priv.dir[i]));
		return;
	}
	uint64_t at = arrival(p, &p->priv.dir[i]);
	if (p->priv.dir[i].priv.shut && p->priv.dir[i].priv.fin_at > at)
		at = p->priv.dir[i].priv.fin_at;
	CL_TRACE(p->priv.sim, "s%u.%c close, peer sees it at %llu", (unsigned)p->priv.id,
	         end_name(end), (unsigned long long)at);
	shut(p, i, at);
	end->priv.closed = true;
	end->priv.closed_at = at;
	/* The peer's sends fail from `at`: wake it then if it waits to write. */
	wake(p, &p->end[1 - i], at);
}

void cl_sim_stream_reset(struct cl_sim_stream *end)
{
	reset_at(pair_of(end), now_of(pair_of(end)));
}

size_t cl_sim_stream_readable(struct cl_sim_stream *end)
{
	struct cl_sim_stream_pair *p = pair_of(end);
	struct cl_sim_stream_dir *d = &p->priv.dir[1 - end->priv.idx];
	if (end->priv.closed || is_reset(p))
		return 0;
	settle(p, d);
	return d->priv.ready;
}
