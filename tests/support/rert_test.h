/* Test helpers shared by the cmocka suites. */
#ifndef RERT_TEST_H
#define RERT_TEST_H

/* cmocka.h needs these first (cmocka 1.1.5 does not include them). */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

/* Assert |actual - expected| <= abs_tol + rel_tol * |expected|, printing
 * both values on failure (cmocka 1.1.5 has no assert_double_equal). */
#define rert_assert_near(actual, expected, abs_tol, rel_tol)                   \
    rert_assert_near_impl((actual), (expected), (abs_tol), (rel_tol), #actual, \
                          __FILE__, __LINE__)

void rert_assert_near_impl(double actual,
                           double expected,
                           double abs_tol,
                           double rel_tol,
                           const char *expr,
                           const char *file,
                           int line);

/* Path of the shared data folder (../shared/data from the project root,
 * or $RERT_SHARED_DATA), or NULL when absent. */
const char *rert_test_shared_data(void);

/* Skip the current test with a message when shared data is absent; returns
 * the data folder otherwise. */
const char *rert_test_require_shared_data(void);

/* A fresh empty temporary folder for this test process (made once). */
const char *rert_test_tmpdir(void);

/* Check the DICOM file at @p path with dicom3tools' /usr/bin/dciodvfy:
 * fail on any line naming an "Error" (warnings are printed). Prints a
 * message and checks nothing when dciodvfy is not installed. */
void rert_test_dciodvfy(const char *path);

#endif
