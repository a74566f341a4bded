/* Fuzz target: scalar image files from memory (NIfTI-1 .nii of every
 * datatype read, gzip .nii.gz, MetaImage with LOCAL data); an accepted
 * volume is resampled onto a small grid of its own. */
#include <stddef.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this size add run time without new coverage. */
#define MAX_INPUT_BYTES ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertLimits limits = rert_limits_default();
    limits.max_voxels = (size_t)1 << 18;
    limits.max_inflated_bytes = (size_t)16 << 20;
    RertError err;
    RertVolume *v = rert_volume_parse_image(&err, data, size, "fuzz", &limits);
    if (v == NULL) {
        return 0;
    }
    RertGridGeometry g = *rert_volume_geometry(v);
    for (int a = 0; a < 3; a++) {
        g.dims[a] = g.dims[a] > 4 ? 4 : g.dims[a];
    }
    RertGridGeometry small;
    if (rert_grid_geometry_make(&err, g.dims, g.origin_mm, g.spacing_mm,
                                g.direction, 0, &small)) {
        RertVolume *r = rert_volume_resample(&err, v, &small, NULL, 0.0f, NULL);
        rert_volume_destroy(r);
    }
    rert_volume_destroy(v);
    return 0;
}
