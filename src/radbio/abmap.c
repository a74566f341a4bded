/* Per-voxel alpha/beta map from ROI occupancy fractions, with a documented
 * overlap rule (docs/radiobiology.md, "Alpha/beta maps"). alpha/beta in Gy,
 * occupancy as a fraction 0..1 of the voxel inside the ROI. */
#include <math.h>
#include <stdint.h>

#include <rert/radbio.h>

#include "internal.h"

RertAbMapParams rert_ab_map_params_default(void)
{
    RertAbMapParams p = {
        .rois = NULL,
        .roi_count = 0,
        .default_ab_gy = RERT_AB_LATE_DEFAULT_GY,
        .rule = RERT_AB_OVERLAP_LOWEST,
        .inside_min_frac = RERT_AB_MAP_INSIDE_DEFAULT_FRAC,
    };
    return p;
}

static const char *roi_label(const RertAbRoi *roi)
{
    return roi->name != NULL ? roi->name : "(unnamed)";
}

static bool rois_check(RertError *err, const RertAbMapParams *p)
{
    if (p->roi_count > (size_t)INT32_MAX) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "roi_count = %zu, expected <= %d", p->roi_count,
                              (int)INT32_MAX);
    }
    if (p->roi_count > 0 && !check_out(err, "rois", p->rois)) {
        return false;
    }
    for (size_t r = 0; r < p->roi_count; r++) {
        const RertAbRoi *roi = &p->rois[r];
        if (roi->occupancy_frac == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "ROI %zu '%s': occupancy_frac is NULL, "
                                  "expected a voxel array",
                                  r, roi_label(roi));
        }
        if (!isfinite(roi->ab_gy) || roi->ab_gy <= 0.0) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "ROI %zu '%s': ab_gy = %g, expected a "
                                  "finite value > 0",
                                  r, roi_label(roi), roi->ab_gy);
        }
    }
    return true;
}

static bool ab_map_params_check(RertError *err,
                                const RertAbMapParams *p,
                                const float *ab_map)
{
    if (!check_out(err, "params", p) || !check_out(err, "ab_map_gy", ab_map) ||
        !check_finite_min(err, "default_ab_gy", p->default_ab_gy, 0.0, false)) {
        return false;
    }
    if (p->rule != RERT_AB_OVERLAP_LOWEST &&
        p->rule != RERT_AB_OVERLAP_PRIORITY) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "overlap rule = %d, expected lowest (%d) or "
                              "priority (%d)",
                              (int)p->rule, (int)RERT_AB_OVERLAP_LOWEST,
                              (int)RERT_AB_OVERLAP_PRIORITY);
    }
    if (!(p->inside_min_frac > 0.0 && p->inside_min_frac <= 1.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "inside_min_frac = %g, expected a value in "
                              "(0, 1]",
                              p->inside_min_frac);
    }
    return rois_check(err, p);
}

/* The deciding ROI of voxel @p i (-1: none); *inside counts the ROIs the
 * voxel is inside; *is_bad is set on a non-finite occupancy. */
static int32_t voxel_decide(const RertAbRoi *rois,
                            size_t roi_count,
                            size_t i,
                            double threshold,
                            bool lowest_wins,
                            size_t *inside,
                            bool *is_bad)
{
    int32_t chosen = -1;
    *inside = 0;
    *is_bad = false;
    for (size_t r = 0; r < roi_count; r++) {
        double f = (double)rois[r].occupancy_frac[i];
        if (!isfinite(f)) {
            *is_bad = true;
            return -1;
        }
        if (f < threshold) {
            continue;
        }
        (*inside)++;
        /* strict < keeps the first listed ROI on equal alpha/beta */
        if (chosen < 0 || (lowest_wins && rois[r].ab_gy < rois[chosen].ab_gy)) {
            chosen = (int32_t)r;
        }
    }
    return chosen;
}

typedef struct AbTally {
    size_t first_bad;
    size_t default_count;
    size_t overlap_count;
} AbTally;

/* Per-call constants of the map kernel. */
typedef struct AbCtx {
    const RertAbRoi *rois;
    size_t roi_count;
    double threshold;
    bool lowest_wins;
    float default_ab;
} AbCtx;

/* Fill voxels [begin, end); stops at the first non-finite occupancy. */
static void ab_block(const AbCtx *c,
                     float *restrict ab_map,
                     int32_t *restrict roi_index,
                     size_t begin,
                     size_t end,
                     AbTally *t)
{
    for (size_t i = begin; i < end; i++) {
        size_t inside = 0;
        bool is_bad = false;
        int32_t k = voxel_decide(c->rois, c->roi_count, i, c->threshold,
                                 c->lowest_wins, &inside, &is_bad);
        if (is_bad) {
            t->first_bad = i;
            return;
        }
        t->default_count += k < 0 ? 1u : 0u;
        t->overlap_count += inside >= 2 ? 1u : 0u;
        ab_map[i] = k < 0 ? c->default_ab : (float)c->rois[k].ab_gy;
        if (roi_index != NULL) {
            roi_index[i] = k;
        }
    }
}

static AbTally ab_map_fill(const RertAbMapParams *p,
                           size_t voxel_count,
                           float *restrict ab_map,
                           int32_t *restrict roi_index)
{
    AbCtx ctx = {p->rois, p->roi_count, p->inside_min_frac,
                 p->rule == RERT_AB_OVERLAP_LOWEST, (float)p->default_ab_gy};
    size_t first_bad = SIZE_MAX;
    size_t default_count = 0;
    size_t overlap_count = 0;
    size_t nblocks = voxel_count / RADBIO_BLOCK_VOXELS +
                     (voxel_count % RADBIO_BLOCK_VOXELS != 0 ? 1u : 0u);
#pragma omp parallel for default(none) schedule(static)                       \
    shared(ctx, ab_map, roi_index) firstprivate(nblocks, voxel_count)          \
    reduction(min : first_bad) reduction(+ : default_count, overlap_count)
    for (size_t b = 0; b < nblocks; b++) {
        AbTally bt = {SIZE_MAX, 0, 0};
        size_t begin = b * RADBIO_BLOCK_VOXELS;
        size_t end = voxel_count - begin < RADBIO_BLOCK_VOXELS
                         ? voxel_count
                         : begin + RADBIO_BLOCK_VOXELS;
        ab_block(&ctx, ab_map, roi_index, begin, end, &bt);
        first_bad = bt.first_bad < first_bad ? bt.first_bad : first_bad;
        default_count += bt.default_count;
        overlap_count += bt.overlap_count;
    }
    AbTally t = {first_bad, default_count, overlap_count};
    return t;
}

bool rert_ab_map_compute(RertError *err,
                         const RertAbMapParams *params,
                         size_t voxel_count,
                         float *restrict ab_map_gy,
                         int32_t *restrict roi_index,
                         RertAbMapStats *stats)
{
    if (!ab_map_params_check(err, params, ab_map_gy)) {
        return false;
    }
    AbTally t = ab_map_fill(params, voxel_count, ab_map_gy, roi_index);
    if (t.first_bad != SIZE_MAX) {
        size_t i = t.first_bad;
        for (size_t r = 0; r < params->roi_count; r++) {
            float f = params->rois[r].occupancy_frac[i];
            if (!isfinite(f)) {
                return rert_error_set(
                    err, RERT_ERR_INVALID_ARG,
                    "ROI %zu '%s': occupancy_frac[%zu] = %g, expected a "
                    "finite value",
                    r, roi_label(&params->rois[r]), i, (double)f);
            }
        }
        return rert_error_set(err, RERT_ERR_INTERNAL,
                              "voxel %zu flagged invalid but all occupancy "
                              "values are finite",
                              i);
    }
    if (stats != NULL) {
        stats->voxel_count = voxel_count;
        stats->default_count = t.default_count;
        stats->overlap_count = t.overlap_count;
    }
    return true;
}
