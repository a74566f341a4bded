/* Unit tests: RT Structure Sets, RT Plans, object kinds and image series
 * (CT, MR) from in-memory data sets, written folders and shared files
 * (RT Dose: test_rt.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/rt.h>

#include "rert_test.h"
#include "rt_fixtures.h"

/* ---- RT Structure Set */

static void add_roi(RertDataset *ds, long number, const char *name)
{
    RertDataset *item = rert_dataset_add_item(NULL, ds, TAG(0x3006, 0x0020));
    put_is(item, TAG(0x3006, 0x0022), number);
    put(item, TAG(0x3006, 0x0026), "LO", name);
    put(item, TAG(0x3006, 0x0024), "UI", "1.2.3.99");
    RertDataset *obs = rert_dataset_add_item(NULL, ds, TAG(0x3006, 0x0080));
    put_is(obs, TAG(0x3006, 0x0082), number);
    put_is(obs, TAG(0x3006, 0x0084), number);
    put(obs, TAG(0x3006, 0x00A4), "CS", number == 1 ? "PTV" : "ORGAN");
}

static RertDataset *add_roi_contour(RertDataset *ds, long number)
{
    RertDataset *item = rert_dataset_add_item(NULL, ds, TAG(0x3006, 0x0039));
    put_is(item, TAG(0x3006, 0x0084), number);
    put(item, TAG(0x3006, 0x002A), "IS", "255\\128\\0");
    return item;
}

static void add_contour(RertDataset *rc,
                        const char *type,
                        long points,
                        const double *xyz,
                        size_t values)
{
    RertDataset *c = rert_dataset_add_item(NULL, rc, TAG(0x3006, 0x0040));
    put(c, TAG(0x3006, 0x0042), "CS", type);
    put_is(c, TAG(0x3006, 0x0046), points);
    put_ds(c, TAG(0x3006, 0x0050), xyz, values);
}

/* Square of side 10 mm at height z (4 corners, optionally the closing
 * point repeated). */
static void add_square(RertDataset *rc, double z, bool repeat_first)
{
    double sq[15] = {0, 0, z, 10, 0, z, 10, 10, z, 0, 10, z, 0, 0, z};
    size_t n = repeat_first ? 5 : 4;
    add_contour(rc, "CLOSED_PLANAR", (long)n, sq, 3 * n);
}

static RertDataset *make_structure_set(void)
{
    RertDataset *ds = new_ds();
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_RTSTRUCT);
    put(ds, TAG(0x0008, 0x0060), "CS", "RTSTRUCT");
    put(ds, TAG(0x0010, 0x0020), "LO", "PID-1");
    put(ds, TAG(0x3006, 0x0002), "SH", "Course 2");
    RertDataset *fr = rert_dataset_add_item(NULL, ds, TAG(0x3006, 0x0010));
    put(fr, TAG(0x0020, 0x0052), "UI", "1.2.3.99");
    add_roi(ds, 1, "PTV");
    add_roi(ds, 2, "Spinal Cord");
    add_roi(ds, 3, "Broken");
    add_roi(ds, 4, "Marker");
    add_roi(ds, 5, "Oblique");
    /* 1: two good squares, one with the closing point repeated */
    RertDataset *rc = add_roi_contour(ds, 1);
    add_square(rc, 0.0, false);
    add_square(rc, 2.5, true);
    /* 2: one good square then a warped one (corner 0.5 mm off) */
    rc = add_roi_contour(ds, 2);
    add_square(rc, 0.0, false);
    double warped[12] = {0, 0, 5, 10, 0, 5, 10, 10, 5.5, 0, 10, 5};
    add_contour(rc, "CLOSED_PLANAR", 4, warped, 12);
    /* 3: NumberOfContourPoints disagrees with ContourData */
    rc = add_roi_contour(ds, 3);
    double tri[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0};
    add_contour(rc, "CLOSED_PLANAR", 4, tri, 9);
    /* 4: a point */
    rc = add_roi_contour(ds, 4);
    double pt[3] = {1, 2, 3};
    add_contour(rc, "POINT", 1, pt, 3);
    /* 5: planar but oblique (plane x + z = 10): planar by Newell */
    rc = add_roi_contour(ds, 5);
    double ob[12] = {0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10};
    add_contour(rc, "CLOSED_PLANAR", 4, ob, 12);
    return ds;
}

static void test_structure_set(void **state)
{
    (void)state;
    RertDataset *ds = make_structure_set();
    RertError err;
    RertStructureSet *ss = rert_structure_set_from_dataset(&err, ds, NULL);
    if (ss == NULL) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(rert_structure_set_roi_count(ss), 5);
    assert_string_equal(rert_structure_set_label(ss), "Course 2");
    assert_string_equal(rert_structure_set_meta(ss)->frame_of_reference_uid,
                        "1.2.3.99");
    const RertRoi *ptv = rert_structure_set_roi_by_name(ss, "  ptv ");
    assert_non_null(ptv);
    assert_ptr_equal(ptv, rert_structure_set_roi_by_number(ss, 1));
    assert_ptr_equal(ptv, rert_structure_set_roi_at(ss, 0));
    assert_int_equal(rert_roi_status(ptv), RERT_OK);
    assert_string_equal(rert_roi_error(ptv), "");
    assert_string_equal(rert_roi_interpreted_type(ptv), "PTV");
    assert_string_equal(rert_roi_frame_of_reference_uid(ptv), "1.2.3.99");
    uint8_t rgb[3];
    assert_true(rert_roi_color(ptv, rgb));
    assert_int_equal(rgb[0], 255);
    assert_int_equal(rgb[1], 128);
    assert_int_equal(rgb[2], 0);
    assert_int_equal(rert_roi_contour_count(ptv), 2);
    assert_int_equal(rert_roi_point_count(ptv), 9);
    size_t n = 0;
    const RertPolygon *polys = rert_roi_polygons(ptv, &n);
    assert_int_equal(n, 2);
    assert_int_equal(polys[0].count, 4);
    assert_int_equal(polys[1].count, 4); /* closing point dropped */
    rert_assert_near(polys[1].points_mm[2].y, 10.0, 0, 0);
    rert_assert_near(polys[1].points_mm[2].z, 2.5, 0, 0);
    RertContourType type = RERT_CONTOUR_POINT;
    RertPolygon c1 = rert_roi_contour(ptv, 1, &type);
    assert_int_equal(type, RERT_CONTOUR_CLOSED_PLANAR);
    assert_int_equal(c1.count, 5);
    assert_int_equal(rert_roi_contour(ptv, 2, NULL).count, 0);

    const RertRoi *cord = rert_structure_set_roi_by_name(ss, "SPINAL CORD");
    assert_int_equal(rert_roi_status(cord), RERT_ERR_GEOMETRY);
    assert_non_null(strstr(rert_roi_error(cord), "not planar"));
    assert_non_null(strstr(rert_roi_error(cord), "Spinal Cord"));
    assert_int_equal(rert_roi_contour_count(cord), 0);
    assert_null(rert_roi_polygons(cord, &n));
    assert_int_equal(n, 0);

    const RertRoi *broken = rert_structure_set_roi_by_number(ss, 3);
    assert_int_equal(rert_roi_status(broken), RERT_ERR_PARSE);
    assert_non_null(strstr(rert_roi_error(broken), "NumberOfContourPoints"));
    assert_non_null(strstr(rert_roi_error(broken), "9 values"));

    const RertRoi *marker = rert_structure_set_roi_by_number(ss, 4);
    assert_int_equal(rert_roi_status(marker), RERT_OK);
    assert_int_equal(rert_roi_contour_count(marker), 1);
    (void)rert_roi_contour(marker, 0, &type);
    assert_int_equal(type, RERT_CONTOUR_POINT);
    assert_null(rert_roi_polygons(marker, &n));

    const RertRoi *oblique = rert_structure_set_roi_by_number(ss, 5);
    assert_int_equal(rert_roi_status(oblique), RERT_OK);
    assert_non_null(rert_roi_polygons(oblique, &n));
    assert_int_equal(n, 1);

    assert_null(rert_structure_set_roi_by_name(ss, "bladder"));
    assert_null(rert_structure_set_roi_by_number(ss, 42));
    assert_null(rert_structure_set_roi_at(ss, 5));
    assert_int_equal(rert_structure_set_warning_count(ss), 0);
    rert_structure_set_destroy(ss);
    rert_dataset_destroy(ds);
}

static void test_structure_set_errors(void **state)
{
    (void)state;
    RertError err;
    RertDataset *ds = make_structure_set();
    RertStructureSetOptions o = rert_structure_set_options_default();
    o.limits.max_rois = 4;
    assert_null(rert_structure_set_from_dataset(&err, ds, &o));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    o = rert_structure_set_options_default();
    o.limits.max_contour_points = 4;
    assert_null(rert_structure_set_from_dataset(&err, ds, &o));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_non_null(strstr(err.message, "5 points"));
    /* a looser planarity tolerance accepts the warped contour */
    o = rert_structure_set_options_default();
    o.planarity_tolerance_mm = 1.0;
    RertStructureSet *ss = rert_structure_set_from_dataset(&err, ds, &o);
    assert_non_null(ss);
    assert_int_equal(rert_roi_status(rert_structure_set_roi_by_number(ss, 2)),
                     RERT_OK);
    rert_structure_set_destroy(ss);

    /* contour for an unknown ROI, and an unknown contour type */
    RertDataset *rc = add_roi_contour(ds, 77);
    add_square(rc, 0.0, false);
    RertDataset *item =
        (RertDataset *)rert_dataset_item(ds, TAG(0x3006, 0x0039), 3);
    RertDataset *c =
        (RertDataset *)rert_dataset_item(item, TAG(0x3006, 0x0040), 0);
    put(c, TAG(0x3006, 0x0042), "CS", "SPLINE");
    ss = rert_structure_set_from_dataset(&err, ds, NULL);
    assert_non_null(ss);
    assert_int_equal(rert_structure_set_warning_count(ss), 1);
    assert_non_null(strstr(rert_structure_set_warning(ss, 0), "77"));
    const RertRoi *marker = rert_structure_set_roi_by_number(ss, 4);
    assert_int_equal(rert_roi_status(marker), RERT_ERR_PARSE);
    assert_non_null(strstr(rert_roi_error(marker), "SPLINE"));
    rert_structure_set_destroy(ss);

    /* bad number in ContourData */
    put(c, TAG(0x3006, 0x0042), "CS", "POINT");
    put(c, TAG(0x3006, 0x0050), "DS", "1\\2\\x");
    ss = rert_structure_set_from_dataset(&err, ds, NULL);
    assert_non_null(ss);
    marker = rert_structure_set_roi_by_number(ss, 4);
    assert_int_equal(rert_roi_status(marker), RERT_ERR_PARSE);
    assert_non_null(strstr(rert_roi_error(marker), "ContourData value 3"));
    rert_structure_set_destroy(ss);

    /* no frame of reference anywhere */
    rert_dataset_remove(ds, TAG(0x3006, 0x0010));
    for (size_t i = 0; i < 5; i++) {
        rert_dataset_remove(
            (RertDataset *)rert_dataset_item(ds, TAG(0x3006, 0x0020), i),
            TAG(0x3006, 0x0024));
    }
    assert_null(rert_structure_set_from_dataset(&err, ds, NULL));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "frame of reference"));
    /* no ROI sequence */
    rert_dataset_remove(ds, TAG(0x3006, 0x0020));
    assert_null(rert_structure_set_from_dataset(&err, ds, NULL));
    assert_non_null(strstr(err.message, "3006,0020"));
    /* not a structure set */
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_RTPLAN);
    assert_null(rert_structure_set_from_dataset(&err, ds, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_dataset_destroy(ds);
}

/* ---- RT Plan */

static void add_group(RertDataset *ds,
                      long number,
                      long fractions,
                      const double *beam_doses,
                      size_t beams)
{
    RertDataset *g = rert_dataset_add_item(NULL, ds, TAG(0x300A, 0x0070));
    put_is(g, TAG(0x300A, 0x0071), number);
    put_is(g, TAG(0x300A, 0x0078), fractions);
    put_is(g, TAG(0x300A, 0x0080), (long)beams);
    for (size_t b = 0; b < beams; b++) {
        RertDataset *rb = rert_dataset_add_item(NULL, g, TAG(0x300C, 0x0004));
        put_is(rb, TAG(0x300C, 0x0006), (long)b + 1);
        put_ds(rb, TAG(0x300A, 0x0084), &beam_doses[b], 1);
        double mu = 100.0 + (double)b;
        put_ds(rb, TAG(0x300A, 0x0086), &mu, 1);
    }
    RertDataset *rd = rert_dataset_add_item(NULL, g, TAG(0x300C, 0x0050));
    put_is(rd, TAG(0x300C, 0x0051), 1);
}

static RertDataset *make_plan(bool ion)
{
    RertDataset *ds = new_ds();
    put(ds, TAG(0x0008, 0x0016), "UI",
        ion ? RERT_SOP_RTIONPLAN : RERT_SOP_RTPLAN);
    put(ds, TAG(0x0008, 0x0060), "CS", "RTPLAN");
    put(ds, TAG(0x300A, 0x0002), "SH", "Boost");
    put(ds, TAG(0x300A, 0x0003), "LO", "Boost plan");
    put(ds, TAG(0x300A, 0x0006), "DA", "20240301");
    put(ds, TAG(0x300A, 0x000A), "CS", "CURATIVE");
    RertDataset *ref = rert_dataset_add_item(NULL, ds, TAG(0x300C, 0x0060));
    put(ref, TAG(0x0008, 0x1150), "UI", RERT_SOP_RTSTRUCT);
    put(ref, TAG(0x0008, 0x1155), "UI", "1.2.3.55");
    RertDataset *dr = rert_dataset_add_item(NULL, ds, TAG(0x300A, 0x0010));
    put_is(dr, TAG(0x300A, 0x0012), 1);
    put(dr, TAG(0x300A, 0x0014), "CS", "VOLUME");
    put(dr, TAG(0x300A, 0x0016), "LO", "PTV high");
    put(dr, TAG(0x300A, 0x0020), "CS", "ORGAN_AT_RISK");
    put(dr, TAG(0x300A, 0x0023), "DS", "45");
    dr = rert_dataset_add_item(NULL, ds, TAG(0x300A, 0x0010));
    put_is(dr, TAG(0x300A, 0x0012), 2);
    put(dr, TAG(0x300A, 0x0020), "CS", "TARGET");
    put(dr, TAG(0x300A, 0x0026), "DS", "60");
    put_is(dr, TAG(0x3006, 0x0084), 1);
    double doses_a[2] = {1.0, 1.0};
    double doses_b[1] = {2.5};
    add_group(ds, 1, 25, doses_a, 2);
    add_group(ds, 2, 4, doses_b, 1);
    uint32_t seq = ion ? TAG(0x300A, 0x03A2) : TAG(0x300A, 0x00B0);
    const char *radiation[2] = {ion ? "PROTON" : "PHOTON", "ELECTRON"};
    for (long b = 1; b <= 2; b++) {
        RertDataset *beam = rert_dataset_add_item(NULL, ds, seq);
        put_is(beam, TAG(0x300A, 0x00C0), b);
        put(beam, TAG(0x300A, 0x00C2), "LO", b == 1 ? "AP" : "PA");
        put(beam, TAG(0x300A, 0x00C6), "CS", radiation[b - 1]);
        put(beam, TAG(0x300A, 0x00CE), "CS", "TREATMENT");
    }
    return ds;
}

static void test_plan(void **state)
{
    (void)state;
    RertDataset *ds = make_plan(false);
    RertError err;
    RertPlan *plan = rert_plan_from_dataset(&err, ds);
    if (plan == NULL) {
        fail_msg("%s", err.message);
    }
    assert_false(rert_plan_is_ion(plan));
    assert_string_equal(rert_plan_label(plan), "Boost");
    assert_string_equal(rert_plan_name(plan), "Boost plan");
    assert_string_equal(rert_plan_date(plan), "20240301");
    assert_string_equal(rert_plan_intent(plan), "CURATIVE");
    assert_string_equal(rert_plan_referenced_structure_set_uid(plan),
                        "1.2.3.55");
    assert_int_equal(rert_plan_fraction_group_count(plan), 2);
    const RertFractionGroup *g1 = rert_plan_fraction_group_at(plan, 0);
    assert_int_equal(g1->number, 1);
    assert_int_equal(g1->fractions_planned, 25);
    assert_int_equal(g1->beam_count, 2);
    assert_true(g1->has_dose_per_fraction);
    rert_assert_near(g1->dose_per_fraction_gy, 2.0, 1e-12, 0);
    rert_assert_near(g1->beams[1].beam_meterset, 101.0, 1e-12, 0);
    assert_int_equal(g1->dose_reference_count, 1);
    assert_int_equal(g1->dose_reference_numbers[0], 1);
    const RertFractionGroup *g2 = rert_plan_fraction_group_by_number(plan, 2);
    assert_non_null(g2);
    rert_assert_near(g2->dose_per_fraction_gy, 2.5, 1e-12, 0);
    assert_null(rert_plan_fraction_group_by_number(plan, 3));
    assert_null(rert_plan_fraction_group_at(plan, 2));
    /* several groups are never merged */
    long fx = 0;
    assert_false(rert_plan_fractions(&err, plan, 0, &fx));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "1 (25 fractions)"));
    assert_non_null(strstr(err.message, "2 (4 fractions)"));
    assert_true(rert_plan_fractions(&err, plan, 2, &fx));
    assert_int_equal(fx, 4);
    assert_false(rert_plan_fractions(&err, plan, 9, &fx));
    assert_non_null(strstr(err.message, "no fraction group 9"));
    assert_true(rert_plan_warning_count(plan) >= 1);
    assert_non_null(strstr(rert_plan_warning(plan, 0), "2 fraction groups"));

    assert_int_equal(rert_plan_beam_count(plan), 2);
    const RertBeam *b = rert_plan_beam_at(plan, 1);
    assert_int_equal(b->number, 2);
    assert_string_equal(b->name, "PA");
    assert_int_equal(b->radiation_type, RERT_RADIATION_ELECTRON);
    assert_string_equal(b->treatment_delivery_type, "TREATMENT");
    assert_null(rert_plan_beam_at(plan, 2));
    assert_int_equal(rert_plan_dose_reference_count(plan), 2);
    const RertDoseReference *dr = rert_plan_dose_reference_at(plan, 0);
    assert_string_equal(dr->type, "ORGAN_AT_RISK");
    assert_true(dr->has_delivery_maximum_dose);
    assert_false(dr->has_target_prescription_dose);
    double rx = 0;
    assert_true(rert_plan_prescription_gy(plan, &rx));
    rert_assert_near(rx, 60.0, 0, 0);
    assert_true(rert_plan_dose_reference_at(plan, 1)->has_referenced_roi);
    rert_plan_destroy(plan);

    /* one group: group 0 means "the only one" */
    rert_dataset_remove(ds, TAG(0x300A, 0x0070));
    double d[1] = {3.0};
    add_group(ds, 3, 7, d, 1);
    plan = rert_plan_from_dataset(&err, ds);
    assert_non_null(plan);
    assert_true(rert_plan_fractions(&err, plan, 0, &fx));
    assert_int_equal(fx, 7);
    rert_plan_destroy(plan);
    rert_dataset_destroy(ds);
}

static void test_plan_ion_and_errors(void **state)
{
    (void)state;
    RertDataset *ds = make_plan(true);
    RertError err;
    RertPlan *plan = rert_plan_from_dataset(&err, ds);
    assert_non_null(plan);
    assert_true(rert_plan_is_ion(plan));
    assert_int_equal(rert_plan_beam_count(plan), 2);
    assert_int_equal(rert_plan_beam_at(plan, 0)->radiation_type,
                     RERT_RADIATION_PROTON);
    assert_string_equal(rert_radiation_type_name(RERT_RADIATION_PROTON),
                        "PROTON");
    rert_plan_destroy(plan);
    /* group without number */
    RertDataset *g =
        (RertDataset *)rert_dataset_item(ds, TAG(0x300A, 0x0070), 1);
    rert_dataset_remove(g, TAG(0x300A, 0x0071));
    assert_null(rert_plan_from_dataset(&err, ds));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "FractionGroupSequence item 2"));
    put_is(g, TAG(0x300A, 0x0071), 1);
    assert_null(rert_plan_from_dataset(&err, ds));
    assert_non_null(strstr(err.message, "appears twice"));
    put(g, TAG(0x300A, 0x0071), "IS", "two");
    assert_null(rert_plan_from_dataset(&err, ds));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    put_is(g, TAG(0x300A, 0x0071), 2);
    rert_dataset_remove(g, TAG(0x300A, 0x0078));
    plan = rert_plan_from_dataset(&err, ds);
    assert_non_null(plan);
    long fx = 0;
    assert_false(rert_plan_fractions(&err, plan, 2, &fx));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "NumberOfFractionsPlanned"));
    rert_plan_destroy(plan);
    /* no fraction groups at all: a warning, and fractions cannot be had */
    rert_dataset_remove(ds, TAG(0x300A, 0x0070));
    plan = rert_plan_from_dataset(&err, ds);
    assert_non_null(plan);
    assert_false(rert_plan_fractions(&err, plan, 0, &fx));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_plan_destroy(plan);
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_RTDOSE);
    assert_null(rert_plan_from_dataset(&err, ds));
    rert_dataset_destroy(ds);
}

/* ---- object kinds */

static void test_object_kind(void **state)
{
    (void)state;
    static const struct {
        const char *sop;
        const char *modality;
        RertRtObjectKind kind;
    } cases[] = {
        {RERT_SOP_CT, NULL, RERT_RT_OBJECT_CT},
        {RERT_SOP_MR, NULL, RERT_RT_OBJECT_MR},
        {RERT_SOP_PET, NULL, RERT_RT_OBJECT_PT},
        {RERT_SOP_RTDOSE, NULL, RERT_RT_OBJECT_RTDOSE},
        {RERT_SOP_RTSTRUCT, NULL, RERT_RT_OBJECT_RTSTRUCT},
        {RERT_SOP_RTPLAN, NULL, RERT_RT_OBJECT_RTPLAN},
        {RERT_SOP_RTIONPLAN, NULL, RERT_RT_OBJECT_RTIONPLAN},
        {RERT_SOP_REGISTRATION, NULL, RERT_RT_OBJECT_REG},
        {RERT_SOP_DEFORMABLE_REGISTRATION, NULL, RERT_RT_OBJECT_REG},
        {NULL, "CT", RERT_RT_OBJECT_CT},
        {NULL, "PT", RERT_RT_OBJECT_PT},
        {NULL, "RTSTRUCT", RERT_RT_OBJECT_RTSTRUCT},
        {"1.2.3.4", "RTDOSE", RERT_RT_OBJECT_RTDOSE},
        {NULL, "REG", RERT_RT_OBJECT_REG},
        {NULL, "US", RERT_RT_OBJECT_UNKNOWN},
        {"1.2.840.10008.5.1.4.1.1.1", NULL, RERT_RT_OBJECT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        RertDataset *ds = new_ds();
        if (cases[i].sop != NULL) {
            put(ds, TAG(0x0008, 0x0016), "UI", cases[i].sop);
        }
        if (cases[i].modality != NULL) {
            put(ds, TAG(0x0008, 0x0060), "CS", cases[i].modality);
        }
        assert_int_equal(rert_rt_object_kind(ds), cases[i].kind);
        rert_dataset_destroy(ds);
    }
    RertDataset *ds = new_ds();
    put(ds, TAG(0x0008, 0x0060), "CS", "RTPLAN");
    assert_int_equal(rert_rt_object_kind(ds), RERT_RT_OBJECT_RTPLAN);
    assert_non_null(rert_dataset_add_item(NULL, ds, TAG(0x300A, 0x03A2)));
    assert_int_equal(rert_rt_object_kind(ds), RERT_RT_OBJECT_RTIONPLAN);
    rert_dataset_destroy(ds);
    assert_int_equal(rert_rt_object_kind(NULL), RERT_RT_OBJECT_UNKNOWN);
    assert_string_equal(rert_rt_object_kind_name(RERT_RT_OBJECT_RTIONPLAN),
                        "RTIONPLAN");
    assert_string_equal(rert_rt_object_kind_name((RertRtObjectKind)99),
                        "UNKNOWN");
}

/* ---- image series */

#define CT_COLS 3
#define CT_ROWS 2

/* A CT slice at @p ipp with signed 16-bit pixels value = base + index. */
static RertDataset *
make_ct(const char *series, const double ipp[3], const char *sop_uid, int base)
{
    RertDataset *ds = new_ds();
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_CT);
    put(ds, TAG(0x0008, 0x0018), "UI", sop_uid);
    put(ds, TAG(0x0008, 0x0060), "CS", "CT");
    put(ds, TAG(0x0008, 0x103E), "LO", "Planning CT");
    put(ds, TAG(0x0010, 0x0020), "LO", "PID-1");
    put(ds, TAG(0x0020, 0x000D), "UI", "1.2.3.1");
    put(ds, TAG(0x0020, 0x000E), "UI", series);
    put(ds, TAG(0x0020, 0x0052), "UI", "1.2.3.99");
    put_ds(ds, TAG(0x0020, 0x0032), ipp, 3);
    double iop[6] = {1, 0, 0, 0, 1, 0};
    put_ds(ds, TAG(0x0020, 0x0037), iop, 6);
    double spacing[2] = {0.8, 0.6};
    put_ds(ds, TAG(0x0028, 0x0030), spacing, 2);
    put_us(ds, TAG(0x0028, 0x0002), 1);
    put_us(ds, TAG(0x0028, 0x0010), CT_ROWS);
    put_us(ds, TAG(0x0028, 0x0011), CT_COLS);
    put_us(ds, TAG(0x0028, 0x0100), 16);
    put_us(ds, TAG(0x0028, 0x0101), 12);
    put_us(ds, TAG(0x0028, 0x0102), 11);
    put_us(ds, TAG(0x0028, 0x0103), 1);
    put(ds, TAG(0x0028, 0x1052), "DS", "-1024");
    put(ds, TAG(0x0028, 0x1053), "DS", "2");
    put(ds, TAG(0x0028, 0x0004), "CS", "MONOCHROME2");
    uint8_t px[2 * CT_COLS * CT_ROWS];
    for (int i = 0; i < CT_COLS * CT_ROWS; i++) {
        /* 12 stored bits, sign-extended from bit 11 */
        uint16_t u = (uint16_t)((base + i) & 0x0FFF);
        px[2 * i] = (uint8_t)(u & 0xFF);
        px[2 * i + 1] = (uint8_t)(u >> 8);
    }
    assert_true(rert_dataset_set_bytes(NULL, ds, TAG(0x7FE0, 0x0010), "OW", px,
                                       sizeof px));
    return ds;
}

typedef struct Stack {
    RertDataset *ds[8];
    size_t count;
} Stack;

/* Slices at the given z positions (in this order), series "1.2.3.2". */
static Stack make_stack(const double *z, size_t n)
{
    Stack s;
    memset(&s, 0, sizeof s);
    for (size_t k = 0; k < n; k++) {
        char uid[32];
        (void)snprintf(uid, sizeof uid, "1.2.3.2.%zu", k);
        double ipp[3] = {-5.0, -7.0, z[k]};
        s.ds[k] = make_ct("1.2.3.2", ipp, uid, 10 * (int)z[k]);
    }
    s.count = n;
    return s;
}

static void stack_clear(Stack *s)
{
    for (size_t k = 0; k < s->count; k++) {
        rert_dataset_destroy(s->ds[k]);
    }
    s->count = 0;
}

static void expect_series_error(const Stack *s,
                                const char *uid,
                                RertErrorCode code,
                                const char *needle)
{
    RertError err;
    rert_error_clear(&err);
    RertImageSeries *series = rert_image_series_from_datasets(
        &err, (const RertDataset *const *)s->ds, s->count, uid, NULL);
    if (series != NULL) {
        rert_image_series_destroy(series);
        fail_msg("expected an error containing '%s'", needle);
    }
    if (err.code != code || strstr(err.message, needle) == NULL) {
        fail_msg("error %s '%s', expected %s containing '%s'",
                 rert_error_code_name(err.code), err.message,
                 rert_error_code_name(code), needle);
    }
}

static void test_series_memory(void **state)
{
    (void)state;
    double z[4] = {6.0, 0.0, 9.0, 3.0};
    Stack s = make_stack(z, 4);
    RertError err;
    RertImageSeries *series = rert_image_series_from_datasets(
        &err, (const RertDataset *const *)s.ds, s.count, NULL, NULL);
    if (series == NULL) {
        fail_msg("%s", err.message);
    }
    const RertVolume *v = rert_image_series_volume(series);
    const RertGridGeometry *g = rert_volume_geometry(v);
    assert_int_equal(g->dims[0], CT_COLS);
    assert_int_equal(g->dims[1], CT_ROWS);
    assert_int_equal(g->dims[2], 4);
    rert_assert_near(g->spacing_mm[0], 0.6, 1e-12, 0);
    rert_assert_near(g->spacing_mm[1], 0.8, 1e-12, 0);
    rert_assert_near(g->spacing_mm[2], 3.0, 1e-12, 0);
    rert_assert_near(g->origin_mm[2], 0.0, 1e-12, 0);
    for (size_t k = 0; k < 4; k++) {
        for (size_t idx = 0; idx < CT_COLS * CT_ROWS; idx++) {
            double stored = 30.0 * (double)k + (double)idx;
            rert_assert_near(
                (double)rert_volume_data_const(v)[k * CT_COLS * CT_ROWS + idx],
                2.0 * stored - 1024.0, 1e-6, 0);
        }
    }
    assert_int_equal(rert_image_series_slice_count(series), 4);
    assert_string_equal(rert_image_series_slice_uid(series, 0), "1.2.3.2.1");
    assert_string_equal(rert_image_series_slice_uid(series, 3), "1.2.3.2.2");
    assert_null(rert_image_series_slice_uid(series, 4));
    assert_string_equal(rert_image_series_meta(series)->modality, "CT");
    assert_string_equal(rert_image_series_meta(series)->series_description,
                        "Planning CT");
    const RertDataset *h = rert_image_series_header(series);
    assert_true(rert_dataset_has(h, TAG(0x0028, 0x1053)));
    assert_false(rert_dataset_has(h, TAG(0x7FE0, 0x0010)));
    assert_int_equal(rert_image_series_skipped_files(series), 0);
    assert_int_equal(rert_image_series_warning_count(series), 0);
    rert_image_series_destroy(series);

    /* negative stored values through the 12-bit sign extension */
    RertDataset *neg = make_ct("9.9", (double[3]){0, 0, 0}, "9.9.1", -5);
    series = rert_image_series_from_datasets(
        &err, (const RertDataset *const *)&neg, 1, NULL, NULL);
    assert_non_null(series);
    rert_assert_near(
        (double)rert_volume_data_const(rert_image_series_volume(series))[0],
        2.0 * -5.0 - 1024.0, 1e-6, 0);
    assert_int_equal(rert_image_series_warning_count(series), 1);
    rert_image_series_destroy(series);
    rert_dataset_destroy(neg);
    stack_clear(&s);
}

static void test_series_errors(void **state)
{
    (void)state;
    double gap[5] = {0.0, 3.0, 9.0, 12.0, 15.0};
    Stack s = make_stack(gap, 5);
    expect_series_error(&s, NULL, RERT_ERR_GEOMETRY, "between 3 and 9 mm");
    stack_clear(&s);

    double dup[3] = {0.0, 3.0, 3.0};
    s = make_stack(dup, 3);
    expect_series_error(&s, NULL, RERT_ERR_GEOMETRY, "duplicate");
    stack_clear(&s);

    double uneven[4] = {0.0, 3.0, 6.0, 10.0};
    s = make_stack(uneven, 4);
    expect_series_error(&s, NULL, RERT_ERR_GEOMETRY, "non-uniform");
    stack_clear(&s);

    double z[3] = {0.0, 3.0, 6.0};
    s = make_stack(z, 3);
    double tilted[3] = {-5.0, -6.0, 6.0}; /* 1 mm in-plane shift */
    put_ds(s.ds[2], TAG(0x0020, 0x0032), tilted, 3);
    expect_series_error(&s, NULL, RERT_ERR_GEOMETRY, "gantry tilt");
    double ok_pos[3] = {-5.0, -7.0, 6.0};
    put_ds(s.ds[2], TAG(0x0020, 0x0032), ok_pos, 3);
    double iop[6] = {1, 0, 0, 0, 0.9998, 0.0199987};
    put_ds(s.ds[1], TAG(0x0020, 0x0037), iop, 6);
    expect_series_error(&s, NULL, RERT_ERR_GEOMETRY, "ImageOrientation");
    double iop0[6] = {1, 0, 0, 0, 1, 0};
    put_ds(s.ds[1], TAG(0x0020, 0x0037), iop0, 6);
    put_us(s.ds[1], TAG(0x0028, 0x0010), 4);
    expect_series_error(&s, NULL, RERT_ERR_GEOMETRY, "rows");
    put_us(s.ds[1], TAG(0x0028, 0x0010), CT_ROWS);
    put(s.ds[1], TAG(0x0028, 0x0030), "DS", "0.8\\0.7");
    expect_series_error(&s, NULL, RERT_ERR_GEOMETRY, "PixelSpacing");
    put(s.ds[1], TAG(0x0028, 0x0030), "DS", "0.8\\0.6");
    put_is(s.ds[1], TAG(0x0028, 0x0008), 3);
    expect_series_error(&s, NULL, RERT_ERR_UNSUPPORTED, "multi-frame");
    rert_dataset_remove(s.ds[1], TAG(0x0028, 0x0008));

    /* two series: the error lists both; choosing one works */
    double ipp[3] = {0, 0, 50};
    s.ds[s.count++] = make_ct("7.7.7", ipp, "7.7.7.1", 0);
    expect_series_error(&s, NULL, RERT_ERR_INVALID_ARG, "several series");
    expect_series_error(&s, NULL, RERT_ERR_INVALID_ARG,
                        "7.7.7 (CT, 'Planning CT', 1 slices)");
    expect_series_error(&s, NULL, RERT_ERR_INVALID_ARG,
                        "1.2.3.2 (CT, 'Planning CT', 3 slices)");
    expect_series_error(&s, "5.5", RERT_ERR_INVALID_ARG, "no series 5.5");
    RertError err;
    RertImageSeries *series = rert_image_series_from_datasets(
        &err, (const RertDataset *const *)s.ds, s.count, "1.2.3.2", NULL);
    assert_non_null(series);
    assert_int_equal(rert_image_series_slice_count(series), 3);
    rert_image_series_destroy(series);
    series = rert_image_series_from_datasets(
        &err, (const RertDataset *const *)s.ds, s.count, "7.7.7", NULL);
    assert_non_null(series);
    assert_int_equal(rert_image_series_slice_count(series), 1);
    rert_image_series_destroy(series);
    stack_clear(&s);
    expect_series_error(&s, NULL, RERT_ERR_INVALID_ARG, "no image slices");
}

static void test_series_folder(void **state)
{
    (void)state;
    char dir[512];
    (void)snprintf(dir, sizeof dir, "%s/ct", rert_test_tmpdir());
    char sub[600];
    (void)snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    double z[3] = {-2.5, 0.0, 2.5};
    Stack s = make_stack(z, 3);
    RertError err;
    for (size_t k = 0; k < s.count; k++) {
        char path[600];
        (void)snprintf(path, sizeof path, "%s/%sslice%zu.dcm", dir,
                       k == 1 ? "sub/" : "", k);
        if (!rert_dicom_save(&err, s.ds[k], path)) {
            fail_msg("%s", err.message);
        }
    }
    char junk[600];
    (void)snprintf(junk, sizeof junk, "%s/notes.txt", dir);
    assert_true(rert_file_save_atomic(&err, junk, "hello", 5));
    RertImageSeries *series = rert_image_series_load(&err, dir, NULL, NULL);
    if (series == NULL) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(rert_image_series_slice_count(series), 3);
    assert_int_equal(rert_image_series_skipped_files(series), 1);
    rert_assert_near(
        rert_volume_geometry(rert_image_series_volume(series))->origin_mm[2],
        -2.5, 1e-9, 0);
    rert_image_series_destroy(series);
    /* one file alone */
    char one[600];
    (void)snprintf(one, sizeof one, "%s/slice0.dcm", dir);
    series = rert_image_series_load(&err, one, NULL, NULL);
    assert_non_null(series);
    assert_int_equal(rert_image_series_slice_count(series), 1);
    rert_image_series_destroy(series);
    assert_null(rert_image_series_load(&err, junk, NULL, NULL));
    assert_null(rert_image_series_load(&err, "/nonexistent/ct", NULL, NULL));
    stack_clear(&s);
}

/* ---- shared third-party data (skipped when absent) */

static RertStructureSet *load_structures_or_fail(const char *path)
{
    RertError err;
    RertStructureSet *ss = rert_structure_set_load(&err, path, NULL);
    if (ss == NULL) {
        fail_msg("%s", err.message);
    }
    return ss;
}

static RertImageSeries *load_series_or_fail(const char *path)
{
    RertError err;
    RertImageSeries *series = rert_image_series_load(&err, path, NULL, NULL);
    if (series == NULL) {
        fail_msg("%s", err.message);
    }
    return series;
}

static void test_shared_pydicom(void **state)
{
    (void)state;
    char path[1024];
    shared_path(path, sizeof path, "pydicom/rtstruct.dcm");
    RertStructureSet *ss = load_structures_or_fail(path);
    assert_int_equal(rert_structure_set_roi_count(ss), 3);
    const RertRoi *body = rert_structure_set_roi_by_name(ss, "PATIENT");
    assert_non_null(body);
    assert_int_equal(rert_roi_status(body), RERT_OK);
    assert_int_equal(rert_roi_contour_count(body), 3);
    assert_int_equal(rert_roi_point_count(body), 17);
    assert_string_equal(rert_roi_interpreted_type(body), "EXTERNAL");
    const RertRoi *iso = rert_structure_set_roi_by_number(ss, 2);
    RertContourType type = RERT_CONTOUR_CLOSED_PLANAR;
    assert_int_equal(rert_roi_contour(iso, 0, &type).count, 1);
    assert_int_equal(type, RERT_CONTOUR_POINT);
    rert_structure_set_destroy(ss);

    shared_path(path, sizeof path, "pydicom/CT_small.dcm");
    RertImageSeries *ct = load_series_or_fail(path);
    const RertVolume *v = rert_image_series_volume(ct);
    assert_int_equal(rert_volume_geometry(v)->dims[0], 128);
    rert_assert_near(rert_volume_geometry(v)->spacing_mm[2], 5.0, 1e-9, 0);
    rert_assert_near(voxel(v, 0, 0, 0), -849.0, 1e-6, 0); /* pydicom */
    rert_assert_near(voxel(v, 70, 60, 0), 689.0, 1e-6, 0);
    rert_image_series_destroy(ct);
    shared_path(path, sizeof path, "pydicom/MR_small.dcm");
    ct = load_series_or_fail(path);
    assert_string_equal(rert_image_series_meta(ct)->modality, "MR");
    rert_image_series_destroy(ct);
}

static void test_shared_dicompyler(void **state)
{
    (void)state;
    char path[1024];
    shared_path(path, sizeof path, "dicompyler-core/rtss.dcm");
    RertStructureSet *ss = load_structures_or_fail(path);
    assert_int_equal(rert_structure_set_roi_count(ss), 10);
    for (size_t i = 0; i < 10; i++) {
        const RertRoi *roi = rert_structure_set_roi_at(ss, i);
        if (rert_roi_status(roi) != RERT_OK) {
            fail_msg("%s", rert_roi_error(roi));
        }
    }
    const RertRoi *body = rert_structure_set_roi_by_name(ss, "body");
    assert_int_equal(rert_roi_contour_count(body), 141);
    assert_int_equal(rert_roi_point_count(body), 51846);
    assert_int_equal(
        rert_roi_contour_count(rert_structure_set_roi_by_name(ss, "Areola")),
        0);
    assert_string_equal(
        rert_roi_interpreted_type(rert_structure_set_roi_by_number(ss, 5)),
        "ORGAN");
    rert_structure_set_destroy(ss);

    /* the folder also holds the plan and structure set: one CT series */
    shared_path(path, sizeof path, "dicompyler-core");
    RertImageSeries *ct = load_series_or_fail(path);
    assert_int_equal(rert_image_series_slice_count(ct), 1);
    assert_int_equal(rert_image_series_skipped_files(ct), 1); /* LICENSE */
    assert_int_equal(
        rert_volume_geometry(rert_image_series_volume(ct))->dims[0], 512);
    rert_image_series_destroy(ct);
}

static void test_shared_plans(void **state)
{
    (void)state;
    char path[1024];
    RertError err;
    shared_path(path, sizeof path, "pydicom/rtplan.dcm");
    RertPlan *plan = rert_plan_load(&err, path, NULL);
    if (plan == NULL) {
        fail_msg("%s", err.message);
    }
    long fx = 0;
    assert_true(rert_plan_fractions(&err, plan, 0, &fx));
    assert_int_equal(fx, 30);
    assert_string_equal(rert_plan_label(plan), "Plan1");
    assert_int_equal(rert_plan_beam_count(plan), 1);
    assert_int_equal(rert_plan_beam_at(plan, 0)->radiation_type,
                     RERT_RADIATION_PHOTON);
    double rx = 0;
    assert_true(rert_plan_prescription_gy(plan, &rx));
    rert_assert_near(rx, 30.826203, 1e-9, 0);
    rert_plan_destroy(plan);

    shared_path(path, sizeof path, "pydicom/rtplan_truncated.dcm");
    assert_null(rert_plan_load(&err, path, NULL));
    assert_int_not_equal(err.code, RERT_OK);

    shared_path(path, sizeof path, "dicompyler-core/rtplan.dcm");
    plan = rert_plan_load(&err, path, NULL);
    if (plan == NULL) {
        fail_msg("%s", err.message);
    }
    assert_true(rert_plan_fractions(&err, plan, 0, &fx));
    assert_int_equal(fx, 7);
    assert_true(rert_plan_prescription_gy(plan, &rx));
    rert_assert_near(rx, 14.0, 1e-9, 0);
    const RertFractionGroup *g = rert_plan_fraction_group_at(plan, 0);
    assert_int_equal(g->beam_count, 4);
    rert_assert_near(g->dose_per_fraction_gy, 2.0, 1e-9, 0);
    assert_int_equal(rert_plan_beam_count(plan), 4);
    rert_plan_destroy(plan);
}

static void test_shared_nelms_structures(void **state)
{
    (void)state;
    const char *data = rert_test_require_shared_data();
    static const char *const shapes[] = {"Cone", "Cylinder", "RtCone",
                                         "RtCylinder", "Sphere"};
    static const char *const variants[] = {
        "02_0",   "10_0",      "10_X05", "10_X05Z05", "20_0",
        "20_X10", "20_X10Z10", "30_0",   "30_X15",    "30_X15Z15"};
    size_t loaded = 0;
    for (size_t s = 0; s < 5; s++) {
        for (size_t v = 0; v < 10; v++) {
            char path[1024];
            (void)snprintf(path, sizeof path,
                           "%s/nelms-dvh/structures/%s_%s.dcm", data, shapes[s],
                           variants[v]);
            RertStructureSet *ss = load_structures_or_fail(path);
            const RertRoi *shape = rert_structure_set_roi_by_number(ss, 2);
            assert_non_null(shape);
            if (rert_roi_status(shape) != RERT_OK) {
                fail_msg("%s", rert_roi_error(shape));
            }
            size_t n = 0;
            assert_non_null(rert_roi_polygons(shape, &n));
            assert_true(n >= 2);
            rert_structure_set_destroy(ss);
            loaded++;
        }
    }
    assert_int_equal(loaded, 50);
}

/* ---- allocation failure: every allocation may fail without leaks */

static void test_allocation_failures(void **state)
{
    (void)state;
    RertDataset *ss_ds = make_structure_set();
    RertDataset *plan_ds = make_plan(false);
    double z[3] = {0.0, 2.0, 4.0};
    Stack stack = make_stack(z, 3);
    bool done = false;
    for (size_t nth = 1; !done && nth < 5000; nth++) {
        RertError err;
        rert_alloc_fail_at(nth);
        RertStructureSet *ss =
            rert_structure_set_from_dataset(&err, ss_ds, NULL);
        rert_alloc_fail_at(nth);
        RertImageSeries *series = rert_image_series_from_datasets(
            &err, (const RertDataset *const *)stack.ds, stack.count, NULL,
            NULL);
        rert_alloc_fail_at(nth);
        RertPlan *plan = rert_plan_from_dataset(&err, plan_ds);
        rert_alloc_fail_at(0);
        done = ss != NULL && series != NULL && plan != NULL;
        rert_plan_destroy(plan);
        rert_structure_set_destroy(ss);
        rert_image_series_destroy(series);
    }
    assert_true(done);
    stack_clear(&stack);
    rert_dataset_destroy(plan_ds);
    rert_dataset_destroy(ss_ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_set),
        cmocka_unit_test(test_structure_set_errors),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_plan_ion_and_errors),
        cmocka_unit_test(test_object_kind),
        cmocka_unit_test(test_series_memory),
        cmocka_unit_test(test_series_errors),
        cmocka_unit_test(test_series_folder),
        cmocka_unit_test(test_shared_pydicom),
        cmocka_unit_test(test_shared_dicompyler),
        cmocka_unit_test(test_shared_plans),
        cmocka_unit_test(test_shared_nelms_structures),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
