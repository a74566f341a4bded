/* A generated CT pair with a known deformation, shared by the deformable
 * registration tests (test_deformable.c) and bench/bench_deformable.c.
 *
 * The anatomy is the phantom's course-1 CT numbers (rert_phantom_hu) plus
 * a smooth tissue texture inside the body (sinusoids of 18-31 mm
 * wavelength, +-36 HU, as real soft tissue is not uniform) and a small
 * independent pseudo-random noise per image. The moving image shows the
 * anatomy directly: M(y) = A(y). The fixed image shows it through the
 * known mapping phi(x) = R (x + d(x)), F(x) = A(phi(x)), with d a sum of
 * Gaussian bumps (each up to about 9 mm) and R a rigid transform; so the
 * true field in the ITK/plastimatch convention is u(x) = phi(x) - x,
 * exactly, with nothing inverted numerically. */
#ifndef RERT_TEST_DEFORM_CASE_H
#define RERT_TEST_DEFORM_CASE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <rert/geometry.h>
#include <rert/phantom.h>
#include <rert/registration.h>

typedef struct DeformCase {
    RertPhantomOptions phantom;
    RertMat4 rigid; /* fixed -> moving rigid part R */
    /* Bumps: centre x, y, z (mm), sigma (mm), amplitude x, y, z (mm). */
    double bumps[3][7];
    size_t bump_count;
    double noise_hu;
} DeformCase;

/* The default case: rotation 2, -1.5, 3 degrees about (0, 10, 0), shift
 * 4, -3, 5 mm; two bumps of 7.8 and 8.8 mm; deformation up to about
 * 10 mm. @p scale multiplies the bump amplitudes (0 = rigid only). */
static inline DeformCase deform_case_default(double scale)
{
    DeformCase c;
    memset(&c, 0, sizeof c);
    c.phantom = rert_phantom_options_default();
    const double centre[3] = {0.0, 10.0, 0.0};
    const double rot[3] = {2.0, -1.5, 3.0};
    const double shift[3] = {4.0, -3.0, 5.0};
    c.rigid = rert_rigid_matrix_compute(centre, rot, shift);
    const double bumps[2][7] = {
        {20.0, 0.0, 20.0, 35.0, 6.0, -4.0, 3.0},
        {-25.0, 10.0, -30.0, 30.0, -4.0, 5.0, -6.0},
    };
    for (size_t b = 0; b < 2; b++) {
        for (int t = 0; t < 7; t++) {
            c.bumps[b][t] = bumps[b][t] * (t >= 4 ? scale : 1.0);
        }
    }
    c.bump_count = 2;
    c.noise_hu = 5.0;
    return c;
}

/* phi(x) = R (x + d(x)). */
static inline RertVec3 deform_case_map(const DeformCase *c, RertVec3 x)
{
    RertVec3 y = x;
    for (size_t b = 0; b < c->bump_count; b++) {
        const double *p = c->bumps[b];
        double dx = x.x - p[0];
        double dy = x.y - p[1];
        double dz = x.z - p[2];
        double w = exp(-(dx * dx + dy * dy + dz * dz) / (2.0 * p[3] * p[3]));
        y.x += w * p[4];
        y.y += w * p[5];
        y.z += w * p[6];
    }
    return rert_mat4_apply_point(c->rigid, y);
}

/* Anatomy CT number at anatomy (moving) point @p a. */
static inline double deform_case_anatomy(const DeformCase *c, RertVec3 a)
{
    double hu = rert_phantom_hu(&c->phantom, 1, a);
    if (hu > -500.0) {
        hu += 18.0 * sin(0.21 * a.x + 0.13 * a.y + 0.05 * a.z) +
              12.0 * sin(0.09 * a.x - 0.27 * a.y + 0.11 * a.z + 1.0) +
              6.0 * sin(0.07 * a.x + 0.05 * a.y - 0.31 * a.z + 2.0);
    }
    return hu;
}

/* Deterministic noise in [-1, 1) from a voxel index and a seed. */
static inline double deform_case_noise(size_t index, uint32_t seed)
{
    uint64_t h = (uint64_t)index * 0x9E3779B97F4A7C15ull + seed;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (double)(h >> 11) / (double)(1ull << 52) - 1.0;
}

/* Fill @p v: the fixed image (@p fixed true: A(phi(x))) or the moving one
 * (A(x)). OpenMP over slices; the values do not depend on threads. */
static inline void
deform_case_fill(const DeformCase *c, RertVolume *v, bool fixed)
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    float *d = rert_volume_data(v);
    size_t nz = g->dims[2];
    uint32_t seed = fixed ? 17u : 91u;
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(c, g, d, nz, fixed, seed)        \
    schedule(dynamic)
#endif
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                RertVec3 a = fixed ? deform_case_map(c, x) : x;
                size_t index = rert_grid_index(g, i, j, k);
                double hu = deform_case_anatomy(c, a) +
                            c->noise_hu * deform_case_noise(index, seed);
                d[index] = (float)hu;
            }
        }
    }
}

/* The true field u(x) = phi(x) - x on @p f's grid. */
static inline void deform_case_truth(const DeformCase *c, RertVectorField *f)
{
    const RertGridGeometry *g = rert_vector_field_geometry(f);
    float *u = rert_vector_field_data(f);
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                RertVec3 y = deform_case_map(c, x);
                float *p = u + 3 * rert_grid_index(g, i, j, k);
                p[0] = (float)(y.x - x.x);
                p[1] = (float)(y.y - x.y);
                p[2] = (float)(y.z - x.z);
            }
        }
    }
}

/* A grid of @p dims voxels of @p spacing centred on @p centre (identity
 * direction). */
static inline bool deform_case_grid(RertError *err,
                                    const size_t dims[3],
                                    const double spacing[3],
                                    const double centre[3],
                                    RertGridGeometry *out)
{
    double origin[3];
    for (int a = 0; a < 3; a++) {
        origin[a] = centre[a] - 0.5 * (double)(dims[a] - 1) * spacing[a];
    }
    const double dir[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    return rert_grid_geometry_make(err, dims, origin, spacing, dir, 0, out);
}

#endif
