/* Fuzz target: DICOM Deformable Spatial Registration reading (Part 10
 * bytes -> data set -> items, matrices, grids), applying every item and
 * building a transform on a small grid, from memory. */
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this size add run time without new coverage. */
#define MAX_INPUT_BYTES ((size_t)1 << 20)

static double walk_item(const RertDregItem *item)
{
    const RertVec3 probes[3] = {
        {0.0, 0.0, 0.0}, {12.5, -7.0, 3.0}, {-100.0, 40.0, 250.0}};
    double sum = (double)item->image_count;
    for (int i = 0; i < 3; i++) {
        RertVec3 p = rert_dreg_item_apply(item, probes[i]);
        sum += p.x + p.y + p.z;
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits.max_inflated_bytes = (size_t)16 << 20;
    po.limits.max_elements = 100000;
    RertError err;
    RertDataset *ds = rert_dicom_parse(&err, data, size, "fuzz", &po, NULL);
    if (ds == NULL) {
        return 0;
    }
    RertDregReadOptions o = rert_dreg_read_options_default();
    o.max_grid_voxels = (size_t)1 << 18;
    RertDeformableRegistration *reg = rert_dreg_from_dataset(&err, ds, &o);
    if (reg != NULL) {
        volatile double sink = 0.0;
        for (size_t i = 0; i < rert_dreg_item_count(reg); i++) {
            sink = sink + walk_item(rert_dreg_item(reg, i));
        }
        (void)sink;
        const size_t dims[3] = {4, 3, 2};
        const double origin[3] = {-5.0, -5.0, -5.0};
        const double spacing[3] = {2.5, 2.5, 5.0};
        const double direction[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        RertGridGeometry g;
        const RertDregItem *first = rert_dreg_item(reg, 0);
        if (first != NULL &&
            rert_grid_geometry_make(&err, dims, origin, spacing, direction, 0,
                                    &g)) {
            RertTransform *t = rert_dreg_transform_create(
                &err, reg, rert_dreg_frame_of_reference_uid(reg),
                first->source_frame_uid, &g);
            rert_transform_destroy(t);
        }
    }
    rert_dreg_destroy(reg);
    rert_dataset_destroy(ds);
    return 0;
}
