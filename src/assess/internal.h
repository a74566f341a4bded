/* Private state of the assessment pipeline (docs/assessment.md). */
#ifndef RERT_ASSESS_INTERNAL_H
#define RERT_ASSESS_INTERNAL_H

#include <rert/assess.h>
#include <rert/biodose.h>
#include <rert/constraints.h>
#include <rert/core.h>
#include <rert/dvh.h>
#include <rert/evaluate.h>
#include <rert/geometry.h>
#include <rert/registration.h>
#include <rert/report.h>
#include <rert/rt.h>
#include <rert/selection.h>

/** Most distinct constraint alpha/beta values evaluated. */
#define ASSESS_MAX_AB 8
/** A voxel belongs to a ROI when at least this fraction lies inside (the
 * alpha/beta map's rule, RERT_AB_MAP_INSIDE_DEFAULT_FRAC). */
#define ASSESS_INSIDE_FRAC 0.5

/** One course: inputs, mapping, EQD2 on the reference grid. (Members
 * ordered by alignment: clang-analyzer's padding check.) */
typedef struct Course {
    const RertCaseCourse *spec;
    RertDose *dose;
    RertStructureSet *structures;
    RertPlan *plan;
    RertImageSeries *ct;
    RertTransform *to_course; /* reference xyz -> course xyz */
    RertRigidResult rigid;
    RertDeformableResult deformable; /* filled when has_deformable */
    long fractions;
    double rbe;                    /* factor applied to the stored dose */
    const RertRbeModel *rbe_model; /* LET-based model, or NULL */
    double rbe_divisor;            /* stored dose / this = physical dose */
    RertVolume *let;               /* LETd (keV/um) on the dose grid */
    double interval_months; /* prior: end -> planned start; NaN otherwise */
    size_t outside_voxels;  /* reference voxels outside its dose grid */
    RertVolume *eqd2[ASSESS_MAX_AB]; /* at a uniform alpha/beta, mapped */
    RertVolume *eqd2_map;            /* per-ROI alpha/beta, mapped */
    double default_recovery;         /* r outside listed organs */
    /* Registration checks (regqa.c). Inverse consistency of a
     * deformable_auto mapping: */
    RertFieldErrorStats inverse_consistency;
    double inverse_consistency_seconds;
    /* Where the mapping is defined beyond the reference grid (a field's
     * own grid), and its rigid part (deformable_auto: the rigid start). */
    RertGridGeometry domain;
    RertMat4 rigid_part;
    /* Landmark TRE of the mapping used (and of its rigid part alone). */
    RertLandmarkSet *landmarks;
    double *tre_mm; /* per landmark */
    RertLandmarkStats tre;
    double *rigid_tre_mm; /* NULL without a rigid part */
    RertLandmarkStats rigid_tre;
    char registration[160]; /* how it was mapped, for the report */
    char rbe_note[160];
    char inverse_consistency_note[160]; /* why it is absent */
    char ab_note[65];                   /* DoseComment-style alpha/beta */
    bool is_planned;
    bool has_voxels;     /* an RTDOSE enters the voxel sum */
    bool has_rigid;      /* `rigid` is filled */
    bool is_deformable;  /* a deformable mapping was used */
    bool has_deformable; /* `deformable` is filled */
    bool has_inverse_consistency;
    bool has_domain;
    bool has_rigid_part;
} Course;

/** One ROI of the planned structure set, on the reference grid. */
typedef struct Roi {
    const RertRoi *roi;
    const char *name;
    const char *organ; /* canonical organ, NULL when unmatched */
    float *occupancy;
    double volume_cc;
    double ab_gy; /* the case's alpha/beta for it */
    bool is_target;
    double *recovery; /* r per course (priors; 0 for others) */
    /* The recovery model that decided r (last prior course with voxels);
     * NULL without recovery. Borrowed (static or case-file storage). */
    const char *recovery_model;
    const char *recovery_source;
    const char *recovery_tag;
    RertRecoveryDefinedUnder recovery_defined_under;
} Roi;

/* A constraint derived from a single-course tolerance and the recovery
 * convention (docs/assessment.md, "Recovery-adjusted checks"). */
typedef struct Derived {
    RertConstraint constraint;
    const Roi *roi;
    const struct Measure *measure;
    double recovery_frac; /* B: the r that raised the limit */
    char id[160];
    char notes[320];
    char source[1200]; /* base source + "; recovery: " + model source */
} Derived;

/** Budget for one constrained organ metric. */
typedef struct Budget {
    const RertConstraint *constraint;
    const Roi *roi;
    char basis[320]; /* which limit, convention and, when one binds, the
                        per-course cap */
    /* Smallest physical total dose of the planned course allowed by the
     * per-course limits of the ROI (each_course, new_course,
     * new_course_share); NaN without one. */
    double cap_total_gy;
    double prior_eqd2_gy;
    RertBudgetResult result;
    bool has_band;
    RertBudgetResult band; /* with the upper-band prior dose */
} Budget;

/* A prior course's structure propagated onto the reference anatomy and
 * compared with the planned contour. */
typedef struct Agreement {
    const Course *course;
    const Roi *roi;
    RertStructureAgreement stats;
} Agreement;

/** One measured metric: organ ROI x metric x alpha/beta. */
typedef struct Measure {
    const Roi *roi;
    RertDvhMetric metric;
    double ab_gy;
    double cumulative;            /* over all courses */
    double prior;                 /* over prior courses */
    double prior_discounted;      /* prior, recovery applied (convention A) */
    double cumulative_discounted; /* prior_discounted + planned */
    /* RADAR band (options.registration_uncertainty_mm): the prior dose
     * replaced by its max (upper) / min (lower) over the same ROI within
     * the radius, plus the planned dose; NaN without a band. */
    double prior_upper;
    double cumulative_upper;
    double cumulative_lower;
    double *per_course; /* course_count values (NaN where none) */
    bool has_paper;     /* DVH-level entries were added (L1) */
} Measure;

struct RertAssessment {
    const RertCase *c;
    RertAssessOptions options;
    RertConstraintLibrary *library;
    RertOrganTable *organs;
    Course *courses;
    size_t course_count;
    size_t planned;
    RertGridGeometry ref;
    const RertDataset *ref_header;
    Roi *rois;
    size_t roi_count;
    double ab[ASSESS_MAX_AB];
    size_t ab_count;
    RertVolume *cumulative_map; /* per-ROI alpha/beta, all courses */
    RertVolume *prior_map;
    Measure *measures;
    size_t measure_count;
    RertConstraintMeasurement *inputs; /* parallel to measures */
    RertConstraintResult *results;
    size_t result_count;
    Derived *derived; /* recovery-adjusted constraints (owned) */
    size_t derived_count;
    /* Treated site (case file constraints.site; NULL: not given, every
     * site applied) and the library constraints of other sites that were
     * not applied (borrowed from library; organ contoured or not). */
    const char *site;
    const RertConstraint **other_site;
    size_t other_site_count;
    double min_interval_months;
    size_t fail_count;
    Budget *budgets;
    size_t budget_count;
    RertVolume *budget_total;
    RertBudgetMapStats budget_stats;
    bool has_overlap;
    RertOverlapResult overlap;
    RertClassifyCourse *answers;
    RertClassifyResult category;
    RertSummationLevel level;
    RertSelectionInput selection;
    RertScoreResult scores[RERT_SCORE_COUNT];
    RertChecklistResult checklist;
    Agreement *agreements;
    size_t agreement_count;
    RertStrbuf warnings; /* one per line */
    char *summary;
    char convention[32];
};

/* inputs.c */
bool assess_load_library(RertError *err, RertAssessment *a);
bool assess_load_courses(RertError *err, RertAssessment *a);
/* dose.c */
bool assess_map_doses(RertError *err, RertAssessment *a);
/* rois.c */
bool assess_reference_grid(RertError *err, RertAssessment *a);
bool assess_prepare_rois(RertError *err, RertAssessment *a);
bool assess_recovery(RertError *err, RertAssessment *a);
/* measure.c */
bool assess_measure(RertError *err, RertAssessment *a);
bool assess_budget(RertError *err, RertAssessment *a);
bool assess_classify(RertError *err, RertAssessment *a);
/* agreement.c */
bool assess_agreement(RertError *err, RertAssessment *a);
bool assess_agreement_html(RertError *err,
                           RertStrbuf *sb,
                           const RertAssessment *a);
bool assess_agreement_json(RertError *err,
                           RertJsonWriter *w,
                           const RertAssessment *a);
/* regqa.c: inverse consistency (deformable_auto), landmark TRE */
bool assess_inverse_consistency(RertError *err,
                                const RertAssessment *a,
                                Course *k,
                                const RertVectorField *forward);
bool assess_landmarks_load(RertError *err, const RertAssessment *a, Course *k);
bool assess_landmarks(RertError *err, RertAssessment *a);
void assess_regqa_clear(Course *k);
bool assess_regqa_html(RertError *err, RertStrbuf *sb, const RertAssessment *a);
bool assess_regqa_json(RertError *err,
                       RertJsonWriter *w,
                       const RertAssessment *a);
/* select.c */
bool assess_selection(RertError *err, RertAssessment *a);
bool assess_selection_json(RertError *err,
                           RertJsonWriter *w,
                           const RertAssessment *a);
bool assess_selection_html(RertError *err,
                           RertStrbuf *sb,
                           const RertAssessment *a);
/* output.c */
bool assess_write_outputs(RertError *err,
                          const RertAssessment *a,
                          const char *dir);

/* html.c, figures.c */
bool assess_write_html(RertError *err,
                       const RertAssessment *a,
                       const char *dir);
bool assess_html_figures(RertError *err,
                         RertStrbuf *sb,
                         const RertAssessment *a);
/* The 10 mandatory ESTRO-EORTC reporting items: present or missing
 * (decided from what the report shows), and the text shown for item
 * @p item (0-based) into @p t. */
bool assess_report_items(const RertAssessment *a, bool present[10]);
void assess_report_item_text(const RertAssessment *a,
                             size_t item,
                             char *t,
                             size_t size);
/* Organ dose table (item 8): metric names in order (NULL past the end),
 * the measure of @p roi for one metric and alpha/beta (NULL if none), and
 * the number of non-target ROIs with at least one finite value. */
const char *assess_organ_metric(size_t i);
const Measure *assess_find_measure(const RertAssessment *a,
                                   const Roi *roi,
                                   const char *metric,
                                   double ab_gy);
size_t assess_organ_row_count(const RertAssessment *a);
/* The recovery model applied to @p roi, as shown in the report. */
void assess_recovery_text(const RertAssessment *a,
                          const Roi *roi,
                          char *t,
                          size_t size);
/* "<dir>/<name>" into @p out; false (IO error) when it does not fit. */
bool assess_path(
    RertError *err, char *out, size_t size, const char *dir, const char *name);

/* ROI and organ names compared ignoring ASCII case. */
bool assess_name_equal(const char *x, const char *y);

/* Registration uncertainty radius (mm) or 0 when no band is asked. */
double assess_uncertainty_mm(const RertAssessment *a);

/* The case's dose-response model (LQ, or LQ-L with its dT). */
RertLqModel assess_model(const RertAssessment *a);

/* Record a warning line for the report (formatting failures are ignored:
 * the warning list is best effort under memory exhaustion). */
void assess_warn(RertAssessment *a, const char *fmt, ...) RERT_PRINTF(2, 3);
/* Progress. */
void assess_progress(const RertAssessment *a,
                     const char *stage,
                     double fraction);

#endif
