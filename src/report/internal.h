/* Private declarations shared by the report module's files. */
#ifndef RERT_REPORT_INTERNAL_H
#define RERT_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/report.h>

/* ---- text.c */

/* Length (1..4) of the valid UTF-8 sequence at @p s (n >= 1 bytes) and its
 * code point; 0 when the first byte does not start a valid, complete,
 * shortest-form sequence of a scalar value. */
size_t report_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Append @p s truncated to at most @p max_chars code points (an invalid
 * byte counts as one), with "..." when cut, escaped for XML/HTML
 * attributes and text. */
bool report_xml_escape_truncated(RertError *err,
                                 RertStrbuf *sb,
                                 const char *s,
                                 size_t max_chars);

/* "%.*f" with '.' as the decimal point whatever the locale. */
void report_format_fixed(char *buf, size_t size, double value, int decimals);

/* A "nice" axis step (1, 2, 2.5 or 5 times a power of ten) giving about
 * @p target_ticks intervals over @p span (> 0); decimals needed to print
 * multiples of it in *decimals. */
double report_nice_step(double span, double target_ticks, int *decimals);

/* ---- font.c: built-in 5x7 bitmap font */

#define REPORT_GLYPH_W 5
#define REPORT_GLYPH_H 7
/* Advance per character and line height, in font pixels. */
#define REPORT_CELL_W 6
#define REPORT_CELL_H 9

/* The 7 rows of a glyph as 5-bit masks (bit 4 = leftmost column); '?' for
 * characters the font lacks. */
void report_glyph_rows(unsigned char c, uint8_t rows[REPORT_GLYPH_H]);

/* ---- raster.c: drawing on RertRgbImage (everything clipped) */

void report_fill_rect(RertRgbImage *img,
                      int64_t x,
                      int64_t y,
                      int64_t w,
                      int64_t h,
                      const uint8_t rgb[3]);
/* A line between points in image pixel coordinates (pixel centres at
 * integers), @p thickness pixels wide. */
void report_draw_line(RertRgbImage *img,
                      double x0,
                      double y0,
                      double x1,
                      double y1,
                      int thickness,
                      const uint8_t rgb[3]);
/* Width in image pixels of @p text at font scale @p scale (no trailing
 * gap). Bytes of multi-byte characters count once per character. */
int64_t report_text_width(const char *text, int scale);
/* Draw @p text with its top-left corner at (x, y); with @p has_outline a
 * one-pixel black outline keeps it readable over images. */
void report_draw_text(RertRgbImage *img,
                      int64_t x,
                      int64_t y,
                      const char *text,
                      int scale,
                      const uint8_t rgb[3],
                      bool has_outline);

/* Marching squares: call @p fn for each segment of the @p level iso-line of
 * the @p width x @p height grid @p values (pixel centres at integer
 * coordinates; inside means value >= level; cells with a NaN corner are
 * skipped; saddles resolved by the cell's mean). */
typedef void (*ReportSegmentFn)(
    void *user, double x0, double y0, double x1, double y1);
void report_isolines(const float *values,
                     size_t width,
                     size_t height,
                     double level,
                     ReportSegmentFn fn,
                     void *user);

#endif
