/* DVH engine, sampling: even-odd scanline fill of each contour plane on the
 * sub-grid, trilinear dose at every sample, parallel over (ROI, plane). */
#include <math.h>
#include <string.h>

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#include <rert/core.h>

#include "internal.h"

/* Points within this many voxels beyond the half-voxel edge still count as
 * inside (round-off in xyz -> ijk), as in the geometry module. */
#define EDGE_EPS 1e-6

/* One (ROI, plane) unit of work. */
typedef struct Item {
    DvhRoiWork *roi;
    DvhPlane *plane;
} Item;

/* Per-thread scratch for the crossings of one plane. */
typedef struct Scratch {
    size_t *row_start;
    double *xs;
} Scratch;

static void sort_small(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
}

static void
edge_rows(const DvhGrid *g, double ya, double yb, int64_t *r0, int64_t *r1)
{
    double lo = fmin(ya, yb);
    double hi = fmax(ya, yb);
    *r0 = (int64_t)ceil((lo - g->y0_mm) / g->hy_mm - 0.5);
    *r1 = (int64_t)ceil((hi - g->y0_mm) / g->hy_mm - 0.5);
}

/* Calls fn(r, x) for every row r crossed by every edge of plane p. */
#define FOR_EACH_CROSSING(w, p, BODY)                                          \
    for (size_t a_ = 0; a_ < (p)->count; a_++) {                               \
        const RertPolygon *pa_ = &(w)->polygons[(w)->order[(p)->first + a_]];  \
        for (size_t i_ = 0; i_ < pa_->count; i_++) {                           \
            const RertVec3 *u_ = &pa_->points_mm[i_];                          \
            const RertVec3 *v_ = &pa_->points_mm[(i_ + 1) % pa_->count];       \
            int64_t r0_;                                                       \
            int64_t r1_;                                                       \
            edge_rows(&(w)->grid, u_->y, v_->y, &r0_, &r1_);                   \
            for (int64_t r_ = r0_; r_ < r1_; r_++) {                           \
                double y_ =                                                    \
                    (w)->grid.y0_mm + ((double)r_ + 0.5) * (w)->grid.hy_mm;    \
                double x_ =                                                    \
                    u_->x + (y_ - u_->y) / (v_->y - u_->y) * (v_->x - u_->x);  \
                size_t row_ = (size_t)(r_ - (p)->row0);                        \
                BODY                                                           \
            }                                                                  \
        }                                                                      \
    }

void dvh_plane_crossings(const DvhRoiWork *w,
                         const DvhPlane *p,
                         size_t *row_start,
                         double *xs)
{
    memset(row_start, 0, (p->rows + 1) * sizeof *row_start);
    FOR_EACH_CROSSING(w, p, {
        (void)x_;
        row_start[row_ + 1]++;
    })
    for (size_t r = 0; r < p->rows; r++) {
        row_start[r + 1] += row_start[r];
    }
    /* Fill using row_start as a cursor, then shift it back. */
    FOR_EACH_CROSSING(w, p, { xs[row_start[row_]++] = x_; })
    for (size_t r = p->rows; r > 0; r--) {
        row_start[r] = row_start[r - 1];
    }
    row_start[0] = 0;
    for (size_t r = 0; r < p->rows; r++) {
        sort_small(xs + row_start[r], row_start[r + 1] - row_start[r]);
    }
}

/* Sub-grid cells touched by the span [xa, xb): c0 <= c < c1. */
static void
span_cells(const DvhGrid *g, double xa, double xb, int64_t *c0, int64_t *c1)
{
    *c0 = (int64_t)floor((xa - g->x0_mm) / g->hx_mm);
    *c1 = (int64_t)ceil((xb - g->x0_mm) / g->hx_mm);
    if (!(xb > xa)) {
        *c1 = *c0;
    }
}

/* Linear interpolation weights along one axis; false when outside. */
static inline bool
axis_weights(double f, size_t n, size_t *i0, size_t *i1, double *t)
{
    double hi = (double)(n - 1);
    if (!(f >= -0.5 - EDGE_EPS && f <= hi + 0.5 + EDGE_EPS)) {
        return false;
    }
    if (n == 1 || f <= 0.0) {
        *i0 = 0;
        *i1 = n == 1 ? 0 : 1;
        *t = 0.0;
        return true;
    }
    if (f >= hi) {
        *i0 = n - 2;
        *i1 = n - 1;
        *t = 1.0;
        return true;
    }
    double fl = floor(f);
    *i0 = (size_t)fl;
    *i1 = *i0 + 1;
    *t = f - fl;
    return true;
}

/* Trilinear dose at fractional index f; false outside the grid or when
 * the value is not finite. */
static inline bool dose_at(const DvhDoseInfo *d, const double f[3], float *out)
{
    const RertGridGeometry *g = d->geometry;
    size_t i0;
    size_t i1;
    size_t j0;
    size_t j1;
    size_t k0;
    size_t k1;
    double ti;
    double tj;
    double tk;
    if (!axis_weights(f[0], g->dims[0], &i0, &i1, &ti) ||
        !axis_weights(f[1], g->dims[1], &j0, &j1, &tj) ||
        !axis_weights(f[2], g->dims[2], &k0, &k1, &tk)) {
        return false;
    }
    size_t nx = g->dims[0];
    size_t nxy = nx * g->dims[1];
    const float *p0 = d->data + k0 * nxy;
    const float *p1 = d->data + k1 * nxy;
#define LERP_X(row, j)                                                         \
    ((1.0 - ti) * (double)(row)[(j)*nx + i0] + ti * (double)(row)[(j)*nx + i1])
    double c00 = LERP_X(p0, j0);
    double c10 = LERP_X(p0, j1);
    double c01 = LERP_X(p1, j0);
    double c11 = LERP_X(p1, j1);
#undef LERP_X
    double c0 = (1.0 - tj) * c00 + tj * c10;
    double c1 = (1.0 - tj) * c01 + tj * c11;
    double v = (1.0 - tk) * c0 + tk * c1;
    if (!isfinite(v)) {
        return false;
    }
    *out = (float)v;
    return true;
}

/* Fractional part of 0.5 + a*u + b*v, minus 0.5: a stratified offset in
 * [-0.5, 0.5) cell units (R2 low-discrepancy constants). */
#define OFFSET_A 0.7548776662466927
#define OFFSET_B 0.5698402909980532

static inline double offset(int64_t u, int64_t v)
{
    double t = 0.5 + OFFSET_A * (double)u + OFFSET_B * (double)v;
    return t - floor(t) - 0.5;
}

/* Samples of one span [xa, xb) of row r on every layer of the slab: one
 * per sub-grid cell the span touches, weighted by the length of the span
 * inside the cell (exact along x). The dose of each sample is read at a
 * point offset inside its piece of cell (stratified), so that cells
 * sharing a row, column or layer do not all share one dose value. */
static size_t fill_span(const DvhDoseInfo *d,
                        const DvhRoiWork *w,
                        const Item *it,
                        int64_t r,
                        double xa,
                        double xb,
                        DvhSample *out,
                        double *outside_cc)
{
    const DvhPlane *p = it->plane;
    const RertMat4 *m = &d->geometry->xyz_to_ijk;
    const DvhGrid *g = &w->grid;
    double dz = (p->zhi_mm - p->zlo_mm) / (double)p->layers;
    int64_t c0;
    int64_t c1;
    span_cells(g, xa, xb, &c0, &c1);
    const double b = OFFSET_B;
    double mx[3][4];
    memcpy(mx, m->m, sizeof mx);
    size_t n = 0;
    for (int64_t c = c0; c < c1; c++) {
        double lo = fmax(xa, g->x0_mm + (double)c * g->hx_mm);
        double hi = fmin(xb, g->x0_mm + (double)(c + 1) * g->hx_mm);
        double len = fmax(hi - lo, 0.0);
        float weight = (float)(p->weight_cc * len / g->hx_mm);
        double z0 = p->zlo_mm + (0.5 + offset(c, r)) * dz;
        double tx = 0.5 + offset(r, 0); /* position in the cell, [0, 1) */
        double ty = 0.5 + offset(c, 0);
        for (size_t l = 0; l < p->layers; l++) {
            double x = lo + tx * len;
            double y = g->y0_mm + ((double)r + ty) * g->hy_mm;
            double z = z0 + (double)l * dz;
            double f[3];
            for (int a = 0; a < 3; a++) {
                f[a] = mx[a][0] * x + mx[a][1] * y + mx[a][2] * z + mx[a][3];
            }
            float v = 0.0f;
            if (!dose_at(d, f, &v)) {
                v = 0.0f;
                *outside_cc += (double)weight;
            }
            out[n].dose_gy = v;
            out[n].weight_cc = weight;
            n++;
            /* next layer: the offsets advance by b (mod 1) */
            tx = tx + b >= 1.0 ? tx + b - 1.0 : tx + b;
            ty = ty + b >= 1.0 ? ty + b - 1.0 : ty + b;
        }
    }
    return n;
}

/* Walk the spans of one plane: count the in-plane samples (out == NULL)
 * or write them. Returns the in-plane count; *outside_cc sums the volume
 * of samples that fell outside the dose grid. */
static size_t walk_plane(const DvhDoseInfo *d,
                         const Item *it,
                         const Scratch *s,
                         DvhSample *out,
                         double *outside_cc)
{
    const DvhRoiWork *w = it->roi;
    const DvhPlane *p = it->plane;
    dvh_plane_crossings(w, p, s->row_start, s->xs);
    size_t inside = 0;
    size_t written = 0;
    for (size_t r = 0; r < p->rows; r++) {
        int64_t row = p->row0 + (int64_t)r;
        for (size_t k = s->row_start[r]; k + 1 < s->row_start[r + 1]; k += 2) {
            int64_t c0;
            int64_t c1;
            span_cells(&w->grid, s->xs[k], s->xs[k + 1], &c0, &c1);
            if (c1 <= c0) {
                continue;
            }
            inside += (size_t)(c1 - c0);
            if (out != NULL) {
                written += fill_span(d, w, it, row, s->xs[k], s->xs[k + 1],
                                     out + written, outside_cc);
            }
        }
    }
    return inside;
}

/* Work items for all prepared ROIs, and the largest scratch they need. */
static Item *make_items(RertError *err,
                        DvhRoiWork *work,
                        size_t roi_count,
                        size_t *count,
                        size_t *max_rows,
                        size_t *max_xs)
{
    size_t n = 0;
    *max_rows = 0;
    *max_xs = 0;
    for (size_t r = 0; r < roi_count; r++) {
        n += work[r].failed ? 0 : work[r].plane_count;
    }
    Item *items = rert_calloc(err, n == 0 ? 1 : n, sizeof *items);
    if (items == NULL) {
        return NULL;
    }
    size_t k = 0;
    for (size_t r = 0; r < roi_count; r++) {
        for (size_t p = 0; !work[r].failed && p < work[r].plane_count; p++) {
            DvhPlane *pl = &work[r].planes[p];
            items[k].roi = &work[r];
            items[k].plane = pl;
            *max_rows = pl->rows > *max_rows ? pl->rows : *max_rows;
            *max_xs = pl->crossings > *max_xs ? pl->crossings : *max_xs;
            k++;
        }
    }
    *count = n;
    return items;
}

static int thread_id(void)
{
#ifdef RERT_HAVE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Pass over all items in parallel; write == false counts, true fills. */
static void run_items(const DvhDoseInfo *d,
                      Item *items,
                      size_t count,
                      Scratch *scratch,
                      size_t threads,
                      double *outside,
                      bool write)
{
    long n = (long)count;
    int team = (int)threads;
    (void)team; /* unused without OpenMP */
#pragma omp parallel for default(none) num_threads(team)                       \
    shared(d, items, n, scratch, outside, write) schedule(dynamic, 1)
    for (long i = 0; i < n; i++) {
        Item *it = &items[i];
        const Scratch *s = &scratch[thread_id()];
        if (it->roi->failed) {
            continue;
        }
        if (!write) {
            it->plane->inside_xy = walk_plane(d, it, s, NULL, NULL);
        } else {
            outside[i] = 0.0;
            (void)walk_plane(d, it, s, it->roi->sample + it->plane->offset,
                             &outside[i]);
        }
    }
}

static void free_scratch(Scratch *s, size_t threads)
{
    for (size_t t = 0; s != NULL && t < threads; t++) {
        rert_free(s[t].row_start);
        rert_free(s[t].xs);
    }
    rert_free(s);
}

static Scratch *
make_scratch(RertError *err, size_t threads, size_t rows, size_t xs)
{
    Scratch *s = rert_calloc(err, threads, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    for (size_t t = 0; t < threads; t++) {
        s[t].row_start = rert_calloc(err, rows + 1, sizeof(size_t));
        s[t].xs = rert_calloc(err, xs == 0 ? 1 : xs, sizeof(double));
        if (s[t].row_start == NULL || s[t].xs == NULL) {
            free_scratch(s, threads);
            return NULL;
        }
    }
    return s;
}

/* Sample offsets, limits and buffers of each ROI after the count pass. */
static bool
allocate_samples(RertError *err, DvhRoiWork *w, const RertDvhOptions *o)
{
    size_t total = 0;
    for (size_t k = 0; k < w->plane_count; k++) {
        DvhPlane *p = &w->planes[k];
        size_t n;
        p->offset = total;
        if (!rert_mul_size(NULL, p->inside_xy, p->layers, &n) ||
            !rert_add_size(NULL, total, n, &total) || total > o->max_samples) {
            w->failed = true;
            rert_error_set(&w->error, RERT_ERR_LIMIT,
                           "more than %zu dose samples needed (limit "
                           "max_samples)",
                           o->max_samples);
            return true;
        }
    }
    if (total == 0) {
        w->failed = true;
        rert_error_set(&w->error, RERT_ERR_GEOMETRY,
                       "no sample point falls inside the contours (contour "
                       "volume %g cc): structure too thin for the sampling",
                       w->contour_cc);
        return true;
    }
    w->samples = total;
    w->sample = rert_calloc(err, total, sizeof *w->sample);
    w->spare = rert_calloc(err, total, sizeof(DvhSample));
    return w->sample != NULL && w->spare != NULL;
}

/* Outside-grid counts per ROI, turned into a warning. */
static bool note_outside(RertError *err,
                         DvhRoiWork *work,
                         size_t roi_count,
                         const Item *items,
                         size_t count,
                         const double *outside)
{
    for (size_t r = 0; r < roi_count; r++) {
        DvhRoiWork *w = &work[r];
        double cc = 0.0;
        double total = 0.0;
        for (size_t i = 0; i < count; i++) {
            if (items[i].roi == w) {
                cc += outside[i];
            }
        }
        for (size_t i = 0; !w->failed && i < w->samples; i++) {
            total += (double)w->sample[i].weight_cc;
        }
        w->outside_cc = cc;
        if (cc > 0.0 && !dvh_warn(err, w,
                                  "%.4g %% of the structure (%.4g cc) lies "
                                  "outside the dose grid and counts as 0 Gy",
                                  100.0 * cc / total, cc)) {
            return false;
        }
    }
    return true;
}

static size_t max_threads(void)
{
    int t = rert_thread_count();
    return t < 1 ? 1 : (size_t)t;
}

/* Count, allocate and fill the samples of every prepared ROI. */
static bool sample_all(RertError *err,
                       const DvhDoseInfo *d,
                       DvhRoiWork *work,
                       size_t roi_count,
                       const RertDvhOptions *o)
{
    size_t count;
    size_t max_rows;
    size_t max_xs;
    size_t threads = max_threads();
    double *outside = NULL;
    Scratch *scratch = NULL;
    bool ok = false;
    Item *items = make_items(err, work, roi_count, &count, &max_rows, &max_xs);
    if (items == NULL) {
        return false;
    }
    scratch = make_scratch(err, threads, max_rows, max_xs);
    outside = rert_calloc(err, count == 0 ? 1 : count, sizeof *outside);
    if (scratch == NULL || outside == NULL) {
        goto out;
    }
    run_items(d, items, count, scratch, threads, outside, false);
    for (size_t r = 0; r < roi_count; r++) {
        if (!work[r].failed && !allocate_samples(err, &work[r], o)) {
            goto out;
        }
    }
    run_items(d, items, count, scratch, threads, outside, true);
    ok = note_outside(err, work, roi_count, items, count, outside);
out:
    rert_free(outside);
    free_scratch(scratch, threads);
    rert_free(items);
    return ok;
}

/* Sort every computed ROI's samples, in parallel over ROIs. */
static void sort_all(DvhRoiWork *work, size_t roi_count)
{
    long n = (long)roi_count;
#pragma omp parallel for default(none) shared(work, n) schedule(dynamic, 1)
    for (long r = 0; r < n; r++) {
        if (!work[r].failed) {
            dvh_sort_samples(&work[r]);
        }
    }
}

static bool check_options(RertError *err, const RertDvhOptions *o)
{
    if (o->end_caps != RERT_DVH_END_CAPS_HALF &&
        o->end_caps != RERT_DVH_END_CAPS_NONE) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH options: end_caps %d, expected HALF or NONE",
                              (int)o->end_caps);
    }
    if (o->end_profile != RERT_DVH_END_PROFILE_FITTED &&
        o->end_profile != RERT_DVH_END_PROFILE_MIDPOINT) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH options: end_profile %d, expected FITTED "
                              "or MIDPOINT",
                              (int)o->end_profile);
    }
    if (o->max_subsamples < 1 || o->max_subsamples > 256 || o->max_layers < 1 ||
        o->max_layers > 4096) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH options: max_subsamples %u (expected "
                              "1..256), max_layers %u (expected 1..4096)",
                              o->max_subsamples, o->max_layers);
    }
    if (o->max_samples < 1 || o->max_samples > UINT32_MAX ||
        !(o->single_plane_thickness_mm >= 0.0) ||
        !isfinite(o->single_plane_thickness_mm)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH options: max_samples %zu (expected "
                              "1..2^32-1), single_plane_thickness_mm %g "
                              "(expected finite, >= 0)",
                              o->max_samples, o->single_plane_thickness_mm);
    }
    return true;
}

/* Prepare, sample, sort and build; results into dvhs/roi_errors. */
static bool compute_work(RertError *err,
                         const DvhDoseInfo *d,
                         DvhRoiWork *work,
                         size_t roi_count,
                         const RertDvhOptions *o,
                         RertDvh **dvhs,
                         RertError *roi_errors)
{
    for (size_t r = 0; r < roi_count; r++) {
        if (!dvh_roi_prepare(err, &work[r], d, o)) {
            return false;
        }
    }
    if (!sample_all(err, d, work, roi_count, o)) {
        return false;
    }
    sort_all(work, roi_count);
    for (size_t r = 0; r < roi_count; r++) {
        if (work[r].failed) {
            if (roi_errors != NULL) {
                roi_errors[r] = work[r].error;
            }
            continue;
        }
        dvhs[r] = dvh_build(err, &work[r]);
        if (dvhs[r] == NULL) {
            return false;
        }
        if (roi_errors != NULL) {
            rert_error_clear(&roi_errors[r]);
        }
    }
    return true;
}

bool rert_dvh_compute_many(RertError *err,
                           const RertVolume *dose,
                           const RertDvhRoi *rois,
                           size_t roi_count,
                           const RertDvhOptions *options,
                           RertDvh **dvhs,
                           RertError *roi_errors)
{
    RertDvhOptions o = options != NULL ? *options : rert_dvh_options_default();
    DvhDoseInfo d;
    if (dvhs == NULL || (rois == NULL && roi_count > 0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH: NULL ROI list or result array");
    }
    for (size_t r = 0; r < roi_count; r++) {
        dvhs[r] = NULL;
    }
    if (!check_options(err, &o) || !dvh_dose_info(err, dose, &d)) {
        return false;
    }
    DvhRoiWork *work =
        rert_calloc(err, roi_count == 0 ? 1 : roi_count, sizeof *work);
    if (work == NULL) {
        return false;
    }
    for (size_t r = 0; r < roi_count; r++) {
        work[r].polygons = rois[r].polygons;
        work[r].count = rois[r].polygons == NULL ? 0 : rois[r].count;
    }
    bool ok = compute_work(err, &d, work, roi_count, &o, dvhs, roi_errors);
    for (size_t r = 0; r < roi_count; r++) {
        dvh_roi_work_clear(&work[r]);
        if (!ok) {
            rert_dvh_destroy(dvhs[r]);
            dvhs[r] = NULL;
        }
    }
    rert_free(work);
    return ok;
}

RertDvh *rert_dvh_compute(RertError *err,
                          const RertVolume *dose,
                          const RertPolygon *polygons,
                          size_t count,
                          const RertDvhOptions *options)
{
    RertDvhRoi roi = {polygons, count};
    RertDvh *dvh = NULL;
    RertError roi_error;
    rert_error_clear(&roi_error);
    if (!rert_dvh_compute_many(err, dose, &roi, 1, options, &dvh, &roi_error)) {
        return NULL;
    }
    if (dvh == NULL) {
        rert_error_set(err, roi_error.code, "%s", roi_error.message);
    }
    return dvh;
}
