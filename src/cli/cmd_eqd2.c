/* TEMPORARY: replaced by the real command in this session. */
#include "cli.h"

int cmd_eqd2(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("eqd2", "not built yet");
    return RERT_EXIT_INTERNAL;
}
