/* Compiled fast path of the ordering loop (tracetui.gotrace.reader._order_generation).
 *
 * It advances the head of the frontier while the head event is one the rule table gives a kind
 * (tracetui.gotrace.transitions: KERNEL_KIND) and the table's checks hold: a fast goroutine
 * transition (context, wire status, sequence number), a heap metric or an annotation (context),
 * a range of the M's goroutine or P beginning or ending (context, the ranges in flight); at
 * anything else it returns, and Python takes the next step with order.py's rules. The rule itself
 * is not written here: configure() receives it as transitions.kernel_table(). The state it
 * touches is the Python objects themselves (the frontier list of _Cursor, the g_states, p_states
 * and m_states dicts of GState/PState/MState, their ranges lists of (start event type, 0)
 * tuples), through their __slots__ offsets, so both paths share one state and give identical
 * results.
 *
 * Optional: without a C compiler tracetui runs the same loop in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>

/* The rule, one row of 256 bytes (by event type) each, in transitions.kernel_table()'s order. */
enum { R_KIND, R_RES_A0, R_W_FROM, R_W_TO, R_SEQ, R_CTX_G, R_REQ_P, R_REQ_G, R_RANGE, R_ROWS };
/* transitions.K_*: what the kernel does with an event type (K_NONE: Python's). */
enum { K_NONE, K_GO, K_METRIC, K_G_BEGIN, K_G_END, K_P_BEGIN, K_P_END, K_ANNOTATION, K_COUNT };
enum { CTX_KEEP = 0, CTX_RES = 1, CTX_NONE = 2 };  /* transitions.KEEP, RES, NO_G */
enum { REQ_MUST_NOT = 0, REQ_MAY = 1, REQ_MUST = 2 };
static uint8_t rule[R_ROWS][256];
/* Per range event type: its key in the ranges lists, (start event type, 0); else NULL. */
static PyObject *range_key[256];

/* __slots__ offsets, looked up once by configure(). */
static Py_ssize_t off_c_i, off_c_n, off_c_time, off_c_base, off_c_m, off_c_cid;
static Py_ssize_t off_g_status, off_g_sgen, off_g_seq, off_g_ranges, off_p_ranges;
static Py_ssize_t off_m_g, off_m_p;
static int configured = 0;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static int slot_offset(PyObject *cls, const char *name, Py_ssize_t *out) {
    PyObject *d = PyObject_GetAttrString(cls, name);
    if (d == NULL) return -1;
    if (!PyObject_TypeCheck(d, &PyMemberDescr_Type)) {
        Py_DECREF(d);
        PyErr_Format(PyExc_TypeError, "%s is not a __slots__ member", name);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != T_OBJECT_EX && m->type != T_OBJECT) {
        Py_DECREF(d);
        PyErr_Format(PyExc_TypeError, "%s is not an object slot", name);
        return -1;
    }
    *out = m->offset;
    Py_DECREF(d);
    return 0;
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *cursor_cls, *gstate_cls, *mstate_cls, *pstate_cls;
    Py_buffer table;
    if (!PyArg_ParseTuple(args, "OOOOy*", &cursor_cls, &gstate_cls, &mstate_cls, &pstate_cls, &table)) return NULL;
    if (table.len != (Py_ssize_t)sizeof(rule)) {
        PyBuffer_Release(&table);
        PyErr_SetString(PyExc_ValueError, "table: transitions.kernel_table()");
        return NULL;
    }
    memcpy(rule, table.buf, sizeof(rule));
    PyBuffer_Release(&table);
    configured = 0;
    for (int t = 0; t < 256; t++) { /* a fast event neither creates nor removes its goroutine */
        uint8_t kind = rule[R_KIND][t];
        if (kind >= K_COUNT ||
            (kind == K_GO && (rule[R_W_FROM][t] == 0 || rule[R_W_TO][t] == 0 || rule[R_W_TO][t] > 4))) {
            PyErr_Format(PyExc_ValueError, "table: event %d cannot be kind %d", t, kind);
            return NULL;
        }
        Py_CLEAR(range_key[t]);
        if (kind >= K_G_BEGIN && kind <= K_P_END) {
            range_key[t] = Py_BuildValue("(ii)", (int)rule[R_RANGE][t], 0);
            if (range_key[t] == NULL) return NULL;
        }
    }
    if (slot_offset(cursor_cls, "i", &off_c_i) || slot_offset(cursor_cls, "n", &off_c_n) ||
        slot_offset(cursor_cls, "time", &off_c_time) || slot_offset(cursor_cls, "base", &off_c_base) ||
        slot_offset(cursor_cls, "m", &off_c_m) || slot_offset(cursor_cls, "cid", &off_c_cid) ||
        slot_offset(gstate_cls, "status", &off_g_status) || slot_offset(gstate_cls, "sgen", &off_g_sgen) ||
        slot_offset(gstate_cls, "seq", &off_g_seq) || slot_offset(gstate_cls, "ranges", &off_g_ranges) ||
        slot_offset(pstate_cls, "ranges", &off_p_ranges) || slot_offset(mstate_cls, "g", &off_m_g) ||
        slot_offset(mstate_cls, "p", &off_m_p))
        return NULL;
    configured = 1;
    Py_RETURN_NONE;
}

/* Replace a slot's value, taking a new reference to v (stolen if steal). */
static inline void set_slot(PyObject *obj, Py_ssize_t off, PyObject *v, int steal) {
    PyObject **p = (PyObject **)((char *)obj + off);
    PyObject *old = *p;
    if (!steal) Py_INCREF(v);
    *p = v;
    Py_XDECREF(old);
}

/* An int's value; ints of one or two digits (below 2**60) read without a call on CPython 3.11. */
static inline int64_t as_i64(PyObject *v, int *err) {
#if PY_VERSION_HEX < 0x030C0000
    if (PyLong_CheckExact(v)) {
        const digit *d = ((PyLongObject *)v)->ob_digit;
        switch (Py_SIZE(v)) {
        case 0:
            return 0;
        case 1:
            return (int64_t)d[0];
        case -1:
            return -(int64_t)d[0];
        case 2:
            return (int64_t)d[0] | ((int64_t)d[1] << PyLong_SHIFT);
        default:
            break;
        }
    }
#endif
    int64_t x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred()) *err = 1;
    return x;
}

/* A non-negative int's value (as_i64's fast path, else PyLong_AsUnsignedLongLong). */
static inline unsigned long long as_u64(PyObject *v) {
#if PY_VERSION_HEX < 0x030C0000
    if (PyLong_CheckExact(v) && Py_SIZE(v) >= 0 && Py_SIZE(v) <= 2) {
        int err = 0;
        return (unsigned long long)as_i64(v, &err);
    }
#endif
    return PyLong_AsUnsignedLongLong(v);
}

typedef struct {
    Py_ssize_t len; /* events every column holds */
    const uint8_t *typ;
    const int64_t *times;
    const uint64_t *a0, *a1;
    Py_buffer b_typ, b_times, b_a0, b_a1;
    int ready; /* the buffers are held (taken when the cursor first heads the frontier) */
} CursorData;

/* Take cursor cid's column buffers from columns[cid], a tuple (typ, times, a0, a1). */
static int cursor_data(PyObject *columns, CursorData *d, Py_ssize_t cid) {
    PyObject *t = PyList_GET_ITEM(columns, cid);
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 4) {
        PyErr_SetString(PyExc_TypeError, "columns: tuples of 4 buffers");
        return -1;
    }
    Py_buffer *b[4] = {&d->b_typ, &d->b_times, &d->b_a0, &d->b_a1};
    for (int j = 0; j < 4; j++)
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(t, j), b[j], PyBUF_SIMPLE)) {
            while (j-- > 0) PyBuffer_Release(b[j]);
            return -1;
        }
    d->typ = d->b_typ.buf;
    d->times = d->b_times.buf;
    d->a0 = d->b_a0.buf;
    d->a1 = d->b_a1.buf;
    Py_ssize_t len = d->b_typ.len;
    for (int j = 1; j < 4; j++)
        if (b[j]->len / 8 < len) len = b[j]->len / 8;
    d->len = len;
    d->ready = 1;
    return 0;
}

static int cursor_time(PyObject *c, int64_t *t) {
    int err = 0;
    *t = as_i64(SLOT(c, off_c_time), &err);
    return err ? -1 : 0;
}

/* Write a cursor's position back to its slots. */
static int flush_cursor(PyObject *bc, int64_t k, int64_t time) {
    PyObject *i_obj = PyLong_FromLongLong(k), *t_obj = PyLong_FromLongLong(time);
    if (i_obj == NULL || t_obj == NULL) {
        Py_XDECREF(i_obj);
        Py_XDECREF(t_obj);
        return -1;
    }
    set_slot(bc, off_c_i, i_obj, 1);
    set_slot(bc, off_c_time, t_obj, 1);
    return 0;
}

/* Go's heapSiftDown over the frontier list, comparing cursor times. */
static int sift_down(PyObject *heap, Py_ssize_t i) {
    Py_ssize_t n = PyList_GET_SIZE(heap);
    for (;;) {
        Py_ssize_t m = i;
        int64_t mt = INT64_MAX, t;
        if (i < n) {
            if (cursor_time(PyList_GET_ITEM(heap, i), &mt)) return -1;
        }
        Py_ssize_t c = 2 * i + 1;
        if (c < n) {
            if (cursor_time(PyList_GET_ITEM(heap, c), &t)) return -1;
            if (t < mt) { mt = t; m = c; }
        }
        c++;
        if (c < n) {
            if (cursor_time(PyList_GET_ITEM(heap, c), &t)) return -1;
            if (t < mt) { m = c; }
        }
        if (m == i) return 0;
        PyObject *a = PyList_GET_ITEM(heap, i), *b = PyList_GET_ITEM(heap, m);
        PyList_SET_ITEM(heap, i, b);
        PyList_SET_ITEM(heap, m, a);
        i = m;
    }
}

static inline int req_ok(uint8_t req, int64_t have) {
    return req == REQ_MAY || (req == REQ_MUST ? have != -1 : have == -1);
}

/* A range event on its goroutine's or P's ranges, as order.py's _begin_range (the key must not be
 * in flight; it is appended) or _end_range (the first range of the start type is replaced by the
 * last one, which is dropped). 1: done; 0: not possible, Python raises the error; -1: error. */
static int range_step(PyObject *ranges, uint8_t kind, uint8_t t) {
    if (ranges == NULL || !PyList_CheckExact(ranges)) return 0;
    PyObject *key = range_key[t];
    if (kind == K_G_BEGIN || kind == K_P_BEGIN) {
        int r = PySequence_Contains(ranges, key);
        if (r != 0) return r < 0 ? -1 : 0;
        return PyList_Append(ranges, key) < 0 ? -1 : 1;
    }
    Py_ssize_t n = PyList_GET_SIZE(ranges);
    int64_t start = rule[R_RANGE][t];
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PyList_GET_ITEM(ranges, i);
        if (!PyTuple_CheckExact(r) || PyTuple_GET_SIZE(r) < 1 || !PyLong_CheckExact(PyTuple_GET_ITEM(r, 0)))
            return 0;
        int err = 0;
        int64_t typ = as_i64(PyTuple_GET_ITEM(r, 0), &err);
        if (err) return -1;
        if (typ != start) continue;
        PyObject *last = PyList_GET_ITEM(ranges, n - 1);
        Py_INCREF(last);
        if (PyList_SetItem(ranges, i, last) < 0) return -1; /* steals last, drops the old item */
        return PyList_SetSlice(ranges, n - 1, n, NULL) < 0 ? -1 : 1;
    }
    return 0;
}

/* run(frontier, decoded_columns, g_states, p_states, m_states, gen, next_cpu, max_events, out)
 *   decoded_columns: list, per cursor id, of (typ, times, a0, a1) buffers
 *   next_cpu: time of the next CPU sample, or None
 *   out: writable int64 buffer of at least 4 * max_events items
 * Returns how many events were advanced (rows written to out). */
static PyObject *run(PyObject *self, PyObject *args) {
    PyObject *heap, *columns, *g_states, *p_states, *m_states, *gen_obj, *next_cpu_obj;
    Py_ssize_t max_events;
    Py_buffer outbuf;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!OOnw*", &PyList_Type, &heap, &PyList_Type, &columns, &PyDict_Type,
                          &g_states, &PyDict_Type, &p_states, &PyDict_Type, &m_states, &gen_obj, &next_cpu_obj,
                          &max_events, &outbuf))
        return NULL;
    int64_t *out = (int64_t *)outbuf.buf;
    if ((Py_ssize_t)(outbuf.len / sizeof(int64_t)) < 4 * max_events) {
        PyBuffer_Release(&outbuf);
        PyErr_SetString(PyExc_ValueError, "out buffer too small");
        return NULL;
    }
    int has_cpu = next_cpu_obj != Py_None;
    int64_t next_cpu = 0;
    int err = 0;
    if (has_cpu) next_cpu = as_i64(next_cpu_obj, &err);
    unsigned long long gen = PyLong_AsUnsignedLongLong(gen_obj);
    if (err || (gen == (unsigned long long)-1 && PyErr_Occurred())) {
        PyBuffer_Release(&outbuf);
        return NULL;
    }
    Py_ssize_t ncur = PyList_GET_SIZE(columns);
    CursorData *cd = PyMem_Calloc(ncur ? ncur : 1, sizeof(CursorData));
    if (cd == NULL) {
        PyBuffer_Release(&outbuf);
        return PyErr_NoMemory();
    }
    Py_ssize_t done = 0;
    PyObject *result = NULL;

    PyObject *small[5];
    for (int s = 0; s < 5; s++) small[s] = PyLong_FromLong(s); /* cached small ints */
    PyObject *minus_one = PyLong_FromLong(-1);

    /* The head cursor's fields live in C while it stays the head; its i and time slots are
     * written back (flush) when it stops being the head or the loop ends. */
    PyObject *bc = NULL, *ms = NULL;
    const CursorData *c = NULL;
    int64_t k = 0, n = 0, head_time = 0, base = 0, m = 0, child_min = INT64_MAX;
    int dirty = 0;
    while (done < max_events) {
        if (bc == NULL) {
            if (PyList_GET_SIZE(heap) == 0) break;
            bc = PyList_GET_ITEM(heap, 0);
            k = as_i64(SLOT(bc, off_c_i), &err);
            n = as_i64(SLOT(bc, off_c_n), &err);
            head_time = as_i64(SLOT(bc, off_c_time), &err);
            int64_t cid = as_i64(SLOT(bc, off_c_cid), &err);
            base = as_i64(SLOT(bc, off_c_base), &err);
            PyObject *m_obj = SLOT(bc, off_c_m);
            m = as_i64(m_obj, &err);
            if (err) goto fail_small;
            if (cid < 0 || cid >= ncur) break;
            c = &cd[cid];
            if (!c->ready && cursor_data(columns, &cd[cid], cid)) goto fail_small;
            ms = PyDict_GetItemWithError(m_states, m_obj);
            if (ms == NULL) {
                if (PyErr_Occurred()) goto fail_small;
                break;
            }
            child_min = INT64_MAX;
            Py_ssize_t hn = PyList_GET_SIZE(heap);
            int64_t ct;
            for (Py_ssize_t j = 1; j < 3 && j < hn; j++) {
                if (cursor_time(PyList_GET_ITEM(heap, j), &ct)) goto fail_small;
                if (ct < child_min) child_min = ct;
            }
        }
        if (k + 1 >= n) break;                         /* the cursor's last event: Python */
        if (has_cpu && next_cpu < head_time) break;    /* a CPU sample comes first */
        if (k < 0 || k + 1 >= c->len) break;           /* never read past the columns */
        uint8_t t = c->typ[k];
        uint8_t kind = rule[R_KIND][t];
        if (kind == K_NONE) break;
        int64_t mp = as_i64(SLOT(ms, off_m_p), &err);
        int64_t mg = as_i64(SLOT(ms, off_m_g), &err);
        if (err) goto fail_small;
        int64_t row_g = mg;
        if (kind == K_GO) {
            /* The context the event needs (M is known here); if not met, Python says why. */
            if (!req_ok(rule[R_REQ_P][t], mp) || !req_ok(rule[R_REQ_G][t], mg)) break;
            PyObject *key; /* new reference: the goroutine the event is about */
            if (rule[R_RES_A0][t]) {
                key = PyLong_FromUnsignedLongLong(c->a0[k]);
                if (key == NULL) goto fail_small;
            } else {
                if (mg == -1) break;
                key = SLOT(ms, off_m_g);
                Py_INCREF(key);
            }
            PyObject *st = PyDict_GetItemWithError(g_states, key);
            if (st == NULL) {
                Py_DECREF(key);
                if (PyErr_Occurred()) goto fail_small;
                break;
            }
            int64_t status = as_i64(SLOT(st, off_g_status), &err);
            if (err) {
                Py_DECREF(key);
                goto fail_small;
            }
            if (status != rule[R_W_FROM][t]) {
                Py_DECREF(key);
                break;
            }
            PyObject *seq_obj = NULL;
            if (rule[R_SEQ][t]) {
                uint64_t a1 = c->a1[k];
                unsigned long long sgen = as_u64(SLOT(st, off_g_sgen));
                unsigned long long seq = as_u64(SLOT(st, off_g_seq));
                if (PyErr_Occurred()) {
                    Py_DECREF(key);
                    goto fail_small;
                }
                if (sgen != gen || seq == UINT64_MAX || a1 != seq + 1) {
                    Py_DECREF(key);
                    break;
                }
                seq_obj = PyLong_FromUnsignedLongLong(a1);
                if (seq_obj == NULL) {
                    Py_DECREF(key);
                    goto fail_small;
                }
            }
            set_slot(st, off_g_status, small[rule[R_W_TO][t]], 0);
            if (seq_obj != NULL) set_slot(st, off_g_seq, seq_obj, 1);
            switch (rule[R_CTX_G][t]) {
            case CTX_RES:
                set_slot(ms, off_m_g, key, 1);
                key = NULL;
                break;
            case CTX_NONE:
                set_slot(ms, off_m_g, minus_one, 0);
                break;
            default:
                break;
            }
            Py_XDECREF(key);
        } else {
            /* Every other kind needs an M and a P; an annotation and a goroutine range also a G
             * (order.go's userGoReqs), and a range the state of its goroutine or P (else Python's
             * error). */
            if (m == -1 || mp == -1) break;
            if (kind == K_ANNOTATION) {
                if (mg == -1) break;
            } else if (kind != K_METRIC) {
                int of_g = kind == K_G_BEGIN || kind == K_G_END;
                if (of_g && mg == -1) break;
                PyObject *owner = of_g ? PyDict_GetItemWithError(g_states, SLOT(ms, off_m_g))
                                       : PyDict_GetItemWithError(p_states, SLOT(ms, off_m_p));
                if (owner == NULL) {
                    if (PyErr_Occurred()) goto fail_small;
                    break;
                }
                int r = range_step(SLOT(owner, of_g ? off_g_ranges : off_p_ranges), kind, t);
                if (r < 0) goto fail_small;
                if (r == 0) break;
            }
        }
        out[4 * done] = base + k;
        out[4 * done + 1] = m;
        out[4 * done + 2] = mp;
        out[4 * done + 3] = row_g;
        done++;
        /* Next event of the same cursor (k + 1 < n here); the heap holds while it is first. */
        k++;
        head_time = c->times[k];
        dirty = 1;
        if (child_min < head_time) {
            if (flush_cursor(bc, k, head_time)) goto fail_small;
            dirty = 0;
            if (sift_down(heap, 0)) goto fail_small;
            bc = NULL;
        }
    }
    if (dirty && flush_cursor(bc, k, head_time)) goto fail_small;
    result = PyLong_FromSsize_t(done);

fail_small:
    for (int s = 0; s < 5; s++) Py_XDECREF(small[s]);
    Py_XDECREF(minus_one);
    for (Py_ssize_t j = 0; j < ncur; j++) {
        if (!cd[j].ready) continue;
        PyBuffer_Release(&cd[j].b_typ);
        PyBuffer_Release(&cd[j].b_times);
        PyBuffer_Release(&cd[j].b_a0);
        PyBuffer_Release(&cd[j].b_a1);
    }
    PyMem_Free(cd);
    PyBuffer_Release(&outbuf);
    return result;
}

/* frame(step, starts_of_batches, ends_of_batches, out) -> count or -1
 * Walks each batch's tokens: an event starts at k, the next at step[k]; writes the event
 * starts to out (int64). Returns -1 if a batch does not end exactly at its last token. */
static PyObject *frame(PyObject *self, PyObject *args) {
    Py_buffer step_b, bs_b, be_b, out_b;
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &step_b, &bs_b, &be_b, &out_b)) return NULL;
    const int64_t *step = step_b.buf, *bs = bs_b.buf, *be = be_b.buf;
    int64_t *out = out_b.buf;
    Py_ssize_t nb = bs_b.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t nstep = step_b.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t cap = out_b.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n = 0;
    int ok = 1;
    for (Py_ssize_t b = 0; b < nb && ok; b++) {
        int64_t k = bs[b], stop = be[b];
        while (k < stop) {
            if (n >= cap || k < 0 || k >= nstep) { ok = 0; break; }
            out[n++] = k;
            k = step[k];
        }
        if (k != stop) ok = 0;
    }
    PyBuffer_Release(&step_b);
    PyBuffer_Release(&bs_b);
    PyBuffer_Release(&be_b);
    PyBuffer_Release(&out_b);
    return PyLong_FromSsize_t(ok ? n : -1);
}

static PyMethodDef methods[] = {
    {"frame", frame, METH_VARARGS, "frame(step, batch_starts, batch_ends, out): event start tokens."},
    {"configure", configure, METH_VARARGS,
     "configure(cursor_cls, gstate_cls, mstate_cls, pstate_cls, rule): find the slots, take the rule table."},
    {"run", run, METH_VARARGS, "Advance the frontier through the events the rule gives a kind."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_korder", "Compiled ordering fast path.", -1, methods};

PyMODINIT_FUNC PyInit__korder(void) { return PyModule_Create(&module); }
