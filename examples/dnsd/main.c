/* dnsd: command line, the first zone load, and the workers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"
#include "gitfollow.h"

static const char usage[] =
	"usage: dnsd --listen ADDR:PORT --zone ORIGIN=FILE [options]\n"
	"       dnsd --listen ADDR:PORT --repo PATH [--branch B] [--zones-dir DIR] [options]\n"
	"       dnsd --listen ADDR:PORT --remote URL [--branch B] [--mirror DIR] [options]\n"
	"\n"
	"Authoritative DNS server for the zones given as files, or kept in a Git\n"
	"repository.\n"
	"\n"
	"  --listen ADDR:PORT         serve UDP and TCP there; numeric, IPv6 in brackets\n"
	"                             (\"127.0.0.1:5353\", \"[::1]:5353\"); repeatable, up to 16\n"
	"  --zone ORIGIN=FILE         serve zone ORIGIN from the RFC 1035 zone file FILE;\n"
	"                             repeatable, up to 256\n"
	"  --repo PATH                serve every file DIR/ORIGIN.zone of the tree at the head\n"
	"                             of a branch of the Git repository PATH (a work tree or a\n"
	"                             git directory); when the branch moves, all zones are\n"
	"                             reloaded together from the new commit, or none\n"
	"  --remote URL               the same from a branch of a remote repository\n"
	"                             (http://HOST[:PORT]/PATH, smart HTTP, or git://HOST[:PORT]/PATH),\n"
	"                             fetched on the --poll timer, on SIGHUP and on a DNS NOTIFY\n"
	"                             for a zone served; when the remote is unreachable the last\n"
	"                             good commit keeps serving\n"
	"  --mirror DIR               where --remote keeps its fetched copy (a bare repository,\n"
	"                             created if missing); default $XDG_RUNTIME_DIR (or /var/tmp)\n"
	"                             /cloudlet-dnsd-URL.git\n"
	"  --fetch-timeout TIME       with --remote: give up a fetch that takes longer: \"20s\",\n"
	"                             \"500ms\" (default 20s); the last good commit keeps serving\n"
	"  --notify-key KEY           with --remote: only a NOTIFY signed with this TSIG key\n"
	"                             (RFC 8945) triggers a fetch: the NAME of a --tsig or\n"
	"                             --tsig-file key, or NAME:ALG:BASE64 (hmac-sha256 or -sha512)\n"
	"  --branch B                 the branch (\"main\" or \"refs/heads/main\"); default main\n"
	"  --zones-dir DIR            the directory of the zones in the tree; default zones\n"
	"  --poll TIME                look at the branch this often: \"5s\", \"500ms\" (a bare\n"
	"                             number is seconds, 0: only on SIGHUP); default 5s\n"
	"  --workers N                threads, each with its own sockets (SO_REUSEPORT); default 1\n"
	"  --tcp-max N                open TCP connections at most, split over the workers;\n"
	"                             past it, new ones are closed at once; default 1000\n"
	"  --tcp-idle-timeout TIME    close a TCP connection idle this long: \"10s\", \"500ms\"\n"
	"                             (a bare number is seconds, 0 disables); default 10s\n"
	"  --udp-max N                largest UDP answer with EDNS, 512..65535; default 1232\n"
	"  --log-level LEVEL          error, warn, info (default) or debug\n"
	"  --help                     this text\n"
	"  --version                  the version\n"
	"\n"
	"Signals: SIGHUP reloads every zone (all or none: on any error the old zones\n"
	"keep serving and the error is logged with file and line; with --repo, looks at\n"
	"the branch at once); SIGTERM and SIGINT stop the server.\n";

static int bad(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "dnsd: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\ntry 'dnsd --help'\n");
	return 2;
}

/* A decimal number in [min, max]; -1 if not. */
static long long number(const char *s, long long min, long long max)
{
	if (!*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

static long long duration_ms(const char *s)
{
	char num[32];
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n);
	num[n] = 0;
	long long v = number(num, 0, 86400000);
	const char *unit = s + n;
	if (v < 0)
		return -1;
	if (!*unit || strcmp(unit, "s") == 0)
		return v <= 86400 ? v * 1000 : -1;
	if (strcmp(unit, "ms") == 0)
		return v;
	return -1;
}

static int parse_zone(struct config *cfg, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return bad("--zone wants ORIGIN=FILE, got \"%s\"%s", arg, "");
	if (cfg->nzones == DNSD_MAX_ZONES)
		return bad("too many --zone (at most %s)%s", "256", "");
	struct zone_src *z = &cfg->zones[cfg->nzones];
	static const uint8_t root[1] = { 0 };
	size_t len = (size_t)(eq - arg);
	/* A name without a final dot is taken as absolute here. */
	int r = dns_name_from_text(z->origin, arg, len, root);
	if (r < 0 || len >= sizeof z->origin_text) {
		char o[1100];
		snprintf(o, sizeof o, "%.*s", (int)(len < 1000 ? len : 1000), arg);
		return bad("--zone: \"%s\" is not a domain name (%s)", o,
			r < 0 ? dns_strerror(r) : "too long");
	}
	dns_name_to_text(z->origin, z->origin_text, sizeof z->origin_text);
	for (unsigned i = 0; i < cfg->nzones; i++)
		if (dns_name_equal(cfg->zones[i].origin, z->origin))
			return bad("--zone %s given twice%s", z->origin_text, "");
	z->path = eq + 1;
	cfg->nzones++;
	return 0;
}

static int parse_args(struct config *cfg, int argc, char **argv)
{
	const char *notify_key_name = NULL;
	memset(cfg, 0, sizeof *cfg);
	cfg->workers = 1;
	cfg->tcp_max = 1000;
	cfg->tcp_idle_ms = DNS_TCP_IDLE_DEFAULT;
	cfg->udp_max = DNS_UDP_MAX_DEFAULT;
	cfg->log_level = CL_LOG_INFO;
	cfg->branch = "main";
	cfg->zones_dir = "zones";
	cfg->poll_ms = 5000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			fputs(xfr_usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--version") == 0) {
			printf("dnsd %s\n", dns_version());
			exit(0);
		}
		static const char *const with_value[] = { "--listen", "--zone", "--workers", "--tcp-max",
			"--tcp-idle-timeout", "--udp-max", "--log-level", "--repo", "--branch", "--zones-dir", "--poll",
			"--remote", "--mirror", "--notify-key", "--fetch-timeout" };
		const char *v = NULL;
		char name[40];
		const char *eq = strchr(a, '=');
		size_t alen = eq && strncmp(a, "--", 2) == 0 ? (size_t)(eq - a) : strlen(a);
		snprintf(name, sizeof name, "%.*s", (int)(alen < 39 ? alen : 39), a);
		bool known = false;
		for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
			if (strcmp(name, with_value[k]) == 0 && alen == strlen(with_value[k]))
				known = true;
		if (!known && xfr_is_option(name))
			known = true;
		if (!known)
			return bad("unknown option \"%s\"%s", a, "");
		if (a[alen] == '=')
			v = a + alen + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return bad("%s needs a value%s", name, "");
		long long n;
		if (strcmp(name, "--listen") == 0) {
			struct cl_addr ad;
			if (cl_addr_parse(&ad, v) < 0)
				return bad("--listen: \"%s\" is not ADDR:PORT (numeric; IPv6 as [::1]:53)%s", v, "");
			if (cfg->nlisten == DNSD_MAX_LISTEN)
				return bad("too many --listen (at most %s)%s", "16", "");
			cfg->listen[cfg->nlisten++] = v;
		} else if (strcmp(name, "--zone") == 0) {
			int r = parse_zone(cfg, v);
			if (r)
				return r;
		} else if (strcmp(name, "--workers") == 0) {
			if ((n = number(v, 1, 256)) < 0)
				return bad("--workers: \"%s\" is not a number from 1 to 256%s", v, "");
			cfg->workers = (unsigned)n;
		} else if (strcmp(name, "--tcp-max") == 0) {
			if ((n = number(v, 1, 1000000)) < 0)
				return bad("--tcp-max: \"%s\" is not a number from 1 to 1000000%s", v, "");
			cfg->tcp_max = (unsigned)n;
		} else if (strcmp(name, "--tcp-idle-timeout") == 0) {
			if ((n = duration_ms(v)) < 0)
				return bad("--tcp-idle-timeout: \"%s\" is not a time like 10s or 500ms (at most a day)%s", v, "");
			cfg->tcp_idle_ms = (uint32_t)n;
		} else if (strcmp(name, "--udp-max") == 0) {
			if ((n = number(v, 512, 65535)) < 0)
				return bad("--udp-max: \"%s\" is not a number from 512 to 65535%s", v, "");
			cfg->udp_max = (uint16_t)n;
		} else if (strcmp(name, "--repo") == 0) {
			if (!*v)
				return bad("--repo: empty path%s%s", "", "");
			cfg->repo = v;
		} else if (strcmp(name, "--remote") == 0) {
			if (strncmp(v, "http://", 7) && strncmp(v, "git://", 6))
				return bad("--remote: \"%s\" is not an http:// or git:// URL%s", v, "");
			cfg->remote = v;
		} else if (strcmp(name, "--notify-key") == 0) {
			cfg->have_notify_key = true;
			if (!strchr(v, ':')) {
				/* the name of a --tsig or --tsig-file key, looked up after every option */
				notify_key_name = v;
			} else if (dns_tsig_key_from_text(&cfg->notify_key, v, strlen(v)) < 0) {
				/* the secret is not repeated in the message */
				char kname[256];
				snprintf(kname, sizeof kname, "%.*s", (int)(strchr(v, ':') - v), v);
				return bad("--notify-key: \"%s:...\" is not NAME:ALG:BASE64 (ALG hmac-sha256 or "
					   "hmac-sha512) nor the NAME of a --tsig key%s", kname, "");
			}
		} else if (strcmp(name, "--fetch-timeout") == 0) {
			if ((n = duration_ms(v)) <= 0)
				return bad("--fetch-timeout: \"%s\" is not a time like 20s or 500ms (above 0, at most a day)%s", v, "");
			cfg->fetch_timeout_ms = (uint64_t)n;
		} else if (strcmp(name, "--mirror") == 0) {
			if (!*v)
				return bad("--mirror: empty path%s%s", "", "");
			cfg->mirror = v;
		} else if (strcmp(name, "--branch") == 0) {
			char full[GITSTORE_REFNAME_MAX];
			if (gf_branch_name(v, full, sizeof full) < 0)
				return bad("--branch: \"%s\" is not a branch name%s", v, "");
			cfg->branch = v;
		} else if (strcmp(name, "--zones-dir") == 0) {
			/* A path in the tree: no leading or trailing '/', no empty,
			 * "." or ".." component. */
			size_t l = strlen(v);
			if (!l || v[0] == '/' || v[l - 1] == '/' || strstr(v, "//") || !strcmp(v, ".") ||
			    !strcmp(v, "..") || !strncmp(v, "./", 2) || !strncmp(v, "../", 3) ||
			    strstr(v, "/./") || strstr(v, "/../") ||
			    (l >= 2 && !strcmp(v + l - 2, "/.")) || (l >= 3 && !strcmp(v + l - 3, "/..")))
				return bad("--zones-dir: \"%s\" is not a directory path in the tree (like zones or dns/zones)%s", v, "");
			cfg->zones_dir = v;
		} else if (strcmp(name, "--poll") == 0) {
			if ((n = duration_ms(v)) < 0)
				return bad("--poll: \"%s\" is not a time like 5s or 500ms (at most a day)%s", v, "");
			cfg->poll_ms = (uint64_t)n;
		} else if (strcmp(name, "--log-level") == 0) {
			static const char *const lv[] = { "error", "warn", "info", "debug" };
			int found = -1;
			for (int k = 0; k < 4; k++)
				if (strcmp(v, lv[k]) == 0)
					found = k;
			if (found < 0)
				return bad("--log-level: \"%s\" is not error, warn, info or debug%s", v, "");
			cfg->log_level = found;
		} else if (xfr_is_option(name)) {
			int r = xfr_option(cfg, name, v);
			if (r)
				return r;
		}
	}
	if (xfr_config_finish(cfg))
		return 2;
	if (notify_key_name) {
		uint8_t kn[DNS_NAME_MAX];
		const struct dns_tsig_key *k = NULL;
		static const uint8_t root[1] = { 0 };   /* key names are absolute, with or without the dot */
		if (dns_name_from_text(kn, notify_key_name, strlen(notify_key_name), root) > 0 && cfg->xfr)
			k = dns_tsig_key_find(cfg->xfr->keys, cfg->xfr->nkeys, kn);
		if (!k)
			return bad("--notify-key: no key %s (give it with --tsig or --tsig-file, or as NAME:ALG:BASE64)%s",
				notify_key_name, "");
		cfg->notify_key = *k;
	}
	if (cfg->nlisten == 0)
		return bad("no --listen address given%s%s", "", "");
	if (cfg->repo && cfg->remote)
		return bad("--repo and --remote exclude each other%s%s", "", "");
	if (cfg->mirror && !cfg->remote)
		return bad("--mirror goes with --remote%s%s", "", "");
	if (cfg->fetch_timeout_ms && !cfg->remote)
		return bad("--fetch-timeout goes with --remote%s%s", "", "");
	if (cfg->have_notify_key && !cfg->remote)
		return bad("--notify-key goes with --remote%s%s", "", "");
	if (cfg->remote && cfg->nzones)
		return bad("--remote and --zone exclude each other%s%s", "", "");
	if (cfg->repo && cfg->nzones)
		return bad("--repo and --zone exclude each other%s%s", "", "");
	if (cfg->nzones == 0 && !cfg->repo && !cfg->remote && xfr_nsec(cfg) == 0)
		return bad("no --zone (or --repo, --remote or --secondary) given%s%s", "", "");
	return 0;
}

int main(int argc, char **argv)
{
	static struct dnsd d;
	int r = parse_args(&d.cfg, argc, argv);
	if (r)
		return r;
	if (xfr_setup(&d, NULL, 0) < 0) { /* before any zone set is published */
		fprintf(stderr, "dnsd: out of memory\n");
		return 1;
	}
	if (cl_signals_block() < 0) {
		perror("dnsd: signals");
		return 1;
	}
	cl_log_set_level(d.cfg.log_level);
	char err[1500];
	if (d.cfg.repo || d.cfg.remote) {
		if (dnsd_repo_start(&d, err, sizeof err) != 0) {
			cl_log(CL_LOG_ERROR, "dnsd not started: %s", err);
			return 1;
		}
	} else {
		struct zoneset *zs = zoneset_load(&d.cfg, err, sizeof err);
		if (!zs) {
			cl_log(CL_LOG_ERROR, "dnsd not started: %s", err);
			return 1;
		}
		zholder_init(&d.zones, zs);
	}
	pthread_mutex_init(&d.reload_mu, NULL);
	if (xfr_start(&d) < 0)
		return 1;
	r = cl_workers_run(d.cfg.workers, dnsd_worker, &d);
	dnsd_repo_stop(&d);
	dnsd_reload_join(&d);
	xfr_stop(&d);
	zholder_close(&d.zones);
	xfr_free(&d);
	if (r != 0) {
		cl_log(CL_LOG_ERROR, "dnsd failed (see above), exiting");
		return 1;
	}
	cl_log(CL_LOG_INFO, "dnsd stopped");
	return 0;
}
