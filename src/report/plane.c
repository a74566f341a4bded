/* Standard planes (axial, coronal, sagittal) through a patient point,
 * aligned with the patient (DICOM LPS) axes whatever the grid orientation,
 * and sampling of volumes on them. Orientation: docs/report.md. */
#include <math.h>
#include <string.h>

#include "internal.h"

static double dot(RertVec3 a, RertVec3 b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

static RertVec3 cross(RertVec3 a, RertVec3 b)
{
    RertVec3 c = {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z,
                  a.x * b.y - a.y * b.x};
    return c;
}

static RertVec3 axpy(RertVec3 y, double a, RertVec3 x)
{
    RertVec3 r = {y.x + a * x.x, y.y + a * x.y, y.z + a * x.z};
    return r;
}

const char *rert_plane_kind_name(RertPlaneKind kind)
{
    switch (kind) {
    case RERT_PLANE_AXIAL:
        return "axial";
    case RERT_PLANE_CORONAL:
        return "coronal";
    case RERT_PLANE_SAGITTAL:
        return "sagittal";
    default:
        return "unknown";
    }
}

/* Image axes in LPS (x to patient left, y to posterior, z to superior) and
 * the patient side at the top, bottom, left and right edges. */
static bool plane_axes(RertPlaneKind kind, RertPlane *p)
{
    static const RertVec3 plus_x = {1, 0, 0};
    static const RertVec3 plus_y = {0, 1, 0};
    static const RertVec3 minus_z = {0, 0, -1};
    switch (kind) {
    case RERT_PLANE_AXIAL: /* from the feet: anterior up, L on the right */
        p->right = plus_x;
        p->down = plus_y;
        p->edge_labels[0] = "A";
        p->edge_labels[1] = "P";
        p->edge_labels[2] = "R";
        p->edge_labels[3] = "L";
        return true;
    case RERT_PLANE_CORONAL: /* from the front: superior up, L on the right */
        p->right = plus_x;
        p->down = minus_z;
        p->edge_labels[0] = "S";
        p->edge_labels[1] = "I";
        p->edge_labels[2] = "R";
        p->edge_labels[3] = "L";
        return true;
    case RERT_PLANE_SAGITTAL: /* from the left: superior up, A on the left */
        p->right = plus_y;
        p->down = minus_z;
        p->edge_labels[0] = "S";
        p->edge_labels[1] = "I";
        p->edge_labels[2] = "A";
        p->edge_labels[3] = "P";
        return true;
    default:
        return false;
    }
}

/* Extent of the grid's voxel boxes projected on @p axis: [lo, hi]. */
static void
grid_extent(const RertGridGeometry *grid, RertVec3 axis, double *lo, double *hi)
{
    *lo = HUGE_VAL;
    *hi = -HUGE_VAL;
    for (unsigned corner = 0; corner < 8; corner++) {
        RertVec3 ijk = {
            (corner & 1U) ? (double)grid->dims[0] - 0.5 : -0.5,
            (corner & 2U) ? (double)grid->dims[1] - 0.5 : -0.5,
            (corner & 4U) ? (double)grid->dims[2] - 0.5 : -0.5,
        };
        double u = dot(rert_grid_ijk_to_xyz(grid, ijk), axis);
        *lo = fmin(*lo, u);
        *hi = fmax(*hi, u);
    }
}

/* Pixels covering [lo, hi] and the coordinate of the first centre. */
static bool axis_pixels(RertError *err,
                        double lo,
                        double hi,
                        double pixel_mm,
                        size_t *count,
                        double *first)
{
    double n = ceil((hi - lo) / pixel_mm - 1e-9);
    if (!(n >= 1.0)) {
        n = 1.0;
    }
    if (n > (double)RERT_IMAGE_MAX_SIDE) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "plane of %.0f pixels of %g mm along one side, "
                              "limit %d",
                              n, pixel_mm, RERT_IMAGE_MAX_SIDE);
    }
    *count = (size_t)n;
    *first = 0.5 * (lo + hi) - 0.5 * (n - 1.0) * pixel_mm;
    return true;
}

bool rert_plane_make(RertError *err,
                     RertPlaneKind kind,
                     const RertGridGeometry *grid,
                     RertVec3 point_mm,
                     double pixel_mm,
                     RertPlane *out)
{
    RertPlane p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    if (grid == NULL || out == NULL || !plane_axes(kind, &p)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "plane: NULL grid or output, or unknown kind");
    }
    if (!isfinite(point_mm.x) || !isfinite(point_mm.y) ||
        !isfinite(point_mm.z) || !isfinite(pixel_mm) || pixel_mm < 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "plane: point (%g, %g, %g) mm and pixel size "
                              "%g mm, expected finite values and size >= 0",
                              point_mm.x, point_mm.y, point_mm.z, pixel_mm);
    }
    if (pixel_mm == 0) {
        pixel_mm = fmin(grid->spacing_mm[0],
                        fmin(grid->spacing_mm[1], grid->spacing_mm[2]));
    }
    p.pixel_mm = pixel_mm;
    double lo = 0;
    double hi = 0;
    double u0 = 0;
    double v0 = 0;
    grid_extent(grid, p.right, &lo, &hi);
    if (!axis_pixels(err, lo, hi, pixel_mm, &p.width, &u0)) {
        return false;
    }
    grid_extent(grid, p.down, &lo, &hi);
    if (!axis_pixels(err, lo, hi, pixel_mm, &p.height, &v0)) {
        return false;
    }
    RertVec3 origin = axpy(point_mm, u0 - dot(point_mm, p.right), p.right);
    p.origin_mm = axpy(origin, v0 - dot(point_mm, p.down), p.down);
    *out = p;
    return true;
}

float *rert_plane_sample(RertError *err,
                         const RertPlane *plane,
                         const RertVolume *volume,
                         float outside)
{
    if (plane == NULL || volume == NULL || plane->width == 0 ||
        plane->height == 0 || plane->width > RERT_IMAGE_MAX_SIDE ||
        plane->height > RERT_IMAGE_MAX_SIDE) {
        (void)rert_error_set(err, RERT_ERR_INVALID_ARG,
                             "plane sample: NULL plane or volume, or plane "
                             "size out of 1..%d",
                             RERT_IMAGE_MAX_SIDE);
        return NULL;
    }
    float *values =
        rert_calloc(err, plane->width * plane->height, sizeof *values);
    if (values == NULL) {
        return NULL;
    }
    for (size_t r = 0; r < plane->height; r++) {
        RertVec3 row =
            axpy(plane->origin_mm, (double)r * plane->pixel_mm, plane->down);
        for (size_t c = 0; c < plane->width; c++) {
            RertVec3 xyz = axpy(row, (double)c * plane->pixel_mm, plane->right);
            values[r * plane->width + c] =
                rert_volume_sample(volume, xyz, outside);
        }
    }
    return values;
}

RertVec3 rert_plane_xyz_to_pixel(const RertPlane *plane, RertVec3 xyz_mm)
{
    RertVec3 d = {xyz_mm.x - plane->origin_mm.x, xyz_mm.y - plane->origin_mm.y,
                  xyz_mm.z - plane->origin_mm.z};
    RertVec3 out = {dot(d, plane->right) / plane->pixel_mm,
                    dot(d, plane->down) / plane->pixel_mm,
                    dot(d, cross(plane->right, plane->down))};
    return out;
}
