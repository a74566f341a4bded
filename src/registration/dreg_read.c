/* DICOM Deformable Spatial Registration reading (PS3.3 A.39.2, C.20.3):
 * items with their pre/post matrices and deformation grids, validated,
 * and x_source = M_post (M_pre x + D(x)) (C.20.3.1.1) as a transform. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

struct RertDeformableRegistration {
    char sop_instance_uid[RERT_UID_SIZE];
    char frame_of_reference_uid[RERT_UID_SIZE];
    size_t item_count;
    RertDregItem items[RERT_DREG_MAX_ITEMS];
    float *vectors[RERT_DREG_MAX_ITEMS]; /* owned; items[i].vectors */
};

RertDregReadOptions rert_dreg_read_options_default(void)
{
    RertDregReadOptions o;
    memset(&o, 0, sizeof o);
    o.orthonormal_tolerance = 1e-4;
    o.max_grid_voxels = RERT_DREG_DEFAULT_MAX_GRID_VOXELS;
    return o;
}

/* The single item of a Pre/Post DeformationMatrixRegistrationSequence. */
static bool read_matrix_sequence(RertError *err,
                                 const RertDataset *item,
                                 uint32_t tag,
                                 const char *where,
                                 double tolerance,
                                 bool *present,
                                 RertMat4 *m,
                                 RertRegMatrixType *type)
{
    size_t n = rert_dataset_item_count(item, tag);
    *present = n > 0;
    *m = rert_mat4_identity();
    *type = RERT_REG_MATRIX_RIGID;
    if (n == 0) {
        return true;
    }
    if (n > 1) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s has %zu items, expected exactly 1", where, n);
    }
    return reg_matrix_item_read(err, rert_dataset_item(item, tag, 0), true,
                                tolerance, where, m, type);
}

/* Grid geometry of one DeformableRegistrationGridSequence item. */
static bool read_grid_geometry(RertError *err,
                               const RertDataset *g,
                               const char *where,
                               const RertDregReadOptions *o,
                               RertGridGeometry *out)
{
    double position[3];
    double orientation[6];
    double resolution[3];
    double dims_value[3];
    if (!rert_dataset_get_doubles(err, g, TAG_IMAGE_POSITION, position, 3) ||
        !rert_dataset_get_doubles(err, g, TAG_IMAGE_ORIENTATION, orientation,
                                  6) ||
        !rert_dataset_get_doubles(err, g, TAG_GRID_DIMENSIONS, dims_value, 3) ||
        !rert_dataset_get_doubles(err, g, TAG_GRID_RESOLUTION, resolution, 3)) {
        rert_error_prefix(err, "%s", where);
        return false;
    }
    size_t dims[3];
    for (int a = 0; a < 3; a++) {
        if (!(dims_value[a] >= 1.0 && dims_value[a] <= 4294967295.0)) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s: GridDimensions (0064,0007) value %d "
                                  "is %.0f, expected at least 1",
                                  where, a + 1, dims_value[a]);
        }
        dims[a] = (size_t)dims_value[a];
    }
    const double *r = orientation;
    const double *c = orientation + 3;
    double direction[9] = {r[0],
                           r[1],
                           r[2],
                           c[0],
                           c[1],
                           c[2],
                           r[1] * c[2] - r[2] * c[1],
                           r[2] * c[0] - r[0] * c[2],
                           r[0] * c[1] - r[1] * c[0]};
    if (!rert_grid_geometry_make(err, dims, position, resolution, direction,
                                 o->max_grid_voxels, out)) {
        rert_error_prefix(err,
                          "%s (ImagePositionPatient, ImageOrientationPatient, "
                          "GridDimensions, GridResolution)",
                          where);
        return false;
    }
    return true;
}

/* VectorGridData: exactly 3 x 4 x voxels bytes of finite floats (LE). */
static bool read_vectors(RertError *err,
                         const RertDataset *g,
                         const RertGridGeometry *grid,
                         const char *where,
                         float **out)
{
    size_t voxels = rert_grid_voxel_count(grid);
    size_t count = 0;
    size_t bytes = 0;
    if (!rert_mul_size(err, voxels, 3, &count) ||
        !rert_mul_size(err, count, 4, &bytes)) {
        return false;
    }
    const RertElement *el = rert_dataset_find(g, TAG_VECTOR_GRID_DATA);
    if (el == NULL) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: VectorGridData (0064,0009) is absent",
                              where);
    }
    if (rert_element_length(el) != bytes) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: VectorGridData (0064,0009) has %zu bytes, "
                              "expected 3 x 4 x %zu x %zu x %zu = %zu "
                              "(GridDimensions)",
                              where, rert_element_length(el), grid->dims[0],
                              grid->dims[1], grid->dims[2], bytes);
    }
    float *v = rert_alloc_voxels(err, count, sizeof(float));
    if (v == NULL) {
        return false;
    }
    const uint8_t *b = rert_element_value(el);
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = b + 4 * i;
        uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                        (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        memcpy(&v[i], &bits, sizeof bits);
        if (!isfinite(v[i])) {
            rert_free(v);
            return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                                  "%s: VectorGridData (0064,0009) vector %zu "
                                  "component %zu is not finite (undefined "
                                  "NaN vectors are not supported)",
                                  where, i / 3, i % 3);
        }
    }
    *out = v;
    return true;
}

static bool read_grid(RertError *err,
                      const RertDataset *item,
                      const char *where,
                      const RertDregReadOptions *o,
                      RertDregItem *out,
                      float **vectors)
{
    size_t n = rert_dataset_item_count(item, TAG_GRID_SEQUENCE);
    if (n == 0) {
        return true;
    }
    char grid_where[160];
    (void)snprintf(grid_where, sizeof grid_where,
                   "%s, DeformableRegistrationGridSequence (0064,0005)", where);
    if (n > 1) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s has %zu items, expected exactly 1",
                              grid_where, n);
    }
    const RertDataset *g = rert_dataset_item(item, TAG_GRID_SEQUENCE, 0);
    if (!read_grid_geometry(err, g, grid_where, o, &out->grid) ||
        !read_vectors(err, g, &out->grid, grid_where, vectors)) {
        return false;
    }
    out->has_grid = true;
    out->vectors = *vectors;
    return true;
}

static bool read_item(RertError *err,
                      const RertDataset *item,
                      size_t index,
                      const RertDregReadOptions *o,
                      RertDeformableRegistration *reg)
{
    char where[96];
    char seq_where[160];
    (void)snprintf(where, sizeof where,
                   "DeformableRegistrationSequence item %zu", index + 1);
    RertDregItem *it = &reg->items[index];
    memset(it, 0, sizeof *it);
    if (!rert_dataset_get_string(err, item, TAG_SOURCE_FRAME_UID, 0,
                                 it->source_frame_uid,
                                 sizeof it->source_frame_uid) ||
        it->source_frame_uid[0] == '\0') {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: SourceFrameOfReferenceUID (0064,0003) is "
                              "absent or empty",
                              where);
    }
    for (size_t i = 0; i < index; i++) {
        if (strcmp(reg->items[i].source_frame_uid, it->source_frame_uid) == 0) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s registers source frame %s again (item "
                                  "%zu already does)",
                                  where, it->source_frame_uid, i + 1);
        }
    }
    it->image_count =
        rert_dataset_item_count(item, TAG_REFERENCED_IMAGE_SEQUENCE);
    (void)snprintf(seq_where, sizeof seq_where,
                   "%s, PreDeformationMatrixRegistrationSequence (0064,000F)",
                   where);
    if (!read_matrix_sequence(err, item, TAG_PRE_SEQUENCE, seq_where,
                              o->orthonormal_tolerance, &it->has_pre, &it->pre,
                              &it->pre_type)) {
        return false;
    }
    (void)snprintf(seq_where, sizeof seq_where,
                   "%s, PostDeformationMatrixRegistrationSequence (0064,0010)",
                   where);
    if (!read_matrix_sequence(err, item, TAG_POST_SEQUENCE, seq_where,
                              o->orthonormal_tolerance, &it->has_post,
                              &it->post, &it->post_type)) {
        return false;
    }
    return read_grid(err, item, where, o, it, &reg->vectors[index]);
}

static bool read_header(RertError *err,
                        const RertDataset *ds,
                        RertDeformableRegistration *reg)
{
    if (!reg_read_sop(err, ds, RERT_DREG_SOP_CLASS_UID,
                      "Deformable Spatial Registration",
                      reg->sop_instance_uid)) {
        return false;
    }
    if (!rert_dataset_get_string(err, ds, TAG_FRAME_OF_REFERENCE_UID, 0,
                                 reg->frame_of_reference_uid,
                                 sizeof reg->frame_of_reference_uid) ||
        reg->frame_of_reference_uid[0] == '\0') {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "Deformable Spatial Registration: "
                              "FrameOfReferenceUID (0020,0052) is absent or "
                              "empty");
    }
    return true;
}

static bool read_items(RertError *err,
                       const RertDataset *ds,
                       const RertDregReadOptions *o,
                       RertDeformableRegistration *reg)
{
    size_t n = rert_dataset_item_count(ds, TAG_DEFORMABLE_SEQUENCE);
    if (n == 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DeformableRegistrationSequence (0064,0002) is "
                              "absent or empty");
    }
    if (n > RERT_DREG_MAX_ITEMS) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "DeformableRegistrationSequence (0064,0002) has "
                              "%zu items, at most %u are read",
                              n, RERT_DREG_MAX_ITEMS);
    }
    bool has_grid = false;
    for (size_t i = 0; i < n; i++) {
        reg->item_count = i + 1; /* so destroy frees what was read */
        if (!read_item(err, rert_dataset_item(ds, TAG_DEFORMABLE_SEQUENCE, i),
                       i, o, reg)) {
            return false;
        }
        has_grid = has_grid || reg->items[i].has_grid;
    }
    if (!has_grid) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "DeformableRegistrationSequence (0064,0002): no "
                              "item has a DeformableRegistrationGridSequence "
                              "(0064,0005) item, expected at least one");
    }
    return true;
}

RertDeformableRegistration *rert_dreg_from_dataset(
    RertError *err, const RertDataset *ds, const RertDregReadOptions *options)
{
    if (ds == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "Deformable Spatial Registration: NULL data set");
        return NULL;
    }
    RertDregReadOptions o =
        options != NULL ? *options : rert_dreg_read_options_default();
    if (!(o.orthonormal_tolerance > 0.0 && o.orthonormal_tolerance < 0.1)) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "Deformable Spatial Registration: orthonormal_tolerance "
                       "%g, expected in (0, 0.1)",
                       o.orthonormal_tolerance);
        return NULL;
    }
    RertDeformableRegistration *reg = rert_calloc(err, 1, sizeof *reg);
    if (reg == NULL) {
        return NULL;
    }
    if (!read_header(err, ds, reg) || !read_items(err, ds, &o, reg)) {
        rert_dreg_destroy(reg);
        return NULL;
    }
    return reg;
}

RertDeformableRegistration *rert_dreg_load(RertError *err,
                                           const char *path,
                                           const RertDregReadOptions *options)
{
    if (path == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "Deformable Spatial Registration: NULL path");
        return NULL;
    }
    RertDataset *ds = rert_dicom_load(err, path, NULL, NULL);
    if (ds == NULL) {
        return NULL;
    }
    RertDeformableRegistration *reg = rert_dreg_from_dataset(err, ds, options);
    rert_dataset_destroy(ds);
    if (reg == NULL) {
        rert_error_prefix(err, "%s", path);
    }
    return reg;
}

void rert_dreg_destroy(RertDeformableRegistration *reg)
{
    if (reg == NULL) {
        return;
    }
    for (size_t i = 0; i < RERT_DREG_MAX_ITEMS; i++) {
        rert_free(reg->vectors[i]);
    }
    rert_free(reg);
}

const char *
rert_dreg_frame_of_reference_uid(const RertDeformableRegistration *reg)
{
    return reg != NULL ? reg->frame_of_reference_uid : "";
}

const char *rert_dreg_sop_instance_uid(const RertDeformableRegistration *reg)
{
    return reg != NULL ? reg->sop_instance_uid : "";
}

size_t rert_dreg_item_count(const RertDeformableRegistration *reg)
{
    return reg != NULL ? reg->item_count : 0;
}

const RertDregItem *rert_dreg_item(const RertDeformableRegistration *reg,
                                   size_t index)
{
    return reg != NULL && index < reg->item_count ? &reg->items[index] : NULL;
}

const RertDregItem *rert_dreg_find(const RertDeformableRegistration *reg,
                                   const char *source_uid)
{
    if (reg == NULL || source_uid == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < reg->item_count; i++) {
        if (strcmp(reg->items[i].source_frame_uid, source_uid) == 0) {
            return &reg->items[i];
        }
    }
    return NULL;
}

/* ---- applying an item */

/* Axis position along one axis: lower index and weight, with the volume
 * edge rules (clamp within half a voxel, outside beyond). */
static bool axis_weight(double f, size_t n, size_t *lo, double *w)
{
    double last = (double)(n - 1);
    if (!(f >= -0.5 && f <= last + 0.5)) {
        return false;
    }
    if (n == 1 || f <= 0.0) {
        *lo = 0;
        *w = 0.0;
        return true;
    }
    if (f >= last) {
        *lo = n - 2;
        *w = 1.0;
        return true;
    }
    double fl = floor(f);
    *lo = (size_t)fl;
    *w = f - fl;
    return true;
}

/* D(x): trilinear on the item's grid, zero outside. */
static RertVec3 sample_deformation(const RertDregItem *item, RertVec3 xyz)
{
    RertVec3 zero = {0.0, 0.0, 0.0};
    if (!item->has_grid || item->vectors == NULL) {
        return zero;
    }
    const RertGridGeometry *g = &item->grid;
    RertVec3 f = rert_grid_xyz_to_ijk(g, xyz);
    double fa[3] = {f.x, f.y, f.z};
    size_t lo[3];
    double w[3];
    for (int a = 0; a < 3; a++) {
        if (!axis_weight(fa[a], g->dims[a], &lo[a], &w[a])) {
            return zero;
        }
    }
    double sum[3] = {0.0, 0.0, 0.0};
    for (int c = 0; c < 8; c++) {
        size_t idx[3];
        double weight = 1.0;
        for (int a = 0; a < 3; a++) {
            int up = (c >> a) & 1;
            idx[a] = lo[a] + (up != 0 && g->dims[a] > 1 ? 1u : 0u);
            weight *= up != 0 ? w[a] : 1.0 - w[a];
        }
        if (weight == 0.0) {
            continue;
        }
        const float *v =
            item->vectors + 3 * rert_grid_index(g, idx[0], idx[1], idx[2]);
        for (int a = 0; a < 3; a++) {
            sum[a] += weight * (double)v[a];
        }
    }
    RertVec3 d = {sum[0], sum[1], sum[2]};
    return d;
}

RertVec3 rert_dreg_item_apply(const RertDregItem *item, RertVec3 xyz)
{
    /* C.20.3.1.1: pre-matrix first, then the deformation offsets (looked
     * up at the grid voxel, which lies in the Registered RCS), then the
     * post-matrix. */
    RertVec3 p = rert_mat4_apply_point(item->pre, xyz);
    RertVec3 d = sample_deformation(item, xyz);
    RertVec3 q = {p.x + d.x, p.y + d.y, p.z + d.z};
    return rert_mat4_apply_point(item->post, q);
}

static bool unknown_frame(RertError *err,
                          const RertDeformableRegistration *reg,
                          const char *uid)
{
    char list[RERT_ERROR_MESSAGE_SIZE] = "";
    size_t used = 0;
    for (size_t i = 0; i < reg->item_count; i++) {
        reg_uid_list_add(list, &used, i == 0, reg->items[i].source_frame_uid);
    }
    return rert_error_set(err, RERT_ERR_INVALID_ARG,
                          "Deformable Spatial Registration %s has no item for "
                          "the moving frame %s (source frames: %s)",
                          reg->sop_instance_uid, uid, list);
}

/* u(x) = item(x) - x at every voxel centre of @p g. */
static void
bake(const RertDregItem *item, const RertGridGeometry *g, float *restrict u)
{
    size_t nx = g->dims[0];
    size_t ny = g->dims[1];
    size_t nz = g->dims[2];
#pragma omp parallel for default(none) shared(item, g, u, nx, ny, nz)
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < ny; j++) {
            for (size_t i = 0; i < nx; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                RertVec3 y = rert_dreg_item_apply(item, x);
                float *o = u + 3 * rert_grid_index(g, i, j, k);
                o[0] = (float)(y.x - x.x);
                o[1] = (float)(y.y - x.y);
                o[2] = (float)(y.z - x.z);
            }
        }
    }
}

RertTransform *rert_dreg_transform_create(RertError *err,
                                          const RertDeformableRegistration *reg,
                                          const char *reference_uid,
                                          const char *moving_uid,
                                          const RertGridGeometry *target)
{
    if (reg == NULL || reference_uid == NULL || moving_uid == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "Deformable Spatial Registration transform: NULL "
                       "argument");
        return NULL;
    }
    if (strcmp(reference_uid, reg->frame_of_reference_uid) != 0) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "Deformable Spatial Registration %s registers onto "
                       "frame %s, not the reference frame %s",
                       reg->sop_instance_uid, reg->frame_of_reference_uid,
                       reference_uid);
        return NULL;
    }
    const RertDregItem *item = rert_dreg_find(reg, moving_uid);
    if (item == NULL) {
        unknown_frame(err, reg, moving_uid);
        return NULL;
    }
    if (target == NULL && !item->has_grid) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "Deformable Spatial Registration: the item for frame "
                       "%s has no grid; give a target grid",
                       moving_uid);
        return NULL;
    }
    const RertGridGeometry *g = target != NULL ? target : &item->grid;
    size_t count = 0;
    if (!rert_mul_size(err, rert_grid_voxel_count(g), 3, &count)) {
        return NULL;
    }
    float *u = rert_alloc_voxels(err, count, sizeof(float));
    if (u == NULL) {
        return NULL;
    }
    bake(item, g, u);
    RertTransform *t = rert_transform_create_field(err, g, u);
    rert_free(u);
    return t;
}
