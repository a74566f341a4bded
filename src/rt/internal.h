/* Private declarations shared by the RT object files. Never installed. */
#ifndef RERT_RT_INTERNAL_H
#define RERT_RT_INTERNAL_H

#include <rert/rt.h>

/* Tags used by more than one file. */
#define TAG_SPECIFIC_CHARSET RERT_TAG(0x0008, 0x0005)
#define TAG_SOP_CLASS_UID RERT_TAG(0x0008, 0x0016)
#define TAG_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x0018)
#define TAG_MODALITY RERT_TAG(0x0008, 0x0060)
#define TAG_SERIES_DESCRIPTION RERT_TAG(0x0008, 0x103E)
#define TAG_REFERENCED_SOP_CLASS_UID RERT_TAG(0x0008, 0x1150)
#define TAG_REFERENCED_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x1155)
#define TAG_PATIENT_NAME RERT_TAG(0x0010, 0x0010)
#define TAG_PATIENT_ID RERT_TAG(0x0010, 0x0020)
#define TAG_SLICE_THICKNESS RERT_TAG(0x0018, 0x0050)
#define TAG_STUDY_INSTANCE_UID RERT_TAG(0x0020, 0x000D)
#define TAG_SERIES_INSTANCE_UID RERT_TAG(0x0020, 0x000E)
#define TAG_IMAGE_POSITION RERT_TAG(0x0020, 0x0032)
#define TAG_IMAGE_ORIENTATION RERT_TAG(0x0020, 0x0037)
#define TAG_FRAME_OF_REFERENCE_UID RERT_TAG(0x0020, 0x0052)
#define TAG_SAMPLES_PER_PIXEL RERT_TAG(0x0028, 0x0002)
#define TAG_NUMBER_OF_FRAMES RERT_TAG(0x0028, 0x0008)
#define TAG_ROWS RERT_TAG(0x0028, 0x0010)
#define TAG_COLUMNS RERT_TAG(0x0028, 0x0011)
#define TAG_PIXEL_SPACING RERT_TAG(0x0028, 0x0030)
#define TAG_BITS_ALLOCATED RERT_TAG(0x0028, 0x0100)
#define TAG_BITS_STORED RERT_TAG(0x0028, 0x0101)
#define TAG_PIXEL_REPRESENTATION RERT_TAG(0x0028, 0x0103)
#define TAG_TRANSFER_SYNTAX RERT_TAG(0x0002, 0x0010)
#define TAG_PIXEL_DATA RERT_TAG(0x7FE0, 0x0010)
#define TAG_REFERENCED_RT_PLAN_SEQ RERT_TAG(0x300C, 0x0002)

/* Growable list of warning strings owned by an RT object. */
typedef struct RtWarnings {
    char **items;
    size_t count;
    size_t cap;
} RtWarnings;

/* Append a formatted warning. */
bool rt_warnings_add(RertError *err, RtWarnings *w, const char *fmt, ...)
    RERT_PRINTF(3, 4);
/* Free every warning; the list is empty afterwards. */
void rt_warnings_clear(RtWarnings *w);
/* Item @p index or NULL. */
const char *rt_warnings_at(const RtWarnings *w, size_t index);

/* Fill @p meta from @p ds (missing or oversized values give ""). */
void rt_meta_read(const RertDataset *ds, RertRtMeta *meta);
/* Copy text element @p tag into @p buf ("" when absent or too long). */
void rt_string_or_empty(const RertDataset *ds,
                        uint32_t tag,
                        char *buf,
                        size_t size);

/* Image plane of one image or dose frame (PS3.3 C.7.6.2). */
typedef struct RtImagePlane {
    double position[3];  /* ImagePositionPatient */
    double row_dir[3];   /* IOP[0..2]: increasing column index i */
    double col_dir[3];   /* IOP[3..5]: increasing row index j */
    double normal[3];    /* cross(row_dir, col_dir) */
    double spacing_i_mm; /* PixelSpacing[1] (column spacing) */
    double spacing_j_mm; /* PixelSpacing[0] (row spacing) */
    size_t rows;
    size_t columns;
} RtImagePlane;

/* Read IPP, IOP (orthonormal within 1e-4), PixelSpacing (finite, > 0),
 * Rows and Columns (>= 1). Errors name the tag and the values found. */
bool rt_image_plane_read(RertError *err,
                         const RertDataset *ds,
                         RtImagePlane *plane);

/* Vector helpers. */
double rt_dot3(const double *a, const double *b);
void rt_cross3(const double *a, const double *b, double *out);

/* Transfer syntax of @p ds: (0002,0010) or explicit VR LE. */
void rt_transfer_syntax(const RertDataset *ds, char out[RERT_UID_SIZE]);

/* Clone @p ds without (7FE0,0010). */
RertDataset *rt_header_clone(RertError *err, const RertDataset *ds);

/* Sample @p index of decoded little-endian pixel bytes as a double, for
 * 8/16/32 bits allocated, signed or not, masked to @p bits_stored. */
typedef struct RtPixelFormat {
    unsigned bits_allocated;
    unsigned bits_stored;
    bool is_signed;
} RtPixelFormat;
bool rt_pixel_format_read(RertError *err,
                          const RertDataset *ds,
                          RtPixelFormat *fmt);
double
rt_pixel_value(const uint8_t *bytes, size_t index, const RtPixelFormat *fmt);

/* ASCII case-insensitive comparison of trimmed strings. */
bool rt_name_equal(const char *a, const char *b);

/* Deep copy of the elements of @p src into @p dst (sequences included),
 * bounded by @p depth levels of nesting. */
bool rt_dataset_copy_into(RertError *err,
                          RertDataset *dst,
                          const RertDataset *src,
                          size_t depth);
/* Copy element @p el (a sequence with its items, each copied with
 * rt_dataset_copy_into() and @p depth) into @p dst. */
bool rt_element_copy_into(RertError *err,
                          RertDataset *dst,
                          const RertElement *el,
                          size_t depth);

#endif
