/* The case file of the built-in demonstration (`rert demo`): the phantom's
 * two courses as a prior and a planned course, with every assumption
 * written out (docs/phantom.md, docs/case-file.md). */
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/io.h>
#include <rert/phantom.h>

#include "internal.h"

/* The landmark file written beside the case file (course 1 = prior). */
#define LANDMARK_FILE "landmarks_course1.csv"

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil) and back. */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2 ? 1 : 0;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

/* "YYYYMMDD" -> days; false when malformed. */
static bool parse_date(RertError *err, const char *text, long *days)
{
    long v = 0;
    if (text == NULL || strlen(text) != 8 ||
        !rert_parse_long(err, text, 8, 19000101, 29991231, "phantom date",
                         &v)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom start date '%s': expected YYYYMMDD",
                              text != NULL ? text : "(null)");
    }
    *days = days_from_civil(v / 10000, v / 100 % 100, v % 100);
    return true;
}

static void format_date(long days, char out[11])
{
    long y = 0;
    long m = 0;
    long d = 0;
    civil_from_days(days, &y, &m, &d);
    char buf[64];
    (void)snprintf(buf, sizeof buf, "%04ld-%02ld-%02ld", y, m, d);
    memcpy(out, buf, 10);
    out[10] = '\0';
}

/* Five fractions a week from a Monday: the last treatment day. */
static long end_day(long start, long fractions)
{
    long weeks = (fractions - 1) / 5;
    long rest = (fractions - 1) % 5;
    return start + 7 * weeks + rest;
}

static bool write_course(RertError *err,
                         RertStrbuf *sb,
                         const RertPhantomCourse *c,
                         int index,
                         bool planned)
{
    long start = 0;
    if (!parse_date(err, c->start_date, &start)) {
        return false;
    }
    char s[11];
    char e[11];
    format_date(start, s);
    format_date(end_day(start, c->fractions), e);
    bool ok = rert_strbuf_printf(err, sb,
                                 "  - name: course%d\n"
                                 "    role: %s\n"
                                 "    start_date: %s\n",
                                 index, planned ? "planned" : "prior", s);
    if (ok && !planned) {
        ok = rert_strbuf_printf(err, sb, "    end_date: %s\n", e);
    }
    ok = ok && rert_strbuf_printf(err, sb,
                                  "    modality: photon\n"
                                  "    technique: VMAT\n"
                                  "    intent: curative\n"
                                  "    data_quality: full_dicom\n"
                                  "    dicom:\n"
                                  "      ct: course%d/ct\n"
                                  "      rtdose: course%d/RD.dcm\n"
                                  "      rtstruct: course%d/RS.dcm\n"
                                  "      rtplan: course%d/RP.dcm\n"
                                  "    prescription_gy: %g\n"
                                  "    targets: [PTV_%.0f]\n"
                                  "    target_organs: [%s]\n",
                                  index, index, index, index,
                                  c->prescription_gy, c->prescription_gy,
                                  planned ? "neck" : "oropharynx");
    if (ok && !planned) {
        ok = rert_strbuf_puts(
            err, sb,
            "    # different frame of reference and a deformed neck:\n"
            "    # rigid then deformable registration, automatically\n"
            "    # anatomical points on both CTs from the generator's known\n"
            "    # deformation: the report gives their TRE\n"
            "    registration: {method: deformable_auto, "
            "landmarks: " LANDMARK_FILE "}\n"
            "    toxicity:\n"
            "      ctcae_version: \"5.0\"\n"
            "      events:\n"
            "        - {term: Dysphagia, grade: 2, phase: acute}\n"
            "        - {term: Xerostomia, grade: 1, phase: late}\n");
    }
    return ok;
}

static const char *const case_tail =
    "alpha_beta:\n"
    "  default_gy: 3      # generic late-responding tissue [P]\n"
    "  source: \"reirradiation-science.md s3.5: cord 2 (Nieder 2006), "
    "brain/brainstem 2, late tissue 3 [P], tumour 10 [P]\"\n"
    "  structures:\n"
    "    SpinalCord: 2\n"
    "    Brainstem: 2\n"
    "    GTV: 10\n"
    "    CTV: 10\n"
    "    PTV_70: 10\n"
    "    PTV_60: 10\n"
    "\n"
    "recovery:\n"
    "  convention: A      # discount the prior dose\n"
    "  default: {model: none}\n"
    "  organs:\n"
    "    - organ: SpinalCord\n"
    "      model: published\n"
    "      name: nieder-cord\n"
    "\n"
    "constraints:\n"
    "  set: builtin\n"
    "  site: head_neck   # library constraints of other sites are listed, "
    "not applied\n"
    "\n"
    "classification:\n"
    "  overlap_threshold_gy: 20\n"
    "  overlap_threshold_source: \"demonstration choice: 20 Gy EQD2 (the "
    "consensus sets no isodose)\"\n"
    "\n"
    "reporting:\n"
    "  recurrence: recurrence\n"
    "  imaging: [FDG PET-CT]\n"
    "\n"
    "options:\n"
    "  reference_grid: planned_ct\n"
    "\n"
    "# Patient-selection inputs (docs/selection.md); unanswered checklist\n"
    "# items are reported as not assessed.\n"
    "selection:\n"
    "  histology_at_diagnosis: \"squamous cell carcinoma, HPV negative\"\n"
    "  lesion_type: recurrence\n"
    "  extent: local\n"
    "  response_to_first_rt: \"complete response, 22 months\"\n"
    "  feeding_tube_or_tracheostomy: false\n"
    "  salvage_surgery: false\n"
    "  meaningful_dose_achievable: true\n"
    "  tumour_board: true\n";

/* Landmarks in anatomy (= course-1 patient) coordinates, mm: bony,
 * organ and skin points inside the body, some where the neck deformation
 * is zero (near the spine) and most where it is large (docs/phantom.md). */
static const struct {
    const char *label;
    double xyz[3];
} landmarks[] = {
    {"cord_C3", {0.0, 38.0, -10.0}},
    {"vertebral_body_C4", {0.0, 16.2, -25.0}},
    {"airway", {0.0, -10.0, 0.0}},
    {"carotid_L", {22.0, 4.0, -5.0}},
    {"carotid_R", {-22.0, 4.0, -5.0}},
    {"mandible_tip", {0.0, -55.0, 27.0}},
    {"parotid_L", {48.0, 30.0, 40.0}},
    {"parotid_R", {-48.0, 30.0, 40.0}},
    {"skin_anterior_neck", {0.0, -47.0, -30.0}},
    {"skin_left_neck", {57.0, 10.0, -30.0}},
};

/* "<folder of @p case_path>/LANDMARK_FILE" into @p out. */
static bool
landmark_path(RertError *err, const char *case_path, char *out, size_t size)
{
    const char *slash = strrchr(case_path, '/');
    int n = slash == NULL
                ? snprintf(out, size, "%s", LANDMARK_FILE)
                : snprintf(out, size, "%.*s/%s", (int)(slash - case_path),
                           case_path, LANDMARK_FILE);
    if (n < 0 || (size_t)n >= size) {
        return rert_error_set(err, RERT_ERR_IO,
                              "landmark file beside %s: path too long",
                              case_path);
    }
    return true;
}

/* Reference (course 2, planned) point p and prior (course 1) point of
 * each anatomical landmark: the generator's exact mapping, no
 * registration involved. */
static bool write_landmarks(RertError *err,
                            const char *case_path,
                            const RertPhantomOptions *o)
{
    char path[4096];
    if (!landmark_path(err, case_path, path, sizeof path)) {
        return false;
    }
    PhantomModel m;
    phantom_model_init(&m, o);
    RertStrbuf sb;
    rert_strbuf_init(&sb, 65536);
    bool ok = rert_strbuf_puts(
        err, &sb, "label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z\n");
    for (size_t i = 0; ok && i < sizeof landmarks / sizeof landmarks[0]; i++) {
        RertVec3 p = {landmarks[i].xyz[0], landmarks[i].xyz[1],
                      landmarks[i].xyz[2]};
        RertVec3 prior = phantom_to_anatomy(&m, 0, p);
        RertVec3 ref = phantom_from_anatomy(&m, 1, p);
        ok = rert_strbuf_printf(err, &sb, "%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n",
                                landmarks[i].label, ref.x, ref.y, ref.z,
                                prior.x, prior.y, prior.z);
    }
    ok = ok && rert_file_save_atomic(err, path, sb.data, sb.len);
    rert_strbuf_clear(&sb);
    return ok;
}

bool rert_phantom_write_case_file(RertError *err,
                                  const char *path,
                                  const RertPhantomOptions *options)
{
    RertPhantomOptions o =
        options != NULL ? *options : rert_phantom_options_default();
    RertStrbuf sb;
    rert_strbuf_init(&sb, 65536);
    bool ok = rert_strbuf_printf(
        err, &sb,
        "# Built-in demonstration case written by `rert demo`: the synthetic\n"
        "# head-and-neck phantom (docs/phantom.md). Every assumption is "
        "stated\n# here; docs/case-file.md explains each key.\n"
        "schema: 1\n\n"
        "patient:\n"
        "  id: %s\n"
        "  age_years: 64\n"
        "  sex: male\n"
        "  performance_status: {scale: ecog, value: 1}\n"
        "  organ_function:\n"
        "    - \"Synthetic patient: swallowing normal, no feeding tube\"\n\n"
        "courses:\n",
        o.patient_id);
    ok = ok && write_course(err, &sb, &o.courses[0], 1, false) &&
         write_course(err, &sb, &o.courses[1], 2, true) &&
         rert_strbuf_puts(err, &sb, "\n") &&
         rert_strbuf_puts(err, &sb, case_tail) &&
         write_landmarks(err, path, &o) &&
         rert_file_save_atomic(err, path, sb.data, sb.len);
    rert_strbuf_clear(&sb);
    return ok;
}
