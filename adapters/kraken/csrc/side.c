/* One side of the C book, kept in step with the Python OrderBook it mirrors.
 *
 * Levels are stored best first in one array, each with its checksum text, so the
 * checksum is a copy of the first ten texts and one CRC. The sort key is the price's
 * checksum text itself: it has exactly the instrument's decimals and no leading zeros,
 * so a longer text is a larger price and texts of one length compare as bytes. No
 * integer scaling, hence no limit on the price precision but the text's length.
 *
 * The OrderBook's dict (price -> size) and ascending price list are updated in the same
 * pass, in the same order as the Python path updates them, so client.book() and every
 * OrderBook reader see exactly what they saw before the C path existed. A dict key is
 * never replaced once in (its Decimal keeps its cached hash), as in the Python path.
 */
#include "kbook.h"
#include <string.h>

static inline int cmp(const Level *lv, const char *text, int plen)
{
    if (lv->plen != plen)
        return lv->plen < plen ? -1 : 1;
    return memcmp(lv->text, text, (size_t)plen);
}

/* The index of the price's level, or where it would go (*found says which). */
Py_ssize_t kb_side_find(const Side *sd, const char *text, int plen, int *found)
{
    Py_ssize_t lo = 0, hi = sd->n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) >> 1;
        int c = cmp(&sd->lv[mid], text, plen);
        if (sd->bid ? c > 0 : c < 0) /* still better than the price */
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < sd->n && cmp(&sd->lv[lo], text, plen) == 0;
    return lo;
}

static int grow(Side *sd)
{
    if (sd->n < sd->cap)
        return 0;
    Py_ssize_t cap = sd->cap ? sd->cap * 2 : 32;
    Level *lv = PyMem_Realloc(sd->lv, (size_t)cap * sizeof(Level));
    if (lv == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    sd->lv = lv;
    sd->cap = cap;
    return 0;
}

/* The position in the ascending Python list of the C level at `i` (or of a level to
 * be inserted at `i`, when `inserting`). */
static inline Py_ssize_t list_pos(const Side *sd, Py_ssize_t i, int inserting)
{
    return sd->bid ? sd->n - i - (inserting ? 0 : 1) : i;
}

static void drop(Side *sd, Py_ssize_t i)
{
    Py_DECREF(sd->lv[i].price);
    Py_DECREF(sd->lv[i].qty);
    memmove(&sd->lv[i], &sd->lv[i + 1], (size_t)(sd->n - i - 1) * sizeof(Level));
    sd->n--;
}

/* Apply rows in array order (qty 0 deletes; deleting an unknown price is a no-op), then
 * truncate to `depth` (0: unbounded). -1 with an exception set leaves the side and the
 * mirror out of step: the caller resets the whole book. */
int kb_side_apply(Side *sd, Row *rows, Py_ssize_t nr, Py_ssize_t depth)
{
    for (Py_ssize_t r = 0; r < nr; r++) {
        Row *row = &rows[r];
        int found;
        Py_ssize_t i = kb_side_find(sd, row->text, row->plen, &found);
        if (!row->zero) {
            Level *lv;
            if (found) {
                lv = &sd->lv[i];
                if (PyDict_SetItem(sd->sizes, lv->price, row->qty_obj) < 0)
                    return -1;
                Py_SETREF(lv->qty, Py_NewRef(row->qty_obj));
            }
            else {
                if (PyDict_SetItem(sd->sizes, row->price_obj, row->qty_obj) < 0 ||
                    PyList_Insert(sd->prices, list_pos(sd, i, 1), row->price_obj) < 0 ||
                    grow(sd) < 0)
                    return -1;
                memmove(&sd->lv[i + 1], &sd->lv[i], (size_t)(sd->n - i) * sizeof(Level));
                sd->n++;
                lv = &sd->lv[i];
                lv->price = Py_NewRef(row->price_obj);
                lv->qty = Py_NewRef(row->qty_obj);
                lv->plen = row->plen;
                lv->canon = row->canon;
            }
            lv->tlen = row->tlen;
            memcpy(lv->text, row->text, (size_t)row->tlen);
        }
        else if (found) {
            Py_ssize_t pos = list_pos(sd, i, 0);
            if (PyDict_DelItem(sd->sizes, sd->lv[i].price) < 0 ||
                PyList_SetSlice(sd->prices, pos, pos + 1, NULL) < 0)
                return -1;
            drop(sd, i);
        }
    }
    if (depth > 0 && sd->n > depth) {
        /* the worst levels: the end of the C array; the front of the bid list, the back
         * of the ask list */
        Py_ssize_t excess = sd->n - depth;
        for (Py_ssize_t i = depth; i < sd->n; i++)
            if (PyDict_DelItem(sd->sizes, sd->lv[i].price) < 0)
                return -1;
        if ((sd->bid ? PyList_SetSlice(sd->prices, 0, excess, NULL)
                     : PyList_SetSlice(sd->prices, depth, sd->n, NULL)) < 0)
            return -1;
        while (sd->n > depth) {
            sd->n--;
            Py_DECREF(sd->lv[sd->n].price);
            Py_DECREF(sd->lv[sd->n].qty);
        }
    }
    return 0;
}

/* Append a level below the current worst (loading a book best first). */
int kb_side_push(Side *sd, PyObject *price, PyObject *qty, const char *text, int plen,
                 int tlen, int canon)
{
    if (grow(sd) < 0)
        return -1;
    Level *lv = &sd->lv[sd->n++];
    lv->price = Py_NewRef(price);
    lv->qty = Py_NewRef(qty);
    lv->plen = plen;
    lv->tlen = tlen;
    lv->canon = canon;
    memcpy(lv->text, text, (size_t)tlen);
    return 0;
}

void kb_side_clear(Side *sd)
{
    while (sd->n > 0) {
        sd->n--;
        Py_DECREF(sd->lv[sd->n].price);
        Py_DECREF(sd->lv[sd->n].qty);
    }
}

/* The side's half of the checksum, continuing `crc`: its top ten texts, best first. */
uint32_t kb_side_crc(const Side *sd, uint32_t crc)
{
    unsigned char buf[KB_CKL * KB_TEXTCAP];
    size_t o = 0;
    Py_ssize_t n = sd->n < KB_CKL ? sd->n : KB_CKL;
    for (Py_ssize_t i = 0; i < n; i++) {
        memcpy(buf + o, sd->lv[i].text, (size_t)sd->lv[i].tlen);
        o += (size_t)sd->lv[i].tlen;
    }
    return kb_crc32(crc, buf, o);
}
