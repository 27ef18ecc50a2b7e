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

/* [{"price": N, "qty": N}, ...] -> rows (texts only); the count, or -1. */
static Py_ssize_t levels(Cur *c, Row *rows)
{
    Py_ssize_t k = 0;
    if (!kb_lit(c, '['))
        return -1;
    if (kb_lit(c, ']'))
        return 0;
    do {
        Span key;
        int got_price = 0, got_qty = 0;
        if (k >= KB_MAXROWS || !kb_lit(c, '{'))
            return -1;
        do {
            if (!kb_str(c, &key) || !kb_lit(c, ':'))
                return -1;
            if (KB_IS(key, "price") && !got_price)
                got_price = kb_number(c, &rows[k].price);
            else if (KB_IS(key, "qty") && !got_qty)
                got_qty = kb_number(c, &rows[k].qty);
            else
                return -1; /* unknown or repeated key, or not a number */
            if (!(KB_IS(key, "price") ? got_price : got_qty))
                return -1;
        } while (kb_lit(c, ','));
        if (!kb_lit(c, '}') || !got_price || !got_qty)
            return -1;
        k++;
    } while (kb_lit(c, ','));
    return kb_lit(c, ']') ? k : -1;
}

/* The inside of data's one entry. */
static int entry(Cur *c, Update *u)
{
    int got_symbol = 0, got_checksum = 0;
    Span key, num;
    u->nb = u->na = -1;
    u->timestamp.s = NULL;
    if (!kb_lit(c, '{'))
        return 0;
    do {
        if (!kb_str(c, &key) || !kb_lit(c, ':'))
            return 0;
        if (KB_IS(key, "symbol") && !got_symbol) {
            if (!kb_str(c, &u->symbol))
                return 0;
            got_symbol = 1;
        }
        else if (KB_IS(key, "bids") && u->nb < 0) {
            if ((u->nb = levels(c, u->bids)) < 0)
                return 0;
        }
        else if (KB_IS(key, "asks") && u->na < 0) {
            if ((u->na = levels(c, u->asks)) < 0)
                return 0;
        }
        else if (KB_IS(key, "checksum") && !got_checksum) {
            /* digits only, no leading zero, below 2**32 (the schema's range) */
            if (!kb_number(c, &num) || num.n > 10 || (num.n > 1 && num.s[0] == '0'))
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
        else if (KB_IS(key, "timestamp") && u->timestamp.s == NULL) {
            if (!kb_str(c, &u->timestamp))
                return 0; /* null, a number...: msgspec's call */
        }
        else
            return 0;
    } while (kb_lit(c, ','));
    return kb_lit(c, '}') && got_symbol && got_checksum && u->nb >= 0 && u->na >= 0;
}

/* 1 when the frame is exactly {"channel":"book","type":"update","data":[{...}]} (keys
 * in any order, JSON whitespace anywhere), with `u` filled in; 0 otherwise. */
int kb_scan(const char *p, Py_ssize_t n, Update *u)
{
    Cur c = {p, p + n};
    Span key, value;
    int got_channel = 0, got_type = 0, got_data = 0;
    if (!kb_lit(&c, '{'))
        return 0;
    do {
        if (!kb_str(&c, &key) || !kb_lit(&c, ':'))
            return 0;
        if (KB_IS(key, "channel") && !got_channel) {
            if (!kb_str(&c, &value) || !KB_IS(value, "book"))
                return 0;
            got_channel = 1;
        }
        else if (KB_IS(key, "type") && !got_type) {
            if (!kb_str(&c, &value) || !KB_IS(value, "update"))
                return 0; /* snapshots take the Python path (rare, and they rebuild) */
            got_type = 1;
        }
        else if (KB_IS(key, "data") && !got_data) {
            if (!kb_lit(&c, '[') || !entry(&c, u) || !kb_lit(&c, ']'))
                return 0; /* exactly one entry */
            got_data = 1;
        }
        else
            return 0;
    } while (kb_lit(&c, ','));
    if (!kb_lit(&c, '}'))
        return 0;
    kb_ws(&c);
    return c.p == c.e && got_channel && got_type && got_data;
}

/* Nanoseconds of an RFC3339 timestamp, as tickwire.core.timestamps.rfc3339_to_ns gives
 * them. The usual ".fffffffZ" form of a second already seen is done here (the second's
 * base cached in `cache`: a Book's, or the tickers'); anything else asks rfc3339_to_ns,
 * whose answer is then used to cache the second. 1 done, 0 not ours (a bad timestamp: Python reports it), -1 error. */
int kb_ts_parse(State *st, TsCache *cache, Span t, int64_t *out)
{
    int64_t f = 0;
    int usual = t.n > 21 && t.n <= 30 && t.s[19] == '.' && t.s[t.n - 1] == 'Z';
    for (Py_ssize_t k = 20; usual && k < t.n - 1; k++) {
        if (t.s[k] < '0' || t.s[k] > '9')
            usual = 0;
        f = f * 10 + (t.s[k] - '0');
    }
    for (Py_ssize_t d = t.n - 21; usual && d < 9; d++)
        f *= 10;
    if (usual && cache->cached && memcmp(t.s, cache->prefix, 19) == 0) {
        *out = cache->base + f;
        return 1;
    }
    PyObject *text = PyUnicode_DecodeUTF8(t.s, t.n, NULL);
    PyObject *ns = text == NULL ? NULL : PyObject_CallOneArg(st->rfc3339, text);
    Py_XDECREF(text);
    if (ns == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return -1;
        PyErr_Clear(); /* ValueError, bad UTF-8: the Python path raises it again */
        return 0;
    }
    int overflow;
    *out = PyLong_AsLongLongAndOverflow(ns, &overflow);
    Py_DECREF(ns);
    if (overflow || (*out == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    if (usual) {
        memcpy(cache->prefix, t.s, 19);
        cache->base = *out - f;
        cache->cached = 1;
    }
    return 1;
}
