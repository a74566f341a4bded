/* report.html figures: cumulative and per-course DVHs (SVG) and dose
 * washes of the cumulative EQD2 over the planned CT through the hottest
 * point of the most critical organ (PNG, inline). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/report.h>

#include "internal.h"

#define F(call) ok = ok && (call)
#define MAX_CURVES 24

static const uint8_t palette[8][3] = {
    {31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
    {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {23, 190, 207}};

typedef struct Curves {
    RertPlotCurve curve[MAX_CURVES];
    double *dose[MAX_CURVES];
    double *volume[MAX_CURVES];
    char name[MAX_CURVES][96];
    size_t count;
} Curves;

static void curves_clear(Curves *c)
{
    for (size_t i = 0; i < c->count; i++) {
        rert_free(c->dose[i]);
        rert_free(c->volume[i]);
    }
    c->count = 0;
}

static bool add_curve(RertError *err,
                      Curves *c,
                      const RertVolume *dose,
                      const Roi *roi,
                      const char *label,
                      size_t colour,
                      bool dashed)
{
    if (c->count == MAX_CURVES) {
        return true;
    }
    size_t n = 0;
    const RertPolygon *poly = rert_roi_polygons(roi->roi, &n);
    RertDvh *d = rert_dvh_compute(err, dose, poly, n, NULL);
    if (d == NULL) {
        return false;
    }
    size_t i = c->count;
    size_t count = 0;
    bool ok = rert_dvh_curve_compute(err, d, 0.25, &c->dose[i], &c->volume[i],
                                     &count);
    double total = rert_dvh_volume_cc(d);
    rert_dvh_destroy(d);
    if (!ok) {
        return false;
    }
    for (size_t k = 0; k < count; k++) {
        c->volume[i][k] = total > 0.0 ? 100.0 * c->volume[i][k] / total : 0.0;
    }
    (void)snprintf(c->name[i], sizeof c->name[i], "%s %s", roi->name, label);
    RertPlotCurve *pc = &c->curve[i];
    pc->name = c->name[i];
    memcpy(pc->rgb, palette[colour % 8], 3);
    pc->is_dashed = dashed;
    pc->dose_gy = c->dose[i];
    pc->volume_pct = c->volume[i];
    pc->count = count;
    c->count++;
    return true;
}

/* Constrained organs first, then the other organ ROIs (non-target) by
 * decreasing cumulative Dmax, at most 8 curves' worth of organs. */
static size_t plotted_rois(const RertAssessment *a, const Roi **out)
{
    size_t n = 0;
    for (size_t r = 0; r < a->roi_count && n < 8; r++) {
        for (size_t i = 0; i < a->result_count; i++) {
            if (a->results[i].status != RERT_CONSTRAINT_NOT_EVALUATED &&
                strcmp(a->results[i].roi_name, a->rois[r].name) == 0) {
                out[n++] = &a->rois[r];
                break;
            }
        }
    }
    while (n < 8) {
        const Roi *best = NULL;
        double top = -1.0;
        for (size_t r = 0; r < a->roi_count; r++) {
            const Roi *roi = &a->rois[r];
            bool taken = roi->is_target || roi->organ == NULL;
            for (size_t k = 0; !taken && k < n; k++) {
                taken = out[k] == roi;
            }
            const Measure *m =
                taken ? NULL : assess_find_measure(a, roi, "Dmax", roi->ab_gy);
            if (m != NULL && isfinite(m->cumulative) && m->cumulative > top) {
                top = m->cumulative;
                best = roi;
            }
        }
        if (best == NULL) {
            break;
        }
        out[n++] = best;
    }
    return n;
}

static bool dvh_svg(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    const Roi *rois[8];
    size_t n = plotted_rois(a, rois);
    Curves c;
    memset(&c, 0, sizeof c);
    bool ok = true;
    for (size_t r = 0; ok && r < n; r++) {
        F(add_curve(err, &c, a->cumulative_map, rois[r], "cumulative", r,
                    false));
        for (size_t k = 0; ok && k < a->course_count; k++) {
            if (a->courses[k].has_voxels) {
                F(add_curve(err, &c, a->courses[k].eqd2_map, rois[r],
                            a->courses[k].spec->name, r, true));
            }
        }
    }
    RertDvhPlot plot;
    rert_dvh_plot_init(&plot);
    plot.title = "EQD2 DVH: cumulative (solid) and per course (dashed)";
    plot.x_label = "EQD2 (Gy, per-structure alpha/beta)";
    plot.curves = c.curve;
    plot.curve_count = c.count;
    F(rert_strbuf_puts(err, sb, "<section><h2>Dose-volume histograms</h2>"));
    F(c.count == 0 || rert_dvh_plot_write_svg(err, &plot, sb));
    F(rert_strbuf_puts(err, sb, "</section>"));
    curves_clear(&c);
    return ok;
}

/* The ROI of the failing or closest-to-failing constraint (smallest
 * margin %), or NULL. */
static const Roi *critical_roi(const RertAssessment *a)
{
    double best = (double)INFINITY;
    const Roi *roi = NULL;
    for (size_t i = 0; i < a->result_count; i++) {
        const RertConstraintResult *r = &a->results[i];
        if (!isfinite(r->margin_pct) || r->margin_pct >= best) {
            continue;
        }
        for (size_t k = 0; k < a->roi_count; k++) {
            if (strcmp(a->rois[k].name, r->roi_name) == 0) {
                best = r->margin_pct;
                roi = &a->rois[k];
            }
        }
    }
    return roi;
}

/* Patient position of the hottest cumulative voxel inside @p roi (or of
 * the whole grid). */
static RertVec3 hottest(const RertAssessment *a, const Roi *roi)
{
    const float *d = rert_volume_data_const(a->cumulative_map);
    size_t n = rert_grid_voxel_count(&a->ref);
    size_t best = 0;
    float top = -1.0f;
    for (size_t i = 0; i < n; i++) {
        bool inside = roi == NULL || (double)roi->occupancy[i] >= 0.5;
        if (inside && d[i] > top) {
            top = d[i];
            best = i;
        }
    }
    size_t nx = a->ref.dims[0];
    size_t ny = a->ref.dims[1];
    size_t i = best % nx;
    size_t j = best / nx % ny;
    size_t k = best / (nx * ny);
    RertVec3 ijk = {(double)i, (double)j, (double)k};
    return rert_grid_ijk_to_xyz(&a->ref, ijk);
}

static bool wash_plane(RertError *err,
                       RertStrbuf *sb,
                       const RertAssessment *a,
                       RertPlaneKind kind,
                       RertVec3 point,
                       const RertVolume *mask,
                       const char *mask_name,
                       double dose_max)
{
    const RertVolume *ct = rert_image_series_volume(a->courses[a->planned].ct);
    RertPlane plane;
    if (!rert_plane_make(err, kind, rert_volume_geometry(ct), point, 0.0,
                         &plane)) {
        return false;
    }
    float *hu = rert_plane_sample(err, &plane, ct, -1000.0f);
    float *dose = rert_plane_sample(err, &plane, a->cumulative_map, 0.0f);
    float *occ =
        mask != NULL ? rert_plane_sample(err, &plane, mask, 0.0f) : NULL;
    bool ok = hu != NULL && dose != NULL && (mask == NULL || occ != NULL);
    const double levels[3] = {0.3 * dose_max, 0.6 * dose_max, 0.9 * dose_max};
    RertOverlayMask overlay = {occ, {255, 255, 255}, mask_name};
    RertWash w;
    rert_wash_init(&w);
    w.width = plane.width;
    w.height = plane.height;
    w.ct_hu = hu;
    w.dose_gy = dose;
    w.dose_max_gy = dose_max;
    w.isodose_gy = levels;
    w.isodose_count = 3;
    w.masks = occ != NULL ? &overlay : NULL;
    w.mask_count = occ != NULL ? 1 : 0;
    w.dose_unit = "Gy EQD2";
    w.title = rert_plane_kind_name(kind);
    memcpy(w.edge_labels, plane.edge_labels, sizeof w.edge_labels);
    RertRgbImage img;
    memset(&img, 0, sizeof img);
    RertBytes png = {NULL, 0};
    F(rert_wash_render(err, &w, &img));
    F(rert_png_encode(err, &img, &png));
    F(rert_strbuf_printf(err, sb,
                         "<figure><img alt=\"%s dose wash\" "
                         "src=\"data:image/png;base64,",
                         rert_plane_kind_name(kind)));
    F(rert_base64_encode(err, sb, png.data, png.size));
    F(rert_strbuf_printf(err, sb, "\"><figcaption>%s</figcaption></figure>",
                         rert_plane_kind_name(kind)));
    rert_bytes_clear(&png);
    rert_rgb_image_clear(&img);
    rert_free(hu);
    rert_free(dose);
    rert_free(occ);
    return ok;
}

static bool washes(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    const Roi *roi = critical_roi(a);
    RertVec3 point = hottest(a, roi);
    float lo = 0.0f;
    float hi = 0.0f;
    rert_volume_minmax(a->cumulative_map, &lo, &hi);
    RertVolume *mask = NULL;
    if (roi != NULL) {
        mask = rert_volume_create(err, &a->ref);
        if (mask == NULL) {
            return false;
        }
        memcpy(rert_volume_data(mask), roi->occupancy,
               rert_grid_voxel_count(&a->ref) * sizeof(float));
    }
    bool ok = rert_strbuf_printf(
        err, sb,
        "<section><h2>Cumulative EQD2 over the planned CT</h2><p>Planes "
        "through (%.1f, %.1f, %.1f) mm, the hottest point of %s; isodose "
        "lines at 30, 60 and 90 %% of the maximum %.1f Gy EQD2. The map "
        "uses each structure's own alpha/beta (the default elsewhere), so "
        "its maximum mixes alpha/beta values.</p>",
        point.x, point.y, point.z,
        roi != NULL ? "the most critical structure" : "the grid", (double)hi);
    if (roi != NULL) {
        F(rert_strbuf_puts(err, sb, "<p>Outlined: "));
        F(rert_html_escape_text(err, sb, roi->name));
        F(rert_strbuf_puts(err, sb, "</p>"));
    }
    const RertPlaneKind kinds[3] = {RERT_PLANE_AXIAL, RERT_PLANE_CORONAL,
                                    RERT_PLANE_SAGITTAL};
    for (size_t i = 0; ok && i < 3; i++) {
        F(wash_plane(err, sb, a, kinds[i], point, mask,
                     roi != NULL ? roi->name : NULL,
                     hi > 0.0f ? (double)hi : 1.0));
    }
    F(rert_strbuf_puts(err, sb, "</section>"));
    rert_volume_destroy(mask);
    return ok;
}

bool assess_html_figures(RertError *err,
                         RertStrbuf *sb,
                         const RertAssessment *a)
{
    return dvh_svg(err, sb, a) && washes(err, sb, a);
}
