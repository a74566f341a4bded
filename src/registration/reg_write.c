/* DICOM Spatial Registration writing: a complete rigid Spatial
 * Registration IOD (PS3.3 A.39.1) whose own frame is the reference frame;
 * the moving frame is registered with inverse(reference_to_moving). */
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

#define CONTEXT "REG writing"

RertRegWriteOptions rert_reg_write_options_default(void)
{
    RertRegWriteOptions o;
    memset(&o, 0, sizeof o);
    o.reference_to_moving = rert_mat4_identity();
    o.content_label = "RERT_RIGID";
    o.series_number = 1;
    o.is_content_based = true;
    return o;
}

static bool check_options(RertError *err, const void *options)
{
    const RertRegWriteOptions *o = options;
    if (!reg_check_image_sets(err, &o->reference, &o->moving, CONTEXT)) {
        return false;
    }
    if (!rert_mat4_is_rigid(o->reference_to_moving, 1e-6)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              CONTEXT ": reference_to_moving is not rigid "
                                      "(rotation and translation, last row 0 "
                                      "0 0 1) within 1e-6");
    }
    return true;
}

static bool add_matrix_registration(RertError *err,
                                    RertDataset *item,
                                    const RertMat4 *m,
                                    const RertRegWriteOptions *o)
{
    RertDataset *mr =
        rert_dataset_add_item(err, item, TAG_MATRIX_REGISTRATION_SEQUENCE);
    if (mr == NULL ||
        (o->comment != NULL &&
         !rert_dataset_set_text(err, mr, TAG_MATRIX_COMMENT, "LO",
                                o->comment)) ||
        !reg_add_type_code(err, mr, o->is_content_based)) {
        return false;
    }
    RertDataset *mi = rert_dataset_add_item(err, mr, TAG_MATRIX_SEQUENCE);
    return mi != NULL && reg_set_matrix(err, mi, m, "RIGID");
}

static bool add_registration_item(RertError *err,
                                  RertDataset *ds,
                                  const RertRegImageSet *s,
                                  const RertMat4 *to_registration,
                                  const RertRegWriteOptions *o)
{
    RertDataset *item =
        rert_dataset_add_item(err, ds, TAG_REGISTRATION_SEQUENCE);
    return item != NULL &&
           rert_dataset_set_text(err, item, TAG_FRAME_OF_REFERENCE_UID, "UI",
                                 s->frame_of_reference_uid) &&
           reg_add_instances(err, item, TAG_REFERENCED_IMAGE_SEQUENCE, s) &&
           add_matrix_registration(err, item, to_registration, o);
}

static bool build(RertError *err,
                  RertDataset *ds,
                  const void *options,
                  RertDicomNewInstance *instance)
{
    const RertRegWriteOptions *o = options;
    RertMat4 moving_to_reference;
    if (!rert_mat4_invert(err, o->reference_to_moving, &moving_to_reference)) {
        return false;
    }
    RegHeader header = {
        .sop_class_uid = REG_SOP_CLASS_UID,
        .source = o->source,
        .reference = &o->reference,
        .series_number = o->series_number,
        .series_description = o->series_description,
        .content_label =
            o->content_label != NULL ? o->content_label : "RERT_RIGID",
        .content_description = o->content_description,
    };
    RertMat4 identity = rert_mat4_identity();
    const char *study = instance->study_instance_uid;
    return reg_set_header(err, ds, &header, instance) &&
           add_registration_item(err, ds, &o->reference, &identity, o) &&
           add_registration_item(err, ds, &o->moving, &moving_to_reference,
                                 o) &&
           reg_add_series_reference(err, ds, &o->reference, study) &&
           reg_add_series_reference(err, ds, &o->moving, study);
}

static const RegWriter writer = {CONTEXT, check_options, build};

RertDataset *rert_reg_build_dataset(RertError *err,
                                    const RertRegWriteOptions *options,
                                    char sop_instance_uid[RERT_UID_SIZE])
{
    return reg_writer_build(err, &writer, options, sop_instance_uid);
}

bool rert_reg_save(RertError *err,
                   const char *path,
                   const RertRegWriteOptions *options,
                   char sop_instance_uid[RERT_UID_SIZE])
{
    return reg_writer_save(err, &writer, path, options, sop_instance_uid);
}
