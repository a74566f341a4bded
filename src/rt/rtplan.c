/* RT Plan and RT Ion Plan reading: RT General Plan (PS3.3 C.8.8.9),
 * RT Prescription (C.8.8.10), RT Fraction Scheme (C.8.8.13), RT Beams
 * (C.8.8.14) and RT Ion Beams (C.8.8.25). Fraction groups are never
 * merged. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/rt.h>

#include "internal.h"

#define TAG_RT_PLAN_LABEL RERT_TAG(0x300A, 0x0002)
#define TAG_RT_PLAN_NAME RERT_TAG(0x300A, 0x0003)
#define TAG_RT_PLAN_DATE RERT_TAG(0x300A, 0x0006)
#define TAG_PLAN_INTENT RERT_TAG(0x300A, 0x000A)
#define TAG_DOSE_REFERENCE_SEQ RERT_TAG(0x300A, 0x0010)
#define TAG_DOSE_REFERENCE_NUMBER RERT_TAG(0x300A, 0x0012)
#define TAG_DOSE_REFERENCE_STRUCTURE_TYPE RERT_TAG(0x300A, 0x0014)
#define TAG_DOSE_REFERENCE_DESCRIPTION RERT_TAG(0x300A, 0x0016)
#define TAG_DOSE_REFERENCE_TYPE RERT_TAG(0x300A, 0x0020)
#define TAG_DELIVERY_MAXIMUM_DOSE RERT_TAG(0x300A, 0x0023)
#define TAG_TARGET_PRESCRIPTION_DOSE RERT_TAG(0x300A, 0x0026)
#define TAG_FRACTION_GROUP_SEQ RERT_TAG(0x300A, 0x0070)
#define TAG_FRACTION_GROUP_NUMBER RERT_TAG(0x300A, 0x0071)
#define TAG_FRACTIONS_PLANNED RERT_TAG(0x300A, 0x0078)
#define TAG_BEAM_DOSE RERT_TAG(0x300A, 0x0084)
#define TAG_BEAM_METERSET RERT_TAG(0x300A, 0x0086)
#define TAG_BEAM_SEQ RERT_TAG(0x300A, 0x00B0)
#define TAG_BEAM_NUMBER RERT_TAG(0x300A, 0x00C0)
#define TAG_BEAM_NAME RERT_TAG(0x300A, 0x00C2)
#define TAG_RADIATION_TYPE RERT_TAG(0x300A, 0x00C6)
#define TAG_TREATMENT_DELIVERY_TYPE RERT_TAG(0x300A, 0x00CE)
#define TAG_ION_BEAM_SEQ RERT_TAG(0x300A, 0x03A2)
#define TAG_REFERENCED_BEAM_SEQ RERT_TAG(0x300C, 0x0004)
#define TAG_REFERENCED_BEAM_NUMBER RERT_TAG(0x300C, 0x0006)
#define TAG_REFERENCED_DOSE_REFERENCE_SEQ RERT_TAG(0x300C, 0x0050)
#define TAG_REFERENCED_DOSE_REFERENCE_NUMBER RERT_TAG(0x300C, 0x0051)
#define TAG_REFERENCED_STRUCTURE_SET_SEQ RERT_TAG(0x300C, 0x0060)
#define TAG_REFERENCED_ROI_NUMBER RERT_TAG(0x3006, 0x0084)

struct RertPlan {
    RertRtMeta meta;
    bool is_ion;
    char label[RERT_RT_LO_SIZE];
    char name[RERT_RT_LO_SIZE];
    char date[RERT_RT_LO_SIZE];
    char intent[RERT_RT_LO_SIZE];
    char structure_set_uid[RERT_UID_SIZE];
    RertFractionGroup *groups;
    size_t group_count;
    RertBeam *beams;
    size_t beam_count;
    RertDoseReference *references;
    size_t reference_count;
    RtWarnings warnings;
};

static const char *const radiation_names[] = {
    "UNKNOWN", "PHOTON", "ELECTRON", "PROTON", "ION", "NEUTRON",
};

const char *rert_radiation_type_name(RertRadiationType type)
{
    size_t t = (size_t)type;
    return t < sizeof radiation_names / sizeof radiation_names[0]
               ? radiation_names[t]
               : "UNKNOWN";
}

void rert_plan_destroy(RertPlan *plan)
{
    if (plan == NULL) {
        return;
    }
    for (size_t i = 0; i < plan->group_count; i++) {
        rert_free((void *)plan->groups[i].beams);
        rert_free((void *)plan->groups[i].dose_reference_numbers);
    }
    rert_free(plan->groups);
    rert_free(plan->beams);
    rert_free(plan->references);
    rt_warnings_clear(&plan->warnings);
    rert_free(plan);
}

/* Optional numeric value: absent is fine, malformed is an error. */
static bool optional_double(
    RertError *err, const RertDataset *ds, uint32_t tag, bool *has, double *out)
{
    *has = false;
    if (!rert_dataset_has(ds, tag)) {
        return true;
    }
    if (!rert_dataset_get_double(err, ds, tag, 0, out)) {
        return false;
    }
    *has = true;
    return true;
}

static bool required_long(RertError *err,
                          const RertDataset *ds,
                          uint32_t tag,
                          const char *where,
                          size_t index,
                          long *out)
{
    if (!rert_dataset_get_long(err, ds, tag, 0, out)) {
        rert_error_prefix(err, "%s item %zu", where, index + 1);
        return false;
    }
    return true;
}

/* ---- beams */

static RertRadiationType parse_radiation(const char *text)
{
    for (size_t t = 1; t < sizeof radiation_names / sizeof radiation_names[0];
         t++) {
        if (strcmp(text, radiation_names[t]) == 0) {
            return (RertRadiationType)t;
        }
    }
    return RERT_RADIATION_UNKNOWN;
}

static bool read_beams(RertError *err, const RertDataset *ds, RertPlan *plan)
{
    uint32_t seq = plan->is_ion ? TAG_ION_BEAM_SEQ : TAG_BEAM_SEQ;
    const char *where = plan->is_ion ? "(300A,03A2) IonBeamSequence"
                                     : "(300A,00B0) BeamSequence";
    size_t n = rert_dataset_item_count(ds, seq);
    if (n == 0) {
        return true;
    }
    plan->beams = rert_calloc(err, n, sizeof *plan->beams);
    if (plan->beams == NULL) {
        return false;
    }
    plan->beam_count = n;
    for (size_t i = 0; i < n; i++) {
        const RertDataset *item = rert_dataset_item(ds, seq, i);
        RertBeam *b = &plan->beams[i];
        char text[RERT_RT_LO_SIZE];
        if (!required_long(err, item, TAG_BEAM_NUMBER, where, i, &b->number)) {
            return false;
        }
        rt_string_or_empty(item, TAG_BEAM_NAME, b->name, sizeof b->name);
        rt_string_or_empty(item, TAG_TREATMENT_DELIVERY_TYPE,
                           b->treatment_delivery_type,
                           sizeof b->treatment_delivery_type);
        rt_string_or_empty(item, TAG_RADIATION_TYPE, text, sizeof text);
        b->radiation_type = parse_radiation(text);
        if (b->radiation_type == RERT_RADIATION_UNKNOWN &&
            !rt_warnings_add(err, &plan->warnings,
                             "beam %ld: (300A,00C6) RadiationType '%s' not "
                             "recognised",
                             b->number, text)) {
            return false;
        }
    }
    return true;
}

/* ---- dose references (prescription) */

static bool read_dose_reference(RertError *err,
                                const RertDataset *item,
                                size_t i,
                                RertDoseReference *r)
{
    if (!required_long(err, item, TAG_DOSE_REFERENCE_NUMBER,
                       "(300A,0010) DoseReferenceSequence", i, &r->number)) {
        return false;
    }
    rt_string_or_empty(item, TAG_DOSE_REFERENCE_TYPE, r->type, sizeof r->type);
    rt_string_or_empty(item, TAG_DOSE_REFERENCE_STRUCTURE_TYPE,
                       r->structure_type, sizeof r->structure_type);
    rt_string_or_empty(item, TAG_DOSE_REFERENCE_DESCRIPTION, r->description,
                       sizeof r->description);
    r->has_referenced_roi = rert_dataset_get_long(
        NULL, item, TAG_REFERENCED_ROI_NUMBER, 0, &r->referenced_roi_number);
    return optional_double(err, item, TAG_TARGET_PRESCRIPTION_DOSE,
                           &r->has_target_prescription_dose,
                           &r->target_prescription_dose_gy) &&
           optional_double(err, item, TAG_DELIVERY_MAXIMUM_DOSE,
                           &r->has_delivery_maximum_dose,
                           &r->delivery_maximum_dose_gy);
}

static bool
read_dose_references(RertError *err, const RertDataset *ds, RertPlan *plan)
{
    size_t n = rert_dataset_item_count(ds, TAG_DOSE_REFERENCE_SEQ);
    if (n == 0) {
        return true;
    }
    plan->references = rert_calloc(err, n, sizeof *plan->references);
    if (plan->references == NULL) {
        return false;
    }
    plan->reference_count = n;
    for (size_t i = 0; i < n; i++) {
        if (!read_dose_reference(
                err, rert_dataset_item(ds, TAG_DOSE_REFERENCE_SEQ, i), i,
                &plan->references[i])) {
            return false;
        }
    }
    return true;
}

/* ---- fraction groups */

static bool read_referenced_beams(RertError *err,
                                  const RertDataset *item,
                                  RertFractionGroup *g)
{
    size_t n = rert_dataset_item_count(item, TAG_REFERENCED_BEAM_SEQ);
    g->has_dose_per_fraction = n > 0;
    if (n == 0) {
        return true;
    }
    RertReferencedBeam *beams = rert_calloc(err, n, sizeof *beams);
    if (beams == NULL) {
        return false;
    }
    g->beams = beams;
    g->beam_count = n;
    for (size_t i = 0; i < n; i++) {
        const RertDataset *rb =
            rert_dataset_item(item, TAG_REFERENCED_BEAM_SEQ, i);
        if (!required_long(err, rb, TAG_REFERENCED_BEAM_NUMBER,
                           "(300C,0004) ReferencedBeamSequence", i,
                           &beams[i].beam_number) ||
            !optional_double(err, rb, TAG_BEAM_DOSE, &beams[i].has_beam_dose,
                             &beams[i].beam_dose_gy) ||
            !optional_double(err, rb, TAG_BEAM_METERSET,
                             &beams[i].has_beam_meterset,
                             &beams[i].beam_meterset)) {
            return false;
        }
        g->has_dose_per_fraction =
            g->has_dose_per_fraction && beams[i].has_beam_dose;
        g->dose_per_fraction_gy +=
            beams[i].has_beam_dose ? beams[i].beam_dose_gy : 0.0;
    }
    if (!g->has_dose_per_fraction) {
        g->dose_per_fraction_gy = 0.0;
    }
    return true;
}

static bool read_group_dose_references(RertError *err,
                                       const RertDataset *item,
                                       RertFractionGroup *g)
{
    size_t n = rert_dataset_item_count(item, TAG_REFERENCED_DOSE_REFERENCE_SEQ);
    if (n == 0) {
        return true;
    }
    long *numbers = rert_calloc(err, n, sizeof *numbers);
    if (numbers == NULL) {
        return false;
    }
    g->dose_reference_numbers = numbers;
    g->dose_reference_count = n;
    for (size_t i = 0; i < n; i++) {
        if (!required_long(
                err,
                rert_dataset_item(item, TAG_REFERENCED_DOSE_REFERENCE_SEQ, i),
                TAG_REFERENCED_DOSE_REFERENCE_NUMBER,
                "(300C,0050) ReferencedDoseReferenceSequence", i,
                &numbers[i])) {
            return false;
        }
    }
    return true;
}

static bool read_group(RertError *err,
                       const RertDataset *item,
                       size_t i,
                       RertFractionGroup *g)
{
    if (!required_long(err, item, TAG_FRACTION_GROUP_NUMBER,
                       "(300A,0070) FractionGroupSequence", i, &g->number)) {
        return false;
    }
    if (rert_dataset_has(item, TAG_FRACTIONS_PLANNED)) {
        if (!rert_dataset_get_long(err, item, TAG_FRACTIONS_PLANNED, 0,
                                   &g->fractions_planned)) {
            return false;
        }
        if (g->fractions_planned < 0) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "fraction group %ld: (300A,0078) "
                                  "NumberOfFractionsPlanned is %ld, expected "
                                  ">= 0",
                                  g->number, g->fractions_planned);
        }
        g->has_fractions = true;
    }
    return read_referenced_beams(err, item, g) &&
           read_group_dose_references(err, item, g);
}

static bool read_groups(RertError *err, const RertDataset *ds, RertPlan *plan)
{
    size_t n = rert_dataset_item_count(ds, TAG_FRACTION_GROUP_SEQ);
    if (n == 0) {
        return rt_warnings_add(err, &plan->warnings,
                               "(300A,0070) FractionGroupSequence missing: "
                               "the plan gives no fractionation");
    }
    plan->groups = rert_calloc(err, n, sizeof *plan->groups);
    if (plan->groups == NULL) {
        return false;
    }
    plan->group_count = n;
    for (size_t i = 0; i < n; i++) {
        if (!read_group(err, rert_dataset_item(ds, TAG_FRACTION_GROUP_SEQ, i),
                        i, &plan->groups[i])) {
            return false;
        }
        for (size_t k = 0; k < i; k++) {
            if (plan->groups[k].number == plan->groups[i].number) {
                return rert_error_set(err, RERT_ERR_PARSE,
                                      "(300A,0071) FractionGroupNumber %ld "
                                      "appears twice",
                                      plan->groups[i].number);
            }
        }
    }
    if (n > 1) {
        return rt_warnings_add(err, &plan->warnings,
                               "plan has %zu fraction groups; they are kept "
                               "apart, choose one for fractionation",
                               n);
    }
    return true;
}

static bool read_plan(RertError *err, const RertDataset *ds, RertPlan *plan)
{
    rt_meta_read(ds, &plan->meta);
    plan->is_ion = rert_rt_object_kind(ds) == RERT_RT_OBJECT_RTIONPLAN ||
                   rert_dataset_has(ds, TAG_ION_BEAM_SEQ);
    rt_string_or_empty(ds, TAG_RT_PLAN_LABEL, plan->label, sizeof plan->label);
    rt_string_or_empty(ds, TAG_RT_PLAN_NAME, plan->name, sizeof plan->name);
    rt_string_or_empty(ds, TAG_RT_PLAN_DATE, plan->date, sizeof plan->date);
    rt_string_or_empty(ds, TAG_PLAN_INTENT, plan->intent, sizeof plan->intent);
    const RertDataset *ref =
        rert_dataset_item(ds, TAG_REFERENCED_STRUCTURE_SET_SEQ, 0);
    if (ref != NULL) {
        rt_string_or_empty(ref, TAG_REFERENCED_SOP_INSTANCE_UID,
                           plan->structure_set_uid,
                           sizeof plan->structure_set_uid);
    }
    return read_dose_references(err, ds, plan) && read_groups(err, ds, plan) &&
           read_beams(err, ds, plan);
}

RertPlan *rert_plan_from_dataset(RertError *err, const RertDataset *ds)
{
    if (ds == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "RT Plan: NULL data set");
        return NULL;
    }
    RertRtObjectKind kind = rert_rt_object_kind(ds);
    if (kind != RERT_RT_OBJECT_RTPLAN && kind != RERT_RT_OBJECT_RTIONPLAN &&
        kind != RERT_RT_OBJECT_UNKNOWN) {
        rert_error_set(err, RERT_ERR_PARSE,
                       "data set is %s, expected RTPLAN or RTIONPLAN",
                       rert_rt_object_kind_name(kind));
        return NULL;
    }
    RertPlan *plan = rert_calloc(err, 1, sizeof *plan);
    if (plan == NULL) {
        return NULL;
    }
    if (!read_plan(err, ds, plan)) {
        rert_plan_destroy(plan);
        return NULL;
    }
    return plan;
}

RertPlan *
rert_plan_load(RertError *err, const char *path, const RertLimits *limits)
{
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    if (limits != NULL) {
        po.limits = *limits;
    }
    RertDataset *ds = rert_dicom_load(err, path, &po, NULL);
    if (ds == NULL) {
        return NULL;
    }
    RertPlan *plan = rert_plan_from_dataset(err, ds);
    rert_dataset_destroy(ds);
    if (plan == NULL) {
        rert_error_prefix(err, "RT Plan %s", path);
    }
    return plan;
}

/* ---- accessors */

bool rert_plan_is_ion(const RertPlan *plan)
{
    return plan->is_ion;
}

const RertRtMeta *rert_plan_meta(const RertPlan *plan)
{
    return &plan->meta;
}

const char *rert_plan_label(const RertPlan *plan)
{
    return plan->label;
}

const char *rert_plan_name(const RertPlan *plan)
{
    return plan->name;
}

const char *rert_plan_date(const RertPlan *plan)
{
    return plan->date;
}

const char *rert_plan_intent(const RertPlan *plan)
{
    return plan->intent;
}

const char *rert_plan_referenced_structure_set_uid(const RertPlan *plan)
{
    return plan->structure_set_uid;
}

size_t rert_plan_fraction_group_count(const RertPlan *plan)
{
    return plan->group_count;
}

const RertFractionGroup *rert_plan_fraction_group_at(const RertPlan *plan,
                                                     size_t index)
{
    return index < plan->group_count ? &plan->groups[index] : NULL;
}

const RertFractionGroup *
rert_plan_fraction_group_by_number(const RertPlan *plan, long number)
{
    for (size_t i = 0; i < plan->group_count; i++) {
        if (plan->groups[i].number == number) {
            return &plan->groups[i];
        }
    }
    return NULL;
}

size_t rert_plan_beam_count(const RertPlan *plan)
{
    return plan->beam_count;
}

const RertBeam *rert_plan_beam_at(const RertPlan *plan, size_t index)
{
    return index < plan->beam_count ? &plan->beams[index] : NULL;
}

size_t rert_plan_dose_reference_count(const RertPlan *plan)
{
    return plan->reference_count;
}

const RertDoseReference *rert_plan_dose_reference_at(const RertPlan *plan,
                                                     size_t index)
{
    return index < plan->reference_count ? &plan->references[index] : NULL;
}

bool rert_plan_prescription_gy(const RertPlan *plan, double *dose_gy)
{
    for (size_t i = 0; i < plan->reference_count; i++) {
        const RertDoseReference *r = &plan->references[i];
        if (strcmp(r->type, "TARGET") == 0 && r->has_target_prescription_dose) {
            *dose_gy = r->target_prescription_dose_gy;
            return true;
        }
    }
    return false;
}

/* "1 (30 fractions), 2 (5 fractions)" for error messages. */
static void list_groups(const RertPlan *plan, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < plan->group_count && used < size; i++) {
        const RertFractionGroup *g = &plan->groups[i];
        int n =
            g->has_fractions
                ? snprintf(buf + used, size - used, "%s%ld (%ld fractions)",
                           i > 0 ? ", " : "", g->number, g->fractions_planned)
                : snprintf(buf + used, size - used,
                           "%s%ld (fractions not given)", i > 0 ? ", " : "",
                           g->number);
        if (n < 0) {
            break;
        }
        used += (size_t)n;
    }
}

bool rert_plan_fractions(RertError *err,
                         const RertPlan *plan,
                         long group_number,
                         long *fractions)
{
    const RertFractionGroup *g = NULL;
    char list[320];
    list_groups(plan, list, sizeof list);
    if (group_number == 0) {
        if (plan->group_count != 1) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "plan '%s' has %zu fraction groups%s%s; "
                                  "choose one by number",
                                  plan->label, plan->group_count,
                                  plan->group_count > 0 ? ": " : "", list);
        }
        g = &plan->groups[0];
    } else {
        g = rert_plan_fraction_group_by_number(plan, group_number);
        if (g == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "plan '%s' has no fraction group %ld; "
                                  "groups: %s",
                                  plan->label, group_number,
                                  plan->group_count > 0 ? list : "none");
        }
    }
    if (!g->has_fractions) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "plan '%s' fraction group %ld has no "
                              "(300A,0078) NumberOfFractionsPlanned",
                              plan->label, g->number);
    }
    *fractions = g->fractions_planned;
    return true;
}

size_t rert_plan_warning_count(const RertPlan *plan)
{
    return plan->warnings.count;
}

const char *rert_plan_warning(const RertPlan *plan, size_t index)
{
    return rt_warnings_at(&plan->warnings, index);
}
