/* Resolution pyramid for rigid registration: block averaging (a box
 * smoothing and down-sampling in one step) and body centres of mass. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>

#include "internal.h"

void reg_level_shrink(const RertGridGeometry *g,
                      unsigned levels,
                      unsigned level,
                      size_t shrink[3])
{
    double finest = g->spacing_mm[0];
    for (int a = 1; a < 3; a++) {
        finest = g->spacing_mm[a] < finest ? g->spacing_mm[a] : finest;
    }
    double factor = ldexp(1.0, (int)(levels - 1u - level));
    for (int a = 0; a < 3; a++) {
        double s = floor(factor * finest / g->spacing_mm[a] + 0.5);
        size_t n = s < 1.0 ? 1 : (size_t)s;
        /* Keep at least 4 voxels along axes that have them. */
        while (n > 1 && g->dims[a] / n < 4) {
            n--;
        }
        shrink[a] = n;
    }
}

/* Mean of the block starting at voxel (i0, j0, k0). */
static float block_mean(const float *data,
                        const size_t dims[3],
                        const size_t start[3],
                        const size_t shrink[3])
{
    double sum = 0.0;
    for (size_t k = 0; k < shrink[2]; k++) {
        for (size_t j = 0; j < shrink[1]; j++) {
            const float *row =
                data + ((start[2] + k) * dims[1] + start[1] + j) * dims[0] +
                start[0];
            for (size_t i = 0; i < shrink[0]; i++) {
                sum += (double)row[i];
            }
        }
    }
    return (float)(sum / (double)(shrink[0] * shrink[1] * shrink[2]));
}

static void
shrink_slices(const RertVolume *v, RertVolume *out, const size_t shrink[3])
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    const RertGridGeometry *og = rert_volume_geometry(out);
    const float *src = rert_volume_data_const(v);
    float *dst = rert_volume_data(out);
    const size_t *dims = g->dims;
    const size_t *odims = og->dims;
    size_t nz = odims[2];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none)                                         \
    shared(src, dst, dims, odims, shrink, nz) schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < odims[1]; j++) {
            for (size_t i = 0; i < odims[0]; i++) {
                size_t start[3] = {i * shrink[0], j * shrink[1], k * shrink[2]};
                dst[(k * odims[1] + j) * odims[0] + i] =
                    block_mean(src, dims, start, shrink);
            }
        }
    }
}

RertVolume *
reg_volume_shrink(RertError *err, const RertVolume *v, const size_t shrink[3])
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    size_t dims[3];
    double origin[3];
    double spacing[3];
    memcpy(origin, g->origin_mm, sizeof origin);
    for (int a = 0; a < 3; a++) {
        dims[a] = g->dims[a] / shrink[a];
        if (dims[a] == 0) {
            rert_error_set(err, RERT_ERR_INTERNAL,
                           "registration pyramid: axis %d has %zu voxels, "
                           "fewer than the shrink factor %zu",
                           a, g->dims[a], shrink[a]);
            return NULL;
        }
        spacing[a] = g->spacing_mm[a] * (double)shrink[a];
        /* The block mean sits at the centre of its voxels. */
        double half = 0.5 * (double)(shrink[a] - 1) * g->spacing_mm[a];
        for (int c = 0; c < 3; c++) {
            origin[c] += half * g->direction[3 * a + c];
        }
    }
    RertGridGeometry og;
    if (!rert_grid_geometry_make(err, dims, origin, spacing, g->direction, 0,
                                 &og)) {
        return NULL;
    }
    RertVolume *out = rert_volume_create(err, &og);
    if (out == NULL) {
        return NULL;
    }
    shrink_slices(v, out, shrink);
    return out;
}

bool reg_volume_centroid(const RertVolume *v, double threshold, double out[3])
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    const float *data = rert_volume_data_const(v);
    bool use_all = isnan(threshold);
    double sum[3] = {0.0, 0.0, 0.0};
    size_t n = 0;
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                float value = data[rert_grid_index(g, i, j, k)];
                if (!use_all && !((double)value > threshold)) {
                    continue;
                }
                sum[0] += (double)i;
                sum[1] += (double)j;
                sum[2] += (double)k;
                n++;
            }
        }
    }
    if (n == 0) {
        return false;
    }
    RertVec3 ijk = {sum[0] / (double)n, sum[1] / (double)n, sum[2] / (double)n};
    RertVec3 xyz = rert_grid_ijk_to_xyz(g, ijk);
    out[0] = xyz.x;
    out[1] = xyz.y;
    out[2] = xyz.z;
    return true;
}
