/* SUV statistics inside a structure: SUVmax, occupancy-weighted SUVmean,
 * SUVpeak (mean in a 1 cc sphere, PERCIST: Wahl RL et al. J Nucl Med
 * 2009;50 Suppl 1:122S-150S), volume; tumour-to-background ratios. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/pet.h>

#include "internal.h"

/* Samples per voxel side when weighting voxels by their share of the
 * peak sphere. */
#define SPHERE_SUBSAMPLES 5
#define PI 3.14159265358979323846

RertPetStatsOptions rert_pet_stats_options_default(void)
{
    RertPetStatsOptions o;
    memset(&o, 0, sizeof o);
    o.raster = rert_raster_options_default();
    o.inside_fraction = 0.5;
    o.peak_volume_cc = RERT_PET_PEAK_VOLUME_CC;
    return o;
}

float *pet_occupancy(RertError *err,
                     const RertGridGeometry *grid,
                     const RertPolygon *polygons,
                     size_t count,
                     const RertRasterOptions *raster)
{
    size_t n = rert_grid_voxel_count(grid);
    float *occ = rert_calloc(err, n, sizeof *occ);
    if (occ != NULL &&
        !rert_rasterize_polygons(err, grid, polygons, count, raster, occ)) {
        rert_free(occ);
        return NULL;
    }
    return occ;
}

/* ---- the peak sphere as weighted voxel offsets */

typedef struct Kernel {
    long *offset; /* di, dj, dk triples */
    double *weight;
    size_t count;
    double radius_mm;
} Kernel;

static void kernel_clear(Kernel *k)
{
    rert_free(k->offset);
    rert_free(k->weight);
    memset(k, 0, sizeof *k);
}

/* Fraction of voxel (di, dj, dk) inside the sphere centred on voxel 0. */
static double
voxel_share(const double *sp, long di, long dj, long dk, double r2)
{
    size_t hit = 0;
    const int n = SPHERE_SUBSAMPLES;
    for (int a = 0; a < n; a++) {
        double x = ((double)di + ((double)a + 0.5) / n - 0.5) * sp[0];
        for (int b = 0; b < n; b++) {
            double y = ((double)dj + ((double)b + 0.5) / n - 0.5) * sp[1];
            for (int c = 0; c < n; c++) {
                double z = ((double)dk + ((double)c + 0.5) / n - 0.5) * sp[2];
                hit += x * x + y * y + z * z <= r2 ? 1u : 0u;
            }
        }
    }
    return (double)hit / (double)(n * n * n);
}

static bool kernel_make(RertError *err,
                        const RertGridGeometry *g,
                        double volume_cc,
                        Kernel *k)
{
    memset(k, 0, sizeof *k);
    k->radius_mm = cbrt(3.0 * volume_cc * 1000.0 / (4.0 * PI));
    long half[3];
    size_t box = 1;
    for (int a = 0; a < 3; a++) {
        half[a] = (long)ceil(k->radius_mm / g->spacing_mm[a] + 0.5);
        box *= (size_t)(2 * half[a] + 1);
    }
    k->offset = rert_calloc(err, box * 3, sizeof *k->offset);
    k->weight = rert_calloc(err, box, sizeof *k->weight);
    if (k->offset == NULL || k->weight == NULL) {
        kernel_clear(k);
        return false;
    }
    double r2 = k->radius_mm * k->radius_mm;
    for (long dk = -half[2]; dk <= half[2]; dk++) {
        for (long dj = -half[1]; dj <= half[1]; dj++) {
            for (long di = -half[0]; di <= half[0]; di++) {
                double w = voxel_share(g->spacing_mm, di, dj, dk, r2);
                if (w > 0.0) {
                    k->offset[3 * k->count] = di;
                    k->offset[3 * k->count + 1] = dj;
                    k->offset[3 * k->count + 2] = dk;
                    k->weight[k->count++] = w;
                }
            }
        }
    }
    return true;
}

/* Weighted mean of @p v in the sphere centred on voxel (i, j, k); the
 * weight inside the image goes to *sampled. */
static double sphere_mean(const RertGridGeometry *g,
                          const float *v,
                          const Kernel *kern,
                          long i,
                          long j,
                          long k,
                          double *sampled)
{
    double sum = 0.0;
    double wsum = 0.0;
    long nx = (long)g->dims[0];
    long ny = (long)g->dims[1];
    long nz = (long)g->dims[2];
    for (size_t q = 0; q < kern->count; q++) {
        long x = i + kern->offset[3 * q];
        long y = j + kern->offset[3 * q + 1];
        long z = k + kern->offset[3 * q + 2];
        if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) {
            continue;
        }
        size_t idx = rert_grid_index(g, (size_t)x, (size_t)y, (size_t)z);
        sum += kern->weight[q] * (double)v[idx];
        wsum += kern->weight[q];
    }
    *sampled = wsum;
    return wsum > 0.0 ? sum / wsum : -HUGE_VAL;
}

/* Best sphere mean per slice over inside voxels (OpenMP over slices, one
 * result per slice: identical for any thread count). */
static void peak_per_slice(const RertGridGeometry *g,
                           const float *v,
                           const float *occ,
                           double inside,
                           const Kernel *kern,
                           double *best,
                           size_t *where)
{
    long nz = (long)g->dims[2];
    size_t nx = g->dims[0];
    size_t ny = g->dims[1];
#pragma omp parallel for default(none)                                         \
    shared(g, v, occ, inside, kern, best, where, nz, nx, ny)                   \
        schedule(dynamic, 1)
    for (long k = 0; k < nz; k++) {
        best[k] = -HUGE_VAL;
        where[k] = SIZE_MAX;
        for (size_t j = 0; j < ny; j++) {
            for (size_t i = 0; i < nx; i++) {
                size_t idx = rert_grid_index(g, i, j, (size_t)k);
                if ((double)occ[idx] < inside) {
                    continue;
                }
                double sampled = 0.0;
                double m =
                    sphere_mean(g, v, kern, (long)i, (long)j, k, &sampled);
                if (m > best[k]) {
                    best[k] = m;
                    where[k] = idx;
                }
            }
        }
    }
}

static RertVec3 index_xyz(const RertGridGeometry *g, size_t idx)
{
    size_t plane = g->dims[0] * g->dims[1];
    size_t i = idx % g->dims[0];
    size_t j = (idx % plane) / g->dims[0]; /* whole rows: integer division */
    size_t k = idx / plane;
    RertVec3 ijk = {(double)i, (double)j, (double)k};
    return rert_grid_ijk_to_xyz(g, ijk);
}

static bool peak(RertError *err,
                 const RertGridGeometry *g,
                 const float *v,
                 const float *occ,
                 const RertPetStatsOptions *o,
                 RertPetRoiStats *out)
{
    Kernel kern;
    if (!kernel_make(err, g, o->peak_volume_cc, &kern)) {
        return false;
    }
    double *best = rert_calloc(err, g->dims[2], sizeof *best);
    size_t *where = rert_calloc(err, g->dims[2], sizeof *where);
    bool ok = best != NULL && where != NULL;
    if (ok) {
        peak_per_slice(g, v, occ, o->inside_fraction, &kern, best, where);
        size_t at = SIZE_MAX;
        double top = -HUGE_VAL;
        for (size_t k = 0; k < g->dims[2]; k++) {
            if (where[k] != SIZE_MAX && best[k] > top) {
                top = best[k];
                at = where[k];
            }
        }
        size_t plane = g->dims[0] * g->dims[1];
        double sampled = 0.0;
        if (at != SIZE_MAX) {
            (void)sphere_mean(g, v, &kern, (long)(at % g->dims[0]),
                              (long)((at % plane) / g->dims[0]),
                              (long)(at / plane), &sampled);
            out->suv_peak = top;
            out->peak_xyz = index_xyz(g, at);
        }
        out->peak_radius_mm = kern.radius_mm;
        out->peak_sampled_cc = sampled * rert_grid_voxel_cc(g);
    }
    rert_free(best);
    rert_free(where);
    kernel_clear(&kern);
    return ok;
}

/* Volume, mean and max (serial, fixed order). */
static void basic(const RertGridGeometry *g,
                  const float *v,
                  const float *occ,
                  double inside,
                  RertPetRoiStats *out)
{
    size_t n = rert_grid_voxel_count(g);
    double wsum = 0.0;
    double sum = 0.0;
    size_t at = SIZE_MAX;
    for (size_t idx = 0; idx < n; idx++) {
        double w = (double)occ[idx];
        if (w <= 0.0) {
            continue;
        }
        wsum += w;
        sum += w * (double)v[idx];
        if (w >= inside) {
            out->voxel_count++;
            if (at == SIZE_MAX || v[idx] > v[at]) {
                at = idx;
            }
        }
    }
    out->volume_cc = wsum * rert_grid_voxel_cc(g);
    out->suv_mean = wsum > 0.0 ? sum / wsum : 0.0;
    if (at != SIZE_MAX) {
        out->suv_max = (double)v[at];
        out->max_xyz = index_xyz(g, at);
    }
}

static bool check_options(RertError *err, const RertPetStatsOptions *o)
{
    if (!(o->inside_fraction > 0.0 && o->inside_fraction <= 1.0) ||
        !(o->peak_volume_cc > 0.0 && o->peak_volume_cc <= 1000.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "PET statistics: inside fraction %g (expected "
                              "(0, 1]) or peak volume %g cc (expected (0, "
                              "1000])",
                              o->inside_fraction, o->peak_volume_cc);
    }
    return true;
}

bool rert_pet_roi_stats_compute(RertError *err,
                                const RertVolume *suv,
                                const RertPolygon *polygons,
                                size_t count,
                                const RertPetStatsOptions *options,
                                RertPetRoiStats *out)
{
    RertPetStatsOptions o =
        options != NULL ? *options : rert_pet_stats_options_default();
    if (suv == NULL || out == NULL || (count > 0 && polygons == NULL)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "PET statistics: NULL volume, polygons or "
                              "output");
    }
    if (!check_options(err, &o)) {
        return false;
    }
    memset(out, 0, sizeof *out);
    const RertGridGeometry *g = rert_volume_geometry(suv);
    float *occ = pet_occupancy(err, g, polygons, count, &o.raster);
    if (occ == NULL) {
        return false;
    }
    const float *v = rert_volume_data_const(suv);
    basic(g, v, occ, o.inside_fraction, out);
    bool ok = out->voxel_count > 0;
    if (!ok) {
        rert_error_set(err, RERT_ERR_UNSUPPORTED,
                       "no PET voxel is inside the structure (occupancy >= "
                       "%g): it misses the image or is smaller than a voxel",
                       o.inside_fraction);
    }
    ok = ok && peak(err, g, v, occ, &o, out);
    rert_free(occ);
    return ok;
}

bool rert_pet_tbr_compute(RertError *err,
                          const RertPetRoiStats *tumour,
                          const RertPetRoiStats *background,
                          RertPetTbr *out)
{
    double b = background->suv_mean;
    if (!(isfinite(b) && b > 0.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "tumour-to-background ratio: background SUVmean "
                              "%g, expected > 0",
                              b);
    }
    out->background_mean = b;
    out->tbr_max = tumour->suv_max / b;
    out->tbr_mean = tumour->suv_mean / b;
    return true;
}
