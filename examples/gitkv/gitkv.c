/*
 * gitkv: a Git repository as a versioned key-value store, and the tools
 * around it (index-pack, cat-all, fsck), on libgitstore and platform/posix.
 * See usage() for the commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitkv.h"

static void usage(FILE *out)
{
	fputs("usage: gitkv [--repo PATH] [--branch BRANCH] COMMAND [ARGS]\n"
	      "\n"
	      "The branch as a key-value store (keys are paths in its tree):\n"
	      "  get PATH                 print the value at PATH\n"
	      "  ls [PATH]                list the directory PATH (the root without it)\n"
	      "  log [PATH]               the commits of the branch (first parents), or\n"
	      "                           those that changed PATH: \"<id> <subject>\"\n"
	      "  set PATH [FILE] [-m MSG] store FILE (standard input without it) at PATH\n"
	      "  rm PATH [-m MSG]         remove PATH\n"
	      "  Each set and rm is one commit on the branch; author and committer come\n"
	      "  from GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_AUTHOR_DATE and the\n"
	      "  GIT_COMMITTER_* variables (dates as \"SECONDS [+HHMM]\"), the time from\n"
	      "  the clock. The new commit's id is printed.\n"
	      "\n"
	      "The repository:\n"
	      "  index-pack [--object-format=sha1|sha256] FILE.pack\n"
	      "                           check a pack and write FILE.idx beside it\n"
	      "  cat-all                  every object, as git cat-file --batch-all-objects --batch\n"
	      "  fsck                     check every object, pack and ref (git fsck --full --strict)\n"
	      "\n"
	      "Options:\n"
	      "  --repo PATH      the repository: a work tree (PATH/.git) or a git directory;\n"
	      "                   default: the current directory\n"
	      "  --branch BRANCH  the branch (\"main\" or \"refs/heads/main\"); default: HEAD's\n"
	      "  -h, --help       this text\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 bad usage; fsck: git fsck's error bits.\n",
	      out);
}

static int usage_err(const char *fmt, const char *arg)
{
	fputs("gitkv: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n(gitkv --help for usage)\n", stderr);
	return GK_USAGE;
}

struct opts {
	const char *repo;
	const char *branch;
	const char *message;
	const char *cmd;
	const char *args[2];
	int nargs;
};

/* ---- the key-value commands ---- */

struct kv_ctx {
	struct gk_repo *g;
	struct gitstore_kv kv;
	char branch[GITSTORE_REFNAME_MAX];
	uint8_t *work;
	size_t work_cap;
};

/*
 * The library reads objects into a half of the work buffer and resolves
 * pack deltas in the repository's scratch: that needs the chain (8 bytes a
 * level), a second object as large as the half, and the largest delta.
 */
static void fit_scratch(struct kv_ctx *k)
{
	struct gk_repo *g = k->g;
	size_t want = 8 * ((size_t)g->r.limits.max_depth + 1) + 2 * k->work_cap + (1u << 20);
	if (g->scratch_cap >= want)
		return;
	g->scratch = gk_xrealloc(g->scratch, want);
	g->scratch_cap = want;
	gitstore_repo_set_packs(&g->r, g->packs, g->npacks, g->scratch, g->scratch_cap);
}

static int open_kv(struct kv_ctx *k, const struct opts *o)
{
	k->g = gk_xmalloc(sizeof *k->g);
	int rc = gk_repo_open(k->g, o->repo, false);
	if (rc != 0)
		return rc;
	if (o->branch) {
		const char *b = o->branch;
		if (snprintf(k->branch, sizeof k->branch, "%s%s", strncmp(b, "refs/", 5) ? "refs/heads/" : "", b) >=
		    (int)sizeof k->branch)
			return gk_err(b, "branch name too long");
	} else {
		struct gitstore_ref r;
		rc = gitstore_ref_read(&k->g->r, "HEAD", &r);
		if (rc == GITSTORE_ENOENT)
			snprintf(k->branch, sizeof k->branch, "refs/heads/main");
		else if (rc < 0)
			return gk_lib_err("HEAD", rc);
		else if (!r.symbolic)
			return gk_err("HEAD", "detached: name a branch with --branch");
		else
			snprintf(k->branch, sizeof k->branch, "%s", r.target);
	}
	k->work_cap = 4u << 20;
	k->work = gk_xmalloc(k->work_cap);
	fit_scratch(k);
	rc = gitstore_kv_init(&k->kv, &k->g->r, k->branch, k->work, k->work_cap);
	if (rc < 0)
		return gk_lib_err(k->branch, rc);
	return 0;
}

static void close_kv(struct kv_ctx *k)
{
	gk_repo_close(k->g);
	free(k->g);
	free(k->work);
}

/* A bigger work buffer, for trees larger than it holds; false at the limit. */
static bool grow_work(struct kv_ctx *k)
{
	if (k->work_cap >= (1u << 30))
		return false;
	k->work_cap *= 4;
	k->work = gk_xrealloc(k->work, k->work_cap);
	k->kv.work = k->work;
	k->kv.work_cap = k->work_cap;
	fit_scratch(k);
	return true;
}

static int path_err(struct kv_ctx *k, const char *path, int rc)
{
	char what[600];
	snprintf(what, sizeof what, "%s", path);
	if (rc == GITSTORE_ENOENT)
		fprintf(stderr, "gitkv: %s: no such path on %s\n", path, k->branch);
	else if (rc == GITSTORE_EKV_ISDIR)
		fprintf(stderr, "gitkv: %s: is a directory on %s\n", path, k->branch);
	else if (rc == GITSTORE_EKV_NOTDIR)
		fprintf(stderr, "gitkv: %s: a component on the way is a file on %s\n", path, k->branch);
	else if (rc == GITSTORE_EKV_PATH)
		fprintf(stderr, "gitkv: %s: not a valid path (empty, '.', '..' or .git component)\n", path);
	else
		return gk_lib_err(what, rc);
	return GK_FAIL;
}

static int cmd_get(struct kv_ctx *k, const char *path)
{
	size_t cap = 1u << 16, need = 0;
	uint8_t *buf = gk_xmalloc(cap);
	int rc;
	for (;;) {
		rc = gitstore_kv_get(&k->kv, NULL, path, buf, cap, &need);
		if (rc == GITSTORE_ENOMEM && need > cap) {
			buf = gk_xrealloc(buf, cap = need);
			continue;
		}
		if (rc == GITSTORE_ENOMEM && grow_work(k))
			continue;
		break;
	}
	if (rc < 0) {
		free(buf);
		return path_err(k, path, rc);
	}
	struct gk_out o;
	gk_out_init(&o, 1, 1u << 16);
	gk_out_write(&o, buf, (size_t)rc);
	free(buf);
	return gk_out_close(&o);
}

/* A name as git ls-tree prints it (quote.c quote_c_style, core.quotePath
 * on): in double quotes with C escapes and octal for control characters,
 * '"', '\\' and every byte from 0x80, else as it is. */
static void print_name(const uint8_t *p, size_t n)
{
	bool quote = false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\' || p[i] >= 0x7f)
			quote = true;
	if (!quote) {
		fwrite(p, 1, n, stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		const char *esc = strchr("\a\b\t\n\v\f\r", p[i]);
		if (p[i] && esc)
			printf("\\%c", "abtnvfr"[esc - "\a\b\t\n\v\f\r"]);
		else if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			printf("\\%03o", p[i]);
		else
			putchar(p[i]);
	}
	putchar('"');
}

static int print_entry(void *arg, const struct gitstore_tree_entry *e)
{
	struct kv_ctx *k = arg;
	char hex[GITSTORE_HEX_MAX];
	const char *type = (e->mode & 0170000u) == 0040000u ? "tree" : e->mode == GITSTORE_MODE_GITLINK ? "commit" : "blob";
	gitstore_oid_to_hex(k->g->algo, &e->id, hex);
	printf("%06o %s %s\t", (unsigned)e->mode, type, hex);
	print_name(e->name.p, e->name.len);
	putchar('\n');
	return 0;
}

static int cmd_ls(struct kv_ctx *k, const char *path)
{
	int rc;
	while ((rc = gitstore_kv_list(&k->kv, NULL, path, print_entry, k)) == GITSTORE_ENOMEM && grow_work(k))
		;
	if (rc < 0)
		return path_err(k, path[0] ? path : "/", rc == GITSTORE_EOBJ_TYPE ? GITSTORE_EKV_NOTDIR : rc);
	return fflush(stdout) == 0 ? 0 : GK_FAIL;
}

static uint8_t *log_buf;
static size_t log_cap;

/* "<id> <subject>" of a commit; its first parent in *parent (false: a root). */
static int print_commit(struct kv_ctx *k, const struct gitstore_oid *id, struct gitstore_oid *parent, bool *has_parent)
{
	int type;
	int rc = gk_obj_read(k->g, id, &type, &log_buf, &log_cap);
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(k->g->algo, id, hex);
	if (rc >= 0 && type != GITSTORE_COMMIT)
		rc = GITSTORE_EOBJ_TYPE;
	if (rc < 0)
		return gk_lib_err(hex, rc);
	struct gitstore_commit c;
	if ((rc = gitstore_commit_parse(k->g->algo, log_buf, (size_t)rc, &c)) < 0)
		return gk_lib_err(hex, rc);
	size_t n = 0;
	while (n < c.message.len && c.message.p[n] != '\n')
		n++;
	printf("%s %.*s\n", hex, (int)n, (const char *)c.message.p);
	*has_parent = c.nparents > 0;
	if (*has_parent)
		gitstore_commit_parent(&c, 0, parent);
	return 0;
}

/* The commits of a path's history, printed once the walk has succeeded
 * (a walk retried with a larger buffer must not print twice). */
struct idlist {
	struct gitstore_oid *v;
	size_t n, cap;
};

static int log_each(void *arg, const struct gitstore_oid *commit)
{
	struct idlist *l = arg;
	if (l->n == l->cap)
		l->v = gk_xrealloc(l->v, (l->cap = l->cap ? 2 * l->cap : 64) * sizeof *l->v);
	l->v[l->n++] = *commit;
	return 0;
}

static int cmd_log(struct kv_ctx *k, const char *path)
{
	int rc;
	if (path) {
		struct idlist l = { NULL, 0, 0 };
		while ((rc = gitstore_kv_history(&k->kv, path, UINT32_MAX, log_each, &l)) == GITSTORE_ENOMEM &&
		       grow_work(k))
			l.n = 0;
		for (size_t i = 0; rc >= 0 && i < l.n; i++) {
			struct gitstore_oid p;
			bool hp;
			if (print_commit(k, &l.v[i], &p, &hp) != 0)
				rc = -1;
		}
		free(l.v);
		if (rc == -1)
			return GK_FAIL;
		if (rc < 0)
			return path_err(k, path, rc);
	} else {
		struct gitstore_oid cur;
		bool more = true;
		rc = gitstore_kv_head(&k->kv, &cur);
		if (rc == GITSTORE_ENOENT)
			return 0; /* a branch not born yet has no history */
		if (rc < 0)
			return gk_lib_err(k->branch, rc);
		while (more)
			if ((rc = print_commit(k, &cur, &cur, &more)) != 0)
				return rc;
	}
	free(log_buf);
	return fflush(stdout) == 0 ? 0 : GK_FAIL;
}

/* "SECONDS [+HHMM]" or "@SECONDS [+HHMM]" (git's internal date format). */
static bool parse_date(const char *s, int64_t *t, int *tz)
{
	char *end;
	if (*s == '@')
		s++;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || errno)
		return false;
	*t = v;
	*tz = 0;
	while (*end == ' ')
		end++;
	if (!*end)
		return true;
	if ((end[0] != '+' && end[0] != '-') || strlen(end) != 5)
		return false;
	for (int i = 1; i < 5; i++)
		if (end[i] < '0' || end[i] > '9')
			return false;
	int hh = (end[1] - '0') * 10 + (end[2] - '0'), mm = (end[3] - '0') * 10 + (end[4] - '0');
	if (mm > 59)
		return false;
	*tz = (end[0] == '-' ? -1 : 1) * (hh * 60 + mm);
	return true;
}

static int ident(const char *who, const char *fallback_who, uint8_t *buf, size_t cap)
{
	char var[64];
	const char *name, *email, *date;
	snprintf(var, sizeof var, "GIT_%s_NAME", who);
	name = getenv(var);
	snprintf(var, sizeof var, "GIT_%s_EMAIL", who);
	email = getenv(var);
	snprintf(var, sizeof var, "GIT_%s_DATE", who);
	date = getenv(var);
	if (fallback_who) {
		snprintf(var, sizeof var, "GIT_%s_NAME", fallback_who);
		if (!name)
			name = getenv(var);
		snprintf(var, sizeof var, "GIT_%s_EMAIL", fallback_who);
		if (!email)
			email = getenv(var);
	}
	if (!name || !*name)
		name = "gitkv";
	if (!email || !*email)
		email = "gitkv@localhost";
	int64_t t = cl_wall_s();
	int tz = 0;
	if (date && *date && !parse_date(date, &t, &tz))
		return usage_err("bad date in the environment: %s (want \"SECONDS [+HHMM]\")", date), -GK_USAGE;
	int n = gitstore_ident_write(name, email, t, tz, buf, cap);
	if (n < 0)
		return usage_err("bad name or email in the environment: %s", name), -GK_USAGE;
	return n;
}

static int read_value(const char *file, uint8_t **out, size_t *len)
{
	int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return gk_err(file, strerror(errno));
	size_t cap = 1u << 16, n = 0;
	uint8_t *buf = gk_xmalloc(cap);
	for (;;) {
		if (n == cap)
			buf = gk_xrealloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			if (file)
				close(fd);
			return gk_err(file ? file : "standard input", strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (file)
		close(fd);
	*out = buf;
	*len = n;
	return 0;
}

static int cmd_change(struct kv_ctx *k, const char *path, const uint8_t *value, size_t len, const char *message)
{
	uint8_t author[512], committer[512];
	int al = ident("AUTHOR", NULL, author, sizeof author);
	int cl = al < 0 ? al : ident("COMMITTER", "AUTHOR", committer, sizeof committer);
	if (al < 0 || cl < 0)
		return GK_USAGE;
	char defmsg[600];
	if (!message) {
		snprintf(defmsg, sizeof defmsg, "%s %s", value ? "set" : "rm", path);
		message = defmsg;
	}
	size_t ml = strlen(message);
	char *msg = gk_xmalloc(ml + 2);
	memcpy(msg, message, ml);
	/* git ends a message with a newline */
	if (!ml || msg[ml - 1] != '\n')
		msg[ml++] = '\n';
	struct gitstore_kv_commit_info ci = {
		{ author, (size_t)al }, { committer, (size_t)cl }, { (const uint8_t *)msg, ml } };
	struct gitstore_kv_change ch = { path, value, len, 0 };
	struct gitstore_oid id;
	int rc;
	while ((rc = gitstore_kv_commit(&k->kv, &ch, 1, &ci, NULL, &id)) == GITSTORE_ENOMEM && grow_work(k))
		;
	free(msg);
	if (rc == GITSTORE_EREF_STALE || rc == GITSTORE_EREF_LOCKED)
		return gk_err(k->branch, "moved or locked by another update; try again");
	if (rc < 0)
		return path_err(k, path, rc);
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(k->g->algo, &id, hex);
	printf("%s\n", hex);
	return fflush(stdout) == 0 ? 0 : GK_FAIL;
}

static int run_kv(const struct opts *o)
{
	struct kv_ctx k;
	memset(&k, 0, sizeof k);
	int rc = open_kv(&k, o);
	if (rc == 0) {
		const char *a0 = o->nargs > 0 ? o->args[0] : NULL, *a1 = o->nargs > 1 ? o->args[1] : NULL;
		if (!strcmp(o->cmd, "get"))
			rc = cmd_get(&k, a0);
		else if (!strcmp(o->cmd, "ls"))
			rc = cmd_ls(&k, a0 ? a0 : "");
		else if (!strcmp(o->cmd, "log"))
			rc = cmd_log(&k, a0);
		else if (!strcmp(o->cmd, "rm"))
			rc = cmd_change(&k, a0, NULL, 0, o->message);
		else {
			uint8_t *v = NULL;
			size_t len = 0;
			rc = read_value(a1, &v, &len);
			if (rc == 0) {
				/* a NULL value means "remove": an empty value is an empty blob */
				rc = cmd_change(&k, a0, v, len, o->message);
				free(v);
			}
		}
	}
	if (k.g)
		close_kv(&k);
	return rc;
}

/* ---- command line ---- */

struct cmd {
	const char *name;
	int min, max;     /* positional arguments */
	bool message;     /* takes -m */
};

static const struct cmd cmds[] = {
	{ "get", 1, 1, false }, { "ls", 0, 1, false },     { "log", 0, 1, false },
	{ "set", 1, 2, true },  { "rm", 1, 1, true },      { "index-pack", 1, 1, false },
	{ "cat-all", 0, 0, false }, { "fsck", 0, 0, false },
};

int main(int argc, char **argv)
{
	struct opts o = { .repo = "." };
	const struct cmd *c = NULL;
	int algo = GITSTORE_SHA1;
	bool dashdash = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (!dashdash && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			usage(stdout);
			return 0;
		}
		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!dashdash && (!strcmp(a, "--repo") || !strcmp(a, "--branch") || !strcmp(a, "-m"))) {
			if (i + 1 >= argc)
				return usage_err("%s needs a value", a);
			val = argv[++i];
		} else if (!dashdash && (!strncmp(a, "--repo=", 7) || !strncmp(a, "--branch=", 9))) {
			val = strchr(a, '=') + 1;
		}
		if (val) {
			if (a[2] == 'r') {
				o.repo = val;
			} else if (a[2] == 'b') {
				o.branch = val;
			} else {
				if (!c || !c->message)
					return usage_err("-m is an option of set and rm only", NULL);
				o.message = val;
			}
			if (!*val)
				return usage_err("%s needs a non-empty value", a);
			continue;
		}
		if (c && !strcmp(c->name, "index-pack") && !dashdash && !strncmp(a, "--object-format=", 16)) {
			if (!strcmp(a + 16, "sha1"))
				algo = GITSTORE_SHA1;
			else if (!strcmp(a + 16, "sha256"))
				algo = GITSTORE_SHA256;
			else
				return usage_err("unknown object format: %s", a + 16);
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1])
			return usage_err("unknown option: %s", a);
		if (!c) {
			for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
				if (!strcmp(a, cmds[k].name))
					c = &cmds[k];
			if (!c)
				return usage_err("unknown command: %s", a);
			o.cmd = c->name;
			continue;
		}
		if (o.nargs >= c->max)
			return usage_err("too many arguments for %s", c->name);
		o.args[o.nargs++] = a;
	}
	if (!c) {
		usage(stderr);
		return GK_USAGE;
	}
	if (o.nargs < c->min)
		return usage_err("%s needs more arguments", c->name);
	if (!strcmp(c->name, "index-pack"))
		return gk_index_pack(o.args[0], algo);
	if (!strcmp(c->name, "cat-all"))
		return gk_cmd_cat_all(o.repo);
	if (!strcmp(c->name, "fsck"))
		return gk_cmd_fsck(o.repo);
	return run_kv(&o);
}
