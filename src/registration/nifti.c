/* NIfTI-1 single-file images (.nii; .nii.gz is gunzipped by vf_io.c):
 * scalar volumes of the usual integer and float types, and displacement
 * fields as ITK, plastimatch, elastix and ANTs write them: dim[5] = 3
 * components stored as planes, RAS geometry in qform/sform, vector
 * components in LPS for intent 1007 VECTOR and in RAS for intent 1006
 * DISPVECT (docs/deformable.md "NIfTI-1"). */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "vf_internal.h"

#define NIFTI_HEADER_BYTES 348u
#define NIFTI_DATA_OFFSET 352u
#define NIFTI_INTENT_DISPVECT 1006
#define NIFTI_INTENT_VECTOR 1007
#define NIFTI_TYPE_FLOAT32 16
#define NIFTI_TYPE_FLOAT64 64

/* The NIfTI-1 datatypes read (nifti1.h DT_*). */
static const struct {
    size_t bytes;
    VfElementKind kind;
    int16_t code;
} types[] = {
    {1, VF_EL_U8, 2},    {2, VF_EL_I16, 4},   {4, VF_EL_I32, 8},
    {4, VF_EL_F32, 16},  {8, VF_EL_F64, 64},  {1, VF_EL_I8, 256},
    {2, VF_EL_U16, 512}, {4, VF_EL_U32, 768},
};

typedef struct Header {
    bool big_endian;
    int16_t dim[8];
    int16_t intent;
    int16_t datatype;
    float pixdim[8];
    float vox_offset;
    float slope;
    float inter;
    int16_t qform_code;
    int16_t sform_code;
    float quatern[6]; /* b, c, d, qoffset x, y, z */
    float srow[12];
    /* derived by check_shape() */
    size_t dims[3];
    size_t components; /* 1 (scalar) or 3 (vector) */
    size_t type;       /* index into types[] */
} Header;

static uint32_t get_u32(const uint8_t *p, bool be)
{
    return be ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                 (uint32_t)p[2] << 8 | (uint32_t)p[3])
              : ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[1] << 8 | (uint32_t)p[0]);
}

static int16_t get_i16(const uint8_t *p, bool be)
{
    uint16_t u =
        be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
    return (int16_t)u;
}

static float get_f32(const uint8_t *p, bool be)
{
    uint32_t u = get_u32(p, be);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

bool vf_nifti_detect(const uint8_t *data, size_t size)
{
    return size >= NIFTI_HEADER_BYTES &&
           (get_u32(data, false) == NIFTI_HEADER_BYTES ||
            get_u32(data, true) == NIFTI_HEADER_BYTES);
}

static void read_header(const uint8_t *d, bool be, Header *h)
{
    memset(h, 0, sizeof *h);
    h->big_endian = be;
    for (size_t i = 0; i < 8; i++) {
        h->dim[i] = get_i16(d + 40 + 2 * i, be);
        h->pixdim[i] = get_f32(d + 76 + 4 * i, be);
    }
    h->intent = get_i16(d + 68, be);
    h->datatype = get_i16(d + 70, be);
    h->vox_offset = get_f32(d + 108, be);
    h->slope = get_f32(d + 112, be);
    h->inter = get_f32(d + 116, be);
    h->qform_code = get_i16(d + 252, be);
    h->sform_code = get_i16(d + 254, be);
    for (size_t i = 0; i < 6; i++) {
        h->quatern[i] = get_f32(d + 256 + 4 * i, be);
    }
    for (size_t i = 0; i < 12; i++) {
        h->srow[i] = get_f32(d + 280 + 4 * i, be);
    }
}

/* dim[a], or 1 beyond dim[0] (NIfTI: those entries are to be ignored). */
static int dim_or_one(const Header *h, int a)
{
    return a <= h->dim[0] ? h->dim[a] : 1;
}

/* A vector field: intent 1006/1007 and float data. */
static bool check_vector(RertError *err, const Header *h, const char *name)
{
    if (h->intent != NIFTI_INTENT_VECTOR &&
        h->intent != NIFTI_INTENT_DISPVECT) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: NIfTI intent code %d with 3 components, "
                              "expected 1007 (VECTOR) or 1006 (DISPVECT)",
                              name, h->intent);
    }
    if (h->datatype != NIFTI_TYPE_FLOAT32 &&
        h->datatype != NIFTI_TYPE_FLOAT64) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: NIfTI vector datatype %d, expected 16 "
                              "(float32) or 64 (float64)",
                              name, h->datatype);
    }
    return true;
}

/* Shape checks: 3 spatial axes (fewer: 1 voxel along the others), one
 * time point, 1 or 3 components; a known datatype. */
static bool check_shape(RertError *err, Header *h, const char *name)
{
    if (h->dim[0] < 1 || h->dim[0] > 7) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: NIfTI dim[0] = %d, expected 1..7", name,
                              h->dim[0]);
    }
    for (int a = 1; a <= 3; a++) {
        if (dim_or_one(h, a) < 1) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: NIfTI dim[%d] = %d, expected >= 1", name,
                                  a, h->dim[a]);
        }
        h->dims[a - 1] = (size_t)dim_or_one(h, a);
    }
    bool extra_ok = dim_or_one(h, 4) == 1;
    for (int a = 6; a <= 7; a++) {
        extra_ok = extra_ok && dim_or_one(h, a) == 1;
    }
    int components = dim_or_one(h, 5);
    if (!extra_ok || (components != 1 && components != 3)) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: NIfTI dim[4] = %d, dim[5] = %d: expected "
                              "one time point and 1 (scalar image) or 3 "
                              "(vector field) components",
                              name, dim_or_one(h, 4), components);
    }
    h->components = (size_t)components;
    if (components == 3 && !check_vector(err, h, name)) {
        return false;
    }
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (types[t].code == h->datatype) {
            h->type = t;
            return true;
        }
    }
    return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                          "%s: NIfTI datatype %d, expected one of 2 (uint8), "
                          "256 (int8), 4 (int16), 512 (uint16), 8 (int32), "
                          "768 (uint32), 16 (float32), 64 (float64)",
                          name, h->datatype);
}

/* Voxel -> RAS affine (3x4) from the sform, else the qform, else the
 * pixel spacing alone (NIfTI method 1). */
static void ras_affine(const Header *h, double a[3][4])
{
    if (h->sform_code > 0) {
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                a[r][c] = (double)h->srow[4 * r + c];
            }
        }
        return;
    }
    memset(a, 0, 12 * sizeof(double));
    if (h->qform_code <= 0) {
        for (int r = 0; r < 3; r++) {
            a[r][r] = (double)h->pixdim[r + 1];
        }
        return;
    }
    double b = (double)h->quatern[0];
    double c = (double)h->quatern[1];
    double d = (double)h->quatern[2];
    double q = 1.0 - (b * b + c * c + d * d);
    double w = q > 1e-7 ? sqrt(q) : 0.0;
    double qfac = h->pixdim[0] < 0.0f ? -1.0 : 1.0;
    double r[3][3] = {
        {w * w + b * b - c * c - d * d, 2 * (b * c - w * d),
         2 * (b * d + w * c)},
        {2 * (b * c + w * d), w * w + c * c - b * b - d * d,
         2 * (c * d - w * b)},
        {2 * (b * d - w * c), 2 * (c * d + w * b),
         w * w + d * d - c * c - b * b},
    };
    const double s[3] = {(double)h->pixdim[1], (double)h->pixdim[2],
                         qfac * (double)h->pixdim[3]};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            a[i][j] = r[i][j] * s[j];
        }
        a[i][3] = (double)h->quatern[3 + i];
    }
}

static bool nifti_geometry(RertError *err,
                           const Header *h,
                           const char *name,
                           const RertLimits *limits,
                           RertGridGeometry *g)
{
    double a[3][4];
    ras_affine(h, a);
    double origin[3];
    double spacing[3];
    double dir[9];
    for (int col = 0; col < 3; col++) {
        /* RAS -> LPS: negate the x and y rows. */
        const double v[3] = {-a[0][col], -a[1][col], a[2][col]};
        double len = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        if (!(len > 0.0) || !isfinite(len)) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "%s: NIfTI %s axis %d has length %g, "
                                  "expected a positive spacing",
                                  name,
                                  h->sform_code > 0   ? "sform"
                                  : h->qform_code > 0 ? "qform"
                                                      : "pixdim",
                                  col, len);
        }
        spacing[col] = len;
        for (int r = 0; r < 3; r++) {
            dir[3 * col + r] = v[r] / len;
        }
    }
    origin[0] = -a[0][3];
    origin[1] = -a[1][3];
    origin[2] = a[2][3];
    if (!rert_grid_geometry_make(err, h->dims, origin, spacing, dir,
                                 limits->max_voxels, g)) {
        rert_error_prefix(err, "%s: NIfTI geometry", name);
        return false;
    }
    return true;
}

/* Planar components -> interleaved values (vectors in LPS). */
static bool nifti_values(RertError *err,
                         const Header *h,
                         const uint8_t *src,
                         size_t voxels,
                         float *out,
                         const char *name)
{
    size_t bytes = types[h->type].bytes;
    size_t nc = h->components;
    bool scaled = h->slope != 0.0f && isfinite(h->slope) &&
                  isfinite(h->inter) && !(h->slope == 1.0f && h->inter == 0.0f);
    double sign[3] = {1.0, 1.0, 1.0};
    if (nc == 3 && h->intent == NIFTI_INTENT_DISPVECT) {
        sign[0] = -1.0; /* RAS components -> LPS */
        sign[1] = -1.0;
    }
    for (size_t c = 0; c < nc; c++) {
        for (size_t v = 0; v < voxels; v++) {
            double x =
                vf_element_value(src + (c * voxels + v) * bytes,
                                 types[h->type].kind, bytes, h->big_endian);
            if (scaled) {
                x = x * (double)h->slope + (double)h->inter;
            }
            if (!isfinite(x) || fabs(x) > 3.0e38) {
                return rert_error_set(err, RERT_ERR_PARSE,
                                      "%s: NIfTI component %zu of voxel %zu "
                                      "is not a finite float",
                                      name, c, v);
            }
            out[nc * v + c] = (float)(sign[c] * x);
        }
    }
    return true;
}

static bool data_range(RertError *err,
                       const Header *h,
                       size_t size,
                       size_t voxels,
                       const char *name,
                       size_t *offset)
{
    double off = (double)h->vox_offset;
    if (!(off >= (double)NIFTI_DATA_OFFSET) || off != floor(off) ||
        off > (double)size) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: NIfTI vox_offset %g, expected a whole "
                              "number from 352 to the file size %zu",
                              name, off, size);
    }
    *offset = (size_t)off;
    size_t bytes = types[h->type].bytes;
    size_t need = 0;
    if (!rert_mul_size(err, voxels, h->components * bytes, &need)) {
        return false;
    }
    if (need > size - *offset) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: NIfTI data has %zu bytes after vox_offset "
                              "%zu, expected %zu (voxels x %zu components x "
                              "%zu bytes)",
                              name, size - *offset, *offset, need,
                              h->components, bytes);
    }
    return true;
}

bool vf_nifti_parse(RertError *err,
                    const uint8_t *data,
                    size_t size,
                    const char *name,
                    const RertLimits *limits,
                    VfImage *out)
{
    memset(out, 0, sizeof *out);
    if (!vf_nifti_detect(data, size)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: not a NIfTI-1 file (sizeof_hdr is not "
                              "348 or fewer than 348 bytes)",
                              name);
    }
    bool be = get_u32(data, false) != NIFTI_HEADER_BYTES;
    if (memcmp(data + 344, "n+1\0", 4) != 0) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: NIfTI magic is not \"n+1\" (a .hdr/.img "
                              "pair or an Analyze file is not read)",
                              name);
    }
    Header h;
    read_header(data, be, &h);
    RertGridGeometry g;
    size_t offset = 0;
    if (!check_shape(err, &h, name) ||
        !nifti_geometry(err, &h, name, limits, &g) ||
        !data_range(err, &h, size, rert_grid_voxel_count(&g), name, &offset)) {
        return false;
    }
    size_t voxels = rert_grid_voxel_count(&g);
    float *values =
        rert_alloc_voxels(err, voxels, h.components * sizeof(float));
    if (values == NULL ||
        !nifti_values(err, &h, data + offset, voxels, values, name)) {
        rert_free(values);
        return false;
    }
    out->geometry = g;
    out->channels = h.components;
    out->data = values;
    return true;
}

/* ---- writing */

static void put_i16(uint8_t *p, int16_t v)
{
    uint16_t u = (uint16_t)v;
    p[0] = (uint8_t)(u & 0xffu);
    p[1] = (uint8_t)(u >> 8);
}

static void put_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)((u >> (8 * i)) & 0xffu);
    }
}

/* Quaternion (b, c, d) and qfac of a rotation (or reflection) @p r, after
 * nifti_mat44_to_quatern() of nifti1_io.c. */
static void to_quaternion(double r[3][3], double q[3], double *qfac)
{
    double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
                 r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
                 r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    *qfac = 1.0;
    if (det < 0.0) {
        *qfac = -1.0;
        for (int i = 0; i < 3; i++) {
            r[i][2] = -r[i][2];
        }
    }
    double a = r[0][0] + r[1][1] + r[2][2] + 1.0;
    double b;
    double c;
    double d;
    if (a > 0.5) {
        a = 0.5 * sqrt(a);
        b = 0.25 * (r[2][1] - r[1][2]) / a;
        c = 0.25 * (r[0][2] - r[2][0]) / a;
        d = 0.25 * (r[1][0] - r[0][1]) / a;
    } else if (1.0 + r[0][0] - (r[1][1] + r[2][2]) > 1.0) {
        b = 0.5 * sqrt(1.0 + r[0][0] - (r[1][1] + r[2][2]));
        c = 0.25 * (r[0][1] + r[1][0]) / b;
        d = 0.25 * (r[0][2] + r[2][0]) / b;
        a = 0.25 * (r[2][1] - r[1][2]) / b;
    } else if (1.0 + r[1][1] - (r[0][0] + r[2][2]) > 1.0) {
        c = 0.5 * sqrt(1.0 + r[1][1] - (r[0][0] + r[2][2]));
        b = 0.25 * (r[0][1] + r[1][0]) / c;
        d = 0.25 * (r[1][2] + r[2][1]) / c;
        a = 0.25 * (r[0][2] - r[2][0]) / c;
    } else {
        d = 0.5 * sqrt(1.0 + r[2][2] - (r[0][0] + r[1][1]));
        b = 0.25 * (r[0][2] + r[2][0]) / d;
        c = 0.25 * (r[1][2] + r[2][1]) / d;
        a = 0.25 * (r[1][0] - r[0][1]) / d;
    }
    double sign = a < 0.0 ? -1.0 : 1.0;
    q[0] = sign * b;
    q[1] = sign * c;
    q[2] = sign * d;
}

/* Header of a float32 image of @p channels (1 or 3) components: a 3-D
 * scalar volume (dim[0] = 3, no intent) or a vector image (dim[0] = 5,
 * dim[5] = 3, intent 1007). */
static void write_header(const RertGridGeometry *g, size_t channels, uint8_t *h)
{
    memset(h, 0, NIFTI_DATA_OFFSET);
    h[0] = (uint8_t)NIFTI_HEADER_BYTES; /* 348 = 0x015c, little-endian */
    h[1] = (uint8_t)(NIFTI_HEADER_BYTES >> 8);
    bool vector = channels == 3;
    const int16_t dim[8] = {vector ? 5 : 3,
                            (int16_t)g->dims[0],
                            (int16_t)g->dims[1],
                            (int16_t)g->dims[2],
                            1,
                            vector ? 3 : 1,
                            1,
                            1};
    for (size_t i = 0; i < 8; i++) {
        put_i16(h + 40 + 2 * i, dim[i]);
    }
    put_i16(h + 68, vector ? NIFTI_INTENT_VECTOR : 0);
    put_i16(h + 70, NIFTI_TYPE_FLOAT32);
    put_i16(h + 72, 32);
    double ras[3][3]; /* direction columns in RAS */
    double origin[3] = {-g->origin_mm[0], -g->origin_mm[1], g->origin_mm[2]};
    for (int col = 0; col < 3; col++) {
        for (int r = 0; r < 3; r++) {
            double s = r < 2 ? -1.0 : 1.0;
            ras[r][col] = s * g->direction[3 * col + r];
        }
    }
    double q[3];
    double qfac = 1.0;
    double rot[3][3];
    memcpy(rot, ras, sizeof rot);
    to_quaternion(rot, q, &qfac);
    put_f32(h + 76, (float)qfac);
    for (size_t a = 0; a < 3; a++) {
        put_f32(h + 80 + 4 * a, (float)g->spacing_mm[a]);
    }
    put_f32(h + 108, (float)NIFTI_DATA_OFFSET);
    put_f32(h + 112, 1.0f);
    h[123] = 2 | 8; /* mm, seconds */
    put_i16(h + 252, 1);
    put_i16(h + 254, 1);
    for (size_t i = 0; i < 3; i++) {
        put_f32(h + 256 + 4 * i, (float)q[i]);
        put_f32(h + 268 + 4 * i, (float)origin[i]);
    }
    for (size_t r = 0; r < 3; r++) {
        for (size_t c = 0; c < 3; c++) {
            put_f32(h + 280 + 16 * r + 4 * c,
                    (float)(ras[r][c] * g->spacing_mm[c]));
        }
        put_f32(h + 280 + 16 * r + 12, (float)origin[r]);
    }
    h[344] = 'n';
    h[345] = '+';
    h[346] = '1';
    h[347] = 0;
}

bool vf_nifti_encode(RertError *err,
                     const RertGridGeometry *g,
                     size_t channels,
                     const float *data,
                     uint8_t **out,
                     size_t *size)
{
    for (int a = 0; a < 3; a++) {
        if (g->dims[a] > 32767) {
            return rert_error_set(err, RERT_ERR_LIMIT,
                                  "NIfTI-1 writer: axis %d has %zu voxels, "
                                  "more than 32767",
                                  a, g->dims[a]);
        }
    }
    size_t voxels = rert_grid_voxel_count(g);
    size_t bytes = 0;
    size_t total = 0;
    if (!rert_mul_size(err, voxels, 4 * channels, &bytes) ||
        !rert_add_size(err, bytes, NIFTI_DATA_OFFSET, &total)) {
        return false;
    }
    uint8_t *buf = rert_alloc(err, total);
    if (buf == NULL) {
        return false;
    }
    write_header(g, channels, buf);
    uint8_t *p = buf + NIFTI_DATA_OFFSET;
    for (size_t c = 0; c < channels; c++) {
        for (size_t v = 0; v < voxels; v++) {
            put_f32(p + 4 * (c * voxels + v), data[channels * v + c]);
        }
    }
    *out = buf;
    *size = total;
    return true;
}
