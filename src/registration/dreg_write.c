/* DICOM Deformable Spatial Registration writing (PS3.3 A.39.2, C.20.3): a
 * complete IOD whose own frame (Registered RCS) is the reference frame,
 * with one item for the moving (source) frame holding the optional pre
 * and post matrices and the deformation grid, vectors written bit for
 * bit as OF. */
#include <math.h>
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
#define TAG_REFERENCED_SERIES_SEQUENCE RERT_TAG(0x0008, 0x1115)
#define TAG_REFERENCED_IMAGE_SEQUENCE RERT_TAG(0x0008, 0x1140)
#define TAG_REFERENCED_INSTANCE_SEQUENCE RERT_TAG(0x0008, 0x114A)
#define TAG_REFERENCED_SOP_CLASS_UID RERT_TAG(0x0008, 0x1150)
#define TAG_REFERENCED_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x1155)
#define TAG_OTHER_STUDIES_SEQUENCE RERT_TAG(0x0008, 0x1200)
#define TAG_STUDY_INSTANCE_UID RERT_TAG(0x0020, 0x000D)
#define TAG_SERIES_INSTANCE_UID RERT_TAG(0x0020, 0x000E)
#define TAG_IMAGE_POSITION RERT_TAG(0x0020, 0x0032)
#define TAG_IMAGE_ORIENTATION RERT_TAG(0x0020, 0x0037)
#define TAG_FRAME_OF_REFERENCE_UID RERT_TAG(0x0020, 0x0052)
#define TAG_DEFORMABLE_SEQUENCE RERT_TAG(0x0064, 0x0002)
#define TAG_SOURCE_FRAME_UID RERT_TAG(0x0064, 0x0003)
#define TAG_GRID_SEQUENCE RERT_TAG(0x0064, 0x0005)
#define TAG_GRID_DIMENSIONS RERT_TAG(0x0064, 0x0007)
#define TAG_GRID_RESOLUTION RERT_TAG(0x0064, 0x0008)
#define TAG_VECTOR_GRID_DATA RERT_TAG(0x0064, 0x0009)
#define TAG_PRE_SEQUENCE RERT_TAG(0x0064, 0x000F)
#define TAG_POST_SEQUENCE RERT_TAG(0x0064, 0x0010)
#define TAG_MATRIX_TYPE RERT_TAG(0x0070, 0x030C)
#define TAG_REGISTRATION_TYPE_CODE_SEQUENCE RERT_TAG(0x0070, 0x030D)
#define TAG_MATRIX RERT_TAG(0x3006, 0x00C6)
#define TAG_MATRIX_COMMENT RERT_TAG(0x3006, 0x00C8)

RertDregWriteOptions rert_dreg_write_options_default(void)
{
    RertDregWriteOptions o;
    memset(&o, 0, sizeof o);
    o.pre = rert_mat4_identity();
    o.post = rert_mat4_identity();
    o.content_label = "RERT_DEFORMABLE";
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
                              "deformable REG writing: %s is %s, expected a "
                              "UID of 1 to 64 characters",
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
                              "deformable REG writing: %s image set has %zu "
                              "instances but no sop_instance_uids",
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

static bool
check_matrix_option(RertError *err, bool present, RertMat4 m, const char *name)
{
    RertMat4 inverse;
    if (present && !rert_mat4_invert(err, m, &inverse)) {
        rert_error_prefix(err, "deformable REG writing: %s matrix", name);
        return false;
    }
    return true;
}

static bool check_options(RertError *err, const RertDregWriteOptions *o)
{
    if (!check_image_set(err, &o->reference, "reference") ||
        !check_image_set(err, &o->moving, "moving")) {
        return false;
    }
    if (strcmp(o->reference.frame_of_reference_uid,
               o->moving.frame_of_reference_uid) == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "deformable REG writing: reference and moving "
                              "frames are the same (%s)",
                              o->moving.frame_of_reference_uid);
    }
    if (o->grid == NULL || o->vectors == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "deformable REG writing: no deformation grid "
                              "or vectors given");
    }
    size_t count = 0;
    if (!rert_mul_size(err, rert_grid_voxel_count(o->grid), 3, &count)) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(o->vectors[i])) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "deformable REG writing: vector %zu "
                                  "component %zu is not finite",
                                  i / 3, i % 3);
        }
    }
    return check_matrix_option(err, o->has_pre, o->pre, "pre-deformation") &&
           check_matrix_option(err, o->has_post, o->post, "post-deformation");
}

/* RIGID when a rotation, RIGID_SCALE when the columns are orthogonal,
 * AFFINE otherwise. */
static const char *matrix_type(const RertMat4 *m)
{
    if (rert_mat4_is_rigid(*m, 1e-6)) {
        return "RIGID";
    }
    for (int a = 0; a < 3; a++) {
        for (int b = a + 1; b < 3; b++) {
            double dot = 0.0;
            double na = 0.0;
            double nb = 0.0;
            for (int r = 0; r < 3; r++) {
                dot += m->m[r][a] * m->m[r][b];
                na += m->m[r][a] * m->m[r][a];
                nb += m->m[r][b] * m->m[r][b];
            }
            if (fabs(dot) > 1e-6 * sqrt(na * nb)) {
                return "AFFINE";
            }
        }
    }
    return "RIGID_SCALE";
}

static bool add_matrix_sequence(RertError *err,
                                RertDataset *item,
                                uint32_t tag,
                                const RertMat4 *m)
{
    RertDataset *mi = rert_dataset_add_item(err, item, tag);
    double values[16];
    for (int i = 0; i < 16; i++) {
        values[i] = m->m[i / 4][i % 4];
    }
    return mi != NULL && rert_dataset_set_ds(err, mi, TAG_MATRIX, values, 16) &&
           set_text(err, mi, TAG_MATRIX_TYPE, "CS", matrix_type(m));
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

/* VectorGridData (OF) and GridResolution (FD), little endian. */
static bool set_grid_binary(RertError *err,
                            RertDataset *g,
                            const RertGridGeometry *grid,
                            const float *vectors)
{
    uint8_t res[24];
    for (size_t a = 0; a < 3; a++) {
        uint64_t bits;
        memcpy(&bits, &grid->spacing_mm[a], sizeof bits);
        put_le32(res + 8 * a, (uint32_t)(bits & 0xFFFFFFFFu));
        put_le32(res + 8 * a + 4, (uint32_t)(bits >> 32));
    }
    size_t count = 0;
    size_t bytes = 0;
    if (!rert_mul_size(err, rert_grid_voxel_count(grid), 3, &count) ||
        !rert_mul_size(err, count, 4, &bytes)) {
        return false;
    }
    uint8_t *data = rert_alloc(err, bytes);
    if (data == NULL) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &vectors[i], sizeof bits);
        put_le32(data + 4 * i, bits);
    }
    bool ok =
        rert_dataset_set_bytes(err, g, TAG_GRID_RESOLUTION, "FD", res,
                               sizeof res) &&
        rert_dataset_set_bytes(err, g, TAG_VECTOR_GRID_DATA, "OF", data, bytes);
    rert_free(data);
    return ok;
}

static bool add_grid(RertError *err,
                     RertDataset *item,
                     const RertGridGeometry *grid,
                     const float *vectors)
{
    RertDataset *g = rert_dataset_add_item(err, item, TAG_GRID_SEQUENCE);
    if (g == NULL) {
        return false;
    }
    uint32_t dims[3];
    for (int a = 0; a < 3; a++) {
        if (grid->dims[a] > UINT32_MAX) {
            return rert_error_set(err, RERT_ERR_LIMIT,
                                  "deformable REG writing: grid dimension %d "
                                  "is %zu, over the UL range",
                                  a + 1, grid->dims[a]);
        }
        dims[a] = (uint32_t)grid->dims[a];
    }
    /* ImageOrientationPatient holds i and j; k is their cross product
     * (C.20.3.1.1), as rert_grid_geometry_make() keeps it. */
    return rert_dataset_set_ds(err, g, TAG_IMAGE_POSITION, grid->origin_mm,
                               3) &&
           rert_dataset_set_ds(err, g, TAG_IMAGE_ORIENTATION, grid->direction,
                               6) &&
           rert_dataset_set_u32(err, g, TAG_GRID_DIMENSIONS, dims, 3) &&
           set_grid_binary(err, g, grid, vectors);
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

static bool
add_type_code(RertError *err, RertDataset *item, const RertDregWriteOptions *o)
{
    /* CID 7100 "RCS Registration Method Type". */
    RertDataset *code =
        rert_dataset_add_item(err, item, TAG_REGISTRATION_TYPE_CODE_SEQUENCE);
    return code != NULL &&
           set_text(err, code, RERT_TAG(0x0008, 0x0100), "SH",
                    o->is_content_based ? "125024" : "125025") &&
           set_text(err, code, RERT_TAG(0x0008, 0x0102), "SH", "DCM") &&
           set_text(err, code, RERT_TAG(0x0008, 0x0104), "LO",
                    o->is_content_based ? "Image Content-based Alignment"
                                        : "Visual Alignment");
}

static bool add_deformable_item(RertError *err,
                                RertDataset *ds,
                                const RertDregWriteOptions *o)
{
    RertDataset *item = rert_dataset_add_item(err, ds, TAG_DEFORMABLE_SEQUENCE);
    return item != NULL &&
           set_text(err, item, TAG_SOURCE_FRAME_UID, "UI",
                    o->moving.frame_of_reference_uid) &&
           add_instances(err, item, TAG_REFERENCED_IMAGE_SEQUENCE,
                         &o->moving) &&
           (o->comment == NULL ||
            set_text(err, item, TAG_MATRIX_COMMENT, "LO", o->comment)) &&
           add_type_code(err, item, o) &&
           (!o->has_pre ||
            add_matrix_sequence(err, item, TAG_PRE_SEQUENCE, &o->pre)) &&
           (!o->has_post ||
            add_matrix_sequence(err, item, TAG_POST_SEQUENCE, &o->post)) &&
           add_grid(err, item, o->grid, o->vectors);
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
                         const RertDregWriteOptions *o,
                         char sop_uid[RERT_UID_SIZE],
                         char study[RERT_UID_SIZE])
{
    char series[RERT_UID_SIZE];
    study[0] = '\0';
    if (o->source != NULL) {
        rert_dataset_get_string_or(o->source, TAG_STUDY_INSTANCE_UID, study,
                                   RERT_UID_SIZE, "");
    }
    if (study[0] == '\0' && o->reference.study_instance_uid != NULL &&
        strlen(o->reference.study_instance_uid) < RERT_UID_SIZE) {
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
           set_text(err, ds, TAG_SOP_CLASS_UID, "UI",
                    RERT_DREG_SOP_CLASS_UID) &&
           set_text(err, ds, TAG_SOP_INSTANCE_UID, "UI", sop_uid) &&
           set_text(err, ds, TAG_STUDY_INSTANCE_UID, "UI", study) &&
           set_text(err, ds, TAG_SERIES_INSTANCE_UID, "UI", series) &&
           set_text(err, ds, TAG_FRAME_OF_REFERENCE_UID, "UI",
                    o->reference.frame_of_reference_uid);
}

/* General Series, General + Enhanced General Equipment (all type 1 in
 * the latter), Content Identification, Content Date/Time. */
static bool
set_content(RertError *err, RertDataset *ds, const RertDregWriteOptions *o)
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
    return set_text(err, ds, RERT_TAG(0x0008, 0x0060), "CS", "REG") &&
           set_text(err, ds, RERT_TAG(0x0020, 0x0060), "CS", "") &&
           rert_dataset_set_is(err, ds, RERT_TAG(0x0020, 0x0011),
                               &o->series_number, 1) &&
           (o->series_description == NULL ||
            set_text(err, ds, RERT_TAG(0x0008, 0x103E), "LO",
                     o->series_description)) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0070), "LO", "rert") &&
           set_text(err, ds, RERT_TAG(0x0008, 0x1090), "LO", "rert") &&
           set_text(err, ds, RERT_TAG(0x0018, 0x1000), "LO", "0") &&
           set_text(err, ds, RERT_TAG(0x0018, 0x1020), "LO", rert_version()) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0012), "DA", date) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0013), "TM", clock) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0023), "DA", date) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0033), "TM", clock) &&
           rert_dataset_set_is(err, ds, RERT_TAG(0x0020, 0x0013), &one, 1) &&
           set_text(err, ds, RERT_TAG(0x0070, 0x0080), "CS",
                    o->content_label != NULL ? o->content_label
                                             : "RERT_DEFORMABLE") &&
           set_text(err, ds, RERT_TAG(0x0070, 0x0081), "LO",
                    o->content_description) &&
           set_text(err, ds, RERT_TAG(0x0070, 0x0084), "PN", "");
}

RertDataset *rert_dreg_build_dataset(RertError *err,
                                     const RertDregWriteOptions *options,
                                     char sop_instance_uid[RERT_UID_SIZE])
{
    if (options == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "deformable REG writing: NULL options");
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
    char study[RERT_UID_SIZE];
    if (!set_identity(err, ds, options, uid, study) ||
        !set_content(err, ds, options) ||
        !add_deformable_item(err, ds, options) ||
        !add_series_reference(err, ds, &options->reference, study) ||
        !add_series_reference(err, ds, &options->moving, study)) {
        rert_error_prefix(err, "deformable REG writing");
        rert_dataset_destroy(ds);
        return NULL;
    }
    if (sop_instance_uid != NULL) {
        memcpy(sop_instance_uid, uid, sizeof uid);
    }
    return ds;
}

bool rert_dreg_save(RertError *err,
                    const char *path,
                    const RertDregWriteOptions *options,
                    char sop_instance_uid[RERT_UID_SIZE])
{
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "deformable REG writing: NULL path");
    }
    RertDataset *ds = rert_dreg_build_dataset(err, options, sop_instance_uid);
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
