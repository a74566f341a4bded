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

#include <rert/core.h>
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

/* ---- deformable registration and dense vector fields
 * (docs/deformable.md). Every field here lies on a FIXED (reference) grid
 * and follows the ITK/plastimatch convention of
 * rert_transform_create_field(): the vector u(x) at fixed point x (mm,
 * LPS) is such that x + u(x) is the matching point of the moving image. A
 * field from rert_deformable_register() includes the rigid part. */

/** A dense displacement field: 3 floats (x, y, z components in mm, LPS)
 * per voxel of its grid, voxels i fastest. Opaque. */
typedef struct RertVectorField RertVectorField;

/**
 * New zero field on @p geometry (re-validated; checked against
 * RertLimits.max_voxels of rert_limits_default()).
 * Errors: GEOMETRY, LIMIT, NOMEM, INVALID_ARG (NULL).
 * Ownership: new, rert_vector_field_destroy(). Threads: safe.
 */
RERT_API RertVectorField *
rert_vector_field_create(RertError *err, const RertGridGeometry *geometry);

/**
 * The field of the affine map x -> M x on @p geometry: u(x) = M x - x.
 * Errors and ownership: as rert_vector_field_create(); GEOMETRY when @p m
 * is not affine (last row 0 0 0 1). Threads: safe.
 */
RERT_API RertVectorField *rert_vector_field_from_matrix(
    RertError *err, const RertGridGeometry *geometry, RertMat4 m);

/** Deep copy. Errors: NOMEM. Ownership: new. Threads: safe. */
RERT_API RertVectorField *rert_vector_field_clone(RertError *err,
                                                  const RertVectorField *f);

/** Free the field. NULL allowed. */
RERT_API void rert_vector_field_destroy(RertVectorField *f);

/** The grid (borrowed, valid while @p f lives). Threads: safe. */
RERT_API const RertGridGeometry *
rert_vector_field_geometry(const RertVectorField *f);

/** The vectors, 3 floats per voxel (x, y, z components interleaved),
 * voxels i fastest; borrowed, valid while @p f lives. Threads: safe for
 * concurrent reads. */
RERT_API float *rert_vector_field_data(RertVectorField *f);
/** Read-only view of rert_vector_field_data(). */
RERT_API const float *rert_vector_field_data_const(const RertVectorField *f);

/**
 * u at patient point @p xyz, trilinear between voxel centres; within half
 * a voxel of the outermost centres the edge value is used, further out
 * the displacement is zero (rert_transform_create_field() rules).
 * Threads: safe for concurrent reads.
 */
RERT_API RertVec3 rert_vector_field_sample(const RertVectorField *f,
                                           RertVec3 xyz);

/**
 * The transform x -> x + u(x) (rert_transform_create_field()), ready for
 * rert_volume_resample(moving, fixed grid, transform, ...).
 * Errors: as rert_transform_create_field(). Ownership: new transform,
 * rert_transform_destroy(); the vectors are copied. Threads: safe.
 */
RERT_API RertTransform *rert_vector_field_transform(RertError *err,
                                                    const RertVectorField *f);

/** Jacobian determinant of x -> x + u(x) over a region. */
typedef struct RertJacobianStats {
    double min;         /**< smallest determinant */
    double max;         /**< largest determinant */
    double mean;        /**< mean determinant (volume change) */
    size_t voxels;      /**< voxels in the region */
    size_t folded;      /**< voxels with determinant <= 0 */
    double folded_frac; /**< folded / voxels */
} RertJacobianStats;

/**
 * Jacobian determinant of x -> x + u(x) at each voxel of the field's grid
 * (central differences, one-sided at the grid edges; the derivatives in
 * patient mm through the grid's direction), summarised over the voxels
 * where @p mask >= 0.5 (@p mask on the field's grid, one float per voxel;
 * NULL: every voxel). A rigid part does not change the determinant.
 * Errors: INVALID_ARG (NULL), GEOMETRY (an empty region).
 * Ownership: none kept. Threads: OpenMP over slices; per-slice partials
 * combined in slice order (identical for any thread count).
 */
RERT_API bool rert_vector_field_jacobian(RertError *err,
                                         const RertVectorField *f,
                                         const float *mask,
                                         RertJacobianStats *out);

/** Distances between two mappings (mm). */
typedef struct RertFieldErrorStats {
    double mean_mm;
    double p95_mm; /**< 95th percentile (nearest rank) */
    double max_mm;
    size_t count; /**< voxels or landmarks compared */
} RertFieldErrorStats;

/**
 * |u_a(x) - u_b(x)| over the voxels of the common grid where @p mask >=
 * 0.5 (NULL: every voxel), e.g. a registration against a known truth.
 * Errors: INVALID_ARG (NULL), GEOMETRY (different grids, within 1e-3 mm;
 * an empty region), NOMEM. Threads: safe.
 */
RERT_API bool rert_vector_field_compare(RertError *err,
                                        const RertVectorField *a,
                                        const RertVectorField *b,
                                        const float *mask,
                                        RertFieldErrorStats *out);

/**
 * Inverse consistency: |x + u(x) + v(x + u(x)) - x| over the voxels of
 * @p forward's grid where @p mask >= 0.5, with @p forward fixed -> moving
 * (on the fixed grid) and @p inverse moving -> fixed (on the moving
 * grid); points mapped outside the outermost voxel centres of @p
 * inverse's grid are left out.
 * Errors: INVALID_ARG (NULL), GEOMETRY (no voxel compared), NOMEM.
 * Threads: safe.
 */
RERT_API bool
rert_vector_field_inverse_consistency(RertError *err,
                                      const RertVectorField *forward,
                                      const RertVectorField *inverse,
                                      const float *mask,
                                      RertFieldErrorStats *out);

/* ---- vector field and image files: MetaImage (.mha, .mhd + raw) and
 * NIfTI-1 (.nii, .nii.gz) (docs/deformable.md "Files") */

/**
 * Read a vector field from the bytes of a whole file: NIfTI-1 single file
 * (header size 348, magic "n+1"; either byte order; dim[5] = 3 with
 * dim[4] = 1; intent 1007 VECTOR (components as stored, LPS: what ITK,
 * plastimatch, elastix and ANTs write) or 1006 DISPVECT (RAS components, x
 * and y negated on reading); float32 or float64; sform preferred, else
 * qform; RAS geometry converted to LPS), the same gzip-compressed
 * (.nii.gz: gzip magic 1f 8b, one or more members, inflated within
 * max_inflated_bytes), otherwise a MetaImage header with its data in the
 * same bytes (ElementDataFile = LOCAL; 3 channels, MET_FLOAT or
 * MET_DOUBLE; either byte order; CompressedData zlib). Geometry is
 * validated (orthonormal direction, positive spacing) and every size is
 * checked against the bytes present.
 * @param name names the input in messages; @p limits NULL for defaults
 * (max_voxels, max_inflated_bytes).
 * Errors: PARSE (malformed header or data, truncated or corrupt gzip,
 * naming the input, the key or field, what was expected and found),
 * UNSUPPORTED (another intent, data type, channel count, external data
 * file), GEOMETRY, LIMIT, NOMEM.
 * Ownership: @p data borrowed; new field. Threads: safe.
 */
RERT_API RertVectorField *rert_vector_field_parse(RertError *err,
                                                  const void *data,
                                                  size_t size,
                                                  const char *name,
                                                  const RertLimits *limits);

/**
 * Load a vector field file: .nii, .nii.gz, .mha, or .mhd with its data
 * file (ElementDataFile relative to the header's folder); the format is
 * recognised from the content. Formats as rert_vector_field_parse().
 * Errors: also IO; messages name the path. Ownership: new field.
 * Threads: safe.
 */
RERT_API RertVectorField *rert_vector_field_load(RertError *err,
                                                 const char *path,
                                                 const RertLimits *limits);

/**
 * Write @p f by the extension of @p path: ".mha" (MetaImage, one file),
 * ".mhd" (header, plus the data in the same name with ".raw"), ".nii"
 * (NIfTI-1, intent 1007, dim[5] = 3, LPS components as ITK writes them,
 * RAS qform and sform) or ".nii.gz" (the same, gzip). Little-endian
 * float32. Written to a temp file and renamed. Errors: INVALID_ARG
 * (unknown extension), LIMIT (NIfTI-1 axis over 32767), IO, NOMEM.
 * Threads: safe.
 */
RERT_API bool rert_vector_field_save(RertError *err,
                                     const char *path,
                                     const RertVectorField *f);

/**
 * Read a scalar image from the bytes of a whole file as a float volume:
 * NIfTI-1 (.nii, or gzip .nii.gz; 1 component: dim[0] 1..7 with dim[4..7]
 * = 1; datatype uint8, int8, int16, uint16, int32, uint32, float32 or
 * float64; scl_slope/scl_inter applied when scl_slope is not 0; geometry
 * from the sform when sform_code > 0, else the qform, else pixdim, RAS
 * converted to LPS: x and y of every axis and of the origin negated; the
 * intent code is not used) or MetaImage with LOCAL data (1 channel;
 * MET_UCHAR, MET_CHAR, MET_USHORT, MET_SHORT, MET_UINT, MET_INT, MET_FLOAT
 * or MET_DOUBLE). Use: LETd or other scalar maps from research tools.
 * @param name names the input in messages; @p limits NULL for defaults.
 * Errors: PARSE, UNSUPPORTED (e.g. 3 components: a vector field),
 * GEOMETRY, LIMIT, NOMEM, as rert_vector_field_parse().
 * Ownership: @p data borrowed; new volume. Threads: safe.
 */
RERT_API RertVolume *rert_volume_parse_image(RertError *err,
                                             const void *data,
                                             size_t size,
                                             const char *name,
                                             const RertLimits *limits);

/**
 * Load a scalar image file (.nii, .nii.gz, .mha, or .mhd with its data
 * file) as a float volume; formats as rert_volume_parse_image(),
 * recognised from the content. Errors: also IO; messages name the path.
 * Ownership: new volume. Threads: safe.
 */
RERT_API RertVolume *rert_volume_load_image(RertError *err,
                                            const char *path,
                                            const RertLimits *limits);

/**
 * Load a scalar MetaImage (.mha or .mhd + data file; 1 channel;
 * MET_UCHAR, MET_CHAR, MET_USHORT, MET_SHORT, MET_UINT, MET_INT,
 * MET_FLOAT or MET_DOUBLE) as a float volume. The same function as
 * rert_volume_load_image() (a NIfTI file is read as well). Errors: as
 * rert_vector_field_load(). Ownership: new volume. Threads: safe.
 */
RERT_API RertVolume *rert_volume_load_metaimage(RertError *err,
                                                const char *path,
                                                const RertLimits *limits);

/** Write @p v as a MetaImage of MET_FLOAT (".mha" or ".mhd" + ".raw").
 * Errors: INVALID_ARG, IO, NOMEM. Threads: safe. */
RERT_API bool rert_volume_save_metaimage(RertError *err,
                                         const char *path,
                                         const RertVolume *v);

/** Write @p v as float32 by the extension of @p path: ".mha", ".mhd" (+
 * ".raw"), ".nii" (NIfTI-1, dim[0] = 3, no intent, RAS qform and sform)
 * or ".nii.gz". Temp file and rename. Errors: INVALID_ARG (unknown
 * extension), LIMIT, IO, NOMEM. Threads: safe. */
RERT_API bool
rert_volume_save_image(RertError *err, const char *path, const RertVolume *v);

/* ---- diffeomorphic demons */

/** Most resolution levels rert_deformable_register() accepts. */
#define RERT_DEFORMABLE_MAX_LEVELS 5u

/* Documented defaults (rert_deformable_options_default()). */
#define RERT_DEFORMABLE_DEFAULT_LEVELS 3u
#define RERT_DEFORMABLE_DEFAULT_ITERATIONS 40u
#define RERT_DEFORMABLE_DEFAULT_FLUID_SIGMA 1.0
#define RERT_DEFORMABLE_DEFAULT_DIFFUSION_SIGMA 1.5
#define RERT_DEFORMABLE_DEFAULT_MAX_STEP 1.0
#define RERT_DEFORMABLE_DEFAULT_BODY_THRESHOLD (-500.0)
#define RERT_DEFORMABLE_DEFAULT_MASK_DILATION 2u
#define RERT_DEFORMABLE_DEFAULT_MIN_SPACING_MM 2.0
#define RERT_DEFORMABLE_DEFAULT_RIGID_SPACING_MM 2.5

/** Options of rert_deformable_register(); start from
 * rert_deformable_options_default(). */
typedef struct RertDeformableOptions {
    /** Resolution levels, 1..RERT_DEFORMABLE_MAX_LEVELS (default 3);
     * level l (0 = coarsest) has voxels of about 2^(levels-1-l) times
     * max(finest fixed spacing, min_spacing_mm) along each axis (block
     * averages, nearly isotropic). */
    unsigned levels;
    /** Iterations per level, coarsest first (default
     * RERT_DEFORMABLE_DEFAULT_ITERATIONS each; 0 = none), at most 1000
     * each. */
    unsigned iterations[RERT_DEFORMABLE_MAX_LEVELS];
    /** The finest level's voxels are about at least this size (mm); the
     * field is then interpolated (trilinear) onto the full fixed grid.
     * Default 2 mm; 0: the finest level is the fixed grid itself. */
    double min_spacing_mm;
    /** The rigid start runs on block averages of about this voxel size
     * (mm), default 2.5; 0 = full resolution. */
    double rigid_spacing_mm;
    /** Gaussian smoothing of each update ("fluid" regularisation), sigma
     * in voxels of the level, default 1.0; 0 = none. */
    double fluid_sigma;
    /** Gaussian smoothing of the accumulated field after each update
     * ("diffusion" regularisation), sigma in voxels, default 1.5; 0 =
     * none. */
    double diffusion_sigma;
    /** Longest update per iteration, in voxels of the level, default 1.0
     * (longer updates are scaled down before exponentiation). */
    double max_step;
    /** Forces only where the fixed image is above this value (-500 HU,
     * the body), dilated by mask_dilation voxels; ignored when
     * fixed_mask is given or use_threshold_mask is false. */
    double body_threshold;
    bool use_threshold_mask; /**< default true */
    unsigned mask_dilation;  /**< level voxels, default 2 */
    /** Optional fixed-grid mask (e.g. a BODY ROI occupancy): forces where
     * the block average is >= 0.5. Borrowed; NULL = none. */
    const float *fixed_mask;
    /** Start from this rigid fixed -> moving matrix (has_initial) instead
     * of running rert_rigid_register() with @p rigid. */
    bool has_initial;
    RertMat4 initial;
    /** Options of the rigid start (default rert_rigid_options_default();
     * fixed_mask, when set above, replaces the rigid one). */
    RertRigidOptions rigid;
    /** Optional known field on the fixed grid (truth): the result then
     * holds the vector error over the mask. Borrowed; NULL = none. */
    const RertVectorField *truth;
} RertDeformableOptions;

/** The documented defaults above. Threads: pure. */
RERT_API RertDeformableOptions rert_deformable_options_default(void);

/** Outcome and quality figures of rert_deformable_register(). */
typedef struct RertDeformableResult {
    RertMat4 rigid_fixed_to_moving; /**< the rigid start */
    bool ran_rigid;                 /**< rert_rigid_register() was run */
    RertRigidResult rigid;          /**< its result when ran_rigid */
    unsigned level_count;
    /** Per level, coarsest first: iterations run, voxel size (mm, the
     * largest axis), mean squared intensity difference inside the mask
     * before the first and after the last iteration. */
    unsigned iterations[RERT_DEFORMABLE_MAX_LEVELS];
    double level_spacing_mm[RERT_DEFORMABLE_MAX_LEVELS];
    double mse_start[RERT_DEFORMABLE_MAX_LEVELS];
    double mse_end[RERT_DEFORMABLE_MAX_LEVELS];
    size_t mask_voxels; /**< fixed voxels of the quality region */
    /** Jacobian of the final field over the mask (full fixed grid). */
    RertJacobianStats jacobian;
    /** |s(x)| of phi(x) = R (x + s(x)): how far the deformable part
     * moves points beyond the rigid start (mean and max, mm, over the
     * mask). */
    double deformation_mean_mm;
    double deformation_max_mm;
    bool has_truth; /**< options->truth was given */
    RertFieldErrorStats truth_error;
    double seconds_rigid;
    double seconds_total;
} RertDeformableResult;

/**
 * Deformable registration of @p moving onto @p fixed (same modality, e.g.
 * CT-CT): multi-resolution diffeomorphic demons with symmetric forces
 * (Vercauteren et al., NeuroImage 2009; Thirion 1998) started from a rigid
 * registration. Mapping phi(x) = R(x + s(x)): at each iteration the
 * moving image is sampled at phi(x), the update
 * du = (F - W) J / (|J|^2 + (F - W)^2 / sigma_x^2) with
 * J = (grad F + grad W) / 2 is computed inside the mask, smoothed (fluid),
 * exponentiated by scaling and squaring and composed, s <- s o exp(du),
 * and s is smoothed (diffusion). Fixed iteration counts; deterministic.
 * @param options NULL for defaults.
 * @param result may be NULL.
 * @return the field u(x) = phi(x) - x on the fixed grid (rigid part
 * included), or NULL.
 * Errors: INVALID_ARG (NULL volumes, options out of range naming the
 * field), GEOMETRY (no mask voxel, rigid failures; a truth on another
 * grid), NOMEM, LIMIT.
 * Ownership: inputs borrowed; new field, rert_vector_field_destroy().
 * Threads: OpenMP over slices in every kernel; results identical for any
 * thread count.
 */
RERT_API RertVectorField *
rert_deformable_register(RertError *err,
                         const RertVolume *fixed,
                         const RertVolume *moving,
                         const RertDeformableOptions *options,
                         RertDeformableResult *result);

/**
 * Inverse consistency of a deformable registration: runs the reverse
 * registration (@p moving as the fixed image, @p fixed as the moving one,
 * started from the inverse of @p forward_rigid, the forward run's rigid
 * start, so no second rigid search is made) with @p options, then
 * rert_vector_field_inverse_consistency() of @p forward and the reverse field:
 * |x + u(x) + v(x + u(x)) - x| over the fixed voxels of
 * @p mask (NULL: fixed voxels above options->body_threshold). No published
 * numeric tolerance is known for this figure (docs/deformable-registration.md).
 * @param options demons options of the reverse run (NULL: defaults),
 * normally the forward run's (a coarser min_spacing_mm saves time and
 * adds the resolution difference to the figure); fixed_mask, the rigid
 * fixed_mask and truth are ignored (they lie on the fixed grid).
 * @param seconds may be NULL; receives the wall time of the reverse run.
 * Errors: as rert_deformable_register() and
 * rert_vector_field_inverse_consistency(); GEOMETRY when @p forward_rigid
 * is not invertible or @p forward is not on @p fixed's grid.
 * Ownership: inputs borrowed. Threads: as rert_deformable_register().
 */
RERT_API bool rert_deformable_inverse_consistency_compute(
    RertError *err,
    const RertVolume *fixed,
    const RertVolume *moving,
    const RertDeformableOptions *options,
    const RertVectorField *forward,
    RertMat4 forward_rigid,
    const float *mask,
    RertFieldErrorStats *out,
    double *seconds);

/* ==== Deformable registration: DICOM Deformable Spatial Registration,
 * contour propagation, quality figures and the RADAR uncertainty band
 * (dreg_read.c, dreg_write.c, propagate.c, compare.c, uncertainty.c;
 * docs/deformable-registration.md). Vector fields follow the ITK /
 * plastimatch convention of rert_transform_create_field(): 3 floats per
 * voxel, interleaved (x, y, z of voxel 0, then voxel 1, ...), voxels i
 * fastest, in mm, on a RertGridGeometry; the vector u at reference point x
 * makes x + u(x) the matching point of the moving course. */

/* ---- DICOM Deformable Spatial Registration (PS3.3 A.39.2, C.20.3) */

/** Deformable Spatial Registration Storage SOP class (PS3.4 B.5). */
#define RERT_DREG_SOP_CLASS_UID "1.2.840.10008.5.1.4.1.1.66.3"
/** Most DeformableRegistrationSequence items read (LIMIT beyond). */
#define RERT_DREG_MAX_ITEMS 16u
/** Default bound on the voxels of one deformation grid (2^26, i.e. 768 MiB
 * of vectors). */
#define RERT_DREG_DEFAULT_MAX_GRID_VOXELS ((size_t)1 << 26)

/** Reading options; see rert_dreg_read_options_default(). */
typedef struct RertDregReadOptions {
    /** RIGID pre/post matrices must have R^T R = I and det R = 1 within
     * this (default 1e-4). */
    double orthonormal_tolerance;
    /** Largest GridDimensions product accepted (default
     * RERT_DREG_DEFAULT_MAX_GRID_VOXELS); LIMIT beyond. */
    size_t max_grid_voxels;
} RertDregReadOptions;

/** Defaults as documented in RertDregReadOptions. Pure. */
RERT_API RertDregReadOptions rert_dreg_read_options_default(void);

/**
 * One DeformableRegistrationSequence item, as read. PS3.3 C.20.3.1.1: a
 * point x of the Registered RCS (the REG's own frame, our REFERENCE
 * course) maps to the Source RCS (the item's source frame, our MOVING
 * course) as
 *     x_source = M_post (M_pre x + D(x)),
 * D sampled (trilinearly here) on a grid that lies in the Registered RCS;
 * absent matrices are the identity, an absent grid gives D = 0.
 */
typedef struct RertDregItem {
    char source_frame_uid[RERT_UID_SIZE]; /**< (0064,0003) */
    bool has_pre;                         /**< (0064,000F) present */
    RertMat4 pre;                         /**< identity when absent */
    RertRegMatrixType pre_type;
    bool has_post; /**< (0064,0010) present */
    RertMat4 post; /**< identity when absent */
    RertRegMatrixType post_type;
    bool has_grid;         /**< (0064,0005) has its item */
    RertGridGeometry grid; /**< deformation grid (valid when has_grid) */
    /** 3 floats per grid voxel, as stored in VectorGridData (0064,0009);
     * borrowed from the registration; NULL without a grid. */
    const float *vectors;
    size_t image_count; /**< items of its ReferencedImageSequence */
} RertDregItem;

/** A Deformable Spatial Registration read by rert_dreg_from_dataset().
 * Opaque; owns its vector grids. */
typedef struct RertDeformableRegistration RertDeformableRegistration;

/**
 * Read a Deformable Spatial Registration data set: SOPClassUID
 * RERT_DREG_SOP_CLASS_UID, FrameOfReferenceUID (the Registered RCS), and a
 * DeformableRegistrationSequence whose items each name their
 * SourceFrameOfReferenceUID (unique), hold at most one pre and one post
 * matrix item (16 DS values, last row 0 0 0 1, a known type; RIGID ones
 * orthonormal) and at most one grid item (ImagePositionPatient,
 * ImageOrientationPatient orthonormal, GridDimensions >= 1,
 * GridResolution > 0, VectorGridData of exactly 3 x 4 x voxels bytes of
 * finite floats). At least one item must have a grid.
 * @param options NULL for defaults.
 * Errors: UNSUPPORTED (wrong SOP class; NaN "undefined" vectors), PARSE
 * (missing or malformed element, naming the item and tag; two items for
 * one source frame; no grid at all), GEOMETRY (non-orthonormal RIGID
 * matrix or grid orientation, bad last row, singular matrix, spacing <= 0),
 * LIMIT (grid over max_grid_voxels, more than RERT_DREG_MAX_ITEMS items),
 * NOMEM.
 * Ownership: @p ds borrowed; new, rert_dreg_destroy(). Threads: safe.
 */
RERT_API RertDeformableRegistration *rert_dreg_from_dataset(
    RertError *err, const RertDataset *ds, const RertDregReadOptions *options);
/** Load and read the file at @p path (rert_dreg_from_dataset()); messages
 * name the path. Errors: also IO. */
RERT_API RertDeformableRegistration *rert_dreg_load(
    RertError *err, const char *path, const RertDregReadOptions *options);
/** Free. NULL allowed. */
RERT_API void rert_dreg_destroy(RertDeformableRegistration *reg);
/** (0020,0052) of the REG: the Registered RCS, i.e. the reference course
 * (borrowed). */
RERT_API const char *
rert_dreg_frame_of_reference_uid(const RertDeformableRegistration *reg);
/** (0008,0018), "" when absent (borrowed). */
RERT_API const char *
rert_dreg_sop_instance_uid(const RertDeformableRegistration *reg);
/** Number of DeformableRegistrationSequence items. */
RERT_API size_t rert_dreg_item_count(const RertDeformableRegistration *reg);
/** Item @p index (borrowed, valid while @p reg lives); NULL past the end. */
RERT_API const RertDregItem *
rert_dreg_item(const RertDeformableRegistration *reg, size_t index);
/** The item whose source frame is @p source_uid, or NULL. */
RERT_API const RertDregItem *
rert_dreg_find(const RertDeformableRegistration *reg, const char *source_uid);
/** Map a reference (Registered RCS) point to the item's source frame:
 * M_post (M_pre x + D(x)); D is trilinear with the edge rules of
 * rert_volume_sample() and zero further out. Pure; thread safe. */
RERT_API RertVec3 rert_dreg_item_apply(const RertDregItem *item, RertVec3 xyz);

/**
 * A transform (reference xyz -> moving xyz, as geometry.h expects) for
 * resampling the moving course onto @p target: the item for
 * @p moving_uid evaluated exactly (rert_dreg_item_apply()) at every voxel
 * centre of @p target and stored as a displacement field on @p target
 * (NULL: the item's own grid). Exact at those centres, trilinear between
 * them, zero displacement outside @p target: choose the grid the result
 * is resampled onto.
 * Errors: INVALID_ARG (@p reference_uid is not the REG's frame, or no item
 * registers @p moving_uid: the message names the UIDs present; NULL target
 * for an item without grid), GEOMETRY, LIMIT, NOMEM.
 * Ownership: new, rert_transform_destroy(). Threads: OpenMP over target
 * slices, identical results for any thread count.
 */
RERT_API RertTransform *
rert_dreg_transform_create(RertError *err,
                           const RertDeformableRegistration *reg,
                           const char *reference_uid,
                           const char *moving_uid,
                           const RertGridGeometry *target);

/** What rert_dreg_build_dataset() writes; see
 * rert_dreg_write_options_default(). */
typedef struct RertDregWriteOptions {
    /** Header whose patient and study attributes are kept (the reference
     * CT's first slice); may be NULL. */
    const RertDataset *source;
    RertRegImageSet reference; /**< becomes the REG's own frame */
    RertRegImageSet moving;    /**< the item's source frame */
    /** Deformation grid, in reference patient coordinates (required). */
    const RertGridGeometry *grid;
    /** 3 floats per grid voxel (required, finite), written bit for bit. */
    const float *vectors;
    bool has_pre;  /**< write PreDeformationMatrixRegistrationSequence */
    RertMat4 pre;  /**< applied to reference points before D is added */
    bool has_post; /**< write PostDeformationMatrixRegistrationSequence */
    RertMat4 post; /**< applied last */
    const char *content_label;       /**< CS, default "RERT_DEFORMABLE" */
    const char *content_description; /**< default NULL (empty) */
    const char *comment; /**< FrameOfReferenceTransformationComment */
    const char *series_description; /**< NULL for none */
    long series_number;             /**< default 1 */
    /** Registration Type Code: true (default) 125024 "Image Content-based
     * Alignment", false 125025 "Visual Alignment". */
    bool is_content_based;
} RertDregWriteOptions;

/** Defaults as documented; no grid, no matrices. Pure. */
RERT_API RertDregWriteOptions rert_dreg_write_options_default(void);

/**
 * Build a complete Deformable Spatial Registration IOD (PS3.3 A.39.2:
 * Patient, General Study, General Series, Spatial Registration Series,
 * Frame of Reference, General and Enhanced General Equipment, Deformable
 * Spatial Registration, Common Instance Reference, SOP Common) with one
 * item for the moving frame. Matrices are typed RIGID, RIGID_SCALE or
 * AFFINE from their values. Reading it back gives the same grid geometry
 * (within DS precision) and the same vectors bit for bit.
 * Errors: INVALID_ARG (missing or equal frame UIDs, no grid or vectors,
 * non-finite vectors, a matrix that is not affine and invertible), IO
 * (UID source), NOMEM. Ownership: new, rert_dataset_destroy(). Threads:
 * safe.
 */
RERT_API RertDataset *
rert_dreg_build_dataset(RertError *err,
                        const RertDregWriteOptions *options,
                        char sop_instance_uid[RERT_UID_SIZE]);
/** rert_dreg_build_dataset() then rert_dicom_save() to @p path. */
RERT_API bool rert_dreg_save(RertError *err,
                             const char *path,
                             const RertDregWriteOptions *options,
                             char sop_instance_uid[RERT_UID_SIZE]);

/* ---- contours: occupancy <-> planar polygons, propagation */

/** Planar polygons made by this module (iso-contours of an occupancy on
 * grid slices). Opaque; owns its points. */
typedef struct RertPlanarContours RertPlanarContours;

/** Number of closed polygons. */
RERT_API size_t rert_planar_contours_count(const RertPlanarContours *c);
/** All polygons (borrowed, valid while @p c lives); @p count receives
 * their number. Ready for rert_rasterize_polygons() or an RTSTRUCT
 * writer (CLOSED_PLANAR, first point not repeated). */
RERT_API const RertPolygon *
rert_planar_contours_polygons(const RertPlanarContours *c, size_t *count);
/** Free. NULL allowed. */
RERT_API void rert_planar_contours_destroy(RertPlanarContours *c);

/** Default largest number of points made (all polygons together). */
#define RERT_CONTOURS_DEFAULT_MAX_POINTS ((size_t)10000000)

/**
 * Iso-contours of @p occupancy (one float per voxel of @p grid) at
 * @p level on every slice k, by marching squares with linear
 * interpolation along voxel edges; saddles are resolved by the cell mean.
 * Outside the grid counts as 0, so every polygon is closed. Each polygon
 * lies in its slice plane (patient mm); holes are separate polygons
 * (even-odd). Deterministic.
 * Errors: INVALID_ARG (NULL, @p level not in (0, 1]), LIMIT (more than
 * @p max_points points; 0 = default), NOMEM.
 * Ownership: new, rert_planar_contours_destroy(). Threads: safe.
 */
RERT_API RertPlanarContours *
rert_contours_from_occupancy(RertError *err,
                             const RertGridGeometry *grid,
                             const float *occupancy,
                             double level,
                             size_t max_points);

/** Options of rert_contours_propagate(). */
typedef struct RertPropagateOptions {
    RertRasterOptions raster; /**< for the moving ROI (default) */
    double level;             /**< iso-level, default 0.5 */
    size_t max_points;        /**< default RERT_CONTOURS_DEFAULT_MAX_POINTS */
} RertPropagateOptions;

/** Defaults: rert_raster_options_default(), level 0.5. Pure. */
RERT_API RertPropagateOptions rert_propagate_options_default(void);

/**
 * Bring a structure drawn on the MOVING (prior) course onto the REFERENCE
 * (current) anatomy. @p fixed_to_moving maps reference xyz to moving xyz
 * (the convention of every transform here), which is the pull direction
 * needed: the ROI is rasterised on @p moving_grid (occupancy fractions),
 * the occupancy is resampled onto @p fixed_grid through the transform
 * (trilinear, 0 outside), and each fixed slice is re-contoured at
 * options->level. No inverse of the transform is ever needed.
 * @param fixed_occupancy optional (NULL): receives the resampled
 * occupancy, rert_grid_voxel_count(fixed_grid) floats, e.g. for
 * rert_structure_agreement_compute().
 * Errors: as rert_rasterize_polygons(), rert_volume_resample() and
 * rert_contours_from_occupancy(). Ownership: new,
 * rert_planar_contours_destroy(); inputs borrowed. Threads: OpenMP inside
 * the rasterisation and resampling; deterministic.
 */
RERT_API RertPlanarContours *
rert_contours_propagate(RertError *err,
                        const RertGridGeometry *moving_grid,
                        const RertPolygon *polygons,
                        size_t count,
                        const RertGridGeometry *fixed_grid,
                        const RertTransform *fixed_to_moving,
                        const RertPropagateOptions *options,
                        float *fixed_occupancy);

/* ---- quality figures: overlap, surface distance, landmarks, TG-132 */

/** Agreement of two structures on one grid
 * (rert_structure_agreement_compute()). */
typedef struct RertStructureAgreement {
    double dice;        /**< 2 |A n B| / (|A| + |B|), voxels */
    double volume_a_cc; /**< voxels of A times the voxel volume */
    double volume_b_cc;
    double intersection_cc;
    /** Mean over the surface voxels of both structures of the distance to
     * the nearest surface voxel of the other (symmetric mean, mm). */
    double mean_surface_mm;
    double mean_a_to_b_mm; /**< directed means */
    double mean_b_to_a_mm;
    /** 95 % Hausdorff: the larger of the two directed 95th percentiles
     * (nearest rank) of those distances, mm. */
    double hausdorff95_mm;
    double hausdorff_mm; /**< largest distance either way */
    size_t surface_a;    /**< surface voxels of A */
    size_t surface_b;
} RertStructureAgreement;

/**
 * Dice, volumes and surface distances between occupancies @p a and @p b
 * on @p grid (voxels with occupancy >= @p threshold belong; e.g. 0.5). A
 * surface voxel is a member with a 6-neighbour that is not (or at the grid
 * edge); distances are between surface voxel centres, computed exactly
 * with a separable Euclidean distance transform (grid spacing honoured)
 * over the bounding box of both structures, so identical structures give
 * 0 and a shift of n whole voxels along an axis gives n voxels on the
 * faces across it.
 * Errors: INVALID_ARG (NULL, threshold not in (0, 1]), GEOMETRY (either
 * structure empty: the message says which), NOMEM.
 * Ownership: none kept. Threads: safe; single-threaded, deterministic.
 */
RERT_API bool rert_structure_agreement_compute(RertError *err,
                                               const RertGridGeometry *grid,
                                               const float *a,
                                               const float *b,
                                               double threshold,
                                               RertStructureAgreement *out);

/** Target registration error over landmark pairs. */
typedef struct RertLandmarkStats {
    size_t count;
    double mean_mm; /**< mean |T(fixed_i) - moving_i| */
    double sd_mm;   /**< sample standard deviation (0 for one pair) */
    double max_mm;
    size_t worst_index; /**< pair with the largest error */
} RertLandmarkStats;

/**
 * TRE of @p transform (reference -> moving, NULL = identity) over @p count
 * landmark pairs: fixed_mm[i] on the reference image, moving_mm[i] the
 * same anatomical point on the moving image; TRE_i = |T(fixed_i) -
 * moving_i|. Works for every mapping (identity, matrix, dense field: use
 * rert_vector_field_transform() for a RertVectorField). AAPM TG-132 asks a
 * deformable registration for a mean of at most 2 mm and a maximum of
 * 5 mm (rert_tg132_tolerance(): dir_tre_mean_mm, dir_tre_max_mm).
 * @param errors_mm optional (NULL): receives the @p count TREs in order.
 * Errors: INVALID_ARG (NULL arrays, count 0, non-finite point naming its
 * index). Threads: safe.
 */
RERT_API bool rert_landmark_error_compute(RertError *err,
                                          const RertTransform *transform,
                                          const RertVec3 *fixed_mm,
                                          const RertVec3 *moving_mm,
                                          size_t count,
                                          double *errors_mm,
                                          RertLandmarkStats *out);

/* ---- landmark pair files (CSV) */

/** Largest landmark file read (LIMIT beyond). */
#define RERT_LANDMARKS_MAX_BYTES ((size_t)1 << 20)
/** Most landmark rows in one file (LIMIT beyond). */
#define RERT_LANDMARKS_MAX_COUNT 1000u
/** Bytes of a label, NUL included (labels are 1..63 characters). */
#define RERT_LANDMARK_LABEL_SIZE 64

/** Landmark pairs read from a CSV file. Opaque. */
typedef struct RertLandmarkSet RertLandmarkSet;

/**
 * Read landmark pairs from CSV text: the first line is exactly
 * "label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z" (spaces around fields
 * allowed), then one row per landmark: a label (1..63 printable ASCII
 * characters, no comma or quote; unique ignoring ASCII case) and six
 * finite numbers, DICOM patient coordinates in mm: the point on the
 * reference (planned) images and the same anatomical point on the prior
 * (moving) course's images. "\r\n" or "\n" line ends; a UTF-8 byte order
 * mark is skipped; no empty lines except one final newline; no quoting or
 * comments. At least 1 and at most RERT_LANDMARKS_MAX_COUNT rows,
 * at most RERT_LANDMARKS_MAX_BYTES bytes.
 * @param name names the input in messages (e.g. the path).
 * Errors: PARSE (wrong header, wrong column count, bad label, a field that
 * is not a finite number, a duplicate label, no row: each naming the line
 * and column, what was expected and what was found), LIMIT, NOMEM,
 * INVALID_ARG (NULL data with a size).
 * Ownership: @p data borrowed; new, rert_landmark_set_destroy().
 * Threads: safe.
 */
RERT_API RertLandmarkSet *rert_landmark_set_parse(RertError *err,
                                                  const void *data,
                                                  size_t size,
                                                  const char *name);
/** Load and parse the file at @p path (rert_landmark_set_parse()).
 * Errors: also IO. Ownership: new. Threads: safe. */
RERT_API RertLandmarkSet *rert_landmark_set_load(RertError *err,
                                                 const char *path);
/** Free. NULL allowed. */
RERT_API void rert_landmark_set_destroy(RertLandmarkSet *s);
/** Number of landmark pairs (0 for NULL). */
RERT_API size_t rert_landmark_set_count(const RertLandmarkSet *s);
/** Label of pair @p index (borrowed, valid while @p s lives); NULL past
 * the end. */
RERT_API const char *rert_landmark_set_label(const RertLandmarkSet *s,
                                             size_t index);
/** The reference points, rert_landmark_set_count() of them, in file order
 * (borrowed, valid while @p s lives). */
RERT_API const RertVec3 *
rert_landmark_set_reference_mm(const RertLandmarkSet *s);
/** The prior (moving) points, in the same order (borrowed). */
RERT_API const RertVec3 *rert_landmark_set_moving_mm(const RertLandmarkSet *s);
/**
 * Check that every reference point lies on @p grid: within half a voxel
 * of its outermost voxel centres along each grid axis (where a field on
 * that grid is defined). @p what names the grid in the message, e.g. "the
 * reference grid".
 * Errors: GEOMETRY naming the first landmark outside (label, line, point,
 * voxel index found and range expected), INVALID_ARG (NULL).
 * Threads: safe.
 */
RERT_API bool rert_landmark_set_check_inside(RertError *err,
                                             const RertLandmarkSet *s,
                                             const RertGridGeometry *grid,
                                             const char *what);

/** How a tolerance is compared. */
typedef enum RertToleranceKind {
    RERT_TOLERANCE_AT_MOST = 0, /**< value <= limit passes */
    RERT_TOLERANCE_AT_LEAST,    /**< value >= limit passes */
} RertToleranceKind;

/** One registration QA tolerance, kept as data with its source. */
typedef struct RertRegistrationTolerance {
    const char *quantity; /**< e.g. "dir_tre_mean_mm" (stable key) */
    const char *label;    /**< for reports */
    RertToleranceKind kind;
    double limit;
    /** Unit of @p limit: "mm", "voxel" (fraction of the largest voxel
     * dimension) or "" (a ratio). */
    const char *unit;
    /** Evidence tag of reirradiation-science.md §0: "V2" (checked through
     * the named secondary source) or "R" (recalled, not verified: show as
     * unverified). */
    const char *evidence;
    const char *source;
} RertRegistrationTolerance;

/** Number of entries of the AAPM TG-132 table (rert_tg132_tolerance()). */
RERT_API size_t rert_tg132_tolerance_count(void);
/** Entry @p index (static data), NULL past the end. Pure. */
RERT_API const RertRegistrationTolerance *rert_tg132_tolerance(size_t index);

/* ---- registration uncertainty: RADAR structure-restricted neighbourhood
 * search (reirradiation-science.md §2.2, §2.4) */

/** Which extreme the neighbourhood search takes. */
typedef enum RertNeighbourhoodMode {
    RERT_NEIGHBOURHOOD_MAX = 0, /**< upper band (default) */
    RERT_NEIGHBOURHOOD_MIN,     /**< lower band */
} RertNeighbourhoodMode;

/** Default bound on neighbourhood offsets (LIMIT beyond). */
#define RERT_UNCERTAINTY_DEFAULT_MAX_OFFSETS ((size_t)2000000)

/** Options of rert_uncertainty_band_compute(). */
typedef struct RertUncertaintyOptions {
    /** Semi-axes of the ellipsoid along the grid axes i, j, k (mm; equal
     * for a sphere; 0 on an axis = no search along it). Default 3 mm. */
    double radius_mm[3];
    /** Voxels with ROI occupancy above this belong to the ROI (default 0:
     * every voxel a DVH counts). */
    double roi_threshold;
    RertNeighbourhoodMode mode; /**< default MAX */
    size_t max_offsets; /**< default RERT_UNCERTAINTY_DEFAULT_MAX_OFFSETS */
} RertUncertaintyOptions;

/** Defaults as documented (3 mm sphere, threshold 0, MAX). Pure. */
RERT_API RertUncertaintyOptions rert_uncertainty_options_default(void);

/** What rert_uncertainty_band_compute() did. */
typedef struct RertUncertaintyStats {
    size_t offsets;        /**< voxel offsets in the ellipsoid (centre too) */
    size_t roi_voxels;     /**< voxels searched */
    size_t changed;        /**< of those whose value changed */
    double largest_change; /**< largest |new - old| */
} RertUncertaintyStats;

/**
 * RADAR-style band of @p values (e.g. an accumulated EQD2 grid) for one
 * ROI: each voxel of the ROI (occupancy > roi_threshold, @p roi_occupancy
 * on the same grid) takes the maximum (or minimum) of @p values over the
 * voxels of the SAME ROI whose centres lie in the ellipsoid
 * sum_a (d_a / r_a)^2 <= 1 around it (d_a the offset in mm along grid
 * axis a); voxels outside the ROI keep their value. Exact ellipsoid: a
 * precomputed list of integer offsets, no separable approximation.
 * Restricting the search to the ROI keeps dose of a neighbouring target
 * out of an OAR's band (Mechalakos et al., RADAR).
 * Errors: INVALID_ARG (NULL, negative or non-finite radius, threshold not
 * in [0, 1)), LIMIT (more offsets than max_offsets), NOMEM.
 * Ownership: new volume on the grid of @p values, rert_volume_destroy().
 * Threads: OpenMP over slices; identical results for any thread count.
 */
RERT_API RertVolume *
rert_uncertainty_band_compute(RertError *err,
                              const RertVolume *values,
                              const float *roi_occupancy,
                              const RertUncertaintyOptions *options,
                              RertUncertaintyStats *stats);

#endif
