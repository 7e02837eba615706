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

/* Returns the length written to out, or -1 (bad a), -2 (bad b), -3 (NaN or infinity), -4 (no room). */
long long embedis_ld_add(const char *a, size_t a_len, const char *b, size_t b_len, char *out, size_t cap) {
    long double x, y;
    if (!string2ld(a, a_len, &x)) return -1;
    if (!string2ld(b, b_len, &y)) return -2;
    x += y;
    if (isnan(x) || isinf(x)) return -3;

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

/* Redis's getTimeoutFromObjectOrReply in seconds: (long long)ceill(value * 1000.0), with C's
 * conversion (so 0.0001 is 1 ms, -0.0001 is 0 = for ever, and 1e30 overflows to negative).
 * Returns 0 when the argument is not a long double. */
int embedis_ld_timeout_ms(const char *s, size_t len, long long *out) {
    long double value;
    if (!string2ld(s, len, &value)) return 0;
    *out = (long long)ceill(value * 1000.0);
    return 1;
}
