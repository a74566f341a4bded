/* Fuzz target: pixel data decoding (native and RLE Lossless) of whatever
 * data set the parser accepts, with the image size capped. */
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT_BYTES ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertDicomParseOptions options = rert_dicom_parse_options_default();
    options.limits.max_inflated_bytes = (size_t)16 << 20;
    options.limits.max_elements = 100000;
    /* decoded images at most 4 M values (16 MiB at 32 bits) */
    options.limits.max_voxels = (size_t)4 << 20;
    RertError err;
    RertDicomFileInfo info;
    RertDataset *ds =
        rert_dicom_parse(&err, data, size, "fuzz", &options, &info);
    if (ds == NULL) {
        return 0;
    }
    RertBytes pixels = {NULL, 0};
    (void)rert_dicom_decode_pixels(&err, ds, info.transfer_syntax,
                                   &options.limits, &pixels);
    rert_bytes_clear(&pixels);
    /* the RLE decoder also runs on native data labelled RLE, and back */
    (void)rert_dicom_decode_pixels(&err, ds, RERT_TS_RLE, &options.limits,
                                   &pixels);
    rert_bytes_clear(&pixels);
    rert_dataset_destroy(ds);
    return 0;
}
