/* Phantom RT Structure Set (PS3.3 A.19: Structure Set C.8.8.5, ROI Contour
 * C.8.8.6, RT ROI Observations C.8.8.8): closed planar contours of every
 * structure on every CT slice it crosses. */
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dicom.h>

#include "internal.h"

/* Retired Detached Study Management SOP class: what RTReferencedStudy
 * items conventionally name (PS3.3 C.8.8.5). */
#define STUDY_COMPONENT_CLASS "1.2.840.10008.3.1.2.3.1"
#define TAG_REF_SOP_CLASS RERT_TAG(0x0008, 0x1150)
#define TAG_REF_SOP_INSTANCE RERT_TAG(0x0008, 0x1155)
#define TAG_CONTOUR_IMAGE_SEQ RERT_TAG(0x3006, 0x0016)
#define TAG_REFERENCED_ROI_NUMBER RERT_TAG(0x3006, 0x0084)

static bool set_text(RertError *err,
                     RertDataset *ds,
                     uint32_t tag,
                     const char *vr,
                     const char *value)
{
    return rert_dataset_set_string(err, ds, tag, vr, value);
}

static bool add_image_ref(RertError *err, RertDataset *parent, const char *uid)
{
    RertDataset *item =
        rert_dataset_add_item(err, parent, TAG_CONTOUR_IMAGE_SEQ);
    return item != NULL &&
           set_text(err, item, TAG_REF_SOP_CLASS, "UI", RERT_SOP_CT) &&
           set_text(err, item, TAG_REF_SOP_INSTANCE, "UI", uid);
}

/* ReferencedFrameOfReferenceSequence down to every CT slice. */
static bool
set_references(RertError *err, RertDataset *ds, const PhantomCourseFiles *f)
{
    RertDataset *frame =
        rert_dataset_add_item(err, ds, RERT_TAG(0x3006, 0x0010));
    if (frame == NULL ||
        !set_text(err, frame, RERT_TAG(0x0020, 0x0052), "UI", f->frame_uid)) {
        return false;
    }
    RertDataset *study =
        rert_dataset_add_item(err, frame, RERT_TAG(0x3006, 0x0012));
    if (study == NULL ||
        !set_text(err, study, TAG_REF_SOP_CLASS, "UI", STUDY_COMPONENT_CLASS) ||
        !set_text(err, study, TAG_REF_SOP_INSTANCE, "UI", f->study_uid)) {
        return false;
    }
    RertDataset *series =
        rert_dataset_add_item(err, study, RERT_TAG(0x3006, 0x0014));
    if (series == NULL || !set_text(err, series, RERT_TAG(0x0020, 0x000E), "UI",
                                    f->ct_series_uid)) {
        return false;
    }
    for (size_t k = 0; k < f->ct.dims[2]; k++) {
        if (!add_image_ref(err, series, f->slice_uids[k])) {
            return false;
        }
    }
    return true;
}

static bool set_roi(RertError *err,
                    RertDataset *ds,
                    const PhantomCourseFiles *f,
                    long number,
                    const char *name,
                    RertPhantomStructure s)
{
    RertDataset *roi = rert_dataset_add_item(err, ds, RERT_TAG(0x3006, 0x0020));
    RertDataset *obs =
        roi != NULL ? rert_dataset_add_item(err, ds, RERT_TAG(0x3006, 0x0080))
                    : NULL;
    return obs != NULL &&
           rert_dataset_set_is(err, roi, RERT_TAG(0x3006, 0x0022), &number,
                               1) &&
           set_text(err, roi, RERT_TAG(0x3006, 0x0024), "UI", f->frame_uid) &&
           set_text(err, roi, RERT_TAG(0x3006, 0x0026), "LO", name) &&
           set_text(err, roi, RERT_TAG(0x3006, 0x0036), "CS", "AUTOMATIC") &&
           rert_dataset_set_is(err, obs, RERT_TAG(0x3006, 0x0082), &number,
                               1) &&
           rert_dataset_set_is(err, obs, TAG_REFERENCED_ROI_NUMBER, &number,
                               1) &&
           set_text(err, obs, RERT_TAG(0x3006, 0x00A4), "CS",
                    phantom_structure_type(s)) &&
           set_text(err, obs, RERT_TAG(0x3006, 0x00A6), "PN", "");
}

/* ContourData as "x\y\z\..." with 0.01 mm resolution. */
static bool contour_item(RertError *err,
                         RertDataset *roi_contour,
                         const RertVec3 *pts,
                         size_t n,
                         long number,
                         const char *slice_uid,
                         RertStrbuf *sb)
{
    RertDataset *item =
        rert_dataset_add_item(err, roi_contour, RERT_TAG(0x3006, 0x0040));
    if (item == NULL || !add_image_ref(err, item, slice_uid)) {
        return false;
    }
    sb->len = 0; /* reuse the buffer's memory */
    if (sb->data != NULL) {
        sb->data[0] = '\0';
    }
    for (size_t q = 0; q < n; q++) {
        if (!rert_strbuf_printf(err, sb, "%s%.2f\\%.2f\\%.2f",
                                q == 0 ? "" : "\\", pts[q].x, pts[q].y,
                                pts[q].z)) {
            return false;
        }
    }
    long count = (long)n;
    return rert_dataset_set_is(err, item, RERT_TAG(0x3006, 0x0048), &number,
                               1) &&
           set_text(err, item, RERT_TAG(0x3006, 0x0042), "CS",
                    "CLOSED_PLANAR") &&
           rert_dataset_set_is(err, item, RERT_TAG(0x3006, 0x0046), &count,
                               1) &&
           set_text(err, item, RERT_TAG(0x3006, 0x0050), "DS", sb->data);
}

typedef struct ContourState {
    PhantomContourWork work;
    PhantomContours slice;
    RertStrbuf text;
    double fov[4];
    double step_mm;
} ContourState;

static bool roi_contours(RertError *err,
                         const PhantomModel *m,
                         const PhantomCourseFiles *f,
                         RertDataset *ds,
                         long number,
                         RertPhantomStructure s,
                         ContourState *st)
{
    RertDataset *rc = rert_dataset_add_item(err, ds, RERT_TAG(0x3006, 0x0039));
    uint16_t rgb16[3];
    phantom_structure_color(s, rgb16);
    long rgb[3] = {rgb16[0], rgb16[1], rgb16[2]};
    if (rc == NULL ||
        !rert_dataset_set_is(err, rc, RERT_TAG(0x3006, 0x002A), rgb, 3) ||
        !rert_dataset_set_is(err, rc, TAG_REFERENCED_ROI_NUMBER, &number, 1)) {
        return false;
    }
    long contour_number = 0;
    for (size_t k = 0; k < f->ct.dims[2]; k++) {
        RertVec3 ijk = {0.0, 0.0, (double)k};
        double z = rert_grid_ijk_to_xyz(&f->ct, ijk).z;
        phantom_contours_reset(&st->slice);
        if (!phantom_contours_slice(err, m, f->c, s, z, st->fov, st->step_mm,
                                    &st->work, &st->slice)) {
            return false;
        }
        const RertVec3 *pts = st->slice.points;
        for (size_t q = 0; q < st->slice.polygon_count; q++) {
            size_t n = st->slice.counts[q];
            if (!contour_item(err, rc, pts, n, ++contour_number,
                              f->slice_uids[k], &st->text)) {
                return false;
            }
            pts += n;
        }
    }
    return true;
}

static bool structure_set_module(RertError *err,
                                 RertDataset *ds,
                                 const PhantomCourseFiles *f)
{
    char label[16];
    char description[32];
    (void)snprintf(label, sizeof label, "RERT_C%u", f->c + 1);
    (void)snprintf(description, sizeof description, "RTSTRUCT course %u",
                   f->c + 1);
    return phantom_set_common(err, ds, f, "RTSTRUCT", RERT_SOP_RTSTRUCT,
                              f->rs_uid, f->rs_series_uid, 2, description) &&
           set_text(err, ds, RERT_TAG(0x0020, 0x0052), "UI", f->frame_uid) &&
           set_text(err, ds, RERT_TAG(0x0020, 0x1040), "LO", "") &&
           set_text(err, ds, RERT_TAG(0x3006, 0x0002), "SH", label) &&
           set_text(err, ds, RERT_TAG(0x3006, 0x0004), "LO",
                    "rert phantom structures") &&
           set_text(err, ds, RERT_TAG(0x3006, 0x0008), "DA", f->plan_date) &&
           set_text(err, ds, RERT_TAG(0x3006, 0x0009), "TM", "100000") &&
           set_references(err, ds, f);
}

static bool build(RertError *err,
                  const PhantomModel *m,
                  const PhantomCourseFiles *f,
                  RertDataset *ds,
                  ContourState *st)
{
    if (!structure_set_module(err, ds, f)) {
        return false;
    }
    long number = 0;
    for (unsigned s = 0; s < RERT_PHANTOM_STRUCTURE_COUNT; s++) {
        RertPhantomStructure structure = (RertPhantomStructure)s;
        char buf[32];
        const char *name = rert_phantom_structure_name(
            &m->options, f->c + 1, structure, buf, sizeof buf);
        if (name == NULL) {
            continue;
        }
        number++;
        if (!set_roi(err, ds, f, number, name, structure) ||
            !roi_contours(err, m, f, ds, number, structure, st)) {
            return false;
        }
    }
    return true;
}

bool phantom_rtstruct_write(RertError *err,
                            const PhantomModel *m,
                            PhantomCourseFiles *f,
                            const char *path)
{
    ContourState st;
    memset(&st, 0, sizeof st);
    rert_strbuf_init(&st.text, (size_t)1 << 26);
    const RertGridGeometry *g = &f->ct;
    RertVec3 last_ijk = {(double)(g->dims[0] - 1), (double)(g->dims[1] - 1),
                         0.0};
    RertVec3 last = rert_grid_ijk_to_xyz(g, last_ijk);
    st.fov[0] = g->origin_mm[0];
    st.fov[1] = g->origin_mm[1];
    st.fov[2] = last.x;
    st.fov[3] = last.y;
    st.step_mm = g->spacing_mm[0] < 1.0 ? g->spacing_mm[0] : 1.0;
    RertDataset *ds = rert_dataset_create(err);
    bool ok = ds != NULL && build(err, m, f, ds, &st) &&
              phantom_save(err, ds, path, f);
    rert_dataset_destroy(ds);
    rert_strbuf_clear(&st.text);
    phantom_contours_clear(&st.slice);
    phantom_contour_work_clear(&st.work);
    return ok;
}
