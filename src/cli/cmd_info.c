/* TEMPORARY: replaced by the real command in this session. */
#include "cli.h"

int cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("info", "not built yet");
    return RERT_EXIT_INTERNAL;
}
