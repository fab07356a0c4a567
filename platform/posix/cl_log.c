/* One timestamped line per call on stderr. */
#include "cl_posix_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_level = CL_LOG_INFO; /* atomic */
static _Thread_local char log_tag[16];

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void cl_log_set_level(int level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

void cl_log_set_tag(const char *tag)
{
	if (!tag)
		tag = "";
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
}

void cl_log(int level, const char *fmt, ...)
{
	if (level > __atomic_load_n(&log_level, __ATOMIC_RELAXED))
		return;
	if (level < CL_LOG_ERROR)
		level = CL_LOG_ERROR;
	if (level > CL_LOG_DEBUG)
		level = CL_LOG_DEBUG;
	char line[CL_LOG_LINE];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
	if (log_tag[0])
		n += snprintf(line + n, sizeof(line) - (size_t)n, "[%s] ", log_tag);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len;
	if (m < 0) {
		len = (size_t)n;
	} else if ((size_t)m >= sizeof(line) - (size_t)n - 1) {
		/* Cut: keep room for "...\n". */
		len = sizeof(line) - 5;
		memcpy(line + len, "...", 3);
		len += 3;
	} else {
		len = (size_t)(n + m);
	}
	/* A newline inside a message would forge a second log line. */
	for (size_t i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
