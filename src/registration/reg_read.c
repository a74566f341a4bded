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

#define TAG_PATIENT_ID RERT_TAG(0x0010, 0x0020)

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

/* PS3.3 C.20.2.1.1, Equation C.20.2-2: the MatrixSequence item order is the
 * multiplication order, the first item applied first: [A] = M_n ... M_2 M_1
 * [B]. Table C.20.2-1: exactly one MatrixRegistrationSequence item
 * (docs/registration.md "Several matrices in one item"). */
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
                              "%zu items, expected exactly 1 (PS3.3 "
                              "C.20.2)",
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
        if (!reg_matrix_item_read(err,
                                  rert_dataset_item(mr, TAG_MATRIX_SEQUENCE, k),
                                  o->allow_non_rigid, o->orthonormal_tolerance,
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
    return reg_matrix_check(err, &total, frame->type, o->allow_non_rigid,
                            o->orthonormal_tolerance, where);
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
    if (!reg_read_sop(err, ds, REG_SOP_CLASS_UID, "Spatial Registration",
                      reg->sop_instance_uid)) {
        return false;
    }
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
    char list[RERT_ERROR_MESSAGE_SIZE] = "";
    size_t used = 0;
    for (size_t i = 0; i < reg->frame_count; i++) {
        reg_uid_list_add(list, &used, i == 0,
                         reg->frames[i].frame_of_reference_uid);
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
