/* Compiled text of `go tool trace -d=parsed` (tracetui.gotrace.dump, the same output byte for byte).
 *
 * format(cols, tables, out) writes the lines of a block of event rows into the writable buffer
 * out and returns (rows, bytes): how many whole rows fit and the bytes they took. What each
 * event type prints is not written here: dump.py builds it as per-type tables (the goroutine
 * rule comes from tracetui.gotrace.transitions) and hands them over with the strings already
 * quoted, the stacks and the Sync suffixes already as text.
 *
 * Optional: without a C compiler dump.py formats the same lines in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Per event type operations, byte rows of 256 in dump.py's _kernel_tables() order. */
enum {
    T_KIND, T_G, T_G_RES_A0, T_G_PACKED, T_G_FROM, T_G_TO, T_G_REASON, T_G_STACK, T_G_STACK_HDR, T_PROC,
    T_RANGE_SCOPE, T_RANGE_ATTRS, T_STACK, T_OP, T_ROWS
};
/* T_OP: what the body is. */
enum { OP_NONE, OP_TRANSITION, OP_METRIC, OP_RANGE, OP_SYNC, OP_LOG, OP_REGION, OP_TASK_BEGIN, OP_TASK_END,
       OP_LABEL, OP_EXPERIMENTAL };
/* T_PROC */
enum { PROC_START = 1, PROC_STOP, PROC_STEAL, PROC_STATUS };
/* T_RANGE_SCOPE */
enum { SC_NONE, SC_G_CTX, SC_G_A0, SC_P_CTX, SC_P_A0, SC_G_CTX_STW };
/* T_RANGE_ATTRS */
enum { AT_NONE, AT_EMPTY, AT_SWEEP };

typedef struct {
    char *buf;
    Py_ssize_t pos, cap;
    int full;
} W;

static inline void put(W *w, const char *s, Py_ssize_t n) {
    if (w->full || w->pos + n > w->cap) {
        w->full = 1;
        return;
    }
    memcpy(w->buf + w->pos, s, n);
    w->pos += n;
}
#define PUTS(w, lit) put(w, lit, (Py_ssize_t)sizeof(lit) - 1)

static inline void put_u64(W *w, uint64_t v) {
    char tmp[24];
    int i = 24;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(w, tmp + i, 24 - i);
}

static inline void put_i64(W *w, int64_t v) {
    if (v < 0) {
        PUTS(w, "-");
        put_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(w, (uint64_t)v);
    }
}

static inline void put_hex(W *w, uint64_t v) {
    char tmp[20];
    int i = 20;
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    put(w, tmp + i, 20 - i);
}

/* Item i of a list of bytes (out of range: empty). */
static inline void put_item(W *w, PyObject *list, uint64_t i) {
    if (i >= (uint64_t)PyList_GET_SIZE(list)) return;
    PyObject *b = PyList_GET_ITEM(list, (Py_ssize_t)i);
    put(w, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
}

/* The quoted string i without its quotes. */
static inline void put_inner(W *w, PyObject *quoted, uint64_t i) {
    if (i >= (uint64_t)PyList_GET_SIZE(quoted)) return;
    PyObject *b = PyList_GET_ITEM(quoted, (Py_ssize_t)i);
    put(w, PyBytes_AS_STRING(b) + 1, PyBytes_GET_SIZE(b) - 2);
}

static inline void put_name(W *w, PyObject *names, uint64_t i) {
    if (i < (uint64_t)PyList_GET_SIZE(names)) {
        put_item(w, names, i);
    } else {
        PUTS(w, "Bad");
    }
}

static inline void put_value(W *w, uint64_t v) {
    PUTS(w, "Value{Uint64(");
    put_u64(w, v);
    PUTS(w, ")}");
}

typedef struct {
    const uint8_t *t[T_ROWS];
    PyObject *kind_names, *quoted, *stacks, *syncs, *go_states, *proc_states, *go_status_to_state,
        *proc_status_to_state, *metric_names, *range_names, *experimental;
    uint64_t nil_sync;
} Tables;

static void row(W *w, const Tables *tb, int64_t time, uint8_t typ, int64_t m, int64_t p, int64_t g,
                const uint64_t a[4]) {
    const uint8_t kind = tb->t[T_KIND][typ], op = tb->t[T_OP][typ];
    PUTS(w, "M=");
    put_i64(w, m);
    PUTS(w, " P=");
    put_i64(w, p);
    PUTS(w, " G=");
    put_i64(w, g);
    PUTS(w, " ");
    put_item(w, tb->kind_names, kind);
    PUTS(w, " Time=");
    put_i64(w, time);
    switch (op) {
    case OP_TRANSITION:
        if (tb->t[T_G][typ]) {
            PUTS(w, " GoID=");
            put_i64(w, tb->t[T_G_RES_A0][typ] ? (int64_t)a[0] : g);
            uint64_t old, new_;
            if (tb->t[T_G_PACKED][typ]) {
                old = a[2] >> 32;
                uint64_t st = a[2] & 0xFFFFFFFFu;
                new_ = st < (uint64_t)PyList_GET_SIZE(tb->go_status_to_state)
                           ? PyLong_AsUnsignedLongLong(PyList_GET_ITEM(tb->go_status_to_state, st))
                           : 255;
            } else {
                old = tb->t[T_G_FROM][typ];
                new_ = tb->t[T_G_TO][typ];
            }
            PUTS(w, " ");
            put_name(w, tb->go_states, old);
            PUTS(w, "->");
            put_name(w, tb->go_states, new_);
            PUTS(w, " Reason=");
            int8_t r = (int8_t)tb->t[T_G_REASON][typ];
            if (r >= 0) {
                put_item(w, tb->quoted, a[r]);
            } else {
                PUTS(w, "\"\"");
            }
            int8_t s = (int8_t)tb->t[T_G_STACK][typ];
            uint64_t sid = s >= 0 ? a[s] : 0;
            if (sid || tb->t[T_G_STACK_HDR][typ]) { /* a create prints the header even for stack 0 */
                PUTS(w, "\nTransitionStack=\n");
                if (sid) put_item(w, tb->stacks, sid);
            }
        } else {
            int64_t pid;
            uint64_t old, new_;
            switch (tb->t[T_PROC][typ]) {
            case PROC_START:
                pid = (int64_t)a[0], old = 3, new_ = 2; /* Idle -> Running */
                break;
            case PROC_STOP:
                pid = p, old = 2, new_ = 3;
                break;
            case PROC_STEAL:
                pid = (int64_t)a[0], old = a[3] == 4 ? 3 : 2, new_ = 3; /* 4: ProcSyscallAbandoned */
                break;
            default:
                pid = (int64_t)a[0], old = a[2];
                new_ = a[1] < (uint64_t)PyList_GET_SIZE(tb->proc_status_to_state)
                           ? PyLong_AsUnsignedLongLong(PyList_GET_ITEM(tb->proc_status_to_state, a[1]))
                           : 255;
            }
            PUTS(w, " ProcID=");
            put_i64(w, pid);
            PUTS(w, " ");
            put_name(w, tb->proc_states, old);
            PUTS(w, "->");
            put_name(w, tb->proc_states, new_);
            PUTS(w, " Reason=\"\"");
        }
        break;
    case OP_METRIC:
        PUTS(w, " Name=");
        put_item(w, tb->metric_names, typ);
        PUTS(w, " Value=");
        put_value(w, a[0]);
        break;
    case OP_RANGE: {
        uint8_t sc = tb->t[T_RANGE_SCOPE][typ];
        PUTS(w, " Name=");
        if (sc == SC_G_CTX_STW) {
            PUTS(w, "\"stop-the-world (");
            put_inner(w, tb->quoted, a[0]);
            PUTS(w, ")\"");
        } else {
            put_item(w, tb->range_names, typ);
        }
        PUTS(w, " Scope=");
        switch (sc) {
        case SC_G_CTX:
        case SC_G_CTX_STW:
            PUTS(w, "Goroutine(");
            put_i64(w, g);
            PUTS(w, ")");
            break;
        case SC_G_A0:
            PUTS(w, "Goroutine(");
            put_i64(w, (int64_t)a[0]);
            PUTS(w, ")");
            break;
        case SC_P_CTX:
            PUTS(w, "Proc(");
            put_i64(w, p);
            PUTS(w, ")");
            break;
        case SC_P_A0:
            PUTS(w, "Proc(");
            put_i64(w, (int64_t)a[0]);
            PUTS(w, ")");
            break;
        default:
            PUTS(w, "None");
        }
        switch (tb->t[T_RANGE_ATTRS][typ]) {
        case AT_EMPTY:
            PUTS(w, " Attributes=[]");
            break;
        case AT_SWEEP:
            PUTS(w, " Attributes=[\"bytes swept\"=");
            put_value(w, a[0]);
            PUTS(w, " \"bytes reclaimed\"=");
            put_value(w, a[1]);
            PUTS(w, "]");
            break;
        default:
            break;
        }
        break;
    }
    case OP_SYNC:
        PUTS(w, " N=");
        put_u64(w, a[0]);
        if (a[1] != tb->nil_sync) put_item(w, tb->syncs, a[1]);
        break;
    case OP_LOG:
        PUTS(w, " Task=");
        put_u64(w, a[0]);
        PUTS(w, " Category=");
        put_item(w, tb->quoted, a[1]);
        PUTS(w, " Message=");
        put_item(w, tb->quoted, a[2]);
        break;
    case OP_REGION:
        PUTS(w, " Task=");
        put_u64(w, a[0]);
        PUTS(w, " Type=");
        put_item(w, tb->quoted, a[1]);
        break;
    case OP_TASK_BEGIN:
        PUTS(w, " ID=");
        put_u64(w, a[0]);
        PUTS(w, " Parent=");
        put_u64(w, a[1]);
        PUTS(w, " Type=");
        put_item(w, tb->quoted, a[2]);
        break;
    case OP_TASK_END:
        PUTS(w, " ID=");
        put_u64(w, a[0]);
        PUTS(w, " Parent=");
        put_u64(w, a[2]);
        PUTS(w, " Type=");
        put_item(w, tb->quoted, a[3]);
        break;
    case OP_LABEL:
        PUTS(w, " Label=");
        put_item(w, tb->quoted, a[0]);
        PUTS(w, " Resource=Goroutine(");
        put_i64(w, g);
        PUTS(w, ")");
        break;
    case OP_EXPERIMENTAL: {
        /* experimental[typ]: (b" Name=X Args=[", [b"name", ...]) */
        PyObject *e = PyList_GET_ITEM(tb->experimental, typ);
        if (e == Py_None) break;
        PyObject *pre = PyTuple_GET_ITEM(e, 0), *names = PyTuple_GET_ITEM(e, 1);
        put(w, PyBytes_AS_STRING(pre), PyBytes_GET_SIZE(pre));
        Py_ssize_t n = PyList_GET_SIZE(names);
        for (Py_ssize_t i = 0; i < n && i < 4; i++) {
            if (i) PUTS(w, ", ");
            put_item(w, names, (uint64_t)i);
            PUTS(w, "=");
            put_value(w, a[i]);
        }
        PUTS(w, "]");
        break;
    }
    default:
        break;
    }
    int8_t s = (int8_t)tb->t[T_STACK][typ];
    if (s >= 0 && a[s]) {
        PUTS(w, "\nStack=\n");
        put_item(w, tb->stacks, a[s]);
    }
    PUTS(w, "\n");
}

static int list_of_bytes(PyObject *l, const char *what) {
    if (!PyList_Check(l)) {
        PyErr_Format(PyExc_TypeError, "%s: a list of bytes", what);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(l); i++)
        if (!PyBytes_Check(PyList_GET_ITEM(l, i))) {
            PyErr_Format(PyExc_TypeError, "%s: a list of bytes", what);
            return -1;
        }
    return 0;
}

static int list_of_ints(PyObject *l, const char *what) {
    if (!PyList_Check(l)) {
        PyErr_Format(PyExc_TypeError, "%s: a list of ints", what);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(l); i++)
        if (!PyLong_Check(PyList_GET_ITEM(l, i))) {
            PyErr_Format(PyExc_TypeError, "%s: a list of ints", what);
            return -1;
        }
    return 0;
}

/* format(cols, tables, out) -> (rows, bytes)
 *   cols: (time i64, typ u8, m i64, p i64, g i64, a0..a3 u64), contiguous, same length
 *   tables: (ops bytes of T_ROWS*256, kind_names, quoted, stacks, syncs, go_states, proc_states,
 *            go_status_to_state, proc_status_to_state, metric_names, range_names, experimental,
 *            nil_sync) */
static PyObject *format(PyObject *self, PyObject *args) {
    PyObject *cols, *tabs;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "O!O!w*", &PyTuple_Type, &cols, &PyTuple_Type, &tabs, &out)) return NULL;
    PyObject *result = NULL;
    Py_buffer b[9];
    int got = 0;
    Tables tb;
    if (PyTuple_GET_SIZE(cols) != 9 || PyTuple_GET_SIZE(tabs) != 13) {
        PyErr_SetString(PyExc_ValueError, "format: 9 columns, 13 tables");
        goto done;
    }
    static const Py_ssize_t width[9] = {8, 1, 8, 8, 8, 8, 8, 8, 8};
    Py_ssize_t n = -1;
    for (; got < 9; got++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(cols, got), &b[got], PyBUF_C_CONTIGUOUS)) goto done;
        Py_ssize_t len = b[got].len / width[got];
        if (n >= 0 && len != n) {
            got++;
            PyErr_SetString(PyExc_ValueError, "format: columns of different lengths");
            goto done;
        }
        n = len;
    }
    PyObject *ops = PyTuple_GET_ITEM(tabs, 0);
    if (!PyBytes_Check(ops) || PyBytes_GET_SIZE(ops) != T_ROWS * 256) {
        PyErr_SetString(PyExc_ValueError, "format: the per-type table");
        goto done;
    }
    for (int r = 0; r < T_ROWS; r++) tb.t[r] = (const uint8_t *)PyBytes_AS_STRING(ops) + 256 * r;
    PyObject **lists[] = {&tb.kind_names, &tb.quoted, &tb.stacks, &tb.syncs, &tb.go_states, &tb.proc_states,
                          &tb.go_status_to_state, &tb.proc_status_to_state, &tb.metric_names, &tb.range_names,
                          &tb.experimental};
    for (int i = 0; i < 11; i++) *lists[i] = PyTuple_GET_ITEM(tabs, i + 1);
    if (list_of_bytes(tb.kind_names, "kind_names") || list_of_bytes(tb.quoted, "quoted") ||
        list_of_bytes(tb.stacks, "stacks") || list_of_bytes(tb.syncs, "syncs") ||
        list_of_bytes(tb.go_states, "go_states") || list_of_bytes(tb.proc_states, "proc_states") ||
        list_of_ints(tb.go_status_to_state, "go_status_to_state") ||
        list_of_ints(tb.proc_status_to_state, "proc_status_to_state") ||
        list_of_bytes(tb.metric_names, "metric_names") || list_of_bytes(tb.range_names, "range_names"))
        goto done;
    if (PyList_GET_SIZE(tb.kind_names) < 15 || PyList_GET_SIZE(tb.metric_names) < 256 ||
        PyList_GET_SIZE(tb.range_names) < 256 || !PyList_Check(tb.experimental) ||
        PyList_GET_SIZE(tb.experimental) < 256) {
        PyErr_SetString(PyExc_ValueError, "format: per-type lists of 256");
        goto done;
    }
    for (Py_ssize_t i = 0; i < 256; i++) {
        PyObject *e = PyList_GET_ITEM(tb.experimental, i);
        if (e != Py_None && !(PyTuple_Check(e) && PyTuple_GET_SIZE(e) == 2 && PyBytes_Check(PyTuple_GET_ITEM(e, 0)) &&
                              list_of_bytes(PyTuple_GET_ITEM(e, 1), "experimental") == 0)) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "experimental: None or (bytes, [bytes])");
            goto done;
        }
    }
    tb.nil_sync = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(tabs, 12));
    if (PyErr_Occurred()) goto done;

    const int64_t *time = b[0].buf, *m = b[2].buf, *p = b[3].buf, *g = b[4].buf;
    const uint8_t *typ = b[1].buf;
    const uint64_t *a0 = b[5].buf, *a1 = b[6].buf, *a2 = b[7].buf, *a3 = b[8].buf;
    W w = {out.buf, 0, out.len, 0};
    Py_ssize_t i = 0;
    for (; i < n; i++) {
        Py_ssize_t mark = w.pos;
        uint64_t a[4] = {a0[i], a1[i], a2[i], a3[i]};
        row(&w, &tb, time[i], typ[i], m[i], p[i], g[i], a);
        if (w.full) {
            w.pos = mark;
            break;
        }
    }
    result = Py_BuildValue("nn", i, w.pos);
done:
    for (int j = 0; j < got; j++) PyBuffer_Release(&b[j]);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"format", format, METH_VARARGS, "format(cols, tables, out) -> (rows, bytes): the dump's lines of a block."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kdump", "Compiled text of go tool trace -d=parsed.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__kdump(void) { return PyModule_Create(&module); }
