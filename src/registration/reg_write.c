/* DICOM Spatial Registration writing: a complete rigid Spatial
 * Registration IOD (PS3.3 A.39.1) whose own frame is the reference frame;
 * the moving frame is registered with inverse(reference_to_moving). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

#define TAG_SPECIFIC_CHARSET RERT_TAG(0x0008, 0x0005)
#define TAG_SOP_CLASS_UID RERT_TAG(0x0008, 0x0016)
#define TAG_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x0018)
#define TAG_MODALITY RERT_TAG(0x0008, 0x0060)
#define TAG_REFERENCED_SERIES_SEQUENCE RERT_TAG(0x0008, 0x1115)
#define TAG_REFERENCED_IMAGE_SEQUENCE RERT_TAG(0x0008, 0x1140)
#define TAG_REFERENCED_INSTANCE_SEQUENCE RERT_TAG(0x0008, 0x114A)
#define TAG_REFERENCED_SOP_CLASS_UID RERT_TAG(0x0008, 0x1150)
#define TAG_REFERENCED_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x1155)
#define TAG_OTHER_STUDIES_SEQUENCE RERT_TAG(0x0008, 0x1200)
#define TAG_STUDY_INSTANCE_UID RERT_TAG(0x0020, 0x000D)
#define TAG_SERIES_INSTANCE_UID RERT_TAG(0x0020, 0x000E)
#define TAG_FRAME_OF_REFERENCE_UID RERT_TAG(0x0020, 0x0052)
#define TAG_REGISTRATION_SEQUENCE RERT_TAG(0x0070, 0x0308)
#define TAG_MATRIX_REGISTRATION_SEQUENCE RERT_TAG(0x0070, 0x0309)
#define TAG_MATRIX_SEQUENCE RERT_TAG(0x0070, 0x030A)
#define TAG_MATRIX_TYPE RERT_TAG(0x0070, 0x030C)
#define TAG_REGISTRATION_TYPE_CODE_SEQUENCE RERT_TAG(0x0070, 0x030D)
#define TAG_MATRIX RERT_TAG(0x3006, 0x00C6)
#define TAG_MATRIX_COMMENT RERT_TAG(0x3006, 0x00C8)

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

/* Patient and study attributes kept from the source (type 2: written
 * empty when the source lacks them). */
static const struct {
    uint32_t tag;
    const char *vr;
} kept[] = {
    {RERT_TAG(0x0008, 0x0005), "CS"}, /* SpecificCharacterSet */
    {RERT_TAG(0x0008, 0x0020), "DA"}, /* StudyDate */
    {RERT_TAG(0x0008, 0x0030), "TM"}, /* StudyTime */
    {RERT_TAG(0x0008, 0x0050), "SH"}, /* AccessionNumber */
    {RERT_TAG(0x0008, 0x0090), "PN"}, /* ReferringPhysicianName */
    {RERT_TAG(0x0010, 0x0010), "PN"}, /* PatientName */
    {RERT_TAG(0x0010, 0x0020), "LO"}, /* PatientID */
    {RERT_TAG(0x0010, 0x0030), "DA"}, /* PatientBirthDate */
    {RERT_TAG(0x0010, 0x0040), "CS"}, /* PatientSex */
    {RERT_TAG(0x0020, 0x0010), "SH"}, /* StudyID */
    {RERT_TAG(0x0020, 0x1040), "LO"}, /* PositionReferenceIndicator */
};

static bool
copy_kept(RertError *err, RertDataset *ds, const RertDataset *source)
{
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        const RertElement *el =
            source != NULL ? rert_dataset_find(source, kept[i].tag) : NULL;
        const void *value = el != NULL ? rert_element_value(el) : NULL;
        size_t length = el != NULL ? rert_element_length(el) : 0;
        if (!rert_dataset_set_bytes(err, ds, kept[i].tag, kept[i].vr, value,
                                    length)) {
            return false;
        }
    }
    return true;
}

static bool set_text(RertError *err,
                     RertDataset *ds,
                     uint32_t tag,
                     const char *vr,
                     const char *value)
{
    return rert_dataset_set_string(err, ds, tag, vr,
                                   value != NULL ? value : "");
}

static bool check_uid(RertError *err, const char *uid, const char *what)
{
    if (uid == NULL || uid[0] == '\0' || strlen(uid) >= RERT_UID_SIZE) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "REG writing: %s is %s, expected a UID of 1 to "
                              "64 characters",
                              what, uid == NULL ? "NULL" : "empty or too long");
    }
    return true;
}

static bool
check_image_set(RertError *err, const RertRegImageSet *s, const char *role)
{
    char what[64];
    (void)snprintf(what, sizeof what, "%s frame_of_reference_uid", role);
    if (!check_uid(err, s->frame_of_reference_uid, what)) {
        return false;
    }
    if (s->instance_count == 0) {
        return true;
    }
    if (s->sop_instance_uids == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "REG writing: %s image set has %zu instances "
                              "but no sop_instance_uids",
                              role, s->instance_count);
    }
    const char *fields[3] = {s->study_instance_uid, s->series_instance_uid,
                             s->sop_class_uid};
    const char *names[3] = {"study_instance_uid", "series_instance_uid",
                            "sop_class_uid"};
    for (int i = 0; i < 3; i++) {
        (void)snprintf(what, sizeof what, "%s %s", role, names[i]);
        if (!check_uid(err, fields[i], what)) {
            return false;
        }
    }
    for (size_t i = 0; i < s->instance_count; i++) {
        (void)snprintf(what, sizeof what, "%s SOP instance %zu", role, i + 1);
        if (!check_uid(err, s->sop_instance_uids[i], what)) {
            return false;
        }
    }
    return true;
}

static bool check_options(RertError *err, const RertRegWriteOptions *o)
{
    if (!check_image_set(err, &o->reference, "reference") ||
        !check_image_set(err, &o->moving, "moving")) {
        return false;
    }
    if (strcmp(o->reference.frame_of_reference_uid,
               o->moving.frame_of_reference_uid) == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "REG writing: reference and moving frames are "
                              "the same (%s); no registration is needed",
                              o->moving.frame_of_reference_uid);
    }
    if (!rert_mat4_is_rigid(o->reference_to_moving, 1e-6)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "REG writing: reference_to_moving is not rigid "
                              "(rotation and translation, last row 0 0 0 1) "
                              "within 1e-6");
    }
    return true;
}

/* Referenced SOP class and instance items under sequence @p tag. */
static bool add_instances(RertError *err,
                          RertDataset *parent,
                          uint32_t tag,
                          const RertRegImageSet *s)
{
    for (size_t i = 0; i < s->instance_count; i++) {
        RertDataset *item = rert_dataset_add_item(err, parent, tag);
        if (item == NULL ||
            !set_text(err, item, TAG_REFERENCED_SOP_CLASS_UID, "UI",
                      s->sop_class_uid) ||
            !set_text(err, item, TAG_REFERENCED_SOP_INSTANCE_UID, "UI",
                      s->sop_instance_uids[i])) {
            return false;
        }
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
         !set_text(err, mr, TAG_MATRIX_COMMENT, "LO", o->comment))) {
        return false;
    }
    /* CID 7100 "RCS Registration Method Type". */
    RertDataset *code =
        rert_dataset_add_item(err, mr, TAG_REGISTRATION_TYPE_CODE_SEQUENCE);
    RertDataset *mi = rert_dataset_add_item(err, mr, TAG_MATRIX_SEQUENCE);
    double values[16];
    for (int i = 0; i < 16; i++) {
        values[i] = m->m[i / 4][i % 4];
    }
    return code != NULL && mi != NULL &&
           set_text(err, code, RERT_TAG(0x0008, 0x0100), "SH",
                    o->is_content_based ? "125024" : "125025") &&
           set_text(err, code, RERT_TAG(0x0008, 0x0102), "SH", "DCM") &&
           set_text(err, code, RERT_TAG(0x0008, 0x0104), "LO",
                    o->is_content_based ? "Image Content-based Alignment"
                                        : "Visual Alignment") &&
           rert_dataset_set_ds(err, mi, TAG_MATRIX, values, 16) &&
           set_text(err, mi, TAG_MATRIX_TYPE, "CS", "RIGID");
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
           set_text(err, item, TAG_FRAME_OF_REFERENCE_UID, "UI",
                    s->frame_of_reference_uid) &&
           add_instances(err, item, TAG_REFERENCED_IMAGE_SEQUENCE, s) &&
           add_matrix_registration(err, item, to_registration, o);
}

/* Common Instance Reference (C.12.2): series of this study under
 * ReferencedSeriesSequence, others under their study. */
static bool add_series_reference(RertError *err,
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
        if (parent == NULL || !set_text(err, parent, TAG_STUDY_INSTANCE_UID,
                                        "UI", s->study_instance_uid)) {
            return false;
        }
    }
    RertDataset *series =
        rert_dataset_add_item(err, parent, TAG_REFERENCED_SERIES_SEQUENCE);
    return series != NULL &&
           set_text(err, series, TAG_SERIES_INSTANCE_UID, "UI",
                    s->series_instance_uid) &&
           add_instances(err, series, TAG_REFERENCED_INSTANCE_SEQUENCE, s);
}

static bool set_identity(RertError *err,
                         RertDataset *ds,
                         const RertRegWriteOptions *o,
                         char sop_uid[RERT_UID_SIZE],
                         char study[RERT_UID_SIZE])
{
    char series[RERT_UID_SIZE];
    study[0] = '\0';
    if (o->source != NULL) {
        rert_dataset_get_string_or(o->source, TAG_STUDY_INSTANCE_UID, study,
                                   RERT_UID_SIZE, "");
    }
    if (study[0] == '\0' && o->reference.study_instance_uid != NULL) {
        memcpy(study, o->reference.study_instance_uid,
               strlen(o->reference.study_instance_uid) + 1);
    }
    if ((study[0] == '\0' && !rert_uid_generate(err, study)) ||
        !rert_uid_generate(err, sop_uid) || !rert_uid_generate(err, series)) {
        return false;
    }
    return copy_kept(err, ds, o->source) &&
           (rert_dataset_has(ds, TAG_SPECIFIC_CHARSET) ||
            set_text(err, ds, TAG_SPECIFIC_CHARSET, "CS", "ISO_IR 100")) &&
           set_text(err, ds, TAG_SOP_CLASS_UID, "UI", REG_SOP_CLASS_UID) &&
           set_text(err, ds, TAG_SOP_INSTANCE_UID, "UI", sop_uid) &&
           set_text(err, ds, TAG_STUDY_INSTANCE_UID, "UI", study) &&
           set_text(err, ds, TAG_SERIES_INSTANCE_UID, "UI", series) &&
           set_text(err, ds, TAG_FRAME_OF_REFERENCE_UID, "UI",
                    o->reference.frame_of_reference_uid);
}

static bool
set_content(RertError *err, RertDataset *ds, const RertRegWriteOptions *o)
{
    char date[16] = "";
    char clock[16] = "";
    time_t now = time(NULL);
    struct tm tm_now;
    if (localtime_r(&now, &tm_now) != NULL) {
        (void)strftime(date, sizeof date, "%Y%m%d", &tm_now);
        (void)strftime(clock, sizeof clock, "%H%M%S", &tm_now);
    }
    long one = 1;
    /* Laterality (0020,0060), General Series type 2C: written empty, as
     * dciodvfy expects it present (a registration has no side). */
    return set_text(err, ds, TAG_MODALITY, "CS", "REG") &&
           set_text(err, ds, RERT_TAG(0x0020, 0x0060), "CS", "") &&
           rert_dataset_set_is(err, ds, RERT_TAG(0x0020, 0x0011),
                               &o->series_number, 1) &&
           (o->series_description == NULL ||
            set_text(err, ds, RERT_TAG(0x0008, 0x103E), "LO",
                     o->series_description)) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0070), "LO", "rert") &&
           set_text(err, ds, RERT_TAG(0x0018, 0x1020), "LO", rert_version()) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0012), "DA", date) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0013), "TM", clock) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0023), "DA", date) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0033), "TM", clock) &&
           rert_dataset_set_is(err, ds, RERT_TAG(0x0020, 0x0013), &one, 1) &&
           set_text(err, ds, RERT_TAG(0x0070, 0x0080), "CS",
                    o->content_label != NULL ? o->content_label
                                             : "RERT_RIGID") &&
           set_text(err, ds, RERT_TAG(0x0070, 0x0081), "LO",
                    o->content_description) &&
           set_text(err, ds, RERT_TAG(0x0070, 0x0084), "PN", "");
}

static bool build(RertError *err,
                  RertDataset *ds,
                  const RertRegWriteOptions *o,
                  char sop_uid[RERT_UID_SIZE])
{
    char study[RERT_UID_SIZE];
    RertMat4 moving_to_reference;
    if (!rert_mat4_invert(err, o->reference_to_moving, &moving_to_reference)) {
        return false;
    }
    RertMat4 identity = rert_mat4_identity();
    return set_identity(err, ds, o, sop_uid, study) &&
           set_content(err, ds, o) &&
           add_registration_item(err, ds, &o->reference, &identity, o) &&
           add_registration_item(err, ds, &o->moving, &moving_to_reference,
                                 o) &&
           add_series_reference(err, ds, &o->reference, study) &&
           add_series_reference(err, ds, &o->moving, study);
}

RertDataset *rert_reg_build_dataset(RertError *err,
                                    const RertRegWriteOptions *options,
                                    char sop_instance_uid[RERT_UID_SIZE])
{
    if (options == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "REG writing: NULL options");
        return NULL;
    }
    if (!check_options(err, options)) {
        return NULL;
    }
    RertDataset *ds = rert_dataset_create(err);
    if (ds == NULL) {
        return NULL;
    }
    char uid[RERT_UID_SIZE];
    if (!build(err, ds, options, uid)) {
        rert_error_prefix(err, "REG writing");
        rert_dataset_destroy(ds);
        return NULL;
    }
    if (sop_instance_uid != NULL) {
        memcpy(sop_instance_uid, uid, sizeof uid);
    }
    return ds;
}

bool rert_reg_save(RertError *err,
                   const char *path,
                   const RertRegWriteOptions *options,
                   char sop_instance_uid[RERT_UID_SIZE])
{
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "REG writing: NULL path");
    }
    RertDataset *ds = rert_reg_build_dataset(err, options, sop_instance_uid);
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
