/* Phantom case: option checks, the folder layout written through a
 * temporary folder and renamed into place, and truth.json. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rert/core.h>
#include <rert/io.h>
#include <rert/phantom.h>

#include "internal.h"

#define PATH_SIZE 4096
/* Deepest folder level under the temporary folder (tmp/old-course1/ct). */
#define MAX_REMOVE_DEPTH 4
/* Alpha/beta of the spinal cord for the cumulative EQD2 truth, Gy. */
#define CORD_AB_GY 2.0

static const char *const installed[] = {"course1", "course2", "truth.json"};
#define INSTALLED_COUNT (sizeof installed / sizeof installed[0])

/* ---- option checks */

static bool check_range(
    RertError *err, const char *field, double value, double lo, double hi)
{
    if (!(value >= lo && value <= hi)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom option %s is %g, expected %g..%g", field,
                              value, lo, hi);
    }
    return true;
}

static bool check_date(RertError *err, const char *field, const char *date)
{
    static const int days[12] = {31, 29, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    long v = 0;
    if (date == NULL || strlen(date) != 8 ||
        !rert_parse_long(NULL, date, 8, 19000101, 21001231, field, &v) ||
        strspn(date, "0123456789") != 8) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom option %s is '%s', expected a date "
                              "YYYYMMDD between 1900 and 2100",
                              field, date != NULL ? date : "(null)");
    }
    long year = v / 10000;
    long month = v / 100 % 100;
    long day = v % 100;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > days[month - 1] ||
        (month == 2 && day == 29 && !leap)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom option %s is '%s', not a calendar date",
                              field, date);
    }
    return true;
}

static bool check_text(RertError *err, const char *field, const char *text)
{
    if (text == NULL || text[0] == '\0' || strlen(text) > 64 ||
        strchr(text, '\\') != NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom option %s is '%s', expected 1..64 "
                              "characters without '\\'",
                              field, text != NULL ? text : "(null)");
    }
    return true;
}

static bool
check_course(RertError *err, const RertPhantomCourse *c, unsigned number)
{
    char field[64];
    (void)snprintf(field, sizeof field, "courses[%u].start_date", number);
    if (!check_date(err, field, c->start_date)) {
        return false;
    }
    (void)snprintf(field, sizeof field, "courses[%u].prescription_gy", number);
    if (!check_range(err, field, c->prescription_gy, 1.0, 100.0)) {
        return false;
    }
    (void)snprintf(field, sizeof field, "courses[%u].fractions", number);
    if (!check_range(err, field, (double)c->fractions, 1.0, 100.0)) {
        return false;
    }
    (void)snprintf(field, sizeof field, "courses[%u].cord_cap_gy", number);
    return check_range(err, field, c->cord_cap_gy, 0.1, c->prescription_gy);
}

bool rert_phantom_options_check(RertError *err, const RertPhantomOptions *o)
{
    if (o == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom options: NULL");
    }
    bool ok =
        check_range(err, "ct_dims[0]", (double)o->ct_dims[0], 32, 1024) &&
        check_range(err, "ct_dims[1]", (double)o->ct_dims[1], 32, 1024) &&
        check_range(err, "ct_dims[2]", (double)o->ct_dims[2], 8, 1000) &&
        check_range(err, "ct_spacing_mm[0]", o->ct_spacing_mm[0], 0.25, 10) &&
        check_range(err, "ct_spacing_mm[1]", o->ct_spacing_mm[1], 0.25, 10) &&
        check_range(err, "ct_spacing_mm[2]", o->ct_spacing_mm[2], 0.25, 10) &&
        check_range(err, "dose_grid_mm", o->dose_grid_mm, 1, 10) &&
        check_range(err, "noise_hu", o->noise_hu, 0, 100) &&
        check_range(err, "deformation_mm", o->deformation_mm, 0, 10);
    const char *axes[3] = {"x", "y", "z"};
    for (int a = 0; ok && a < 3; a++) {
        char field[32];
        (void)snprintf(field, sizeof field, "translation_mm.%s", axes[a]);
        ok = check_range(err, field, o->translation_mm[a], -30, 30);
        (void)snprintf(field, sizeof field, "rotation_deg.%s", axes[a]);
        ok = ok && check_range(err, field, o->rotation_deg[a], -15, 15);
    }
    ok = ok && check_text(err, "patient_id", o->patient_id) &&
         check_text(err, "patient_name", o->patient_name) &&
         check_course(err, &o->courses[0], 1) &&
         check_course(err, &o->courses[1], 2);
    if (ok && strcmp(o->courses[1].start_date, o->courses[0].start_date) <= 0) {
        ok = rert_error_set(err, RERT_ERR_INVALID_ARG,
                            "phantom option courses[2].start_date %s must be "
                            "after courses[1].start_date %s",
                            o->courses[1].start_date, o->courses[0].start_date);
    }
    return ok;
}

/* ---- folders */

static bool
join(RertError *err, char out[PATH_SIZE], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_SIZE, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_SIZE) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "path too long: %s/%s",
                              dir, name);
    }
    return true;
}

static bool make_dir(RertError *err, const char *path)
{
    if (mkdir(path, 0755) != 0) {
        return rert_error_set(err, RERT_ERR_IO, "cannot create folder %s: %s",
                              path, strerror(errno));
    }
    return true;
}

/* Remove @p path and everything under it; never follows symbolic links.
 * Recursion is bounded by MAX_REMOVE_DEPTH. Best effort: used to clean
 * up our own temporary folder. */
// NOLINTNEXTLINE(misc-no-recursion): depth bounded by MAX_REMOVE_DEPTH
static void remove_tree(const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        (void)unlink(path);
        return;
    }
    DIR *d = depth < MAX_REMOVE_DEPTH ? opendir(path) : NULL;
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char child[PATH_SIZE];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                !join(NULL, child, path, e->d_name)) {
                continue;
            }
            remove_tree(child, depth + 1);
        }
        (void)closedir(d);
    }
    (void)rmdir(path);
}

/* Create @p dir when absent (telling @p created); refuse a non-empty one
 * unless @p overwrite. */
static bool
prepare_dir(RertError *err, const char *dir, bool overwrite, bool *created)
{
    *created = false;
    if (mkdir(dir, 0755) == 0) {
        *created = true;
        return true;
    }
    if (errno != EEXIST || !rert_path_is_dir(dir)) {
        return rert_error_set(
            err, RERT_ERR_IO, "cannot create output folder %s: %s", dir,
            errno == EEXIST ? "exists and is not a folder" : strerror(errno));
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        return rert_error_set(err, RERT_ERR_IO, "cannot read folder %s: %s",
                              dir, strerror(errno));
    }
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL) {
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    }
    (void)closedir(d);
    if (!empty && !overwrite) {
        return rert_error_set(err, RERT_ERR_IO,
                              "output folder %s exists and is not empty "
                              "(allow overwriting to replace course1/, "
                              "course2/ and truth.json there)",
                              dir);
    }
    return true;
}

/* Move what we write into place; with existing outputs moved aside into
 * @p tmp first. On failure everything is moved back. */
static bool install(RertError *err, const char *dir, const char *tmp)
{
    char from[PATH_SIZE];
    char to[PATH_SIZE];
    char aside[PATH_SIZE];
    size_t moved_aside = 0;
    size_t moved_in = 0;
    bool had_old[INSTALLED_COUNT] = {false, false, false};
    bool ok = true;
    for (; ok && moved_aside < INSTALLED_COUNT; moved_aside++) {
        const char *name = installed[moved_aside];
        char old_name[64];
        (void)snprintf(old_name, sizeof old_name, "old-%s", name);
        struct stat st;
        ok = join(err, to, dir, name) && join(err, aside, tmp, old_name);
        if (ok && lstat(to, &st) == 0) {
            had_old[moved_aside] = true;
            if (rename(to, aside) != 0) {
                had_old[moved_aside] = false;
                ok = rert_error_set(err, RERT_ERR_IO,
                                    "cannot move %s aside: "
                                    "%s",
                                    to, strerror(errno));
            }
        }
    }
    for (; ok && moved_in < INSTALLED_COUNT; moved_in++) {
        ok = join(err, from, tmp, installed[moved_in]) &&
             join(err, to, dir, installed[moved_in]);
        if (ok && rename(from, to) != 0) {
            ok = rert_error_set(err, RERT_ERR_IO, "cannot rename %s to %s: %s",
                                from, to, strerror(errno));
        }
    }
    if (ok) {
        return true;
    }
    /* Roll back: new outputs back into tmp, old ones back into place. */
    for (size_t i = 0; i < moved_in; i++) {
        if (join(NULL, from, tmp, installed[i]) &&
            join(NULL, to, dir, installed[i])) {
            (void)rename(to, from);
        }
    }
    for (size_t i = 0; i < INSTALLED_COUNT; i++) {
        char old_name[64];
        (void)snprintf(old_name, sizeof old_name, "old-%s", installed[i]);
        if (had_old[i] && join(NULL, aside, tmp, old_name) &&
            join(NULL, to, dir, installed[i])) {
            (void)rename(aside, to);
        }
    }
    return false;
}

/* ---- truth.json */

static bool json_string(RertError *err, RertStrbuf *sb, const char *s)
{
    bool ok = rert_strbuf_puts(err, sb, "\"");
    for (; ok && *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            ok = rert_strbuf_printf(err, sb, "\\%c", (char)ch);
        } else if (ch < 0x20) {
            ok = rert_strbuf_printf(err, sb, "\\u%04x", (unsigned)ch);
        } else {
            ok = rert_strbuf_append(err, sb, s, 1);
        }
    }
    return ok && rert_strbuf_puts(err, sb, "\"");
}

static bool json_vec(RertError *err, RertStrbuf *sb, const double *v, size_t n)
{
    bool ok = rert_strbuf_puts(err, sb, "[");
    for (size_t i = 0; ok && i < n; i++) {
        ok = rert_strbuf_printf(err, sb, "%s%.10g", i == 0 ? "" : ", ", v[i]);
    }
    return ok && rert_strbuf_puts(err, sb, "]");
}

static bool json_point(RertError *err, RertStrbuf *sb, RertVec3 p)
{
    double v[3] = {p.x, p.y, p.z};
    return json_vec(err, sb, v, 3);
}

/* The deformation's parameters (docs/phantom.md, "Deformation"). */
static bool
json_deformation(RertError *err, RertStrbuf *sb, const RertPhantomTruth *t)
{
    return rert_strbuf_printf(
        err, sb,
        "    \"deformation\": {\n"
        "      \"model\": \"radial shrinkage towards the spinal canal axis "
        "(weight loss)\",\n"
        "      \"formula\": \"v(q) = d(rho, z) (qx, qy - yc(qz), 0) / rho, "
        "yc(z) = 38 + 3 (z/90)^2, rho = |(qx, qy - yc(qz))|, d = peak_mm "
        "S((rho - inner_radius_mm) / (outer_radius_mm - inner_radius_mm)) "
        "(1 - S((qz - fade_z_mm[0]) / (fade_z_mm[1] - fade_z_mm[0]))), "
        "S(s) = 6s^5 - 15s^4 + 10s^3 clamped to [0, 1]\",\n"
        "      \"peak_mm\": %.10g,\n"
        "      \"inner_radius_mm\": 25,\n"
        "      \"outer_radius_mm\": 80,\n"
        "      \"fade_z_mm\": [30, 60]\n    }",
        t->deformation_mm);
}

static bool
json_transform(RertError *err, RertStrbuf *sb, const RertPhantomTruth *t)
{
    bool ok = rert_strbuf_puts(
        err, sb,
        "  \"course2_to_course1\": {\n"
        "    \"description\": \"x1 = q + v(q), q = R x2 + t, maps a course-2 "
        "patient point (mm) to the course-1 point showing the same anatomy; "
        "R = Rz Ry Rx; matrix is the rigid part [R t; 0 0 0 1], v the "
        "deformation (zero when peak_mm is 0)\",\n"
        "    \"matrix\": [");
    for (int r = 0; ok && r < 4; r++) {
        ok = rert_strbuf_puts(err, sb, r == 0 ? "" : ", ") &&
             json_vec(err, sb, t->course2_to_course1.m[r], 4);
    }
    return ok && rert_strbuf_puts(err, sb, "],\n    \"translation_mm\": ") &&
           json_vec(err, sb, t->translation_mm, 3) &&
           rert_strbuf_puts(err, sb, ",\n    \"rotation_deg\": ") &&
           json_vec(err, sb, t->rotation_deg, 3) &&
           rert_strbuf_puts(err, sb, ",\n") && json_deformation(err, sb, t) &&
           rert_strbuf_puts(err, sb, "\n  },\n");
}

static bool
json_uid(RertError *err, RertStrbuf *sb, const char *key, const char *value)
{
    return rert_strbuf_printf(err, sb, "      \"%s\": ", key) &&
           json_string(err, sb, value) && rert_strbuf_puts(err, sb, ",\n");
}

static bool json_course(RertError *err,
                        RertStrbuf *sb,
                        const PhantomModel *m,
                        unsigned c,
                        const RertPhantomCourseTruth *t)
{
    const RertPhantomCourse *o = &m->options.courses[c];
    char ptv[32];
    phantom_ptv_name(&m->options, c, ptv, sizeof ptv);
    return rert_strbuf_printf(err, sb,
                              "    {\n      \"course\": %u,\n"
                              "      \"folder\": \"course%u\",\n",
                              c + 1, c + 1) &&
           json_uid(err, sb, "start_date", o->start_date) &&
           json_uid(err, sb, "frame_of_reference_uid",
                    t->frame_of_reference_uid) &&
           json_uid(err, sb, "study_instance_uid", t->study_instance_uid) &&
           json_uid(err, sb, "ct_series_instance_uid",
                    t->ct_series_instance_uid) &&
           json_uid(err, sb, "rtstruct_sop_instance_uid",
                    t->structure_set_uid) &&
           json_uid(err, sb, "rtplan_sop_instance_uid", t->plan_uid) &&
           json_uid(err, sb, "rtdose_sop_instance_uid", t->dose_uid) &&
           json_uid(err, sb, "target_roi", ptv) &&
           rert_strbuf_printf(err, sb,
                              "      \"prescription_gy\": %.10g,\n"
                              "      \"fractions\": %ld,\n"
                              "      \"dose_per_fraction_gy\": %.10g,\n"
                              "      \"cord_cap_gy\": %.10g,\n"
                              "      \"cord_max_gy\": %.6f,\n"
                              "      \"cord_max_point_mm\": ",
                              t->prescription_gy, t->fractions,
                              t->prescription_gy / (double)t->fractions,
                              o->cord_cap_gy, t->cord_max_gy) &&
           json_point(err, sb, t->cord_max_xyz_mm) &&
           rert_strbuf_puts(err, sb,
                            ",\n      \"cord_max_point_course1_mm\": ") &&
           json_point(err, sb, t->cord_max_course1_xyz_mm) &&
           rert_strbuf_printf(err, sb, "\n    }%s\n",
                              c + 1 < RERT_PHANTOM_COURSES ? "," : "");
}

static bool json_header(RertError *err,
                        RertStrbuf *sb,
                        const PhantomModel *m,
                        const PhantomCourseFiles *f)
{
    const RertPhantomOptions *o = &m->options;
    return rert_strbuf_printf(err, sb,
                              "{\n  \"generator\": \"rert phantom\",\n"
                              "  \"rert_version\": \"%s\",\n"
                              "  \"patient_id\": ",
                              rert_version()) &&
           json_string(err, sb, o->patient_id) &&
           rert_strbuf_puts(err, sb,
                            ",\n  \"coordinates\": \"DICOM patient (LPS), mm; "
                            "the anatomy is defined in course-1 "
                            "coordinates\",\n  \"ct_dims\": ") &&
           json_vec(err, sb,
                    (const double[3]){(double)f->ct.dims[0],
                                      (double)f->ct.dims[1],
                                      (double)f->ct.dims[2]},
                    3) &&
           rert_strbuf_puts(err, sb, ",\n  \"ct_spacing_mm\": ") &&
           json_vec(err, sb, f->ct.spacing_mm, 3) &&
           rert_strbuf_puts(err, sb, ",\n  \"ct_origin_mm\": ") &&
           json_vec(err, sb, f->ct.origin_mm, 3) &&
           rert_strbuf_printf(err, sb,
                              ",\n  \"dose_grid_mm\": %.10g,\n"
                              "  \"noise_hu\": %.10g,\n  \"seed\": %lu,\n",
                              o->dose_grid_mm, o->noise_hu,
                              (unsigned long)o->seed);
}

static bool
json_cumulative(RertError *err, RertStrbuf *sb, const RertPhantomTruth *t)
{
    return rert_strbuf_printf(
        err, sb,
        "  \"cord_cumulative\": {\n"
        "    \"description\": \"maximum over the spinal cord (same anatomy "
        "point in both courses, inside both CT ranges) of the summed "
        "physical dose, and of the summed LQ EQD2 with each course's own "
        "fractions; D0.03cc: the lowest of the hottest 0.03 cc of the same "
        "sums on a 0.5 mm grid\",\n"
        "    \"alpha_beta_gy\": %.10g,\n"
        "    \"physical_max_gy\": %.6f,\n"
        "    \"eqd2_max_gy\": %.6f,\n"
        "    \"physical_d003cc_gy\": %.6f,\n"
        "    \"eqd2_d003cc_gy\": %.6f\n  },\n",
        t->cord_alpha_beta_gy, t->cord_sum_physical_gy, t->cord_sum_eqd2_gy,
        t->cord_sum_physical_d003cc_gy, t->cord_sum_eqd2_d003cc_gy);
}

static bool write_truth(RertError *err,
                        const char *path,
                        const PhantomModel *m,
                        const PhantomCourseFiles *f,
                        const RertPhantomTruth *t)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, (size_t)1 << 20);
    bool ok = json_header(err, &sb, m, &f[0]) && json_transform(err, &sb, t) &&
              json_cumulative(err, &sb, t) &&
              rert_strbuf_puts(err, &sb, "  \"courses\": [\n");
    for (unsigned c = 0; ok && c < RERT_PHANTOM_COURSES; c++) {
        ok = json_course(err, &sb, m, c, &t->courses[c]);
    }
    ok = ok && rert_strbuf_puts(err, &sb, "  ]\n}\n") &&
         rert_file_save_atomic(err, path, sb.data, sb.len);
    rert_strbuf_clear(&sb);
    return ok;
}

/* ---- the case */

static void course_truth(const PhantomModel *m,
                         const PhantomCourseFiles *f,
                         RertPhantomCourseTruth *t)
{
    memcpy(t->frame_of_reference_uid, f->frame_uid, RERT_UID_SIZE);
    memcpy(t->study_instance_uid, f->study_uid, RERT_UID_SIZE);
    memcpy(t->ct_series_instance_uid, f->ct_series_uid, RERT_UID_SIZE);
    memcpy(t->structure_set_uid, f->rs_uid, RERT_UID_SIZE);
    memcpy(t->plan_uid, f->rp_uid, RERT_UID_SIZE);
    memcpy(t->dose_uid, f->rd_uid, RERT_UID_SIZE);
    t->prescription_gy = m->options.courses[f->c].prescription_gy;
    t->fractions = m->options.courses[f->c].fractions;
    double lo = f->ct.origin_mm[2];
    double hi = lo + (double)(f->ct.dims[2] - 1) * f->ct.spacing_mm[2];
    RertVec3 where;
    t->cord_max_gy = phantom_cord_max(m, f->c, lo, hi, &where);
    t->cord_max_course1_xyz_mm = where;
    t->cord_max_xyz_mm = phantom_from_anatomy(m, f->c, where);
}

static bool write_course(RertError *err,
                         const PhantomModel *m,
                         PhantomCourseFiles *f,
                         const char *tmp,
                         PhantomProgress *progress)
{
    char dir[PATH_SIZE];
    char ct[PATH_SIZE];
    char path[PATH_SIZE];
    if (!join(err, dir, tmp, installed[f->c]) || !join(err, ct, dir, "ct") ||
        !make_dir(err, dir) || !make_dir(err, ct) ||
        !phantom_ct_write(err, m, f, ct, progress) ||
        !join(err, path, dir, "RS.dcm") ||
        !phantom_rtstruct_write(err, m, f, path)) {
        return false;
    }
    phantom_progress_step(progress);
    if (!join(err, path, dir, "RP.dcm") ||
        !phantom_rtplan_write(err, m, f, path)) {
        return false;
    }
    phantom_progress_step(progress);
    if (!join(err, path, dir, "RD.dcm") ||
        !phantom_dose_write(err, m, f, path)) {
        return false;
    }
    phantom_progress_step(progress);
    return true;
}

static bool write_all(RertError *err,
                      const PhantomModel *m,
                      PhantomCourseFiles *f,
                      const char *tmp,
                      RertPhantomTruth *t)
{
    PhantomProgress progress = {&m->options, 0, 2 * m->options.ct_dims[2] + 7};
    memset(t, 0, sizeof *t);
    t->course2_to_course1 = m->to_anatomy[1];
    memcpy(t->translation_mm, m->options.translation_mm,
           sizeof t->translation_mm);
    memcpy(t->rotation_deg, m->options.rotation_deg, sizeof t->rotation_deg);
    t->deformation_mm = m->options.deformation_mm;
    for (unsigned c = 0; c < RERT_PHANTOM_COURSES; c++) {
        if (!phantom_course_init(err, m, c, &f[c]) ||
            !write_course(err, m, &f[c], tmp, &progress)) {
            return false;
        }
        course_truth(m, &f[c], &t->courses[c]);
        t->file_count += f[c].files;
        t->total_bytes += f[c].bytes;
    }
    double lo = f[0].ct.origin_mm[2];
    double hi = lo + (double)(f[0].ct.dims[2] - 1) * f[0].ct.spacing_mm[2];
    t->cord_alpha_beta_gy = CORD_AB_GY;
    PhantomCordSum sum;
    phantom_cord_sum_max(m, lo, hi, CORD_AB_GY, &sum);
    t->cord_sum_physical_gy = sum.physical_gy;
    t->cord_sum_eqd2_gy = sum.eqd2_gy;
    t->cord_sum_physical_d003cc_gy = sum.physical_d003cc_gy;
    t->cord_sum_eqd2_d003cc_gy = sum.eqd2_d003cc_gy;
    char path[PATH_SIZE];
    struct stat st;
    if (!join(err, path, tmp, "truth.json") ||
        !write_truth(err, path, m, f, t)) {
        return false;
    }
    if (stat(path, &st) == 0) {
        t->file_count++;
        t->total_bytes += (size_t)st.st_size;
    }
    phantom_progress_step(&progress);
    return true;
}

bool rert_phantom_write_case(RertError *err,
                             const char *dir,
                             const RertPhantomOptions *options,
                             RertPhantomTruth *truth)
{
    PhantomModel m;
    phantom_model_init(&m, options);
    if (dir == NULL || dir[0] == '\0') {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "phantom: no output folder given");
    }
    bool created = false;
    if (!rert_phantom_options_check(err, &m.options) ||
        !prepare_dir(err, dir, m.options.overwrite, &created)) {
        return false;
    }
    char tmp[PATH_SIZE];
    if (!join(err, tmp, dir, ".tmp-XXXXXX") || mkdtemp(tmp) == NULL) {
        if (created) {
            (void)rmdir(dir);
        }
        return rert_error_set(err, RERT_ERR_IO,
                              "cannot create a temporary folder in %s: %s", dir,
                              strerror(errno));
    }
    PhantomCourseFiles f[RERT_PHANTOM_COURSES];
    memset(f, 0, sizeof f);
    RertPhantomTruth t;
    bool ok = write_all(err, &m, f, tmp, &t) && install(err, dir, tmp);
    for (unsigned c = 0; c < RERT_PHANTOM_COURSES; c++) {
        phantom_course_clear(&f[c]);
    }
    remove_tree(tmp, 0);
    if (ok && truth != NULL) {
        *truth = t;
    }
    if (!ok) {
        if (created) {
            (void)rmdir(dir);
        }
        rert_error_prefix(err, "writing the phantom case to %s", dir);
    }
    return ok;
}
