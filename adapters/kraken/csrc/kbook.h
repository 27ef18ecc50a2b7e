/* Shared declarations of tickwire.adapters.kraken._kbook, the optional C path of the
 * Kraken depth-N book (issue 12). See module.c for what the module does and why.
 *
 * Files: crc.c (CRC32, zlib's polynomial), text.c (the JSON scanner of a book update,
 * the checksum text of a number, timestamps), side.c (one side of the book, kept in
 * step with the Python OrderBook's dict and sorted list), ticker.c (the ticker update
 * path, ticker()), module.c (module state, the Book type, feed()). No file keeps
 * mutable static state: everything lives in the module state or
 * in a Book, so the module is safe to load in several (sub)interpreters.
 */
#ifndef TICKWIRE_KBOOK_H
#define TICKWIRE_KBOOK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A level's checksum text, fmt(price) + fmt(qty), is at most this long; longer texts
 * (absurd precisions) make the book fall back to the Python path. */
#define KB_TEXTCAP 96
/* Rows per side a C-parsed update may carry: Kraken sends a handful; more falls back. */
#define KB_MAXROWS 64
/* Kraken's checksum covers the top 10 levels of each side, whatever the depth. */
#define KB_CKL 10
/* Value limits of tickwire.core.validation, as integer-digit counts: a price is below
 * MAX_PRICE = 1e12 (at most 12 integer digits), a size below MAX_SIZE = 1e18 (18). The
 * Python side checks at import that core's limits still are these. */
#define KB_PRICE_INT_DIGITS 12
#define KB_SIZE_INT_DIGITS 18

/* --- crc.c --- */
uint32_t kb_crc32(uint32_t crc, const unsigned char *buf, size_t len);

/* --- text.c --- */
typedef struct {
    const char *s;
    Py_ssize_t n;
} Span;

/* The JSON scanner's steps, shared by the book (text.c) and ticker (ticker.c) scanners:
 * a cursor over the frame's bytes; each step skips JSON whitespace first. */
typedef struct {
    const char *p, *e;
} Cur;

static inline void kb_ws(Cur *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static inline int kb_lit(Cur *c, char ch)
{
    kb_ws(c);
    if (c->p < c->e && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A string without escapes or control characters (anything else: not ours). */
static inline int kb_str(Cur *c, Span *out)
{
    kb_ws(c);
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
static inline int kb_number(Cur *c, Span *out)
{
    kb_ws(c);
    const char *q = c->p;
    while (c->p < c->e && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' || *c->p == '-' ||
                           *c->p == '+' || *c->p == 'e' || *c->p == 'E'))
        c->p++;
    out->s = q;
    out->n = c->p - q;
    return c->p > q;
}

#define KB_IS(span, lit_) \
    ((span).n == (Py_ssize_t)sizeof(lit_) - 1 && memcmp((span).s, lit_, sizeof(lit_) - 1) == 0)

/* The last second an RFC3339 timestamp was parsed for: "YYYY-MM-DDTHH:MM:SS" and its ns,
 * so the usual ".fffffffZ" timestamps of that second cost no Python call (kb_ts_parse). */
typedef struct {
    int cached;
    char prefix[19];
    int64_t base;
} TsCache;

/* One parsed level of an update: the wire texts, then (after kb_fmt) its checksum text
 * and the objects of the event. */
typedef struct {
    Span price, qty;
    int plen, tlen; /* fmt(price) is text[:plen]; fmt(qty) follows it */
    int canon;      /* the price text had exactly the instrument's decimals */
    int zero;       /* qty is zero: the row deletes its level */
    PyObject *price_obj, *qty_obj; /* strong references once made, else NULL */
    char text[KB_TEXTCAP];
} Row;

/* What kb_scan found in a frame: spans into the frame's bytes. */
typedef struct {
    Span symbol, timestamp; /* timestamp.s == NULL when absent */
    int64_t checksum;
    Py_ssize_t nb, na;
    Row *bids, *asks; /* caller-provided arrays of KB_MAXROWS */
} Update;

int kb_scan(const char *p, Py_ssize_t n, Update *u);
int kb_fmt(const char *s, Py_ssize_t n, int places, int int_digits, char *out, int cap,
           int *canon, int *nonzero);

/* --- side.c --- */
typedef struct {
    PyObject *price, *qty; /* strong; price is also the mirror dict's key object */
    int plen, tlen, canon;
    char text[KB_TEXTCAP];
} Level;

typedef struct {
    Level *lv;       /* best first */
    Py_ssize_t n, cap;
    int bid;         /* bids: best = highest price */
    PyObject *sizes;  /* the OrderBook's dict price -> size (strong) */
    PyObject *prices; /* the OrderBook's ascending price list (strong) */
} Side;

Py_ssize_t kb_side_find(const Side *sd, const char *text, int plen, int *found);
int kb_side_apply(Side *sd, Row *rows, Py_ssize_t nr, Py_ssize_t depth);
int kb_side_push(Side *sd, PyObject *price, PyObject *qty, const char *text, int plen,
                 int tlen, int canon);
void kb_side_clear(Side *sd);
uint32_t kb_side_crc(const Side *sd, uint32_t crc);

/* A field's last Decimal and the wire text it was made from (ticker.c). */
typedef struct {
    char text[32];
    Py_ssize_t n;
    PyObject *obj; /* strong, or NULL */
} DecCache;

/* --- module.c: the module state (PEP 489: one per module object, no globals) --- */
typedef struct {
    PyTypeObject *book_type;
    PyObject *decimal;      /* decimal.Decimal */
    PyObject *level_type;   /* tickwire.core.types.BookLevel */
    PyObject *update_type;  /* tickwire.core.types.BookUpdate */
    PyObject *rfc3339;      /* tickwire.core.timestamps.rfc3339_to_ns */
    PyObject *out_of_sync;  /* tickwire.core.errors.BookOutOfSync */
    PyObject *venue;        /* "kraken" */
    PyObject *kwnames;      /* BookUpdate's keywords, for one vectorcall */
    PyObject *s_cbook, *s_ts, *s_synced, *s_reset, *s_symbol, *s_depth, *s_book;
    PyObject *s_bid_sizes, *s_bid_prices, *s_ask_sizes, *s_ask_prices;
    int64_t min_ts, max_ts; /* tickwire.core.validation.MIN_TS_NS / MAX_TS_NS */
    /* ticker.c */
    PyObject *ticker_type;    /* tickwire.core.types.Ticker */
    PyObject *ticker_kwnames; /* its keywords, for one vectorcall */
    PyObject *s_ticker;       /* "ticker", the first half of the activity key */
    PyObject *tk_symbol, *tk_key; /* the last symbol seen and its ("ticker", symbol) */
    TsCache tk_ts;
    DecCache tk_dec[6]; /* per value: bid, bid_qty, ask, ask_qty, last, volume */
} State;

/* text.c: nanoseconds of an RFC3339 timestamp as rfc3339_to_ns gives them; 1 done, 0 not
 * ours (a bad timestamp: the Python path reports it), -1 error. */
int kb_ts_parse(State *st, TsCache *cache, Span t, int64_t *out);

/* --- ticker.c --- */
PyObject *kb_ticker(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char kb_ticker_doc[];

/* --- book.c: one symbol's C book, owned by a KrakenBook (its `mirror`) --- */
typedef struct {
    PyObject_HEAD
    PyObject *mirror;       /* the KrakenBook: strong (a cycle with its _cbook: GC type) */
    PyObject *symbol;       /* its unified symbol */
    PyObject *activity_key; /* ("book", symbol), the session's liveness key */
    PyObject *pspec, *qspec; /* ".Nf" format specs for values str() writes with an exponent */
    Side bids, asks;
    Py_ssize_t depth;       /* the mirror's, read at each load(); 0: unbounded */
    int pp, qp;             /* price and qty precisions */
    int valid;              /* loaded from a synced mirror and in step with it since */
    int written;            /* feed() applied updates since the last load() */
    uint32_t ask_crc;       /* the ask half's CRC, recomputed only when asks change */
    TsCache tsc;            /* its timestamps' last second */
} Book;

extern PyType_Spec kb_book_spec;
int kb_book_reset_mirror(State *st, Book *b);

#endif
