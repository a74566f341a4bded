/**
 * @file geometry.h
 * Grid geometry (one exact index<->patient transform), float volumes,
 * spatial transforms between courses, trilinear resampling, and planar
 * contour rasterisation to voxel occupancy fractions.
 *
 * Conventions (docs/units-and-coordinates.md): `xyz` is DICOM patient
 * coordinates in mm (LPS); `ijk` is voxel indices, i fastest (columns),
 * then j (rows), then k (slices/frames). Voxel centres sit at integer ijk.
 */
#ifndef RERT_GEOMETRY_H
#define RERT_GEOMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/error.h>

/** A point or vector (mm or index units, as named). */
typedef struct RertVec3 {
    double x;
    double y;
    double z;
} RertVec3;

/** Row-major 4x4 homogeneous matrix; m[r][c]. */
typedef struct RertMat4 {
    double m[4][4];
} RertMat4;

/**
 * Geometry of a regular grid. Build it with rert_grid_geometry_make(),
 * which validates it and fills the two matrices.
 * direction[0..2]: unit vector of increasing i (DICOM row direction, the
 * first triplet of ImageOrientationPatient); direction[3..5]: increasing j
 * (second triplet); direction[6..8]: increasing k (slice normal, signed so
 * that positions increase with k).
 */
typedef struct RertGridGeometry {
    size_t dims[3];       /**< voxels along i, j, k; each >= 1 */
    double origin_mm[3];  /**< patient position of voxel (0,0,0) centre */
    double spacing_mm[3]; /**< centre-to-centre distance along i, j, k */
    double direction[9];  /**< orthonormal, see above */
    RertMat4 ijk_to_xyz;  /**< derived */
    RertMat4 xyz_to_ijk;  /**< derived, exact inverse */
} RertGridGeometry;

/**
 * Validate and complete a geometry: dims >= 1, spacing finite and > 0,
 * origin finite, direction orthonormal within 1e-4 (then re-orthonormalised
 * by Gram-Schmidt in the order i, j, k, keeping handedness), voxel count
 * within @p max_voxels (0 = no limit). Fills both matrices; xyz_to_ijk is
 * computed in closed form (S^-1 D^T), not by numerical inversion.
 * @param dims voxels along i, j, k
 * @param origin_mm centre of voxel (0,0,0) (ImagePositionPatient)
 * @param spacing_mm centre-to-centre distances along i, j, k
 * @param direction i, j, k unit vectors (see RertGridGeometry)
 * @param max_voxels limit on dims[0]*dims[1]*dims[2], 0 = none
 * @param out receives the geometry (untouched on failure)
 * @return false on failure.
 * Errors: GEOMETRY (names the field, vector and the norm/dot product
 * found), LIMIT (overflow or over @p max_voxels), INVALID_ARG (NULL).
 * Ownership: none. Threads: pure, safe.
 */
RERT_API bool rert_grid_geometry_make(RertError *err,
                                      const size_t dims[3],
                                      const double origin_mm[3],
                                      const double spacing_mm[3],
                                      const double direction[9],
                                      size_t max_voxels,
                                      RertGridGeometry *out);
/** Number of voxels (dims product; make() guarantees no overflow).
 * Threads: pure. */
RERT_API size_t rert_grid_voxel_count(const RertGridGeometry *g);
/** Patient position (mm) of (fractional) voxel index @p ijk. Pure. */
RERT_API RertVec3 rert_grid_ijk_to_xyz(const RertGridGeometry *g, RertVec3 ijk);
/** Fractional voxel index of patient position @p xyz (mm). Pure. */
RERT_API RertVec3 rert_grid_xyz_to_ijk(const RertGridGeometry *g, RertVec3 xyz);
/** Volume of one voxel in cc (spacing product / 1000). Pure. */
RERT_API double rert_grid_voxel_cc(const RertGridGeometry *g);
/** True when two geometries describe the same grid within @p tol_mm:
 * same dims, origins within @p tol_mm, and along each axis the one-voxel
 * step vectors differ by at most @p tol_mm / (dims - 1) (so far corners
 * agree). Pure. */
RERT_API bool rert_grid_geometry_equal(const RertGridGeometry *a,
                                       const RertGridGeometry *b,
                                       double tol_mm);

/** Linear index of voxel (i, j, k): i fastest. */
static inline size_t
rert_grid_index(const RertGridGeometry *g, size_t i, size_t j, size_t k)
{
    return (k * g->dims[1] + j) * g->dims[0] + i;
}

/* 4x4 helpers: pure functions on values, safe from any thread. */

/** The identity matrix. */
RERT_API RertMat4 rert_mat4_identity(void);
/** Matrix product a * b (apply b first, then a). */
RERT_API RertMat4 rert_mat4_multiply(RertMat4 a, RertMat4 b);
/** m * (p, 1): a point, translation included (last row ignored). */
RERT_API RertVec3 rert_mat4_apply_point(RertMat4 m, RertVec3 p);
/** m * (v, 0): a direction, translation ignored. */
RERT_API RertVec3 rert_mat4_apply_vector(RertMat4 m, RertVec3 v);
/** Inverse of an affine matrix (last row 0 0 0 1) into @p out.
 * Errors: GEOMETRY when not finite, not affine, or singular (|det| <= 1e-12
 * times the cube of the largest 3x3 element). */
RERT_API bool rert_mat4_invert(RertError *err, RertMat4 m, RertMat4 *out);
/** True when the upper 3x3 is a rotation (orthonormal, det +1) within
 * @p tol and the last row is 0 0 0 1. */
RERT_API bool rert_mat4_is_rigid(RertMat4 m, double tol);

/* ---- float volumes */

/** A float voxel volume on a grid (dose in Gy, images in their units).
 * Opaque. */
typedef struct RertVolume RertVolume;

/** New zero-filled volume on @p geometry (re-validated as by
 * rert_grid_geometry_make, without a voxel limit: check limits first).
 * Errors: GEOMETRY, LIMIT, NOMEM, INVALID_ARG.
 * Ownership: new, rert_volume_destroy(). */
RERT_API RertVolume *rert_volume_create(RertError *err,
                                        const RertGridGeometry *geometry);
/** Deep copy. Errors: NOMEM. Ownership: new, rert_volume_destroy(). */
RERT_API RertVolume *rert_volume_clone(RertError *err, const RertVolume *v);
/** Free the volume. NULL allowed. */
RERT_API void rert_volume_destroy(RertVolume *v);
/** The geometry (borrowed, valid while @p v lives). */
RERT_API const RertGridGeometry *rert_volume_geometry(const RertVolume *v);
/** Voxels, i fastest, 64-byte aligned (borrowed). */
RERT_API float *rert_volume_data(RertVolume *v);
RERT_API const float *rert_volume_data_const(const RertVolume *v);
/** Minimum and maximum voxel values (either pointer may be NULL).
 * Threads: read-only, safe for concurrent reads. */
RERT_API void rert_volume_minmax(const RertVolume *v, float *min, float *max);
/** Trilinear sample at patient position @p xyz (voxel centres at integer
 * ijk); @p outside when the point is more than half a voxel outside the
 * outermost centres along any axis (within that half voxel the edge value
 * is used, clamped); NaN positions are outside. An axis with one voxel is
 * not interpolated. Threads: safe for concurrent reads. */
RERT_API float
rert_volume_sample(const RertVolume *v, RertVec3 xyz, float outside);

/* ---- transforms: map a point of the reference (current) course to the
 * matching point of another course */

typedef enum RertTransformKind {
    RERT_TRANSFORM_IDENTITY = 0, /**< same frame of reference */
    RERT_TRANSFORM_MATRIX,       /**< rigid or affine 4x4 */
    RERT_TRANSFORM_FIELD,        /**< dense displacement field */
} RertTransformKind;

/** A point mapping reference xyz -> other course xyz. Opaque. */
typedef struct RertTransform RertTransform;

/** Identity. Errors: NOMEM. Ownership: new, rert_transform_destroy(). */
RERT_API RertTransform *rert_transform_create_identity(RertError *err);
/** Affine @p m (y = m x, reference xyz -> other course xyz); its inverse
 * is kept. Errors: GEOMETRY when not affine or not invertible, NOMEM.
 * Ownership: new, rert_transform_destroy(). */
RERT_API RertTransform *rert_transform_create_matrix(RertError *err,
                                                     RertMat4 m);
/**
 * Dense displacement field, ITK/plastimatch convention: on the grid of
 * @p field_geometry, the vector u(x) in mm (3 floats per voxel, voxels i
 * fastest, components x,y,z per voxel) maps reference point x to x + u(x).
 * u is interpolated trilinearly with the volume edge rules; points outside
 * the field get zero displacement.
 * Errors: GEOMETRY (bad grid, non-finite vector), LIMIT, NOMEM,
 * INVALID_ARG. Ownership: @p vectors is copied (borrowed only during the
 * call); new transform, rert_transform_destroy().
 */
RERT_API RertTransform *
rert_transform_create_field(RertError *err,
                            const RertGridGeometry *field_geometry,
                            const float *vectors);
/** Free. NULL allowed. */
RERT_API void rert_transform_destroy(RertTransform *t);
/** Which kind of transform @p t is. */
RERT_API RertTransformKind rert_transform_kind(const RertTransform *t);
/** Map a reference point (mm) to the other course (mm). Threads: safe for
 * concurrent use of one transform. */
RERT_API RertVec3 rert_transform_apply(const RertTransform *t, RertVec3 xyz);

/** Resampling statistics. */
typedef struct RertResampleStats {
    size_t outside_voxels; /**< target voxels that mapped outside the source */
} RertResampleStats;

/**
 * Resample @p source onto @p target: each target voxel centre x is mapped by
 * @p transform (NULL = identity) and the source sampled trilinearly there
 * (rert_volume_sample rules); @p outside is used past the source grid and
 * such voxels are counted in @p stats (may be NULL).
 * Errors: GEOMETRY/LIMIT (bad target), NOMEM, INVALID_ARG.
 * Ownership: new volume on @p target, rert_volume_destroy().
 * Threads: OpenMP over target slices; identical results for any thread
 * count; @p source and @p transform are only read.
 */
RERT_API RertVolume *rert_volume_resample(RertError *err,
                                          const RertVolume *source,
                                          const RertGridGeometry *target,
                                          const RertTransform *transform,
                                          float outside,
                                          RertResampleStats *stats);

/* ---- planar contours -> voxel occupancy */

/** One closed planar polygon in patient mm (not repeated first point). */
typedef struct RertPolygon {
    const RertVec3 *points_mm; /**< borrowed */
    size_t count;
} RertPolygon;

/** Rasterisation options; NULL means defaults. */
typedef struct RertRasterOptions {
    unsigned
        subsamples; /**< in-plane samples per voxel side, 1..64; default 4 */
    bool half_end_caps; /**< extend first/last plane by half a plane
                           spacing (default true) */
} RertRasterOptions;

/** The defaults: 4 subsamples, half end caps. */
RERT_API RertRasterOptions rert_raster_options_default(void);

/**
 * Occupancy fraction (0..1) of each voxel of @p grid inside the structure
 * made of @p polygons (several per plane: islands and holes by even-odd
 * containment). Each polygon must lie in a plane perpendicular to the grid's
 * slice direction: points spread over more than 0.01 mm along it give a
 * GEOMETRY error naming the polygon index (tilted or not planar). Polygons
 * within 0.05 mm form one plane; each plane stands for a slab from half-way
 * to the previous plane to half-way to the next (end caps: see options; a
 * lone plane is one grid slice thick). In-plane coverage uses subsamples^2
 * samples per voxel; parts outside the grid are ignored; polygons with
 * fewer than 3 points add nothing. See docs/units-and-coordinates.md.
 * @p fraction has rert_grid_voxel_count(grid) floats (overwritten; left
 * untouched on failure).
 * Errors: GEOMETRY, INVALID_ARG (NULL, subsamples not 1..64), LIMIT, NOMEM.
 * Ownership: @p polygons borrowed during the call.
 * Threads: OpenMP over grid slices; identical results for any thread count.
 */
RERT_API bool rert_rasterize_polygons(RertError *err,
                                      const RertGridGeometry *grid,
                                      const RertPolygon *polygons,
                                      size_t count,
                                      const RertRasterOptions *options,
                                      float *fraction);

#endif
