/* Case file of `rert assess` (docs/case-file.md): loading, the top-level
 * document, shared helpers (owned allocations, paths, lists, enums) and
 * read access. Sections: case_sections.c; courses: case_course.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <rert/casefile.h>
#include <rert/core.h>
#include <rert/io.h>
#include <rert/yamldoc.h>

#include "internal.h"

/* ---- stable keys, indexed by enum value */

const char *const case_modality_names[] = {"photon", "electron", "proton",
                                           "carbon", "brachy",   NULL};
const char *const case_data_quality_names[] = {
    "full_dicom", "dose_only", "paper_summary", "prescription_only", NULL};
const char *const case_role_names[] = {"prior", "planned", NULL};
const char *const case_dose_type_names[] = {"physical", "rbe_weighted", NULL};
const char *const case_rbe_names[] = {
    "none",       "constant", "mcnamara2015", "wedenberg2013", "carabe2012",
    "as_planned", NULL};
const char *const case_registration_names[] = {
    "none",         "identity", "dicom_reg", "rigid_auto", "deformable_auto",
    "vector_field", NULL};
const char *const case_recovery_kind_names[] = {"none", "fixed", "tiered",
                                                "published", NULL};
const char *const case_intent_names[] = {"unspecified", "curative",
                                         "palliative", "local_control", NULL};
const char *const case_sex_names[] = {"unspecified", "female",  "male",
                                      "other",       "unknown", NULL};
const char *const case_recurrence_names[] = {"unspecified", "recurrence",
                                             "new_primary", "unknown", NULL};

static const char *name_at(const char *const *names, size_t count, int value)
{
    if (value < 0 || (size_t)value >= count) {
        return NULL;
    }
    return names[value];
}

#define NAME_COUNT(a) (sizeof(a) / sizeof((a)[0]) - 1)

const char *rert_case_modality_name(RertCaseModality m)
{
    return name_at(case_modality_names, NAME_COUNT(case_modality_names),
                   (int)m);
}

const char *rert_case_data_quality_name(RertCaseDataQuality q)
{
    return name_at(case_data_quality_names, NAME_COUNT(case_data_quality_names),
                   (int)q);
}

const char *rert_case_role_name(RertCaseRole r)
{
    return name_at(case_role_names, NAME_COUNT(case_role_names), (int)r);
}

const char *rert_case_dose_type_name(RertCaseDoseType t)
{
    return name_at(case_dose_type_names, NAME_COUNT(case_dose_type_names),
                   (int)t);
}

const char *rert_case_rbe_model_name(RertCaseRbeModel m)
{
    return name_at(case_rbe_names, NAME_COUNT(case_rbe_names), (int)m);
}

const char *rert_case_registration_name(RertCaseRegistrationMethod m)
{
    return name_at(case_registration_names, NAME_COUNT(case_registration_names),
                   (int)m);
}

const char *rert_case_recovery_kind_name(RertCaseRecoveryKind k)
{
    return name_at(case_recovery_kind_names,
                   NAME_COUNT(case_recovery_kind_names), (int)k);
}

const char *rert_case_intent_name(RertCaseIntent i)
{
    return name_at(case_intent_names, NAME_COUNT(case_intent_names), (int)i);
}

const char *rert_case_sex_name(RertCaseSex s)
{
    return name_at(case_sex_names, NAME_COUNT(case_sex_names), (int)s);
}

const char *rert_case_recurrence_name(RertCaseRecurrence r)
{
    return name_at(case_recurrence_names, NAME_COUNT(case_recurrence_names),
                   (int)r);
}

/* ---- shared helpers */

void *case_alloc(RertError *err, RertCase *c, size_t n, size_t size)
{
    if (c->alloc_count == c->alloc_cap) {
        size_t cap = c->alloc_cap == 0 ? 16 : c->alloc_cap * 2;
        void **grown = rert_realloc_array(err, c->allocs, cap, sizeof *grown);
        if (grown == NULL) {
            return NULL;
        }
        c->allocs = grown;
        c->alloc_cap = cap;
    }
    void *p = rert_calloc(err, n == 0 ? 1 : n, size);
    if (p != NULL) {
        c->allocs[c->alloc_count++] = p;
    }
    return p;
}

bool case_key_error(RertError *err,
                    const RertCase *c,
                    const RertYamlNode *map,
                    const char *key,
                    const char *fmt,
                    ...)
{
    char msg[RERT_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rert_error_set(err, RERT_ERR_PARSE, "%s:%zu: %s: %s",
                          rert_yaml_name(c->doc), rert_yaml_key_line(map, key),
                          key, msg);
}

static bool check_exists(RertError *err,
                         const RertCase *c,
                         const RertYamlNode *map,
                         const char *key,
                         const char *path,
                         bool is_dir)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        return rert_error_set(
            err, RERT_ERR_IO, "%s:%zu: %s: %s '%s' not found (%s)",
            rert_yaml_name(c->doc), rert_yaml_key_line(map, key), key,
            is_dir ? "folder" : "file", path, strerror(e));
    }
    bool ok = is_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
    if (!ok) {
        return rert_error_set(err, RERT_ERR_IO,
                              "%s:%zu: %s: expected a %s, found '%s' which "
                              "is not one",
                              rert_yaml_name(c->doc),
                              rert_yaml_key_line(map, key), key,
                              is_dir ? "folder" : "regular file", path);
    }
    return true;
}

bool case_get_path(RertError *err,
                   RertCase *c,
                   const RertYamlNode *map,
                   const char *key,
                   bool required,
                   bool is_dir,
                   const char **out)
{
    const char *text = NULL;
    if (!rert_yaml_get_string(err, c->doc, map, key, required, &text)) {
        return false;
    }
    if (text == NULL) {
        return true;
    }
    bool is_relative = text[0] != '/' && c->base_dir[0] != '\0';
    size_t base_len = is_relative ? strlen(c->base_dir) : 0;
    size_t len = 0;
    if (!rert_add_size(err, base_len, strlen(text) + 2, &len)) {
        return false;
    }
    char *path = case_alloc(err, c, len, 1);
    if (path == NULL) {
        return false;
    }
    if (is_relative) {
        (void)snprintf(path, len, "%s/%s", c->base_dir, text);
    } else {
        (void)snprintf(path, len, "%s", text);
    }
    if (c->check_files && !check_exists(err, c, map, key, path, is_dir)) {
        return false;
    }
    *out = path;
    return true;
}

bool case_get_strings(RertError *err,
                      RertCase *c,
                      const RertYamlNode *map,
                      const char *key,
                      bool required,
                      const char *const **out,
                      size_t *count)
{
    const RertYamlNode *seq = NULL;
    if (!rert_yaml_get_sequence(err, c->doc, map, key, required, &seq)) {
        return false;
    }
    *count = 0;
    if (seq == NULL) {
        return true;
    }
    size_t n = rert_yaml_count(seq);
    const char **items = case_alloc(err, c, n, sizeof *items);
    if (items == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rert_yaml_node_string(err, c->doc, rert_yaml_item(seq, i), key,
                                   &items[i])) {
            return false;
        }
    }
    *out = items;
    *count = n;
    return true;
}

bool case_get_enum(RertError *err,
                   const RertCase *c,
                   const RertYamlNode *map,
                   const char *key,
                   bool required,
                   const char *const *names,
                   int first,
                   int *value)
{
    size_t index = 0;
    bool present = false;
    if (!rert_yaml_get_choice(err, c->doc, map, key, required, names, &index,
                              &present)) {
        return false;
    }
    if (present) {
        *value = first + (int)index;
    }
    return true;
}

/* ---- the document */

static const char *const top_keys[] = {
    "schema",      "patient",        "courses",   "alpha_beta", "recovery",
    "constraints", "classification", "reporting", "options",    "selection",
    NULL};

/* Optional mapping section: parse when present. */
static bool
section(RertError *err,
        RertCase *c,
        const RertYamlNode *root,
        const char *key,
        bool required,
        bool (*parse)(RertError *, RertCase *, const RertYamlNode *))
{
    const RertYamlNode *map = NULL;
    if (!rert_yaml_get_mapping(err, c->doc, root, key, required, &map)) {
        return false;
    }
    return map == NULL || parse(err, c, map);
}

static bool parse_root(RertError *err, RertCase *c)
{
    const RertYamlNode *root = rert_yaml_root(c->doc);
    if (root == NULL) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: empty case file; expected a mapping with "
                              "'schema: 1', 'patient' and 'courses'",
                              rert_yaml_name(c->doc));
    }
    if (!rert_yaml_check_keys(err, c->doc, root, "the case file", top_keys)) {
        return false;
    }
    long schema = 0;
    if (!rert_yaml_get_long(err, c->doc, root, "schema", true,
                            RERT_CASE_SCHEMA_VERSION, RERT_CASE_SCHEMA_VERSION,
                            &schema, NULL)) {
        return false;
    }
    const RertYamlNode *courses = NULL;
    return section(err, c, root, "patient", true, case_parse_patient) &&
           section(err, c, root, "alpha_beta", true, case_parse_alpha_beta) &&
           section(err, c, root, "recovery", false, case_parse_recovery) &&
           section(err, c, root, "constraints", false,
                   case_parse_constraints) &&
           section(err, c, root, "classification", false,
                   case_parse_classification) &&
           section(err, c, root, "reporting", false, case_parse_reporting) &&
           section(err, c, root, "options", false, case_parse_options) &&
           section(err, c, root, "selection", false, case_parse_selection) &&
           rert_yaml_get_sequence(err, c->doc, root, "courses", true,
                                  &courses) &&
           case_parse_courses(err, c, courses);
}

RertCaseLoadOptions rert_case_load_options_default(void)
{
    RertCaseLoadOptions o;
    o.check_files = true;
    return o;
}

/* Defaults of the optional sections, before parsing. */
static void set_defaults(RertCase *c)
{
    c->alpha_beta.default_gy = (double)NAN;
    c->recovery.convention = RERT_CASE_CONVENTION_A;
    c->recovery.default_model.kind = RERT_CASE_RECOVERY_NONE;
    c->constraints.set = "builtin";
    c->constraints.is_builtin = true;
    c->classification.overlap_threshold_gy = (double)NAN;
    c->classification.min_overlap_cc = 0.0;
    c->options.reference_grid = RERT_CASE_GRID_PLANNED_CT;
    c->options.registration_uncertainty_mm = (double)NAN;
}

RertCase *rert_case_parse(RertError *err,
                          const char *text,
                          size_t size,
                          const char *name,
                          const char *base_dir,
                          const RertCaseLoadOptions *opts)
{
    RertCaseLoadOptions o =
        opts != NULL ? *opts : rert_case_load_options_default();
    const char *label = name != NULL ? name : "case";
    if (size > RERT_CASE_MAX_BYTES) {
        rert_error_set(err, RERT_ERR_LIMIT,
                       "%s: case file of %zu bytes is larger than the limit "
                       "of %zu bytes",
                       label, size, RERT_CASE_MAX_BYTES);
        return NULL;
    }
    RertCase *c = rert_calloc(err, 1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    set_defaults(c);
    c->check_files = o.check_files;
    c->base_dir = rert_strdup(err, base_dir != NULL ? base_dir : "");
    if (c->base_dir == NULL) {
        rert_case_destroy(c);
        return NULL;
    }
    c->doc = rert_yaml_parse(err, text, size, label);
    if (c->doc == NULL || !parse_root(err, c)) {
        rert_case_destroy(c);
        return NULL;
    }
    return c;
}

/* Folder part of @p path ("" for a bare file name, "/" for "/x"). */
static char *folder_of(RertError *err, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        return rert_strdup(err, "");
    }
    if (slash == path) {
        return rert_strdup(err, "/");
    }
    return rert_strndup(err, path, (size_t)(slash - path));
}

RertCase *rert_case_load(RertError *err,
                         const char *path,
                         const RertCaseLoadOptions *opts)
{
    if (path == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "case file path is NULL");
        return NULL;
    }
    RertBytes bytes = {NULL, 0};
    char *folder = folder_of(err, path);
    if (folder == NULL) {
        return NULL;
    }
    RertCase *c = NULL;
    if (rert_file_load(err, path, RERT_CASE_MAX_BYTES, &bytes)) {
        c = rert_case_parse(err, (const char *)bytes.data, bytes.size, path,
                            folder, opts);
    }
    rert_bytes_clear(&bytes);
    rert_free(folder);
    return c;
}

void rert_case_destroy(RertCase *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->alloc_count; i++) {
        rert_free(c->allocs[i]);
    }
    rert_free(c->allocs);
    rert_yaml_destroy(c->doc);
    rert_free(c->base_dir);
    rert_free(c);
}

/* ---- access */

const char *rert_case_name(const RertCase *c)
{
    return rert_yaml_name(c->doc);
}

const RertCasePatient *rert_case_patient(const RertCase *c)
{
    return &c->patient;
}

size_t rert_case_course_count(const RertCase *c)
{
    return c->course_count;
}

const RertCaseCourse *rert_case_course(const RertCase *c, size_t index)
{
    return index < c->course_count ? &c->courses[index] : NULL;
}

const RertCaseCourse *rert_case_planned_course(const RertCase *c)
{
    return c->course_count > 0 ? &c->courses[c->course_count - 1] : NULL;
}

const RertCaseAlphaBeta *rert_case_alpha_beta(const RertCase *c)
{
    return &c->alpha_beta;
}

static bool same_name(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

double rert_case_alpha_beta_for(const RertCase *c,
                                const char *name,
                                const RertCaseAlphaBetaEntry **entry_out)
{
    const RertCaseAlphaBeta *ab = &c->alpha_beta;
    for (size_t i = 0; name != NULL && i < ab->entry_count; i++) {
        if (same_name(ab->entries[i].name, name)) {
            if (entry_out != NULL) {
                *entry_out = &ab->entries[i];
            }
            return ab->entries[i].alpha_beta_gy;
        }
    }
    if (entry_out != NULL) {
        *entry_out = NULL;
    }
    return ab->default_gy;
}

const RertCaseRecovery *rert_case_recovery(const RertCase *c)
{
    return &c->recovery;
}

const RertCaseRecoveryModel *rert_case_recovery_for(const RertCase *c,
                                                    const char *organ)
{
    const RertCaseRecovery *r = &c->recovery;
    for (size_t i = 0; organ != NULL && i < r->organ_count; i++) {
        if (same_name(r->organs[i].organ, organ)) {
            return &r->organs[i];
        }
    }
    return &r->default_model;
}

const RertCaseConstraints *rert_case_constraints(const RertCase *c)
{
    return &c->constraints;
}

const RertCaseClassification *rert_case_classification(const RertCase *c)
{
    return &c->classification;
}

const RertCaseReporting *rert_case_reporting(const RertCase *c)
{
    return &c->reporting;
}

const RertCaseOptions *rert_case_options(const RertCase *c)
{
    return &c->options;
}

const RertCaseSelectionEntry *rert_case_selection(const RertCase *c,
                                                  size_t *count)
{
    *count = c->selection_count;
    return c->selection_count > 0 ? c->selection : NULL;
}
