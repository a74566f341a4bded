/* RT Structure Set writing (PS3.3 A.19: Structure Set C.8.8.5, ROI Contour
 * C.8.8.6, RT ROI Observations C.8.8.8, SOP Common C.12.1): a new set from
 * ROIs with closed planar contours, or an existing set plus new ROIs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/rt.h>

#include "internal.h"

#define TAG_STRUCTURE_SET_LABEL RERT_TAG(0x3006, 0x0002)
#define TAG_STRUCTURE_SET_DATE RERT_TAG(0x3006, 0x0008)
#define TAG_STRUCTURE_SET_TIME RERT_TAG(0x3006, 0x0009)
#define TAG_REF_FRAME_SEQ RERT_TAG(0x3006, 0x0010)
#define TAG_REF_STUDY_SEQ RERT_TAG(0x3006, 0x0012)
#define TAG_REF_SERIES_SEQ RERT_TAG(0x3006, 0x0014)
#define TAG_CONTOUR_IMAGE_SEQ RERT_TAG(0x3006, 0x0016)
#define TAG_SS_ROI_SEQ RERT_TAG(0x3006, 0x0020)
#define TAG_ROI_NUMBER RERT_TAG(0x3006, 0x0022)
#define TAG_ROI_FRAME_UID RERT_TAG(0x3006, 0x0024)
#define TAG_ROI_NAME RERT_TAG(0x3006, 0x0026)
#define TAG_ROI_DESCRIPTION RERT_TAG(0x3006, 0x0028)
#define TAG_ROI_COLOR RERT_TAG(0x3006, 0x002A)
#define TAG_ROI_ALGORITHM RERT_TAG(0x3006, 0x0036)
#define TAG_ROI_CONTOUR_SEQ RERT_TAG(0x3006, 0x0039)
#define TAG_CONTOUR_SEQ RERT_TAG(0x3006, 0x0040)
#define TAG_CONTOUR_TYPE RERT_TAG(0x3006, 0x0042)
#define TAG_CONTOUR_POINTS RERT_TAG(0x3006, 0x0046)
#define TAG_CONTOUR_NUMBER RERT_TAG(0x3006, 0x0048)
#define TAG_CONTOUR_DATA RERT_TAG(0x3006, 0x0050)
#define TAG_OBSERVATIONS_SEQ RERT_TAG(0x3006, 0x0080)
#define TAG_OBSERVATION_NUMBER RERT_TAG(0x3006, 0x0082)
#define TAG_REF_ROI_NUMBER RERT_TAG(0x3006, 0x0084)
#define TAG_INTERPRETED_TYPE RERT_TAG(0x3006, 0x00A4)
#define TAG_ROI_INTERPRETER RERT_TAG(0x3006, 0x00A6)
#define TAG_APPROVAL_STATUS RERT_TAG(0x300E, 0x0002)
/* Retired Detached Study Management SOP class: what RT Referenced Study
 * items conventionally name (PS3.3 C.8.8.5). */
#define STUDY_COMPONENT_CLASS "1.2.840.10008.3.1.2.3.1"
#define COPY_DEPTH 32
#define MAX_ROI_NUMBER 2147483647L

RertStructureSetWriteOptions rert_structure_set_write_options_default(void)
{
    RertStructureSetWriteOptions o;
    memset(&o, 0, sizeof o);
    o.series_number = 1;
    return o;
}

/* ---- validation */

static bool is_cs_text(const char *s)
{
    size_t n = strlen(s);
    if (n > 16) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == ' ')) {
            return false;
        }
    }
    return true;
}

static bool is_lo_text(const char *s, size_t max_len)
{
    size_t n = strlen(s);
    if (n > max_len) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '\\' || c == 0x7F) {
            return false;
        }
    }
    return true;
}

static bool check_polygons(RertError *err, const RertRoiWriteSpec *r)
{
    if (r->polygon_count > 0 && r->polygons == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI '%s': %zu polygons but no array", r->name,
                              r->polygon_count);
    }
    for (size_t p = 0; p < r->polygon_count; p++) {
        const RertPolygon *poly = &r->polygons[p];
        if (poly->count < 3 || poly->points_mm == NULL) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "ROI '%s' polygon %zu: %zu points, expected "
                                  "at least 3 (closed planar)",
                                  r->name, p, poly->count);
        }
        for (size_t q = 0; q < poly->count; q++) {
            RertVec3 v = poly->points_mm[q];
            if (!isfinite(v.x) || !isfinite(v.y) || !isfinite(v.z)) {
                return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                      "ROI '%s' polygon %zu point %zu is not "
                                      "finite",
                                      r->name, p, q);
            }
        }
    }
    return true;
}

static bool check_spec(RertError *err, const RertRoiWriteSpec *r, size_t index)
{
    if (r->name == NULL || r->name[0] == '\0' || !is_lo_text(r->name, 64)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI %zu: name '%s' must be 1 to 64 characters "
                              "without '\\' or control characters",
                              index, r->name != NULL ? r->name : "(null)");
    }
    if (r->number < 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI '%s': number %ld, expected >= 1 (0 = "
                              "assign)",
                              r->name, r->number);
    }
    if (r->interpreted_type != NULL && !is_cs_text(r->interpreted_type)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI '%s': RTROIInterpretedType '%s' is not a "
                              "code string (A-Z, 0-9, '_', ' '; at most 16)",
                              r->name, r->interpreted_type);
    }
    const char *algo = r->generation_algorithm;
    if (algo != NULL && strcmp(algo, "AUTOMATIC") != 0 &&
        strcmp(algo, "SEMIAUTOMATIC") != 0 && strcmp(algo, "MANUAL") != 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI '%s': ROIGenerationAlgorithm '%s', expected "
                              "AUTOMATIC, SEMIAUTOMATIC or MANUAL",
                              r->name, algo);
    }
    if (r->description != NULL && !is_lo_text(r->description, 64)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI '%s': description longer than 64 characters "
                              "or with '\\' or control characters",
                              r->name);
    }
    return check_polygons(err, r);
}

/* ---- numbers and names already in use */

static bool existing_has_number(const RertDataset *ds,
                                uint32_t seq,
                                uint32_t tag,
                                long number)
{
    size_t n = ds != NULL ? rert_dataset_item_count(ds, seq) : 0;
    for (size_t i = 0; i < n; i++) {
        long v = 0;
        if (rert_dataset_get_long(NULL, rert_dataset_item(ds, seq, i), tag, 0,
                                  &v) &&
            v == number) {
            return true;
        }
    }
    return false;
}

static bool existing_has_name(const RertDataset *ds, const char *name)
{
    size_t n = ds != NULL ? rert_dataset_item_count(ds, TAG_SS_ROI_SEQ) : 0;
    for (size_t i = 0; i < n; i++) {
        char buf[RERT_RT_LO_SIZE];
        rt_string_or_empty(rert_dataset_item(ds, TAG_SS_ROI_SEQ, i),
                           TAG_ROI_NAME, buf, sizeof buf);
        if (rt_name_equal(buf, name)) {
            return true;
        }
    }
    return false;
}

static long max_number(const RertDataset *ds, uint32_t seq, uint32_t tag)
{
    long best = 0;
    size_t n = ds != NULL ? rert_dataset_item_count(ds, seq) : 0;
    for (size_t i = 0; i < n; i++) {
        long v = 0;
        if (rert_dataset_get_long(NULL, rert_dataset_item(ds, seq, i), tag, 0,
                                  &v) &&
            v > best) {
            best = v;
        }
    }
    return best;
}

/* Assign numbers (0 = next free) into @p numbers and check uniqueness of
 * numbers and names against the existing set and each other. */
static bool assign_numbers(RertError *err,
                           const RertRoiWriteSpec *rois,
                           size_t count,
                           const RertDataset *existing,
                           long *numbers)
{
    long next = max_number(existing, TAG_SS_ROI_SEQ, TAG_ROI_NUMBER);
    for (size_t i = 0; i < count; i++) {
        next = rois[i].number > next ? rois[i].number : next;
    }
    for (size_t i = 0; i < count; i++) {
        if (rois[i].number == 0 && next >= MAX_ROI_NUMBER) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "no free ROI number left");
        }
        numbers[i] = rois[i].number != 0 ? rois[i].number : ++next;
        bool clash = existing_has_number(existing, TAG_SS_ROI_SEQ,
                                         TAG_ROI_NUMBER, numbers[i]);
        bool name_clash = existing_has_name(existing, rois[i].name);
        for (size_t j = 0; j < i; j++) {
            clash = clash || numbers[j] == numbers[i];
            name_clash =
                name_clash || rt_name_equal(rois[j].name, rois[i].name);
        }
        if (clash || name_clash) {
            return rert_error_set(
                err, RERT_ERR_INVALID_ARG,
                clash ? "ROI '%s': ROINumber %ld is already used"
                      : "ROI '%s': an ROI of that name exists (number %ld)",
                rois[i].name, numbers[i]);
        }
    }
    return true;
}

/* ---- header attributes */

/* Patient, General Study, RT Series, General Equipment and SOP Common
 * attributes of a new set. */
static bool set_new_header(RertError *err,
                           RertDataset *ds,
                           const RertStructureSetWriteOptions *o,
                           RertDicomNewInstance *instance)
{
    RertDicomObjectSpec spec = {
        .sop_class_uid = RERT_SOP_RTSTRUCT,
        .modality = "RTSTRUCT",
        .series_number = o->series_number,
        .source = o->source,
    };
    return rert_dicom_set_common_modules(err, ds, &spec, instance) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x1070), "PN", "") &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x1090), "LO",
                                 "rert") &&
           rert_dataset_set_text(err, ds, TAG_STRUCTURE_SET_LABEL, "SH",
                                 "RERT");
}

/* The set to extend as a new SOP instance in a new series; an approved
 * set is no longer the one that was reviewed. */
static bool
renew_existing(RertError *err, RertDataset *ds, RertDicomNewInstance *instance)
{
    if (rert_dataset_find(ds, TAG_APPROVAL_STATUS) != NULL) {
        rert_dataset_remove(ds, RERT_TAG(0x300E, 0x0004));
        rert_dataset_remove(ds, RERT_TAG(0x300E, 0x0005));
        rert_dataset_remove(ds, RERT_TAG(0x300E, 0x0008));
        if (!rert_dataset_set_text(err, ds, TAG_APPROVAL_STATUS, "CS",
                                   "UNAPPROVED")) {
            return false;
        }
    }
    return rert_dicom_set_new_instance(err, ds, RERT_SOP_RTSTRUCT, instance);
}

/* Structure set date and time (those of the new instance), label and
 * series description. */
static bool set_instance(RertError *err,
                         RertDataset *ds,
                         const RertStructureSetWriteOptions *o,
                         const RertDicomNewInstance *instance,
                         RertStructureSetWriteReport *rep)
{
    memcpy(rep->sop_instance_uid, instance->sop_instance_uid, RERT_UID_SIZE);
    memcpy(rep->series_instance_uid, instance->series_instance_uid,
           RERT_UID_SIZE);
    return rert_dataset_set_text(err, ds, TAG_STRUCTURE_SET_DATE, "DA",
                                 instance->date) &&
           rert_dataset_set_text(err, ds, TAG_STRUCTURE_SET_TIME, "TM",
                                 instance->time) &&
           (o->series_description == NULL ||
            rert_dataset_set_text(err, ds, TAG_SERIES_DESCRIPTION, "LO",
                                  o->series_description)) &&
           (o->label == NULL ||
            rert_dataset_set_text(err, ds, TAG_STRUCTURE_SET_LABEL, "SH",
                                  o->label));
}

/* FrameOfReferenceUID of the new ROIs. */
static bool frame_uid(RertError *err,
                      const RertStructureSetWriteOptions *o,
                      char out[RERT_UID_SIZE])
{
    out[0] = '\0';
    if (o->frame_of_reference_uid != NULL) {
        size_t n = strlen(o->frame_of_reference_uid);
        if (n == 0 || n >= RERT_UID_SIZE) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "frame of reference UID is %zu characters, "
                                  "expected 1 to 64",
                                  n);
        }
        memcpy(out, o->frame_of_reference_uid, n + 1);
        return true;
    }
    const RertDataset *frame =
        o->existing != NULL
            ? rert_dataset_item(o->existing, TAG_REF_FRAME_SEQ, 0)
            : NULL;
    if (frame != NULL) {
        rt_string_or_empty(frame, TAG_FRAME_OF_REFERENCE_UID, out,
                           RERT_UID_SIZE);
    }
    if (out[0] == '\0' && o->source != NULL) {
        rt_string_or_empty(o->source, TAG_FRAME_OF_REFERENCE_UID, out,
                           RERT_UID_SIZE);
    }
    if (out[0] == '\0') {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "RT Structure Set writing: no FrameOfReferenceUID"
                              " (give one in the options, an existing set with "
                              "(3006,0010) or a source with (0020,0052))");
    }
    return true;
}

/* ---- ReferencedFrameOfReferenceSequence merge */

/* Copy every element of @p src except @p skip into @p dst. */
static bool copy_except(RertError *err,
                        RertDataset *dst,
                        const RertDataset *src,
                        uint32_t skip)
{
    for (size_t i = 0; i < rert_dataset_count(src); i++) {
        const RertElement *el = rert_dataset_element_at(src, i);
        if (rert_element_tag(el) != skip &&
            !rt_element_copy_into(err, dst, el, COPY_DEPTH)) {
            return false;
        }
    }
    return true;
}

static bool item_uid_is(const RertDataset *item, uint32_t tag, const char *uid)
{
    char buf[RERT_UID_SIZE];
    rt_string_or_empty(item, tag, buf, sizeof buf);
    return strcmp(buf, uid) == 0;
}

static bool add_image(RertError *err,
                      RertDataset *parent,
                      const char *sop_class,
                      const char *uid)
{
    RertDataset *item =
        rert_dataset_add_item(err, parent, TAG_CONTOUR_IMAGE_SEQ);
    return item != NULL &&
           rert_dataset_set_text(err, item, TAG_REFERENCED_SOP_CLASS_UID, "UI",
                                 sop_class) &&
           rert_dataset_set_text(err, item, TAG_REFERENCED_SOP_INSTANCE_UID,
                                 "UI", uid);
}

/* A series item: the images of @p old (if any) plus those of @p img not
 * already listed. */
static bool build_series(RertError *err,
                         RertDataset *series,
                         const RertDataset *old,
                         const RertStructureSetImageRef *img)
{
    if (old != NULL && !copy_except(err, series, old, 0)) {
        return false;
    }
    if (old == NULL &&
        !rert_dataset_set_text(err, series, TAG_SERIES_INSTANCE_UID, "UI",
                               img->series_instance_uid)) {
        return false;
    }
    size_t n_old =
        old != NULL ? rert_dataset_item_count(old, TAG_CONTOUR_IMAGE_SEQ) : 0;
    for (size_t k = 0; k < img->count; k++) {
        bool listed = false;
        for (size_t i = 0; i < n_old && !listed; i++) {
            listed = item_uid_is(
                rert_dataset_item(old, TAG_CONTOUR_IMAGE_SEQ, i),
                TAG_REFERENCED_SOP_INSTANCE_UID, img->sop_instance_uids[k]);
        }
        if (!listed && !add_image(err, series, img->sop_class_uid,
                                  img->sop_instance_uids[k])) {
            return false;
        }
    }
    return true;
}

/* A study item: the series of @p old (if any) with the image series merged
 * in. */
static bool build_study(RertError *err,
                        RertDataset *study,
                        const RertDataset *old,
                        const RertStructureSetImageRef *img)
{
    if (old != NULL && !copy_except(err, study, old, TAG_REF_SERIES_SEQ)) {
        return false;
    }
    if (old == NULL &&
        (!rert_dataset_set_text(err, study, TAG_REFERENCED_SOP_CLASS_UID, "UI",
                                STUDY_COMPONENT_CLASS) ||
         !rert_dataset_set_text(err, study, TAG_REFERENCED_SOP_INSTANCE_UID,
                                "UI", img->study_instance_uid))) {
        return false;
    }
    bool merged = false;
    size_t n =
        old != NULL ? rert_dataset_item_count(old, TAG_REF_SERIES_SEQ) : 0;
    for (size_t i = 0; i <= n; i++) {
        const RertDataset *s =
            i < n ? rert_dataset_item(old, TAG_REF_SERIES_SEQ, i) : NULL;
        bool match = s != NULL && item_uid_is(s, TAG_SERIES_INSTANCE_UID,
                                              img->series_instance_uid);
        if (i == n && merged) {
            break;
        }
        RertDataset *item =
            rert_dataset_add_item(err, study, TAG_REF_SERIES_SEQ);
        bool ok = item != NULL &&
                  ((match || i == n)
                       ? build_series(err, item, s, img)
                       : rt_dataset_copy_into(err, item, s, COPY_DEPTH));
        if (!ok) {
            return false;
        }
        merged = merged || match;
    }
    return true;
}

/* A frame item for @p uid: the studies of @p old (if any) with the image
 * study merged in. */
static bool build_frame(RertError *err,
                        RertDataset *frame,
                        const RertDataset *old,
                        const char *uid,
                        const RertStructureSetImageRef *img)
{
    if (old != NULL ? !copy_except(err, frame, old, TAG_REF_STUDY_SEQ)
                    : !rert_dataset_set_text(
                          err, frame, TAG_FRAME_OF_REFERENCE_UID, "UI", uid)) {
        return false;
    }
    size_t n =
        old != NULL ? rert_dataset_item_count(old, TAG_REF_STUDY_SEQ) : 0;
    bool merged = img == NULL;
    for (size_t i = 0; i <= n; i++) {
        const RertDataset *s =
            i < n ? rert_dataset_item(old, TAG_REF_STUDY_SEQ, i) : NULL;
        bool match = s != NULL && img != NULL &&
                     item_uid_is(s, TAG_REFERENCED_SOP_INSTANCE_UID,
                                 img->study_instance_uid);
        if (i == n && merged) {
            break;
        }
        RertDataset *item =
            rert_dataset_add_item(err, frame, TAG_REF_STUDY_SEQ);
        bool ok = item != NULL &&
                  ((match || i == n)
                       ? build_study(err, item, s, img)
                       : rt_dataset_copy_into(err, item, s, COPY_DEPTH));
        if (!ok) {
            return false;
        }
        merged = merged || match;
    }
    return true;
}

/* Rebuild (3006,0010) in @p ds from the existing set's items so that it
 * lists frame @p uid and the referenced images. */
static bool set_references(RertError *err,
                           RertDataset *ds,
                           const RertDataset *existing,
                           const char *uid,
                           const RertStructureSetImageRef *img)
{
    rert_dataset_remove(ds, TAG_REF_FRAME_SEQ);
    size_t n = existing != NULL
                   ? rert_dataset_item_count(existing, TAG_REF_FRAME_SEQ)
                   : 0;
    bool merged = false;
    for (size_t i = 0; i <= n; i++) {
        const RertDataset *f =
            i < n ? rert_dataset_item(existing, TAG_REF_FRAME_SEQ, i) : NULL;
        bool match = f != NULL && !merged &&
                     item_uid_is(f, TAG_FRAME_OF_REFERENCE_UID, uid);
        if (i == n && merged) {
            break;
        }
        RertDataset *item = rert_dataset_add_item(err, ds, TAG_REF_FRAME_SEQ);
        bool ok = item != NULL &&
                  ((match || i == n)
                       ? build_frame(err, item, f, uid, img)
                       : rt_dataset_copy_into(err, item, f, COPY_DEPTH));
        if (!ok) {
            return false;
        }
        merged = merged || match;
    }
    return true;
}

static bool check_images(RertError *err, const RertStructureSetImageRef *img)
{
    if (img == NULL) {
        return true;
    }
    if (img->study_instance_uid == NULL || img->series_instance_uid == NULL ||
        img->sop_class_uid == NULL ||
        (img->count > 0 && img->sop_instance_uids == NULL)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "image reference: study, series and SOP class "
                              "UIDs and the instance UIDs are required");
    }
    for (size_t k = 0; k < img->count; k++) {
        if (img->sop_instance_uids[k] == NULL ||
            img->sop_instance_uids[k][0] == '\0') {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "image reference: instance UID %zu is empty",
                                  k);
        }
    }
    if (img->grid != NULL && img->grid->dims[2] != img->count) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "image reference: %zu instance UIDs but the "
                              "grid has %zu slices",
                              img->count, img->grid->dims[2]);
    }
    return true;
}

static bool check_options(RertError *err,
                          const RertStructureSetWriteOptions *o,
                          size_t count)
{
    if (o->existing == NULL && count == 0) {
        /* StructureSetROISequence, ROIContourSequence and RTROIObservations
         * Sequence are type 1: a new set needs at least one ROI. */
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "a new RT Structure Set needs at least one ROI");
    }
    if ((o->label != NULL && !is_lo_text(o->label, 16)) ||
        (o->series_description != NULL &&
         !is_lo_text(o->series_description, 64))) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "structure set label '%s' (at most 16 "
                              "characters) or series description (64) too "
                              "long or with '\\' or control characters",
                              o->label != NULL ? o->label : "");
    }
    return check_images(err, o->images);
}

/* ---- ROIs */

/* Slice UID the polygon lies on, or NULL. */
static const char *slice_of(const RertStructureSetImageRef *img,
                            const RertPolygon *poly)
{
    if (img == NULL || img->grid == NULL || img->count == 0) {
        return NULL;
    }
    const RertGridGeometry *g = img->grid;
    double k = rert_grid_xyz_to_ijk(g, poly->points_mm[0]).z;
    double nearest = floor(k + 0.5);
    double tol = 0.25 * g->spacing_mm[2];
    tol = tol > 0.01 ? tol : 0.01;
    if (nearest < 0.0 || nearest > (double)(img->count - 1) ||
        fabs(k - nearest) * g->spacing_mm[2] > tol) {
        return NULL;
    }
    return img->sop_instance_uids[(size_t)nearest];
}

static bool add_contour(RertError *err,
                        RertDataset *roi_contour,
                        const RertPolygon *poly,
                        long number,
                        const RertStructureSetImageRef *img,
                        RertStructureSetWriteReport *rep)
{
    RertDataset *item =
        rert_dataset_add_item(err, roi_contour, TAG_CONTOUR_SEQ);
    if (item == NULL) {
        return false;
    }
    const char *uid = slice_of(img, poly);
    if (uid != NULL) {
        if (!add_image(err, item, img->sop_class_uid, uid)) {
            return false;
        }
        rep->linked_contours++;
    }
    size_t n = 0;
    if (!rert_mul_size(err, poly->count, 3, &n)) {
        return false;
    }
    double *values = rert_calloc(err, n, sizeof *values);
    if (values == NULL) {
        return false;
    }
    for (size_t q = 0; q < poly->count; q++) {
        values[3 * q] = poly->points_mm[q].x;
        values[3 * q + 1] = poly->points_mm[q].y;
        values[3 * q + 2] = poly->points_mm[q].z;
    }
    long count = (long)poly->count;
    bool ok = rert_dataset_set_is(err, item, TAG_CONTOUR_NUMBER, &number, 1) &&
              rert_dataset_set_text(err, item, TAG_CONTOUR_TYPE, "CS",
                                    "CLOSED_PLANAR") &&
              rert_dataset_set_is(err, item, TAG_CONTOUR_POINTS, &count, 1) &&
              rert_dataset_set_ds(err, item, TAG_CONTOUR_DATA, values, n);
    rert_free(values);
    rep->contour_count += ok ? 1 : 0;
    return ok;
}

typedef struct RoiContext {
    RertDataset *ds;
    const char *frame_uid;
    const RertStructureSetImageRef *img;
    long next_observation;
    RertStructureSetWriteReport *rep;
} RoiContext;

static bool
add_roi(RertError *err, RoiContext *c, const RertRoiWriteSpec *r, long number)
{
    RertDataset *ss = rert_dataset_add_item(err, c->ds, TAG_SS_ROI_SEQ);
    if (ss == NULL ||
        !rert_dataset_set_is(err, ss, TAG_ROI_NUMBER, &number, 1) ||
        !rert_dataset_set_text(err, ss, TAG_ROI_FRAME_UID, "UI",
                               c->frame_uid) ||
        !rert_dataset_set_text(err, ss, TAG_ROI_NAME, "LO", r->name) ||
        (r->description != NULL &&
         !rert_dataset_set_text(err, ss, TAG_ROI_DESCRIPTION, "ST",
                                r->description)) ||
        !rert_dataset_set_text(err, ss, TAG_ROI_ALGORITHM, "CS",
                               r->generation_algorithm != NULL
                                   ? r->generation_algorithm
                                   : "AUTOMATIC")) {
        return false;
    }
    RertDataset *rc = rert_dataset_add_item(err, c->ds, TAG_ROI_CONTOUR_SEQ);
    long rgb[3] = {r->color[0], r->color[1], r->color[2]};
    if (rc == NULL ||
        (r->has_color &&
         !rert_dataset_set_is(err, rc, TAG_ROI_COLOR, rgb, 3)) ||
        !rert_dataset_set_is(err, rc, TAG_REF_ROI_NUMBER, &number, 1)) {
        return false;
    }
    for (size_t p = 0; p < r->polygon_count; p++) {
        if (!add_contour(err, rc, &r->polygons[p], (long)(p + 1), c->img,
                         c->rep)) {
            return false;
        }
    }
    long observation = existing_has_number(c->ds, TAG_OBSERVATIONS_SEQ,
                                           TAG_OBSERVATION_NUMBER, number)
                           ? ++c->next_observation
                           : number;
    c->next_observation =
        observation > c->next_observation ? observation : c->next_observation;
    RertDataset *obs = rert_dataset_add_item(err, c->ds, TAG_OBSERVATIONS_SEQ);
    return obs != NULL &&
           rert_dataset_set_is(err, obs, TAG_OBSERVATION_NUMBER, &observation,
                               1) &&
           rert_dataset_set_is(err, obs, TAG_REF_ROI_NUMBER, &number, 1) &&
           rert_dataset_set_text(err, obs, TAG_INTERPRETED_TYPE, "CS",
                                 r->interpreted_type) &&
           rert_dataset_set_text(err, obs, TAG_ROI_INTERPRETER, "PN", "");
}

/* ---- assembly */

/* A new set, or a copy of the one to extend, as a new SOP instance with
 * its header attributes. */
static RertDataset *start_dataset(RertError *err,
                                  const RertStructureSetWriteOptions *o,
                                  RertStructureSetWriteReport *rep)
{
    if (o->existing != NULL &&
        (rert_rt_object_kind(o->existing) != RERT_RT_OBJECT_RTSTRUCT ||
         !rert_dataset_has(o->existing, TAG_SS_ROI_SEQ))) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "the data set to extend is not an RT Structure Set "
                       "with a StructureSetROISequence (3006,0020)");
        return NULL;
    }
    RertDataset *ds =
        o->existing == NULL
            ? rert_dataset_create(err)
            : rert_dataset_clone_except(err, o->existing, TAG_PIXEL_DATA);
    RertDicomNewInstance instance;
    if (ds != NULL &&
        !((o->existing == NULL ? set_new_header(err, ds, o, &instance)
                               : renew_existing(err, ds, &instance)) &&
          set_instance(err, ds, o, &instance, rep))) {
        rert_dataset_destroy(ds);
        return NULL;
    }
    return ds;
}

static bool fill(RertError *err,
                 RertDataset *ds,
                 const RertRoiWriteSpec *rois,
                 size_t count,
                 const RertStructureSetWriteOptions *o,
                 const long *numbers,
                 RertStructureSetWriteReport *rep)
{
    char frame[RERT_UID_SIZE];
    if (!frame_uid(err, o, frame) ||
        !rert_dicom_set_frame_of_reference(err, ds, frame, o->source) ||
        !set_references(err, ds, o->existing, frame, o->images)) {
        return false;
    }
    RoiContext c = {
        ds, frame, o->images,
        max_number(ds, TAG_OBSERVATIONS_SEQ, TAG_OBSERVATION_NUMBER), rep};
    for (size_t i = 0; i < count; i++) {
        if (!add_roi(err, &c, &rois[i], numbers[i])) {
            return false;
        }
    }
    return true;
}

RertDataset *
rert_structure_set_build_dataset(RertError *err,
                                 const RertRoiWriteSpec *rois,
                                 size_t count,
                                 const RertStructureSetWriteOptions *options,
                                 RertStructureSetWriteReport *report)
{
    RertStructureSetWriteOptions o =
        options != NULL ? *options : rert_structure_set_write_options_default();
    RertStructureSetWriteReport local;
    memset(&local, 0, sizeof local);
    RertStructureSetWriteReport *rep = report != NULL ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (count > 0 && rois == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "%zu ROIs but no array",
                       count);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (!check_spec(err, &rois[i], i)) {
            return NULL;
        }
    }
    if (!check_options(err, &o, count)) {
        return NULL;
    }
    long *numbers = rert_calloc(err, count > 0 ? count : 1, sizeof *numbers);
    RertDataset *ds = NULL;
    if (numbers != NULL &&
        assign_numbers(err, rois, count, o.existing, numbers)) {
        ds = start_dataset(err, &o, rep);
    }
    if (ds != NULL && !fill(err, ds, rois, count, &o, numbers, rep)) {
        rert_dataset_destroy(ds);
        ds = NULL;
    }
    rep->first_number = ds != NULL && count > 0 ? numbers[0] : 0;
    rert_free(numbers);
    return ds;
}

bool rert_structure_set_save(RertError *err,
                             const char *path,
                             const RertRoiWriteSpec *rois,
                             size_t count,
                             const RertStructureSetWriteOptions *options,
                             RertStructureSetWriteReport *report)
{
    RertDataset *ds =
        rert_structure_set_build_dataset(err, rois, count, options, report);
    if (ds == NULL) {
        return false;
    }
    bool ok = rert_dicom_save(err, ds, path);
    if (!ok) {
        rert_error_prefix(err, "writing %s", path);
    }
    rert_dataset_destroy(ds);
    return ok;
}
