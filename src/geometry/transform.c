/* Spatial transforms mapping reference-course xyz to another course's xyz:
 * identity, affine matrix, dense displacement field (ITK/plastimatch
 * convention: x -> x + u(x), u in mm, zero outside the field grid). */
#include <math.h>
#include <string.h>

#include <rert/core.h>

#include "internal.h"

static RertTransform *transform_new(RertError *err, RertTransformKind kind)
{
    RertTransform *t = rert_calloc(err, 1, sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    t->kind = kind;
    t->matrix = rert_mat4_identity();
    t->inverse = rert_mat4_identity();
    return t;
}

RertTransform *rert_transform_create_identity(RertError *err)
{
    return transform_new(err, RERT_TRANSFORM_IDENTITY);
}

RertTransform *rert_transform_create_matrix(RertError *err, RertMat4 m)
{
    RertMat4 inverse;
    if (!rert_mat4_invert(err, m, &inverse)) {
        rert_error_prefix(err, "transform matrix");
        return NULL;
    }
    RertTransform *t = transform_new(err, RERT_TRANSFORM_MATRIX);
    if (t == NULL) {
        return NULL;
    }
    t->matrix = m;
    t->inverse = inverse;
    return t;
}

static bool check_vectors(RertError *err, const float *vectors, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(vectors[i])) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "displacement field voxel %zu component "
                                  "%zu is %g, expected a finite value in mm",
                                  i / 3, i % 3, (double)vectors[i]);
        }
    }
    return true;
}

RertTransform *
rert_transform_create_field(RertError *err,
                            const RertGridGeometry *field_geometry,
                            const float *vectors)
{
    if (field_geometry == NULL || vectors == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "displacement field: NULL geometry or vectors");
        return NULL;
    }
    RertGridGeometry g;
    size_t n = 0;
    if (!rert_grid_geometry_make(
            err, field_geometry->dims, field_geometry->origin_mm,
            field_geometry->spacing_mm, field_geometry->direction, 0, &g) ||
        !rert_mul_size(err, rert_grid_voxel_count(&g), 3, &n)) {
        rert_error_prefix(err, "displacement field grid");
        return NULL;
    }
    if (!check_vectors(err, vectors, n)) {
        return NULL;
    }
    RertTransform *t = transform_new(err, RERT_TRANSFORM_FIELD);
    if (t == NULL) {
        return NULL;
    }
    t->field_geometry = g;
    t->vectors = rert_alloc_voxels(err, n, sizeof(float));
    if (t->vectors == NULL) {
        rert_free(t);
        return NULL;
    }
    memcpy(t->vectors, vectors, n * sizeof(float));
    return t;
}

void rert_transform_destroy(RertTransform *t)
{
    if (t == NULL) {
        return;
    }
    rert_free(t->vectors);
    rert_free(t);
}

RertTransformKind rert_transform_kind(const RertTransform *t)
{
    return t->kind;
}

RertVec3 rert_transform_apply(const RertTransform *t, RertVec3 xyz)
{
    switch (t->kind) {
    case RERT_TRANSFORM_IDENTITY:
        return xyz;
    case RERT_TRANSFORM_MATRIX:
        return rert_mat4_apply_point(t->matrix, xyz);
    case RERT_TRANSFORM_FIELD:
        break;
    }
    RertVec3 p = rert_mat4_apply_point(t->matrix, xyz);
    RertVec3 f = rert_grid_xyz_to_ijk(&t->field_geometry, p);
    double ijk[3] = {f.x, f.y, f.z};
    double u[3] = {0.0, 0.0, 0.0};
    bool is_inside = false;
    rert_grid_sample_ijk(&t->field_geometry, t->vectors, 3, ijk, u, &is_inside);
    /* Outside the field: zero displacement (u stays 0). */
    RertVec3 out = {p.x + u[0], p.y + u[1], p.z + u[2]};
    return out;
}
