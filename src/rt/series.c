/* Image series (CT, MR, PET): gather slices, group by SeriesInstanceUID,
 * sort along the slice normal and check the stack (PS3.3 C.7.6.2), then
 * decode and rescale pixels (C.11.1.1.2) into a float volume. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/rt.h>

#include "internal.h"

#define TAG_SPACING_BETWEEN_SLICES RERT_TAG(0x0018, 0x0088)
#define TAG_RESCALE_INTERCEPT RERT_TAG(0x0028, 0x1052)
#define TAG_RESCALE_SLOPE RERT_TAG(0x0028, 0x1053)

/* Orientation of every slice must match the first within this, and pixel
 * spacing within PIXEL_SPACING_TOL mm. */
#define IOP_MATCH_TOL 1e-4
#define PIXEL_SPACING_TOL 1e-3
/* Gaps listed in an error message at most. */
#define MAX_GAPS_LISTED 4

struct RertImageSeries {
    RertVolume *volume;
    RertRtMeta meta;
    char **slice_uids;
    size_t slice_count;
    RertDataset *header;
    size_t skipped_files;
    RtWarnings warnings;
};

/* One candidate slice. */
typedef struct Slice {
    RertDataset *owned;    /* header parsed from a file, or NULL */
    const RertDataset *ds; /* header or complete in-memory data set */
    char *path;            /* owned; NULL for in-memory slices */
    char series_uid[RERT_UID_SIZE];
    RtImagePlane plane;
    double position; /* along the first slice's normal */
} Slice;

typedef struct Gather {
    Slice *slices;
    size_t count;
    size_t cap;
    size_t skipped;
    size_t other_objects;
    const RertImageSeriesOptions *options;
} Gather;

RertImageSeriesOptions rert_image_series_options_default(void)
{
    RertImageSeriesOptions o;
    memset(&o, 0, sizeof o);
    o.limits = rert_limits_default();
    o.slice_tolerance_frac = 0.01;
    o.slice_tolerance_mm = 0.01;
    o.max_files = 100000;
    o.max_depth = 8;
    return o;
}

void rert_image_series_destroy(RertImageSeries *series)
{
    if (series == NULL) {
        return;
    }
    rert_volume_destroy(series->volume);
    for (size_t i = 0; i < series->slice_count; i++) {
        rert_free(series->slice_uids[i]);
    }
    rert_free(series->slice_uids);
    rert_dataset_destroy(series->header);
    rt_warnings_clear(&series->warnings);
    rert_free(series);
}

static void gather_clear(Gather *g)
{
    for (size_t i = 0; i < g->count; i++) {
        rert_dataset_destroy(g->slices[i].owned);
        rert_free(g->slices[i].path);
    }
    rert_free(g->slices);
    memset(g, 0, sizeof *g);
}

/* Name of a slice for messages. */
static const char *slice_name(const Slice *s, char *buf, size_t size)
{
    if (s->path != NULL) {
        return s->path;
    }
    char uid[RERT_UID_SIZE];
    rt_string_or_empty(s->ds, TAG_SOP_INSTANCE_UID, uid, sizeof uid);
    (void)snprintf(buf, size, "slice %s", uid[0] != '\0' ? uid : "(no UID)");
    return buf;
}

static bool is_image(const RertDataset *ds)
{
    RertRtObjectKind kind = rert_rt_object_kind(ds);
    if (kind == RERT_RT_OBJECT_CT || kind == RERT_RT_OBJECT_MR ||
        kind == RERT_RT_OBJECT_PT) {
        return true;
    }
    return kind == RERT_RT_OBJECT_UNKNOWN &&
           rert_dataset_has(ds, TAG_IMAGE_POSITION) &&
           rert_dataset_has(ds, TAG_IMAGE_ORIENTATION) &&
           rert_dataset_has(ds, TAG_ROWS);
}

/* Add a slice; takes @p owned and @p path (both may be NULL) on success
 * and on failure. */
static bool gather_add(RertError *err,
                       Gather *g,
                       RertDataset *owned,
                       const RertDataset *ds,
                       char *path)
{
    if (g->count == g->cap) {
        size_t ncap = g->cap == 0 ? 64 : g->cap * 2;
        Slice *grown = rert_realloc_array(err, g->slices, ncap, sizeof *grown);
        if (grown == NULL) {
            rert_dataset_destroy(owned);
            rert_free(path);
            return false;
        }
        g->slices = grown;
        g->cap = ncap;
    }
    Slice *s = &g->slices[g->count++];
    memset(s, 0, sizeof *s);
    s->owned = owned;
    s->ds = ds;
    s->path = path;
    rt_string_or_empty(ds, TAG_SERIES_INSTANCE_UID, s->series_uid,
                       sizeof s->series_uid);
    return true;
}

static bool visit_file(RertError *err, const char *path, void *user)
{
    Gather *g = user;
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits = g->options->limits;
    po.stop_before_pixel_data = true;
    RertError local;
    RertDataset *ds = rert_dicom_load(&local, path, &po, NULL);
    if (ds == NULL) {
        if (local.code == RERT_ERR_NOMEM) {
            *err = local;
            return false;
        }
        g->skipped++; /* not DICOM, or unreadable: skipped silently */
        return true;
    }
    if (!is_image(ds)) {
        g->other_objects++;
        rert_dataset_destroy(ds);
        return true;
    }
    char *copy = rert_strdup(err, path);
    if (copy == NULL) {
        rert_dataset_destroy(ds);
        return false;
    }
    return gather_add(err, g, ds, ds, copy);
}

/* ---- choosing the series */

static void describe_series(const Gather *g, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < g->count && used < size; i++) {
        bool seen = false;
        size_t n = 0;
        for (size_t k = 0; k < g->count; k++) {
            bool same =
                strcmp(g->slices[k].series_uid, g->slices[i].series_uid) == 0;
            seen = seen || (same && k < i);
            n += same;
        }
        if (seen) {
            continue;
        }
        char modality[RERT_RT_LO_SIZE];
        char description[RERT_RT_LO_SIZE];
        rt_string_or_empty(g->slices[i].ds, TAG_MODALITY, modality,
                           sizeof modality);
        rt_string_or_empty(g->slices[i].ds, TAG_SERIES_DESCRIPTION, description,
                           sizeof description);
        int w = snprintf(buf + used, size - used, "%s%s (%s, '%s', %zu slices)",
                         used > 0 ? "; " : "", g->slices[i].series_uid,
                         modality, description, n);
        if (w < 0) {
            return;
        }
        used += (size_t)w;
    }
}

/* Keep only the slices of the chosen series (moving the others out). */
static bool
choose_series(RertError *err, Gather *g, const char *uid, const char *where)
{
    char list[400];
    describe_series(g, list, sizeof list);
    if (g->count == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: no image slices found (%zu files skipped "
                              "as not DICOM, %zu non-image objects)",
                              where, g->skipped, g->other_objects);
    }
    const char *want = uid != NULL ? uid : g->slices[0].series_uid;
    size_t kept = 0;
    bool several = false;
    for (size_t i = 0; i < g->count; i++) {
        if (strcmp(g->slices[i].series_uid, want) == 0) {
            Slice tmp = g->slices[kept];
            g->slices[kept++] = g->slices[i];
            g->slices[i] = tmp;
        } else {
            several = true;
        }
    }
    if (uid == NULL && several) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s holds several series, choose one: %s", where,
                              list);
    }
    if (kept == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: no series %s; found: %s", where, uid, list);
    }
    for (size_t i = kept; i < g->count; i++) {
        rert_dataset_destroy(g->slices[i].owned);
        rert_free(g->slices[i].path);
    }
    g->count = kept;
    return true;
}

/* ---- checking the stack */

static bool same_plane(RertError *err, const Slice *s, const Slice *first)
{
    char name[96];
    const RtImagePlane *a = &s->plane;
    const RtImagePlane *b = &first->plane;
    for (int c = 0; c < 3; c++) {
        if (fabs(a->row_dir[c] - b->row_dir[c]) > IOP_MATCH_TOL ||
            fabs(a->col_dir[c] - b->col_dir[c]) > IOP_MATCH_TOL) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "%s: (0020,0037) ImageOrientationPatient "
                                  "differs from the first slice by more "
                                  "than %g",
                                  slice_name(s, name, sizeof name),
                                  IOP_MATCH_TOL);
        }
    }
    if (a->rows != b->rows || a->columns != b->columns) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "%s: %zu rows x %zu columns, the first slice "
                              "has %zu x %zu",
                              slice_name(s, name, sizeof name), a->rows,
                              a->columns, b->rows, b->columns);
    }
    if (fabs(a->spacing_i_mm - b->spacing_i_mm) > PIXEL_SPACING_TOL ||
        fabs(a->spacing_j_mm - b->spacing_j_mm) > PIXEL_SPACING_TOL) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "%s: (0028,0030) PixelSpacing %g\\%g, the "
                              "first slice has %g\\%g",
                              slice_name(s, name, sizeof name), a->spacing_j_mm,
                              a->spacing_i_mm, b->spacing_j_mm,
                              b->spacing_i_mm);
    }
    return true;
}

static int compare_position(const void *pa, const void *pb)
{
    const Slice *a = pa;
    const Slice *b = pb;
    return (a->position > b->position) - (a->position < b->position);
}

static bool read_planes(RertError *err, Gather *g)
{
    char name[96];
    for (size_t i = 0; i < g->count; i++) {
        Slice *s = &g->slices[i];
        long frames = 1;
        if (rert_dataset_has(s->ds, TAG_NUMBER_OF_FRAMES) &&
            rert_dataset_get_long(NULL, s->ds, TAG_NUMBER_OF_FRAMES, 0,
                                  &frames) &&
            frames > 1) {
            return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                                  "%s: multi-frame image (%ld frames); only "
                                  "single-frame slices are supported",
                                  slice_name(s, name, sizeof name), frames);
        }
        if (!rt_image_plane_read(err, s->ds, &s->plane)) {
            rert_error_prefix(err, "%s", slice_name(s, name, sizeof name));
            return false;
        }
        if (!same_plane(err, s, &g->slices[0])) {
            return false;
        }
        s->position = rt_dot3(s->plane.position, g->slices[0].plane.normal);
    }
    qsort(g->slices, g->count, sizeof *g->slices, compare_position);
    return true;
}

/* Duplicates and gantry tilt: consecutive positions must differ, and only
 * along the normal. */
static bool check_neighbours(RertError *err, const Gather *g, double tol)
{
    char a[96];
    char b[96];
    const double *n = g->slices[0].plane.normal;
    for (size_t k = 0; k + 1 < g->count; k++) {
        const Slice *s0 = &g->slices[k];
        const Slice *s1 = &g->slices[k + 1];
        if (s1->position - s0->position <= tol) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "duplicate slice position %.4g mm: %s and "
                                  "%s",
                                  s0->position, slice_name(s0, a, sizeof a),
                                  slice_name(s1, b, sizeof b));
        }
        double d[3];
        for (int c = 0; c < 3; c++) {
            d[c] = s1->plane.position[c] - s0->plane.position[c];
        }
        double along = rt_dot3(d, n);
        double in_plane = sqrt(fmax(0.0, rt_dot3(d, d) - along * along));
        if (in_plane > tol) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "slice positions are not along the slice "
                                  "normal (gantry tilt or sheared stack): %s "
                                  "is shifted %.4g mm in-plane from %s",
                                  slice_name(s1, a, sizeof a), in_plane,
                                  slice_name(s0, b, sizeof b));
        }
    }
    return true;
}

static int compare_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa;
    double b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Median step between consecutive positions (count >= 2). */
static bool median_step(RertError *err, const Gather *g, double *out)
{
    size_t n = g->count - 1;
    double *steps = rert_calloc(err, n, sizeof *steps);
    if (steps == NULL) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        steps[k] = g->slices[k + 1].position - g->slices[k].position;
    }
    qsort(steps, n, sizeof *steps, compare_double);
    *out = steps[n / 2];
    rert_free(steps);
    return true;
}

/* Uniform spacing; a step of about m spacings (m >= 2) is m - 1 missing
 * slices, listed by position. */
static bool check_spacing(RertError *err,
                          const Gather *g,
                          const RertImageSeriesOptions *o,
                          double step)
{
    double tol = fmax(o->slice_tolerance_mm, o->slice_tolerance_frac * step);
    char gaps[320] = "";
    size_t used = 0;
    size_t gap_count = 0;
    for (size_t k = 0; k + 1 < g->count; k++) {
        double p0 = g->slices[k].position;
        double p1 = g->slices[k + 1].position;
        double d = p1 - p0;
        double m = nearbyint(d / step);
        if (fabs(d - step) <= tol) {
            continue;
        }
        if (m >= 2.0 && fabs(d - m * step) <= tol * m) {
            if (gap_count++ < MAX_GAPS_LISTED && used < sizeof gaps) {
                int w = snprintf(gaps + used, sizeof gaps - used,
                                 "%sbetween %.4g and %.4g mm (%.0f missing)",
                                 used > 0 ? ", " : "", p0, p1, m - 1.0);
                used += w > 0 ? (size_t)w : 0;
            }
            continue;
        }
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "non-uniform slice spacing: %.4g mm between "
                              "positions %.4g and %.4g mm, expected %.4g mm "
                              "(tolerance %.3g mm)",
                              d, p0, p1, step, tol);
    }
    if (gap_count > 0) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "missing slices (spacing %.4g mm): %s%s", step,
                              gaps, gap_count > MAX_GAPS_LISTED ? ", ..." : "");
    }
    return true;
}

/* Slab thickness of a one-slice series. */
static bool single_slice_step(RertError *err,
                              const Slice *s,
                              RertImageSeries *series,
                              double *step)
{
    static const uint32_t tags[] = {TAG_SPACING_BETWEEN_SLICES,
                                    TAG_SLICE_THICKNESS};
    for (size_t i = 0; i < 2; i++) {
        double t = 0.0;
        if (rert_dataset_get_double(NULL, s->ds, tags[i], 0, &t) &&
            isfinite(t) && t > 0.0) {
            *step = t;
            return true;
        }
    }
    *step = 1.0;
    return rt_warnings_add(err, &series->warnings,
                           "single slice without SliceThickness or "
                           "SpacingBetweenSlices: slab thickness taken as "
                           "1 mm");
}

static bool make_geometry(RertError *err,
                          const Gather *g,
                          const RertImageSeriesOptions *o,
                          RertImageSeries *series,
                          RertGridGeometry *geom)
{
    const RtImagePlane *p = &g->slices[0].plane;
    double step = 0.0;
    if (g->count == 1) {
        if (!single_slice_step(err, &g->slices[0], series, &step)) {
            return false;
        }
    } else {
        double tol = o->slice_tolerance_mm;
        if (!check_neighbours(err, g, tol) || !median_step(err, g, &step) ||
            !check_spacing(err, g, o, step)) {
            return false;
        }
        step = (g->slices[g->count - 1].position - g->slices[0].position) /
               (double)(g->count - 1);
    }
    size_t dims[3] = {p->columns, p->rows, g->count};
    double spacing[3] = {p->spacing_i_mm, p->spacing_j_mm, step};
    double direction[9];
    for (int c = 0; c < 3; c++) {
        direction[c] = p->row_dir[c];
        direction[3 + c] = p->col_dir[c];
        direction[6 + c] = p->normal[c];
    }
    return rert_grid_geometry_make(err, dims, p->position, spacing, direction,
                                   o->limits.max_voxels, geom);
}

/* ---- pixels */

static bool
rescale(RertError *err, const RertDataset *ds, double *slope, double *intercept)
{
    *slope = 1.0;
    *intercept = 0.0;
    if ((rert_dataset_has(ds, TAG_RESCALE_SLOPE) &&
         !rert_dataset_get_double(err, ds, TAG_RESCALE_SLOPE, 0, slope)) ||
        (rert_dataset_has(ds, TAG_RESCALE_INTERCEPT) &&
         !rert_dataset_get_double(err, ds, TAG_RESCALE_INTERCEPT, 0,
                                  intercept))) {
        return false;
    }
    if (!isfinite(*slope) || !isfinite(*intercept) || *slope == 0.0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(0028,1053) RescaleSlope %g / (0028,1052) "
                              "RescaleIntercept %g: expected finite values "
                              "and a non-zero slope",
                              *slope, *intercept);
    }
    return true;
}

/* Decode slice @p ds into @p out (rows x columns floats). */
static bool decode_slice(RertError *err,
                         const RertDataset *ds,
                         const RertLimits *limits,
                         size_t count,
                         float *out)
{
    RtPixelFormat fmt;
    double slope = 1.0;
    double intercept = 0.0;
    if (!rt_pixel_format_read(err, ds, &fmt) ||
        !rescale(err, ds, &slope, &intercept)) {
        return false;
    }
    char ts[RERT_UID_SIZE];
    rt_transfer_syntax(ds, ts);
    return rert_dicom_decode_pixels_float(err, ds, ts, limits, slope, intercept,
                                          out, count);
}

static bool load_pixels(RertError *err,
                        const Gather *g,
                        const RertImageSeriesOptions *o,
                        RertVolume *volume)
{
    const RertGridGeometry *geom = rert_volume_geometry(volume);
    size_t plane = geom->dims[0] * geom->dims[1];
    float *data = rert_volume_data(volume);
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits = o->limits;
    for (size_t k = 0; k < g->count; k++) {
        const Slice *s = &g->slices[k];
        RertDataset *full = NULL;
        const RertDataset *ds = s->ds;
        if (s->path != NULL) {
            full = rert_dicom_load(err, s->path, &po, NULL);
            if (full == NULL) {
                return false;
            }
            ds = full;
        }
        bool ok = decode_slice(err, ds, &o->limits, plane, data + k * plane);
        rert_dataset_destroy(full);
        if (!ok) {
            char name[96];
            rert_error_prefix(err, "%s", slice_name(s, name, sizeof name));
            return false;
        }
    }
    return true;
}

static bool
keep_metadata(RertError *err, const Gather *g, RertImageSeries *series)
{
    rt_meta_read(g->slices[0].ds, &series->meta);
    series->header = rt_header_clone(err, g->slices[0].ds);
    series->slice_uids = rert_calloc(err, g->count, sizeof(char *));
    if (series->header == NULL || series->slice_uids == NULL) {
        return false;
    }
    series->slice_count = g->count;
    for (size_t k = 0; k < g->count; k++) {
        char uid[RERT_UID_SIZE];
        rt_string_or_empty(g->slices[k].ds, TAG_SOP_INSTANCE_UID, uid,
                           sizeof uid);
        series->slice_uids[k] = rert_strdup(err, uid);
        if (series->slice_uids[k] == NULL) {
            return false;
        }
    }
    return true;
}

static RertImageSeries *build_series(RertError *err,
                                     Gather *g,
                                     const char *series_uid,
                                     const char *where)
{
    const RertImageSeriesOptions *o = g->options;
    RertGridGeometry geom;
    RertImageSeries *series = rert_calloc(err, 1, sizeof *series);
    if (series == NULL) {
        return NULL;
    }
    series->skipped_files = g->skipped;
    if (!choose_series(err, g, series_uid, where) || !read_planes(err, g) ||
        !make_geometry(err, g, o, series, &geom)) {
        rert_image_series_destroy(series);
        return NULL;
    }
    series->volume = rert_volume_create(err, &geom);
    if (series->volume == NULL || !keep_metadata(err, g, series) ||
        !load_pixels(err, g, o, series->volume)) {
        rert_image_series_destroy(series);
        return NULL;
    }
    return series;
}

RertImageSeries *rert_image_series_load(RertError *err,
                                        const char *dir_or_file,
                                        const char *series_uid,
                                        const RertImageSeriesOptions *options)
{
    RertImageSeriesOptions defaults = rert_image_series_options_default();
    Gather g;
    memset(&g, 0, sizeof g);
    g.options = options != NULL ? options : &defaults;
    if (dir_or_file == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "image series: NULL path");
        return NULL;
    }
    bool ok = rert_path_is_dir(dir_or_file)
                  ? rert_dir_walk(err, dir_or_file, g.options->max_depth,
                                  g.options->max_files, visit_file, &g)
                  : visit_file(err, dir_or_file, &g);
    if (ok && !rert_path_is_dir(dir_or_file) && g.count == 0) {
        /* A single file that did not load: report why. */
        RertDicomParseOptions po = rert_dicom_parse_options_default();
        RertDataset *ds = rert_dicom_load(err, dir_or_file, &po, NULL);
        ok = ds != NULL &&
             rert_error_set(err, RERT_ERR_INVALID_ARG,
                            "%s is %s, not an image slice", dir_or_file,
                            rert_rt_object_kind_name(rert_rt_object_kind(ds)));
        rert_dataset_destroy(ds);
    }
    RertImageSeries *series =
        ok ? build_series(err, &g, series_uid, dir_or_file) : NULL;
    gather_clear(&g);
    return series;
}

RertImageSeries *
rert_image_series_from_datasets(RertError *err,
                                const RertDataset *const *slices,
                                size_t count,
                                const char *series_uid,
                                const RertImageSeriesOptions *options)
{
    RertImageSeriesOptions defaults = rert_image_series_options_default();
    Gather g;
    memset(&g, 0, sizeof g);
    g.options = options != NULL ? options : &defaults;
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++) {
        if (slices[i] == NULL || !is_image(slices[i])) {
            g.other_objects++;
            continue;
        }
        ok = gather_add(err, &g, NULL, slices[i], NULL);
    }
    RertImageSeries *series =
        ok ? build_series(err, &g, series_uid, "data sets") : NULL;
    gather_clear(&g);
    return series;
}

/* ---- accessors */

const RertVolume *rert_image_series_volume(const RertImageSeries *series)
{
    return series->volume;
}

const RertRtMeta *rert_image_series_meta(const RertImageSeries *series)
{
    return &series->meta;
}

size_t rert_image_series_slice_count(const RertImageSeries *series)
{
    return series->slice_count;
}

const char *rert_image_series_slice_uid(const RertImageSeries *series, size_t k)
{
    return k < series->slice_count ? series->slice_uids[k] : NULL;
}

const RertDataset *rert_image_series_header(const RertImageSeries *series)
{
    return series->header;
}

size_t rert_image_series_skipped_files(const RertImageSeries *series)
{
    return series->skipped_files;
}

size_t rert_image_series_warning_count(const RertImageSeries *series)
{
    return series->warnings.count;
}

const char *rert_image_series_warning(const RertImageSeries *series,
                                      size_t index)
{
    return rt_warnings_at(&series->warnings, index);
}
