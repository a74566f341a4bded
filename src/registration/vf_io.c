/* Vector field and scalar image files: format detection, loading (.nii,
 * .mha, .mhd + data file) and writing (docs/deformable.md "Files"). */
#include <string.h>

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

/* Decode an image from whole-file bytes; MetaImage data must be LOCAL
 * unless @p path is given (then an external data file is loaded). */
static bool decode_bytes(RertError *err,
                         const uint8_t *data,
                         size_t size,
                         const char *name,
                         const char *path,
                         const RertLimits *limits,
                         VfImage *out);

RertVectorField *rert_vector_field_parse(RertError *err,
                                         const void *data,
                                         size_t size,
                                         const char *name,
                                         const RertLimits *limits)
{
    if (data == NULL && size > 0) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "vector field parse: NULL");
        return NULL;
    }
    const char *n = name != NULL ? name : "memory";
    RertLimits l = limits_or_default(limits);
    VfImage img;
    if (!decode_bytes(err, data, size, n, NULL, &l, &img)) {
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
    if (has_suffix(path, ".gz")) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: gzip-compressed files are not read; "
                              "decompress it first (gunzip)",
                              path);
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

RertVolume *rert_volume_load_metaimage(RertError *err,
                                       const char *path,
                                       const RertLimits *limits)
{
    VfImage img;
    if (!load_image(err, path, limits, &img)) {
        return NULL;
    }
    RertVolume *v = NULL;
    if (img.channels != 1) {
        rert_error_set(err, RERT_ERR_UNSUPPORTED,
                       "%s: %zu channels per voxel, expected 1 (a scalar "
                       "image)",
                       path, img.channels);
    } else {
        v = rert_volume_create(err, &img.geometry);
    }
    if (v != NULL) {
        memcpy(rert_volume_data(v), img.data,
               rert_grid_voxel_count(&img.geometry) * sizeof(float));
    }
    rert_free(img.data);
    return v;
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

bool rert_vector_field_save(RertError *err,
                            const char *path,
                            const RertVectorField *f)
{
    if (path == NULL || f == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "vector field save: NULL argument");
    }
    if (has_suffix(path, ".nii")) {
        uint8_t *bytes = NULL;
        size_t size = 0;
        if (!vf_nifti_encode(err, f, &bytes, &size)) {
            rert_error_prefix(err, "%s", path);
            return false;
        }
        bool ok = rert_file_save_atomic(err, path, bytes, size);
        rert_free(bytes);
        return ok;
    }
    if (!has_suffix(path, ".mha") && !has_suffix(path, ".mhd")) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: unknown vector field extension, expected "
                              ".mha, .mhd or .nii",
                              path);
    }
    return save_metaimage(err, path, &f->geometry, 3, f->data);
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
