/* Growable strings with a hard maximum size (CURL dynbuf style). */
#include <stdio.h>
#include <string.h>

#include <rert/core.h>

void rert_strbuf_init(RertStrbuf *sb, size_t max_len)
{
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->max_len = max_len;
}

void rert_strbuf_clear(RertStrbuf *sb)
{
    rert_free(sb->data);
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
}

static bool reserve(RertError *err, RertStrbuf *sb, size_t extra)
{
    size_t need;
    if (!rert_add_size(err, sb->len, extra, &need)) {
        return false;
    }
    if (need > sb->max_len) {
        /* Spelled out (not "return rert_error_set(...)") so that the static
         * analyser sees that sb->data is unchanged only on failure. */
        (void)rert_error_set(err, RERT_ERR_LIMIT,
                             "text would grow to %zu bytes, limit %zu", need,
                             sb->max_len);
        return false;
    }
    if (sb->data != NULL && need + 1 <= sb->cap) {
        return true;
    }
    size_t cap = sb->cap < 64 ? 64 : sb->cap;
    while (cap < need + 1) {
        cap = cap > SIZE_MAX / 2 ? need + 1 : cap * 2;
    }
    char *fresh = rert_realloc_array(err, sb->data, cap, 1);
    if (fresh == NULL) {
        return false;
    }
    sb->data = fresh;
    sb->cap = cap;
    return true;
}

bool rert_strbuf_append(RertError *err, RertStrbuf *sb, const char *s, size_t n)
{
    if (!reserve(err, sb, n)) {
        return false;
    }
    if (n > 0) {
        memcpy(sb->data + sb->len, s, n);
    }
    sb->len += n;
    sb->data[sb->len] = '\0';
    return true;
}

bool rert_strbuf_puts(RertError *err, RertStrbuf *sb, const char *s)
{
    return rert_strbuf_append(err, sb, s, strlen(s));
}

bool rert_strbuf_printf(RertError *err, RertStrbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        va_end(ap);
        return rert_error_set(err, RERT_ERR_INTERNAL, "bad format '%s'", fmt);
    }
    if (!reserve(err, sb, (size_t)n)) {
        va_end(ap);
        return false;
    }
    (void)vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return true;
}

char *rert_strbuf_take(RertError *err, RertStrbuf *sb)
{
    if (sb->data == NULL && !reserve(err, sb, 0)) {
        return NULL;
    }
    if (sb->len == 0) {
        sb->data[0] = '\0';
    }
    char *out = sb->data;
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    return out;
}
