/* DVH engine, histogram: bin-free cumulative curve from the sorted
 * (dose, volume) samples, and the metrics read from it by linear
 * interpolation. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include <rert/core.h>

#include "internal.h"

/* Past this the curve is refused (LIMIT). */
#define CURVE_MAX_POINTS 10000000u

RertDvhOptions rert_dvh_options_default(void)
{
    RertDvhOptions o;
    memset(&o, 0, sizeof o);
    o.end_caps = RERT_DVH_END_CAPS_HALF;
    o.end_profile = RERT_DVH_END_PROFILE_FITTED;
    o.target_samples = RERT_DVH_DEFAULT_TARGET_SAMPLES;
    o.max_subsamples = RERT_DVH_DEFAULT_MAX_SUBSAMPLES;
    o.max_layers = RERT_DVH_DEFAULT_MAX_LAYERS;
    o.max_samples = RERT_DVH_DEFAULT_MAX_SAMPLES;
    o.single_plane_thickness_mm = 0.0;
    return o;
}

/* Order-preserving unsigned key of a float. */
static inline uint32_t float_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
}

/* Stable LSD radix sort by dose, 11 bits a pass (3 passes); w->spare is
 * the scratch. The sorted samples end in w->sample (pointers swapped as
 * needed). A pass where every key has the same digit is skipped. */
void dvh_sort_samples(DvhRoiWork *w)
{
    enum { BITS = 11, BUCKETS = 1 << BITS };
    DvhSample *src = w->sample;
    DvhSample *dst = w->spare;
    size_t n = w->samples;
    static_assert(sizeof(DvhSample) >= sizeof(double),
                  "the radix scratch is reused as the cumulative array");
    for (unsigned shift = 0; shift < 32; shift += BITS) {
        size_t count[BUCKETS + 1];
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) {
            count[((float_key(src[i].dose_gy) >> shift) & (BUCKETS - 1)) + 1]++;
        }
        bool is_trivial = false;
        for (size_t k = 1; k <= BUCKETS; k++) {
            is_trivial = is_trivial || count[k] == n;
        }
        if (is_trivial) {
            continue;
        }
        for (size_t k = 0; k < BUCKETS; k++) {
            count[k + 1] += count[k];
        }
        for (size_t i = 0; i < n; i++) {
            size_t k = (float_key(src[i].dose_gy) >> shift) & (BUCKETS - 1);
            dst[count[k]++] = src[i];
        }
        DvhSample *t = src;
        src = dst;
        dst = t;
    }
    w->sample = src;
    w->spare = dst;
}

static inline double sample_weight(const RertDvh *d, size_t i)
{
    return (double)d->sample[i].weight_cc;
}

/* Cumulative volume at sample i: whole volume at the coldest sample,
 * otherwise the volume after i plus half of sample i. */
static inline double knot_cc(const RertDvh *d, size_t i)
{
    return i == 0 ? d->volume_cc : d->above_cc[i] + 0.5 * sample_weight(d, i);
}

static bool move_warnings(RertError *err, RertDvh *d, DvhRoiWork *w)
{
    for (size_t i = 0; i < w->warning_count; i++) {
        d->warnings[i] = w->warnings[i];
    }
    d->warning_count = w->warning_count;
    w->warning_count = 0;
    double diff = d->volume_cc - d->contour_cc;
    if (fabs(diff) > 0.02 * d->contour_cc &&
        d->warning_count < DVH_MAX_WARNINGS && d->contour_cc > 0.0) {
        char buf[256];
        rert_format_double(buf, sizeof buf, 100.0 * diff / d->contour_cc, 3);
        DvhRoiWork tmp;
        memset(&tmp, 0, sizeof tmp);
        if (!dvh_warn(err, &tmp,
                      "sampled volume %.5g cc differs from the contour volume "
                      "%.5g cc by %s %% (self-intersecting or overlapping "
                      "contours, or a structure thin against the sampling)",
                      d->volume_cc, d->contour_cc, buf)) {
            return false;
        }
        d->warnings[d->warning_count++] = tmp.warnings[0];
    }
    return true;
}

RertDvh *dvh_build(RertError *err, DvhRoiWork *w)
{
    RertDvh *d = rert_calloc(err, 1, sizeof *d);
    if (d == NULL) {
        return NULL;
    }
    d->plane_count = w->plane_count;
    d->subsamples = w->subsamples;
    d->n = w->samples;
    d->sample = w->sample;
    d->above_cc = w->spare; /* the radix scratch has room for n doubles */
    w->sample = NULL;
    w->spare = NULL;
    d->above_cc[d->n - 1] = 0.0;
    for (size_t i = d->n - 1; i > 0; i--) {
        d->above_cc[i - 1] = d->above_cc[i] + sample_weight(d, i);
    }
    d->volume_cc = d->above_cc[0] + sample_weight(d, 0);
    double dose_cc = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        dose_cc += sample_weight(d, i) * (double)d->sample[i].dose_gy;
    }
    d->mean_gy = dose_cc / d->volume_cc;
    d->contour_cc = w->contour_cc;
    d->outside_cc = w->outside_cc;
    if (!move_warnings(err, d, w)) {
        rert_dvh_destroy(d);
        return NULL;
    }
    return d;
}

void rert_dvh_destroy(RertDvh *dvh)
{
    if (dvh == NULL) {
        return;
    }
    rert_free(dvh->sample);
    rert_free(dvh->above_cc);
    for (size_t i = 0; i < dvh->warning_count; i++) {
        rert_free(dvh->warnings[i]);
    }
    rert_free(dvh);
}

double rert_dvh_volume_cc(const RertDvh *dvh)
{
    return dvh->volume_cc;
}

double rert_dvh_contour_volume_cc(const RertDvh *dvh)
{
    return dvh->contour_cc;
}

double rert_dvh_outside_cc(const RertDvh *dvh)
{
    return dvh->outside_cc;
}

double rert_dvh_min_gy(const RertDvh *dvh)
{
    return (double)dvh->sample[0].dose_gy;
}

double rert_dvh_mean_gy(const RertDvh *dvh)
{
    return dvh->mean_gy;
}

double rert_dvh_max_gy(const RertDvh *dvh)
{
    return (double)dvh->sample[dvh->n - 1].dose_gy;
}

size_t rert_dvh_sample_count(const RertDvh *dvh)
{
    return dvh->n;
}

size_t rert_dvh_plane_count(const RertDvh *dvh)
{
    return dvh->plane_count;
}

unsigned rert_dvh_subsamples(const RertDvh *dvh)
{
    return dvh->subsamples;
}

size_t rert_dvh_warning_count(const RertDvh *dvh)
{
    return dvh->warning_count;
}

const char *rert_dvh_warning(const RertDvh *dvh, size_t index)
{
    return index < dvh->warning_count ? dvh->warnings[index] : NULL;
}

double rert_dvh_dose_at_volume_cc(const RertDvh *dvh, double volume_cc)
{
    if (!(volume_cc >= 0.0) || !isfinite(volume_cc)) {
        return (double)NAN;
    }
    size_t n = dvh->n;
    if (volume_cc >= dvh->volume_cc) {
        return (double)dvh->sample[0].dose_gy;
    }
    if (volume_cc <= knot_cc(dvh, n - 1)) {
        return (double)dvh->sample[n - 1].dose_gy;
    }
    size_t lo = 0;     /* knot(lo) >= volume */
    size_t hi = n - 1; /* knot(hi) < volume */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (knot_cc(dvh, mid) >= volume_cc) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    double k0 = knot_cc(dvh, lo);
    double k1 = knot_cc(dvh, hi);
    double t = (k0 - volume_cc) / (k0 - k1);
    double d0 = (double)dvh->sample[lo].dose_gy;
    double d1 = (double)dvh->sample[hi].dose_gy;
    return d0 + t * (d1 - d0);
}

double rert_dvh_dose_at_volume_pct(const RertDvh *dvh, double percent)
{
    if (!(percent >= 0.0 && percent <= 100.0)) {
        return (double)NAN;
    }
    return rert_dvh_dose_at_volume_cc(dvh, percent / 100.0 * dvh->volume_cc);
}

double rert_dvh_volume_cc_at_dose(const RertDvh *dvh, double dose_gy)
{
    if (isnan(dose_gy)) {
        return (double)NAN;
    }
    size_t lo = 0;
    size_t hi = dvh->n; /* first index with dose >= dose_gy */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)dvh->sample[mid].dose_gy < dose_gy) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return dvh->volume_cc;
    }
    if (lo == dvh->n) {
        return 0.0;
    }
    double d0 = (double)dvh->sample[lo - 1].dose_gy;
    double d1 = (double)dvh->sample[lo].dose_gy;
    double k0 = knot_cc(dvh, lo - 1);
    double k1 = knot_cc(dvh, lo);
    return k0 + (dose_gy - d0) / (d1 - d0) * (k1 - k0);
}

double rert_dvh_volume_pct_at_dose(const RertDvh *dvh, double dose_gy)
{
    return 100.0 * rert_dvh_volume_cc_at_dose(dvh, dose_gy) / dvh->volume_cc;
}

bool rert_dvh_curve_compute(RertError *err,
                            const RertDvh *dvh,
                            double step_gy,
                            double **dose_gy,
                            double **volume_cc,
                            size_t *count)
{
    *dose_gy = NULL;
    *volume_cc = NULL;
    *count = 0;
    if (!(step_gy > 0.0) || !isfinite(step_gy)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH curve: step %g Gy, expected a finite "
                              "number > 0",
                              step_gy);
    }
    double top = fmax(rert_dvh_max_gy(dvh), 0.0);
    double points = ceil(top / step_gy) + 1.0;
    if (!(points <= (double)CURVE_MAX_POINTS)) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "DVH curve: %g points (Dmax %g Gy / step %g "
                              "Gy), limit %u",
                              points, top, step_gy, CURVE_MAX_POINTS);
    }
    size_t n = (size_t)points;
    double *d = rert_calloc(err, n, sizeof *d);
    double *v = rert_calloc(err, n, sizeof *v);
    if (d == NULL || v == NULL) {
        rert_free(d);
        rert_free(v);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        d[i] = (double)i * step_gy;
        v[i] = rert_dvh_volume_cc_at_dose(dvh, d[i]);
    }
    *dose_gy = d;
    *volume_cc = v;
    *count = n;
    return true;
}
