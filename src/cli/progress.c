/* Terminal progress and the data folder, shared by the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "rert_config.h"

bool cli_progress_enabled(void)
{
    return !cli_quiet && isatty(STDERR_FILENO) == 1;
}

void cli_progress(const char *stage, double fraction, void *user)
{
    (void)user;
    (void)fprintf(stderr, "\r\033[K%s %3.0f%%", stage, 100.0 * fraction);
    if (fraction >= 1.0) {
        (void)fputc('\n', stderr);
    }
    (void)fflush(stderr);
}

static bool has_library(const char *dir)
{
    char path[4096];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/constraints.yaml", dir);
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0;
}

const char *cli_data_dir(const char *given)
{
    if (given != NULL) {
        return given;
    }
    const char *env = getenv("RERT_DATA_DIR");
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    if (has_library(RERT_SOURCE_DATA_DIR)) {
        return RERT_SOURCE_DATA_DIR;
    }
    return RERT_INSTALL_DATA_DIR;
}
