/* Shared RT helpers: image plane geometry (PS3.3 C.7.6.2), pixel formats
 * (C.7.6.3), identifying metadata, warnings and the object-kind sniffer. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/rt.h>

#include "internal.h"

/* ImageOrientationPatient vectors must be unit length and orthogonal
 * within this tolerance (style guide P5). */
#define IOP_TOLERANCE 1e-4

bool rt_warnings_add(RertError *err, RtWarnings *w, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (w->count == w->cap) {
        size_t ncap = w->cap == 0 ? 4 : w->cap * 2;
        char **grown = rert_realloc_array(err, w->items, ncap, sizeof *grown);
        if (grown == NULL) {
            return false;
        }
        w->items = grown;
        w->cap = ncap;
    }
    char *copy = rert_strdup(err, text);
    if (copy == NULL) {
        return false;
    }
    w->items[w->count++] = copy;
    rert_log(RERT_LOG_WARNING, "%s", text);
    return true;
}

void rt_warnings_clear(RtWarnings *w)
{
    for (size_t i = 0; i < w->count; i++) {
        rert_free(w->items[i]);
    }
    rert_free(w->items);
    w->items = NULL;
    w->count = 0;
    w->cap = 0;
}

const char *rt_warnings_at(const RtWarnings *w, size_t index)
{
    return index < w->count ? w->items[index] : NULL;
}

void rt_string_or_empty(const RertDataset *ds,
                        uint32_t tag,
                        char *buf,
                        size_t size)
{
    if (!rert_dataset_get_string(NULL, ds, tag, 0, buf, size)) {
        buf[0] = '\0';
    }
}

void rt_meta_read(const RertDataset *ds, RertRtMeta *meta)
{
    memset(meta, 0, sizeof *meta);
    rt_string_or_empty(ds, TAG_MODALITY, meta->modality, sizeof meta->modality);
    rt_string_or_empty(ds, TAG_SOP_CLASS_UID, meta->sop_class_uid,
                       sizeof meta->sop_class_uid);
    rt_string_or_empty(ds, TAG_SOP_INSTANCE_UID, meta->sop_instance_uid,
                       sizeof meta->sop_instance_uid);
    rt_string_or_empty(ds, TAG_PATIENT_ID, meta->patient_id,
                       sizeof meta->patient_id);
    /* PN may hold several component groups; keep the whole value. */
    const RertElement *pn = rert_dataset_find(ds, TAG_PATIENT_NAME);
    if (pn != NULL && rert_element_length(pn) < sizeof meta->patient_name) {
        size_t n = rert_element_length(pn);
        if (n > 0) {
            memcpy(meta->patient_name, rert_element_value(pn), n);
        }
        while (n > 0 && (meta->patient_name[n - 1] == ' ' ||
                         meta->patient_name[n - 1] == '\0')) {
            n--;
        }
        meta->patient_name[n] = '\0';
    }
    rt_string_or_empty(ds, TAG_STUDY_INSTANCE_UID, meta->study_instance_uid,
                       sizeof meta->study_instance_uid);
    rt_string_or_empty(ds, TAG_SERIES_INSTANCE_UID, meta->series_instance_uid,
                       sizeof meta->series_instance_uid);
    rt_string_or_empty(ds, TAG_FRAME_OF_REFERENCE_UID,
                       meta->frame_of_reference_uid,
                       sizeof meta->frame_of_reference_uid);
    rt_string_or_empty(ds, TAG_SERIES_DESCRIPTION, meta->series_description,
                       sizeof meta->series_description);
}

double rt_dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

void rt_cross3(const double *a, const double *b, double *out)
{
    double x = a[1] * b[2] - a[2] * b[1];
    double y = a[2] * b[0] - a[0] * b[2];
    double z = a[0] * b[1] - a[1] * b[0];
    out[0] = x;
    out[1] = y;
    out[2] = z;
}

static bool check_orientation(RertError *err, const double iop[6])
{
    double nr = sqrt(rt_dot3(iop, iop));
    double nc = sqrt(rt_dot3(iop + 3, iop + 3));
    double d = rt_dot3(iop, iop + 3);
    if (fabs(nr - 1.0) > IOP_TOLERANCE || fabs(nc - 1.0) > IOP_TOLERANCE ||
        fabs(d) > IOP_TOLERANCE) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "(0020,0037) ImageOrientationPatient "
                              "%g\\%g\\%g\\%g\\%g\\%g is not orthonormal: "
                              "row norm %.6g, column norm %.6g, dot %.6g "
                              "(tolerance %g)",
                              iop[0], iop[1], iop[2], iop[3], iop[4], iop[5],
                              nr, nc, d, IOP_TOLERANCE);
    }
    return true;
}

static bool read_size(RertError *err,
                      const RertDataset *ds,
                      uint32_t tag,
                      const char *name,
                      size_t *out)
{
    long v = 0;
    if (!rert_dataset_get_long(err, ds, tag, 0, &v)) {
        rert_error_prefix(err, "%s", name);
        return false;
    }
    if (v < 1 || v > 65535) {
        return rert_error_set(
            err, RERT_ERR_GEOMETRY, "(%04X,%04X) %s is %ld, expected 1..65535",
            RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag), name, v);
    }
    *out = (size_t)v;
    return true;
}

bool rt_image_plane_read(RertError *err,
                         const RertDataset *ds,
                         RtImagePlane *plane)
{
    double iop[6];
    double spacing[2];
    if (!rert_dataset_get_doubles(err, ds, TAG_IMAGE_POSITION, plane->position,
                                  3) ||
        !rert_dataset_get_doubles(err, ds, TAG_IMAGE_ORIENTATION, iop, 6) ||
        !rert_dataset_get_doubles(err, ds, TAG_PIXEL_SPACING, spacing, 2)) {
        return false;
    }
    if (!read_size(err, ds, TAG_ROWS, "Rows", &plane->rows) ||
        !read_size(err, ds, TAG_COLUMNS, "Columns", &plane->columns) ||
        !check_orientation(err, iop)) {
        return false;
    }
    for (int a = 0; a < 2; a++) {
        if (!isfinite(spacing[a]) || !(spacing[a] > 0.0)) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "(0028,0030) PixelSpacing value %d is %g, "
                                  "expected finite and > 0",
                                  a + 1, spacing[a]);
        }
    }
    for (int a = 0; a < 3; a++) {
        plane->row_dir[a] = iop[a];
        plane->col_dir[a] = iop[3 + a];
    }
    rt_cross3(plane->row_dir, plane->col_dir, plane->normal);
    double nn = sqrt(rt_dot3(plane->normal, plane->normal));
    for (int a = 0; a < 3; a++) {
        plane->normal[a] /= nn;
    }
    /* PS3.3 C.7.6.2.1.1: first value = row spacing (between rows, along
     * j), second = column spacing (between columns, along i). */
    plane->spacing_j_mm = spacing[0];
    plane->spacing_i_mm = spacing[1];
    return true;
}

void rt_transfer_syntax(const RertDataset *ds, char out[RERT_UID_SIZE])
{
    if (!rert_dataset_get_string(NULL, ds, TAG_TRANSFER_SYNTAX, 0, out,
                                 RERT_UID_SIZE) ||
        out[0] == '\0') {
        memcpy(out, RERT_TS_EXPLICIT_LE, sizeof RERT_TS_EXPLICIT_LE);
    }
}

RertDataset *rt_header_clone(RertError *err, const RertDataset *ds)
{
    return rert_dataset_clone_except(err, ds, TAG_PIXEL_DATA);
}

bool rt_pixel_format_read(RertError *err,
                          const RertDataset *ds,
                          RtPixelFormat *fmt)
{
    long allocated = 0;
    long stored = 0;
    long repr = 0;
    long samples = 1;
    if (rert_dataset_has(ds, TAG_SAMPLES_PER_PIXEL) &&
        !rert_dataset_get_long(err, ds, TAG_SAMPLES_PER_PIXEL, 0, &samples)) {
        return false;
    }
    if (samples != 1) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "(0028,0002) SamplesPerPixel is %ld, expected 1",
                              samples);
    }
    if (!rert_dataset_get_long(err, ds, TAG_BITS_ALLOCATED, 0, &allocated) ||
        !rert_dataset_get_long(err, ds, TAG_PIXEL_REPRESENTATION, 0, &repr)) {
        return false;
    }
    if (allocated != 8 && allocated != 16 && allocated != 32) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "(0028,0100) BitsAllocated is %ld, expected 8, "
                              "16 or 32",
                              allocated);
    }
    if (repr != 0 && repr != 1) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(0028,0103) PixelRepresentation is %ld, "
                              "expected 0 or 1",
                              repr);
    }
    stored = allocated;
    if (rert_dataset_has(ds, TAG_BITS_STORED) &&
        !rert_dataset_get_long(err, ds, TAG_BITS_STORED, 0, &stored)) {
        return false;
    }
    if (stored < 1 || stored > allocated) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(0028,0101) BitsStored is %ld, expected 1..%ld "
                              "(BitsAllocated)",
                              stored, allocated);
    }
    fmt->bits_allocated = (unsigned)allocated;
    fmt->bits_stored = (unsigned)stored;
    fmt->is_signed = repr == 1;
    return true;
}

double
rt_pixel_value(const uint8_t *bytes, size_t index, const RtPixelFormat *fmt)
{
    size_t nb = fmt->bits_allocated / 8;
    const uint8_t *p = bytes + index * nb;
    uint32_t raw = 0;
    for (size_t b = nb; b > 0; b--) {
        raw = (raw << 8) | p[b - 1];
    }
    uint32_t mask = fmt->bits_stored >= 32
                        ? 0xFFFFFFFFu
                        : ((uint32_t)1 << fmt->bits_stored) - 1u;
    raw &= mask;
    if (fmt->is_signed && fmt->bits_stored < 32 &&
        (raw & ((uint32_t)1 << (fmt->bits_stored - 1))) != 0) {
        return (double)raw - (double)((uint64_t)1 << fmt->bits_stored);
    }
    if (fmt->is_signed && fmt->bits_stored == 32) {
        return (double)(int32_t)raw;
    }
    return (double)raw;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void trim(const char *s, const char **start, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && is_blank(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_blank(s[n - 1])) {
        n--;
    }
    *start = s;
    *len = n;
}

bool rt_name_equal(const char *a, const char *b)
{
    const char *sa = NULL;
    const char *sb = NULL;
    size_t la = 0;
    size_t lb = 0;
    trim(a, &sa, &la);
    trim(b, &sb, &lb);
    if (la != lb) {
        return false;
    }
    for (size_t i = 0; i < la; i++) {
        if (ascii_lower(sa[i]) != ascii_lower(sb[i])) {
            return false;
        }
    }
    return true;
}

/* Recursion depth is bounded by @p depth (with rt_dataset_copy_into). */
// NOLINTNEXTLINE(misc-no-recursion)
bool rt_element_copy_into(RertError *err,
                          RertDataset *dst,
                          const RertElement *el,
                          size_t depth)
{
    uint32_t tag = rert_element_tag(el);
    if (strcmp(rert_element_vr(el), "SQ") != 0) {
        return rert_dataset_set_bytes(err, dst, tag, rert_element_vr(el),
                                      rert_element_value(el),
                                      rert_element_length(el));
    }
    for (size_t k = 0; k < rert_element_item_count(el); k++) {
        RertDataset *item = rert_dataset_add_item(err, dst, tag);
        if (item == NULL ||
            !rt_dataset_copy_into(err, item, rert_element_item(el, k), depth)) {
            return false;
        }
    }
    return true;
}

/* Recursion depth is bounded by @p depth. */
// NOLINTNEXTLINE(misc-no-recursion)
bool rt_dataset_copy_into(RertError *err,
                          RertDataset *dst,
                          const RertDataset *src,
                          size_t depth)
{
    if (depth == 0) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "sequence nesting too deep to copy");
    }
    for (size_t i = 0; i < rert_dataset_count(src); i++) {
        if (!rt_element_copy_into(err, dst, rert_dataset_element_at(src, i),
                                  depth - 1)) {
            return false;
        }
    }
    return true;
}

/* ---- object kind */

static const struct {
    const char *uid;
    RertRtObjectKind kind;
} sop_kinds[] = {
    {RERT_SOP_CT, RERT_RT_OBJECT_CT},
    {RERT_SOP_ENHANCED_CT, RERT_RT_OBJECT_CT},
    {RERT_SOP_MR, RERT_RT_OBJECT_MR},
    {RERT_SOP_ENHANCED_MR, RERT_RT_OBJECT_MR},
    {RERT_SOP_PET, RERT_RT_OBJECT_PT},
    {RERT_SOP_ENHANCED_PET, RERT_RT_OBJECT_PT},
    {RERT_SOP_RTDOSE, RERT_RT_OBJECT_RTDOSE},
    {RERT_SOP_RTSTRUCT, RERT_RT_OBJECT_RTSTRUCT},
    {RERT_SOP_RTPLAN, RERT_RT_OBJECT_RTPLAN},
    {RERT_SOP_RTIONPLAN, RERT_RT_OBJECT_RTIONPLAN},
    {RERT_SOP_REGISTRATION, RERT_RT_OBJECT_REG},
    {RERT_SOP_DEFORMABLE_REGISTRATION, RERT_RT_OBJECT_REG},
};

static const char *const kind_names[] = {
    "UNKNOWN",  "CT",     "MR",        "PT",  "RTDOSE",
    "RTSTRUCT", "RTPLAN", "RTIONPLAN", "REG",
};

const char *rert_rt_object_kind_name(RertRtObjectKind kind)
{
    size_t k = (size_t)kind;
    return k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k]
                                                        : "UNKNOWN";
}

RertRtObjectKind rert_rt_object_kind(const RertDataset *ds)
{
    if (ds == NULL) {
        return RERT_RT_OBJECT_UNKNOWN;
    }
    char text[RERT_UID_SIZE];
    rt_string_or_empty(ds, TAG_SOP_CLASS_UID, text, sizeof text);
    for (size_t i = 0; i < sizeof sop_kinds / sizeof sop_kinds[0]; i++) {
        if (strcmp(text, sop_kinds[i].uid) == 0) {
            return sop_kinds[i].kind;
        }
    }
    rt_string_or_empty(ds, TAG_MODALITY, text, sizeof text);
    if (strcmp(text, "RTPLAN") == 0 &&
        rert_dataset_has(ds, RERT_TAG(0x300A, 0x03A2))) {
        return RERT_RT_OBJECT_RTIONPLAN;
    }
    for (size_t k = 1; k < sizeof kind_names / sizeof kind_names[0]; k++) {
        if (strcmp(text, kind_names[k]) == 0) {
            return (RertRtObjectKind)k;
        }
    }
    return RERT_RT_OBJECT_UNKNOWN;
}
