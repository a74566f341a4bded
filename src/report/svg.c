/* Cumulative DVH plot as a standalone SVG 1.1 document: volume (%) against
 * dose (Gy), grid, ticks, legend, constraint markers; all text escaped. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Plot frame in viewBox units (680 x 440 = 170 mm x 110 mm at 4/mm). */
#define VIEW_W 680.0
#define VIEW_H 440.0
#define PLOT_X0 64.0
#define PLOT_X1 470.0
#define PLOT_Y0 36.0
#define PLOT_Y1 380.0
#define LEGEND_X 484.0
#define LEGEND_ROW 16.0
#define LEGEND_CHARS 24
#define MARKER_CHARS 30

typedef struct Svg {
    RertError *err;
    RertStrbuf *sb;
    bool ok;
    double dose_max; /* x axis end */
} Svg;

static void put(Svg *o, const char *fmt, ...) RERT_PRINTF(2, 3);

static void put(Svg *o, const char *fmt, ...)
{
    char buf[512];
    if (!o->ok) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        o->ok = rert_error_set(o->err, RERT_ERR_INTERNAL,
                               "SVG: element text over %zu bytes", sizeof buf);
        return;
    }
    o->ok = rert_strbuf_append(o->err, o->sb, buf, (size_t)n);
}

static void put_text(Svg *o, const char *text, size_t max_chars)
{
    if (o->ok) {
        o->ok = report_xml_escape_truncated(o->err, o->sb, text, max_chars);
    }
}

/* Coordinate text with two decimals, locale independent. */
static const char *fx(char buf[32], double v)
{
    report_format_fixed(buf, 32, v, 2);
    return buf;
}

static double x_of(const Svg *o, double dose)
{
    return PLOT_X0 + dose / o->dose_max * (PLOT_X1 - PLOT_X0);
}

static double y_of(double volume_pct)
{
    return PLOT_Y1 - volume_pct / 100.0 * (PLOT_Y1 - PLOT_Y0);
}

static double data_dose_max(const RertDvhPlot *p)
{
    double m = 0.0;
    for (size_t c = 0; c < p->curve_count; c++) {
        for (size_t i = 0; i < p->curves[c].count; i++) {
            double d = p->curves[c].dose_gy[i];
            m = isfinite(d) && d > m ? d : m;
        }
    }
    for (size_t k = 0; k < p->marker_count; k++) {
        double d = p->markers[k].dose_gy;
        m = isfinite(d) && d > m ? d : m;
    }
    return m;
}

/* A line; @p attrs (may be "") goes inside the element. Each coordinate
 * has its own buffer, as fx() returns the buffer it is given. */
static void
put_line(Svg *o, double x1, double y1, double x2, double y2, const char *attrs)
{
    char a[32];
    char b[32];
    char c[32];
    char d[32];
    put(o, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"%s/>\n", fx(a, x1),
        fx(b, y1), fx(c, x2), fx(d, y2), attrs);
}

/* Text at (x, y) with extra attributes; the content is @p text escaped. */
static void put_label(Svg *o,
                      double x,
                      double y,
                      const char *attrs,
                      const char *text,
                      size_t max_chars)
{
    char a[32];
    char b[32];
    put(o, "<text x=\"%s\" y=\"%s\"%s>", fx(a, x), fx(b, y), attrs);
    put_text(o, text, max_chars);
    put(o, "</text>\n");
}

static void axes(Svg *o, const RertDvhPlot *p)
{
    int decimals = 0;
    double step = report_nice_step(o->dose_max, 8.0, &decimals);
    size_t dose_ticks = (size_t)floor(o->dose_max / step + 1e-9) + 1;
    put(o, "<g stroke=\"#d0d0d0\" stroke-width=\"0.8\">\n");
    for (int k = 0; k <= 10; k++) {
        double y = y_of(10.0 * k);
        put_line(o, PLOT_X0, y, PLOT_X1, y, "");
    }
    for (size_t k = 0; k < dose_ticks; k++) {
        double x = x_of(o, step * (double)k);
        put_line(o, x, PLOT_Y0, x, PLOT_Y1, "");
    }
    put(o, "</g>\n<g font-size=\"11\" fill=\"#202020\">\n");
    for (int k = 0; k <= 10; k++) {
        char label[32];
        report_format_fixed(label, sizeof label, 10.0 * k, 0);
        put_label(o, PLOT_X0 - 6, y_of(10.0 * k) + 4, " text-anchor=\"end\"",
                  label, 8);
    }
    for (size_t k = 0; k < dose_ticks; k++) {
        char label[32];
        report_format_fixed(label, sizeof label, step * (double)k, decimals);
        put_label(o, x_of(o, step * (double)k), PLOT_Y1 + 16,
                  " text-anchor=\"middle\"", label, 12);
    }
    put(o,
        "</g>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
        "height=\"%.0f\" fill=\"none\" stroke=\"#202020\" "
        "stroke-width=\"1.2\"/>\n",
        PLOT_X0, PLOT_Y0, PLOT_X1 - PLOT_X0, PLOT_Y1 - PLOT_Y0);
    put_label(o, 0.5 * (PLOT_X0 + PLOT_X1), PLOT_Y1 + 40,
              " font-size=\"13\" text-anchor=\"middle\"",
              p->x_label != NULL ? p->x_label : "Dose (Gy)", 60);
    put(o, "<g transform=\"rotate(-90 18 %.0f)\">\n",
        0.5 * (PLOT_Y0 + PLOT_Y1));
    put_label(o, 18, 0.5 * (PLOT_Y0 + PLOT_Y1),
              " font-size=\"13\" text-anchor=\"middle\"",
              p->y_label != NULL ? p->y_label : "Volume (%)", 60);
    put(o, "</g>\n");
}

static void curve_path(Svg *o, const RertPlotCurve *c)
{
    char a[32];
    char b[32];
    put(o,
        "<path fill=\"none\" stroke=\"#%02x%02x%02x\" stroke-width=\"1.8\"%s"
        " clip-path=\"url(#rert-dvh-plot)\" d=\"",
        c->rgb[0], c->rgb[1], c->rgb[2],
        c->is_dashed ? " stroke-dasharray=\"6 4\"" : "");
    bool pen_down = false;
    for (size_t i = 0; i < c->count; i++) {
        double d = c->dose_gy[i];
        double v = c->volume_pct[i];
        if (!isfinite(d) || !isfinite(v)) {
            pen_down = false;
            continue;
        }
        put(o, "%s %s %s ", pen_down ? "L" : "M", fx(a, x_of(o, d)),
            fx(b, y_of(v)));
        pen_down = true;
    }
    put(o, "\"/>\n");
}

static void markers(Svg *o, const RertDvhPlot *p)
{
    char a[32];
    char b[32];
    for (size_t k = 0; k < p->marker_count; k++) {
        const RertPlotMarker *m = &p->markers[k];
        if (!isfinite(m->dose_gy)) {
            continue;
        }
        double x = x_of(o, m->dose_gy);
        put(o,
            "<g stroke=\"#%02x%02x%02x\" fill=\"#%02x%02x%02x\" "
            "clip-path=\"url(#rert-dvh-plot)\">\n",
            m->rgb[0], m->rgb[1], m->rgb[2], m->rgb[0], m->rgb[1], m->rgb[2]);
        put_line(o, x, PLOT_Y0, x, PLOT_Y1,
                 " stroke-width=\"1.2\" stroke-dasharray=\"2 3\"");
        if (isfinite(m->volume_pct)) {
            put(o, "<path d=\"M %s %s l 5 5 l -5 5 l -5 -5 z\"/>\n", fx(a, x),
                fx(b, y_of(m->volume_pct) - 5));
        }
        if (m->label != NULL) {
            put_label(o, x + 3, PLOT_Y0 + 12 + 12 * (double)(k % 8),
                      " font-size=\"10\" stroke=\"none\"", m->label,
                      MARKER_CHARS);
        }
        put(o, "</g>\n");
    }
}

static void legend(Svg *o, const RertDvhPlot *p)
{
    char a[32];
    size_t rows = (size_t)((VIEW_H - PLOT_Y0 - 8) / LEGEND_ROW);
    put(o, "<g font-size=\"11\" fill=\"#202020\">\n");
    for (size_t c = 0; c < p->curve_count; c++) {
        double y = PLOT_Y0 + 8 + LEGEND_ROW * (double)c;
        if (c + 1 == rows && p->curve_count > rows) {
            put(o, "<text x=\"%.0f\" y=\"%s\">... %zu more</text>\n", LEGEND_X,
                fx(a, y + 4), p->curve_count - c);
            break;
        }
        const RertPlotCurve *cv = &p->curves[c];
        char attrs[96];
        (void)snprintf(attrs, sizeof attrs,
                       " stroke=\"#%02x%02x%02x\" stroke-width=\"2\"%s",
                       cv->rgb[0], cv->rgb[1], cv->rgb[2],
                       cv->is_dashed ? " stroke-dasharray=\"6 4\"" : "");
        put_line(o, LEGEND_X, y, LEGEND_X + 24, y, attrs);
        put_label(o, LEGEND_X + 30, y + 4, "", cv->name != NULL ? cv->name : "",
                  LEGEND_CHARS);
    }
    put(o, "</g>\n");
}

static bool validate(RertError *err, const RertDvhPlot *p)
{
    if ((p->curve_count > 0 && p->curves == NULL) ||
        (p->marker_count > 0 && p->markers == NULL)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH plot: curve or marker count given with a "
                              "NULL array");
    }
    for (size_t c = 0; c < p->curve_count; c++) {
        const RertPlotCurve *cv = &p->curves[c];
        if (cv->count > 0 && (cv->dose_gy == NULL || cv->volume_pct == NULL)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "DVH plot: curve %zu has %zu points and a "
                                  "NULL dose or volume array",
                                  c, cv->count);
        }
    }
    bool bad_max = !isnan(p->dose_max_gy) &&
                   !(isfinite(p->dose_max_gy) && p->dose_max_gy > 0);
    if (bad_max) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH plot: dose axis end %g Gy, expected a "
                              "finite value > 0 or NaN (automatic)",
                              p->dose_max_gy);
    }
    return true;
}

void rert_dvh_plot_init(RertDvhPlot *plot)
{
    memset(plot, 0, sizeof *plot);
    plot->x_label = "Dose (Gy)";
    plot->y_label = "Volume (%)";
    plot->dose_max_gy = (double)NAN;
}

bool rert_dvh_plot_write_svg(RertError *err,
                             const RertDvhPlot *plot,
                             RertStrbuf *out)
{
    if (plot == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DVH plot: NULL plot or output");
    }
    if (!validate(err, plot)) {
        return false;
    }
    Svg o = {err, out, true, plot->dose_max_gy};
    if (isnan(o.dose_max)) {
        double m = data_dose_max(plot);
        int decimals = 0;
        double step = report_nice_step(m > 0 ? m : 1.0, 8.0, &decimals);
        o.dose_max = step * ceil((m > 0 ? m : 1.0) / step - 1e-9);
    }
    put(&o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
        "width=\"170mm\" height=\"110mm\" viewBox=\"0 0 %.0f %.0f\" "
        "font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\">\n",
        VIEW_W, VIEW_H);
    put(&o, "<title>");
    put_text(&o, plot->title != NULL ? plot->title : "DVH", 120);
    put(&o,
        "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
        "<defs><clipPath id=\"rert-dvh-plot\"><rect x=\"%.0f\" y=\"%.0f\" "
        "width=\"%.0f\" height=\"%.0f\"/></clipPath></defs>\n",
        PLOT_X0, PLOT_Y0, PLOT_X1 - PLOT_X0, PLOT_Y1 - PLOT_Y0);
    if (plot->title != NULL) {
        put(&o,
            "<text x=\"%.0f\" y=\"22\" font-size=\"14\" "
            "font-weight=\"bold\">",
            PLOT_X0);
        put_text(&o, plot->title, 80);
        put(&o, "</text>\n");
    }
    axes(&o, plot);
    for (size_t c = 0; c < plot->curve_count; c++) {
        curve_path(&o, &plot->curves[c]);
    }
    markers(&o, plot);
    legend(&o, plot);
    put(&o, "</svg>\n");
    return o.ok;
}
