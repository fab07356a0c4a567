/* httpd: flags, the access log file, and the workers. */
#include "httpd.h"
#include "source_git.h"
#include "gitfollow.h"
#include "remote.h"
#include "git_http.h"

#include <cl_posix.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: httpd --listen ADDR:PORT --root DIR [options]\n"
	"       httpd --listen ADDR:PORT --repo PATH [--branch B] [--subdir DIR] [options]\n"
	"       httpd --listen ADDR:PORT --remote URL [--branch B] [--mirror DIR] [options]\n"
	"\n"
	"Serves the files under DIR, or the tree at the head of a branch of a Git\n"
	"repository, over HTTP/1.1.\n"
	"\n"
	"  --listen ADDR:PORT      address to listen on: 127.0.0.1:8080, [::1]:8080 (required)\n"
	"  --root DIR              document root (required); nothing outside it is ever served\n"
	"  --repo PATH             serve the tree at the head of a branch of the Git repository\n"
	"                          PATH (a work tree or a git directory) instead of --root;\n"
	"                          ETag is the blob id; when the branch moves the new tree is\n"
	"                          taken atomically (requests in flight finish on the old one)\n"
	"  --remote URL            the same for a branch of a remote repository\n"
	"                          (http://HOST[:PORT]/PATH, smart HTTP, or git://HOST[:PORT]/PATH),\n"
	"                          fetched every --poll, on SIGHUP and on a refresh trigger;\n"
	"                          when the remote is unreachable the last good commit serves\n"
	"  --mirror DIR            where --remote keeps its fetched copy (a bare repository,\n"
	"                          created if missing); default $XDG_RUNTIME_DIR (or /var/tmp)\n"
	"                          /cloudlet-httpd-URL.git\n"
	"  --fetch-timeout SECS    with --remote: give up a fetch that takes longer (default 20);\n"
	"                          the last good commit keeps serving\n"
	"  --branch B              the branch (\"main\" or \"refs/heads/main\"; default main)\n"
	"  --subdir DIR            serve this directory of the tree (default: the whole tree)\n"
	"  --poll SECS             look at the branch this often (default 5; SIGHUP: at once)\n"
	"  --git-name NAME         with --repo: the repository is served over smart HTTP at\n"
	"                          /NAME.git/ for git clone and fetch (default: the base name\n"
	"                          of --repo without .git)\n"
	"  --no-git-serve          do not serve the repository (404 under /NAME.git/)\n"
	"  --push-token-file FILE  accept git push (and POST /_cloudlet/refresh) with HTTP\n"
	"                          Basic credentials whose password is the token in FILE;\n"
	"                          without it pushes are refused (403). A pushed commit must\n"
	"                          have the --subdir tree and loadable zones/ORIGIN.zone files,\n"
	"                          and serves at once when accepted\n"
	"  --notify-dns ADDR:PORT  after a push, send a DNS NOTIFY for each zone of zones/\n"
	"                          there (repeatable)\n"
	"  --workers N             threads, one event loop each (default 1, at most 256)\n"
	"  --access-log FILE       combined log format to FILE, or - for stderr (default -)\n"
	"  --no-access-log         no access log\n"
	"  --max-conns N           open connections in all, split over the workers (default 16384);\n"
	"                          at the limit the one idle longest is closed for a new one\n"
	"  --header-timeout SECS   time to receive a request head (default 10)\n"
	"  --idle-timeout SECS     keep-alive idle time, and stalls while sending (default 60)\n"
	"  --max-requests N        requests per connection, 0 for no limit (default 10000)\n"
	"  --cache-size MIB        file bytes kept in memory per worker (default 64)\n"
	"  --cache-max-file KIB    files up to this size are kept in memory, larger ones are\n"
	"                          sent with sendfile from a cached descriptor (default 32)\n"
	"  --cache-valid SECS      how long a cached file is trusted unchecked (default 1)\n"
	"  --gzip-min BYTES        compress text files from this size (up to 1 MiB) once, 0 for\n"
	"                          never (default 1024);\n"
	"                          a FILE.gz next to FILE is served instead when present\n"
	"  --quiet                 log only errors to stderr\n"
	"  -h, --help              this text\n"
	"\n"
	"Signals: SIGHUP reopens the access log and drops the file cache (with --repo:\n"
	"looks at the branch at once); SIGTERM and\n"
	"SIGINT close the connections and exit.\n";

static void die_usage(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "httpd: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n(httpd --help shows the options)\n");
	exit(2);
}

static uint64_t parse_uint(const char *flag, const char *v, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	if (!v[0] || v[0] == '-' || v[0] == '+' || v[0] == ' ')
		die_usage("%s: expected a whole number, got '%s'", flag, v);
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end)
		die_usage("%s: expected a whole number, got '%s'", flag, v);
	if (n < min || n > max) {
		char msg[128];
		snprintf(msg, sizeof msg, "%%s: %%s is out of range %llu..%llu",
			(unsigned long long)min, (unsigned long long)max);
		die_usage(msg, flag, v);
	}
	return n;
}

/* Seconds, with up to three decimals, as milliseconds. */
static uint64_t parse_secs(const char *flag, const char *v, uint64_t max_s)
{
	char *end;
	errno = 0;
	if (!v[0] || !(v[0] >= '0' && v[0] <= '9'))
		die_usage("%s: expected seconds (like 10 or 0.5), got '%s'", flag, v);
	double d = strtod(v, &end);
	if (errno || *end || d <= 0 || d > (double)max_s)
		die_usage("%s: expected seconds above 0 and at most a day, got '%s'", flag, v);
	uint64_t ms = (uint64_t)(d * 1000.0 + 0.5);
	return ms ? ms : 1;
}

/* ---- access log ------------------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	const char *path; /* NULL: off; "-": stderr */
	int fd;
} alog = { PTHREAD_MUTEX_INITIALIZER, NULL, -1 };

int alog_open(const char *path)
{
	alog.path = path;
	if (!path)
		return 0;
	if (strcmp(path, "-") == 0) {
		alog.fd = STDERR_FILENO;
		return 0;
	}
	alog.fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	return alog.fd < 0 ? -1 : 0;
}

int alog_reopen(void)
{
	if (!alog.path || strcmp(alog.path, "-") == 0)
		return 0;
	int fd = open(alog.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	/* dup2 swaps the file under the same descriptor atomically: a worker
	 * writing meanwhile lands in the old file or the new one. */
	pthread_mutex_lock(&alog.mu);
	dup2(fd, alog.fd);
	pthread_mutex_unlock(&alog.mu);
	close(fd);
	return 0;
}

bool alog_on(void)
{
	return alog.path != NULL;
}

void alog_write(const char *buf, size_t len)
{
	/* Whole lines, at most PIPE_BUF bytes per write, so lines of workers
	 * never interleave even on a pipe. */
	while (len > 0) {
		size_t n = len;
		if (n > PIPE_BUF) {
			n = PIPE_BUF;
			while (n > 0 && buf[n - 1] != '\n')
				n--;
			if (n == 0)
				n = PIPE_BUF;
		}
		ssize_t r = write(alog.fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		buf += r;
		len -= (size_t)r;
	}
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	if (cl_signals_block() < 0) {
		perror("httpd: blocking signals");
		return 1;
	}
	struct config cfg = {
		.workers = 1,
		.access_log = "-",
		.max_conns = 16384,
		.header_timeout_ms = 10000,
		.idle_timeout_ms = 60000,
		.max_requests = 10000,
		.cache_bytes = 64u << 20,
		.cache_entries = 10000,
		.max_mem_file = 32u << 10,
		.gzip_min = 1024,
		.gzip_max = 1u << 20,
		.cache_valid_ms = 1000,
		.branch = "main",
		.subdir = "",
		.poll_ms = 5000,
	};
	bool quiet = false;
	static struct git_http_cfg ghc = { .zones_dir = "zones" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(a, "--no-access-log")) {
			cfg.access_log = NULL;
			continue;
		}
		if (!strcmp(a, "--no-git-serve")) {
			ghc.no_serve = true;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			quiet = true;
			continue;
		}
		/* Every other option takes a value: "--opt V" or "--opt=V". */
		char name[64];
		const char *v = NULL;
		const char *eq = strchr(a, '=');
		if (strncmp(a, "--", 2) != 0)
			die_usage("unexpected argument '%s'%s", a, "");
		if (eq) {
			size_t n = (size_t)(eq - a);
			if (n >= sizeof name)
				die_usage("unknown option '%s'%s", a, "");
			memcpy(name, a, n);
			name[n] = '\0';
			v = eq + 1;
		} else {
			snprintf(name, sizeof name, "%s", a);
		}
		static const char *const with_value[] = { "--listen", "--root", "--workers",
			"--access-log", "--max-conns", "--header-timeout", "--idle-timeout",
			"--max-requests", "--cache-size", "--cache-max-file", "--cache-valid",
			"--gzip-min", "--repo", "--branch", "--subdir", "--poll", "--remote", "--mirror", "--fetch-timeout",
			"--git-name", "--push-token-file", "--notify-dns" };
		bool known = false;
		for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
			known |= strcmp(name, with_value[k]) == 0;
		if (!known)
			die_usage("unknown option '%s'%s", a, "");
		if (!v) {
			if (i + 1 >= argc)
				die_usage("%s needs a value%s", name, "");
			v = argv[++i];
		}
		if (!strcmp(name, "--listen")) {
			struct cl_addr ad;
			if (cl_addr_parse(&ad, v) < 0)
				die_usage("--listen: expected ADDR:PORT such as 127.0.0.1:8080 or [::1]:8080, got '%s'%s",
					v, "");
			cfg.listen = v;
		} else if (!strcmp(name, "--root")) {
			if (!v[0])
				die_usage("--root: empty directory name%s%s", "", "");
			cfg.root = v;
		} else if (!strcmp(name, "--workers")) {
			cfg.workers = (unsigned)parse_uint(name, v, 1, 256);
		} else if (!strcmp(name, "--access-log")) {
			if (!v[0])
				die_usage("--access-log: empty file name (use --no-access-log)%s%s", "", "");
			cfg.access_log = v;
		} else if (!strcmp(name, "--max-conns")) {
			cfg.max_conns = (unsigned)parse_uint(name, v, 1, 1000000);
		} else if (!strcmp(name, "--header-timeout")) {
			cfg.header_timeout_ms = parse_secs(name, v, 86400);
		} else if (!strcmp(name, "--idle-timeout")) {
			cfg.idle_timeout_ms = parse_secs(name, v, 86400);
		} else if (!strcmp(name, "--max-requests")) {
			cfg.max_requests = parse_uint(name, v, 0, UINT64_MAX / 2);
		} else if (!strcmp(name, "--cache-size")) {
			cfg.cache_bytes = (size_t)parse_uint(name, v, 0, 1u << 20) << 20;
		} else if (!strcmp(name, "--cache-max-file")) {
			cfg.max_mem_file = (size_t)parse_uint(name, v, 0, 1u << 20) << 10;
		} else if (!strcmp(name, "--cache-valid")) {
			cfg.cache_valid_ms = parse_secs(name, v, 86400);
		} else if (!strcmp(name, "--repo")) {
			if (!v[0])
				die_usage("--repo: empty path%s%s", "", "");
			cfg.repo = v;
		} else if (!strcmp(name, "--remote")) {
			if (strncmp(v, "http://", 7) && strncmp(v, "git://", 6))
				die_usage("--remote: '%s' is not an http:// or git:// URL%s", v, "");
			cfg.remote = v;
		} else if (!strcmp(name, "--fetch-timeout")) {
			cfg.fetch_timeout_ms = parse_secs(name, v, 86400);
		} else if (!strcmp(name, "--mirror")) {
			if (!v[0])
				die_usage("--mirror: empty path%s%s", "", "");
			cfg.mirror = v;
		} else if (!strcmp(name, "--branch")) {
			char full[GITSTORE_REFNAME_MAX];
			if (gf_branch_name(v, full, sizeof full) < 0)
				die_usage("--branch: '%s' is not a branch name%s", v, "");
			cfg.branch = v;
		} else if (!strcmp(name, "--subdir")) {
			/* a path in the tree: its components as in a URL path */
			while (v[0] == '/')
				v++;
			size_t l = strlen(v);
			while (l && v[l - 1] == '/')
				l--;
			static char sd[4096];
			if (l >= sizeof sd)
				die_usage("--subdir: '%s' is too long%s", v, "");
			memcpy(sd, v, l);
			sd[l] = '\0';
			if (strstr(sd, "//") || !strcmp(sd, ".") || !strcmp(sd, "..") ||
			    !strncmp(sd, "./", 2) || !strncmp(sd, "../", 3) || strstr(sd, "/./") ||
			    strstr(sd, "/../") || (l >= 2 && !strcmp(sd + l - 2, "/.")) ||
			    (l >= 3 && !strcmp(sd + l - 3, "/..")))
				die_usage("--subdir: '%s' is not a directory path in the tree%s", v, "");
			cfg.subdir = sd;
		} else if (!strcmp(name, "--git-name")) {
			if (!v[0] || strlen(v) >= sizeof ghc.name || strchr(v, '/') || strchr(v, '?') || v[0] == '.')
				die_usage("--git-name: '%s' is no repository name%s", v, "");
			snprintf(ghc.name, sizeof ghc.name, "%s", v);
		} else if (!strcmp(name, "--push-token-file")) {
			if (!v[0])
				die_usage("--push-token-file: empty file name%s%s", "", "");
			ghc.token_file = v;
		} else if (!strcmp(name, "--notify-dns")) {
			struct cl_addr ad;
			if (cl_addr_parse(&ad, v) < 0)
				die_usage("--notify-dns: expected ADDR:PORT, got '%s'%s", v, "");
			if (ghc.nnotify >= GIT_HTTP_MAX_NOTIFY)
				die_usage("--notify-dns: at most 8 of them%s%s", "", "");
			ghc.notify[ghc.nnotify++] = v;
		} else if (!strcmp(name, "--poll")) {
			cfg.poll_ms = parse_secs(name, v, 86400);
		} else if (!strcmp(name, "--gzip-min")) {
			cfg.gzip_min = (size_t)parse_uint(name, v, 0, 1u << 30);
		}
	}
	if (!cfg.listen)
		die_usage("--listen ADDR:PORT is required%s%s", "", "");
	if (cfg.remote && cfg.repo)
		die_usage("--remote and --repo exclude each other%s%s", "", "");
	if (cfg.remote && cfg.root)
		die_usage("--remote and --root exclude each other%s%s", "", "");
	if (cfg.mirror && !cfg.remote)
		die_usage("--mirror goes with --remote%s%s", "", "");
	if (cfg.fetch_timeout_ms && !cfg.remote)
		die_usage("--fetch-timeout goes with --remote%s%s", "", "");
	if (!cfg.root && !cfg.repo && !cfg.remote)
		die_usage("--root DIR is required (or --repo PATH, --remote URL)%s%s", "", "");
	if (cfg.root && cfg.repo)
		die_usage("--root and --repo exclude each other%s%s", "", "");
	if (!cfg.repo && (ghc.token_file || ghc.nnotify || ghc.name[0] || ghc.no_serve))
		die_usage("--git-name, --no-git-serve, --push-token-file and --notify-dns need --repo%s%s", "", "");
	if (quiet)
		cl_log_set_level(CL_LOG_ERROR);

	cfg.rootfd = cfg.root ? open(cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (cfg.root && cfg.rootfd < 0) {
		fprintf(stderr, "httpd: --root %s: %s\n", cfg.root, strerror(errno));
		return 1;
	}
	if (alog_open(cfg.access_log) < 0) {
		fprintf(stderr, "httpd: --access-log %s: %s\n", cfg.access_log, strerror(errno));
		return 1;
	}

	/* Every connection is a descriptor: take the hard limit, and keep the
	 * connection limit under it with room for files and listeners. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		uint64_t spare = 64 + 16 * (uint64_t)cfg.workers;
		uint64_t room = rl.rlim_cur > spare ? rl.rlim_cur - spare : 1;
		if (rl.rlim_cur != RLIM_INFINITY && cfg.max_conns > room) {
			cl_log(CL_LOG_WARN, "--max-conns %u lowered to %llu (RLIMIT_NOFILE %llu)",
				cfg.max_conns, (unsigned long long)room, (unsigned long long)rl.rlim_cur);
			cfg.max_conns = (unsigned)room;
		}
	}
	if (cfg.max_conns < cfg.workers)
		cfg.max_conns = cfg.workers;

	static struct gf_remote remote;
	if (cfg.remote) {
		char err[1500];
		if (gf_remote_init(&remote, "httpd", cfg.remote, cfg.mirror, err, sizeof err) < 0 ||
		    (cfg.fetch_timeout_ms && (remote.timeout_ms = cfg.fetch_timeout_ms) == 0) ||
		    gitsrc_start_remote(&cfg.git, &remote, cfg.branch, cfg.subdir, cfg.poll_ms, err, sizeof err) < 0) {
			cl_log(CL_LOG_ERROR, "httpd not started: %s", err);
			return 1;
		}
		cfg.repo = remote.mirror;
	} else if (cfg.repo) {
		char err[1500];
		if (gitsrc_start(&cfg.git, cfg.repo, cfg.branch, cfg.subdir, cfg.poll_ms, err, sizeof err) < 0) {
			cl_log(CL_LOG_ERROR, "httpd not started: %s", err);
			return 1;
		}
		ghc.repo = cfg.repo;
		ghc.branch = cfg.branch;
		ghc.subdir = cfg.subdir;
		ghc.src = cfg.git;
		git_http_cfg_finish(&ghc);
		cfg.githttp = &ghc;
		if (ghc.token_file && access(ghc.token_file, R_OK) != 0)
			cl_log(CL_LOG_WARN, "--push-token-file %s: %s (pushes are refused until it is readable)",
				ghc.token_file, strerror(errno));
	}
	int rc = cl_workers_run(cfg.workers, server_worker, &cfg);
	gitsrc_stop(cfg.git);
	if (rc < 0)
		cl_log(CL_LOG_ERROR, "starting workers: %s", strerror(errno));
	else
		cl_log(CL_LOG_INFO, "stopped");
	if (cfg.rootfd >= 0)
		close(cfg.rootfd);
	return rc == 0 ? 0 : 1;
}
