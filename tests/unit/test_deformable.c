/* Unit tests: dense vector fields (sampling, Jacobian, comparisons),
 * MetaImage and NIfTI vector files (round trips, malformed input,
 * direction conventions against plastimatch), and diffeomorphic demons on
 * a generated CT pair with a known deformation (deform_case.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/phantom.h>
#include <rert/registration.h>

#include "deform_case.h"
#include "rert_test.h"

/* ---- helpers */

static RertGridGeometry grid_make(const size_t dims[3],
                                  const double origin[3],
                                  const double spacing[3],
                                  const double dir[9])
{
    RertError err;
    rert_error_clear(&err);
    RertGridGeometry g;
    assert_true(
        rert_grid_geometry_make(&err, dims, origin, spacing, dir, 0, &g));
    return g;
}

static const double identity_dir[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
/* i along -y, j along +x, k along z (a 90 degree turn about z). */
static const double turned_dir[9] = {0, -1, 0, 1, 0, 0, 0, 0, 1};

static RertGridGeometry small_grid(const double dir[9])
{
    const size_t dims[3] = {7, 5, 4};
    const double origin[3] = {-10.0, -20.5, 30.0};
    const double spacing[3] = {2.0, 3.0, 4.5};
    return grid_make(dims, origin, spacing, dir);
}

/* A smooth field with different values per component and voxel. */
static RertVectorField *pattern_field(const RertGridGeometry *g)
{
    RertError err;
    rert_error_clear(&err);
    RertVectorField *f = rert_vector_field_create(&err, g);
    assert_non_null(f);
    float *u = rert_vector_field_data(f);
    for (size_t v = 0; v < rert_grid_voxel_count(g); v++) {
        u[3 * v] = 0.5f + 0.01f * (float)v;
        u[3 * v + 1] = -1.25f + 0.02f * (float)(v % 7);
        u[3 * v + 2] = 2.0f - 0.003f * (float)v;
    }
    return f;
}

static void assert_fields_equal(const RertVectorField *a,
                                const RertVectorField *b,
                                double tol)
{
    const RertGridGeometry *ga = rert_vector_field_geometry(a);
    const RertGridGeometry *gb = rert_vector_field_geometry(b);
    assert_true(rert_grid_geometry_equal(ga, gb, 1e-5));
    const float *ua = rert_vector_field_data_const(a);
    const float *ub = rert_vector_field_data_const(b);
    for (size_t t = 0; t < 3 * rert_grid_voxel_count(ga); t++) {
        rert_assert_near((double)ua[t], (double)ub[t], tol, 0.0);
    }
}

static char *tmp_path(const char *name)
{
    static char buf[8][1024];
    static int next = 0;
    char *p = buf[next];
    next = (next + 1) % 8;
    (void)snprintf(p, sizeof buf[0], "%s/%s", rert_test_tmpdir(), name);
    return p;
}

static void set_threads(int n)
{
#ifdef RERT_HAVE_OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static bool have_plastimatch(void)
{
    return access("/usr/bin/plastimatch", X_OK) == 0;
}

/* ---- fields */

static void test_field_from_matrix(void **state)
{
    (void)state;
    RertGridGeometry g = small_grid(turned_dir);
    const double centre[3] = {1.0, 2.0, 3.0};
    const double rot[3] = {3.0, -2.0, 5.0};
    const double shift[3] = {4.0, -5.0, 6.0};
    RertMat4 m = rert_rigid_matrix_compute(centre, rot, shift);
    RertError err;
    rert_error_clear(&err);
    RertVectorField *f = rert_vector_field_from_matrix(&err, &g, m);
    assert_non_null(f);
    RertTransform *t = rert_vector_field_transform(&err, f);
    assert_non_null(t);
    /* Inside the grid the field (trilinear, so exact for an affine map)
     * and the transform give M x. */
    RertVec3 ijk = {2.5, 1.25, 2.75};
    RertVec3 x = rert_grid_ijk_to_xyz(&g, ijk);
    RertVec3 want = rert_mat4_apply_point(m, x);
    RertVec3 u = rert_vector_field_sample(f, x);
    RertVec3 y = rert_transform_apply(t, x);
    rert_assert_near(x.x + u.x, want.x, 1e-4, 0.0);
    rert_assert_near(x.y + u.y, want.y, 1e-4, 0.0);
    rert_assert_near(x.z + u.z, want.z, 1e-4, 0.0);
    rert_assert_near(y.x, want.x, 1e-4, 0.0);
    rert_assert_near(y.y, want.y, 1e-4, 0.0);
    rert_assert_near(y.z, want.z, 1e-4, 0.0);
    /* Far outside: zero displacement. */
    RertVec3 far = {500.0, 500.0, 500.0};
    RertVec3 z = rert_vector_field_sample(f, far);
    assert_true(z.x == 0.0 && z.y == 0.0 && z.z == 0.0);
    /* Rigid: Jacobian 1 everywhere. */
    RertJacobianStats js;
    assert_true(rert_vector_field_jacobian(&err, f, NULL, &js));
    rert_assert_near(js.min, 1.0, 1e-4, 0.0);
    rert_assert_near(js.max, 1.0, 1e-4, 0.0);
    assert_int_equal(js.folded, 0);
    assert_int_equal(js.voxels, rert_grid_voxel_count(&g));
    /* A non-affine matrix is refused. */
    RertMat4 bad = m;
    bad.m[3][0] = 0.5;
    assert_null(rert_vector_field_from_matrix(&err, &g, bad));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    rert_transform_destroy(t);
    rert_vector_field_destroy(f);
}

static void test_jacobian_known(void **state)
{
    (void)state;
    RertGridGeometry g = small_grid(turned_dir);
    RertError err;
    rert_error_clear(&err);
    /* u = (A - I) x for a diagonal scaling A: det = product of A. */
    RertMat4 a = rert_mat4_identity();
    a.m[0][0] = 1.2;
    a.m[1][1] = 0.9;
    a.m[2][2] = 1.1;
    RertVectorField *f = rert_vector_field_from_matrix(&err, &g, a);
    assert_non_null(f);
    RertJacobianStats js;
    assert_true(rert_vector_field_jacobian(&err, f, NULL, &js));
    rert_assert_near(js.min, 1.2 * 0.9 * 1.1, 1e-5, 0.0);
    rert_assert_near(js.max, 1.2 * 0.9 * 1.1, 1e-5, 0.0);
    rert_assert_near(js.mean, 1.2 * 0.9 * 1.1, 1e-5, 0.0);
    rert_vector_field_destroy(f);
    /* A mirror along x (x -> -x) folds every voxel: det -1. */
    RertMat4 mirror = rert_mat4_identity();
    mirror.m[0][0] = -1.0;
    f = rert_vector_field_from_matrix(&err, &g, mirror);
    assert_non_null(f);
    size_t n = rert_grid_voxel_count(&g);
    float *mask = calloc(n, sizeof(float));
    assert_non_null(mask);
    mask[3] = 1.0f;
    mask[10] = 0.7f;
    mask[11] = 0.2f; /* below 0.5: out */
    assert_true(rert_vector_field_jacobian(&err, f, mask, &js));
    assert_int_equal(js.voxels, 2);
    assert_int_equal(js.folded, 2);
    rert_assert_near(js.folded_frac, 1.0, 0.0, 0.0);
    rert_assert_near(js.min, -1.0, 1e-5, 0.0);
    /* Empty mask. */
    memset(mask, 0, n * sizeof(float));
    assert_false(rert_vector_field_jacobian(&err, f, mask, &js));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    free(mask);
    rert_vector_field_destroy(f);
}

static void test_compare_and_landmarks(void **state)
{
    (void)state;
    RertGridGeometry g = small_grid(identity_dir);
    RertError err;
    rert_error_clear(&err);
    RertMat4 shift = rert_mat4_identity();
    shift.m[0][3] = 3.0;
    shift.m[2][3] = -4.0;
    RertVectorField *a = rert_vector_field_from_matrix(&err, &g, shift);
    RertVectorField *b = rert_vector_field_create(&err, &g);
    assert_non_null(a);
    assert_non_null(b);
    /* b is zero: every voxel differs by |(3, 0, -4)| = 5 mm. */
    RertFieldErrorStats st;
    assert_true(rert_vector_field_compare(&err, a, b, NULL, &st));
    rert_assert_near(st.mean_mm, 5.0, 1e-6, 0.0);
    rert_assert_near(st.p95_mm, 5.0, 1e-6, 0.0);
    rert_assert_near(st.max_mm, 5.0, 1e-6, 0.0);
    /* Make b equal to a except at 10 of 140 voxels. */
    memcpy(rert_vector_field_data(b), rert_vector_field_data_const(a),
           3 * rert_grid_voxel_count(&g) * sizeof(float));
    for (size_t v = 0; v < 10; v++) {
        rert_vector_field_data(b)[3 * v] += 2.0f;
    }
    assert_true(rert_vector_field_compare(&err, a, b, NULL, &st));
    assert_int_equal(st.count, 140);
    rert_assert_near(st.mean_mm, 20.0 / 140.0, 1e-6, 0.0);
    rert_assert_near(st.p95_mm, 2.0, 1e-6, 0.0); /* rank 133 of 140 */
    rert_assert_near(st.max_mm, 2.0, 1e-6, 0.0);
    /* Different grids. */
    RertGridGeometry g2 = small_grid(turned_dir);
    RertVectorField *c = rert_vector_field_create(&err, &g2);
    assert_false(rert_vector_field_compare(&err, a, c, NULL, &st));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    /* Landmarks: fixed p maps to p + (3, 0, -4); moving points 1 mm and
     * 2 mm off. */
    RertVec3 p[2] = {{-6.0, -14.5, 39.0}, {0.0, -11.5, 34.5}};
    RertVec3 q[2] = {{-3.0, -13.5, 35.0}, {3.0, -11.5, 32.5}};
    RertTransform *t = rert_vector_field_transform(&err, a);
    assert_non_null(t);
    RertLandmarkStats ls;
    double each[2] = {0.0, 0.0};
    assert_true(rert_landmark_error_compute(&err, t, p, q, 2, each, &ls));
    rert_assert_near(ls.mean_mm, 1.5, 1e-5, 0.0);
    rert_assert_near(ls.max_mm, 2.0, 1e-5, 0.0);
    rert_assert_near(each[0], 1.0, 1e-5, 0.0);
    rert_assert_near(each[1], 2.0, 1e-5, 0.0);
    assert_int_equal(ls.worst_index, 1);
    assert_false(rert_landmark_error_compute(&err, t, p, q, 0, NULL, &ls));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_transform_destroy(t);
    rert_vector_field_destroy(a);
    rert_vector_field_destroy(b);
    rert_vector_field_destroy(c);
}

static void test_inverse_consistency(void **state)
{
    (void)state;
    const size_t dims[3] = {20, 18, 12};
    const double origin[3] = {-20.0, -18.0, -12.0};
    const double spacing[3] = {2.0, 2.0, 2.0};
    RertGridGeometry g = grid_make(dims, origin, spacing, identity_dir);
    const double centre[3] = {0.0, 0.0, 0.0};
    const double rot[3] = {0.0, 0.0, 4.0};
    const double shift[3] = {2.0, -1.0, 0.5};
    RertMat4 m = rert_rigid_matrix_compute(centre, rot, shift);
    RertMat4 inv;
    RertError err;
    rert_error_clear(&err);
    assert_true(rert_mat4_invert(&err, m, &inv));
    RertVectorField *fwd = rert_vector_field_from_matrix(&err, &g, m);
    RertVectorField *back = rert_vector_field_from_matrix(&err, &g, inv);
    assert_non_null(fwd);
    assert_non_null(back);
    RertFieldErrorStats st;
    assert_true(
        rert_vector_field_inverse_consistency(&err, fwd, back, NULL, &st));
    assert_true(st.max_mm < 1e-4);
    assert_true(st.count > 1000);
    /* A wrong inverse (the forward again) is caught. */
    assert_true(
        rert_vector_field_inverse_consistency(&err, fwd, fwd, NULL, &st));
    assert_true(st.mean_mm > 2.0);
    rert_vector_field_destroy(fwd);
    rert_vector_field_destroy(back);
}

/* ---- files */

static void round_trip(const char *name, const double dir[9])
{
    RertGridGeometry g = small_grid(dir);
    RertVectorField *f = pattern_field(&g);
    RertError err;
    rert_error_clear(&err);
    const char *path = tmp_path(name);
    assert_true(rert_vector_field_save(&err, path, f));
    RertVectorField *back = rert_vector_field_load(&err, path, NULL);
    if (back == NULL) {
        fail_msg("%s: %s", path, err.message);
    }
    assert_fields_equal(f, back, 0.0); /* float32 written bit for bit */
    rert_vector_field_destroy(back);
    rert_vector_field_destroy(f);
}

static void test_file_round_trips(void **state)
{
    (void)state;
    round_trip("rt.mha", identity_dir);
    round_trip("rt_turned.mha", turned_dir);
    round_trip("rt.mhd", turned_dir);
    round_trip("rt.nii", identity_dir);
    round_trip("rt_turned.nii", turned_dir);
    /* A left-handed grid (k reversed): NIfTI stores it with qfac -1. */
    const double left[9] = {1, 0, 0, 0, 1, 0, 0, 0, -1};
    round_trip("rt_left.nii", left);
    /* Scalar MetaImage. */
    RertGridGeometry g = small_grid(turned_dir);
    RertError err;
    rert_error_clear(&err);
    RertVolume *v = rert_volume_create(&err, &g);
    assert_non_null(v);
    for (size_t i = 0; i < rert_grid_voxel_count(&g); i++) {
        rert_volume_data(v)[i] = -1000.0f + 3.5f * (float)i;
    }
    const char *path = tmp_path("scalar.mha");
    assert_true(rert_volume_save_metaimage(&err, path, v));
    RertVolume *w = rert_volume_load_metaimage(&err, path, NULL);
    assert_non_null(w);
    assert_true(rert_grid_geometry_equal(rert_volume_geometry(w), &g, 1e-9));
    assert_memory_equal(rert_volume_data_const(w), rert_volume_data_const(v),
                        rert_grid_voxel_count(&g) * sizeof(float));
    /* A scalar image is not a vector field, and the reverse. */
    assert_null(rert_vector_field_load(&err, path, NULL));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    assert_null(rert_volume_load_metaimage(&err, tmp_path("rt.mha"), NULL));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    /* Unknown extensions. */
    RertVectorField *f = pattern_field(&g);
    assert_false(rert_vector_field_save(&err, tmp_path("x.vtk"), f));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_vector_field_destroy(f);
    rert_volume_destroy(v);
    rert_volume_destroy(w);
}

/* Parse a MetaImage made of @p header and @p data_bytes bytes of
 * float32 data; returns the error code (RERT_OK on success). */
static RertErrorCode
parse_meta(const char *header, size_t data_bytes, RertError *err)
{
    size_t hl = strlen(header);
    uint8_t *buf = calloc(hl + data_bytes + 1, 1);
    assert_non_null(buf);
    memcpy(buf, header, hl);
    rert_error_clear(err);
    RertVectorField *f =
        rert_vector_field_parse(err, buf, hl + data_bytes, "test.mha", NULL);
    free(buf);
    RertErrorCode code = f != NULL ? RERT_OK : err->code;
    rert_vector_field_destroy(f);
    return code;
}

#define META_HEAD                                                              \
    "ObjectType = Image\nNDims = 3\nBinaryData = True\n"                       \
    "BinaryDataByteOrderMSB = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n"    \
    "Offset = 0 0 0\nElementSpacing = 1 1 1\n"

static void test_metaimage_errors(void **state)
{
    (void)state;
    RertError err;
    const char *ok = META_HEAD "DimSize = 2 2 2\nElementNumberOfChannels = 3\n"
                               "ElementType = MET_FLOAT\n"
                               "ElementDataFile = LOCAL\n";
    assert_int_equal(parse_meta(ok, 96, &err), RERT_OK);
    /* Data one byte short, one byte long. */
    assert_int_equal(parse_meta(ok, 95, &err), RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "expected"));
    assert_int_equal(parse_meta(ok, 97, &err), RERT_ERR_PARSE);
    /* No ElementDataFile. */
    assert_int_equal(parse_meta(META_HEAD "DimSize = 2 2 2\n", 0, &err),
                     RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "ElementDataFile"));
    /* Missing DimSize. */
    assert_int_equal(parse_meta(META_HEAD "ElementNumberOfChannels = 3\n"
                                          "ElementType = MET_FLOAT\n"
                                          "ElementDataFile = LOCAL\n",
                                0, &err),
                     RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "DimSize"));
    /* Bad numbers. */
    assert_int_equal(parse_meta(META_HEAD
                                "DimSize = 2 2 x\nElementType = MET_FLOAT\n"
                                "ElementDataFile = LOCAL\n",
                                0, &err),
                     RERT_ERR_PARSE);
    assert_int_equal(parse_meta(META_HEAD
                                "DimSize = 2 2 2 2\nElementType = MET_FLOAT\n"
                                "ElementDataFile = LOCAL\n",
                                0, &err),
                     RERT_ERR_PARSE);
    assert_int_equal(parse_meta(META_HEAD
                                "DimSize = 0 2 2\nElementType = MET_FLOAT\n"
                                "ElementDataFile = LOCAL\n",
                                0, &err),
                     RERT_ERR_PARSE);
    /* Unsupported: 2-D, element types, one channel, external file. */
    assert_int_equal(parse_meta("NDims = 2\nDimSize = 2 2\n"
                                "ElementDataFile = LOCAL\n",
                                0, &err),
                     RERT_ERR_UNSUPPORTED);
    assert_int_equal(parse_meta(META_HEAD
                                "DimSize = 2 2 2\nElementType = MET_LONG_LONG\n"
                                "ElementDataFile = LOCAL\n",
                                0, &err),
                     RERT_ERR_UNSUPPORTED);
    assert_int_equal(parse_meta(META_HEAD
                                "DimSize = 2 2 2\nElementType = MET_FLOAT\n"
                                "ElementDataFile = LOCAL\n",
                                32, &err),
                     RERT_ERR_UNSUPPORTED);
    assert_int_equal(parse_meta(META_HEAD
                                "DimSize = 2 2 2\nElementNumberOfChannels = 3\n"
                                "ElementType = MET_FLOAT\n"
                                "ElementDataFile = other.raw\n",
                                0, &err),
                     RERT_ERR_UNSUPPORTED);
    /* Geometry: zero spacing, a direction that is not orthonormal. */
    assert_int_equal(parse_meta("NDims = 3\nElementSpacing = 1 0 1\n"
                                "DimSize = 2 2 2\nElementNumberOfChannels = 3\n"
                                "ElementType = MET_FLOAT\n"
                                "ElementDataFile = LOCAL\n",
                                96, &err),
                     RERT_ERR_GEOMETRY);
    assert_int_equal(
        parse_meta("NDims = 3\nTransformMatrix = 1 0 0 1 1 0 0 0 1\n"
                   "DimSize = 2 2 2\nElementNumberOfChannels = 3\n"
                   "ElementType = MET_FLOAT\nElementDataFile = LOCAL\n",
                   96, &err),
        RERT_ERR_GEOMETRY);
    /* A huge DimSize fails on the limit before any allocation. */
    assert_int_equal(parse_meta(META_HEAD "DimSize = 1000000 1000000 1000000\n"
                                          "ElementNumberOfChannels = 3\n"
                                          "ElementType = MET_FLOAT\n"
                                          "ElementDataFile = LOCAL\n",
                                96, &err),
                     RERT_ERR_LIMIT);
    /* Binary junk in the header. */
    assert_int_equal(parse_meta("NDims = 3\n\001\002\n", 0, &err),
                     RERT_ERR_PARSE);
}

/* Compressed data, big-endian doubles and an .mhd with HeaderSize. */
static void test_metaimage_variants(void **state)
{
    (void)state;
    float values[24];
    for (int i = 0; i < 24; i++) {
        values[i] = 0.25f * (float)i - 2.0f;
    }
    uLongf zsize = compressBound(sizeof values);
    uint8_t z[256];
    assert_true(zsize <= sizeof z);
    assert_int_equal(compress(z, &zsize, (const Bytef *)values, sizeof values),
                     Z_OK);
    char header[512];
    int hl = snprintf(header, sizeof header,
                      META_HEAD "CompressedData = True\n"
                                "CompressedDataSize = %lu\n"
                                "DimSize = 2 2 2\nElementNumberOfChannels = 3\n"
                                "ElementType = MET_FLOAT\n"
                                "ElementDataFile = LOCAL\n",
                      (unsigned long)zsize);
    uint8_t buf[1024];
    memcpy(buf, header, (size_t)hl);
    memcpy(buf + hl, z, zsize);
    RertError err;
    rert_error_clear(&err);
    RertVectorField *f =
        rert_vector_field_parse(&err, buf, (size_t)hl + zsize, "z.mha", NULL);
    assert_non_null(f);
    assert_memory_equal(rert_vector_field_data_const(f), values, sizeof values);
    rert_vector_field_destroy(f);
    /* Corrupt compressed data. */
    buf[hl + 5] ^= 0xff;
    buf[hl + 6] ^= 0xff;
    f = rert_vector_field_parse(&err, buf, (size_t)hl + zsize, "z.mha", NULL);
    assert_null(f);
    assert_int_equal(err.code, RERT_ERR_PARSE);
    /* Big-endian doubles. */
    hl = snprintf(header, sizeof header,
                  META_HEAD "DimSize = 2 2 2\nElementNumberOfChannels = 3\n"
                            "ElementByteOrderMSB = True\n"
                            "ElementType = MET_DOUBLE\n"
                            "ElementDataFile = LOCAL\n");
    memcpy(buf, header, (size_t)hl);
    for (int i = 0; i < 24; i++) {
        double d = (double)values[i];
        uint64_t u;
        memcpy(&u, &d, sizeof u);
        for (int b = 0; b < 8; b++) {
            buf[hl + 8 * i + b] = (uint8_t)(u >> (56 - 8 * b));
        }
    }
    f = rert_vector_field_parse(&err, buf, (size_t)hl + 192, "be.mha", NULL);
    assert_non_null(f);
    assert_memory_equal(rert_vector_field_data_const(f), values, sizeof values);
    rert_vector_field_destroy(f);
    /* .mhd whose data file has a 16-byte preamble (HeaderSize). */
    FILE *fp = fopen(tmp_path("hs.mhd"), "w");
    assert_non_null(fp);
    (void)fprintf(fp, META_HEAD "DimSize = 2 2 2\nElementNumberOfChannels = 3\n"
                                "HeaderSize = 16\nElementType = MET_FLOAT\n"
                                "ElementDataFile = hs.bin\n");
    (void)fclose(fp);
    fp = fopen(tmp_path("hs.bin"), "wb");
    assert_non_null(fp);
    uint8_t pre[16] = {0};
    assert_int_equal(fwrite(pre, 1, 16, fp), 16);
    assert_int_equal(fwrite(values, sizeof values, 1, fp), 1);
    (void)fclose(fp);
    f = rert_vector_field_load(&err, tmp_path("hs.mhd"), NULL);
    assert_non_null(f);
    assert_memory_equal(rert_vector_field_data_const(f), values, sizeof values);
    rert_vector_field_destroy(f);
    /* Missing data file: IO naming it. */
    assert_int_equal(unlink(tmp_path("hs.bin")), 0);
    assert_null(rert_vector_field_load(&err, tmp_path("hs.mhd"), NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "hs.bin"));
}

/* The bytes of a .nii written by rert for the small pattern field. */
static uint8_t *nifti_bytes(size_t *size, RertVectorField **field)
{
    RertGridGeometry g = small_grid(turned_dir);
    RertVectorField *f = pattern_field(&g);
    RertError err;
    rert_error_clear(&err);
    const char *path = tmp_path("bytes.nii");
    assert_true(rert_vector_field_save(&err, path, f));
    RertBytes b;
    assert_true(rert_file_load(&err, path, 1u << 20, &b));
    uint8_t *copy = malloc(b.size);
    assert_non_null(copy);
    memcpy(copy, b.data, b.size);
    *size = b.size;
    rert_bytes_clear(&b);
    *field = f;
    return copy;
}

static void put16(uint8_t *p, int v)
{
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)((v >> 8) & 0xff);
}

static RertErrorCode parse_nifti(const uint8_t *b, size_t size, RertError *err)
{
    rert_error_clear(err);
    RertVectorField *f = rert_vector_field_parse(err, b, size, "t.nii", NULL);
    RertErrorCode code = f != NULL ? RERT_OK : err->code;
    rert_vector_field_destroy(f);
    return code;
}

static void test_nifti_conventions(void **state)
{
    (void)state;
    size_t size = 0;
    RertVectorField *f = NULL;
    uint8_t *b = nifti_bytes(&size, &f);
    /* What we write: intent 1007, dim 5 x y z 1 3, RAS sform whose first
     * column is the i axis (0, -1, 0) LPS = (0, +1, 0) RAS times 2 mm. */
    assert_int_equal(b[68] | b[69] << 8, 1007);
    assert_int_equal(b[40] | b[41] << 8, 5);
    assert_int_equal(b[50] | b[51] << 8, 3);
    float srow[12];
    memcpy(srow, b + 280, sizeof srow);
    rert_assert_near((double)srow[0], 0.0, 1e-6, 0.0);
    rert_assert_near((double)srow[4], 2.0, 1e-6, 0.0);
    rert_assert_near((double)srow[3], 10.0, 1e-6, 0.0); /* -(-10) */
    rert_assert_near((double)srow[7], 20.5, 1e-6, 0.0);
    rert_assert_near((double)srow[11], 30.0, 1e-6, 0.0);
    /* Components stay LPS (as ITK writes intent 1007): the first float
     * of the data is u_x of voxel 0. */
    float first;
    memcpy(&first, b + 352, sizeof first);
    rert_assert_near((double)first, 0.5, 0.0, 0.0);
    /* The same file as DISPVECT (1006) holds RAS components: x and y are
     * negated on reading. */
    RertError err;
    put16(b + 68, 1006);
    RertVectorField *g = rert_vector_field_parse(&err, b, size, "d.nii", NULL);
    assert_non_null(g);
    const float *u = rert_vector_field_data_const(f);
    const float *w = rert_vector_field_data_const(g);
    for (size_t v = 0; v < 3 * 140; v += 3) {
        assert_true(w[v] == -u[v] && w[v + 1] == -u[v + 1] &&
                    w[v + 2] == u[v + 2]);
    }
    rert_vector_field_destroy(g);
    /* qform only (sform_code 0) gives the same geometry. */
    put16(b + 68, 1007);
    put16(b + 254, 0);
    g = rert_vector_field_parse(&err, b, size, "q.nii", NULL);
    assert_non_null(g);
    assert_true(rert_grid_geometry_equal(rert_vector_field_geometry(g),
                                         rert_vector_field_geometry(f), 1e-4));
    rert_vector_field_destroy(g);
    put16(b + 254, 1);
    /* Errors: other intent, component count, data type, offset, size. */
    assert_int_equal(parse_nifti(b, size, &err), RERT_OK);
    put16(b + 68, 0);
    assert_int_equal(parse_nifti(b, size, &err), RERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "intent"));
    put16(b + 68, 1007);
    put16(b + 50, 2);
    assert_int_equal(parse_nifti(b, size, &err), RERT_ERR_UNSUPPORTED);
    put16(b + 50, 3);
    put16(b + 70, 4);
    assert_int_equal(parse_nifti(b, size, &err), RERT_ERR_UNSUPPORTED);
    put16(b + 70, 16);
    assert_int_equal(parse_nifti(b, size - 1, &err), RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "expected"));
    float off = 100.0f;
    memcpy(b + 108, &off, sizeof off);
    assert_int_equal(parse_nifti(b, size, &err), RERT_ERR_PARSE);
    off = 352.0f;
    memcpy(b + 108, &off, sizeof off);
    put16(b + 42, 30000); /* dim[1]: far more data than present */
    assert_int_equal(parse_nifti(b, size, &err), RERT_ERR_PARSE);
    put16(b + 42, 7);
    memcpy(b + 344, "ni1\0", 4);
    assert_int_equal(parse_nifti(b, size, &err), RERT_ERR_UNSUPPORTED);
    memcpy(b + 344, "n+1\0", 4);
    assert_int_equal(parse_nifti(b, 200, &err), RERT_ERR_PARSE);
    assert_int_equal(parse_nifti(b, size, &err), RERT_OK);
    free(b);
    rert_vector_field_destroy(f);
}

/* ---- against plastimatch (Debian package; skipped when absent) */

static int run(const char *cmd)
{
    char full[4096];
    assert_true(strlen(cmd) < 4000);
    (void)snprintf(full, sizeof full, "%.4000s >/dev/null 2>&1", cmd);
    return system(full);
}

static void test_plastimatch_synth_vf(void **state)
{
    (void)state;
    if (!have_plastimatch()) {
        skip();
    }
    /* A uniform translation of (1, 2, 3) mm on a turned grid, written by
     * plastimatch as MetaImage and as NIfTI: both must read as the same
     * grid with u = (1, 2, 3) in LPS everywhere. */
    const char *args = "--xf-trans \"1 2 3\" --dim \"5 4 3\" --spacing "
                       "\"2 3 4\" --origin \"-10 -20 -30\" "
                       "--direction-cosines \"0 1 0 -1 0 0 0 0 1\"";
    char cmd[1024];
    const char *names[2] = {"pvf.mha", "pvf.nii"};
    RertVectorField *f[2];
    RertError err;
    for (int n = 0; n < 2; n++) {
        (void)snprintf(cmd, sizeof cmd, "plastimatch synth-vf %s --output %s",
                       args, tmp_path(names[n]));
        assert_int_equal(run(cmd), 0);
        rert_error_clear(&err);
        f[n] = rert_vector_field_load(&err, tmp_path(names[n]), NULL);
        if (f[n] == NULL) {
            fail_msg("%s", err.message);
        }
        const float *u = rert_vector_field_data_const(f[n]);
        for (size_t v = 0; v < 60; v++) {
            assert_true(u[3 * v] == 1.0f && u[3 * v + 1] == 2.0f &&
                        u[3 * v + 2] == 3.0f);
        }
        const RertGridGeometry *g = rert_vector_field_geometry(f[n]);
        rert_assert_near(g->origin_mm[0], -10.0, 1e-5, 0.0);
        rert_assert_near(g->origin_mm[1], -20.0, 1e-5, 0.0);
        /* plastimatch's matrix "0 1 0 -1 0 0 0 0 1" has the i axis in its
         * first column: (0, -1, 0). */
        rert_assert_near(g->direction[0], 0.0, 1e-6, 0.0);
        rert_assert_near(g->direction[1], -1.0, 1e-6, 0.0);
        rert_assert_near(g->direction[3], 1.0, 1e-6, 0.0);
        rert_assert_near(g->spacing_mm[1], 3.0, 1e-6, 0.0);
    }
    assert_true(rert_grid_geometry_equal(rert_vector_field_geometry(f[0]),
                                         rert_vector_field_geometry(f[1]),
                                         1e-4));
    rert_vector_field_destroy(f[0]);
    rert_vector_field_destroy(f[1]);
}

/* ---- demons on the generated pair */

typedef struct Pair {
    DeformCase c;
    RertVolume *fixed;
    RertVolume *moving;
    RertVectorField *truth;
} Pair;

static Pair pair_make(double scale, const size_t fixed_dims[3])
{
    Pair p;
    p.c = deform_case_default(scale);
    const double spacing[3] = {2.5, 2.5, 4.5};
    const double centre[3] = {0.0, 8.0, 0.0};
    const size_t moving_dims[3] = {fixed_dims[0] + 8, fixed_dims[1] + 8,
                                   fixed_dims[2] + 6};
    RertError err;
    rert_error_clear(&err);
    RertGridGeometry gf;
    RertGridGeometry gm;
    assert_true(deform_case_grid(&err, fixed_dims, spacing, centre, &gf));
    assert_true(deform_case_grid(&err, moving_dims, spacing, centre, &gm));
    p.fixed = rert_volume_create(&err, &gf);
    p.moving = rert_volume_create(&err, &gm);
    p.truth = rert_vector_field_create(&err, &gf);
    assert_non_null(p.fixed);
    assert_non_null(p.moving);
    assert_non_null(p.truth);
    deform_case_fill(&p.c, p.fixed, true);
    deform_case_fill(&p.c, p.moving, false);
    deform_case_truth(&p.c, p.truth);
    return p;
}

static void pair_clear(Pair *p)
{
    rert_volume_destroy(p->fixed);
    rert_volume_destroy(p->moving);
    rert_vector_field_destroy(p->truth);
}

static void test_demons_accuracy(void **state)
{
    (void)state;
    const size_t dims[3] = {64, 68, 40};
    Pair p = pair_make(1.0, dims);
    RertDeformableOptions o = rert_deformable_options_default();
    o.truth = p.truth;
    RertDeformableResult r;
    RertError err;
    rert_error_clear(&err);
    RertVectorField *f =
        rert_deformable_register(&err, p.fixed, p.moving, &o, &r);
    if (f == NULL) {
        fail_msg("%s", err.message);
    }
    print_message("demons: rigid %.2f s, total %.2f s; error mean %.3f p95 "
                  "%.3f max %.3f mm over %zu voxels; Jacobian %.3f..%.3f, "
                  "folded %zu; deformation mean %.2f max %.2f mm\n",
                  r.seconds_rigid, r.seconds_total, r.truth_error.mean_mm,
                  r.truth_error.p95_mm, r.truth_error.max_mm,
                  r.truth_error.count, r.jacobian.min, r.jacobian.max,
                  r.jacobian.folded, r.deformation_mean_mm,
                  r.deformation_max_mm);
    for (unsigned l = 0; l < r.level_count; l++) {
        print_message("  level %u: %.2f mm, %u iterations, MSE %.1f -> %.1f\n",
                      l, r.level_spacing_mm[l], r.iterations[l], r.mse_start[l],
                      r.mse_end[l]);
    }
    assert_true(r.ran_rigid);
    assert_true(r.has_truth);
    /* Issue 3: mean <= 1 mm, 95th percentile <= 2 mm, no folding. */
    assert_true(r.truth_error.mean_mm <= 1.0);
    assert_true(r.truth_error.p95_mm <= 2.0);
    assert_int_equal(r.jacobian.folded, 0);
    assert_true(r.jacobian.min > 0.0);
    /* The rigid start alone is clearly worse: the deformable part
     * matters. */
    RertVectorField *rigid = rert_vector_field_from_matrix(
        &err, rert_volume_geometry(p.fixed), r.rigid_fixed_to_moving);
    assert_non_null(rigid);
    RertFieldErrorStats rs;
    float *mask = malloc(rert_grid_voxel_count(rert_volume_geometry(p.fixed)) *
                         sizeof(float));
    assert_non_null(mask);
    const float *fd = rert_volume_data_const(p.fixed);
    for (size_t v = 0; v < rert_grid_voxel_count(rert_volume_geometry(p.fixed));
         v++) {
        mask[v] = fd[v] > -500.0f ? 1.0f : 0.0f;
    }
    assert_true(rert_vector_field_compare(&err, rigid, p.truth, mask, &rs));
    print_message("  rigid only: mean %.3f p95 %.3f mm\n", rs.mean_mm,
                  rs.p95_mm);
    assert_true(rs.mean_mm > 2.0 * r.truth_error.mean_mm);
    /* The same figures through the public functions. */
    RertFieldErrorStats st;
    assert_true(rert_vector_field_compare(&err, f, p.truth, mask, &st));
    rert_assert_near(st.mean_mm, r.truth_error.mean_mm, 1e-9, 0.0);
    free(mask);
    rert_vector_field_destroy(rigid);
    rert_vector_field_destroy(f);
    pair_clear(&p);
}

static void test_demons_threads(void **state)
{
    (void)state;
    const size_t dims[3] = {40, 44, 24};
    Pair p = pair_make(1.0, dims);
    RertDeformableOptions o = rert_deformable_options_default();
    o.levels = 2;
    o.iterations[0] = 8;
    o.iterations[1] = 4;
    o.rigid.levels = 2;
    RertError err;
    rert_error_clear(&err);
    set_threads(1);
    RertVectorField *a =
        rert_deformable_register(&err, p.fixed, p.moving, &o, NULL);
    set_threads(4);
    RertVectorField *b =
        rert_deformable_register(&err, p.fixed, p.moving, &o, NULL);
    set_threads(2);
    assert_non_null(a);
    assert_non_null(b);
    assert_memory_equal(
        rert_vector_field_data_const(a), rert_vector_field_data_const(b),
        3 * rert_grid_voxel_count(rert_volume_geometry(p.fixed)) *
            sizeof(float));
    rert_vector_field_destroy(a);
    rert_vector_field_destroy(b);
    pair_clear(&p);
}

static void test_demons_options(void **state)
{
    (void)state;
    const size_t dims[3] = {24, 24, 12};
    Pair p = pair_make(0.0, dims);
    RertError err;
    rert_error_clear(&err);
    RertDeformableOptions o = rert_deformable_options_default();
    o.levels = 0;
    assert_null(rert_deformable_register(&err, p.fixed, p.moving, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "levels"));
    o = rert_deformable_options_default();
    o.fluid_sigma = -1.0;
    assert_null(rert_deformable_register(&err, p.fixed, p.moving, &o, NULL));
    assert_non_null(strstr(err.message, "fluid_sigma"));
    o = rert_deformable_options_default();
    o.has_initial = true;
    o.initial.m[0][0] = 2.0;
    assert_null(rert_deformable_register(&err, p.fixed, p.moving, &o, NULL));
    assert_non_null(strstr(err.message, "initial"));
    assert_null(rert_deformable_register(&err, NULL, p.moving, NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    /* An empty caller mask. */
    size_t n = rert_grid_voxel_count(rert_volume_geometry(p.fixed));
    float *mask = calloc(n, sizeof(float));
    assert_non_null(mask);
    o = rert_deformable_options_default();
    o.fixed_mask = mask;
    assert_null(rert_deformable_register(&err, p.fixed, p.moving, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    free(mask);
    /* A given rigid start and zero iterations: the field is that matrix. */
    o = rert_deformable_options_default();
    o.has_initial = true;
    o.initial = p.c.rigid;
    o.levels = 1;
    o.iterations[0] = 0;
    o.truth = p.truth;
    RertDeformableResult r;
    RertVectorField *f =
        rert_deformable_register(&err, p.fixed, p.moving, &o, &r);
    assert_non_null(f);
    assert_false(r.ran_rigid);
    assert_true(r.truth_error.max_mm < 1e-3); /* scale 0: rigid truth */
    rert_assert_near(r.deformation_max_mm, 0.0, 0.0, 0.0);
    rert_vector_field_destroy(f);
    pair_clear(&p);
}

/* Our warp of the moving image through a field agrees with plastimatch's
 * warp of the same image through the same .mha field. */
static void test_plastimatch_warp(void **state)
{
    (void)state;
    if (!have_plastimatch()) {
        skip();
    }
    const size_t dims[3] = {40, 44, 24};
    Pair p = pair_make(1.0, dims);
    RertError err;
    rert_error_clear(&err);
    assert_true(rert_volume_save_metaimage(&err, tmp_path("wm.mha"), p.moving));
    assert_true(rert_volume_save_metaimage(&err, tmp_path("wf.mha"), p.fixed));
    assert_true(rert_vector_field_save(&err, tmp_path("wu.mha"), p.truth));
    char cmd[2048];
    (void)snprintf(cmd, sizeof cmd,
                   "plastimatch warp --input %s --xf %s --fixed %s "
                   "--output-img %s --output-type float "
                   "--default-value -1000",
                   tmp_path("wm.mha"), tmp_path("wu.mha"), tmp_path("wf.mha"),
                   tmp_path("ww.mha"));
    assert_int_equal(run(cmd), 0);
    RertVolume *theirs =
        rert_volume_load_metaimage(&err, tmp_path("ww.mha"), NULL);
    assert_non_null(theirs);
    RertTransform *t = rert_vector_field_transform(&err, p.truth);
    assert_non_null(t);
    const RertGridGeometry *gf = rert_volume_geometry(p.fixed);
    RertVolume *ours =
        rert_volume_resample(&err, p.moving, gf, t, -1000.0f, NULL);
    assert_non_null(ours);
    assert_true(
        rert_grid_geometry_equal(rert_volume_geometry(theirs), gf, 1e-3));
    /* Both interpolate trilinearly at the same points; compare where the
     * point is inside the moving grid in both (plastimatch's edge rule
     * differs within the last half voxel). */
    const float *a = rert_volume_data_const(ours);
    const float *b = rert_volume_data_const(theirs);
    const float *fx = rert_volume_data_const(p.fixed);
    double worst = 0.0;
    double sum = 0.0;
    double sum_truth = 0.0;
    size_t n = 0;
    for (size_t v = 0; v < rert_grid_voxel_count(gf); v++) {
        if (a[v] == -1000.0f || b[v] == -1000.0f) {
            continue;
        }
        double d = fabs((double)a[v] - (double)b[v]);
        worst = d > worst ? d : worst;
        sum += d;
        sum_truth += fabs((double)a[v] - (double)fx[v]);
        n++;
    }
    print_message("warp vs plastimatch: %zu voxels, mean |diff| %.4f HU, "
                  "max %.4f HU; ours vs fixed mean %.2f HU\n",
                  n, sum / (double)n, worst, sum_truth / (double)n);
    assert_true(n > rert_grid_voxel_count(gf) / 2);
    assert_true(sum / (double)n < 0.5);
    assert_true(worst < 5.0);
    rert_volume_destroy(ours);
    rert_volume_destroy(theirs);
    rert_transform_destroy(t);
    pair_clear(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_from_matrix),
        cmocka_unit_test(test_jacobian_known),
        cmocka_unit_test(test_compare_and_landmarks),
        cmocka_unit_test(test_inverse_consistency),
        cmocka_unit_test(test_file_round_trips),
        cmocka_unit_test(test_metaimage_errors),
        cmocka_unit_test(test_metaimage_variants),
        cmocka_unit_test(test_nifti_conventions),
        cmocka_unit_test(test_plastimatch_synth_vf),
        cmocka_unit_test(test_plastimatch_warp),
        cmocka_unit_test(test_demons_options),
        cmocka_unit_test(test_demons_threads),
        cmocka_unit_test(test_demons_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
