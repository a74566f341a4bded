/* Checked size arithmetic and strict, locale-independent number parsing. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>

bool rert_mul_size(RertError *err, size_t a, size_t b, size_t *out)
{
    if (__builtin_mul_overflow(a, b, out)) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "size %zu x %zu overflows size_t", a, b);
    }
    return true;
}

bool rert_add_size(RertError *err, size_t a, size_t b, size_t *out)
{
    if (__builtin_add_overflow(a, b, out)) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "size %zu + %zu overflows size_t", a, b);
    }
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* Trim spaces (and DICOM NUL padding) from both ends. */
static void trim(const char **text, size_t *len)
{
    while (*len > 0 && is_space((*text)[0])) {
        (*text)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*text)[*len - 1])) {
        (*len)--;
    }
}

/* Accept only [+-]digits[.digits][(e|E)[+-]digits]: no hex, inf or nan,
 * whatever strtod would take. */
static bool is_decimal_syntax(const char *s, size_t n)
{
    size_t i = 0;
    size_t mantissa_digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        mantissa_digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            mantissa_digits++;
        }
    }
    if (mantissa_digits == 0) {
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        size_t exp_digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0) {
            return false;
        }
    }
    return i == n;
}

bool rert_parse_double(
    RertError *err, const char *text, size_t len, const char *what, double *out)
{
    trim(&text, &len);
    char buf[64];
    if (len == 0 || len >= sizeof buf || !is_decimal_syntax(text, len)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: expected a decimal number, found '%.*s'",
                              what, (int)(len < 40 ? len : 40), text);
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    /* strtod honours LC_NUMERIC; the library never changes it from "C"
     * and the syntax check above excludes locale-specific forms. */
    errno = 0;
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end != buf + len || !isfinite(v)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: number '%s' is out of range", what, buf);
    }
    *out = v;
    return true;
}

bool rert_parse_long(RertError *err,
                     const char *text,
                     size_t len,
                     long min,
                     long max,
                     const char *what,
                     long *out)
{
    trim(&text, &len);
    size_t i = 0;
    bool negative = false;
    if (i < len && (text[i] == '+' || text[i] == '-')) {
        negative = text[i] == '-';
        i++;
    }
    if (i == len) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: expected an integer, found '%.*s'", what,
                              (int)(len < 40 ? len : 40), text);
    }
    long value = 0;
    for (; i < len; i++) {
        char c = text[i];
        if (c < '0' || c > '9') {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: expected an integer, found '%.*s'", what,
                                  (int)(len < 40 ? len : 40), text);
        }
        long digit = c - '0';
        if (__builtin_mul_overflow(value, 10L, &value) ||
            __builtin_add_overflow(value, negative ? -digit : digit, &value)) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: integer '%.*s' is out of range", what,
                                  (int)(len < 40 ? len : 40), text);
        }
    }
    if (value < min || value > max) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: %ld is outside [%ld, %ld]", what, value, min,
                              max);
    }
    *out = value;
    return true;
}

void rert_format_double(char *buf, size_t size, double value, int digits)
{
    (void)snprintf(buf, size, "%.*g", digits, value);
}
