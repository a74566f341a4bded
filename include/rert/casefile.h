/**
 * @file casefile.h
 * The case file of `rert assess` (docs/case-file.md): one YAML document,
 * `schema: 1`, describing the patient, every earlier course and the planned
 * course (dates, fractions, modality, DICOM paths or DVH-level summaries,
 * registration), the alpha/beta values, the recovery model, constraint
 * overrides, classification inputs, reporting items and options.
 *
 * Loading is strict: unknown keys are errors at every level, every value is
 * typed (numbers, booleans `true`/`false`, dates `YYYY-MM-DD` checked
 * against the calendar), nothing clinical is guessed, and every error names
 * the file, the line, the key, what was expected and what was found.
 * Semantic checks: courses in time order (start dates non-decreasing, the
 * planned course starting no earlier than any prior course ends), end date
 * >= start date, exactly one planned course and it is the last, at least
 * one prior course, fractions >= 1, alpha/beta > 0, unique course names,
 * the fields each data-quality level, modality and registration method
 * need. Relative paths are resolved against the case file's folder and, by
 * default, checked to exist (IO error naming the key, line and path).
 *
 * The data model is plain read-only structs owned by the RertCase: strings
 * are NUL-terminated and borrowed from it (NULL when absent), numbers that
 * may be absent are NaN (doubles) or 0 with a `has_` flag, dates are days
 * since 1970-01-01 plus the text as written. Every entry keeps the 1-based
 * line of the case file it came from, so later stages (which know organ
 * synonyms, constraint ids, recovery and RBE model names) can point at it.
 *
 * Threads: a loaded case is read-only; it may be read from several threads.
 */
#ifndef RERT_CASEFILE_H
#define RERT_CASEFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/error.h>

/** The only case-file schema version this library reads. */
#define RERT_CASE_SCHEMA_VERSION 1
/** Largest case file accepted (bytes). */
#define RERT_CASE_MAX_BYTES ((size_t)4 * 1024 * 1024)
/** Most courses in one case (earlier courses plus the planned one). */
#define RERT_CASE_MAX_COURSES 64
/** Most tiers of a tiered recovery model (as RERT_RECOVERY_MAX_TIERS). */
#define RERT_CASE_MAX_RECOVERY_TIERS 8
/** Most per-organ recovery models. */
#define RERT_CASE_MAX_RECOVERY_ORGANS 1000
/** Largest number of fractions accepted for one course. */
#define RERT_CASE_MAX_FRACTIONS 1000

/** A loaded case file. Opaque owner of everything below. */
typedef struct RertCase RertCase;

/* ---- enumerations (each has a stable key: the text used in the file) */

/** Patient sex as recorded (reporting item 1). */
typedef enum RertCaseSex {
    RERT_CASE_SEX_UNSPECIFIED = 0, /**< key absent */
    RERT_CASE_SEX_FEMALE,          /**< "female" */
    RERT_CASE_SEX_MALE,            /**< "male" */
    RERT_CASE_SEX_OTHER,           /**< "other" */
    RERT_CASE_SEX_UNKNOWN,         /**< "unknown" */
} RertCaseSex;

/** Performance-status scale (reporting item 2). */
typedef enum RertCasePsScale {
    RERT_CASE_PS_NONE = 0, /**< not given */
    RERT_CASE_PS_ECOG,     /**< "ecog": 0-5 */
    RERT_CASE_PS_KPS,      /**< "kps": 0-100 in steps of 10 */
} RertCasePsScale;

/** Role of a course. */
typedef enum RertCaseRole {
    RERT_CASE_ROLE_PRIOR = 0, /**< "prior": delivered earlier */
    RERT_CASE_ROLE_PLANNED,   /**< "planned": the new course (last) */
} RertCaseRole;

/** Treatment modality. */
typedef enum RertCaseModality {
    RERT_CASE_MODALITY_PHOTON = 0, /**< "photon" */
    RERT_CASE_MODALITY_ELECTRON,   /**< "electron" */
    RERT_CASE_MODALITY_PROTON,     /**< "proton" */
    RERT_CASE_MODALITY_CARBON,     /**< "carbon" */
    RERT_CASE_MODALITY_BRACHY,     /**< "brachy" */
} RertCaseModality;

/** What is known of a course, best to worst (Price 2021; science s2.1). */
typedef enum RertCaseDataQuality {
    RERT_CASE_DATA_FULL_DICOM = 0,    /**< "full_dicom": CT, RTDOSE, RTSTRUCT */
    RERT_CASE_DATA_DOSE_ONLY,         /**< "dose_only": RTDOSE without CT */
    RERT_CASE_DATA_PAPER_SUMMARY,     /**< "paper_summary": DVH-level entries */
    RERT_CASE_DATA_PRESCRIPTION_ONLY, /**< "prescription_only" */
} RertCaseDataQuality;

/** What the dose values of a particle course are. */
typedef enum RertCaseDoseType {
    RERT_CASE_DOSE_PHYSICAL = 0, /**< "physical": Gy */
    RERT_CASE_DOSE_RBE_WEIGHTED, /**< "rbe_weighted": Gy(RBE) */
} RertCaseDoseType;

/** RBE handling of a particle course (names as radbio's RBE models). */
typedef enum RertCaseRbeModel {
    RERT_CASE_RBE_NONE = 0,      /**< photons, electrons, brachytherapy */
    RERT_CASE_RBE_CONSTANT,      /**< "constant": `value` (e.g. 1.1) */
    RERT_CASE_RBE_MCNAMARA2015,  /**< "mcnamara2015": LET map needed */
    RERT_CASE_RBE_WEDENBERG2013, /**< "wedenberg2013": LET map needed */
    RERT_CASE_RBE_CARABE2012,    /**< "carabe2012": LET map needed */
    RERT_CASE_RBE_AS_PLANNED,    /**< "as_planned": RBE-weighted dose of
                                      the planning system, used as is */
} RertCaseRbeModel;

/** How a prior course is brought onto the planned course's anatomy. */
typedef enum RertCaseRegistrationMethod {
    RERT_CASE_REG_NONE = 0,        /**< planned course, or no voxel data */
    RERT_CASE_REG_IDENTITY,        /**< "identity": same frame, no motion */
    RERT_CASE_REG_DICOM_REG,       /**< "dicom_reg": a DICOM REG `file` */
    RERT_CASE_REG_RIGID_AUTO,      /**< "rigid_auto": computed, rigid */
    RERT_CASE_REG_DEFORMABLE_AUTO, /**< "deformable_auto": computed */
    RERT_CASE_REG_VECTOR_FIELD,    /**< "vector_field": a field `file` */
} RertCaseRegistrationMethod;

/** Treatment intent (reporting). */
typedef enum RertCaseIntent {
    RERT_CASE_INTENT_UNSPECIFIED = 0, /**< key absent */
    RERT_CASE_INTENT_CURATIVE,        /**< "curative" */
    RERT_CASE_INTENT_PALLIATIVE,      /**< "palliative" */
    RERT_CASE_INTENT_LOCAL_CONTROL,   /**< "local_control" */
} RertCaseIntent;

/** Phase of a toxicity event. */
typedef enum RertCaseToxicityPhase {
    RERT_CASE_TOX_ACUTE = 0, /**< "acute" */
    RERT_CASE_TOX_LATE,      /**< "late" */
} RertCaseToxicityPhase;

/** Recovery model kind. */
typedef enum RertCaseRecoveryKind {
    RERT_CASE_RECOVERY_NONE = 0,  /**< "none": r = 0 */
    RERT_CASE_RECOVERY_FIXED,     /**< "fixed": r at any interval */
    RERT_CASE_RECOVERY_TIERED,    /**< "tiered": r by interval in months */
    RERT_CASE_RECOVERY_PUBLISHED, /**< "published": a named built-in model */
} RertCaseRecoveryKind;

/** Recovery convention (science s4.1). */
typedef enum RertCaseConvention {
    RERT_CASE_CONVENTION_A = 0, /**< "A": (1 - r) EQD2_prior + EQD2_new <= L */
    RERT_CASE_CONVENTION_B,     /**< "B": EQD2_prior + EQD2_new <= (1+r) L1 */
} RertCaseConvention;

/** A yes/no answer that may be absent. */
typedef enum RertCaseAnswer {
    RERT_CASE_ANSWER_NOT_GIVEN = 0,
    RERT_CASE_ANSWER_NO,
    RERT_CASE_ANSWER_YES,
} RertCaseAnswer;

/** Recurrence versus new primary (reporting item 4). */
typedef enum RertCaseRecurrence {
    RERT_CASE_RECURRENCE_UNSPECIFIED = 0, /**< key absent */
    RERT_CASE_RECURRENCE_RECURRENCE,      /**< "recurrence" */
    RERT_CASE_RECURRENCE_NEW_PRIMARY,     /**< "new_primary" */
    RERT_CASE_RECURRENCE_UNKNOWN,         /**< "unknown" */
} RertCaseRecurrence;

/** Grid on which doses are accumulated. */
typedef enum RertCaseReferenceGrid {
    RERT_CASE_GRID_PLANNED_CT = 0, /**< "planned_ct" (default) */
    RERT_CASE_GRID_PLANNED_DOSE,   /**< "planned_dose" */
} RertCaseReferenceGrid;

/* ---- the data model */

/** Patient (reporting items 1-3). */
typedef struct RertCasePatient {
    const char *id; /**< required */
    bool has_age;   /**< age_years given */
    long age_years; /**< 0-130 */
    RertCaseSex sex;
    RertCasePsScale ps_scale;
    long ps_value;                     /**< when ps_scale != NONE */
    const char *const *organ_function; /**< free-text notes */
    size_t organ_function_count;
    size_t line;
} RertCasePatient;

/** Resolved DICOM paths of a course; NULL where not given. */
typedef struct RertCaseDicom {
    const char *ct_dir;   /**< folder of the CT series */
    const char *rtdose;   /**< RTDOSE file */
    const char *rtstruct; /**< RTSTRUCT file */
    const char *rtplan;   /**< RTPLAN file */
    size_t line;          /**< line of `dicom:`; 0 when absent */
} RertCaseDicom;

/** RBE handling of a particle course. */
typedef struct RertCaseRbe {
    RertCaseRbeModel model;
    double value;        /**< constant RBE; NaN when not given. With an LET
                              model and rbe_weighted dose: the constant the
                              planning system used (to recover physical) */
    const char *let_map; /**< resolved LETd map (RTDOSE-like), LET models */
    size_t line;
} RertCaseRbe;

/** Registration of a prior course to the planned course. */
typedef struct RertCaseRegistration {
    RertCaseRegistrationMethod method;
    const char *file; /**< resolved; dicom_reg and vector_field only */
    /** Resolved landmark pair CSV (`landmarks:`) for the target
     * registration error of the mapping; NULL when not given. */
    const char *landmarks;
    /** `inverse_consistency: false` (deformable_auto only): skip the
     * reverse registration of the inverse-consistency check. */
    bool is_inverse_consistency_skipped;
    size_t line;
} RertCaseRegistration;

/** One DVH-level entry of a paper_summary course (L1 addition). */
typedef struct RertCaseDvhEntry {
    const char *organ;  /**< organ or ROI name as written */
    const char *metric; /**< e.g. "Dmax", "D0.03cc", "Dmean" (as written;
                             the dvh module parses it) */
    double dose_gy;     /**< physical dose (Gy(RBE) for rbe_weighted) */
    long fractions;     /**< fractions it was given in (>= 1) */
    size_t line;
} RertCaseDvhEntry;

/** One toxicity event of a course. */
typedef struct RertCaseToxicityEvent {
    const char *term; /**< CTCAE term, e.g. "Dysphagia" */
    long grade;       /**< 0-5 */
    RertCaseToxicityPhase phase;
    size_t line;
} RertCaseToxicityEvent;

/** One course. */
typedef struct RertCaseCourse {
    const char *name; /**< unique */
    RertCaseRole role;
    long start_days;        /**< days since 1970-01-01 */
    const char *start_date; /**< as written, "YYYY-MM-DD" */
    bool has_end;           /**< false only for a planned course */
    long end_days;
    const char *end_date; /**< NULL when !has_end */
    RertCaseModality modality;
    RertCaseDataQuality data_quality;
    RertCaseDicom dicom;
    long fractions;         /**< >= 1; 0 = read from the RTPLAN */
    long fraction_group;    /**< RTPLAN fraction group number; 0 = not given */
    double prescription_gy; /**< NaN when not given */
    RertCaseDoseType dose_type; /**< physical unless a particle course says */
    RertCaseRbe rbe;
    RertCaseRegistration registration;
    const RertCaseDvhEntry *dvh_entries; /**< paper_summary only */
    size_t dvh_entry_count;
    const char *const *targets; /**< target ROI names */
    size_t target_count;
    const char *const *target_organs; /**< organ labels (classification Q3) */
    size_t target_organ_count;
    RertCaseIntent intent;
    const char *technique;                   /**< e.g. "VMAT"; NULL if absent */
    const char *concurrent_systemic_therapy; /**< NULL if absent */
    bool has_toxicity;                       /**< `toxicity:` given */
    const char *ctcae_version;               /**< e.g. "5.0" */
    const RertCaseToxicityEvent *toxicity;   /**< empty = none observed */
    size_t toxicity_count;
    size_t line;
} RertCaseCourse;

/** Alpha/beta of one ROI or organ name. */
typedef struct RertCaseAlphaBetaEntry {
    const char *name;
    double alpha_beta_gy; /**< > 0 */
    size_t line;
} RertCaseAlphaBetaEntry;

/** Alpha/beta values. */
typedef struct RertCaseAlphaBeta {
    double default_gy;  /**< required, > 0 */
    const char *source; /**< NULL when not given */
    /** Dose-response model: false = LQ (default), true = LQ-L (Astrahan
     * 2008) with transition_dose_gy, required then (no published default). */
    bool is_lql;
    double transition_dose_gy; /**< LQ-L dT per fraction; NaN for LQ */
    const RertCaseAlphaBetaEntry *entries;
    size_t entry_count;
    size_t line;
} RertCaseAlphaBeta;

/** One tier: from @p from_months on, r = recovery_frac. */
typedef struct RertCaseRecoveryTier {
    double from_months;   /**< >= 0, strictly ascending */
    double recovery_frac; /**< [0, 1] */
} RertCaseRecoveryTier;

/** A recovery model for one organ (or the default). */
typedef struct RertCaseRecoveryModel {
    const char *organ; /**< NULL for the default model */
    RertCaseRecoveryKind kind;
    double recovery_frac; /**< fixed */
    RertCaseRecoveryTier tiers[RERT_CASE_MAX_RECOVERY_TIERS];
    size_t tier_count;          /**< tiered */
    const char *published_name; /**< published (evaluate module's key) */
    const char *source;         /**< NULL when not given */
    size_t line;
} RertCaseRecoveryModel;

/** Recovery ("time discount") settings. */
typedef struct RertCaseRecovery {
    bool is_given; /**< `recovery:` present; otherwise r = 0 */
    RertCaseConvention convention;
    RertCaseRecoveryModel default_model; /**< none unless given */
    const RertCaseRecoveryModel *organs;
    size_t organ_count;
    size_t line;
} RertCaseRecovery;

/** One constraint override (see the constraints module). */
typedef struct RertCaseConstraintOverride {
    const char *id; /**< NULL: derived by the constraints module */
    const char *organ;
    const char *metric;
    double limit;
    const char *unit;       /**< Gy_EQD2 | Gy_BED | % | cc | ratio */
    double alpha_beta_gy;   /**< NaN when not given */
    const char *scope;      /**< cumulative (default) | each_course |
                                 single_course | new_course | new_course_share */
    const char *comparison; /**< "<=" (default) or "<" */
    const char *source;     /**< required */
    const char *replaces;   /**< id replaced; NULL = by organ/metric/scope */
    size_t line;
} RertCaseConstraintOverride;

/** Constraint set and overrides. */
typedef struct RertCaseConstraints {
    const char *set; /**< "builtin" (default) or a resolved YAML path */
    bool is_builtin;
    /** Treated body site (`constraints.site`): "cns", "head_neck",
     * "spine", "thorax", "abdomen", "pelvis" or "all" (every site on
     * purpose); NULL when not given (every site, with a warning). Library
     * constraints of site "any" always apply. */
    const char *site;
    const RertCaseConstraintOverride *overrides;
    size_t override_count;
    size_t line;
} RertCaseConstraints;

/** Inputs of the ESTRO-EORTC classification. */
typedef struct RertCaseClassification {
    bool has_overlap_threshold;
    double overlap_threshold_gy;          /**< Gy EQD2, > 0 */
    const char *overlap_threshold_source; /**< required with the threshold */
    double min_overlap_cc;                /**< default 0 */
    RertCaseAnswer cumulative_concern;    /**< clinician's answer (Q2) */
    const char *cumulative_concern_by;    /**< who answered; required */
    const char *cumulative_concern_note;  /**< NULL if absent */
    size_t line;
} RertCaseClassification;

/** Case-level reporting items. */
typedef struct RertCaseReporting {
    RertCaseRecurrence recurrence;
    const char *const *imaging; /**< imaging used for targeting */
    size_t imaging_count;
    const char *notes; /**< NULL if absent */
    size_t line;
} RertCaseReporting;

/** One `selection:` entry (patient-selection inputs, docs/selection.md):
 * the key and its scalar text as written; the selection module checks
 * both (unknown keys and bad values are errors naming the line). */
typedef struct RertCaseSelectionEntry {
    const char *key;
    const char *value;
    size_t line;
} RertCaseSelectionEntry;

/** Options. */
typedef struct RertCaseOptions {
    RertCaseReferenceGrid reference_grid;
    bool allow_patient_id_mismatch; /**< default false */
    /** Registration uncertainty radius (mm) for the RADAR band of every
     * cumulative metric and budget; NaN (default) = no band. */
    double registration_uncertainty_mm;
    size_t line;
} RertCaseOptions;

/* ---- loading */

/** How to load a case file. */
typedef struct RertCaseLoadOptions {
    /** Check that every referenced file and folder exists (default true).
     * Off for documentation examples and fuzzing. */
    bool check_files;
} RertCaseLoadOptions;

/** The defaults: check_files = true. */
RERT_API RertCaseLoadOptions rert_case_load_options_default(void);

/**
 * Load and check the case file @p path.
 * @param opts NULL means rert_case_load_options_default().
 * @return the case, or NULL on error.
 * Errors: IO (case file unreadable; referenced file missing, naming the key,
 * line and path), LIMIT (file larger than RERT_CASE_MAX_BYTES, too many
 * courses), PARSE (YAML syntax, unknown key, wrong type, missing required
 * key, failed semantic check: "<file>:<line>: <key>: expected ..., found
 * ..."), NOMEM.
 * Ownership: new, rert_case_destroy(). Threads: reentrant.
 */
RERT_API RertCase *rert_case_load(RertError *err,
                                  const char *path,
                                  const RertCaseLoadOptions *opts);

/**
 * As rert_case_load() from @p size bytes in memory.
 * @param name names the text in messages.
 * @param base_dir folder that relative paths are resolved against (NULL or
 *        "" = the current folder).
 */
RERT_API RertCase *rert_case_parse(RertError *err,
                                   const char *text,
                                   size_t size,
                                   const char *name,
                                   const char *base_dir,
                                   const RertCaseLoadOptions *opts);

/** Free @p c and everything borrowed from it. NULL allowed. */
RERT_API void rert_case_destroy(RertCase *c);

/* ---- access (all borrowed from the case, valid until it is destroyed) */

/** The name given at load (the file path). */
RERT_API const char *rert_case_name(const RertCase *c);
/** Patient. */
RERT_API const RertCasePatient *rert_case_patient(const RertCase *c);
/** Number of courses (prior ones first, the planned one last; >= 2). */
RERT_API size_t rert_case_course_count(const RertCase *c);
/** Course @p index in time order, or NULL when out of range. */
RERT_API const RertCaseCourse *rert_case_course(const RertCase *c,
                                                size_t index);
/** The planned course (the last one). */
RERT_API const RertCaseCourse *rert_case_planned_course(const RertCase *c);
/** Alpha/beta values. */
RERT_API const RertCaseAlphaBeta *rert_case_alpha_beta(const RertCase *c);
/**
 * Alpha/beta for @p name: the entry with exactly that name (ASCII
 * case-insensitive), otherwise the default. Organ synonyms are the
 * constraints module's job; this is the file's literal table.
 * @param entry_out may be NULL; set to the matching entry or NULL.
 */
RERT_API double
rert_case_alpha_beta_for(const RertCase *c,
                         const char *name,
                         const RertCaseAlphaBetaEntry **entry_out);
/** Recovery settings. */
RERT_API const RertCaseRecovery *rert_case_recovery(const RertCase *c);
/** Recovery model for @p organ: the organ entry with that name (ASCII
 * case-insensitive), otherwise the default model. Never NULL. */
RERT_API const RertCaseRecoveryModel *rert_case_recovery_for(const RertCase *c,
                                                             const char *organ);
/** Constraint set and overrides. */
RERT_API const RertCaseConstraints *rert_case_constraints(const RertCase *c);
/** Classification inputs. */
RERT_API const RertCaseClassification *
rert_case_classification(const RertCase *c);
/** Case-level reporting items. */
RERT_API const RertCaseReporting *rert_case_reporting(const RertCase *c);
/** Options. */
RERT_API const RertCaseOptions *rert_case_options(const RertCase *c);
/** The `selection:` entries in file order (@p count receives their
 * number; NULL with 0 when the section is absent). */
RERT_API const RertCaseSelectionEntry *rert_case_selection(const RertCase *c,
                                                           size_t *count);

/* ---- stable keys of the enumerations (the text of the file), or NULL
 * when out of range. Static storage. */

RERT_API const char *rert_case_modality_name(RertCaseModality m);
RERT_API const char *rert_case_data_quality_name(RertCaseDataQuality q);
RERT_API const char *rert_case_role_name(RertCaseRole r);
RERT_API const char *rert_case_dose_type_name(RertCaseDoseType t);
RERT_API const char *rert_case_rbe_model_name(RertCaseRbeModel m);
RERT_API const char *rert_case_registration_name(RertCaseRegistrationMethod m);
RERT_API const char *rert_case_recovery_kind_name(RertCaseRecoveryKind k);
RERT_API const char *rert_case_intent_name(RertCaseIntent i);
RERT_API const char *rert_case_sex_name(RertCaseSex s);
RERT_API const char *rert_case_recurrence_name(RertCaseRecurrence r);

#endif
