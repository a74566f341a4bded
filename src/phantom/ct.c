/* Phantom course files: the identifiers every object of a course shares
 * (Patient, General Study, Frame of Reference, SOP Common; PS3.3 C.7.1.1,
 * C.7.2.1, C.7.4.1, C.12.1) and the CT Image series (A.3, C.8.2.1). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rert/core.h>
#include <rert/dicom.h>

#include "internal.h"

#define TAG_INSTANCE_NUMBER RERT_TAG(0x0020, 0x0013)
#define TAG_IMAGE_POSITION RERT_TAG(0x0020, 0x0032)
#define TAG_SLICE_LOCATION RERT_TAG(0x0020, 0x1041)
#define TAG_PIXEL_DATA RERT_TAG(0x7FE0, 0x0010)
#define TAG_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x0018)
/* CT values are stored as HU + 1024 in 12 bits. */
#define CT_OFFSET 1024
#define CT_MAX_STORED 4095

void phantom_progress_step(PhantomProgress *p)
{
    p->done++;
    if (p->options->progress != NULL) {
        p->options->progress(p->done, p->total, p->options->progress_user);
    }
}

/* @p date ("YYYYMMDD", checked) moved by @p days into @p out. */
static void shift_date(const char *date, int days, char out[9])
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (date[0] - '0') * 1000 + (date[1] - '0') * 100 +
                 (date[2] - '0') * 10 + (date[3] - '0') - 1900;
    tm.tm_mon = (date[4] - '0') * 10 + (date[5] - '0') - 1;
    tm.tm_mday = (date[6] - '0') * 10 + (date[7] - '0') + days;
    tm.tm_hour = 12; /* noon: no daylight saving edge can move the day */
    tm.tm_isdst = -1;
    if (mktime(&tm) == (time_t)-1 || strftime(out, 9, "%Y%m%d", &tm) != 8) {
        memcpy(out, date, 9);
    }
}

static bool set_text(RertError *err,
                     RertDataset *ds,
                     uint32_t tag,
                     const char *vr,
                     const char *value)
{
    return rert_dataset_set_string(err, ds, tag, vr, value);
}

/* Patient (C.7.1.1) and General Study (C.7.2.1) modules: the attributes
 * the RT Dose writer keeps from its source, so that every object of a study
 * agrees (dcentvfy). */
static bool set_patient_study(RertError *err,
                              RertDataset *ds,
                              const PhantomCourseFiles *f,
                              const RertPhantomOptions *o)
{
    char study_id[8];
    (void)snprintf(study_id, sizeof study_id, "C%u", f->c + 1);
    return set_text(err, ds, RERT_TAG(0x0010, 0x0010), "PN", o->patient_name) &&
           set_text(err, ds, RERT_TAG(0x0010, 0x0020), "LO", o->patient_id) &&
           set_text(err, ds, RERT_TAG(0x0010, 0x0030), "DA", "19580312") &&
           set_text(err, ds, RERT_TAG(0x0010, 0x0040), "CS", "M") &&
           set_text(err, ds, RERT_TAG(0x0020, 0x000D), "UI", f->study_uid) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0020), "DA", f->ct_date) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0030), "TM", "093000") &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0090), "PN", "") &&
           set_text(err, ds, RERT_TAG(0x0020, 0x0010), "SH", study_id) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0050), "SH", "");
}

/* Frame of Reference module (C.7.4.1). */
static bool
set_frame(RertError *err, RertDataset *ds, const PhantomCourseFiles *f)
{
    return set_text(err, ds, RERT_TAG(0x0020, 0x0052), "UI", f->frame_uid) &&
           set_text(err, ds, RERT_TAG(0x0020, 0x1040), "LO", "");
}

bool phantom_set_common(RertError *err,
                        RertDataset *ds,
                        const PhantomCourseFiles *f,
                        const char *modality,
                        const char *sop_class,
                        const char *sop_uid,
                        const char *series_uid,
                        long series_number,
                        const char *description)
{
    return set_patient_study(err, ds, f, f->options) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0005), "CS", "ISO_IR 100") &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0016), "UI", sop_class) &&
           set_text(err, ds, TAG_SOP_INSTANCE_UID, "UI", sop_uid) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0012), "DA", f->plan_date) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0060), "CS", modality) &&
           set_text(err, ds, RERT_TAG(0x0020, 0x000E), "UI", series_uid) &&
           rert_dataset_set_is(err, ds, RERT_TAG(0x0020, 0x0011),
                               &series_number, 1) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x103E), "LO", description) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x1070), "PN", "") &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0070), "LO", "rert") &&
           set_text(err, ds, RERT_TAG(0x0008, 0x1090), "LO", "rert phantom") &&
           set_text(err, ds, RERT_TAG(0x0018, 0x1020), "LO", rert_version());
}

/* Write a new file without fsync: every file goes into the case's
 * temporary folder, which is renamed into place only when complete. */
static bool write_new_file(RertError *err, const char *path, const RertBytes *b)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        return rert_error_set(err, RERT_ERR_IO, "cannot create %s: %s", path,
                              strerror(errno));
    }
    size_t done = 0;
    while (done < b->size) {
        ssize_t n = write(fd, b->data + done, b->size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int saved = errno;
            (void)close(fd);
            return rert_error_set(err, RERT_ERR_IO, "cannot write %s: %s", path,
                                  strerror(saved));
        }
        done += (size_t)n;
    }
    if (close(fd) != 0) {
        return rert_error_set(err, RERT_ERR_IO, "cannot write %s: %s", path,
                              strerror(errno));
    }
    return true;
}

bool phantom_save(RertError *err,
                  const RertDataset *ds,
                  const char *path,
                  PhantomCourseFiles *f)
{
    RertBytes bytes = {NULL, 0};
    bool ok =
        rert_dicom_write(err, ds, &bytes) && write_new_file(err, path, &bytes);
    if (ok) {
        f->files++;
        f->bytes += bytes.size;
    }
    rert_bytes_clear(&bytes);
    return ok;
}

bool phantom_course_init(RertError *err,
                         const PhantomModel *m,
                         unsigned c,
                         PhantomCourseFiles *f)
{
    memset(f, 0, sizeof *f);
    f->c = c;
    const RertPhantomOptions *o = &m->options;
    f->options = o;
    double origin[3];
    for (int a = 0; a < 3; a++) {
        origin[a] = -(double)(o->ct_dims[a] - 1) * o->ct_spacing_mm[a] / 2.0;
    }
    static const double axes[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (!rert_grid_geometry_make(err, o->ct_dims, origin, o->ct_spacing_mm,
                                 axes, 0, &f->ct)) {
        return false;
    }
    shift_date(o->courses[c].start_date, -7, f->ct_date);
    shift_date(o->courses[c].start_date, -3, f->plan_date);
    char *uids[] = {f->study_uid,     f->frame_uid, f->ct_series_uid, f->rs_uid,
                    f->rs_series_uid, f->rp_uid,    f->rp_series_uid};
    for (size_t i = 0; i < sizeof uids / sizeof uids[0]; i++) {
        if (!rert_uid_generate(err, uids[i])) {
            return false;
        }
    }
    f->slice_uids = rert_calloc(err, o->ct_dims[2], sizeof *f->slice_uids);
    if (f->slice_uids == NULL) {
        return false;
    }
    for (size_t k = 0; k < o->ct_dims[2]; k++) {
        if (!rert_uid_generate(err, f->slice_uids[k])) {
            return false;
        }
    }
    f->header = rert_dataset_create(err);
    return f->header != NULL && set_patient_study(err, f->header, f, o) &&
           set_frame(err, f->header, f);
}

void phantom_course_clear(PhantomCourseFiles *f)
{
    rert_free(f->slice_uids);
    rert_dataset_destroy(f->header);
    f->slice_uids = NULL;
    f->header = NULL;
}

/* ---- CT Image series */

/* Deterministic uniform noise in [-1, 1] (splitmix64 finaliser). */
static double noise(uint64_t seed, uint64_t index)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15u + index;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static void slice_pixels(const PhantomModel *m,
                         const PhantomCourseFiles *f,
                         size_t k,
                         uint8_t *out)
{
    const RertGridGeometry *g = &f->ct;
    double blend = g->spacing_mm[0];
    uint64_t seed = ((uint64_t)m->options.seed << 1) | f->c;
    for (size_t j = 0; j < g->dims[1]; j++) {
        for (size_t i = 0; i < g->dims[0]; i++) {
            RertVec3 ijk = {(double)i, (double)j, (double)k};
            RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
            RertVec3 p = phantom_to_anatomy(m, f->c, x);
            size_t n = rert_grid_index(g, i, j, k);
            double hu = phantom_hu(f->c, p, blend) +
                        m->options.noise_hu * noise(seed, (uint64_t)n);
            double stored = round(hu) + CT_OFFSET;
            stored = stored < 0.0
                         ? 0.0
                         : (stored > CT_MAX_STORED ? CT_MAX_STORED : stored);
            uint16_t v = (uint16_t)stored;
            size_t at = 2 * (j * g->dims[0] + i);
            out[at] = (uint8_t)(v & 0xFFu);
            out[at + 1] = (uint8_t)(v >> 8);
        }
    }
}

/* The attributes every slice shares. */
static bool
ct_template(RertError *err, RertDataset *ds, const PhantomCourseFiles *f)
{
    const RertGridGeometry *g = &f->ct;
    char description[32];
    (void)snprintf(description, sizeof description, "CT course %u", f->c + 1);
    static const double iop[6] = {1, 0, 0, 0, 1, 0};
    double spacing[2] = {g->spacing_mm[1], g->spacing_mm[0]};
    uint16_t rows = (uint16_t)g->dims[1];
    uint16_t columns = (uint16_t)g->dims[0];
    uint16_t one = 1;
    uint16_t zero = 0;
    uint16_t bits = 16;
    uint16_t stored = 12;
    uint16_t high = 11;
    double intercept = -CT_OFFSET;
    double slope = 1.0;
    double window[2] = {40.0, 400.0};
    long acquisition = 1;
    return phantom_set_common(err, ds, f, "CT", RERT_SOP_CT, f->slice_uids[0],
                              f->ct_series_uid, 1, description) &&
           set_frame(err, ds, f) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0008), "CS",
                    "ORIGINAL\\PRIMARY\\AXIAL") &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0023), "DA", f->ct_date) &&
           set_text(err, ds, RERT_TAG(0x0008, 0x0033), "TM", "093000") &&
           set_text(err, ds, RERT_TAG(0x0018, 0x5100), "CS", "HFS") &&
           set_text(err, ds, RERT_TAG(0x0020, 0x0060), "CS", "") &&
           set_text(err, ds, RERT_TAG(0x0018, 0x0060), "DS", "120") &&
           rert_dataset_set_is(err, ds, RERT_TAG(0x0020, 0x0012), &acquisition,
                               1) &&
           rert_dataset_set_ds(err, ds, RERT_TAG(0x0020, 0x0037), iop, 6) &&
           rert_dataset_set_ds(err, ds, RERT_TAG(0x0028, 0x0030), spacing, 2) &&
           rert_dataset_set_ds(err, ds, RERT_TAG(0x0018, 0x0050),
                               &g->spacing_mm[2], 1) &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0002), &one, 1) &&
           set_text(err, ds, RERT_TAG(0x0028, 0x0004), "CS", "MONOCHROME2") &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0010), &rows, 1) &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0011), &columns,
                                1) &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0100), &bits, 1) &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0101), &stored,
                                1) &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0102), &high, 1) &&
           rert_dataset_set_u16(err, ds, RERT_TAG(0x0028, 0x0103), &zero, 1) &&
           rert_dataset_set_ds(err, ds, RERT_TAG(0x0028, 0x1052), &intercept,
                               1) &&
           rert_dataset_set_ds(err, ds, RERT_TAG(0x0028, 0x1053), &slope, 1) &&
           set_text(err, ds, RERT_TAG(0x0028, 0x1054), "LO", "HU") &&
           rert_dataset_set_ds(err, ds, RERT_TAG(0x0028, 0x1050), &window[0],
                               1) &&
           rert_dataset_set_ds(err, ds, RERT_TAG(0x0028, 0x1051), &window[1],
                               1);
}

static bool ct_slice(RertError *err,
                     const PhantomModel *m,
                     PhantomCourseFiles *f,
                     RertDataset *ds,
                     size_t k,
                     uint8_t *pixels,
                     const char *dir)
{
    const RertGridGeometry *g = &f->ct;
    RertVec3 ijk = {0.0, 0.0, (double)k};
    RertVec3 pos = rert_grid_ijk_to_xyz(g, ijk);
    double ipp[3] = {pos.x, pos.y, pos.z};
    long number = (long)k + 1;
    size_t bytes = 2 * g->dims[0] * g->dims[1];
    slice_pixels(m, f, k, pixels);
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/CT%04zu.dcm", dir, k + 1);
    if (n < 0 || (size_t)n >= sizeof path) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "output folder path is too long: %s", dir);
    }
    return set_text(err, ds, TAG_SOP_INSTANCE_UID, "UI", f->slice_uids[k]) &&
           rert_dataset_set_is(err, ds, TAG_INSTANCE_NUMBER, &number, 1) &&
           rert_dataset_set_ds(err, ds, TAG_IMAGE_POSITION, ipp, 3) &&
           rert_dataset_set_ds(err, ds, TAG_SLICE_LOCATION, &ipp[2], 1) &&
           rert_dataset_set_bytes(err, ds, TAG_PIXEL_DATA, "OW", pixels,
                                  bytes) &&
           phantom_save(err, ds, path, f);
}

bool phantom_ct_write(RertError *err,
                      const PhantomModel *m,
                      PhantomCourseFiles *f,
                      const char *dir,
                      PhantomProgress *progress)
{
    RertDataset *ds = rert_dataset_create(err);
    uint8_t *pixels = NULL;
    bool ok = ds != NULL && ct_template(err, ds, f);
    if (ok) {
        pixels = rert_calloc(err, f->ct.dims[0] * f->ct.dims[1], 2);
        ok = pixels != NULL;
    }
    for (size_t k = 0; ok && k < f->ct.dims[2]; k++) {
        ok = ct_slice(err, m, f, ds, k, pixels, dir);
        if (ok) {
            phantom_progress_step(progress);
        }
    }
    rert_free(pixels);
    rert_dataset_destroy(ds);
    return ok;
}
