/**
 * @file registration.h
 * Bringing a prior course onto the reference (planned) anatomy when the
 * frames of reference differ: automatic rigid image registration (mutual
 * information or normalised cross-correlation, multi-resolution,
 * deterministic) and DICOM Spatial Registration objects (REG, PS3.3 A.39.1,
 * C.20.2), read and written. See docs/registration.md.
 *
 * Convention, the same as the transforms of geometry.h: every matrix this
 * module returns maps a point of the REFERENCE (fixed, current) course's
 * patient coordinates (mm, LPS) to the matching point of the MOVING (prior)
 * course, x_moving = M x_reference, ready for
 * rert_transform_create_matrix(). DICOM REG matrices run the other way
 * (registered frame -> the REG's own frame); rert_reg_matrix() converts.
 */
#ifndef RERT_REGISTRATION_H
#define RERT_REGISTRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/error.h>
#include <rert/geometry.h>

/* ---- automatic rigid registration */

/** Most resolution levels rert_rigid_register() accepts. */
#define RERT_RIGID_MAX_LEVELS 5u

/** Similarity measure. */
typedef enum RertRigidMetric {
    /** Mutual information from a joint histogram (any modalities). */
    RERT_RIGID_METRIC_MI = 0,
    /** Normalised cross-correlation (same modality, e.g. CT-CT). */
    RERT_RIGID_METRIC_NCC,
} RertRigidMetric;

/* Documented defaults (rert_rigid_options_default()). */
#define RERT_RIGID_DEFAULT_BINS 32u
#define RERT_RIGID_DEFAULT_LEVELS 3u
#define RERT_RIGID_DEFAULT_BODY_THRESHOLD (-500.0)
#define RERT_RIGID_DEFAULT_MAX_ITERATIONS 200u
#define RERT_RIGID_DEFAULT_MAX_STEP_MM 4.0
#define RERT_RIGID_DEFAULT_MIN_STEP_MM 0.01
#define RERT_RIGID_DEFAULT_ROTATION_SCALE_MM 100.0
#define RERT_RIGID_DEFAULT_MIN_OVERLAP_FRAC 0.25

/** Options of rert_rigid_register(); start from
 * rert_rigid_options_default(). */
typedef struct RertRigidOptions {
    RertRigidMetric metric;  /**< default MI */
    unsigned histogram_bins; /**< MI bins per image, 8..256; default 32 */
    /** Resolution levels, 1..RERT_RIGID_MAX_LEVELS; default 3. Level l
     * (0 = coarsest) shrinks each axis by about 2^(levels-1-l) times the
     * finest spacing over that axis' spacing (block averages: smoothing
     * and down-sampling in one), so coarse levels are nearly isotropic. */
    unsigned levels;
    /** Voxels above this value are "body": they give the centres of mass
     * of the initialisation and, with use_threshold_mask, the fixed voxels
     * that drive the metric. Default -500 (HU, for CT). */
    double body_threshold;
    /** Use only fixed voxels above body_threshold (default true), so air
     * outside the patient does not drive the metric. Ignored when
     * fixed_mask is given. */
    bool use_threshold_mask;
    /** Optional fixed-image mask (e.g. a BODY ROI occupancy from
     * rert_rasterize_polygons()): one float per fixed voxel, voxels with
     * at least 0.5 are used. Borrowed during the call; NULL = none. */
    const float *fixed_mask;
    /** Start by matching the body centres of mass (default true);
     * otherwise from the identity (or @p initial). */
    bool initialise_centres;
    /** Start from @p initial (a rigid fixed -> moving matrix) instead;
     * default false. Replaces the centre-of-mass start. */
    bool has_initial;
    RertMat4 initial;
    unsigned max_iterations; /**< accepted steps per level, default 200 */
    double max_step_mm;      /**< first step at the coarsest level, 4 mm;
                                halved at each finer level */
    double min_step_mm;      /**< stop when the step falls below this
                                (finest level; coarser levels stop at
                                2x, 4x...), default 0.01 mm */
    /** Rotations are optimised as arc lengths at this radius, so one step
     * of s mm turns by s / radius radians; default 100 mm. */
    double rotation_scale_mm;
    /** Fail with GEOMETRY when less than this fraction of the fixed
     * samples falls inside the moving volume at the end; default 0.25. */
    double min_overlap_frac;
    /** Optional known fixed -> moving matrix; when given, the result
     * holds the displacement difference to it. Borrowed; NULL = none. */
    const RertMat4 *truth;
} RertRigidOptions;

/** The documented defaults above (MI, 32 bins, 3 levels, -500 threshold
 * mask, centre-of-mass start). Threads: pure. */
RERT_API RertRigidOptions rert_rigid_options_default(void);

/** Outcome and quality figures of rert_rigid_register(). */
typedef struct RertRigidResult {
    /** Reference (fixed) patient xyz -> moving patient xyz. */
    RertMat4 fixed_to_moving;
    /** The same as parameters: x_m = R (x_f - c) + c + t with
     * R = Rz(rz) Ry(ry) Rx(rx) (degrees, about the patient axes, x
     * first) and c the centre of the fixed grid. */
    double rotation_deg[3];
    double translation_mm[3];
    double centre_mm[3];
    /** Translation after initialisation (before optimising). */
    double initial_translation_mm[3];
    /** Final metric at the finest level: MI in nats or NCC (-1..1);
     * larger is better. */
    double final_metric;
    unsigned level_count;
    /** Accepted steps per level, coarsest first. */
    unsigned iterations[RERT_RIGID_MAX_LEVELS];
    size_t metric_evaluations; /**< over all levels */
    size_t samples;            /**< fixed voxels used at the finest level */
    double overlap_frac; /**< of those inside the moving volume at the end */
    double seconds;      /**< wall time of the call */
    /** Against options->truth, over the fixed body/mask voxels: mean and
     * maximum of |M x - T x| (mm) and the angle of the rotation between
     * the two (degrees). has_truth is false when no truth was given. */
    bool has_truth;
    double truth_mean_mm;
    double truth_max_mm;
    double truth_rotation_deg;
} RertRigidResult;

/**
 * Register @p moving onto @p fixed with a rigid transform (6 degrees of
 * freedom), starting from the body centres of mass. Multi-resolution; at
 * each level a quasi-Newton (BFGS) ascent of the metric with central
 * finite-difference gradients in scaled parameters (rotations as arc
 * lengths, see rotation_scale_mm) and a backtracking line search (step at
 * most max_step_mm, halved per finer level); a level ends when no step of
 * at least its minimum improves the metric, or after max_iterations.
 * Deterministic: no random sampling (docs/registration.md).
 * @param options NULL for defaults.
 * @param result filled on success.
 * @return false on failure.
 * Errors: INVALID_ARG (NULL volumes, options out of range, naming the
 * field; a non-rigid @p initial), GEOMETRY (no fixed voxel above the
 * threshold or in the mask, no body in the moving volume, final overlap
 * below min_overlap_frac, naming the fractions), NOMEM.
 * Ownership: volumes and options borrowed during the call.
 * Threads: OpenMP over fixed slices inside each metric evaluation; per
 * slice partial histograms/sums are combined in slice order, so results
 * are identical for any thread count. Safe on distinct results.
 */
RERT_API bool rert_rigid_register(RertError *err,
                                  const RertVolume *fixed,
                                  const RertVolume *moving,
                                  const RertRigidOptions *options,
                                  RertRigidResult *result);

/**
 * The matrix x -> R (x - c) + c + t with R = Rz Ry Rx (degrees), the
 * parametrisation of RertRigidResult. Pure. Threads: safe.
 */
RERT_API RertMat4 rert_rigid_matrix_compute(const double centre_mm[3],
                                            const double rotation_deg[3],
                                            const double translation_mm[3]);

/** How far two fixed -> moving matrices disagree over a region. */
typedef struct RertRegistrationDifference {
    double mean_mm;      /**< mean |A x - B x| over the region */
    double max_mm;       /**< maximum over the region */
    double rotation_deg; /**< angle of the rotation A^-1 B (0..180) */
    size_t voxels;       /**< region voxels */
} RertRegistrationDifference;

/**
 * Compare two matrices at the centres of the voxels of @p region whose
 * value is above @p threshold (NaN: every voxel), e.g. the fixed CT above
 * -500 HU (the body). TG-132 asks rigid registration error to stay within
 * half a voxel (docs/registration.md).
 * Errors: INVALID_ARG (NULL), GEOMETRY (no voxel above the threshold; A
 * not invertible). Ownership: none kept. Threads: safe.
 */
RERT_API bool rert_registration_compare(RertError *err,
                                        const RertVolume *region,
                                        double threshold,
                                        RertMat4 a,
                                        RertMat4 b,
                                        RertRegistrationDifference *out);

/* ---- DICOM Spatial Registration (PS3.3 A.39.1, C.20.2) */

/** FrameOfReferenceTransformationMatrixType (0070,030C). */
typedef enum RertRegMatrixType {
    RERT_REG_MATRIX_RIGID = 0,   /**< rotation and translation */
    RERT_REG_MATRIX_RIGID_SCALE, /**< plus scaling */
    RERT_REG_MATRIX_AFFINE,      /**< plus shearing */
} RertRegMatrixType;

/** Upper-case DICOM name ("RIGID", "RIGID_SCALE", "AFFINE"). Pure. */
RERT_API const char *rert_reg_matrix_type_name(RertRegMatrixType type);

/** Most registered frames one REG may hold here (LIMIT beyond). */
#define RERT_REG_MAX_FRAMES 16u

/** One item of the RegistrationSequence (0070,0308). */
typedef struct RertRegFrame {
    char frame_of_reference_uid[RERT_UID_SIZE]; /**< the registered frame */
    /** The item's matrices composed (first item applied first): maps this
     * frame's coordinates into the REG's own frame (PS3.3 C.20.2.1.1). */
    RertMat4 to_registration;
    RertRegMatrixType type; /**< most general type among its matrices */
    size_t matrix_count;    /**< items of its MatrixSequence */
    size_t image_count;     /**< items of its ReferencedImageSequence */
} RertRegFrame;

/** A Spatial Registration object read by rert_reg_from_dataset(). Plain
 * value. */
typedef struct RertSpatialRegistration {
    char sop_instance_uid[RERT_UID_SIZE];
    char patient_id[RERT_UID_SIZE];
    /** (0020,0052) of the REG itself: the Registered RCS. */
    char frame_of_reference_uid[RERT_UID_SIZE];
    size_t frame_count;
    RertRegFrame frames[RERT_REG_MAX_FRAMES];
} RertSpatialRegistration;

/** Reading options; see rert_reg_read_options_default(). */
typedef struct RertRegReadOptions {
    /** Accept RIGID_SCALE and AFFINE matrices (default false: they are an
     * UNSUPPORTED error). */
    bool allow_non_rigid;
    /** RIGID matrices must have R^T R = I and det R = 1 within this
     * (default 1e-4; DS values carry at most 16 characters). */
    double orthonormal_tolerance;
} RertRegReadOptions;

/** Defaults: rigid only, tolerance 1e-4. Pure. */
RERT_API RertRegReadOptions rert_reg_read_options_default(void);

/**
 * Read a Spatial Registration data set: SOPClassUID must be
 * 1.2.840.10008.5.1.4.1.1.66.1; each RegistrationSequence item needs its
 * FrameOfReferenceUID, exactly one MatrixRegistrationSequence item and one
 * or more MatrixSequence items, each with 16 DS values (row-major, last
 * row 0 0 0 1) and a type. Matrices are composed per item as PS3.3
 * C.20.2.1.1 orders them (see docs/registration.md).
 * @param options NULL for defaults.
 * Errors: PARSE (missing or malformed element, naming the item and tag;
 * unknown matrix type; a frame listed twice with different matrices),
 * UNSUPPORTED (wrong SOP class, non-rigid without the flag, an item with
 * only image references), GEOMETRY (a RIGID matrix that is not
 * orthonormal, naming the item and the deviation; a last row that is not
 * 0 0 0 1; a singular matrix), LIMIT (more than RERT_REG_MAX_FRAMES).
 * Ownership: @p ds borrowed; @p out filled. Threads: safe.
 */
RERT_API bool rert_reg_from_dataset(RertError *err,
                                    const RertDataset *ds,
                                    const RertRegReadOptions *options,
                                    RertSpatialRegistration *out);

/** Load and read the REG file at @p path (see rert_reg_from_dataset());
 * messages name the path. Errors: also IO. */
RERT_API bool rert_reg_load(RertError *err,
                            const char *path,
                            const RertRegReadOptions *options,
                            RertSpatialRegistration *out);

/**
 * The matrix that maps reference-frame patient xyz to moving-frame
 * patient xyz: inverse(F_moving) * F_reference, where F_u maps frame u
 * into the REG's own frame (identity when u is the REG's own frame and no
 * item lists it).
 * Errors: INVALID_ARG (a UID not in the REG: the message names it and
 * the frames present), GEOMETRY (not invertible).
 * Threads: pure.
 */
RERT_API bool rert_reg_matrix(RertError *err,
                              const RertSpatialRegistration *reg,
                              const char *reference_uid,
                              const char *moving_uid,
                              RertMat4 *reference_to_moving);

/** One registered image set of a REG to be written. */
typedef struct RertRegImageSet {
    const char *frame_of_reference_uid; /**< required */
    /** Optional image references (all NULL/0 for none): study and series
     * of the images, their SOP class and instance UIDs (borrowed). */
    const char *study_instance_uid;
    const char *series_instance_uid;
    const char *sop_class_uid;
    const char *const *sop_instance_uids;
    size_t instance_count;
} RertRegImageSet;

/** What rert_reg_build_dataset() writes; see
 * rert_reg_write_options_default(). */
typedef struct RertRegWriteOptions {
    /** Header whose patient and study attributes are kept (the reference
     * CT's first slice, rert_image_series_header()); may be NULL. */
    const RertDataset *source;
    RertRegImageSet reference; /**< becomes the REG's own frame */
    RertRegImageSet moving;
    /** Reference xyz -> moving xyz (this module's convention); must be
     * rigid within 1e-6. */
    RertMat4 reference_to_moving;
    const char *content_label;       /**< CS, default "RERT_RIGID" */
    const char *content_description; /**< default NULL (empty) */
    const char *comment; /**< FrameOfReferenceTransformationComment */
    const char *series_description; /**< NULL for none */
    long series_number;             /**< default 1 */
    /** Registration Type Code (CID 7100): true (default) for 125024
     * "Image Content-based Alignment", false for 125025 "Visual
     * Alignment". */
    bool is_content_based;
} RertRegWriteOptions;

/** Defaults as documented in RertRegWriteOptions; identity matrix, no
 * frames. Pure. */
RERT_API RertRegWriteOptions rert_reg_write_options_default(void);

/**
 * Build a complete Spatial Registration IOD (Patient, General Study,
 * General Series + Spatial Registration Series, Frame of Reference,
 * General Equipment, Spatial Registration, Common Instance Reference, SOP
 * Common). Its own frame is the reference frame: item 1 registers the
 * reference frame with the identity, item 2 the moving frame with
 * inverse(reference_to_moving), type RIGID. Reading it back with
 * rert_reg_matrix(reference, moving) gives reference_to_moving again.
 * @param sop_instance_uid receives the new SOP Instance UID (may be NULL).
 * Errors: INVALID_ARG (missing frame UIDs, equal frames, a non-rigid
 * matrix, image references without study/series/class), IO (UID source),
 * NOMEM. Ownership: new, rert_dataset_destroy(). Threads: safe.
 */
RERT_API RertDataset *
rert_reg_build_dataset(RertError *err,
                       const RertRegWriteOptions *options,
                       char sop_instance_uid[RERT_UID_SIZE]);

/** rert_reg_build_dataset() then rert_dicom_save() to @p path (temp file
 * and rename). Errors: as both, naming the path. */
RERT_API bool rert_reg_save(RertError *err,
                            const char *path,
                            const RertRegWriteOptions *options,
                            char sop_instance_uid[RERT_UID_SIZE]);

#endif
