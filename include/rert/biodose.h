/**
 * @file biodose.h
 * One course's physical dose grid -> BED or EQDx grid, with a single
 * alpha/beta or a per-structure alpha/beta map rasterised from an RT
 * structure set onto the dose grid. Serves `rert eqd2` and, per course,
 * `rert assess`.
 */
#ifndef RERT_BIODOSE_H
#define RERT_BIODOSE_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/error.h>
#include <rert/geometry.h>
#include <rert/radbio.h>
#include <rert/rt.h>

/** One "ROI=alpha/beta" assignment; @p roi is a name (matched ignoring
 * case) or a ROI number written in decimal. */
typedef struct RertAbAssignment {
    const char *roi; /**< borrowed */
    double ab_gy;    /**< finite, > 0 */
} RertAbAssignment;

/** Conversion settings. Nothing clinical has a silent default: the caller
 * sets n_fractions and either ab_gy or assignments plus default_ab_gy. */
typedef struct RertBiodoseOptions {
    RertBioQuantity quantity; /**< BED or EQDx (default EQDx) */
    double x_gy;              /**< EQDx reference dose, default 2 Gy */
    RertLqModel model;        /**< LQ (default) or LQ-L with dT */
    unsigned n_fractions;     /**< course fractions, >= 1 (required) */
    /** One alpha/beta for every voxel; used when assignment_count is 0.
     * 0 (default) means unset: an error unless assignments are given. */
    double ab_gy;
    const RertAbAssignment *assignments; /**< borrowed */
    size_t assignment_count;
    /** alpha/beta of voxels in no listed ROI; 0 (default) = unset, which is
     * an error when assignments are given. */
    double default_ab_gy;
    RertAbOverlapRule overlap_rule; /**< default lowest alpha/beta wins */
    double inside_min_frac;         /**< default 0.5 */
    RertRasterOptions raster;       /**< default rasterisation */
} RertBiodoseOptions;

/** Defaults as documented on each field. */
RERT_API RertBiodoseOptions rert_biodose_options_default(void);

/** How one assignment was resolved. */
typedef struct RertBiodoseRoiReport {
    long roi_number;
    char roi_name[RERT_RT_LO_SIZE];
    double ab_gy;
    double volume_cc;       /**< occupancy summed over the dose grid */
    size_t deciding_voxels; /**< voxels whose alpha/beta this ROI set */
} RertBiodoseRoiReport;

/** What a conversion did. Free with rert_biodose_report_clear(). */
typedef struct RertBiodoseReport {
    RertVoxelStats stats;       /**< kernel counts (negative doses...) */
    RertAbMapStats ab_stats;    /**< map counts (0 with one alpha/beta) */
    RertBiodoseRoiReport *rois; /**< assignment_count entries, owned */
    size_t roi_count;
    /** One line, at most 64 characters, fit for DoseComment (LO), e.g.
     * "EQD2 LQ a/b 3 Gy 35 fx" or "EQD2 LQ a/b map 4 ROI def 3 Gy 35 fx". */
    char comment[65];
} RertBiodoseReport;

/** Free the report's arrays. NULL allowed. */
RERT_API void rert_biodose_report_clear(RertBiodoseReport *report);

/**
 * Convert @p dose (physical or RBE-weighted total dose of one course, Gy)
 * to BED or EQDx voxel by voxel with that course's fraction count. With
 * assignments, each ROI is found in @p structures, rasterised onto the
 * dose grid and combined into an alpha/beta map by the overlap rule.
 * @param structures needed only with assignments; borrowed.
 * @param report may be NULL.
 * Errors: INVALID_ARG (missing fractions or alpha/beta, unknown ROI naming
 * the ROI and listing the available names, ROI with an error or without
 * closed planar contours), GEOMETRY (contours incompatible with the dose
 * grid), NOMEM.
 * Ownership: new volume on the dose grid, rert_volume_destroy().
 * Threads: the kernels run OpenMP in parallel; results do not depend on
 * the thread count.
 */
RERT_API RertVolume *rert_biodose_compute(RertError *err,
                                          const RertVolume *dose,
                                          const RertStructureSet *structures,
                                          const RertBiodoseOptions *options,
                                          RertBiodoseReport *report);

#endif
