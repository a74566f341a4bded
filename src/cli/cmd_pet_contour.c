/* rert pet-contour: a PET threshold contour (a fraction of SUVmax or an
 * absolute SUV) inside a bounding ROI, added as a new ROI to a copy of an
 * RT Structure Set (docs/pet.md). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/pet.h>
#include <rert/rt.h>

#include "cli.h"

#define CMD "pet-contour"
#define TAG_STUDY_INSTANCE_UID RERT_TAG(0x0020, 0x000D)

typedef struct Params {
    const char *pet_dir;
    const char *series_uid;
    const char *structures_path;
    const char *within;
    double fraction;
    double suv;
    bool has_fraction;
    bool has_suv;
    const char *name;
    const char *type;
    bool has_color;
    uint8_t color[3];
    const char *output_path;
} Params;

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert pet-contour --pet DIR --structures RS.dcm --within ROI\n"
        "       (--fraction-of-max F | --suv X) --name NAME -o OUT_RS.dcm\n\n"
        "Contour the PET at a fraction of the SUVmax inside ROI (or at an\n"
        "absolute SUVbw), restricted to ROI, and write a copy of RS.dcm with\n"
        "the contour as a new ROI (marching squares per PET slice).\n"
        "  --pet DIR|FILE         PET image series\n"
        "  --series UID           the series when the folder holds several\n"
        "  --structures FILE      RT Structure Set (same frame of reference)\n"
        "  --within NAME|NUMBER   bounding ROI\n"
        "  --fraction-of-max F    threshold F x SUVmax inside ROI, 0 < F <= 1\n"
        "  --suv X                absolute SUVbw threshold, X > 0\n"
        "  --name NAME            name of the new ROI\n"
        "  --type TYPE            RTROIInterpretedType (default GTV)\n"
        "  --color R,G,B          display colour (0-255 each)\n"
        "  -o, --output FILE      the new RT Structure Set (written "
        "atomically)\n"
        "  -h, --help             this text\n\n"
        "example:\n"
        "  rert pet-contour --pet PET/ --structures RS.dcm --within GTV_MR "
        "\\\n"
        "      --fraction-of-max 0.4 --name GTV_PET40 -o RS_pet.dcm\n"
        "Method: docs/pet.md. Review every contour before clinical use.\n");
}

static bool parse_number(
    const char *opt, const char *arg, double lo, double hi, double *out)
{
    if (!rert_parse_double(NULL, arg, strlen(arg), opt, out) ||
        !(*out > lo && *out <= hi)) {
        cli_error(CMD, "%s '%s': expected a number in (%g, %g]", opt, arg, lo,
                  hi);
        return false;
    }
    return true;
}

static bool parse_color(Params *p, const char *arg)
{
    const char *s = arg;
    for (int c = 0; c < 3; c++) {
        const char *end = strchr(s, ',');
        size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
        long v = 0;
        if ((c < 2) != (end != NULL) ||
            !rert_parse_long(NULL, s, n, 0, 255, "--color", &v)) {
            cli_error(CMD, "--color '%s': expected R,G,B with 0-255 each", arg);
            return false;
        }
        p->color[c] = (uint8_t)v;
        s = end != NULL ? end + 1 : s + n;
    }
    p->has_color = true;
    return true;
}

/* char *arg: the CliOptionFn signature */
// NOLINTNEXTLINE(readability-non-const-parameter)
static bool parse_option(void *ctx, int c, char *arg)
{
    Params *p = ctx;
    switch (c) {
    case 'p':
        p->pet_dir = arg;
        return true;
    case 'u':
        p->series_uid = arg;
        return true;
    case 's':
        p->structures_path = arg;
        return true;
    case 'w':
        p->within = arg;
        return true;
    case 'f':
        p->has_fraction = true;
        return parse_number("--fraction-of-max", arg, 0.0, 1.0, &p->fraction);
    case 'x':
        p->has_suv = true;
        return parse_number("--suv", arg, 0.0, 1e6, &p->suv);
    case 'n':
        p->name = arg;
        return true;
    case 't':
        p->type = arg;
        return true;
    case 'c':
        return parse_color(p, arg);
    case 'o':
        p->output_path = arg;
        return true;
    default:
        return false;
    }
}

/* 0 = parsed, 1 = --help shown, 2 = usage error. */
static int parse_args(Params *p, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pet", required_argument, NULL, 'p'},
        {"series", required_argument, NULL, 'u'},
        {"structures", required_argument, NULL, 's'},
        {"within", required_argument, NULL, 'w'},
        {"fraction-of-max", required_argument, NULL, 'f'},
        {"suv", required_argument, NULL, 'x'},
        {"name", required_argument, NULL, 'n'},
        {"type", required_argument, NULL, 't'},
        {"color", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(p, 0, sizeof *p);
    p->type = "GTV";
    int parsed =
        cli_parse_options(argc, argv, "ho:", longopts, parse_option, p, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed;
    }
    const char *problem = NULL;
    if (optind < argc) {
        problem = "unexpected arguments";
    } else if (p->pet_dir == NULL || p->structures_path == NULL ||
               p->within == NULL || p->name == NULL || p->output_path == NULL) {
        problem = "--pet, --structures, --within, --name and -o are required";
    } else if (p->has_fraction == p->has_suv) {
        problem = "give exactly one of --fraction-of-max and --suv";
    }
    if (problem != NULL) {
        cli_error(CMD, "%s", problem);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Everything the command holds, released by release(). */
typedef struct Work {
    RertPetImage *pet;
    RertStructureSet *ss;
    RertDataset *rs;
    RertPetContour *contour;
    const char **uids;
} Work;

static void release(Work *w)
{
    rert_free(w->uids);
    rert_pet_contour_destroy(w->contour);
    rert_dataset_destroy(w->rs);
    rert_structure_set_destroy(w->ss);
    rert_pet_image_destroy(w->pet);
}

static int load(const Params *p, Work *w)
{
    RertError err;
    w->pet = rert_pet_image_load(&err, p->pet_dir, p->series_uid, NULL);
    if (w->pet == NULL) {
        return cli_fail(CMD, &err);
    }
    w->rs = rert_dicom_load(&err, p->structures_path, NULL, NULL);
    w->ss = w->rs != NULL ? rert_structure_set_from_dataset(&err, w->rs, NULL)
                          : NULL;
    if (w->ss == NULL) {
        rert_error_prefix(&err, "%s", p->structures_path);
        return cli_fail(CMD, &err);
    }
    const char *a = rert_image_series_meta(rert_pet_image_series(w->pet))
                        ->frame_of_reference_uid;
    const char *b = rert_structure_set_meta(w->ss)->frame_of_reference_uid;
    if (a[0] == '\0' || strcmp(a, b) != 0) {
        cli_error(CMD,
                  "the PET has FrameOfReferenceUID '%s' but %s has '%s': the "
                  "contour would be in another frame (register first)",
                  a, p->structures_path, b);
        return RERT_EXIT_INPUT;
    }
    return RERT_EXIT_OK;
}

static int contour(const Params *p, Work *w)
{
    const RertRoi *roi = cli_find_roi(w->ss, p->within);
    size_t n = 0;
    const RertPolygon *polys = roi != NULL ? rert_roi_polygons(roi, &n) : NULL;
    if (roi == NULL || n == 0) {
        cli_error(CMD, "--within '%s': %s in %s", p->within,
                  roi == NULL ? "no such ROI" : "no closed planar contours",
                  p->structures_path);
        return roi == NULL ? RERT_EXIT_USAGE : RERT_EXIT_INPUT;
    }
    RertPetContourOptions o = rert_pet_contour_options_default();
    o.fraction_of_max = p->has_fraction ? p->fraction : 0.0;
    o.suv_threshold = p->suv;
    RertError err;
    w->contour = rert_pet_contour_compute(&err, rert_pet_image_suv(w->pet),
                                          polys, n, &o);
    if (w->contour == NULL) {
        rert_error_prefix(&err, "ROI '%s'", p->within);
        return cli_fail(CMD, &err);
    }
    if (rert_pet_contour_voxel_count(w->contour) == 0) {
        cli_error(CMD,
                  "no PET voxel inside '%s' reaches SUV %.4g (SUVmax there "
                  "%.4g): no contour written",
                  p->within, rert_pet_contour_threshold(w->contour),
                  rert_pet_contour_bound_max(w->contour));
        return RERT_EXIT_INPUT;
    }
    return RERT_EXIT_OK;
}

static int save(const Params *p, Work *w)
{
    const RertImageSeries *series = rert_pet_image_series(w->pet);
    size_t nz = rert_image_series_slice_count(series);
    RertError err;
    w->uids = rert_calloc(&err, nz, sizeof *w->uids);
    if (w->uids == NULL) {
        return cli_fail(CMD, &err);
    }
    for (size_t k = 0; k < nz; k++) {
        w->uids[k] = rert_image_series_slice_uid(series, k);
    }
    char study[RERT_UID_SIZE];
    const RertRtMeta *meta = rert_image_series_meta(series);
    (void)snprintf(study, sizeof study, "%s", meta->study_instance_uid);
    RertStructureSetImageRef img = {
        study,
        meta->series_instance_uid,
        meta->sop_class_uid,
        w->uids,
        nz,
        rert_volume_geometry(rert_pet_image_suv(w->pet))};
    RertRoiWriteSpec roi;
    memset(&roi, 0, sizeof roi);
    roi.name = p->name;
    roi.interpreted_type = p->type;
    roi.generation_algorithm = "SEMIAUTOMATIC";
    roi.has_color = p->has_color;
    memcpy(roi.color, p->color, sizeof roi.color);
    roi.polygons = rert_pet_contour_polygons(w->contour, &roi.polygon_count);
    RertStructureSetWriteOptions o = rert_structure_set_write_options_default();
    o.existing = w->rs;
    o.images = &img;
    RertStructureSetWriteReport rep;
    if (!rert_structure_set_save(&err, p->output_path, &roi, 1, &o, &rep)) {
        return cli_fail(CMD, &err);
    }
    RertPetRoiStats st;
    bool has_stats =
        rert_pet_roi_stats_compute(NULL, rert_pet_image_suv(w->pet),
                                   roi.polygons, roi.polygon_count, NULL, &st);
    if (!cli_quiet) {
        (void)printf("%s: ROI %ld '%s', %zu contours, threshold SUV %.4g "
                     "(SUVmax in '%s' %.4g), volume %.4g cc\n",
                     p->output_path, rep.first_number, p->name,
                     rep.contour_count, rert_pet_contour_threshold(w->contour),
                     p->within, rert_pet_contour_bound_max(w->contour),
                     has_stats ? st.volume_cc : (double)NAN);
    }
    return RERT_EXIT_OK;
}

int cmd_pet_contour(int argc, char **argv)
{
    Params p;
    int parsed = parse_args(&p, argc, argv);
    if (parsed != 0) {
        return parsed == 1 ? RERT_EXIT_OK : RERT_EXIT_USAGE;
    }
    Work w;
    memset(&w, 0, sizeof w);
    int rc = load(&p, &w);
    rc = rc == RERT_EXIT_OK ? contour(&p, &w) : rc;
    rc = rc == RERT_EXIT_OK ? save(&p, &w) : rc;
    release(&w);
    return rc;
}
