/* Dense displacement fields on a grid (ITK/plastimatch convention: x ->
 * x + u(x), mm, LPS): creation, sampling, resampling between grids and
 * Gaussian smoothing (docs/deformable.md). */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "vf_internal.h"

RertVectorField *vf_new(RertError *err, const RertGridGeometry *g)
{
    if (g == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "vector field: NULL grid");
        return NULL;
    }
    RertLimits limits = rert_limits_default();
    RertGridGeometry checked;
    if (!rert_grid_geometry_make(err, g->dims, g->origin_mm, g->spacing_mm,
                                 g->direction, limits.max_voxels, &checked)) {
        rert_error_prefix(err, "vector field grid");
        return NULL;
    }
    size_t voxels = rert_grid_voxel_count(&checked);
    size_t floats = 0;
    if (!rert_mul_size(err, voxels, 3, &floats)) {
        return NULL;
    }
    RertVectorField *f = rert_calloc(err, 1, sizeof *f);
    if (f == NULL) {
        return NULL;
    }
    f->data = rert_alloc_voxels(err, floats, sizeof(float));
    if (f->data == NULL) {
        rert_free(f);
        return NULL;
    }
    f->geometry = checked;
    f->voxels = voxels;
    return f;
}

RertVectorField *rert_vector_field_create(RertError *err,
                                          const RertGridGeometry *geometry)
{
    return vf_new(err, geometry);
}

RertVectorField *rert_vector_field_from_matrix(RertError *err,
                                               const RertGridGeometry *geometry,
                                               RertMat4 m)
{
    if (fabs(m.m[3][0]) > 1e-12 || fabs(m.m[3][1]) > 1e-12 ||
        fabs(m.m[3][2]) > 1e-12 || fabs(m.m[3][3] - 1.0) > 1e-12) {
        rert_error_set(err, RERT_ERR_GEOMETRY,
                       "vector field from matrix: last row %g %g %g %g, "
                       "expected 0 0 0 1",
                       m.m[3][0], m.m[3][1], m.m[3][2], m.m[3][3]);
        return NULL;
    }
    RertVectorField *f = vf_new(err, geometry);
    if (f == NULL) {
        return NULL;
    }
    const RertGridGeometry *g = &f->geometry;
    float *data = f->data;
    size_t nz = g->dims[2];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(g, data, nz, m) schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                RertVec3 y = rert_mat4_apply_point(m, x);
                float *u = data + 3 * rert_grid_index(g, i, j, k);
                u[0] = (float)(y.x - x.x);
                u[1] = (float)(y.y - x.y);
                u[2] = (float)(y.z - x.z);
            }
        }
    }
    return f;
}

RertVectorField *rert_vector_field_clone(RertError *err,
                                         const RertVectorField *f)
{
    if (f == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "vector field clone: NULL");
        return NULL;
    }
    RertVectorField *c = vf_new(err, &f->geometry);
    if (c != NULL) {
        memcpy(c->data, f->data, 3 * f->voxels * sizeof(float));
    }
    return c;
}

void rert_vector_field_destroy(RertVectorField *f)
{
    if (f != NULL) {
        rert_free(f->data);
        rert_free(f);
    }
}

const RertGridGeometry *rert_vector_field_geometry(const RertVectorField *f)
{
    return &f->geometry;
}

float *rert_vector_field_data(RertVectorField *f)
{
    return f->data;
}

const float *rert_vector_field_data_const(const RertVectorField *f)
{
    return f->data;
}

void vf_vector_to_index(const RertGridGeometry *g, double m[3][3])
{
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            m[r][c] = g->xyz_to_ijk.m[r][c];
        }
    }
}

/* Clamp a fractional index to [0, n-1]; lower cell index and weight. */
static void cell(double t, size_t n, size_t *lo, size_t *hi, double *w)
{
    double top = (double)(n - 1);
    if (!(t > 0.0)) { /* also NaN */
        t = 0.0;
    } else if (t > top) {
        t = top;
    }
    double f = floor(t);
    *lo = (size_t)f;
    *hi = *lo + 1 < n ? *lo + 1 : *lo;
    *w = t - f;
}

void vf_sample_clamped(const RertGridGeometry *g,
                       const float *data,
                       const double ijk[3],
                       float out[3])
{
    size_t lo[3];
    size_t hi[3];
    double w[3];
    for (int a = 0; a < 3; a++) {
        cell(ijk[a], g->dims[a], &lo[a], &hi[a], &w[a]);
    }
    double acc[3] = {0.0, 0.0, 0.0};
    for (int corner = 0; corner < 8; corner++) {
        size_t i = (corner & 1) ? hi[0] : lo[0];
        size_t j = (corner & 2) ? hi[1] : lo[1];
        size_t k = (corner & 4) ? hi[2] : lo[2];
        double wt = ((corner & 1) ? w[0] : 1.0 - w[0]) *
                    ((corner & 2) ? w[1] : 1.0 - w[1]) *
                    ((corner & 4) ? w[2] : 1.0 - w[2]);
        if (wt == 0.0) {
            continue;
        }
        const float *u = data + 3 * rert_grid_index(g, i, j, k);
        acc[0] += wt * (double)u[0];
        acc[1] += wt * (double)u[1];
        acc[2] += wt * (double)u[2];
    }
    out[0] = (float)acc[0];
    out[1] = (float)acc[1];
    out[2] = (float)acc[2];
}

RertVec3 rert_vector_field_sample(const RertVectorField *f, RertVec3 xyz)
{
    RertVec3 zero = {0.0, 0.0, 0.0};
    if (f == NULL) {
        return zero;
    }
    const RertGridGeometry *g = &f->geometry;
    RertVec3 p = rert_grid_xyz_to_ijk(g, xyz);
    double ijk[3] = {p.x, p.y, p.z};
    for (int a = 0; a < 3; a++) {
        double top = (double)(g->dims[a] - 1);
        if (!(ijk[a] >= -0.5 && ijk[a] <= top + 0.5)) {
            return zero; /* outside, or NaN */
        }
    }
    float u[3];
    vf_sample_clamped(g, f->data, ijk, u);
    RertVec3 r = {(double)u[0], (double)u[1], (double)u[2]};
    return r;
}

RertTransform *rert_vector_field_transform(RertError *err,
                                           const RertVectorField *f)
{
    if (f == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "vector field transform: NULL field");
        return NULL;
    }
    return rert_transform_create_field(err, &f->geometry, f->data);
}

void vf_resample(const RertGridGeometry *sg,
                 const float *src,
                 const RertGridGeometry *dg,
                 float *dst)
{
    /* Target index -> source index is affine: one matrix. */
    RertMat4 m = rert_mat4_multiply(sg->xyz_to_ijk, dg->ijk_to_xyz);
    size_t nz = dg->dims[2];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(sg, src, dg, dst, nz, m)         \
    schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < dg->dims[1]; j++) {
            for (size_t i = 0; i < dg->dims[0]; i++) {
                RertVec3 t = {(double)i, (double)j, (double)k};
                RertVec3 s = rert_mat4_apply_point(m, t);
                double ijk[3] = {s.x, s.y, s.z};
                vf_sample_clamped(sg, src, ijk,
                                  dst + 3 * rert_grid_index(dg, i, j, k));
            }
        }
    }
}

/* ---- separable Gaussian smoothing */

#define MAX_RADIUS 32

/* Normalised kernel of half-width *radius (<= MAX_RADIUS). */
static void gauss_kernel(double sigma, double w[MAX_RADIUS + 1], int *radius)
{
    int r = (int)ceil(3.0 * sigma);
    r = r < 1 ? 1 : (r > MAX_RADIUS ? MAX_RADIUS : r);
    double sum = 0.0;
    for (int t = 0; t <= r; t++) {
        w[t] = exp(-0.5 * (double)(t * t) / (sigma * sigma));
        sum += t == 0 ? w[t] : 2.0 * w[t];
    }
    for (int t = 0; t <= r; t++) {
        w[t] /= sum;
    }
    *radius = r;
}

#define MAX_LINE VF_MAX_AXIS

/* Smooth one line of @p n values (stride @p stride floats between
 * consecutive values) in place, edge values repeated. */
static void
smooth_line(float *data, size_t n, size_t stride, const float *w, int radius)
{
    float line[MAX_LINE + 2 * MAX_RADIUS];
    size_t r = (size_t)radius;
    if (n == 0 || n > MAX_LINE) {
        return;
    }
    for (size_t t = 0; t < n; t++) {
        line[r + t] = data[t * stride];
    }
    for (size_t t = 0; t < r; t++) {
        line[t] = line[r];
        line[r + n + t] = line[r + n - 1];
    }
    for (size_t t = 0; t < n; t++) {
        const float *c = line + r + t;
        float acc = w[0] * c[0];
        for (size_t q = 1; q <= r; q++) {
            acc += w[q] * (c[q] + c[-(ptrdiff_t)q]);
        }
        data[t * stride] = acc;
    }
}

/* One in-place pass along axis @p axis: every line along it is smoothed
 * independently, so slices (or rows for the k axis) run in parallel. */
static void smooth_pass(const size_t dims[3],
                        float *data,
                        size_t channels,
                        int axis,
                        const float *w,
                        int radius)
{
    size_t plane = dims[0] * dims[1];
    size_t n = dims[axis];
    size_t stride = channels * (axis == 0 ? 1 : (axis == 1 ? dims[0] : plane));
    /* Outer loop: slices k for the i and j axes, rows j for the k axis. */
    size_t outer = axis == 2 ? dims[1] : dims[2];
    size_t inner = axis == 0 ? dims[1] : dims[0];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none)                                         \
    shared(dims, data, channels, axis, w, radius, plane, n, stride, outer,     \
           inner) schedule(static)
#endif
    for (size_t o = 0; o < outer; o++) {
        for (size_t t = 0; t < inner; t++) {
            size_t first = axis == 0   ? (o * dims[1] + t) * dims[0]
                           : axis == 1 ? o * plane + t
                                       : o * dims[0] + t;
            for (size_t c = 0; c < channels; c++) {
                smooth_line(data + first * channels + c, n, stride, w, radius);
            }
        }
    }
}

void vf_smooth(const RertGridGeometry *g,
               float *data,
               size_t channels,
               double sigma)
{
    if (!(sigma > 0.0)) {
        return;
    }
    for (int a = 0; a < 3; a++) {
        if (g->dims[a] > MAX_LINE) {
            return; /* callers check VF_MAX_AXIS first */
        }
    }
    double wd[MAX_RADIUS + 1];
    float w[MAX_RADIUS + 1];
    int radius = 0;
    gauss_kernel(sigma, wd, &radius);
    for (int t = 0; t <= radius; t++) {
        w[t] = (float)wd[t];
    }
    for (int a = 0; a < 3; a++) {
        smooth_pass(g->dims, data, channels, a, w, radius);
    }
}
