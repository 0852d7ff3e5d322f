/* The loops of aligner/dtw.py: the skipping warp, its backtrack, and the guide's warp.
 *
 * Python allocates every array (numpy) and passes it in through the buffer protocol; this
 * module only checks what it is given, reads and writes it, and keeps a few rows of scratch
 * memory of its own. The GIL is released around the loops, so alignments in threads (batch
 * mode) run side by side.
 *
 * The arithmetic is the one numba compiled before this module replaced it, so the warp's
 * paths are the same to the bit: the products of feature values are single precision and
 * summed in double, in order; every `<` or `<=` that breaks a tie is kept. Build it without
 * -ffast-math: reordering the sums or fusing them changes which of two equal moves wins.
 * (There is no same-precision multiply-add to fuse: each float product is widened before it
 * is added.) numba compiled the guide's rows with fastmath, free to reorder their sums; here
 * they are plain IEEE too, so a guide path can differ from numba's where two paths tied to
 * the last bit.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Backtrack directions of `warp`, as dtw.py names them. */
enum { DIAGONAL = 0, COMPRESS = 1, STRETCH = 2, SKIP_AUDIO = 3, SKIP_TEXT = 4 };

/* Moves into the guide's match state (bits 0-2 of a direction byte). */
enum {
    M_DIAG_M = 0,
    M_DIAG_H = 1,
    M_DIAG_V = 2,
    M_STRETCH = 3,
    M_COMPRESS = 4,
    M_PAUSE_M = 5,
    M_PAUSE_V = 6
};

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

#define INF 1e30 /* an unreachable cell: finite, so sums with it stay comparable */

/* ------------------------------------------------------------------------------------------
 * Arguments: numpy arrays through the buffer protocol
 */

static const char *
dtype_name(char kind)
{
    switch (kind) {
    case 'f': return "float32";
    case 'd': return "float64";
    case '?': return "bool";
    case 'b': return "int8";
    case 'B': return "uint8";
    default: return "int64";
    }
}

/* Whether a buffer's format and item size are those of numpy's dtype `kind` (a struct
 * character: 'f', 'd', '?', 'b', 'B', or 'q' for int64, which numpy spells 'l' on LP64). */
static int
format_matches(const Py_buffer *view, char kind)
{
    const char *format = view->format != NULL ? view->format : "B";
    Py_ssize_t itemsize;
    if (*format == '@' || *format == '=')
        format++;
#if PY_LITTLE_ENDIAN
    else if (*format == '<')
        format++;
#else
    else if (*format == '>' || *format == '!')
        format++;
#endif
    if (format[0] == '\0' || format[1] != '\0')
        return 0;
    switch (kind) {
    case 'f': itemsize = 4; break;
    case 'd': itemsize = 8; break;
    case 'q': itemsize = 8; break;
    default: itemsize = 1;
    }
    if (view->itemsize != itemsize)
        return 0;
    if (kind == 'q')
        return format[0] == 'q' || format[0] == 'l';
    return format[0] == kind;
}

/* Take `obj`'s buffer into `view`: C-contiguous, of dtype `kind` and `ndim` dimensions,
 * writable if asked. On failure the error is set, nothing is held and -1 is returned. */
static int
get_array(PyObject *obj, Py_buffer *view, const char *name, char kind, int ndim, int writable)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        view->obj = NULL;
        if (PyErr_ExceptionMatches(PyExc_BufferError) || PyErr_ExceptionMatches(PyExc_TypeError)
            || PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous%s array of %s", name,
                         writable ? ", writable" : "", dtype_name(kind));
        }
        return -1;
    }
    if (!format_matches(view, kind)) {
        PyErr_Format(PyExc_TypeError, "%s must be an array of %s, not format '%s' (%zd bytes)",
                     name, dtype_name(kind), view->format != NULL ? view->format : "B",
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    if (view->ndim != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must have %d dimension%s, not %d", name, ndim,
                     ndim == 1 ? "" : "s", view->ndim);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* -1 with a ValueError unless axis `axis` of `view` has length `expected`. */
static int
check_dim(const Py_buffer *view, const char *name, int axis, Py_ssize_t expected,
          const char *why)
{
    if (view->shape[axis] != expected) {
        PyErr_Format(PyExc_ValueError, "%s has %zd on axis %d, expected %zd (%s)", name,
                     view->shape[axis], axis, expected, why);
        return -1;
    }
    return 0;
}

static void
release_all(Py_buffer *views, int count)
{
    for (int k = 0; k < count; k++)
        PyBuffer_Release(&views[k]); /* does nothing for a view never taken (obj NULL) */
}

/* ------------------------------------------------------------------------------------------
 * The skipping warp
 */

/* numba's min() of two values: the first unless the second is smaller (Python's rule). */
static inline double
min2(double a, double b)
{
    return b < a ? b : a;
}

static inline double
min3(double a, double b, double c)
{
    return min2(min2(a, b), c);
}

/* Cost of text frame `text_row` against recording frame `audio_row`: 1 - cosine of the unit
 * rows, or 2.0 for a frame that may only be skipped. Single-precision products summed in a
 * double, in order, as numba did. */
static ALWAYS_INLINE double
frame_cost(const float *restrict text_row, const float *restrict audio_row, Py_ssize_t d,
           unsigned char blocked)
{
    if (blocked)
        return 2.0;
    double dot = 0.0;
    for (Py_ssize_t k = 0; k < d; k++)
        dot += (double)(text_row[k] * audio_row[k]);
    return 1.0 - dot;
}

/* The cost of text frame `text_row` against every recording frame, as `frame_cost` gives it,
 * into `costs` (n values). The recording is transposed (`audio_t`: d rows of n), so the inner
 * loop runs over frames and the compiler can use SIMD lanes for them; each frame's own sum
 * still adds its d products in order, so every cost is the same to the bit. */
static ALWAYS_INLINE void
cost_row(const float *restrict text_row, const float *restrict audio_t,
         const unsigned char *restrict blocked, Py_ssize_t n, Py_ssize_t d,
         double *restrict costs)
{
    for (Py_ssize_t j = 0; j < n; j++)
        costs[j] = 0.0;
    for (Py_ssize_t k = 0; k < d; k++) {
        float t = text_row[k];
        const float *restrict a = audio_t + k * n;
        for (Py_ssize_t j = 0; j < n; j++)
            costs[j] += (double)(t * a[j]);
    }
    for (Py_ssize_t j = 0; j < n; j++)
        costs[j] = blocked[j] ? 2.0 : 1.0 - costs[j];
}

static ALWAYS_INLINE void
warp_rows(const float *restrict text, const float *restrict audio_t,
          const unsigned char *restrict blocked, const double *restrict skip_audio,
          double skip_text, double stretch, double pause, Py_ssize_t m, Py_ssize_t n,
          Py_ssize_t d, signed char *restrict back, double *restrict previous,
          double *restrict current, double *restrict costs)
{
    int pauses = pause >= 0; /* blocked frames cost `pause`, not the row's skip */
    /* With no text at all there is no row's skip to pass the recording over with (numba read
     * past the empty array here): the recording is free. */
    double skip_before = m > 0 ? skip_audio[0] : 0.0;
    /* Column 0 of the rows is "before the first recording frame": text skipped so far. */
    previous[0] = 0.0;
    for (Py_ssize_t j = 1; j <= n; j++) {
        /* recording skipped before the text */
        previous[j] = previous[j - 1] + (pauses && blocked[j - 1] ? pause : skip_before);
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        const float *text_row = text + i * d;
        signed char *back_row = back + i * n;
        double skip_row = skip_audio[i];
        cost_row(text_row, audio_t, blocked, n, d, costs);
        current[0] = previous[0] + skip_text;
        double left = current[0]; /* current[j - 1] */
        for (Py_ssize_t j = 1; j <= n; j++) {
            /* The diagonal, unless the cell above (compress, or skip the text frame) is
             * cheaper, unless the cell to the left (stretch, or skip the recording frame) is
             * cheaper still; a tie keeps the earlier move. `move += better * (other - move)`
             * and min2 are selects, not branches: which move wins is as hard to predict as
             * the recording, and mispredicted branches cost more than the arithmetic. */
            double cost = costs[j - 1];
            double best = previous[j - 1] + cost;
            int move = DIAGONAL;
            double value = previous[j] + min2(cost, skip_text);
            int better = value < best;
            int other = cost < skip_text ? COMPRESS : SKIP_TEXT;
            move += better * (other - move);
            best = min2(best, value);
            double skip = pauses && blocked[j - 1] ? pause : skip_row;
            value = left + min2(cost + stretch, skip);
            better = value < best;
            other = cost + stretch < skip ? STRETCH : SKIP_AUDIO;
            move += better * (other - move);
            best = min2(best, value);
            current[j] = best;
            left = best;
            back_row[j - 1] = (signed char)move;
        }
        memcpy(previous, current, (size_t)(n + 1) * sizeof(double));
    }
}

/* The features are 8 MFCCs (aligner.backends._speech): with d known the dot product unrolls. */
static void
warp_loops(const float *restrict text, const float *restrict audio,
           const unsigned char *restrict blocked, const double *restrict skip_audio,
           double skip_text, double stretch, double pause, Py_ssize_t m, Py_ssize_t n,
           Py_ssize_t d, signed char *restrict back, double *restrict previous,
           double *restrict current, double *restrict costs, float *restrict audio_t)
{
    for (Py_ssize_t j = 0; j < n; j++)
        for (Py_ssize_t k = 0; k < d; k++)
            audio_t[k * n + j] = audio[j * d + k];
    if (d == 8)
        warp_rows(text, audio_t, blocked, skip_audio, skip_text, stretch, pause, m, n, 8, back,
                  previous, current, costs);
    else
        warp_rows(text, audio_t, blocked, skip_audio, skip_text, stretch, pause, m, n, d, back,
                  previous, current, costs);
}

PyDoc_STRVAR(warp_doc,
"warp(text, audio, blocked, skip_audio, skip_text, stretch, pause, back, last_row)\n"
"--\n\n"
"Fill ``back`` (m x n int8 directions) and ``last_row`` (n + 1 float64: the cost of ending\n"
"the whole text at each recording position) for ``aligner.dtw.warp``. ``pause`` < 0 means\n"
"blocked frames cost ``skip_audio`` like the others.");

static PyObject *
kernels_warp(PyObject *self, PyObject *args)
{
    PyObject *text_obj, *audio_obj, *blocked_obj, *skip_obj, *back_obj, *last_obj;
    double skip_text, stretch, pause;
    if (!PyArg_ParseTuple(args, "OOOOdddOO:warp", &text_obj, &audio_obj, &blocked_obj,
                          &skip_obj, &skip_text, &stretch, &pause, &back_obj, &last_obj))
        return NULL;
    enum { TEXT, AUDIO, BLOCKED, SKIP, BACK, LAST, COUNT };
    Py_buffer views[COUNT];
    memset(views, 0, sizeof(views));
    PyObject *result = NULL;
    double *scratch = NULL;
    if (get_array(text_obj, &views[TEXT], "text", 'f', 2, 0) < 0
        || get_array(audio_obj, &views[AUDIO], "audio", 'f', 2, 0) < 0
        || get_array(blocked_obj, &views[BLOCKED], "blocked", '?', 1, 0) < 0
        || get_array(skip_obj, &views[SKIP], "skip_audio", 'd', 1, 0) < 0
        || get_array(back_obj, &views[BACK], "back", 'b', 2, 1) < 0
        || get_array(last_obj, &views[LAST], "last_row", 'd', 1, 1) < 0)
        goto done;
    Py_ssize_t m = views[TEXT].shape[0], n = views[AUDIO].shape[0], d = views[TEXT].shape[1];
    if (check_dim(&views[AUDIO], "audio", 1, d, "the text's features") < 0
        || check_dim(&views[BLOCKED], "blocked", 0, n, "one per recording frame") < 0
        || check_dim(&views[SKIP], "skip_audio", 0, m, "one per text frame") < 0
        || check_dim(&views[BACK], "back", 0, m, "text frames") < 0
        || check_dim(&views[BACK], "back", 1, n, "recording frames") < 0
        || check_dim(&views[LAST], "last_row", 0, n + 1, "recording frames + 1") < 0)
        goto done;
    /* a row of the table, a row of costs, and the recording transposed */
    scratch = malloc((size_t)(2 * n + 1) * sizeof(double) + (size_t)(n * d) * sizeof(float));
    if (scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    warp_loops(views[TEXT].buf, views[AUDIO].buf, views[BLOCKED].buf, views[SKIP].buf,
               skip_text, stretch, pause, m, n, d, views[BACK].buf, views[LAST].buf, scratch,
               scratch + n + 1, (float *)(scratch + 2 * n + 1));
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    free(scratch);
    release_all(views, COUNT);
    return result;
}

static void
backtrack_loops(const signed char *restrict back, const float *restrict text,
                const float *restrict audio, const unsigned char *restrict blocked,
                Py_ssize_t m, Py_ssize_t n, Py_ssize_t d, Py_ssize_t end,
                int64_t *restrict first, int64_t *restrict last, double *restrict cost,
                double *restrict total, int64_t *restrict count)
{
    for (Py_ssize_t k = 0; k < m; k++) {
        first[k] = -1;
        last[k] = -1;
        total[k] = 0.0;
        count[k] = 0;
    }
    Py_ssize_t i = m - 1;
    Py_ssize_t j = end - 1;
    while (i >= 0 && j >= 0) {
        signed char move = back[i * n + j];
        if (move != SKIP_AUDIO && move != SKIP_TEXT) {
            /* A row matched in two runs with a skip between (the end of a sentence stretched
             * over a pause onto the next onset) belongs to its earliest run. */
            if (last[i] < 0 || first[i] > j + 1)
                last[i] = j;
            first[i] = j;
            total[i] += frame_cost(text + i * d, audio + j * d, d, blocked[j]);
            count[i] += 1;
        }
        if (move == DIAGONAL) {
            i -= 1;
            j -= 1;
        }
        else if (move == COMPRESS || move == SKIP_TEXT) {
            i -= 1;
        }
        else {
            j -= 1;
        }
    }
    for (Py_ssize_t k = 0; k < m; k++)
        cost[k] = count[k] > 0 ? total[k] / (double)count[k] : 2.0;
}

PyDoc_STRVAR(backtrack_doc,
"backtrack(back, text, audio, blocked, end, first, last, cost)\n"
"--\n\n"
"Follow ``back`` from the last text frame at recording frame ``end - 1``; fill ``first``,\n"
"``last`` (int64, -1 for skipped text) and ``cost`` (float64, 2.0 for skipped text), one\n"
"per text frame, for ``aligner.dtw.warp``.");

static PyObject *
kernels_backtrack(PyObject *self, PyObject *args)
{
    PyObject *back_obj, *text_obj, *audio_obj, *blocked_obj, *first_obj, *last_obj, *cost_obj;
    Py_ssize_t end;
    if (!PyArg_ParseTuple(args, "OOOOnOOO:backtrack", &back_obj, &text_obj, &audio_obj,
                          &blocked_obj, &end, &first_obj, &last_obj, &cost_obj))
        return NULL;
    enum { BACK, TEXT, AUDIO, BLOCKED, FIRST, LAST, COST, COUNT };
    Py_buffer views[COUNT];
    memset(views, 0, sizeof(views));
    PyObject *result = NULL;
    void *scratch = NULL;
    if (get_array(back_obj, &views[BACK], "back", 'b', 2, 0) < 0
        || get_array(text_obj, &views[TEXT], "text", 'f', 2, 0) < 0
        || get_array(audio_obj, &views[AUDIO], "audio", 'f', 2, 0) < 0
        || get_array(blocked_obj, &views[BLOCKED], "blocked", '?', 1, 0) < 0
        || get_array(first_obj, &views[FIRST], "first", 'q', 1, 1) < 0
        || get_array(last_obj, &views[LAST], "last", 'q', 1, 1) < 0
        || get_array(cost_obj, &views[COST], "cost", 'd', 1, 1) < 0)
        goto done;
    Py_ssize_t m = views[TEXT].shape[0], n = views[AUDIO].shape[0], d = views[TEXT].shape[1];
    if (check_dim(&views[AUDIO], "audio", 1, d, "the text's features") < 0
        || check_dim(&views[BLOCKED], "blocked", 0, n, "one per recording frame") < 0
        || check_dim(&views[BACK], "back", 0, m, "text frames") < 0
        || check_dim(&views[BACK], "back", 1, n, "recording frames") < 0
        || check_dim(&views[FIRST], "first", 0, m, "one per text frame") < 0
        || check_dim(&views[LAST], "last", 0, m, "one per text frame") < 0
        || check_dim(&views[COST], "cost", 0, m, "one per text frame") < 0)
        goto done;
    if (end < 0 || end > n) {
        PyErr_Format(PyExc_ValueError, "end is %zd, outside 0..%zd", end, n);
        goto done;
    }
    /* the sum and the number of each row's matched costs */
    scratch = malloc((size_t)(m > 0 ? m : 1) * (sizeof(double) + sizeof(int64_t)));
    if (scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    double *total = scratch;
    int64_t *count = (int64_t *)(total + m);
    Py_BEGIN_ALLOW_THREADS
    backtrack_loops(views[BACK].buf, views[TEXT].buf, views[AUDIO].buf, views[BLOCKED].buf, m,
                    n, d, end, views[FIRST].buf, views[LAST].buf, views[COST].buf, total,
                    count);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    free(scratch);
    release_all(views, COUNT);
    return result;
}

/* ------------------------------------------------------------------------------------------
 * The guide's warp: slope-limited matches, skips that cost to open
 */

/* The costs of the guide's moves (aligner.dtw.warp_guide). */
typedef struct {
    double open_audio, skip_audio, open_text, skip_text, squeeze;
} GuideCosts;

/* A row of the table: the match (M), audio-skip (H) and text-skip (V) states, n + 1 columns
 * each, one after the other. */
#define STATE(row, state) ((row) + (state) * (n + 1))

/* Rows lo..hi-1 of the guide's table from `rows` (rows lo-2 and lo-1); the last two rows go
 * to `out`, and each row's directions to `back` unless it is NULL. Row i is computed in table
 * columns band_lo[i]..band_hi[i] only (and column 0's text skip); its other cells are
 * unreachable. Work per row is the band's width, not n: three row buffers rotate, and each is
 * cleared only where it last held values. */
static ALWAYS_INLINE void
guide_rows_d(const float *restrict text, const float *restrict audio,
             const unsigned char *restrict blocked, GuideCosts costs, Py_ssize_t n,
             Py_ssize_t d, Py_ssize_t lo, Py_ssize_t hi, const double *restrict rows,
             double *restrict out, unsigned char *restrict back,
             const int64_t *restrict band_lo, const int64_t *restrict band_hi,
             double *restrict scratch)
{
    double *before = scratch;                  /* row i-2 */
    double *previous = scratch + 3 * (n + 1);  /* row i-1 */
    double *current = scratch + 6 * (n + 1);
    double *cost_rows = scratch + 9 * (n + 1); /* rows i and i-1 (by parity) */
    memcpy(before, rows, (size_t)3 * (n + 1) * sizeof(double));
    memcpy(previous, rows + 3 * (n + 1), (size_t)3 * (n + 1) * sizeof(double));
    for (Py_ssize_t j = 0; j < 3 * (n + 1); j++)
        current[j] = INF;
    for (Py_ssize_t j = 0; j < 2 * (n + 1); j++)
        cost_rows[j] = 2.0;
    Py_ssize_t current_lo = 0, current_hi = n; /* columns the buffer may hold values in */
    Py_ssize_t previous_lo = 0, previous_hi = n;
    Py_ssize_t before_lo = 0, before_hi = n;
    Py_ssize_t cost_lo[2] = {0, 0};
    Py_ssize_t cost_hi[2] = {-1, -1}; /* nothing computed yet */
    for (Py_ssize_t i = lo; i < hi; i++) {
        for (int state = 0; state < 3; state++) {
            double *cleared = STATE(current, state);
            for (Py_ssize_t j = current_lo; j <= current_hi; j++)
                cleared[j] = INF;
        }
        Py_ssize_t a = band_lo[i] > 1 ? (Py_ssize_t)band_lo[i] : 1;
        Py_ssize_t z = band_hi[i] < n ? (Py_ssize_t)band_hi[i] : n;
        current_lo = a; /* column 0 is written on every row */
        current_hi = z;
        int parity = (int)(i & 1), parity_up = (int)((i + 1) & 1); /* rows i and i-1 */
        double *cost = cost_rows + parity * (n + 1);
        double *cost_up = cost_rows + parity_up * (n + 1);
        const float *text_row = text + i * d;
        if (i >= 1) { /* row i-1's costs where row i may compress onto them */
            const float *text_up = text_row - d;
            Py_ssize_t up_lo = cost_lo[parity_up], up_hi = cost_hi[parity_up];
            for (Py_ssize_t j = a; j <= z; j++)
                if (j < up_lo || j > up_hi)
                    cost_up[j] = frame_cost(text_up, audio + (j - 1) * d, d, blocked[j - 1]);
        }
        cost[0] = 2.0;
        for (Py_ssize_t j = a - 1 > 1 ? a - 1 : 1; j <= z; j++)
            cost[j] = frame_cost(text_row, audio + (j - 1) * d, d, blocked[j - 1]);
        cost_lo[parity] = a - 1 > 0 ? a - 1 : 0;
        cost_hi[parity] = z;
        const double *m_prev = STATE(previous, 0), *h_prev = STATE(previous, 1),
                     *v_prev = STATE(previous, 2);
        const double *m_before = STATE(before, 0);
        double *m_row = STATE(current, 0), *h_row = STATE(current, 1),
               *v_row = STATE(current, 2);
        unsigned char *back_row = back != NULL ? back + (i - lo) * n : NULL;
        m_row[0] = INF;
        h_row[0] = INF;
        v_row[0] = min2(m_prev[0] + costs.open_text, v_prev[0]) + costs.skip_text;
        for (Py_ssize_t j = a; j <= z; j++) {
            /* text frame i skipped at audio position j */
            double v_from_m = m_prev[j] + costs.open_text;
            double v_from_h = h_prev[j] + costs.open_text;
            double v_from_v = v_prev[j];
            double v = min3(v_from_m, v_from_h, v_from_v) + costs.skip_text;
            int v_move = v_from_m <= v_from_v && v_from_m <= v_from_h ? 0
                         : (v_from_v <= v_from_h ? 1 : 2);
            double m, h;
            int m_move, h_move;
            if (blocked[j - 1]) {
                /* a pause: carried through in the state it found, at no cost */
                double carry_m = m_row[j - 1];
                double carry_v = v_row[j - 1];
                m = min2(carry_m, carry_v);
                m_move = carry_m <= carry_v ? M_PAUSE_M : M_PAUSE_V;
                h = h_row[j - 1];
                h_move = 1;
            }
            else {
                double c = cost[j];
                double diag_m = m_prev[j - 1];
                double diag_h = h_prev[j - 1];
                double diag_v = v_prev[j - 1];
                double stretch = j >= 2 ? m_prev[j - 2] + cost[j - 1] : INF;
                double compress = i >= 1 ? m_before[j - 1] + cost_up[j] + costs.squeeze : INF;
                m = diag_m;
                m_move = M_DIAG_M;
                if (diag_h < m) {
                    m = diag_h;
                    m_move = M_DIAG_H;
                }
                if (diag_v < m) {
                    m = diag_v;
                    m_move = M_DIAG_V;
                }
                if (stretch < m) {
                    m = stretch;
                    m_move = M_STRETCH;
                }
                if (compress < m) {
                    m = compress;
                    m_move = M_COMPRESS;
                }
                m += c;
                /* audio frame j skipped after text frame i */
                double h_from_m = m_row[j - 1] + costs.open_audio;
                double h_from_h = h_row[j - 1];
                double h_from_v = v_row[j - 1] + costs.open_audio;
                h = min3(h_from_m, h_from_h, h_from_v) + costs.skip_audio;
                h_move = h_from_m <= h_from_h && h_from_m <= h_from_v ? 0
                         : (h_from_h <= h_from_v ? 1 : 2);
            }
            m_row[j] = m;
            h_row[j] = h;
            v_row[j] = v;
            if (back_row != NULL)
                back_row[j - 1] = (unsigned char)(m_move | (h_move << 3) | (v_move << 5));
        }
        /* rotate: the oldest buffer (row i-2) is cleared and reused for row i+1 */
        double *oldest = before;
        Py_ssize_t oldest_lo = before_lo, oldest_hi = before_hi;
        before = previous;
        before_lo = previous_lo;
        before_hi = previous_hi;
        previous = current;
        previous_lo = current_lo;
        previous_hi = current_hi;
        current = oldest;
        current_lo = oldest_lo;
        current_hi = oldest_hi;
    }
    memcpy(out, before, (size_t)3 * (n + 1) * sizeof(double));
    memcpy(out + 3 * (n + 1), previous, (size_t)3 * (n + 1) * sizeof(double));
}

/* As warp_loops: the dot products unroll for 8 features. */
static void
guide_rows_loops(const float *restrict text, const float *restrict audio,
                 const unsigned char *restrict blocked, GuideCosts costs, Py_ssize_t n,
                 Py_ssize_t d, Py_ssize_t lo, Py_ssize_t hi, const double *restrict rows,
                 double *restrict out, unsigned char *restrict back,
                 const int64_t *restrict band_lo, const int64_t *restrict band_hi,
                 double *restrict scratch)
{
    if (d == 8)
        guide_rows_d(text, audio, blocked, costs, n, 8, lo, hi, rows, out, back, band_lo,
                     band_hi, scratch);
    else
        guide_rows_d(text, audio, blocked, costs, n, d, lo, hi, rows, out, back, band_lo,
                     band_hi, scratch);
}

PyDoc_STRVAR(guide_rows_doc,
"guide_rows(text, audio, blocked, costs, lo, hi, rows, out, back, band_lo, band_hi)\n"
"--\n\n"
"Rows ``lo..hi-1`` of the guide's table from ``rows`` (rows ``lo-2`` and ``lo-1``, each as\n"
"M, H, V states: shape ``(2, 3, n + 1)``); the last two rows go to ``out`` the same way.\n"
"``costs`` is ``(open_audio, skip_audio, open_text, skip_text, squeeze)``. Unless ``back``\n"
"is None, row ``i``'s directions go to its row ``i - lo``.\n\n"
"Row ``i`` is computed in table columns ``band_lo[i]..band_hi[i]`` only (and column 0's\n"
"text skip); its other cells are unreachable. Work per row is the band's width, not n.");

static PyObject *
kernels_guide_rows(PyObject *self, PyObject *args)
{
    PyObject *text_obj, *audio_obj, *blocked_obj, *rows_obj, *out_obj, *back_obj;
    PyObject *band_lo_obj, *band_hi_obj;
    GuideCosts costs;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "OOO(ddddd)nnOOOOO:guide_rows", &text_obj, &audio_obj,
                          &blocked_obj, &costs.open_audio, &costs.skip_audio,
                          &costs.open_text, &costs.skip_text, &costs.squeeze, &lo, &hi,
                          &rows_obj, &out_obj, &back_obj, &band_lo_obj, &band_hi_obj))
        return NULL;
    enum { TEXT, AUDIO, BLOCKED, ROWS, OUT, BACK, BAND_LO, BAND_HI, COUNT };
    Py_buffer views[COUNT];
    memset(views, 0, sizeof(views));
    PyObject *result = NULL;
    double *scratch = NULL;
    int keep_back = back_obj != Py_None;
    if (get_array(text_obj, &views[TEXT], "text", 'f', 2, 0) < 0
        || get_array(audio_obj, &views[AUDIO], "audio", 'f', 2, 0) < 0
        || get_array(blocked_obj, &views[BLOCKED], "blocked", '?', 1, 0) < 0
        || get_array(rows_obj, &views[ROWS], "rows", 'd', 3, 0) < 0
        || get_array(out_obj, &views[OUT], "out", 'd', 3, 1) < 0
        || (keep_back && get_array(back_obj, &views[BACK], "back", 'B', 2, 1) < 0)
        || get_array(band_lo_obj, &views[BAND_LO], "band_lo", 'q', 1, 0) < 0
        || get_array(band_hi_obj, &views[BAND_HI], "band_hi", 'q', 1, 0) < 0)
        goto done;
    Py_ssize_t m = views[TEXT].shape[0], n = views[AUDIO].shape[0], d = views[TEXT].shape[1];
    if (check_dim(&views[AUDIO], "audio", 1, d, "the text's features") < 0
        || check_dim(&views[BLOCKED], "blocked", 0, n, "one per recording frame") < 0
        || check_dim(&views[ROWS], "rows", 0, 2, "two rows") < 0
        || check_dim(&views[ROWS], "rows", 1, 3, "three states") < 0
        || check_dim(&views[ROWS], "rows", 2, n + 1, "recording frames + 1") < 0
        || check_dim(&views[OUT], "out", 0, 2, "two rows") < 0
        || check_dim(&views[OUT], "out", 1, 3, "three states") < 0
        || check_dim(&views[OUT], "out", 2, n + 1, "recording frames + 1") < 0
        || check_dim(&views[BAND_LO], "band_lo", 0, m, "one per text frame") < 0
        || check_dim(&views[BAND_HI], "band_hi", 0, m, "one per text frame") < 0
        || (keep_back && check_dim(&views[BACK], "back", 1, n, "recording frames") < 0))
        goto done;
    if (lo < 0 || lo > hi || hi > m) {
        PyErr_Format(PyExc_ValueError, "rows %zd..%zd are not within the text's 0..%zd", lo,
                     hi, m);
        goto done;
    }
    if (keep_back && views[BACK].shape[0] < hi - lo) {
        PyErr_Format(PyExc_ValueError, "back has %zd rows, fewer than the %zd computed",
                     views[BACK].shape[0], hi - lo);
        goto done;
    }
    /* three rows of three states, and two rows of costs */
    scratch = malloc((size_t)11 * (n + 1) * sizeof(double));
    if (scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    guide_rows_loops(views[TEXT].buf, views[AUDIO].buf, views[BLOCKED].buf, costs, n, d, lo,
                     hi, views[ROWS].buf, views[OUT].buf, keep_back ? views[BACK].buf : NULL,
                     views[BAND_LO].buf, views[BAND_HI].buf, scratch);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    free(scratch);
    release_all(views, COUNT);
    return result;
}

/* Backtrack from cell (i, j) in `state` (0 M, 1 H, 2 V) while i >= lo. */
static void
guide_trace_loops(const unsigned char *restrict back, Py_ssize_t m, Py_ssize_t n,
                  Py_ssize_t lo, Py_ssize_t *i_, Py_ssize_t *j_, int *state_,
                  const unsigned char *restrict blocked, int64_t *restrict first,
                  int64_t *restrict last, unsigned char *restrict skipped)
{
    Py_ssize_t i = *i_, j = *j_;
    int state = *state_;
    while (i >= lo && j >= 0) {
        unsigned char code = back[(i - lo) * n + j];
        if (state == 0) {
            int move = code & 7;
            if (move == M_PAUSE_M || move == M_PAUSE_V) {
                state = move == M_PAUSE_M ? 0 : 2;
                j -= 1;
                continue;
            }
            first[i] = j;
            if (last[i] < 0)
                last[i] = j;
            if (move == M_STRETCH) {
                first[i] = j - 1;
                i -= 1;
                j -= 2;
                state = 0;
            }
            else if (move == M_COMPRESS) {
                /* Row 0 never compresses, but a path through unreachable cells (a band its
                 * ends are not in) reads directions never written: text frame -1 is then the
                 * last one, as Python's (numba's) indexing had it. */
                Py_ssize_t up = i >= 1 ? i - 1 : i - 1 + m;
                first[up] = j;
                if (last[up] < 0)
                    last[up] = j;
                i -= 2;
                j -= 1;
                state = 0;
            }
            else {
                state = move; /* M_DIAG_M/H/V are 0/1/2 */
                i -= 1;
                j -= 1;
            }
        }
        else if (state == 1) {
            if (!blocked[j])
                skipped[j] = 1;
            state = (code >> 3) & 3;
            j -= 1;
        }
        else {
            state = (code >> 5) & 3;
            state = state == 0 ? 0 : (state == 1 ? 2 : 1);
            i -= 1;
        }
    }
    *i_ = i;
    *j_ = j;
    *state_ = state;
}

PyDoc_STRVAR(guide_trace_doc,
"guide_trace(back, lo, i, j, state, blocked, first, last, skipped)\n"
"--\n\n"
"Backtrack from cell ``(i, j)`` in ``state`` (0 M, 1 H, 2 V) while ``i >= lo``, through the\n"
"directions of rows ``lo..`` (``back``); mark ``first``, ``last`` and ``skipped`` on the\n"
"way. Returns where it stopped: ``(i, j, state)``.");

static PyObject *
kernels_guide_trace(PyObject *self, PyObject *args)
{
    PyObject *back_obj, *blocked_obj, *first_obj, *last_obj, *skipped_obj;
    Py_ssize_t lo, i, j;
    int state;
    if (!PyArg_ParseTuple(args, "OnnniOOOO:guide_trace", &back_obj, &lo, &i, &j, &state,
                          &blocked_obj, &first_obj, &last_obj, &skipped_obj))
        return NULL;
    enum { BACK, BLOCKED, FIRST, LAST, SKIPPED, COUNT };
    Py_buffer views[COUNT];
    memset(views, 0, sizeof(views));
    PyObject *result = NULL;
    if (get_array(back_obj, &views[BACK], "back", 'B', 2, 0) < 0
        || get_array(blocked_obj, &views[BLOCKED], "blocked", '?', 1, 0) < 0
        || get_array(first_obj, &views[FIRST], "first", 'q', 1, 1) < 0
        || get_array(last_obj, &views[LAST], "last", 'q', 1, 1) < 0
        || get_array(skipped_obj, &views[SKIPPED], "skipped", '?', 1, 1) < 0)
        goto done;
    Py_ssize_t m = views[FIRST].shape[0], n = views[BLOCKED].shape[0];
    if (check_dim(&views[BACK], "back", 1, n, "recording frames") < 0
        || check_dim(&views[LAST], "last", 0, m, "one per text frame") < 0
        || check_dim(&views[SKIPPED], "skipped", 0, n, "one per recording frame") < 0)
        goto done;
    if (lo < 0 || i >= m || j >= n || (i >= lo && i - lo >= views[BACK].shape[0])) {
        PyErr_Format(PyExc_ValueError,
                     "cell (%zd, %zd) from row %zd is outside the directions (%zd x %zd "
                     "from row %zd, of %zd text frames)",
                     i, j, lo, views[BACK].shape[0], n, lo, m);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    guide_trace_loops(views[BACK].buf, m, n, lo, &i, &j, &state, views[BLOCKED].buf,
                      views[FIRST].buf, views[LAST].buf, views[SKIPPED].buf);
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("(nni)", i, j, state);
done:
    release_all(views, COUNT);
    return result;
}

/* ------------------------------------------------------------------------------------------ */

static PyMethodDef kernels_methods[] = {
    {"warp", kernels_warp, METH_VARARGS, warp_doc},
    {"backtrack", kernels_backtrack, METH_VARARGS, backtrack_doc},
    {"guide_rows", kernels_guide_rows, METH_VARARGS, guide_rows_doc},
    {"guide_trace", kernels_guide_trace, METH_VARARGS, guide_trace_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "aligner._kernels",
    .m_doc = "The loops of aligner.dtw, in C: arrays in and out through the buffer protocol.",
    .m_size = 0,
    .m_methods = kernels_methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModuleDef_Init(&kernels_module);
}
