/* DVH metric names: Dmin, Dmean, Dmax, Volume, D<x>%, D<x>cc, V<x>Gy,
 * V<x>Gy%. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>

#include "internal.h"

#define FORMS "Dmin, Dmean, Dmax, Volume, D<x>%%, D<x>cc, V<x>Gy or V<x>Gy%%"

static bool equals_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) {
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
    size_t digits = 0, dots = 0;
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
    const char *suffix = NULL;
    char first = (char)toupper((unsigned char)(len > 0 ? text[0] : ' '));
    if (first == 'D' && has_suffix(text, len, "cc")) {
        out->kind = RERT_DVH_METRIC_D_CC;
        suffix = "cc";
    } else if (first == 'D' && has_suffix(text, len, "%")) {
        out->kind = RERT_DVH_METRIC_D_PCT;
        suffix = "%";
    } else if (first == 'V' && has_suffix(text, len, "Gy%")) {
        out->kind = RERT_DVH_METRIC_V_PCT;
        suffix = "Gy%";
    } else if (first == 'V' && has_suffix(text, len, "Gy")) {
        out->kind = RERT_DVH_METRIC_V_CC;
        suffix = "Gy";
    } else {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DVH metric '%s': expected " FORMS, text);
    }
    size_t n = len - 1 - strlen(suffix);
    if (n >= sizeof out->name - 5 ||
        !parse_number(err, text, text + 1, n, &out->value)) {
        if (n >= sizeof out->name - 5) {
            rert_error_set(err, RERT_ERR_PARSE,
                           "DVH metric '%s': number too long", text);
        }
        return false;
    }
    if (out->kind == RERT_DVH_METRIC_D_PCT && out->value > 100.0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DVH metric '%s': percentage %g, expected 0 "
                              "to 100",
                              text, out->value);
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
