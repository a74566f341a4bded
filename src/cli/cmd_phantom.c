/* rert phantom: write the synthetic two-course head-and-neck
 * reirradiation case (docs/phantom.md) as DICOM files. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rert/phantom.h>
#include <rert/rert.h>

#include "cli.h"

typedef struct Params {
    const char *out_dir;
    bool force;
    double deform_mm;
} Params;

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert phantom -o DIR [--deform MM] [--force] [--quiet]\n\n"
        "Writes a synthetic head-and-neck reirradiation case as DICOM "
        "files: two\ncourses of patient %s (70 Gy / 35 fx in 2023, "
        "60 Gy / 30 fx in 2025),\neach with a CT series, RTSTRUCT, RTPLAN "
        "and RTDOSE in its own frame of\nreference, course 2 moved by a "
        "known rigid transform. DIR/truth.json\nholds the ground truth "
        "(transform, UIDs, cord maximum doses).\n\n"
        "  -o, --output DIR  folder to create (its parent must exist)\n"
        "  -d, --deform MM   course 2 also deformed: the neck shrinks by up "
        "to MM\n"
        "                    (0..10; default 0, rigid only)\n"
        "  -f, --force       write into a folder that is not empty "
        "(replaces\n"
        "                    course1/, course2/ and truth.json there)\n"
        "  -q, --quiet       no summary, no progress\n\n"
        "examples:\n"
        "  rert phantom -o demo && rert info demo/course1\n"
        "  rert phantom -o demo-deformed --deform 5\n",
        RERT_PHANTOM_DEFAULT_PATIENT_ID);
}

/* --deform MM: a number in 0..10. */
static bool parse_deform(const char *arg, double *out)
{
    RertError err;
    rert_error_clear(&err);
    if (!rert_parse_double(&err, arg, strlen(arg), "--deform", out)) {
        cli_error("phantom", "%s", err.message);
        return false;
    }
    if (!(*out >= 0.0 && *out <= 10.0)) {
        cli_error("phantom", "--deform is %s mm, expected 0..10", arg);
        return false;
    }
    return true;
}

/* One option of rert phantom (CliOptionFn). */
/* char *arg: the CliOptionFn signature */
// NOLINTNEXTLINE(readability-non-const-parameter)
static bool apply_option(void *ctx, int c, char *arg)
{
    Params *p = ctx;
    switch (c) {
    case 'o':
        p->out_dir = arg;
        return true;
    case 'd':
        return parse_deform(arg, &p->deform_mm);
    case 'f':
        p->force = true;
        return true;
    case 'q':
        cli_quiet = true;
        return true;
    default:
        return false;
    }
}

static int parse_args(int argc, char **argv, Params *p)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"deform", required_argument, NULL, 'd'},
        {"force", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int parsed = cli_parse_options(argc, argv, "o:d:fqh", options, apply_option,
                                   p, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed == CLI_OPTIONS_HELP ? -1 : RERT_EXIT_USAGE;
    }
    if (optind < argc) {
        cli_error("phantom", "unexpected argument '%s'", argv[optind]);
        return RERT_EXIT_USAGE;
    }
    if (p->out_dir == NULL) {
        cli_error("phantom", "-o DIR is required");
        return RERT_EXIT_USAGE;
    }
    return RERT_EXIT_OK;
}

static void progress(size_t done, size_t total, void *user)
{
    (void)user;
    (void)fprintf(stderr, "\rrert: phantom: %zu/%zu files", done, total);
    if (done == total) {
        (void)fputc('\n', stderr);
    }
}

static void print_summary(const char *dir,
                          const RertPhantomOptions *o,
                          const RertPhantomTruth *t)
{
    (void)printf("wrote %s: %zu files, %.1f MB\n", dir, t->file_count,
                 (double)t->total_bytes / 1e6);
    for (unsigned c = 0; c < RERT_PHANTOM_COURSES; c++) {
        const RertPhantomCourseTruth *ct = &t->courses[c];
        (void)printf("  course%u/: ct/ (%zu slices), RS.dcm, RP.dcm, RD.dcm"
                     " - %.4g Gy in %ld fx from %s, cord max %.2f Gy\n",
                     c + 1, o->ct_dims[2], ct->prescription_gy, ct->fractions,
                     o->courses[c].start_date, ct->cord_max_gy);
    }
    (void)printf("  truth.json: course 2 -> course 1 translation "
                 "(%.2f, %.2f, %.2f) mm, rotation (%.2f, %.2f, %.2f) deg "
                 "about x, y, z\n",
                 t->translation_mm[0], t->translation_mm[1],
                 t->translation_mm[2], t->rotation_deg[0], t->rotation_deg[1],
                 t->rotation_deg[2]);
    if (t->deformation_mm > 0.0) {
        (void)printf("  deformation: the neck shrinks by up to %.2f mm "
                     "(docs/phantom.md)\n",
                     t->deformation_mm);
    }
}

int cmd_phantom(int argc, char **argv)
{
    Params p;
    memset(&p, 0, sizeof p);
    int rc = parse_args(argc, argv, &p);
    if (rc < 0) {
        return RERT_EXIT_OK;
    }
    if (rc != RERT_EXIT_OK) {
        usage(stderr);
        return rc;
    }
    RertPhantomOptions o = rert_phantom_options_default();
    o.overwrite = p.force;
    o.deformation_mm = p.deform_mm;
    if (!cli_quiet && isatty(STDERR_FILENO)) {
        o.progress = progress;
    }
    RertError err;
    rert_error_clear(&err);
    RertPhantomTruth truth;
    if (!rert_phantom_write_case(&err, p.out_dir, &o, &truth)) {
        int code = cli_fail("phantom", &err);
        if (!p.force && strstr(err.message, "not empty") != NULL) {
            cli_error("phantom",
                      "use --force to replace course1/, course2/ "
                      "and truth.json in %s",
                      p.out_dir);
        }
        return code;
    }
    if (!cli_quiet) {
        print_summary(p.out_dir, &o, &truth);
    }
    return RERT_EXIT_OK;
}
