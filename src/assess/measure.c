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
} Sums;

static void sums_clear(Sums *s)
{
    rert_volume_destroy(s->cumulative);
    rert_volume_destroy(s->prior);
    memset(s, 0, sizeof *s);
}

/* Weighted sum of the voxel courses' grids at @p slot: weight[c] per
 * course (NULL: 1 for every course). */
static bool weighted_sum(RertError *err,
                         const RertAssessment *a,
                         size_t slot,
                         const double *weight,
                         bool priors_only,
                         RertVolume **out)
{
    *out = rert_volume_create(err, &a->ref);
    if (*out == NULL) {
        return false;
    }
    size_t n = rert_grid_voxel_count(&a->ref);
    float *sum = rert_volume_data(*out);
    for (size_t c = 0; c < a->course_count; c++) {
        const Course *k = &a->courses[c];
        if (!k->has_voxels || (priors_only && k->is_planned)) {
            continue;
        }
        const float *e = rert_volume_data_const(k->eqd2[slot]);
        float w = weight != NULL ? (float)weight[c] : 1.0f;
        for (size_t i = 0; i < n; i++) {
            sum[i] += w * e[i];
        }
    }
    return true;
}

static bool
sums_make(RertError *err, const RertAssessment *a, size_t slot, Sums *s)
{
    memset(s, 0, sizeof *s);
    if (!weighted_sum(err, a, slot, NULL, false, &s->cumulative) ||
        !weighted_sum(err, a, slot, NULL, true, &s->prior)) {
        sums_clear(s);
        return false;
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
metric_of(RertError *err, const RertVolume *grid, const Measure *m, double *out)
{
    size_t count = 0;
    const RertPolygon *poly = rert_roi_polygons(m->roi->roi, &count);
    RertDvh *d = rert_dvh_compute(err, grid, poly, count, NULL);
    if (d == NULL) {
        return false;
    }
    *out = rert_dvh_metric_compute(d, &m->metric);
    rert_dvh_destroy(d);
    return true;
}

/* Convention A for this organ: every prior course weighted by 1 - r of
 * this ROI (its own tissue's recovery), the planned course by 1. */
static bool discounted(RertError *err,
                       const RertAssessment *a,
                       const Measure *m,
                       size_t slot,
                       bool priors_only,
                       double *out)
{
    double *w = rert_calloc(err, a->course_count, sizeof *w);
    if (w == NULL) {
        return false;
    }
    for (size_t c = 0; c < a->course_count; c++) {
        w[c] = a->courses[c].is_planned ? 1.0 : 1.0 - m->roi->recovery[c];
    }
    RertVolume *v = NULL;
    bool ok = weighted_sum(err, a, slot, w, priors_only, &v) &&
              metric_of(err, v, m, out);
    rert_volume_destroy(v);
    rert_free(w);
    return ok;
}

/* RADAR band: the prior sum replaced by its max / min over the ROI within
 * the registration uncertainty radius, plus the planned course. */
static bool band(RertError *err,
                 const RertAssessment *a,
                 Measure *m,
                 const Sums *s,
                 size_t slot,
                 RertNeighbourhoodMode mode,
                 double *prior_out,
                 double *cumulative_out)
{
    RertUncertaintyOptions o = rert_uncertainty_options_default();
    double r = assess_uncertainty_mm(a);
    o.radius_mm[0] = r;
    o.radius_mm[1] = r;
    o.radius_mm[2] = r;
    o.mode = mode;
    RertVolume *b = rert_uncertainty_band_compute(err, s->prior,
                                                  m->roi->occupancy, &o, NULL);
    bool ok =
        b != NULL && (prior_out == NULL || metric_of(err, b, m, prior_out));
    const Course *p = &a->courses[a->planned];
    if (ok && p->has_voxels) {
        float *d = rert_volume_data(b);
        const float *e = rert_volume_data_const(p->eqd2[slot]);
        size_t n = rert_grid_voxel_count(&a->ref);
        for (size_t i = 0; i < n; i++) {
            d[i] += e[i];
        }
    }
    ok = ok && metric_of(err, b, m, cumulative_out);
    rert_volume_destroy(b);
    return ok;
}

static bool measure_band(RertError *err,
                         const RertAssessment *a,
                         Measure *m,
                         const Sums *s,
                         size_t slot)
{
    m->prior_upper = (double)NAN;
    m->cumulative_upper = (double)NAN;
    m->cumulative_lower = (double)NAN;
    if (assess_uncertainty_mm(a) <= 0.0) {
        return true;
    }
    return band(err, a, m, s, slot, RERT_NEIGHBOURHOOD_MAX, &m->prior_upper,
                &m->cumulative_upper) &&
           band(err, a, m, s, slot, RERT_NEIGHBOURHOOD_MIN, NULL,
                &m->cumulative_lower);
}

static bool
measure_metric(RertError *err, RertAssessment *a, Measure *m, const Sums *s)
{
    size_t slot = slot_of(a, m->ab_gy);
    if (!metric_of(err, s->cumulative, m, &m->cumulative) ||
        !metric_of(err, s->prior, m, &m->prior) ||
        !discounted(err, a, m, slot, true, &m->prior_discounted) ||
        !discounted(err, a, m, slot, false, &m->cumulative_discounted) ||
        !measure_band(err, a, m, s, slot)) {
        return false;
    }
    for (size_t c = 0; c < a->course_count; c++) {
        m->per_course[c] = (double)NAN;
        if (a->courses[c].has_voxels &&
            !metric_of(err, a->courses[c].eqd2[slot], m, &m->per_course[c])) {
            return false;
        }
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

/* Metrics reported for every organ ROI at its own alpha/beta (reporting
 * item 8: cumulative OAR doses), whatever the constraints ask. */
static const char *const standard_metrics[] = {"Dmax", "D0.03cc", "D0.1cc",
                                               "D2cc", "Dmean"};
#define STANDARD_METRIC_COUNT 5

static bool add_measure(RertError *err,
                        RertAssessment *a,
                        const Roi *roi,
                        const RertDvhMetric *dm,
                        double ab)
{
    if (have_measure(a, roi, dm->name, ab)) {
        return true;
    }
    Measure *m = &a->measures[a->measure_count++];
    m->roi = roi;
    m->metric = *dm;
    m->ab_gy = ab;
    m->per_course = rert_calloc(err, a->course_count, sizeof(double));
    return m->per_course != NULL;
}

static bool standard_measures(RertError *err, RertAssessment *a, const Roi *roi)
{
    for (size_t k = 0; k < STANDARD_METRIC_COUNT; k++) {
        RertDvhMetric dm;
        if (!rert_dvh_metric_parse(err, standard_metrics[k], &dm) ||
            !add_measure(err, a, roi, &dm, roi->ab_gy)) {
            return false;
        }
    }
    return true;
}

/* One Measure per ROI x (metric, alpha/beta) of its organ's constraints,
 * plus the standard metrics of every organ ROI. */
static bool plan_measures(RertError *err, RertAssessment *a)
{
    size_t n = rert_constraint_library_count(a->library);
    size_t cap = a->roi_count * (n + STANDARD_METRIC_COUNT) + 1;
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
            if (!add_measure(err, a, roi, &dm, c->alpha_beta_gy)) {
                return false;
            }
        }
        if (roi->organ != NULL && !standard_measures(err, a, roi)) {
            return false;
        }
    }
    return true;
}

static size_t new_course_index(const RertAssessment *a)
{
    return a->courses[a->planned].has_voxels ? a->planned
                                             : RERT_CONSTRAINT_NO_COURSE;
}

static bool organ_contoured(const RertAssessment *a, const char *organ)
{
    for (size_t r = 0; r < a->roi_count; r++) {
        if (a->rois[r].organ != NULL && strcmp(a->rois[r].organ, organ) == 0) {
            return true;
        }
    }
    return false;
}

/* One warning per other site with the ids of its constraints on contoured
 * organs (the ones that would otherwise have been evaluated). */
static void warn_site(RertAssessment *a, const char *site)
{
    char ids[360] = "";
    size_t n = 0;
    size_t shown = 0;
    for (size_t i = 0; i < a->other_site_count; i++) {
        const RertConstraint *c = a->other_site[i];
        if (strcmp(c->site, site) != 0 || !organ_contoured(a, c->organ)) {
            continue;
        }
        size_t len = strlen(ids);
        if (len + strlen(c->id) + 8 < sizeof ids) {
            (void)snprintf(ids + len, sizeof ids - len, "%s%s",
                           len > 0 ? ", " : "", c->id);
            shown++;
        }
        n++;
    }
    if (n > 0) {
        assess_warn(a,
                    "constraints.site %s: %zu library constraint(s) of site "
                    "%s on contoured organs not applied: %s%s",
                    a->site, n, site, ids, shown < n ? ", ..." : "");
    }
}

/* The case's site filter (constraints.site; "any" always applies) and the
 * list of library constraints it leaves out, reported as warnings. */
static bool select_sites(RertError *err, RertAssessment *a)
{
    const char *site = rert_case_constraints(a->c)->site;
    size_t n = rert_constraint_library_count(a->library);
    if (site == NULL) {
        assess_warn(a, "constraints.site not given in the case file: library "
                       "constraints of every body site were applied (e.g. "
                       "thoracic limits to a head-and-neck case); give the "
                       "treated site (cns, head_neck, spine, thorax, abdomen, "
                       "pelvis or all)");
        return true;
    }
    if (strcmp(site, "all") == 0) {
        return true;
    }
    a->site = site;
    a->other_site = rert_calloc(err, n + 1, sizeof(const RertConstraint *));
    if (a->other_site == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const RertConstraint *c = rert_constraint_library_get(a->library, i);
        if (strcmp(c->site, "any") != 0 && strcmp(c->site, site) != 0) {
            a->other_site[a->other_site_count++] = c;
        }
    }
    for (size_t i = 0; i < a->other_site_count; i++) {
        bool first = true;
        for (size_t j = 0; j < i; j++) {
            first = first &&
                    strcmp(a->other_site[j]->site, a->other_site[i]->site) != 0;
        }
        if (first) {
            warn_site(a, a->other_site[i]->site);
        }
    }
    return true;
}

static bool evaluate_library(RertError *err, RertAssessment *a)
{
    if (!select_sites(err, a)) {
        return false;
    }
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
    const char *sites[2] = {a->site, NULL};
    o.sites = a->site != NULL ? sites : NULL;
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
    double rmin = (double)INFINITY;
    for (size_t c = 0; c < a->course_count; c++) {
        if (!a->courses[c].is_planned) {
            rmin = fmin(rmin, r->recovery[c]);
        }
    }
    return isfinite(rmin) ? rmin : 0.0;
}

/* Strength of an evidence tag: V > V2 > P > R. */
static int tag_rank(RertEvidenceTag t)
{
    switch (t) {
    case RERT_EVIDENCE_V:
        return 3;
    case RERT_EVIDENCE_V2:
        return 2;
    case RERT_EVIDENCE_P:
        return 1;
    case RERT_EVIDENCE_R:
    default:
        return 0;
    }
}

/* The derived row rests on the constraint and on the recovery model: it
 * claims the weaker of the two tags and cites both sources. A ROI without
 * a recovery model (interval unknown) keeps the constraint's. */
static void derive_evidence(Derived *d, const RertConstraint *base)
{
    const Roi *roi = d->roi;
    RertEvidenceTag model = RERT_EVIDENCE_P;
    if (roi->recovery_model == NULL) {
        (void)snprintf(d->source, sizeof d->source, "%s", base->source);
        return;
    }
    if (roi->recovery_tag == NULL ||
        !rert_evidence_tag_parse(NULL, NULL, roi->recovery_tag, &model)) {
        model = RERT_EVIDENCE_P;
    }
    if (tag_rank(model) < tag_rank(base->evidence)) {
        d->constraint.evidence = model;
    }
    (void)snprintf(d->source, sizeof d->source,
                   "%s; recovery: model '%s' [%s]: %s", base->source,
                   roi->recovery_model,
                   roi->recovery_tag != NULL ? roi->recovery_tag : "P",
                   roi->recovery_source != NULL ? roi->recovery_source : "");
    d->constraint.source = d->source;
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
    d->constraint.min_interval_months = (double)NAN;
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
    derive_evidence(d, res->constraint);
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
    a->min_interval_months = (double)INFINITY;
    for (size_t c = 0; c < a->course_count; c++) {
        if (isfinite(a->courses[c].interval_months)) {
            a->min_interval_months =
                fmin(a->min_interval_months, a->courses[c].interval_months);
        }
    }
    if (!isfinite(a->min_interval_months)) {
        a->min_interval_months = (double)NAN;
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
