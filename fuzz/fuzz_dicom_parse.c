/* Fuzz target: Part 10 parsing (every transfer syntax), then writing the
 * parsed data set back out and reading it again, from memory. */
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this size add run time without new coverage. */
#define MAX_INPUT_BYTES ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertDicomParseOptions options = rert_dicom_parse_options_default();
    /* small limits keep deflate bombs and deep nesting cheap */
    options.limits.max_inflated_bytes = (size_t)16 << 20;
    options.limits.max_elements = 100000;
    RertError err;
    RertDicomFileInfo info;
    RertDataset *ds =
        rert_dicom_parse(&err, data, size, "fuzz", &options, &info);
    if (ds == NULL) {
        return 0;
    }
    options.stop_before_pixel_data = true;
    RertDataset *head =
        rert_dicom_parse(&err, data, size, "fuzz", &options, NULL);
    rert_dataset_destroy(head);
    RertBytes out = {NULL, 0};
    if (rert_dicom_write(&err, ds, &out)) {
        options.stop_before_pixel_data = false;
        /* the written file adds meta elements: count with the default */
        options.limits.max_elements = rert_limits_default().max_elements;
        RertDataset *again =
            rert_dicom_parse(&err, out.data, out.size, "fuzz", &options, NULL);
        if (again == NULL) {
            __builtin_trap(); /* whatever the writer writes must parse */
        }
        rert_dataset_destroy(again);
    }
    rert_bytes_clear(&out);
    rert_dataset_destroy(ds);
    return 0;
}
