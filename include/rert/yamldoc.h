/**
 * @file yamldoc.h
 * Strict YAML documents for case files and data files (constraint
 * library, organ synonyms): a read-only node tree with line numbers, on top
 * of libyaml. Every accessor that can fail names the file, line and key,
 * what was expected and what was found. Unknown keys are errors: use
 * rert_yaml_check_keys() on every mapping.
 *
 * What is accepted: one document of block or flow YAML 1.1 made of
 * mappings, sequences and scalars. Refused at parse time (PARSE errors with
 * file and line): several documents in one stream, anchors and aliases
 * (&a, *a, and so also "<<" merges of aliases), explicit tags (!!str, !x),
 * mapping keys that are not scalars, duplicate keys in one mapping, and
 * scalars containing a NUL character. Limits (LIMIT errors): the text size
 * (RERT_YAML_DEFAULT_MAX_BYTES unless the caller gives another), nesting
 * depth RERT_YAML_MAX_DEPTH and RERT_YAML_MAX_NODES nodes.
 *
 * Typing is strict and never guessed: numbers, booleans and dates must be
 * plain (unquoted) scalars; numbers go through rert_parse_double() /
 * rert_parse_long() (no hex, inf, nan, "1_000"); booleans are exactly
 * `true` or `false`; dates are `YYYY-MM-DD`, checked against the calendar
 * (leap years included). Strings may be plain or quoted; an empty value or
 * `~`/`null` is not a string.
 *
 * Threads: a document is read-only after parsing; distinct documents may be
 * used from distinct threads, and one document may be read from several
 * threads at once.
 */
#ifndef RERT_YAMLDOC_H
#define RERT_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/error.h>

/** Size limit used by rert_yaml_parse() and by rert_yaml_load() when its
 * @p max_bytes is 0: 16 MiB, far above any case or data file. */
#define RERT_YAML_DEFAULT_MAX_BYTES ((size_t)16 * 1024 * 1024)
/** Deepest nesting of collections accepted. */
#define RERT_YAML_MAX_DEPTH 64
/** Most nodes (scalars, keys and collections) in one document. */
#define RERT_YAML_MAX_NODES ((size_t)1000000)

/** A parsed YAML document. Opaque. */
typedef struct RertYamlDoc RertYamlDoc;
/** A node of a document (borrowed from it). Opaque. */
typedef struct RertYamlNode RertYamlNode;

/** Kind of a node. */
typedef enum RertYamlKind {
    RERT_YAML_SCALAR = 0,
    RERT_YAML_SEQUENCE,
    RERT_YAML_MAPPING,
} RertYamlKind;

/**
 * Load and parse the YAML file @p path.
 * @param max_bytes largest file accepted; 0 means RERT_YAML_DEFAULT_MAX_BYTES.
 * @return the document, or NULL on error.
 * Errors: IO (naming the path), LIMIT, NOMEM, PARSE ("<path>:<line>:<col>:
 * <libyaml problem>" or one of the refusals listed in the file comment).
 * Ownership: new, free with rert_yaml_destroy(). Threads: reentrant.
 */
RERT_API RertYamlDoc *
rert_yaml_load(RertError *err, const char *path, size_t max_bytes);
/**
 * Parse @p size bytes of YAML text (not necessarily NUL-terminated).
 * @param name names the text in messages (e.g. a file path); copied.
 * @return the document, or NULL on error.
 * Errors: as rert_yaml_load() minus IO; LIMIT above
 * RERT_YAML_DEFAULT_MAX_BYTES. Ownership: new, rert_yaml_destroy().
 * Threads: reentrant.
 */
RERT_API RertYamlDoc *rert_yaml_parse(RertError *err,
                                      const char *text,
                                      size_t size,
                                      const char *name);
/** Free @p doc and all its nodes. NULL allowed. */
RERT_API void rert_yaml_destroy(RertYamlDoc *doc);
/** The root node, or NULL for an empty document. Borrowed from @p doc. */
RERT_API const RertYamlNode *rert_yaml_root(const RertYamlDoc *doc);
/** The name given at load/parse (file path). Borrowed from @p doc. */
RERT_API const char *rert_yaml_name(const RertYamlDoc *doc);

/** Kind of @p node. */
RERT_API RertYamlKind rert_yaml_kind(const RertYamlNode *node);
/** 1-based line of the node in its file. */
RERT_API size_t rert_yaml_line(const RertYamlNode *node);
/** Scalar text (borrowed, NUL-terminated); NULL for non-scalars. */
RERT_API const char *rert_yaml_scalar(const RertYamlNode *node);
/** True for a plain scalar that YAML reads as null: empty, `~`, `null`,
 * `Null` or `NULL` (e.g. `key:` with nothing after it). */
RERT_API bool rert_yaml_is_null(const RertYamlNode *node);
/** Items of a sequence or pairs of a mapping (0 for scalars). */
RERT_API size_t rert_yaml_count(const RertYamlNode *node);
/** Item @p index of a sequence (NULL when out of range or not a sequence). */
RERT_API const RertYamlNode *rert_yaml_item(const RertYamlNode *node,
                                            size_t index);
/** Key text of pair @p index of a mapping (NULL when out of range). */
RERT_API const char *rert_yaml_key_at(const RertYamlNode *node, size_t index);
/** Value of pair @p index of a mapping (NULL when out of range). */
RERT_API const RertYamlNode *rert_yaml_value_at(const RertYamlNode *node,
                                                size_t index);
/** 1-based line of the key of pair @p index (0 when out of range). */
RERT_API size_t rert_yaml_key_line_at(const RertYamlNode *node, size_t index);
/** Value of key @p key in a mapping, or NULL when absent (or @p map is not
 * a mapping). */
RERT_API const RertYamlNode *rert_yaml_get(const RertYamlNode *map,
                                           const char *key);
/** 1-based line of key @p key in @p map; the map's own line when absent. */
RERT_API size_t rert_yaml_key_line(const RertYamlNode *map, const char *key);

/**
 * Fail when @p map is not a mapping, has a key not in the NULL-terminated
 * list @p allowed (message: "<file>:<line>: unknown key 'x' in <what>;
 * expected one of: a, b, c"), or has a duplicate key (also refused at
 * parse time). Errors: PARSE. Threads: reentrant.
 */
RERT_API bool rert_yaml_check_keys(RertError *err,
                                   const RertYamlDoc *doc,
                                   const RertYamlNode *map,
                                   const char *what,
                                   const char *const *allowed);

/* Typed getters for key @p key of mapping @p map. `required` ones fail when
 * the key is absent ("<file>:<line>: missing required key '<key>'"); when
 * not required and absent they return true, leave @p out untouched and set
 * *present = false (@p present may be NULL). All fail on the wrong type
 * with "<file>:<line>: <key>: expected <type>, found '<text>'" (code
 * PARSE). @p map must be a mapping. Threads: reentrant. */

/** String value (any non-null scalar). *out is borrowed from @p doc. */
RERT_API bool rert_yaml_get_string(RertError *err,
                                   const RertYamlDoc *doc,
                                   const RertYamlNode *map,
                                   const char *key,
                                   bool required,
                                   const char **out);
/** Finite decimal number (rert_parse_double() syntax). */
RERT_API bool rert_yaml_get_double(RertError *err,
                                   const RertYamlDoc *doc,
                                   const RertYamlNode *map,
                                   const char *key,
                                   bool required,
                                   double *out,
                                   bool *present);
/** Decimal integer in [@p min, @p max]. */
RERT_API bool rert_yaml_get_long(RertError *err,
                                 const RertYamlDoc *doc,
                                 const RertYamlNode *map,
                                 const char *key,
                                 bool required,
                                 long min,
                                 long max,
                                 long *out,
                                 bool *present);
/** Boolean: exactly `true` or `false`. */
RERT_API bool rert_yaml_get_bool(RertError *err,
                                 const RertYamlDoc *doc,
                                 const RertYamlNode *map,
                                 const char *key,
                                 bool required,
                                 bool *out,
                                 bool *present);
/** Date "YYYY-MM-DD" (validated calendar date) -> days since 1970-01-01. */
RERT_API bool rert_yaml_get_date(RertError *err,
                                 const RertYamlDoc *doc,
                                 const RertYamlNode *map,
                                 const char *key,
                                 bool required,
                                 long *days,
                                 bool *present);
/**
 * One of the NULL-terminated @p choices (exact, case-sensitive match).
 * *index is the position of the match in @p choices. Message on mismatch:
 * "<file>:<line>: <key>: expected one of: a, b; found 'x'".
 */
RERT_API bool rert_yaml_get_choice(RertError *err,
                                   const RertYamlDoc *doc,
                                   const RertYamlNode *map,
                                   const char *key,
                                   bool required,
                                   const char *const *choices,
                                   size_t *index,
                                   bool *present);
/** Value that must be a mapping (*out borrowed; unchanged when absent). */
RERT_API bool rert_yaml_get_mapping(RertError *err,
                                    const RertYamlDoc *doc,
                                    const RertYamlNode *map,
                                    const char *key,
                                    bool required,
                                    const RertYamlNode **out);
/** Value that must be a sequence (*out borrowed; unchanged when absent). */
RERT_API bool rert_yaml_get_sequence(RertError *err,
                                     const RertYamlDoc *doc,
                                     const RertYamlNode *map,
                                     const char *key,
                                     bool required,
                                     const RertYamlNode **out);

/* Conversions of one node (e.g. a sequence item); @p what names it in the
 * message ("<file>:<line>: <what>: expected <type>, found '<text>'"). */

/** Non-null scalar text (borrowed). */
RERT_API bool rert_yaml_node_string(RertError *err,
                                    const RertYamlDoc *doc,
                                    const RertYamlNode *node,
                                    const char *what,
                                    const char **out);
/** Finite decimal number. */
RERT_API bool rert_yaml_node_double(RertError *err,
                                    const RertYamlDoc *doc,
                                    const RertYamlNode *node,
                                    const char *what,
                                    double *out);
/** Decimal integer in [@p min, @p max]. */
RERT_API bool rert_yaml_node_long(RertError *err,
                                  const RertYamlDoc *doc,
                                  const RertYamlNode *node,
                                  const char *what,
                                  long min,
                                  long max,
                                  long *out);
/** `true` or `false`. */
RERT_API bool rert_yaml_node_bool(RertError *err,
                                  const RertYamlDoc *doc,
                                  const RertYamlNode *node,
                                  const char *what,
                                  bool *out);
/** Date "YYYY-MM-DD" -> days since 1970-01-01. */
RERT_API bool rert_yaml_node_date(RertError *err,
                                  const RertYamlDoc *doc,
                                  const RertYamlNode *node,
                                  const char *what,
                                  long *days);

/**
 * Parse a calendar date "YYYY-MM-DD" (exactly 10 characters, year
 * 0001-9999, proleptic Gregorian calendar) into days since 1970-01-01.
 * Errors: PARSE "<what>: expected a date YYYY-MM-DD, found '...'" or
 * "<what>: impossible date '2023-02-30' (February 2023 has 28 days)".
 */
RERT_API bool
rert_date_parse(RertError *err, const char *text, const char *what, long *days);
/** Write days since 1970-01-01 as "YYYY-MM-DD" into @p buf (at least 11
 * bytes; shorter buffers get ""). Dates outside years 1-9999 give "". */
RERT_API void rert_date_format(long days, char *buf, size_t size);

/** Node error helper: "<file>:<line>: <message>" with code PARSE. Always
 * returns false. @p node may be NULL (then no line is given). */
RERT_API bool rert_yaml_error(RertError *err,
                              const RertYamlDoc *doc,
                              const RertYamlNode *node,
                              const char *fmt,
                              ...) RERT_PRINTF(4, 5);

#endif
