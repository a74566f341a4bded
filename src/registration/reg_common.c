/* DICOM Spatial Registration (PS3.3 A.39.1) and Deformable Spatial
 * Registration (A.39.2): the parts their readers and writers share, i.e.
 * matrix items (C.20.2.1.1), SOP class checks, image set references, the
 * Registration Type Code, the common header and the Common Instance
 * Reference module (C.12.2). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

#define TAG_REFERENCED_SERIES_SEQUENCE RERT_TAG(0x0008, 0x1115)
#define TAG_REFERENCED_INSTANCE_SEQUENCE RERT_TAG(0x0008, 0x114A)
#define TAG_REFERENCED_SOP_CLASS_UID RERT_TAG(0x0008, 0x1150)
#define TAG_REFERENCED_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x1155)
#define TAG_OTHER_STUDIES_SEQUENCE RERT_TAG(0x0008, 0x1200)
#define TAG_STUDY_INSTANCE_UID RERT_TAG(0x0020, 0x000D)
#define TAG_SERIES_INSTANCE_UID RERT_TAG(0x0020, 0x000E)

/* Last matrix row 0 0 0 1 within this (DS text). */
#define LAST_ROW_TOLERANCE 1e-6

/* ---- reading */

bool reg_read_sop(RertError *err,
                  const RertDataset *ds,
                  const char *sop_class,
                  const char *object,
                  char sop_uid[RERT_UID_SIZE])
{
    char found[RERT_UID_SIZE];
    rert_dataset_get_string_or(ds, TAG_SOP_CLASS_UID, found, sizeof found, "");
    if (strcmp(found, sop_class) != 0) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "SOPClassUID (0008,0016) is '%s', expected "
                              "%s %s",
                              found, object, sop_class);
    }
    rert_dataset_get_string_or(ds, TAG_SOP_INSTANCE_UID, sop_uid, RERT_UID_SIZE,
                               "");
    return true;
}

static bool parse_type(RertError *err,
                       const RertDataset *item,
                       const char *where,
                       RertRegMatrixType *out)
{
    char text[32];
    if (!rert_dataset_get_string(err, item, TAG_MATRIX_TYPE, 0, text,
                                 sizeof text)) {
        rert_error_prefix(err, "%s", where);
        return false;
    }
    for (int t = RERT_REG_MATRIX_RIGID; t <= RERT_REG_MATRIX_AFFINE; t++) {
        if (strcmp(text, rert_reg_matrix_type_name((RertRegMatrixType)t)) ==
            0) {
            *out = (RertRegMatrixType)t;
            return true;
        }
    }
    return rert_error_set(err, RERT_ERR_PARSE,
                          "%s: FrameOfReferenceTransformationMatrixType "
                          "(0070,030C) is '%s', expected RIGID, RIGID_SCALE "
                          "or AFFINE",
                          where, text);
}

/* Largest |R^T R - I| element of the upper 3x3, and its determinant. */
static double orthonormal_deviation(const RertMat4 *m, double *det)
{
    double worst = 0.0;
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            double dot = 0.0;
            for (int r = 0; r < 3; r++) {
                dot += m->m[r][a] * m->m[r][b];
            }
            double d = fabs(dot - (a == b ? 1.0 : 0.0));
            worst = d > worst ? d : worst;
        }
    }
    const double(*r)[4] = m->m;
    *det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
           r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
           r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    return worst;
}

bool reg_matrix_check(RertError *err,
                      const RertMat4 *m,
                      RertRegMatrixType type,
                      bool allow_non_rigid,
                      double tolerance,
                      const char *where)
{
    const double *last = m->m[3];
    if (fabs(last[0]) > LAST_ROW_TOLERANCE ||
        fabs(last[1]) > LAST_ROW_TOLERANCE ||
        fabs(last[2]) > LAST_ROW_TOLERANCE ||
        fabs(last[3] - 1.0) > LAST_ROW_TOLERANCE) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "%s: last matrix row is %g %g %g %g, expected "
                              "0 0 0 1",
                              where, last[0], last[1], last[2], last[3]);
    }
    if (type != RERT_REG_MATRIX_RIGID && !allow_non_rigid) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: matrix type %s, only RIGID is accepted "
                              "(allow_non_rigid is off)",
                              where, rert_reg_matrix_type_name(type));
    }
    double det = 0.0;
    double dev = orthonormal_deviation(m, &det);
    if (type == RERT_REG_MATRIX_RIGID &&
        (dev > tolerance || fabs(det - 1.0) > tolerance)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "%s: RIGID matrix is not a rotation: largest "
                              "|R^T R - I| element %.3g, det %.6g, expected "
                              "within %.3g of orthonormal with det 1",
                              where, dev, det, tolerance);
    }
    RertMat4 inverse;
    if (!rert_mat4_invert(err, *m, &inverse)) {
        rert_error_prefix(err, "%s", where);
        return false;
    }
    return true;
}

bool reg_matrix_item_read(RertError *err,
                          const RertDataset *item,
                          bool allow_non_rigid,
                          double tolerance,
                          const char *where,
                          RertMat4 *m,
                          RertRegMatrixType *type)
{
    double v[16];
    if (!rert_dataset_get_doubles(err, item, TAG_MATRIX, v, 16)) {
        rert_error_prefix(err,
                          "%s: FrameOfReferenceTransformationMatrix "
                          "(3006,00C6), expected 16 values",
                          where);
        return false;
    }
    for (int i = 0; i < 16; i++) {
        m->m[i / 4][i % 4] = v[i];
    }
    return parse_type(err, item, where, type) &&
           reg_matrix_check(err, m, *type, allow_non_rigid, tolerance, where);
}

/* ---- writing: checks */

static bool check_uid(RertError *err,
                      const char *uid,
                      const char *what,
                      const char *context)
{
    if (uid == NULL || uid[0] == '\0' || strlen(uid) >= RERT_UID_SIZE) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: %s is %s, expected a UID of 1 to 64 "
                              "characters",
                              context, what,
                              uid == NULL ? "NULL" : "empty or too long");
    }
    return true;
}

static bool check_image_set(RertError *err,
                            const RertRegImageSet *s,
                            const char *role,
                            const char *context)
{
    char what[64];
    (void)snprintf(what, sizeof what, "%s frame_of_reference_uid", role);
    if (!check_uid(err, s->frame_of_reference_uid, what, context)) {
        return false;
    }
    if (s->instance_count == 0) {
        return true;
    }
    if (s->sop_instance_uids == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: %s image set has %zu instances but no "
                              "sop_instance_uids",
                              context, role, s->instance_count);
    }
    const char *fields[3] = {s->study_instance_uid, s->series_instance_uid,
                             s->sop_class_uid};
    const char *names[3] = {"study_instance_uid", "series_instance_uid",
                            "sop_class_uid"};
    for (int i = 0; i < 3; i++) {
        (void)snprintf(what, sizeof what, "%s %s", role, names[i]);
        if (!check_uid(err, fields[i], what, context)) {
            return false;
        }
    }
    for (size_t i = 0; i < s->instance_count; i++) {
        (void)snprintf(what, sizeof what, "%s SOP instance %zu", role, i + 1);
        if (!check_uid(err, s->sop_instance_uids[i], what, context)) {
            return false;
        }
    }
    return true;
}

bool reg_check_image_sets(RertError *err,
                          const RertRegImageSet *reference,
                          const RertRegImageSet *moving,
                          const char *context)
{
    if (!check_image_set(err, reference, "reference", context) ||
        !check_image_set(err, moving, "moving", context)) {
        return false;
    }
    if (strcmp(reference->frame_of_reference_uid,
               moving->frame_of_reference_uid) == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s: reference and moving frames are the same "
                              "(%s); no registration is needed",
                              context, moving->frame_of_reference_uid);
    }
    return true;
}

/* ---- writing: modules and items */

bool reg_set_header(RertError *err,
                    RertDataset *ds,
                    const RegHeader *h,
                    RertDicomNewInstance *instance)
{
    RertDicomObjectSpec spec = {
        .sop_class_uid = h->sop_class_uid,
        .modality = "REG",
        .series_number = h->series_number,
        .series_description = h->series_description,
        .source = h->source,
        .study_instance_uid = h->reference->study_instance_uid,
        .frame_of_reference_uid = h->reference->frame_of_reference_uid,
    };
    return rert_dicom_set_common_modules(err, ds, &spec, instance) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0020, 0x0060), "CS", "") &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x0023), "DA",
                                 instance->date) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x0033), "TM",
                                 instance->time) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0070, 0x0080), "CS",
                                 h->content_label) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0070, 0x0081), "LO",
                                 h->content_description) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0070, 0x0084), "PN", "");
}

bool reg_add_instances(RertError *err,
                       RertDataset *parent,
                       uint32_t tag,
                       const RertRegImageSet *s)
{
    for (size_t i = 0; i < s->instance_count; i++) {
        RertDataset *item = rert_dataset_add_item(err, parent, tag);
        if (item == NULL ||
            !rert_dataset_set_text(err, item, TAG_REFERENCED_SOP_CLASS_UID,
                                   "UI", s->sop_class_uid) ||
            !rert_dataset_set_text(err, item, TAG_REFERENCED_SOP_INSTANCE_UID,
                                   "UI", s->sop_instance_uids[i])) {
            return false;
        }
    }
    return true;
}

bool reg_add_type_code(RertError *err, RertDataset *item, bool content_based)
{
    RertDataset *code =
        rert_dataset_add_item(err, item, TAG_REGISTRATION_TYPE_CODE_SEQUENCE);
    return code != NULL &&
           rert_dataset_set_text(err, code, RERT_TAG(0x0008, 0x0100), "SH",
                                 content_based ? "125024" : "125025") &&
           rert_dataset_set_text(err, code, RERT_TAG(0x0008, 0x0102), "SH",
                                 "DCM") &&
           rert_dataset_set_text(err, code, RERT_TAG(0x0008, 0x0104), "LO",
                                 content_based ? "Image Content-based Alignment"
                                               : "Visual Alignment");
}

bool reg_set_matrix(RertError *err,
                    RertDataset *item,
                    const RertMat4 *m,
                    const char *type_name)
{
    double values[16];
    for (int i = 0; i < 16; i++) {
        values[i] = m->m[i / 4][i % 4];
    }
    return rert_dataset_set_ds(err, item, TAG_MATRIX, values, 16) &&
           rert_dataset_set_text(err, item, TAG_MATRIX_TYPE, "CS", type_name);
}

bool reg_add_series_reference(RertError *err,
                              RertDataset *ds,
                              const RertRegImageSet *s,
                              const char *own_study)
{
    if (s->instance_count == 0) {
        return true;
    }
    RertDataset *parent = ds;
    if (strcmp(s->study_instance_uid, own_study) != 0) {
        parent = rert_dataset_add_item(err, ds, TAG_OTHER_STUDIES_SEQUENCE);
        if (parent == NULL ||
            !rert_dataset_set_text(err, parent, TAG_STUDY_INSTANCE_UID, "UI",
                                   s->study_instance_uid)) {
            return false;
        }
    }
    RertDataset *series =
        rert_dataset_add_item(err, parent, TAG_REFERENCED_SERIES_SEQUENCE);
    return series != NULL &&
           rert_dataset_set_text(err, series, TAG_SERIES_INSTANCE_UID, "UI",
                                 s->series_instance_uid) &&
           reg_add_instances(err, series, TAG_REFERENCED_INSTANCE_SEQUENCE, s);
}

RertDataset *reg_writer_build(RertError *err,
                              const RegWriter *w,
                              const void *options,
                              char sop_instance_uid[RERT_UID_SIZE])
{
    if (options == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "%s: NULL options",
                       w->context);
        return NULL;
    }
    if (!w->check(err, options)) {
        return NULL;
    }
    RertDataset *ds = rert_dataset_create(err);
    if (ds == NULL) {
        return NULL;
    }
    RertDicomNewInstance instance;
    if (!w->build(err, ds, options, &instance)) {
        rert_error_prefix(err, "%s", w->context);
        rert_dataset_destroy(ds);
        return NULL;
    }
    if (sop_instance_uid != NULL) {
        memcpy(sop_instance_uid, instance.sop_instance_uid, RERT_UID_SIZE);
    }
    return ds;
}

bool reg_writer_save(RertError *err,
                     const RegWriter *w,
                     const char *path,
                     const void *options,
                     char sop_instance_uid[RERT_UID_SIZE])
{
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "%s: NULL path",
                              w->context);
    }
    RertDataset *ds = reg_writer_build(err, w, options, sop_instance_uid);
    if (ds == NULL) {
        return false;
    }
    bool ok = rert_dicom_save(err, ds, path);
    rert_dataset_destroy(ds);
    if (!ok) {
        rert_error_prefix(err, "%s", path);
    }
    return ok;
}

void reg_uid_list_add(char list[RERT_ERROR_MESSAGE_SIZE],
                      size_t *used,
                      bool is_first,
                      const char *uid)
{
    if (*used + 1 >= RERT_ERROR_MESSAGE_SIZE) {
        return;
    }
    int n = snprintf(list + *used, RERT_ERROR_MESSAGE_SIZE - *used, "%s%s",
                     is_first ? "" : ", ", uid);
    *used += n > 0 ? (size_t)n : 0;
}
