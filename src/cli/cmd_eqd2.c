/* rert eqd2: one RTDOSE -> EQD2 / EQDx / BED RTDOSE (LQ or LQ-L), with one
 * alpha/beta or per-ROI values from an RTSTRUCT. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <rert/rert.h>

#include "cli.h"

#define MAX_ASSIGNMENTS 64

typedef struct Params {
    const char *dose_path;
    const char *plan_path;
    const char *structures_path;
    const char *out_path;
    long fractions;
    long fraction_group;
    double single_ab;
    double default_ab;
    double relative_gy;
    RertAbAssignment assignments[MAX_ASSIGNMENTS];
    size_t assignment_count;
    RertBiodoseOptions bio;
} Params;

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert eqd2 --dose RD.dcm (--fractions N | --plan RP.dcm "
        "[--fraction-group K])\n"
        "                 (--ab X | --structures RS.dcm --ab ROI=X ... "
        "--ab-default X)\n"
        "                 [--model lq|lql --transition-dose D] [--bed | "
        "--eqdx X]\n"
        "                 [--overlap lowest|priority] [--relative-gy D] "
        "-o OUT.dcm [-q]\n\n"
        "Converts the physical (or RBE-weighted) dose of one course to EQD2 "
        "(default),\nEQDx or BED voxel by voxel with the course's own "
        "fraction count, and writes an\nRTDOSE on the same grid (DoseType "
        "EFFECTIVE, DoseComment stating the model).\n\n"
        "  --ab X            one alpha/beta (Gy) for every voxel\n"
        "  --ab ROI=X        alpha/beta for a ROI (name or number); "
        "repeatable\n"
        "  --ab-default X    alpha/beta outside the listed ROIs (required "
        "with ROI=X)\n"
        "  --overlap RULE    ROIs overlapping: lowest alpha/beta wins "
        "(default) or\n"
        "                    priority = first listed wins\n"
        "  --model lql       LQ-L (Astrahan 2008) above --transition-dose D "
        "Gy/fraction\n"
        "  --relative-gy D   dose in Gy of 1.0 for DoseUnits RELATIVE\n"
        "  -o, --output FILE the EQD2/BED RTDOSE (written atomically)\n"
        "  -q, --quiet       no summary on stderr\n\n"
        "example:\n"
        "  rert eqd2 --dose RD.dcm --plan RP.dcm --structures RS.dcm \\\n"
        "            --ab SpinalCord=2 --ab PTV=10 --ab-default 3 -o "
        "RD_eqd2.dcm\n");
}

static bool parse_number(const char *text, const char *what, double *out)
{
    RertError err;
    if (!rert_parse_double(&err, text, strlen(text), what, out) ||
        !(*out > 0.0)) {
        cli_error("eqd2", "%s must be a positive number, got '%s'", what, text);
        return false;
    }
    return true;
}

static bool add_ab(Params *p, char *text)
{
    char *eq = strrchr(text, '=');
    if (eq == NULL) {
        return parse_number(text, "--ab", &p->single_ab);
    }
    if (p->assignment_count == MAX_ASSIGNMENTS) {
        cli_error("eqd2", "at most %d --ab ROI=X assignments", MAX_ASSIGNMENTS);
        return false;
    }
    *eq = '\0';
    RertAbAssignment *a = &p->assignments[p->assignment_count];
    a->roi = text;
    if (text[0] == '\0' ||
        !parse_number(eq + 1, "--ab ROI=X value", &a->ab_gy)) {
        return false;
    }
    p->assignment_count++;
    return true;
}

static bool
parse_long_option(const char *text, const char *what, long min, long *out)
{
    RertError err;
    if (!rert_parse_long(&err, text, strlen(text), min, 100000, what, out)) {
        cli_error("eqd2", "%s", err.message);
        return false;
    }
    return true;
}

static bool parse_model(Params *p, const char *text)
{
    if (strcmp(text, "lq") == 0) {
        p->bio.model.kind = RERT_LQ_MODEL_LQ;
    } else if (strcmp(text, "lql") == 0) {
        p->bio.model.kind = RERT_LQ_MODEL_LQL;
    } else {
        cli_error("eqd2", "--model must be lq or lql, got '%s'", text);
        return false;
    }
    return true;
}

static bool parse_overlap(Params *p, const char *text)
{
    if (strcmp(text, "lowest") == 0) {
        p->bio.overlap_rule = RERT_AB_OVERLAP_LOWEST;
    } else if (strcmp(text, "priority") == 0) {
        p->bio.overlap_rule = RERT_AB_OVERLAP_PRIORITY;
    } else {
        cli_error("eqd2", "--overlap must be lowest or priority, got '%s'",
                  text);
        return false;
    }
    return true;
}

/* One option of rert eqd2 (CliOptionFn). */
static bool apply_option(void *ctx, int c, char *arg)
{
    Params *p = ctx;
    bool ok = true;
    switch (c) {
    case 'd':
        p->dose_path = arg;
        break;
    case 'n':
        ok = parse_long_option(arg, "--fractions", 1, &p->fractions);
        break;
    case 'p':
        p->plan_path = arg;
        break;
    case 'g':
        ok = parse_long_option(arg, "--fraction-group", 1, &p->fraction_group);
        break;
    case 's':
        p->structures_path = arg;
        break;
    case 'a':
        ok = add_ab(p, arg);
        break;
    case 'D':
        ok = parse_number(arg, "--ab-default", &p->default_ab);
        break;
    case 'm':
        ok = parse_model(p, arg);
        break;
    case 't':
        ok = parse_number(arg, "--transition-dose",
                          &p->bio.model.transition_dose_gy);
        break;
    case 'b':
        p->bio.quantity = RERT_BIO_BED;
        break;
    case 'x':
        ok = parse_number(arg, "--eqdx", &p->bio.x_gy);
        break;
    case 'O':
        ok = parse_overlap(p, arg);
        break;
    case 'r':
        ok = parse_number(arg, "--relative-gy", &p->relative_gy);
        break;
    case 'o':
        p->out_path = arg;
        break;
    case 'q':
        cli_quiet = true;
        break;
    default:
        ok = false;
        break;
    }
    return ok;
}

static int parse_args(int argc, char **argv, Params *p)
{
    static const struct option options[] = {
        {"dose", required_argument, NULL, 'd'},
        {"fractions", required_argument, NULL, 'n'},
        {"plan", required_argument, NULL, 'p'},
        {"fraction-group", required_argument, NULL, 'g'},
        {"structures", required_argument, NULL, 's'},
        {"ab", required_argument, NULL, 'a'},
        {"ab-default", required_argument, NULL, 'D'},
        {"model", required_argument, NULL, 'm'},
        {"transition-dose", required_argument, NULL, 't'},
        {"bed", no_argument, NULL, 'b'},
        {"eqdx", required_argument, NULL, 'x'},
        {"overlap", required_argument, NULL, 'O'},
        {"relative-gy", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int parsed =
        cli_parse_options(argc, argv, "o:qh", options, apply_option, p, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed == CLI_OPTIONS_HELP ? -1 : RERT_EXIT_USAGE;
    }
    if (optind < argc) {
        cli_error("eqd2", "unexpected argument '%s'", argv[optind]);
        return RERT_EXIT_USAGE;
    }
    return RERT_EXIT_OK;
}

static int check_args(const Params *p)
{
    const char *problem = NULL;
    if (p->dose_path == NULL) {
        problem = "--dose is required";
    } else if (p->out_path == NULL) {
        problem = "-o OUT.dcm is required";
    } else if ((p->fractions > 0) == (p->plan_path != NULL)) {
        problem = "give exactly one of --fractions N or --plan RP.dcm";
    } else if (p->fraction_group > 0 && p->plan_path == NULL) {
        problem = "--fraction-group needs --plan";
    } else if (p->assignment_count == 0 && !(p->single_ab > 0.0)) {
        problem = "alpha/beta is required: --ab X, or --structures with "
                  "--ab ROI=X and --ab-default X";
    } else if (p->assignment_count > 0 && p->single_ab > 0.0) {
        problem = "--ab X and --ab ROI=X cannot be mixed: use --ab-default "
                  "for voxels outside the listed ROIs";
    } else if (p->assignment_count > 0 && p->structures_path == NULL) {
        problem = "--ab ROI=X needs --structures RS.dcm";
    } else if (p->assignment_count > 0 && !(p->default_ab > 0.0)) {
        problem = "--ab ROI=X needs --ab-default X (never guessed)";
    } else if (p->bio.model.kind == RERT_LQ_MODEL_LQL &&
               !(p->bio.model.transition_dose_gy > 0.0)) {
        problem = "--model lql needs --transition-dose D (no published "
                  "default exists)";
    }
    if (problem != NULL) {
        cli_error("eqd2", "%s", problem);
        return RERT_EXIT_USAGE;
    }
    return RERT_EXIT_OK;
}

static bool
plan_fractions(RertError *err, Params *p, char *plan_uid, size_t uid_size)
{
    RertPlan *plan = rert_plan_load(err, p->plan_path, NULL);
    if (plan == NULL) {
        return false;
    }
    bool ok = rert_plan_fractions(err, plan, p->fraction_group, &p->fractions);
    if (ok && p->fractions < 1) {
        ok = rert_error_set(err, RERT_ERR_PARSE,
                            "%s: fraction group has %ld planned fractions",
                            p->plan_path, p->fractions);
    }
    (void)snprintf(plan_uid, uid_size, "%s",
                   rert_plan_meta(plan)->sop_instance_uid);
    rert_plan_destroy(plan);
    return ok;
}

static void print_summary(const Params *p,
                          const RertDose *dose,
                          const RertVolume *result,
                          const RertBiodoseReport *report)
{
    float in_min;
    float in_max;
    float out_min;
    float out_max;
    rert_volume_minmax(rert_dose_volume(dose), &in_min, &in_max);
    rert_volume_minmax(result, &out_min, &out_max);
    (void)printf("wrote %s\n  %s\n  input DoseType %s, max %.4f Gy -> "
                 "max %.4f\n",
                 p->out_path, report->comment,
                 rert_dose_type_name(rert_dose_type(dose)), (double)in_max,
                 (double)out_max);
    for (size_t i = 0; i < report->roi_count; i++) {
        const RertBiodoseRoiReport *r = &report->rois[i];
        (void)printf("  ROI %ld '%s': alpha/beta %g Gy, %.2f cc, decides "
                     "%zu voxels\n",
                     r->roi_number, r->roi_name, r->ab_gy, r->volume_cc,
                     r->deciding_voxels);
    }
    if (report->roi_count > 0) {
        (void)printf("  default alpha/beta %g Gy: %zu voxels; overlaps: %zu "
                     "voxels (rule: %s)\n",
                     p->default_ab, report->ab_stats.default_count,
                     report->ab_stats.overlap_count,
                     p->bio.overlap_rule == RERT_AB_OVERLAP_LOWEST
                         ? "lowest alpha/beta wins"
                         : "first listed wins");
    }
    if (report->stats.negative_dose_count > 0) {
        (void)printf("  warning: %zu negative dose voxels (lowest %g Gy) "
                     "treated as 0\n",
                     report->stats.negative_dose_count,
                     report->stats.most_negative_dose_gy);
    }
}

static int run(Params *p)
{
    RertError err;
    rert_error_clear(&err);
    char plan_uid[RERT_UID_SIZE] = "";
    RertDose *dose = NULL;
    RertStructureSet *ss = NULL;
    RertVolume *result = NULL;
    RertBiodoseReport report;
    memset(&report, 0, sizeof report);
    int rc = RERT_EXIT_OK;
    RertDoseLoadOptions load = rert_dose_load_options_default();
    load.relative_normalisation_gy = p->relative_gy;
    if ((p->plan_path != NULL &&
         !plan_fractions(&err, p, plan_uid, sizeof plan_uid)) ||
        (dose = rert_dose_load(&err, p->dose_path, &load)) == NULL) {
        goto fail;
    }
    if (rert_dose_type(dose) == RERT_DOSE_TYPE_ERROR) {
        rert_error_set(&err, RERT_ERR_INVALID_ARG,
                       "%s: DoseType ERROR (a dose difference) cannot be "
                       "converted to EQD2",
                       p->dose_path);
        goto fail;
    }
    if (p->structures_path != NULL &&
        (ss = rert_structure_set_load(&err, p->structures_path, NULL)) ==
            NULL) {
        goto fail;
    }
    p->bio.n_fractions = (unsigned)p->fractions;
    p->bio.ab_gy = p->single_ab;
    p->bio.default_ab_gy = p->default_ab;
    p->bio.assignments = p->assignments;
    p->bio.assignment_count = p->assignment_count;
    result = rert_biodose_compute(&err, rert_dose_volume(dose), ss, &p->bio,
                                  &report);
    if (result == NULL) {
        goto fail;
    }
    RertDoseWriteOptions w = rert_dose_write_options_default();
    w.source = rert_dose_header(dose);
    w.dose_type = RERT_DOSE_TYPE_EFFECTIVE;
    w.summation_type = rert_dose_summation_type(dose)[0] != '\0'
                           ? rert_dose_summation_type(dose)
                           : "PLAN";
    w.comment = report.comment;
    w.series_description = report.comment;
    const char *refs[1] = {plan_uid};
    if (plan_uid[0] != '\0') {
        w.referenced_plan_uids = refs;
        w.referenced_plan_count = 1;
    }
    if (!rert_dose_save(&err, result, p->out_path, &w, NULL)) {
        goto fail;
    }
    if (!cli_quiet) {
        print_summary(p, dose, result, &report);
    }
    goto out;
fail:
    rc = cli_fail("eqd2", &err);
out:
    rert_biodose_report_clear(&report);
    rert_volume_destroy(result);
    rert_structure_set_destroy(ss);
    rert_dose_destroy(dose);
    return rc;
}

int cmd_eqd2(int argc, char **argv)
{
    Params p;
    memset(&p, 0, sizeof p);
    p.bio = rert_biodose_options_default();
    int rc = parse_args(argc, argv, &p);
    if (rc < 0) {
        return RERT_EXIT_OK;
    }
    if (rc != RERT_EXIT_OK || (rc = check_args(&p)) != RERT_EXIT_OK) {
        usage(stderr);
        return rc;
    }
    return run(&p);
}
