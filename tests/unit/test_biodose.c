/* Unit tests: course dose -> EQD2/BED with per-ROI alpha/beta maps. */
#include <math.h>
#include <string.h>

#include <rert/biodose.h>
#include <rert/dicom.h>

#include "rert_test.h"

#define FRAME_UID "2.25.1234"

/* A 20 x 20 x 10 grid of 2 mm voxels from (0,0,0), uniform dose. */
static RertVolume *uniform_dose(float gy)
{
    RertGridGeometry g;
    const size_t dims[3] = {20, 20, 10};
    const double origin[3] = {0, 0, 0};
    const double spacing[3] = {2, 2, 2};
    const double dir[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    assert_true(
        rert_grid_geometry_make(NULL, dims, origin, spacing, dir, 0, &g));
    RertVolume *v = rert_volume_create(NULL, &g);
    assert_non_null(v);
    float *d = rert_volume_data(v);
    for (size_t i = 0; i < rert_grid_voxel_count(&g); i++) {
        d[i] = gy;
    }
    return v;
}

/* Add a ROI that is the box [x0,x1] x [y0,y1] contoured on every plane
 * z = 0, 2, ..., 18 mm. */
static void add_box_roi(RertDataset *ds,
                        long number,
                        const char *name,
                        double x0,
                        double x1,
                        double y0,
                        double y1)
{
    RertDataset *roi =
        rert_dataset_add_item(NULL, ds, RERT_TAG(0x3006, 0x0020));
    assert_non_null(roi);
    assert_true(
        rert_dataset_set_is(NULL, roi, RERT_TAG(0x3006, 0x0022), &number, 1));
    assert_true(rert_dataset_set_string(NULL, roi, RERT_TAG(0x3006, 0x0026),
                                        "LO", name));
    assert_true(rert_dataset_set_string(NULL, roi, RERT_TAG(0x3006, 0x0024),
                                        "UI", FRAME_UID));
    RertDataset *rc = rert_dataset_add_item(NULL, ds, RERT_TAG(0x3006, 0x0039));
    assert_non_null(rc);
    assert_true(
        rert_dataset_set_is(NULL, rc, RERT_TAG(0x3006, 0x0084), &number, 1));
    for (int k = 0; k < 10; k++) {
        double z = 2.0 * k;
        double pts[12] = {x0, y0, z, x1, y0, z, x1, y1, z, x0, y1, z};
        long four = 4;
        RertDataset *c =
            rert_dataset_add_item(NULL, rc, RERT_TAG(0x3006, 0x0040));
        assert_non_null(c);
        assert_true(rert_dataset_set_string(NULL, c, RERT_TAG(0x3006, 0x0042),
                                            "CS", "CLOSED_PLANAR"));
        assert_true(
            rert_dataset_set_is(NULL, c, RERT_TAG(0x3006, 0x0046), &four, 1));
        assert_true(
            rert_dataset_set_ds(NULL, c, RERT_TAG(0x3006, 0x0050), pts, 12));
    }
}

static RertStructureSet *two_boxes(void)
{
    RertDataset *ds = rert_dataset_create(NULL);
    assert_non_null(ds);
    assert_true(rert_dataset_set_string(NULL, ds, RERT_TAG(0x0008, 0x0060),
                                        "CS", "RTSTRUCT"));
    assert_true(rert_dataset_set_string(NULL, ds, RERT_TAG(0x0020, 0x0052),
                                        "UI", FRAME_UID));
    /* Box A: x 4..20, y 4..20 (ab 10); box B: x 12..28, y 4..20 (ab 2):
     * they overlap in x 12..20. Edges lie on voxel boundaries (odd mm). */
    add_box_roi(ds, 1, "BoxA", 3, 21, 3, 21);
    add_box_roi(ds, 7, "BoxB", 11, 29, 3, 21);
    RertError err;
    RertStructureSet *ss = rert_structure_set_from_dataset(&err, ds, NULL);
    rert_dataset_destroy(ds);
    if (ss == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(ss);
    return ss;
}

static double eqd2(double total, double n, double ab)
{
    return total * (total / n + ab) / (2.0 + ab);
}

static double at(const RertVolume *v, size_t i, size_t j, size_t k)
{
    return (double)rert_volume_data_const(
        v)[rert_grid_index(rert_volume_geometry(v), i, j, k)];
}

static void test_single_ab(void **state)
{
    (void)state;
    RertVolume *dose = uniform_dose(20.0f);
    RertBiodoseOptions o = rert_biodose_options_default();
    o.n_fractions = 5;
    o.ab_gy = 3.0;
    RertBiodoseReport report;
    RertError err;
    RertVolume *out = rert_biodose_compute(&err, dose, NULL, &o, &report);
    assert_non_null(out);
    rert_assert_near(at(out, 3, 4, 5), eqd2(20, 5, 3), 1e-4, 1e-6);
    assert_string_equal(report.comment, "EQD2 LQ a/b 3 Gy 5 fx");
    o.quantity = RERT_BIO_BED;
    RertVolume *bed = rert_biodose_compute(&err, dose, NULL, &o, &report);
    assert_non_null(bed);
    rert_assert_near(at(bed, 0, 0, 0), 20.0 * (1.0 + 4.0 / 3.0), 1e-4, 1e-6);
    rert_volume_destroy(bed);
    rert_volume_destroy(out);
    rert_volume_destroy(dose);
}

static void test_roi_map_lowest_wins(void **state)
{
    (void)state;
    RertVolume *dose = uniform_dose(20.0f);
    RertStructureSet *ss = two_boxes();
    RertAbAssignment a[2] = {{"boxa", 10.0}, {"7", 2.0}}; /* name, number */
    RertBiodoseOptions o = rert_biodose_options_default();
    o.n_fractions = 5;
    o.assignments = a;
    o.assignment_count = 2;
    o.default_ab_gy = 3.0;
    RertBiodoseReport report;
    RertError err;
    RertVolume *out = rert_biodose_compute(&err, dose, ss, &o, &report);
    if (out == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(out);
    /* voxel centres x = 2i: i = 4 (x 8) only A; i = 8 (x 16) both; i = 12
     * (x 24) only B; i = 17 (x 34) neither. */
    rert_assert_near(at(out, 4, 5, 5), eqd2(20, 5, 10), 1e-4, 1e-6);
    rert_assert_near(at(out, 8, 5, 5), eqd2(20, 5, 2), 1e-4, 1e-6);
    rert_assert_near(at(out, 12, 5, 5), eqd2(20, 5, 2), 1e-4, 1e-6);
    rert_assert_near(at(out, 17, 5, 5), eqd2(20, 5, 3), 1e-4, 1e-6);
    assert_int_equal(report.roi_count, 2);
    assert_int_equal(report.rois[1].roi_number, 7);
    assert_string_equal(report.rois[0].roi_name, "BoxA");
    /* box A: 18 x 18 mm x 20 mm (10 planes 2 mm apart, half end caps) */
    rert_assert_near(report.rois[0].volume_cc, 18.0 * 18.0 * 20.0 / 1000.0, 0.0,
                     0.01);
    assert_true(report.ab_stats.overlap_count > 0);
    assert_non_null(strstr(report.comment, "map 2 ROI def 3 Gy 5 fx"));
    rert_biodose_report_clear(&report);
    rert_volume_destroy(out);

    /* priority rule: the first listed (A, 10) wins in the overlap */
    o.overlap_rule = RERT_AB_OVERLAP_PRIORITY;
    out = rert_biodose_compute(&err, dose, ss, &o, NULL);
    assert_non_null(out);
    rert_assert_near(at(out, 8, 5, 5), eqd2(20, 5, 10), 1e-4, 1e-6);
    rert_volume_destroy(out);
    rert_structure_set_destroy(ss);
    rert_volume_destroy(dose);
}

static void test_refuses_guesses(void **state)
{
    (void)state;
    RertVolume *dose = uniform_dose(20.0f);
    RertStructureSet *ss = two_boxes();
    RertError err;
    RertBiodoseOptions o = rert_biodose_options_default();
    o.ab_gy = 3.0;
    assert_null(rert_biodose_compute(&err, dose, NULL, &o, NULL));
    assert_non_null(strstr(err.message, "fractions"));
    o.n_fractions = 5;
    o.ab_gy = 0.0;
    assert_null(rert_biodose_compute(&err, dose, NULL, &o, NULL));
    assert_non_null(strstr(err.message, "alpha/beta"));
    RertAbAssignment a[1] = {{"SpinalCord", 2.0}};
    o.assignments = a;
    o.assignment_count = 1;
    assert_null(rert_biodose_compute(&err, dose, ss, &o, NULL));
    assert_non_null(strstr(err.message, "default"));
    o.default_ab_gy = 3.0;
    assert_null(rert_biodose_compute(&err, dose, ss, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "SpinalCord"));
    assert_non_null(strstr(err.message, "BoxA")); /* lists what exists */
    rert_structure_set_destroy(ss);
    rert_volume_destroy(dose);
}

static void test_order_of_operations(void **state)
{
    (void)state;
    /* T12: 50 Gy/25 fx + 30 Gy/5 fx at one voxel, alpha/beta 3: per-course
     * conversion sums to 104.0 Gy3, the physical sum converted gives 90.67 */
    RertVolume *c1 = uniform_dose(50.0f);
    RertVolume *c2 = uniform_dose(30.0f);
    RertBiodoseOptions o = rert_biodose_options_default();
    o.ab_gy = 3.0;
    o.n_fractions = 25;
    RertVolume *e1 = rert_biodose_compute(NULL, c1, NULL, &o, NULL);
    o.n_fractions = 5;
    RertVolume *e2 = rert_biodose_compute(NULL, c2, NULL, &o, NULL);
    assert_non_null(e1);
    assert_non_null(e2);
    double sum = at(e1, 1, 1, 1) + at(e2, 1, 1, 1);
    rert_assert_near(sum, 104.0, 1e-4, 0);
    assert_true(fabs(sum - eqd2(80, 30, 3)) > 10.0);
    rert_volume_destroy(e1);
    rert_volume_destroy(e2);
    rert_volume_destroy(c1);
    rert_volume_destroy(c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_ab),
        cmocka_unit_test(test_roi_map_lowest_wins),
        cmocka_unit_test(test_refuses_guesses),
        cmocka_unit_test(test_order_of_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
