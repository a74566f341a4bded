/* Fuzz target: SUV factors from PET headers (Part 10 bytes -> data set ->
 * rert_suv_compute on one and on two instances), from memory. */
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/pet.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this size add run time without new coverage. */
#define MAX_INPUT_BYTES ((size_t)1 << 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits.max_inflated_bytes = (size_t)16 << 20;
    po.limits.max_elements = 100000;
    po.stop_before_pixel_data = true;
    RertError err;
    RertDataset *ds = rert_dicom_parse(&err, data, size, "fuzz", &po, NULL);
    if (ds == NULL) {
        return 0;
    }
    const RertDataset *headers[2] = {ds, ds};
    double factors[2];
    RertSuvResult r;
    for (size_t n = 1; n <= 2; n++) {
        if (rert_suv_compute(&err, headers, n, &r, factors) &&
            (r.suvbw_factor != factors[0] || !(r.suvbw_factor > 0.0))) {
            __builtin_trap(); /* the factor must be the first instance's */
        }
    }
    rert_dataset_destroy(ds);
    return 0;
}
