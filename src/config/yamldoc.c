/* Strict YAML documents: builds a node tree with line numbers from
 * libyaml's event stream (YAML 1.1; anchors, aliases and tags refused). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include <rert/core.h>
#include <rert/io.h>
#include <rert/yamldoc.h>

#include "internal.h"

/* Open collections while parsing; `key` is a mapping's pending key. */
typedef struct Frame {
    RertYamlNode *node;
    RertYamlNode *key;
} Frame;

typedef struct Builder {
    RertYamlDoc *doc;
    Frame stack[RERT_YAML_MAX_DEPTH];
    size_t depth;
    size_t documents;
    bool done;
} Builder;

bool rert_yaml_error(RertError *err,
                     const RertYamlDoc *doc,
                     const RertYamlNode *node,
                     const char *fmt,
                     ...)
{
    char msg[RERT_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *name = doc != NULL && doc->name != NULL ? doc->name : "yaml";
    if (node == NULL) {
        return rert_error_set(err, RERT_ERR_PARSE, "%s: %s", name, msg);
    }
    return rert_error_set(err, RERT_ERR_PARSE, "%s:%zu: %s", name, node->line,
                          msg);
}

/* Error at a libyaml mark (0-based line). */
static bool error_at(RertError *err,
                     const RertYamlDoc *doc,
                     const yaml_mark_t *mark,
                     const char *msg)
{
    return rert_error_set(err, RERT_ERR_PARSE, "%s:%zu: %s", doc->name,
                          mark->line + 1, msg);
}

void rert_yaml_destroy(RertYamlDoc *doc)
{
    if (doc == NULL) {
        return;
    }
    for (size_t i = 0; i < doc->node_count; i++) {
        RertYamlNode *n = doc->nodes[i];
        rert_free(n->text);
        rert_free(n->keys);
        rert_free(n->items);
        rert_free(n);
    }
    rert_free(doc->nodes);
    rert_free(doc->name);
    rert_free(doc);
}

static RertYamlNode *
new_node(RertError *err, RertYamlDoc *doc, RertYamlKind kind, size_t line)
{
    if (doc->node_count >= RERT_YAML_MAX_NODES) {
        rert_error_set(err, RERT_ERR_LIMIT,
                       "%s:%zu: more than %zu YAML nodes in one document",
                       doc->name, line, RERT_YAML_MAX_NODES);
        return NULL;
    }
    if (doc->node_count == doc->node_cap) {
        size_t cap = doc->node_cap == 0 ? 64 : doc->node_cap * 2;
        RertYamlNode **grown = rert_realloc_array(
            err, doc->nodes, cap,
            sizeof *grown); // NOLINT(bugprone-sizeof-expression)
        if (grown == NULL) {
            return NULL;
        }
        doc->nodes = grown;
        doc->node_cap = cap;
    }
    RertYamlNode *n = rert_calloc(err, 1, sizeof *n);
    if (n == NULL) {
        return NULL;
    }
    n->kind = kind;
    n->line = line;
    doc->nodes[doc->node_count++] = n;
    return n;
}

/* Append a child (and its key for mappings) to collection @p parent. */
static bool append_child(RertError *err,
                         RertYamlNode *parent,
                         RertYamlNode *key,
                         RertYamlNode *value)
{
    if (parent->count == parent->cap) {
        size_t cap = parent->cap == 0 ? 8 : parent->cap * 2;
        RertYamlNode **items = rert_realloc_array(
            err, parent->items, cap,
            sizeof *items); // NOLINT(bugprone-sizeof-expression)
        if (items == NULL) {
            return false;
        }
        parent->items = items;
        if (parent->kind == RERT_YAML_MAPPING) {
            RertYamlNode **keys = rert_realloc_array(
                err, parent->keys, cap,
                sizeof *keys); // NOLINT(bugprone-sizeof-expression)
            if (keys == NULL) {
                return false;
            }
            parent->keys = keys;
        }
        parent->cap = cap;
    }
    if (parent->kind == RERT_YAML_MAPPING) {
        parent->keys[parent->count] = key;
    }
    parent->items[parent->count++] = value;
    return true;
}

/* Place a finished or newly opened node into the tree. */
static bool attach(RertError *err, Builder *b, RertYamlNode *node)
{
    if (b->depth == 0) {
        b->doc->root = node;
        return true;
    }
    Frame *top = &b->stack[b->depth - 1];
    if (top->node->kind == RERT_YAML_SEQUENCE) {
        return append_child(err, top->node, NULL, node);
    }
    if (top->key == NULL) {
        if (node->kind != RERT_YAML_SCALAR) {
            return rert_yaml_error(
                err, b->doc, node,
                "mapping keys must be plain text, found a "
                "%s",
                node->kind == RERT_YAML_MAPPING ? "mapping" : "sequence");
        }
        top->key = node;
        return true;
    }
    RertYamlNode *key = top->key;
    top->key = NULL;
    return append_child(err, top->node, key, node);
}

/* Arrays below hold node pointers, so sizeof *p is a pointer size on purpose
 * (bugprone-sizeof-expression is suppressed for that). */
static int compare_keys(const void *a, const void *b)
{
    const RertYamlNode *ka = *(const RertYamlNode *const *)a;
    const RertYamlNode *kb = *(const RertYamlNode *const *)b;
    int c = strcmp(ka->text, kb->text);
    if (c != 0) {
        return c;
    }
    return ka->line < kb->line ? -1 : ka->line > kb->line;
}

/* Refuse duplicate keys: sort a copy of the keys, compare neighbours. */
static bool check_duplicates(RertError *err,
                             const RertYamlDoc *doc,
                             const RertYamlNode *map)
{
    if (map->count < 2) {
        return true;
    }
    RertYamlNode **sorted = rert_calloc(
        err, map->count, sizeof *sorted); // NOLINT(bugprone-sizeof-expression)
    if (sorted == NULL) {
        return false;
    }
    memcpy(sorted, map->keys,
           map->count * sizeof *sorted); // NOLINT(bugprone-sizeof-expression)
    size_t item_size = sizeof *sorted;   // NOLINT(bugprone-sizeof-expression)
    qsort(sorted, map->count, item_size, compare_keys);
    bool ok = true;
    for (size_t i = 1; i < map->count && ok; i++) {
        if (strcmp(sorted[i - 1]->text, sorted[i]->text) == 0) {
            ok = rert_yaml_error(err, doc, sorted[i],
                                 "duplicate key '%s' (first on line %zu)",
                                 sorted[i]->text, sorted[i - 1]->line);
        }
    }
    rert_free(sorted);
    return ok;
}

/* Anchors and tags are refused: the tree has no sharing, and a type is
 * decided by the reading code, never by the file. */
static bool refuse_anchor_tag(RertError *err,
                              const RertYamlDoc *doc,
                              const yaml_event_t *ev,
                              const yaml_char_t *anchor,
                              const yaml_char_t *tag)
{
    char msg[256];
    if (anchor != NULL) {
        (void)snprintf(msg, sizeof msg,
                       "YAML anchors are not supported (found '&%.60s'); "
                       "write the values out",
                       (const char *)anchor);
        return error_at(err, doc, &ev->start_mark, msg);
    }
    if (tag != NULL) {
        (void)snprintf(msg, sizeof msg,
                       "YAML tags are not supported (found '%.60s')",
                       (const char *)tag);
        return error_at(err, doc, &ev->start_mark, msg);
    }
    return true;
}

static bool on_scalar(RertError *err, Builder *b, const yaml_event_t *ev)
{
    const yaml_char_t *tag = ev->data.scalar.tag;
    /* libyaml reports the implicit "!" tag of quoted scalars as NULL; an
     * explicit non-specific "!" is still a tag we refuse. */
    if (!refuse_anchor_tag(err, b->doc, ev, ev->data.scalar.anchor, tag)) {
        return false;
    }
    size_t len = ev->data.scalar.length;
    const char *value = (const char *)ev->data.scalar.value;
    if (memchr(value, '\0', len) != NULL) {
        return error_at(err, b->doc, &ev->start_mark,
                        "text contains a NUL character");
    }
    RertYamlNode *n =
        new_node(err, b->doc, RERT_YAML_SCALAR, ev->start_mark.line + 1);
    if (n == NULL) {
        return false;
    }
    n->text = rert_strndup(err, value, len);
    if (n->text == NULL) {
        return false;
    }
    n->text_len = len;
    n->is_plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return attach(err, b, n);
}

static bool
on_start(RertError *err, Builder *b, const yaml_event_t *ev, RertYamlKind kind)
{
    bool is_map = kind == RERT_YAML_MAPPING;
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag =
        is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    if (!refuse_anchor_tag(err, b->doc, ev, anchor, tag)) {
        return false;
    }
    if (b->depth >= RERT_YAML_MAX_DEPTH) {
        return rert_error_set(
            err, RERT_ERR_LIMIT, "%s:%zu: YAML nesting deeper than %d levels",
            b->doc->name, ev->start_mark.line + 1, RERT_YAML_MAX_DEPTH);
    }
    RertYamlNode *n = new_node(err, b->doc, kind, ev->start_mark.line + 1);
    if (n == NULL || !attach(err, b, n)) {
        return false;
    }
    b->stack[b->depth].node = n;
    b->stack[b->depth].key = NULL;
    b->depth++;
    return true;
}

static bool on_end(RertError *err, Builder *b)
{
    if (RERT_NEVER(b->depth == 0)) {
        return rert_error_set(err, RERT_ERR_INTERNAL,
                              "%s: unbalanced YAML collection end",
                              b->doc->name);
    }
    b->depth--;
    const RertYamlNode *n = b->stack[b->depth].node;
    if (n->kind == RERT_YAML_MAPPING) {
        return check_duplicates(err, b->doc, n);
    }
    return true;
}

static bool on_event(RertError *err, Builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1) {
            return error_at(err, b->doc, &ev->start_mark,
                            "several YAML documents in one file; expected "
                            "one (remove the second '---')");
        }
        return true;
    case YAML_ALIAS_EVENT:
        return error_at(err, b->doc, &ev->start_mark,
                        "YAML aliases ('*name') are not supported; write "
                        "the values out");
    case YAML_SCALAR_EVENT:
        return on_scalar(err, b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(err, b, ev, RERT_YAML_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return on_start(err, b, ev, RERT_YAML_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(err, b);
    case YAML_STREAM_END_EVENT:
        b->done = true;
        return true;
    default:
        return true;
    }
}

static bool
parser_error(RertError *err, const RertYamlDoc *doc, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR) {
        return rert_error_set(err, RERT_ERR_NOMEM,
                              "%s: out of memory while parsing YAML",
                              doc->name);
    }
    const char *problem = p->problem != NULL ? p->problem : "invalid YAML";
    if (p->context != NULL) {
        return rert_error_set(err, RERT_ERR_PARSE, "%s:%zu:%zu: %s %s",
                              doc->name, p->problem_mark.line + 1,
                              p->problem_mark.column + 1, problem, p->context);
    }
    return rert_error_set(err, RERT_ERR_PARSE, "%s:%zu:%zu: %s", doc->name,
                          p->problem_mark.line + 1, p->problem_mark.column + 1,
                          problem);
}

static bool
run_parser(RertError *err, RertYamlDoc *doc, const char *text, size_t size)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        return rert_error_set(err, RERT_ERR_NOMEM,
                              "%s: cannot initialise the YAML parser",
                              doc->name);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, size);
    Builder b;
    memset(&b, 0, sizeof b);
    b.doc = doc;
    bool ok = true;
    while (ok && !b.done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            ok = parser_error(err, doc, &parser);
            break;
        }
        ok = on_event(err, &b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return ok;
}

static RertYamlDoc *parse_limited(RertError *err,
                                  const char *text,
                                  size_t size,
                                  const char *name,
                                  size_t limit)
{
    const char *label = name != NULL ? name : "yaml";
    if (text == NULL && size > 0) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "%s: NULL YAML text", label);
        return NULL;
    }
    if (size > limit) {
        rert_error_set(err, RERT_ERR_LIMIT,
                       "%s: YAML text of %zu bytes is larger than the limit "
                       "of %zu bytes",
                       label, size, limit);
        return NULL;
    }
    RertYamlDoc *doc = rert_calloc(err, 1, sizeof *doc);
    if (doc == NULL) {
        return NULL;
    }
    doc->name = rert_strdup(err, label);
    if (doc->name == NULL ||
        !run_parser(err, doc, size > 0 ? text : "", size)) {
        rert_yaml_destroy(doc);
        return NULL;
    }
    return doc;
}

RertYamlDoc *
rert_yaml_parse(RertError *err, const char *text, size_t size, const char *name)
{
    return parse_limited(err, text, size, name, RERT_YAML_DEFAULT_MAX_BYTES);
}

RertYamlDoc *rert_yaml_load(RertError *err, const char *path, size_t max_bytes)
{
    if (path == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "YAML path is NULL");
        return NULL;
    }
    size_t limit = max_bytes == 0 ? RERT_YAML_DEFAULT_MAX_BYTES : max_bytes;
    RertBytes bytes = {NULL, 0};
    if (!rert_file_load(err, path, limit, &bytes)) {
        return NULL;
    }
    RertYamlDoc *doc =
        parse_limited(err, (const char *)bytes.data, bytes.size, path, limit);
    rert_bytes_clear(&bytes);
    return doc;
}

const RertYamlNode *rert_yaml_root(const RertYamlDoc *doc)
{
    return doc != NULL ? doc->root : NULL;
}

const char *rert_yaml_name(const RertYamlDoc *doc)
{
    return doc != NULL ? doc->name : NULL;
}
