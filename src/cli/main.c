/* rert: command table, global options, diagnostics. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rert/rert.h>

#include "cli.h"

bool cli_quiet;

typedef struct Command {
    const char *name;
    const char *summary;
    int (*fn)(int argc, char **argv);
} Command;

static const Command commands[] = {
    {"assess", "the whole reirradiation assessment of a case file", cmd_assess},
    {"demo", "write the built-in two-course case and assess it", cmd_demo},
    {"dvh", "DVH and metrics of structures on a dose (CSV or JSON)", cmd_dvh},
    {"eqd2", "convert an RTDOSE to EQD2 or BED (LQ or LQ-L)", cmd_eqd2},
    {"info", "describe DICOM RT objects in files or folders", cmd_info},
    {"pet-contour",
     "PET threshold contour inside an ROI, as a new RTSTRUCT ROI",
     cmd_pet_contour},
    {"phantom", "write a synthetic two-course reirradiation case (DICOM)",
     cmd_phantom},
    {"register", "rigid or deformable registration of two CT series",
     cmd_register},
    {"suv", "SUVbw/SUL factors of a PET series and SUV statistics of an ROI",
     cmd_suv},
};

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)fprintf(stderr, "rert: %s: ", cmd);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_code(const RertError *err)
{
    switch (err->code) {
    case RERT_OK:
        return RERT_EXIT_OK;
    case RERT_ERR_IO:
        return RERT_EXIT_IO;
    case RERT_ERR_PARSE:
    case RERT_ERR_UNSUPPORTED:
    case RERT_ERR_GEOMETRY:
    case RERT_ERR_LIMIT:
        return RERT_EXIT_INPUT;
    case RERT_ERR_INVALID_ARG:
        return RERT_EXIT_USAGE;
    case RERT_ERR_NOMEM:
    case RERT_ERR_INTERNAL:
        return RERT_EXIT_INTERNAL;
    }
    return RERT_EXIT_INTERNAL;
}

int cli_fail(const char *cmd, const RertError *err)
{
    cli_error(cmd, "%s (%s)", err->message, rert_error_code_name(err->code));
    return cli_exit_code(err);
}

static void usage(FILE *out)
{
    (void)fprintf(out, "usage: rert [--version] [-q] <command> [options]\n\n"
                       "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        (void)fprintf(out, "  %-8s %s\n", commands[i].name,
                      commands[i].summary);
    }
    (void)fprintf(out, "\n'rert <command> --help' shows each command's "
                       "options and an example.\n"
                       "Exit codes: docs/exit-codes.md\n");
}

static void version(void)
{
    (void)printf("rert %s\nfeatures: openmp=%s (threads %d)\n", rert_version(),
                 rert_has_openmp() ? "on" : "off", rert_thread_count());
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            version();
            return RERT_EXIT_OK;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return RERT_EXIT_OK;
        }
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            cli_quiet = true;
            continue;
        }
        (void)fprintf(stderr, "rert: unknown option '%s'\n", argv[i]);
        usage(stderr);
        return RERT_EXIT_USAGE;
    }
    if (i >= argc) {
        usage(stderr);
        return RERT_EXIT_USAGE;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(argv[i], commands[k].name) == 0) {
            return commands[k].fn(argc - i, argv + i);
        }
    }
    (void)fprintf(stderr, "rert: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return RERT_EXIT_USAGE;
}
