/* cl_log: the line format, levels, tags, cutting, and whole lines from
 * many threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cl_posix.h"

static char out[1 << 16];
static int saved_stderr, pipefd[2];

static void capture_begin(void)
{
	assert_int_equal(pipe(pipefd), 0);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	fcntl(pipefd[0], F_SETPIPE_SZ, 1 << 16);
	fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 16);
	saved_stderr = dup(2);
	assert_true(dup2(pipefd[1], 2) == 2);
}

static size_t capture_end(void)
{
	dup2(saved_stderr, 2);
	close(saved_stderr);
	close(pipefd[1]);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(out) - 1 && (r = read(pipefd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(pipefd[0]);
	return n;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ " */
static bool stamp_ok(const char *p)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)p[i]) : p[i] != shape[i])
			return false;
	}
	return true;
}

static void test_format_and_levels(void **state)
{
	(void)state;
	capture_begin();
	cl_log(CL_LOG_INFO, "hello %d", 42);
	cl_log(CL_LOG_DEBUG, "hidden");
	cl_log_set_level(CL_LOG_DEBUG);
	cl_log(CL_LOG_DEBUG, "shown");
	cl_log_set_level(CL_LOG_WARN);
	cl_log(CL_LOG_INFO, "hidden too");
	cl_log(CL_LOG_ERROR, "bad\nline");
	cl_log_set_level(CL_LOG_INFO);
	cl_log_set_tag("w3");
	cl_log(CL_LOG_WARN, "tagged");
	cl_log_set_tag(NULL);
	capture_end();

	const char *want[] = { "INFO hello 42", "DEBUG shown", "ERROR bad line", "WARN [w3] tagged" };
	char *p = out;
	for (size_t i = 0; i < 4; i++) {
		char *nl = strchr(p, '\n');
		if (!nl)
			fail_msg("line %zu missing in:\n%s", i, out);
		*nl = 0;
		if (!stamp_ok(p) || strcmp(p + 25, want[i]) != 0)
			fail_msg("line %zu is \"%s\", want \"<stamp> %s\"", i, p, want[i]);
		p = nl + 1;
	}
	assert_int_equal(*p, 0);
}

static void test_long_line_cut(void **state)
{
	(void)state;
	static char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	capture_begin();
	cl_log(CL_LOG_INFO, "%s", big);
	size_t n = capture_end();
	assert_true(n <= CL_LOG_LINE);
	assert_int_equal(out[n - 1], '\n');
	assert_memory_equal(out + n - 4, "...", 3);
	assert_true(stamp_ok(out));
}

static void *writer(void *arg)
{
	char tag[8];
	snprintf(tag, sizeof(tag), "t%d", (int)(intptr_t)arg);
	cl_log_set_tag(tag);
	for (int i = 0; i < 100; i++)
		cl_log(CL_LOG_INFO, "line %d of %s %s", i, tag,
		       "padding padding padding padding padding padding padding");
	return NULL;
}

static void test_threads_whole_lines(void **state)
{
	(void)state;
	pthread_t th[4];
	capture_begin();
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	capture_end();
	int lines = 0, per[4] = { 0 };
	for (char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = 0;
		int t = -1, i = -1, t2 = -2;
		if (!stamp_ok(p) || sscanf(p + 25, "INFO [t%d] line %d of t%d ", &t, &i, &t2) != 3 ||
		    t != t2 || t < 0 || t > 3 || i != per[t])
			fail_msg("mangled line: \"%s\"", p);
		per[t]++;
		lines++;
	}
	assert_int_equal(lines, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_levels),
		cmocka_unit_test(test_long_line_cut),
		cmocka_unit_test(test_threads_whole_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
