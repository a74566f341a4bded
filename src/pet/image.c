/* A PET series in SUVbw: the image series loader for the voxels, every
 * instance's header for the SUV factors (acquisition times and private
 * factors differ per instance), slice k scaled by its instance's factor. */
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/io.h>
#include <rert/pet.h>
#include <rert/rt.h>

#include "internal.h"

#define TAG_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x0018)
#define TAG_SERIES_INSTANCE_UID RERT_TAG(0x0020, 0x000E)

struct RertPetImage {
    RertImageSeries *series;
    RertVolume *suv;
    RertSuvResult result;
};

void rert_pet_image_destroy(RertPetImage *pet)
{
    if (pet == NULL) {
        return;
    }
    rert_image_series_destroy(pet->series);
    rert_volume_destroy(pet->suv);
    rert_free(pet);
}

const RertVolume *rert_pet_image_suv(const RertPetImage *pet)
{
    return pet->suv;
}

const RertSuvResult *rert_pet_image_result(const RertPetImage *pet)
{
    return &pet->result;
}

const RertImageSeries *rert_pet_image_series(const RertPetImage *pet)
{
    return pet->series;
}

/* Headers of the series' slices in volume order; each entry borrowed
 * (from the caller's data sets) or owned (loaded from a file). */
typedef struct Headers {
    const RertImageSeries *series;
    const RertDataset **slice;
    RertDataset **owned;
    size_t count;
    RertImageSeriesOptions options;
} Headers;

static void headers_clear(Headers *h)
{
    for (size_t k = 0; h->owned != NULL && k < h->count; k++) {
        rert_dataset_destroy(h->owned[k]);
    }
    rert_free(h->owned);
    rert_free(h->slice);
}

static bool headers_init(RertError *err,
                         Headers *h,
                         const RertImageSeries *series,
                         const RertImageSeriesOptions *options)
{
    h->series = series;
    h->count = rert_image_series_slice_count(series);
    h->options =
        options != NULL ? *options : rert_image_series_options_default();
    /* arrays of pointers: sizeof *h->slice and sizeof *h->owned are meant */
    h->slice =
        rert_calloc(err, h->count,
                    sizeof *h->slice); // NOLINT(bugprone-sizeof-expression)
    h->owned =
        rert_calloc(err, h->count,
                    sizeof *h->owned); // NOLINT(bugprone-sizeof-expression)
    return h->slice != NULL && h->owned != NULL;
}

/* Slice index of @p ds in the series, or count when not one of them. */
static size_t slice_index(const Headers *h, const RertDataset *ds)
{
    char uid[RERT_UID_SIZE];
    char series_uid[RERT_UID_SIZE];
    if (!rert_dataset_get_string(NULL, ds, TAG_SERIES_INSTANCE_UID, 0,
                                 series_uid, sizeof series_uid) ||
        strcmp(series_uid,
               rert_image_series_meta(h->series)->series_instance_uid) != 0 ||
        !rert_dataset_get_string(NULL, ds, TAG_SOP_INSTANCE_UID, 0, uid,
                                 sizeof uid)) {
        return h->count;
    }
    for (size_t k = 0; k < h->count; k++) {
        if (strcmp(uid, rert_image_series_slice_uid(h->series, k)) == 0) {
            return k;
        }
    }
    return h->count;
}

static bool visit(RertError *err, const char *path, void *user)
{
    Headers *h = user;
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits = h->options.limits;
    po.stop_before_pixel_data = true;
    RertError local;
    RertDataset *ds = rert_dicom_load(&local, path, &po, NULL);
    if (ds == NULL) {
        if (local.code == RERT_ERR_NOMEM) {
            *err = local;
            return false;
        }
        return true; /* skipped, as the series loader did */
    }
    size_t k = slice_index(h, ds);
    if (k < h->count && h->slice[k] == NULL) {
        h->owned[k] = ds;
        h->slice[k] = ds;
        return true;
    }
    rert_dataset_destroy(ds);
    return true;
}

static bool check_complete(RertError *err, const Headers *h, const char *where)
{
    for (size_t k = 0; k < h->count; k++) {
        if (h->slice[k] == NULL) {
            return rert_error_set(err, RERT_ERR_IO,
                                  "%s: the header of slice %zu (%s) could not "
                                  "be read again",
                                  where, k,
                                  rert_image_series_slice_uid(h->series, k));
        }
    }
    return true;
}

/* SUV volume and result from complete headers. */
static RertPetImage *
finish(RertError *err, RertImageSeries *series, const Headers *h)
{
    RertPetImage *pet = rert_calloc(err, 1, sizeof *pet);
    double *factors = rert_calloc(err, h->count, sizeof *factors);
    if (pet == NULL || factors == NULL) {
        rert_free(factors);
        rert_free(pet);
        rert_image_series_destroy(series);
        return NULL;
    }
    pet->series = series;
    bool ok = rert_suv_compute(err, h->slice, h->count, &pet->result, factors);
    if (ok) {
        pet->suv = rert_volume_clone(err, rert_image_series_volume(series));
        ok = pet->suv != NULL;
    }
    if (ok) {
        const RertGridGeometry *g = rert_volume_geometry(pet->suv);
        size_t plane = g->dims[0] * g->dims[1];
        float *v = rert_volume_data(pet->suv);
        for (size_t k = 0; k < h->count; k++) {
            for (size_t i = 0; i < plane; i++) {
                v[k * plane + i] =
                    (float)((double)v[k * plane + i] * factors[k]);
            }
        }
    }
    rert_free(factors);
    if (!ok) {
        rert_pet_image_destroy(pet);
        return NULL;
    }
    return pet;
}

static bool check_modality(RertError *err, const RertImageSeries *series)
{
    const char *modality = rert_image_series_meta(series)->modality;
    if (strcmp(modality, "PT") != 0) {
        return rert_error_set(
            err, RERT_ERR_UNSUPPORTED,
            "series %s has Modality '%s', expected PT",
            rert_image_series_meta(series)->series_instance_uid, modality);
    }
    return true;
}

RertPetImage *rert_pet_image_load(RertError *err,
                                  const char *dir_or_file,
                                  const char *series_uid,
                                  const RertImageSeriesOptions *options)
{
    RertImageSeries *series =
        rert_image_series_load(err, dir_or_file, series_uid, options);
    if (series == NULL) {
        return NULL;
    }
    Headers h;
    memset(&h, 0, sizeof h);
    bool ok =
        check_modality(err, series) && headers_init(err, &h, series, options);
    if (ok) {
        ok = rert_path_is_dir(dir_or_file)
                 ? rert_dir_walk(err, dir_or_file, h.options.max_depth,
                                 h.options.max_files, visit, &h)
                 : visit(err, dir_or_file, &h);
    }
    ok = ok && check_complete(err, &h, dir_or_file);
    RertPetImage *pet = NULL;
    if (ok) {
        pet = finish(err, series, &h); /* takes the series */
        series = NULL;
    }
    headers_clear(&h);
    rert_image_series_destroy(series);
    if (pet == NULL) {
        rert_error_prefix(err, "PET %s", dir_or_file);
    }
    return pet;
}

RertPetImage *
rert_pet_image_from_datasets(RertError *err,
                             const RertDataset *const *slices,
                             size_t count,
                             const char *series_uid,
                             const RertImageSeriesOptions *options)
{
    RertImageSeries *series = rert_image_series_from_datasets(
        err, slices, count, series_uid, options);
    if (series == NULL) {
        return NULL;
    }
    Headers h;
    memset(&h, 0, sizeof h);
    bool ok =
        check_modality(err, series) && headers_init(err, &h, series, options);
    for (size_t i = 0; ok && i < count; i++) {
        size_t k = slice_index(&h, slices[i]);
        if (k < h.count && h.slice[k] == NULL) {
            h.slice[k] = slices[i];
        }
    }
    ok = ok && check_complete(err, &h, "in-memory PET");
    RertPetImage *pet = NULL;
    if (ok) {
        pet = finish(err, series, &h); /* takes the series */
        series = NULL;
    }
    headers_clear(&h);
    rert_image_series_destroy(series);
    return pet;
}
