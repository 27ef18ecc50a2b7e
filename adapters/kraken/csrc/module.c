/* tickwire.adapters.kraken._kbook: the Kraken book update path in C (issue 12).
 *
 * Why C: a checksummed depth-10 book message costs tickwire ~5 us of interpreted work
 * (decode, checks, write, 20 level texts, CRC, event), spread thin over many lines, so
 * no single Python hot spot is left to fix. feed() does it all in one call for the one
 * frame shape that matters, a book *update*: scan the bytes (text.c), check the values,
 * apply the rows to the C book and to the Python OrderBook it mirrors (side.c), verify
 * the CRC32 (crc.c), build the BookUpdate and push it. Anything else, or anything odd,
 * returns NotImplemented before touching anything, and the Python path takes the frame
 * as before, with its precise errors. See adapters/kraken/book.py for the wiring.
 * ticker() (ticker.c) does the same for a ticker update, registered here.
 *
 * PEP 489 multi-phase init: the imported objects live in the module state, the Book
 * type is a heap type, nothing is static and mutable.
 */
#include "kbook.h"
#include <string.h>

static inline State *get_state(PyObject *module) { return (State *)PyModule_GetState(module); }

/* Checksum texts of a side's rows at the book's precisions; 0 if one is refused. */
static int fmt_rows(Book *b, Row *rows, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        Row *r = &rows[i];
        int nonzero, qcanon;
        r->plen = kb_fmt(r->price.s, r->price.n, b->pp, KB_PRICE_INT_DIGITS, r->text,
                         KB_TEXTCAP, &r->canon, &nonzero);
        if (r->plen < 0 || !nonzero)
            return 0; /* a zero price is refused by the value rules */
        int qlen = kb_fmt(r->qty.s, r->qty.n, b->qp, KB_SIZE_INT_DIGITS, r->text + r->plen,
                          KB_TEXTCAP - r->plen, &qcanon, &nonzero);
        if (qlen < 0)
            return 0;
        r->zero = !nonzero;
        r->tlen = r->plen + qlen;
    }
    return 1;
}

static PyObject *decimal(State *st, Span s)
{
    PyObject *text = PyUnicode_FromStringAndSize(s.s, s.n); /* ASCII: kb_fmt checked it */
    if (text == NULL)
        return NULL;
    PyObject *d = PyObject_CallOneArg(st->decimal, text);
    Py_DECREF(text);
    return d;
}

/* The event's objects. A price whose level exists is that level's Decimal when both
 * texts are canonical (the same digits): fewer allocations, and its hash is cached. */
static int make_objects(State *st, Side *sd, Row *rows, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        Row *r = &rows[i];
        if (r->canon) {
            int found;
            Py_ssize_t j = kb_side_find(sd, r->text, r->plen, &found);
            if (found && sd->lv[j].canon)
                r->price_obj = Py_NewRef(sd->lv[j].price);
        }
        if (r->price_obj == NULL && (r->price_obj = decimal(st, r->price)) == NULL)
            return -1;
        if ((r->qty_obj = decimal(st, r->qty)) == NULL)
            return -1;
    }
    return 0;
}

static void release(Row *rows, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_CLEAR(rows[i].price_obj);
        Py_CLEAR(rows[i].qty_obj);
    }
}

static PyObject *levels_tuple(State *st, Row *rows, Py_ssize_t n)
{
    PyObject *t = PyTuple_New(n);
    for (Py_ssize_t i = 0; t != NULL && i < n; i++) {
        PyObject *args[2] = {rows[i].price_obj, rows[i].qty_obj};
        PyObject *level = PyObject_Vectorcall(st->level_type, args, 2, NULL);
        if (level == NULL)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, i, level);
    }
    return t;
}

/* Raise BookOutOfSync(symbol, reason) (the reference to reason is taken); NULL. */
static PyObject *out_of_sync(State *st, Book *b, PyObject *reason)
{
    PyObject *args[2] = {b->symbol, reason};
    PyObject *exc = PyObject_Vectorcall(st->out_of_sync, args, 2, NULL);
    if (exc != NULL) {
        PyErr_SetObject(st->out_of_sync, exc);
        Py_DECREF(exc);
    }
    Py_DECREF(reason);
    return NULL;
}

/* Apply, verify, build the event: the part after every check passed. NULL on error
 * (BookOutOfSync on a mismatch, after the owner reset the book). */
static PyObject *apply(State *st, Book *b, Update *u, PyObject *ts, PyObject *received)
{
    if ((u->nb && kb_side_apply(&b->bids, u->bids, u->nb, b->depth) < 0) ||
        (u->na && kb_side_apply(&b->asks, u->asks, u->na, b->depth) < 0)) {
        /* Half-applied: reset, then report. What the Python path's safety net turns
         * into BookOutOfSync (a KeyError: the OrderBook was written behind our back)
         * becomes one here too; anything else (MemoryError) propagates as it would. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (kb_book_reset_mirror(st, b) < 0)
            PyErr_Clear();
        PyErr_NormalizeException(&type, &value, &tb);
        if (value == NULL || !(PyErr_GivenExceptionMatches(type, PyExc_KeyError) ||
                               PyErr_GivenExceptionMatches(type, PyExc_ValueError) ||
                               PyErr_GivenExceptionMatches(type, PyExc_ArithmeticError))) {
            PyErr_Restore(type, value, tb);
            return NULL;
        }
        PyObject *reason = PyUnicode_FromFormat("invalid level: %R", value);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return reason == NULL ? NULL : out_of_sync(st, b, reason);
    }
    b->written = 1;
    if (u->na)
        b->ask_crc = kb_side_crc(&b->asks, 0);
    uint32_t local = kb_side_crc(&b->bids, b->ask_crc);
    if (PyObject_SetAttr(b->mirror, st->s_ts, ts) < 0)
        return NULL;
    if ((int64_t)local != u->checksum) {
        if (kb_book_reset_mirror(st, b) < 0)
            return NULL;
        PyObject *reason = PyUnicode_FromFormat("checksum mismatch: kraken %lld, local %lu",
                                                (long long)u->checksum, (unsigned long)local);
        return reason == NULL ? NULL : out_of_sync(st, b, reason);
    }
    PyObject *bids = levels_tuple(st, u->bids, u->nb), *asks = NULL, *event = NULL;
    if (bids != NULL && (asks = levels_tuple(st, u->asks, u->na)) != NULL) {
        PyObject *args[7] = {st->venue, b->symbol, bids, asks, Py_False, ts, received};
        event = PyObject_Vectorcall(st->update_type, args, 0, st->kwnames);
    }
    Py_XDECREF(bids);
    Py_XDECREF(asks);
    return event;
}

PyDoc_STRVAR(feed_doc,
"feed(books, frame, received, push, activity) -> None | NotImplemented\n--\n\n"
"Take one frame if it is a book update of a valid C book: record activity, apply,\n"
"verify, push the BookUpdate; None. NotImplemented (nothing touched) otherwise.\n"
"A checksum mismatch resets the book and raises BookOutOfSync.");

static PyObject *feed(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    State *st = get_state(module);
    Row bids[KB_MAXROWS], asks[KB_MAXROWS];
    Update u = {.bids = bids, .asks = asks};
    PyObject *cbook = NULL, *ts = NULL, *event = NULL, *result = NULL;
    int64_t ns;
    if (nargs != 5 || !PyDict_Check(args[0]) || !PyDict_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "feed(books, frame, received, push, activity)");
        return NULL;
    }
    PyObject *frame = args[1], *received = args[2];
    if (!PyBytes_CheckExact(frame) || !PyLong_CheckExact(received) ||
        !kb_scan(PyBytes_AS_STRING(frame), PyBytes_GET_SIZE(frame), &u))
        Py_RETURN_NOTIMPLEMENTED;
    PyObject *symbol = PyUnicode_DecodeUTF8(u.symbol.s, u.symbol.n, NULL);
    if (symbol == NULL) {
        PyErr_Clear(); /* bad UTF-8: msgspec reports it */
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *owner = PyDict_GetItemWithError(args[0], symbol); /* borrowed */
    Py_DECREF(symbol);
    if (owner == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NOTIMPLEMENTED; /* a late frame of an unsubscribed book */
    }
    if ((cbook = PyObject_GetAttr(owner, st->s_cbook)) == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return NULL;
        PyErr_Clear(); /* not a KrakenBook: the Python path knows what to do with it */
        Py_RETURN_NOTIMPLEMENTED;
    }
    for (Py_ssize_t i = 0; i < u.nb; i++)
        bids[i].price_obj = bids[i].qty_obj = NULL;
    for (Py_ssize_t i = 0; i < u.na; i++)
        asks[i].price_obj = asks[i].qty_obj = NULL;
    Book *b = (Book *)cbook;
    if (!Py_IS_TYPE(cbook, st->book_type) || !b->valid || b->mirror != owner)
        goto fallback; /* no fast book, or awaiting a snapshot */
    if (b->bids.n != PyList_GET_SIZE(b->bids.prices) ||
        b->asks.n != PyList_GET_SIZE(b->asks.prices)) {
        b->valid = 0; /* the OrderBook was written behind our back: the Python path */
        goto fallback; /* rebuilds its texts from it, then reloads this book */
    }
    if (!fmt_rows(b, bids, u.nb) || !fmt_rows(b, asks, u.na))
        goto fallback; /* a value the Python path refuses, or formats its own way */
    if (u.timestamp.s == NULL) {
        ts = Py_NewRef(received);
    }
    else {
        int r = kb_ts_parse(st, &b->tsc, u.timestamp, &ns);
        if (r < 0)
            goto done;
        if (r == 0 || ns < st->min_ts || ns > st->max_ts)
            goto fallback;
        if ((ts = PyLong_FromLongLong(ns)) == NULL)
            goto done;
    }
    /* The frame is ours from here: every check the Python path makes has passed. */
    if (PyDict_SetItem(args[4], b->activity_key, received) < 0 ||
        make_objects(st, &b->bids, bids, u.nb) < 0 || make_objects(st, &b->asks, asks, u.na) < 0)
        goto done;
    if ((event = apply(st, b, &u, ts, received)) == NULL)
        goto done;
    PyObject *pushed = PyObject_CallOneArg(args[3], event);
    if (pushed != NULL) {
        Py_DECREF(pushed);
        result = Py_NewRef(Py_None);
    }
    goto done;
fallback:
    result = Py_NewRef(Py_NotImplemented);
done:
    release(bids, u.nb);
    release(asks, u.na);
    Py_XDECREF(event);
    Py_XDECREF(ts);
    Py_DECREF(cbook);
    return result;
}

PyDoc_STRVAR(crc32_doc, "crc32(data, value=0, /) -> int\n--\n\nzlib.crc32's values.");

static PyObject *crc32(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer buf;
    unsigned int value = 0;
    if (!PyArg_ParseTuple(args, "y*|I:crc32", &buf, &value))
        return NULL;
    uint32_t crc = kb_crc32(value, buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLong(crc);
}

/* getattr(import_module(module), name), a new reference. */
static PyObject *import_attr(const char *module, const char *name)
{
    PyObject *m = PyImport_ImportModule(module);
    if (m == NULL)
        return NULL;
    PyObject *v = PyObject_GetAttrString(m, name);
    Py_DECREF(m);
    return v;
}

static int exec_module(PyObject *module)
{
    State *st = get_state(module);
    PyObject *v;
    st->book_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &kb_book_spec, NULL);
    if (st->book_type == NULL || PyModule_AddType(module, st->book_type) < 0)
        return -1;
    if ((st->decimal = import_attr("decimal", "Decimal")) == NULL ||
        (st->level_type = import_attr("tickwire.core.types", "BookLevel")) == NULL ||
        (st->update_type = import_attr("tickwire.core.types", "BookUpdate")) == NULL ||
        (st->rfc3339 = import_attr("tickwire.core.timestamps", "rfc3339_to_ns")) == NULL ||
        (st->out_of_sync = import_attr("tickwire.core.errors", "BookOutOfSync")) == NULL ||
        (st->venue = import_attr("tickwire.adapters.kraken.parse", "VENUE")) == NULL ||
        (st->ticker_type = import_attr("tickwire.core.types", "Ticker")) == NULL)
        return -1;
    if ((v = import_attr("tickwire.core.validation", "MIN_TS_NS")) == NULL)
        return -1;
    st->min_ts = PyLong_AsLongLong(v);
    Py_DECREF(v);
    if ((v = import_attr("tickwire.core.validation", "MAX_TS_NS")) == NULL)
        return -1;
    st->max_ts = PyLong_AsLongLong(v);
    Py_DECREF(v);
    if (PyErr_Occurred())
        return -1;
    /* vectorcall keyword names must be interned str */
    static const char *const keywords[7] = {"venue", "symbol", "bids",    "asks",
                                            "snapshot", "ts", "received"};
    if ((st->kwnames = PyTuple_New(7)) == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < 7; i++) {
        if ((v = PyUnicode_InternFromString(keywords[i])) == NULL)
            return -1;
        PyTuple_SET_ITEM(st->kwnames, i, v);
    }
    static const char *const ticker_keywords[10] = {
        "venue", "symbol", "bid", "bid_size", "ask", "ask_size", "last", "volume_24h", "ts",
        "received"};
    if ((st->ticker_kwnames = PyTuple_New(10)) == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < 10; i++) {
        if ((v = PyUnicode_InternFromString(ticker_keywords[i])) == NULL)
            return -1;
        PyTuple_SET_ITEM(st->ticker_kwnames, i, v);
    }
#define STR(field, text) \
    if ((st->field = PyUnicode_InternFromString(text)) == NULL) return -1;
    STR(s_cbook, "_cbook") STR(s_ts, "ts") STR(s_synced, "_synced") STR(s_reset, "reset")
    STR(s_symbol, "symbol") STR(s_depth, "depth") STR(s_book, "book")
    STR(s_bid_sizes, "_bid_sizes") STR(s_bid_prices, "_bid_prices")
    STR(s_ask_sizes, "_ask_sizes") STR(s_ask_prices, "_ask_prices") STR(s_ticker, "ticker")
#undef STR
    return 0;
}

#define STATE_OBJECTS(op)                                                                   \
    op(st->book_type); op(st->decimal); op(st->level_type); op(st->update_type);          \
    op(st->rfc3339); op(st->out_of_sync); op(st->venue); op(st->kwnames); op(st->s_cbook); \
    op(st->s_ts); op(st->s_synced); op(st->s_reset); op(st->s_symbol); op(st->s_depth);   \
    op(st->s_book); op(st->s_bid_sizes); op(st->s_bid_prices); op(st->s_ask_sizes);       \
    op(st->s_ask_prices); op(st->ticker_type); op(st->ticker_kwnames); op(st->s_ticker);   \
    op(st->tk_symbol); op(st->tk_key);                                                     \
    for (int i = 0; i < 6; i++) op(st->tk_dec[i].obj)

static int traverse_module(PyObject *module, visitproc visit, void *arg)
{
    State *st = get_state(module);
    STATE_OBJECTS(Py_VISIT);
    return 0;
}

static int clear_module(PyObject *module)
{
    State *st = get_state(module);
    STATE_OBJECTS(Py_CLEAR);
    return 0;
}

static void free_module(void *module) { clear_module((PyObject *)module); }

static PyMethodDef methods[] = {
    {"feed", (PyCFunction)(void (*)(void))feed, METH_FASTCALL, feed_doc},
    {"ticker", (PyCFunction)(void (*)(void))kb_ticker, METH_FASTCALL, kb_ticker_doc},
    {"crc32", crc32, METH_VARARGS, crc32_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "tickwire.adapters.kraken._kbook",
    .m_doc = "The Kraken book and ticker update paths in C (optional; see "
             "adapters/kraken/book.py).",
    .m_size = sizeof(State),
    .m_methods = methods,
    .m_slots = slots,
    .m_traverse = traverse_module,
    .m_clear = clear_module,
    .m_free = free_module,
};

PyMODINIT_FUNC PyInit__kbook(void) { return PyModuleDef_Init(&moduledef); }
