/* Private declarations of the config module (YAML tree, case file). */
#ifndef RERT_CONFIG_INTERNAL_H
#define RERT_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/casefile.h>
#include <rert/yamldoc.h>

/* One node of the tree. Mapping keys are scalar nodes kept in `keys`,
 * parallel to `items` (the values); sequences use `items` only. */
struct RertYamlNode {
    RertYamlKind kind;
    size_t line;     /* 1-based */
    char *text;      /* scalars: NUL-terminated, owned */
    size_t text_len; /* scalars: bytes, excluding the NUL */
    bool is_plain;   /* scalars: unquoted, not a block literal */
    struct RertYamlNode **keys;
    struct RertYamlNode **items;
    size_t count;
    size_t cap;
};

/* The document owns every node through `nodes`, so freeing needs no
 * recursion. */
struct RertYamlDoc {
    char *name;
    struct RertYamlNode *root;
    struct RertYamlNode **nodes;
    size_t node_count;
    size_t node_cap;
};

/* ---- case file */

struct RertCase {
    RertYamlDoc *doc; /* owns every borrowed string of the model */
    char *base_dir;   /* relative paths are resolved against it */
    bool check_files;
    void **allocs; /* every other allocation, freed in rert_case_destroy */
    size_t alloc_count;
    size_t alloc_cap;
    RertCasePatient patient;
    RertCaseCourse *courses;
    size_t course_count;
    RertCaseAlphaBeta alpha_beta;
    RertCaseRecovery recovery;
    RertCaseConstraints constraints;
    RertCaseClassification classification;
    RertCaseReporting reporting;
    RertCaseOptions options;
    RertCaseSelectionEntry *selection;
    size_t selection_count;
};

/* Zeroed array owned by @p c (freed with it). */
void *case_alloc(RertError *err, RertCase *c, size_t n, size_t size);

/* Path value of @p key, resolved against the case folder and, when the case
 * checks files, required to exist (a folder when @p is_dir). *out stays
 * NULL when the key is absent and optional. */
bool case_get_path(RertError *err,
                   RertCase *c,
                   const RertYamlNode *map,
                   const char *key,
                   bool required,
                   bool is_dir,
                   const char **out);

/* List of non-empty strings under @p key (absent: count 0). */
bool case_get_strings(RertError *err,
                      RertCase *c,
                      const RertYamlNode *map,
                      const char *key,
                      bool required,
                      const char *const **out,
                      size_t *count);

/* One of the NULL-terminated @p names; *value = @p first + its index
 * (unchanged when absent). The name arrays below are indexed by enum value;
 * enums whose value 0 never appears in a file pass names + 1, first 1. */
bool case_get_enum(RertError *err,
                   const RertCase *c,
                   const RertYamlNode *map,
                   const char *key,
                   bool required,
                   const char *const *names,
                   int first,
                   int *value);

/* Error at the line of @p key in @p map (or of the map when absent). */
bool case_key_error(RertError *err,
                    const RertCase *c,
                    const RertYamlNode *map,
                    const char *key,
                    const char *fmt,
                    ...) RERT_PRINTF(5, 6);

/* Sections (case_sections.c). */
bool case_parse_patient(RertError *err, RertCase *c, const RertYamlNode *map);
bool case_parse_alpha_beta(RertError *err,
                           RertCase *c,
                           const RertYamlNode *map);
bool case_parse_recovery(RertError *err, RertCase *c, const RertYamlNode *map);
bool case_parse_constraints(RertError *err,
                            RertCase *c,
                            const RertYamlNode *map);
bool case_parse_classification(RertError *err,
                               RertCase *c,
                               const RertYamlNode *map);
bool case_parse_reporting(RertError *err, RertCase *c, const RertYamlNode *map);
bool case_parse_options(RertError *err, RertCase *c, const RertYamlNode *map);
bool case_parse_selection(RertError *err, RertCase *c, const RertYamlNode *map);

/* Courses (case_course.c): parse the list and run the cross-course checks.
 */
bool case_parse_courses(RertError *err, RertCase *c, const RertYamlNode *seq);

/* Stable keys shared by parsing and the *_name() functions. */
extern const char *const case_modality_names[];
extern const char *const case_data_quality_names[];
extern const char *const case_role_names[];
extern const char *const case_dose_type_names[];
extern const char *const case_rbe_names[];
extern const char *const case_registration_names[];
extern const char *const case_recovery_kind_names[];
extern const char *const case_intent_names[];
extern const char *const case_sex_names[];
extern const char *const case_recurrence_names[];

#endif
