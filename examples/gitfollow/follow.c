/* gitfollow: a branch followed on a timer and on triggers; each new head
 * applied all or nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gitfollow.h"

int gf_branch_name(const char *arg, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s", strncmp(arg, "refs/", 5) ? "refs/heads/" : "", arg);
	if (n < 0 || (size_t)n >= cap || gitstore_refname_check(out, 0) < 0)
		return -1;
	return 0;
}

/* ---- reading objects */

int gf_tree_find(int algo, const uint8_t *tree, size_t tlen, const char *name, size_t len,
	struct gitstore_tree_entry *e)
{
	struct gitstore_tree_iter it;
	gitstore_tree_iter_init(&it, algo, tree, tlen);
	int rc;
	while ((rc = gitstore_tree_next(&it, e)) == 1)
		if (e->name.len == len && memcmp(e->name.p, name, len) == 0)
			return 1;
	return rc;
}

int gf_subtree(struct gf_repo *r, const struct gitstore_oid *tree, const char *dir, struct gitstore_oid *out,
	uint8_t **buf, size_t *cap)
{
	*out = *tree;
	const char *p = dir;
	while (*p) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n) {
			int rc = gf_obj_read(r, out, GITSTORE_TREE, buf, cap);
			if (rc < 0)
				return rc;
			struct gitstore_tree_entry e;
			rc = gf_tree_find(r->algo, *buf, (size_t)rc, p, n, &e);
			if (rc < 0)
				return rc;
			if (rc == 0)
				return GITSTORE_ENOENT;
			if (e.mode != GITSTORE_MODE_DIR)
				return GITSTORE_EKV_NOTDIR;
			*out = e.id;
		}
		p += n + (s ? 1 : 0);
	}
	return 0;
}

/* ---- the published snapshot */

void gf_pub_init(struct gf_pub *p)
{
	pthread_mutex_init(&p->mu, NULL);
	atomic_init(&p->gen, 0);
	memset(&p->commit, 0, sizeof p->commit);
	memset(&p->tree, 0, sizeof p->tree);
}

void gf_pub_set(struct gf_pub *p, const struct gitstore_oid *commit, const struct gitstore_oid *tree)
{
	pthread_mutex_lock(&p->mu);
	p->commit = *commit;
	p->tree = *tree;
	atomic_store_explicit(&p->gen, atomic_load(&p->gen) + 1, memory_order_release);
	pthread_mutex_unlock(&p->mu);
}

bool gf_pub_get(struct gf_pub *p, uint64_t *gen, struct gitstore_oid *commit, struct gitstore_oid *tree)
{
	if (atomic_load_explicit(&p->gen, memory_order_acquire) == *gen)
		return false;
	pthread_mutex_lock(&p->mu);
	*commit = p->commit;
	*tree = p->tree;
	*gen = atomic_load(&p->gen);
	pthread_mutex_unlock(&p->mu);
	return true;
}

/* ---- following */

/* The branch's head now, through a fresh handle (see the header). */
static int read_head(struct gf_follow *f, struct gitstore_oid *out)
{
	struct cl_files *files = malloc(sizeof *files);
	if (!files)
		return GITSTORE_ENOMEM;
	int rc = cl_files_open(files, f->repo);
	if (rc < 0) {
		free(files);
		return rc == CL_FILES_ENOENT ? GITSTORE_ENOENT : GITSTORE_EIO;
	}
	struct gitstore_repo r;
	uint8_t arena[8192]; /* packed-refs is read through it (4 KiB lines buffer) */
	gitstore_repo_init(&r, gf_files_ops, files, f->priv.r->algo, NULL, arena, sizeof arena);
	rc = gitstore_ref_resolve(&r, f->branch, out, NULL);
	cl_files_close(files);
	free(files);
	return rc;
}

/* One check: 1 when a new commit was taken, 0 when nothing changed, -1 when
 * the head could not be read or was refused. */
static int check(struct gf_follow *f, bool retry)
{
	struct gitstore_oid head;
	int rc = f->head ? f->head(f->head_ctx, f->branch, &head) : read_head(f, &head);
	char hex[GITSTORE_HEX_MAX];
	if (rc < 0) {
		/* once per kind of failure, not every poll */
		if (rc != f->priv.head_err || retry)
			cl_log(CL_LOG_ERROR, "%s: reading %s of %s: %s; the commit serving stays", f->what,
				f->branch, f->repo, gitstore_strerror(rc));
		f->priv.head_err = rc;
		return -1;
	}
	f->priv.head_err = 0;
	if (f->priv.checks++ && gitstore_oid_cmp(&head, &f->priv.current) == 0)
		return 0;
	if (!retry && f->priv.have_refused && gitstore_oid_cmp(&head, &f->priv.refused) == 0)
		return 0;
	gitstore_oid_to_hex(f->priv.r->algo, &head, hex);
	uint8_t *buf = NULL;
	size_t cap = 0;
	char err[1400];
	struct gitstore_commit c;
	rc = gf_obj_read(f->priv.r, &head, GITSTORE_COMMIT, &buf, &cap);
	if (rc >= 0)
		rc = gitstore_commit_parse(f->priv.r->algo, buf, (size_t)rc, &c);
	if (rc < 0) {
		snprintf(err, sizeof err, "reading the commit: %s", gitstore_strerror(rc));
	} else {
		struct gitstore_oid tree = c.tree;
		free(buf);
		buf = NULL;
		uint64_t t0 = cl_now_ms();
		err[0] = 0;
		rc = f->apply(f->ctx, f->priv.r, &head, &tree, err, sizeof err);
		if (rc == 0) {
			f->priv.current = head;
			f->priv.have_refused = false;
			cl_log(CL_LOG_INFO, "%s: now serving commit %s of %s (%llu ms)", f->what, hex, f->branch,
				(unsigned long long)(cl_now_ms() - t0));
			return 1;
		}
	}
	free(buf);
	f->priv.refused = head;
	f->priv.have_refused = true;
	char cur[GITSTORE_HEX_MAX] = "(none)";
	if (f->priv.checks > 1)
		gitstore_oid_to_hex(f->priv.r->algo, &f->priv.current, cur);
	cl_log(CL_LOG_ERROR, "%s: commit %s not taken, commit %s keeps serving: %s", f->what, hex, cur, err);
	return -1;
}

static void *follow_main(void *arg)
{
	struct gf_follow *f = arg;
	cl_log_set_tag("follow");
	pthread_mutex_lock(&f->priv.mu);
	while (!f->priv.stop) {
		if (!f->priv.trigger) {
			if (f->poll_ms) {
				struct timespec ts;
				clock_gettime(CLOCK_MONOTONIC, &ts);
				uint64_t ns = (uint64_t)ts.tv_nsec + (f->poll_ms % 1000) * 1000000u;
				ts.tv_sec += (time_t)(f->poll_ms / 1000 + ns / 1000000000u);
				ts.tv_nsec = (long)(ns % 1000000000u);
				pthread_cond_timedwait(&f->priv.cv, &f->priv.mu, &ts);
			} else {
				pthread_cond_wait(&f->priv.cv, &f->priv.mu);
			}
		}
		if (f->priv.stop)
			break;
		bool retry = f->priv.trigger;
		f->priv.trigger = false;
		pthread_mutex_unlock(&f->priv.mu);
		check(f, retry);
		pthread_mutex_lock(&f->priv.mu);
	}
	pthread_mutex_unlock(&f->priv.mu);
	return NULL;
}

int gf_follow_start(struct gf_follow *f, char *err, size_t errcap)
{
	memset(&f->priv, 0, sizeof f->priv);
	f->priv.r = gf_repo_open(f->repo);
	if (!f->priv.r) {
		snprintf(err, errcap, "%s: cannot open the repository", f->repo);
		return -1;
	}
	if (check(f, true) != 1) {
		snprintf(err, errcap, "no commit of %s in %s to serve (see above)", f->branch, f->repo);
		gf_repo_close(f->priv.r);
		f->priv.r = NULL;
		return -1;
	}
	pthread_mutex_init(&f->priv.mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->priv.cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&f->priv.thread, NULL, follow_main, f) != 0) {
		snprintf(err, errcap, "cannot start the follower thread: %s", strerror(errno));
		return -1;
	}
	f->priv.started = true;
	return 0;
}

void gf_follow_trigger(struct gf_follow *f)
{
	if (!f->priv.started)
		return;
	pthread_mutex_lock(&f->priv.mu);
	f->priv.trigger = true;
	pthread_cond_signal(&f->priv.cv);
	pthread_mutex_unlock(&f->priv.mu);
}

void gf_follow_stop(struct gf_follow *f)
{
	if (f->priv.started) {
		pthread_mutex_lock(&f->priv.mu);
		f->priv.stop = true;
		pthread_cond_signal(&f->priv.cv);
		pthread_mutex_unlock(&f->priv.mu);
		pthread_join(f->priv.thread, NULL);
		f->priv.started = false;
	}
	gf_repo_close(f->priv.r);
	f->priv.r = NULL;
}
