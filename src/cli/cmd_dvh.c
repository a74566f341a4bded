/* rert dvh: DVHs and metrics of RTSTRUCT ROIs on an RTDOSE (CSV or JSON). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dvh.h>
#include <rert/io.h>
#include <rert/rt.h>

#include "cli.h"

#define CMD "dvh"
#define MAX_SELECT 1024
#define MAX_METRICS 64
#define OUTPUT_MAX_BYTES ((size_t)1 << 30)

typedef struct Params {
    const char *dose_path;
    const char *structures_path;
    const char *select[MAX_SELECT];
    size_t select_count;
    RertDvhMetric metrics[MAX_METRICS];
    size_t metric_count;
    RertDvhOptions options;
    bool is_json;
    double curve_step_gy;
    const char *output_path;
} Params;

/* One ROI of the output: the ROI, its DVH or why there is none. */
typedef struct Row {
    const RertRoi *roi;
    RertDvh *dvh;
    RertError error;
    char note[256];
} Row;

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert dvh --dose RD.dcm --structures RS.dcm [options]\n\n"
        "DVH and metrics of each ROI (closed planar contours) on the dose.\n"
        "  --dose FILE          RT Dose\n"
        "  --structures FILE    RT Structure Set\n"
        "  --roi NAME|NUMBER    ROI to report (repeatable; default: all)\n"
        "  --metrics LIST       comma-separated: Dmin, Dmean, Dmax, Volume,\n"
        "                       D<x>%%, D<x>cc, V<x>Gy (cc), V<x>Gy%%\n"
        "  --end-caps half|none end caps beyond the first and last contour\n"
        "                       plane (default half a plane spacing)\n"
        "  --end-profile fitted|midpoint\n"
        "                       volume between an end plane and its\n"
        "                       neighbour: power law fitted to the last\n"
        "                       three planes (default) or half-way prisms\n"
        "  --format csv|json    output format (default csv)\n"
        "  --curve-step GY      JSON cumulative curve step (default 0.01)\n"
        "  -o, --output FILE    write there (atomically) instead of stdout\n"
        "  -h, --help           this text\n\n"
        "example:\n"
        "  rert dvh --dose RD.dcm --structures RS.dcm --roi PTV --roi 3 \\\n"
        "      --metrics D0.03cc,D95%%,V20Gy,V20Gy%% --format json -o "
        "dvh.json\n"
        "How each number is computed: docs/dvh.md\n");
}

static bool add_metrics(Params *p, const char *list)
{
    const char *s = list;
    while (*s != '\0') {
        const char *end = strchr(s, ',');
        size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
        char item[64];
        if (n == 0 || n >= sizeof item || p->metric_count >= MAX_METRICS) {
            cli_error(CMD, "--metrics '%s': empty, too long or too many items",
                      list);
            return false;
        }
        memcpy(item, s, n);
        item[n] = '\0';
        RertError err;
        if (!rert_dvh_metric_parse(&err, item,
                                   &p->metrics[p->metric_count++])) {
            cli_error(CMD, "--metrics: %s", err.message);
            return false;
        }
        s += n + (end != NULL ? 1 : 0);
    }
    return true;
}

static bool parse_choice(const char *opt,
                         const char *value,
                         const char *a,
                         const char *b,
                         bool *is_b)
{
    if (strcmp(value, a) != 0 && strcmp(value, b) != 0) {
        cli_error(CMD, "%s '%s': expected %s or %s", opt, value, a, b);
        return false;
    }
    *is_b = strcmp(value, b) == 0;
    return true;
}

/* char *arg: the CliOptionFn signature */
// NOLINTNEXTLINE(readability-non-const-parameter)
static bool parse_option(void *ctx, int c, char *arg)
{
    Params *p = ctx;
    RertError err;
    bool flag = false;
    switch (c) {
    case 'd':
        p->dose_path = arg;
        return true;
    case 's':
        p->structures_path = arg;
        return true;
    case 'r':
        if (p->select_count >= MAX_SELECT) {
            cli_error(CMD, "more than %d --roi options", MAX_SELECT);
            return false;
        }
        p->select[p->select_count++] = arg;
        return true;
    case 'm':
        return add_metrics(p, arg);
    case 'e':
        if (!parse_choice("--end-caps", arg, "half", "none", &flag)) {
            return false;
        }
        p->options.end_caps =
            flag ? RERT_DVH_END_CAPS_NONE : RERT_DVH_END_CAPS_HALF;
        return true;
    case 'p':
        if (!parse_choice("--end-profile", arg, "fitted", "midpoint", &flag)) {
            return false;
        }
        p->options.end_profile =
            flag ? RERT_DVH_END_PROFILE_MIDPOINT : RERT_DVH_END_PROFILE_FITTED;
        return true;
    case 'f':
        return parse_choice("--format", arg, "csv", "json", &p->is_json);
    case 'c':
        if (!rert_parse_double(&err, arg, strlen(arg), "--curve-step",
                               &p->curve_step_gy) ||
            !(p->curve_step_gy > 0.0)) {
            cli_error(CMD, "--curve-step '%s': expected a number > 0 Gy", arg);
            return false;
        }
        return true;
    case 'o':
        p->output_path = arg;
        return true;
    default:
        return false;
    }
}

/* 0 = parsed, 1 = --help shown, 2 = usage error. */
static int parse_args(Params *p, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dose", required_argument, NULL, 'd'},
        {"structures", required_argument, NULL, 's'},
        {"roi", required_argument, NULL, 'r'},
        {"metrics", required_argument, NULL, 'm'},
        {"end-caps", required_argument, NULL, 'e'},
        {"end-profile", required_argument, NULL, 'p'},
        {"format", required_argument, NULL, 'f'},
        {"curve-step", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(p, 0, sizeof *p);
    p->options = rert_dvh_options_default();
    p->curve_step_gy = 0.01;
    int parsed =
        cli_parse_options(argc, argv, "ho:", longopts, parse_option, p, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed;
    }
    if (optind < argc || p->dose_path == NULL || p->structures_path == NULL) {
        cli_error(CMD,
                  optind < argc ? "unexpected argument '%s'"
                                : "--dose and --structures are required%s",
                  optind < argc ? argv[optind] : "");
        usage(stderr);
        return 2;
    }
    return 0;
}

/* ROI for a --roi value: a number when it parses as one and exists,
 * otherwise a name. */
/* The rows to report, in --roi order or structure set order. */
static Row *
select_rows(const Params *p, const RertStructureSet *ss, size_t *count)
{
    size_t n = p->select_count > 0 ? p->select_count
                                   : rert_structure_set_roi_count(ss);
    RertError err;
    Row *rows = rert_calloc(&err, n == 0 ? 1 : n, sizeof *rows);
    if (rows == NULL) {
        cli_fail(CMD, &err);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].roi = p->select_count > 0 ? cli_find_roi(ss, p->select[i])
                                          : rert_structure_set_roi_at(ss, i);
        if (rows[i].roi == NULL) {
            cli_error(CMD, "--roi '%s': no ROI with that number or name in %s",
                      p->select[i], p->structures_path);
            rert_free(rows);
            return NULL;
        }
    }
    *count = n;
    return rows;
}

/* Polygons of a row, or NULL with a note/error when it has none. */
static const RertPolygon *row_polygons(Row *row, size_t *count)
{
    const RertRoi *roi = row->roi;
    *count = 0;
    if (rert_roi_status(roi) != RERT_OK) {
        rert_error_set(&row->error, rert_roi_status(roi), "%s",
                       rert_roi_error(roi));
        return NULL;
    }
    const RertPolygon *polys = rert_roi_polygons(roi, count);
    size_t other = rert_roi_contour_count(roi) - *count;
    if (other > 0) {
        (void)snprintf(row->note, sizeof row->note,
                       "%zu POINT/OPEN contour(s) excluded", other);
    }
    if (*count == 0) {
        rert_error_set(&row->error, RERT_ERR_UNSUPPORTED,
                       other > 0 ? "only POINT/OPEN contours (%zu): excluded"
                                 : "no contours%.0zu: excluded",
                       other);
        return NULL;
    }
    return polys;
}

static bool
compute_rows(const Params *p, const RertVolume *dose, Row *rows, size_t n)
{
    RertError err;
    bool ok = false;
    RertDvhRoi *in = rert_calloc(&err, n == 0 ? 1 : n, sizeof *in);
    /* an array of pointers: sizeof *out is meant */
    RertDvh **out =
        rert_calloc(&err, n == 0 ? 1 : n,
                    sizeof *out); // NOLINT(bugprone-sizeof-expression)
    RertError *errs = rert_calloc(&err, n == 0 ? 1 : n, sizeof *errs);
    if (in != NULL && out != NULL && errs != NULL) {
        for (size_t i = 0; i < n; i++) {
            in[i].polygons = row_polygons(&rows[i], &in[i].count);
        }
        ok = rert_dvh_compute_many(&err, dose, in, n, &p->options, out, errs);
    }
    for (size_t i = 0; ok && i < n; i++) {
        rows[i].dvh = out[i];
        if (in[i].polygons != NULL && out[i] == NULL) {
            rows[i].error = errs[i];
        }
    }
    if (!ok) {
        cli_fail(CMD, &err);
    }
    rert_free(in);
    rert_free(out);
    rert_free(errs);
    return ok;
}

static bool put_number(RertStrbuf *sb, double v, bool is_json)
{
    char buf[64];
    if (!isfinite(v)) {
        return rert_strbuf_puts(NULL, sb, is_json ? "null" : "");
    }
    rert_format_double(buf, sizeof buf, v, 7);
    return rert_strbuf_puts(NULL, sb, buf);
}

/* JSON string (quotes included) or CSV field (quoted when needed). */
static bool put_text(RertStrbuf *sb, const char *s, bool is_json)
{
    bool ok = rert_strbuf_puts(NULL, sb, "\"");
    for (const char *c = s; ok && *c != '\0'; c++) {
        unsigned char u = (unsigned char)*c;
        if (is_json && (u == '"' || u == '\\')) {
            ok = rert_strbuf_printf(NULL, sb, "\\%c", *c);
        } else if (is_json && u < 0x20) {
            ok = rert_strbuf_printf(NULL, sb, "\\u%04x", u);
        } else if (!is_json && u == '"') {
            ok = rert_strbuf_puts(NULL, sb, "\"\"");
        } else {
            ok = rert_strbuf_append(NULL, sb, c, 1);
        }
    }
    return ok && rert_strbuf_puts(NULL, sb, "\"");
}

static bool put_warnings(RertStrbuf *sb, const Row *row, bool is_json)
{
    bool ok = true;
    size_t n = row->dvh != NULL ? rert_dvh_warning_count(row->dvh) : 0;
    const char *sep = is_json ? ", " : "; ";
    if (!is_json && row->error.code != RERT_OK) {
        ok = rert_strbuf_printf(NULL, sb, "error: %s%s", row->error.message,
                                n > 0 || row->note[0] != '\0' ? sep : "");
    }
    for (size_t i = 0; ok && i < n; i++) {
        const char *w = rert_dvh_warning(row->dvh, i);
        ok = is_json ? put_text(sb, w, true) : rert_strbuf_puts(NULL, sb, w);
        ok = ok && (i + 1 == n || rert_strbuf_puts(NULL, sb, sep));
    }
    if (ok && row->note[0] != '\0') {
        ok = (n == 0 || rert_strbuf_puts(NULL, sb, sep)) &&
             (is_json ? put_text(sb, row->note, true)
                      : rert_strbuf_puts(NULL, sb, row->note));
    }
    return ok;
}

static bool
write_csv(const Params *p, const Row *rows, size_t n, RertStrbuf *sb)
{
    bool ok = rert_strbuf_puts(NULL, sb,
                               "number,name,volume_cc,contour_volume_cc,"
                               "outside_cc,min_gy,mean_gy,max_gy");
    for (size_t m = 0; ok && m < p->metric_count; m++) {
        ok = rert_strbuf_printf(NULL, sb, ",%s", p->metrics[m].name);
    }
    ok = ok && rert_strbuf_puts(NULL, sb, ",notes\n");
    for (size_t i = 0; ok && i < n; i++) {
        const RertDvh *d = rows[i].dvh;
        ok = rert_strbuf_printf(NULL, sb, "%ld,", rert_roi_number(rows[i].roi));
        ok = ok && put_text(sb, rert_roi_name(rows[i].roi), false);
        double v[6];
        for (size_t k = 0; k < 6; k++) {
            v[k] = (double)NAN;
        }
        if (d != NULL) {
            v[0] = rert_dvh_volume_cc(d);
            v[1] = rert_dvh_contour_volume_cc(d);
            v[2] = rert_dvh_outside_cc(d);
            v[3] = rert_dvh_min_gy(d);
            v[4] = rert_dvh_mean_gy(d);
            v[5] = rert_dvh_max_gy(d);
        }
        for (size_t k = 0; ok && k < 6; k++) {
            ok = rert_strbuf_puts(NULL, sb, ",") && put_number(sb, v[k], false);
        }
        for (size_t m = 0; ok && m < p->metric_count; m++) {
            double x = d != NULL ? rert_dvh_metric_compute(d, &p->metrics[m])
                                 : (double)NAN;
            ok = rert_strbuf_puts(NULL, sb, ",") && put_number(sb, x, false);
        }
        RertStrbuf notes;
        rert_strbuf_init(&notes, 1u << 20);
        ok = ok && rert_strbuf_puts(NULL, &notes, "") &&
             put_warnings(&notes, &rows[i], false) &&
             rert_strbuf_puts(NULL, sb, ",") &&
             put_text(sb, notes.data != NULL ? notes.data : "", false) &&
             rert_strbuf_puts(NULL, sb, "\n");
        rert_strbuf_clear(&notes);
    }
    return ok;
}

static bool json_field(RertStrbuf *sb, const char *key, double v)
{
    return rert_strbuf_printf(NULL, sb, ", \"%s\": ", key) &&
           put_number(sb, v, true);
}

static bool json_curve(const Params *p, const RertDvh *d, RertStrbuf *sb)
{
    double *dose = NULL;
    double *vol = NULL;
    size_t n = 0;
    RertError err;
    if (!rert_dvh_curve_compute(&err, d, p->curve_step_gy, &dose, &vol, &n)) {
        cli_fail(CMD, &err);
        return false;
    }
    bool ok = rert_strbuf_printf(NULL, sb,
                                 ",\n     \"curve\": {\"step_gy\": %g, "
                                 "\"volume_cc\": [",
                                 p->curve_step_gy);
    for (size_t i = 0; ok && i < n; i++) {
        ok = (i == 0 || rert_strbuf_puts(NULL, sb, ", ")) &&
             put_number(sb, vol[i], true);
    }
    rert_free(dose);
    rert_free(vol);
    return ok && rert_strbuf_puts(NULL, sb, "]}");
}

static bool json_row(const Params *p, const Row *row, RertStrbuf *sb)
{
    const RertDvh *d = row->dvh;
    bool ok = rert_strbuf_printf(NULL, sb, "    {\"number\": %ld, \"name\": ",
                                 rert_roi_number(row->roi)) &&
              put_text(sb, rert_roi_name(row->roi), true);
    if (ok && d == NULL) {
        ok = rert_strbuf_puts(NULL, sb, ", \"error\": ") &&
             put_text(sb, row->error.message, true);
    }
    if (ok && d != NULL) {
        ok = json_field(sb, "volume_cc", rert_dvh_volume_cc(d)) &&
             json_field(sb, "contour_volume_cc",
                        rert_dvh_contour_volume_cc(d)) &&
             json_field(sb, "outside_cc", rert_dvh_outside_cc(d)) &&
             json_field(sb, "min_gy", rert_dvh_min_gy(d)) &&
             json_field(sb, "mean_gy", rert_dvh_mean_gy(d)) &&
             json_field(sb, "max_gy", rert_dvh_max_gy(d)) &&
             json_field(sb, "samples", (double)rert_dvh_sample_count(d));
        for (size_t m = 0; ok && m < p->metric_count; m++) {
            ok = json_field(sb, p->metrics[m].name,
                            rert_dvh_metric_compute(d, &p->metrics[m]));
        }
    }
    ok = ok && rert_strbuf_puts(NULL, sb, ",\n     \"warnings\": [") &&
         put_warnings(sb, row, true) && rert_strbuf_puts(NULL, sb, "]");
    ok = ok && (d == NULL || json_curve(p, d, sb));
    return ok && rert_strbuf_puts(NULL, sb, "}");
}

static bool
write_json(const Params *p, const Row *rows, size_t n, RertStrbuf *sb)
{
    bool ok =
        rert_strbuf_puts(NULL, sb, "{\n  \"dose\": ") &&
        put_text(sb, p->dose_path, true) &&
        rert_strbuf_puts(NULL, sb, ",\n  \"structures\": ") &&
        put_text(sb, p->structures_path, true) &&
        rert_strbuf_printf(
            NULL, sb,
            ",\n  \"end_caps\": \"%s\",\n  \"end_profile\": \"%s\",\n"
            "  \"rois\": [\n",
            p->options.end_caps == RERT_DVH_END_CAPS_NONE ? "none" : "half",
            p->options.end_profile == RERT_DVH_END_PROFILE_MIDPOINT ? "midpoint"
                                                                    : "fitted");
    for (size_t i = 0; ok && i < n; i++) {
        ok = json_row(p, &rows[i], sb) &&
             rert_strbuf_puts(NULL, sb, i + 1 < n ? ",\n" : "\n");
    }
    return ok && rert_strbuf_puts(NULL, sb, "  ]\n}\n");
}

static int emit(const Params *p, const Row *rows, size_t n)
{
    RertStrbuf sb;
    RertError err;
    rert_strbuf_init(&sb, OUTPUT_MAX_BYTES);
    bool ok =
        p->is_json ? write_json(p, rows, n, &sb) : write_csv(p, rows, n, &sb);
    if (!ok) {
        rert_strbuf_clear(&sb);
        cli_error(CMD, "output larger than %zu bytes or out of memory",
                  OUTPUT_MAX_BYTES);
        return RERT_EXIT_INTERNAL;
    }
    int rc = RERT_EXIT_OK;
    if (p->output_path != NULL) {
        if (!rert_file_save_atomic(&err, p->output_path, sb.data, sb.len)) {
            rc = cli_fail(CMD, &err);
        }
    } else if (fwrite(sb.data, 1, sb.len, stdout) != sb.len) {
        cli_error(CMD, "writing to stdout failed");
        rc = RERT_EXIT_IO;
    }
    rert_strbuf_clear(&sb);
    return rc;
}

static int
check_frames(const Params *p, const RertDose *dose, const RertStructureSet *ss)
{
    const char *a = rert_dose_meta(dose)->frame_of_reference_uid;
    const char *b = rert_structure_set_meta(ss)->frame_of_reference_uid;
    if (a[0] != '\0' && b[0] != '\0' && strcmp(a, b) != 0) {
        cli_error(CMD,
                  "%s has FrameOfReferenceUID %s but %s has %s: register "
                  "them first",
                  p->dose_path, a, p->structures_path, b);
        return RERT_EXIT_INPUT;
    }
    return RERT_EXIT_OK;
}

static int
run(const Params *p, const RertDose *dose, const RertStructureSet *ss)
{
    size_t n = 0;
    int rc = check_frames(p, dose, ss);
    if (rc != RERT_EXIT_OK) {
        return rc;
    }
    Row *rows = select_rows(p, ss, &n);
    if (rows == NULL) {
        return RERT_EXIT_USAGE;
    }
    rc = compute_rows(p, rert_dose_volume(dose), rows, n) ? emit(p, rows, n)
                                                          : RERT_EXIT_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        if (!cli_quiet && rows[i].error.code != RERT_OK) {
            cli_error(CMD, "ROI %ld '%s': %s", rert_roi_number(rows[i].roi),
                      rert_roi_name(rows[i].roi), rows[i].error.message);
        }
        rert_dvh_destroy(rows[i].dvh);
    }
    rert_free(rows);
    return rc;
}

int cmd_dvh(int argc, char **argv)
{
    Params p;
    int parsed = parse_args(&p, argc, argv);
    if (parsed != 0) {
        return parsed == 1 ? RERT_EXIT_OK : RERT_EXIT_USAGE;
    }
    RertError err;
    RertDose *dose = rert_dose_load(&err, p.dose_path, NULL);
    if (dose == NULL) {
        return cli_fail(CMD, &err);
    }
    RertStructureSet *ss =
        rert_structure_set_load(&err, p.structures_path, NULL);
    if (ss == NULL) {
        rert_dose_destroy(dose);
        return cli_fail(CMD, &err);
    }
    int rc = run(&p, dose, ss);
    rert_structure_set_destroy(ss);
    rert_dose_destroy(dose);
    return rc;
}
