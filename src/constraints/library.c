/* Constraint library: validated, owned copies of constraint records and
 * case-file overrides (science document §4; format in docs/constraints.md).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/constraints.h>
#include <rert/core.h>
#include <rert/dvh.h>

#include "internal.h"

/* ---- enum names (the spelling used in data files and reports) */

static const char *const scope_names[] = {"cumulative", "each_course",
                                          "single_course", "new_course",
                                          "new_course_share"};
static const char *const unit_names[] = {"Gy_EQD2", "Gy_BED", "%", "cc",
                                         "ratio"};
static const char *const comparison_names[] = {"<=", "<"};
static const char *const evidence_names[] = {"P", "V", "V2", "R"};
static const char *const consensus_names[] = {"not_applicable", "yes", "no",
                                              "majority", "unknown"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, size_t i)
{
    return i < n ? names[i] : "?";
}

static bool
index_of(const char *const *names, size_t n, const char *name, size_t *out)
{
    for (size_t i = 0; name != NULL && i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

const char *rert_constraint_scope_name(RertConstraintScope scope)
{
    return name_of(scope_names, COUNT_OF(scope_names), (size_t)scope);
}

const char *rert_constraint_unit_name(RertConstraintUnit unit)
{
    return name_of(unit_names, COUNT_OF(unit_names), (size_t)unit);
}

const char *rert_constraint_comparison_name(RertConstraintComparison cmp)
{
    return name_of(comparison_names, COUNT_OF(comparison_names), (size_t)cmp);
}

const char *rert_evidence_tag_name(RertEvidenceTag tag)
{
    return name_of(evidence_names, COUNT_OF(evidence_names), (size_t)tag);
}

const char *rert_consensus_name(RertConsensus consensus)
{
    return name_of(consensus_names, COUNT_OF(consensus_names),
                   (size_t)consensus);
}

bool constraint_scope_from_name(const char *name, RertConstraintScope *out)
{
    size_t i = 0;
    if (!index_of(scope_names, COUNT_OF(scope_names), name, &i)) {
        return false;
    }
    *out = (RertConstraintScope)i;
    return true;
}

bool constraint_unit_from_name(const char *name, RertConstraintUnit *out)
{
    size_t i = 0;
    if (!index_of(unit_names, COUNT_OF(unit_names), name, &i)) {
        return false;
    }
    *out = (RertConstraintUnit)i;
    return true;
}

bool constraint_comparison_from_name(const char *name,
                                     RertConstraintComparison *out)
{
    size_t i = 0;
    if (!index_of(comparison_names, COUNT_OF(comparison_names), name, &i)) {
        return false;
    }
    *out = (RertConstraintComparison)i;
    return true;
}

bool constraint_evidence_from_name(const char *name, RertEvidenceTag *out)
{
    size_t i = 0;
    if (!index_of(evidence_names, COUNT_OF(evidence_names), name, &i)) {
        return false;
    }
    *out = (RertEvidenceTag)i;
    return true;
}

bool constraint_consensus_from_name(const char *name, RertConsensus *out)
{
    size_t i = 0;
    if (!index_of(consensus_names, COUNT_OF(consensus_names), name, &i)) {
        return false;
    }
    *out = (RertConsensus)i;
    return true;
}

/* "a, b, c" list of names for messages. */
static void join(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "",
                         names[i]);
        if (k < 0) {
            return;
        }
        used += (size_t)k;
    }
}

static bool parse_name(RertError *err,
                       const char *what,
                       const char *text,
                       const char *const *names,
                       size_t n,
                       size_t *index)
{
    if (index_of(names, n, text, index)) {
        return true;
    }
    char list[128];
    join(list, sizeof list, names, n);
    return rert_error_set(
        err, RERT_ERR_INVALID_ARG, "%s: expected one of: %s; found '%.60s'",
        what != NULL ? what : "value", list, text != NULL ? text : "(null)");
}

bool rert_constraint_scope_parse(RertError *err,
                                 const char *what,
                                 const char *text,
                                 RertConstraintScope *out)
{
    size_t i = 0;
    if (!parse_name(err, what, text, scope_names, COUNT_OF(scope_names), &i)) {
        return false;
    }
    *out = (RertConstraintScope)i;
    return true;
}

bool rert_constraint_unit_parse(RertError *err,
                                const char *what,
                                const char *text,
                                RertConstraintUnit *out)
{
    size_t i = 0;
    if (!parse_name(err, what, text, unit_names, COUNT_OF(unit_names), &i)) {
        return false;
    }
    *out = (RertConstraintUnit)i;
    return true;
}

bool rert_constraint_comparison_parse(RertError *err,
                                      const char *what,
                                      const char *text,
                                      RertConstraintComparison *out)
{
    size_t i = 0;
    if (!parse_name(err, what, text, comparison_names,
                    COUNT_OF(comparison_names), &i)) {
        return false;
    }
    *out = (RertConstraintComparison)i;
    return true;
}

bool rert_evidence_tag_parse(RertError *err,
                             const char *what,
                             const char *text,
                             RertEvidenceTag *out)
{
    size_t i = 0;
    if (!parse_name(err, what, text, evidence_names, COUNT_OF(evidence_names),
                    &i)) {
        return false;
    }
    *out = (RertEvidenceTag)i;
    return true;
}

bool rert_consensus_parse(RertError *err,
                          const char *what,
                          const char *text,
                          RertConsensus *out)
{
    size_t i = 0;
    if (!parse_name(err, what, text, consensus_names, COUNT_OF(consensus_names),
                    &i)) {
        return false;
    }
    *out = (RertConsensus)i;
    return true;
}

bool constraint_metric_equal(const RertDvhMetric *a, const RertDvhMetric *b)
{
    return a->kind == b->kind && fabs(a->value - b->value) <= 1e-9;
}

/* ---- create / destroy */

RertConstraintLibrary *rert_constraint_library_create(RertError *err)
{
    return rert_calloc(err, 1, sizeof(RertConstraintLibrary));
}

static void entry_clear(ConstraintEntry *e)
{
    for (size_t i = 0; i < STR_COUNT; i++) {
        rert_free(e->owned[i]);
        e->owned[i] = NULL;
    }
}

void rert_constraint_library_destroy(RertConstraintLibrary *lib)
{
    if (lib == NULL) {
        return;
    }
    for (size_t i = 0; i < lib->count; i++) {
        entry_clear(&lib->entries[i]);
    }
    rert_free(lib->entries);
    rert_free(lib);
}

/* ---- validation */

static bool is_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static bool is_dose_kind(RertDvhMetricKind kind)
{
    return kind == RERT_DVH_METRIC_MIN || kind == RERT_DVH_METRIC_MEAN ||
           kind == RERT_DVH_METRIC_MAX || kind == RERT_DVH_METRIC_D_PCT ||
           kind == RERT_DVH_METRIC_D_CC;
}

/* Does the unit fit the metric kind and scope? */
static bool unit_fits(const RertConstraint *spec, RertDvhMetricKind kind)
{
    switch (spec->unit) {
    case RERT_CONSTRAINT_UNIT_GY_EQD2:
    case RERT_CONSTRAINT_UNIT_GY_BED:
        return is_dose_kind(kind) &&
               spec->scope != RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE;
    case RERT_CONSTRAINT_UNIT_PERCENT:
        return kind == RERT_DVH_METRIC_V_PCT &&
               spec->scope != RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE;
    case RERT_CONSTRAINT_UNIT_CC:
        return (kind == RERT_DVH_METRIC_V_CC ||
                kind == RERT_DVH_METRIC_VOLUME) &&
               spec->scope != RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE;
    case RERT_CONSTRAINT_UNIT_RATIO:
        return is_dose_kind(kind) &&
               spec->scope == RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE;
    }
    return false;
}

static bool enums_valid(const RertConstraint *spec)
{
    return (size_t)spec->scope < COUNT_OF(scope_names) &&
           (size_t)spec->unit < COUNT_OF(unit_names) &&
           (size_t)spec->comparison < COUNT_OF(comparison_names) &&
           (size_t)spec->evidence < COUNT_OF(evidence_names) &&
           (size_t)spec->consensus < COUNT_OF(consensus_names);
}

static bool check_numbers(RertError *err,
                          const RertConstraint *spec,
                          const RertDvhMetric *metric)
{
    const char *id = spec->id;
    if (!isfinite(spec->limit)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint '%s': limit must be a finite "
                              "number",
                              id);
    }
    if (!unit_fits(spec, metric->kind)) {
        return rert_error_set(
            err, RERT_ERR_INVALID_ARG,
            "constraint '%s': unit '%s' does not fit metric '%s' with scope "
            "'%s' (D-metrics: Gy_EQD2 or Gy_BED, or ratio for "
            "new_course_share; V<x>Gy%%: %%; V<x>Gy and Volume: cc)",
            id, rert_constraint_unit_name(spec->unit), metric->name,
            rert_constraint_scope_name(spec->scope));
    }
    bool needs_ab = metric->kind != RERT_DVH_METRIC_VOLUME;
    if (needs_ab &&
        !(isfinite(spec->alpha_beta_gy) && spec->alpha_beta_gy > 0.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint '%s': alpha_beta must be a finite "
                              "number > 0 Gy for metric '%s'",
                              id, metric->name);
    }
    if (!isnan(spec->min_interval_months) &&
        !(isfinite(spec->min_interval_months) &&
          spec->min_interval_months >= 0.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint '%s': min_interval_months must be "
                              ">= 0 or absent",
                              id);
    }
    return true;
}

static bool validate(RertError *err,
                     const RertConstraint *spec,
                     bool allow_recalled,
                     RertDvhMetric *metric)
{
    if (is_empty(spec->id)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint: id must not be empty");
    }
    if (is_empty(spec->organ) || is_empty(spec->source)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint '%s': %s must not be empty", spec->id,
                              is_empty(spec->organ) ? "organ" : "source");
    }
    if (!enums_valid(spec)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint '%s': scope, unit, comparison, "
                              "evidence or consensus out of range",
                              spec->id);
    }
    if (!allow_recalled && spec->evidence == RERT_EVIDENCE_R) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint '%s': evidence R (recalled, not "
                              "verified) is not allowed in a library; verify "
                              "the value and tag it V, V2 or P",
                              spec->id);
    }
    if (!rert_dvh_metric_parse(err, is_empty(spec->metric) ? "" : spec->metric,
                               metric)) {
        rert_error_prefix(err, "constraint '%s': metric", spec->id);
        return false;
    }
    return check_numbers(err, spec, metric);
}

/* ---- copying */

static bool
copy_string(RertError *err, ConstraintEntry *e, size_t slot, const char *s)
{
    e->owned[slot] = rert_strdup(err, s != NULL ? s : "");
    return e->owned[slot] != NULL;
}

/* Fill *e from spec (already validated); on failure *e holds nothing. */
static bool entry_init(RertError *err,
                       ConstraintEntry *e,
                       const RertConstraint *spec,
                       const RertDvhMetric *metric)
{
    memset(e, 0, sizeof *e);
    const char *texts[STR_COUNT] = {
        spec->id,        spec->organ,        metric->name,
        spec->condition, spec->site,         spec->notes,
        spec->source,    spec->verification, spec->replaces};
    if (is_empty(texts[STR_SITE])) {
        texts[STR_SITE] = "any";
    }
    for (size_t i = 0; i < STR_COUNT; i++) {
        if (!copy_string(err, e, i, texts[i])) {
            entry_clear(e);
            return false;
        }
    }
    e->pub = *spec;
    e->metric = *metric;
    e->pub.id = e->owned[STR_ID];
    e->pub.organ = e->owned[STR_ORGAN];
    e->pub.metric = e->owned[STR_METRIC];
    e->pub.condition = e->owned[STR_CONDITION];
    e->pub.site = e->owned[STR_SITE];
    e->pub.notes = e->owned[STR_NOTES];
    e->pub.source = e->owned[STR_SOURCE];
    e->pub.verification = e->owned[STR_VERIFICATION];
    e->pub.replaces = e->owned[STR_REPLACES];
    return true;
}

static bool reserve(RertError *err, RertConstraintLibrary *lib)
{
    if (lib->count < lib->cap) {
        return true;
    }
    size_t cap = lib->cap == 0 ? 16 : lib->cap * 2;
    ConstraintEntry *grown =
        rert_realloc_array(err, lib->entries, cap, sizeof(ConstraintEntry));
    if (grown == NULL) {
        return false;
    }
    lib->entries = grown;
    lib->cap = cap;
    return true;
}

static ConstraintEntry *find_entry(const RertConstraintLibrary *lib,
                                   const char *id)
{
    for (size_t i = 0; id != NULL && i < lib->count; i++) {
        if (strcmp(lib->entries[i].pub.id, id) == 0) {
            return &lib->entries[i];
        }
    }
    return NULL;
}

bool rert_constraint_library_add(RertError *err,
                                 RertConstraintLibrary *lib,
                                 const RertConstraint *spec)
{
    if (lib == NULL || spec == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rert_constraint_library_add: NULL argument");
    }
    RertDvhMetric metric;
    if (!validate(err, spec, false, &metric)) {
        return false;
    }
    if (find_entry(lib, spec->id) != NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "constraint '%s': id used twice", spec->id);
    }
    if (!reserve(err, lib) ||
        !entry_init(err, &lib->entries[lib->count], spec, &metric)) {
        return false;
    }
    lib->entries[lib->count].pub.is_override = false;
    lib->count++;
    return true;
}

/* ---- overrides */

static bool replaced_by(const ConstraintEntry *e,
                        const RertConstraint *spec,
                        const RertDvhMetric *metric,
                        const char *replace_id)
{
    if (!is_empty(replace_id)) {
        return strcmp(e->pub.id, replace_id) == 0;
    }
    return strcmp(e->pub.organ, spec->organ) == 0 &&
           e->pub.scope == spec->scope &&
           constraint_metric_equal(&e->metric, metric);
}

/* Comma-separated ids of the entries spec replaces; "" when none. */
static char *replaced_ids(RertError *err,
                          const RertConstraintLibrary *lib,
                          const RertConstraint *spec,
                          const RertDvhMetric *metric,
                          const char *replace_id)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, 65536);
    for (size_t i = 0; i < lib->count; i++) {
        const ConstraintEntry *e = &lib->entries[i];
        if (!replaced_by(e, spec, metric, replace_id)) {
            continue;
        }
        if ((sb.len > 0 && !rert_strbuf_puts(err, &sb, ", ")) ||
            !rert_strbuf_puts(err, &sb, e->pub.id)) {
            rert_strbuf_clear(&sb);
            return NULL;
        }
    }
    return rert_strbuf_take(err, &sb);
}

/* Remove replaced entries; put the override at the first one's place (or
 * at the end). Cannot fail: capacity was reserved. */
static void place_override(RertConstraintLibrary *lib,
                           const ConstraintEntry *entry,
                           const RertDvhMetric *metric,
                           const char *replace_id)
{
    size_t out = 0;
    bool placed = false;
    for (size_t i = 0; i < lib->count; i++) {
        ConstraintEntry *e = &lib->entries[i];
        if (replaced_by(e, &entry->pub, metric, replace_id)) {
            entry_clear(e);
            if (!placed) {
                lib->entries[out++] = *entry;
                placed = true;
            }
            continue;
        }
        lib->entries[out++] = *e;
    }
    if (!placed) {
        lib->entries[out++] = *entry;
    }
    lib->count = out;
}

static bool check_override_id(RertError *err,
                              const RertConstraintLibrary *lib,
                              const RertConstraint *spec,
                              const RertDvhMetric *metric,
                              const char *replace_id)
{
    if (!is_empty(replace_id) && find_entry(lib, replace_id) == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "override '%s': replaces '%s', which is not "
                              "in the constraint library",
                              spec->id, replace_id);
    }
    const ConstraintEntry *same = find_entry(lib, spec->id);
    if (same != NULL && !replaced_by(same, spec, metric, replace_id)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "override '%s': id already used by a library "
                              "entry it does not replace (organ %s, metric "
                              "%s)",
                              spec->id, same->pub.organ, same->pub.metric);
    }
    return true;
}

bool rert_constraint_library_override(RertError *err,
                                      RertConstraintLibrary *lib,
                                      const RertConstraint *spec,
                                      const char *replace_id)
{
    if (lib == NULL || spec == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rert_constraint_library_override: NULL "
                              "argument");
    }
    RertConstraint named = *spec;
    char id[256];
    if (is_empty(named.id)) {
        (void)snprintf(id, sizeof id, "override-%s-%s-%s",
                       named.organ != NULL ? named.organ : "",
                       named.metric != NULL ? named.metric : "",
                       rert_constraint_scope_name(named.scope));
        named.id = id;
    }
    spec = &named;
    RertDvhMetric metric;
    if (!validate(err, spec, true, &metric) ||
        !check_override_id(err, lib, spec, &metric, replace_id)) {
        return false;
    }
    char *replaces = replaced_ids(err, lib, spec, &metric, replace_id);
    if (replaces == NULL || !reserve(err, lib)) {
        rert_free(replaces);
        return false;
    }
    RertConstraint copy = *spec;
    copy.replaces = replaces;
    ConstraintEntry entry;
    bool ok = entry_init(err, &entry, &copy, &metric);
    rert_free(replaces);
    if (!ok) {
        return false;
    }
    entry.pub.is_override = true;
    place_override(lib, &entry, &metric, replace_id);
    return true;
}

/* ---- access */

size_t rert_constraint_library_count(const RertConstraintLibrary *lib)
{
    return lib != NULL ? lib->count : 0;
}

const RertConstraint *
rert_constraint_library_get(const RertConstraintLibrary *lib, size_t index)
{
    if (lib == NULL || index >= lib->count) {
        return NULL;
    }
    return &lib->entries[index].pub;
}

const RertConstraint *
rert_constraint_library_find(const RertConstraintLibrary *lib, const char *id)
{
    if (lib == NULL) {
        return NULL;
    }
    const ConstraintEntry *e = find_entry(lib, id);
    return e != NULL ? &e->pub : NULL;
}
