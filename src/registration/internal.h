/* Private declarations shared by the registration files. Never installed. */
#ifndef RERT_REGISTRATION_INTERNAL_H
#define RERT_REGISTRATION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/geometry.h>
#include <rert/registration.h>

/* Spatial Registration Storage SOP class (PS3.4 B.5; the same value as
 * RERT_SOP_REGISTRATION in rt.h, which this module does not include). */
#define REG_SOP_CLASS_UID "1.2.840.10008.5.1.4.1.1.66.1"

/* ---- pyramid.c: down-sampling, masks, centres of mass */

/* Block-average @p v by @p shrink[a] voxels along each axis (the block
 * mean sits at the block centre); shrink 1,1,1 gives a copy. New volume. */
RertVolume *
reg_volume_shrink(RertError *err, const RertVolume *v, const size_t shrink[3]);

/* Shrink factors of level @p level (0 = coarsest) of @p levels for a grid
 * with @p spacing_mm: about 2^(levels-1-level) * min spacing / spacing,
 * at least 1, and never leaving fewer than 4 voxels along an axis that
 * had at least 4. */
void reg_level_shrink(const RertGridGeometry *g,
                      unsigned levels,
                      unsigned level,
                      size_t shrink[3]);

/* Centre of mass (patient mm) of the voxels above @p threshold (all when
 * NaN). False when there are none. */
bool reg_volume_centroid(const RertVolume *v, double threshold, double out[3]);

/* ---- metric.c: fixed samples and the similarity measures */

/* Fixed voxels that drive the metric at one level, grouped in chunks
 * (fixed slices) so partial sums can be combined in a fixed order. */
typedef struct RegSamples {
    size_t count;
    float *xyz;          /* 3 per sample, fixed patient mm */
    float *value;        /* fixed intensity */
    uint16_t *bin;       /* fixed histogram bin */
    size_t chunk_count;  /* fixed slices */
    size_t *chunk_start; /* chunk_count + 1 offsets into the samples */
} RegSamples;

/* Collect the voxels of @p fixed with mask[i] >= 0.5 (@p mask on the same
 * grid; NULL = all voxels) and fill their bins (@p bins over the sample
 * range). */
bool reg_samples_build(RertError *err,
                       const RertVolume *fixed,
                       const float *mask,
                       unsigned bins,
                       RegSamples *out);
void reg_samples_clear(RegSamples *s);

/* One metric at one level: scratch space for per-chunk partials. */
typedef struct RegMetric {
    const RegSamples *samples;
    const RertVolume *moving;
    RertRigidMetric kind;
    unsigned bins;
    double moving_min;
    double bin_scale; /* moving value -> continuous bin */
    double *partials; /* chunk_count * stride */
    size_t stride;
    size_t evaluations;
} RegMetric;

bool reg_metric_init(RertError *err,
                     RegMetric *m,
                     const RegSamples *samples,
                     const RertVolume *moving,
                     RertRigidMetric kind,
                     unsigned bins);
void reg_metric_clear(RegMetric *m);

/* Metric (larger is better) for @p fixed_to_moving; @p overlap_frac
 * receives the fraction of samples inside the moving grid. Returns -inf
 * when fewer than 16 samples overlap. */
double reg_metric_evaluate(RegMetric *m,
                           const RertMat4 *fixed_to_moving,
                           double *overlap_frac);

#endif
