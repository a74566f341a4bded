/* Courses of a case file: parsing of one course (dates, DICOM paths,
 * particle RBE handling, registration, DVH-level entries, toxicity), the
 * checks of one course, and the checks across courses (docs/case-file.md). */
#include <math.h>
#include <string.h>

#include <rert/casefile.h>
#include <rert/core.h>
#include <rert/yamldoc.h>

#include "internal.h"

static const char *const course_keys[] = {"name",
                                          "role",
                                          "start_date",
                                          "end_date",
                                          "modality",
                                          "data_quality",
                                          "dicom",
                                          "fractions",
                                          "fraction_group",
                                          "prescription_gy",
                                          "dose_type",
                                          "rbe",
                                          "registration",
                                          "dvh_entries",
                                          "targets",
                                          "target_organs",
                                          "intent",
                                          "technique",
                                          "concurrent_systemic_therapy",
                                          "toxicity",
                                          NULL};
static const char *const dicom_keys[] = {"ct", "rtdose", "rtstruct", "rtplan",
                                         NULL};
static const char *const rbe_keys[] = {"model", "value", "let_map", NULL};
static const char *const registration_keys[] = {"method", "file", "landmarks",
                                                "inverse_consistency", NULL};
static const char *const dvh_keys[] = {"organ", "metric", "dose_gy",
                                       "fractions", NULL};
static const char *const toxicity_keys[] = {"ctcae_version", "events", NULL};
static const char *const event_keys[] = {"term", "grade", "phase", NULL};
static const char *const phases[] = {"acute", "late", NULL};

/* "<file>:<line>: course '<name>': <key>: <message>" at @p key of @p map. */
static bool course_error(RertError *err,
                         const RertCase *c,
                         const RertYamlNode *map,
                         const char *key,
                         const char *message,
                         const char *detail)
{
    return rert_error_set(err, RERT_ERR_PARSE, "%s:%zu: %s: %s%s",
                          rert_yaml_name(c->doc), rert_yaml_key_line(map, key),
                          key, message, detail != NULL ? detail : "");
}

/* Fail when @p key is present: it does not apply here (@p why). */
static bool forbid(RertError *err,
                   const RertCase *c,
                   const RertYamlNode *map,
                   const char *key,
                   const char *why)
{
    if (rert_yaml_get(map, key) == NULL) {
        return true;
    }
    return course_error(err, c, map, key, "not allowed ", why);
}

/* Fail when @p value is missing: the key is needed here (@p why). */
static bool need(RertError *err,
                 const RertCase *c,
                 const RertYamlNode *map,
                 const char *key,
                 bool is_present,
                 const char *why)
{
    if (is_present) {
        return true;
    }
    return rert_error_set(err, RERT_ERR_PARSE,
                          "%s:%zu: missing key '%s', "
                          "required %s",
                          rert_yaml_name(c->doc), rert_yaml_line(map), key,
                          why);
}

/* ---- sub-sections */

static bool parse_dicom(RertError *err,
                        RertCase *c,
                        const RertYamlNode *map,
                        RertCaseDicom *d)
{
    d->line = rert_yaml_line(map);
    return rert_yaml_check_keys(err, c->doc, map, "courses[].dicom",
                                dicom_keys) &&
           case_get_path(err, c, map, "ct", false, true, &d->ct_dir) &&
           case_get_path(err, c, map, "rtdose", false, false, &d->rtdose) &&
           case_get_path(err, c, map, "rtstruct", false, false, &d->rtstruct) &&
           case_get_path(err, c, map, "rtplan", false, false, &d->rtplan);
}

static bool is_let_model(RertCaseRbeModel m)
{
    return m == RERT_CASE_RBE_MCNAMARA2015 ||
           m == RERT_CASE_RBE_WEDENBERG2013 || m == RERT_CASE_RBE_CARABE2012;
}

/* Which of value / let_map each RBE model needs. */
static bool check_rbe_fields(RertError *err,
                             const RertCase *c,
                             const RertYamlNode *map,
                             const RertCaseCourse *k)
{
    const RertCaseRbe *r = &k->rbe;
    bool is_let = is_let_model(r->model);
    bool needs_value = r->model == RERT_CASE_RBE_CONSTANT ||
                       (is_let && k->dose_type == RERT_CASE_DOSE_RBE_WEIGHTED);
    if (!is_let && !forbid(err, c, map, "let_map",
                           "with this RBE model (LET models only)")) {
        return false;
    }
    if (!needs_value &&
        !forbid(err, c, map, "value",
                "with this RBE model (constant, or an LET model on "
                "rbe_weighted dose)")) {
        return false;
    }
    return need(err, c, map, "value", !needs_value || !isnan(r->value),
                "for a constant RBE, or to recover physical dose from "
                "rbe_weighted dose") &&
           need(err, c, map, "let_map", !is_let || r->let_map != NULL,
                "by LET-based RBE models");
}

static bool check_rbe_model(RertError *err,
                            const RertCase *c,
                            const RertYamlNode *map,
                            const RertCaseCourse *k)
{
    const RertCaseRbe *r = &k->rbe;
    if (r->model == RERT_CASE_RBE_AS_PLANNED &&
        k->dose_type != RERT_CASE_DOSE_RBE_WEIGHTED) {
        return course_error(err, c, map, "model",
                            "expected a model that converts physical dose "
                            "(dose_type is physical), found 'as_planned'",
                            NULL);
    }
    if (is_let_model(r->model) && k->modality != RERT_CASE_MODALITY_PROTON) {
        return course_error(err, c, map, "model",
                            "LET-based RBE models are proton models; found "
                            "one on a ",
                            case_modality_names[k->modality]);
    }
    return true;
}

static bool parse_rbe(RertError *err,
                      RertCase *c,
                      const RertYamlNode *map,
                      RertCaseCourse *k)
{
    RertCaseRbe *r = &k->rbe;
    r->line = rert_yaml_line(map);
    int model = 0;
    if (!rert_yaml_check_keys(err, c->doc, map, "courses[].rbe", rbe_keys) ||
        !case_get_enum(err, c, map, "model", true, case_rbe_names + 1, 1,
                       &model) ||
        !rert_yaml_get_double(err, c->doc, map, "value", false, &r->value,
                              NULL) ||
        !case_get_path(err, c, map, "let_map", false, false, &r->let_map)) {
        return false;
    }
    r->model = (RertCaseRbeModel)model;
    if (!isnan(r->value) && !(r->value > 0.0 && r->value <= 10.0)) {
        return course_error(err, c, map, "value", "expected an RBE in (0, 10]",
                            NULL);
    }
    return check_rbe_fields(err, c, map, k) && check_rbe_model(err, c, map, k);
}

static bool parse_registration(RertError *err,
                               RertCase *c,
                               const RertYamlNode *map,
                               RertCaseRegistration *g)
{
    g->line = rert_yaml_line(map);
    int method = 0;
    bool check_ic = true;
    if (!rert_yaml_check_keys(err, c->doc, map, "courses[].registration",
                              registration_keys) ||
        !case_get_enum(err, c, map, "method", true, case_registration_names + 1,
                       1, &method) ||
        !case_get_path(err, c, map, "landmarks", false, false, &g->landmarks) ||
        !rert_yaml_get_bool(err, c->doc, map, "inverse_consistency", false,
                            &check_ic, NULL)) {
        return false;
    }
    g->method = (RertCaseRegistrationMethod)method;
    g->is_inverse_consistency_skipped = !check_ic;
    if (g->method != RERT_CASE_REG_DEFORMABLE_AUTO &&
        !forbid(err, c, map, "inverse_consistency",
                "with this method (deformable_auto only: the check runs "
                "the registration in reverse)")) {
        return false;
    }
    bool has_file = g->method == RERT_CASE_REG_DICOM_REG ||
                    g->method == RERT_CASE_REG_VECTOR_FIELD;
    if (!has_file) {
        return forbid(err, c, map, "file",
                      "with this method (dicom_reg and vector_field only)");
    }
    return case_get_path(err, c, map, "file", true, false, &g->file);
}

static bool parse_dvh_entries(RertError *err,
                              RertCase *c,
                              const RertYamlNode *seq,
                              RertCaseCourse *k)
{
    size_t n = rert_yaml_count(seq);
    RertCaseDvhEntry *e = case_alloc(err, c, n, sizeof *e);
    if (e == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const RertYamlNode *m = rert_yaml_item(seq, i);
        e[i].line = rert_yaml_line(m);
        e[i].fractions = k->fractions;
        bool has_fx = false;
        if (!rert_yaml_check_keys(err, c->doc, m, "courses[].dvh_entries[]",
                                  dvh_keys) ||
            !rert_yaml_get_string(err, c->doc, m, "organ", true, &e[i].organ) ||
            !rert_yaml_get_string(err, c->doc, m, "metric", true,
                                  &e[i].metric) ||
            !rert_yaml_get_double(err, c->doc, m, "dose_gy", true,
                                  &e[i].dose_gy, NULL) ||
            !rert_yaml_get_long(err, c->doc, m, "fractions", false, 1,
                                RERT_CASE_MAX_FRACTIONS, &e[i].fractions,
                                &has_fx) ||
            !need(err, c, m, "fractions", e[i].fractions >= 1,
                  "when the course gives no fractions")) {
            return false;
        }
        if (!(e[i].dose_gy >= 0.0)) {
            return course_error(err, c, m, "dose_gy", "expected a dose >= 0 Gy",
                                NULL);
        }
    }
    k->dvh_entries = e;
    k->dvh_entry_count = n;
    return true;
}

static bool parse_toxicity(RertError *err,
                           RertCase *c,
                           const RertYamlNode *map,
                           RertCaseCourse *k)
{
    const RertYamlNode *seq = NULL;
    if (!rert_yaml_check_keys(err, c->doc, map, "courses[].toxicity",
                              toxicity_keys) ||
        !rert_yaml_get_string(err, c->doc, map, "ctcae_version", true,
                              &k->ctcae_version) ||
        !rert_yaml_get_sequence(err, c->doc, map, "events", true, &seq)) {
        return false;
    }
    size_t n = rert_yaml_count(seq);
    RertCaseToxicityEvent *e = case_alloc(err, c, n, sizeof *e);
    if (e == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const RertYamlNode *m = rert_yaml_item(seq, i);
        int phase = 0;
        e[i].line = rert_yaml_line(m);
        if (!rert_yaml_check_keys(err, c->doc, m, "toxicity.events[]",
                                  event_keys) ||
            !rert_yaml_get_string(err, c->doc, m, "term", true, &e[i].term) ||
            !rert_yaml_get_long(err, c->doc, m, "grade", true, 0, 5,
                                &e[i].grade, NULL) ||
            !case_get_enum(err, c, m, "phase", true, phases, 0, &phase)) {
            return false;
        }
        e[i].phase = (RertCaseToxicityPhase)phase;
    }
    k->has_toxicity = true;
    k->toxicity = e;
    k->toxicity_count = n;
    return true;
}

/* ---- one course */

static bool parse_dates(RertError *err,
                        const RertCase *c,
                        const RertYamlNode *map,
                        RertCaseCourse *k)
{
    bool is_planned = k->role == RERT_CASE_ROLE_PLANNED;
    if (!rert_yaml_get_date(err, c->doc, map, "start_date", true,
                            &k->start_days, NULL) ||
        !rert_yaml_get_date(err, c->doc, map, "end_date", !is_planned,
                            &k->end_days, &k->has_end)) {
        return false;
    }
    k->start_date = rert_yaml_scalar(rert_yaml_get(map, "start_date"));
    if (!k->has_end) {
        return true;
    }
    k->end_date = rert_yaml_scalar(rert_yaml_get(map, "end_date"));
    if (k->end_days < k->start_days) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s:%zu: end_date: expected a date on or after "
                              "start_date %s, found %s",
                              rert_yaml_name(c->doc),
                              rert_yaml_key_line(map, "end_date"),
                              k->start_date, k->end_date);
    }
    return true;
}

static bool parse_basics(RertError *err,
                         RertCase *c,
                         const RertYamlNode *map,
                         RertCaseCourse *k)
{
    int role = 0;
    int modality = 0;
    int quality = 0;
    int intent = 0;
    if (!rert_yaml_check_keys(err, c->doc, map, "a course", course_keys) ||
        !rert_yaml_get_string(err, c->doc, map, "name", true, &k->name) ||
        !case_get_enum(err, c, map, "role", true, case_role_names, 0, &role)) {
        return false;
    }
    k->role = (RertCaseRole)role;
    if (!parse_dates(err, c, map, k) ||
        !case_get_enum(err, c, map, "modality", true, case_modality_names, 0,
                       &modality) ||
        !case_get_enum(err, c, map, "data_quality", true,
                       case_data_quality_names, 0, &quality) ||
        !case_get_enum(err, c, map, "intent", false, case_intent_names + 1, 1,
                       &intent)) {
        return false;
    }
    k->modality = (RertCaseModality)modality;
    k->data_quality = (RertCaseDataQuality)quality;
    k->intent = (RertCaseIntent)intent;
    return rert_yaml_get_string(err, c->doc, map, "technique", false,
                                &k->technique) &&
           rert_yaml_get_string(err, c->doc, map, "concurrent_systemic_therapy",
                                false, &k->concurrent_systemic_therapy) &&
           case_get_strings(err, c, map, "targets", false, &k->targets,
                            &k->target_count) &&
           case_get_strings(err, c, map, "target_organs", false,
                            &k->target_organs, &k->target_organ_count);
}

static bool parse_numbers(RertError *err,
                          const RertCase *c,
                          const RertYamlNode *map,
                          RertCaseCourse *k)
{
    bool has_rx = false;
    if (!rert_yaml_get_long(err, c->doc, map, "fractions", false, 1,
                            RERT_CASE_MAX_FRACTIONS, &k->fractions, NULL) ||
        !rert_yaml_get_long(err, c->doc, map, "fraction_group", false, 1, 65535,
                            &k->fraction_group, NULL) ||
        !rert_yaml_get_double(err, c->doc, map, "prescription_gy", false,
                              &k->prescription_gy, &has_rx)) {
        return false;
    }
    if (has_rx && !(k->prescription_gy > 0.0)) {
        return course_error(err, c, map, "prescription_gy",
                            "expected a dose > 0 Gy", NULL);
    }
    return true;
}

static bool is_particle(RertCaseModality m)
{
    return m == RERT_CASE_MODALITY_PROTON || m == RERT_CASE_MODALITY_CARBON;
}

static bool parse_particle(RertError *err,
                           RertCase *c,
                           const RertYamlNode *map,
                           RertCaseCourse *k)
{
    if (!is_particle(k->modality)) {
        return forbid(err, c, map, "dose_type",
                      "for photon, electron or brachy courses") &&
               forbid(err, c, map, "rbe",
                      "for photon, electron or brachy courses");
    }
    int dose_type = 0;
    const RertYamlNode *rbe = NULL;
    if (!case_get_enum(err, c, map, "dose_type", true, case_dose_type_names, 0,
                       &dose_type) ||
        !rert_yaml_get_mapping(err, c->doc, map, "rbe", true, &rbe)) {
        return false;
    }
    k->dose_type = (RertCaseDoseType)dose_type;
    return parse_rbe(err, c, rbe, k);
}

static bool parse_sections(RertError *err,
                           RertCase *c,
                           const RertYamlNode *map,
                           RertCaseCourse *k)
{
    const RertYamlNode *dicom = NULL;
    const RertYamlNode *reg = NULL;
    const RertYamlNode *dvh = NULL;
    const RertYamlNode *tox = NULL;
    return rert_yaml_get_mapping(err, c->doc, map, "dicom", false, &dicom) &&
           (dicom == NULL || parse_dicom(err, c, dicom, &k->dicom)) &&
           parse_particle(err, c, map, k) &&
           rert_yaml_get_mapping(err, c->doc, map, "registration", false,
                                 &reg) &&
           (reg == NULL || parse_registration(err, c, reg, &k->registration)) &&
           rert_yaml_get_sequence(err, c->doc, map, "dvh_entries", false,
                                  &dvh) &&
           (dvh == NULL || parse_dvh_entries(err, c, dvh, k)) &&
           rert_yaml_get_mapping(err, c->doc, map, "toxicity", false, &tox) &&
           (tox == NULL || parse_toxicity(err, c, tox, k));
}

/* ---- checks of one course */

static bool check_dicom_level(RertError *err,
                              const RertCase *c,
                              const RertYamlNode *map,
                              const RertCaseCourse *k)
{
    const RertCaseDicom *d = &k->dicom;
    const RertYamlNode *dm = rert_yaml_get(map, "dicom");
    const RertYamlNode *at = dm != NULL ? dm : map;
    switch (k->data_quality) {
    case RERT_CASE_DATA_FULL_DICOM:
        return need(err, c, at, "ct", d->ct_dir != NULL,
                    "for data_quality full_dicom") &&
               need(err, c, at, "rtdose", d->rtdose != NULL,
                    "for data_quality full_dicom") &&
               need(err, c, at, "rtstruct", d->rtstruct != NULL,
                    "for data_quality full_dicom");
    case RERT_CASE_DATA_DOSE_ONLY:
        return need(err, c, at, "rtdose", d->rtdose != NULL,
                    "for data_quality dose_only");
    default:
        if (k->role == RERT_CASE_ROLE_PLANNED) {
            return true; /* planning CT and structures, no dose yet */
        }
        return forbid(err, c, map, "dicom",
                      "for paper_summary or prescription_only courses (use "
                      "dose_only when an RTDOSE exists)");
    }
}

static bool check_levels(RertError *err,
                         const RertCase *c,
                         const RertYamlNode *map,
                         const RertCaseCourse *k)
{
    bool is_paper = k->data_quality == RERT_CASE_DATA_PAPER_SUMMARY;
    bool is_rx = k->data_quality == RERT_CASE_DATA_PRESCRIPTION_ONLY;
    if (!check_dicom_level(err, c, map, k)) {
        return false;
    }
    if (!is_paper) {
        return forbid(err, c, map, "dvh_entries",
                      "unless data_quality is paper_summary") &&
               need(err, c, map, "prescription_gy",
                    !is_rx || !isnan(k->prescription_gy),
                    "for data_quality prescription_only");
    }
    return need(err, c, map, "dvh_entries", k->dvh_entry_count > 0,
                "(non-empty) for data_quality paper_summary");
}

static bool check_fractions(RertError *err,
                            const RertCase *c,
                            const RertYamlNode *map,
                            const RertCaseCourse *k)
{
    if (k->fraction_group != 0 && k->dicom.rtplan == NULL) {
        return course_error(err, c, map, "fraction_group",
                            "needs dicom.rtplan (it selects a fraction "
                            "group of the plan)",
                            NULL);
    }
    return need(err, c, map, "fractions",
                k->fractions >= 1 || k->dicom.rtplan != NULL,
                "when the course has no dicom.rtplan");
}

static bool check_planned(RertError *err,
                          const RertCase *c,
                          const RertYamlNode *map,
                          const RertCaseCourse *k)
{
    const RertYamlNode *dm = rert_yaml_get(map, "dicom");
    const RertYamlNode *at = dm != NULL ? dm : map;
    const char *why = "for the planned course (its CT and structures are "
                      "the reference anatomy)";
    if (k->data_quality != RERT_CASE_DATA_FULL_DICOM &&
        k->data_quality != RERT_CASE_DATA_PRESCRIPTION_ONLY) {
        return course_error(err, c, map, "data_quality",
                            "expected full_dicom or prescription_only for "
                            "the planned course, found ",
                            case_data_quality_names[k->data_quality]);
    }
    return need(err, c, at, "ct", k->dicom.ct_dir != NULL, why) &&
           need(err, c, at, "rtstruct", k->dicom.rtstruct != NULL, why) &&
           forbid(err, c, map, "registration",
                  "on the planned course (it is the reference)") &&
           need(err, c, map, "prescription_gy", !isnan(k->prescription_gy),
                "for the planned course") &&
           need(err, c, map, "targets", k->target_count > 0,
                "(non-empty) for the planned course");
}

static bool check_prior(RertError *err,
                        const RertCase *c,
                        const RertYamlNode *map,
                        const RertCaseCourse *k)
{
    bool has_voxels = k->data_quality == RERT_CASE_DATA_FULL_DICOM ||
                      k->data_quality == RERT_CASE_DATA_DOSE_ONLY;
    if (!has_voxels) {
        return forbid(err, c, map, "registration",
                      "for courses without an RTDOSE");
    }
    return need(err, c, map, "registration",
                k->registration.method != RERT_CASE_REG_NONE,
                "for a prior course with an RTDOSE");
}

static bool parse_course(RertError *err,
                         RertCase *c,
                         const RertYamlNode *map,
                         RertCaseCourse *k)
{
    k->line = rert_yaml_line(map);
    k->prescription_gy = (double)NAN;
    k->rbe.value = (double)NAN;
    if (!parse_basics(err, c, map, k) || !parse_numbers(err, c, map, k) ||
        !parse_sections(err, c, map, k) || !check_levels(err, c, map, k) ||
        !check_fractions(err, c, map, k)) {
        return false;
    }
    if (is_let_model(k->rbe.model) &&
        k->data_quality != RERT_CASE_DATA_FULL_DICOM &&
        k->data_quality != RERT_CASE_DATA_DOSE_ONLY) {
        return course_error(err, c, rert_yaml_get(map, "rbe"), "model",
                            "LET-based RBE needs voxel data (full_dicom or "
                            "dose_only)",
                            NULL);
    }
    return k->role == RERT_CASE_ROLE_PLANNED ? check_planned(err, c, map, k)
                                             : check_prior(err, c, map, k);
}

/* ---- across courses */

static bool
check_order(RertError *err, const RertCase *c, const RertYamlNode *seq)
{
    for (size_t i = 0; i < c->course_count; i++) {
        const RertCaseCourse *k = &c->courses[i];
        const RertYamlNode *map = rert_yaml_item(seq, i);
        for (size_t j = 0; j < i; j++) {
            const RertCaseCourse *p = &c->courses[j];
            if (strcmp(p->name, k->name) == 0) {
                return course_error(err, c, map, "name",
                                    "expected a unique course name, found "
                                    "a repeat of ",
                                    p->name);
            }
            if (k->start_days < p->start_days) {
                return rert_error_set(
                    err, RERT_ERR_PARSE,
                    "%s:%zu: start_date: courses must be in time order: "
                    "course '%s' starts %s, before course '%s' (line %zu) "
                    "starting %s",
                    rert_yaml_name(c->doc),
                    rert_yaml_key_line(map, "start_date"), k->name,
                    k->start_date, p->name, p->line, p->start_date);
            }
        }
    }
    return true;
}

/* Roles first, so that a misplaced or missing planned course is reported
 * as such rather than as a field that course lacks. */
static bool check_roles(RertError *err, RertCase *c, const RertYamlNode *seq)
{
    size_t n = rert_yaml_count(seq);
    for (size_t i = 0; i < n; i++) {
        const RertYamlNode *map = rert_yaml_item(seq, i);
        int role = 0;
        if (!case_get_enum(err, c, map, "role", true, case_role_names, 0,
                           &role)) {
            return false;
        }
        if (role == RERT_CASE_ROLE_PLANNED && i + 1 < n) {
            return rert_yaml_error(err, c->doc, map,
                                   "role: expected exactly one planned "
                                   "course, the last in the list; found "
                                   "'planned' on course %zu of %zu",
                                   i + 1, n);
        }
        if (role != RERT_CASE_ROLE_PLANNED && i + 1 == n) {
            return rert_yaml_error(err, c->doc, map,
                                   "role: expected the last course to have "
                                   "role 'planned', found 'prior' (a case "
                                   "needs one planned course, last)");
        }
    }
    if (n < 2) {
        return rert_yaml_error(err, c->doc, seq,
                               "courses: expected at least one prior course "
                               "before the planned one, found none");
    }
    return true;
}

static bool
check_interval(RertError *err, const RertCase *c, const RertYamlNode *seq)
{
    const RertCaseCourse *planned = &c->courses[c->course_count - 1];
    const RertYamlNode *map = rert_yaml_item(seq, c->course_count - 1);
    for (size_t i = 0; i + 1 < c->course_count; i++) {
        const RertCaseCourse *p = &c->courses[i];
        if (planned->start_days < p->end_days) {
            return rert_error_set(
                err, RERT_ERR_PARSE,
                "%s:%zu: start_date: expected the planned course to start "
                "on or after the end of prior course '%s' (%s, line %zu), "
                "found %s",
                rert_yaml_name(c->doc), rert_yaml_key_line(map, "start_date"),
                p->name, p->end_date, p->line, planned->start_date);
        }
    }
    if (c->options.reference_grid == RERT_CASE_GRID_PLANNED_DOSE &&
        planned->dicom.rtdose == NULL) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s:%zu: reference_grid: planned_dose needs "
                              "dicom.rtdose on the planned course '%s'",
                              rert_yaml_name(c->doc), c->options.line,
                              planned->name);
    }
    return true;
}

bool case_parse_courses(RertError *err, RertCase *c, const RertYamlNode *seq)
{
    size_t n = rert_yaml_count(seq);
    if (n == 0) {
        return rert_yaml_error(err, c->doc, seq,
                               "courses: expected prior courses and one "
                               "planned course, found an empty list");
    }
    if (n > RERT_CASE_MAX_COURSES) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s:%zu: courses: %zu courses, more than the "
                              "limit of %d",
                              rert_yaml_name(c->doc), rert_yaml_line(seq), n,
                              RERT_CASE_MAX_COURSES);
    }
    if (!check_roles(err, c, seq)) {
        return false;
    }
    c->courses = case_alloc(err, c, n, sizeof *c->courses);
    if (c->courses == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!parse_course(err, c, rert_yaml_item(seq, i), &c->courses[i])) {
            return false;
        }
        c->course_count = i + 1;
    }
    return check_order(err, c, seq) && check_interval(err, c, seq);
}
