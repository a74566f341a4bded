/* DICOM Deformable Spatial Registration writing (PS3.3 A.39.2, C.20.3): a
 * complete IOD whose own frame (Registered RCS) is the reference frame,
 * with one item for the moving (source) frame holding the optional pre
 * and post matrices and the deformation grid, vectors written bit for
 * bit as OF. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

#define CONTEXT "deformable REG writing"

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

static bool
check_matrix_option(RertError *err, bool present, RertMat4 m, const char *name)
{
    RertMat4 inverse;
    if (present && !rert_mat4_invert(err, m, &inverse)) {
        rert_error_prefix(err, CONTEXT ": %s matrix", name);
        return false;
    }
    return true;
}

static bool check_options(RertError *err, const void *options)
{
    const RertDregWriteOptions *o = options;
    if (!reg_check_image_sets(err, &o->reference, &o->moving, CONTEXT)) {
        return false;
    }
    if (o->grid == NULL || o->vectors == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              CONTEXT ": no deformation grid "
                                      "or vectors given");
    }
    size_t count = 0;
    if (!rert_mul_size(err, rert_grid_voxel_count(o->grid), 3, &count)) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(o->vectors[i])) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  CONTEXT ": vector %zu "
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
    return mi != NULL && reg_set_matrix(err, mi, m, matrix_type(m));
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
                                  CONTEXT ": grid dimension %d "
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

static bool add_deformable_item(RertError *err,
                                RertDataset *ds,
                                const RertDregWriteOptions *o)
{
    RertDataset *item = rert_dataset_add_item(err, ds, TAG_DEFORMABLE_SEQUENCE);
    return item != NULL &&
           rert_dataset_set_text(err, item, TAG_SOURCE_FRAME_UID, "UI",
                                 o->moving.frame_of_reference_uid) &&
           reg_add_instances(err, item, TAG_REFERENCED_IMAGE_SEQUENCE,
                             &o->moving) &&
           (o->comment == NULL ||
            rert_dataset_set_text(err, item, TAG_MATRIX_COMMENT, "LO",
                                  o->comment)) &&
           reg_add_type_code(err, item, o->is_content_based) &&
           (!o->has_pre ||
            add_matrix_sequence(err, item, TAG_PRE_SEQUENCE, &o->pre)) &&
           (!o->has_post ||
            add_matrix_sequence(err, item, TAG_POST_SEQUENCE, &o->post)) &&
           add_grid(err, item, o->grid, o->vectors);
}

/* The common header, General and Enhanced General Equipment (all type 1
 * in the latter), the deformable item and the instance references. */
static bool build(RertError *err,
                  RertDataset *ds,
                  const void *options,
                  RertDicomNewInstance *instance)
{
    const RertDregWriteOptions *o = options;
    RegHeader header = {
        .sop_class_uid = RERT_DREG_SOP_CLASS_UID,
        .source = o->source,
        .reference = &o->reference,
        .series_number = o->series_number,
        .series_description = o->series_description,
        .content_label =
            o->content_label != NULL ? o->content_label : "RERT_DEFORMABLE",
        .content_description = o->content_description,
    };
    const char *study = instance->study_instance_uid;
    return reg_set_header(err, ds, &header, instance) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x1090), "LO",
                                 "rert") &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0018, 0x1000), "LO",
                                 "0") &&
           add_deformable_item(err, ds, o) &&
           reg_add_series_reference(err, ds, &o->reference, study) &&
           reg_add_series_reference(err, ds, &o->moving, study);
}

static const RegWriter writer = {CONTEXT, check_options, build};

RertDataset *rert_dreg_build_dataset(RertError *err,
                                     const RertDregWriteOptions *options,
                                     char sop_instance_uid[RERT_UID_SIZE])
{
    return reg_writer_build(err, &writer, options, sop_instance_uid);
}

bool rert_dreg_save(RertError *err,
                    const char *path,
                    const RertDregWriteOptions *options,
                    char sop_instance_uid[RERT_UID_SIZE])
{
    return reg_writer_save(err, &writer, path, options, sop_instance_uid);
}
