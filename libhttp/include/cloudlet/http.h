/*
 * cloudlet/http.h: libhttp, HTTP/1.1 parser, server and client connections, static responses.
 *
 * libhttp parses HTTP/1.1 messages in place (RFC 9110, RFC 9112), drives server
 * and client connections over stream ops, and builds static responses. The
 * parts, in the order of this header:
 *
 *   parser          http_request_parse, http_response_parse: heads as slices
 *   chunked         http_chunked_decode: the chunked coding, incrementally
 *   dates, types    http_date_parse/_format, http_media_type, Accept-Encoding
 *   static          http_static_respond: conditional, range and gzip responses
 *   server          http_conn_*: a connection over stream ops, poll-driven
 *   client          http_client_*: requests out, responses in
 *
 * The parser, the chunked decoder and the static responder are pure
 * functions over buffers; only the two connection types call ops.
 *
 * Ownership. Every object is a struct the caller owns: http_X_init() sets
 * every field, http_X_reset() (where there is one) reuses it with the same
 * buffers, and nothing is ever freed because nothing is ever allocated.
 * Members a caller must not touch are inside a nested struct named priv. Buffers, tables and arenas are lent by the caller
 * with their capacity and must outlive the object they are lent to. A full
 * table is an error the caller sees (HTTP_ENOMEM), never a crash.
 *
 * Time and chance. Anything that can time out takes a monotonic uint64_t
 * now_ms; wall-clock time and random numbers are arguments too, so every run
 * is reproducible.
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative HTTP_E* code; http_strerror() names it.
 * HTTP_EAGAIN ("need more input" or "would block") is never the same code as
 * a malformed input.
 */
#ifndef CLOUDLET_HTTP_H
#define CLOUDLET_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HTTP_VERSION "0.1.0"

/* Error codes: every negative return of this library is one of these. Each
 * malformation has its own code; http_err_status() maps a code to the status
 * a server answers before it closes the connection. */
enum http_err {
	HTTP_OK = 0,
	HTTP_EAGAIN = -1,   /* need more input, or the ops would block */
	HTTP_ENOMEM = -2,   /* a caller-lent buffer, table or arena is full */
	HTTP_EINVAL = -3,   /* an argument is out of range */
	HTTP_EIO = -4,      /* the ops reported an error */
	HTTP_EEOF = -5,     /* the peer closed the stream */
	HTTP_ETIMEDOUT = -6,/* a deadline passed */
	/* start-line (RFC 9112 3, 4) */
	HTTP_EMETHOD = -7,      /* method is empty or has a non-token character */
	HTTP_ETARGET = -8,      /* request-target empty or has a control, space, '#' or non-ASCII byte */
	HTTP_EREQLINE = -9,     /* request-line not "method SP target SP version CRLF" */
	HTTP_EVERSION = -10,    /* HTTP-version not "HTTP/" DIGIT "." DIGIT */
	HTTP_EVERSIONUNSUP = -11, /* major version other than 1 (505) */
	HTTP_ESTATUS = -12,     /* status-line malformed or status code not 3 digits 100..599 */
	HTTP_EURITOOLONG = -13, /* request-line longer than the limit (414) */
	/* field syntax (RFC 9112 2.2, 5; RFC 9110 5.5) */
	HTTP_EHDRNAME = -14,    /* field name empty or has a non-token character */
	HTTP_EHDRSPACE = -15,   /* whitespace between field name and colon (RFC 9112 5.1) */
	HTTP_EOBSFOLD = -16,    /* obs-fold, or whitespace before the first field line */
	HTTP_EBARECR = -17,     /* CR not followed by LF (RFC 9112 2.2) */
	HTTP_EBARELF = -18,     /* LF without CR: this library requires CRLF */
	HTTP_ECTL = -19,        /* NUL or another control character in a field value or reason */
	HTTP_EHEADTOOLARGE = -20, /* head larger than the limit (431) */
	HTTP_ETOOMANYHDRS = -21,  /* more field lines than the limit or the table (431) */
	/* framing (RFC 9112 6) */
	HTTP_ECLTE = -22,       /* both Content-Length and Transfer-Encoding */
	HTTP_ECLINVALID = -23,  /* Content-Length not 1*DIGIT or too large for 64 bits */
	HTTP_ECLCONFLICT = -24, /* Content-Length values that differ */
	HTTP_ETENOTCHUNKED = -25, /* Transfer-Encoding whose final coding is not chunked */
	HTTP_ECHUNKEDTWICE = -26, /* chunked applied more than once */
	HTTP_ETEUNSUP = -27,    /* a transfer coding other than chunked (501) */
	HTTP_ETEHTTP10 = -28,   /* Transfer-Encoding in an HTTP/1.0 message */
	HTTP_ENOHOST = -29,     /* HTTP/1.1 request without Host (RFC 9112 3.2) */
	HTTP_EDUPHOST = -30,    /* more than one Host field line */
	HTTP_EBADHOST = -31,    /* Host value is not uri-host [ ":" port ] */
	HTTP_EBODYTOOLARGE = -32, /* body longer than the limit (413) */
	HTTP_EEXPECT = -33,     /* an expectation other than 100-continue (417) */
	/* chunked coding (RFC 9112 7.1) */
	HTTP_ECHUNKSIZE = -34,  /* chunk-size missing or not hex */
	HTTP_ECHUNKOVERFLOW = -35, /* chunk-size does not fit in 64 bits */
	HTTP_ECHUNKEXT = -36,   /* chunk extension malformed or longer than the limit */
	HTTP_ECHUNKDATA = -37,  /* chunk data not followed by CRLF */
	HTTP_ETRAILER = -38,    /* trailer section larger than the limit */
	/* connections and responses */
	HTTP_ESTATE = -39,      /* call not valid in the object's current state */
	HTTP_ERANGE = -40,      /* Range not satisfiable (416) */
	HTTP_EZLIB = -41,       /* zlib reported an error */
	HTTP_ERR_MIN_ = -42     /* one below the lowest code */
};

/* The status code a server sends for a parse error before it closes the
 * connection: 400 for syntax and framing errors, 413, 414, 417, 431, 501 for
 * an unsupported transfer coding (RFC 9112 6.1), 505 for a major version
 * other than 1; 0 for codes that are not about a received message. */
int http_err_status(int err);

/* The name of an error code, for logs: "HTTP_ENOMEM: buffer full". Never NULL. */
const char *http_strerror(int err);

/* The library's version string. */
const char *http_version(void);

/* ------------------------------------------------------------------------
 * Parser
 *
 * http_request_parse() and http_response_parse() read a message head (start
 * line and header section) from a buffer and return slices into it: nothing
 * is copied, and the slices live as long as the buffer. The caller lends the
 * header table and passes its capacity in *num_headers; the count used comes
 * back in the same place (as picohttpparser does).
 *
 * Return: the length of the head (> 0) when it is complete; HTTP_EAGAIN when
 * the buffer holds a strict prefix of a head that could still be valid (call
 * again with more bytes; a parse of a longer buffer gives the same result);
 * otherwise the specific error of the first rule broken.
 *
 * Line endings. Every line must end with CRLF. RFC 9112 2.2 lets a recipient
 * accept a bare LF; this library does not (HTTP_EBARELF), because a peer that
 * treats bare LF differently is the classic request-smuggling lever. A bare
 * CR anywhere is HTTP_EBARECR. Empty lines before a request-line are skipped
 * (RFC 9112 2.2) within the head size limit.
 *
 * Strictness (RFC 9112, RFC 9110), each with its own error: exactly one SP
 * between request-line parts; method a token; request-target visible ASCII
 * without '#'; version exactly "HTTP/" DIGIT "." DIGIT, major other than 1
 * is 505; field names tokens, no whitespace before the colon, no obs-fold;
 * values without NUL or other controls (HTAB allowed); leading and trailing
 * whitespace of values trimmed. Framing follows RFC 9112 6.3: see
 * http_request.body. A request with HTTP/1.1 must carry exactly one valid Host;
 * any request with two Host lines is rejected.
 *
 * Cost: one pass; bytes of field values are checked eight at a time.
 * ------------------------------------------------------------------------ */

/* A slice of a caller's buffer. Not NUL-terminated. */
struct http_str {
	const uint8_t *p;
	size_t len;
};

struct http_header {
	struct http_str name;   /* a token, case as received */
	struct http_str value;  /* without leading or trailing SP/HTAB */
};

/* Limits for untrusted input. http_limits_default() fills safe defaults. */
struct http_limits {
	size_t max_request_line; /* bytes incl. CRLF; over it: HTTP_EURITOOLONG (414). 8192 */
	size_t max_head;         /* bytes of the whole head; HTTP_EHEADTOOLARGE (431). 16384 */
	size_t max_headers;      /* field lines; HTTP_ETOOMANYHDRS (431). 100 */
	uint64_t max_body;       /* request body bytes; HTTP_EBODYTOOLARGE (413). 16 MiB */
	size_t max_chunk_ext;    /* bytes of extensions on one chunk line; HTTP_ECHUNKEXT. 256 */
	size_t max_trailer;      /* bytes of the trailer section; HTTP_ETRAILER. 4096 */
};

void http_limits_default(struct http_limits *lim);

/* How the body of a message is delimited (RFC 9112 6.3). */
enum http_body {
	HTTP_BODY_NONE = 0,   /* no body (or a zero Content-Length) */
	HTTP_BODY_LENGTH,     /* content_length bytes */
	HTTP_BODY_CHUNKED,    /* chunked transfer coding: use struct http_chunked */
	HTTP_BODY_CLOSE       /* responses only: until the connection closes */
};

/* Methods the library knows by name; others are HTTP_M_OTHER (the slice
 * in http_request.method always holds the exact token). */
enum http_method {
	HTTP_M_OTHER = 0,
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_CONNECT,
	HTTP_M_OPTIONS,
	HTTP_M_TRACE,
	HTTP_M_PATCH
};

struct http_request {
	struct http_str method;
	struct http_str target;
	int minor_version;              /* 0 or 1 (a higher minor is reported as is) */
	enum http_method meth;
	struct http_header *headers;    /* the caller's table */
	size_t num_headers;
	struct http_str host;           /* value of Host, empty when absent */
	enum http_body body;            /* NONE, LENGTH or CHUNKED */
	uint64_t content_length;        /* for HTTP_BODY_LENGTH */
	bool keep_alive;                /* persistence per RFC 9112 9.3 */
	bool expect_continue;           /* Expect: 100-continue on HTTP/1.1 */
	size_t head_len;                /* bytes of the head, same as the return */
};

/* Parse a request head from buf[0..len). headers[0..*num_headers) is the
 * table; on success *num_headers is the number used. lim may be NULL
 * (defaults). Return: head length, HTTP_EAGAIN or an error (see above). */
int http_request_parse(struct http_request *req, const uint8_t *buf, size_t len,
		struct http_header *headers, size_t *num_headers,
		const struct http_limits *lim);

struct http_response {
	int minor_version;
	int status;                     /* 100..599 */
	struct http_str reason;
	struct http_header *headers;
	size_t num_headers;
	enum http_body body;            /* NONE, LENGTH, CHUNKED or CLOSE */
	uint64_t content_length;
	bool keep_alive;
	size_t head_len;
};

/* Flags for http_response_parse: what the request was, because the framing
 * of a response depends on it (RFC 9112 6.3 items 1 and 2). */
#define HTTP_RESP_TO_HEAD    1u  /* the request was HEAD: no body */
#define HTTP_RESP_TO_CONNECT 2u  /* the request was CONNECT: 2xx has no body */

/* Parse a response head. Framing: 1xx, 204, 304 and responses to HEAD have no
 * body; Transfer-Encoding ending in chunked is HTTP_BODY_CHUNKED, ending in
 * another coding is HTTP_BODY_CLOSE; Content-Length is HTTP_BODY_LENGTH;
 * neither is HTTP_BODY_CLOSE. Both is HTTP_ECLTE (RFC 9112 6.3 item 3 allows
 * this strictness: "ought to be handled as an error"). lim->max_body is not
 * applied to responses. */
int http_response_parse(struct http_response *res, const uint8_t *buf, size_t len,
		struct http_header *headers, size_t *num_headers,
		const struct http_limits *lim, unsigned flags);

/* Find a header by name (ASCII case-insensitive); NULL when absent. */
const struct http_header *http_header_find(const struct http_header *h, size_t n,
		const char *name);

/* ASCII case-insensitive comparison of a slice with a C string. */
bool http_str_ieq(struct http_str s, const char *lit);

/* ------------------------------------------------------------------------
 * Chunked decoder (RFC 9112 7.1)
 *
 * Incremental: feed any cut of the body; the decoder keeps its position in
 * the caller-owned struct. Chunk sizes are checked against 64-bit overflow
 * and against max_body; extensions are skipped, their bytes checked (BWS
 * then ';' first, no controls) and bounded by max_chunk_ext per line; the trailer section is parsed with
 * the field rules above, bounded by max_trailer, and discarded.
 * ------------------------------------------------------------------------ */
struct http_chunked {
	struct {
		int state;
		uint64_t left;      /* bytes of the current chunk, or its size being read */
		uint64_t total;     /* body bytes so far */
		uint64_t max_body;
		size_t count;       /* bytes of the current extension or trailer */
		size_t max_ext;
		size_t max_trailer;
		unsigned digits;
	} priv;
};

void http_chunked_init(struct http_chunked *c, const struct http_limits *lim);

/* Decode from in[0..len) into out[0..cap); out may equal in (decoding in
 * place is safe because output never overtakes input). *consumed and
 * *produced say how far each went. Return 1 when the last chunk and the
 * trailer section are complete (*consumed then ends right after them),
 * HTTP_EAGAIN when all input was used before the end, 0 when out is full,
 * or an error. */
int http_chunked_decode(struct http_chunked *c, const uint8_t *in, size_t len,
		size_t *consumed, uint8_t *out, size_t cap, size_t *produced);

/* True once the whole chunked body has been decoded. */
bool http_chunked_done(const struct http_chunked *c);

/* ------------------------------------------------------------------------
 * Dates, media types, negotiation
 * ------------------------------------------------------------------------ */

#define HTTP_DATE_LEN 29  /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Write t (seconds since 1970-01-01 UTC) as an IMF-fixdate (RFC 9110 5.6.7)
 * and a NUL. Return HTTP_DATE_LEN, or HTTP_EINVAL outside years 0..9999. */
int http_date_format(int64_t t, char out[HTTP_DATE_LEN + 1]);

/* A formatted Date kept for the second it names. A server writes the same
 * Date on every response within a second (RFC 9110 6.6.1 asks for the
 * time the message was generated, to the second), so formatting it once per
 * second and copying it after is enough. The caller owns the struct (one
 * per thread that writes responses) and lends it to http_static_cfg. */
struct http_date_cache {
	struct {
		int64_t sec;                    /* the second text names; INT64_MIN: none yet */
		char text[HTTP_DATE_LEN + 1];
	} priv;
};

void http_date_cache_init(struct http_date_cache *dc);

/* The IMF-fixdate of t (HTTP_DATE_LEN characters and a NUL), formatted
 * only when t is not the second of the previous call; NULL outside years
 * 0..9999. The text stays valid until the next call with another t. */
const char *http_date_cache_get(struct http_date_cache *dc, int64_t t);

/* Parse an HTTP-date in any of the three formats of RFC 9110 5.6.7:
 * IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"; the two-digit year
 * is placed using now, seconds since the epoch, by the 50-year rule) and
 * asctime ("Sun Nov  6 08:49:37 1994"). Exact syntax, valid calendar dates;
 * anything else is HTTP_EINVAL. */
int http_date_parse(struct http_str s, int64_t now, int64_t *out);

/* The media type for a path's extension (case-insensitive), with
 * "; charset=utf-8" for text types; "application/octet-stream" when
 * unknown. The slice points to a constant string. */
struct http_str http_media_type(struct http_str path);

/* True for types worth compressing (text, JSON, XML, JavaScript, ...). */
bool http_media_compressible(struct http_str type);

/* The q-value (0..1000) a request's Accept-Encoding fields give a content
 * coding, by RFC 9110 12.5.3 (an explicit entry beats "*", "x-gzip" is
 * "gzip"). Without any Accept-Encoding this returns 0 for every coding but
 * "identity": the server then sends content unencoded. */
int http_accept_encoding_q(const struct http_header *h, size_t n, const char *coding);

/* The reason phrase of a status code ("Not Found"); "" when unknown. */
const char *http_reason(int status);

/* ------------------------------------------------------------------------
 * Static responses
 *
 * http_static_respond() answers a parsed request for content the caller
 * describes, by RFC 9110: GET and HEAD (405 with Allow for other known
 * methods, 501 for unknown ones, OPTIONS answered 204 with Allow); preconditions in the order of RFC 9110 13.2.2
 * (If-Match strong, If-Unmodified-Since, If-None-Match weak, If-Modified-
 * Since) giving 412 or 304; Range (RFC 9110 14) with If-Range, one range as
 * 206 with Content-Range, several as multipart/byteranges with the caller's
 * boundary, none satisfiable as 416; gzip chosen by Accept-Encoding, from a
 * precompressed variant when the caller has one, else compressed on the fly
 * into a caller buffer (zlib allocating from a caller arena) when the
 * content is in memory, its type compressible and its size at least gzip_min, with Vary: Accept-Encoding
 * whenever a gzip variant exists and a weak ETag for the on-the-fly one.
 * A Range request is never compressed on the fly.
 *
 * Output: the head written into the caller's buffer, and the body as a list
 * of segments, so a connection can send head and body with one gather send.
 * A segment is memory (p != NULL) or a span of the content to fetch with its
 * reader (p == NULL). Part headers of a multipart body are written into the
 * caller's buffer after the head. HEAD gets the same head and no segments.
 * ------------------------------------------------------------------------ */

#define HTTP_MAX_RANGES 8  /* more ranges than this: Range is ignored (RFC 9110 14.2) */
#define HTTP_GZIP_ARENA_SIZE (288u * 1024u) /* arena for zlib's deflate at full window */

struct http_content {
	const uint8_t *data;    /* the bytes in memory, or NULL: use read */
	/* Copy up to cap bytes from offset off: > 0 bytes copied, < 0 error. */
	int (*read)(void *ctx, uint64_t off, uint8_t *buf, size_t cap);
	void *read_ctx;
	uint64_t size;
	struct http_str etag;   /* an entity-tag with its quotes: "\"abc\"" or W/"abc"; empty: none */
	int64_t mtime;          /* seconds since the epoch; < 0 unknown */
	struct http_str type;   /* media type; empty: application/octet-stream */
	const struct http_content *gzip; /* the same content gzip-compressed, or NULL */
	/* Set by http_static_prepare() (zero: not prepared). */
	struct {
		const uint8_t *fields[2]; /* a 200's representation fields: identity, gzip */
		uint16_t len[2];
		bool vary;                /* built with Vary: Accept-Encoding */
	} priv;
};

struct http_static_cfg {
	int64_t now;            /* wall clock, seconds since the epoch, for Date; < 0: no Date */
	struct http_str boundary; /* multipart boundary (1..70 bchars, from a random source) */
	size_t gzip_min;        /* compress on the fly from this size; 0: never */
	uint8_t *gzip_buf;      /* where on-the-fly output goes */
	size_t gzip_cap;
	uint8_t *arena;         /* zlib's memory: HTTP_GZIP_ARENA_SIZE for the full window, */
	size_t arena_cap;       /* less makes the window smaller; under 16 KiB: no gzip */
	struct http_str extra;  /* raw field lines added to every head, each ending in CRLF */
	const char *connection; /* a Connection value ("close"), or NULL */
	struct http_date_cache *dates; /* formats Date once per second; NULL: every time */
};

struct http_seg {
	const uint8_t *p;       /* bytes in memory, or NULL: content bytes from off */
	uint64_t off;
	uint64_t len;
};

struct http_static {
	int status;
	struct http_str head;       /* in the caller's buffer */
	size_t buf_used;            /* bytes of the buffer used: head and part headers */
	const struct http_content *src; /* whose reader fetches p == NULL segments */
	struct http_seg seg[2 * HTTP_MAX_RANGES + 1];
	int nseg;
	uint64_t body_len;          /* total of the segments */
};

/* Build the response. buf/cap receive the head (and multipart part
 * headers). Return 0, HTTP_ENOMEM when buf is too small (the size needed is
 * then in out->head.len), or HTTP_EINVAL for a bad boundary. */
int http_static_respond(struct http_static *out, const struct http_request *req,
		const struct http_content *content, const struct http_static_cfg *cfg,
		uint8_t *buf, size_t cap);

/* Pre-format, once per content, the representation fields of a plain 200
 * (ETag, Last-Modified, Vary, Accept-Ranges, Content-Encoding, Content-Type,
 * Content-Length, exactly as http_static_respond writes them) for the
 * content and for its gzip variant, into buf, which must stay valid and
 * unchanged as long as content is used. http_static_respond() then copies
 * them instead of building them whenever a GET or HEAD has no
 * precondition or Range field (any field named If-... or Range sends it
 * the full way) and the content's Last-Modified is not after cfg->now; the
 * response is byte for byte the same either way. Call it again after any
 * change to the content or its variant. Return the bytes of buf used, or
 * HTTP_ENOMEM when buf is too small (the content is then left unprepared;
 * 512 bytes always do for an ETag and a type under 100 bytes each). */
int http_static_prepare(struct http_content *content, uint8_t *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Stream ops (the same shape in every cloudlet library)
 *
 * recv copies up to cap bytes in; send and sendv copy bytes out. Each
 * returns > 0 bytes moved (short transfers are normal), 0 when it would
 * block, -1 for peer EOF (recv only), -2 for any other error. cap and len are
 * never 0. sendv may be NULL (send is then used per piece). close ends the
 * stream; the connection calls it once.
 * ------------------------------------------------------------------------ */
struct http_iov {
	const void *base;   /* the layout of struct iovec */
	size_t len;
};

struct http_stream_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap);
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	int (*sendv)(void *ctx, const struct http_iov *iov, int iovcnt);
	void (*close)(void *ctx);
};

/* ------------------------------------------------------------------------
 * Server connection
 *
 * One HTTP/1.1 connection over stream ops, driven by http_conn_poll(). The
 * caller lends an input buffer (request heads and body bytes; a head must
 * fit), an output buffer (response heads, multipart part headers, chunk
 * framing, and the bounce space for content readers) and the header table.
 * HTTP_CONN_BUFSIZE is a good size for each buffer.
 *
 * Requests are handed over one at a time: when poll returns
 * HTTP_CONN_REQUEST, http_conn_request() is the current request, and the
 * caller answers it with exactly one of http_conn_static(),
 * http_conn_respond(), or http_conn_respond_start()/_write()/_end(). Pipelined
 * requests wait in the input buffer, so responses go out strictly in request
 * order; with http_conn_cfg.max_batch, responses to requests that arrived
 * together leave together, in one gather send. Poll keeps returning HTTP_CONN_REQUEST while the current request is
 * the caller's to answer (or to read the body of, or to stream to).
 *
 * Bodies: http_conn_body_read() delivers the request body, Content-Length or
 * chunked, decoded; on the first read of a request with
 * "Expect: 100-continue" the interim 100 response goes out first (RFC 9110
 * 10.1.1). A body the caller leaves unread is read and dropped after the
 * response, except when 100 was never sent: then the connection closes.
 *
 * Persistence (RFC 9112 9.3): keep-alive unless the request says close or is
 * HTTP/1.0 without keep-alive; the response then carries Connection: close
 * (or keep-alive for HTTP/1.0) and the connection closes after it. A
 * malformed request is answered with the status of http_err_status() and
 * "Connection: close", and the connection closes; the error is kept
 * (http_conn_error()). HEAD responses carry no body whatever the caller
 * passes. Output of unknown length is chunked on HTTP/1.1 and close-delimited
 * on HTTP/1.0.
 *
 * Time: the header timeout runs from the first byte of a request head to
 * its end (a client dribbling a head is cut off, with a 408, however
 * steadily it sends); the idle timeout runs between requests (a quiet
 * close) and while a body or response makes no progress (HTTP_ETIMEDOUT).
 * The caller's own time answering is not timed. http_conn_next_deadline()
 * says when poll must next run. Received bytes are scanned once for the end
 * of a head before the parser runs, so a head sent a byte at a time costs
 * linear work. See http_conn_cfg.linger_ms for how a closing connection
 * avoids resetting its last response.
 * ------------------------------------------------------------------------ */

#define HTTP_CONN_BUFSIZE 16384
/* Segments one response may queue, and room for gathered responses. */
#define HTTP_CONN_RESPSEG (2 * HTTP_MAX_RANGES + 4)
#define HTTP_CONN_MAXSEG (HTTP_CONN_RESPSEG + 32)

enum {
	HTTP_CONN_IDLE = 0,     /* nothing to do until I/O or the deadline */
	HTTP_CONN_REQUEST = 1,  /* a request is the caller's to answer */
	HTTP_CONN_CLOSED = 2    /* finished; the stream is closed */
};

struct http_conn_cfg {
	struct http_limits limits;
	uint64_t header_timeout_ms; /* default 10000 */
	uint64_t idle_timeout_ms;   /* default 60000 */
	/* After a response that ends the connection while more input may be
	 * on its way (after an error, or with unread request bytes), go on
	 * reading and dropping it, up to this long or 64 KiB, until the client
	 * closes: closing a socket with unread input sends a reset, which can
	 * destroy the response before the client reads it (a client that
	 * pipelined after a bad request). Never after a close-delimited body,
	 * whose end is the close. Default 1000; 0 closes at once. */
	uint64_t linger_ms;
	/* Pipelined requests (RFC 9112 9.3.2) that are already in the input
	 * buffer are answered before any of their responses is sent, up to
	 * this many responses, so they leave in one gather send instead of
	 * one send each. Default 1: every response is sent before the next
	 * request is handed over. More changes a promise to the caller: the
	 * content (and body) of a response may still be queued when the next
	 * request is handed over, and must stay valid until
	 * http_conn_sending() is false (or the connection is closed), and
	 * bodies must not point into the connection's input buffer. A
	 * response is held back only while the output buffer is at most half
	 * full, every queued byte is in memory (no reader), and the segments
	 * left can take any response; order is kept strictly. */
	unsigned max_batch;
};

void http_conn_cfg_default(struct http_conn_cfg *cfg);

struct http_conn {
	struct {
		const struct http_stream_ops *ops;
		void *ctx;
		struct http_conn_cfg cfg;
		uint8_t *in;
		size_t in_cap, in_len, in_pos;
		uint8_t *out;
		size_t out_cap, out_used;
		struct http_header *hdr;
		size_t hdr_cap;
		struct http_request req;
		int state;
		int err;
		bool close_after;    /* close once the response is sent */
		bool responded;      /* a response is queued or streaming */
		bool streaming;      /* respond_start called, not yet ended */
		bool stream_chunked;
		bool head_only;      /* HEAD: drop body bytes */
		bool sent_100;
		bool body_done;
		uint64_t body_left;  /* Content-Length bytes still to come */
		struct http_chunked chunked;
		uint64_t head_start_ms;
		uint64_t last_ms;
		struct http_seg seg[HTTP_CONN_MAXSEG];
		int nseg, seg_i;
		uint64_t seg_off;
		const struct http_content *src;
		size_t bounce_pos, bounce_len;
		uint64_t requests;
		uint64_t now_ms;     /* as of the last poll */
		int64_t wall_s;      /* for Date; < 0: unknown */
		size_t scan_pos;     /* input scanned for the end of a head */
		bool seen_lf;
		bool close_delimited; /* the response body ends with the close */
		uint64_t linger_until;
		size_t linger_bytes;
		bool again;          /* work left when poll's bound was reached */
		unsigned held;       /* responses queued and held back for a gather send */
	} priv;
};

/* Set up a connection on a stream that has just been accepted at now_ms.
 * cfg may be NULL (defaults). */
void http_conn_init(struct http_conn *c, const struct http_stream_ops *ops, void *ctx,
		uint8_t *in, size_t in_cap, uint8_t *out, size_t out_cap,
		struct http_header *hdr, size_t hdr_cap, const struct http_conn_cfg *cfg,
		uint64_t now_ms);

/* Reuse c, its buffers and configuration, for a new stream. */
void http_conn_reset(struct http_conn *c, void *ctx, uint64_t now_ms);

/* Tell the connection the wall-clock time (seconds since the epoch) so the
 * responses it writes itself (errors, http_conn_respond, _respond_start)
 * carry a Date (RFC 9110 6.6.1). Until called, they have none. */
void http_conn_set_wallclock(struct http_conn *c, int64_t now_s);

/* Do all the I/O that can be done now. Return HTTP_CONN_IDLE,
 * HTTP_CONN_REQUEST, HTTP_CONN_CLOSED, or the connection's (first) error
 * once it has closed because of it. */
int http_conn_poll(struct http_conn *c, uint64_t now_ms);

/* When poll must run next (monotonic ms); UINT64_MAX for never. Poll does
 * a bounded amount of work per call; when it stopped with work left (a
 * long body or response on a fast stream) this is the time of that poll,
 * so the caller comes back at once whatever its readiness model. */
uint64_t http_conn_next_deadline(const struct http_conn *c);

/* The current request, or NULL when none is the caller's. */
const struct http_request *http_conn_request(const struct http_conn *c);

/* Read request body bytes: > 0 bytes, 0 at the end of the body, HTTP_EAGAIN
 * when more must arrive (poll again), or an error (the connection then
 * answers 400 or 413 if nothing was sent yet, and closes). */
int http_conn_body_read(struct http_conn *c, uint8_t *buf, size_t cap);

/* Answer with http_static_respond() into the output buffer; cfg's
 * connection field is set by the connection. The content (and its reader)
 * must stay valid until the response is sent. */
int http_conn_static(struct http_conn *c, const struct http_content *content,
		const struct http_static_cfg *cfg);

/* Answer with a status, raw field lines (each ending in CRLF; may be empty)
 * and a body of known length in memory, valid until sent. Content-Length and
 * Connection are added. */
int http_conn_respond(struct http_conn *c, int status, struct http_str fields,
		const uint8_t *body, size_t len);

/* A response whose length is not known: chunked (HTTP/1.1) or up to the
 * close (HTTP/1.0). _write copies into the output buffer and returns the
 * bytes taken (HTTP_EAGAIN when it is full: poll, then write again); _end
 * finishes the body. */
int http_conn_respond_start(struct http_conn *c, int status, struct http_str fields);
int http_conn_respond_write(struct http_conn *c, const uint8_t *data, size_t len);
int http_conn_respond_end(struct http_conn *c);

/* The first error of the connection, 0 if none. */
int http_conn_error(const struct http_conn *c);

/* Requests answered so far on this connection. */
uint64_t http_conn_requests(const struct http_conn *c);

/* True while response bytes are queued and not yet all sent: the content
 * of the responses given so far must then stay valid (see max_batch). */
bool http_conn_sending(const struct http_conn *c);

/* ------------------------------------------------------------------------
 * Client connection
 *
 * One request at a time over stream ops: http_client_request() (body of
 * known length, in memory until sent) or _request_start()/_write()/_end()
 * (chunked request body) queue a request; http_client_poll() sends it and
 * reads the response head, skipping interim 1xx responses (RFC 9110 15.2),
 * and returns HTTP_CLIENT_RESPONSE once the final head is in:
 * http_client_response() is then valid until the body has been read with
 * http_client_body_read() (Content-Length, chunked, or up to the close).
 * After the body, a persistent connection is ready for the next request
 * (poll returns HTTP_CLIENT_READY); otherwise it closes. A response may come
 * before the request body is all sent (a server refusing an upload): both
 * directions progress in the same poll. The idle timeout runs while the
 * client waits on the server. The first error is kept.
 * ------------------------------------------------------------------------ */

enum {
	HTTP_CLIENT_IDLE = 0,     /* waiting for I/O or the deadline */
	HTTP_CLIENT_RESPONSE = 1, /* a final response head is in; read its body */
	HTTP_CLIENT_CLOSED = 2,   /* finished; the stream is closed */
	HTTP_CLIENT_READY = 3     /* a request may be sent */
};

struct http_client {
	struct {
		const struct http_stream_ops *ops;
		void *ctx;
		struct http_limits limits;
		uint64_t idle_timeout_ms;
		uint8_t *in;
		size_t in_cap, in_len, in_pos;
		uint8_t *out;
		size_t out_cap, out_len, out_pos;
		const uint8_t *body;      /* request body sent after out[] */
		size_t body_len, body_pos;
		struct http_header *hdr;
		size_t hdr_cap;
		struct http_response res;
		unsigned resp_flags;
		int state;
		int err;
		bool streaming;
		bool req_close;           /* the request asked for close */
		bool body_done;
		uint64_t body_left;
		struct http_chunked chunked;
		uint64_t last_ms, now_ms;
		size_t scan_pos;          /* input scanned for the end of a head */
		bool again;               /* work left when poll's bound was reached */
	} priv;
};

/* lim may be NULL (defaults); idle_timeout_ms 0 means 60000. */
void http_client_init(struct http_client *c, const struct http_stream_ops *ops, void *ctx,
		uint8_t *in, size_t in_cap, uint8_t *out, size_t out_cap,
		struct http_header *hdr, size_t hdr_cap, const struct http_limits *lim,
		uint64_t idle_timeout_ms, uint64_t now_ms);

/* Reuse c, its buffers and configuration, for a new stream. */
void http_client_reset(struct http_client *c, void *ctx, uint64_t now_ms);

/* Queue a request: "method target HTTP/1.1", Host, the caller's field lines
 * (each ending in CRLF), and Content-Length when body is not NULL. body must
 * stay valid until sent. HTTP_ESTATE unless the connection is ready,
 * HTTP_ENOMEM when the head does not fit the output buffer. */
int http_client_request(struct http_client *c, const char *method, struct http_str target,
		struct http_str host, struct http_str fields, const uint8_t *body, size_t len);

/* The same with a chunked body written piece by piece: _write copies and
 * returns the bytes taken (HTTP_EAGAIN when the buffer is full: poll and
 * retry); _end sends the last chunk. */
int http_client_request_start(struct http_client *c, const char *method,
		struct http_str target, struct http_str host, struct http_str fields);
int http_client_write(struct http_client *c, const uint8_t *data, size_t len);
int http_client_end(struct http_client *c);

/* Send and receive what can be now. Return one of HTTP_CLIENT_*, or the
 * connection's first error once it has closed because of it. */
int http_client_poll(struct http_client *c, uint64_t now_ms);

/* When poll must run next; as for http_conn_next_deadline(), the time of
 * the last poll when that stopped with work left. */
uint64_t http_client_next_deadline(const struct http_client *c);

/* The final response head, or NULL before it arrives. */
const struct http_response *http_client_response(const struct http_client *c);

/* Response body bytes: > 0, 0 at the end, HTTP_EAGAIN (poll again), or an
 * error. */
int http_client_body_read(struct http_client *c, uint8_t *buf, size_t cap);

int http_client_error(const struct http_client *c);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_HTTP_H */
