/* Organ names: canonical names, synonyms and ROI name matching with
 * laterality (data/organ_synonyms.yaml; docs/constraints.md). */
#include <ctype.h>
#include <string.h>

#include <rert/constraints.h>
#include <rert/core.h>

#include "internal.h"

typedef struct Organ {
    char *name;
    bool is_paired;
} Organ;

typedef struct Synonym {
    char *norm; /* normalised name */
    size_t organ;
} Synonym;

struct RertOrganTable {
    Organ *organs;
    size_t organ_count;
    size_t organ_cap;
    Synonym *synonyms;
    size_t synonym_count;
    size_t synonym_cap;
};

/* Side markers, longest first within each side so "left" wins over "l".
 * dx/sx: Italian destra/sinistra; links/rechts: German. */
static const struct {
    const char *text;
    RertLaterality side;
} side_markers[] = {
    {"links", RERT_LATERALITY_LEFT},  {"rechts", RERT_LATERALITY_RIGHT},
    {"right", RERT_LATERALITY_RIGHT}, {"left", RERT_LATERALITY_LEFT},
    {"lt", RERT_LATERALITY_LEFT},     {"rt", RERT_LATERALITY_RIGHT},
    {"sx", RERT_LATERALITY_LEFT},     {"dx", RERT_LATERALITY_RIGHT},
    {"l", RERT_LATERALITY_LEFT},      {"r", RERT_LATERALITY_RIGHT},
};

/* Lower case without spaces, underscores, hyphens and dots. False when
 * the result does not fit ORGAN_NAME_MAX or is empty. */
static bool normalise(const char *name, char out[ORGAN_NAME_MAX])
{
    size_t n = 0;
    for (const char *p = name; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '_' || c == '-' || c == '.' || c == '\t') {
            continue;
        }
        if (n + 1 >= ORGAN_NAME_MAX) {
            return false;
        }
        out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
    return n > 0;
}

RertOrganTable *rert_organ_table_create(RertError *err)
{
    return rert_calloc(err, 1, sizeof(RertOrganTable));
}

void rert_organ_table_destroy(RertOrganTable *table)
{
    if (table == NULL) {
        return;
    }
    for (size_t i = 0; i < table->organ_count; i++) {
        rert_free(table->organs[i].name);
    }
    for (size_t i = 0; i < table->synonym_count; i++) {
        rert_free(table->synonyms[i].norm);
    }
    rert_free(table->organs);
    rert_free(table->synonyms);
    rert_free(table);
}

static const Synonym *find_synonym(const RertOrganTable *table,
                                   const char *norm)
{
    for (size_t i = 0; i < table->synonym_count; i++) {
        if (strcmp(table->synonyms[i].norm, norm) == 0) {
            return &table->synonyms[i];
        }
    }
    return NULL;
}

/* Check every name of one organ before anything is added. */
static bool check_names(RertError *err,
                        const RertOrganTable *table,
                        const char *organ,
                        const char *const *synonyms,
                        size_t count)
{
    char norm[ORGAN_NAME_MAX];
    for (size_t i = 0; i <= count; i++) {
        const char *name = i == 0 ? organ : synonyms[i - 1];
        if (name == NULL || !normalise(name, norm)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "organ '%s': synonym %zu is empty or "
                                  "longer than %d characters",
                                  organ, i, ORGAN_NAME_MAX - 1);
        }
        const Synonym *s = find_synonym(table, norm);
        if (s != NULL) {
            return rert_error_set(
                err, RERT_ERR_INVALID_ARG,
                "organ '%s': name '%s' is already used by organ '%s'", organ,
                name, table->organs[s->organ].name);
        }
    }
    return true;
}

static bool add_synonym(RertError *err,
                        RertOrganTable *table,
                        const char *name,
                        size_t organ)
{
    char norm[ORGAN_NAME_MAX];
    if (!normalise(name, norm) || find_synonym(table, norm) != NULL) {
        return true; /* checked before; duplicates within one organ */
    }
    if (table->synonym_count == table->synonym_cap) {
        size_t cap = table->synonym_cap == 0 ? 64 : table->synonym_cap * 2;
        Synonym *grown =
            rert_realloc_array(err, table->synonyms, cap, sizeof(Synonym));
        if (grown == NULL) {
            return false;
        }
        table->synonyms = grown;
        table->synonym_cap = cap;
    }
    char *copy = rert_strdup(err, norm);
    if (copy == NULL) {
        return false;
    }
    table->synonyms[table->synonym_count].norm = copy;
    table->synonyms[table->synonym_count].organ = organ;
    table->synonym_count++;
    return true;
}

static bool add_organ(RertError *err,
                      RertOrganTable *table,
                      const char *organ,
                      bool is_paired)
{
    if (table->organ_count == table->organ_cap) {
        size_t cap = table->organ_cap == 0 ? 32 : table->organ_cap * 2;
        Organ *grown =
            rert_realloc_array(err, table->organs, cap, sizeof(Organ));
        if (grown == NULL) {
            return false;
        }
        table->organs = grown;
        table->organ_cap = cap;
    }
    char *copy = rert_strdup(err, organ);
    if (copy == NULL) {
        return false;
    }
    table->organs[table->organ_count].name = copy;
    table->organs[table->organ_count].is_paired = is_paired;
    return true; /* organ_count is bumped by the caller once complete */
}

bool rert_organ_table_add(RertError *err,
                          RertOrganTable *table,
                          const char *organ,
                          bool is_paired,
                          const char *const *synonyms,
                          size_t count)
{
    if (table == NULL || organ == NULL || (synonyms == NULL && count > 0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rert_organ_table_add: NULL argument");
    }
    if (!check_names(err, table, organ, synonyms, count) ||
        !add_organ(err, table, organ, is_paired)) {
        return false;
    }
    size_t index = table->organ_count;
    size_t first_synonym = table->synonym_count;
    bool ok = add_synonym(err, table, organ, index);
    for (size_t i = 0; ok && i < count; i++) {
        ok = add_synonym(err, table, synonyms[i], index);
    }
    if (!ok) {
        while (table->synonym_count > first_synonym) {
            rert_free(table->synonyms[--table->synonym_count].norm);
        }
        rert_free(table->organs[index].name);
        return false;
    }
    table->organ_count++;
    return true;
}

size_t rert_organ_table_count(const RertOrganTable *table)
{
    return table != NULL ? table->organ_count : 0;
}

const char *rert_organ_table_organ(const RertOrganTable *table, size_t index)
{
    if (table == NULL || index >= table->organ_count) {
        return NULL;
    }
    return table->organs[index].name;
}

bool rert_organ_table_has(const RertOrganTable *table, const char *organ)
{
    for (size_t i = 0; table != NULL && organ != NULL && i < table->organ_count;
         i++) {
        if (strcmp(table->organs[i].name, organ) == 0) {
            return true;
        }
    }
    return false;
}

/* Paired organ named by norm with the marker cut off, or NULL. */
static const Synonym *paired_synonym(const RertOrganTable *table,
                                     const char *norm,
                                     size_t cut_front,
                                     size_t cut_back)
{
    size_t len = strlen(norm);
    if (cut_front + cut_back >= len) {
        return NULL;
    }
    char rest[ORGAN_NAME_MAX];
    size_t n = len - cut_front - cut_back;
    memcpy(rest, norm + cut_front, n);
    rest[n] = '\0';
    const Synonym *s = find_synonym(table, rest);
    return s != NULL && table->organs[s->organ].is_paired ? s : NULL;
}

static RertOrganMatch match_sided(const RertOrganTable *table, const char *norm)
{
    RertOrganMatch m = {false, NULL, RERT_LATERALITY_NONE};
    size_t len = strlen(norm);
    for (size_t i = 0; i < sizeof side_markers / sizeof side_markers[0]; i++) {
        const char *marker = side_markers[i].text;
        size_t k = strlen(marker);
        if (k >= len) {
            continue;
        }
        const Synonym *s = NULL;
        if (strncmp(norm, marker, k) == 0) {
            s = paired_synonym(table, norm, k, 0);
        }
        if (s == NULL && strcmp(norm + len - k, marker) == 0) {
            s = paired_synonym(table, norm, 0, k);
        }
        if (s != NULL) {
            m.is_matched = true;
            m.organ = table->organs[s->organ].name;
            m.side = side_markers[i].side;
            return m;
        }
    }
    return m;
}

RertOrganMatch rert_organ_table_match(const RertOrganTable *table,
                                      const char *roi_name)
{
    RertOrganMatch m = {false, NULL, RERT_LATERALITY_NONE};
    char norm[ORGAN_NAME_MAX];
    if (table == NULL || roi_name == NULL || !normalise(roi_name, norm)) {
        return m;
    }
    const Synonym *s = find_synonym(table, norm);
    if (s != NULL) {
        m.is_matched = true;
        m.organ = table->organs[s->organ].name;
        return m;
    }
    return match_sided(table, norm);
}

size_t rert_organ_table_match_all(const RertOrganTable *table,
                                  const char *const *roi_names,
                                  size_t count,
                                  RertOrganMatch *matches)
{
    size_t unmatched = 0;
    for (size_t i = 0; roi_names != NULL && matches != NULL && i < count; i++) {
        matches[i] = rert_organ_table_match(table, roi_names[i]);
        unmatched += matches[i].is_matched ? 0u : 1u;
    }
    return unmatched;
}

bool rert_constraint_library_check_organs(RertError *err,
                                          const RertConstraintLibrary *lib,
                                          const RertOrganTable *table)
{
    for (size_t i = 0; i < rert_constraint_library_count(lib); i++) {
        const RertConstraint *c = rert_constraint_library_get(lib, i);
        if (!rert_organ_table_has(table, c->organ)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "constraint '%s': organ '%s' is not a "
                                  "canonical organ name of the organ table",
                                  c->id, c->organ);
        }
    }
    return true;
}
