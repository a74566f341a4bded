/* Phantom RT Plan (PS3.3 A.20: RT General Plan C.8.8.9, RT Prescription
 * C.8.8.10, RT Patient Setup C.8.8.12, RT Fraction Scheme C.8.8.13, RT
 * Beams C.8.8.14): static 6 MV photon beams around the target. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>

#include "internal.h"

#define TAG_REF_SOP_CLASS RERT_TAG(0x0008, 0x1150)
#define TAG_REF_SOP_INSTANCE RERT_TAG(0x0008, 0x1155)
#define TAG_DEVICE_TYPE RERT_TAG(0x300A, 0x00B8)
/* Monitor units per cGy of beam dose: a typical order of magnitude. */
#define MU_PER_CGY 1.25
#define MAX_BEAMS 9

static bool set_text(RertError *err,
                     RertDataset *ds,
                     uint32_t tag,
                     const char *vr,
                     const char *value)
{
    return rert_dataset_set_string(err, ds, tag, vr, value);
}

static bool set_one_ds(RertError *err, RertDataset *ds, uint32_t tag, double v)
{
    return rert_dataset_set_ds(err, ds, tag, &v, 1);
}

static bool set_one_is(RertError *err, RertDataset *ds, uint32_t tag, long v)
{
    return rert_dataset_set_is(err, ds, tag, &v, 1);
}

/* Gantry angles of course index @p c. */
static size_t beam_angles(unsigned c, double angles[MAX_BEAMS])
{
    size_t n = c == 0 ? 7 : 9;
    double step = c == 0 ? 50.0 : 40.0;
    double first = c == 0 ? 180.0 : 0.0;
    for (size_t b = 0; b < n; b++) {
        angles[b] = fmod(first + (double)b * step, 360.0);
    }
    return n;
}

static bool
general_plan(RertError *err, RertDataset *ds, const PhantomCourseFiles *f)
{
    char label[16];
    char name[32];
    (void)snprintf(label, sizeof label, "RERT_C%u", f->c + 1);
    (void)snprintf(name, sizeof name, "Course %u H&N", f->c + 1);
    RertDataset *ref = rert_dataset_add_item(err, ds, RERT_TAG(0x300C, 0x0060));
    return ref != NULL &&
           set_text(err, ref, TAG_REF_SOP_CLASS, "UI", RERT_SOP_RTSTRUCT) &&
           set_text(err, ref, TAG_REF_SOP_INSTANCE, "UI", f->rs_uid) &&
           set_text(err, ds, RERT_TAG(0x300A, 0x0002), "SH", label) &&
           set_text(err, ds, RERT_TAG(0x300A, 0x0003), "LO", name) &&
           set_text(err, ds, RERT_TAG(0x300A, 0x0006), "DA", f->plan_date) &&
           set_text(err, ds, RERT_TAG(0x300A, 0x0007), "TM", "140000") &&
           set_text(err, ds, RERT_TAG(0x300A, 0x000A), "CS", "CURATIVE") &&
           set_text(err, ds, RERT_TAG(0x300A, 0x000C), "CS", "PATIENT") &&
           set_text(err, ds, RERT_TAG(0x0020, 0x0052), "UI", f->frame_uid) &&
           set_text(err, ds, RERT_TAG(0x0020, 0x1040), "LO", "");
}

/* RT Prescription: one TARGET dose reference on the PTV (ROI number 11,
 * the PTV's place in the structure set). */
static bool
prescription(RertError *err, RertDataset *ds, const PhantomCourseFiles *f)
{
    const RertPhantomCourse *course = &f->options->courses[f->c];
    char ptv[32];
    phantom_ptv_name(f->options, f->c, ptv, sizeof ptv);
    RertDataset *dr = rert_dataset_add_item(err, ds, RERT_TAG(0x300A, 0x0010));
    return dr != NULL && set_one_is(err, dr, RERT_TAG(0x300A, 0x0012), 1) &&
           set_text(err, dr, RERT_TAG(0x300A, 0x0014), "CS", "VOLUME") &&
           set_text(err, dr, RERT_TAG(0x300A, 0x0016), "LO", ptv) &&
           set_one_is(err, dr, RERT_TAG(0x3006, 0x0084),
                      (long)RERT_PHANTOM_PTV + 1) &&
           set_text(err, dr, RERT_TAG(0x300A, 0x0020), "CS", "TARGET") &&
           set_one_ds(err, dr, RERT_TAG(0x300A, 0x0026),
                      course->prescription_gy) &&
           set_text(err, ds, RERT_TAG(0x300A, 0x000E), "ST",
                    "PTV prescription, rert phantom");
}

static bool patient_setup(RertError *err, RertDataset *ds)
{
    RertDataset *s = rert_dataset_add_item(err, ds, RERT_TAG(0x300A, 0x0180));
    return s != NULL && set_one_is(err, s, RERT_TAG(0x300A, 0x0182), 1) &&
           set_text(err, s, RERT_TAG(0x0018, 0x5100), "CS", "HFS") &&
           set_text(err, s, RERT_TAG(0x300A, 0x01B0), "CS", "ISOCENTRIC");
}

static bool fraction_scheme(RertError *err,
                            RertDataset *ds,
                            const PhantomCourseFiles *f,
                            size_t beams)
{
    const RertPhantomCourse *course = &f->options->courses[f->c];
    double beam_dose =
        course->prescription_gy / (double)course->fractions / (double)beams;
    double meterset = round(beam_dose * 100.0 * MU_PER_CGY * 10.0) / 10.0;
    RertDataset *fg = rert_dataset_add_item(err, ds, RERT_TAG(0x300A, 0x0070));
    bool ok =
        fg != NULL && set_one_is(err, fg, RERT_TAG(0x300A, 0x0071), 1) &&
        set_one_is(err, fg, RERT_TAG(0x300A, 0x0078), course->fractions) &&
        set_one_is(err, fg, RERT_TAG(0x300A, 0x0080), (long)beams) &&
        set_one_is(err, fg, RERT_TAG(0x300A, 0x00A0), 0);
    for (size_t b = 0; ok && b < beams; b++) {
        RertDataset *rb =
            rert_dataset_add_item(err, fg, RERT_TAG(0x300C, 0x0004));
        ok = rb != NULL &&
             set_one_is(err, rb, RERT_TAG(0x300C, 0x0006), (long)b + 1) &&
             set_one_ds(err, rb, RERT_TAG(0x300A, 0x0084), beam_dose) &&
             set_one_ds(err, rb, RERT_TAG(0x300A, 0x0086), meterset);
    }
    return ok;
}

static bool device(RertError *err,
                   RertDataset *parent,
                   uint32_t seq,
                   const char *type,
                   const double *jaws)
{
    RertDataset *d = rert_dataset_add_item(err, parent, seq);
    if (d == NULL || !set_text(err, d, TAG_DEVICE_TYPE, "CS", type)) {
        return false;
    }
    if (jaws == NULL) {
        return set_one_is(err, d, RERT_TAG(0x300A, 0x00BC), 1);
    }
    return rert_dataset_set_ds(err, d, RERT_TAG(0x300A, 0x011C), jaws, 2);
}

static bool
control_point0(RertError *err, RertDataset *cp, double gantry, RertVec3 iso)
{
    static const double x_jaws[2] = {-50.0, 50.0};
    static const double y_jaws[2] = {-60.0, 60.0};
    double isocenter[3] = {iso.x, iso.y, iso.z};
    const uint32_t seq = RERT_TAG(0x300A, 0x011A);
    return set_one_ds(err, cp, RERT_TAG(0x300A, 0x0114), 6.0) &&
           set_one_ds(err, cp, RERT_TAG(0x300A, 0x0115), 600.0) &&
           device(err, cp, seq, "ASYMX", x_jaws) &&
           device(err, cp, seq, "ASYMY", y_jaws) &&
           set_one_ds(err, cp, RERT_TAG(0x300A, 0x011E), gantry) &&
           set_text(err, cp, RERT_TAG(0x300A, 0x011F), "CS", "NONE") &&
           set_one_ds(err, cp, RERT_TAG(0x300A, 0x0120), 0.0) &&
           set_text(err, cp, RERT_TAG(0x300A, 0x0121), "CS", "NONE") &&
           set_one_ds(err, cp, RERT_TAG(0x300A, 0x0122), 0.0) &&
           set_text(err, cp, RERT_TAG(0x300A, 0x0123), "CS", "NONE") &&
           set_one_ds(err, cp, RERT_TAG(0x300A, 0x0125), 0.0) &&
           set_text(err, cp, RERT_TAG(0x300A, 0x0126), "CS", "NONE") &&
           set_text(err, cp, RERT_TAG(0x300A, 0x0128), "DS", "") &&
           set_text(err, cp, RERT_TAG(0x300A, 0x0129), "DS", "") &&
           set_text(err, cp, RERT_TAG(0x300A, 0x012A), "DS", "") &&
           rert_dataset_set_ds(err, cp, RERT_TAG(0x300A, 0x012C), isocenter, 3);
}

static bool
control_points(RertError *err, RertDataset *beam, double gantry, RertVec3 iso)
{
    const uint32_t seq = RERT_TAG(0x300A, 0x0111);
    RertDataset *cp0 = rert_dataset_add_item(err, beam, seq);
    if (cp0 == NULL || !set_one_is(err, cp0, RERT_TAG(0x300A, 0x0112), 0) ||
        !control_point0(err, cp0, gantry, iso) ||
        !set_one_ds(err, cp0, RERT_TAG(0x300A, 0x0134), 0.0)) {
        return false;
    }
    RertDataset *cp1 = rert_dataset_add_item(err, beam, seq);
    return cp1 != NULL && set_one_is(err, cp1, RERT_TAG(0x300A, 0x0112), 1) &&
           set_one_ds(err, cp1, RERT_TAG(0x300A, 0x0134), 1.0);
}

static bool
beam(RertError *err, RertDataset *ds, long number, double gantry, RertVec3 iso)
{
    char name[16];
    (void)snprintf(name, sizeof name, "G%03.0f", gantry);
    const uint32_t devices = RERT_TAG(0x300A, 0x00B6);
    RertDataset *b = rert_dataset_add_item(err, ds, RERT_TAG(0x300A, 0x00B0));
    return b != NULL && set_one_is(err, b, RERT_TAG(0x300A, 0x00C0), number) &&
           set_text(err, b, RERT_TAG(0x300A, 0x00C2), "LO", name) &&
           set_text(err, b, RERT_TAG(0x300A, 0x00C4), "CS", "STATIC") &&
           set_text(err, b, RERT_TAG(0x300A, 0x00C6), "CS", "PHOTON") &&
           set_text(err, b, RERT_TAG(0x300A, 0x00B2), "SH", "RERT_LINAC") &&
           set_text(err, b, RERT_TAG(0x300A, 0x00B3), "CS", "MU") &&
           set_one_ds(err, b, RERT_TAG(0x300A, 0x00B4), 1000.0) &&
           device(err, b, devices, "ASYMX", NULL) &&
           device(err, b, devices, "ASYMY", NULL) &&
           set_text(err, b, RERT_TAG(0x300A, 0x00CE), "CS", "TREATMENT") &&
           set_one_is(err, b, RERT_TAG(0x300A, 0x00D0), 0) &&
           set_one_is(err, b, RERT_TAG(0x300A, 0x00E0), 0) &&
           set_one_is(err, b, RERT_TAG(0x300A, 0x00ED), 0) &&
           set_one_is(err, b, RERT_TAG(0x300A, 0x00F0), 0) &&
           set_one_ds(err, b, RERT_TAG(0x300A, 0x010E), 1.0) &&
           set_one_is(err, b, RERT_TAG(0x300A, 0x0110), 2) &&
           set_one_is(err, b, RERT_TAG(0x300C, 0x006A), 1) &&
           control_points(err, b, gantry, iso);
}

static bool build(RertError *err,
                  const PhantomModel *m,
                  const PhantomCourseFiles *f,
                  RertDataset *ds)
{
    char description[32];
    (void)snprintf(description, sizeof description, "RTPLAN course %u",
                   f->c + 1);
    double angles[MAX_BEAMS];
    size_t beams = beam_angles(f->c, angles);
    RertVec3 iso = phantom_from_anatomy(m, f->c, phantom_target_center(f->c));
    iso.x = round(iso.x * 10.0) / 10.0;
    iso.y = round(iso.y * 10.0) / 10.0;
    iso.z = round(iso.z * 10.0) / 10.0;
    bool ok = phantom_set_common(err, ds, f, "RTPLAN", RERT_SOP_RTPLAN,
                                 f->rp_uid, f->rp_series_uid, 3, description) &&
              general_plan(err, ds, f) && prescription(err, ds, f) &&
              patient_setup(err, ds) && fraction_scheme(err, ds, f, beams);
    for (size_t b = 0; ok && b < beams; b++) {
        ok = beam(err, ds, (long)b + 1, angles[b], iso);
    }
    return ok;
}

bool phantom_rtplan_write(RertError *err,
                          const PhantomModel *m,
                          PhantomCourseFiles *f,
                          const char *path)
{
    RertDataset *ds = rert_dataset_create(err);
    bool ok =
        ds != NULL && build(err, m, f, ds) && phantom_save(err, ds, path, f);
    rert_dataset_destroy(ds);
    return ok;
}
