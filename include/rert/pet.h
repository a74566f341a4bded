/**
 * @file pet.h
 * PET for reirradiation decision support: SUV body weight (SUVbw) and
 * lean body mass (SUL) factors from DICOM PET headers following the
 * vendor-neutral QIBA algorithm (docs/pet.md), SUV statistics inside a
 * structure (SUVmax, SUVmean, SUVpeak, volume), tumour-to-background
 * ratios, published thresholds as data interpreted as "suggests ..."
 * (decision support, never a diagnosis), and threshold contours (a
 * fraction of SUVmax or an absolute SUV inside a bounding ROI).
 *
 * Units: activity concentration Bq/mL, SUV g/mL, weight kg, height m,
 * times s, positions patient mm (`xyz`).
 */
#ifndef RERT_PET_H
#define RERT_PET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/error.h>
#include <rert/geometry.h>
#include <rert/rt.h>

/* ---- SUV factors from PET headers */

/** Why a header set cannot give an SUV (RERT_SUV_OK when it can). */
typedef enum RertSuvStatus {
    RERT_SUV_OK = 0,
    RERT_SUV_NOT_CORRECTED,        /**< CorrectedImage lacks ATTN or DECY */
    RERT_SUV_NOT_DECAY_CORRECTED,  /**< DecayCorrection NONE or absent */
    RERT_SUV_UNITS_UNSUPPORTED,    /**< Units not BQML, CNTS or GML */
    RERT_SUV_NO_WEIGHT,            /**< PatientWeight absent or <= 0 */
    RERT_SUV_NO_DOSE,              /**< RadionuclideTotalDose absent/<= 0 */
    RERT_SUV_NO_HALF_LIFE,         /**< RadionuclideHalfLife absent/<= 0 */
    RERT_SUV_NO_INJECTION_TIME,    /**< no usable start (date)time */
    RERT_SUV_NO_SCAN_TIME,         /**< no usable series/acquisition time */
    RERT_SUV_INJECTION_AFTER_SCAN, /**< decay time < 0 */
    RERT_SUV_NO_PHILIPS_FACTOR,    /**< CNTS without (7053,1000)/(7053,1009) */
    RERT_SUV_INCONSISTENT_SERIES,  /**< series-level values differ */
    RERT_SUV_BAD_VALUE,            /**< malformed date, time or number */
} RertSuvStatus;

/** Stable lower-case name of @p status ("no_weight"...). Static string. */
RERT_API const char *rert_suv_status_name(RertSuvStatus status);

/** How the factor was obtained. */
typedef enum RertSuvMethod {
    RERT_SUV_METHOD_NONE = 0,
    RERT_SUV_METHOD_BQML,             /**< weight / decayed dose */
    RERT_SUV_METHOD_PHILIPS_SUV,      /**< CNTS, private (7053,1000) */
    RERT_SUV_METHOD_PHILIPS_ACTIVITY, /**< CNTS, (7053,1009) x BQML factor */
    RERT_SUV_METHOD_GML,              /**< pixels already SUVbw: factor 1 */
} RertSuvMethod;

/** Stable name of @p method ("BQML", "PHILIPS_SUV"...). Static string. */
RERT_API const char *rert_suv_method_name(RertSuvMethod method);

/** Which time was taken as the scan time (decay reference). */
typedef enum RertSuvScanTime {
    RERT_SUV_SCAN_TIME_NONE = 0,   /**< not needed (GML, Philips SUV) */
    RERT_SUV_SCAN_TIME_SERIES,     /**< SeriesDate/SeriesTime */
    RERT_SUV_SCAN_TIME_GE_PRIVATE, /**< (0009,100D) GEMS_PETD_01 */
    RERT_SUV_SCAN_TIME_EARLIEST_ACQUISITION, /**< earliest Acquisition */
    RERT_SUV_SCAN_TIME_INJECTION,            /**< DecayCorrection ADMIN */
} RertSuvScanTime;

/** Stable name of @p source ("series", "ge_private"...). Static string. */
RERT_API const char *rert_suv_scan_time_name(RertSuvScanTime source);

#define RERT_SUV_TEXT_SIZE 32     /**< short texts plus NUL */
#define RERT_SUV_WARNINGS_MAX 8   /**< warnings kept (more are counted) */
#define RERT_SUV_WARNING_SIZE 256 /**< one warning plus NUL */

/** Result of rert_suv_compute(): a value type. */
typedef struct RertSuvResult {
    RertSuvStatus status; /**< RERT_SUV_OK, or why it failed */
    RertSuvMethod method;
    char units[RERT_SUV_TEXT_SIZE];            /**< (0054,1001) */
    char decay_correction[RERT_SUV_TEXT_SIZE]; /**< (0054,1102) */
    /** SUVbw = rescaled pixel value x factor (g/mL per Bq/mL for BQML),
     * for the first instance; see rert_suv_compute() for per-instance
     * factors. */
    double suvbw_factor;
    double suvbw_factor_min; /**< over the instances */
    double suvbw_factor_max;
    bool has_sul;      /**< weight, height and sex M/F known */
    double sul_factor; /**< SUL = rescaled pixel value x sul_factor */
    double lbm_kg;     /**< Janmahasatian lean body mass */
    double weight_kg;
    bool has_height;
    double height_m;
    char sex; /**< 'M', 'F' or 'O'/'\0' (unknown) */
    /* Decay (BQML and Philips activity factor only; 0 otherwise). */
    double injected_dose_bq;
    double half_life_s;
    double decay_time_s;    /**< scan time - injection time */
    double decayed_dose_bq; /**< injected dose at the scan time */
    RertSuvScanTime scan_time_source;
    char scan_datetime[RERT_SUV_TEXT_SIZE];      /**< "YYYY-MM-DD hh:mm:ss" */
    char injection_datetime[RERT_SUV_TEXT_SIZE]; /**< same format */
    size_t warning_count;                        /**< may exceed the kept */
    char warnings[RERT_SUV_WARNINGS_MAX][RERT_SUV_WARNING_SIZE];
} RertSuvResult;

/**
 * SUVbw (and SUL) factors of one PET series from the headers of its
 * instances (any order), after the vendor-neutral QIBA pseudo-code
 * (docs/pet.md):
 * - CorrectedImage (0028,0051) must hold ATTN and DECY; DecayCorrection
 *   (0054,1102) START decays the dose to the scan time; ADMIN means the
 *   images are corrected to the injection time, so the dose is not
 *   decayed; NONE is refused.
 * - Units BQML: factor = PatientWeight [kg] x 1000 / (RadionuclideTotal
 *   Dose x 2^(-decay time / RadionuclideHalfLife)). Scan time: Series
 *   Date/Time when not after the earliest AcquisitionDate/Time; else the
 *   GE private (0009,100D) when present; else the earliest acquisition
 *   (a post-processed series). Injection: RadiopharmaceuticalStartDate
 *   Time, else RadiopharmaceuticalStartTime on the SeriesDate (warning).
 * - CNTS (Philips): private SUV factor (7053,1000) when non-zero, else
 *   (7053,1009) x the BQML factor (creator "Philips PET Private Group").
 * - GML: factor 1.
 * - SUL: factor x LBM/weight with rert_lean_body_mass_compute() when
 *   PatientSize and PatientSex M/F are present.
 * Series-level values (Units, CorrectedImage, DecayCorrection, weight,
 * height, sex, dose, half-life, SeriesDate/Time) must agree across
 * instances.
 * @param headers @p count >= 1 instance headers (pixel data not needed).
 * @param instance_factors NULL, or @p count doubles receiving each
 * instance's SUVbw factor in the order of @p headers.
 * @return false on failure; @p result->status then tells why (also on
 * success: RERT_SUV_OK) and the rest of @p result holds what was read.
 * Errors: UNSUPPORTED (not corrected, not decay corrected, units, Philips
 * factors), PARSE (missing weight, dose, half-life, injection or scan
 * time; malformed values; each message names the tag), INVALID_ARG
 * (injection after the scan, inconsistent series, no headers).
 * Ownership: all borrowed. Threads: pure, safe.
 */
RERT_API bool rert_suv_compute(RertError *err,
                               const RertDataset *const *headers,
                               size_t count,
                               RertSuvResult *result,
                               double *instance_factors);

/**
 * Lean body mass after Janmahasatian et al. (Clin Pharmacokinet 2005), as
 * in the QIBA profile: BMI = W/H^2; male 9270 W / (6680 + 216 BMI), female
 * 9270 W / (8780 + 244 BMI).
 * @param sex 'M' or 'F'.
 * Errors: INVALID_ARG (weight or height not finite and > 0, other sex).
 * Threads: pure.
 */
RERT_API bool rert_lean_body_mass_compute(RertError *err,
                                          double weight_kg,
                                          double height_m,
                                          char sex,
                                          double *lbm_kg);

/* ---- a PET series in SUV */

/** A PET series with its SUVbw volume. Opaque. */
typedef struct RertPetImage RertPetImage;

/**
 * Load a PET image series (rert_image_series_load()), read every
 * instance's header (pixel data skipped) and build the SUVbw volume: slice
 * k = rescaled value x the factor of that slice's instance.
 * @param options NULL for defaults.
 * Errors: as rert_image_series_load() and rert_suv_compute() (the message
 * names the folder); UNSUPPORTED when the series is not PT.
 * Ownership: new, rert_pet_image_destroy(). Threads: safe on distinct
 * objects.
 */
RERT_API RertPetImage *
rert_pet_image_load(RertError *err,
                    const char *dir_or_file,
                    const char *series_uid,
                    const RertImageSeriesOptions *options);

/** As rert_pet_image_load() from complete in-memory data sets (borrowed
 * during the call). */
RERT_API RertPetImage *
rert_pet_image_from_datasets(RertError *err,
                             const RertDataset *const *slices,
                             size_t count,
                             const char *series_uid,
                             const RertImageSeriesOptions *options);

/** Free. NULL allowed. */
RERT_API void rert_pet_image_destroy(RertPetImage *pet);
/** SUVbw voxels (borrowed, valid while @p pet lives). */
RERT_API const RertVolume *rert_pet_image_suv(const RertPetImage *pet);
/** The factors and what they came from (borrowed). */
RERT_API const RertSuvResult *rert_pet_image_result(const RertPetImage *pet);
/** The underlying series (rescaled activity values, slice UIDs, first
 * header), borrowed. */
RERT_API const RertImageSeries *rert_pet_image_series(const RertPetImage *pet);

/* ---- statistics inside a structure */

/** SUVpeak sphere volume (cc): 1 cc, radius (3/(4 pi))^(1/3) cm = 6.20 mm
 * (PERCIST, Wahl et al. J Nucl Med 2009). */
#define RERT_PET_PEAK_VOLUME_CC 1.0

/** Statistics options; see rert_pet_stats_options_default(). */
typedef struct RertPetStatsOptions {
    RertRasterOptions raster; /**< contour rasterisation */
    /** A voxel is inside (for SUVmax and SUVpeak centres) when its
     * occupancy is at least this; default 0.5. */
    double inside_fraction;
    double peak_volume_cc; /**< default RERT_PET_PEAK_VOLUME_CC */
} RertPetStatsOptions;

/** Defaults: raster defaults, 0.5, 1 cc. */
RERT_API RertPetStatsOptions rert_pet_stats_options_default(void);

/** SUV statistics of one structure. */
typedef struct RertPetRoiStats {
    double volume_cc;   /**< sum of occupancy x voxel volume */
    size_t voxel_count; /**< voxels inside (occupancy >= inside_fraction) */
    double suv_max;     /**< hottest inside voxel */
    RertVec3 max_xyz;   /**< its centre */
    double suv_mean;    /**< occupancy-weighted mean over all voxels > 0 */
    double suv_peak;    /**< mean in the peak sphere at its best centre */
    RertVec3 peak_xyz;  /**< sphere centre (an inside voxel centre) */
    double peak_radius_mm;
    double peak_sampled_cc; /**< sphere volume inside the image */
} RertPetRoiStats;

/**
 * Statistics of @p suv inside the structure @p polygons: occupancy from
 * rert_rasterize_polygons() on the SUV grid; SUVmean weights each voxel
 * by its occupancy; SUVmax is the largest voxel whose occupancy is at
 * least inside_fraction; SUVpeak is the mean SUV in a sphere of
 * peak_volume_cc (voxels weighted by the fraction of their volume inside
 * the sphere, 5^3 samples per voxel, the sphere may reach outside the
 * structure) centred on the inside voxel centre that maximises it (every
 * inside voxel is tried; ties go to the first in i-fastest order).
 * @param options NULL for defaults.
 * Errors: GEOMETRY (polygons), INVALID_ARG (NULL, options out of range),
 * UNSUPPORTED (no voxel inside: the structure misses the image), NOMEM.
 * Ownership: inputs borrowed. Threads: OpenMP over slices; results are
 * identical for any thread count.
 */
RERT_API bool rert_pet_roi_stats_compute(RertError *err,
                                         const RertVolume *suv,
                                         const RertPolygon *polygons,
                                         size_t count,
                                         const RertPetStatsOptions *options,
                                         RertPetRoiStats *out);

/** Tumour-to-background ratios (amino-acid PET, science notes 6.3). */
typedef struct RertPetTbr {
    double tbr_max;         /**< tumour SUVmax / background SUVmean */
    double tbr_mean;        /**< tumour SUVmean / background SUVmean */
    double background_mean; /**< background SUVmean */
} RertPetTbr;

/**
 * TBRmax and TBRmean of @p tumour against the mean of @p background.
 * Errors: INVALID_ARG when the background mean is not finite and > 0.
 * Threads: pure.
 */
RERT_API bool rert_pet_tbr_compute(RertError *err,
                                   const RertPetRoiStats *tumour,
                                   const RertPetRoiStats *background,
                                   RertPetTbr *out);

/* ---- published thresholds as data (data/pet_thresholds.yaml) */

/** The quantity a threshold applies to. */
typedef enum RertPetMetric {
    RERT_PET_METRIC_SUV_MAX = 0,
    RERT_PET_METRIC_SUV_MEAN,
    RERT_PET_METRIC_SUV_PEAK,
    RERT_PET_METRIC_TBR_MAX,
    RERT_PET_METRIC_TBR_MEAN,
} RertPetMetric;

/** Stable name ("SUVmax", "TBRmax"...) of @p metric. Static string. */
RERT_API const char *rert_pet_metric_name(RertPetMetric metric);

/** One threshold; strings borrowed from its set. */
typedef struct RertPetThreshold {
    const char *id;
    const char *tracer;  /**< "FDG", "FET"... */
    const char *setting; /**< when it applies */
    RertPetMetric metric;
    double value;            /**< the cut-off */
    const char *above;       /**< what metric >= value suggests */
    const char *below;       /**< what metric < value suggests */
    const char *performance; /**< sensitivity/specificity as published */
    const char *source;
    const char *evidence; /**< "V", "V2" */
} RertPetThreshold;

/** A loaded threshold table. Opaque. */
typedef struct RertPetThresholdSet RertPetThresholdSet;

/**
 * Load a threshold table (format rert-pet-thresholds/1, docs/pet.md).
 * Entries need id, tracer, setting, metric, value, above, below, source,
 * evidence (V or V2: recalled values are refused) and verification.
 * Errors: IO, PARSE (naming the file, line and key), LIMIT, NOMEM.
 * Ownership: new, rert_pet_thresholds_destroy(). Threads: reentrant.
 */
RERT_API RertPetThresholdSet *rert_pet_thresholds_load(RertError *err,
                                                       const char *path);
/** As rert_pet_thresholds_load() from @p size bytes of text; @p name names
 * it in messages. */
RERT_API RertPetThresholdSet *rert_pet_thresholds_parse(RertError *err,
                                                        const char *text,
                                                        size_t size,
                                                        const char *name);
/** Free. NULL allowed. */
RERT_API void rert_pet_thresholds_destroy(RertPetThresholdSet *set);
/** Number of thresholds. */
RERT_API size_t rert_pet_thresholds_count(const RertPetThresholdSet *set);
/** Threshold @p index or NULL (borrowed). */
RERT_API const RertPetThreshold *
rert_pet_thresholds_at(const RertPetThresholdSet *set, size_t index);
/** Threshold with id @p id or NULL (borrowed). */
RERT_API const RertPetThreshold *
rert_pet_thresholds_find(const RertPetThresholdSet *set, const char *id);

/**
 * Decision-support text for @p value against @p t: "suggests <above>"
 * when value >= t->value, else "suggests <below>", followed by the
 * comparison, the setting and the source, and "decision support only, not
 * a diagnosis". @p suggests (may be NULL) receives the word after
 * "suggests" (borrowed from @p t).
 * Errors: INVALID_ARG (value not finite), LIMIT (@p size too small).
 * Threads: pure.
 */
RERT_API bool rert_pet_threshold_interpret(RertError *err,
                                           const RertPetThreshold *t,
                                           double value,
                                           char *buf,
                                           size_t size,
                                           const char **suggests);

/* ---- threshold contours */

/** Contour options; see rert_pet_contour_options_default(). */
typedef struct RertPetContourOptions {
    /** Threshold as a fraction of the SUVmax inside the bounding ROI (0 <
     * f <= 1); 0 to use suv_threshold instead. Default 0.4. */
    double fraction_of_max;
    double suv_threshold;   /**< absolute SUV (> 0) when fraction is 0 */
    double inside_fraction; /**< bounding occupancy counted inside,
                               default 0.5 */
    RertRasterOptions raster;
} RertPetContourOptions;

/** Defaults: 40 % of SUVmax, inside at occupancy 0.5, raster defaults. */
RERT_API RertPetContourOptions rert_pet_contour_options_default(void);

/** Closed polygons of a threshold contour. Opaque. */
typedef struct RertPetContour RertPetContour;

/**
 * Iso-SUV contour of @p suv at the threshold, restricted to the bounding
 * structure @p bound: per image slice, marching squares on the field SUV -
 * threshold over the voxels inside the bound (outside voxels count as
 * below), crossings linearly interpolated along voxel edges (at the edge
 * midpoint when one end lies outside the bound), saddles resolved by the
 * cell-centre mean. Polygons are closed (first point not repeated) and in
 * patient mm on the slice planes; holes and islands are separate
 * polygons (even-odd, as rert_rasterize_polygons() reads them).
 * Errors: GEOMETRY (bound polygons), INVALID_ARG (options, NULL),
 * UNSUPPORTED (the bound holds no voxel, or SUVmax there <= 0), LIMIT,
 * NOMEM.
 * Ownership: new, rert_pet_contour_destroy(). Threads: safe.
 */
RERT_API RertPetContour *
rert_pet_contour_compute(RertError *err,
                         const RertVolume *suv,
                         const RertPolygon *bound,
                         size_t bound_count,
                         const RertPetContourOptions *options);
/** Free. NULL allowed. */
RERT_API void rert_pet_contour_destroy(RertPetContour *contour);
/** The polygons (borrowed); @p count receives their number. */
RERT_API const RertPolygon *
rert_pet_contour_polygons(const RertPetContour *contour, size_t *count);
/** The SUV threshold used. */
RERT_API double rert_pet_contour_threshold(const RertPetContour *contour);
/** SUVmax inside the bound (inside voxels). */
RERT_API double rert_pet_contour_bound_max(const RertPetContour *contour);
/** Voxels inside the bound at or above the threshold. */
RERT_API size_t rert_pet_contour_voxel_count(const RertPetContour *contour);

#endif
