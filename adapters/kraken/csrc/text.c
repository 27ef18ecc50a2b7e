/* Text work of the Kraken book path: the checksum text of a number (kb_fmt) and a
 * strict scanner for one shape of frame, a v2 book *update* (kb_scan).
 *
 * The scanner accepts a subset of JSON on purpose: whatever it is not sure of (string
 * escapes, exponents, unknown or repeated keys, two data entries, bytes after the
 * object...) makes it answer "not mine", and the caller hands the frame to msgspec,
 * whose errors are the precise ones tickwire reports. So the scanner never has to be a
 * complete or error-reporting JSON parser: it must only never accept a frame msgspec
 * would read differently.
 */
#include "kbook.h"
#include <string.h>

/* fmt(number) of Kraken's checksum: the digits at exactly `places` decimals, without
 * the dot or leading zeros. `s` is a plain JSON number (str() of a Decimal is too when
 * it has no exponent). Returns the text's length, or -1 when the value is not one the
 * fast path represents exactly: a sign, an exponent, a leading zero, more than
 * `int_digits` integer digits (the value limits), or non-zero digits beyond `places`
 * (Python's formatting would round them; the Python path handles that). */
int kb_fmt(const char *s, Py_ssize_t n, int places, int int_digits, char *out, int cap,
           int *canon, int *nonzero)
{
    Py_ssize_t i = 0;
    int o = 0, frac = 0, digits = 0, any = 0;

    if (n <= 0 || s[0] < '0' || s[0] > '9')
        return -1;
    if (s[0] == '0' && n > 1 && s[1] >= '0' && s[1] <= '9')
        return -1; /* JSON has no leading zeros; msgspec reports them */
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (s[i] == '0' && !any)
            continue; /* the integer part is "0": it writes nothing */
        any = 1;
        if (++digits > int_digits || o >= cap)
            return -1;
        out[o++] = s[i];
    }
    if (i < n && s[i] == '.') {
        Py_ssize_t start = ++i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, frac++) {
            if (frac >= places) {
                if (s[i] != '0')
                    return -1; /* would need rounding */
                continue;
            }
            if (s[i] == '0' && !any)
                continue; /* leading zeros of a value below 1 */
            any = 1;
            if (o >= cap)
                return -1;
            out[o++] = s[i];
        }
        if (i == start)
            return -1; /* "1." */
    }
    if (i != n)
        return -1; /* an exponent, or anything else */
    *canon = frac == places;
    *nonzero = any;
    if (any) /* pad the fraction: the zeros are significant once a digit was written */
        for (int f = frac; f < places; f++) {
            if (o >= cap)
                return -1;
            out[o++] = '0';
        }
    return o;
}

typedef struct {
    const char *p, *e;
} Cur;

static inline void ws(Cur *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static inline int lit(Cur *c, char ch)
{
    ws(c);
    if (c->p < c->e && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A string without escapes or control characters (anything else: not ours). */
static int str(Cur *c, Span *out)
{
    ws(c);
    if (c->p >= c->e || *c->p != '"')
        return 0;
    const char *q = ++c->p;
    const char *end = memchr(q, '"', (size_t)(c->e - q));
    if (end == NULL)
        return 0;
    for (const char *k = q; k < end; k++)
        if (*k == '\\' || (unsigned char)*k < 0x20)
            return 0;
    out->s = q;
    out->n = end - q;
    c->p = end + 1;
    return 1;
}

/* The characters a JSON number may hold; kb_fmt decides whether it is one we take. */
static int number(Cur *c, Span *out)
{
    ws(c);
    const char *q = c->p;
    while (c->p < c->e && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' || *c->p == '-' ||
                           *c->p == '+' || *c->p == 'e' || *c->p == 'E'))
        c->p++;
    out->s = q;
    out->n = c->p - q;
    return c->p > q;
}

#define IS(span, lit_) \
    ((span).n == (Py_ssize_t)sizeof(lit_) - 1 && memcmp((span).s, lit_, sizeof(lit_) - 1) == 0)

/* [{"price": N, "qty": N}, ...] -> rows (texts only); the count, or -1. */
static Py_ssize_t levels(Cur *c, Row *rows)
{
    Py_ssize_t k = 0;
    if (!lit(c, '['))
        return -1;
    if (lit(c, ']'))
        return 0;
    do {
        Span key;
        int got_price = 0, got_qty = 0;
        if (k >= KB_MAXROWS || !lit(c, '{'))
            return -1;
        do {
            if (!str(c, &key) || !lit(c, ':'))
                return -1;
            if (IS(key, "price") && !got_price)
                got_price = number(c, &rows[k].price);
            else if (IS(key, "qty") && !got_qty)
                got_qty = number(c, &rows[k].qty);
            else
                return -1; /* unknown or repeated key, or not a number */
            if (!(IS(key, "price") ? got_price : got_qty))
                return -1;
        } while (lit(c, ','));
        if (!lit(c, '}') || !got_price || !got_qty)
            return -1;
        k++;
    } while (lit(c, ','));
    return lit(c, ']') ? k : -1;
}

/* The inside of data's one entry. */
static int entry(Cur *c, Update *u)
{
    int got_symbol = 0, got_checksum = 0;
    Span key, num;
    u->nb = u->na = -1;
    u->timestamp.s = NULL;
    if (!lit(c, '{'))
        return 0;
    do {
        if (!str(c, &key) || !lit(c, ':'))
            return 0;
        if (IS(key, "symbol") && !got_symbol) {
            if (!str(c, &u->symbol))
                return 0;
            got_symbol = 1;
        }
        else if (IS(key, "bids") && u->nb < 0) {
            if ((u->nb = levels(c, u->bids)) < 0)
                return 0;
        }
        else if (IS(key, "asks") && u->na < 0) {
            if ((u->na = levels(c, u->asks)) < 0)
                return 0;
        }
        else if (IS(key, "checksum") && !got_checksum) {
            /* digits only, no leading zero, below 2**32 (the schema's range) */
            if (!number(c, &num) || num.n > 10 || (num.n > 1 && num.s[0] == '0'))
                return 0;
            u->checksum = 0;
            for (Py_ssize_t i = 0; i < num.n; i++) {
                if (num.s[i] < '0' || num.s[i] > '9')
                    return 0;
                u->checksum = u->checksum * 10 + (num.s[i] - '0');
            }
            if (u->checksum > 0xFFFFFFFFLL)
                return 0;
            got_checksum = 1;
        }
        else if (IS(key, "timestamp") && u->timestamp.s == NULL) {
            if (!str(c, &u->timestamp))
                return 0; /* null, a number...: msgspec's call */
        }
        else
            return 0;
    } while (lit(c, ','));
    return lit(c, '}') && got_symbol && got_checksum && u->nb >= 0 && u->na >= 0;
}

/* 1 when the frame is exactly {"channel":"book","type":"update","data":[{...}]} (keys
 * in any order, JSON whitespace anywhere), with `u` filled in; 0 otherwise. */
int kb_scan(const char *p, Py_ssize_t n, Update *u)
{
    Cur c = {p, p + n};
    Span key, value;
    int got_channel = 0, got_type = 0, got_data = 0;
    if (!lit(&c, '{'))
        return 0;
    do {
        if (!str(&c, &key) || !lit(&c, ':'))
            return 0;
        if (IS(key, "channel") && !got_channel) {
            if (!str(&c, &value) || !IS(value, "book"))
                return 0;
            got_channel = 1;
        }
        else if (IS(key, "type") && !got_type) {
            if (!str(&c, &value) || !IS(value, "update"))
                return 0; /* snapshots take the Python path (rare, and they rebuild) */
            got_type = 1;
        }
        else if (IS(key, "data") && !got_data) {
            if (!lit(&c, '[') || !entry(&c, u) || !lit(&c, ']'))
                return 0; /* exactly one entry */
            got_data = 1;
        }
        else
            return 0;
    } while (lit(&c, ','));
    if (!lit(&c, '}'))
        return 0;
    ws(&c);
    return c.p == c.e && got_channel && got_type && got_data;
}
