/* One side of a KuCoin level2 increment (see kucoin.h): its rows turned into the
 * objects SequencedBook.apply makes (kc_make_side) and written into the OrderBook's dict
 * and ascending list as OrderBook._write does (kc_write_side), with the same Python
 * objects and the same bisect functions, so both paths leave equal books. */
#include "kucoin.h"

void kc_side_clear(Side *sd)
{
    for (Py_ssize_t i = 0; i < sd->n; i++) {
        Py_DECREF(sd->level[i]);
        Py_DECREF(sd->price[i]);
        Py_DECREF(sd->size[i]);
    }
    sd->n = 0;
}

/* One side's rows as SequencedBook.apply makes them (price-0 rows left out). 0 on
 * success, 1 when a row is not ours (nothing of the book touched), -1 on error. */
int kc_make_side(State *st, Row *rows, Py_ssize_t n, Side *sd)
{
    sd->n = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *ptext = kc_text(rows[i].price);
        if (ptext == NULL)
            return -1;
        PyObject *price = PyDict_GetItemWithError(st->prices, ptext);
        if (price != NULL)
            Py_INCREF(price);
        else if (!PyErr_Occurred())
            price = PyObject_CallOneArg(st->price_fn, ptext); /* parsed, checked, kept */
        Py_DECREF(ptext);
        if (price == NULL) {
            /* _price refused it (core's limits moved from the scanner's): not ours. */
            if (PyErr_ExceptionMatches(PyExc_ValueError) ||
                PyErr_ExceptionMatches(PyExc_ArithmeticError)) {
                PyErr_Clear();
                return 1;
            }
            return -1;
        }
        PyObject *size;
        if (rows[i].size.n == 1 && rows[i].size.s[0] == '0')
            size = Py_NewRef(st->zero); /* a deletion, as apply: no Decimal */
        else {
            PyObject *stext = kc_text(rows[i].size);
            size = stext == NULL ? NULL : PyObject_CallOneArg(st->decimal, stext);
            Py_XDECREF(stext);
        }
        if (size == NULL) {
            Py_DECREF(price);
            return -1;
        }
        int keep = PyObject_IsTrue(price);
        if (keep <= 0) { /* 0: a sequence-only row */
            Py_DECREF(price);
            Py_DECREF(size);
            if (keep < 0)
                return -1;
            continue;
        }
        PyObject *args[2] = {price, size};
        PyObject *level = PyObject_Vectorcall(st->level_type, args, 2, NULL);
        if (level == NULL) {
            Py_DECREF(price);
            Py_DECREF(size);
            return -1;
        }
        sd->level[sd->n] = level;
        sd->price[sd->n] = price;
        sd->size[sd->n] = size;
        sd->n++;
    }
    return 0;
}

/* OrderBook._write: checked levels into one side's dict and ascending list. */
int kc_write_side(State *st, PyObject *book, PyObject *s_sizes, PyObject *s_prices,
                      Side *sd)
{
    int rc = -1;
    PyObject *sizes = PyObject_GetAttr(book, s_sizes);
    PyObject *prices = sizes == NULL ? NULL : PyObject_GetAttr(book, s_prices);
    if (prices == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < sd->n; i++) {
        PyObject *price = sd->price[i], *size = sd->size[i];
        int nonzero = PyObject_IsTrue(size);
        int known = nonzero < 0 ? -1 : PySequence_Contains(sizes, price);
        if (known < 0)
            goto done;
        if (nonzero) {
            if (!known) {
                PyObject *args[2] = {prices, price};
                PyObject *r = PyObject_Vectorcall(st->insort, args, 2, NULL);
                if (r == NULL)
                    goto done;
                Py_DECREF(r);
            }
            if (PyObject_SetItem(sizes, price, size) < 0)
                goto done;
        }
        else if (known) {
            if (PyObject_DelItem(sizes, price) < 0)
                goto done;
            PyObject *args[2] = {prices, price};
            PyObject *at = PyObject_Vectorcall(st->bisect_left, args, 2, NULL);
            Py_ssize_t index = at == NULL ? -1 : PyLong_AsSsize_t(at);
            Py_XDECREF(at);
            if (index == -1 && PyErr_Occurred())
                goto done;
            if (PySequence_DelItem(prices, index) < 0)
                goto done;
        }
    }
    rc = 0;
done:
    Py_XDECREF(sizes);
    Py_XDECREF(prices);
    return rc;
}

PyObject *kc_side_tuple(Side *sd)
{
    PyObject *t = PyTuple_New(sd->n);
    if (t != NULL)
        for (Py_ssize_t i = 0; i < sd->n; i++)
            PyTuple_SET_ITEM(t, i, Py_NewRef(sd->level[i]));
    return t;
}

