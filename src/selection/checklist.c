/* Decision checklist of the reirradiation consensus factors: patient,
 * tumour, treatment (Andratschke N et al. Lancet Oncol 2022;23:e469-e478;
 * reirradiation-science.md s1.3; docs/selection.md). Items without a value
 * are "not assessed"; no item is ever judged acceptable. */
#include <stdio.h>
#include <string.h>

#include <rert/selection.h>

#include "internal.h"

/* The consensus names these factors as critical, and asks for tumour
 * board review and shared decision-making (ASTRO 2023 education panel,
 * Ann Palliat Med 2024, doi 10.21037/apm-24-4, abstract). */
#define SRC_CONSENSUS                                                          \
    "Andratschke N et al. Lancet Oncol 2022;23:e469-e478 (ESTRO-EORTC "        \
    "consensus), as summarised by the 2023 ASTRO education panel, Ann "        \
    "Palliat Med 2024, doi 10.21037/apm-24-4"
/* The item list is standard practice; its grouping is a reconstruction. */
#define SRC_FRAMEWORK                                                          \
    "reirradiation-science.md s1.3: factor checklist reconstructed from "      \
    "the consensus decision framework (grouping recalled, items standard)"

#define ITEM1(i, g, q, f1, s, t)                                               \
    {                                                                          \
        (i), (q), (s), (t), 1, (g),                                            \
        {                                                                      \
            (f1), RERT_SEL_FIELD_COUNT, RERT_SEL_FIELD_COUNT                   \
        }                                                                      \
    }
#define ITEM2(i, g, q, f1, f2, s, t)                                           \
    {                                                                          \
        (i), (q), (s), (t), 2, (g),                                            \
        {                                                                      \
            (f1), (f2), RERT_SEL_FIELD_COUNT                                   \
        }                                                                      \
    }

#define PAT RERT_CHECKLIST_PATIENT
#define TUM RERT_CHECKLIST_TUMOUR
#define TRT RERT_CHECKLIST_TREATMENT

static const RertChecklistItem items[] = {
    ITEM2("P1",
          PAT,
          "Performance status (KPS / ECOG)?",
          RERT_SEL_KPS,
          RERT_SEL_ECOG,
          SRC_CONSENSUS,
          "V"),
    ITEM1("P2",
          PAT,
          "Estimated survival?",
          RERT_SEL_LIFE_EXPECTANCY_MONTHS,
          SRC_CONSENSUS,
          "V"),
    ITEM1("P3", PAT, "Comorbidity?", RERT_SEL_COMORBIDITY, SRC_FRAMEWORK, "R"),
    ITEM2("P4",
          PAT,
          "Symptoms from the recurrence?",
          RERT_SEL_SYMPTOMS,
          RERT_SEL_NEURO_SYMPTOMS,
          SRC_FRAMEWORK,
          "R"),
    ITEM2("P5",
          PAT,
          "Toxicity of the previous course (grade, still present)?",
          RERT_SEL_PRIOR_TOXICITY_GRADE,
          RERT_SEL_PRIOR_TOXICITY_PERSISTENT,
          SRC_FRAMEWORK,
          "R"),
    ITEM2("P6",
          PAT,
          "Organ function (e.g. feeding tube, tracheostomy)?",
          RERT_SEL_ORGAN_FUNCTION,
          RERT_SEL_FEEDING_TUBE_OR_TRACHEOSTOMY,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("P7",
          PAT,
          "Patient preference and goals?",
          RERT_SEL_PATIENT_GOALS,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("P8",
          PAT,
          "Shared decision-making documented?",
          RERT_SEL_SHARED_DECISION,
          SRC_CONSENSUS,
          "V"),
    ITEM1("P9",
          PAT,
          "Interdisciplinary tumour board review?",
          RERT_SEL_TUMOUR_BOARD,
          SRC_CONSENSUS,
          "V"),
    ITEM2("T1",
          TUM,
          "Histology at diagnosis and at recurrence?",
          RERT_SEL_HISTOLOGY_AT_DIAGNOSIS,
          RERT_SEL_HISTOLOGY_AT_RECURRENCE,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("T2",
          TUM,
          "Recurrence or new primary?",
          RERT_SEL_LESION_TYPE,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("T3",
          TUM,
          "Response to the first radiotherapy?",
          RERT_SEL_RESPONSE_TO_FIRST_RT,
          SRC_CONSENSUS,
          "V"),
    ITEM1("T4",
          TUM,
          "Duration of control after the first radiotherapy?",
          RERT_SEL_CONTROL_DURATION_MONTHS,
          SRC_FRAMEWORK,
          "R"),
    ITEM2("T5",
          TUM,
          "Disease-free interval / interval since the last course?",
          RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS,
          RERT_SEL_INTERVAL_SINCE_PRIOR_RT_MONTHS,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("T6",
          TUM,
          "Extent: isolated local, regional or distant?",
          RERT_SEL_EXTENT,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("T7",
          TUM,
          "Re-staged with advanced imaging?",
          RERT_SEL_RESTAGING_IMAGING,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("T8",
          TUM,
          "Is a meaningful tumour dose achievable?",
          RERT_SEL_MEANINGFUL_DOSE_ACHIEVABLE,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("R1",
          TRT,
          "Dose and fractionation of each previous course?",
          RERT_SEL_PRIOR_COURSES,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("R2",
          TRT,
          "Previous plans available (DICOM dose)?",
          RERT_SEL_PRIOR_PLAN_AVAILABLE,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("R3",
          TRT,
          "Overlap with previous courses (ESTRO-EORTC class)?",
          RERT_SEL_ESTRO_EORTC_CLASS,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("R4",
          TRT,
          "Cumulative OAR doses evaluated?",
          RERT_SEL_CUMULATIVE_OAR_EVALUATED,
          SRC_FRAMEWORK,
          "R"),
    ITEM2("R5",
          TRT,
          "Alternatives considered (salvage surgery, systemic therapy, best "
          "supportive care)?",
          RERT_SEL_ALTERNATIVES_CONSIDERED,
          RERT_SEL_SALVAGE_SURGERY,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("R6",
          TRT,
          "Technology available (SBRT, IMRT, protons, "
          "brachytherapy)?",
          RERT_SEL_TECHNOLOGY,
          SRC_FRAMEWORK,
          "R"),
    ITEM1("R7",
          TRT,
          "Concurrent systemic therapy?",
          RERT_SEL_CONCURRENT_SYSTEMIC_THERAPY,
          SRC_FRAMEWORK,
          "R"),
};

#define ITEM_COUNT (sizeof items / sizeof items[0])
_Static_assert(ITEM_COUNT <= RERT_CHECKLIST_MAX_ITEMS,
               "checklist table larger than RertChecklistResult holds");

const char *rert_checklist_group_name(RertChecklistGroup g)
{
    switch (g) {
    case RERT_CHECKLIST_PATIENT:
        return "patient";
    case RERT_CHECKLIST_TUMOUR:
        return "tumour";
    case RERT_CHECKLIST_TREATMENT:
        return "treatment";
    }
    return NULL;
}

const char *rert_checklist_status_name(RertChecklistStatus s)
{
    switch (s) {
    case RERT_CHECKLIST_NOT_ASSESSED:
        return "not_assessed";
    case RERT_CHECKLIST_ANSWERED:
        return "answered";
    }
    return NULL;
}

size_t rert_checklist_item_count(void)
{
    return ITEM_COUNT;
}

const RertChecklistItem *rert_checklist_item_get(size_t index)
{
    return index < ITEM_COUNT ? &items[index] : NULL;
}

/* "key=value unit" of each set field of @p item into @p e->value. */
static void entry_fill(const RertChecklistItem *item,
                       const RertSelectionInput *in,
                       RertChecklistEntry *e)
{
    e->item = item;
    e->status = RERT_CHECKLIST_NOT_ASSESSED;
    e->value[0] = '\0';
    for (size_t k = 0; k < item->field_count; k++) {
        const RertSelectionFieldInfo *info =
            rert_selection_field_info(item->fields[k]);
        const RertSelectionValue *v = &in->values[item->fields[k]];
        if (info == NULL || !v->is_set) {
            continue;
        }
        char text[RERT_SELECTION_TEXT_SIZE];
        selection_value_format(info, v, text, sizeof text);
        char piece[RERT_SELECTION_TEXT_SIZE + 96];
        (void)snprintf(piece, sizeof piece, "%s%s=%s%s%s",
                       e->status == RERT_CHECKLIST_ANSWERED ? "; " : "",
                       info->key, text, info->unit[0] != '\0' ? " " : "",
                       info->unit);
        (void)selection_append(e->value, sizeof e->value, piece);
        e->status = RERT_CHECKLIST_ANSWERED;
    }
}

bool rert_checklist_fill(RertError *err,
                         const RertSelectionInput *input,
                         RertChecklistResult *out)
{
    if (input == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "checklist: %s",
                              input == NULL ? "input is NULL"
                                            : "output is NULL");
    }
    memset(out, 0, sizeof *out);
    out->entry_count = ITEM_COUNT;
    for (size_t i = 0; i < ITEM_COUNT; i++) {
        entry_fill(&items[i], input, &out->entries[i]);
        if (out->entries[i].status == RERT_CHECKLIST_ANSWERED) {
            out->answered_count++;
        } else {
            out->not_assessed_count++;
        }
    }
    return true;
}
