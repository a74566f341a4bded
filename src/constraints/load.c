/* Loaders of data/constraints.yaml, data/organ_synonyms.yaml and case-file
 * overrides, through the strict YAML layer (format: docs/constraints.md).
 */
#include <math.h>
#include <string.h>

#include <rert/constraints.h>
#include <rert/core.h>
#include <rert/yamldoc.h>

#include "internal.h"

#define CONSTRAINTS_FORMAT "rert-constraints/1"
#define ORGANS_FORMAT "rert-organs/1"

static const char *const entry_keys[] = {
    "id",           "organ",      "metric",
    "scope",        "limit",      "comparison",
    "unit",         "alpha_beta", "min_interval_months",
    "condition",    "site",       "evidence",
    "consensus",    "notes",      "source",
    "verification", "kind",       NULL};

static const char *const override_keys[] = {"id",
                                            "organ",
                                            "metric",
                                            "scope",
                                            "limit",
                                            "comparison",
                                            "unit",
                                            "alpha_beta",
                                            "min_interval_months",
                                            "condition",
                                            "site",
                                            "evidence",
                                            "consensus",
                                            "notes",
                                            "source",
                                            "verification",
                                            "replaces",
                                            "kind",
                                            NULL};

/* Optional enum-valued key read through a name parser. */
typedef bool (*NameParser)(const char *name, void *out);

static bool scope_parser(const char *name, void *out)
{
    return constraint_scope_from_name(name, out);
}
static bool unit_parser(const char *name, void *out)
{
    return constraint_unit_from_name(name, out);
}
static bool comparison_parser(const char *name, void *out)
{
    return constraint_comparison_from_name(name, out);
}
static bool evidence_parser(const char *name, void *out)
{
    return constraint_evidence_from_name(name, out);
}
static bool consensus_parser(const char *name, void *out)
{
    return constraint_consensus_from_name(name, out);
}

static bool get_enum(RertError *err,
                     const RertYamlDoc *doc,
                     const RertYamlNode *map,
                     const char *key,
                     bool required,
                     NameParser parse,
                     const char *accepted,
                     void *out)
{
    const char *text = NULL;
    if (!rert_yaml_get_string(err, doc, map, key, required, &text)) {
        return false;
    }
    if (text == NULL || parse(text, out)) {
        return true;
    }
    return rert_yaml_error(err, doc, rert_yaml_get(map, key),
                           "%s: expected one of: %s; found '%.60s'", key,
                           accepted, text);
}

static bool get_strings(RertError *err,
                        const RertYamlDoc *doc,
                        const RertYamlNode *map,
                        RertConstraint *c,
                        bool is_override)
{
    return rert_yaml_get_string(err, doc, map, "id", !is_override, &c->id) &&
           rert_yaml_get_string(err, doc, map, "organ", true, &c->organ) &&
           rert_yaml_get_string(err, doc, map, "metric", true, &c->metric) &&
           rert_yaml_get_string(err, doc, map, "source", true, &c->source) &&
           rert_yaml_get_string(err, doc, map, "verification", !is_override,
                                &c->verification) &&
           rert_yaml_get_string(err, doc, map, "condition", false,
                                &c->condition) &&
           rert_yaml_get_string(err, doc, map, "site", false, &c->site) &&
           rert_yaml_get_string(err, doc, map, "notes", false, &c->notes);
}

static bool get_enums(RertError *err,
                      const RertYamlDoc *doc,
                      const RertYamlNode *map,
                      RertConstraint *c,
                      bool is_override)
{
    return get_enum(err, doc, map, "scope", !is_override, scope_parser,
                    "cumulative, each_course, single_course, new_course, "
                    "new_course_share",
                    &c->scope) &&
           get_enum(err, doc, map, "unit", true, unit_parser,
                    "Gy_EQD2, Gy_BED, %, cc, ratio", &c->unit) &&
           get_enum(err, doc, map, "comparison", false, comparison_parser,
                    "<=, <", &c->comparison) &&
           get_enum(err, doc, map, "evidence", !is_override, evidence_parser,
                    "V, V2, P (R is not accepted in a library)",
                    &c->evidence) &&
           get_enum(err, doc, map, "consensus", false, consensus_parser,
                    "not_applicable, yes, no, majority, unknown",
                    &c->consensus);
}

/* Optional `kind`: "limit" (default) or "observation". */
static bool get_kind(RertError *err,
                     const RertYamlDoc *doc,
                     const RertYamlNode *map,
                     RertConstraint *c)
{
    const char *text = NULL;
    if (!rert_yaml_get_string(err, doc, map, "kind", false, &text)) {
        return false;
    }
    if (text == NULL || strcmp(text, "limit") == 0) {
        return true;
    }
    if (strcmp(text, "observation") == 0) {
        c->is_observation = true;
        return true;
    }
    return rert_yaml_error(err, doc, rert_yaml_get(map, "kind"),
                           "kind: expected one of: limit, observation; "
                           "found '%.60s'",
                           text);
}

/* Read one constraint mapping into *c (strings borrowed from doc). */
static bool read_entry(RertError *err,
                       const RertYamlDoc *doc,
                       const RertYamlNode *map,
                       bool is_override,
                       RertConstraint *c)
{
    memset(c, 0, sizeof *c);
    c->alpha_beta_gy = (double)NAN;
    c->min_interval_months = (double)NAN;
    c->evidence = RERT_EVIDENCE_P;
    if (!rert_yaml_check_keys(
            err, doc, map, is_override ? "constraint override" : "constraint",
            is_override ? override_keys : entry_keys)) {
        return false;
    }
    return get_strings(err, doc, map, c, is_override) &&
           get_enums(err, doc, map, c, is_override) &&
           get_kind(err, doc, map, c) &&
           rert_yaml_get_double(err, doc, map, "limit", true, &c->limit,
                                NULL) &&
           rert_yaml_get_double(err, doc, map, "alpha_beta", false,
                                &c->alpha_beta_gy, NULL) &&
           rert_yaml_get_double(err, doc, map, "min_interval_months", false,
                                &c->min_interval_months, NULL);
}

static bool
prefix_line(RertError *err, const RertYamlDoc *doc, const RertYamlNode *node)
{
    rert_error_prefix(err, "%s:%zu", rert_yaml_name(doc), rert_yaml_line(node));
    return false;
}

static bool check_format(RertError *err,
                         const RertYamlDoc *doc,
                         const RertYamlNode *root,
                         const char *format)
{
    const char *found = NULL;
    if (!rert_yaml_get_string(err, doc, root, "format", true, &found)) {
        return false;
    }
    if (strcmp(found, format) != 0) {
        return rert_yaml_error(err, doc, rert_yaml_get(root, "format"),
                               "format: expected '%s', found '%.60s'", format,
                               found);
    }
    return true;
}

static bool
read_library(RertError *err, const RertYamlDoc *doc, RertConstraintLibrary *lib)
{
    static const char *const top_keys[] = {"format", "description",
                                           "constraints", NULL};
    const RertYamlNode *root = rert_yaml_root(doc);
    const RertYamlNode *list = NULL;
    const char *description = NULL;
    if (root == NULL) {
        return rert_yaml_error(err, doc, NULL, "empty document");
    }
    if (!rert_yaml_check_keys(err, doc, root, "constraint library", top_keys) ||
        !check_format(err, doc, root, CONSTRAINTS_FORMAT) ||
        !rert_yaml_get_string(err, doc, root, "description", false,
                              &description) ||
        !rert_yaml_get_sequence(err, doc, root, "constraints", true, &list)) {
        return false;
    }
    for (size_t i = 0; i < rert_yaml_count(list); i++) {
        const RertYamlNode *item = rert_yaml_item(list, i);
        RertConstraint c;
        if (!read_entry(err, doc, item, false, &c)) {
            return false;
        }
        if (!rert_constraint_library_add(err, lib, &c)) {
            return prefix_line(err, doc, item);
        }
    }
    return true;
}

static RertConstraintLibrary *library_from_doc(RertError *err, RertYamlDoc *doc)
{
    if (doc == NULL) {
        return NULL;
    }
    RertConstraintLibrary *lib = rert_constraint_library_create(err);
    if (lib != NULL && !read_library(err, doc, lib)) {
        rert_constraint_library_destroy(lib);
        lib = NULL;
    }
    rert_yaml_destroy(doc);
    return lib;
}

RertConstraintLibrary *rert_constraint_library_load(RertError *err,
                                                    const char *path)
{
    return library_from_doc(err, rert_yaml_load(err, path, 0));
}

RertConstraintLibrary *rert_constraint_library_parse(RertError *err,
                                                     const char *text,
                                                     size_t size,
                                                     const char *name)
{
    return library_from_doc(err, rert_yaml_parse(err, text, size, name));
}

bool rert_constraint_library_override_yaml(RertError *err,
                                           RertConstraintLibrary *lib,
                                           const RertYamlDoc *doc,
                                           const RertYamlNode *node)
{
    RertConstraint c;
    const char *replaces = NULL;
    if (lib == NULL || doc == NULL || node == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rert_constraint_library_override_yaml: NULL "
                              "argument");
    }
    if (!read_entry(err, doc, node, true, &c) ||
        !rert_yaml_get_string(err, doc, node, "replaces", false, &replaces)) {
        return false;
    }
    if (!rert_constraint_library_override(err, lib, &c, replaces)) {
        return prefix_line(err, doc, node);
    }
    return true;
}

/* ---- organ synonyms */

static bool read_organ(RertError *err,
                       const RertYamlDoc *doc,
                       const RertYamlNode *map,
                       RertOrganTable *table)
{
    static const char *const keys[] = {"organ", "paired", "synonyms", "notes",
                                       NULL};
    const char *organ = NULL;
    const char *notes = NULL;
    const RertYamlNode *list = NULL;
    bool is_paired = false;
    if (!rert_yaml_check_keys(err, doc, map, "organ", keys) ||
        !rert_yaml_get_string(err, doc, map, "organ", true, &organ) ||
        !rert_yaml_get_bool(err, doc, map, "paired", false, &is_paired, NULL) ||
        !rert_yaml_get_string(err, doc, map, "notes", false, &notes) ||
        !rert_yaml_get_sequence(err, doc, map, "synonyms", false, &list)) {
        return false;
    }
    size_t n = rert_yaml_count(list);
    const char **names = rert_calloc(err, n, sizeof(const char *));
    if (names == NULL) {
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        ok = rert_yaml_node_string(err, doc, rert_yaml_item(list, i),
                                   "synonyms", &names[i]);
    }
    if (ok && !rert_organ_table_add(err, table, organ, is_paired, names, n)) {
        ok = prefix_line(err, doc, map);
    }
    rert_free(names);
    return ok;
}

static bool
read_organs(RertError *err, const RertYamlDoc *doc, RertOrganTable *table)
{
    static const char *const top_keys[] = {"format", "description", "organs",
                                           NULL};
    const RertYamlNode *root = rert_yaml_root(doc);
    const RertYamlNode *list = NULL;
    const char *description = NULL;
    if (root == NULL) {
        return rert_yaml_error(err, doc, NULL, "empty document");
    }
    if (!rert_yaml_check_keys(err, doc, root, "organ table", top_keys) ||
        !check_format(err, doc, root, ORGANS_FORMAT) ||
        !rert_yaml_get_string(err, doc, root, "description", false,
                              &description) ||
        !rert_yaml_get_sequence(err, doc, root, "organs", true, &list)) {
        return false;
    }
    for (size_t i = 0; i < rert_yaml_count(list); i++) {
        if (!read_organ(err, doc, rert_yaml_item(list, i), table)) {
            return false;
        }
    }
    return true;
}

static RertOrganTable *organs_from_doc(RertError *err, RertYamlDoc *doc)
{
    if (doc == NULL) {
        return NULL;
    }
    RertOrganTable *table = rert_organ_table_create(err);
    if (table != NULL && !read_organs(err, doc, table)) {
        rert_organ_table_destroy(table);
        table = NULL;
    }
    rert_yaml_destroy(doc);
    return table;
}

RertOrganTable *rert_organ_table_load(RertError *err, const char *path)
{
    return organs_from_doc(err, rert_yaml_load(err, path, 0));
}

RertOrganTable *rert_organ_table_parse(RertError *err,
                                       const char *text,
                                       size_t size,
                                       const char *name)
{
    return organs_from_doc(err, rert_yaml_parse(err, text, size, name));
}
