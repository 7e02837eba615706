/* INCRBYFLOAT's arithmetic, as Redis does it (util.c string2ld / ld2string LD_STR_HUMAN), so the
 * results carry Redis's exact digits: `long double` cannot be expressed in Rust. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LONG_DOUBLE_CHARS (5 * 1024)

static int string2ld(const char *s, size_t slen, long double *dp) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    long double value;
    char *eptr;

    if (slen == 0 || slen >= sizeof(buf)) return 0;
    memcpy(buf, s, slen);
    buf[slen] = '\0';

    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != slen ||
        (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;

    if (dp) *dp = value;
    return 1;
}

/* ld2string's LD_STR_HUMAN form of x: "%.17Lf", trailing zeros (and a bare point) removed, "-0"
 * as "0". Returns the length written to out, or -4 (no room). */
static long long human(long double x, char *out, size_t cap) {
    int l = snprintf(out, cap, "%.17Lf", x);
    if (l < 0 || (size_t)l + 1 > cap) return -4;
    if (strchr(out, '.') != NULL) {
        char *p = out + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        l = 1;
    }
    return l;
}

/* Returns the length written to out, or -1 (bad a), -2 (bad b), -3 (NaN or infinity), -4 (no room). */
long long embedis_ld_add(const char *a, size_t a_len, const char *b, size_t b_len, char *out, size_t cap) {
    long double x, y;
    if (!string2ld(a, a_len, &x)) return -1;
    if (!string2ld(b, b_len, &y)) return -2;
    x += y;
    if (isnan(x) || isinf(x)) return -3;
    return human(x, out, cap);
}

/* A double as Redis's addReplyHumanLongDouble prints it (GEOPOS, WITHCOORD): promoted to long
 * double, then ld2string's LD_STR_HUMAN form. Returns the length, or -4 (no room). */
long long embedis_ld_human(double value, char *out, size_t cap) {
    if (isinf(value)) return snprintf(out, cap, value > 0 ? "inf" : "-inf");
    return human((long double)value, out, cap);
}

/* Redis's getTimeoutFromObjectOrReply in seconds: (long long)ceill(value * 1000.0), with C's
 * conversion (so 0.0001 is 1 ms, -0.0001 is 0 = for ever, and 1e30 overflows to negative).
 * Returns 0 when the argument is not a long double. */
int embedis_ld_timeout_ms(const char *s, size_t len, long long *out) {
    long double value;
    if (!string2ld(s, len, &value)) return 0;
    *out = (long long)ceill(value * 1000.0);
    return 1;
}

/* Redis's string2d (getDoubleFromObject): strtod over the whole argument, no leading space, no NaN,
 * no overflow. Returns 1 and sets *out when valid. */
int embedis_string2d(const char *s, size_t len, double *out) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    char *eptr;
    double value;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    value = strtod(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || (size_t)(eptr - buf) != len ||
        (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || fpclassify(value) == FP_ZERO)) ||
        isnan(value))
        return 0;
    *out = value;
    return 1;
}

/* Redis's zslParseRange item after an optional '(': strtod over the C string, nothing after the
 * number, no NaN (leading spaces and the empty string are accepted, as in Redis). */
int embedis_range_strtod(const char *s, size_t len, double *out) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    char *eptr;
    double value;
    if (len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    value = strtod(buf, &eptr);
    if (eptr[0] != '\0' || isnan(value)) return 0;
    *out = value;
    return 1;
}

/* Redis's d2string: inf/-inf, integers in the exact range of a double printed as integers, else
 * "%.17g". Returns the length written. */
int embedis_d2string(double value, char *buf, size_t len) {
    if (isnan(value)) return snprintf(buf, len, "nan");
    if (isinf(value)) return snprintf(buf, len, value < 0 ? "-inf" : "inf");
    if (value == 0) return snprintf(buf, len, (1.0 / value < 0) ? "-0" : "0");
    double min = -4503599627370495; /* (2^52)-1 */
    double max = 4503599627370496;  /* -(2^52) */
    if (value > min && value < max && value == ((double)((long long)value)))
        return snprintf(buf, len, "%lld", (long long)value);
    return snprintf(buf, len, "%.17g", value);
}

/* SORT's weight check (sort.c): strtod over the C string, nothing after it, no range error, no NaN. */
int embedis_sort_strtod(const char *s, size_t len, double *out) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    char *eptr;
    if (len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &eptr);
    return !(eptr[0] != '\0' || errno == ERANGE || isnan(*out));
}

#include <time.h>

/* The coarse wall clock in milliseconds (a few ms resolution, a few ns to read): the LRU clock
 * behind OBJECT IDLETIME, as Redis keeps a cached clock for it. */
long long embedis_coarse_millis(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The coarse monotonic clock in nanoseconds (a few ms resolution, a few ns to read): how long a
 * script has run, measured against its busy threshold (milliseconds, seconds by default). */
long long embedis_coarse_monotonic_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A Lua number passed to redis.call, printed as Redis 7.0 prints it: "%.17g". */
int embedis_g17(double value, char *buf, size_t len) { return snprintf(buf, len, "%.17g", value); }

/* C's strtod and atoi, as Redis's DEBUG reads its numbers (DEBUG SLEEP, SET-ACTIVE-EXPIRE): the
 * longest prefix that reads as a number, 0 when none does. `s` is NUL-terminated. */
double embedis_strtod_prefix(const char *s) { return strtod(s, NULL); }
int embedis_atoi(const char *s) { return atoi(s); }
