/* The assessment, step by step (docs/assessment.md): inputs, structures,
 * doses, recovery, metrics and constraints, budget, classification. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

RertAssessOptions rert_assess_options_default(void)
{
    RertAssessOptions o;
    memset(&o, 0, sizeof o);
    return o;
}

bool assess_name_equal(const char *x, const char *y)
{
    for (; *x != '\0' && *y != '\0'; x++, y++) {
        char cx = *x >= 'A' && *x <= 'Z' ? (char)(*x - 'A' + 'a') : *x;
        char cy = *y >= 'A' && *y <= 'Z' ? (char)(*y - 'A' + 'a') : *y;
        if (cx != cy) {
            return false;
        }
    }
    return *x == *y;
}

double assess_uncertainty_mm(const RertAssessment *a)
{
    double r = rert_case_options(a->c)->registration_uncertainty_mm;
    return r > 0.0 ? r : 0.0;
}

RertLqModel assess_model(const RertAssessment *a)
{
    const RertCaseAlphaBeta *ab = rert_case_alpha_beta(a->c);
    RertLqModel m = rert_lq_model_default();
    if (ab->is_lql) {
        m.kind = RERT_LQ_MODEL_LQL;
        m.transition_dose_gy = ab->transition_dose_gy;
    }
    return m;
}

void assess_warn(RertAssessment *a, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    (void)rert_strbuf_printf(NULL, &a->warnings, "%s\n", line);
}

void assess_progress(const RertAssessment *a,
                     const char *stage,
                     double fraction)
{
    if (a->options.progress != NULL) {
        a->options.progress(stage, fraction, a->options.progress_user);
    }
}

static void course_clear(Course *k)
{
    rert_dose_destroy(k->dose);
    rert_structure_set_destroy(k->structures);
    rert_plan_destroy(k->plan);
    rert_image_series_destroy(k->ct);
    rert_transform_destroy(k->to_course);
    for (size_t s = 0; s < ASSESS_MAX_AB; s++) {
        rert_volume_destroy(k->eqd2[s]);
    }
    rert_volume_destroy(k->eqd2_map);
    rert_volume_destroy(k->let);
    assess_regqa_clear(k);
}

void rert_assess_destroy(RertAssessment *a)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; a->courses != NULL && i < a->course_count; i++) {
        course_clear(&a->courses[i]);
    }
    rert_free(a->courses);
    for (size_t r = 0; a->rois != NULL && r < a->roi_count; r++) {
        rert_free(a->rois[r].occupancy);
        rert_free(a->rois[r].recovery);
    }
    rert_free(a->rois);
    for (size_t i = 0; a->measures != NULL && i < a->measure_count; i++) {
        rert_free(a->measures[i].per_course);
    }
    rert_free(a->measures);
    rert_free(a->inputs);
    rert_free(a->results);
    rert_free(a->derived);
    rert_free(a->other_site);
    rert_free(a->budgets);
    rert_free(a->answers);
    rert_free(a->agreements);
    rert_volume_destroy(a->cumulative_map);
    rert_volume_destroy(a->prior_map);
    rert_volume_destroy(a->budget_total);
    rert_constraint_library_destroy(a->library);
    rert_organ_table_destroy(a->organs);
    rert_strbuf_clear(&a->warnings);
    rert_free(a->summary);
    rert_free(a);
}

/* Sum of the per-ROI alpha/beta EQD2 maps (undiscounted): the exported
 * cumulative EQD2 and the prior-only part used for overlap. */
static bool sum_maps(RertError *err, RertAssessment *a)
{
    a->cumulative_map = rert_volume_create(err, &a->ref);
    a->prior_map = rert_volume_create(err, &a->ref);
    if (a->cumulative_map == NULL || a->prior_map == NULL) {
        return false;
    }
    size_t n = rert_grid_voxel_count(&a->ref);
    float *cum = rert_volume_data(a->cumulative_map);
    float *pri = rert_volume_data(a->prior_map);
    for (size_t c = 0; c < a->course_count; c++) {
        const Course *k = &a->courses[c];
        if (!k->has_voxels) {
            continue;
        }
        const float *e = rert_volume_data_const(k->eqd2_map);
        for (size_t i = 0; i < n; i++) {
            cum[i] += e[i];
            if (!k->is_planned) {
                pri[i] += e[i];
            }
        }
    }
    return true;
}

static bool summarise(RertError *err, RertAssessment *a)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, 8192);
    size_t pass = 0;
    size_t near = 0;
    size_t skipped = 0;
    size_t above = 0;
    for (size_t i = 0; i < a->result_count; i++) {
        above += a->results[i].status == RERT_CONSTRAINT_ABOVE_OBSERVATION;
        pass += a->results[i].status == RERT_CONSTRAINT_PASS;
        near += a->results[i].status == RERT_CONSTRAINT_NEAR_LIMIT;
        skipped += a->results[i].status == RERT_CONSTRAINT_NOT_EVALUATED ||
                   a->results[i].status == RERT_CONSTRAINT_NOT_APPLICABLE;
    }
    bool ok = rert_strbuf_printf(
        err, &sb,
        "ESTRO-EORTC category: %s. Constraints: %zu checked: %zu pass, "
        "%zu near the limit, %zu fail, %zu above a reported observation "
        "(not a limit) (%zu not applicable or without a contoured organ). "
        "Summation %s. Recovery convention %s.",
        rert_reirradiation_category_name(a->category.category),
        a->result_count - skipped, pass, near, a->fail_count, above, skipped,
        rert_summation_level_info(a->level)->key, a->convention);
    a->summary = ok ? rert_strbuf_take(err, &sb) : NULL;
    rert_strbuf_clear(&sb);
    return a->summary != NULL;
}

RertAssessment *rert_assess_run(RertError *err,
                                const RertCase *c,
                                const RertAssessOptions *options)
{
    if (options == NULL || options->data_dir == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "assess: the data folder (constraints.yaml, "
                       "organ_synonyms.yaml) is required");
        return NULL;
    }
    RertAssessment *a = rert_calloc(err, 1, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    a->c = c;
    a->options = *options;
    rert_strbuf_init(&a->warnings, (size_t)1 << 20);
    bool ok = assess_load_library(err, a) && assess_load_courses(err, a) &&
              assess_landmarks(err, a) && assess_prepare_rois(err, a) &&
              assess_map_doses(err, a) && assess_recovery(err, a) &&
              sum_maps(err, a) && assess_measure(err, a) &&
              assess_budget(err, a) && assess_classify(err, a) &&
              assess_selection(err, a) && assess_agreement(err, a) &&
              summarise(err, a);
    if (!ok) {
        rert_error_prefix(err, "assessing %s", rert_case_name(c));
        rert_assess_destroy(a);
        return NULL;
    }
    assess_progress(a, "done", 1.0);
    return a;
}

size_t rert_assess_fail_count(const RertAssessment *a)
{
    return a->fail_count;
}

const char *rert_assess_category(const RertAssessment *a)
{
    return rert_reirradiation_category_name(a->category.category);
}

const char *rert_assess_summary(const RertAssessment *a)
{
    return a->summary;
}
