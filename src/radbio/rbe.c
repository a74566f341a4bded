/* Proton RBE: constant RBE and the LET-based RBEmax/RBEmin formalism
 * (alpha_p = RBEmax alpha_x, beta_p = RBEmin^2 beta_x; matRad
 * matRad_RBEminMax.m), with the model coefficients kept as data.
 * reirradiation-science.md s3.7. LETd in keV/um, doses in Gy. */
#include <math.h>
#include <stddef.h>

#include <rert/radbio.h>

#include "internal.h"

/* Coefficients as published; the verification tag follows each source. */
static const RertRbeModel rbe_models[RERT_RBE_MODEL_COUNT] = {
    [RERT_RBE_MODEL_MCNAMARA_2015] =
        {
            .name = "mcnamara2015",
            .source = "McNamara AL, Schuemann J, Paganetti H. Phys Med Biol "
                      "2015;60:8399. p0..p3 = 0.99064, 0.35605, 1.1012, "
                      "-0.0038703 [V] (BJR 2020;93:20190334 Table 1; matRad "
                      "p1-p3; matRad's p0 0.999064 differs from the paper)",
            .rbemax_p0 = 0.99064,
            .rbemax_p1 = 0.35605,
            .rbemin_p0 = 1.1012,
            .rbemin_p1_sqrt_ab = -0.0038703,
            .rbemin_p1_over_ab = 0.0,
        },
    [RERT_RBE_MODEL_WEDENBERG_2013] =
        {
            .name = "wedenberg2013",
            .source = "Wedenberg M et al. Acta Oncol 2013: RBEmax = 1 + "
                      "0.434 LETd/ab, RBEmin = 1 [V] (matRad; BJR "
                      "2020;93:20190334 Table 1)",
            .rbemax_p0 = 1.0,
            .rbemax_p1 = 0.434,
            .rbemin_p0 = 1.0,
            .rbemin_p1_sqrt_ab = 0.0,
            .rbemin_p1_over_ab = 0.0,
        },
    [RERT_RBE_MODEL_CARABE_2012] =
        {
            .name = "carabe2012",
            .source = "Carabe A et al. 2012: RBEmax = 0.843 + 0.154*2.686 "
                      "LETd/ab, RBEmin = 1.09 + 0.006*2.686 LETd/ab [V] "
                      "(matRad; BJR 2020;93:20190334 Table 1)",
            .rbemax_p0 = 0.843,
            .rbemax_p1 = 0.154 * 2.686,
            .rbemin_p0 = 1.09,
            .rbemin_p1_sqrt_ab = 0.0,
            .rbemin_p1_over_ab = 0.006 * 2.686,
        },
};

const RertRbeModel *rert_rbe_model_get(RertRbeModelId id)
{
    if ((int)id < 0 || id >= RERT_RBE_MODEL_COUNT) {
        return NULL;
    }
    return &rbe_models[id];
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ascii_equal_nocase(const char *a, const char *b)
{
    while (*a != '\0' && ascii_lower(*a) == ascii_lower(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

const RertRbeModel *rert_rbe_model_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < (size_t)RERT_RBE_MODEL_COUNT; i++) {
        if (ascii_equal_nocase(name, rbe_models[i].name)) {
            return &rbe_models[i];
        }
    }
    return NULL;
}

bool rert_rbe_limits_compute(RertError *err,
                             const RertRbeModel *model,
                             double letd_kev_um,
                             double ab_gy,
                             double *rbemax,
                             double *rbemin)
{
    if (!check_out(err, "model", model) || !check_out(err, "rbemax", rbemax) ||
        !check_out(err, "rbemin", rbemin) ||
        !check_finite_min(err, "letd_kev_um", letd_kev_um, 0.0, true) ||
        !check_finite_min(err, "ab_gy", ab_gy, 0.0, false)) {
        return false;
    }
    rbe_limits(model, letd_kev_um, ab_gy, rbemax, rbemin);
    return true;
}

bool rert_rbe_variable_compute(RertError *err,
                               double rbemax,
                               double rbemin,
                               double ab_gy,
                               double dose_per_fraction_gy,
                               double *rbe)
{
    if (!check_out(err, "rbe", rbe) ||
        !check_finite_min(err, "rbemax", rbemax, 0.0, false) ||
        !check_finite(err, "rbemin", rbemin) ||
        !check_finite_min(err, "ab_gy", ab_gy, 0.0, false) ||
        !check_finite_min(err, "dose_per_fraction_gy", dose_per_fraction_gy,
                          0.0, true)) {
        return false;
    }
    *rbe = rbe_from_limits(rbemax, rbemin, ab_gy, dose_per_fraction_gy);
    return true;
}

bool rert_rbe_model_compute(RertError *err,
                            const RertRbeModel *model,
                            double letd_kev_um,
                            double ab_gy,
                            double dose_per_fraction_gy,
                            double *rbe)
{
    double rbemax = 0.0;
    double rbemin = 0.0;
    return rert_rbe_limits_compute(err, model, letd_kev_um, ab_gy, &rbemax,
                                   &rbemin) &&
           rert_rbe_variable_compute(err, rbemax, rbemin, ab_gy,
                                     dose_per_fraction_gy, rbe);
}

bool rert_rbe_dose_weight(RertError *err,
                          double physical_gy,
                          double rbe,
                          double *rbe_weighted_gy)
{
    if (!check_out(err, "rbe_weighted_gy", rbe_weighted_gy) ||
        !check_finite_min(err, "physical_gy", physical_gy, 0.0, true) ||
        !check_finite_min(err, "rbe", rbe, 0.0, false)) {
        return false;
    }
    *rbe_weighted_gy = rbe * physical_gy;
    return true;
}

bool rert_rbe_dose_unweight(RertError *err,
                            double rbe_weighted_gy,
                            double rbe,
                            double *physical_gy)
{
    if (!check_out(err, "physical_gy", physical_gy) ||
        !check_finite_min(err, "rbe_weighted_gy", rbe_weighted_gy, 0.0, true) ||
        !check_finite_min(err, "rbe", rbe, 0.0, false)) {
        return false;
    }
    *physical_gy = rbe_weighted_gy / rbe;
    return true;
}
