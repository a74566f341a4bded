/* Constraint evaluation: measured cumulative / per-course values against a
 * limit, with BED <-> EQD2 conversion (EQD2 = BED / (1 + 2/ab), science
 * document §3.1) and a near-limit band. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/constraints.h>
#include <rert/core.h>
#include <rert/dvh.h>

#include "internal.h"

double rert_constraint_bed_to_eqd2(double bed_gy, double alpha_beta_gy)
{
    if (!(alpha_beta_gy > 0.0)) {
        return (double)NAN;
    }
    return bed_gy / (1.0 + 2.0 / alpha_beta_gy);
}

double rert_constraint_eqd2_to_bed(double eqd2_gy, double alpha_beta_gy)
{
    if (!(alpha_beta_gy > 0.0)) {
        return (double)NAN;
    }
    return eqd2_gy * (1.0 + 2.0 / alpha_beta_gy);
}

RertConstraintOptions rert_constraint_options_default(void)
{
    RertConstraintOptions o;
    o.near_limit_frac = RERT_CONSTRAINT_DEFAULT_NEAR_FRAC;
    o.interval_months = (double)NAN;
    o.sites = NULL;
    return o;
}

const char *rert_constraint_status_name(RertConstraintStatus status)
{
    static const char *const names[] = {"pass",          "near_limit",
                                        "fail",          "not_applicable",
                                        "not_evaluated", "above_observation"};
    size_t i = (size_t)status;
    return i < sizeof names / sizeof names[0] ? names[i] : "?";
}

static bool is_dose_unit(RertConstraintUnit unit)
{
    return unit == RERT_CONSTRAINT_UNIT_GY_EQD2 ||
           unit == RERT_CONSTRAINT_UNIT_GY_BED;
}

static void result_init(RertConstraintResult *out, const RertConstraint *c)
{
    memset(out, 0, sizeof *out);
    out->constraint = c;
    out->status = RERT_CONSTRAINT_NOT_EVALUATED;
    out->value = (double)NAN;
    out->limit = c->limit;
    out->value_eqd2_gy = (double)NAN;
    out->limit_eqd2_gy = (double)NAN;
    if (c->unit == RERT_CONSTRAINT_UNIT_GY_EQD2) {
        out->limit_eqd2_gy = c->limit;
    } else if (c->unit == RERT_CONSTRAINT_UNIT_GY_BED) {
        out->limit_eqd2_gy =
            rert_constraint_bed_to_eqd2(c->limit, c->alpha_beta_gy);
    }
    out->margin = (double)NAN;
    out->margin_eqd2_gy = (double)NAN;
    out->margin_pct = (double)NAN;
    out->course_index = RERT_CONSTRAINT_NO_COURSE;
}

/* Largest finite course value (the worst course); NaN when none. */
static double worst_course(const RertConstraintValues *v, size_t *index)
{
    double worst = (double)NAN;
    for (size_t i = 0; v->course_values != NULL && i < v->course_count; i++) {
        double x = v->course_values[i];
        if (isfinite(x) && (isnan(worst) || x > worst)) {
            worst = x;
            *index = i;
        }
    }
    return worst;
}

static double new_course_value(const RertConstraintValues *v)
{
    if (v->course_values == NULL || v->new_course_index >= v->course_count) {
        return (double)NAN;
    }
    return v->course_values[v->new_course_index];
}

/* The measured quantity the scope compares (EQD2, cc, % or a ratio). */
static double scoped_value(const RertConstraint *c,
                           const RertConstraintValues *v,
                           RertConstraintResult *out)
{
    switch (c->scope) {
    case RERT_CONSTRAINT_SCOPE_CUMULATIVE:
        return v->cumulative;
    case RERT_CONSTRAINT_SCOPE_EACH_COURSE:
    case RERT_CONSTRAINT_SCOPE_SINGLE_COURSE:
        return worst_course(v, &out->course_index);
    case RERT_CONSTRAINT_SCOPE_NEW_COURSE:
        out->course_index = v->new_course_index;
        return new_course_value(v);
    case RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE: {
        out->course_index = v->new_course_index;
        double part = new_course_value(v);
        if (!(v->cumulative > 0.0) || !isfinite(part)) {
            return (double)NAN;
        }
        return part / v->cumulative;
    }
    }
    return (double)NAN;
}

static const char *missing_what(RertConstraintScope scope)
{
    switch (scope) {
    case RERT_CONSTRAINT_SCOPE_CUMULATIVE:
        return "no cumulative value";
    case RERT_CONSTRAINT_SCOPE_EACH_COURSE:
    case RERT_CONSTRAINT_SCOPE_SINGLE_COURSE:
        return "no per-course values";
    case RERT_CONSTRAINT_SCOPE_NEW_COURSE:
        return "no value for the new course";
    case RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE:
        return "no new-course value or no positive cumulative value";
    }
    return "no value";
}

static RertConstraintStatus
classify(const RertConstraint *c, double value, double near_frac)
{
    bool fails = c->comparison == RERT_CONSTRAINT_LT ? value >= c->limit
                                                     : value > c->limit;
    if (fails) {
        return c->is_observation ? RERT_CONSTRAINT_ABOVE_OBSERVATION
                                 : RERT_CONSTRAINT_FAIL;
    }
    double band = fabs(c->limit) * near_frac;
    if (near_frac > 0.0 && value >= c->limit - band) {
        return RERT_CONSTRAINT_NEAR_LIMIT;
    }
    return RERT_CONSTRAINT_PASS;
}

static void
fill_values(const RertConstraint *c, double raw, RertConstraintResult *out)
{
    out->value = raw;
    if (c->unit == RERT_CONSTRAINT_UNIT_GY_BED) {
        out->value = rert_constraint_eqd2_to_bed(raw, c->alpha_beta_gy);
    }
    if (is_dose_unit(c->unit)) {
        out->value_eqd2_gy = raw;
        out->margin_eqd2_gy = out->limit_eqd2_gy - raw;
    }
    out->margin = c->limit - out->value;
    out->margin_pct =
        c->limit != 0.0 ? 100.0 * out->margin / c->limit : (double)NAN;
}

/* Interval condition of the source (min_interval_months). */
static void apply_condition(const RertConstraint *c,
                            const RertConstraintOptions *o,
                            RertConstraintResult *out)
{
    if (!(c->min_interval_months > 0.0)) {
        return; /* NaN or 0: no condition */
    }
    if (isnan(o->interval_months)) {
        (void)snprintf(out->message, sizeof out->message,
                       "condition not checked: the source requires an "
                       "interval of at least %g months; interval unknown",
                       c->min_interval_months);
        return;
    }
    if (o->interval_months < c->min_interval_months) {
        const char *without = rert_constraint_status_name(out->status);
        out->status = RERT_CONSTRAINT_NOT_APPLICABLE;
        (void)snprintf(out->message, sizeof out->message,
                       "interval %.1f months is shorter than the %g months "
                       "the source requires; the limit does not apply as "
                       "published (status without the condition: %s)",
                       o->interval_months, c->min_interval_months, without);
    }
}

bool rert_constraint_evaluate(RertError *err,
                              const RertConstraint *constraint,
                              const RertConstraintValues *values,
                              const RertConstraintOptions *options,
                              RertConstraintResult *out)
{
    if (constraint == NULL || values == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rert_constraint_evaluate: NULL argument");
    }
    RertConstraintOptions defaults = rert_constraint_options_default();
    const RertConstraintOptions *o = options != NULL ? options : &defaults;
    if (!(o->near_limit_frac >= 0.0 && o->near_limit_frac < 1.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "near_limit_frac must be in [0, 1), found %g",
                              o->near_limit_frac);
    }
    result_init(out, constraint);
    double raw = scoped_value(constraint, values, out);
    if (isnan(raw)) {
        (void)snprintf(out->message, sizeof out->message, "%s",
                       missing_what(constraint->scope));
        return true;
    }
    fill_values(constraint, raw, out);
    out->status = classify(constraint, out->value, o->near_limit_frac);
    apply_condition(constraint, o, out);
    return true;
}

/* ---- batch evaluation over a library */

static bool site_selected(const RertConstraint *c, const char *const *sites)
{
    if (sites == NULL || strcmp(c->site, "any") == 0) {
        return true;
    }
    for (size_t i = 0; sites[i] != NULL; i++) {
        if (strcmp(sites[i], c->site) == 0) {
            return true;
        }
    }
    return false;
}

static bool measurement_fits(const ConstraintEntry *e,
                             const RertConstraintMeasurement *m,
                             const RertDvhMetric *metric)
{
    if (m->organ == NULL || strcmp(m->organ, e->pub.organ) != 0 ||
        !constraint_metric_equal(&e->metric, metric)) {
        return false;
    }
    if (e->metric.kind == RERT_DVH_METRIC_VOLUME) {
        return true; /* no dose axis, alpha/beta irrelevant */
    }
    return fabs(m->alpha_beta_gy - e->pub.alpha_beta_gy) <= 1e-6;
}

typedef struct ResultList {
    RertConstraintResult *items;
    size_t count;
    size_t cap;
} ResultList;

static RertConstraintResult *result_push(RertError *err, ResultList *list)
{
    if (list->count == list->cap) {
        size_t cap = list->cap == 0 ? 32 : list->cap * 2;
        RertConstraintResult *grown = rert_realloc_array(
            err, list->items, cap, sizeof(RertConstraintResult));
        if (grown == NULL) {
            return NULL;
        }
        list->items = grown;
        list->cap = cap;
    }
    return &list->items[list->count++];
}

static bool evaluate_entry(RertError *err,
                           const ConstraintEntry *e,
                           const RertConstraintMeasurement *measurements,
                           const RertDvhMetric *metrics,
                           size_t count,
                           const RertConstraintOptions *o,
                           ResultList *list)
{
    size_t found = 0;
    for (size_t i = 0; i < count; i++) {
        const RertConstraintMeasurement *m = &measurements[i];
        if (!measurement_fits(e, m, &metrics[i])) {
            continue;
        }
        RertConstraintResult *r = result_push(err, list);
        if (r == NULL ||
            !rert_constraint_evaluate(err, &e->pub, &m->values, o, r)) {
            return false;
        }
        (void)snprintf(r->roi_name, sizeof r->roi_name, "%s",
                       m->roi_name != NULL ? m->roi_name : "");
        found++;
    }
    if (found == 0) {
        RertConstraintResult *r = result_push(err, list);
        if (r == NULL) {
            return false;
        }
        result_init(r, &e->pub);
        (void)snprintf(r->message, sizeof r->message,
                       "no measurement of %s %s at alpha/beta %g Gy "
                       "(organ not contoured or not matched)",
                       e->pub.organ, e->pub.metric, e->pub.alpha_beta_gy);
    }
    return true;
}

static RertDvhMetric *
parse_metrics(RertError *err, const RertConstraintMeasurement *m, size_t count)
{
    RertDvhMetric *metrics = rert_calloc(err, count, sizeof(RertDvhMetric));
    for (size_t i = 0; metrics != NULL && i < count; i++) {
        const char *text = m[i].metric != NULL ? m[i].metric : "";
        if (!rert_dvh_metric_parse(err, text, &metrics[i])) {
            rert_error_prefix(err, "measurement %zu (organ %s)", i,
                              m[i].organ != NULL ? m[i].organ : "?");
            if (err != NULL) {
                err->code = RERT_ERR_INVALID_ARG;
            }
            rert_free(metrics);
            return NULL;
        }
    }
    return metrics;
}

bool rert_constraint_library_evaluate(
    RertError *err,
    const RertConstraintLibrary *lib,
    const RertConstraintMeasurement *measurements,
    size_t count,
    const RertConstraintOptions *options,
    RertConstraintResult **results,
    size_t *result_count)
{
    if (lib == NULL || results == NULL || result_count == NULL ||
        (measurements == NULL && count > 0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rert_constraint_library_evaluate: NULL "
                              "argument");
    }
    *results = NULL;
    *result_count = 0;
    RertConstraintOptions defaults = rert_constraint_options_default();
    const RertConstraintOptions *o = options != NULL ? options : &defaults;
    RertDvhMetric *metrics = parse_metrics(err, measurements, count);
    if (metrics == NULL) {
        return false;
    }
    ResultList list = {NULL, 0, 0};
    bool ok = true;
    for (size_t i = 0; ok && i < lib->count; i++) {
        const ConstraintEntry *e = &lib->entries[i];
        if (site_selected(&e->pub, o->sites)) {
            ok = evaluate_entry(err, e, measurements, metrics, count, o, &list);
        }
    }
    rert_free(metrics);
    if (!ok) {
        rert_free(list.items);
        return false;
    }
    *results = list.items;
    *result_count = list.count;
    return true;
}
