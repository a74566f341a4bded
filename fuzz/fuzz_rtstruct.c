/* Fuzz target: RT Structure Set reading (Part 10 bytes -> data set ->
 * ROIs and contours), walking every accessor, from memory. */
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/rt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this size add run time without new coverage. */
#define MAX_INPUT_BYTES ((size_t)1 << 20)

static double walk_roi(const RertRoi *roi)
{
    double sum = (double)rert_roi_number(roi);
    uint8_t rgb[3] = {0, 0, 0};
    if (rert_roi_color(roi, rgb)) {
        sum += rgb[0];
    }
    for (size_t c = 0; c < rert_roi_contour_count(roi); c++) {
        RertContourType type = RERT_CONTOUR_POINT;
        RertPolygon p = rert_roi_contour(roi, c, &type);
        for (size_t k = 0; k < p.count; k++) {
            sum += p.points_mm[k].x + p.points_mm[k].y + p.points_mm[k].z;
        }
    }
    size_t n = 0;
    const RertPolygon *polys = rert_roi_polygons(roi, &n);
    for (size_t i = 0; i < n; i++) {
        sum += (double)polys[i].count;
    }
    return sum + (double)rert_roi_point_count(roi);
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
    RertStructureSetOptions o = rert_structure_set_options_default();
    o.limits = po.limits;
    o.limits.max_rois = 1000;
    o.limits.max_contour_points = 100000;
    RertStructureSet *ss = rert_structure_set_from_dataset(&err, ds, &o);
    if (ss != NULL) {
        volatile double sink = 0.0;
        for (size_t i = 0; i < rert_structure_set_roi_count(ss); i++) {
            const RertRoi *roi = rert_structure_set_roi_at(ss, i);
            sink = sink + walk_roi(roi);
            (void)rert_structure_set_roi_by_name(ss, rert_roi_name(roi));
            (void)rert_structure_set_roi_by_number(ss, rert_roi_number(roi));
        }
        (void)sink;
    }
    rert_structure_set_destroy(ss);
    rert_dataset_destroy(ds);
    return 0;
}
