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
 * direction orthonormal within 1e-4 (then re-orthonormalised), voxel count
 * within @p max_voxels (0 = no limit). Errors: GEOMETRY, LIMIT.
 */
RERT_API bool rert_grid_geometry_make(RertError *err, const size_t dims[3],
                                      const double origin_mm[3],
                                      const double spacing_mm[3],
                                      const double direction[9],
                                      size_t max_voxels,
                                      RertGridGeometry *out);
/** Number of voxels (dims product; make() guarantees no overflow). */
RERT_API size_t rert_grid_voxel_count(const RertGridGeometry *g);
/** Patient position of (fractional) voxel index @p ijk. */
RERT_API RertVec3 rert_grid_ijk_to_xyz(const RertGridGeometry *g,
                                       RertVec3 ijk);
/** Fractional voxel index of patient position @p xyz. */
RERT_API RertVec3 rert_grid_xyz_to_ijk(const RertGridGeometry *g,
                                       RertVec3 xyz);
/** Volume of one voxel in cc. */
RERT_API double rert_grid_voxel_cc(const RertGridGeometry *g);
/** True when two geometries describe the same grid within @p tol_mm. */
RERT_API bool rert_grid_geometry_equal(const RertGridGeometry *a,
                                       const RertGridGeometry *b,
                                       double tol_mm);

/** Linear index of voxel (i, j, k): i fastest. */
static inline size_t rert_grid_index(const RertGridGeometry *g, size_t i,
                                     size_t j, size_t k)
{
    return (k * g->dims[1] + j) * g->dims[0] + i;
}

/** 4x4 helpers (pure). */
RERT_API RertMat4 rert_mat4_identity(void);
RERT_API RertMat4 rert_mat4_multiply(RertMat4 a, RertMat4 b);
RERT_API RertVec3 rert_mat4_apply_point(RertMat4 m, RertVec3 p);
RERT_API RertVec3 rert_mat4_apply_vector(RertMat4 m, RertVec3 v);
/** Inverse of an affine matrix (last row 0 0 0 1). Errors: GEOMETRY when
 * singular. */
RERT_API bool rert_mat4_invert(RertError *err, RertMat4 m, RertMat4 *out);
/** True when the upper 3x3 is a rotation (orthonormal, det +1) within
 * @p tol and the last row is 0 0 0 1. */
RERT_API bool rert_mat4_is_rigid(RertMat4 m, double tol);

/* ---- float volumes */

/** A float voxel volume on a grid (dose in Gy, images in their units).
 * Opaque. */
typedef struct RertVolume RertVolume;

/** New zero-filled volume. Ownership: new, rert_volume_destroy(). */
RERT_API RertVolume *rert_volume_create(RertError *err,
                                        const RertGridGeometry *geometry);
/** Deep copy. Ownership: new. */
RERT_API RertVolume *rert_volume_clone(RertError *err, const RertVolume *v);
/** Free the volume. NULL allowed. */
RERT_API void rert_volume_destroy(RertVolume *v);
/** The geometry (borrowed, valid while @p v lives). */
RERT_API const RertGridGeometry *rert_volume_geometry(const RertVolume *v);
/** Voxels, i fastest, 64-byte aligned (borrowed). */
RERT_API float *rert_volume_data(RertVolume *v);
RERT_API const float *rert_volume_data_const(const RertVolume *v);
/** Minimum and maximum voxel values. */
RERT_API void rert_volume_minmax(const RertVolume *v, float *min,
                                 float *max);
/** Trilinear sample at patient position @p xyz; @p outside when the point
 * is more than half a voxel outside the grid (edge voxels extend half a
 * voxel, clamped). Threads: safe for concurrent reads. */
RERT_API float rert_volume_sample(const RertVolume *v, RertVec3 xyz,
                                  float outside);

/* ---- transforms: map a point of the reference (current) course to the
 * matching point of another course */

typedef enum RertTransformKind {
    RERT_TRANSFORM_IDENTITY = 0, /**< same frame of reference */
    RERT_TRANSFORM_MATRIX,       /**< rigid or affine 4x4 */
    RERT_TRANSFORM_FIELD,        /**< matrix followed by... see below */
} RertTransformKind;

/** A point mapping reference xyz -> other course xyz. Opaque. */
typedef struct RertTransform RertTransform;

/** Identity. Ownership: new, rert_transform_destroy(). */
RERT_API RertTransform *rert_transform_create_identity(RertError *err);
/** Affine @p m (reference -> other). Errors: GEOMETRY when not invertible. */
RERT_API RertTransform *rert_transform_create_matrix(RertError *err,
                                                     RertMat4 m);
/**
 * Dense displacement field, ITK/plastimatch convention: on the grid of
 * @p field_geometry, the vector u(x) in mm (3 floats per voxel, x fastest
 * component order x,y,z per voxel) maps reference point x to x + u(x).
 * @p vectors is copied. Points outside the field get zero displacement.
 */
RERT_API RertTransform *
rert_transform_create_field(RertError *err,
                            const RertGridGeometry *field_geometry,
                            const float *vectors);
/** Free. NULL allowed. */
RERT_API void rert_transform_destroy(RertTransform *t);
RERT_API RertTransformKind rert_transform_kind(const RertTransform *t);
/** Map a reference point to the other course. Threads: safe. */
RERT_API RertVec3 rert_transform_apply(const RertTransform *t, RertVec3 xyz);

/** Resampling statistics. */
typedef struct RertResampleStats {
    size_t outside_voxels; /**< target voxels that mapped outside the source */
} RertResampleStats;

/**
 * Resample @p source onto @p target: each target voxel centre x is mapped by
 * @p transform (NULL = identity) and the source sampled trilinearly there;
 * @p outside is used past the source grid. Parallel over slices; identical
 * results for any thread count. Ownership: new volume. @p stats may be NULL.
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
    unsigned subsamples;   /**< in-plane samples per voxel side; default 4 */
    bool half_end_caps;    /**< extend first/last plane by half a plane
                              spacing (default true) */
} RertRasterOptions;

RERT_API RertRasterOptions rert_raster_options_default(void);

/**
 * Occupancy fraction (0..1) of each voxel of @p grid inside the structure
 * made of @p polygons (several per plane: islands and holes by even-odd
 * containment). Each polygon must lie in a plane perpendicular to the grid's
 * slice direction; a polygon that is not planar within 0.01 mm gives a
 * GEOMETRY error naming its index. Each plane of contours stands for a slab
 * from half-way to the previous plane to half-way to the next.
 * @p fraction has rert_grid_voxel_count(grid) floats (overwritten).
 */
RERT_API bool rert_rasterize_polygons(RertError *err,
                                      const RertGridGeometry *grid,
                                      const RertPolygon *polygons,
                                      size_t count,
                                      const RertRasterOptions *options,
                                      float *fraction);

#endif
