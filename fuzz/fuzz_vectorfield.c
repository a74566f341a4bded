/* Fuzz target: vector field files from memory (NIfTI-1 vector images and
 * MetaImage with LOCAL data, raw or zlib); an accepted field is sampled,
 * its Jacobian computed and it is wrapped as a transform. */
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
    RertVectorField *f =
        rert_vector_field_parse(&err, data, size, "fuzz", &limits);
    if (f == NULL) {
        return 0;
    }
    const RertGridGeometry *g = rert_vector_field_geometry(f);
    RertVec3 ijk = {0.5 * (double)g->dims[0], 0.25 * (double)g->dims[1],
                    0.75 * (double)g->dims[2]};
    (void)rert_vector_field_sample(f, rert_grid_ijk_to_xyz(g, ijk));
    RertJacobianStats js;
    (void)rert_vector_field_jacobian(&err, f, NULL, &js);
    RertTransform *t = rert_vector_field_transform(&err, f);
    rert_transform_destroy(t);
    rert_vector_field_destroy(f);
    return 0;
}
