/* Unit tests: the synthetic reirradiation case (docs/phantom.md), written
 * once and read back with the RT readers, plus option checks, the
 * analytic evaluators and the failure paths. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/phantom.h>
#include <rert/rt.h>

#include "rert_test.h"

#define TAG(g, e) RERT_TAG(g, e)

/* The case written once by the group setup. */
static char case_dir[512];
static RertPhantomOptions case_options;
static RertPhantomTruth case_truth;

static void path_in(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    assert_true(n > 0 && (size_t)n < size);
}

static int count_progress_calls;
static size_t last_done;
static size_t last_total;

static void on_progress(size_t done, size_t total, void *user)
{
    (void)user;
    count_progress_calls++;
    last_done = done;
    last_total = total;
}

static int write_case(void **state)
{
    (void)state;
    path_in(case_dir, sizeof case_dir, rert_test_tmpdir(), "case");
    case_options = rert_phantom_options_default();
    case_options.progress = on_progress;
    RertError err;
    rert_error_clear(&err);
    if (!rert_phantom_write_case(&err, case_dir, &case_options, &case_truth)) {
        print_error("phantom: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* ---- options and evaluators */

static void expect_invalid(RertPhantomOptions o, const char *field)
{
    RertError err;
    rert_error_clear(&err);
    assert_false(rert_phantom_options_check(&err, &o));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    if (strstr(err.message, field) == NULL) {
        print_error("message '%s' does not name '%s'\n", err.message, field);
        fail();
    }
}

static void test_options(void **state)
{
    (void)state;
    RertPhantomOptions d = rert_phantom_options_default();
    RertError err;
    assert_true(rert_phantom_options_check(&err, &d));
    assert_int_equal(d.ct_dims[0], 160);
    assert_int_equal(d.courses[0].fractions, 35);
    assert_int_equal(d.courses[1].fractions, 30);
    rert_assert_near(d.courses[0].prescription_gy, 70.0, 0, 0);
    RertPhantomOptions o = d;
    o.ct_dims[2] = 3;
    expect_invalid(o, "ct_dims[2]");
    o = d;
    o.rotation_deg[1] = 20.0;
    expect_invalid(o, "rotation_deg.y");
    o = d;
    o.translation_mm[0] = (double)NAN;
    expect_invalid(o, "translation_mm.x");
    o = d;
    o.courses[0].start_date = "20230230";
    expect_invalid(o, "courses[1].start_date");
    o = d;
    o.courses[1].start_date = "2025-02-03";
    expect_invalid(o, "courses[2].start_date");
    o = d;
    o.courses[1].start_date = "20220101";
    expect_invalid(o, "courses[2].start_date");
    o = d;
    o.courses[1].fractions = 0;
    expect_invalid(o, "courses[2].fractions");
    o = d;
    o.courses[0].cord_cap_gy = 75.0;
    expect_invalid(o, "courses[1].cord_cap_gy");
    o = d;
    o.patient_id = "A\\B";
    expect_invalid(o, "patient_id");
    assert_false(rert_phantom_options_check(&err, NULL));
}

static void test_transform(void **state)
{
    (void)state;
    RertPhantomOptions o = rert_phantom_options_default();
    RertMat4 m = rert_phantom_course2_to_course1(&o);
    assert_true(rert_mat4_is_rigid(m, 1e-12));
    for (int i = 0; i < 3; i++) {
        rert_assert_near(m.m[i][3], o.translation_mm[i], 0, 0);
    }
    /* 90 degrees about z maps +x to +y; about x maps +y to +z. */
    o.rotation_deg[0] = 0.0;
    o.rotation_deg[2] = 90.0;
    memset(o.translation_mm, 0, sizeof o.translation_mm);
    RertVec3 ex = {1, 0, 0};
    RertVec3 r = rert_mat4_apply_point(rert_phantom_course2_to_course1(&o), ex);
    rert_assert_near(r.x, 0.0, 1e-12, 0);
    rert_assert_near(r.y, 1.0, 1e-12, 0);
    o.rotation_deg[0] = 90.0;
    o.rotation_deg[2] = 0.0;
    RertVec3 ey = {0, 1, 0};
    r = rert_mat4_apply_point(rert_phantom_course2_to_course1(&o), ey);
    rert_assert_near(r.z, 1.0, 1e-12, 0);
    /* Course 2 sees the course-1 anatomy at M x2. */
    o = rert_phantom_options_default();
    m = rert_phantom_course2_to_course1(&o);
    RertVec3 x2 = {3.0, 35.0, -10.0};
    RertVec3 x1 = rert_mat4_apply_point(m, x2);
    rert_assert_near(
        rert_phantom_structure_sdf_mm(&o, 2, RERT_PHANTOM_SPINAL_CORD, x2),
        rert_phantom_structure_sdf_mm(&o, 1, RERT_PHANTOM_SPINAL_CORD, x1),
        1e-12, 0);
    rert_assert_near(rert_phantom_hu(&o, 2, x2), rert_phantom_hu(&o, 1, x1),
                     1e-9, 0);
}

static void test_evaluators(void **state)
{
    (void)state;
    const RertPhantomOptions *o = NULL; /* defaults */
    RertVec3 cord = rert_phantom_cord_center_mm(0.0);
    assert_true(rert_phantom_structure_sdf_mm(o, 1, RERT_PHANTOM_SPINAL_CORD,
                                              cord) < -4.0);
    rert_assert_near(rert_phantom_hu(o, 1, cord), 35.0, 1e-9, 0);
    RertVec3 air = {-110.0, -110.0, 0.0};
    rert_assert_near(rert_phantom_hu(o, 1, air), -1000.0, 0, 0);
    rert_assert_near(rert_phantom_dose_gy(o, 1, air), 0.0, 0, 0);
    RertVec3 vb = {0.0, cord.y - 22.0, 13.0}; /* vertebral body, no disc */
    rert_assert_near(rert_phantom_hu(o, 1, vb), 700.0, 1e-9, 0);
    assert_true(isnan(rert_phantom_hu(o, 0, cord)));
    assert_true(isnan(rert_phantom_dose_gy(o, 3, cord)));
    assert_true(isnan(rert_phantom_structure_sdf_mm(
        o, 1, RERT_PHANTOM_STRUCTURE_COUNT, cord)));
    assert_true(isinf(
        rert_phantom_structure_sdf_mm(o, 2, RERT_PHANTOM_PTV_ELECTIVE, cord)));
    char buf[32];
    assert_string_equal(
        rert_phantom_structure_name(o, 1, RERT_PHANTOM_PTV, buf, sizeof buf),
        "PTV_70");
    assert_string_equal(
        rert_phantom_structure_name(o, 2, RERT_PHANTOM_PTV, buf, sizeof buf),
        "PTV_60");
    assert_string_equal(rert_phantom_structure_name(
                            o, 1, RERT_PHANTOM_PTV_ELECTIVE, buf, sizeof buf),
                        "PTV_56");
    assert_null(rert_phantom_structure_name(o, 2, RERT_PHANTOM_PTV_ELECTIVE,
                                            buf, sizeof buf));
    assert_string_equal(
        rert_phantom_structure_name(o, 2, RERT_PHANTOM_BODY, NULL, 0), "BODY");
    /* Prescription plateau at the target centre of course 1. */
    RertVec3 gtv = {-18.0, -12.0, 28.0};
    double d = rert_phantom_dose_gy(o, 1, gtv);
    assert_true(d > 70.0 && d < 73.0);
}

/* ---- the written case */

static RertImageSeries *load_ct(unsigned course)
{
    char dir[600];
    (void)snprintf(dir, sizeof dir, "%s/course%u/ct", case_dir, course);
    RertError err;
    RertImageSeries *s = rert_image_series_load(&err, dir, NULL, NULL);
    if (s == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(s);
    return s;
}

static void check_ct(unsigned course)
{
    RertImageSeries *s = load_ct(course);
    const RertVolume *v = rert_image_series_volume(s);
    const RertGridGeometry *g = rert_volume_geometry(v);
    assert_int_equal(g->dims[0], 160);
    assert_int_equal(g->dims[1], 160);
    assert_int_equal(g->dims[2], 60);
    rert_assert_near(g->spacing_mm[0], 1.5, 1e-9, 0);
    rert_assert_near(g->spacing_mm[2], 3.0, 1e-6, 0);
    rert_assert_near(g->origin_mm[0], -119.25, 1e-9, 0);
    rert_assert_near(g->origin_mm[2], -88.5, 1e-9, 0);
    assert_string_equal(rert_image_series_meta(s)->patient_id, "RERT-DEMO-001");
    assert_string_equal(rert_image_series_meta(s)->frame_of_reference_uid,
                        case_truth.courses[course - 1].frame_of_reference_uid);
    /* Every voxel of every third slice (and the last) is the analytic HU
     * within the noise and rounding. */
    const float *data = rert_volume_data_const(v);
    double worst = 0.0;
    for (size_t k = 0; k < g->dims[2];
         k = (k + 3 < g->dims[2] || k + 1 == g->dims[2]) ? k + 3
                                                         : g->dims[2] - 1) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 xyz = rert_grid_ijk_to_xyz(g, ijk);
                double hu = rert_phantom_hu(&case_options, course, xyz);
                double diff =
                    fabs((double)data[rert_grid_index(g, i, j, k)] - hu);
                worst = fmax(worst, diff);
            }
        }
    }
    rert_assert_near(worst, 0.0, case_options.noise_hu + 0.5, 0);
    rert_image_series_destroy(s);
}

static void test_ct_course1(void **state)
{
    (void)state;
    check_ct(1);
    /* Known points on slice k = 30 (z = 1.5 mm): cord centre, air. */
    RertImageSeries *s = load_ct(1);
    const RertVolume *v = rert_image_series_volume(s);
    RertVec3 cord = rert_phantom_cord_center_mm(1.5);
    rert_assert_near((double)rert_volume_sample(v, cord, NAN), 35.0,
                     case_options.noise_hu + 0.5, 0);
    RertVec3 corner = {-118.0, -118.0, 1.5};
    rert_assert_near((double)rert_volume_sample(v, corner, NAN), -1000.0,
                     case_options.noise_hu + 0.5, 0);
    rert_image_series_destroy(s);
}

static void test_ct_course2(void **state)
{
    (void)state;
    check_ct(2);
}

static const char *slice_uid_at_z(const RertImageSeries *s, double z)
{
    const RertGridGeometry *g =
        rert_volume_geometry(rert_image_series_volume(s));
    RertVec3 xyz = {0.0, 0.0, z};
    double k = rert_grid_xyz_to_ijk(g, xyz).z;
    if (fabs(k - round(k)) > 1e-6 || k < 0 || k > (double)g->dims[2] - 1) {
        return NULL;
    }
    return rert_image_series_slice_uid(s, (size_t)round(k));
}

/* Every contour item references the CT slice in its plane. */
static void check_contour_references(const char *rs_path,
                                     const RertImageSeries *ct)
{
    RertError err;
    RertDataset *ds = rert_dicom_load(&err, rs_path, NULL, NULL);
    assert_non_null(ds);
    size_t contours = 0;
    size_t rois = rert_dataset_item_count(ds, TAG(0x3006, 0x0039));
    for (size_t r = 0; r < rois; r++) {
        const RertDataset *rc = rert_dataset_item(ds, TAG(0x3006, 0x0039), r);
        size_t n = rert_dataset_item_count(rc, TAG(0x3006, 0x0040));
        for (size_t c = 0; c < n; c++) {
            const RertDataset *item =
                rert_dataset_item(rc, TAG(0x3006, 0x0040), c);
            double z = 0.0;
            assert_true(rert_dataset_get_double(&err, item, TAG(0x3006, 0x0050),
                                                2, &z));
            const RertDataset *img =
                rert_dataset_item(item, TAG(0x3006, 0x0016), 0);
            assert_non_null(img);
            char uid[RERT_UID_SIZE];
            assert_true(rert_dataset_get_string(&err, img, TAG(0x0008, 0x1155),
                                                0, uid, sizeof uid));
            const char *expected = slice_uid_at_z(ct, z);
            assert_non_null(expected);
            assert_string_equal(uid, expected);
            contours++;
        }
    }
    assert_true(contours > 200);
    rert_dataset_destroy(ds);
}

/* Polygon area centroid. */
static RertVec3 centroid(RertPolygon p)
{
    double a = 0.0;
    double cx = 0.0;
    double cy = 0.0;
    for (size_t i = 0; i < p.count; i++) {
        const RertVec3 *u = &p.points_mm[i];
        const RertVec3 *w = &p.points_mm[(i + 1) % p.count];
        double cross = u->x * w->y - w->x * u->y;
        a += cross;
        cx += (u->x + w->x) * cross;
        cy += (u->y + w->y) * cross;
    }
    RertVec3 c = {cx / (3.0 * a), cy / (3.0 * a), p.points_mm[0].z};
    return c;
}

/* Every contour point lies on its structure's surface. */
static void check_contour_points(const RertStructureSet *ss, unsigned course)
{
    for (unsigned s = 0; s < RERT_PHANTOM_STRUCTURE_COUNT; s++) {
        char buf[32];
        const char *name = rert_phantom_structure_name(
            &case_options, course, (RertPhantomStructure)s, buf, sizeof buf);
        if (name == NULL) {
            continue;
        }
        const RertRoi *roi = rert_structure_set_roi_by_name(ss, name);
        assert_non_null(roi);
        assert_int_equal(rert_roi_status(roi), RERT_OK);
        assert_true(rert_roi_contour_count(roi) > 0);
        double worst = 0.0;
        for (size_t c = 0; c < rert_roi_contour_count(roi); c++) {
            RertContourType type;
            RertPolygon p = rert_roi_contour(roi, c, &type);
            assert_int_equal(type, RERT_CONTOUR_CLOSED_PLANAR);
            assert_true(p.count >= 64 && p.count <= 128);
            for (size_t q = 0; q < p.count; q++) {
                double d = rert_phantom_structure_sdf_mm(
                    &case_options, course, (RertPhantomStructure)s,
                    p.points_mm[q]);
                worst = fmax(worst, fabs(d));
            }
        }
        /* Marching squares on a 0.25-1 mm lattice, 0.01 mm text: exact
         * but for chords across the mandible's corners. */
        if (worst > 0.2) {
            print_error("%s: a contour point is %.3f mm off the surface\n",
                        name, worst);
            fail();
        }
    }
}

static RertStructureSet *load_rs(unsigned course, char *path, size_t size)
{
    (void)snprintf(path, size, "%s/course%u/RS.dcm", case_dir, course);
    RertError err;
    RertStructureSet *ss = rert_structure_set_load(&err, path, NULL);
    if (ss == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(ss);
    return ss;
}

static void test_structure_set_course1(void **state)
{
    (void)state;
    char path[600];
    RertStructureSet *ss = load_rs(1, path, sizeof path);
    assert_int_equal(rert_structure_set_roi_count(ss), 12);
    assert_string_equal(rert_structure_set_meta(ss)->frame_of_reference_uid,
                        case_truth.courses[0].frame_of_reference_uid);
    assert_string_equal(rert_structure_set_meta(ss)->sop_instance_uid,
                        case_truth.courses[0].structure_set_uid);
    const RertRoi *body = rert_structure_set_roi_at(ss, 0);
    assert_string_equal(rert_roi_name(body), "BODY");
    assert_string_equal(rert_roi_interpreted_type(body), "EXTERNAL");
    const RertRoi *ptv = rert_structure_set_roi_by_name(ss, "PTV_70");
    assert_non_null(ptv);
    assert_int_equal(rert_roi_number(ptv), 11);
    assert_string_equal(rert_roi_interpreted_type(ptv), "PTV");
    uint8_t rgb[3];
    assert_true(rert_roi_color(ptv, rgb));
    assert_non_null(rert_structure_set_roi_by_name(ss, "PTV_56"));
    /* BODY on every slice; cord below the foramen magnum only. */
    assert_int_equal(rert_roi_contour_count(body), 60);
    const RertRoi *cord = rert_structure_set_roi_by_name(ss, "SpinalCord");
    assert_string_equal(rert_roi_interpreted_type(cord), "ORGAN");
    assert_int_equal(rert_roi_contour_count(cord), 47); /* z <= 50 mm */
    /* The cord contour's centroid on a slice is the analytic centre. */
    bool found = false;
    for (size_t c = 0; c < rert_roi_contour_count(cord); c++) {
        RertPolygon p = rert_roi_contour(cord, c, NULL);
        if (fabs(p.points_mm[0].z - 1.5) < 1e-6) {
            RertVec3 got = centroid(p);
            RertVec3 want = rert_phantom_cord_center_mm(1.5);
            rert_assert_near(got.x, want.x, 0.02, 0);
            rert_assert_near(got.y, want.y, 0.02, 0);
            found = true;
        }
    }
    assert_true(found);
    check_contour_points(ss, 1);
    RertImageSeries *ct = load_ct(1);
    check_contour_references(path, ct);
    rert_image_series_destroy(ct);
    rert_structure_set_destroy(ss);
}

static void test_structure_set_course2(void **state)
{
    (void)state;
    char path[600];
    RertStructureSet *ss = load_rs(2, path, sizeof path);
    assert_int_equal(rert_structure_set_roi_count(ss), 11);
    assert_non_null(rert_structure_set_roi_by_name(ss, "PTV_60"));
    assert_null(rert_structure_set_roi_by_name(ss, "PTV_56"));
    assert_string_equal(rert_structure_set_meta(ss)->frame_of_reference_uid,
                        case_truth.courses[1].frame_of_reference_uid);
    /* The cord centroid on a course-2 slice is the anatomy's cord centre
     * seen through the inverse transform (within the small tilt's
     * effect). */
    const RertRoi *cord = rert_structure_set_roi_by_name(ss, "SpinalCord");
    RertMat4 m = rert_phantom_course2_to_course1(&case_options);
    RertMat4 inv;
    assert_true(rert_mat4_invert(NULL, m, &inv));
    for (size_t c = 0; c < rert_roi_contour_count(cord); c++) {
        RertPolygon p = rert_roi_contour(cord, c, NULL);
        if (fabs(p.points_mm[0].z - 1.5) < 1e-6) {
            RertVec3 got = centroid(p);
            RertVec3 z1 = rert_mat4_apply_point(m, got);
            RertVec3 want =
                rert_mat4_apply_point(inv, rert_phantom_cord_center_mm(z1.z));
            rert_assert_near(got.x, want.x, 0.1, 0);
            rert_assert_near(got.y, want.y, 0.1, 0);
        }
    }
    check_contour_points(ss, 2);
    RertImageSeries *ct = load_ct(2);
    check_contour_references(path, ct);
    rert_image_series_destroy(ct);
    rert_structure_set_destroy(ss);
}

static void check_plan(unsigned course, long fractions, double rx, size_t beams)
{
    char path[600];
    (void)snprintf(path, sizeof path, "%s/course%u/RP.dcm", case_dir, course);
    RertError err;
    RertPlan *plan = rert_plan_load(&err, path, NULL);
    assert_non_null(plan);
    long n = 0;
    assert_true(rert_plan_fractions(&err, plan, 0, &n));
    assert_int_equal(n, fractions);
    double gy = 0.0;
    assert_true(rert_plan_prescription_gy(plan, &gy));
    rert_assert_near(gy, rx, 1e-9, 0);
    assert_int_equal(rert_plan_beam_count(plan), beams);
    const RertBeam *b = rert_plan_beam_at(plan, 0);
    assert_int_equal(b->radiation_type, RERT_RADIATION_PHOTON);
    assert_string_equal(b->treatment_delivery_type, "TREATMENT");
    const RertFractionGroup *fg = rert_plan_fraction_group_at(plan, 0);
    assert_true(fg->has_dose_per_fraction);
    rert_assert_near(fg->dose_per_fraction_gy, rx / (double)fractions, 1e-6, 0);
    assert_string_equal(rert_plan_referenced_structure_set_uid(plan),
                        case_truth.courses[course - 1].structure_set_uid);
    assert_string_equal(rert_plan_meta(plan)->sop_instance_uid,
                        case_truth.courses[course - 1].plan_uid);
    assert_string_equal(rert_plan_meta(plan)->frame_of_reference_uid,
                        case_truth.courses[course - 1].frame_of_reference_uid);
    rert_plan_destroy(plan);
}

static void test_plans(void **state)
{
    (void)state;
    check_plan(1, 35, 70.0, 7);
    check_plan(2, 30, 60.0, 9);
}

static void check_dose(unsigned course)
{
    char path[600];
    (void)snprintf(path, sizeof path, "%s/course%u/RD.dcm", case_dir, course);
    RertError err;
    RertDose *dose = rert_dose_load(&err, path, NULL);
    assert_non_null(dose);
    const RertPhantomCourseTruth *t = &case_truth.courses[course - 1];
    assert_int_equal(rert_dose_type(dose), RERT_DOSE_TYPE_PHYSICAL);
    assert_string_equal(rert_dose_summation_type(dose), "PLAN");
    assert_string_equal(rert_dose_referenced_plan_uid(dose), t->plan_uid);
    assert_string_equal(rert_dose_meta(dose)->frame_of_reference_uid,
                        t->frame_of_reference_uid);
    assert_string_equal(rert_dose_meta(dose)->study_instance_uid,
                        t->study_instance_uid);
    assert_string_equal(rert_dose_meta(dose)->patient_id, "RERT-DEMO-001");
    const RertVolume *v = rert_dose_volume(dose);
    float max = 0.0f;
    rert_volume_minmax(v, NULL, &max);
    assert_true((double)max > t->prescription_gy &&
                (double)max < 1.06 * t->prescription_gy);
    /* Every voxel is the analytic dose within a DoseGridScaling step plus
     * float rounding. */
    const RertGridGeometry *g = rert_volume_geometry(v);
    assert_true(g->spacing_mm[0] == 3.0);
    const float *data = rert_volume_data_const(v);
    double step = rert_dose_grid_scaling(dose);
    double worst = 0.0;
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 xyz = rert_grid_ijk_to_xyz(g, ijk);
                double want = rert_phantom_dose_gy(&case_options, course, xyz);
                double got = (double)data[rert_grid_index(g, i, j, k)];
                worst = fmax(worst, fabs(got - want) - 1e-6 * want);
            }
        }
    }
    rert_assert_near(worst, 0.0, step, 0);
    /* The recorded cord maximum is the model's dose at that point, near
     * the course's cap. */
    rert_assert_near(
        rert_phantom_dose_gy(&case_options, course, t->cord_max_xyz_mm),
        t->cord_max_gy, 1e-9, 1e-9);
    double cap = case_options.courses[course - 1].cord_cap_gy;
    assert_true(t->cord_max_gy > 0.85 * cap && t->cord_max_gy < 1.05 * cap);
    assert_true(rert_phantom_structure_sdf_mm(&case_options, course,
                                              RERT_PHANTOM_SPINAL_CORD,
                                              t->cord_max_xyz_mm) <= 0.0);
    rert_dose_destroy(dose);
}

static void test_doses(void **state)
{
    (void)state;
    check_dose(1);
    check_dose(2);
}

static void test_courses_differ(void **state)
{
    (void)state;
    const RertPhantomCourseTruth *a = &case_truth.courses[0];
    const RertPhantomCourseTruth *b = &case_truth.courses[1];
    assert_string_not_equal(a->frame_of_reference_uid,
                            b->frame_of_reference_uid);
    assert_string_not_equal(a->study_instance_uid, b->study_instance_uid);
    assert_string_not_equal(a->dose_uid, b->dose_uid);
    assert_int_equal(case_truth.file_count, 2 * (60 + 3) + 1);
    assert_true(case_truth.total_bytes > 5000000 &&
                case_truth.total_bytes < 40000000);
    assert_int_equal(count_progress_calls, 2 * 60 + 7);
    assert_int_equal(last_done, last_total);
}

static double json_number(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static void test_truth_json(void **state)
{
    (void)state;
    char path[600];
    path_in(path, sizeof path, case_dir, "truth.json");
    RertBytes bytes;
    RertError err;
    assert_true(rert_file_load(&err, path, 1 << 20, &bytes));
    cJSON *root = cJSON_ParseWithLength((const char *)bytes.data, bytes.size);
    rert_bytes_clear(&bytes);
    assert_non_null(root);
    const cJSON *tr =
        cJSON_GetObjectItemCaseSensitive(root, "course2_to_course1");
    const cJSON *matrix = cJSON_GetObjectItemCaseSensitive(tr, "matrix");
    assert_int_equal(cJSON_GetArraySize(matrix), 4);
    RertMat4 m = rert_phantom_course2_to_course1(&case_options);
    for (int r = 0; r < 4; r++) {
        const cJSON *row = cJSON_GetArrayItem(matrix, r);
        for (int c = 0; c < 4; c++) {
            rert_assert_near(cJSON_GetArrayItem(row, c)->valuedouble, m.m[r][c],
                             1e-9, 0);
        }
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(tr, "translation_mm");
    rert_assert_near(cJSON_GetArrayItem(t, 2)->valuedouble, 4.5, 0, 0);
    /* No deformation by default (test_phantom_deform.c tests one). */
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(tr, "deformation");
    rert_assert_near(json_number(def, "peak_mm"), 0.0, 0, 0);
    const cJSON *courses = cJSON_GetObjectItemCaseSensitive(root, "courses");
    assert_int_equal(cJSON_GetArraySize(courses), 2);
    for (int c = 0; c < 2; c++) {
        const cJSON *course = cJSON_GetArrayItem(courses, c);
        const cJSON *frame =
            cJSON_GetObjectItemCaseSensitive(course, "frame_of_reference_uid");
        assert_true(cJSON_IsString(frame));
        assert_string_equal(frame->valuestring,
                            case_truth.courses[c].frame_of_reference_uid);
        rert_assert_near(json_number(course, "prescription_gy"),
                         case_options.courses[c].prescription_gy, 0, 0);
        rert_assert_near(json_number(course, "fractions"),
                         (double)case_options.courses[c].fractions, 0, 0);
        rert_assert_near(json_number(course, "cord_max_gy"),
                         case_truth.courses[c].cord_max_gy, 1e-6, 0);
    }
    const cJSON *sum =
        cJSON_GetObjectItemCaseSensitive(root, "cord_cumulative");
    double physical = json_number(sum, "physical_max_gy");
    assert_true(physical > case_truth.courses[0].cord_max_gy &&
                physical <= case_truth.courses[0].cord_max_gy +
                                case_truth.courses[1].cord_max_gy + 1e-6);
    rert_assert_near(physical, case_truth.cord_sum_physical_gy, 1e-6, 0);
    rert_assert_near(json_number(sum, "eqd2_max_gy"),
                     case_truth.cord_sum_eqd2_gy, 1e-6, 0);
    rert_assert_near(json_number(sum, "alpha_beta_gy"), 2.0, 0, 0);
    rert_assert_near(json_number(sum, "eqd2_d003cc_gy"),
                     case_truth.cord_sum_eqd2_d003cc_gy, 1e-6, 0);
    assert_true(case_truth.cord_sum_eqd2_d003cc_gy <
                case_truth.cord_sum_eqd2_gy);
    /* EQD2 at alpha/beta 2 of doses below 2 Gy per fraction is below the
     * physical sum. */
    assert_true(case_truth.cord_sum_eqd2_gy > 0.5 * physical &&
                case_truth.cord_sum_eqd2_gy < physical);
    cJSON_Delete(root);
}

/* ---- regression: the rigid case does not change */

/* FNV-1a over @p size bytes, continuing from @p h. */
static uint64_t fnv(uint64_t h, const void *data, size_t size)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < size; i++) {
        h = (h ^ b[i]) * 0x100000001B3u;
    }
    return h;
}

#define FNV_START 0xCBF29CE484222325u

static uint64_t hash_ct(unsigned course)
{
    RertImageSeries *s = load_ct(course);
    const RertVolume *v = rert_image_series_volume(s);
    uint64_t h =
        fnv(FNV_START, rert_volume_data_const(v),
            rert_grid_voxel_count(rert_volume_geometry(v)) * sizeof(float));
    rert_image_series_destroy(s);
    return h;
}

static uint64_t hash_dose(unsigned course)
{
    char path[600];
    (void)snprintf(path, sizeof path, "%s/course%u/RD.dcm", case_dir, course);
    RertError err;
    RertDose *dose = rert_dose_load(&err, path, NULL);
    assert_non_null(dose);
    const RertVolume *v = rert_dose_volume(dose);
    uint64_t h = fnv(FNV_START, rert_volume_geometry(v)->dims,
                     sizeof rert_volume_geometry(v)->dims);
    h = fnv(h, rert_volume_data_const(v),
            rert_grid_voxel_count(rert_volume_geometry(v)) * sizeof(float));
    rert_dose_destroy(dose);
    return h;
}

static uint64_t hash_contours(unsigned course)
{
    char path[600];
    RertStructureSet *ss = load_rs(course, path, sizeof path);
    uint64_t h = FNV_START;
    for (size_t r = 0; r < rert_structure_set_roi_count(ss); r++) {
        const RertRoi *roi = rert_structure_set_roi_at(ss, r);
        for (size_t c = 0; c < rert_roi_contour_count(roi); c++) {
            RertPolygon p = rert_roi_contour(roi, c, NULL);
            h = fnv(h, p.points_mm, p.count * sizeof *p.points_mm);
        }
    }
    rert_structure_set_destroy(ss);
    return h;
}

static uint64_t hash_truth(void)
{
    uint64_t h = FNV_START;
    for (unsigned c = 0; c < RERT_PHANTOM_COURSES; c++) {
        const RertPhantomCourseTruth *t = &case_truth.courses[c];
        h = fnv(h, &t->cord_max_gy, sizeof t->cord_max_gy);
        h = fnv(h, &t->cord_max_xyz_mm, sizeof t->cord_max_xyz_mm);
        h = fnv(h, &t->cord_max_course1_xyz_mm,
                sizeof t->cord_max_course1_xyz_mm);
    }
    h = fnv(h, &case_truth.cord_sum_physical_gy,
            sizeof case_truth.cord_sum_physical_gy);
    return fnv(h, &case_truth.cord_sum_eqd2_gy,
               sizeof case_truth.cord_sum_eqd2_gy);
}

/* With the deformation off (the default) the case is bit for bit what it
 * was before the deformation existed: checksums recorded then of the CT
 * numbers, dose values and contour points as read back, and of the cord
 * truth (the CT and contour checksums re-recorded when the brainstem got
 * its top at z = 78 mm; doses and the cord truth did not change). */
static void test_rigid_unchanged(void **state)
{
    (void)state;
    const uint64_t got[7] = {hash_ct(1),   hash_ct(2),       hash_dose(1),
                             hash_dose(2), hash_contours(1), hash_contours(2),
                             hash_truth()};
    static const uint64_t want[7] = {0xf95a9e9462d04fa5u, 0xfcfcbe8533248d77u,
                                     0x17f80728159cf453u, 0x774b9c674df8c3dau,
                                     0xd08f4965d54cff02u, 0x20d7a0e7fbf32ed7u,
                                     0xa8365a211c43e529u};
    static const char *const what[7] = {"CT 1", "CT 2", "RD 1",      "RD 2",
                                        "RS 1", "RS 2", "cord truth"};
    bool same = true;
    for (int i = 0; i < 7; i++) {
        if (got[i] != want[i]) {
            print_error("%s: checksum 0x%016llx, recorded 0x%016llx\n", what[i],
                        (unsigned long long)got[i],
                        (unsigned long long)want[i]);
            same = false;
        }
    }
    assert_true(same);
}

/* ---- folders and failures */

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    (void)closedir(d);
    return n;
}

static RertPhantomOptions small_options(void)
{
    RertPhantomOptions o = rert_phantom_options_default();
    o.ct_dims[0] = 48;
    o.ct_dims[1] = 48;
    o.ct_dims[2] = 10;
    o.ct_spacing_mm[0] = 4.0;
    o.ct_spacing_mm[1] = 4.0;
    o.ct_spacing_mm[2] = 6.0;
    o.dose_grid_mm = 8.0;
    return o;
}

static void test_non_empty_folder(void **state)
{
    (void)state;
    RertError err;
    RertPhantomOptions o = small_options();
    RertPhantomTruth t;
    assert_false(rert_phantom_write_case(&err, case_dir, &o, &t));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, case_dir));
    assert_non_null(strstr(err.message, "not empty"));
    /* Overwrite replaces our three outputs, keeps other files. */
    char dir[600];
    char keep[700];
    path_in(dir, sizeof dir, rert_test_tmpdir(), "overwrite");
    assert_true(rert_phantom_write_case(&err, dir, &o, &t));
    path_in(keep, sizeof keep, dir, "notes.txt");
    assert_true(rert_file_save_atomic(&err, keep, "x", 1));
    RertPhantomTruth t2;
    assert_false(rert_phantom_write_case(&err, dir, &o, &t2));
    o.overwrite = true;
    assert_true(rert_phantom_write_case(&err, dir, &o, &t2));
    assert_string_not_equal(t.courses[0].frame_of_reference_uid,
                            t2.courses[0].frame_of_reference_uid);
    assert_int_equal(entries(dir), 4); /* course1 course2 truth notes */
    char ct[700];
    path_in(ct, sizeof ct, dir, "course1/ct");
    assert_int_equal(entries(ct), 10);
    RertImageSeries *s = rert_image_series_load(&err, ct, NULL, NULL);
    assert_non_null(s);
    assert_string_equal(rert_image_series_meta(s)->frame_of_reference_uid,
                        t2.courses[0].frame_of_reference_uid);
    rert_image_series_destroy(s);
}

static void test_bad_folders(void **state)
{
    (void)state;
    RertError err;
    RertPhantomOptions o = small_options();
    char file[600];
    char below[700];
    path_in(file, sizeof file, rert_test_tmpdir(), "a-file");
    assert_true(rert_file_save_atomic(&err, file, "x", 1));
    assert_false(rert_phantom_write_case(&err, file, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, file));
    path_in(below, sizeof below, file, "case");
    assert_false(rert_phantom_write_case(&err, below, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_false(rert_phantom_write_case(&err, "", &o, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
}

/* A failure at any allocation leaves no output at all. */
static void test_failure_leaves_nothing(void **state)
{
    (void)state;
    RertPhantomOptions o = small_options();
    char dir[600];
    path_in(dir, sizeof dir, rert_test_tmpdir(), "fail");
    size_t failures = 0;
    bool succeeded = false;
    for (size_t nth = 1; !succeeded && nth < 100000000; nth = nth * 3 + 1) {
        RertError err;
        rert_error_clear(&err);
        rert_alloc_fail_at(nth);
        succeeded = rert_phantom_write_case(&err, dir, &o, NULL);
        rert_alloc_fail_at(0);
        if (!succeeded) {
            assert_int_equal(err.code, RERT_ERR_NOMEM);
            assert_non_null(strstr(err.message, dir));
            struct stat st;
            assert_int_not_equal(stat(dir, &st), 0); /* not even the folder */
            failures++;
        }
    }
    assert_true(succeeded);
    assert_true(failures >= 8);
    assert_int_equal(entries(dir), 3);
}

static void test_unwritable_folder(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        print_message("[ SKIP     ] running as root: permissions are not "
                      "enforced\n");
        skip();
    }
    char dir[600];
    path_in(dir, sizeof dir, rert_test_tmpdir(), "readonly");
    assert_int_equal(mkdir(dir, 0555), 0);
    RertError err;
    RertPhantomOptions o = small_options();
    assert_false(rert_phantom_write_case(&err, dir, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, dir));
    assert_int_equal(entries(dir), 0);
}

/* Lines of @p command's output starting with "Error" (printed). */
static size_t tool_errors(const char *command, size_t *lines)
{
    FILE *p = popen(command, "r");
    assert_non_null(p);
    char line[2048];
    size_t errors = 0;
    *lines = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        (*lines)++;
        if (strncmp(line, "Error", 5) == 0) {
            print_error("%s", line);
            errors++;
        }
    }
    (void)pclose(p);
    return errors;
}

/* dciodvfy (dicom3tools) finds no errors in any object, and dcentvfy none
 * across the objects of a course. */
static void test_dciodvfy(void **state)
{
    (void)state;
    if (access("/usr/bin/dciodvfy", X_OK) != 0) {
        print_message("[ SKIP     ] /usr/bin/dciodvfy is not installed\n");
        skip();
    }
    static const char *const files[] = {
        "course1/ct/CT0001.dcm", "course1/RS.dcm",        "course1/RP.dcm",
        "course1/RD.dcm",        "course2/ct/CT0060.dcm", "course2/RS.dcm",
        "course2/RP.dcm",        "course2/RD.dcm"};
    char command[1200];
    size_t lines = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        (void)snprintf(command, sizeof command,
                       "/usr/bin/dciodvfy '%s/%s' 2>&1", case_dir, files[i]);
        assert_int_equal(tool_errors(command, &lines), 0);
        assert_true(lines > 0); /* it names the IOD it checked */
    }
    if (access("/usr/bin/dcentvfy", X_OK) != 0) {
        return;
    }
    for (unsigned c = 1; c <= 2; c++) {
        (void)snprintf(command, sizeof command,
                       "cd '%s/course%u' && /usr/bin/dcentvfy ct/*.dcm RS.dcm "
                       "RP.dcm RD.dcm 2>&1",
                       case_dir, c);
        assert_int_equal(tool_errors(command, &lines), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_transform),
        cmocka_unit_test(test_evaluators),
        cmocka_unit_test(test_ct_course1),
        cmocka_unit_test(test_ct_course2),
        cmocka_unit_test(test_structure_set_course1),
        cmocka_unit_test(test_structure_set_course2),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_doses),
        cmocka_unit_test(test_courses_differ),
        cmocka_unit_test(test_truth_json),
        cmocka_unit_test(test_rigid_unchanged),
        cmocka_unit_test(test_non_empty_folder),
        cmocka_unit_test(test_bad_folders),
        cmocka_unit_test(test_failure_leaves_nothing),
        cmocka_unit_test(test_unwritable_folder),
        cmocka_unit_test(test_dciodvfy),
    };
    return cmocka_run_group_tests(tests, write_case, NULL);
}
