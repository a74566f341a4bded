/* Unit tests: RT Dose reading and writing, from in-memory data sets and
 * shared files (other RT objects: test_rt_objects.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/rt.h>

#include "rert_test.h"
#include "rt_fixtures.h"

/* Description of an RT Dose to build. */
typedef struct DoseSpec {
    size_t cols, rows, frames;
    double ipp[3];
    double iop[6];
    double spacing[2]; /* PixelSpacing: row spacing, column spacing */
    double offsets[16];
    size_t offset_count;
    unsigned bits;
    bool is_signed;
    const char *units;
    double scaling;
} DoseSpec;

static DoseSpec dose_spec_default(void)
{
    DoseSpec s;
    memset(&s, 0, sizeof s);
    s.cols = 4;
    s.rows = 3;
    s.frames = 2;
    s.ipp[0] = -10.0;
    s.ipp[1] = -20.0;
    s.ipp[2] = 30.0;
    double iop[6] = {1, 0, 0, 0, 1, 0};
    memcpy(s.iop, iop, sizeof iop);
    s.spacing[0] = 2.0;
    s.spacing[1] = 3.0;
    s.offsets[0] = 0.0;
    s.offsets[1] = 5.0;
    s.offset_count = 2;
    s.bits = 16;
    s.units = "GY";
    s.scaling = 0.001;
    return s;
}

/* Stored value of voxel (i, j, k): distinct for every voxel. */
static long stored_value(size_t i, size_t j, size_t k, bool is_signed)
{
    long v = (long)(i + 10 * j + 100 * k + 1);
    return is_signed && (i + j) % 2 == 1 ? -v : v;
}

static void put_pixels(RertDataset *ds, const DoseSpec *s)
{
    size_t nb = s->bits / 8;
    size_t n = s->cols * s->rows * s->frames;
    uint8_t *bytes = rert_calloc(NULL, n, nb);
    assert_non_null(bytes);
    for (size_t k = 0; k < s->frames; k++) {
        for (size_t j = 0; j < s->rows; j++) {
            for (size_t i = 0; i < s->cols; i++) {
                size_t index = (k * s->rows + j) * s->cols + i;
                uint32_t u = (uint32_t)stored_value(i, j, k, s->is_signed);
                for (size_t b = 0; b < nb; b++) {
                    bytes[index * nb + b] = (uint8_t)(u >> (8 * b));
                }
            }
        }
    }
    assert_true(rert_dataset_set_bytes(NULL, ds, TAG(0x7FE0, 0x0010), "OW",
                                       bytes, n * nb));
    rert_free(bytes);
}

static RertDataset *make_dose(const DoseSpec *s)
{
    RertDataset *ds = new_ds();
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_RTDOSE);
    put(ds, TAG(0x0008, 0x0018), "UI", "1.2.3.4.5");
    put(ds, TAG(0x0008, 0x0060), "CS", "RTDOSE");
    put(ds, TAG(0x0010, 0x0010), "PN", "Doe^Jane");
    put(ds, TAG(0x0010, 0x0020), "LO", "PID-1");
    put(ds, TAG(0x0020, 0x000D), "UI", "1.2.3.1");
    put(ds, TAG(0x0020, 0x000E), "UI", "1.2.3.2");
    put(ds, TAG(0x0020, 0x0052), "UI", "1.2.3.99");
    put_ds(ds, TAG(0x0020, 0x0032), s->ipp, 3);
    put_ds(ds, TAG(0x0020, 0x0037), s->iop, 6);
    put_ds(ds, TAG(0x0028, 0x0030), s->spacing, 2);
    put_us(ds, TAG(0x0028, 0x0002), 1);
    put_is(ds, TAG(0x0028, 0x0008), (long)s->frames);
    put_us(ds, TAG(0x0028, 0x0010), (uint16_t)s->rows);
    put_us(ds, TAG(0x0028, 0x0011), (uint16_t)s->cols);
    put_us(ds, TAG(0x0028, 0x0100), (uint16_t)s->bits);
    put_us(ds, TAG(0x0028, 0x0101), (uint16_t)s->bits);
    put_us(ds, TAG(0x0028, 0x0102), (uint16_t)(s->bits - 1));
    put_us(ds, TAG(0x0028, 0x0103), s->is_signed ? 1 : 0);
    put(ds, TAG(0x3004, 0x0002), "CS", s->units);
    put(ds, TAG(0x3004, 0x0004), "CS", "PHYSICAL");
    put(ds, TAG(0x3004, 0x000A), "CS", "PLAN");
    if (s->offset_count > 0) {
        put_ds(ds, TAG(0x3004, 0x000C), s->offsets, s->offset_count);
    }
    put_ds(ds, TAG(0x3004, 0x000E), &s->scaling, 1);
    RertDataset *plan = rert_dataset_add_item(NULL, ds, TAG(0x300C, 0x0002));
    assert_non_null(plan);
    put(plan, TAG(0x0008, 0x1150), "UI", RERT_SOP_RTPLAN);
    put(plan, TAG(0x0008, 0x1155), "UI", "1.2.3.77");
    put_pixels(ds, s);
    return ds;
}

static RertDose *dose_or_fail(const RertDataset *ds,
                              const RertDoseLoadOptions *o)
{
    RertError err;
    rert_error_clear(&err);
    RertDose *dose = rert_dose_from_dataset(&err, ds, o);
    if (dose == NULL) {
        fail_msg("rert_dose_from_dataset: %s", err.message);
    }
    return dose;
}

/* Expect a failure with @p code and @p needle in the message. */
static void expect_dose_error(const RertDataset *ds,
                              const RertDoseLoadOptions *o,
                              RertErrorCode code,
                              const char *needle)
{
    RertError err;
    rert_error_clear(&err);
    RertDose *dose = rert_dose_from_dataset(&err, ds, o);
    if (dose != NULL) {
        rert_dose_destroy(dose);
        fail_msg("expected an error containing '%s'", needle);
    }
    if (err.code != code || strstr(err.message, needle) == NULL) {
        fail_msg("error %s '%s', expected %s containing '%s'",
                 rert_error_code_name(err.code), err.message,
                 rert_error_code_name(code), needle);
    }
}

/* ---- RT Dose reading */

static void test_dose_basic(void **state)
{
    (void)state;
    DoseSpec s = dose_spec_default();
    RertDataset *ds = make_dose(&s);
    RertDose *dose = dose_or_fail(ds, NULL);
    const RertVolume *v = rert_dose_volume(dose);
    const RertGridGeometry *g = rert_volume_geometry(v);
    assert_int_equal(g->dims[0], 4);
    assert_int_equal(g->dims[1], 3);
    assert_int_equal(g->dims[2], 2);
    /* PixelSpacing = row spacing (along j) \ column spacing (along i) */
    rert_assert_near(g->spacing_mm[0], 3.0, 1e-12, 0);
    rert_assert_near(g->spacing_mm[1], 2.0, 1e-12, 0);
    rert_assert_near(g->spacing_mm[2], 5.0, 1e-12, 0);
    for (size_t k = 0; k < 2; k++) {
        for (size_t j = 0; j < 3; j++) {
            for (size_t i = 0; i < 4; i++) {
                rert_assert_near(voxel(v, i, j, k),
                                 0.001 * (double)stored_value(i, j, k, false),
                                 1e-7, 1e-6);
            }
        }
    }
    assert_string_equal(rert_dose_meta(dose)->patient_id, "PID-1");
    assert_string_equal(rert_dose_meta(dose)->patient_name, "Doe^Jane");
    assert_string_equal(rert_dose_meta(dose)->frame_of_reference_uid,
                        "1.2.3.99");
    assert_string_equal(rert_dose_summation_type(dose), "PLAN");
    assert_string_equal(rert_dose_referenced_plan_uid(dose), "1.2.3.77");
    assert_string_equal(rert_dose_source_units(dose), "GY");
    assert_int_equal(rert_dose_type(dose), RERT_DOSE_TYPE_PHYSICAL);
    rert_assert_near(rert_dose_grid_scaling(dose), 0.001, 0, 1e-12);
    assert_int_equal(rert_dose_warning_count(dose), 0);
    assert_null(rert_dose_warning(dose, 0));
    /* the header keeps the tags, not the pixels */
    assert_true(rert_dataset_has(rert_dose_header(dose), TAG(0x3004, 0x000E)));
    assert_false(rert_dataset_has(rert_dose_header(dose), TAG(0x7FE0, 0x0010)));
    rert_dose_destroy(dose);
    rert_dataset_destroy(ds);
}

static void test_dose_32bit_signed_and_cgy(void **state)
{
    (void)state;
    DoseSpec s = dose_spec_default();
    s.bits = 32;
    s.is_signed = true;
    s.units = "CGY";
    s.scaling = 0.5;
    RertDataset *ds = make_dose(&s);
    RertDose *dose = dose_or_fail(ds, NULL);
    const RertVolume *v = rert_dose_volume(dose);
    rert_assert_near(voxel(v, 1, 0, 1),
                     0.5 * 0.01 * (double)stored_value(1, 0, 1, true), 1e-9,
                     1e-6);
    assert_true(voxel(v, 1, 0, 1) < 0.0);
    rert_assert_near(voxel(v, 3, 2, 1),
                     0.005 * (double)stored_value(3, 2, 1, true), 1e-9, 1e-6);
    assert_string_equal(rert_dose_source_units(dose), "CGY");
    rert_dose_destroy(dose);
    rert_dataset_destroy(ds);

    /* 16-bit signed too */
    s.bits = 16;
    s.units = "GY";
    ds = make_dose(&s);
    dose = dose_or_fail(ds, NULL);
    rert_assert_near(voxel(rert_dose_volume(dose), 0, 1, 0),
                     0.5 * (double)stored_value(0, 1, 0, true), 1e-9, 1e-6);
    rert_dose_destroy(dose);
    rert_dataset_destroy(ds);
}

static void test_dose_relative_units(void **state)
{
    (void)state;
    DoseSpec s = dose_spec_default();
    s.units = "RELATIVE";
    RertDataset *ds = make_dose(&s);
    expect_dose_error(ds, NULL, RERT_ERR_UNSUPPORTED, "RELATIVE");
    RertDoseLoadOptions o = rert_dose_load_options_default();
    o.relative_normalisation_gy = 60.0;
    RertDose *dose = dose_or_fail(ds, &o);
    rert_assert_near(voxel(rert_dose_volume(dose), 2, 1, 1),
                     60.0 * 0.001 * (double)stored_value(2, 1, 1, false), 1e-6,
                     1e-6);
    rert_dose_destroy(dose);
    put(ds, TAG(0x3004, 0x0002), "CS", "MGY");
    expect_dose_error(ds, &o, RERT_ERR_UNSUPPORTED, "MGY");
    rert_dataset_destroy(ds);
}

static void test_dose_absolute_offsets(void **state)
{
    (void)state;
    DoseSpec s = dose_spec_default();
    RertDataset *rel = make_dose(&s);
    s.offsets[0] = 30.0; /* = IPP z: absolute */
    s.offsets[1] = 35.0;
    RertDataset *abs_ds = make_dose(&s);
    RertDose *a = dose_or_fail(rel, NULL);
    RertDose *b = dose_or_fail(abs_ds, NULL);
    assert_true(rert_grid_geometry_equal(
        rert_volume_geometry(rert_dose_volume(a)),
        rert_volume_geometry(rert_dose_volume(b)), 1e-9));
    rert_dose_destroy(a);
    rert_dose_destroy(b);
    rert_dataset_destroy(abs_ds);

    /* feet first: normal is -z, absolute offsets are z positions */
    double ffs[6] = {-1, 0, 0, 0, 1, 0};
    memcpy(s.iop, ffs, sizeof ffs);
    s.offsets[0] = 30.0;
    s.offsets[1] = 25.0; /* z decreases: along +normal */
    abs_ds = make_dose(&s);
    b = dose_or_fail(abs_ds, NULL);
    const RertGridGeometry *g = rert_volume_geometry(rert_dose_volume(b));
    RertVec3 p = rert_grid_ijk_to_xyz(g, (RertVec3){0, 0, 1});
    rert_assert_near(p.z, 25.0, 1e-9, 0);
    rert_dose_destroy(b);
    rert_dataset_destroy(abs_ds);

    /* neither relative nor absolute */
    s.offsets[0] = 12.0;
    s.offsets[1] = 17.0;
    abs_ds = make_dose(&s);
    expect_dose_error(abs_ds, NULL, RERT_ERR_GEOMETRY,
                      "GridFrameOffsetVector first value");
    rert_dataset_destroy(abs_ds);
    rert_dataset_destroy(rel);
}

static void test_dose_offset_errors(void **state)
{
    (void)state;
    DoseSpec s = dose_spec_default();
    s.frames = 4;
    s.offset_count = 4;
    double bad_order[4] = {0, 2, 1, 3};
    memcpy(s.offsets, bad_order, sizeof bad_order);
    RertDataset *ds = make_dose(&s);
    expect_dose_error(ds, NULL, RERT_ERR_GEOMETRY, "monotonic");
    rert_dataset_destroy(ds);

    double uneven[4] = {0, 2, 4, 7};
    memcpy(s.offsets, uneven, sizeof uneven);
    ds = make_dose(&s);
    expect_dose_error(ds, NULL, RERT_ERR_GEOMETRY, "not uniform");
    rert_dataset_destroy(ds);

    double repeated[4] = {0, 2, 2, 4};
    memcpy(s.offsets, repeated, sizeof repeated);
    ds = make_dose(&s);
    expect_dose_error(ds, NULL, RERT_ERR_GEOMETRY, "monotonic");
    rert_dataset_destroy(ds);

    /* within 1 %: accepted, mean spacing used */
    double nearly[4] = {0, 2.005, 4.0, 6.0};
    memcpy(s.offsets, nearly, sizeof nearly);
    ds = make_dose(&s);
    RertDose *dose = dose_or_fail(ds, NULL);
    rert_assert_near(
        rert_volume_geometry(rert_dose_volume(dose))->spacing_mm[2], 2.0, 1e-12,
        0);
    rert_dose_destroy(dose);
    rert_dataset_destroy(ds);

    /* too few values; missing for a multi-frame dose */
    s.offset_count = 3;
    ds = make_dose(&s);
    expect_dose_error(ds, NULL, RERT_ERR_PARSE, "expected NumberOfFrames");
    rert_dataset_remove(ds, TAG(0x3004, 0x000C));
    expect_dose_error(ds, NULL, RERT_ERR_PARSE, "GridFrameOffsetVector");
    rert_dataset_destroy(ds);
}

static void test_dose_extra_offsets_warning(void **state)
{
    (void)state;
    DoseSpec s = dose_spec_default();
    s.frames = 1;
    s.offset_count = 5;
    for (size_t k = 0; k < 5; k++) {
        s.offsets[k] = 2.5 * (double)k;
    }
    RertDataset *ds = make_dose(&s);
    RertDose *dose = dose_or_fail(ds, NULL);
    assert_int_equal(rert_volume_geometry(rert_dose_volume(dose))->dims[2], 1);
    assert_true(rert_dose_warning_count(dose) >= 1);
    assert_non_null(strstr(rert_dose_warning(dose, 0), "5 values"));
    rert_dose_destroy(dose);
    /* with several frames the first NumberOfFrames values are used */
    rert_dataset_destroy(ds);
    s.frames = 3;
    ds = make_dose(&s);
    dose = dose_or_fail(ds, NULL);
    const RertGridGeometry *g = rert_volume_geometry(rert_dose_volume(dose));
    assert_int_equal(g->dims[2], 3);
    rert_assert_near(g->spacing_mm[2], 2.5, 1e-12, 0);
    assert_int_equal(rert_dose_warning_count(dose), 1);
    rert_dose_destroy(dose);
    rert_dataset_destroy(ds);
}

static void test_dose_missing_and_bad_tags(void **state)
{
    (void)state;
    DoseSpec s = dose_spec_default();
    struct {
        uint32_t tag;
        RertErrorCode code;
        const char *needle;
    } missing[] = {
        {TAG(0x0020, 0x0052), RERT_ERR_GEOMETRY, "FrameOfReferenceUID"},
        {TAG(0x3004, 0x0002), RERT_ERR_PARSE, "3004,0002"},
        {TAG(0x0028, 0x0030), RERT_ERR_PARSE, "0028,0030"},
        {TAG(0x0020, 0x0032), RERT_ERR_PARSE, "0020,0032"},
        {TAG(0x0020, 0x0037), RERT_ERR_PARSE, "0020,0037"},
        {TAG(0x0028, 0x0010), RERT_ERR_PARSE, "Rows"},
        {TAG(0x0028, 0x0100), RERT_ERR_PARSE, "0028,0100"},
        {TAG(0x7FE0, 0x0010), RERT_ERR_PARSE, "7FE0,0010"},
    };
    for (size_t m = 0; m < sizeof missing / sizeof missing[0]; m++) {
        RertDataset *ds = make_dose(&s);
        rert_dataset_remove(ds, missing[m].tag);
        expect_dose_error(ds, NULL, missing[m].code, missing[m].needle);
        rert_dataset_destroy(ds);
    }
    RertDataset *ds = make_dose(&s);
    double skew[6] = {1, 0, 0, 0.1, 1, 0};
    put_ds(ds, TAG(0x0020, 0x0037), skew, 6);
    expect_dose_error(ds, NULL, RERT_ERR_GEOMETRY, "orthonormal");
    double zero[2] = {0.0, 2.0};
    put_ds(ds, TAG(0x0020, 0x0037), s.iop, 6);
    put_ds(ds, TAG(0x0028, 0x0030), zero, 2);
    expect_dose_error(ds, NULL, RERT_ERR_GEOMETRY, "PixelSpacing");
    put_ds(ds, TAG(0x0028, 0x0030), s.spacing, 2);
    put(ds, TAG(0x3004, 0x0004), "CS", "BOGUS");
    expect_dose_error(ds, NULL, RERT_ERR_UNSUPPORTED, "DoseType");
    put(ds, TAG(0x3004, 0x0004), "CS", "EFFECTIVE");
    put(ds, TAG(0x3004, 0x000E), "DS", "0");
    expect_dose_error(ds, NULL, RERT_ERR_PARSE, "DoseGridScaling");
    put(ds, TAG(0x3004, 0x000E), "DS", "abc");
    expect_dose_error(ds, NULL, RERT_ERR_PARSE, "3004,000E");
    put(ds, TAG(0x3004, 0x000E), "DS", "0.001");
    put_us(ds, TAG(0x0028, 0x0002), 3);
    expect_dose_error(ds, NULL, RERT_ERR_UNSUPPORTED, "SamplesPerPixel");
    put_us(ds, TAG(0x0028, 0x0002), 1);
    /* pixel data one frame short */
    put_is(ds, TAG(0x0028, 0x0008), 3);
    double three[3] = {0, 5, 10};
    put_ds(ds, TAG(0x3004, 0x000C), three, 3);
    expect_dose_error(ds, NULL, RERT_ERR_PARSE, "");
    put_is(ds, TAG(0x0028, 0x0008), 2);
    put_ds(ds, TAG(0x3004, 0x000C), three, 2);
    /* a CT is not a dose */
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_CT);
    expect_dose_error(ds, NULL, RERT_ERR_INVALID_ARG, "expected RTDOSE");
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_RTDOSE);
    RertDose *dose = dose_or_fail(ds, NULL);
    assert_int_equal(rert_dose_type(dose), RERT_DOSE_TYPE_EFFECTIVE);
    assert_string_equal(rert_dose_type_name(RERT_DOSE_TYPE_ERROR), "ERROR");
    rert_dose_destroy(dose);
    rert_dataset_destroy(ds);
}

/* The 8 patient positions: voxel (i,j,k) must be at
 * IPP + i*colspacing*row_dir + j*rowspacing*col_dir + offset[k]*normal. */
static void test_dose_patient_positions(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double iop[6];
    } positions[] = {
        {"HFS", {1, 0, 0, 0, 1, 0}},   {"HFP", {-1, 0, 0, 0, -1, 0}},
        {"FFS", {-1, 0, 0, 0, 1, 0}},  {"FFP", {1, 0, 0, 0, -1, 0}},
        {"HFDL", {0, -1, 0, 1, 0, 0}}, {"HFDR", {0, 1, 0, -1, 0, 0}},
        {"FFDL", {0, 1, 0, 1, 0, 0}},  {"FFDR", {0, -1, 0, -1, 0, 0}},
    };
    for (size_t p = 0; p < 8; p++) {
        for (int sign = -1; sign <= 1; sign += 2) {
            DoseSpec s = dose_spec_default();
            memcpy(s.iop, positions[p].iop, sizeof s.iop);
            s.frames = 3;
            s.offset_count = 3;
            for (size_t k = 0; k < 3; k++) {
                s.offsets[k] = sign * 4.0 * (double)k;
            }
            RertDataset *ds = make_dose(&s);
            RertDose *dose = dose_or_fail(ds, NULL);
            const RertVolume *v = rert_dose_volume(dose);
            const RertGridGeometry *g = rert_volume_geometry(v);
            const double *r = s.iop;
            const double *c = s.iop + 3;
            const double n[3] = {r[1] * c[2] - r[2] * c[1],
                                 r[2] * c[0] - r[0] * c[2],
                                 r[0] * c[1] - r[1] * c[0]};
            for (size_t k = 0; k < 3; k++) {
                for (size_t j = 0; j < 3; j++) {
                    for (size_t i = 0; i < 4; i++) {
                        RertVec3 x = rert_grid_ijk_to_xyz(
                            g, (RertVec3){(double)i, (double)j, (double)k});
                        double want[3];
                        for (int a = 0; a < 3; a++) {
                            want[a] = s.ipp[a] +
                                      (double)i * s.spacing[1] * r[a] +
                                      (double)j * s.spacing[0] * c[a] +
                                      s.offsets[k] * n[a];
                        }
                        double off = fabs(x.x - want[0]) + fabs(x.y - want[1]) +
                                     fabs(x.z - want[2]);
                        if (off > 1e-9) {
                            fail_msg("%s, offsets x %d: voxel (%zu,%zu,%zu) "
                                     "at (%g,%g,%g), expected (%g,%g,%g)",
                                     positions[p].name, sign, i, j, k, x.x, x.y,
                                     x.z, want[0], want[1], want[2]);
                        }
                        rert_assert_near(
                            voxel(v, i, j, k),
                            0.001 * (double)stored_value(i, j, k, false), 1e-7,
                            1e-6);
                    }
                }
            }
            rert_dose_destroy(dose);
            rert_dataset_destroy(ds);
        }
    }
}

/* ---- RT Dose writing */

/* A sheared-free oblique grid (HFP-like directions) with a gradient and a
 * few negative voxels. */
static RertVolume *make_volume(void)
{
    size_t dims[3] = {5, 4, 3};
    double origin[3] = {12.5, -40.0, 7.25};
    double spacing[3] = {2.5, 1.5, 3.0};
    double direction[9] = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
    RertGridGeometry g;
    assert_true(
        rert_grid_geometry_make(NULL, dims, origin, spacing, direction, 0, &g));
    RertVolume *v = rert_volume_create(NULL, &g);
    assert_non_null(v);
    float *d = rert_volume_data(v);
    for (size_t n = 0; n < rert_grid_voxel_count(&g); n++) {
        d[n] = (float)(0.731 * (double)n + 0.0123);
    }
    d[3] = -0.5f;
    d[17] = -2.0f;
    return v;
}

static RertDataset *make_source(void)
{
    RertDataset *src = new_ds();
    put(src, TAG(0x0008, 0x0005), "CS", "ISO_IR 192");
    put(src, TAG(0x0010, 0x0010), "PN", "Roe^Richard");
    put(src, TAG(0x0010, 0x0020), "LO", "PID-9");
    put(src, TAG(0x0010, 0x0030), "DA", "19600101");
    put(src, TAG(0x0010, 0x0040), "CS", "M");
    put(src, TAG(0x0008, 0x0020), "DA", "20240102");
    put(src, TAG(0x0008, 0x0050), "SH", "ACC1");
    put(src, TAG(0x0020, 0x000D), "UI", "1.2.826.0.1.1");
    put(src, TAG(0x0020, 0x0052), "UI", "1.2.826.0.1.2");
    put(src, TAG(0x0020, 0x0010), "SH", "S1");
    RertDataset *plan = rert_dataset_add_item(NULL, src, TAG(0x300C, 0x0002));
    put(plan, TAG(0x0008, 0x1150), "UI", RERT_SOP_RTPLAN);
    put(plan, TAG(0x0008, 0x1155), "UI", "1.2.826.0.1.3");
    return src;
}

static void check_written(const RertDataset *ds,
                          const RertVolume *v,
                          const RertDoseWriteReport *rep,
                          unsigned bits)
{
    char text[128];
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x0008, 0x0016), 0, text,
                                        sizeof text));
    assert_string_equal(text, RERT_SOP_RTDOSE);
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x0008, 0x0018), 0, text,
                                        sizeof text));
    assert_string_equal(text, rep->sop_instance_uid);
    assert_true(strncmp(text, "2.25.", 5) == 0);
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x0010, 0x0020), 0, text,
                                        sizeof text));
    assert_string_equal(text, "PID-9");
    /* names are copied as bytes: the source's character set goes along */
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x0008, 0x0005), 0, text,
                                        sizeof text));
    assert_string_equal(text, "ISO_IR 192");
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x0020, 0x000D), 0, text,
                                        sizeof text));
    assert_string_equal(text, "1.2.826.0.1.1");
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x3004, 0x0006), 0, text,
                                        sizeof text));
    assert_string_equal(text, "EQD2 LQ alpha/beta 3 Gy, 35 fx");
    /* type 2 attributes present even when empty */
    assert_non_null(rert_dataset_find(ds, TAG(0x0008, 0x0090)));
    assert_non_null(rert_dataset_find(ds, TAG(0x0020, 0x1040)));
    double value = 0;
    assert_true(
        rert_dataset_get_double(NULL, ds, TAG(0x0028, 0x0100), 0, &value));
    rert_assert_near(value, bits, 0, 0);
    assert_true(
        rert_dataset_get_double(NULL, ds, TAG(0x0028, 0x0009), 0, &value));
    rert_assert_near(value, (double)TAG(0x3004, 0x000C), 0, 0);
    /* stored integers: |q*s - v| <= s/2 in double, negatives clamped */
    const RertElement *px = rert_dataset_find(ds, TAG(0x7FE0, 0x0010));
    assert_non_null(px);
    const float *d = rert_volume_data_const(v);
    size_t n = rert_grid_voxel_count(rert_volume_geometry(v));
    size_t width = bits / 8u;
    assert_int_equal(rert_element_length(px), width * n);
    const uint8_t *b = rert_element_value(px);
    double s = rep->grid_scaling;
    uint32_t qmax = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t q = 0;
        for (size_t k = width; k > 0; k--) {
            q = q << 8 | b[width * i + k - 1];
        }
        double want = d[i] > 0.0f ? (double)d[i] : 0.0;
        rert_assert_near((double)q * s, want, 0.5 * s * (1 + 1e-9), 0);
        qmax = q > qmax ? q : qmax;
    }
    /* the maximum maps near 2^bits - 1 */
    assert_true(bits == 32 ? qmax > 3900000000u : qmax > 64000u);
}

static void test_dose_write_round_trip(void **state)
{
    (void)state;
    RertVolume *v = make_volume();
    RertDataset *src = make_source();
    RertDoseWriteOptions o = rert_dose_write_options_default();
    o.source = src;
    o.comment = "EQD2 LQ alpha/beta 3 Gy, 35 fx";
    o.dose_type = RERT_DOSE_TYPE_EFFECTIVE;
    o.summation_type = "MULTI_PLAN";
    /* 0 = the default (16 bits), then 32 bits */
    const unsigned widths[2] = {0, 32};
    for (size_t wi = 0; wi < 2; wi++) {
        o.bits_allocated = widths[wi];
        unsigned bits =
            widths[wi] == 0 ? RERT_DOSE_WRITE_BITS_DEFAULT : widths[wi];
        RertDoseWriteReport rep;
        RertError err;
        RertDataset *ds = rert_dose_build_dataset(&err, v, &o, &rep);
        if (ds == NULL) {
            fail_msg("%s", err.message);
        }
        assert_int_equal(rep.clamped_voxels, 2);
        rert_assert_near(rep.most_negative_gy, -2.0, 1e-9, 0);
        check_written(ds, v, &rep, bits);

        RertDose *back = dose_or_fail(ds, NULL);
        const RertVolume *w = rert_dose_volume(back);
        assert_true(rert_grid_geometry_equal(rert_volume_geometry(v),
                                             rert_volume_geometry(w), 1e-6));
        const float *a = rert_volume_data_const(v);
        const float *b = rert_volume_data_const(w);
        for (size_t i = 0; i < rert_grid_voxel_count(rert_volume_geometry(v));
             i++) {
            double want = a[i] > 0.0f ? (double)a[i] : 0.0;
            /* one scaling step, plus float storage of the result */
            rert_assert_near((double)b[i], want, rep.grid_scaling, 1.2e-7);
        }
        assert_int_equal(rert_dose_type(back), RERT_DOSE_TYPE_EFFECTIVE);
        assert_string_equal(rert_dose_summation_type(back), "MULTI_PLAN");
        assert_string_equal(rert_dose_referenced_plan_uid(back),
                            "1.2.826.0.1.3");
        assert_string_equal(rert_dose_meta(back)->frame_of_reference_uid,
                            "1.2.826.0.1.2");
        assert_string_equal(rert_dose_comment(back),
                            "EQD2 LQ alpha/beta 3 Gy, 35 fx");
        rert_dose_destroy(back);
        rert_dataset_destroy(ds);
    }
    rert_dataset_destroy(src);
    rert_volume_destroy(v);
}

static void test_dose_write_errors(void **state)
{
    (void)state;
    RertVolume *v = make_volume();
    RertError err;
    RertDoseWriteOptions o = rert_dose_write_options_default();
    assert_null(rert_dose_build_dataset(&err, v, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "FrameOfReferenceUID"));
    o.frame_of_reference_uid = "1.2.3";
    o.summation_type = "RECORD";
    o.bits_allocated = 8;
    assert_null(rert_dose_build_dataset(&err, v, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "bits_allocated 8"));
    o = rert_dose_write_options_default();
    o.frame_of_reference_uid = "1.2.3";
    assert_null(rert_dose_build_dataset(&err, v, &o, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "ReferencedRTPlanSequence"));
    const char *plans[2] = {"1.2.3.4", "1.2.3.5"};
    o.referenced_plan_uids = plans;
    o.referenced_plan_count = 2;
    RertDataset *ds = rert_dose_build_dataset(&err, v, &o, NULL);
    assert_non_null(ds);
    assert_int_equal(rert_dataset_item_count(ds, TAG(0x300C, 0x0002)), 2);
    /* a new study UID when no source gives one */
    char text[RERT_UID_SIZE];
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x0020, 0x000D), 0, text,
                                        sizeof text));
    assert_true(strncmp(text, "2.25.", 5) == 0);
    assert_true(rert_dataset_get_string(NULL, ds, TAG(0x0008, 0x0005), 0, text,
                                        sizeof text));
    assert_string_equal(text, "ISO_IR 100");
    rert_dataset_destroy(ds);
    o.referenced_plan_count = 0;
    o.summation_type = "RECORD";
    ds = rert_dose_build_dataset(&err, v, &o, NULL);
    assert_non_null(ds);
    rert_dataset_destroy(ds);
    rert_volume_data(v)[0] = NAN;
    assert_null(rert_dose_build_dataset(&err, v, &o, NULL));
    assert_non_null(strstr(err.message, "finite"));
    assert_null(rert_dose_build_dataset(&err, NULL, &o, NULL));
    rert_volume_destroy(v);
}

static void test_dose_save_load_file(void **state)
{
    (void)state;
    RertVolume *v = make_volume();
    RertDataset *src = make_source();
    RertDoseWriteOptions o = rert_dose_write_options_default();
    o.source = src;
    char path[512];
    (void)snprintf(path, sizeof path, "%s/dose.dcm", rert_test_tmpdir());
    RertDoseWriteReport rep;
    RertError err;
    if (!rert_dose_save(&err, v, path, &o, &rep)) {
        fail_msg("%s", err.message);
    }
    RertDose *back = rert_dose_load(&err, path, NULL);
    if (back == NULL) {
        fail_msg("%s", err.message);
    }
    const float *a = rert_volume_data_const(v);
    const float *b = rert_volume_data_const(rert_dose_volume(back));
    for (size_t i = 0; i < rert_grid_voxel_count(rert_volume_geometry(v));
         i++) {
        double want = a[i] > 0.0f ? (double)a[i] : 0.0;
        rert_assert_near((double)b[i], want, rep.grid_scaling, 1.2e-7);
    }
    assert_string_equal(rert_dose_meta(back)->sop_instance_uid,
                        rep.sop_instance_uid);
    assert_string_equal(rert_dose_meta(back)->patient_name, "Roe^Richard");
    rert_dose_destroy(back);
    /* a path in a missing folder fails cleanly */
    assert_false(rert_dose_save(&err, v, "/nonexistent/dir/x.dcm", &o, NULL));
    assert_non_null(strstr(err.message, "/nonexistent/dir/x.dcm"));
    rert_dataset_destroy(src);
    rert_volume_destroy(v);
}

/* ---- shared third-party data (skipped when absent) */

static RertDose *load_dose_or_fail(const char *rel,
                                   const RertDoseLoadOptions *o)
{
    char path[1024];
    shared_path(path, sizeof path, rel);
    RertError err;
    RertDose *dose = rert_dose_load(&err, path, o);
    if (dose == NULL) {
        fail_msg("%s", err.message);
    }
    return dose;
}

static void test_shared_pydicom_doses(void **state)
{
    (void)state;
    char path[1024];
    shared_path(path, sizeof path, "pydicom/rtdose.dcm");
    RertError err;
    assert_null(rert_dose_load(&err, path, NULL));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "RELATIVE"));
    RertDoseLoadOptions o = rert_dose_load_options_default();
    o.relative_normalisation_gy = 1.0;
    RertDose *ref = load_dose_or_fail("pydicom/rtdose.dcm", &o);
    const RertVolume *v = rert_dose_volume(ref);
    const RertGridGeometry *g = rert_volume_geometry(v);
    assert_int_equal(g->dims[0], 10);
    assert_int_equal(g->dims[1], 10);
    assert_int_equal(g->dims[2], 15);
    rert_assert_near(g->spacing_mm[2], 5.0, 1e-9, 0);
    rert_assert_near(voxel(v, 0, 0, 0), 1.249, 1e-6, 0); /* pydicom */
    rert_assert_near(voxel(v, 3, 5, 7), 0.978, 1e-6, 0);
    const char *same[] = {"pydicom/rtdose_expb.dcm", "pydicom/rtdose_rle.dcm"};
    size_t n = rert_grid_voxel_count(g);
    for (size_t f = 0; f < 2; f++) {
        RertDose *other = load_dose_or_fail(same[f], &o);
        const RertVolume *w = rert_dose_volume(other);
        assert_true(rert_grid_geometry_equal(g, rert_volume_geometry(w), 1e-9));
        assert_memory_equal(rert_volume_data_const(v),
                            rert_volume_data_const(w), n * sizeof(float));
        rert_dose_destroy(other);
    }
    const char *single[] = {"pydicom/rtdose_1frame.dcm",
                            "pydicom/rtdose_expb_1frame.dcm",
                            "pydicom/rtdose_rle_1frame.dcm"};
    for (size_t f = 0; f < 3; f++) {
        RertDose *one = load_dose_or_fail(single[f], &o);
        const RertVolume *w = rert_dose_volume(one);
        assert_int_equal(rert_volume_geometry(w)->dims[2], 1);
        assert_true(rert_dose_warning_count(one) >= 1);
        assert_non_null(strstr(rert_dose_warning(one, 0), "15 values"));
        assert_memory_equal(rert_volume_data_const(v),
                            rert_volume_data_const(w), 100 * sizeof(float));
        rert_dose_destroy(one);
    }
    rert_dose_destroy(ref);
}

static void test_shared_nelms_doses(void **state)
{
    (void)state;
    static const char *const doses[] = {"AntPost_1mm", "AntPost_2mm",
                                        "AntPost_3mm", "SupInf_1mm",
                                        "SupInf_2mm",  "SupInf_3mm"};
    char rel[256];
    for (size_t d = 0; d < 6; d++) {
        (void)snprintf(rel, sizeof rel, "nelms-dvh/dose/%s.dcm", doses[d]);
        RertDose *dose = load_dose_or_fail(rel, NULL);
        assert_int_equal(rert_dose_type(dose), RERT_DOSE_TYPE_PHYSICAL);
        if (d == 0) {
            /* 1 Gy/mm anterior-posterior gradient, values from pydicom */
            const RertVolume *v = rert_dose_volume(dose);
            rert_assert_near(voxel(v, 0, 0, 0), 36.00000812, 1e-6, 0);
            rert_assert_near(voxel(v, 0, 1, 0), 35.00000790, 1e-6, 0);
            rert_assert_near(voxel(v, 1, 0, 1), 36.00000812, 1e-6, 0);
        }
        rert_dose_destroy(dose);
    }
}

/* ---- allocation failure: every allocation may fail without leaks */

static void test_allocation_failures(void **state)
{
    (void)state;
    DoseSpec spec = dose_spec_default();
    RertDataset *dose_ds = make_dose(&spec);
    RertVolume *v = make_volume();
    RertDataset *src = make_source();
    RertDoseWriteOptions wo = rert_dose_write_options_default();
    wo.source = src;
    size_t done = 0;
    for (size_t nth = 1; done < 2 && nth < 5000; nth++) {
        RertError err;
        done = 0;
        rert_alloc_fail_at(nth);
        RertDose *dose = rert_dose_from_dataset(&err, dose_ds, NULL);
        done += dose != NULL;
        rert_dose_destroy(dose);
        rert_alloc_fail_at(nth);
        RertDataset *out = rert_dose_build_dataset(&err, v, &wo, NULL);
        done += out != NULL;
        rert_dataset_destroy(out);
        rert_alloc_fail_at(0);
    }
    assert_int_equal(done, 2);
    rert_dataset_destroy(src);
    rert_volume_destroy(v);
    rert_dataset_destroy(dose_ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dose_basic),
        cmocka_unit_test(test_dose_32bit_signed_and_cgy),
        cmocka_unit_test(test_dose_relative_units),
        cmocka_unit_test(test_dose_absolute_offsets),
        cmocka_unit_test(test_dose_offset_errors),
        cmocka_unit_test(test_dose_extra_offsets_warning),
        cmocka_unit_test(test_dose_missing_and_bad_tags),
        cmocka_unit_test(test_dose_patient_positions),
        cmocka_unit_test(test_dose_write_round_trip),
        cmocka_unit_test(test_dose_write_errors),
        cmocka_unit_test(test_dose_save_load_file),
        cmocka_unit_test(test_shared_pydicom_doses),
        cmocka_unit_test(test_shared_nelms_doses),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
