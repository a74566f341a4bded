/* Unit tests: radiobiology (reirradiation-science.md s9 worked examples
 * T1-T19, T22; T12 order of operations), voxel kernels and alpha/beta maps.
 * Expected values were recomputed independently (python) before being
 * written here; rounded literature values use 0.01 Gy (or the rounding of
 * the printed digits), closed-form values 1e-6 relative. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <rert/core.h>
#include <rert/radbio.h>

#include "rert_test.h"

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#define REL 1e-6 /* closed-form values */
#define LIT 0.01 /* rounded literature values, Gy */

static double eqd2(double dose, unsigned n, double ab)
{
    double v = (double)NAN;
    assert_true(rert_lq_eqd2_compute(NULL, NULL, dose, n, ab, &v));
    return v;
}

static double bed(double dose, unsigned n, double ab)
{
    double v = (double)NAN;
    assert_true(rert_lq_bed_compute(NULL, NULL, dose, n, ab, &v));
    return v;
}

static RertLqModel lql(double dt_gy, double slope_ratio)
{
    RertLqModel m = {RERT_LQ_MODEL_LQL, dt_gy, slope_ratio};
    return m;
}

/* T1-T5: BED and EQD2 of single courses; BED -> EQD2 of Nieder limits. */
static void test_t1_t5_lq(void **state)
{
    (void)state;
    rert_assert_near(bed(20, 5, 2), 60.0, 0, REL);
    rert_assert_near(eqd2(20, 5, 2), 30.0, 0, REL);
    rert_assert_near(bed(30, 10, 2), 75.0, 0, REL);
    rert_assert_near(eqd2(30, 10, 2), 37.5, 0, REL);
    rert_assert_near(bed(50, 25, 2), 100.0, 0, REL);
    rert_assert_near(bed(50, 25, 4), 75.0, 0, REL);
    rert_assert_near(bed(30, 3, 10), 60.0, 0, REL);
    rert_assert_near(eqd2(30, 3, 10), 50.0, 0, REL);
    rert_assert_near(bed(30, 3, 3), 130.0, 0, REL);
    rert_assert_near(eqd2(30, 3, 3), 78.0, 0, REL);
    const double limits[3] = {135.5, 98.0, 120.0};
    const double expected[3] = {67.75, 49.0, 60.0};
    for (size_t i = 0; i < 3; i++) {
        double e = 0;
        assert_true(rert_lq_bed_to_eqdx(NULL, limits[i], 2.0, 2.0, &e));
        rert_assert_near(e, expected[i], 0, REL);
        double b = 0;
        assert_true(rert_lq_eqdx_to_bed(NULL, e, 2.0, 2.0, &b));
        rert_assert_near(b, limits[i], 0, REL);
    }
}

/* T6: 24 Gy x 1, ab 10: LQ 81.6/68.0, LQ-L dT 6 Gy 49.2/41.0. */
static void test_t6_lql(void **state)
{
    (void)state;
    rert_assert_near(bed(24, 1, 10), 81.6, 0, REL);
    rert_assert_near(eqd2(24, 1, 10), 68.0, 0, REL);
    RertLqModel m = lql(6.0, 0.0);
    double b = 0;
    double e = 0;
    assert_true(rert_lq_bed_compute(NULL, &m, 24, 1, 10, &b));
    assert_true(rert_lq_eqd2_compute(NULL, &m, 24, 1, 10, &e));
    rert_assert_near(b, 49.2, 0, REL);
    rert_assert_near(e, 41.0, 0, REL);
    /* explicit gamma/alpha equal to the tangent 1 + 2*6/10 = 2.2: same */
    m = lql(6.0, 2.2);
    assert_true(rert_lq_bed_compute(NULL, &m, 24, 1, 10, &b));
    rert_assert_near(b, 49.2, 0, REL);
    /* free gamma/alpha 1.5: 6(1 + 0.6) + 1.5 (24 - 6) = 36.6 */
    m = lql(6.0, 1.5);
    assert_true(rert_lq_bed_compute(NULL, &m, 24, 1, 10, &b));
    rert_assert_near(b, 36.6, 0, REL);
    /* at or below dT LQ-L equals LQ: 30 Gy/5 fx (d = 6), ab 10 -> 48 */
    m = lql(6.0, 0.0);
    assert_true(rert_lq_bed_compute(NULL, &m, 30, 5, 10, &b));
    rert_assert_near(b, 48.0, 0, REL);
    /* multi-fraction linear branch: 3 x 10 Gy, dT 6, ab 3:
     * 3 [10 (1 + 4) - 12] = 114 */
    assert_true(rert_lq_bed_compute(NULL, &m, 30, 3, 3, &b));
    rert_assert_near(b, 114.0, 0, REL);
}

/* T7: SBRT thecal-sac Pmax schedules, ab 2 (printed to 3 decimals). */
static void test_t7_sbrt_schedules(void **state)
{
    (void)state;
    const double dose[5] = {9.0, 12.2, 14.5, 16.2, 18.0};
    const double expected[5] = {24.75, 24.705, 24.771, 24.502, 25.2};
    for (unsigned n = 1; n <= 5; n++) {
        rert_assert_near(eqd2(dose[n - 1], n, 2), expected[n - 1], 0.001, 0);
    }
    /* 18 Gy/5 fx is 25.2 exactly: above a strict 25 Gy2/2 limit */
    rert_assert_near(eqd2(18, 5, 2), 25.2, 0, REL);
    assert_true(eqd2(18, 5, 2) > 25.0);
}

/* T7b: remaining-dose solver, ab 2, E = 25 and 20 Gy2/2, n = 1..5. */
static void test_t7b_solver(void **state)
{
    (void)state;
    const double budget[2] = {25.0, 20.0};
    const double expected[2][5] = {{9.05, 12.28, 14.58, 16.40, 17.91},
                                   {8.00, 10.81, 12.78, 14.33, 15.62}};
    for (size_t b = 0; b < 2; b++) {
        for (unsigned n = 1; n <= 5; n++) {
            RertMaxDose r;
            assert_true(
                rert_lq_max_dose_compute(NULL, NULL, budget[b], 2.0, n, 2, &r));
            assert_true(r.has_budget);
            assert_false(r.is_linear_branch);
            rert_assert_near(r.total_dose_gy, expected[b][n - 1], LIT, 0);
            /* the solution delivers exactly the budget */
            rert_assert_near(eqd2(r.total_dose_gy, n, 2), budget[b], 0, REL);
        }
    }
}

/* T8: prior 30 Gy/10 fx + SBRT 12.2 Gy/2 fx at ab 2. */
static void test_t8_sahgal_sum(void **state)
{
    (void)state;
    double prior = eqd2(30, 10, 2);
    double sbrt = eqd2(12.2, 2, 2);
    rert_assert_near(prior, 37.5, 0, REL);
    rert_assert_near(sbrt, 24.705, 0, REL);
    rert_assert_near(prior + sbrt, 62.205, 0, REL);
    rert_assert_near(sbrt / (prior + sbrt), 0.397, 0.0005, 0);
}

/* T9-T11: remaining 30 Gy EQD2 (BED 60) -> 4.000 Gy x 5; remaining 35
 * (BED 70) -> 4.3852 Gy x 5 = 21.926 Gy. */
static void test_t9_t11_solver(void **state)
{
    (void)state;
    RertMaxDose r;
    assert_true(rert_lq_max_dose_compute(NULL, NULL, 30.0, 2.0, 5, 2.0, &r));
    rert_assert_near(r.dose_per_fraction_gy, 4.0, 0, REL);
    rert_assert_near(r.total_dose_gy, 20.0, 0, REL);
    assert_true(rert_lq_max_dose_bed_compute(NULL, NULL, 60.0, 5, 2.0, &r));
    rert_assert_near(r.dose_per_fraction_gy, 4.0, 0, REL);
    assert_true(rert_lq_max_dose_compute(NULL, NULL, 35.0, 2.0, 5, 2.0, &r));
    rert_assert_near(r.dose_per_fraction_gy, 4.3852, 0.00005, 0);
    rert_assert_near(r.total_dose_gy, 21.926, 0.0005, 0);
    /* closed form: d = (-2 + sqrt(116))/2 */
    rert_assert_near(r.dose_per_fraction_gy, (-2.0 + sqrt(116.0)) / 2.0, 0,
                     REL);
}

/* T12: two courses at one voxel, ab 3. Per-course EQD2 summed = 104.0;
 * converting the physical sum with n = 30 gives 90.67 (wrong). The test
 * runs the voxel kernel per course, as the accumulation will. */
static void test_t12_order_of_operations(void **state)
{
    (void)state;
    RertBioParams p = rert_bio_params_default();
    p.ab_gy = 3.0;
    const float course1[1] = {50.0f};
    const float course2[1] = {30.0f};
    float e1[1];
    float e2[1];
    p.n_fractions = 25;
    assert_true(rert_bio_dose_compute(NULL, &p, course1, 1, e1, NULL));
    p.n_fractions = 5;
    assert_true(rert_bio_dose_compute(NULL, &p, course2, 1, e2, NULL));
    double correct = (double)e1[0] + (double)e2[0];
    rert_assert_near((double)e1[0], 50.0, 0, REL);
    rert_assert_near((double)e2[0], 54.0, 0, REL);
    rert_assert_near(correct, 104.0, 0, REL);
    /* the physical-sum shortcut is a different, lower number */
    double wrong = eqd2(80, 30, 3);
    rert_assert_near(wrong, 90.67, LIT, 0);
    assert_true(correct - wrong > 13.0);
}

/* T13: EQD1.8 of 60 Gy/30 fx, ab 10 = 72/1.18 = 61.017 Gy. */
static void test_t13_eqdx(void **state)
{
    (void)state;
    double e = 0;
    assert_true(rert_lq_eqdx_compute(NULL, NULL, 60, 30, 10, 1.8, &e));
    rert_assert_near(e, 72.0 / 1.18, 0, REL);
    rert_assert_near(e, 61.017, 0.0005, 0);
}

/* T14: 70 Gy(RBE) at constant RBE 1.1 is 63.636 Gy physical. */
static void test_t14_constant_rbe(void **state)
{
    (void)state;
    double phys = 0;
    assert_true(
        rert_rbe_dose_unweight(NULL, 70.0, RERT_RBE_PROTON_DEFAULT, &phys));
    rert_assert_near(phys, 63.636, 0.0005, 0);
    rert_assert_near(phys, 70.0 / 1.1, 0, REL);
    double back = 0;
    assert_true(
        rert_rbe_dose_weight(NULL, phys, RERT_RBE_PROTON_DEFAULT, &back));
    rert_assert_near(back, 70.0, 0, REL);
}

typedef struct RbeCase {
    RertRbeModelId id;
    double letd;
    double rbemax;
    double rbemin;
    double rbe; /* printed to 5 decimals */
} RbeCase;

/* T15-T18: LET-based models at ab 2, D = 2 Gy per fraction. */
static void test_t15_t18_rbe_models(void **state)
{
    (void)state;
    const RbeCase cases[4] = {
        {RERT_RBE_MODEL_MCNAMARA_2015, 2.0, 1.34669, 1.090253, 1.16893},
        {RERT_RBE_MODEL_MCNAMARA_2015, 5.0, 1.880765, 1.073833, 1.31215},
        {RERT_RBE_MODEL_WEDENBERG_2013, 2.0, 1.434, 1.0, 1.13829},
        {RERT_RBE_MODEL_CARABE_2012, 2.0, 1.256644, 1.106116, 1.15231},
    };
    for (size_t i = 0; i < 4; i++) {
        const RertRbeModel *m = rert_rbe_model_get(cases[i].id);
        assert_non_null(m);
        double rmax = 0;
        double rmin = 0;
        assert_true(
            rert_rbe_limits_compute(NULL, m, cases[i].letd, 2.0, &rmax, &rmin));
        rert_assert_near(rmax, cases[i].rbemax, 0, REL);
        rert_assert_near(rmin, cases[i].rbemin, 0, REL);
        double rbe = 0;
        assert_true(
            rert_rbe_model_compute(NULL, m, cases[i].letd, 2.0, 2.0, &rbe));
        rert_assert_near(rbe, cases[i].rbe, 0.000005, 0);
        /* the stable form equals the textbook form away from D = 0 */
        double text =
            (sqrt(4.0 + 16.0 * rmax + 16.0 * rmin * rmin) - 2.0) / 4.0;
        rert_assert_near(rbe, text, 0, 1e-12);
    }
    assert_null(rert_rbe_model_get(RERT_RBE_MODEL_COUNT));
    assert_ptr_equal(rert_rbe_model_find("McNamara2015"),
                     rert_rbe_model_get(RERT_RBE_MODEL_MCNAMARA_2015));
    assert_ptr_equal(rert_rbe_model_find("carabe2012"),
                     rert_rbe_model_get(RERT_RBE_MODEL_CARABE_2012));
    assert_null(rert_rbe_model_find("mcnamara"));
    assert_null(rert_rbe_model_find(NULL));
    /* p0 is the paper's 0.99064, not matRad's 0.999064 */
    rert_assert_near(
        rert_rbe_model_get(RERT_RBE_MODEL_MCNAMARA_2015)->rbemax_p0, 0.99064, 0,
        0);
}

/* T19: RBE limits, RBEmax 1.5, RBEmin 1.2, ab 2. */
static void test_t19_rbe_limits(void **state)
{
    (void)state;
    double rbe = 0;
    assert_true(rert_rbe_variable_compute(NULL, 1.5, 1.2, 2.0, 1e-6, &rbe));
    rert_assert_near(rbe, 1.5, 0.0001, 0);
    assert_true(rert_rbe_variable_compute(NULL, 1.5, 1.2, 2.0, 1e6, &rbe));
    rert_assert_near(rbe, 1.2, 0.0001, 0);
    /* D = 0 exactly: the limit, no division by zero */
    assert_true(rert_rbe_variable_compute(NULL, 1.5, 1.2, 2.0, 0.0, &rbe));
    rert_assert_near(rbe, 1.5, 0, 1e-15);
    /* tiny D: no cancellation (the textbook form loses digits here) */
    assert_true(rert_rbe_variable_compute(NULL, 1.5, 1.2, 2.0, 1e-12, &rbe));
    rert_assert_near(rbe, 1.5, 0, 1e-9);
}

/* T22: EQD2 70 Gy, T 49 d, Tk 28 d, Dprolif 0.9 Gy/d -> 51.1 Gy. */
static void test_t22_time_factor(void **state)
{
    (void)state;
    double e = 0;
    assert_true(rert_lq_eqd2_time_correct(NULL, 70.0, 49.0, 28.0, 0.9, &e));
    rert_assert_near(e, 51.1, 0, REL);
    /* no correction before kick-off */
    assert_true(rert_lq_eqd2_time_correct(NULL, 70.0, 21.0, 28.0, 0.9, &e));
    rert_assert_near(e, 70.0, 0, 0);
    /* BED form: 70 Gy/35 fx ab 10 (BED 84), alpha 0.3, Tpot 3 d:
     * 84 - ln2 * 21/(0.9) ; consistent with the EQD2 form when
     * Dprolif = ln2/(alpha Tpot (1 + 2/ab)) */
    double b = 0;
    assert_true(rert_lq_bed_time_correct(NULL, 84.0, 49.0, 28.0, 0.3, 3.0, &b));
    rert_assert_near(b, 84.0 - log(2.0) * 21.0 / 0.9, 0, REL);
    double dprolif = log(2.0) / (0.3 * 3.0 * 1.2);
    assert_true(rert_lq_eqd2_time_correct(NULL, 70.0, 49.0, 28.0, dprolif, &e));
    rert_assert_near(e, b / 1.2, 0, REL);
}

/* Thames h-factor: h_1 = 0; h_2 = theta; h_3 = (2/3)(2 theta + theta^2).
 * dt 6 h, T1/2 1.5 h -> theta = 2^-4 = 0.0625. */
static void test_incomplete_repair(void **state)
{
    (void)state;
    double h = -1;
    assert_true(rert_lq_hfactor_compute(NULL, 1, 6.0, 1.5, &h));
    rert_assert_near(h, 0.0, 0, 0);
    assert_true(rert_lq_hfactor_compute(NULL, 2, 6.0, 1.5, &h));
    rert_assert_near(h, 0.0625, 0, REL);
    assert_true(rert_lq_hfactor_compute(NULL, 3, 6.0, 1.5, &h));
    rert_assert_near(h, 0.0859375, 0, REL);
    /* interval << half-time: theta -> 1, h_m -> m - 1 without 0/0 */
    assert_true(rert_lq_hfactor_compute(NULL, 3, 1e-300, 1.0, &h));
    rert_assert_near(h, 2.0, 0, REL);
    /* BED with h: 2 x 2 Gy/day (h 0.0625), ab 2: 4 [1 + 1 * 1.0625] */
    double b = 0;
    assert_true(rert_lq_bed_repair_compute(NULL, 4.0, 2, 2.0, 0.0625, &b));
    rert_assert_near(b, 8.25, 0, REL);
    assert_false(rert_lq_hfactor_compute(NULL, 0, 6.0, 1.5, &h));
    assert_false(rert_lq_hfactor_compute(NULL, 25, 0.5, 1.5, &h));
}

/* Every guard: INVALID_ARG, message names the parameter and the value. */
static void expect_invalid(const RertError *err, const char *needle)
{
    assert_int_equal(err->code, RERT_ERR_INVALID_ARG);
    if (strstr(err->message, needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", err->message, needle);
    }
}

static void test_scalar_guards(void **state)
{
    (void)state;
    RertError err;
    double v = 0;
    assert_false(rert_lq_bed_compute(&err, NULL, 10, 0, 2, &v));
    expect_invalid(&err, "n_fractions = 0");
    assert_false(rert_lq_bed_compute(&err, NULL, 10, 5, 0, &v));
    expect_invalid(&err, "ab_gy = 0");
    assert_false(rert_lq_bed_compute(&err, NULL, -1, 5, 2, &v));
    expect_invalid(&err, "dose_gy = -1");
    assert_false(rert_lq_bed_compute(&err, NULL, (double)NAN, 5, 2, &v));
    expect_invalid(&err, "dose_gy = nan");
    assert_false(rert_lq_eqd2_compute(&err, NULL, 10, 5, (double)INFINITY, &v));
    expect_invalid(&err, "ab_gy = inf");
    assert_false(rert_lq_eqdx_compute(&err, NULL, 10, 5, 2, -2, &v));
    expect_invalid(&err, "x_gy = -2");
    assert_false(rert_lq_bed_compute(&err, NULL, 10, 5, 2, NULL));
    expect_invalid(&err, "bed_gy is NULL");
    RertLqModel m = lql(0.0, 0.0);
    assert_false(rert_lq_bed_compute(&err, &m, 10, 5, 2, &v));
    expect_invalid(&err, "transition_dose_gy = 0");
    m = lql(6.0, -1.0);
    assert_false(rert_lq_bed_compute(&err, &m, 10, 5, 2, &v));
    expect_invalid(&err, "linear_slope_ratio = -1");
    m.kind = (RertLqModelKind)7;
    assert_false(rert_lq_bed_compute(&err, &m, 10, 5, 2, &v));
    expect_invalid(&err, "model kind = 7");
    assert_false(rert_lq_eqd2_time_correct(&err, 70, -1, 28, 0.9, &v));
    expect_invalid(&err, "overall_time_days = -1");
    assert_false(rert_lq_bed_time_correct(&err, 70, 49, 28, 0, 3, &v));
    expect_invalid(&err, "alpha_per_gy = 0");
    assert_false(rert_rbe_dose_weight(&err, 10, 0, &v));
    expect_invalid(&err, "rbe = 0");
    assert_false(rert_rbe_variable_compute(&err, 1.5, 1.2, 2, -1, &v));
    expect_invalid(&err, "dose_per_fraction_gy = -1");
    double a = 0;
    assert_false(rert_rbe_limits_compute(
        &err, rert_rbe_model_get(RERT_RBE_MODEL_WEDENBERG_2013), -2, 2, &a,
        &v));
    expect_invalid(&err, "letd_kev_um = -2");
    assert_false(rert_rbe_limits_compute(&err, NULL, 2, 2, &a, &v));
    expect_invalid(&err, "model is NULL");
}

/* Remaining budget <= 0: no budget, doses 0, not an error. */
static void test_solver_no_budget_and_guards(void **state)
{
    (void)state;
    RertError err;
    RertMaxDose r = {1, 1, true, true};
    assert_true(rert_lq_max_dose_compute(&err, NULL, 0.0, 2.0, 5, 2.0, &r));
    assert_false(r.has_budget);
    rert_assert_near(r.total_dose_gy, 0.0, 0, 0);
    rert_assert_near(r.dose_per_fraction_gy, 0.0, 0, 0);
    assert_true(rert_lq_max_dose_compute(&err, NULL, -12.0, 2.0, 5, 2.0, &r));
    assert_false(r.has_budget);
    assert_false(
        rert_lq_max_dose_compute(&err, NULL, (double)NAN, 2.0, 5, 2.0, &r));
    expect_invalid(&err, "remaining_eqdx_gy = nan");
    assert_false(rert_lq_max_dose_bed_compute(&err, NULL, 60, 0, 2.0, &r));
    expect_invalid(&err, "n_fractions = 0");
    assert_false(rert_lq_max_dose_bed_compute(&err, NULL, 60, 5, -3, &r));
    expect_invalid(&err, "ab_gy = -3");
}

/* LQ-L inverse: T6 backwards, the branch point, and a round trip. */
static void test_lql_solver(void **state)
{
    (void)state;
    RertLqModel m = lql(6.0, 0.0);
    RertMaxDose r;
    assert_true(rert_lq_max_dose_bed_compute(NULL, &m, 49.2, 1, 10.0, &r));
    assert_true(r.is_linear_branch);
    rert_assert_near(r.dose_per_fraction_gy, 24.0, 0, REL);
    /* BED 9.6 per fraction is exactly d = dT = 6: LQ branch */
    assert_true(rert_lq_max_dose_bed_compute(NULL, &m, 28.8, 3, 10.0, &r));
    assert_false(r.is_linear_branch);
    rert_assert_near(r.dose_per_fraction_gy, 6.0, 0, REL);
    rert_assert_near(r.total_dose_gy, 18.0, 0, REL);
    /* round trip over doses per fraction on both sides of dT, two slopes */
    const double slopes[2] = {0.0, 1.3};
    for (size_t s = 0; s < 2; s++) {
        m = lql(6.0, slopes[s]);
        for (int k = 1; k <= 60; k++) {
            double d = 0.5 * k;
            double b = 0;
            assert_true(rert_lq_bed_compute(NULL, &m, 4.0 * d, 4, 3.0, &b));
            assert_true(rert_lq_max_dose_bed_compute(NULL, &m, b, 4, 3.0, &r));
            rert_assert_near(r.dose_per_fraction_gy, d, 1e-12, REL);
            assert_int_equal(r.is_linear_branch, d > 6.0);
        }
    }
}

/* ---- kernels */

/* Deterministic pseudo-random numbers in [0, 1) (64-bit LCG). */
static double next_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

#define NVOX ((size_t)70001) /* several OpenMP blocks plus a remainder */

typedef struct Grids {
    float dose[NVOX];
    float ab[NVOX];
    float letd[NVOX];
    float out1[NVOX];
    float out2[NVOX];
    float aux1[NVOX];
    float aux2[NVOX];
} Grids;

static Grids grids;

static void grids_fill(uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < NVOX; i++) {
        grids.dose[i] = (float)(80.0 * next_uniform(&s));
        grids.ab[i] = (float)(0.5 + 12.0 * next_uniform(&s));
        grids.letd[i] = (float)(15.0 * next_uniform(&s));
    }
    grids.dose[5] = -0.25f; /* negative: treated as 0, counted */
    grids.dose[77] = -1.5f;
    grids.dose[NVOX - 1] = 0.0f;
}

/* Thread count at start-up. Tests never raise the team above it (or 2):
 * growing libomp's team well beyond its first size makes it reallocate its
 * thread table and LeakSanitizer reports the old one (libomp 14). */
static int initial_threads = 1;

static int many_threads(void)
{
    return initial_threads >= 2 ? initial_threads : 2;
}

static void set_threads(int n)
{
#ifdef RERT_HAVE_OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* Kernel = scalar formula on every voxel (LQ and LQ-L, map and constant),
 * including the negative-dose warning counts. */
static void test_bio_kernel_matches_scalar(void **state)
{
    (void)state;
    grids_fill(1);
    RertBioParams p = rert_bio_params_default();
    p.n_fractions = 5;
    for (int variant = 0; variant < 4; variant++) {
        p.model = variant < 2 ? rert_lq_model_default() : lql(6.0, 0.0);
        p.ab_map_gy = (variant % 2 == 0) ? grids.ab : NULL;
        p.quantity = variant == 3 ? RERT_BIO_BED : RERT_BIO_EQDX;
        p.x_gy = 2.0;
        RertVoxelStats st;
        assert_true(
            rert_bio_dose_compute(NULL, &p, grids.dose, NVOX, grids.out1, &st));
        assert_int_equal(st.voxel_count, NVOX);
        assert_int_equal(st.negative_dose_count, 2);
        rert_assert_near(st.most_negative_dose_gy, -1.5, 0, 0);
        size_t linear = 0;
        for (size_t i = 0; i < NVOX; i++) {
            double ab = p.ab_map_gy ? (double)grids.ab[i] : p.ab_gy;
            double dose = fmax(0.0, (double)grids.dose[i]);
            double want = 0;
            if (p.quantity == RERT_BIO_BED) {
                assert_true(
                    rert_lq_bed_compute(NULL, &p.model, dose, 5, ab, &want));
            } else {
                assert_true(
                    rert_lq_eqd2_compute(NULL, &p.model, dose, 5, ab, &want));
            }
            linear += (variant >= 2 && dose / 5.0 > 6.0) ? 1u : 0u;
            rert_assert_near((double)grids.out1[i], want, 0, REL);
        }
        assert_int_equal(st.linear_branch_count, linear);
        assert_true(variant < 2 || linear > 0);
    }
}

/* Inverse kernel = scalar solver; remaining <= 0 counted as no budget. */
static void test_inverse_kernel(void **state)
{
    (void)state;
    grids_fill(2);
    RertBioParams p = rert_bio_params_default();
    p.n_fractions = 3;
    p.model = lql(8.0, 0.0);
    p.ab_map_gy = grids.ab;
    for (size_t i = 0; i < NVOX; i++) {
        grids.dose[i] -= 10.0f; /* budgets from -10 to 70 Gy EQD2 */
    }
    RertVoxelStats st;
    assert_true(rert_bio_max_dose_compute(NULL, &p, grids.dose, NVOX,
                                          grids.out1, grids.aux1, &st));
    size_t none = 0;
    size_t linear = 0;
    for (size_t i = 0; i < NVOX; i++) {
        RertMaxDose r;
        assert_true(rert_lq_max_dose_compute(NULL, &p.model,
                                             (double)grids.dose[i], 2.0, 3,
                                             (double)grids.ab[i], &r));
        none += r.has_budget ? 0u : 1u;
        linear += r.is_linear_branch ? 1u : 0u;
        rert_assert_near((double)grids.out1[i], r.total_dose_gy, 0, REL);
        rert_assert_near((double)grids.aux1[i], r.dose_per_fraction_gy, 0, REL);
    }
    assert_true(none > 0 && linear > 0);
    assert_int_equal(st.no_budget_count, none);
    assert_int_equal(st.linear_branch_count, linear);
    /* the per-fraction output is optional */
    assert_true(rert_bio_max_dose_compute(NULL, &p, grids.dose, NVOX,
                                          grids.out2, NULL, NULL));
    assert_memory_equal(grids.out1, grids.out2, sizeof grids.out1);
}

/* RBE kernel: constant and LET model, equal to the scalar functions. */
static void test_rbe_kernel(void **state)
{
    (void)state;
    grids_fill(3);
    RertRbeParams p = rert_rbe_params_default();
    RertVoxelStats st;
    assert_true(rert_rbe_dose_compute(NULL, &p, grids.dose, NULL, NVOX,
                                      grids.out1, grids.aux1, &st));
    assert_int_equal(st.negative_dose_count, 2);
    for (size_t i = 0; i < NVOX; i++) {
        double want = 1.1 * fmax(0.0, (double)grids.dose[i]);
        rert_assert_near((double)grids.out1[i], want, 0, REL);
        rert_assert_near((double)grids.aux1[i], 1.1, 0, REL);
    }
    p.kind = RERT_RBE_LET_MODEL;
    p.n_fractions = 30;
    p.ab_map_gy = grids.ab;
    assert_true(rert_rbe_dose_compute(NULL, &p, grids.dose, grids.letd, NVOX,
                                      grids.out1, grids.aux1, &st));
    for (size_t i = 0; i < NVOX; i++) {
        double dose = fmax(0.0, (double)grids.dose[i]);
        double rbe = 0;
        assert_true(rert_rbe_model_compute(NULL, p.model, (double)grids.letd[i],
                                           (double)grids.ab[i], dose / 30.0,
                                           &rbe));
        rert_assert_near((double)grids.aux1[i], rbe, 0, REL);
        rert_assert_near((double)grids.out1[i], rbe * dose, 1e-30, REL);
    }
    RertError err;
    assert_false(rert_rbe_dose_compute(&err, &p, grids.dose, NULL, NVOX,
                                       grids.out1, NULL, NULL));
    expect_invalid(&err, "letd_kev_um");
    grids.letd[40000] = -1.0f;
    assert_false(rert_rbe_dose_compute(&err, &p, grids.dose, grids.letd, NVOX,
                                       grids.out1, NULL, NULL));
    expect_invalid(&err, "letd_kev_um[40000] = -1");
}

/* Bitwise identical output for 1 and N threads, for all kernels. */
static void test_kernels_thread_invariant(void **state)
{
    (void)state;
    grids_fill(4);
    RertBioParams p = rert_bio_params_default();
    p.n_fractions = 4;
    p.model = lql(7.0, 0.0);
    p.ab_map_gy = grids.ab;
    RertRbeParams rp = rert_rbe_params_default();
    rp.kind = RERT_RBE_LET_MODEL;
    rp.n_fractions = 4;
    rp.ab_map_gy = grids.ab;
    float *outs[2] = {grids.out1, grids.out2};
    float *auxs[2] = {grids.aux1, grids.aux2};
    const int threads[2] = {1, many_threads()};
    for (int kernel = 0; kernel < 3; kernel++) {
        for (size_t t = 0; t < 2; t++) {
            set_threads(threads[t]);
            bool ok = false;
            if (kernel == 0) {
                ok = rert_bio_dose_compute(NULL, &p, grids.dose, NVOX, outs[t],
                                           NULL);
                memcpy(auxs[t], outs[t], sizeof grids.out1);
            } else if (kernel == 1) {
                ok = rert_bio_max_dose_compute(NULL, &p, grids.dose, NVOX,
                                               outs[t], auxs[t], NULL);
            } else {
                ok = rert_rbe_dose_compute(NULL, &rp, grids.dose, grids.letd,
                                           NVOX, outs[t], auxs[t], NULL);
            }
            assert_true(ok);
        }
        assert_memory_equal(grids.out1, grids.out2, sizeof grids.out1);
        assert_memory_equal(grids.aux1, grids.aux2, sizeof grids.aux1);
    }
    set_threads(initial_threads);
}

/* NaN/inf voxels and bad alpha/beta voxels are errors naming the index;
 * with several bad voxels the lowest index is reported (any threads). */
static void test_kernel_bad_voxels(void **state)
{
    (void)state;
    grids_fill(5);
    RertBioParams p = rert_bio_params_default();
    p.n_fractions = 2;
    RertError err;
    grids.dose[60000] = NAN;
    grids.dose[20001] = NAN;
    grids.dose[3] = NAN;
    const int threads[2] = {1, many_threads()};
    for (size_t t = 0; t < 2; t++) {
        set_threads(threads[t]);
        assert_false(rert_bio_dose_compute(&err, &p, grids.dose, NVOX,
                                           grids.out1, NULL));
        expect_invalid(&err, "dose_gy[3] = nan");
    }
    grids.dose[3] = 1.0f;
    assert_false(
        rert_bio_dose_compute(&err, &p, grids.dose, NVOX, grids.out1, NULL));
    expect_invalid(&err, "dose_gy[20001] = nan");
    grids.dose[20001] = INFINITY;
    assert_false(
        rert_bio_dose_compute(&err, &p, grids.dose, NVOX, grids.out1, NULL));
    expect_invalid(&err, "dose_gy[20001] = inf");
    grids.dose[20001] = 1.0f;
    grids.dose[60000] = 1.0f;
    p.ab_map_gy = grids.ab;
    grids.ab[33333] = 0.0f;
    assert_false(
        rert_bio_dose_compute(&err, &p, grids.dose, NVOX, grids.out1, NULL));
    expect_invalid(&err, "ab_map_gy[33333] = 0");
    grids.ab[33333] = 2.0f;
    grids.dose[9] = -INFINITY;
    assert_false(rert_bio_max_dose_compute(&err, &p, grids.dose, NVOX,
                                           grids.out1, NULL, NULL));
    expect_invalid(&err, "remaining[9] = -inf");
    RertRbeParams rp = rert_rbe_params_default();
    assert_false(rert_rbe_dose_compute(&err, &rp, grids.dose, NULL, NVOX,
                                       grids.out1, NULL, NULL));
    expect_invalid(&err, "physical_gy[9] = -inf");
    set_threads(initial_threads);
    /* parameter guards */
    p.n_fractions = 0;
    assert_false(
        rert_bio_dose_compute(&err, &p, grids.dose, NVOX, grids.out1, NULL));
    expect_invalid(&err, "n_fractions = 0");
    p.n_fractions = 2;
    p.ab_map_gy = NULL;
    p.ab_gy = -1.0;
    assert_false(
        rert_bio_dose_compute(&err, &p, grids.dose, NVOX, grids.out1, NULL));
    expect_invalid(&err, "ab_gy = -1");
    rp.rbe_constant = 0.0;
    assert_false(rert_rbe_dose_compute(&err, &rp, grids.dose, NULL, NVOX,
                                       grids.out1, NULL, NULL));
    expect_invalid(&err, "rbe_constant = 0");
}

/* ---- alpha/beta maps */

/* Five voxels, three ROIs (cord ab 2, brainstem ab 2, tumour ab 10):
 * v0 no ROI; v1 tumour only; v2 tumour + cord; v3 cord + brainstem (tie);
 * v4 occupancy 0.49 (outside) / 0.5 (inside) at the boundary. */
static const float occ_cord[5] = {0.0f, 0.0f, 0.6f, 1.0f, 0.49f};
static const float occ_stem[5] = {0.0f, 0.2f, 0.0f, 0.7f, 0.0f};
static const float occ_tumour[5] = {0.3f, 1.0f, 0.9f, 0.0f, 0.5f};

static void ab_map_run(RertAbOverlapRule rule,
                       const RertAbRoi *rois,
                       float *ab,
                       int32_t *idx,
                       RertAbMapStats *st)
{
    RertAbMapParams p = rert_ab_map_params_default();
    p.rois = rois;
    p.roi_count = 3;
    p.rule = rule;
    assert_true(rert_ab_map_compute(NULL, &p, 5, ab, idx, st));
}

static void test_ab_map_rules(void **state)
{
    (void)state;
    const RertAbRoi rois[3] = {{"tumour", occ_tumour, 10.0},
                               {"cord", occ_cord, 2.0},
                               {"brainstem", occ_stem, 2.0}};
    float ab[5];
    int32_t idx[5];
    RertAbMapStats st;
    ab_map_run(RERT_AB_OVERLAP_LOWEST, rois, ab, idx, &st);
    const float want_ab[5] = {3.0f, 10.0f, 2.0f, 2.0f, 10.0f};
    const int32_t want_idx[5] = {-1, 0, 1, 1, 0};
    for (size_t i = 0; i < 5; i++) {
        rert_assert_near((double)ab[i], (double)want_ab[i], 0, 0);
        assert_int_equal(idx[i], want_idx[i]);
    }
    assert_int_equal(st.voxel_count, 5);
    assert_int_equal(st.default_count, 1);
    assert_int_equal(st.overlap_count, 2);
    /* priority order: the first listed ROI (tumour) wins v2 */
    ab_map_run(RERT_AB_OVERLAP_PRIORITY, rois, ab, idx, &st);
    rert_assert_near((double)ab[2], 10.0, 0, 0);
    assert_int_equal(idx[2], 0);
    assert_int_equal(idx[3], 1); /* cord listed before brainstem */
    /* threshold parameter: at 0.6 v4 is in no ROI, v2 still in both */
    RertAbMapParams p = rert_ab_map_params_default();
    p.rois = rois;
    p.roi_count = 3;
    p.inside_min_frac = 0.6;
    p.default_ab_gy = 4.0;
    assert_true(rert_ab_map_compute(NULL, &p, 5, ab, NULL, &st));
    rert_assert_near((double)ab[4], 4.0, 0, 0);
    rert_assert_near((double)ab[2], 2.0, 0, 0);
    assert_int_equal(st.default_count, 2);
    /* no ROIs at all: the default everywhere */
    p.roi_count = 0;
    p.rois = NULL;
    assert_true(rert_ab_map_compute(NULL, &p, 5, ab, idx, &st));
    assert_int_equal(st.default_count, 5);
    assert_int_equal(idx[3], -1);
}

static void test_ab_map_guards(void **state)
{
    (void)state;
    float bad_occ[5] = {0.0f, 0.0f, NAN, 0.0f, 0.0f};
    RertAbRoi rois[2] = {{"cord", occ_cord, 2.0}, {"ptv", bad_occ, 10.0}};
    RertAbMapParams p = rert_ab_map_params_default();
    p.rois = rois;
    p.roi_count = 2;
    float ab[5];
    RertError err;
    assert_false(rert_ab_map_compute(&err, &p, 5, ab, NULL, NULL));
    expect_invalid(&err, "ROI 1 'ptv': occupancy_frac[2] = nan");
    rois[1].occupancy_frac = occ_tumour;
    rois[1].ab_gy = 0.0;
    assert_false(rert_ab_map_compute(&err, &p, 5, ab, NULL, NULL));
    expect_invalid(&err, "ROI 1 'ptv': ab_gy = 0");
    rois[1].ab_gy = 10.0;
    p.inside_min_frac = 0.0;
    assert_false(rert_ab_map_compute(&err, &p, 5, ab, NULL, NULL));
    expect_invalid(&err, "inside_min_frac = 0");
    p.inside_min_frac = 0.5;
    p.rule = (RertAbOverlapRule)9;
    assert_false(rert_ab_map_compute(&err, &p, 5, ab, NULL, NULL));
    expect_invalid(&err, "overlap rule = 9");
    p.rule = RERT_AB_OVERLAP_LOWEST;
    rois[0].occupancy_frac = NULL;
    assert_false(rert_ab_map_compute(&err, &p, 5, ab, NULL, NULL));
    expect_invalid(&err, "ROI 0 'cord': occupancy_frac is NULL");
}

/* A large random map: identical for 1 and N threads; feeds the kernel. */
static void test_ab_map_threads(void **state)
{
    (void)state;
    grids_fill(6);
    /* three overlapping "ROIs" from the random columns */
    for (size_t i = 0; i < NVOX; i++) {
        grids.aux1[i] = grids.dose[i] / 80.0f;
        grids.aux2[i] = grids.letd[i] / 15.0f;
        grids.dose[i] = (grids.ab[i] - 0.5f) / 12.0f;
    }
    const RertAbRoi rois[3] = {{"a", grids.aux1, 3.0},
                               {"b", grids.aux2, 2.0},
                               {"c", grids.dose, 10.0}};
    RertAbMapParams p = rert_ab_map_params_default();
    p.rois = rois;
    p.roi_count = 3;
    static int32_t idx1[NVOX];
    static int32_t idx2[NVOX];
    RertAbMapStats s1;
    RertAbMapStats s2;
    set_threads(1);
    assert_true(rert_ab_map_compute(NULL, &p, NVOX, grids.out1, idx1, &s1));
    set_threads(many_threads());
    assert_true(rert_ab_map_compute(NULL, &p, NVOX, grids.out2, idx2, &s2));
    set_threads(initial_threads);
    assert_memory_equal(grids.out1, grids.out2, sizeof grids.out1);
    assert_memory_equal(idx1, idx2, sizeof idx1);
    assert_int_equal(s1.default_count, s2.default_count);
    assert_int_equal(s1.overlap_count, s2.overlap_count);
    assert_true(s1.overlap_count > 0 && s1.default_count > 0);
    size_t defaults = 0;
    for (size_t i = 0; i < NVOX; i++) {
        double want = idx1[i] < 0 ? 3.0 : rois[idx1[i]].ab_gy;
        rert_assert_near((double)grids.out1[i], want, 0, 0);
        defaults += idx1[i] < 0 ? 1u : 0u;
        if (grids.aux2[i] >= 0.5f) {
            assert_int_equal(idx1[i], 1); /* lowest ab (2) whenever inside */
        }
    }
    assert_int_equal(defaults, s1.default_count);
}

int main(void)
{
    initial_threads = rert_thread_count();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t1_t5_lq),
        cmocka_unit_test(test_t6_lql),
        cmocka_unit_test(test_t7_sbrt_schedules),
        cmocka_unit_test(test_t7b_solver),
        cmocka_unit_test(test_t8_sahgal_sum),
        cmocka_unit_test(test_t9_t11_solver),
        cmocka_unit_test(test_t12_order_of_operations),
        cmocka_unit_test(test_t13_eqdx),
        cmocka_unit_test(test_t14_constant_rbe),
        cmocka_unit_test(test_t15_t18_rbe_models),
        cmocka_unit_test(test_t19_rbe_limits),
        cmocka_unit_test(test_t22_time_factor),
        cmocka_unit_test(test_incomplete_repair),
        cmocka_unit_test(test_scalar_guards),
        cmocka_unit_test(test_solver_no_budget_and_guards),
        cmocka_unit_test(test_lql_solver),
        cmocka_unit_test(test_bio_kernel_matches_scalar),
        cmocka_unit_test(test_inverse_kernel),
        cmocka_unit_test(test_rbe_kernel),
        cmocka_unit_test(test_kernels_thread_invariant),
        cmocka_unit_test(test_kernel_bad_voxels),
        cmocka_unit_test(test_ab_map_rules),
        cmocka_unit_test(test_ab_map_guards),
        cmocka_unit_test(test_ab_map_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
