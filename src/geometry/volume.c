/* Float voxel volumes and trilinear sampling (voxel centres at integer
 * ijk; half a voxel of edge extension). */
#include <math.h>
#include <string.h>

#include <rert/core.h>

#include "internal.h"

RertVolume *rert_volume_create(RertError *err, const RertGridGeometry *geometry)
{
    if (geometry == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "volume: NULL geometry");
        return NULL;
    }
    /* Re-validate: the struct is transparent, so it may be hand-built. */
    RertGridGeometry g;
    if (!rert_grid_geometry_make(err, geometry->dims, geometry->origin_mm,
                                 geometry->spacing_mm, geometry->direction, 0,
                                 &g)) {
        return NULL;
    }
    RertVolume *v = rert_calloc(err, 1, sizeof *v);
    if (v == NULL) {
        return NULL;
    }
    v->geometry = g;
    v->data = rert_alloc_voxels(err, rert_grid_voxel_count(&g), sizeof(float));
    if (v->data == NULL) {
        rert_free(v);
        return NULL;
    }
    return v;
}

RertVolume *rert_volume_clone(RertError *err, const RertVolume *v)
{
    if (v == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "volume clone: NULL volume");
        return NULL;
    }
    RertVolume *copy = rert_volume_create(err, &v->geometry);
    if (copy == NULL) {
        return NULL;
    }
    memcpy(copy->data, v->data,
           rert_grid_voxel_count(&v->geometry) * sizeof(float));
    return copy;
}

void rert_volume_destroy(RertVolume *v)
{
    if (v == NULL) {
        return;
    }
    rert_free(v->data);
    rert_free(v);
}

const RertGridGeometry *rert_volume_geometry(const RertVolume *v)
{
    return &v->geometry;
}

float *rert_volume_data(RertVolume *v)
{
    return v->data;
}

const float *rert_volume_data_const(const RertVolume *v)
{
    return v->data;
}

void rert_volume_minmax(const RertVolume *v, float *min, float *max)
{
    size_t n = rert_grid_voxel_count(&v->geometry);
    float lo = v->data[0];
    float hi = v->data[0];
    for (size_t i = 1; i < n; i++) {
        float x = v->data[i];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (min != NULL) {
        *min = lo;
    }
    if (max != NULL) {
        *max = hi;
    }
}

void rert_grid_sample_ijk(const RertGridGeometry *g,
                          const float *data,
                          size_t ncomp,
                          const double ijk[3],
                          double *out,
                          bool *is_inside)
{
    size_t lo[3];
    size_t hi[3];
    double t[3];
    for (size_t c = 0; c < ncomp; c++) {
        out[c] = 0.0;
    }
    for (int a = 0; a < 3; a++) {
        if (!grid_axis_weights(ijk[a], g->dims[a], &lo[a], &hi[a], &t[a])) {
            *is_inside = false;
            return;
        }
    }
    *is_inside = true;
    size_t nx = g->dims[0];
    size_t nxy = nx * g->dims[1];
    for (int corner = 0; corner < 8; corner++) {
        double w = 1.0;
        size_t idx[3];
        for (int a = 0; a < 3; a++) {
            bool upper = (corner >> a) & 1;
            w *= upper ? t[a] : 1.0 - t[a];
            idx[a] = upper ? hi[a] : lo[a];
        }
        if (w == 0.0) {
            continue;
        }
        const float *p = data + ncomp * (idx[2] * nxy + idx[1] * nx + idx[0]);
        for (size_t c = 0; c < ncomp; c++) {
            out[c] += w * (double)p[c];
        }
    }
}

float rert_volume_sample(const RertVolume *v, RertVec3 xyz, float outside)
{
    RertVec3 f = rert_grid_xyz_to_ijk(&v->geometry, xyz);
    float value = 0.0f;
    if (!grid_sample1(&v->geometry, v->data, f.x, f.y, f.z, &value)) {
        return outside;
    }
    return value;
}
