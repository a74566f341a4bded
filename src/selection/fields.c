/* Patient-selection input fields: the table of case-file keys, kinds and
 * ranges (docs/selection.md, "Input fields"), and the checked setters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/selection.h>

#include "internal.h"

#define NO_CHOICES                                                             \
    {                                                                          \
        NULL                                                                   \
    }
#define NUM(f, k, u, lo, hi, o, d)                                             \
    [f] = {.field = (f),                                                       \
           .key = (k),                                                         \
           .unit = (u),                                                        \
           .kind = RERT_SEL_KIND_NUMBER,                                       \
           .origin = (o),                                                      \
           .min = (lo),                                                        \
           .max = (hi),                                                        \
           .choices = NO_CHOICES,                                              \
           .description = (d)}
#define INT(f, k, u, lo, hi, o, d)                                             \
    [f] = {.field = (f),                                                       \
           .key = (k),                                                         \
           .unit = (u),                                                        \
           .kind = RERT_SEL_KIND_INTEGER,                                      \
           .origin = (o),                                                      \
           .min = (lo),                                                        \
           .max = (hi),                                                        \
           .choices = NO_CHOICES,                                              \
           .description = (d)}
#define YESNO(f, k, o, d)                                                      \
    [f] = {.field = (f),                                                       \
           .key = (k),                                                         \
           .unit = "",                                                         \
           .kind = RERT_SEL_KIND_BOOL,                                         \
           .origin = (o),                                                      \
           .min = 0.0,                                                         \
           .max = 1.0,                                                         \
           .choices = NO_CHOICES,                                              \
           .description = (d)}
#define TEXT(f, k, o, d)                                                       \
    [f] = {.field = (f),                                                       \
           .key = (k),                                                         \
           .unit = "",                                                         \
           .kind = RERT_SEL_KIND_TEXT,                                         \
           .origin = (o),                                                      \
           .min = 0.0,                                                         \
           .max = 0.0,                                                         \
           .choices = NO_CHOICES,                                              \
           .description = (d)}

#define CASE RERT_SEL_FROM_CASE
#define PIPE RERT_SEL_FROM_PIPELINE

/* Indexed by RertSelectionField. */
static const RertSelectionFieldInfo fields[RERT_SEL_FIELD_COUNT] = {
    NUM(RERT_SEL_AGE_YEARS,
        "age_years",
        "years",
        0,
        130,
        CASE,
        "age at the planned reirradiation"),
    NUM(RERT_SEL_KPS, "kps", "%", 0, 100, CASE, "Karnofsky performance status"),
    INT(RERT_SEL_ECOG, "ecog", "", 0, 5, CASE, "ECOG performance status"),
    TEXT(RERT_SEL_COMORBIDITY, "comorbidity", CASE, "relevant comorbidity"),
    NUM(RERT_SEL_LIFE_EXPECTANCY_MONTHS,
        "life_expectancy_months",
        "months",
        0,
        1200,
        CASE,
        "estimated survival"),
    TEXT(RERT_SEL_SYMPTOMS, "symptoms", CASE, "symptoms from the recurrence"),
    [RERT_SEL_NEURO_SYMPTOMS] =
        {.field = RERT_SEL_NEURO_SYMPTOMS,
         .key = "neuro_symptoms",
         .unit = "",
         .kind = RERT_SEL_KIND_CHOICE,
         .origin = CASE,
         .min = 0,
         .max = 2,
         .choices = {"none", "present", "steroids", NULL},
         .description = "neurological symptoms of the recurrence: none, "
                        "present or impending, needing steroids"},
    INT(RERT_SEL_PRIOR_TOXICITY_GRADE,
        "prior_toxicity_grade",
        "",
        0,
        5,
        CASE,
        "highest late toxicity grade (CTCAE) of the previous course"),
    YESNO(RERT_SEL_PRIOR_TOXICITY_PERSISTENT,
          "prior_toxicity_persistent",
          CASE,
          "toxicity of the previous course still present"),
    TEXT(RERT_SEL_ORGAN_FUNCTION,
         "organ_function",
         CASE,
         "function of the organs at risk"),
    YESNO(RERT_SEL_FEEDING_TUBE_OR_TRACHEOSTOMY,
          "feeding_tube_or_tracheostomy",
          CASE,
          "dependent on a feeding tube or a tracheostomy"),
    TEXT(RERT_SEL_PATIENT_GOALS,
         "patient_goals",
         CASE,
         "patient preference and goals"),
    YESNO(RERT_SEL_SHARED_DECISION,
          "shared_decision",
          CASE,
          "shared decision-making with the patient documented"),
    YESNO(RERT_SEL_TUMOUR_BOARD,
          "tumour_board",
          CASE,
          "discussed at a tumour board"),
    TEXT(RERT_SEL_HISTOLOGY_AT_DIAGNOSIS,
         "histology_at_diagnosis",
         CASE,
         "histology of the first tumour"),
    TEXT(RERT_SEL_HISTOLOGY_AT_RECURRENCE,
         "histology_at_recurrence",
         CASE,
         "histology at recurrence"),
    [RERT_SEL_LESION_TYPE] = {.field = RERT_SEL_LESION_TYPE,
                              .key = "lesion_type",
                              .unit = "",
                              .kind = RERT_SEL_KIND_CHOICE,
                              .origin = CASE,
                              .min = 0,
                              .max = 1,
                              .choices = {"recurrence", "new_primary", NULL},
                              .description =
                                  "recurrence or new (second) primary"},
    INT(RERT_SEL_WHO_GRADE,
        "who_grade",
        "",
        1,
        4,
        CASE,
        "WHO grade of a glioma at diagnosis"),
    TEXT(RERT_SEL_RESPONSE_TO_FIRST_RT,
         "response_to_first_rt",
         CASE,
         "response to the first course"),
    NUM(RERT_SEL_CONTROL_DURATION_MONTHS,
        "control_duration_months",
        "months",
        0,
        1200,
        CASE,
        "duration of control after the first course"),
    NUM(RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS,
        "disease_free_interval_months",
        "months",
        0,
        1200,
        CASE,
        "disease-free interval from the first radiotherapy"),
    [RERT_SEL_EXTENT] = {.field = RERT_SEL_EXTENT,
                         .key = "extent",
                         .unit = "",
                         .kind = RERT_SEL_KIND_CHOICE,
                         .origin = CASE,
                         .min = 0,
                         .max = 2,
                         .choices = {"local", "regional", "distant", NULL},
                         .description =
                             "isolated local, regional or distant disease"},
    TEXT(RERT_SEL_RESTAGING_IMAGING,
         "restaging_imaging",
         CASE,
         "re-staging with advanced imaging done"),
    YESNO(RERT_SEL_MEANINGFUL_DOSE_ACHIEVABLE,
          "meaningful_dose_achievable",
          CASE,
          "a meaningful tumour dose is achievable"),
    NUM(RERT_SEL_RECURRENCE_VOLUME_CC,
        "recurrence_volume_cc",
        "cc",
        0,
        10000,
        CASE,
        "volume of the recurrent tumour (GTV)"),
    YESNO(RERT_SEL_GLIOMATOSIS,
          "gliomatosis",
          CASE,
          "diffuse disease / gliomatosis"),
    [RERT_SEL_DIFFUSE_DISEASE] =
        {.field = RERT_SEL_DIFFUSE_DISEASE,
         .key = "diffuse_disease",
         .unit = "",
         .kind = RERT_SEL_KIND_CHOICE,
         .origin = CASE,
         .min = 0,
         .max = 2,
         .choices = {"none", "t2_flair", "multiple_t1", NULL},
         .description = "diffuse disease: none (localised), T2/FLAIR "
                        "diffuse, multiple T1-enhancing lesions"},
    NUM(RERT_SEL_DISTANCE_TO_60GY_CM,
        "recurrence_distance_to_60gy_cm",
        "cm",
        0,
        100,
        CASE,
        "recurrence distance outside the first course's 60 Gy "
        "isodose (0 = within)"),
    YESNO(RERT_SEL_ELOQUENT_LOCATION,
          "eloquent_location",
          CASE,
          "tumour involves eloquent/critical brain regions"),
    NUM(RERT_SEL_OAR_DISTANCE_CM,
        "oar_distance_cm",
        "cm",
        0,
        100,
        CASE,
        "distance of the nearest optic/brainstem OAR from the "
        "recurrence (0 = in the recurrence area)"),
    NUM(RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC,
        "oar_rt1_dose_pct_quantec",
        "%",
        0,
        1000,
        CASE,
        "OAR dose of the first course in % of the QUANTEC limit "
        "(chiasm 55 Gy, optic nerves 55 Gy, brainstem 54 Gy)"),
    YESNO(RERT_SEL_SALVAGE_SURGERY,
          "salvage_surgery",
          CASE,
          "recurrence resected before the reirradiation"),
    TEXT(RERT_SEL_PRIOR_COURSES,
         "prior_courses",
         PIPE,
         "dose and fractionation of each "
         "previous course"),
    YESNO(RERT_SEL_PRIOR_PLAN_AVAILABLE,
          "prior_plan_available",
          PIPE,
          "DICOM dose of every previous course available"),
    NUM(RERT_SEL_INTERVAL_SINCE_PRIOR_RT_MONTHS,
        "interval_since_prior_rt_months",
        "months",
        0,
        1200,
        PIPE,
        "end of the last course to start of the planned one"),
    TEXT(RERT_SEL_ESTRO_EORTC_CLASS,
         "estro_eortc_class",
         PIPE,
         "ESTRO-EORTC class from the overlap and cumulative dose"),
    YESNO(RERT_SEL_CUMULATIVE_OAR_EVALUATED,
          "cumulative_oar_doses_evaluated",
          PIPE,
          "cumulative OAR doses evaluated against limits"),
    TEXT(RERT_SEL_ALTERNATIVES_CONSIDERED,
         "alternatives_considered",
         CASE,
         "salvage surgery, systemic therapy, best supportive care"),
    TEXT(RERT_SEL_TECHNOLOGY,
         "technology",
         CASE,
         "available technique (SBRT, IMRT, "
         "protons, brachytherapy)"),
    TEXT(RERT_SEL_CONCURRENT_SYSTEMIC_THERAPY,
         "concurrent_systemic_therapy",
         CASE,
         "systemic therapy with the reirradiation"),
    NUM(RERT_SEL_CORD_CUMULATIVE_BED_GY2,
        "cord_cumulative_bed_gy2",
        "Gy2",
        0,
        10000,
        PIPE,
        "spinal cord BED (alpha/beta 2 Gy) summed over all courses"),
    NUM(RERT_SEL_CORD_HIGHEST_COURSE_BED_GY2,
        "cord_highest_course_bed_gy2",
        "Gy2",
        0,
        10000,
        PIPE,
        "highest spinal cord BED (alpha/beta 2 Gy) of one course"),
    NUM(RERT_SEL_CORD_SHORTEST_INTERVAL_MONTHS,
        "cord_shortest_interval_months",
        "months",
        0,
        1200,
        PIPE,
        "shortest interval between consecutive cord courses"),
};

const RertSelectionFieldInfo *
rert_selection_field_info(RertSelectionField field)
{
    if ((int)field < 0 || field >= RERT_SEL_FIELD_COUNT) {
        return NULL;
    }
    return &fields[field];
}

const RertSelectionFieldInfo *rert_selection_field_find(const char *key)
{
    if (key == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < RERT_SEL_FIELD_COUNT; i++) {
        if (strcmp(fields[i].key, key) == 0) {
            return &fields[i];
        }
    }
    return NULL;
}

void rert_selection_input_init(RertSelectionInput *input)
{
    if (input != NULL) {
        memset(input, 0, sizeof *input);
    }
}

bool selection_append(char *buf, size_t size, const char *piece)
{
    size_t used = strlen(buf);
    size_t len = strlen(piece);
    if (used + len < size) {
        memcpy(buf + used, piece, len + 1);
        return true;
    }
    /* Keep as much as fits and mark the cut with "...". */
    if (size >= 4) {
        size_t room = size - 1 - used;
        memcpy(buf + used, piece, room);
        buf[size - 1] = '\0';
        memcpy(buf + size - 4, "...", 4);
    }
    return false;
}

void selection_value_format(const RertSelectionFieldInfo *info,
                            const RertSelectionValue *value,
                            char *buf,
                            size_t size)
{
    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    switch (info->kind) {
    case RERT_SEL_KIND_NUMBER:
    case RERT_SEL_KIND_INTEGER:
        rert_format_double(buf, size, value->number, 6);
        break;
    case RERT_SEL_KIND_BOOL:
        (void)selection_append(buf, size, value->number != 0.0 ? "yes" : "no");
        break;
    case RERT_SEL_KIND_CHOICE:
    case RERT_SEL_KIND_TEXT:
        (void)selection_append(buf, size, value->text);
        break;
    }
}

static bool
check_number(RertError *err, const RertSelectionFieldInfo *info, double value)
{
    if (info->kind == RERT_SEL_KIND_TEXT) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "selection field '%s': a number was given, "
                              "expected text",
                              info->key);
    }
    if (!isfinite(value) || value < info->min || value > info->max) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "selection field '%s': value %g, expected a "
                              "finite number in [%g, %g]%s%s",
                              info->key, value, info->min, info->max,
                              info->unit[0] != '\0' ? " " : "", info->unit);
    }
    if (info->kind != RERT_SEL_KIND_NUMBER && value != floor(value)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "selection field '%s': value %g, expected a "
                              "whole number (%s)",
                              info->key, value,
                              info->kind == RERT_SEL_KIND_BOOL
                                  ? "0 = no, 1 = yes"
                                  : "integer or choice index");
    }
    return true;
}

bool rert_selection_input_set_number(RertError *err,
                                     RertSelectionInput *input,
                                     RertSelectionField field,
                                     double value)
{
    const RertSelectionFieldInfo *info = rert_selection_field_info(field);
    if (input == NULL || info == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "selection input: %s",
                              input == NULL ? "input is NULL"
                                            : "field out of range");
    }
    if (!check_number(err, info, value)) {
        return false;
    }
    RertSelectionValue *v = &input->values[field];
    v->number = value;
    v->text[0] = '\0';
    if (info->kind == RERT_SEL_KIND_CHOICE) {
        (void)selection_append(v->text, sizeof v->text,
                               info->choices[(size_t)value]);
    } else {
        selection_value_format(info, v, v->text, sizeof v->text);
    }
    v->is_set = true;
    return true;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool equals_nocase(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b)) {
            return false;
        }
    }
    return *a == *b;
}

/* Parse @p text for a non-TEXT field into @p number. */
static bool parse_value(RertError *err,
                        const RertSelectionFieldInfo *info,
                        const char *text,
                        double *number)
{
    if (info->kind == RERT_SEL_KIND_BOOL) {
        if (equals_nocase(text, "yes") || equals_nocase(text, "true")) {
            *number = 1.0;
            return true;
        }
        if (equals_nocase(text, "no") || equals_nocase(text, "false")) {
            *number = 0.0;
            return true;
        }
        return rert_error_set(err, RERT_ERR_PARSE,
                              "selection field '%s': '%s', expected yes, "
                              "no, true or false",
                              info->key, text);
    }
    if (info->kind == RERT_SEL_KIND_CHOICE) {
        for (size_t i = 0; info->choices[i] != NULL; i++) {
            if (strcmp(text, info->choices[i]) == 0) {
                *number = (double)i;
                return true;
            }
        }
        return rert_error_set(err, RERT_ERR_PARSE,
                              "selection field '%s': '%s', expected one of "
                              "%s, %s%s%s",
                              info->key, text, info->choices[0],
                              info->choices[1],
                              info->choices[2] != NULL ? ", " : "",
                              info->choices[2] != NULL ? info->choices[2] : "");
    }
    return rert_parse_double(err, text, strlen(text), info->key, number);
}

bool rert_selection_input_set_text(RertError *err,
                                   RertSelectionInput *input,
                                   const char *key,
                                   const char *text)
{
    const RertSelectionFieldInfo *info = rert_selection_field_find(key);
    if (input == NULL || text == NULL || info == NULL) {
        return rert_error_set(
            err, RERT_ERR_INVALID_ARG, "selection input: %s%s%s",
            input == NULL  ? "input is NULL"
            : text == NULL ? "text is NULL"
                           : "unknown key '",
            input != NULL && text != NULL && key != NULL ? key : "",
            input != NULL && text != NULL ? "'" : "");
    }
    size_t len = strlen(text);
    if (len == 0 || len >= RERT_SELECTION_TEXT_SIZE) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "selection field '%s': text of %zu bytes, "
                              "expected 1 to %d",
                              info->key, len, RERT_SELECTION_TEXT_SIZE - 1);
    }
    RertSelectionValue *v = &input->values[info->field];
    if (info->kind == RERT_SEL_KIND_TEXT) {
        memcpy(v->text, text, len + 1);
        v->number = 0.0;
        v->is_set = true;
        return true;
    }
    double number = 0.0;
    if (!parse_value(err, info, text, &number)) {
        return false;
    }
    return rert_selection_input_set_number(err, input, info->field, number);
}
