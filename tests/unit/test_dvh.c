/* Unit tests: DVH engine on generated phantoms with analytic answers. */
#include <math.h>
#include <string.h>

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#include <rert/core.h>
#include <rert/dvh.h>
#include <rert/geometry.h>

#include "rert_test.h"

#define PI 3.14159265358979323846
#define MAX_POLYS 512

/* A set of polygons whose points live in one allocation per polygon. */
typedef struct Shape {
    RertPolygon poly[MAX_POLYS];
    RertVec3 *points[MAX_POLYS];
    size_t count;
} Shape;

static void shape_clear(Shape *s)
{
    for (size_t i = 0; i < s->count; i++) {
        rert_free(s->points[i]);
    }
    memset(s, 0, sizeof *s);
}

static RertVec3 *shape_add(Shape *s, size_t n)
{
    assert_true(s->count < MAX_POLYS);
    RertVec3 *p = rert_calloc(NULL, n, sizeof *p);
    assert_non_null(p);
    s->points[s->count] = p;
    s->poly[s->count].points_mm = p;
    s->poly[s->count].count = n;
    s->count++;
    return p;
}

/* Regular n-gon of radius r centred at (cx, cy) on plane z. */
static void
add_circle(Shape *s, double cx, double cy, double r, double z, size_t n)
{
    RertVec3 *p = shape_add(s, n);
    for (size_t i = 0; i < n; i++) {
        double t = 2.0 * PI * (double)i / (double)n;
        p[i] = (RertVec3){cx + r * cos(t), cy + r * sin(t), z};
    }
}

static void
add_rect(Shape *s, double x0, double y0, double x1, double y1, double z)
{
    RertVec3 *p = shape_add(s, 4);
    p[0] = (RertVec3){x0, y0, z};
    p[1] = (RertVec3){x1, y0, z};
    p[2] = (RertVec3){x1, y1, z};
    p[3] = (RertVec3){x0, y1, z};
}

static double ngon_area(double r, size_t n)
{
    return 0.5 * (double)n * r * r * sin(2.0 * PI / (double)n);
}

/* Dose on an axis-aligned grid: d = a + gx x + gy y + gz z (Gy, mm). */
static RertVolume *linear_dose(const double origin[3],
                               double spacing,
                               const size_t dims[3],
                               double a,
                               double gx,
                               double gy,
                               double gz)
{
    const double dir[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const double sp[3] = {spacing, spacing, spacing};
    RertGridGeometry g;
    RertError err;
    assert_true(rert_grid_geometry_make(&err, dims, origin, sp, dir, 0, &g));
    RertVolume *v = rert_volume_create(&err, &g);
    assert_non_null(v);
    float *d = rert_volume_data(v);
    for (size_t k = 0; k < dims[2]; k++) {
        for (size_t j = 0; j < dims[1]; j++) {
            for (size_t i = 0; i < dims[0]; i++) {
                double x = origin[0] + (double)i * spacing;
                double y = origin[1] + (double)j * spacing;
                double z = origin[2] + (double)k * spacing;
                d[rert_grid_index(&g, i, j, k)] =
                    (float)(a + gx * x + gy * y + gz * z);
            }
        }
    }
    return v;
}

static RertVolume *
box_dose(double half, double spacing, double a, double gx, double gy, double gz)
{
    size_t n = (size_t)(2.0 * half / spacing) + 1;
    const size_t dims[3] = {n, n, n};
    const double origin[3] = {-half, -half, -half};
    return linear_dose(origin, spacing, dims, a, gx, gy, gz);
}

/* Sphere r = 12 mm contoured on 1 mm planes (z = -12..12; the two pole
 * planes are single points), 360-gons. */
static void make_sphere(Shape *s, size_t sides)
{
    for (int k = -12; k <= 12; k++) {
        double r2 = 144.0 - (double)(k * k);
        if (r2 <= 0.0) {
            RertVec3 *p = shape_add(s, 1); /* a POINT-like pole contour */
            p[0] = (RertVec3){0.0, 0.0, (double)k};
            continue;
        }
        add_circle(s, 0.0, 0.0, sqrt(r2), (double)k, sides);
    }
}

/* Prism model of the sphere: volume receiving >= d in dose 20 + z. */
static double sphere_prism_v_at(double d, size_t sides)
{
    double zd = d - 20.0;
    double v = 0.0;
    for (int k = -11; k <= 11; k++) {
        double lo = (double)k - 0.5;
        double hi = (double)k + 0.5;
        double len = fmax(0.0, hi - fmax(lo, zd));
        v += ngon_area(sqrt(144.0 - (double)(k * k)), sides) * fmin(len, 1.0);
    }
    return v / 1000.0;
}

/* Invert a decreasing V(D) by bisection. */
static double invert(double (*f)(double, size_t),
                     size_t arg,
                     double target,
                     double lo,
                     double hi)
{
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (f(mid, arg) > target) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

static void test_sphere_linear_z(void **state)
{
    (void)state;
    Shape s = {0};
    make_sphere(&s, 360);
    RertVolume *dose = box_dose(30.0, 2.5, 20.0, 0.0, 0.0, 1.0);
    RertError err;
    /* the plain prism model (the fitted end profile moves the two end
     * slab boundaries: test_end_profile_fitted) */
    RertDvhOptions o = rert_dvh_options_default();
    o.end_profile = RERT_DVH_END_PROFILE_MIDPOINT;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, &o);
    assert_non_null(dvh);
    double exact_cc = sphere_prism_v_at(-1e9, 360);
    /* 23 circular slabs of 1 mm: the discretised stack, end caps included */
    rert_assert_near(rert_dvh_contour_volume_cc(dvh), exact_cc, 1e-9, 0);
    rert_assert_near(rert_dvh_volume_cc(dvh), exact_cc, 0, 0.003);
    /* and it lies 1.2 % under the true sphere 4/3 pi r^3 */
    assert_true(exact_cc < 4.0 / 3.0 * PI * 1728.0 / 1000.0);
    rert_assert_near(rert_dvh_mean_gy(dvh), 20.0, 0.01, 0);
    double v = rert_dvh_volume_cc(dvh);
    const double pct[] = {98, 95, 50, 5, 2};
    for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
        double want = invert(sphere_prism_v_at, 360, pct[i] / 100.0 * exact_cc,
                             0.0, 40.0);
        rert_assert_near(rert_dvh_dose_at_volume_pct(dvh, pct[i]), want, 0.03,
                         0);
    }
    const double cc[] = {0.03, 0.1, 0.5, 1.0, 2.0};
    for (size_t i = 0; i < sizeof cc / sizeof cc[0]; i++) {
        double want = invert(sphere_prism_v_at, 360, cc[i], 0.0, 40.0);
        rert_assert_near(rert_dvh_dose_at_volume_cc(dvh, cc[i]), want, 0.03, 0);
    }
    rert_assert_near(rert_dvh_volume_cc_at_dose(dvh, 25.0),
                     sphere_prism_v_at(25.0, 360), 0.003 * v, 0);
    rert_assert_near(rert_dvh_volume_pct_at_dose(dvh, 20.0), 50.0, 0.3, 0);
    rert_assert_near(rert_dvh_min_gy(dvh), 20.0 - 11.5, 0.05, 0);
    rert_assert_near(rert_dvh_max_gy(dvh), 20.0 + 11.5, 0.05, 0);
    assert_true(rert_dvh_sample_count(dvh) >= 100000);
    assert_int_equal(rert_dvh_plane_count(dvh), 23);
    /* the two one-point pole contours are ignored with a note */
    assert_true(rert_dvh_warning_count(dvh) >= 1);
    assert_non_null(strstr(rert_dvh_warning(dvh, 0), "fewer than 3 points"));
    assert_null(rert_dvh_warning(dvh, 99));
    rert_dvh_destroy(dvh);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

static void test_cube_uniform_end_caps(void **state)
{
    (void)state;
    Shape s = {0};
    for (int k = 0; k <= 10; k++) {
        add_rect(&s, -10.0, -10.0, 10.0, 10.0, 2.0 * k - 10.0);
    }
    RertVolume *dose = box_dose(30.0, 2.5, 50.0, 0.0, 0.0, 0.0);
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, NULL);
    assert_non_null(dvh);
    /* 11 planes 2 mm apart: 20 mm plus two half-spacing caps = 22 mm */
    rert_assert_near(rert_dvh_contour_volume_cc(dvh), 8.8, 1e-12, 0);
    rert_assert_near(rert_dvh_volume_cc(dvh), 8.8, 0, 1e-6);
    rert_assert_near(rert_dvh_min_gy(dvh), 50.0, 1e-4, 0);
    rert_assert_near(rert_dvh_max_gy(dvh), 50.0, 1e-4, 0);
    rert_assert_near(rert_dvh_mean_gy(dvh), 50.0, 1e-4, 0);
    rert_assert_near(rert_dvh_dose_at_volume_pct(dvh, 95), 50.0, 1e-4, 0);
    rert_assert_near(rert_dvh_volume_cc_at_dose(dvh, 49.9), 8.8, 0, 1e-6);
    rert_assert_near(rert_dvh_volume_cc_at_dose(dvh, 50.1), 0.0, 0, 0);
    rert_dvh_destroy(dvh);

    RertDvhOptions o = rert_dvh_options_default();
    o.end_caps = RERT_DVH_END_CAPS_NONE;
    dvh = rert_dvh_compute(&err, dose, s.poly, s.count, &o);
    assert_non_null(dvh);
    rert_assert_near(rert_dvh_contour_volume_cc(dvh), 8.0, 1e-12, 0);
    rert_assert_near(rert_dvh_volume_cc(dvh), 8.0, 0, 1e-6);
    rert_dvh_destroy(dvh);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

/* A cylinder r = 12 mm, 25 mm long, lying along y (its axis in the
 * contour planes), on planes z = -12, -9, ..., 12 every @p step mm: each
 * plane a rectangle of half-width sqrt(r^2 - z^2); the two tangent planes
 * are slivers 0.005 mm wide. Its y edges fall on sample-row edges. */
static void make_lying_cylinder(Shape *s, double step)
{
    int n = (int)lround(24.0 / step);
    for (int k = 0; k <= n; k++) {
        double z = -12.0 + step * (double)k;
        double h = fmax(sqrt(fmax(144.0 - z * z, 0.0)), 0.0025);
        add_rect(s, -h, -12.5, h, 12.5, z);
    }
}

static RertDvh *dvh_with_profile(const Shape *s,
                                 const RertVolume *dose,
                                 RertDvhEndProfile profile)
{
    RertDvhOptions o = rert_dvh_options_default();
    o.end_profile = profile;
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s->poly, s->count, &o);
    assert_non_null(dvh);
    return dvh;
}

/* The fitted end profile (the default) against shapes with known
 * volumes: a cylinder lying in the contour planes (its tangent end planes
 * close as sqrt), a cone on its apex (area ~ s^2: the fit is exact) and a
 * flat-ended box (no change). */
static void test_end_profile_fitted(void **state)
{
    (void)state;
    const double truth = PI * 144.0 * 25.0 / 1000.0;
    RertVolume *dose = box_dose(30.0, 2.5, 20.0, 0.0, 0.0, 1.0);
    Shape s = {0};
    make_lying_cylinder(&s, 3.0);
    RertDvh *fit = dvh_with_profile(&s, dose, RERT_DVH_END_PROFILE_FITTED);
    RertDvh *mid = dvh_with_profile(&s, dose, RERT_DVH_END_PROFILE_MIDPOINT);
    /* right prisms lose 4.6 % on 3 mm planes; the fitted ends recover it */
    assert_true(rert_dvh_contour_volume_cc(mid) < 0.96 * truth);
    rert_assert_near(rert_dvh_contour_volume_cc(fit), truth, 0, 0.01);
    rert_assert_near(rert_dvh_volume_cc(fit), rert_dvh_contour_volume_cc(fit),
                     0, 0.003);
    /* the dose is symmetric in z about 20 Gy either way */
    rert_assert_near(rert_dvh_mean_gy(fit), 20.0, 0.01, 0);
    rert_dvh_destroy(fit);
    rert_dvh_destroy(mid);
    shape_clear(&s);

    /* cone: apex at z = 0 (a sliver of 1e-6 mm^2), radius z / 2 up to a
     * flat base at z = 24; area A(z) = pi z^2 / 4 */
    for (int k = 0; k <= 8; k++) {
        double z = 3.0 * (double)k;
        add_circle(&s, 0.0, 0.0, k == 0 ? 1e-3 : 0.5 * z, z, 720);
    }
    fit = dvh_with_profile(&s, dose, RERT_DVH_END_PROFILE_FITTED);
    mid = dvh_with_profile(&s, dose, RERT_DVH_END_PROFILE_MIDPOINT);
    /* apex interval: A1 d (1/2) with prisms, A1 d / 3 exact (p = 2) */
    double a1 = ngon_area(1.5, 720);
    rert_assert_near(rert_dvh_contour_volume_cc(mid) -
                         rert_dvh_contour_volume_cc(fit),
                     a1 * 3.0 / 6.0 / 1000.0, 0, 1e-4);
    rert_dvh_destroy(fit);
    rert_dvh_destroy(mid);
    shape_clear(&s);

    /* equal areas: the boundaries stay half-way */
    for (int k = 0; k <= 10; k++) {
        add_rect(&s, -10.0, -10.0, 10.0, 10.0, 2.0 * k - 10.0);
    }
    fit = dvh_with_profile(&s, dose, RERT_DVH_END_PROFILE_FITTED);
    rert_assert_near(rert_dvh_contour_volume_cc(fit), 8.8, 1e-12, 0);
    rert_dvh_destroy(fit);
    shape_clear(&s);

    RertDvhOptions o = rert_dvh_options_default();
    o.end_profile = (RertDvhEndProfile)7;
    RertError err;
    add_rect(&s, -10.0, -10.0, 10.0, 10.0, 0.0);
    assert_null(rert_dvh_compute(&err, dose, s.poly, s.count, &o));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "end_profile"));
    shape_clear(&s);
    rert_volume_destroy(dose);
}

/* Area fraction of a disc of radius r with x >= x0 (exact circle). */
static double disc_fraction_above(double x0, size_t unused)
{
    (void)unused;
    const double r = 10.0;
    if (x0 <= -r) {
        return 1.0;
    }
    if (x0 >= r) {
        return 0.0;
    }
    double seg = r * r * acos(x0 / r) - x0 * sqrt(r * r - x0 * x0);
    return seg / (PI * r * r);
}

static double cyl_v_at(double d, size_t unused)
{
    return disc_fraction_above((d - 10.0) / 0.5, unused);
}

static void test_cylinder_linear_x(void **state)
{
    (void)state;
    Shape s = {0};
    for (int k = 0; k <= 12; k++) {
        add_circle(&s, 0.0, 0.0, 10.0, 2.5 * k - 15.0, 1440);
    }
    RertVolume *dose = box_dose(30.0, 3.0, 10.0, 0.5, 0.0, 0.0);
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, NULL);
    assert_non_null(dvh);
    double exact = ngon_area(10.0, 1440) * 32.5 / 1000.0;
    rert_assert_near(rert_dvh_contour_volume_cc(dvh), exact, 1e-9, 0);
    rert_assert_near(rert_dvh_volume_cc(dvh), exact, 0, 0.002);
    rert_assert_near(rert_dvh_mean_gy(dvh), 10.0, 0.005, 0);
    const double pct[] = {98, 95, 50, 5, 2};
    for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
        double want = invert(cyl_v_at, 0, pct[i] / 100.0, 0.0, 20.0);
        rert_assert_near(rert_dvh_dose_at_volume_pct(dvh, pct[i]), want, 0.02,
                         0);
    }
    double v12 = rert_dvh_volume_pct_at_dose(dvh, 12.0);
    rert_assert_near(v12, 100.0 * cyl_v_at(12.0, 0), 0.2, 0);
    rert_dvh_destroy(dvh);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

/* A 1.5 mm cube inside one 3 mm dose voxel, dose 2 Gy/mm along y. */
static void test_smaller_than_a_voxel(void **state)
{
    (void)state;
    Shape s = {0};
    for (int k = 0; k < 3; k++) {
        add_rect(&s, 0.2, 0.4, 1.7, 1.9, 0.5 * k + 0.3);
    }
    RertVolume *dose = box_dose(15.0, 3.0, 5.0, 0.0, 2.0, 0.0);
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, NULL);
    assert_non_null(dvh);
    rert_assert_near(rert_dvh_contour_volume_cc(dvh), 1.5 * 1.5 * 1.5 / 1000,
                     1e-12, 0);
    rert_assert_near(rert_dvh_volume_cc(dvh), 0.003375, 0, 0.03);
    assert_true(rert_dvh_sample_count(dvh) >= 10000);
    /* dose 5 + 2y over y in [0.4, 1.9]: uniform on [5.8, 8.8] Gy; rows
     * are sampled at their centre lines, so the centroid may move by half
     * a row (1.5 mm / 20 rows or more): 2 Gy/mm x 0.0375 mm */
    rert_assert_near(rert_dvh_mean_gy(dvh), 7.3, 0.075, 0);
    rert_assert_near(rert_dvh_dose_at_volume_pct(dvh, 95), 5.8 + 0.05 * 3.0,
                     0.08, 0);
    rert_assert_near(rert_dvh_dose_at_volume_pct(dvh, 5), 8.8 - 0.05 * 3.0,
                     0.08, 0);
    rert_assert_near(rert_dvh_volume_pct_at_dose(dvh, 7.3), 50.0, 2.0, 0);
    rert_dvh_destroy(dvh);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

/* Ring with an island in its hole, on 5 planes 2 mm apart. */
static void test_holes_and_islands(void **state)
{
    (void)state;
    Shape s = {0};
    for (int k = 0; k < 5; k++) {
        double z = 2.0 * k;
        add_circle(&s, 0.0, 0.0, 5.0, z, 720);  /* island */
        add_circle(&s, 0.0, 0.0, 20.0, z, 720); /* outer */
        add_circle(&s, 0.0, 0.0, 10.0, z, 720); /* hole */
    }
    RertVolume *dose = box_dose(30.0, 2.0, 1.0, 0.0, 0.0, 0.0);
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, NULL);
    assert_non_null(dvh);
    double area =
        ngon_area(20.0, 720) - ngon_area(10.0, 720) + ngon_area(5.0, 720);
    rert_assert_near(rert_dvh_contour_volume_cc(dvh), area * 10.0 / 1000.0,
                     1e-9, 0);
    rert_assert_near(rert_dvh_volume_cc(dvh), area * 10.0 / 1000.0, 0, 0.003);
    rert_dvh_destroy(dvh);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

static void test_outside_dose_grid(void **state)
{
    (void)state;
    Shape s = {0};
    for (int k = 0; k < 4; k++) {
        add_rect(&s, 10.0, -5.0, 50.0, 5.0, 2.0 * k); /* grid ends at 31 */
    }
    RertVolume *dose = box_dose(30.0, 2.0, 10.0, 0.0, 0.0, 0.0);
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, NULL);
    assert_non_null(dvh);
    double v = rert_dvh_volume_cc(dvh);
    rert_assert_near(v, 40.0 * 10.0 * 8.0 / 1000.0, 0, 1e-6);
    rert_assert_near(rert_dvh_outside_cc(dvh), 19.0 / 40.0 * v, 0.01 * v, 0);
    rert_assert_near(rert_dvh_min_gy(dvh), 0.0, 0, 0);
    rert_assert_near(rert_dvh_max_gy(dvh), 10.0, 1e-4, 0);
    bool found = false;
    for (size_t i = 0; i < rert_dvh_warning_count(dvh); i++) {
        found = found || strstr(rert_dvh_warning(dvh, i), "outside the dose "
                                                          "grid") != NULL;
    }
    assert_true(found);
    rert_dvh_destroy(dvh);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

/* Broken ROIs fail one by one; good ones are still computed. */
static void test_per_roi_errors(void **state)
{
    (void)state;
    Shape good = {0}, tilted = {0}, points = {0}, nan = {0}, huge = {0};
    for (int k = 0; k < 3; k++) {
        add_rect(&good, -5, -5, 5, 5, k);
        add_rect(&huge, -1e20, -5, 5, 5, k);
        RertVec3 *p = shape_add(&points, 1);
        p[0] = (RertVec3){0, 0, k};
    }
    add_rect(&tilted, -5, -5, 5, 5, 0);
    tilted.points[0][2].z = 0.5; /* not on one z plane */
    add_rect(&nan, -5, -5, 5, 5, 0);
    nan.points[0][1].x = (double)NAN;
    RertDvhRoi rois[6] = {{good.poly, good.count},     {tilted.poly, 1},
                          {points.poly, points.count}, {nan.poly, 1},
                          {huge.poly, huge.count},     {NULL, 0}};
    RertVolume *dose = box_dose(20.0, 2.0, 3.0, 0.0, 0.0, 0.0);
    RertError err, roi_err[6];
    RertDvh *dvhs[6];
    assert_true(
        rert_dvh_compute_many(&err, dose, rois, 6, NULL, dvhs, roi_err));
    assert_non_null(dvhs[0]);
    assert_int_equal(roi_err[0].code, RERT_OK);
    const RertErrorCode want[6] = {RERT_OK,           RERT_ERR_GEOMETRY,
                                   RERT_ERR_GEOMETRY, RERT_ERR_PARSE,
                                   RERT_ERR_LIMIT,    RERT_ERR_GEOMETRY};
    for (size_t i = 1; i < 6; i++) {
        assert_null(dvhs[i]);
        assert_int_equal(roi_err[i].code, want[i]);
        assert_true(strlen(roi_err[i].message) > 10);
    }
    assert_non_null(strstr(roi_err[1].message, "constant z"));
    rert_dvh_destroy(dvhs[0]);
    /* the single-ROI entry point reports the ROI's error */
    assert_null(rert_dvh_compute(&err, dose, tilted.poly, 1, NULL));
    assert_int_equal(err.code, RERT_ERR_GEOMETRY);
    assert_false(rert_dvh_compute_many(&err, NULL, rois, 1, NULL, dvhs, NULL));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    RertDvhOptions o = rert_dvh_options_default();
    o.max_subsamples = 0;
    assert_null(rert_dvh_compute(&err, dose, good.poly, good.count, &o));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_volume_destroy(dose);
    shape_clear(&good);
    shape_clear(&tilted);
    shape_clear(&points);
    shape_clear(&nan);
    shape_clear(&huge);
}

/* Self-intersecting, zero-area and repeated contours never crash. */
static void test_malformed_contours(void **state)
{
    (void)state;
    Shape s = {0};
    RertVec3 *bow = shape_add(&s, 4); /* bow tie */
    bow[0] = (RertVec3){-5, -5, 0};
    bow[1] = (RertVec3){5, 5, 0};
    bow[2] = (RertVec3){5, -5, 0};
    bow[3] = (RertVec3){-5, 5, 0};
    RertVec3 *line = shape_add(&s, 3); /* zero area */
    line[0] = (RertVec3){0, 0, 2};
    line[1] = (RertVec3){1, 1, 2};
    line[2] = (RertVec3){2, 2, 2};
    add_rect(&s, -5, -5, 5, 5, 2);
    add_rect(&s, -5, -5, 5, 5, 2); /* the same contour twice: cancels */
    add_rect(&s, -5, -5, 5, 5, 4);
    RertVolume *dose = box_dose(20.0, 2.0, 3.0, 0.0, 0.0, 0.0);
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, NULL);
    assert_non_null(dvh);
    assert_true(rert_dvh_warning_count(dvh) >= 1);
    assert_true(rert_dvh_volume_cc(dvh) > 0.0);
    rert_dvh_destroy(dvh);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

static void test_threads_identical(void **state)
{
    (void)state;
    Shape a = {0}, b = {0}, c = {0};
    make_sphere(&a, 180);
    for (int k = 0; k < 20; k++) {
        add_circle(&b, 3.0, -2.0, 8.0 + 0.3 * k, 1.5 * k - 15.0, 90);
        add_rect(&c, -20, -20, 25, 15, 2.5 * k - 25.0);
    }
    RertDvhRoi rois[3] = {
        {a.poly, a.count}, {b.poly, b.count}, {c.poly, c.count}};
    RertVolume *dose = box_dose(30.0, 2.5, 20.0, 0.3, -0.2, 1.0);
    double result[2][3][4];
    for (int run = 0; run < 2; run++) {
#ifdef RERT_HAVE_OPENMP
        omp_set_num_threads(run == 0 ? 1 : 4);
#endif
        RertDvh *dvhs[3];
        RertError err;
        assert_true(
            rert_dvh_compute_many(&err, dose, rois, 3, NULL, dvhs, NULL));
        for (int r = 0; r < 3; r++) {
            assert_non_null(dvhs[r]);
            result[run][r][0] = rert_dvh_volume_cc(dvhs[r]);
            result[run][r][1] = rert_dvh_mean_gy(dvhs[r]);
            result[run][r][2] = rert_dvh_dose_at_volume_cc(dvhs[r], 0.03);
            result[run][r][3] = rert_dvh_dose_at_volume_pct(dvhs[r], 95);
            rert_dvh_destroy(dvhs[r]);
        }
    }
    assert_memory_equal(result[0], result[1], sizeof result[0]);
    rert_volume_destroy(dose);
    shape_clear(&a);
    shape_clear(&b);
    shape_clear(&c);
}

static void test_metric_names(void **state)
{
    (void)state;
    RertDvhMetric m;
    RertError err;
    const struct {
        const char *text;
        RertDvhMetricKind kind;
        double value;
        const char *name;
    } ok[] = {{"D0.03cc", RERT_DVH_METRIC_D_CC, 0.03, "D0.03cc"},
              {"d95%", RERT_DVH_METRIC_D_PCT, 95, "D95%"},
              {"V20Gy", RERT_DVH_METRIC_V_CC, 20, "V20Gy"},
              {"v20gy%", RERT_DVH_METRIC_V_PCT, 20, "V20Gy%"},
              {"Dmean", RERT_DVH_METRIC_MEAN, 0, "Dmean"},
              {"dmax", RERT_DVH_METRIC_MAX, 0, "Dmax"},
              {"Dmin", RERT_DVH_METRIC_MIN, 0, "Dmin"},
              {"volume", RERT_DVH_METRIC_VOLUME, 0, "Volume"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_true(rert_dvh_metric_parse(&err, ok[i].text, &m));
        assert_int_equal(m.kind, ok[i].kind);
        rert_assert_near(m.value, ok[i].value, 0, 0);
        assert_string_equal(m.name, ok[i].name);
    }
    const char *bad[] = {"",       "D",   "D%",    "D101%",    "Dx%", "D-1cc",
                         "V1e2Gy", "V20", "X20Gy", "D1.2.3cc", "D 5%"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(rert_dvh_metric_parse(&err, bad[i], &m));
        assert_int_equal(err.code, RERT_ERR_PARSE);
    }
    assert_string_equal(rert_dvh_metric_unit(RERT_DVH_METRIC_V_CC), "cc");
    assert_string_equal(rert_dvh_metric_unit(RERT_DVH_METRIC_D_CC), "Gy");
    assert_string_equal(rert_dvh_metric_unit(RERT_DVH_METRIC_V_PCT), "%");
}

static void test_metrics_and_curve(void **state)
{
    (void)state;
    Shape s = {0};
    for (int k = 0; k < 10; k++) {
        add_rect(&s, -10, -10, 10, 10, 2.0 * k - 9.0);
    }
    RertVolume *dose = box_dose(30.0, 2.0, 30.0, 0.0, 0.0, 1.0);
    RertError err;
    RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, NULL);
    assert_non_null(dvh);
    RertDvhMetric m;
    assert_true(rert_dvh_metric_parse(&err, "D2cc", &m));
    double d2 = rert_dvh_metric_compute(dvh, &m);
    rert_assert_near(d2, rert_dvh_dose_at_volume_cc(dvh, 2.0), 0, 0);
    /* z in [-10, 10], dose 30 + z, 4 cc per 10 mm: D2cc = 40 - 5 */
    rert_assert_near(d2, 35.0, 0.02, 0);
    assert_true(rert_dvh_metric_parse(&err, "V35Gy%", &m));
    rert_assert_near(rert_dvh_metric_compute(dvh, &m), 25.0, 0.1, 0);
    assert_true(isnan(rert_dvh_dose_at_volume_cc(dvh, -1.0)));
    assert_true(isnan(rert_dvh_dose_at_volume_pct(dvh, 101.0)));
    rert_assert_near(rert_dvh_dose_at_volume_cc(dvh, 1e6), rert_dvh_min_gy(dvh),
                     0, 0);
    rert_assert_near(rert_dvh_dose_at_volume_cc(dvh, 0.0), rert_dvh_max_gy(dvh),
                     0, 0);
    double *dg = NULL, *vc = NULL;
    size_t n = 0;
    assert_true(rert_dvh_curve_compute(&err, dvh, 0.01, &dg, &vc, &n));
    assert_true(n >= 4000);
    rert_assert_near(vc[0], rert_dvh_volume_cc(dvh), 0, 0);
    assert_true(dg[n - 1] >= rert_dvh_max_gy(dvh));
    for (size_t i = 1; i < n; i++) {
        assert_true(vc[i] <= vc[i - 1]);
    }
    rert_free(dg);
    rert_free(vc);
    assert_false(rert_dvh_curve_compute(&err, dvh, 0.0, &dg, &vc, &n));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    rert_dvh_destroy(dvh);
    rert_dvh_destroy(NULL);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

/* Every allocation failure is reported as NOMEM, without leaks. */
static void test_allocation_failures(void **state)
{
    (void)state;
    Shape s = {0};
    make_sphere(&s, 60);
    RertVolume *dose = box_dose(20.0, 2.5, 20.0, 0.0, 0.0, 1.0);
    RertDvhOptions o = rert_dvh_options_default();
    o.target_samples = 2000;
    bool done = false;
    for (size_t nth = 1; nth < 200 && !done; nth++) {
        RertError err;
        rert_alloc_fail_at(nth);
        RertDvh *dvh = rert_dvh_compute(&err, dose, s.poly, s.count, &o);
        rert_alloc_fail_at(0);
        if (dvh != NULL) {
            done = true;
            rert_dvh_destroy(dvh);
        } else {
            assert_int_equal(err.code, RERT_ERR_NOMEM);
        }
    }
    assert_true(done);
    rert_volume_destroy(dose);
    shape_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sphere_linear_z),
        cmocka_unit_test(test_cube_uniform_end_caps),
        cmocka_unit_test(test_end_profile_fitted),
        cmocka_unit_test(test_cylinder_linear_x),
        cmocka_unit_test(test_smaller_than_a_voxel),
        cmocka_unit_test(test_holes_and_islands),
        cmocka_unit_test(test_outside_dose_grid),
        cmocka_unit_test(test_per_roi_errors),
        cmocka_unit_test(test_malformed_contours),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_metrics_and_curve),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
