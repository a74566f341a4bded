/* Course dose -> BED/EQDx with a per-structure alpha/beta map
 * (reirradiation-science.md section 3.1; docs/radiobiology.md). */
#include <stdio.h>
#include <string.h>

#include <rert/biodose.h>
#include <rert/core.h>

RertBiodoseOptions rert_biodose_options_default(void)
{
    RertBiodoseOptions o;
    memset(&o, 0, sizeof o);
    o.quantity = RERT_BIO_EQDX;
    o.x_gy = RERT_EQD2_REFERENCE_GY;
    o.model = rert_lq_model_default();
    o.overlap_rule = RERT_AB_OVERLAP_LOWEST;
    o.inside_min_frac = RERT_AB_MAP_INSIDE_DEFAULT_FRAC;
    o.raster = rert_raster_options_default();
    return o;
}

void rert_biodose_report_clear(RertBiodoseReport *report)
{
    if (report == NULL) {
        return;
    }
    rert_free(report->rois);
    report->rois = NULL;
    report->roi_count = 0;
}

/* A ROI by number (all digits) or by name; the error lists the names. */
static const RertRoi *
find_roi(RertError *err, const RertStructureSet *ss, const char *key)
{
    long number = 0;
    const RertRoi *roi = NULL;
    if (rert_parse_long(NULL, key, strlen(key), 0, 2147483647L, "ROI",
                        &number)) {
        roi = rert_structure_set_roi_by_number(ss, number);
    }
    if (roi == NULL) {
        roi = rert_structure_set_roi_by_name(ss, key);
    }
    if (roi != NULL) {
        return roi;
    }
    char names[320] = "";
    size_t used = 0;
    for (size_t i = 0; i < rert_structure_set_roi_count(ss); i++) {
        const RertRoi *r = rert_structure_set_roi_at(ss, i);
        int n =
            snprintf(names + used, sizeof names - used, "%s%ld:%s",
                     i > 0 ? ", " : "", rert_roi_number(r), rert_roi_name(r));
        if (n < 0 || (size_t)n >= sizeof names - used) {
            break;
        }
        used += (size_t)n;
    }
    rert_error_set(err, RERT_ERR_INVALID_ARG,
                   "alpha/beta assignment: no ROI named or numbered '%s' in "
                   "the structure set (ROIs: %s)",
                   key, names);
    return NULL;
}

/* Rasterise one assigned ROI onto @p grid into @p fraction. */
static bool rasterize_roi(RertError *err,
                          const RertRoi *roi,
                          const RertGridGeometry *grid,
                          const RertRasterOptions *raster,
                          float *fraction)
{
    if (rert_roi_status(roi) != RERT_OK) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI %ld '%s' cannot be used for alpha/beta: %s",
                              rert_roi_number(roi), rert_roi_name(roi),
                              rert_roi_error(roi));
    }
    size_t count = 0;
    const RertPolygon *polygons = rert_roi_polygons(roi, &count);
    if (count == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "ROI %ld '%s' has no closed planar contours: "
                              "it cannot carry an alpha/beta",
                              rert_roi_number(roi), rert_roi_name(roi));
    }
    if (!rert_rasterize_polygons(err, grid, polygons, count, raster,
                                 fraction)) {
        rert_error_prefix(err, "ROI %ld '%s'", rert_roi_number(roi),
                          rert_roi_name(roi));
        return false;
    }
    return true;
}

typedef struct Maps {
    float **occupancy;
    RertAbRoi *rois;
    int32_t *deciding;
    float *ab_map;
    size_t count;
} Maps;

static void maps_clear(Maps *m)
{
    for (size_t i = 0; m->occupancy != NULL && i < m->count; i++) {
        rert_free(m->occupancy[i]);
    }
    rert_free(m->occupancy);
    rert_free(m->rois);
    rert_free(m->deciding);
    rert_free(m->ab_map);
}

static bool fill_roi_reports(RertError *err,
                             const Maps *m,
                             const RertGridGeometry *grid,
                             const RertRoi *const *found,
                             const RertBiodoseOptions *o,
                             RertBiodoseReport *report)
{
    if (report == NULL) {
        return true;
    }
    report->rois = rert_calloc(err, m->count, sizeof *report->rois);
    if (report->rois == NULL) {
        return false;
    }
    report->roi_count = m->count;
    size_t n = rert_grid_voxel_count(grid);
    double voxel_cc = rert_grid_voxel_cc(grid);
    for (size_t r = 0; r < m->count; r++) {
        RertBiodoseRoiReport *rr = &report->rois[r];
        rr->roi_number = rert_roi_number(found[r]);
        (void)snprintf(rr->roi_name, sizeof rr->roi_name, "%s",
                       rert_roi_name(found[r]));
        rr->ab_gy = o->assignments[r].ab_gy;
        double sum = 0.0;
        for (size_t v = 0; v < n; v++) {
            sum += (double)m->occupancy[r][v];
            rr->deciding_voxels += m->deciding[v] == (int32_t)r;
        }
        rr->volume_cc = sum * voxel_cc;
    }
    return true;
}

/* Build the alpha/beta map from the assignments. */
static bool build_ab_map(RertError *err,
                         const RertGridGeometry *grid,
                         const RertStructureSet *ss,
                         const RertBiodoseOptions *o,
                         Maps *m,
                         RertBiodoseReport *report)
{
    size_t n = rert_grid_voxel_count(grid);
    const RertRoi **found = NULL;
    bool ok = false;
    m->count = o->assignment_count;
    m->occupancy = rert_calloc(err, m->count, sizeof *m->occupancy);
    m->rois = rert_calloc(err, m->count, sizeof *m->rois);
    /* an array of pointers: sizeof *found is meant */
    found = rert_calloc(err, m->count,
                        sizeof *found); // NOLINT(bugprone-sizeof-expression)
    m->deciding = rert_calloc(err, n, sizeof *m->deciding);
    m->ab_map = rert_alloc_voxels(err, n, sizeof *m->ab_map);
    if (m->occupancy == NULL || m->rois == NULL || found == NULL ||
        m->deciding == NULL || m->ab_map == NULL) {
        goto out;
    }
    for (size_t r = 0; r < m->count; r++) {
        found[r] = find_roi(err, ss, o->assignments[r].roi);
        if (found[r] == NULL) {
            goto out;
        }
        m->occupancy[r] = rert_alloc_voxels(err, n, sizeof(float));
        if (m->occupancy[r] == NULL ||
            !rasterize_roi(err, found[r], grid, &o->raster, m->occupancy[r])) {
            goto out;
        }
        m->rois[r].name = rert_roi_name(found[r]);
        m->rois[r].occupancy_frac = m->occupancy[r];
        m->rois[r].ab_gy = o->assignments[r].ab_gy;
    }
    RertAbMapParams p = rert_ab_map_params_default();
    p.rois = m->rois;
    p.roi_count = m->count;
    p.default_ab_gy = o->default_ab_gy;
    p.rule = o->overlap_rule;
    p.inside_min_frac = o->inside_min_frac;
    ok = rert_ab_map_compute(err, &p, n, m->ab_map, m->deciding,
                             report != NULL ? &report->ab_stats : NULL) &&
         fill_roi_reports(err, m, grid, found, o, report);
out:
    rert_free((void *)found);
    return ok;
}

static bool check_options(RertError *err,
                          const RertStructureSet *ss,
                          const RertBiodoseOptions *o)
{
    if (o->n_fractions < 1) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "number of fractions is not set: give it "
                              "explicitly or from the course's RT plan");
    }
    if (o->assignment_count == 0 && !(o->ab_gy > 0.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "alpha/beta is not set: give one value or "
                              "per-ROI values with a default");
    }
    if (o->assignment_count > 0 && ss == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "per-ROI alpha/beta needs a structure set");
    }
    if (o->assignment_count > 0 && !(o->default_ab_gy > 0.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "per-ROI alpha/beta needs an explicit default "
                              "for voxels outside the listed ROIs");
    }
    return true;
}

static void describe(const RertBiodoseOptions *o, RertBiodoseReport *report)
{
    char what[16];
    if (o->quantity == RERT_BIO_BED) {
        (void)snprintf(what, sizeof what, "BED");
    } else {
        (void)snprintf(what, sizeof what, "EQD%g", o->x_gy);
    }
    char model[24];
    if (o->model.kind == RERT_LQ_MODEL_LQL) {
        (void)snprintf(model, sizeof model, "LQ-L dT %g Gy",
                       o->model.transition_dose_gy);
    } else {
        (void)snprintf(model, sizeof model, "LQ");
    }
    /* Format in a roomy buffer, then keep what fits a DICOM LO (64). */
    char line[160];
    if (o->assignment_count == 0) {
        (void)snprintf(line, sizeof line, "%s %s a/b %g Gy %u fx", what, model,
                       o->ab_gy, o->n_fractions);
    } else {
        (void)snprintf(line, sizeof line,
                       "%s %s a/b map %zu ROI def %g Gy %u fx", what, model,
                       o->assignment_count, o->default_ab_gy, o->n_fractions);
    }
    size_t len = strlen(line);
    if (len > sizeof report->comment - 1) {
        len = sizeof report->comment - 1;
    }
    memcpy(report->comment, line, len);
    report->comment[len] = '\0';
}

RertVolume *rert_biodose_compute(RertError *err,
                                 const RertVolume *dose,
                                 const RertStructureSet *structures,
                                 const RertBiodoseOptions *options,
                                 RertBiodoseReport *report)
{
    if (report != NULL) {
        memset(report, 0, sizeof *report);
    }
    if (!check_options(err, structures, options)) {
        return NULL;
    }
    const RertGridGeometry *grid = rert_volume_geometry(dose);
    Maps maps;
    memset(&maps, 0, sizeof maps);
    RertVolume *out = NULL;
    if (options->assignment_count > 0 &&
        !build_ab_map(err, grid, structures, options, &maps, report)) {
        goto fail;
    }
    out = rert_volume_create(err, grid);
    if (out == NULL) {
        goto fail;
    }
    RertBioParams p = rert_bio_params_default();
    p.model = options->model;
    p.n_fractions = options->n_fractions;
    p.ab_gy = options->ab_gy > 0.0 ? options->ab_gy : options->default_ab_gy;
    p.ab_map_gy = maps.ab_map;
    p.quantity = options->quantity;
    p.x_gy = options->x_gy;
    if (!rert_bio_dose_compute(
            err, &p, rert_volume_data_const(dose), rert_grid_voxel_count(grid),
            rert_volume_data(out), report != NULL ? &report->stats : NULL)) {
        goto fail;
    }
    if (report != NULL) {
        describe(options, report);
    }
    maps_clear(&maps);
    return out;
fail:
    rert_volume_destroy(out);
    maps_clear(&maps);
    rert_biodose_report_clear(report);
    return NULL;
}
