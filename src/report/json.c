/* Streaming JSON writer (RFC 8259) with structure checks and sticky
 * failure; strings and numbers are escaped and formatted by text.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void rert_json_writer_init(RertJsonWriter *w, RertStrbuf *out, bool is_pretty)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->is_pretty = is_pretty;
    rert_error_clear(&w->first_error);
}

/* Record the failure in @p local as the writer's first error and copy it
 * to @p err. Always false. */
static bool fail_with(RertError *err, RertJsonWriter *w, const RertError *local)
{
    w->has_failed = true;
    w->first_error = *local;
    if (err != NULL) {
        *err = *local;
    }
    return false;
}

static bool misuse(RertError *err, RertJsonWriter *w, const char *what)
{
    RertError local;
    (void)rert_error_set(&local, RERT_ERR_INVALID_ARG, "JSON writer: %s", what);
    return fail_with(err, w, &local);
}

/* Append raw text, recording a failure. */
static bool emit(RertError *err, RertJsonWriter *w, const char *s, size_t n)
{
    RertError local;
    rert_error_clear(&local);
    if (!rert_strbuf_append(&local, w->out, s, n)) {
        return fail_with(err, w, &local);
    }
    return true;
}

/* Separator and indentation before a member or element at the current
 * depth. */
static bool emit_separator(RertError *err, RertJsonWriter *w)
{
    size_t level = w->depth - 1;
    if (w->count[level] > 0 && !emit(err, w, ",", 1)) {
        return false;
    }
    w->count[level]++;
    if (!w->is_pretty || !emit(err, w, "\n", 1)) {
        return !w->is_pretty;
    }
    for (size_t i = 0; i < w->depth; i++) {
        if (!emit(err, w, "  ", 2)) {
            return false;
        }
    }
    return true;
}

/* Checks and separator before any value. */
static bool begin_value(RertError *err, RertJsonWriter *w)
{
    if (w->has_failed) {
        return false;
    }
    if (w->is_done) {
        return misuse(err, w, "a second top-level value");
    }
    if (w->depth == 0) {
        return true;
    }
    if (w->kind[w->depth - 1] == '{') {
        if (!w->is_after_key) {
            return misuse(err, w, "object member value without a key");
        }
        w->is_after_key = false;
        return true;
    }
    return emit_separator(err, w);
}

/* After a complete value: at top level the document is done. */
static bool end_value(RertJsonWriter *w)
{
    if (w->depth == 0) {
        w->is_done = true;
    }
    return true;
}

static bool scalar(RertError *err, RertJsonWriter *w, const char *text)
{
    return begin_value(err, w) && emit(err, w, text, strlen(text)) &&
           end_value(w);
}

static bool container_begin(RertError *err, RertJsonWriter *w, char kind)
{
    if (!begin_value(err, w)) {
        return false;
    }
    if (w->depth >= RERT_JSON_MAX_DEPTH) {
        return misuse(err, w, "nesting deeper than RERT_JSON_MAX_DEPTH (32)");
    }
    w->kind[w->depth] = kind;
    w->count[w->depth] = 0;
    w->depth++;
    return emit(err, w, &kind, 1);
}

static bool container_end(RertError *err, RertJsonWriter *w, char kind)
{
    if (w->has_failed) {
        return false;
    }
    if (w->depth == 0 || w->kind[w->depth - 1] != kind) {
        return misuse(err, w,
                      kind == '{' ? "object end without a matching begin"
                                  : "array end without a matching begin");
    }
    if (w->is_after_key) {
        return misuse(err, w, "object ends after a key without a value");
    }
    bool had_members = w->count[w->depth - 1] > 0;
    w->depth--;
    if (w->is_pretty && had_members) {
        if (!emit(err, w, "\n", 1)) {
            return false;
        }
        for (size_t i = 0; i < w->depth; i++) {
            if (!emit(err, w, "  ", 2)) {
                return false;
            }
        }
    }
    char close = kind == '{' ? '}' : ']';
    return emit(err, w, &close, 1) && end_value(w);
}

bool rert_json_object_begin(RertError *err, RertJsonWriter *w)
{
    return container_begin(err, w, '{');
}

bool rert_json_object_end(RertError *err, RertJsonWriter *w)
{
    return container_end(err, w, '{');
}

bool rert_json_array_begin(RertError *err, RertJsonWriter *w)
{
    return container_begin(err, w, '[');
}

bool rert_json_array_end(RertError *err, RertJsonWriter *w)
{
    return container_end(err, w, '[');
}

bool rert_json_write_key(RertError *err, RertJsonWriter *w, const char *key)
{
    if (w->has_failed) {
        return false;
    }
    if (key == NULL) {
        return misuse(err, w, "NULL key");
    }
    if (w->depth == 0 || w->kind[w->depth - 1] != '{') {
        return misuse(err, w, "key outside an object");
    }
    if (w->is_after_key) {
        return misuse(err, w, "two keys in a row");
    }
    if (!emit_separator(err, w)) {
        return false;
    }
    RertError local;
    rert_error_clear(&local);
    if (!rert_json_escape(&local, w->out, key, strlen(key))) {
        return fail_with(err, w, &local);
    }
    w->is_after_key = true;
    return w->is_pretty ? emit(err, w, ": ", 2) : emit(err, w, ":", 1);
}

bool rert_json_write_string(RertError *err, RertJsonWriter *w, const char *s)
{
    if (s == NULL) {
        return rert_json_write_null(err, w);
    }
    if (!begin_value(err, w)) {
        return false;
    }
    RertError local;
    rert_error_clear(&local);
    if (!rert_json_escape(&local, w->out, s, strlen(s))) {
        return fail_with(err, w, &local);
    }
    return end_value(w);
}

bool rert_json_write_number(RertError *err, RertJsonWriter *w, double value)
{
    char buf[RERT_NUMBER_TEXT_SIZE];
    if (!rert_number_format(buf, value)) {
        return scalar(err, w, "null");
    }
    return scalar(err, w, buf);
}

bool rert_json_write_int(RertError *err, RertJsonWriter *w, int64_t value)
{
    char buf[32];
    (void)snprintf(buf, sizeof buf, "%" PRId64, value);
    return scalar(err, w, buf);
}

bool rert_json_write_bool(RertError *err, RertJsonWriter *w, bool value)
{
    return scalar(err, w, value ? "true" : "false");
}

bool rert_json_write_null(RertError *err, RertJsonWriter *w)
{
    return scalar(err, w, "null");
}

bool rert_json_write_key_string(RertError *err,
                                RertJsonWriter *w,
                                const char *key,
                                const char *s)
{
    return rert_json_write_key(err, w, key) &&
           rert_json_write_string(err, w, s);
}

bool rert_json_write_key_number(RertError *err,
                                RertJsonWriter *w,
                                const char *key,
                                double value)
{
    return rert_json_write_key(err, w, key) &&
           rert_json_write_number(err, w, value);
}

bool rert_json_write_key_int(RertError *err,
                             RertJsonWriter *w,
                             const char *key,
                             int64_t value)
{
    return rert_json_write_key(err, w, key) &&
           rert_json_write_int(err, w, value);
}

bool rert_json_write_key_bool(RertError *err,
                              RertJsonWriter *w,
                              const char *key,
                              bool value)
{
    return rert_json_write_key(err, w, key) &&
           rert_json_write_bool(err, w, value);
}

bool rert_json_writer_finish(RertError *err, RertJsonWriter *w)
{
    if (w->has_failed) {
        if (err != NULL) {
            *err = w->first_error;
        }
        return false;
    }
    if (!w->is_done) {
        if (w->depth == 0) {
            return misuse(err, w, "document has no value");
        }
        RertError local;
        (void)rert_error_set(&local, RERT_ERR_INVALID_ARG,
                             "JSON writer: document incomplete, %zu "
                             "container(s) still open%s",
                             w->depth,
                             w->is_after_key ? " and a key without value" : "");
        return fail_with(err, w, &local);
    }
    return !w->is_pretty || emit(err, w, "\n", 1);
}
