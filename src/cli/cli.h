/* Shared declarations of the rert command-line program. */
#ifndef RERT_CLI_H
#define RERT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <rert/error.h>
#include <rert/rt.h>

/* Exit codes: docs/exit-codes.md. */
enum {
    RERT_EXIT_OK = 0,
    RERT_EXIT_VIOLATION = 1,
    RERT_EXIT_USAGE = 2,
    RERT_EXIT_IO = 3,
    RERT_EXIT_INPUT = 4,
    RERT_EXIT_INTERNAL = 5,
};

/* Set by main from -q/--quiet before the command runs. */
extern bool cli_quiet;

/* Print "rert: <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print the library error and map its code to an exit code. */
int cli_fail(const char *cmd, const RertError *err);
/* Exit code for a library error code. */
int cli_exit_code(const RertError *err);

/* True when progress goes to stderr (a terminal, not --quiet). */
bool cli_progress_enabled(void);
/* A RertProgressFn printing "stage NN%" on stderr. */
void cli_progress(const char *stage, double fraction, void *user);
/* The data folder: @p given, $RERT_DATA_DIR, the source tree's data/ or the
 * installed one. */
const char *cli_data_dir(const char *given);
/* The ROI a --roi style @p key names: the ROI with that number when @p key
 * is an integer and one has it, otherwise the one of that name (ignoring
 * case), or NULL. Borrowed from @p ss. */
const RertRoi *cli_find_roi(const RertStructureSet *ss, const char *key);

struct option;

/* Applies one parsed option @p opt (its getopt value) with argument @p arg
 * (NULL for a flag) to @p ctx; false = usage error, already reported. */
typedef bool (*CliOptionFn)(void *ctx, int opt, char *arg);

enum {
    CLI_OPTIONS_OK = 0,   /* every option applied; optind at the operands */
    CLI_OPTIONS_HELP = 1, /* -h/--help: usage printed on stdout */
    CLI_OPTIONS_ERROR = 2 /* usage error (an unknown option: usage on stderr) */
};

/* getopt_long over @p argv (from optind 1) calling @p apply for each
 * option other than 'h'. Returns a CLI_OPTIONS_* value. */
int cli_parse_options(int argc,
                      char **argv,
                      const char *shortopts,
                      const struct option *longopts,
                      CliOptionFn apply,
                      void *ctx,
                      void (*usage)(FILE *));

/* Options of assess and demo: -o/--output, --data, -q/--quiet. */
typedef struct CliOutputData {
    const char *output;
    const char *data;
} CliOutputData;
/* CliOptionFn for a CliOutputData ('o', 'd', 'q'). */
bool cli_apply_output_data(void *ctx, int opt, char *arg);

int cmd_assess(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_eqd2(int argc, char **argv);
int cmd_dvh(int argc, char **argv);
int cmd_phantom(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_pet_contour(int argc, char **argv);
int cmd_suv(int argc, char **argv);

#endif
