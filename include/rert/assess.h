/**
 * @file assess.h
 * The reirradiation assessment (`rert assess`): every course of a case
 * file converted to EQD2 voxel by voxel on its own grid with its own
 * fraction count, mapped onto the planned course's anatomy, discounted for
 * recovery, summed; cumulative organ metrics checked against the
 * constraint library; the remaining budget for the planned fractionation;
 * the ESTRO-EORTC category; and the report files. docs/assessment.md
 * describes every step.
 */
#ifndef RERT_ASSESS_H
#define RERT_ASSESS_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/casefile.h>
#include <rert/error.h>

/** Progress callback: @p stage names the step, @p fraction in [0, 1]. */
typedef void (*RertProgressFn)(const char *stage, double fraction, void *user);

/** Assessment options; see rert_assess_options_default(). */
typedef struct RertAssessOptions {
    /** Folder with constraints.yaml and organ_synonyms.yaml (required). */
    const char *data_dir;
    /** The command line, recorded in the report (may be NULL). */
    const char *command_line;
    RertProgressFn progress; /**< may be NULL */
    void *progress_user;
} RertAssessOptions;

/** Defaults: everything NULL. */
RERT_API RertAssessOptions rert_assess_options_default(void);

/** The results of one assessment. Opaque. */
typedef struct RertAssessment RertAssessment;

/**
 * Run the assessment of @p c. Errors: IO (files of the case or the data
 * folder), PARSE / UNSUPPORTED / GEOMETRY (DICOM content), INVALID_ARG
 * (inconsistent case: patient IDs differ, frames differ without a
 * registration, a course without fractions, ...). Domain outcomes
 * (violated constraints, missing reporting items) are results, not errors.
 * Ownership: new, rert_assess_destroy(); @p c must outlive the result.
 * Threads: uses OpenMP inside.
 */
RERT_API RertAssessment *rert_assess_run(RertError *err,
                                         const RertCase *c,
                                         const RertAssessOptions *options);

/**
 * Write report.json, report.html, dvh.csv, cumulative_eqd2.dcm and
 * budget_<n>fx.dcm into @p out_dir (created if absent). Everything is
 * written into a temporary folder beside it first and moved into place at
 * the end: a failure leaves no partial report. Errors: IO, NOMEM.
 */
RERT_API bool
rert_assess_write(RertError *err, const RertAssessment *a, const char *out_dir);

/** Free. NULL allowed. */
RERT_API void rert_assess_destroy(RertAssessment *a);

/** Number of constraints that failed (the CLI's exit status 1). */
RERT_API size_t rert_assess_fail_count(const RertAssessment *a);
/** Stable key of the ESTRO-EORTC category ("TYPE_1", ...). */
RERT_API const char *rert_assess_category(const RertAssessment *a);
/** One-paragraph plain-text summary (borrowed). */
RERT_API const char *rert_assess_summary(const RertAssessment *a);

#endif
