/* Dose wash over CT: gray CT (window/level), alpha-blended dose colours,
 * marching-squares isodose lines, structure outlines, orientation letters,
 * a labelled colour bar and a legend (docs/report.md). */
#include <math.h>
#include <string.h>

#include "internal.h"

#define MAX_SCALE 16U
#define AUTO_TARGET_PX 384U
#define AUTO_MAX_SCALE 8U
#define PANEL_MIN_HEIGHT 200

static const uint8_t background[3] = {24, 24, 24};
static const uint8_t white[3] = {255, 255, 255};
static const uint8_t light[3] = {220, 220, 220};

void rert_wash_init(RertWash *wash)
{
    memset(wash, 0, sizeof *wash);
    wash->window_center_hu = 40.0;
    wash->window_width_hu = 400.0;
    wash->dose_min_gy = (double)NAN;
    wash->dose_max_gy = (double)NAN;
    wash->alpha = 0.45;
    wash->has_colour_bar = true;
    wash->dose_unit = "Gy";
}

/* Sizes and places, all in output pixels. */
typedef struct Layout {
    int64_t scale; /* output pixels per slice pixel */
    int font;      /* font scale */
    int line;      /* line thickness */
    int64_t top;   /* title strip height; the slice starts below it */
    int64_t img_w; /* slice area */
    int64_t img_h;
    int64_t panel_w; /* colour bar panel right of the slice */
    int64_t legend_h;
    int64_t total_w;
    int64_t total_h;
    bool has_wash;
    double dmin;
    double dmax;
    double tick_step;
    double tick_first; /* index of the first tick: value tick_first * step */
    size_t tick_count;
    int tick_decimals;
} Layout;

static bool validate_overlays(RertError *err, const RertWash *w)
{
    if ((w->isodose_count > 0 && w->isodose_gy == NULL) ||
        (w->polygon_count > 0 && w->polygons == NULL) ||
        (w->mask_count > 0 && w->masks == NULL)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "dose wash: isodose, polygon or mask count "
                              "given with a NULL array");
    }
    for (size_t i = 0; i < w->isodose_count; i++) {
        if (!isfinite(w->isodose_gy[i])) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "dose wash: isodose level %zu is not "
                                  "finite",
                                  i);
        }
    }
    for (size_t i = 0; i < w->polygon_count; i++) {
        if (w->polygons[i].count > 0 && w->polygons[i].points_px == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "dose wash: polygon %zu has %zu points "
                                  "and a NULL array",
                                  i, w->polygons[i].count);
        }
    }
    for (size_t i = 0; i < w->mask_count; i++) {
        if (w->masks[i].fraction == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "dose wash: mask %zu has no fraction "
                                  "array",
                                  i);
        }
    }
    return true;
}

static bool validate(RertError *err, const RertWash *w)
{
    if (w->width == 0 || w->height == 0 || w->width > RERT_IMAGE_MAX_SIDE ||
        w->height > RERT_IMAGE_MAX_SIDE || w->scale > MAX_SCALE) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "dose wash: slice %zu x %zu with scale %u, "
                              "expected sides 1..%d and scale 0..%u",
                              w->width, w->height, w->scale,
                              RERT_IMAGE_MAX_SIDE, MAX_SCALE);
    }
    if (!(w->alpha >= 0.0 && w->alpha <= 1.0) ||
        !isfinite(w->window_center_hu) || !isfinite(w->window_width_hu) ||
        w->window_width_hu <= 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "dose wash: alpha %g, window %g/%g HU; "
                              "expected alpha 0..1, finite window, width > 0",
                              w->alpha, w->window_center_hu,
                              w->window_width_hu);
    }
    bool bad_min = !isnan(w->dose_min_gy) && !isfinite(w->dose_min_gy);
    bool bad_max = !isnan(w->dose_max_gy) && !isfinite(w->dose_max_gy);
    bool inverted = isfinite(w->dose_min_gy) && isfinite(w->dose_max_gy) &&
                    w->dose_max_gy <= w->dose_min_gy;
    if (bad_min || bad_max || inverted) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "dose wash: dose range %g..%g Gy, expected "
                              "finite values (or NaN for automatic) with "
                              "max > min",
                              w->dose_min_gy, w->dose_max_gy);
    }
    return validate_overlays(err, w);
}

static double slice_max(const RertWash *w)
{
    double m = 0.0;
    size_t n = w->width * w->height;
    for (size_t i = 0; i < n; i++) {
        double d = (double)w->dose_gy[i];
        if (d > m && isfinite(d)) {
            m = d;
        }
    }
    return m;
}

static void dose_range(const RertWash *w, Layout *l)
{
    l->has_wash = false;
    if (w->dose_gy == NULL) {
        return;
    }
    l->dmax = isnan(w->dose_max_gy) ? slice_max(w) : w->dose_max_gy;
    l->dmin = isnan(w->dose_min_gy) ? 0.1 * l->dmax : w->dose_min_gy;
    if (!(l->dmax > l->dmin)) {
        return; /* no dose on this slice and no fixed scale */
    }
    l->has_wash = true;
    l->tick_step = report_nice_step(l->dmax - l->dmin, 7.0, &l->tick_decimals);
    l->tick_first = ceil(l->dmin / l->tick_step - 1e-9);
    double last = floor(l->dmax / l->tick_step + 1e-9);
    l->tick_count =
        last >= l->tick_first ? (size_t)(last - l->tick_first) + 1 : 0;
}

/* Value of tick @p k. */
static double tick_value(const Layout *l, size_t k)
{
    return (l->tick_first + (double)k) * l->tick_step;
}

/* Tick label text for value @p v. */
static void tick_label(const Layout *l, double v, char buf[32])
{
    report_format_fixed(buf, 32, v, l->tick_decimals);
}

static int64_t panel_width(const RertWash *w, const Layout *l)
{
    if (!l->has_wash || !w->has_colour_bar) {
        return 0;
    }
    int64_t widest =
        report_text_width(w->dose_unit ? w->dose_unit : "", l->font);
    for (size_t k = 0; k < l->tick_count; k++) {
        char buf[32];
        tick_label(l, tick_value(l, k), buf);
        int64_t tw = report_text_width(buf, l->font);
        widest = tw > widest ? tw : widest;
    }
    return 12 + 10 * (int64_t)l->font + 6 * (int64_t)l->font + widest + 12;
}

/* Legend entries (named overlays) laid out in rows across @p total_w;
 * returns the height, drawing them when @p img is not NULL. */
static int64_t legend(RertRgbImage *img,
                      const RertWash *w,
                      const Layout *l,
                      int64_t top,
                      int64_t total_w)
{
    int64_t row_h = REPORT_CELL_H * (int64_t)l->font + 8;
    int64_t swatch = 8 * (int64_t)l->font;
    int64_t x = 8;
    int64_t y = top + 6;
    bool any = false;
    size_t n = w->mask_count + w->polygon_count;
    if (img != NULL) {
        report_fill_rect(img, 0, top, total_w, l->legend_h, background);
    }
    for (size_t i = 0; i < n; i++) {
        bool is_mask = i < w->mask_count;
        const char *name =
            is_mask ? w->masks[i].name : w->polygons[i - w->mask_count].name;
        const uint8_t *rgb =
            is_mask ? w->masks[i].rgb : w->polygons[i - w->mask_count].rgb;
        if (name == NULL) {
            continue;
        }
        int64_t entry = swatch + 6 + report_text_width(name, l->font) + 16;
        if (any && x + entry > total_w) {
            x = 8;
            y += row_h;
        }
        if (img != NULL) {
            report_fill_rect(img, x, y + 2, swatch, swatch, rgb);
            report_draw_text(img, x + swatch + 6, y, name, l->font, light,
                             false);
        }
        x += entry;
        any = true;
    }
    return any ? y + row_h - top + 2 : 0;
}

static bool make_layout(RertError *err, const RertWash *w, Layout *l)
{
    memset(l, 0, sizeof *l);
    size_t longer = w->width > w->height ? w->width : w->height;
    unsigned scale = w->scale;
    if (scale == 0) {
        scale = (unsigned)((AUTO_TARGET_PX + longer - 1) / longer);
        scale =
            scale < 1 ? 1 : (scale > AUTO_MAX_SCALE ? AUTO_MAX_SCALE : scale);
    }
    l->scale = scale;
    l->img_w = (int64_t)(w->width * scale);
    l->img_h = (int64_t)(w->height * scale);
    l->font = l->img_h >= 256 ? 2 : 1;
    l->line = scale >= 3 ? 2 : 1;
    dose_range(w, l);
    l->panel_w = panel_width(w, l);
    l->total_w = l->img_w + l->panel_w;
    l->top = w->title != NULL ? REPORT_CELL_H * (int64_t)l->font + 10 : 0;
    int64_t body_h = l->img_h;
    if (l->panel_w > 0 && body_h < PANEL_MIN_HEIGHT) {
        body_h = PANEL_MIN_HEIGHT;
    }
    body_h += l->top;
    l->legend_h = legend(NULL, w, l, body_h, l->total_w);
    l->total_h = body_h + l->legend_h;
    if (l->total_w > RERT_IMAGE_MAX_SIDE || l->total_h > RERT_IMAGE_MAX_SIDE) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "dose wash: picture of %lld x %lld pixels, "
                              "limit %d per side (lower the scale)",
                              (long long)l->total_w, (long long)l->total_h,
                              RERT_IMAGE_MAX_SIDE);
    }
    return true;
}

static uint8_t gray_level(const RertWash *w, double hu)
{
    double lo = w->window_center_hu - 0.5 * w->window_width_hu;
    double g = (hu - lo) / w->window_width_hu;
    if (!(g > 0.0)) {
        return 0; /* also NaN */
    }
    return g >= 1.0 ? 255 : (uint8_t)lround(g * 255.0);
}

/* Colour of slice pixel @p idx: CT gray with the dose colour blended. */
static void
pixel_colour(const RertWash *w, const Layout *l, size_t idx, uint8_t rgb[3])
{
    uint8_t g = w->ct_hu != NULL ? gray_level(w, (double)w->ct_hu[idx]) : 0;
    rgb[0] = rgb[1] = rgb[2] = g;
    if (!l->has_wash) {
        return;
    }
    double d = (double)w->dose_gy[idx];
    if (!(d >= l->dmin)) {
        return; /* below the threshold, or NaN: CT only */
    }
    uint8_t c[3];
    rert_colormap_dose((d - l->dmin) / (l->dmax - l->dmin), c);
    for (size_t k = 0; k < 3; k++) {
        double v = (1.0 - w->alpha) * g + w->alpha * c[k];
        rgb[k] = (uint8_t)lround(v);
    }
}

static void draw_slice(RertRgbImage *img, const RertWash *w, const Layout *l)
{
    for (size_t r = 0; r < w->height; r++) {
        for (size_t c = 0; c < w->width; c++) {
            uint8_t rgb[3];
            pixel_colour(w, l, r * w->width + c, rgb);
            report_fill_rect(img, (int64_t)c * l->scale,
                             l->top + (int64_t)r * l->scale, l->scale, l->scale,
                             rgb);
        }
    }
}

typedef struct SegmentPen {
    RertRgbImage *img;
    double scale;
    double top;
    int thickness;
    const uint8_t *rgb;
} SegmentPen;

/* Slice pixel coordinate (centres at integers) to output pixels. */
static double to_output(double v, double scale)
{
    return (v + 0.5) * scale - 0.5;
}

static void pen_segment(void *user, double x0, double y0, double x1, double y1)
{
    const SegmentPen *pen = user;
    report_draw_line(
        pen->img, to_output(x0, pen->scale),
        pen->top + to_output(y0, pen->scale), to_output(x1, pen->scale),
        pen->top + to_output(y1, pen->scale), pen->thickness, pen->rgb);
}

static void draw_overlays(RertRgbImage *img, const RertWash *w, const Layout *l)
{
    SegmentPen pen = {img, (double)l->scale, (double)l->top, l->line, NULL};
    for (size_t i = 0; l->has_wash && i < w->isodose_count; i++) {
        uint8_t rgb[3];
        rert_colormap_dose((w->isodose_gy[i] - l->dmin) / (l->dmax - l->dmin),
                           rgb);
        pen.rgb = rgb;
        report_isolines(w->dose_gy, w->width, w->height, w->isodose_gy[i],
                        pen_segment, &pen);
    }
    for (size_t i = 0; i < w->mask_count; i++) {
        pen.rgb = w->masks[i].rgb;
        report_isolines(w->masks[i].fraction, w->width, w->height, 0.5,
                        pen_segment, &pen);
    }
    for (size_t i = 0; i < w->polygon_count; i++) {
        const RertOverlayPolygon *p = &w->polygons[i];
        pen.rgb = p->rgb;
        for (size_t k = 0; p->count > 1 && k < p->count; k++) {
            size_t next = (k + 1) % p->count;
            pen_segment(&pen, p->points_px[2 * k], p->points_px[2 * k + 1],
                        p->points_px[2 * next], p->points_px[2 * next + 1]);
        }
    }
}

/* Orientation letters at the middle of each edge, and the title. */
static void draw_labels(RertRgbImage *img, const RertWash *w, const Layout *l)
{
    int64_t f = l->font;
    int64_t text_h = REPORT_GLYPH_H * f;
    int64_t m = 4 + f;
    int64_t mid_y = l->top + (l->img_h - text_h) / 2;
    const char *const *e = w->edge_labels;
    static const uint8_t orient[3] = {255, 230, 120};
    if (e[0] != NULL) {
        int64_t tw = report_text_width(e[0], l->font);
        report_draw_text(img, (l->img_w - tw) / 2, l->top + m, e[0], l->font,
                         orient, true);
    }
    if (e[1] != NULL) {
        int64_t tw = report_text_width(e[1], l->font);
        report_draw_text(img, (l->img_w - tw) / 2,
                         l->top + l->img_h - m - text_h, e[1], l->font, orient,
                         true);
    }
    if (e[2] != NULL) {
        report_draw_text(img, m, mid_y, e[2], l->font, orient, true);
    }
    if (e[3] != NULL) {
        int64_t tw = report_text_width(e[3], l->font);
        report_draw_text(img, l->img_w - m - tw, mid_y, e[3], l->font, orient,
                         true);
    }
    if (w->title != NULL) {
        report_draw_text(img, m, (l->top - text_h) / 2, w->title, l->font,
                         white, false);
    }
}

static void
draw_colour_bar(RertRgbImage *img, const RertWash *w, const Layout *l)
{
    int64_t f = l->font;
    int64_t x = l->img_w + 12;
    int64_t bar_w = 10 * f;
    int64_t top = l->top + 10 + REPORT_CELL_H * f + 8;
    int64_t bottom = (l->total_h - l->legend_h) - 10 - REPORT_GLYPH_H * f / 2;
    double span = l->dmax - l->dmin;
    /* Repaint the panel first: it also clips outlines that left the slice. */
    report_fill_rect(img, l->img_w, l->top, l->panel_w,
                     l->total_h - l->legend_h - l->top, background);
    report_draw_text(img, x, l->top + 10, w->dose_unit ? w->dose_unit : "",
                     l->font, white, false);
    for (int64_t y = top; y <= bottom; y++) {
        uint8_t rgb[3];
        rert_colormap_dose((double)(bottom - y) / (double)(bottom - top), rgb);
        report_fill_rect(img, x, y, bar_w, 1, rgb);
    }
    for (size_t k = 0; k < l->tick_count; k++) {
        double v = tick_value(l, k);
        int64_t y = bottom - (int64_t)lround((v - l->dmin) / span *
                                             (double)(bottom - top));
        char buf[32];
        tick_label(l, v, buf);
        report_fill_rect(img, x + bar_w, y, 4 * f, f, white);
        report_draw_text(img, x + bar_w + 6 * f, y - REPORT_GLYPH_H * f / 2,
                         buf, l->font, light, false);
    }
    for (size_t i = 0; i < w->isodose_count; i++) {
        double t = (w->isodose_gy[i] - l->dmin) / span;
        if (t >= 0.0 && t <= 1.0) {
            int64_t y = bottom - (int64_t)lround(t * (double)(bottom - top));
            report_fill_rect(img, x - 4, y - f / 2, bar_w + 4, f, white);
        }
    }
}

bool rert_wash_render(RertError *err, const RertWash *wash, RertRgbImage *out)
{
    if (wash == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "dose wash: NULL description or output");
    }
    memset(out, 0, sizeof *out);
    Layout l;
    if (!validate(err, wash) || !make_layout(err, wash, &l)) {
        return false;
    }
    RertRgbImage img;
    if (!rert_rgb_image_init(err, &img, (size_t)l.total_w, (size_t)l.total_h)) {
        return false;
    }
    report_fill_rect(&img, 0, 0, l.total_w, l.total_h, background);
    draw_slice(&img, wash, &l);
    draw_overlays(&img, wash, &l);
    /* Clip outlines that left the slice below it (panel: see colour bar). */
    report_fill_rect(&img, 0, 0, l.total_w, l.top, background);
    report_fill_rect(&img, 0, l.top + l.img_h, l.img_w,
                     l.total_h - l.legend_h - l.top - l.img_h, background);
    if (l.panel_w > 0) {
        draw_colour_bar(&img, wash, &l);
    }
    draw_labels(&img, wash, &l);
    (void)legend(&img, wash, &l, l.total_h - l.legend_h, l.total_w);
    *out = img;
    return true;
}
