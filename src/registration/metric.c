/* Similarity measures for rigid registration: mutual information from a
 * joint histogram (fixed value in integer bins, trilinearly interpolated
 * moving value spread linearly over its two nearest bins, so the measure
 * is continuous in the parameters) and normalised cross-correlation.
 * Per-slice partial sums are combined in slice order: results do not
 * depend on the thread count. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>

#include "internal.h"

/* Fewer overlapping samples than this make the metric meaningless. */
#define MIN_OVERLAP_SAMPLES 16u

void reg_samples_clear(RegSamples *s)
{
    if (s == NULL) {
        return;
    }
    rert_free(s->xyz);
    rert_free(s->value);
    rert_free(s->bin);
    rert_free(s->chunk_start);
    memset(s, 0, sizeof *s);
}

static bool is_inside_mask(const float *mask, size_t index)
{
    return mask == NULL || mask[index] >= 0.5f;
}

static bool samples_alloc(RertError *err, RegSamples *s, size_t n, size_t nz)
{
    s->xyz = rert_calloc(err, n, 3 * sizeof *s->xyz);
    s->value = rert_calloc(err, n, sizeof *s->value);
    s->bin = rert_calloc(err, n, sizeof *s->bin);
    s->chunk_start = rert_calloc(err, nz + 1, sizeof *s->chunk_start);
    return s->xyz != NULL && s->value != NULL && s->bin != NULL &&
           s->chunk_start != NULL;
}

/* Fill positions and values slice by slice; returns the value range. */
static void samples_fill(const RertVolume *fixed,
                         const float *mask,
                         RegSamples *s,
                         double range[2])
{
    const RertGridGeometry *g = rert_volume_geometry(fixed);
    const float *data = rert_volume_data_const(fixed);
    size_t n = 0;
    range[0] = (double)INFINITY;
    range[1] = -(double)INFINITY;
    for (size_t k = 0; k < g->dims[2]; k++) {
        s->chunk_start[k] = n;
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                size_t index = rert_grid_index(g, i, j, k);
                if (!is_inside_mask(mask, index)) {
                    continue;
                }
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 p = rert_grid_ijk_to_xyz(g, ijk);
                s->xyz[3 * n] = (float)p.x;
                s->xyz[3 * n + 1] = (float)p.y;
                s->xyz[3 * n + 2] = (float)p.z;
                s->value[n] = data[index];
                double v = (double)data[index];
                range[0] = v < range[0] ? v : range[0];
                range[1] = v > range[1] ? v : range[1];
                n++;
            }
        }
    }
    s->chunk_start[g->dims[2]] = n;
    s->count = n;
    s->chunk_count = g->dims[2];
}

bool reg_samples_build(RertError *err,
                       const RertVolume *fixed,
                       const float *mask,
                       unsigned bins,
                       RegSamples *out)
{
    memset(out, 0, sizeof *out);
    const RertGridGeometry *g = rert_volume_geometry(fixed);
    size_t total = rert_grid_voxel_count(g);
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        n += is_inside_mask(mask, i) ? 1u : 0u;
    }
    if (n == 0) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "rigid registration: the fixed mask is empty "
                              "(no voxel above the threshold or in the mask)");
    }
    if (!samples_alloc(err, out, n, g->dims[2])) {
        reg_samples_clear(out);
        return false;
    }
    double range[2];
    samples_fill(fixed, mask, out, range);
    double width = range[1] - range[0];
    double scale = width > 0.0 ? (double)(bins - 1u) / width : 0.0;
    for (size_t i = 0; i < n; i++) {
        double b = floor(((double)out->value[i] - range[0]) * scale + 0.5);
        b = b < 0.0 ? 0.0 : (b > (double)(bins - 1u) ? (double)(bins - 1u) : b);
        out->bin[i] = (uint16_t)b;
    }
    return true;
}

void reg_metric_clear(RegMetric *m)
{
    if (m == NULL) {
        return;
    }
    rert_free(m->partials);
    memset(m, 0, sizeof *m);
}

bool reg_metric_init(RertError *err,
                     RegMetric *m,
                     const RegSamples *samples,
                     const RertVolume *moving,
                     RertRigidMetric kind,
                     unsigned bins)
{
    memset(m, 0, sizeof *m);
    m->samples = samples;
    m->moving = moving;
    m->kind = kind;
    m->bins = bins;
    float lo = 0.0f;
    float hi = 0.0f;
    rert_volume_minmax(moving, &lo, &hi);
    m->moving_min = (double)lo;
    double width = (double)hi - (double)lo;
    m->bin_scale = width > 0.0 ? (double)(bins - 1u) / width : 0.0;
    /* MI: joint histogram + inside count per chunk, plus one reduced
     * histogram and two marginals after the chunks. NCC: 6 sums. */
    size_t hist = (size_t)bins * bins;
    m->stride = kind == RERT_RIGID_METRIC_MI ? hist + 1 : 6;
    size_t n = 0;
    if (!rert_mul_size(err, samples->chunk_count + 1, m->stride, &n) ||
        !rert_add_size(err, n, 2 * (size_t)bins, &n)) {
        return false;
    }
    m->partials = rert_calloc(err, n, sizeof *m->partials);
    return m->partials != NULL;
}

/* Trilinear value of the moving volume at voxel index @p f; false when
 * outside the grid (an axis of one voxel accepts |f| <= 0.5). */
static bool sample_moving(const float *data,
                          const size_t dims[3],
                          const double f[3],
                          double *value)
{
    size_t lo[3];
    double t[3];
    for (int a = 0; a < 3; a++) {
        double last = (double)(dims[a] - 1);
        if (dims[a] == 1) {
            if (!(fabs(f[a]) <= 0.5)) {
                return false;
            }
            lo[a] = 0;
            t[a] = 0.0;
            continue;
        }
        if (!(f[a] >= 0.0 && f[a] <= last)) {
            return false;
        }
        double fl = floor(f[a]);
        fl = fl > last - 1.0 ? last - 1.0 : fl;
        lo[a] = (size_t)fl;
        t[a] = f[a] - fl;
    }
    size_t sx = dims[0] > 1 ? 1 : 0;
    size_t sy = dims[1] > 1 ? dims[0] : 0;
    size_t sz = dims[2] > 1 ? dims[0] * dims[1] : 0;
    const float *p = data + (lo[2] * dims[1] + lo[1]) * dims[0] + lo[0];
    double c00 = (double)p[0] + t[0] * (double)(p[sx] - p[0]);
    double c10 = (double)p[sy] + t[0] * (double)(p[sy + sx] - p[sy]);
    double c01 = (double)p[sz] + t[0] * (double)(p[sz + sx] - p[sz]);
    double c11 =
        (double)p[sz + sy] + t[0] * (double)(p[sz + sy + sx] - p[sz + sy]);
    double c0 = c00 + t[1] * (c10 - c00);
    double c1 = c01 + t[1] * (c11 - c01);
    *value = c0 + t[2] * (c1 - c0);
    return true;
}

/* Partial sums of one chunk into @p out (m->stride doubles, zeroed). */
static void chunk_partials(const RegMetric *m,
                           const double a[12],
                           size_t chunk,
                           double *out)
{
    const RegSamples *s = m->samples;
    const RertGridGeometry *g = rert_volume_geometry(m->moving);
    const float *data = rert_volume_data_const(m->moving);
    unsigned bins = m->bins;
    size_t inside = 0;
    for (size_t n = s->chunk_start[chunk]; n < s->chunk_start[chunk + 1]; n++) {
        double x = (double)s->xyz[3 * n];
        double y = (double)s->xyz[3 * n + 1];
        double z = (double)s->xyz[3 * n + 2];
        double f[3];
        for (size_t r = 0; r < 3; r++) {
            f[r] = a[4 * r] * x + a[4 * r + 1] * y + a[4 * r + 2] * z +
                   a[4 * r + 3];
        }
        double v = 0.0;
        if (!sample_moving(data, g->dims, f, &v)) {
            continue;
        }
        inside++;
        if (m->kind == RERT_RIGID_METRIC_NCC) {
            double u = (double)s->value[n];
            out[1] += u;
            out[2] += v;
            out[3] += u * u;
            out[4] += v * v;
            out[5] += u * v;
            continue;
        }
        double b = (v - m->moving_min) * m->bin_scale;
        b = b < 0.0 ? 0.0 : (b > (double)(bins - 1u) ? (double)(bins - 1u) : b);
        double fl = floor(b);
        size_t b0 = (size_t)fl;
        double w = b - fl;
        double *row = out + (size_t)s->bin[n] * bins;
        row[b0] += 1.0 - w;
        if (b0 + 1 < bins) {
            row[b0 + 1] += w;
        }
    }
    if (m->kind == RERT_RIGID_METRIC_NCC) {
        out[0] = (double)inside;
    } else {
        out[(size_t)bins * bins] = (double)inside;
    }
}

/* @p hist is the combined histogram; 2 * bins scratch doubles follow its
 * inside count (reg_metric_init allocates them). */
static double mutual_information(const RegMetric *m, double *hist)
{
    unsigned bins = m->bins;
    double *pf = hist + (size_t)bins * bins + 1;
    double *pm = pf + bins;
    double total = 0.0;
    memset(pf, 0, 2 * (size_t)bins * sizeof *pf);
    for (size_t a = 0; a < bins; a++) {
        for (size_t b = 0; b < bins; b++) {
            double h = hist[a * bins + b];
            pf[a] += h;
            pm[b] += h;
            total += h;
        }
    }
    double mi = 0.0;
    for (size_t a = 0; a < bins; a++) {
        for (size_t b = 0; b < bins; b++) {
            double h = hist[a * bins + b];
            if (h > 0.0) {
                mi += h * log(h * total / (pf[a] * pm[b]));
            }
        }
    }
    return mi / total;
}

static double cross_correlation(const double *s)
{
    double n = s[0];
    double var_f = s[3] - s[1] * s[1] / n;
    double var_m = s[4] - s[2] * s[2] / n;
    double cov = s[5] - s[1] * s[2] / n;
    if (!(var_f > 0.0) || !(var_m > 0.0)) {
        return 0.0;
    }
    return cov / sqrt(var_f * var_m);
}

static void evaluate_chunks(const RegMetric *m, const double a[12])
{
    size_t nz = m->samples->chunk_count;
    size_t stride = m->stride;
    double *partials = m->partials;
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(m, a, nz, stride, partials)      \
    schedule(dynamic, 1)
#endif
    for (size_t k = 0; k < nz; k++) {
        double *out = partials + k * stride;
        memset(out, 0, stride * sizeof *out);
        chunk_partials(m, a, k, out);
    }
}

double reg_metric_evaluate(RegMetric *m,
                           const RertMat4 *fixed_to_moving,
                           double *overlap_frac)
{
    const RertGridGeometry *g = rert_volume_geometry(m->moving);
    RertMat4 map = rert_mat4_multiply(g->xyz_to_ijk, *fixed_to_moving);
    double a[12];
    for (size_t r = 0; r < 3; r++) {
        for (size_t c = 0; c < 4; c++) {
            a[4 * r + c] = map.m[r][c];
        }
    }
    m->evaluations++;
    evaluate_chunks(m, a);
    /* Combine in chunk order into the slot after the last chunk. */
    size_t nz = m->samples->chunk_count;
    double *sum = m->partials + nz * m->stride;
    memset(sum, 0, m->stride * sizeof *sum);
    for (size_t k = 0; k < nz; k++) {
        const double *p = m->partials + k * m->stride;
        for (size_t i = 0; i < m->stride; i++) {
            sum[i] += p[i];
        }
    }
    double inside = m->kind == RERT_RIGID_METRIC_NCC
                        ? sum[0]
                        : sum[(size_t)m->bins * m->bins];
    *overlap_frac = inside / (double)m->samples->count;
    if (inside < (double)MIN_OVERLAP_SAMPLES) {
        return -(double)INFINITY;
    }
    return m->kind == RERT_RIGID_METRIC_NCC ? cross_correlation(sum)
                                            : mutual_information(m, sum);
}
