/* Private declarations shared by the phantom files. Never installed. */
#ifndef RERT_PHANTOM_INTERNAL_H
#define RERT_PHANTOM_INTERNAL_H

#include <rert/dicom.h>
#include <rert/phantom.h>
#include <rert/rt.h>

/* ---- the analytic model (anatomy.c) */

/* Course 1's elective nodal PTV gets this fraction of the prescription. */
#define PHANTOM_ELECTIVE_LEVEL 0.8

/* Options plus the derived course transforms. Index c is the course
 * minus one. */
typedef struct PhantomModel {
    RertPhantomOptions options;
    RertMat4 to_anatomy[RERT_PHANTOM_COURSES];   /* course xyz -> anatomy */
    RertMat4 from_anatomy[RERT_PHANTOM_COURSES]; /* anatomy -> course xyz */
} PhantomModel;

/* Fill @p m from @p o (NULL = defaults); no validation. */
void phantom_model_init(PhantomModel *m, const RertPhantomOptions *o);

/* ---- the course mappings (deform.c) */

/* Anatomy (course-1) point shown at the course-index-@p c point @p x: the
 * rigid matrix, then for course 2 the deformation. */
RertVec3 phantom_to_anatomy(const PhantomModel *m, unsigned c, RertVec3 x);
/* Inverse: the course-index-@p c point showing anatomy point @p p. */
RertVec3 phantom_from_anatomy(const PhantomModel *m, unsigned c, RertVec3 p);
/* Upper bound of the deformation's displacement in course index @p c
 * (mm; 0 for course 1). */
double phantom_deformation_bound(const PhantomModel *m, unsigned c);

/* Signed distance-like value (mm, negative inside) of @p s for course
 * index @p c at the ANATOMY point @p p; +inf when not in that course. */
double phantom_sdf(unsigned c, RertPhantomStructure s, RertVec3 p);

/* Noise-free HU of course index @p c at the anatomy point @p p, edges
 * blended over @p w mm. */
double phantom_hu(unsigned c, RertVec3 p, double w);

/* Physical dose (Gy) of course index @p c at the anatomy point @p p. */
double phantom_dose(const PhantomModel *m, unsigned c, RertVec3 p);

/* Conservative axis-aligned bounds of @p s in anatomy coordinates (z may
 * be +-inf for structures that run through the scan). */
typedef struct PhantomBox {
    double lo[3];
    double hi[3];
} PhantomBox;
PhantomBox phantom_structure_box(RertPhantomStructure s);

/* True when structure @p s is delineated in course index @p c. */
bool phantom_structure_in_course(unsigned c, RertPhantomStructure s);
/* RTROIInterpretedType and display colour of @p s. */
const char *phantom_structure_type(RertPhantomStructure s);
void phantom_structure_color(RertPhantomStructure s, uint16_t rgb[3]);

/* Centre of the prescription target of course index @p c (anatomy). */
RertVec3 phantom_target_center(unsigned c);

/* Highest dose of course index @p c inside the spinal cord, searched on a
 * 0.5 mm grid of anatomy points whose course-c position lies within
 * [z_lo, z_hi]; position in anatomy coordinates. */
double phantom_cord_max(const PhantomModel *m,
                        unsigned c,
                        double z_lo,
                        double z_hi,
                        RertVec3 *where);
/* Highest sum of both courses' doses (physical and EQD2 with alpha/beta
 * ab_gy) inside the cord, same search, and the D0.03cc of each sum. */
typedef struct PhantomCordSum {
    double physical_gy;
    double eqd2_gy;
    double physical_d003cc_gy;
    double eqd2_d003cc_gy;
} PhantomCordSum;
void phantom_cord_sum_max(const PhantomModel *m,
                          double z_lo,
                          double z_hi,
                          double ab_gy,
                          PhantomCordSum *out);

/* ---- contours (contour.c) */

/* A growable list of closed planar polygons for one slice. */
typedef struct PhantomContours {
    RertVec3 *points; /* all polygons' points, concatenated */
    size_t *counts;   /* points per polygon */
    size_t polygon_count;
    size_t point_count;
    size_t point_cap;
    size_t polygon_cap;
} PhantomContours;

/* Scratch memory for the marching squares. */
typedef struct PhantomContourWork {
    double *values;
    uint32_t *links; /* two neighbours per grid edge */
    size_t cap_nodes;
    RertVec3 *loop;
    size_t loop_cap;
} PhantomContourWork;

void phantom_contours_reset(PhantomContours *out);
void phantom_contours_clear(PhantomContours *out);
void phantom_contour_work_clear(PhantomContourWork *w);

/* Append to @p out the contours of structure @p s of course index @p c on
 * the course plane z = @p z_mm, sampled at most every @p max_step_mm (finer
 * for small structures) around the structure, clipped to the course-plane
 * rectangle @p fov = {x0, y0, x1, y1}. */
bool phantom_contours_slice(RertError *err,
                            const PhantomModel *m,
                            unsigned c,
                            RertPhantomStructure s,
                            double z_mm,
                            const double fov[4],
                            double max_step_mm,
                            PhantomContourWork *w,
                            PhantomContours *out);

/* ---- writing (ct.c, rtstruct.c, rtplan.c, dose.c) */

/* Everything one course's files share. */
typedef struct PhantomCourseFiles {
    unsigned c;                        /* course index */
    const RertPhantomOptions *options; /* borrowed from the model */
    RertGridGeometry ct;
    char study_uid[RERT_UID_SIZE];
    char frame_uid[RERT_UID_SIZE];
    char ct_series_uid[RERT_UID_SIZE];
    char rs_uid[RERT_UID_SIZE];
    char rs_series_uid[RERT_UID_SIZE];
    char rp_uid[RERT_UID_SIZE];
    char rp_series_uid[RERT_UID_SIZE];
    char rd_uid[RERT_UID_SIZE];
    char (*slice_uids)[RERT_UID_SIZE]; /* ct.dims[2] UIDs, owned */
    char ct_date[9];                   /* YYYYMMDD */
    char plan_date[9];
    RertDataset *header; /* patient, study, frame of reference; owned */
    size_t files;
    size_t bytes;
} PhantomCourseFiles;

/* Course @p c's grid, UIDs, dates and shared header. */
bool phantom_course_init(RertError *err,
                         const PhantomModel *m,
                         unsigned c,
                         PhantomCourseFiles *f);
void phantom_course_clear(PhantomCourseFiles *f);

/* Set the Patient, General Study, series, equipment and SOP Common
 * attributes on @p ds. */
bool phantom_set_common(RertError *err,
                        RertDataset *ds,
                        const PhantomCourseFiles *f,
                        const char *modality,
                        const char *sop_class,
                        const char *sop_uid,
                        const char *series_uid,
                        long series_number,
                        const char *description);

/* Save @p ds to @p path and count the file. */
bool phantom_save(RertError *err,
                  const RertDataset *ds,
                  const char *path,
                  PhantomCourseFiles *f);

/* Called after each file; counts towards the progress callback. */
typedef struct PhantomProgress {
    const RertPhantomOptions *options;
    size_t done;
    size_t total;
} PhantomProgress;
void phantom_progress_step(PhantomProgress *p);

bool phantom_ct_write(RertError *err,
                      const PhantomModel *m,
                      PhantomCourseFiles *f,
                      const char *dir,
                      PhantomProgress *progress);
bool phantom_rtstruct_write(RertError *err,
                            const PhantomModel *m,
                            PhantomCourseFiles *f,
                            const char *path);
bool phantom_rtplan_write(RertError *err,
                          const PhantomModel *m,
                          PhantomCourseFiles *f,
                          const char *path);
bool phantom_dose_write(RertError *err,
                        const PhantomModel *m,
                        PhantomCourseFiles *f,
                        const char *path);

/* PTV name of course index @p c ("PTV_70") into @p buf. */
void phantom_ptv_name(const RertPhantomOptions *o,
                      unsigned c,
                      char *buf,
                      size_t size);

#endif
