/* Organ metrics of the cumulative EQD2 at each constraint's alpha/beta,
 * constraint evaluation, recovery-adjusted checks and the remaining budget
 * (docs/assessment.md, "Constraints" and "Budget"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Sums of the mapped course grids at one alpha/beta slot. */
typedef struct Sums {
    RertVolume *cumulative;
    RertVolume *prior;
    RertVolume *prior_discounted;
    RertVolume *cumulative_discounted;
} Sums;

static void sums_clear(Sums *s)
{
    rert_volume_destroy(s->cumulative);
    rert_volume_destroy(s->prior);
    rert_volume_destroy(s->prior_discounted);
    rert_volume_destroy(s->cumulative_discounted);
    memset(s, 0, sizeof *s);
}

static bool
sums_make(RertError *err, const RertAssessment *a, size_t slot, Sums *s)
{
    memset(s, 0, sizeof *s);
    s->cumulative = rert_volume_create(err, &a->ref);
    s->prior = rert_volume_create(err, &a->ref);
    s->prior_discounted = rert_volume_create(err, &a->ref);
    s->cumulative_discounted = rert_volume_create(err, &a->ref);
    if (s->cumulative == NULL || s->prior == NULL ||
        s->prior_discounted == NULL || s->cumulative_discounted == NULL) {
        sums_clear(s);
        return false;
    }
    size_t n = rert_grid_voxel_count(&a->ref);
    float *cum = rert_volume_data(s->cumulative);
    float *pri = rert_volume_data(s->prior);
    float *dis = rert_volume_data(s->prior_discounted);
    float *cdis = rert_volume_data(s->cumulative_discounted);
    for (size_t c = 0; c < a->course_count; c++) {
        const Course *k = &a->courses[c];
        if (!k->has_voxels) {
            continue;
        }
        const float *e = rert_volume_data_const(k->eqd2[slot]);
        for (size_t i = 0; i < n; i++) {
            cum[i] += e[i];
            if (k->is_planned) {
                cdis[i] += e[i];
            } else {
                pri[i] += e[i];
                dis[i] += k->factor[i] * e[i];
                cdis[i] += k->factor[i] * e[i];
            }
        }
    }
    return true;
}

static size_t slot_of(const RertAssessment *a, double ab)
{
    for (size_t s = 0; s < a->ab_count; s++) {
        if (fabs(a->ab[s] - ab) < 1e-9) {
            return s;
        }
    }
    return 0;
}

static double eqd2_of(double dose, double n, double ab)
{
    return dose * (dose / n + ab) / (2.0 + ab);
}

/* DVH-level entries of paper-summary courses (L1 addition, worst case:
 * the maxima are assumed to coincide). */
static void add_paper(RertAssessment *a, Measure *m)
{
    for (size_t c = 0; c < a->course_count; c++) {
        const RertCaseCourse *s = a->courses[c].spec;
        for (size_t e = 0; e < s->dvh_entry_count; e++) {
            const RertCaseDvhEntry *d = &s->dvh_entries[e];
            RertOrganMatch om = rert_organ_table_match(a->organs, d->organ);
            RertDvhMetric dm;
            if (!om.is_matched || strcmp(om.organ, m->roi->organ) != 0 ||
                !rert_dvh_metric_parse(NULL, d->metric, &dm) ||
                strcmp(dm.name, m->metric.name) != 0) {
                continue;
            }
            double v = eqd2_of(d->dose_gy * a->courses[c].rbe,
                               (double)d->fractions, m->ab_gy);
            double r = m->roi->recovery[c];
            m->per_course[c] =
                isnan(m->per_course[c]) ? v : m->per_course[c] + v;
            m->cumulative += v;
            m->prior += v;
            m->prior_discounted += (1.0 - r) * v;
            m->cumulative_discounted += (1.0 - r) * v;
            m->has_paper = true;
        }
    }
}

static bool
measure_metric(RertError *err, RertAssessment *a, Measure *m, const Sums *s)
{
    const RertPolygon *poly = NULL;
    size_t count = 0;
    poly = rert_roi_polygons(m->roi->roi, &count);
    const RertVolume *grids[4] = {s->cumulative, s->prior, s->prior_discounted,
                                  s->cumulative_discounted};
    double *outs[4] = {&m->cumulative, &m->prior, &m->prior_discounted,
                       &m->cumulative_discounted};
    for (size_t g = 0; g < 4; g++) {
        RertDvh *d = rert_dvh_compute(err, grids[g], poly, count, NULL);
        if (d == NULL) {
            return false;
        }
        *outs[g] = rert_dvh_metric_compute(d, &m->metric);
        rert_dvh_destroy(d);
    }
    size_t slot = slot_of(a, m->ab_gy);
    for (size_t c = 0; c < a->course_count; c++) {
        m->per_course[c] = NAN;
        if (!a->courses[c].has_voxels) {
            continue;
        }
        RertDvh *d =
            rert_dvh_compute(err, a->courses[c].eqd2[slot], poly, count, NULL);
        if (d == NULL) {
            return false;
        }
        m->per_course[c] = rert_dvh_metric_compute(d, &m->metric);
        rert_dvh_destroy(d);
    }
    add_paper(a, m);
    return true;
}

static bool have_measure(const RertAssessment *a,
                         const Roi *r,
                         const char *metric,
                         double ab)
{
    for (size_t i = 0; i < a->measure_count; i++) {
        const Measure *m = &a->measures[i];
        if (m->roi == r && fabs(m->ab_gy - ab) < 1e-9 &&
            strcmp(m->metric.name, metric) == 0) {
            return true;
        }
    }
    return false;
}

/* One Measure per ROI x (metric, alpha/beta) of its organ's constraints. */
static bool plan_measures(RertError *err, RertAssessment *a)
{
    size_t n = rert_constraint_library_count(a->library);
    size_t cap = a->roi_count * n + 1;
    a->measures = rert_calloc(err, cap, sizeof *a->measures);
    if (a->measures == NULL) {
        return false;
    }
    for (size_t r = 0; r < a->roi_count; r++) {
        const Roi *roi = &a->rois[r];
        for (size_t i = 0; roi->organ != NULL && i < n; i++) {
            const RertConstraint *c =
                rert_constraint_library_get(a->library, i);
            RertDvhMetric dm;
            if (strcmp(c->organ, roi->organ) != 0 ||
                !rert_dvh_metric_parse(err, c->metric, &dm)) {
                if (err != NULL && err->code != RERT_OK) {
                    return false;
                }
                continue;
            }
            if (have_measure(a, roi, dm.name, c->alpha_beta_gy)) {
                continue;
            }
            Measure *m = &a->measures[a->measure_count++];
            m->roi = roi;
            m->metric = dm;
            m->ab_gy = c->alpha_beta_gy;
            m->per_course = rert_calloc(err, a->course_count, sizeof(double));
            if (m->per_course == NULL) {
                return false;
            }
        }
    }
    return true;
}

static size_t new_course_index(const RertAssessment *a)
{
    return a->courses[a->planned].has_voxels ? a->planned
                                             : RERT_CONSTRAINT_NO_COURSE;
}

static bool evaluate_library(RertError *err, RertAssessment *a)
{
    a->inputs = rert_calloc(err, a->measure_count + 1, sizeof *a->inputs);
    if (a->inputs == NULL) {
        return false;
    }
    for (size_t i = 0; i < a->measure_count; i++) {
        const Measure *m = &a->measures[i];
        RertConstraintMeasurement *in = &a->inputs[i];
        in->organ = m->roi->organ;
        in->roi_name = m->roi->name;
        in->metric = m->metric.name;
        in->alpha_beta_gy = m->ab_gy;
        in->values.cumulative = m->cumulative;
        in->values.course_values = m->per_course;
        in->values.course_count = a->course_count;
        in->values.new_course_index = new_course_index(a);
    }
    RertConstraintOptions o = rert_constraint_options_default();
    o.interval_months = a->min_interval_months;
    return rert_constraint_library_evaluate(err, a->library, a->inputs,
                                            a->measure_count, &o, &a->results,
                                            &a->result_count);
}

static const Measure *find_measure(const RertAssessment *a,
                                   const char *roi,
                                   const char *metric,
                                   double ab)
{
    RertDvhMetric dm;
    if (!rert_dvh_metric_parse(NULL, metric, &dm)) {
        return NULL;
    }
    for (size_t i = 0; i < a->measure_count; i++) {
        const Measure *m = &a->measures[i];
        if (strcmp(m->roi->name, roi) == 0 && fabs(m->ab_gy - ab) < 1e-9 &&
            strcmp(m->metric.name, dm.name) == 0) {
            return m;
        }
    }
    return NULL;
}

static double min_prior_recovery(const RertAssessment *a, const Roi *r)
{
    double rmin = INFINITY;
    for (size_t c = 0; c < a->course_count; c++) {
        if (!a->courses[c].is_planned) {
            rmin = fmin(rmin, r->recovery[c]);
        }
    }
    return isfinite(rmin) ? rmin : 0.0;
}

/* A single-course tolerance L1 turned into a cumulative check under the
 * case's recovery convention. */
static void derive(RertAssessment *a,
                   const RertConstraintResult *res,
                   const Measure *m,
                   bool convention_b)
{
    Derived *d = &a->derived[a->derived_count++];
    d->constraint = *res->constraint;
    d->roi = m->roi;
    d->measure = m;
    d->constraint.scope = RERT_CONSTRAINT_SCOPE_CUMULATIVE;
    d->constraint.min_interval_months = NAN;
    d->recovery_frac = convention_b ? min_prior_recovery(a, m->roi) : 0.0;
    if (convention_b) {
        d->constraint.limit *= 1.0 + d->recovery_frac;
    }
    (void)snprintf(d->id, sizeof d->id, "%s+recovery-%s", res->constraint->id,
                   convention_b ? "B" : "A");
    if (convention_b) {
        (void)snprintf(d->notes, sizeof d->notes,
                       "Convention B: undiscounted cumulative <= (1 + r) L1, "
                       "r = %.2f (smallest over prior courses)",
                       d->recovery_frac);
    } else {
        (void)snprintf(d->notes, sizeof d->notes,
                       "Convention A: recovery-discounted prior (1 - r per "
                       "organ and course) + planned <= L1");
    }
    d->constraint.id = d->id;
    d->constraint.notes = d->notes;
}

static bool evaluate_derived(RertError *err, RertAssessment *a)
{
    if (!rert_case_recovery(a->c)->is_given) {
        return true;
    }
    bool b = rert_case_recovery(a->c)->convention == RERT_CASE_CONVENTION_B;
    a->derived = rert_calloc(err, a->result_count + 1, sizeof *a->derived);
    if (a->derived == NULL) {
        return false;
    }
    size_t base = a->result_count;
    for (size_t i = 0; i < base; i++) {
        const RertConstraintResult *res = &a->results[i];
        const RertConstraint *c = res->constraint;
        const Measure *m =
            find_measure(a, res->roi_name, c->metric, c->alpha_beta_gy);
        if (c->scope == RERT_CONSTRAINT_SCOPE_SINGLE_COURSE && m != NULL &&
            (c->unit == RERT_CONSTRAINT_UNIT_GY_EQD2 ||
             c->unit == RERT_CONSTRAINT_UNIT_GY_BED)) {
            derive(a, res, m, b);
        }
    }
    RertConstraintResult *grown = rert_realloc_array(
        err, a->results, base + a->derived_count + 1, sizeof *grown);
    if (grown == NULL) {
        return false;
    }
    a->results = grown;
    RertConstraintOptions o = rert_constraint_options_default();
    o.interval_months = a->min_interval_months;
    for (size_t i = 0; i < a->derived_count; i++) {
        const Derived *d = &a->derived[i];
        RertConstraintValues v;
        memset(&v, 0, sizeof v);
        v.cumulative =
            b ? d->measure->cumulative : d->measure->cumulative_discounted;
        v.new_course_index = RERT_CONSTRAINT_NO_COURSE;
        RertConstraintResult *out = &a->results[a->result_count];
        if (!rert_constraint_evaluate(err, &d->constraint, &v, &o, out)) {
            return false;
        }
        (void)snprintf(out->roi_name, sizeof out->roi_name, "%s", d->roi->name);
        a->result_count++;
    }
    return true;
}

bool assess_measure(RertError *err, RertAssessment *a)
{
    a->min_interval_months = INFINITY;
    for (size_t c = 0; c < a->course_count; c++) {
        if (isfinite(a->courses[c].interval_months)) {
            a->min_interval_months =
                fmin(a->min_interval_months, a->courses[c].interval_months);
        }
    }
    if (!isfinite(a->min_interval_months)) {
        a->min_interval_months = NAN;
    }
    if (!plan_measures(err, a)) {
        return false;
    }
    for (size_t s = 0; s < a->ab_count; s++) {
        Sums sums;
        if (!sums_make(err, a, s, &sums)) {
            return false;
        }
        for (size_t i = 0; i < a->measure_count; i++) {
            assess_progress(a, "organ metrics",
                            (double)(s * a->measure_count + i) /
                                (double)(a->ab_count * a->measure_count));
            Measure *m = &a->measures[i];
            if (slot_of(a, m->ab_gy) == s &&
                !measure_metric(err, a, m, &sums)) {
                rert_error_prefix(err, "DVH of '%s'", m->roi->name);
                sums_clear(&sums);
                return false;
            }
        }
        sums_clear(&sums);
    }
    if (!evaluate_library(err, a) || !evaluate_derived(err, a)) {
        return false;
    }
    for (size_t i = 0; i < a->result_count; i++) {
        a->fail_count += a->results[i].status == RERT_CONSTRAINT_FAIL;
    }
    return true;
}
