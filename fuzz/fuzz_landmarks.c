/* Fuzz target: landmark pair CSV files from memory; an accepted set is
 * checked against a small grid and its TRE computed through a rigid
 * transform. */
#include <stddef.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parser's own bound; larger inputs only test the LIMIT error. */
#define MAX_INPUT_BYTES (RERT_LANDMARKS_MAX_BYTES + 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertError err;
    RertLandmarkSet *s = rert_landmark_set_parse(&err, data, size, "fuzz");
    if (s == NULL) {
        return 0;
    }
    size_t n = rert_landmark_set_count(s);
    for (size_t i = 0; i < n; i++) {
        if (rert_landmark_set_label(s, i) == NULL) {
            __builtin_trap();
        }
    }
    const size_t dims[3] = {8, 8, 8};
    const double origin[3] = {-20.0, -20.0, -20.0};
    const double spacing[3] = {5.0, 5.0, 5.0};
    const double dir[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    RertGridGeometry g;
    if (rert_grid_geometry_make(&err, dims, origin, spacing, dir, 0, &g)) {
        (void)rert_landmark_set_check_inside(&err, s, &g, "the fuzz grid");
    }
    RertMat4 m = rert_mat4_identity();
    m.m[0][3] = 1.5;
    RertTransform *t = rert_transform_create_matrix(&err, m);
    RertLandmarkStats st;
    if (t != NULL && !rert_landmark_error_compute(
                         &err, t, rert_landmark_set_reference_mm(s),
                         rert_landmark_set_moving_mm(s), n, NULL, &st)) {
        __builtin_trap(); /* a parsed set is always finite and non-empty */
    }
    rert_transform_destroy(t);
    rert_landmark_set_destroy(s);
    return 0;
}
