/* Unit tests: automatic rigid registration (analytic blobs with known
 * transforms, the two-course phantom), matrix comparison, and DICOM
 * Spatial Registration read/write (round trip, dciodvfy, error cases). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/phantom.h>
#include <rert/registration.h>
#include <rert/rt.h>

#include "rert_test.h"

#define TAG(g, e) RERT_TAG(g, e)

/* ---- helpers */

static RertGridGeometry make_grid(const size_t dims[3], const double spacing[3])
{
    double origin[3];
    for (int a = 0; a < 3; a++) {
        origin[a] = -0.5 * (double)(dims[a] - 1) * spacing[a] + 1.7 * a;
    }
    const double dir[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    RertGridGeometry g;
    RertError err;
    rert_error_clear(&err);
    assert_true(
        rert_grid_geometry_make(&err, dims, origin, spacing, dir, 0, &g));
    return g;
}

/* An asymmetric "patient": an ellipsoid body (value 40) with a few dense
 * and dark blobs inside, smooth edges (about 2 mm), air -1000 outside. */
static double blob_value(RertVec3 p)
{
    double body = (p.x / 50.0) * (p.x / 50.0) + (p.y / 40.0) * (p.y / 40.0) +
                  (p.z / 45.0) * (p.z / 45.0);
    double edge = 1.0 / (1.0 + exp((sqrt(body) - 1.0) * 45.0 / 2.0));
    double v = -1000.0 + 1040.0 * edge;
    static const double blobs[4][5] = {
        /* x, y, z, sigma, amplitude */
        {18.0, -10.0, 12.0, 6.0, 800.0},
        {-22.0, 8.0, -5.0, 8.0, -300.0},
        {5.0, 20.0, -18.0, 5.0, 600.0},
        {-8.0, -18.0, 20.0, 4.0, 900.0},
    };
    for (int b = 0; b < 4; b++) {
        double dx = p.x - blobs[b][0];
        double dy = p.y - blobs[b][1];
        double dz = p.z - blobs[b][2];
        double r2 = dx * dx + dy * dy + dz * dz;
        v += blobs[b][4] * exp(-r2 / (2.0 * blobs[b][3] * blobs[b][3])) * edge;
    }
    return v;
}

/* Volume showing the blob anatomy through @p to_anatomy (patient point of
 * this volume -> anatomy point); NULL = identity. */
static RertVolume *blob_volume(const RertGridGeometry *g,
                               const RertMat4 *to_anatomy)
{
    RertError err;
    rert_error_clear(&err);
    RertVolume *v = rert_volume_create(&err, g);
    assert_non_null(v);
    float *d = rert_volume_data(v);
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                if (to_anatomy != NULL) {
                    x = rert_mat4_apply_point(*to_anatomy, x);
                }
                d[rert_grid_index(g, i, j, k)] = (float)blob_value(x);
            }
        }
    }
    return v;
}

typedef struct BlobCase {
    RertVolume *fixed;
    RertVolume *moving;
    RertMat4 truth; /* fixed xyz -> moving xyz */
} BlobCase;

/* Fixed shows the anatomy directly; the moving point x_m shows the
 * anatomy at truth^-1 x_m. */
static BlobCase blob_case(const double rot_deg[3], const double t_mm[3])
{
    const size_t dims_f[3] = {56, 48, 36};
    const double sp_f[3] = {2.0, 2.0, 3.0};
    const size_t dims_m[3] = {60, 52, 30};
    const double sp_m[3] = {2.2, 2.0, 3.5};
    RertGridGeometry gf = make_grid(dims_f, sp_f);
    RertGridGeometry gm = make_grid(dims_m, sp_m);
    const double centre[3] = {4.0, -3.0, 2.0};
    BlobCase c;
    c.truth = rert_rigid_matrix_compute(centre, rot_deg, t_mm);
    RertMat4 inverse;
    RertError err;
    rert_error_clear(&err);
    assert_true(rert_mat4_invert(&err, c.truth, &inverse));
    c.fixed = blob_volume(&gf, NULL);
    c.moving = blob_volume(&gm, &inverse);
    return c;
}

static void blob_case_clear(BlobCase *c)
{
    rert_volume_destroy(c->fixed);
    rert_volume_destroy(c->moving);
}

static void set_threads(int n)
{
#ifdef RERT_HAVE_OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* ---- matrices */

static void test_matrix_convention(void **state)
{
    (void)state;
    /* Same parametrisation as the phantom (R = Rz Ry Rx about the
     * origin), so the two must agree exactly. */
    RertPhantomOptions po = rert_phantom_options_default();
    RertMat4 phantom = rert_phantom_course2_to_course1(&po);
    const double zero[3] = {0.0, 0.0, 0.0};
    RertMat4 m =
        rert_rigid_matrix_compute(zero, po.rotation_deg, po.translation_mm);
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) {
            rert_assert_near(m.m[r][c], phantom.m[r][c], 1e-12, 0.0);
        }
    }
    /* About a centre: the centre maps to centre + t. */
    const double centre[3] = {10.0, -20.0, 30.0};
    const double rot[3] = {5.0, -7.0, 11.0};
    const double t[3] = {1.0, 2.0, 3.0};
    RertMat4 mc = rert_rigid_matrix_compute(centre, rot, t);
    RertVec3 c = {10.0, -20.0, 30.0};
    RertVec3 y = rert_mat4_apply_point(mc, c);
    rert_assert_near(y.x, 11.0, 1e-12, 0.0);
    rert_assert_near(y.y, -18.0, 1e-12, 0.0);
    rert_assert_near(y.z, 33.0, 1e-12, 0.0);
    assert_true(rert_mat4_is_rigid(mc, 1e-12));
}

static void test_compare(void **state)
{
    (void)state;
    const size_t dims[3] = {10, 8, 6};
    const double sp[3] = {1.0, 1.0, 2.0};
    RertGridGeometry g = make_grid(dims, sp);
    RertError err;
    rert_error_clear(&err);
    RertVolume *v = rert_volume_create(&err, &g);
    assert_non_null(v);
    float *d = rert_volume_data(v);
    d[rert_grid_index(&g, 2, 3, 4)] = 1.0f;
    RertMat4 a = rert_mat4_identity();
    RertMat4 b = a;
    b.m[0][3] = 3.0;
    b.m[1][3] = 4.0;
    RertRegistrationDifference diff;
    assert_true(rert_registration_compare(&err, v, 0.5, a, b, &diff));
    assert_int_equal(diff.voxels, 1);
    rert_assert_near(diff.mean_mm, 5.0, 1e-12, 0.0);
    rert_assert_near(diff.max_mm, 5.0, 1e-12, 0.0);
    rert_assert_near(diff.rotation_deg, 0.0, 1e-9, 0.0);
    /* A 90 degree turn about z through the voxel: no displacement there,
     * but the angle shows. */
    RertVec3 p = rert_grid_ijk_to_xyz(&g, (RertVec3){2, 3, 4});
    const double c[3] = {p.x, p.y, p.z};
    const double rot[3] = {0.0, 0.0, 90.0};
    const double zero[3] = {0.0, 0.0, 0.0};
    b = rert_rigid_matrix_compute(c, rot, zero);
    assert_true(rert_registration_compare(&err, v, 0.5, a, b, &diff));
    rert_assert_near(diff.max_mm, 0.0, 1e-9, 0.0);
    rert_assert_near(diff.rotation_deg, 90.0, 1e-9, 0.0);
    /* All voxels (NaN threshold) and the empty region. */
    assert_true(rert_registration_compare(&err, v, (double)NAN, a, a, &diff));
    assert_int_equal(diff.voxels, 10 * 8 * 6);
    assert_false(rert_registration_compare(&err, v, 2.0, a, b, &diff));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    assert_false(rert_registration_compare(&err, NULL, 0.0, a, b, &diff));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_volume_destroy(v);
}

/* ---- rigid registration on analytic blobs */

static void expect_recovered(const BlobCase *c,
                             const RertRigidOptions *o,
                             double max_mm,
                             double max_deg)
{
    RertError err;
    rert_error_clear(&err);
    RertRigidOptions opt = *o;
    opt.truth = &c->truth;
    RertRigidResult r;
    if (!rert_rigid_register(&err, c->fixed, c->moving, &opt, &r)) {
        print_error("rigid registration: %s\n", err.message);
        fail();
    }
    print_message("  %s: metric %.4f, iterations %u/%u/%u, %zu evaluations, "
                  "error mean %.3f max %.3f mm, %.3f deg, %.2f s\n",
                  opt.metric == RERT_RIGID_METRIC_MI ? "MI" : "NCC",
                  r.final_metric, r.iterations[0], r.iterations[1],
                  r.iterations[2], r.metric_evaluations, r.truth_mean_mm,
                  r.truth_max_mm, r.truth_rotation_deg, r.seconds);
    assert_true(r.has_truth);
    assert_true(r.truth_max_mm <= max_mm);
    assert_true(r.truth_rotation_deg <= max_deg);
    assert_true(r.overlap_frac > 0.9);
    assert_true(r.samples > 1000);
    assert_true(rert_mat4_is_rigid(r.fixed_to_moving, 1e-9));
    /* The parameters give back the matrix. */
    RertMat4 m = rert_rigid_matrix_compute(r.centre_mm, r.rotation_deg,
                                           r.translation_mm);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
            rert_assert_near(m.m[i][j], r.fixed_to_moving.m[i][j], 1e-9, 0.0);
        }
    }
}

static void test_blobs_mi(void **state)
{
    (void)state;
    const double rot[3] = {4.0, -3.0, 6.0};
    const double t[3] = {7.0, -5.0, 4.0};
    BlobCase c = blob_case(rot, t);
    RertRigidOptions o = rert_rigid_options_default();
    expect_recovered(&c, &o, 0.5, 0.3);
    blob_case_clear(&c);
}

static void test_blobs_ncc(void **state)
{
    (void)state;
    const double rot[3] = {-3.0, 5.0, -4.0};
    const double t[3] = {-6.0, 3.0, -5.0};
    BlobCase c = blob_case(rot, t);
    RertRigidOptions o = rert_rigid_options_default();
    o.metric = RERT_RIGID_METRIC_NCC;
    expect_recovered(&c, &o, 0.5, 0.3);
    blob_case_clear(&c);
}

static void test_blobs_mask_and_initial(void **state)
{
    (void)state;
    const double rot[3] = {2.0, 2.0, -2.0};
    const double t[3] = {3.0, 3.0, -3.0};
    BlobCase c = blob_case(rot, t);
    /* A caller mask (the analytic body) instead of the threshold. */
    const RertGridGeometry *g = rert_volume_geometry(c.fixed);
    size_t n = rert_grid_voxel_count(g);
    RertError err;
    rert_error_clear(&err);
    float *mask = rert_calloc(&err, n, sizeof *mask);
    assert_non_null(mask);
    const float *fd = rert_volume_data_const(c.fixed);
    for (size_t i = 0; i < n; i++) {
        mask[i] = fd[i] > -200.0f ? 1.0f : 0.0f;
    }
    RertRigidOptions o = rert_rigid_options_default();
    o.fixed_mask = mask;
    expect_recovered(&c, &o, 0.5, 0.3);
    /* Start from a given matrix near the answer, one level only. */
    o = rert_rigid_options_default();
    o.has_initial = true;
    const double centre[3] = {0.0, 0.0, 0.0};
    const double rot0[3] = {1.0, 1.0, -1.0};
    const double t0[3] = {2.0, 2.0, -2.0};
    o.initial = rert_rigid_matrix_compute(centre, rot0, t0);
    o.levels = 2;
    expect_recovered(&c, &o, 0.5, 0.3);
    rert_free(mask);
    blob_case_clear(&c);
}

static void test_blobs_threads(void **state)
{
    (void)state;
    const double rot[3] = {3.0, -2.0, 4.0};
    const double t[3] = {-4.0, 6.0, 2.0};
    BlobCase c = blob_case(rot, t);
    RertError err;
    rert_error_clear(&err);
    RertRigidResult r1;
    RertRigidResult r4;
    for (int metric = 0; metric < 2; metric++) {
        RertRigidOptions o = rert_rigid_options_default();
        o.metric = (RertRigidMetric)metric;
        o.levels = 2;
        set_threads(1);
        assert_true(rert_rigid_register(&err, c.fixed, c.moving, &o, &r1));
        set_threads(4);
        assert_true(rert_rigid_register(&err, c.fixed, c.moving, &o, &r4));
        assert_memory_equal(&r1.fixed_to_moving, &r4.fixed_to_moving,
                            sizeof r1.fixed_to_moving);
        assert_memory_equal(&r1.final_metric, &r4.final_metric,
                            sizeof r1.final_metric);
        assert_int_equal(r1.metric_evaluations, r4.metric_evaluations);
    }
    set_threads(2);
    blob_case_clear(&c);
}

static void expect_rigid_error(const BlobCase *c,
                               const RertRigidOptions *o,
                               RertErrorCode code,
                               const char *word)
{
    RertError err;
    rert_error_clear(&err);
    RertRigidResult r;
    assert_false(rert_rigid_register(&err, c->fixed, c->moving, o, &r));
    assert_int_equal(err.code, code);
    if (strstr(err.message, word) == NULL) {
        print_error("message '%s' does not name '%s'\n", err.message, word);
        fail();
    }
}

static void test_rigid_errors(void **state)
{
    (void)state;
    const double rot[3] = {0.0, 0.0, 0.0};
    const double t[3] = {0.0, 0.0, 0.0};
    BlobCase c = blob_case(rot, t);
    RertError err;
    rert_error_clear(&err);
    RertRigidResult r;
    assert_false(rert_rigid_register(&err, NULL, c.moving, NULL, &r));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    RertRigidOptions o = rert_rigid_options_default();
    o.histogram_bins = 4;
    expect_rigid_error(&c, &o, RERT_ERR_INVALID_ARG, "histogram_bins");
    o = rert_rigid_options_default();
    o.levels = 0;
    expect_rigid_error(&c, &o, RERT_ERR_INVALID_ARG, "levels");
    o = rert_rigid_options_default();
    o.min_step_mm = 10.0;
    expect_rigid_error(&c, &o, RERT_ERR_INVALID_ARG, "min_step_mm");
    o = rert_rigid_options_default();
    o.has_initial = true;
    o.initial.m[0][0] = 2.0;
    expect_rigid_error(&c, &o, RERT_ERR_INVALID_ARG, "initial");
    /* Nothing above the threshold. */
    o = rert_rigid_options_default();
    o.body_threshold = 5000.0;
    expect_rigid_error(&c, &o, RERT_ERR_GEOMETRY, "threshold");
    /* Started far away: no overlap, the metric is undefined. */
    o = rert_rigid_options_default();
    o.has_initial = true;
    o.initial = rert_mat4_identity();
    o.initial.m[0][3] = 1000.0;
    expect_rigid_error(&c, &o, RERT_ERR_GEOMETRY, "overlap");
    blob_case_clear(&c);
}

/* ---- DICOM Spatial Registration */

static void expect_matrix_near(RertMat4 a, RertMat4 b, double tol)
{
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) {
            rert_assert_near(a.m[r][c], b.m[r][c], tol, 0.0);
        }
    }
}

static const char *const REF_FOR = "1.2.826.0.1.3680043.10.543.1";
static const char *const MOV_FOR = "1.2.826.0.1.3680043.10.543.2";

static RertMat4 sample_matrix(void)
{
    const double centre[3] = {12.0, -30.0, 45.0};
    const double rot[3] = {3.5, -1.25, 7.0};
    const double t[3] = {-4.0, 2.5, 11.0};
    return rert_rigid_matrix_compute(centre, rot, t);
}

static void test_reg_round_trip(void **state)
{
    (void)state;
    const char *ref_uids[2] = {"1.2.826.0.1.3680043.10.543.11",
                               "1.2.826.0.1.3680043.10.543.12"};
    const char *mov_uids[1] = {"1.2.826.0.1.3680043.10.543.21"};
    RertRegWriteOptions o = rert_reg_write_options_default();
    o.reference.frame_of_reference_uid = REF_FOR;
    o.reference.study_instance_uid = "1.2.826.0.1.3680043.10.543.100";
    o.reference.series_instance_uid = "1.2.826.0.1.3680043.10.543.101";
    o.reference.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    o.reference.sop_instance_uids = ref_uids;
    o.reference.instance_count = 2;
    o.moving.frame_of_reference_uid = MOV_FOR;
    o.moving.study_instance_uid = "1.2.826.0.1.3680043.10.543.200";
    o.moving.series_instance_uid = "1.2.826.0.1.3680043.10.543.201";
    o.moving.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    o.moving.sop_instance_uids = mov_uids;
    o.moving.instance_count = 1;
    o.reference_to_moving = sample_matrix();
    o.comment = "test registration";
    o.series_description = "rert test REG";
    char path[600];
    snprintf(path, sizeof path, "%s/reg_round_trip.dcm", rert_test_tmpdir());
    char uid[RERT_UID_SIZE];
    RertError err;
    rert_error_clear(&err);
    if (!rert_reg_save(&err, path, &o, uid)) {
        print_error("%s\n", err.message);
        fail();
    }
    rert_test_dciodvfy(path);
    RertSpatialRegistration reg;
    assert_true(rert_reg_load(&err, path, NULL, &reg));
    assert_string_equal(reg.sop_instance_uid, uid);
    assert_string_equal(reg.frame_of_reference_uid, REF_FOR);
    assert_int_equal(reg.frame_count, 2);
    assert_string_equal(reg.frames[1].frame_of_reference_uid, MOV_FOR);
    assert_int_equal(reg.frames[0].image_count, 2);
    assert_int_equal(reg.frames[1].image_count, 1);
    assert_int_equal(reg.frames[1].type, RERT_REG_MATRIX_RIGID);
    RertMat4 m;
    assert_true(rert_reg_matrix(&err, &reg, REF_FOR, MOV_FOR, &m));
    expect_matrix_near(m, o.reference_to_moving, 1e-9);
    /* The other way round gives the inverse; a frame to itself the
     * identity. */
    RertMat4 back;
    assert_true(rert_reg_matrix(&err, &reg, MOV_FOR, REF_FOR, &back));
    expect_matrix_near(rert_mat4_multiply(back, m), rert_mat4_identity(), 1e-9);
    assert_true(rert_reg_matrix(&err, &reg, MOV_FOR, MOV_FOR, &m));
    expect_matrix_near(m, rert_mat4_identity(), 1e-12);
    /* An unknown frame is named with the frames that are there. */
    assert_false(rert_reg_matrix(&err, &reg, REF_FOR, "1.2.3.4", &m));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "1.2.3.4"));
    assert_non_null(strstr(err.message, MOV_FOR));
    /* The patient/study came from nowhere: a new study; Visual alignment
     * and no image references also write a valid object. */
    o.is_content_based = false;
    o.reference.instance_count = 0;
    o.moving.instance_count = 0;
    snprintf(path, sizeof path, "%s/reg_no_images.dcm", rert_test_tmpdir());
    assert_true(rert_reg_save(&err, path, &o, NULL));
    rert_test_dciodvfy(path);
    assert_true(rert_reg_load(&err, path, NULL, &reg));
    assert_true(rert_reg_matrix(&err, &reg, REF_FOR, MOV_FOR, &m));
    expect_matrix_near(m, o.reference_to_moving, 1e-9);
}

/* A minimal REG data set: own frame REF_FOR, one item for MOV_FOR with
 * @p count matrices of @p types. */
static RertDataset *
hand_reg(const RertMat4 *matrices, const char *const *types, size_t count)
{
    RertError err;
    rert_error_clear(&err);
    RertDataset *ds = rert_dataset_create(&err);
    assert_non_null(ds);
    assert_true(rert_dataset_set_string(&err, ds, TAG(0x0008, 0x0016), "UI",
                                        RERT_SOP_REGISTRATION));
    assert_true(rert_dataset_set_string(&err, ds, TAG(0x0008, 0x0018), "UI",
                                        "1.2.826.0.1.3680043.10.543.9"));
    assert_true(
        rert_dataset_set_string(&err, ds, TAG(0x0020, 0x0052), "UI", REF_FOR));
    RertDataset *item = rert_dataset_add_item(&err, ds, TAG(0x0070, 0x0308));
    assert_non_null(item);
    assert_true(rert_dataset_set_string(&err, item, TAG(0x0020, 0x0052), "UI",
                                        MOV_FOR));
    RertDataset *mr = rert_dataset_add_item(&err, item, TAG(0x0070, 0x0309));
    assert_non_null(mr);
    for (size_t k = 0; k < count; k++) {
        RertDataset *mi = rert_dataset_add_item(&err, mr, TAG(0x0070, 0x030A));
        assert_non_null(mi);
        double v[16];
        for (int i = 0; i < 16; i++) {
            v[i] = matrices[k].m[i / 4][i % 4];
        }
        assert_true(rert_dataset_set_ds(&err, mi, TAG(0x3006, 0x00C6), v, 16));
        assert_true(rert_dataset_set_string(&err, mi, TAG(0x0070, 0x030C), "CS",
                                            types[k]));
    }
    return ds;
}

static void expect_reg_error(const RertDataset *ds,
                             const RertRegReadOptions *o,
                             RertErrorCode code,
                             const char *word)
{
    RertError err;
    rert_error_clear(&err);
    RertSpatialRegistration reg;
    assert_false(rert_reg_from_dataset(&err, ds, o, &reg));
    assert_int_equal(err.code, code);
    if (strstr(err.message, word) == NULL) {
        print_error("message '%s' does not name '%s'\n", err.message, word);
        fail();
    }
}

static void test_reg_composition(void **state)
{
    (void)state;
    /* Two items: a translation, then a rotation. PS3.3 C.20.2.1.1 applies
     * the first item first: A = M2 M1 B. */
    RertMat4 m[2];
    const double zero[3] = {0.0, 0.0, 0.0};
    const double t[3] = {10.0, 0.0, 0.0};
    const double rot[3] = {0.0, 0.0, 90.0};
    m[0] = rert_rigid_matrix_compute(zero, zero, t);
    m[1] = rert_rigid_matrix_compute(zero, rot, zero);
    const char *types[2] = {"RIGID", "RIGID"};
    RertDataset *ds = hand_reg(m, types, 2);
    RertError err;
    rert_error_clear(&err);
    RertSpatialRegistration reg;
    assert_true(rert_reg_from_dataset(&err, ds, NULL, &reg));
    assert_int_equal(reg.frames[0].matrix_count, 2);
    /* The moving-frame point (0,0,0) goes to (10,0,0) then, turned by 90
     * degrees about z, to (0,10,0) in the REG's (reference) frame. */
    RertVec3 p = rert_mat4_apply_point(reg.frames[0].to_registration,
                                       (RertVec3){0.0, 0.0, 0.0});
    rert_assert_near(p.x, 0.0, 1e-9, 0.0);
    rert_assert_near(p.y, 10.0, 1e-9, 0.0);
    /* So reference (0,10,0) is moving (0,0,0). */
    RertMat4 r2m;
    assert_true(rert_reg_matrix(&err, &reg, REF_FOR, MOV_FOR, &r2m));
    p = rert_mat4_apply_point(r2m, (RertVec3){0.0, 10.0, 0.0});
    rert_assert_near(p.x, 0.0, 1e-9, 0.0);
    rert_assert_near(p.y, 0.0, 1e-9, 0.0);
    rert_assert_near(p.z, 0.0, 1e-9, 0.0);
    rert_dataset_destroy(ds);
}

/* Three non-commuting matrices in one MatrixSequence. PS3.3 C.20.2.1.1
 * (Equation C.20.2-2): the item order is the multiplication order with the
 * first item applied first, [A] = M3 M2 M1 [B] (docs/registration.md). The
 * expected point is computed by hand here, and the reversed product M1 M2
 * M3 gives a point 15 mm away. */
static void test_reg_composition_three(void **state)
{
    (void)state;
    RertMat4 m[3];
    const double zero[3] = {0.0, 0.0, 0.0};
    const double rot_z[3] = {0.0, 0.0, 90.0};
    const double shift[3] = {10.0, 0.0, 0.0};
    const double rot_x[3] = {90.0, 0.0, 0.0};
    m[0] = rert_rigid_matrix_compute(zero, rot_z, zero);
    m[1] = rert_rigid_matrix_compute(zero, zero, shift);
    m[2] = rert_rigid_matrix_compute(zero, rot_x, zero);
    const char *types[3] = {"RIGID", "RIGID", "RIGID"};
    RertDataset *ds = hand_reg(m, types, 3);
    RertError err;
    rert_error_clear(&err);
    RertSpatialRegistration reg;
    assert_true(rert_reg_from_dataset(&err, ds, NULL, &reg));
    assert_int_equal(reg.frames[0].matrix_count, 3);
    /* (1,2,3): turned 90 degrees about z -> (-2,1,3); shifted -> (8,1,3);
     * turned 90 degrees about x -> (8,-3,1). M1 M2 M3 would give (3,11,2). */
    RertVec3 p = rert_mat4_apply_point(reg.frames[0].to_registration,
                                       (RertVec3){1.0, 2.0, 3.0});
    rert_assert_near(p.x, 8.0, 1e-9, 0.0);
    rert_assert_near(p.y, -3.0, 1e-9, 0.0);
    rert_assert_near(p.z, 1.0, 1e-9, 0.0);
    rert_dataset_destroy(ds);
}

/* Several RegistrationSequence items: each registers its own frame to the
 * REG's frame, and a reference -> moving matrix goes through that frame:
 * inverse(F_moving) F_reference (C.20.2.1.1, Equation C.20.2-3). Several
 * MatrixRegistrationSequence items in one item are refused (C.20.2: "Only a
 * single Item shall be included"). */
static void test_reg_several_items(void **state)
{
    (void)state;
    static const char *const own = "1.2.826.0.1.3680043.10.543.3";
    RertError err;
    rert_error_clear(&err);
    const double zero[3] = {0.0, 0.0, 0.0};
    const double rot[3] = {0.0, 0.0, 90.0};
    const double shift[3] = {0.0, 5.0, 0.0};
    RertMat4 f_ref = rert_rigid_matrix_compute(zero, rot, zero);
    RertMat4 f_mov = rert_rigid_matrix_compute(zero, zero, shift);
    const char *rigid[1] = {"RIGID"};
    RertDataset *ds = hand_reg(&f_mov, rigid, 1);
    assert_true(
        rert_dataset_set_string(&err, ds, TAG(0x0020, 0x0052), "UI", own));
    RertDataset *item = rert_dataset_add_item(&err, ds, TAG(0x0070, 0x0308));
    assert_non_null(item);
    assert_true(rert_dataset_set_string(&err, item, TAG(0x0020, 0x0052), "UI",
                                        REF_FOR));
    RertDataset *mr = rert_dataset_add_item(&err, item, TAG(0x0070, 0x0309));
    RertDataset *mi = rert_dataset_add_item(&err, mr, TAG(0x0070, 0x030A));
    double v[16];
    for (int i = 0; i < 16; i++) {
        v[i] = f_ref.m[i / 4][i % 4];
    }
    assert_true(rert_dataset_set_ds(&err, mi, TAG(0x3006, 0x00C6), v, 16));
    assert_true(
        rert_dataset_set_string(&err, mi, TAG(0x0070, 0x030C), "CS", "RIGID"));
    RertSpatialRegistration reg;
    assert_true(rert_reg_from_dataset(&err, ds, NULL, &reg));
    assert_int_equal(reg.frame_count, 2);
    /* Reference (1,0,0) -> own frame (0,1,0) -> moving (0,-4,0). */
    RertMat4 r2m;
    assert_true(rert_reg_matrix(&err, &reg, REF_FOR, MOV_FOR, &r2m));
    RertVec3 p = rert_mat4_apply_point(r2m, (RertVec3){1.0, 0.0, 0.0});
    rert_assert_near(p.x, 0.0, 1e-9, 0.0);
    rert_assert_near(p.y, -4.0, 1e-9, 0.0);
    rert_assert_near(p.z, 0.0, 1e-9, 0.0);
    /* The REG's own frame needs no item: identity. */
    assert_true(rert_reg_matrix(&err, &reg, own, MOV_FOR, &r2m));
    p = rert_mat4_apply_point(r2m, (RertVec3){1.0, 0.0, 0.0});
    rert_assert_near(p.y, -5.0, 1e-9, 0.0);
    /* A second MatrixRegistrationSequence item. */
    mr = rert_dataset_add_item(&err, item, TAG(0x0070, 0x0309));
    assert_non_null(mr);
    expect_reg_error(ds, NULL, RERT_ERR_PARSE, "MatrixRegistrationSequence");
    expect_reg_error(ds, NULL, RERT_ERR_PARSE, "expected exactly 1");
    rert_dataset_destroy(ds);
}

static void test_reg_errors(void **state)
{
    (void)state;
    RertMat4 m = sample_matrix();
    const char *rigid[1] = {"RIGID"};
    /* Not orthonormal. */
    RertMat4 bad = m;
    bad.m[0][0] *= 1.01;
    RertDataset *ds = hand_reg(&bad, rigid, 1);
    expect_reg_error(ds, NULL, RERT_ERR_GEOMETRY, "item 1");
    rert_dataset_destroy(ds);
    /* The same matrix declared AFFINE: refused unless allowed. */
    const char *affine[1] = {"AFFINE"};
    ds = hand_reg(&bad, affine, 1);
    expect_reg_error(ds, NULL, RERT_ERR_UNSUPPORTED, "AFFINE");
    RertRegReadOptions o = rert_reg_read_options_default();
    o.allow_non_rigid = true;
    RertError err;
    rert_error_clear(&err);
    RertSpatialRegistration reg;
    assert_true(rert_reg_from_dataset(&err, ds, &o, &reg));
    assert_int_equal(reg.frames[0].type, RERT_REG_MATRIX_AFFINE);
    rert_dataset_destroy(ds);
    /* Unknown type, bad last row. */
    const char *unknown[1] = {"WARPED"};
    ds = hand_reg(&m, unknown, 1);
    expect_reg_error(ds, NULL, RERT_ERR_PARSE, "WARPED");
    rert_dataset_destroy(ds);
    bad = m;
    bad.m[3][0] = 0.5;
    ds = hand_reg(&bad, rigid, 1);
    expect_reg_error(ds, NULL, RERT_ERR_GEOMETRY, "last matrix row");
    rert_dataset_destroy(ds);
    /* No matrix at all; wrong SOP class; no registration sequence. */
    ds = hand_reg(&m, rigid, 0);
    expect_reg_error(ds, NULL, RERT_ERR_PARSE, "MatrixSequence");
    assert_true(rert_dataset_set_string(&err, ds, TAG(0x0008, 0x0016), "UI",
                                        RERT_SOP_CT));
    expect_reg_error(ds, NULL, RERT_ERR_UNSUPPORTED, RERT_SOP_CT);
    assert_true(rert_dataset_set_string(&err, ds, TAG(0x0008, 0x0016), "UI",
                                        RERT_SOP_REGISTRATION));
    rert_dataset_remove(ds, TAG(0x0070, 0x0308));
    expect_reg_error(ds, NULL, RERT_ERR_PARSE, "RegistrationSequence");
    rert_dataset_destroy(ds);
    /* Writer: same frames, a non-rigid matrix, no frame. */
    RertRegWriteOptions w = rert_reg_write_options_default();
    w.reference.frame_of_reference_uid = REF_FOR;
    w.moving.frame_of_reference_uid = REF_FOR;
    assert_null(rert_reg_build_dataset(&err, &w, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, REF_FOR));
    w.moving.frame_of_reference_uid = MOV_FOR;
    w.reference_to_moving.m[1][1] = 1.5;
    assert_null(rert_reg_build_dataset(&err, &w, NULL));
    assert_non_null(strstr(err.message, "not rigid"));
    w.reference_to_moving = m;
    w.moving.frame_of_reference_uid = NULL;
    assert_null(rert_reg_build_dataset(&err, &w, NULL));
    assert_non_null(strstr(err.message, "moving frame_of_reference_uid"));
    w.moving.frame_of_reference_uid = MOV_FOR;
    w.moving.instance_count = 3;
    assert_null(rert_reg_build_dataset(&err, &w, NULL));
    assert_non_null(strstr(err.message, "sop_instance_uids"));
}

/* ---- the two-course phantom */

/* Save the computed course 2 -> course 1 matrix as a REG that references
 * both CT series, check it with dciodvfy and read it back. */
static void save_phantom_reg(RertImageSeries *const series[2], RertMat4 m)
{
    RertRegImageSet sets[2];
    const char *uids[2][RERT_PHANTOM_DEFAULT_CT_SLICES];
    for (int c = 0; c < 2; c++) {
        const RertRtMeta *meta = rert_image_series_meta(series[c]);
        size_t n = rert_image_series_slice_count(series[c]);
        assert_true(n <= RERT_PHANTOM_DEFAULT_CT_SLICES);
        for (size_t k = 0; k < n; k++) {
            uids[c][k] = rert_image_series_slice_uid(series[c], k);
        }
        sets[c].frame_of_reference_uid = meta->frame_of_reference_uid;
        sets[c].study_instance_uid = meta->study_instance_uid;
        sets[c].series_instance_uid = meta->series_instance_uid;
        sets[c].sop_class_uid = meta->sop_class_uid;
        sets[c].sop_instance_uids = uids[c];
        sets[c].instance_count = n;
    }
    RertRegWriteOptions o = rert_reg_write_options_default();
    o.source = rert_image_series_header(series[1]);
    o.reference = sets[1];
    o.moving = sets[0];
    o.reference_to_moving = m;
    char path[600];
    snprintf(path, sizeof path, "%s/phantom_reg.dcm", rert_test_tmpdir());
    RertError err;
    rert_error_clear(&err);
    if (!rert_reg_save(&err, path, &o, NULL)) {
        print_error("%s\n", err.message);
        fail();
    }
    rert_test_dciodvfy(path);
    RertSpatialRegistration reg;
    assert_true(rert_reg_load(&err, path, NULL, &reg));
    assert_string_equal(reg.patient_id, RERT_PHANTOM_DEFAULT_PATIENT_ID);
    RertMat4 back;
    assert_true(rert_reg_matrix(&err, &reg, sets[1].frame_of_reference_uid,
                                sets[0].frame_of_reference_uid, &back));
    expect_matrix_near(back, m, 1e-9);
}

static void test_phantom_recovery(void **state)
{
    (void)state;
    char dir[512];
    char path[600];
    snprintf(dir, sizeof dir, "%s/phantom", rert_test_tmpdir());
    RertPhantomOptions po = rert_phantom_options_default();
    RertPhantomTruth truth;
    RertError err;
    rert_error_clear(&err);
    assert_true(rert_phantom_write_case(&err, dir, &po, &truth));
    RertImageSeries *series[2] = {NULL, NULL};
    for (int c = 0; c < 2; c++) {
        snprintf(path, sizeof path, "%s/course%d/ct", dir, c + 1);
        series[c] = rert_image_series_load(&err, path, NULL, NULL);
        if (series[c] == NULL) {
            print_error("%s: %s\n", path, err.message);
            fail();
        }
    }
    /* docs/phantom.md: x1 = M x2. Course 2 is the reference (fixed)
     * course, course 1 the prior (moving) one, so M is exactly the fixed
     * -> moving matrix we must recover. */
    RertRigidOptions o = rert_rigid_options_default();
    o.truth = &truth.course2_to_course1;
    RertRigidResult r;
    set_threads(2);
    if (!rert_rigid_register(&err, rert_image_series_volume(series[1]),
                             rert_image_series_volume(series[0]), &o, &r)) {
        print_error("phantom registration: %s\n", err.message);
        fail();
    }
    print_message("  phantom MI: rotation %.3f %.3f %.3f deg, translation "
                  "%.3f %.3f %.3f mm; error mean %.3f max %.3f mm, %.3f deg; "
                  "iterations %u/%u/%u, %zu evaluations, %.2f s\n",
                  r.rotation_deg[0], r.rotation_deg[1], r.rotation_deg[2],
                  r.translation_mm[0], r.translation_mm[1], r.translation_mm[2],
                  r.truth_mean_mm, r.truth_max_mm, r.truth_rotation_deg,
                  r.iterations[0], r.iterations[1], r.iterations[2],
                  r.metric_evaluations, r.seconds);
    assert_true(r.truth_max_mm <= 1.0);
    assert_true(r.truth_rotation_deg <= 0.5);
    /* TG-132: within half a voxel (the finest CT spacing, 1.5 mm). */
    assert_true(r.truth_max_mm <= 0.5 * po.ct_spacing_mm[0]);
    save_phantom_reg(series, r.fixed_to_moving);
    /* NCC, the CT-CT option, must do as well; from the MI result, at the
     * finest level only, to keep the test short. */
    o.metric = RERT_RIGID_METRIC_NCC;
    o.has_initial = true;
    o.initial = r.fixed_to_moving;
    o.levels = 1;
    assert_true(rert_rigid_register(&err, rert_image_series_volume(series[1]),
                                    rert_image_series_volume(series[0]), &o,
                                    &r));
    print_message("  phantom NCC: error mean %.3f max %.3f mm, %.3f deg, "
                  "%.2f s\n",
                  r.truth_mean_mm, r.truth_max_mm, r.truth_rotation_deg,
                  r.seconds);
    assert_true(r.truth_max_mm <= 1.0);
    assert_true(r.truth_rotation_deg <= 0.5);
    rert_image_series_destroy(series[0]);
    rert_image_series_destroy(series[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_convention),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_blobs_mi),
        cmocka_unit_test(test_blobs_ncc),
        cmocka_unit_test(test_blobs_mask_and_initial),
        cmocka_unit_test(test_blobs_threads),
        cmocka_unit_test(test_rigid_errors),
        cmocka_unit_test(test_reg_round_trip),
        cmocka_unit_test(test_reg_composition),
        cmocka_unit_test(test_reg_composition_three),
        cmocka_unit_test(test_reg_several_items),
        cmocka_unit_test(test_reg_errors),
        cmocka_unit_test(test_phantom_recovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
