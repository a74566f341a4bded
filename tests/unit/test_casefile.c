/* Unit tests: case files (docs/case-file.md): a good case and its data
 * model, the documented examples, and each error class with its message
 * (file, line, key, expected, found). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rert/casefile.h>
#include <rert/core.h>

#include "rert_test.h"

/* A small valid case; error tests replace one piece of it. Line numbers
 * matter to the assertions below. */
static const char *const BASE =
    "schema: 1\n"                                     /* 1 */
    "patient:\n"                                      /* 2 */
    "  id: P1\n"                                      /* 3 */
    "  age_years: 60\n"                               /* 4 */
    "  sex: female\n"                                 /* 5 */
    "  performance_status: {scale: ecog, value: 1}\n" /* 6 */
    "courses:\n"                                      /* 7 */
    "  - name: RT1\n"                                 /* 8 */
    "    role: prior\n"                               /* 9 */
    "    start_date: 2020-01-06\n"                    /* 10 */
    "    end_date: 2020-02-14\n"                      /* 11 */
    "    modality: photon\n"                          /* 12 */
    "    data_quality: full_dicom\n"                  /* 13 */
    "    dicom:\n"                                    /* 14 */
    "      ct: rt1/ct\n"                              /* 15 */
    "      rtdose: rt1/dose.dcm\n"                    /* 16 */
    "      rtstruct: rt1/struct.dcm\n"                /* 17 */
    "    fractions: 30\n"                             /* 18 */
    "    registration: {method: rigid_auto}\n"        /* 19 */
    "  - name: RT2\n"                                 /* 20 */
    "    role: planned\n"                             /* 21 */
    "    start_date: 2023-03-01\n"                    /* 22 */
    "    modality: photon\n"                          /* 23 */
    "    data_quality: full_dicom\n"                  /* 24 */
    "    dicom:\n"                                    /* 25 */
    "      ct: rt2/ct\n"                              /* 26 */
    "      rtdose: rt2/dose.dcm\n"                    /* 27 */
    "      rtstruct: rt2/struct.dcm\n"                /* 28 */
    "    fractions: 5\n"                              /* 29 */
    "    prescription_gy: 30\n"                       /* 30 */
    "    targets: [PTV]\n"                            /* 31 */
    "alpha_beta:\n"                                   /* 32 */
    "  default_gy: 3\n"                               /* 33 */
    "  structures: {SpinalCord: 2}\n";                /* 34 */

static RertCaseLoadOptions no_files(void)
{
    RertCaseLoadOptions o = rert_case_load_options_default();
    o.check_files = false;
    return o;
}

static RertCase *parse_text(RertError *err, const char *text)
{
    RertCaseLoadOptions o = no_files();
    return rert_case_parse(err, text, strlen(text), "case.yaml", "/data/p1",
                           &o);
}

/* BASE with the first occurrence of @p from replaced by @p to. */
static char *mutate(const char *from, const char *to)
{
    const char *at = strstr(BASE, from);
    if (at == NULL) {
        fail_msg("test bug: '%s' not in BASE", from);
        return NULL;
    }
    size_t head = (size_t)(at - BASE);
    size_t size = strlen(BASE) - strlen(from) + strlen(to) + 1;
    char *out = rert_alloc(NULL, size);
    assert_non_null(out);
    (void)snprintf(out, size, "%.*s%s%s", (int)head, BASE, to,
                   at + strlen(from));
    return out;
}

/* Parsing BASE with @p from -> @p to must fail with @p code and a message
 * containing every needle. */
static void expect_error(const char *from,
                         const char *to,
                         RertErrorCode code,
                         const char *needle1,
                         const char *needle2)
{
    char *text = mutate(from, to);
    RertError err;
    rert_error_clear(&err);
    RertCase *c = parse_text(&err, text);
    rert_free(text);
    if (c != NULL) {
        rert_case_destroy(c);
        fail_msg("accepted: '%s' -> '%s'", from, to);
    }
    if (err.code != code) {
        fail_msg("code %s, expected %s: %s", rert_error_code_name(err.code),
                 rert_error_code_name(code), err.message);
    }
    if (strstr(err.message, needle1) == NULL ||
        (needle2 != NULL && strstr(err.message, needle2) == NULL)) {
        fail_msg("message '%s' lacks '%s' / '%s'", err.message, needle1,
                 needle2 != NULL ? needle2 : "");
    }
}

static void test_good_case(void **state)
{
    (void)state;
    RertError err;
    RertCase *c = parse_text(&err, BASE);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    assert_string_equal(rert_case_name(c), "case.yaml");
    const RertCasePatient *p = rert_case_patient(c);
    assert_string_equal(p->id, "P1");
    assert_true(p->has_age);
    assert_int_equal(p->age_years, 60);
    assert_int_equal(p->sex, RERT_CASE_SEX_FEMALE);
    assert_int_equal(p->ps_scale, RERT_CASE_PS_ECOG);
    assert_int_equal(p->ps_value, 1);
    assert_int_equal(rert_case_course_count(c), 2);
    const RertCaseCourse *k = rert_case_course(c, 0);
    assert_string_equal(k->name, "RT1");
    assert_int_equal(k->role, RERT_CASE_ROLE_PRIOR);
    assert_int_equal(k->line, 8);
    assert_string_equal(k->start_date, "2020-01-06");
    assert_int_equal(k->end_days - k->start_days, 39);
    assert_string_equal(k->dicom.ct_dir, "/data/p1/rt1/ct");
    assert_string_equal(k->dicom.rtdose, "/data/p1/rt1/dose.dcm");
    assert_null(k->dicom.rtplan);
    assert_int_equal(k->fractions, 30);
    assert_true(isnan(k->prescription_gy));
    assert_int_equal(k->registration.method, RERT_CASE_REG_RIGID_AUTO);
    assert_int_equal(k->rbe.model, RERT_CASE_RBE_NONE);
    const RertCaseCourse *planned = rert_case_planned_course(c);
    assert_ptr_equal(planned, rert_case_course(c, 1));
    assert_false(planned->has_end);
    assert_null(planned->end_date);
    rert_assert_near(planned->prescription_gy, 30.0, 0, 0);
    assert_int_equal(planned->target_count, 1);
    assert_string_equal(planned->targets[0], "PTV");
    assert_null(rert_case_course(c, 2));
    const RertCaseAlphaBetaEntry *e = NULL;
    rert_assert_near(rert_case_alpha_beta_for(c, "spinalcord", &e), 2.0, 0, 0);
    assert_non_null(e);
    assert_int_equal(e->line, 34);
    rert_assert_near(rert_case_alpha_beta_for(c, "Parotid", &e), 3.0, 0, 0);
    assert_null(e);
    /* defaults of absent sections */
    assert_false(rert_case_recovery(c)->is_given);
    assert_int_equal(rert_case_recovery_for(c, "SpinalCord")->kind,
                     RERT_CASE_RECOVERY_NONE);
    assert_true(rert_case_constraints(c)->is_builtin);
    assert_false(rert_case_classification(c)->has_overlap_threshold);
    assert_int_equal(rert_case_classification(c)->cumulative_concern,
                     RERT_CASE_ANSWER_NOT_GIVEN);
    assert_int_equal(rert_case_options(c)->reference_grid,
                     RERT_CASE_GRID_PLANNED_CT);
    assert_false(rert_case_options(c)->allow_patient_id_mismatch);
    rert_case_destroy(c);
    rert_case_destroy(NULL);
}

static const char *examples_dir(char *buf, size_t size)
{
    const char *root = getenv("RERT_SOURCE_ROOT");
    const char *candidates[] = {root, ".", ".."};
    for (size_t i = 0; i < 3; i++) {
        struct stat st;
        if (candidates[i] == NULL) {
            continue;
        }
        (void)snprintf(buf, size, "%s/docs/examples", candidates[i]);
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) {
            return buf;
        }
    }
    fail_msg("docs/examples not found: set RERT_SOURCE_ROOT");
    return NULL;
}

static RertCase *load_example(const char *file)
{
    char dir[512];
    char path[700];
    (void)snprintf(path, sizeof path, "%s/%s", examples_dir(dir, sizeof dir),
                   file);
    RertCaseLoadOptions o = no_files();
    RertError err;
    RertCase *c = rert_case_load(&err, path, &o);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    return c;
}

static void test_example_hn(void **state)
{
    (void)state;
    RertCase *c = load_example("hn_case.yaml");
    assert_int_equal(rert_case_course_count(c), 3);
    const RertCaseCourse *rt2 = rert_case_course(c, 1);
    assert_int_equal(rt2->data_quality, RERT_CASE_DATA_PAPER_SUMMARY);
    assert_int_equal(rt2->dvh_entry_count, 3);
    assert_string_equal(rt2->dvh_entries[1].metric, "D0.03cc");
    assert_int_equal(rt2->dvh_entries[1].fractions, 10);
    rert_assert_near(rt2->dvh_entries[2].dose_gy, 31.0, 0, 0);
    const RertCaseCourse *planned = rert_case_planned_course(c);
    assert_int_equal(planned->modality, RERT_CASE_MODALITY_PROTON);
    assert_int_equal(planned->dose_type, RERT_CASE_DOSE_RBE_WEIGHTED);
    assert_int_equal(planned->rbe.model, RERT_CASE_RBE_CONSTANT);
    rert_assert_near(planned->rbe.value, 1.1, 0, 0);
    const RertCaseCourse *rt1 = rert_case_course(c, 0);
    assert_int_equal(rt1->registration.method, RERT_CASE_REG_DICOM_REG);
    assert_non_null(strstr(rt1->registration.file, "reg/rt1_to_plan.dcm"));
    assert_true(rt1->has_toxicity);
    assert_int_equal(rt1->toxicity_count, 2);
    assert_int_equal(rt1->toxicity[0].grade, 3);
    const RertCaseRecoveryModel *cord = rert_case_recovery_for(c, "SpinalCord");
    assert_int_equal(cord->kind, RERT_CASE_RECOVERY_TIERED);
    assert_int_equal(cord->tier_count, 2);
    rert_assert_near(cord->tiers[1].recovery_frac, 0.5, 0, 0);
    assert_int_equal(rert_case_recovery(c)->convention, RERT_CASE_CONVENTION_A);
    const RertCaseConstraints *k = rert_case_constraints(c);
    assert_int_equal(k->override_count, 1);
    assert_string_equal(k->site, "head_neck");
    assert_string_equal(k->overrides[0].scope, "cumulative");
    assert_string_equal(k->overrides[0].comparison, "<=");
    const RertCaseClassification *cl = rert_case_classification(c);
    rert_assert_near(cl->overlap_threshold_gy, 20.0, 0, 0);
    assert_int_equal(cl->cumulative_concern, RERT_CASE_ANSWER_YES);
    assert_int_equal(rert_case_reporting(c)->imaging_count, 2);
    rert_case_destroy(c);
}

static void test_example_thorax(void **state)
{
    (void)state;
    RertCase *c = load_example("thorax_case.yaml");
    const RertCaseCourse *rt1 = rert_case_course(c, 0);
    assert_int_equal(rt1->data_quality, RERT_CASE_DATA_DOSE_ONLY);
    assert_int_equal(rt1->fractions, 0); /* from the RTPLAN */
    assert_int_equal(rt1->fraction_group, 1);
    const RertCaseCourse *planned = rert_case_planned_course(c);
    assert_int_equal(planned->data_quality, RERT_CASE_DATA_PRESCRIPTION_ONLY);
    assert_null(planned->dicom.rtdose);
    assert_int_equal(rert_case_recovery(c)->convention, RERT_CASE_CONVENTION_B);
    const RertCaseRecoveryModel *def = rert_case_recovery_for(c, "Lung");
    assert_int_equal(def->kind, RERT_CASE_RECOVERY_PUBLISHED);
    assert_string_equal(def->published_name, "common-0-25-50");
    assert_int_equal(rert_case_recovery_for(c, "HEART")->kind,
                     RERT_CASE_RECOVERY_NONE);
    assert_int_equal(rert_case_patient(c)->ps_scale, RERT_CASE_PS_KPS);
    assert_string_equal(rert_case_constraints(c)->site, "thorax");
    rert_case_destroy(c);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error("  age_years: 60\n", "  age_yeras: 60\n", RERT_ERR_PARSE,
                 "case.yaml:4: unknown key 'age_yeras' in patient",
                 "expected one of: id, age_years");
    expect_error("    fractions: 30\n", "    fraction: 30\n", RERT_ERR_PARSE,
                 "case.yaml:18: unknown key 'fraction' in a course", NULL);
    expect_error("schema: 1\n", "schema: 1\nschemas: 2\n", RERT_ERR_PARSE,
                 "case.yaml:2: unknown key 'schemas' in the case file", NULL);
    expect_error("{method: rigid_auto}", "{method: rigid_auto, fille: x}",
                 RERT_ERR_PARSE, "case.yaml:19: unknown key 'fille'", NULL);
    expect_error("      ct: rt1/ct\n", "      cT: rt1/ct\n", RERT_ERR_PARSE,
                 "case.yaml:15: unknown key 'cT' in courses[].dicom", NULL);
}

static void test_selection_section(void **state)
{
    (void)state;
    char *text = mutate("alpha_beta:\n", "selection:\n  extent: local\n"
                                         "  tumour_board: true\n"
                                         "alpha_beta:\n");
    RertError err;
    RertCase *c = parse_text(&err, text);
    rert_free(text);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    size_t n = 0;
    const RertCaseSelectionEntry *e = rert_case_selection(c, &n);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].key, "extent");
    assert_string_equal(e[0].value, "local");
    assert_int_equal(e[0].line, 33);
    assert_string_equal(e[1].value, "true");
    rert_case_destroy(c);
    c = parse_text(&err, BASE);
    assert_non_null(c);
    assert_null(rert_case_selection(c, &n));
    assert_int_equal(n, 0);
    rert_case_destroy(c);
    /* values must be single scalars (keys are checked by the selection
     * module, which knows them) */
    expect_error("alpha_beta:\n", "selection:\n  extent: [a, b]\nalpha_beta:\n",
                 RERT_ERR_PARSE, "case.yaml:33", "single value");
}

static void test_dates_and_order(void **state)
{
    (void)state;
    expect_error("2020-02-14", "2023-02-30", RERT_ERR_PARSE,
                 "case.yaml:11: end_date: impossible date '2023-02-30'",
                 "has 28 days");
    expect_error("2020-02-14", "2019-12-31", RERT_ERR_PARSE,
                 "case.yaml:11: end_date: expected a date on or after "
                 "start_date 2020-01-06, found 2019-12-31",
                 NULL);
    expect_error("2020-02-14", "14/02/2020", RERT_ERR_PARSE,
                 "case.yaml:11: end_date: expected a date YYYY-MM-DD", NULL);
    /* planned course before the prior one: time order */
    expect_error("    start_date: 2023-03-01\n", "    start_date: 2019-03-01\n",
                 RERT_ERR_PARSE,
                 "case.yaml:22: start_date: courses must be in time order",
                 "course 'RT2' starts 2019-03-01");
    /* planned course starting during the prior one */
    expect_error("    start_date: 2023-03-01\n", "    start_date: 2020-02-01\n",
                 RERT_ERR_PARSE,
                 "case.yaml:22: start_date: expected the "
                 "planned course to start on or after",
                 "'RT1' (2020-02-14");
    expect_error("    end_date: 2020-02-14\n", "", RERT_ERR_PARSE,
                 "case.yaml:8: missing required key 'end_date'", NULL);
}

static void test_numbers(void **state)
{
    (void)state;
    expect_error("    fractions: 30\n", "    fractions: 0\n", RERT_ERR_PARSE,
                 "case.yaml:18: fractions: 0 is outside [1, 1000]", NULL);
    expect_error("    fractions: 30\n", "    fractions: 2.5\n", RERT_ERR_PARSE,
                 "case.yaml:18: fractions: expected an "
                 "integer",
                 NULL);
    expect_error("  default_gy: 3\n", "  default_gy: 0\n", RERT_ERR_PARSE,
                 "case.yaml:33: default_gy: expected a number > 0, found 0",
                 NULL);
    expect_error("{SpinalCord: 2}", "{SpinalCord: -2}", RERT_ERR_PARSE,
                 "case.yaml:34: SpinalCord: expected a number > 0", NULL);
    expect_error("{SpinalCord: 2}", "{SpinalCord: two}", RERT_ERR_PARSE,
                 "case.yaml:34: SpinalCord: expected a number, found 'two'",
                 NULL);
    expect_error("  default_gy: 3\n", "", RERT_ERR_PARSE,
                 "case.yaml:33: missing required key 'default_gy'", NULL);
    expect_error("schema: 1\n", "schema: 2\n", RERT_ERR_PARSE,
                 "case.yaml:1: schema: 2 is outside [1, 1]", NULL);
    expect_error("value: 1}", "value: 6}", RERT_ERR_PARSE,
                 "case.yaml:6: value: 6 is outside [0, 5]", NULL);
    expect_error("prescription_gy: 30\n", "prescription_gy: \"30\"\n",
                 RERT_ERR_PARSE,
                 "case.yaml:30: prescription_gy: expected a number, found "
                 "quoted '30'",
                 NULL);
}

static void test_roles(void **state)
{
    (void)state;
    expect_error("    role: planned\n", "    role: prior\n", RERT_ERR_PARSE,
                 "case.yaml:20: role: expected the last course to have "
                 "role 'planned'",
                 NULL);
    expect_error("    role: prior\n", "    role: planned\n", RERT_ERR_PARSE,
                 "expected exactly one planned course", NULL);
    expect_error("    role: prior\n", "    role: previous\n", RERT_ERR_PARSE,
                 "case.yaml:9: role: expected one of: prior, planned; found "
                 "'previous'",
                 NULL);
    expect_error("  - name: RT2\n", "  - name: RT1\n", RERT_ERR_PARSE,
                 "case.yaml:20: name: expected a unique course name", NULL);
}

static void test_missing_planned_and_prior(void **state)
{
    (void)state;
    const char *only_prior =
        "schema: 1\npatient: {id: P}\nalpha_beta: {default_gy: 3}\n"
        "courses:\n"
        "  - {name: A, role: prior, start_date: 2020-01-01,\n"
        "     end_date: 2020-01-10, modality: photon,\n"
        "     data_quality: prescription_only, fractions: 5,\n"
        "     prescription_gy: 20}\n";
    RertError err;
    assert_null(parse_text(&err, only_prior));
    assert_non_null(strstr(err.message, "role 'planned'"));
    const char *only_planned =
        "schema: 1\npatient: {id: P}\nalpha_beta: {default_gy: 3}\n"
        "courses:\n"
        "  - {name: A, role: planned, start_date: 2020-01-01,\n"
        "     modality: photon, data_quality: prescription_only,\n"
        "     dicom: {ct: ct, rtstruct: s.dcm}, fractions: 5,\n"
        "     prescription_gy: 20, targets: [PTV]}\n";
    assert_null(parse_text(&err, only_planned));
    assert_string_equal(err.message,
                        "case.yaml:5: courses: expected at least one prior "
                        "course before the planned one, found none");
    const char *empty = "schema: 1\npatient: {id: P}\n"
                        "alpha_beta: {default_gy: 3}\ncourses: []\n";
    assert_null(parse_text(&err, empty));
    assert_non_null(strstr(err.message, "found an empty list"));
    assert_null(parse_text(&err, "# nothing\n"));
    assert_non_null(strstr(err.message, "empty case file"));
}

static void test_level_rules(void **state)
{
    (void)state;
    expect_error("      rtdose: rt1/dose.dcm\n", "", RERT_ERR_PARSE,
                 "case.yaml:15: missing key 'rtdose', required for "
                 "data_quality full_dicom",
                 NULL);
    expect_error("    registration: {method: rigid_auto}\n", "", RERT_ERR_PARSE,
                 "case.yaml:8: missing key 'registration', required for a "
                 "prior course with an RTDOSE",
                 NULL);
    expect_error("{method: rigid_auto}", "{method: dicom_reg}", RERT_ERR_PARSE,
                 "case.yaml:19: missing required key 'file'", NULL);
    expect_error("{method: rigid_auto}", "{method: identity, file: x.dcm}",
                 RERT_ERR_PARSE,
                 "case.yaml:19: file: not allowed with this "
                 "method",
                 NULL);
    expect_error("    targets: [PTV]\n", "", RERT_ERR_PARSE,
                 "missing key 'targets', required (non-empty) for the "
                 "planned course",
                 NULL);
    expect_error("    prescription_gy: 30\n", "", RERT_ERR_PARSE,
                 "missing key 'prescription_gy'", NULL);
    expect_error("    fractions: 5\n", "", RERT_ERR_PARSE,
                 "case.yaml:20: missing key 'fractions', required when the "
                 "course has no dicom.rtplan",
                 NULL);
    expect_error("    data_quality: full_dicom\n    dicom:\n      ct: rt1",
                 "    data_quality: paper_summary\n    dicom:\n      ct: rt1",
                 RERT_ERR_PARSE,
                 "case.yaml:14: dicom: not allowed for "
                 "paper_summary",
                 NULL);
    expect_error("    modality: photon\n", "    modality: proton\n",
                 RERT_ERR_PARSE,
                 "case.yaml:8: missing required key "
                 "'dose_type'",
                 NULL);
    expect_error("    modality: photon\n",
                 "    modality: photon\n    rbe: {model: constant, value: "
                 "1.1}\n",
                 RERT_ERR_PARSE, "case.yaml:13: rbe: not allowed for photon",
                 NULL);
}

/* registration: landmarks (any method) and inverse_consistency
 * (deformable_auto only). */
static void test_registration_checks(void **state)
{
    (void)state;
    char *text = mutate("{method: rigid_auto}",
                        "{method: deformable_auto, landmarks: lm/rt1.csv, "
                        "inverse_consistency: false}");
    RertError err;
    rert_error_clear(&err);
    RertCase *c = parse_text(&err, text);
    rert_free(text);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    const RertCaseRegistration *g = &rert_case_course(c, 0)->registration;
    assert_int_equal(g->method, RERT_CASE_REG_DEFORMABLE_AUTO);
    assert_string_equal(g->landmarks, "/data/p1/lm/rt1.csv");
    assert_true(g->is_inverse_consistency_skipped);
    rert_case_destroy(c);
    /* Defaults: no landmarks, the check runs. */
    text = mutate("{method: rigid_auto}", "{method: deformable_auto}");
    c = parse_text(&err, text);
    rert_free(text);
    assert_non_null(c);
    g = &rert_case_course(c, 0)->registration;
    assert_null(g->landmarks);
    assert_false(g->is_inverse_consistency_skipped);
    rert_case_destroy(c);
    expect_error("{method: rigid_auto}",
                 "{method: rigid_auto, inverse_consistency: false}",
                 RERT_ERR_PARSE,
                 "case.yaml:19: inverse_consistency: not allowed with this "
                 "method (deformable_auto only",
                 NULL);
    expect_error("{method: rigid_auto}",
                 "{method: deformable_auto, inverse_consistency: no}",
                 RERT_ERR_PARSE, "case.yaml:19", "inverse_consistency");
    expect_error("{method: rigid_auto}",
                 "{method: rigid_auto, landmark: a.csv}", RERT_ERR_PARSE,
                 "unknown key 'landmark'", "landmarks");
}

static void test_particles(void **state)
{
    (void)state;
    const char *proton = "    modality: proton\n    dose_type: physical\n"
                         "    rbe: {model: mcnamara2015}\n";
    expect_error("    modality: photon\n", proton, RERT_ERR_PARSE,
                 "case.yaml:14: missing key 'let_map', required by LET-based",
                 NULL);
    const char *constant = "    modality: proton\n    dose_type: physical\n"
                           "    rbe: {model: constant}\n";
    expect_error("    modality: photon\n", constant, RERT_ERR_PARSE,
                 "missing key 'value'", NULL);
    const char *as_planned = "    modality: carbon\n    dose_type: physical\n"
                             "    rbe: {model: as_planned}\n";
    expect_error("    modality: photon\n", as_planned, RERT_ERR_PARSE,
                 "model: expected a model that converts physical dose", NULL);
    const char *carbon_let = "    modality: carbon\n    dose_type: physical\n"
                             "    rbe: {model: carabe2012, let_map: let.dcm}\n";
    expect_error("    modality: photon\n", carbon_let, RERT_ERR_PARSE,
                 "LET-based RBE models are proton models", NULL);
    const char *good = "    modality: proton\n    dose_type: rbe_weighted\n"
                       "    rbe: {model: wedenberg2013, let_map: let.dcm,"
                       " value: 1.1}\n";
    char *text = mutate("    modality: photon\n", good);
    RertError err;
    RertCase *c = parse_text(&err, text);
    rert_free(text);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    const RertCaseCourse *k = rert_case_course(c, 0);
    assert_int_equal(k->rbe.model, RERT_CASE_RBE_WEDENBERG2013);
    assert_string_equal(k->rbe.let_map, "/data/p1/let.dcm");
    assert_string_equal(rert_case_rbe_model_name(k->rbe.model),
                        "wedenberg2013");
    rert_case_destroy(c);
}

static void test_sections(void **state)
{
    (void)state;
    const char *rec = "  structures: {SpinalCord: 2}\nrecovery:\n"
                      "  convention: A\n  default: {model: fixed, r: 1.5}\n";
    expect_error("  structures: {SpinalCord: 2}\n", rec, RERT_ERR_PARSE,
                 "case.yaml:37: r: expected a recovery fraction in [0, 1], "
                 "found 1.5",
                 NULL);
    const char *rec2 = "  structures: {SpinalCord: 2}\nrecovery:\n"
                       "  convention: A\n  default: {model: none, r: 0.5}\n";
    expect_error("  structures: {SpinalCord: 2}\n", rec2, RERT_ERR_PARSE,
                 "r: only allowed with model fixed, found model none", NULL);
    const char *tiers =
        "  structures: {SpinalCord: 2}\nrecovery:\n  convention: B\n"
        "  default:\n    model: tiered\n    tiers:\n"
        "      - {from_months: 12, r: 0.5}\n"
        "      - {from_months: 6, r: 0.25}\n";
    expect_error("  structures: {SpinalCord: 2}\n", tiers, RERT_ERR_PARSE,
                 "case.yaml:41: from_months: expected a number >= 0 and "
                 "above the previous tier's, found 6",
                 NULL);
    const char *cls = "  structures: {SpinalCord: 2}\nclassification:\n"
                      "  overlap_threshold_gy: 20\n";
    expect_error("  structures: {SpinalCord: 2}\n", cls, RERT_ERR_PARSE,
                 "case.yaml:36: classification: 'overlap_threshold_source' "
                 "is required",
                 NULL);
    const char *ovr = "  structures: {SpinalCord: 2}\nconstraints:\n"
                      "  set: builtin\n  overrides:\n"
                      "    - {organ: Cord, metric: Dmax, limit: 50,"
                      " unit: Gy, source: x}\n";
    expect_error("  structures: {SpinalCord: 2}\n", ovr, RERT_ERR_PARSE,
                 "case.yaml:38: unit: expected one of: Gy_EQD2, Gy_BED", NULL);
    const char *opt = "  structures: {SpinalCord: 2}\noptions:\n"
                      "  allow_patient_id_mismatch: yes\n";
    expect_error("  structures: {SpinalCord: 2}\n", opt, RERT_ERR_PARSE,
                 "case.yaml:36: allow_patient_id_mismatch: expected true or "
                 "false, found 'yes'",
                 NULL);
    expect_error("  id: P1\n", "  id: P1\n  id: P2\n", RERT_ERR_PARSE,
                 "case.yaml:4: duplicate key 'id'", NULL);
    expect_error("  id: P1\n", "  id:\n", RERT_ERR_PARSE,
                 "case.yaml:3: id: expected text, found an empty value", NULL);
}

/* constraints.site: the treated site, optional, unknown values named with
 * their line. */
static void test_constraints_site(void **state)
{
    (void)state;
    RertError err;
    RertCase *c = parse_text(&err, BASE);
    assert_non_null(c);
    assert_null(rert_case_constraints(c)->site);
    rert_case_destroy(c);
    static const char *const sites[] = {
        "cns", "head_neck", "spine", "thorax", "abdomen", "pelvis", "all"};
    for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
        char to[160];
        (void)snprintf(to, sizeof to,
                       "  structures: {SpinalCord: 2}\nconstraints:\n"
                       "  set: builtin\n  site: %s\n",
                       sites[i]);
        char *text = mutate("  structures: {SpinalCord: 2}\n", to);
        c = parse_text(&err, text);
        rert_free(text);
        if (c == NULL) {
            fail_msg("%s", err.message);
        }
        assert_string_equal(rert_case_constraints(c)->site, sites[i]);
        rert_case_destroy(c);
    }
    expect_error("  structures: {SpinalCord: 2}\n",
                 "  structures: {SpinalCord: 2}\nconstraints:\n"
                 "  set: builtin\n  site: neck\n",
                 RERT_ERR_PARSE, "case.yaml:37", "head_neck");
    expect_error("  structures: {SpinalCord: 2}\n",
                 "  structures: {SpinalCord: 2}\nconstraints:\n"
                 "  set: builtin\n  site: Thorax\n",
                 RERT_ERR_PARSE, "site", "'Thorax'");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Relative paths resolve against the case file's folder; a missing file is
 * an IO error naming the key, line and path. */
static void test_files_checked(void **state)
{
    (void)state;
    char dir[512];
    char path[700];
    (void)snprintf(dir, sizeof dir, "%s/case1", rert_test_tmpdir());
    const char *subdirs[] = {"", "/rt1", "/rt1/ct", "/rt2", "/rt2/ct"};
    for (size_t i = 0; i < 5; i++) {
        (void)snprintf(path, sizeof path, "%s%s", dir, subdirs[i]);
        (void)mkdir(path, 0700);
    }
    const char *files[] = {"rt1/dose.dcm", "rt1/struct.dcm", "rt2/dose.dcm",
                           "rt2/struct.dcm"};
    for (size_t i = 0; i < 4; i++) {
        (void)snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        write_file(path, "x");
    }
    (void)snprintf(path, sizeof path, "%s/case.yaml", dir);
    write_file(path, BASE);
    RertError err;
    RertCase *c = rert_case_load(&err, path, NULL);
    if (c == NULL) {
        fail_msg("%s", err.message);
    }
    char want[700];
    (void)snprintf(want, sizeof want, "%s/rt2/struct.dcm", dir);
    assert_string_equal(rert_case_planned_course(c)->dicom.rtstruct, want);
    rert_case_destroy(c);
    (void)snprintf(want, sizeof want, "%s/rt2/dose.dcm", dir);
    assert_int_equal(remove(want), 0);
    assert_null(rert_case_load(&err, path, NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "case.yaml:27: rtdose: file '"));
    assert_non_null(strstr(err.message, "rt2/dose.dcm' not found"));
    (void)snprintf(want, sizeof want, "%s/rt1/ct", dir);
    assert_int_equal(rmdir(want), 0);
    write_file(want, "not a folder");
    assert_null(rert_case_load(&err, path, NULL));
    assert_non_null(strstr(err.message, "case.yaml:15: ct: expected a folder"));
    (void)snprintf(want, sizeof want, "%s/none.yaml", dir);
    assert_null(rert_case_load(&err, want, NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
}

/* Every allocation failure is reported as NOMEM without leaks. */
static void test_alloc_failures(void **state)
{
    (void)state;
    bool succeeded = false;
    for (size_t nth = 1; nth < 400 && !succeeded; nth++) {
        RertError err;
        rert_error_clear(&err);
        rert_alloc_fail_at(nth);
        RertCase *c = parse_text(&err, BASE);
        rert_alloc_fail_at(0);
        if (c != NULL) {
            succeeded = true;
            rert_case_destroy(c);
        } else {
            assert_int_equal(err.code, RERT_ERR_NOMEM);
        }
    }
    assert_true(succeeded);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(rert_case_modality_name(RERT_CASE_MODALITY_BRACHY),
                        "brachy");
    assert_string_equal(
        rert_case_data_quality_name(RERT_CASE_DATA_PRESCRIPTION_ONLY),
        "prescription_only");
    assert_string_equal(rert_case_registration_name(RERT_CASE_REG_VECTOR_FIELD),
                        "vector_field");
    assert_string_equal(rert_case_recovery_kind_name(RERT_CASE_RECOVERY_TIERED),
                        "tiered");
    assert_string_equal(rert_case_role_name(RERT_CASE_ROLE_PLANNED), "planned");
    assert_string_equal(rert_case_intent_name(RERT_CASE_INTENT_LOCAL_CONTROL),
                        "local_control");
    assert_string_equal(rert_case_sex_name(RERT_CASE_SEX_UNKNOWN), "unknown");
    assert_string_equal(
        rert_case_recurrence_name(RERT_CASE_RECURRENCE_NEW_PRIMARY),
        "new_primary");
    assert_string_equal(rert_case_dose_type_name(RERT_CASE_DOSE_RBE_WEIGHTED),
                        "rbe_weighted");
    assert_null(rert_case_modality_name((RertCaseModality)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_case),
        cmocka_unit_test(test_example_hn),
        cmocka_unit_test(test_example_thorax),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_selection_section),
        cmocka_unit_test(test_dates_and_order),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_missing_planned_and_prior),
        cmocka_unit_test(test_level_rules),
        cmocka_unit_test(test_registration_checks),
        cmocka_unit_test(test_particles),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_files_checked),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_constraints_site),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
