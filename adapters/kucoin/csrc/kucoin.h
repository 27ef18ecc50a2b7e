/* Shared declarations of tickwire.adapters.kucoin._kucoin, the optional C path of a
 * KuCoin level2 increment (issue 12). See module.c for what the module does and why.
 *
 * Files: scan.c (the strict JSON scanner of one trade.l2update frame), module.c (module
 * state, the bound frame handler, the increment applied and delivered). No file keeps
 * mutable static state: everything lives in the module state or in the handler's own
 * tuple, so the module is safe to load in several (sub)interpreters.
 */
#ifndef TICKWIRE_KUCOIN_H
#define TICKWIRE_KUCOIN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Rows per side a C-scanned increment may carry: KuCoin sends a handful; more falls back. */
#define KC_MAXROWS 64
/* Value limits of tickwire.core.validation, as integer-digit counts: a price is below
 * MAX_PRICE = 1e12 (at most 12 integer digits), a size below MAX_SIZE = 1e18 (18). The
 * Python side (book.py) checks at import that core's limits still are these. */
#define KC_PRICE_INT_DIGITS 12
#define KC_SIZE_INT_DIGITS 18
/* A level2 frame's topic starts within its first this many bytes (KuCoin writes "type"
 * and "topic" first; the floor benchmark "topic" first); one further in is left to the
 * Python path (module.c, level2_topic). */
#define KC_TOPIC_WITHIN 96
/* The longest number text taken (longer ones, real or not, fall back). */
#define KC_NUMBER_CAP 48
/* tickwire.core.validation.TimestampMs: 2000-01-01 .. 2100-01-01, in ms. */
#define KC_MIN_TS_MS 946684800000LL
#define KC_MAX_TS_MS 4102444800000LL

typedef struct {
    const char *s;
    Py_ssize_t n;
} Span;

/* One row of an increment: its price and size texts (the row sequence is checked for
 * shape and not kept: a fresh increment applies every row, as SequencedBook.apply does). */
typedef struct {
    Span price, size;
} Row;

/* What kc_scan found in a frame: spans into the frame's bytes and the integers. */
typedef struct {
    Span topic, symbol;
    int64_t start, end, time;
    Row bids[KC_MAXROWS], asks[KC_MAXROWS];
    Py_ssize_t nbids, nasks;
} Update;

/* --- scan.c --- */
/* 1 when `frame` is a trade.l2update push in the shape KuCoin writes it, everything
 * checked as the Python path's decode would; 0 for anything else (not ours). */
int kc_scan(const char *frame, Py_ssize_t n, Update *u);

/* A span of checked ASCII as a str. */
static inline PyObject *kc_text(Span s) { return PyUnicode_DecodeASCII(s.s, s.n, NULL); }

/* --- module.c: the module state --- */
typedef struct {
    PyObject *decimal, *zero, *prices, *price_fn, *level_type, *update_type, *insort,
        *bisect_left, *kwnames;
    PyObject *s_taps, *s_primary, *s_session, *s_activity, *s_rejects, *s_max_jump, *s_book,
        *s_sequence, *s_depth, *s_truncate, *s_ts, *s_venue, *s_symbol, *s_push,
        *s_bid_sizes, *s_bid_prices, *s_ask_sizes, *s_ask_prices;
} State;

/* One side's levels: the BookLevels of the event and their price and size objects. */
typedef struct {
    PyObject *level[KC_MAXROWS], *price[KC_MAXROWS], *size[KC_MAXROWS];
    Py_ssize_t n;
} Side;

/* --- side.c: one side of an increment, made and written as SequencedBook.apply and
 * OrderBook.apply_levels do --- */
void kc_side_clear(Side *sd);
int kc_make_side(State *st, Row *rows, Py_ssize_t n, Side *sd);
int kc_write_side(State *st, PyObject *book, PyObject *s_sizes, PyObject *s_prices, Side *sd);
PyObject *kc_side_tuple(Side *sd);

#endif
