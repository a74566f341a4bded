/**
 * @file selection.h
 * Patient selection for reirradiation, as pure functions on plain data:
 * prognostic and risk scores whose tables are data with their sources,
 * evidence tags and verification status, and the decision checklist of the
 * ESTRO-EORTC consensus factors (patient, tumour, treatment).
 *
 * Inputs are one RertSelectionInput: a fixed set of named fields
 * (RertSelectionField, keyed by the case-file names of docs/selection.md),
 * each either set or unset. A zero-initialised input has every field unset.
 * Nothing is ever guessed: a score that needs an unset field is "not
 * computable" and names the field; a checklist item without a value is
 * "not assessed". Scores whose published point values or class rules could
 * not be verified against the source are catalogued with status "not
 * verified" and are never computed (docs/selection.md says what was
 * checked, where, and what is missing).
 *
 * Nothing here prints, allocates or keeps state; every function is
 * thread-safe on distinct outputs. Tables are static and borrowed.
 */
#ifndef RERT_SELECTION_H
#define RERT_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/error.h>

/** Largest text value of a field, including the terminating NUL. */
#define RERT_SELECTION_TEXT_SIZE 128

/* ---- input fields */

/** The input fields (case-file keys in rert_selection_field_info()). */
typedef enum RertSelectionField {
    /* patient */
    RERT_SEL_AGE_YEARS = 0,
    RERT_SEL_KPS,
    RERT_SEL_ECOG,
    RERT_SEL_COMORBIDITY,
    RERT_SEL_LIFE_EXPECTANCY_MONTHS,
    RERT_SEL_SYMPTOMS,
    RERT_SEL_NEURO_SYMPTOMS,
    RERT_SEL_PRIOR_TOXICITY_GRADE,
    RERT_SEL_PRIOR_TOXICITY_PERSISTENT,
    RERT_SEL_ORGAN_FUNCTION,
    RERT_SEL_FEEDING_TUBE_OR_TRACHEOSTOMY,
    RERT_SEL_PATIENT_GOALS,
    RERT_SEL_SHARED_DECISION,
    RERT_SEL_TUMOUR_BOARD,
    /* tumour */
    RERT_SEL_HISTOLOGY_AT_DIAGNOSIS,
    RERT_SEL_HISTOLOGY_AT_RECURRENCE,
    RERT_SEL_LESION_TYPE,
    RERT_SEL_WHO_GRADE,
    RERT_SEL_RESPONSE_TO_FIRST_RT,
    RERT_SEL_CONTROL_DURATION_MONTHS,
    RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS,
    RERT_SEL_EXTENT,
    RERT_SEL_RESTAGING_IMAGING,
    RERT_SEL_MEANINGFUL_DOSE_ACHIEVABLE,
    RERT_SEL_RECURRENCE_VOLUME_CC,
    RERT_SEL_GLIOMATOSIS,
    RERT_SEL_DIFFUSE_DISEASE,
    RERT_SEL_DISTANCE_TO_60GY_CM,
    RERT_SEL_ELOQUENT_LOCATION,
    RERT_SEL_OAR_DISTANCE_CM,
    RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC,
    RERT_SEL_SALVAGE_SURGERY,
    /* treatment (several filled by the pipeline, see RertSelectionOrigin) */
    RERT_SEL_PRIOR_COURSES,
    RERT_SEL_PRIOR_PLAN_AVAILABLE,
    RERT_SEL_INTERVAL_SINCE_PRIOR_RT_MONTHS,
    RERT_SEL_ESTRO_EORTC_CLASS,
    RERT_SEL_CUMULATIVE_OAR_EVALUATED,
    RERT_SEL_ALTERNATIVES_CONSIDERED,
    RERT_SEL_TECHNOLOGY,
    RERT_SEL_CONCURRENT_SYSTEMIC_THERAPY,
    RERT_SEL_CORD_CUMULATIVE_BED_GY2,
    RERT_SEL_CORD_HIGHEST_COURSE_BED_GY2,
    RERT_SEL_CORD_SHORTEST_INTERVAL_MONTHS,
    RERT_SEL_FIELD_COUNT,
} RertSelectionField;

/** What kind of value a field holds. */
typedef enum RertSelectionKind {
    RERT_SEL_KIND_NUMBER = 0, /**< finite number in [min, max] */
    RERT_SEL_KIND_INTEGER,    /**< whole number in [min, max] */
    RERT_SEL_KIND_BOOL,       /**< yes / no (number 1 / 0) */
    RERT_SEL_KIND_CHOICE,     /**< one of choices[] (number = index) */
    RERT_SEL_KIND_TEXT,       /**< free text, < RERT_SELECTION_TEXT_SIZE */
} RertSelectionKind;

/** Who supplies a field: the case file, or the assessment pipeline. */
typedef enum RertSelectionOrigin {
    RERT_SEL_FROM_CASE = 0, /**< `selection:` section of the case file */
    RERT_SEL_FROM_PIPELINE, /**< computed by `rert assess` */
} RertSelectionOrigin;

/** Most choices of a RERT_SEL_KIND_CHOICE field. */
#define RERT_SELECTION_MAX_CHOICES 4

/** Description of one field (static data). */
typedef struct RertSelectionFieldInfo {
    RertSelectionField field;
    const char *key;  /**< case-file key, e.g. "kps" */
    const char *unit; /**< "%", "months", "cc", "Gy2", "" */
    RertSelectionKind kind;
    RertSelectionOrigin origin;
    double min; /**< NUMBER/INTEGER: inclusive lower bound */
    double max; /**< NUMBER/INTEGER: inclusive upper bound */
    /** CHOICE: the accepted names, NULL-terminated; index = value. */
    const char *choices[RERT_SELECTION_MAX_CHOICES + 1];
    const char *description; /**< what the value means, one line */
} RertSelectionFieldInfo;

/**
 * Field @p field's description. @return NULL when out of range.
 * Errors: none. Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertSelectionFieldInfo *
rert_selection_field_info(RertSelectionField field);

/**
 * The field whose key equals @p key (exact, case-sensitive).
 * @return NULL when unknown or @p key is NULL.
 * Errors: none. Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertSelectionFieldInfo *
rert_selection_field_find(const char *key);

/** One field's value: unset, or a number (bool 0/1, choice index) and its
 * text (the text given, or the canonical form of the number). */
typedef struct RertSelectionValue {
    bool is_set;
    double number; /**< NUMBER/INTEGER/BOOL/CHOICE; 0 for TEXT */
    char text[RERT_SELECTION_TEXT_SIZE];
} RertSelectionValue;

/** All inputs. Zero-initialise it (or rert_selection_input_init()). */
typedef struct RertSelectionInput {
    RertSelectionValue values[RERT_SEL_FIELD_COUNT];
} RertSelectionInput;

/** Unset every field of @p input. Errors: none. Threads: safe. */
RERT_API void rert_selection_input_init(RertSelectionInput *input);

/**
 * Set a NUMBER, INTEGER, BOOL (0 or 1) or CHOICE (index) field.
 * Errors: INVALID_ARG naming the key, the value found and the range or
 * kind expected (non-finite, out of range, not whole, TEXT field, NULL).
 * On failure the field is left as it was.
 * Ownership: none. Threads: safe on distinct inputs.
 */
RERT_API bool rert_selection_input_set_number(RertError *err,
                                              RertSelectionInput *input,
                                              RertSelectionField field,
                                              double value);

/**
 * Set the field named @p key from text, as a case file gives it: numbers
 * strictly (whole token, C locale), booleans as yes/no/true/false, choices
 * by name, text verbatim (shorter than RERT_SELECTION_TEXT_SIZE, not
 * empty).
 * Errors: INVALID_ARG for an unknown key (naming it); PARSE naming the key,
 * the text found and what was expected. The field is left as it was.
 * Ownership: @p text is copied. Threads: safe on distinct inputs.
 */
RERT_API bool rert_selection_input_set_text(RertError *err,
                                            RertSelectionInput *input,
                                            const char *key,
                                            const char *text);

/* ---- scores */

/** The catalogued scores (docs/selection.md). */
typedef enum RertScoreId {
    RERT_SCORE_PARK_2010 = 0,      /**< recurrent GBM re-operation scale */
    RERT_SCORE_KRAUZE_NCI_2017,    /**< NCI recurrent glioma reRT score */
    RERT_SCORE_NIEDER_2006_CORD,   /**< cord reRT low-risk conditions */
    RERT_SCORE_NIEDER_2005_POINTS, /**< cord myelopathy points: unverified */
    RERT_SCORE_MIRI_RPA_2018,      /**< H&N MIRI RPA classes: unverified */
    RERT_SCORE_COMBS_2013,         /**< Heidelberg glioma score: unverified */
    RERT_SCORE_KESSEL_2017,        /**< Combs modification: unverified */
    RERT_SCORE_COUNT,
} RertScoreId;

/** How a score turns its factors into a result. */
typedef enum RertScoreKind {
    RERT_SCORE_KIND_POINTS = 0, /**< sum of band points, grouped */
    RERT_SCORE_KIND_RULE,       /**< all conditions met -> region */
    RERT_SCORE_KIND_UNVERIFIED, /**< tables not verified: never computed */
} RertScoreKind;

/** Band points at or above this value mark a failed condition of a RULE
 * score; 0 means met, values in between "met at a lower level". */
#define RERT_SCORE_RULE_FAIL 100.0

/** A closed, open or half-open interval of an input and what it scores.
 * Use -HUGE_VAL / HUGE_VAL for an unbounded side. */
typedef struct RertScoreBand {
    double low;
    double high;
    bool is_low_inclusive;
    bool is_high_inclusive;
    double points;     /**< POINTS: points; RULE: code, see RULE_FAIL */
    const char *label; /**< as printed in the source, e.g. "KPS <= 80" */
} RertScoreBand;

/** One factor: an input field, its bands (first match wins) and the block
 * (sub-score) it adds to. An optional yes/no override field, when "yes",
 * scores override_points whatever the field (e.g. gliomatosis puts the
 * NCI GTV row in its 1-point band); when it is unset, the factor is known
 * only if the field's band already scores override_points. */
typedef struct RertScoreFactor {
    const char *name; /**< "KPS", "WHO grade", ... */
    RertSelectionField field;
    unsigned block; /**< bit index of the block, 0..7 */
    const RertScoreBand *bands;
    size_t band_count;
    bool has_override;
    RertSelectionField override_field; /**< a BOOL field */
    double override_points;
    const char *override_label;
} RertScoreFactor;

/** A reported sum: the factors of the blocks in block_mask. */
typedef struct RertScoreSubtotalDef {
    const char *name; /**< "total", "independent", ... */
    unsigned block_mask;
} RertScoreSubtotalDef;

/** A group of the first subtotal, low <= points <= high. */
typedef struct RertScoreGroup {
    double low_points;
    double high_points;
    const char *label;   /**< "good", "intermediate", ... */
    const char *outcome; /**< the source's outcome figures for the group */
} RertScoreGroup;

/** One score as data. */
typedef struct RertScoreDefinition {
    RertScoreId id;
    RertScoreKind kind;
    const char *key;    /**< stable: "park-2010", "krauze-nci-2017", ... */
    const char *title;  /**< one line */
    const char *source; /**< citation */
    const char *evidence_tag;    /**< "V", "V2", "R" */
    const char *verification;    /**< what was checked, where; what was not */
    const char *caveats;         /**< validation caveats, one paragraph */
    const char *outcome_summary; /**< the source's outcome statement */
    const RertScoreFactor *factors;
    size_t factor_count;
    const RertScoreSubtotalDef *subtotals;
    size_t subtotal_count;
    const RertScoreGroup *groups; /**< on subtotals[0]; may be 0 groups */
    size_t group_count;
} RertScoreDefinition;

/**
 * Score @p id's definition. @return NULL when out of range.
 * Errors: none. Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertScoreDefinition *rert_score_definition(RertScoreId id);

/** Status of a computed score. */
typedef enum RertScoreStatus {
    RERT_SCORE_COMPUTED = 0, /**< every input present */
    /** Some results computed while inputs are missing (listed): some
     * subtotals of a POINTS score, or a RULE score placed outside its
     * region by a failed condition while another is unknown. */
    RERT_SCORE_PARTIAL,
    RERT_SCORE_NOT_COMPUTABLE, /**< an input is missing (see missing) */
    RERT_SCORE_NOT_VERIFIED,   /**< source tables unverified: not computed */
} RertScoreStatus;

/** Stable name of @p s ("computed", "partial", "not_computable",
 * "not_verified"), NULL when out of range. Threads: safe. */
RERT_API const char *rert_score_status_name(RertScoreStatus s);

/** Most factors and subtotals of one score, and most warnings. */
#define RERT_SCORE_MAX_FACTORS 12
#define RERT_SCORE_MAX_SUBTOTALS 4
#define RERT_SCORE_MAX_WARNINGS 4
/** Room for the comma-separated keys of the missing inputs. */
#define RERT_SCORE_MISSING_SIZE 512

/** One factor as evaluated. */
typedef struct RertScoreFactorResult {
    const RertScoreFactor *factor; /**< borrowed */
    bool is_known;                 /**< the input was set */
    double input_value;            /**< the input (NaN when unknown) */
    double points;                 /**< NaN when unknown or for a RULE score */
    const char *band_label;        /**< matched band; NULL when unknown */
    bool is_condition_met;         /**< RULE scores: the band's points == 0 */
} RertScoreFactorResult;

/** One subtotal as evaluated. */
typedef struct RertScoreSubtotal {
    const char *name;  /**< borrowed from the definition */
    bool is_computed;  /**< every factor of its blocks known */
    double points;     /**< NaN unless computed */
    double min_points; /**< smallest possible value */
    double max_points; /**< largest possible value */
} RertScoreSubtotal;

/** A computed score, with everything the report shows. */
typedef struct RertScoreResult {
    const RertScoreDefinition *definition; /**< borrowed */
    RertScoreStatus status;
    double points;       /**< subtotals[0] points; NaN unless computed */
    const char *group;   /**< borrowed; NULL unless decided */
    const char *outcome; /**< the group's outcome figures; NULL if none */
    size_t factor_count;
    RertScoreFactorResult factors[RERT_SCORE_MAX_FACTORS];
    size_t subtotal_count;
    RertScoreSubtotal subtotals[RERT_SCORE_MAX_SUBTOTALS];
    /** Keys of the missing inputs, ", "-separated; "" when none. */
    char missing[RERT_SCORE_MISSING_SIZE];
    size_t warning_count;
    const char *warnings[RERT_SCORE_MAX_WARNINGS]; /**< static strings */
} RertScoreResult;

/**
 * Compute score @p id from @p input. Missing inputs are never guessed:
 * each factor without its input is unknown, every subtotal that needs it
 * is not computed, and its key is listed in out->missing. A RULE score
 * decides its group only when every condition is known, except that one
 * failed condition already places it outside the region. An unverified
 * score gets status RERT_SCORE_NOT_VERIFIED and no points or group.
 * Errors: INVALID_ARG (NULL, @p id out of range); INTERNAL for a broken
 * built-in table (more factors or subtotals than a result holds).
 * Ownership: out's pointers are borrowed from static storage.
 * Threads: safe on distinct outputs.
 */
RERT_API bool rert_score_compute(RertError *err,
                                 RertScoreId id,
                                 const RertSelectionInput *input,
                                 RertScoreResult *out);

/**
 * BED in Gy_ab from EQD2 at the same alpha/beta: BED = EQD2 (1 + 2/ab).
 * The cord inputs of the Nieder rule are BED at alpha/beta 2 Gy, i.e.
 * twice the cord EQD2 at alpha/beta 2 (Nieder 2006: 50 Gy in 2 Gy
 * fractions = 100 Gy2).
 * Errors: INVALID_ARG when @p eqd2_gy is negative or not finite, or
 * @p ab_gy is not finite and > 0. Ownership: none. Threads: safe.
 */
RERT_API bool rert_selection_bed_from_eqd2(RertError *err,
                                           double eqd2_gy,
                                           double ab_gy,
                                           double *bed_gy);

/* ---- decision checklist */

/** Consensus factor groups (reirradiation-science.md s1.3). */
typedef enum RertChecklistGroup {
    RERT_CHECKLIST_PATIENT = 0,
    RERT_CHECKLIST_TUMOUR,
    RERT_CHECKLIST_TREATMENT,
} RertChecklistGroup;

/** Stable name of @p g ("patient", "tumour", "treatment"), NULL when out
 * of range. Threads: safe. */
RERT_API const char *rert_checklist_group_name(RertChecklistGroup g);

/** Most input fields that answer one checklist item. */
#define RERT_CHECKLIST_MAX_FIELDS 3

/** One checklist item (static data). */
typedef struct RertChecklistItem {
    const char *id; /**< stable: "P1", "T3", "R2" ... */
    const char *question;
    const char *source;
    const char *evidence_tag;
    size_t field_count; /**< 1..RERT_CHECKLIST_MAX_FIELDS */
    RertChecklistGroup group;
    RertSelectionField fields[RERT_CHECKLIST_MAX_FIELDS];
} RertChecklistItem;

/** Number of checklist items. Threads: safe. */
RERT_API size_t rert_checklist_item_count(void);

/**
 * Checklist item @p index (0-based). @return NULL when out of range.
 * Ownership: borrowed, static storage. Threads: safe.
 */
RERT_API const RertChecklistItem *rert_checklist_item_get(size_t index);

/** Status of one checklist entry. There is deliberately no "fine". */
typedef enum RertChecklistStatus {
    RERT_CHECKLIST_NOT_ASSESSED = 0, /**< none of its fields is set */
    RERT_CHECKLIST_ANSWERED,         /**< the value(s) given are shown */
} RertChecklistStatus;

/** Stable name of @p s ("not_assessed", "answered"), NULL when out of
 * range. Threads: safe. */
RERT_API const char *rert_checklist_status_name(RertChecklistStatus s);

/** Most items of the checklist. */
#define RERT_CHECKLIST_MAX_ITEMS 40
/** Room for the values of one entry ("kps=70 %; ecog=1"). */
#define RERT_CHECKLIST_VALUE_SIZE 512

/** One filled entry. */
typedef struct RertChecklistEntry {
    const RertChecklistItem *item; /**< borrowed */
    RertChecklistStatus status;
    /** "key=value unit" of each set field, "; "-separated (truncated with
     * "..." if longer); "" when not assessed. */
    char value[RERT_CHECKLIST_VALUE_SIZE];
} RertChecklistEntry;

/** The filled checklist. */
typedef struct RertChecklistResult {
    size_t entry_count;
    RertChecklistEntry entries[RERT_CHECKLIST_MAX_ITEMS];
    size_t answered_count;
    size_t not_assessed_count;
} RertChecklistResult;

/**
 * Fill the checklist from @p input: an item is ANSWERED when at least one
 * of its fields is set (its value shows every set field), NOT_ASSESSED
 * otherwise. No item is ever judged acceptable.
 * Errors: INVALID_ARG when an argument is NULL.
 * Ownership: out's item pointers are borrowed from static storage.
 * Threads: safe on distinct outputs.
 */
RERT_API bool rert_checklist_fill(RertError *err,
                                  const RertSelectionInput *input,
                                  RertChecklistResult *out);

#endif
