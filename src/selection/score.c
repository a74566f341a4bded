/* Evaluation of the score tables of score_tables.c: band lookup, block
 * subtotals, groups and RULE regions, with missing inputs listed and never
 * guessed (docs/selection.md). */
#include <math.h>
#include <string.h>

#include <rert/selection.h>

#include "internal.h"

/* Warnings of the NCI OAR rows (reirradiation-science.md s5.2). */
static const char warn_oar_location[] =
    "krauze-nci-2017: the source prints '>1 cm away from or in the "
    "recurrence area' for 1 point in the OAR-location row; implemented as "
    "< 1 cm or in the area, the only reading that does not overlap the "
    "1-3 cm band";
static const char warn_oar_dose[] =
    "krauze-nci-2017: the OAR-dose row gives 1 point below 90 % and 3 "
    "points above 110 % of the QUANTEC limit, the reverse of the table's "
    "'higher = more favourable' direction; implemented as printed, "
    "probably a misprint in the source";

const char *rert_score_status_name(RertScoreStatus s)
{
    switch (s) {
    case RERT_SCORE_COMPUTED:
        return "computed";
    case RERT_SCORE_PARTIAL:
        return "partial";
    case RERT_SCORE_NOT_COMPUTABLE:
        return "not_computable";
    case RERT_SCORE_NOT_VERIFIED:
        return "not_verified";
    }
    return NULL;
}

static bool band_contains(const RertScoreBand *b, double x)
{
    bool above = b->is_low_inclusive ? x >= b->low : x > b->low;
    bool below = b->is_high_inclusive ? x <= b->high : x < b->high;
    return above && below;
}

static const RertScoreBand *band_find(const RertScoreFactor *f, double x)
{
    for (size_t i = 0; i < f->band_count; i++) {
        if (band_contains(&f->bands[i], x)) {
            return &f->bands[i];
        }
    }
    return NULL;
}

static void add_missing(RertScoreResult *out, const char *key, const char *why)
{
    if (out->missing[0] != '\0') {
        (void)selection_append(out->missing, sizeof out->missing, ", ");
    }
    (void)selection_append(out->missing, sizeof out->missing, key);
    if (why != NULL) {
        (void)selection_append(out->missing, sizeof out->missing, why);
    }
}

static const char *key_of(RertSelectionField f)
{
    return rert_selection_field_info(f)->key;
}

/* A set yes/no override decides the factor; an unset one leaves it
 * decided only when the band already scores the override's points. */
static void apply_override(const RertScoreFactor *f,
                           const RertSelectionInput *in,
                           RertScoreFactorResult *r,
                           RertScoreResult *out)
{
    const RertSelectionValue *ov = &in->values[f->override_field];
    if (ov->is_set && ov->number != 0.0) {
        r->is_known = true;
        r->points = f->override_points;
        r->band_label = f->override_label;
        return;
    }
    if (!ov->is_set && !(r->is_known && r->points == f->override_points)) {
        r->is_known = false;
        r->points = (double)NAN;
        r->band_label = NULL;
        add_missing(out, key_of(f->override_field), NULL);
    }
}

static void factor_eval(const RertScoreFactor *f,
                        const RertSelectionInput *in,
                        RertScoreFactorResult *r,
                        RertScoreResult *out)
{
    const RertSelectionValue *v = &in->values[f->field];
    memset(r, 0, sizeof *r);
    r->factor = f;
    r->input_value = v->is_set ? v->number : (double)NAN;
    r->points = (double)NAN;
    const RertScoreBand *band = v->is_set ? band_find(f, v->number) : NULL;
    if (band != NULL) {
        r->is_known = true;
        r->points = band->points;
        r->band_label = band->label;
    }
    bool overridden = f->has_override && in->values[f->override_field].is_set &&
                      in->values[f->override_field].number != 0.0;
    if (!overridden && !v->is_set) {
        add_missing(out, key_of(f->field), NULL);
    } else if (!overridden && band == NULL) {
        add_missing(out, key_of(f->field),
                    " (value outside the source's table)");
    }
    if (f->has_override) {
        apply_override(f, in, r, out);
    }
}

/* Smallest and largest points a factor can give. */
static void factor_range(const RertScoreFactor *f, double *lo, double *hi)
{
    *lo = HUGE_VAL;
    *hi = -HUGE_VAL;
    for (size_t i = 0; i < f->band_count; i++) {
        *lo = fmin(*lo, f->bands[i].points);
        *hi = fmax(*hi, f->bands[i].points);
    }
    if (f->has_override) {
        *lo = fmin(*lo, f->override_points);
        *hi = fmax(*hi, f->override_points);
    }
}

static void subtotal_eval(const RertScoreDefinition *d,
                          const RertScoreSubtotalDef *def,
                          const RertScoreFactorResult *factors,
                          RertScoreSubtotal *s)
{
    s->name = def->name;
    s->is_computed = true;
    s->points = 0.0;
    s->min_points = 0.0;
    s->max_points = 0.0;
    for (size_t i = 0; i < d->factor_count; i++) {
        const RertScoreFactor *f = &d->factors[i];
        if ((def->block_mask & (1u << f->block)) == 0) {
            continue;
        }
        double lo = 0.0;
        double hi = 0.0;
        factor_range(f, &lo, &hi);
        s->min_points += lo;
        s->max_points += hi;
        if (factors[i].is_known) {
            s->points += factors[i].points;
        } else {
            s->is_computed = false;
        }
    }
    if (!s->is_computed) {
        s->points = (double)NAN;
    }
}

static const RertScoreGroup *group_find(const RertScoreDefinition *d,
                                        double points)
{
    for (size_t i = 0; i < d->group_count; i++) {
        if (points >= d->groups[i].low_points &&
            points <= d->groups[i].high_points) {
            return &d->groups[i];
        }
    }
    return NULL;
}

static void set_group(RertScoreResult *out, const RertScoreGroup *g)
{
    out->group = g != NULL ? g->label : NULL;
    out->outcome = g != NULL ? g->outcome : NULL;
}

static void add_warning(RertScoreResult *out, const char *w)
{
    if (out->warning_count < RERT_SCORE_MAX_WARNINGS) {
        out->warnings[out->warning_count++] = w;
    }
}

static void finish_points(const RertScoreDefinition *d, RertScoreResult *out)
{
    size_t computed = 0;
    for (size_t i = 0; i < out->subtotal_count; i++) {
        computed += out->subtotals[i].is_computed ? 1u : 0u;
    }
    out->status = computed == out->subtotal_count ? RERT_SCORE_COMPUTED
                  : computed == 0                 ? RERT_SCORE_NOT_COMPUTABLE
                                                  : RERT_SCORE_PARTIAL;
    if (out->subtotal_count > 0 && out->subtotals[0].is_computed) {
        out->points = out->subtotals[0].points;
        set_group(out, group_find(d, out->points));
    }
    for (size_t i = 0; i < out->factor_count; i++) {
        const RertScoreFactorResult *r = &out->factors[i];
        if (!r->is_known || d->id != RERT_SCORE_KRAUZE_NCI_2017) {
            continue;
        }
        if (r->factor->field == RERT_SEL_OAR_DISTANCE_CM) {
            add_warning(out, warn_oar_location);
        } else if (r->factor->field == RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC) {
            add_warning(out, warn_oar_dose);
        }
    }
}

/* RULE: every condition known -> group of the code sum; a failed known
 * condition -> the failed group even when others are unknown. */
static void finish_rule(const RertScoreDefinition *d, RertScoreResult *out)
{
    bool all_known = true;
    bool failed = false;
    double sum = 0.0;
    for (size_t i = 0; i < out->factor_count; i++) {
        RertScoreFactorResult *r = &out->factors[i];
        if (!r->is_known) {
            all_known = false;
            continue;
        }
        r->is_condition_met = r->points < RERT_SCORE_RULE_FAIL;
        failed = failed || !r->is_condition_met;
        sum += r->points;
        r->points = (double)NAN;
    }
    out->subtotal_count = 0;
    out->points = (double)NAN;
    if (all_known) {
        out->status = RERT_SCORE_COMPUTED;
        set_group(out, group_find(d, sum));
    } else if (failed) {
        out->status = RERT_SCORE_PARTIAL;
        set_group(out, group_find(d, RERT_SCORE_RULE_FAIL));
    } else {
        out->status = RERT_SCORE_NOT_COMPUTABLE;
    }
}

static void result_reset(RertScoreResult *out, const RertScoreDefinition *d)
{
    memset(out, 0, sizeof *out);
    out->definition = d;
    out->points = (double)NAN;
}

bool rert_score_compute(RertError *err,
                        RertScoreId id,
                        const RertSelectionInput *input,
                        RertScoreResult *out)
{
    const RertScoreDefinition *d = rert_score_definition(id);
    if (d == NULL || input == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "score: %s",
                              d == NULL       ? "score id out of range"
                              : input == NULL ? "input is NULL"
                                              : "output is NULL");
    }
    if (d->factor_count > RERT_SCORE_MAX_FACTORS ||
        d->subtotal_count > RERT_SCORE_MAX_SUBTOTALS) {
        return rert_error_set(err, RERT_ERR_INTERNAL,
                              "score %s: %zu factors and %zu subtotals, at "
                              "most %d and %d fit a result",
                              d->key, d->factor_count, d->subtotal_count,
                              RERT_SCORE_MAX_FACTORS, RERT_SCORE_MAX_SUBTOTALS);
    }
    result_reset(out, d);
    if (d->kind == RERT_SCORE_KIND_UNVERIFIED) {
        out->status = RERT_SCORE_NOT_VERIFIED;
        return true;
    }
    out->factor_count = d->factor_count;
    for (size_t i = 0; i < d->factor_count; i++) {
        factor_eval(&d->factors[i], input, &out->factors[i], out);
    }
    out->subtotal_count = d->subtotal_count;
    for (size_t i = 0; i < d->subtotal_count; i++) {
        subtotal_eval(d, &d->subtotals[i], out->factors, &out->subtotals[i]);
    }
    if (d->kind == RERT_SCORE_KIND_RULE) {
        finish_rule(d, out);
    } else {
        finish_points(d, out);
    }
    return true;
}

bool rert_selection_bed_from_eqd2(RertError *err,
                                  double eqd2_gy,
                                  double ab_gy,
                                  double *bed_gy)
{
    if (bed_gy == NULL || !isfinite(eqd2_gy) || eqd2_gy < 0.0 ||
        !isfinite(ab_gy) || ab_gy <= 0.0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "BED from EQD2: EQD2 %g Gy and alpha/beta %g "
                              "Gy, expected EQD2 finite and >= 0, alpha/beta "
                              "finite and > 0%s",
                              eqd2_gy, ab_gy,
                              bed_gy == NULL ? " (output is NULL)" : "");
    }
    /* BED = EQD2 (1 + 2/ab): EQD2 is the dose in 2 Gy fractions. */
    *bed_gy = eqd2_gy * (1.0 + 2.0 / ab_gy);
    return true;
}
