/* Unit tests: strict YAML documents (tree, line numbers, typed getters,
 * refusals, limits, dates). */
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/yamldoc.h>

#include "rert_test.h"

static RertYamlDoc *parse(RertError *err, const char *text)
{
    return rert_yaml_parse(err, text, strlen(text), "t.yaml");
}

/* Parse must fail with @p code and a message containing @p needle. */
static void
expect_parse_error(const char *text, RertErrorCode code, const char *needle)
{
    RertError err;
    rert_error_clear(&err);
    RertYamlDoc *doc = parse(&err, text);
    if (doc != NULL) {
        rert_yaml_destroy(doc);
        fail_msg("parse accepted: %s", text);
    }
    assert_int_equal(err.code, code);
    if (strstr(err.message, needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", err.message, needle);
    }
}

static void test_tree_and_lines(void **state)
{
    (void)state;
    const char *text = "# comment\n"
                       "name: phantom\n"
                       "courses:\n"
                       "  - id: c1\n"
                       "    dose: 60.5\n"
                       "  - id: c2\n"
                       "flow: {a: 1, b: [x, y]}\n";
    RertError err;
    RertYamlDoc *doc = parse(&err, text);
    assert_non_null(doc);
    assert_string_equal(rert_yaml_name(doc), "t.yaml");
    const RertYamlNode *root = rert_yaml_root(doc);
    assert_int_equal(rert_yaml_kind(root), RERT_YAML_MAPPING);
    assert_int_equal(rert_yaml_count(root), 3);
    assert_string_equal(rert_yaml_key_at(root, 1), "courses");
    assert_int_equal(rert_yaml_key_line_at(root, 1), 3);
    assert_int_equal(rert_yaml_key_line(root, "flow"), 7);
    const RertYamlNode *courses = rert_yaml_get(root, "courses");
    assert_int_equal(rert_yaml_kind(courses), RERT_YAML_SEQUENCE);
    assert_int_equal(rert_yaml_count(courses), 2);
    const RertYamlNode *c1 = rert_yaml_item(courses, 0);
    assert_int_equal(rert_yaml_line(c1), 4);
    assert_null(rert_yaml_item(courses, 2));
    const RertYamlNode *dose = rert_yaml_get(c1, "dose");
    assert_int_equal(rert_yaml_line(dose), 5);
    assert_string_equal(rert_yaml_scalar(dose), "60.5");
    assert_int_equal(rert_yaml_line(rert_yaml_item(courses, 1)), 6);
    const RertYamlNode *flow = rert_yaml_get(root, "flow");
    const RertYamlNode *b = rert_yaml_get(flow, "b");
    assert_string_equal(rert_yaml_scalar(rert_yaml_item(b, 1)), "y");
    assert_null(rert_yaml_get(root, "missing"));
    assert_null(rert_yaml_scalar(flow));
    assert_null(rert_yaml_value_at(root, 3));
    rert_yaml_destroy(doc);
}

static void test_empty_document(void **state)
{
    (void)state;
    RertError err;
    RertYamlDoc *doc = parse(&err, "# only a comment\n");
    assert_non_null(doc);
    assert_null(rert_yaml_root(doc));
    rert_yaml_destroy(doc);
    rert_yaml_destroy(NULL);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_parse_error("a: 1\na: 2\n", RERT_ERR_PARSE,
                       "t.yaml:2: duplicate key 'a' (first on line 1)");
    expect_parse_error("x: {k: 1, k: 2}\n", RERT_ERR_PARSE, "duplicate key");
    expect_parse_error("a: &anc 1\nb: *anc\n", RERT_ERR_PARSE,
                       "t.yaml:1: YAML anchors are not supported");
    expect_parse_error("a: *anc\n", RERT_ERR_PARSE, "");
    expect_parse_error("a: !!str 1\n", RERT_ERR_PARSE,
                       "YAML tags are not supported");
    expect_parse_error("a: 1\n---\nb: 2\n", RERT_ERR_PARSE,
                       "t.yaml:2: several YAML documents");
    expect_parse_error("? [a, b]\n: 1\n", RERT_ERR_PARSE,
                       "mapping keys must be plain text");
    expect_parse_error("a: \"x\\0y\"\n", RERT_ERR_PARSE, "NUL character");
    /* libyaml's own syntax errors carry line and column */
    expect_parse_error("a: [1, 2\nb: 3\n", RERT_ERR_PARSE, "t.yaml:");
    expect_parse_error("a:\n  - 1\n b: 2\n", RERT_ERR_PARSE, "t.yaml:3:");
}

static void test_limits(void **state)
{
    (void)state;
    char deep[2 * RERT_YAML_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i <= RERT_YAML_MAX_DEPTH; i++) {
        deep[n++] = '[';
    }
    deep[n] = '\0';
    expect_parse_error(deep, RERT_ERR_LIMIT, "nesting deeper than");
    RertError err;
    assert_null(
        rert_yaml_parse(&err, "a: 1", RERT_YAML_DEFAULT_MAX_BYTES + 1, "big"));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[512];
    (void)snprintf(path, sizeof path, "%s/doc.yaml", rert_test_tmpdir());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("schema: 1\nlist: [1, 2]\n", f);
    fclose(f);
    RertError err;
    RertYamlDoc *doc = rert_yaml_load(&err, path, 0);
    assert_non_null(doc);
    long v = 0;
    assert_true(rert_yaml_get_long(&err, doc, rert_yaml_root(doc), "schema",
                                   true, 1, 1, &v, NULL));
    assert_int_equal(v, 1);
    rert_yaml_destroy(doc);
    assert_null(rert_yaml_load(&err, path, 5));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    char missing[600];
    (void)snprintf(missing, sizeof missing, "%s/nope.yaml", rert_test_tmpdir());
    assert_null(rert_yaml_load(&err, missing, 0));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "nope.yaml"));
}

static const char *const GETTERS_YAML = "s: hello\n"
                                        "q: \"1.5\"\n"
                                        "d: -2.5e1\n"
                                        "i: 42\n"
                                        "t: true\n"
                                        "f: false\n"
                                        "yes_word: yes\n"
                                        "empty:\n"
                                        "hex: 0x10\n"
                                        "inf: .inf\n"
                                        "day: 2024-02-29\n"
                                        "map: {a: 1}\n"
                                        "seq: [1]\n";

static void expect_message(const RertError *err, const char *needle)
{
    if (strstr(err->message, needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", err->message, needle);
    }
}

static void test_getters_good(void **state)
{
    (void)state;
    RertError err;
    RertYamlDoc *doc = parse(&err, GETTERS_YAML);
    assert_non_null(doc);
    const RertYamlNode *m = rert_yaml_root(doc);
    const char *s = NULL;
    assert_true(rert_yaml_get_string(&err, doc, m, "s", true, &s));
    assert_string_equal(s, "hello");
    assert_true(rert_yaml_get_string(&err, doc, m, "q", true, &s));
    assert_string_equal(s, "1.5");
    double d = 0;
    bool present = false;
    assert_true(rert_yaml_get_double(&err, doc, m, "d", true, &d, &present));
    assert_true(present);
    rert_assert_near(d, -25.0, 0, 0);
    assert_true(rert_yaml_get_double(&err, doc, m, "i", true, &d, NULL));
    rert_assert_near(d, 42.0, 0, 0);
    d = 7.0;
    assert_true(rert_yaml_get_double(&err, doc, m, "zz", false, &d, &present));
    assert_false(present);
    rert_assert_near(d, 7.0, 0, 0);
    bool b = false;
    assert_true(rert_yaml_get_bool(&err, doc, m, "t", true, &b, NULL));
    assert_true(b);
    assert_true(rert_yaml_get_bool(&err, doc, m, "f", true, &b, NULL));
    assert_false(b);
    long days = 0;
    assert_true(rert_yaml_get_date(&err, doc, m, "day", true, &days, NULL));
    char buf[16];
    rert_date_format(days, buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29");
    static const char *const choices[] = {"x", "hello", NULL};
    size_t idx = 9;
    assert_true(
        rert_yaml_get_choice(&err, doc, m, "s", true, choices, &idx, NULL));
    assert_int_equal(idx, 1);
    const RertYamlNode *sub = NULL;
    assert_true(rert_yaml_get_mapping(&err, doc, m, "map", true, &sub));
    assert_non_null(sub);
    assert_true(rert_yaml_get_sequence(&err, doc, m, "seq", true, &sub));
    assert_int_equal(rert_yaml_count(sub), 1);
    assert_true(rert_yaml_is_null(rert_yaml_get(m, "empty")));
    rert_yaml_destroy(doc);
}

static void test_getters_strict(void **state)
{
    (void)state;
    RertError err;
    RertYamlDoc *doc = parse(&err, GETTERS_YAML);
    assert_non_null(doc);
    const RertYamlNode *m = rert_yaml_root(doc);
    double d = 0;
    assert_false(rert_yaml_get_double(&err, doc, m, "q", true, &d, NULL));
    expect_message(&err, "t.yaml:2: q: expected a number, found quoted '1.5'");
    assert_false(rert_yaml_get_double(&err, doc, m, "hex", true, &d, NULL));
    expect_message(&err, "t.yaml:9: hex: expected a number, found '0x10'");
    assert_false(rert_yaml_get_double(&err, doc, m, "inf", true, &d, NULL));
    assert_false(rert_yaml_get_double(&err, doc, m, "empty", true, &d, NULL));
    expect_message(&err, "t.yaml:8: empty: expected a number, found an empty");
    assert_false(rert_yaml_get_double(&err, doc, m, "map", true, &d, NULL));
    expect_message(&err, "map: expected a number, found a mapping");
    assert_false(rert_yaml_get_double(&err, doc, m, "absent", true, &d, NULL));
    expect_message(&err, "t.yaml:1: missing required key 'absent'");
    long v = 0;
    assert_false(rert_yaml_get_long(&err, doc, m, "d", true, 0, 10, &v, NULL));
    expect_message(&err, "t.yaml:3: d: expected an integer");
    assert_false(rert_yaml_get_long(&err, doc, m, "i", true, 0, 10, &v, NULL));
    expect_message(&err, "t.yaml:4: i: 42 is outside [0, 10]");
    bool b = false;
    assert_false(rert_yaml_get_bool(&err, doc, m, "yes_word", true, &b, NULL));
    expect_message(&err, "yes_word: expected true or false, found 'yes'");
    const char *s = NULL;
    assert_false(rert_yaml_get_string(&err, doc, m, "empty", true, &s));
    expect_message(&err, "empty: expected text, found an empty value");
    assert_false(rert_yaml_get_string(&err, doc, m, "seq", true, &s));
    expect_message(&err, "seq: expected text, found a list");
    static const char *const choices[] = {"alpha", "beta", NULL};
    size_t idx = 0;
    assert_false(
        rert_yaml_get_choice(&err, doc, m, "s", true, choices, &idx, NULL));
    expect_message(&err, "s: expected one of: alpha, beta; found 'hello'");
    const RertYamlNode *sub = NULL;
    assert_false(rert_yaml_get_sequence(&err, doc, m, "map", true, &sub));
    expect_message(&err, "map: expected a list, found a mapping");
    long days = 0;
    assert_false(rert_yaml_get_date(&err, doc, m, "s", true, &days, NULL));
    expect_message(&err, "s: expected a date YYYY-MM-DD, found 'hello'");
    assert_int_equal(err.code, RERT_ERR_PARSE);
    rert_yaml_destroy(doc);
}

static void test_check_keys(void **state)
{
    (void)state;
    RertError err;
    RertYamlDoc *doc = parse(&err, "alpha: 1\nbeta: 2\ngamma: 3\n");
    assert_non_null(doc);
    static const char *const ab[] = {"alpha", "beta", NULL};
    static const char *const abc[] = {"alpha", "beta", "gamma", NULL};
    assert_true(
        rert_yaml_check_keys(&err, doc, rert_yaml_root(doc), "root", abc));
    assert_false(
        rert_yaml_check_keys(&err, doc, rert_yaml_root(doc), "root", ab));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_string_equal(err.message, "t.yaml:3: unknown key 'gamma' in root; "
                                     "expected one of: alpha, beta");
    const RertYamlNode *scalar = rert_yaml_get(rert_yaml_root(doc), "alpha");
    assert_false(rert_yaml_check_keys(&err, doc, scalar, "patient", ab));
    expect_message(&err, "t.yaml:1: patient: expected a mapping, found text");
    rert_yaml_destroy(doc);
}

static void test_dates(void **state)
{
    (void)state;
    RertError err;
    long days = -1;
    assert_true(rert_date_parse(&err, "1970-01-01", "d", &days));
    assert_int_equal(days, 0);
    assert_true(rert_date_parse(&err, "2000-03-01", "d", &days));
    assert_int_equal(days, 11017);
    assert_true(rert_date_parse(&err, "1969-12-31", "d", &days));
    assert_int_equal(days, -1);
    assert_true(rert_date_parse(&err, "2000-02-29", "d", &days));
    assert_false(rert_date_parse(&err, "1900-02-29", "start", &days));
    expect_message(&err, "start: impossible date '1900-02-29'");
    assert_false(rert_date_parse(&err, "2023-02-29", "d", &days));
    assert_false(rert_date_parse(&err, "2023-02-30", "d", &days));
    expect_message(&err, "has 28 days");
    assert_false(rert_date_parse(&err, "2023-04-31", "d", &days));
    assert_false(rert_date_parse(&err, "2023-13-01", "d", &days));
    expect_message(&err, "month 13");
    const char *bad[] = {"2023-1-01", "23-01-01",   "2023/01/01", "2023-01-01x",
                         "",          "0000-01-01", "2023-0a-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(rert_date_parse(&err, bad[i], "d", &days));
        assert_int_equal(err.code, RERT_ERR_PARSE);
    }
    /* round trip over many years, leap days included */
    char buf[16];
    for (long d = -719162; d <= 2932896; d += 997) {
        rert_date_format(d, buf, sizeof buf);
        long back = 0;
        assert_true(rert_date_parse(&err, buf, "d", &back));
        assert_int_equal(back, d);
    }
    rert_date_format(0, buf, 5);
    assert_string_equal(buf, "");
}

static void test_quoted_date_and_impossible(void **state)
{
    (void)state;
    RertError err;
    RertYamlDoc *doc = parse(&err, "a: \"2020-01-01\"\nb: 2023-02-30\n");
    assert_non_null(doc);
    long days = 0;
    assert_false(rert_yaml_get_date(&err, doc, rert_yaml_root(doc), "a", true,
                                    &days, NULL));
    expect_message(&err, "t.yaml:1: a: expected a date YYYY-MM-DD");
    assert_false(rert_yaml_get_date(&err, doc, rert_yaml_root(doc), "b", true,
                                    &days, NULL));
    expect_message(&err, "t.yaml:2: b: impossible date '2023-02-30'");
    rert_yaml_destroy(doc);
}

/* Every allocation failure is reported cleanly (no leak, no crash). */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *text = "a: [1, 2, {b: c}]\nd: e\nf: {g: h, i: j}\n";
    bool succeeded = false;
    for (size_t nth = 1; nth < 200 && !succeeded; nth++) {
        RertError err;
        rert_error_clear(&err);
        rert_alloc_fail_at(nth);
        RertYamlDoc *doc = parse(&err, text);
        rert_alloc_fail_at(0);
        if (doc != NULL) {
            succeeded = true;
            rert_yaml_destroy(doc);
        } else {
            assert_int_equal(err.code, RERT_ERR_NOMEM);
        }
    }
    assert_true(succeeded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_lines),
        cmocka_unit_test(test_empty_document),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_getters_good),
        cmocka_unit_test(test_getters_strict),
        cmocka_unit_test(test_check_keys),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_quoted_date_and_impossible),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
