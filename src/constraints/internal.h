/* Private declarations of the constraints module (never installed). */
#ifndef RERT_CONSTRAINTS_INTERNAL_H
#define RERT_CONSTRAINTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/constraints.h>
#include <rert/dvh.h>

/* Owned strings of one entry, in this order; pub points into them. */
enum {
    STR_ID = 0,
    STR_ORGAN,
    STR_METRIC,
    STR_CONDITION,
    STR_SITE,
    STR_NOTES,
    STR_SOURCE,
    STR_VERIFICATION,
    STR_REPLACES,
    STR_COUNT
};

typedef struct ConstraintEntry {
    RertConstraint pub;
    RertDvhMetric metric; /* parsed form of pub.metric */
    char *owned[STR_COUNT];
} ConstraintEntry;

struct RertConstraintLibrary {
    ConstraintEntry *entries;
    size_t count;
    size_t cap;
};

/* Same metric: kind equal and x equal within 1e-9. */
bool constraint_metric_equal(const RertDvhMetric *a, const RertDvhMetric *b);

/* Parse enum names as written in the data files; false when unknown. */
bool constraint_scope_from_name(const char *name, RertConstraintScope *out);
bool constraint_unit_from_name(const char *name, RertConstraintUnit *out);
bool constraint_comparison_from_name(const char *name,
                                     RertConstraintComparison *out);
bool constraint_evidence_from_name(const char *name, RertEvidenceTag *out);
bool constraint_consensus_from_name(const char *name, RertConsensus *out);

/* Largest normalised organ name, bytes including the NUL. */
#define ORGAN_NAME_MAX 128

#endif
