/**
 * @file phantom.h
 * A synthetic head-and-neck reirradiation case written as real DICOM
 * files: two courses of one patient, each with a CT series, an RT
 * Structure Set, an RT Plan and an RT Dose in its own frame of reference
 * and study, plus a truth.json with the ground truth (docs/phantom.md).
 *
 * The anatomy is a set of analytic shapes in "anatomy" coordinates, which
 * are the course-1 patient coordinates (DICOM LPS, mm: +x patient left,
 * +y posterior, +z superior). Course 2 shows the same anatomy moved by a
 * known rigid transform: the course-2 point x2 shows the anatomy at
 * x1 = R x2 + t, with R = Rz(rz) Ry(ry) Rx(rx) (rotations in degrees
 * about the patient x, y and z axes, applied x first) and t in mm.
 * Optionally (deformation_mm > 0) the neck also shrinks between the
 * courses, as with weight loss: then x1 = q + v(q), q = R x2 + t, with v
 * the smooth radial field of rert_phantom_course2_to_course1_point(). The
 * evaluators below take a point in the named course's own patient
 * coordinates, so they answer for that course's images and dose.
 */
#ifndef RERT_PHANTOM_H
#define RERT_PHANTOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/error.h>
#include <rert/geometry.h>

/** Number of courses in the case. */
#define RERT_PHANTOM_COURSES 2

/* Documented defaults (see rert_phantom_options_default()). */
#define RERT_PHANTOM_DEFAULT_CT_COLUMNS 160
#define RERT_PHANTOM_DEFAULT_CT_ROWS 160
#define RERT_PHANTOM_DEFAULT_CT_SLICES 60
#define RERT_PHANTOM_DEFAULT_PIXEL_MM 1.5
#define RERT_PHANTOM_DEFAULT_SLICE_MM 3.0
#define RERT_PHANTOM_DEFAULT_DOSE_GRID_MM 3.0
#define RERT_PHANTOM_DEFAULT_NOISE_HU 4.0
#define RERT_PHANTOM_DEFAULT_SEED 20250203u
#define RERT_PHANTOM_DEFAULT_PATIENT_ID "RERT-DEMO-001"
#define RERT_PHANTOM_DEFAULT_PATIENT_NAME "Demo^Reirradiation"

/** One treatment course. */
typedef struct RertPhantomCourse {
    /** First treatment day, "YYYYMMDD" (borrowed); the CT is dated 7 days
     * earlier. Defaults "20230109" and "20250203". */
    const char *start_date;
    double prescription_gy; /**< to the PTV; defaults 70 and 60 */
    long fractions;         /**< defaults 35 and 30 */
    /** Cord sparing: dose inside the spinal cord is pulled down to about
     * this value wherever the unspared dose would exceed it; defaults 48
     * and 30 Gy. Must be in (0, prescription]. */
    double cord_cap_gy;
} RertPhantomCourse;

/** Progress callback: @p done of @p total files written. */
typedef void (*RertPhantomProgressFn)(size_t done, size_t total, void *user);

/** Generator options; rert_phantom_options_default() gives the defaults
 * named above. */
typedef struct RertPhantomOptions {
    /** CT voxels along columns, rows and slices: 160 x 160 x 60; columns
     * and rows 32..1024, slices 8..1000. */
    size_t ct_dims[3];
    /** CT pixel spacing and slice distance: 1.5, 1.5, 3.0 mm (each 0.25..10).
     * The CT grid is centred on the patient origin (the anatomy spans
     * about x -72..72, y -74..90 mm). */
    double ct_spacing_mm[3];
    double dose_grid_mm; /**< RT Dose voxel size, 3.0 mm (1..10) */
    double noise_hu;     /**< CT white noise amplitude (uniform), 4 HU */
    uint32_t seed;       /**< noise seed */
    /** Course 2 -> course 1 rigid transform: translation (mm) and rotation
     * (degrees about x, y, z). Defaults (3.0, -2.0, 4.5) mm and
     * (2.0, 0.0, 3.0) degrees; |t| <= 30 mm and |angles| <= 15 degrees
     * each. */
    double translation_mm[3];
    double rotation_deg[3];
    /** Peak displacement (mm) of the smooth deformation between the
     * courses (weight loss in the neck, see
     * rert_phantom_course2_to_course1_point()); 0 (default) for none,
     * at most 10. */
    double deformation_mm;
    const char *patient_id;   /**< borrowed; "RERT-DEMO-001" */
    const char *patient_name; /**< borrowed; "Demo^Reirradiation" */
    RertPhantomCourse courses[RERT_PHANTOM_COURSES];
    /** Allow writing into a folder that is not empty (course1/, course2/
     * and truth.json there are replaced; nothing else is touched).
     * Default false. */
    bool overwrite;
    /** Called between files from the writing thread; NULL (default) for
     * none. */
    RertPhantomProgressFn progress;
    void *progress_user; /**< passed to @p progress */
} RertPhantomOptions;

/**
 * The defaults described in RertPhantomOptions.
 * Errors: none. Ownership: value (strings are static). Threads: safe.
 */
RERT_API RertPhantomOptions rert_phantom_options_default(void);

/**
 * Check @p options: sizes, spacings, transform bounds, dates (valid
 * calendar dates "YYYYMMDD"), doses and fractions.
 * @return false with INVALID_ARG naming the field, its value and the
 * allowed range. Ownership: none. Threads: safe.
 */
RERT_API bool rert_phantom_options_check(RertError *err,
                                         const RertPhantomOptions *options);

/** The structures of the phantom (ROI order in each RT Structure Set). */
typedef enum RertPhantomStructure {
    RERT_PHANTOM_BODY = 0,
    RERT_PHANTOM_SPINAL_CORD,
    RERT_PHANTOM_BRAINSTEM,
    RERT_PHANTOM_PAROTID_L,
    RERT_PHANTOM_PAROTID_R,
    RERT_PHANTOM_MANDIBLE,
    RERT_PHANTOM_CAROTID_L,
    RERT_PHANTOM_CAROTID_R,
    RERT_PHANTOM_GTV,
    RERT_PHANTOM_CTV,
    RERT_PHANTOM_PTV,          /**< the prescription target */
    RERT_PHANTOM_PTV_ELECTIVE, /**< course 1 only: elective nodes, 80 % */
    RERT_PHANTOM_STRUCTURE_COUNT
} RertPhantomStructure;

/**
 * ROI name of @p structure in course @p course (1 or 2): "BODY",
 * "SpinalCord", ..., "GTV", "CTV", "PTV_70" (the prescription in whole
 * Gy), "PTV_56". @return NULL when the structure is not part of that
 * course (PTV_ELECTIVE in course 2) or the arguments are out of range.
 * @p options NULL means defaults. Ownership: the string is static for
 * fixed names, or kept in @p buf (at least 16 bytes) for PTV names.
 * Threads: safe.
 */
RERT_API const char *
rert_phantom_structure_name(const RertPhantomOptions *options,
                            unsigned course,
                            RertPhantomStructure structure,
                            char *buf,
                            size_t size);

/**
 * Approximate signed distance (mm) from the course-@p course patient point
 * @p xyz to the surface of @p structure: negative inside, positive
 * outside, exact in the axial plane for circles and within a few percent
 * near the surface otherwise. The contours in the RT Structure Sets are
 * its zero level. Course 2 evaluates the anatomy at the mapped point
 * rert_phantom_course2_to_course1_point(), so with a deformation the
 * zero level is the deformed surface and the values are course-1
 * millimetres. @return NaN for an unknown course or structure, +inf
 * for a structure not in that course. @p options NULL means defaults.
 * Threads: safe.
 */
RERT_API double rert_phantom_structure_sdf_mm(const RertPhantomOptions *options,
                                              unsigned course,
                                              RertPhantomStructure structure,
                                              RertVec3 xyz);

/**
 * Noise-free CT number (HU) at the course-@p course patient point @p xyz,
 * as the CT voxel centred there holds it before noise and rounding to an
 * integer. Edges are blended over one in-plane pixel, so points more than
 * a pixel inside a tissue give its nominal value exactly. @return NaN for
 * an unknown course. Threads: safe.
 */
RERT_API double rert_phantom_hu(const RertPhantomOptions *options,
                                unsigned course,
                                RertVec3 xyz);

/**
 * Analytic physical dose (Gy, whole course) of course @p course at its
 * patient point @p xyz; what the RT Dose holds at its voxel centres before
 * float and DoseGridScaling rounding. Zero outside the body. @return NaN
 * for an unknown course. Threads: safe.
 */
RERT_API double rert_phantom_dose_gy(const RertPhantomOptions *options,
                                     unsigned course,
                                     RertVec3 xyz);

/**
 * The course-2 -> course-1 rigid transform x1 = M x2 (see the file
 * comment); with a deformation (deformation_mm > 0) only its rigid part:
 * rert_phantom_course2_to_course1_point() gives the full mapping. Pure;
 * @p options NULL means defaults. Threads: safe.
 */
RERT_API RertMat4
rert_phantom_course2_to_course1(const RertPhantomOptions *options);

/**
 * The full course-2 -> course-1 mapping: the course-1 point x1 that shows
 * the tissue seen at the course-2 patient point @p x2 (mm):
 *
 *     q  = R x2 + t                      (rert_phantom_course2_to_course1)
 *     x1 = q + v(q),  v = d(rho, z) (qx, qy - yc(z), 0) / rho
 *
 * with yc(z) = 38 + 3 (z/90)^2 the spinal canal's axis (course-1 mm),
 * rho = |(qx, qy - yc(qz))| the axial distance from it, and
 *
 *     d(rho, z) = A S((rho - 25) / 55) (1 - S((z - 30) / 30)),
 *     S(s) = 6s^5 - 15s^4 + 10s^3 on [0, 1] (0 below, 1 above),
 *
 * A = deformation_mm. Course 2 is thinner: tissue within 25 mm of the
 * canal (cord, canal, neural arch, most of the vertebral bodies) does not
 * move, the anterior and lateral neck beyond 80 mm from it has shrunk by A
 * towards it, and the field fades out between z = 30 and 60 mm (skull
 * base and skull rigid). v has no z component and d grows with rho, so
 * the map is one to one with Jacobian determinant
 * (1 + dd/drho)(1 + d/rho), between 1 and about 1 + 0.05 A.
 * With A = 0 this is exactly the rigid matrix. @p options NULL means
 * defaults. Pure. Threads: safe.
 */
RERT_API RertVec3 rert_phantom_course2_to_course1_point(
    const RertPhantomOptions *options, RertVec3 x2);

/**
 * Inverse of rert_phantom_course2_to_course1_point(): the course-2 point
 * showing the tissue at course-1 point @p x1 (the radial equation is
 * solved by safeguarded Newton iteration to about 1e-12 mm). Pure.
 * Threads: safe.
 */
RERT_API RertVec3 rert_phantom_course1_to_course2_point(
    const RertPhantomOptions *options, RertVec3 x1);

/**
 * Sample the exact course-2 -> course-1 displacement on @p grid (a
 * course-2 grid): u(x2) = x1 - x2 at every voxel centre, 3 floats per
 * voxel (x, y, z interleaved, voxels i fastest), the ITK/plastimatch
 * convention with course 2 fixed and course 1 moving (the rigid part
 * included), as rert_transform_create_field() and RertVectorField hold
 * it. @p count is the number of floats at @p u.
 * @return false with INVALID_ARG (NULL arguments, options out of range)
 * or LIMIT (@p count below 3 x voxels, naming both).
 * Ownership: none. Threads: safe; OpenMP over slices inside, results
 * independent of the thread count.
 */
RERT_API bool rert_phantom_displacement_fill(RertError *err,
                                             const RertPhantomOptions *options,
                                             const RertGridGeometry *grid,
                                             float *u,
                                             size_t count);

/**
 * Centre of the spinal cord's axial cross-section at height @p z_mm in
 * anatomy (course-1) coordinates. Pure. Threads: safe.
 */
RERT_API RertVec3 rert_phantom_cord_center_mm(double z_mm);

/** Ground truth of one written course. */
typedef struct RertPhantomCourseTruth {
    char frame_of_reference_uid[RERT_UID_SIZE];
    char study_instance_uid[RERT_UID_SIZE];
    char ct_series_instance_uid[RERT_UID_SIZE];
    char structure_set_uid[RERT_UID_SIZE]; /**< SOP instance UIDs */
    char plan_uid[RERT_UID_SIZE];
    char dose_uid[RERT_UID_SIZE];
    double prescription_gy;
    long fractions;
    /** Highest analytic dose in the spinal cord (found by a 0.5 mm search
     * over the cord inside the CT's z range), its position in this
     * course's patient coordinates and in course-1 coordinates. */
    double cord_max_gy;
    RertVec3 cord_max_xyz_mm;
    RertVec3 cord_max_course1_xyz_mm;
} RertPhantomCourseTruth;

/** Ground truth of a written case (also in DIR/truth.json). */
typedef struct RertPhantomTruth {
    RertMat4 course2_to_course1;
    double translation_mm[3];
    double rotation_deg[3];
    double deformation_mm; /**< peak deformation (options) */
    RertPhantomCourseTruth courses[RERT_PHANTOM_COURSES];
    /** Over the spinal cord (one tissue point seen in both courses, inside
     * both CT z ranges): the highest summed physical dose, and the highest
     * summed LQ EQD2 with alpha/beta cord_alpha_beta_gy (2 Gy) and each
     * course's own fraction count. */
    double cord_sum_physical_gy;
    double cord_sum_eqd2_gy;
    double cord_alpha_beta_gy;
    /** D0.03cc of the same sums over the same cord points: the lowest
     * value among the hottest 0.03 cc (240 points of the 0.5 mm search
     * grid, 0.125 mm^3 each; the deformation leaves the cord's volume
     * unchanged). */
    double cord_sum_physical_d003cc_gy;
    double cord_sum_eqd2_d003cc_gy;
    size_t file_count;  /**< files written */
    size_t total_bytes; /**< their total size */
} RertPhantomTruth;

/**
 * Write the case into folder @p dir (created when absent; its parent must
 * exist): dir/course1/{ct/CT0001.dcm.., RS.dcm, RP.dcm, RD.dcm},
 * dir/course2/..., dir/truth.json. Everything is written under
 * dir/.tmp-XXXXXX first and renamed into place at the end, so a failure
 * leaves no partial output (the temporary folder is removed).
 * @param options NULL for defaults.
 * @param truth may be NULL; filled on success.
 * @return false on failure.
 * Errors: INVALID_ARG (options, naming the field), IO (naming the path:
 * @p dir is not a folder, is not empty and overwrite is off, or a write or
 * rename failed), NOMEM, and the DICOM writers' errors.
 * Ownership: none kept. Threads: safe for different folders.
 */
RERT_API bool rert_phantom_write_case(RertError *err,
                                      const char *dir,
                                      const RertPhantomOptions *options,
                                      RertPhantomTruth *truth);

/**
 * Write the case file of the built-in demonstration to @p path
 * (atomically): course 1 as the prior course (registered with rigid_auto,
 * its frame differs), course 2 as the planned course, paths relative to the
 * folder of rert_phantom_write_case(), and every assumption stated
 * (alpha/beta with sources, recovery model, overlap threshold). Beside it,
 * landmarks_course1.csv: ten anatomical landmark pairs (planned-course
 * point, prior-course point) from the generator's exact mapping, which the
 * case file names for the landmark TRE of the course-1 registration.
 * @param options the options the case was generated with (NULL: defaults).
 * Errors: INVALID_ARG (malformed dates), IO, NOMEM.
 */
RERT_API bool rert_phantom_write_case_file(RertError *err,
                                           const char *path,
                                           const RertPhantomOptions *options);

#endif
