/* Test helper for the interop scripts (not installed): exposes the library
 * paths a script needs to compare rert with other tools' vector fields.
 *
 *   vf_warp warp MOVING FIELD OUT   resample MOVING (scalar .mha/.mhd/.nii
 *                                   [.gz]) through x -> x + u(x) of FIELD
 *                                   onto FIELD's grid (trilinear, -1000
 *                                   outside); OUT by its extension
 *   vf_warp sample FIELD x y z ...  print u(x) (mm, LPS) at each point
 *   vf_warp info FILE               print the grid of a field or image as
 *                                   rert reads it (LPS)
 *
 * Exit 0 on success, 1 on a library error, 2 on usage errors. */
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

static int fail(const RertError *err)
{
    (void)fprintf(stderr, "vf_warp: %s: %s\n", rert_error_code_name(err->code),
                  err->message);
    return 1;
}

static int usage(void)
{
    (void)fprintf(stderr, "usage: vf_warp warp MOVING FIELD OUT\n"
                          "       vf_warp sample FIELD x y z [x y z ...]\n"
                          "       vf_warp info FILE\n");
    return 2;
}

static int
cmd_warp(const char *moving_path, const char *field_path, const char *out_path)
{
    RertError err;
    rert_error_clear(&err);
    RertVolume *moving = NULL;
    RertVectorField *field = NULL;
    RertTransform *t = NULL;
    RertVolume *warped = NULL;
    int rc = 1;
    moving = rert_volume_load_image(&err, moving_path, NULL);
    field =
        moving != NULL ? rert_vector_field_load(&err, field_path, NULL) : NULL;
    t = field != NULL ? rert_vector_field_transform(&err, field) : NULL;
    warped = t != NULL ? rert_volume_resample(&err, moving,
                                              rert_vector_field_geometry(field),
                                              t, -1000.0f, NULL)
                       : NULL;
    if (warped != NULL && rert_volume_save_image(&err, out_path, warped)) {
        rc = 0;
    }
    if (rc != 0) {
        rc = fail(&err);
    }
    rert_volume_destroy(warped);
    rert_transform_destroy(t);
    rert_vector_field_destroy(field);
    rert_volume_destroy(moving);
    return rc;
}

static int cmd_sample(const char *field_path, int count, char **coords)
{
    RertError err;
    rert_error_clear(&err);
    if (count <= 0 || count % 3 != 0) {
        return usage();
    }
    RertVectorField *field = rert_vector_field_load(&err, field_path, NULL);
    if (field == NULL) {
        return fail(&err);
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < count; i += 3) {
        double p[3];
        for (int a = 0; rc == 0 && a < 3; a++) {
            const char *c = coords[i + a];
            if (!rert_parse_double(&err, c, strlen(c), "coordinate", &p[a])) {
                rc = fail(&err);
            }
        }
        if (rc == 0) {
            RertVec3 u =
                rert_vector_field_sample(field, (RertVec3){p[0], p[1], p[2]});
            (void)printf("%.9g %.9g %.9g\n", u.x, u.y, u.z);
        }
    }
    rert_vector_field_destroy(field);
    return rc;
}

static void print_grid(const char *kind, const RertGridGeometry *g)
{
    (void)printf("kind %s\ndims %zu %zu %zu\n", kind, g->dims[0], g->dims[1],
                 g->dims[2]);
    (void)printf("origin %.9g %.9g %.9g\n", g->origin_mm[0], g->origin_mm[1],
                 g->origin_mm[2]);
    (void)printf("spacing %.9g %.9g %.9g\n", g->spacing_mm[0], g->spacing_mm[1],
                 g->spacing_mm[2]);
    (void)printf("direction");
    for (int i = 0; i < 9; i++) {
        (void)printf(" %.9g", g->direction[i]);
    }
    (void)printf("\n");
}

static int cmd_info(const char *path)
{
    RertError err;
    rert_error_clear(&err);
    RertVectorField *field = rert_vector_field_load(&err, path, NULL);
    if (field != NULL) {
        print_grid("field", rert_vector_field_geometry(field));
        rert_vector_field_destroy(field);
        return 0;
    }
    RertVolume *v = rert_volume_load_image(&err, path, NULL);
    if (v == NULL) {
        return fail(&err);
    }
    print_grid("image", rert_volume_geometry(v));
    rert_volume_destroy(v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "warp") == 0) {
        return cmd_warp(argv[2], argv[3], argv[4]);
    }
    if (argc >= 6 && strcmp(argv[1], "sample") == 0) {
        return cmd_sample(argv[2], argc - 3, argv + 3);
    }
    if (argc == 3 && strcmp(argv[1], "info") == 0) {
        return cmd_info(argv[2]);
    }
    return usage();
}
