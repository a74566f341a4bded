/* Unit tests: report output primitives (escaping, JSON writer, CSV, base64,
 * PNG dose wash read back with libpng, planes, SVG DVH plot). Set
 * RERT_REPORT_PNG_DIR to keep the sample pictures for viewing. */
#include <cJSON.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/report.h>

#include "rert_test.h"

/* ---- helpers */

static char *json_escaped(const char *s, size_t n)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, 1 << 20);
    assert_true(rert_json_escape(NULL, &sb, s, n));
    return rert_strbuf_take(NULL, &sb);
}

static void assert_json_escape(const char *in, size_t n, const char *expected)
{
    char *out = json_escaped(in, n);
    assert_string_equal(out, expected);
    rert_free(out);
}

static char *html_text(const char *s, bool attribute)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, 1 << 20);
    assert_true(attribute ? rert_html_escape_attribute(NULL, &sb, s)
                          : rert_html_escape_text(NULL, &sb, s));
    return rert_strbuf_take(NULL, &sb);
}

/* ---- JSON escaping */

static void test_json_escape_rules(void **state)
{
    (void)state;
    assert_json_escape("plain", 5, "\"plain\"");
    assert_json_escape("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    assert_json_escape("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    assert_json_escape("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    assert_json_escape("a\0b", 3, "\"a\\u0000b\"");
    assert_json_escape("</script>&", 10, "\"\\u003c/script\\u003e\\u0026\"");
    /* UTF-8 passes through: e-acute, euro sign, a 4-byte emoji */
    assert_json_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
                       "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* U+2028 and U+2029 are escaped for JavaScript */
    assert_json_escape("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"");
}

static void test_json_escape_invalid_utf8(void **state)
{
    (void)state;
#define FFFD "\xef\xbf\xbd"
    assert_json_escape("a\xff"
                       "b",
                       3, "\"a" FFFD "b\"");
    /* a lone lead byte, then ASCII */
    assert_json_escape("\xc3"
                       "A",
                       2, "\"" FFFD "A\"");
    /* overlong '/' (C0 AF): two bytes, two replacements */
    assert_json_escape("\xc0\xaf", 2, "\"" FFFD FFFD "\"");
    /* UTF-16 surrogate D800 encoded in UTF-8 */
    assert_json_escape("\xed\xa0\x80", 3, "\"" FFFD FFFD FFFD "\"");
    /* above U+10FFFF */
    assert_json_escape("\xf4\x90\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\"");
    /* truncated at the end of the input */
    assert_json_escape("x\xe2\x82", 3, "\"x" FFFD FFFD "\"");
    /* a continuation byte alone */
    assert_json_escape("\x80", 1, "\"" FFFD "\"");
}

/* Every escaped string parses back (cJSON) to the original when the input
 * is valid UTF-8. */
static void test_json_escape_round_trip(void **state)
{
    (void)state;
    const char *inputs[] = {
        "PTV 70 \"boost\"", "C:\\dicom\\rt.dcm",       "tab\there\nline",
        "\x01\x02\x1b[31m", "Rückenmark <5mm> & more", "\xe2\x80\xa8",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *out = json_escaped(inputs[i], strlen(inputs[i]));
        cJSON *parsed = cJSON_Parse(out);
        assert_non_null(parsed);
        assert_true(cJSON_IsString(parsed));
        assert_string_equal(parsed->valuestring, inputs[i]);
        cJSON_Delete(parsed);
        rert_free(out);
    }
}

/* ---- numbers */

static void test_number_format(void **state)
{
    (void)state;
    char buf[RERT_NUMBER_TEXT_SIZE];
    assert_true(rert_number_format(buf, 0.1));
    assert_string_equal(buf, "0.1");
    assert_true(rert_number_format(buf, 70.0));
    assert_string_equal(buf, "70");
    assert_true(rert_number_format(buf, -2.5e-7));
    assert_string_equal(buf, "-2.5e-07");
    assert_true(rert_number_format(buf, 1e300));
    assert_string_equal(buf, "1e+300");
    const double values[] = {
        1.0 / 3.0,     0.1 + 0.2, 4.35,   1e-310,
        123456789.123, -0.0,      5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_true(rert_number_format(buf, values[i]));
        double back = strtod(buf, NULL);
        assert_memory_equal(&back, &values[i], sizeof back);
    }
    assert_true(rert_number_format(buf, 0.1 + 0.2));
    assert_string_equal(buf, "0.30000000000000004");
    assert_false(rert_number_format(buf, (double)NAN));
    assert_string_equal(buf, "");
    assert_false(rert_number_format(buf, -HUGE_VAL));
}

/* ---- JSON writer */

static void write_sample(RertJsonWriter *w)
{
    RertError err;
    assert_true(rert_json_object_begin(&err, w));
    assert_true(rert_json_write_key_string(&err, w, "name", "Cord \"PRV\""));
    assert_true(rert_json_write_key_number(&err, w, "dmax_gy", 45.25));
    assert_true(rert_json_write_key_number(&err, w, "missing", (double)NAN));
    assert_true(rert_json_write_key_int(&err, w, "n", -9007199254740993LL));
    assert_true(rert_json_write_key_bool(&err, w, "ok", true));
    assert_true(rert_json_write_key(&err, w, "list"));
    assert_true(rert_json_array_begin(&err, w));
    assert_true(rert_json_write_number(&err, w, HUGE_VAL));
    assert_true(rert_json_write_null(&err, w));
    assert_true(rert_json_write_string(&err, w, NULL));
    assert_true(rert_json_object_begin(&err, w));
    assert_true(rert_json_object_end(&err, w));
    assert_true(rert_json_array_begin(&err, w));
    assert_true(rert_json_array_end(&err, w));
    assert_true(rert_json_array_end(&err, w));
    assert_true(rert_json_object_end(&err, w));
}

static void test_json_writer_compact_and_pretty(void **state)
{
    (void)state;
    RertError err;
    RertStrbuf sb;
    RertJsonWriter w;
    rert_strbuf_init(&sb, 1 << 20);
    rert_json_writer_init(&w, &sb, false);
    write_sample(&w);
    assert_true(rert_json_writer_finish(&err, &w));
    assert_string_equal(sb.data,
                        "{\"name\":\"Cord \\\"PRV\\\"\",\"dmax_gy\":45.25,"
                        "\"missing\":null,\"n\":-9007199254740993,\"ok\":true,"
                        "\"list\":[null,null,null,{},[]]}");
    rert_strbuf_clear(&sb);

    rert_json_writer_init(&w, &sb, true);
    write_sample(&w);
    assert_true(rert_json_writer_finish(&err, &w));
    cJSON *doc = cJSON_Parse(sb.data);
    assert_non_null(doc);
    cJSON *name = cJSON_GetObjectItemCaseSensitive(doc, "name");
    assert_string_equal(name->valuestring, "Cord \"PRV\"");
    rert_assert_near(
        cJSON_GetObjectItemCaseSensitive(doc, "dmax_gy")->valuedouble, 45.25, 0,
        0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "missing")));
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "list")), 5);
    cJSON_Delete(doc);
    assert_non_null(strstr(sb.data, "{\n  \"name\": \"Cord"));
    assert_non_null(strstr(sb.data, "\n    {},\n    []\n  ]\n}\n"));
    rert_strbuf_clear(&sb);
}

/* A writer that already holds "{" and must reject @p step. */
static void expect_misuse(int step, const char *message_part)
{
    RertError err;
    RertStrbuf sb;
    RertJsonWriter w;
    rert_strbuf_init(&sb, 1 << 16);
    rert_json_writer_init(&w, &sb, false);
    assert_true(rert_json_object_begin(&err, &w));
    bool ok = true;
    switch (step) {
    case 0: /* value without key */
        ok = rert_json_write_number(&err, &w, 1.0);
        break;
    case 1: /* array end closing an object */
        ok = rert_json_array_end(&err, &w);
        break;
    case 2: /* two keys */
        ok = rert_json_write_key(&err, &w, "a") &&
             rert_json_write_key(&err, &w, "b");
        break;
    case 3: /* end after key */
        ok = rert_json_write_key(&err, &w, "a") &&
             rert_json_object_end(&err, &w);
        break;
    default: /* a second top-level value */
        ok = rert_json_object_end(&err, &w) &&
             rert_json_write_bool(&err, &w, false);
        break;
    }
    assert_false(ok);
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, message_part));
    /* sticky: later calls fail without touching err; finish repeats it */
    RertError later;
    rert_error_clear(&later);
    assert_false(rert_json_write_null(&later, &w));
    assert_int_equal(later.code, RERT_OK);
    RertError fin;
    assert_false(rert_json_writer_finish(&fin, &w));
    assert_string_equal(fin.message, err.message);
    rert_strbuf_clear(&sb);
}

static void test_json_writer_structure_errors(void **state)
{
    (void)state;
    expect_misuse(0, "without a key");
    expect_misuse(1, "array end");
    expect_misuse(2, "two keys");
    expect_misuse(3, "after a key");
    expect_misuse(4, "second top-level");

    RertError err;
    RertStrbuf sb;
    RertJsonWriter w;
    rert_strbuf_init(&sb, 1 << 16);
    rert_json_writer_init(&w, &sb, false);
    assert_false(rert_json_writer_finish(&err, &w));
    assert_non_null(strstr(err.message, "no value"));
    rert_json_writer_init(&w, &sb, false);
    assert_true(rert_json_array_begin(&err, &w));
    assert_false(rert_json_write_key(&err, &w, "k"));
    assert_non_null(strstr(err.message, "outside an object"));
    rert_json_writer_init(&w, &sb, false);
    assert_true(rert_json_array_begin(&err, &w));
    assert_false(rert_json_writer_finish(&err, &w));
    assert_non_null(strstr(err.message, "1 container"));
    /* nesting limit */
    rert_json_writer_init(&w, &sb, false);
    bool ok = true;
    for (int i = 0; i < RERT_JSON_MAX_DEPTH && ok; i++) {
        ok = rert_json_array_begin(&err, &w);
    }
    assert_true(ok);
    assert_false(rert_json_array_begin(&err, &w));
    assert_non_null(strstr(err.message, "nesting"));
    rert_strbuf_clear(&sb);
}

static void test_json_writer_limit(void **state)
{
    (void)state;
    RertError err;
    RertStrbuf sb;
    RertJsonWriter w;
    rert_strbuf_init(&sb, 16);
    rert_json_writer_init(&w, &sb, false);
    assert_true(rert_json_array_begin(&err, &w));
    assert_false(rert_json_write_string(&err, &w, "a string too long"));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_false(rert_json_array_end(&err, &w));
    assert_false(rert_json_writer_finish(&err, &w));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    rert_strbuf_clear(&sb);
}

/* ---- HTML, CSV, base64 */

static void test_html_escape(void **state)
{
    (void)state;
    char *t = html_text("<b>R&D</b> \"q\" 'a'", false);
    assert_string_equal(t, "&lt;b&gt;R&amp;D&lt;/b&gt; \"q\" 'a'");
    rert_free(t);
    t = html_text("<b>R&D</b> \"q\" 'a'", true);
    assert_string_equal(t,
                        "&lt;b&gt;R&amp;D&lt;/b&gt; &quot;q&quot; &#39;a&#39;");
    rert_free(t);
    /* controls (not tab/LF/CR), C1 and invalid bytes become U+FFFD */
    t = html_text("a\x01\tb\n\xc2\x85\xff\xc3\xa9", false);
    assert_string_equal(t, "a" FFFD "\tb\n" FFFD FFFD "\xc3\xa9");
    rert_free(t);
    RertStrbuf sb;
    rert_strbuf_init(&sb, 64);
    assert_true(rert_html_escape_text(NULL, &sb, NULL));
    assert_int_equal(sb.len, 0);
    rert_strbuf_clear(&sb);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    RertError err;
    RertStrbuf sb;
    RertCsvWriter w;
    rert_strbuf_init(&sb, 1 << 16);
    rert_csv_writer_init(&w, &sb);
    assert_true(rert_csv_write_field(&err, &w, "roi"));
    assert_true(rert_csv_write_field(&err, &w, "a,b"));
    assert_true(rert_csv_write_field(&err, &w, "say \"hi\""));
    assert_true(rert_csv_write_field(&err, &w, "two\r\nlines"));
    assert_true(rert_csv_write_field(&err, &w, " padded"));
    assert_true(rert_csv_write_field(&err, &w, NULL));
    assert_true(rert_csv_write_field(&err, &w, "=1+1"));
    assert_true(rert_csv_end_row(&err, &w));
    assert_true(rert_csv_write_number(&err, &w, 45.25));
    assert_true(rert_csv_write_number(&err, &w, (double)NAN));
    assert_true(rert_csv_write_field(&err, &w, "bad\xff"));
    assert_true(rert_csv_end_row(&err, &w));
    assert_string_equal(sb.data,
                        "roi,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\","
                        "\" padded\",,=1+1\r\n45.25,,bad" FFFD "\r\n");
    rert_strbuf_clear(&sb);
}

static void test_base64_vectors(void **state)
{
    (void)state;
    /* RFC 4648 section 10 */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                         "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        RertStrbuf sb;
        rert_strbuf_init(&sb, 64);
        assert_true(rert_base64_encode(NULL, &sb, in[i], strlen(in[i])));
        char *s = rert_strbuf_take(NULL, &sb);
        assert_string_equal(s, out[i]);
        rert_free(s);
    }
    const uint8_t bytes[3] = {0xfb, 0xff, 0xbf};
    RertStrbuf sb;
    rert_strbuf_init(&sb, 64);
    assert_true(rert_base64_encode(NULL, &sb, bytes, 3));
    assert_string_equal(sb.data, "+/+/");
    rert_strbuf_clear(&sb);
}

/* ---- colour map */

static void test_colormap(void **state)
{
    (void)state;
    uint8_t lo[3];
    uint8_t hi[3];
    uint8_t mid[3];
    uint8_t nan_rgb[3];
    rert_colormap_dose(0.0, lo);
    rert_colormap_dose(1.0, hi);
    rert_colormap_dose(0.5, mid);
    rert_colormap_dose((double)NAN, nan_rgb);
    assert_true(lo[2] > 200 && lo[0] < 100); /* blue */
    assert_true(hi[0] > 150 && hi[1] < 50);  /* dark red */
    assert_true(mid[1] > 200);               /* green-yellow middle */
    assert_memory_equal(nan_rgb, lo, 3);
    uint8_t clamped[3];
    rert_colormap_dose(7.0, clamped);
    assert_memory_equal(clamped, hi, 3);
    /* exact table entry (t = 8/16 is the 9th of 17 samples) */
    assert_int_equal(mid[0], 158);
    assert_int_equal(mid[1], 249);
    assert_int_equal(mid[2], 76);
}

/* ---- PNG dose wash */

#define SW 64
#define SH 48

typedef struct Slice {
    float ct[SW * SH];
    float dose[SW * SH];
} Slice;

/* Body ellipse at 40 HU in air; dose rising linearly with the column:
 * dose(i) = 60 i / (SW - 1) Gy. */
static void make_slice(Slice *s)
{
    for (size_t j = 0; j < SH; j++) {
        for (size_t i = 0; i < SW; i++) {
            double x = ((double)i - 31.5) / 30.0;
            double y = ((double)j - 23.5) / 22.0;
            s->ct[j * SW + i] = x * x + y * y <= 1.0 ? 40.0f : -1000.0f;
            s->dose[j * SW + i] = (float)(60.0 * (double)i / (SW - 1));
        }
    }
}

static void read_png(const char *path, RertRgbImage *img)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&pi, path));
    pi.format = PNG_FORMAT_RGB;
    assert_true(rert_rgb_image_init(NULL, img, pi.width, pi.height));
    assert_true(png_image_finish_read(&pi, NULL, img->rgb, 0, NULL));
    png_image_free(&pi);
}

static const uint8_t *px(const RertRgbImage *img, size_t x, size_t y)
{
    return img->rgb + (y * img->width + x) * 3;
}

static void assert_rgb_near(const uint8_t *got, const uint8_t want[3], int tol)
{
    for (size_t c = 0; c < 3; c++) {
        int d = (int)got[c] - (int)want[c];
        if (d < -tol || d > tol) {
            fail_msg("pixel (%d,%d,%d), expected (%d,%d,%d) within %d", got[0],
                     got[1], got[2], want[0], want[1], want[2], tol);
        }
    }
}

static void test_wash_png_pixels(void **state)
{
    (void)state;
    static Slice s;
    make_slice(&s);
    const double iso[1] = {30.0};
    RertWash w;
    rert_wash_init(&w);
    w.width = SW;
    w.height = SH;
    w.ct_hu = s.ct;
    w.dose_gy = s.dose;
    w.dose_min_gy = 6.0;
    w.dose_max_gy = 60.0;
    w.isodose_gy = iso;
    w.isodose_count = 1;
    w.scale = 4;
    RertError err;
    RertRgbImage made;
    assert_true(rert_wash_render(&err, &w, &made));
    assert_int_equal(made.height, SH * 4 < 200 ? 200 : SH * 4);
    assert_true(made.width > SW * 4); /* colour bar panel on the right */

    char path[512];
    (void)snprintf(path, sizeof path, "%s/wash.png", rert_test_tmpdir());
    assert_true(rert_png_save(&err, path, &made));
    RertRgbImage back;
    read_png(path, &back);
    assert_int_equal(back.width, made.width);
    assert_int_equal(back.height, made.height);
    assert_memory_equal(back.rgb, made.rgb, made.width * made.height * 3);

    /* CT gray where the dose is below the threshold: column 2 (1.9 Gy),
     * row 24, inside the body: 40 HU in window 40/400 -> 0.5 -> 128. */
    const uint8_t gray[3] = {128, 128, 128};
    assert_rgb_near(px(&back, 2 * 4 + 1, 24 * 4 + 1), gray, 1);
    /* air outside the body, low dose: black */
    const uint8_t black[3] = {0, 0, 0};
    assert_rgb_near(px(&back, 1, 120), black, 0);
    /* wash at column 48 (45.71 Gy): 0.55 gray + 0.45 colour */
    double d = 60.0 * 48.0 / 63.0;
    uint8_t c[3];
    rert_colormap_dose((d - 6.0) / 54.0, c);
    uint8_t want[3];
    for (size_t k = 0; k < 3; k++) {
        want[k] = (uint8_t)lround(0.55 * 128.0 + 0.45 * c[k]);
    }
    assert_rgb_near(px(&back, 48 * 4 + 1, 30 * 4 + 1), want, 1);

    /* isodose 30 Gy crosses at column 31.5: output x = 127.5 */
    uint8_t iso_rgb[3];
    rert_colormap_dose((30.0 - 6.0) / 54.0, iso_rgb);
    size_t on_line = 0;
    for (size_t y = 60; y < 120; y++) {
        const uint8_t *p = px(&back, 127, y);
        const uint8_t *q = px(&back, 128, y);
        if ((p[0] == iso_rgb[0] && p[1] == iso_rgb[1] && p[2] == iso_rgb[2]) ||
            (q[0] == iso_rgb[0] && q[1] == iso_rgb[1] && q[2] == iso_rgb[2])) {
            on_line++;
        }
        const uint8_t *off = px(&back, 120, y);
        assert_false(off[0] == iso_rgb[0] && off[1] == iso_rgb[1] &&
                     off[2] == iso_rgb[2]);
    }
    assert_int_equal(on_line, 60);

    /* encoding is deterministic */
    RertBytes a;
    RertBytes b;
    assert_true(rert_png_encode(&err, &made, &a));
    assert_true(rert_png_encode(&err, &made, &b));
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.data, b.data, a.size);
    assert_memory_equal(a.data, "\x89PNG\r\n\x1a\n", 8);
    rert_bytes_clear(&a);
    rert_bytes_clear(&b);
    rert_rgb_image_clear(&back);
    rert_rgb_image_clear(&made);
    (void)remove(path);
}

/* Polygon and mask outlines land where they are drawn; a no-dose slice
 * renders CT only with no colour bar. */
static void test_wash_outlines(void **state)
{
    (void)state;
    static float ct[20 * 10];
    static float mask[20 * 10];
    for (size_t i = 0; i < 200; i++) {
        ct[i] = -1000.0f;
        size_t x = i % 20;
        size_t y = i / 20;
        mask[i] = (x >= 12 && x <= 16 && y >= 3 && y <= 6) ? 1.0f : 0.0f;
    }
    const double square[8] = {2, 2, 6, 2, 6, 6, 2, 6};
    RertOverlayPolygon poly = {square, 4, {255, 0, 0}, NULL};
    RertOverlayMask m = {mask, {0, 255, 0}, NULL};
    RertWash w;
    rert_wash_init(&w);
    w.width = 20;
    w.height = 10;
    w.ct_hu = ct;
    w.polygons = &poly;
    w.polygon_count = 1;
    w.masks = &m;
    w.mask_count = 1;
    w.scale = 2;
    RertRgbImage img;
    assert_true(rert_wash_render(NULL, &w, &img));
    assert_int_equal(img.width, 40);
    assert_int_equal(img.height, 20);
    /* polygon edge x = 2 -> output 4.5: pixel 4 or 5 is red at row 8 */
    const uint8_t *p = px(&img, 4, 8);
    const uint8_t *q = px(&img, 5, 8);
    assert_true((p[0] == 255 && p[1] == 0) || (q[0] == 255 && q[1] == 0));
    /* inside the square: black CT */
    assert_int_equal(px(&img, 8, 8)[0], 0);
    /* mask outline: the 0.5 level between columns 11 and 12 (x = 11.5 ->
     * output 23.5) */
    p = px(&img, 23, 10);
    q = px(&img, 24, 10);
    assert_true((p[1] == 255 && p[0] == 0) || (q[1] == 255 && q[0] == 0));
    assert_int_equal(px(&img, 28, 10)[1], 0);
    rert_rgb_image_clear(&img);
}

static void test_wash_rejects_bad_input(void **state)
{
    (void)state;
    float v[4] = {0, 1, 2, 3};
    RertWash w;
    RertRgbImage img;
    RertError err;
    rert_wash_init(&w);
    w.width = 2;
    w.height = 2;
    w.dose_gy = v;
    w.scale = 17;
    assert_false(rert_wash_render(&err, &w, &img));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_null(img.rgb);
    w.scale = 1;
    w.alpha = 1.5;
    assert_false(rert_wash_render(&err, &w, &img));
    w.alpha = 0.5;
    w.dose_min_gy = 5;
    w.dose_max_gy = 5;
    assert_false(rert_wash_render(&err, &w, &img));
    assert_non_null(strstr(err.message, "max > min"));
    w.dose_min_gy = (double)NAN;
    w.dose_max_gy = (double)NAN;
    w.isodose_count = 2;
    assert_false(rert_wash_render(&err, &w, &img));
    w.isodose_count = 0;
    w.width = 0;
    assert_false(rert_wash_render(&err, &w, &img));
    w.width = 8000;
    w.height = 1;
    w.scale = 2;
    w.dose_gy = NULL;
    assert_false(rert_wash_render(&err, &w, &img));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    RertRgbImage empty = {0, 0, NULL};
    RertBytes bytes;
    assert_false(rert_png_encode(&err, &empty, &bytes));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_false(rert_png_save(&err, "/nonexistent-dir/x.png", &empty));
}

/* ---- planes */

/* Value = x + 100 y + 10000 z (mm): trilinear sampling is exact on it, so
 * every plane pixel tells where in the patient it was taken. */
static RertVolume *linear_volume(const double direction[9],
                                 const double origin[3])
{
    const size_t dims[3] = {20, 16, 10};
    const double spacing[3] = {2.0, 2.0, 3.0};
    RertGridGeometry g;
    assert_true(
        rert_grid_geometry_make(NULL, dims, origin, spacing, direction, 0, &g));
    RertVolume *v = rert_volume_create(NULL, &g);
    assert_non_null(v);
    float *data = rert_volume_data(v);
    for (size_t k = 0; k < dims[2]; k++) {
        for (size_t j = 0; j < dims[1]; j++) {
            for (size_t i = 0; i < dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 p = rert_grid_ijk_to_xyz(&g, ijk);
                data[rert_grid_index(&g, i, j, k)] =
                    (float)(p.x + 100.0 * p.y + 10000.0 * p.z);
            }
        }
    }
    return v;
}

static double
value_at(const float *plane, const RertPlane *p, size_t c, size_t r)
{
    return (double)plane[r * p->width + c];
}

static void check_plane(const RertVolume *v,
                        RertPlaneKind kind,
                        double d_col,
                        double d_row,
                        const char *top,
                        const char *left)
{
    RertVec3 point = {1.0, -3.0, 0.0};
    RertPlane p;
    RertError err;
    assert_true(
        rert_plane_make(&err, kind, rert_volume_geometry(v), point, 0, &p));
    rert_assert_near(p.pixel_mm, 2.0, 0, 0);
    assert_string_equal(p.edge_labels[0], top);
    assert_string_equal(p.edge_labels[2], left);
    float *s = rert_plane_sample(&err, &p, v, NAN);
    assert_non_null(s);
    /* a pixel well inside the volume, and its right and lower neighbours */
    size_t c = p.width / 2;
    size_t r = p.height / 2;
    double here = value_at(s, &p, c, r);
    rert_assert_near(value_at(s, &p, c + 1, r) - here, d_col, 1e-2, 0);
    rert_assert_near(value_at(s, &p, c, r + 1) - here, d_row, 1e-2, 0);
    /* the plane goes through the point: its pixel maps back with z = 0 */
    RertVec3 pix = rert_plane_xyz_to_pixel(&p, point);
    rert_assert_near(pix.z, 0.0, 1e-9, 0);
    rert_assert_near(pix.x, round(pix.x), 1e-9, 0); /* whole pixels */
    /* value at the pixel holding the point equals the linear function */
    rert_assert_near(
        value_at(s, &p, (size_t)lround(pix.x), (size_t)lround(pix.y)),
        point.x + 100.0 * point.y + 10000.0 * point.z, 0.05, 0);
    rert_free(s);
}

static void test_plane_orientation(void **state)
{
    (void)state;
    const double origin[3] = {-19.0, -15.0, -13.5};
    const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    RertVolume *v = linear_volume(identity, origin);
    /* axial: column +2 mm in x (toward patient left), row +2 mm in y
     * (posterior, so anterior is up) */
    check_plane(v, RERT_PLANE_AXIAL, 2.0, 200.0, "A", "R");
    /* coronal: column +x, row -z (superior up) */
    check_plane(v, RERT_PLANE_CORONAL, 2.0, -20000.0, "S", "R");
    /* sagittal: column +y (anterior on the left), row -z */
    check_plane(v, RERT_PLANE_SAGITTAL, 200.0, -20000.0, "S", "A");
    rert_volume_destroy(v);

    /* A grid stored mirrored (i toward patient right, k downward) shows the
     * same patient orientation. */
    const double mirrored[9] = {-1, 0, 0, 0, 1, 0, 0, 0, -1};
    const double origin_m[3] = {19.0, -15.0, 13.5};
    v = linear_volume(mirrored, origin_m);
    check_plane(v, RERT_PLANE_AXIAL, 2.0, 200.0, "A", "R");
    check_plane(v, RERT_PLANE_CORONAL, 2.0, -20000.0, "S", "R");
    check_plane(v, RERT_PLANE_SAGITTAL, 200.0, -20000.0, "S", "A");

    /* plane size covers the grid: 40 mm x 32 mm x 30 mm at 2 mm */
    RertPlane p;
    RertVec3 point = {0, 0, 0};
    assert_true(rert_plane_make(NULL, RERT_PLANE_CORONAL,
                                rert_volume_geometry(v), point, 0, &p));
    assert_int_equal(p.width, 20);
    assert_int_equal(p.height, 15);
    RertError err;
    assert_false(rert_plane_make(&err, RERT_PLANE_AXIAL,
                                 rert_volume_geometry(v), point, 1e-4, &p));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    point.x = (double)NAN;
    assert_false(rert_plane_make(&err, RERT_PLANE_AXIAL,
                                 rert_volume_geometry(v), point, 0, &p));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_volume_destroy(v);
}

/* Dose on its own, coarser grid lands on the CT plane's pixels. */
static void test_plane_dose_on_ct_pixels(void **state)
{
    (void)state;
    const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const double origin[3] = {-19.0, -15.0, -13.5};
    RertVolume *ct = linear_volume(identity, origin);
    const size_t dims[3] = {6, 5, 4};
    const double d_origin[3] = {-10.0, -8.0, -9.0};
    const double d_spacing[3] = {4.0, 4.0, 6.0};
    RertGridGeometry dg;
    assert_true(rert_grid_geometry_make(NULL, dims, d_origin, d_spacing,
                                        identity, 0, &dg));
    RertVolume *dose = rert_volume_create(NULL, &dg);
    float *dd = rert_volume_data(dose);
    for (size_t n = 0; n < rert_grid_voxel_count(&dg); n++) {
        dd[n] = 50.0f; /* uniform inside the dose grid */
    }
    RertPlane p;
    RertVec3 point = {0, 0, 0};
    assert_true(rert_plane_make(NULL, RERT_PLANE_AXIAL,
                                rert_volume_geometry(ct), point, 0, &p));
    float *ds = rert_plane_sample(NULL, &p, dose, 0.0f);
    assert_non_null(ds);
    /* dose grid spans x -12..12 mm, y -10..10 mm (voxel boxes) */
    for (size_t r = 0; r < p.height; r++) {
        for (size_t c = 0; c < p.width; c++) {
            double x = p.origin_mm.x + (double)c * p.pixel_mm;
            double y = p.origin_mm.y + (double)r * p.pixel_mm;
            bool inside = x > -12 && x < 12 && y > -10 && y < 10;
            rert_assert_near((double)ds[r * p.width + c], inside ? 50.0 : 0.0,
                             1e-4, 0);
        }
    }
    rert_free(ds);
    rert_volume_destroy(dose);
    rert_volume_destroy(ct);
}

/* ---- SVG */

/* Tags balance, and no '<' or '&' appears in text other than as markup
 * or an entity. */
static void assert_well_formed(const char *svg)
{
    char stack[64][32];
    size_t depth = 0;
    const char *p = svg;
    while (*p != '\0') {
        if (*p == '&') {
            assert_true(
                strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
                strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&quot;", 6) == 0 ||
                strncmp(p, "&#39;", 5) == 0);
        }
        if (*p != '<') {
            p++;
            continue;
        }
        const char *end = strchr(p, '>');
        assert_non_null(end);
        assert_null(memchr(p + 1, '<', (size_t)(end - p - 1)));
        bool closing = p[1] == '/';
        bool self = end[-1] == '/';
        const char *name = p + (closing ? 2 : 1);
        size_t len = strcspn(name, " />");
        assert_true(len > 0 && len < 32);
        if (closing) {
            assert_true(depth > 0);
            depth--;
            assert_true(strlen(stack[depth]) == len &&
                        strncmp(stack[depth], name, len) == 0);
        } else if (!self) {
            assert_true(depth < 64);
            memcpy(stack[depth], name, len);
            stack[depth][len] = '\0';
            depth++;
        }
        p = end + 1;
    }
    assert_int_equal(depth, 0);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void test_dvh_svg(void **state)
{
    (void)state;
    const double dose[5] = {0, 10, 20, (double)NAN, 40};
    const double vol_a[5] = {100, 90, 50, 20, 0};
    const double vol_b[5] = {100, 100, 95, 80, 10};
    RertPlotCurve curves[2] = {
        {"Cord <script>alert(1)</script> & \"x\"",
         {255, 0, 0},
         true,
         dose,
         vol_a,
         5},
        {"PTV \xff", {0, 0, 255}, false, dose, vol_b, 5},
    };
    RertPlotMarker marker = {45.0, 50.0, "V45 < 50%", {0, 128, 0}};
    RertDvhPlot plot;
    rert_dvh_plot_init(&plot);
    plot.title = "Cumulative EQD2 & <course 1+2>";
    plot.curves = curves;
    plot.curve_count = 2;
    plot.markers = &marker;
    plot.marker_count = 1;
    RertStrbuf sb;
    rert_strbuf_init(&sb, 1 << 20);
    RertError err;
    assert_true(rert_dvh_plot_write_svg(&err, &plot, &sb));
    const char *svg = sb.data;
    assert_true(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) ==
                0);
    assert_non_null(strstr(svg, "width=\"170mm\" height=\"110mm\""));
    assert_well_formed(svg);
    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, "&lt;script&gt;"));
    assert_non_null(strstr(svg, "Cumulative EQD2 &amp; &lt;course 1+2&gt;"));
    assert_non_null(strstr(svg, "PTV " FFFD));
    /* one path per curve in its colour, the first dashed; the NaN point
     * starts a new subpath */
    assert_int_equal(count_of(svg, "stroke=\"#ff0000\" stroke-width=\"1.8\" "
                                   "stroke-dasharray"),
                     1);
    assert_int_equal(count_of(svg, "stroke=\"#0000ff\" stroke-width=\"1.8\" "
                                   "clip-path"),
                     1);
    assert_int_equal(count_of(svg, "d=\"M "), 3); /* and the marker */
    assert_int_equal(count_of(svg, " M "), 2);
    /* dose axis: data up to 45 Gy -> 50 Gy end (ticks of 5 Gy); 50% at the
     * middle of the plot height (36..380) */
    assert_non_null(strstr(svg, ">50</text>"));
    assert_non_null(strstr(svg, "V45 &lt; 50%"));
    /* 0 Gy, 100 % is the plot's top-left corner */
    assert_non_null(strstr(svg, "d=\"M 64.00 36.00 L "));
    /* grid: the 0 % line across the plot, the 30 Gy line down it; the
     * 45 Gy marker line spans the plot height (x = 64 + 45/50 * 406) */
    assert_non_null(strstr(
        svg, "<line x1=\"64.00\" y1=\"380.00\" x2=\"470.00\" y2=\"380.00\"/>"));
    assert_non_null(strstr(
        svg, "<line x1=\"307.60\" y1=\"36.00\" x2=\"307.60\" y2=\"380.00\"/>"));
    assert_non_null(strstr(svg, "<line x1=\"429.40\" y1=\"36.00\" "
                                "x2=\"429.40\" y2=\"380.00\" stroke-width"));
    rert_strbuf_clear(&sb);

    plot.dose_max_gy = -1;
    assert_false(rert_dvh_plot_write_svg(&err, &plot, &sb));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    plot.dose_max_gy = (double)NAN;
    curves[1].dose_gy = NULL;
    assert_false(rert_dvh_plot_write_svg(&err, &plot, &sb));
    rert_strbuf_clear(&sb);
}

/* ---- a realistic picture, kept for viewing when RERT_REPORT_PNG_DIR is
 * set: body, spine, a target with a conformal dose, cord and PTV outlines. */

#define DW 96
#define DH 72

static void sample_anatomy(float *ct, float *dose, float *ptv)
{
    for (size_t j = 0; j < DH; j++) {
        for (size_t i = 0; i < DW; i++) {
            double x = (double)i - 47.5;
            double y = (double)j - 37.0;
            double body = (x * x) / (44.0 * 44.0) + (y * y) / (31.0 * 31.0);
            double bone = hypot(x, y - 18.0);
            double t = hypot(x + 12.0, y + 6.0);
            size_t n = j * DW + i;
            ct[n] = body > 1.0 ? -1000.0f : (bone < 6.0 ? 700.0f : 30.0f);
            ptv[n] = t <= 12.0 ? 1.0f : 0.0f;
            dose[n] = body > 1.0 ? 0.0f
                                 : (float)(66.0 * exp(-pow(t / 17.0, 4.0)) +
                                           4.0 * exp(-hypot(x, y) / 40.0));
        }
    }
}

static void test_wash_sample_picture(void **state)
{
    (void)state;
    static float ct[DW * DH];
    static float dose[DW * DH];
    static float ptv[DW * DH];
    sample_anatomy(ct, dose, ptv);
    double cord[16];
    for (size_t k = 0; k < 8; k++) {
        double a = (double)k * 3.14159265358979 / 4.0;
        cord[2 * k] = 47.5 + 3.0 * cos(a);
        cord[2 * k + 1] = 55.0 + 3.0 * sin(a);
    }
    const double iso[4] = {20.0, 40.0, 54.0, 63.0};
    RertOverlayPolygon cord_poly = {cord, 8, {255, 255, 0}, "SpinalCord"};
    RertOverlayMask ptv_mask = {ptv, {255, 0, 255}, "PTV_66 <boost>"};
    RertWash w;
    rert_wash_init(&w);
    w.width = DW;
    w.height = DH;
    w.ct_hu = ct;
    w.dose_gy = dose;
    w.dose_max_gy = 70.0;
    w.dose_min_gy = 5.0;
    w.isodose_gy = iso;
    w.isodose_count = 4;
    w.polygons = &cord_poly;
    w.polygon_count = 1;
    w.masks = &ptv_mask;
    w.mask_count = 1;
    w.dose_unit = "Gy EQD2";
    w.title = "Axial z = 12.5 mm";
    const char *labels[4] = {"A", "P", "R", "L"};
    memcpy(w.edge_labels, labels, sizeof labels);
    RertRgbImage img;
    RertError err;
    assert_true(rert_wash_render(&err, &w, &img));
    assert_int_equal(img.width % 1, 0);
    assert_true(img.width >= DW * 4);
    /* the cord outline colour is present */
    size_t yellow = 0;
    for (size_t n = 0; n < img.width * img.height; n++) {
        const uint8_t *p = img.rgb + 3 * n;
        yellow += p[0] == 255 && p[1] == 255 && p[2] == 0;
    }
    assert_true(yellow > 20);
    const char *dir = getenv("RERT_REPORT_PNG_DIR");
    if (dir != NULL) {
        char path[512];
        (void)snprintf(path, sizeof path, "%s/sample_wash.png", dir);
        assert_true(rert_png_save(&err, path, &img));
    }
    rert_rgb_image_clear(&img);
}

/* ---- allocation failures: fail the 1st, 2nd, ... allocation until the
 * call succeeds; every failure is NOMEM and leaks nothing (ASan,
 * valgrind). */

static bool render_and_encode(RertError *err)
{
    static Slice s;
    make_slice(&s);
    const double iso[2] = {20.0, 40.0};
    const double square[8] = {2, 2, 9, 2, 9, 9, 2, 9};
    RertOverlayPolygon poly = {square, 4, {255, 0, 0}, "Cord"};
    RertWash w;
    rert_wash_init(&w);
    w.width = SW;
    w.height = SH;
    w.ct_hu = s.ct;
    w.dose_gy = s.dose;
    w.isodose_gy = iso;
    w.isodose_count = 2;
    w.polygons = &poly;
    w.polygon_count = 1;
    w.title = "t";
    RertRgbImage img;
    RertBytes bytes = {NULL, 0};
    bool ok =
        rert_wash_render(err, &w, &img) && rert_png_encode(err, &img, &bytes);
    rert_bytes_clear(&bytes);
    rert_rgb_image_clear(&img);
    return ok;
}

static bool write_documents(RertError *err)
{
    RertStrbuf sb;
    RertJsonWriter w;
    rert_strbuf_init(&sb, 1 << 20);
    rert_json_writer_init(&w, &sb, true);
    (void)rert_json_object_begin(err, &w);
    (void)rert_json_write_key_string(err, &w, "a", "b<c>");
    (void)rert_json_write_key_number(err, &w, "x", 0.1);
    (void)rert_json_object_end(err, &w);
    bool ok = rert_json_writer_finish(err, &w);
    const double dose[3] = {0, 10, 20};
    const double vol[3] = {100, 50, 0};
    RertPlotCurve curve = {"c", {1, 2, 3}, false, dose, vol, 3};
    RertDvhPlot plot;
    rert_dvh_plot_init(&plot);
    plot.curves = &curve;
    plot.curve_count = 1;
    ok = ok && rert_dvh_plot_write_svg(err, &plot, &sb);
    RertCsvWriter csv;
    rert_csv_writer_init(&csv, &sb);
    ok = ok && rert_csv_write_field(err, &csv, "a,b") &&
         rert_base64_encode(err, &sb, "xyz", 3);
    rert_strbuf_clear(&sb);
    return ok;
}

static RertVolume *alloc_test_volume; /* made before the hook is armed */

static bool sample_plane(RertError *err)
{
    RertPlane p;
    RertVec3 point = {0, 0, 0};
    bool ok =
        rert_plane_make(err, RERT_PLANE_SAGITTAL,
                        rert_volume_geometry(alloc_test_volume), point, 0, &p);
    float *s = ok ? rert_plane_sample(err, &p, alloc_test_volume, 0.0f) : NULL;
    rert_free(s);
    return ok && s != NULL;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    bool (*const steps[])(RertError *) = {render_and_encode, write_documents,
                                          sample_plane};
    const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const double origin[3] = {-19.0, -15.0, -13.5};
    alloc_test_volume = linear_volume(identity, origin);
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        size_t n = 1;
        for (;; n++) {
            RertError err;
            rert_error_clear(&err);
            rert_alloc_fail_at(n);
            bool ok = steps[k](&err);
            rert_alloc_fail_at(0);
            if (ok) {
                break;
            }
            assert_int_equal(err.code, RERT_ERR_NOMEM);
            assert_true(n < 1000);
        }
        assert_true(n > 1); /* at least one failure was exercised */
    }
    rert_volume_destroy(alloc_test_volume);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escape_rules),
        cmocka_unit_test(test_json_escape_invalid_utf8),
        cmocka_unit_test(test_json_escape_round_trip),
        cmocka_unit_test(test_number_format),
        cmocka_unit_test(test_json_writer_compact_and_pretty),
        cmocka_unit_test(test_json_writer_structure_errors),
        cmocka_unit_test(test_json_writer_limit),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_colormap),
        cmocka_unit_test(test_wash_png_pixels),
        cmocka_unit_test(test_wash_outlines),
        cmocka_unit_test(test_wash_rejects_bad_input),
        cmocka_unit_test(test_plane_orientation),
        cmocka_unit_test(test_plane_dose_on_ct_pixels),
        cmocka_unit_test(test_dvh_svg),
        cmocka_unit_test(test_wash_sample_picture),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
