/**
 * @file radbio.h
 * Radiobiology: linear-quadratic (LQ) and linear-quadratic-linear (LQ-L)
 * BED/EQD2/EQDx, overall-time and incomplete-repair corrections, the
 * inverse "remaining budget -> maximum physical dose" problem, proton RBE
 * (constant and LET-based RBEmax/RBEmin models), whole-grid voxel kernels
 * and per-voxel alpha/beta maps built from ROI occupancy.
 *
 * Units: dose in Gy, alpha/beta in Gy, LETd in keV/um, time in days (hours
 * for repair), alpha in 1/Gy. Formulas, sources and guards are in
 * docs/radiobiology.md. All functions are pure: no globals, no allocation,
 * no printing. Every fallible function takes a RertError (may be NULL) first
 * and returns false on failure; outputs are then left unspecified.
 */
#ifndef RERT_RADBIO_H
#define RERT_RADBIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/error.h>

/* ---- named defaults (each with its source; see docs/radiobiology.md) */

/** Reference dose per fraction of EQD2, Gy (definition of EQD2). */
#define RERT_EQD2_REFERENCE_GY 2.0
/** Constant proton RBE, the clinical standard (reirradiation-science.md
 * s3.7; ICRU Report 78, 2007 [R]). */
#define RERT_RBE_PROTON_DEFAULT 1.1
/** Generic late-responding tissue alpha/beta, Gy: convention [P]
 * (reirradiation-science.md s3.5). */
#define RERT_AB_LATE_DEFAULT_GY 3.0
/** Generic early-responding tissue / SCC alpha/beta, Gy: convention [P]
 * (reirradiation-science.md s3.5). */
#define RERT_AB_EARLY_DEFAULT_GY 10.0
/** A voxel counts as inside a ROI when its occupancy fraction is at least
 * this value (majority rule) [P]. */
#define RERT_AB_MAP_INSIDE_DEFAULT_FRAC 0.5

/* ---- LQ / LQ-L model */

/** Dose-response model for BED. */
typedef enum RertLqModelKind {
    RERT_LQ_MODEL_LQ = 0, /**< linear-quadratic at every dose per fraction */
    RERT_LQ_MODEL_LQL,    /**< LQ-L (Astrahan 2008): linear above dT */
} RertLqModelKind;

/**
 * LQ or LQ-L settings. A NULL `const RertLqModel *` means plain LQ.
 * For LQ-L, above the transition dose per fraction dT the log cell kill
 * grows linearly with slope gamma; linear_slope_ratio is gamma/alpha.
 * 0 selects the tangent slope 1 + 2 dT/ab (continuous derivative at dT),
 * which depends on the voxel's alpha/beta.
 */
typedef struct RertLqModel {
    RertLqModelKind kind;
    double transition_dose_gy; /**< dT per fraction, LQ-L only: finite > 0;
                                  no published default, caller must set */
    double linear_slope_ratio; /**< gamma/alpha above dT; 0 = 1 + 2dT/ab */
} RertLqModel;

/** Plain LQ (kind LQ, dT 0, slope ratio 0). Errors: none. Ownership:
 * value. Threads: safe. */
RERT_API RertLqModel rert_lq_model_default(void);

/* ---- scalar LQ / LQ-L */

/**
 * Biologically effective dose of one course: LQ BED = D(1 + d/ab) with
 * d = D/n, or the LQ-L form n[dT(1 + dT/ab) + (gamma/alpha)(d - dT)] when
 * d > dT.
 * @param model NULL for plain LQ.
 * @param dose_gy total physical dose D (>= 0).
 * @param n_fractions n (>= 1).
 * @param ab_gy alpha/beta (> 0).
 * @param[out] bed_gy BED in Gy_ab.
 * @return false on invalid input.
 * Errors: INVALID_ARG naming the parameter, its value and the expected
 * range (non-finite values included). Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_bed_compute(RertError *err,
                                  const RertLqModel *model,
                                  double dose_gy,
                                  unsigned n_fractions,
                                  double ab_gy,
                                  double *bed_gy);

/**
 * Equivalent dose in x-Gy fractions: EQDx = BED/(1 + x/ab).
 * @param x_gy reference dose per fraction x (finite, >= 0; 2 = EQD2).
 * Other parameters as rert_lq_bed_compute().
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_eqdx_compute(RertError *err,
                                   const RertLqModel *model,
                                   double dose_gy,
                                   unsigned n_fractions,
                                   double ab_gy,
                                   double x_gy,
                                   double *eqdx_gy);

/**
 * EQD2 = BED/(1 + 2/ab); rert_lq_eqdx_compute() with x = 2 Gy.
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_eqd2_compute(RertError *err,
                                   const RertLqModel *model,
                                   double dose_gy,
                                   unsigned n_fractions,
                                   double ab_gy,
                                   double *eqd2_gy);

/**
 * Convert a BED to EQDx: EQDx = BED/(1 + x/ab). BED may be any finite value
 * >= 0 (e.g. a published BED limit).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_bed_to_eqdx(
    RertError *err, double bed_gy, double ab_gy, double x_gy, double *eqdx_gy);

/**
 * Convert an EQDx to BED: BED = EQDx(1 + x/ab).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_eqdx_to_bed(
    RertError *err, double eqdx_gy, double ab_gy, double x_gy, double *bed_gy);

/**
 * Overall-time (repopulation) correction in EQD2 form:
 * EQD2_T = EQD2 - Dprolif * max(0, T - Tk). Not clamped: a result below 0
 * means the inputs are outside the model's range (reported as computed).
 * @param eqd2_gy EQD2 without time factor (finite).
 * @param overall_time_days T (finite, >= 0).
 * @param kickoff_days Tk (finite, >= 0).
 * @param dprolif_gy_per_day Dprolif in EQD2 Gy per day (finite, >= 0);
 *        no default: typical H&N 0.6-0.9 [R].
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_eqd2_time_correct(RertError *err,
                                        double eqd2_gy,
                                        double overall_time_days,
                                        double kickoff_days,
                                        double dprolif_gy_per_day,
                                        double *eqd2_t_gy);

/**
 * Overall-time correction in BED form:
 * BED_T = BED - ln(2) max(0, T - Tk)/(alpha Tpot). Not clamped.
 * @param alpha_per_gy alpha (finite, > 0), 1/Gy.
 * @param tpot_days potential doubling time (finite, > 0).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_bed_time_correct(RertError *err,
                                       double bed_gy,
                                       double overall_time_days,
                                       double kickoff_days,
                                       double alpha_per_gy,
                                       double tpot_days,
                                       double *bed_t_gy);

/**
 * Thames incomplete-repair factor h_m for m equally spaced fractions per
 * day: theta = exp(-ln2 dt/T_half),
 * h_m = (2/m)(theta/(1-theta))(m - (1-theta^m)/(1-theta)). m = 1 gives 0.
 * @param fractions_per_day m (1 to 24).
 * @param interval_h dt between fractions of one day (finite, > 0).
 * @param repair_halftime_h T_half (finite, > 0).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_hfactor_compute(RertError *err,
                                      unsigned fractions_per_day,
                                      double interval_h,
                                      double repair_halftime_h,
                                      double *h_factor);

/**
 * LQ BED with incomplete repair: BED = D[1 + (d/ab)(1 + h)], d = D/n.
 * @param h_factor from rert_lq_hfactor_compute() (finite, >= 0).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_bed_repair_compute(RertError *err,
                                         double dose_gy,
                                         unsigned n_fractions,
                                         double ab_gy,
                                         double h_factor,
                                         double *bed_gy);

/* ---- inverse: remaining budget -> maximum physical dose */

/** Result of the remaining-dose solver. */
typedef struct RertMaxDose {
    double dose_per_fraction_gy; /**< maximum physical d; 0 without budget */
    double total_dose_gy;        /**< n * d */
    bool has_budget;             /**< false: remaining <= 0, doses are 0 */
    bool is_linear_branch;       /**< LQ-L solution lies above dT */
} RertMaxDose;

/**
 * Maximum physical dose per fraction and total for n planned fractions such
 * that the course's BED equals @p remaining_bed_gy. LQ: positive root of
 * n d(1 + d/ab) = BED_rem. LQ-L: the LQ root when it is <= dT, otherwise
 * d = dT + (BED_rem/n - dT(1 + dT/ab))/(gamma/alpha). A remaining budget
 * <= 0 is a domain outcome, not an error: out->has_budget = false, doses 0.
 * Errors: INVALID_ARG (non-finite budget, n = 0, ab <= 0, bad model).
 * Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_max_dose_bed_compute(RertError *err,
                                           const RertLqModel *model,
                                           double remaining_bed_gy,
                                           unsigned n_fractions,
                                           double ab_gy,
                                           RertMaxDose *out);

/**
 * As rert_lq_max_dose_bed_compute() with the budget given as EQDx (EQD2 for
 * x = 2): BED_rem = E_rem(1 + x/ab).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_lq_max_dose_compute(RertError *err,
                                       const RertLqModel *model,
                                       double remaining_eqdx_gy,
                                       double x_gy,
                                       unsigned n_fractions,
                                       double ab_gy,
                                       RertMaxDose *out);

/* ---- protons: RBE */

/** Built-in LET-based proton RBE models (RBEmax/RBEmin formalism). */
typedef enum RertRbeModelId {
    RERT_RBE_MODEL_MCNAMARA_2015 = 0,
    RERT_RBE_MODEL_WEDENBERG_2013,
    RERT_RBE_MODEL_CARABE_2012,
    RERT_RBE_MODEL_COUNT,
} RertRbeModelId;

/**
 * Parameters of an RBEmax/RBEmin model, as data:
 * RBEmax = rbemax_p0 + rbemax_p1 * LETd/ab;
 * RBEmin = rbemin_p0 + rbemin_p1_sqrt_ab * sqrt(ab) * LETd
 *          + rbemin_p1_over_ab * LETd/ab.
 * LETd in keV/um, ab in Gy.
 */
typedef struct RertRbeModel {
    const char *name;   /**< short stable key, e.g. "mcnamara2015" */
    const char *source; /**< citation and verification tag */
    double rbemax_p0;
    double rbemax_p1;
    double rbemin_p0;
    double rbemin_p1_sqrt_ab;
    double rbemin_p1_over_ab;
} RertRbeModel;

/**
 * The built-in model @p id. @return NULL when @p id is out of range.
 * Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertRbeModel *rert_rbe_model_get(RertRbeModelId id);

/**
 * The built-in model whose name equals @p name (ASCII case-insensitive).
 * @return NULL when unknown or @p name is NULL.
 * Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertRbeModel *rert_rbe_model_find(const char *name);

/**
 * RBEmax and RBEmin of @p model for one LETd and alpha/beta.
 * @param letd_kev_um dose-averaged LET (finite, >= 0).
 * Errors: INVALID_ARG (NULL model, bad LETd or ab). Ownership: none.
 * Threads: safe.
 */
RERT_API bool rert_rbe_limits_compute(RertError *err,
                                      const RertRbeModel *model,
                                      double letd_kev_um,
                                      double ab_gy,
                                      double *rbemax,
                                      double *rbemin);

/**
 * RBE at physical dose per fraction D:
 * RBE = [sqrt(ab^2 + 4 D ab RBEmax + 4 D^2 RBEmin^2) - ab]/(2D),
 * evaluated in the algebraically equal form
 * (2 ab RBEmax + 2 D RBEmin^2)/(sqrt(...) + ab), which has no cancellation
 * and gives RBEmax at D = 0 without dividing by zero.
 * @param rbemax,rbemin finite; rbemax > 0.
 * @param dose_per_fraction_gy physical D (finite, >= 0).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_rbe_variable_compute(RertError *err,
                                        double rbemax,
                                        double rbemin,
                                        double ab_gy,
                                        double dose_per_fraction_gy,
                                        double *rbe);

/**
 * rert_rbe_limits_compute() followed by rert_rbe_variable_compute().
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_rbe_model_compute(RertError *err,
                                     const RertRbeModel *model,
                                     double letd_kev_um,
                                     double ab_gy,
                                     double dose_per_fraction_gy,
                                     double *rbe);

/**
 * RBE-weighted dose = RBE * physical dose (Gy(RBE)).
 * @param rbe finite, > 0 (RERT_RBE_PROTON_DEFAULT for the clinical
 *        constant).
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_rbe_dose_weight(RertError *err,
                                   double physical_gy,
                                   double rbe,
                                   double *rbe_weighted_gy);

/**
 * Physical dose = RBE-weighted dose / RBE, for a constant RBE.
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_rbe_dose_unweight(RertError *err,
                                     double rbe_weighted_gy,
                                     double rbe,
                                     double *physical_gy);

/* ---- whole-grid voxel kernels */

/**
 * What a voxel kernel saw, for the caller's warnings list. Negative input
 * doses are a domain warning (treated as 0), not an error.
 */
typedef struct RertVoxelStats {
    size_t voxel_count;           /**< voxels processed */
    size_t negative_dose_count;   /**< negative inputs treated as 0 */
    double most_negative_dose_gy; /**< lowest negative input; 0 if none */
    size_t linear_branch_count;   /**< LQ-L voxels with d > dT */
    size_t no_budget_count;       /**< inverse kernel: remaining <= 0 */
} RertVoxelStats;

/** Quantity a biological kernel produces (or, for the inverse, reads). */
typedef enum RertBioQuantity {
    RERT_BIO_BED = 0, /**< BED, Gy_ab */
    RERT_BIO_EQDX,    /**< EQDx with x = RertBioParams.x_gy (EQD2: x = 2) */
} RertBioQuantity;

/**
 * Settings of a biological voxel kernel for one course. The fraction count
 * is per course (the whole array); d = D_voxel/n per voxel.
 */
typedef struct RertBioParams {
    RertLqModel model;        /**< LQ or LQ-L */
    unsigned n_fractions;     /**< >= 1; default 0 forces the caller to set */
    double ab_gy;             /**< used when ab_map_gy is NULL */
    const float *ab_map_gy;   /**< per-voxel alpha/beta, or NULL; borrowed */
    RertBioQuantity quantity; /**< output (forward) / input (inverse) */
    double x_gy;              /**< reference dose per fraction for EQDx */
} RertBioParams;

/**
 * Defaults: plain LQ, n_fractions 0 (must be set), ab
 * RERT_AB_LATE_DEFAULT_GY, no map, EQDx with x = RERT_EQD2_REFERENCE_GY.
 * Errors: none. Ownership: value. Threads: safe.
 */
RERT_API RertBioParams rert_bio_params_default(void);

/**
 * Physical dose grid -> BED or EQDx grid, voxel by voxel with the same
 * formula as rert_lq_bed_compute() / rert_lq_eqdx_compute(). Negative dose
 * voxels are treated as 0 and counted in @p stats.
 * @param dose_gy @p voxel_count physical doses of one course (total Gy).
 * @param[out] out_gy @p voxel_count results; must not overlap the inputs.
 * @param[out] stats may be NULL.
 * Errors: INVALID_ARG for bad parameters, a non-finite dose voxel or a
 * non-finite or non-positive alpha/beta voxel (message gives the first
 * such voxel index and its value); out_gy is then unspecified.
 * Ownership: all arrays borrowed. Threads: OpenMP parallel over blocks of
 * voxels; results are bitwise identical for any thread count.
 */
RERT_API bool rert_bio_dose_compute(RertError *err,
                                    const RertBioParams *params,
                                    const float *restrict dose_gy,
                                    size_t voxel_count,
                                    float *restrict out_gy,
                                    RertVoxelStats *stats);

/**
 * Remaining budget grid (BED or EQDx, per params->quantity) -> maximum
 * physical dose grid for params->n_fractions fractions, voxel by voxel as
 * rert_lq_max_dose_bed_compute(). Voxels with remaining <= 0 get 0 and are
 * counted in stats->no_budget_count.
 * @param[out] max_total_gy maximum total physical dose per voxel.
 * @param[out] max_per_fraction_gy may be NULL.
 * Errors: INVALID_ARG (parameters; first non-finite budget or bad alpha/beta
 * voxel, by index). Ownership: arrays borrowed. Threads: as
 * rert_bio_dose_compute().
 */
RERT_API bool rert_bio_max_dose_compute(RertError *err,
                                        const RertBioParams *params,
                                        const float *restrict remaining,
                                        size_t voxel_count,
                                        float *restrict max_total_gy,
                                        float *restrict max_per_fraction_gy,
                                        RertVoxelStats *stats);

/** How the RBE kernel weights proton dose. */
typedef enum RertRbeKind {
    RERT_RBE_CONSTANT = 0, /**< RBE = rbe_constant everywhere */
    RERT_RBE_LET_MODEL,    /**< per voxel from LETd and dose per fraction */
} RertRbeKind;

/** Settings of the RBE kernel for one proton course. */
typedef struct RertRbeParams {
    RertRbeKind kind;
    double rbe_constant;       /**< for RERT_RBE_CONSTANT */
    const RertRbeModel *model; /**< for RERT_RBE_LET_MODEL; borrowed */
    unsigned n_fractions;      /**< physical d = D_voxel/n (LET model) */
    double ab_gy;              /**< photon alpha/beta if no map */
    const float *ab_map_gy;    /**< per voxel, or NULL; borrowed */
} RertRbeParams;

/**
 * Defaults: constant RBE RERT_RBE_PROTON_DEFAULT, model McNamara 2015 (used
 * only when kind is changed), n_fractions 0 (must be set for the LET
 * model), ab RERT_AB_LATE_DEFAULT_GY, no map.
 * Errors: none. Ownership: value (the model pointer is static). Threads:
 * safe.
 */
RERT_API RertRbeParams rert_rbe_params_default(void);

/**
 * Physical dose grid -> RBE-weighted dose grid (total Gy(RBE)). Constant:
 * D_RBE = RBE * D. LET model: D_RBE = RBE(LETd, ab, D/n) * D per voxel.
 * Negative doses are treated as 0 and counted.
 * @param letd_kev_um per-voxel LETd; required for the LET model, ignored
 *        (may be NULL) for a constant RBE. Negative or non-finite LETd is
 *        an error.
 * @param[out] rbe_out per-voxel RBE used; may be NULL.
 * Errors: INVALID_ARG (parameters; first bad voxel by index).
 * Ownership: arrays borrowed. Threads: as rert_bio_dose_compute().
 */
RERT_API bool rert_rbe_dose_compute(RertError *err,
                                    const RertRbeParams *params,
                                    const float *restrict physical_gy,
                                    const float *restrict letd_kev_um,
                                    size_t voxel_count,
                                    float *restrict rbe_weighted_gy,
                                    float *restrict rbe_out,
                                    RertVoxelStats *stats);

/* ---- alpha/beta map from ROI occupancy */

/** Which ROI decides a voxel that lies inside several listed ROIs. */
typedef enum RertAbOverlapRule {
    /** The lowest alpha/beta wins (the most conservative for late effects;
     * ties go to the ROI listed first). Default. */
    RERT_AB_OVERLAP_LOWEST = 0,
    /** The ROI listed first wins (the caller's priority order). */
    RERT_AB_OVERLAP_PRIORITY,
} RertAbOverlapRule;

/** One ROI's occupancy on the dose grid and its alpha/beta. */
typedef struct RertAbRoi {
    const char *name;            /**< for messages; may be NULL */
    const float *occupancy_frac; /**< voxel_count fractions 0..1; borrowed */
    double ab_gy;                /**< finite, > 0 */
} RertAbRoi;

/** Settings of rert_ab_map_compute(). */
typedef struct RertAbMapParams {
    const RertAbRoi *rois; /**< roi_count entries; borrowed */
    size_t roi_count;
    double default_ab_gy;   /**< voxels in no listed ROI */
    RertAbOverlapRule rule; /**< overlap rule */
    double inside_min_frac; /**< inside when occupancy >= this, in (0, 1] */
} RertAbMapParams;

/** Counts from rert_ab_map_compute(). */
typedef struct RertAbMapStats {
    size_t voxel_count;   /**< voxels processed */
    size_t default_count; /**< voxels in no listed ROI */
    size_t overlap_count; /**< voxels inside two or more listed ROIs */
} RertAbMapStats;

/**
 * Defaults: no ROIs, default_ab_gy RERT_AB_LATE_DEFAULT_GY, rule
 * RERT_AB_OVERLAP_LOWEST, inside_min_frac RERT_AB_MAP_INSIDE_DEFAULT_FRAC.
 * Errors: none. Ownership: value. Threads: safe.
 */
RERT_API RertAbMapParams rert_ab_map_params_default(void);

/**
 * Per-voxel alpha/beta from ROI occupancy fractions. A voxel is inside a
 * ROI when its fraction >= inside_min_frac; among the ROIs it is inside,
 * params->rule picks one; a voxel inside none gets default_ab_gy.
 * @param[out] ab_map_gy voxel_count alpha/beta values.
 * @param[out] roi_index may be NULL; the deciding ROI's index in
 *             params->rois, or -1 for the default.
 * @param[out] stats may be NULL.
 * Errors: INVALID_ARG (NULL arrays, bad alpha/beta or threshold, more than
 * INT32_MAX ROIs, a non-finite occupancy voxel: ROI name and voxel index).
 * Ownership: arrays borrowed. Threads: OpenMP parallel over blocks;
 * identical results for any thread count.
 */
RERT_API bool rert_ab_map_compute(RertError *err,
                                  const RertAbMapParams *params,
                                  size_t voxel_count,
                                  float *restrict ab_map_gy,
                                  int32_t *restrict roi_index,
                                  RertAbMapStats *stats);

#endif
