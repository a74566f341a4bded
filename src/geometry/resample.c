/* Trilinear resampling of a volume onto another grid through a transform;
 * parallel over target slices, deterministic for any thread count. */
#include <rert/core.h>

#include "internal.h"

/* One target slice through an affine index map: source ijk is affine in
 * target ijk, so each row is base + i * step (no per-voxel transform).
 * Returns the number of voxels that fell outside the source. */
static size_t slice_affine(const RertVolume *src,
                           RertVolume *dst,
                           const RertMat4 *a,
                           size_t k,
                           float outside)
{
    const RertGridGeometry *tg = &dst->geometry;
    size_t nx = tg->dims[0];
    size_t ny = tg->dims[1];
    const double si = a->m[0][0];
    const double sj = a->m[1][0];
    const double sk = a->m[2][0];
    size_t count = 0;
    for (size_t j = 0; j < ny; j++) {
        RertVec3 base = {0.0, (double)j, (double)k};
        base = rert_mat4_apply_point(*a, base);
        float *row = dst->data + rert_grid_index(tg, 0, j, k);
        for (size_t i = 0; i < nx; i++) {
            double di = (double)i;
            float value = outside;
            if (!grid_sample1(&src->geometry, src->data, base.x + di * si,
                              base.y + di * sj, base.z + di * sk, &value)) {
                value = outside;
                count++;
            }
            row[i] = value;
        }
    }
    return count;
}

/* One target slice through any transform (one full map per voxel). */
static size_t slice_general(const RertVolume *src,
                            RertVolume *dst,
                            const RertTransform *t,
                            size_t k,
                            float outside)
{
    const RertGridGeometry *tg = &dst->geometry;
    size_t count = 0;
    for (size_t j = 0; j < tg->dims[1]; j++) {
        float *row = dst->data + rert_grid_index(tg, 0, j, k);
        for (size_t i = 0; i < tg->dims[0]; i++) {
            RertVec3 ijk = {(double)i, (double)j, (double)k};
            RertVec3 x = rert_grid_ijk_to_xyz(tg, ijk);
            RertVec3 y = rert_transform_apply(t, x);
            RertVec3 f = rert_grid_xyz_to_ijk(&src->geometry, y);
            float value = outside;
            if (!grid_sample1(&src->geometry, src->data, f.x, f.y, f.z,
                              &value)) {
                value = outside;
                count++;
            }
            row[i] = value;
        }
    }
    return count;
}

/* Target ijk -> source ijk for identity and matrix transforms. */
static RertMat4 affine_index_map(const RertGridGeometry *source,
                                 const RertGridGeometry *target,
                                 const RertTransform *t)
{
    RertMat4 m = target->ijk_to_xyz;
    if (t != NULL && t->kind == RERT_TRANSFORM_MATRIX) {
        m = rert_mat4_multiply(t->matrix, m);
    }
    return rert_mat4_multiply(source->xyz_to_ijk, m);
}

static void resample_slices(const RertVolume *src,
                            RertVolume *dst,
                            const RertTransform *t,
                            float outside,
                            size_t *counts)
{
    bool is_affine = t == NULL || t->kind != RERT_TRANSFORM_FIELD;
    RertMat4 a = affine_index_map(&src->geometry, &dst->geometry, t);
    const RertMat4 *ap = &a;
    size_t nz = dst->geometry.dims[2];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none)                                         \
    shared(src, dst, t, outside, counts, is_affine, ap, nz) schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        counts[k] = is_affine ? slice_affine(src, dst, ap, k, outside)
                              : slice_general(src, dst, t, k, outside);
    }
}

RertVolume *rert_volume_resample(RertError *err,
                                 const RertVolume *source,
                                 const RertGridGeometry *target,
                                 const RertTransform *transform,
                                 float outside,
                                 RertResampleStats *stats)
{
    if (source == NULL || target == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "resample: NULL source volume or target geometry");
        return NULL;
    }
    RertVolume *dst = rert_volume_create(err, target);
    if (dst == NULL) {
        rert_error_prefix(err, "resample target");
        return NULL;
    }
    size_t nz = dst->geometry.dims[2];
    size_t *counts = rert_calloc(err, nz, sizeof *counts);
    if (counts == NULL) {
        rert_volume_destroy(dst);
        return NULL;
    }
    resample_slices(source, dst, transform, outside, counts);
    size_t total = 0;
    for (size_t k = 0; k < nz; k++) {
        total += counts[k];
    }
    rert_free(counts);
    if (stats != NULL) {
        stats->outside_voxels = total;
    }
    return dst;
}
