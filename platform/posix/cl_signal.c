/* SIGTERM, SIGINT and SIGHUP as loop callbacks, through a signalfd. */
#include "cl_posix_int.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void loop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

int cl_signals_block(void)
{
	sigset_t set;
	loop_signals(&set);
	signal(SIGPIPE, SIG_IGN);
	int r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r) {
		errno = r;
		return -1;
	}
	return 0;
}

static void on_signal(void *arg, unsigned events)
{
	struct cl_signals *s = arg;
	(void)events;
	/* A bounded drain: level triggering brings us back for the rest. */
	for (int i = 0; i < 16; i++) {
		struct signalfd_siginfo si;
		ssize_t n = read(s->priv.io.priv.fd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si))
			return;
		int signo = (int)si.ssi_signo;
		if (signo == SIGHUP) {
			if (s->priv.on_hup)
				s->priv.on_hup(s->priv.arg, signo);
			else
				cl_loop_reload(s->priv.loop);
		} else if (signo == SIGTERM || signo == SIGINT) {
			if (s->priv.on_term)
				s->priv.on_term(s->priv.arg, signo);
			else
				cl_loop_stop(s->priv.loop);
		}
		if (s->priv.io.priv.fd < 0)
			return; /* a callback closed us */
	}
}

int cl_signals_init(struct cl_signals *s, struct cl_loop *loop, cl_signal_fn on_term,
		    cl_signal_fn on_hup, void *arg)
{
	sigset_t set;
	memset(s, 0, sizeof(*s));
	s->priv.io.priv.fd = -1;
	loop_signals(&set);
	signal(SIGPIPE, SIG_IGN);
	int r = pthread_sigmask(SIG_BLOCK, &set, &s->priv.old);
	if (r) {
		errno = r;
		return -1;
	}
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		goto fail;
	s->priv.loop = loop;
	s->priv.on_term = on_term;
	s->priv.on_hup = on_hup;
	s->priv.arg = arg;
	cl_io_init(&s->priv.io, loop, fd, on_signal, s);
	if (cl_io_want(&s->priv.io, CL_READ) < 0) {
		close(fd);
		goto fail;
	}
	return 0;
fail:;
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &s->priv.old, NULL);
	s->priv.io.priv.fd = -1;
	errno = e;
	return -1;
}

void cl_signals_close(struct cl_signals *s)
{
	int fd = s->priv.io.priv.fd;
	if (fd < 0)
		return;
	cl_io_close(&s->priv.io);
	close(fd);
	pthread_sigmask(SIG_SETMASK, &s->priv.old, NULL);
}
