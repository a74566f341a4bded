/* Unit tests: recovery models (T28), remaining budget under conventions A
 * and B (T9, T10, T11, T7b at budget level), the voxel budget map, the
 * overlap of irradiated volumes on synthetic masks, the ESTRO-EORTC
 * classification (T23-T25) and the summation level. Worked examples are
 * reirradiation-science.md s9; expected values were recomputed
 * independently (python) from the closed forms. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <rert/core.h>
#include <rert/evaluate.h>

#include "rert_test.h"

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#define REL 1e-6 /* closed-form values */
#define LIT 0.01 /* rounded literature values, Gy */

/* ---- recovery */

static double
recovery(const RertRecoveryModel *m, const char *organ, double months)
{
    RertRecoveryResult r;
    RertError err;
    assert_true(rert_recovery_compute(&err, m, organ, months, &r));
    rert_assert_near(r.interval_months, months, 0, 0);
    return r.recovery_frac;
}

/* T28: 0/25/50 % lookup and the kidney override. */
static void test_t28_recovery_lookup(void **state)
{
    (void)state;
    const RertRecoveryModel *m =
        rert_recovery_model_get(RERT_RECOVERY_MODEL_COMMON);
    assert_non_null(m);
    rert_assert_near(recovery(m, NULL, 5.0), 0.0, 0, 0);
    rert_assert_near(recovery(m, NULL, 8.0), 0.25, 0, 0);
    rert_assert_near(recovery(m, NULL, 14.0), 0.5, 0, 0);
    rert_assert_near(recovery(m, "Spinal_Cord", 14.0), 0.5, 0, 0);
    const double intervals[] = {0.0, 5.0, 8.0, 14.0, 120.0};
    for (size_t i = 0; i < 5; i++) {
        RertRecoveryResult r;
        assert_true(
            rert_recovery_compute(NULL, m, "Kidney_L", intervals[i], &r));
        rert_assert_near(r.recovery_frac, 0.0, 0, 0);
        assert_true(r.is_organ_override);
        assert_string_equal(r.model_name, "kidney");
        assert_string_equal(r.evidence_tag, "V");
        assert_non_null(strstr(r.source, "Nieder"));
    }
    /* tier boundaries are inclusive; the result names the tier */
    RertRecoveryResult r;
    assert_true(rert_recovery_compute(NULL, m, NULL, 6.0, &r));
    rert_assert_near(r.recovery_frac, 0.25, 0, 0);
    assert_int_equal(r.tier_index, 0);
    assert_false(r.is_organ_override);
    assert_string_equal(r.model_name, "common-0-25-50");
    assert_true(rert_recovery_compute(NULL, m, NULL, 5.999, &r));
    assert_int_equal(r.tier_index, -1);
    assert_true(rert_recovery_compute(NULL, m, NULL, 12.0, &r));
    assert_int_equal(r.tier_index, 1);
}

static void test_recovery_models_as_data(void **state)
{
    (void)state;
    for (int i = 0; i < (int)RERT_RECOVERY_MODEL_COUNT; i++) {
        const RertRecoveryModel *m =
            rert_recovery_model_get((RertRecoveryModelId)i);
        assert_non_null(m);
        assert_true(rert_recovery_model_validate(NULL, m));
        assert_non_null(m->source);
        assert_non_null(m->evidence_tag);
        assert_ptr_equal(rert_recovery_model_find(m->name), m);
    }
    assert_null(rert_recovery_model_get(RERT_RECOVERY_MODEL_COUNT));
    assert_null(rert_recovery_model_find("woolley-2018"));
    assert_null(rert_recovery_model_find(NULL));
    const RertRecoveryModel *nieder = rert_recovery_model_find("NIEDER-CORD");
    assert_non_null(nieder);
    rert_assert_near(recovery(nieder, NULL, 5.9), 0.0, 0, 0);
    rert_assert_near(recovery(nieder, NULL, 6.0), 0.25, 0, 0);
    rert_assert_near(recovery(nieder, NULL, 12.0), 0.5, 0, 0);
    const RertRecoveryModel *slicer =
        rert_recovery_model_get(RERT_RECOVERY_MODEL_SLICER_RT);
    rert_assert_near(recovery(slicer, NULL, 23.9), 0.5, 0, 0);
    rert_assert_near(recovery(slicer, NULL, 30.0), 0.65, 0, 0);
    const RertRecoveryModel *none =
        rert_recovery_model_get(RERT_RECOVERY_MODEL_NONE);
    rert_assert_near(recovery(none, NULL, 100.0), 0.0, 0, 0);
    RertRecoveryModel fixed = {.name = "site-30",
                               .source = "institution",
                               .evidence_tag = "P",
                               .kind = RERT_RECOVERY_FIXED,
                               .fixed_frac = 0.3};
    rert_assert_near(recovery(&fixed, NULL, 0.0), 0.3, 0, 0);
    rert_assert_near(recovery(&fixed, "heart", 30.0), 0.0, 0, 0);
}

/* The convention a model's source states it for travels with the result;
 * organ overrides (r = 0) state none. */
static void test_recovery_defined_under(void **state)
{
    (void)state;
    const RertRecoveryModel *nieder = rert_recovery_model_find("nieder-cord");
    assert_int_equal(nieder->defined_under, RERT_RECOVERY_DEFINED_B);
    assert_int_equal(
        rert_recovery_model_get(RERT_RECOVERY_MODEL_NONE)->defined_under,
        RERT_RECOVERY_DEFINED_UNSTATED);
    RertRecoveryResult r;
    assert_true(rert_recovery_compute(NULL, nieder, "SpinalCord", 13.0, &r));
    assert_int_equal(r.defined_under, RERT_RECOVERY_DEFINED_B);
    assert_true(rert_recovery_compute(NULL, nieder, "Heart", 13.0, &r));
    assert_true(r.is_organ_override);
    assert_int_equal(r.defined_under, RERT_RECOVERY_DEFINED_UNSTATED);
    RertRecoveryModel bad = *nieder;
    bad.defined_under = (RertRecoveryDefinedUnder)7;
    RertError err;
    assert_false(rert_recovery_model_validate(&err, &bad));
    assert_non_null(strstr(err.message, "defined_under 7"));
}

static void test_recovery_invalid(void **state)
{
    (void)state;
    RertError err;
    RertRecoveryResult r;
    RertRecoveryModel m = {.name = "bad", .kind = RERT_RECOVERY_TIERED};
    assert_false(rert_recovery_model_validate(&err, &m)); /* no tiers */
    assert_non_null(strstr(err.message, "tier_count"));
    m.tier_count = 2;
    m.tiers[0] = (RertRecoveryTier){12.0, 0.5};
    m.tiers[1] = (RertRecoveryTier){6.0, 0.25};
    assert_false(rert_recovery_model_validate(&err, &m)); /* descending */
    assert_non_null(strstr(err.message, "tier 1"));
    m.tiers[1] = (RertRecoveryTier){24.0, 1.5};
    assert_false(rert_recovery_model_validate(&err, &m));
    assert_non_null(strstr(err.message, "1.5"));
    m.kind = RERT_RECOVERY_FIXED;
    m.fixed_frac = (double)NAN;
    assert_false(rert_recovery_compute(&err, &m, NULL, 1.0, &r));
    m.kind = (RertRecoveryKind)7;
    assert_false(rert_recovery_model_validate(&err, &m));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    const RertRecoveryModel *c =
        rert_recovery_model_get(RERT_RECOVERY_MODEL_COMMON);
    assert_false(rert_recovery_compute(&err, c, NULL, -1.0, &r));
    assert_non_null(strstr(err.message, "interval"));
    assert_false(rert_recovery_compute(&err, c, NULL, (double)INFINITY, &r));
    assert_false(rert_recovery_compute(&err, NULL, NULL, 1.0, &r));
    assert_false(rert_recovery_compute(&err, c, NULL, 1.0, NULL));
}

static void test_recovery_override_names(void **state)
{
    (void)state;
    const char *match[] = {"heart",    "Heart",        "HEART_PRV",
                           "Kidney_L", "KIDNEYS",      "kidney right",
                           "Bladder",  "bladder_wall", "Kidneys_combined"};
    const char *no_match[] = {"Heartburn",  "kid", "Kidneystone", "Lung_L",
                              "SpinalCord", "",    "bladde",      "xheart"};
    for (size_t i = 0; i < sizeof match / sizeof match[0]; i++) {
        const RertRecoveryOverride *o = rert_recovery_override_find(match[i]);
        assert_non_null(o);
        rert_assert_near(o->recovery_frac, 0.0, 0, 0);
    }
    for (size_t i = 0; i < sizeof no_match / sizeof no_match[0]; i++) {
        assert_null(rert_recovery_override_find(no_match[i]));
    }
    assert_null(rert_recovery_override_find(NULL));
    assert_string_equal(rert_recovery_override_find("Bladder")->organ,
                        "bladder");
}

static void test_interval_months(void **state)
{
    (void)state;
    RertError err;
    double months = -1;
    assert_true(rert_interval_months_compute(&err, "2023-01-15", "2023-07-15",
                                             &months));
    rert_assert_near(months, 181.0 / 30.44, 0, 1e-12);
    assert_true(
        rert_interval_months_compute(&err, "20230115", "2023-07-15", &months));
    rert_assert_near(months, 181.0 / 30.44, 0, 1e-12);
    /* leap day 2024, across a leap year: 366 days */
    assert_true(
        rert_interval_months_compute(&err, "2024-02-29", "20250301", &months));
    rert_assert_near(months, 366.0 / 30.44, 0, 1e-12);
    assert_true(rert_interval_months_compute(&err, "1999-12-31", "2000-01-01",
                                             &months));
    rert_assert_near(months, 1.0 / 30.44, 0, 1e-12);
    assert_true(rert_interval_months_compute(&err, "2020-05-05", "2020-05-05",
                                             &months));
    rert_assert_near(months, 0.0, 0, 0);
    const char *bad[] = {"2023-02-29", "2023-13-01", "2023-1-15",
                         "2023/01/15", "20230132",   "abcdefgh",
                         "",           "0999-01-01", "2023-01-15x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(
            rert_interval_months_compute(&err, bad[i], "2024-01-01", &months));
        assert_int_equal(err.code, RERT_ERR_PARSE);
        assert_non_null(strstr(err.message, "earlier course"));
    }
    assert_false(rert_interval_months_compute(&err, "2024-01-02", "2024-01-01",
                                              &months));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "before"));
    assert_false(
        rert_interval_months_compute(&err, NULL, "2024-01-01", &months));
}

/* ---- scalar budget */

static RertBudgetResult budget(RertRecoveryConvention c,
                               double limit,
                               const RertPriorDose *priors,
                               size_t count,
                               unsigned n,
                               double ab)
{
    RertBudgetRequest q = rert_budget_request_default();
    q.convention = c;
    q.limit_eqd2_gy = limit;
    q.priors = priors;
    q.prior_count = count;
    q.n_fractions = n;
    q.ab_gy = ab;
    RertBudgetResult r;
    RertError err;
    assert_true(rert_budget_compute(&err, &q, &r));
    assert_int_equal(r.convention, c);
    return r;
}

/* T9 (A) and T10 (B): cord limit 50 Gy EQD2(2), prior 40, r 0.5, 5 fx. */
static void test_t9_t10_conventions(void **state)
{
    (void)state;
    RertPriorDose prior = {40.0, 0.5};
    RertBudgetResult a =
        budget(RERT_CONVENTION_DISCOUNT_PRIOR, 50.0, &prior, 1, 5, 2.0);
    rert_assert_near(a.effective_prior_eqd2_gy, 20.0, 0, REL);
    rert_assert_near(a.allowed_eqd2_gy, 50.0, 0, REL);
    rert_assert_near(a.remaining_eqd2_gy, 30.0, 0, REL);
    rert_assert_near(a.max_dose.dose_per_fraction_gy, 4.0, 0, REL);
    rert_assert_near(a.max_dose.total_dose_gy, 20.0, 0, REL);
    assert_true(a.has_budget);
    RertBudgetResult b =
        budget(RERT_CONVENTION_RAISE_TOLERANCE, 50.0, &prior, 1, 5, 2.0);
    rert_assert_near(b.effective_prior_eqd2_gy, 40.0, 0, REL);
    rert_assert_near(b.recovery_frac_used, 0.5, 0, 0);
    rert_assert_near(b.allowed_eqd2_gy, 75.0, 0, REL);
    rert_assert_near(b.remaining_eqd2_gy, 35.0, 0, REL);
    rert_assert_near(b.max_dose.dose_per_fraction_gy, 4.385164807134504, 0,
                     REL);
    rert_assert_near(b.max_dose.total_dose_gy, 21.92582403567252, 0, REL);
    /* the document's rounded value, and that A and B differ */
    rert_assert_near(b.max_dose.total_dose_gy, 21.926, 0.001, 0);
    assert_true(b.max_dose.total_dose_gy - a.max_dose.total_dose_gy > 1.9);
    assert_string_equal(rert_recovery_convention_name(a.convention),
                        "discount_prior");
    assert_string_equal(rert_recovery_convention_name(b.convention),
                        "raise_tolerance");
    assert_null(rert_recovery_convention_name((RertRecoveryConvention)5));
    /* the two agree only when the prior dose equals the limit (s4.1) */
    RertPriorDose at_limit = {50.0, 0.5};
    rert_assert_near(
        budget(RERT_CONVENTION_DISCOUNT_PRIOR, 50.0, &at_limit, 1, 5, 2.0)
            .remaining_eqd2_gy,
        budget(RERT_CONVENTION_RAISE_TOLERANCE, 50.0, &at_limit, 1, 5, 2.0)
            .remaining_eqd2_gy,
        0, REL);
}

/* T11: remaining 30 Gy2 over 5 fx -> 4.0 Gy/fx; T7b: budgets of 25 and
 * 20 Gy2/2 without prior dose for n = 1..5. */
static void test_t11_t7b_budget(void **state)
{
    (void)state;
    RertPriorDose prior = {20.0, 0.0};
    RertBudgetResult r =
        budget(RERT_CONVENTION_DISCOUNT_PRIOR, 50.0, &prior, 1, 5, 2.0);
    rert_assert_near(r.remaining_eqd2_gy, 30.0, 0, REL);
    rert_assert_near(r.max_dose.dose_per_fraction_gy, 4.0, 0, REL);
    const double e25[5] = {9.05, 12.28, 14.58, 16.40, 17.91};
    const double e20[5] = {8.00, 10.81, 12.78, 14.33, 15.62};
    for (unsigned n = 1; n <= 5; n++) {
        RertBudgetResult a =
            budget(RERT_CONVENTION_DISCOUNT_PRIOR, 25.0, NULL, 0, n, 2.0);
        rert_assert_near(a.max_dose.total_dose_gy, e25[n - 1], LIT, 0);
        RertBudgetResult b =
            budget(RERT_CONVENTION_RAISE_TOLERANCE, 20.0, NULL, 0, n, 2.0);
        rert_assert_near(b.recovery_frac_used, 0.0, 0, 0);
        rert_assert_near(b.max_dose.total_dose_gy, e20[n - 1], LIT, 0);
    }
}

static void test_budget_several_priors_and_no_budget(void **state)
{
    (void)state;
    /* A: each prior discounted by its own r; B: limit raised by min r */
    RertPriorDose priors[2] = {{30.0, 0.5}, {20.0, 0.25}};
    RertBudgetResult a =
        budget(RERT_CONVENTION_DISCOUNT_PRIOR, 60.0, priors, 2, 3, 2.0);
    rert_assert_near(a.effective_prior_eqd2_gy, 15.0 + 15.0, 0, REL);
    rert_assert_near(a.remaining_eqd2_gy, 30.0, 0, REL);
    RertBudgetResult b =
        budget(RERT_CONVENTION_RAISE_TOLERANCE, 60.0, priors, 2, 3, 2.0);
    rert_assert_near(b.recovery_frac_used, 0.25, 0, 0);
    rert_assert_near(b.allowed_eqd2_gy, 75.0, 0, REL);
    rert_assert_near(b.remaining_eqd2_gy, 25.0, 0, REL);
    /* no budget: flagged, zero doses, not an error */
    RertPriorDose over = {70.0, 0.0};
    RertBudgetResult n =
        budget(RERT_CONVENTION_DISCOUNT_PRIOR, 60.0, &over, 1, 5, 2.0);
    assert_false(n.has_budget);
    assert_false(n.max_dose.has_budget);
    rert_assert_near(n.remaining_eqd2_gy, -10.0, 0, REL);
    rert_assert_near(n.max_dose.total_dose_gy, 0.0, 0, 0);
    RertPriorDose exact = {60.0, 0.0};
    assert_false(budget(RERT_CONVENTION_DISCOUNT_PRIOR, 60.0, &exact, 1, 5, 2.0)
                     .has_budget);
    /* LQ-L: a large budget in one fraction lies above dT */
    RertBudgetRequest q = rert_budget_request_default();
    q.limit_eqd2_gy = 68.0; /* T6: 24 Gy x 1 at ab 10 is 68 Gy EQD2 (LQ) */
    q.n_fractions = 1;
    q.ab_gy = 10.0;
    RertBudgetResult lq;
    assert_true(rert_budget_compute(NULL, &q, &lq));
    rert_assert_near(lq.max_dose.total_dose_gy, 24.0, 0, REL);
    q.model.kind = RERT_LQ_MODEL_LQL;
    q.model.transition_dose_gy = 6.0;
    q.limit_eqd2_gy = 41.0; /* T6: LQ-L EQD2 of 24 Gy x 1, dT 6 */
    assert_true(rert_budget_compute(NULL, &q, &lq));
    rert_assert_near(lq.max_dose.total_dose_gy, 24.0, 0, REL);
    assert_true(lq.max_dose.is_linear_branch);
}

/* LQ maximum total dose of n fractions reaching EQD2 e at alpha/beta ab:
 * n d (d + ab) / (2 + ab) = e. */
static double lq_total(double e, double n, double ab)
{
    double d = (-ab + sqrt(ab * ab + 4.0 * e * (2.0 + ab) / n)) / 2.0;
    return n * d;
}

/* A per-course limit (Nieder: each course <= 98 Gy2 BED = 49 Gy EQD2)
 * caps the new course when the cumulative room is larger. */
static void test_budget_course_cap(void **state)
{
    (void)state;
    RertError err;
    RertBudgetRequest q = rert_budget_request_default();
    RertPriorDose prior = {10.0, 0.0};
    q.limit_eqd2_gy = 67.75; /* Nieder cumulative 135.5 Gy2 */
    q.priors = &prior;
    q.prior_count = 1;
    q.n_fractions = 25;
    q.ab_gy = 2.0;
    RertBudgetResult r;
    assert_true(rert_budget_compute(&err, &q, &r));
    rert_assert_near(r.remaining_eqd2_gy, 57.75, 0, REL);
    assert_false(r.is_capped);
    RertMaxDose cap;
    bool binds = false;
    assert_true(rert_budget_cap_apply(&err, &q, 49.0, 2.0, &r, &cap, &binds));
    assert_true(binds);
    assert_true(r.is_capped);
    assert_true(r.has_budget);
    rert_assert_near(r.remaining_eqd2_gy, 49.0, 0, REL);
    rert_assert_near(r.cumulative_remaining_eqd2_gy, 57.75, 0, REL);
    rert_assert_near(r.max_dose.total_dose_gy, lq_total(49.0, 25, 2.0), 0, REL);
    rert_assert_near(cap.total_dose_gy, r.max_dose.total_dose_gy, 0, REL);

    /* A larger prior: the cumulative limit binds, the cap does not. */
    prior.eqd2_gy = 30.0;
    assert_true(rert_budget_compute(&err, &q, &r));
    RertBudgetResult before = r;
    assert_true(rert_budget_cap_apply(&err, &q, 49.0, 2.0, &r, NULL, &binds));
    assert_false(binds);
    assert_false(r.is_capped);
    rert_assert_near(r.max_dose.total_dose_gy, before.max_dose.total_dose_gy, 0,
                     0);
    rert_assert_near(r.remaining_eqd2_gy, 37.75, 0, REL);

    /* A cap at another alpha/beta: same physical dose, EQD2 at the row's. */
    prior.eqd2_gy = 0.0;
    q.ab_gy = 3.0;
    q.limit_eqd2_gy = 100.0;
    assert_true(rert_budget_compute(&err, &q, &r));
    assert_true(rert_budget_cap_apply(&err, &q, 49.0, 2.0, &r, NULL, &binds));
    assert_true(binds);
    double total = lq_total(49.0, 25, 2.0);
    double d = total / 25.0;
    rert_assert_near(r.max_dose.total_dose_gy, total, 0, REL);
    rert_assert_near(r.remaining_eqd2_gy, total * (d + 3.0) / 5.0, 0, REL);

    /* A cap of 0 leaves no budget; bad arguments are errors. */
    assert_true(rert_budget_cap_apply(&err, &q, 0.0, 2.0, &r, NULL, &binds));
    assert_true(binds);
    assert_false(r.has_budget);
    rert_assert_near(r.max_dose.total_dose_gy, 0.0, 0, 0);
    assert_false(
        rert_budget_cap_apply(&err, &q, (double)NAN, 2.0, &r, NULL, &binds));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_false(rert_budget_cap_apply(&err, &q, 49.0, 0.0, &r, NULL, &binds));
    assert_false(
        rert_budget_cap_apply(&err, &q, 49.0, 2.0, NULL, NULL, &binds));
}

static void test_budget_invalid(void **state)
{
    (void)state;
    RertError err;
    RertBudgetResult r;
    RertBudgetRequest q = rert_budget_request_default();
    q.n_fractions = 5;
    q.ab_gy = 2.0;
    assert_false(rert_budget_compute(&err, &q, &r)); /* limit NaN */
    assert_non_null(strstr(err.message, "limit"));
    q.limit_eqd2_gy = 50.0;
    assert_true(rert_budget_compute(&err, &q, &r));
    RertPriorDose p = {40.0, 1.2};
    q.priors = &p;
    q.prior_count = 1;
    assert_false(rert_budget_compute(&err, &q, &r));
    assert_non_null(strstr(err.message, "prior course 0"));
    assert_non_null(strstr(err.message, "1.2"));
    p.recovery_frac = 0.5;
    p.eqd2_gy = -1.0;
    assert_false(rert_budget_compute(&err, &q, &r));
    p.eqd2_gy = 40.0;
    q.priors = NULL;
    assert_false(rert_budget_compute(&err, &q, &r));
    q.priors = &p;
    q.n_fractions = 0;
    assert_false(rert_budget_compute(&err, &q, &r));
    assert_non_null(strstr(err.message, "budget"));
    q.n_fractions = 5;
    q.convention = (RertRecoveryConvention)9;
    assert_false(rert_budget_compute(&err, &q, &r));
    assert_non_null(strstr(err.message, "convention"));
    assert_false(rert_budget_compute(&err, NULL, &r));
    double allowed = 0;
    assert_true(rert_budget_allowed_compute(
        &err, RERT_CONVENTION_RAISE_TOLERANCE, 50.0, 0.5, &allowed));
    rert_assert_near(allowed, 75.0, 0, REL);
    assert_true(rert_budget_allowed_compute(
        &err, RERT_CONVENTION_DISCOUNT_PRIOR, 50.0, 0.5, &allowed));
    rert_assert_near(allowed, 50.0, 0, REL);
    assert_false(rert_budget_allowed_compute(
        &err, RERT_CONVENTION_DISCOUNT_PRIOR, 50.0, -0.1, &allowed));
    assert_false(rert_budget_allowed_compute(
        &err, RERT_CONVENTION_DISCOUNT_PRIOR, (double)NAN, 0.1, &allowed));
}

/* ---- budget map */

/* Six voxels: cord (allowed 50) in 0-2, brainstem (allowed 54) in 2-3,
 * voxels 4-5 in no organ. Per-voxel alpha/beta 2 in organs, 3 elsewhere. */
static void test_budget_map_voxels(void **state)
{
    (void)state;
    const float cord[6] = {1.f, 1.f, 0.6f, 0.f, 0.f, 0.4f};
    const float stem[6] = {0.f, 0.f, 1.f, 1.f, 0.f, 0.f};
    const float prior[6] = {40.f, 50.f, 30.f, 10.f, 0.f, 20.f};
    const float ab[6] = {2.f, 2.f, 2.f, 2.f, 3.f, 3.f};
    RertBudgetOrgan organs[2] = {{"SpinalCord", cord, 50.0},
                                 {"Brainstem", stem, 54.0}};
    RertBudgetMapParams p = rert_budget_map_params_default();
    p.organs = organs;
    p.organ_count = 2;
    p.n_fractions = 5;
    p.ab_map_gy = ab;
    float total[6];
    float per_fx[6];
    uint8_t mask[6];
    RertBudgetMapStats st;
    RertError err;
    assert_true(
        rert_budget_map_compute(&err, &p, prior, 6, total, per_fx, mask, &st));
    rert_assert_near((double)total[0], 10.0, 0, 1e-6); /* remaining 10 */
    rert_assert_near((double)total[1], 0.0, 0, 0);     /* no budget */
    rert_assert_near((double)total[2], 15.615528128088304, 0,
                     1e-6); /* min 50 */
    rert_assert_near((double)per_fx[2], 3.1231056256176606, 0, 1e-6);
    rert_assert_near((double)total[3], 25.083217912982647, 0,
                     1e-6); /* 54 - 10 */
    rert_assert_near((double)total[4], RERT_BUDGET_UNCONSTRAINED_DEFAULT_GY, 0,
                     0);
    rert_assert_near((double)per_fx[5], RERT_BUDGET_UNCONSTRAINED_DEFAULT_GY, 0,
                     0);
    const uint8_t expected_mask[6] = {1, 1, 1, 1, 0, 0}; /* 0.4 < 0.5 */
    assert_memory_equal(mask, expected_mask, 6);
    assert_int_equal(st.voxel_count, 6);
    assert_int_equal(st.constrained_count, 4);
    assert_int_equal(st.overlap_count, 1);
    assert_int_equal(st.no_budget_count, 1);
    assert_int_equal(st.linear_branch_count, 0);
    /* a lower inside threshold takes voxel 5 into the cord */
    p.inside_min_frac = 0.3;
    p.unconstrained_gy = 500.0;
    assert_true(
        rert_budget_map_compute(&err, &p, prior, 6, total, NULL, NULL, &st));
    assert_int_equal(st.constrained_count, 5);
    assert_true(total[5] < 100.f);
    rert_assert_near((double)total[4], 500.0, 0, 0);
}

/* T9 and T10 at the voxel level: one cord voxel, prior 40 Gy EQD2. */
static void test_budget_map_conventions(void **state)
{
    (void)state;
    const float occ[1] = {1.f};
    const float prior_b[1] = {40.f};
    const float prior_a[1] = {20.f}; /* (1 - 0.5) * 40, discounted */
    RertBudgetOrgan organ = {"cord", occ, 0.0};
    RertBudgetMapParams p = rert_budget_map_params_default();
    p.organs = &organ;
    p.organ_count = 1;
    p.n_fractions = 5;
    p.ab_gy = 2.0;
    float total = 0.f;
    assert_true(rert_budget_allowed_compute(NULL,
                                            RERT_CONVENTION_DISCOUNT_PRIOR,
                                            50.0, 0.5, &organ.allowed_eqd2_gy));
    assert_true(rert_budget_map_compute(NULL, &p, prior_a, 1, &total, NULL,
                                        NULL, NULL));
    rert_assert_near((double)total, 20.0, 0, 1e-6);
    assert_true(rert_budget_allowed_compute(NULL,
                                            RERT_CONVENTION_RAISE_TOLERANCE,
                                            50.0, 0.5, &organ.allowed_eqd2_gy));
    assert_true(rert_budget_map_compute(NULL, &p, prior_b, 1, &total, NULL,
                                        NULL, NULL));
    rert_assert_near((double)total, 21.926, 0.001, 0);
}

static void test_budget_map_invalid(void **state)
{
    (void)state;
    float occ[3] = {1.f, 1.f, 1.f};
    float prior[3] = {1.f, 2.f, 3.f};
    float out[3];
    RertBudgetOrgan organ = {"Cord", occ, 50.0};
    RertBudgetMapParams p = rert_budget_map_params_default();
    p.organs = &organ;
    p.organ_count = 1;
    RertError err;
    assert_false(rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL,
                                         NULL)); /* n_fractions 0 */
    p.n_fractions = 5;
    prior[1] = (float)NAN;
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    assert_non_null(strstr(err.message, "voxel 1"));
    prior[1] = 2.f;
    occ[2] = (float)INFINITY;
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    assert_non_null(strstr(err.message, "Cord"));
    assert_non_null(strstr(err.message, "voxel 2"));
    occ[2] = 1.f;
    organ.allowed_eqd2_gy = (double)NAN;
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    assert_non_null(strstr(err.message, "allowed"));
    organ.allowed_eqd2_gy = 50.0;
    p.inside_min_frac = 0.0;
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    p.inside_min_frac = 0.5;
    p.unconstrained_gy = -1.0;
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    p.unconstrained_gy = 1000.0;
    organ.occupancy_frac = NULL;
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    organ.occupancy_frac = occ;
    assert_false(
        rert_budget_map_compute(&err, &p, NULL, 3, out, NULL, NULL, NULL));
    assert_true(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    /* allocation failure is reported, nothing leaks */
    rert_alloc_fail_at(1);
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    assert_int_equal(err.code, RERT_ERR_NOMEM);
    rert_alloc_fail_at(2);
    assert_false(
        rert_budget_map_compute(&err, &p, prior, 3, out, NULL, NULL, NULL));
    rert_alloc_fail_at(0);
}

/* Deterministic pseudo-random floats in [0, 1). */
static float lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.f;
}

/* Same map with 1 and 4 threads, bitwise. */
static void test_budget_map_threads(void **state)
{
    (void)state;
    enum { N = 200003 };
    float *a = rert_calloc(NULL, 6 * (size_t)N, sizeof(float));
    assert_non_null(a);
    float *o1 = a;
    float *o2 = a + N;
    float *prior = a + 2 * N;
    float *occ1 = a + 3 * N;
    float *occ2 = a + 4 * N;
    float *ab = a + 5 * N;
    uint32_t s = 12345u;
    for (size_t v = 0; v < N; v++) {
        prior[v] = 80.f * lcg(&s);
        occ1[v] = lcg(&s);
        occ2[v] = lcg(&s);
        ab[v] = 1.f + 9.f * lcg(&s);
    }
    RertBudgetOrgan organs[2] = {{"a", occ1, 60.0}, {"b", occ2, 45.0}};
    RertBudgetMapParams p = rert_budget_map_params_default();
    p.organs = organs;
    p.organ_count = 2;
    p.n_fractions = 3;
    p.ab_map_gy = ab;
    p.model.kind = RERT_LQ_MODEL_LQL;
    p.model.transition_dose_gy = 6.0;
    RertBudgetMapStats s1;
    RertBudgetMapStats s2;
#ifdef RERT_HAVE_OPENMP
    omp_set_num_threads(1);
#endif
    assert_true(
        rert_budget_map_compute(NULL, &p, prior, N, o1, NULL, NULL, &s1));
#ifdef RERT_HAVE_OPENMP
    omp_set_num_threads(4);
#endif
    assert_true(
        rert_budget_map_compute(NULL, &p, prior, N, o2, NULL, NULL, &s2));
    assert_memory_equal(o1, o2, N * sizeof(float));
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_true(s1.no_budget_count > 0);
    assert_true(s1.linear_branch_count > 0);
    assert_true(s1.overlap_count > 0);
    assert_true(s1.constrained_count < N);
    rert_free(a);
}

/* ---- overlap */

enum { NX = 10 };

static size_t idx(size_t i, size_t j, size_t k)
{
    return i + NX * (j + NX * k);
}

/* 10x10x10 grid of 2 mm voxels (0.008 cc): prior 30 Gy where i < 5, else
 * 5 Gy; target cube i, j, k in [3, 7); planned 25 Gy where 2 <= i < 8. */
static void overlap_fixture(float *prior, float *target, float *planned)
{
    for (size_t k = 0; k < NX; k++) {
        for (size_t j = 0; j < NX; j++) {
            for (size_t i = 0; i < NX; i++) {
                size_t v = idx(i, j, k);
                prior[v] = i < 5 ? 30.f : 5.f;
                target[v] =
                    (i >= 3 && i < 7 && j >= 3 && j < 7 && k >= 3 && k < 7)
                        ? 1.f
                        : 0.f;
                planned[v] = (i >= 2 && i < 8) ? 25.f : 1.f;
            }
        }
    }
}

static void test_overlap_synthetic(void **state)
{
    (void)state;
    static float prior[NX * NX * NX];
    static float target[NX * NX * NX];
    static float planned[NX * NX * NX];
    overlap_fixture(prior, target, planned);
    RertOverlapParams p = rert_overlap_params_default();
    p.threshold_gy = 20.0;
    p.threshold_source = "test: 20 Gy EQD2 isodose";
    p.voxel_cc = 0.008;
    RertOverlapResult r;
    RertError err;
    size_t n = NX * NX * NX;
    assert_true(rert_overlap_compute(&err, &p, prior, target, NULL, n, &r));
    rert_assert_near(r.prior_irradiated_cc, 500 * 0.008, 0, 1e-12);
    rert_assert_near(r.target_cc, 64 * 0.008, 0, 1e-12);
    rert_assert_near(r.target_overlap_cc, 32 * 0.008, 0, 1e-12);
    assert_false(r.has_planned_dose);
    rert_assert_near(r.planned_overlap_cc, 0.0, 0, 0);
    assert_true(r.has_overlap);
    assert_string_equal(r.threshold_source, "test: 20 Gy EQD2 isodose");
    rert_assert_near(r.threshold_gy, 20.0, 0, 0);
    /* with the planned dose: 600 irradiated voxels, 300 shared */
    assert_true(rert_overlap_compute(&err, &p, prior, target, planned, n, &r));
    rert_assert_near(r.planned_irradiated_cc, 600 * 0.008, 0, 1e-12);
    rert_assert_near(r.planned_overlap_cc, 300 * 0.008, 0, 1e-12);
    rert_assert_near(r.overlap_cc, 300 * 0.008, 0, 1e-12);
    /* partial occupancy weighs the volume */
    target[idx(3, 3, 3)] = 0.5f;
    target[idx(4, 4, 4)] = 1.0000001f; /* clamped to 1 */
    assert_true(rert_overlap_compute(&err, &p, prior, target, NULL, n, &r));
    rert_assert_near(r.target_overlap_cc, 31.5 * 0.008, 0, 1e-9);
    /* a threshold above every prior dose: no overlap */
    p.threshold_gy = 35.0;
    assert_true(rert_overlap_compute(&err, &p, prior, target, planned, n, &r));
    assert_false(r.has_overlap);
    rert_assert_near(r.overlap_cc, 0.0, 0, 0);
    /* overlap below the minimum volume does not count */
    p.threshold_gy = 20.0;
    p.min_overlap_cc = 0.3;
    assert_true(rert_overlap_compute(&err, &p, prior, target, NULL, n, &r));
    assert_false(r.has_overlap); /* 0.252 cc */
}

static void test_overlap_disjoint_and_invalid(void **state)
{
    (void)state;
    static float prior[NX * NX * NX];
    static float target[NX * NX * NX];
    static float planned[NX * NX * NX];
    size_t n = NX * NX * NX;
    overlap_fixture(prior, target, planned);
    for (size_t v = 0; v < n; v++) {
        target[v] = (v % NX) >= 7 ? 1.f : 0.f; /* far from i < 5 */
        planned[v] = (v % NX) >= 6 ? 30.f : 0.f;
    }
    RertOverlapParams p = rert_overlap_params_default();
    RertOverlapResult r;
    RertError err;
    assert_false(rert_overlap_compute(&err, &p, prior, target, NULL, n, &r));
    assert_non_null(strstr(err.message, "threshold"));
    p.threshold_gy = 20.0;
    p.voxel_cc = 0.008;
    assert_false(rert_overlap_compute(&err, &p, prior, target, NULL, n, &r));
    assert_non_null(strstr(err.message, "threshold_source"));
    p.threshold_source = "";
    assert_false(rert_overlap_compute(&err, &p, prior, target, NULL, n, &r));
    p.threshold_source = "clinician";
    assert_true(rert_overlap_compute(&err, &p, prior, target, planned, n, &r));
    assert_false(r.has_overlap);
    rert_assert_near(r.target_overlap_cc, 0.0, 0, 0);
    rert_assert_near(r.planned_overlap_cc, 0.0, 0, 0);
    rert_assert_near(r.target_cc, 300 * 0.008, 0, 1e-12);
    planned[17] = (float)NAN;
    assert_false(rert_overlap_compute(&err, &p, prior, target, planned, n, &r));
    assert_non_null(strstr(err.message, "planned_dose_gy at voxel 17"));
    p.voxel_cc = 0.0;
    assert_false(rert_overlap_compute(&err, &p, prior, target, NULL, n, &r));
    p.voxel_cc = 0.008;
    assert_false(rert_overlap_compute(&err, &p, NULL, target, NULL, n, &r));
}

/* ---- classification */

static RertAnswer yes(RertAnswerSource s)
{
    RertAnswer a = {RERT_ANSWER_YES, s, NULL};
    return a;
}

static RertAnswer no(RertAnswerSource s)
{
    RertAnswer a = {RERT_ANSWER_NO, s, NULL};
    return a;
}

static const RertAnswer unknown = {RERT_ANSWER_UNKNOWN, RERT_ANSWER_SOURCE_NONE,
                                   NULL};

static RertClassifyResult classify(const RertClassifyCourse *c, size_t n)
{
    RertClassifyResult r;
    RertError err;
    assert_true(rert_classify_compute(&err, c, n, &r));
    return r;
}

/* T23: overlap yes -> TYPE_1 whatever Q2 and Q3 say. */
static void test_t23_type1(void **state)
{
    (void)state;
    RertAnswer others[3] = {yes(RERT_ANSWER_SOURCE_CLINICIAN),
                            no(RERT_ANSWER_SOURCE_CASE_FILE), unknown};
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 3; j++) {
            RertClassifyCourse c = {"RT1", yes(RERT_ANSWER_SOURCE_OVERLAP),
                                    others[i], others[j]};
            RertClassifyResult r = classify(&c, 1);
            assert_int_equal(r.category, RERT_CATEGORY_TYPE_1);
            assert_true(r.is_reirradiation);
            assert_int_equal(r.deciding_course, 0);
            assert_int_equal(r.deciding_question, 1);
            assert_int_equal(r.undetermined_count, 0);
        }
    }
    assert_string_equal(rert_reirradiation_category_name(RERT_CATEGORY_TYPE_1),
                        "TYPE_1");
}

/* T24: no overlap, cumulative concern -> TYPE_2. */
static void test_t24_type2(void **state)
{
    (void)state;
    RertClassifyCourse c = {"RT1", no(RERT_ANSWER_SOURCE_OVERLAP),
                            yes(RERT_ANSWER_SOURCE_CONSTRAINTS), unknown};
    RertClassifyResult r = classify(&c, 1);
    assert_int_equal(r.category, RERT_CATEGORY_TYPE_2);
    assert_true(r.is_reirradiation);
    assert_int_equal(r.deciding_question, 2);
    assert_string_equal(rert_reirradiation_category_name(r.category), "TYPE_2");
}

/* T25: no/no and same organ -> repeat organ; different organ -> repeat. */
static void test_t25_repeat(void **state)
{
    (void)state;
    RertClassifyCourse c = {"RT1", no(RERT_ANSWER_SOURCE_OVERLAP),
                            no(RERT_ANSWER_SOURCE_CLINICIAN),
                            yes(RERT_ANSWER_SOURCE_CASE_FILE)};
    RertClassifyResult r = classify(&c, 1);
    assert_int_equal(r.category, RERT_CATEGORY_REPEAT_ORGAN_IRRADIATION);
    assert_false(r.is_reirradiation);
    assert_int_equal(r.deciding_question, 3);
    c.same_organ = no(RERT_ANSWER_SOURCE_CASE_FILE);
    r = classify(&c, 1);
    assert_int_equal(r.category, RERT_CATEGORY_REPEAT_IRRADIATION);
    assert_false(r.is_reirradiation);
    assert_string_equal(rert_reirradiation_category_name(r.category),
                        "REPEAT_IRRADIATION");
    assert_non_null(rert_reirradiation_category_description(r.category));
    assert_null(rert_reirradiation_category_name((RertReirradiationCategory)7));
    assert_null(
        rert_reirradiation_category_description((RertReirradiationCategory)-2));
}

/* Several courses: the most severe wins; missing answers that could still
 * change the result leave it undetermined. */
static void test_classify_courses(void **state)
{
    (void)state;
    RertClassifyCourse c[3] = {
        {"RT1", no(RERT_ANSWER_SOURCE_OVERLAP),
         no(RERT_ANSWER_SOURCE_CLINICIAN), yes(RERT_ANSWER_SOURCE_CASE_FILE)},
        {"RT2", no(RERT_ANSWER_SOURCE_OVERLAP),
         yes(RERT_ANSWER_SOURCE_CLINICIAN), unknown},
        {"RT3", yes(RERT_ANSWER_SOURCE_OVERLAP), unknown, unknown},
    };
    RertClassifyResult r = classify(c, 3);
    assert_int_equal(r.category, RERT_CATEGORY_TYPE_1);
    assert_int_equal(r.deciding_course, 2);
    r = classify(c, 2);
    assert_int_equal(r.category, RERT_CATEGORY_TYPE_2);
    assert_int_equal(r.deciding_course, 1);
    /* RT3's overlap unknown: TYPE_2 or TYPE_1 possible -> undetermined */
    c[2].overlap = unknown;
    r = classify(c, 3);
    assert_int_equal(r.category, RERT_CATEGORY_UNDETERMINED);
    assert_int_equal(r.lowest_possible, RERT_CATEGORY_TYPE_2);
    assert_int_equal(r.highest_possible, RERT_CATEGORY_TYPE_1);
    assert_int_equal(r.deciding_course, SIZE_MAX);
    assert_int_equal(r.undetermined_count, 1);
    assert_false(r.is_reirradiation);
    /* RT3 known not to overlap, concern unknown: at most TYPE_2, which RT2
     * already is -> determined */
    c[2].overlap = no(RERT_ANSWER_SOURCE_OVERLAP);
    r = classify(c, 3);
    assert_int_equal(r.category, RERT_CATEGORY_TYPE_2);
    assert_int_equal(r.undetermined_count, 1);
    /* one course with only Q3 missing */
    RertClassifyCourse d = {"RT1", no(RERT_ANSWER_SOURCE_OVERLAP),
                            no(RERT_ANSWER_SOURCE_CLINICIAN), unknown};
    r = classify(&d, 1);
    assert_int_equal(r.category, RERT_CATEGORY_UNDETERMINED);
    assert_int_equal(r.lowest_possible, RERT_CATEGORY_REPEAT_IRRADIATION);
    assert_int_equal(r.highest_possible,
                     RERT_CATEGORY_REPEAT_ORGAN_IRRADIATION);
    assert_string_equal(rert_reirradiation_category_name(r.category),
                        "UNDETERMINED");
}

static void test_classify_invalid(void **state)
{
    (void)state;
    RertError err;
    RertClassifyResult r;
    RertClassifyCourse c = {"RT1",
                            {RERT_ANSWER_YES, RERT_ANSWER_SOURCE_NONE, NULL},
                            unknown,
                            unknown};
    assert_false(rert_classify_compute(&err, &c, 1, &r));
    assert_non_null(strstr(err.message, "RT1"));
    assert_non_null(strstr(err.message, "question 1"));
    assert_non_null(strstr(err.message, "without a source"));
    c.overlap = no(RERT_ANSWER_SOURCE_OVERLAP);
    c.same_organ.value = (RertAnswerValue)5;
    assert_false(rert_classify_compute(&err, &c, 1, &r));
    assert_non_null(strstr(err.message, "question 3"));
    c.same_organ = unknown;
    c.cumulative_concern.source = (RertAnswerSource)42;
    assert_false(rert_classify_compute(&err, &c, 1, &r));
    c.cumulative_concern = unknown;
    assert_true(rert_classify_compute(&err, &c, 1, &r));
    assert_false(rert_classify_compute(&err, &c, 0, &r));
    assert_false(rert_classify_compute(&err, NULL, 1, &r));
    assert_false(rert_classify_compute(&err, &c, 1, NULL));
    assert_string_equal(rert_answer_source_name(RERT_ANSWER_SOURCE_OVERLAP),
                        "computed_overlap");
    assert_string_equal(rert_answer_source_name(RERT_ANSWER_SOURCE_CONSTRAINTS),
                        "constraint_evaluation");
    assert_null(rert_answer_source_name((RertAnswerSource)-1));
}

/* ---- summation level */

static RertSummationLevel level(RertSummationKind k, bool dir, bool unc)
{
    RertSummationMethod m = {k, dir, unc};
    RertSummationLevel l = RERT_SUMMATION_LEVEL_COUNT;
    assert_true(rert_summation_level_compute(NULL, &m, &l));
    return l;
}

static void test_summation_levels(void **state)
{
    (void)state;
    assert_int_equal(level(RERT_SUM_NONE, false, false), RERT_SUMMATION_L0);
    assert_int_equal(level(RERT_SUM_NONE, true, true), RERT_SUMMATION_L0);
    assert_int_equal(level(RERT_SUM_DVH_PARAMETERS, false, true),
                     RERT_SUMMATION_L1);
    assert_int_equal(level(RERT_SUM_VOXEL_PHYSICAL, false, false),
                     RERT_SUMMATION_L2);
    assert_int_equal(level(RERT_SUM_VOXEL_PHYSICAL, true, true),
                     RERT_SUMMATION_L2);
    assert_int_equal(level(RERT_SUM_VOXEL_EQD2, false, false),
                     RERT_SUMMATION_L3);
    assert_int_equal(level(RERT_SUM_VOXEL_EQD2, true, false),
                     RERT_SUMMATION_L4);
    assert_int_equal(level(RERT_SUM_VOXEL_EQD2, false, true),
                     RERT_SUMMATION_L5);
    assert_int_equal(level(RERT_SUM_VOXEL_EQD2, true, true), RERT_SUMMATION_L5);
    for (int i = 0; i < (int)RERT_SUMMATION_LEVEL_COUNT; i++) {
        const RertSummationLevelInfo *info =
            rert_summation_level_info((RertSummationLevel)i);
        assert_non_null(info);
        assert_int_equal(info->level, i);
        assert_int_equal(info->key[0], 'L');
        assert_int_equal(info->key[1], '0' + i);
        assert_true(strlen(info->description) > 20);
    }
    assert_null(rert_summation_level_info(RERT_SUMMATION_LEVEL_COUNT));
    RertError err;
    RertSummationMethod m = {(RertSummationKind)9, false, false};
    RertSummationLevel l;
    assert_false(rert_summation_level_compute(&err, &m, &l));
    assert_non_null(strstr(err.message, "kind 9"));
    assert_false(rert_summation_level_compute(&err, NULL, &l));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t28_recovery_lookup),
        cmocka_unit_test(test_recovery_models_as_data),
        cmocka_unit_test(test_recovery_invalid),
        cmocka_unit_test(test_recovery_override_names),
        cmocka_unit_test(test_interval_months),
        cmocka_unit_test(test_t9_t10_conventions),
        cmocka_unit_test(test_t11_t7b_budget),
        cmocka_unit_test(test_budget_several_priors_and_no_budget),
        cmocka_unit_test(test_budget_invalid),
        cmocka_unit_test(test_budget_course_cap),
        cmocka_unit_test(test_recovery_defined_under),
        cmocka_unit_test(test_budget_map_voxels),
        cmocka_unit_test(test_budget_map_conventions),
        cmocka_unit_test(test_budget_map_invalid),
        cmocka_unit_test(test_budget_map_threads),
        cmocka_unit_test(test_overlap_synthetic),
        cmocka_unit_test(test_overlap_disjoint_and_invalid),
        cmocka_unit_test(test_t23_type1),
        cmocka_unit_test(test_t24_type2),
        cmocka_unit_test(test_t25_repeat),
        cmocka_unit_test(test_classify_courses),
        cmocka_unit_test(test_classify_invalid),
        cmocka_unit_test(test_summation_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
