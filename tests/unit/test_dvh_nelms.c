/* Interop: the DVH engine on the Nelms analytical data set (every 5th of
 * the 90 rows of nelms-dvh/analytical.csv, plus every row of the shapes
 * that close between 3 mm planes, RtCylinder_30 and RtCone_30). Skips when
 * ../shared/data is absent. The full table: bench/dvh_nelms.sh. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dvh.h>
#include <rert/io.h>
#include <rert/rt.h>

#include "rert_test.h"

#define STEP 5
#define MAX_FIELDS 16

typedef struct Expected {
    char structure[128];
    char dose[128];
    long roi;
    double volume_cc, dmean_gy, d95_gy, d5_gy;
} Expected;

/* Split one CSV line (no quoting in this file) into fields. */
static size_t split(char *line, char **fields)
{
    size_t n = 0;
    char *s = line;
    while (n < MAX_FIELDS) {
        fields[n++] = s;
        char *comma = strchr(s, ',');
        if (comma == NULL) {
            break;
        }
        *comma = '\0';
        s = comma + 1;
    }
    return n;
}

static double number(const char *text)
{
    double v = 0.0;
    RertError err;
    assert_true(rert_parse_double(&err, text, strlen(text), "csv", &v));
    return v;
}

static void parse_row(char *line, Expected *e)
{
    char *f[MAX_FIELDS];
    line[strcspn(line, "\r\n")] = '\0';
    assert_true(split(line, f) >= 15);
    (void)snprintf(e->structure, sizeof e->structure, "%s", f[0]);
    (void)snprintf(e->dose, sizeof e->dose, "%s", f[2]);
    e->roi = (long)number(f[1]);
    e->volume_cc = number(f[6]);
    e->dmean_gy = number(f[9]);
    e->d95_gy = number(f[11]);
    e->d5_gy = number(f[12]);
}

static double pct(double got, double want)
{
    return 100.0 * fabs(got / want - 1.0);
}

/* Errors of one row in percent: volume, Dmean, D95, D5. */
static void run_row(const char *dir, const Expected *e, double err_pct[4])
{
    char path[1400];
    RertError err;
    (void)snprintf(path, sizeof path, "%s/%s", dir, e->dose);
    RertDose *dose = rert_dose_load(&err, path, NULL);
    assert_non_null(dose);
    (void)snprintf(path, sizeof path, "%s/%s", dir, e->structure);
    RertStructureSet *ss = rert_structure_set_load(&err, path, NULL);
    assert_non_null(ss);
    const RertRoi *roi = rert_structure_set_roi_by_number(ss, e->roi);
    assert_non_null(roi);
    size_t n = 0;
    const RertPolygon *polys = rert_roi_polygons(roi, &n);
    RertDvh *dvh =
        rert_dvh_compute(&err, rert_dose_volume(dose), polys, n, NULL);
    assert_non_null(dvh);
    /* the sampling reproduces the exact contour volume */
    rert_assert_near(rert_dvh_volume_cc(dvh), rert_dvh_contour_volume_cc(dvh),
                     0, 0.005);
    err_pct[0] = pct(rert_dvh_volume_cc(dvh), e->volume_cc);
    err_pct[1] = pct(rert_dvh_mean_gy(dvh), e->dmean_gy);
    err_pct[2] = pct(rert_dvh_dose_at_volume_pct(dvh, 95), e->d95_gy);
    err_pct[3] = pct(rert_dvh_dose_at_volume_pct(dvh, 5), e->d5_gy);
    print_message("%-28s %-18s vol %5.2f%% Dmean %5.2f%% D95 %5.2f%% D5 "
                  "%5.2f%%\n",
                  e->structure, e->dose, err_pct[0], err_pct[1], err_pct[2],
                  err_pct[3]);
    /* no row above 3 % in Dmean or volume */
    assert_true(fabs(err_pct[0]) <= 3.0);
    assert_true(fabs(err_pct[1]) <= 3.0);
    rert_dvh_destroy(dvh);
    rert_structure_set_destroy(ss);
    rert_dose_destroy(dose);
}

static void test_nelms_subset(void **state)
{
    (void)state;
    const char *data = rert_test_require_shared_data();
    char dir[1024], path[1100];
    (void)snprintf(dir, sizeof dir, "%s/nelms-dvh", data);
    (void)snprintf(path, sizeof path, "%s/analytical.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    double sum[4] = {0, 0, 0, 0};
    size_t rows = 0;
    for (size_t i = 0; fgets(line, sizeof line, f) != NULL; i++) {
        if (i % STEP != 0 && strstr(line, "RtCylinder_30") == NULL &&
            strstr(line, "RtCone_30") == NULL) {
            continue;
        }
        Expected e;
        double err_pct[4];
        parse_row(line, &e);
        run_row(dir, &e, err_pct);
        for (int k = 0; k < 4; k++) {
            sum[k] += err_pct[k];
        }
        rows++;
    }
    (void)fclose(f);
    assert_int_equal(rows, 25); /* 18 every 5th, 7 more closing shapes */
    /* the acceptance limits of the full set (bench/README.md) */
    assert_true(sum[0] / (double)rows <= 1.0);
    assert_true(sum[1] / (double)rows <= 0.5);
    assert_true(sum[2] / (double)rows <= 2.0);
    assert_true(sum[3] / (double)rows <= 2.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nelms_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
