/* Run one command and print what it cost, as one line on standard output:
 *
 *     wall=SECONDS user=SECONDS sys=SECONDS maxrss_kb=KB rc=EXIT
 *
 * wall is CLOCK_MONOTONIC around fork/exec/wait4; user, sys and maxrss come
 * from wait4(), so they cover the command and every process it waited for
 * (git clone's index-pack, for one). This is C rather than a script on
 * purpose: Linux counts the RSS a process had before exec() in its maxrss, so
 * a wrapper must be small for small commands to measure right (a Python
 * wrapper adds its own 10 MB).
 *
 * Usage: rusage [-i STDIN_FILE] [-o STDOUT_FILE] [-C DIR] CMD [ARG...]
 * The command's standard error goes to ours. Built by bench/git/run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *dir = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+i:o:C:")) != -1) {
		switch (opt) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'C': dir = optarg; break;
		default: fprintf(stderr, "usage: rusage [-i FILE] [-o FILE] [-C DIR] CMD [ARG...]\n"); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: rusage [-i FILE] [-o FILE] [-C DIR] CMD [ARG...]\n");
		return 2;
	}
	/* Open the redirections before the clock starts. */
	int fin = in ? open(in, O_RDONLY) : -1;
	int fout = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	if ((in && fin < 0) || (out && fout < 0)) {
		perror("rusage: open");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 2;
	}
	if (pid == 0) {
		if (fin >= 0) dup2(fin, 0);
		if (fout >= 0) dup2(fout, 1);
		if (dir && chdir(dir) != 0) {
			perror("rusage: chdir");
			_exit(127);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "rusage: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("rusage: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("wall=%.4f user=%.4f sys=%.4f maxrss_kb=%ld rc=%d\n", wall, tv(ru.ru_utime),
	       tv(ru.ru_stime), ru.ru_maxrss, rc);
	return 0;
}
