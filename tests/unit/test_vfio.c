/* Unit tests: image and vector field file interop (NIfTI-1 scalar volumes
 * of every datatype read, sform/qform/pixdim geometry RAS -> LPS, gzip
 * .nii.gz for volumes and fields, truncated or corrupt input; scalar NIfTI
 * written by plastimatch) and the consistency checks of DICOM Deformable
 * Spatial Registration objects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "rert_test.h"

#define TAG(g, e) RERT_TAG(g, e)
#define PI 3.14159265358979323846

static const char *tmp_path(const char *name)
{
    static char path[4][600];
    static int next = 0;
    next = (next + 1) % 4;
    snprintf(path[next], sizeof path[next], "%s/vfio_%s", rert_test_tmpdir(),
             name);
    return path[next];
}

/* ---- a hand-made NIfTI-1 writer (independent of the library's) */

typedef struct Nii {
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
    float quatern[6];
    float srow[12];
} Nii;

static void put(uint8_t *p, const void *v, size_t n, bool be)
{
    const uint8_t *b = v;
    for (size_t i = 0; i < n; i++) {
        p[i] = b[be ? n - 1 - i : i]; /* the host is little-endian */
    }
}

static size_t type_bytes(int16_t datatype)
{
    switch (datatype) {
    case 2:
    case 256:
        return 1;
    case 4:
    case 512:
        return 2;
    case 64:
        return 8;
    default:
        return 4;
    }
}

/* Store @p raw (a stored value) as @p datatype at @p p. */
static void put_value(uint8_t *p, int16_t datatype, double raw, bool be)
{
    uint8_t b[8];
    switch (datatype) {
    case 2: {
        uint8_t v = (uint8_t)raw;
        memcpy(b, &v, 1);
        break;
    }
    case 256: {
        int8_t v = (int8_t)raw;
        memcpy(b, &v, 1);
        break;
    }
    case 4: {
        int16_t v = (int16_t)raw;
        memcpy(b, &v, 2);
        break;
    }
    case 512: {
        uint16_t v = (uint16_t)raw;
        memcpy(b, &v, 2);
        break;
    }
    case 8: {
        int32_t v = (int32_t)raw;
        memcpy(b, &v, 4);
        break;
    }
    case 768: {
        uint32_t v = (uint32_t)raw;
        memcpy(b, &v, 4);
        break;
    }
    case 64:
        memcpy(b, &raw, 8);
        break;
    default: {
        float v = (float)raw;
        memcpy(b, &v, 4);
        break;
    }
    }
    put(p, b, type_bytes(datatype), be);
}

static uint8_t *
nii_bytes(const Nii *h, const double *raw, size_t count, size_t *size)
{
    size_t offset = (size_t)h->vox_offset;
    *size = offset + count * type_bytes(h->datatype);
    uint8_t *b = calloc(*size > 352 ? *size : 352, 1);
    assert_non_null(b);
    bool be = h->big_endian;
    int32_t sizeof_hdr = 348;
    put(b, &sizeof_hdr, 4, be);
    for (size_t i = 0; i < 8; i++) {
        put(b + 40 + 2 * i, &h->dim[i], 2, be);
        put(b + 76 + 4 * i, &h->pixdim[i], 4, be);
    }
    put(b + 68, &h->intent, 2, be);
    put(b + 70, &h->datatype, 2, be);
    put(b + 108, &h->vox_offset, 4, be);
    put(b + 112, &h->slope, 4, be);
    put(b + 116, &h->inter, 4, be);
    put(b + 252, &h->qform_code, 2, be);
    put(b + 254, &h->sform_code, 2, be);
    for (size_t i = 0; i < 6; i++) {
        put(b + 256 + 4 * i, &h->quatern[i], 4, be);
    }
    for (size_t i = 0; i < 12; i++) {
        put(b + 280 + 4 * i, &h->srow[i], 4, be);
    }
    memcpy(b + 344, "n+1", 4);
    for (size_t i = 0; i < count; i++) {
        put_value(b + offset + i * type_bytes(h->datatype), h->datatype, raw[i],
                  be);
    }
    return b;
}

#define NX 4
#define NY 3
#define NZ 2
#define NV (NX * NY * NZ)

/* 4 x 3 x 2 scalar float32, sform = RAS rotation of 30 degrees about z,
 * spacing (1.5, 2, 3), offset (10, -20, 30). */
static Nii nii_default(void)
{
    Nii h;
    memset(&h, 0, sizeof h);
    const int16_t dim[8] = {3, NX, NY, NZ, 1, 1, 1, 1};
    memcpy(h.dim, dim, sizeof dim);
    h.datatype = 16;
    h.pixdim[0] = 1.0f;
    h.pixdim[1] = 1.5f;
    h.pixdim[2] = 2.0f;
    h.pixdim[3] = 3.0f;
    h.vox_offset = 352.0f;
    h.slope = 1.0f;
    double c = cos(PI / 6.0);
    double s = sin(PI / 6.0);
    const double srow[12] = {1.5 * c, -2.0 * s, 0.0, 10.0, 1.5 * s, 2.0 * c,
                             0.0,     -20.0,    0.0, 0.0,  3.0,     30.0};
    for (int i = 0; i < 12; i++) {
        h.srow[i] = (float)srow[i];
    }
    h.sform_code = 1;
    /* the same rotation as a quaternion: (0, 0, sin 15 deg) */
    h.qform_code = 1;
    h.quatern[2] = (float)sin(PI / 12.0);
    h.quatern[3] = 10.0f;
    h.quatern[4] = -20.0f;
    h.quatern[5] = 30.0f;
    return h;
}

/* The LPS grid nii_default() describes. */
static RertGridGeometry expected_grid(void)
{
    double c = cos(PI / 6.0);
    double s = sin(PI / 6.0);
    const size_t dims[3] = {NX, NY, NZ};
    const double origin[3] = {-10.0, 20.0, 30.0};
    const double spacing[3] = {1.5, 2.0, 3.0};
    const double dir[9] = {-c, -s, 0.0, s, -c, 0.0, 0.0, 0.0, 1.0};
    RertGridGeometry g;
    RertError err;
    assert_true(
        rert_grid_geometry_make(&err, dims, origin, spacing, dir, 0, &g));
    return g;
}

static void raw_values(int16_t datatype, double raw[NV])
{
    bool is_unsigned = datatype == 2 || datatype == 512 || datatype == 768;
    for (size_t i = 0; i < NV; i++) {
        double v = (double)((i * 7) % 23);
        raw[i] = is_unsigned ? v + 100.0 : v - 11.0;
    }
}

/* Parse @p h with @p raw; NULL with err set on failure. */
static RertVolume *
parse_nii(const Nii *h, const double *raw, size_t count, RertError *err)
{
    size_t size = 0;
    uint8_t *b = nii_bytes(h, raw, count, &size);
    rert_error_clear(err);
    RertVolume *v = rert_volume_parse_image(err, b, size, "test.nii", NULL);
    free(b);
    return v;
}

static void expect_nii_error(const Nii *h,
                             const double *raw,
                             size_t count,
                             RertErrorCode code,
                             const char *needle)
{
    RertError err;
    RertVolume *v = parse_nii(h, raw, count, &err);
    if (v != NULL) {
        rert_volume_destroy(v);
        fail_msg("expected %s with '%s', the file was read",
                 rert_error_code_name(code), needle);
    }
    if (err.code != code || strstr(err.message, needle) == NULL ||
        strstr(err.message, "test.nii") == NULL) {
        fail_msg("expected %s with '%s' and the name, got %s: %s",
                 rert_error_code_name(code), needle,
                 rert_error_code_name(err.code), err.message);
    }
}

/* ---- NIfTI-1 scalar volumes */

static void test_nifti_scalar_types(void **state)
{
    (void)state;
    static const int16_t types[] = {2, 256, 4, 512, 8, 768, 16, 64};
    RertGridGeometry want = expected_grid();
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        for (int be = 0; be < 2; be++) {
            Nii h = nii_default();
            h.datatype = types[t];
            h.big_endian = be != 0;
            h.slope = 0.5f;
            h.inter = -10.0f;
            double raw[NV];
            raw_values(types[t], raw);
            RertError err;
            RertVolume *v = parse_nii(&h, raw, NV, &err);
            if (v == NULL) {
                fail_msg("datatype %d, %s: %s", types[t], be ? "BE" : "LE",
                         err.message);
            }
            assert_true(
                rert_grid_geometry_equal(rert_volume_geometry(v), &want, 1e-5));
            const float *d = rert_volume_data_const(v);
            for (size_t i = 0; i < NV; i++) {
                rert_assert_near((double)d[i], raw[i] * 0.5 - 10.0, 0.0, 0.0);
            }
            rert_volume_destroy(v);
        }
    }
    /* scl_slope 0 means "not scaled". */
    Nii h = nii_default();
    h.slope = 0.0f;
    h.inter = 5.0f;
    double raw[NV];
    raw_values(16, raw);
    RertError err;
    RertVolume *v = parse_nii(&h, raw, NV, &err);
    assert_non_null(v);
    rert_assert_near((double)rert_volume_data_const(v)[3], raw[3], 0.0, 0.0);
    rert_volume_destroy(v);
}

static void expect_geometry(const Nii *h, const RertGridGeometry *want)
{
    double raw[NV];
    raw_values(16, raw);
    RertError err;
    RertVolume *v = parse_nii(h, raw, NV, &err);
    if (v == NULL) {
        fail_msg("%s", err.message);
    }
    const RertGridGeometry *g = rert_volume_geometry(v);
    if (!rert_grid_geometry_equal(g, want, 1e-5)) {
        fail_msg("geometry: origin %g %g %g, i axis %g %g %g, k axis %g %g %g",
                 g->origin_mm[0], g->origin_mm[1], g->origin_mm[2],
                 g->direction[0], g->direction[1], g->direction[2],
                 g->direction[6], g->direction[7], g->direction[8]);
    }
    rert_volume_destroy(v);
}

static void test_nifti_scalar_geometry(void **state)
{
    (void)state;
    RertGridGeometry want = expected_grid();
    /* qform only: the same grid. */
    Nii h = nii_default();
    h.sform_code = 0;
    expect_geometry(&h, &want);
    /* qfac -1: the k axis reversed (a left-handed grid). */
    h.pixdim[0] = -1.0f;
    RertGridGeometry left = want;
    for (int r = 0; r < 3; r++) {
        left.direction[6 + r] = -want.direction[6 + r];
    }
    RertError err;
    assert_true(rert_grid_geometry_make(&err, left.dims, left.origin_mm,
                                        left.spacing_mm, left.direction, 0,
                                        &left));
    expect_geometry(&h, &left);
    /* The sform wins over a different qform. */
    h = nii_default();
    h.quatern[2] = 0.0f;
    expect_geometry(&h, &want);
    /* Neither: pixdim along the RAS axes, i.e. LPS (-x, -y, +z). */
    h.sform_code = 0;
    h.qform_code = 0;
    const double lps[9] = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
    const double zero[3] = {0.0, 0.0, 0.0};
    RertGridGeometry plain;
    assert_true(rert_grid_geometry_make(&err, want.dims, zero, want.spacing_mm,
                                        lps, 0, &plain));
    expect_geometry(&h, &plain);
    /* dim[0] = 4 with one time point; dim[0] = 2: one slice, whatever
     * dim[3] holds (entries past dim[0] are ignored). */
    h = nii_default();
    h.dim[0] = 4;
    expect_geometry(&h, &want);
    h.dim[0] = 2;
    h.dim[3] = 7;
    double raw[NV];
    raw_values(16, raw);
    RertVolume *v = parse_nii(&h, raw, NV, &err);
    assert_non_null(v);
    assert_int_equal(rert_volume_geometry(v)->dims[2], 1);
    rert_volume_destroy(v);
}

static void test_nifti_scalar_errors(void **state)
{
    (void)state;
    double raw[3 * NV]; /* room for the vector and time-series cases */
    raw_values(16, raw);
    memcpy(raw + NV, raw, NV * sizeof raw[0]);
    memcpy(raw + 2 * NV, raw, NV * sizeof raw[0]);
    Nii h = nii_default();
    h.datatype = 32; /* complex64 */
    expect_nii_error(&h, raw, NV, RERT_ERR_UNSUPPORTED, "datatype 32");
    h.datatype = 1024; /* int64 */
    expect_nii_error(&h, raw, NV, RERT_ERR_UNSUPPORTED, "datatype 1024");
    h = nii_default();
    h.dim[0] = 4;
    h.dim[4] = 2; /* a time series */
    expect_nii_error(&h, raw, 2 * NV, RERT_ERR_UNSUPPORTED, "dim[4] = 2");
    h = nii_default();
    h.dim[0] = 5;
    h.dim[5] = 2;
    expect_nii_error(&h, raw, 2 * NV, RERT_ERR_UNSUPPORTED, "dim[5] = 2");
    h = nii_default();
    h.dim[0] = 0;
    expect_nii_error(&h, raw, NV, RERT_ERR_PARSE, "dim[0] = 0");
    h = nii_default();
    h.dim[2] = 0;
    expect_nii_error(&h, raw, NV, RERT_ERR_PARSE, "dim[2] = 0");
    h = nii_default();
    expect_nii_error(&h, raw, NV - 1, RERT_ERR_PARSE, "expected 96");
    h.vox_offset = 348.0f;
    expect_nii_error(&h, raw, NV, RERT_ERR_PARSE, "vox_offset");
    h = nii_default();
    double bad[NV];
    memcpy(bad, raw, sizeof bad);
    bad[5] = (double)INFINITY;
    expect_nii_error(&h, bad, NV, RERT_ERR_PARSE, "voxel 5");
    h.datatype = 64;
    bad[5] = (double)NAN;
    expect_nii_error(&h, bad, NV, RERT_ERR_PARSE, "not a finite");
    /* A sheared sform, a zero-length axis. */
    h = nii_default();
    h.srow[1] += 0.7f;
    expect_nii_error(&h, raw, NV, RERT_ERR_GEOMETRY, "NIfTI geometry");
    h = nii_default();
    h.srow[2] = h.srow[6] = h.srow[10] = 0.0f;
    expect_nii_error(&h, raw, NV, RERT_ERR_GEOMETRY, "sform axis 2");
    /* A vector image is not a scalar volume, and the reverse. */
    h = nii_default();
    h.dim[0] = 5;
    h.dim[5] = 3;
    h.intent = 1007;
    expect_nii_error(&h, raw, 3 * NV, RERT_ERR_UNSUPPORTED, "3 channels");
    h.datatype = 4;
    expect_nii_error(&h, raw, 3 * NV, RERT_ERR_UNSUPPORTED, "vector datatype");
    h = nii_default();
    size_t size = 0;
    uint8_t *b = nii_bytes(&h, raw, NV, &size);
    RertError err;
    assert_null(rert_vector_field_parse(&err, b, size, "scalar.nii", NULL));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "expected 3"));
    free(b);
}

/* ---- gzip */

static uint8_t *file_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    uint8_t *b = malloc((size_t)n + 16);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* One gzip member of @p n bytes appended at @p out (room assumed). */
static size_t
gzip_member(const uint8_t *src, size_t n, uint8_t *out, size_t room)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(
        deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
        Z_OK);
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)room;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t written = room - z.avail_out;
    deflateEnd(&z);
    return written;
}

static RertVolume *turned_volume(void)
{
    const size_t dims[3] = {9, 7, 5};
    const double origin[3] = {-12.5, 40.25, -3.0};
    const double spacing[3] = {1.25, 2.5, 3.5};
    double c = cos(0.4);
    double s = sin(0.4);
    const double dir[9] = {c, 0.0, -s, 0.0, 1.0, 0.0, s, 0.0, c};
    RertGridGeometry g;
    RertError err;
    assert_true(
        rert_grid_geometry_make(&err, dims, origin, spacing, dir, 0, &g));
    RertVolume *v = rert_volume_create(&err, &g);
    assert_non_null(v);
    float *d = rert_volume_data(v);
    for (size_t i = 0; i < rert_grid_voxel_count(&g); i++) {
        d[i] = -1000.0f + 0.37f * (float)(i * 13 % 101) + (float)i;
    }
    return v;
}

static void expect_same_volume(const RertVolume *a, const RertVolume *b)
{
    assert_true(rert_grid_geometry_equal(rert_volume_geometry(a),
                                         rert_volume_geometry(b), 1e-4));
    assert_memory_equal(rert_volume_data_const(a), rert_volume_data_const(b),
                        rert_grid_voxel_count(rert_volume_geometry(a)) *
                            sizeof(float));
}

static void expect_gz_error(const uint8_t *b,
                            size_t size,
                            const RertLimits *limits,
                            RertErrorCode code,
                            const char *needle)
{
    RertError err;
    rert_error_clear(&err);
    RertVolume *v =
        rert_volume_parse_image(&err, b, size, "cut.nii.gz", limits);
    if (v != NULL) {
        rert_volume_destroy(v);
        fail_msg("expected %s with '%s'", rert_error_code_name(code), needle);
    }
    if (err.code != code || strstr(err.message, needle) == NULL ||
        strstr(err.message, "cut.nii.gz") == NULL) {
        fail_msg("expected %s with '%s' and the name, got %s: %s",
                 rert_error_code_name(code), needle,
                 rert_error_code_name(err.code), err.message);
    }
}

static void test_gzip_round_trips(void **state)
{
    (void)state;
    RertError err;
    rert_error_clear(&err);
    RertVolume *v = turned_volume();
    const char *plain = tmp_path("scalar.nii");
    const char *packed = tmp_path("scalar.nii.gz");
    assert_true(rert_volume_save_image(&err, plain, v));
    assert_true(rert_volume_save_image(&err, packed, v));
    size_t size = 0;
    uint8_t *b = file_bytes(packed, &size);
    assert_true(b[0] == 0x1f && b[1] == 0x8b);
    size_t plain_size = 0;
    uint8_t *nb = file_bytes(plain, &plain_size);
    assert_true(size < plain_size);
    free(b);
    free(nb);
    RertVolume *a = rert_volume_load_image(&err, plain, NULL);
    RertVolume *z = rert_volume_load_image(&err, packed, NULL);
    assert_non_null(a);
    assert_non_null(z);
    expect_same_volume(a, v);
    expect_same_volume(z, v);
    /* MetaImage through the same functions. */
    const char *mha = tmp_path("scalar.mha");
    assert_true(rert_volume_save_image(&err, mha, v));
    RertVolume *m = rert_volume_load_image(&err, mha, NULL);
    assert_non_null(m);
    expect_same_volume(m, v);
    assert_false(rert_volume_save_image(&err, tmp_path("x.png"), v));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_volume_destroy(a);
    rert_volume_destroy(z);
    rert_volume_destroy(m);
    /* A vector field as .nii.gz, bit for bit. */
    RertVectorField *f =
        rert_vector_field_create(&err, rert_volume_geometry(v));
    assert_non_null(f);
    float *u = rert_vector_field_data(f);
    size_t n = 3 * rert_grid_voxel_count(rert_volume_geometry(v));
    for (size_t i = 0; i < n; i++) {
        u[i] = 0.01f * (float)(i % 97) - 0.3f;
    }
    const char *fpath = tmp_path("field.nii.gz");
    assert_true(rert_vector_field_save(&err, fpath, f));
    RertVectorField *back = rert_vector_field_load(&err, fpath, NULL);
    if (back == NULL) {
        fail_msg("%s", err.message);
    }
    assert_memory_equal(rert_vector_field_data_const(back), u,
                        n * sizeof(float));
    assert_true(rert_grid_geometry_equal(rert_vector_field_geometry(back),
                                         rert_volume_geometry(v), 1e-4));
    /* a field is not a scalar volume */
    assert_null(rert_volume_load_image(&err, fpath, NULL));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    rert_vector_field_destroy(back);
    rert_vector_field_destroy(f);
    rert_volume_destroy(v);
}

static void test_gzip_errors(void **state)
{
    (void)state;
    RertError err;
    rert_error_clear(&err);
    RertVolume *v = turned_volume();
    const char *packed = tmp_path("errors.nii.gz");
    const char *plain = tmp_path("errors.nii");
    assert_true(rert_volume_save_image(&err, packed, v));
    assert_true(rert_volume_save_image(&err, plain, v));
    size_t size = 0;
    uint8_t *b = file_bytes(packed, &size);
    size_t raw_size = 0;
    uint8_t *raw = file_bytes(plain, &raw_size);
    /* The whole file parses from memory. */
    RertVolume *w = rert_volume_parse_image(&err, b, size, "mem", NULL);
    assert_non_null(w);
    expect_same_volume(w, v);
    rert_volume_destroy(w);
    /* Truncated: in the trailer, in the middle, after the header. */
    expect_gz_error(b, size - 3, NULL, RERT_ERR_PARSE, "truncated");
    expect_gz_error(b, size / 2, NULL, RERT_ERR_PARSE, "truncated");
    expect_gz_error(b, 12, NULL, RERT_ERR_PARSE, "truncated");
    expect_gz_error(b, 2, NULL, RERT_ERR_PARSE, "truncated");
    /* Corrupt: the CRC-32 in the trailer, then the deflate data. */
    b[size - 6] ^= 0x5a;
    expect_gz_error(b, size, NULL, RERT_ERR_PARSE, "corrupt");
    b[size - 6] ^= 0x5a;
    for (size_t i = 12; i < 40 && i < size; i++) {
        b[i] = 0xff;
    }
    expect_gz_error(b, size, NULL, RERT_ERR_PARSE, "gzip");
    free(b);
    /* Two members (RFC 1952: a gzip file may hold several) read as one;
     * bytes after the end are an error. */
    size_t room = 2 * raw_size + 1024;
    uint8_t *two = malloc(room + 8);
    assert_non_null(two);
    size_t half = raw_size / 2;
    size_t n1 = gzip_member(raw, half, two, room);
    size_t n2 = gzip_member(raw + half, raw_size - half, two + n1, room - n1);
    w = rert_volume_parse_image(&err, two, n1 + n2, "two.nii.gz", NULL);
    if (w == NULL) {
        fail_msg("%s", err.message);
    }
    expect_same_volume(w, v);
    rert_volume_destroy(w);
    memcpy(two + n1 + n2, "junk", 4);
    expect_gz_error(two, n1 + n2 + 4, NULL, RERT_ERR_PARSE, "after the end");
    /* The inflated size is bounded by max_inflated_bytes. */
    RertLimits small = rert_limits_default();
    small.max_inflated_bytes = raw_size - 1;
    expect_gz_error(two, n1 + n2, &small, RERT_ERR_LIMIT, "max_inflated_bytes");
    small.max_inflated_bytes = raw_size;
    w = rert_volume_parse_image(&err, two, n1 + n2, "two.nii.gz", &small);
    assert_non_null(w);
    rert_volume_destroy(w);
    /* gzip of something else (a MetaImage header). */
    const char *text = "ObjectType = Image\nNDims = 3\n";
    size_t n3 = gzip_member((const uint8_t *)text, strlen(text), two, room);
    expect_gz_error(two, n3, NULL, RERT_ERR_PARSE, "not a NIfTI-1");
    free(two);
    free(raw);
    /* A missing file. */
    assert_null(rert_volume_load_image(&err, tmp_path("none.nii.gz"), NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
    rert_volume_destroy(v);
}

/* ---- scalar NIfTI written by plastimatch 1.9.4 (ITK); skipped without */

static void test_plastimatch_scalar_nifti(void **state)
{
    (void)state;
    if (access("/usr/bin/plastimatch", X_OK) != 0) {
        print_message("plastimatch not installed, skipped\n");
        return;
    }
    RertError err;
    rert_error_clear(&err);
    RertVolume *v = turned_volume();
    const char *mha = tmp_path("pm_in.mha");
    assert_true(rert_volume_save_metaimage(&err, mha, v));
    static const char *const outputs[2] = {"pm_float.nii.gz", "pm_short.nii"};
    static const char *const types[2] = {"float", "short"};
    for (int t = 0; t < 2; t++) {
        const char *out = tmp_path(outputs[t]);
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "plastimatch convert --input %s --output-img %s "
                 "--output-type %s >/dev/null 2>&1",
                 mha, out, types[t]);
        assert_int_equal(system(cmd), 0);
        RertVolume *w = rert_volume_load_image(&err, out, NULL);
        if (w == NULL) {
            fail_msg("%s", err.message);
        }
        /* ITK writes RAS in the header; read back as the LPS grid. */
        assert_true(rert_grid_geometry_equal(rert_volume_geometry(w),
                                             rert_volume_geometry(v), 1e-4));
        const float *a = rert_volume_data_const(v);
        const float *b = rert_volume_data_const(w);
        for (size_t i = 0; i < rert_grid_voxel_count(rert_volume_geometry(v));
             i++) {
            /* short: plastimatch truncates toward zero */
            double want = t == 0 ? (double)a[i] : trunc((double)a[i]);
            rert_assert_near((double)b[i], want, 0.0, 0.0);
        }
        rert_volume_destroy(w);
    }
    rert_volume_destroy(v);
}

/* ---- Deformable Spatial Registration: consistency checks */

static const char *const REF_FOR = "1.2.826.0.1.3680043.10.543.21";
static const char *const MOV_FOR = "1.2.826.0.1.3680043.10.543.22";

typedef struct Dreg {
    bool has_frame;
    bool has_source;
    const double *post; /* 16 values or NULL */
    const char *post_type;
    int pre_items;
    int grid_items;
    double resolution[3];
    size_t dims_count; /* GridDimensions values */
    double orientation[6];
} Dreg;

static Dreg dreg_default(void)
{
    Dreg d;
    memset(&d, 0, sizeof d);
    d.has_frame = true;
    d.has_source = true;
    d.grid_items = 1;
    d.resolution[0] = d.resolution[1] = d.resolution[2] = 2.0;
    d.dims_count = 3;
    const double iop[6] = {1, 0, 0, 0, 1, 0};
    memcpy(d.orientation, iop, sizeof iop);
    return d;
}

static void
add_matrix(RertDataset *item, uint32_t tag, const double *m, const char *type)
{
    RertError err;
    RertDataset *mi = rert_dataset_add_item(&err, item, tag);
    assert_non_null(mi);
    assert_true(rert_dataset_set_ds(&err, mi, TAG(0x3006, 0x00C6), m, 16));
    assert_true(
        rert_dataset_set_string(&err, mi, TAG(0x0070, 0x030C), "CS", type));
}

static void add_grid(RertDataset *item, const Dreg *d)
{
    RertError err;
    RertDataset *g = rert_dataset_add_item(&err, item, TAG(0x0064, 0x0005));
    assert_non_null(g);
    const double ipp[3] = {-1.0, 2.0, 3.0};
    const uint32_t dims[3] = {3, 2, 2};
    float v[36];
    for (size_t i = 0; i < 36; i++) {
        v[i] = 0.25f * (float)i;
    }
    assert_true(rert_dataset_set_ds(&err, g, TAG(0x0020, 0x0032), ipp, 3));
    assert_true(
        rert_dataset_set_ds(&err, g, TAG(0x0020, 0x0037), d->orientation, 6));
    assert_true(rert_dataset_set_u32(&err, g, TAG(0x0064, 0x0007), dims,
                                     d->dims_count));
    assert_true(rert_dataset_set_bytes(&err, g, TAG(0x0064, 0x0008), "FD",
                                       d->resolution, sizeof d->resolution));
    assert_true(rert_dataset_set_bytes(&err, g, TAG(0x0064, 0x0009), "OF", v,
                                       sizeof v));
}

static RertDataset *build_dreg(const Dreg *d)
{
    static const double identity[16] = {1, 0, 0, 0, 0, 1, 0, 0,
                                        0, 0, 1, 0, 0, 0, 0, 1};
    RertError err;
    RertDataset *ds = rert_dataset_create(&err);
    assert_non_null(ds);
    assert_true(rert_dataset_set_string(&err, ds, TAG(0x0008, 0x0016), "UI",
                                        RERT_DREG_SOP_CLASS_UID));
    assert_true(rert_dataset_set_string(&err, ds, TAG(0x0008, 0x0018), "UI",
                                        "1.2.826.0.1.3680043.10.543.29"));
    if (d->has_frame) {
        assert_true(rert_dataset_set_string(&err, ds, TAG(0x0020, 0x0052), "UI",
                                            REF_FOR));
    }
    RertDataset *item = rert_dataset_add_item(&err, ds, TAG(0x0064, 0x0002));
    assert_non_null(item);
    if (d->has_source) {
        assert_true(rert_dataset_set_string(&err, item, TAG(0x0064, 0x0003),
                                            "UI", MOV_FOR));
    }
    for (int i = 0; i < d->pre_items; i++) {
        add_matrix(item, TAG(0x0064, 0x000F), identity, "RIGID");
    }
    if (d->post != NULL) {
        add_matrix(item, TAG(0x0064, 0x0010), d->post, d->post_type);
    }
    for (int i = 0; i < d->grid_items; i++) {
        add_grid(item, d);
    }
    return ds;
}

static void
expect_dreg_error(const Dreg *d, RertErrorCode code, const char *needle)
{
    RertError err;
    rert_error_clear(&err);
    RertDataset *ds = build_dreg(d);
    RertDeformableRegistration *reg = rert_dreg_from_dataset(&err, ds, NULL);
    rert_dataset_destroy(ds);
    if (reg != NULL) {
        rert_dreg_destroy(reg);
        fail_msg("expected %s with '%s', the object was read",
                 rert_error_code_name(code), needle);
    }
    if (err.code != code || strstr(err.message, needle) == NULL) {
        fail_msg("expected %s with '%s', got %s: %s",
                 rert_error_code_name(code), needle,
                 rert_error_code_name(err.code), err.message);
    }
}

static void test_dreg_consistency(void **state)
{
    (void)state;
    Dreg d = dreg_default();
    RertError err;
    rert_error_clear(&err);
    RertDataset *ds = build_dreg(&d);
    RertDeformableRegistration *reg = rert_dreg_from_dataset(&err, ds, NULL);
    if (reg == NULL) {
        fail_msg("the base case must be valid: %s", err.message);
    }
    rert_dataset_destroy(ds);
    /* Wrong frame references when the transform is asked for. */
    assert_null(rert_dreg_transform_create(&err, reg, MOV_FOR, MOV_FOR, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, REF_FOR));
    assert_null(
        rert_dreg_transform_create(&err, reg, REF_FOR, "1.2.3.4.5", NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "1.2.3.4.5"));
    assert_non_null(strstr(err.message, MOV_FOR));
    RertTransform *t =
        rert_dreg_transform_create(&err, reg, REF_FOR, MOV_FOR, NULL);
    assert_non_null(t);
    rert_transform_destroy(t);
    rert_dreg_destroy(reg);

    /* Missing frame references. */
    d = dreg_default();
    d.has_frame = false;
    expect_dreg_error(&d, RERT_ERR_PARSE, "FrameOfReferenceUID (0020,0052)");
    d = dreg_default();
    d.has_source = false;
    expect_dreg_error(&d, RERT_ERR_PARSE,
                      "SourceFrameOfReferenceUID (0064,0003)");
    /* A post-deformation matrix declared RIGID that is not. */
    static const double sheared[16] = {1, 0.2, 0, 0, 0, 1, 0, 0,
                                       0, 0,   1, 0, 0, 0, 0, 1};
    d = dreg_default();
    d.post = sheared;
    d.post_type = "RIGID";
    expect_dreg_error(&d, RERT_ERR_GEOMETRY, "PostDeformation");
    /* Sequences that allow one item holding two. */
    d = dreg_default();
    d.pre_items = 2;
    expect_dreg_error(&d, RERT_ERR_PARSE, "PreDeformation");
    d = dreg_default();
    d.grid_items = 2;
    expect_dreg_error(&d, RERT_ERR_PARSE, "DeformableRegistrationGridSequence");
    /* Grids that do not match their sizes or are not grids. */
    d = dreg_default();
    d.dims_count = 2;
    expect_dreg_error(&d, RERT_ERR_PARSE, "DeformableRegistrationGridSequence");
    d = dreg_default();
    d.resolution[1] = 0.0;
    expect_dreg_error(&d, RERT_ERR_GEOMETRY, "GridResolution");
    d.resolution[1] = -2.0;
    expect_dreg_error(&d, RERT_ERR_GEOMETRY, "GridResolution");
    d = dreg_default();
    d.orientation[3] = 0.6; /* column not orthogonal to the row */
    d.orientation[4] = 0.8;
    expect_dreg_error(&d, RERT_ERR_GEOMETRY, "ImageOrientationPatient");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nifti_scalar_types),
        cmocka_unit_test(test_nifti_scalar_geometry),
        cmocka_unit_test(test_nifti_scalar_errors),
        cmocka_unit_test(test_gzip_round_trips),
        cmocka_unit_test(test_gzip_errors),
        cmocka_unit_test(test_plastimatch_scalar_nifti),
        cmocka_unit_test(test_dreg_consistency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
