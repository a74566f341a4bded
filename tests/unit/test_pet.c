/* Unit tests: PET SUV factors (science notes T20, T21; vendor header
 * variants and their errors), SUV statistics and TBR on generated series,
 * threshold interpretation (T27), threshold contours and the RT Structure
 * Set writer (dciodvfy, read back). */
#include <errno.h>
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
#include <rert/pet.h>
#include <rert/rt.h>

#include "rt_fixtures.h"

#define PI 3.14159265358979323846
#define F18_HALF_LIFE_S 6586.2
#define FRAME_UID "1.2.826.0.1.3680043.8.498.7001"
#define STUDY_UID "1.2.826.0.1.3680043.8.498.7002"
#define SERIES_UID "1.2.826.0.1.3680043.8.498.7003"

/* ---- PET header and series builder */

typedef double (*ActivityFn)(RertVec3 xyz, const void *user);

typedef struct PetSpec {
    const char *units;
    const char *corrected;
    const char *decay;
    double weight_kg; /* 0: absent */
    double height_m;  /* 0: absent */
    const char *sex;  /* NULL: absent */
    double dose_bq;
    double half_life_s;
    const char *start_datetime; /* NULL: absent */
    const char *start_time;     /* NULL: absent */
    const char *series_date;
    const char *series_time;
    const char *acq_date;
    const char *acq_times[64]; /* per slice; NULL entries use acq_time */
    const char *acq_time;
    double philips_suv;      /* 0: absent */
    double philips_activity; /* 0: absent */
    const char *ge_scan_datetime;
    /* image */
    size_t nx, ny, nz;
    double spacing_mm;
    double origin[3];
    ActivityFn activity;
    const void *user;
} PetSpec;

static PetSpec spec_t20(void)
{
    PetSpec s;
    memset(&s, 0, sizeof s);
    s.units = "BQML";
    s.corrected = "DECY\\ATTN\\SCAT\\DTIM";
    s.decay = "START";
    s.weight_kg = 70.0;
    s.dose_bq = 370e6;
    s.half_life_s = F18_HALF_LIFE_S;
    s.start_datetime = "20240115100000";
    s.series_date = "20240115";
    s.series_time = "110000";
    s.acq_date = "20240115";
    s.acq_time = "110000";
    s.nx = 4;
    s.ny = 4;
    s.nz = 3;
    s.spacing_mm = 2.0;
    return s;
}

static void put_header(RertDataset *ds, const PetSpec *s, size_t k)
{
    char uid[96];
    (void)snprintf(uid, sizeof uid, "%s.%zu", SERIES_UID, k + 1);
    put(ds, TAG(0x0008, 0x0016), "UI", RERT_SOP_PET);
    put(ds, TAG(0x0008, 0x0018), "UI", uid);
    put(ds, TAG(0x0008, 0x0060), "CS", "PT");
    put(ds, TAG(0x0010, 0x0010), "PN", "Pet^Test");
    put(ds, TAG(0x0010, 0x0020), "LO", "PET-1");
    put(ds, TAG(0x0020, 0x000D), "UI", STUDY_UID);
    put(ds, TAG(0x0020, 0x000E), "UI", SERIES_UID);
    put(ds, TAG(0x0020, 0x0052), "UI", FRAME_UID);
    put(ds, TAG(0x0054, 0x1001), "CS", s->units);
    put(ds, TAG(0x0028, 0x0051), "CS", s->corrected);
    put(ds, TAG(0x0054, 0x1102), "CS", s->decay);
    put(ds, TAG(0x0008, 0x0021), "DA", s->series_date);
    put(ds, TAG(0x0008, 0x0031), "TM", s->series_time);
    put(ds, TAG(0x0008, 0x0022), "DA", s->acq_date);
    const char *acq = s->acq_times[k] != NULL ? s->acq_times[k] : s->acq_time;
    put(ds, TAG(0x0008, 0x0032), "TM", acq);
    if (s->weight_kg > 0.0) {
        put_ds(ds, TAG(0x0010, 0x1030), &s->weight_kg, 1);
    }
    if (s->height_m > 0.0) {
        put_ds(ds, TAG(0x0010, 0x1020), &s->height_m, 1);
    }
    if (s->sex != NULL) {
        put(ds, TAG(0x0010, 0x0040), "CS", s->sex);
    }
    RertDataset *rp = rert_dataset_add_item(NULL, ds, TAG(0x0054, 0x0016));
    assert_non_null(rp);
    put_ds(rp, TAG(0x0018, 0x1074), &s->dose_bq, 1);
    put_ds(rp, TAG(0x0018, 0x1075), &s->half_life_s, 1);
    if (s->start_datetime != NULL) {
        put(rp, TAG(0x0018, 0x1078), "DT", s->start_datetime);
    }
    if (s->start_time != NULL) {
        put(rp, TAG(0x0018, 0x1072), "TM", s->start_time);
    }
    if (s->philips_suv != 0.0 || s->philips_activity != 0.0) {
        put(ds, TAG(0x7053, 0x0010), "LO", "Philips PET Private Group");
        put_ds(ds, TAG(0x7053, 0x1000), &s->philips_suv, 1);
        put_ds(ds, TAG(0x7053, 0x1009), &s->philips_activity, 1);
    }
    if (s->ge_scan_datetime != NULL) {
        put(ds, TAG(0x0009, 0x0010), "LO", "GEMS_PETD_01");
        put(ds, TAG(0x0009, 0x100D), "DT", s->ge_scan_datetime);
    }
}

/* Header only (for rert_suv_compute). */
static RertDataset *make_header(const PetSpec *s, size_t k)
{
    RertDataset *ds = new_ds();
    put_header(ds, s, k);
    return ds;
}

/* A complete slice: uint16 pixels, per-slice RescaleSlope (as GE does). */
static RertDataset *make_slice(const PetSpec *s, size_t k)
{
    RertDataset *ds = make_header(s, k);
    double ipp[3] = {s->origin[0], s->origin[1],
                     s->origin[2] + (double)k * s->spacing_mm};
    double iop[6] = {1, 0, 0, 0, 1, 0};
    double ps[2] = {s->spacing_mm, s->spacing_mm};
    put_ds(ds, TAG(0x0020, 0x0032), ipp, 3);
    put_ds(ds, TAG(0x0020, 0x0037), iop, 6);
    put_ds(ds, TAG(0x0028, 0x0030), ps, 2);
    put_ds(ds, TAG(0x0018, 0x0050), &s->spacing_mm, 1);
    put_us(ds, TAG(0x0028, 0x0002), 1);
    put(ds, TAG(0x0028, 0x0004), "CS", "MONOCHROME2");
    put_us(ds, TAG(0x0028, 0x0010), (uint16_t)s->ny);
    put_us(ds, TAG(0x0028, 0x0011), (uint16_t)s->nx);
    put_us(ds, TAG(0x0028, 0x0100), 16);
    put_us(ds, TAG(0x0028, 0x0101), 16);
    put_us(ds, TAG(0x0028, 0x0102), 15);
    put_us(ds, TAG(0x0028, 0x0103), 0);
    size_t n = s->nx * s->ny;
    double *act = rert_calloc(NULL, n, sizeof *act);
    uint16_t *px = rert_calloc(NULL, n, sizeof *px);
    assert_non_null(act);
    assert_non_null(px);
    double top = 1.0;
    for (size_t j = 0; j < s->ny; j++) {
        for (size_t i = 0; i < s->nx; i++) {
            RertVec3 xyz = {ipp[0] + (double)i * s->spacing_mm,
                            ipp[1] + (double)j * s->spacing_mm, ipp[2]};
            act[j * s->nx + i] = s->activity(xyz, s->user);
            top = fmax(top, act[j * s->nx + i]);
        }
    }
    double slope = top / 32000.0;
    for (size_t i = 0; i < n; i++) {
        px[i] = (uint16_t)lround(act[i] / slope);
    }
    double zero = 0.0;
    put_ds(ds, TAG(0x0028, 0x1053), &slope, 1);
    put_ds(ds, TAG(0x0028, 0x1052), &zero, 1);
    assert_true(rert_dataset_set_bytes(NULL, ds, TAG(0x7FE0, 0x0010), "OW", px,
                                       n * sizeof *px));
    rert_free(act);
    rert_free(px);
    return ds;
}

/* rert_suv_compute() on @p n headers of @p s. */
static bool suv_of(const PetSpec *s, size_t n, RertSuvResult *r, RertError *err)
{
    RertDataset *h[8];
    assert_true(n <= 8);
    for (size_t k = 0; k < n; k++) {
        h[k] = make_header(s, k);
    }
    bool ok = rert_suv_compute(err, (const RertDataset *const *)h, n, r, NULL);
    for (size_t k = 0; k < n; k++) {
        rert_dataset_destroy(h[k]);
    }
    return ok;
}

/* ---- T20, T21 */

static void test_t20(void **state)
{
    (void)state;
    PetSpec s = spec_t20();
    RertSuvResult r;
    RertError err;
    assert_true(suv_of(&s, 3, &r, &err));
    assert_int_equal(r.status, RERT_SUV_OK);
    assert_int_equal(r.method, RERT_SUV_METHOD_BQML);
    assert_int_equal(r.scan_time_source, RERT_SUV_SCAN_TIME_SERIES);
    rert_assert_near(r.decay_time_s, 3600.0, 1e-9, 0.0);
    rert_assert_near(r.decayed_dose_bq, 253.314e6, 0.0, 5e-6);
    rert_assert_near(r.suvbw_factor, 2.7634e-4, 0.0, 5e-5);
    rert_assert_near(20000.0 * r.suvbw_factor, 5.527, 5e-4, 0.0);
    /* Independent: 70000 g / (370e6 Bq * 2^(-3600/6586.2)). */
    rert_assert_near(r.suvbw_factor,
                     70000.0 / (370e6 * pow(2.0, -3600.0 / 6586.2)), 0.0,
                     1e-12);
    assert_false(r.has_sul); /* no height or sex */
    assert_string_equal(r.scan_datetime, "2024-01-15 11:00:00");
    assert_string_equal(r.injection_datetime, "2024-01-15 10:00:00");
}

static void test_t21(void **state)
{
    (void)state;
    double lbm = 0.0;
    RertError err;
    assert_true(rert_lean_body_mass_compute(&err, 80.0, 1.80, 'M', &lbm));
    rert_assert_near(lbm, 61.73, 0.005, 0.0);
    assert_true(rert_lean_body_mass_compute(&err, 60.0, 1.65, 'F', &lbm));
    rert_assert_near(lbm, 39.29, 0.005, 0.0);
    assert_false(rert_lean_body_mass_compute(&err, 60.0, 1.65, 'O', &lbm));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_false(rert_lean_body_mass_compute(&err, 0.0, 1.65, 'F', &lbm));

    /* Through the headers: SUL = SUVbw x LBM / W. */
    PetSpec s = spec_t20();
    s.weight_kg = 80.0;
    s.height_m = 1.80;
    s.sex = "M";
    RertSuvResult r;
    assert_true(suv_of(&s, 1, &r, &err));
    assert_true(r.has_sul);
    rert_assert_near(r.lbm_kg, 61.73, 0.005, 0.0);
    rert_assert_near(r.sul_factor, r.suvbw_factor * r.lbm_kg / 80.0, 0.0,
                     1e-12);
    /* A height in cm is not used. */
    s.height_m = 180.0;
    assert_true(suv_of(&s, 1, &r, &err));
    assert_false(r.has_sul);
}

/* The expectations of cornerstonejs/calculate-suv's unit tests
 * (test/calculateSUVScalingFactors.test.ts): an independent
 * implementation of the same pseudo-code. */
static void test_cornerstone_cases(void **state)
{
    (void)state;
    PetSpec s = spec_t20();
    s.half_life_s = 10.0;
    s.dose_bq = 100.0;
    s.weight_kg = 100.0;
    s.start_datetime = "20201023095417";
    s.series_date = "20201023";
    s.acq_date = "20201023";
    s.series_time = "095417";
    s.acq_time = "095417";
    RertSuvResult r;
    RertError err;
    assert_true(suv_of(&s, 1, &r, &err));
    rert_assert_near(r.suvbw_factor, 1000.0, 0.0, 1e-12);

    s.units = "GML";
    assert_true(suv_of(&s, 1, &r, &err));
    rert_assert_near(r.suvbw_factor, 1.0, 0.0, 0.0);

    s.units = "CNTS";
    s.philips_suv = 0.000551;
    s.philips_activity = 1.602563;
    assert_true(suv_of(&s, 1, &r, &err));
    assert_int_equal(r.method, RERT_SUV_METHOD_PHILIPS_SUV);
    rert_assert_near(r.suvbw_factor, 0.000551, 0.0, 1e-12);

    s.philips_suv = 0.0;
    assert_true(suv_of(&s, 1, &r, &err));
    assert_int_equal(r.method, RERT_SUV_METHOD_PHILIPS_ACTIVITY);
    rert_assert_near(r.suvbw_factor, 1602.563, 0.0, 1e-12);

    s.units = "BQML";
    s.philips_activity = 0.0;
    s.weight_kg = 75.0;
    s.sex = "M";
    s.height_m = 1.85;
    assert_true(suv_of(&s, 1, &r, &err));
    rert_assert_near(r.suvbw_factor, 750.0, 0.0, 1e-12);
    rert_assert_near(r.sul_factor, 609.1533588651974, 0.0, 1e-12);
}

/* ---- vendor header variants */

static void test_vendor_variants(void **state)
{
    (void)state;
    RertSuvResult r;
    RertError err;
    double expected = 70000.0 / (370e6 * pow(2.0, -3600.0 / 6586.2));

    /* Siemens-like: the series time was reset by post-processing to after
     * the acquisition; per-slice acquisition times, the earliest (11:00)
     * is the scan time. */
    PetSpec s = spec_t20();
    s.series_time = "123000";
    s.acq_times[0] = "110200";
    s.acq_times[1] = "110000";
    s.acq_times[2] = "110400";
    assert_true(suv_of(&s, 3, &r, &err));
    assert_int_equal(r.scan_time_source,
                     RERT_SUV_SCAN_TIME_EARLIEST_ACQUISITION);
    rert_assert_near(r.suvbw_factor, expected, 0.0, 1e-12);
    assert_true(r.warning_count >= 1);

    /* GE: the same, with the private post-injection scan datetime. */
    s.ge_scan_datetime = "20240115110000";
    s.acq_times[1] = "110100";
    assert_true(suv_of(&s, 3, &r, &err));
    assert_int_equal(r.scan_time_source, RERT_SUV_SCAN_TIME_GE_PRIVATE);
    rert_assert_near(r.suvbw_factor, expected, 0.0, 1e-12);

    /* Start time without a date: the series date is assumed. */
    s = spec_t20();
    s.start_datetime = NULL;
    s.start_time = "100000.000";
    assert_true(suv_of(&s, 2, &r, &err));
    rert_assert_near(r.suvbw_factor, expected, 0.0, 1e-12);
    assert_non_null(strstr(r.warnings[0], "no date"));

    /* Philips CNTS with its private SUV factor, in a private block other
     * than 0x10 is not what scanners write, but 0x10 with the creator is. */
    s = spec_t20();
    s.units = "CNTS";
    s.philips_suv = 0.000277;
    s.philips_activity = 3.2;
    assert_true(suv_of(&s, 2, &r, &err));
    rert_assert_near(r.suvbw_factor, 0.000277, 0.0, 1e-12);

    /* DecayCorrection ADMIN: images corrected to the injection time, the
     * dose is not decayed. */
    s = spec_t20();
    s.decay = "ADMIN";
    assert_true(suv_of(&s, 1, &r, &err));
    rert_assert_near(r.suvbw_factor, 70000.0 / 370e6, 0.0, 1e-12);
    assert_int_equal(r.scan_time_source, RERT_SUV_SCAN_TIME_INJECTION);

    /* A start time without a date before midnight, scan after it: the
     * series date cannot be assumed; a specific error says why. */
    s = spec_t20();
    s.start_datetime = NULL;
    s.start_time = "233000";
    s.series_date = "20240116";
    s.acq_date = "20240116";
    s.series_time = "003000";
    s.acq_time = "003000";
    assert_false(suv_of(&s, 1, &r, &err));
    assert_int_equal(r.status, RERT_SUV_INJECTION_AFTER_SCAN);
    assert_non_null(strstr(err.message, "no date"));

    /* ACR-NEMA style time and a DT with fractional seconds. */
    s = spec_t20();
    s.series_time = "11:00:00";
    s.start_datetime = "20240115100000.000000";
    assert_true(suv_of(&s, 1, &r, &err));
    rert_assert_near(r.suvbw_factor, expected, 0.0, 1e-12);
}

typedef struct ErrorCase {
    const char *what;
    RertSuvStatus status;
    RertErrorCode code;
    const char *needle;
} ErrorCase;

static void apply_error_case(PetSpec *s, size_t i)
{
    switch (i) {
    case 0:
        s->weight_kg = 0.0;
        break;
    case 1:
        s->start_datetime = NULL;
        break;
    case 2:
        s->start_datetime = "20240115113000";
        break;
    case 3:
        s->decay = "NONE";
        break;
    case 4:
        s->units = "PROPCPS";
        break;
    case 5:
        s->units = "CNTS";
        break;
    case 6:
        s->corrected = "ATTN\\SCAT";
        break;
    case 7:
        s->start_datetime = "20241315100000"; /* month 13 */
        break;
    case 8:
        s->series_time = "";
        s->acq_time = "";
        break;
    default:
        s->dose_bq = 0.0;
        break;
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const ErrorCase cases[] = {
        {"missing weight", RERT_SUV_NO_WEIGHT, RERT_ERR_PARSE, "0010,1030"},
        {"missing injection time", RERT_SUV_NO_INJECTION_TIME, RERT_ERR_PARSE,
         "0018,1072"},
        {"injection after acquisition", RERT_SUV_INJECTION_AFTER_SCAN,
         RERT_ERR_INVALID_ARG, "after the scan"},
        {"not decay corrected", RERT_SUV_NOT_DECAY_CORRECTED,
         RERT_ERR_UNSUPPORTED, "NONE"},
        {"units", RERT_SUV_UNITS_UNSUPPORTED, RERT_ERR_UNSUPPORTED, "PROPCPS"},
        {"CNTS without private factors", RERT_SUV_NO_PHILIPS_FACTOR,
         RERT_ERR_UNSUPPORTED, "7053,1000"},
        {"no DECY", RERT_SUV_NOT_CORRECTED, RERT_ERR_UNSUPPORTED, "DECY"},
        {"bad start datetime", RERT_SUV_BAD_VALUE, RERT_ERR_PARSE,
         "20241315100000"},
        {"no scan time", RERT_SUV_NO_SCAN_TIME, RERT_ERR_PARSE, "0008,0031"},
        {"no dose", RERT_SUV_NO_DOSE, RERT_ERR_PARSE, "0018,1074"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PetSpec s = spec_t20();
        apply_error_case(&s, i);
        RertSuvResult r;
        RertError err;
        if (suv_of(&s, 2, &r, &err)) {
            fail_msg("%s: accepted", cases[i].what);
        }
        if (r.status != cases[i].status || err.code != cases[i].code ||
            strstr(err.message, cases[i].needle) == NULL) {
            fail_msg("%s: status %s code %s message '%s'", cases[i].what,
                     rert_suv_status_name(r.status),
                     rert_error_code_name(err.code), err.message);
        }
    }
    /* Series-level values must agree. */
    PetSpec s = spec_t20();
    RertDataset *h[2] = {make_header(&s, 0), NULL};
    s.weight_kg = 71.0;
    h[1] = make_header(&s, 1);
    RertSuvResult r;
    RertError err;
    assert_false(
        rert_suv_compute(&err, (const RertDataset *const *)h, 2, &r, NULL));
    assert_int_equal(r.status, RERT_SUV_INCONSISTENT_SERIES);
    assert_non_null(strstr(err.message, "PatientWeight"));
    rert_dataset_destroy(h[0]);
    rert_dataset_destroy(h[1]);
}

/* ---- generated series with known activity */

typedef struct Sphere {
    RertVec3 centre;
    double radius_mm;
    double inside_bq_ml;
    double outside_bq_ml;
} Sphere;

static double sphere_activity(RertVec3 p, const void *user)
{
    const Sphere *s = user;
    double dx = p.x - s->centre.x;
    double dy = p.y - s->centre.y;
    double dz = p.z - s->centre.z;
    return dx * dx + dy * dy + dz * dz <= s->radius_mm * s->radius_mm
               ? s->inside_bq_ml
               : s->outside_bq_ml;
}

/* Circle polygons approximating a sphere on planes z0 + k * step. */
typedef struct Shape {
    RertVec3 *points;
    RertPolygon poly[128];
    size_t count;
} Shape;

static void sphere_shape(
    Shape *sh, RertVec3 c, double r, double z0, double step, size_t planes)
{
    enum { N = 72 };
    sh->points = rert_calloc(NULL, planes * N, sizeof *sh->points);
    assert_non_null(sh->points);
    sh->count = 0;
    for (size_t k = 0; k < planes && sh->count < 128; k++) {
        double z = z0 + (double)k * step;
        double rr = r * r - (z - c.z) * (z - c.z);
        if (rr <= 0.0) {
            continue;
        }
        RertVec3 *p = sh->points + sh->count * N;
        for (int q = 0; q < N; q++) {
            double a = 2.0 * PI * q / N;
            p[q].x = c.x + sqrt(rr) * cos(a);
            p[q].y = c.y + sqrt(rr) * sin(a);
            p[q].z = z;
        }
        sh->poly[sh->count].points_mm = p;
        sh->poly[sh->count].count = N;
        sh->count++;
    }
}

static void box_shape(Shape *sh,
                      double x0,
                      double y0,
                      double x1,
                      double y1,
                      double z0,
                      double step,
                      size_t planes)
{
    sh->points = rert_calloc(NULL, planes * 4, sizeof *sh->points);
    assert_non_null(sh->points);
    sh->count = planes;
    for (size_t k = 0; k < planes; k++) {
        RertVec3 *p = sh->points + 4 * k;
        double z = z0 + (double)k * step;
        p[0] = (RertVec3){x0, y0, z};
        p[1] = (RertVec3){x1, y0, z};
        p[2] = (RertVec3){x1, y1, z};
        p[3] = (RertVec3){x0, y1, z};
        sh->poly[k].points_mm = p;
        sh->poly[k].count = 4;
    }
}

static PetSpec series_spec(const Sphere *sp)
{
    PetSpec s = spec_t20();
    s.nx = 40;
    s.ny = 40;
    s.nz = 24;
    s.spacing_mm = 2.0;
    s.origin[0] = -39.0;
    s.origin[1] = -39.0;
    s.origin[2] = -23.0;
    s.activity = sphere_activity;
    s.user = sp;
    s.weight_kg = 80.0;
    s.height_m = 1.80;
    s.sex = "M";
    s.series_time = "120000"; /* post-processed: acquisition used */
    for (size_t k = 0; k < s.nz; k++) {
        s.acq_times[k] = k == 5 ? "110000" : "110300";
    }
    return s;
}

static RertPetImage *build_pet(const PetSpec *s)
{
    RertDataset *slices[64];
    for (size_t k = 0; k < s->nz; k++) {
        slices[k] = make_slice(s, s->nz - 1 - k); /* any order */
    }
    RertError err;
    RertPetImage *pet = rert_pet_image_from_datasets(
        &err, (const RertDataset *const *)slices, s->nz, NULL, NULL);
    if (pet == NULL) {
        fail_msg("PET: %s", err.message);
    }
    for (size_t k = 0; k < s->nz; k++) {
        rert_dataset_destroy(slices[k]);
    }
    return pet;
}

static void test_generated_series(void **state)
{
    (void)state;
    Sphere sp = {{1.0, -1.0, 1.0}, 15.0, 20000.0, 2000.0};
    PetSpec s = series_spec(&sp);
    RertPetImage *pet = build_pet(&s);
    const RertSuvResult *r = rert_pet_image_result(pet);
    double factor = 80000.0 / (370e6 * pow(2.0, -3600.0 / 6586.2));
    rert_assert_near(r->suvbw_factor, factor, 0.0, 1e-12);
    assert_int_equal(r->scan_time_source,
                     RERT_SUV_SCAN_TIME_EARLIEST_ACQUISITION);
    assert_true(r->has_sul);

    /* Structure inside the hot sphere, background box away from it. */
    Shape tumour;
    Shape background;
    sphere_shape(&tumour, sp.centre, 10.0, -23.0, 2.0, 24);
    box_shape(&background, -37.0, -37.0, -25.0, -25.0, -21.0, 2.0, 10);
    RertPetRoiStats t;
    RertPetRoiStats b;
    RertError err;
    assert_true(rert_pet_roi_stats_compute(
        &err, rert_pet_image_suv(pet), tumour.poly, tumour.count, NULL, &t));
    assert_true(rert_pet_roi_stats_compute(&err, rert_pet_image_suv(pet),
                                           background.poly, background.count,
                                           NULL, &b));
    double hot = 20000.0 * factor;
    double cold = 2000.0 * factor;
    /* 16-bit quantisation: 1/32000 of each slice's maximum. */
    rert_assert_near(t.suv_max, hot, 0.0, 1e-4);
    rert_assert_near(t.suv_mean, hot, 0.0, 1e-4);
    rert_assert_near(t.suv_peak, hot, 0.0, 1e-4); /* 1 cc fits inside */
    rert_assert_near(t.volume_cc, 4.0 / 3.0 * PI * 1.0, 0.0, 0.05);
    rert_assert_near(t.peak_radius_mm, 6.2035, 1e-3, 0.0);
    rert_assert_near(b.suv_mean, cold, 0.0, 1e-3);
    RertPetTbr tbr;
    assert_true(rert_pet_tbr_compute(&err, &t, &b, &tbr));
    rert_assert_near(tbr.tbr_max, 10.0, 0.0, 2e-3);
    rert_assert_near(tbr.tbr_mean, 10.0, 0.0, 2e-3);
    RertPetRoiStats zero = b;
    zero.suv_mean = 0.0;
    assert_false(rert_pet_tbr_compute(&err, &t, &zero, &tbr));
    rert_free(tumour.points);
    rert_free(background.points);
    rert_pet_image_destroy(pet);
}

/* The same series written to files and loaded from the folder: the
 * per-slice headers are read again for the acquisition times. */
static void test_series_from_files(void **state)
{
    (void)state;
    Sphere sp = {{1.0, -1.0, 1.0}, 15.0, 20000.0, 2000.0};
    PetSpec s = series_spec(&sp);
    char dir[1024];
    (void)snprintf(dir, sizeof dir, "%s/pet_series", rert_test_tmpdir());
    assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
    for (size_t k = 0; k < s.nz; k++) {
        char path[1100];
        (void)snprintf(path, sizeof path, "%s/PT%03zu.dcm", dir, k);
        RertDataset *ds = make_slice(&s, k);
        RertError err;
        assert_true(rert_dicom_save(&err, ds, path));
        rert_dataset_destroy(ds);
    }
    RertError err;
    RertPetImage *pet = rert_pet_image_load(&err, dir, NULL, NULL);
    if (pet == NULL) {
        fail_msg("%s", err.message);
    }
    const RertSuvResult *r = rert_pet_image_result(pet);
    assert_int_equal(r->scan_time_source,
                     RERT_SUV_SCAN_TIME_EARLIEST_ACQUISITION);
    double factor = 80000.0 / (370e6 * pow(2.0, -3600.0 / 6586.2));
    rert_assert_near(r->suvbw_factor, factor, 0.0, 1e-12);
    const RertVolume *v = rert_pet_image_suv(pet);
    /* Voxel (20, 19, 12) is at (1, -1, 1): the sphere centre. */
    rert_assert_near(voxel(v, 20, 19, 12), 20000.0 * factor, 0.0, 1e-4);
    rert_assert_near(voxel(v, 0, 0, 0), 2000.0 * factor, 0.0, 1e-3);
    rert_pet_image_destroy(pet);

    /* Not decay corrected: a specific error naming the folder. */
    s.decay = "NONE";
    char path[1100];
    for (size_t k = 0; k < s.nz; k++) {
        (void)snprintf(path, sizeof path, "%s/PT%03zu.dcm", dir, k);
        RertDataset *ds = make_slice(&s, k);
        assert_true(rert_dicom_save(&err, ds, path));
        rert_dataset_destroy(ds);
    }
    assert_null(rert_pet_image_load(&err, dir, NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "DecayCorrection"));
    assert_non_null(strstr(err.message, dir));
}

/* SUVpeak is a 1 cc mean, not the maximum: one hot voxel of value H in a
 * zero background gives H x (its weight) / (sum of weights ~ 1 cc). */
static double hot_voxel(RertVec3 p, const void *user)
{
    (void)user;
    return fabs(p.x - 1.0) < 0.1 && fabs(p.y - 1.0) < 0.1 &&
                   fabs(p.z - 1.0) < 0.1
               ? 10000.0
               : 0.0;
}

static void test_peak_is_one_cc_mean(void **state)
{
    (void)state;
    PetSpec s = spec_t20();
    s.nx = 20;
    s.ny = 20;
    s.nz = 12;
    s.spacing_mm = 2.0;
    s.origin[0] = -19.0;
    s.origin[1] = -19.0;
    s.origin[2] = -11.0;
    s.activity = hot_voxel;
    RertPetImage *pet = build_pet(&s);
    const RertVolume *v = rert_pet_image_suv(pet);
    double hot = 10000.0 * rert_pet_image_result(pet)->suvbw_factor;
    Shape roi;
    box_shape(&roi, -10.0, -10.0, 10.0, 10.0, -7.0, 2.0, 9);
    RertPetRoiStats t;
    RertError err;
    assert_true(
        rert_pet_roi_stats_compute(&err, v, roi.poly, roi.count, NULL, &t));
    rert_assert_near(t.suv_max, hot, 0.0, 1e-4);
    /* 1 cc = 125 voxels of 8 mm^3; the hot voxel lies wholly inside. */
    rert_assert_near(t.suv_peak, hot / 125.0, 0.0, 0.03);
    rert_assert_near(t.peak_sampled_cc, 1.0, 0.0, 0.03);
    /* Every centre whose sphere wholly holds the hot voxel ties; the first
     * in i-fastest order wins, within the sphere radius of it. */
    double d = sqrt(pow(t.peak_xyz.x - 1.0, 2) + pow(t.peak_xyz.y - 1.0, 2) +
                    pow(t.peak_xyz.z - 1.0, 2));
    assert_true(d > 0.0 && d < t.peak_radius_mm);
    assert_true(t.peak_xyz.z < 1.0);
    /* Identical for 1 and N threads. */
    RertPetRoiStats t1 = t;
#ifdef RERT_HAVE_OPENMP
    omp_set_num_threads(1);
    assert_true(
        rert_pet_roi_stats_compute(&err, v, roi.poly, roi.count, NULL, &t1));
    omp_set_num_threads(4);
#endif
    assert_true(t1.suv_peak == t.suv_peak);
    assert_true(t1.peak_xyz.y == t.peak_xyz.y);
    /* A structure outside the image. */
    Shape far;
    box_shape(&far, 100.0, 100.0, 110.0, 110.0, -7.0, 2.0, 3);
    assert_false(
        rert_pet_roi_stats_compute(&err, v, far.poly, far.count, NULL, &t));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    rert_free(far.points);
    rert_free(roi.points);
    rert_pet_image_destroy(pet);
}

/* ---- thresholds (T27) */

static const char *source_root(void)
{
    const char *env = getenv("RERT_SOURCE_ROOT");
    return env != NULL && env[0] != '\0' ? env : ".";
}

static void test_thresholds(void **state)
{
    (void)state;
    char path[4200];
    (void)snprintf(path, sizeof path, "%s/data/pet_thresholds.yaml",
                   source_root());
    RertError err;
    RertPetThresholdSet *set = rert_pet_thresholds_load(&err, path);
    if (set == NULL) {
        fail_msg("%s", err.message);
    }
    assert_true(rert_pet_thresholds_count(set) >= 5);
    const RertPetThreshold *t =
        rert_pet_thresholds_find(set, "fet-gbm-early-psp-galldiks2015");
    assert_non_null(t);
    assert_int_equal(t->metric, RERT_PET_METRIC_TBR_MAX);
    rert_assert_near(t->value, 2.3, 0.0, 0.0);
    char text[1024];
    const char *finding = NULL;
    assert_true(rert_pet_threshold_interpret(&err, t, 2.5, text, sizeof text,
                                             &finding));
    assert_string_equal(finding, "early progression");
    assert_true(strncmp(text, "suggests early progression", 26) == 0);
    assert_non_null(strstr(text, "not a diagnosis"));
    assert_true(rert_pet_threshold_interpret(&err, t, 2.0, text, sizeof text,
                                             &finding));
    assert_string_equal(finding, "pseudoprogression");
    assert_true(strncmp(text, "suggests pseudoprogression", 26) == 0);
    assert_false(rert_pet_threshold_interpret(&err, t, 2.0, text, 16, NULL));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    rert_pet_thresholds_destroy(set);

    /* Recalled values are refused, and unknown keys. */
    static const char recalled[] =
        "format: rert-pet-thresholds/1\nthresholds:\n"
        "  - {id: a, tracer: FET, setting: s, metric: TBRmax, value: 2,\n"
        "     above: x, below: y, source: z, evidence: R, verification: v}\n";
    assert_null(rert_pet_thresholds_parse(&err, recalled, strlen(recalled),
                                          "recalled.yaml"));
    assert_non_null(strstr(err.message, "evidence"));
    static const char extra[] =
        "format: rert-pet-thresholds/1\nthresholds:\n"
        "  - {id: a, tracer: FET, setting: s, metric: TBRmax, value: 2,\n"
        "     above: x, below: y, source: z, evidence: V, verification: v,\n"
        "     cutoff: 3}\n";
    assert_null(
        rert_pet_thresholds_parse(&err, extra, strlen(extra), "extra.yaml"));
    assert_non_null(strstr(err.message, "cutoff"));
}

/* ---- threshold contours */

typedef struct Blob {
    RertVec3 centre;
    double sigma_mm;
    double peak;
} Blob;

static double blob_activity(RertVec3 p, const void *user)
{
    const Blob *b = user;
    double dx = p.x - b->centre.x;
    double dy = p.y - b->centre.y;
    double dz = p.z - b->centre.z;
    return b->peak * exp(-(dx * dx + dy * dy + dz * dz) /
                         (2.0 * b->sigma_mm * b->sigma_mm));
}

static void test_contour_radius(void **state)
{
    (void)state;
    /* Gaussian blob on a voxel centre: the 40 % iso-surface is a sphere of
     * radius sigma * sqrt(2 ln 2.5). */
    Blob blob = {{1.0, -1.0, 1.0}, 8.0, 30000.0};
    PetSpec s = spec_t20();
    s.nx = 40;
    s.ny = 40;
    s.nz = 24;
    s.spacing_mm = 2.0;
    s.origin[0] = -39.0;
    s.origin[1] = -39.0;
    s.origin[2] = -23.0;
    s.activity = blob_activity;
    s.user = &blob;
    RertPetImage *pet = build_pet(&s);
    const RertVolume *v = rert_pet_image_suv(pet);
    Shape bound;
    box_shape(&bound, -30.0, -30.0, 30.0, 30.0, -21.0, 2.0, 21);
    RertError err;
    RertPetContour *c =
        rert_pet_contour_compute(&err, v, bound.poly, bound.count, NULL);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    double r40 = 8.0 * sqrt(2.0 * log(2.5));
    double suv_peak = 30000.0 * rert_pet_image_result(pet)->suvbw_factor;
    rert_assert_near(rert_pet_contour_bound_max(c), suv_peak, 0.0, 1e-4);
    rert_assert_near(rert_pet_contour_threshold(c), 0.4 * suv_peak, 0.0, 1e-4);
    size_t n = 0;
    const RertPolygon *polys = rert_pet_contour_polygons(c, &n);
    assert_true(n >= 9);
    double worst = 0.0;
    for (size_t p = 0; p < n; p++) {
        double dz = polys[p].points_mm[0].z - blob.centre.z;
        double expected = sqrt(r40 * r40 - dz * dz);
        for (size_t q = 0; q < polys[p].count; q++) {
            RertVec3 pt = polys[p].points_mm[q];
            double r = hypot(pt.x - blob.centre.x, pt.y - blob.centre.y);
            assert_true(fabs(pt.z - polys[p].points_mm[0].z) < 1e-9);
            worst = fmax(worst, fabs(r - expected));
        }
    }
    /* Linear interpolation of a Gaussian between 2 mm samples. */
    assert_true(worst < 0.35);
    /* Volume of the contour (rasterised back) against the sphere. */
    RertPetRoiStats st;
    assert_true(rert_pet_roi_stats_compute(&err, v, polys, n, NULL, &st));
    rert_assert_near(st.volume_cc, 4.0 / 3.0 * PI * pow(r40 / 10.0, 3), 0.0,
                     0.03);
    rert_pet_contour_destroy(c);

    /* Absolute threshold and bad options. */
    RertPetContourOptions o = rert_pet_contour_options_default();
    o.fraction_of_max = 0.0;
    o.suv_threshold = 0.4 * suv_peak;
    c = rert_pet_contour_compute(&err, v, bound.poly, bound.count, &o);
    assert_non_null(c);
    size_t n2 = 0;
    (void)rert_pet_contour_polygons(c, &n2);
    assert_int_equal(n2, n);
    rert_pet_contour_destroy(c);
    o.suv_threshold = 0.0;
    assert_null(rert_pet_contour_compute(&err, v, bound.poly, bound.count, &o));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_free(bound.points);
    rert_pet_image_destroy(pet);
}

/* A hollow shell gives an outer polygon and a hole on its central slice;
 * the bound cuts the contour where it crosses the bound. */
static double shell_activity(RertVec3 p, const void *user)
{
    (void)user;
    double r = sqrt(p.x * p.x + p.y * p.y + p.z * p.z);
    return r >= 7.0 && r <= 15.0 ? 10000.0 : 100.0;
}

static void test_contour_holes(void **state)
{
    (void)state;
    PetSpec s = spec_t20();
    s.nx = 30;
    s.ny = 30;
    s.nz = 5;
    s.spacing_mm = 2.0;
    s.origin[0] = -29.0;
    s.origin[1] = -29.0;
    s.origin[2] = -4.0;
    s.activity = shell_activity;
    RertPetImage *pet = build_pet(&s);
    const RertVolume *v = rert_pet_image_suv(pet);
    Shape bound;
    box_shape(&bound, -25.0, -25.0, 25.0, 25.0, 0.0, 2.0, 1);
    RertError err;
    RertPetContour *c =
        rert_pet_contour_compute(&err, v, bound.poly, bound.count, NULL);
    assert_non_null(c);
    size_t n = 0;
    const RertPolygon *polys = rert_pet_contour_polygons(c, &n);
    assert_int_equal(n, 2); /* outer boundary and hole, one slice */
    /* Rasterised back: the centre is a hole, the ring is inside. */
    const RertGridGeometry *g = rert_volume_geometry(v);
    float *occ = rert_calloc(NULL, rert_grid_voxel_count(g), sizeof *occ);
    assert_non_null(occ);
    assert_true(rert_rasterize_polygons(&err, g, polys, n, NULL, occ));
    /* (x, y) = (-1, -1) is voxel (14, 14); (11, -1) is (20, 14). */
    assert_true(occ[rert_grid_index(g, 14, 14, 2)] < 0.01f);
    assert_true(occ[rert_grid_index(g, 20, 14, 2)] > 0.99f);
    rert_free(occ);
    rert_pet_contour_destroy(c);

    /* A bound cutting the ring: only the part inside it. */
    Shape half;
    box_shape(&half, 0.0, -25.0, 25.0, 25.0, 0.0, 2.0, 1);
    c = rert_pet_contour_compute(&err, v, half.poly, half.count, NULL);
    assert_non_null(c);
    polys = rert_pet_contour_polygons(c, &n);
    assert_int_equal(n, 1); /* a C shape */
    for (size_t q = 0; q < polys[0].count; q++) {
        assert_true(polys[0].points_mm[q].x > -1.0);
    }
    rert_pet_contour_destroy(c);
    rert_free(half.points);
    rert_free(bound.points);
    rert_pet_image_destroy(pet);
}

/* ---- RT Structure Set writer */

static void test_rtstruct_write(void **state)
{
    (void)state;
    Sphere sp = {{1.0, -1.0, 1.0}, 15.0, 20000.0, 2000.0};
    PetSpec s = series_spec(&sp);
    RertPetImage *pet = build_pet(&s);
    const RertImageSeries *series = rert_pet_image_series(pet);
    const char *uids[64];
    for (size_t k = 0; k < s.nz; k++) {
        uids[k] = rert_image_series_slice_uid(series, k);
    }
    RertStructureSetImageRef img = {
        STUDY_UID, SERIES_UID, RERT_SOP_PET,
        uids,      s.nz,       rert_volume_geometry(rert_pet_image_suv(pet))};
    Shape ball;
    Shape box;
    sphere_shape(&ball, sp.centre, 10.0, -23.0, 2.0, 24);
    box_shape(&box, -37.0, -37.0, -25.0, -25.0, -21.0, 2.0, 10);
    RertRoiWriteSpec rois[2];
    memset(rois, 0, sizeof rois);
    rois[0].name = "GTV";
    rois[0].interpreted_type = "GTV";
    rois[0].has_color = true;
    rois[0].color[0] = 255;
    rois[0].polygons = ball.poly;
    rois[0].polygon_count = ball.count;
    rois[1].name = "Brain background";
    rois[1].interpreted_type = "CONTROL";
    rois[1].generation_algorithm = "MANUAL";
    rois[1].polygons = box.poly;
    rois[1].polygon_count = box.count;
    RertStructureSetWriteOptions o = rert_structure_set_write_options_default();
    o.source = rert_image_series_header(series);
    o.images = &img;
    o.label = "PETTEST";
    char path[1024];
    (void)snprintf(path, sizeof path, "%s/RS_new.dcm", rert_test_tmpdir());
    RertStructureSetWriteReport rep;
    RertError err;
    if (!rert_structure_set_save(&err, path, rois, 2, &o, &rep)) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(rep.first_number, 1);
    assert_int_equal(rep.contour_count, ball.count + box.count);
    assert_int_equal(rep.linked_contours, ball.count + box.count);
    rert_test_dciodvfy(path);

    RertStructureSet *ss = rert_structure_set_load(&err, path, NULL);
    assert_non_null(ss);
    assert_int_equal(rert_structure_set_roi_count(ss), 2);
    assert_string_equal(rert_structure_set_meta(ss)->frame_of_reference_uid,
                        FRAME_UID);
    assert_string_equal(rert_structure_set_label(ss), "PETTEST");
    const RertRoi *gtv = rert_structure_set_roi_by_name(ss, "GTV");
    assert_non_null(gtv);
    assert_int_equal(rert_roi_status(gtv), RERT_OK);
    assert_string_equal(rert_roi_interpreted_type(gtv), "GTV");
    uint8_t rgb[3];
    assert_true(rert_roi_color(gtv, rgb));
    assert_int_equal(rgb[0], 255);
    size_t n = 0;
    const RertPolygon *back = rert_roi_polygons(gtv, &n);
    assert_int_equal(n, ball.count);
    for (size_t q = 0; q < back[3].count; q++) {
        rert_assert_near(back[3].points_mm[q].x, ball.poly[3].points_mm[q].x,
                         1e-9, 1e-12);
        rert_assert_near(back[3].points_mm[q].y, ball.poly[3].points_mm[q].y,
                         1e-9, 1e-12);
    }

    /* Append a PET contour to the existing set. */
    RertPetContour *c = rert_pet_contour_compute(&err, rert_pet_image_suv(pet),
                                                 ball.poly, ball.count, NULL);
    assert_non_null(c);
    RertRoiWriteSpec add;
    memset(&add, 0, sizeof add);
    add.name = "PET40";
    add.interpreted_type = "GTV";
    add.polygons = rert_pet_contour_polygons(c, &add.polygon_count);
    RertDataset *existing = rert_dicom_load(&err, path, NULL, NULL);
    assert_non_null(existing);
    RertStructureSetWriteOptions o2 =
        rert_structure_set_write_options_default();
    o2.existing = existing;
    o2.images = &img;
    char path2[1024];
    (void)snprintf(path2, sizeof path2, "%s/RS_added.dcm", rert_test_tmpdir());
    assert_true(rert_structure_set_save(&err, path2, &add, 1, &o2, &rep));
    assert_int_equal(rep.first_number, 3);
    rert_test_dciodvfy(path2);
    RertStructureSet *ss2 = rert_structure_set_load(&err, path2, NULL);
    assert_non_null(ss2);
    assert_int_equal(rert_structure_set_roi_count(ss2), 3);
    assert_string_equal(rert_structure_set_label(ss2), "PETTEST");
    assert_string_not_equal(rert_structure_set_meta(ss2)->sop_instance_uid,
                            rert_structure_set_meta(ss)->sop_instance_uid);
    const RertRoi *pet40 = rert_structure_set_roi_by_name(ss2, "PET40");
    assert_non_null(pet40);
    assert_int_equal(rert_roi_number(pet40), 3);
    assert_int_equal(rert_roi_status(pet40), RERT_OK);
    assert_int_equal(rert_roi_contour_count(pet40), add.polygon_count);
    assert_int_equal(rert_roi_contour_count(rert_structure_set_roi_by_name(
                         ss2, "Brain background")),
                     box.count);
    /* Adding the same name again is refused. */
    RertDataset *added = rert_dicom_load(&err, path2, NULL, NULL);
    assert_non_null(added);
    o2.existing = added;
    assert_null(rert_structure_set_build_dataset(&err, &add, 1, &o2, &rep));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "PET40"));
    rert_dataset_destroy(added);

    rert_structure_set_destroy(ss2);
    rert_dataset_destroy(existing);
    rert_pet_contour_destroy(c);
    rert_structure_set_destroy(ss);
    rert_free(ball.points);
    rert_free(box.points);
    rert_pet_image_destroy(pet);
}

static void test_rtstruct_write_errors(void **state)
{
    (void)state;
    RertVec3 pts[3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
    RertPolygon poly = {pts, 3};
    RertRoiWriteSpec r;
    memset(&r, 0, sizeof r);
    r.name = "A";
    r.polygons = &poly;
    r.polygon_count = 1;
    RertStructureSetWriteOptions o = rert_structure_set_write_options_default();
    RertError err;
    /* No frame of reference anywhere. */
    assert_null(rert_structure_set_build_dataset(&err, &r, 1, &o, NULL));
    assert_non_null(strstr(err.message, "FrameOfReferenceUID"));
    o.frame_of_reference_uid = FRAME_UID;
    RertDataset *ds = rert_structure_set_build_dataset(&err, &r, 1, &o, NULL);
    assert_non_null(ds);
    rert_dataset_destroy(ds);
    /* Bad type, bad name, two points, NaN, zero ROIs. */
    r.interpreted_type = "gtv";
    assert_null(rert_structure_set_build_dataset(&err, &r, 1, &o, NULL));
    assert_non_null(strstr(err.message, "RTROIInterpretedType"));
    r.interpreted_type = NULL;
    r.name = "A\\B";
    assert_null(rert_structure_set_build_dataset(&err, &r, 1, &o, NULL));
    r.name = "A";
    poly.count = 2;
    assert_null(rert_structure_set_build_dataset(&err, &r, 1, &o, NULL));
    assert_non_null(strstr(err.message, "at least 3"));
    poly.count = 3;
    pts[1].x = (double)NAN;
    assert_null(rert_structure_set_build_dataset(&err, &r, 1, &o, NULL));
    pts[1].x = 1.0;
    assert_null(rert_structure_set_build_dataset(&err, &r, 0, &o, NULL));
    /* Duplicate numbers. */
    RertRoiWriteSpec two[2] = {r, r};
    two[0].number = 4;
    two[1].number = 4;
    two[1].name = "B";
    assert_null(rert_structure_set_build_dataset(&err, two, 2, &o, NULL));
    assert_non_null(strstr(err.message, "already used"));
    /* Extending something that is not a structure set. */
    RertDataset *ct = new_ds();
    put(ct, TAG(0x0008, 0x0016), "UI", RERT_SOP_CT);
    o.existing = ct;
    assert_null(rert_structure_set_build_dataset(&err, &r, 1, &o, NULL));
    assert_non_null(strstr(err.message, "not an RT Structure Set"));
    rert_dataset_destroy(ct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t20),
        cmocka_unit_test(test_t21),
        cmocka_unit_test(test_cornerstone_cases),
        cmocka_unit_test(test_vendor_variants),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_generated_series),
        cmocka_unit_test(test_series_from_files),
        cmocka_unit_test(test_peak_is_one_cc_mean),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_contour_radius),
        cmocka_unit_test(test_contour_holes),
        cmocka_unit_test(test_rtstruct_write),
        cmocka_unit_test(test_rtstruct_write_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
