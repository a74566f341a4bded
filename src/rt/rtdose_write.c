/* RT Dose writing: a complete RT Dose IOD (PS3.3 A.18.3) with uint16/32
 * pixels, relative GridFrameOffsetVector (C.8.8.3.2) and a
 * DoseGridScaling that keeps every voxel within half a scaling step. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/rt.h>

#include "internal.h"

/* The maximum dose maps to these stored values: close to 2^bits - 1 but
 * with room for the rounding of DoseGridScaling to 16 DS characters. */
#define TARGET_MAX_STORED_32 4.0e9
#define UINT32_LIMIT 4294967295.0
#define TARGET_MAX_STORED_16 65000.0
#define UINT16_LIMIT 65535.0

RertDoseWriteOptions rert_dose_write_options_default(void)
{
    RertDoseWriteOptions o;
    memset(&o, 0, sizeof o);
    o.dose_type = RERT_DOSE_TYPE_PHYSICAL;
    o.summation_type = "PLAN";
    o.series_number = 1;
    o.bits_allocated = RERT_DOSE_WRITE_BITS_DEFAULT;
    return o;
}

/* DoseSummationType values for which PS3.3 C.8.8.3 makes the
 * ReferencedRTPlanSequence (300C,0002) required. */
static bool summation_needs_plan(const char *type)
{
    static const char *const need[] = {
        "PLAN",         "MULTI_PLAN",     "FRACTION",
        "BEAM",         "BRACHY",         "FRACTION_SESSION",
        "BEAM_SESSION", "BRACHY_SESSION", "CONTROL_POINT"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (strcmp(type, need[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* FrameOfReferenceUID: the options', else the source's. */
static bool frame_uid(RertError *err,
                      const RertDoseWriteOptions *o,
                      char frame[RERT_UID_SIZE])
{
    frame[0] = '\0';
    if (o->source != NULL) {
        rt_string_or_empty(o->source, TAG_FRAME_OF_REFERENCE_UID, frame,
                           RERT_UID_SIZE);
    }
    if (o->frame_of_reference_uid != NULL) {
        size_t n = strlen(o->frame_of_reference_uid);
        if (n >= RERT_UID_SIZE) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "frame of reference UID is %zu characters,"
                                  " expected at most 64",
                                  n);
        }
        memcpy(frame, o->frame_of_reference_uid, n + 1);
    }
    if (frame[0] == '\0') {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "RT Dose writing: no FrameOfReferenceUID (give "
                              "one in the options or a source data set "
                              "with (0020,0052))");
    }
    return true;
}

/* Patient, General Study, RT Series, Frame of Reference, General
 * Equipment and SOP Common, with the source's names copied as bytes in its
 * character set (ISO_IR 100 when it names none). */
static bool set_header(RertError *err,
                       RertDataset *ds,
                       const RertDoseWriteOptions *o,
                       RertDoseWriteReport *rep)
{
    char frame[RERT_UID_SIZE];
    if (!frame_uid(err, o, frame)) {
        return false;
    }
    RertDicomObjectSpec spec = {
        .sop_class_uid = RERT_SOP_RTDOSE,
        .modality = "RTDOSE",
        .series_number = o->series_number,
        .series_description = o->series_description,
        .source = o->source,
        .frame_of_reference_uid = frame,
    };
    RertDicomNewInstance instance;
    if (!rert_dicom_set_common_modules(err, ds, &spec, &instance)) {
        return false;
    }
    memcpy(rep->sop_instance_uid, instance.sop_instance_uid, RERT_UID_SIZE);
    memcpy(rep->series_instance_uid, instance.series_instance_uid,
           RERT_UID_SIZE);
    return rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x0023), "DA",
                                 instance.date) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x0033), "TM",
                                 instance.time) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x1070), "PN", "") &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0008, 0x1090), "LO",
                                 "rert");
}

static bool
set_plane(RertError *err, RertDataset *ds, const RertGridGeometry *g)
{
    if (g->dims[0] > 65535 || g->dims[1] > 65535) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "RT Dose writing: grid is %zu x %zu, DICOM "
                              "allows at most 65535 rows and columns",
                              g->dims[0], g->dims[1]);
    }
    double iop[6];
    double spacing[2] = {g->spacing_mm[1], g->spacing_mm[0]};
    double normal[3];
    memcpy(iop, g->direction, sizeof iop);
    rt_cross3(g->direction, g->direction + 3, normal);
    /* Offsets along cross(row, col); negative when the grid's k axis
     * points the other way. */
    double step = g->spacing_mm[2] * rt_dot3(g->direction + 6, normal);
    double *offsets = rert_calloc(err, g->dims[2], sizeof *offsets);
    if (offsets == NULL) {
        return false;
    }
    for (size_t k = 0; k < g->dims[2]; k++) {
        offsets[k] = (double)k * step;
    }
    uint16_t rows = (uint16_t)g->dims[1];
    uint16_t columns = (uint16_t)g->dims[0];
    long frames = (long)g->dims[2];
    bool ok =
        rert_dataset_set_ds(err, ds, TAG_IMAGE_POSITION, g->origin_mm, 3) &&
        rert_dataset_set_ds(err, ds, TAG_IMAGE_ORIENTATION, iop, 6) &&
        rert_dataset_set_ds(err, ds, TAG_PIXEL_SPACING, spacing, 2) &&
        rert_dataset_set_ds(err, ds, TAG_SLICE_THICKNESS, &g->spacing_mm[2],
                            1) &&
        rert_dataset_set_u16(err, ds, TAG_ROWS, &rows, 1) &&
        rert_dataset_set_u16(err, ds, TAG_COLUMNS, &columns, 1) &&
        rert_dataset_set_is(err, ds, TAG_NUMBER_OF_FRAMES, &frames, 1) &&
        rert_dataset_set_ds(err, ds, RERT_TAG(0x3004, 0x000C), offsets,
                            g->dims[2]);
    rert_free(offsets);
    /* FrameIncrementPointer = (3004,000C), AT value: group, element LE. */
    static const uint8_t pointer[4] = {0x04, 0x30, 0x0C, 0x00};
    return ok && rert_dataset_set_bytes(err, ds, RERT_TAG(0x0028, 0x0009), "AT",
                                        pointer, sizeof pointer);
}

static bool
set_pixel_module(RertError *err, RertDataset *ds, const RertDoseWriteOptions *o)
{
    uint16_t one = 1;
    uint16_t zero = 0;
    uint16_t bits = (uint16_t)o->bits_allocated;
    uint16_t high = (uint16_t)(bits - 1u);
    return rert_dataset_set_u16(err, ds, TAG_SAMPLES_PER_PIXEL, &one, 1) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x0028, 0x0004), "CS",
                                 "MONOCHROME2") &&
           rert_dataset_set_u16(err, ds, TAG_BITS_ALLOCATED, &bits, 1) &&
           rert_dataset_set_u16(err, ds, TAG_BITS_STORED, &bits, 1) &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0102), &high, 1) &&
           rert_dataset_set_u16(err, ds, TAG_PIXEL_REPRESENTATION, &zero, 1) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x3004, 0x0002), "CS",
                                 "GY") &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x3004, 0x0004), "CS",
                                 rert_dose_type_name(o->dose_type)) &&
           (o->comment == NULL ||
            rert_dataset_set_text(err, ds, RERT_TAG(0x3004, 0x0006), "LO",
                                  o->comment)) &&
           rert_dataset_set_text(err, ds, RERT_TAG(0x3004, 0x000A), "CS",
                                 o->summation_type);
}

static bool add_plan_item(RertError *err, RertDataset *ds, const char *uid)
{
    RertDataset *item =
        rert_dataset_add_item(err, ds, TAG_REFERENCED_RT_PLAN_SEQ);
    return item != NULL &&
           rert_dataset_set_text(err, item, TAG_REFERENCED_SOP_CLASS_UID, "UI",
                                 RERT_SOP_RTPLAN) &&
           rert_dataset_set_text(err, item, TAG_REFERENCED_SOP_INSTANCE_UID,
                                 "UI", uid);
}

static bool set_plan_references(RertError *err,
                                RertDataset *ds,
                                const RertDoseWriteOptions *o)
{
    for (size_t i = 0; i < o->referenced_plan_count; i++) {
        if (!add_plan_item(err, ds, o->referenced_plan_uids[i])) {
            return false;
        }
    }
    size_t from_source = 0;
    if (o->referenced_plan_count == 0 && o->source != NULL) {
        from_source =
            rert_dataset_item_count(o->source, TAG_REFERENCED_RT_PLAN_SEQ);
    }
    for (size_t i = 0; i < from_source; i++) {
        RertDataset *item =
            rert_dataset_add_item(err, ds, TAG_REFERENCED_RT_PLAN_SEQ);
        if (item == NULL ||
            !rt_dataset_copy_into(
                err, item,
                rert_dataset_item(o->source, TAG_REFERENCED_RT_PLAN_SEQ, i),
                rert_limits_default().max_sequence_depth)) {
            return false;
        }
    }
    if (o->referenced_plan_count == 0 && from_source == 0 &&
        summation_needs_plan(o->summation_type)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "RT Dose writing: DoseSummationType %s needs "
                              "a ReferencedRTPlanSequence (300C,0002), but "
                              "no plan UID was given and the source has "
                              "none",
                              o->summation_type);
    }
    return true;
}

/* Clamp negatives, find the maximum and check finiteness. */
static bool scan_voxels(RertError *err,
                        const float *v,
                        size_t n,
                        RertDoseWriteReport *rep,
                        double *max)
{
    double top = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)v[i];
        if (!isfinite(d)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "RT Dose writing: voxel %zu is %g, "
                                  "expected a finite dose",
                                  i, d);
        }
        if (d < 0.0) {
            rep->clamped_voxels++;
            rep->most_negative_gy = fmin(rep->most_negative_gy, d);
        } else if (d > top) {
            top = d;
        }
    }
    *max = top;
    return true;
}

static bool set_pixels(RertError *err,
                       RertDataset *ds,
                       const RertVolume *volume,
                       unsigned bits,
                       RertDoseWriteReport *rep)
{
    const float *v = rert_volume_data_const(volume);
    size_t n = rert_grid_voxel_count(rert_volume_geometry(volume));
    double max = 0.0;
    if (!scan_voxels(err, v, n, rep, &max)) {
        return false;
    }
    double limit = bits == 16 ? UINT16_LIMIT : UINT32_LIMIT;
    double target_stored =
        bits == 16 ? TARGET_MAX_STORED_16 : TARGET_MAX_STORED_32;
    double target = max > 0.0 ? max / target_stored : 1.0;
    double scaling = 0.0;
    /* Use the value as the DS text will read back. */
    if (!rert_dataset_set_ds(err, ds, RERT_TAG(0x3004, 0x000E), &target, 1) ||
        !rert_dataset_get_double(err, ds, RERT_TAG(0x3004, 0x000E), 0,
                                 &scaling)) {
        return false;
    }
    if (!(scaling > 0.0) || max / scaling > limit) {
        return rert_error_set(err, RERT_ERR_INTERNAL,
                              "DoseGridScaling %g cannot hold %g Gy", scaling,
                              max);
    }
    rep->grid_scaling = scaling;
    size_t bytes_per_voxel = bits / 8u;
    size_t bytes = 0;
    if (!rert_mul_size(err, n, bytes_per_voxel, &bytes)) {
        return false;
    }
    uint8_t *pixels = rert_alloc(err, bytes);
    if (pixels == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        double q = v[i] > 0.0f ? nearbyint((double)v[i] / scaling) : 0.0;
        uint32_t u = (uint32_t)fmin(q, limit);
        for (size_t b = 0; b < bytes_per_voxel; b++) {
            pixels[bytes_per_voxel * i + b] = (uint8_t)((u >> (8 * b)) & 0xFFu);
        }
    }
    bool ok =
        rert_dataset_set_bytes(err, ds, TAG_PIXEL_DATA, "OW", pixels, bytes);
    rert_free(pixels);
    return ok;
}

RertDataset *rert_dose_build_dataset(RertError *err,
                                     const RertVolume *dose_gy,
                                     const RertDoseWriteOptions *options,
                                     RertDoseWriteReport *report)
{
    RertDoseWriteOptions o = rert_dose_write_options_default();
    if (options != NULL) {
        o = *options;
    }
    if (o.summation_type == NULL || o.summation_type[0] == '\0') {
        o.summation_type = "PLAN";
    }
    if (o.bits_allocated == 0) {
        o.bits_allocated = RERT_DOSE_WRITE_BITS_DEFAULT;
    }
    if (o.bits_allocated != 16 && o.bits_allocated != 32) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "RT Dose writing: bits_allocated %u, expected 16 or 32",
                       o.bits_allocated);
        return NULL;
    }
    RertDoseWriteReport local;
    memset(&local, 0, sizeof local);
    RertDoseWriteReport *rep = report != NULL ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (dose_gy == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "RT Dose writing: NULL volume");
        return NULL;
    }
    RertDataset *ds = rert_dataset_create(err);
    if (ds == NULL) {
        return NULL;
    }
    if (!set_header(err, ds, &o, rep) ||
        !set_plane(err, ds, rert_volume_geometry(dose_gy)) ||
        !set_pixel_module(err, ds, &o) || !set_plan_references(err, ds, &o) ||
        !set_pixels(err, ds, dose_gy, o.bits_allocated, rep)) {
        rert_dataset_destroy(ds);
        return NULL;
    }
    return ds;
}

bool rert_dose_save(RertError *err,
                    const RertVolume *dose_gy,
                    const char *path,
                    const RertDoseWriteOptions *options,
                    RertDoseWriteReport *report)
{
    RertDataset *ds = rert_dose_build_dataset(err, dose_gy, options, report);
    if (ds == NULL) {
        rert_error_prefix(err, "writing RT Dose %s", path);
        return false;
    }
    bool ok = rert_dicom_save(err, ds, path);
    if (!ok) {
        rert_error_prefix(err, "writing RT Dose %s", path);
    }
    rert_dataset_destroy(ds);
    return ok;
}
