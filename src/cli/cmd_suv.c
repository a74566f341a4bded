/* rert suv: SUVbw/SUL factors of a PET series and SUV statistics of a
 * structure, with tumour-to-background ratios and published thresholds
 * read as decision support (docs/pet.md). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/io.h>
#include <rert/pet.h>
#include <rert/report.h>
#include <rert/rt.h>

#include "cli.h"

#define CMD "suv"
#define MAX_THRESHOLDS 16
#define OUTPUT_MAX_BYTES ((size_t)1 << 24)
#define NOTE                                                                   \
    "decision support only, not a diagnosis: SUV and TBR thresholds depend "   \
    "on the centre's acquisition, reconstruction and ROI method"

typedef struct Params {
    const char *pet_dir;
    const char *series_uid;
    const char *structures_path;
    const char *roi;
    const char *background;
    const char *thresholds_path;
    const char *threshold_ids[MAX_THRESHOLDS];
    size_t threshold_count;
    bool is_json;
    const char *output_path;
} Params;

/* What was computed. */
typedef struct Result {
    const RertPetImage *pet;
    const RertRoi *roi;
    const RertRoi *background;
    RertPetRoiStats stats;
    RertPetRoiStats background_stats;
    RertPetTbr tbr;
    const RertPetThreshold *thresholds[MAX_THRESHOLDS];
    double values[MAX_THRESHOLDS];
} Result;

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: rert suv --pet DIR [options]\n\n"
        "SUV body weight (SUVbw) and lean body mass (SUL) factors of a PET\n"
        "series (vendor-neutral QIBA algorithm) and, with a structure, its\n"
        "SUVmax, SUVmean, SUVpeak (1 cc sphere) and volume.\n"
        "  --pet DIR|FILE       PET image series (folder searched)\n"
        "  --series UID         the series when the folder holds several\n"
        "  --structures FILE    RT Structure Set on the PET frame of "
        "reference\n"
        "  --roi NAME|NUMBER    structure to measure\n"
        "  --background ROI     background structure: TBRmax and TBRmean\n"
        "  --threshold ID       read a published threshold (repeatable; ids "
        "in\n"
        "                       data/pet_thresholds.yaml): \"suggests ...\"\n"
        "  --thresholds FILE    threshold table instead of the default\n"
        "  --json               JSON output (default: text)\n"
        "  -o, --output FILE    write there (atomically) instead of stdout\n"
        "  -h, --help           this text\n\n"
        "example:\n"
        "  rert suv --pet PET/ --structures RS.dcm --roi GTV --background "
        "Brain \\\n"
        "      --threshold fet-gbm-early-psp-galldiks2015 --json\n"
        "Method and limits: docs/pet.md. Decision support only, not a "
        "diagnosis.\n");
}

/* char *arg: the CliOptionFn signature */
// NOLINTNEXTLINE(readability-non-const-parameter)
static bool parse_option(void *ctx, int c, char *arg)
{
    Params *p = ctx;
    switch (c) {
    case 'p':
        p->pet_dir = arg;
        return true;
    case 'u':
        p->series_uid = arg;
        return true;
    case 's':
        p->structures_path = arg;
        return true;
    case 'r':
        p->roi = arg;
        return true;
    case 'b':
        p->background = arg;
        return true;
    case 'T':
        p->thresholds_path = arg;
        return true;
    case 't':
        if (p->threshold_count >= MAX_THRESHOLDS) {
            cli_error(CMD, "more than %d --threshold options", MAX_THRESHOLDS);
            return false;
        }
        p->threshold_ids[p->threshold_count++] = arg;
        return true;
    case 'j':
        p->is_json = true;
        return true;
    case 'o':
        p->output_path = arg;
        return true;
    default:
        return false;
    }
}

static bool check_params(const Params *p)
{
    if (p->pet_dir == NULL) {
        cli_error(CMD, "--pet is required");
        return false;
    }
    if ((p->roi != NULL || p->background != NULL) &&
        p->structures_path == NULL) {
        cli_error(CMD, "--roi and --background need --structures");
        return false;
    }
    if (p->structures_path != NULL && p->roi == NULL) {
        cli_error(CMD, "--structures needs --roi");
        return false;
    }
    return true;
}

/* 0 = parsed, 1 = --help shown, 2 = usage error. */
static int parse_args(Params *p, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pet", required_argument, NULL, 'p'},
        {"series", required_argument, NULL, 'u'},
        {"structures", required_argument, NULL, 's'},
        {"roi", required_argument, NULL, 'r'},
        {"background", required_argument, NULL, 'b'},
        {"threshold", required_argument, NULL, 't'},
        {"thresholds", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(p, 0, sizeof *p);
    int parsed =
        cli_parse_options(argc, argv, "ho:", longopts, parse_option, p, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed;
    }
    if (optind < argc) {
        cli_error(CMD, "unexpected argument '%s'", argv[optind]);
        return 2;
    }
    if (!check_params(p)) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* ROI for a --roi value: a number when it parses as one and exists,
 * otherwise a name. */
static int measure(const Params *p,
                   const RertStructureSet *ss,
                   const char *key,
                   const RertRoi **roi,
                   RertPetRoiStats *stats,
                   const Result *r)
{
    *roi = cli_find_roi(ss, key);
    if (*roi == NULL) {
        cli_error(CMD, "no ROI '%s' in %s", key, p->structures_path);
        return RERT_EXIT_USAGE;
    }
    size_t n = 0;
    const RertPolygon *polys = rert_roi_polygons(*roi, &n);
    RertError err;
    if (rert_roi_status(*roi) != RERT_OK || n == 0) {
        cli_error(CMD, "ROI '%s' has no usable closed contours%s%s", key,
                  rert_roi_status(*roi) != RERT_OK ? ": " : "",
                  rert_roi_error(*roi));
        return RERT_EXIT_INPUT;
    }
    if (!rert_pet_roi_stats_compute(&err, rert_pet_image_suv(r->pet), polys, n,
                                    NULL, stats)) {
        rert_error_prefix(&err, "ROI '%s'", key);
        return cli_fail(CMD, &err);
    }
    return RERT_EXIT_OK;
}

static int check_frames(const Params *p,
                        const RertPetImage *pet,
                        const RertStructureSet *ss)
{
    const char *a = rert_image_series_meta(rert_pet_image_series(pet))
                        ->frame_of_reference_uid;
    const char *b = rert_structure_set_meta(ss)->frame_of_reference_uid;
    if (a[0] != '\0' && b[0] != '\0' && strcmp(a, b) != 0) {
        cli_error(CMD,
                  "the PET has FrameOfReferenceUID %s but %s has %s: register "
                  "them first",
                  a, p->structures_path, b);
        return RERT_EXIT_INPUT;
    }
    return RERT_EXIT_OK;
}

static double metric_value(const Result *r, RertPetMetric m)
{
    switch (m) {
    case RERT_PET_METRIC_SUV_MAX:
        return r->roi != NULL ? r->stats.suv_max : (double)NAN;
    case RERT_PET_METRIC_SUV_MEAN:
        return r->roi != NULL ? r->stats.suv_mean : (double)NAN;
    case RERT_PET_METRIC_SUV_PEAK:
        return r->roi != NULL ? r->stats.suv_peak : (double)NAN;
    case RERT_PET_METRIC_TBR_MAX:
        return r->background != NULL ? r->tbr.tbr_max : (double)NAN;
    default:
        return r->background != NULL ? r->tbr.tbr_mean : (double)NAN;
    }
}

static int
choose_thresholds(const Params *p, const RertPetThresholdSet *set, Result *r)
{
    for (size_t i = 0; i < p->threshold_count; i++) {
        const RertPetThreshold *t =
            rert_pet_thresholds_find(set, p->threshold_ids[i]);
        if (t == NULL) {
            cli_error(CMD,
                      "--threshold '%s': no such id in the threshold "
                      "table",
                      p->threshold_ids[i]);
            return RERT_EXIT_USAGE;
        }
        r->thresholds[i] = t;
        r->values[i] = metric_value(r, t->metric);
        if (!isfinite(r->values[i])) {
            cli_error(CMD, "--threshold '%s' reads %s, which needs %s", t->id,
                      rert_pet_metric_name(t->metric),
                      t->metric >= RERT_PET_METRIC_TBR_MAX
                          ? "--roi and --background"
                          : "--roi");
            return RERT_EXIT_USAGE;
        }
    }
    return RERT_EXIT_OK;
}

/* ---- output */

static void json_point(RertJsonWriter *w, const char *key, RertVec3 v)
{
    (void)rert_json_write_key(NULL, w, key);
    (void)rert_json_array_begin(NULL, w);
    (void)rert_json_write_number(NULL, w, v.x);
    (void)rert_json_write_number(NULL, w, v.y);
    (void)rert_json_write_number(NULL, w, v.z);
    (void)rert_json_array_end(NULL, w);
}

static void json_stats(RertJsonWriter *w,
                       const char *key,
                       const RertRoi *roi,
                       const RertPetRoiStats *s,
                       const RertSuvResult *f)
{
    (void)rert_json_write_key(NULL, w, key);
    (void)rert_json_object_begin(NULL, w);
    (void)rert_json_write_key_int(NULL, w, "number", rert_roi_number(roi));
    (void)rert_json_write_key_string(NULL, w, "name", rert_roi_name(roi));
    (void)rert_json_write_key_number(NULL, w, "volume_cc", s->volume_cc);
    (void)rert_json_write_key_int(NULL, w, "voxel_count",
                                  (int64_t)s->voxel_count);
    (void)rert_json_write_key_number(NULL, w, "suv_max", s->suv_max);
    (void)rert_json_write_key_number(NULL, w, "suv_mean", s->suv_mean);
    (void)rert_json_write_key_number(NULL, w, "suv_peak", s->suv_peak);
    double to_sul = f->has_sul ? f->lbm_kg / f->weight_kg : (double)NAN;
    (void)rert_json_write_key_number(NULL, w, "sul_max", s->suv_max * to_sul);
    (void)rert_json_write_key_number(NULL, w, "sul_mean", s->suv_mean * to_sul);
    (void)rert_json_write_key_number(NULL, w, "sul_peak", s->suv_peak * to_sul);
    (void)rert_json_write_key_number(NULL, w, "peak_radius_mm",
                                     s->peak_radius_mm);
    (void)rert_json_write_key_number(NULL, w, "peak_sampled_cc",
                                     s->peak_sampled_cc);
    json_point(w, "max_xyz_mm", s->max_xyz);
    json_point(w, "peak_xyz_mm", s->peak_xyz);
    (void)rert_json_object_end(NULL, w);
}

static void json_factors(RertJsonWriter *w, const RertSuvResult *f)
{
    (void)rert_json_write_key_string(NULL, w, "units", f->units);
    (void)rert_json_write_key_string(NULL, w, "decay_correction",
                                     f->decay_correction);
    (void)rert_json_write_key_string(NULL, w, "method",
                                     rert_suv_method_name(f->method));
    (void)rert_json_write_key_number(NULL, w, "suvbw_factor", f->suvbw_factor);
    (void)rert_json_write_key_number(NULL, w, "suvbw_factor_min",
                                     f->suvbw_factor_min);
    (void)rert_json_write_key_number(NULL, w, "suvbw_factor_max",
                                     f->suvbw_factor_max);
    (void)rert_json_write_key(NULL, w, "sul_factor");
    if (f->has_sul) {
        (void)rert_json_write_number(NULL, w, f->sul_factor);
    } else {
        (void)rert_json_write_null(NULL, w);
    }
    (void)rert_json_write_key_number(NULL, w, "lbm_kg",
                                     f->has_sul ? f->lbm_kg : (double)NAN);
    (void)rert_json_write_key_string(NULL, w, "lbm_formula", "Janmahasatian");
    (void)rert_json_write_key_number(NULL, w, "weight_kg", f->weight_kg);
    (void)rert_json_write_key_number(NULL, w, "height_m",
                                     f->has_height ? f->height_m : (double)NAN);
    char sex[2] = {f->sex, '\0'};
    (void)rert_json_write_key_string(NULL, w, "sex", sex);
    (void)rert_json_write_key_number(NULL, w, "injected_dose_bq",
                                     f->injected_dose_bq);
    (void)rert_json_write_key_number(NULL, w, "half_life_s", f->half_life_s);
    (void)rert_json_write_key_number(NULL, w, "decay_time_s", f->decay_time_s);
    (void)rert_json_write_key_number(NULL, w, "decayed_dose_bq",
                                     f->decayed_dose_bq);
    (void)rert_json_write_key_string(
        NULL, w, "scan_time_source",
        rert_suv_scan_time_name(f->scan_time_source));
    (void)rert_json_write_key_string(NULL, w, "scan_datetime",
                                     f->scan_datetime);
    (void)rert_json_write_key_string(NULL, w, "injection_datetime",
                                     f->injection_datetime);
    (void)rert_json_write_key(NULL, w, "warnings");
    (void)rert_json_array_begin(NULL, w);
    for (size_t i = 0; i < f->warning_count && i < RERT_SUV_WARNINGS_MAX; i++) {
        (void)rert_json_write_string(NULL, w, f->warnings[i]);
    }
    (void)rert_json_array_end(NULL, w);
}

static void
json_interpretations(RertJsonWriter *w, const Params *p, const Result *r)
{
    (void)rert_json_write_key(NULL, w, "interpretations");
    (void)rert_json_array_begin(NULL, w);
    for (size_t i = 0; i < p->threshold_count; i++) {
        const RertPetThreshold *t = r->thresholds[i];
        char text[2048];
        const char *finding = NULL;
        if (!rert_pet_threshold_interpret(NULL, t, r->values[i], text,
                                          sizeof text, &finding)) {
            text[0] = '\0';
        }
        (void)rert_json_object_begin(NULL, w);
        (void)rert_json_write_key_string(NULL, w, "threshold", t->id);
        (void)rert_json_write_key_string(NULL, w, "metric",
                                         rert_pet_metric_name(t->metric));
        (void)rert_json_write_key_number(NULL, w, "value", r->values[i]);
        (void)rert_json_write_key_number(NULL, w, "cutoff", t->value);
        (void)rert_json_write_key_string(NULL, w, "suggests", finding);
        (void)rert_json_write_key_string(NULL, w, "text", text);
        (void)rert_json_write_key_string(NULL, w, "source", t->source);
        (void)rert_json_write_key_string(NULL, w, "evidence", t->evidence);
        (void)rert_json_object_end(NULL, w);
    }
    (void)rert_json_array_end(NULL, w);
}

static bool write_json(const Params *p, const Result *r, RertStrbuf *sb)
{
    RertJsonWriter w;
    rert_json_writer_init(&w, sb, true);
    const RertSuvResult *f = rert_pet_image_result(r->pet);
    (void)rert_json_object_begin(NULL, &w);
    (void)rert_json_write_key_string(NULL, &w, "pet", p->pet_dir);
    (void)rert_json_write_key_string(
        NULL, &w, "series_instance_uid",
        rert_image_series_meta(rert_pet_image_series(r->pet))
            ->series_instance_uid);
    json_factors(&w, f);
    if (r->roi != NULL) {
        (void)rert_json_write_key_string(NULL, &w, "structures",
                                         p->structures_path);
        json_stats(&w, "roi", r->roi, &r->stats, f);
    }
    if (r->background != NULL) {
        json_stats(&w, "background", r->background, &r->background_stats, f);
        (void)rert_json_write_key(NULL, &w, "tbr");
        (void)rert_json_object_begin(NULL, &w);
        (void)rert_json_write_key_number(NULL, &w, "tbr_max", r->tbr.tbr_max);
        (void)rert_json_write_key_number(NULL, &w, "tbr_mean", r->tbr.tbr_mean);
        (void)rert_json_write_key_number(NULL, &w, "background_suv_mean",
                                         r->tbr.background_mean);
        (void)rert_json_object_end(NULL, &w);
    }
    json_interpretations(&w, p, r);
    (void)rert_json_write_key_string(NULL, &w, "note", NOTE);
    (void)rert_json_object_end(NULL, &w);
    return rert_json_writer_finish(NULL, &w);
}

static bool text_stats(RertStrbuf *sb,
                       const char *what,
                       const RertRoi *roi,
                       const RertPetRoiStats *s)
{
    return rert_strbuf_printf(
        NULL, sb,
        "%s '%s': volume %.3g cc, SUVmax %.4g, SUVmean %.4g, SUVpeak %.4g "
        "(1 cc sphere, radius %.2f mm)\n",
        what, rert_roi_name(roi), s->volume_cc, s->suv_max, s->suv_mean,
        s->suv_peak, s->peak_radius_mm);
}

static bool write_text(const Params *p, const Result *r, RertStrbuf *sb)
{
    const RertSuvResult *f = rert_pet_image_result(r->pet);
    bool ok = rert_strbuf_printf(
        NULL, sb,
        "SUVbw factor %.6g g/mL per Bq/mL (Units %s, method %s; decay "
        "correction "
        "%s; scan time %s from %s; injection %s)\n",
        f->suvbw_factor, f->units, rert_suv_method_name(f->method),
        f->decay_correction, f->scan_datetime,
        rert_suv_scan_time_name(f->scan_time_source), f->injection_datetime);
    ok = ok &&
         (f->has_sul ? rert_strbuf_printf(NULL, sb,
                                          "SUL factor %.6g (lean body mass "
                                          "%.2f kg, Janmahasatian)\n",
                                          f->sul_factor, f->lbm_kg)
                     : rert_strbuf_puts(NULL, sb, "SUL: not available\n"));
    ok = ok && (r->roi == NULL || text_stats(sb, "ROI", r->roi, &r->stats));
    ok = ok &&
         (r->background == NULL ||
          (text_stats(sb, "background", r->background, &r->background_stats) &&
           rert_strbuf_printf(NULL, sb, "TBRmax %.3g, TBRmean %.3g\n",
                              r->tbr.tbr_max, r->tbr.tbr_mean)));
    for (size_t i = 0; ok && i < p->threshold_count; i++) {
        char text[2048];
        ok = rert_pet_threshold_interpret(NULL, r->thresholds[i], r->values[i],
                                          text, sizeof text, NULL) &&
             rert_strbuf_printf(NULL, sb, "%s: %s\n", r->thresholds[i]->id,
                                text);
    }
    for (size_t i = 0; ok && i < f->warning_count && i < RERT_SUV_WARNINGS_MAX;
         i++) {
        ok = rert_strbuf_printf(NULL, sb, "warning: %s\n", f->warnings[i]);
    }
    return ok;
}

static int emit(const Params *p, const Result *r)
{
    RertStrbuf sb;
    RertError err;
    rert_strbuf_init(&sb, OUTPUT_MAX_BYTES);
    bool ok = p->is_json ? write_json(p, r, &sb) : write_text(p, r, &sb);
    int rc = RERT_EXIT_OK;
    if (!ok) {
        cli_error(CMD, "output larger than %zu bytes or out of memory",
                  OUTPUT_MAX_BYTES);
        rc = RERT_EXIT_INTERNAL;
    } else if (p->output_path != NULL) {
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
with_structures(const Params *p, const RertStructureSet *ss, Result *r)
{
    int rc = check_frames(p, r->pet, ss);
    rc =
        rc != RERT_EXIT_OK ? rc : measure(p, ss, p->roi, &r->roi, &r->stats, r);
    if (rc == RERT_EXIT_OK && p->background != NULL) {
        rc = measure(p, ss, p->background, &r->background, &r->background_stats,
                     r);
        RertError err;
        if (rc == RERT_EXIT_OK &&
            !rert_pet_tbr_compute(&err, &r->stats, &r->background_stats,
                                  &r->tbr)) {
            rc = cli_fail(CMD, &err);
        }
    }
    return rc;
}

static int with_thresholds(const Params *p, Result *r)
{
    if (p->threshold_count == 0) {
        return emit(p, r);
    }
    char path[4096] = "";
    if (p->thresholds_path == NULL) {
        (void)snprintf(path, sizeof path, "%s/pet_thresholds.yaml",
                       cli_data_dir(NULL));
    }
    RertError err;
    RertPetThresholdSet *set = rert_pet_thresholds_load(
        &err, p->thresholds_path != NULL ? p->thresholds_path : path);
    if (set == NULL) {
        return cli_fail(CMD, &err);
    }
    int rc = choose_thresholds(p, set, r);
    rc = rc == RERT_EXIT_OK ? emit(p, r) : rc;
    rert_pet_thresholds_destroy(set);
    return rc;
}

int cmd_suv(int argc, char **argv)
{
    Params p;
    int parsed = parse_args(&p, argc, argv);
    if (parsed != 0) {
        return parsed == 1 ? RERT_EXIT_OK : RERT_EXIT_USAGE;
    }
    RertError err;
    RertPetImage *pet =
        rert_pet_image_load(&err, p.pet_dir, p.series_uid, NULL);
    if (pet == NULL) {
        return cli_fail(CMD, &err);
    }
    Result r;
    memset(&r, 0, sizeof r);
    r.pet = pet;
    int rc = RERT_EXIT_OK;
    RertStructureSet *ss = NULL;
    if (p.structures_path != NULL) {
        ss = rert_structure_set_load(&err, p.structures_path, NULL);
        rc = ss == NULL ? cli_fail(CMD, &err) : with_structures(&p, ss, &r);
    }
    if (rc == RERT_EXIT_OK) {
        rc = with_thresholds(&p, &r);
    }
    rert_structure_set_destroy(ss);
    rert_pet_image_destroy(pet);
    return rc;
}
