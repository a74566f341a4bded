/* Unit tests: constraint library, organ matching, evaluation (science
 * document §4 and worked examples T5, T8, T30), data files and loaders. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rert/constraints.h>
#include <rert/core.h>
#include <rert/yamldoc.h>

#include "rert_test.h"

/* ---- helpers */

/* Source tree root: $RERT_SOURCE_ROOT (set by meson test), else two
 * folders above this file (run from the build folder). */
static const char *source_root(void)
{
    static char path[4096];
    const char *env = getenv("RERT_SOURCE_ROOT");
    if (env != NULL && env[0] != '\0') {
        (void)snprintf(path, sizeof path, "%s", env);
        return path;
    }
    (void)snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strstr(path, "tests/unit/test_constraints.c");
    if (slash == NULL) {
        return ".";
    }
    *slash = '\0';
    if (path[0] == '\0') {
        (void)snprintf(path, sizeof path, ".");
    }
    return path;
}

static const char *data_file(const char *name)
{
    static char path[4200];
    (void)snprintf(path, sizeof path, "%s/data/%s", source_root(), name);
    return path;
}

/* A plain constraint record (no YAML). */
static RertConstraint make_constraint(const char *id,
                                      const char *organ,
                                      const char *metric,
                                      RertConstraintScope scope,
                                      double limit,
                                      RertConstraintUnit unit,
                                      double ab)
{
    RertConstraint c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.organ = organ;
    c.metric = metric;
    c.scope = scope;
    c.limit = limit;
    c.unit = unit;
    c.alpha_beta_gy = ab;
    c.min_interval_months = (double)NAN;
    c.evidence = RERT_EVIDENCE_P;
    c.source = "test source";
    return c;
}

static RertConstraintValues cumulative_only(double value)
{
    RertConstraintValues v = {value, NULL, 0, RERT_CONSTRAINT_NO_COURSE};
    return v;
}

/* EQD2 of n fractions of d Gy: n d (d + ab) / (2 + ab). */
static double eqd2(double total_gy, double fractions, double ab)
{
    double d = total_gy / fractions;
    return total_gy * (d + ab) / (2.0 + ab);
}

static RertConstraintLibrary *load_real_library(void)
{
    RertError err;
    RertConstraintLibrary *lib =
        rert_constraint_library_load(&err, data_file("constraints.yaml"));
    if (lib == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(lib);
    return lib;
}

static RertOrganTable *load_real_organs(void)
{
    RertError err;
    RertOrganTable *t =
        rert_organ_table_load(&err, data_file("organ_synonyms.yaml"));
    if (t == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(t);
    return t;
}

/* ---- worked examples */

/* T5: Nieder limits BED -> EQD2 at alpha/beta 2. */
static void test_t5_nieder_bed_to_eqd2(void **state)
{
    (void)state;
    rert_assert_near(rert_constraint_bed_to_eqd2(135.5, 2.0), 67.75, 1e-12, 0);
    rert_assert_near(rert_constraint_bed_to_eqd2(98.0, 2.0), 49.0, 1e-12, 0);
    rert_assert_near(rert_constraint_bed_to_eqd2(120.0, 2.0), 60.0, 1e-12, 0);
    rert_assert_near(rert_constraint_eqd2_to_bed(67.75, 2.0), 135.5, 1e-12, 0);
    assert_true(isnan(rert_constraint_bed_to_eqd2(100.0, 0.0)));

    /* The same through the shipped library: limit_eqd2_gy of the entries. */
    RertConstraintLibrary *lib = load_real_library();
    const char *ids[] = {"cord-nieder2006-cumulative",
                         "cord-nieder2006-each-course",
                         "cord-nieder2006-cumulative-no-rm"};
    const double expected_eqd2[] = {67.75, 49.0, 60.0};
    for (size_t i = 0; i < 3; i++) {
        const RertConstraint *c = rert_constraint_library_find(lib, ids[i]);
        assert_non_null(c);
        assert_int_equal(c->unit, RERT_CONSTRAINT_UNIT_GY_BED);
        double courses[] = {30.0, 20.0};
        RertConstraintValues v = {50.0, courses, 2, 1};
        RertConstraintResult r;
        assert_true(rert_constraint_evaluate(NULL, c, &v, NULL, &r));
        rert_assert_near(r.limit_eqd2_gy, expected_eqd2[i], 1e-12, 0);
    }
    rert_constraint_library_destroy(lib);
}

/* T8: Sahgal / HyTEC check, prior 30 Gy/10 fx + SBRT 12.2 Gy/2 fx. */
static void test_t8_sahgal(void **state)
{
    (void)state;
    double courses[2] = {eqd2(30.0, 10, 2.0), eqd2(12.2, 2, 2.0)};
    rert_assert_near(courses[0], 37.5, 1e-12, 0);
    rert_assert_near(courses[1], 24.705, 1e-12, 0);
    RertConstraintValues v = {courses[0] + courses[1], courses, 2, 1};
    RertConstraintOptions o = rert_constraint_options_default();
    o.interval_months = 8.0;

    RertConstraintLibrary *lib = load_real_library();
    RertConstraintResult r;
    const RertConstraint *total =
        rert_constraint_library_find(lib, "thecalsac-hytec-cumulative");
    assert_non_null(total);
    assert_true(rert_constraint_evaluate(NULL, total, &v, &o, &r));
    rert_assert_near(r.value, 62.205, 1e-9, 0);
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    rert_assert_near(r.margin_eqd2_gy, 70.0 - 62.205, 1e-9, 0);

    const RertConstraint *share =
        rert_constraint_library_find(lib, "thecalsac-hytec-sbrt-share");
    assert_non_null(share);
    assert_true(rert_constraint_evaluate(NULL, share, &v, &o, &r));
    rert_assert_near(r.value, 24.705 / 62.205, 1e-12, 0);
    rert_assert_near(r.value, 0.397, 5e-4, 0);
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    assert_true(isnan(r.value_eqd2_gy));
    assert_int_equal(r.course_index, 1);

    /* The SBRT course itself: 24.705 <= 25 but inside the 5 % band. */
    const RertConstraint *course =
        rert_constraint_library_find(lib, "thecalsac-hytec-sbrt-course");
    assert_true(rert_constraint_evaluate(NULL, course, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NEAR_LIMIT);
    /* 18 Gy / 5 fx = 25.2 Gy2/2 fails the strict check. */
    courses[1] = eqd2(18.0, 5, 2.0);
    v.cumulative = courses[0] + courses[1];
    assert_true(rert_constraint_evaluate(NULL, course, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_FAIL);
    /* Interval 4 months < 5: the rule does not apply as published. */
    o.interval_months = 4.0;
    assert_true(rert_constraint_evaluate(NULL, total, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NOT_APPLICABLE);
    assert_non_null(strstr(r.message, "5 months"));
    rert_constraint_library_destroy(lib);
}

/* T30: Slevin pelvic lookup: value with consensus unknown, tag V2. */
static void test_t30_slevin(void **state)
{
    (void)state;
    RertConstraintLibrary *lib = load_real_library();
    const struct {
        const char *id;
        const char *organ;
        const char *metric;
        double limit;
        double ab;
        double min_interval;
    } rows[] = {
        {"bladder-slevin2021-no-recovery", "Bladder", "D0.5cc", 80, 3,
         (double)NAN},
        {"bladder-slevin2021-12-months", "Bladder", "D0.5cc", 110, 3, 12},
        {"caudaequina-slevin2021-no-recovery", "CaudaEquina", "D0.1cc", 67, 2,
         (double)NAN},
        {"caudaequina-slevin2021-12-months", "CaudaEquina", "D0.1cc", 85, 2,
         12},
        {"sacralplexus-slevin2021-no-recovery", "SacralPlexus", "D0.1cc", 67, 2,
         (double)NAN},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const RertConstraint *c = rert_constraint_library_find(lib, rows[i].id);
        assert_non_null(c);
        assert_string_equal(c->organ, rows[i].organ);
        assert_string_equal(c->metric, rows[i].metric);
        rert_assert_near(c->limit, rows[i].limit, 0, 0);
        rert_assert_near(c->alpha_beta_gy, rows[i].ab, 0, 0);
        assert_int_equal(c->consensus, RERT_CONSENSUS_UNKNOWN);
        assert_int_equal(c->evidence, RERT_EVIDENCE_V2);
        assert_string_equal(rert_evidence_tag_name(c->evidence), "V2");
        assert_string_equal(rert_consensus_name(c->consensus), "unknown");
        assert_int_equal(isnan(c->min_interval_months),
                         isnan(rows[i].min_interval));
        assert_non_null(strstr(c->source, "Slevin"));
    }
    const RertConstraint *bowel =
        rert_constraint_library_find(lib, "smallbowel-slevin2021-no-recovery");
    assert_non_null(bowel);
    assert_int_equal(bowel->consensus, RERT_CONSENSUS_MAJORITY);
    rert_constraint_library_destroy(lib);
}

/* ---- evaluation details */

static void test_status_boundaries(void **state)
{
    (void)state;
    RertConstraint c = make_constraint("c", "SpinalCord", "Dmax",
                                       RERT_CONSTRAINT_SCOPE_CUMULATIVE, 60.0,
                                       RERT_CONSTRAINT_UNIT_GY_EQD2, 2.0);
    RertConstraintResult r;
    RertConstraintValues v = cumulative_only(60.0);
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NEAR_LIMIT); /* <= passes */
    v.cumulative = 60.000001;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_FAIL);
    v.cumulative = 57.0; /* exactly 5 % below: near limit */
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NEAR_LIMIT);
    rert_assert_near(r.margin, 3.0, 1e-12, 0);
    rert_assert_near(r.margin_eqd2_gy, 3.0, 1e-12, 0);
    rert_assert_near(r.margin_pct, 5.0, 1e-12, 0);
    v.cumulative = 56.99;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    assert_string_equal(rert_constraint_status_name(r.status), "pass");

    /* Strict "<": equal fails. */
    c.comparison = RERT_CONSTRAINT_LT;
    v.cumulative = 60.0;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_FAIL);
    rert_assert_near(r.margin_pct, 0.0, 1e-12, 0);

    /* A configurable band; 0 disables it. */
    RertConstraintOptions o = rert_constraint_options_default();
    rert_assert_near(o.near_limit_frac, 0.05, 0, 0);
    c.comparison = RERT_CONSTRAINT_LE;
    o.near_limit_frac = 0.0;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    o.near_limit_frac = 0.2;
    v.cumulative = 48.5;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NEAR_LIMIT);
    RertError err;
    o.near_limit_frac = 1.0;
    assert_false(rert_constraint_evaluate(&err, &c, &v, &o, &r));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_false(rert_constraint_evaluate(&err, NULL, &v, NULL, &r));
}

/* Nieder per-course rule: worst course, BED conversion, margins. */
static void test_per_course_bed(void **state)
{
    (void)state;
    RertConstraint c = make_constraint("each", "SpinalCord", "Dmax",
                                       RERT_CONSTRAINT_SCOPE_EACH_COURSE, 98.0,
                                       RERT_CONSTRAINT_UNIT_GY_BED, 2.0);
    double courses[] = {40.0, (double)NAN, 50.0};
    RertConstraintValues v = {90.0, courses, 3, 2};
    RertConstraintResult r;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_FAIL);
    assert_int_equal(r.course_index, 2);
    rert_assert_near(r.value, 100.0, 1e-12, 0); /* 50 Gy EQD2 = 100 Gy2 */
    rert_assert_near(r.value_eqd2_gy, 50.0, 1e-12, 0);
    rert_assert_near(r.limit_eqd2_gy, 49.0, 1e-12, 0);
    rert_assert_near(r.margin, -2.0, 1e-12, 0);
    rert_assert_near(r.margin_eqd2_gy, -1.0, 1e-12, 0);
    courses[2] = 30.0; /* worst is now course 0: 80 Gy2 */
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    assert_int_equal(r.course_index, 0);
    rert_assert_near(r.value, 80.0, 1e-12, 0);

    /* Cumulative BED limit: 62.205 Gy EQD2 -> 124.41 Gy2. */
    c.scope = RERT_CONSTRAINT_SCOPE_CUMULATIVE;
    c.limit = 135.5;
    v.cumulative = 62.205;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    rert_assert_near(r.value, 124.41, 1e-9, 0);
    rert_assert_near(r.margin_eqd2_gy, 67.75 - 62.205, 1e-9, 0);
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    assert_int_equal(r.course_index, RERT_CONSTRAINT_NO_COURSE);
}

static void test_missing_values_and_condition(void **state)
{
    (void)state;
    RertConstraint c = make_constraint("c", "SpinalCord", "Dmax",
                                       RERT_CONSTRAINT_SCOPE_NEW_COURSE, 25.0,
                                       RERT_CONSTRAINT_UNIT_GY_EQD2, 2.0);
    c.min_interval_months = 6.0;
    double courses[] = {40.0, 20.0};
    RertConstraintValues v = {60.0, courses, 2, RERT_CONSTRAINT_NO_COURSE};
    RertConstraintResult r;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NOT_EVALUATED);
    assert_true(isnan(r.value));
    assert_non_null(strstr(r.message, "new course"));
    v.new_course_index = 1;
    /* interval unknown: evaluated, condition reported unchecked */
    assert_true(rert_constraint_evaluate(NULL, &c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    assert_non_null(strstr(r.message, "not checked"));
    RertConstraintOptions o = rert_constraint_options_default();
    o.interval_months = 5.9;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NOT_APPLICABLE);
    rert_assert_near(r.value, 20.0, 0, 0); /* values still filled in */
    assert_non_null(strstr(r.message, "pass"));
    o.interval_months = 6.0;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    assert_string_equal(r.message, "");

    /* Share needs a positive cumulative value. */
    c.scope = RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE;
    c.unit = RERT_CONSTRAINT_UNIT_RATIO;
    c.limit = 0.5;
    v.cumulative = 0.0;
    assert_true(rert_constraint_evaluate(NULL, &c, &v, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NOT_EVALUATED);
    /* Each-course scope without course values. */
    c.scope = RERT_CONSTRAINT_SCOPE_SINGLE_COURSE;
    c.unit = RERT_CONSTRAINT_UNIT_GY_EQD2;
    RertConstraintValues none = cumulative_only(10.0);
    assert_true(rert_constraint_evaluate(NULL, &c, &none, &o, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_NOT_EVALUATED);
    /* Volume metric: no EQD2 fields. */
    RertConstraint vol = make_constraint("v", "Lungs", "V20Gy%",
                                         RERT_CONSTRAINT_SCOPE_CUMULATIVE, 40.0,
                                         RERT_CONSTRAINT_UNIT_PERCENT, 3.0);
    RertConstraintValues pct = cumulative_only(41.0);
    assert_true(rert_constraint_evaluate(NULL, &vol, &pct, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_FAIL);
    assert_true(isnan(r.value_eqd2_gy) && isnan(r.margin_eqd2_gy));
    rert_assert_near(r.margin, -1.0, 1e-12, 0);
}

/* ---- library records */

static void test_enum_names(void **state)
{
    (void)state;
    RertError err;
    RertConstraintScope scope = RERT_CONSTRAINT_SCOPE_CUMULATIVE;
    RertConstraintUnit unit = RERT_CONSTRAINT_UNIT_GY_EQD2;
    RertConstraintComparison cmp = RERT_CONSTRAINT_LE;
    RertEvidenceTag tag = RERT_EVIDENCE_P;
    RertConsensus cons = RERT_CONSENSUS_NOT_APPLICABLE;
    assert_true(
        rert_constraint_scope_parse(&err, "scope", "new_course_share", &scope));
    assert_int_equal(scope, RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE);
    assert_string_equal(rert_constraint_scope_name(scope), "new_course_share");
    assert_true(rert_constraint_unit_parse(&err, "unit", "%", &unit));
    assert_int_equal(unit, RERT_CONSTRAINT_UNIT_PERCENT);
    assert_string_equal(rert_constraint_unit_name(RERT_CONSTRAINT_UNIT_GY_BED),
                        "Gy_BED");
    assert_true(rert_constraint_comparison_parse(&err, NULL, "<", &cmp));
    assert_int_equal(cmp, RERT_CONSTRAINT_LT);
    assert_string_equal(rert_constraint_comparison_name(cmp), "<");
    assert_true(rert_evidence_tag_parse(&err, "evidence", "V2", &tag));
    assert_int_equal(tag, RERT_EVIDENCE_V2);
    assert_true(rert_consensus_parse(&err, "consensus", "majority", &cons));
    assert_int_equal(cons, RERT_CONSENSUS_MAJORITY);
    /* A zeroed record claims the least: evidence P. */
    RertConstraint zero;
    memset(&zero, 0, sizeof zero);
    assert_string_equal(rert_evidence_tag_name(zero.evidence), "P");
    assert_false(rert_constraint_unit_parse(&err, "overrides[0].unit",
                                            "Gy_eqd2", &unit));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "overrides[0].unit"));
    assert_non_null(strstr(err.message, "Gy_EQD2, Gy_BED"));
    assert_false(rert_constraint_scope_parse(&err, NULL, NULL, &scope));
    assert_string_equal(rert_constraint_status_name(RERT_CONSTRAINT_FAIL),
                        "fail");
}

static void test_library_validation(void **state)
{
    (void)state;
    RertError err;
    RertConstraintLibrary *lib = rert_constraint_library_create(&err);
    assert_non_null(lib);
    RertConstraint c = make_constraint("a", "SpinalCord", "d0.1CC",
                                       RERT_CONSTRAINT_SCOPE_CUMULATIVE, 50,
                                       RERT_CONSTRAINT_UNIT_GY_EQD2, 2);
    assert_true(rert_constraint_library_add(&err, lib, &c));
    const RertConstraint *got = rert_constraint_library_get(lib, 0);
    assert_string_equal(got->metric, "D0.1cc"); /* canonical form */
    assert_string_equal(got->site, "any");
    assert_string_equal(got->notes, "");
    assert_false(got->is_override);
    assert_null(rert_constraint_library_get(lib, 1));

    struct {
        RertConstraint c;
        const char *needle;
    } bad[8];
    for (size_t i = 0; i < 8; i++) {
        bad[i].c = make_constraint("b", "Heart", "Dmean",
                                   RERT_CONSTRAINT_SCOPE_CUMULATIVE, 70,
                                   RERT_CONSTRAINT_UNIT_GY_EQD2, 2.5);
    }
    bad[0].c.id = "a";
    bad[0].needle = "id used twice";
    bad[1].c.evidence = RERT_EVIDENCE_R;
    bad[1].needle = "evidence R";
    bad[2].c.unit = RERT_CONSTRAINT_UNIT_PERCENT;
    bad[2].needle = "does not fit";
    bad[3].c.metric = "Dhot";
    bad[3].needle = "metric";
    bad[4].c.source = "";
    bad[4].needle = "source must not be empty";
    bad[5].c.alpha_beta_gy = (double)NAN;
    bad[5].needle = "alpha_beta";
    bad[6].c.limit = (double)INFINITY;
    bad[6].needle = "limit";
    bad[7].c.unit = RERT_CONSTRAINT_UNIT_RATIO;
    bad[7].needle = "does not fit";
    for (size_t i = 0; i < 8; i++) {
        rert_error_clear(&err);
        assert_false(rert_constraint_library_add(&err, lib, &bad[i].c));
        if (strstr(err.message, bad[i].needle) == NULL) {
            fail_msg("case %zu: '%s' lacks '%s'", i, err.message,
                     bad[i].needle);
        }
    }
    assert_int_equal(rert_constraint_library_count(lib), 1);
    rert_constraint_library_destroy(lib);
    rert_constraint_library_destroy(NULL);
}

static void test_overrides(void **state)
{
    (void)state;
    RertError err;
    RertConstraintLibrary *lib = rert_constraint_library_create(&err);
    RertConstraint a = make_constraint("cord-a", "SpinalCord", "Dmax",
                                       RERT_CONSTRAINT_SCOPE_CUMULATIVE, 60,
                                       RERT_CONSTRAINT_UNIT_GY_EQD2, 2);
    RertConstraint b = a;
    b.id = "cord-b";
    b.limit = 65;
    RertConstraint h = make_constraint("heart", "Heart", "Dmean",
                                       RERT_CONSTRAINT_SCOPE_CUMULATIVE, 70,
                                       RERT_CONSTRAINT_UNIT_GY_EQD2, 2.5);
    assert_true(rert_constraint_library_add(&err, lib, &a));
    assert_true(rert_constraint_library_add(&err, lib, &h));
    assert_true(rert_constraint_library_add(&err, lib, &b));

    /* Same organ, metric and scope: replaces both cord entries. */
    RertConstraint o = a;
    o.id = "clinic-cord";
    o.metric = "DMAX";
    o.limit = 50;
    o.source = "Clinic protocol 2024";
    o.evidence = RERT_EVIDENCE_R; /* allowed for overrides */
    assert_true(rert_constraint_library_override(&err, lib, &o, NULL));
    assert_int_equal(rert_constraint_library_count(lib), 2);
    const RertConstraint *got = rert_constraint_library_get(lib, 0);
    assert_string_equal(got->id, "clinic-cord");
    assert_true(got->is_override);
    assert_string_equal(got->replaces, "cord-a, cord-b");
    rert_assert_near(got->limit, 50, 0, 0);
    assert_null(rert_constraint_library_find(lib, "cord-a"));

    /* Nothing with that organ/metric/scope: added at the end. */
    RertConstraint n = make_constraint("clinic-parotid", "Parotid", "Dmean",
                                       RERT_CONSTRAINT_SCOPE_CUMULATIVE, 26,
                                       RERT_CONSTRAINT_UNIT_GY_EQD2, 3);
    assert_true(rert_constraint_library_override(&err, lib, &n, NULL));
    assert_int_equal(rert_constraint_library_count(lib), 3);
    assert_string_equal(rert_constraint_library_get(lib, 2)->replaces, "");
    assert_true(rert_constraint_library_get(lib, 2)->is_override);

    /* Explicit replacement by id, even with another metric. */
    RertConstraint x = make_constraint("heart-v40", "Heart", "V40Gy%",
                                       RERT_CONSTRAINT_SCOPE_CUMULATIVE, 50,
                                       RERT_CONSTRAINT_UNIT_PERCENT, 2.5);
    assert_true(rert_constraint_library_override(&err, lib, &x, "heart"));
    got = rert_constraint_library_get(lib, 1);
    assert_string_equal(got->id, "heart-v40");
    assert_string_equal(got->replaces, "heart");

    /* No id: derived from organ, metric and scope. */
    RertConstraint anon = make_constraint(NULL, "Bladder", "D0.5cc",
                                          RERT_CONSTRAINT_SCOPE_CUMULATIVE, 80,
                                          RERT_CONSTRAINT_UNIT_GY_EQD2, 3);
    assert_true(rert_constraint_library_override(&err, lib, &anon, NULL));
    assert_non_null(rert_constraint_library_find(
        lib, "override-Bladder-D0.5cc-cumulative"));
    assert_int_equal(rert_constraint_library_count(lib), 4);

    /* Errors: unknown id to replace; id clash with an unrelated entry. */
    assert_false(rert_constraint_library_override(&err, lib, &x, "nope"));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "nope"));
    RertConstraint clash = n;
    clash.id = "clinic-cord";
    assert_false(rert_constraint_library_override(&err, lib, &clash, NULL));
    assert_non_null(strstr(err.message, "already used"));
    assert_int_equal(rert_constraint_library_count(lib), 4);
    rert_constraint_library_destroy(lib);
}

/* ---- organs */

static void check_match(const RertOrganTable *t,
                        const char *roi,
                        const char *organ,
                        RertLaterality side)
{
    RertOrganMatch m = rert_organ_table_match(t, roi);
    if (organ == NULL) {
        if (m.is_matched) {
            fail_msg("'%s' matched '%s', expected no match", roi, m.organ);
        }
        return;
    }
    if (!m.is_matched || strcmp(m.organ, organ) != 0 || m.side != side) {
        fail_msg("'%s': got %s side %d, expected %s side %d", roi,
                 m.is_matched ? m.organ : "(none)", (int)m.side, organ,
                 (int)side);
    }
}

static void test_organ_matching_plain(void **state)
{
    (void)state;
    RertError err;
    RertOrganTable *t = rert_organ_table_create(&err);
    const char *cord[] = {"Spinal_Cord", "Cord", "Myelon",
                          "Medulla",     "SC",   "Spinal Cord"};
    const char *parotid[] = {"Parotid_Gland", "Parotis"};
    assert_true(rert_organ_table_add(&err, t, "SpinalCord", false, cord, 6));
    assert_true(rert_organ_table_add(&err, t, "Parotid", true, parotid, 2));
    assert_int_equal(rert_organ_table_count(t), 2);
    assert_string_equal(rert_organ_table_organ(t, 1), "Parotid");
    assert_true(rert_organ_table_has(t, "SpinalCord"));
    assert_false(rert_organ_table_has(t, "spinalcord"));

    const RertLaterality none = RERT_LATERALITY_NONE;
    const RertLaterality left = RERT_LATERALITY_LEFT;
    const RertLaterality right = RERT_LATERALITY_RIGHT;
    check_match(t, "spinal-cord", "SpinalCord", none);
    check_match(t, "SPINAL_CORD", "SpinalCord", none);
    check_match(t, " myelon ", "SpinalCord", none);
    check_match(t, "S.C.", "SpinalCord", none);
    check_match(t, "Cord_PRV", NULL, none);
    check_match(t, "Cord_L", NULL, none); /* not a paired organ */
    check_match(t, "Parotid", "Parotid", none);
    check_match(t, "Parotid_L", "Parotid", left);
    check_match(t, "L_Parotid", "Parotid", left);
    check_match(t, "LeftParotid", "Parotid", left);
    check_match(t, "Parotid Lt", "Parotid", left);
    check_match(t, "parotis_re", NULL, none);
    check_match(t, "Parotis-Rechts", "Parotid", right);
    check_match(t, "Parotid_Gland_R", "Parotid", right);
    check_match(t, "RT parotid", "Parotid", right);
    check_match(t, "ParotidX", NULL, none);
    check_match(t, "", NULL, none);
    check_match(t, "L", NULL, none);

    /* A name already used by another organ is refused. */
    const char *dup[] = {"spinal cord"};
    assert_false(rert_organ_table_add(&err, t, "Cord2", false, dup, 1));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "SpinalCord"));
    assert_false(rert_organ_table_add(&err, t, "parotid", false, NULL, 0));
    assert_int_equal(rert_organ_table_count(t), 2);
    rert_organ_table_destroy(t);
}

static void test_unmatched_listing(void **state)
{
    (void)state;
    RertOrganTable *t = load_real_organs();
    const char *rois[] = {
        "BODY",  "Spinal Cord", "PTV_60", "Parotid_R",         "Lung_L",
        "Lungs", "Esophagus",   "GTV",    "Brachial_Plexus_L", "CTV-Boost"};
    RertOrganMatch m[10];
    size_t unmatched = rert_organ_table_match_all(t, rois, 10, m);
    assert_int_equal(unmatched, 5);
    const bool expected[10] = {false, true, false, true, false,
                               true,  true, false, true, false};
    for (size_t i = 0; i < 10; i++) {
        if (m[i].is_matched != expected[i]) {
            fail_msg("ROI '%s': matched %d, expected %d", rois[i],
                     (int)m[i].is_matched, (int)expected[i]);
        }
    }
    assert_string_equal(m[3].organ, "Parotid");
    assert_int_equal(m[3].side, RERT_LATERALITY_RIGHT);
    assert_string_equal(m[8].organ, "BrachialPlexus");
    assert_int_equal(m[8].side, RERT_LATERALITY_LEFT);
    assert_null(m[0].organ);
    rert_organ_table_destroy(t);
}

/* ---- the shipped data files */

static void test_real_data_files(void **state)
{
    (void)state;
    RertError err;
    RertConstraintLibrary *lib = load_real_library();
    RertOrganTable *t = load_real_organs();
    if (!rert_constraint_library_check_organs(&err, lib, t)) {
        fail_msg("%s", err.message);
    }
    size_t n = rert_constraint_library_count(lib);
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        const RertConstraint *c = rert_constraint_library_get(lib, i);
        assert_true(strlen(c->source) > 20);
        assert_true(strlen(c->verification) > 20);
        assert_true(c->evidence != RERT_EVIDENCE_R);
        assert_false(c->is_override);
        assert_true(c->alpha_beta_gy > 0.0);
    }
    /* Every canonical synonym of the table matches itself. */
    for (size_t i = 0; i < rert_organ_table_count(t); i++) {
        const char *organ = rert_organ_table_organ(t, i);
        RertOrganMatch m = rert_organ_table_match(t, organ);
        assert_true(m.is_matched);
        assert_string_equal(m.organ, organ);
    }
    check_match(t, "Medulla", "SpinalCord", RERT_LATERALITY_NONE);
    check_match(t, "Aorta", "GreatVessels", RERT_LATERALITY_NONE);
    check_match(t, "OpticNerve_R", "OpticNerve", RERT_LATERALITY_RIGHT);
    check_match(t, "Kidney_L", "Kidney", RERT_LATERALITY_LEFT);
    check_match(t, "Kidneys", "Kidneys", RERT_LATERALITY_NONE);

    /* A missing organ name is reported with the constraint id. */
    RertOrganTable *empty = rert_organ_table_create(&err);
    assert_false(rert_constraint_library_check_organs(&err, lib, empty));
    assert_non_null(strstr(err.message, "cord-nieder2006-cumulative"));
    rert_organ_table_destroy(empty);
    rert_organ_table_destroy(t);
    rert_constraint_library_destroy(lib);
}

/* ---- loaders: malformed files */

static const char *const good_entry = "  - id: x\n"             /* line 3 */
                                      "    organ: SpinalCord\n" /* 4 */
                                      "    metric: Dmax\n"      /* 5 */
                                      "    scope: cumulative\n" /* 6 */
                                      "    limit: 60\n"         /* 7 */
                                      "    unit: Gy_EQD2\n"     /* 8 */
                                      "    alpha_beta: 2\n"     /* 9 */
                                      "    evidence: V\n"       /* 10 */
                                      "    source: A source\n"  /* 11 */
                                      "    verification: checked\n"; /* 12 */

static RertConstraintLibrary *parse_library(RertError *err, const char *body)
{
    char text[2048];
    (void)snprintf(text, sizeof text,
                   "format: rert-constraints/1\nconstraints:\n%s", body);
    return rert_constraint_library_parse(err, text, strlen(text), "lib.yaml");
}

static void expect_library_error(const char *body, const char *needle)
{
    RertError err;
    rert_error_clear(&err);
    RertConstraintLibrary *lib = parse_library(&err, body);
    if (lib != NULL) {
        rert_constraint_library_destroy(lib);
        fail_msg("accepted, expected an error with '%s'", needle);
    }
    if (strstr(err.message, needle) == NULL) {
        fail_msg("'%s' lacks '%s'", err.message, needle);
    }
}

static void test_malformed_library(void **state)
{
    (void)state;
    char body[1024];
    RertError err;
    RertConstraintLibrary *lib = parse_library(&err, good_entry);
    assert_non_null(lib);
    assert_int_equal(rert_constraint_library_count(lib), 1);
    rert_constraint_library_destroy(lib);

    (void)snprintf(body, sizeof body, "%s    colour: red\n", good_entry);
    expect_library_error(body, "lib.yaml:13: unknown key 'colour'");
    /* Missing source: the entry's line and the key. */
    (void)snprintf(body, sizeof body, "%s",
                   "  - id: x\n    organ: SpinalCord\n    metric: Dmax\n"
                   "    scope: cumulative\n    limit: 60\n    unit: Gy_EQD2\n"
                   "    alpha_beta: 2\n    evidence: V\n"
                   "    verification: checked\n");
    expect_library_error(body, "lib.yaml:3: missing required key 'source'");
    /* Bad enum values name the line of the value. */
    const char *cases[][3] = {
        {"unit: Gy_EQD2", "unit: Gy", "lib.yaml:8: unit: expected one of"},
        {"scope: cumulative", "scope: total", "lib.yaml:6: scope:"},
        {"evidence: V", "evidence: R",
         "lib.yaml:3: constraint 'x': evidence R"},
        {"limit: 60", "limit: sixty", "lib.yaml:7: limit"},
        {"metric: Dmax", "metric: Dhot", "lib.yaml:3: constraint 'x': metric"},
        {"alpha_beta: 2", "alpha_beta: -2", "alpha_beta must be"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *at = strstr(good_entry, cases[i][0]);
        assert_non_null(at);
        size_t head = (size_t)(at - good_entry);
        (void)snprintf(body, sizeof body, "%.*s%s%s", (int)head, good_entry,
                       cases[i][1], at + strlen(cases[i][0]));
        expect_library_error(body, cases[i][2]);
    }
    /* Wrong format tag, unknown top-level key, duplicate ids. */
    const char *wrong_format = "format: rert-constraints/9\nconstraints: []\n";
    assert_null(rert_constraint_library_parse(&err, wrong_format,
                                              strlen(wrong_format), "f.yaml"));
    assert_non_null(strstr(err.message, "f.yaml:1: format"));
    const char *extra = "format: rert-constraints/1\nconstraints: []\nx: 1\n";
    assert_null(
        rert_constraint_library_parse(&err, extra, strlen(extra), "f.yaml"));
    assert_non_null(strstr(err.message, "unknown key 'x'"));
    (void)snprintf(body, sizeof body, "%s%s", good_entry, good_entry);
    expect_library_error(body, "lib.yaml:13: constraint 'x': id used twice");
    assert_null(rert_constraint_library_load(&err, "/nonexistent/c.yaml"));
    assert_int_equal(err.code, RERT_ERR_IO);
}

static void test_malformed_organs(void **state)
{
    (void)state;
    RertError err;
    const char *ok = "format: rert-organs/1\norgans:\n"
                     "  - organ: Heart\n    synonyms: [Cor]\n";
    RertOrganTable *t = rert_organ_table_parse(&err, ok, strlen(ok), "o.yaml");
    assert_non_null(t);
    rert_organ_table_destroy(t);
    const char *cases[][2] = {
        {"format: rert-organs/1\norgans:\n  - organ: Heart\n    side: L\n",
         "o.yaml:4: unknown key 'side'"},
        {"format: rert-organs/1\norgans:\n  - organ: Heart\n"
         "  - organ: Cor\n    synonyms: [Heart]\n",
         "o.yaml:4: organ 'Cor'"},
        {"format: rert-organs/1\norgans:\n  - organ: Heart\n    paired: yes\n",
         "o.yaml:4: paired"},
        {"format: rert-organs/1\norgans:\n  - synonyms: [Cor]\n",
         "missing required key 'organ'"},
        {"format: rert-organs/1\norgans:\n  - organ: Heart\n"
         "    synonyms: [[Cor]]\n",
         "o.yaml:4: synonyms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rert_error_clear(&err);
        t = rert_organ_table_parse(&err, cases[i][0], strlen(cases[i][0]),
                                   "o.yaml");
        assert_null(t);
        if (strstr(err.message, cases[i][1]) == NULL) {
            fail_msg("case %zu: '%s' lacks '%s'", i, err.message, cases[i][1]);
        }
    }
}

/* ---- batch evaluation and case-file overrides */

static const char *const small_library =
    "format: rert-constraints/1\n"
    "constraints:\n"
    "  - {id: cord, organ: SpinalCord, metric: Dmax, scope: cumulative,\n"
    "     limit: 60, unit: Gy_EQD2, alpha_beta: 2, evidence: V, site: any,\n"
    "     source: S1, verification: checked}\n"
    "  - {id: parotid, organ: Parotid, metric: Dmean, scope: cumulative,\n"
    "     limit: 30, unit: Gy_EQD2, alpha_beta: 3, evidence: P,\n"
    "     site: head_neck, source: S2, verification: ours}\n"
    "  - {id: lung, organ: Lungs, metric: V20Gy%, scope: cumulative,\n"
    "     limit: 40, unit: '%', alpha_beta: 3, evidence: V2,\n"
    "     site: thorax, source: S3, verification: secondary}\n";

static void test_batch_evaluate(void **state)
{
    (void)state;
    RertError err;
    RertConstraintLibrary *lib = rert_constraint_library_parse(
        &err, small_library, strlen(small_library), "small.yaml");
    if (lib == NULL) {
        fail_msg("%s", err.message);
    }
    RertConstraintMeasurement m[4];
    memset(m, 0, sizeof m);
    const char *organs[] = {"Parotid", "Parotid", "SpinalCord", "Lungs"};
    const char *rois[] = {"Parotid_L", "Parotid_R", "Cord", "Lungs"};
    const char *metrics[] = {"Dmean", "dmean", "Dmax", "V20Gy%"};
    const double abs[] = {3, 3, 2, 10}; /* lungs at the wrong alpha/beta */
    const double values[] = {20, 29, 61, 10};
    for (size_t i = 0; i < 4; i++) {
        m[i].organ = organs[i];
        m[i].roi_name = rois[i];
        m[i].metric = metrics[i];
        m[i].alpha_beta_gy = abs[i];
        m[i].values = cumulative_only(values[i]);
    }
    RertConstraintResult *r = NULL;
    size_t n = 0;
    assert_true(
        rert_constraint_library_evaluate(&err, lib, m, 4, NULL, &r, &n));
    assert_int_equal(n, 4);
    assert_string_equal(r[0].constraint->id, "cord");
    assert_int_equal(r[0].status, RERT_CONSTRAINT_FAIL);
    assert_string_equal(r[0].roi_name, "Cord");
    assert_string_equal(r[1].roi_name, "Parotid_L");
    assert_int_equal(r[1].status, RERT_CONSTRAINT_PASS);
    assert_string_equal(r[2].roi_name, "Parotid_R");
    assert_int_equal(r[2].status, RERT_CONSTRAINT_NEAR_LIMIT);
    assert_string_equal(r[3].constraint->id, "lung");
    assert_int_equal(r[3].status, RERT_CONSTRAINT_NOT_EVALUATED);
    assert_non_null(strstr(r[3].message, "no measurement"));
    rert_free(r);

    /* Site filter: thorax (plus "any") only. */
    const char *sites[] = {"thorax", NULL};
    RertConstraintOptions o = rert_constraint_options_default();
    o.sites = sites;
    assert_true(rert_constraint_library_evaluate(&err, lib, m, 4, &o, &r, &n));
    assert_int_equal(n, 2);
    assert_string_equal(r[0].constraint->id, "cord");
    assert_string_equal(r[1].constraint->id, "lung");
    rert_free(r);

    /* A measurement with an unparsable metric is an error. */
    m[1].metric = "Dworst";
    assert_false(
        rert_constraint_library_evaluate(&err, lib, m, 4, NULL, &r, &n));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "measurement 1"));
    assert_null(r);
    rert_constraint_library_destroy(lib);
}

/* kind: observation -> ABOVE_OBSERVATION instead of FAIL; the default and
 * kind: limit stay limits; other kinds are errors naming the line. */
static void test_observation_kind(void **state)
{
    (void)state;
    char body[1024];
    RertError err;
    (void)snprintf(body, sizeof body, "%s    kind: observation\n", good_entry);
    RertConstraintLibrary *lib = parse_library(&err, body);
    if (lib == NULL) {
        fail_msg("%s", err.message);
    }
    const RertConstraint *c = rert_constraint_library_get(lib, 0);
    assert_true(c->is_observation);
    RertConstraintValues v = cumulative_only(61.0);
    RertConstraintResult r;
    assert_true(rert_constraint_evaluate(&err, c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_ABOVE_OBSERVATION);
    assert_string_equal(rert_constraint_status_name(r.status),
                        "above_observation");
    v = cumulative_only(50.0);
    assert_true(rert_constraint_evaluate(&err, c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_PASS);
    rert_constraint_library_destroy(lib);

    (void)snprintf(body, sizeof body, "%s    kind: limit\n", good_entry);
    lib = parse_library(&err, body);
    assert_non_null(lib);
    c = rert_constraint_library_get(lib, 0);
    assert_false(c->is_observation);
    v = cumulative_only(61.0);
    assert_true(rert_constraint_evaluate(&err, c, &v, NULL, &r));
    assert_int_equal(r.status, RERT_CONSTRAINT_FAIL);
    rert_constraint_library_destroy(lib);

    (void)snprintf(body, sizeof body, "%s    kind: hint\n", good_entry);
    expect_library_error(body, "lib.yaml:13");
    expect_library_error(body, "found 'hint'");

    /* The shipped library: Nieder's 120 Gy2 is an observation, the
     * 135.5 Gy2 rule a limit. */
    lib = load_real_library();
    assert_true(
        rert_constraint_library_find(lib, "cord-nieder2006-cumulative-no-rm")
            ->is_observation);
    assert_false(rert_constraint_library_find(lib, "cord-nieder2006-cumulative")
                     ->is_observation);
    rert_constraint_library_destroy(lib);
}

/* The shipped library filtered to head_neck: the thoracic cord limits drop
 * out, the organ-generic Nieder/QUANTEC entries (site any) stay. */
static void test_site_filter_real_library(void **state)
{
    (void)state;
    RertError err;
    RertConstraintLibrary *lib = load_real_library();
    RertConstraintMeasurement m[2];
    memset(m, 0, sizeof m);
    const char *organs[] = {"SpinalCord", "Brainstem"};
    for (size_t i = 0; i < 2; i++) {
        m[i].organ = organs[i];
        m[i].roi_name = organs[i];
        m[i].metric = "Dmax";
        m[i].alpha_beta_gy = 2.0;
        m[i].values = cumulative_only(40.0);
    }
    static const char *const sites_hn[] = {"head_neck", NULL};
    static const char *const sites_th[] = {"thorax", NULL};
    const char *const *sets[] = {sites_hn, sites_th};
    size_t counts[2] = {0, 0};
    for (size_t k = 0; k < 2; k++) {
        RertConstraintOptions o = rert_constraint_options_default();
        o.sites = sets[k];
        RertConstraintResult *r = NULL;
        size_t n = 0;
        if (!rert_constraint_library_evaluate(&err, lib, m, 2, &o, &r, &n)) {
            fail_msg("%s", err.message);
        }
        bool has_paradis = false;
        bool has_quantec = false;
        bool has_brainstem = false;
        for (size_t i = 0; i < n; i++) {
            const char *id = r[i].constraint->id;
            const char *site = r[i].constraint->site;
            assert_true(strcmp(site, "any") == 0 ||
                        strcmp(site, sets[k][0]) == 0);
            has_paradis |= strcmp(id, "cord-paradis2019") == 0;
            has_quantec |= strcmp(id, "cord-quantec2010-single-course") == 0;
            has_brainstem |=
                strcmp(id, "brainstem-quantec-single-course") == 0 &&
                strcmp(r[i].roi_name, "Brainstem") == 0;
        }
        assert_int_equal(has_paradis, k == 1);
        assert_true(has_quantec);
        assert_true(has_brainstem);
        counts[k] = n;
        rert_free(r);
    }
    assert_true(counts[1] > counts[0]);
    rert_constraint_library_destroy(lib);
}

static void test_override_yaml(void **state)
{
    (void)state;
    RertError err;
    RertConstraintLibrary *lib = rert_constraint_library_parse(
        &err, small_library, strlen(small_library), "small.yaml");
    assert_non_null(lib);
    const char *text = "overrides:\n"
                       "  - organ: SpinalCord\n" /* 2 */
                       "    metric: Dmax\n"
                       "    limit: 50\n"
                       "    unit: Gy_EQD2\n"
                       "    alpha_beta: 2\n"
                       "    source: Clinic protocol\n"
                       "  - organ: Heart\n" /* 8 */
                       "    metric: Dmean\n"
                       "    limit: 20\n"
                       "    unit: Gy_EQD2\n"
                       "    source: Clinic protocol\n"
                       "  - organ: Heart\n" /* 13 */
                       "    metric: Dmean\n"
                       "    limt: 20\n"
                       "    unit: Gy_EQD2\n"
                       "    source: Clinic protocol\n";
    RertYamlDoc *doc = rert_yaml_parse(&err, text, strlen(text), "case.yaml");
    assert_non_null(doc);
    const RertYamlNode *list = rert_yaml_get(rert_yaml_root(doc), "overrides");
    assert_true(rert_constraint_library_override_yaml(&err, lib, doc,
                                                      rert_yaml_item(list, 0)));
    const RertConstraint *c = rert_constraint_library_get(lib, 0);
    assert_string_equal(c->id, "override-SpinalCord-Dmax-cumulative");
    assert_true(c->is_override);
    assert_string_equal(c->replaces, "cord");
    assert_int_equal(c->evidence, RERT_EVIDENCE_P);
    /* No alpha/beta for a dose metric: validation error with the line. */
    assert_false(rert_constraint_library_override_yaml(
        &err, lib, doc, rert_yaml_item(list, 1)));
    assert_non_null(strstr(err.message, "case.yaml:8"));
    assert_non_null(strstr(err.message, "alpha_beta"));
    assert_false(rert_constraint_library_override_yaml(
        &err, lib, doc, rert_yaml_item(list, 2)));
    assert_non_null(strstr(err.message, "case.yaml:15: unknown key 'limt'"));
    rert_yaml_destroy(doc);
    rert_constraint_library_destroy(lib);
}

/* Every allocation failure is reported and leaks nothing. */
static void test_allocation_failures(void **state)
{
    (void)state;
    RertError err;
    size_t nth = 1;
    for (; nth < 10000; nth++) {
        rert_alloc_fail_at(nth);
        RertConstraintLibrary *lib = rert_constraint_library_parse(
            &err, small_library, strlen(small_library), "small.yaml");
        RertOrganTable *t = NULL;
        bool ok = lib != NULL;
        if (ok) {
            const char *syn[] = {"Cord", "Myelon"};
            t = rert_organ_table_create(&err);
            ok = t != NULL &&
                 rert_organ_table_add(&err, t, "SpinalCord", false, syn, 2);
        }
        RertConstraintResult *r = NULL;
        size_t n = 0;
        if (ok) {
            RertConstraintMeasurement m = {"SpinalCord", "Cord", "Dmax", 2,
                                           cumulative_only(50)};
            ok = rert_constraint_library_evaluate(&err, lib, &m, 1, NULL, &r,
                                                  &n);
        }
        if (ok) {
            RertConstraint o = *rert_constraint_library_get(lib, 0);
            o.id = "o";
            ok = rert_constraint_library_override(&err, lib, &o, NULL);
        }
        rert_alloc_fail_at(0);
        rert_free(r);
        rert_organ_table_destroy(t);
        rert_constraint_library_destroy(lib);
        if (ok) {
            break;
        }
        assert_int_equal(err.code, RERT_ERR_NOMEM);
    }
    assert_true(nth > 5 && nth < 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t5_nieder_bed_to_eqd2),
        cmocka_unit_test(test_t8_sahgal),
        cmocka_unit_test(test_t30_slevin),
        cmocka_unit_test(test_status_boundaries),
        cmocka_unit_test(test_per_course_bed),
        cmocka_unit_test(test_missing_values_and_condition),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_library_validation),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_organ_matching_plain),
        cmocka_unit_test(test_unmatched_listing),
        cmocka_unit_test(test_real_data_files),
        cmocka_unit_test(test_malformed_library),
        cmocka_unit_test(test_malformed_organs),
        cmocka_unit_test(test_batch_evaluate),
        cmocka_unit_test(test_override_yaml),
        cmocka_unit_test(test_observation_kind),
        cmocka_unit_test(test_site_filter_real_library),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
