/* Registration uncertainty as a band: the RADAR structure-restricted
 * neighbourhood search (Mechalakos et al., Pract Radiat Oncol 2024;
 * reirradiation-science.md §2.2): each ROI voxel takes the extreme of the
 * values of the same ROI within an ellipsoid of the uncertainty radius.
 * Exact ellipsoid from a precomputed list of voxel offsets. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

RertUncertaintyOptions rert_uncertainty_options_default(void)
{
    RertUncertaintyOptions o;
    memset(&o, 0, sizeof o);
    o.radius_mm[0] = 3.0;
    o.radius_mm[1] = 3.0;
    o.radius_mm[2] = 3.0;
    o.roi_threshold = 0.0;
    o.mode = RERT_NEIGHBOURHOOD_MAX;
    o.max_offsets = RERT_UNCERTAINTY_DEFAULT_MAX_OFFSETS;
    return o;
}

/* Voxel offsets (di, dj, dk) inside the ellipsoid, the centre included. */
typedef struct Offsets {
    int64_t *d; /* 3 per offset */
    size_t count;
} Offsets;

/* Normalised squared ellipsoid radius of offset @p d along one axis; a
 * zero radius admits only d = 0. */
static double axis_term(int64_t d, double spacing, double radius)
{
    if (d == 0) {
        return 0.0;
    }
    if (radius <= 0.0) {
        return HUGE_VAL;
    }
    double t = (double)d * spacing / radius;
    return t * t;
}

/* Count the offsets inside the ellipsoid and, when @p out is not NULL,
 * store them (3 per offset). */
static size_t scan_offsets(const RertGridGeometry *g,
                           const RertUncertaintyOptions *o,
                           const int64_t half[3],
                           int64_t *out)
{
    size_t count = 0;
    for (int64_t dk = -half[2]; dk <= half[2]; dk++) {
        for (int64_t dj = -half[1]; dj <= half[1]; dj++) {
            for (int64_t di = -half[0]; di <= half[0]; di++) {
                double r2 = axis_term(di, g->spacing_mm[0], o->radius_mm[0]) +
                            axis_term(dj, g->spacing_mm[1], o->radius_mm[1]) +
                            axis_term(dk, g->spacing_mm[2], o->radius_mm[2]);
                if (r2 > 1.0 + 1e-9) {
                    continue;
                }
                if (out != NULL) {
                    out[3 * count] = di;
                    out[3 * count + 1] = dj;
                    out[3 * count + 2] = dk;
                }
                count++;
            }
        }
    }
    return count;
}

static bool build_offsets(RertError *err,
                          const RertGridGeometry *g,
                          const RertUncertaintyOptions *o,
                          Offsets *out)
{
    int64_t half[3];
    for (int a = 0; a < 3; a++) {
        /* no offset reaches past the grid, which also bounds the loops */
        double h = floor(o->radius_mm[a] / g->spacing_mm[a] + 1e-9);
        double limit = (double)(g->dims[a] - 1);
        half[a] = (int64_t)(h < limit ? h : limit);
    }
    size_t count = scan_offsets(g, o, half, NULL);
    if (count > o->max_offsets) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "uncertainty band: %zu neighbourhood offsets, "
                              "more than max_offsets %zu",
                              count, o->max_offsets);
    }
    out->d = rert_calloc(err, 3 * count, sizeof *out->d);
    if (out->d == NULL) {
        return false;
    }
    out->count = scan_offsets(g, o, half, out->d);
    return true;
}

static bool check_options(RertError *err, const RertUncertaintyOptions *o)
{
    for (int a = 0; a < 3; a++) {
        if (!(isfinite(o->radius_mm[a]) && o->radius_mm[a] >= 0.0)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "uncertainty band: radius_mm[%d] is %g, "
                                  "expected finite and >= 0",
                                  a, o->radius_mm[a]);
        }
    }
    if (!(o->roi_threshold >= 0.0 && o->roi_threshold < 1.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "uncertainty band: roi_threshold %g, expected "
                              "in [0, 1)",
                              o->roi_threshold);
    }
    if (o->mode != RERT_NEIGHBOURHOOD_MAX &&
        o->mode != RERT_NEIGHBOURHOOD_MIN) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "uncertainty band: unknown mode %d",
                              (int)o->mode);
    }
    return true;
}

/* Everything the slice kernel reads. */
typedef struct Kernel {
    const RertGridGeometry *g;
    const float *values;
    const float *roi;
    float threshold;
    bool is_max;
    const Offsets *offsets;
} Kernel;

/* The extreme over the ROI voxels of the neighbourhood of (i, j, k). */
static float voxel_extreme(const Kernel *kn, size_t i, size_t j, size_t k)
{
    const RertGridGeometry *g = kn->g;
    const int64_t n[3] = {(int64_t)g->dims[0], (int64_t)g->dims[1],
                          (int64_t)g->dims[2]};
    float best = kn->values[rert_grid_index(g, i, j, k)];
    for (size_t o = 0; o < kn->offsets->count; o++) {
        const int64_t *d = kn->offsets->d + 3 * o;
        int64_t x = (int64_t)i + d[0];
        int64_t y = (int64_t)j + d[1];
        int64_t z = (int64_t)k + d[2];
        if (x < 0 || y < 0 || z < 0 || x >= n[0] || y >= n[1] || z >= n[2]) {
            continue;
        }
        size_t idx = rert_grid_index(g, (size_t)x, (size_t)y, (size_t)z);
        if (!(kn->roi[idx] > kn->threshold)) {
            continue;
        }
        float v = kn->values[idx];
        best = kn->is_max ? (v > best ? v : best) : (v < best ? v : best);
    }
    return best;
}

/* One slice: band values into @p out, per-slice statistics. */
static void band_slice(const Kernel *kn,
                       size_t k,
                       float *restrict out,
                       size_t *roi_voxels,
                       size_t *changed,
                       double *largest)
{
    const RertGridGeometry *g = kn->g;
    size_t n_roi = 0;
    size_t n_changed = 0;
    double big = 0.0;
    for (size_t j = 0; j < g->dims[1]; j++) {
        for (size_t i = 0; i < g->dims[0]; i++) {
            size_t idx = rert_grid_index(g, i, j, k);
            if (!(kn->roi[idx] > kn->threshold)) {
                continue;
            }
            float v = voxel_extreme(kn, i, j, k);
            double change = fabs((double)v - (double)kn->values[idx]);
            n_roi++;
            n_changed += change > 0.0 ? 1u : 0u;
            big = change > big ? change : big;
            out[idx] = v;
        }
    }
    *roi_voxels = n_roi;
    *changed = n_changed;
    *largest = big;
}

RertVolume *rert_uncertainty_band_compute(RertError *err,
                                          const RertVolume *values,
                                          const float *roi_occupancy,
                                          const RertUncertaintyOptions *options,
                                          RertUncertaintyStats *stats)
{
    if (values == NULL || roi_occupancy == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "uncertainty band: NULL values or ROI occupancy");
        return NULL;
    }
    RertUncertaintyOptions o =
        options != NULL ? *options : rert_uncertainty_options_default();
    if (!check_options(err, &o)) {
        return NULL;
    }
    const RertGridGeometry *g = rert_volume_geometry(values);
    Offsets offsets = {NULL, 0};
    RertVolume *out = NULL;
    size_t nz = g->dims[2];
    size_t *slice_roi = rert_calloc(err, nz, sizeof *slice_roi);
    size_t *slice_changed = rert_calloc(err, nz, sizeof *slice_changed);
    double *slice_largest = rert_calloc(err, nz, sizeof *slice_largest);
    if (slice_roi == NULL || slice_changed == NULL || slice_largest == NULL ||
        !build_offsets(err, g, &o, &offsets)) {
        goto out;
    }
    out = rert_volume_clone(err, values);
    if (out == NULL) {
        goto out;
    }
    Kernel kn = {g,
                 rert_volume_data_const(values),
                 roi_occupancy,
                 (float)o.roi_threshold,
                 o.mode == RERT_NEIGHBOURHOOD_MAX,
                 &offsets};
    float *data = rert_volume_data(out);
    const Kernel *kp = &kn;
#pragma omp parallel for default(none)                                         \
    shared(kp, data, nz, slice_roi, slice_changed, slice_largest)
    for (size_t k = 0; k < nz; k++) {
        band_slice(kp, k, data, &slice_roi[k], &slice_changed[k],
                   &slice_largest[k]);
    }
    if (stats != NULL) {
        RertUncertaintyStats s;
        memset(&s, 0, sizeof s);
        s.offsets = offsets.count;
        for (size_t k = 0; k < nz; k++) {
            s.roi_voxels += slice_roi[k];
            s.changed += slice_changed[k];
            s.largest_change = fmax(s.largest_change, slice_largest[k]);
        }
        *stats = s;
    }
out:
    rert_free(offsets.d);
    rert_free(slice_roi);
    rert_free(slice_changed);
    rert_free(slice_largest);
    return out;
}
