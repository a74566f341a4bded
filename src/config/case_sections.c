/* Case file sections other than the courses: patient, alpha/beta, recovery,
 * constraints, classification, reporting and options (docs/case-file.md). */
#include <math.h>
#include <string.h>

#include <rert/casefile.h>
#include <rert/core.h>
#include <rert/yamldoc.h>

#include "internal.h"

/* ---- patient */

static const char *const patient_keys[] = {
    "id", "age_years", "sex", "performance_status", "organ_function", NULL};
static const char *const ps_keys[] = {"scale", "value", NULL};
static const char *const ps_scales[] = {"ecog", "kps", NULL};

static bool parse_ps(RertError *err,
                     RertCase *c,
                     const RertYamlNode *map,
                     RertCasePatient *p)
{
    if (!rert_yaml_check_keys(err, c->doc, map, "patient.performance_status",
                              ps_keys)) {
        return false;
    }
    int scale = 0;
    if (!case_get_enum(err, c, map, "scale", true, ps_scales, 1, &scale)) {
        return false;
    }
    p->ps_scale = (RertCasePsScale)scale;
    bool is_ecog = p->ps_scale == RERT_CASE_PS_ECOG;
    if (!rert_yaml_get_long(err, c->doc, map, "value", true, 0,
                            is_ecog ? 5 : 100, &p->ps_value, NULL)) {
        return false;
    }
    if (!is_ecog && p->ps_value % 10 != 0) {
        return case_key_error(err, c, map, "value",
                              "expected a KPS score in steps of 10, found %ld",
                              p->ps_value);
    }
    return true;
}

bool case_parse_patient(RertError *err, RertCase *c, const RertYamlNode *map)
{
    RertCasePatient *p = &c->patient;
    p->line = rert_yaml_line(map);
    if (!rert_yaml_check_keys(err, c->doc, map, "patient", patient_keys) ||
        !rert_yaml_get_string(err, c->doc, map, "id", true, &p->id) ||
        !rert_yaml_get_long(err, c->doc, map, "age_years", false, 0, 130,
                            &p->age_years, &p->has_age)) {
        return false;
    }
    int sex = 0;
    if (!case_get_enum(err, c, map, "sex", false, case_sex_names + 1, 1,
                       &sex)) {
        return false;
    }
    p->sex = (RertCaseSex)sex;
    const RertYamlNode *ps = NULL;
    if (!rert_yaml_get_mapping(err, c->doc, map, "performance_status", false,
                               &ps) ||
        (ps != NULL && !parse_ps(err, c, ps, p))) {
        return false;
    }
    return case_get_strings(err, c, map, "organ_function", false,
                            &p->organ_function, &p->organ_function_count);
}

/* ---- alpha/beta */

static const char *const ab_keys[] = {
    "default_gy", "structures", "source", "model", "transition_dose_gy", NULL};
static const char *const lq_models[] = {"lq", "lql", NULL};

/* model: lq | lql; LQ-L needs its transition dose (never defaulted). */
static bool ab_model(RertError *err,
                     RertCase *c,
                     const RertYamlNode *map,
                     RertCaseAlphaBeta *ab)
{
    int model = 0;
    bool has_dt = false;
    ab->transition_dose_gy = (double)NAN;
    if (!case_get_enum(err, c, map, "model", false, lq_models, 0, &model) ||
        !rert_yaml_get_double(err, c->doc, map, "transition_dose_gy", false,
                              &ab->transition_dose_gy, &has_dt)) {
        return false;
    }
    ab->is_lql = model == 1;
    if (ab->is_lql && !(has_dt && ab->transition_dose_gy > 0.0)) {
        return rert_yaml_error(err, c->doc, map,
                               "alpha_beta: model lql needs transition_dose_gy "
                               "> 0 (no published default exists)");
    }
    if (!ab->is_lql && has_dt) {
        return rert_yaml_error(err, c->doc, map,
                               "alpha_beta: transition_dose_gy is only for "
                               "model: lql");
    }
    return true;
}

/* A finite number > 0 under @p key (required). */
static bool positive(RertError *err,
                     const RertCase *c,
                     const RertYamlNode *map,
                     const char *key,
                     bool required,
                     double *out)
{
    bool present = false;
    double v = 0;
    if (!rert_yaml_get_double(err, c->doc, map, key, required, &v, &present)) {
        return false;
    }
    if (present && !(v > 0.0)) {
        return case_key_error(err, c, map, key,
                              "expected a number > 0, found %g", v);
    }
    if (present) {
        *out = v;
    }
    return true;
}

bool case_parse_alpha_beta(RertError *err, RertCase *c, const RertYamlNode *map)
{
    RertCaseAlphaBeta *ab = &c->alpha_beta;
    ab->line = rert_yaml_line(map);
    const RertYamlNode *structures = NULL;
    if (!rert_yaml_check_keys(err, c->doc, map, "alpha_beta", ab_keys) ||
        !positive(err, c, map, "default_gy", true, &ab->default_gy) ||
        !rert_yaml_get_string(err, c->doc, map, "source", false, &ab->source) ||
        !rert_yaml_get_mapping(err, c->doc, map, "structures", false,
                               &structures) ||
        !ab_model(err, c, map, ab)) {
        return false;
    }
    size_t n = rert_yaml_count(structures);
    RertCaseAlphaBetaEntry *e = case_alloc(err, c, n, sizeof *e);
    if (e == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        e[i].name = rert_yaml_key_at(structures, i);
        e[i].line = rert_yaml_key_line_at(structures, i);
        /* By position, not by key lookup: linear in the entry count. */
        const RertYamlNode *value = rert_yaml_value_at(structures, i);
        if (!rert_yaml_node_double(err, c->doc, value, e[i].name,
                                   &e[i].alpha_beta_gy)) {
            return false;
        }
        if (!(e[i].alpha_beta_gy > 0.0)) {
            return rert_yaml_error(err, c->doc, value,
                                   "%s: expected a number > 0, found %g",
                                   e[i].name, e[i].alpha_beta_gy);
        }
    }
    ab->entries = e;
    ab->entry_count = n;
    return true;
}

/* ---- recovery */

static const char *const recovery_keys[] = {"convention", "default", "organs",
                                            NULL};
static const char *const model_keys[] = {"model", "r",      "tiers",
                                         "name",  "source", NULL};
static const char *const organ_model_keys[] = {"organ", "model",  "r", "tiers",
                                               "name",  "source", NULL};
static const char *const tier_keys[] = {"from_months", "r", NULL};
static const char *const conventions[] = {"A", "B", NULL};

static bool parse_fraction(RertError *err,
                           const RertCase *c,
                           const RertYamlNode *map,
                           const char *key,
                           double *out)
{
    if (!rert_yaml_get_double(err, c->doc, map, key, true, out, NULL)) {
        return false;
    }
    if (!(*out >= 0.0 && *out <= 1.0)) {
        return case_key_error(err, c, map, key,
                              "expected a recovery fraction in [0, 1], found "
                              "%g",
                              *out);
    }
    return true;
}

static bool parse_tiers(RertError *err,
                        const RertCase *c,
                        const RertYamlNode *map,
                        RertCaseRecoveryModel *m)
{
    const RertYamlNode *seq = NULL;
    if (!rert_yaml_get_sequence(err, c->doc, map, "tiers", true, &seq)) {
        return false;
    }
    size_t n = rert_yaml_count(seq);
    if (n == 0 || n > RERT_CASE_MAX_RECOVERY_TIERS) {
        return case_key_error(err, c, map, "tiers",
                              "expected 1 to %d tiers, found %zu",
                              RERT_CASE_MAX_RECOVERY_TIERS, n);
    }
    for (size_t i = 0; i < n; i++) {
        const RertYamlNode *t = rert_yaml_item(seq, i);
        RertCaseRecoveryTier *tier = &m->tiers[i];
        if (!rert_yaml_check_keys(err, c->doc, t, "a recovery tier",
                                  tier_keys) ||
            !rert_yaml_get_double(err, c->doc, t, "from_months", true,
                                  &tier->from_months, NULL) ||
            !parse_fraction(err, c, t, "r", &tier->recovery_frac)) {
            return false;
        }
        double prev = i > 0 ? m->tiers[i - 1].from_months : -1.0;
        if (!(tier->from_months >= 0.0) || !(tier->from_months > prev)) {
            return case_key_error(err, c, t, "from_months",
                                  "expected a number >= 0 and above the "
                                  "previous tier's, found %g",
                                  tier->from_months);
        }
    }
    m->tier_count = n;
    return true;
}

/* The fields each kind needs, and no others. */
static bool check_model_fields(RertError *err,
                               const RertCase *c,
                               const RertYamlNode *map,
                               const RertCaseRecoveryModel *m)
{
    static const char *const fields[] = {"r", "tiers", "name"};
    static const RertCaseRecoveryKind owner[] = {RERT_CASE_RECOVERY_FIXED,
                                                 RERT_CASE_RECOVERY_TIERED,
                                                 RERT_CASE_RECOVERY_PUBLISHED};
    for (size_t i = 0; i < 3; i++) {
        if (m->kind != owner[i] && rert_yaml_get(map, fields[i]) != NULL) {
            return case_key_error(err, c, map, fields[i],
                                  "only allowed with model %s, found model "
                                  "%s",
                                  case_recovery_kind_names[owner[i]],
                                  case_recovery_kind_names[m->kind]);
        }
    }
    return true;
}

static bool parse_model(RertError *err,
                        RertCase *c,
                        const RertYamlNode *map,
                        bool is_organ,
                        RertCaseRecoveryModel *m)
{
    m->line = rert_yaml_line(map);
    int kind = 0;
    if (!rert_yaml_check_keys(err, c->doc, map,
                              is_organ ? "recovery.organs[]"
                                       : "recovery.default",
                              is_organ ? organ_model_keys : model_keys) ||
        (is_organ &&
         !rert_yaml_get_string(err, c->doc, map, "organ", true, &m->organ)) ||
        !case_get_enum(err, c, map, "model", true, case_recovery_kind_names, 0,
                       &kind) ||
        !rert_yaml_get_string(err, c->doc, map, "source", false, &m->source)) {
        return false;
    }
    m->kind = (RertCaseRecoveryKind)kind;
    if (!check_model_fields(err, c, map, m)) {
        return false;
    }
    switch (m->kind) {
    case RERT_CASE_RECOVERY_FIXED:
        return parse_fraction(err, c, map, "r", &m->recovery_frac);
    case RERT_CASE_RECOVERY_TIERED:
        return parse_tiers(err, c, map, m);
    case RERT_CASE_RECOVERY_PUBLISHED:
        return rert_yaml_get_string(err, c->doc, map, "name", true,
                                    &m->published_name);
    default:
        return true;
    }
}

static bool
parse_organ_models(RertError *err, RertCase *c, const RertYamlNode *seq)
{
    size_t n = rert_yaml_count(seq);
    if (n > RERT_CASE_MAX_RECOVERY_ORGANS) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s:%zu: organs: %zu recovery models, more than "
                              "the limit of %d",
                              rert_yaml_name(c->doc), rert_yaml_line(seq), n,
                              RERT_CASE_MAX_RECOVERY_ORGANS);
    }
    RertCaseRecoveryModel *models = case_alloc(err, c, n, sizeof *models);
    if (models == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const RertYamlNode *item = rert_yaml_item(seq, i);
        if (!parse_model(err, c, item, true, &models[i])) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(models[j].organ, models[i].organ) == 0) {
                return case_key_error(err, c, item, "organ",
                                      "'%s' already has a recovery model "
                                      "(line %zu)",
                                      models[i].organ, models[j].line);
            }
        }
    }
    c->recovery.organs = models;
    c->recovery.organ_count = n;
    return true;
}

bool case_parse_recovery(RertError *err, RertCase *c, const RertYamlNode *map)
{
    RertCaseRecovery *r = &c->recovery;
    r->is_given = true;
    r->line = rert_yaml_line(map);
    int convention = 0;
    const RertYamlNode *def = NULL;
    const RertYamlNode *organs = NULL;
    if (!rert_yaml_check_keys(err, c->doc, map, "recovery", recovery_keys) ||
        !case_get_enum(err, c, map, "convention", true, conventions, 0,
                       &convention) ||
        !rert_yaml_get_mapping(err, c->doc, map, "default", true, &def) ||
        !parse_model(err, c, def, false, &r->default_model) ||
        !rert_yaml_get_sequence(err, c->doc, map, "organs", false, &organs)) {
        return false;
    }
    r->convention = (RertCaseConvention)convention;
    return organs == NULL || parse_organ_models(err, c, organs);
}

/* ---- constraints */

static const char *const constraints_keys[] = {"set", "site", "overrides",
                                               NULL};
static const char *const sites[] = {"cns",     "head_neck", "spine", "thorax",
                                    "abdomen", "pelvis",    "all",   NULL};
static const char *const override_keys[] = {
    "id",    "organ",      "metric", "limit",    "unit", "alpha_beta_gy",
    "scope", "comparison", "source", "replaces", NULL};
static const char *const units[] = {"Gy_EQD2", "Gy_BED", "%",
                                    "cc",      "ratio",  NULL};
static const char *const scopes[] = {"cumulative",       "each_course",
                                     "single_course",    "new_course",
                                     "new_course_share", NULL};
static const char *const comparisons[] = {"<=", "<", NULL};

static bool parse_override(RertError *err,
                           RertCase *c,
                           const RertYamlNode *map,
                           RertCaseConstraintOverride *o)
{
    o->line = rert_yaml_line(map);
    o->alpha_beta_gy = (double)NAN;
    int unit = 0;
    int scope = 0;
    int comparison = 0;
    if (!rert_yaml_check_keys(err, c->doc, map, "constraints.overrides[]",
                              override_keys) ||
        !rert_yaml_get_string(err, c->doc, map, "id", false, &o->id) ||
        !rert_yaml_get_string(err, c->doc, map, "organ", true, &o->organ) ||
        !rert_yaml_get_string(err, c->doc, map, "metric", true, &o->metric) ||
        !rert_yaml_get_double(err, c->doc, map, "limit", true, &o->limit,
                              NULL) ||
        !case_get_enum(err, c, map, "unit", true, units, 0, &unit) ||
        !positive(err, c, map, "alpha_beta_gy", false, &o->alpha_beta_gy) ||
        !case_get_enum(err, c, map, "scope", false, scopes, 0, &scope) ||
        !case_get_enum(err, c, map, "comparison", false, comparisons, 0,
                       &comparison) ||
        !rert_yaml_get_string(err, c->doc, map, "source", true, &o->source) ||
        !rert_yaml_get_string(err, c->doc, map, "replaces", false,
                              &o->replaces)) {
        return false;
    }
    o->unit = units[unit];
    o->scope = scopes[scope];
    o->comparison = comparisons[comparison];
    return true;
}

bool case_parse_constraints(RertError *err,
                            RertCase *c,
                            const RertYamlNode *map)
{
    RertCaseConstraints *k = &c->constraints;
    k->line = rert_yaml_line(map);
    const char *set = NULL;
    const RertYamlNode *seq = NULL;
    int site = -1;
    if (!rert_yaml_check_keys(err, c->doc, map, "constraints",
                              constraints_keys) ||
        !rert_yaml_get_string(err, c->doc, map, "set", true, &set) ||
        !case_get_enum(err, c, map, "site", false, sites, 0, &site) ||
        !rert_yaml_get_sequence(err, c->doc, map, "overrides", false, &seq)) {
        return false;
    }
    k->site = site >= 0 ? sites[site] : NULL;
    k->is_builtin = strcmp(set, "builtin") == 0;
    if (!k->is_builtin &&
        !case_get_path(err, c, map, "set", true, false, &k->set)) {
        return false;
    }
    size_t n = rert_yaml_count(seq);
    RertCaseConstraintOverride *o = case_alloc(err, c, n, sizeof *o);
    if (o == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!parse_override(err, c, rert_yaml_item(seq, i), &o[i])) {
            return false;
        }
    }
    k->overrides = o;
    k->override_count = n;
    return true;
}

/* ---- classification */

static const char *const classification_keys[] = {
    "overlap_threshold_gy", "overlap_threshold_source", "min_overlap_cc",
    "cumulative_toxicity_concern", NULL};
static const char *const concern_keys[] = {"answer", "by", "note", NULL};

static bool parse_concern(RertError *err,
                          const RertCase *c,
                          const RertYamlNode *map,
                          RertCaseClassification *k)
{
    bool answer = false;
    if (!rert_yaml_check_keys(err, c->doc, map,
                              "classification.cumulative_toxicity_concern",
                              concern_keys) ||
        !rert_yaml_get_bool(err, c->doc, map, "answer", true, &answer, NULL) ||
        !rert_yaml_get_string(err, c->doc, map, "by", true,
                              &k->cumulative_concern_by) ||
        !rert_yaml_get_string(err, c->doc, map, "note", false,
                              &k->cumulative_concern_note)) {
        return false;
    }
    k->cumulative_concern = answer ? RERT_CASE_ANSWER_YES : RERT_CASE_ANSWER_NO;
    return true;
}

bool case_parse_classification(RertError *err,
                               RertCase *c,
                               const RertYamlNode *map)
{
    RertCaseClassification *k = &c->classification;
    k->line = rert_yaml_line(map);
    bool has_min = false;
    const RertYamlNode *concern = NULL;
    if (!rert_yaml_check_keys(err, c->doc, map, "classification",
                              classification_keys) ||
        !positive(err, c, map, "overlap_threshold_gy", false,
                  &k->overlap_threshold_gy) ||
        !rert_yaml_get_string(err, c->doc, map, "overlap_threshold_source",
                              false, &k->overlap_threshold_source) ||
        !rert_yaml_get_double(err, c->doc, map, "min_overlap_cc", false,
                              &k->min_overlap_cc, &has_min) ||
        !rert_yaml_get_mapping(err, c->doc, map, "cumulative_toxicity_concern",
                               false, &concern)) {
        return false;
    }
    k->has_overlap_threshold = !isnan(k->overlap_threshold_gy);
    if (k->has_overlap_threshold != (k->overlap_threshold_source != NULL)) {
        const char *missing = k->has_overlap_threshold
                                  ? "overlap_threshold_source"
                                  : "overlap_threshold_gy";
        return rert_yaml_error(err, c->doc, map,
                               "classification: '%s' is required with '%s' "
                               "(the consensus sets no isodose: say which "
                               "one and why)",
                               missing,
                               k->has_overlap_threshold
                                   ? "overlap_threshold_gy"
                                   : "overlap_threshold_source");
    }
    if (has_min && !(k->min_overlap_cc >= 0.0)) {
        return case_key_error(err, c, map, "min_overlap_cc",
                              "expected a volume >= 0 cc, found %g",
                              k->min_overlap_cc);
    }
    return concern == NULL || parse_concern(err, c, concern, k);
}

/* ---- reporting and options */

static const char *const reporting_keys[] = {"recurrence", "imaging", "notes",
                                             NULL};

bool case_parse_reporting(RertError *err, RertCase *c, const RertYamlNode *map)
{
    RertCaseReporting *r = &c->reporting;
    r->line = rert_yaml_line(map);
    int recurrence = 0;
    if (!rert_yaml_check_keys(err, c->doc, map, "reporting", reporting_keys) ||
        !case_get_enum(err, c, map, "recurrence", false,
                       case_recurrence_names + 1, 1, &recurrence) ||
        !case_get_strings(err, c, map, "imaging", false, &r->imaging,
                          &r->imaging_count) ||
        !rert_yaml_get_string(err, c->doc, map, "notes", false, &r->notes)) {
        return false;
    }
    r->recurrence = (RertCaseRecurrence)recurrence;
    return true;
}

static const char *const options_keys[] = {"reference_grid",
                                           "allow_patient_id_mismatch",
                                           "registration_uncertainty_mm", NULL};
static const char *const grids[] = {"planned_ct", "planned_dose", NULL};

/* registration_uncertainty_mm: optional, > 0 and at most 20 mm. */
static bool uncertainty(RertError *err,
                        RertCase *c,
                        const RertYamlNode *map,
                        RertCaseOptions *o)
{
    bool has = false;
    o->registration_uncertainty_mm = (double)NAN;
    if (!rert_yaml_get_double(err, c->doc, map, "registration_uncertainty_mm",
                              false, &o->registration_uncertainty_mm, &has)) {
        return false;
    }
    if (has && !(o->registration_uncertainty_mm > 0.0 &&
                 o->registration_uncertainty_mm <= 20.0)) {
        return rert_yaml_error(err, c->doc, map,
                               "options: registration_uncertainty_mm: "
                               "expected a number in (0, 20] mm, found %g",
                               o->registration_uncertainty_mm);
    }
    return true;
}

bool case_parse_options(RertError *err, RertCase *c, const RertYamlNode *map)
{
    RertCaseOptions *o = &c->options;
    o->line = rert_yaml_line(map);
    int grid = 0;
    if (!rert_yaml_check_keys(err, c->doc, map, "options", options_keys) ||
        !case_get_enum(err, c, map, "reference_grid", false, grids, 0, &grid) ||
        !rert_yaml_get_bool(err, c->doc, map, "allow_patient_id_mismatch",
                            false, &o->allow_patient_id_mismatch, NULL) ||
        !uncertainty(err, c, map, o)) {
        return false;
    }
    o->reference_grid = (RertCaseReferenceGrid)grid;
    return true;
}

bool case_parse_selection(RertError *err, RertCase *c, const RertYamlNode *map)
{
    if (rert_yaml_kind(map) != RERT_YAML_MAPPING) {
        return rert_yaml_error(err, c->doc, map,
                               "selection: expected a mapping of key: value");
    }
    size_t n = rert_yaml_count(map);
    c->selection = case_alloc(err, c, n == 0 ? 1 : n, sizeof *c->selection);
    if (c->selection == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const RertYamlNode *v = rert_yaml_value_at(map, i);
        if (rert_yaml_kind(v) != RERT_YAML_SCALAR) {
            return rert_yaml_error(err, c->doc, v,
                                   "selection: %s: expected a single value",
                                   rert_yaml_key_at(map, i));
        }
        RertCaseSelectionEntry *e = &c->selection[c->selection_count++];
        e->key = rert_yaml_key_at(map, i);
        e->value = rert_yaml_scalar(v);
        e->line = rert_yaml_line(v);
    }
    return true;
}
