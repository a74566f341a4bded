/* Quality figures of displacement fields: Jacobian determinant (folding),
 * vector differences, inverse consistency and landmark error (AAPM TG-132
 * categories; docs/deformable.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "vf_internal.h"

/* Partial Jacobian figures of one slice. */
typedef struct JacPartial {
    double min;
    double max;
    double sum;
    size_t voxels;
    size_t folded;
} JacPartial;

/* d u_c / d index_a at (i, j, k): central differences inside, one-sided
 * at the edges, zero along an axis of one voxel. */
static void index_derivatives(const RertGridGeometry *g,
                              const float *u,
                              const size_t at[3],
                              double d[3][3])
{
    for (int a = 0; a < 3; a++) {
        size_t lo[3] = {at[0], at[1], at[2]};
        size_t hi[3] = {at[0], at[1], at[2]};
        if (at[a] > 0) {
            lo[a]--;
        }
        if (at[a] + 1 < g->dims[a]) {
            hi[a]++;
        }
        double span = (double)(hi[a] - lo[a]);
        const float *ul = u + 3 * rert_grid_index(g, lo[0], lo[1], lo[2]);
        const float *uh = u + 3 * rert_grid_index(g, hi[0], hi[1], hi[2]);
        for (int c = 0; c < 3; c++) {
            d[c][a] = span > 0.0 ? ((double)uh[c] - (double)ul[c]) / span : 0.0;
        }
    }
}

/* det(I + du/dx) with du/dx = (du/dindex) * (dindex/dx). */
static double jacobian_at(const RertGridGeometry *g,
                          const float *u,
                          const RertMat4 *to_index,
                          const size_t at[3])
{
    double d[3][3];
    index_derivatives(g, u, at, d);
    double j[3][3];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            double s = r == c ? 1.0 : 0.0;
            for (int a = 0; a < 3; a++) {
                s += d[r][a] * to_index->m[a][c];
            }
            j[r][c] = s;
        }
    }
    return j[0][0] * (j[1][1] * j[2][2] - j[1][2] * j[2][1]) -
           j[0][1] * (j[1][0] * j[2][2] - j[1][2] * j[2][0]) +
           j[0][2] * (j[1][0] * j[2][1] - j[1][1] * j[2][0]);
}

static void jacobian_slice(const RertGridGeometry *g,
                           const float *u,
                           const float *mask,
                           const RertMat4 *to_index,
                           size_t k,
                           JacPartial *p)
{
    p->min = (double)INFINITY;
    p->max = -(double)INFINITY;
    p->sum = 0.0;
    p->voxels = 0;
    p->folded = 0;
    for (size_t j = 0; j < g->dims[1]; j++) {
        for (size_t i = 0; i < g->dims[0]; i++) {
            size_t index = rert_grid_index(g, i, j, k);
            if (mask != NULL && !(mask[index] >= 0.5f)) {
                continue;
            }
            size_t at[3] = {i, j, k};
            double det = jacobian_at(g, u, to_index, at);
            p->min = det < p->min ? det : p->min;
            p->max = det > p->max ? det : p->max;
            p->sum += det;
            p->voxels++;
            p->folded += det <= 0.0 ? 1u : 0u;
        }
    }
}

bool rert_vector_field_jacobian(RertError *err,
                                const RertVectorField *f,
                                const float *mask,
                                RertJacobianStats *out)
{
    if (f == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "vector field Jacobian: NULL argument");
    }
    const RertGridGeometry *g = &f->geometry;
    size_t nz = g->dims[2];
    JacPartial *parts = rert_calloc(err, nz, sizeof *parts);
    if (parts == NULL) {
        return false;
    }
    const RertMat4 *to_index = &g->xyz_to_ijk;
    const float *u = f->data;
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(g, u, mask, to_index, parts, nz) \
    schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        jacobian_slice(g, u, mask, to_index, k, &parts[k]);
    }
    RertJacobianStats s = {(double)INFINITY, -(double)INFINITY, 0.0, 0, 0, 0.0};
    double sum = 0.0;
    for (size_t k = 0; k < nz; k++) {
        s.min = parts[k].min < s.min ? parts[k].min : s.min;
        s.max = parts[k].max > s.max ? parts[k].max : s.max;
        sum += parts[k].sum;
        s.voxels += parts[k].voxels;
        s.folded += parts[k].folded;
    }
    rert_free(parts);
    if (s.voxels == 0) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "vector field Jacobian: no voxel in the mask "
                              "(expected at least one value >= 0.5)");
    }
    s.mean = sum / (double)s.voxels;
    s.folded_frac = (double)s.folded / (double)s.voxels;
    *out = s;
    return true;
}

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a;
    float y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Mean, nearest-rank 95th percentile and maximum of @p n distances
 * (sorted in place). */
static void distance_stats(float *d, size_t n, RertFieldErrorStats *out)
{
    qsort(d, n, sizeof *d, compare_float);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)d[i];
    }
    size_t rank = (size_t)ceil(0.95 * (double)n);
    rank = rank < 1 ? 1 : rank;
    out->mean_mm = sum / (double)n;
    out->p95_mm = (double)d[rank - 1];
    out->max_mm = (double)d[n - 1];
    out->count = n;
}

bool rert_vector_field_compare(RertError *err,
                               const RertVectorField *a,
                               const RertVectorField *b,
                               const float *mask,
                               RertFieldErrorStats *out)
{
    if (a == NULL || b == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "vector field compare: NULL argument");
    }
    if (!rert_grid_geometry_equal(&a->geometry, &b->geometry, 1e-3)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "vector field compare: the fields lie on "
                              "different grids (%zux%zux%zu and %zux%zux%zu "
                              "or other origin/spacing/direction)",
                              a->geometry.dims[0], a->geometry.dims[1],
                              a->geometry.dims[2], b->geometry.dims[0],
                              b->geometry.dims[1], b->geometry.dims[2]);
    }
    float *d = rert_alloc_voxels(err, a->voxels, sizeof(float));
    if (d == NULL) {
        return false;
    }
    size_t n = 0;
    for (size_t v = 0; v < a->voxels; v++) {
        if (mask != NULL && !(mask[v] >= 0.5f)) {
            continue;
        }
        double dx = (double)a->data[3 * v] - (double)b->data[3 * v];
        double dy = (double)a->data[3 * v + 1] - (double)b->data[3 * v + 1];
        double dz = (double)a->data[3 * v + 2] - (double)b->data[3 * v + 2];
        d[n++] = (float)sqrt(dx * dx + dy * dy + dz * dz);
    }
    if (n == 0) {
        rert_free(d);
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "vector field compare: no voxel in the mask");
    }
    distance_stats(d, n, out);
    rert_free(d);
    return true;
}

/* True when @p xyz lies within @p g's outermost voxel centres (where the
 * field is interpolated, not extended). */
static bool inside_grid(const RertGridGeometry *g, RertVec3 xyz)
{
    RertVec3 p = rert_grid_xyz_to_ijk(g, xyz);
    const double ijk[3] = {p.x, p.y, p.z};
    for (int a = 0; a < 3; a++) {
        if (!(ijk[a] >= -1e-9 && ijk[a] <= (double)(g->dims[a] - 1) + 1e-9)) {
            return false;
        }
    }
    return true;
}

bool rert_vector_field_inverse_consistency(RertError *err,
                                           const RertVectorField *forward,
                                           const RertVectorField *inverse,
                                           const float *mask,
                                           RertFieldErrorStats *out)
{
    if (forward == NULL || inverse == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "inverse consistency: NULL argument");
    }
    const RertGridGeometry *g = &forward->geometry;
    float *d = rert_alloc_voxels(err, forward->voxels, sizeof(float));
    if (d == NULL) {
        return false;
    }
    size_t n = 0;
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                size_t v = rert_grid_index(g, i, j, k);
                if (mask != NULL && !(mask[v] >= 0.5f)) {
                    continue;
                }
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                const float *u = forward->data + 3 * v;
                RertVec3 y = {x.x + (double)u[0], x.y + (double)u[1],
                              x.z + (double)u[2]};
                if (!inside_grid(&inverse->geometry, y)) {
                    continue;
                }
                RertVec3 w = rert_vector_field_sample(inverse, y);
                double dx = y.x + w.x - x.x;
                double dy = y.y + w.y - x.y;
                double dz = y.z + w.z - x.z;
                d[n++] = (float)sqrt(dx * dx + dy * dy + dz * dz);
            }
        }
    }
    if (n == 0) {
        rert_free(d);
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "inverse consistency: no mask voxel maps "
                              "inside the inverse field's grid");
    }
    distance_stats(d, n, out);
    rert_free(d);
    return true;
}

/* Fixed voxels above @p threshold (new array, rert_free()). */
static float *
threshold_mask(RertError *err, const RertVolume *v, double threshold)
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    size_t n = rert_grid_voxel_count(g);
    float *mask = rert_alloc_voxels(err, n, sizeof(float));
    if (mask == NULL) {
        return NULL;
    }
    const float *data = rert_volume_data_const(v);
    for (size_t i = 0; i < n; i++) {
        mask[i] = (double)data[i] > threshold ? 1.0f : 0.0f;
    }
    return mask;
}

bool rert_deformable_inverse_consistency_compute(
    RertError *err,
    const RertVolume *fixed,
    const RertVolume *moving,
    const RertDeformableOptions *options,
    const RertVectorField *forward,
    RertMat4 forward_rigid,
    const float *mask,
    RertFieldErrorStats *out,
    double *seconds)
{
    if (fixed == NULL || moving == NULL || forward == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "inverse consistency: NULL argument");
    }
    if (!rert_grid_geometry_equal(&forward->geometry,
                                  rert_volume_geometry(fixed), 1e-3)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "inverse consistency: the forward field does "
                              "not lie on the fixed image's grid");
    }
    RertDeformableOptions o =
        options != NULL ? *options : rert_deformable_options_default();
    o.fixed_mask = NULL;
    o.rigid.fixed_mask = NULL;
    o.truth = NULL;
    o.has_initial = true;
    if (!rert_mat4_invert(err, forward_rigid, &o.initial)) {
        rert_error_prefix(err, "inverse consistency: the rigid start");
        return false;
    }
    RertDeformableResult r;
    RertVectorField *back =
        rert_deformable_register(err, moving, fixed, &o, &r);
    if (back == NULL) {
        rert_error_prefix(err, "inverse consistency: reverse registration");
        return false;
    }
    float *own =
        mask == NULL ? threshold_mask(err, fixed, o.body_threshold) : NULL;
    bool ok = (mask != NULL || own != NULL) &&
              rert_vector_field_inverse_consistency(
                  err, forward, back, mask != NULL ? mask : own, out);
    if (ok && seconds != NULL) {
        *seconds = r.seconds_total;
    }
    rert_free(own);
    rert_vector_field_destroy(back);
    return ok;
}
