/* Text escaping for every output format, in one place (style guide P8):
 * JSON strings (RFC 8259 section 7), HTML/XML text and attributes, CSV
 * fields (RFC 4180 section 2), base64 (RFC 4648 section 4), numbers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* UTF-8 (RFC 3629): shortest form only, no surrogates, at most U+10FFFF. */
size_t report_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b = s[0];
    size_t len = 0;
    uint32_t v = 0;
    uint32_t min = 0;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if ((b & 0xE0U) == 0xC0U) {
        len = 2;
        v = b & 0x1FU;
        min = 0x80;
    } else if ((b & 0xF0U) == 0xE0U) {
        len = 3;
        v = b & 0x0FU;
        min = 0x800;
    } else if ((b & 0xF8U) == 0xF0U) {
        len = 4;
        v = b & 0x07U;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0U) != 0x80U) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3FU);
    }
    if (v < min || v > 0x10FFFFU || (v >= 0xD800U && v <= 0xDFFFU)) {
        return 0;
    }
    *cp = v;
    return len;
}

#define REPLACEMENT_UTF8 "\xEF\xBF\xBD"

/* An escaping context: the text to write for code point @p cp instead of
 * its UTF-8 bytes (into @p tmp when computed), or NULL to keep it. */
typedef const char *(*EscapeFn)(uint32_t cp, char tmp[16]);

static const char *escape_json(uint32_t cp, char tmp[16])
{
    switch (cp) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        break;
    }
    /* '<' '>' '&' and U+2028/9 keep the text safe inside an HTML script
     * element and JavaScript source. */
    if (cp < 0x20 || cp == 0x7F || cp == '<' || cp == '>' || cp == '&' ||
        cp == 0x2028 || cp == 0x2029) {
        (void)snprintf(tmp, 16, "\\u%04x", (unsigned)cp);
        return tmp;
    }
    return NULL;
}

/* Characters XML 1.0 forbids or HTML calls control characters. */
static bool is_markup_unsafe(uint32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r') {
        return false;
    }
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE ||
           cp == 0xFFFF;
}

/* The EscapeFn signature fixes the type of tmp. */
// NOLINTNEXTLINE(readability-non-const-parameter)
static const char *escape_html_text(uint32_t cp, char tmp[16])
{
    (void)tmp;
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    default:
        return is_markup_unsafe(cp) ? REPLACEMENT_UTF8 : NULL;
    }
}

static const char *escape_html_attribute(uint32_t cp, char tmp[16])
{
    switch (cp) {
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return escape_html_text(cp, tmp);
    }
}

/* The EscapeFn signature fixes the type of tmp. */
// NOLINTNEXTLINE(readability-non-const-parameter)
static const char *escape_csv_quoted(uint32_t cp, char tmp[16])
{
    (void)tmp;
    return cp == '"' ? "\"\"" : NULL;
}

/* The EscapeFn signature fixes the type of tmp. */
// NOLINTNEXTLINE(readability-non-const-parameter)
static const char *escape_none(uint32_t cp, char tmp[16])
{
    (void)cp;
    (void)tmp;
    return NULL;
}

/* Append @p n bytes through @p fn; invalid UTF-8 bytes become U+FFFD one
 * by one. Unchanged runs are copied in one piece. */
static bool escape_append(
    RertError *err, RertStrbuf *sb, const char *s, size_t n, EscapeFn fn)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t start = 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp = 0;
        size_t len = report_utf8_decode(u + i, n - i, &cp);
        char tmp[16];
        const char *rep = len == 0 ? REPLACEMENT_UTF8 : fn(cp, tmp);
        if (rep == NULL) {
            i += len;
            continue;
        }
        if (!rert_strbuf_append(err, sb, s + start, i - start) ||
            !rert_strbuf_puts(err, sb, rep)) {
            return false;
        }
        i += len == 0 ? 1 : len;
        start = i;
    }
    return rert_strbuf_append(err, sb, s + start, i - start);
}

bool rert_json_escape(RertError *err, RertStrbuf *sb, const char *s, size_t n)
{
    return rert_strbuf_append(err, sb, "\"", 1) &&
           escape_append(err, sb, s, n, escape_json) &&
           rert_strbuf_append(err, sb, "\"", 1);
}

bool rert_html_escape_text(RertError *err, RertStrbuf *sb, const char *s)
{
    if (s == NULL) {
        return true;
    }
    return escape_append(err, sb, s, strlen(s), escape_html_text);
}

bool rert_html_escape_attribute(RertError *err, RertStrbuf *sb, const char *s)
{
    if (s == NULL) {
        return true;
    }
    return escape_append(err, sb, s, strlen(s), escape_html_attribute);
}

bool report_xml_escape_truncated(RertError *err,
                                 RertStrbuf *sb,
                                 const char *s,
                                 size_t max_chars)
{
    if (s == NULL) {
        return true;
    }
    const uint8_t *u = (const uint8_t *)s;
    size_t n = strlen(s);
    size_t i = 0;
    size_t chars = 0;
    while (i < n && chars < max_chars) {
        uint32_t cp = 0;
        size_t len = report_utf8_decode(u + i, n - i, &cp);
        i += len == 0 ? 1 : len;
        chars++;
    }
    if (!escape_append(err, sb, s, i, escape_html_attribute)) {
        return false;
    }
    return i == n || rert_strbuf_puts(err, sb, "...");
}

static bool csv_needs_quotes(const char *s, size_t n)
{
    if (n == 0) {
        return false;
    }
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') {
        return true;
    }
    return strpbrk(s, ",\"\r\n") != NULL;
}

void rert_csv_writer_init(RertCsvWriter *w, RertStrbuf *out)
{
    w->out = out;
    w->column = 0;
}

static bool csv_separator(RertError *err, RertCsvWriter *w)
{
    bool ok = w->column == 0 || rert_strbuf_append(err, w->out, ",", 1);
    if (ok) {
        w->column++;
    }
    return ok;
}

bool rert_csv_write_field(RertError *err, RertCsvWriter *w, const char *s)
{
    if (!csv_separator(err, w)) {
        return false;
    }
    if (s == NULL) {
        return true;
    }
    size_t n = strlen(s);
    if (!csv_needs_quotes(s, n)) {
        return escape_append(err, w->out, s, n, escape_none);
    }
    return rert_strbuf_append(err, w->out, "\"", 1) &&
           escape_append(err, w->out, s, n, escape_csv_quoted) &&
           rert_strbuf_append(err, w->out, "\"", 1);
}

bool rert_csv_write_number(RertError *err, RertCsvWriter *w, double value)
{
    char buf[RERT_NUMBER_TEXT_SIZE];
    if (!csv_separator(err, w)) {
        return false;
    }
    return !rert_number_format(buf, value) ||
           rert_strbuf_puts(err, w->out, buf);
}

bool rert_csv_end_row(RertError *err, RertCsvWriter *w)
{
    w->column = 0;
    return rert_strbuf_append(err, w->out, "\r\n", 2);
}

bool rert_base64_encode(RertError *err,
                        RertStrbuf *sb,
                        const void *data,
                        size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *u = data;
    char quad[4];
    for (size_t i = 0; i < n; i += 3) {
        size_t left = n - i;
        uint32_t v = (uint32_t)u[i] << 16;
        if (left > 1) {
            v |= (uint32_t)u[i + 1] << 8;
        }
        if (left > 2) {
            v |= u[i + 2];
        }
        quad[0] = alphabet[(v >> 18) & 63U];
        quad[1] = alphabet[(v >> 12) & 63U];
        quad[2] = left > 1 ? alphabet[(v >> 6) & 63U] : '=';
        quad[3] = left > 2 ? alphabet[v & 63U] : '=';
        if (!rert_strbuf_append(err, sb, quad, 4)) {
            return false;
        }
    }
    return true;
}

/* Replace whatever the locale uses as the decimal point by '.': printf's
 * %g and %f output holds only digits, signs, 'e' and that point. */
static void normalise_decimal_point(char *buf)
{
    char *w = buf;
    bool in_point = false;
    for (const char *r = buf; *r != '\0'; r++) {
        bool is_plain = (*r >= '0' && *r <= '9') || *r == '-' || *r == '+' ||
                        *r == 'e' || *r == 'E';
        if (is_plain) {
            *w++ = *r;
            in_point = false;
        } else if (!in_point) {
            *w++ = '.';
            in_point = true;
        }
    }
    *w = '\0';
}

bool rert_number_format(char buf[RERT_NUMBER_TEXT_SIZE], double value)
{
    if (!isfinite(value)) {
        buf[0] = '\0';
        return false;
    }
    for (int digits = 15; digits <= 17; digits++) {
        (void)snprintf(buf, RERT_NUMBER_TEXT_SIZE, "%.*g", digits, value);
        normalise_decimal_point(buf);
        double back = 0;
        if (digits == 17 ||
            (rert_parse_double(NULL, buf, strlen(buf), "number", &back) &&
             back == value)) {
            break;
        }
    }
    return true;
}

void report_format_fixed(char *buf, size_t size, double value, int decimals)
{
    (void)snprintf(buf, size, "%.*f", decimals, value);
    normalise_decimal_point(buf);
}

double report_nice_step(double span, double target_ticks, int *decimals)
{
    double raw = span / target_ticks;
    double power = pow(10.0, floor(log10(raw)));
    static const double factors[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    double step = 10.0 * power;
    size_t chosen = 4;
    for (size_t i = 0; i < sizeof factors / sizeof factors[0]; i++) {
        if (factors[i] * power >= raw * 0.999) {
            step = factors[i] * power;
            chosen = i;
            break;
        }
    }
    double digits = -floor(log10(step) + 1e-9);
    if (chosen == 2 && power < 10.0) {
        digits += 1.0; /* 2.5 x 10^k needs one more decimal */
    }
    *decimals = digits > 0 ? (int)digits : 0;
    if (*decimals > 9) {
        *decimals = 9;
    }
    return step;
}
