/* Shared helpers for the cmocka suites. */
#include "rert_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void rert_assert_near_impl(double actual,
                           double expected,
                           double abs_tol,
                           double rel_tol,
                           const char *expr,
                           const char *file,
                           int line)
{
    double tol = abs_tol + rel_tol * fabs(expected);
    if (!(fabs(actual - expected) <= tol)) {
        print_error("%s = %.10g, expected %.10g (tolerance %.3g)\n", expr,
                    actual, expected, tol);
        _fail(file, line);
    }
}

const char *rert_test_shared_data(void)
{
    static char path[4096];
    const char *env = getenv("RERT_SHARED_DATA");
    if (env != NULL && env[0] != '\0') {
        (void)snprintf(path, sizeof path, "%s", env);
    } else {
        (void)snprintf(path, sizeof path, "%s/../shared/data",
                       RERT_SOURCE_ROOT);
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return NULL;
    }
    return path;
}

const char *rert_test_require_shared_data(void)
{
    const char *path = rert_test_shared_data();
    if (path == NULL) {
        print_message("[ SKIP     ] shared data folder ../shared/data is "
                      "absent; set RERT_SHARED_DATA to run this test\n");
        skip();
    }
    return path;
}

const char *rert_test_tmpdir(void)
{
    static char path[256];
    if (path[0] == '\0') {
        const char *base = getenv("TMPDIR");
        (void)snprintf(path, sizeof path, "%s/rert-test-XXXXXX",
                       base != NULL ? base : "/tmp");
        if (mkdtemp(path) == NULL) {
            path[0] = '\0';
            return "/tmp";
        }
    }
    return path;
}

void rert_test_dciodvfy(const char *path)
{
    if (access("/usr/bin/dciodvfy", X_OK) != 0) {
        print_message("  dciodvfy not installed: IOD check skipped\n");
        return;
    }
    char command[4200];
    (void)snprintf(command, sizeof command, "/usr/bin/dciodvfy '%s' 2>&1",
                   path);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    char line[4096];
    int errors = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        if (strstr(line, "Error") != NULL) {
            print_error("dciodvfy: %s", line);
            errors++;
        } else if (strstr(line, "Warning") != NULL) {
            print_message("  dciodvfy: %s", line);
        }
    }
    int status = pclose(p);
    assert_int_equal(errors, 0);
    assert_true(status != -1);
}
