/* Private declarations shared by the geometry files. Never installed. */
#ifndef RERT_GEOMETRY_INTERNAL_H
#define RERT_GEOMETRY_INTERNAL_H

#include <math.h>

#include <rert/geometry.h>

struct RertVolume {
    RertGridGeometry geometry;
    float *data; /* rert_alloc_voxels, voxel count floats */
};

struct RertTransform {
    RertTransformKind kind;
    /* MATRIX: reference -> other, and its inverse. FIELD: the matrix
     * applied before the displacement (identity for now; DICOM deformable
     * registration's pre-deformation matrix will go here). */
    RertMat4 matrix;
    RertMat4 inverse;
    RertGridGeometry field_geometry; /* FIELD only */
    float *vectors;                  /* FIELD only: 3 floats per voxel */
};

/* Trilinear sample of @p data on @p g at fractional index (fi, fj, fk):
 * edge voxels extend half a voxel (clamped), beyond that *is_inside is set
 * false and 0 returned. @p ncomp interleaved components are interpolated
 * into out[0..ncomp-1]. Threads: pure, safe. */
void rert_grid_sample_ijk(const RertGridGeometry *g,
                          const float *data,
                          size_t ncomp,
                          const double ijk[3],
                          double *out,
                          bool *is_inside);

/* Points within this many voxels beyond the half-voxel edge still count as
 * inside, so that round-off in xyz -> ijk does not flip edge voxels. */
#define GRID_EDGE_EPS 1e-6

/* Lower and upper neighbour along one axis and the upper weight; false when
 * f lies more than half a voxel outside [0, n-1] (or is NaN). */
static inline bool
grid_axis_weights(double f, size_t n, size_t *i0, size_t *i1, double *t)
{
    double hi = (double)(n - 1);
    if (!(f >= -0.5 - GRID_EDGE_EPS && f <= hi + 0.5 + GRID_EDGE_EPS)) {
        return false;
    }
    if (n == 1 || f <= 0.0) {
        *i0 = 0;
        *i1 = n == 1 ? 0 : 1;
        *t = 0.0;
        return true;
    }
    if (f >= hi) {
        *i0 = n - 2;
        *i1 = n - 1;
        *t = 1.0;
        return true;
    }
    double fl = floor(f);
    *i0 = (size_t)fl;
    *i1 = *i0 + 1;
    *t = f - fl;
    return true;
}

/* Scalar trilinear sample at fractional index (fi, fj, fk); false (and
 * *out untouched) beyond the half-voxel edge. */
static inline bool grid_sample1(const RertGridGeometry *g,
                                const float *restrict data,
                                double fi,
                                double fj,
                                double fk,
                                float *out)
{
    size_t i0 = 0;
    size_t i1 = 0;
    size_t j0 = 0;
    size_t j1 = 0;
    size_t k0 = 0;
    size_t k1 = 0;
    double ti = 0.0;
    double tj = 0.0;
    double tk = 0.0;
    if (!grid_axis_weights(fi, g->dims[0], &i0, &i1, &ti) ||
        !grid_axis_weights(fj, g->dims[1], &j0, &j1, &tj) ||
        !grid_axis_weights(fk, g->dims[2], &k0, &k1, &tk)) {
        return false;
    }
    size_t nx = g->dims[0];
    size_t nxy = nx * g->dims[1];
    const float *p00 = data + k0 * nxy + j0 * nx;
    const float *p01 = data + k0 * nxy + j1 * nx;
    const float *p10 = data + k1 * nxy + j0 * nx;
    const float *p11 = data + k1 * nxy + j1 * nx;
    double a00 = (double)p00[i0] + ti * ((double)p00[i1] - (double)p00[i0]);
    double a01 = (double)p01[i0] + ti * ((double)p01[i1] - (double)p01[i0]);
    double a10 = (double)p10[i0] + ti * ((double)p10[i1] - (double)p10[i0]);
    double a11 = (double)p11[i0] + ti * ((double)p11[i1] - (double)p11[i0]);
    double b0 = a00 + tj * (a01 - a00);
    double b1 = a10 + tj * (a11 - a10);
    *out = (float)(b0 + tk * (b1 - b0));
    return true;
}

#endif
