/* Scratch: Kraken v2 L2 book apply + CRC32 in C (designs A and B). Not hardened. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include <stdlib.h>
#include "crcfast.h"

#define TEXTCAP 64
#define MAXROWS 2048
#define CKL 10
#ifndef USE_CLMUL
#define USE_CLMUL 1
#endif

static PyObject *DecimalType, *BookLevelType, *BookUpdateType, *RfcFn, *Venue;
static PyObject *UpdKwnames; /* ("venue","symbol","bids","asks","snapshot","ts","received") */
static PyObject *S_ts, *S_book, *S_bids, *S_asks, *S_checksum, *S_timestamp, *S_price, *S_qty, *S_symbol;
static PyObject *MismatchError;
static int64_t MIN_TS, MAX_TS;

typedef struct {
    int64_t sk;          /* sort key: price scaled (asks) or -price scaled (bids) */
    PyObject *price;     /* Decimal, strong */
    PyObject *qty;       /* Decimal, strong */
    int tlen;
    int canon;           /* price text had exactly pp decimals */
    char text[TEXTCAP];  /* fmt(price)+fmt(qty) */
} Level;

typedef struct { Level *lv; Py_ssize_t n, cap; PyObject *msz, *mpr; } Side;

typedef struct {
    PyObject_HEAD
    PyObject *symbol;
    int depth, pp, qp, synced;
    Side bids, asks; /* both best first */
    uint32_t ask_crc;
    int64_t ts;
    char ts_prefix[20]; int64_t ts_base; /* cached "YYYY-MM-DDTHH:MM:SS" -> ns */
    uint64_t n_ok;
    int64_t max_pkey; /* 1e12 scaled: price < MAX_PRICE */
    PyObject *pspec, *qspec;
    PyObject *mirror; /* the KrakenBook (OrderBook) kept in step, or NULL */
} Book;

typedef struct {
    int64_t key, qkey;       /* scaled price, scaled qty */
    int canon;
    PyObject *price, *qty;   /* strong refs (A: from the struct; B: created) */
    const char *praw, *qraw; Py_ssize_t prl, qrl;
    int plen, tlen;
    char text[TEXTCAP];
} Row;

/* number text -> scaled int64 + fmt text. 0 ok, -1 unsupported (exponent, rounding,
   too many digits, negative, junk). */
static int num_fmt_k(const char *s, Py_ssize_t n, int places, int64_t *key, char *out,
                   int cap, int *len, int *canon, int want_key);
/* prices: scaled int64 key (<= 18 digits); quantities: only "nonzero" (any length) */
static int num_fmt(const char *s, Py_ssize_t n, int places, int64_t *key, char *out,
                   int cap, int *len, int *canon)
{
    return num_fmt_k(s, n, places, key, out, cap, len, canon, 1);
}
static int num_fmt_k(const char *s, Py_ssize_t n, int places, int64_t *key, char *out,
                   int cap, int *len, int *canon, int want_key)
{
    Py_ssize_t i = 0; int64_t v = 0; int nd = 0, frac = 0, o = 0, seen = 0;
    if (n == 0 || s[0] == '-') return -1;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        int d = s[i] - '0';
        if (want_key) { if (nd >= 18) return -1; v = v * 10 + d; if (v) nd++; } else v |= d;
        if (d || seen) { if (o >= cap) return -1; out[o++] = s[i]; seen = 1; }
        i++;
    }
    if (i == 0 || (i > 1 && s[0] == '0')) return -1; /* JSON: no leading zeros */
    if (!want_key && o > 18) return -1; /* qty >= 1e18: refused like MAX_SIZE */
    if (i < n && s[i] == '.') {
        i++;
        Py_ssize_t fs = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            int d = s[i] - '0';
            if (frac >= places) { if (d) return -1; i++; frac++; continue; } /* rounding needed */
            if (want_key) { if (nd >= 18) return -1; v = v * 10 + d; if (v) nd++; } else v |= d;
            if (d || seen) { if (o >= cap) return -1; out[o++] = s[i]; seen = 1; }
            frac++; i++;
        }
        if (i == fs) return -1;
    }
    if (i != n) return -1; /* exponent or junk */
    *canon = (frac == places);
    for (int f = frac; f < places; f++) {
        if (want_key) { if (nd >= 18) return -1; v *= 10; if (v) nd++; }
        if (seen) { if (o >= cap) return -1; out[o++] = '0'; }
    }
    *key = v; *len = o;
    return 0;
}

/* ---- timestamps ---- */
static int64_t ts_parse(Book *b, const char *s, Py_ssize_t n, PyObject *text_or_null)
{
    /* fast: cached prefix + ".d{1,9}Z" */
    if (n >= 21 && n <= 30 && memcmp(s, b->ts_prefix, 19) == 0 && s[19] == '.' && s[n - 1] == 'Z') {
        int64_t f = 0; int k;
        for (k = 20; k < n - 1; k++) {
            if (s[k] < '0' || s[k] > '9') goto slow;
            f = f * 10 + (s[k] - '0');
        }
        if (k == 20) goto slow;
        for (int d = n - 21; d < 9; d++) f *= 10;
        return b->ts_base + f;
    }
slow:;
    PyObject *t = text_or_null ? (Py_INCREF(text_or_null), text_or_null)
                               : PyUnicode_FromStringAndSize(s, n);
    if (!t) return -1;
    PyObject *r = PyObject_CallOneArg(RfcFn, t);
    Py_DECREF(t);
    if (!r) return -1;
    int64_t ns = PyLong_AsLongLong(r);
    Py_DECREF(r);
    if (ns == -1 && PyErr_Occurred()) return -1;
    /* cache the whole-second base when the text is the usual shape */
    if (n >= 21 && n <= 30 && s[19] == '.' && s[n - 1] == 'Z') {
        int64_t f = 0; int ok = 1;
        for (int k = 20; k < n - 1; k++) { if (s[k] < '0' || s[k] > '9') { ok = 0; break; } f = f * 10 + (s[k] - '0'); }
        for (int d = n - 21; d < 9; d++) f *= 10;
        if (ok) { memcpy(b->ts_prefix, s, 19); b->ts_base = ns - f; }
    }
    return ns;
}

/* ---- sides ---- */
static Py_ssize_t side_find(Side *sd, int64_t sk, int *found)
{
    Py_ssize_t lo = 0, hi = sd->n;
    while (lo < hi) { Py_ssize_t m = (lo + hi) >> 1; if (sd->lv[m].sk < sk) lo = m + 1; else hi = m; }
    *found = lo < sd->n && sd->lv[lo].sk == sk;
    return lo;
}

static void side_clear(Side *sd)
{
    for (Py_ssize_t i = 0; i < sd->n; i++) { Py_DECREF(sd->lv[i].price); Py_DECREF(sd->lv[i].qty); }
    sd->n = 0;
}

static int side_apply(Side *sd, Row *rows, Py_ssize_t nr, int bid, int depth)
{
    PyObject *msz = sd->msz, *mpr = sd->mpr; /* the OrderBook's dict and sorted list, or NULL */
    for (Py_ssize_t r = 0; r < nr; r++) {
        Row *rw = &rows[r]; int found;
        int64_t sk = bid ? -rw->key : rw->key;
        Py_ssize_t i = side_find(sd, sk, &found);
        if (rw->qkey) {
            Level *l;
            if (found) {
                l = &sd->lv[i];
                if (msz) { /* the key object stays the level's (its hash is cached) */
                    if (PyDict_SetItem(msz, l->price, rw->qty) < 0) return -1;
                } else {
                    Py_SETREF(l->price, (Py_INCREF(rw->price), rw->price));
                    l->canon = rw->canon;
                }
                Py_SETREF(l->qty, (Py_INCREF(rw->qty), rw->qty));
            } else {
                if (msz) {
                    Py_ssize_t pi = bid ? (sd->n - i) : i;
                    if (PyDict_SetItem(msz, rw->price, rw->qty) < 0 || PyList_Insert(mpr, pi, rw->price) < 0) return -1;
                }
                if (sd->n == sd->cap) {
                    Py_ssize_t nc = sd->cap ? sd->cap * 2 : 32;
                    Level *nl = PyMem_Realloc(sd->lv, nc * sizeof(Level));
                    if (!nl) { PyErr_NoMemory(); return -1; }
                    sd->lv = nl; sd->cap = nc;
                }
                memmove(&sd->lv[i + 1], &sd->lv[i], (sd->n - i) * sizeof(Level));
                sd->n++;
                l = &sd->lv[i];
                l->sk = sk;
                Py_INCREF(rw->price); l->price = rw->price;
                Py_INCREF(rw->qty); l->qty = rw->qty;
                l->canon = rw->canon;
            }
            l->tlen = rw->tlen; memcpy(l->text, rw->text, rw->tlen);
        } else if (found) {
            if (msz) {
                Py_ssize_t pi = bid ? (sd->n - 1 - i) : i;
                if (PyDict_DelItem(msz, sd->lv[i].price) < 0 || PyList_SetSlice(mpr, pi, pi + 1, NULL) < 0) return -1;
            }
            Py_DECREF(sd->lv[i].price); Py_DECREF(sd->lv[i].qty);
            memmove(&sd->lv[i], &sd->lv[i + 1], (sd->n - i - 1) * sizeof(Level));
            sd->n--;
        }
    }
    if (depth && sd->n > depth) {
        Py_ssize_t excess = sd->n - depth;
        if (msz) {
            for (Py_ssize_t k = depth; k < sd->n; k++)
                if (PyDict_DelItem(msz, sd->lv[k].price) < 0) return -1;
            if ((bid ? PyList_SetSlice(mpr, 0, excess, NULL) : PyList_SetSlice(mpr, depth, sd->n, NULL)) < 0) return -1;
        }
        while (sd->n > depth) { sd->n--; Py_DECREF(sd->lv[sd->n].price); Py_DECREF(sd->lv[sd->n].qty); }
    }
    return 0;
}

static uint32_t side_crc(Side *sd, uint32_t crc)
{
    char buf[CKL * TEXTCAP]; size_t o = 0;
    Py_ssize_t n = sd->n < CKL ? sd->n : CKL;
    for (Py_ssize_t i = 0; i < n; i++) { memcpy(buf + o, sd->lv[i].text, sd->lv[i].tlen); o += sd->lv[i].tlen; }
    return USE_CLMUL ? crc_fast(crc, (const unsigned char *)buf, o) : (uint32_t)crc32(crc, (const Bytef *)buf, (uInt)o);
}

static void rows_release(Row *rows, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) { Py_XDECREF(rows[i].price); Py_XDECREF(rows[i].qty); }
}

static PyObject *levels_tuple(Row *rows, Py_ssize_t n)
{
    PyObject *t = PyTuple_New(n);
    if (!t || n == 0) return t;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *args[2] = {rows[i].price, rows[i].qty};
        PyObject *lv = PyObject_Vectorcall(BookLevelType, args, 2, NULL);
        if (!lv) { Py_DECREF(t); return NULL; }
        PyTuple_SET_ITEM(t, i, lv);
    }
    PyObject_GC_UnTrack(t); /* holds gc=False structs of Decimals only: no cycle possible */
    return t;
}

static void book_reset(Book *b)
{
    side_clear(&b->bids); side_clear(&b->asks); b->synced = 0;
    if (b->mirror) {
        PyObject *et, *ev, *tb; PyErr_Fetch(&et, &ev, &tb);
        PyDict_Clear(b->bids.msz); PyDict_Clear(b->asks.msz);
        PyList_SetSlice(b->bids.mpr, 0, PY_SSIZE_T_MAX, NULL); PyList_SetSlice(b->asks.mpr, 0, PY_SSIZE_T_MAX, NULL);
        if (PyObject_SetAttrString(b->mirror, "_synced", Py_False) < 0) PyErr_Clear();
        PyErr_Restore(et, ev, tb);
    }
}

/* common tail: rows parsed and checked, objects set. */
static PyObject *finish(Book *b, Row *rows, Py_ssize_t nb, Py_ssize_t na, int snapshot,
                        int64_t checksum, int64_t ts, PyObject *received)
{
    PyObject *res = NULL;
    if (snapshot) {
        book_reset(b);
    } else if (!b->synced) {
        Py_RETURN_NONE;
    }
    if ((snapshot || nb) && side_apply(&b->bids, rows, nb, 1, b->depth) < 0) goto fail;
    if ((snapshot || na) && side_apply(&b->asks, rows + nb, na, 0, b->depth) < 0) goto fail;
    if (snapshot || na) b->ask_crc = side_crc(&b->asks, 0);
    uint32_t local = side_crc(&b->bids, b->ask_crc);
    b->ts = ts;
    if ((int64_t)local != checksum) {
        book_reset(b);
        PyErr_Format(MismatchError, "checksum mismatch: kraken %lld, local %u", (long long)checksum, local);
        return NULL;
    }
    if (snapshot) b->synced = 1;
    b->n_ok++;
    if (b->mirror) {
        PyObject *t = PyLong_FromLongLong(ts);
        if (!t || PyObject_SetAttr(b->mirror, S_ts, t) < 0 ||
            (snapshot && PyObject_SetAttrString(b->mirror, "_synced", Py_True) < 0)) { Py_XDECREF(t); goto fail; }
        Py_DECREF(t);
    }
    if (!received) Py_RETURN_NONE; /* write(): the caller builds the event */
    PyObject *bt = levels_tuple(rows, nb); if (!bt) goto fail;
    PyObject *at = levels_tuple(rows + nb, na); if (!at) { Py_DECREF(bt); goto fail; }
    PyObject *tso = PyLong_FromLongLong(ts);
    if (!tso) { Py_DECREF(bt); Py_DECREF(at); goto fail; }
    PyObject *args[7] = {Venue, b->symbol, bt, at, snapshot ? Py_True : Py_False, tso, received};
    res = PyObject_Vectorcall(BookUpdateType, args, 0, UpdKwnames);
    Py_DECREF(bt); Py_DECREF(at); Py_DECREF(tso);
    return res;
fail:
    book_reset(b);
    return NULL;
}

/* ---------------- design A: from decoded BookData structs ---------------- */
/* fmt of a Decimal via str(); exponent forms (0E-8 for a zero qty) via format(v, ".Nf") */
static int dec_fmt(PyObject *v, PyObject *spec, int places, int64_t *key, char *out, int cap,
                   int *len, int *canon, int want_key)
{
    PyObject *s = PyObject_Str(v);
    if (!s) return -1;
    Py_ssize_t n; const char *t = PyUnicode_AsUTF8AndSize(s, &n);
    int r = num_fmt_k(t, n, places, key, out, cap, len, canon, want_key);
    if (r < 0) {
        const char *e = memchr(t, 'E', n);
        if (e && !(e[1] == '+' && atoi(e + 2) > 40) && (t[0] != '-')) {
            PyObject *f = PyObject_Format(v, spec);
            if (!f) { Py_DECREF(s); return -1; }
            t = PyUnicode_AsUTF8AndSize(f, &n);
            r = num_fmt_k(t, n, places, key, out, cap, len, canon, want_key);
            *canon = 0; /* the wire text was not the fixed form */
            Py_DECREF(f);
        }
    }
    Py_DECREF(s);
    if (r < 0) PyErr_SetString(PyExc_ValueError, "value not supported by the fast path");
    return r;
}

static int row_from_struct(Book *b, Row *rw, PyObject *lvl)
{
    PyObject *p = PyObject_GetAttr(lvl, S_price);
    if (!p) return -1;
    PyObject *q = PyObject_GetAttr(lvl, S_qty);
    if (!q) { Py_DECREF(p); return -1; }
    rw->price = p; rw->qty = q;
    int len, canon, qlen, qc;
    if (dec_fmt(p, b->pspec, b->pp, &rw->key, rw->text, TEXTCAP, &len, &canon, 1) < 0) return -1;
    if (rw->key == 0 || rw->key >= b->max_pkey) { PyErr_SetString(PyExc_ValueError, "price out of range"); return -1; }
    if (dec_fmt(q, b->qspec, b->qp, &rw->qkey, rw->text + len, TEXTCAP - len, &qlen, &qc, 0) < 0) return -1;
    rw->canon = canon; rw->plen = len; rw->tlen = len + qlen;
    return 0;
}

static PyObject *book_apply_struct(Book *b, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "apply(data, snapshot, received)"); return NULL; }
    PyObject *data = args[0]; int snapshot = PyObject_IsTrue(args[1]);
    static Row rows[MAXROWS];
    Py_ssize_t nr = 0, nb = 0, na = 0; PyObject *res = NULL;
    PyObject *bl = PyObject_GetAttr(data, S_bids), *al = PyObject_GetAttr(data, S_asks);
    PyObject *ck = PyObject_GetAttr(data, S_checksum), *st = PyObject_GetAttr(data, S_timestamp);
    if (!bl || !al || !ck || !st) goto done;
    nb = PyList_GET_SIZE(bl); na = PyList_GET_SIZE(al);
    if (nb + na > MAXROWS) { PyErr_SetString(PyExc_ValueError, "too many rows"); goto done; }
    for (Py_ssize_t i = 0; i < nb; i++, nr++) {
        rows[nr].price = rows[nr].qty = NULL;
        if (row_from_struct(b, &rows[nr], PyList_GET_ITEM(bl, i)) < 0) { nr++; goto done; }
    }
    for (Py_ssize_t i = 0; i < na; i++, nr++) {
        rows[nr].price = rows[nr].qty = NULL;
        if (row_from_struct(b, &rows[nr], PyList_GET_ITEM(al, i)) < 0) { nr++; goto done; }
    }
    int64_t ts;
    if (st == Py_None) ts = PyLong_AsLongLong(args[2]);
    else {
        Py_ssize_t n; const char *s = PyUnicode_AsUTF8AndSize(st, &n);
        ts = ts_parse(b, s, n, st);
        if (ts == -1 && PyErr_Occurred()) goto done;
        if (ts < MIN_TS || ts > MAX_TS) { PyErr_SetString(PyExc_ValueError, "ts out of range"); goto done; }
    }
    res = finish(b, rows, nb, na, snapshot, PyLong_AsLongLong(ck), ts, args[2]);
done:
    rows_release(rows, nr);
    Py_XDECREF(bl); Py_XDECREF(al); Py_XDECREF(ck); Py_XDECREF(st);
    return res;
}

/* ---------------- design B: raw update frame bytes ---------------- */
typedef struct { const char *p, *e; } Cur;
static inline void ws(Cur *c) { if (c->p < c->e && *c->p > ' ') return; while (c->p < c->e && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++; }
static inline int lit(Cur *c, char ch) { ws(c); if (c->p < c->e && *c->p == ch) { c->p++; return 1; } return 0; }
/* a string without escapes */
static int str(Cur *c, const char **s, Py_ssize_t *n)
{
    ws(c);
    if (c->p >= c->e || *c->p != '"') return 0;
    const char *q = ++c->p;
    const char *end = memchr(q, '"', c->e - q);
    if (!end) return 0;
    for (const char *k = q; k < end; k++)
        if (*k == '\\' || (unsigned char)*k < 0x20) return 0;
    *s = q; *n = end - q; c->p = end + 1;
    return 1;
}
static int number(Cur *c, const char **s, Py_ssize_t *n)
{
    ws(c);
    const char *q = c->p;
    while (c->p < c->e && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' || *c->p == '-' ||
                           *c->p == '+' || *c->p == 'e' || *c->p == 'E')) c->p++;
    if (c->p == q) return 0;
    *s = q; *n = c->p - q;
    return 1;
}
#define KEY(s, n, lit_) ((n) == (Py_ssize_t)sizeof(lit_) - 1 && memcmp((s), lit_, (n)) == 0)

/* levels array -> rows (texts only). returns count, -1 unsupported */
static Py_ssize_t levels(Cur *c, Book *b, Row *rows, Py_ssize_t at)
{
    Py_ssize_t k = 0;
    if (!lit(c, '[')) return -1;
    if (lit(c, ']')) return 0;
    do {
        if (at + k >= MAXROWS) return -1;
        Row *rw = &rows[at + k];
        int gotp = 0, gotq = 0;
        if (!lit(c, '{')) return -1;
        do {
            const char *ks; Py_ssize_t kn;
            if (!str(c, &ks, &kn) || !lit(c, ':')) return -1;
            if (KEY(ks, kn, "price")) { if (!number(c, &rw->praw, &rw->prl)) return -1; gotp = 1; }
            else if (KEY(ks, kn, "qty")) { if (!number(c, &rw->qraw, &rw->qrl)) return -1; gotq = 1; }
            else return -1;
        } while (lit(c, ','));
        if (!lit(c, '}') || !gotp || !gotq) return -1;
        int len, qlen, canon, qc;
        if (num_fmt(rw->praw, rw->prl, b->pp, &rw->key, rw->text, TEXTCAP, &len, &canon) < 0 || rw->key == 0 ||
            rw->key >= b->max_pkey)
            return -1;
        if (num_fmt_k(rw->qraw, rw->qrl, b->qp, &rw->qkey, rw->text + len, TEXTCAP - len, &qlen, &qc, 0) < 0)
            return -1;
        rw->canon = canon; rw->plen = len; rw->tlen = len + qlen;
        rw->price = rw->qty = NULL;
        k++;
    } while (lit(c, ','));
    if (!lit(c, ']')) return -1;
    return k;
}

static PyObject *mkdec(const char *s, Py_ssize_t n)
{
    PyObject *t = PyUnicode_FromStringAndSize(s, n);
    if (!t) return NULL;
    PyObject *d = PyObject_CallOneArg(DecimalType, t);
    Py_DECREF(t);
    return d;
}

/* feed(books: dict[str, Book], frame: bytes, received: int)
   -> BookUpdate | None (book awaits a snapshot) | NotImplemented (take the slow path) */
static PyObject *feed(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    static Row rows[MAXROWS];
    if ((nargs != 3 && nargs != 5) || !PyBytes_Check(args[1])) { PyErr_SetString(PyExc_TypeError, "feed(books, frame, received[, push, activity])"); return NULL; }
    PyObject *books = args[0], *received = args[2], *res = NULL;
    Cur c = {PyBytes_AS_STRING(args[1]), PyBytes_AS_STRING(args[1]) + PyBytes_GET_SIZE(args[1])};
    const char *ks, *tss = NULL; Py_ssize_t kn, tsn = 0;
    int is_book = 0, is_update = 0, got_data = 0, got_ck = 0, got_b = 0, got_a = 0;
    Py_ssize_t nb = 0, na = 0, nr = 0; int64_t checksum = 0;
    Book *b = NULL;
    if (!lit(&c, '{')) goto unsupported;
    do {
        if (!str(&c, &ks, &kn) || !lit(&c, ':')) goto unsupported;
        if (KEY(ks, kn, "channel")) { const char *v; Py_ssize_t vn; if (!str(&c, &v, &vn) || !KEY(v, vn, "book")) goto unsupported; is_book = 1; }
        else if (KEY(ks, kn, "type")) { const char *v; Py_ssize_t vn; if (!str(&c, &v, &vn) || !KEY(v, vn, "update")) goto unsupported; is_update = 1; }
        else if (KEY(ks, kn, "data")) {
            if (got_data || !lit(&c, '[') || !lit(&c, '{')) goto unsupported;
            got_data = 1;
            do {
                if (!str(&c, &ks, &kn) || !lit(&c, ':')) goto unsupported;
                if (KEY(ks, kn, "symbol")) {
                    const char *sym; Py_ssize_t symn;
                    if (b || !str(&c, &sym, &symn)) goto unsupported;
                    PyObject *key = PyUnicode_FromStringAndSize(sym, symn);
                    if (!key) { PyErr_Clear(); goto unsupported; } /* bad UTF-8: msgspec reports it */
                    b = (Book *)PyDict_GetItemWithError(books, key);
                    Py_DECREF(key);
                    if (!b) { if (PyErr_Occurred()) return NULL; goto unsupported; }
                }
                else if (KEY(ks, kn, "bids")) {
                    if (!b || got_b || got_a) goto unsupported; /* symbol first, bids before asks */
                    nb = levels(&c, b, rows, 0); if (nb < 0) goto unsupported; got_b = 1;
                }
                else if (KEY(ks, kn, "asks")) {
                    if (!b || !got_b || got_a) goto unsupported;
                    na = levels(&c, b, rows, nb); if (na < 0) goto unsupported; got_a = 1;
                }
                else if (KEY(ks, kn, "checksum")) {
                    const char *v; Py_ssize_t vn;
                    if (got_ck || !number(&c, &v, &vn) || vn > 10) goto unsupported;
                    for (Py_ssize_t i = 0; i < vn; i++) { if (v[i] < '0' || v[i] > '9') goto unsupported; checksum = checksum * 10 + (v[i] - '0'); }
                    if (checksum > 0xFFFFFFFFLL) goto unsupported;
                    got_ck = 1;
                }
                else if (KEY(ks, kn, "timestamp")) { if (tss || !str(&c, &tss, &tsn)) goto unsupported; }
                else goto unsupported;
            } while (lit(&c, ','));
            if (!lit(&c, '}') || !lit(&c, ']')) goto unsupported;
        }
        else goto unsupported;
    } while (lit(&c, ','));
    if (!lit(&c, '}')) goto unsupported;
    ws(&c);
    if (c.p != c.e || !is_book || !is_update || !got_data || !b || !got_b || !got_a || !got_ck) goto unsupported;
    if (!b->synced) Py_RETURN_NONE;
    /* values are in range (num_fmt, max_pkey); the timestamp */
    int64_t ts;
    if (tss) {
        ts = ts_parse(b, tss, tsn, NULL);
        if (ts == -1 && PyErr_Occurred()) { PyErr_Clear(); goto unsupported; }
        if (ts < MIN_TS || ts > MAX_TS) goto unsupported;
    } else {
        ts = PyLong_AsLongLong(received);
    }
    /* objects: prices reused from the book when the text is the same, qty always new */
    nr = nb + na;
    for (Py_ssize_t i = 0; i < nr; i++) { rows[i].price = rows[i].qty = NULL; }
    for (Py_ssize_t i = 0; i < nr; i++) {
        Row *rw = &rows[i];
        if (rw->canon) {
            Side *sd = i < nb ? &b->bids : &b->asks; int found;
            Py_ssize_t j = side_find(sd, i < nb ? -rw->key : rw->key, &found);
            if (found && sd->lv[j].canon) { rw->price = sd->lv[j].price; Py_INCREF(rw->price); }
        }
        if (!rw->price && !(rw->price = mkdec(rw->praw, rw->prl))) goto done;
        if (!(rw->qty = mkdec(rw->qraw, rw->qrl))) goto done;
    }
    res = finish(b, rows, nb, na, 0, checksum, ts, received);
    if (res && nargs == 5) {
        /* B2: record activity and deliver here: one call per frame from the reader */
        PyObject *key = PyTuple_Pack(2, S_book, b->symbol);
        if (!key || PyDict_SetItem(args[4], key, received) < 0) { Py_XDECREF(key); Py_CLEAR(res); goto done; }
        Py_DECREF(key);
        PyObject *r = PyObject_CallOneArg(args[3], res);
        Py_DECREF(res);
        res = r ? (Py_DECREF(r), Py_NewRef(Py_True)) : NULL;
    }
done:
    rows_release(rows, nr);
    return res;
unsupported:
    Py_RETURN_NOTIMPLEMENTED;
}

/* ---------------- Book type ---------------- */
static int64_t pow10i(int k) { int64_t v = 1; while (k-- > 0) v *= 10; return v; }

static PyObject *Book_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    PyObject *symbol, *mirror = NULL; int depth, pp, qp;
    if (!PyArg_ParseTuple(args, "Uiii|O", &symbol, &depth, &pp, &qp, &mirror)) return NULL;
    if (pp < 0 || pp > 6 || qp < 0 || qp > 17) { PyErr_SetString(PyExc_ValueError, "precision outside the fast path"); return NULL; }
    Book *b = (Book *)tp->tp_alloc(tp, 0);
    if (!b) return NULL;
    Py_INCREF(symbol); b->symbol = symbol;
    b->depth = depth; b->pp = pp; b->qp = qp;
    b->max_pkey = pow10i(12 + pp);
    if (mirror && mirror != Py_None) {
        Py_INCREF(mirror); b->mirror = mirror;
        b->bids.msz = PyObject_GetAttrString(mirror, "_bid_sizes"); b->bids.mpr = PyObject_GetAttrString(mirror, "_bid_prices");
        b->asks.msz = PyObject_GetAttrString(mirror, "_ask_sizes"); b->asks.mpr = PyObject_GetAttrString(mirror, "_ask_prices");
        if (!b->bids.msz || !b->bids.mpr || !b->asks.msz || !b->asks.mpr || !PyDict_Check(b->bids.msz) || !PyList_Check(b->bids.mpr)) {
            Py_DECREF(b); if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "mirror"); return NULL;
        }
    }
    b->pspec = PyUnicode_FromFormat(".%df", pp); b->qspec = PyUnicode_FromFormat(".%df", qp);
    return (PyObject *)b;
}
static void Book_dealloc(Book *b)
{
    side_clear(&b->bids); side_clear(&b->asks);
    PyMem_Free(b->bids.lv); PyMem_Free(b->asks.lv);
    Py_XDECREF(b->symbol); Py_XDECREF(b->pspec); Py_XDECREF(b->qspec);
    Py_XDECREF(b->mirror); Py_XDECREF(b->bids.msz); Py_XDECREF(b->bids.mpr); Py_XDECREF(b->asks.msz); Py_XDECREF(b->asks.mpr);
    Py_TYPE(b)->tp_free((PyObject *)b);
}
static PyObject *side_list(Side *sd)
{
    PyObject *l = PyList_New(sd->n);
    for (Py_ssize_t i = 0; l && i < sd->n; i++)
        PyList_SET_ITEM(l, i, PyTuple_Pack(2, sd->lv[i].price, sd->lv[i].qty));
    return l;
}
static PyObject *Book_levels(Book *b, PyObject *unused)
{
    PyObject *bl = side_list(&b->bids), *al = side_list(&b->asks);
    PyObject *r = PyTuple_Pack(2, bl, al);
    Py_XDECREF(bl); Py_XDECREF(al);
    return r;
}
static PyObject *Book_info(Book *b, PyObject *unused)
{
    return Py_BuildValue("{s:i,s:K,s:L}", "synced", b->synced, "n_ok", (unsigned long long)b->n_ok, "ts", (long long)b->ts);
}
/* write(data, snapshot, ts): apply + checksum only (A-min: Python checks rows, builds the event) */
static PyObject *book_write(Book *b, PyObject *const *args, Py_ssize_t nargs)
{
    static Row rows[MAXROWS];
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "write(data, snapshot, ts)"); return NULL; }
    PyObject *data = args[0]; int snapshot = PyObject_IsTrue(args[1]);
    Py_ssize_t nr = 0, nb = 0, na = 0; PyObject *res = NULL;
    PyObject *bl = PyObject_GetAttr(data, S_bids), *al = PyObject_GetAttr(data, S_asks);
    PyObject *ck = PyObject_GetAttr(data, S_checksum);
    if (!bl || !al || !ck) goto done;
    nb = PyList_GET_SIZE(bl); na = PyList_GET_SIZE(al);
    if (nb + na > MAXROWS) { PyErr_SetString(PyExc_ValueError, "too many rows"); goto done; }
    for (Py_ssize_t i = 0; i < nb; i++, nr++) {
        rows[nr].price = rows[nr].qty = NULL;
        if (row_from_struct(b, &rows[nr], PyList_GET_ITEM(bl, i)) < 0) { nr++; goto done; }
    }
    for (Py_ssize_t i = 0; i < na; i++, nr++) {
        rows[nr].price = rows[nr].qty = NULL;
        if (row_from_struct(b, &rows[nr], PyList_GET_ITEM(al, i)) < 0) { nr++; goto done; }
    }
    res = finish(b, rows, nb, na, snapshot, PyLong_AsLongLong(ck), PyLong_AsLongLong(args[2]), NULL);
done:
    rows_release(rows, nr);
    Py_XDECREF(bl); Py_XDECREF(al); Py_XDECREF(ck);
    return res;
}

static PyMethodDef Book_methods[] = {
    {"write", (PyCFunction)(void (*)(void))book_write, METH_FASTCALL, "A-min"},
    {"apply", (PyCFunction)(void (*)(void))book_apply_struct, METH_FASTCALL, "design A"},
    {"levels", (PyCFunction)Book_levels, METH_NOARGS, NULL},
    {"info", (PyCFunction)Book_info, METH_NOARGS, NULL},
    {NULL}
};
static PyTypeObject BookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "kbook.Book",
    .tp_basicsize = sizeof(Book),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Book_new,
    .tp_dealloc = (destructor)Book_dealloc,
    .tp_methods = Book_methods,
};

static PyObject *setup(PyObject *mod, PyObject *args)
{
    PyObject *d, *bl, *bu, *fn, *v; long long mn, mx;
    if (!PyArg_ParseTuple(args, "OOOOULL", &d, &bl, &bu, &fn, &v, &mn, &mx)) return NULL;
    Py_INCREF(d); DecimalType = d; Py_INCREF(bl); BookLevelType = bl;
    Py_INCREF(bu); BookUpdateType = bu; Py_INCREF(fn); RfcFn = fn; Py_INCREF(v); Venue = v;
    MIN_TS = mn; MAX_TS = mx;
    Py_RETURN_NONE;
}

static PyObject *py_crc(PyObject *m, PyObject *args)
{
    Py_buffer b; unsigned int c = 0;
    if (!PyArg_ParseTuple(args, "y*|I", &b, &c)) return NULL;
    uint32_t r = crc_fast(c, b.buf, b.len);
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(r);
}
static PyMethodDef mod_methods[] = {
    {"crc", py_crc, METH_VARARGS, NULL},
    {"setup", setup, METH_VARARGS, NULL},
    {"feed", (PyCFunction)(void (*)(void))feed, METH_FASTCALL, "design B"},
    {NULL}
};
static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "kbook", NULL, -1, mod_methods};

PyMODINIT_FUNC PyInit_kbook(void)
{
    if (PyType_Ready(&BookType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moddef);
    if (!m) return NULL;
    Py_INCREF(&BookType); PyModule_AddObject(m, "Book", (PyObject *)&BookType);
    MismatchError = PyErr_NewException("kbook.ChecksumMismatch", NULL, NULL);
    PyModule_AddObject(m, "ChecksumMismatch", MismatchError); Py_INCREF(MismatchError);
    UpdKwnames = Py_BuildValue("(sssssss)", "venue", "symbol", "bids", "asks", "snapshot", "ts", "received");
    S_bids = PyUnicode_InternFromString("bids"); S_asks = PyUnicode_InternFromString("asks");
    S_checksum = PyUnicode_InternFromString("checksum"); S_timestamp = PyUnicode_InternFromString("timestamp");
    S_price = PyUnicode_InternFromString("price"); S_qty = PyUnicode_InternFromString("qty");
    S_symbol = PyUnicode_InternFromString("symbol"); S_book = PyUnicode_InternFromString("book"); S_ts = PyUnicode_InternFromString("ts");
    for (PyObject **p = (PyObject *[]){UpdKwnames}; 0; ) (void)p;
    /* kwnames must hold interned str */
    for (Py_ssize_t i = 0; i < 7; i++) { PyObject *s = PyTuple_GET_ITEM(UpdKwnames, i); Py_INCREF(s); PyUnicode_InternInPlace(&s); PyTuple_SET_ITEM(UpdKwnames, i, s); }
    return m;
}
