/* Compiled fast paths of the v1 parser's merge (tracetui.gotrace.v1.order.merge) and
 * post-processing (tracetui.gotrace.v1.post.post_process).
 *
 * Both do the happy path only. merge() runs Go's parseEventBatches loop (heap on Ts only, the
 * available Ps walked as Go walks its slice) and records the order in which batches get
 * loaded, so that Python replays their loading (strings, stacks, inline strings and errors)
 * in Go's order; it stops at a batch that has a decoding error or at an ordering error, and
 * says which. post() runs Go's postProcessTrace checks and fix-ups in place and, on any
 * inconsistency, undoes its fix-ups and gives up. Giving up hands the work to the Python
 * path, which raises Go's exact message.
 *
 * Optional: without a C compiler tracetui runs the Python loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---- A hash map from uint64 keys to two values (linear probing, backward-shift deletion). ---- */

typedef struct {
    uint64_t key;
    uint64_t a;
    int64_t b;
} Slot;

typedef struct {
    Slot *slots;
    uint8_t *used;
    size_t mask, len;
    int bits;
} Map;

static int map_init(Map *m, int bits) {
    size_t cap = (size_t)1 << bits;
    m->slots = PyMem_RawMalloc(cap * sizeof(Slot));
    m->used = PyMem_RawCalloc(cap, 1);
    m->mask = cap - 1;
    m->len = 0;
    m->bits = bits;
    return m->slots != NULL && m->used != NULL ? 0 : -1;
}

static void map_free(Map *m) {
    PyMem_RawFree(m->slots);
    PyMem_RawFree(m->used);
    m->slots = NULL;
    m->used = NULL;
}

static inline size_t map_home(const Map *m, uint64_t key) {
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - m->bits));
}

/* The slot of key, or NULL. */
static inline Slot *map_get(const Map *m, uint64_t key) {
    size_t i = map_home(m, key);
    while (m->used[i]) {
        if (m->slots[i].key == key) return &m->slots[i];
        i = (i + 1) & m->mask;
    }
    return NULL;
}

static int map_grow(Map *m) {
    Map n;
    if (map_init(&n, m->bits + 1) < 0) return -1;
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->used[i]) continue;
        size_t j = map_home(&n, m->slots[i].key);
        while (n.used[j]) j = (j + 1) & n.mask;
        n.used[j] = 1;
        n.slots[j] = m->slots[i];
    }
    n.len = m->len;
    map_free(m);
    *m = n;
    return 0;
}

/* The slot of key, inserted with zero values if missing (*fresh says so); NULL if out of memory. */
static inline Slot *map_put(Map *m, uint64_t key, int *fresh) {
    size_t i = map_home(m, key);
    while (m->used[i]) {
        if (m->slots[i].key == key) {
            if (fresh) *fresh = 0;
            return &m->slots[i];
        }
        i = (i + 1) & m->mask;
    }
    if (2 * (m->len + 1) > m->mask + 1) {
        if (map_grow(m) < 0) return NULL;
        return map_put(m, key, fresh);
    }
    m->used[i] = 1;
    m->len++;
    m->slots[i].key = key;
    m->slots[i].a = 0;
    m->slots[i].b = 0;
    if (fresh) *fresh = 1;
    return &m->slots[i];
}

static inline void map_del(Map *m, uint64_t key) {
    size_t i = map_home(m, key);
    while (m->used[i] && m->slots[i].key != key) i = (i + 1) & m->mask;
    if (!m->used[i]) return;
    m->used[i] = 0;
    m->len--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (!m->used[j]) break;
        size_t k = map_home(m, m->slots[j].key);
        /* The entry at j may move to the hole at i unless its home lies cyclically in (i, j]. */
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays) continue;
        m->slots[i] = m->slots[j];
        m->used[i] = 1;
        m->used[j] = 0;
        i = j;
    }
}

/* ---- merge ---- */

/* Go's tracev1 event types (tracetui.gotrace.v1.spec). */
enum {
    EvGCStart = 7,
    EvGoCreate = 13,
    EvGoStart = 14,
    EvGoSched = 17,
    EvGoPreempt = 18,
    EvGoSleep = 19,
    EvGoBlock = 20,
    EvGoUnblock = 21,
    EvGoBlockSend = 22,
    EvGoBlockRecv = 23,
    EvGoBlockSelect = 24,
    EvGoBlockSync = 25,
    EvGoBlockCond = 26,
    EvGoBlockNet = 27,
    EvGoSysExit = 29,
    EvGoSysBlock = 30,
    EvGoWaiting = 31,
    EvGoInSyscall = 32,
    EvGoStartLocal = 38,
    EvGoUnblockLocal = 39,
    EvGoSysExitLocal = 40,
    EvGoStartLabel = 41,
    EvGoBlockGC = 42,
};

/* Go's order.go: gStatus and the sentinels. */
enum { G_DEAD, G_RUNNABLE, G_RUNNING, G_WAITING };
#define UNORDERED (~(uint64_t)0)
#define GARBAGE (~(uint64_t)0 - 1)
#define NOSEQ UNORDERED
#define SEQINC GARBAGE

typedef struct {
    uint64_t g, iseq, nseq;
    int ist, nst;
} Trans;

/* Go's stateTransition. */
static inline void state_transition(uint8_t t, uint64_t g, uint64_t a0, uint64_t a1, Trans *tr) {
    switch (t) {
    case EvGoCreate:
        *tr = (Trans){a0, 0, 1, G_DEAD, G_RUNNABLE};
        return;
    case EvGoWaiting:
    case EvGoInSyscall:
        *tr = (Trans){g, 1, 2, G_RUNNABLE, G_WAITING};
        return;
    case EvGoStart:
    case EvGoStartLabel:
        *tr = (Trans){g, a1, a1 + 1, G_RUNNABLE, G_RUNNING};
        return;
    case EvGoStartLocal:
        *tr = (Trans){g, NOSEQ, SEQINC, G_RUNNABLE, G_RUNNING};
        return;
    case EvGoBlock:
    case EvGoBlockSend:
    case EvGoBlockRecv:
    case EvGoBlockSelect:
    case EvGoBlockSync:
    case EvGoBlockCond:
    case EvGoBlockNet:
    case EvGoSleep:
    case EvGoSysBlock:
    case EvGoBlockGC:
        *tr = (Trans){g, NOSEQ, NOSEQ, G_RUNNING, G_WAITING};
        return;
    case EvGoSched:
    case EvGoPreempt:
        *tr = (Trans){g, NOSEQ, NOSEQ, G_RUNNING, G_RUNNABLE};
        return;
    case EvGoUnblock:
    case EvGoSysExit:
        *tr = (Trans){a0, a1, a1 + 1, G_WAITING, G_RUNNABLE};
        return;
    case EvGoUnblockLocal:
    case EvGoSysExitLocal:
        *tr = (Trans){a0, NOSEQ, SEQINC, G_WAITING, G_RUNNABLE};
        return;
    case EvGCStart:
        *tr = (Trans){GARBAGE, a0, a0 + 1, G_DEAD, G_DEAD};
        return;
    default:
        tr->g = UNORDERED;
        return;
    }
}

/* Go's transitionReady against gs (a = seq, b = status; a missing G is {0, gDead}). */
static inline int transition_ready(const Map *gs, const Trans *tr) {
    if (tr->g == UNORDERED) return 1;
    const Slot *s = map_get(gs, tr->g);
    uint64_t cs = s ? s->a : 0;
    int64_t ct = s ? s->b : 0;
    return (tr->iseq == NOSEQ || tr->iseq == cs) && tr->ist == ct;
}

typedef struct {
    int64_t next, end, q;
    int done, blocked;
    uint64_t bg; /* with blocked: the G whose state keeps the head waiting */
} Proc;

typedef struct {
    int64_t ts, e, pr;
} Item;

enum { M_OK = 0, M_LOAD_ERROR = 1, M_GIVE_UP = 2, M_IMPOSSIBLE = 3, M_NO_ORDER = 4 };

typedef struct {
    const uint8_t *typ;
    const uint64_t *g, *args;
    const int64_t *ts, *bfirst, *bend, *qstart, *qitems;
    const uint8_t *berr;
    Py_ssize_t n, nb, nq;
    Proc *procs;
    Py_ssize_t nprocs;
    int64_t *order, *loads;
    Py_ssize_t norder, nloads;
    Py_ssize_t limit; /* stop (merged so far) once this many rows are in order */
} MergeIn;

static int run_merge(MergeIn *in, int64_t *qpos, Py_ssize_t *avail, Item *heap, Map *gs) {
    Proc *procs = in->procs;
    Py_ssize_t navail = in->nprocs, nheap = 0;
    for (Py_ssize_t i = 0; i < navail; i++) avail[i] = i;
    uint64_t last_g = 0;
    int last_valid = 0; /* whether the last transition changed G last_g */
    for (;;) {
        for (Py_ssize_t i = 0; i < navail; i++) {
            Proc *pr = &procs[avail[i]];
            if (pr->next == pr->end) {
                /* Go's loadBatch, in a loop: batches may be empty. */
                while (pr->next == pr->end && pr->q >= 0 &&
                       qpos[pr->q] < in->qstart[pr->q + 1] - in->qstart[pr->q]) {
                    int64_t bno = in->qitems[in->qstart[pr->q] + qpos[pr->q]++];
                    if (bno < 0 || bno >= in->nb || in->nloads >= in->nb) return M_GIVE_UP;
                    in->loads[in->nloads++] = bno;
                    if (in->berr[bno]) return M_LOAD_ERROR;
                    pr->next = in->bfirst[bno];
                    pr->end = in->bend[bno];
                    if (pr->next < 0 || pr->end > in->n || pr->next > pr->end) return M_GIVE_UP;
                }
                if (pr->next == pr->end) {
                    pr->done = 1;
                    avail[i--] = avail[--navail];
                    continue;
                }
            }
            /* A head found blocked stays so until its G's state changes. */
            if (pr->blocked && !(last_valid && pr->bg == last_g)) continue;
            int64_t e = pr->next;
            Trans tr;
            state_transition(in->typ[e], in->g[e], in->args[4 * e], in->args[4 * e + 1], &tr);
            if (!transition_ready(gs, &tr)) {
                pr->blocked = 1;
                pr->bg = tr.g;
                continue;
            }
            pr->blocked = 0;
            pr->next = e + 1;
            int64_t pid = avail[i];
            avail[i--] = avail[--navail];
            /* Go's heap Push: up, on Ts only. */
            Py_ssize_t j = nheap++;
            heap[j] = (Item){in->ts[e], e, pid};
            while (j > 0) {
                Py_ssize_t k = (j - 1) / 2;
                if (!(heap[j].ts < heap[k].ts)) break;
                Item t = heap[k];
                heap[k] = heap[j];
                heap[j] = t;
                j = k;
            }
        }
        if (nheap == 0) {
            for (Py_ssize_t k = 0; k < in->nprocs; k++)
                if (!procs[k].done) return M_NO_ORDER;
            return M_OK;
        }
        /* Go's heap Pop: swap the root with the last, down over the rest, take the last. */
        Py_ssize_t last = nheap - 1;
        Item t = heap[0];
        heap[0] = heap[last];
        heap[last] = t;
        Py_ssize_t k = 0;
        for (;;) {
            Py_ssize_t j1 = 2 * k + 1;
            if (j1 >= last) break;
            Py_ssize_t j = j1;
            if (j1 + 1 < last && heap[j1 + 1].ts < heap[j1].ts) j = j1 + 1;
            if (!(heap[j].ts < heap[k].ts)) break;
            Item u = heap[k];
            heap[k] = heap[j];
            heap[j] = u;
            k = j;
        }
        Item it = heap[--nheap];
        int64_t e = it.e;
        Trans tr;
        state_transition(in->typ[e], in->g[e], in->args[4 * e], in->args[4 * e + 1], &tr);
        last_valid = 0;
        if (tr.g != UNORDERED) {
            if (!transition_ready(gs, &tr)) return M_IMPOSSIBLE;
            Slot *s = map_put(gs, tr.g, NULL);
            if (s == NULL) return -1;
            uint64_t ns = tr.nseq;
            if (ns == NOSEQ)
                ns = s->a;
            else if (ns == SEQINC)
                ns = s->a + 1;
            s->a = ns;
            s->b = tr.nst;
            last_g = tr.g;
            last_valid = 1;
        }
        if (in->norder >= in->n) return M_GIVE_UP;
        in->order[in->norder++] = e;
        if (in->norder >= in->limit && in->limit < in->n) return M_OK; /* a head: no more loads */
        avail[navail++] = it.pr;
    }
}

/* merge(typ, g, args, ts, bfirst, bend, berr, qstart, qitems, proc_q, proc_first, proc_end, order, loads, limit)
 *   typ uint8, g uint64, args uint64 (n, 4), ts int64: the rows (Columns); bfirst, bend int64
 *   and berr uint8: per batch, its rows and whether loading it fails; qstart int64 (nq + 1) and
 *   qitems int64: the batches of each queue; proc_q, proc_first, proc_end int64: per proc in
 *   Go's order, its queue (-1: none) and first rows; order int64 (n) and loads int64 (nb): out;
 *   limit: below n, stop once that many rows are in order (status 0: the head of Go's merge,
 *   without the loads that come after its last row).
 * Returns (status, rows in order, batches loaded): status 0 merged, 1 stopped at loading a
 * batch with an error (the last load), 2 gave up (anything unexpected), 3 stopped at an
 * impossible goroutine state transition, 4 found no consistent ordering. */
static PyObject *merge(PyObject *self, PyObject *args) {
    Py_buffer b[14];
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*y*y*y*y*w*w*n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6],
                          &b[7], &b[8], &b[9], &b[10], &b[11], &b[12], &b[13], &limit))
        return NULL;
    PyObject *result = NULL;
    MergeIn in;
    memset(&in, 0, sizeof(in));
    in.n = b[0].len;
    in.limit = limit > 0 ? limit : 1;
    in.nb = b[4].len / 8;
    in.nq = b[7].len / 8 - 1;
    in.nprocs = b[9].len / 8;
    Map gs = {0};
    int64_t *qpos = NULL;
    Py_ssize_t *avail = NULL;
    Item *heap = NULL;
    if (b[1].len != 8 * in.n || b[2].len != 32 * in.n || b[3].len != 8 * in.n || b[5].len != 8 * in.nb ||
        b[6].len != in.nb || in.nq < 0 || b[10].len != 8 * in.nprocs || b[11].len != 8 * in.nprocs ||
        b[12].len != 8 * in.n || b[13].len != 8 * in.nb) {
        PyErr_SetString(PyExc_ValueError, "merge: mismatched arguments");
        goto done;
    }
    in.typ = b[0].buf;
    in.g = b[1].buf;
    in.args = b[2].buf;
    in.ts = b[3].buf;
    in.bfirst = b[4].buf;
    in.bend = b[5].buf;
    in.berr = b[6].buf;
    in.qstart = b[7].buf;
    in.qitems = b[8].buf;
    in.order = b[12].buf;
    in.loads = b[13].buf;
    for (Py_ssize_t q = 0; q < in.nq; q++)
        if (in.qstart[q] < 0 || in.qstart[q] > in.qstart[q + 1] || in.qstart[q + 1] > b[8].len / 8) {
            PyErr_SetString(PyExc_ValueError, "merge: bad queues");
            goto done;
        }
    in.procs = PyMem_RawCalloc(in.nprocs ? in.nprocs : 1, sizeof(Proc));
    avail = PyMem_RawCalloc(in.nprocs ? in.nprocs : 1, sizeof(Py_ssize_t));
    heap = PyMem_RawCalloc(in.nprocs ? in.nprocs : 1, sizeof(Item));
    qpos = PyMem_RawCalloc(in.nq ? in.nq : 1, sizeof(int64_t));
    if (in.procs == NULL || avail == NULL || heap == NULL || qpos == NULL || map_init(&gs, 12) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    const int64_t *pq = b[9].buf, *pf = b[10].buf, *pe = b[11].buf;
    for (Py_ssize_t k = 0; k < in.nprocs; k++) {
        if (pq[k] >= in.nq || pf[k] < 0 || pe[k] > in.n || pf[k] > pe[k]) {
            PyErr_SetString(PyExc_ValueError, "merge: bad procs");
            goto done;
        }
        in.procs[k].q = pq[k] < 0 ? -1 : pq[k];
        in.procs[k].next = pf[k];
        in.procs[k].end = pe[k];
    }
    int status;
    Py_BEGIN_ALLOW_THREADS;
    status = run_merge(&in, qpos, avail, heap, &gs);
    Py_END_ALLOW_THREADS;
    if (status < 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("inn", status, in.norder, in.nloads);
done:
    map_free(&gs);
    PyMem_RawFree(in.procs);
    PyMem_RawFree(avail);
    PyMem_RawFree(heap);
    PyMem_RawFree(qpos);
    for (int k = 0; k < 14; k++) PyBuffer_Release(&b[k]);
    return result;
}

/* ---- post ---- */

/* tracetui.gotrace.v1.post's dispatch codes (_C_*), in its order. */
enum {
    C_NONE,
    C_START,
    C_UNBLOCK,
    C_BLOCK,
    C_SCHED,
    C_END,
    C_SYSCALL,
    C_SYSBLOCK,
    C_SYSEXIT,
    C_CREATE,
    C_PSTART,
    C_PSTOP,
    C_GCSTART,
    C_GCDONE,
    C_STWSTART,
    C_STWDONE,
    C_SWEEPSTART,
    C_SWEEPDONE,
    C_ASSISTSTART,
    C_ASSISTDONE,
    C_WAITING,
    C_TASKCREATE,
    C_TASKEND,
    C_REGION,
    C_BLOCKNET,
    C_STOP,
};
/* post.py's goroutine states (Go's gdesc state, waiting split by "blocked on the network"). */
enum { S_DEAD, S_RUNNABLE, S_RUNNING, S_WAITING, S_WAITING_NET };

typedef struct {
    int64_t row;
    uint32_t old;
    int is_p;
} Undo;

typedef struct {
    int64_t row, prev;
} Node;

typedef struct {
    const uint8_t *typ, *code;
    const uint64_t *g, *args; /* args: Go's Args of the rows in file order, 4 per row */
    const int32_t *order;      /* the merged row i is args' row order[i] */
    int32_t *p;
    uint32_t *stk;
    Py_ssize_t n;
    int32_t timer_p, netpoll_p, gc_p;
    Undo *undo;
    Py_ssize_t nundo, capundo;
    Node *nodes;
    Py_ssize_t nnodes, capnodes;
} PostIn;

enum { P_OK = 0, P_FAIL = 1, P_NOMEM = -1 };
#define ARG(in, i, k) ((in)->args[4 * (Py_ssize_t)(in)->order[(i)] + (k)])

static int push_undo(PostIn *in, int64_t row, uint32_t old, int is_p) {
    if (in->nundo == in->capundo) {
        Py_ssize_t cap = in->capundo ? 2 * in->capundo : 1024;
        Undo *u = PyMem_RawRealloc(in->undo, cap * sizeof(Undo));
        if (u == NULL) return -1;
        in->undo = u;
        in->capundo = cap;
    }
    in->undo[in->nundo++] = (Undo){row, old, is_p};
    return 0;
}

static inline int64_t get_or(const Map *m, uint64_t key, int64_t dflt) {
    const Slot *s = map_get(m, key);
    return s ? s->b : dflt;
}

#define PKEY(x) ((uint64_t)(int64_t)(x))
#define PUT(m, k, v)                                  \
    do {                                              \
        Slot *s_ = map_put((m), (k), NULL);           \
        if (s_ == NULL) return P_NOMEM;               \
        s_->b = (v);                                  \
    } while (0)

/* The checks and fix-ups; the maps: state (G -> state, its keys are Go's gs keys), create (G ->
 * row of its pending GoCreate), assist (Gs in a mark assist), pg (P -> the G it runs), prun,
 * sweep (Ps), tasks (task id -> row), regions (G -> its top node of nodes, each a region start). */
static int run_post(PostIn *in, Map *state, Map *create, Map *assist, Map *pg, Map *prun, Map *sweep, Map *tasks,
                    Map *regions) {
    int ev_gc = 0, ev_stw = 0;
    PUT(state, 0, S_RUNNING);
    for (Py_ssize_t i = 0; i < in->n; i++) {
        int c = in->code[in->typ[i]];
        if (c == C_NONE) continue;
        uint64_t gi = in->g[i];
        int32_t pi = in->p[i];
        uint64_t a0 = ARG(in, i, 0);
        switch (c) {
        case C_START:
            if (get_or(state, gi, S_DEAD) != S_RUNNABLE) return P_FAIL;
            if (get_or(pg, PKEY(pi), 0) != 0) return P_FAIL;
            PUT(state, gi, S_RUNNING);
            PUT(pg, PKEY(pi), (int64_t)gi);
            {
                Slot *s = map_get(create, gi);
                if (s != NULL) {
                    int64_t row = s->b;
                    map_del(create, gi);
                    if (push_undo(in, i, in->stk[i], 0) < 0) return P_NOMEM;
                    in->stk[i] = (uint32_t)ARG(in, row, 1);
                }
            }
            break;
        case C_UNBLOCK: {
            if (get_or(state, gi, S_DEAD) != S_RUNNING) return P_FAIL;
            if (pi != in->timer_p && (uint64_t)get_or(pg, PKEY(pi), 0) != gi) return P_FAIL;
            int64_t s1 = get_or(state, a0, S_DEAD);
            if (s1 != S_WAITING && s1 != S_WAITING_NET) return P_FAIL;
            if (s1 == S_WAITING_NET) {
                if (push_undo(in, i, (uint32_t)pi, 1) < 0) return P_NOMEM;
                in->p[i] = in->netpoll_p;
            }
            PUT(state, a0, S_RUNNABLE);
            break;
        }
        case C_BLOCK:
        case C_BLOCKNET:
        case C_SCHED:
        case C_END:
        case C_STOP:
            if (get_or(state, gi, S_DEAD) != S_RUNNING || (uint64_t)get_or(pg, PKEY(pi), 0) != gi || gi == 0)
                return P_FAIL;
            PUT(state, gi, c == C_BLOCK ? S_WAITING : c == C_BLOCKNET ? S_WAITING_NET : c == C_SCHED ? S_RUNNABLE : S_DEAD);
            if (c == C_END) map_del(regions, gi);
            PUT(pg, PKEY(pi), 0);
            break;
        case C_SYSCALL:
        case C_SYSBLOCK:
            if (get_or(state, gi, S_DEAD) != S_RUNNING || (uint64_t)get_or(pg, PKEY(pi), 0) != gi || gi == 0)
                return P_FAIL;
            if (c == C_SYSBLOCK) {
                PUT(state, gi, S_WAITING);
                PUT(pg, PKEY(pi), 0);
            }
            break;
        case C_SYSEXIT: {
            int64_t s = get_or(state, gi, S_DEAD);
            if (s != S_WAITING && s != S_WAITING_NET) return P_FAIL;
            PUT(state, gi, S_RUNNABLE);
            break;
        }
        case C_CREATE:
            if (get_or(state, gi, S_DEAD) != S_RUNNING || (uint64_t)get_or(pg, PKEY(pi), 0) != gi) return P_FAIL;
            if (map_get(state, a0) != NULL) return P_FAIL;
            PUT(state, a0, S_RUNNABLE);
            PUT(create, a0, i);
            map_del(assist, a0);
            break;
        case C_PSTART:
            if (map_get(prun, PKEY(pi)) != NULL) return P_FAIL;
            PUT(prun, PKEY(pi), 1);
            break;
        case C_PSTOP:
            if (map_get(prun, PKEY(pi)) == NULL) return P_FAIL;
            if (get_or(pg, PKEY(pi), 0) != 0) return P_FAIL;
            map_del(prun, PKEY(pi));
            break;
        case C_GCSTART:
            if (ev_gc) return P_FAIL;
            ev_gc = 1;
            if (push_undo(in, i, (uint32_t)pi, 1) < 0) return P_NOMEM;
            in->p[i] = in->gc_p;
            break;
        case C_GCDONE:
            if (!ev_gc) return P_FAIL;
            ev_gc = 0;
            break;
        case C_STWSTART:
            if (ev_stw) return P_FAIL;
            ev_stw = 1;
            break;
        case C_STWDONE:
            if (!ev_stw) return P_FAIL;
            ev_stw = 0;
            break;
        case C_SWEEPSTART:
            if (map_get(sweep, PKEY(pi)) != NULL) return P_FAIL;
            PUT(sweep, PKEY(pi), 1);
            break;
        case C_SWEEPDONE:
            if (map_get(sweep, PKEY(pi)) == NULL) return P_FAIL;
            map_del(sweep, PKEY(pi));
            break;
        case C_ASSISTSTART:
        case C_ASSISTDONE: {
            if (c == C_ASSISTSTART) {
                if (map_get(assist, gi) != NULL) return P_FAIL;
                PUT(assist, gi, 1);
            } else {
                map_del(assist, gi);
            }
            int fresh;
            Slot *s = map_put(state, gi, &fresh); /* setdefault(g, dead) */
            if (s == NULL) return P_NOMEM;
            if (fresh) s->b = S_DEAD;
            break;
        }
        case C_WAITING:
            if (get_or(state, gi, S_DEAD) != S_RUNNABLE) return P_FAIL;
            PUT(state, gi, S_WAITING);
            break;
        case C_TASKCREATE:
            if (map_get(tasks, a0) != NULL) return P_FAIL;
            PUT(tasks, a0, i);
            break;
        case C_TASKEND:
            map_del(tasks, a0);
            break;
        case C_REGION: {
            uint64_t mode = ARG(in, i, 1);
            int64_t top = get_or(regions, gi, -1);
            if (mode == 0) {
                if (in->nnodes == in->capnodes) {
                    Py_ssize_t cap = in->capnodes ? 2 * in->capnodes : 1024;
                    Node *nn = PyMem_RawRealloc(in->nodes, cap * sizeof(Node));
                    if (nn == NULL) return P_NOMEM;
                    in->nodes = nn;
                    in->capnodes = cap;
                }
                in->nodes[in->nnodes] = (Node){i, top};
                PUT(regions, gi, in->nnodes);
                in->nnodes++;
            } else if (mode == 1) {
                if (top >= 0) {
                    int64_t s = in->nodes[top].row;
                    if (ARG(in, s, 0) != a0 || ARG(in, s, 2) != ARG(in, i, 2)) return P_FAIL;
                    if (in->nodes[top].prev >= 0)
                        PUT(regions, gi, in->nodes[top].prev);
                    else
                        map_del(regions, gi);
                }
            } else {
                return P_FAIL;
            }
            break;
        }
        default:
            return P_FAIL;
        }
    }
    return P_OK;
}

/* post(typ, g, p, stk, args, order, code, known, timer_p, netpoll_p, gc_p)
 *   The merged columns (p int32 and stk uint32 are fixed up in place); args uint64 (m, 4): Go's
 *   Args in file order, order int32: the merged rows' rows of args; code: 256 uint8 (post.py's
 *   _CODE), known: the sorted uint32 stack ids with a stack (0 among them).
 * Returns True if the events pass Go's checks (and are fixed up), False if not (unchanged). */
static PyObject *post(PyObject *self, PyObject *args) {
    Py_buffer b[8];
    int timer_p, netpoll_p, gc_p;
    if (!PyArg_ParseTuple(args, "y*y*w*w*y*y*y*y*iii", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7],
                          &timer_p, &netpoll_p, &gc_p))
        return NULL;
    PyObject *result = NULL;
    PostIn in;
    memset(&in, 0, sizeof(in));
    Map maps[8];
    memset(maps, 0, sizeof(maps));
    uint8_t *bitmap = NULL;
    in.n = b[0].len;
    if (b[1].len != 8 * in.n || b[2].len != 4 * in.n || b[3].len != 4 * in.n || b[4].len % 32 != 0 ||
        b[5].len != 4 * in.n || b[6].len != 256) {
        PyErr_SetString(PyExc_ValueError, "post: mismatched arguments");
        goto done;
    }
    in.typ = b[0].buf;
    in.g = b[1].buf;
    in.p = b[2].buf;
    in.stk = b[3].buf;
    in.args = b[4].buf;
    in.order = b[5].buf;
    in.code = b[6].buf;
    for (Py_ssize_t i = 0, m = b[4].len / 32; i < in.n; i++)
        if (in.order[i] < 0 || in.order[i] >= m) {
            PyErr_SetString(PyExc_ValueError, "post: order out of range");
            goto done;
        }
    in.timer_p = timer_p;
    in.netpoll_p = netpoll_p;
    in.gc_p = gc_p;
    for (int k = 0; k < 8; k++)
        if (map_init(&maps[k], 10) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    const uint32_t *known = b[7].buf;
    Py_ssize_t nknown = b[7].len / 4;
    uint32_t maxid = nknown ? known[nknown - 1] : 0;
    int use_bitmap = maxid < (1u << 27);
    if (use_bitmap) {
        bitmap = PyMem_RawCalloc(((size_t)maxid >> 3) + 1, 1);
        if (bitmap == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t k = 0; k < nknown; k++) bitmap[known[k] >> 3] |= (uint8_t)(1u << (known[k] & 7));
    }
    int status;
    Py_BEGIN_ALLOW_THREADS;
    status = run_post(&in, &maps[0], &maps[1], &maps[2], &maps[3], &maps[4], &maps[5], &maps[6], &maps[7]);
    if (status == P_OK) {
        /* Go's last step: a stack id with no stack becomes 0. */
        for (Py_ssize_t i = 0; i < in.n; i++) {
            uint32_t s = in.stk[i];
            int have;
            if (use_bitmap) {
                have = s <= maxid && (bitmap[s >> 3] >> (s & 7)) & 1;
            } else {
                Py_ssize_t lo = 0, hi = nknown;
                while (lo < hi) {
                    Py_ssize_t mid = (lo + hi) / 2;
                    if (known[mid] < s) lo = mid + 1; else hi = mid;
                }
                have = lo < nknown && known[lo] == s;
            }
            if (!have) in.stk[i] = 0;
        }
    } else {
        for (Py_ssize_t k = in.nundo - 1; k >= 0; k--) {
            Undo u = in.undo[k];
            if (u.is_p)
                in.p[u.row] = (int32_t)u.old;
            else
                in.stk[u.row] = u.old;
        }
    }
    Py_END_ALLOW_THREADS;
    if (status == P_NOMEM) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyBool_FromLong(status == P_OK);
done:
    for (int k = 0; k < 8; k++) map_free(&maps[k]);
    PyMem_RawFree(in.undo);
    PyMem_RawFree(in.nodes);
    PyMem_RawFree(bitmap);
    for (int k = 0; k < 8; k++) PyBuffer_Release(&b[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"merge", merge, METH_VARARGS,
     "merge(typ, g, args, ts, bfirst, bend, berr, qstart, qitems, proc_q, proc_first, proc_end, order, loads, limit): "
     "(status, rows, loads)."},
    {"post", post, METH_VARARGS,
     "post(typ, g, p, stk, args, order, code, known, timer_p, netpoll_p, gc_p): whether the checks pass (fixed up)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kv1order", "Compiled v1 merge and post-processing.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__kv1order(void) { return PyModule_Create(&module); }
