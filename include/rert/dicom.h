/**
 * @file dicom.h
 * DICOM data sets (PS3.5): an in-memory tree of elements, Part 10 parsing
 * and writing, pixel data decoding, UIDs.
 *
 * Values are stored as bytes in little-endian order whatever the source
 * transfer syntax (the parser swaps big-endian binary values), so getters
 * never need to know where a data set came from.
 */
#ifndef RERT_DICOM_H
#define RERT_DICOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/error.h>
#include <rert/io.h>

/** Tag from group and element, e.g. RERT_TAG(0x3004, 0x000E). */
#define RERT_TAG(g, e) ((uint32_t)(((uint32_t)(g) << 16) | (uint32_t)(e)))
#define RERT_TAG_GROUP(t) ((uint16_t)((t) >> 16))
#define RERT_TAG_ELEMENT(t) ((uint16_t)((t)&0xFFFFu))

/** Transfer syntax UIDs we know. */
#define RERT_TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define RERT_TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define RERT_TS_DEFLATED_LE "1.2.840.10008.1.2.1.99"
#define RERT_TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define RERT_TS_RLE "1.2.840.10008.1.2.5"

/** A data set (or a sequence item). Opaque. */
typedef struct RertDataset RertDataset;
/** One element of a data set. Opaque; borrowed from its data set. */
typedef struct RertElement RertElement;

/* ---- building and owning */

/** New empty data set. Ownership: new, rert_dataset_destroy(). */
RERT_API RertDataset *rert_dataset_create(RertError *err);
/** Destroy a data set and all its elements and items. NULL allowed. */
RERT_API void rert_dataset_destroy(RertDataset *ds);

/**
 * Set element @p tag to a copy of @p length bytes (little-endian for binary
 * VRs), replacing any existing element with that tag. @p vr is two
 * upper-case letters ("DS", "US", "OB"...); "SQ" is refused here.
 */
RERT_API bool rert_dataset_set_bytes(RertError *err,
                                     RertDataset *ds,
                                     uint32_t tag,
                                     const char *vr,
                                     const void *value,
                                     size_t length);
/**
 * Set a text element (AE AS CS DA DS DT IS LO LT PN SH ST TM UI UT UC UR).
 * Several values are joined by the caller with '\\'. Padding to even length
 * is done by the writer.
 */
RERT_API bool rert_dataset_set_string(RertError *err,
                                      RertDataset *ds,
                                      uint32_t tag,
                                      const char *vr,
                                      const char *value);
/** Set a DS element from @p n doubles (each formatted to fit 16 bytes). */
RERT_API bool rert_dataset_set_ds(RertError *err,
                                  RertDataset *ds,
                                  uint32_t tag,
                                  const double *values,
                                  size_t n);
/** Set an IS element from @p n integers. */
RERT_API bool rert_dataset_set_is(RertError *err,
                                  RertDataset *ds,
                                  uint32_t tag,
                                  const long *values,
                                  size_t n);
/** Set a US element from @p n values. */
RERT_API bool rert_dataset_set_u16(RertError *err,
                                   RertDataset *ds,
                                   uint32_t tag,
                                   const uint16_t *values,
                                   size_t n);
/** Set a UL element from @p n values. */
RERT_API bool rert_dataset_set_u32(RertError *err,
                                   RertDataset *ds,
                                   uint32_t tag,
                                   const uint32_t *values,
                                   size_t n);
/**
 * Append a new empty item to sequence @p tag (created if absent).
 * @return the item, borrowed: owned by @p ds, valid until @p ds is
 * destroyed or that sequence is replaced.
 */
RERT_API RertDataset *
rert_dataset_add_item(RertError *err, RertDataset *ds, uint32_t tag);
/** Remove element @p tag if present (sequences with their items). */
RERT_API void rert_dataset_remove(RertDataset *ds, uint32_t tag);
/** Deep copy. Ownership: new, rert_dataset_destroy(). */
RERT_API RertDataset *rert_dataset_clone(RertError *err, const RertDataset *ds);
/**
 * Deep copy without the top-level element @p skip_tag, e.g. a header
 * without (7FE0,0010) PixelData, which is never copied (cheaper than
 * rert_dataset_clone() followed by rert_dataset_remove()).
 * Errors: NOMEM. Ownership: new, rert_dataset_destroy(). Threads: safe on
 * distinct outputs.
 */
RERT_API RertDataset *rert_dataset_clone_except(RertError *err,
                                                const RertDataset *ds,
                                                uint32_t skip_tag);

/* ---- inspecting */

/** Number of elements at this level. */
RERT_API size_t rert_dataset_count(const RertDataset *ds);
/** The @p index-th element in ascending tag order (borrowed). */
RERT_API const RertElement *rert_dataset_element_at(const RertDataset *ds,
                                                    size_t index);
/** Element @p tag, or NULL when absent (borrowed). */
RERT_API const RertElement *rert_dataset_find(const RertDataset *ds,
                                              uint32_t tag);
/** True when @p tag is present with a non-empty value or items. */
RERT_API bool rert_dataset_has(const RertDataset *ds, uint32_t tag);

RERT_API uint32_t rert_element_tag(const RertElement *el);
/** VR as a NUL-terminated two-letter string (borrowed). */
RERT_API const char *rert_element_vr(const RertElement *el);
/** Value bytes (borrowed; little-endian for binary VRs), NULL if empty. */
RERT_API const uint8_t *rert_element_value(const RertElement *el);
RERT_API size_t rert_element_length(const RertElement *el);
/** True for encapsulated (compressed) pixel data: the value then holds the
 * Basic Offset Table and fragment items, each with its item header, LE. */
RERT_API bool rert_element_is_encapsulated(const RertElement *el);
/** Number of items of a sequence element (0 for other VRs). */
RERT_API size_t rert_element_item_count(const RertElement *el);
/** Item @p index of a sequence element (borrowed), NULL if out of range. */
RERT_API const RertDataset *rert_element_item(const RertElement *el,
                                              size_t index);

/**
 * Text value number @p index (0-based, split on '\\') of element @p tag,
 * with leading/trailing spaces and NULs removed, copied into @p buf.
 * Errors: PARSE when absent (message names the tag and @p index), LIMIT when
 * the value does not fit @p size.
 */
RERT_API bool rert_dataset_get_string(RertError *err,
                                      const RertDataset *ds,
                                      uint32_t tag,
                                      size_t index,
                                      char *buf,
                                      size_t size);
/** Like rert_dataset_get_string but returns @p fallback when absent. */
RERT_API const char *rert_dataset_get_string_or(const RertDataset *ds,
                                                uint32_t tag,
                                                char *buf,
                                                size_t size,
                                                const char *fallback);
/** Number of values (VM) of element @p tag: text split on '\\', binary by
 * VR size; 0 when absent or empty. */
RERT_API size_t rert_dataset_value_count(const RertDataset *ds, uint32_t tag);
/**
 * Numeric value number @p index of @p tag, for DS/IS (strict parse) and
 * US/SS/UL/SL/FL/FD/AT. Errors: PARSE naming the tag when absent or
 * malformed.
 */
RERT_API bool rert_dataset_get_double(RertError *err,
                                      const RertDataset *ds,
                                      uint32_t tag,
                                      size_t index,
                                      double *out);
/** All @p n numeric values of @p tag into @p out; fails unless exactly @p n
 * values are present. */
RERT_API bool rert_dataset_get_doubles(
    RertError *err, const RertDataset *ds, uint32_t tag, double *out, size_t n);
/** Integer value number @p index (IS, US, SS, UL, SL), range-checked. */
RERT_API bool rert_dataset_get_long(RertError *err,
                                    const RertDataset *ds,
                                    uint32_t tag,
                                    size_t index,
                                    long *out);
/** Items of sequence @p tag: count (0 when absent). */
RERT_API size_t rert_dataset_item_count(const RertDataset *ds, uint32_t tag);
/** Item @p index of sequence @p tag (borrowed), NULL when absent. */
RERT_API const RertDataset *
rert_dataset_item(const RertDataset *ds, uint32_t tag, size_t index);

/* ---- Part 10 files */

/** What the parser found about the file itself. */
typedef struct RertDicomFileInfo {
    bool has_preamble;        /**< 128-byte preamble + "DICM" */
    bool has_meta;            /**< group 0002 present */
    char transfer_syntax[65]; /**< UID used for the data set */
} RertDicomFileInfo;

/** Parser options; NULL means defaults. */
typedef struct RertDicomParseOptions {
    RertLimits limits;           /**< safety limits */
    bool stop_before_pixel_data; /**< skip (7FE0,0010) and everything after */
} RertDicomParseOptions;

/** Default parse options (rert_limits_default(), read pixel data). */
RERT_API RertDicomParseOptions rert_dicom_parse_options_default(void);

/**
 * Parse a Part 10 file (with or without preamble and meta header; without
 * meta, implicit VR LE is assumed, or explicit VR LE when detected) from
 * memory. @p name names the source in messages. File meta elements are kept
 * in the returned data set. Errors: PARSE naming the file, the tag and the
 * byte offset; UNSUPPORTED for unknown transfer syntaxes; LIMIT.
 * Ownership: new, rert_dataset_destroy(). @p info may be NULL.
 */
RERT_API RertDataset *rert_dicom_parse(RertError *err,
                                       const void *data,
                                       size_t size,
                                       const char *name,
                                       const RertDicomParseOptions *options,
                                       RertDicomFileInfo *info);
/**
 * Load and parse the file at @p path (see rert_dicom_parse). The file is
 * mapped read-only rather than copied, and values of 64 KiB or more at the
 * top level (pixel data) point into the mapping, which the returned data
 * set keeps until it is destroyed: the pixel data is never copied. Truncating
 * the file while the data set lives is outside the contract (the process may
 * receive SIGBUS). Errors: as rert_dicom_parse, plus IO and LIMIT from the
 * file. Ownership: new, rert_dataset_destroy(). Threads: safe on distinct data
 * sets.
 */
RERT_API RertDataset *rert_dicom_load(RertError *err,
                                      const char *path,
                                      const RertDicomParseOptions *options,
                                      RertDicomFileInfo *info);

/**
 * Serialise @p ds as a Part 10 file, explicit VR little endian, with
 * preamble and a file meta group built from (0008,0016) SOPClassUID and
 * (0008,0018) SOPInstanceUID (any group-0002 elements in @p ds are
 * replaced). Ownership: @p out receives new bytes (rert_bytes_clear()).
 */
RERT_API bool
rert_dicom_write(RertError *err, const RertDataset *ds, RertBytes *out);
/** rert_dicom_write to @p path atomically (temp file + rename). */
RERT_API bool
rert_dicom_save(RertError *err, const RertDataset *ds, const char *path);

/* ---- pixel data */

/**
 * Decode (7FE0,0010) into @p out: native or RLE Lossless; samples of
 * BitsAllocated 8/16/32 as stored (little-endian), frames concatenated.
 * Checks rows x columns x frames x samples x bytes against the data length.
 * Errors: UNSUPPORTED naming the transfer syntax for JPEG and others.
 * @p transfer_syntax is the UID the data set was read with.
 * Ownership: @p out receives new bytes.
 */
RERT_API bool rert_dicom_decode_pixels(RertError *err,
                                       const RertDataset *ds,
                                       const char *transfer_syntax,
                                       const RertLimits *limits,
                                       RertBytes *out);

/**
 * Decode (7FE0,0010) as rert_dicom_decode_pixels() and convert the first
 * @p count stored values to out[i] = (float)(v * slope + intercept),
 * computed in double, where v is the stored integer: BitsAllocated 8/16/32
 * little-endian, masked to (0028,0101) BitsStored (default BitsAllocated)
 * and sign-extended from its top bit when (0028,0103) PixelRepresentation
 * is 1. Native pixel data is converted straight from the data set, with no
 * intermediate copy (the fast path for CT slices and dose grids).
 * @param count at most rows x columns x frames x samples.
 * Errors: as rert_dicom_decode_pixels(); PARSE when BitsStored or
 * PixelRepresentation is out of range or there are fewer than @p count
 * values; INVALID_ARG for a NULL @p out. @p out is unspecified on failure.
 * Ownership: @p out borrowed. Threads: safe on distinct outputs.
 */
RERT_API bool rert_dicom_decode_pixels_float(RertError *err,
                                             const RertDataset *ds,
                                             const char *transfer_syntax,
                                             const RertLimits *limits,
                                             double slope,
                                             double intercept,
                                             float *out,
                                             size_t count);

/* ---- UIDs */

/** Longest UID plus NUL. */
#define RERT_UID_SIZE 65
/** New UID "2.25.<128-bit random decimal>" into @p out. Errors: IO when no
 * random source is available. */
RERT_API bool rert_uid_generate(RertError *err, char out[RERT_UID_SIZE]);

/** Dictionary VR for a standard tag ("UN" when unknown); used for implicit
 * VR data. */
RERT_API const char *rert_dicom_dict_vr(uint32_t tag);
/** Dictionary keyword for a tag, or NULL. */
RERT_API const char *rert_dicom_dict_keyword(uint32_t tag);

/* ==== IOD modules shared by the object writers (src/dicom/iod.c) ====
 * Helpers that fill the modules every DICOM object rert writes has in
 * common (PS3.3 C.7.1.1 Patient, C.7.2.1 General Study, C.7.3.1 General
 * Series, C.7.4.1 Frame of Reference, C.7.5.1 General Equipment, C.12.1
 * SOP Common), so that the RT Dose, RT Structure Set and (Deformable)
 * Spatial Registration writers build them the same way. Each sets
 * elements of a data set under construction; on failure the data set is
 * partly filled and the caller destroys it. Threads: safe on distinct
 * data sets. */

/** An attribute copied by rert_dicom_copy_attributes(): its tag and the VR
 * it is written with. */
typedef struct RertDicomAttribute {
    uint32_t tag;
    const char *vr;
} RertDicomAttribute;

/** Room for the DA ("YYYYMMDD") and TM ("HHMMSS") texts of
 * rert_dicom_now_text(), NUL included. */
#define RERT_DICOM_DATE_TIME_SIZE 16

/**
 * Local date "YYYYMMDD" and time "HHMMSS" of now, for DA and TM elements;
 * both "" when the clock cannot be read. Threads: safe (localtime_r).
 */
RERT_API void rert_dicom_now_text(char date[RERT_DICOM_DATE_TIME_SIZE],
                                  char time_of_day[RERT_DICOM_DATE_TIME_SIZE]);

/**
 * Set text element @p tag like rert_dataset_set_string(), but a NULL
 * @p value writes the element empty (a type 2 attribute without a value).
 * Errors: as rert_dataset_set_bytes().
 */
RERT_API bool rert_dataset_set_text(RertError *err,
                                    RertDataset *ds,
                                    uint32_t tag,
                                    const char *vr,
                                    const char *value);

/**
 * Copy each of the @p count attributes @p attrs from @p source into @p ds,
 * value bytes unchanged (text keeps the source's character set encoding)
 * and written with attrs[i].vr. An attribute @p source lacks, or every one
 * when @p source is NULL, is written empty (type 2). Sequences are not
 * copied (give non-SQ attributes only). Errors: as
 * rert_dataset_set_bytes(). Ownership: nothing kept; @p source borrowed.
 */
RERT_API bool rert_dicom_copy_attributes(RertError *err,
                                         RertDataset *ds,
                                         const RertDataset *source,
                                         const RertDicomAttribute *attrs,
                                         size_t count);

/**
 * Patient and General Study attributes of a new object, copied from
 * @p source (NULL: all empty) with rert_dicom_copy_attributes():
 * SpecificCharacterSet, StudyDate, StudyTime, AccessionNumber,
 * ReferringPhysicianName, PatientName, PatientID, PatientBirthDate,
 * PatientSex and StudyID; SpecificCharacterSet (0008,0005) becomes
 * "ISO_IR 100" (Latin-1) when the source names none, so the copied names
 * keep their meaning. StudyInstanceUID is set by
 * rert_dicom_set_common_modules(). Errors: as rert_dataset_set_bytes().
 */
RERT_API bool rert_dicom_copy_patient_study(RertError *err,
                                            RertDataset *ds,
                                            const RertDataset *source);

/**
 * Frame of Reference module: FrameOfReferenceUID (0020,0052) = @p frame_uid
 * unless @p ds already has a non-empty one, and PositionReferenceIndicator
 * (0020,1040, type 2) copied from @p source (empty when it or the source
 * is absent) unless @p ds already has that element. Errors: INVALID_ARG
 * for a NULL or empty @p frame_uid; as rert_dataset_set_bytes().
 */
RERT_API bool rert_dicom_set_frame_of_reference(RertError *err,
                                                RertDataset *ds,
                                                const char *frame_uid,
                                                const RertDataset *source);

/** UIDs and time stamp of a new instance, filled by
 * rert_dicom_set_new_instance() and rert_dicom_set_common_modules(). */
typedef struct RertDicomNewInstance {
    char sop_instance_uid[RERT_UID_SIZE];    /**< new */
    char series_instance_uid[RERT_UID_SIZE]; /**< new */
    /** Of the study (rert_dicom_set_common_modules() only; "" otherwise). */
    char study_instance_uid[RERT_UID_SIZE];
    char date[RERT_DICOM_DATE_TIME_SIZE]; /**< InstanceCreationDate */
    char time[RERT_DICOM_DATE_TIME_SIZE]; /**< InstanceCreationTime */
} RertDicomNewInstance;

/**
 * A new instance in a new series: new SOPInstanceUID and SeriesInstanceUID
 * (rert_uid_generate()), SOPClassUID @p sop_class_uid and
 * InstanceCreationDate/Time of now, all written to @p ds and into @p out
 * (study_instance_uid ""). Used alone to derive an object from an existing
 * one. Errors: INVALID_ARG for a NULL argument; IO from
 * rert_uid_generate(); as rert_dataset_set_bytes().
 */
RERT_API bool rert_dicom_set_new_instance(RertError *err,
                                          RertDataset *ds,
                                          const char *sop_class_uid,
                                          RertDicomNewInstance *out);

/** What rert_dicom_set_common_modules() writes. */
typedef struct RertDicomObjectSpec {
    const char *sop_class_uid; /**< SOPClassUID, required */
    const char *modality;      /**< Modality (0008,0060), required */
    long series_number;        /**< SeriesNumber (0020,0011) */
    /** SeriesDescription (0008,103E); NULL: not written. */
    const char *series_description;
    /** Patient and study attributes and StudyInstanceUID are taken from
     * here; NULL: written empty, and the study UID below is used. */
    const RertDataset *source;
    /** StudyInstanceUID when @p source has none; NULL, "" or over 64
     * characters: a new one. */
    const char *study_instance_uid;
    /** FrameOfReferenceUID (rert_dicom_set_frame_of_reference()); NULL:
     * no Frame of Reference module. */
    const char *frame_of_reference_uid;
} RertDicomObjectSpec;

/**
 * The modules every new object rert writes has in common:
 * rert_dicom_copy_patient_study(); StudyInstanceUID from @p spec's source,
 * else its study_instance_uid, else new; rert_dicom_set_new_instance();
 * General Series (Modality, SeriesNumber, SeriesDescription when given),
 * InstanceNumber (0020,0013) 1, General Equipment (Manufacturer "rert",
 * SoftwareVersions rert_version()), and the Frame of Reference module when
 * spec->frame_of_reference_uid is given. Object-specific attributes
 * (content date and time, ManufacturerModelName, OperatorsName,
 * Laterality...) are left to the caller. The source's StudyInstanceUID, or
 * spec->study_instance_uid, is ignored when empty or over 64 characters.
 * Errors: INVALID_ARG for a NULL argument or a missing class or modality;
 * as rert_dicom_set_new_instance().
 */
RERT_API bool rert_dicom_set_common_modules(RertError *err,
                                            RertDataset *ds,
                                            const RertDicomObjectSpec *spec,
                                            RertDicomNewInstance *out);

/* ==== end of the IOD module helpers ==== */

#endif
