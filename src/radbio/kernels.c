/* Whole-grid voxel kernels: physical dose -> BED/EQDx (LQ or LQ-L),
 * remaining budget -> maximum physical dose, physical -> RBE-weighted dose.
 * LQ-L, inverse and RBE voxels use the scalar API's inline formulas
 * (internal.h); plain LQ uses the algebraically equal D(ab + D/n)/(ab + x)
 * with per-call constants, which agrees with the scalar API to double
 * rounding (the float result differs by at most an ulp). OpenMP splits the
 * voxels into fixed blocks; every voxel is computed independently and the
 * reductions are integer counts and exact minima, so results do not depend
 * on the thread count. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <rert/radbio.h>

#include "internal.h"

RertBioParams rert_bio_params_default(void)
{
    RertBioParams p = {
        .model = rert_lq_model_default(),
        .n_fractions = 0,
        .ab_gy = RERT_AB_LATE_DEFAULT_GY,
        .ab_map_gy = NULL,
        .quantity = RERT_BIO_EQDX,
        .x_gy = RERT_EQD2_REFERENCE_GY,
    };
    return p;
}

RertRbeParams rert_rbe_params_default(void)
{
    RertRbeParams p = {
        .kind = RERT_RBE_CONSTANT,
        .rbe_constant = RERT_RBE_PROTON_DEFAULT,
        .model = rert_rbe_model_get(RERT_RBE_MODEL_MCNAMARA_2015),
        .n_fractions = 0,
        .ab_gy = RERT_AB_LATE_DEFAULT_GY,
        .ab_map_gy = NULL,
    };
    return p;
}

/* Per-call tallies; SIZE_MAX in first_bad means every voxel was valid. */
typedef struct Tally {
    size_t first_bad;
    size_t negative;
    double most_negative;
    size_t linear;
    size_t no_budget;
} Tally;

static size_t block_count(size_t voxel_count)
{
    return voxel_count / RADBIO_BLOCK_VOXELS +
           (voxel_count % RADBIO_BLOCK_VOXELS != 0 ? 1u : 0u);
}

static size_t block_end(size_t b, size_t voxel_count)
{
    size_t end = (b + 1) * RADBIO_BLOCK_VOXELS;
    return end < voxel_count ? end : voxel_count;
}

static void
stats_fill(RertVoxelStats *stats, size_t voxel_count, const Tally *t)
{
    if (stats == NULL) {
        return;
    }
    stats->voxel_count = voxel_count;
    stats->negative_dose_count = t->negative;
    stats->most_negative_dose_gy = t->most_negative;
    stats->linear_branch_count = t->linear;
    stats->no_budget_count = t->no_budget;
}

static bool ab_voxel_ok(double ab)
{
    return isfinite(ab) && ab > 0.0;
}

/* Error for the first invalid voxel @p i: the value array or alpha/beta. */
static bool report_bad_voxel(RertError *err,
                             const char *name,
                             const float *values,
                             const float *ab_map,
                             size_t i)
{
    if (!isfinite(values[i])) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s[%zu] = %g, expected a finite value", name, i,
                              (double)values[i]);
    }
    if (ab_map != NULL && !ab_voxel_ok((double)ab_map[i])) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ab_map_gy[%zu] = %g, expected a finite value "
                              "> 0",
                              i, (double)ab_map[i]);
    }
    return rert_error_set(err, RERT_ERR_INTERNAL,
                          "voxel %zu flagged invalid but %s and alpha/beta "
                          "look valid",
                          i, name);
}

/* Common guards of the BED/EQDx kernels. */
static bool bio_params_check(RertError *err,
                             const RertBioParams *p,
                             const void *in,
                             const void *out)
{
    if (!check_out(err, "params", p) || !check_out(err, "input array", in) ||
        !check_out(err, "output array", out) ||
        !radbio_model_check(err, &p->model) ||
        !check_fractions(err, "n_fractions", p->n_fractions) ||
        !check_finite_min(err, "x_gy", p->x_gy, 0.0, true)) {
        return false;
    }
    if (p->quantity != RERT_BIO_BED && p->quantity != RERT_BIO_EQDX) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "quantity = %d, expected BED (%d) or EQDx (%d)",
                              (int)p->quantity, (int)RERT_BIO_BED,
                              (int)RERT_BIO_EQDX);
    }
    return p->ab_map_gy != NULL ||
           check_finite_min(err, "ab_gy", p->ab_gy, 0.0, false);
}

/* Per-call constants of the BED/EQDx kernels. */
typedef struct BioCtx {
    LqForm form;
    const float *ab_map; /* NULL: ab_const everywhere */
    double ab_const;
    double n;
    double x;
    bool is_eqdx;
} BioCtx;

static BioCtx bio_ctx_make(const RertBioParams *p)
{
    BioCtx c = {
        lq_form_make(&p->model), p->ab_map_gy, p->ab_gy,
        (double)p->n_fractions,  p->x_gy,      p->quantity == RERT_BIO_EQDX};
    return c;
}

static Tally tally_empty(void)
{
    Tally t = {SIZE_MAX, 0, 0.0, 0, 0};
    return t;
}

/* ---- forward kernel. Plain LQ runs one branch-free loop per block that
 * computes every voxel and counts invalid voxels and negative doses on the
 * way (vectorised; the counts are plain integers). Only when a count is
 * non-zero does a second look at the (cached) block find the first invalid
 * voxel or the lowest negative dose. LQ-L checks the block first, then
 * applies the scalar formula. */

/* Per-block counts; a block has at most RADBIO_BLOCK_VOXELS voxels, so
 * 32-bit counters (cheaper in vector loops) cannot overflow. */
typedef struct Counts {
    uint32_t bad;      /* non-finite dose or alpha/beta not finite > 0 */
    uint32_t negative; /* dose < 0 */
} Counts;

/* 1 when @p v is finite (NaN fails both comparisons), else 0 */
static inline uint32_t is_finite_f(float v)
{
    return (uint32_t)(v >= -FLT_MAX) & (uint32_t)(v <= FLT_MAX);
}

/* 1 when alpha/beta @p ab is finite and > 0, else 0 */
static inline uint32_t is_ab_ok_f(float ab)
{
    return (uint32_t)(ab > 0.0f) & (uint32_t)(ab <= FLT_MAX);
}

/* Negative doses count as 0; -0.0 and positive values pass unchanged.
 * Written as a bit mask: gcc does not vectorise the ?: form of a float
 * select without -fno-trapping-math. */
static inline double clamped(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits &= (uint32_t)(v < 0.0f) - 1u; /* all zero bits (+0.0) if v < 0 */
    float kept;
    memcpy(&kept, &bits, sizeof kept);
    return (double)kept;
}

/* Plain LQ, one alpha/beta: BED = D(1 + d/ab) = D(ab + D/n)/ab and EQDx =
 * D(ab + D/n)/(ab + x), i.e. D(ab + D/n) times the constant @p k. */
RADBIO_VECTOR_CLONES static Counts lq_const_block(double ab,
                                                  double inv_n,
                                                  double k,
                                                  const float *restrict dose,
                                                  float *restrict out,
                                                  size_t begin,
                                                  size_t end)
{
    uint32_t bad = 0;
    uint32_t negative = 0;
    for (size_t i = begin; i < end; i++) {
        float v = dose[i];
        bad += 1u - is_finite_f(v);
        negative += (uint32_t)(v < 0.0f);
        double d = clamped(v);
        out[i] = (float)(d * (ab + d * inv_n) * k);
    }
    Counts n = {bad, negative};
    return n;
}

/* Plain LQ with a per-voxel alpha/beta: D(ab + D/n)/(ab + x). */
RADBIO_VECTOR_CLONES static Counts lq_map_block(const float *restrict ab_map,
                                                double inv_n,
                                                double x,
                                                const float *restrict dose,
                                                float *restrict out,
                                                size_t begin,
                                                size_t end)
{
    uint32_t bad = 0;
    uint32_t negative = 0;
    for (size_t i = begin; i < end; i++) {
        float v = dose[i];
        bad += 2u - is_finite_f(v) - is_ab_ok_f(ab_map[i]);
        negative += (uint32_t)(v < 0.0f);
        double d = clamped(v);
        double ab = (double)ab_map[i];
        out[i] = (float)(d * (ab + d * inv_n) / (ab + x));
    }
    Counts n = {bad, negative};
    return n;
}

static Counts scan_block(const BioCtx *c,
                         const float *restrict dose,
                         size_t begin,
                         size_t end)
{
    uint32_t bad = 0;
    uint32_t negative = 0;
    for (size_t i = begin; i < end; i++) {
        bad += 1u - is_finite_f(dose[i]);
        negative += (uint32_t)(dose[i] < 0.0f);
    }
    if (c->ab_map != NULL) {
        const float *restrict ab_map = c->ab_map;
        for (size_t i = begin; i < end; i++) {
            bad += 1u - is_ab_ok_f(ab_map[i]);
        }
    }
    Counts n = {bad, negative};
    return n;
}

/* LQ-L (or plain LQ with an extreme alpha/beta): the scalar API's
 * per-voxel formula, counting linear-branch voxels (inputs checked). */
static void general_block(const BioCtx *c,
                          const float *restrict dose,
                          float *restrict out,
                          size_t begin,
                          size_t end,
                          Tally *t)
{
    for (size_t i = begin; i < end; i++) {
        double ab = c->ab_map != NULL ? (double)c->ab_map[i] : c->ab_const;
        double d = clamped(dose[i]) / c->n;
        t->linear += c->form.is_lql && d > c->form.dt_gy ? 1u : 0u;
        double bed = c->n * lq_bed_per_fraction(&c->form, d, ab);
        out[i] = (float)(c->is_eqdx ? bed / (1.0 + c->x / ab) : bed);
    }
}

/* Index of the first voxel with a non-finite dose or a bad alpha/beta. */
static size_t first_invalid(const BioCtx *c,
                            const float *restrict dose,
                            size_t begin,
                            size_t end)
{
    for (size_t i = begin; i < end; i++) {
        double ab = c->ab_map != NULL ? (double)c->ab_map[i] : c->ab_const;
        if (!isfinite(dose[i]) || !ab_voxel_ok(ab)) {
            return i;
        }
    }
    return end; /* not reached: the counts said there is one */
}

static double lowest_dose(const float *restrict dose, size_t begin, size_t end)
{
    double lowest = 0.0;
    for (size_t i = begin; i < end; i++) {
        lowest = fmin(lowest, (double)dose[i]);
    }
    return lowest;
}

/* Forward LQ/LQ-L over voxels [begin, end); an invalid voxel stops the
 * block with its index in t->first_bad (the output is then unspecified). */
static void forward_block(const BioCtx *c,
                          const float *restrict dose,
                          float *restrict out,
                          size_t begin,
                          size_t end,
                          Tally *t)
{
    double inv_n = 1.0 / c->n;
    double x = c->is_eqdx ? c->x : 0.0;
    Counts n;
    /* An alpha/beta beyond float range (only possible as a constant) could
     * overflow D * ab in the fast form: use the scalar formula there. */
    bool is_general =
        c->form.is_lql || (c->ab_map == NULL && c->ab_const > (double)FLT_MAX);
    if (is_general) {
        n = scan_block(c, dose, begin, end);
        if (n.bad == 0) {
            general_block(c, dose, out, begin, end, t);
        }
    } else if (c->ab_map == NULL) {
        n = lq_const_block(c->ab_const, inv_n, 1.0 / (c->ab_const + x), dose,
                           out, begin, end);
    } else {
        n = lq_map_block(c->ab_map, inv_n, x, dose, out, begin, end);
    }
    if (n.bad > 0) {
        t->first_bad = first_invalid(c, dose, begin, end);
        return;
    }
    t->negative = n.negative;
    if (n.negative > 0) {
        t->most_negative = lowest_dose(dose, begin, end);
    }
}

/* Inverse over voxels [begin, end): remaining budget -> maximum dose. */
static void inverse_block(const BioCtx *c,
                          const float *restrict rem,
                          float *restrict total,
                          float *restrict per_fraction,
                          size_t begin,
                          size_t end,
                          Tally *t)
{
    for (size_t i = begin; i < end; i++) {
        double ab = c->ab_map != NULL ? (double)c->ab_map[i] : c->ab_const;
        double r = (double)rem[i];
        if (!isfinite(r) || !ab_voxel_ok(ab)) {
            t->first_bad = i;
            return;
        }
        double bed = c->is_eqdx ? r * (1.0 + c->x / ab) : r;
        double d = 0.0;
        bool is_linear = false;
        if (bed > 0.0) {
            d = lq_max_dose_per_fraction(&c->form, bed / c->n, ab, &is_linear);
        } else {
            t->no_budget++;
        }
        t->linear += is_linear ? 1u : 0u;
        total[i] = (float)(c->n * d);
        if (per_fraction != NULL) {
            per_fraction[i] = (float)d;
        }
    }
}

/* Which block kernel a parallel run applies. */
typedef enum BioDirection { BIO_FORWARD, BIO_INVERSE } BioDirection;

/* Run one kernel over all blocks in parallel. The reductions are integer
 * counts and exact minima, so the tally is thread-count independent, and
 * blocks may go to whichever thread is free (dynamic schedule: a thread
 * that starts late on a busy machine does not hold the others up). */
static Tally bio_run(const BioCtx *ctx,
                     BioDirection dir,
                     const float *restrict in,
                     size_t voxel_count,
                     float *restrict out,
                     float *restrict out2)
{
    size_t nblocks = block_count(voxel_count);
    size_t first_bad = SIZE_MAX;
    size_t negative = 0;
    size_t linear = 0;
    size_t no_budget = 0;
    double most_negative = 0.0;
#pragma omp parallel for default(none) schedule(dynamic)                      \
    shared(ctx, in, out, out2) firstprivate(dir, nblocks, voxel_count)         \
    reduction(min : first_bad, most_negative)                                  \
    reduction(+ : negative, linear, no_budget)
    for (size_t b = 0; b < nblocks; b++) {
        Tally bt = tally_empty();
        size_t begin = b * RADBIO_BLOCK_VOXELS;
        size_t end = block_end(b, voxel_count);
        if (dir == BIO_FORWARD) {
            forward_block(ctx, in, out, begin, end, &bt);
        } else {
            inverse_block(ctx, in, out, out2, begin, end, &bt);
        }
        first_bad = bt.first_bad < first_bad ? bt.first_bad : first_bad;
        most_negative = fmin(most_negative, bt.most_negative);
        negative += bt.negative;
        linear += bt.linear;
        no_budget += bt.no_budget;
    }
    Tally t = {first_bad, negative, most_negative, linear, no_budget};
    return t;
}

bool rert_bio_dose_compute(RertError *err,
                           const RertBioParams *params,
                           const float *restrict dose_gy,
                           size_t voxel_count,
                           float *restrict out_gy,
                           RertVoxelStats *stats)
{
    if (!bio_params_check(err, params, dose_gy, out_gy)) {
        return false;
    }
    BioCtx ctx = bio_ctx_make(params);
    Tally t = bio_run(&ctx, BIO_FORWARD, dose_gy, voxel_count, out_gy, NULL);
    if (t.first_bad != SIZE_MAX) {
        return report_bad_voxel(err, "dose_gy", dose_gy, params->ab_map_gy,
                                t.first_bad);
    }
    stats_fill(stats, voxel_count, &t);
    return true;
}

bool rert_bio_max_dose_compute(RertError *err,
                               const RertBioParams *params,
                               const float *restrict remaining,
                               size_t voxel_count,
                               float *restrict max_total_gy,
                               float *restrict max_per_fraction_gy,
                               RertVoxelStats *stats)
{
    if (!bio_params_check(err, params, remaining, max_total_gy)) {
        return false;
    }
    BioCtx ctx = bio_ctx_make(params);
    Tally t = bio_run(&ctx, BIO_INVERSE, remaining, voxel_count, max_total_gy,
                      max_per_fraction_gy);
    if (t.first_bad != SIZE_MAX) {
        return report_bad_voxel(err, "remaining", remaining, params->ab_map_gy,
                                t.first_bad);
    }
    stats_fill(stats, voxel_count, &t);
    return true;
}

/* Per-call constants of the RBE kernel. */
typedef struct RbeCtx {
    bool is_model;
    const RertRbeModel *model;
    const float *ab_map;
    double ab_const;
    double rbe_constant;
    double n;
} RbeCtx;

/* RBE of one voxel (dose already clamped to >= 0); NaN when the voxel's
 * inputs are invalid. */
static double rbe_voxel(const RbeCtx *c, double letd, double ab, double d_gy)
{
    if (!c->is_model) {
        return c->rbe_constant;
    }
    if (!isfinite(letd) || letd < 0.0 || !ab_voxel_ok(ab)) {
        return (double)NAN;
    }
    double rbemax = 0.0;
    double rbemin = 0.0;
    rbe_limits(c->model, letd, ab, &rbemax, &rbemin);
    return rbe_from_limits(rbemax, rbemin, ab, d_gy);
}

static void rbe_block(const RbeCtx *c,
                      const float *restrict dose,
                      const float *restrict letd,
                      float *restrict out,
                      float *restrict rbe_out,
                      size_t begin,
                      size_t end,
                      Tally *t)
{
    for (size_t i = begin; i < end; i++) {
        double dose_gy = (double)dose[i];
        double ab = c->ab_map != NULL ? (double)c->ab_map[i] : c->ab_const;
        double letd_i = c->is_model ? (double)letd[i] : 0.0;
        double rbe = rbe_voxel(c, letd_i, ab, fmax(dose_gy, 0.0) / c->n);
        if (!isfinite(dose_gy) || !isfinite(rbe) || rbe <= 0.0) {
            t->first_bad = i;
            return;
        }
        if (dose_gy < 0.0) {
            t->negative++;
            t->most_negative = fmin(t->most_negative, dose_gy);
            dose_gy = 0.0;
        }
        out[i] = (float)(rbe * dose_gy);
        if (rbe_out != NULL) {
            rbe_out[i] = (float)rbe;
        }
    }
}

static Tally rbe_run(const RbeCtx *ctx,
                     const float *restrict dose,
                     const float *restrict letd,
                     size_t voxel_count,
                     float *restrict out,
                     float *restrict rbe_out)
{
    size_t nblocks = block_count(voxel_count);
    size_t first_bad = SIZE_MAX;
    size_t negative = 0;
    double most_negative = 0.0;
#pragma omp parallel for default(none) schedule(static)                       \
    shared(ctx, dose, letd, out, rbe_out) firstprivate(nblocks, voxel_count)   \
    reduction(min : first_bad, most_negative) reduction(+ : negative)
    for (size_t b = 0; b < nblocks; b++) {
        Tally bt = tally_empty();
        rbe_block(ctx, dose, letd, out, rbe_out, b * RADBIO_BLOCK_VOXELS,
                  block_end(b, voxel_count), &bt);
        first_bad = bt.first_bad < first_bad ? bt.first_bad : first_bad;
        most_negative = fmin(most_negative, bt.most_negative);
        negative += bt.negative;
    }
    Tally t = {first_bad, negative, most_negative, 0, 0};
    return t;
}

/* Guards of the RBE kernel. */
static bool rbe_params_check(RertError *err,
                             const RertRbeParams *p,
                             const float *dose,
                             const float *letd,
                             const float *out)
{
    if (!check_out(err, "params", p) || !check_out(err, "physical_gy", dose) ||
        !check_out(err, "rbe_weighted_gy", out)) {
        return false;
    }
    if (p->kind == RERT_RBE_CONSTANT) {
        return check_finite_min(err, "rbe_constant", p->rbe_constant, 0.0,
                                false);
    }
    if (p->kind != RERT_RBE_LET_MODEL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "RBE kind = %d, expected constant (%d) or LET "
                              "model (%d)",
                              (int)p->kind, (int)RERT_RBE_CONSTANT,
                              (int)RERT_RBE_LET_MODEL);
    }
    return check_out(err, "RBE model", p->model) &&
           check_out(err, "letd_kev_um (LET model)", letd) &&
           check_fractions(err, "n_fractions", p->n_fractions) &&
           (p->ab_map_gy != NULL ||
            check_finite_min(err, "ab_gy", p->ab_gy, 0.0, false));
}

/* Error for the first invalid voxel of the RBE kernel. */
static bool report_bad_rbe_voxel(RertError *err,
                                 const RertRbeParams *p,
                                 const float *dose,
                                 const float *letd,
                                 size_t i)
{
    if (!isfinite(dose[i])) {
        return report_bad_voxel(err, "physical_gy", dose, NULL, i);
    }
    if (p->kind == RERT_RBE_LET_MODEL) {
        if (!isfinite(letd[i]) || letd[i] < 0.0f) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "letd_kev_um[%zu] = %g, expected a finite "
                                  "value >= 0",
                                  i, (double)letd[i]);
        }
        if (p->ab_map_gy != NULL && !ab_voxel_ok((double)p->ab_map_gy[i])) {
            return report_bad_voxel(err, "physical_gy", dose, p->ab_map_gy, i);
        }
    }
    return rert_error_set(
        err, RERT_ERR_INVALID_ARG,
        "RBE at voxel %zu (model %s, LETd %g keV/um) is not "
        "a finite value > 0",
        i,
        p->kind == RERT_RBE_LET_MODEL && p->model->name ? p->model->name
                                                        : "constant",
        p->kind == RERT_RBE_LET_MODEL ? (double)letd[i] : 0.0);
}

bool rert_rbe_dose_compute(RertError *err,
                           const RertRbeParams *params,
                           const float *restrict physical_gy,
                           const float *restrict letd_kev_um,
                           size_t voxel_count,
                           float *restrict rbe_weighted_gy,
                           float *restrict rbe_out,
                           RertVoxelStats *stats)
{
    if (!rbe_params_check(err, params, physical_gy, letd_kev_um,
                          rbe_weighted_gy)) {
        return false;
    }
    bool is_model = params->kind == RERT_RBE_LET_MODEL;
    RbeCtx ctx = {is_model,
                  params->model,
                  params->ab_map_gy,
                  params->ab_gy,
                  params->rbe_constant,
                  is_model ? (double)params->n_fractions : 1.0};
    Tally t = rbe_run(&ctx, physical_gy, letd_kev_um, voxel_count,
                      rbe_weighted_gy, rbe_out);
    if (t.first_bad != SIZE_MAX) {
        return report_bad_rbe_voxel(err, params, physical_gy, letd_kev_um,
                                    t.first_bad);
    }
    stats_fill(stats, voxel_count, &t);
    return true;
}
