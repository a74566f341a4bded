/* The planned course's structures on the reference grid, organ names,
 * alpha/beta per ROI, and recovery fractions per ROI and prior course
 * (docs/assessment.md, "Structures" and "Recovery"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static bool is_target(const RertCaseCourse *planned, const char *name)
{
    for (size_t i = 0; i < planned->target_count; i++) {
        if (assess_name_equal(planned->targets[i], name)) {
            return true;
        }
    }
    return false;
}

/* The case's alpha/beta for a ROI: by its name, else by its organ. */
static double roi_alpha_beta(const RertAssessment *a, const Roi *r)
{
    const RertCaseAlphaBetaEntry *e = NULL;
    double ab = rert_case_alpha_beta_for(a->c, r->name, &e);
    if (e != NULL || r->organ == NULL) {
        return ab;
    }
    const RertCaseAlphaBeta *t = rert_case_alpha_beta(a->c);
    for (size_t i = 0; i < t->entry_count; i++) {
        RertOrganMatch m =
            rert_organ_table_match(a->organs, t->entries[i].name);
        if (m.is_matched && strcmp(m.organ, r->organ) == 0) {
            return t->entries[i].alpha_beta_gy;
        }
    }
    return ab;
}

static bool add_ab(RertError *err, RertAssessment *a, double ab)
{
    for (size_t i = 0; i < a->ab_count; i++) {
        if (fabs(a->ab[i] - ab) < 1e-9) {
            return true;
        }
    }
    if (a->ab_count == ASSESS_MAX_AB) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "more than %d distinct constraint alpha/beta "
                              "values",
                              ASSESS_MAX_AB);
    }
    a->ab[a->ab_count++] = ab;
    return true;
}

/* Alpha/beta values of every constraint that applies to a planned ROI. */
static bool collect_ab(RertError *err, RertAssessment *a)
{
    size_t n = rert_constraint_library_count(a->library);
    for (size_t i = 0; i < n; i++) {
        const RertConstraint *c = rert_constraint_library_get(a->library, i);
        for (size_t r = 0; r < a->roi_count; r++) {
            if (a->rois[r].organ != NULL &&
                strcmp(a->rois[r].organ, c->organ) == 0 &&
                isfinite(c->alpha_beta_gy) && c->alpha_beta_gy > 0.0 &&
                !add_ab(err, a, c->alpha_beta_gy)) {
                return false;
            }
        }
    }
    return true;
}

bool assess_reference_grid(RertError *err, RertAssessment *a)
{
    const Course *p = &a->courses[a->planned];
    if (rert_case_options(a->c)->reference_grid ==
        RERT_CASE_GRID_PLANNED_DOSE) {
        if (p->dose == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "options: reference_grid planned_dose, but "
                                  "the planned course has no RTDOSE");
        }
        a->ref = *rert_volume_geometry(rert_dose_volume(p->dose));
    } else {
        a->ref = *rert_volume_geometry(rert_image_series_volume(p->ct));
    }
    a->ref_header = rert_image_series_header(p->ct);
    return true;
}

static bool prepare_roi(RertError *err, RertAssessment *a, const RertRoi *roi)
{
    size_t count = 0;
    const RertPolygon *polygons = rert_roi_polygons(roi, &count);
    if (rert_roi_status(roi) != RERT_OK || count == 0) {
        if (rert_roi_status(roi) != RERT_OK) {
            assess_warn(a, "planned ROI '%s' not used: %s", rert_roi_name(roi),
                        rert_roi_error(roi));
        }
        return true;
    }
    Roi *r = &a->rois[a->roi_count++]; /* counted now: destroy frees it */
    size_t n = rert_grid_voxel_count(&a->ref);
    r->recovery = rert_calloc(err, a->course_count, sizeof *r->recovery);
    r->occupancy = rert_alloc_voxels(err, n, sizeof(float));
    if (r->recovery == NULL || r->occupancy == NULL ||
        !rert_rasterize_polygons(err, &a->ref, polygons, count, NULL,
                                 r->occupancy)) {
        rert_error_prefix(err, "planned ROI '%s'", rert_roi_name(roi));
        return false;
    }
    r->roi = roi;
    r->name = rert_roi_name(roi);
    RertOrganMatch m = rert_organ_table_match(a->organs, r->name);
    r->organ = m.is_matched ? m.organ : NULL;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)r->occupancy[i];
    }
    r->volume_cc = sum * rert_grid_voxel_cc(&a->ref);
    r->ab_gy = roi_alpha_beta(a, r);
    r->is_target = is_target(a->courses[a->planned].spec, r->name);
    return true;
}

bool assess_prepare_rois(RertError *err, RertAssessment *a)
{
    const RertStructureSet *ss = a->courses[a->planned].structures;
    size_t count = rert_structure_set_roi_count(ss);
    a->rois = rert_calloc(err, count == 0 ? 1 : count, sizeof *a->rois);
    if (a->rois == NULL) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        assess_progress(a, "structures", (double)i / (double)count);
        if (!prepare_roi(err, a, rert_structure_set_roi_at(ss, i))) {
            return false;
        }
    }
    if (!add_ab(err, a, rert_case_alpha_beta(a->c)->default_gy)) {
        return false;
    }
    for (size_t r = 0; r < a->roi_count; r++) {
        if (a->rois[r].organ != NULL && !add_ab(err, a, a->rois[r].ab_gy)) {
            return false;
        }
    }
    return collect_ab(err, a);
}

/* The evaluate module's form of a case recovery model. */
static bool
to_model(RertError *err, const RertCaseRecoveryModel *m, RertRecoveryModel *out)
{
    memset(out, 0, sizeof *out);
    out->name = m->organ != NULL ? m->organ : "case default";
    out->source = m->source != NULL ? m->source : "case file";
    out->evidence_tag = "P";
    switch (m->kind) {
    case RERT_CASE_RECOVERY_NONE:
        out->kind = RERT_RECOVERY_NONE;
        break;
    case RERT_CASE_RECOVERY_FIXED:
        out->kind = RERT_RECOVERY_FIXED;
        out->fixed_frac = m->recovery_frac;
        break;
    case RERT_CASE_RECOVERY_TIERED:
        out->kind = RERT_RECOVERY_TIERED;
        out->tier_count = m->tier_count;
        for (size_t i = 0; i < m->tier_count; i++) {
            out->tiers[i].min_interval_months = m->tiers[i].from_months;
            out->tiers[i].recovery_frac = m->tiers[i].recovery_frac;
        }
        break;
    case RERT_CASE_RECOVERY_PUBLISHED: {
        const RertRecoveryModel *p =
            rert_recovery_model_find(m->published_name);
        if (p == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "recovery model '%s' (line %zu) is not a "
                                  "built-in model",
                                  m->published_name, m->line);
        }
        *out = *p;
        break;
    }
    }
    return rert_recovery_model_validate(err, out);
}

/* r for one organ (or the default with organ NULL) after an interval;
 * @p is_specific tells whether an organ entry of the case or a built-in
 * organ override decided it (rather than the default model). */
static bool recovery_for(RertError *err,
                         const RertAssessment *a,
                         const char *organ,
                         const char *roi_name,
                         double months,
                         double *r,
                         bool *is_specific,
                         RertRecoveryResult *used)
{
    *r = 0.0;
    *is_specific = false;
    memset(used, 0, sizeof *used);
    if (!rert_case_recovery(a->c)->is_given || !isfinite(months)) {
        return true;
    }
    const RertCaseRecoveryModel *cm =
        rert_case_recovery_for(a->c, organ != NULL ? organ : "");
    if (cm->organ == NULL && roi_name != NULL) {
        cm = rert_case_recovery_for(a->c, roi_name);
    }
    RertRecoveryModel model;
    RertRecoveryResult res;
    if (!to_model(err, cm, &model) ||
        !rert_recovery_compute(err, &model, organ != NULL ? organ : roi_name,
                               months, &res)) {
        return false;
    }
    *r = res.recovery_frac;
    *used = res;
    *is_specific = (cm->organ != NULL && (organ != NULL || roi_name != NULL)) ||
                   res.is_organ_override;
    return true;
}

/* r of every planned ROI for prior course @p k: the organ's own recovery
 * entry (case file or built-in override), else the default model's r.
 * The metrics apply each ROI's own r to the prior dose (measure.c). */
static bool course_recovery(RertError *err, RertAssessment *a, Course *k)
{
    bool specific = false;
    RertRecoveryResult def;
    RertRecoveryResult own;
    if (!recovery_for(err, a, NULL, NULL, k->interval_months,
                      &k->default_recovery, &specific, &def)) {
        return false;
    }
    for (size_t r = 0; r < a->roi_count; r++) {
        Roi *roi = &a->rois[r];
        double rr = 0.0;
        if (!recovery_for(err, a, roi->organ, roi->name, k->interval_months,
                          &rr, &specific, &own)) {
            return false;
        }
        roi->recovery[k - a->courses] = specific ? rr : k->default_recovery;
        const RertRecoveryResult *u = specific ? &own : &def;
        if (u->model_name != NULL) {
            roi->recovery_model = u->model_name;
            roi->recovery_source = u->source;
            roi->recovery_tag = u->evidence_tag;
            roi->recovery_defined_under = u->defined_under;
        }
    }
    return true;
}

/* A model whose source states it for the other convention (e.g. Nieder's
 * cord rule, a raise of the tolerance, applied as a discount). Once per
 * model. */
static void warn_conventions(RertAssessment *a)
{
    bool b = rert_case_recovery(a->c)->convention == RERT_CASE_CONVENTION_B;
    RertRecoveryDefinedUnder other =
        b ? RERT_RECOVERY_DEFINED_A : RERT_RECOVERY_DEFINED_B;
    for (size_t r = 0; r < a->roi_count; r++) {
        const Roi *roi = &a->rois[r];
        bool first =
            roi->recovery_model != NULL && roi->recovery_defined_under == other;
        for (size_t q = 0; first && q < r; q++) {
            first = a->rois[q].recovery_model == NULL ||
                    a->rois[q].recovery_defined_under != other ||
                    strcmp(a->rois[q].recovery_model, roi->recovery_model) != 0;
        }
        if (first) {
            assess_warn(a,
                        "recovery model '%s' (ROI '%s' and any other using "
                        "it) is defined in its source under convention %s "
                        "but the case applies convention %s: r means a "
                        "different thing there (source: %.200s)",
                        roi->recovery_model, roi->name,
                        b ? "A (discount prior dose)" : "B (raise tolerance)",
                        a->convention, roi->recovery_source);
        }
    }
}

bool assess_recovery(RertError *err, RertAssessment *a)
{
    const RertCaseRecovery *rec = rert_case_recovery(a->c);
    (void)snprintf(a->convention, sizeof a->convention, "%s",
                   rec->is_given && rec->convention == RERT_CASE_CONVENTION_B
                       ? "B (raise tolerance)"
                       : "A (discount prior dose)");
    /* every prior course, voxel or paper-only (DVH entries): each one's
     * dose is discounted by the r of its own interval */
    for (size_t i = 0; i < a->course_count; i++) {
        Course *k = &a->courses[i];
        if (!k->is_planned && !course_recovery(err, a, k)) {
            rert_error_prefix(err, "recovery of course '%s'", k->spec->name);
            return false;
        }
    }
    if (rec->is_given) {
        warn_conventions(a);
    }
    return true;
}
