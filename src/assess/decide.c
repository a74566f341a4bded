/* Remaining budget for the planned fractionation (per organ metric and as
 * a voxel map) and the ESTRO-EORTC classification (docs/assessment.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static bool is_dose_limit(const RertConstraint *c)
{
    return c->unit == RERT_CONSTRAINT_UNIT_GY_EQD2 ||
           c->unit == RERT_CONSTRAINT_UNIT_GY_BED;
}

static double limit_eqd2(const RertConstraint *c)
{
    return c->unit == RERT_CONSTRAINT_UNIT_GY_BED
               ? rert_constraint_bed_to_eqd2(c->limit, c->alpha_beta_gy)
               : c->limit;
}

static const Measure *measure_for(const RertAssessment *a,
                                  const RertConstraintResult *res)
{
    RertDvhMetric dm;
    if (!rert_dvh_metric_parse(NULL, res->constraint->metric, &dm)) {
        return NULL;
    }
    for (size_t i = 0; i < a->measure_count; i++) {
        const Measure *m = &a->measures[i];
        if (strcmp(m->roi->name, res->roi_name) == 0 &&
            fabs(m->ab_gy - res->constraint->alpha_beta_gy) < 1e-9 &&
            strcmp(m->metric.name, dm.name) == 0) {
            return m;
        }
    }
    return NULL;
}

/* A derived (recovery-adjusted) constraint, or NULL. */
static const Derived *derived_of(const RertAssessment *a,
                                 const RertConstraint *c)
{
    for (size_t i = 0; i < a->derived_count; i++) {
        if (&a->derived[i].constraint == c) {
            return &a->derived[i];
        }
    }
    return NULL;
}

/* The planned course's own EQD2 limit (at *ab) set by per-course entry
 * @p k of the same ROI for budget metric @p m: each_course and new_course
 * dose limits of the same metric or of Dmax (which bounds every dose
 * metric); new_course_share s: new <= s/(1-s) x prior (undiscounted prior
 * of the same metric at the share's alpha/beta; additive approximation).
 * False: @p k sets no cap. */
static bool cap_of(const RertAssessment *a,
                   const RertConstraintResult *res,
                   const Measure *m,
                   double *cap,
                   double *ab)
{
    const RertConstraint *k = res->constraint;
    RertDvhMetric km;
    if (strcmp(res->roi_name, m->roi->name) != 0 ||
        res->status == RERT_CONSTRAINT_NOT_APPLICABLE ||
        !rert_dvh_metric_parse(NULL, k->metric, &km) ||
        (strcmp(km.name, m->metric.name) != 0 &&
         km.kind != RERT_DVH_METRIC_MAX)) {
        return false;
    }
    *ab = k->alpha_beta_gy;
    if ((k->scope == RERT_CONSTRAINT_SCOPE_EACH_COURSE ||
         k->scope == RERT_CONSTRAINT_SCOPE_NEW_COURSE) &&
        is_dose_limit(k)) {
        *cap = limit_eqd2(k);
        return true;
    }
    if (k->scope == RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE &&
        k->unit == RERT_CONSTRAINT_UNIT_RATIO && k->limit < 1.0) {
        const Measure *p = measure_for(a, res);
        if (p == NULL || !isfinite(p->prior)) {
            return false;
        }
        *cap = fmax(k->limit, 0.0) / (1.0 - k->limit) * p->prior;
        return true;
    }
    return false;
}

/* Apply every per-course cap of the ROI to budget row @p bu. */
static bool apply_caps(RertError *err,
                       const RertAssessment *a,
                       const RertBudgetRequest *q,
                       const Measure *m,
                       size_t base_count,
                       Budget *bu)
{
    bu->cap_total_gy = (double)NAN;
    for (size_t i = 0; i < base_count; i++) {
        const RertConstraintResult *res = &a->results[i];
        const RertConstraint *k = res->constraint;
        double cap = 0.0;
        double ab = 0.0;
        if (!cap_of(a, res, m, &cap, &ab)) {
            continue;
        }
        RertMaxDose cd;
        bool binds = false;
        if (!rert_budget_cap_apply(err, q, cap, ab, &bu->result, &cd, &binds)) {
            rert_error_prefix(err, "cap %s of %s on '%s'", k->id,
                              bu->constraint->id, m->roi->name);
            return false;
        }
        bu->cap_total_gy = isnan(bu->cap_total_gy)
                               ? cd.total_dose_gy
                               : fmin(bu->cap_total_gy, cd.total_dose_gy);
        if (binds) {
            size_t len = strlen(bu->basis);
            (void)snprintf(bu->basis + len, sizeof bu->basis - len,
                           "; binding: per-course limit %s (%s %s %g %s, "
                           "%.1f Gy EQD2 at alpha/beta %g) caps the new "
                           "course below the cumulative room",
                           k->id, rert_constraint_scope_name(k->scope),
                           rert_constraint_comparison_name(k->comparison),
                           k->limit, rert_constraint_unit_name(k->unit), cap,
                           ab);
        }
    }
    if (!bu->result.is_capped && !isnan(bu->cap_total_gy)) {
        size_t len = strlen(bu->basis);
        (void)snprintf(bu->basis + len, sizeof bu->basis - len,
                       "; binding: this cumulative limit (per-course limits "
                       "allow more)");
    }
    return true;
}

static bool budget_one(RertError *err,
                       RertAssessment *a,
                       const RertConstraintResult *res,
                       const Measure *m,
                       size_t base_count)
{
    const RertConstraint *c = res->constraint;
    const Derived *d = derived_of(a, c);
    bool b = d != NULL &&
             rert_case_recovery(a->c)->convention == RERT_CASE_CONVENTION_B;
    Budget *bu = &a->budgets[a->budget_count];
    RertPriorDose prior = {m->prior, 0.0};
    RertBudgetRequest q = rert_budget_request_default();
    q.convention = RERT_CONVENTION_DISCOUNT_PRIOR;
    q.limit_eqd2_gy = limit_eqd2(c);
    if (d != NULL && !b) {
        prior.eqd2_gy = m->prior_discounted;
        (void)snprintf(bu->basis, sizeof bu->basis,
                       "single-course tolerance, convention A (recovery "
                       "discounts the prior dose)");
    } else if (b) {
        q.convention = RERT_CONVENTION_RAISE_TOLERANCE;
        prior.recovery_frac = d->recovery_frac;
        q.limit_eqd2_gy = limit_eqd2(c) / (1.0 + d->recovery_frac);
        (void)snprintf(bu->basis, sizeof bu->basis,
                       "single-course tolerance, convention B (limit raised "
                       "by r = %.2f)",
                       d->recovery_frac);
    } else if (c->is_observation) {
        (void)snprintf(bu->basis, sizeof bu->basis,
                       "published observation, not a tolerance (room to "
                       "the reported experience; not in the voxel map)");
    } else {
        (void)snprintf(bu->basis, sizeof bu->basis,
                       "published cumulative limit (undiscounted prior)");
    }
    q.priors = &prior;
    q.prior_count = 1;
    q.n_fractions = (unsigned)a->courses[a->planned].fractions;
    q.ab_gy = c->alpha_beta_gy;
    q.model = assess_model(a);
    bu->constraint = c;
    bu->roi = m->roi;
    bu->prior_eqd2_gy = prior.eqd2_gy;
    if (!rert_budget_compute(err, &q, &bu->result)) {
        rert_error_prefix(err, "budget of %s on '%s'", c->id, m->roi->name);
        return false;
    }
    if (!apply_caps(err, a, &q, m, base_count, bu)) {
        return false;
    }
    if (isfinite(m->prior_upper) && d == NULL) {
        /* the band applies to undiscounted prior dose (published limits) */
        RertPriorDose upper = {m->prior_upper, 0.0};
        q.priors = &upper;
        bu->has_band = rert_budget_compute(err, &q, &bu->band);
        if (!bu->has_band) {
            return false;
        }
        Budget tmp = *bu;
        tmp.result = bu->band;
        if (!apply_caps(err, a, &q, m, base_count, &tmp)) {
            return false;
        }
        bu->band = tmp.result;
    }
    a->budget_count++;
    return true;
}

/* Per organ metric: cumulative-scope dose limits whose metric is a dose. */
static bool budgets(RertError *err, RertAssessment *a)
{
    a->budgets = rert_calloc(err, a->result_count + 1, sizeof *a->budgets);
    if (a->budgets == NULL) {
        return false;
    }
    for (size_t i = 0; i < a->result_count; i++) {
        const RertConstraintResult *res = &a->results[i];
        const Measure *m = measure_for(a, res);
        if (m == NULL || res->status == RERT_CONSTRAINT_NOT_EVALUATED ||
            res->status == RERT_CONSTRAINT_NOT_APPLICABLE ||
            res->constraint->scope != RERT_CONSTRAINT_SCOPE_CUMULATIVE ||
            !is_dose_limit(res->constraint) ||
            m->metric.kind == RERT_DVH_METRIC_V_CC ||
            m->metric.kind == RERT_DVH_METRIC_V_PCT ||
            m->metric.kind == RERT_DVH_METRIC_VOLUME) {
            continue;
        }
        if (!budget_one(err, a, res, m, a->result_count - a->derived_count)) {
            return false;
        }
    }
    return true;
}

/* A near-maximum metric limits every voxel of its organ. */
static bool is_near_max(const RertDvhMetric *m)
{
    return m->kind == RERT_DVH_METRIC_MAX ||
           (m->kind == RERT_DVH_METRIC_D_CC && m->value <= 1.0) ||
           (m->kind == RERT_DVH_METRIC_D_PCT && m->value <= 2.0);
}

typedef struct MapInputs {
    RertBudgetOrgan *organs;
    double *organ_ab;
    size_t count;
    float *ab_map;
    float *prior;
} MapInputs;

static void map_inputs_clear(MapInputs *in)
{
    rert_free(in->organs);
    rert_free(in->organ_ab);
    rert_free(in->ab_map);
    rert_free(in->prior);
}

/* The lowest allowed EQD2 of each ROI's near-maximum limits. */
static void map_organs(const RertAssessment *a, MapInputs *in)
{
    for (size_t r = 0; r < a->roi_count; r++) {
        double allowed = (double)INFINITY;
        double ab = 0.0;
        for (size_t i = 0; i < a->budget_count; i++) {
            const Budget *b = &a->budgets[i];
            RertDvhMetric dm;
            if (b->roi != &a->rois[r] || b->constraint->is_observation ||
                !rert_dvh_metric_parse(NULL, b->constraint->metric, &dm) ||
                !is_near_max(&dm) ||
                b->result.allowed_eqd2_gy - b->result.effective_prior_eqd2_gy +
                        b->prior_eqd2_gy >=
                    allowed) {
                continue;
            }
            /* allowed for the undiscounted prior grid */
            allowed = b->result.allowed_eqd2_gy -
                      b->result.effective_prior_eqd2_gy + b->prior_eqd2_gy;
            ab = b->constraint->alpha_beta_gy;
        }
        if (isfinite(allowed)) {
            in->organs[in->count].name = a->rois[r].name;
            in->organs[in->count].occupancy_frac = a->rois[r].occupancy;
            in->organs[in->count].allowed_eqd2_gy = allowed;
            in->organ_ab[in->count] = ab;
            in->count++;
        }
    }
}

/* Per voxel: alpha/beta and undiscounted prior EQD2 of the first organ
 * (structure-set order) that contains it; the default elsewhere. */
static void map_voxels(const RertAssessment *a, MapInputs *in)
{
    size_t n = rert_grid_voxel_count(&a->ref);
    const float *def = NULL;
    double def_ab = rert_case_alpha_beta(a->c)->default_gy;
    for (size_t i = 0; i < n; i++) {
        in->ab_map[i] = (float)def_ab;
        in->prior[i] = -1.0f;
    }
    for (size_t o = in->count; o > 0; o--) {
        size_t slot = 0;
        for (size_t s = 0; s < a->ab_count; s++) {
            slot = fabs(a->ab[s] - in->organ_ab[o - 1]) < 1e-9 ? s : slot;
        }
        const float *occ = in->organs[o - 1].occupancy_frac;
        for (size_t i = 0; i < n; i++) {
            if ((double)occ[i] >= ASSESS_INSIDE_FRAC) {
                in->ab_map[i] = (float)in->organ_ab[o - 1];
                in->prior[i] = 0.0f;
                for (size_t c = 0; c < a->course_count; c++) {
                    const Course *k = &a->courses[c];
                    if (!k->is_planned && k->has_voxels) {
                        in->prior[i] +=
                            rert_volume_data_const(k->eqd2[slot])[i];
                    }
                }
            }
        }
    }
    def = rert_volume_data_const(a->prior_map);
    for (size_t i = 0; i < n; i++) {
        if (in->prior[i] < 0.0f) {
            in->prior[i] = def[i];
        }
    }
}

/* Per-course caps of near-maximum budget rows, voxel by voxel inside the
 * ROI: the new course may not exceed the cap's physical dose there,
 * whatever cumulative room the voxel has. */
static void map_caps(const RertAssessment *a, float *max_total)
{
    size_t n = rert_grid_voxel_count(&a->ref);
    for (size_t i = 0; i < a->budget_count; i++) {
        const Budget *b = &a->budgets[i];
        RertDvhMetric dm;
        if (isnan(b->cap_total_gy) ||
            !rert_dvh_metric_parse(NULL, b->constraint->metric, &dm) ||
            !is_near_max(&dm)) {
            continue;
        }
        float cap = (float)b->cap_total_gy;
        const float *occ = b->roi->occupancy;
        for (size_t v = 0; v < n; v++) {
            if ((double)occ[v] >= ASSESS_INSIDE_FRAC && max_total[v] > cap) {
                max_total[v] = cap;
            }
        }
    }
}

static bool budget_map(RertError *err, RertAssessment *a)
{
    size_t n = rert_grid_voxel_count(&a->ref);
    MapInputs in;
    memset(&in, 0, sizeof in);
    in.organs = rert_calloc(err, a->roi_count + 1, sizeof *in.organs);
    in.organ_ab = rert_calloc(err, a->roi_count + 1, sizeof *in.organ_ab);
    in.ab_map = rert_alloc_voxels(err, n, sizeof(float));
    in.prior = rert_alloc_voxels(err, n, sizeof(float));
    a->budget_total = rert_volume_create(err, &a->ref);
    bool ok = in.organs != NULL && in.organ_ab != NULL && in.ab_map != NULL &&
              in.prior != NULL && a->budget_total != NULL;
    if (ok) {
        map_organs(a, &in);
        map_voxels(a, &in);
        RertBudgetMapParams p = rert_budget_map_params_default();
        p.organs = in.organs;
        p.organ_count = in.count;
        p.n_fractions = (unsigned)a->courses[a->planned].fractions;
        p.model = assess_model(a);
        p.ab_map_gy = in.ab_map;
        ok = rert_budget_map_compute(err, &p, in.prior, n,
                                     rert_volume_data(a->budget_total), NULL,
                                     NULL, &a->budget_stats);
        if (ok) {
            map_caps(a, rert_volume_data(a->budget_total));
        }
    }
    map_inputs_clear(&in);
    return ok;
}

bool assess_budget(RertError *err, RertAssessment *a)
{
    return budgets(err, a) && budget_map(err, a);
}

/* ---- classification */

static bool names_intersect(const char *const *x,
                            size_t nx,
                            const char *const *y,
                            size_t ny)
{
    for (size_t i = 0; i < nx; i++) {
        for (size_t j = 0; j < ny; j++) {
            if (strcmp(x[i], y[j]) == 0) {
                return true;
            }
        }
    }
    return false;
}

static bool
target_occupancy(RertError *err, const RertAssessment *a, float **out)
{
    size_t n = rert_grid_voxel_count(&a->ref);
    *out = rert_alloc_voxels(err, n, sizeof(float));
    if (*out == NULL) {
        return false;
    }
    memset(*out, 0, n * sizeof(float));
    for (size_t r = 0; r < a->roi_count; r++) {
        if (!a->rois[r].is_target) {
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            (*out)[i] = fmaxf((*out)[i], a->rois[r].occupancy[i]);
        }
    }
    return true;
}

static bool overlap_answer(RertError *err,
                           RertAssessment *a,
                           const Course *k,
                           const float *target,
                           RertAnswer *q1)
{
    const RertCaseClassification *cl = rert_case_classification(a->c);
    if (!k->has_voxels || !cl->has_overlap_threshold) {
        q1->note = !k->has_voxels ? "no voxel dose for this course"
                                  : "no overlap threshold in the case file";
        return true;
    }
    RertOverlapParams p = rert_overlap_params_default();
    p.threshold_gy = cl->overlap_threshold_gy;
    p.threshold_source = cl->overlap_threshold_source;
    p.min_overlap_cc = cl->min_overlap_cc;
    p.voxel_cc = rert_grid_voxel_cc(&a->ref);
    const Course *planned = &a->courses[a->planned];
    RertOverlapResult r;
    if (!rert_overlap_compute(
            err, &p, rert_volume_data_const(k->eqd2_map), target,
            planned->has_voxels ? rert_volume_data_const(planned->eqd2_map)
                                : NULL,
            rert_grid_voxel_count(&a->ref), &r)) {
        return false;
    }
    if (!a->has_overlap || r.overlap_cc > a->overlap.overlap_cc) {
        a->overlap = r;
        a->has_overlap = true;
    }
    q1->value = r.has_overlap ? RERT_ANSWER_YES : RERT_ANSWER_NO;
    q1->source = RERT_ANSWER_SOURCE_OVERLAP;
    return true;
}

static void concern_answer(const RertAssessment *a, RertAnswer *q2)
{
    const RertCaseClassification *cl = rert_case_classification(a->c);
    if (cl->cumulative_concern != RERT_CASE_ANSWER_NOT_GIVEN) {
        q2->value = cl->cumulative_concern == RERT_CASE_ANSWER_YES
                        ? RERT_ANSWER_YES
                        : RERT_ANSWER_NO;
        q2->source = RERT_ANSWER_SOURCE_CLINICIAN;
        q2->note = cl->cumulative_concern_by;
    } else if (a->fail_count > 0) {
        q2->value = RERT_ANSWER_YES;
        q2->source = RERT_ANSWER_SOURCE_CONSTRAINTS;
        q2->note = "at least one cumulative constraint fails";
    } else {
        q2->note = "not answered: constraints passing is not a 'no'; the "
                   "clinician's answer is needed";
    }
}

static void
organ_answer(const RertAssessment *a, const Course *k, RertAnswer *q3)
{
    const RertCaseCourse *p = a->courses[a->planned].spec;
    if (p->target_organ_count == 0 || k->spec->target_organ_count == 0) {
        q3->note = "target organs not given for both courses";
        return;
    }
    bool same =
        names_intersect(p->target_organs, p->target_organ_count,
                        k->spec->target_organs, k->spec->target_organ_count);
    q3->value = same ? RERT_ANSWER_YES : RERT_ANSWER_NO;
    q3->source = RERT_ANSWER_SOURCE_CASE_FILE;
}

bool assess_classify(RertError *err, RertAssessment *a)
{
    float *target = NULL;
    a->answers = rert_calloc(err, a->course_count, sizeof *a->answers);
    if (a->answers == NULL || !target_occupancy(err, a, &target)) {
        return false;
    }
    size_t n = 0;
    bool ok = true;
    for (size_t c = 0; ok && c < a->course_count; c++) {
        const Course *k = &a->courses[c];
        if (k->is_planned) {
            continue;
        }
        RertClassifyCourse *q = &a->answers[n++];
        q->course_name = k->spec->name;
        ok = overlap_answer(err, a, k, target, &q->overlap);
        concern_answer(a, &q->cumulative_concern);
        organ_answer(a, k, &q->same_organ);
    }
    rert_free(target);
    RertSummationMethod sm = {RERT_SUM_NONE, false,
                              assess_uncertainty_mm(a) > 0.0};
    for (size_t c = 0; c < a->course_count; c++) {
        sm.is_deformable = sm.is_deformable || a->courses[c].is_deformable;
        if (!a->courses[c].is_planned && a->courses[c].has_voxels) {
            sm.kind = RERT_SUM_VOXEL_EQD2;
        } else if (sm.kind == RERT_SUM_NONE &&
                   a->courses[c].spec->dvh_entry_count > 0) {
            sm.kind = RERT_SUM_DVH_PARAMETERS;
        }
    }
    return ok && rert_classify_compute(err, a->answers, n, &a->category) &&
           rert_summation_level_compute(err, &sm, &a->level);
}
