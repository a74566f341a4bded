/* SUVbw and SUL factors from PET headers after the QIBA vendor-neutral
 * pseudo-code (QIBA FDG-PET/CT profile, appendix G; as implemented in
 * cornerstonejs/calculate-suv) and DICOM PS3.3 C.8.9.1 (PET Series,
 * Isotope). Lean body mass: Janmahasatian et al., Clin Pharmacokinet
 * 2005;44:1051-1065 (QIBA appendix H). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/pet.h>

#include "internal.h"

#define TAG_SERIES_DATE RERT_TAG(0x0008, 0x0021)
#define TAG_ACQUISITION_DATE RERT_TAG(0x0008, 0x0022)
#define TAG_ACQUISITION_DATETIME RERT_TAG(0x0008, 0x002A)
#define TAG_SERIES_TIME RERT_TAG(0x0008, 0x0031)
#define TAG_ACQUISITION_TIME RERT_TAG(0x0008, 0x0032)
#define TAG_PATIENT_SEX RERT_TAG(0x0010, 0x0040)
#define TAG_PATIENT_SIZE RERT_TAG(0x0010, 0x1020)
#define TAG_PATIENT_WEIGHT RERT_TAG(0x0010, 0x1030)
#define TAG_START_TIME RERT_TAG(0x0018, 0x1072)
#define TAG_TOTAL_DOSE RERT_TAG(0x0018, 0x1074)
#define TAG_HALF_LIFE RERT_TAG(0x0018, 0x1075)
#define TAG_START_DATETIME RERT_TAG(0x0018, 0x1078)
#define TAG_CORRECTED_IMAGE RERT_TAG(0x0028, 0x0051)
#define TAG_RADIOPHARMACEUTICAL_SEQ RERT_TAG(0x0054, 0x0016)
#define TAG_UNITS RERT_TAG(0x0054, 0x1001)
#define TAG_DECAY_CORRECTION RERT_TAG(0x0054, 0x1102)
#define GE_GROUP 0x0009u
#define GE_CREATOR "GEMS_PETD_01"
#define GE_SCAN_DATETIME 0x0Du
#define PHILIPS_GROUP 0x7053u
#define PHILIPS_CREATOR "Philips PET Private Group"
#define PHILIPS_SUV_FACTOR 0x00u
#define PHILIPS_ACTIVITY_FACTOR 0x09u
/* A PatientSize above this is taken as centimetres entered by mistake. */
#define MAX_HEIGHT_M 3.0

const char *rert_suv_status_name(RertSuvStatus status)
{
    static const char *const names[] = {"ok",
                                        "not_corrected",
                                        "not_decay_corrected",
                                        "units_unsupported",
                                        "no_weight",
                                        "no_dose",
                                        "no_half_life",
                                        "no_injection_time",
                                        "no_scan_time",
                                        "injection_after_scan",
                                        "no_philips_factor",
                                        "inconsistent_series",
                                        "bad_value"};
    size_t i = (size_t)status;
    return i < sizeof names / sizeof names[0] ? names[i] : "unknown";
}

const char *rert_suv_method_name(RertSuvMethod method)
{
    static const char *const names[] = {"NONE", "BQML", "PHILIPS_SUV",
                                        "PHILIPS_ACTIVITY", "GML"};
    size_t i = (size_t)method;
    return i < sizeof names / sizeof names[0] ? names[i] : "UNKNOWN";
}

const char *rert_suv_scan_time_name(RertSuvScanTime source)
{
    static const char *const names[] = {"none", "series", "ge_private",
                                        "earliest_acquisition", "injection"};
    size_t i = (size_t)source;
    return i < sizeof names / sizeof names[0] ? names[i] : "unknown";
}

bool rert_lean_body_mass_compute(
    RertError *err, double weight_kg, double height_m, char sex, double *lbm_kg)
{
    if (!(isfinite(weight_kg) && weight_kg > 0.0) ||
        !(isfinite(height_m) && height_m > 0.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "lean body mass: weight %g kg and height %g m "
                              "must be finite and > 0",
                              weight_kg, height_m);
    }
    double bmi = weight_kg / (height_m * height_m);
    if (sex == 'M') {
        *lbm_kg = 9270.0 * weight_kg / (6680.0 + 216.0 * bmi);
    } else if (sex == 'F') {
        *lbm_kg = 9270.0 * weight_kg / (8780.0 + 244.0 * bmi);
    } else {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "lean body mass: sex '%c', expected M or F",
                              sex != '\0' ? sex : '?');
    }
    return true;
}

static void warn(RertSuvResult *r, const char *fmt, ...) RERT_PRINTF(2, 3);
static void warn(RertSuvResult *r, const char *fmt, ...)
{
    if (r->warning_count < RERT_SUV_WARNINGS_MAX) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(r->warnings[r->warning_count], RERT_SUV_WARNING_SIZE,
                        fmt, ap);
        va_end(ap);
    }
    r->warning_count++;
}

/* ---- series-level values */

typedef struct SeriesInfo {
    long series_days;
    double series_seconds;
    double weight_kg;
    double dose_bq;
    double half_life_s;
    bool has_series_date;
    bool has_series_time;
    bool has_weight;
    bool has_dose;
    bool has_half_life;
    char corrected[64];
} SeriesInfo;

/* Series-level attributes that must agree between instances. */
static const struct {
    uint32_t tag;
    bool in_radiopharmaceutical;
    const char *name;
} series_tags[] = {
    {TAG_UNITS, false, "Units (0054,1001)"},
    {TAG_CORRECTED_IMAGE, false, "CorrectedImage (0028,0051)"},
    {TAG_DECAY_CORRECTION, false, "DecayCorrection (0054,1102)"},
    {TAG_PATIENT_WEIGHT, false, "PatientWeight (0010,1030)"},
    {TAG_PATIENT_SIZE, false, "PatientSize (0010,1020)"},
    {TAG_PATIENT_SEX, false, "PatientSex (0010,0040)"},
    {TAG_SERIES_DATE, false, "SeriesDate (0008,0021)"},
    {TAG_SERIES_TIME, false, "SeriesTime (0008,0031)"},
    {TAG_TOTAL_DOSE, true, "RadionuclideTotalDose (0018,1074)"},
    {TAG_HALF_LIFE, true, "RadionuclideHalfLife (0018,1075)"},
    {TAG_START_DATETIME, true, "RadiopharmaceuticalStartDateTime (0018,1078)"},
    {TAG_START_TIME, true, "RadiopharmaceuticalStartTime (0018,1072)"},
};

static const RertDataset *radiopharmaceutical(const RertDataset *ds)
{
    return rert_dataset_item(ds, TAG_RADIOPHARMACEUTICAL_SEQ, 0);
}

/* Whole text value of @p tag (all values, '\\' kept) or "". */
static void
whole_text(const RertDataset *ds, uint32_t tag, char *buf, size_t size)
{
    buf[0] = '\0';
    const RertElement *el = ds != NULL ? rert_dataset_find(ds, tag) : NULL;
    size_t n = el != NULL ? rert_element_length(el) : 0;
    if (n == 0 || n >= size || rert_element_value(el) == NULL) {
        return;
    }
    memcpy(buf, rert_element_value(el), n);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\0')) {
        n--;
    }
    buf[n] = '\0';
}

static bool check_consistent(RertError *err,
                             const RertDataset *const *headers,
                             size_t count,
                             RertSuvResult *r)
{
    for (size_t t = 0; t < sizeof series_tags / sizeof series_tags[0]; t++) {
        char first[128];
        const RertDataset *d0 = headers[0];
        whole_text(series_tags[t].in_radiopharmaceutical
                       ? radiopharmaceutical(d0)
                       : d0,
                   series_tags[t].tag, first, sizeof first);
        for (size_t i = 1; i < count; i++) {
            char other[128];
            const RertDataset *di = headers[i];
            whole_text(series_tags[t].in_radiopharmaceutical
                           ? radiopharmaceutical(di)
                           : di,
                       series_tags[t].tag, other, sizeof other);
            if (strcmp(first, other) != 0) {
                r->status = RERT_SUV_INCONSISTENT_SERIES;
                return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                      "%s differs between instances: '%s' "
                                      "(instance 1) and '%s' (instance %zu); "
                                      "one series must share it",
                                      series_tags[t].name, first, other, i + 1);
            }
        }
    }
    return true;
}

/* Optional positive number: absent -> *present false; malformed or <= 0
 * -> *present false and a warning. */
static void optional_positive(const RertDataset *ds,
                              uint32_t tag,
                              const char *name,
                              RertSuvResult *r,
                              double *out,
                              bool *present)
{
    *present = false;
    if (ds == NULL || !rert_dataset_has(ds, tag)) {
        return;
    }
    double v = 0.0;
    if (!rert_dataset_get_double(NULL, ds, tag, 0, &v) || !isfinite(v) ||
        v <= 0.0) {
        warn(r, "%s is malformed or not > 0: ignored", name);
        return;
    }
    *out = v;
    *present = true;
}

static void read_series(const RertDataset *ds, SeriesInfo *s, RertSuvResult *r)
{
    memset(s, 0, sizeof *s);
    char text[64];
    whole_text(ds, TAG_CORRECTED_IMAGE, s->corrected, sizeof s->corrected);
    whole_text(ds, TAG_SERIES_DATE, text, sizeof text);
    s->has_series_date = pet_parse_da(text, &s->series_days);
    whole_text(ds, TAG_SERIES_TIME, text, sizeof text);
    s->has_series_time = pet_parse_tm(text, &s->series_seconds);
    optional_positive(ds, TAG_PATIENT_WEIGHT, "PatientWeight (0010,1030)", r,
                      &s->weight_kg, &s->has_weight);
    const RertDataset *rp = radiopharmaceutical(ds);
    optional_positive(rp, TAG_TOTAL_DOSE, "RadionuclideTotalDose (0018,1074)",
                      r, &s->dose_bq, &s->has_dose);
    optional_positive(rp, TAG_HALF_LIFE, "RadionuclideHalfLife (0018,1075)", r,
                      &s->half_life_s, &s->has_half_life);
    r->weight_kg = s->has_weight ? s->weight_kg : 0.0;
    r->injected_dose_bq = s->has_dose ? s->dose_bq : 0.0;
    r->half_life_s = s->has_half_life ? s->half_life_s : 0.0;
}

static bool has_value(const char *multi, const char *value)
{
    const char *p = multi;
    size_t n = strlen(value);
    while (*p != '\0') {
        while (*p == ' ') {
            p++;
        }
        const char *end = strchr(p, '\\');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ') {
            len--;
        }
        if (len == n && strncmp(p, value, n) == 0) {
            return true;
        }
        p = end != NULL ? end + 1 : p + strlen(p);
    }
    return false;
}

static bool
check_corrections(RertError *err, const SeriesInfo *s, RertSuvResult *r)
{
    if (!has_value(s->corrected, "ATTN") || !has_value(s->corrected, "DECY")) {
        r->status = RERT_SUV_NOT_CORRECTED;
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "CorrectedImage (0028,0051) is '%s', expected "
                              "both ATTN (attenuation) and DECY (decay) "
                              "corrections for an SUV",
                              s->corrected);
    }
    if (strcmp(r->decay_correction, "START") != 0 &&
        strcmp(r->decay_correction, "ADMIN") != 0) {
        r->status = RERT_SUV_NOT_DECAY_CORRECTED;
        return rert_error_set(
            err, RERT_ERR_UNSUPPORTED,
            "DecayCorrection (0054,1102) is '%s', expected "
            "START or ADMIN: the images are not decay "
            "corrected, so no SUV can be computed",
            r->decay_correction[0] != '\0' ? r->decay_correction : "(absent)");
    }
    return true;
}

/* ---- times */

/* Earliest acquisition datetime over the instances. */
static bool earliest_acquisition(const RertDataset *const *headers,
                                 size_t count,
                                 const SeriesInfo *s,
                                 double *out)
{
    bool found = false;
    for (size_t i = 0; i < count; i++) {
        char text[64];
        double t = 0.0;
        bool offset = false;
        bool ok = false;
        whole_text(headers[i], TAG_ACQUISITION_DATETIME, text, sizeof text);
        ok = pet_parse_dt(text, &t, &offset) && strlen(text) >= 14;
        if (!ok) {
            long days = s->series_days;
            double clock = 0.0;
            whole_text(headers[i], TAG_ACQUISITION_DATE, text, sizeof text);
            bool has_date = pet_parse_da(text, &days) || s->has_series_date;
            whole_text(headers[i], TAG_ACQUISITION_TIME, text, sizeof text);
            ok = has_date && pet_parse_tm(text, &clock);
            t = (double)days * 86400.0 + clock;
        }
        if (ok && (!found || t < *out)) {
            *out = t;
            found = true;
        }
    }
    return found;
}

/* GE private post-injection scan datetime (0009,xx0D), "GEMS_PETD_01". */
static bool ge_scan_time(const RertDataset *ds, double *out)
{
    for (uint32_t block = 0x10; block <= 0xFF; block++) {
        char creator[64];
        whole_text(ds, RERT_TAG(GE_GROUP, block), creator, sizeof creator);
        if (strcmp(creator, GE_CREATOR) != 0) {
            continue;
        }
        char text[64];
        bool offset = false;
        whole_text(ds, RERT_TAG(GE_GROUP, (block << 8) | GE_SCAN_DATETIME),
                   text, sizeof text);
        return pet_parse_dt(text, out, &offset) && strlen(text) >= 14;
    }
    return false;
}

static bool scan_time(RertError *err,
                      const RertDataset *const *headers,
                      size_t count,
                      const SeriesInfo *s,
                      RertSuvResult *r,
                      double *out)
{
    double acquisition = 0.0;
    bool has_acquisition =
        earliest_acquisition(headers, count, s, &acquisition);
    bool has_series = s->has_series_date && s->has_series_time;
    double series = (double)s->series_days * 86400.0 + s->series_seconds;
    double ge = 0.0;
    if (has_series && (!has_acquisition || series <= acquisition)) {
        if (!has_acquisition) {
            warn(r, "no AcquisitionDate/Time to check the SeriesTime against: "
                    "SeriesDate/Time used as the scan time");
        }
        r->scan_time_source = RERT_SUV_SCAN_TIME_SERIES;
        *out = series;
    } else if (has_series && ge_scan_time(headers[0], &ge)) {
        warn(r, "SeriesDate/Time is after the earliest acquisition "
                "(post-processed series): GE private scan time (0009,100D) "
                "used");
        r->scan_time_source = RERT_SUV_SCAN_TIME_GE_PRIVATE;
        *out = ge;
    } else if (has_acquisition) {
        warn(r, has_series ? "SeriesDate/Time is after the earliest "
                             "AcquisitionDate/Time (the series was "
                             "post-processed): the earliest acquisition "
                             "time is used as the scan time"
                           : "no valid SeriesDate/SeriesTime: the earliest "
                             "AcquisitionDate/Time is used as the scan time");
        r->scan_time_source = RERT_SUV_SCAN_TIME_EARLIEST_ACQUISITION;
        *out = acquisition;
    } else {
        r->status = RERT_SUV_NO_SCAN_TIME;
        return rert_error_set(err, RERT_ERR_PARSE,
                              "no scan time: SeriesDate (0008,0021) / "
                              "SeriesTime (0008,0031) and AcquisitionDate "
                              "(0008,0022) / AcquisitionTime (0008,0032) are "
                              "absent or malformed");
    }
    pet_format_datetime(*out, r->scan_datetime, sizeof r->scan_datetime);
    return true;
}

/* Injection datetime; *date_assumed when only a time was given. */
static bool injection_time(RertError *err,
                           const RertDataset *ds,
                           const SeriesInfo *s,
                           double scan,
                           RertSuvResult *r,
                           double *out)
{
    const RertDataset *rp = radiopharmaceutical(ds);
    char text[64];
    bool offset = false;
    whole_text(rp, TAG_START_DATETIME, text, sizeof text);
    if (text[0] != '\0') {
        if (!pet_parse_dt(text, out, &offset) || strlen(text) < 12) {
            r->status = RERT_SUV_BAD_VALUE;
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "RadiopharmaceuticalStartDateTime "
                                  "(0018,1078) '%s' is not a DT with a time",
                                  text);
        }
        if (offset) {
            warn(r, "RadiopharmaceuticalStartDateTime has a UTC offset: "
                    "ignored (all times taken in one zone)");
        }
    } else {
        whole_text(rp, TAG_START_TIME, text, sizeof text);
        double clock = 0.0;
        if (text[0] == '\0' || !pet_parse_tm(text, &clock)) {
            r->status = RERT_SUV_NO_INJECTION_TIME;
            return rert_error_set(
                err, RERT_ERR_PARSE,
                "no injection time: RadiopharmaceuticalStartDateTime "
                "(0018,1078) and RadiopharmaceuticalStartTime (0018,1072) in "
                "RadiopharmaceuticalInformationSequence (0054,0016) are %s",
                text[0] == '\0' ? "absent" : "malformed");
        }
        /* No date: the series date (QIBA), else the scan's own date. */
        double day = s->has_series_date ? (double)s->series_days * 86400.0
                                        : floor(scan / 86400.0) * 86400.0;
        *out = day + clock;
        warn(r,
             "RadiopharmaceuticalStartTime (0018,1072) has no date: the "
             "%s date is assumed (an injection before midnight with a "
             "scan after it needs RadiopharmaceuticalStartDateTime)",
             s->has_series_date ? "series" : "scan");
    }
    pet_format_datetime(*out, r->injection_datetime,
                        sizeof r->injection_datetime);
    return true;
}

/* ---- factors */

static bool
require_bqml_inputs(RertError *err, const SeriesInfo *s, RertSuvResult *r)
{
    if (!s->has_weight) {
        r->status = RERT_SUV_NO_WEIGHT;
        return rert_error_set(err, RERT_ERR_PARSE,
                              "PatientWeight (0010,1030) is absent or not > 0:"
                              " SUVbw needs the weight in kg");
    }
    if (!s->has_dose) {
        r->status = RERT_SUV_NO_DOSE;
        return rert_error_set(err, RERT_ERR_PARSE,
                              "RadionuclideTotalDose (0018,1074) in "
                              "RadiopharmaceuticalInformationSequence is "
                              "absent or not > 0 Bq");
    }
    if (!s->has_half_life) {
        r->status = RERT_SUV_NO_HALF_LIFE;
        return rert_error_set(err, RERT_ERR_PARSE,
                              "RadionuclideHalfLife (0018,1075) in "
                              "RadiopharmaceuticalInformationSequence is "
                              "absent or not > 0 s");
    }
    return true;
}

/* Weight x 1000 / decayed dose (g/mL per Bq/mL). */
static bool bqml_factor(RertError *err,
                        const RertDataset *const *headers,
                        size_t count,
                        const SeriesInfo *s,
                        RertSuvResult *r,
                        double *factor)
{
    double scan = 0.0;
    double injection = 0.0;
    if (!require_bqml_inputs(err, s, r) ||
        !scan_time(err, headers, count, s, r, &scan) ||
        !injection_time(err, headers[0], s, scan, r, &injection)) {
        return false;
    }
    r->decay_time_s = scan - injection;
    if (r->decay_time_s < 0.0) {
        r->status = RERT_SUV_INJECTION_AFTER_SCAN;
        bool no_date = !rert_dataset_has(radiopharmaceutical(headers[0]),
                                         TAG_START_DATETIME);
        return rert_error_set(
            err, RERT_ERR_INVALID_ARG,
            "injection at %s is %.0f s after the scan time %s (%s): the "
            "header times are inconsistent%s",
            r->injection_datetime, -r->decay_time_s, r->scan_datetime,
            rert_suv_scan_time_name(r->scan_time_source),
            no_date ? " (RadiopharmaceuticalStartTime has no date; an "
                      "injection before midnight needs "
                      "RadiopharmaceuticalStartDateTime)"
                    : "");
    }
    double decay_s = r->decay_time_s;
    if (strcmp(r->decay_correction, "ADMIN") == 0) {
        /* Images corrected to the administration time: compare them with
         * the undecayed dose (PS3.3 C.8.9.1.1.5). */
        decay_s = 0.0;
        r->scan_time_source = RERT_SUV_SCAN_TIME_INJECTION;
        warn(r, "DecayCorrection ADMIN: images are decay corrected to the "
                "injection time, so the injected dose is not decayed");
    }
    r->decayed_dose_bq = s->dose_bq * pow(2.0, -decay_s / s->half_life_s);
    *factor = s->weight_kg * 1000.0 / r->decayed_dose_bq;
    return true;
}

/* Private element @p element of the Philips block, or false. */
static bool philips_value(const RertDataset *ds, uint32_t element, double *out)
{
    uint32_t block = 0x10;
    for (uint32_t b = 0x10; b <= 0xFF; b++) {
        char creator[64];
        whole_text(ds, RERT_TAG(PHILIPS_GROUP, b), creator, sizeof creator);
        if (strcmp(creator, PHILIPS_CREATOR) == 0) {
            block = b;
            break;
        }
    }
    uint32_t tag = RERT_TAG(PHILIPS_GROUP, (block << 8) | element);
    return rert_dataset_get_double(NULL, ds, tag, 0, out) && isfinite(*out) &&
           *out != 0.0;
}

static bool cnts_factors(RertError *err,
                         const RertDataset *const *headers,
                         size_t count,
                         const SeriesInfo *s,
                         RertSuvResult *r,
                         double *factors)
{
    bool all_suv = true;
    bool all_activity = true;
    for (size_t i = 0; i < count; i++) {
        double v = 0.0;
        all_suv = all_suv && philips_value(headers[i], PHILIPS_SUV_FACTOR, &v);
        all_activity = all_activity &&
                       philips_value(headers[i], PHILIPS_ACTIVITY_FACTOR, &v);
    }
    if (all_suv) {
        r->method = RERT_SUV_METHOD_PHILIPS_SUV;
        for (size_t i = 0; i < count; i++) {
            (void)philips_value(headers[i], PHILIPS_SUV_FACTOR, &factors[i]);
        }
        return true;
    }
    double bqml = 0.0;
    if (!all_activity) {
        r->status = RERT_SUV_NO_PHILIPS_FACTOR;
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "Units CNTS but no non-zero Philips private SUV "
                              "scale factor (7053,1000) or activity "
                              "concentration scale factor (7053,1009) in every "
                              "instance (creator '%s')",
                              PHILIPS_CREATOR);
    }
    if (!bqml_factor(err, headers, count, s, r, &bqml)) {
        return false;
    }
    r->method = RERT_SUV_METHOD_PHILIPS_ACTIVITY;
    for (size_t i = 0; i < count; i++) {
        double acsf = 0.0;
        (void)philips_value(headers[i], PHILIPS_ACTIVITY_FACTOR, &acsf);
        factors[i] = acsf * bqml;
    }
    return true;
}

static bool unit_factors(RertError *err,
                         const RertDataset *const *headers,
                         size_t count,
                         const SeriesInfo *s,
                         RertSuvResult *r,
                         double *factors)
{
    if (strcmp(r->units, "BQML") == 0) {
        r->method = RERT_SUV_METHOD_BQML;
        if (!bqml_factor(err, headers, count, s, r, &factors[0])) {
            return false;
        }
        for (size_t i = 1; i < count; i++) {
            factors[i] = factors[0];
        }
        return true;
    }
    if (strcmp(r->units, "CNTS") == 0) {
        return cnts_factors(err, headers, count, s, r, factors);
    }
    if (strcmp(r->units, "GML") == 0) {
        /* QIBA: GML taken as SUVbw already. */
        r->method = RERT_SUV_METHOD_GML;
        for (size_t i = 0; i < count; i++) {
            factors[i] = 1.0;
        }
        return true;
    }
    r->status = RERT_SUV_UNITS_UNSUPPORTED;
    return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                          "Units (0054,1001) '%s': SUV supported for BQML, "
                          "CNTS (Philips) and GML only",
                          r->units[0] != '\0' ? r->units : "(absent)");
}

static void sul(const RertDataset *ds, const SeriesInfo *s, RertSuvResult *r)
{
    char sex[16];
    whole_text(ds, TAG_PATIENT_SEX, sex, sizeof sex);
    r->sex = sex[0];
    optional_positive(ds, TAG_PATIENT_SIZE, "PatientSize (0010,1020)", r,
                      &r->height_m, &r->has_height);
    if (r->has_height && r->height_m > MAX_HEIGHT_M) {
        warn(r, "PatientSize %g m is not plausible (centimetres?): no SUL",
             r->height_m);
        r->has_height = false;
    }
    if (!s->has_weight || !r->has_height || (r->sex != 'M' && r->sex != 'F')) {
        warn(r, "no SUL: it needs PatientWeight, PatientSize and PatientSex "
                "M or F");
        return;
    }
    if (rert_lean_body_mass_compute(NULL, s->weight_kg, r->height_m, r->sex,
                                    &r->lbm_kg)) {
        r->has_sul = true;
        r->sul_factor = r->suvbw_factor * r->lbm_kg / s->weight_kg;
    }
}

static bool compute(RertError *err,
                    const RertDataset *const *headers,
                    size_t count,
                    RertSuvResult *r,
                    double *factors)
{
    SeriesInfo s;
    if (!check_consistent(err, headers, count, r)) {
        return false;
    }
    whole_text(headers[0], TAG_UNITS, r->units, sizeof r->units);
    whole_text(headers[0], TAG_DECAY_CORRECTION, r->decay_correction,
               sizeof r->decay_correction);
    read_series(headers[0], &s, r);
    if (!check_corrections(err, &s, r) ||
        !unit_factors(err, headers, count, &s, r, factors)) {
        return false;
    }
    r->suvbw_factor = factors[0];
    r->suvbw_factor_min = factors[0];
    r->suvbw_factor_max = factors[0];
    for (size_t i = 1; i < count; i++) {
        r->suvbw_factor_min = fmin(r->suvbw_factor_min, factors[i]);
        r->suvbw_factor_max = fmax(r->suvbw_factor_max, factors[i]);
    }
    sul(headers[0], &s, r);
    return true;
}

bool rert_suv_compute(RertError *err,
                      const RertDataset *const *headers,
                      size_t count,
                      RertSuvResult *result,
                      double *instance_factors)
{
    if (result == NULL || headers == NULL || count == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "SUV: no PET headers given");
    }
    memset(result, 0, sizeof *result);
    for (size_t i = 0; i < count; i++) {
        if (headers[i] == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "SUV: header %zu is NULL", i);
        }
    }
    double *factors = instance_factors;
    double *owned = NULL;
    if (factors == NULL) {
        owned = rert_calloc(err, count, sizeof *owned);
        if (owned == NULL) {
            return false;
        }
        factors = owned;
    }
    bool ok = compute(err, headers, count, result, factors);
    if (ok && !(isfinite(result->suvbw_factor_min) &&
                isfinite(result->suvbw_factor_max) &&
                result->suvbw_factor_min > 0.0)) {
        result->status = RERT_SUV_BAD_VALUE;
        ok = rert_error_set(err, RERT_ERR_PARSE,
                            "SUV factor not finite and > 0 (%g to %g): check "
                            "the dose, weight and private factors",
                            result->suvbw_factor_min, result->suvbw_factor_max);
    }
    rert_free(owned);
    return ok;
}
