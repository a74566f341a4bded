/* The option loop every command shares (getopt_long and --help). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

int cli_parse_options(int argc,
                      char **argv,
                      const char *shortopts,
                      const struct option *longopts,
                      CliOptionFn apply,
                      void *ctx,
                      void (*usage)(FILE *))
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CLI_OPTIONS_HELP;
        }
        if (c == '?' || c == ':') {
            usage(stderr);
            return CLI_OPTIONS_ERROR;
        }
        if (!apply(ctx, c, optarg)) {
            return CLI_OPTIONS_ERROR;
        }
    }
    return CLI_OPTIONS_OK;
}

/* char *arg: the CliOptionFn signature */
// NOLINTNEXTLINE(readability-non-const-parameter)
bool cli_apply_output_data(void *ctx, int opt, char *arg)
{
    CliOutputData *o = ctx;
    switch (opt) {
    case 'o':
        o->output = arg;
        return true;
    case 'd':
        o->data = arg;
        return true;
    case 'q':
        cli_quiet = true;
        return true;
    default:
        return false;
    }
}
