/* The Kraken ticker update path in C (issue 12): ticker() takes one v2 ticker *update*
 * frame to the pushed Ticker in one call, as KrakenClient.on_frame's Python path does
 * (parse.to_tickers, then the activity key, the client's ticker cache and the push).
 *
 * Why C: a ticker frame is small, so tickwire's cost per frame is overhead spread over
 * the msgspec decode into Structs, six Decimal comparisons, the Ticker and the client's
 * dispatch; the floor client does one typed decode. Here one strict scan finds the
 * values' wire texts, and the value rules are checked on the text (a plain number's
 * integer digits and whether it is zero: what 0 < price < 1e12 and 0 <= size < 1e18 ask
 * of a number with no sign and no exponent). Anything the scanner is not sure of returns
 * NotImplemented before anything is touched; the Python path then takes the frame, with
 * its precise errors.
 */
#include "kbook.h"

/* The entry's keys: the six values (in the Ticker's order), then the two strings, then
 * the keys Kraken sends that a Ticker has no field for (skipped, as msgspec skips them,
 * when their value is a JSON number; anything else is not ours). */
enum { BID, BID_QTY, ASK, ASK_QTY, LAST, VOLUME, NVALUES, SYMBOL = NVALUES, TIMESTAMP };
static const char *const keys[] = {
    "bid",  "bid_qty", "ask",  "ask_qty", "last",   "volume",     "symbol",
    "timestamp", "vwap", "low", "high", "change", "change_pct", "trades",
};
#define NKEYS ((int)(sizeof(keys) / sizeof(keys[0])))
#define REQUIRED ((1u << (SYMBOL + 1)) - 1) /* the values and the symbol */
static const int is_price[NVALUES] = {1, 0, 1, 0, 1, 0};

typedef struct {
    Span symbol, timestamp; /* timestamp.s == NULL when absent */
    Span v[NVALUES];
} Tick;

static int key_index(Span key)
{
    for (int k = 0; k < NKEYS; k++)
        if ((size_t)key.n == strlen(keys[k]) && memcmp(key.s, keys[k], (size_t)key.n) == 0)
            return k;
    return -1;
}

static inline int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* A JSON number as RFC 8259 writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(Span s)
{
    const char *p = s.s, *e = s.s + s.n;
    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0')
        p++;
    else if (p < e && is_digit(*p))
        while (p < e && is_digit(*p))
            p++;
    else
        return 0;
    if (p < e && *p == '.') {
        const char *q = ++p;
        while (p < e && is_digit(*p))
            p++;
        if (p == q)
            return 0;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        if (++p < e && (*p == '+' || *p == '-'))
            p++;
        const char *q = p;
        while (p < e && is_digit(*p))
            p++;
        if (p == q)
            return 0;
    }
    return p == e;
}

/* A value the fast path takes as it is: (0|[1-9][0-9]*)(.[0-9]+)? (no sign, no
 * exponent) with at most `int_digits` integer digits, so below 10**int_digits.
 * `*nonzero` tells whether any digit is not 0. */
static int plain(Span s, int int_digits, int *nonzero)
{
    const char *p = s.s, *e = s.s + s.n;
    int any = 0;
    if (p < e && *p == '0')
        p++;
    else if (p < e && *p >= '1' && *p <= '9') {
        const char *q = p;
        while (p < e && is_digit(*p))
            p++;
        if (p - q > int_digits)
            return 0;
        any = 1;
    }
    else
        return 0;
    if (p < e && *p == '.') {
        const char *q = ++p;
        for (; p < e && is_digit(*p); p++)
            any |= *p != '0';
        if (p == q)
            return 0;
    }
    *nonzero = any;
    return p == e;
}

/* The inside of data's one entry. */
static int entry(Cur *c, Tick *t)
{
    unsigned seen = 0; /* a bit per key: a repeated key is not ours */
    Span key, skipped;
    t->timestamp.s = NULL;
    if (!kb_lit(c, '{'))
        return 0;
    do {
        if (!kb_str(c, &key) || !kb_lit(c, ':'))
            return 0;
        int k = key_index(key);
        if (k < 0 || (seen & (1u << k)))
            return 0;
        seen |= 1u << k;
        if (k < NVALUES) {
            if (!kb_number(c, &t->v[k]))
                return 0;
        }
        else if (k == SYMBOL || k == TIMESTAMP) {
            if (!kb_str(c, k == SYMBOL ? &t->symbol : &t->timestamp))
                return 0; /* null, a number...: msgspec's call */
        }
        else if (!kb_number(c, &skipped) || !json_number(skipped))
            return 0;
    } while (kb_lit(c, ','));
    return kb_lit(c, '}') && (seen & REQUIRED) == REQUIRED;
}

/* 1 when the frame is exactly {"channel":"ticker","type":"update","data":[{...}]}
 * (keys in any order, JSON whitespace anywhere), with `t` filled in; 0 otherwise. */
static int scan(const char *p, Py_ssize_t n, Tick *t)
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
            if (!kb_str(&c, &value) || !KB_IS(value, "ticker"))
                return 0;
            got_channel = 1;
        }
        else if (KB_IS(key, "type") && !got_type) {
            if (!kb_str(&c, &value) || !KB_IS(value, "update"))
                return 0;
            got_type = 1;
        }
        else if (KB_IS(key, "data") && !got_data) {
            if (!kb_lit(&c, '[') || !entry(&c, t) || !kb_lit(&c, ']'))
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

static int same(Span a, const char *text, Py_ssize_t n)
{
    return a.n == n && memcmp(a.s, text, (size_t)n) == 0;
}

/* The six Decimals (new references in `out`). A value whose text is the one this field
 * had last time, or another field's in this frame, is that Decimal again: the same
 * digits, so the same value and str() (Decimals are immutable). */
static int decimals(State *st, const Tick *t, PyObject **out)
{
    for (int i = 0; i < NVALUES; i++) {
        DecCache *dc = &st->tk_dec[i];
        out[i] = NULL;
        if (dc->obj != NULL && same(t->v[i], dc->text, dc->n))
            out[i] = Py_NewRef(dc->obj);
        for (int j = 0; out[i] == NULL && j < i; j++)
            if (same(t->v[i], t->v[j].s, t->v[j].n))
                out[i] = Py_NewRef(out[j]);
        if (out[i] == NULL) {
            PyObject *text = PyUnicode_FromStringAndSize(t->v[i].s, t->v[i].n); /* ASCII */
            if (text == NULL)
                return -1;
            out[i] = PyObject_CallOneArg(st->decimal, text);
            Py_DECREF(text);
            if (out[i] == NULL)
                return -1;
        }
        if (t->v[i].n <= (Py_ssize_t)sizeof(dc->text) && dc->obj != out[i]) {
            memcpy(dc->text, t->v[i].s, (size_t)t->v[i].n);
            dc->n = t->v[i].n;
            Py_XSETREF(dc->obj, Py_NewRef(out[i]));
        }
    }
    return 0;
}

/* The symbol's str and its ("ticker", symbol) key, borrowed from the module state (the
 * last symbol seen, made anew when another one comes); 0 for bad UTF-8, -1 error. */
static int symbol_of(State *st, Span s)
{
    if (st->tk_symbol != NULL) {
        Py_ssize_t n;
        const char *have = PyUnicode_AsUTF8AndSize(st->tk_symbol, &n);
        if (have == NULL)
            return -1;
        if (same(s, have, n))
            return 1;
    }
    PyObject *symbol = PyUnicode_DecodeUTF8(s.s, s.n, NULL);
    if (symbol == NULL) {
        PyErr_Clear(); /* bad UTF-8: msgspec reports it */
        return 0;
    }
    PyObject *key = PyTuple_Pack(2, st->s_ticker, symbol);
    if (key == NULL) {
        Py_DECREF(symbol);
        return -1;
    }
    Py_XSETREF(st->tk_symbol, symbol);
    Py_XSETREF(st->tk_key, key);
    return 1;
}

const char kb_ticker_doc[] =
    "ticker(frame, received, push, activity, tickers) -> None | NotImplemented\n--\n\n"
    "Take one frame if it is a ticker update of the strict shape, with values and\n"
    "timestamp that pass tickwire's rules: record activity, cache and push the Ticker;\n"
    "None. NotImplemented (nothing touched) otherwise.";

PyObject *kb_ticker(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    State *st = (State *)PyModule_GetState(module);
    Tick t;
    PyObject *values[NVALUES] = {NULL}, *ts = NULL, *ticker = NULL, *result = NULL;
    int64_t ns;
    int nonzero;
    if (nargs != 5 || !PyDict_Check(args[3]) || !PyDict_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "ticker(frame, received, push, activity, tickers)");
        return NULL;
    }
    PyObject *frame = args[0], *received = args[1];
    if (!PyBytes_CheckExact(frame) || !PyLong_CheckExact(received) ||
        !scan(PyBytes_AS_STRING(frame), PyBytes_GET_SIZE(frame), &t))
        Py_RETURN_NOTIMPLEMENTED;
    for (int i = 0; i < NVALUES; i++) {
        int digits = is_price[i] ? KB_PRICE_INT_DIGITS : KB_SIZE_INT_DIGITS;
        if (!plain(t.v[i], digits, &nonzero) || (is_price[i] && !nonzero))
            Py_RETURN_NOTIMPLEMENTED; /* a value the Python path refuses or reads its way */
    }
    if (t.timestamp.s == NULL)
        ts = Py_NewRef(received); /* local time, as to_tickers does */
    else {
        int r = kb_ts_parse(st, &st->tk_ts, t.timestamp, &ns);
        if (r < 0)
            return NULL;
        if (r == 0 || ns < st->min_ts || ns > st->max_ts)
            Py_RETURN_NOTIMPLEMENTED;
        if ((ts = PyLong_FromLongLong(ns)) == NULL)
            return NULL;
    }
    int r = symbol_of(st, t.symbol);
    if (r <= 0) {
        Py_DECREF(ts);
        if (r < 0)
            return NULL;
        Py_RETURN_NOTIMPLEMENTED;
    }
    /* The frame is ours from here: every check the Python path makes has passed. */
    PyObject *symbol = Py_NewRef(st->tk_symbol), *key = Py_NewRef(st->tk_key);
    if (decimals(st, &t, values) == 0) {
        PyObject *kw[10] = {st->venue,     symbol,         values[BID],  values[BID_QTY],
                            values[ASK],   values[ASK_QTY], values[LAST], values[VOLUME],
                            ts,            received};
        ticker = PyObject_Vectorcall(st->ticker_type, kw, 0, st->ticker_kwnames);
    }
    if (ticker != NULL && PyDict_SetItem(args[3], key, received) == 0 &&
        PyDict_SetItem(args[4], symbol, ticker) == 0) {
        PyObject *pushed = PyObject_CallOneArg(args[2], ticker);
        if (pushed != NULL) {
            Py_DECREF(pushed);
            result = Py_NewRef(Py_None);
        }
    }
    for (int i = 0; i < NVALUES; i++)
        Py_XDECREF(values[i]);
    Py_XDECREF(ticker);
    Py_DECREF(ts);
    Py_DECREF(symbol);
    Py_DECREF(key);
    return result;
}
