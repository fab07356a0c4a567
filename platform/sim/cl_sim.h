/*
 * platform/sim: a deterministic world for testing stateful code.
 *
 * A test builds a small world in one process: a virtual clock and event
 * scheduler (struct cl_sim), stream pairs that behave like a TCP connection
 * with faults (struct cl_sim_stream_pair), and datagram or frame links that
 * behave like a lossy network (struct cl_sim_link with endpoints struct
 * cl_sim_ep). The libraries under test see them only through their usual
 * ops (stream recv/send/sendv/close, datagram recv/send, frame send/recv or a
 * delivery callback), so the same library code runs here, on POSIX and on Xen.
 *
 * Time. cl_sim_now() starts at 0 and moves only when the simulation runs an
 * event or is told to advance (cl_sim_step, cl_sim_run, cl_sim_run_until,
 * cl_sim_advance). Nothing reads a wall clock. Events scheduled for the same
 * millisecond run in the order they were scheduled.
 *
 * Chance. Every fault comes from xoshiro256** seeded by the seed given to
 * cl_sim_init(). Each stream pair and link draws its own generator from the
 * world's when it is set up, so the faults of one object do not depend on how
 * often another one is used. The same seed, the same calls in the same order,
 * give the same run and a byte-identical trace.
 *
 * Ownership. Everything lives in structs the caller owns: the event queue is
 * an array of struct cl_sim_event the caller lends, a stream pair's buffers
 * and a link's message pool are caller-lent bytes. There is no global state
 * and no allocation; a full event queue or message pool is a counted,
 * traced, reported condition (CL_SIM_ENOMEM from the run functions, the
 * `overflow` counter of a link), never a crash. Objects are registered with
 * the scheduler (pending events point at them), so they must not move or go
 * out of scope while the world runs. Members inside `priv` are not for callers.
 *
 * Faults. A config struct of probabilities (0.0 never, 1.0 always) decides,
 * per operation, whether a stream read or write is short or would block, and
 * per message whether a link drops, duplicates, corrupts or delays it. A
 * zeroed config (or NULL) means no faults: a stream pair is then a perfect
 * pipe bounded only by its buffer, a link delivers everything after its
 * delay. Terminal stream faults (EOF or reset at a byte offset, or a reset by
 * chance) and link partitions are set in the same configs or by calls.
 *
 * The ops contract. Stream ends implement the shape every library uses:
 * recv/send/sendv return >0 bytes moved, 0 would block, -1 peer EOF (recv
 * only), -2 any other error (reset, broken pipe, use after close). A recv or
 * send that returns 0 promises a notification (see below) when trying again
 * can make progress, as an edge-triggered poller would. Datagram recv returns
 * 0 when nothing is pending; a datagram send returns len even when the network
 * loses the message, as UDP does.
 *
 * Notification. cl_sim_stream_set_notify() and cl_sim_ep_set_notify()
 * register a callback run from the scheduler when an end may have become
 * readable or writable, or a message arrived. cl_sim_ep_set_deliver() hands
 * arriving messages straight to a callback instead of queueing them (the
 * shape libtcpip wants: tcpip_input(stack, frame, len, now_ms)). Callbacks
 * run from cl_sim_step(), never from inside another op, so library code is
 * never re-entered.
 *
 * Trace. cl_sim_trace_set() turns on a trace: one text line per scheduler
 * event, stream operation, fault and delivery ("t=12 s0.a send 100 -> 37
 * short"), appended to a caller-lent buffer, handed to a hook and folded into
 * a 64-bit hash (cl_sim_trace_hash). Two runs are the same run when their
 * traces are equal. Tracing is off by default because formatting costs time;
 * setting CLOUDLET_TRACE=1 in the environment makes every world print its
 * trace to stderr, which is how a failing seed is read.
 *
 * Seeds. cl_sim_seeds() runs a scenario over many seeds and prints
 * "NAME: seed N failed (replay: CLOUDLET_SEED=N; ...)" at the first failure;
 * CLOUDLET_SEED=N runs only seed N, CLOUDLET_SEEDS=K changes how many.
 * Inside a scenario, CL_SIM_CHECK(cond) reports file:line and fails the seed
 * (cmocka's assert_* would skip the seed report).
 *
 * How a library test uses it. The library's connection object is the
 * server end of a faulty stream pair; the sim wakes it when its stream may
 * have moved and when its deadline comes; the test plays the client and lets
 * the world run one event whenever nothing moves. The scenario returns
 * nonzero on failure so cl_sim_seeds() can name the seed. (tests/
 * test_example.c is this example, compiled, with a toy library.)
 *
 *     CL_SIM_STREAM_OPS(sim_http_ops, struct http_stream_ops, struct http_iov);
 *
 *     struct world {
 *             struct cl_sim sim;
 *             struct cl_sim_event ev[256];
 *             struct cl_sim_stream_pair pair;
 *             uint8_t mem[8192];
 *             struct http_conn conn;
 *             struct cl_sim_timer timer;
 *     };
 *
 *     static void server_timer(struct cl_sim *sim, void *arg, uint64_t tag);
 *
 *     static void server_poll(struct world *w)
 *     {
 *             http_conn_poll(&w->conn, cl_sim_now(&w->sim));
 *             cl_sim_timer_set(&w->sim, &w->timer, http_conn_next_deadline(&w->conn),
 *                              server_timer, w);
 *     }
 *     static void server_wake(void *ctx, struct cl_sim_stream *end) { server_poll(ctx); }
 *     static void server_timer(struct cl_sim *sim, void *arg, uint64_t tag) { server_poll(arg); }
 *
 *     static int scenario(uint64_t seed, void *ctx)
 *     {
 *             struct world *w = ctx;
 *             struct cl_sim_stream_cfg cfg = { .short_read = 0.3, .short_write = 0.3,
 *                     .block_read = 0.1, .block_write = 0.1, .latency_ms = 2 };
 *             memset(w, 0, sizeof *w);
 *             cl_sim_init(&w->sim, seed, w->ev, 256);
 *             cl_sim_stream_pair_init(&w->pair, &w->sim, &cfg, w->mem, sizeof w->mem);
 *             struct cl_sim_stream *client = cl_sim_stream_a(&w->pair);
 *             struct cl_sim_stream *server = cl_sim_stream_b(&w->pair);
 *             http_conn_init(&w->conn, &sim_http_ops, server, ...);
 *             cl_sim_stream_set_notify(server, server_wake, w);
 *             server_poll(w);
 *             while (!done) {
 *                     int s = cl_sim_stream_send(client, req + sent, req_len - sent);
 *                     int r = cl_sim_stream_recv(client, resp + got, sizeof resp - got);
 *                     CL_SIM_CHECK(s >= 0 && r != -2);
 *                     ... account s and r, done when the response is complete ...
 *                     if (s == 0 && r == 0)
 *                             CL_SIM_CHECK(cl_sim_step(&w->sim) == 1); // 0: deadlock
 *             }
 *             CL_SIM_CHECK(memcmp(resp, want, want_len) == 0);
 *             return 0;
 *     }
 *
 *     static void test_get_over_faults(void **state)
 *     {
 *             static struct world w;
 *             assert_int_equal(cl_sim_seeds("http_get", 1, 500, scenario, &w), 0);
 *     }
 *
 * A UDP test attaches two struct cl_sim_ep to a CL_SIM_DGRAM link with
 * addresses, binds them with CL_SIM_DGRAM_OPS the same way, and reads in an
 * endpoint's notify callback. A libtcpip test attaches endpoints to a
 * CL_SIM_FRAME link (a hub: every frame goes to every other endpoint), sends
 * with cl_sim_frame_send from its netdev transmit op and feeds arrivals in
 * with a deliver callback that calls tcpip_input(stack, data, len,
 * cl_sim_now(sim)). Use cl_sim_run_until() to let time pass (retransmit
 * timers, idle timeouts), and set a link's partition windows or
 * cl_sim_link_set_cfg() to break and heal the network mid-test.
 */
#ifndef CLOUDLET_PLATFORM_SIM_H
#define CLOUDLET_PLATFORM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- Seeded randomness -------------------------------------------------- */

/* A seeded pseudo-random generator (xoshiro256**). */
struct cl_rng {
	uint64_t s[4];
};

void cl_rng_seed(struct cl_rng *r, uint64_t seed);
uint64_t cl_rng_next(struct cl_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t cl_rng_below(struct cl_rng *r, uint64_t n);
/* True with probability p: p <= 0 is never and p >= 1 always, and neither
 * draws from r, so a zeroed fault config does not consume randomness. */
bool cl_rng_chance(struct cl_rng *r, double p);
/* The libraries' random callback shape, ctx is a struct cl_rng *. Returns 0. */
int cl_rng_fill(void *ctx, uint8_t *buf, size_t len);

/* ---- Errors of the harness itself (not the ops' -1/-2) ------------------ */

enum cl_sim_err {
	CL_SIM_OK = 0,
	CL_SIM_ENOMEM = -1, /* the event queue or a fixed table is full */
	CL_SIM_EINVAL = -2, /* an argument is out of range (misaligned memory, ...) */
	CL_SIM_ELIMIT = -3, /* cl_sim_run stopped at max_events with events left */
	CL_SIM_EIDLE = -4,  /* the world went idle before the awaited condition */
	CL_SIM_ERR_MIN_ = -5
};

/* The name of a cl_sim_err, never NULL. */
const char *cl_sim_strerror(int err);

/* ---- The world: clock, scheduler, trace -------------------------------- */

struct cl_sim;

/* An event's action; tag is the caller's value from cl_sim_at(). */
typedef void (*cl_sim_fn)(struct cl_sim *sim, void *arg, uint64_t tag);

/* One queued event; the caller lends an array of these to cl_sim_init. */
struct cl_sim_event {
	struct {
		uint64_t at;
		uint64_t id;
		cl_sim_fn fn;
		void *arg;
		uint64_t tag;
		bool quiet; /* the harness's own: its handler traces itself */
	} priv;
};

/* A trace hook gets each line (without the newline, not NUL-terminated). */
typedef void (*cl_sim_trace_fn)(void *ctx, const char *line, size_t len);

struct cl_sim {
	/* The world's generator: objects draw their own from it at init, and a
	 * test may use it for the libraries' random callback (cl_rng_fill). */
	struct cl_rng rng;
	struct {
		uint64_t now;
		struct cl_sim_event *ev;
		size_t cap, n;
		uint64_t next_id;
		uint64_t ran;
		int err; /* sticky: the first CL_SIM_ENOMEM */
		uint32_t next_obj;
		bool tracing;
		char *tbuf;
		size_t tcap, tlen;
		bool ttrunc;
		uint64_t thash;
		cl_sim_trace_fn thook;
		void *thook_ctx;
	} priv;
};

/* Start a world at time 0. ev[0..cap) is the event queue: one pending event
 * per timer, in-flight message and pending notification. */
void cl_sim_init(struct cl_sim *sim, uint64_t seed, struct cl_sim_event *ev, size_t cap);

/* The virtual time in milliseconds: the now_ms to hand to the libraries. */
uint64_t cl_sim_now(const struct cl_sim *sim);

/* Schedule fn(sim, arg, tag) at at_ms (a time in the past means now).
 * Returns the event's id (>0), or 0 when the queue is full; then the sticky
 * error becomes CL_SIM_ENOMEM and the run functions report it. */
uint64_t cl_sim_at(struct cl_sim *sim, uint64_t at_ms, cl_sim_fn fn, void *arg, uint64_t tag);
uint64_t cl_sim_after(struct cl_sim *sim, uint64_t delay_ms, cl_sim_fn fn, void *arg, uint64_t tag);

/* Remove a pending event. Returns 0, or CL_SIM_EINVAL if it is not pending. */
int cl_sim_cancel(struct cl_sim *sim, uint64_t id);

/* The time of the next event, UINT64_MAX if none. */
uint64_t cl_sim_next(const struct cl_sim *sim);

/* Number of pending events. */
size_t cl_sim_pending(const struct cl_sim *sim);

/* Run the earliest event, moving the clock to its time. Returns 1 if an event
 * ran, 0 if the world is idle, or the sticky error. */
int cl_sim_step(struct cl_sim *sim);

/* Run events until none is left. Returns the number run, CL_SIM_ELIMIT if
 * max_events ran and events remain (a livelock or a periodic timer), or the
 * sticky error. */
int cl_sim_run(struct cl_sim *sim, int max_events);

/* Run every event due at or before t_ms, then set the clock to t_ms (if it
 * is later). Returns the number of events run, or the sticky error. */
int cl_sim_run_until(struct cl_sim *sim, uint64_t t_ms);
/* Run events until done(ctx) is true (checked before each). Returns 0 when
 * it is, CL_SIM_EIDLE if no event is left first (a deadlock or a lost
 * wake-up in the code under test), CL_SIM_ELIMIT after max_events, or the
 * sticky error. */
int cl_sim_run_until_done(struct cl_sim *sim, bool (*done)(void *ctx), void *ctx, int max_events);
int cl_sim_advance(struct cl_sim *sim, uint64_t delta_ms);

/* The sticky error: 0, or CL_SIM_ENOMEM once anything failed to schedule. */
int cl_sim_error(const struct cl_sim *sim);

/* A re-armable timer for a library's deadline (x_next_deadline()): one
 * pending event at most, moved when the deadline moves. */
struct cl_sim_timer {
	struct {
		uint64_t id; /* 0: not armed */
		uint64_t at;
		cl_sim_fn fn;
		void *arg;
	} priv;
};

/* Arm t to run fn(sim, arg, 0) at at_ms, replacing an earlier arming;
 * at_ms == UINT64_MAX (no deadline) disarms it. Arming again for the time it
 * is already armed for changes nothing. A zeroed struct is a stopped timer.
 * Returns 0 or CL_SIM_ENOMEM. */
int cl_sim_timer_set(struct cl_sim *sim, struct cl_sim_timer *t, uint64_t at_ms, cl_sim_fn fn,
                     void *arg);
void cl_sim_timer_stop(struct cl_sim *sim, struct cl_sim_timer *t);
bool cl_sim_timer_armed(const struct cl_sim_timer *t);

/* Turn tracing on. buf/cap (may be NULL/0) collects lines, "t=MS text\n";
 * when full, later lines are only hashed and handed to the hook, and
 * cl_sim_trace_truncated() says so. hook (may be NULL) sees every line. */
void cl_sim_trace_set(struct cl_sim *sim, char *buf, size_t cap, cl_sim_trace_fn hook,
                      void *hook_ctx);
bool cl_sim_tracing(const struct cl_sim *sim);
/* Add a line of the caller's own to the trace (printf format). */
void cl_sim_tracef(struct cl_sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* FNV-1a 64 over every line traced so far (0xcbf29ce484222325 when none). */
uint64_t cl_sim_trace_hash(const struct cl_sim *sim);
size_t cl_sim_trace_len(const struct cl_sim *sim);
bool cl_sim_trace_truncated(const struct cl_sim *sim);

/* ---- Stream pairs ------------------------------------------------------- */

/* The gather element of sendv: the layout of struct iovec and of every
 * library's X_iov. */
struct cl_sim_iov {
	const void *base;
	size_t len;
};

/* What to do when a direction reaches a byte offset. */
enum cl_sim_cut_kind {
	CL_SIM_CUT_NONE = 0,
	/* The writer's half closes after `at` bytes: the reader gets exactly
	 * those bytes then -1; the writer's sends past them return -2. */
	CL_SIM_CUT_EOF,
	/* The connection resets once `at` bytes are written: when they have
	 * arrived, every op on both ends returns -2 and unread data is lost. */
	CL_SIM_CUT_RESET,
};

struct cl_sim_cut {
	enum cl_sim_cut_kind kind;
	uint64_t at;
	bool random; /* draw the offset uniformly from [0, at] instead */
};

/* Probabilities are per operation. All zero (or a NULL config) is a perfect
 * pipe with as much buffering as the memory lent to the pair. */
struct cl_sim_stream_cfg {
	double short_read;   /* recv moves fewer bytes than it could (1..n-1) */
	double short_write;  /* send accepts fewer bytes than it could */
	double block_read;   /* recv returns 0 though data is ready */
	double block_write;  /* send returns 0 though there is room */
	double reset;        /* the op resets the connection (both ends -2) */
	uint64_t latency_ms; /* bytes become readable this long after a send */
	uint64_t jitter_ms;  /* plus 0..jitter_ms; the stream stays in order */
	/* cut[0] applies to bytes sent by end a, cut[1] to those sent by b. */
	struct cl_sim_cut cut[2];
	/* Closing an end with unread bytes resets the connection instead of
	 * closing it, as Linux does (so unsent or unread data in flight is lost:
	 * the reason for RFC 9112 9.6's lingering close). */
	bool close_unread_resets;
};

/* Counters of one end, for tests to check that faults really happened. */
struct cl_sim_stream_stats {
	uint64_t sent, received;                /* bytes */
	uint64_t short_reads, short_writes;     /* injected */
	uint64_t blocked_reads, blocked_writes; /* injected would-block */
	uint64_t empty, full;                   /* recv found nothing ready; send found no room */
};

struct cl_sim_stream;

/* Called (from the scheduler) when the end may be readable or writable. */
typedef void (*cl_sim_stream_fn)(void *ctx, struct cl_sim_stream *end);

/* Up to this many segments (sends not yet arrived) per direction; more make
 * send return 0 until the oldest arrives. Only latency keeps them apart. */
#define CL_SIM_SEGS 64

/* One end of a pair: the ctx of the stream ops. */
struct cl_sim_stream {
	struct cl_sim_stream_stats stats;
	struct {
		uint8_t idx; /* 0: a, 1: b */
		bool closed;
		uint64_t closed_at; /* when the peer sees the close */
		cl_sim_stream_fn notify;
		void *notify_ctx;
		uint64_t notify_pending_at;
		bool want_write; /* a send saw no room: wake when some frees */
	} priv;
};

/* One direction of a pair (internal). */
struct cl_sim_stream_dir {
	struct {
		uint8_t *buf;
		size_t cap, head, used, ready;
		struct {
			uint64_t at;
			size_t len;
		} seg[CL_SIM_SEGS];
		unsigned seg_head, seg_n;
		uint64_t last_arrival;
		uint64_t written;
		uint64_t cut_at;
		enum cl_sim_cut_kind cut_kind;
		bool shut;       /* no more bytes will be written */
		uint64_t fin_at; /* when the reader sees the end */
	} priv;
};

struct cl_sim_stream_pair {
	struct cl_sim_stream end[2];
	struct {
		struct cl_sim *sim;
		struct cl_sim_stream_cfg cfg;
		struct cl_rng rng;
		struct cl_sim_stream_dir dir[2]; /* dir[i]: bytes sent by end[i] */
		uint64_t reset_at;               /* UINT64_MAX: no reset */
		uint32_t id;
	} priv;
};

/* Connect two ends. mem/len is split into the two directions' buffers, so
 * each direction holds len/2 bytes (a writer sees 0 when its peer's is
 * full). cfg may be NULL (no faults); it is copied. Returns 0 or
 * CL_SIM_EINVAL (len < 2). */
int cl_sim_stream_pair_init(struct cl_sim_stream_pair *p, struct cl_sim *sim,
                            const struct cl_sim_stream_cfg *cfg, uint8_t *mem, size_t len);
struct cl_sim_stream *cl_sim_stream_a(struct cl_sim_stream_pair *p);
struct cl_sim_stream *cl_sim_stream_b(struct cl_sim_stream_pair *p);
/* The other end. */
struct cl_sim_stream *cl_sim_stream_peer(struct cl_sim_stream *end);

/* The stream ops; ctx is a struct cl_sim_stream *. cap, len and the total of
 * the iovs must not be 0. */
int cl_sim_stream_recv(void *ctx, uint8_t *buf, size_t cap);
int cl_sim_stream_send(void *ctx, const uint8_t *buf, size_t len);
int cl_sim_stream_sendv(void *ctx, const struct cl_sim_iov *iov, int iovcnt);
/* Close this end: the peer reads what was sent, then -1; the peer's sends
 * return -2 once the close has arrived; this end's ops return -2. With
 * close_unread_resets and bytes left unread here, a reset instead. */
void cl_sim_stream_close(void *ctx);
/* Half-close: the peer reads what was sent, then -1; this end can still
 * receive. */
void cl_sim_stream_shutdown(struct cl_sim_stream *end);
/* Reset the connection now: every op on both ends returns -2. */
void cl_sim_stream_reset(struct cl_sim_stream *end);

void cl_sim_stream_set_notify(struct cl_sim_stream *end, cl_sim_stream_fn fn, void *ctx);
/* Bytes this end could read now (0 also when faults would block). */
size_t cl_sim_stream_readable(struct cl_sim_stream *end);

/* The most iovs one sendv moves; more is a short write, which the contract
 * allows. */
#define CL_SIM_IOV_MAX 64

/* Define `static const OPS_TYPE NAME` binding a library's stream ops struct
 * (members recv, send, sendv, close; IOV_TYPE with members base, len) to a
 * sim stream end. The ctx to pass with it is a struct cl_sim_stream *. */
#define CL_SIM_STREAM_OPS(NAME, OPS_TYPE, IOV_TYPE)                                                \
	static int NAME##_sendv_(void *ctx, const IOV_TYPE *iov, int iovcnt)                       \
	{                                                                                          \
		struct cl_sim_iov v_[CL_SIM_IOV_MAX];                                              \
		int n_ = iovcnt < CL_SIM_IOV_MAX ? iovcnt : CL_SIM_IOV_MAX;                        \
		for (int i_ = 0; i_ < n_; i_++) {                                                  \
			v_[i_].base = iov[i_].base;                                                \
			v_[i_].len = iov[i_].len;                                                  \
		}                                                                                  \
		return cl_sim_stream_sendv(ctx, v_, n_);                                           \
	}                                                                                          \
	static const OPS_TYPE NAME = { .recv = cl_sim_stream_recv,                                 \
		                       .send = cl_sim_stream_send,                                 \
		                       .sendv = NAME##_sendv_,                                     \
		                       .close = cl_sim_stream_close }

/* ---- Datagram and frame links ------------------------------------------- */

/* The layout of every library's X_addr. */
struct cl_sim_addr {
	uint8_t family; /* 4 or 6 */
	uint16_t port;
	uint8_t ip[16];
};

enum cl_sim_link_kind {
	CL_SIM_DGRAM = 1, /* messages go to the endpoint whose address is `to` */
	CL_SIM_FRAME = 2, /* a hub: every frame goes to every other endpoint */
};

/* Probabilities are per message (per receiver on a frame link). */
struct cl_sim_link_cfg {
	uint64_t delay_ms;  /* one-way delay */
	uint64_t jitter_ms; /* plus 0..jitter_ms per copy: this is what reorders */
	double drop;
	double duplicate; /* a second copy, with its own delay and faults */
	double corrupt;   /* flip 1..3 random bits in the delivered copy */
	/* Chance per send that a partition of 1..partition_ms starts now and
	 * stops everything (when no partition is active). */
	double partition;
	uint64_t partition_ms;
	size_t rxq_max; /* messages queued per endpoint, more are dropped; 0: no limit */
};

struct cl_sim_link_stats {
	uint64_t sent, delivered;
	uint64_t dropped, duplicated, corrupted, partitioned;
	uint64_t unroutable; /* no endpoint had the destination address */
	uint64_t rxq_full;   /* a receiver's queue was at rxq_max */
	uint64_t overflow;   /* the message pool was full: lost */
};

struct cl_sim_ep;

/* A message arrived at ep (queued; read it with recv). */
typedef void (*cl_sim_ep_fn)(void *ctx, struct cl_sim_ep *ep);
/* A message arrived at ep and is handed over instead of queued. from is the
 * sender's address (zero on a frame link); data is valid during the call. */
typedef void (*cl_sim_deliver_fn)(void *ctx, struct cl_sim_ep *ep, const uint8_t *data, size_t len,
                                  const struct cl_sim_addr *from);

#define CL_SIM_LINK_EPS     16 /* endpoints per link */
#define CL_SIM_LINK_WINDOWS 8  /* partition windows per link */

/* An endpoint: the ctx of the datagram or frame ops. */
struct cl_sim_ep {
	struct cl_sim_addr addr;
	struct {
		struct cl_sim_link *link;
		uint8_t idx;
		uint32_t rx_head, rx_tail; /* message slots, UINT32_MAX: none */
		size_t rx_n;
		cl_sim_ep_fn notify;
		void *notify_ctx;
		cl_sim_deliver_fn deliver;
		void *deliver_ctx;
	} priv;
};

struct cl_sim_link {
	struct cl_sim_link_stats stats;
	struct {
		struct cl_sim *sim;
		enum cl_sim_link_kind kind;
		struct cl_sim_link_cfg cfg;
		struct cl_rng rng;
		uint8_t *mem;
		size_t slot_size, nslots, mtu;
		uint32_t free_head;
		struct cl_sim_ep *ep[CL_SIM_LINK_EPS];
		unsigned nep;
		struct {
			uint64_t start, end; /* [start, end); end == 0: unused */
			int from, to;        /* endpoint index, -1: any */
		} win[CL_SIM_LINK_WINDOWS];
		uint32_t id;
	} priv;
};

/* Bytes of pool memory a link needs for nmsgs messages (in flight or
 * queued) of up to mtu bytes each. */
#define CL_SIM_SLOT_HDR 64
#define CL_SIM_LINK_MEM(nmsgs, mtu)                                                                \
	((size_t)(nmsgs) * (CL_SIM_SLOT_HDR + (((size_t)(mtu) + 15) & ~(size_t)15)))

/* Set up a link. mem (aligned to 16 bytes) holds the message pool, mtu is the
 * largest message. cfg may be NULL (no faults, no delay) and is copied.
 * Returns 0 or CL_SIM_EINVAL. */
int cl_sim_link_init(struct cl_sim_link *l, struct cl_sim *sim, enum cl_sim_link_kind kind,
                     const struct cl_sim_link_cfg *cfg, void *mem, size_t len, size_t mtu);
/* Change the faults from now on (messages in flight keep their fate). */
void cl_sim_link_set_cfg(struct cl_sim_link *l, const struct cl_sim_link_cfg *cfg);
/* Attach an endpoint; addr is required on a CL_SIM_DGRAM link (it is where
 * messages to it are sent) and may be NULL on a frame link. Returns 0,
 * CL_SIM_ENOMEM (CL_SIM_LINK_EPS reached) or CL_SIM_EINVAL. */
int cl_sim_link_attach(struct cl_sim_link *l, struct cl_sim_ep *ep, const struct cl_sim_addr *addr);
/* Nothing sent by `from` to `to` (NULL: any endpoint) passes during
 * [start_ms, end_ms): a message is lost if it is sent or would arrive inside
 * the window. from=NULL, to=NULL cuts the whole link; one of them set cuts one
 * direction only. Returns 0 or CL_SIM_ENOMEM (CL_SIM_LINK_WINDOWS active). */
int cl_sim_link_partition(struct cl_sim_link *l, const struct cl_sim_ep *from,
                          const struct cl_sim_ep *to, uint64_t start_ms, uint64_t end_ms);

/* Datagram ops; ctx is a struct cl_sim_ep * on a CL_SIM_DGRAM link. recv
 * returns the message length (truncated to cap), 0 when none is queued; from
 * may be NULL. send returns len, or -2 if len > mtu or the link is of the
 * wrong kind. */
int cl_sim_dgram_recv(void *ctx, uint8_t *buf, size_t cap, struct cl_sim_addr *from);
int cl_sim_dgram_send(void *ctx, const uint8_t *buf, size_t len, const struct cl_sim_addr *to);

/* Frame ops; ctx is a struct cl_sim_ep * on a CL_SIM_FRAME link. */
int cl_sim_frame_recv(void *ctx, uint8_t *buf, size_t cap);
int cl_sim_frame_send(void *ctx, const uint8_t *buf, size_t len);

void cl_sim_ep_set_notify(struct cl_sim_ep *ep, cl_sim_ep_fn fn, void *ctx);
void cl_sim_ep_set_deliver(struct cl_sim_ep *ep, cl_sim_deliver_fn fn, void *ctx);
/* Messages queued at ep. */
size_t cl_sim_ep_pending(const struct cl_sim_ep *ep);

/* Define `static const OPS_TYPE NAME` binding a library's datagram ops struct
 * (members recv, send; ADDR_TYPE with members family, port, ip[16]) to a sim
 * endpoint. The ctx to pass with it is a struct cl_sim_ep *. */
#define CL_SIM_DGRAM_OPS(NAME, OPS_TYPE, ADDR_TYPE)                                                \
	static int NAME##_recv_(void *ctx, uint8_t *buf, size_t cap, ADDR_TYPE *from)              \
	{                                                                                          \
		struct cl_sim_addr a_;                                                             \
		int r_ = cl_sim_dgram_recv(ctx, buf, cap, &a_);                                    \
		if (r_ > 0 && from) {                                                              \
			from->family = a_.family;                                                  \
			from->port = a_.port;                                                      \
			memcpy(from->ip, a_.ip, 16);                                               \
		}                                                                                  \
		return r_;                                                                         \
	}                                                                                          \
	static int NAME##_send_(void *ctx, const uint8_t *buf, size_t len, const ADDR_TYPE *to)    \
	{                                                                                          \
		struct cl_sim_addr a_;                                                             \
		a_.family = to->family;                                                            \
		a_.port = to->port;                                                                \
		memcpy(a_.ip, to->ip, 16);                                                         \
		return cl_sim_dgram_send(ctx, buf, len, &a_);                                      \
	}                                                                                          \
	static const OPS_TYPE NAME = { .recv = NAME##_recv_, .send = NAME##_send_ }

/* ---- Many seeds --------------------------------------------------------- */

/* Run scenario(seed, ctx) for seeds first .. first+count-1, stopping at the
 * first that returns nonzero; it prints "NAME: seed N failed (replay:
 * CLOUDLET_SEED=N; add CLOUDLET_TRACE=1 for its trace)" to stderr and
 * returns -1. Returns 0 when all pass.
 * CLOUDLET_SEED=N in the environment runs only seed N; CLOUDLET_SEEDS=K runs
 * K seeds from first instead of count. */
int cl_sim_seeds(const char *name, uint64_t first, uint64_t count,
                 int (*scenario)(uint64_t seed, void *ctx), void *ctx);

/* In a scenario: if cond is false, print where and return 1 (fail the seed). */
#define CL_SIM_CHECK(cond)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return cl_sim_check_failed(__FILE__, __LINE__, #cond);                     \
	} while (0)
/* Prints "file:line: check failed: expr" to stderr; returns 1. */
int cl_sim_check_failed(const char *file, int line, const char *expr);

#endif
