/* ESTRO-EORTC reirradiation classification (Andratschke N et al. Lancet
 * Oncol 2022;23:e469-e478; decision tree of ESTRO 2023 abstract S764), the
 * overlap of irradiated volumes (question 1) and the summation-method
 * level (reirradiation-science.md s1.2, s2.3; docs/evaluation.md). */
#include <math.h>
#include <stdint.h>

#include <rert/evaluate.h>

/* ---- overlap */

RertOverlapParams rert_overlap_params_default(void)
{
    RertOverlapParams p = {
        .threshold_gy = (double)NAN,
        .threshold_source = NULL,
        .min_overlap_cc = 0.0,
        .voxel_cc = (double)NAN,
    };
    return p;
}

static bool check_overlap_params(RertError *err,
                                 const RertOverlapParams *p,
                                 const float *prior,
                                 const float *target,
                                 const RertOverlapResult *out)
{
    if (p == NULL || prior == NULL || target == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "overlap: %s is NULL",
                              p == NULL        ? "params"
                              : prior == NULL  ? "prior_dose_gy"
                              : target == NULL ? "target_occupancy_frac"
                                               : "output");
    }
    if (!isfinite(p->threshold_gy) || p->threshold_gy <= 0.0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "overlap: threshold %g Gy, expected finite and "
                              "> 0 (the consensus sets none: the caller must "
                              "choose and record it)",
                              p->threshold_gy);
    }
    if (p->threshold_source == NULL || p->threshold_source[0] == '\0') {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "overlap: threshold_source is empty, expected "
                              "who or what set the %g Gy threshold",
                              p->threshold_gy);
    }
    if (!isfinite(p->min_overlap_cc) || p->min_overlap_cc < 0.0 ||
        !isfinite(p->voxel_cc) || p->voxel_cc <= 0.0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "overlap: min_overlap_cc %g and voxel_cc %g, "
                              "expected finite, >= 0 and > 0",
                              p->min_overlap_cc, p->voxel_cc);
    }
    return true;
}

/* Occupancy clamped to [0, 1] (rasterisation rounding may leave 1 + eps).
 */
static double clamp01(float f)
{
    double d = (double)f;
    return d < 0.0 ? 0.0 : (d > 1.0 ? 1.0 : d);
}

/* Occupancy-weighted voxel counts of the overlap pass. */
typedef struct OverlapSums {
    double prior;
    double target;
    double target_overlap;
    double planned;
    double planned_overlap;
} OverlapSums;

/* First non-finite voxel of the inputs: false with the error set. */
static bool
check_voxel(RertError *err, size_t v, float prior, float target, float planned)
{
    const char *array = !isfinite(prior)     ? "prior_dose_gy"
                        : !isfinite(target)  ? "target_occupancy_frac"
                        : !isfinite(planned) ? "planned_dose_gy"
                                             : NULL;
    if (array == NULL) {
        return true;
    }
    float x = !isfinite(prior) ? prior : (!isfinite(target) ? target : planned);
    return rert_error_set(err, RERT_ERR_INVALID_ARG,
                          "overlap: %s at voxel %zu is %g, expected finite",
                          array, v, (double)x);
}

static bool overlap_sum(RertError *err,
                        double thr,
                        const float *prior_dose_gy,
                        const float *target_occupancy_frac,
                        const float *planned_dose_gy,
                        size_t voxel_count,
                        OverlapSums *sums)
{
    OverlapSums s = {0};
    for (size_t v = 0; v < voxel_count; v++) {
        float pr = prior_dose_gy[v];
        float tg = target_occupancy_frac[v];
        float pl = planned_dose_gy != NULL ? planned_dose_gy[v] : 0.f;
        if (!check_voxel(err, v, pr, tg, pl)) {
            return false;
        }
        bool in_prior = (double)pr >= thr;
        bool in_planned = planned_dose_gy != NULL && (double)pl >= thr;
        double occ = clamp01(tg);
        s.prior += in_prior ? 1.0 : 0.0;
        s.target += occ;
        s.target_overlap += in_prior ? occ : 0.0;
        s.planned += in_planned ? 1.0 : 0.0;
        s.planned_overlap += (in_prior && in_planned) ? 1.0 : 0.0;
    }
    *sums = s;
    return true;
}

bool rert_overlap_compute(RertError *err,
                          const RertOverlapParams *params,
                          const float *prior_dose_gy,
                          const float *target_occupancy_frac,
                          const float *planned_dose_gy,
                          size_t voxel_count,
                          RertOverlapResult *out)
{
    OverlapSums s = {0};
    if (!check_overlap_params(err, params, prior_dose_gy, target_occupancy_frac,
                              out) ||
        !overlap_sum(err, params->threshold_gy, prior_dose_gy,
                     target_occupancy_frac, planned_dose_gy, voxel_count, &s)) {
        return false;
    }
    double cc = params->voxel_cc;
    RertOverlapResult r = {0};
    r.threshold_gy = params->threshold_gy;
    r.threshold_source = params->threshold_source;
    r.prior_irradiated_cc = s.prior * cc;
    r.target_cc = s.target * cc;
    r.target_overlap_cc = s.target_overlap * cc;
    r.has_planned_dose = planned_dose_gy != NULL;
    r.planned_irradiated_cc = s.planned * cc;
    r.planned_overlap_cc = s.planned_overlap * cc;
    r.overlap_cc = fmax(r.target_overlap_cc, r.planned_overlap_cc);
    r.has_overlap = r.overlap_cc > params->min_overlap_cc;
    *out = r;
    return true;
}

/* ---- classification */

typedef struct CategoryText {
    const char *name;
    const char *description;
} CategoryText;

static const CategoryText category_text[] = {
    {"UNDETERMINED", "Not classified: an answer needed by the ESTRO-EORTC "
                     "decision tree is missing."},
    {"REPEAT_IRRADIATION",
     "Repeat irradiation (not reirradiation): a new course to a different "
     "organ or region, without overlap of irradiated volumes and without "
     "concern about cumulative dose."},
    {"REPEAT_ORGAN_IRRADIATION",
     "Repeat organ irradiation (not reirradiation): a new course to the same "
     "organ, without overlap of irradiated volumes and without concern "
     "about cumulative dose."},
    {"TYPE_2", "Type 2 reirradiation: the irradiated volumes do not overlap, "
               "but the cumulative dose raises a toxicity concern."},
    {"TYPE_1", "Type 1 reirradiation: the irradiated volumes of the new and "
               "an earlier course overlap geometrically."},
};

static const CategoryText *category_entry(RertReirradiationCategory c)
{
    int i = (int)c + 1;
    if (i < 0 || i >= (int)(sizeof category_text / sizeof category_text[0])) {
        return NULL;
    }
    return &category_text[i];
}

const char *rert_reirradiation_category_name(RertReirradiationCategory c)
{
    const CategoryText *t = category_entry(c);
    return t != NULL ? t->name : NULL;
}

const char *rert_reirradiation_category_description(RertReirradiationCategory c)
{
    const CategoryText *t = category_entry(c);
    return t != NULL ? t->description : NULL;
}

const char *rert_answer_source_name(RertAnswerSource s)
{
    static const char *const names[] = {"none", "computed_overlap",
                                        "constraint_evaluation", "clinician",
                                        "case_file"};
    if ((int)s < 0 || (size_t)s >= sizeof names / sizeof names[0]) {
        return NULL;
    }
    return names[s];
}

/* The decision tree for known answers; *question gets the deciding one. */
static RertReirradiationCategory
tree(bool overlap, bool concern, bool same_organ, unsigned *question)
{
    if (overlap) {
        *question = 1;
        return RERT_CATEGORY_TYPE_1;
    }
    if (concern) {
        *question = 2;
        return RERT_CATEGORY_TYPE_2;
    }
    *question = 3;
    return same_organ ? RERT_CATEGORY_REPEAT_ORGAN_IRRADIATION
                      : RERT_CATEGORY_REPEAT_IRRADIATION;
}

static bool check_answer(RertError *err,
                         const RertClassifyCourse *c,
                         size_t index,
                         unsigned question,
                         const RertAnswer *a)
{
    const char *course = c->course_name != NULL ? c->course_name : "(unnamed)";
    if ((int)a->value < (int)RERT_ANSWER_UNKNOWN ||
        (int)a->value > (int)RERT_ANSWER_YES ||
        rert_answer_source_name(a->source) == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "classification: course %zu '%s' question %u: "
                              "answer %d from source %d, expected known "
                              "values",
                              index, course, question, (int)a->value,
                              (int)a->source);
    }
    if (a->value != RERT_ANSWER_UNKNOWN &&
        a->source == RERT_ANSWER_SOURCE_NONE) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "classification: course %zu '%s' question %u "
                              "answered '%s' without a source, expected "
                              "computed overlap, constraint evaluation, "
                              "clinician or case file",
                              index, course, question,
                              a->value == RERT_ANSWER_YES ? "yes" : "no");
    }
    return true;
}

/* Can answer @p a take the boolean @p b? */
static bool admits(const RertAnswer *a, bool b)
{
    return a->value == RERT_ANSWER_UNKNOWN ||
           (a->value == RERT_ANSWER_YES) == b;
}

/* Range of categories one course can take over its missing answers, by
 * trying the 8 combinations; *question is the deciding question when the
 * range is one category. */
static void course_range(const RertClassifyCourse *c,
                         RertReirradiationCategory *lowest,
                         RertReirradiationCategory *highest,
                         unsigned *question)
{
    RertReirradiationCategory lo = RERT_CATEGORY_TYPE_1;
    RertReirradiationCategory hi = RERT_CATEGORY_REPEAT_IRRADIATION;
    for (unsigned m = 0; m < 8; m++) {
        bool q1 = (m & 1u) != 0;
        bool q2 = (m & 2u) != 0;
        bool q3 = (m & 4u) != 0;
        if (!admits(&c->overlap, q1) || !admits(&c->cumulative_concern, q2) ||
            !admits(&c->same_organ, q3)) {
            continue;
        }
        unsigned q = 0;
        RertReirradiationCategory k = tree(q1, q2, q3, &q);
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
        *question = q;
    }
    *lowest = lo;
    *highest = hi;
}

bool rert_classify_compute(RertError *err,
                           const RertClassifyCourse *courses,
                           size_t course_count,
                           RertClassifyResult *out)
{
    if (courses == NULL || course_count == 0 || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "classification: %s, expected at least one "
                              "earlier course and an output",
                              out == NULL ? "output is NULL"
                                          : "no earlier courses");
    }
    RertClassifyResult r = {RERT_CATEGORY_UNDETERMINED,
                            RERT_CATEGORY_REPEAT_IRRADIATION,
                            RERT_CATEGORY_REPEAT_IRRADIATION,
                            false,
                            SIZE_MAX,
                            0,
                            0};
    for (size_t i = 0; i < course_count; i++) {
        const RertClassifyCourse *c = &courses[i];
        if (!check_answer(err, c, i, 1, &c->overlap) ||
            !check_answer(err, c, i, 2, &c->cumulative_concern) ||
            !check_answer(err, c, i, 3, &c->same_organ)) {
            return false;
        }
        RertReirradiationCategory lo = RERT_CATEGORY_UNDETERMINED;
        RertReirradiationCategory hi = RERT_CATEGORY_UNDETERMINED;
        unsigned q = 0;
        course_range(c, &lo, &hi, &q);
        r.undetermined_count += lo != hi ? 1u : 0u;
        if (lo == hi && (r.deciding_course == SIZE_MAX || lo > r.category)) {
            r.category = lo; /* most severe determined so far */
            r.deciding_course = i;
            r.deciding_question = q;
        }
        r.lowest_possible = lo > r.lowest_possible ? lo : r.lowest_possible;
        r.highest_possible = hi > r.highest_possible ? hi : r.highest_possible;
    }
    if (r.lowest_possible != r.highest_possible) {
        r.category = RERT_CATEGORY_UNDETERMINED;
        r.deciding_course = SIZE_MAX;
        r.deciding_question = 0;
    }
    r.is_reirradiation = r.category == RERT_CATEGORY_TYPE_1 ||
                         r.category == RERT_CATEGORY_TYPE_2;
    *out = r;
    return true;
}

/* ---- summation-method level ([P] proposal, reirradiation-science.md s2.3)
 */

static const RertSummationLevelInfo level_info[RERT_SUMMATION_LEVEL_COUNT] = {
    {RERT_SUMMATION_L0, "L0", "No quantitative summation",
     "Clinical judgement or isodose overlay only; overlap yes/no must still "
     "be recorded."},
    {RERT_SUMMATION_L1, "L1", "DVH-parameter addition",
     "Per-course DVH metrics (e.g. EQD2 Dmax) added; a worst case that is "
     "exact only where the hot spots coincide."},
    {RERT_SUMMATION_L2, "L2", "Voxel-wise physical sum",
     "Courses registered and physical doses summed voxel by voxel; not "
     "biologically valid for mixed fractionation."},
    {RERT_SUMMATION_L3, "L3", "Rigid voxel-wise EQD2 sum",
     "Rigid (or identity) registration; each course converted to EQD2 per "
     "voxel with its own fractionation, then summed."},
    {RERT_SUMMATION_L4, "L4", "Deformable voxel-wise EQD2 sum",
     "Deformable registration and voxel-wise EQD2 summation (dose "
     "accumulation); needs DIR quality assurance."},
    {RERT_SUMMATION_L5, "L5", "EQD2 sum with explicit uncertainty",
     "L3 or L4 plus an explicit uncertainty estimate (e.g. neighbourhood "
     "search, DVH bands)."},
};

bool rert_summation_level_compute(RertError *err,
                                  const RertSummationMethod *method,
                                  RertSummationLevel *level)
{
    if (method == NULL || level == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "summation level: %s is NULL",
                              method == NULL ? "method" : "output");
    }
    switch (method->kind) {
    case RERT_SUM_NONE:
        *level = RERT_SUMMATION_L0;
        return true;
    case RERT_SUM_DVH_PARAMETERS:
        *level = RERT_SUMMATION_L1;
        return true;
    case RERT_SUM_VOXEL_PHYSICAL:
        *level = RERT_SUMMATION_L2;
        return true;
    case RERT_SUM_VOXEL_EQD2:
        *level = method->has_uncertainty ? RERT_SUMMATION_L5
                 : method->is_deformable ? RERT_SUMMATION_L4
                                         : RERT_SUMMATION_L3;
        return true;
    default:
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "summation level: kind %d, expected NONE, "
                              "DVH_PARAMETERS, VOXEL_PHYSICAL or VOXEL_EQD2",
                              (int)method->kind);
    }
}

const RertSummationLevelInfo *
rert_summation_level_info(RertSummationLevel level)
{
    if ((int)level < 0 || level >= RERT_SUMMATION_LEVEL_COUNT) {
        return NULL;
    }
    return &level_info[level];
}
