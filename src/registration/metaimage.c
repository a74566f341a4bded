/* MetaImage (ITK MetaIO .mha / .mhd) headers and data: bounded parsing of
 * the "Key = Value" header, decoding of raw or zlib data, header writing
 * (docs/deformable.md "Files"). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "vf_internal.h"

/* Longest header accepted; ITK writes a few hundred bytes. */
#define MAX_HEADER_BYTES ((size_t)65536)
#define MAX_LINE 1024

static const struct {
    const char *name;
    size_t bytes;
} elements[] = {
    {"MET_UCHAR", 1}, {"MET_CHAR", 1}, {"MET_USHORT", 2}, {"MET_SHORT", 2},
    {"MET_UINT", 4},  {"MET_INT", 4},  {"MET_FLOAT", 4},  {"MET_DOUBLE", 8},
};

/* The header being parsed, with which keys were seen. */
typedef struct Parse {
    VfMetaHeader *h;
    const char *name;
    bool has_dims;
    bool has_type;
    bool has_ndims;
} Parse;

static bool parse_numbers(RertError *err,
                          const char *value,
                          const char *key,
                          const char *name,
                          double *out,
                          size_t count)
{
    const char *p = value;
    for (size_t n = 0; n < count; n++) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        const char *start = p;
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            p++;
        }
        if (p == start ||
            !rert_parse_double(err, start, (size_t)(p - start), key, &out[n])) {
            rert_error_set(err, RERT_ERR_PARSE,
                           "%s: MetaImage %s \"%s\": expected %zu numbers",
                           name, key, value, count);
            return false;
        }
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p != '\0') {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: MetaImage %s \"%s\": expected %zu numbers, "
                              "found more",
                              name, key, value, count);
    }
    return true;
}

static bool parse_bool(RertError *err,
                       const char *value,
                       const char *key,
                       const char *name,
                       bool *out)
{
    if (strcmp(value, "True") == 0 || strcmp(value, "true") == 0 ||
        strcmp(value, "1") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(value, "False") == 0 || strcmp(value, "false") == 0 ||
        strcmp(value, "0") == 0) {
        *out = false;
        return true;
    }
    return rert_error_set(err, RERT_ERR_PARSE,
                          "%s: MetaImage %s \"%s\": expected True or False",
                          name, key, value);
}

static bool parse_count(RertError *err,
                        const char *value,
                        const char *key,
                        const char *name,
                        long lo,
                        long hi,
                        long *out)
{
    if (!rert_parse_long(err, value, strlen(value), lo, hi, key, out)) {
        rert_error_prefix(err, "%s: MetaImage", name);
        return false;
    }
    return true;
}

static bool key_dims(RertError *err, Parse *p, const char *v)
{
    double d[3];
    if (!parse_numbers(err, v, "DimSize", p->name, d, 3)) {
        return false;
    }
    for (int a = 0; a < 3; a++) {
        if (!(d[a] >= 1.0 && d[a] <= 1e6) || d[a] != floor(d[a])) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: MetaImage DimSize \"%s\": expected "
                                  "three integers 1..1000000",
                                  p->name, v);
        }
        p->h->dims[a] = (size_t)d[a];
    }
    p->has_dims = true;
    return true;
}

static bool key_type(RertError *err, Parse *p, const char *v)
{
    for (size_t e = 0; e < sizeof elements / sizeof elements[0]; e++) {
        if (strcmp(v, elements[e].name) == 0) {
            p->h->element_type = (int)e;
            p->h->element_bytes = elements[e].bytes;
            p->has_type = true;
            return true;
        }
    }
    return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                          "%s: MetaImage ElementType \"%s\": expected one of "
                          "MET_UCHAR, MET_CHAR, MET_USHORT, MET_SHORT, "
                          "MET_UINT, MET_INT, MET_FLOAT, MET_DOUBLE",
                          p->name, v);
}

static bool key_data_file(RertError *err, Parse *p, const char *v)
{
    if (strcmp(v, "LOCAL") == 0) {
        p->h->data_local = true;
        return true;
    }
    if (strncmp(v, "LIST", 4) == 0 || strchr(v, '%') != NULL ||
        strlen(v) >= sizeof p->h->data_file) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: MetaImage ElementDataFile \"%s\": expected "
                              "LOCAL or one file name (lists and patterns "
                              "are not read)",
                              p->name, v);
    }
    p->h->data_local = false;
    (void)snprintf(p->h->data_file, sizeof p->h->data_file, "%s", v);
    return true;
}

/* Keys of the data layout; *known false when @p k is none of them. */
static bool
key_layout(RertError *err, Parse *p, const char *k, const char *v, bool *known);

static bool key_value(RertError *err, Parse *p, const char *k, const char *v)
{
    VfMetaHeader *h = p->h;
    long n = 0;
    bool known = true;
    bool ok = key_layout(err, p, k, v, &known);
    if (known) {
        return ok;
    }
    if (strcmp(k, "NDims") == 0) {
        if (!parse_count(err, v, k, p->name, 1, 10, &n)) {
            return false;
        }
        if (n != 3) {
            return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                                  "%s: MetaImage NDims %ld, expected 3",
                                  p->name, n);
        }
        p->has_ndims = true;
        return true;
    }
    if (strcmp(k, "ObjectType") == 0) {
        if (strcmp(v, "Image") != 0) {
            return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                                  "%s: MetaImage ObjectType \"%s\", expected "
                                  "Image",
                                  p->name, v);
        }
        return true;
    }
    if (strcmp(k, "DimSize") == 0) {
        return key_dims(err, p, v);
    }
    if (strcmp(k, "ElementSpacing") == 0 || strcmp(k, "ElementSize") == 0) {
        return parse_numbers(err, v, k, p->name, h->spacing, 3);
    }
    if (strcmp(k, "Offset") == 0 || strcmp(k, "Origin") == 0 ||
        strcmp(k, "Position") == 0) {
        return parse_numbers(err, v, k, p->name, h->origin, 3);
    }
    if (strcmp(k, "TransformMatrix") == 0 || strcmp(k, "Rotation") == 0 ||
        strcmp(k, "Orientation") == 0) {
        return parse_numbers(err, v, k, p->name, h->direction, 9);
    }
    /* Other keys (CenterOfRotation, AnatomicalOrientation, Comment,
     * ElementMin/Max, ...) do not change the geometry or the data. */
    return true;
}

static bool
key_layout(RertError *err, Parse *p, const char *k, const char *v, bool *known)
{
    VfMetaHeader *h = p->h;
    long n = 0;
    *known = true;
    if (strcmp(k, "ElementNumberOfChannels") == 0) {
        if (!parse_count(err, v, k, p->name, 1, 64, &n)) {
            return false;
        }
        h->channels = (size_t)n;
        return true;
    }
    if (strcmp(k, "ElementType") == 0) {
        return key_type(err, p, v);
    }
    if (strcmp(k, "BinaryDataByteOrderMSB") == 0 ||
        strcmp(k, "ElementByteOrderMSB") == 0) {
        return parse_bool(err, v, k, p->name, &h->big_endian);
    }
    if (strcmp(k, "CompressedData") == 0) {
        return parse_bool(err, v, k, p->name, &h->compressed);
    }
    if (strcmp(k, "CompressedDataSize") == 0) {
        if (!parse_count(err, v, k, p->name, 0, 0x7fffffffL, &n)) {
            return false;
        }
        h->compressed_size = (size_t)n;
        return true;
    }
    if (strcmp(k, "HeaderSize") == 0) {
        return parse_count(err, v, k, p->name, -1, 0x7fffffffL,
                           &h->header_size);
    }
    if (strcmp(k, "BinaryData") == 0) {
        bool binary = true;
        if (!parse_bool(err, v, k, p->name, &binary)) {
            return false;
        }
        if (!binary) {
            return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                                  "%s: MetaImage BinaryData False (ASCII "
                                  "data) is not read",
                                  p->name);
        }
        return true;
    }
    *known = false;
    return true;
}

/* Split "Key = Value" (spaces around both trimmed) in place. */
static bool split_line(char *line, char **key, char **value)
{
    char *eq = strchr(line, '=');
    if (eq == NULL) {
        return false;
    }
    *eq = '\0';
    char *k = line;
    char *v = eq + 1;
    while (*k == ' ' || *k == '\t') {
        k++;
    }
    size_t kl = strlen(k);
    while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t')) {
        k[--kl] = '\0';
    }
    while (*v == ' ' || *v == '\t') {
        v++;
    }
    size_t vl = strlen(v);
    while (vl > 0 &&
           (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r')) {
        v[--vl] = '\0';
    }
    *key = k;
    *value = v;
    return kl > 0;
}

static void header_defaults(VfMetaHeader *h)
{
    memset(h, 0, sizeof *h);
    h->channels = 1;
    h->header_size = -1;
    h->element_type = -1;
    for (size_t a = 0; a < 3; a++) {
        h->spacing[a] = 1.0;
        h->direction[4 * a] = 1.0;
    }
}

/* Parse one line; *done becomes true at ElementDataFile. */
static bool header_line(RertError *err,
                        Parse *p,
                        const uint8_t *data,
                        size_t start,
                        size_t end,
                        bool *done)
{
    char line[MAX_LINE];
    size_t len = end - start;
    if (len >= sizeof line) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: MetaImage header line at byte %zu is %zu "
                              "bytes long, expected fewer than %d",
                              p->name, start, len, MAX_LINE);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = data[start + i];
        if (c == 0 || (c < 32 && c != '\t' && c != '\r')) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: MetaImage header: byte 0x%02x at "
                                  "offset %zu, expected text",
                                  p->name, c, start + i);
        }
        line[i] = (char)c;
    }
    line[len] = '\0';
    char *key = NULL;
    char *value = NULL;
    if (!split_line(line, &key, &value)) {
        bool blank = true;
        for (size_t i = 0; i < len; i++) {
            blank = blank && isspace((unsigned char)line[i]);
        }
        if (blank) {
            return true;
        }
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: MetaImage header line at byte %zu: "
                              "expected \"Key = Value\"",
                              p->name, start);
    }
    if (strcmp(key, "ElementDataFile") == 0) {
        *done = true;
        return key_data_file(err, p, value);
    }
    return key_value(err, p, key, value);
}

static bool header_complete(RertError *err, const Parse *p)
{
    const char *missing = !p->has_ndims  ? "NDims"
                          : !p->has_dims ? "DimSize"
                          : !p->has_type ? "ElementType"
                                         : NULL;
    if (missing != NULL) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: MetaImage header has no %s", p->name,
                              missing);
    }
    return true;
}

bool vf_meta_header_parse(RertError *err,
                          const uint8_t *data,
                          size_t size,
                          const char *name,
                          VfMetaHeader *out)
{
    VfMetaHeader h;
    header_defaults(&h);
    Parse p = {&h, name, false, false, false};
    size_t pos = 0;
    bool done = false;
    while (!done) {
        if (pos >= size || pos >= MAX_HEADER_BYTES) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: MetaImage header: no ElementDataFile "
                                  "line in the first %zu bytes",
                                  name, pos);
        }
        size_t end = pos;
        while (end < size && data[end] != '\n') {
            end++;
        }
        if (!header_line(err, &p, data, pos, end, &done)) {
            return false;
        }
        pos = end < size ? end + 1 : end;
    }
    if (!header_complete(err, &p)) {
        return false;
    }
    h.header_bytes = pos;
    *out = h;
    return true;
}

/* Inflate exactly @p expected bytes from a zlib stream. */
static bool inflate_exact(RertError *err,
                          const uint8_t *src,
                          size_t size,
                          uint8_t *dst,
                          size_t expected,
                          const char *name)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) {
        return rert_error_set(err, RERT_ERR_NOMEM,
                              "%s: MetaImage: zlib initialisation failed",
                              name);
    }
    size_t in_done = 0;
    size_t out_done = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
        size_t in_left = size - in_done;
        size_t out_left = expected - out_done;
        z.next_in = src + in_done;
        z.avail_in = (uInt)(in_left > 0x40000000u ? 0x40000000u : in_left);
        z.next_out = dst + out_done;
        z.avail_out = (uInt)(out_left > 0x40000000u ? 0x40000000u : out_left);
        uInt in_before = z.avail_in;
        uInt out_before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        in_done += in_before - z.avail_in;
        out_done += out_before - z.avail_out;
        if (rc == Z_OK && in_before == z.avail_in &&
            out_before == z.avail_out) {
            rc = Z_BUF_ERROR; /* no progress: input or output exhausted */
        }
    }
    (void)inflateEnd(&z);
    if (rc != Z_STREAM_END || out_done != expected) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: MetaImage compressed data: %zu bytes "
                              "inflated (zlib status %d), expected exactly "
                              "%zu",
                              name, out_done, rc, expected);
    }
    return true;
}

/* Start of the data and the bytes available for it. */
static bool data_window(RertError *err,
                        const VfMetaHeader *h,
                        size_t size,
                        size_t expected,
                        const char *name,
                        size_t *offset)
{
    *offset = 0;
    if (h->header_size > 0) {
        *offset = (size_t)h->header_size;
    } else if (h->header_size == -1 && !h->data_local && !h->compressed &&
               size >= expected) {
        *offset = size - expected; /* MetaIO: data at the end of the file */
    }
    if (*offset > size) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: MetaImage HeaderSize %ld is past the end "
                              "of the %zu data bytes",
                              name, h->header_size, size);
    }
    return true;
}

static bool geometry_of(RertError *err,
                        const VfMetaHeader *h,
                        const char *name,
                        const RertLimits *limits,
                        RertGridGeometry *g)
{
    if (!rert_grid_geometry_make(err, h->dims, h->origin, h->spacing,
                                 h->direction, limits->max_voxels, g)) {
        rert_error_prefix(err, "%s: MetaImage geometry", name);
        return false;
    }
    return true;
}

/* Convert @p count elements to floats, rejecting non-finite values. */
static bool convert_elements(RertError *err,
                             const VfMetaHeader *h,
                             const uint8_t *src,
                             size_t count,
                             float *dst,
                             const char *name)
{
    for (size_t n = 0; n < count; n++) {
        double v = vf_element_value(src + n * h->element_bytes,
                                    (VfElementKind)h->element_type,
                                    h->element_bytes, h->big_endian);
        if (!isfinite(v) || fabs(v) > 3.0e38) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: MetaImage value %zu is not a finite "
                                  "float",
                                  name, n);
        }
        dst[n] = (float)v;
    }
    return true;
}

bool vf_meta_decode(RertError *err,
                    const VfMetaHeader *h,
                    const uint8_t *data,
                    size_t size,
                    const char *name,
                    const RertLimits *limits,
                    VfImage *out)
{
    memset(out, 0, sizeof *out);
    RertGridGeometry g;
    size_t count = 0;
    size_t expected = 0;
    if (!geometry_of(err, h, name, limits, &g) ||
        !rert_mul_size(err, rert_grid_voxel_count(&g), h->channels, &count) ||
        !rert_mul_size(err, count, h->element_bytes, &expected)) {
        return false;
    }
    size_t offset = 0;
    if (!data_window(err, h, size, expected, name, &offset)) {
        return false;
    }
    const uint8_t *src = data + offset;
    size_t avail = size - offset;
    uint8_t *inflated = NULL;
    if (h->compressed) {
        if (expected > limits->max_inflated_bytes) {
            return rert_error_set(err, RERT_ERR_LIMIT,
                                  "%s: MetaImage data inflates to %zu bytes, "
                                  "over the limit of %zu",
                                  name, expected, limits->max_inflated_bytes);
        }
        if (h->compressed_size > 0 && h->compressed_size < avail) {
            avail = h->compressed_size;
        }
        inflated = rert_alloc(err, expected);
        if (inflated == NULL ||
            !inflate_exact(err, src, avail, inflated, expected, name)) {
            rert_free(inflated);
            return false;
        }
        src = inflated;
    } else if (avail != expected) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: MetaImage data is %zu bytes, expected "
                              "DimSize x channels x element size = %zu",
                              name, avail, expected);
    }
    float *values = rert_alloc_voxels(err, count, sizeof(float));
    bool ok =
        values != NULL && convert_elements(err, h, src, count, values, name);
    rert_free(inflated);
    if (!ok) {
        rert_free(values);
        return false;
    }
    out->geometry = g;
    out->channels = h->channels;
    out->data = values;
    return true;
}

char *vf_meta_header_write(RertError *err,
                           const RertGridGeometry *g,
                           size_t channels,
                           const char *data_file)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, MAX_HEADER_BYTES);
    char num[3][40];
    bool ok = rert_strbuf_puts(err, &sb,
                               "ObjectType = Image\nNDims = 3\n"
                               "BinaryData = True\n"
                               "BinaryDataByteOrderMSB = False\n"
                               "CompressedData = False\nTransformMatrix =");
    for (int t = 0; ok && t < 9; t++) {
        rert_format_double(num[0], sizeof num[0], g->direction[t], 17);
        ok = rert_strbuf_printf(err, &sb, " %s", num[0]);
    }
    const double *rows[2] = {g->origin_mm, g->spacing_mm};
    const char *keys[2] = {"Offset", "ElementSpacing"};
    for (int r = 0; ok && r < 2; r++) {
        for (int a = 0; a < 3; a++) {
            rert_format_double(num[a], sizeof num[a], rows[r][a], 17);
        }
        ok = rert_strbuf_printf(err, &sb, "\n%s = %s %s %s", keys[r], num[0],
                                num[1], num[2]);
    }
    ok = ok && rert_strbuf_printf(err, &sb,
                                  "\nCenterOfRotation = 0 0 0\n"
                                  "DimSize = %zu %zu %zu\n",
                                  g->dims[0], g->dims[1], g->dims[2]);
    if (ok && channels > 1) {
        ok = rert_strbuf_printf(err, &sb, "ElementNumberOfChannels = %zu\n",
                                channels);
    }
    ok = ok && rert_strbuf_printf(err, &sb,
                                  "ElementType = MET_FLOAT\n"
                                  "ElementDataFile = %s\n",
                                  data_file);
    char *text = ok ? rert_strbuf_take(err, &sb) : NULL;
    rert_strbuf_clear(&sb);
    return text;
}
