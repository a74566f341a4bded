/* Unit tests: the phantom's optional deformation between the courses
 * (docs/phantom.md, "Deformation"): the mapping against the documented
 * formula written out again here, its inverse and Jacobian, the sampled
 * displacement field, and a deformed case written and read back (CT
 * numbers, contours, dose and truth.json against the deformed anatomy). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/phantom.h>
#include <rert/rt.h>

#include "rert_test.h"

/* Peak deformation of the written case, mm. */
#define PEAK_MM 6.0

static char case_dir[512];
static RertPhantomOptions case_options;
static RertPhantomTruth case_truth;

static RertPhantomOptions deformed_options(double peak_mm)
{
    RertPhantomOptions o = rert_phantom_options_default();
    o.deformation_mm = peak_mm;
    return o;
}

static int write_case(void **state)
{
    (void)state;
    int n =
        snprintf(case_dir, sizeof case_dir, "%s/deformed", rert_test_tmpdir());
    if (n < 0 || (size_t)n >= sizeof case_dir) {
        return -1;
    }
    case_options = deformed_options(PEAK_MM);
    RertError err;
    rert_error_clear(&err);
    if (!rert_phantom_write_case(&err, case_dir, &case_options, &case_truth)) {
        print_error("phantom: %s\n", err.message);
        return -1;
    }
    return 0;
}

static double dist(RertVec3 a, RertVec3 b)
{
    return sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) +
                (a.z - b.z) * (a.z - b.z));
}

/* ---- the documented formula, written out independently */

static double doc_smoother(double s)
{
    s = s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
    return s * s * s * (6.0 * s * s - 15.0 * s + 10.0);
}

/* x1 = q + v(q), q = R x2 + t (docs/phantom.md). */
static RertVec3 doc_map(const RertPhantomOptions *o, RertVec3 x2)
{
    RertVec3 q = rert_mat4_apply_point(rert_phantom_course2_to_course1(o), x2);
    double yc = 38.0 + 3.0 * (q.z / 90.0) * (q.z / 90.0);
    double dx = q.x;
    double dy = q.y - yc;
    double rho = hypot(dx, dy);
    double d = o->deformation_mm * doc_smoother((rho - 25.0) / 55.0) *
               (1.0 - doc_smoother((q.z - 30.0) / 30.0));
    if (rho > 0.0) {
        q.x += d * dx / rho;
        q.y += d * dy / rho;
    }
    return q;
}

static void test_options(void **state)
{
    (void)state;
    RertPhantomOptions o = rert_phantom_options_default();
    rert_assert_near(o.deformation_mm, 0.0, 0, 0);
    RertError err;
    const double bad[3] = {-0.5, 10.5, (double)NAN};
    for (int i = 0; i < 3; i++) {
        o.deformation_mm = bad[i];
        rert_error_clear(&err);
        assert_false(rert_phantom_options_check(&err, &o));
        assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "deformation_mm"));
    }
    o.deformation_mm = 10.0;
    assert_true(rert_phantom_options_check(&err, &o));
}

/* The mapping is the documented formula; off, it is the rigid matrix. */
static void test_formula(void **state)
{
    (void)state;
    RertPhantomOptions rigid = rert_phantom_options_default();
    RertPhantomOptions o = deformed_options(PEAK_MM);
    RertMat4 m = rert_phantom_course2_to_course1(&rigid);
    double worst = 0.0;
    double largest = 0.0;
    for (double z = -90.0; z <= 90.0; z += 7.5) {
        for (double y = -110.0; y <= 110.0; y += 5.5) {
            for (double x = -110.0; x <= 110.0; x += 5.5) {
                RertVec3 x2 = {x, y, z};
                RertVec3 got = rert_phantom_course2_to_course1_point(&o, x2);
                RertVec3 want = doc_map(&o, x2);
                worst = fmax(worst, dist(got, want));
                RertVec3 r = rert_mat4_apply_point(m, x2);
                largest = fmax(largest, dist(got, r));
                RertVec3 off =
                    rert_phantom_course2_to_course1_point(&rigid, x2);
                assert_true(off.x == r.x && off.y == r.y && off.z == r.z);
            }
        }
    }
    rert_assert_near(worst, 0.0, 1e-9, 0);
    /* The peak is reached (anterior neck) and never exceeded. */
    rert_assert_near(largest, PEAK_MM, 1e-9, 0);
    /* Anterior neck skin: pulled in by the full amount; the cord and the
     * skull do not move. */
    RertVec3 inv = rert_phantom_course1_to_course2_point(
        &o, (RertVec3){0.0, -55.0, -20.0});
    RertVec3 inv_rigid = rert_phantom_course1_to_course2_point(
        &rigid, (RertVec3){0.0, -55.0, -20.0});
    rert_assert_near(dist(inv, inv_rigid), PEAK_MM, 1e-9, 0);
    const RertVec3 still[2] = {rert_phantom_cord_center_mm(-20.0),
                               {0.0, -60.0, 70.0}};
    for (int i = 0; i < 2; i++) {
        RertVec3 a = rert_phantom_course1_to_course2_point(&o, still[i]);
        RertVec3 b = rert_phantom_course1_to_course2_point(&rigid, still[i]);
        rert_assert_near(dist(a, b), 0.0, 1e-12, 0);
    }
}

/* The inverse undoes the mapping everywhere in the field of view. */
static void test_inverse(void **state)
{
    (void)state;
    RertPhantomOptions o = deformed_options(10.0);
    double worst = 0.0;
    for (double z = -95.0; z <= 95.0; z += 5.0) {
        for (double y = -120.0; y <= 120.0; y += 5.3) {
            for (double x = -120.0; x <= 120.0; x += 5.3) {
                RertVec3 x2 = {x, y, z};
                RertVec3 x1 = rert_phantom_course2_to_course1_point(&o, x2);
                RertVec3 back = rert_phantom_course1_to_course2_point(&o, x1);
                worst = fmax(worst, dist(back, x2));
            }
        }
    }
    rert_assert_near(worst, 0.0, 1e-9, 0);
}

/* Jacobian determinant of the course-2 -> course-1 map by central
 * differences. */
static double jacobian(const RertPhantomOptions *o, RertVec3 x)
{
    const double h = 0.01;
    double j[3][3];
    for (int a = 0; a < 3; a++) {
        RertVec3 p = x;
        RertVec3 q = x;
        double *pa = a == 0 ? &p.x : (a == 1 ? &p.y : &p.z);
        double *qa = a == 0 ? &q.x : (a == 1 ? &q.y : &q.z);
        *pa += h;
        *qa -= h;
        RertVec3 fp = rert_phantom_course2_to_course1_point(o, p);
        RertVec3 fq = rert_phantom_course2_to_course1_point(o, q);
        RertVec3 d = {fp.x - fq.x, fp.y - fq.y, fp.z - fq.z};
        j[0][a] = d.x / (2.0 * h);
        j[1][a] = d.y / (2.0 * h);
        j[2][a] = d.z / (2.0 * h);
    }
    return j[0][0] * (j[1][1] * j[2][2] - j[1][2] * j[2][1]) -
           j[0][1] * (j[1][0] * j[2][2] - j[1][2] * j[2][0]) +
           j[0][2] * (j[1][0] * j[2][1] - j[1][1] * j[2][0]);
}

/* No folding: inside the body the determinant stays near 1 (the map only
 * stretches course 2 back to course 1), for the largest allowed peak. */
static void test_jacobian(void **state)
{
    (void)state;
    const double peaks[2] = {PEAK_MM, 10.0};
    for (int p = 0; p < 2; p++) {
        RertPhantomOptions o = deformed_options(peaks[p]);
        double lo = HUGE_VAL;
        double hi = -HUGE_VAL;
        size_t inside = 0;
        for (double z = -85.0; z <= 85.0; z += 6.5) {
            for (double y = -90.0; y <= 100.0; y += 2.3) {
                for (double x = -90.0; x <= 90.0; x += 2.3) {
                    RertVec3 x2 = {x, y, z};
                    if (rert_phantom_structure_sdf_mm(&o, 2, RERT_PHANTOM_BODY,
                                                      x2) > 0.0) {
                        continue;
                    }
                    double det = jacobian(&o, x2);
                    lo = fmin(lo, det);
                    hi = fmax(hi, det);
                    inside++;
                }
            }
        }
        print_message("  peak %.0f mm: Jacobian %.4f..%.4f over %zu points\n",
                      peaks[p], lo, hi, inside);
        assert_true(inside > 50000);
        assert_true(lo > 0.5);
        assert_true(lo > 1.0 - 1e-6); /* course 2 shrank: never compressed */
        assert_true(hi < 1.0 + 0.06 * peaks[p]);
        assert_true(hi > 1.0 + 0.02 * peaks[p]); /* a real deformation */
    }
}

static void make_grid(RertGridGeometry *g)
{
    const size_t dims[3] = {40, 36, 12};
    const double origin[3] = {-97.5, -80.0, -70.0};
    const double spacing[3] = {5.0, 5.0, 12.0};
    const double axes[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    RertError err;
    assert_true(
        rert_grid_geometry_make(&err, dims, origin, spacing, axes, 0, g));
}

/* The sampled field is x1 - x2 at each voxel centre, independent of the
 * thread count, and the call checks its arguments. */
static void test_displacement_fill(void **state)
{
    (void)state;
    RertGridGeometry g;
    make_grid(&g);
    size_t n = 3 * rert_grid_voxel_count(&g);
    float *u = rert_calloc(NULL, n, sizeof *u);
    float *u1 = rert_calloc(NULL, n, sizeof *u1);
    assert_non_null(u);
    assert_non_null(u1);
    RertPhantomOptions o = deformed_options(PEAK_MM);
    RertError err;
    assert_true(rert_phantom_displacement_fill(&err, &o, &g, u, n));
    double worst = 0.0;
    for (size_t k = 0; k < g.dims[2]; k++) {
        for (size_t j = 0; j < g.dims[1]; j++) {
            for (size_t i = 0; i < g.dims[0]; i++) {
                RertVec3 x = rert_grid_ijk_to_xyz(
                    &g, (RertVec3){(double)i, (double)j, (double)k});
                RertVec3 y = doc_map(&o, x);
                const float *v = u + 3 * rert_grid_index(&g, i, j, k);
                worst = fmax(worst, fabs((double)v[0] - (y.x - x.x)));
                worst = fmax(worst, fabs((double)v[1] - (y.y - x.y)));
                worst = fmax(worst, fabs((double)v[2] - (y.z - x.z)));
            }
        }
    }
    rert_assert_near(worst, 0.0, 1e-5, 0); /* float storage */
#ifdef RERT_HAVE_OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    assert_true(rert_phantom_displacement_fill(&err, &o, &g, u1, n));
    omp_set_num_threads(threads);
    assert_memory_equal(u, u1, n * sizeof *u);
#endif
    rert_error_clear(&err);
    assert_false(rert_phantom_displacement_fill(&err, &o, &g, u, n - 1));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
    assert_false(rert_phantom_displacement_fill(&err, &o, NULL, u, n));
    assert_int_equal(err.code, RERT_ERR_INVALID_ARG);
    o.deformation_mm = 12.0;
    assert_false(rert_phantom_displacement_fill(&err, &o, &g, u, n));
    assert_non_null(strstr(err.message, "deformation_mm"));
    rert_free(u);
    rert_free(u1);
}

/* ---- the written case */

/* The course-2 point of the rigid-only case that shows anatomy
 * (course-1) point @p x1: there the rigid case's course-2 evaluators give
 * course 2's tissue at x1 (course 2 has its own GTV, so the course-1
 * evaluators would not do). */
static RertVec3 rigid_course2_point(RertVec3 x1)
{
    RertPhantomOptions rigid = rert_phantom_options_default();
    RertMat4 inv;
    assert_true(
        rert_mat4_invert(NULL, rert_phantom_course2_to_course1(&rigid), &inv));
    return rert_mat4_apply_point(inv, x1);
}

static double rigid_course2_hu(RertVec3 x1)
{
    return rert_phantom_hu(NULL, 2, rigid_course2_point(x1));
}

/* Course-2 CT numbers are the anatomy seen through the documented map,
 * within noise and rounding; the anterior neck has visibly shrunk. */
static void test_ct(void **state)
{
    (void)state;
    char dir[600];
    (void)snprintf(dir, sizeof dir, "%s/course2/ct", case_dir);
    RertError err;
    RertImageSeries *s = rert_image_series_load(&err, dir, NULL, NULL);
    assert_non_null(s);
    const RertVolume *v = rert_image_series_volume(s);
    const RertGridGeometry *g = rert_volume_geometry(v);
    const float *data = rert_volume_data_const(v);
    double worst = 0.0;
    for (size_t k = 0; k < g->dims[2]; k += 4) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 x = rert_grid_ijk_to_xyz(
                    g, (RertVec3){(double)i, (double)j, (double)k});
                double hu = rigid_course2_hu(doc_map(&case_options, x));
                double got = (double)data[rert_grid_index(g, i, j, k)];
                worst = fmax(worst, fabs(got - hu));
            }
        }
    }
    rert_assert_near(worst, 0.0, case_options.noise_hu + 0.5, 0);
    /* 3 mm inside the rigidly moved course-1 skin, anterior neck: tissue
     * without the deformation, air with it. */
    RertPhantomOptions rigid = rert_phantom_options_default();
    RertVec3 x2 = rert_phantom_course1_to_course2_point(
        &rigid, (RertVec3){0.0, -47.0, -30.0});
    assert_true(rert_phantom_hu(&rigid, 2, x2) > -200.0);
    assert_true(rert_phantom_hu(&case_options, 2, x2) < -900.0);
    assert_true((double)rert_volume_sample(v, x2, NAN) < -850.0);
    rert_image_series_destroy(s);
}

static double polygon_area(RertPolygon p)
{
    double a = 0.0;
    for (size_t i = 0; i < p.count; i++) {
        const RertVec3 *u = &p.points_mm[i];
        const RertVec3 *w = &p.points_mm[(i + 1) % p.count];
        a += u->x * w->y - w->x * u->y;
    }
    return fabs(a) / 2.0;
}

/* Every course-2 contour point lies on the course-1 surface seen through
 * the map; the neck outline is smaller than without the deformation. */
static void test_contours(void **state)
{
    (void)state;
    char path[600];
    (void)snprintf(path, sizeof path, "%s/course2/RS.dcm", case_dir);
    RertError err;
    RertStructureSet *ss = rert_structure_set_load(&err, path, NULL);
    assert_non_null(ss);
    assert_int_equal(rert_structure_set_roi_count(ss), 11);
    for (unsigned s = 0; s < RERT_PHANTOM_PTV_ELECTIVE; s++) {
        char buf[32];
        const char *name = rert_phantom_structure_name(
            &case_options, 2, (RertPhantomStructure)s, buf, sizeof buf);
        const RertRoi *roi = rert_structure_set_roi_by_name(ss, name);
        assert_non_null(roi);
        assert_true(rert_roi_contour_count(roi) > 0);
        double worst = 0.0;
        for (size_t c = 0; c < rert_roi_contour_count(roi); c++) {
            RertPolygon p = rert_roi_contour(roi, c, NULL);
            for (size_t q = 0; q < p.count; q++) {
                RertVec3 x1 = doc_map(&case_options, p.points_mm[q]);
                worst = fmax(worst, fabs(rert_phantom_structure_sdf_mm(
                                        NULL, 2, (RertPhantomStructure)s,
                                        rigid_course2_point(x1))));
            }
        }
        /* As in the rigid case (0.2 mm at the mandible's corners), in
         * course-1 mm: up to 1.3 times course-2 mm. */
        if (worst > 0.26) {
            print_error("%s: a contour point is %.3f mm off the deformed "
                        "surface\n",
                        name, worst);
            fail();
        }
    }
    /* BODY on the slice at z = -28.5 mm: area below the rigid case's. */
    const RertRoi *body = rert_structure_set_roi_by_name(ss, "BODY");
    double area = 0.0;
    for (size_t c = 0; c < rert_roi_contour_count(body); c++) {
        RertPolygon p = rert_roi_contour(body, c, NULL);
        if (fabs(p.points_mm[0].z + 28.5) < 1e-6) {
            area += polygon_area(p);
        }
    }
    /* The rigid outline: an ellipse of semi-axes 60 x 60 at this height,
     * area pi 60^2 (within the small tilt). */
    double rigid_area = 3.14159265358979 * 60.0 * 60.0;
    print_message("  neck area %.0f mm^2 (rigid %.0f)\n", area, rigid_area);
    assert_true(area < 0.9 * rigid_area && area > 0.75 * rigid_area);
    rert_structure_set_destroy(ss);
}

/* The course-2 dose follows the deformed anatomy: the model at every
 * voxel, 95 % of the prescription on the course-2 PTV contour, the cord
 * spared. */
static void test_dose(void **state)
{
    (void)state;
    char path[600];
    (void)snprintf(path, sizeof path, "%s/course2/RD.dcm", case_dir);
    RertError err;
    RertDose *dose = rert_dose_load(&err, path, NULL);
    assert_non_null(dose);
    const RertVolume *v = rert_dose_volume(dose);
    const RertGridGeometry *g = rert_volume_geometry(v);
    const float *data = rert_volume_data_const(v);
    double worst = 0.0;
    for (size_t n = 0; n < rert_grid_voxel_count(g); n += 7) {
        size_t i = n % g->dims[0];
        size_t j = n / g->dims[0] % g->dims[1];
        size_t k = n / (g->dims[0] * g->dims[1]);
        RertVec3 x = rert_grid_ijk_to_xyz(
            g, (RertVec3){(double)i, (double)j, (double)k});
        double want = rert_phantom_dose_gy(&case_options, 2, x);
        worst = fmax(worst, fabs((double)data[n] - want) - 1e-6 * want);
    }
    rert_assert_near(worst, 0.0, rert_dose_grid_scaling(dose), 0);
    rert_dose_destroy(dose);
    (void)snprintf(path, sizeof path, "%s/course2/RS.dcm", case_dir);
    RertStructureSet *ss = rert_structure_set_load(&err, path, NULL);
    assert_non_null(ss);
    const RertRoi *ptv = rert_structure_set_roi_by_name(ss, "PTV_60");
    assert_non_null(ptv);
    for (size_t c = 0; c < rert_roi_contour_count(ptv); c++) {
        RertPolygon p = rert_roi_contour(ptv, c, NULL);
        for (size_t q = 0; q < p.count; q += 8) {
            double d = rert_phantom_dose_gy(&case_options, 2, p.points_mm[q]);
            assert_true(d > 0.95 * 60.0 - 0.2 && d < 60.0);
        }
    }
    const RertRoi *cord = rert_structure_set_roi_by_name(ss, "SpinalCord");
    for (size_t c = 0; c < rert_roi_contour_count(cord); c++) {
        RertPolygon p = rert_roi_contour(cord, c, NULL);
        for (size_t q = 0; q < p.count; q += 8) {
            double d = rert_phantom_dose_gy(&case_options, 2, p.points_mm[q]);
            assert_true(d <= case_options.courses[1].cord_cap_gy + 0.5);
        }
    }
    rert_structure_set_destroy(ss);
}

/* Volume (cc) of the cord, inside both CT z ranges, where the summed
 * physical dose of the tissue reaches @p gy: on a 0.4 mm grid of its own,
 * each course's dose taken through the public evaluators and the full
 * mapping. */
static double hot_cord_cc(double gy)
{
    const double h = 0.4;
    size_t hot = 0;
    for (double z = -100.0; z <= 52.0; z += h) {
        RertVec3 axis = rert_phantom_cord_center_mm(z);
        for (double y = axis.y - 6.0; y <= axis.y + 6.0; y += h) {
            for (double x = -6.0; x <= 6.0; x += h) {
                RertVec3 x1 = {x, y, z};
                RertVec3 x2 =
                    rert_phantom_course1_to_course2_point(&case_options, x1);
                if (fabs(z) > 88.5 || fabs(x2.z) > 88.5 ||
                    rert_phantom_structure_sdf_mm(
                        &case_options, 1, RERT_PHANTOM_SPINAL_CORD, x1) > 0.0) {
                    continue;
                }
                double sum = rert_phantom_dose_gy(&case_options, 1, x1) +
                             rert_phantom_dose_gy(&case_options, 2, x2);
                hot += sum >= gy;
            }
        }
    }
    return (double)hot * h * h * h / 1000.0;
}

static const cJSON *json_at(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_non_null(item);
    return item;
}

/* truth.json holds the deformation; the cord truth goes through the full
 * mapping. */
static void test_truth(void **state)
{
    (void)state;
    char path[600];
    (void)snprintf(path, sizeof path, "%s/truth.json", case_dir);
    RertBytes bytes;
    RertError err;
    assert_true(rert_file_load(&err, path, 1 << 20, &bytes));
    cJSON *root = cJSON_ParseWithLength((const char *)bytes.data, bytes.size);
    rert_bytes_clear(&bytes);
    assert_non_null(root);
    const cJSON *def =
        json_at(json_at(root, "course2_to_course1"), "deformation");
    rert_assert_near(json_at(def, "peak_mm")->valuedouble, PEAK_MM, 0, 0);
    rert_assert_near(json_at(def, "inner_radius_mm")->valuedouble, 25.0, 0, 0);
    rert_assert_near(json_at(def, "outer_radius_mm")->valuedouble, 80.0, 0, 0);
    const cJSON *fade = json_at(def, "fade_z_mm");
    rert_assert_near(cJSON_GetArrayItem(fade, 0)->valuedouble, 30.0, 0, 0);
    rert_assert_near(cJSON_GetArrayItem(fade, 1)->valuedouble, 60.0, 0, 0);
    assert_true(cJSON_IsString(json_at(def, "formula")));
    const cJSON *sum = json_at(root, "cord_cumulative");
    double max = json_at(sum, "eqd2_max_gy")->valuedouble;
    double d003 = json_at(sum, "eqd2_d003cc_gy")->valuedouble;
    rert_assert_near(d003, case_truth.cord_sum_eqd2_d003cc_gy, 1e-6, 0);
    assert_true(d003 < max && d003 > 0.85 * max);
    double pmax = json_at(sum, "physical_max_gy")->valuedouble;
    double pd003 = json_at(sum, "physical_d003cc_gy")->valuedouble;
    assert_true(pd003 < pmax && pd003 > 0.85 * pmax);
    rert_assert_near(hot_cord_cc(pd003), 0.03, 0.01, 0);
    cJSON_Delete(root);
    rert_assert_near(case_truth.deformation_mm, PEAK_MM, 0, 0);
    /* The course-2 cord maximum point shows the recorded course-1 point
     * through the full map, and holds the recorded dose. */
    const RertPhantomCourseTruth *t = &case_truth.courses[1];
    RertVec3 x1 = doc_map(&case_options, t->cord_max_xyz_mm);
    rert_assert_near(dist(x1, t->cord_max_course1_xyz_mm), 0.0, 1e-9, 0);
    rert_assert_near(rert_phantom_dose_gy(&case_options, 2, t->cord_max_xyz_mm),
                     t->cord_max_gy, 1e-9, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_formula),
        cmocka_unit_test(test_inverse),
        cmocka_unit_test(test_jacobian),
        cmocka_unit_test(test_displacement_fill),
        cmocka_unit_test(test_ct),
        cmocka_unit_test(test_contours),
        cmocka_unit_test(test_dose),
        cmocka_unit_test(test_truth),
    };
    return cmocka_run_group_tests(tests, write_case, NULL);
}
