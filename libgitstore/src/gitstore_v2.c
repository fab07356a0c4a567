/* Parsing protocol v2 requests (gitprotocol-v2.txt) and receive-pack commands (gitprotocol-pack.txt). */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static bool has_prefix(struct gitstore_slice s, const char *pre, struct gitstore_slice *rest)
{
	size_t n = strlen(pre);
	if (s.len < n || memcmp(s.p, pre, n) != 0)
		return false;
	if (rest) {
		rest->p = s.p + n;
		rest->len = s.len - n;
	}
	return true;
}

static bool equals(struct gitstore_slice s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* gitprotocol-v2.txt: key = 1*(ALPHA | DIGIT | "-" | "_"), value = 1*(any printable but SP). */
static bool cap_ok(struct gitstore_slice l)
{
	size_t i = 0;
	while (i < l.len && l.p[i] != '=') {
		uint8_t c = l.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		i++;
	}
	if (i == 0)
		return false;
	if (i == l.len)
		return true;
	if (++i == l.len)
		return false;
	for (; i < l.len; i++)
		if (l.p[i] <= ' ' || l.p[i] >= 0x7f)
			return false;
	return true;
}

int gitstore_v2_request_parse(const uint8_t *buf, size_t len, struct gitstore_v2_request *req)
{
	struct gitstore_pkt p;
	size_t off = 0;
	int rc = gitstore_pkt_parse(buf, len, &p);
	if (rc < 0)
		return rc;
	struct gitstore_slice t = gitstore_pkt_text(&p);
	if (p.kind != GITSTORE_PKT_DATA || !has_prefix(t, "command=", &req->command) || req->command.len == 0 ||
		!cap_ok(t))
		return GITSTORE_EV2_COMMAND;
	off = (size_t)rc;
	req->caps.p = buf + off;
	req->caps.len = 0;
	req->args.p = buf + off;
	req->args.len = 0;
	req->object_format.p = buf;
	req->object_format.len = 0;
	int section = 0;   /* 0 capabilities, 1 arguments */
	for (;;) {
		rc = gitstore_pkt_parse(buf + off, len - off, &p);
		if (rc < 0)
			return rc;
		if (p.kind == GITSTORE_PKT_FLUSH)
			return (int)(off + (size_t)rc);
		if (p.kind == GITSTORE_PKT_END)
			return GITSTORE_EV2_SECTION;
		if (p.kind == GITSTORE_PKT_DELIM) {
			if (section)
				return GITSTORE_EV2_SECTION;
			section = 1;
			off += (size_t)rc;
			req->args.p = buf + off;
			continue;
		}
		t = gitstore_pkt_text(&p);
		if (t.len == 0)
			return GITSTORE_EV2_SECTION;
		if (section == 0) {
			if (!cap_ok(t))
				return GITSTORE_EV2_SECTION;
			struct gitstore_slice v;
			if (has_prefix(t, "object-format=", &v))
				req->object_format = v;
			req->caps.len += (size_t)rc;
		} else {
			req->args.len += (size_t)rc;
		}
		off += (size_t)rc;
		if (off > (size_t)INT32_MAX)
			return GITSTORE_EPKT_TOOLONG;
	}
}

int gitstore_v2_next(struct gitstore_slice *section, struct gitstore_slice *line)
{
	struct gitstore_pkt p;
	while (section->len) {
		int rc = gitstore_pkt_parse(section->p, section->len, &p);
		if (rc < 0)
			return 0;   /* sections come from gitstore_v2_request_parse: already whole */
		section->p += rc;
		section->len -= (size_t)rc;
		if (p.kind == GITSTORE_PKT_DATA) {
			*line = gitstore_pkt_text(&p);
			return 1;
		}
	}
	return 0;
}

static int parse_id(int algo, struct gitstore_slice s, struct gitstore_oid *id)
{
	return gitstore_oid_from_hex(algo, (const char *)s.p, s.len, id);
}

int gitstore_v2_arg_parse(int algo, struct gitstore_slice command, struct gitstore_slice line,
	struct gitstore_v2_arg *out)
{
	struct gitstore_slice v;
	memset(out, 0, sizeof *out);
	if (equals(command, "ls-refs")) {
		if (equals(line, "peel"))
			out->kind = GITSTORE_ARG_PEEL;
		else if (equals(line, "symrefs"))
			out->kind = GITSTORE_ARG_SYMREFS;
		else if (equals(line, "unborn"))
			out->kind = GITSTORE_ARG_UNBORN;
		else if (has_prefix(line, "ref-prefix ", &v) && v.len > 0) {
			out->kind = GITSTORE_ARG_REF_PREFIX;
			out->value = v;
		} else
			return GITSTORE_EV2_ARG;
		return 0;
	}
	if (!equals(command, "fetch"))
		return GITSTORE_EV2_COMMAND;
	/* Names held in place (no pointers): the table needs no relocation. */
	static const struct {
		char name[16];
		int kind;
	} flags[] = {
		{ "done", GITSTORE_ARG_DONE }, { "thin-pack", GITSTORE_ARG_THIN_PACK },
		{ "no-progress", GITSTORE_ARG_NO_PROGRESS }, { "include-tag", GITSTORE_ARG_INCLUDE_TAG },
		{ "ofs-delta", GITSTORE_ARG_OFS_DELTA }, { "sideband-all", GITSTORE_ARG_SIDEBAND_ALL },
		{ "wait-for-done", GITSTORE_ARG_WAIT_FOR_DONE },
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (equals(line, flags[i].name)) {
			out->kind = flags[i].kind;
			return 0;
		}
	}
	if (has_prefix(line, "want ", &v)) {
		out->kind = GITSTORE_ARG_WANT;
		return parse_id(algo, v, &out->id) < 0 ? GITSTORE_EV2_ARG : 0;
	}
	if (has_prefix(line, "have ", &v)) {
		out->kind = GITSTORE_ARG_HAVE;
		return parse_id(algo, v, &out->id) < 0 ? GITSTORE_EV2_ARG : 0;
	}
	static const char unsupported[][16] = {
		"shallow ", "deepen ", "deepen-relative", "deepen-since ", "deepen-not ", "filter ",
		"want-ref ", "packfile-uris ",
	};
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		if (has_prefix(line, unsupported[i], NULL))
			return GITSTORE_EV2_UNSUPPORTED;
	return GITSTORE_EV2_ARG;
}

int gitstore_receive_cmd_parse(int algo, const uint8_t *line, size_t len, struct gitstore_receive_cmd *c,
	struct gitstore_slice *caps)
{
	size_t h = 2 * gitstore_hash_len(algo);
	if (h == 0)
		return GITSTORE_EINVAL;
	const uint8_t *nul = memchr(line, 0, len);
	size_t cmd_len = nul ? (size_t)(nul - line) : len;
	if (caps) {
		caps->p = nul ? nul + 1 : line + len;
		caps->len = nul ? len - cmd_len - 1 : 0;
		if (caps->len && caps->p[caps->len - 1] == '\n')
			caps->len--;
	}
	if (!nul && cmd_len && line[cmd_len - 1] == '\n')
		cmd_len--;
	if (cmd_len < 2 * h + 3 || line[h] != ' ' || line[2 * h + 1] != ' ')
		return GITSTORE_ERECV_CMD;
	if (gitstore_oid_from_hex(algo, (const char *)line, h, &c->old_id) < 0 ||
		gitstore_oid_from_hex(algo, (const char *)line + h + 1, h, &c->new_id) < 0)
		return GITSTORE_EHEX;
	c->name.p = line + 2 * h + 2;
	c->name.len = cmd_len - 2 * h - 2;
	char name[GITSTORE_REFNAME_MAX];
	if (c->name.len >= sizeof name || memchr(c->name.p, 0, c->name.len))
		return GITSTORE_EREF_NAME;
	memcpy(name, c->name.p, c->name.len);
	name[c->name.len] = 0;
	/* receive-pack refuses anything outside refs/ (git's "funny refname"). */
	if (c->name.len < 5 || memcmp(name, "refs/", 5) != 0 || gitstore_refname_check(name, 0) < 0)
		return GITSTORE_EREF_NAME;
	return 0;
}

unsigned gitstore_receive_caps_parse(struct gitstore_slice caps)
{
	static const struct {
		char name[16];
		unsigned bit;
	} known[] = {
		{ "report-status", GITSTORE_RCAP_REPORT_STATUS }, { "side-band-64k", GITSTORE_RCAP_SIDEBAND },
		{ "atomic", GITSTORE_RCAP_ATOMIC }, { "quiet", GITSTORE_RCAP_QUIET },
		{ "ofs-delta", GITSTORE_RCAP_OFS_DELTA }, { "push-options", GITSTORE_RCAP_PUSH_OPTIONS },
	};
	unsigned bits = 0;
	size_t i = 0;
	while (i < caps.len) {
		while (i < caps.len && caps.p[i] == ' ')
			i++;
		size_t s = i;
		while (i < caps.len && caps.p[i] != ' ')
			i++;
		struct gitstore_slice w = { caps.p + s, i - s };
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
			if (equals(w, known[k].name))
				bits |= known[k].bit;
	}
	return bits;
}
