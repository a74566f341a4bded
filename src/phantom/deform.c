/* Phantom course mappings: the rigid course transform and the optional
 * smooth deformation between the courses (weight loss in the neck),
 * forward, inverse and sampled as a displacement field
 * (docs/phantom.md, "Deformation"). */
#include <math.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/phantom.h>

#include "internal.h"

/* Tissue within this axial distance of the spinal canal's axis does not
 * move; beyond the outer radius it moves by the full amplitude. */
#define INNER_MM 25.0
#define OUTER_MM 80.0
/* The deformation fades out between these heights (skull base). */
#define FADE_LO_MM 30.0
#define FADE_HI_MM 60.0
/* Newton iterations of the inverse (each at least halves the error). */
#define MAX_NEWTON 60

/* Quintic smootherstep on [0, 1] (C2) and its derivative. */
static double smoother(double s)
{
    if (s <= 0.0) {
        return 0.0;
    }
    if (s >= 1.0) {
        return 1.0;
    }
    return s * s * s * (s * (6.0 * s - 15.0) + 10.0);
}

static double smoother_slope(double s)
{
    if (s <= 0.0 || s >= 1.0) {
        return 0.0;
    }
    return 30.0 * s * s * (s - 1.0) * (s - 1.0);
}

/* Amplitude at height @p z: A in the neck, 0 above the skull base. */
static double amplitude(double a_mm, double z)
{
    return a_mm *
           (1.0 - smoother((z - FADE_LO_MM) / (FADE_HI_MM - FADE_LO_MM)));
}

/* Radial displacement at axial distance @p rho for amplitude @p a. */
static double radial(double a, double rho)
{
    return a * smoother((rho - INNER_MM) / (OUTER_MM - INNER_MM));
}

static double radial_slope(double a, double rho)
{
    return a * smoother_slope((rho - INNER_MM) / (OUTER_MM - INNER_MM)) /
           (OUTER_MM - INNER_MM);
}

/* Anatomy point shown at the rigidly moved course-2 point @p q. */
static RertVec3 deform_forward(double a_mm, RertVec3 q)
{
    double a = amplitude(a_mm, q.z);
    double dx = q.x;
    double dy = q.y - rert_phantom_cord_center_mm(q.z).y;
    double rho = sqrt(dx * dx + dy * dy);
    if (a <= 0.0 || rho <= INNER_MM) {
        return q;
    }
    double scale = 1.0 + radial(a, rho) / rho;
    RertVec3 p = {dx * scale, q.y + dy * (scale - 1.0), q.z};
    return p;
}

/* The q with deform_forward(q) = @p p: same height and direction from
 * the axis, rho + d(rho) = rho1 solved by Newton's method kept inside the
 * bracket [rho1 - a, rho1] (f is increasing with slope >= 1). */
static RertVec3 deform_inverse(double a_mm, RertVec3 p)
{
    double a = amplitude(a_mm, p.z);
    double dx = p.x;
    double dy = p.y - rert_phantom_cord_center_mm(p.z).y;
    double rho1 = sqrt(dx * dx + dy * dy);
    if (a <= 0.0 || rho1 <= INNER_MM) {
        return p;
    }
    double lo = fmax(INNER_MM, rho1 - a);
    double hi = rho1;
    double rho = rho1 - radial(a, rho1);
    for (int it = 0; it < MAX_NEWTON; it++) {
        double f = rho + radial(a, rho) - rho1;
        if (f > 0.0) {
            hi = rho;
        } else {
            lo = rho;
        }
        double next = rho - f / (1.0 + radial_slope(a, rho));
        if (fabs(next - rho) <= 1e-13 * rho1) {
            rho = next;
            break;
        }
        rho = next > lo && next < hi ? next : 0.5 * (lo + hi);
    }
    double scale = rho / rho1;
    RertVec3 q = {dx * scale, p.y + dy * (scale - 1.0), p.z};
    return q;
}

RertVec3 phantom_to_anatomy(const PhantomModel *m, unsigned c, RertVec3 x)
{
    RertVec3 q = rert_mat4_apply_point(m->to_anatomy[c], x);
    if (c == 0 || !(m->options.deformation_mm > 0.0)) {
        return q;
    }
    return deform_forward(m->options.deformation_mm, q);
}

RertVec3 phantom_from_anatomy(const PhantomModel *m, unsigned c, RertVec3 p)
{
    if (c != 0 && m->options.deformation_mm > 0.0) {
        p = deform_inverse(m->options.deformation_mm, p);
    }
    return rert_mat4_apply_point(m->from_anatomy[c], p);
}

double phantom_deformation_bound(const PhantomModel *m, unsigned c)
{
    return c == 0 || !(m->options.deformation_mm > 0.0)
               ? 0.0
               : m->options.deformation_mm;
}

RertVec3
rert_phantom_course2_to_course1_point(const RertPhantomOptions *options,
                                      RertVec3 x2)
{
    PhantomModel m;
    phantom_model_init(&m, options);
    return phantom_to_anatomy(&m, 1, x2);
}

RertVec3
rert_phantom_course1_to_course2_point(const RertPhantomOptions *options,
                                      RertVec3 x1)
{
    PhantomModel m;
    phantom_model_init(&m, options);
    return phantom_from_anatomy(&m, 1, x1);
}

bool rert_phantom_displacement_fill(RertError *err,
                                    const RertPhantomOptions *options,
                                    const RertGridGeometry *grid,
                                    float *u,
                                    size_t count)
{
    if (grid == NULL || u == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom displacement: NULL %s",
                              grid == NULL ? "grid" : "output");
    }
    PhantomModel m;
    phantom_model_init(&m, options);
    size_t need;
    if (!rert_phantom_options_check(err, &m.options) ||
        !rert_mul_size(err, rert_grid_voxel_count(grid), 3, &need)) {
        return false;
    }
    if (count < need) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "phantom displacement: the output holds %zu "
                              "floats, the grid needs %zu (3 per voxel)",
                              count, need);
    }
    size_t nz = grid->dims[2];
    const PhantomModel *model = &m;
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(model, grid, u, nz)
#endif
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < grid->dims[1]; j++) {
            for (size_t i = 0; i < grid->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(grid, ijk);
                RertVec3 y = phantom_to_anatomy(model, 1, x);
                float *v = u + 3 * rert_grid_index(grid, i, j, k);
                v[0] = (float)(y.x - x.x);
                v[1] = (float)(y.y - x.y);
                v[2] = (float)(y.z - x.z);
            }
        }
    }
    return true;
}
