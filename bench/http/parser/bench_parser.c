/* HTTP/1.1 request-head parser micro-benchmark: nanoseconds per request for
 * picohttpparser (the reference, from Debian's libh2o) and for the parser
 * plugged in as bench_parse() (bench_parse_<name>.c), on a fixed set of
 * realistic requests, in the same binary.
 *
 * For each request and run, each parser parses the same buffer in a loop
 * sized to take about --ms milliseconds; a run's figure is the thread's CPU
 * time over the loop / count.
 * The two parsers alternate which goes first from run to run, and the
 * report is the median over --runs runs (and the fastest run), so a burst
 * of load from elsewhere moves the minimum and maximum, not the median.
 *
 * Before timing, every request must parse completely with both (the return
 * value equals its length), so a parser that gives up early cannot look
 * fast. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_parse.h"
#include "ref_pico.h"

struct request {
    const char *name;
    const char *text;
};

/* curl fetching a page. */
static const char req_short[] =
    "GET /index.html HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

/* Chrome 120 on Linux navigating to a page: 11 headers. */
static const char req_browser[] =
    "GET /blog/2024/01/static-sites-on-unikernels.html HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Not_A Brand\";v=\"8\", \"Chromium\";v=\"120\", \"Google Chrome\";v=\"120\"\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
    "Sec-Fetch-Site: none\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "\r\n";

/* A revalidating sub-resource fetch from a logged-in browser: long query
 * string, Referer, validators and about 1.2 KB of analytics, consent and
 * session cookies; 16 headers. */
static const char req_cookies[] =
    "GET /assets/js/app.3f9c2a7b1e.js?v=20240115&utm_source=newsletter&utm_medium=email"
    "&utm_campaign=winter-sale-2024&fbclid=IwAR2xQ7hX0kqZ8vB3nYt5LmP9cR4sD6fG1jK HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Not_A Brand\";v=\"8\", \"Chromium\";v=\"120\", \"Google Chrome\";v=\"120\"\r\n"
    "sec-ch-ua-mobile: ?0\r\n"
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "sec-ch-ua-platform: \"Windows\"\r\n"
    "Accept: */*\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Dest: script\r\n"
    "Referer: https://www.example.com/shop/category/winter-jackets?page=2&sort=price_asc\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7\r\n"
    "Cookie: _ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1705300000; "
    "_ga_ABCDEF1234=GS1.1.1705312345.12.1.1705312999.0.0.0; "
    "_fbp=fb.1.1700000000123.1234567890; "
    "OptanonConsent=isGpcEnabled=0&datestamp=Mon+Jan+15+2024+10%3A15%3A00+GMT%2B0100&version=202310.1.0"
    "&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    "&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A0; "
    "OptanonAlertBoxClosed=2024-01-10T09:00:00.000Z; "
    "session_id=s%3AYmFzZTY0ZW5jb2RlZHNlc3Npb25pZGVudGlmaWVyMTIzNDU2Nzg5MA.Zm9vYmFyYmF6cXV4cXV1eGNvcmdl; "
    "csrftoken=Qm9yZWFsaXNUb2tlbkZvckNTUkZQcm90ZWN0aW9uMTIzNDU2Nzg5MEFCQ0RFRkdI; "
    "cart=%7B%22items%22%3A%5B%7B%22sku%22%3A%22WJ-2024-BLK-M%22%2C%22qty%22%3A1%7D%2C%7B%22sku%22"
    "%3A%22SC-100-GRY%22%2C%22qty%22%3A2%7D%5D%7D; "
    "lang=de; currency=EUR; ab_test_group=checkout_v2_b; "
    "recently_viewed=WJ-2024-BLK-M%2CSC-100-GRY%2CBT-550-BRN%2CGL-020-BLK%2CHT-330-RED\r\n"
    "If-None-Match: \"5f1e9c3a-2b4d8\"\r\n"
    "If-Modified-Since: Mon, 15 Jan 2024 08:00:00 GMT\r\n"
    "\r\n";

static const struct request requests[] = {
    {"short GET (curl, 3 headers)", req_short},
    {"browser GET (11 headers)", req_browser},
    {"GET with cookies (16 headers)", req_cookies},
};
#define NREQ (sizeof requests / sizeof requests[0])

typedef int (*parse_fn)(const char *buf, size_t len);

static volatile int sink;

/* CPU time of this thread, not wall time: on a shared machine the timed
 * loop is preempted, and the time other processes run would be counted as
 * parsing. --wall switches to CLOCK_MONOTONIC. */
static clockid_t clock_id = CLOCK_THREAD_CPUTIME_ID;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(clock_id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double time_loop(parse_fn fn, const char *buf, size_t len, uint64_t iters)
{
    uint64_t i, t0;
    int acc = 0;

    t0 = now_ns();
    for (i = 0; i < iters; i++)
        acc += fn(buf, len);
    sink = acc;
    return (double)(now_ns() - t0);
}

/* Iterations that take about ms milliseconds with fn on this request. */
static uint64_t calibrate(parse_fn fn, const char *buf, size_t len, double ms)
{
    uint64_t iters = 1000;
    double ns;

    for (;;) {
        ns = time_loop(fn, buf, len, iters);
        if (ns >= ms * 1e6 / 4 || iters >= (UINT64_C(1) << 40))
            break;
        iters *= 2;
    }
    iters = (uint64_t)((double)iters * ms * 1e6 / ns);
    return iters ? iters : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--runs N] [--ms MS] [--wall]\n"
            "  --runs N  timed runs per parser and request; median reported (default 11)\n"
            "  --ms MS   milliseconds per timed run (default 50)\n"
            "  --wall    time with CLOCK_MONOTONIC instead of the thread's CPU time\n",
            argv0);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *label;
        parse_fn fn;
    } parsers[2] = {
        {"picohttpparser (libh2o)", ref_pico_parse},
        {bench_parse_name, bench_parse},
    };
    int runs = 11;
    double ms = 50;
    size_t r;
    int i, p, bad = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) {
            ms = atof(argv[++i]);
        } else if (strcmp(argv[i], "--wall") == 0) {
            clock_id = CLOCK_MONOTONIC;
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (runs < 1 || runs > 1000 || !(ms > 0 && ms <= 10000)) {
        usage(argv[0]);
        return 2;
    }

    for (r = 0; r < NREQ; r++) {
        size_t len = strlen(requests[r].text);

        for (p = 0; p < 2; p++) {
            int got = parsers[p].fn(requests[r].text, len);

            if (got != (int)len) {
                fprintf(stderr, "%s: '%s' returned %d, want %zu (the whole request)\n",
                        parsers[p].label, requests[r].name, got, len);
                bad = 1;
            }
        }
    }
    if (bad)
        return 1;

    printf("| request | bytes | headers | %s ns (min) | %s ns (min) | ratio |\n",
           parsers[0].label, parsers[1].label);
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (r = 0; r < NREQ; r++) {
        size_t len = strlen(requests[r].text);
        /* Own aligned copy: both parsers read the same cache-warm bytes. */
        char *buf = aligned_alloc(64, (len + 63) / 64 * 64);
        double *ns[2], med[2];
        uint64_t iters[2];
        int k;

        if (!buf)
            return 1;
        memcpy(buf, requests[r].text, len);
        for (p = 0; p < 2; p++) {
            ns[p] = calloc((size_t)runs, sizeof(double));
            if (!ns[p])
                return 1;
            iters[p] = calibrate(parsers[p].fn, buf, len, ms);
        }
        for (k = 0; k < runs; k++) {
            for (i = 0; i < 2; i++) {
                p = (k & 1) ? 1 - i : i;
                ns[p][k] = time_loop(parsers[p].fn, buf, len, iters[p]) / (double)iters[p];
            }
        }
        for (p = 0; p < 2; p++) {
            qsort(ns[p], (size_t)runs, sizeof(double), cmp_double);
            med[p] = ns[p][runs / 2];
        }
        printf("| %s | %zu | %d | %.1f (%.1f) | %.1f (%.1f) | %.2fx |\n", requests[r].name, len,
               ref_pico_count_headers(buf, len), med[0], ns[0][0], med[1], ns[1][0],
               med[0] / med[1]);
        for (p = 0; p < 2; p++)
            free(ns[p]);
        free(buf);
    }
    printf("\nmedian of %d runs of ~%g ms each (%s); ratio = picohttpparser time / plug time "
           "(>1: the plug is faster).\n",
           runs, ms, clock_id == CLOCK_MONOTONIC ? "wall clock" : "thread CPU time");
    return 0;
}
