/* HTTP dates (RFC 9110 5.6.7): IMF-fixdate written, all three formats read.
 * Times are seconds since 1970-01-01 UTC; the caller owns the clock. */
#include "http_int.h"

static const char wkday[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
static const char weekday[7][10] = { "Thursday", "Friday", "Saturday", "Sunday", "Monday",
	"Tuesday", "Wednesday" };
static const char month[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
	"Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), exact for every year in range. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years a four-digit
 * IMF-fixdate can name; checked first, so no arithmetic below overflows. */
#define DATE_MIN_T (-62167219200)
#define DATE_MAX_T 253402300799

int http_date_format(int64_t t, char out[HTTP_DATE_LEN + 1])
{
	if (t < DATE_MIN_T || t > DATE_MAX_T)
		return HTTP_EINVAL;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return HTTP_EINVAL;
	int64_t w = days % 7;
	if (w < 0)
		w += 7;
	memcpy(out, wkday[w], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, month[m - 1], 3);
	out[11] = ' ';
	put2(out + 12, (unsigned)(y / 100));
	put2(out + 14, (unsigned)(y % 100));
	out[16] = ' ';
	put2(out + 17, (unsigned)(secs / 3600));
	out[19] = ':';
	put2(out + 20, (unsigned)(secs / 60 % 60));
	out[22] = ':';
	put2(out + 23, (unsigned)(secs % 60));
	memcpy(out + 25, " GMT", 5); /* with the NUL */
	return HTTP_DATE_LEN;
}

void http_date_cache_init(struct http_date_cache *dc)
{
	dc->priv.sec = INT64_MIN;
	memset(dc->priv.text, 0, sizeof dc->priv.text);
}

const char *http_date_cache_get(struct http_date_cache *dc, int64_t t)
{
	if (t < DATE_MIN_T || t > DATE_MAX_T)
		return NULL;
	if (t != dc->priv.sec) {
		http_date_format(t, dc->priv.text);
		dc->priv.sec = t;
	}
	return dc->priv.text;
}

/* A cursor over the date text: each reader fails by returning false. */
struct dcur {
	const uint8_t *p, *end;
};

static bool lit(struct dcur *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool digits(struct dcur *c, unsigned n, unsigned *v)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	*v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!http_is(c->p[i], HTTP_CT_DIGIT))
			return false;
		*v = *v * 10 + (unsigned)(c->p[i] - '0');
	}
	c->p += n;
	return true;
}

static bool month_name(struct dcur *c, unsigned *m)
{
	for (unsigned i = 0; i < 12; i++) {
		if (lit(c, month[i])) {
			*m = i + 1;
			return true;
		}
	}
	return false;
}

static bool time_of_day(struct dcur *c, unsigned *h, unsigned *mi, unsigned *s)
{
	return digits(c, 2, h) && lit(c, ":") && digits(c, 2, mi) && lit(c, ":") &&
		digits(c, 2, s) && *h < 24 && *mi < 60 && *s < 61;
}

static bool day_valid(int64_t y, unsigned m, unsigned d)
{
	static const uint8_t mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

int http_date_parse(struct http_str s, int64_t now, int64_t *out)
{
	struct dcur c = { s.p, s.p + s.len };
	unsigned d = 0, m = 0, y4 = 0, h = 0, mi = 0, sec = 0;
	int64_t y;
	int wd = -1;
	for (int i = 0; i < 7 && wd < 0; i++) {
		struct dcur t = c;
		if (lit(&t, weekday[i]) && lit(&t, ", ")) {
			/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
			wd = i;
			c = t;
			unsigned yy;
			if (!(digits(&c, 2, &d) && lit(&c, "-") && month_name(&c, &m) && lit(&c, "-") &&
					digits(&c, 2, &yy) && lit(&c, " ") &&
					time_of_day(&c, &h, &mi, &sec) && lit(&c, " GMT")))
				return HTTP_EINVAL;
			/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead
			 * is the most recent past year with those digits. */
			int64_t ny, nd = now >= 0 ? now / 86400 : 0;
			unsigned nm, ndd;
			civil_from_days(nd, &ny, &nm, &ndd);
			y = ny - ny % 100 + yy;
			if (y > ny + 50)
				y -= 100;
			goto done;
		}
		t = c;
		if (lit(&t, wkday[i])) {
			wd = i;
			c = t;
		}
	}
	if (wd < 0)
		return HTTP_EINVAL;
	if (lit(&c, ", ")) {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		if (!(digits(&c, 2, &d) && lit(&c, " ") && month_name(&c, &m) && lit(&c, " ") &&
				digits(&c, 4, &y4) && lit(&c, " ") && time_of_day(&c, &h, &mi, &sec) &&
				lit(&c, " GMT")))
			return HTTP_EINVAL;
	} else if (lit(&c, " ")) {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		if (!month_name(&c, &m) || !lit(&c, " "))
			return HTTP_EINVAL;
		if (lit(&c, " ")) {
			if (!digits(&c, 1, &d))
				return HTTP_EINVAL;
		} else if (!digits(&c, 2, &d)) {
			return HTTP_EINVAL;
		}
		if (!(lit(&c, " ") && time_of_day(&c, &h, &mi, &sec) && lit(&c, " ") &&
				digits(&c, 4, &y4)))
			return HTTP_EINVAL;
	} else {
		return HTTP_EINVAL;
	}
	y = y4;
done:
	if (c.p != c.end || !day_valid(y, m, d))
		return HTTP_EINVAL;
	if (sec == 60)
		sec = 59; /* a leap second names the same instant as far as HTTP cares */
	*out = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}
