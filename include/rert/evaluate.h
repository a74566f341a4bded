/**
 * @file evaluate.h
 * Decision arithmetic of the reirradiation assessment, as pure functions on
 * plain data and voxel arrays: recovery ("time discount") models and the
 * interval between courses; the remaining EQD2 budget and the maximum
 * physical dose for the planned fractions (per organ, and per voxel); the
 * ESTRO-EORTC classification (Type 1 / Type 2 / repeat organ / repeat
 * irradiation) with the overlap of irradiated volumes; the summation-method
 * level L0-L5.
 *
 * Units: dose in Gy (EQD2 means EQD2 at the organ's or voxel's alpha/beta),
 * intervals in months of RERT_DAYS_PER_MONTH days, volumes in cc. Formulas,
 * conventions, defaults and their sources: docs/evaluation.md. Nothing here
 * prints, keeps state or allocates except rert_budget_map_compute() (one
 * scratch buffer, freed before it returns).
 */
#ifndef RERT_EVALUATE_H
#define RERT_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/error.h>
#include <rert/radbio.h>

/* ---- named defaults (each with its source; see docs/evaluation.md) */

/** Days per month for intervals between courses: 365.25/12 rounded, the
 * convention of reirradiation-science.md s8 [P]. */
#define RERT_DAYS_PER_MONTH 30.44
/** Most tiers a tiered recovery model may have. */
#define RERT_RECOVERY_MAX_TIERS 8
/** Voxel value of the budget map where no constrained organ lies: no limit.
 * A finite sentinel far above any deliverable dose, so that 16-bit RTDOSE
 * scaling still resolves 0.02 Gy [P, our choice]. */
#define RERT_BUDGET_UNCONSTRAINED_DEFAULT_GY 1000.0

/* ---- recovery ("time discount") models */

/** How a recovery model turns an interval into a recovery fraction r. */
typedef enum RertRecoveryKind {
    RERT_RECOVERY_NONE = 0, /**< r = 0 at any interval */
    RERT_RECOVERY_FIXED,    /**< r = fixed_frac at any interval */
    RERT_RECOVERY_TIERED,   /**< r of the last tier whose threshold <= t */
} RertRecoveryKind;

/** One tier: from @p min_interval_months on (inclusive), r = recovery_frac.
 */
typedef struct RertRecoveryTier {
    double min_interval_months; /**< finite, >= 0; tiers strictly ascending */
    double recovery_frac;       /**< r in [0, 1] */
} RertRecoveryTier;

/** The recovery convention (A or B, see RertRecoveryConvention) a model's
 * source states its fractions for. Applying a model under the other
 * convention changes its meaning: r = 0.5 under B raises L1 by half,
 * under A it removes half of the prior dose. */
typedef enum RertRecoveryDefinedUnder {
    RERT_RECOVERY_DEFINED_UNSTATED = 0, /**< the source names neither */
    RERT_RECOVERY_DEFINED_A,            /**< discount of the prior dose */
    RERT_RECOVERY_DEFINED_B,            /**< raise of the tolerance */
} RertRecoveryDefinedUnder;

/**
 * A recovery model as data. Intervals below the first tier's threshold get
 * r = 0. Built-in models come from rert_recovery_model_get(); callers may
 * fill their own (e.g. from a case file) and check it with
 * rert_recovery_model_validate().
 */
typedef struct RertRecoveryModel {
    const char *name;         /**< short stable key, e.g. "nieder-cord" */
    const char *source;       /**< citation and what was verified */
    const char *evidence_tag; /**< "V", "V2", "R" or "P" */
    RertRecoveryKind kind;
    /** Convention of the source (zero value: unstated). */
    RertRecoveryDefinedUnder defined_under;
    double fixed_frac; /**< RERT_RECOVERY_FIXED only, in [0, 1] */
    size_t tier_count; /**< RERT_RECOVERY_TIERED: 1..MAX_TIERS */
    RertRecoveryTier tiers[RERT_RECOVERY_MAX_TIERS];
} RertRecoveryModel;

/** Built-in recovery models (docs/evaluation.md, table "Recovery models").
 */
typedef enum RertRecoveryModelId {
    RERT_RECOVERY_MODEL_NONE = 0,    /**< r = 0 [P], the conservative choice */
    RERT_RECOVERY_MODEL_COMMON,      /**< <6 mo 0, 6-12 mo 0.25, >=12 mo 0.5 */
    RERT_RECOVERY_MODEL_NIEDER_CORD, /**< >=6 mo 0.25, >=12 mo 0.5 (cord) */
    RERT_RECOVERY_MODEL_SLICER_RT,   /**< 0 / 0.25 / 0.5 / 0.65 at 6/12/24 mo */
    RERT_RECOVERY_MODEL_COUNT,
} RertRecoveryModelId;

/**
 * The built-in model @p id. @return NULL when @p id is out of range.
 * Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertRecoveryModel *
rert_recovery_model_get(RertRecoveryModelId id);

/**
 * The built-in model whose name equals @p name (ASCII case-insensitive).
 * @return NULL when unknown or @p name is NULL.
 * Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertRecoveryModel *rert_recovery_model_find(const char *name);

/**
 * Check a (caller-made) model: known kind, fractions in [0, 1], tier count
 * 1..RERT_RECOVERY_MAX_TIERS, thresholds finite, >= 0 and strictly
 * ascending, name non-NULL.
 * Errors: INVALID_ARG naming the model, field, tier and value found.
 * Ownership: none. Threads: safe.
 */
RERT_API bool rert_recovery_model_validate(RertError *err,
                                           const RertRecoveryModel *model);

/** An organ whose late effects show no long-term recovery: r = 0 always. */
typedef struct RertRecoveryOverride {
    const char *organ;        /**< key: "heart", "bladder", "kidney" */
    double recovery_frac;     /**< 0 for all built-in overrides */
    const char *source;       /**< citation */
    const char *evidence_tag; /**< "V" for Nieder 2000 */
} RertRecoveryOverride;

/**
 * The organ override for @p organ_name, or NULL. Matching is ASCII
 * case-insensitive on the start of the name: the key followed by the end of
 * the name, a non-letter, or "s" and then the end or a non-letter
 * ("Kidney_L", "KIDNEYS", "Heart", "Bladder wall" match; "Heartburn" does
 * not). An override only ever lowers recovery, so a wider match errs on the
 * safe side.
 * Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertRecoveryOverride *
rert_recovery_override_find(const char *organ_name);

/** Which rule produced a recovery fraction. */
typedef struct RertRecoveryResult {
    double recovery_frac;     /**< r in [0, 1] */
    double interval_months;   /**< the interval used */
    bool is_organ_override;   /**< an organ override decided r */
    int tier_index;           /**< tier used (tiered model), else -1 */
    const char *model_name;   /**< model or override organ key; borrowed */
    const char *source;       /**< borrowed from the deciding entry */
    const char *evidence_tag; /**< borrowed from the deciding entry */
    /** Convention of the deciding model's source; UNSTATED for organ
     * overrides (r = 0 means the same under A and B). */
    RertRecoveryDefinedUnder defined_under;
} RertRecoveryResult;

/**
 * Recovery fraction r for one organ and interval: the organ override when
 * @p organ_name matches one (rert_recovery_override_find()), otherwise
 * @p model at @p interval_months.
 * @param model validated as rert_recovery_model_validate().
 * @param organ_name may be NULL (no override lookup).
 * @param interval_months end of the earlier course to start of the planned
 *        one (finite, >= 0).
 * Errors: INVALID_ARG (bad model, negative or non-finite interval, NULL).
 * Ownership: out's strings are borrowed from @p model or static storage.
 * Threads: safe.
 */
RERT_API bool rert_recovery_compute(RertError *err,
                                    const RertRecoveryModel *model,
                                    const char *organ_name,
                                    double interval_months,
                                    RertRecoveryResult *out);

/**
 * Interval in months (days / RERT_DAYS_PER_MONTH) from the end of the
 * earlier course to the start of the planned one. Dates are ISO 8601
 * "YYYY-MM-DD" or DICOM DA "YYYYMMDD" (proleptic Gregorian, years
 * 1000-9999).
 * Errors: PARSE naming the field and the text found; INVALID_ARG when the
 * planned start lies before the earlier end.
 * Ownership: none. Threads: safe.
 */
RERT_API bool rert_interval_months_compute(RertError *err,
                                           const char *earlier_end_date,
                                           const char *planned_start_date,
                                           double *months);

/* ---- remaining budget */

/** How recovery enters a cumulative check (docs/evaluation.md). */
typedef enum RertRecoveryConvention {
    /** A: (1 - r) EQD2_prior + EQD2_new <= L (discount the prior dose). */
    RERT_CONVENTION_DISCOUNT_PRIOR = 0,
    /** B: EQD2_prior + EQD2_new <= (1 + r) L1 (raise the tolerance). */
    RERT_CONVENTION_RAISE_TOLERANCE,
} RertRecoveryConvention;

/** Stable key of @p c ("discount_prior", "raise_tolerance"), or NULL when
 * out of range. Errors: none. Ownership: static string. Threads: safe. */
RERT_API const char *rert_recovery_convention_name(RertRecoveryConvention c);

/** One prior course's dose to the organ (one metric) and its recovery. */
typedef struct RertPriorDose {
    double eqd2_gy;       /**< undiscounted EQD2 (finite, >= 0) */
    double recovery_frac; /**< r for this course and organ, in [0, 1] */
} RertPriorDose;

/** What rert_budget_compute() needs for one constrained organ metric. */
typedef struct RertBudgetRequest {
    double limit_eqd2_gy; /**< A: cumulative limit L; B: single-course L1 */
    RertRecoveryConvention convention;
    const RertPriorDose *priors; /**< prior_count entries; borrowed */
    size_t prior_count;          /**< 0 allowed (no prior dose) */
    unsigned n_fractions;        /**< planned fractions, >= 1 */
    double ab_gy;                /**< alpha/beta of the limit, > 0 */
    RertLqModel model;           /**< LQ or LQ-L for the inverse */
} RertBudgetRequest;

/** Remaining budget of one organ metric. */
typedef struct RertBudgetResult {
    RertRecoveryConvention convention; /**< the convention used */
    double effective_prior_eqd2_gy;    /**< A: sum (1 - r_i) E_i; B: sum E_i */
    double recovery_frac_used; /**< B: min r_i (0 without priors); A: 0 */
    double allowed_eqd2_gy;    /**< A: L; B: (1 + r) L1 */
    double remaining_eqd2_gy;  /**< allowed - effective prior; may be <0 */
    bool has_budget;           /**< remaining > 0 */
    RertMaxDose max_dose;      /**< planned course, zeros without budget */
    /** A per-course limit (rert_budget_cap_apply()) lowered max_dose and
     * remaining_eqd2_gy below the cumulative room. */
    bool is_capped;
    /** remaining_eqd2_gy from the cumulative limit alone. */
    double cumulative_remaining_eqd2_gy;
} RertBudgetResult;

/**
 * Defaults: A, no priors, LQ, n_fractions 0 and limit/ab NaN (must be set).
 * Errors: none. Ownership: value. Threads: safe.
 */
RERT_API RertBudgetRequest rert_budget_request_default(void);

/**
 * Remaining EQD2 budget of one organ metric and the maximum physical dose
 * of the planned course (rert_lq_max_dose_compute() with x = 2 Gy). With
 * several prior courses, A discounts each by its own r; B raises the limit
 * by the smallest r of the prior courses (the conservative choice [P]).
 * No budget (remaining <= 0) is a result, not an error.
 * Errors: INVALID_ARG naming the field and value (non-finite or negative
 * limit or prior dose, r outside [0, 1], n = 0, ab <= 0, bad model).
 * Ownership: none. Threads: safe.
 */
RERT_API bool rert_budget_compute(RertError *err,
                                  const RertBudgetRequest *request,
                                  RertBudgetResult *out);

/**
 * Cap a budget by a limit on the planned course's own dose (a per-course
 * scope such as Nieder's "each course <= 98 Gy2 BED" or HyTEC's SBRT
 * new-course limit): the planned course may not exceed @p cap_eqd2_gy
 * (EQD2 at @p cap_ab_gy) whatever cumulative room is left. The cap's
 * maximum physical dose for request->n_fractions is computed at
 * @p cap_ab_gy; when it is below result->max_dose.total_dose_gy the cap
 * binds: result->max_dose takes it, remaining_eqd2_gy becomes the EQD2 of
 * that dose at request->ab_gy, is_capped is set and @p binds is true.
 * Otherwise @p result is unchanged and @p binds false. A result without
 * budget stays without budget. Apply several caps one after another.
 * @param cap_eqd2_gy finite; <= 0 means no dose at all.
 * @param cap_dose may be NULL; the cap's own maximum dose.
 * Errors: INVALID_ARG (NULL, non-finite cap, ab <= 0, n = 0, bad model).
 * Ownership: none. Threads: safe.
 */
RERT_API bool rert_budget_cap_apply(RertError *err,
                                    const RertBudgetRequest *request,
                                    double cap_eqd2_gy,
                                    double cap_ab_gy,
                                    RertBudgetResult *result,
                                    RertMaxDose *cap_dose,
                                    bool *binds);

/**
 * Cumulative EQD2 a voxel of an organ may reach under @p convention:
 * A: L (the prior grid must then be discounted), B: (1 + r) L1 (the prior
 * grid undiscounted). Use it to fill RertBudgetOrgan.allowed_eqd2_gy.
 * Errors: INVALID_ARG. Ownership: none. Threads: safe.
 */
RERT_API bool rert_budget_allowed_compute(RertError *err,
                                          RertRecoveryConvention convention,
                                          double limit_eqd2_gy,
                                          double recovery_frac,
                                          double *allowed_eqd2_gy);

/** One constrained organ for the budget map. */
typedef struct RertBudgetOrgan {
    const char *name;            /**< for messages; may be NULL */
    const float *occupancy_frac; /**< voxel_count fractions 0..1; borrowed */
    double allowed_eqd2_gy;      /**< from rert_budget_allowed_compute() */
} RertBudgetOrgan;

/** Settings of rert_budget_map_compute(). */
typedef struct RertBudgetMapParams {
    const RertBudgetOrgan *organs; /**< organ_count entries; borrowed */
    size_t organ_count;
    double inside_min_frac;  /**< inside when occupancy >= this, (0, 1] */
    double unconstrained_gy; /**< value where no organ lies (finite, > 0) */
    unsigned n_fractions;    /**< planned fractions, >= 1 */
    RertLqModel model;       /**< LQ or LQ-L */
    double ab_gy;            /**< used when ab_map_gy is NULL */
    const float *ab_map_gy;  /**< per-voxel alpha/beta or NULL; borrowed */
} RertBudgetMapParams;

/** Counts from rert_budget_map_compute(). */
typedef struct RertBudgetMapStats {
    size_t voxel_count;         /**< voxels processed */
    size_t constrained_count;   /**< voxels inside at least one organ */
    size_t overlap_count;       /**< voxels inside two or more organs */
    size_t no_budget_count;     /**< constrained voxels with remaining <= 0 */
    size_t linear_branch_count; /**< LQ-L voxels solved above dT */
} RertBudgetMapStats;

/**
 * Defaults: no organs, inside_min_frac RERT_AB_MAP_INSIDE_DEFAULT_FRAC (the
 * alpha/beta map's rule, so a voxel's limit and alpha/beta come from the
 * same organ), unconstrained_gy RERT_BUDGET_UNCONSTRAINED_DEFAULT_GY,
 * n_fractions 0 (must be set), LQ, ab RERT_AB_LATE_DEFAULT_GY, no map.
 * Errors: none. Ownership: value. Threads: safe.
 */
RERT_API RertBudgetMapParams rert_budget_map_params_default(void);

/**
 * Per-voxel maximum physical dose of the planned course. For each voxel:
 * allowed = min over organs containing it of allowed_eqd2_gy; remaining =
 * allowed - prior_eqd2_gy[v]; maximum dose from remaining for n fractions
 * at the voxel's alpha/beta (rert_bio_max_dose_compute()). Voxels in no
 * organ get unconstrained_gy in both outputs; voxels without budget get 0.
 * @param prior_eqd2_gy cumulative prior EQD2 per voxel, discounted for
 *        convention A, undiscounted for B (finite).
 * @param[out] max_total_gy voxel_count maximum total physical doses.
 * @param[out] max_per_fraction_gy may be NULL.
 * @param[out] is_constrained may be NULL; 1 where an organ lies, else 0.
 * @param[out] stats may be NULL.
 * Errors: INVALID_ARG (NULL arrays, bad parameters, non-finite allowed
 * value, a non-finite occupancy or prior voxel: organ name / voxel index
 * and value), NOMEM, LIMIT. Outputs are unspecified on failure.
 * Ownership: arrays borrowed. Threads: OpenMP over blocks of voxels;
 * identical results for any thread count.
 */
RERT_API bool rert_budget_map_compute(RertError *err,
                                      const RertBudgetMapParams *params,
                                      const float *prior_eqd2_gy,
                                      size_t voxel_count,
                                      float *max_total_gy,
                                      float *max_per_fraction_gy,
                                      uint8_t *is_constrained,
                                      RertBudgetMapStats *stats);

/* ---- overlap of irradiated volumes (ESTRO-EORTC question 1) */

/** Settings of rert_overlap_compute(). The consensus sets no isodose for
 * "irradiated volume", so the threshold has no default and its source is
 * required and echoed in the result. */
typedef struct RertOverlapParams {
    double threshold_gy;          /**< finite, > 0; same quantity as grids */
    const char *threshold_source; /**< required: who/what set it */
    double min_overlap_cc;        /**< overlap counts when > this (>= 0) */
    double voxel_cc;              /**< volume of one voxel, > 0 */
} RertOverlapParams;

/**
 * Defaults: threshold NaN and source NULL (must be set), min_overlap_cc 0
 * (any overlap counts), voxel_cc NaN (must be set).
 * Errors: none. Ownership: value. Threads: safe.
 */
RERT_API RertOverlapParams rert_overlap_params_default(void);

/** Overlap volumes. Target volumes are occupancy-weighted sums. */
typedef struct RertOverlapResult {
    double threshold_gy;          /**< echoed */
    const char *threshold_source; /**< echoed; borrowed */
    double prior_irradiated_cc;   /**< prior >= threshold */
    double target_cc;             /**< planned target (occupancy sum) */
    double target_overlap_cc;     /**< target inside prior irradiated */
    bool has_planned_dose;        /**< a planned grid was given */
    double planned_irradiated_cc; /**< planned >= threshold; 0 without */
    double planned_overlap_cc;    /**< both >= threshold; 0 without */
    double overlap_cc;            /**< max(target_overlap, planned_overlap) */
    bool has_overlap;             /**< overlap_cc > min_overlap_cc */
} RertOverlapResult;

/**
 * Overlap of one prior course's (or all prior courses') irradiated volume,
 * prior_dose_gy >= threshold, with the planned target and, when
 * @p planned_dose_gy is given, with the planned irradiated volume.
 * @param prior_dose_gy e.g. cumulative prior EQD2 without recovery discount.
 * @param target_occupancy_frac planned target occupancy (0..1).
 * @param planned_dose_gy may be NULL.
 * Errors: INVALID_ARG (NULL arrays, bad parameters, missing threshold
 * source, non-finite voxel: array name, index and value).
 * Ownership: arrays borrowed; result borrows threshold_source.
 * Threads: safe (serial).
 */
RERT_API bool rert_overlap_compute(RertError *err,
                                   const RertOverlapParams *params,
                                   const float *prior_dose_gy,
                                   const float *target_occupancy_frac,
                                   const float *planned_dose_gy,
                                   size_t voxel_count,
                                   RertOverlapResult *out);

/* ---- ESTRO-EORTC classification (Andratschke 2022; decision tree s1.2) */

/** Categories, ordered by severity (higher = more severe). */
typedef enum RertReirradiationCategory {
    RERT_CATEGORY_UNDETERMINED = -1,        /**< a needed answer is missing */
    RERT_CATEGORY_REPEAT_IRRADIATION = 0,   /**< other organ; not reRT */
    RERT_CATEGORY_REPEAT_ORGAN_IRRADIATION, /**< same organ; not reRT */
    RERT_CATEGORY_TYPE_2, /**< no overlap, cumulative concern */
    RERT_CATEGORY_TYPE_1, /**< overlap of irradiated volumes */
} RertReirradiationCategory;

/** Stable key ("TYPE_1", "TYPE_2", "REPEAT_ORGAN_IRRADIATION",
 * "REPEAT_IRRADIATION", "UNDETERMINED"), or NULL when out of range.
 * Errors: none. Ownership: static string. Threads: safe. */
RERT_API const char *
rert_reirradiation_category_name(RertReirradiationCategory c);

/** One-sentence definition for reports, or NULL when out of range.
 * Errors: none. Ownership: static string. Threads: safe. */
RERT_API const char *
rert_reirradiation_category_description(RertReirradiationCategory c);

/** An answer to one of the three questions. */
typedef enum RertAnswerValue {
    RERT_ANSWER_UNKNOWN = 0,
    RERT_ANSWER_NO,
    RERT_ANSWER_YES,
} RertAnswerValue;

/** Where an answer came from. */
typedef enum RertAnswerSource {
    RERT_ANSWER_SOURCE_NONE = 0,    /**< not answered */
    RERT_ANSWER_SOURCE_OVERLAP,     /**< computed overlap of voxel data */
    RERT_ANSWER_SOURCE_CONSTRAINTS, /**< cumulative constraint evaluation */
    RERT_ANSWER_SOURCE_CLINICIAN,   /**< a clinician's statement */
    RERT_ANSWER_SOURCE_CASE_FILE,   /**< given in the case file */
} RertAnswerSource;

/** Stable key ("none", "computed_overlap", "constraint_evaluation",
 * "clinician", "case_file"), or NULL when out of range.
 * Errors: none. Ownership: static string. Threads: safe. */
RERT_API const char *rert_answer_source_name(RertAnswerSource s);

/** An answer with its provenance. */
typedef struct RertAnswer {
    RertAnswerValue value;
    RertAnswerSource source; /**< required when value is YES or NO */
    const char *note;        /**< free text for the report; may be NULL */
} RertAnswer;

/** The three answers for one earlier course against the planned course. */
typedef struct RertClassifyCourse {
    const char *course_name; /**< for messages and the report; may be NULL */
    RertAnswer overlap;      /**< Q1: irradiated volumes overlap? */
    RertAnswer cumulative_concern; /**< Q2: cumulative toxicity concern? */
    RertAnswer same_organ;         /**< Q3: targets in the same organ? */
} RertClassifyCourse;

/** Classification of the planned course against all earlier courses. */
typedef struct RertClassifyResult {
    /** Most severe category over courses, or UNDETERMINED when a missing
     * answer could still change it. */
    RertReirradiationCategory category;
    RertReirradiationCategory lowest_possible;  /**< over missing answers */
    RertReirradiationCategory highest_possible; /**< over missing answers */
    bool is_reirradiation;      /**< category is TYPE_1 or TYPE_2 */
    size_t deciding_course;     /**< index; SIZE_MAX when undetermined */
    unsigned deciding_question; /**< 1-3 in the deciding course; 0 if none */
    size_t undetermined_count;  /**< courses with an open category */
} RertClassifyResult;

/**
 * Apply the decision tree (Q1 yes -> TYPE_1; else Q2 yes -> TYPE_2; else
 * Q3 yes -> REPEAT_ORGAN_IRRADIATION, no -> REPEAT_IRRADIATION) to every
 * earlier course; the most severe category wins. A course with a missing
 * needed answer spans a range of categories; the overall category is
 * determined when the most severe determined category is at least every
 * course's highest possible one.
 * Errors: INVALID_ARG (NULL, count 0, unknown enum value, a YES/NO answer
 * without a source: names the course and question).
 * Ownership: none. Threads: safe.
 */
RERT_API bool rert_classify_compute(RertError *err,
                                    const RertClassifyCourse *courses,
                                    size_t course_count,
                                    RertClassifyResult *out);

/* ---- summation-method level (reirradiation-science.md s2.3, [P]) */

/** Levels of dose summation, a data-model proposal [P]. */
typedef enum RertSummationLevel {
    RERT_SUMMATION_L0 = 0, /**< no quantitative summation */
    RERT_SUMMATION_L1,     /**< DVH-parameter addition */
    RERT_SUMMATION_L2,     /**< voxel-wise physical sum */
    RERT_SUMMATION_L3,     /**< rigid + voxel-wise EQD2 sum */
    RERT_SUMMATION_L4,     /**< deformable + voxel-wise EQD2 sum */
    RERT_SUMMATION_L5,     /**< L3/L4 plus explicit uncertainty */
    RERT_SUMMATION_LEVEL_COUNT,
} RertSummationLevel;

/** What the pipeline summed. */
typedef enum RertSummationKind {
    RERT_SUM_NONE = 0,       /**< no numbers added (judgement/overlay) */
    RERT_SUM_DVH_PARAMETERS, /**< per-course DVH metrics added */
    RERT_SUM_VOXEL_PHYSICAL, /**< voxel-wise physical dose */
    RERT_SUM_VOXEL_EQD2,     /**< voxel-wise EQD2, each course converted */
} RertSummationKind;

/** What the pipeline did, in plain terms. */
typedef struct RertSummationMethod {
    RertSummationKind kind;
    bool is_deformable;   /**< a deformable registration mapped any course */
    bool has_uncertainty; /**< explicit uncertainty (search, DVH bands) */
} RertSummationMethod;

/** Name and description of a level, for reports. */
typedef struct RertSummationLevelInfo {
    RertSummationLevel level;
    const char *key;         /**< "L0" .. "L5" */
    const char *label;       /**< short label */
    const char *description; /**< one or two sentences, with caveats */
} RertSummationLevelInfo;

/**
 * The level of @p method: NONE -> L0; DVH_PARAMETERS -> L1;
 * VOXEL_PHYSICAL -> L2 (rigid or deformable: a physical sum is not
 * biologically valid for mixed fractionation); VOXEL_EQD2 -> L3 rigid, L4
 * deformable, L5 with uncertainty. Uncertainty lifts only EQD2 sums.
 * Errors: INVALID_ARG (NULL, unknown kind). Ownership: none. Threads: safe.
 */
RERT_API bool rert_summation_level_compute(RertError *err,
                                           const RertSummationMethod *method,
                                           RertSummationLevel *level);

/**
 * Name and description of @p level. @return NULL when out of range.
 * Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertSummationLevelInfo *
rert_summation_level_info(RertSummationLevel level);

#endif
