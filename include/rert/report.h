/**
 * @file report.h
 * Output primitives the assessment report is built from: the one place for
 * text escaping (JSON, HTML, CSV, base64; style guide P8), a streaming JSON
 * writer, CT planes through a patient point, dose-wash pictures over CT
 * written as PNG, and an SVG DVH plot. Conventions (colour map, image
 * orientation, number formatting): docs/report.md.
 *
 * All text these functions emit is valid UTF-8. Input that is not becomes
 * U+FFFD, one per byte of an invalid or truncated sequence (overlong forms,
 * UTF-16 surrogates and code points above U+10FFFF are invalid), so the
 * output length stays bounded by 3 bytes per input byte plus the escapes.
 */
#ifndef RERT_REPORT_H
#define RERT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/error.h>
#include <rert/geometry.h>
#include <rert/io.h>

/* ---- text escaping ------------------------------------------------------ */

/**
 * Append @p n bytes of @p s to @p sb as a quoted JSON string (RFC 8259).
 * Escaped: '"' and '\\' as \" and \\; \b \f \n \r \t by name; other bytes
 * below 0x20 and 0x7F as \u00XX; '<', '>' and '&' as \u003c, \u003e and
 * \u0026 and U+2028/U+2029 as \u2028/\u2029, so the text can sit inside an
 * HTML script element; invalid UTF-8 as U+FFFD (see the file comment);
 * all other UTF-8 passes through unchanged. NUL bytes inside @p n are
 * written as \u0000.
 * @return false on failure. Errors: LIMIT (@p sb maximum), NOMEM.
 * Ownership: @p s borrowed. Threads: safe on distinct buffers.
 */
RERT_API bool
rert_json_escape(RertError *err, RertStrbuf *sb, const char *s, size_t n);

/**
 * Append @p s (NUL-terminated) to @p sb escaped for HTML element content:
 * '&' '<' '>' become &amp; &lt; &gt;; control characters other than tab,
 * LF and CR and invalid UTF-8 become U+FFFD. NULL appends nothing.
 * Errors: LIMIT, NOMEM. Threads: safe on distinct buffers.
 */
RERT_API bool
rert_html_escape_text(RertError *err, RertStrbuf *sb, const char *s);

/**
 * As rert_html_escape_text() and also '"' as &quot; and '\'' as &#39;, for
 * a value inside a quoted attribute (either quote style). NULL appends
 * nothing. Errors: LIMIT, NOMEM. Threads: safe on distinct buffers.
 */
RERT_API bool
rert_html_escape_attribute(RertError *err, RertStrbuf *sb, const char *s);

/**
 * Append @p n bytes as base64 (RFC 4648 section 4 alphabet, '=' padding, no
 * line breaks), e.g. for data: URIs in a self-contained HTML file.
 * Errors: LIMIT, NOMEM. Threads: safe on distinct buffers.
 */
RERT_API bool
rert_base64_encode(RertError *err, RertStrbuf *sb, const void *data, size_t n);

/**
 * Shortest decimal text of a finite @p value that reads back exactly (%.15g,
 * %.16g or %.17g, the first that round-trips), always with '.' as the
 * decimal point whatever the locale. Non-finite values give "" and false.
 * @p buf needs RERT_NUMBER_TEXT_SIZE bytes. Threads: pure.
 */
#define RERT_NUMBER_TEXT_SIZE 32
RERT_API bool rert_number_format(char buf[RERT_NUMBER_TEXT_SIZE], double value);

/* ---- streaming JSON writer --------------------------------------------- */

/** Nesting limit of the JSON writer. */
#define RERT_JSON_MAX_DEPTH 32

/**
 * A JSON writer appending to a borrowed RertStrbuf. Transparent so it can
 * live on the stack; fields are private (change them only through the
 * functions below). The writer checks structure: keys only inside objects
 * and before each value there, values elsewhere, ends matching begins, one
 * top-level value. A structural mistake is INVALID_ARG.
 *
 * Failure is sticky: after any call fails, later calls do nothing and
 * return false without touching their @p err, so a chain of calls can pass
 * one RertError and check once, at rert_json_writer_finish(), which
 * reports the first failure again.
 *
 * Numbers: rert_number_format() (shortest round-trip text); NaN and
 * infinities are written as null (JSON has no such numbers; readers must
 * treat null as "not available").
 */
typedef struct RertJsonWriter {
    RertStrbuf *out;                   /**< borrowed */
    bool is_pretty;                    /**< two-space indentation */
    bool has_failed;                   /**< sticky failure */
    bool is_after_key;                 /**< a key waits for its value */
    bool is_done;                      /**< the top-level value ended */
    size_t depth;                      /**< open containers */
    char kind[RERT_JSON_MAX_DEPTH];    /**< '{' or '[' per level */
    size_t count[RERT_JSON_MAX_DEPTH]; /**< members written per level */
    RertError first_error;             /**< the first failure */
} RertJsonWriter;

/** Start writing to @p out (borrowed; text is appended). Threads: one
 * writer per thread. */
RERT_API void
rert_json_writer_init(RertJsonWriter *w, RertStrbuf *out, bool is_pretty);
/** Check the document is complete (one top-level value, all containers
 * closed) and, when pretty, end it with a newline. Errors: the first
 * failure of the writer, or INVALID_ARG naming what is still open. */
RERT_API bool rert_json_writer_finish(RertError *err, RertJsonWriter *w);

/** Open and close objects and arrays. Errors: INVALID_ARG (misplaced,
 * unbalanced, deeper than RERT_JSON_MAX_DEPTH), LIMIT, NOMEM. */
RERT_API bool rert_json_object_begin(RertError *err, RertJsonWriter *w);
RERT_API bool rert_json_object_end(RertError *err, RertJsonWriter *w);
RERT_API bool rert_json_array_begin(RertError *err, RertJsonWriter *w);
RERT_API bool rert_json_array_end(RertError *err, RertJsonWriter *w);

/** Write an object member name (escaped; NULL is INVALID_ARG). */
RERT_API bool
rert_json_write_key(RertError *err, RertJsonWriter *w, const char *key);
/** Write a string value (escaped as rert_json_escape()); NULL writes null. */
RERT_API bool
rert_json_write_string(RertError *err, RertJsonWriter *w, const char *s);
/** Write a number (non-finite: null; see RertJsonWriter). */
RERT_API bool
rert_json_write_number(RertError *err, RertJsonWriter *w, double value);
/** Write an integer exactly. */
RERT_API bool
rert_json_write_int(RertError *err, RertJsonWriter *w, int64_t value);
/** Write true or false. */
RERT_API bool
rert_json_write_bool(RertError *err, RertJsonWriter *w, bool value);
/** Write null. */
RERT_API bool rert_json_write_null(RertError *err, RertJsonWriter *w);
/** Key and value in one call (same rules as the two calls). */
RERT_API bool rert_json_write_key_string(RertError *err,
                                         RertJsonWriter *w,
                                         const char *key,
                                         const char *s);
RERT_API bool rert_json_write_key_number(RertError *err,
                                         RertJsonWriter *w,
                                         const char *key,
                                         double value);
RERT_API bool rert_json_write_key_int(RertError *err,
                                      RertJsonWriter *w,
                                      const char *key,
                                      int64_t value);
RERT_API bool rert_json_write_key_bool(RertError *err,
                                       RertJsonWriter *w,
                                       const char *key,
                                       bool value);

/* ---- CSV (RFC 4180) ------------------------------------------------------ */

/** A CSV writer: fields are separated by ',' and rows end with CRLF (RFC
 * 4180). Transparent; fields private. */
typedef struct RertCsvWriter {
    RertStrbuf *out; /**< borrowed */
    size_t column;   /**< fields written in the current row */
} RertCsvWriter;

/** Start writing to @p out (borrowed; text is appended). */
RERT_API void rert_csv_writer_init(RertCsvWriter *w, RertStrbuf *out);
/**
 * Write one text field. It is quoted when it contains ',', '"', CR or LF
 * or starts or ends with a space or tab, and a '"' inside is doubled (RFC
 * 4180 section 2). No spreadsheet-formula guard: a field starting with '='
 * is written as is. NULL writes an empty field. Invalid UTF-8 becomes
 * U+FFFD. Errors: LIMIT, NOMEM.
 */
RERT_API bool
rert_csv_write_field(RertError *err, RertCsvWriter *w, const char *s);
/** Write a number as rert_number_format(); non-finite values give an empty
 * field. Errors: LIMIT, NOMEM. */
RERT_API bool
rert_csv_write_number(RertError *err, RertCsvWriter *w, double value);
/** End the row with CRLF. Errors: LIMIT, NOMEM. */
RERT_API bool rert_csv_end_row(RertError *err, RertCsvWriter *w);

/* ---- RGB images and PNG ------------------------------------------------- */

/** Largest width or height of an image made here. */
#define RERT_IMAGE_MAX_SIDE 8192

/** An 8-bit RGB image; rows top to bottom, 3 bytes per pixel. Plain data:
 * rert_rgb_image_init() fills it, rert_rgb_image_clear() frees it. */
typedef struct RertRgbImage {
    size_t width;
    size_t height;
    uint8_t *rgb; /**< owned, width*height*3 bytes */
} RertRgbImage;

/** Make a black @p width x @p height image (each 1..RERT_IMAGE_MAX_SIDE).
 * Errors: LIMIT, NOMEM. Ownership: @p image owns the pixels. */
RERT_API bool rert_rgb_image_init(RertError *err,
                                  RertRgbImage *image,
                                  size_t width,
                                  size_t height);
/** Free the pixels; the struct is zeroed. NULL allowed. */
RERT_API void rert_rgb_image_clear(RertRgbImage *image);

/**
 * Encode @p image as an 8-bit RGB PNG (libpng) into @p out.
 * Errors: INVALID_ARG (empty image), INTERNAL (libpng message), NOMEM.
 * Ownership: @p out owns the bytes, free with rert_bytes_clear().
 * Threads: safe on distinct outputs.
 */
RERT_API bool
rert_png_encode(RertError *err, const RertRgbImage *image, RertBytes *out);
/** Encode and write @p path atomically (temp file + rename; an existing
 * file stays intact on failure). Errors: as rert_png_encode(), IO. */
RERT_API bool
rert_png_save(RertError *err, const char *path, const RertRgbImage *image);

/** The dose colour map (docs/report.md): @p t in [0, 1] (clamped; NaN is
 * 0) from low dose (blue) to high dose (dark red). Threads: pure. */
RERT_API void rert_colormap_dose(double t, uint8_t rgb[3]);

/* ---- planes through a patient point ------------------------------------ */

/** Standard views. Orientation (docs/report.md): axial is seen from the
 * feet (anterior up, patient left on image right: radiological), coronal
 * from the front (superior up, patient left on image right), sagittal
 * from the patient's left (superior up, anterior on image left). */
typedef enum RertPlaneKind {
    RERT_PLANE_AXIAL = 0,
    RERT_PLANE_CORONAL,
    RERT_PLANE_SAGITTAL,
} RertPlaneKind;

/** A square-pixel image plane in patient space. Plain data. */
typedef struct RertPlane {
    RertPlaneKind kind;
    size_t width;       /**< columns */
    size_t height;      /**< rows */
    double pixel_mm;    /**< pixel size along both image axes */
    RertVec3 origin_mm; /**< patient position of the centre of pixel (0,0),
                             the top-left one */
    RertVec3 right;     /**< unit patient direction of increasing column */
    RertVec3 down;      /**< unit patient direction of increasing row */
    const char *edge_labels[4]; /**< patient side at the top, bottom, left
                                     and right edges: "A", "P", "R", "L",
                                     "S", "I" (static strings) */
} RertPlane;

/**
 * The @p kind plane through @p point_mm that covers the whole of @p grid
 * (its voxel boxes, whatever the grid's orientation), with square pixels of
 * @p pixel_mm (0 = the grid's smallest spacing). Directions are the
 * patient (LPS) axes: axial right = +x (L), down = +y (P); coronal right =
 * +x, down = -z (I); sagittal right = +y (P), down = -z.
 * Errors: INVALID_ARG (NULL, point or pixel size not finite, pixel size
 * < 0), LIMIT (a side over RERT_IMAGE_MAX_SIDE pixels).
 * Ownership: none. Threads: pure.
 */
RERT_API bool rert_plane_make(RertError *err,
                              RertPlaneKind kind,
                              const RertGridGeometry *grid,
                              RertVec3 point_mm,
                              double pixel_mm,
                              RertPlane *out);

/**
 * Sample @p volume (trilinear, rert_volume_sample() rules) at the centre of
 * every pixel of @p plane; @p outside past the volume (e.g. -1000 for CT,
 * 0 for dose). Any volume works: CT, dose on its own grid (so dose lands
 * on the CT plane's pixels), or an ROI occupancy fraction volume for
 * outlines. Errors: INVALID_ARG, LIMIT, NOMEM.
 * Ownership: new array of width*height floats, rows top to bottom;
 * rert_free(). Threads: safe for concurrent reads of @p volume.
 */
RERT_API float *rert_plane_sample(RertError *err,
                                  const RertPlane *plane,
                                  const RertVolume *volume,
                                  float outside);

/** Pixel coordinates of patient point @p xyz_mm on @p plane: x = column,
 * y = row (pixel centres at integers), z = signed distance in mm from the
 * plane along right x down. Threads: pure. */
RERT_API RertVec3 rert_plane_xyz_to_pixel(const RertPlane *plane,
                                          RertVec3 xyz_mm);

/** "axial", "coronal" or "sagittal" ("unknown" otherwise). */
RERT_API const char *rert_plane_kind_name(RertPlaneKind kind);

/* ---- dose wash over CT ------------------------------------------------- */

/** A closed polygon outline in slice pixel coordinates. */
typedef struct RertOverlayPolygon {
    const double *points_px; /**< x0, y0, x1, y1, ...: column and row,
                                  pixel centres at integers (borrowed) */
    size_t count;            /**< points */
    uint8_t rgb[3];
    const char *name; /**< legend text, or NULL for no entry */
} RertOverlayPolygon;

/** A structure given as an occupancy fraction on the slice grid (e.g. from
 * rert_plane_sample() of a rasterised ROI); drawn as its 0.5 outline. */
typedef struct RertOverlayMask {
    const float *fraction; /**< width*height values in 0..1 (borrowed) */
    uint8_t rgb[3];
    const char *name; /**< legend text, or NULL for no entry */
} RertOverlayMask;

/**
 * What to draw. Set the defaults with rert_wash_init(), then the inputs.
 * The picture: the CT in gray (window/level), the dose as a colour wash
 * (rert_colormap_dose() from dose_min_gy to dose_max_gy, alpha-blended,
 * transparent below dose_min_gy), isodose lines (marching squares on the
 * dose pixels, drawn in the colour map's colour of their level), structure
 * outlines, orientation letters, a title, a colour bar with labelled ticks
 * on the right and a legend below when any overlay has a name. Each slice
 * pixel becomes scale x scale image pixels.
 */
typedef struct RertWash {
    size_t width;             /**< slice columns (required) */
    size_t height;            /**< slice rows (required) */
    const float *ct_hu;       /**< width*height HU, or NULL (black) */
    const float *dose_gy;     /**< width*height Gy, or NULL (no wash) */
    double window_center_hu;  /**< default 40 (soft tissue) */
    double window_width_hu;   /**< default 400 */
    double dose_min_gy;       /**< wash threshold; NaN (default): 10% of
                                   dose_max_gy */
    double dose_max_gy;       /**< colour scale top; NaN (default): the
                                   slice maximum. Set one value for all
                                   planes of a report so colours compare. */
    double alpha;             /**< wash opacity 0..1, default 0.45 */
    const double *isodose_gy; /**< isodose levels (borrowed) */
    size_t isodose_count;
    const RertOverlayPolygon *polygons;
    size_t polygon_count;
    const RertOverlayMask *masks;
    size_t mask_count;
    unsigned scale;             /**< 1..16; 0 (default): smallest making the
                                     longer side >= 384 pixels, at most 8 */
    bool has_colour_bar;        /**< default true (when dose is given) */
    const char *dose_unit;      /**< colour bar title, default "Gy" */
    const char *title;          /**< top-left text, or NULL */
    const char *edge_labels[4]; /**< top, bottom, left, right letters
                                     (RertPlane.edge_labels), or NULL */
} RertWash;

/** Fill @p wash with the defaults and no inputs. */
RERT_API void rert_wash_init(RertWash *wash);

/**
 * Render @p wash into a new image. Text uses a built-in 5x7 font (ASCII
 * letters, digits and common signs; other characters show as '?').
 * Errors: INVALID_ARG (sizes, NULL arrays with counts, scale > 16, alpha
 * outside 0..1, bad window, dose range with max <= min), LIMIT (image too
 * large), NOMEM. Ownership: @p out receives a new image
 * (rert_rgb_image_clear()); inputs are borrowed. Threads: safe.
 */
RERT_API bool
rert_wash_render(RertError *err, const RertWash *wash, RertRgbImage *out);

/* ---- DVH plot (SVG) ----------------------------------------------------- */

/** One cumulative DVH curve. */
typedef struct RertPlotCurve {
    const char *name; /**< legend text (escaped) */
    uint8_t rgb[3];
    bool is_dashed;           /**< e.g. per-course dashed, cumulative solid */
    const double *dose_gy;    /**< count points, non-decreasing */
    const double *volume_pct; /**< count points, 0..100 */
    size_t count;
} RertPlotCurve;

/** A constraint marker: a vertical line at @p dose_gy, plus a point at
 * (@p dose_gy, @p volume_pct) when that is finite (a Vx/Dx limit). */
typedef struct RertPlotMarker {
    double dose_gy;
    double volume_pct; /**< NaN for the line only */
    const char *label; /**< may be NULL */
    uint8_t rgb[3];
} RertPlotMarker;

/** A DVH plot; rert_dvh_plot_init() sets the defaults. */
typedef struct RertDvhPlot {
    const char *title;   /**< may be NULL */
    const char *x_label; /**< default "Dose (Gy)" */
    const char *y_label; /**< default "Volume (%)" */
    const RertPlotCurve *curves;
    size_t curve_count;
    const RertPlotMarker *markers;
    size_t marker_count;
    double dose_max_gy; /**< x axis end; NaN (default): from the data */
} RertDvhPlot;

/** Fill @p plot with the defaults and no data. */
RERT_API void rert_dvh_plot_init(RertDvhPlot *plot);

/**
 * Append a standalone SVG 1.1 document (170 mm x 110 mm, viewBox 680 x 440)
 * plotting the curves as volume (%) against dose (Gy) with ticks, grid,
 * axis labels, legend and markers. Text is XML-escaped. Non-finite points
 * are skipped (they break the line).
 * Errors: INVALID_ARG (NULL arrays with counts), LIMIT, NOMEM.
 * Ownership: inputs borrowed. Threads: safe on distinct buffers.
 */
RERT_API bool rert_dvh_plot_write_svg(RertError *err,
                                      const RertDvhPlot *plot,
                                      RertStrbuf *out);

#endif
