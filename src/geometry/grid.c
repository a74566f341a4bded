/* Grid geometry: validation and the exact index <-> patient (LPS mm)
 * transform. See docs/units-and-coordinates.md. */
#include <math.h>

#include <rert/core.h>
#include <rert/geometry.h>

/* Direction cosines are accepted when orthonormal within this tolerance
 * (style guide P5), then re-orthonormalised. */
#define ORTHO_TOL 1e-4

static const char *const axis_name[3] = {"i (row)", "j (column)", "k (slice)"};

static double dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static bool check_scalars(RertError *err,
                          const size_t dims[3],
                          const double origin_mm[3],
                          const double spacing_mm[3])
{
    for (int a = 0; a < 3; a++) {
        if (dims[a] < 1) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "grid dims along %s is 0, expected >= 1",
                                  axis_name[a]);
        }
        if (!isfinite(spacing_mm[a]) || !(spacing_mm[a] > 0.0)) {
            return rert_error_set(
                err, RERT_ERR_GEOMETRY,
                "grid spacing along %s is %g mm, expected finite and > 0",
                axis_name[a], spacing_mm[a]);
        }
        if (!isfinite(origin_mm[a])) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "grid origin component %d is %g, expected "
                                  "a finite position in mm",
                                  a, origin_mm[a]);
        }
    }
    return true;
}

static bool check_direction(RertError *err, const double direction[9])
{
    for (int a = 0; a < 9; a++) {
        if (!isfinite(direction[a])) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "grid direction component %d is %g, "
                                  "expected a finite direction cosine",
                                  a, direction[a]);
        }
    }
    for (size_t a = 0; a < 3; a++) {
        double norm = sqrt(dot3(direction + 3 * a, direction + 3 * a));
        if (fabs(norm - 1.0) > ORTHO_TOL) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "grid direction vector %s has norm %.6g, "
                                  "expected 1 within %g",
                                  axis_name[a], norm, ORTHO_TOL);
        }
    }
    for (size_t a = 0; a < 3; a++) {
        size_t b = (a + 1) % 3;
        double dot = dot3(direction + 3 * a, direction + 3 * b);
        if (fabs(dot) > ORTHO_TOL) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "grid direction vectors %s and %s have dot "
                                  "product %.6g, expected 0 within %g",
                                  axis_name[a], axis_name[b], dot, ORTHO_TOL);
        }
    }
    return true;
}

static void normalise3(double *v)
{
    double norm = sqrt(dot3(v, v));
    for (int c = 0; c < 3; c++) {
        v[c] /= norm;
    }
}

/* Gram-Schmidt in the order i, j, k; keeps the handedness of the input. */
static void orthonormalise(const double in[9], double out[9])
{
    for (int c = 0; c < 9; c++) {
        out[c] = in[c];
    }
    for (size_t a = 0; a < 3; a++) {
        double *v = out + 3 * a;
        for (size_t b = 0; b < a; b++) {
            const double *u = out + 3 * b;
            double d = dot3(v, u);
            for (int c = 0; c < 3; c++) {
                v[c] -= d * u[c];
            }
        }
        normalise3(v);
    }
}

/* ijk_to_xyz = [dir_i*sx dir_j*sy dir_k*sz | origin]; its inverse is
 * S^-1 D^T (x - origin) because D is orthonormal. */
static void fill_matrices(RertGridGeometry *g)
{
    RertMat4 fwd = rert_mat4_identity();
    RertMat4 inv = rert_mat4_identity();
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            fwd.m[r][c] = g->direction[3 * c + r] * g->spacing_mm[c];
            inv.m[c][r] = g->direction[3 * c + r] / g->spacing_mm[c];
        }
        fwd.m[r][3] = g->origin_mm[r];
    }
    for (int c = 0; c < 3; c++) {
        inv.m[c][3] =
            -(inv.m[c][0] * g->origin_mm[0] + inv.m[c][1] * g->origin_mm[1] +
              inv.m[c][2] * g->origin_mm[2]);
    }
    g->ijk_to_xyz = fwd;
    g->xyz_to_ijk = inv;
}

bool rert_grid_geometry_make(RertError *err,
                             const size_t dims[3],
                             const double origin_mm[3],
                             const double spacing_mm[3],
                             const double direction[9],
                             size_t max_voxels,
                             RertGridGeometry *out)
{
    if (dims == NULL || origin_mm == NULL || spacing_mm == NULL ||
        direction == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "grid geometry: NULL argument");
    }
    if (!check_scalars(err, dims, origin_mm, spacing_mm) ||
        !check_direction(err, direction)) {
        return false;
    }
    size_t count = 0;
    if (!rert_mul_size(err, dims[0], dims[1], &count) ||
        !rert_mul_size(err, count, dims[2], &count)) {
        rert_error_prefix(err, "grid %zu x %zu x %zu voxels", dims[0], dims[1],
                          dims[2]);
        return false;
    }
    if (max_voxels != 0 && count > max_voxels) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "grid %zu x %zu x %zu = %zu voxels, limit %zu",
                              dims[0], dims[1], dims[2], count, max_voxels);
    }
    RertGridGeometry g;
    for (int a = 0; a < 3; a++) {
        g.dims[a] = dims[a];
        g.origin_mm[a] = origin_mm[a];
        g.spacing_mm[a] = spacing_mm[a];
    }
    orthonormalise(direction, g.direction);
    fill_matrices(&g);
    *out = g;
    return true;
}

size_t rert_grid_voxel_count(const RertGridGeometry *g)
{
    return g->dims[0] * g->dims[1] * g->dims[2];
}

RertVec3 rert_grid_ijk_to_xyz(const RertGridGeometry *g, RertVec3 ijk)
{
    return rert_mat4_apply_point(g->ijk_to_xyz, ijk);
}

RertVec3 rert_grid_xyz_to_ijk(const RertGridGeometry *g, RertVec3 xyz)
{
    return rert_mat4_apply_point(g->xyz_to_ijk, xyz);
}

double rert_grid_voxel_cc(const RertGridGeometry *g)
{
    return g->spacing_mm[0] * g->spacing_mm[1] * g->spacing_mm[2] / 1000.0;
}

/* Same dims; origins within tol; and the one-voxel step vectors agree so
 * well that the far corners stay within tol (each axis checked alone). */
bool rert_grid_geometry_equal(const RertGridGeometry *a,
                              const RertGridGeometry *b,
                              double tol_mm)
{
    for (int c = 0; c < 3; c++) {
        if (a->dims[c] != b->dims[c]) {
            return false;
        }
    }
    double d2 = 0.0;
    for (int r = 0; r < 3; r++) {
        double d = a->origin_mm[r] - b->origin_mm[r];
        d2 += d * d;
    }
    if (!(sqrt(d2) <= tol_mm)) {
        return false;
    }
    for (int c = 0; c < 3; c++) {
        double steps = a->dims[c] > 1 ? (double)(a->dims[c] - 1) : 1.0;
        double s2 = 0.0;
        for (int r = 0; r < 3; r++) {
            double d = a->ijk_to_xyz.m[r][c] - b->ijk_to_xyz.m[r][c];
            s2 += d * d;
        }
        if (!(sqrt(s2) * steps <= tol_mm)) {
            return false;
        }
    }
    return true;
}
