/* Private declarations of the deformable registration and vector field
 * files (field.c, field_quality.c, demons*.c, metaimage.c, nifti.c,
 * vf_io.c: MetaImage, NIfTI-1, gzip). Never installed. */
#ifndef RERT_REGISTRATION_VF_INTERNAL_H
#define RERT_REGISTRATION_VF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

struct RertVectorField {
    RertGridGeometry geometry;
    size_t voxels;
    float *data; /* 3 * voxels, 64-byte aligned */
};

/* ---- field.c */

/* The upper 3x3 of xyz_to_ijk: a vector in mm -> index offsets. */
void vf_vector_to_index(const RertGridGeometry *g, double m[3][3]);

/* Trilinear sample of a 3-component field at fractional index @p ijk,
 * clamped to the grid (edge values beyond the outermost centres). */
void vf_sample_clamped(const RertGridGeometry *g,
                       const float *data,
                       const double ijk[3],
                       float out[3]);

/* Resample the field @p src (grid @p sg) onto grid @p dg (clamped
 * trilinear; vectors in mm are unchanged). OpenMP over target slices. */
void vf_resample(const RertGridGeometry *sg,
                 const float *src,
                 const RertGridGeometry *dg,
                 float *dst);

/* Longest axis vf_smooth() handles (a stack line buffer). */
#define VF_MAX_AXIS 4096

/* Gaussian smoothing of @p channels interleaved components per voxel,
 * @p sigma in voxels along every axis (kernel to 3 sigma, edge values
 * repeated), in place. sigma <= 0 does nothing; grids with an axis longer
 * than VF_MAX_AXIS are left unchanged (callers check first). */
void vf_smooth(const RertGridGeometry *g,
               float *data,
               size_t channels,
               double sigma);

/* Allocate an uninitialised-by-contract (zeroed) field with the default
 * voxel limit. */
RertVectorField *vf_new(RertError *err, const RertGridGeometry *g);

/* ---- metaimage.c / nifti.c: decoded image (1 or 3 channels, floats
 * interleaved per voxel, LPS components) */
typedef struct VfImage {
    RertGridGeometry geometry;
    size_t channels;
    float *data; /* channels * voxels; rert_free() */
} VfImage;

/* Element types of MetaImage and NIfTI data. */
typedef enum VfElementKind {
    VF_EL_U8 = 0,
    VF_EL_I8,
    VF_EL_U16,
    VF_EL_I16,
    VF_EL_U32,
    VF_EL_I32,
    VF_EL_F32,
    VF_EL_F64,
} VfElementKind;

/* The element of @p kind and @p bytes bytes at @p p (either byte order)
 * as a double. vf_io.c. */
double vf_element_value(const uint8_t *p,
                        VfElementKind kind,
                        size_t bytes,
                        bool big_endian);

/* Where a MetaImage's data is. */
typedef struct VfMetaHeader {
    size_t dims[3];
    double origin[3];
    double spacing[3];
    double direction[9];
    size_t channels;
    int element_type; /* index into the element table of metaimage.c */
    size_t element_bytes;
    bool big_endian;
    bool compressed;
    size_t compressed_size; /* 0 = unknown */
    long header_size;       /* HeaderSize, -1 = data at the end */
    bool data_local;
    char data_file[256]; /* ElementDataFile when not LOCAL */
    size_t header_bytes; /* bytes of the header text (LOCAL data) */
} VfMetaHeader;

bool vf_meta_header_parse(RertError *err,
                          const uint8_t *data,
                          size_t size,
                          const char *name,
                          VfMetaHeader *out);

/* Decode the data of @p h from @p data (@p size bytes, starting at the
 * data file's first byte, HeaderSize applied here) into @p out. */
bool vf_meta_decode(RertError *err,
                    const VfMetaHeader *h,
                    const uint8_t *data,
                    size_t size,
                    const char *name,
                    const RertLimits *limits,
                    VfImage *out);

/* Header text of a MetaImage with @p channels float channels; @p
 * data_file "LOCAL" or a file name. New string, rert_free(). */
char *vf_meta_header_write(RertError *err,
                           const RertGridGeometry *g,
                           size_t channels,
                           const char *data_file);

/* True when @p data starts like a NIfTI-1 header (either byte order). */
bool vf_nifti_detect(const uint8_t *data, size_t size);

/* Decode a NIfTI-1 single file (.nii bytes): a scalar volume (1 channel)
 * or a vector field (3 channels, LPS components). */
bool vf_nifti_parse(RertError *err,
                    const uint8_t *data,
                    size_t size,
                    const char *name,
                    const RertLimits *limits,
                    VfImage *out);

/* NIfTI-1 bytes of a float32 image of @p channels (1: scalar volume, 3:
 * vector field, intent 1007) interleaved per voxel in @p data: header +
 * planar components. New buffer in @p out (rert_free()), @p size its
 * length. */
bool vf_nifti_encode(RertError *err,
                     const RertGridGeometry *g,
                     size_t channels,
                     const float *data,
                     uint8_t **out,
                     size_t *size);

#endif
