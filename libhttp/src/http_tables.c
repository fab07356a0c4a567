/* Default limits and small string helpers (the character table and the
 * defaults themselves are in http_int.h). */
#include "http_int.h"

void http_limits_default(struct http_limits *lim)
{
	*lim = http_limits_def;
}

void http_limits_or_default(const struct http_limits *in, struct http_limits *out)
{
	if (in)
		*out = *in;
	else
		http_limits_default(out);
	/* a head length is returned as an int */
	if (out->max_head > INT_MAX)
		out->max_head = INT_MAX;
}

bool http_str_ieq(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (http_lower(s.p[i]) != http_lower((uint8_t)lit[i]))
			return false;
	return true;
}

const struct http_header *http_header_find(const struct http_header *h, size_t n,
		const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (http_str_ieq(h[i].name, name))
			return &h[i];
	return NULL;
}
