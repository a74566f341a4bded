/* Vector field and scalar image files: format detection, loading (.nii,
 * .nii.gz, .mha, .mhd + data file) and writing; gzip (RFC 1952) through
 * zlib (docs/deformable.md "Files"). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/registration.h>

#include "vf_internal.h"

static RertLimits limits_or_default(const RertLimits *limits)
{
    return limits != NULL ? *limits : rert_limits_default();
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    if (m > n) {
        return false;
    }
    for (size_t i = 0; i < m; i++) {
        char a = s[n - m + i];
        char b = suffix[i];
        a = (a >= 'A' && a <= 'Z') ? (char)(a - 'A' + 'a') : a;
        if (a != b) {
            return false;
        }
    }
    return true;
}

/* Wrap a decoded 3-channel image as a field (takes its data). */
static RertVectorField *
image_to_field(RertError *err, VfImage *img, const char *name)
{
    if (img->channels != 3) {
        rert_error_set(err, RERT_ERR_UNSUPPORTED,
                       "%s: %zu channels per voxel, expected 3 for a vector "
                       "field",
                       name, img->channels);
        rert_free(img->data);
        img->data = NULL;
        return NULL;
    }
    RertVectorField *f = rert_calloc(err, 1, sizeof *f);
    if (f == NULL) {
        rert_free(img->data);
        img->data = NULL;
        return NULL;
    }
    f->geometry = img->geometry;
    f->voxels = rert_grid_voxel_count(&img->geometry);
    f->data = img->data;
    img->data = NULL;
    return f;
}

/* ---- gzip */

/* zlib counts in uInt: feed it at most this much per call. */
#define ZCHUNK ((size_t)1 << 30)

static bool is_gzip(const uint8_t *data, size_t size)
{
    return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* First output capacity: the gzip trailer's ISIZE (size mod 2^32, only a
 * hint, and the input's to trust no further than deflate's largest ratio,
 * about 1032:1) within [64 KiB, limit]. */
static size_t gunzip_capacity(const uint8_t *data, size_t size, size_t limit)
{
    size_t hint = (size_t)1 << 16;
    if (size >= 18) {
        const uint8_t *t = data + size - 4;
        size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 |
                       (size_t)t[3] << 24;
        size_t most = size <= SIZE_MAX / 1032 ? size * 1032 : SIZE_MAX;
        isize = isize < most ? isize : most;
        hint = isize > hint ? isize : hint;
    }
    return hint < limit ? hint : limit;
}

/* Make room for more output: double the buffer, up to @p limit. */
static bool gunzip_grow(
    RertError *err, uint8_t **buf, size_t *cap, size_t limit, const char *name)
{
    if (*cap >= limit) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s: gzip data inflates to more than %zu bytes "
                              "(max_inflated_bytes)",
                              name, limit);
    }
    size_t next = *cap > limit / 2 ? limit : 2 * *cap;
    uint8_t *grown = rert_realloc_array(err, *buf, next, 1);
    if (grown == NULL) {
        return false;
    }
    *buf = grown;
    *cap = next;
    return true;
}

/* One inflate() call on the next chunks; false with the error set when
 * the stream is corrupt or ends early. *end becomes true at the end of
 * the last gzip member. */
static bool gunzip_step(RertError *err,
                        z_stream *z,
                        const uint8_t *src,
                        size_t size,
                        size_t *in_done,
                        uint8_t *dst,
                        size_t cap,
                        size_t *out_done,
                        const char *name,
                        bool *end)
{
    size_t in_left = size - *in_done;
    size_t out_left = cap - *out_done;
    z->next_in = src + *in_done;
    z->avail_in = (uInt)(in_left > ZCHUNK ? ZCHUNK : in_left);
    z->next_out = dst + *out_done;
    z->avail_out = (uInt)(out_left > ZCHUNK ? ZCHUNK : out_left);
    uInt in_before = z->avail_in;
    uInt out_before = z->avail_out;
    int rc = inflate(z, Z_NO_FLUSH);
    *in_done += in_before - z->avail_in;
    *out_done += out_before - z->avail_out;
    if (rc == Z_STREAM_END) {
        if (*in_done == size) {
            *end = true;
            return true;
        }
        if (is_gzip(src + *in_done, size - *in_done)) {
            return inflateReset(z) == Z_OK; /* next member (RFC 1952 2.2) */
        }
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: %zu bytes after the end of the gzip "
                              "stream, expected none or another gzip member",
                              name, size - *in_done);
    }
    bool progress = in_before != z->avail_in || out_before != z->avail_out;
    if ((rc == Z_OK || rc == Z_BUF_ERROR) && (progress || z->avail_out == 0)) {
        return true;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: gzip data is truncated: it ends after %zu "
                              "compressed bytes (%zu inflated) without the "
                              "end of the stream",
                              name, *in_done, *out_done);
    }
    return rert_error_set(err, RERT_ERR_PARSE,
                          "%s: gzip data is corrupt at compressed byte %zu "
                          "(zlib: %s)",
                          name, *in_done, z->msg != NULL ? z->msg : "error");
}

/* Inflate a whole gzip file (one or more members) into a new buffer of at
 * most @p limit bytes. */
static bool gunzip(RertError *err,
                   const uint8_t *src,
                   size_t size,
                   const char *name,
                   size_t limit,
                   uint8_t **out,
                   size_t *out_size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        return rert_error_set(err, RERT_ERR_NOMEM,
                              "%s: zlib initialisation failed", name);
    }
    size_t cap = gunzip_capacity(src, size, limit);
    uint8_t *buf = rert_alloc(err, cap > 0 ? cap : 1);
    size_t in_done = 0;
    size_t out_done = 0;
    bool end = false;
    bool ok = buf != NULL;
    while (ok && !end) {
        if (out_done == cap) {
            ok = gunzip_grow(err, &buf, &cap, limit, name);
        }
        ok = ok && gunzip_step(err, &z, src, size, &in_done, buf, cap,
                               &out_done, name, &end);
    }
    (void)inflateEnd(&z);
    if (!ok) {
        rert_free(buf);
        return false;
    }
    *out = buf;
    *out_size = out_done;
    return true;
}

/* gzip (one member, level 6) of @p size bytes into a new buffer. */
static bool gzip_bytes(RertError *err,
                       const uint8_t *src,
                       size_t size,
                       uint8_t **out,
                       size_t *out_size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return rert_error_set(err, RERT_ERR_NOMEM,
                              "gzip: zlib initialisation failed");
    }
    size_t cap = (size_t)deflateBound(&z, (uLong)size) + 64;
    uint8_t *buf = rert_alloc(err, cap);
    size_t in_done = 0;
    size_t out_done = 0;
    int rc = buf != NULL ? Z_OK : Z_MEM_ERROR;
    while (rc == Z_OK) {
        size_t in_left = size - in_done;
        size_t out_left = cap - out_done;
        z.next_in = src + in_done;
        z.avail_in = (uInt)(in_left > ZCHUNK ? ZCHUNK : in_left);
        z.next_out = buf + out_done;
        z.avail_out = (uInt)(out_left > ZCHUNK ? ZCHUNK : out_left);
        uInt in_before = z.avail_in;
        uInt out_before = z.avail_out;
        rc = deflate(&z, in_left <= ZCHUNK ? Z_FINISH : Z_NO_FLUSH);
        in_done += in_before - z.avail_in;
        out_done += out_before - z.avail_out;
    }
    (void)deflateEnd(&z);
    if (buf == NULL) {
        return false;
    }
    if (rc != Z_STREAM_END) {
        rert_free(buf);
        return rert_error_set(err, RERT_ERR_INTERNAL,
                              "gzip: zlib deflate status %d", rc);
    }
    *out = buf;
    *out_size = out_done;
    return true;
}

/* gunzip then NIfTI: the only format read compressed as a whole file. */
static bool decode_gzip(RertError *err,
                        const uint8_t *data,
                        size_t size,
                        const char *name,
                        const RertLimits *limits,
                        VfImage *out)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    if (!gunzip(err, data, size, name, limits->max_inflated_bytes, &raw, &n)) {
        return false;
    }
    bool ok = false;
    if (!vf_nifti_detect(raw, n)) {
        rert_error_set(err, RERT_ERR_PARSE,
                       "%s: the gzip data (%zu bytes inflated) is not a "
                       "NIfTI-1 file (sizeof_hdr 348 expected); only .nii.gz "
                       "is read compressed",
                       name, n);
    } else {
        ok = vf_nifti_parse(err, raw, n, name, limits, out);
    }
    rert_free(raw);
    return ok;
}

double vf_element_value(const uint8_t *p,
                        VfElementKind kind,
                        size_t bytes,
                        bool big_endian)
{
    uint64_t u = 0;
    for (size_t i = 0; i < bytes; i++) {
        u = (u << 8) | p[big_endian ? i : bytes - 1 - i];
    }
    switch (kind) {
    case VF_EL_U8:
        return (double)(uint8_t)u;
    case VF_EL_I8:
        return (double)(int8_t)(uint8_t)u;
    case VF_EL_U16:
        return (double)(uint16_t)u;
    case VF_EL_I16:
        return (double)(int16_t)(uint16_t)u;
    case VF_EL_U32:
        return (double)(uint32_t)u;
    case VF_EL_I32:
        return (double)(int32_t)(uint32_t)u;
    case VF_EL_F32: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        return (double)f;
    }
    case VF_EL_F64: {
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    }
    return (double)NAN;
}

/* Decode an image from whole-file bytes; MetaImage data must be LOCAL
 * unless @p path is given (then an external data file is loaded). */
static bool decode_bytes(RertError *err,
                         const uint8_t *data,
                         size_t size,
                         const char *name,
                         const char *path,
                         const RertLimits *limits,
                         VfImage *out);

/* Decode a whole file held in memory; *n is the name used in messages. */
static bool parse_memory(RertError *err,
                         const void *data,
                         size_t size,
                         const char *name,
                         const RertLimits *limits,
                         const char **n,
                         VfImage *img)
{
    if (data == NULL && size > 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "image or vector field parse: NULL data");
    }
    *n = name != NULL ? name : "memory";
    RertLimits l = limits_or_default(limits);
    return decode_bytes(err, data, size, *n, NULL, &l, img);
}

RertVectorField *rert_vector_field_parse(RertError *err,
                                         const void *data,
                                         size_t size,
                                         const char *name,
                                         const RertLimits *limits)
{
    const char *n = "memory";
    VfImage img;
    if (!parse_memory(err, data, size, name, limits, &n, &img)) {
        return NULL;
    }
    return image_to_field(err, &img, n);
}

/* "<folder of path>/<file>", or @p file when it is absolute. */
static char *data_path(RertError *err, const char *path, const char *file)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, 8192);
    const char *slash = strrchr(path, '/');
    bool ok = true;
    if (file[0] != '/' && slash != NULL) {
        ok = rert_strbuf_append(err, &sb, path, (size_t)(slash - path) + 1);
    }
    ok = ok && rert_strbuf_puts(err, &sb, file);
    char *out = ok ? rert_strbuf_take(err, &sb) : NULL;
    rert_strbuf_clear(&sb);
    return out;
}

static bool decode_external(RertError *err,
                            const VfMetaHeader *h,
                            const char *name,
                            const char *path,
                            const RertLimits *limits,
                            VfImage *out)
{
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: MetaImage data in another file (\"%s\"); "
                              "only ElementDataFile = LOCAL is read from "
                              "memory",
                              name, h->data_file);
    }
    char *file = data_path(err, path, h->data_file);
    if (file == NULL) {
        return false;
    }
    RertFileView view;
    memset(&view, 0, sizeof view);
    bool ok =
        rert_file_view_load(err, file, limits->max_file_bytes, true, &view) &&
        vf_meta_decode(err, h, view.data, view.size, file, limits, out);
    rert_file_view_clear(&view);
    rert_free(file);
    return ok;
}

static bool decode_bytes(RertError *err,
                         const uint8_t *data,
                         size_t size,
                         const char *name,
                         const char *path,
                         const RertLimits *limits,
                         VfImage *out)
{
    memset(out, 0, sizeof *out);
    if (is_gzip(data, size)) {
        return decode_gzip(err, data, size, name, limits, out);
    }
    if (vf_nifti_detect(data, size)) {
        return vf_nifti_parse(err, data, size, name, limits, out);
    }
    VfMetaHeader h;
    if (!vf_meta_header_parse(err, data, size, name, &h)) {
        return false;
    }
    if (!h.data_local) {
        return decode_external(err, &h, name, path, limits, out);
    }
    return vf_meta_decode(err, &h, data + h.header_bytes, size - h.header_bytes,
                          name, limits, out);
}

static bool load_image(RertError *err,
                       const char *path,
                       const RertLimits *limits,
                       VfImage *out)
{
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "NULL path");
    }
    RertLimits l = limits_or_default(limits);
    RertFileView view;
    memset(&view, 0, sizeof view);
    if (!rert_file_view_load(err, path, l.max_file_bytes, true, &view)) {
        return false;
    }
    bool ok = decode_bytes(err, view.data, view.size, path, path, &l, out);
    rert_file_view_clear(&view);
    return ok;
}

RertVectorField *rert_vector_field_load(RertError *err,
                                        const char *path,
                                        const RertLimits *limits)
{
    VfImage img;
    if (!load_image(err, path, limits, &img)) {
        return NULL;
    }
    return image_to_field(err, &img, path);
}

/* Wrap a decoded 1-channel image as a volume (frees its data). */
static RertVolume *
image_to_volume(RertError *err, VfImage *img, const char *name)
{
    RertVolume *v = NULL;
    if (img->channels != 1) {
        rert_error_set(err, RERT_ERR_UNSUPPORTED,
                       "%s: %zu channels per voxel, expected 1 (a scalar "
                       "image)",
                       name, img->channels);
    } else {
        v = rert_volume_create(err, &img->geometry);
    }
    if (v != NULL) {
        memcpy(rert_volume_data(v), img->data,
               rert_grid_voxel_count(&img->geometry) * sizeof(float));
    }
    rert_free(img->data);
    img->data = NULL;
    return v;
}

RertVolume *rert_volume_parse_image(RertError *err,
                                    const void *data,
                                    size_t size,
                                    const char *name,
                                    const RertLimits *limits)
{
    const char *n = "memory";
    VfImage img;
    if (!parse_memory(err, data, size, name, limits, &n, &img)) {
        return NULL;
    }
    return image_to_volume(err, &img, n);
}

RertVolume *rert_volume_load_image(RertError *err,
                                   const char *path,
                                   const RertLimits *limits)
{
    VfImage img;
    if (!load_image(err, path, limits, &img)) {
        return NULL;
    }
    return image_to_volume(err, &img, path);
}

RertVolume *rert_volume_load_metaimage(RertError *err,
                                       const char *path,
                                       const RertLimits *limits)
{
    return rert_volume_load_image(err, path, limits);
}

/* ---- writing */

/* Floats converted per write. */
#define WRITE_CHUNK ((size_t)16384)

/* Append @p count floats as little-endian float32. */
static bool write_floats(RertError *err,
                         RertAtomicFile *af,
                         const float *values,
                         size_t count)
{
    uint8_t buf[4 * WRITE_CHUNK];
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &values[i], sizeof u);
        for (unsigned b = 0; b < 4; b++) {
            buf[used++] = (uint8_t)((u >> (8 * b)) & 0xffu);
        }
        bool full = used == sizeof buf || i + 1 == count;
        if (full && !rert_atomic_write(err, af, buf, used)) {
            return false;
        }
        used = full ? 0 : used;
    }
    return true;
}

/* Write a file of an optional text header followed by floats. */
static bool save_file(RertError *err,
                      const char *path,
                      const char *header,
                      const float *values,
                      size_t count)
{
    RertAtomicFile *af = rert_atomic_open(err, path);
    if (af == NULL) {
        return false;
    }
    if ((header != NULL &&
         !rert_atomic_write(err, af, header, strlen(header))) ||
        !write_floats(err, af, values, count)) {
        rert_atomic_abort(af);
        return false;
    }
    return rert_atomic_commit(err, af);
}

/* MetaImage of @p channels floats per voxel: .mha one file, .mhd header +
 * .raw data beside it. */
static bool save_metaimage(RertError *err,
                           const char *path,
                           const RertGridGeometry *g,
                           size_t channels,
                           const float *values)
{
    size_t count = rert_grid_voxel_count(g) * channels;
    if (has_suffix(path, ".mha")) {
        char *header = vf_meta_header_write(err, g, channels, "LOCAL");
        bool ok = header != NULL && save_file(err, path, header, values, count);
        rert_free(header);
        return ok;
    }
    if (!has_suffix(path, ".mhd")) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: unknown extension, expected .mha or .mhd",
                              path);
    }
    size_t n = strlen(path);
    char *raw = rert_strdup(err, path);
    if (raw == NULL) {
        return false;
    }
    raw[n - 3] = 'r'; /* ".mhd" -> ".raw" */
    raw[n - 2] = 'a';
    raw[n - 1] = 'w';
    const char *slash = strrchr(raw, '/');
    const char *base = slash != NULL ? slash + 1 : raw;
    char *header = vf_meta_header_write(err, g, channels, base);
    bool ok = header != NULL && save_file(err, raw, NULL, values, count) &&
              save_file(err, path, header, NULL, 0);
    rert_free(header);
    rert_free(raw);
    return ok;
}

/* NIfTI-1 (".nii") or gzipped NIfTI-1 (".nii.gz") of @p channels. */
static bool save_nifti(RertError *err,
                       const char *path,
                       const RertGridGeometry *g,
                       size_t channels,
                       const float *values)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    if (!vf_nifti_encode(err, g, channels, values, &bytes, &size)) {
        rert_error_prefix(err, "%s", path);
        return false;
    }
    if (has_suffix(path, ".gz")) {
        uint8_t *packed = NULL;
        size_t packed_size = 0;
        bool ok = gzip_bytes(err, bytes, size, &packed, &packed_size);
        rert_free(bytes);
        if (!ok) {
            rert_error_prefix(err, "%s", path);
            return false;
        }
        bytes = packed;
        size = packed_size;
    }
    bool ok = rert_file_save_atomic(err, path, bytes, size);
    rert_free(bytes);
    return ok;
}

/* By extension: .nii, .nii.gz, .mha, .mhd (+ .raw). */
static bool save_image(RertError *err,
                       const char *path,
                       const RertGridGeometry *g,
                       size_t channels,
                       const float *values)
{
    if (has_suffix(path, ".nii") || has_suffix(path, ".nii.gz")) {
        return save_nifti(err, path, g, channels, values);
    }
    if (!has_suffix(path, ".mha") && !has_suffix(path, ".mhd")) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: unknown image extension, expected .mha, "
                              ".mhd, .nii or .nii.gz",
                              path);
    }
    return save_metaimage(err, path, g, channels, values);
}

bool rert_vector_field_save(RertError *err,
                            const char *path,
                            const RertVectorField *f)
{
    if (path == NULL || f == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "vector field save: NULL argument");
    }
    return save_image(err, path, &f->geometry, 3, f->data);
}

bool rert_volume_save_image(RertError *err,
                            const char *path,
                            const RertVolume *v)
{
    if (path == NULL || v == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "image save: NULL argument");
    }
    return save_image(err, path, rert_volume_geometry(v), 1,
                      rert_volume_data_const(v));
}

bool rert_volume_save_metaimage(RertError *err,
                                const char *path,
                                const RertVolume *v)
{
    if (path == NULL || v == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "MetaImage save: NULL argument");
    }
    return save_metaimage(err, path, rert_volume_geometry(v), 1,
                          rert_volume_data_const(v));
}
