/**
 * @file constraints.h
 * Cumulative dose constraints for reirradiation: a library of limits with
 * their sources (data/constraints.yaml), organ names with synonyms
 * (data/organ_synonyms.yaml), ROI name matching and the evaluation of
 * measured metric values against the limits (pass / near limit / fail).
 *
 * Units: dose limits are Gy EQD2 at the constraint's alpha/beta, or Gy BED
 * (Gy_ab) where the source gives BED; measured dose values are always Gy
 * EQD2 at the constraint's alpha/beta and are converted to BED here
 * (EQD2 = BED / (1 + 2/ab)). Volume limits are cc or percent. Time-dependent
 * recovery is not applied here: the caller passes values that already
 * include any discount it chose (see docs/constraints.md).
 */
#ifndef RERT_CONSTRAINTS_H
#define RERT_CONSTRAINTS_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/error.h>
#include <rert/yamldoc.h>

/* ---- the constraint record */

/** What the limit is compared with. */
typedef enum RertConstraintScope {
    /** The cumulative value over all courses. */
    RERT_CONSTRAINT_SCOPE_CUMULATIVE = 0,
    /** Every course on its own (e.g. Nieder: each course <= 98 Gy2 BED). */
    RERT_CONSTRAINT_SCOPE_EACH_COURSE,
    /** A first-course (single-course) tolerance, checked on every course;
     * also the L1 reference for recovery convention B. */
    RERT_CONSTRAINT_SCOPE_SINGLE_COURSE,
    /** The new (reirradiation) course only (HyTEC: SBRT Dmax <= 25 Gy2). */
    RERT_CONSTRAINT_SCOPE_NEW_COURSE,
    /** New course value / cumulative value (HyTEC: ratio <= 0.5). */
    RERT_CONSTRAINT_SCOPE_NEW_COURSE_SHARE,
} RertConstraintScope;

/** Unit of a limit. */
typedef enum RertConstraintUnit {
    RERT_CONSTRAINT_UNIT_GY_EQD2 = 0, /**< "Gy_EQD2", at alpha_beta_gy */
    RERT_CONSTRAINT_UNIT_GY_BED,      /**< "Gy_BED", at alpha_beta_gy */
    RERT_CONSTRAINT_UNIT_PERCENT,     /**< "%" (V<x>Gy% metrics) */
    RERT_CONSTRAINT_UNIT_CC,          /**< "cc" (V<x>Gy, Volume metrics) */
    RERT_CONSTRAINT_UNIT_RATIO,       /**< "ratio" (NEW_COURSE_SHARE only) */
} RertConstraintUnit;

/** How value and limit compare: value <= limit or value < limit passes. */
typedef enum RertConstraintComparison {
    RERT_CONSTRAINT_LE = 0, /**< "<=" */
    RERT_CONSTRAINT_LT,     /**< "<" */
} RertConstraintComparison;

/** Evidence tag of the science document (§0). */
typedef enum RertEvidenceTag {
    /** Practice, tool default or our own choice; 0, so that a zeroed
     * record claims the least. */
    RERT_EVIDENCE_P = 0,
    RERT_EVIDENCE_V,  /**< checked against the named source */
    RERT_EVIDENCE_V2, /**< checked through a named secondary source */
    RERT_EVIDENCE_R,  /**< recalled, not checked (never shipped as data) */
} RertEvidenceTag;

/** Agreement level of a consensus source for this value. */
typedef enum RertConsensus {
    RERT_CONSENSUS_NOT_APPLICABLE = 0, /**< the source is not a consensus */
    RERT_CONSENSUS_YES,                /**< consensus reached for this value */
    RERT_CONSENSUS_NO,                 /**< consensus not reached */
    RERT_CONSENSUS_MAJORITY, /**< majority but below the consensus level */
    RERT_CONSENSUS_UNKNOWN,  /**< could not be established (Slevin 2021) */
} RertConsensus;

/**
 * One constraint. All strings are non-NULL ("" when empty) and, for entries
 * of a library, owned by it. NaN marks an absent number.
 */
typedef struct RertConstraint {
    const char *id;     /**< unique, e.g. "cord-nieder2006-cumulative" */
    const char *organ;  /**< canonical organ name, e.g. "SpinalCord" */
    const char *metric; /**< canonical DVH metric name, e.g. "D0.1cc" */
    RertConstraintScope scope;
    RertConstraintComparison comparison;
    double limit;               /**< in @ref unit */
    RertConstraintUnit unit;    /**< see RertConstraintUnit */
    double alpha_beta_gy;       /**< alpha/beta of the limit (Gy) */
    double min_interval_months; /**< condition of the source; NaN: none */
    const char *condition;      /**< the source's condition, as text */
    const char *site;           /**< body site: cns, head_neck, spine,
                                     thorax, pelvis or any */
    RertEvidenceTag evidence;
    RertConsensus consensus;
    const char *notes;
    const char *source;       /**< full citation */
    const char *verification; /**< what was checked, where */
    bool is_override;         /**< from the case file, not the library */
    const char *replaces;     /**< ids an override replaced ("" none) */
    /** YAML `kind: observation`: the value is an observation of the
     * source (e.g. "no myelopathy reported up to 120 Gy2"), not a
     * tolerance. Exceeding it gives RERT_CONSTRAINT_ABOVE_OBSERVATION,
     * not FAIL. false (`kind: limit`, the default): a limit. */
    bool is_observation;
} RertConstraint;

/** Stable names: "cumulative", "each_course", "single_course",
 * "new_course", "new_course_share". */
RERT_API const char *rert_constraint_scope_name(RertConstraintScope scope);
/** "Gy_EQD2", "Gy_BED", "%", "cc", "ratio". */
RERT_API const char *rert_constraint_unit_name(RertConstraintUnit unit);
/** "<=" or "<". */
RERT_API const char *
rert_constraint_comparison_name(RertConstraintComparison comparison);
/** "P", "V", "V2", "R". */
RERT_API const char *rert_evidence_tag_name(RertEvidenceTag tag);
/** "not_applicable", "yes", "no", "majority", "unknown". */
RERT_API const char *rert_consensus_name(RertConsensus consensus);

/* Parse the names above (exact, case-sensitive), e.g. for case-file
 * overrides read elsewhere. Errors: INVALID_ARG naming @p what (may be
 * NULL), the text and the accepted names. */
RERT_API bool rert_constraint_scope_parse(RertError *err,
                                          const char *what,
                                          const char *text,
                                          RertConstraintScope *out);
RERT_API bool rert_constraint_unit_parse(RertError *err,
                                         const char *what,
                                         const char *text,
                                         RertConstraintUnit *out);
RERT_API bool rert_constraint_comparison_parse(RertError *err,
                                               const char *what,
                                               const char *text,
                                               RertConstraintComparison *out);
RERT_API bool rert_evidence_tag_parse(RertError *err,
                                      const char *what,
                                      const char *text,
                                      RertEvidenceTag *out);
RERT_API bool rert_consensus_parse(RertError *err,
                                   const char *what,
                                   const char *text,
                                   RertConsensus *out);

/* ---- the library */

/** A set of constraints with unique ids. Opaque. */
typedef struct RertConstraintLibrary RertConstraintLibrary;

/** An empty library. Ownership: new, rert_constraint_library_destroy().
 * Errors: NOMEM. */
RERT_API RertConstraintLibrary *rert_constraint_library_create(RertError *err);
/** Free. NULL allowed. */
RERT_API void rert_constraint_library_destroy(RertConstraintLibrary *lib);

/**
 * Validate @p spec and append a copy (strings copied; NULL strings become
 * ""). Checks: id, organ, source non-empty; id unique; metric accepted by
 * rert_dvh_metric_parse() (stored in canonical form); limit finite; unit
 * matches the metric kind (Gy units for D-metrics, "%" for V<x>Gy%, "cc"
 * for V<x>Gy and Volume, ratio only with scope new_course_share and a
 * D-metric); alpha/beta finite and > 0 for all dose and V<x>Gy metrics;
 * min_interval_months NaN or >= 0; evidence not R (unverified values are
 * never data).
 * Errors: INVALID_ARG naming the id and field, NOMEM.
 * Threads: not with other calls on the same library.
 */
RERT_API bool rert_constraint_library_add(RertError *err,
                                          RertConstraintLibrary *lib,
                                          const RertConstraint *spec);

/**
 * Apply an override from a case file, marked is_override. An empty or
 * NULL id becomes "override-<organ>-<metric>-<scope>". Set evidence
 * yourself (RERT_EVIDENCE_P, the zero value, suits a clinic's limit). When
 * @p replace_id is non-NULL and non-empty, that entry is replaced (INVALID_ARG
 * if absent). Otherwise every entry with the same organ, metric (compared
 * as parsed metrics) and scope is replaced; when there is none, the
 * override is added. The replaced ids are recorded in `replaces`. The
 * override's id must not clash with an entry it does not replace; evidence
 * R is allowed for overrides (the clinic vouches for them) but source must
 * be non-empty. Errors: INVALID_ARG, NOMEM.
 */
RERT_API bool rert_constraint_library_override(RertError *err,
                                               RertConstraintLibrary *lib,
                                               const RertConstraint *spec,
                                               const char *replace_id);

/** Number of entries. */
RERT_API size_t rert_constraint_library_count(const RertConstraintLibrary *lib);
/** Entry @p index (file order, overrides in place or appended), or NULL.
 * Ownership: borrowed, valid until the library is modified or destroyed. */
RERT_API const RertConstraint *
rert_constraint_library_get(const RertConstraintLibrary *lib, size_t index);
/** Entry with id @p id, or NULL. Borrowed as above. */
RERT_API const RertConstraint *
rert_constraint_library_find(const RertConstraintLibrary *lib, const char *id);

/**
 * Load a constraint library file (format in docs/constraints.md).
 * Errors: IO; PARSE naming file, line and key (unknown keys, missing
 * required keys, bad values); INVALID_ARG from the validation of
 * rert_constraint_library_add(), prefixed with file and line.
 * Ownership: new, rert_constraint_library_destroy().
 */
RERT_API RertConstraintLibrary *rert_constraint_library_load(RertError *err,
                                                             const char *path);
/** Same from memory; @p name names the text in messages. */
RERT_API RertConstraintLibrary *rert_constraint_library_parse(RertError *err,
                                                              const char *text,
                                                              size_t size,
                                                              const char *name);

/**
 * Read one override from a case file mapping @p node of @p doc and apply it
 * with rert_constraint_library_override(). Keys: organ, metric, limit,
 * unit, source (required); alpha_beta (required for dose metrics), id
 * (default "override-<organ>-<metric>-<scope>"), scope (default
 * cumulative), comparison (default "<="), replaces (an id), evidence
 * (default P), consensus, min_interval_months, condition, site, notes,
 * verification, kind ("limit" default, or "observation"). Unknown keys
 * are errors.
 * Errors: PARSE naming file, line and key; INVALID_ARG (validation)
 * prefixed with file and line; NOMEM.
 */
RERT_API bool rert_constraint_library_override_yaml(RertError *err,
                                                    RertConstraintLibrary *lib,
                                                    const RertYamlDoc *doc,
                                                    const RertYamlNode *node);

/* ---- organ names */

/** Side of a paired organ. */
typedef enum RertLaterality {
    RERT_LATERALITY_NONE = 0,
    RERT_LATERALITY_LEFT,
    RERT_LATERALITY_RIGHT,
} RertLaterality;

/** Canonical organ names with synonyms. Opaque. */
typedef struct RertOrganTable RertOrganTable;

/** Result of matching one ROI name. */
typedef struct RertOrganMatch {
    bool is_matched;
    const char *organ;   /**< canonical name (borrowed from the table), or
                              NULL when unmatched */
    RertLaterality side; /**< side found in the ROI name (paired organs) */
} RertOrganMatch;

/** An empty table. Ownership: new, rert_organ_table_destroy(). */
RERT_API RertOrganTable *rert_organ_table_create(RertError *err);
/** Free. NULL allowed. */
RERT_API void rert_organ_table_destroy(RertOrganTable *table);

/**
 * Add organ @p organ (canonical name, itself a synonym) with @p count
 * synonyms. @p is_paired: the organ exists left and right, and ROI names
 * carrying a side (Parotid_L, L_Parotid, LeftParotid, Parotid Lt, ...)
 * match it with that side. Names are compared case-insensitively, ignoring
 * spaces, underscores, hyphens and dots. Errors: INVALID_ARG for an empty
 * name or a name (after normalisation) already used by any organ; NOMEM.
 */
RERT_API bool rert_organ_table_add(RertError *err,
                                   RertOrganTable *table,
                                   const char *organ,
                                   bool is_paired,
                                   const char *const *synonyms,
                                   size_t count);

/** Number of organs and organ @p index's canonical name (NULL outside). */
RERT_API size_t rert_organ_table_count(const RertOrganTable *table);
RERT_API const char *rert_organ_table_organ(const RertOrganTable *table,
                                            size_t index);
/** True when @p organ is a canonical name of the table (exact case). */
RERT_API bool rert_organ_table_has(const RertOrganTable *table,
                                   const char *organ);

/**
 * Match one ROI name: exact synonym first, then (paired organs only) the
 * name with a side marker removed. Never guesses beyond that: "Cord_PRV"
 * does not match SpinalCord. Threads: safe on a const table.
 */
RERT_API RertOrganMatch rert_organ_table_match(const RertOrganTable *table,
                                               const char *roi_name);

/**
 * Match @p count ROI names into @p matches (caller array of @p count) and
 * return how many were unmatched (the report lists them: matches[i].
 * is_matched == false).
 */
RERT_API size_t rert_organ_table_match_all(const RertOrganTable *table,
                                           const char *const *roi_names,
                                           size_t count,
                                           RertOrganMatch *matches);

/** Load an organ synonym file (format in docs/constraints.md). Errors as
 * rert_constraint_library_load(). Ownership: new, destroy. */
RERT_API RertOrganTable *rert_organ_table_load(RertError *err,
                                               const char *path);
/** Same from memory; @p name names the text in messages. */
RERT_API RertOrganTable *rert_organ_table_parse(RertError *err,
                                                const char *text,
                                                size_t size,
                                                const char *name);

/**
 * Check that every constraint's organ is a canonical name of @p table.
 * Errors: INVALID_ARG naming the constraint id and the organ.
 */
RERT_API bool
rert_constraint_library_check_organs(RertError *err,
                                     const RertConstraintLibrary *lib,
                                     const RertOrganTable *table);

/* ---- evaluation */

/** Default near-limit band: 5 % of the limit. [P]: our choice, not a
 * published value. */
#define RERT_CONSTRAINT_DEFAULT_NEAR_FRAC 0.05
/** new_course_index value meaning "no new course among the courses". */
#define RERT_CONSTRAINT_NO_COURSE ((size_t)-1)

/** Evaluation options; NULL means defaults. Init with
 * rert_constraint_options_default(). */
typedef struct RertConstraintOptions {
    /** A value within this fraction below the limit is NEAR_LIMIT
     * (default RERT_CONSTRAINT_DEFAULT_NEAR_FRAC; 0 disables). */
    double near_limit_frac;
    /** Months between the end of the previous course and the start of the
     * new one; NaN when unknown (conditions then reported unchecked). */
    double interval_months;
    /** Only constraints whose site is in this NULL-terminated list, plus
     * site "any"; NULL: all sites. */
    const char *const *sites;
} RertConstraintOptions;

/** The defaults: near 5 %, interval unknown, all sites. */
RERT_API RertConstraintOptions rert_constraint_options_default(void);

/** Outcome of one constraint. */
typedef enum RertConstraintStatus {
    RERT_CONSTRAINT_PASS = 0,
    RERT_CONSTRAINT_NEAR_LIMIT, /**< passes, within the near-limit band */
    RERT_CONSTRAINT_FAIL,
    /** The source's condition is not met (interval too short): the limit
     * does not apply as published; values are still filled in. */
    RERT_CONSTRAINT_NOT_APPLICABLE,
    /** No value for it (organ not contoured, course values missing). */
    RERT_CONSTRAINT_NOT_EVALUATED,
    /** An observation entry (is_observation) whose value is exceeded: the
     * case lies beyond the reported experience, which is not a tolerance
     * violation. */
    RERT_CONSTRAINT_ABOVE_OBSERVATION,
} RertConstraintStatus;

/** "pass", "near_limit", "fail", "not_applicable", "not_evaluated",
 * "above_observation". */
RERT_API const char *rert_constraint_status_name(RertConstraintStatus status);

/**
 * Measured values for one constraint, all in one unit: Gy EQD2 at the
 * constraint's alpha/beta for dose metrics (also for BED limits), cc or %
 * for volume metrics. NaN marks a missing value.
 */
typedef struct RertConstraintValues {
    double cumulative;           /**< over all courses */
    const double *course_values; /**< per course (time order), or NULL */
    size_t course_count;
    /** Index of the new (reirradiation) course in course_values, or
     * RERT_CONSTRAINT_NO_COURSE. */
    size_t new_course_index;
} RertConstraintValues;

/** Result of evaluating one constraint on one ROI. Plain data. */
typedef struct RertConstraintResult {
    /** Borrowed: the constraint evaluated (library entry or the caller's
     * struct); id, organ, metric, unit, alpha/beta, source, evidence,
     * notes come from it. */
    const RertConstraint *constraint;
    char roi_name[128]; /**< ROI measured ("" when none) */
    RertConstraintStatus status;
    /** Value compared, in the constraint's unit (BED for BED limits, the
     * ratio for shares); NaN when not evaluated. */
    double value;
    double limit;          /**< the constraint's limit, its unit */
    double value_eqd2_gy;  /**< dose metrics: value as EQD2; else NaN */
    double limit_eqd2_gy;  /**< dose metrics: limit as EQD2; else NaN */
    double margin;         /**< limit - value (constraint's unit) */
    double margin_eqd2_gy; /**< limit - value in Gy EQD2 (dose); else NaN */
    double margin_pct;     /**< 100 * margin / limit; NaN if limit is 0 */
    /** Course compared for per-course scopes (the worst one), else
     * RERT_CONSTRAINT_NO_COURSE. */
    size_t course_index;
    char message[256]; /**< why: condition unmet, value missing, ... */
} RertConstraintResult;

/**
 * Evaluate @p constraint on @p values. Status: FAIL when value > limit
 * (value >= limit for "<"; ABOVE_OBSERVATION instead for an observation
 * entry), NEAR_LIMIT when value >= limit * (1 -
 * near_limit_frac), PASS otherwise; NOT_EVALUATED when the needed value is
 * missing; NOT_APPLICABLE when the interval is known and shorter than the
 * constraint's min_interval_months. Per-course scopes report the worst
 * course. BED limits: the value is converted to BED.
 * Errors: INVALID_ARG (NULL pointers, near_limit_frac outside [0, 1)).
 * Ownership: @p out->constraint borrows @p constraint.
 * Threads: safe (pure).
 */
RERT_API bool rert_constraint_evaluate(RertError *err,
                                       const RertConstraint *constraint,
                                       const RertConstraintValues *values,
                                       const RertConstraintOptions *options,
                                       RertConstraintResult *out);

/** Measured values of one metric of one ROI, for batch evaluation. */
typedef struct RertConstraintMeasurement {
    const char *organ;    /**< canonical organ (from rert_organ_table_match) */
    const char *roi_name; /**< the ROI it was measured on; may be NULL */
    const char *metric;   /**< any form rert_dvh_metric_parse() accepts */
    double alpha_beta_gy; /**< alpha/beta of the EQD2 values */
    RertConstraintValues values;
} RertConstraintMeasurement;

/**
 * Evaluate every library entry (of the selected sites) against the
 * measurements with the same organ, metric (as parsed) and alpha/beta
 * (within 1e-6 Gy): one result per matching measurement (both parotids
 * give two), or one NOT_EVALUATED result when none matches. Results follow
 * library order. Errors: INVALID_ARG (a measurement's metric does not
 * parse), NOMEM. Ownership: @p results new, rert_free(); each result's
 * constraint pointer is borrowed from @p lib.
 */
RERT_API bool
rert_constraint_library_evaluate(RertError *err,
                                 const RertConstraintLibrary *lib,
                                 const RertConstraintMeasurement *measurements,
                                 size_t count,
                                 const RertConstraintOptions *options,
                                 RertConstraintResult **results,
                                 size_t *result_count);

/** EQD2 of a BED at @p alpha_beta_gy: BED / (1 + 2/ab). NaN for ab <= 0. */
RERT_API double rert_constraint_bed_to_eqd2(double bed_gy,
                                            double alpha_beta_gy);
/** BED of an EQD2: EQD2 * (1 + 2/ab). NaN for ab <= 0. */
RERT_API double rert_constraint_eqd2_to_bed(double eqd2_gy,
                                            double alpha_beta_gy);

#endif
