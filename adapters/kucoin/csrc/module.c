/* tickwire.adapters.kucoin._kucoin: the optional C path of a KuCoin level2 increment
 * (issue 12).
 *
 * handler(fallback, socket, shard, taps, books, events) returns the callable a KuCoin
 * shard socket takes as its on_frame (fallback: the unbound RoutedSocket.on_frame). For the overwhelmingly common frame, a
 * trade.l2update push for a synced book whose increment starts right after the book's
 * sequence, it does in one C call what RoutedSocket.on_frame, KucoinClient._on_level2 and
 * SequencedBook.apply do for it: the frame scanned strictly (scan.c), the rows checked and
 * turned into the same objects (prices through core.sync_book's _PRICES table and
 * _price, sizes through Decimal, "0" as core's ZERO), the topic's activity recorded, the
 * levels written into the OrderBook's dict and sorted list as OrderBook.apply_levels
 * does, sequence and ts set, the same BookUpdate pushed. Any other frame, and any odd
 * one (a tap installed, a socket not the primary, no book, a book not synced or after a
 * rejected increment, a straddle, a gap, a stale increment, anything the scanner does
 * not take), goes to `fallback` (RoutedSocket.on_frame) with nothing touched: the
 * Python path then handles it exactly as without the extension.
 *
 * It reads the private slots of core's SequencedBook (_book, _rejects, _venue) and
 * OrderBook (_bid_sizes, _bid_prices, _ask_sizes, _ask_prices) because it is a C twin
 * of SequencedBook.apply and OrderBook.apply_levels, which write exactly those; the
 * differential tests hold the two paths equal.
 */
#include "kucoin.h"

/* The handler's context tuple: (module, fallback, socket, shard, taps, books, events). */
enum { C_MODULE, C_FALLBACK, C_SOCKET, C_SHARD, C_TAPS, C_BOOKS, C_EVENTS, C_SIZE };

static inline State *get_state(PyObject *module) { return (State *)PyModule_GetState(module); }

/* The book's sequence when this increment is the fresh, contiguous case the C path is
 * for, else -1 (not ours) or -2 (error). */
static int fresh(State *st, PyObject *kbook, PyObject *book, Update *u)
{
    PyObject *v = PyObject_GetAttr(kbook, st->s_rejects);
    if (v == NULL) /* not a SequencedBook: the Python path's to judge */
        return PyErr_ExceptionMatches(PyExc_AttributeError) ? (PyErr_Clear(), -1) : -2;
    int rejects = PyObject_IsTrue(v); /* after a refused increment: apply resets it */
    Py_DECREF(v);
    if (rejects)
        return rejects < 0 ? -2 : -1;
    if ((v = PyObject_GetAttr(kbook, st->s_max_jump)) == NULL)
        return -2;
    int overflow = 0;
    long long max_jump = PyLong_Check(v) ? PyLong_AsLongLongAndOverflow(v, &overflow) : -1;
    Py_DECREF(v);
    if (PyErr_Occurred())
        return -2;
    if (overflow > 0)
        max_jump = INT64_MAX;
    if (max_jump < 0 || u->start > u->end || u->end - u->start > max_jump)
        return -1; /* the span rule refuses it: apply's error */
    if ((v = PyObject_GetAttr(book, st->s_sequence)) == NULL)
        return -2;
    long long sequence = PyLong_CheckExact(v) ? PyLong_AsLongLongAndOverflow(v, &overflow) : -1;
    Py_DECREF(v); /* None (not synced), or beyond int64: not ours */
    if (PyErr_Occurred())
        return -2;
    if (overflow || sequence < 0 || sequence == INT64_MAX || u->start != sequence + 1)
        return -1; /* buffering, stale, straddling or a gap: apply's other branches */
    return 0;
}

/* The increment applied and delivered: None; NotImplemented when not ours. */
static PyObject *apply(State *st, PyObject **ctx, Update *u, PyObject *received)
{
    PyObject *result = NULL, *symbol = NULL, *book = NULL, *topic = NULL, *session = NULL,
             *activity = NULL, *end = NULL, *ts = NULL, *depth = NULL;
    Side bids = {.n = 0}, asks = {.n = 0};
    if ((symbol = kc_text(u->symbol)) == NULL)
        return NULL;
    PyObject *kbook = PyDict_GetItemWithError(ctx[C_BOOKS], symbol); /* borrowed */
    Py_DECREF(symbol);
    if (kbook == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_NotImplemented); /* a stray */
    Py_INCREF(kbook);
    if ((book = PyObject_GetAttr(kbook, st->s_book)) == NULL) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError)) { /* not a SequencedBook */
            PyErr_Clear();
            result = Py_NewRef(Py_NotImplemented);
        }
        goto done;
    }
    int ok = fresh(st, kbook, book, u);
    if (ok != 0) {
        result = ok == -1 ? Py_NewRef(Py_NotImplemented) : NULL;
        goto done;
    }
    if ((ok = kc_make_side(st, u->bids, u->nbids, &bids)) == 0)
        ok = kc_make_side(st, u->asks, u->nasks, &asks);
    if (ok != 0) {
        result = ok == 1 ? Py_NewRef(Py_NotImplemented) : NULL;
        goto done;
    }
    /* Everything checked: from here on the book is written, as the Python path would. */
    if ((topic = kc_text(u->topic)) == NULL ||
        (session = PyObject_GetAttr(ctx[C_SOCKET], st->s_session)) == NULL ||
        (activity = PyObject_GetAttr(session, st->s_activity)) == NULL)
        goto done;
    ok = PySequence_Contains(activity, topic); /* RoutedSocket.on_frame's record */
    if (ok < 0 || (ok && PyObject_SetItem(activity, topic, received) < 0))
        goto done;
    if ((bids.n && kc_write_side(st, book, st->s_bid_sizes, st->s_bid_prices, &bids) < 0) ||
        (asks.n && kc_write_side(st, book, st->s_ask_sizes, st->s_ask_prices, &asks) < 0))
        goto done;
    if ((depth = PyObject_GetAttr(book, st->s_depth)) == NULL)
        goto done;
    if (depth != Py_None) {
        PyObject *r = PyObject_CallMethodNoArgs(book, st->s_truncate);
        if (r == NULL)
            goto done;
        Py_DECREF(r);
    }
    if ((end = PyLong_FromLongLong(u->end)) == NULL ||
        (ts = PyLong_FromLongLong(u->time * 1000000LL)) == NULL ||
        PyObject_SetAttr(book, st->s_sequence, end) < 0 ||
        PyObject_SetAttr(book, st->s_ts, ts) < 0) /* time >= 2000: never 0 */
        goto done;
    if (bids.n == 0 && asks.n == 0) {
        result = Py_NewRef(Py_None); /* sequence-only rows: nothing to deliver */
        goto done;
    }
    PyObject *venue = PyObject_GetAttr(kbook, st->s_venue);
    PyObject *name = venue == NULL ? NULL : PyObject_GetAttr(kbook, st->s_symbol);
    PyObject *tb = name == NULL ? NULL : kc_side_tuple(&bids);
    PyObject *ta = tb == NULL ? NULL : kc_side_tuple(&asks);
    PyObject *update = NULL;
    if (ta != NULL) {
        PyObject *args[8] = {venue, name, tb, ta, Py_False, end, ts, received};
        update = PyObject_Vectorcall(st->update_type, args, 0, st->kwnames);
    }
    Py_XDECREF(venue);
    Py_XDECREF(name);
    Py_XDECREF(tb);
    Py_XDECREF(ta);
    if (update == NULL)
        goto done;
    PyObject *push = PyObject_GetAttr(ctx[C_EVENTS], st->s_push);
    PyObject *r = push == NULL ? NULL : PyObject_CallOneArg(push, update);
    Py_XDECREF(push);
    Py_DECREF(update);
    if (r != NULL) {
        Py_DECREF(r);
        result = Py_NewRef(Py_None);
    }
done:
    kc_side_clear(&bids);
    kc_side_clear(&asks);
    Py_XDECREF(book);
    Py_XDECREF(topic);
    Py_XDECREF(session);
    Py_XDECREF(activity);
    Py_XDECREF(end);
    Py_XDECREF(ts);
    Py_XDECREF(depth);
    Py_DECREF(kbook);
    return result;
}

/* The test that spares every other frame (tickers) the scan: the frame's first '/' opens
 * a level2 topic. KuCoin writes "type" and "topic" first (the floor benchmark "topic"),
 * and neither "message" nor a subject holds a '/'; a topic further in than
 * KC_TOPIC_WITHIN bytes is left to the Python path. */
static inline int level2_topic(PyObject *frame)
{
    const char *s = PyBytes_AS_STRING(frame);
    Py_ssize_t n = Py_MIN(PyBytes_GET_SIZE(frame), KC_TOPIC_WITHIN);
    const char *slash = memchr(s, '/', (size_t)n);
    return slash != NULL && s + n - slash >= 15 && memcmp(slash, "/market/level2:", 15) == 0;
}

/* The socket's on_frame: the context tuple is `self`. */
static PyObject *on_frame(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    PyObject **ctx = &PyTuple_GET_ITEM(self, 0);
    if (nargs == 2 && kw == NULL && PyBytes_CheckExact(args[0]) && level2_topic(args[0])) {
        State *st = get_state(ctx[C_MODULE]);
        Update u;
        if (kc_scan(PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]), &u)) {
            PyObject *taps = PyObject_GetAttr(ctx[C_TAPS], st->s_taps);
            int tapped = taps == NULL ? -1 : PyObject_IsTrue(taps);
            Py_XDECREF(taps);
            if (tapped < 0)
                return NULL;
            PyObject *primary = tapped ? NULL : PyObject_GetAttr(ctx[C_SHARD], st->s_primary);
            if (!tapped && primary == NULL)
                return NULL;
            int ours = primary == ctx[C_SOCKET]; /* else held by an incoming socket */
            Py_XDECREF(primary);
            if (ours) {
                PyObject *r = apply(st, ctx, &u, args[1]);
                if (r != Py_NotImplemented)
                    return r;
                Py_DECREF(r);
            }
        }
    }
    /* fallback(socket, *args): the plain function, no bound method in between (this is
     * every other frame's path: a ticker pays one C call and this, nothing more). */
    Py_ssize_t total = nargs + (kw == NULL ? 0 : PyTuple_GET_SIZE(kw));
    PyObject *stack[8];
    if (total >= 8) {
        PyErr_SetString(PyExc_TypeError, "on_frame() takes frame and received");
        return NULL;
    }
    stack[0] = ctx[C_SOCKET];
    memcpy(stack + 1, args, (size_t)total * sizeof(PyObject *));
    return PyObject_Vectorcall(ctx[C_FALLBACK], stack, (size_t)nargs + 1, kw);
}

static PyMethodDef on_frame_def = {
    "on_frame", (PyCFunction)(void (*)(void))on_frame, METH_FASTCALL | METH_KEYWORDS,
    "on_frame(frame, received): a fresh level2 increment in C, else the fallback.",
};

PyDoc_STRVAR(handler_doc,
"handler(fallback, socket, shard, taps, books, events) -> on_frame\n--\n\n"
"The socket's on_frame: a fresh level2 increment for a synced book applied and pushed\n"
"in C; every other frame (or an odd one, nothing touched) to\n"
"fallback(socket, frame, received), fallback being RoutedSocket.on_frame itself.");

static PyObject *handler(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != C_SIZE - 1) {
        PyErr_SetString(PyExc_TypeError, "handler() takes 6 arguments");
        return NULL;
    }
    if (!PyDict_CheckExact(args[C_BOOKS - 1])) {
        PyErr_SetString(PyExc_TypeError, "handler(): books must be a dict");
        return NULL;
    }
    PyObject *ctx = PyTuple_New(C_SIZE);
    if (ctx == NULL)
        return NULL;
    PyTuple_SET_ITEM(ctx, C_MODULE, Py_NewRef(module));
    for (Py_ssize_t i = 0; i < nargs; i++)
        PyTuple_SET_ITEM(ctx, i + 1, Py_NewRef(args[i]));
    PyObject *f = PyCFunction_NewEx(&on_frame_def, ctx, NULL);
    Py_DECREF(ctx);
    return f;
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
    if ((st->decimal = import_attr("decimal", "Decimal")) == NULL ||
        (st->zero = import_attr("tickwire.core.validation", "ZERO")) == NULL ||
        (st->prices = import_attr("tickwire.core.sync_book", "_PRICES")) == NULL ||
        (st->price_fn = import_attr("tickwire.core.sync_book", "_price")) == NULL ||
        (st->level_type = import_attr("tickwire.core.types", "BookLevel")) == NULL ||
        (st->update_type = import_attr("tickwire.core.types", "BookUpdate")) == NULL ||
        (st->insort = import_attr("bisect", "insort")) == NULL ||
        (st->bisect_left = import_attr("bisect", "bisect_left")) == NULL)
        return -1;
    if (!PyDict_CheckExact(st->prices)) {
        PyErr_SetString(PyExc_TypeError, "tickwire.core.sync_book._PRICES is not a dict");
        return -1;
    }
    static const char *const names[8] = {"venue", "symbol", "bids", "asks",
                                         "snapshot", "sequence", "ts", "received"};
    PyObject *v;
    if ((st->kwnames = PyTuple_New(8)) == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < 8; i++) {
        if ((v = PyUnicode_InternFromString(names[i])) == NULL)
            return -1;
        PyTuple_SET_ITEM(st->kwnames, i, v);
    }
#define STR(field, text) \
    if ((st->field = PyUnicode_InternFromString(text)) == NULL) return -1;
    STR(s_taps, "taps") STR(s_primary, "primary") STR(s_session, "session")
    STR(s_activity, "activity") STR(s_rejects, "_rejects") STR(s_max_jump, "max_jump")
    STR(s_book, "_book") STR(s_sequence, "sequence") STR(s_depth, "depth")
    STR(s_truncate, "truncate") STR(s_ts, "ts") STR(s_venue, "_venue") STR(s_symbol, "symbol")
    STR(s_push, "push") STR(s_bid_sizes, "_bid_sizes") STR(s_bid_prices, "_bid_prices")
    STR(s_ask_sizes, "_ask_sizes") STR(s_ask_prices, "_ask_prices")
#undef STR
    return 0;
}

#define STATE_OBJECTS(op)                                                                  \
    op(st->decimal); op(st->zero); op(st->prices); op(st->price_fn); op(st->level_type);  \
    op(st->update_type); op(st->insort); op(st->bisect_left); op(st->kwnames);            \
    op(st->s_taps); op(st->s_primary); op(st->s_session); op(st->s_activity);             \
    op(st->s_rejects); op(st->s_max_jump); op(st->s_book); op(st->s_sequence);            \
    op(st->s_depth); op(st->s_truncate); op(st->s_ts); op(st->s_venue); op(st->s_symbol); \
    op(st->s_push); op(st->s_bid_sizes); op(st->s_bid_prices); op(st->s_ask_sizes);       \
    op(st->s_ask_prices)

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
    {"handler", (PyCFunction)(void (*)(void))handler, METH_FASTCALL, handler_doc},
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
    .m_name = "tickwire.adapters.kucoin._kucoin",
    .m_doc = "The KuCoin level2 increment path in C (optional; see adapters/kucoin/book.py).",
    .m_size = sizeof(State),
    .m_methods = methods,
    .m_slots = slots,
    .m_traverse = traverse_module,
    .m_clear = clear_module,
    .m_free = free_module,
};

PyMODINIT_FUNC PyInit__kucoin(void) { return PyModuleDef_Init(&moduledef); }
