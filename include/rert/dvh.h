/**
 * @file dvh.h
 * Dose-volume histograms of planar-contour structures on a dose grid, and
 * the metrics read from them (Dmin, Dmean, Dmax, D<x>%, D<x>cc, V<x>Gy,
 * V<x>Gy%). How every number is computed: docs/dvh.md.
 *
 * Model: each contour plane of a structure stands for a slab reaching
 * half-way to its neighbouring planes (a right prism); the first and last
 * planes get end caps of half a plane spacing (or none). Inside each slab
 * the structure is sampled on a regular sub-grid aligned to the dose grid
 * (finer for small structures), membership by the even-odd rule over all
 * contours of the plane (holes and islands by containment), and the dose
 * is interpolated trilinearly at every sample. The histogram is bin-free:
 * samples sorted by dose, each weighted by its volume, metrics by linear
 * interpolation of the cumulative curve. No upper dose limit.
 *
 * Independent of DICOM: the inputs are a RertVolume (Gy) and, per ROI, an
 * array of RertPolygon in patient mm, each lying on a plane of constant z.
 */
#ifndef RERT_DVH_H
#define RERT_DVH_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/error.h>
#include <rert/geometry.h>

/** End caps added beyond the first and last contour planes. */
typedef enum RertDvhEndCaps {
    RERT_DVH_END_CAPS_HALF = 0, /**< half a plane spacing (default) */
    RERT_DVH_END_CAPS_NONE,     /**< the structure ends at its planes */
} RertDvhEndCaps;

/** How the volume between an end plane and its neighbour is split
 * between their two slabs (docs/dvh.md, "Closing planes"). */
typedef enum RertDvhEndProfile {
    /** The cross-section area between a closing end plane and its
     * neighbour follows a power law fitted to the last three planes
     * (default); the slab boundary moves so that the prisms hold that
     * volume. Equal to the midpoint rule for a linear profile. */
    RERT_DVH_END_PROFILE_FITTED = 0,
    /** Slab boundary half-way between the planes (plain right prisms). */
    RERT_DVH_END_PROFILE_MIDPOINT,
} RertDvhEndProfile;

/** Default number of samples the adaptive sub-sampling aims for. */
#define RERT_DVH_DEFAULT_TARGET_SAMPLES 100000u
/** Default largest in-plane sub-sampling factor per dose voxel side. */
#define RERT_DVH_DEFAULT_MAX_SUBSAMPLES 64u
/** Default largest number of sub-layers per contour slab. */
#define RERT_DVH_DEFAULT_MAX_LAYERS 64u
/** Default limit on samples per ROI (beyond it the ROI fails with LIMIT). */
#define RERT_DVH_DEFAULT_MAX_SAMPLES 400000000u

/** Options of the DVH engine; see rert_dvh_options_default(). */
typedef struct RertDvhOptions {
    RertDvhEndCaps end_caps; /**< default RERT_DVH_END_CAPS_HALF */
    /** default RERT_DVH_END_PROFILE_FITTED */
    RertDvhEndProfile end_profile;
    size_t target_samples;   /**< at least this many per ROI where the
                                sub-sampling caps allow, default 1e5 */
    unsigned max_subsamples; /**< in-plane factor cap, 1..256, default 64 */
    unsigned max_layers;     /**< sub-layers per slab cap, default 64 */
    size_t max_samples;      /**< per ROI, default 4e8 */
    /** Plane spacing (mm) for a structure with one contour plane; 0
     * (default) uses the dose grid's z extent of one voxel. */
    double single_plane_thickness_mm;
} RertDvhOptions;

/** Defaults: half end caps, fitted end profile, 1e5 samples, 64x64, 64
 * layers, 4e8 max. */
RERT_API RertDvhOptions rert_dvh_options_default(void);

/** One structure's input: closed planar contours (borrowed). */
typedef struct RertDvhRoi {
    const RertPolygon *polygons;
    size_t count;
} RertDvhRoi;

/** The DVH of one structure on one dose. Opaque. */
typedef struct RertDvh RertDvh;

/**
 * DVH of one structure. Equivalent to rert_dvh_compute_many() with one
 * ROI. Errors: INVALID_ARG (NULL dose, bad options), GEOMETRY (a contour
 * not on a constant z, naming it; no contour with an area), PARSE
 * (non-finite coordinates), LIMIT (more samples than options allow),
 * NOMEM. Ownership: new, rert_dvh_destroy(); inputs borrowed for the
 * call. Threads: uses OpenMP inside; results do not depend on the thread
 * count.
 */
RERT_API RertDvh *rert_dvh_compute(RertError *err,
                                   const RertVolume *dose,
                                   const RertPolygon *polygons,
                                   size_t count,
                                   const RertDvhOptions *options);

/**
 * DVHs of @p roi_count structures on the same dose, in parallel over
 * structures and contour planes. A structure that fails (see
 * rert_dvh_compute() for the codes) gets dvhs[i] = NULL and its error in
 * roi_errors[i]; the others are computed.
 * @param dvhs receives roi_count pointers (new, each rert_dvh_destroy()).
 * @param roi_errors receives roi_count errors (RERT_OK where computed).
 * @param options NULL for defaults.
 * @return false only for failures that concern all ROIs (NULL arguments,
 * bad options, NOMEM), with every dvhs[i] NULL.
 * Threads: results identical for any OpenMP thread count.
 */
RERT_API bool rert_dvh_compute_many(RertError *err,
                                    const RertVolume *dose,
                                    const RertDvhRoi *rois,
                                    size_t roi_count,
                                    const RertDvhOptions *options,
                                    RertDvh **dvhs,
                                    RertError *roi_errors);

/** Free a DVH and its warnings. NULL allowed. */
RERT_API void rert_dvh_destroy(RertDvh *dvh);

/* Accessors and metrics below: @p dvh must be a DVH returned by
 * rert_dvh_compute*(); they set no error and allocate nothing (except
 * rert_dvh_curve_compute); Threads: safe for concurrent reads of one DVH. */

/** Sampled volume in cc: the sum of the sample weights (outside the dose
 * grid included). */
RERT_API double rert_dvh_volume_cc(const RertDvh *dvh);
/** Volume from the polygons: even-odd area (shoelace, holes subtract)
 * times slab thickness, end caps included, in cc. */
RERT_API double rert_dvh_contour_volume_cc(const RertDvh *dvh);
/** Sampled volume whose samples lie outside the dose grid (counted as
 * 0 Gy in every metric), in cc. */
RERT_API double rert_dvh_outside_cc(const RertDvh *dvh);
/** Minimum, volume-weighted mean and maximum sample dose in Gy. */
RERT_API double rert_dvh_min_gy(const RertDvh *dvh);
RERT_API double rert_dvh_mean_gy(const RertDvh *dvh);
RERT_API double rert_dvh_max_gy(const RertDvh *dvh);
/** Number of dose samples, contour planes used, in-plane sub-sampling
 * factor (samples per dose voxel side) and total sub-layers. */
RERT_API size_t rert_dvh_sample_count(const RertDvh *dvh);
RERT_API size_t rert_dvh_plane_count(const RertDvh *dvh);
RERT_API unsigned rert_dvh_subsamples(const RertDvh *dvh);

/**
 * Minimum dose of the hottest @p volume_cc (D<x>cc): the dose at which the
 * cumulative curve reaches @p volume_cc, linearly interpolated between
 * sample doses. Volumes at or beyond the whole volume give Dmin, volumes
 * below half the hottest sample give Dmax. NaN when @p volume_cc < 0 or
 * not finite.
 */
RERT_API double rert_dvh_dose_at_volume_cc(const RertDvh *dvh,
                                           double volume_cc);
/** D<x>%: rert_dvh_dose_at_volume_cc() at @p percent of the sampled
 * volume. NaN outside [0, 100]. */
RERT_API double rert_dvh_dose_at_volume_pct(const RertDvh *dvh, double percent);
/** V<x>Gy in cc: volume receiving at least @p dose_gy, interpolated. */
RERT_API double rert_dvh_volume_cc_at_dose(const RertDvh *dvh, double dose_gy);
/** V<x>Gy in percent of the sampled volume. */
RERT_API double rert_dvh_volume_pct_at_dose(const RertDvh *dvh, double dose_gy);

/**
 * Cumulative curve sampled at 0, step, 2 step, ... up to the first dose
 * at or above Dmax: @p dose_gy[i] = i * step and @p volume_cc[i] =
 * rert_dvh_volume_cc_at_dose(). @p step_gy must be finite and > 0.
 * Errors: INVALID_ARG, LIMIT (more than 10^7 points), NOMEM.
 * Ownership: both arrays new, rert_free() each.
 */
RERT_API bool rert_dvh_curve_compute(RertError *err,
                                     const RertDvh *dvh,
                                     double step_gy,
                                     double **dose_gy,
                                     double **volume_cc,
                                     size_t *count);

/** Notes about the input (ignored contours, dose grid coverage, volume
 * mismatch): count and item (borrowed; NULL when out of range). */
RERT_API size_t rert_dvh_warning_count(const RertDvh *dvh);
RERT_API const char *rert_dvh_warning(const RertDvh *dvh, size_t index);

/* ---- metric names */

/** What a metric name asks for. */
typedef enum RertDvhMetricKind {
    RERT_DVH_METRIC_MIN = 0, /**< "Dmin" (Gy) */
    RERT_DVH_METRIC_MEAN,    /**< "Dmean" (Gy) */
    RERT_DVH_METRIC_MAX,     /**< "Dmax" (Gy) */
    RERT_DVH_METRIC_D_PCT,   /**< "D95%" (Gy) */
    RERT_DVH_METRIC_D_CC,    /**< "D0.03cc" (Gy) */
    RERT_DVH_METRIC_V_CC,    /**< "V20Gy" (cc) */
    RERT_DVH_METRIC_V_PCT,   /**< "V20Gy%" (percent) */
    RERT_DVH_METRIC_VOLUME,  /**< "Volume" (cc, sampled) */
} RertDvhMetricKind;

/** A parsed metric. */
typedef struct RertDvhMetric {
    RertDvhMetricKind kind;
    double value;  /**< the x of D<x>%, D<x>cc, V<x>Gy; 0 otherwise */
    char name[32]; /**< the canonical name, e.g. "D0.03cc" */
} RertDvhMetric;

/**
 * Parse a metric name: Dmin, Dmean, Dmax, Volume, D<x>% (0 <= x <= 100),
 * D<x>cc (x >= 0), V<x>Gy (cc), V<x>Gy% (percent); x a plain decimal
 * number. Case of the letters is ignored ("d95%", "v20gy").
 * Errors: PARSE naming the text and the accepted forms.
 */
RERT_API bool
rert_dvh_metric_parse(RertError *err, const char *text, RertDvhMetric *out);

/** Value of @p metric on @p dvh (Gy, cc or percent by kind). */
RERT_API double rert_dvh_metric_compute(const RertDvh *dvh,
                                        const RertDvhMetric *metric);

/** Unit of a metric kind: "Gy", "cc" or "%". */
RERT_API const char *rert_dvh_metric_unit(RertDvhMetricKind kind);

#endif
