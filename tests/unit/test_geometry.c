/* Unit tests: grid geometry (DICOM patient positions, oblique grids),
 * 4x4 matrices, volumes and trilinear sampling, transforms, resampling and
 * contour rasterisation against analytic answers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>

#include "rert_test.h"

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#define PI 3.14159265358979323846

static const double axial[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

static RertGridGeometry make_grid(size_t nx,
                                  size_t ny,
                                  size_t nz,
                                  const double origin[3],
                                  const double spacing[3],
                                  const double direction[9])
{
    RertError err;
    RertGridGeometry g;
    size_t dims[3] = {nx, ny, nz};
    bool ok =
        rert_grid_geometry_make(&err, dims, origin, spacing, direction, 0, &g);
    if (!ok) {
        print_error("%s\n", err.message);
    }
    assert_true(ok);
    return g;
}

static void cross3(const double *a, const double *b, double *out)
{
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* Direction from an ImageOrientationPatient pair; normal = row x col. */
static void direction_from_iop(const double iop[6], double dir[9])
{
    memcpy(dir, iop, 6 * sizeof(double));
    cross3(iop, iop + 3, dir + 6);
}

/* Rotation by @p angle radians about unit axis (ux, uy, uz). */
static void
rotation(double ux, double uy, double uz, double angle, double r[3][3])
{
    double c = cos(angle);
    double s = sin(angle);
    double t = 1.0 - c;
    r[0][0] = t * ux * ux + c;
    r[0][1] = t * ux * uy - s * uz;
    r[0][2] = t * ux * uz + s * uy;
    r[1][0] = t * ux * uy + s * uz;
    r[1][1] = t * uy * uy + c;
    r[1][2] = t * uy * uz - s * ux;
    r[2][0] = t * ux * uz - s * uy;
    r[2][1] = t * uy * uz + s * ux;
    r[2][2] = t * uz * uz + c;
}

/* Rotation matrix (zero translation) by @p angle about a unit axis. */
static RertMat4 rotation_matrix(double ux, double uy, double uz, double angle)
{
    double r[3][3];
    rotation(ux, uy, uz, angle, r);
    RertMat4 m = rert_mat4_identity();
    memcpy(m.m[0], r[0], sizeof r[0]);
    memcpy(m.m[1], r[1], sizeof r[1]);
    memcpy(m.m[2], r[2], sizeof r[2]);
    return m;
}

/* Grid direction whose i, j, k axes are the rotated x, y, z axes. */
static void
rotated_direction(double ux, double uy, double uz, double angle, double dir[9])
{
    double r[3][3];
    rotation(ux, uy, uz, angle, r);
    for (int a = 0; a < 3; a++) {
        for (int c = 0; c < 3; c++) {
            dir[3 * a + c] = r[c][a]; /* columns of r are the axes */
        }
    }
}

/* Use @p n threads from now on; returns the previous count (1 without
 * OpenMP, where the 1-vs-N comparisons still run, trivially). */
static int set_threads(int n)
{
#ifdef RERT_HAVE_OPENMP
    int saved = omp_get_max_threads();
    omp_set_num_threads(n);
    return saved;
#else
    (void)n;
    return 1;
#endif
}

static void assert_vec_near(RertVec3 a, RertVec3 b, double tol)
{
    rert_assert_near(a.x, b.x, tol, 0);
    rert_assert_near(a.y, b.y, tol, 0);
    rert_assert_near(a.z, b.z, tol, 0);
}

/* ---- grid geometry */

typedef struct PositionCase {
    const char *name;
    double iop[6];
    RertVec3 delta; /* patient offset of voxel (3, 4, 2), hand-derived */
} PositionCase;

/* DICOM PS3.3 C.7.6.2.1.1 (LPS) with the usual ImageOrientationPatient of
 * each PatientPosition; spacing 0.8 x 0.9 x 2.5 mm, voxel (3, 4, 2) lies
 * 2.4 mm along the row, 3.6 mm along the column, 5 mm along row x col. */
static const PositionCase positions[] = {
    {"HFS", {1, 0, 0, 0, 1, 0}, {2.4, 3.6, 5.0}},
    {"HFP", {-1, 0, 0, 0, -1, 0}, {-2.4, -3.6, 5.0}},
    {"FFS", {-1, 0, 0, 0, 1, 0}, {-2.4, 3.6, -5.0}},
    {"FFP", {1, 0, 0, 0, -1, 0}, {2.4, -3.6, -5.0}},
    {"HFDL", {0, -1, 0, 1, 0, 0}, {3.6, -2.4, 5.0}},
    {"HFDR", {0, 1, 0, -1, 0, 0}, {-3.6, 2.4, 5.0}},
    {"FFDL", {0, 1, 0, 1, 0, 0}, {3.6, 2.4, -5.0}},
    {"FFDR", {0, -1, 0, -1, 0, 0}, {-3.6, -2.4, -5.0}},
};

static void check_round_trips(const RertGridGeometry *g)
{
    unsigned seed = 12345;
    for (int n = 0; n < 50; n++) {
        seed = seed * 1103515245u + 12345u;
        RertVec3 ijk = {(double)(seed % 1000) / 37.0 - 3.0,
                        (double)((seed >> 10) % 1000) / 41.0 - 2.0,
                        (double)((seed >> 20) % 1000) / 43.0 - 1.0};
        RertVec3 xyz = rert_grid_ijk_to_xyz(g, ijk);
        RertVec3 back = rert_grid_xyz_to_ijk(g, xyz);
        assert_vec_near(back, ijk, 1e-9);
    }
}

static void test_patient_positions(void **state)
{
    (void)state;
    const double origin[3] = {-120.5, -80.25, 33.0};
    const double spacing[3] = {0.8, 0.9, 2.5};
    for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
        print_message("position %s\n", positions[p].name);
        double dir[9];
        direction_from_iop(positions[p].iop, dir);
        RertGridGeometry g = make_grid(10, 12, 5, origin, spacing, dir);
        RertVec3 zero = {0, 0, 0};
        RertVec3 o = {origin[0], origin[1], origin[2]};
        assert_vec_near(rert_grid_ijk_to_xyz(&g, zero), o, 1e-12);
        RertVec3 ijk = {3, 4, 2};
        RertVec3 expect = {origin[0] + positions[p].delta.x,
                           origin[1] + positions[p].delta.y,
                           origin[2] + positions[p].delta.z};
        assert_vec_near(rert_grid_ijk_to_xyz(&g, ijk), expect, 1e-9);
        assert_vec_near(rert_grid_xyz_to_ijk(&g, expect), ijk, 1e-9);
        check_round_trips(&g);
        rert_assert_near(rert_grid_voxel_cc(&g), 0.8 * 0.9 * 2.5 / 1000, 0,
                         1e-12);
        assert_int_equal(rert_grid_voxel_count(&g), 600);
        assert_int_equal(rert_grid_index(&g, 3, 4, 2), (2 * 12 + 4) * 10 + 3);
    }
}

static void test_oblique_grid(void **state)
{
    (void)state;
    double dir[9];
    rotated_direction(0.48, 0.6, 0.64, 0.7, dir); /* unit axis, 40 degrees */
    const double origin[3] = {10, -20, 30};
    const double spacing[3] = {1.5, 2.0, 3.0};
    RertGridGeometry g = make_grid(7, 8, 9, origin, spacing, dir);
    RertVec3 ijk = {2, 3, 4};
    RertVec3 expect = {0, 0, 0};
    double xyz[3];
    for (int c = 0; c < 3; c++) {
        xyz[c] = origin[c] + 2 * 1.5 * dir[c] + 3 * 2.0 * dir[3 + c] +
                 4 * 3.0 * dir[6 + c];
    }
    expect.x = xyz[0];
    expect.y = xyz[1];
    expect.z = xyz[2];
    assert_vec_near(rert_grid_ijk_to_xyz(&g, ijk), expect, 1e-9);
    check_round_trips(&g);
    /* The two matrices are inverse to each other. */
    RertMat4 prod = rert_mat4_multiply(g.xyz_to_ijk, g.ijk_to_xyz);
    for (int a = 0; a < 4; a++) {
        for (int b = 0; b < 4; b++) {
            rert_assert_near(prod.m[a][b], a == b ? 1.0 : 0.0, 1e-12, 0);
        }
    }
    /* Distances: one step along j is 2 mm in patient space. */
    RertVec3 p0 = rert_grid_ijk_to_xyz(&g, ijk);
    RertVec3 step = {2, 4, 4};
    RertVec3 p1 = rert_grid_ijk_to_xyz(&g, step);
    double d =
        sqrt((p1.x - p0.x) * (p1.x - p0.x) + (p1.y - p0.y) * (p1.y - p0.y) +
             (p1.z - p0.z) * (p1.z - p0.z));
    rert_assert_near(d, 2.0, 1e-12, 0);
}

static void test_grid_reorthonormalised(void **state)
{
    (void)state;
    /* Off by ~5e-5: accepted and cleaned to machine precision. */
    const double dir[9] = {1, 5e-5, 0, 0, 1.00004, 0, 0, 0, 1};
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {1, 1, 1};
    RertGridGeometry g = make_grid(2, 2, 2, origin, spacing, dir);
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            double dot = 0;
            for (int c = 0; c < 3; c++) {
                dot += g.direction[3 * a + c] * g.direction[3 * b + c];
            }
            rert_assert_near(dot, a == b ? 1.0 : 0.0, 1e-14, 0);
        }
    }
}

static void expect_make_error(const size_t dims[3],
                              const double spacing[3],
                              const double dir[9],
                              size_t max_voxels,
                              RertErrorCode code,
                              const char *needle)
{
    RertError err;
    RertGridGeometry g;
    const double origin[3] = {0, 0, 0};
    assert_false(rert_grid_geometry_make(&err, dims, origin, spacing, dir,
                                         max_voxels, &g));
    assert_int_equal(err.code, code);
    if (strstr(err.message, needle) == NULL) {
        print_error("message '%s' lacks '%s'\n", err.message, needle);
        fail();
    }
}

static void test_grid_validation(void **state)
{
    (void)state;
    const size_t dims[3] = {4, 5, 6};
    const size_t zero_dims[3] = {4, 0, 6};
    const size_t huge_dims[3] = {SIZE_MAX / 2, 3, 1};
    const double spacing[3] = {1, 1, 1};
    const double bad_spacing[3] = {1, 0, 1};
    const double neg_spacing[3] = {1, 1, -2};
    const double nan_spacing[3] = {(double)NAN, 1, 1};
    const double long_row[9] = {1.01, 0, 0, 0, 1, 0, 0, 0, 1};
    const double skew[9] = {1, 0, 0, 0.01, 0.99995, 0, 0, 0, 1};
    const double nan_dir[9] = {1, 0, 0, 0, (double)NAN, 0, 0, 0, 1};
    expect_make_error(zero_dims, spacing, axial, 0, RERT_ERR_GEOMETRY,
                      "j (column) is 0");
    expect_make_error(dims, bad_spacing, axial, 0, RERT_ERR_GEOMETRY,
                      "spacing along j");
    expect_make_error(dims, neg_spacing, axial, 0, RERT_ERR_GEOMETRY, "-2");
    expect_make_error(dims, nan_spacing, axial, 0, RERT_ERR_GEOMETRY,
                      "spacing along i");
    expect_make_error(dims, spacing, long_row, 0, RERT_ERR_GEOMETRY,
                      "i (row) has norm 1.01");
    expect_make_error(dims, spacing, skew, 0, RERT_ERR_GEOMETRY,
                      "dot product 0.01");
    expect_make_error(dims, spacing, nan_dir, 0, RERT_ERR_GEOMETRY,
                      "component 4");
    expect_make_error(huge_dims, spacing, axial, 0, RERT_ERR_LIMIT,
                      "overflows");
    expect_make_error(dims, spacing, axial, 100, RERT_ERR_LIMIT,
                      "120 voxels, limit 100");
    RertError err;
    RertGridGeometry g;
    assert_false(
        rert_grid_geometry_make(&err, dims, NULL, spacing, axial, 0, &g));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
}

static void test_grid_equal(void **state)
{
    (void)state;
    const double origin[3] = {1, 2, 3};
    const double shifted[3] = {1.05, 2, 3};
    const double spacing[3] = {2, 2, 3};
    const double spacing2[3] = {2.001, 2, 3};
    RertGridGeometry a = make_grid(100, 10, 10, origin, spacing, axial);
    RertGridGeometry b = make_grid(100, 10, 10, shifted, spacing, axial);
    RertGridGeometry c = make_grid(100, 10, 10, origin, spacing2, axial);
    RertGridGeometry d = make_grid(100, 10, 11, origin, spacing, axial);
    assert_true(rert_grid_geometry_equal(&a, &a, 0.0));
    assert_false(rert_grid_geometry_equal(&a, &b, 0.01));
    assert_true(rert_grid_geometry_equal(&a, &b, 0.06));
    /* 0.001 mm per voxel over 99 voxels = 0.099 mm at the far corner */
    assert_false(rert_grid_geometry_equal(&a, &c, 0.05));
    assert_true(rert_grid_geometry_equal(&a, &c, 0.1));
    assert_false(rert_grid_geometry_equal(&a, &d, 1.0));
}

/* ---- matrices */

static RertMat4 affine_example(void)
{
    RertMat4 m = rert_mat4_identity();
    const double v[3][4] = {
        {2, 0.5, -1, 10}, {0.3, 1.5, 0.2, -4}, {-0.7, 0.1, 3, 2.5}};
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 4; c++) {
            m.m[r][c] = v[r][c];
        }
    }
    return m;
}

static void test_mat4(void **state)
{
    (void)state;
    RertError err;
    RertMat4 m = affine_example();
    RertMat4 inv;
    assert_true(rert_mat4_invert(&err, m, &inv));
    RertMat4 prod = rert_mat4_multiply(m, inv);
    for (int a = 0; a < 4; a++) {
        for (int b = 0; b < 4; b++) {
            rert_assert_near(prod.m[a][b], a == b ? 1.0 : 0.0, 1e-12, 0);
        }
    }
    RertVec3 p = {1, 2, 3};
    RertVec3 q = rert_mat4_apply_point(m, p);
    RertVec3 expect = {2 + 1 - 3 + 10, 0.3 + 3 + 0.6 - 4, -0.7 + 0.2 + 9 + 2.5};
    assert_vec_near(q, expect, 1e-12);
    assert_vec_near(rert_mat4_apply_point(inv, q), p, 1e-12);
    RertVec3 v = rert_mat4_apply_vector(m, p);
    RertVec3 vexpect = {0, 0.3 + 3 + 0.6, -0.7 + 0.2 + 9};
    assert_vec_near(v, vexpect, 1e-12);

    RertMat4 singular = m;
    for (int c = 0; c < 3; c++) {
        singular.m[2][c] = 2 * singular.m[0][c];
    }
    assert_false(rert_mat4_invert(&err, singular, &inv));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    assert_non_null(strstr(err.message, "singular"));
    RertMat4 projective = m;
    projective.m[3][0] = 0.1;
    assert_false(rert_mat4_invert(&err, projective, &inv));
    assert_non_null(strstr(err.message, "last row"));

    RertMat4 rigid = rotation_matrix(0, 0.6, 0.8, 1.1);
    rigid.m[1][3] = 5.0;
    rigid.m[2][3] = -3.0;
    assert_true(rert_mat4_is_rigid(rigid, 1e-9));
    assert_false(rert_mat4_is_rigid(m, 1e-3));
    RertMat4 mirror = rert_mat4_identity();
    mirror.m[0][0] = -1;
    assert_false(rert_mat4_is_rigid(mirror, 1e-3));
    RertMat4 scaled = rert_mat4_identity();
    scaled.m[1][1] = 1.01;
    assert_false(rert_mat4_is_rigid(scaled, 1e-3));
}

/* ---- volumes and sampling */

typedef struct Linear {
    double a, b, c, d;
} Linear;

static double linear_at(Linear f, RertVec3 p)
{
    return f.a * p.x + f.b * p.y + f.c * p.z + f.d;
}

static RertVolume *linear_volume(const RertGridGeometry *g, Linear f)
{
    RertError err;
    RertVolume *v = rert_volume_create(&err, g);
    assert_non_null(v);
    float *data = rert_volume_data(v);
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 p = rert_grid_ijk_to_xyz(g, ijk);
                data[rert_grid_index(g, i, j, k)] = (float)linear_at(f, p);
            }
        }
    }
    return v;
}

static void test_volume_basics(void **state)
{
    (void)state;
    RertError err;
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {2, 2, 2.5};
    RertGridGeometry g = make_grid(4, 3, 2, origin, spacing, axial);
    RertVolume *v = rert_volume_create(&err, &g);
    assert_non_null(v);
    assert_int_equal((uintptr_t)rert_volume_data(v) % 64, 0);
    assert_true(rert_grid_geometry_equal(rert_volume_geometry(v), &g, 0));
    float lo = 1;
    float hi = -1;
    rert_volume_minmax(v, &lo, &hi);
    rert_assert_near((double)lo, 0, 0, 0);
    rert_assert_near((double)hi, 0, 0, 0);
    rert_volume_data(v)[5] = 3.5f;
    rert_volume_data(v)[7] = -1.25f;
    RertVolume *c = rert_volume_clone(&err, v);
    assert_non_null(c);
    rert_volume_data(v)[5] = 0;
    rert_volume_minmax(c, &lo, &hi);
    rert_assert_near((double)lo, -1.25, 0, 0);
    rert_assert_near((double)hi, 3.5, 0, 0);
    assert_true(rert_volume_data_const(c) != rert_volume_data_const(v));
    rert_volume_destroy(c);
    rert_volume_destroy(v);
    rert_volume_destroy(NULL);
    RertGridGeometry bad = g;
    bad.spacing_mm[0] = -1;
    assert_null(rert_volume_create(&err, &bad));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
}

static void test_volume_sample_linear(void **state)
{
    (void)state;
    double dir[9];
    rotated_direction(0.6, 0, 0.8, 0.5, dir);
    const double origin[3] = {-5, 3, 7};
    const double spacing[3] = {1.5, 2, 2.5};
    RertGridGeometry g = make_grid(8, 9, 10, origin, spacing, dir);
    Linear f = {0.7, -0.4, 0.25, 3};
    RertVolume *v = linear_volume(&g, f);
    unsigned seed = 99;
    for (int n = 0; n < 200; n++) {
        seed = seed * 1103515245u + 12345u;
        RertVec3 ijk = {(double)(seed % 7000) / 1000.0,
                        (double)((seed >> 8) % 8000) / 1000.0,
                        (double)((seed >> 16) % 9000) / 1000.0};
        RertVec3 p = rert_grid_ijk_to_xyz(&g, ijk);
        rert_assert_near((double)rert_volume_sample(v, p, -99), linear_at(f, p),
                         1e-4, 1e-5);
    }
    rert_volume_destroy(v);
}

static void test_volume_sample_edges(void **state)
{
    (void)state;
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {2, 2, 2};
    RertGridGeometry g = make_grid(3, 3, 1, origin, spacing, axial);
    Linear f = {1, 10, 0, 0}; /* value = x + 10 y */
    RertVolume *v = linear_volume(&g, f);
    RertVec3 centre = {2, 2, 0};
    rert_assert_near((double)rert_volume_sample(v, centre, -1), 22, 1e-6, 0);
    /* within half a voxel beyond the last centre (x = 4): clamped */
    RertVec3 edge_x = {4.9, 2, 0};
    rert_assert_near((double)rert_volume_sample(v, edge_x, -1), 24, 1e-6, 0);
    RertVec3 edge_low = {-0.9, -0.5, 0};
    rert_assert_near((double)rert_volume_sample(v, edge_low, -1), 0, 1e-6, 0);
    RertVec3 beyond_x = {5.1, 2, 0};
    rert_assert_near((double)rert_volume_sample(v, beyond_x, -1), -1, 0, 0);
    RertVec3 beyond_y = {2, -1.1, 0};
    rert_assert_near((double)rert_volume_sample(v, beyond_y, -7), -7, 0, 0);
    /* one slice: no interpolation along k, half-voxel rule still holds */
    RertVec3 off_plane = {3, 1, 0.9};
    rert_assert_near((double)rert_volume_sample(v, off_plane, -1), 13, 1e-6, 0);
    RertVec3 off_plane_far = {3, 1, -1.1};
    rert_assert_near((double)rert_volume_sample(v, off_plane_far, -1), -1, 0,
                     0);
    RertVec3 nan_point = {(double)NAN, 1, 0};
    rert_assert_near((double)rert_volume_sample(v, nan_point, -3), -3, 0, 0);
    rert_volume_destroy(v);
}

/* ---- transforms */

static RertMat4 translation(double tx, double ty, double tz)
{
    RertMat4 m = rert_mat4_identity();
    m.m[0][3] = tx;
    m.m[1][3] = ty;
    m.m[2][3] = tz;
    return m;
}

static void test_transforms(void **state)
{
    (void)state;
    RertError err;
    RertVec3 p = {1, 2, 3};
    RertTransform *id = rert_transform_create_identity(&err);
    assert_non_null(id);
    assert_int_equal(rert_transform_kind(id), RERT_TRANSFORM_IDENTITY);
    assert_vec_near(rert_transform_apply(id, p), p, 0);
    rert_transform_destroy(id);

    RertTransform *mt = rert_transform_create_matrix(&err, affine_example());
    assert_non_null(mt);
    assert_int_equal(rert_transform_kind(mt), RERT_TRANSFORM_MATRIX);
    RertVec3 expect = rert_mat4_apply_point(affine_example(), p);
    assert_vec_near(rert_transform_apply(mt, p), expect, 1e-12);
    rert_transform_destroy(mt);
    RertMat4 zero = rert_mat4_identity();
    zero.m[1][1] = 0;
    assert_null(rert_transform_create_matrix(&err, zero));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    assert_non_null(strstr(err.message, "transform matrix"));
    rert_transform_destroy(NULL);
}

static void test_transform_field(void **state)
{
    (void)state;
    RertError err;
    const double origin[3] = {-10, -10, -10};
    const double spacing[3] = {5, 5, 5};
    RertGridGeometry g = make_grid(5, 5, 5, origin, spacing, axial);
    size_t n = rert_grid_voxel_count(&g);
    float *u = rert_calloc(&err, 3 * n, sizeof(float));
    assert_non_null(u);
    /* u(x) = (0.1 x + 1, -0.2 y, 0.05 z + 2): linear, so trilinear exact */
    for (size_t k = 0; k < 5; k++) {
        for (size_t j = 0; j < 5; j++) {
            for (size_t i = 0; i < 5; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(&g, ijk);
                float *vec = u + 3 * rert_grid_index(&g, i, j, k);
                vec[0] = (float)(0.1 * x.x + 1);
                vec[1] = (float)(-0.2 * x.y);
                vec[2] = (float)(0.05 * x.z + 2);
            }
        }
    }
    RertTransform *t = rert_transform_create_field(&err, &g, u);
    assert_non_null(t);
    u[0] = 1000; /* the field was copied */
    assert_int_equal(rert_transform_kind(t), RERT_TRANSFORM_FIELD);
    RertVec3 p = {3.3, -7.1, 4.4};
    RertVec3 expect = {p.x + 0.1 * p.x + 1, p.y - 0.2 * p.y,
                       p.z + 0.05 * p.z + 2};
    assert_vec_near(rert_transform_apply(t, p), expect, 1e-5);
    RertVec3 corner = {-10, -10, -10};
    RertVec3 corner_expect = {-10, -8, -8.5};
    assert_vec_near(rert_transform_apply(t, corner), corner_expect, 1e-5);
    RertVec3 far = {40, 0, 0}; /* outside: zero displacement */
    assert_vec_near(rert_transform_apply(t, far), far, 0);
    rert_transform_destroy(t);
    u[4] = NAN;
    assert_null(rert_transform_create_field(&err, &g, u));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    assert_non_null(strstr(err.message, "voxel 1 component 1"));
    rert_free(u);
}

/* ---- resampling */

/* True when @p xyz lies within the hull of the voxel centres of @p g,
 * where trilinear interpolation of a linear field is exact. */
static bool within_centres(const RertGridGeometry *g, RertVec3 xyz)
{
    RertVec3 f = rert_grid_xyz_to_ijk(g, xyz);
    double lim = 1e-9;
    return f.x >= -lim && f.y >= -lim && f.z >= -lim &&
           f.x <= (double)(g->dims[0] - 1) + lim &&
           f.y <= (double)(g->dims[1] - 1) + lim &&
           f.z <= (double)(g->dims[2] - 1) + lim;
}

static void check_linear_resample(const RertVolume *src,
                                  const RertGridGeometry *target,
                                  const RertTransform *t,
                                  Linear f)
{
    const RertGridGeometry *sg = rert_volume_geometry(src);
    RertError err;
    RertResampleStats stats = {99};
    RertVolume *out = rert_volume_resample(&err, src, target, t, -1000, &stats);
    assert_non_null(out);
    const float *data = rert_volume_data_const(out);
    size_t inside = 0;
    size_t exact = 0;
    for (size_t k = 0; k < target->dims[2]; k++) {
        for (size_t j = 0; j < target->dims[1]; j++) {
            for (size_t i = 0; i < target->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(target, ijk);
                RertVec3 y = t != NULL ? rert_transform_apply(t, x) : x;
                float value = data[rert_grid_index(target, i, j, k)];
                if (value != -1000.0f) {
                    inside++;
                }
                if (within_centres(sg, y)) {
                    rert_assert_near((double)value, linear_at(f, y), 1e-4,
                                     1e-5);
                    exact++;
                }
            }
        }
    }
    assert_int_equal(inside + stats.outside_voxels,
                     rert_grid_voxel_count(target));
    assert_true(exact > rert_grid_voxel_count(target) / 4);
    rert_volume_destroy(out);
}

static void test_resample_linear(void **state)
{
    (void)state;
    RertError err;
    const double origin[3] = {-20, -20, -15};
    const double spacing[3] = {2, 2, 3};
    RertGridGeometry sg = make_grid(21, 21, 11, origin, spacing, axial);
    Linear f = {0.3, -0.2, 0.15, 1};
    RertVolume *src = linear_volume(&sg, f);
    /* finer, oblique target inside the source */
    double dir[9];
    rotated_direction(0.28, 0.96, 0, 0.4, dir);
    const double torigin[3] = {-10, -12, -8};
    const double tspacing[3] = {0.7, 0.9, 1.1};
    RertGridGeometry tg = make_grid(25, 23, 14, torigin, tspacing, dir);
    check_linear_resample(src, &tg, NULL, f);
    RertTransform *id = rert_transform_create_identity(&err);
    check_linear_resample(src, &tg, id, f);
    RertTransform *shift =
        rert_transform_create_matrix(&err, translation(3.5, -2.25, 1.75));
    check_linear_resample(src, &tg, shift, f);
    RertMat4 rot = rotation_matrix(0, 0.6, 0.8, 0.3);
    rot.m[0][3] = 1.5;
    RertTransform *rt = rert_transform_create_matrix(&err, rot);
    check_linear_resample(src, &tg, rt, f);
    /* the general (field) path on the same translation */
    const double forigin[3] = {-30, -30, -30};
    const double fspacing[3] = {10, 10, 10};
    RertGridGeometry fg = make_grid(7, 7, 7, forigin, fspacing, axial);
    float *u = rert_calloc(&err, (size_t)3 * 343, sizeof(float));
    assert_non_null(u);
    for (size_t v = 0; v < 343; v++) {
        u[3 * v] = 3.5f;
        u[3 * v + 1] = -2.25f;
        u[3 * v + 2] = 1.75f;
    }
    RertTransform *ft = rert_transform_create_field(&err, &fg, u);
    assert_non_null(ft);
    check_linear_resample(src, &tg, ft, f);
    rert_free(u);
    rert_transform_destroy(ft);
    rert_transform_destroy(rt);
    rert_transform_destroy(shift);
    rert_transform_destroy(id);
    rert_volume_destroy(src);
}

static void test_resample_outside_count(void **state)
{
    (void)state;
    RertError err;
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {1, 1, 1};
    RertGridGeometry g = make_grid(10, 10, 10, origin, spacing, axial);
    RertVolume *src = rert_volume_create(&err, &g);
    assert_non_null(src);
    float *data = rert_volume_data(src);
    for (size_t v = 0; v < 1000; v++) {
        data[v] = 2.5f;
    }
    /* +3 mm in x: target columns i >= 7 map past x = 9.5 */
    RertTransform *t = rert_transform_create_matrix(&err, translation(3, 0, 0));
    RertResampleStats stats = {0};
    RertVolume *out = rert_volume_resample(&err, src, &g, t, -5, &stats);
    assert_non_null(out);
    assert_int_equal(stats.outside_voxels, 300);
    const float *od = rert_volume_data_const(out);
    for (size_t v = 0; v < 1000; v++) {
        rert_assert_near((double)od[v], v % 10 >= 7 ? -5.0 : 2.5, 0, 0);
    }
    rert_volume_destroy(out);
    rert_transform_destroy(t);
    /* a constant stays constant through a rotation about the centre */
    RertMat4 m = rotation_matrix(0.48, 0.6, 0.64, 0.6);
    RertVec3 centre = {4.5, 4.5, 4.5};
    RertVec3 moved = rert_mat4_apply_point(m, centre);
    m.m[0][3] = centre.x - moved.x;
    m.m[1][3] = centre.y - moved.y;
    m.m[2][3] = centre.z - moved.z;
    t = rert_transform_create_matrix(&err, m);
    out = rert_volume_resample(&err, src, &g, t, -5, &stats);
    assert_non_null(out);
    od = rert_volume_data_const(out);
    size_t outside = 0;
    for (size_t v = 0; v < 1000; v++) {
        if (od[v] == -5.0f) {
            outside++;
        } else {
            rert_assert_near((double)od[v], 2.5, 1e-6, 0);
        }
    }
    assert_int_equal(outside, stats.outside_voxels);
    assert_true(outside > 0 && outside < 500);
    rert_volume_destroy(out);
    rert_transform_destroy(t);
    rert_volume_destroy(src);
}

static void test_resample_threads_and_failures(void **state)
{
    (void)state;
    RertError err;
    const double origin[3] = {-30, -30, -20};
    const double spacing[3] = {1, 1, 2};
    RertGridGeometry g = make_grid(61, 57, 21, origin, spacing, axial);
    RertVolume *src = rert_volume_create(&err, &g);
    assert_non_null(src);
    float *data = rert_volume_data(src);
    for (size_t v = 0; v < rert_grid_voxel_count(&g); v++) {
        data[v] = (float)sin((double)v * 0.001) * 10.0f;
    }
    RertMat4 m = rotation_matrix(0, 0, 1, 0.2);
    m.m[0][3] = 2.2;
    m.m[1][3] = -1.3;
    m.m[2][3] = 0.7;
    RertTransform *t = rert_transform_create_matrix(&err, m);
    const double torigin[3] = {-33, -28, -22};
    const double tspacing[3] = {0.8, 1.3, 1.7};
    RertGridGeometry tg = make_grid(70, 50, 27, torigin, tspacing, axial);
    RertResampleStats s1 = {0};
    RertResampleStats sn = {0};
    int saved = set_threads(1);
    RertVolume *one = rert_volume_resample(&err, src, &tg, t, -1, &s1);
    set_threads(4);
    RertVolume *many = rert_volume_resample(&err, src, &tg, t, -1, &sn);
    set_threads(saved);
    assert_non_null(one);
    assert_non_null(many);
    assert_int_equal(s1.outside_voxels, sn.outside_voxels);
    assert_memory_equal(rert_volume_data_const(one),
                        rert_volume_data_const(many),
                        rert_grid_voxel_count(&tg) * sizeof(float));
    rert_volume_destroy(one);
    rert_volume_destroy(many);
    /* every allocation failure is reported, without leaks */
    for (size_t nth = 1;; nth++) {
        rert_alloc_fail_at(nth);
        RertVolume *out = rert_volume_resample(&err, src, &tg, t, -1, NULL);
        rert_alloc_fail_at(0);
        if (out != NULL) {
            rert_volume_destroy(out);
            assert_true(nth > 1);
            break;
        }
        assert_int_equal(err.code, RERT_ERR_NOMEM);
    }
    assert_null(rert_volume_resample(&err, NULL, &tg, t, -1, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_transform_destroy(t);
    rert_volume_destroy(src);
}

/* ---- rasterisation */

static double fraction_sum(const float *fraction, size_t n)
{
    double sum = 0;
    for (size_t v = 0; v < n; v++) {
        assert_true(fraction[v] >= 0.0f && fraction[v] <= 1.0f);
        sum += (double)fraction[v];
    }
    return sum;
}

/* Axis-aligned rectangle at height z (counter-clockwise). */
static void
rectangle(RertVec3 *p, double x0, double y0, double x1, double y1, double z)
{
    RertVec3 pts[4] = {{x0, y0, z}, {x1, y0, z}, {x1, y1, z}, {x0, y1, z}};
    memcpy(p, pts, sizeof pts);
}

static void
circle(RertVec3 *p, size_t n, double cx, double cy, double r, double z)
{
    for (size_t m = 0; m < n; m++) {
        double a = 2.0 * PI * (double)m / (double)n;
        p[m].x = cx + r * cos(a);
        p[m].y = cy + r * sin(a);
        p[m].z = z;
    }
}

static float *raster(const RertGridGeometry *g,
                     const RertPolygon *polys,
                     size_t count,
                     const RertRasterOptions *o)
{
    RertError err;
    float *fraction =
        rert_calloc(&err, rert_grid_voxel_count(g), sizeof(float));
    assert_non_null(fraction);
    bool ok = rert_rasterize_polygons(&err, g, polys, count, o, fraction);
    if (!ok) {
        print_error("%s\n", err.message);
    }
    assert_true(ok);
    return fraction;
}

static void test_raster_square_stack(void **state)
{
    (void)state;
    const double origin[3] = {-20, -20, -10};
    const double spacing[3] = {1, 1, 1};
    RertGridGeometry g = make_grid(41, 41, 31, origin, spacing, axial);
    RertVec3 pts[10][4];
    RertPolygon polys[10];
    for (size_t p = 0; p < 10; p++) {
        /* planes z = -1 ... 17 (between voxel centres and edges alike) */
        rectangle(pts[p], -10.3, -9.6, 9.7, 10.4, -1.0 + 2.0 * (double)p);
        polys[9 - p].points_mm = pts[p]; /* any order */
        polys[9 - p].count = 4;
    }
    size_t n = rert_grid_voxel_count(&g);
    float *f = raster(&g, polys, 10, NULL);
    double mm3 = fraction_sum(f, n) * rert_grid_voxel_cc(&g) * 1000.0;
    rert_assert_near(mm3, 20.0 * 20.0 * 20.0, 0, 0.005);
    /* a voxel well inside is full, one outside is empty */
    rert_assert_near((double)f[rert_grid_index(&g, 20, 20, 15)], 1.0, 1e-6, 0);
    rert_assert_near((double)f[rert_grid_index(&g, 20, 20, 9)], 1.0, 1e-6, 0);
    /* the end cap reaches z = -2, half-way into slice 8 */
    rert_assert_near((double)f[rert_grid_index(&g, 20, 20, 8)], 0.5, 1e-6, 0);
    rert_assert_near((double)f[rert_grid_index(&g, 20, 20, 7)], 0.0, 0, 0);
    rert_assert_near((double)f[rert_grid_index(&g, 5, 20, 15)], 0.0, 0, 0);
    rert_free(f);
    RertRasterOptions o = rert_raster_options_default();
    assert_int_equal(o.subsamples, 4);
    o.half_end_caps = false;
    f = raster(&g, polys, 10, &o);
    mm3 = fraction_sum(f, n) * rert_grid_voxel_cc(&g) * 1000.0;
    rert_assert_near(mm3, 20.0 * 20.0 * 18.0, 0, 0.005);
    rert_free(f);
}

static void test_raster_circle(void **state)
{
    (void)state;
    const double origin[3] = {-15, -15, 0};
    const double spacing[3] = {1, 1, 2.5};
    RertGridGeometry g = make_grid(31, 31, 5, origin, spacing, axial);
    RertVec3 pts[360];
    circle(pts, 360, 0.37, -0.81, 10, 5.0); /* plane at k = 2 */
    RertPolygon poly = {pts, 360};
    float *f = raster(&g, &poly, 1, NULL);
    size_t nxy = (size_t)31 * 31;
    /* one plane alone: a slab one grid slice thick, all in slice 2 */
    double area = fraction_sum(f + 2 * nxy, nxy) * 1.0 * 1.0;
    rert_assert_near(area, PI * 100, 0, 0.01);
    rert_assert_near(fraction_sum(f, rert_grid_voxel_count(&g)), area, 1e-6, 0);
    rert_free(f);
    /* a plane half-way between slices 1 and 2 splits over both */
    circle(pts, 360, 0.37, -0.81, 10, 3.75);
    f = raster(&g, &poly, 1, NULL);
    rert_assert_near(fraction_sum(f + nxy, nxy), PI * 50, 0, 0.01);
    rert_assert_near(fraction_sum(f + 2 * nxy, nxy), PI * 50, 0, 0.01);
    rert_free(f);
}

static void test_raster_holes_and_islands(void **state)
{
    (void)state;
    const double origin[3] = {-15, -15, 0};
    const double spacing[3] = {1, 1, 1};
    RertGridGeometry g = make_grid(31, 31, 3, origin, spacing, axial);
    RertVec3 outer[4];
    RertVec3 hole[4];
    RertVec3 island[4];
    rectangle(outer, -10, -10, 10, 10, 1.0);
    rectangle(hole, -5.2, -4.9, 4.8, 5.1, 1.0);
    rectangle(island, -2, -2, 2, 2, 1.0);
    RertPolygon polys[3] = {{hole, 4}, {outer, 4}, {island, 4}};
    size_t n = rert_grid_voxel_count(&g);
    float *f = raster(&g, polys, 2, NULL);
    rert_assert_near(fraction_sum(f, n), 400 - 100, 0, 0.002);
    rert_assert_near((double)f[rert_grid_index(&g, 15, 15, 1)], 0, 0, 0);
    rert_assert_near((double)f[rert_grid_index(&g, 7, 15, 1)], 1, 1e-6, 0);
    rert_free(f);
    f = raster(&g, polys, 3, NULL);
    rert_assert_near(fraction_sum(f, n), 400 - 100 + 16, 0, 0.002);
    rert_assert_near((double)f[rert_grid_index(&g, 15, 15, 1)], 1, 1e-6, 0);
    rert_free(f);
}

static void test_raster_small_and_clipped(void **state)
{
    (void)state;
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {1, 1, 1};
    RertGridGeometry g = make_grid(10, 10, 4, origin, spacing, axial);
    size_t n = rert_grid_voxel_count(&g);
    /* 0.5 x 0.5 mm square centred on voxel (3, 6, 2): a quarter of it */
    RertVec3 tiny[4];
    rectangle(tiny, 2.75, 5.75, 3.25, 6.25, 2.0);
    RertPolygon poly = {tiny, 4};
    float *f = raster(&g, &poly, 1, NULL);
    rert_assert_near((double)f[rert_grid_index(&g, 3, 6, 2)], 0.25, 1e-6, 0);
    rert_assert_near(fraction_sum(f, n), 0.25, 1e-6, 0);
    rert_free(f);
    /* x from -20 to 4.5, y from 2.5 to 30: the grid holds x in [-0.5, 4.5]
     * and y in [2.5, 9.5] */
    RertVec3 big[4];
    rectangle(big, -20, 2.5, 4.5, 30, 1.0);
    poly.points_mm = big;
    f = raster(&g, &poly, 1, NULL);
    rert_assert_near(fraction_sum(f, n), 5.0 * 7.0, 1e-6, 0);
    rert_assert_near((double)f[rert_grid_index(&g, 0, 9, 1)], 1, 1e-6, 0);
    rert_assert_near((double)f[rert_grid_index(&g, 5, 9, 1)], 0, 0, 0);
    rert_free(f);
    /* edges and vertices exactly on sample rows and columns (samples sit at
     * 0.125 + 0.25 n mm): half-open rule, 3.5 x 2.5 mm exactly */
    RertVec3 snapped[4];
    rectangle(snapped, 1.125, 2.625, 4.625, 5.125, 1.0);
    poly.points_mm = snapped;
    f = raster(&g, &poly, 1, NULL);
    rert_assert_near(fraction_sum(f, n), 3.5 * 2.5, 1e-6, 0);
    rert_free(f);
    poly.points_mm = big;
    /* entirely outside the grid, and an empty list */
    rectangle(big, 50, 50, 60, 60, 1.0);
    f = raster(&g, &poly, 1, NULL);
    rert_assert_near(fraction_sum(f, n), 0, 0, 0);
    rert_free(f);
    f = raster(&g, NULL, 0, NULL);
    rert_assert_near(fraction_sum(f, n), 0, 0, 0);
    rert_free(f);
}

static void test_raster_oblique_grid(void **state)
{
    (void)state;
    /* FFS-like grid (slice normal -z) rotated 30 degrees in-plane */
    double c = cos(PI / 6);
    double s = sin(PI / 6);
    const double dir[9] = {-c, s, 0, s, c, 0, 0, 0, -1};
    /* voxel (17.5, 17.5, 6) sits at (-2, -1, 10) */
    const double origin[3] = {-2 + 15.75 * (c - s), -1 - 15.75 * (s + c), 22};
    const double spacing[3] = {0.9, 0.9, 2};
    RertGridGeometry g = make_grid(36, 36, 12, origin, spacing, dir);
    RertVec3 pts[6][360];
    RertPolygon polys[6];
    for (size_t p = 0; p < 6; p++) {
        circle(pts[p], 360, -2, -1, 8, 4.0 + 3.0 * (double)p);
        polys[p].points_mm = pts[p];
        polys[p].count = 360;
    }
    float *f = raster(&g, polys, 6, NULL);
    double mm3 = fraction_sum(f, rert_grid_voxel_count(&g)) *
                 rert_grid_voxel_cc(&g) * 1000.0;
    rert_assert_near(mm3, PI * 64 * 18, 0, 0.01);
    /* the centre of the cylinder is inside */
    RertVec3 centre = {-2, -1, 10};
    RertVec3 ijk = rert_grid_xyz_to_ijk(&g, centre);
    size_t idx = rert_grid_index(&g, (size_t)lround(ijk.x),
                                 (size_t)lround(ijk.y), (size_t)lround(ijk.z));
    rert_assert_near((double)f[idx], 1, 1e-6, 0);
    rert_free(f);
}

static void expect_raster_error(const RertGridGeometry *g,
                                const RertPolygon *polys,
                                size_t count,
                                const RertRasterOptions *o,
                                RertErrorCode code,
                                const char *needle)
{
    RertError err;
    float fraction[64 * 4];
    assert_false(rert_rasterize_polygons(&err, g, polys, count, o, fraction));
    assert_int_equal(err.code, code);
    if (strstr(err.message, needle) == NULL) {
        print_error("message '%s' lacks '%s'\n", err.message, needle);
        fail();
    }
}

static void test_raster_errors(void **state)
{
    (void)state;
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {1, 1, 1};
    RertGridGeometry g = make_grid(8, 8, 4, origin, spacing, axial);
    RertVec3 good[4];
    rectangle(good, 1, 1, 4, 4, 1.0);
    RertVec3 bent[4];
    rectangle(bent, 1, 1, 4, 4, 1.0);
    bent[2].z = 1.3;
    RertVec3 tilted[4] = {{1, 1, 1}, {4, 1, 1.6}, {4, 4, 1.6}, {1, 4, 1}};
    RertVec3 nan_pts[4];
    rectangle(nan_pts, 1, 1, 4, 4, 1.0);
    nan_pts[3].y = (double)NAN;
    RertPolygon polys[2] = {{good, 4}, {bent, 4}};
    expect_raster_error(&g, polys, 2, NULL, RERT_ERR_GEOMETRY,
                        "polygon 1 is not planar");
    polys[1].points_mm = tilted;
    expect_raster_error(&g, polys, 2, NULL, RERT_ERR_GEOMETRY,
                        "polygon 1 lies in a plane tilted 11.3 degrees");
    polys[1].points_mm = nan_pts;
    expect_raster_error(&g, polys, 2, NULL, RERT_ERR_GEOMETRY,
                        "polygon 1 point 3");
    RertRasterOptions o = rert_raster_options_default();
    o.subsamples = 0;
    expect_raster_error(&g, polys, 1, &o, RERT_ERR_INVALID_ARG,
                        "subsamples is 0");
    polys[1].points_mm = NULL;
    expect_raster_error(&g, polys, 2, NULL, RERT_ERR_INVALID_ARG,
                        "polygon 1 has 4 points but NULL");
}

static void test_raster_threads_and_failures(void **state)
{
    (void)state;
    RertError err;
    const double origin[3] = {-30, -30, -30};
    const double spacing[3] = {1.1, 0.9, 1.3};
    RertGridGeometry g = make_grid(55, 67, 47, origin, spacing, axial);
    enum { PLANES = 20 };
    RertVec3 pts[PLANES][2][90];
    RertPolygon polys[2 * PLANES];
    for (size_t p = 0; p < PLANES; p++) {
        double z = -25 + 2.5 * (double)p;
        double r = 15 + 5 * sin((double)p);
        circle(pts[p][0], 90, 1, 2, r, z);
        circle(pts[p][1], 90, 3, 1, r / 3, z);
        polys[2 * p] = (RertPolygon){pts[p][0], 90};
        polys[2 * p + 1] = (RertPolygon){pts[p][1], 90};
    }
    size_t n = rert_grid_voxel_count(&g);
    int saved = set_threads(1);
    float *one = raster(&g, polys, (size_t)2 * PLANES, NULL);
    set_threads(4);
    float *many = raster(&g, polys, (size_t)2 * PLANES, NULL);
    set_threads(saved);
    assert_memory_equal(one, many, n * sizeof(float));
    assert_true(fraction_sum(one, n) > 1000);
    for (size_t nth = 1;; nth++) {
        rert_alloc_fail_at(nth);
        bool ok = rert_rasterize_polygons(&err, &g, polys, (size_t)2 * PLANES,
                                          NULL, many);
        rert_alloc_fail_at(0);
        if (ok) {
            assert_true(nth > 1);
            break;
        }
        assert_int_equal(err.code, RERT_ERR_NOMEM);
    }
    assert_memory_equal(one, many, n * sizeof(float));
    rert_free(one);
    rert_free(many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patient_positions),
        cmocka_unit_test(test_oblique_grid),
        cmocka_unit_test(test_grid_reorthonormalised),
        cmocka_unit_test(test_grid_validation),
        cmocka_unit_test(test_grid_equal),
        cmocka_unit_test(test_mat4),
        cmocka_unit_test(test_volume_basics),
        cmocka_unit_test(test_volume_sample_linear),
        cmocka_unit_test(test_volume_sample_edges),
        cmocka_unit_test(test_transforms),
        cmocka_unit_test(test_transform_field),
        cmocka_unit_test(test_resample_linear),
        cmocka_unit_test(test_resample_outside_count),
        cmocka_unit_test(test_resample_threads_and_failures),
        cmocka_unit_test(test_raster_square_stack),
        cmocka_unit_test(test_raster_circle),
        cmocka_unit_test(test_raster_holes_and_islands),
        cmocka_unit_test(test_raster_small_and_clipped),
        cmocka_unit_test(test_raster_oblique_grid),
        cmocka_unit_test(test_raster_errors),
        cmocka_unit_test(test_raster_threads_and_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
