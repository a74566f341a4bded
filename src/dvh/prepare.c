/* DVH engine, preparation of one ROI: polygon checks, contour planes,
 * slabs with end caps, exact even-odd areas, adaptive sub-sampling. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>

#include "internal.h"

typedef struct ZIndex {
    double z;
    size_t index;
} ZIndex;

bool dvh_warn(RertError *err, DvhRoiWork *w, const char *fmt, ...)
{
    if (w->warning_count >= DVH_MAX_WARNINGS) {
        return true;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *copy = rert_strdup(err, buf);
    if (copy == NULL) {
        return false;
    }
    w->warnings[w->warning_count++] = copy;
    return true;
}

void dvh_roi_work_clear(DvhRoiWork *w)
{
    rert_free(w->order);
    rert_free(w->planes);
    rert_free(w->sample);
    rert_free(w->spare);
    for (size_t i = 0; i < w->warning_count; i++) {
        rert_free(w->warnings[i]);
    }
    memset(w, 0, sizeof *w);
}

static bool roi_fail(DvhRoiWork *w, RertErrorCode code, const char *fmt, ...)
    RERT_PRINTF(3, 4);

static bool roi_fail(DvhRoiWork *w, RertErrorCode code, const char *fmt, ...)
{
    char buf[RERT_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    w->failed = true;
    rert_error_set(&w->error, code, "%s", buf);
    return true; /* not a global failure */
}

static double polygon_signed_area(const RertPolygon *p)
{
    double sum = 0.0;
    for (size_t i = 0; i < p->count; i++) {
        const RertVec3 *a = &p->points_mm[i];
        const RertVec3 *b = &p->points_mm[(i + 1) % p->count];
        sum += a->x * b->y - b->x * a->y;
    }
    return 0.5 * sum;
}

/* Sum of |triangle areas| of the fan from point 0: zero only when all
 * points are collinear (a self-intersecting polygon still counts). */
static double polygon_fan_area(const RertPolygon *p)
{
    double sum = 0.0;
    const RertVec3 *o = &p->points_mm[0];
    for (size_t i = 1; i + 1 < p->count; i++) {
        const RertVec3 *a = &p->points_mm[i];
        const RertVec3 *b = &p->points_mm[i + 1];
        sum +=
            fabs((a->x - o->x) * (b->y - o->y) - (b->x - o->x) * (a->y - o->y));
    }
    return 0.5 * sum;
}

/* Even-odd point-in-polygon test (half-open in y, like the sampler). */
static bool polygon_contains(const RertPolygon *p, double x, double y)
{
    bool inside = false;
    for (size_t i = 0, j = p->count - 1; i < p->count; j = i++) {
        const RertVec3 *a = &p->points_mm[i];
        const RertVec3 *b = &p->points_mm[j];
        if ((a->y <= y) != (b->y <= y)) {
            double xc = a->x + (y - a->y) / (b->y - a->y) * (b->x - a->x);
            if (x < xc) {
                inside = !inside;
            }
        }
    }
    return inside;
}

/* Checks one polygon: 1 = usable, 0 = ignored (counted), -1 = ROI error. */
static int check_polygon(DvhRoiWork *w,
                         size_t i,
                         size_t *few,
                         size_t *flat,
                         size_t *first_few,
                         size_t *first_flat)
{
    const RertPolygon *p = &w->polygons[i];
    if (p->points_mm == NULL || p->count < 3) {
        *first_few = *few == 0 ? i : *first_few;
        (*few)++;
        return 0;
    }
    double z0 = p->points_mm[0].z;
    for (size_t k = 0; k < p->count; k++) {
        const RertVec3 *q = &p->points_mm[k];
        if (!isfinite(q->x) || !isfinite(q->y) || !isfinite(q->z)) {
            roi_fail(w, RERT_ERR_PARSE,
                     "contour %zu point %zu: coordinates (%g, %g, %g) mm, "
                     "expected finite numbers",
                     i, k, q->x, q->y, q->z);
            return -1;
        }
        if (fabs(q->z - z0) > DVH_Z_TOLERANCE_MM) {
            roi_fail(w, RERT_ERR_GEOMETRY,
                     "contour %zu is not on a plane of constant z: point %zu "
                     "has z = %g mm, point 0 has z = %g mm (tolerance %g mm)",
                     i, k, q->z, z0, DVH_Z_TOLERANCE_MM);
            return -1;
        }
    }
    if (!(polygon_fan_area(p) >= DVH_MIN_AREA_MM2)) {
        *first_flat = *flat == 0 ? i : *first_flat;
        (*flat)++;
        return 0;
    }
    return 1;
}

static int compare_z(const void *a, const void *b)
{
    const ZIndex *p = a;
    const ZIndex *q = b;
    if (p->z != q->z) {
        return p->z < q->z ? -1 : 1;
    }
    return p->index < q->index ? -1 : (p->index > q->index ? 1 : 0);
}

/* Usable polygons sorted by z into w->order. */
static bool collect_polygons(RertError *err, DvhRoiWork *w)
{
    ZIndex *zi = rert_calloc(err, w->count == 0 ? 1 : w->count, sizeof *zi);
    w->order = rert_calloc(err, w->count == 0 ? 1 : w->count, sizeof(size_t));
    if (zi == NULL || w->order == NULL) {
        rert_free(zi);
        return false;
    }
    size_t few = 0;
    size_t flat = 0;
    size_t first_few = 0;
    size_t first_flat = 0;
    for (size_t i = 0; i < w->count && !w->failed; i++) {
        int r = check_polygon(w, i, &few, &flat, &first_few, &first_flat);
        if (r == 1) {
            zi[w->usable].z = w->polygons[i].points_mm[0].z;
            zi[w->usable].index = i;
            w->usable++;
        }
    }
    qsort(zi, w->usable, sizeof *zi, compare_z);
    for (size_t i = 0; i < w->usable; i++) {
        w->order[i] = zi[i].index;
    }
    rert_free(zi);
    bool ok = true;
    if (few > 0) {
        ok = dvh_warn(err, w,
                      "%zu contour(s) with fewer than 3 points ignored "
                      "(first: contour %zu)",
                      few, first_few);
    }
    if (ok && flat > 0) {
        ok = dvh_warn(err, w,
                      "%zu contour(s) of zero area ignored (first: contour "
                      "%zu)",
                      flat, first_flat);
    }
    if (ok && !w->failed && w->usable == 0) {
        roi_fail(w, RERT_ERR_GEOMETRY,
                 "no closed contour with at least 3 points and a non-zero "
                 "area (%zu contour(s) given)",
                 w->count);
    }
    return ok;
}

static double order_z(const DvhRoiWork *w, size_t k)
{
    return w->polygons[w->order[k]].points_mm[0].z;
}

/* Group polygons whose z lie within the tolerance of a plane's first z. */
static bool group_planes(RertError *err, DvhRoiWork *w)
{
    size_t n = 0;
    for (size_t k = 0; k < w->usable; k++) {
        if (k == 0 || order_z(w, k) - order_z(w, k - 1) > DVH_Z_TOLERANCE_MM) {
            n++;
        }
    }
    w->planes = rert_calloc(err, n, sizeof *w->planes);
    if (w->planes == NULL) {
        return false;
    }
    w->plane_count = n;
    size_t p = 0;
    for (size_t k = 0; k < w->usable; k++) {
        if (k > 0 && order_z(w, k) - order_z(w, k - 1) <= DVH_Z_TOLERANCE_MM) {
            w->planes[p - 1].count++;
            continue;
        }
        w->planes[p].first = k;
        w->planes[p].count = 1;
        w->planes[p].z_mm = order_z(w, k);
        p++;
    }
    return true;
}

static int compare_double(const void *a, const void *b)
{
    double p = *(const double *)a;
    double q = *(const double *)b;
    return p < q ? -1 : (p > q ? 1 : 0);
}

/* Median spacing between consecutive planes (0 with one plane). */
static bool median_spacing(RertError *err, const DvhRoiWork *w, double *out)
{
    *out = 0.0;
    if (w->plane_count < 2) {
        return true;
    }
    size_t n = w->plane_count - 1;
    double *g = rert_calloc(err, n, sizeof *g);
    if (g == NULL) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        g[k] = w->planes[k + 1].z_mm - w->planes[k].z_mm;
    }
    qsort(g, n, sizeof *g, compare_double);
    *out = n % 2 == 1 ? g[n / 2] : 0.5 * (g[n / 2 - 1] + g[n / 2]);
    rert_free(g);
    return true;
}

/* Spacing of a structure with one contour plane: the given thickness, or
 * one dose voxel along z; noted in a warning. */
static bool single_plane_spacing(RertError *err,
                                 DvhRoiWork *w,
                                 const DvhDoseInfo *dose,
                                 const RertDvhOptions *o,
                                 double *nominal)
{
    *nominal = o->single_plane_thickness_mm > 0.0 ? o->single_plane_thickness_mm
                                                  : dose->sz_mm;
    return dvh_warn(err, w, "one contour plane only: slab thickness %g mm (%s)",
                    o->end_caps == RERT_DVH_END_CAPS_NONE ? 0.0 : *nominal,
                    o->single_plane_thickness_mm > 0.0
                        ? "as given"
                        : "one dose voxel along z");
}

/* Slab of plane k: half-way to its neighbours; on a side that is open (a
 * spacing over limit, or no neighbour), an end cap of half the plane's
 * other spacing (nominal when both sides are open) or, without caps,
 * none. Returns whether the spacing above k is a gap between planes. */
static bool
set_slab(DvhRoiWork *w, size_t k, double limit, double nominal, bool caps)
{
    DvhPlane *p = &w->planes[k];
    double below = k > 0 ? p->z_mm - w->planes[k - 1].z_mm : HUGE_VAL;
    double above =
        k + 1 < w->plane_count ? w->planes[k + 1].z_mm - p->z_mm : HUGE_VAL;
    bool below_open = below > limit;
    bool above_open = above > limit;
    double cap_base = !above_open ? above : (!below_open ? below : nominal);
    double cap_top = !below_open ? below : (!above_open ? above : nominal);
    p->zlo_mm =
        p->z_mm - (below_open ? (caps ? 0.5 * cap_base : 0.0) : 0.5 * below);
    p->zhi_mm =
        p->z_mm + (above_open ? (caps ? 0.5 * cap_top : 0.0) : 0.5 * above);
    return k + 1 < w->plane_count && above_open;
}

/* Fitted end profile at end plane e whose neighbours n1 = e + dir and
 * n2 = e + 2 dir lie at closed spacings: when the areas grow strictly
 * from e inwards (A_e < A_1 < A_2), the area between e and n1 is modelled
 * as A(s) = A_e + (A_1 - A_e) (s / d1)^p, s the distance from e, with p
 * fitted to A_2 at s = d1 + d2 and kept in [DVH_END_POWER_MIN,
 * DVH_END_POWER_MAX]. The interval then holds d1 (A_e p + A_1) / (p + 1),
 * which the two prisms hold when their common boundary lies d1 / (p + 1)
 * from n1 (half-way for p = 1: a linear profile). p = 2 for a cone's
 * apex, about 1 for a sphere's pole, about 1/2 for a cylinder lying in
 * the plane. */
static void fit_end(DvhRoiWork *w, size_t e, int dir, double limit)
{
    size_t n1 = dir > 0 ? e + 1 : e - 1;
    size_t n2 = dir > 0 ? e + 2 : e - 2;
    const DvhPlane *pe = &w->planes[e];
    const DvhPlane *p1 = &w->planes[n1];
    const DvhPlane *p2 = &w->planes[n2];
    double d1 = fabs(p1->z_mm - pe->z_mm);
    double d2 = fabs(p2->z_mm - p1->z_mm);
    if (!(d1 <= limit && d2 <= limit && pe->area_mm2 < p1->area_mm2 &&
          p1->area_mm2 < p2->area_mm2)) {
        return;
    }
    double ratio =
        (p2->area_mm2 - pe->area_mm2) / (p1->area_mm2 - pe->area_mm2);
    double p = log(ratio) / log((d1 + d2) / d1);
    p = fmin(fmax(p, DVH_END_POWER_MIN), DVH_END_POWER_MAX);
    double boundary = p1->z_mm - (double)dir * d1 / (p + 1.0);
    if (dir > 0) {
        w->planes[e].zhi_mm = boundary;
        w->planes[n1].zlo_mm = boundary;
    } else {
        w->planes[e].zlo_mm = boundary;
        w->planes[n1].zhi_mm = boundary;
    }
}

/* fit_end() at every end plane (outermost, or beside a gap) that has two
 * neighbours inwards. */
static void fit_ends(DvhRoiWork *w, double limit)
{
    size_t n = w->plane_count;
    for (size_t k = 0; n >= 3 && k < n; k++) {
        bool below_open =
            k == 0 || w->planes[k].z_mm - w->planes[k - 1].z_mm > limit;
        bool above_open =
            k + 1 == n || w->planes[k + 1].z_mm - w->planes[k].z_mm > limit;
        if (below_open && !above_open && k + 2 < n) {
            fit_end(w, k, 1, limit);
        }
        if (above_open && !below_open && k >= 2) {
            fit_end(w, k, -1, limit);
        }
    }
}

/* Slab of each plane (set_slab()), gaps wider than DVH_GAP_FACTOR times
 * the median plane spacing noted in a warning. */
static bool set_slabs(RertError *err,
                      DvhRoiWork *w,
                      const DvhDoseInfo *dose,
                      const RertDvhOptions *o)
{
    double nominal;
    if (!median_spacing(err, w, &nominal)) {
        return false;
    }
    if (w->plane_count == 1 &&
        !single_plane_spacing(err, w, dose, o, &nominal)) {
        return false;
    }
    double limit = DVH_GAP_FACTOR * nominal;
    bool caps = o->end_caps == RERT_DVH_END_CAPS_HALF;
    size_t gaps = 0;
    for (size_t k = 0; k < w->plane_count; k++) {
        gaps += set_slab(w, k, limit, nominal, caps) ? 1 : 0;
    }
    if (o->end_profile == RERT_DVH_END_PROFILE_FITTED) {
        fit_ends(w, limit);
    }
    if (gaps > 0) {
        return dvh_warn(err, w,
                        "%zu gap(s) wider than %g x the median plane spacing "
                        "(%g mm): the planes beside each gap get end caps",
                        gaps, DVH_GAP_FACTOR, nominal);
    }
    return true;
}

/* Even-odd area of one plane: |area| of each polygon, subtracted when it
 * lies inside an odd number of the plane's other polygons. */
static double plane_area(const DvhRoiWork *w, const DvhPlane *p)
{
    double total = 0.0;
    for (size_t a = 0; a < p->count; a++) {
        const RertPolygon *pa = &w->polygons[w->order[p->first + a]];
        RertVec3 v = pa->points_mm[0];
        bool inside = false;
        for (size_t b = 0; b < p->count; b++) {
            const RertPolygon *pb = &w->polygons[w->order[p->first + b]];
            if (b != a && polygon_contains(pb, v.x, v.y)) {
                inside = !inside;
            }
        }
        double area = fabs(polygon_signed_area(pa));
        total += inside ? -area : area;
    }
    return total;
}

/* Sub-layers of a slab for m layers per dose voxel along z. */
static double slab_layers(const DvhPlane *p,
                          const DvhDoseInfo *dose,
                          unsigned m,
                          unsigned max_layers)
{
    double layers = ceil((p->zhi_mm - p->zlo_mm) / (dose->sz_mm / m) - 1e-9);
    return fmin(fmax(layers, 1.0), (double)max_layers);
}

/* Samples that in-plane factor n and z factor m would give (estimated
 * from the areas). */
static double estimate_samples(const DvhRoiWork *w,
                               const DvhDoseInfo *dose,
                               unsigned n,
                               unsigned m,
                               unsigned max_layers)
{
    double cell = dose->sx_mm * dose->sy_mm / ((double)n * (double)n);
    double total = 0.0;
    for (size_t k = 0; k < w->plane_count; k++) {
        const DvhPlane *p = &w->planes[k];
        total += p->area_mm2 / cell * slab_layers(p, dose, m, max_layers);
    }
    return total;
}

/* The in-plane factor n: 1, then even factors only (cell edges then fall
 * on the dose voxel centres and edges, where contour points often lie,
 * rather than cell centres, which would bias the centroid), the smallest
 * that reaches the target with as many layers per voxel (m = n); then the
 * z factor m is lowered while the target is still met, so that the count
 * does not overshoot by the n^3 step. */
static void choose_subsamples(DvhRoiWork *w,
                              const DvhDoseInfo *dose,
                              const RertDvhOptions *o)
{
    double target = (double)o->target_samples;
    unsigned n = 1;
    while (n < o->max_subsamples &&
           estimate_samples(w, dose, n, n, o->max_layers) < target) {
        n = n == 1 ? 2 : n + 2;
    }
    n = n < o->max_subsamples ? n : o->max_subsamples;
    unsigned m = n;
    while (m > 1 &&
           estimate_samples(w, dose, n, m - 1, o->max_layers) >= target) {
        m--;
    }
    w->subsamples = n;
    w->z_subsamples = m;
}

/* Rows crossed by an edge from y0 to y1 (half-open at the top). */
static void
edge_rows(const DvhGrid *g, double ya, double yb, int64_t *r0, int64_t *r1)
{
    double lo = fmin(ya, yb);
    double hi = fmax(ya, yb);
    *r0 = (int64_t)ceil((lo - g->y0_mm) / g->hy_mm - 0.5);
    *r1 = (int64_t)ceil((hi - g->y0_mm) / g->hy_mm - 0.5);
}

/* Rows and crossing counts of one plane, with a guard on the extent. */
static bool plane_extent(DvhRoiWork *w, DvhPlane *p, double max_samples)
{
    double ylo = HUGE_VAL;
    double yhi = -HUGE_VAL;
    double xlo = HUGE_VAL;
    double xhi = -HUGE_VAL;
    for (size_t a = 0; a < p->count; a++) {
        const RertPolygon *pa = &w->polygons[w->order[p->first + a]];
        for (size_t i = 0; i < pa->count; i++) {
            ylo = fmin(ylo, pa->points_mm[i].y);
            yhi = fmax(yhi, pa->points_mm[i].y);
            xlo = fmin(xlo, pa->points_mm[i].x);
            xhi = fmax(xhi, pa->points_mm[i].x);
        }
    }
    double rows = (yhi - ylo) / w->grid.hy_mm + 2.0;
    double cols = (xhi - xlo) / w->grid.hx_mm + 2.0;
    if (!(rows * cols * (double)p->layers <= max_samples) ||
        !(fabs(ylo) < 1e12 && fabs(yhi) < 1e12)) {
        roi_fail(w, RERT_ERR_LIMIT,
                 "contour plane z = %g mm spans %g x %g mm, which needs "
                 "more than the %g samples allowed per ROI",
                 p->z_mm, xhi - xlo, yhi - ylo, max_samples);
        return false;
    }
    int64_t r0;
    int64_t r1;
    edge_rows(&w->grid, ylo, yhi, &r0, &r1);
    p->row0 = r0;
    p->rows = r1 > r0 ? (size_t)(r1 - r0) : 0;
    double crossings = 0.0;
    for (size_t a = 0; a < p->count; a++) {
        const RertPolygon *pa = &w->polygons[w->order[p->first + a]];
        for (size_t i = 0; i < pa->count; i++) {
            size_t j = (i + 1) % pa->count;
            edge_rows(&w->grid, pa->points_mm[i].y, pa->points_mm[j].y, &r0,
                      &r1);
            crossings += (double)(r1 - r0);
        }
    }
    if (!(crossings <= max_samples)) {
        roi_fail(w, RERT_ERR_LIMIT,
                 "contour plane z = %g mm: %g edge crossings exceed the "
                 "limit of %g",
                 p->z_mm, crossings, max_samples);
        return false;
    }
    p->crossings = (size_t)crossings;
    return true;
}

static void
set_grid(DvhRoiWork *w, const DvhDoseInfo *dose, const RertDvhOptions *o)
{
    unsigned n = w->subsamples;
    w->grid.hx_mm = dose->sx_mm / n;
    w->grid.hy_mm = dose->sy_mm / n;
    w->grid.x0_mm = dose->x0_mm;
    w->grid.y0_mm = dose->y0_mm;
    for (size_t k = 0; k < w->plane_count && !w->failed; k++) {
        DvhPlane *p = &w->planes[k];
        double thick = p->zhi_mm - p->zlo_mm;
        double layers = slab_layers(p, dose, w->z_subsamples, o->max_layers);
        p->layers = (size_t)layers;
        p->weight_cc =
            w->grid.hx_mm * w->grid.hy_mm * (thick / layers) / 1000.0;
        (void)plane_extent(w, p, (double)o->max_samples);
    }
}

bool dvh_roi_prepare(RertError *err,
                     DvhRoiWork *w,
                     const DvhDoseInfo *dose,
                     const RertDvhOptions *options)
{
    if (!collect_polygons(err, w)) {
        return false;
    }
    if (w->failed) {
        return true;
    }
    if (!group_planes(err, w)) {
        return false;
    }
    for (size_t k = 0; k < w->plane_count; k++) {
        w->planes[k].area_mm2 = fmax(plane_area(w, &w->planes[k]), 0.0);
    }
    if (!set_slabs(err, w, dose, options)) {
        return false;
    }
    double contour_mm3 = 0.0;
    for (size_t k = 0; k < w->plane_count; k++) {
        const DvhPlane *p = &w->planes[k];
        contour_mm3 += p->area_mm2 * (p->zhi_mm - p->zlo_mm);
    }
    w->contour_cc = contour_mm3 / 1000.0;
    choose_subsamples(w, dose, options);
    set_grid(w, dose, options);
    return true;
}

/* Alignment of the sample grid to the dose grid. */
bool dvh_dose_info(RertError *err, const RertVolume *dose, DvhDoseInfo *out)
{
    if (dose == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "DVH: NULL dose");
    }
    const RertGridGeometry *g = rert_volume_geometry(dose);
    memset(out, 0, sizeof *out);
    out->geometry = g;
    out->data = rert_volume_data_const(dose);
    const double *d = g->direction;
    const double tol = 1e-6;
    bool i_is_x = fabs(fabs(d[0]) - 1.0) < tol && fabs(fabs(d[4]) - 1.0) < tol;
    bool i_is_y = fabs(fabs(d[1]) - 1.0) < tol && fabs(fabs(d[3]) - 1.0) < tol;
    bool k_is_z = fabs(fabs(d[8]) - 1.0) < tol;
    out->is_axis_aligned = (i_is_x || i_is_y) && k_is_z;
    if (out->is_axis_aligned) {
        out->sx_mm = i_is_x ? g->spacing_mm[0] : g->spacing_mm[1];
        out->sy_mm = i_is_x ? g->spacing_mm[1] : g->spacing_mm[0];
        out->sz_mm = g->spacing_mm[2];
        out->x0_mm = g->origin_mm[0] - 0.5 * out->sx_mm;
        out->y0_mm = g->origin_mm[1] - 0.5 * out->sy_mm;
    } else {
        double s =
            fmin(fmin(g->spacing_mm[0], g->spacing_mm[1]), g->spacing_mm[2]);
        out->sx_mm = out->sy_mm = out->sz_mm = s;
        out->x0_mm = out->y0_mm = 0.0;
    }
    return true;
}
