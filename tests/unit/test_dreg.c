/* Unit tests: DICOM Deformable Spatial Registration (round trip, dciodvfy,
 * order of composition, error cases), contour propagation, structure
 * agreement, landmark TRE, TG-132 data, RADAR uncertainty band. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>
#include <rert/rt.h>

#include "rert_test.h"

#define TAG(g, e) RERT_TAG(g, e)
#define PI 3.14159265358979323846

static const char *const REF_FOR = "1.2.826.0.1.3680043.10.543.11";
static const char *const MOV_FOR = "1.2.826.0.1.3680043.10.543.12";

static void set_threads(int n)
{
#ifdef RERT_HAVE_OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static RertGridGeometry make_grid(const size_t dims[3],
                                  const double origin[3],
                                  const double spacing[3],
                                  const double direction[9])
{
    static const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    RertGridGeometry g;
    RertError err;
    assert_true(rert_grid_geometry_make(
        &err, dims, origin, spacing, direction != NULL ? direction : identity,
        0, &g));
    return g;
}

static RertMat4 rotation_z(double deg, double tx, double ty, double tz)
{
    double a = deg * PI / 180.0;
    RertMat4 m = rert_mat4_identity();
    m.m[0][0] = cos(a);
    m.m[0][1] = -sin(a);
    m.m[1][0] = sin(a);
    m.m[1][1] = cos(a);
    m.m[0][3] = tx;
    m.m[1][3] = ty;
    m.m[2][3] = tz;
    return m;
}

static RertMat4 rotation_x(double deg, double tx, double ty, double tz)
{
    double a = deg * PI / 180.0;
    RertMat4 m = rert_mat4_identity();
    m.m[1][1] = cos(a);
    m.m[1][2] = -sin(a);
    m.m[2][1] = sin(a);
    m.m[2][2] = cos(a);
    m.m[0][3] = tx;
    m.m[1][3] = ty;
    m.m[2][3] = tz;
    return m;
}

static double distance(RertVec3 a, RertVec3 b)
{
    double dx = a.x - b.x;
    double dy = a.y - b.y;
    double dz = a.z - b.z;
    return sqrt(dx * dx + dy * dy + dz * dz);
}

/* Deterministic pseudo-random floats in [-scale, scale]. */
static void fill_random(float *v, size_t n, double scale)
{
    unsigned long long state = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(state >> 11) / 9007199254740992.0;
        v[i] = (float)((2.0 * u - 1.0) * scale);
    }
    v[0] = 1e-7f; /* small and odd values must survive bit for bit */
    v[1] = -3.3f;
}

/* ---- DICOM Deformable Spatial Registration */

static void test_dreg_round_trip(void **state)
{
    (void)state;
    RertError err;
    const double c = cos(0.3);
    const double s = sin(0.3);
    const double dir[9] = {c, s, 0, -s, c, 0, 0, 0, 1};
    const size_t dims[3] = {7, 6, 5};
    const double origin[3] = {-30.5, 12.25, -7.0};
    const double spacing[3] = {2.0, 2.5, 3.0};
    RertGridGeometry g = make_grid(dims, origin, spacing, dir);
    size_t n = 3 * rert_grid_voxel_count(&g);
    float *v = rert_calloc(&err, n, sizeof *v);
    assert_non_null(v);
    fill_random(v, n, 12.0);

    RertDregWriteOptions o = rert_dreg_write_options_default();
    o.reference.frame_of_reference_uid = REF_FOR;
    o.moving.frame_of_reference_uid = MOV_FOR;
    o.grid = &g;
    o.vectors = v;
    o.has_pre = true;
    o.pre = rotation_z(10.0, 1.5, -2.0, 3.25);
    o.has_post = true;
    o.post = rotation_x(-7.0, 0.5, 4.0, -1.0);
    o.comment = "round trip";
    char path[512];
    snprintf(path, sizeof path, "%s/dreg_round_trip.dcm", rert_test_tmpdir());
    char uid[RERT_UID_SIZE];
    assert_true(rert_dreg_save(&err, path, &o, uid));
    rert_test_dciodvfy(path);

    RertDeformableRegistration *reg = rert_dreg_load(&err, path, NULL);
    if (reg == NULL) {
        fail_msg("%s", err.message);
    }
    assert_string_equal(rert_dreg_sop_instance_uid(reg), uid);
    assert_string_equal(rert_dreg_frame_of_reference_uid(reg), REF_FOR);
    assert_int_equal(rert_dreg_item_count(reg), 1);
    const RertDregItem *item = rert_dreg_find(reg, MOV_FOR);
    assert_non_null(item);
    assert_ptr_equal(item, rert_dreg_item(reg, 0));
    assert_null(rert_dreg_item(reg, 1));
    assert_null(rert_dreg_find(reg, REF_FOR));
    assert_true(item->has_grid && item->has_pre && item->has_post);
    assert_int_equal(item->pre_type, RERT_REG_MATRIX_RIGID);
    assert_true(rert_grid_geometry_equal(&item->grid, &g, 1e-9));
    for (int a = 0; a < 3; a++) {
        assert_int_equal(item->grid.dims[a], dims[a]);
        rert_assert_near(item->grid.spacing_mm[a], spacing[a], 0.0, 0.0);
    }
    /* the field comes back bit for bit */
    assert_memory_equal(item->vectors, v, n * sizeof *v);
    for (int r = 0; r < 4; r++) {
        for (int col = 0; col < 4; col++) {
            rert_assert_near(item->pre.m[r][col], o.pre.m[r][col], 1e-12, 0);
            rert_assert_near(item->post.m[r][col], o.post.m[r][col], 1e-12, 0);
        }
    }
    rert_dreg_destroy(reg);
    rert_free(v);
}

/* D(x) = A x + b: trilinear interpolation reproduces it exactly. */
static const double FIELD_A[3][3] = {
    {0.15, 0.2, 0.0}, {-0.06, 0.1, 0.15}, {0.12, 0.0, -0.12}};
static const double FIELD_B[3] = {2.0, -1.5, 3.0};

static RertVec3 linear_field(RertVec3 x)
{
    double p[3] = {x.x, x.y, x.z};
    double d[3];
    for (int r = 0; r < 3; r++) {
        d[r] = FIELD_B[r] + FIELD_A[r][0] * p[0] + FIELD_A[r][1] * p[1] +
               FIELD_A[r][2] * p[2];
    }
    RertVec3 out = {d[0], d[1], d[2]};
    return out;
}

static RertVec3 add(RertVec3 a, RertVec3 b)
{
    RertVec3 r = {a.x + b.x, a.y + b.y, a.z + b.z};
    return r;
}

static void test_dreg_composition_order(void **state)
{
    (void)state;
    RertError err;
    const size_t dims[3] = {21, 21, 21};
    const double origin[3] = {-50.0, -50.0, -50.0};
    const double spacing[3] = {5.0, 5.0, 5.0};
    RertGridGeometry g = make_grid(dims, origin, spacing, NULL);
    size_t nv = rert_grid_voxel_count(&g);
    float *v = rert_calloc(&err, 3 * nv, sizeof *v);
    assert_non_null(v);
    for (size_t k = 0; k < dims[2]; k++) {
        for (size_t j = 0; j < dims[1]; j++) {
            for (size_t i = 0; i < dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 d = linear_field(rert_grid_ijk_to_xyz(&g, ijk));
                float *o = v + 3 * rert_grid_index(&g, i, j, k);
                o[0] = (float)d.x;
                o[1] = (float)d.y;
                o[2] = (float)d.z;
            }
        }
    }
    RertMat4 pre = rotation_z(30.0, 4.0, -3.0, 2.0);
    RertMat4 post = rotation_x(25.0, -6.0, 1.0, 5.0);
    RertDregWriteOptions o = rert_dreg_write_options_default();
    o.reference.frame_of_reference_uid = REF_FOR;
    o.moving.frame_of_reference_uid = MOV_FOR;
    o.grid = &g;
    o.vectors = v;
    o.has_pre = true;
    o.pre = pre;
    o.has_post = true;
    o.post = post;
    RertDataset *ds = rert_dreg_build_dataset(&err, &o, NULL);
    assert_non_null(ds);
    RertDeformableRegistration *reg = rert_dreg_from_dataset(&err, ds, NULL);
    assert_non_null(reg);
    const RertDregItem *item = rert_dreg_find(reg, MOV_FOR);
    assert_non_null(item);

    /* a target grid off the deformation grid's voxel centres */
    const size_t tdims[3] = {9, 8, 7};
    const double torigin[3] = {-21.3, -17.9, -14.2};
    const double tspacing[3] = {4.1, 4.3, 4.7};
    RertGridGeometry t = make_grid(tdims, torigin, tspacing, NULL);
    RertTransform *tr =
        rert_dreg_transform_create(&err, reg, REF_FOR, MOV_FOR, &t);
    assert_non_null(tr);
    /* the largest disagreement of each wrong order over the points */
    double wrong_max[3] = {0.0, 0.0, 0.0};
    for (size_t k = 0; k < tdims[2]; k += 2) {
        for (size_t j = 0; j < tdims[1]; j += 3) {
            for (size_t i = 0; i < tdims[0]; i += 2) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(&t, ijk);
                /* PS3.3 C.20.3.1.1: M_post (M_pre x + D(x)) */
                RertVec3 want = rert_mat4_apply_point(
                    post, add(rert_mat4_apply_point(pre, x), linear_field(x)));
                RertVec3 got = rert_dreg_item_apply(item, x);
                assert_true(distance(got, want) < 1e-3);
                assert_true(distance(rert_transform_apply(tr, x), want) < 1e-3);
                /* the wrong orders this test must tell apart */
                RertVec3 wrong[3] = {
                    rert_mat4_apply_point(
                        pre,
                        add(rert_mat4_apply_point(post, x), linear_field(x))),
                    rert_mat4_apply_point(
                        post,
                        rert_mat4_apply_point(pre, add(x, linear_field(x)))),
                    rert_mat4_apply_point(
                        post, add(rert_mat4_apply_point(pre, x),
                                  linear_field(rert_mat4_apply_point(pre, x)))),
                };
                for (int w = 0; w < 3; w++) {
                    wrong_max[w] = fmax(wrong_max[w], distance(wrong[w], want));
                }
            }
        }
    }
    for (int w = 0; w < 3; w++) {
        print_message("  wrong order %d: up to %.2f mm off\n", w + 1,
                      wrong_max[w]);
        assert_true(wrong_max[w] > 2.0);
    }

    /* wrong frames are named */
    assert_null(rert_dreg_transform_create(&err, reg, MOV_FOR, REF_FOR, &t));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, MOV_FOR));
    assert_non_null(strstr(err.message, REF_FOR));
    assert_null(rert_dreg_transform_create(&err, reg, REF_FOR, "1.2.3", &t));
    assert_non_null(strstr(err.message, "1.2.3"));
    assert_non_null(strstr(err.message, MOV_FOR));

    rert_transform_destroy(tr);
    rert_dreg_destroy(reg);
    rert_dataset_destroy(ds);
    rert_free(v);
}

/* A hand-built Deformable Spatial Registration for the error cases. */
typedef struct Spec {
    const char *sop_class;
    const char *source2; /* a second item's source frame, or NULL */
    const double *pre;
    const char *pre_type;
    double orientation[6];
    uint32_t dims[3];
    size_t floats; /* VectorGridData length in floats */
    float fill;
    bool has_grid;
} Spec;

static Spec spec_default(void)
{
    Spec s;
    memset(&s, 0, sizeof s);
    s.sop_class = RERT_DREG_SOP_CLASS_UID;
    const double iop[6] = {1, 0, 0, 0, 1, 0};
    memcpy(s.orientation, iop, sizeof iop);
    s.dims[0] = 3;
    s.dims[1] = 2;
    s.dims[2] = 2;
    s.floats = 36;
    s.fill = 1.5f;
    s.has_grid = true;
    return s;
}

static void add_spec_item(RertDataset *ds, const Spec *s, const char *source)
{
    RertError err;
    RertDataset *item = rert_dataset_add_item(&err, ds, TAG(0x0064, 0x0002));
    assert_non_null(item);
    assert_true(
        rert_dataset_set_string(&err, item, TAG(0x0064, 0x0003), "UI", source));
    if (s->pre != NULL) {
        RertDataset *m = rert_dataset_add_item(&err, item, TAG(0x0064, 0x000F));
        assert_non_null(m);
        assert_true(
            rert_dataset_set_ds(&err, m, TAG(0x3006, 0x00C6), s->pre, 16));
        assert_true(rert_dataset_set_string(&err, m, TAG(0x0070, 0x030C), "CS",
                                            s->pre_type));
    }
    if (!s->has_grid) {
        return;
    }
    RertDataset *g = rert_dataset_add_item(&err, item, TAG(0x0064, 0x0005));
    assert_non_null(g);
    const double ipp[3] = {-1.0, 2.0, 3.0};
    const double res[3] = {2.0, 2.0, 2.0};
    float *v = calloc(s->floats + 1, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < s->floats; i++) {
        v[i] = s->fill;
    }
    assert_true(rert_dataset_set_ds(&err, g, TAG(0x0020, 0x0032), ipp, 3));
    assert_true(
        rert_dataset_set_ds(&err, g, TAG(0x0020, 0x0037), s->orientation, 6));
    assert_true(rert_dataset_set_u32(&err, g, TAG(0x0064, 0x0007), s->dims, 3));
    assert_true(rert_dataset_set_bytes(&err, g, TAG(0x0064, 0x0008), "FD", res,
                                       sizeof res));
    assert_true(rert_dataset_set_bytes(&err, g, TAG(0x0064, 0x0009), "OF", v,
                                       s->floats * sizeof *v));
    free(v);
}

static RertDataset *build_spec(const Spec *s)
{
    RertError err;
    RertDataset *ds = rert_dataset_create(&err);
    assert_non_null(ds);
    assert_true(rert_dataset_set_string(&err, ds, TAG(0x0008, 0x0016), "UI",
                                        s->sop_class));
    assert_true(
        rert_dataset_set_string(&err, ds, TAG(0x0020, 0x0052), "UI", REF_FOR));
    add_spec_item(ds, s, MOV_FOR);
    if (s->source2 != NULL) {
        Spec second = *s;
        second.has_grid = false;
        add_spec_item(ds, &second, s->source2);
    }
    return ds;
}

/* Read @p s and expect failure with @p code and @p needle in the message. */
static void expect_read_error(const Spec *s,
                              const RertDregReadOptions *o,
                              RertErrorCode code,
                              const char *needle)
{
    RertError err;
    rert_error_clear(&err);
    RertDataset *ds = build_spec(s);
    RertDeformableRegistration *reg = rert_dreg_from_dataset(&err, ds, o);
    if (reg != NULL) {
        rert_dreg_destroy(reg);
        fail_msg("expected an error containing '%s'", needle);
    }
    if (err.code != code || strstr(err.message, needle) == NULL) {
        fail_msg("expected %s with '%s', got %s: %s",
                 rert_error_code_name(code), needle,
                 rert_error_code_name(err.code), err.message);
    }
    rert_dataset_destroy(ds);
}

static void test_dreg_errors(void **state)
{
    (void)state;
    RertError err;
    Spec s = spec_default();
    RertDataset *ds = build_spec(&s);
    RertDeformableRegistration *reg = rert_dreg_from_dataset(&err, ds, NULL);
    assert_non_null(reg); /* the base case is valid */
    rert_assert_near(
        rert_dreg_item_apply(rert_dreg_item(reg, 0), (RertVec3){1.0, 2.0, 3.0})
            .x,
        2.5, 1e-6, 0.0);
    rert_dreg_destroy(reg);
    rert_dataset_destroy(ds);

    s = spec_default();
    s.sop_class = "1.2.840.10008.5.1.4.1.1.66.1";
    expect_read_error(&s, NULL, RERT_ERR_UNSUPPORTED, "SOPClassUID");

    s = spec_default();
    s.floats = 35; /* VectorGridData shorter than 3 x dims */
    expect_read_error(&s, NULL, RERT_ERR_PARSE, "VectorGridData (0064,0009)");
    s.floats = 39;
    expect_read_error(&s, NULL, RERT_ERR_PARSE, "expected 3 x 4 x 3 x 2 x 2");

    s = spec_default();
    s.dims[2] = 0;
    s.floats = 0;
    expect_read_error(&s, NULL, RERT_ERR_PARSE, "GridDimensions");

    s = spec_default();
    RertDregReadOptions small = rert_dreg_read_options_default();
    small.max_grid_voxels = 10;
    expect_read_error(&s, &small, RERT_ERR_LIMIT, "GridDimensions");

    static const double scaled[16] = {1.1, 0, 0, 0, 0, 1, 0, 0,
                                      0,   0, 1, 0, 0, 0, 0, 1};
    s = spec_default();
    s.pre = scaled;
    s.pre_type = "RIGID";
    expect_read_error(&s, NULL, RERT_ERR_GEOMETRY, "not a rotation");
    s.pre_type = "AFFINE"; /* then it is fine */
    ds = build_spec(&s);
    reg = rert_dreg_from_dataset(&err, ds, NULL);
    assert_non_null(reg);
    assert_int_equal(rert_dreg_item(reg, 0)->pre_type, RERT_REG_MATRIX_AFFINE);
    rert_dreg_destroy(reg);
    rert_dataset_destroy(ds);
    s.pre_type = "PERSPECTIVE";
    expect_read_error(&s, NULL, RERT_ERR_PARSE, "PERSPECTIVE");

    static const double bad_row[16] = {1, 0, 0, 0, 0, 1, 0, 0,
                                       0, 0, 1, 0, 0, 0, 1, 1};
    s = spec_default();
    s.pre = bad_row;
    s.pre_type = "RIGID";
    expect_read_error(&s, NULL, RERT_ERR_GEOMETRY, "last matrix row");

    s = spec_default();
    s.orientation[1] = 0.3; /* row direction not unit */
    expect_read_error(&s, NULL, RERT_ERR_GEOMETRY, "ImageOrientationPatient");

    s = spec_default();
    s.fill = NAN;
    expect_read_error(&s, NULL, RERT_ERR_UNSUPPORTED, "not finite");

    s = spec_default();
    s.has_grid = false;
    expect_read_error(&s, NULL, RERT_ERR_PARSE, "no item has");

    s = spec_default();
    s.source2 = MOV_FOR;
    expect_read_error(&s, NULL, RERT_ERR_PARSE, MOV_FOR);

    /* writer checks */
    const size_t dims[3] = {2, 2, 2};
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {1, 1, 1};
    RertGridGeometry g = make_grid(dims, origin, spacing, NULL);
    float v[24] = {0};
    RertDregWriteOptions o = rert_dreg_write_options_default();
    o.reference.frame_of_reference_uid = REF_FOR;
    o.moving.frame_of_reference_uid = REF_FOR;
    o.grid = &g;
    o.vectors = v;
    assert_null(rert_dreg_build_dataset(&err, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    o.moving.frame_of_reference_uid = MOV_FOR;
    v[7] = INFINITY;
    assert_null(rert_dreg_build_dataset(&err, &o, NULL));
    assert_non_null(strstr(err.message, "vector 2"));
    v[7] = 0.0f;
    o.has_post = true;
    o.post.m[0][0] = 0.0; /* singular */
    assert_null(rert_dreg_build_dataset(&err, &o, NULL));
    assert_non_null(strstr(err.message, "post-deformation"));
}

/* Every allocation of the reader fails once in turn, without leaks. */
static void test_dreg_allocation_failures(void **state)
{
    (void)state;
    RertError err;
    Spec s = spec_default();
    RertDataset *ds = build_spec(&s);
    bool done = false;
    for (size_t n = 1; n < 100 && !done; n++) {
        rert_alloc_fail_at(n);
        RertDeformableRegistration *reg =
            rert_dreg_from_dataset(&err, ds, NULL);
        rert_alloc_fail_at(0);
        if (reg != NULL) {
            done = true;
            rert_dreg_destroy(reg);
        } else {
            assert_int_equal(err.code, RERT_ERR_NOMEM);
        }
    }
    assert_true(done);
    rert_dataset_destroy(ds);
}

/* ---- contours */

/* Signed area (mm^2) of a polygon in a z plane. */
static double polygon_area(const RertPolygon *p)
{
    double a = 0.0;
    for (size_t i = 0; i < p->count; i++) {
        RertVec3 u = p->points_mm[i];
        RertVec3 w = p->points_mm[(i + 1) % p->count];
        a += u.x * w.y - w.x * u.y;
    }
    return 0.5 * a;
}

static void test_marching_squares_block_and_hole(void **state)
{
    (void)state;
    RertError err;
    const size_t dims[3] = {12, 10, 2};
    const double origin[3] = {-5.0, 3.0, 10.0};
    const double spacing[3] = {1.5, 2.0, 3.0};
    RertGridGeometry g = make_grid(dims, origin, spacing, NULL);
    float occ[240] = {0};
    /* slice 0: a 5 x 4 block; slice 1: a 7 x 7 ring around a 3 x 3 hole */
    for (size_t j = 2; j < 6; j++) {
        for (size_t i = 3; i < 8; i++) {
            occ[rert_grid_index(&g, i, j, 0)] = 1.0f;
        }
    }
    for (size_t j = 1; j < 8; j++) {
        for (size_t i = 1; i < 8; i++) {
            bool hole = i >= 3 && i < 6 && j >= 3 && j < 6;
            occ[rert_grid_index(&g, i, j, 1)] = hole ? 0.0f : 1.0f;
        }
    }
    RertPlanarContours *c = rert_contours_from_occupancy(&err, &g, occ, 0.5, 0);
    assert_non_null(c);
    size_t n = 0;
    const RertPolygon *p = rert_planar_contours_polygons(c, &n);
    assert_int_equal(n, 3);
    assert_int_equal(rert_planar_contours_count(c), 3);
    double voxel = spacing[0] * spacing[1];
    /* the 0.5 line runs half a voxel outside the centres; each convex
     * corner loses an eighth of a voxel, each concave one gains it */
    double areas[3];
    for (size_t i = 0; i < n; i++) {
        areas[i] = polygon_area(&p[i]);
        for (size_t q = 0; q < p[i].count; q++) {
            double z = p[i].points_mm[q].z;
            assert_true(z == 10.0 || z == 13.0);
        }
    }
    rert_assert_near(areas[0], (20.0 - 0.5) * voxel, 1e-9, 0.0);
    /* ring: outer boundary 49 - 0.5 voxels, counter-clockwise; the hole
     * is the same shape for the complement, 9 - 0.5, clockwise */
    rert_assert_near(areas[1], (49.0 - 0.5) * voxel, 1e-9, 0.0);
    rert_assert_near(areas[2], -(9.0 - 0.5) * voxel, 1e-9, 0.0);
    rert_planar_contours_destroy(c);

    assert_null(rert_contours_from_occupancy(&err, &g, occ, 1.5, 0));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_null(rert_contours_from_occupancy(&err, &g, occ, 0.5, 10));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
}

/* Circles (32 points) of a sphere on the planes of @p g's slices. */
static RertPolygon *sphere_polygons(const RertGridGeometry *g,
                                    RertVec3 centre,
                                    double radius,
                                    RertVec3 **points,
                                    size_t *count)
{
    size_t nk = g->dims[2];
    RertPolygon *poly = calloc(nk, sizeof *poly);
    *points = calloc(nk * 32, sizeof **points);
    assert_non_null(poly);
    assert_non_null(*points);
    size_t n = 0;
    for (size_t k = 0; k < nk; k++) {
        RertVec3 ijk = {0, 0, (double)k};
        double z = rert_grid_ijk_to_xyz(g, ijk).z;
        double h = z - centre.z;
        if (fabs(h) >= radius) {
            continue;
        }
        double r = sqrt(radius * radius - h * h);
        RertVec3 *pts = *points + 32 * n;
        for (int q = 0; q < 32; q++) {
            double a = 2.0 * PI * q / 32.0;
            pts[q].x = centre.x + r * cos(a);
            pts[q].y = centre.y + r * sin(a);
            pts[q].z = z;
        }
        poly[n].points_mm = pts;
        poly[n].count = 32;
        n++;
    }
    *count = n;
    return poly;
}

/* Occupancy (>= half of 4^3 samples) of the sphere on grid @p g. */
static float *
sphere_occupancy(const RertGridGeometry *g, RertVec3 centre, double radius)
{
    size_t n = rert_grid_voxel_count(g);
    float *occ = calloc(n, sizeof *occ);
    assert_non_null(occ);
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                int inside = 0;
                for (int s = 0; s < 64; s++) {
                    RertVec3 ijk = {(double)i - 0.375 + 0.25 * (s % 4),
                                    (double)j - 0.375 + 0.25 * ((s / 4) % 4),
                                    (double)k - 0.375 + 0.25 * (s / 16)};
                    RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                    inside += distance(x, centre) <= radius ? 1 : 0;
                }
                occ[rert_grid_index(g, i, j, k)] = (float)inside / 64.0f;
            }
        }
    }
    return occ;
}

/* Propagate a sphere drawn on the moving grid through @p t and compare
 * with the analytic sphere (centre, radius) on the fixed grid. */
static void check_propagated_sphere(const RertTransform *t,
                                    RertVec3 fixed_centre,
                                    double fixed_radius,
                                    RertPlanarContours **contours_out)
{
    RertError err;
    const size_t mdims[3] = {70, 70, 40};
    const double morigin[3] = {-35.0, -35.0, -40.0};
    const double mspacing[3] = {1.0, 1.0, 2.0};
    RertGridGeometry mg = make_grid(mdims, morigin, mspacing, NULL);
    const size_t fdims[3] = {56, 52, 34};
    const double forigin[3] = {-30.0, -29.0, -35.0};
    const double fspacing[3] = {1.2, 1.25, 2.5};
    RertGridGeometry fg = make_grid(fdims, forigin, fspacing, NULL);
    RertVec3 mc = {1.0, -2.0, 3.0};
    RertVec3 *points = NULL;
    size_t count = 0;
    RertPolygon *poly = sphere_polygons(&mg, mc, 15.0, &points, &count);
    size_t nf = rert_grid_voxel_count(&fg);
    float *prop = calloc(nf, sizeof *prop);
    float *redrawn = calloc(nf, sizeof *redrawn);
    assert_non_null(prop);
    assert_non_null(redrawn);
    RertPlanarContours *c =
        rert_contours_propagate(&err, &mg, poly, count, &fg, t, NULL, prop);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    float *truth = sphere_occupancy(&fg, fixed_centre, fixed_radius);
    RertStructureAgreement s;
    assert_true(
        rert_structure_agreement_compute(&err, &fg, prop, truth, 0.5, &s));
    print_message("  propagated occupancy: Dice %.4f, MSD %.3f mm\n", s.dice,
                  s.mean_surface_mm);
    assert_true(s.dice > 0.95);
    /* the polygons themselves, rasterised again on the fixed grid */
    size_t np = 0;
    const RertPolygon *pp = rert_planar_contours_polygons(c, &np);
    assert_true(np > 5);
    assert_true(rert_rasterize_polygons(&err, &fg, pp, np, NULL, redrawn));
    assert_true(
        rert_structure_agreement_compute(&err, &fg, redrawn, truth, 0.5, &s));
    print_message("  propagated contours: Dice %.4f, MSD %.3f mm\n", s.dice,
                  s.mean_surface_mm);
    assert_true(s.dice > 0.95);
    assert_true(s.mean_surface_mm < 1.5);
    *contours_out = c;
    free(truth);
    free(prop);
    free(redrawn);
    free(poly);
    free(points);
}

static void test_propagate_sphere_translation(void **state)
{
    (void)state;
    RertError err;
    /* fixed -> moving: x_m = x_f + (3.7, -4.2, 6.0) */
    RertMat4 m = rert_mat4_identity();
    m.m[0][3] = 3.7;
    m.m[1][3] = -4.2;
    m.m[2][3] = 6.0;
    RertTransform *t = rert_transform_create_matrix(&err, m);
    assert_non_null(t);
    RertVec3 centre = {1.0 - 3.7, -2.0 + 4.2, 3.0 - 6.0};
    RertPlanarContours *c = NULL;
    check_propagated_sphere(t, centre, 15.0, &c);

    /* the propagated ROI written as RTSTRUCT and read back */
    size_t np = 0;
    const RertPolygon *pp = rert_planar_contours_polygons(c, &np);
    RertRoiWriteSpec roi;
    memset(&roi, 0, sizeof roi);
    roi.name = "CORD_propagated";
    roi.interpreted_type = "ORGAN";
    roi.polygons = pp;
    roi.polygon_count = np;
    RertStructureSetWriteOptions wo =
        rert_structure_set_write_options_default();
    wo.frame_of_reference_uid = REF_FOR;
    char path[512];
    snprintf(path, sizeof path, "%s/propagated_rtstruct.dcm",
             rert_test_tmpdir());
    assert_true(rert_structure_set_save(&err, path, &roi, 1, &wo, NULL));
    RertStructureSet *ss = rert_structure_set_load(&err, path, NULL);
    assert_non_null(ss);
    const RertRoi *back = rert_structure_set_roi_by_name(ss, "CORD_propagated");
    assert_non_null(back);
    assert_int_equal(rert_roi_contour_count(back), np);
    rert_structure_set_destroy(ss);
    rert_planar_contours_destroy(c);
    rert_transform_destroy(t);
}

static void test_propagate_sphere_scaling_field(void **state)
{
    (void)state;
    RertError err;
    /* fixed -> moving: x_m = 1.25 (x_f - c_f) + c_m, as a deformation
     * grid of a DICOM deformable REG (so the whole path is exercised) */
    const double scale = 1.25;
    RertVec3 cf = {-2.0, 1.5, -1.0};
    RertVec3 cm = {1.0, -2.0, 3.0};
    const size_t dims[3] = {40, 40, 30};
    const double origin[3] = {-40.0, -40.0, -45.0};
    const double spacing[3] = {2.0, 2.0, 3.0};
    RertGridGeometry g = make_grid(dims, origin, spacing, NULL);
    size_t nv = rert_grid_voxel_count(&g);
    float *v = calloc(3 * nv, sizeof *v);
    assert_non_null(v);
    for (size_t k = 0; k < dims[2]; k++) {
        for (size_t j = 0; j < dims[1]; j++) {
            for (size_t i = 0; i < dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(&g, ijk);
                float *o = v + 3 * rert_grid_index(&g, i, j, k);
                o[0] = (float)(scale * (x.x - cf.x) + cm.x - x.x);
                o[1] = (float)(scale * (x.y - cf.y) + cm.y - x.y);
                o[2] = (float)(scale * (x.z - cf.z) + cm.z - x.z);
            }
        }
    }
    RertDregWriteOptions o = rert_dreg_write_options_default();
    o.reference.frame_of_reference_uid = REF_FOR;
    o.moving.frame_of_reference_uid = MOV_FOR;
    o.grid = &g;
    o.vectors = v;
    RertDataset *ds = rert_dreg_build_dataset(&err, &o, NULL);
    assert_non_null(ds);
    RertDeformableRegistration *reg = rert_dreg_from_dataset(&err, ds, NULL);
    assert_non_null(reg);
    RertTransform *t =
        rert_dreg_transform_create(&err, reg, REF_FOR, MOV_FOR, NULL);
    assert_non_null(t);
    RertPlanarContours *c = NULL;
    check_propagated_sphere(t, cf, 15.0 / scale, &c);
    rert_planar_contours_destroy(c);
    rert_transform_destroy(t);
    rert_dreg_destroy(reg);
    rert_dataset_destroy(ds);
    free(v);
}

/* ---- structure agreement */

/* Member with a 6-neighbour that is not, or on the grid edge. */
static bool surface_voxel(const RertGridGeometry *g, const float *m, size_t p)
{
    size_t i = p % g->dims[0];
    size_t j = (p / g->dims[0]) % g->dims[1];
    size_t k = p / (g->dims[0] * g->dims[1]);
    if (m[p] < 0.5f) {
        return false;
    }
    if (i == 0 || j == 0 || k == 0 || i + 1 == g->dims[0] ||
        j + 1 == g->dims[1] || k + 1 == g->dims[2]) {
        return true;
    }
    size_t sx = 1;
    size_t sy = g->dims[0];
    size_t sz = g->dims[0] * g->dims[1];
    return m[p - sx] < 0.5f || m[p + sx] < 0.5f || m[p - sy] < 0.5f ||
           m[p + sy] < 0.5f || m[p - sz] < 0.5f || m[p + sz] < 0.5f;
}

/* Brute-force directed surface distances (reference for the EDT). */
static void brute_force(const RertGridGeometry *g,
                        const float *a,
                        const float *b,
                        double *mean,
                        double *max)
{
    size_t n = rert_grid_voxel_count(g);
    double sum = 0.0;
    size_t count = 0;
    *max = 0.0;
    for (size_t p = 0; p < n; p++) {
        if (!surface_voxel(g, a, p)) {
            continue;
        }
        double best = HUGE_VAL;
        for (size_t q = 0; q < n; q++) {
            if (!surface_voxel(g, b, q)) {
                continue;
            }
            double d[3] = {
                ((double)(p % g->dims[0]) - (double)(q % g->dims[0])),
                ((double)((p / g->dims[0]) % g->dims[1]) -
                 (double)((q / g->dims[0]) % g->dims[1])),
                ((double)(p / (g->dims[0] * g->dims[1])) -
                 (double)(q / (g->dims[0] * g->dims[1])))};
            double r2 = 0.0;
            for (int ax = 0; ax < 3; ax++) {
                r2 += d[ax] * g->spacing_mm[ax] * d[ax] * g->spacing_mm[ax];
            }
            best = fmin(best, sqrt(r2));
        }
        sum += best;
        count++;
        *max = fmax(*max, best);
    }
    *mean = sum / (double)count;
}

static void test_structure_agreement_known(void **state)
{
    (void)state;
    RertError err;
    const size_t dims[3] = {20, 16, 14};
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {1.0, 1.5, 2.5};
    RertGridGeometry g = make_grid(dims, origin, spacing, NULL);
    size_t n = rert_grid_voxel_count(&g);
    float *a = calloc(n, sizeof *a);
    float *b = calloc(n, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    /* cubes of 10 x 10 x 10 voxels, B shifted by 2 voxels along i */
    for (size_t k = 2; k < 12; k++) {
        for (size_t j = 3; j < 13; j++) {
            for (size_t i = 3; i < 13; i++) {
                a[rert_grid_index(&g, i, j, k)] = 1.0f;
                b[rert_grid_index(&g, i + 2, j, k)] = 0.75f;
            }
        }
    }
    RertStructureAgreement s;
    assert_true(rert_structure_agreement_compute(&err, &g, a, b, 0.5, &s));
    rert_assert_near(s.dice, 0.8, 1e-12, 0.0);
    rert_assert_near(s.volume_a_cc, 1000 * 3.75 / 1000.0, 1e-12, 0.0);
    rert_assert_near(s.intersection_cc, 800 * 3.75 / 1000.0, 1e-12, 0.0);
    double mean_ab = 0.0;
    double max_ab = 0.0;
    double mean_ba = 0.0;
    double max_ba = 0.0;
    brute_force(&g, a, b, &mean_ab, &max_ab);
    brute_force(&g, b, a, &mean_ba, &max_ba);
    rert_assert_near(s.mean_a_to_b_mm, mean_ab, 1e-9, 0.0);
    rert_assert_near(s.mean_b_to_a_mm, mean_ba, 1e-9, 0.0);
    rert_assert_near(s.hausdorff_mm, fmax(max_ab, max_ba), 1e-9, 0.0);
    rert_assert_near(s.hausdorff_mm, 2.0, 1e-9, 0.0); /* faces across i */
    assert_true(s.hausdorff95_mm <= s.hausdorff_mm);
    assert_int_equal(s.surface_a, 1000 - 8 * 8 * 8);

    /* identical structures */
    assert_true(rert_structure_agreement_compute(&err, &g, a, a, 0.5, &s));
    rert_assert_near(s.dice, 1.0, 0.0, 0.0);
    rert_assert_near(s.mean_surface_mm, 0.0, 0.0, 0.0);
    rert_assert_near(s.hausdorff95_mm, 0.0, 0.0, 0.0);

    /* concentric spheres, radii 8 and 11 mm: about 3 mm apart */
    const size_t sd[3] = {40, 40, 40};
    const double so[3] = {-19.5, -19.5, -19.5};
    const double ss[3] = {1.0, 1.0, 1.0};
    RertGridGeometry sg = make_grid(sd, so, ss, NULL);
    RertVec3 c0 = {0, 0, 0};
    float *s1 = sphere_occupancy(&sg, c0, 8.0);
    float *s2 = sphere_occupancy(&sg, c0, 11.0);
    assert_true(rert_structure_agreement_compute(&err, &sg, s1, s2, 0.5, &s));
    rert_assert_near(s.mean_surface_mm, 3.0, 0.5, 0.0);
    rert_assert_near(s.hausdorff95_mm, 3.0, 0.8, 0.0);
    rert_assert_near(s.dice, 2.0 * 512.0 / (512.0 + 1331.0), 0.02, 0.0);

    memset(b, 0, n * sizeof *b);
    assert_false(rert_structure_agreement_compute(&err, &g, a, b, 0.5, &s));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    assert_non_null(strstr(err.message, "structure B"));
    free(s1);
    free(s2);
    free(a);
    free(b);
}

/* ---- landmarks and TG-132 */

static void test_landmarks_and_tolerances(void **state)
{
    (void)state;
    RertError err;
    RertMat4 m = rert_mat4_identity();
    m.m[0][3] = 1.0;
    RertTransform *t = rert_transform_create_matrix(&err, m);
    assert_non_null(t);
    const RertVec3 fixed[3] = {{0, 0, 0}, {10, 0, 0}, {0, 5, 0}};
    const RertVec3 moving[3] = {{1, 0, 0}, {11, 3, 4}, {1, 5, 2}};
    RertLandmarkStats s;
    assert_true(
        rert_landmark_error_compute(&err, t, fixed, moving, 3, NULL, &s));
    assert_int_equal(s.count, 3);
    rert_assert_near(s.mean_mm, 7.0 / 3.0, 1e-12, 0.0);
    rert_assert_near(s.max_mm, 5.0, 1e-12, 0.0);
    assert_int_equal(s.worst_index, 1);
    rert_assert_near(s.sd_mm,
                     sqrt(((49.0 / 9.0) + (64.0 / 9.0) + (1.0 / 9.0)) / 2.0),
                     1e-12, 0.0);
    const RertVec3 bad[1] = {{(double)NAN, 0, 0}};
    assert_false(
        rert_landmark_error_compute(&err, t, bad, moving, 1, NULL, &s));
    assert_non_null(strstr(err.message, "pair 1"));
    rert_transform_destroy(t);

    size_t n = rert_tg132_tolerance_count();
    assert_true(n >= 5);
    assert_null(rert_tg132_tolerance(n));
    bool seen_mean = false;
    bool seen_max = false;
    for (size_t i = 0; i < n; i++) {
        const RertRegistrationTolerance *r = rert_tg132_tolerance(i);
        assert_non_null(r);
        assert_true(strlen(r->source) > 10);
        assert_true(strcmp(r->evidence, "V2") == 0 ||
                    strcmp(r->evidence, "R") == 0);
        if (strcmp(r->quantity, "dir_tre_mean_mm") == 0) {
            rert_assert_near(r->limit, 2.0, 0.0, 0.0);
            assert_string_equal(r->evidence, "V2");
            seen_mean = true;
        }
        if (strcmp(r->quantity, "dir_tre_max_mm") == 0) {
            rert_assert_near(r->limit, 5.0, 0.0, 0.0);
            seen_max = true;
        }
        if (strcmp(r->quantity, "contour_dice") == 0) {
            assert_string_equal(r->evidence, "R"); /* not verified */
        }
    }
    assert_true(seen_mean && seen_max);
}

/* ---- uncertainty band */

static void test_uncertainty_band_gradient(void **state)
{
    (void)state;
    RertError err;
    const size_t dims[3] = {30, 12, 10};
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {1.0, 1.0, 2.5};
    RertGridGeometry g = make_grid(dims, origin, spacing, NULL);
    RertVolume *dose = rert_volume_create(&err, &g);
    assert_non_null(dose);
    float *d = rert_volume_data(dose);
    size_t n = rert_grid_voxel_count(&g);
    float *roi = calloc(n, sizeof *roi);
    assert_non_null(roi);
    /* dose 2 Gy/mm along x; ROI x in [5, 20] mm; a hot "target" of 100 Gy
     * just past the ROI at x = 21..23 that must not leak in */
    for (size_t k = 0; k < dims[2]; k++) {
        for (size_t j = 0; j < dims[1]; j++) {
            for (size_t i = 0; i < dims[0]; i++) {
                size_t idx = rert_grid_index(&g, i, j, k);
                d[idx] = i >= 21 && i <= 23 ? 100.0f : 2.0f * (float)i;
                roi[idx] = i >= 5 && i <= 20 ? 1.0f : 0.0f;
            }
        }
    }
    RertUncertaintyOptions o = rert_uncertainty_options_default();
    RertUncertaintyStats st;
    set_threads(1);
    RertVolume *band1 = rert_uncertainty_band_compute(&err, dose, roi, &o, &st);
    set_threads(4);
    RertVolume *band = rert_uncertainty_band_compute(&err, dose, roi, &o, &st);
    assert_non_null(band1);
    assert_non_null(band);
    assert_memory_equal(rert_volume_data_const(band1),
                        rert_volume_data_const(band), n * sizeof(float));
    /* a 3 mm sphere at 1 x 1 x 2.5 mm: di^2 + dj^2 + (2.5 dk)^2 <= 9 */
    size_t expected_offsets = 0;
    for (int dk = -1; dk <= 1; dk++) {
        for (int dj = -3; dj <= 3; dj++) {
            for (int di = -3; di <= 3; di++) {
                expected_offsets +=
                    di * di + dj * dj + 6.25 * dk * dk <= 9.0 ? 1u : 0u;
            }
        }
    }
    assert_int_equal(st.offsets, expected_offsets);
    assert_int_equal(st.roi_voxels, 16 * 12 * 10);
    const float *b = rert_volume_data_const(band);
    for (size_t k = 0; k < dims[2]; k++) {
        for (size_t j = 0; j < dims[1]; j++) {
            for (size_t i = 0; i < dims[0]; i++) {
                size_t idx = rert_grid_index(&g, i, j, k);
                double want = (double)d[idx];
                if (i >= 5 && i <= 20) {
                    want = 2.0 * (double)(i + 3 < 20 ? i + 3 : 20);
                }
                rert_assert_near((double)b[idx], want, 0.0, 0.0);
            }
        }
    }
    rert_assert_near(st.largest_change, 6.0, 0.0, 0.0);

    /* lower band; an ellipsoid 1 mm along x only */
    o.mode = RERT_NEIGHBOURHOOD_MIN;
    o.radius_mm[0] = 1.0;
    o.radius_mm[1] = 0.0;
    o.radius_mm[2] = 0.0;
    RertVolume *low = rert_uncertainty_band_compute(&err, dose, roi, &o, &st);
    assert_non_null(low);
    assert_int_equal(st.offsets, 3);
    const float *l = rert_volume_data_const(low);
    for (size_t i = 5; i <= 20; i++) {
        size_t idx = rert_grid_index(&g, i, 4, 3);
        rert_assert_near((double)l[idx], 2.0 * (double)(i > 5 ? i - 1 : 5), 0.0,
                         0.0);
    }
    o.radius_mm[0] = -1.0;
    assert_null(rert_uncertainty_band_compute(&err, dose, roi, &o, &st));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    o = rert_uncertainty_options_default();
    o.max_offsets = 10;
    assert_null(rert_uncertainty_band_compute(&err, dose, roi, &o, &st));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    rert_volume_destroy(low);
    rert_volume_destroy(band1);
    rert_volume_destroy(band);
    rert_volume_destroy(dose);
    free(roi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dreg_round_trip),
        cmocka_unit_test(test_dreg_composition_order),
        cmocka_unit_test(test_dreg_errors),
        cmocka_unit_test(test_dreg_allocation_failures),
        cmocka_unit_test(test_marching_squares_block_and_hole),
        cmocka_unit_test(test_propagate_sphere_translation),
        cmocka_unit_test(test_propagate_sphere_scaling_field),
        cmocka_unit_test(test_structure_agreement_known),
        cmocka_unit_test(test_landmarks_and_tolerances),
        cmocka_unit_test(test_uncertainty_band_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
