/* Deformable registration benchmark driver (bench/deformable.sh):
 *
 *   bench_deformable gen DIR NX NY NZ SX SY SZ
 *       the generated CT pair of tests/unit/deform_case.h: DIR/fixed.mha,
 *       DIR/moving.mha, DIR/truth.mha (the true field on the fixed grid)
 *       and DIR/mask.mha (the fixed body, > -500 HU)
 *   bench_deformable eval DIR FIELD
 *       vector error of FIELD (.mha/.mhd/.nii, on the fixed grid) against
 *       DIR/truth.mha inside DIR/mask.mha, and its Jacobian there; one
 *       line "mean_mm p95_mm max_mm jac_min jac_max folded voxels"
 *   bench_deformable run DIR FIELD
 *       rert_deformable_register() of DIR's pair with the default options,
 *       the field written to FIELD; prints the timings and the figures
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rert/rert.h>

#include "deform_case.h"

static int fail(const RertError *err)
{
    (void)fprintf(stderr, "bench_deformable: %s\n", err->message);
    return 1;
}

static const char *join(char *buf, size_t size, const char *dir, const char *f)
{
    (void)snprintf(buf, size, "%s/%s", dir, f);
    return buf;
}

/* The largest non-rigid displacement |d(x)| over the mask's voxels. */
static double
peak_deformation(const DeformCase *c, const RertGridGeometry *g, const float *m)
{
    double peak = 0.0;
    size_t nx = g->dims[0];
    size_t nxy = nx * g->dims[1];
    for (size_t v = 0; v < rert_grid_voxel_count(g); v++) {
        if (m[v] <= 0.5f) {
            continue;
        }
        RertVec3 ijk = {(double)(v % nx), (double)(v % nxy / nx),
                        (double)(v / nxy)};
        RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
        RertVec3 d = {0.0, 0.0, 0.0};
        for (size_t b = 0; b < c->bump_count; b++) {
            const double *p = c->bumps[b];
            double d2 = (x.x - p[0]) * (x.x - p[0]) +
                        (x.y - p[1]) * (x.y - p[1]) +
                        (x.z - p[2]) * (x.z - p[2]);
            double w = exp(-d2 / (2.0 * p[3] * p[3]));
            d.x += w * p[4];
            d.y += w * p[5];
            d.z += w * p[6];
        }
        peak = fmax(peak, sqrt(d.x * d.x + d.y * d.y + d.z * d.z));
    }
    return peak;
}

static int gen(int argc, char **argv)
{
    if (argc != 9 && argc != 10) {
        (void)fprintf(stderr, "usage: bench_deformable gen DIR NX NY NZ SX "
                              "SY SZ [BUMP_SCALE]\n");
        return 2;
    }
    RertError err;
    rert_error_clear(&err);
    size_t dims[3];
    double spacing[3];
    for (int a = 0; a < 3; a++) {
        long n = 0;
        if (!rert_parse_long(&err, argv[3 + a], strlen(argv[3 + a]), 4, 2048,
                             "dims", &n) ||
            !rert_parse_double(&err, argv[6 + a], strlen(argv[6 + a]),
                               "spacing", &spacing[a])) {
            return fail(&err);
        }
        dims[a] = (size_t)n;
    }
    const char *dir = argv[2];
    double scale = 1.0;
    if (argc == 10 && !rert_parse_double(&err, argv[9], strlen(argv[9]),
                                         "bump scale", &scale)) {
        return fail(&err);
    }
    DeformCase c = deform_case_default(scale);
    const double centre[3] = {0.0, 8.0, 0.0};
    /* The moving image covers 10 % more on each axis, so every fixed
     * body point maps inside it. */
    size_t mdims[3];
    for (int a = 0; a < 3; a++) {
        mdims[a] = dims[a] + dims[a] / 10 + 2;
    }
    RertGridGeometry gf;
    RertGridGeometry gm;
    if (!deform_case_grid(&err, dims, spacing, centre, &gf) ||
        !deform_case_grid(&err, mdims, spacing, centre, &gm)) {
        return fail(&err);
    }
    RertVolume *fixed = rert_volume_create(&err, &gf);
    RertVolume *moving = rert_volume_create(&err, &gm);
    RertVolume *mask = rert_volume_create(&err, &gf);
    RertVectorField *truth = rert_vector_field_create(&err, &gf);
    if (fixed == NULL || moving == NULL || mask == NULL || truth == NULL) {
        return fail(&err);
    }
    deform_case_fill(&c, fixed, true);
    deform_case_fill(&c, moving, false);
    deform_case_truth(&c, truth);
    const float *f = rert_volume_data_const(fixed);
    float *m = rert_volume_data(mask);
    for (size_t v = 0; v < rert_grid_voxel_count(&gf); v++) {
        m[v] = f[v] > -500.0f ? 1.0f : 0.0f;
    }
    (void)printf("peak deformation in the body %.2f mm\n",
                 peak_deformation(&c, &gf, m));

    char path[4096];
    if (!rert_volume_save_metaimage(
            &err, join(path, sizeof path, dir, "fixed.mha"), fixed) ||
        !rert_volume_save_metaimage(
            &err, join(path, sizeof path, dir, "moving.mha"), moving) ||
        !rert_volume_save_metaimage(
            &err, join(path, sizeof path, dir, "mask.mha"), mask) ||
        !rert_vector_field_save(&err, join(path, sizeof path, dir, "truth.mha"),
                                truth)) {
        return fail(&err);
    }
    rert_volume_destroy(fixed);
    rert_volume_destroy(moving);
    rert_volume_destroy(mask);
    rert_vector_field_destroy(truth);
    return 0;
}

static int eval(int argc, char **argv)
{
    if (argc != 4) {
        (void)fprintf(stderr, "usage: bench_deformable eval DIR FIELD\n");
        return 2;
    }
    RertError err;
    rert_error_clear(&err);
    char path[4096];
    RertVectorField *truth = rert_vector_field_load(
        &err, join(path, sizeof path, argv[2], "truth.mha"), NULL);
    RertVolume *mask =
        truth != NULL
            ? rert_volume_load_metaimage(
                  &err, join(path, sizeof path, argv[2], "mask.mha"), NULL)
            : NULL;
    RertVectorField *f =
        mask != NULL ? rert_vector_field_load(&err, argv[3], NULL) : NULL;
    RertFieldErrorStats st;
    RertJacobianStats js;
    const float *m = mask != NULL ? rert_volume_data_const(mask) : NULL;
    if (f == NULL || !rert_vector_field_compare(&err, f, truth, m, &st) ||
        !rert_vector_field_jacobian(&err, f, m, &js)) {
        return fail(&err);
    }
    (void)printf("%.4f %.4f %.4f %.4f %.4f %zu %zu\n", st.mean_mm, st.p95_mm,
                 st.max_mm, js.min, js.max, js.folded, js.voxels);
    rert_vector_field_destroy(f);
    rert_vector_field_destroy(truth);
    rert_volume_destroy(mask);
    return 0;
}

static int run(int argc, char **argv)
{
    if (argc != 4) {
        (void)fprintf(stderr, "usage: bench_deformable run DIR FIELD\n");
        return 2;
    }
    RertError err;
    rert_error_clear(&err);
    char path[4096];
    RertVolume *fixed = rert_volume_load_metaimage(
        &err, join(path, sizeof path, argv[2], "fixed.mha"), NULL);
    RertVolume *moving =
        fixed != NULL
            ? rert_volume_load_metaimage(
                  &err, join(path, sizeof path, argv[2], "moving.mha"), NULL)
            : NULL;
    RertVectorField *truth =
        moving != NULL
            ? rert_vector_field_load(
                  &err, join(path, sizeof path, argv[2], "truth.mha"), NULL)
            : NULL;
    if (truth == NULL) {
        return fail(&err);
    }
    RertDeformableOptions o = rert_deformable_options_default();
    o.truth = truth;
    RertDeformableResult r;
    RertVectorField *f = rert_deformable_register(&err, fixed, moving, &o, &r);
    if (f == NULL || !rert_vector_field_save(&err, argv[3], f)) {
        return fail(&err);
    }
    (void)printf("rigid %.2f s, total %.2f s; error mean %.3f p95 %.3f max "
                 "%.3f mm; Jacobian %.3f..%.3f folded %zu\n",
                 r.seconds_rigid, r.seconds_total, r.truth_error.mean_mm,
                 r.truth_error.p95_mm, r.truth_error.max_mm, r.jacobian.min,
                 r.jacobian.max, r.jacobian.folded);
    for (unsigned l = 0; l < r.level_count; l++) {
        (void)printf("  level %u: %.2f mm, %u iterations, MSE %.1f -> %.1f\n",
                     l, r.level_spacing_mm[l], r.iterations[l], r.mse_start[l],
                     r.mse_end[l]);
    }
    rert_vector_field_destroy(f);
    rert_vector_field_destroy(truth);
    rert_volume_destroy(fixed);
    rert_volume_destroy(moving);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "gen") == 0) {
        return gen(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "eval") == 0) {
        return eval(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "run") == 0) {
        return run(argc, argv);
    }
    (void)fprintf(stderr, "usage: bench_deformable gen|eval|run ...\n");
    return 2;
}
