/* rert info: describe the DICOM RT objects in files or folders. One
 * description tree (cJSON) is built per object and rendered as JSON
 * (--json) or as indented text. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <rert/rert.h>

#include "cli.h"

#define MAX_SERIES 256

typedef struct Series {
    char uid[RERT_UID_SIZE];
    char root[4096]; /* the PATH argument the series was found under */
    size_t files;
} Series;

typedef struct Scan {
    const char *root;
    cJSON *objects; /* array */
    Series series[MAX_SERIES];
    size_t series_count;
    size_t failures;
} Scan;

static void usage(FILE *out)
{
    (void)fprintf(out,
                  "usage: rert info [--json] PATH...\n\n"
                  "Describes every DICOM RT object in the files and folders "
                  "(searched recursively):\nmodality, patient, frame of "
                  "reference, grid (dims, spacing, origin, orientation),\n"
                  "dose units/type/scaling, ROIs with contour counts, "
                  "fraction groups and beams.\nImage slices are grouped into "
                  "series. Files that are not DICOM are listed as errors.\n\n"
                  "example:\n  rert info --json patient/course1\n");
}

static void add_meta(cJSON *o, const RertRtMeta *m)
{
    cJSON_AddStringToObject(o, "modality", m->modality);
    cJSON_AddStringToObject(o, "patient_id", m->patient_id);
    cJSON_AddStringToObject(o, "patient_name", m->patient_name);
    cJSON_AddStringToObject(o, "study_instance_uid", m->study_instance_uid);
    cJSON_AddStringToObject(o, "series_instance_uid", m->series_instance_uid);
    cJSON_AddStringToObject(o, "sop_instance_uid", m->sop_instance_uid);
    cJSON_AddStringToObject(o, "frame_of_reference_uid",
                            m->frame_of_reference_uid);
}

static cJSON *number_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a != NULL && i < n; i++) {
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    }
    return a;
}

static void add_grid(cJSON *o, const RertVolume *v)
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    cJSON *grid = cJSON_AddObjectToObject(o, "grid");
    double dims[3] = {(double)g->dims[0], (double)g->dims[1],
                      (double)g->dims[2]};
    cJSON_AddItemToObject(grid, "dims", number_array(dims, 3));
    cJSON_AddItemToObject(grid, "spacing_mm", number_array(g->spacing_mm, 3));
    cJSON_AddItemToObject(grid, "origin_mm", number_array(g->origin_mm, 3));
    cJSON_AddItemToObject(grid, "direction", number_array(g->direction, 9));
    float lo;
    float hi;
    rert_volume_minmax(v, &lo, &hi);
    cJSON_AddNumberToObject(o, "min_value", (double)lo);
    cJSON_AddNumberToObject(o, "max_value", (double)hi);
}

static void add_warnings(cJSON *o,
                         size_t n,
                         const char *(*get)(const void *, size_t),
                         const void *obj)
{
    if (n == 0) {
        return;
    }
    cJSON *w = cJSON_AddArrayToObject(o, "warnings");
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToArray(w, cJSON_CreateString(get(obj, i)));
    }
}

static const char *dose_warning(const void *obj, size_t i)
{
    return rert_dose_warning(obj, i);
}

static const char *structure_warning(const void *obj, size_t i)
{
    return rert_structure_set_warning(obj, i);
}

static const char *plan_warning(const void *obj, size_t i)
{
    return rert_plan_warning(obj, i);
}

static bool describe_dose(RertError *err, const char *path, cJSON *o)
{
    /* RELATIVE doses are described as stored (1.0 = 1 "Gy"): info
     * reports, it does not compute with them. */
    RertDoseLoadOptions options = rert_dose_load_options_default();
    options.relative_normalisation_gy = 1.0;
    RertDose *dose = rert_dose_load(err, path, &options);
    if (dose == NULL) {
        return false;
    }
    add_meta(o, rert_dose_meta(dose));
    cJSON_AddStringToObject(o, "dose_units", rert_dose_source_units(dose));
    cJSON_AddStringToObject(o, "dose_type",
                            rert_dose_type_name(rert_dose_type(dose)));
    cJSON_AddStringToObject(o, "dose_summation_type",
                            rert_dose_summation_type(dose));
    cJSON_AddNumberToObject(o, "dose_grid_scaling",
                            rert_dose_grid_scaling(dose));
    cJSON_AddStringToObject(o, "dose_comment", rert_dose_comment(dose));
    cJSON_AddStringToObject(o, "referenced_plan_uid",
                            rert_dose_referenced_plan_uid(dose));
    add_grid(o, rert_dose_volume(dose));
    add_warnings(o, rert_dose_warning_count(dose), dose_warning, dose);
    rert_dose_destroy(dose);
    return true;
}

static cJSON *describe_roi(const RertRoi *roi)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "number", (double)rert_roi_number(roi));
    cJSON_AddStringToObject(r, "name", rert_roi_name(roi));
    cJSON_AddStringToObject(r, "interpreted_type",
                            rert_roi_interpreted_type(roi));
    cJSON_AddNumberToObject(r, "contours", (double)rert_roi_contour_count(roi));
    cJSON_AddNumberToObject(r, "points", (double)rert_roi_point_count(roi));
    uint8_t rgb[3];
    if (rert_roi_color(roi, rgb)) {
        double c[3] = {rgb[0], rgb[1], rgb[2]};
        cJSON_AddItemToObject(r, "color", number_array(c, 3));
    }
    if (rert_roi_status(roi) != RERT_OK) {
        cJSON_AddStringToObject(r, "error", rert_roi_error(roi));
    }
    return r;
}

static bool describe_structures(RertError *err, const char *path, cJSON *o)
{
    RertStructureSet *ss = rert_structure_set_load(err, path, NULL);
    if (ss == NULL) {
        return false;
    }
    add_meta(o, rert_structure_set_meta(ss));
    cJSON_AddStringToObject(o, "label", rert_structure_set_label(ss));
    cJSON *rois = cJSON_AddArrayToObject(o, "rois");
    for (size_t i = 0; i < rert_structure_set_roi_count(ss); i++) {
        cJSON_AddItemToArray(rois,
                             describe_roi(rert_structure_set_roi_at(ss, i)));
    }
    add_warnings(o, rert_structure_set_warning_count(ss), structure_warning,
                 ss);
    rert_structure_set_destroy(ss);
    return true;
}

static cJSON *describe_group(const RertFractionGroup *g)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "number", (double)g->number);
    if (g->has_fractions) {
        cJSON_AddNumberToObject(f, "fractions_planned",
                                (double)g->fractions_planned);
    }
    cJSON_AddNumberToObject(f, "referenced_beams", (double)g->beam_count);
    if (g->has_dose_per_fraction) {
        cJSON_AddNumberToObject(f, "dose_per_fraction_gy",
                                g->dose_per_fraction_gy);
    }
    return f;
}

static bool describe_plan(RertError *err, const char *path, cJSON *o)
{
    RertPlan *plan = rert_plan_load(err, path, NULL);
    if (plan == NULL) {
        return false;
    }
    add_meta(o, rert_plan_meta(plan));
    cJSON_AddStringToObject(o, "label", rert_plan_label(plan));
    cJSON_AddStringToObject(o, "name", rert_plan_name(plan));
    cJSON_AddStringToObject(o, "intent", rert_plan_intent(plan));
    cJSON_AddStringToObject(o, "referenced_structure_set_uid",
                            rert_plan_referenced_structure_set_uid(plan));
    double rx = 0;
    if (rert_plan_prescription_gy(plan, &rx)) {
        cJSON_AddNumberToObject(o, "prescription_gy", rx);
    }
    cJSON *groups = cJSON_AddArrayToObject(o, "fraction_groups");
    for (size_t i = 0; i < rert_plan_fraction_group_count(plan); i++) {
        cJSON_AddItemToArray(
            groups, describe_group(rert_plan_fraction_group_at(plan, i)));
    }
    cJSON *beams = cJSON_AddArrayToObject(o, "beams");
    for (size_t i = 0; i < rert_plan_beam_count(plan); i++) {
        const RertBeam *b = rert_plan_beam_at(plan, i);
        cJSON *jb = cJSON_CreateObject();
        cJSON_AddNumberToObject(jb, "number", (double)b->number);
        cJSON_AddStringToObject(jb, "name", b->name);
        cJSON_AddStringToObject(jb, "radiation_type",
                                rert_radiation_type_name(b->radiation_type));
        cJSON_AddItemToArray(beams, jb);
    }
    add_warnings(o, rert_plan_warning_count(plan), plan_warning, plan);
    rert_plan_destroy(plan);
    return true;
}

static bool describe_series(RertError *err, const Series *s, cJSON *o)
{
    RertImageSeries *series =
        rert_image_series_load(err, s->root, s->uid, NULL);
    if (series == NULL) {
        return false;
    }
    add_meta(o, rert_image_series_meta(series));
    cJSON_AddStringToObject(o, "series_description",
                            rert_image_series_meta(series)->series_description);
    cJSON_AddNumberToObject(o, "slices",
                            (double)rert_image_series_slice_count(series));
    add_grid(o, rert_image_series_volume(series));
    rert_image_series_destroy(series);
    return true;
}

static void add_failure(Scan *scan, const char *path, const RertError *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "object", "ERROR");
    cJSON_AddStringToObject(o, "error", err->message);
    cJSON_AddStringToObject(o, "error_code", rert_error_code_name(err->code));
    cJSON_AddItemToArray(scan->objects, o);
    scan->failures++;
}

static bool
note_slice(RertError *err, Scan *scan, const RertDataset *ds, const char *path)
{
    char uid[RERT_UID_SIZE];
    if (!rert_dataset_get_string(err, ds, RERT_TAG(0x0020, 0x000E), 0, uid,
                                 sizeof uid)) {
        rert_error_prefix(err, "%s: image without SeriesInstanceUID", path);
        return false;
    }
    for (size_t i = 0; i < scan->series_count; i++) {
        if (strcmp(scan->series[i].uid, uid) == 0 &&
            strcmp(scan->series[i].root, scan->root) == 0) {
            scan->series[i].files++;
            return true;
        }
    }
    if (scan->series_count == MAX_SERIES) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s: more than %d image series", path,
                              MAX_SERIES);
    }
    Series *s = &scan->series[scan->series_count++];
    (void)snprintf(s->uid, sizeof s->uid, "%s", uid);
    (void)snprintf(s->root, sizeof s->root, "%s", scan->root);
    s->files = 1;
    return true;
}

static bool visit(RertError *err, const char *path, void *user)
{
    (void)err; /* per-file problems are listed, the walk goes on */
    Scan *scan = user;
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.stop_before_pixel_data = true;
    RertError local;
    rert_error_clear(&local);
    RertDataset *ds = rert_dicom_load(&local, path, &po, NULL);
    bool ok = ds != NULL;
    RertRtObjectKind kind =
        ok ? rert_rt_object_kind(ds) : RERT_RT_OBJECT_UNKNOWN;
    if (ok && (kind == RERT_RT_OBJECT_CT || kind == RERT_RT_OBJECT_MR ||
               kind == RERT_RT_OBJECT_PT)) {
        ok = note_slice(&local, scan, ds, path);
        rert_dataset_destroy(ds);
        if (!ok) {
            add_failure(scan, path, &local);
        }
        return true; /* keep walking */
    }
    rert_dataset_destroy(ds);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "object", rert_rt_object_kind_name(kind));
    if (ok && kind == RERT_RT_OBJECT_RTDOSE) {
        ok = describe_dose(&local, path, o);
    } else if (ok && kind == RERT_RT_OBJECT_RTSTRUCT) {
        ok = describe_structures(&local, path, o);
    } else if (ok && (kind == RERT_RT_OBJECT_RTPLAN ||
                      kind == RERT_RT_OBJECT_RTIONPLAN)) {
        ok = describe_plan(&local, path, o);
    }
    if (!ok) {
        cJSON_Delete(o);
        add_failure(scan, path, &local);
    } else {
        cJSON_AddItemToArray(scan->objects, o);
    }
    return true;
}

static void describe_all_series(Scan *scan)
{
    for (size_t i = 0; i < scan->series_count; i++) {
        RertError err;
        rert_error_clear(&err);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", scan->series[i].root);
        cJSON_AddStringToObject(o, "object", "IMAGE_SERIES");
        if (!describe_series(&err, &scan->series[i], o)) {
            cJSON_Delete(o);
            add_failure(scan, scan->series[i].root, &err);
        } else {
            cJSON_AddItemToArray(scan->objects, o);
        }
    }
}

/* Text rendering of the description tree: "key: value", nested objects
 * and arrays indented. Recursion depth is that of the tree built above
 * (at most 4). */
// NOLINTNEXTLINE(misc-no-recursion): depth bounded as said above
static void render_text(const cJSON *node, int depth)
{
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, node)
    {
        const char *key = item->string != NULL ? item->string : "-";
        if ((cJSON_IsString(item) && item->valuestring[0] == '\0') ||
            (depth == 1 && strcmp(key, "path") == 0)) {
            continue; /* empty values; the path is the heading */
        }
        if (cJSON_IsArray(item) && cJSON_GetArraySize(item) > 0 &&
            cJSON_IsNumber(cJSON_GetArrayItem(item, 0))) {
            (void)printf("%*s%s:", depth * 2, "", key);
            const cJSON *n = NULL;
            cJSON_ArrayForEach(n, item)
            {
                (void)printf(" %.6g", n->valuedouble);
            }
            (void)printf("\n");
        } else if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
            (void)printf("%*s%s:\n", depth * 2, "", key);
            render_text(item, depth + 1);
        } else if (cJSON_IsString(item)) {
            (void)printf("%*s%s: %s\n", depth * 2, "", key, item->valuestring);
        } else if (cJSON_IsNumber(item)) {
            (void)printf("%*s%s: %.10g\n", depth * 2, "", key,
                         item->valuedouble);
        }
    }
}

static int emit(const Scan *scan, bool json)
{
    if (json) {
        char *text = cJSON_Print(scan->objects);
        if (text == NULL) {
            cli_error("info", "out of memory rendering JSON");
            return RERT_EXIT_INTERNAL;
        }
        (void)printf("%s\n", text);
        cJSON_free(text);
    } else {
        const cJSON *o = NULL;
        cJSON_ArrayForEach(o, scan->objects)
        {
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
            (void)printf("== %s\n", cJSON_GetStringValue(path));
            render_text(o, 1);
        }
    }
    return scan->failures > 0 ? RERT_EXIT_INPUT : RERT_EXIT_OK;
}

/* --json (CliOptionFn). */
/* char *arg: the CliOptionFn signature */
// NOLINTNEXTLINE(readability-non-const-parameter)
static bool apply_json(void *ctx, int c, char *arg)
{
    (void)arg;
    *(bool *)ctx = c == 'j';
    return c == 'j';
}

int cmd_info(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int parsed =
        cli_parse_options(argc, argv, "h", options, apply_json, &json, usage);
    if (parsed != CLI_OPTIONS_OK) {
        return parsed == CLI_OPTIONS_HELP ? RERT_EXIT_OK : RERT_EXIT_USAGE;
    }
    if (optind >= argc) {
        usage(stderr);
        return RERT_EXIT_USAGE;
    }
    Scan scan;
    memset(&scan, 0, sizeof scan);
    scan.objects = cJSON_CreateArray();
    for (int i = optind; i < argc; i++) {
        RertError err;
        rert_error_clear(&err);
        scan.root = argv[i];
        bool ok = rert_path_is_dir(argv[i])
                      ? rert_dir_walk(&err, argv[i], 16, 1000000, visit, &scan)
                      : visit(&err, argv[i], &scan);
        if (!ok) {
            add_failure(&scan, argv[i], &err);
        }
    }
    describe_all_series(&scan);
    int rc = emit(&scan, json);
    cJSON_Delete(scan.objects);
    return rc;
}
