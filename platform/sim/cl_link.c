/* Datagram and frame links: seeded loss, duplication, reordering, delay,
 * corruption and partitions between endpoints, in virtual time. */
#include "cl_sim_int.h"

#define NONE UINT32_MAX

/* The head of a message slot in the caller's pool; data follows it. */
struct slot {
	uint32_t next;
	uint32_t len;
	uint8_t from, to; /* endpoint indices */
	struct cl_sim_addr src;
};

_Static_assert(sizeof(struct slot) <= CL_SIM_SLOT_HDR, "slot header too big");

static struct slot *slot_at(struct cl_sim_link *l, uint32_t k)
{
	return (struct slot *)(void *)(l->priv.mem + (size_t)k * l->priv.slot_size);
}

static uint8_t *slot_data(struct cl_sim_link *l, uint32_t k)
{
	return l->priv.mem + (size_t)k * l->priv.slot_size + CL_SIM_SLOT_HDR;
}

static uint32_t slot_alloc(struct cl_sim_link *l)
{
	uint32_t k = l->priv.free_head;
	if (k != NONE)
		l->priv.free_head = slot_at(l, k)->next;
	return k;
}

static void slot_free(struct cl_sim_link *l, uint32_t k)
{
	slot_at(l, k)->next = l->priv.free_head;
	l->priv.free_head = k;
}

int cl_sim_link_init(struct cl_sim_link *l, struct cl_sim *sim, enum cl_sim_link_kind kind,
                     const struct cl_sim_link_cfg *cfg, void *mem, size_t len, size_t mtu)
{
	memset(l, 0, sizeof *l);
	l->priv.sim = sim;
	l->priv.free_head = NONE;
	if (kind != CL_SIM_DGRAM && kind != CL_SIM_FRAME)
		return CL_SIM_EINVAL;
	if (!mem || ((uintptr_t)mem & 15) || mtu == 0 || mtu > UINT32_MAX / 2)
		return CL_SIM_EINVAL;
	l->priv.kind = kind;
	if (cfg)
		l->priv.cfg = *cfg;
	l->priv.mem = mem;
	l->priv.mtu = mtu;
	l->priv.slot_size = CL_SIM_LINK_MEM(1, mtu);
	l->priv.nslots = len / l->priv.slot_size;
	if (l->priv.nslots == 0)
		return CL_SIM_EINVAL;
	if (l->priv.nslots > NONE - 1)
		l->priv.nslots = NONE - 1;
	for (uint32_t k = (uint32_t)l->priv.nslots; k-- > 0;)
		slot_free(l, k);
	l->priv.id = cl_sim_obj_id(sim);
	cl_rng_seed(&l->priv.rng, cl_rng_next(&sim->rng));
	CL_TRACE(sim, "l%u init %s slots %zu mtu %zu", (unsigned)l->priv.id,
	         kind == CL_SIM_DGRAM ? "dgram" : "frame", l->priv.nslots, mtu);
	return 0;
}

void cl_sim_link_set_cfg(struct cl_sim_link *l, const struct cl_sim_link_cfg *cfg)
{
	static const struct cl_sim_link_cfg none;
	l->priv.cfg = cfg ? *cfg : none;
	CL_TRACE(l->priv.sim, "l%u cfg changed", (unsigned)l->priv.id);
}

int cl_sim_link_attach(struct cl_sim_link *l, struct cl_sim_ep *ep, const struct cl_sim_addr *addr)
{
	if (l->priv.kind == CL_SIM_DGRAM && !addr)
		return CL_SIM_EINVAL;
	if (l->priv.nep == CL_SIM_LINK_EPS)
		return CL_SIM_ENOMEM;
	memset(ep, 0, sizeof *ep);
	if (addr)
		ep->addr = *addr;
	ep->priv.link = l;
	ep->priv.idx = (uint8_t)l->priv.nep;
	ep->priv.rx_head = ep->priv.rx_tail = NONE;
	l->priv.ep[l->priv.nep++] = ep;
	return 0;
}

static bool win_active(const struct cl_sim_link *l, unsigned w, uint64_t t)
{
	return l->priv.win[w].end != 0 && l->priv.win[w].start <= t && t < l->priv.win[w].end;
}

static int add_window(struct cl_sim_link *l, int from, int to, uint64_t start, uint64_t end)
{
	uint64_t now = cl_sim_now(l->priv.sim);
	for (unsigned w = 0; w < CL_SIM_LINK_WINDOWS; w++) {
		if (l->priv.win[w].end > now)
			continue;
		l->priv.win[w].start = start;
		l->priv.win[w].end = end;
		l->priv.win[w].from = from;
		l->priv.win[w].to = to;
		CL_TRACE(l->priv.sim, "l%u partition %d>%d [%llu, %llu)", (unsigned)l->priv.id,
		         from, to, (unsigned long long)start, (unsigned long long)end);
		return 0;
	}
	return CL_SIM_ENOMEM;
}

int cl_sim_link_partition(struct cl_sim_link *l, const struct cl_sim_ep *from,
                          const struct cl_sim_ep *to, uint64_t start_ms, uint64_t end_ms)
{
	if (end_ms <= start_ms || (from && from->priv.link != l) || (to && to->priv.link != l))
		return CL_SIM_EINVAL;
	return add_window(l, from ? from->priv.idx : -1, to ? to->priv.idx : -1, start_ms, end_ms);
}

static bool blocked(const struct cl_sim_link *l, int from, int to, uint64_t t)
{
	for (unsigned w = 0; w < CL_SIM_LINK_WINDOWS; w++) {
		if (!win_active(l, w, t))
			continue;
		if ((l->priv.win[w].from < 0 || l->priv.win[w].from == from) &&
		    (l->priv.win[w].to < 0 || l->priv.win[w].to == to))
			return true;
	}
	return false;
}

static void enqueue(struct cl_sim_ep *ep, uint32_t k)
{
	struct cl_sim_link *l = ep->priv.link;
	slot_at(l, k)->next = NONE;
	if (ep->priv.rx_tail == NONE)
		ep->priv.rx_head = k;
	else
		slot_at(l, ep->priv.rx_tail)->next = k;
	ep->priv.rx_tail = k;
	ep->priv.rx_n++;
}

static void deliver(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct cl_sim_link *l = arg;
	uint32_t k = (uint32_t)tag;
	struct slot *s = slot_at(l, k);
	struct cl_sim_ep *ep = l->priv.ep[s->to];
	unsigned id = (unsigned)l->priv.id;
	if (blocked(l, s->from, s->to, cl_sim_now(sim))) {
		l->stats.partitioned++;
		CL_TRACE(sim, "l%u %u>%u arrive %u partitioned", id, s->from, s->to, s->len);
		slot_free(l, k);
		return;
	}
	if (ep->priv.deliver) {
		l->stats.delivered++;
		CL_TRACE(sim, "l%u %u>%u arrive %u deliver", id, s->from, s->to, s->len);
		struct cl_sim_addr src = s->src;
		ep->priv.deliver(ep->priv.deliver_ctx, ep, slot_data(l, k), s->len, &src);
		slot_free(l, k);
		return;
	}
	if (l->priv.cfg.rxq_max && ep->priv.rx_n >= l->priv.cfg.rxq_max) {
		l->stats.rxq_full++;
		CL_TRACE(sim, "l%u %u>%u arrive %u rxq full", id, s->from, s->to, s->len);
		slot_free(l, k);
		return;
	}
	l->stats.delivered++;
	CL_TRACE(sim, "l%u %u>%u arrive %u queued", id, s->from, s->to, s->len);
	enqueue(ep, k);
	if (ep->priv.notify)
		ep->priv.notify(ep->priv.notify_ctx, ep);
}

/* One copy of a message on its way from one endpoint to another. */
static void launch(struct cl_sim_link *l, struct cl_sim_ep *from, int to, const uint8_t *buf,
                   size_t len, bool dup)
{
	struct cl_sim *sim = l->priv.sim;
	const struct cl_sim_link_cfg *cfg = &l->priv.cfg;
	unsigned id = (unsigned)l->priv.id;
	uint32_t k = slot_alloc(l);
	if (k == NONE) {
		l->stats.overflow++;
		CL_TRACE(sim, "l%u %u>%d send %zu pool full", id, from->priv.idx, to, len);
		return;
	}
	struct slot *s = slot_at(l, k);
	s->len = (uint32_t)len;
	s->from = from->priv.idx;
	s->to = (uint8_t)to;
	s->src = from->addr;
	uint8_t *data = slot_data(l, k);
	memcpy(data, buf, len);
	bool bad = cl_rng_chance(&l->priv.rng, cfg->corrupt);
	if (bad) {
		/* Distinct bits, so a corrupt copy always differs from the
		 * original (two flips of one bit would cancel). */
		unsigned flips = 1 + (unsigned)cl_rng_below(&l->priv.rng, 3);
		uint64_t bits[3];
		for (unsigned f = 0; f < flips; f++) {
			uint64_t bit;
			bool again;
			do {
				bit = cl_rng_below(&l->priv.rng, (uint64_t)len * 8);
				again = false;
				for (unsigned g = 0; g < f; g++)
					again |= bits[g] == bit;
			} while (again);
			bits[f] = bit;
			data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		l->stats.corrupted++;
	}
	uint64_t at = cl_sim_now(sim) + cfg->delay_ms;
	if (cfg->jitter_ms)
		at += cl_rng_below(&l->priv.rng, cfg->jitter_ms + 1);
	if (!cl_sim_at_quiet(sim, at, deliver, l, k)) {
		l->stats.overflow++;
		slot_free(l, k);
		return;
	}
	CL_TRACE(sim, "l%u %u>%d send %zu arrives %llu%s%s", id, from->priv.idx, to, len,
	         (unsigned long long)at, dup ? " dup" : "", bad ? " corrupt" : "");
}

static void transmit(struct cl_sim_link *l, struct cl_sim_ep *from, int to, const uint8_t *buf,
                     size_t len)
{
	struct cl_sim *sim = l->priv.sim;
	unsigned id = (unsigned)l->priv.id;
	if (blocked(l, from->priv.idx, to, cl_sim_now(sim))) {
		l->stats.partitioned++;
		CL_TRACE(sim, "l%u %u>%d send %zu partitioned", id, from->priv.idx, to, len);
		return;
	}
	if (cl_rng_chance(&l->priv.rng, l->priv.cfg.drop)) {
		l->stats.dropped++;
		CL_TRACE(sim, "l%u %u>%d send %zu dropped", id, from->priv.idx, to, len);
		return;
	}
	launch(l, from, to, buf, len, false);
	if (cl_rng_chance(&l->priv.rng, l->priv.cfg.duplicate)) {
		l->stats.duplicated++;
		launch(l, from, to, buf, len, true);
	}
}

static bool addr_eq(const struct cl_sim_addr *x, const struct cl_sim_addr *y)
{
	size_t n = x->family == 4 ? 4 : 16;
	return x->family == y->family && x->port == y->port && memcmp(x->ip, y->ip, n) == 0;
}

static int link_send(struct cl_sim_ep *ep, enum cl_sim_link_kind kind, const uint8_t *buf,
                     size_t len, const struct cl_sim_addr *to)
{
	struct cl_sim_link *l = ep->priv.link;
	if (!l || l->priv.kind != kind || len == 0 || len > l->priv.mtu || len > INT32_MAX)
		return -2;
	struct cl_sim *sim = l->priv.sim;
	const struct cl_sim_link_cfg *cfg = &l->priv.cfg;
	uint64_t now = cl_sim_now(sim);
	l->stats.sent++;
	if (cl_rng_chance(&l->priv.rng, cfg->partition) && !blocked(l, -1, -1, now)) {
		uint64_t span = cfg->partition_ms ? cfg->partition_ms : 1;
		add_window(l, -1, -1, now, now + 1 + cl_rng_below(&l->priv.rng, span));
	}
	if (kind == CL_SIM_FRAME) {
		for (unsigned r = 0; r < l->priv.nep; r++)
			if (r != ep->priv.idx)
				transmit(l, ep, (int)r, buf, len);
		return (int)len;
	}
	for (unsigned r = 0; r < l->priv.nep; r++) {
		if (addr_eq(&l->priv.ep[r]->addr, to)) {
			transmit(l, ep, (int)r, buf, len);
			return (int)len;
		}
	}
	l->stats.unroutable++;
	CL_TRACE(sim, "l%u %u>? send %zu unroutable", (unsigned)l->priv.id, ep->priv.idx, len);
	return (int)len;
}

static int link_recv(struct cl_sim_ep *ep, enum cl_sim_link_kind kind, uint8_t *buf, size_t cap,
                     struct cl_sim_addr *from)
{
	struct cl_sim_link *l = ep->priv.link;
	if (!l || l->priv.kind != kind || cap == 0)
		return -2;
	uint32_t k = ep->priv.rx_head;
	if (k == NONE)
		return 0;
	struct slot *s = slot_at(l, k);
	ep->priv.rx_head = s->next;
	if (ep->priv.rx_head == NONE)
		ep->priv.rx_tail = NONE;
	ep->priv.rx_n--;
	/* A short buffer truncates the message, as recvfrom() does. */
	size_t n = s->len < cap ? s->len : cap;
	if (n > INT32_MAX)
		n = INT32_MAX;
	memcpy(buf, slot_data(l, k), n);
	if (from)
		*from = s->src;
	slot_free(l, k);
	return (int)n;
}

int cl_sim_dgram_recv(void *ctx, uint8_t *buf, size_t cap, struct cl_sim_addr *from)
{
	return link_recv(ctx, CL_SIM_DGRAM, buf, cap, from);
}

int cl_sim_dgram_send(void *ctx, const uint8_t *buf, size_t len, const struct cl_sim_addr *to)
{
	if (!to)
		return -2;
	return link_send(ctx, CL_SIM_DGRAM, buf, len, to);
}

int cl_sim_frame_recv(void *ctx, uint8_t *buf, size_t cap)
{
	return link_recv(ctx, CL_SIM_FRAME, buf, cap, NULL);
}

int cl_sim_frame_send(void *ctx, const uint8_t *buf, size_t len)
{
	return link_send(ctx, CL_SIM_FRAME, buf, len, NULL);
}

void cl_sim_ep_set_notify(struct cl_sim_ep *ep, cl_sim_ep_fn fn, void *ctx)
{
	ep->priv.notify = fn;
	ep->priv.notify_ctx = ctx;
}

void cl_sim_ep_set_deliver(struct cl_sim_ep *ep, cl_sim_deliver_fn fn, void *ctx)
{
	ep->priv.deliver = fn;
	ep->priv.deliver_ctx = ctx;
}

size_t cl_sim_ep_pending(const struct cl_sim_ep *ep)
{
	return ep->priv.rx_n;
}
