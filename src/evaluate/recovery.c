/* Recovery ("time discount") models as data, organ overrides and the
 * interval between courses (reirradiation-science.md s4.1, s8;
 * docs/evaluation.md). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <rert/evaluate.h>

/* Built-in models. Sources and tags: docs/evaluation.md "Recovery models".
 */
static const RertRecoveryModel builtin_models[RERT_RECOVERY_MODEL_COUNT] = {
    [RERT_RECOVERY_MODEL_NONE] =
        {
            .name = "none",
            .source = "No recovery assumed: the conservative choice",
            .evidence_tag = "P",
            .kind = RERT_RECOVERY_NONE,
        },
    [RERT_RECOVERY_MODEL_COMMON] =
        {
            .name = "common-0-25-50",
            .source = "Common practice in public tools: <6 mo 0%, 6-12 mo "
                      "25%, >=12 mo 50% (subbumishra92 reirradiation-eqd2-"
                      "calculator RECOVERY_FACTORS). End-points as Price RA "
                      "et al. Adv Radiat Oncol 2021, doi 10.1016/j.adro.2020."
                      "09.027 (0% <6 mo, 50% >1 y) [V]; the 6-12 mo value is "
                      "not confirmed",
            .evidence_tag = "P",
            .kind = RERT_RECOVERY_TIERED,
            .tier_count = 2,
            .tiers = {{6.0, 0.25}, {12.0, 0.50}},
        },
    [RERT_RECOVERY_MODEL_NIEDER_CORD] =
        {
            .name = "nieder-cord",
            .source = "Nieder's simple rule for spinal cord: 25% after 6 "
                      "months, 50% after 12 months, i.e. tolerance 125%/150% "
                      "(convention B), as summarised in Doi H, Tamari K, Oh "
                      "RJ, Nieder C. Strahlenther Onkol 2021;197:463-473",
            .evidence_tag = "V2",
            .kind = RERT_RECOVERY_TIERED,
            .tier_count = 2,
            .tiers = {{6.0, 0.25}, {12.0, 0.50}},
            .defined_under = RERT_RECOVERY_DEFINED_B,
        },
    [RERT_RECOVERY_MODEL_SLICER_RT] =
        {
            .name = "slicer-rad-reirradiation",
            .source = "SlicerRadReirradiation default table: 0-6 mo 0%, 6-12 "
                      "mo 25%, 12-24 mo 50%, >24 mo 65% (the tool cites "
                      "Nieder 2006, which has no 65% tier); exactly 24 mo "
                      "taken as 65%",
            .evidence_tag = "P",
            .kind = RERT_RECOVERY_TIERED,
            .tier_count = 3,
            .tiers = {{6.0, 0.25}, {12.0, 0.50}, {24.0, 0.65}},
        },
};

#define NIEDER_2000                                                            \
    "Nieder C, Milas L, Ang KK. Tissue tolerance to reirradiation. Semin "     \
    "Radiat Oncol 2000;10:200-209: no long-term recovery of late effects "     \
    "in heart, bladder and kidney"

static const RertRecoveryOverride builtin_overrides[] = {
    {"heart", 0.0, NIEDER_2000, "V"},
    {"bladder", 0.0, NIEDER_2000, "V"},
    {"kidney", 0.0, NIEDER_2000, "V"},
};

const RertRecoveryModel *rert_recovery_model_get(RertRecoveryModelId id)
{
    if ((int)id < 0 || id >= RERT_RECOVERY_MODEL_COUNT) {
        return NULL;
    }
    return &builtin_models[id];
}

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool is_ascii_letter(int c)
{
    int l = ascii_lower(c);
    return l >= 'a' && l <= 'z';
}

static bool equal_nocase(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b)) {
            return false;
        }
        a++;
        b++;
    }
    return *a == *b;
}

const RertRecoveryModel *rert_recovery_model_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < RERT_RECOVERY_MODEL_COUNT; i++) {
        if (equal_nocase(name, builtin_models[i].name)) {
            return &builtin_models[i];
        }
    }
    return NULL;
}

/* Does @p name start with @p key (case-insensitive), followed by the end, a
 * non-letter, or a plural "s" and then the end or a non-letter? */
static bool organ_matches(const char *name, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower((unsigned char)name[i]) != (unsigned char)key[i]) {
            return false; /* also stops at the end of a shorter name */
        }
    }
    const char *rest = name + n;
    if (ascii_lower((unsigned char)*rest) == 's') {
        rest++;
    }
    return !is_ascii_letter((unsigned char)*rest);
}

const RertRecoveryOverride *rert_recovery_override_find(const char *organ_name)
{
    if (organ_name == NULL) {
        return NULL;
    }
    size_t count = sizeof builtin_overrides / sizeof builtin_overrides[0];
    for (size_t i = 0; i < count; i++) {
        if (organ_matches(organ_name, builtin_overrides[i].organ)) {
            return &builtin_overrides[i];
        }
    }
    return NULL;
}

static bool is_fraction(double r)
{
    return isfinite(r) && r >= 0.0 && r <= 1.0;
}

static bool validate_tiers(RertError *err, const RertRecoveryModel *m)
{
    if (m->tier_count < 1 || m->tier_count > RERT_RECOVERY_MAX_TIERS) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "recovery model '%s': tier_count %zu, expected "
                              "1 to %d",
                              m->name, m->tier_count, RERT_RECOVERY_MAX_TIERS);
    }
    for (size_t i = 0; i < m->tier_count; i++) {
        double t = m->tiers[i].min_interval_months;
        if (!isfinite(t) || t < 0.0 ||
            (i > 0 && !(t > m->tiers[i - 1].min_interval_months))) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "recovery model '%s': tier %zu threshold "
                                  "%g months, expected finite, >= 0 and above "
                                  "the previous tier's",
                                  m->name, i, t);
        }
        if (!is_fraction(m->tiers[i].recovery_frac)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "recovery model '%s': tier %zu recovery "
                                  "fraction %g, expected 0 to 1",
                                  m->name, i, m->tiers[i].recovery_frac);
        }
    }
    return true;
}

bool rert_recovery_model_validate(RertError *err,
                                  const RertRecoveryModel *model)
{
    if (model == NULL || model->name == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "recovery model: %s is NULL, expected a model "
                              "with a name",
                              model == NULL ? "model" : "name");
    }
    if ((int)model->defined_under < (int)RERT_RECOVERY_DEFINED_UNSTATED ||
        (int)model->defined_under > (int)RERT_RECOVERY_DEFINED_B) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "recovery model '%s': defined_under %d, "
                              "expected UNSTATED, A or B",
                              model->name, (int)model->defined_under);
    }
    switch (model->kind) {
    case RERT_RECOVERY_NONE:
        return true;
    case RERT_RECOVERY_FIXED:
        if (!is_fraction(model->fixed_frac)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "recovery model '%s': fixed fraction %g, "
                                  "expected 0 to 1",
                                  model->name, model->fixed_frac);
        }
        return true;
    case RERT_RECOVERY_TIERED:
        return validate_tiers(err, model);
    default:
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "recovery model '%s': kind %d, expected NONE, "
                              "FIXED or TIERED",
                              model->name, (int)model->kind);
    }
}

/* r of a validated model at @p months; *tier gets the tier index or -1. */
static double
model_fraction(const RertRecoveryModel *m, double months, int *tier)
{
    *tier = -1;
    if (m->kind == RERT_RECOVERY_FIXED) {
        return m->fixed_frac;
    }
    if (m->kind != RERT_RECOVERY_TIERED) {
        return 0.0;
    }
    double r = 0.0;
    for (size_t i = 0; i < m->tier_count; i++) {
        if (months >= m->tiers[i].min_interval_months) {
            r = m->tiers[i].recovery_frac;
            *tier = (int)i;
        }
    }
    return r;
}

bool rert_recovery_compute(RertError *err,
                           const RertRecoveryModel *model,
                           const char *organ_name,
                           double interval_months,
                           RertRecoveryResult *out)
{
    if (out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "recovery: output is NULL");
    }
    if (!rert_recovery_model_validate(err, model)) {
        return false;
    }
    if (!isfinite(interval_months) || interval_months < 0.0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "recovery: interval %g months, expected finite "
                              "and >= 0",
                              interval_months);
    }
    RertRecoveryResult r = {0};
    r.interval_months = interval_months;
    const RertRecoveryOverride *o = rert_recovery_override_find(organ_name);
    if (o != NULL) {
        r.recovery_frac = o->recovery_frac;
        r.is_organ_override = true;
        r.tier_index = -1;
        r.model_name = o->organ;
        r.source = o->source;
        r.evidence_tag = o->evidence_tag;
    } else {
        r.recovery_frac = model_fraction(model, interval_months, &r.tier_index);
        r.model_name = model->name;
        r.source = model->source;
        r.evidence_tag = model->evidence_tag;
        r.defined_under = model->defined_under;
    }
    *out = r;
    return true;
}

/* ---- dates */

/* Parse @p n decimal digits at @p s into *value; false on a non-digit. */
static bool parse_digits(const char *s, size_t n, int *value)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a valid proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2 ? 1 : 0);
    int64_t era = yy / 400; /* yy >= 999, so no negative division */
    int64_t yoe = yy - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool
parse_date(RertError *err, const char *what, const char *text, int64_t *days)
{
    if (text == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: date is NULL, expected YYYY-MM-DD or "
                              "YYYYMMDD",
                              what);
    }
    size_t len = strlen(text);
    bool iso = len == 10 && text[4] == '-' && text[7] == '-';
    int y = 0;
    int m = 0;
    int d = 0;
    bool ok = (iso || len == 8) && parse_digits(text, 4, &y) &&
              parse_digits(text + (iso ? 5 : 4), 2, &m) &&
              parse_digits(text + (iso ? 8 : 6), 2, &d);
    if (!ok || y < 1000 || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, m)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: date '%.40s', expected a valid date as "
                              "YYYY-MM-DD or YYYYMMDD",
                              what, text);
    }
    *days = days_from_civil(y, m, d);
    return true;
}

bool rert_interval_months_compute(RertError *err,
                                  const char *earlier_end_date,
                                  const char *planned_start_date,
                                  double *months)
{
    int64_t end_days = 0;
    int64_t start_days = 0;
    if (months == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "interval: output is NULL");
    }
    if (!parse_date(err, "end of the earlier course", earlier_end_date,
                    &end_days) ||
        !parse_date(err, "start of the planned course", planned_start_date,
                    &start_days)) {
        return false;
    }
    if (start_days < end_days) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "interval: planned course starts %s, before "
                              "the earlier course ends %s",
                              planned_start_date, earlier_end_date);
    }
    *months = (double)(start_days - end_days) / RERT_DAYS_PER_MONTH;
    return true;
}
