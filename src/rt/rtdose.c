/* RT Dose reading: RT Dose module (PS3.3 C.8.8.3), image plane geometry
 * (C.7.6.2) and GridFrameOffsetVector (C.8.8.3.2) to a float grid in Gy. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/rt.h>

#include "internal.h"

#define TAG_DOSE_UNITS RERT_TAG(0x3004, 0x0002)
#define TAG_DOSE_TYPE RERT_TAG(0x3004, 0x0004)
#define TAG_DOSE_COMMENT RERT_TAG(0x3004, 0x0006)
#define TAG_DOSE_SUMMATION_TYPE RERT_TAG(0x3004, 0x000A)
#define TAG_GRID_FRAME_OFFSETS RERT_TAG(0x3004, 0x000C)
#define TAG_DOSE_GRID_SCALING RERT_TAG(0x3004, 0x000E)

/* An absolute GridFrameOffsetVector's first value must match the position
 * of ImagePositionPatient within this distance. */
#define ABSOLUTE_MATCH_MM 0.01

struct RertDose {
    RertVolume *volume;
    RertRtMeta meta;
    RertDoseType type;
    char summation_type[RERT_RT_LO_SIZE];
    char source_units[RERT_RT_LO_SIZE];
    double grid_scaling;
    char referenced_plan_uid[RERT_UID_SIZE];
    char comment[RERT_RT_LO_SIZE];
    RertDataset *header;
    RtWarnings warnings;
};

/* What the RT Dose module says about converting stored values to Gy. */
typedef struct DoseScale {
    double scaling; /* DoseGridScaling */
    double to_gy;   /* 1, 0.01 or the RELATIVE normalisation */
} DoseScale;

RertDoseLoadOptions rert_dose_load_options_default(void)
{
    RertDoseLoadOptions o;
    memset(&o, 0, sizeof o);
    o.limits = rert_limits_default();
    o.relative_normalisation_gy = 0.0;
    o.offset_tolerance_frac = 0.01;
    o.offset_tolerance_mm = 0.01;
    return o;
}

const char *rert_dose_type_name(RertDoseType type)
{
    switch (type) {
    case RERT_DOSE_TYPE_PHYSICAL:
        return "PHYSICAL";
    case RERT_DOSE_TYPE_EFFECTIVE:
        return "EFFECTIVE";
    case RERT_DOSE_TYPE_ERROR:
        return "ERROR";
    }
    return "PHYSICAL";
}

void rert_dose_destroy(RertDose *dose)
{
    if (dose == NULL) {
        return;
    }
    rert_volume_destroy(dose->volume);
    rert_dataset_destroy(dose->header);
    rt_warnings_clear(&dose->warnings);
    rert_free(dose);
}

static bool read_units(RertError *err,
                       const RertDataset *ds,
                       const RertDoseLoadOptions *o,
                       RertDose *dose,
                       DoseScale *scale)
{
    if (!rert_dataset_get_string(err, ds, TAG_DOSE_UNITS, 0, dose->source_units,
                                 sizeof dose->source_units)) {
        return false;
    }
    if (strcmp(dose->source_units, "GY") == 0) {
        scale->to_gy = 1.0;
    } else if (strcmp(dose->source_units, "CGY") == 0) {
        scale->to_gy = 0.01;
    } else if (strcmp(dose->source_units, "RELATIVE") == 0) {
        double norm = o->relative_normalisation_gy;
        if (!isfinite(norm) || !(norm > 0.0)) {
            return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                                  "(3004,0002) DoseUnits is RELATIVE: give a "
                                  "normalisation dose in Gy (found %g) to "
                                  "read it",
                                  norm);
        }
        scale->to_gy = norm;
    } else {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "(3004,0002) DoseUnits is '%s', expected GY, "
                              "CGY or RELATIVE",
                              dose->source_units);
    }
    if (!rert_dataset_has(ds, TAG_DOSE_GRID_SCALING)) {
        scale->scaling = 1.0;
        dose->grid_scaling = 1.0;
        return rt_warnings_add(err, &dose->warnings,
                               "(3004,000E) DoseGridScaling missing; "
                               "assumed 1");
    }
    if (!rert_dataset_get_double(err, ds, TAG_DOSE_GRID_SCALING, 0,
                                 &scale->scaling)) {
        return false;
    }
    if (!isfinite(scale->scaling) || !(scale->scaling > 0.0)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(3004,000E) DoseGridScaling is %g, expected "
                              "finite and > 0",
                              scale->scaling);
    }
    dose->grid_scaling = scale->scaling;
    return true;
}

static bool
read_dose_type(RertError *err, const RertDataset *ds, RertDose *dose)
{
    char text[RERT_RT_LO_SIZE];
    rt_string_or_empty(ds, TAG_DOSE_TYPE, text, sizeof text);
    if (text[0] == '\0') {
        dose->type = RERT_DOSE_TYPE_PHYSICAL;
        return rt_warnings_add(err, &dose->warnings,
                               "(3004,0004) DoseType missing; assumed "
                               "PHYSICAL");
    }
    for (int t = RERT_DOSE_TYPE_PHYSICAL; t <= RERT_DOSE_TYPE_ERROR; t++) {
        if (strcmp(text, rert_dose_type_name((RertDoseType)t)) == 0) {
            dose->type = (RertDoseType)t;
            return true;
        }
    }
    return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                          "(3004,0004) DoseType is '%s', expected PHYSICAL, "
                          "EFFECTIVE or ERROR",
                          text);
}

static bool
read_frame_count(RertError *err, const RertDataset *ds, size_t *frames)
{
    long n = 1;
    if (rert_dataset_has(ds, TAG_NUMBER_OF_FRAMES) &&
        !rert_dataset_get_long(err, ds, TAG_NUMBER_OF_FRAMES, 0, &n)) {
        return false;
    }
    if (n < 1) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(0028,0008) NumberOfFrames is %ld, expected "
                              ">= 1",
                              n);
    }
    *frames = (size_t)n;
    return true;
}

/* Convert the first value's convention (C.8.8.3.2) to offsets along the
 * normal relative to ImagePositionPatient. */
static bool offsets_to_relative(RertError *err,
                                const RtImagePlane *plane,
                                double *off,
                                size_t n)
{
    double first = off[0];
    double along = rt_dot3(plane->position, plane->normal);
    double sign = 1.0;
    if (first == 0.0) {
        return true;
    }
    if (fabs(first - along) <= ABSOLUTE_MATCH_MM) {
        sign = 1.0;
    } else if (fabs(fabs(plane->normal[2]) - 1.0) <= 1e-4 &&
               fabs(first - plane->position[2]) <= ABSOLUTE_MATCH_MM) {
        sign = plane->normal[2] > 0.0 ? 1.0 : -1.0;
    } else {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "(3004,000C) GridFrameOffsetVector first value "
                              "is %g: expected 0 (relative offsets) or the "
                              "ImagePositionPatient position along the "
                              "normal %g (absolute offsets)",
                              first, along);
    }
    for (size_t k = 0; k < n; k++) {
        off[k] = (off[k] - first) * sign;
    }
    return true;
}

/* Strictly monotonic and uniform; @p step receives the signed mean step. */
static bool check_offsets(RertError *err,
                          const double *off,
                          size_t n,
                          const RertDoseLoadOptions *o,
                          double *step)
{
    double mean = (off[n - 1] - off[0]) / (double)(n - 1);
    double tol =
        fmax(o->offset_tolerance_mm, o->offset_tolerance_frac * fabs(mean));
    for (size_t k = 0; k + 1 < n; k++) {
        if (!((off[k + 1] - off[k]) * mean > 0.0)) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "(3004,000C) GridFrameOffsetVector is not "
                                  "strictly monotonic: values %zu and %zu "
                                  "are %g and %g mm",
                                  k + 1, k + 2, off[k], off[k + 1]);
        }
    }
    for (size_t k = 0; k + 1 < n; k++) {
        double d = off[k + 1] - off[k];
        if (fabs(d - mean) > tol) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "(3004,000C) GridFrameOffsetVector is not "
                                  "uniform: step %zu is %g mm, mean %g mm "
                                  "(tolerance %g mm); rert stores regular "
                                  "grids",
                                  k + 1, d, mean, tol);
        }
    }
    *step = mean;
    return true;
}

static bool single_frame_step(RertError *err,
                              const RertDataset *ds,
                              RertDose *dose,
                              double *step)
{
    double t = 0.0;
    if (rert_dataset_has(ds, TAG_SLICE_THICKNESS) &&
        rert_dataset_get_double(NULL, ds, TAG_SLICE_THICKNESS, 0, &t) &&
        isfinite(t) && t > 0.0) {
        *step = t;
        return true;
    }
    *step = 1.0;
    return rt_warnings_add(err, &dose->warnings,
                           "single-frame dose without a usable (0018,0050) "
                           "SliceThickness: slab thickness taken as 1 mm");
}

/* Read the frame offsets; @p step receives the signed step along the
 * normal and @p first the first relative offset. */
static bool read_offsets(RertError *err,
                         const RertDataset *ds,
                         const RtImagePlane *plane,
                         size_t frames,
                         const RertDoseLoadOptions *o,
                         RertDose *dose,
                         double *first,
                         double *step)
{
    size_t n = rert_dataset_value_count(ds, TAG_GRID_FRAME_OFFSETS);
    *first = 0.0;
    if (n < frames && (frames > 1 || n > 0)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(3004,000C) GridFrameOffsetVector has %zu "
                              "values, expected NumberOfFrames = %zu",
                              n, frames);
    }
    if (n > frames &&
        !rt_warnings_add(err, &dose->warnings,
                         "(3004,000C) GridFrameOffsetVector has %zu values "
                         "for %zu frames; the first %zu are used",
                         n, frames, frames)) {
        return false;
    }
    if (frames == 1) {
        return single_frame_step(err, ds, dose, step);
    }
    double *off = rert_calloc(err, frames, sizeof *off);
    if (off == NULL) {
        return false;
    }
    bool ok = true;
    for (size_t k = 0; ok && k < frames; k++) {
        ok = rert_dataset_get_double(err, ds, TAG_GRID_FRAME_OFFSETS, k,
                                     &off[k]);
    }
    ok = ok && offsets_to_relative(err, plane, off, frames) &&
         check_offsets(err, off, frames, o, step);
    *first = off[0];
    rert_free(off);
    return ok;
}

static bool make_geometry(RertError *err,
                          const RtImagePlane *plane,
                          size_t frames,
                          double first,
                          double step,
                          const RertLimits *limits,
                          RertGridGeometry *g)
{
    size_t dims[3] = {plane->columns, plane->rows, frames};
    double spacing[3] = {plane->spacing_i_mm, plane->spacing_j_mm, fabs(step)};
    double direction[9];
    double origin[3];
    double sign = step < 0.0 ? -1.0 : 1.0;
    for (int a = 0; a < 3; a++) {
        direction[a] = plane->row_dir[a];
        direction[3 + a] = plane->col_dir[a];
        direction[6 + a] = sign * plane->normal[a];
        origin[a] = plane->position[a] + first * plane->normal[a];
    }
    return rert_grid_geometry_make(err, dims, origin, spacing, direction,
                                   limits->max_voxels, g);
}

static bool fill_voxels(RertError *err,
                        const RertDataset *ds,
                        const RertLimits *limits,
                        const DoseScale *scale,
                        RertVolume *volume)
{
    RtPixelFormat fmt;
    if (!rt_pixel_format_read(err, ds, &fmt)) {
        return false;
    }
    if (fmt.bits_allocated == 8) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "(0028,0100) BitsAllocated is 8, expected 16 "
                              "or 32 for RT Dose");
    }
    char ts[RERT_UID_SIZE];
    rt_transfer_syntax(ds, ts);
    size_t count = rert_grid_voxel_count(rert_volume_geometry(volume));
    double factor = scale->scaling * scale->to_gy;
    return rert_dicom_decode_pixels_float(err, ds, ts, limits, factor, 0.0,
                                          rert_volume_data(volume), count);
}

static bool read_identity(RertError *err, const RertDataset *ds, RertDose *dose)
{
    RertRtObjectKind kind = rert_rt_object_kind(ds);
    if (kind != RERT_RT_OBJECT_RTDOSE && kind != RERT_RT_OBJECT_UNKNOWN) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "data set is %s, expected RTDOSE",
                              rert_rt_object_kind_name(kind));
    }
    rt_meta_read(ds, &dose->meta);
    if (dose->meta.frame_of_reference_uid[0] == '\0') {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "(0020,0052) FrameOfReferenceUID missing: a "
                              "dose grid without a frame of reference "
                              "cannot be placed");
    }
    rt_string_or_empty(ds, TAG_DOSE_SUMMATION_TYPE, dose->summation_type,
                       sizeof dose->summation_type);
    rt_string_or_empty(ds, TAG_DOSE_COMMENT, dose->comment,
                       sizeof dose->comment);
    const RertDataset *plan =
        rert_dataset_item(ds, TAG_REFERENCED_RT_PLAN_SEQ, 0);
    if (plan != NULL) {
        rt_string_or_empty(plan, TAG_REFERENCED_SOP_INSTANCE_UID,
                           dose->referenced_plan_uid,
                           sizeof dose->referenced_plan_uid);
    }
    return read_dose_type(err, ds, dose);
}

static bool read_dose(RertError *err,
                      const RertDataset *ds,
                      const RertDoseLoadOptions *o,
                      RertDose *dose)
{
    RtImagePlane plane;
    DoseScale scale = {1.0, 1.0};
    size_t frames = 0;
    double first = 0.0;
    double step = 0.0;
    RertGridGeometry g;
    if (!read_identity(err, ds, dose) ||
        !read_units(err, ds, o, dose, &scale) ||
        !rt_image_plane_read(err, ds, &plane) ||
        !read_frame_count(err, ds, &frames) ||
        !read_offsets(err, ds, &plane, frames, o, dose, &first, &step) ||
        !make_geometry(err, &plane, frames, first, step, &o->limits, &g)) {
        return false;
    }
    dose->volume = rert_volume_create(err, &g);
    if (dose->volume == NULL ||
        !fill_voxels(err, ds, &o->limits, &scale, dose->volume)) {
        return false;
    }
    dose->header = rt_header_clone(err, ds);
    return dose->header != NULL;
}

RertDose *rert_dose_from_dataset(RertError *err,
                                 const RertDataset *ds,
                                 const RertDoseLoadOptions *options)
{
    RertDoseLoadOptions defaults = rert_dose_load_options_default();
    const RertDoseLoadOptions *o = options != NULL ? options : &defaults;
    if (ds == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "RT Dose: NULL data set");
        return NULL;
    }
    RertDose *dose = rert_calloc(err, 1, sizeof *dose);
    if (dose == NULL) {
        return NULL;
    }
    if (!read_dose(err, ds, o, dose)) {
        rert_dose_destroy(dose);
        return NULL;
    }
    return dose;
}

RertDose *rert_dose_load(RertError *err,
                         const char *path,
                         const RertDoseLoadOptions *options)
{
    RertDoseLoadOptions defaults = rert_dose_load_options_default();
    const RertDoseLoadOptions *o = options != NULL ? options : &defaults;
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits = o->limits;
    RertDataset *ds = rert_dicom_load(err, path, &po, NULL);
    if (ds == NULL) {
        return NULL;
    }
    RertDose *dose = rert_dose_from_dataset(err, ds, o);
    rert_dataset_destroy(ds);
    if (dose == NULL) {
        rert_error_prefix(err, "RT Dose %s", path);
    }
    return dose;
}

const RertVolume *rert_dose_volume(const RertDose *dose)
{
    return dose->volume;
}

const RertRtMeta *rert_dose_meta(const RertDose *dose)
{
    return &dose->meta;
}

RertDoseType rert_dose_type(const RertDose *dose)
{
    return dose->type;
}

const char *rert_dose_summation_type(const RertDose *dose)
{
    return dose->summation_type;
}

const char *rert_dose_source_units(const RertDose *dose)
{
    return dose->source_units;
}

double rert_dose_grid_scaling(const RertDose *dose)
{
    return dose->grid_scaling;
}

const char *rert_dose_referenced_plan_uid(const RertDose *dose)
{
    return dose->referenced_plan_uid;
}

const char *rert_dose_comment(const RertDose *dose)
{
    return dose->comment;
}

const RertDataset *rert_dose_header(const RertDose *dose)
{
    return dose->header;
}

size_t rert_dose_warning_count(const RertDose *dose)
{
    return dose->warnings.count;
}

const char *rert_dose_warning(const RertDose *dose, size_t index)
{
    return rt_warnings_at(&dose->warnings, index);
}
