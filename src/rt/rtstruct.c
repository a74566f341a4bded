/* RT Structure Set reading: Structure Set (PS3.3 C.8.8.5), ROI Contour
 * (C.8.8.6) and RT ROI Observations (C.8.8.8). A broken ROI is marked and
 * kept out of the way; the others load. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/rt.h>

#include "internal.h"

#define TAG_STRUCTURE_SET_LABEL RERT_TAG(0x3006, 0x0002)
#define TAG_REF_FRAME_OF_REFERENCE_SEQ RERT_TAG(0x3006, 0x0010)
#define TAG_STRUCTURE_SET_ROI_SEQ RERT_TAG(0x3006, 0x0020)
#define TAG_ROI_NUMBER RERT_TAG(0x3006, 0x0022)
#define TAG_ROI_FRAME_OF_REFERENCE RERT_TAG(0x3006, 0x0024)
#define TAG_ROI_NAME RERT_TAG(0x3006, 0x0026)
#define TAG_ROI_DISPLAY_COLOR RERT_TAG(0x3006, 0x002A)
#define TAG_ROI_CONTOUR_SEQ RERT_TAG(0x3006, 0x0039)
#define TAG_CONTOUR_SEQ RERT_TAG(0x3006, 0x0040)
#define TAG_CONTOUR_TYPE RERT_TAG(0x3006, 0x0042)
#define TAG_CONTOUR_POINT_COUNT RERT_TAG(0x3006, 0x0046)
#define TAG_CONTOUR_DATA RERT_TAG(0x3006, 0x0050)
#define TAG_RT_ROI_OBSERVATIONS_SEQ RERT_TAG(0x3006, 0x0080)
#define TAG_REFERENCED_ROI_NUMBER RERT_TAG(0x3006, 0x0084)
#define TAG_RT_ROI_INTERPRETED_TYPE RERT_TAG(0x3006, 0x00A4)

struct RertRoi {
    long number;
    char name[RERT_RT_LO_SIZE];
    char interpreted_type[RERT_RT_LO_SIZE];
    char frame_uid[RERT_UID_SIZE];
    bool has_color;
    uint8_t color[3];
    bool has_contours; /* a ROIContourSequence item was used */
    RertErrorCode status;
    char error[RERT_ERROR_MESSAGE_SIZE];
    size_t contour_count;
    RertPolygon *contours;
    RertContourType *types;
    RertVec3 *points;
    size_t point_count;
    RertPolygon *closed;
    size_t closed_count;
};

struct RertStructureSet {
    RertRtMeta meta;
    char label[RERT_RT_LO_SIZE];
    RertRoi *rois;
    size_t roi_count;
    RtWarnings warnings;
};

RertStructureSetOptions rert_structure_set_options_default(void)
{
    RertStructureSetOptions o;
    memset(&o, 0, sizeof o);
    o.limits = rert_limits_default();
    o.planarity_tolerance_mm = 0.01;
    return o;
}

static void roi_clear_contours(RertRoi *roi)
{
    rert_free(roi->contours);
    rert_free(roi->types);
    rert_free(roi->points);
    rert_free(roi->closed);
    roi->contours = NULL;
    roi->types = NULL;
    roi->points = NULL;
    roi->closed = NULL;
    roi->contour_count = 0;
    roi->point_count = 0;
    roi->closed_count = 0;
}

void rert_structure_set_destroy(RertStructureSet *ss)
{
    if (ss == NULL) {
        return;
    }
    for (size_t i = 0; i < ss->roi_count; i++) {
        roi_clear_contours(&ss->rois[i]);
    }
    rert_free(ss->rois);
    rt_warnings_clear(&ss->warnings);
    rert_free(ss);
}

/* Mark @p roi broken with the problem in @p e: it keeps its identity but no
 * contours. */
static void roi_fail(RertRoi *roi, const RertError *e)
{
    (void)snprintf(roi->error, sizeof roi->error, "ROI %ld '%.64s': %.400s",
                   roi->number, roi->name, e->message);
    roi->status = e->code;
    roi_clear_contours(roi);
}

/* ---- ContourData: parsed directly from the DS text, linear time */

/* Count the values of a text element (backslash separated). */
static size_t text_value_count(const RertElement *el)
{
    size_t n = rert_element_length(el);
    const uint8_t *p = rert_element_value(el);
    if (n == 0 || p == NULL) {
        return 0;
    }
    size_t count = 1;
    for (size_t i = 0; i < n; i++) {
        count += p[i] == '\\';
    }
    return count;
}

static size_t contour_value_count(const RertDataset *item)
{
    const RertElement *el = rert_dataset_find(item, TAG_CONTOUR_DATA);
    if (el == NULL) {
        return 0;
    }
    if (strcmp(rert_element_vr(el), "DS") == 0) {
        return text_value_count(el);
    }
    return rert_dataset_value_count(item, TAG_CONTOUR_DATA);
}

/* Parse @p n values of ContourData into @p out (n = 3 x points). */
static bool
contour_values(RertError *err, const RertDataset *item, double *out, size_t n)
{
    const RertElement *el = rert_dataset_find(item, TAG_CONTOUR_DATA);
    if (strcmp(rert_element_vr(el), "DS") != 0) {
        for (size_t i = 0; i < n; i++) {
            if (!rert_dataset_get_double(err, item, TAG_CONTOUR_DATA, i,
                                         &out[i])) {
                return false;
            }
        }
        return true;
    }
    const char *p = (const char *)rert_element_value(el);
    size_t len = rert_element_length(el);
    size_t start = 0;
    size_t index = 0;
    for (size_t i = 0; i <= len && index < n; i++) {
        if (i == len || p[i] == '\\') {
            size_t l = i - start;
            while (l > 0 && p[start + l - 1] == '\0') {
                l--;
            }
            char what[64];
            (void)snprintf(what, sizeof what,
                           "(3006,0050) ContourData value "
                           "%zu",
                           index + 1);
            if (!rert_parse_double(err, p + start, l, what, &out[index])) {
                return false;
            }
            index++;
            start = i + 1;
        }
    }
    return true;
}

/* ---- planarity (Newell's method) */

static bool
is_planar(const RertVec3 *pts, size_t n, double tol, double *deviation)
{
    double normal[3] = {0.0, 0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        const RertVec3 *a = &pts[i];
        const RertVec3 *b = &pts[(i + 1) % n];
        normal[0] += (a->y - b->y) * (a->z + b->z);
        normal[1] += (a->z - b->z) * (a->x + b->x);
        normal[2] += (a->x - b->x) * (a->y + b->y);
    }
    double len = sqrt(rt_dot3(normal, normal));
    *deviation = 0.0;
    if (!(len > 0.0)) {
        return true; /* collinear or degenerate: lies in some plane */
    }
    double lo = HUGE_VAL;
    double hi = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        double p[3] = {pts[i].x, pts[i].y, pts[i].z};
        double d = rt_dot3(p, normal) / len;
        lo = fmin(lo, d);
        hi = fmax(hi, d);
    }
    *deviation = hi - lo;
    return *deviation <= tol;
}

static bool parse_type(const char *text, RertContourType *type)
{
    static const char *const names[] = {"CLOSED_PLANAR", "OPEN_PLANAR", "POINT",
                                        "OPEN_NONPLANAR"};
    for (size_t t = 0; t < sizeof names / sizeof names[0]; t++) {
        if (strcmp(text, names[t]) == 0) {
            *type = (RertContourType)t;
            return true;
        }
    }
    return false;
}

/* ---- contours of one ROI */

/* Sizes of the ROI's contours, checked. ROI-level problems mark the ROI
 * (and return true with *usable false); LIMIT and NOMEM return false. */
static bool count_contours(RertError *err,
                           const RertDataset *rc,
                           const RertStructureSetOptions *o,
                           RertRoi *roi,
                           size_t *total,
                           size_t *max_values,
                           bool *usable)
{
    size_t n = rert_dataset_item_count(rc, TAG_CONTOUR_SEQ);
    *total = 0;
    *max_values = 0;
    *usable = false;
    for (size_t c = 0; c < n; c++) {
        const RertDataset *item = rert_dataset_item(rc, TAG_CONTOUR_SEQ, c);
        char text[RERT_RT_LO_SIZE];
        RertContourType type;
        long points = 0;
        rt_string_or_empty(item, TAG_CONTOUR_TYPE, text, sizeof text);
        if (!parse_type(text, &type)) {
            RertError e;
            rert_error_set(
                &e, RERT_ERR_PARSE,
                "contour %zu: (3006,0042) ContourGeometricType '%s', "
                "expected CLOSED_PLANAR, OPEN_PLANAR, POINT or "
                "OPEN_NONPLANAR",
                c + 1, text);
            roi_fail(roi, &e);
            return true;
        }
        RertError local;
        if (!rert_dataset_get_long(&local, item, TAG_CONTOUR_POINT_COUNT, 0,
                                   &points) ||
            points < 0) {
            RertError e;
            rert_error_set(&e, RERT_ERR_PARSE,
                           "contour %zu: (3006,0046) NumberOfContourPoints "
                           "missing or negative",
                           c + 1);
            roi_fail(roi, &e);
            return true;
        }
        if ((size_t)points > o->limits.max_contour_points) {
            return rert_error_set(err, RERT_ERR_LIMIT,
                                  "ROI %ld contour %zu has %ld points, limit "
                                  "%zu",
                                  roi->number, c + 1, points,
                                  o->limits.max_contour_points);
        }
        size_t values = contour_value_count(item);
        if (values != 3 * (size_t)points) {
            RertError e;
            rert_error_set(
                &e, RERT_ERR_PARSE,
                "contour %zu: (3006,0046) NumberOfContourPoints is %ld "
                "but (3006,0050) ContourData has %zu values, expected "
                "%zu",
                c + 1, points, values, 3 * (size_t)points);
            roi_fail(roi, &e);
            return true;
        }
        if (!rert_add_size(err, *total, (size_t)points, total)) {
            return false;
        }
        *max_values = values > *max_values ? values : *max_values;
    }
    *usable = true;
    return true;
}

static bool alloc_contours(RertError *err, RertRoi *roi, size_t n, size_t total)
{
    roi->contours = rert_calloc(err, n, sizeof *roi->contours);
    roi->types = rert_calloc(err, n, sizeof *roi->types);
    roi->closed = rert_calloc(err, n, sizeof *roi->closed);
    roi->points = rert_calloc(err, total, sizeof *roi->points);
    return roi->contours != NULL && roi->types != NULL && roi->closed != NULL &&
           roi->points != NULL;
}

/* Read contour @p c into roi->points at @p at. */
static bool read_contour(const RertDataset *item,
                         size_t c,
                         double *values,
                         const RertStructureSetOptions *o,
                         RertRoi *roi,
                         size_t *at)
{
    char text[RERT_RT_LO_SIZE];
    RertContourType type = RERT_CONTOUR_POINT;
    rt_string_or_empty(item, TAG_CONTOUR_TYPE, text, sizeof text);
    (void)parse_type(text, &type); /* checked by count_contours */
    size_t n = contour_value_count(item) / 3;
    RertError local;
    if (!contour_values(&local, item, values, 3 * n)) {
        rert_error_prefix(&local, "contour %zu", c + 1);
        roi_fail(roi, &local);
        return false;
    }
    RertVec3 *pts = roi->points + *at;
    for (size_t p = 0; p < n; p++) {
        pts[p] =
            (RertVec3){values[3 * p], values[3 * p + 1], values[3 * p + 2]};
    }
    double deviation = 0.0;
    if (type == RERT_CONTOUR_CLOSED_PLANAR && n >= 3 &&
        !is_planar(pts, n, o->planarity_tolerance_mm, &deviation)) {
        RertError e;
        rert_error_set(
            &e, RERT_ERR_GEOMETRY,
            "contour %zu (CLOSED_PLANAR, %zu points) is not planar: its "
            "points leave their plane by %.4g mm (tolerance %g mm)",
            c + 1, n, deviation, o->planarity_tolerance_mm);
        roi_fail(roi, &e);
        return false;
    }
    roi->contours[c] = (RertPolygon){pts, n};
    roi->types[c] = type;
    *at += n;
    if (type == RERT_CONTOUR_CLOSED_PLANAR && n > 0) {
        size_t m = n;
        if (m > 3 && pts[m - 1].x == pts[0].x && pts[m - 1].y == pts[0].y &&
            pts[m - 1].z == pts[0].z) {
            m--; /* closing point repeated */
        }
        roi->closed[roi->closed_count++] = (RertPolygon){pts, m};
    }
    return true;
}

static bool load_contours(RertError *err,
                          const RertDataset *rc,
                          const RertStructureSetOptions *o,
                          RertRoi *roi)
{
    size_t total = 0;
    size_t max_values = 0;
    bool usable = false;
    if (!count_contours(err, rc, o, roi, &total, &max_values, &usable)) {
        return false;
    }
    size_t n = rert_dataset_item_count(rc, TAG_CONTOUR_SEQ);
    if (!usable || n == 0) {
        return true;
    }
    if (!alloc_contours(err, roi, n, total)) {
        return false;
    }
    double *values = rert_calloc(err, max_values, sizeof *values);
    if (values == NULL) {
        return false;
    }
    size_t at = 0;
    for (size_t c = 0; c < n; c++) {
        if (!read_contour(rert_dataset_item(rc, TAG_CONTOUR_SEQ, c), c, values,
                          o, roi, &at)) {
            break; /* the ROI is marked; the others go on */
        }
    }
    rert_free(values);
    if (roi->status == RERT_OK) {
        roi->contour_count = n;
        roi->point_count = total;
    }
    return true;
}

/* ---- the three sequences */

static RertRoi *find_roi(const RertStructureSet *ss, long number)
{
    for (size_t i = 0; i < ss->roi_count; i++) {
        if (ss->rois[i].number == number) {
            return &ss->rois[i];
        }
    }
    return NULL;
}

static bool read_roi_item(RertError *err,
                          const RertDataset *item,
                          size_t i,
                          RertStructureSet *ss)
{
    RertRoi *roi = &ss->rois[i];
    if (!rert_dataset_get_long(err, item, TAG_ROI_NUMBER, 0, &roi->number)) {
        rert_error_prefix(err, "(3006,0020) StructureSetROISequence item %zu",
                          i + 1);
        return false;
    }
    rt_string_or_empty(item, TAG_ROI_NAME, roi->name, sizeof roi->name);
    rt_string_or_empty(item, TAG_ROI_FRAME_OF_REFERENCE, roi->frame_uid,
                       sizeof roi->frame_uid);
    for (size_t k = 0; k < i; k++) {
        if (ss->rois[k].number == roi->number) {
            RertError e;
            rert_error_set(&e, RERT_ERR_PARSE,
                           "(3006,0022) ROINumber repeats item %zu of "
                           "StructureSetROISequence",
                           k + 1);
            roi_fail(roi, &e);
            break;
        }
    }
    return true;
}

static bool read_rois(RertError *err,
                      const RertDataset *ds,
                      const RertStructureSetOptions *o,
                      RertStructureSet *ss)
{
    size_t n = rert_dataset_item_count(ds, TAG_STRUCTURE_SET_ROI_SEQ);
    if (n == 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(3006,0020) StructureSetROISequence missing "
                              "or empty");
    }
    if (n > o->limits.max_rois) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "(3006,0020) StructureSetROISequence has %zu "
                              "ROIs, limit %zu",
                              n, o->limits.max_rois);
    }
    ss->rois = rert_calloc(err, n, sizeof *ss->rois);
    if (ss->rois == NULL) {
        return false;
    }
    ss->roi_count = n;
    for (size_t i = 0; i < n; i++) {
        const RertDataset *item =
            rert_dataset_item(ds, TAG_STRUCTURE_SET_ROI_SEQ, i);
        if (!read_roi_item(err, item, i, ss)) {
            return false;
        }
    }
    return true;
}

static bool
read_observations(RertError *err, const RertDataset *ds, RertStructureSet *ss)
{
    size_t n = rert_dataset_item_count(ds, TAG_RT_ROI_OBSERVATIONS_SEQ);
    for (size_t i = 0; i < n; i++) {
        const RertDataset *item =
            rert_dataset_item(ds, TAG_RT_ROI_OBSERVATIONS_SEQ, i);
        long number = 0;
        RertRoi *roi = NULL;
        if (rert_dataset_get_long(NULL, item, TAG_REFERENCED_ROI_NUMBER, 0,
                                  &number)) {
            roi = find_roi(ss, number);
        }
        if (roi == NULL) {
            if (!rt_warnings_add(err, &ss->warnings,
                                 "(3006,0080) RTROIObservationsSequence item "
                                 "%zu refers to no known ROI",
                                 i + 1)) {
                return false;
            }
            continue;
        }
        if (roi->interpreted_type[0] == '\0') {
            rt_string_or_empty(item, TAG_RT_ROI_INTERPRETED_TYPE,
                               roi->interpreted_type,
                               sizeof roi->interpreted_type);
        }
    }
    return true;
}

static void read_color(const RertDataset *item, RertRoi *roi)
{
    double rgb[3];
    if (!rert_dataset_get_doubles(NULL, item, TAG_ROI_DISPLAY_COLOR, rgb, 3)) {
        return;
    }
    for (int c = 0; c < 3; c++) {
        if (!(rgb[c] >= 0.0 && rgb[c] <= 255.0)) {
            return;
        }
    }
    for (int c = 0; c < 3; c++) {
        roi->color[c] = (uint8_t)rgb[c];
    }
    roi->has_color = true;
}

static bool read_roi_contours(RertError *err,
                              const RertDataset *ds,
                              const RertStructureSetOptions *o,
                              RertStructureSet *ss)
{
    size_t n = rert_dataset_item_count(ds, TAG_ROI_CONTOUR_SEQ);
    for (size_t i = 0; i < n; i++) {
        const RertDataset *item = rert_dataset_item(ds, TAG_ROI_CONTOUR_SEQ, i);
        long number = 0;
        RertRoi *roi = NULL;
        if (rert_dataset_get_long(NULL, item, TAG_REFERENCED_ROI_NUMBER, 0,
                                  &number)) {
            roi = find_roi(ss, number);
        }
        if (roi == NULL || roi->has_contours) {
            if (!rt_warnings_add(err, &ss->warnings,
                                 "(3006,0039) ROIContourSequence item %zu "
                                 "refers to %s ROI %ld; ignored",
                                 i + 1,
                                 roi == NULL ? "no known"
                                             : "an already "
                                               "contoured",
                                 number)) {
                return false;
            }
            continue;
        }
        roi->has_contours = true;
        read_color(item, roi);
        if (roi->status == RERT_OK && !load_contours(err, item, o, roi)) {
            return false;
        }
    }
    return true;
}

static bool read_frame_of_reference(RertError *err,
                                    const RertDataset *ds,
                                    RertStructureSet *ss)
{
    const RertDataset *ref =
        rert_dataset_item(ds, TAG_REF_FRAME_OF_REFERENCE_SEQ, 0);
    char *uid = ss->meta.frame_of_reference_uid;
    if (ref != NULL) {
        rt_string_or_empty(ref, TAG_FRAME_OF_REFERENCE_UID, uid, RERT_UID_SIZE);
    }
    for (size_t i = 0; uid[0] == '\0' && i < ss->roi_count; i++) {
        memcpy(uid, ss->rois[i].frame_uid, RERT_UID_SIZE);
    }
    if (uid[0] == '\0') {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "no frame of reference: (3006,0010) "
                              "ReferencedFrameOfReferenceSequence and every "
                              "(3006,0024) ReferencedFrameOfReferenceUID "
                              "are missing");
    }
    return true;
}

RertStructureSet *
rert_structure_set_from_dataset(RertError *err,
                                const RertDataset *ds,
                                const RertStructureSetOptions *options)
{
    RertStructureSetOptions defaults = rert_structure_set_options_default();
    const RertStructureSetOptions *o = options != NULL ? options : &defaults;
    if (ds == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "RT Structure Set: NULL data set");
        return NULL;
    }
    RertRtObjectKind kind = rert_rt_object_kind(ds);
    if (kind != RERT_RT_OBJECT_RTSTRUCT && kind != RERT_RT_OBJECT_UNKNOWN) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "data set is %s, expected RTSTRUCT",
                       rert_rt_object_kind_name(kind));
        return NULL;
    }
    RertStructureSet *ss = rert_calloc(err, 1, sizeof *ss);
    if (ss == NULL) {
        return NULL;
    }
    rt_meta_read(ds, &ss->meta);
    rt_string_or_empty(ds, TAG_STRUCTURE_SET_LABEL, ss->label,
                       sizeof ss->label);
    if (!read_rois(err, ds, o, ss) || !read_observations(err, ds, ss) ||
        !read_roi_contours(err, ds, o, ss) ||
        !read_frame_of_reference(err, ds, ss)) {
        rert_structure_set_destroy(ss);
        return NULL;
    }
    return ss;
}

RertStructureSet *rert_structure_set_load(
    RertError *err, const char *path, const RertStructureSetOptions *options)
{
    RertStructureSetOptions defaults = rert_structure_set_options_default();
    const RertStructureSetOptions *o = options != NULL ? options : &defaults;
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits = o->limits;
    RertDataset *ds = rert_dicom_load(err, path, &po, NULL);
    if (ds == NULL) {
        return NULL;
    }
    RertStructureSet *ss = rert_structure_set_from_dataset(err, ds, o);
    rert_dataset_destroy(ds);
    if (ss == NULL) {
        rert_error_prefix(err, "RT Structure Set %s", path);
    }
    return ss;
}

/* ---- accessors */

const RertRtMeta *rert_structure_set_meta(const RertStructureSet *ss)
{
    return &ss->meta;
}

const char *rert_structure_set_label(const RertStructureSet *ss)
{
    return ss->label;
}

size_t rert_structure_set_roi_count(const RertStructureSet *ss)
{
    return ss->roi_count;
}

const RertRoi *rert_structure_set_roi_at(const RertStructureSet *ss,
                                         size_t index)
{
    return index < ss->roi_count ? &ss->rois[index] : NULL;
}

const RertRoi *rert_structure_set_roi_by_number(const RertStructureSet *ss,
                                                long number)
{
    return find_roi(ss, number);
}

const RertRoi *rert_structure_set_roi_by_name(const RertStructureSet *ss,
                                              const char *name)
{
    for (size_t i = 0; name != NULL && i < ss->roi_count; i++) {
        if (rt_name_equal(ss->rois[i].name, name)) {
            return &ss->rois[i];
        }
    }
    return NULL;
}

size_t rert_structure_set_warning_count(const RertStructureSet *ss)
{
    return ss->warnings.count;
}

const char *rert_structure_set_warning(const RertStructureSet *ss, size_t index)
{
    return rt_warnings_at(&ss->warnings, index);
}

long rert_roi_number(const RertRoi *roi)
{
    return roi->number;
}

const char *rert_roi_name(const RertRoi *roi)
{
    return roi->name;
}

const char *rert_roi_interpreted_type(const RertRoi *roi)
{
    return roi->interpreted_type;
}

const char *rert_roi_frame_of_reference_uid(const RertRoi *roi)
{
    return roi->frame_uid;
}

bool rert_roi_color(const RertRoi *roi, uint8_t rgb[3])
{
    if (!roi->has_color) {
        return false;
    }
    memcpy(rgb, roi->color, 3);
    return true;
}

RertErrorCode rert_roi_status(const RertRoi *roi)
{
    return roi->status;
}

const char *rert_roi_error(const RertRoi *roi)
{
    return roi->error;
}

size_t rert_roi_contour_count(const RertRoi *roi)
{
    return roi->contour_count;
}

size_t rert_roi_point_count(const RertRoi *roi)
{
    return roi->point_count;
}

RertPolygon
rert_roi_contour(const RertRoi *roi, size_t index, RertContourType *type)
{
    if (index >= roi->contour_count) {
        return (RertPolygon){NULL, 0};
    }
    if (type != NULL) {
        *type = roi->types[index];
    }
    return roi->contours[index];
}

const RertPolygon *rert_roi_polygons(const RertRoi *roi, size_t *count)
{
    *count = roi->closed_count;
    return roi->closed_count > 0 ? roi->closed : NULL;
}
