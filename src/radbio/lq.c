/* Scalar LQ / LQ-L: BED, EQDx, overall time, incomplete repair and the
 * remaining-budget solver (reirradiation-science.md s3.1-3.4, s3.6;
 * Astrahan 2008 for LQ-L; Thames 1985 h-factor). Doses in Gy. */
#include <math.h>

#include <rert/radbio.h>

#include "internal.h"

/* More fractions a day than hours in it is not a schedule. */
#define RADBIO_MAX_FRACTIONS_PER_DAY 24u

RertLqModel rert_lq_model_default(void)
{
    RertLqModel m = {RERT_LQ_MODEL_LQ, 0.0, 0.0};
    return m;
}

bool radbio_model_check(RertError *err, const RertLqModel *model)
{
    if (model == NULL || model->kind == RERT_LQ_MODEL_LQ) {
        return true;
    }
    if (model->kind != RERT_LQ_MODEL_LQL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "model kind = %d, expected LQ (%d) or LQ-L (%d)",
                              (int)model->kind, (int)RERT_LQ_MODEL_LQ,
                              (int)RERT_LQ_MODEL_LQL);
    }
    return check_finite_min(err, "LQ-L transition_dose_gy",
                            model->transition_dose_gy, 0.0, false) &&
           check_finite_min(err, "LQ-L linear_slope_ratio",
                            model->linear_slope_ratio, 0.0, true);
}

/* Guards shared by the forward functions. */
static bool check_course(RertError *err,
                         const RertLqModel *model,
                         double dose_gy,
                         unsigned n_fractions,
                         double ab_gy)
{
    return radbio_model_check(err, model) &&
           check_finite_min(err, "dose_gy", dose_gy, 0.0, true) &&
           check_fractions(err, "n_fractions", n_fractions) &&
           check_finite_min(err, "ab_gy", ab_gy, 0.0, false);
}

bool rert_lq_bed_compute(RertError *err,
                         const RertLqModel *model,
                         double dose_gy,
                         unsigned n_fractions,
                         double ab_gy,
                         double *bed_gy)
{
    if (!check_out(err, "bed_gy", bed_gy) ||
        !check_course(err, model, dose_gy, n_fractions, ab_gy)) {
        return false;
    }
    LqForm form = lq_form_make(model);
    *bed_gy = lq_bed(&form, dose_gy, (double)n_fractions, ab_gy);
    return true;
}

bool rert_lq_bed_to_eqdx(
    RertError *err, double bed_gy, double ab_gy, double x_gy, double *eqdx_gy)
{
    if (!check_out(err, "eqdx_gy", eqdx_gy) ||
        !check_finite_min(err, "bed_gy", bed_gy, 0.0, true) ||
        !check_finite_min(err, "ab_gy", ab_gy, 0.0, false) ||
        !check_finite_min(err, "x_gy", x_gy, 0.0, true)) {
        return false;
    }
    *eqdx_gy = bed_gy / (1.0 + x_gy / ab_gy);
    return true;
}

bool rert_lq_eqdx_to_bed(
    RertError *err, double eqdx_gy, double ab_gy, double x_gy, double *bed_gy)
{
    if (!check_out(err, "bed_gy", bed_gy) ||
        !check_finite_min(err, "eqdx_gy", eqdx_gy, 0.0, true) ||
        !check_finite_min(err, "ab_gy", ab_gy, 0.0, false) ||
        !check_finite_min(err, "x_gy", x_gy, 0.0, true)) {
        return false;
    }
    *bed_gy = eqdx_gy * (1.0 + x_gy / ab_gy);
    return true;
}

bool rert_lq_eqdx_compute(RertError *err,
                          const RertLqModel *model,
                          double dose_gy,
                          unsigned n_fractions,
                          double ab_gy,
                          double x_gy,
                          double *eqdx_gy)
{
    double bed = 0.0;
    if (!check_out(err, "eqdx_gy", eqdx_gy) ||
        !check_finite_min(err, "x_gy", x_gy, 0.0, true) ||
        !rert_lq_bed_compute(err, model, dose_gy, n_fractions, ab_gy, &bed)) {
        return false;
    }
    *eqdx_gy = bed / (1.0 + x_gy / ab_gy);
    return true;
}

bool rert_lq_eqd2_compute(RertError *err,
                          const RertLqModel *model,
                          double dose_gy,
                          unsigned n_fractions,
                          double ab_gy,
                          double *eqd2_gy)
{
    return rert_lq_eqdx_compute(err, model, dose_gy, n_fractions, ab_gy,
                                RERT_EQD2_REFERENCE_GY, eqd2_gy);
}

/* max(0, T - Tk) after checking both times. */
static bool overtime_days(RertError *err,
                          double overall_time_days,
                          double kickoff_days,
                          double *over)
{
    if (!check_finite_min(err, "overall_time_days", overall_time_days, 0.0,
                          true) ||
        !check_finite_min(err, "kickoff_days", kickoff_days, 0.0, true)) {
        return false;
    }
    *over = fmax(0.0, overall_time_days - kickoff_days);
    return true;
}

bool rert_lq_eqd2_time_correct(RertError *err,
                               double eqd2_gy,
                               double overall_time_days,
                               double kickoff_days,
                               double dprolif_gy_per_day,
                               double *eqd2_t_gy)
{
    double over = 0.0;
    if (!check_out(err, "eqd2_t_gy", eqd2_t_gy) ||
        !check_finite(err, "eqd2_gy", eqd2_gy) ||
        !check_finite_min(err, "dprolif_gy_per_day", dprolif_gy_per_day, 0.0,
                          true) ||
        !overtime_days(err, overall_time_days, kickoff_days, &over)) {
        return false;
    }
    *eqd2_t_gy = eqd2_gy - dprolif_gy_per_day * over;
    return true;
}

bool rert_lq_bed_time_correct(RertError *err,
                              double bed_gy,
                              double overall_time_days,
                              double kickoff_days,
                              double alpha_per_gy,
                              double tpot_days,
                              double *bed_t_gy)
{
    double over = 0.0;
    if (!check_out(err, "bed_t_gy", bed_t_gy) ||
        !check_finite(err, "bed_gy", bed_gy) ||
        !check_finite_min(err, "alpha_per_gy", alpha_per_gy, 0.0, false) ||
        !check_finite_min(err, "tpot_days", tpot_days, 0.0, false) ||
        !overtime_days(err, overall_time_days, kickoff_days, &over)) {
        return false;
    }
    *bed_t_gy = bed_gy - log(2.0) * over / (alpha_per_gy * tpot_days);
    return true;
}

bool rert_lq_hfactor_compute(RertError *err,
                             unsigned fractions_per_day,
                             double interval_h,
                             double repair_halftime_h,
                             double *h_factor)
{
    if (!check_out(err, "h_factor", h_factor) ||
        !check_fractions(err, "fractions_per_day", fractions_per_day) ||
        !check_finite_min(err, "interval_h", interval_h, 0.0, false) ||
        !check_finite_min(err, "repair_halftime_h", repair_halftime_h, 0.0,
                          false)) {
        return false;
    }
    if (fractions_per_day > RADBIO_MAX_FRACTIONS_PER_DAY) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "fractions_per_day = %u, expected <= %u",
                              fractions_per_day, RADBIO_MAX_FRACTIONS_PER_DAY);
    }
    /* (2/m)(theta/(1-theta))(m - (1-theta^m)/(1-theta)) expanded as
     * (2/m) sum_{k=1}^{m-1} (m-k) theta^k: equal, and without the 0/0 of
     * theta -> 1 (interval much shorter than the half-time). */
    double theta = exp(-log(2.0) * interval_h / repair_halftime_h);
    double sum = 0.0;
    double theta_k = 1.0;
    for (unsigned k = 1; k < fractions_per_day; k++) {
        theta_k *= theta;
        sum += (double)(fractions_per_day - k) * theta_k;
    }
    *h_factor = 2.0 / (double)fractions_per_day * sum;
    return true;
}

bool rert_lq_bed_repair_compute(RertError *err,
                                double dose_gy,
                                unsigned n_fractions,
                                double ab_gy,
                                double h_factor,
                                double *bed_gy)
{
    if (!check_out(err, "bed_gy", bed_gy) ||
        !check_course(err, NULL, dose_gy, n_fractions, ab_gy) ||
        !check_finite_min(err, "h_factor", h_factor, 0.0, true)) {
        return false;
    }
    double d = dose_gy / (double)n_fractions;
    *bed_gy = dose_gy * (1.0 + (d / ab_gy) * (1.0 + h_factor));
    return true;
}

bool rert_lq_max_dose_bed_compute(RertError *err,
                                  const RertLqModel *model,
                                  double remaining_bed_gy,
                                  unsigned n_fractions,
                                  double ab_gy,
                                  RertMaxDose *out)
{
    if (!check_out(err, "out", out) || !radbio_model_check(err, model) ||
        !check_finite(err, "remaining_bed_gy", remaining_bed_gy) ||
        !check_fractions(err, "n_fractions", n_fractions) ||
        !check_finite_min(err, "ab_gy", ab_gy, 0.0, false)) {
        return false;
    }
    RertMaxDose r = {0.0, 0.0, false, false};
    if (remaining_bed_gy > 0.0) {
        LqForm form = lq_form_make(model);
        double n = (double)n_fractions;
        r.dose_per_fraction_gy = lq_max_dose_per_fraction(
            &form, remaining_bed_gy / n, ab_gy, &r.is_linear_branch);
        r.total_dose_gy = n * r.dose_per_fraction_gy;
        r.has_budget = true;
    }
    *out = r;
    return true;
}

bool rert_lq_max_dose_compute(RertError *err,
                              const RertLqModel *model,
                              double remaining_eqdx_gy,
                              double x_gy,
                              unsigned n_fractions,
                              double ab_gy,
                              RertMaxDose *out)
{
    if (!check_finite(err, "remaining_eqdx_gy", remaining_eqdx_gy) ||
        !check_finite_min(err, "x_gy", x_gy, 0.0, true) ||
        !check_finite_min(err, "ab_gy", ab_gy, 0.0, false)) {
        return false;
    }
    double bed = remaining_eqdx_gy * (1.0 + x_gy / ab_gy);
    return rert_lq_max_dose_bed_compute(err, model, bed, n_fractions, ab_gy,
                                        out);
}
