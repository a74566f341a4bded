/* Voxel kernels of the diffeomorphic demons (docs/deformable.md): warping
 * the moving image through phi(x) = R (x + s(x)), symmetric forces,
 * exponentiation of the update by scaling and squaring, composition.
 * Every kernel runs OpenMP over slices and writes only its own voxels;
 * sums are kept per slice and added in slice order. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "demons_internal.h"
#include "vf_internal.h"

/* Trilinear sample of @p v at fractional index @p p with the
 * rert_volume_sample() edge rules: NaN more than half a voxel outside. */
static float
sample_index(const RertGridGeometry *g, const float *data, const double p[3])
{
    size_t lo[3];
    double w[3];
    size_t step[3] = {1, g->dims[0], g->dims[0] * g->dims[1]};
    size_t offset = 0;
    for (int a = 0; a < 3; a++) {
        double top = (double)(g->dims[a] - 1);
        double t = p[a];
        if (!(t >= -0.5 && t <= top + 0.5)) {
            return NAN;
        }
        t = t < 0.0 ? 0.0 : (t > top ? top : t);
        double f = floor(t);
        lo[a] = (size_t)f;
        w[a] = t - f;
        if (lo[a] + 1 >= g->dims[a]) {
            w[a] = 0.0;
            step[a] = 0;
        }
        offset +=
            lo[a] *
            (a == 0 ? 1 : (a == 1 ? g->dims[0] : g->dims[0] * g->dims[1]));
    }
    const float *c = data + offset;
    double x00 = (double)c[0] + w[0] * ((double)c[step[0]] - (double)c[0]);
    const float *c1 = c + step[1];
    double x10 = (double)c1[0] + w[0] * ((double)c1[step[0]] - (double)c1[0]);
    const float *c2 = c + step[2];
    double x01 = (double)c2[0] + w[0] * ((double)c2[step[0]] - (double)c2[0]);
    const float *c3 = c2 + step[1];
    double x11 = (double)c3[0] + w[0] * ((double)c3[step[0]] - (double)c3[0]);
    double y0 = x00 + w[1] * (x10 - x00);
    double y1 = x01 + w[1] * (x11 - x01);
    return (float)(y0 + w[2] * (y1 - y0));
}

/* Fixed index -> moving index through R, and mm displacement -> moving
 * index offset. */
typedef struct WarpMap {
    RertMat4 index;   /* fixed ijk -> moving ijk (s = 0) */
    double lin[3][3]; /* fixed-space mm vector -> moving index offset */
} WarpMap;

/* Warp one slice; returns the squared differences over the mask. */
static double warp_slice(const DemonsLevel *lv,
                         const WarpMap *map,
                         const float *s,
                         float *warped,
                         size_t k,
                         size_t *count)
{
    const RertGridGeometry *g = &lv->geometry;
    const RertGridGeometry *gm = rert_volume_geometry(lv->moving);
    const float *moving = rert_volume_data_const(lv->moving);
    const float *fixed = rert_volume_data_const(lv->fixed);
    double ssd = 0.0;
    for (size_t j = 0; j < g->dims[1]; j++) {
        for (size_t i = 0; i < g->dims[0]; i++) {
            size_t v = rert_grid_index(g, i, j, k);
            RertVec3 ijk = {(double)i, (double)j, (double)k};
            RertVec3 q = rert_mat4_apply_point(map->index, ijk);
            double p[3] = {q.x, q.y, q.z};
            const float *u = s + 3 * v;
            for (int r = 0; r < 3; r++) {
                p[r] += map->lin[r][0] * (double)u[0] +
                        map->lin[r][1] * (double)u[1] +
                        map->lin[r][2] * (double)u[2];
            }
            float w = sample_index(gm, moving, p);
            /* Outside the moving image: no information, no force. */
            warped[v] = isnan(w) ? fixed[v] : w;
            if (lv->mask[v] != 0) {
                double d = (double)fixed[v] - (double)warped[v];
                ssd += d * d;
                (*count)++;
            }
        }
    }
    return ssd;
}

double demons_warp(const DemonsLevel *lv,
                   const RertMat4 *rigid,
                   const float *s,
                   float *warped,
                   double *partial)
{
    size_t nz = lv->geometry.dims[2];
    size_t *counts = lv->counts;
    const RertGridGeometry *gm = rert_volume_geometry(lv->moving);
    RertMat4 to_moving = rert_mat4_multiply(gm->xyz_to_ijk, *rigid);
    WarpMap map;
    map.index = rert_mat4_multiply(to_moving, lv->geometry.ijk_to_xyz);
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            map.lin[r][c] = to_moving.m[r][c];
        }
    }
    const WarpMap *mp = &map;
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none)                                         \
    shared(lv, mp, s, warped, partial, counts, nz) schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        counts[k] = 0;
        partial[k] = warp_slice(lv, mp, s, warped, k, &counts[k]);
    }
    double ssd = 0.0;
    size_t n = 0;
    for (size_t k = 0; k < nz; k++) {
        ssd += partial[k];
        n += counts[k];
    }
    return n > 0 ? ssd / (double)n : 0.0;
}

/* Gradient of a scalar image in patient mm at voxel (i, j, k): central
 * differences in index space (one-sided at edges) through the grid's
 * direction and spacing. */
void demons_gradient(const RertGridGeometry *g,
                     const float *image,
                     const size_t at[3],
                     float out[3])
{
    double gi[3];
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
        double vl = (double)image[rert_grid_index(g, lo[0], lo[1], lo[2])];
        double vh = (double)image[rert_grid_index(g, hi[0], hi[1], hi[2])];
        gi[a] = span > 0.0 ? (vh - vl) / (span * g->spacing_mm[a]) : 0.0;
    }
    for (int c = 0; c < 3; c++) {
        double sum = 0.0;
        for (int a = 0; a < 3; a++) {
            sum += g->direction[3 * a + c] * gi[a];
        }
        out[c] = (float)sum;
    }
}

static void force_slice(const DemonsLevel *lv,
                        const float *warped,
                        float *du,
                        double max_mm,
                        size_t k)
{
    const RertGridGeometry *g = &lv->geometry;
    const float *fixed = rert_volume_data_const(lv->fixed);
    for (size_t j = 0; j < g->dims[1]; j++) {
        for (size_t i = 0; i < g->dims[0]; i++) {
            size_t v = rert_grid_index(g, i, j, k);
            float *u = du + 3 * v;
            u[0] = u[1] = u[2] = 0.0f;
            if (lv->mask[v] == 0) {
                continue;
            }
            size_t at[3] = {i, j, k};
            float gw[3];
            demons_gradient(g, warped, at, gw);
            const float *gf = lv->grad_fixed + 3 * v;
            double jv[3];
            double j2 = 0.0;
            for (int c = 0; c < 3; c++) {
                jv[c] = 0.5 * ((double)gf[c] + (double)gw[c]);
                j2 += jv[c] * jv[c];
            }
            double diff = (double)fixed[v] - (double)warped[v];
            double denom = j2 + diff * diff / lv->sigma_x2;
            if (!(denom > 1e-12)) {
                continue;
            }
            double scale = diff / denom;
            double len = fabs(scale) * sqrt(j2);
            if (len > max_mm) {
                scale *= max_mm / len;
            }
            for (int c = 0; c < 3; c++) {
                u[c] = (float)(scale * jv[c]);
            }
        }
    }
}

void demons_forces(const DemonsLevel *lv,
                   const float *warped,
                   float *du,
                   double max_mm)
{
    size_t nz = lv->geometry.dims[2];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(lv, warped, du, max_mm, nz)      \
    schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        force_slice(lv, warped, du, max_mm, k);
    }
}

/* Largest |du| in voxel units (index space). */
static double
max_index_norm(const DemonsLevel *lv, const float *du, double *partial)
{
    const RertGridGeometry *g = &lv->geometry;
    size_t nz = g->dims[2];
    size_t plane = g->dims[0] * g->dims[1];
    double m[3][3];
    vf_vector_to_index(g, m);
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(du, partial, nz, plane, m)       \
    schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        double best = 0.0;
        for (size_t v = k * plane; v < (k + 1) * plane; v++) {
            const float *u = du + 3 * v;
            double n2 = 0.0;
            for (int r = 0; r < 3; r++) {
                double t = m[r][0] * (double)u[0] + m[r][1] * (double)u[1] +
                           m[r][2] * (double)u[2];
                n2 += t * t;
            }
            best = n2 > best ? n2 : best;
        }
        partial[k] = best;
    }
    double best = 0.0;
    for (size_t k = 0; k < nz; k++) {
        best = partial[k] > best ? partial[k] : best;
    }
    return sqrt(best);
}

/* out(x) = a(x) + b(x + a(x)) on the level grid (b sampled clamped). */
void demons_compose(const RertGridGeometry *g,
                    const float *a,
                    const float *b,
                    float *out)
{
    size_t nz = g->dims[2];
    double m[3][3];
    vf_vector_to_index(g, m);
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(g, a, b, out, nz, m)             \
    schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                size_t v = rert_grid_index(g, i, j, k);
                const float *u = a + 3 * v;
                double p[3] = {(double)i, (double)j, (double)k};
                for (int r = 0; r < 3; r++) {
                    p[r] += m[r][0] * (double)u[0] + m[r][1] * (double)u[1] +
                            m[r][2] * (double)u[2];
                }
                float bs[3];
                vf_sample_clamped(g, b, p, bs);
                out[3 * v] = u[0] + bs[0];
                out[3 * v + 1] = u[1] + bs[1];
                out[3 * v + 2] = u[2] + bs[2];
            }
        }
    }
}

unsigned demons_exponentiate(const DemonsLevel *lv,
                             float *du,
                             float *tmp,
                             double *partial)
{
    /* Scaling and squaring (Arsigny 2006): exp(v) = exp(v / 2^n)^(2^n),
     * with n so that v / 2^n moves by at most half a voxel. */
    double norm = max_index_norm(lv, du, partial);
    unsigned n = 0;
    while (norm > 0.5 && n < 12) {
        norm *= 0.5;
        n++;
    }
    if (n == 0) {
        return 0;
    }
    float scale = (float)ldexp(1.0, -(int)n);
    size_t floats = 3 * rert_grid_voxel_count(&lv->geometry);
    for (size_t t = 0; t < floats; t++) {
        du[t] *= scale;
    }
    for (unsigned step = 0; step < n; step++) {
        demons_compose(&lv->geometry, du, du, tmp);
        memcpy(du, tmp, floats * sizeof(float));
    }
    return n;
}
