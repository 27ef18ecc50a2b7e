/* The strict scanner of one KuCoin trade.l2update frame (see kucoin.h).
 *
 * It takes exactly what the fast path is for and refuses the rest, so that a frame it
 * accepts decodes to the same values on the Python path (msgspec into parse's L2Push):
 *
 *   {"type":"message","topic":"/market/level2:SYM","subject":"trade.l2update",
 *    "data":{"changes":{"asks":[[p,s,q],...],"bids":[...]},"sequenceEnd":N,
 *            "sequenceStart":N,"symbol":"SYM","time":N}}
 *
 * keys in any order (each once; "data" after the other three, so any other push is
 * refused within its first bytes), JSON whitespace anywhere between tokens. Refused:
 * escapes and anything outside printable ASCII in a string, an unknown or repeated key,
 * a number that is not a plain non-negative integer in range (sequences: 0..2^63-1,
 * time: TimestampMs), a price or size that is not digits with at most one '.' (no sign,
 * no exponent, no leading zero, price < 1e12, size < 1e18), a row that is not three
 * items, more than KC_MAXROWS rows a side, anything after the closing brace.
 */
#include "kucoin.h"

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

/* A string of printable ASCII without escapes. */
static int str(Cur *c, Span *out)
{
    ws(c);
    if (c->p >= c->e || *c->p != '"')
        return 0;
    const char *q = ++c->p;
    while (c->p < c->e && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\\' || ch < 0x20 || ch > 0x7e)
            return 0;
        c->p++;
    }
    if (c->p >= c->e)
        return 0;
    out->s = q;
    out->n = c->p - q;
    c->p++;
    return 1;
}

#define IS(span, lit_) \
    ((span).n == (Py_ssize_t)sizeof(lit_) - 1 && memcmp((span).s, lit_, sizeof(lit_) - 1) == 0)

/* A JSON integer 0..limit, followed by a delimiter (not '.', 'e': a float is refused). */
static int json_uint(Cur *c, int64_t limit, int64_t *out)
{
    ws(c);
    const char *q = c->p;
    uint64_t v = 0;
    while (c->p < c->e && *c->p >= '0' && *c->p <= '9') {
        if (c->p - q >= 19)
            return 0;
        v = v * 10 + (uint64_t)(*c->p - '0');
        c->p++;
    }
    Py_ssize_t n = c->p - q;
    if (n == 0 || (n > 1 && *q == '0') || v > (uint64_t)limit)
        return 0;
    if (c->p < c->e && *c->p != ',' && *c->p != '}' && *c->p != ']' && *c->p != ' ' &&
        *c->p != '\n' && *c->p != '\r' && *c->p != '\t')
        return 0;
    *out = (int64_t)v;
    return 1;
}

/* A decimal text: "0" or [1-9][0-9]*, then optionally '.' and digits; at most
 * `int_digits` integer digits. */
static int decimal_text(Span s, int int_digits)
{
    if (s.n == 0 || s.n > KC_NUMBER_CAP)
        return 0;
    Py_ssize_t i = 0;
    while (i < s.n && s.s[i] >= '0' && s.s[i] <= '9')
        i++;
    if (i == 0 || i > int_digits || (i > 1 && s.s[0] == '0'))
        return 0;
    if (i == s.n)
        return 1;
    if (s.s[i] != '.' || i + 1 == s.n)
        return 0;
    for (i++; i < s.n; i++)
        if (s.s[i] < '0' || s.s[i] > '9')
            return 0;
    return 1;
}

/* One side: [[price, size, sequence], ...]; the sequence a digit string or an integer. */
static int rows(Cur *c, Row *out, Py_ssize_t *count)
{
    Py_ssize_t n = 0;
    if (!lit(c, '['))
        return 0;
    if (lit(c, ']')) {
        *count = 0;
        return 1;
    }
    do {
        Span seq;
        int64_t iseq;
        if (n >= KC_MAXROWS || !lit(c, '[') || !str(c, &out[n].price) || !lit(c, ',') ||
            !str(c, &out[n].size) || !lit(c, ','))
            return 0;
        if (!decimal_text(out[n].price, KC_PRICE_INT_DIGITS) ||
            !decimal_text(out[n].size, KC_SIZE_INT_DIGITS))
            return 0;
        ws(c);
        if (c->p < c->e && *c->p == '"') {
            if (!str(c, &seq) || seq.n == 0 || seq.n > 19)
                return 0;
            for (Py_ssize_t i = 0; i < seq.n; i++)
                if (seq.s[i] < '0' || seq.s[i] > '9')
                    return 0;
        }
        else if (!json_uint(c, INT64_MAX, &iseq))
            return 0;
        if (!lit(c, ']'))
            return 0;
        n++;
    } while (lit(c, ','));
    if (!lit(c, ']'))
        return 0;
    *count = n;
    return 1;
}

static int changes(Cur *c, Update *u)
{
    int seen = 0;
    if (!lit(c, '{'))
        return 0;
    do {
        Span key;
        if (!str(c, &key) || !lit(c, ':'))
            return 0;
        if (IS(key, "asks") && !(seen & 1)) {
            seen |= 1;
            if (!rows(c, u->asks, &u->nasks))
                return 0;
        }
        else if (IS(key, "bids") && !(seen & 2)) {
            seen |= 2;
            if (!rows(c, u->bids, &u->nbids))
                return 0;
        }
        else
            return 0;
    } while (lit(c, ','));
    return lit(c, '}') && seen == 3;
}

static int data(Cur *c, Update *u)
{
    int seen = 0;
    if (!lit(c, '{'))
        return 0;
    do {
        Span key;
        if (!str(c, &key) || !lit(c, ':'))
            return 0;
        if (IS(key, "changes") && !(seen & 1)) {
            seen |= 1;
            if (!changes(c, u))
                return 0;
        }
        else if (IS(key, "sequenceStart") && !(seen & 2)) {
            seen |= 2;
            if (!json_uint(c, INT64_MAX, &u->start))
                return 0;
        }
        else if (IS(key, "sequenceEnd") && !(seen & 4)) {
            seen |= 4;
            if (!json_uint(c, INT64_MAX, &u->end))
                return 0;
        }
        else if (IS(key, "symbol") && !(seen & 8)) {
            seen |= 8;
            if (!str(c, &u->symbol))
                return 0;
        }
        else if (IS(key, "time") && !(seen & 16)) {
            seen |= 16;
            if (!json_uint(c, KC_MAX_TS_MS, &u->time) || u->time < KC_MIN_TS_MS)
                return 0;
        }
        else
            return 0;
    } while (lit(c, ','));
    return lit(c, '}') && seen == 31;
}

int kc_scan(const char *frame, Py_ssize_t n, Update *u)
{
    Cur c = {frame, frame + n};
    int seen = 0;
    if (!lit(&c, '{'))
        return 0;
    do {
        Span key, value;
        if (!str(&c, &key) || !lit(&c, ':'))
            return 0;
        if (IS(key, "type") && !(seen & 1)) {
            seen |= 1;
            if (!str(&c, &value) || !IS(value, "message"))
                return 0;
        }
        else if (IS(key, "topic") && !(seen & 2)) {
            seen |= 2;
            if (!str(&c, &u->topic) || u->topic.n < 16 ||
                memcmp(u->topic.s, "/market/level2:", 15) != 0)
                return 0;
        }
        else if (IS(key, "subject") && !(seen & 4)) {
            seen |= 4;
            if (!str(&c, &value) || !IS(value, "trade.l2update"))
                return 0;
        }
        else if (IS(key, "data") && seen == 7) {
            seen |= 8;
            if (!data(&c, u))
                return 0;
        }
        else
            return 0;
    } while (lit(&c, ','));
    if (!lit(&c, '}') || seen != 15)
        return 0;
    ws(&c);
    return c.p == c.e;
}
