/* Unit tests: DICOM dictionary, UIDs, Part 10 parsing in every transfer
 * syntax, malformed input, writing and round trips, pixel decoding (native
 * and RLE), allocation failures, and the shared real-world files. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <rert/dicom.h>

#include "dicom_encoder.h"
#include "rert_test.h"

/* ---- checks on a parsed synthetic data set */

static void
check_synthetic(const RertDataset *ds, unsigned bits, const char *ts)
{
    RertError err;
    char buf[80];
    double v = 0;
    long n = 0;
    assert_true(rert_dataset_get_string(&err, ds, RERT_TAG(0x0010, 0x0010), 0,
                                        buf, sizeof buf));
    assert_string_equal(buf, "Doe^Jane");
    assert_true(
        rert_dataset_get_double(&err, ds, RERT_TAG(0x0008, 0x1163), 1, &v));
    rert_assert_near(v, -2.5e10, 0, 0);
    assert_true(
        rert_dataset_get_long(&err, ds, RERT_TAG(0x0020, 0x5000), 0, &n));
    assert_int_equal(n, (long)RERT_TAG(0x3004, 0x000C));
    assert_true(
        rert_dataset_get_long(&err, ds, RERT_TAG(0x0028, 0x0011), 0, &n));
    assert_int_equal(n, 3);
    double offsets[2];
    assert_true(rert_dataset_get_doubles(&err, ds, RERT_TAG(0x3004, 0x000C),
                                         offsets, 2));
    rert_assert_near(offsets[1], 2.5, 0, 0);
    assert_int_equal(rert_dataset_item_count(ds, RERT_TAG(0x300A, 0x00B0)), 2);
    const RertDataset *beam =
        rert_dataset_item(ds, RERT_TAG(0x300A, 0x00B0), 0);
    assert_true(rert_dataset_get_string(&err, beam, RERT_TAG(0x300A, 0x00B2), 0,
                                        buf, sizeof buf));
    assert_string_equal(buf, "Beam 1");
    const RertDataset *inner =
        rert_dataset_item(beam, RERT_TAG(0x300A, 0x0111), 0);
    assert_non_null(inner);
    assert_true(
        rert_dataset_get_long(&err, inner, RERT_TAG(0x300A, 0x0112), 0, &n));
    assert_int_equal(n, 0);
    beam = rert_dataset_item(ds, RERT_TAG(0x300A, 0x00B0), 1);
    assert_true(rert_dataset_get_string(&err, beam, RERT_TAG(0x300A, 0x00B2), 0,
                                        buf, sizeof buf));
    assert_string_equal(buf, "B2");
    RertBytes px;
    assert_true(rert_dicom_decode_pixels(&err, ds, ts, NULL, &px));
    assert_int_equal(px.size, 12 * bits / 8);
    for (size_t i = 0; i < 12; i++) {
        uint32_t got = 0;
        for (size_t b = 0; b < bits / 8; b++) {
            got |= (uint32_t)px.data[i * bits / 8 + b] << (8 * b);
        }
        assert_int_equal(got,
                         pixel_value(i) & (bits == 16 ? 0xFFFFu : 0xFFFFFFFFu));
    }
    rert_bytes_clear(&px);
}

static RertDataset *parse_enc(const Enc *e, RertDicomFileInfo *info)
{
    RertError err;
    rert_error_clear(&err);
    RertDataset *ds = rert_dicom_parse(&err, e->buf, e->n, "t.dcm", NULL, info);
    if (ds == NULL) {
        print_error("parse failed: %s\n", err.message);
    }
    assert_non_null(ds);
    return ds;
}

static void test_dictionary(void **state)
{
    (void)state;
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x300A, 0x00B0)), "SQ");
    assert_string_equal(rert_dicom_dict_keyword(RERT_TAG(0x300A, 0x00B0)),
                        "BeamSequence");
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x3004, 0x000E)), "DS");
    assert_string_equal(rert_dicom_dict_keyword(RERT_TAG(0x3004, 0x000E)),
                        "DoseGridScaling");
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x0010, 0x0010)), "PN");
    assert_string_equal(rert_dicom_dict_vr(TAG_PIXEL), "OW");
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x0002, 0x0010)), "UI");
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x3006, 0x0000)), "UL");
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x0009, 0x0010)), "LO");
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x0009, 0x1010)), "UN");
    assert_null(rert_dicom_dict_keyword(RERT_TAG(0x0009, 0x1010)));
    assert_string_equal(rert_dicom_dict_keyword(RERT_TAG(0x6002, 0x3000)),
                        "OverlayData");
    assert_null(rert_dicom_dict_keyword(RERT_TAG(0x6003, 0x3000)));
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x1234, 0x5678)), "UN");
    assert_null(rert_dicom_dict_keyword(RERT_TAG(0x1234, 0x5678)));
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x0064, 0x0002)), "SQ");
    assert_string_equal(rert_dicom_dict_vr(RERT_TAG(0x3008, 0x0010)), "SQ");
}

static void test_uid_generate(void **state)
{
    (void)state;
    RertError err;
    char a[RERT_UID_SIZE];
    char b[RERT_UID_SIZE];
    assert_true(rert_uid_generate(&err, a));
    assert_true(rert_uid_generate(&err, b));
    assert_string_not_equal(a, b);
    for (const char *u = a; u != NULL; u = u == a ? b : NULL) {
        assert_true(strlen(u) <= 64);
        assert_true(strlen(u) > 20); /* 128 random bits, about 38 digits */
        assert_memory_equal(u, "2.25.", 5);
        assert_true(u[5] != '0');
        for (const char *c = u + 5; *c != '\0'; c++) {
            assert_true(*c >= '0' && *c <= '9');
        }
    }
}

static void test_explicit_le_with_meta(void **state)
{
    (void)state;
    Enc *e = enc_new(true, false);
    enc_preamble_meta(e, RERT_TS_EXPLICIT_LE);
    enc_dataset(e, 16);
    RertDicomFileInfo info;
    RertDataset *ds = parse_enc(e, &info);
    assert_true(info.has_preamble);
    assert_true(info.has_meta);
    assert_string_equal(info.transfer_syntax, RERT_TS_EXPLICIT_LE);
    check_synthetic(ds, 16, info.transfer_syntax);
    /* meta elements are kept; NULL transfer syntax means "from the meta" */
    assert_non_null(rert_dataset_find(ds, RERT_TAG(0x0002, 0x0010)));
    RertBytes px;
    RertError err;
    assert_true(rert_dicom_decode_pixels(&err, ds, NULL, NULL, &px));
    assert_int_equal(px.size, 24);
    rert_bytes_clear(&px);
    rert_dataset_destroy(ds);
    free(e);
}

static void test_implicit_and_explicit_without_meta(void **state)
{
    (void)state;
    for (int is_explicit = 0; is_explicit < 2; is_explicit++) {
        Enc *e = enc_new(is_explicit != 0, false);
        enc_dataset(e, 32);
        RertDicomFileInfo info;
        RertDataset *ds = parse_enc(e, &info);
        assert_false(info.has_preamble);
        assert_false(info.has_meta);
        assert_string_equal(info.transfer_syntax, is_explicit
                                                      ? RERT_TS_EXPLICIT_LE
                                                      : RERT_TS_IMPLICIT_LE);
        check_synthetic(ds, 32, info.transfer_syntax);
        /* implicit VR takes VRs from the dictionary */
        const RertElement *el = rert_dataset_find(ds, RERT_TAG(0x300A, 0x00B0));
        assert_string_equal(rert_element_vr(el), "SQ");
        rert_dataset_destroy(ds);
        free(e);
    }
}

static void test_implicit_with_meta(void **state)
{
    (void)state;
    Enc *e = enc_new(false, false);
    enc_preamble_meta(e, RERT_TS_IMPLICIT_LE);
    enc_dataset(e, 16);
    RertDicomFileInfo info;
    RertDataset *ds = parse_enc(e, &info);
    assert_string_equal(info.transfer_syntax, RERT_TS_IMPLICIT_LE);
    check_synthetic(ds, 16, info.transfer_syntax);
    rert_dataset_destroy(ds);
    free(e);
}

static void test_explicit_big_endian(void **state)
{
    (void)state;
    unsigned bits[2] = {16, 32};
    for (size_t k = 0; k < 2; k++) {
        Enc *e = enc_new(true, true);
        enc_preamble_meta(e, RERT_TS_EXPLICIT_BE);
        enc_dataset(e, bits[k]);
        RertDicomFileInfo info;
        RertDataset *ds = parse_enc(e, &info);
        assert_string_equal(info.transfer_syntax, RERT_TS_EXPLICIT_BE);
        check_synthetic(ds, bits[k], info.transfer_syntax);
        rert_dataset_destroy(ds);
        free(e);
    }
}

static void test_deflated(void **state)
{
    (void)state;
    Enc *body = enc_new(true, false);
    enc_dataset(body, 16);
    Enc *e = enc_new(true, false);
    enc_preamble_meta(e, RERT_TS_DEFLATED_LE);
    e->n += raw_deflate(body->buf, body->n, e->buf + e->n, ENC_MAX - e->n);
    RertDicomFileInfo info;
    RertDataset *ds = parse_enc(e, &info);
    assert_string_equal(info.transfer_syntax, RERT_TS_DEFLATED_LE);
    check_synthetic(ds, 16, info.transfer_syntax);
    rert_dataset_destroy(ds);

    /* inflate limit and truncated/corrupt streams */
    RertError err;
    RertDicomParseOptions opts = rert_dicom_parse_options_default();
    opts.limits.max_inflated_bytes = body->n - 1;
    assert_null(rert_dicom_parse(&err, e->buf, e->n, "d.dcm", &opts, NULL));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_non_null(strstr(err.message, "max_inflated_bytes"));
    assert_null(rert_dicom_parse(&err, e->buf, e->n - 10, "d.dcm", NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "d.dcm"));
    e->buf[e->n - 20] ^= 0xFF;
    e->buf[e->n - 21] ^= 0x5A;
    ds = rert_dicom_parse(&err, e->buf, e->n, "d.dcm", NULL, NULL);
    if (ds == NULL) {
        assert_int_equal(err.code, RERT_ERR_PARSE);
    }
    rert_dataset_destroy(ds);
    free(body);
    free(e);
}

static void test_rle(void **state)
{
    (void)state;
    const size_t configs[3][3] = {{2, 1, 2}, {3, 1, 4}, {1, 3, 1}};
    for (size_t c = 0; c < 3; c++) {
        size_t frames = configs[c][0];
        size_t samples = configs[c][1];
        size_t bytes = configs[c][2];
        size_t total = frames * 4 * 5 * samples * bytes;
        uint8_t values[1024];
        for (size_t i = 0; i < total; i++) {
            values[i] = (uint8_t)(i % 7 == 0 ? 0 : (i * 37) % 251);
        }
        Enc *e = rle_file(values, frames, 4, 5, samples, bytes);
        RertDicomFileInfo info;
        RertDataset *ds = parse_enc(e, &info);
        assert_string_equal(info.transfer_syntax, RERT_TS_RLE);
        assert_true(
            rert_element_is_encapsulated(rert_dataset_find(ds, TAG_PIXEL)));
        RertError err;
        RertBytes px;
        assert_true(rert_dicom_decode_pixels(&err, ds, info.transfer_syntax,
                                             NULL, &px));
        assert_int_equal(px.size, total);
        assert_memory_equal(px.data, values, total);
        rert_bytes_clear(&px);
        /* native syntax with encapsulated data is a mismatch */
        assert_false(
            rert_dicom_decode_pixels(&err, ds, RERT_TS_EXPLICIT_LE, NULL, &px));
        assert_int_equal(err.code, RERT_ERR_PARSE);
        rert_dataset_destroy(ds);
        free(e);
    }
}

static void test_rle_malformed(void **state)
{
    (void)state;
    /* constant values: each segment is one replicate run of 20 bytes */
    uint8_t values[40];
    memset(values, 5, sizeof values);
    Enc *good = rle_file(values, 1, 4, 5, 1, 2);
    size_t header = good->marks[good->mark_count - 1];
    assert_int_equal(good->buf[header], 2);
    assert_int_equal(good->buf[header + 4], 64);
    struct {
        size_t at;
        uint8_t value;
        const char *expect;
    } cases[] = {
        {0, 3, "segments"},    /* wrong segment count */
        {4, 200, "offset"},    /* first offset past the end */
        {8, 64, "offset"},     /* second offset not increasing */
        {64, 127, "overruns"}, /* literal run longer than the segment */
        {64, 0xFF, "decoded"}, /* replicate 2 instead of 20 */
        {5, 1, "offset"},      /* offset 320 beyond the frame */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Enc *e = malloc(sizeof *e);
        assert_non_null(e);
        memcpy(e, good, sizeof *e);
        e->buf[header + cases[c].at] = cases[c].value;
        RertDataset *ds = parse_enc(e, NULL);
        RertError err;
        RertBytes px;
        assert_false(
            rert_dicom_decode_pixels(&err, ds, RERT_TS_RLE, NULL, &px));
        assert_int_equal(err.code, RERT_ERR_PARSE);
        if (strstr(err.message, cases[c].expect) == NULL) {
            print_error("case %zu: %s\n", c, err.message);
            fail();
        }
        assert_null(px.data);
        rert_dataset_destroy(ds);
        free(e);
    }
    free(good);
}

static void test_jpeg_unsupported(void **state)
{
    (void)state;
    Enc *e = enc_new(true, false);
    enc_preamble_meta(e, TS_JPEG_BASELINE);
    enc_us(e, RERT_TAG(0x0028, 0x0010), 2);
    enc_us(e, RERT_TAG(0x0028, 0x0011), 2);
    enc_us(e, RERT_TAG(0x0028, 0x0100), 8);
    enc_header(e, TAG_PIXEL, "OB", 0xFFFFFFFFu);
    enc_item(e, 0xE000, 0);
    enc_item(e, 0xE000, 4);
    enc_bytes(e, "\xFF\xD8\xFF\xD9", 4);
    enc_item(e, 0xE0DD, 0);
    RertDicomFileInfo info;
    RertDataset *ds = parse_enc(e, &info);
    assert_string_equal(info.transfer_syntax, TS_JPEG_BASELINE);
    const RertElement *el = rert_dataset_find(ds, TAG_PIXEL);
    assert_true(rert_element_is_encapsulated(el));
    assert_int_equal(rert_element_length(el), 20);
    RertError err;
    RertBytes px;
    assert_false(
        rert_dicom_decode_pixels(&err, ds, info.transfer_syntax, NULL, &px));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, TS_JPEG_BASELINE));
    assert_non_null(strstr(err.message, "JPEG Baseline"));
    rert_dataset_destroy(ds);

    /* unknown transfer syntax in the meta group */
    Enc *u = enc_new(true, false);
    enc_preamble_meta(u, "1.2.3.999");
    enc_dataset(u, 16);
    assert_null(rert_dicom_parse(&err, u->buf, u->n, "u.dcm", NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "1.2.3.999"));
    free(u);
    free(e);
}

/* Every prefix of a file parses or fails cleanly; past the preamble it
 * succeeds exactly at top-level element boundaries. */
static void truncate_all(const Enc *e)
{
    for (size_t cut = 0; cut < e->n; cut++) {
        RertError err;
        rert_error_clear(&err);
        RertDataset *ds =
            rert_dicom_parse(&err, e->buf, cut, "cut.dcm", NULL, NULL);
        bool boundary = false;
        for (size_t m = 0; m < e->mark_count; m++) {
            boundary = boundary || e->marks[m] == cut;
        }
        if (ds == NULL) {
            assert_true(err.code == RERT_ERR_PARSE ||
                        err.code == RERT_ERR_UNSUPPORTED);
            assert_memory_equal(err.message, "cut.dcm", 7);
        }
        if (cut >= 132 && (ds != NULL) != boundary) {
            print_error("cut at %zu: %s\n", cut,
                        ds != NULL ? "parsed" : err.message);
            fail();
        }
        if (ds != NULL && cut >= 132) {
            assert_int_equal(err.code, RERT_OK);
        }
        rert_dataset_destroy(ds);
    }
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    const bool variants[3][2] = {{true, false}, {false, false}, {true, true}};
    const char *syntaxes[3] = {RERT_TS_EXPLICIT_LE, RERT_TS_IMPLICIT_LE,
                               RERT_TS_EXPLICIT_BE};
    for (size_t v = 0; v < 3; v++) {
        Enc *e = enc_new(variants[v][0], variants[v][1]);
        enc_preamble_meta(e, syntaxes[v]);
        enc_dataset(e, 16);
        truncate_all(e);
        free(e);
    }
    uint8_t values[40] = {1, 2, 3};
    Enc *rle = rle_file(values, 1, 4, 5, 1, 2);
    for (size_t cut = 132; cut < rle->n; cut++) {
        RertError err;
        RertDataset *ds =
            rert_dicom_parse(&err, rle->buf, cut, "cut.dcm", NULL, NULL);
        RertBytes px = {NULL, 0};
        if (ds != NULL) {
            (void)rert_dicom_decode_pixels(&err, ds, RERT_TS_RLE, NULL, &px);
        }
        rert_bytes_clear(&px);
        rert_dataset_destroy(ds);
    }
    free(rle);
}

/* A no-meta explicit file with one element: (0010,0010) header + value. */
static void expect_error(const Enc *e,
                         RertErrorCode code,
                         const char *a,
                         const char *b,
                         const RertDicomParseOptions *opts)
{
    RertError err;
    rert_error_clear(&err);
    RertDataset *ds =
        rert_dicom_parse(&err, e->buf, e->n, "bad.dcm", opts, NULL);
    if (ds != NULL || err.code != code ||
        (a != NULL && strstr(err.message, a) == NULL) ||
        (b != NULL && strstr(err.message, b) == NULL)) {
        print_error("expected %s with '%s' and '%s', got %s: %s\n",
                    rert_error_code_name(code), a ? a : "", b ? b : "",
                    rert_error_code_name(err.code), err.message);
        rert_dataset_destroy(ds);
        fail();
    }
    assert_memory_equal(err.message, "bad.dcm", 7);
    assert_non_null(strstr(err.message, "offset"));
}

static void test_bad_lengths(void **state)
{
    (void)state;
    Enc *e = enc_new(true, false);
    enc_text(e, RERT_TAG(0x0008, 0x0016), "UI", RT_DOSE_CLASS);
    size_t at = e->n;
    enc_header(e, RERT_TAG(0x0010, 0x0010), "PN", 3);
    enc_bytes(e, "Doe", 3);
    char where[32];
    (void)snprintf(where, sizeof where, "offset %zu", at);
    expect_error(e, RERT_ERR_PARSE, "(0010,0010) PatientName", "odd", NULL);
    expect_error(e, RERT_ERR_PARSE, where, NULL, NULL);

    /* absurd lengths, explicit and implicit */
    e->n = at;
    enc_header(e, RERT_TAG(0x0028, 0x2000), "OB", 0xFFFFFFF0u);
    enc_bytes(e, "abcd", 4);
    expect_error(e, RERT_ERR_PARSE, "ICCProfile", "exceeds", NULL);
    Enc *imp = enc_new(false, false);
    enc_header(imp, RERT_TAG(0x0008, 0x0016), "UI", 0x7FFFFFF0u);
    enc_bytes(imp, "1.2", 3);
    expect_error(imp, RERT_ERR_PARSE, "SOPClassUID", "exceeds", NULL);

    /* absurd item length in a sequence */
    e->n = at;
    enc_header(e, RERT_TAG(0x300A, 0x00B0), "SQ", 0xFFFFFFFFu);
    enc_item(e, 0xE000, 0x10000000u);
    expect_error(e, RERT_ERR_PARSE, "BeamSequence", "item length", NULL);

    /* a sequence delimiter where an element should be */
    e->n = at;
    enc_item(e, 0xE0DD, 0);
    expect_error(e, RERT_ERR_PARSE, "(FFFE,E0DD)", "item tag", NULL);

    /* undefined length on a non-sequence */
    e->n = at;
    enc_header(e, RERT_TAG(0x0008, 0x030E), "UT", 0xFFFFFFFFu);
    expect_error(e, RERT_ERR_PARSE, "PrivateDataElementDescription",
                 "undefined length", NULL);

    /* not a VR */
    e->n = at;
    enc_header(e, RERT_TAG(0x0010, 0x0010), "pn", 2);
    enc_bytes(e, "AB", 2);
    expect_error(e, RERT_ERR_PARSE, "PatientName", "VR", NULL);

    /* limits: element size and element count */
    e->n = at;
    enc_text(e, RERT_TAG(0x0010, 0x0010), "PN", "Doe^Jane");
    enc_text(e, RERT_TAG(0x0010, 0x0020), "LO", "ID");
    RertDicomParseOptions opts = rert_dicom_parse_options_default();
    opts.limits.max_element_bytes = 4;
    expect_error(e, RERT_ERR_LIMIT, "max_element_bytes", NULL, &opts);
    opts = rert_dicom_parse_options_default();
    opts.limits.max_elements = 2;
    expect_error(e, RERT_ERR_LIMIT, "(0010,0020)", "max_elements", &opts);
    free(imp);
    free(e);
}

/* @p depth nested undefined-length sequences of (300A,00B0). */
static Enc *nested(size_t depth, bool is_explicit)
{
    Enc *e = enc_new(is_explicit, false);
    enc_text(e, RERT_TAG(0x0008, 0x0016), "UI", RT_DOSE_CLASS);
    for (size_t d = 0; d < depth; d++) {
        enc_header(e, RERT_TAG(0x300A, 0x00B0), "SQ", 0xFFFFFFFFu);
        enc_item(e, 0xE000, 0xFFFFFFFFu);
    }
    enc_text(e, RERT_TAG(0x300A, 0x00B2), "SH", "deep");
    for (size_t d = 0; d < depth; d++) {
        enc_item(e, 0xE00D, 0);
        enc_item(e, 0xE0DD, 0);
    }
    return e;
}

static void test_nesting_depth(void **state)
{
    (void)state;
    for (int is_explicit = 0; is_explicit < 2; is_explicit++) {
        Enc *e = nested(40, is_explicit != 0);
        expect_error(e, RERT_ERR_LIMIT, "BeamSequence", "nested", NULL);
        RertDicomParseOptions opts = rert_dicom_parse_options_default();
        opts.limits.max_sequence_depth = 40;
        RertError err;
        RertDataset *ds =
            rert_dicom_parse(&err, e->buf, e->n, "deep.dcm", &opts, NULL);
        assert_non_null(ds);
        const RertDataset *item = ds;
        for (size_t d = 0; d < 40; d++) {
            item = rert_dataset_item(item, RERT_TAG(0x300A, 0x00B0), 0);
            assert_non_null(item);
        }
        char buf[16];
        assert_true(rert_dataset_get_string(
            &err, item, RERT_TAG(0x300A, 0x00B2), 0, buf, sizeof buf));
        assert_string_equal(buf, "deep");
        /* a copy of the deep tree writes and reads back */
        RertDataset *copy = rert_dataset_clone(&err, ds);
        assert_non_null(copy);
        assert_true(rert_dataset_set_string(
            &err, copy, RERT_TAG(0x0008, 0x0018), "UI", "1.2"));
        RertBytes out;
        assert_true(rert_dicom_write(&err, copy, &out));
        RertDataset *back =
            rert_dicom_parse(&err, out.data, out.size, "w", &opts, NULL);
        assert_non_null(back);
        rert_dataset_destroy(back);
        rert_bytes_clear(&out);
        rert_dataset_destroy(copy);
        rert_dataset_destroy(ds);
        free(e);
    }
}

static void test_private_and_un_sequences(void **state)
{
    (void)state;
    /* implicit: private tag with undefined length is a sequence */
    Enc *e = enc_new(false, false);
    enc_text(e, RERT_TAG(0x0008, 0x0016), "UI", RT_DOSE_CLASS);
    enc_text(e, RERT_TAG(0x0009, 0x0010), "LO", "ACME");
    enc_header(e, RERT_TAG(0x0009, 0x1001), "UN", 0xFFFFFFFFu);
    enc_item(e, 0xE000, 0xFFFFFFFFu);
    enc_text(e, RERT_TAG(0x0009, 0x1002), "UN", "XY");
    enc_item(e, 0xE00D, 0);
    enc_item(e, 0xE0DD, 0);
    enc_text(e, RERT_TAG(0x0009, 0x1003), "UN", "raw1");
    RertDataset *ds = parse_enc(e, NULL);
    assert_int_equal(rert_dataset_item_count(ds, RERT_TAG(0x0009, 0x1001)), 1);
    const RertElement *raw = rert_dataset_find(ds, RERT_TAG(0x0009, 0x1003));
    assert_string_equal(rert_element_vr(raw), "UN");
    assert_memory_equal(rert_element_value(raw), "raw1", 4);
    assert_string_equal(
        rert_element_vr(rert_dataset_find(ds, RERT_TAG(0x0009, 0x0010))), "LO");
    rert_dataset_destroy(ds);
    free(e);

    /* explicit: UN with undefined length holds implicit VR items */
    Enc *x = enc_new(true, false);
    enc_text(x, RERT_TAG(0x0008, 0x0016), "UI", RT_DOSE_CLASS);
    enc_header(x, RERT_TAG(0x300A, 0x00B0), "UN", 0xFFFFFFFFu);
    enc_item(x, 0xE000, 0xFFFFFFFFu);
    x->is_explicit = false;
    enc_text(x, RERT_TAG(0x300A, 0x00B2), "SH", "Beam 1");
    x->is_explicit = true;
    enc_item(x, 0xE00D, 0);
    enc_item(x, 0xE0DD, 0);
    /* explicit UN with a defined length and a known VR becomes that VR */
    enc_header(x, RERT_TAG(0x3004, 0x000E), "UN", 4);
    enc_bytes(x, "0.5 ", 4);
    ds = parse_enc(x, NULL);
    RertError err;
    char buf[16];
    assert_true(rert_dataset_get_string(
        &err, rert_dataset_item(ds, RERT_TAG(0x300A, 0x00B0), 0),
        RERT_TAG(0x300A, 0x00B2), 0, buf, sizeof buf));
    assert_string_equal(buf, "Beam 1");
    double v = 0;
    assert_true(
        rert_dataset_get_double(&err, ds, RERT_TAG(0x3004, 0x000E), 0, &v));
    rert_assert_near(v, 0.5, 0, 0);
    rert_dataset_destroy(ds);
    free(x);
}

static void test_stop_before_pixel_data(void **state)
{
    (void)state;
    Enc *e = enc_new(true, false);
    enc_preamble_meta(e, RERT_TS_EXPLICIT_LE);
    enc_dataset(e, 16);
    RertDicomParseOptions opts = rert_dicom_parse_options_default();
    opts.stop_before_pixel_data = true;
    RertError err;
    RertDataset *ds =
        rert_dicom_parse(&err, e->buf, e->n, "s.dcm", &opts, NULL);
    assert_non_null(ds);
    assert_null(rert_dataset_find(ds, TAG_PIXEL));
    assert_true(rert_dataset_has(ds, RERT_TAG(0x3004, 0x000E)));
    assert_int_equal(rert_dataset_item_count(ds, RERT_TAG(0x300A, 0x00B0)), 2);
    /* pixel data truncated: still fine when stopping before it */
    ds = (rert_dataset_destroy(ds), NULL);
    ds = rert_dicom_parse(&err, e->buf, e->n - 3, "s.dcm", &opts, NULL);
    assert_non_null(ds);
    rert_dataset_destroy(ds);
    free(e);
}

/* ---- writing */

static void build_text_vrs(RertDataset *ds)
{
    RertError err;
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0005),
                                        "CS", "ISO_IR 100"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0012),
                                        "DA", "20240131"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0013),
                                        "TM", "101500.5"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0016),
                                        "UI", RT_DOSE_CLASS));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0018),
                                        "UI", "1.2.826.0.1.3680043.2.1"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x002A),
                                        "DT", "20240131101500"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0050),
                                        "SH", "ACC1"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0055),
                                        "AE", "RERT"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0081),
                                        "ST", "1 Road\\Town"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x010E),
                                        "UR", "http://x.org/a"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0119),
                                        "UC", "long code"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x030E),
                                        "UT", "unlimited text"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x4000),
                                        "LT", "a comment"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0010, 0x0010),
                                        "PN", "Doe^Jane"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0010, 0x0020),
                                        "LO", "PID-1"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0010, 0x1010),
                                        "AS", "045Y"));
}

static void build_binary_vrs(RertDataset *ds)
{
    RertError err;
    const double ds_values[3] = {1.5, -0.25, 1e-7};
    const long is_values[2] = {42, -7};
    const uint16_t us[2] = {512, 65535};
    const uint32_t ul[1] = {4000000000u};
    float fl = 2.5f;
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0010, 0x9431), "FL",
                                       &fl, 4));
    double fd[2] = {0.1, -3e300};
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0008, 0x1163), "FD",
                                       fd, 16));
    int32_t sl = -123456;
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0018, 0x6020), "SL",
                                       &sl, 4));
    int16_t ss = -2;
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0018, 0x9219), "SS",
                                       &ss, 2));
    const uint8_t at[4] = {0x04, 0x30, 0x0C, 0x00};
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0020, 0x5000), "AT",
                                       at, 4));
    assert_true(
        rert_dataset_set_u16(&err, ds, RERT_TAG(0x0028, 0x0010), us, 2));
    assert_true(
        rert_dataset_set_u32(&err, ds, RERT_TAG(0x0028, 0x0011), ul, 1));
    const uint8_t ob[3] = {1, 2, 3};
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0028, 0x2000), "OB",
                                       ob, 3));
    assert_true(
        rert_dataset_set_ds(&err, ds, RERT_TAG(0x3004, 0x000C), ds_values, 3));
    assert_true(
        rert_dataset_set_is(&err, ds, RERT_TAG(0x300A, 0x0080), is_values, 2));
    const float of[2] = {1.0f, -2.0f};
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x300A, 0x0664), "OF",
                                       of, 8));
    const double od[1] = {3.25};
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x7FE0, 0x0009), "OD",
                                       od, 8));
    const uint32_t ol[1] = {77};
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0066, 0x0040), "OL",
                                       ol, 4));
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x0009, 0x1001), "UN",
                                       "priv", 4));
    const uint16_t ow[3] = {1, 0x8000, 0xFFFF};
    assert_true(rert_dataset_set_bytes(&err, ds, TAG_PIXEL, "OW", ow, 6));
}

/* Nested sequences: two items, one holding a sequence, one empty item,
 * and a sequence with one empty item. */
static void build_sequences(RertDataset *ds)
{
    RertError err;
    /* nested sequences: two items, one holding a sequence, one empty item,
     * and an empty sequence */
    RertDataset *beam =
        rert_dataset_add_item(&err, ds, RERT_TAG(0x300A, 0x00B0));
    assert_non_null(beam);
    assert_true(rert_dataset_set_string(&err, beam, RERT_TAG(0x300A, 0x00C2),
                                        "LO", "Field 1"));
    for (long k = 0; k < 2; k++) {
        RertDataset *cp =
            rert_dataset_add_item(&err, beam, RERT_TAG(0x300A, 0x0111));
        assert_non_null(cp);
        assert_true(
            rert_dataset_set_is(&err, cp, RERT_TAG(0x300A, 0x0112), &k, 1));
    }
    assert_non_null(rert_dataset_add_item(&err, ds, RERT_TAG(0x300A, 0x00B0)));
    assert_non_null(rert_dataset_add_item(&err, ds, RERT_TAG(0x3006, 0x0020)));
    assert_true(rert_dataset_set_bytes(&err, ds, RERT_TAG(0x3006, 0x0020), "SQ",
                                       NULL, 0) == false);
}

/* Text values compare after removing the writer's padding. */
static void compare_datasets(const RertDataset *a,
                             const RertDataset *b,
                             bool skip_meta) // NOLINT(misc-no-recursion)
{
    for (size_t i = 0; i < rert_dataset_count(a); i++) {
        const RertElement *x = rert_dataset_element_at(a, i);
        uint32_t tag = rert_element_tag(x);
        if (skip_meta && RERT_TAG_GROUP(tag) == 0x0002) {
            continue;
        }
        const RertElement *y = rert_dataset_find(b, tag);
        if (y == NULL) {
            print_error("tag %08X missing after the round trip\n", tag);
            fail();
        }
        assert_string_equal(rert_element_vr(x), rert_element_vr(y));
        size_t nx = rert_element_length(x);
        size_t ny = rert_element_length(y);
        assert_true(ny == nx || ny == nx + 1);
        if (nx > 0) {
            assert_memory_equal(rert_element_value(x), rert_element_value(y),
                                nx);
        }
        if (ny == nx + 1) {
            char pad = (char)rert_element_value(y)[nx];
            assert_true(pad == (strcmp(rert_element_vr(x), "UI") == 0 ||
                                        strcmp(rert_element_vr(x), "OB") == 0 ||
                                        strcmp(rert_element_vr(x), "UN") == 0
                                    ? '\0'
                                    : ' '));
        }
        assert_int_equal(rert_element_item_count(x),
                         rert_element_item_count(y));
        for (size_t k = 0; k < rert_element_item_count(x); k++) {
            compare_datasets(rert_element_item(x, k), rert_element_item(y, k),
                             false);
        }
    }
    size_t meta = 0;
    for (size_t i = 0; i < rert_dataset_count(b); i++) {
        meta += skip_meta && RERT_TAG_GROUP(rert_element_tag(
                                 rert_dataset_element_at(b, i))) == 0x0002;
    }
    assert_int_equal(rert_dataset_count(a), rert_dataset_count(b) - meta);
}

/* (0002,0000) must equal the byte length of the rest of the meta group. */
static void check_meta_group(const RertBytes *out)
{
    assert_true(out->size > 144);
    assert_memory_equal(out->data + 128, "DICM", 4);
    const uint8_t *p = out->data + 132;
    assert_memory_equal(p, "\x02\x00\x00\x00UL\x04\x00", 8);
    size_t length = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 |
                    (size_t)p[11] << 24;
    size_t pos = 144;
    while (pos + 8 <= out->size && out->data[pos] == 0x02 &&
           out->data[pos + 1] == 0x00) {
        const uint8_t *h = out->data + pos;
        bool is_long = memcmp(h + 4, "OB", 2) == 0;
        size_t n = is_long ? (size_t)h[8] | (size_t)h[9] << 8
                           : (size_t)h[6] | (size_t)h[7] << 8;
        pos += (is_long ? 12 : 8) + n;
    }
    assert_int_equal(length, pos - 144);
}

static void test_write_round_trip(void **state)
{
    (void)state;
    RertError err;
    RertDataset *ds = rert_dataset_create(&err);
    assert_non_null(ds);
    build_text_vrs(ds);
    build_binary_vrs(ds);
    build_sequences(ds);
    /* stale meta elements are replaced */
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0002, 0x0010),
                                        "UI", RERT_TS_EXPLICIT_BE));
    RertBytes out;
    assert_true(rert_dicom_write(&err, ds, &out));
    check_meta_group(&out);
    RertDicomFileInfo info;
    RertDataset *back =
        rert_dicom_parse(&err, out.data, out.size, "rt.dcm", NULL, &info);
    assert_non_null(back);
    assert_true(info.has_preamble && info.has_meta);
    assert_string_equal(info.transfer_syntax, RERT_TS_EXPLICIT_LE);
    rert_dataset_remove(ds, RERT_TAG(0x0002, 0x0010));
    compare_datasets(ds, back, true);
    char buf[RERT_UID_SIZE];
    assert_true(rert_dataset_get_string(&err, back, RERT_TAG(0x0002, 0x0002), 0,
                                        buf, sizeof buf));
    assert_string_equal(buf, RT_DOSE_CLASS);
    assert_true(rert_dataset_get_string(&err, back, RERT_TAG(0x0002, 0x0003), 0,
                                        buf, sizeof buf));
    assert_string_equal(buf, "1.2.826.0.1.3680043.2.1");
    assert_true(rert_dataset_get_string(&err, back, RERT_TAG(0x0002, 0x0012), 0,
                                        buf, sizeof buf));
    assert_memory_equal(buf, "2.25.", 5);
    assert_true(rert_dataset_get_string(&err, back, RERT_TAG(0x0002, 0x0013), 0,
                                        buf, sizeof buf));
    assert_string_equal(buf, "RERT_0_1");
    const RertElement *version =
        rert_dataset_find(back, RERT_TAG(0x0002, 0x0001));
    assert_int_equal(rert_element_length(version), 2);
    assert_memory_equal(rert_element_value(version), "\x00\x01", 2);
    /* the file written again is byte-identical */
    RertBytes again;
    assert_true(rert_dicom_write(&err, back, &again));
    assert_int_equal(again.size, out.size);
    assert_memory_equal(again.data, out.data, out.size);
    rert_bytes_clear(&again);

    /* save atomically and load */
    char path[512];
    (void)snprintf(path, sizeof path, "%s/rt.dcm", rert_test_tmpdir());
    assert_true(rert_dicom_save(&err, ds, path));
    RertDataset *loaded = rert_dicom_load(&err, path, NULL, NULL);
    assert_non_null(loaded);
    compare_datasets(ds, loaded, true);
    rert_dataset_destroy(loaded);
    rert_dataset_destroy(back);
    rert_bytes_clear(&out);
    rert_dataset_destroy(ds);
}

static void test_write_errors(void **state)
{
    (void)state;
    RertError err;
    RertBytes out;
    RertDataset *ds = rert_dataset_create(&err);
    assert_non_null(ds);
    build_text_vrs(ds);
    build_sequences(ds);
    /* missing SOP instance UID, value too long for a short VR */
    rert_dataset_remove(ds, RERT_TAG(0x0008, 0x0018));
    assert_false(rert_dicom_write(&err, ds, &out));
    assert_non_null(strstr(err.message, "(0008,0018)"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0008, 0x0018),
                                        "UI", "1.2"));
    char *big = calloc(70000, 1);
    assert_non_null(big);
    memset(big, 'A', 69999);
    assert_true(
        rert_dataset_set_string(&err, ds, RERT_TAG(0x0010, 0x0020), "LO", big));
    assert_false(rert_dicom_write(&err, ds, &out));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_non_null(strstr(err.message, "PatientID"));
    free(big);
    rert_dataset_destroy(ds);
}

static void test_load_errors(void **state)
{
    (void)state;
    RertError err;
    assert_null(rert_dicom_load(&err, "/nonexistent/x.dcm", NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/x.dcm"));
    char path[512];
    (void)snprintf(path, sizeof path, "%s/bad.dcm", rert_test_tmpdir());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    static const uint8_t bad[] = {0x10, 0x00, 0x10, 0x00, 'P', 'N', 9, 0};
    assert_int_equal(fwrite(bad, 1, sizeof bad, f), sizeof bad);
    assert_int_equal(fclose(f), 0);
    assert_null(rert_dicom_load(&err, path, NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_memory_equal(err.message, path, strlen(path));
    RertDicomParseOptions opts = rert_dicom_parse_options_default();
    opts.limits.max_file_bytes = 4;
    assert_null(rert_dicom_load(&err, path, &opts, NULL));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
}

static void test_native_pixel_checks(void **state)
{
    (void)state;
    RertError err;
    RertDataset *ds = rert_dataset_create(&err);
    const uint16_t rows = 3;
    const uint16_t cols = 3;
    const uint16_t bits = 8;
    assert_true(
        rert_dataset_set_u16(&err, ds, RERT_TAG(0x0028, 0x0010), &rows, 1));
    assert_true(
        rert_dataset_set_u16(&err, ds, RERT_TAG(0x0028, 0x0011), &cols, 1));
    assert_true(
        rert_dataset_set_u16(&err, ds, RERT_TAG(0x0028, 0x0100), &bits, 1));
    uint8_t px[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
    assert_true(rert_dataset_set_bytes(&err, ds, TAG_PIXEL, "OB", px, 10));
    RertBytes out;
    assert_true(rert_dicom_decode_pixels(&err, ds, RERT_TS_EXPLICIT_LE, NULL,
                                         &out)); /* 9 bytes + 1 pad */
    assert_int_equal(out.size, 9);
    assert_memory_equal(out.data, px, 9);
    rert_bytes_clear(&out);
    assert_true(rert_dataset_set_bytes(&err, ds, TAG_PIXEL, "OB", px, 8));
    assert_false(
        rert_dicom_decode_pixels(&err, ds, RERT_TS_EXPLICIT_LE, NULL, &out));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "8 bytes"));
    const uint16_t one = 1;
    assert_true(
        rert_dataset_set_u16(&err, ds, RERT_TAG(0x0028, 0x0100), &one, 1));
    assert_false(rert_dicom_decode_pixels(&err, ds, NULL, NULL, &out));
    assert_int_equal(err.code, RERT_ERR_UNSUPPORTED);
    assert_true(
        rert_dataset_set_u16(&err, ds, RERT_TAG(0x0028, 0x0100), &bits, 1));
    RertLimits limits = rert_limits_default();
    limits.max_voxels = 8;
    assert_false(rert_dicom_decode_pixels(&err, ds, NULL, &limits, &out));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0028, 0x0008),
                                        "IS", "2147483647"));
    assert_true(rert_dataset_set_string(&err, ds, RERT_TAG(0x0028, 0x0010),
                                        "US", "")); /* empty: absent */
    assert_false(rert_dicom_decode_pixels(&err, ds, NULL, NULL, &out));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    rert_dataset_remove(ds, TAG_PIXEL);
    assert_false(rert_dicom_decode_pixels(&err, ds, NULL, NULL, &out));
    assert_non_null(strstr(err.message, "(7FE0,0010)"));
    rert_dataset_destroy(ds);
}

/* Fail allocation 1, 2, ... until @p run succeeds: every failure is NOMEM
 * and nothing leaks (checked by ASan/valgrind). */
static void alloc_loop(bool (*run)(RertError *err, void *user), void *user)
{
    for (size_t n = 1; n < 100000; n++) {
        RertError err;
        rert_error_clear(&err);
        rert_alloc_fail_at(n);
        bool ok = run(&err, user);
        rert_alloc_fail_at(0);
        if (ok) {
            return;
        }
        if (err.code != RERT_ERR_NOMEM) {
            print_error("allocation %zu: %s\n", n, err.message);
            fail();
        }
    }
    fail();
}

static bool run_parse(RertError *err, void *user)
{
    const Enc *e = user;
    RertDataset *ds = rert_dicom_parse(err, e->buf, e->n, "a.dcm", NULL, NULL);
    if (ds == NULL) {
        return false;
    }
    RertBytes px;
    bool ok = rert_dicom_decode_pixels(err, ds, NULL, NULL, &px);
    RertBytes out = {NULL, 0};
    ok = ok && rert_dicom_write(err, ds, &out);
    RertDataset *copy = ok ? rert_dataset_clone(err, ds) : NULL;
    ok = ok && copy != NULL;
    rert_dataset_destroy(copy);
    rert_bytes_clear(&out);
    rert_bytes_clear(&px);
    rert_dataset_destroy(ds);
    return ok;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    Enc *e = enc_new(true, false);
    enc_preamble_meta(e, RERT_TS_EXPLICIT_LE);
    enc_dataset(e, 16);
    alloc_loop(run_parse, e);
    free(e);
    Enc *body = enc_new(true, false);
    enc_dataset(body, 16);
    e = enc_new(true, false);
    enc_preamble_meta(e, RERT_TS_DEFLATED_LE);
    e->n += raw_deflate(body->buf, body->n, e->buf + e->n, ENC_MAX - e->n);
    alloc_loop(run_parse, e);
    free(e);
    free(body);
    uint8_t values[120];
    for (size_t i = 0; i < sizeof values; i++) {
        values[i] = (uint8_t)(i / 5);
    }
    e = rle_file(values, 3, 4, 5, 1, 2);
    /* RLE cannot be written back as explicit VR LE: decode only */
    RertError err;
    RertDataset *ds = rert_dicom_parse(&err, e->buf, e->n, "r", NULL, NULL);
    assert_non_null(ds);
    for (size_t n = 1;; n++) {
        RertBytes px;
        rert_alloc_fail_at(n);
        bool ok = rert_dicom_decode_pixels(&err, ds, NULL, NULL, &px);
        rert_alloc_fail_at(0);
        rert_bytes_clear(&px);
        if (ok) {
            break;
        }
        assert_int_equal(err.code, RERT_ERR_NOMEM);
    }
    rert_dataset_destroy(ds);
    free(e);
}

/* ---- real files from the shared data folder */

static RertDataset *
load_shared(const char *dir, const char *name, RertDicomFileInfo *info)
{
    char path[1024];
    (void)snprintf(path, sizeof path, "%s/%s", dir, name);
    RertError err;
    rert_error_clear(&err);
    RertDataset *ds = rert_dicom_load(&err, path, NULL, info);
    if (ds == NULL) {
        print_error("%s\n", err.message);
        fail();
    }
    return ds;
}

static size_t parse_folder(const char *dir, const char *sub)
{
    char path[1024];
    (void)snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t count = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        size_t len = strlen(ent->d_name);
        if (len < 4 || strcmp(ent->d_name + len - 4, ".dcm") != 0 ||
            strcmp(ent->d_name, "rtplan_truncated.dcm") == 0) {
            continue;
        }
        RertDicomFileInfo info;
        RertDataset *ds = load_shared(path, ent->d_name, &info);
        RertError err;
        char uid[RERT_UID_SIZE];
        assert_true(rert_dataset_get_string(&err, ds, RERT_TAG(0x0008, 0x0018),
                                            0, uid, sizeof uid));
        RertDicomParseOptions opts = rert_dicom_parse_options_default();
        opts.stop_before_pixel_data = true;
        char full[1280];
        (void)snprintf(full, sizeof full, "%s/%s", path, ent->d_name);
        RertDataset *head = rert_dicom_load(&err, full, &opts, NULL);
        assert_non_null(head);
        assert_null(rert_dataset_find(head, TAG_PIXEL));
        rert_dataset_destroy(head);
        rert_dataset_destroy(ds);
        count++;
    }
    closedir(d);
    return count;
}

static void test_shared_files_parse(void **state)
{
    (void)state;
    const char *dir = rert_test_require_shared_data();
    assert_int_equal(parse_folder(dir, "pydicom"), 10);
    assert_int_equal(parse_folder(dir, "dicompyler-core"), 3);
    assert_int_equal(parse_folder(dir, "nelms-dvh/dose"), 6);
    assert_int_equal(parse_folder(dir, "nelms-dvh/structures"), 50);
}

static void
decode_dose(const char *dir, const char *name, RertBytes *px, double *scaling)
{
    RertDicomFileInfo info;
    RertDataset *ds = load_shared(dir, name, &info);
    RertError err;
    if (!rert_dicom_decode_pixels(&err, ds, info.transfer_syntax, NULL, px)) {
        print_error("%s: %s\n", name, err.message);
        fail();
    }
    assert_true(rert_dataset_get_double(&err, ds, RERT_TAG(0x3004, 0x000E), 0,
                                        scaling));
    long frames = 1;
    long rows = 0;
    long cols = 0;
    if (rert_dataset_has(ds, RERT_TAG(0x0028, 0x0008))) {
        assert_true(rert_dataset_get_long(&err, ds, RERT_TAG(0x0028, 0x0008), 0,
                                          &frames));
    }
    assert_true(
        rert_dataset_get_long(&err, ds, RERT_TAG(0x0028, 0x0010), 0, &rows));
    assert_true(
        rert_dataset_get_long(&err, ds, RERT_TAG(0x0028, 0x0011), 0, &cols));
    assert_int_equal(px->size, (size_t)(rows * cols * 4 * frames));
    /* the frame increment pointer names GridFrameOffsetVector */
    long pointer = 0;
    if (rert_dataset_has(ds, RERT_TAG(0x0028, 0x0009))) {
        assert_true(rert_dataset_get_long(&err, ds, RERT_TAG(0x0028, 0x0009), 0,
                                          &pointer));
        assert_int_equal(pointer, (long)RERT_TAG(0x3004, 0x000C));
    }
    rert_dataset_destroy(ds);
}

static void test_shared_rtdose_syntaxes(void **state)
{
    (void)state;
    const char *dir = rert_test_require_shared_data();
    char sub[1024];
    (void)snprintf(sub, sizeof sub, "%s/pydicom", dir);
    const char *sets[2][3] = {
        {"rtdose.dcm", "rtdose_expb.dcm", "rtdose_rle.dcm"},
        {"rtdose_1frame.dcm", "rtdose_expb_1frame.dcm",
         "rtdose_rle_1frame.dcm"}};
    for (size_t s = 0; s < 2; s++) {
        RertBytes ref;
        double ref_scaling = 0;
        decode_dose(sub, sets[s][0], &ref, &ref_scaling);
        uint32_t max = 0;
        for (size_t i = 0; i + 4 <= ref.size; i += 4) {
            uint32_t v = (uint32_t)ref.data[i] |
                         (uint32_t)ref.data[i + 1] << 8 |
                         (uint32_t)ref.data[i + 2] << 16 |
                         (uint32_t)ref.data[i + 3] << 24;
            max = v > max ? v : max;
        }
        assert_true(max > 0 && max < 100000000u); /* plausible, not swapped */
        for (size_t k = 1; k < 3; k++) {
            RertBytes px;
            double scaling = 0;
            decode_dose(sub, sets[s][k], &px, &scaling);
            assert_int_equal(px.size, ref.size);
            assert_memory_equal(px.data, ref.data, ref.size);
            rert_assert_near(scaling, ref_scaling, 0, 0);
            rert_bytes_clear(&px);
        }
        rert_bytes_clear(&ref);
    }
}

static void test_shared_special_files(void **state)
{
    (void)state;
    const char *dir = rert_test_require_shared_data();
    char sub[1024];
    (void)snprintf(sub, sizeof sub, "%s/pydicom", dir);
    char path[1280];
    (void)snprintf(path, sizeof path, "%s/rtplan_truncated.dcm", sub);
    RertError err;
    assert_null(rert_dicom_load(&err, path, NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "rtplan_truncated.dcm"));
    assert_non_null(strstr(err.message, "offset"));

    RertDicomFileInfo info;
    RertDataset *ds = load_shared(sub, "rtstruct.dcm", &info);
    assert_false(info.has_meta);
    assert_false(info.has_preamble);
    assert_true(rert_dataset_item_count(ds, RERT_TAG(0x3006, 0x0020)) > 0);
    assert_true(rert_dataset_item_count(ds, RERT_TAG(0x3006, 0x0039)) > 0);
    rert_dataset_destroy(ds);

    const char *images[2] = {"CT_small.dcm", "MR_small.dcm"};
    for (size_t i = 0; i < 2; i++) {
        ds = load_shared(sub, images[i], &info);
        long rows = 0;
        long cols = 0;
        assert_true(rert_dataset_get_long(&err, ds, RERT_TAG(0x0028, 0x0010), 0,
                                          &rows));
        assert_true(rert_dataset_get_long(&err, ds, RERT_TAG(0x0028, 0x0011), 0,
                                          &cols));
        RertBytes px;
        assert_true(rert_dicom_decode_pixels(&err, ds, info.transfer_syntax,
                                             NULL, &px));
        assert_int_equal(px.size, (size_t)(rows * cols * 2));
        rert_bytes_clear(&px);
        rert_dataset_destroy(ds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dictionary),
        cmocka_unit_test(test_uid_generate),
        cmocka_unit_test(test_explicit_le_with_meta),
        cmocka_unit_test(test_implicit_and_explicit_without_meta),
        cmocka_unit_test(test_implicit_with_meta),
        cmocka_unit_test(test_explicit_big_endian),
        cmocka_unit_test(test_deflated),
        cmocka_unit_test(test_rle),
        cmocka_unit_test(test_rle_malformed),
        cmocka_unit_test(test_jpeg_unsupported),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_nesting_depth),
        cmocka_unit_test(test_private_and_un_sequences),
        cmocka_unit_test(test_stop_before_pixel_data),
        cmocka_unit_test(test_write_round_trip),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_native_pixel_checks),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_shared_files_parse),
        cmocka_unit_test(test_shared_rtdose_syntaxes),
        cmocka_unit_test(test_shared_special_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
