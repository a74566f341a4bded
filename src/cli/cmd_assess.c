/* rert assess: the whole reirradiation assessment of a case file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <rert/rert.h>

#include "cli.h"

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert assess CASE.yaml -o DIR [--data DIR] [-q]\n\n"
        "Reads every course of the case file (docs/case-file.md), converts "
        "each to\nEQD2 voxel by voxel with its own fractions, maps it onto "
        "the planned course's\nanatomy, applies the stated recovery, sums, "
        "checks cumulative constraints,\ncomputes the remaining budget for "
        "the planned fractionation and the\nESTRO-EORTC category, and "
        "writes report.html, report.json, dvh.csv,\ncumulative_eqd2.dcm "
        "and budget_<n>fx.dcm into DIR (nothing on failure).\n\n"
        "  -o, --output DIR  report folder (created; files in it replaced)\n"
        "  --data DIR        constraint library folder (default: "
        "$RERT_DATA_DIR or\n"
        "                    the built-in data/)\n"
        "  -q, --quiet       no progress, no summary\n\n"
        "Exit status 1 when a constraint fails (docs/exit-codes.md).\n\n"
        "example:\n  rert assess patient/case.yaml -o patient/report\n");
}

/* A case that contradicts itself or its DICOM (INVALID_ARG from the
 * library) is invalid input (4), not a usage error. */
static int assess_fail(const RertError *err)
{
    int rc = cli_fail("assess", err);
    return err->code == RERT_ERR_INVALID_ARG ? RERT_EXIT_INPUT : rc;
}

static void join_args(int argc, char **argv, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < argc; i++) {
        int n = snprintf(out + used, size - used, "%s%s", i > 0 ? " " : "",
                         argv[i]);
        if (n < 0 || (size_t)n >= size - used) {
            break;
        }
        used += (size_t)n;
    }
}

int cli_assess_case(const char *case_path,
                    const char *out_dir,
                    const char *data_dir,
                    const char *command_line);

int cli_assess_case(const char *case_path,
                    const char *out_dir,
                    const char *data_dir,
                    const char *command_line)
{
    RertError err;
    rert_error_clear(&err);
    RertCase *c = rert_case_load(&err, case_path, NULL);
    if (c == NULL) {
        return assess_fail(&err);
    }
    RertAssessOptions o = rert_assess_options_default();
    o.data_dir = cli_data_dir(data_dir);
    o.command_line = command_line;
    if (cli_progress_enabled()) {
        o.progress = cli_progress;
    }
    RertAssessment *a = rert_assess_run(&err, c, &o);
    int rc = RERT_EXIT_OK;
    if (a == NULL || !rert_assess_write(&err, a, out_dir)) {
        rc = assess_fail(&err);
    } else {
        if (!cli_quiet) {
            (void)printf("%s\nreport: %s/report.html\n", rert_assess_summary(a),
                         out_dir);
        }
        rc = rert_assess_fail_count(a) > 0 ? RERT_EXIT_VIOLATION : RERT_EXIT_OK;
    }
    rert_assess_destroy(a);
    rert_case_destroy(c);
    return rc;
}

int cmd_assess(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    CliOutputData o = {NULL, NULL};
    int parsed = cli_parse_options(argc, argv, "o:qh", options,
                                   cli_apply_output_data, &o, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed == CLI_OPTIONS_HELP ? RERT_EXIT_OK : RERT_EXIT_USAGE;
    }
    const char *out = o.output;
    const char *data = o.data;
    if (out == NULL || optind != argc - 1) {
        cli_error("assess", "give one case file and -o DIR");
        usage(stderr);
        return RERT_EXIT_USAGE;
    }
    char line[2048];
    join_args(argc, argv, line, sizeof line);
    return cli_assess_case(argv[optind], out, data, line);
}
