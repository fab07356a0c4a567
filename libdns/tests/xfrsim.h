/* Zone transfers over a platform/sim stream pair: the primary writes
 * 2-octet-framed messages from a generator, the secondary reassembles them
 * from short reads and hands each whole message to a consumer. */
#ifndef DNS_XFRSIM_H
#define DNS_XFRSIM_H

#include "xfrutil.h"
#include "cl_sim.h"

struct xs_world {
	struct cl_sim sim;
	struct cl_sim_event ev[512];
	struct cl_sim_stream_pair pair;
	uint8_t mem[2 * 16384];
	uint8_t tx[65537];
	size_t tx_len, tx_off;
	uint8_t rx[65537 + 4096];
	size_t rx_have;
	uint64_t sent_total; /* framed octets the primary produced */
};

/* gen: >0 a message in buf, 0 no more, <0 error. take: DNS_EAGAIN for
 * more, else the final result. end: the stream ended (EOF or error). */
struct xs_peers {
	int (*gen)(void *ctx, uint8_t *buf, size_t cap);
	void *gen_ctx;
	int (*take)(void *ctx, const uint8_t *msg, size_t len);
	int (*end)(void *ctx);
	void *take_ctx;
};

/* Runs a transfer to its end; returns the consumer's result. The primary
 * closes its end after the last message (or on a generator error). */
static XU_UNUSED int xs_run(struct xs_world *w, uint64_t seed, const struct cl_sim_stream_cfg *cfg,
	const struct xs_peers *p)
{
	cl_sim_init(&w->sim, seed, w->ev, sizeof w->ev / sizeof w->ev[0]);
	if (cl_sim_stream_pair_init(&w->pair, &w->sim, cfg, w->mem, sizeof w->mem) != 0)
		return -1000;
	struct cl_sim_stream *cli = cl_sim_stream_a(&w->pair), *srv = cl_sim_stream_b(&w->pair);
	w->tx_len = w->tx_off = w->rx_have = 0;
	w->sent_total = 0;
	bool srv_done = false;
	for (int guard = 0; guard < 1000000; guard++) {
		bool moved = false;
		if (!srv_done && w->tx_off == w->tx_len) {
			int n = p->gen(p->gen_ctx, w->tx + 2, sizeof w->tx - 2);
			if (n <= 0) {
				cl_sim_stream_close(srv);
				srv_done = true;
			} else {
				w->tx[0] = (uint8_t)(n >> 8);
				w->tx[1] = (uint8_t)n;
				w->tx_len = (size_t)n + 2;
				w->tx_off = 0;
				w->sent_total += w->tx_len;
			}
			moved = true;
		}
		if (!srv_done && w->tx_off < w->tx_len) {
			int n = cl_sim_stream_send(srv, w->tx + w->tx_off, w->tx_len - w->tx_off);
			if (n > 0) {
				w->tx_off += (size_t)n;
				moved = true;
			} else if (n < 0) {
				/* The connection is gone: the primary gives up. */
				cl_sim_stream_close(srv);
				srv_done = true;
			}
		}
		int n = cl_sim_stream_recv(cli, w->rx + w->rx_have, sizeof w->rx - w->rx_have);
		if (n < 0) {
			cl_sim_stream_close(cli);
			return p->end(p->take_ctx);
		}
		if (n > 0) {
			w->rx_have += (size_t)n;
			moved = true;
			while (w->rx_have >= 2) {
				size_t l = (size_t)w->rx[0] << 8 | w->rx[1];
				if (w->rx_have < l + 2)
					break;
				int r = p->take(p->take_ctx, w->rx + 2, l);
				memmove(w->rx, w->rx + 2 + l, w->rx_have - 2 - l);
				w->rx_have -= 2 + l;
				if (r != DNS_EAGAIN) {
					cl_sim_stream_close(cli);
					return r;
				}
			}
		}
		if (!moved && cl_sim_step(&w->sim) != 1)
			return -1001; /* deadlock */
	}
	return -1002;
}
#endif
