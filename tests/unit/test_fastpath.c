/* Unit tests of the fast paths behind the benchmarks (bench/read_eqd2.sh):
 * aligned allocation, mapped file views, zero-copy DICOM loading (values
 * borrowed from the mapped file), header clones without pixel data, stored
 * pixels -> rescaled floats, and the plain-LQ voxel kernel. Each fast path
 * is checked against a plain reference computed here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/io.h>
#include <rert/radbio.h>

#include "dicom_encoder.h"
#include "rert_test.h"

#define TAG_ROWS RERT_TAG(0x0028, 0x0010)
#define TAG_COLUMNS RERT_TAG(0x0028, 0x0011)
#define TAG_FRAMES RERT_TAG(0x0028, 0x0008)
#define TAG_BITS_ALLOCATED RERT_TAG(0x0028, 0x0100)
#define TAG_BITS_STORED RERT_TAG(0x0028, 0x0101)
#define TAG_PIXEL_REPRESENTATION RERT_TAG(0x0028, 0x0103)
#define TAG_PATIENT_NAME RERT_TAG(0x0010, 0x0010)

/* ---- a growable byte buffer to write test files larger than Enc holds */

typedef struct Buf {
    uint8_t *data;
    size_t n;
    size_t cap;
} Buf;

static void buf_put(Buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->n, p, n);
    b->n += n;
}

static void buf_uint(Buf *b, uint32_t v, size_t bytes, bool big)
{
    uint8_t out[4];
    for (size_t i = 0; i < bytes; i++) {
        size_t shift = 8 * (big ? bytes - 1 - i : i);
        out[i] = (uint8_t)(v >> shift);
    }
    buf_put(b, out, bytes);
}

/* Explicit VR element; @p value little endian, swapped in units of
 * @p unit bytes when @p big. */
static void buf_element(Buf *b,
                        uint32_t tag,
                        const char *vr,
                        const void *value,
                        size_t len,
                        size_t unit,
                        bool big)
{
    buf_uint(b, RERT_TAG_GROUP(tag), 2, big);
    buf_uint(b, RERT_TAG_ELEMENT(tag), 2, big);
    buf_put(b, vr, 2);
    if (long_vr(vr)) {
        buf_uint(b, 0, 2, big);
        buf_uint(b, (uint32_t)len, 4, big);
    } else {
        buf_uint(b, (uint32_t)len, 2, big);
    }
    const uint8_t *v = value;
    for (size_t i = 0; i < len; i++) {
        size_t at =
            big && unit > 1 ? i / unit * unit + (unit - 1 - i % unit) : i;
        buf_put(b, &v[at], 1);
    }
}

static void buf_us(Buf *b, uint32_t tag, uint16_t v, bool big)
{
    uint8_t le[2] = {(uint8_t)(v & 0xFF), (uint8_t)(v >> 8)};
    buf_element(b, tag, "US", le, 2, 2, big);
}

/* Preamble and a file meta group naming @p ts. */
static void buf_meta(Buf *b, const char *ts)
{
    uint8_t zero[128] = {0};
    buf_put(b, zero, sizeof zero);
    buf_put(b, "DICM", 4);
    char uid[66];
    size_t n = strlen(ts);
    memcpy(uid, ts, n + 1);
    if (n % 2 != 0) {
        uid[n++] = '\0';
    }
    buf_element(b, RERT_TAG(0x0002, 0x0010), "UI", uid, n, 1, false);
}

/* Image pixel module and 16-bit pixel data value(i) = i * 7 - 20000. */
static void
buf_image(Buf *b, uint16_t rows, uint16_t cols, bool big, int16_t *values)
{
    buf_element(b, RERT_TAG(0x0008, 0x0016), "UI", RT_DOSE_CLASS "\0", 30, 1,
                big);
    buf_element(b, RERT_TAG(0x0008, 0x0018), "UI", "1.2.3.4\0", 8, 1, big);
    buf_element(b, TAG_PATIENT_NAME, "PN", "Fast^Path ", 10, 1, big);
    buf_us(b, TAG_ROWS, rows, big);
    buf_us(b, TAG_COLUMNS, cols, big);
    buf_us(b, TAG_BITS_ALLOCATED, 16, big);
    buf_us(b, TAG_PIXEL_REPRESENTATION, 1, big);
    size_t count = (size_t)rows * cols;
    uint8_t *le = malloc(2 * count);
    assert_non_null(le);
    for (size_t i = 0; i < count; i++) {
        values[i] = (int16_t)((long)(i % 6000) * 7 - 20000);
        uint16_t u = (uint16_t)values[i];
        le[2 * i] = (uint8_t)(u & 0xFF);
        le[2 * i + 1] = (uint8_t)(u >> 8);
    }
    buf_element(b, TAG_PIXEL, "OW", le, 2 * count, 2, big);
    free(le);
}

static void buf_save(const Buf *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->n, f), b->n);
    assert_int_equal(fclose(f), 0);
}

static void tmp_path(char *out, size_t size, const char *name)
{
    (void)snprintf(out, size, "%s/%s", rert_test_tmpdir(), name);
}

/* The decoded values of @p ds must equal @p want as floats. */
static void
expect_pixels(const RertDataset *ds, const int16_t *want, size_t count)
{
    RertError err;
    float *got = malloc(count * sizeof *got);
    assert_non_null(got);
    assert_true(rert_dicom_decode_pixels_float(&err, ds, NULL, NULL, 1.0, 0.0,
                                               got, count));
    for (size_t i = 0; i < count; i++) {
        if (got[i] != (float)want[i]) {
            fail_msg("value %zu: %g, expected %d", i, (double)got[i], want[i]);
        }
    }
    free(got);
}

/* ---- allocation */

/* Every block is 64-byte aligned, zeroed ones are zero (small blocks from
 * the heap and large ones fresh from the system), realloc keeps bytes. */
static void test_alloc_aligned_and_zeroed(void **state)
{
    (void)state;
    RertError err;
    const size_t sizes[] = {1, 3, 64, 100, 4096, 200000, (size_t)40 << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned char *a = rert_alloc(&err, sizes[s]);
        unsigned char *z = rert_calloc(&err, sizes[s], 1);
        float *v = rert_alloc_voxels(&err, sizes[s], sizeof(float));
        assert_non_null(a);
        assert_non_null(z);
        assert_non_null(v);
        assert_int_equal((uintptr_t)a % 64, 0);
        assert_int_equal((uintptr_t)z % 64, 0);
        assert_int_equal((uintptr_t)v % 64, 0);
        for (size_t i = 0; i < sizes[s]; i += 1 + i / 8) {
            assert_int_equal(z[i], 0);
            assert_true(v[i] == 0.0f);
        }
        memset(a, 0x5A, sizes[s]);
        unsigned char *grown = rert_realloc_array(&err, a, sizes[s] + 100, 1);
        assert_non_null(grown);
        assert_int_equal((uintptr_t)grown % 64, 0);
        assert_int_equal(grown[0], 0x5A);
        assert_int_equal(grown[sizes[s] - 1], 0x5A);
        rert_free(grown);
        rert_free(z);
        rert_free(v);
    }
    /* reused heap memory is zeroed too */
    unsigned char *dirty = rert_alloc(&err, 1000);
    memset(dirty, 0xFF, 1000);
    rert_free(dirty);
    unsigned char *clean = rert_calloc(&err, 1000, 1);
    for (size_t i = 0; i < 1000; i++) {
        assert_int_equal(clean[i], 0);
    }
    rert_free(clean);
}

/* ---- mapped file views */

static void test_file_view(void **state)
{
    (void)state;
    RertError err;
    char path[512];
    tmp_path(path, sizeof path, "view.bin");
    Buf b = {NULL, 0, 0};
    for (uint32_t i = 0; i < 100000; i++) {
        buf_uint(&b, i * 2654435761u, 4, false);
    }
    buf_save(&b, path);
    for (int populate = 0; populate < 2; populate++) {
        RertFileView view;
        assert_true(
            rert_file_view_load(&err, path, SIZE_MAX, populate == 1, &view));
        assert_int_equal(view.size, b.n);
        assert_memory_equal(view.data, b.data, b.n);
        rert_file_view_clear(&view);
        assert_null(view.data);
        rert_file_view_clear(&view); /* cleared twice: fine */
    }
    rert_file_view_clear(NULL);
    /* an empty file cannot be mapped: read instead */
    char empty[512];
    tmp_path(empty, sizeof empty, "empty.bin");
    Buf none = {NULL, 0, 0};
    buf_save(&none, empty);
    RertFileView view;
    assert_true(rert_file_view_load(&err, empty, 10, true, &view));
    assert_int_equal(view.size, 0);
    rert_file_view_clear(&view);
    /* errors name the path */
    assert_false(rert_file_view_load(&err, path, 1000, true, &view));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_non_null(strstr(err.message, "view.bin: file is 400000 bytes"));
    assert_false(
        rert_file_view_load(&err, rert_test_tmpdir(), SIZE_MAX, false, &view));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "not a regular file"));
    tmp_path(path, sizeof path, "no-such-file.bin");
    assert_false(rert_file_view_load(&err, path, SIZE_MAX, false, &view));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "no-such-file.bin: cannot open"));
    free(b.data);
}

/* ---- zero-copy loading */

#define BIG_ROWS 256
#define BIG_COLS 200 /* 100 KiB of pixel data: borrowed from the file */
#define BIG_COUNT ((size_t)BIG_ROWS * BIG_COLS)

/* Loaded pixel data (borrowed from the mapping) decodes to the values
 * written; clones copy it and outlive the loaded data set; replacing or
 * removing a borrowed value works. ASan/valgrind check the lifetimes. */
static void test_load_borrows_large_values(void **state)
{
    (void)state;
    RertError err;
    char path[512];
    tmp_path(path, sizeof path, "big_le.dcm");
    static int16_t want[BIG_COUNT];
    Buf b = {NULL, 0, 0};
    buf_meta(&b, RERT_TS_EXPLICIT_LE);
    buf_image(&b, BIG_ROWS, BIG_COLS, false, want);
    buf_save(&b, path);
    free(b.data);
    RertDataset *ds = rert_dicom_load(&err, path, NULL, NULL);
    assert_non_null(ds);
    const RertElement *el = rert_dataset_find(ds, TAG_PIXEL);
    assert_int_equal(rert_element_length(el), sizeof want);
    expect_pixels(ds, want, BIG_COUNT);
    RertDataset *copy = rert_dataset_clone(&err, ds);
    RertDataset *header = rert_dataset_clone_except(&err, ds, TAG_PIXEL);
    assert_non_null(copy);
    assert_non_null(header);
    assert_false(rert_dataset_has(header, TAG_PIXEL));
    assert_int_equal(rert_dataset_count(header), rert_dataset_count(ds) - 1);
    char name[32];
    assert_true(rert_dataset_get_string(&err, header, TAG_PATIENT_NAME, 0, name,
                                        sizeof name));
    assert_string_equal(name, "Fast^Path");
    /* replace the borrowed value, then remove it */
    const uint8_t small[4] = {1, 2, 3, 4};
    assert_true(
        rert_dataset_set_bytes(&err, ds, TAG_PIXEL, "OB", small, sizeof small));
    assert_memory_equal(rert_element_value(rert_dataset_find(ds, TAG_PIXEL)),
                        small, sizeof small);
    rert_dataset_remove(ds, TAG_PIXEL);
    assert_false(rert_dataset_has(ds, TAG_PIXEL));
    rert_dataset_destroy(ds);
    expect_pixels(copy, want, BIG_COUNT); /* outlives the file */
    /* writing a loaded data set back gives the same pixel bytes */
    RertDataset *again = rert_dicom_load(&err, path, NULL, NULL);
    assert_non_null(again);
    char out[512];
    tmp_path(out, sizeof out, "big_le_copy.dcm");
    assert_true(rert_dicom_save(&err, again, out));
    rert_dataset_destroy(again);
    again = rert_dicom_load(&err, out, NULL, NULL);
    assert_non_null(again);
    expect_pixels(again, want, BIG_COUNT);
    rert_dataset_destroy(again);
    rert_dataset_destroy(copy);
    rert_dataset_destroy(header);
}

/* Big endian values must be swapped, so they are copied, not borrowed. */
static void test_load_big_endian_copies(void **state)
{
    (void)state;
    RertError err;
    char path[512];
    tmp_path(path, sizeof path, "big_be.dcm");
    static int16_t want[BIG_COUNT];
    Buf b = {NULL, 0, 0};
    buf_meta(&b, RERT_TS_EXPLICIT_BE);
    buf_image(&b, BIG_ROWS, BIG_COLS, true, want);
    buf_save(&b, path);
    free(b.data);
    RertDataset *ds = rert_dicom_load(&err, path, NULL, NULL);
    assert_non_null(ds);
    expect_pixels(ds, want, BIG_COUNT);
    rert_dataset_destroy(ds);
}

/* Deflated data sets are parsed from a temporary inflated copy: their
 * values must not borrow from it. */
static void test_load_deflated_copies(void **state)
{
    (void)state;
    RertError err;
    char path[512];
    tmp_path(path, sizeof path, "big_deflated.dcm");
    static int16_t want[BIG_COUNT];
    Buf body = {NULL, 0, 0};
    buf_image(&body, BIG_ROWS, BIG_COLS, false, want);
    Buf b = {NULL, 0, 0};
    buf_meta(&b, RERT_TS_DEFLATED_LE);
    size_t cap = body.n + 1024;
    uint8_t *packed = malloc(cap);
    assert_non_null(packed);
    size_t n = raw_deflate(body.data, body.n, packed, cap);
    buf_put(&b, packed, n);
    buf_save(&b, path);
    free(packed);
    free(body.data);
    free(b.data);
    RertDataset *ds = rert_dicom_load(&err, path, NULL, NULL);
    assert_non_null(ds);
    expect_pixels(ds, want, BIG_COUNT);
    rert_dataset_destroy(ds);
}

/* Fail allocation 1, 2, ... while loading, cloning and converting: every
 * failure is NOMEM and nothing leaks (ASan/valgrind). */
static void test_load_allocation_failures(void **state)
{
    (void)state;
    RertError err;
    char path[512];
    tmp_path(path, sizeof path, "big_oom.dcm");
    static int16_t want[BIG_COUNT];
    static float got[BIG_COUNT];
    Buf b = {NULL, 0, 0};
    buf_meta(&b, RERT_TS_EXPLICIT_LE);
    buf_image(&b, BIG_ROWS, BIG_COLS, false, want);
    buf_save(&b, path);
    free(b.data);
    bool ok = false;
    size_t nth = 1;
    for (; !ok && nth < 1000; nth++) {
        rert_alloc_fail_at(nth);
        RertDataset *ds = rert_dicom_load(&err, path, NULL, NULL);
        RertDataset *header =
            ds != NULL ? rert_dataset_clone_except(&err, ds, TAG_PIXEL) : NULL;
        ok = header != NULL &&
             rert_dicom_decode_pixels_float(&err, ds, NULL, NULL, 2.0, 1.0, got,
                                            BIG_COUNT);
        rert_alloc_fail_at(0);
        if (!ok) {
            assert_int_equal(err.code, RERT_ERR_NOMEM);
        }
        rert_dataset_destroy(header);
        rert_dataset_destroy(ds);
    }
    assert_true(ok);
    assert_true(nth > 3);
    for (size_t i = 0; i < BIG_COUNT; i++) {
        assert_true(got[i] == (float)(want[i] * 2.0 + 1.0));
    }
}

/* ---- stored pixels -> floats */

/* The stored value as the DICOM rules define it, written the plain way. */
static double reference_value(uint32_t raw, unsigned stored, bool is_signed)
{
    uint64_t v = raw;
    if (stored < 32) {
        v &= ((uint64_t)1 << stored) - 1u;
    }
    if (is_signed && (v & ((uint64_t)1 << (stored - 1))) != 0) {
        return (double)v - (double)((uint64_t)1 << stored);
    }
    return (double)v;
}

static uint32_t next_random(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*s >> 32);
}

#define FMT_ROWS 37
#define FMT_COLS 29
#define FMT_FRAMES 3
#define FMT_COUNT ((size_t)FMT_ROWS * FMT_COLS * FMT_FRAMES)

/* A data set of @p count values of @p bits bits (random, so the unused
 * high bits are set too) in native pixel data. */
static RertDataset *
native_image(unsigned bits, unsigned stored, bool is_signed, uint8_t *raw)
{
    RertError err;
    RertDataset *ds = rert_dataset_create(&err);
    const uint16_t rows = FMT_ROWS;
    const uint16_t cols = FMT_COLS;
    const uint16_t alloc = (uint16_t)bits;
    const uint16_t st = (uint16_t)stored;
    const uint16_t rep = is_signed ? 1 : 0;
    assert_true(rert_dataset_set_u16(&err, ds, TAG_ROWS, &rows, 1));
    assert_true(rert_dataset_set_u16(&err, ds, TAG_COLUMNS, &cols, 1));
    assert_true(rert_dataset_set_string(&err, ds, TAG_FRAMES, "IS", "3"));
    assert_true(rert_dataset_set_u16(&err, ds, TAG_BITS_ALLOCATED, &alloc, 1));
    assert_true(rert_dataset_set_u16(&err, ds, TAG_BITS_STORED, &st, 1));
    assert_true(
        rert_dataset_set_u16(&err, ds, TAG_PIXEL_REPRESENTATION, &rep, 1));
    uint64_t seed = bits * 131u + stored * 7u + (is_signed ? 1u : 0u);
    size_t n = FMT_COUNT * bits / 8;
    for (size_t i = 0; i < n; i++) {
        raw[i] = (uint8_t)next_random(&seed);
    }
    raw[0] = 0xFF; /* extremes: all ones, sign bit alone, zero */
    raw[1] = 0xFF;
    raw[2] = 0xFF;
    raw[3] = 0xFF;
    memset(raw + 4, 0, 8);
    raw[4 + bits / 8 - 1] = 0x80;
    assert_true(rert_dataset_set_bytes(&err, ds, TAG_PIXEL, "OB", raw, n));
    return ds;
}

static uint32_t float_bits(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

static uint32_t raw_at(const uint8_t *raw, size_t i, unsigned bits)
{
    uint32_t v = 0;
    for (size_t b = bits / 8; b > 0; b--) {
        v = (v << 8) | raw[i * bits / 8 + b - 1];
    }
    return v;
}

/* Every format and rescale matches the reference bit for bit. */
static void test_pixels_float_formats(void **state)
{
    (void)state;
    static uint8_t raw[FMT_COUNT * 4];
    static float out[FMT_COUNT];
    const size_t count = FMT_COUNT;
    const unsigned formats[][2] = {{8, 8},  {8, 5},   {16, 16}, {16, 12},
                                   {16, 1}, {32, 32}, {32, 24}, {32, 31}};
    const double rescale[][2] = {{1.0, 0.0},   {1.0, -1024.0},  {0.5, 3.25},
                                 {-2.0, 10.0}, {1e-6, 0.0},     {1.0, 0.5},
                                 {1.0, 9e6},   {1.0, 8388608.0}};
    RertError err;
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        for (int sgn = 0; sgn < 2; sgn++) {
            unsigned bits = formats[f][0];
            unsigned stored = formats[f][1];
            RertDataset *ds = native_image(bits, stored, sgn == 1, raw);
            for (size_t r = 0; r < sizeof rescale / sizeof rescale[0]; r++) {
                double slope = rescale[r][0];
                double intercept = rescale[r][1];
                assert_true(rert_dicom_decode_pixels_float(
                    &err, ds, RERT_TS_EXPLICIT_LE, NULL, slope, intercept, out,
                    count));
                for (size_t i = 0; i < count; i++) {
                    double v =
                        reference_value(raw_at(raw, i, bits), stored, sgn == 1);
                    float want = (float)(v * slope + intercept);
                    if (float_bits(out[i]) != float_bits(want)) {
                        fail_msg("bits %u/%u signed %d rescale %zu value %zu: "
                                 "%.9g, expected %.9g",
                                 bits, stored, sgn, r, i, (double)out[i],
                                 (double)want);
                    }
                }
            }
            /* fewer values than available: only those are written */
            out[10] = -7.0f;
            assert_true(rert_dicom_decode_pixels_float(&err, ds, NULL, NULL,
                                                       1.0, 0.0, out, 10));
            assert_true(out[10] == -7.0f);
            rert_dataset_destroy(ds);
        }
    }
}

/* RLE pixel data goes through the byte decoder, then the same conversion. */
static void test_pixels_float_rle(void **state)
{
    (void)state;
    RertError err;
    uint8_t values[2 * 2 * 5 * 4];
    for (size_t i = 0; i < sizeof values; i++) {
        values[i] = (uint8_t)(i * 37 + 11);
    }
    Enc *e = rle_file(values, 2, 4, 5, 1, 2);
    RertDataset *ds =
        rert_dicom_parse(&err, e->buf, e->n, "rle.dcm", NULL, NULL);
    assert_non_null(ds);
    const uint16_t one = 1;
    assert_true(
        rert_dataset_set_u16(&err, ds, TAG_PIXEL_REPRESENTATION, &one, 1));
    float out[40];
    assert_true(rert_dicom_decode_pixels_float(&err, ds, RERT_TS_RLE, NULL,
                                               0.25, -1.0, out, 40));
    for (size_t i = 0; i < 40; i++) {
        uint32_t raw = (uint32_t)values[2 * i] | (uint32_t)values[2 * i + 1]
                                                     << 8;
        float want = (float)(reference_value(raw, 16, true) * 0.25 - 1.0);
        assert_true(out[i] == want);
    }
    rert_dataset_destroy(ds);
    free(e);
}

static void test_pixels_float_errors(void **state)
{
    (void)state;
    RertError err;
    static uint8_t raw[FMT_COUNT * 2];
    static float out[FMT_COUNT + 1];
    RertDataset *ds = native_image(16, 16, true, raw);
    assert_false(rert_dicom_decode_pixels_float(&err, ds, NULL, NULL, 1.0, 0.0,
                                                out, FMT_COUNT + 1));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "37 x 29 x 3 x 1 = 3219 values, "
                                        "expected at least 3220"));
    assert_false(rert_dicom_decode_pixels_float(&err, ds, NULL, NULL, 1.0, 0.0,
                                                NULL, 5));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    const uint16_t stored = 17;
    assert_true(rert_dataset_set_u16(&err, ds, TAG_BITS_STORED, &stored, 1));
    assert_false(rert_dicom_decode_pixels_float(&err, ds, NULL, NULL, 1.0, 0.0,
                                                out, 10));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "BitsStored: expected 1 to 16, found "
                                        "17"));
    const uint16_t sixteen = 16;
    const uint16_t two = 2;
    assert_true(rert_dataset_set_u16(&err, ds, TAG_BITS_STORED, &sixteen, 1));
    assert_true(
        rert_dataset_set_u16(&err, ds, TAG_PIXEL_REPRESENTATION, &two, 1));
    assert_false(rert_dicom_decode_pixels_float(&err, ds, NULL, NULL, 1.0, 0.0,
                                                out, 10));
    assert_non_null(
        strstr(err.message, "PixelRepresentation: expected 0 to 1"));
    assert_true(
        rert_dataset_set_u16(&err, ds, TAG_PIXEL_REPRESENTATION, &sixteen, 0));
    assert_true(rert_dataset_set_bytes(&err, ds, TAG_PIXEL, "OB", raw, 100));
    assert_false(rert_dicom_decode_pixels_float(&err, ds, NULL, NULL, 1.0, 0.0,
                                                out, 10));
    assert_non_null(strstr(err.message, "PixelData: 100 bytes, expected"));
    assert_false(rert_dicom_decode_pixels_float(&err, ds, TS_JPEG_BASELINE,
                                                NULL, 1.0, 0.0, out, 10));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    rert_dataset_destroy(ds);
}

/* ---- plain-LQ voxel kernel */

#define LQ_VOXELS ((size_t)50003) /* several blocks and a remainder */

static float lq_dose[LQ_VOXELS];
static float lq_ab[LQ_VOXELS];
static float lq_out[LQ_VOXELS];

static void lq_fill(void)
{
    uint64_t seed = 99;
    for (size_t i = 0; i < LQ_VOXELS; i++) {
        lq_dose[i] = (float)(next_random(&seed) % 900000) / 10000.0f;
        lq_ab[i] = 0.5f + (float)(next_random(&seed) % 1000) / 100.0f;
    }
    lq_dose[7] = -3.0f;
    lq_dose[40000] = -0.5f;
    lq_dose[8] = -0.0f;
}

/* lq_out must equal the scalar API's result to an ulp of float. */
static void lq_expect_scalar(const RertBioParams *p)
{
    for (size_t i = 0; i < LQ_VOXELS; i++) {
        double a = p->ab_map_gy != NULL ? (double)lq_ab[i] : p->ab_gy;
        double d = fmax(0.0, (double)lq_dose[i]);
        double want = 0;
        if (p->quantity == RERT_BIO_BED) {
            assert_true(
                rert_lq_bed_compute(NULL, NULL, d, p->n_fractions, a, &want));
        } else {
            assert_true(rert_lq_eqdx_compute(NULL, NULL, d, p->n_fractions, a,
                                             p->x_gy, &want));
        }
        float w = (float)want;
        float ulp = nextafterf(fabsf(w), INFINITY) - fabsf(w);
        if (fabsf(lq_out[i] - w) > ulp) {
            fail_msg("voxel %zu: %.9g, expected %.9g", i, (double)lq_out[i],
                     (double)w);
        }
    }
}

/* The fast plain-LQ loops equal the scalar formulas to an ulp of float,
 * keep the sign of -0 and clamp negatives, with and without a map. */
static void test_lq_kernel_fast_path(void **state)
{
    (void)state;
    lq_fill();
    RertBioParams p = rert_bio_params_default();
    p.n_fractions = 3;
    p.x_gy = 2.5;
    for (int variant = 0; variant < 4; variant++) {
        p.ab_map_gy = variant % 2 == 0 ? NULL : lq_ab;
        p.quantity = variant < 2 ? RERT_BIO_EQDX : RERT_BIO_BED;
        RertVoxelStats st;
        assert_true(
            rert_bio_dose_compute(NULL, &p, lq_dose, LQ_VOXELS, lq_out, &st));
        assert_int_equal(st.negative_dose_count, 2);
        rert_assert_near(st.most_negative_dose_gy, -3.0, 0, 0);
        assert_int_equal(st.linear_branch_count, 0);
        assert_true(lq_out[8] == 0.0f && signbit(lq_out[8])); /* -0 kept */
        assert_true(lq_out[7] == 0.0f && !signbit(lq_out[7]));
        lq_expect_scalar(&p);
    }
}

/* A huge constant alpha/beta takes the scalar formula (no overflow of
 * D * ab); invalid voxels are reported by their lowest index. */
static void test_lq_kernel_edges(void **state)
{
    (void)state;
    lq_fill();
    RertBioParams p = rert_bio_params_default();
    p.n_fractions = 3;
    p.ab_gy = 1.5e308; /* EQDx -> D */
    assert_true(
        rert_bio_dose_compute(NULL, &p, lq_dose, LQ_VOXELS, lq_out, NULL));
    for (size_t i = 0; i < LQ_VOXELS; i++) {
        assert_true(lq_out[i] == (lq_dose[i] < 0.0f ? 0.0f : lq_dose[i]));
    }
    RertError err;
    p.ab_map_gy = lq_ab;
    lq_ab[33000] = NAN;
    lq_ab[45000] = -1.0f;
    assert_false(
        rert_bio_dose_compute(&err, &p, lq_dose, LQ_VOXELS, lq_out, NULL));
    assert_non_null(strstr(err.message, "ab_map_gy[33000] = nan"));
    lq_ab[33000] = 1.0f;
    lq_dose[45000] = INFINITY;
    assert_false(
        rert_bio_dose_compute(&err, &p, lq_dose, LQ_VOXELS, lq_out, NULL));
    assert_non_null(strstr(err.message, "dose_gy[45000] = inf"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_aligned_and_zeroed),
        cmocka_unit_test(test_file_view),
        cmocka_unit_test(test_load_borrows_large_values),
        cmocka_unit_test(test_load_big_endian_copies),
        cmocka_unit_test(test_load_deflated_copies),
        cmocka_unit_test(test_load_allocation_failures),
        cmocka_unit_test(test_pixels_float_formats),
        cmocka_unit_test(test_pixels_float_rle),
        cmocka_unit_test(test_pixels_float_errors),
        cmocka_unit_test(test_lq_kernel_fast_path),
        cmocka_unit_test(test_lq_kernel_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
