/* Unit tests: patient-selection inputs, scores (boundaries, missing inputs,
 * unverified scores, reirradiation-science.md s9 T5 and T29 as verified)
 * and the decision checklist. */
#include <math.h>
#include <string.h>

#include <rert/selection.h>

#include "rert_test.h"

static void set_num(RertSelectionInput *in, RertSelectionField f, double v)
{
    RertError err;
    assert_true(rert_selection_input_set_number(&err, in, f, v));
}

static RertScoreResult compute(RertScoreId id, const RertSelectionInput *in)
{
    RertScoreResult r;
    RertError err;
    assert_true(rert_score_compute(&err, id, in, &r));
    return r;
}

/* Points of the factor reading @p field (NaN when unknown). */
static double factor_points(const RertScoreResult *r, RertSelectionField f)
{
    for (size_t i = 0; i < r->factor_count; i++) {
        if (r->factors[i].factor->field == f) {
            return r->factors[i].points;
        }
    }
    fail_msg("no factor for field %d", (int)f);
    return (double)NAN;
}

/* ---- input fields */

static void test_field_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < RERT_SEL_FIELD_COUNT; i++) {
        const RertSelectionFieldInfo *info =
            rert_selection_field_info((RertSelectionField)i);
        assert_non_null(info);
        assert_int_equal(info->field, i);
        assert_non_null(info->key);
        assert_ptr_equal(rert_selection_field_find(info->key), info);
        assert_non_null(info->description);
        if (info->kind == RERT_SEL_KIND_CHOICE) {
            assert_non_null(info->choices[0]);
            assert_non_null(info->choices[1]);
        }
    }
    assert_null(rert_selection_field_info(RERT_SEL_FIELD_COUNT));
    assert_null(rert_selection_field_find("Kps"));
    assert_null(rert_selection_field_find(NULL));
}

static void test_input_set_text(void **state)
{
    (void)state;
    RertSelectionInput in;
    RertError err;
    rert_selection_input_init(&in);
    for (size_t i = 0; i < RERT_SEL_FIELD_COUNT; i++) {
        assert_false(in.values[i].is_set);
    }
    assert_true(rert_selection_input_set_text(&err, &in, "kps", " 70 "));
    rert_assert_near(in.values[RERT_SEL_KPS].number, 70.0, 0, 0);
    assert_string_equal(in.values[RERT_SEL_KPS].text, "70");
    assert_true(
        rert_selection_input_set_text(&err, &in, "tumour_board", "Yes"));
    rert_assert_near(in.values[RERT_SEL_TUMOUR_BOARD].number, 1.0, 0, 0);
    assert_true(
        rert_selection_input_set_text(&err, &in, "neuro_symptoms", "steroids"));
    rert_assert_near(in.values[RERT_SEL_NEURO_SYMPTOMS].number, 2.0, 0, 0);
    assert_true(
        rert_selection_input_set_text(&err, &in, "comorbidity", "COPD GOLD 2"));
    assert_string_equal(in.values[RERT_SEL_COMORBIDITY].text, "COPD GOLD 2");

    /* Each failure names the key and leaves the field as it was. */
    assert_false(rert_selection_input_set_text(&err, &in, "kps", "7O"));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "kps"));
    assert_false(rert_selection_input_set_text(&err, &in, "kps", "120"));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "[0, 100]"));
    rert_assert_near(in.values[RERT_SEL_KPS].number, 70.0, 0, 0);
    assert_false(rert_selection_input_set_text(&err, &in, "ecog", "1.5"));
    assert_non_null(strstr(err.message, "whole"));
    assert_false(rert_selection_input_set_text(&err, &in, "tumour_board", "y"));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_false(
        rert_selection_input_set_text(&err, &in, "neuro_symptoms", "mild"));
    assert_non_null(strstr(err.message, "steroids"));
    assert_false(rert_selection_input_set_text(&err, &in, "kpss", "70"));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "kpss"));
    assert_false(rert_selection_input_set_text(&err, &in, "comorbidity", ""));
    char long_text[RERT_SELECTION_TEXT_SIZE + 1];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    assert_false(
        rert_selection_input_set_text(&err, &in, "comorbidity", long_text));
    assert_string_equal(in.values[RERT_SEL_COMORBIDITY].text, "COPD GOLD 2");
    assert_false(
        rert_selection_input_set_number(&err, &in, RERT_SEL_KPS, (double)NAN));
    assert_false(
        rert_selection_input_set_number(&err, &in, RERT_SEL_COMORBIDITY, 1));
    assert_false(rert_selection_input_set_number(&err, NULL, RERT_SEL_KPS, 1));
}

/* ---- Park 2010 */

static RertSelectionInput park_input(double eloquent, double kps, double cc)
{
    RertSelectionInput in;
    rert_selection_input_init(&in);
    set_num(&in, RERT_SEL_ELOQUENT_LOCATION, eloquent);
    set_num(&in, RERT_SEL_KPS, kps);
    set_num(&in, RERT_SEL_RECURRENCE_VOLUME_CC, cc);
    return in;
}

static void test_park_boundaries(void **state)
{
    (void)state;
    RertSelectionInput in = park_input(0, 80, 50);
    RertScoreResult r = compute(RERT_SCORE_PARK_2010, &in);
    assert_int_equal(r.status, RERT_SCORE_COMPUTED);
    rert_assert_near(factor_points(&r, RERT_SEL_KPS), 1.0, 0, 0);
    rert_assert_near(factor_points(&r, RERT_SEL_RECURRENCE_VOLUME_CC), 1.0, 0,
                     0);
    rert_assert_near(r.points, 2.0, 0, 0);
    assert_string_equal(r.group, "intermediate");
    assert_non_null(strstr(r.outcome, "4.5 months"));

    in = park_input(0, 80.5, 49.99);
    r = compute(RERT_SCORE_PARK_2010, &in);
    rert_assert_near(r.points, 0.0, 0, 0);
    assert_string_equal(r.group, "good");
    assert_non_null(strstr(r.outcome, "10.8"));

    in = park_input(1, 90, 10);
    r = compute(RERT_SCORE_PARK_2010, &in);
    rert_assert_near(r.points, 1.0, 0, 0);
    assert_string_equal(r.group, "intermediate");

    in = park_input(1, 60, 80);
    r = compute(RERT_SCORE_PARK_2010, &in);
    rert_assert_near(r.points, 3.0, 0, 0);
    assert_string_equal(r.group, "poor");
    assert_non_null(strstr(r.outcome, "1.0 month"));
    assert_string_equal(r.missing, "");
    assert_string_equal(r.definition->evidence_tag, "V");
    assert_int_equal(r.subtotal_count, 1);
    rert_assert_near(r.subtotals[0].min_points, 0.0, 0, 0);
    rert_assert_near(r.subtotals[0].max_points, 3.0, 0, 0);
}

static void test_park_missing(void **state)
{
    (void)state;
    RertSelectionInput in;
    rert_selection_input_init(&in);
    set_num(&in, RERT_SEL_KPS, 60);
    set_num(&in, RERT_SEL_RECURRENCE_VOLUME_CC, 80);
    RertScoreResult r = compute(RERT_SCORE_PARK_2010, &in);
    /* 2 points known, the third unknown: never guessed as 0 or 1 */
    assert_int_equal(r.status, RERT_SCORE_NOT_COMPUTABLE);
    assert_true(isnan(r.points));
    assert_null(r.group);
    assert_null(r.outcome);
    assert_string_equal(r.missing, "eloquent_location");
    assert_false(r.factors[0].is_known);
    assert_null(r.factors[0].band_label);
    assert_true(r.factors[1].is_known);

    rert_selection_input_init(&in);
    r = compute(RERT_SCORE_PARK_2010, &in);
    assert_string_equal(r.missing,
                        "eloquent_location, kps, recurrence_volume_cc");
}

/* ---- Krauze NCI 2017 */

static RertSelectionInput nci_full_input(void)
{
    RertSelectionInput in;
    rert_selection_input_init(&in);
    set_num(&in, RERT_SEL_AGE_YEARS, 55);                    /* 2 */
    set_num(&in, RERT_SEL_KPS, 80);                          /* 3 */
    set_num(&in, RERT_SEL_WHO_GRADE, 4);                     /* 1 */
    set_num(&in, RERT_SEL_NEURO_SYMPTOMS, 1);                /* present: 2 */
    set_num(&in, RERT_SEL_RECURRENCE_VOLUME_CC, 30);         /* 2 */
    set_num(&in, RERT_SEL_GLIOMATOSIS, 0);                   /* no override */
    set_num(&in, RERT_SEL_DISTANCE_TO_60GY_CM, 0);           /* within: 1 */
    set_num(&in, RERT_SEL_DIFFUSE_DISEASE, 0);               /* none: 3 */
    set_num(&in, RERT_SEL_OAR_DISTANCE_CM, 2);               /* 2 */
    set_num(&in, RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC, 95);     /* 2 */
    set_num(&in, RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS, 40); /* 3 */
    return in;
}

static void test_nci_full(void **state)
{
    (void)state;
    RertSelectionInput in = nci_full_input();
    RertScoreResult r = compute(RERT_SCORE_KRAUZE_NCI_2017, &in);
    assert_int_equal(r.status, RERT_SCORE_COMPUTED);
    assert_int_equal(r.subtotal_count, 4);
    assert_string_equal(r.subtotals[0].name, "independent_factors");
    rert_assert_near(r.subtotals[0].points, 8.0, 0, 0);
    rert_assert_near(r.subtotals[0].min_points, 4.0, 0, 0);
    rert_assert_near(r.subtotals[0].max_points, 12.0, 0, 0);
    rert_assert_near(r.subtotals[1].points, 6.0, 0, 0);
    rert_assert_near(r.subtotals[1].min_points, 3.0, 0, 0);
    rert_assert_near(r.subtotals[1].max_points, 9.0, 0, 0);
    rert_assert_near(r.subtotals[2].points, 7.0, 0, 0);
    rert_assert_near(r.subtotals[3].points, 14.0, 0, 0);
    rert_assert_near(r.subtotals[3].max_points, 21.0, 0, 0);
    rert_assert_near(r.points, 8.0, 0, 0);
    assert_null(r.group); /* the source gives no grouping */
    assert_int_equal(r.warning_count, 2);
    assert_non_null(strstr(r.warnings[0], "OAR-location"));
    assert_non_null(strstr(r.warnings[1], "misprint"));
}

static double nci_points(RertSelectionField f, double v)
{
    RertSelectionInput in = nci_full_input();
    set_num(&in, f, v);
    RertScoreResult r = compute(RERT_SCORE_KRAUZE_NCI_2017, &in);
    return factor_points(&r, f);
}

static void test_nci_boundaries(void **state)
{
    (void)state;
    static const struct {
        RertSelectionField field;
        double value;
        double points;
    } cases[] = {
        {RERT_SEL_AGE_YEARS, 49.9, 3},
        {RERT_SEL_AGE_YEARS, 50, 2},
        {RERT_SEL_AGE_YEARS, 60, 2},
        {RERT_SEL_AGE_YEARS, 60.1, 1},
        {RERT_SEL_KPS, 49, 1},
        {RERT_SEL_KPS, 50, 2},
        {RERT_SEL_KPS, 70, 2},
        {RERT_SEL_KPS, 71, 3},
        {RERT_SEL_WHO_GRADE, 2, 3},
        {RERT_SEL_WHO_GRADE, 3, 2},
        {RERT_SEL_NEURO_SYMPTOMS, 0, 3},
        {RERT_SEL_NEURO_SYMPTOMS, 2, 1},
        {RERT_SEL_RECURRENCE_VOLUME_CC, 19.9, 3},
        {RERT_SEL_RECURRENCE_VOLUME_CC, 20, 2},
        {RERT_SEL_RECURRENCE_VOLUME_CC, 500, 2},
        {RERT_SEL_RECURRENCE_VOLUME_CC, 500.1, 1},
        {RERT_SEL_DISTANCE_TO_60GY_CM, 0.99, 1},
        {RERT_SEL_DISTANCE_TO_60GY_CM, 1, 2},
        {RERT_SEL_DISTANCE_TO_60GY_CM, 3, 2},
        {RERT_SEL_DISTANCE_TO_60GY_CM, 3.01, 3},
        {RERT_SEL_DIFFUSE_DISEASE, 1, 2},
        {RERT_SEL_DIFFUSE_DISEASE, 2, 1},
        {RERT_SEL_OAR_DISTANCE_CM, 0, 1},
        {RERT_SEL_OAR_DISTANCE_CM, 1, 2},
        {RERT_SEL_OAR_DISTANCE_CM, 3, 2},
        {RERT_SEL_OAR_DISTANCE_CM, 3.5, 3},
        {RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC, 89.9, 1},
        {RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC, 90, 2},
        {RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC, 110, 2},
        {RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC, 110.1, 3},
        {RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS, 11.9, 1},
        {RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS, 12, 2},
        {RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS, 36, 2},
        {RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS, 36.1, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double got = nci_points(cases[i].field, cases[i].value);
        if (got != cases[i].points) {
            fail_msg("field %d value %g: %g points, expected %g",
                     (int)cases[i].field, cases[i].value, got, cases[i].points);
        }
    }
}

static void test_nci_gliomatosis_and_missing(void **state)
{
    (void)state;
    /* gliomatosis = yes scores 1 whatever the volume, even unset */
    RertSelectionInput in = nci_full_input();
    in.values[RERT_SEL_RECURRENCE_VOLUME_CC].is_set = false;
    set_num(&in, RERT_SEL_GLIOMATOSIS, 1);
    RertScoreResult r = compute(RERT_SCORE_KRAUZE_NCI_2017, &in);
    rert_assert_near(factor_points(&r, RERT_SEL_RECURRENCE_VOLUME_CC), 1, 0, 0);
    assert_int_equal(r.status, RERT_SCORE_COMPUTED);

    /* gliomatosis unknown: a small GTV is not scored (it could be 1) ... */
    in = nci_full_input();
    in.values[RERT_SEL_GLIOMATOSIS].is_set = false;
    r = compute(RERT_SCORE_KRAUZE_NCI_2017, &in);
    assert_true(isnan(factor_points(&r, RERT_SEL_RECURRENCE_VOLUME_CC)));
    assert_int_equal(r.status, RERT_SCORE_PARTIAL);
    assert_string_equal(r.missing, "gliomatosis");
    assert_true(r.subtotals[0].is_computed);
    assert_false(r.subtotals[1].is_computed);
    assert_true(isnan(r.subtotals[1].points));
    assert_true(r.subtotals[2].is_computed);
    assert_false(r.subtotals[3].is_computed);
    /* ... but a GTV > 500 cm3 scores 1 either way */
    set_num(&in, RERT_SEL_RECURRENCE_VOLUME_CC, 600);
    r = compute(RERT_SCORE_KRAUZE_NCI_2017, &in);
    rert_assert_near(factor_points(&r, RERT_SEL_RECURRENCE_VOLUME_CC), 1, 0, 0);
    assert_int_equal(r.status, RERT_SCORE_COMPUTED);

    /* WHO grade I is not in the source's table: not computable */
    in = nci_full_input();
    set_num(&in, RERT_SEL_WHO_GRADE, 1);
    r = compute(RERT_SCORE_KRAUZE_NCI_2017, &in);
    assert_non_null(strstr(r.missing, "who_grade (value outside"));
    assert_false(r.subtotals[0].is_computed);
    assert_true(isnan(r.points));

    rert_selection_input_init(&in);
    r = compute(RERT_SCORE_KRAUZE_NCI_2017, &in);
    assert_int_equal(r.status, RERT_SCORE_NOT_COMPUTABLE);
    assert_int_equal(r.warning_count, 0);
}

/* ---- Nieder 2006 cord rule (T5, T29) */

static RertScoreResult nieder(double cumulative, double course, double months)
{
    RertSelectionInput in;
    rert_selection_input_init(&in);
    if (!isnan(cumulative)) {
        set_num(&in, RERT_SEL_CORD_CUMULATIVE_BED_GY2, cumulative);
    }
    if (!isnan(course)) {
        set_num(&in, RERT_SEL_CORD_HIGHEST_COURSE_BED_GY2, course);
    }
    if (!isnan(months)) {
        set_num(&in, RERT_SEL_CORD_SHORTEST_INTERVAL_MONTHS, months);
    }
    return compute(RERT_SCORE_NIEDER_2006_CORD, &in);
}

static void test_nieder_t5_bed(void **state)
{
    (void)state;
    RertError err;
    double bed = 0;
    assert_true(rert_selection_bed_from_eqd2(&err, 67.75, 2.0, &bed));
    rert_assert_near(bed, 135.5, 1e-12, 0);
    assert_true(rert_selection_bed_from_eqd2(&err, 49.0, 2.0, &bed));
    rert_assert_near(bed, 98.0, 1e-12, 0);
    assert_true(rert_selection_bed_from_eqd2(&err, 60.0, 2.0, &bed));
    rert_assert_near(bed, 120.0, 1e-12, 0);
    /* T3: 50 Gy/25 fx = 100 Gy2 = 75 Gy4; EQD2 at ab 4 is 50 Gy */
    assert_true(rert_selection_bed_from_eqd2(&err, 50.0, 4.0, &bed));
    rert_assert_near(bed, 75.0, 1e-12, 0);
    assert_false(rert_selection_bed_from_eqd2(&err, -1.0, 2.0, &bed));
    assert_false(rert_selection_bed_from_eqd2(&err, 10.0, 0.0, &bed));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
}

static void test_nieder_boundaries(void **state)
{
    (void)state;
    const RertScoreDefinition *d =
        rert_score_definition(RERT_SCORE_NIEDER_2006_CORD);
    RertScoreResult r = nieder(120.0, 98.0, 6.0);
    assert_int_equal(r.status, RERT_SCORE_COMPUTED);
    assert_string_equal(r.group, d->groups[0].label);
    assert_non_null(strstr(r.outcome, "no case"));
    assert_true(isnan(r.points));
    for (size_t i = 0; i < r.factor_count; i++) {
        assert_true(r.factors[i].is_condition_met);
        assert_true(isnan(r.factors[i].points));
    }
    r = nieder(120.01, 98.0, 6.0);
    assert_string_equal(r.group, d->groups[1].label);
    r = nieder(135.5, 98.0, 6.0);
    assert_string_equal(r.group, d->groups[1].label);
    assert_non_null(strstr(r.outcome, "appears small"));
    r = nieder(135.51, 98.0, 6.0);
    assert_string_equal(r.group, d->groups[2].label);
    r = nieder(100.0, 98.01, 6.0);
    assert_string_equal(r.group, d->groups[2].label);
    assert_false(r.factors[1].is_condition_met);
    r = nieder(100.0, 50.0, 5.99);
    assert_string_equal(r.group, d->groups[2].label);
    assert_false(r.factors[0].is_condition_met);
    assert_true(r.factors[1].is_condition_met);
}

static void test_nieder_t29_and_missing(void **state)
{
    (void)state;
    /* T29 inputs. The 2005 points (4 + 4.5 + 4.5 = 13, "high") are not
     * verified; the verified 2006 rule places the case outside its
     * low-risk conditions, with every condition failed. */
    RertScoreResult r = nieder(155.0, 110.0, 4.0);
    assert_int_equal(r.status, RERT_SCORE_COMPUTED);
    assert_non_null(strstr(r.group, "outside"));
    assert_non_null(strstr(r.outcome, "not the 'high-risk' group"));
    for (size_t i = 0; i < r.factor_count; i++) {
        assert_false(r.factors[i].is_condition_met);
    }
    RertScoreResult p =
        compute(RERT_SCORE_NIEDER_2005_POINTS, &(RertSelectionInput){0});
    assert_int_equal(p.status, RERT_SCORE_NOT_VERIFIED);

    /* one input missing, the others met: not computable */
    r = nieder((double)NAN, 90.0, 12.0);
    assert_int_equal(r.status, RERT_SCORE_NOT_COMPUTABLE);
    assert_null(r.group);
    assert_string_equal(r.missing, "cord_cumulative_bed_gy2");
    /* one input missing, a known one failed: outside, partial */
    r = nieder((double)NAN, 90.0, 3.0);
    assert_int_equal(r.status, RERT_SCORE_PARTIAL);
    assert_non_null(strstr(r.group, "outside"));
    assert_string_equal(r.missing, "cord_cumulative_bed_gy2");
}

/* ---- unverified scores */

static void test_unverified_scores(void **state)
{
    (void)state;
    static const RertScoreId ids[] = {
        RERT_SCORE_NIEDER_2005_POINTS, RERT_SCORE_MIRI_RPA_2018,
        RERT_SCORE_COMBS_2013, RERT_SCORE_KESSEL_2017};
    /* T26 inputs (interval 30 months, resected): no class is invented */
    RertSelectionInput in;
    rert_selection_input_init(&in);
    set_num(&in, RERT_SEL_INTERVAL_SINCE_PRIOR_RT_MONTHS, 30);
    set_num(&in, RERT_SEL_SALVAGE_SURGERY, 1);
    set_num(&in, RERT_SEL_FEEDING_TUBE_OR_TRACHEOSTOMY, 0);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        RertScoreResult r = compute(ids[i], &in);
        assert_int_equal(r.status, RERT_SCORE_NOT_VERIFIED);
        assert_string_equal(rert_score_status_name(r.status), "not_verified");
        assert_true(isnan(r.points));
        assert_null(r.group);
        assert_int_equal(r.factor_count, 0);
        assert_string_equal(r.definition->evidence_tag, "R");
        assert_non_null(strstr(r.definition->verification, "Not"));
        assert_int_equal(r.definition->kind, RERT_SCORE_KIND_UNVERIFIED);
    }
    const RertScoreDefinition *miri =
        rert_score_definition(RERT_SCORE_MIRI_RPA_2018);
    assert_non_null(strstr(miri->caveats, "C = 0.526"));
}

/* ---- the tables themselves */

static bool bands_overlap(const RertScoreBand *a, const RertScoreBand *b)
{
    /* a ends before b starts, or b before a, else they share a point */
    bool a_first =
        a->high < b->low ||
        (a->high == b->low && !(a->is_high_inclusive && b->is_low_inclusive));
    bool b_first =
        b->high < a->low ||
        (b->high == a->low && !(b->is_high_inclusive && a->is_low_inclusive));
    return !(a_first || b_first);
}

static void check_factor(const RertScoreDefinition *d, const RertScoreFactor *f)
{
    const RertSelectionFieldInfo *info = rert_selection_field_info(f->field);
    assert_non_null(info);
    for (size_t i = 0; i < f->band_count; i++) {
        assert_non_null(f->bands[i].label);
        for (size_t j = i + 1; j < f->band_count; j++) {
            if (bands_overlap(&f->bands[i], &f->bands[j])) {
                fail_msg("%s: %s bands '%s' and '%s' overlap", d->key, f->name,
                         f->bands[i].label, f->bands[j].label);
            }
        }
    }
    /* every valid input value falls in a band (grade I excepted, which
     * the NCI table does not list) */
    double step = info->kind == RERT_SEL_KIND_NUMBER ? 0.25 : 1.0;
    for (double x = info->min; x <= fmin(info->max, 1200.0); x += step) {
        bool found = false;
        for (size_t i = 0; i < f->band_count && !found; i++) {
            const RertScoreBand *b = &f->bands[i];
            found = (b->is_low_inclusive ? x >= b->low : x > b->low) &&
                    (b->is_high_inclusive ? x <= b->high : x < b->high);
        }
        if (!found && !(f->field == RERT_SEL_WHO_GRADE && x == 1.0)) {
            fail_msg("%s: %s has no band for %g", d->key, f->name, x);
        }
    }
}

static void test_tables(void **state)
{
    (void)state;
    for (size_t id = 0; id < RERT_SCORE_COUNT; id++) {
        const RertScoreDefinition *d = rert_score_definition((RertScoreId)id);
        assert_non_null(d);
        assert_int_equal(d->id, id);
        for (size_t k = 0; k < id; k++) {
            assert_string_not_equal(d->key,
                                    rert_score_definition((RertScoreId)k)->key);
        }
        assert_non_null(d->source);
        assert_non_null(d->verification);
        assert_non_null(d->caveats);
        assert_non_null(d->outcome_summary);
        assert_true(d->factor_count <= RERT_SCORE_MAX_FACTORS);
        for (size_t i = 0; i < d->factor_count; i++) {
            check_factor(d, &d->factors[i]);
        }
        /* groups cover every reachable whole total of a POINTS score */
        if (d->kind == RERT_SCORE_KIND_POINTS && d->group_count > 0) {
            for (double t = 0; t <= (double)d->factor_count; t += 1.0) {
                size_t hits = 0;
                for (size_t g = 0; g < d->group_count; g++) {
                    hits += t >= d->groups[g].low_points &&
                            t <= d->groups[g].high_points;
                }
                assert_int_equal(hits, 1);
            }
        }
    }
    assert_null(rert_score_definition(RERT_SCORE_COUNT));
    RertError err;
    RertScoreResult r;
    assert_false(rert_score_compute(&err, RERT_SCORE_COUNT,
                                    &(RertSelectionInput){0}, &r));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_false(rert_score_compute(&err, RERT_SCORE_PARK_2010, NULL, &r));
}

/* ---- checklist */

static const RertChecklistEntry *entry(const RertChecklistResult *c,
                                       const char *id)
{
    for (size_t i = 0; i < c->entry_count; i++) {
        if (strcmp(c->entries[i].item->id, id) == 0) {
            return &c->entries[i];
        }
    }
    fail_msg("no checklist item %s", id);
    return NULL;
}

static void test_checklist_not_assessed(void **state)
{
    (void)state;
    RertChecklistResult c;
    RertError err;
    RertSelectionInput in;
    rert_selection_input_init(&in);
    assert_true(rert_checklist_fill(&err, &in, &c));
    assert_int_equal(c.entry_count, rert_checklist_item_count());
    assert_int_equal(c.answered_count, 0);
    assert_int_equal(c.not_assessed_count, c.entry_count);
    size_t groups[3] = {0, 0, 0};
    for (size_t i = 0; i < c.entry_count; i++) {
        const RertChecklistEntry *e = &c.entries[i];
        assert_int_equal(e->status, RERT_CHECKLIST_NOT_ASSESSED);
        assert_string_equal(rert_checklist_status_name(e->status),
                            "not_assessed");
        assert_string_equal(e->value, "");
        assert_ptr_equal(e->item, rert_checklist_item_get(i));
        assert_non_null(e->item->question);
        assert_non_null(e->item->source);
        assert_true(e->item->field_count >= 1 &&
                    e->item->field_count <= RERT_CHECKLIST_MAX_FIELDS);
        groups[e->item->group]++;
    }
    assert_true(groups[0] > 0 && groups[1] > 0 && groups[2] > 0);
    assert_null(rert_checklist_item_get(c.entry_count));
    assert_false(rert_checklist_fill(&err, NULL, &c));
}

static void test_checklist_answered(void **state)
{
    (void)state;
    RertChecklistResult c;
    RertError err;
    RertSelectionInput in;
    rert_selection_input_init(&in);
    assert_true(rert_selection_input_set_text(&err, &in, "kps", "70"));
    assert_true(rert_selection_input_set_text(&err, &in, "tumour_board", "no"));
    assert_true(rert_selection_input_set_text(&err, &in, "extent", "local"));
    set_num(&in, RERT_SEL_INTERVAL_SINCE_PRIOR_RT_MONTHS, 18.5);
    assert_true(rert_checklist_fill(&err, &in, &c));
    assert_string_equal(entry(&c, "P1")->value, "kps=70 %");
    assert_int_equal(entry(&c, "P1")->status, RERT_CHECKLIST_ANSWERED);
    /* "no" is shown as given: answered, not judged */
    assert_string_equal(entry(&c, "P9")->value, "tumour_board=no");
    assert_string_equal(entry(&c, "T6")->value, "extent=local");
    assert_string_equal(entry(&c, "T5")->value,
                        "interval_since_prior_rt_months=18.5 months");
    assert_int_equal(entry(&c, "P2")->status, RERT_CHECKLIST_NOT_ASSESSED);
    assert_int_equal(c.answered_count, 4);
    assert_int_equal(c.not_assessed_count, c.entry_count - 4);

    set_num(&in, RERT_SEL_ECOG, 1);
    assert_true(rert_checklist_fill(&err, &in, &c));
    assert_string_equal(entry(&c, "P1")->value, "kps=70 %; ecog=1");
    assert_string_equal(rert_checklist_group_name(entry(&c, "R1")->item->group),
                        "treatment");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_table),
        cmocka_unit_test(test_input_set_text),
        cmocka_unit_test(test_park_boundaries),
        cmocka_unit_test(test_park_missing),
        cmocka_unit_test(test_nci_full),
        cmocka_unit_test(test_nci_boundaries),
        cmocka_unit_test(test_nci_gliomatosis_and_missing),
        cmocka_unit_test(test_nieder_t5_bed),
        cmocka_unit_test(test_nieder_boundaries),
        cmocka_unit_test(test_nieder_t29_and_missing),
        cmocka_unit_test(test_unverified_scores),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_checklist_not_assessed),
        cmocka_unit_test(test_checklist_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
