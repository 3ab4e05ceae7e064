/*
 * replica.data.dumps._copyrows: the sanitizer's hot loop, compiled.
 *
 * Rewrites a chunk of whole COPY text rows (one table) by a per-column plan, producing exactly
 * the bytes the pure-Python rewriter in replica/data/dumps/rows.py produces (tests/unit/data compare
 * the two on generated rows). The fakes are the ones of replica/data/fakes.py: keyed BLAKE2b
 * (the reference implementation, vendored beside this file: hashlib has no C API) over the
 * decoded value, personalised per kind, and the same word tables, passed in from Python so they
 * live in one place.
 *
 * The loop runs without the GIL, so several threads can rewrite chunks side by side.
 *
 *     rewriter = Rewriter(key, ["keep", "text", b"constant", ...], corpus=..., starts=..., ...)
 *     out = rewriter.rewrite(chunk)   # ValueError((line_offset, fields)) on a malformed row
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* One translation unit with the reference BLAKE2b, so the keyed state can be taken past the key
 * block once (blake2b_compress is static there) and the compiler can inline the rounds. */
#include "blake2b-ref.c"

enum op { OP_KEEP, OP_DROP, OP_NULL, OP_CONST, OP_TEXT, OP_HASH, OP_NAME, OP_EMAIL, OP_USERNAME };

static const struct { const char *name; enum op op; size_t digest; const char *person; } OPS[] = {
    {"keep", OP_KEEP, 0, NULL},        {"drop", OP_DROP, 0, NULL},
    {"null", OP_NULL, 0, NULL},        {"text", OP_TEXT, 8, "text"},
    {"hash", OP_HASH, 8, "hash"},      {"name", OP_NAME, 16, "name"},
    {"email", OP_EMAIL, 16, "email"},  {"username", OP_USERNAME, 16, "username"},
};

typedef struct { char *data; size_t len; } text;         /* owned bytes */
typedef struct { text *items; size_t count; } table;      /* a list of words */

typedef struct {
    enum op op;
    text constant;          /* OP_CONST */
    blake2b_state keyed;    /* the state holding the key block: for the empty value */
    blake2b_state past_key; /* the key block already compressed: for any other value */
} column;

typedef struct {
    PyObject_HEAD
    size_t width;
    column *columns;
    text corpus;
    uint32_t *starts;
    size_t nstarts, min_text, max_text;
    table first_names, last_names, syllables;   /* lower case, as fakes.py uses them */
} Rewriter;

typedef struct { char *data; size_t len, cap; int failed; } buffer;

/* ---------------------------------------------------------------- owned copies of Python data */

static int copy_bytes(PyObject *obj, text *out, const char *what) {
    char *data;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(obj, &data, &len) < 0) {
        PyErr_Format(PyExc_TypeError, "%s must be bytes", what);
        return -1;
    }
    out->data = PyMem_Malloc(len ? (size_t)len : 1);
    if (!out->data) { PyErr_NoMemory(); return -1; }
    memcpy(out->data, data, (size_t)len);
    out->len = (size_t)len;
    return 0;
}

static int copy_table(PyObject *seq, table *out, const char *what) {
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n == 0) { Py_DECREF(fast); PyErr_Format(PyExc_ValueError, "%s is empty", what); return -1; }
    out->items = PyMem_Calloc((size_t)n, sizeof(text));
    if (!out->items) { Py_DECREF(fast); PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (copy_bytes(PySequence_Fast_GET_ITEM(fast, i), &out->items[i], what) < 0) {
            Py_DECREF(fast);
            return -1;
        }
        out->count++;
    }
    Py_DECREF(fast);
    return 0;
}

static void free_table(table *t) {
    for (size_t i = 0; i < t->count; i++) PyMem_Free(t->items[i].data);
    PyMem_Free(t->items);
    t->items = NULL;
    t->count = 0;
}

/* hashlib.blake2b(key=key, person=person, digest_size=digest), before any data; and the same
 * state with the key block compressed, as blake2b_update does on the first byte of data. */
static int keyed_state(blake2b_state *S, blake2b_state *past_key, const char *key, size_t keylen,
                       const char *person, size_t digest) {
    blake2b_param P;
    uint8_t block[BLAKE2B_BLOCKBYTES];
    memset(&P, 0, sizeof P);
    P.digest_length = (uint8_t)digest;
    P.key_length = (uint8_t)keylen;
    P.fanout = 1;
    P.depth = 1;
    memcpy(P.personal, person, strlen(person));
    if (blake2b_init_param(S, &P) < 0) return -1;
    memset(block, 0, sizeof block);
    memcpy(block, key, keylen);
    blake2b_update(S, block, sizeof block);
    memset(block, 0, sizeof block);
    *past_key = *S;
    blake2b_increment_counter(past_key, BLAKE2B_BLOCKBYTES);
    blake2b_compress(past_key, past_key->buf);
    past_key->buflen = 0;
    return 0;
}

/* ------------------------------------------------------------------------------ construction */

static void Rewriter_dealloc(Rewriter *self) {
    if (self->columns) {
        for (size_t i = 0; i < self->width; i++) PyMem_Free(self->columns[i].constant.data);
        PyMem_Free(self->columns);
    }
    PyMem_Free(self->corpus.data);
    PyMem_Free(self->starts);
    free_table(&self->first_names);
    free_table(&self->last_names);
    free_table(&self->syllables);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int parse_plan(Rewriter *self, PyObject *plan, const char *key, size_t keylen) {
    PyObject *fast = PySequence_Fast(plan, "the plan must be a sequence");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    self->columns = PyMem_Calloc(n ? (size_t)n : 1, sizeof(column));
    if (!self->columns) { Py_DECREF(fast); PyErr_NoMemory(); return -1; }
    self->width = (size_t)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        column *c = &self->columns[i];
        if (PyBytes_Check(item)) {
            c->op = OP_CONST;
            if (copy_bytes(item, &c->constant, "a constant") < 0) goto fail;
            continue;
        }
        const char *name = PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;
        size_t k = 0, nops = sizeof OPS / sizeof OPS[0];
        while (name && k < nops && strcmp(OPS[k].name, name) != 0) k++;
        if (!name || k == nops) {
            PyErr_Format(PyExc_ValueError, "column %zd: unknown operation %R", i, item);
            goto fail;
        }
        c->op = OPS[k].op;
        if (OPS[k].person && keyed_state(&c->keyed, &c->past_key, key, keylen, OPS[k].person, OPS[k].digest) < 0) {
            PyErr_SetString(PyExc_ValueError, "cannot key BLAKE2b");
            goto fail;
        }
    }
    Py_DECREF(fast);
    return 0;
fail:
    Py_DECREF(fast);
    return -1;
}

static int Rewriter_init(Rewriter *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"key", "plan", "corpus", "starts", "min_text", "max_text",
                            "first_names", "last_names", "syllables", NULL};
    Py_buffer key, starts;
    PyObject *plan, *corpus, *first, *last, *syllables;
    Py_ssize_t min_text, max_text;
    if (self->columns) {
        PyErr_SetString(PyExc_RuntimeError, "a Rewriter is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*OSy*nnOOO", names, &key, &plan, &corpus,
                                     &starts, &min_text, &max_text, &first, &last, &syllables))
        return -1;
    int rc = -1;
    if (key.len < 1 || key.len > BLAKE2B_KEYBYTES) {
        PyErr_SetString(PyExc_ValueError, "the key must be 1 to 64 bytes");
        goto done;
    }
    if (starts.len == 0 || starts.len % 4 || min_text < 0 || max_text < min_text) {
        PyErr_SetString(PyExc_ValueError, "bad text tables");
        goto done;
    }
    if (parse_plan(self, plan, key.buf, (size_t)key.len) < 0) goto done;
    if (copy_bytes(corpus, &self->corpus, "corpus") < 0) goto done;
    self->nstarts = (size_t)starts.len / 4;
    self->starts = PyMem_Malloc((size_t)starts.len);
    if (!self->starts) { PyErr_NoMemory(); goto done; }
    for (size_t i = 0; i < self->nstarts; i++) {   /* little-endian uint32, as array('I') packs */
        const uint8_t *p = (const uint8_t *)starts.buf + 4 * i;
        self->starts[i] = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        if (self->starts[i] >= self->corpus.len) {
            PyErr_SetString(PyExc_ValueError, "a text start lies outside the corpus");
            goto done;
        }
    }
    self->min_text = (size_t)min_text;
    self->max_text = (size_t)max_text;
    if (copy_table(first, &self->first_names, "first_names") < 0 ||
        copy_table(last, &self->last_names, "last_names") < 0 ||
        copy_table(syllables, &self->syllables, "syllables") < 0)
        goto done;
    rc = 0;
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&starts);
    return rc;
}

/* ------------------------------------------------------------------------- the loop (no GIL) */

static int reserve(buffer *b, size_t more) {
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap * 2 > b->len + more ? b->cap * 2 : b->len + more;
    char *data = PyMem_RawRealloc(b->data, cap);
    if (!data) { b->failed = 1; return -1; }
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline void put(buffer *b, const void *data, size_t len) {
    if (reserve(b, len) == 0) {
        memcpy(b->data + b->len, data, len);
        b->len += len;
    }
}

static inline void put_text(buffer *b, const text *t) { put(b, t->data, t->len); }

static void put_hex(buffer *b, const uint8_t *digest, size_t n) {
    static const char HEX[] = "0123456789abcdef";
    if (reserve(b, 2 * n) < 0) return;
    for (size_t i = 0; i < n; i++) {
        b->data[b->len++] = HEX[digest[i] >> 4];
        b->data[b->len++] = HEX[digest[i] & 15];
    }
}

static void put_capitalized(buffer *b, const text *a, const text *c, const text *d) {
    size_t at = b->len;
    put_text(b, a);
    put_text(b, c);
    if (d) put_text(b, d);
    if (!b->failed && b->len > at && b->data[at] >= 'a' && b->data[at] <= 'z') b->data[at] -= 32;
}

static inline int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The value a COPY text field stands for: dumpformat.decode_copy, byte for byte. */
static size_t decode_copy(const char *s, size_t n, char *out) {
    size_t o = 0, i = 0;
    while (i < n) {
        char c = s[i];
        if (c != '\\' || i + 1 == n) { out[o++] = c; i++; continue; }
        char e = s[i + 1];
        if (e == 'x' && i + 2 < n && hexval(s[i + 2]) >= 0) {
            int v = hexval(s[i + 2]);
            i += 3;
            if (i < n && hexval(s[i]) >= 0) v = v * 16 + hexval(s[i++]);
            out[o++] = (char)v;
        } else if (e >= '0' && e <= '7') {
            int v = 0, digits = 0;
            i += 1;
            while (digits < 3 && i < n && s[i] >= '0' && s[i] <= '7') { v = v * 8 + (s[i++] - '0'); digits++; }
            out[o++] = (char)(v & 0xFF);
        } else {
            switch (e) {
                case 'b': out[o++] = '\b'; break;
                case 'f': out[o++] = '\f'; break;
                case 'n': out[o++] = '\n'; break;
                case 'r': out[o++] = '\r'; break;
                case 't': out[o++] = '\t'; break;
                case 'v': out[o++] = '\v'; break;
                default: out[o++] = e;   /* "\\\\" and any other escaped byte stand for themselves */
            }
            i += 2;
        }
    }
    return o;
}

static void put_fake(const Rewriter *self, const column *c, const char *value, size_t len,
                     buffer *b) {
    uint8_t d[16];
    blake2b_state S = len ? c->past_key : c->keyed;
    blake2b_update(&S, value, len);
    blake2b_final(&S, d, sizeof d);
    switch (c->op) {
    case OP_TEXT: {
        uint64_t h = 0;
        for (int i = 7; i >= 0; i--) h = h << 8 | d[i];
        size_t start = self->starts[h % self->nstarts];
        size_t want = len < self->min_text ? self->min_text : len;
        if (want > self->max_text) want = self->max_text;
        if (start + want > self->corpus.len) want = self->corpus.len - start;
        put(b, self->corpus.data + start, want);
        break;
    }
    case OP_HASH:
        put_hex(b, d, 8);
        break;
    case OP_NAME: {
        const table *s = &self->syllables;
        put_capitalized(b, &s->items[d[0] % s->count], &s->items[d[1] % s->count], NULL);
        put(b, " ", 1);
        put_capitalized(b, &s->items[d[2] % s->count], &s->items[d[3] % s->count],
                        &s->items[d[4] % s->count]);
        break;
    }
    case OP_EMAIL:
        put_text(b, &self->first_names.items[d[8] % self->first_names.count]);
        put(b, ".", 1);
        put_text(b, &self->last_names.items[d[9] % self->last_names.count]);
        put(b, ".", 1);
        put_hex(b, d, 8);
        put(b, "@example.com", 12);
        break;
    case OP_USERNAME:
        put_text(b, &self->first_names.items[d[8] % self->first_names.count]);
        put(b, "_", 1);
        put_hex(b, d, 8);
        break;
    default:
        break;
    }
}

typedef struct { const char *start; size_t len; } field;

/* Short values repeat (speakers, names, emails across tables): each call keeps a small
 * direct-mapped cache of fakes per column, so a repeat costs a lookup instead of a BLAKE2b. */
enum { CACHE_SLOTS = 256, CACHE_KEY = 40, CACHE_OUT = 96 };
typedef struct { uint8_t used, klen, olen; char key[CACHE_KEY]; char out[CACHE_OUT]; } slot;

typedef struct {
    field *fields;   /* one row's fields */
    char *scratch;   /* a decoded value */
    slot **caches;   /* per column, NULL where no fake is made */
} work;

static void put_cached_fake(const Rewriter *self, const column *c, slot *cache, const char *value,
                            size_t len, buffer *b) {
    if (!cache || len > CACHE_KEY) {
        put_fake(self, c, value, len, b);
        return;
    }
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)value[i]) * 16777619u;
    slot *s = &cache[h % CACHE_SLOTS];
    if (s->used && s->klen == len && memcmp(s->key, value, len) == 0) {
        put(b, s->out, s->olen);
        return;
    }
    size_t at = b->len;
    put_fake(self, c, value, len, b);
    size_t olen = b->len - at;
    if (!b->failed && olen <= CACHE_OUT) {
        s->used = 1;
        s->klen = (uint8_t)len;
        s->olen = (uint8_t)olen;
        memcpy(s->key, value, len);
        memcpy(s->out, b->data + at, olen);
    }
}

/* Rewrite every whole line of data[0:n] (a trailing partial line is dropped, as rows.py does).
 * Returns -1 when done, else the offset of the first line whose field count is wrong. */
static Py_ssize_t rewrite_lines(const Rewriter *self, const char *data, size_t n, buffer *b,
                                const work *w, size_t *bad_fields) {
    field *fields = w->fields;
    const char *p = data, *end = data + n;
    Py_ssize_t line_no = 0;
    for (;; line_no++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) return -1;
        size_t count = 0;
        const char *f = p;
        for (;;) {
            const char *tab = memchr(f, '\t', (size_t)(eol - f));
            const char *stop = tab ? tab : eol;
            if (count < self->width) fields[count] = (field){f, (size_t)(stop - f)};
            count++;
            if (!tab) break;
            f = tab + 1;
        }
        if (count != self->width) { *bad_fields = count; return line_no; }
        int first = 1;
        for (size_t i = 0; i < self->width; i++) {
            const column *c = &self->columns[i];
            const field *v = &fields[i];
            if (c->op == OP_DROP) continue;
            if (!first) put(b, "\t", 1);
            first = 0;
            switch (c->op) {
            case OP_KEEP: put(b, v->start, v->len); break;
            case OP_NULL: put(b, "\\N", 2); break;
            default:   /* a fake: NULL stays NULL, as in rows.py */
                if (v->len == 2 && v->start[0] == '\\' && v->start[1] == 'N') put(b, "\\N", 2);
                else if (c->op == OP_CONST) put_text(b, &c->constant);
                else if (memchr(v->start, '\\', v->len))
                    put_cached_fake(self, c, w->caches[i], w->scratch,
                                    decode_copy(v->start, v->len, w->scratch), b);
                else
                    put_cached_fake(self, c, w->caches[i], v->start, v->len, b);
            }
        }
        put(b, "\n", 1);
        p = eol + 1;
    }
}

static PyObject *Rewriter_rewrite(Rewriter *self, PyObject *arg) {
    Py_buffer in;
    if (!self->columns) {
        PyErr_SetString(PyExc_RuntimeError, "the Rewriter was not initialised");
        return NULL;
    }
    if (PyObject_GetBuffer(arg, &in, PyBUF_SIMPLE) < 0) return NULL;
    size_t n = (size_t)in.len, bad_fields = 0;
    buffer out = {PyMem_RawMalloc(n + n / 4 + 64), 0, n + n / 4 + 64, 0};
    size_t width = self->width ? self->width : 1;
    work w = {PyMem_RawMalloc(sizeof(field) * width),
              PyMem_RawMalloc(n ? n : 1),   /* a decoded value is never longer */
              PyMem_RawCalloc(width, sizeof(slot *))};
    int ready = out.data && w.fields && w.scratch && w.caches;
    for (size_t i = 0; ready && i < self->width; i++) {
        enum op op = self->columns[i].op;
        if (op != OP_KEEP && op != OP_DROP && op != OP_NULL && op != OP_CONST)
            ready = (w.caches[i] = PyMem_RawCalloc(CACHE_SLOTS, sizeof(slot))) != NULL;
    }
    Py_ssize_t bad = -1;
    if (ready) {
        Py_BEGIN_ALLOW_THREADS
        bad = rewrite_lines(self, in.buf, n, &out, &w, &bad_fields);
        Py_END_ALLOW_THREADS
    } else {
        out.failed = 1;
    }
    PyBuffer_Release(&in);
    for (size_t i = 0; w.caches && i < self->width; i++) PyMem_RawFree(w.caches[i]);
    PyMem_RawFree(w.caches);
    PyMem_RawFree(w.fields);
    PyMem_RawFree(w.scratch);
    PyObject *result = NULL;
    if (out.failed)
        PyErr_NoMemory();
    else if (bad >= 0) {
        PyObject *where = Py_BuildValue("(nn)", bad, (Py_ssize_t)bad_fields);
        if (where) {
            PyErr_SetObject(PyExc_ValueError, where);
            Py_DECREF(where);
        }
    } else
        result = PyBytes_FromStringAndSize(out.data, (Py_ssize_t)out.len);
    PyMem_RawFree(out.data);
    return result;
}

/* scan(chunk) -> (marker, newlines): where the line "\\." that ends a COPY block starts (-1 when the
 * chunk has none; a last line "\\." without its newline counts, as at the end of a file), and
 * how many newlines come before it. source.split_block's rules, in one pass without the GIL. */
static PyObject *scan(PyObject *module, PyObject *arg) {
    Py_buffer in;
    (void)module;
    if (PyObject_GetBuffer(arg, &in, PyBUF_SIMPLE) < 0) return NULL;
    const char *data = in.buf;
    size_t n = (size_t)in.len, pos = 0, newlines = 0;
    Py_ssize_t marker = -1;
    Py_BEGIN_ALLOW_THREADS
    while (pos < n) {
        if (data[pos] == '\\' && pos + 1 < n && data[pos + 1] == '.' &&
            (pos + 2 == n || data[pos + 2] == '\n')) {
            marker = (Py_ssize_t)pos;
            break;
        }
        const char *eol = memchr(data + pos, '\n', n - pos);
        if (!eol) break;
        newlines++;
        pos = (size_t)(eol - data) + 1;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&in);
    return Py_BuildValue("(nn)", marker, (Py_ssize_t)newlines);
}

static PyMethodDef module_methods[] = {
    {"scan", scan, METH_O,
     "scan(chunk) -> (marker offset or -1, newlines before it): the end of a COPY block."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef Rewriter_methods[] = {
    {"rewrite", (PyCFunction)Rewriter_rewrite, METH_O,
     "rewrite(chunk) -> bytes: the chunk's whole rows, sanitized; ValueError((line, fields)) "
     "for the first row without the table's number of fields."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RewriterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "replica.data.dumps._copyrows.Rewriter",
    .tp_basicsize = sizeof(Rewriter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Rewriter(key, plan, *, corpus, starts, min_text, max_text, first_names, "
              "last_names, syllables): one table's COPY rows rewritten by a per-column plan.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Rewriter_init,
    .tp_dealloc = (destructor)Rewriter_dealloc,
    .tp_methods = Rewriter_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "replica.data.dumps._copyrows",
    "The sanitizer's COPY row loop, compiled (see replica/data/dumps/rows.py).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__copyrows(void) {
    if (PyType_Ready(&RewriterType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&RewriterType);
    if (PyModule_AddObject(m, "Rewriter", (PyObject *)&RewriterType) < 0) {
        Py_DECREF(&RewriterType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
