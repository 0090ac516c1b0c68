/* Compiled replay of the mutator utilization (tracetui.model.utilization._replay).
 *
 * One pass over the rows of the event table: the GC events (by a per-type kind table that
 * Python gives, from gotrace.spec) and the chosen goroutine transitions (sorted by row)
 * move the count of GC activities per P; each such row adds a step (time, utilization).
 * The same arithmetic as the Python loop, in the same order, so the results are identical.
 * The strings never reach C: Python says which string ids are mark-worker labels and which
 * are GC stop-the-world kinds.
 *
 * Optional: without a C compiler tracetui runs the same loop in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Event kinds (utilization.py: _KIND_TABLE). */
enum {
    K_NONE, K_SYNC, K_PROCS, K_STW_BEGIN, K_STW_END, K_SWEEP_BEGIN, K_SWEEP_ACTIVE, K_SWEEP_END,
    K_ASSIST_BEGIN, K_ASSIST_ACTIVE, K_ASSIST_END, K_LABEL
};
/* Flags (utilization.py: FLAGS order). */
enum { F_STW = 1, F_BACKGROUND = 2, F_ASSIST = 4, F_SWEEP = 8 };

/* A goroutine id -> small bit set map: open addressing, linear probing, no removal (a key
 * whose bits are cleared stays). Few keys: goroutines that assisted or are mark workers,
 * goroutines that stopped the world. */
enum { PRESENT = 0x8000 };

typedef struct {
    int64_t *key;
    uint16_t *val; /* 0: empty slot; else PRESENT | the caller's bits */
    size_t cap, used;
} GMap;

static inline size_t gmap_hash(int64_t k, size_t cap) {
    uint64_t x = (uint64_t)k * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 32) & (cap - 1);
}

static int gmap_init(GMap *m) {
    m->cap = 64;
    m->used = 0;
    m->key = calloc(m->cap, sizeof(int64_t));
    m->val = calloc(m->cap, sizeof(uint16_t));
    return (m->key && m->val) ? 0 : -1;
}

static void gmap_free(GMap *m) {
    free(m->key);
    free(m->val);
}

static inline uint16_t gmap_get(const GMap *m, int64_t k) {
    for (size_t i = gmap_hash(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->val[i]) return 0;
        if (m->key[i] == k) return m->val[i] & ~PRESENT;
    }
}

static inline uint16_t *gmap_slot(GMap *m, int64_t k);

static int gmap_grow(GMap *m) {
    GMap n = {calloc(m->cap * 2, sizeof(int64_t)), calloc(m->cap * 2, sizeof(uint16_t)), m->cap * 2, 0};
    if (!n.key || !n.val) {
        gmap_free(&n);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->val[i]) *gmap_slot(&n, m->key[i]) = m->val[i];
    gmap_free(m);
    *m = n;
    return 0;
}

/* The value slot of k, inserted (present, no bits) if missing; the table has room. */
static inline uint16_t *gmap_slot(GMap *m, int64_t k) {
    size_t i = gmap_hash(k, m->cap);
    for (; m->val[i]; i = (i + 1) & (m->cap - 1))
        if (m->key[i] == k) return &m->val[i];
    m->key[i] = k;
    m->val[i] = PRESENT;
    m->used++;
    return &m->val[i];
}

/* Set (on) or clear (off) `bit` of k; -1 on memory error. */
static int gmap_set(GMap *m, int64_t k, uint16_t bit, int on) {
    if (!on && !gmap_get(m, k)) return 0;
    if ((m->used + 1) * 2 > m->cap && gmap_grow(m)) return -1;
    uint16_t *v = gmap_slot(m, k);
    *v = on ? (uint16_t)(*v | bit) : (uint16_t)(*v & ~bit);
    return 0;
}

/* Bits of the goroutine map: per set of flags s (at most MAX_SETS), in a mark assist
 * (IN_GC << 2s), a mark worker (BG_MARK << 2s); then followed (its state is kept) and
 * executing (if followed). Of the STW map: a GC stop-the-world. */
enum { MAX_SETS = 4, IN_GC = 1, BG_MARK = 2, TRACK = 0x100, EXECUTING = 0x200, STW_GC = 1 };

/* After a transition of goroutine k (bits v) to a state executing or not: keep it if k is followed. */
static inline int follow(GMap *m, int64_t k, uint16_t v, int executing) {
    if (!(v & TRACK) || !(v & EXECUTING) == !executing) return 0;
    return gmap_set(m, k, EXECUTING, executing);
}

/* Growable arrays. */
typedef struct {
    int64_t *t;
    double *u;
    size_t n, cap;
} Steps;

static int steps_push(Steps *s, int64_t t, double u) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        int64_t *nt = realloc(s->t, cap * sizeof(int64_t));
        if (!nt) return -1;
        s->t = nt;
        double *nu = realloc(s->u, cap * sizeof(double));
        if (!nu) return -1;
        s->u = nu;
        s->cap = cap;
    }
    s->t[s->n] = t;
    s->u[s->n] = u;
    s->n++;
    return 0;
}

/* A step, as the Python add(): no repeat of the value; at one time stamp the lowest. */
static int steps_add(Steps *s, int64_t t, double u) {
    if (s->n) {
        double last = s->u[s->n - 1];
        if (u == last) return 0;
        if (t == s->t[s->n - 1]) {
            s->u[s->n - 1] = last < u ? last : u;
            return 0;
        }
    }
    return steps_push(s, t, u);
}

typedef struct {
    int64_t *v;
    size_t n, cap;
} IVec;

static int ivec_push(IVec *a, int64_t x) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        int64_t *nv = realloc(a->v, cap * sizeof(int64_t));
        if (!nv) return -1;
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

static int need(Py_buffer *b, Py_ssize_t n, Py_ssize_t item, const char *name) {
    if (b->len != n * item) {
        PyErr_Format(PyExc_ValueError, "%s: want %zd bytes, got %zd", name, n * item, b->len);
        return -1;
    }
    return 0;
}

#define COL(c, wide, i) ((wide) ? ((const int64_t *)(c))[i] : (int64_t)((const int32_t *)(c))[i])
#define UCOL(c, wide, i) ((wide) ? ((const uint64_t *)(c))[i] : (uint64_t)((const uint32_t *)(c))[i])

enum {
    B_TIME, B_TYP, B_P, B_G, B_A0, B_A2, B_TROW, B_TFRM, B_TTO, B_TGID, B_TRACK, B_KIND, B_EXEC, B_GTAB, B_LABEL,
    B_STW, NB
};
/* The goroutine transition rule (utilization.py: _gtab()): rows of 256 by event type, then
 * the wire status -> GoState table of 6. */
enum { G_IS, G_FROM, G_TO, G_PACKED, G_RES_A0, G_ROWS };

/* One set of flags' replay state. */
typedef struct {
    int stw_on, bg_on, assist_on, sweep_on;
    uint16_t in_gc, bg_mark; /* its bits in the goroutine map */
    IVec ps;                 /* per P: how many GC activities it has */
    int64_t busy, stw;       /* busy: how many Ps have a count > 0 */
    Steps out;
} Set;

static inline void bump(Set *z, int64_t pp, int64_t d) {
    int64_t *c = &z->ps.v[pp];
    z->busy -= *c > 0;
    *c += d;
    z->busy += *c > 0;
}

/* replay(time i64, typ u8, p i32 or i64, g i32 or i64, a0 u32 or u64, a2 u32 or u64 or empty, trow i64, tfrm u8,
 *        tto u8, tgid i64, track i64, kind u8[256], executing u8[256], gtab u8[G_ROWS * 256 + 6],
 *        label_gc u8[], stw_gc u8[], flags u8[1..MAX_SETS], has_end)
 * -> (ts, util) per set of flags, flat: bytearrays of int64, float64.
 * One pass for every set of flags (each as if alone: the sets share only what no flag moves).
 * The goroutine transitions: every one, derived from the columns by gtab, if a2 is given;
 * else the chosen ones (trow, increasing; tfrm, tto, tgid), then holding at least those of
 * the goroutines doing GC work and of `track`.
 * track: the goroutines of assist-active events, whose state (executing or not: the state
 * their last transition before the row left them in) such an event needs. */
static PyObject *replay(PyObject *self, PyObject *args) {
    Py_buffer b[NB], fb;
    int has_end;
    memset(b, 0, sizeof(b));
    memset(&fb, 0, sizeof(fb));
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*y*y*y*y*y*y*y*y*y*i", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                          &b[6], &b[7], &b[8], &b[9], &b[10], &b[11], &b[12], &b[13], &b[14], &b[15], &fb, &has_end))
        return NULL;
    PyObject *result = NULL;
    Set sets[MAX_SETS];
    memset(sets, 0, sizeof(sets));
    const int ns = (int)fb.len;
    IVec procs_t = {0}, procs_n = {0};
    GMap gc = {0}, stwk = {0};
    Py_ssize_t n = b[B_TYP].len, nt = b[B_TFRM].len, na = b[B_TRACK].len / 8;
    if (ns < 1 || ns > MAX_SETS) {
        PyErr_Format(PyExc_ValueError, "flags: 1 to %d sets", MAX_SETS);
        goto done;
    }
    if (need(&b[B_TIME], n, 8, "time") || need(&b[B_P], n, b[B_P].len == n * 8 ? 8 : 4, "p") ||
        need(&b[B_G], n, b[B_G].len == n * 8 ? 8 : 4, "g") || need(&b[B_A0], n, b[B_A0].len == n * 4 ? 4 : 8, "a0") ||
        need(&b[B_TROW], nt, 8, "trow") || need(&b[B_TTO], nt, 1, "tto") || need(&b[B_TGID], nt, 8, "tgid") ||
        need(&b[B_TRACK], na, 8, "track") || need(&b[B_KIND], 256, 1, "kind") ||
        need(&b[B_EXEC], 256, 1, "executing") || need(&b[B_GTAB], 1, G_ROWS * 256 + 6, "gtab") ||
        (b[B_A2].len && need(&b[B_A2], n, b[B_A2].len == n * 4 ? 4 : 8, "a2")))
        goto done;
    const int64_t *time = b[B_TIME].buf, *trow = b[B_TROW].buf, *tgid = b[B_TGID].buf, *track = b[B_TRACK].buf;
    const uint8_t *typ = b[B_TYP].buf, *tfrm = b[B_TFRM].buf, *tto = b[B_TTO].buf;
    const int wide_p = b[B_P].len == n * 8, wide_g = b[B_G].len == n * 8; /* int64, else int32 */
    const void *pcol = b[B_P].buf, *gcol = b[B_G].buf;
    const int wide_a0 = b[B_A0].len == n * 8, wide_a2 = b[B_A2].len == n * 8; /* uint64, else uint32 */
    const void *a0 = b[B_A0].buf, *a2 = b[B_A2].buf;
    const int derive = b[B_A2].len > 0; /* the transitions from the columns, else from trow... */
    const uint8_t *gtab = b[B_GTAB].buf, *status_to = gtab + G_ROWS * 256;
    const uint8_t *kind = b[B_KIND].buf, *exe = b[B_EXEC].buf, *label_gc = b[B_LABEL].buf, *stw_gc = b[B_STW].buf;
    const uint64_t nlabel = (uint64_t)b[B_LABEL].len, nstw = (uint64_t)b[B_STW].len;
    for (Py_ssize_t j = 1; j < nt; j++)
        if (trow[j] <= trow[j - 1]) {
            PyErr_SetString(PyExc_ValueError, "trow: not increasing");
            goto done;
        }
    if (gmap_init(&gc) || gmap_init(&stwk)) goto nomem;
    for (Py_ssize_t j = 0; j < na; j++)
        if (gmap_set(&gc, track[j], TRACK, 1)) goto nomem;
    uint16_t any_gc = 0; /* every set's in_gc and bg_mark bits */
    for (int z = 0; z < ns; z++) {
        const int f = ((const uint8_t *)fb.buf)[z];
        sets[z].stw_on = f & F_STW;
        sets[z].bg_on = f & F_BACKGROUND;
        sets[z].assist_on = f & F_ASSIST;
        sets[z].sweep_on = f & F_SWEEP;
        sets[z].in_gc = (uint16_t)(IN_GC << 2 * z);
        sets[z].bg_mark = (uint16_t)(BG_MARK << 2 * z);
        any_gc |= sets[z].in_gc | sets[z].bg_mark;
    }
    size_t nps = 0; /* GOMAXPROCS: every set's ps.n */
    uint64_t n_sync = 0;
    Py_ssize_t ti = 0;

    for (Py_ssize_t i = 0; i < n; i++) {
        int k = kind[typ[i]];
        while (ti < nt && trow[ti] < i) ti++;
        int has_tr;
        uint8_t tf = 0, tt = 0;
        int64_t tg = 0;
        if (derive) { /* as gosemantics.Rows.gtrans_at */
            const uint8_t ty = typ[i];
            has_tr = gtab[G_IS * 256 + ty];
            if (has_tr) {
                tf = gtab[G_FROM * 256 + ty];
                tt = gtab[G_TO * 256 + ty];
                if (gtab[G_PACKED * 256 + ty]) {
                    const uint64_t v2 = UCOL(a2, wide_a2, i), hi = v2 >> 32, lo = v2 & 0xFFFFFFFFull;
                    tf = (uint8_t)(hi < 6 ? hi : 6);
                    tt = status_to[lo < 5 ? lo : 5];
                }
                tg = gtab[G_RES_A0 * 256 + ty] ? (int64_t)UCOL(a0, wide_a0, i) : COL(gcol, wide_g, i);
            }
        } else {
            has_tr = ti < nt && trow[ti] == i;
            if (has_tr) {
                tf = tfrm[ti];
                tt = tto[ti];
                tg = tgid[ti];
            }
        }
        if (k == K_NONE && !has_tr) continue;
        const int64_t t = time[i], pp = COL(pcol, wide_p, i), gg = COL(gcol, wide_g, i);
        const uint64_t arg = UCOL(a0, wide_a0, i);
        if (k == K_SYNC) {
            n_sync = arg;
        } else if (k == K_PROCS) {
            for (int z = 0; z < ns; z++) {
                Set *s = &sets[z];
                if (arg < s->ps.n) {
                    s->ps.n = (size_t)arg;
                    s->busy = 0;
                    for (size_t j = 0; j < s->ps.n; j++) s->busy += s->ps.v[j] > 0;
                }
                while (s->ps.n < arg) {
                    if (!s->out.n && steps_push(&s->out, t, 1.0)) goto nomem;
                    if (ivec_push(&s->ps, 0)) goto nomem;
                }
            }
            nps = sets[0].ps.n;
            if (!procs_n.n || (uint64_t)procs_n.v[procs_n.n - 1] != arg) {
                if (ivec_push(&procs_t, t) || ivec_push(&procs_n, (int64_t)arg)) goto nomem;
            }
        }
        if (!nps) { /* nothing to measure before GOMAXPROCS is known */
            if (has_tr && follow(&gc, tg, gmap_get(&gc, tg), exe[tt])) goto nomem;
            continue;
        }
        const int on_p = 0 <= pp && (uint64_t)pp < nps;
        int stw_gc_here = 0; /* STW events: the kind's, shared by the sets */
        if (k == K_STW_BEGIN) {
            stw_gc_here = arg < nstw && stw_gc[arg];
            if (gmap_set(&stwk, gg, STW_GC, 1) || gmap_set(&stwk, gg, STW_GC, stw_gc_here)) goto nomem;
        } else if (k == K_STW_END) {
            stw_gc_here = (gmap_get(&stwk, gg) & STW_GC) != 0;
            if (gmap_set(&stwk, gg, STW_GC, 0)) goto nomem;
        }
        for (int z = 0; z < ns; z++) {
            Set *s = &sets[z];
            switch (k) {
            case K_ASSIST_ACTIVE:
            case K_SWEEP_ACTIVE: {
                const int assist = k == K_ASSIST_ACTIVE;
                if (n_sync <= 1 && (assist ? s->assist_on : s->sweep_on)) {
                    if (!assist || (gmap_get(&gc, gg) & EXECUTING)) {
                        for (size_t m = 0; m < s->out.n; m++) {
                            /* the last GOMAXPROCS change strictly before the point, else the first */
                            size_t lo = 0, hi = procs_t.n;
                            while (lo < hi) {
                                size_t mid = (lo + hi) / 2;
                                if (procs_t.v[mid] < s->out.t[m]) lo = mid + 1;
                                else hi = mid;
                            }
                            size_t pk = lo ? lo - 1 : 0;
                            double u = s->out.u[m] - 1.0 / (double)procs_n.v[pk];
                            s->out.u[m] = 0.0 > u ? 0.0 : u;
                        }
                    }
                    if (on_p) bump(s, pp, 1);
                    if (assist && gmap_set(&gc, (int64_t)arg, s->in_gc, 1)) goto nomem;
                }
                break;
            }
            case K_STW_BEGIN:
                if (s->stw_on && stw_gc_here) s->stw++;
                break;
            case K_STW_END:
                if (s->stw_on && stw_gc_here) s->stw--;
                break;
            case K_SWEEP_BEGIN:
            case K_SWEEP_END:
                if (s->sweep_on && on_p) bump(s, pp, k == K_SWEEP_BEGIN ? 1 : -1);
                break;
            case K_ASSIST_BEGIN:
            case K_ASSIST_END:
                if (s->assist_on) {
                    if (on_p) bump(s, pp, k == K_ASSIST_BEGIN ? 1 : -1);
                    if (gmap_set(&gc, gg, s->in_gc, k == K_ASSIST_BEGIN)) goto nomem;
                }
                break;
            case K_LABEL:
                if (s->bg_on && arg < nlabel && label_gc[arg]) {
                    if (gmap_set(&gc, gg, s->bg_mark, 1)) goto nomem;
                    if (on_p) bump(s, pp, 1);
                }
                break;
            default:
                break;
            }
        }
        uint16_t v = 0;
        int was = 0, is = 0;
        if (has_tr) {
            was = exe[tf];
            is = exe[tt];
            v = gmap_get(&gc, tg);
        }
        const int moves = on_p && was != is && (v & any_gc);
        for (int z = 0; z < ns; z++) {
            Set *s = &sets[z];
            if (moves && (v & (s->in_gc | s->bg_mark))) bump(s, pp, is ? 1 : -1);
            const int64_t busy = s->stw > 0 ? (int64_t)nps : s->busy;
            if (steps_add(&s->out, t, 1.0 - (double)busy / (double)nps)) goto nomem;
        }
        if (has_tr && follow(&gc, tg, v, is)) goto nomem;
    }
    if (has_end && n)
        for (int z = 0; z < ns; z++)
            if (steps_add(&sets[z].out, time[n - 1], 0.0)) goto nomem;
    result = PyTuple_New(2 * ns);
    if (!result) goto done;
    for (int z = 0; z < ns; z++) {
        const Steps *o = &sets[z].out;
        PyObject *ts = PyByteArray_FromStringAndSize((const char *)o->t, (Py_ssize_t)(o->n * sizeof(int64_t)));
        PyObject *us = PyByteArray_FromStringAndSize((const char *)o->u, (Py_ssize_t)(o->n * sizeof(double)));
        if (ts) PyTuple_SET_ITEM(result, 2 * z, ts);
        if (us) PyTuple_SET_ITEM(result, 2 * z + 1, us);
        if (!ts || !us) {
            Py_CLEAR(result);
            goto done;
        }
    }
    goto done;
nomem:
    PyErr_NoMemory();
done:
    gmap_free(&gc);
    gmap_free(&stwk);
    for (int z = 0; z < MAX_SETS; z++) {
        free(sets[z].out.t);
        free(sets[z].out.u);
        free(sets[z].ps.v);
    }
    free(procs_t.v);
    free(procs_n.v);
    for (int j = 0; j < NB; j++)
        if (b[j].obj) PyBuffer_Release(&b[j]);
    if (fb.obj) PyBuffer_Release(&fb);
    return result;
}

/* relevant(gid i64, row i64, out u8 (written), lut i32, lo, start i64[D+1], arow i64, aopen u8)
 * out[j] = may transition j (goroutine gid[j] at row[j]) move the series (GCWork.relevant):
 * lut[gid - lo] is -2 for a mark worker or a goroutine of an assist-active event, d >= 0 for
 * the d-th goroutine with assist events (rows arow[start[d]:start[d + 1]], increasing; aopen:
 * a begin or active event), -1 else; a goroutine of d is relevant when its last assist event
 * at or before the row opens one. */
static PyObject *relevant(PyObject *self, PyObject *args) {
    Py_buffer b[7];
    long long lo;
    memset(b, 0, sizeof(b));
    if (!PyArg_ParseTuple(args, "y*y*w*y*Ly*y*y*", &b[0], &b[1], &b[2], &b[3], &lo, &b[4], &b[5], &b[6])) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = b[2].len, nlut = b[3].len / 4, nd = b[4].len / 8 - 1, na = b[6].len;
    if (need(&b[0], n, 8, "gid") || need(&b[1], n, 8, "row") || need(&b[3], nlut, 4, "lut") ||
        need(&b[5], na, 8, "arow") || nd < 0)
        goto done;
    const int64_t *gid = b[0].buf, *row = b[1].buf, *start = b[4].buf, *arow = b[5].buf;
    const int32_t *lut = b[3].buf;
    const uint8_t *aopen = b[6].buf;
    uint8_t *out = b[2].buf;
    for (Py_ssize_t d = 0; d < nd; d++)
        if (start[d] < 0 || start[d] > start[d + 1] || start[d + 1] > na) {
            PyErr_SetString(PyExc_ValueError, "start: not offsets into arow");
            goto done;
        }
    for (Py_ssize_t j = 0; j < n; j++) {
        const uint64_t idx = (uint64_t)gid[j] - (uint64_t)lo;
        const int32_t c = idx < (uint64_t)nlut ? lut[idx] : -1;
        uint8_t r = c == -2;
        if (c >= 0 && c < nd) {
            Py_ssize_t l = start[c], h = start[c + 1]; /* first event after the row */
            while (l < h) {
                Py_ssize_t mid = l + (h - l) / 2;
                if (arow[mid] <= row[j]) l = mid + 1;
                else h = mid;
            }
            r = l > start[c] && aopen[l - 1];
        }
        out[j] = r;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (int j = 0; j < 7; j++)
        if (b[j].obj) PyBuffer_Release(&b[j]);
    return result;
}

static PyMethodDef methods[] = {
    {"replay", replay, METH_VARARGS, "Utilization steps per set of flags: ts, util (bytearrays), flat."},
    {"relevant", relevant, METH_VARARGS, "Which goroutine transitions may move the series (into out)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kutil", "Compiled mutator utilization replay.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__kutil(void) { return PyModule_Create(&module); }
