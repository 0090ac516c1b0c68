/* Compiled v1 scan (tracetui.gotrace.v1.wire's ordinary events, and columns' transitions).
 *
 * run() decodes a run of ordinary events (types that carry only numbers, valid for the
 * version, Go's exact argument count, well-formed varints as Go's binary.Uvarint reads
 * them) from a position of one batch that still decodes cleanly, straight into the final
 * per-event columns: the timestamp (batch ticks plus the running sum of deltas, int64
 * wrapping), the G (Go's lastG of the batch's P, or the event's own), the P, the type, the
 * stack id split out of the arguments, the arguments and the batch number. It stops at the
 * first event that is not such an event (a special type, anything odd or an error) and
 * leaves it to wire.scan's event-by-event code, which reports Go's error.
 *
 * transitions() is columns.transitions in one pass: Go's stateTransition per row.
 *
 * Optional: without a C compiler tracetui runs the Python and numpy path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Go's binary.Uvarint on buf[*pos:end]: 0 if it is malformed or cut. */
static inline int uvarint(const uint8_t *buf, Py_ssize_t *pos, Py_ssize_t end, uint64_t *v) {
    uint64_t x = 0;
    Py_ssize_t p = *pos;
    for (int j = 0; j < 10; j++) {
        if (p >= end) return 0;
        uint8_t c = buf[p++];
        if (c < 0x80) {
            if (j == 9 && c > 1) return 0;
            *v = x | ((uint64_t)c << (7 * j));
            *pos = p;
            return 1;
        }
        x |= (uint64_t)(c & 0x7F) << (7 * j);
    }
    return 0;
}

enum { G_NONE = 0, G_START = 1, G_STOP = 2, G_OWN = 3 };

/* run(buf, pos, limit, table, ts, g, p, typ, stk, args, batch, row, ts_run, lastg, pid, bno)
 *   -> (pos, row, ts_run, lastg)
 * table: 4 bytes per type (64 types): Go's argument count (0: not ordinary), the number of
 * named arguments, whether a stack id follows them, the G class (G_*). At most `limit`
 * events are decoded. */
static PyObject *run(PyObject *self, PyObject *a) {
    Py_buffer bb, tb, ob[7];
    Py_ssize_t pos, limit, row;
    long long ts_run;
    unsigned long long lastg;
    int pid, bno;
    if (!PyArg_ParseTuple(a, "y*nny*w*w*w*w*w*w*w*nLKii", &bb, &pos, &limit, &tb, &ob[0], &ob[1], &ob[2], &ob[3],
                          &ob[4], &ob[5], &ob[6], &row, &ts_run, &lastg, &pid, &bno))
        return NULL;
    PyObject *res = NULL;
    const uint8_t *buf = bb.buf;
    const uint8_t *table = tb.buf;
    Py_ssize_t n = bb.len;
    Py_ssize_t cap = ob[3].len;
    if (tb.len < 256 || ob[0].len < cap * 8 || ob[1].len < cap * 8 || ob[2].len < cap * 4 || ob[4].len < cap * 4 ||
        ob[5].len < cap * 32 || ob[6].len < cap * 4 || row < 0 || pos < 0) {
        PyErr_SetString(PyExc_ValueError, "_kv1scan.run: bad arguments");
        goto done;
    }
    int64_t *o_ts = ob[0].buf;
    uint64_t *o_g = ob[1].buf;
    int32_t *o_p = ob[2].buf;
    uint8_t *o_typ = ob[3].buf;
    uint32_t *o_stk = ob[4].buf;
    uint64_t *o_args = ob[5].buf;
    int32_t *o_batch = ob[6].buf;
    uint64_t ts = (uint64_t)ts_run; /* wrapping sum */
    uint64_t lg = lastg;
    Py_ssize_t stop = row + (limit < cap - row ? limit : cap - row);
    while (pos < n && row < stop) {
        Py_ssize_t p = pos;
        uint8_t b = buf[p++];
        const uint8_t *d = table + 4 * (b & 0x3F);
        int want = d[0];
        if (want == 0) break;
        int narg = (b >> 6) + 1;
        uint64_t v[5];
        if (narg <= 3) {
            if (narg != want) break;
            int ok = 1;
            for (int i = 0; i < narg && ok; i++) ok = uvarint(buf, &p, n, &v[i]);
            if (!ok) break;
        } else {
            uint64_t ln;
            if (!uvarint(buf, &p, n, &ln) || ln > 2048 || p >= n || (uint64_t)(n - p) < ln) break;
            Py_ssize_t e = p + (Py_ssize_t)ln;
            int k = 0, ok = 1;
            while (p < e) {
                uint64_t x;
                if (k >= want || !uvarint(buf, &p, e, &x)) {
                    ok = 0;
                    break;
                }
                v[k++] = x;
            }
            if (!ok || k != want) break;
        }
        /* A row. */
        int na = d[1], cls = d[3];
        uint64_t *ar = o_args + 4 * row;
        ar[0] = ar[1] = ar[2] = ar[3] = 0;
        for (int i = 0; i < na; i++) ar[i] = v[1 + i];
        o_stk[row] = d[2] ? (uint32_t)(v[1 + na] & 0xFFFFFFFFu) : 0;
        ts += v[0];
        o_ts[row] = (int64_t)ts;
        if (cls == G_START) {
            o_g[row] = ar[0];
            lg = ar[0];
        } else if (cls == G_OWN) {
            o_g[row] = ar[0];
        } else {
            o_g[row] = lg;
            if (cls == G_STOP) lg = 0;
        }
        o_p[row] = pid;
        o_typ[row] = b & 0x3F;
        o_batch[row] = bno;
        row++;
        pos = p;
    }
    res = Py_BuildValue("nnLK", pos, row, (long long)(int64_t)ts, (unsigned long long)lg);
done:
    PyBuffer_Release(&bb);
    PyBuffer_Release(&tb);
    for (int i = 0; i < 7; i++) PyBuffer_Release(&ob[i]);
    return res;
}

/* Transition classes (columns.transitions' table). */
enum {
    T_NONE,
    T_CREATE,
    T_WAITING,
    T_START,
    T_START_LOCAL,
    T_BLOCK,
    T_SCHED,
    T_UNBLOCK,
    T_UNBLOCK_LOCAL,
    T_GCSTART,
};
enum { S_DEAD = 0, S_RUNNABLE = 1, S_RUNNING = 2, S_WAITING = 3 };
#define NOSEQ ((int64_t)-1)
#define SEQINC ((int64_t)-2)

/* transitions(typ, g, args, table) -> (g, init seq, init status, next seq, next status) lists,
 * the uint64s as int64. table: the class (T_*) per type byte (256 bytes). */
static PyObject *transitions(PyObject *self, PyObject *a) {
    Py_buffer tyb, gb, ab, tb;
    if (!PyArg_ParseTuple(a, "y*y*y*y*", &tyb, &gb, &ab, &tb)) return NULL;
    PyObject *res = NULL;
    PyObject *l[5] = {NULL, NULL, NULL, NULL, NULL};
    Py_ssize_t n = tyb.len;
    if (gb.len < n * 8 || ab.len < n * 32 || tb.len < 256) {
        PyErr_SetString(PyExc_ValueError, "_kv1scan.transitions: bad arguments");
        goto done;
    }
    for (int i = 0; i < 5; i++)
        if ((l[i] = PyList_New(n)) == NULL) goto done;
    const uint8_t *typ = tyb.buf, *table = tb.buf;
    const int64_t *g = gb.buf, *ar = ab.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t a0 = ar[4 * i], a1 = ar[4 * i + 1];
        int64_t gk = -1, iseq = 0, ist = S_DEAD, nseq = 0, nst = S_DEAD;
        switch (table[typ[i]]) {
        case T_CREATE: gk = a0, iseq = 0, ist = S_DEAD, nseq = 1, nst = S_RUNNABLE; break;
        case T_WAITING: gk = g[i], iseq = 1, ist = S_RUNNABLE, nseq = 2, nst = S_WAITING; break;
        case T_START:
            gk = g[i], iseq = a1, ist = S_RUNNABLE, nseq = (int64_t)((uint64_t)a1 + 1), nst = S_RUNNING;
            break;
        case T_START_LOCAL: gk = g[i], iseq = NOSEQ, ist = S_RUNNABLE, nseq = SEQINC, nst = S_RUNNING; break;
        case T_BLOCK: gk = g[i], iseq = NOSEQ, ist = S_RUNNING, nseq = NOSEQ, nst = S_WAITING; break;
        case T_SCHED: gk = g[i], iseq = NOSEQ, ist = S_RUNNING, nseq = NOSEQ, nst = S_RUNNABLE; break;
        case T_UNBLOCK:
            gk = a0, iseq = a1, ist = S_WAITING, nseq = (int64_t)((uint64_t)a1 + 1), nst = S_RUNNABLE;
            break;
        case T_UNBLOCK_LOCAL: gk = a0, iseq = NOSEQ, ist = S_WAITING, nseq = SEQINC, nst = S_RUNNABLE; break;
        case T_GCSTART:
            gk = SEQINC, iseq = a0, ist = S_DEAD, nseq = (int64_t)((uint64_t)a0 + 1), nst = S_DEAD;
            break;
        default: break;
        }
        int64_t vals[5] = {gk, iseq, ist, nseq, nst};
        for (int k = 0; k < 5; k++) {
            PyObject *o = PyLong_FromLongLong(vals[k]);
            if (o == NULL) goto done;
            PyList_SET_ITEM(l[k], i, o);
        }
    }
    res = PyTuple_Pack(5, l[0], l[1], l[2], l[3], l[4]);
done:
    for (int i = 0; i < 5; i++) Py_XDECREF(l[i]);
    PyBuffer_Release(&tyb);
    PyBuffer_Release(&gb);
    PyBuffer_Release(&ab);
    PyBuffer_Release(&tb);
    return res;
}

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "Decode a run of ordinary v1 events into the columns."},
    {"transitions", transitions, METH_VARARGS, "Go's stateTransition for every row."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kv1scan", "Compiled v1 scan.", -1, methods};

PyMODINIT_FUNC PyInit__kv1scan(void) { return PyModule_Create(&module); }
