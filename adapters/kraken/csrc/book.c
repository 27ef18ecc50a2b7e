/* The Book type: the C side of one KrakenBook (adapters/kraken/book.py), a heap type.
 *
 * The KrakenBook is the source of truth: its OrderBook dict and list are what readers
 * see, and every write the Python path makes (a snapshot, a fallback update, new
 * precisions) ends with load(), which rebuilds this book from them; reset() follows the
 * KrakenBook's reset. feed() (module.c) then applies updates here and to the mirror in
 * one pass. A Book that cannot represent its mirror (a value the fast path refuses) is
 * simply not `valid`, and feed() hands its frames to the Python path.
 */
#include "kbook.h"
#include <stdlib.h>
#include <string.h>

/* fmt() of a Decimal: str() is the wire text for values msgspec decoded from plain
 * numbers; exponent forms (a trimmed 1E+2, a tiny 1E-7) go through format(v, ".Nf"),
 * as the Python path does. >= 0: the length; -1: not representable; -2: an error. */
static int dec_fmt(PyObject *v, PyObject *spec, int places, int int_digits, char *out,
                   int cap, int *canon, int *nonzero)
{
    Py_ssize_t n;
    int len = -1;
    PyObject *s = PyObject_Str(v);
    if (s == NULL)
        return -2;
    const char *t = PyUnicode_AsUTF8AndSize(s, &n);
    if (t == NULL) {
        Py_DECREF(s);
        return -2;
    }
    if (memchr(t, 'E', (size_t)n) == NULL)
        len = kb_fmt(t, n, places, int_digits, out, cap, canon, nonzero);
    else if (t[0] != '-' && !(t[n - 1] == 'N' || t[n - 1] == 'y')) { /* not NaN/Infinity */
        const char *e = memchr(t, 'E', (size_t)n);
        if (e[1] == '-' || atoi(e + 2) <= int_digits) { /* no gigantic fixed-point text */
            PyObject *f = PyObject_Format(v, spec);
            if (f == NULL) {
                Py_DECREF(s);
                return -2;
            }
            t = PyUnicode_AsUTF8AndSize(f, &n);
            len = t == NULL ? -2 : kb_fmt(t, n, places, int_digits, out, cap, canon, nonzero);
            *canon = 0; /* str() is not the fixed form: never reuse this object for a row */
            Py_DECREF(f);
        }
    }
    Py_DECREF(s);
    return len;
}

/* The mirror's depth (None: unbounded, 0 here), read again at every load(): a book's
 * depth is a public attribute. 0 done, -1 error. */
static int read_depth(State *st, Book *b)
{
    PyObject *depth = PyObject_GetAttr(b->mirror, st->s_depth);
    if (depth == NULL)
        return -1;
    Py_ssize_t value = depth == Py_None ? 0 : PyLong_AsSsize_t(depth);
    Py_DECREF(depth);
    if (value < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "negative depth");
        return -1;
    }
    b->depth = value;
    return 0;
}

static PyObject *book_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"mirror", "price_precision", "qty_precision", NULL};
    State *st = PyType_GetModuleState(tp);
    PyObject *mirror;
    int pp, qp;
    if (st == NULL || !PyArg_ParseTupleAndKeywords(args, kw, "Oii", kwlist, &mirror, &pp, &qp))
        return NULL;
    /* Decimals below 1e-30 or texts beyond KB_TEXTCAP: the Python path's job. */
    if (pp < 0 || pp > 30 || qp < 0 || qp > 30) {
        PyErr_SetString(PyExc_ValueError, "precisions outside the C book's range");
        return NULL;
    }
    Book *b = (Book *)tp->tp_alloc(tp, 0);
    if (b == NULL)
        return NULL;
    b->pp = pp;
    b->qp = qp;
    b->bids.bid = 1;
    b->mirror = Py_NewRef(mirror);
    b->symbol = PyObject_GetAttr(mirror, st->s_symbol);
    b->bids.sizes = PyObject_GetAttr(mirror, st->s_bid_sizes);
    b->bids.prices = PyObject_GetAttr(mirror, st->s_bid_prices);
    b->asks.sizes = PyObject_GetAttr(mirror, st->s_ask_sizes);
    b->asks.prices = PyObject_GetAttr(mirror, st->s_ask_prices);
    if (b->symbol == NULL || b->bids.sizes == NULL || b->bids.prices == NULL ||
        b->asks.sizes == NULL || b->asks.prices == NULL || read_depth(st, b) < 0)
        goto fail;
    if (!PyUnicode_Check(b->symbol) || !PyDict_CheckExact(b->bids.sizes) ||
        !PyDict_CheckExact(b->asks.sizes) || !PyList_CheckExact(b->bids.prices) ||
        !PyList_CheckExact(b->asks.prices)) {
        PyErr_SetString(PyExc_TypeError, "mirror must be an OrderBook");
        goto fail;
    }
    b->activity_key = PyTuple_Pack(2, st->s_book, b->symbol);
    b->pspec = PyUnicode_FromFormat(".%df", pp);
    b->qspec = PyUnicode_FromFormat(".%df", qp);
    if (b->activity_key == NULL || b->pspec == NULL || b->qspec == NULL)
        goto fail;
    return (PyObject *)b;
fail:
    Py_DECREF(b);
    return NULL;
}

/* Load one side from the mirror, best first. 1 done, 0 not representable, -1 error. */
static int load_side(Book *b, Side *sd)
{
    Py_ssize_t n = PyList_GET_SIZE(sd->prices);
    for (Py_ssize_t k = 0; k < n; k++) {
        char text[KB_TEXTCAP];
        int canon, qcanon, nonzero, plen, qlen;
        PyObject *price = PyList_GET_ITEM(sd->prices, sd->bid ? n - 1 - k : k);
        PyObject *qty = PyDict_GetItemWithError(sd->sizes, price);
        if (qty == NULL)
            return PyErr_Occurred() ? -1 : 0;
        plen = dec_fmt(price, b->pspec, b->pp, KB_PRICE_INT_DIGITS, text, KB_TEXTCAP, &canon,
                       &nonzero);
        if (plen < 0 || !nonzero)
            return plen == -2 ? -1 : 0;
        qlen = dec_fmt(qty, b->qspec, b->qp, KB_SIZE_INT_DIGITS, text + plen,
                       KB_TEXTCAP - plen, &qcanon, &nonzero);
        if (qlen < 0 || !nonzero)
            return qlen == -2 ? -1 : 0;
        if (kb_side_push(sd, price, qty, text, plen, plen + qlen, canon) < 0)
            return -1;
    }
    return 1;
}

static PyObject *book_load(Book *b, PyObject *Py_UNUSED(unused))
{
    State *st = PyType_GetModuleState(Py_TYPE(b));
    kb_side_clear(&b->bids);
    kb_side_clear(&b->asks);
    b->valid = b->written = 0;
    if (st == NULL || b->mirror == NULL)
        return NULL;
    PyObject *synced = PyObject_GetAttr(b->mirror, st->s_synced);
    if (synced == NULL || read_depth(st, b) < 0) {
        Py_XDECREF(synced);
        return NULL;
    }
    int yes = PyObject_IsTrue(synced), r = 0;
    Py_DECREF(synced);
    if (yes > 0 && (r = load_side(b, &b->bids)) > 0)
        r = load_side(b, &b->asks);
    if (yes < 0 || r < 0 || r == 0) {
        kb_side_clear(&b->bids);
        kb_side_clear(&b->asks);
        if (yes < 0 || r < 0)
            return NULL;
        Py_RETURN_FALSE;
    }
    b->ask_crc = kb_side_crc(&b->asks, 0);
    b->valid = 1;
    Py_RETURN_TRUE;
}

static PyObject *book_reset(Book *b, PyObject *Py_UNUSED(unused))
{
    kb_side_clear(&b->bids);
    kb_side_clear(&b->asks);
    b->valid = b->written = 0;
    Py_RETURN_NONE;
}

/* The whole book is reset through its owner, which resets this one too. */
int kb_book_reset_mirror(State *st, Book *b)
{
    PyObject *r = PyObject_CallMethodNoArgs(b->mirror, st->s_reset);
    b->valid = 0; /* even if the call failed */
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

static PyObject *side_levels(const Side *sd)
{
    PyObject *list = PyList_New(sd->n);
    for (Py_ssize_t i = 0; list != NULL && i < sd->n; i++) {
        const Level *lv = &sd->lv[i];
        PyObject *t = Py_BuildValue("(OOs#)", lv->price, lv->qty, lv->text, (Py_ssize_t)lv->tlen);
        if (t == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, t);
    }
    return list;
}

static PyObject *book_levels(Book *b, PyObject *Py_UNUSED(unused))
{
    PyObject *bids = side_levels(&b->bids), *asks = side_levels(&b->asks), *r = NULL;
    if (bids != NULL && asks != NULL)
        r = PyTuple_Pack(2, bids, asks);
    Py_XDECREF(bids);
    Py_XDECREF(asks);
    return r;
}

static PyObject *book_checksum(Book *b, PyObject *Py_UNUSED(unused))
{
    return PyLong_FromUnsignedLong(kb_side_crc(&b->bids, kb_side_crc(&b->asks, 0)));
}

static PyObject *get_valid(Book *b, void *Py_UNUSED(unused)) { return PyBool_FromLong(b->valid); }
static PyObject *get_written(Book *b, void *Py_UNUSED(unused)) { return PyBool_FromLong(b->written); }

static int book_traverse(Book *b, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(b)); /* a heap type's instances own a reference to it */
    Py_VISIT(b->mirror);
    Py_VISIT(b->bids.sizes);
    Py_VISIT(b->bids.prices);
    Py_VISIT(b->asks.sizes);
    Py_VISIT(b->asks.prices);
    return 0; /* the levels hold Decimals only: they cannot be part of a cycle */
}

static int book_clear(Book *b)
{
    b->valid = 0;
    kb_side_clear(&b->bids);
    kb_side_clear(&b->asks);
    Py_CLEAR(b->mirror);
    Py_CLEAR(b->bids.sizes);
    Py_CLEAR(b->bids.prices);
    Py_CLEAR(b->asks.sizes);
    Py_CLEAR(b->asks.prices);
    return 0;
}

static void book_dealloc(Book *b)
{
    PyTypeObject *tp = Py_TYPE(b);
    PyObject_GC_UnTrack(b);
    book_clear(b);
    PyMem_Free(b->bids.lv);
    PyMem_Free(b->asks.lv);
    Py_XDECREF(b->symbol);
    Py_XDECREF(b->activity_key);
    Py_XDECREF(b->pspec);
    Py_XDECREF(b->qspec);
    tp->tp_free((PyObject *)b);
    Py_DECREF(tp);
}

static PyMethodDef book_methods[] = {
    {"load", (PyCFunction)book_load, METH_NOARGS,
     "load() -> bool\n--\n\nRebuild from the mirror (its synced levels); False if the "
     "fast path cannot represent them (then the book is not valid)."},
    {"reset", (PyCFunction)book_reset, METH_NOARGS,
     "reset()\n--\n\nDrop every level: not valid until the next load()."},
    {"levels", (PyCFunction)book_levels, METH_NOARGS,
     "levels() -> tuple[list, list]\n--\n\n(bids, asks) best first, as (price, qty, text)."},
    {"checksum", (PyCFunction)book_checksum, METH_NOARGS,
     "checksum() -> int\n--\n\nKraken's CRC32 of the levels held."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef book_getset[] = {
    {"valid", (getter)get_valid, NULL, "In step with the mirror: feed() may apply updates.",
     NULL},
    {"written", (getter)get_written, NULL, "feed() applied updates since the last load().",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot book_slots[] = {
    {Py_tp_doc, "Book(mirror, price_precision, qty_precision)\n--\n\n"
                "The C side of one KrakenBook (its mirror), for feed()."},
    {Py_tp_new, book_new},
    {Py_tp_dealloc, book_dealloc},
    {Py_tp_traverse, book_traverse},
    {Py_tp_clear, book_clear},
    {Py_tp_methods, book_methods},
    {Py_tp_getset, book_getset},
    {0, NULL},
};

PyType_Spec kb_book_spec = {
    .name = "tickwire.adapters.kraken._kbook.Book",
    .basicsize = sizeof(Book),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = book_slots,
};
