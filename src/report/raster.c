/* Drawing on 8-bit RGB images: rectangles, thick lines, bitmap text,
 * marching-squares iso-lines, and the dose colour map. */
#include <math.h>
#include <string.h>

#include "internal.h"

bool rert_rgb_image_init(RertError *err,
                         RertRgbImage *image,
                         size_t width,
                         size_t height)
{
    memset(image, 0, sizeof *image);
    if (width == 0 || height == 0 || width > RERT_IMAGE_MAX_SIDE ||
        height > RERT_IMAGE_MAX_SIDE) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "image of %zu x %zu pixels, expected each side "
                              "1..%d",
                              width, height, RERT_IMAGE_MAX_SIDE);
    }
    size_t pixels = width * height; /* both <= 8192: no overflow */
    uint8_t *rgb = rert_calloc(err, pixels, 3);
    if (rgb == NULL) {
        return false;
    }
    image->width = width;
    image->height = height;
    image->rgb = rgb;
    return true;
}

void rert_rgb_image_clear(RertRgbImage *image)
{
    if (image == NULL) {
        return;
    }
    rert_free(image->rgb);
    memset(image, 0, sizeof *image);
}

/* Turbo (Mikhailov 2019, Google AI blog "Turbo, an improved rainbow
 * colormap"), sampled from its published polynomial approximation (Ruofei
 * Du, Apache-2.0) at 17 evenly spaced points of the sub-range 0.10..0.92:
 * the darkest blues and reds of the full map are left out so that low and
 * high doses stay visible over CT. Linear interpolation between entries. */
static const uint8_t dose_colours[17][3] = {
    {73, 88, 221},  /* turbo(0.1000) */
    {61, 124, 247}, /* turbo(0.1512) */
    {46, 159, 244}, /* turbo(0.2025) */
    {38, 191, 223}, /* turbo(0.2538) */
    {40, 218, 192}, /* turbo(0.3050) */
    {55, 238, 158}, /* turbo(0.3563) */
    {82, 250, 126}, /* turbo(0.4075) */
    {118, 254, 98}, /* turbo(0.4587) */
    {158, 249, 76}, /* turbo(0.5100) */
    {197, 235, 59}, /* turbo(0.5613) */
    {231, 214, 47}, /* turbo(0.6125) */
    {254, 186, 39}, /* turbo(0.6638) */
    {255, 152, 33}, /* turbo(0.7150) */
    {255, 116, 27}, /* turbo(0.7662) */
    {236, 80, 21},  /* turbo(0.8175) */
    {205, 48, 13},  /* turbo(0.8688) */
    {171, 24, 4},   /* turbo(0.9200) */
};

void rert_colormap_dose(double t, uint8_t rgb[3])
{
    if (!(t > 0.0)) {
        t = 0.0; /* also NaN */
    }
    if (t > 1.0) {
        t = 1.0;
    }
    const size_t last = sizeof dose_colours / sizeof dose_colours[0] - 1;
    double pos = t * (double)last;
    size_t i = (size_t)pos;
    if (i >= last) {
        i = last - 1;
    }
    double f = pos - (double)i;
    for (size_t c = 0; c < 3; c++) {
        double v = (1.0 - f) * dose_colours[i][c] + f * dose_colours[i + 1][c];
        rgb[c] = (uint8_t)lround(v);
    }
}

static void
put_pixel(RertRgbImage *img, int64_t x, int64_t y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || (uint64_t)x >= img->width ||
        (uint64_t)y >= img->height) {
        return;
    }
    uint8_t *p = img->rgb + ((size_t)y * img->width + (size_t)x) * 3;
    p[0] = rgb[0];
    p[1] = rgb[1];
    p[2] = rgb[2];
}

void report_fill_rect(RertRgbImage *img,
                      int64_t x,
                      int64_t y,
                      int64_t w,
                      int64_t h,
                      const uint8_t rgb[3])
{
    int64_t x0 = x < 0 ? 0 : x;
    int64_t y0 = y < 0 ? 0 : y;
    int64_t x1 = x + w;
    int64_t y1 = y + h;
    if (x1 > (int64_t)img->width) {
        x1 = (int64_t)img->width;
    }
    if (y1 > (int64_t)img->height) {
        y1 = (int64_t)img->height;
    }
    for (int64_t yy = y0; yy < y1; yy++) {
        for (int64_t xx = x0; xx < x1; xx++) {
            put_pixel(img, xx, yy, rgb);
        }
    }
}

void report_draw_line(RertRgbImage *img,
                      double x0,
                      double y0,
                      double x1,
                      double y1,
                      int thickness,
                      const uint8_t rgb[3])
{
    double span = fmax(fabs(x1 - x0), fabs(y1 - y0));
    if (!isfinite(span) || span > 4.0 * RERT_IMAGE_MAX_SIDE) {
        return; /* nothing sensible to draw */
    }
    size_t steps = (size_t)ceil(span) + 1;
    int64_t half = (int64_t)(thickness - 1) / 2;
    for (size_t s = 0; s <= steps; s++) {
        double f = (double)s / (double)steps;
        int64_t x = (int64_t)lround(x0 + f * (x1 - x0));
        int64_t y = (int64_t)lround(y0 + f * (y1 - y0));
        report_fill_rect(img, x - half, y - half, thickness, thickness, rgb);
    }
}

/* The next character of @p text (UTF-8 aware: a multi-byte or invalid
 * sequence is one character drawn as '?'); advances *i. */
static unsigned char next_char(const char *text, size_t n, size_t *i)
{
    uint32_t cp = 0;
    size_t len = report_utf8_decode((const uint8_t *)text + *i, n - *i, &cp);
    *i += len == 0 ? 1 : len;
    return len == 1 ? (unsigned char)cp : (unsigned char)'?';
}

int64_t report_text_width(const char *text, int scale)
{
    size_t n = strlen(text);
    size_t i = 0;
    int64_t chars = 0;
    while (i < n) {
        (void)next_char(text, n, &i);
        chars++;
    }
    return chars == 0 ? 0 : (chars * REPORT_CELL_W - 1) * scale;
}

static void draw_glyph(RertRgbImage *img,
                       int64_t x,
                       int64_t y,
                       const uint8_t rows[REPORT_GLYPH_H],
                       int scale,
                       const uint8_t rgb[3])
{
    for (int64_t r = 0; r < REPORT_GLYPH_H; r++) {
        for (int64_t c = 0; c < REPORT_GLYPH_W; c++) {
            if ((rows[r] >> (REPORT_GLYPH_W - 1 - c)) & 1U) {
                report_fill_rect(img, x + c * scale, y + r * scale, scale,
                                 scale, rgb);
            }
        }
    }
}

void report_draw_text(RertRgbImage *img,
                      int64_t x,
                      int64_t y,
                      const char *text,
                      int scale,
                      const uint8_t rgb[3],
                      bool has_outline)
{
    static const uint8_t black[3] = {0, 0, 0};
    size_t n = strlen(text);
    size_t i = 0;
    int64_t cx = x;
    while (i < n) {
        uint8_t rows[REPORT_GLYPH_H];
        report_glyph_rows(next_char(text, n, &i), rows);
        if (has_outline) {
            for (int64_t dy = -1; dy <= 1; dy++) {
                for (int64_t dx = -1; dx <= 1; dx++) {
                    draw_glyph(img, cx + dx, y + dy, rows, scale, black);
                }
            }
        }
        draw_glyph(img, cx, y, rows, scale, rgb);
        cx += (int64_t)REPORT_CELL_W * scale;
    }
}

/* Crossing point on the cell edge from corner (xa, ya) value va to corner
 * (xb, yb) value vb. */
static void edge_point(double xa,
                       double ya,
                       double va,
                       double xb,
                       double yb,
                       double vb,
                       double level,
                       double out[2])
{
    double t = (level - va) / (vb - va);
    out[0] = xa + t * (xb - xa);
    out[1] = ya + t * (yb - ya);
}

/* One cell with corners a (x, y), b (x+1, y), c (x+1, y+1), d (x, y+1). */
static void cell_isolines(const double v[4],
                          double x,
                          double y,
                          double level,
                          ReportSegmentFn fn,
                          void *user)
{
    bool in[4];
    for (size_t k = 0; k < 4; k++) {
        in[k] = v[k] >= level;
    }
    /* Edges top (a-b), right (b-c), bottom (d-c), left (a-d). */
    static const size_t ends[4][2] = {{0, 1}, {1, 2}, {3, 2}, {0, 3}};
    static const double cx[4] = {0, 1, 1, 0};
    static const double cy[4] = {0, 0, 1, 1};
    double pts[4][2];
    size_t crossed[4];
    size_t count = 0;
    for (size_t e = 0; e < 4; e++) {
        size_t p = ends[e][0];
        size_t q = ends[e][1];
        if (in[p] != in[q]) {
            edge_point(x + cx[p], y + cy[p], v[p], x + cx[q], y + cy[q], v[q],
                       level, pts[e]);
            crossed[count++] = e;
        }
    }
    if (count == 2) {
        fn(user, pts[crossed[0]][0], pts[crossed[0]][1], pts[crossed[1]][0],
           pts[crossed[1]][1]);
    } else if (count == 4) {
        /* Saddle: the corners whose side differs from the cell mean's are
         * cut off. Corner a cut: top-left and right-bottom pairs. */
        bool centre_in = (v[0] + v[1] + v[2] + v[3]) / 4.0 >= level;
        bool cut_a = in[0] != centre_in;
        size_t pair_second = cut_a ? 3 : 1; /* partner of the top edge */
        size_t other_first = cut_a ? 1 : 2;
        size_t other_second = cut_a ? 2 : 3;
        fn(user, pts[0][0], pts[0][1], pts[pair_second][0],
           pts[pair_second][1]);
        fn(user, pts[other_first][0], pts[other_first][1], pts[other_second][0],
           pts[other_second][1]);
    }
}

void report_isolines(const float *values,
                     size_t width,
                     size_t height,
                     double level,
                     ReportSegmentFn fn,
                     void *user)
{
    for (size_t j = 0; j + 1 < height; j++) {
        for (size_t i = 0; i + 1 < width; i++) {
            const float *row = values + j * width + i;
            double v[4] = {(double)row[0], (double)row[1],
                           (double)row[width + 1], (double)row[width]};
            if (isnan(v[0]) || isnan(v[1]) || isnan(v[2]) || isnan(v[3])) {
                continue;
            }
            cell_isolines(v, (double)i, (double)j, level, fn, user);
        }
    }
}
