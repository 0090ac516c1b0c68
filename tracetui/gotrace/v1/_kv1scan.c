/* Compiled v1 scan (tracetui.gotrace.v1.wire's ordinary events).
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
 * Optional: without a C compiler tracetui runs the Python and numpy path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../_uvarint.h"

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

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "Decode a run of ordinary v1 events into the columns."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kv1scan", "Compiled v1 scan.", -1, methods};

PyMODINIT_FUNC PyInit__kv1scan(void) { return PyModule_Create(&module); }
