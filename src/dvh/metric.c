/* DVH metric names: Dmin, Dmean, Dmax, Volume, D<x>%, D<x>cc, V<x>Gy,
 * V<x>Gy%. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>

#include "internal.h"

#define FORMS "Dmin, Dmean, Dmax, Volume, D<x>%%, D<x>cc, V<x>Gy or V<x>Gy%%"

/* One character folded to lower or upper case (helpers: glibc's
 * tolower()/toupper() macros expand to nested conditionals at every use). */
static int fold_case(char c)
{
    return tolower((unsigned char)c);
}

static char upper_case(char c)
{
    return (char)toupper((unsigned char)c);
}

static bool equals_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fold_case(a[i]) != fold_case(b[i])) {
            return false;
        }
    }
    return true;
}

static bool is_word(const char *text, size_t len, const char *word)
{
    return len == strlen(word) && equals_nocase(text, word, len);
}

/* Does text end with suffix (ignoring case)? */
static bool has_suffix(const char *text, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len > n && equals_nocase(text + len - n, suffix, n);
}

/* Plain decimal number: digits with at most one '.', at least one digit. */
static bool parse_number(
    RertError *err, const char *text, const char *s, size_t n, double *out)
{
    size_t digits = 0;
    size_t dots = 0;
    for (size_t i = 0; i < n; i++) {
        digits += isdigit((unsigned char)s[i]) ? 1u : 0u;
        dots += s[i] == '.' ? 1u : 0u;
    }
    if (n == 0 || digits == 0 || dots > 1 || digits + dots != n) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DVH metric '%s': expected a plain decimal "
                              "number after the first letter, in " FORMS,
                              text);
    }
    return rert_parse_double(err, s, n, "DVH metric value", out);
}

static bool set_simple(const char *t, size_t len, RertDvhMetric *out)
{
    static const struct {
        const char *name;
        RertDvhMetricKind kind;
    } words[] = {{"Dmin", RERT_DVH_METRIC_MIN},
                 {"Dmean", RERT_DVH_METRIC_MEAN},
                 {"Dmax", RERT_DVH_METRIC_MAX},
                 {"Volume", RERT_DVH_METRIC_VOLUME}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (is_word(t, len, words[i].name)) {
            out->kind = words[i].kind;
            (void)snprintf(out->name, sizeof out->name, "%s", words[i].name);
            return true;
        }
    }
    return false;
}

/* Kind of a D<x>cc, D<x>%, V<x>Gy% or V<x>Gy name from its upper-cased
 * first letter and its suffix (ignoring case); the suffix as written in
 * canonical names, or NULL when no form matches. */
static const char *
classify(const char *text, size_t len, char first, RertDvhMetricKind *kind)
{
    /* Longer suffixes before their tails ("Gy%" before "Gy"). */
    static const struct {
        const char *suffix;
        RertDvhMetricKind kind;
        char first;
    } forms[] = {{"cc", RERT_DVH_METRIC_D_CC, 'D'},
                 {"%", RERT_DVH_METRIC_D_PCT, 'D'},
                 {"Gy%", RERT_DVH_METRIC_V_PCT, 'V'},
                 {"Gy", RERT_DVH_METRIC_V_CC, 'V'}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (first == forms[i].first && has_suffix(text, len, forms[i].suffix)) {
            *kind = forms[i].kind;
            return forms[i].suffix;
        }
    }
    return NULL;
}

/* The x of @p text (the n characters after the first letter) into
 * out->value, checked: short enough for out->name, a plain decimal
 * number, at most 100 for D<x>%. */
static bool
parse_value(RertError *err, const char *text, size_t n, RertDvhMetric *out)
{
    if (n >= sizeof out->name - 5) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DVH metric '%s': number too long", text);
    }
    if (!parse_number(err, text, text + 1, n, &out->value)) {
        return false;
    }
    if (out->kind == RERT_DVH_METRIC_D_PCT && out->value > 100.0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DVH metric '%s': percentage %g, expected 0 "
                              "to 100",
                              text, out->value);
    }
    return true;
}

bool rert_dvh_metric_parse(RertError *err, const char *text, RertDvhMetric *out)
{
    if (text == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH metric: NULL text or result");
    }
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    if (set_simple(text, len, out)) {
        return true;
    }
    char first = upper_case(len > 0 ? text[0] : ' ');
    const char *suffix = classify(text, len, first, &out->kind);
    if (suffix == NULL) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DVH metric '%s': expected " FORMS, text);
    }
    size_t n = len - 1 - strlen(suffix);
    if (!parse_value(err, text, n, out)) {
        return false;
    }
    (void)snprintf(out->name, sizeof out->name, "%c%.*s%s", first, (int)n,
                   text + 1, suffix);
    return true;
}

double rert_dvh_metric_compute(const RertDvh *dvh, const RertDvhMetric *metric)
{
    switch (metric->kind) {
    case RERT_DVH_METRIC_MIN:
        return rert_dvh_min_gy(dvh);
    case RERT_DVH_METRIC_MEAN:
        return rert_dvh_mean_gy(dvh);
    case RERT_DVH_METRIC_MAX:
        return rert_dvh_max_gy(dvh);
    case RERT_DVH_METRIC_D_PCT:
        return rert_dvh_dose_at_volume_pct(dvh, metric->value);
    case RERT_DVH_METRIC_D_CC:
        return rert_dvh_dose_at_volume_cc(dvh, metric->value);
    case RERT_DVH_METRIC_V_CC:
        return rert_dvh_volume_cc_at_dose(dvh, metric->value);
    case RERT_DVH_METRIC_V_PCT:
        return rert_dvh_volume_pct_at_dose(dvh, metric->value);
    case RERT_DVH_METRIC_VOLUME:
        return rert_dvh_volume_cc(dvh);
    }
    return (double)NAN;
}

const char *rert_dvh_metric_unit(RertDvhMetricKind kind)
{
    switch (kind) {
    case RERT_DVH_METRIC_V_CC:
    case RERT_DVH_METRIC_VOLUME:
        return "cc";
    case RERT_DVH_METRIC_V_PCT:
        return "%";
    default:
        return "Gy";
    }
}
