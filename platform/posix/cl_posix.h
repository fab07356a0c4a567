/*
 * platform/posix: binds the libraries' ops to POSIX (Linux): the monotonic
 * clock, getrandom, an epoll event loop with timers and signals, TCP and UDP
 * sockets, a pool of shared-nothing worker threads, and a log line helper.
 *
 * Ownership. As in the libraries, every object is a struct the caller owns
 * (cl_loop, cl_io, cl_timer, cl_listener, cl_stream, cl_udp, cl_udp_batch,
 * cl_signals). Nothing here allocates except cl_workers_run (one array of
 * loops and threads for its run). Unlike the libraries' objects, an object
 * that is registered with a loop must not move: the loop keeps its address
 * until the object is closed. Members under `priv` are the platform's.
 *
 * The loop. One cl_loop per thread, never shared: every call on a loop and
 * on the objects registered with it happens on the thread that runs it. The
 * only exceptions are cl_loop_stop() and cl_loop_reload(), which any thread
 * (and a signal handler) may call. An iteration waits in epoll_wait() until an
 * fd is ready or the earliest timer is due, reads CLOCK_MONOTONIC once into
 * loop->now_ms (cl_loop_now()), runs the fd callbacks, then the due timers.
 * Every callback of one iteration sees the same now_ms: that is the now_ms to
 * hand to the libraries, and their x_next_deadline() is what cl_timer_set()
 * takes.
 *
 * Readiness is level-triggered. A callback is told CL_READ and/or CL_WRITE
 * while the fd is readable/writable and the interest is set; it may move as
 * few bytes as it likes (a library whose buffer is full simply stops) and is
 * called again on the next iteration. The price is that an interest must be
 * dropped when there is nothing to do: keep CL_WRITE only while output is
 * pending, drop CL_READ while the input buffer is full, or the loop spins.
 * A hang-up or socket error is delivered as the events the caller asked for
 * plus CL_HUP / CL_ERROR, so the next recv/send reports EOF or the error.
 * Level-triggering was chosen over edge-triggering because the stream
 * contract lets a caller stop before the socket says EAGAIN; with edge
 * triggers such a caller would never be woken again.
 *
 * Streams (TCP) follow the ops contract of every library: recv/send/sendv
 * return >0 bytes moved, 0 would block, -1 peer EOF (recv only), -2 any other
 * error; EINTR is retried inside, nothing ever blocks, SIGPIPE never fires
 * (MSG_NOSIGNAL, and cl_signals ignores it). Short transfers are normal.
 *
 * Connection limit. loop->max_conns (0: none) caps the cl_streams open on a
 * loop (accepted and connected alike). While the loop holds max_conns
 * streams, its listeners still accept new connections but close them at once
 * (the peer sees an orderly EOF); the listener is never paused, so the
 * backlog never fills, and connections already open are not touched. When
 * the process runs out of descriptors (EMFILE/ENFILE), a listener does the
 * same with a descriptor it keeps in reserve, instead of spinning on a
 * listening socket it cannot drain. Both are counted in listener->refused.
 * With workers, each loop has its own limit: the process holds at most
 * workers x max_conns.
 *
 * Datagrams (UDP) follow the datagram contract: whole messages with the
 * peer's struct cl_addr, >0 bytes, 0 would block, -2 error; batches with
 * recvmmsg/sendmmsg through a caller-owned cl_udp_batch.
 *
 * Addresses are numeric only ("127.0.0.1:5353", "[::1]:8080"); this layer
 * does no name resolution. IPv6 sockets are IPV6_V6ONLY, so "0.0.0.0:53" and
 * "[::]:53" can be bound side by side; IPv4-mapped IPv6 peers are reported
 * as family 4. Link-local scope ids are not supported.
 *
 * Workers. cl_workers_run() runs one loop per thread, each a shared-nothing
 * copy of the daemon binding its own sockets with CL_REUSEPORT so that the
 * kernel spreads connections and datagrams over them. The calling thread
 * keeps the signals: SIGTERM/SIGINT stop every worker loop, SIGHUP reloads
 * each (cl_loop_on_reload).
 *
 * Signals. SIGTERM, SIGINT and SIGHUP are blocked and read from a signalfd
 * inside the loop, so their callbacks run as ordinary loop callbacks, never
 * in a signal handler. A process that starts threads must block them in
 * every thread: call cl_signals_block() first thing in main().
 *
 * Errors. Functions return 0 on success and -1 on failure with errno set,
 * except the stream and datagram functions (ops, batches, shutdown), which
 * keep the ops contract above.
 *
 * A daemon in a few lines (error handling left out):
 *
 *   static void on_conn(void *arg, unsigned ev) { ... cl_stream_recv(arg, ...) ... }
 *   static void on_accept(void *arg, int fd, const struct cl_addr *peer)
 *   {
 *           struct conn *c = conn_get(arg);          // the daemon's own table
 *           cl_stream_init(&c->s, loop, fd, on_conn, &c->s);
 *   }
 *   static int worker(struct cl_loop *loop, unsigned i, void *arg)
 *   {
 *           struct cl_listener l;
 *           loop->max_conns = 10000;
 *           cl_listener_open(&l, loop, "[::]:8080", CL_REUSEPORT, on_accept, arg);
 *           cl_loop_run(loop);                       // until SIGTERM
 *           cl_listener_close(&l);
 *           return 0;
 *   }
 *   int main(void) { cl_signals_block(); return cl_workers_run(4, worker, NULL); }
 */
#ifndef CLOUDLET_PLATFORM_POSIX_H
#define CLOUDLET_PLATFORM_POSIX_H

#ifndef _GNU_SOURCE
#error "platform/posix needs _GNU_SOURCE (posix_dep adds it to the compile arguments)"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* ---- Clock and randomness -------------------------------------------- */

/* Milliseconds from CLOCK_MONOTONIC: the now_ms every library takes. */
uint64_t cl_now_ms(void);

/* Wall-clock seconds since the Unix epoch (HTTP dates, TSIG, DNSSEC). */
int64_t cl_wall_s(void);

/* Fill buf with len random bytes from getrandom(); the libraries' random
 * callback shape (ctx unused). Returns 0, or -1 if the kernel failed. */
int cl_random(void *ctx, uint8_t *buf, size_t len);

/* ---- Addresses ------------------------------------------------------- */

/* The libraries' address shape: family 4 or 6, port in host order, ip in
 * network order (an IPv4 address in ip[0..3], the rest zero). */
struct cl_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};

/* Enough for "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535" + NUL. */
#define CL_ADDR_STRLEN 56

/* A sockaddr big enough for either family, without the size of
 * sockaddr_storage. */
union cl_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* Parse "a.b.c.d:port" or "[v6]:port" (numeric, port 0..65535; 0 lets the
 * kernel pick when binding). Returns 0, or -1 (errno EINVAL) on anything
 * else, including a bare "::1:53", a missing port or trailing bytes. */
int cl_addr_parse(struct cl_addr *a, const char *s);

/* Write a as "a.b.c.d:port" or "[v6]:port" with a NUL. Returns the length
 * (without NUL), or -1 if cap is too small or the family is not 4 or 6. */
int cl_addr_format(const struct cl_addr *a, char *buf, size_t cap);

/* Convert to a sockaddr; returns its length, or 0 for a bad family. */
socklen_t cl_addr_to_sockaddr(const struct cl_addr *a, union cl_sockaddr *out);

/* Convert from a sockaddr (AF_INET or AF_INET6; a v4-mapped v6 address
 * comes back as family 4). Returns 0, or -1 for anything else. */
int cl_addr_from_sockaddr(struct cl_addr *a, const struct sockaddr *sa, socklen_t len);

/* True if both have the same family, ip and port. */
bool cl_addr_equal(const struct cl_addr *a, const struct cl_addr *b);

/* ---- The event loop -------------------------------------------------- */

/* Readiness events: interest (cl_io_want) and delivered (callback). */
#define CL_READ 0x1u
#define CL_WRITE 0x2u
#define CL_HUP 0x4u   /* delivered only: the peer hung up */
#define CL_ERROR 0x8u /* delivered only: the socket has an error pending */

/* How many ready fds one epoll_wait() takes; more wait for the next one. */
#define CL_LOOP_EVENTS 128

struct cl_loop;
struct cl_timer;

/* An fd callback: events is the delivered set, arg the caller's. */
typedef void (*cl_io_fn)(void *arg, unsigned events);
typedef void (*cl_timer_fn)(void *arg);
typedef void (*cl_loop_fn)(struct cl_loop *loop, void *arg);

/* Interest in one fd. The fd stays the caller's: cl_io never closes it. */
struct cl_io {
	struct {
		struct cl_loop *loop;
		int fd;
		unsigned want;
		bool added; /* in the epoll set */
		cl_io_fn fn;
		void *arg;
	} priv;
};

/* A timer; see cl_timer_set. Read-only for the caller. */
struct cl_timer {
	uint64_t deadline; /* meaningful while armed */
	struct {
		/* An intrusive pairing heap: child, next sibling, and prev
		 * (the previous sibling, or the parent for a first child). */
		struct cl_timer *child, *next, *prev;
		struct cl_loop *loop; /* non-NULL while armed */
		uint64_t seq;         /* ties between equal deadlines: first set fires first */
		cl_timer_fn fn;
		void *arg;
	} priv;
};

struct cl_loop {
	uint64_t now_ms;    /* CLOCK_MONOTONIC ms, read once per iteration */
	unsigned max_conns; /* 0: no limit; see "Connection limit" above */
	struct {
		int epfd;
		int wakefd;    /* eventfd: cl_loop_stop/cl_loop_reload from anywhere */
		int reservefd; /* spare descriptor for EMFILE (see cl_listener) */
		int stop;      /* atomic */
		int reload;    /* atomic */
		unsigned nconns;
		struct cl_io wake;
		struct cl_timer *timers; /* heap root */
		size_t ntimers;
		uint64_t seq;
		cl_loop_fn reload_fn;
		void *reload_arg;
		int nev, cur; /* the batch being dispatched */
		struct epoll_event ev[CL_LOOP_EVENTS];
	} priv;
};

/* Set up a loop (epoll, an eventfd, a reserve fd) and ignore SIGPIPE.
 * Returns 0 or -1. now_ms is read at once. */
int cl_loop_init(struct cl_loop *loop);

/* Close the loop's own fds. Objects still registered must not be used. */
void cl_loop_close(struct cl_loop *loop);

/* Run iterations until cl_loop_stop(). A stop requested while the loop is
 * not running makes the next run return at once. Returns 0, or -1 if
 * epoll_wait failed. */
int cl_loop_run(struct cl_loop *loop);

/* One iteration, waiting at most max_wait_ms (-1: until an fd or a timer).
 * For tests and for embedding the loop into another. Returns the number of
 * fd events and timers handled (the loop's own wake-ups included), or -1.
 * Neither this nor cl_loop_run may be called from a loop callback. */
int cl_loop_run_once(struct cl_loop *loop, int max_wait_ms);

/* Ask cl_loop_run to return after the current iteration. Any thread, and
 * async-signal-safe. */
void cl_loop_stop(struct cl_loop *loop);

/* Ask the loop to call its reload hook (cl_loop_on_reload) on its own
 * thread in its next iteration. Any thread, and async-signal-safe. */
void cl_loop_reload(struct cl_loop *loop);

/* Set the reload hook (SIGHUP): fn(loop, arg) runs on the loop's thread. */
void cl_loop_on_reload(struct cl_loop *loop, cl_loop_fn fn, void *arg);

/* The now_ms of the current iteration. */
uint64_t cl_loop_now(const struct cl_loop *loop);

/* Streams open on this loop (what max_conns limits). */
unsigned cl_loop_conns(const struct cl_loop *loop);

/* ---- Fd readiness ---------------------------------------------------- */

/* Prepare io for fd; nothing is registered until cl_io_want. */
void cl_io_init(struct cl_io *io, struct cl_loop *loop, int fd, cl_io_fn fn, void *arg);

/* Set the interest to events (CL_READ | CL_WRITE, or 0 for none). Cheap
 * when unchanged. From a callback, a dropped interest is not delivered
 * later in the same iteration. Returns 0 or -1. */
int cl_io_want(struct cl_io *io, unsigned events);

/* The current interest. */
unsigned cl_io_wanted(const struct cl_io *io);

/* Remove the fd from the loop (does not close it). Safe to call twice and
 * from any callback; no event for io is delivered after it. */
void cl_io_close(struct cl_io *io);

/* ---- Timers ---------------------------------------------------------- */

/* Prepare a timer; it is not armed. */
void cl_timer_init(struct cl_timer *t, cl_timer_fn fn, void *arg);

/* Arm t to fire once the loop's now_ms >= deadline_ms (an absolute
 * CLOCK_MONOTONIC ms, such as a library's next deadline). Re-arms an armed
 * timer; UINT64_MAX (a library's "no deadline") cancels it. Timers with the
 * same deadline fire in the order they were set; a timer set from a timer
 * callback, even for a deadline already past, fires in the next iteration.
 * O(1) to set, O(log n) amortized to fire or cancel. */
void cl_timer_set(struct cl_loop *loop, struct cl_timer *t, uint64_t deadline_ms);

/* Disarm t; no-op if it is not armed. */
void cl_timer_cancel(struct cl_timer *t);

/* True while t is armed. A timer is disarmed just before its callback. */
bool cl_timer_armed(const struct cl_timer *t);

/* Armed timers on the loop, and the earliest deadline (UINT64_MAX: none). */
size_t cl_loop_timers(const struct cl_loop *loop);
uint64_t cl_loop_next_deadline(const struct cl_loop *loop);

/* ---- TCP ------------------------------------------------------------- */

/* Socket options for cl_listener_open / cl_udp_open. */
#define CL_REUSEPORT 0x1u /* SO_REUSEPORT: one socket per worker, same port */

/* Hands an accepted, nonblocking, close-on-exec fd with TCP_NODELAY set to
 * the caller, who owns it from now on (usually: cl_stream_init). */
typedef void (*cl_accept_fn)(void *arg, int fd, const struct cl_addr *peer);

struct cl_listener {
	struct cl_addr addr; /* the bound address (the kernel's port if 0 was asked) */
	uint64_t accepted;   /* handed to the callback */
	uint64_t refused;    /* accepted and closed: limit or out of descriptors */
	struct {
		struct cl_io io;
		int fd;
		cl_accept_fn fn;
		void *arg;
	} priv;
};

/* The backlog a listener asks for (the kernel caps it at somaxconn). */
#define CL_LISTEN_BACKLOG 4096
/* Connections accepted per readiness callback, so a flood of connects
 * cannot starve the loop's other fds (level triggering brings us back). */
#define CL_ACCEPT_BURST 256

/* Bind addr ("0.0.0.0:80", "[::1]:8080") with SO_REUSEADDR (and
 * SO_REUSEPORT with CL_REUSEPORT), listen, and accept on the loop. Returns 0
 * or -1 (errno from the failing call; EINVAL for a bad address). */
int cl_listener_open(struct cl_listener *l, struct cl_loop *loop, const char *addr,
		     unsigned flags, cl_accept_fn fn, void *arg);

/* Stop listening and close the socket. Accepted streams live on. Safe twice. */
void cl_listener_close(struct cl_listener *l);

/* A connected TCP socket on a loop: the stream ops' ctx. */
struct cl_stream {
	struct {
		struct cl_io io;
		cl_io_fn fn;
		void *arg;
		unsigned want;   /* the caller's interest */
		bool connecting; /* outbound connect in progress */
		int err;         /* a failed connect: every op returns -2 */
	} priv;
};

/* Same layout as struct iovec, so sendv hands the array to the kernel. */
struct cl_iov {
	const void *base;
	size_t len;
};

/* Take ownership of a connected nonblocking fd (from a cl_accept_fn) and
 * watch it with interest CL_READ; fn gets the stream's events. Counts
 * toward loop->max_conns until cl_stream_close. Returns 0, or -1 (the fd is
 * then closed). */
int cl_stream_init(struct cl_stream *s, struct cl_loop *loop, int fd, cl_io_fn fn, void *arg);

/* Start a nonblocking connect to `to` (TCP_NODELAY set). Returns 0 when
 * started; the first event then is CL_WRITE once connected, or
 * CL_WRITE|CL_ERROR if the connect failed (after which every op returns
 * -2). Until then recv/send return 0, and interest set with
 * cl_stream_want applies once connected. Returns -1 (errno) if it could
 * not even start. Counts toward cl_loop_conns but is never refused. */
int cl_stream_connect(struct cl_stream *s, struct cl_loop *loop, const struct cl_addr *to,
		      cl_io_fn fn, void *arg);

/* Set the stream's interest: CL_READ, CL_WRITE, both, or 0. */
int cl_stream_want(struct cl_stream *s, unsigned events);

/* The socket, for setsockopt and the like; -1 once closed. */
int cl_stream_fd(const struct cl_stream *s);

/* The stream ops, ctx a struct cl_stream *. cap, len and the iov total are
 * never 0 by contract (0 returns -2); counts above INT_MAX are cut short.
 * recv: >0 bytes, 0 nothing there yet, -1 peer EOF, -2 error (reset, ...).
 * send/sendv: >0 bytes taken, 0 the socket buffer is full, -2 error.
 * sendv takes at most IOV_MAX entries per call (a short write). */
int cl_stream_recv(void *ctx, uint8_t *buf, size_t cap);
int cl_stream_send(void *ctx, const uint8_t *buf, size_t len);
int cl_stream_sendv(void *ctx, const struct cl_iov *iov, int iovcnt);

/* Remove from the loop and close the socket; safe twice and from the
 * stream's own callback (no further event is delivered). */
void cl_stream_close(void *ctx);

/* Half-close: send FIN after the queued bytes (shutdown SHUT_WR); recv
 * keeps working. For a server that closes a connection with request
 * bytes possibly still coming: shut down, read until EOF or a timer, then
 * close, so the peer gets the whole response instead of a reset.
 * Returns 0, or -2. */
int cl_stream_shutdown(struct cl_stream *s);

/* ---- UDP ------------------------------------------------------------- */

struct cl_udp {
	struct cl_addr addr; /* the bound address */
	struct {
		struct cl_io io;
	} priv;
};

/* Bind a nonblocking UDP socket to addr (CL_REUSEPORT as for listeners;
 * no SO_REUSEADDR, which for UDP would let another socket share the port)
 * and register it with interest CL_READ if fn is not NULL (a send-only
 * socket may pass NULL and never be watched). Returns 0 or -1. */
int cl_udp_open(struct cl_udp *u, struct cl_loop *loop, const char *addr, unsigned flags,
		cl_io_fn fn, void *arg);

/* Set the interest (CL_WRITE when a send returned 0). */
int cl_udp_want(struct cl_udp *u, unsigned events);

/* The socket; -1 once closed. */
int cl_udp_fd(const struct cl_udp *u);

/* Unregister and close; safe twice. */
void cl_udp_close(struct cl_udp *u);

/* The datagram ops, ctx a struct cl_udp *.
 * recv: one whole datagram, >0 its length, 0 none waiting, -2 error; empty
 * datagrams and ones longer than cap (truncated) are dropped and the next
 * one is read. send: >0 len, 0 would block, -2 error (including a family
 * that is not the socket's). */
int cl_udp_recv(void *ctx, uint8_t *buf, size_t cap, struct cl_addr *from);
int cl_udp_send(void *ctx, const uint8_t *buf, size_t len, const struct cl_addr *to);

/* One message of a batch: the buffer is lent by the caller. */
struct cl_udp_msg {
	uint8_t *buf;
	size_t cap;          /* capacity of buf */
	size_t len;          /* received length, or length to send */
	struct cl_addr peer; /* received from, or send to */
	bool trunc;          /* received: the datagram was longer than cap */
};

/* The most messages one recvmmsg/sendmmsg moves. */
#define CL_UDP_BATCH 64

/* A caller-owned batch: msg[0..nmsg) have buffers; count is how many are
 * filled (by cl_udp_recv_batch) or to send (for cl_udp_send_batch). */
struct cl_udp_batch {
	unsigned nmsg;
	unsigned count;
	struct cl_udp_msg msg[CL_UDP_BATCH];
	struct {
		struct mmsghdr hdr[CL_UDP_BATCH];
		struct iovec iov[CL_UDP_BATCH];
		union cl_sockaddr sa[CL_UDP_BATCH];
	} priv;
};

/* Carve mem into n (<= CL_UDP_BATCH) buffers of each bytes: msg[i].buf =
 * mem + i * each. Returns 0, or -1 if n is 0 or too large. */
int cl_udp_batch_init(struct cl_udp_batch *b, uint8_t *mem, size_t each, unsigned n);

/* Receive up to nmsg datagrams with one recvmmsg: fills msg[0..count) (len,
 * peer, trunc) and returns count (>0), 0 if none is waiting, -2 on error. */
int cl_udp_recv_batch(struct cl_udp *u, struct cl_udp_batch *b);

/* Send msg[first..count) (len bytes of buf to peer) with sendmmsg. Returns
 * how many went (the caller resumes at first + that), 0 if the socket
 * would block, -2 on error (a message the kernel rejects outright, such as
 * a wrong family, is an error: it is never skipped silently). */
int cl_udp_send_batch(struct cl_udp *u, struct cl_udp_batch *b, unsigned first);

/* ---- Signals --------------------------------------------------------- */

typedef void (*cl_signal_fn)(void *arg, int signo);

struct cl_signals {
	struct {
		struct cl_io io;
		struct cl_loop *loop;
		sigset_t old; /* the mask before cl_signals_init */
		cl_signal_fn on_term, on_hup;
		void *arg;
	} priv;
};

/* Block SIGTERM, SIGINT and SIGHUP in the calling thread (threads created
 * later inherit this) and ignore SIGPIPE. Call first in main() of a
 * program that starts threads. Returns 0 or -1. */
int cl_signals_block(void);

/* One per process (cl_workers_run makes its own): process-directed
 * signals go to whichever signalfd reads first.
 * Deliver SIGTERM/SIGINT to on_term and SIGHUP to on_hup, as callbacks of
 * the loop (a signalfd). on_term NULL: cl_loop_stop(loop); on_hup NULL:
 * cl_loop_reload(loop). Blocks the three signals in the calling thread
 * and ignores SIGPIPE. Returns 0 or -1. */
int cl_signals_init(struct cl_signals *s, struct cl_loop *loop, cl_signal_fn on_term,
		    cl_signal_fn on_hup, void *arg);

/* Unregister, close the signalfd and restore the signal mask of init. */
void cl_signals_close(struct cl_signals *s);

/* ---- Workers --------------------------------------------------------- */

/* One worker: called on its own thread with a ready loop (index 0..n-1).
 * It binds its sockets (CL_REUSEPORT), calls cl_loop_run(loop), closes what
 * it opened and returns 0, or nonzero on failure. */
typedef int (*cl_worker_fn)(struct cl_loop *loop, unsigned index, void *arg);

/* Run n workers, one thread and one loop each, and return when all have
 * returned: after SIGTERM/SIGINT (which stops every loop), or once they
 * all return on their own. A worker that fails (nonzero) stops the
 * others. SIGHUP calls cl_loop_reload on every worker loop. Blocks the
 * three signals in the calling thread (see cl_signals_block). Returns 0,
 * the first nonzero worker result, or -1 if setting up failed. */
int cl_workers_run(unsigned n, cl_worker_fn fn, void *arg);

/* ---- Binding a library's ops ------------------------------------------ */

/*
 * Each library declares its own ops struct, iov and addr types (same shape,
 * different names, so no library includes another's header). These macros
 * define, in a daemon's .c file, a const ops table of that library's type
 * over the functions above, with wrappers that convert the types:
 *
 *   CL_STREAM_OPS(dns_tcp_ops, struct dns_stream_ops, struct dns_iov);
 *   CL_DATAGRAM_OPS(dns_udp_ops, struct dns_datagram_ops, struct dns_addr);
 *   ... dns_server_attach(srv, &dns_tcp_ops, &stream) ...
 *
 * The ops struct must have the members of BRIEF's contract: recv, send,
 * sendv, close (stream) and recv, send (datagram); the iov type must have
 * the layout of struct iovec (checked at compile time); an addr type needs
 * members family, port and ip[16] (copied member by member).
 */
#define CL_STREAM_OPS(name, ops_type, iov_type)                                                  \
	static int name##_sendv_(void *ctx, const iov_type *iov, int iovcnt)                      \
	{                                                                                          \
		_Static_assert(sizeof(iov_type) == sizeof(struct cl_iov) &&                        \
				       offsetof(iov_type, base) == offsetof(struct cl_iov, base) && \
				       offsetof(iov_type, len) == offsetof(struct cl_iov, len),     \
			       #iov_type " must have the layout of struct cl_iov");                 \
		return cl_stream_sendv(ctx, (const struct cl_iov *)(const void *)iov, iovcnt);     \
	}                                                                                          \
	static const ops_type name = {                                                             \
		.recv = cl_stream_recv,                                                            \
		.send = cl_stream_send,                                                            \
		.sendv = name##_sendv_,                                                            \
		.close = cl_stream_close,                                                          \
	}

#define CL_DATAGRAM_OPS(name, ops_type, addr_type)                                                \
	static int name##_recv_(void *ctx, uint8_t *buf, size_t cap, addr_type *from)             \
	{                                                                                          \
		struct cl_addr a;                                                                  \
		int r = cl_udp_recv(ctx, buf, cap, &a);                                            \
		if (r > 0) {                                                                       \
			from->family = a.family;                                                   \
			from->port = a.port;                                                       \
			memcpy(from->ip, a.ip, sizeof(a.ip));                                      \
		}                                                                                  \
		return r;                                                                          \
	}                                                                                          \
	static int name##_send_(void *ctx, const uint8_t *buf, size_t len, const addr_type *to)   \
	{                                                                                          \
		struct cl_addr a;                                                                  \
		_Static_assert(sizeof(to->ip) == sizeof(a.ip), #addr_type ".ip must be 16 bytes"); \
		a.family = to->family;                                                             \
		a.port = to->port;                                                                 \
		memcpy(a.ip, to->ip, sizeof(a.ip));                                                \
		return cl_udp_send(ctx, buf, len, &a);                                             \
	}                                                                                          \
	static const ops_type name = {                                                             \
		.recv = name##_recv_,                                                              \
		.send = name##_send_,                                                              \
	}

/* ---- Logging --------------------------------------------------------- */

enum cl_log_level { CL_LOG_ERROR = 0, CL_LOG_WARN = 1, CL_LOG_INFO = 2, CL_LOG_DEBUG = 3 };

/* One line to stderr with a single write, so lines of threads never
 * interleave: "2026-11-27T08:27:30.123Z WARN [w2] text\n" (UTC; the tag
 * only when set). Lines longer than CL_LOG_LINE are cut and end in "...".
 * Messages above the level set by cl_log_set_level (default INFO) are
 * dropped. */
#define CL_LOG_LINE 1024
void cl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The most verbose level that is written (process-wide). */
void cl_log_set_level(int level);

/* A short tag for this thread's lines (cl_workers_run sets "w0", "w1",
 * ...); NULL or "" for none. Copied, at most 15 bytes kept. */
void cl_log_set_tag(const char *tag);

#endif
