/* Compiled batch decoding (tracetui.gotrace.cursor's numpy path, in one pass).
 *
 * decode() frames and decodes the events of some batches of one M: a type byte, then
 * nargs uvarints (the timestamp delta first). It accepts exactly what the numpy path
 * accepts and returns None for anything else (a bad type, a malformed or cut varint), so
 * the caller then takes the scalar decoder, which reports Go's error. gather() copies
 * rows of decoded slices into output columns (the reader's _flush).
 *
 * Optional: without a C compiler tracetui runs the numpy path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Go's float64 -> int64 conversion on amd64: out of range (or NaN) gives the minimum. */
static inline int64_t go_f2i(double x) {
    if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) return INT64_MIN;
    return (int64_t)x;
}

#include "_uvarint.h"

/* Frame (and with out != NULL, decode) the batches; the event count, or -1. */
static Py_ssize_t run(const uint8_t *buf, Py_ssize_t buflen, const int64_t *starts, const int64_t *ends,
                      const uint64_t *btimes, Py_ssize_t nb, const int8_t *nargs, double freq, uint8_t *o_typ,
                      int64_t *o_time, uint64_t *o_a0, uint64_t *o_a1, uint64_t *o_a2, uint64_t *o_a3,
                      int64_t *o_off) {
    Py_ssize_t n = 0;
    for (Py_ssize_t b = 0; b < nb; b++) {
        Py_ssize_t pos = starts[b], end = ends[b];
        if (pos < 0 || end > buflen || pos > end) return -1;
        uint64_t last = 0;
        if (o_typ != NULL) last = (uint64_t)go_f2i((double)btimes[b] * freq);
        while (pos < end) {
            Py_ssize_t at = pos;
            uint8_t t = buf[pos++];
            if (t >= 0x80) return -1;
            int na = nargs[t];
            if (na <= 0) return -1;
            uint64_t vals[5] = {0, 0, 0, 0, 0};
            for (int i = 0; i < na; i++) {
                uint64_t v;
                if (!uvarint(buf, &pos, end, &v)) return -1;
                if (i < 5) vals[i] = v;
            }
            if (o_typ != NULL) {
                last += (uint64_t)go_f2i((double)vals[0] * freq);
                o_typ[n] = t;
                o_time[n] = (int64_t)last;
                o_a0[n] = vals[1];
                o_a1[n] = vals[2];
                o_a2[n] = vals[3];
                o_a3[n] = vals[4];
                o_off[n] = at;
            }
            n++;
        }
    }
    return n;
}

/* decode(buf, starts, ends, times, nargs, freq) -> (n, block): block holds the columns typ (n bytes),
 * then time, off, a0, a1, a2, a3 (8n bytes each, at 8-aligned offsets after the padded typ),
 * or None if the data needs the scalar decoder.
 *   starts, ends: int64 offsets of each batch's data in buf; times: uint64 batch times;
 *   nargs: 256 int8, the uvarints each event type carries (<= 0: not a timed event). */
static PyObject *decode(PyObject *self, PyObject *args) {
    Py_buffer bb, sb, eb, tb, nab;
    double freq;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*d", &bb, &sb, &eb, &tb, &nab, &freq)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t nb = sb.len / 8;
    if (eb.len / 8 != nb || tb.len / 8 != nb || nab.len != 256) {
        PyErr_SetString(PyExc_ValueError, "decode: mismatched arguments");
        goto done;
    }
    const uint8_t *buf = bb.buf;
    Py_ssize_t n;
    Py_BEGIN_ALLOW_THREADS;
    n = run(buf, bb.len, sb.buf, eb.buf, tb.buf, nb, nab.buf, freq, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    Py_END_ALLOW_THREADS;
    if (n < 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    Py_ssize_t pad = (n + 7) & ~(Py_ssize_t)7;
    PyObject *block = PyBytes_FromStringAndSize(NULL, pad + 48 * n);
    if (block == NULL) goto done;
    char *o = PyBytes_AS_STRING(block);
    memset(o + n, 0, pad - n);
    int64_t *o_time = (int64_t *)(o + pad), *o_off = o_time + n;
    uint64_t *o_a0 = (uint64_t *)(o_off + n), *o_a1 = o_a0 + n, *o_a2 = o_a1 + n, *o_a3 = o_a2 + n;
    Py_BEGIN_ALLOW_THREADS;
    run(buf, bb.len, sb.buf, eb.buf, tb.buf, nb, nab.buf, freq, (uint8_t *)o, o_time, o_a0, o_a1, o_a2, o_a3,
        o_off);
    Py_END_ALLOW_THREADS;
    result = Py_BuildValue("nN", n, block);
done:
    PyBuffer_Release(&bb);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&eb);
    PyBuffer_Release(&tb);
    PyBuffer_Release(&nab);
    return result;
}

/* gather(src, bases, slices, typ, time, a0, a1, a2, a3)
 *   src: int64 per output row, the row's index among the generation's decoded events, or
 *   < 0 (the row is filled elsewhere; left alone); bases: int64, ascending, each slice's
 *   first index; slices: list of (typ, time, a0, a1, a2, a3) buffers (None for a slice no
 *   row refers to). Writes row i of the outputs from its slice. */
static PyObject *gather(PyObject *self, PyObject *args) {
    Py_buffer srcb, baseb, ob[6];
    PyObject *slices;
    if (!PyArg_ParseTuple(args, "y*y*O!w*w*w*w*w*w*", &srcb, &baseb, &PyList_Type, &slices, &ob[0], &ob[1], &ob[2],
                          &ob[3], &ob[4], &ob[5]))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t ns = PyList_GET_SIZE(slices), nrows = srcb.len / 8, nbase = baseb.len / 8;
    Py_buffer *sb = PyMem_Calloc(ns ? 6 * ns : 1, sizeof(Py_buffer));
    char *have = PyMem_Calloc(ns ? ns : 1, 1);
    if (sb == NULL || have == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (nbase != ns) {
        PyErr_SetString(PyExc_ValueError, "gather: one base per slice");
        goto done;
    }
    static const Py_ssize_t width[6] = {1, 8, 8, 8, 8, 8};
    for (int j = 0; j < 6; j++)
        if (ob[j].len < nrows * width[j]) {
            PyErr_SetString(PyExc_ValueError, "gather: output too small");
            goto done;
        }
    const int64_t *src = srcb.buf, *bases = baseb.buf;
    Py_ssize_t cur = -1, lo = 0, hi = -1; /* the slice of the last row: [lo, hi) */
    for (Py_ssize_t i = 0; i < nrows; i++) {
        int64_t s = src[i];
        if (s < 0) continue;
        if (s < lo || s >= hi) {
            /* binary search: the last slice whose base <= s */
            Py_ssize_t a = 0, z = ns;
            while (z - a > 1) {
                Py_ssize_t mid = (a + z) / 2;
                if (bases[mid] <= s) a = mid; else z = mid;
            }
            if (ns == 0 || bases[a] > s) goto bad;
            cur = a;
            if (!have[cur]) {
                PyObject *t = PyList_GET_ITEM(slices, cur);
                if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 6) goto bad;
                for (int j = 0; j < 6; j++) {
                    if (PyObject_GetBuffer(PyTuple_GET_ITEM(t, j), &sb[6 * cur + j], PyBUF_SIMPLE)) {
                        for (int q = 0; q < j; q++) PyBuffer_Release(&sb[6 * cur + q]);
                        goto done;
                    }
                }
                have[cur] = 1;
            }
            lo = bases[cur];
            hi = lo + sb[6 * cur].len;
            if (cur + 1 < ns && bases[cur + 1] < hi) hi = bases[cur + 1];
            if (s >= hi) goto bad;
        }
        Py_ssize_t k = s - lo;
        Py_buffer *c = &sb[6 * cur];
        for (int j = 1; j < 6; j++)
            if ((k + 1) * 8 > c[j].len) goto bad;
        ((uint8_t *)ob[0].buf)[i] = ((const uint8_t *)c[0].buf)[k];
        for (int j = 1; j < 6; j++) ((int64_t *)ob[j].buf)[i] = ((const int64_t *)c[j].buf)[k];
    }
    result = Py_NewRef(Py_None);
    goto done;
bad:
    PyErr_SetString(PyExc_ValueError, "gather: a row outside every slice");
done:
    if (sb != NULL && have != NULL)
        for (Py_ssize_t c = 0; c < ns; c++)
            if (have[c])
                for (int j = 0; j < 6; j++) PyBuffer_Release(&sb[6 * c + j]);
    PyMem_Free(sb);
    PyMem_Free(have);
    PyBuffer_Release(&srcb);
    PyBuffer_Release(&baseb);
    for (int j = 0; j < 6; j++) PyBuffer_Release(&ob[j]);
    return result;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS, "decode(buf, starts, ends, times, nargs, freq): the batches' columns or None."},
    {"gather", gather, METH_VARARGS, "gather(src, bases, slices, typ, time, a0, a1, a2, a3): rows from slices."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kdecode", "Compiled batch decoding.", -1, methods};

PyMODINIT_FUNC PyInit__kdecode(void) { return PyModule_Create(&module); }
