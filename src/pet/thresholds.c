/* Published PET thresholds as data (data/pet_thresholds.yaml, format
 * rert-pet-thresholds/1) and their reading as decision support:
 * "suggests <finding>", never a diagnosis (science notes 6.2-6.3, T27). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/pet.h>
#include <rert/yamldoc.h>

#include "internal.h"

#define FORMAT "rert-pet-thresholds/1"
#define MAX_THRESHOLDS 1000

struct RertPetThresholdSet {
    RertYamlDoc *doc; /* owns every string */
    RertPetThreshold *items;
    size_t count;
};

static const char *const metric_names[] = {"SUVmax", "SUVmean", "SUVpeak",
                                           "TBRmax", "TBRmean", NULL};

const char *rert_pet_metric_name(RertPetMetric metric)
{
    size_t i = (size_t)metric;
    return i < 5 ? metric_names[i] : "unknown";
}

void rert_pet_thresholds_destroy(RertPetThresholdSet *set)
{
    if (set == NULL) {
        return;
    }
    rert_free(set->items);
    rert_yaml_destroy(set->doc);
    rert_free(set);
}

size_t rert_pet_thresholds_count(const RertPetThresholdSet *set)
{
    return set->count;
}

const RertPetThreshold *rert_pet_thresholds_at(const RertPetThresholdSet *set,
                                               size_t index)
{
    return index < set->count ? &set->items[index] : NULL;
}

const RertPetThreshold *rert_pet_thresholds_find(const RertPetThresholdSet *set,
                                                 const char *id)
{
    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->items[i].id, id) == 0) {
            return &set->items[i];
        }
    }
    return NULL;
}

static bool read_entry(RertError *err,
                       const RertYamlDoc *doc,
                       const RertYamlNode *map,
                       RertPetThreshold *t)
{
    static const char *const keys[] = {
        "id",    "tracer",      "setting", "metric",   "value",        "above",
        "below", "performance", "source",  "evidence", "verification", NULL};
    static const char *const evidence[] = {"V", "V2", NULL};
    size_t metric = 0;
    size_t tag = 0;
    const char *verification = NULL;
    bool ok =
        rert_yaml_check_keys(err, doc, map, "threshold", keys) &&
        rert_yaml_get_string(err, doc, map, "id", true, &t->id) &&
        rert_yaml_get_string(err, doc, map, "tracer", true, &t->tracer) &&
        rert_yaml_get_string(err, doc, map, "setting", true, &t->setting) &&
        rert_yaml_get_choice(err, doc, map, "metric", true, metric_names,
                             &metric, NULL) &&
        rert_yaml_get_double(err, doc, map, "value", true, &t->value, NULL) &&
        rert_yaml_get_string(err, doc, map, "above", true, &t->above) &&
        rert_yaml_get_string(err, doc, map, "below", true, &t->below) &&
        rert_yaml_get_string(err, doc, map, "performance", false,
                             &t->performance) &&
        rert_yaml_get_string(err, doc, map, "source", true, &t->source) &&
        rert_yaml_get_choice(err, doc, map, "evidence", true, evidence, &tag,
                             NULL) &&
        rert_yaml_get_string(err, doc, map, "verification", true,
                             &verification);
    if (!ok) {
        return false;
    }
    t->metric = (RertPetMetric)metric;
    t->evidence = evidence[tag];
    if (t->performance == NULL) {
        t->performance = "";
    }
    if (!(t->value > 0.0)) {
        return rert_yaml_error(err, doc, rert_yaml_get(map, "value"),
                               "value: expected a threshold > 0, found %g",
                               t->value);
    }
    return true;
}

static bool read_all(RertError *err, RertPetThresholdSet *set)
{
    const RertYamlDoc *doc = set->doc;
    const RertYamlNode *root = rert_yaml_root(doc);
    static const char *const keys[] = {"format", "description", "thresholds",
                                       NULL};
    const char *format = NULL;
    const char *description = NULL;
    const RertYamlNode *list = NULL;
    if (root == NULL || rert_yaml_kind(root) != RERT_YAML_MAPPING) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: expected a mapping with format, "
                              "description and thresholds",
                              rert_yaml_name(doc));
    }
    if (!rert_yaml_check_keys(err, doc, root, "threshold file", keys) ||
        !rert_yaml_get_string(err, doc, root, "format", true, &format) ||
        !rert_yaml_get_string(err, doc, root, "description", false,
                              &description) ||
        !rert_yaml_get_sequence(err, doc, root, "thresholds", true, &list)) {
        return false;
    }
    if (strcmp(format, FORMAT) != 0) {
        return rert_yaml_error(err, doc, rert_yaml_get(root, "format"),
                               "format: expected '%s', found '%s'", FORMAT,
                               format);
    }
    size_t n = rert_yaml_count(list);
    if (n > MAX_THRESHOLDS) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s: %zu thresholds, at most %d",
                              rert_yaml_name(doc), n, MAX_THRESHOLDS);
    }
    set->items = rert_calloc(err, n > 0 ? n : 1, sizeof *set->items);
    if (set->items == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const RertYamlNode *item = rert_yaml_item(list, i);
        if (!read_entry(err, doc, item, &set->items[i])) {
            return false;
        }
        if (rert_pet_thresholds_find(set, set->items[i].id) != NULL) {
            return rert_yaml_error(err, doc, rert_yaml_get(item, "id"),
                                   "duplicate threshold id '%s'",
                                   set->items[i].id);
        }
        set->count++;
    }
    return true;
}

static RertPetThresholdSet *from_doc(RertError *err, RertYamlDoc *doc)
{
    if (doc == NULL) {
        return NULL;
    }
    RertPetThresholdSet *set = rert_calloc(err, 1, sizeof *set);
    if (set == NULL) {
        rert_yaml_destroy(doc);
        return NULL;
    }
    set->doc = doc;
    if (!read_all(err, set)) {
        rert_pet_thresholds_destroy(set);
        return NULL;
    }
    return set;
}

RertPetThresholdSet *rert_pet_thresholds_load(RertError *err, const char *path)
{
    return from_doc(err, rert_yaml_load(err, path, 0));
}

RertPetThresholdSet *rert_pet_thresholds_parse(RertError *err,
                                               const char *text,
                                               size_t size,
                                               const char *name)
{
    return from_doc(err, rert_yaml_parse(err, text, size, name));
}

bool rert_pet_threshold_interpret(RertError *err,
                                  const RertPetThreshold *t,
                                  double value,
                                  char *buf,
                                  size_t size,
                                  const char **suggests)
{
    if (!isfinite(value)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "%s: %s is not finite",
                              t->id, rert_pet_metric_name(t->metric));
    }
    bool above = value >= t->value;
    const char *finding = above ? t->above : t->below;
    int n = snprintf(buf, size,
                     "suggests %s (%s %.2f %s %g; %s; %s; %s). Decision "
                     "support only, not a diagnosis: thresholds depend on "
                     "the centre's acquisition and ROI method.",
                     finding, rert_pet_metric_name(t->metric), value,
                     above ? ">=" : "<", t->value, t->setting, t->tracer,
                     t->source);
    if (n < 0 || (size_t)n >= size) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s: interpretation needs %d bytes, %zu given",
                              t->id, n, size);
    }
    if (suggests != NULL) {
        *suggests = finding;
    }
    return true;
}
