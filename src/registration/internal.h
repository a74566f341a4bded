/* Private declarations shared by the registration files. Never installed. */
#ifndef RERT_REGISTRATION_INTERNAL_H
#define RERT_REGISTRATION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/geometry.h>
#include <rert/registration.h>

/* Spatial Registration Storage SOP class (PS3.4 B.5; the same value as
 * RERT_SOP_REGISTRATION in rt.h, which this module does not include). */
#define REG_SOP_CLASS_UID "1.2.840.10008.5.1.4.1.1.66.1"

/* ---- pyramid.c: down-sampling, masks, centres of mass */

/* Block-average @p v by @p shrink[a] voxels along each axis (the block
 * mean sits at the block centre); shrink 1,1,1 gives a copy. New volume. */
RertVolume *
reg_volume_shrink(RertError *err, const RertVolume *v, const size_t shrink[3]);

/* Shrink factors of level @p level (0 = coarsest) of @p levels for a grid
 * with @p spacing_mm: about 2^(levels-1-level) * min spacing / spacing,
 * at least 1, and never leaving fewer than 4 voxels along an axis that
 * had at least 4. */
void reg_level_shrink(const RertGridGeometry *g,
                      unsigned levels,
                      unsigned level,
                      size_t shrink[3]);

/* Centre of mass (patient mm) of the voxels above @p threshold (all when
 * NaN). False when there are none. */
bool reg_volume_centroid(const RertVolume *v, double threshold, double out[3]);

/* ---- metric.c: fixed samples and the similarity measures */

/* Fixed voxels that drive the metric at one level, grouped in chunks
 * (fixed slices) so partial sums can be combined in a fixed order. */
typedef struct RegSamples {
    size_t count;
    float *xyz;          /* 3 per sample, fixed patient mm */
    float *value;        /* fixed intensity */
    uint16_t *bin;       /* fixed histogram bin */
    size_t chunk_count;  /* fixed slices */
    size_t *chunk_start; /* chunk_count + 1 offsets into the samples */
} RegSamples;

/* Collect the voxels of @p fixed with mask[i] >= 0.5 (@p mask on the same
 * grid; NULL = all voxels) and fill their bins (@p bins over the sample
 * range). */
bool reg_samples_build(RertError *err,
                       const RertVolume *fixed,
                       const float *mask,
                       unsigned bins,
                       RegSamples *out);
void reg_samples_clear(RegSamples *s);

/* One metric at one level: scratch space for per-chunk partials. */
typedef struct RegMetric {
    const RegSamples *samples;
    const RertVolume *moving;
    RertRigidMetric kind;
    unsigned bins;
    double moving_min;
    double bin_scale; /* moving value -> continuous bin */
    double *partials; /* chunk_count * stride */
    size_t stride;
    size_t evaluations;
} RegMetric;

bool reg_metric_init(RertError *err,
                     RegMetric *m,
                     const RegSamples *samples,
                     const RertVolume *moving,
                     RertRigidMetric kind,
                     unsigned bins);
void reg_metric_clear(RegMetric *m);

/* Metric (larger is better) for @p fixed_to_moving; @p overlap_frac
 * receives the fraction of samples inside the moving grid. Returns -inf
 * when fewer than 16 samples overlap. */
double reg_metric_evaluate(RegMetric *m,
                           const RertMat4 *fixed_to_moving,
                           double *overlap_frac);

/* ---- reg_common.c: DICOM (Deformable) Spatial Registration, the parts
 * the readers and writers of both IODs share */

/* Tags used by more than one of reg_read.c, reg_write.c, dreg_read.c,
 * dreg_write.c and reg_common.c. */
#define TAG_SOP_CLASS_UID RERT_TAG(0x0008, 0x0016)
#define TAG_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x0018)
#define TAG_REFERENCED_IMAGE_SEQUENCE RERT_TAG(0x0008, 0x1140)
#define TAG_IMAGE_POSITION RERT_TAG(0x0020, 0x0032)
#define TAG_IMAGE_ORIENTATION RERT_TAG(0x0020, 0x0037)
#define TAG_FRAME_OF_REFERENCE_UID RERT_TAG(0x0020, 0x0052)
#define TAG_DEFORMABLE_SEQUENCE RERT_TAG(0x0064, 0x0002)
#define TAG_SOURCE_FRAME_UID RERT_TAG(0x0064, 0x0003)
#define TAG_GRID_SEQUENCE RERT_TAG(0x0064, 0x0005)
#define TAG_GRID_DIMENSIONS RERT_TAG(0x0064, 0x0007)
#define TAG_GRID_RESOLUTION RERT_TAG(0x0064, 0x0008)
#define TAG_VECTOR_GRID_DATA RERT_TAG(0x0064, 0x0009)
#define TAG_PRE_SEQUENCE RERT_TAG(0x0064, 0x000F)
#define TAG_POST_SEQUENCE RERT_TAG(0x0064, 0x0010)
#define TAG_REGISTRATION_SEQUENCE RERT_TAG(0x0070, 0x0308)
#define TAG_MATRIX_REGISTRATION_SEQUENCE RERT_TAG(0x0070, 0x0309)
#define TAG_MATRIX_SEQUENCE RERT_TAG(0x0070, 0x030A)
#define TAG_MATRIX_TYPE RERT_TAG(0x0070, 0x030C)
#define TAG_REGISTRATION_TYPE_CODE_SEQUENCE RERT_TAG(0x0070, 0x030D)
#define TAG_MATRIX RERT_TAG(0x3006, 0x00C6)
#define TAG_MATRIX_COMMENT RERT_TAG(0x3006, 0x00C8)

/* Reading. @p where names the item in messages. */

/* SOPClassUID must be @p sop_class (UNSUPPORTED naming @p object, e.g.
 * "Spatial Registration", otherwise); SOPInstanceUID into @p sop_uid ("" when
 * absent). */
bool reg_read_sop(RertError *err,
                  const RertDataset *ds,
                  const char *sop_class,
                  const char *object,
                  char sop_uid[RERT_UID_SIZE]);

/* Check a 4x4 registration matrix: last row 0 0 0 1 within 1e-6, a
 * non-RIGID @p type only when @p allow_non_rigid, RIGID ones orthonormal
 * with det 1 within @p tolerance, and invertible. */
bool reg_matrix_check(RertError *err,
                      const RertMat4 *m,
                      RertRegMatrixType type,
                      bool allow_non_rigid,
                      double tolerance,
                      const char *where);

/* One matrix item: FrameOfReferenceTransformationMatrix (16 DS values,
 * row-major) and its type, checked with reg_matrix_check(). */
bool reg_matrix_item_read(RertError *err,
                          const RertDataset *item,
                          bool allow_non_rigid,
                          double tolerance,
                          const char *where,
                          RertMat4 *m,
                          RertRegMatrixType *type);

/* Writing. @p context starts messages ("REG writing"). */

/* Both image sets valid (frame UID of 1 to 64 characters; with instances,
 * study, series, class and instance UIDs too) and on different frames. */
bool reg_check_image_sets(RertError *err,
                          const RertRegImageSet *reference,
                          const RertRegImageSet *moving,
                          const char *context);

/* The header both writers share (see reg_set_header()). */
typedef struct RegHeader {
    const char *sop_class_uid;
    const RertDataset *source; /* patient and study attributes; may be NULL */
    const RertRegImageSet *reference; /* the REG's own frame and study */
    long series_number;
    const char *series_description; /* NULL: not written */
    const char *content_label;      /* CS, not NULL */
    const char *content_description;
} RegHeader;

/* rert_dicom_set_common_modules() (modality REG, the reference frame, the
 * source's study or the reference images' one), Laterality (type 2C,
 * empty: a registration has no side, but dciodvfy expects it), Content
 * Identification and ContentDate/Time. */
bool reg_set_header(RertError *err,
                    RertDataset *ds,
                    const RegHeader *h,
                    RertDicomNewInstance *instance);

/* ReferencedSOPClass/InstanceUID items of @p s under sequence @p tag. */
bool reg_add_instances(RertError *err,
                       RertDataset *parent,
                       uint32_t tag,
                       const RertRegImageSet *s);

/* Registration Type Code Sequence item (CID 7100): 125024 "Image
 * Content-based Alignment" or 125025 "Visual Alignment". */
bool reg_add_type_code(RertError *err, RertDataset *item, bool content_based);

/* FrameOfReferenceTransformationMatrix @p m and its type @p type_name into
 * matrix item @p item. */
bool reg_set_matrix(RertError *err,
                    RertDataset *item,
                    const RertMat4 *m,
                    const char *type_name);

/* Common Instance Reference (C.12.2) of @p s: series of study @p own_study
 * under ReferencedSeriesSequence, others under their study. */
bool reg_add_series_reference(RertError *err,
                              RertDataset *ds,
                              const RertRegImageSet *s,
                              const char *own_study);

/* One writer (REG or deformable REG): @p check validates the options
 * (its messages start with @p context), @p build fills a new data set and
 * @p instance (its errors get @p context as prefix). */
typedef struct RegWriter {
    const char *context;
    bool (*check)(RertError *err, const void *options);
    bool (*build)(RertError *err,
                  RertDataset *ds,
                  const void *options,
                  RertDicomNewInstance *instance);
} RegWriter;

/* The checked and built data set (new, caller destroys); the new
 * SOPInstanceUID into @p sop_instance_uid unless NULL. */
RertDataset *reg_writer_build(RertError *err,
                              const RegWriter *w,
                              const void *options,
                              char sop_instance_uid[RERT_UID_SIZE]);

/* reg_writer_build() saved to @p path (errors prefixed with the path). */
bool reg_writer_save(RertError *err,
                     const RegWriter *w,
                     const char *path,
                     const void *options,
                     char sop_instance_uid[RERT_UID_SIZE]);

/* Append ", @p uid" (just @p uid when @p is_first) to the list of UIDs an
 * error message names, while it fits. */
void reg_uid_list_add(char list[RERT_ERROR_MESSAGE_SIZE],
                      size_t *used,
                      bool is_first,
                      const char *uid);

#endif
