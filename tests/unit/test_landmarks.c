/* Landmark pair CSV files (rert_landmark_set_parse/load), the grid check
 * and the TRE of a transform over a parsed set. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "rert_test.h"

#define HEADER "label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z\n"

static RertLandmarkSet *parse(RertError *err, const char *text)
{
    return rert_landmark_set_parse(err, text, strlen(text), "lm.csv");
}

/* Parsing @p text must fail with @p code and a message containing the
 * needles. */
static void expect_error(const char *text,
                         RertErrorCode code,
                         const char *needle1,
                         const char *needle2)
{
    RertError err;
    rert_error_clear(&err);
    RertLandmarkSet *s = parse(&err, text);
    if (s != NULL) {
        rert_landmark_set_destroy(s);
        fail_msg("accepted: '%s'", text);
    }
    if (err.code != code) {
        fail_msg("code %s, expected %s: %s", rert_error_code_name(err.code),
                 rert_error_code_name(code), err.message);
    }
    if (strstr(err.message, needle1) == NULL ||
        (needle2 != NULL && strstr(err.message, needle2) == NULL)) {
        fail_msg("message '%s' lacks '%s' / '%s'", err.message, needle1,
                 needle2 != NULL ? needle2 : "");
    }
}

static void test_good_file(void **state)
{
    (void)state;
    const char *text = "\xef\xbb\xbf"
                       "label, ref_x,ref_y,ref_z,prior_x,prior_y,prior_z\r\n"
                       "cord C2 , 0,38.5,-1e1,1.25,37,-9.5\r\n"
                       "airway,-3,-10,0,-2,-11,4.5";
    RertError err;
    RertLandmarkSet *s = parse(&err, text);
    if (s == NULL) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(rert_landmark_set_count(s), 2);
    assert_string_equal(rert_landmark_set_label(s, 0), "cord C2");
    assert_string_equal(rert_landmark_set_label(s, 1), "airway");
    assert_null(rert_landmark_set_label(s, 2));
    const RertVec3 *r = rert_landmark_set_reference_mm(s);
    const RertVec3 *m = rert_landmark_set_moving_mm(s);
    rert_assert_near(r[0].y, 38.5, 0.0, 0.0);
    rert_assert_near(r[0].z, -10.0, 0.0, 0.0);
    rert_assert_near(m[0].x, 1.25, 0.0, 0.0);
    rert_assert_near(m[1].z, 4.5, 0.0, 0.0);
    /* TRE of a 1 mm x shift over the parsed pairs. */
    RertMat4 shift = rert_mat4_identity();
    shift.m[0][3] = 1.25;
    RertTransform *t = rert_transform_create_matrix(&err, shift);
    assert_non_null(t);
    double each[2];
    RertLandmarkStats st;
    assert_true(rert_landmark_error_compute(&err, t, r, m, 2, each, &st));
    rert_assert_near(each[0], sqrt(1.5 * 1.5 + 0.5 * 0.5), 1e-12, 0.0);
    rert_assert_near(each[1], sqrt(0.25 * 0.25 + 1.0 + 4.5 * 4.5), 1e-12, 0.0);
    assert_int_equal(st.worst_index, 1);
    rert_transform_destroy(t);
    rert_landmark_set_destroy(s);
    rert_landmark_set_destroy(NULL);
    assert_int_equal(rert_landmark_set_count(NULL), 0);
}

static void test_bad_header(void **state)
{
    (void)state;
    expect_error("label,x,y,z,px,py,pz\nA,0,0,0,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:1: header: expected "
                 "'label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z'",
                 "found 'label,x,y,z,px,py,pz'");
    expect_error("A,0,0,0,0,0,0\n", RERT_ERR_PARSE, "lm.csv:1: header", NULL);
    expect_error("label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z,extra\n"
                 "A,0,0,0,0,0,0\n",
                 RERT_ERR_PARSE, "lm.csv:1: header", NULL);
}

static void test_bad_rows(void **state)
{
    (void)state;
    expect_error(HEADER "A,0,0,0,0,0,x1\n", RERT_ERR_PARSE,
                 "lm.csv:2: column 7 (prior_z): expected a finite number in "
                 "mm, found 'x1'",
                 NULL);
    expect_error(HEADER "A,0,0,0,0,0,0\nB,1,2,,4,5,6\n", RERT_ERR_PARSE,
                 "lm.csv:3: column 4 (ref_z): expected a number in mm, found "
                 "nothing",
                 NULL);
    expect_error(HEADER "A,0,0,nan,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:2: column 4 (ref_z)", NULL);
    expect_error(HEADER "A,1e999,0,0,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:2: column 2 (ref_x)", NULL);
    expect_error(HEADER "A,0,0,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:2: expected 7 comma-separated columns", "found 6");
    expect_error(HEADER "A,0,0,0,0,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:2: expected 7", "found more than 7");
    expect_error(HEADER ",0,0,0,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:2: column 1 (label): expected 1 to 63 characters",
                 NULL);
    expect_error(HEADER "\"A\",0,0,0,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:2: column 1 (label): character 0x22", NULL);
    expect_error(HEADER "A,0,0,0,0,0,0\n\nB,0,0,0,0,0,0\n", RERT_ERR_PARSE,
                 "lm.csv:3: empty line", NULL);
}

static void test_duplicate_label(void **state)
{
    (void)state;
    expect_error(HEADER "Cord,0,0,0,0,0,0\nairway,1,1,1,1,1,1\n"
                        "cord,2,2,2,2,2,2\n",
                 RERT_ERR_PARSE,
                 "lm.csv:4: label 'Cord' appears twice (first on line 2", NULL);
}

static void test_empty(void **state)
{
    (void)state;
    expect_error("", RERT_ERR_PARSE, "lm.csv: empty file", NULL);
    expect_error(HEADER, RERT_ERR_PARSE,
                 "lm.csv: no landmark rows after the header; expected at "
                 "least 1",
                 NULL);
    RertError err;
    assert_null(rert_landmark_set_parse(&err, NULL, 0, "none.csv"));
    assert_non_null(strstr(err.message, "none.csv: empty file"));
    const char nul[] = HEADER "A,0,0,0\0,0,0,0\n";
    assert_null(rert_landmark_set_parse(&err, nul, sizeof nul - 1, "z.csv"));
    assert_non_null(strstr(err.message, "z.csv: a NUL byte"));
}

static void test_limits(void **state)
{
    (void)state;
    RertStrbuf sb;
    rert_strbuf_init(&sb, (size_t)1 << 20);
    RertError err;
    assert_true(rert_strbuf_puts(&err, &sb, HEADER));
    for (unsigned i = 0; i < RERT_LANDMARKS_MAX_COUNT; i++) {
        assert_true(rert_strbuf_printf(&err, &sb, "L%u,%u,0,0,0,0,0\n", i, i));
    }
    RertLandmarkSet *s = rert_landmark_set_parse(&err, sb.data, sb.len, "max");
    assert_non_null(s);
    assert_int_equal(rert_landmark_set_count(s), RERT_LANDMARKS_MAX_COUNT);
    rert_landmark_set_destroy(s);
    assert_true(rert_strbuf_puts(&err, &sb, "one_more,0,0,0,0,0,0\n"));
    assert_null(rert_landmark_set_parse(&err, sb.data, sb.len, "many"));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_non_null(strstr(err.message, "many:1002: more than 1000"));
    rert_strbuf_clear(&sb);
    static char big[RERT_LANDMARKS_MAX_BYTES + 1];
    memset(big, 'x', sizeof big);
    assert_null(rert_landmark_set_parse(&err, big, sizeof big, "big"));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
}

static void test_load_and_inside(void **state)
{
    (void)state;
    char path[600];
    (void)snprintf(path, sizeof path, "%s/lm_inside.csv", rert_test_tmpdir());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    (void)fputs(HEADER "in,0,0,0,0,0,0\nedge,10.9,0,0,0,0,0\n"
                       "out,0,0,-7,0,0,0\n",
                f);
    assert_int_equal(fclose(f), 0);
    RertError err;
    RertLandmarkSet *s = rert_landmark_set_load(&err, path);
    if (s == NULL) {
        fail_msg("%s", err.message);
    }
    /* 11 x 5 x 5 voxels of 2 mm from (-10, -4, -4): centres -10..10 along
     * x, so the grid reaches -11..11 with the half voxel. */
    const size_t dims[3] = {11, 5, 5};
    const double origin[3] = {-10.0, -4.0, -4.0};
    const double spacing[3] = {2.0, 2.0, 2.0};
    const double dir[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    RertGridGeometry g;
    assert_true(
        rert_grid_geometry_make(&err, dims, origin, spacing, dir, 0, &g));
    assert_false(rert_landmark_set_check_inside(&err, s, &g, "the test grid"));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    assert_non_null(strstr(err.message, "landmark 'out' (line 4)"));
    assert_non_null(strstr(err.message, "outside the test grid"));
    assert_non_null(strstr(err.message, "axis k"));
    rert_landmark_set_destroy(s);
    assert_null(rert_landmark_set_load(&err, "/nonexistent/lm.csv"));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/lm.csv"));
}

/* Every allocation failure is reported as NOMEM without leaks. */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *text = HEADER "A,0,0,0,0,0,0\nB,1,1,1,1,1,1\n";
    for (size_t n = 1; n < 50; n++) {
        RertError err;
        rert_alloc_fail_at(n);
        RertLandmarkSet *s = parse(&err, text);
        rert_alloc_fail_at(0);
        if (s != NULL) {
            rert_landmark_set_destroy(s);
            return;
        }
        assert_int_equal(err.code, RERT_ERR_NOMEM);
    }
    fail_msg("still failing after 50 allocations");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_duplicate_label),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_load_and_inside),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
