/* rert demo: write the built-in two-course case as DICOM files with its
 * case file, then assess it (the README's first command). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <rert/rert.h>

#include "cli.h"

/* Peak soft-tissue deformation of the demonstration case (mm). */
#define RERT_DEMO_DEFORMATION_MM 5.0

int cli_assess_case(const char *case_path,
                    const char *out_dir,
                    const char *data_dir,
                    const char *command_line);

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert demo [-o DIR] [--data DIR] [-q]\n\n"
        "Writes the built-in synthetic head-and-neck reirradiation case "
        "(docs/phantom.md)\nas real DICOM files into DIR/case (70 Gy/35 fx "
        "in 2023, 60 Gy/30 fx planned in\n2025, different frames of "
        "reference, the neck shrunk by up to 5 mm), its case file "
        "DIR/case/case.yaml, and\nassesses it "
        "into DIR/report (report.html, report.json, dvh.csv, RTDOSEs).\n\n"
        "  -o, --output DIR  default: rert-demo\n"
        "  --data DIR        constraint library folder\n"
        "  -q, --quiet       no progress, no summary\n\n"
        "Exit status 0 when the demonstration completed, whatever the "
        "constraint\nresults (`rert assess` exits 1 when a limit fails).\n\n"
        "example:\n  rert demo -o demo && xdg-open demo/report/report.html\n");
}

static int run(const char *dir, const char *data)
{
    RertError err;
    rert_error_clear(&err);
    char case_dir[4096];
    char case_file[4096];
    char report[4096];
    int n1 = snprintf(case_dir, sizeof case_dir, "%s/case", dir);
    int n2 = snprintf(case_file, sizeof case_file, "%s/case/case.yaml", dir);
    int n3 = snprintf(report, sizeof report, "%s/report", dir);
    if (n1 < 0 || n2 < 0 || n3 < 0 || (size_t)n2 >= sizeof case_file ||
        (size_t)n3 >= sizeof report) {
        cli_error("demo", "output folder name too long");
        return RERT_EXIT_USAGE;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        cli_error("demo", "%s: cannot create: %s", dir, strerror(errno));
        return RERT_EXIT_IO;
    }
    RertPhantomOptions o = rert_phantom_options_default();
    o.overwrite = true;
    /* The demonstration shows a deformable mapping: course 2's neck has
     * shrunk (weight loss) by up to this much (docs/phantom.md). */
    o.deformation_mm = RERT_DEMO_DEFORMATION_MM;
    RertPhantomTruth truth;
    if (!rert_phantom_write_case(&err, case_dir, &o, &truth) ||
        !rert_phantom_write_case_file(&err, case_file, &o)) {
        return cli_fail("demo", &err);
    }
    if (!cli_quiet) {
        (void)printf("wrote %s: %zu DICOM files; case file %s\n", case_dir,
                     truth.file_count, case_file);
    }
    char line[256];
    (void)snprintf(line, sizeof line, "rert demo -o %s", dir);
    int rc = cli_assess_case(case_file, report, data, line);
    /* A completed demo is a success whatever its constraint results
     * (docs/exit-codes.md). */
    return rc == RERT_EXIT_VIOLATION ? RERT_EXIT_OK : rc;
}

int cmd_demo(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    CliOutputData o = {"rert-demo", NULL};
    int parsed = cli_parse_options(argc, argv, "o:qh", options,
                                   cli_apply_output_data, &o, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed == CLI_OPTIONS_HELP ? RERT_EXIT_OK : RERT_EXIT_USAGE;
    }
    if (optind != argc) {
        usage(stderr);
        return RERT_EXIT_USAGE;
    }
    return run(o.output, o.data);
}
