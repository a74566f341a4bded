/* Remaining EQD2 budget under recovery conventions A and B, and the
 * per-voxel maximum physical dose of the planned course
 * (reirradiation-science.md s2.1 step 7, s3.6, s4.1; docs/evaluation.md). */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/evaluate.h>

const char *rert_recovery_convention_name(RertRecoveryConvention c)
{
    switch (c) {
    case RERT_CONVENTION_DISCOUNT_PRIOR:
        return "discount_prior";
    case RERT_CONVENTION_RAISE_TOLERANCE:
        return "raise_tolerance";
    default:
        return NULL;
    }
}

RertBudgetRequest rert_budget_request_default(void)
{
    RertBudgetRequest r = {
        .limit_eqd2_gy = (double)NAN,
        .convention = RERT_CONVENTION_DISCOUNT_PRIOR,
        .priors = NULL,
        .prior_count = 0,
        .n_fractions = 0,
        .ab_gy = (double)NAN,
        .model = rert_lq_model_default(),
    };
    return r;
}

static bool check_convention(RertError *err, RertRecoveryConvention c)
{
    if (rert_recovery_convention_name(c) == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget: convention %d, expected "
                              "DISCOUNT_PRIOR (A) or RAISE_TOLERANCE (B)",
                              (int)c);
    }
    return true;
}

static bool check_limit(RertError *err, double limit_eqd2_gy)
{
    if (!isfinite(limit_eqd2_gy) || limit_eqd2_gy < 0.0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget: limit %g Gy EQD2, expected finite and "
                              ">= 0",
                              limit_eqd2_gy);
    }
    return true;
}

static bool check_recovery(RertError *err, const char *what, double r)
{
    if (!isfinite(r) || r < 0.0 || r > 1.0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget: %s recovery fraction %g, expected 0 "
                              "to 1",
                              what, r);
    }
    return true;
}

bool rert_budget_allowed_compute(RertError *err,
                                 RertRecoveryConvention convention,
                                 double limit_eqd2_gy,
                                 double recovery_frac,
                                 double *allowed_eqd2_gy)
{
    if (allowed_eqd2_gy == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget: output is NULL");
    }
    if (!check_convention(err, convention) ||
        !check_limit(err, limit_eqd2_gy) ||
        !check_recovery(err, "organ", recovery_frac)) {
        return false;
    }
    *allowed_eqd2_gy = convention == RERT_CONVENTION_RAISE_TOLERANCE
                           ? (1.0 + recovery_frac) * limit_eqd2_gy
                           : limit_eqd2_gy;
    return true;
}

/* Sum the prior courses: A discounts each by (1 - r_i); B sums them and
 * reports the smallest r_i (0 without priors). */
static bool sum_priors(RertError *err,
                       const RertBudgetRequest *q,
                       double *effective,
                       double *min_r)
{
    if (q->prior_count > 0 && q->priors == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget: %zu prior courses but priors is NULL",
                              q->prior_count);
    }
    double sum = 0.0;
    double r_min = q->prior_count > 0 ? 1.0 : 0.0;
    for (size_t i = 0; i < q->prior_count; i++) {
        double e = q->priors[i].eqd2_gy;
        double r = q->priors[i].recovery_frac;
        if (!isfinite(e) || e < 0.0) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "budget: prior course %zu EQD2 %g Gy, "
                                  "expected finite and >= 0",
                                  i, e);
        }
        if (!check_recovery(err, "prior course", r)) {
            rert_error_prefix(err, "prior course %zu", i);
            return false;
        }
        sum +=
            q->convention == RERT_CONVENTION_DISCOUNT_PRIOR ? (1.0 - r) * e : e;
        r_min = r < r_min ? r : r_min;
    }
    *effective = sum;
    *min_r = r_min;
    return true;
}

bool rert_budget_compute(RertError *err,
                         const RertBudgetRequest *request,
                         RertBudgetResult *out)
{
    if (request == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "budget: %s is NULL",
                              request == NULL ? "request" : "output");
    }
    double effective = 0.0;
    double min_r = 0.0;
    if (!check_convention(err, request->convention) ||
        !check_limit(err, request->limit_eqd2_gy) ||
        !sum_priors(err, request, &effective, &min_r)) {
        return false;
    }
    RertBudgetResult r = {0};
    r.convention = request->convention;
    r.effective_prior_eqd2_gy = effective;
    if (request->convention == RERT_CONVENTION_RAISE_TOLERANCE) {
        r.recovery_frac_used = min_r;
        r.allowed_eqd2_gy = (1.0 + min_r) * request->limit_eqd2_gy;
    } else {
        r.recovery_frac_used = 0.0;
        r.allowed_eqd2_gy = request->limit_eqd2_gy;
    }
    r.remaining_eqd2_gy = r.allowed_eqd2_gy - effective;
    if (!rert_lq_max_dose_compute(err, &request->model, r.remaining_eqd2_gy,
                                  RERT_EQD2_REFERENCE_GY, request->n_fractions,
                                  request->ab_gy, &r.max_dose)) {
        rert_error_prefix(err, "budget");
        return false;
    }
    r.has_budget = r.max_dose.has_budget;
    r.cumulative_remaining_eqd2_gy = r.remaining_eqd2_gy;
    *out = r;
    return true;
}

bool rert_budget_cap_apply(RertError *err,
                           const RertBudgetRequest *request,
                           double cap_eqd2_gy,
                           double cap_ab_gy,
                           RertBudgetResult *result,
                           RertMaxDose *cap_dose,
                           bool *binds)
{
    if (request == NULL || result == NULL || binds == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget cap: request, result or binds is NULL");
    }
    *binds = false;
    if (!isfinite(cap_eqd2_gy) || !(cap_ab_gy > 0.0) || !isfinite(cap_ab_gy)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget cap: limit %g Gy EQD2 at alpha/beta %g "
                              "Gy, expected a finite limit and alpha/beta > 0",
                              cap_eqd2_gy, cap_ab_gy);
    }
    RertMaxDose cap;
    if (!rert_lq_max_dose_compute(err, &request->model, cap_eqd2_gy,
                                  RERT_EQD2_REFERENCE_GY, request->n_fractions,
                                  cap_ab_gy, &cap)) {
        rert_error_prefix(err, "budget cap");
        return false;
    }
    if (cap_dose != NULL) {
        *cap_dose = cap;
    }
    if (!result->has_budget ||
        !(cap.total_dose_gy < result->max_dose.total_dose_gy)) {
        return true;
    }
    double eqd2 = 0.0;
    if (cap.has_budget &&
        !rert_lq_eqd2_compute(err, &request->model, cap.total_dose_gy,
                              request->n_fractions, request->ab_gy, &eqd2)) {
        rert_error_prefix(err, "budget cap");
        return false;
    }
    result->max_dose = cap;
    result->has_budget = cap.has_budget;
    result->remaining_eqd2_gy = cap.has_budget ? eqd2 : 0.0;
    result->is_capped = true;
    *binds = true;
    return true;
}

/* ---- voxel map */

RertBudgetMapParams rert_budget_map_params_default(void)
{
    RertBudgetMapParams p = {
        .organs = NULL,
        .organ_count = 0,
        .inside_min_frac = RERT_AB_MAP_INSIDE_DEFAULT_FRAC,
        .unconstrained_gy = RERT_BUDGET_UNCONSTRAINED_DEFAULT_GY,
        .n_fractions = 0,
        .model = rert_lq_model_default(),
        .ab_gy = RERT_AB_LATE_DEFAULT_GY,
        .ab_map_gy = NULL,
    };
    return p;
}

static const char *organ_label(const RertBudgetOrgan *o)
{
    return o->name != NULL ? o->name : "(unnamed)";
}

static bool check_map_params(RertError *err,
                             const RertBudgetMapParams *p,
                             const float *prior,
                             const float *out)
{
    if (p == NULL || prior == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget map: %s is NULL",
                              p == NULL       ? "params"
                              : prior == NULL ? "prior_eqd2_gy"
                                              : "max_total_gy");
    }
    if (p->organ_count > 0 && p->organs == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget map: %zu organs but organs is NULL",
                              p->organ_count);
    }
    if (!(p->inside_min_frac > 0.0 && p->inside_min_frac <= 1.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget map: inside_min_frac %g, expected in "
                              "(0, 1]",
                              p->inside_min_frac);
    }
    if (!(isfinite(p->unconstrained_gy) && p->unconstrained_gy > 0.0 &&
          p->unconstrained_gy <= (double)FLT_MAX)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "budget map: unconstrained_gy %g, expected "
                              "finite and > 0",
                              p->unconstrained_gy);
    }
    for (size_t o = 0; o < p->organ_count; o++) {
        const RertBudgetOrgan *g = &p->organs[o];
        double a = g->allowed_eqd2_gy;
        if (g->occupancy_frac == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "budget map: organ %zu '%s' has no "
                                  "occupancy array",
                                  o, organ_label(g));
        }
        if (!isfinite(a) || a < 0.0 || a > (double)FLT_MAX) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "budget map: organ %zu '%s' allowed EQD2 "
                                  "%g Gy, expected finite and >= 0",
                                  o, organ_label(g), a);
        }
    }
    return true;
}

/* Smallest allowed EQD2 of the organs containing voxel @p v; *inside gets
 * how many contain it; *is_bad is set on a non-finite occupancy. */
static double voxel_allowed(const RertBudgetMapParams *p,
                            size_t v,
                            size_t *inside,
                            bool *is_bad)
{
    double allowed = (double)INFINITY;
    size_t count = 0;
    for (size_t o = 0; o < p->organ_count; o++) {
        float occ = p->organs[o].occupancy_frac[v];
        if (!isfinite(occ)) {
            *is_bad = true;
        } else if ((double)occ >= p->inside_min_frac) {
            count++;
            allowed = fmin(allowed, p->organs[o].allowed_eqd2_gy);
        }
    }
    *inside = count;
    return allowed;
}

/* Counts of the remaining-budget pass. */
typedef struct MapTally {
    size_t first_bad; /* SIZE_MAX: all voxels valid */
    size_t constrained;
    size_t overlap;
} MapTally;

/* remaining[v] = allowed - prior (0 for voxels in no organ) and mask[v]. */
static MapTally remaining_fill(const RertBudgetMapParams *p,
                               const float *prior,
                               size_t voxel_count,
                               float *remaining,
                               uint8_t *mask)
{
    size_t first_bad = SIZE_MAX;
    size_t constrained = 0;
    size_t overlap = 0;
#pragma omp parallel for default(none) schedule(static)                       \
    shared(p, prior, remaining, mask) firstprivate(voxel_count)                \
    reduction(min : first_bad) reduction(+ : constrained, overlap)
    for (size_t v = 0; v < voxel_count; v++) {
        size_t inside = 0;
        bool is_bad = !isfinite(prior[v]);
        double allowed = voxel_allowed(p, v, &inside, &is_bad);
        remaining[v] =
            (inside > 0 && !is_bad) ? (float)(allowed - (double)prior[v]) : 0.f;
        mask[v] = inside > 0 ? 1u : 0u;
        constrained += inside > 0 ? 1u : 0u;
        overlap += inside > 1 ? 1u : 0u;
        if (is_bad || !isfinite(remaining[v])) {
            first_bad = v < first_bad ? v : first_bad;
        }
    }
    MapTally t = {first_bad, constrained, overlap};
    return t;
}

/* Error naming the first invalid input at voxel @p v. */
static bool report_bad(RertError *err,
                       const RertBudgetMapParams *p,
                       const float *prior,
                       size_t v)
{
    for (size_t o = 0; o < p->organ_count; o++) {
        float occ = p->organs[o].occupancy_frac[v];
        if (!isfinite(occ)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "budget map: organ %zu '%s' occupancy at "
                                  "voxel %zu is %g, expected finite",
                                  o, organ_label(&p->organs[o]), v,
                                  (double)occ);
        }
    }
    return rert_error_set(err, RERT_ERR_INVALID_ARG,
                          "budget map: prior EQD2 at voxel %zu is %g Gy, "
                          "expected finite (and a finite remaining budget)",
                          v, (double)prior[v]);
}

static void apply_sentinel(const RertBudgetMapParams *p,
                           const uint8_t *mask,
                           size_t voxel_count,
                           float *max_total,
                           float *max_per_fraction)
{
    float s = (float)p->unconstrained_gy;
    for (size_t v = 0; v < voxel_count; v++) {
        if (mask[v] == 0) {
            max_total[v] = s;
            if (max_per_fraction != NULL) {
                max_per_fraction[v] = s;
            }
        }
    }
}

bool rert_budget_map_compute(RertError *err,
                             const RertBudgetMapParams *params,
                             const float *prior_eqd2_gy,
                             size_t voxel_count,
                             float *max_total_gy,
                             float *max_per_fraction_gy,
                             uint8_t *is_constrained,
                             RertBudgetMapStats *stats)
{
    bool ok = false;
    float *remaining = NULL;
    uint8_t *own_mask = NULL;
    uint8_t *mask = is_constrained;
    if (!check_map_params(err, params, prior_eqd2_gy, max_total_gy)) {
        goto out;
    }
    remaining = rert_alloc_voxels(err, voxel_count, sizeof *remaining);
    if (remaining == NULL) {
        goto out;
    }
    if (mask == NULL) {
        own_mask = rert_alloc_voxels(err, voxel_count, sizeof *own_mask);
        if (own_mask == NULL) {
            goto out;
        }
        mask = own_mask;
    }
    MapTally t =
        remaining_fill(params, prior_eqd2_gy, voxel_count, remaining, mask);
    if (t.first_bad != SIZE_MAX) {
        report_bad(err, params, prior_eqd2_gy, t.first_bad);
        goto out;
    }
    RertBioParams bio = rert_bio_params_default();
    bio.model = params->model;
    bio.n_fractions = params->n_fractions;
    bio.ab_gy = params->ab_gy;
    bio.ab_map_gy = params->ab_map_gy;
    bio.quantity = RERT_BIO_EQDX;
    bio.x_gy = RERT_EQD2_REFERENCE_GY;
    RertVoxelStats vs = {0};
    if (!rert_bio_max_dose_compute(err, &bio, remaining, voxel_count,
                                   max_total_gy, max_per_fraction_gy, &vs)) {
        rert_error_prefix(err, "budget map");
        goto out;
    }
    apply_sentinel(params, mask, voxel_count, max_total_gy,
                   max_per_fraction_gy);
    if (stats != NULL) {
        /* voxels in no organ had remaining 0: the kernel counted them */
        RertBudgetMapStats s = {voxel_count, t.constrained, t.overlap,
                                vs.no_budget_count -
                                    (voxel_count - t.constrained),
                                vs.linear_branch_count};
        *stats = s;
    }
    ok = true;
out:
    rert_free(own_mask);
    rert_free(remaining);
    return ok;
}
