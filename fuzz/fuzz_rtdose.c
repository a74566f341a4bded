/* Fuzz target: RT Dose decoding (Part 10 bytes -> data set -> dose grid),
 * then writing the grid back as an RT Dose data set, from memory. */
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/rt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this size add run time without new coverage. */
#define MAX_INPUT_BYTES ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits.max_inflated_bytes = (size_t)16 << 20;
    po.limits.max_elements = 100000;
    po.limits.max_voxels = (size_t)1 << 22;
    RertError err;
    RertDataset *ds = rert_dicom_parse(&err, data, size, "fuzz", &po, NULL);
    if (ds == NULL) {
        return 0;
    }
    RertDoseLoadOptions o = rert_dose_load_options_default();
    o.limits = po.limits;
    o.relative_normalisation_gy = 2.0; /* exercise RELATIVE too */
    RertDose *dose = rert_dose_from_dataset(&err, ds, &o);
    if (dose != NULL) {
        float lo = 0.0f;
        float hi = 0.0f;
        rert_volume_minmax(rert_dose_volume(dose), &lo, &hi);
        for (size_t i = 0; i < rert_dose_warning_count(dose); i++) {
            (void)rert_dose_warning(dose, i);
        }
        RertDoseWriteOptions wo = rert_dose_write_options_default();
        wo.source = rert_dose_header(dose);
        wo.summation_type = "RECORD";
        RertDataset *out =
            rert_dose_build_dataset(&err, rert_dose_volume(dose), &wo, NULL);
        if (out != NULL) {
            RertDose *again = rert_dose_from_dataset(&err, out, &o);
            rert_dose_destroy(again);
        }
        rert_dataset_destroy(out);
    }
    rert_dose_destroy(dose);
    rert_dataset_destroy(ds);
    return 0;
}
