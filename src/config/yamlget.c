/* Read access to YAML documents: navigation, key checks, strict typed
 * getters and calendar dates (proleptic Gregorian, days since 1970-01-01;
 * algorithm of H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/yamldoc.h>

#include "internal.h"

/* ---- navigation */

RertYamlKind rert_yaml_kind(const RertYamlNode *node)
{
    return node->kind;
}

size_t rert_yaml_line(const RertYamlNode *node)
{
    return node != NULL ? node->line : 0;
}

const char *rert_yaml_scalar(const RertYamlNode *node)
{
    return node != NULL && node->kind == RERT_YAML_SCALAR ? node->text : NULL;
}

bool rert_yaml_is_null(const RertYamlNode *node)
{
    if (node == NULL || node->kind != RERT_YAML_SCALAR || !node->is_plain) {
        return false;
    }
    const char *t = node->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

size_t rert_yaml_count(const RertYamlNode *node)
{
    return node != NULL && node->kind != RERT_YAML_SCALAR ? node->count : 0;
}

const RertYamlNode *rert_yaml_item(const RertYamlNode *node, size_t index)
{
    if (node == NULL || node->kind != RERT_YAML_SEQUENCE ||
        index >= node->count) {
        return NULL;
    }
    return node->items[index];
}

const char *rert_yaml_key_at(const RertYamlNode *node, size_t index)
{
    if (node == NULL || node->kind != RERT_YAML_MAPPING ||
        index >= node->count) {
        return NULL;
    }
    return node->keys[index]->text;
}

const RertYamlNode *rert_yaml_value_at(const RertYamlNode *node, size_t index)
{
    if (node == NULL || node->kind != RERT_YAML_MAPPING ||
        index >= node->count) {
        return NULL;
    }
    return node->items[index];
}

size_t rert_yaml_key_line_at(const RertYamlNode *node, size_t index)
{
    if (node == NULL || node->kind != RERT_YAML_MAPPING ||
        index >= node->count) {
        return 0;
    }
    return node->keys[index]->line;
}

static bool find_key(const RertYamlNode *map, const char *key, size_t *index)
{
    if (map == NULL || map->kind != RERT_YAML_MAPPING || key == NULL) {
        return false;
    }
    for (size_t i = 0; i < map->count; i++) {
        if (strcmp(map->keys[i]->text, key) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

const RertYamlNode *rert_yaml_get(const RertYamlNode *map, const char *key)
{
    size_t i = 0;
    return find_key(map, key, &i) ? map->items[i] : NULL;
}

size_t rert_yaml_key_line(const RertYamlNode *map, const char *key)
{
    size_t i = 0;
    if (find_key(map, key, &i)) {
        return map->keys[i]->line;
    }
    return map != NULL ? map->line : 0;
}

static const char *kind_name(const RertYamlNode *node)
{
    switch (node->kind) {
    case RERT_YAML_MAPPING:
        return "a mapping";
    case RERT_YAML_SEQUENCE:
        return "a list";
    default:
        return "text";
    }
}

static bool is_allowed(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed != NULL && allowed[i] != NULL; i++) {
        if (strcmp(key, allowed[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* "a, b, c" into @p buf, truncated with "..." when long. */
static void join_names(char *buf, size_t size, const char *const *names)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "",
                         names[i]);
        if (n < 0 || (size_t)n >= size - used) {
            if (size > 4) {
                memcpy(buf + size - 4, "...", 4);
            }
            return;
        }
        used += (size_t)n;
    }
}

bool rert_yaml_check_keys(RertError *err,
                          const RertYamlDoc *doc,
                          const RertYamlNode *map,
                          const char *what,
                          const char *const *allowed)
{
    if (map == NULL || map->kind != RERT_YAML_MAPPING) {
        return rert_yaml_error(err, doc, map,
                               "%s: expected a mapping, found %s", what,
                               map != NULL ? kind_name(map) : "nothing");
    }
    for (size_t i = 0; i < map->count; i++) {
        const RertYamlNode *key = map->keys[i];
        if (!is_allowed(key->text, allowed)) {
            char names[300];
            join_names(names, sizeof names, allowed);
            return rert_yaml_error(err, doc, key,
                                   "unknown key '%.60s' in %s; expected one "
                                   "of: %s",
                                   key->text, what, names);
        }
    }
    return true;
}

/* ---- node conversions */

/* Text of @p node for messages: "a mapping", "a list" or the scalar. */
static const char *shown(const RertYamlNode *node)
{
    if (node->kind != RERT_YAML_SCALAR) {
        return kind_name(node);
    }
    return node->text;
}

static bool type_error(RertError *err,
                       const RertYamlDoc *doc,
                       const RertYamlNode *node,
                       const char *what,
                       const char *type)
{
    if (node->kind != RERT_YAML_SCALAR) {
        return rert_yaml_error(err, doc, node, "%s: expected %s, found %s",
                               what, type, kind_name(node));
    }
    if (rert_yaml_is_null(node)) {
        return rert_yaml_error(err, doc, node,
                               "%s: expected %s, found an empty value", what,
                               type);
    }
    return rert_yaml_error(err, doc, node, "%s: expected %s, found %s'%.80s'%s",
                           what, type, node->is_plain ? "" : "quoted ",
                           shown(node), node->text_len > 80 ? " (cut)" : "");
}

bool rert_yaml_node_string(RertError *err,
                           const RertYamlDoc *doc,
                           const RertYamlNode *node,
                           const char *what,
                           const char **out)
{
    if (node->kind != RERT_YAML_SCALAR || rert_yaml_is_null(node)) {
        return type_error(err, doc, node, what, "text");
    }
    *out = node->text;
    return true;
}

static bool is_plain_scalar(const RertYamlNode *node)
{
    return node->kind == RERT_YAML_SCALAR && node->is_plain &&
           !rert_yaml_is_null(node);
}

bool rert_yaml_node_double(RertError *err,
                           const RertYamlDoc *doc,
                           const RertYamlNode *node,
                           const char *what,
                           double *out)
{
    if (!is_plain_scalar(node) ||
        !rert_parse_double(NULL, node->text, node->text_len, what, out)) {
        return type_error(err, doc, node, what, "a number");
    }
    return true;
}

bool rert_yaml_node_long(RertError *err,
                         const RertYamlDoc *doc,
                         const RertYamlNode *node,
                         const char *what,
                         long min,
                         long max,
                         long *out)
{
    if (!is_plain_scalar(node)) {
        return type_error(err, doc, node, what, "an integer");
    }
    RertError local;
    rert_error_clear(&local);
    long value = 0;
    if (!rert_parse_long(&local, node->text, node->text_len, min, max, what,
                         &value)) {
        /* rert_parse_long names @p what, expected and found. */
        return rert_yaml_error(err, doc, node, "%s", local.message);
    }
    *out = value;
    return true;
}

bool rert_yaml_node_bool(RertError *err,
                         const RertYamlDoc *doc,
                         const RertYamlNode *node,
                         const char *what,
                         bool *out)
{
    if (is_plain_scalar(node) && strcmp(node->text, "true") == 0) {
        *out = true;
        return true;
    }
    if (is_plain_scalar(node) && strcmp(node->text, "false") == 0) {
        *out = false;
        return true;
    }
    return type_error(err, doc, node, what, "true or false");
}

bool rert_yaml_node_date(RertError *err,
                         const RertYamlDoc *doc,
                         const RertYamlNode *node,
                         const char *what,
                         long *days)
{
    if (!is_plain_scalar(node)) {
        return type_error(err, doc, node, what, "a date YYYY-MM-DD");
    }
    RertError local;
    rert_error_clear(&local);
    if (!rert_date_parse(&local, node->text, what, days)) {
        return rert_yaml_error(err, doc, node, "%s", local.message);
    }
    return true;
}

/* ---- keyed getters */

/* Common start of the keyed getters: *node = the value, or NULL when the
 * key is absent and optional. */
static bool lookup(RertError *err,
                   const RertYamlDoc *doc,
                   const RertYamlNode *map,
                   const char *key,
                   bool required,
                   const RertYamlNode **node)
{
    if (map == NULL || map->kind != RERT_YAML_MAPPING) {
        return rert_yaml_error(err, doc, map,
                               "expected a mapping holding '%s', found %s", key,
                               map != NULL ? kind_name(map) : "nothing");
    }
    *node = rert_yaml_get(map, key);
    if (*node == NULL && required) {
        return rert_yaml_error(err, doc, map, "missing required key '%s'", key);
    }
    return true;
}

static void set_present(bool *present, bool value)
{
    if (present != NULL) {
        *present = value;
    }
}

bool rert_yaml_get_string(RertError *err,
                          const RertYamlDoc *doc,
                          const RertYamlNode *map,
                          const char *key,
                          bool required,
                          const char **out)
{
    const RertYamlNode *node = NULL;
    if (!lookup(err, doc, map, key, required, &node)) {
        return false;
    }
    return node == NULL || rert_yaml_node_string(err, doc, node, key, out);
}

bool rert_yaml_get_double(RertError *err,
                          const RertYamlDoc *doc,
                          const RertYamlNode *map,
                          const char *key,
                          bool required,
                          double *out,
                          bool *present)
{
    const RertYamlNode *node = NULL;
    if (!lookup(err, doc, map, key, required, &node)) {
        return false;
    }
    set_present(present, node != NULL);
    return node == NULL || rert_yaml_node_double(err, doc, node, key, out);
}

bool rert_yaml_get_long(RertError *err,
                        const RertYamlDoc *doc,
                        const RertYamlNode *map,
                        const char *key,
                        bool required,
                        long min,
                        long max,
                        long *out,
                        bool *present)
{
    const RertYamlNode *node = NULL;
    if (!lookup(err, doc, map, key, required, &node)) {
        return false;
    }
    set_present(present, node != NULL);
    return node == NULL ||
           rert_yaml_node_long(err, doc, node, key, min, max, out);
}

bool rert_yaml_get_bool(RertError *err,
                        const RertYamlDoc *doc,
                        const RertYamlNode *map,
                        const char *key,
                        bool required,
                        bool *out,
                        bool *present)
{
    const RertYamlNode *node = NULL;
    if (!lookup(err, doc, map, key, required, &node)) {
        return false;
    }
    set_present(present, node != NULL);
    return node == NULL || rert_yaml_node_bool(err, doc, node, key, out);
}

bool rert_yaml_get_date(RertError *err,
                        const RertYamlDoc *doc,
                        const RertYamlNode *map,
                        const char *key,
                        bool required,
                        long *days,
                        bool *present)
{
    const RertYamlNode *node = NULL;
    if (!lookup(err, doc, map, key, required, &node)) {
        return false;
    }
    set_present(present, node != NULL);
    return node == NULL || rert_yaml_node_date(err, doc, node, key, days);
}

bool rert_yaml_get_choice(RertError *err,
                          const RertYamlDoc *doc,
                          const RertYamlNode *map,
                          const char *key,
                          bool required,
                          const char *const *choices,
                          size_t *index,
                          bool *present)
{
    const RertYamlNode *node = NULL;
    if (!lookup(err, doc, map, key, required, &node)) {
        return false;
    }
    set_present(present, node != NULL);
    if (node == NULL) {
        return true;
    }
    if (node->kind == RERT_YAML_SCALAR) {
        for (size_t i = 0; choices != NULL && choices[i] != NULL; i++) {
            if (strcmp(node->text, choices[i]) == 0) {
                *index = i;
                return true;
            }
        }
    }
    char names[300];
    join_names(names, sizeof names, choices);
    return rert_yaml_error(err, doc, node,
                           "%s: expected one of: %s; found '%.60s'", key, names,
                           shown(node));
}

static bool get_collection(RertError *err,
                           const RertYamlDoc *doc,
                           const RertYamlNode *map,
                           const char *key,
                           bool required,
                           RertYamlKind kind,
                           const RertYamlNode **out)
{
    const RertYamlNode *node = NULL;
    if (!lookup(err, doc, map, key, required, &node)) {
        return false;
    }
    if (node == NULL) {
        return true;
    }
    if (node->kind != kind) {
        return type_error(err, doc, node, key,
                          kind == RERT_YAML_MAPPING ? "a mapping" : "a list");
    }
    *out = node;
    return true;
}

bool rert_yaml_get_mapping(RertError *err,
                           const RertYamlDoc *doc,
                           const RertYamlNode *map,
                           const char *key,
                           bool required,
                           const RertYamlNode **out)
{
    return get_collection(err, doc, map, key, required, RERT_YAML_MAPPING, out);
}

bool rert_yaml_get_sequence(RertError *err,
                            const RertYamlDoc *doc,
                            const RertYamlNode *map,
                            const char *key,
                            bool required,
                            const RertYamlNode **out)
{
    return get_collection(err, doc, map, key, required, RERT_YAML_SEQUENCE,
                          out);
}

/* ---- dates */

static bool is_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static long month_days(long y, long m)
{
    static const long days[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2 ? 1 : 0;
    long era = y / 400; /* y >= 0: years start at 1 */
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, size_t n, long *out)
{
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool rert_date_parse(RertError *err,
                     const char *text,
                     const char *what,
                     long *days)
{
    long y = 0;
    long m = 0;
    long d = 0;
    if (text == NULL || strlen(text) != 10 || text[4] != '-' ||
        text[7] != '-' || !digits(text, 4, &y) || !digits(text + 5, 2, &m) ||
        !digits(text + 8, 2, &d) || y < 1) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: expected a date YYYY-MM-DD, found '%.40s'",
                              what, text != NULL ? text : "");
    }
    if (m < 1 || m > 12) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: impossible date '%s' (month %ld is not "
                              "1-12)",
                              what, text, m);
    }
    long dim = month_days(y, m);
    if (d < 1 || d > dim) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: impossible date '%s' (month %02ld of %04ld "
                              "has %ld days)",
                              what, text, m, y, dim);
    }
    *days = days_from_civil(y, m, d);
    return true;
}

void rert_date_format(long days, char *buf, size_t size)
{
    if (buf == NULL || size == 0) {
        return;
    }
    buf[0] = '\0';
    /* 0001-01-01 .. 9999-12-31 */
    if (size < 11 || days < -719162 || days > 2932896) {
        return;
    }
    long z = days + 719468;
    long era = z / 146097; /* z >= 0 for years >= 1 */
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    (void)snprintf(buf, size, "%04ld-%02ld-%02ld", y, m, d);
}
