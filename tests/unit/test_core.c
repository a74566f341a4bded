/* Unit tests: errors, allocation, checked arithmetic, number parsing. */
#include <string.h>

#include <rert/core.h>

#include "rert_test.h"

static void test_error_set_and_prefix(void **state)
{
    (void)state;
    RertError err;
    rert_error_clear(&err);
    assert_false(rert_error_set(&err, RERT_ERR_PARSE, "tag %s", "(0028,0010)"));
    rert_error_prefix(&err, "loading %s", "a.dcm");
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_string_equal(err.message, "loading a.dcm: tag (0028,0010)");
    assert_string_equal(rert_error_code_name(RERT_ERR_LIMIT), "LIMIT");
    /* NULL error objects are allowed everywhere */
    assert_false(rert_error_set(NULL, RERT_ERR_IO, "x"));
    rert_error_prefix(NULL, "y");
}

static void test_checked_arithmetic(void **state)
{
    (void)state;
    RertError err;
    size_t out = 0;
    assert_true(rert_mul_size(&err, 512, 512, &out));
    assert_int_equal(out, 262144);
    assert_false(rert_mul_size(&err, SIZE_MAX / 2, 3, &out));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_false(rert_add_size(&err, SIZE_MAX, 1, &out));
    assert_null(rert_calloc(&err, SIZE_MAX / 4, 8));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
}

static void test_parse_double_strict(void **state)
{
    (void)state;
    RertError err;
    double v = 0;
    assert_true(rert_parse_double(&err, " -1.5e2 ", 8, "x", &v));
    rert_assert_near(v, -150.0, 0, 0);
    assert_true(rert_parse_double(&err, "3.", 2, "x", &v));
    rert_assert_near(v, 3.0, 0, 0);
    const char *bad[] = {"",    "abc", "1.2.3", "0x10", "inf",
                         "nan", "1e",  "1,5",   "--1",  "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(
            rert_parse_double(&err, bad[i], strlen(bad[i]), "field", &v));
        assert_int_equal(err.code, RERT_ERR_PARSE);
        assert_non_null(strstr(err.message, "field"));
    }
}

static void test_parse_long_strict(void **state)
{
    (void)state;
    RertError err;
    long v = 0;
    assert_true(rert_parse_long(&err, "35 ", 3, 1, 100, "fractions", &v));
    assert_int_equal(v, 35);
    assert_false(rert_parse_long(&err, "0", 1, 1, 100, "fractions", &v));
    assert_non_null(strstr(err.message, "outside"));
    assert_false(rert_parse_long(&err, "3.5", 3, 1, 100, "fractions", &v));
    assert_false(
        rert_parse_long(&err, "99999999999999999999", 20, 0, 10, "n", &v));
}

static void test_strbuf_limit(void **state)
{
    (void)state;
    RertError err;
    RertStrbuf sb;
    rert_strbuf_init(&sb, 8);
    assert_true(rert_strbuf_printf(&err, &sb, "%d", 1234));
    assert_true(rert_strbuf_puts(&err, &sb, "5678"));
    assert_false(rert_strbuf_puts(&err, &sb, "9"));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    char *s = rert_strbuf_take(&err, &sb);
    assert_string_equal(s, "12345678");
    rert_free(s);
    rert_strbuf_clear(&sb);
}

static void test_alloc_failure_injection(void **state)
{
    (void)state;
    RertError err;
    rert_alloc_fail_at(2);
    void *a = rert_alloc(&err, 10);
    assert_non_null(a);
    void *b = rert_alloc(&err, 10);
    assert_null(b);
    assert_int_equal(err.code, RERT_ERR_NOMEM);
    void *c = rert_alloc(&err, 10);
    assert_non_null(c);
    rert_free(a);
    rert_free(c);
    void *v = rert_alloc_voxels(&err, 1000, sizeof(float));
    assert_non_null(v);
    assert_int_equal((uintptr_t)v % 64, 0);
    rert_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_and_prefix),
        cmocka_unit_test(test_checked_arithmetic),
        cmocka_unit_test(test_parse_double_strict),
        cmocka_unit_test(test_parse_long_strict),
        cmocka_unit_test(test_strbuf_limit),
        cmocka_unit_test(test_alloc_failure_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
