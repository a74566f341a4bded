/* rert register: rigid or deformable registration of two image volumes
 * (DICOM series folders or MetaImage files), written as a DICOM (rigid or
 * deformable) Spatial Registration and/or a vector field file
 * (docs/deformable.md, docs/commands.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <rert/rert.h>

#include "cli.h"

#define CMD "register"

typedef struct Params {
    const char *fixed;
    const char *moving;
    bool deformable;
    const char *mask_roi;
    const char *structures;
    const char *reg_out;
    const char *field_out;
    RertRigidMetric metric;
    long levels;     /* 0 = default */
    long iterations; /* -1 = default */
    double min_spacing_mm;
    bool has_min_spacing;
    bool inverse_consistency;
    const char *landmarks;
} Params;

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert register --fixed DIR|FILE.mha --moving DIR|FILE.mha\n"
        "                     [--method rigid|deformable] [--mask ROI "
        "--structures RS.dcm]\n"
        "                     [-o REG.dcm] [--vector-field "
        "OUT.mha|.mhd|.nii|.nii.gz]"
        "\n                     [--inverse-consistency] [--landmarks "
        "FILE.csv]\n\n"
        "Registers the moving images onto the fixed (reference) images and "
        "prints\nthe quality figures. rigid: mutual information, 6 degrees "
        "of freedom.\ndeformable: the rigid start, then multi-resolution "
        "diffeomorphic demons\n(symmetric forces) inside the body "
        "(> -500 HU, or the --mask ROI).\n\n"
        "  --fixed PATH         reference CT: a DICOM series folder or a "
        ".mha/.mhd\n"
        "  --moving PATH        prior-course CT, likewise\n"
        "  --method M           rigid (default) or deformable\n"
        "  --mask ROI           drive the registration only inside this ROI "
        "of\n"
        "  --structures RS.dcm  the fixed images' structure set\n"
        "  -o, --output REG.dcm DICOM Spatial Registration (rigid) or "
        "Deformable\n"
        "                       Spatial Registration (deformable); needs "
        "DICOM inputs\n"
        "  --vector-field FILE  the field u(x) on the fixed grid, mm, LPS, "
        "x + u(x) =\n"
        "                       moving point, rigid part included "
        "(plastimatch/ITK\n"
        "                       convention): .mha, .mhd, .nii or .nii.gz\n"
        "  --metric mi|ncc      rigid similarity (default mi)\n"
        "  --levels N           resolution levels, 1..5 (default 3)\n"
        "  --iterations N       demons iterations per level (default 40)\n"
        "  --min-spacing MM     finest demons voxel size (default 2)\n"
        "  --inverse-consistency  deformable: run the registration in "
        "reverse and\n"
        "                       print |x + u(x) + v(x + u(x)) - x| over the "
        "fixed body\n"
        "                       (no published tolerance: no pass/fail)\n"
        "  --landmarks FILE.csv landmark pairs "
        "(label,ref_x,ref_y,ref_z,prior_x,prior_y,\n"
        "                       prior_z; fixed = ref, moving = prior, mm): "
        "TRE of the\n"
        "                       result (and of its rigid start) against "
        "TG-132\n"
        "  -q, --quiet          no figures\n\n"
        "example:\n"
        "  rert phantom -o ph --deform 5\n"
        "  rert register --fixed ph/course2/ct --moving ph/course1/ct "
        "\\\n"
        "      --method deformable -o reg.dcm --vector-field field.mha\n"
        "  plastimatch warp --input moving.mha --xf field.mha "
        "--output-img warped.mha\n");
}

static bool parse_number_option(Params *p, int c, const char *arg)
{
    RertError err;
    rert_error_clear(&err);
    bool ok = true;
    if (c == 'L') {
        ok = rert_parse_long(&err, arg, strlen(arg), 1, 5, "--levels",
                             &p->levels);
    } else if (c == 'I') {
        ok = rert_parse_long(&err, arg, strlen(arg), 0, 1000, "--iterations",
                             &p->iterations);
    } else {
        ok = rert_parse_double(&err, arg, strlen(arg), "--min-spacing",
                               &p->min_spacing_mm);
        p->has_min_spacing = ok;
    }
    if (!ok) {
        cli_error(CMD, "%s", err.message);
    }
    return ok;
}

/* char *arg: the CliOptionFn signature */
// NOLINTNEXTLINE(readability-non-const-parameter)
static bool parse_option(void *ctx, int c, char *arg)
{
    Params *p = ctx;
    switch (c) {
    case 'f':
        p->fixed = arg;
        return true;
    case 'm':
        p->moving = arg;
        return true;
    case 'M':
        if (strcmp(arg, "rigid") != 0 && strcmp(arg, "deformable") != 0) {
            cli_error(CMD, "--method '%s': expected rigid or deformable", arg);
            return false;
        }
        p->deformable = strcmp(arg, "deformable") == 0;
        return true;
    case 'k':
        p->mask_roi = arg;
        return true;
    case 's':
        p->structures = arg;
        return true;
    case 'o':
        p->reg_out = arg;
        return true;
    case 'v':
        p->field_out = arg;
        return true;
    case 'e':
        if (strcmp(arg, "mi") != 0 && strcmp(arg, "ncc") != 0) {
            cli_error(CMD, "--metric '%s': expected mi or ncc", arg);
            return false;
        }
        p->metric = strcmp(arg, "mi") == 0 ? RERT_RIGID_METRIC_MI
                                           : RERT_RIGID_METRIC_NCC;
        return true;
    case 'q':
        cli_quiet = true;
        return true;
    case 'C':
        p->inverse_consistency = true;
        return true;
    case 'l':
        p->landmarks = arg;
        return true;
    default:
        return parse_number_option(p, c, arg);
    }
}

static const char *check_params(const Params *p)
{
    if (p->fixed == NULL || p->moving == NULL) {
        return "--fixed and --moving are required";
    }
    if ((p->mask_roi == NULL) != (p->structures == NULL)) {
        return "--mask and --structures go together";
    }
    if (p->inverse_consistency && !p->deformable) {
        return "--inverse-consistency needs --method deformable";
    }
    if (p->reg_out == NULL && p->field_out == NULL && p->landmarks == NULL &&
        !p->inverse_consistency) {
        return "nothing to do: give -o REG.dcm, --vector-field FILE, "
               "--landmarks FILE.csv and/or --inverse-consistency";
    }
    return NULL;
}

/* 0 = parsed, 1 = --help shown, 2 = usage error. */
static int parse_args(Params *p, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"fixed", required_argument, NULL, 'f'},
        {"moving", required_argument, NULL, 'm'},
        {"method", required_argument, NULL, 'M'},
        {"mask", required_argument, NULL, 'k'},
        {"structures", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"vector-field", required_argument, NULL, 'v'},
        {"metric", required_argument, NULL, 'e'},
        {"levels", required_argument, NULL, 'L'},
        {"iterations", required_argument, NULL, 'I'},
        {"min-spacing", required_argument, NULL, 'S'},
        {"inverse-consistency", no_argument, NULL, 'C'},
        {"landmarks", required_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(p, 0, sizeof *p);
    p->iterations = -1;
    int parsed =
        cli_parse_options(argc, argv, "ho:q", longopts, parse_option, p, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed;
    }
    const char *problem = optind < argc ? "unexpected argument" : NULL;
    problem = problem != NULL ? problem : check_params(p);
    if (problem != NULL) {
        cli_error(CMD, "%s%s%s", problem, optind < argc ? " " : "",
                  optind < argc ? argv[optind] : "");
        usage(stderr);
        return 2;
    }
    return 0;
}

/* One input: a DICOM series (series kept for -o) or a MetaImage. */
typedef struct Input {
    RertImageSeries *series;
    RertVolume *owned;
    const RertVolume *volume;
} Input;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool input_load(RertError *err, const char *path, Input *in)
{
    memset(in, 0, sizeof *in);
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "--fixed and --moving are required");
    }
    if (ends_with(path, ".mha") || ends_with(path, ".mhd")) {
        in->owned = rert_volume_load_metaimage(err, path, NULL);
        in->volume = in->owned;
        return in->owned != NULL;
    }
    in->series = rert_image_series_load(err, path, NULL, NULL);
    if (in->series == NULL) {
        rert_error_prefix(err, "loading %s", path);
        return false;
    }
    in->volume = rert_image_series_volume(in->series);
    return true;
}

static void input_clear(Input *in)
{
    rert_image_series_destroy(in->series);
    rert_volume_destroy(in->owned);
}

/* The --mask ROI rasterised on the fixed grid (new array, rert_free()). */
static float *load_mask(RertError *err, const Params *p, const RertVolume *v)
{
    RertStructureSet *ss = rert_structure_set_load(err, p->structures, NULL);
    if (ss == NULL) {
        return NULL;
    }
    const RertRoi *roi = rert_structure_set_roi_by_name(ss, p->mask_roi);
    size_t count = 0;
    const RertPolygon *polys =
        roi != NULL ? rert_roi_polygons(roi, &count) : NULL;
    const RertGridGeometry *g = rert_volume_geometry(v);
    float *mask = NULL;
    if (roi == NULL || count == 0) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "%s: no ROI named '%s' with closed planar contours",
                       p->structures, p->mask_roi);
    } else {
        mask = rert_calloc(err, rert_grid_voxel_count(g), sizeof(float));
        if (mask != NULL &&
            !rert_rasterize_polygons(err, g, polys, count, NULL, mask)) {
            rert_free(mask);
            mask = NULL;
        }
    }
    rert_structure_set_destroy(ss);
    return mask;
}

static RertRegImageSet image_set(const RertImageSeries *s)
{
    const RertRtMeta *meta = rert_image_series_meta(s);
    RertRegImageSet set;
    memset(&set, 0, sizeof set);
    set.frame_of_reference_uid = meta->frame_of_reference_uid;
    set.study_instance_uid = meta->study_instance_uid;
    set.series_instance_uid = meta->series_instance_uid;
    set.sop_class_uid = meta->sop_class_uid;
    return set;
}

static void print_rigid(const RertRigidResult *r)
{
    (void)printf("rigid: rotation %.3f %.3f %.3f deg, translation %.3f %.3f "
                 "%.3f mm (fixed -> moving, about the fixed grid centre); "
                 "metric %.4f, overlap %.3f, %.2f s\n",
                 r->rotation_deg[0], r->rotation_deg[1], r->rotation_deg[2],
                 r->translation_mm[0], r->translation_mm[1],
                 r->translation_mm[2], r->final_metric, r->overlap_frac,
                 r->seconds);
}

static void print_deformable(const RertDeformableResult *r)
{
    if (r->ran_rigid) {
        print_rigid(&r->rigid);
    }
    for (unsigned l = 0; l < r->level_count; l++) {
        (void)printf("demons level %u: %.2f mm voxels, %u iterations, mean "
                     "squared difference %.1f -> %.1f\n",
                     l, r->level_spacing_mm[l], r->iterations[l],
                     r->mse_start[l], r->mse_end[l]);
    }
    (void)printf("deformation beyond the rigid start: mean %.2f mm, max "
                 "%.2f mm over %zu mask voxels\n",
                 r->deformation_mean_mm, r->deformation_max_mm, r->mask_voxels);
    (void)printf("Jacobian determinant: min %.3f, max %.3f, mean %.3f; "
                 "folded (<= 0) %zu voxels (%.4f %%); TG-132: must stay > 0\n",
                 r->jacobian.min, r->jacobian.max, r->jacobian.mean,
                 r->jacobian.folded, 100.0 * r->jacobian.folded_frac);
    (void)printf("time: rigid %.2f s, total %.2f s\n", r->seconds_rigid,
                 r->seconds_total);
}

/* Run the registration; *field gets the field (deformable) or NULL. */
static bool compute(RertError *err,
                    const Params *p,
                    const Input in[2],
                    const float *mask,
                    RertMat4 *rigid,
                    RertVectorField **field)
{
    RertRigidOptions ro = rert_rigid_options_default();
    ro.metric = p->metric;
    ro.fixed_mask = mask;
    *field = NULL;
    if (!p->deformable) {
        RertRigidResult r;
        if (!rert_rigid_register(err, in[0].volume, in[1].volume, &ro, &r)) {
            return false;
        }
        *rigid = r.fixed_to_moving;
        if (!cli_quiet) {
            print_rigid(&r);
        }
        return true;
    }
    RertDeformableOptions o = rert_deformable_options_default();
    o.rigid = ro;
    o.fixed_mask = mask;
    o.levels = p->levels > 0 ? (unsigned)p->levels : o.levels;
    for (unsigned l = 0; p->iterations >= 0 && l < o.levels; l++) {
        o.iterations[l] = (unsigned)p->iterations;
    }
    o.min_spacing_mm =
        p->has_min_spacing ? p->min_spacing_mm : o.min_spacing_mm;
    RertDeformableResult r;
    *field = rert_deformable_register(err, in[0].volume, in[1].volume, &o, &r);
    if (*field == NULL) {
        return false;
    }
    *rigid = r.rigid_fixed_to_moving;
    if (!cli_quiet) {
        print_deformable(&r);
    }
    return true;
}

/* The limit of TG-132 table entry @p quantity (the library keeps them). */
static double tg132_limit(const char *quantity)
{
    for (size_t i = 0; i < rert_tg132_tolerance_count(); i++) {
        const RertRegistrationTolerance *t = rert_tg132_tolerance(i);
        if (strcmp(t->quantity, quantity) == 0) {
            return t->limit;
        }
    }
    return 0.0;
}

/* TRE of @p t over the landmarks, against AAPM TG-132. */
static bool print_tre(RertError *err,
                      const RertLandmarkSet *set,
                      const RertTransform *t,
                      const char *what)
{
    size_t n = rert_landmark_set_count(set);
    double *each = rert_calloc(err, n, sizeof *each);
    RertLandmarkStats s;
    if (each == NULL || !rert_landmark_error_compute(
                            err, t, rert_landmark_set_reference_mm(set),
                            rert_landmark_set_moving_mm(set), n, each, &s)) {
        rert_free(each);
        return false;
    }
    double mean_limit = tg132_limit("dir_tre_mean_mm");
    double max_limit = tg132_limit("dir_tre_max_mm");
    bool ok = s.mean_mm <= mean_limit && s.max_mm <= max_limit;
    (void)printf("landmark TRE, %s: mean %.2f mm, SD %.2f mm, max %.2f mm "
                 "(%s) over %zu landmarks; TG-132 (mean <= %g, max <= %g "
                 "mm): %s\n",
                 what, s.mean_mm, s.sd_mm, s.max_mm,
                 rert_landmark_set_label(set, s.worst_index), n, mean_limit,
                 max_limit, ok ? "pass" : "FAIL");
    for (size_t i = 0; i < n; i++) {
        (void)printf("  %s %.2f mm\n", rert_landmark_set_label(set, i),
                     each[i]);
    }
    rert_free(each);
    return true;
}

/* --landmarks: the result's TRE and, for a deformable result, its rigid
 * start's. */
static bool landmark_report(RertError *err,
                            const Params *p,
                            const RertVolume *fixed,
                            RertMat4 rigid,
                            const RertVectorField *field)
{
    RertLandmarkSet *set = rert_landmark_set_load(err, p->landmarks);
    if (set == NULL ||
        !rert_landmark_set_check_inside(err, set, rert_volume_geometry(fixed),
                                        "the fixed image grid")) {
        rert_landmark_set_destroy(set);
        return false;
    }
    RertTransform *r = rert_transform_create_matrix(err, rigid);
    RertTransform *d =
        field != NULL ? rert_vector_field_transform(err, field) : NULL;
    bool ok = r != NULL && (field == NULL || d != NULL) &&
              (field == NULL || print_tre(err, set, d, "deformable")) &&
              print_tre(err, set, r, field != NULL ? "rigid start" : "rigid");
    rert_transform_destroy(d);
    rert_transform_destroy(r);
    rert_landmark_set_destroy(set);
    return ok;
}

static bool inverse_consistency_report(RertError *err,
                                       const Params *p,
                                       const Input in[2],
                                       const float *mask,
                                       RertMat4 rigid,
                                       const RertVectorField *field)
{
    RertDeformableOptions o = rert_deformable_options_default();
    o.levels = p->levels > 0 ? (unsigned)p->levels : o.levels;
    for (unsigned l = 0; p->iterations >= 0 && l < o.levels; l++) {
        o.iterations[l] = (unsigned)p->iterations;
    }
    o.min_spacing_mm =
        p->has_min_spacing ? p->min_spacing_mm : o.min_spacing_mm;
    RertFieldErrorStats s;
    double seconds = 0.0;
    if (!rert_deformable_inverse_consistency_compute(
            err, in[0].volume, in[1].volume, &o, field, rigid, mask, &s,
            &seconds)) {
        return false;
    }
    (void)printf("inverse consistency |x + u(x) + v(x + u(x)) - x|: mean "
                 "%.2f mm, 95th percentile %.2f mm, max %.2f mm over %zu "
                 "voxels (reverse run %.2f s; no published numeric "
                 "tolerance)\n",
                 s.mean_mm, s.p95_mm, s.max_mm, s.count, seconds);
    return true;
}

static bool write_reg(RertError *err,
                      const Params *p,
                      const Input in[2],
                      RertMat4 rigid,
                      const RertVectorField *field)
{
    if (field == NULL) {
        RertRegWriteOptions w = rert_reg_write_options_default();
        w.source = rert_image_series_header(in[0].series);
        w.reference = image_set(in[0].series);
        w.moving = image_set(in[1].series);
        w.reference_to_moving = rigid;
        return rert_reg_save(err, p->reg_out, &w, NULL);
    }
    RertDregWriteOptions d = rert_dreg_write_options_default();
    d.source = rert_image_series_header(in[0].series);
    d.reference = image_set(in[0].series);
    d.moving = image_set(in[1].series);
    d.grid = rert_vector_field_geometry(field);
    d.vectors = rert_vector_field_data_const(field);
    d.comment = "rert diffeomorphic demons; vectors include the rigid part";
    return rert_dreg_save(err, p->reg_out, &d, NULL);
}

static bool write_outputs(RertError *err,
                          const Params *p,
                          const Input in[2],
                          RertMat4 rigid,
                          const RertVectorField *field)
{
    if (p->field_out != NULL) {
        RertVectorField *f =
            field != NULL ? NULL
                          : rert_vector_field_from_matrix(
                                err, rert_volume_geometry(in[0].volume), rigid);
        bool ok = (field != NULL || f != NULL) &&
                  rert_vector_field_save(err, p->field_out,
                                         field != NULL ? field : f);
        rert_vector_field_destroy(f);
        if (!ok) {
            return false;
        }
        if (!cli_quiet) {
            (void)printf("wrote %s\n", p->field_out);
        }
    }
    if (p->reg_out != NULL) {
        if (!write_reg(err, p, in, rigid, field)) {
            return false;
        }
        if (!cli_quiet) {
            (void)printf("wrote %s\n", p->reg_out);
        }
    }
    return true;
}

int cmd_register(int argc, char **argv)
{
    Params p;
    int parsed = parse_args(&p, argc, argv);
    if (parsed != 0) {
        return parsed == 1 ? RERT_EXIT_OK : RERT_EXIT_USAGE;
    }
    RertError err;
    rert_error_clear(&err);
    Input in[2];
    memset(in, 0, sizeof in);
    float *mask = NULL;
    RertVectorField *field = NULL;
    RertMat4 rigid = rert_mat4_identity();
    int rc = RERT_EXIT_OK;
    if (!input_load(&err, p.fixed, &in[0]) ||
        !input_load(&err, p.moving, &in[1])) {
        rc = cli_fail(CMD, &err);
        goto out;
    }
    if (p.reg_out != NULL && (in[0].series == NULL || in[1].series == NULL)) {
        cli_error(CMD, "-o REG.dcm needs DICOM series for --fixed and "
                       "--moving (frames of reference)");
        rc = RERT_EXIT_USAGE;
        goto out;
    }
    if (p.mask_roi != NULL) {
        mask = load_mask(&err, &p, in[0].volume);
        if (mask == NULL) {
            rc = cli_fail(CMD, &err);
            goto out;
        }
    }
    if (!compute(&err, &p, in, mask, &rigid, &field) ||
        !write_outputs(&err, &p, in, rigid, field) ||
        (p.inverse_consistency &&
         !inverse_consistency_report(&err, &p, in, mask, rigid, field)) ||
        (p.landmarks != NULL &&
         !landmark_report(&err, &p, in[0].volume, rigid, field))) {
        rc = cli_fail(CMD, &err);
    }
out:
    rert_vector_field_destroy(field);
    rert_free(mask);
    input_clear(&in[0]);
    input_clear(&in[1]);
    return rc;
}
