/* DICOM Spatial Registration reading (PS3.3 A.39.1, C.20.2): per
 * registered frame, the composed matrix into the REG's own frame
 * (C.20.2.1.1), validated, and the reference -> moving matrix between two
 * frames. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

#define TAG_SOP_CLASS_UID RERT_TAG(0x0008, 0x0016)
#define TAG_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x0018)
#define TAG_PATIENT_ID RERT_TAG(0x0010, 0x0020)
#define TAG_FRAME_OF_REFERENCE_UID RERT_TAG(0x0020, 0x0052)
#define TAG_REFERENCED_IMAGE_SEQUENCE RERT_TAG(0x0008, 0x1140)
#define TAG_REGISTRATION_SEQUENCE RERT_TAG(0x0070, 0x0308)
#define TAG_MATRIX_REGISTRATION_SEQUENCE RERT_TAG(0x0070, 0x0309)
#define TAG_MATRIX_SEQUENCE RERT_TAG(0x0070, 0x030A)
#define TAG_MATRIX_TYPE RERT_TAG(0x0070, 0x030C)
#define TAG_MATRIX RERT_TAG(0x3006, 0x00C6)

/* Last row 0 0 0 1 within this (DS text). */
#define LAST_ROW_TOLERANCE 1e-6

const char *rert_reg_matrix_type_name(RertRegMatrixType type)
{
    switch (type) {
    case RERT_REG_MATRIX_RIGID:
        return "RIGID";
    case RERT_REG_MATRIX_RIGID_SCALE:
        return "RIGID_SCALE";
    case RERT_REG_MATRIX_AFFINE:
        return "AFFINE";
    }
    return "UNKNOWN";
}

RertRegReadOptions rert_reg_read_options_default(void)
{
    RertRegReadOptions o;
    memset(&o, 0, sizeof o);
    o.allow_non_rigid = false;
    o.orthonormal_tolerance = 1e-4;
    return o;
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

/* Largest |R^T R - I| element and det R of the upper 3x3. */
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

static bool check_matrix(RertError *err,
                         const RertMat4 *m,
                         RertRegMatrixType type,
                         const RertRegReadOptions *o,
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
    if (type != RERT_REG_MATRIX_RIGID && !o->allow_non_rigid) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "%s: matrix type %s, only RIGID is accepted "
                              "(allow_non_rigid is off)",
                              where, rert_reg_matrix_type_name(type));
    }
    double det = 0.0;
    double dev = orthonormal_deviation(m, &det);
    if (type == RERT_REG_MATRIX_RIGID &&
        (dev > o->orthonormal_tolerance ||
         fabs(det - 1.0) > o->orthonormal_tolerance)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "%s: RIGID matrix is not a rotation: largest "
                              "|R^T R - I| element %.3g, det %.6g, expected "
                              "within %.3g of orthonormal with det 1",
                              where, dev, det, o->orthonormal_tolerance);
    }
    RertMat4 inverse;
    if (!rert_mat4_invert(err, *m, &inverse)) {
        rert_error_prefix(err, "%s", where);
        return false;
    }
    return true;
}

/* One MatrixSequence item: 16 DS values, row-major, and its type. */
static bool read_matrix(RertError *err,
                        const RertDataset *item,
                        const RertRegReadOptions *o,
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
           check_matrix(err, m, *type, o, where);
}

/* C.20.2.1.1: the item order is the multiplication order, the first item
 * applied first: [A] = M_n ... M_2 M_1 [B] (docs/registration.md). */
static bool read_item_matrices(RertError *err,
                               const RertDataset *reg_item,
                               const RertRegReadOptions *o,
                               size_t index,
                               RertRegFrame *frame)
{
    char where[96];
    size_t n =
        rert_dataset_item_count(reg_item, TAG_MATRIX_REGISTRATION_SEQUENCE);
    if (n != 1) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "RegistrationSequence item %zu: "
                              "MatrixRegistrationSequence (0070,0309) has "
                              "%zu items, expected exactly 1",
                              index + 1, n);
    }
    const RertDataset *mr =
        rert_dataset_item(reg_item, TAG_MATRIX_REGISTRATION_SEQUENCE, 0);
    size_t count = rert_dataset_item_count(mr, TAG_MATRIX_SEQUENCE);
    if (count == 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "RegistrationSequence item %zu: MatrixSequence "
                              "(0070,030A) is absent or empty, expected at "
                              "least 1 item",
                              index + 1);
    }
    RertMat4 total = rert_mat4_identity();
    frame->type = RERT_REG_MATRIX_RIGID;
    for (size_t k = 0; k < count; k++) {
        snprintf(where, sizeof where,
                 "RegistrationSequence item %zu, MatrixSequence item %zu",
                 index + 1, k + 1);
        RertMat4 m;
        RertRegMatrixType type = RERT_REG_MATRIX_RIGID;
        if (!read_matrix(err, rert_dataset_item(mr, TAG_MATRIX_SEQUENCE, k), o,
                         where, &m, &type)) {
            return false;
        }
        total = rert_mat4_multiply(m, total);
        frame->type = type > frame->type ? type : frame->type;
    }
    frame->to_registration = total;
    frame->matrix_count = count;
    snprintf(where, sizeof where, "RegistrationSequence item %zu (composed)",
             index + 1);
    return check_matrix(err, &total, frame->type, o, where);
}

static bool same_matrix(const RertMat4 *a, const RertMat4 *b)
{
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) {
            if (fabs(a->m[r][c] - b->m[r][c]) > 1e-6) {
                return false;
            }
        }
    }
    return true;
}

/* A frame listed again: the same matrix is fine (several image sets of
 * one frame), a different one is a contradiction. */
static bool check_duplicate(RertError *err,
                            const RertSpatialRegistration *reg,
                            const RertRegFrame *frame,
                            size_t index,
                            bool *is_duplicate)
{
    *is_duplicate = false;
    for (size_t i = 0; i < reg->frame_count; i++) {
        if (strcmp(reg->frames[i].frame_of_reference_uid,
                   frame->frame_of_reference_uid) != 0) {
            continue;
        }
        if (!same_matrix(&reg->frames[i].to_registration,
                         &frame->to_registration)) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "RegistrationSequence item %zu registers "
                                  "frame %s again with a different matrix",
                                  index + 1, frame->frame_of_reference_uid);
        }
        *is_duplicate = true;
    }
    return true;
}

static bool read_item(RertError *err,
                      const RertDataset *item,
                      const RertRegReadOptions *o,
                      size_t index,
                      RertSpatialRegistration *reg)
{
    RertRegFrame frame;
    memset(&frame, 0, sizeof frame);
    if (!rert_dataset_has(item, TAG_FRAME_OF_REFERENCE_UID)) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "RegistrationSequence item %zu has no "
                              "FrameOfReferenceUID (0020,0052); registrations "
                              "of images without a frame are not supported",
                              index + 1);
    }
    if (!rert_dataset_get_string(err, item, TAG_FRAME_OF_REFERENCE_UID, 0,
                                 frame.frame_of_reference_uid,
                                 sizeof frame.frame_of_reference_uid)) {
        rert_error_prefix(err, "RegistrationSequence item %zu", index + 1);
        return false;
    }
    frame.image_count =
        rert_dataset_item_count(item, TAG_REFERENCED_IMAGE_SEQUENCE);
    bool is_duplicate = false;
    if (!read_item_matrices(err, item, o, index, &frame) ||
        !check_duplicate(err, reg, &frame, index, &is_duplicate)) {
        return false;
    }
    if (is_duplicate) {
        return true;
    }
    if (reg->frame_count >= RERT_REG_MAX_FRAMES) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "RegistrationSequence registers more than %u "
                              "frames of reference",
                              RERT_REG_MAX_FRAMES);
    }
    reg->frames[reg->frame_count++] = frame;
    return true;
}

static bool
read_header(RertError *err, const RertDataset *ds, RertSpatialRegistration *reg)
{
    char sop_class[RERT_UID_SIZE];
    rert_dataset_get_string_or(ds, TAG_SOP_CLASS_UID, sop_class,
                               sizeof sop_class, "");
    if (strcmp(sop_class, REG_SOP_CLASS_UID) != 0) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "SOPClassUID (0008,0016) is '%s', expected "
                              "Spatial Registration %s",
                              sop_class, REG_SOP_CLASS_UID);
    }
    rert_dataset_get_string_or(ds, TAG_SOP_INSTANCE_UID, reg->sop_instance_uid,
                               sizeof reg->sop_instance_uid, "");
    rert_dataset_get_string_or(ds, TAG_PATIENT_ID, reg->patient_id,
                               sizeof reg->patient_id, "");
    if (!rert_dataset_get_string(err, ds, TAG_FRAME_OF_REFERENCE_UID, 0,
                                 reg->frame_of_reference_uid,
                                 sizeof reg->frame_of_reference_uid)) {
        rert_error_prefix(err, "Spatial Registration");
        return false;
    }
    return true;
}

bool rert_reg_from_dataset(RertError *err,
                           const RertDataset *ds,
                           const RertRegReadOptions *options,
                           RertSpatialRegistration *out)
{
    if (ds == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "Spatial Registration: NULL data set or output");
    }
    RertRegReadOptions o =
        options != NULL ? *options : rert_reg_read_options_default();
    if (!(o.orthonormal_tolerance > 0.0 && o.orthonormal_tolerance < 0.1)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "Spatial Registration: orthonormal_tolerance "
                              "%g, expected in (0, 0.1)",
                              o.orthonormal_tolerance);
    }
    RertSpatialRegistration reg;
    memset(&reg, 0, sizeof reg);
    if (!read_header(err, ds, &reg)) {
        return false;
    }
    size_t n = rert_dataset_item_count(ds, TAG_REGISTRATION_SEQUENCE);
    if (n == 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "Spatial Registration: RegistrationSequence "
                              "(0070,0308) is absent or empty");
    }
    for (size_t i = 0; i < n; i++) {
        if (!read_item(err, rert_dataset_item(ds, TAG_REGISTRATION_SEQUENCE, i),
                       &o, i, &reg)) {
            return false;
        }
    }
    *out = reg;
    return true;
}

bool rert_reg_load(RertError *err,
                   const char *path,
                   const RertRegReadOptions *options,
                   RertSpatialRegistration *out)
{
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "Spatial Registration: NULL path");
    }
    RertDataset *ds = rert_dicom_load(err, path, NULL, NULL);
    if (ds == NULL) {
        return false;
    }
    bool ok = rert_reg_from_dataset(err, ds, options, out);
    rert_dataset_destroy(ds);
    if (!ok) {
        rert_error_prefix(err, "%s", path);
    }
    return ok;
}

/* Frame @p uid -> the REG's own frame. */
static bool
frame_matrix(const RertSpatialRegistration *reg, const char *uid, RertMat4 *out)
{
    for (size_t i = 0; i < reg->frame_count; i++) {
        if (strcmp(reg->frames[i].frame_of_reference_uid, uid) == 0) {
            *out = reg->frames[i].to_registration;
            return true;
        }
    }
    if (strcmp(reg->frame_of_reference_uid, uid) == 0) {
        *out = rert_mat4_identity();
        return true;
    }
    return false;
}

static bool unknown_frame(RertError *err,
                          const RertSpatialRegistration *reg,
                          const char *role,
                          const char *uid)
{
    char list[RERT_ERROR_MESSAGE_SIZE];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < reg->frame_count && used + 1 < sizeof list; i++) {
        int n =
            snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "",
                     reg->frames[i].frame_of_reference_uid);
        used += n > 0 ? (size_t)n : 0;
    }
    return rert_error_set(err, RERT_ERR_INVALID_ARG,
                          "Spatial Registration %s does not register the %s "
                          "frame %s (its frame %s; registered: %s)",
                          reg->sop_instance_uid, role, uid,
                          reg->frame_of_reference_uid, list);
}

bool rert_reg_matrix(RertError *err,
                     const RertSpatialRegistration *reg,
                     const char *reference_uid,
                     const char *moving_uid,
                     RertMat4 *reference_to_moving)
{
    if (reg == NULL || reference_uid == NULL || moving_uid == NULL ||
        reference_to_moving == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "Spatial Registration matrix: NULL argument");
    }
    RertMat4 from_reference;
    RertMat4 from_moving;
    if (!frame_matrix(reg, reference_uid, &from_reference)) {
        return unknown_frame(err, reg, "reference", reference_uid);
    }
    if (!frame_matrix(reg, moving_uid, &from_moving)) {
        return unknown_frame(err, reg, "moving", moving_uid);
    }
    RertMat4 to_moving;
    if (!rert_mat4_invert(err, from_moving, &to_moving)) {
        rert_error_prefix(err, "Spatial Registration frame %s", moving_uid);
        return false;
    }
    *reference_to_moving = rert_mat4_multiply(to_moving, from_reference);
    return true;
}
