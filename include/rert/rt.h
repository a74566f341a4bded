/**
 * @file rt.h
 * DICOM RT objects on top of the data set API: image series (CT, MR, PET),
 * RT Dose (read and write), RT Structure Set, RT Plan / RT Ion Plan, and an
 * object-kind sniffer.
 *
 * Conventions (docs/units-and-coordinates.md): dose is Gy inside the
 * library (cGy, RELATIVE and DoseGridScaling are converted once, here);
 * `xyz` is DICOM patient coordinates in mm; volumes are float, i fastest.
 * Odd but recoverable input is reported in each object's warnings list
 * (plain strings, domain notes, not errors).
 */
#ifndef RERT_RT_H
#define RERT_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/error.h>
#include <rert/geometry.h>

/* ---- SOP classes */

#define RERT_SOP_CT "1.2.840.10008.5.1.4.1.1.2"
#define RERT_SOP_ENHANCED_CT "1.2.840.10008.5.1.4.1.1.2.1"
#define RERT_SOP_MR "1.2.840.10008.5.1.4.1.1.4"
#define RERT_SOP_ENHANCED_MR "1.2.840.10008.5.1.4.1.1.4.1"
#define RERT_SOP_PET "1.2.840.10008.5.1.4.1.1.128"
#define RERT_SOP_ENHANCED_PET "1.2.840.10008.5.1.4.1.1.130"
#define RERT_SOP_RTDOSE "1.2.840.10008.5.1.4.1.1.481.2"
#define RERT_SOP_RTSTRUCT "1.2.840.10008.5.1.4.1.1.481.3"
#define RERT_SOP_RTPLAN "1.2.840.10008.5.1.4.1.1.481.5"
#define RERT_SOP_RTIONPLAN "1.2.840.10008.5.1.4.1.1.481.8"
#define RERT_SOP_REGISTRATION "1.2.840.10008.5.1.4.1.1.66.1"
#define RERT_SOP_DEFORMABLE_REGISTRATION "1.2.840.10008.5.1.4.1.1.66.3"

/** What kind of object a data set holds. */
typedef enum RertRtObjectKind {
    RERT_RT_OBJECT_UNKNOWN = 0,
    RERT_RT_OBJECT_CT,
    RERT_RT_OBJECT_MR,
    RERT_RT_OBJECT_PT,
    RERT_RT_OBJECT_RTDOSE,
    RERT_RT_OBJECT_RTSTRUCT,
    RERT_RT_OBJECT_RTPLAN,
    RERT_RT_OBJECT_RTIONPLAN,
    RERT_RT_OBJECT_REG,
} RertRtObjectKind;

/**
 * Kind of object in @p ds, from SOPClassUID (0008,0016), falling back to
 * Modality (0008,0060) when the class is absent or unknown (an RTPLAN with
 * an IonBeamSequence is an RT Ion Plan).
 * @return the kind; RERT_RT_OBJECT_UNKNOWN for anything else or NULL.
 * Errors: none. Ownership: @p ds is borrowed. Threads: safe.
 */
RERT_API RertRtObjectKind rert_rt_object_kind(const RertDataset *ds);

/**
 * Stable upper-case name of @p kind ("CT", "RTDOSE", "RTIONPLAN",
 * "UNKNOWN"...). Ownership: static string. Threads: safe.
 */
RERT_API const char *rert_rt_object_kind_name(RertRtObjectKind kind);

/* ---- identifying metadata shared by every RT object */

#define RERT_RT_LO_SIZE 65  /**< LO/SH/CS values plus NUL */
#define RERT_RT_PN_SIZE 325 /**< PN values (5 x 64 + separators) plus NUL */

/**
 * Identifiers read from an object (empty strings when absent). A small
 * value type, copied freely.
 */
typedef struct RertRtMeta {
    char modality[RERT_RT_LO_SIZE];             /**< (0008,0060) */
    char sop_class_uid[RERT_UID_SIZE];          /**< (0008,0016) */
    char sop_instance_uid[RERT_UID_SIZE];       /**< (0008,0018) */
    char patient_id[RERT_RT_LO_SIZE];           /**< (0010,0020) */
    char patient_name[RERT_RT_PN_SIZE];         /**< (0010,0010) */
    char study_instance_uid[RERT_UID_SIZE];     /**< (0020,000D) */
    char series_instance_uid[RERT_UID_SIZE];    /**< (0020,000E) */
    char frame_of_reference_uid[RERT_UID_SIZE]; /**< (0020,0052) */
    char series_description[RERT_RT_LO_SIZE];   /**< (0008,103E) */
} RertRtMeta;

/* ---- image series (CT, MR, PET) */

/** A sorted, validated image series as a float volume. Opaque. */
typedef struct RertImageSeries RertImageSeries;

/** Series loading options; see rert_image_series_options_default(). */
typedef struct RertImageSeriesOptions {
    RertLimits limits;           /**< per file and for the volume */
    double slice_tolerance_frac; /**< slice spacing tolerance as a fraction
                                    of the spacing, default 0.01 */
    double slice_tolerance_mm;   /**< absolute tolerance, default 0.01 mm;
                                    the larger of the two applies */
    size_t max_files;            /**< files examined, default 100,000 */
    size_t max_depth;            /**< folder depth, default 8 */
} RertImageSeriesOptions;

/** Defaults: rert_limits_default(), 1 %, 0.01 mm, 100,000 files, depth 8. */
RERT_API RertImageSeriesOptions rert_image_series_options_default(void);

/**
 * Load an image series from a folder (searched recursively) or one file.
 * Headers are read first (pixel data skipped); files that are not DICOM
 * are skipped silently and counted (rert_image_series_skipped_files()), as
 * are non-image objects. Slices are grouped by SeriesInstanceUID; with
 * several series and @p series_uid NULL, the error lists each UID with its
 * modality, description and slice count. Slices are sorted by position
 * along the normal cross(row, column) and checked: same orientation
 * (within 1e-4), rows, columns and pixel spacing; uniform spacing within
 * the options' tolerance. Pixels are then decoded and RescaleSlope /
 * RescaleIntercept applied (in double) to give float voxels.
 * @param series_uid the series to load, or NULL when only one is present.
 * @param options NULL for defaults.
 * @return new series, or NULL.
 * Errors: IO (path), PARSE (missing or malformed tags, naming file and
 * tag), INVALID_ARG (no series, several series, unknown UID), GEOMETRY
 * (inconsistent orientation or size, duplicate positions, missing slices
 * naming the gap positions, gantry tilt, non-uniform spacing), UNSUPPORTED
 * (multi-frame images, compressed pixels), LIMIT, NOMEM.
 * Ownership: new, rert_image_series_destroy(). Threads: safe on distinct
 * objects.
 */
RERT_API RertImageSeries *
rert_image_series_load(RertError *err,
                       const char *dir_or_file,
                       const char *series_uid,
                       const RertImageSeriesOptions *options);

/**
 * Like rert_image_series_load() but from complete data sets (with pixel
 * data) already in memory, e.g. built by a test or a network receiver.
 * @p slices are borrowed for the duration of the call; their transfer
 * syntax is taken from (0002,0010) when present, explicit VR little endian
 * otherwise. Errors and ownership as rert_image_series_load().
 */
RERT_API RertImageSeries *
rert_image_series_from_datasets(RertError *err,
                                const RertDataset *const *slices,
                                size_t count,
                                const char *series_uid,
                                const RertImageSeriesOptions *options);

/** Free a series. NULL allowed. */
RERT_API void rert_image_series_destroy(RertImageSeries *series);

/** The voxels (rescaled: HU for CT), borrowed, valid while @p series
 * lives. */
RERT_API const RertVolume *
rert_image_series_volume(const RertImageSeries *series);

/** Identifiers of the series (from its first slice), borrowed. */
RERT_API const RertRtMeta *
rert_image_series_meta(const RertImageSeries *series);

/** Number of slices (the volume's dims[2]). */
RERT_API size_t rert_image_series_slice_count(const RertImageSeries *series);

/** SOPInstanceUID of slice @p k in volume order (borrowed), or NULL when
 * @p k is out of range. */
RERT_API const char *rert_image_series_slice_uid(const RertImageSeries *series,
                                                 size_t k);

/**
 * Header of the first slice in volume order (pixel data removed), for
 * modules that need more tags (PET SUV). Borrowed, valid while @p series
 * lives.
 */
RERT_API const RertDataset *
rert_image_series_header(const RertImageSeries *series);

/** Files skipped because they were not DICOM (or did not parse). */
RERT_API size_t rert_image_series_skipped_files(const RertImageSeries *series);

/** Number of warnings. */
RERT_API size_t rert_image_series_warning_count(const RertImageSeries *series);
/** Warning @p index (borrowed; NULL when out of range). */
RERT_API const char *rert_image_series_warning(const RertImageSeries *series,
                                               size_t index);

/* ---- RT Dose (PS3.3 A.18, C.8.8.3) */

/** DoseType (3004,0004). */
typedef enum RertDoseType {
    RERT_DOSE_TYPE_PHYSICAL = 0,
    RERT_DOSE_TYPE_EFFECTIVE, /**< physical dose x RBE or similar */
    RERT_DOSE_TYPE_ERROR,     /**< difference between ideal and planned */
} RertDoseType;

/** Upper-case DICOM name of @p type ("PHYSICAL", "EFFECTIVE", "ERROR"). */
RERT_API const char *rert_dose_type_name(RertDoseType type);

/** A dose grid in Gy with its DICOM metadata. Opaque. */
typedef struct RertDose RertDose;

/** RT Dose reading options; see rert_dose_load_options_default(). */
typedef struct RertDoseLoadOptions {
    RertLimits limits;
    /** Dose in Gy that a RELATIVE value of 1.0 stands for; 0 (default)
     * refuses RELATIVE doses. */
    double relative_normalisation_gy;
    double offset_tolerance_frac; /**< GridFrameOffsetVector uniformity,
                                     fraction of the step, default 0.01 */
    double offset_tolerance_mm;   /**< absolute, default 0.01 mm; the
                                     larger of the two applies */
} RertDoseLoadOptions;

/** Defaults: rert_limits_default(), no RELATIVE, 1 %, 0.01 mm. */
RERT_API RertDoseLoadOptions rert_dose_load_options_default(void);

/**
 * Read an RT Dose data set (with pixel data). Geometry: ImageOrientation
 * Patient gives the row direction r (increasing column index i) and the
 * column direction c (increasing row index j); PixelSpacing is (row
 * spacing = distance between rows, along j; column spacing, along i)
 * (PS3.3 C.7.6.2.1.1); frames k lie along n = cross(r, c) at the
 * GridFrameOffsetVector offsets (PS3.3 C.8.8.3.2). Offsets whose first
 * value is 0 are relative to ImagePositionPatient. Otherwise they are
 * absolute when the first value equals ImagePositionPatient's position
 * along n (dot(IPP, n)), or its z component when n is +-z, within 0.01 mm;
 * they are converted to relative. Any other first value is an error.
 * Offsets must be strictly monotonic and uniform (we store a regular
 * grid); decreasing offsets give a grid whose k direction is -n. Pixels of
 * 16 or 32 bits, unsigned or signed (PixelRepresentation), times
 * DoseGridScaling in double, times 0.01 for CGY or the normalisation dose
 * for RELATIVE, stored as float Gy. A GridFrameOffsetVector with more
 * values than frames uses the first NumberOfFrames values (warning).
 * @param options NULL for defaults.
 * Errors: PARSE (missing or malformed tag, naming it), GEOMETRY (spacing,
 * orientation, offsets, missing FrameOfReferenceUID), UNSUPPORTED (units,
 * bit depth, samples per pixel, pixel encoding), LIMIT, NOMEM.
 * Ownership: new, rert_dose_destroy(); @p ds is borrowed. Threads: safe
 * on distinct objects.
 */
RERT_API RertDose *rert_dose_from_dataset(RertError *err,
                                          const RertDataset *ds,
                                          const RertDoseLoadOptions *options);

/** Load the RT Dose file at @p path (see rert_dose_from_dataset); the
 * error message names the path. */
RERT_API RertDose *rert_dose_load(RertError *err,
                                  const char *path,
                                  const RertDoseLoadOptions *options);

/** Free a dose. NULL allowed. */
RERT_API void rert_dose_destroy(RertDose *dose);

/** The dose grid in Gy (borrowed, valid while @p dose lives). */
RERT_API const RertVolume *rert_dose_volume(const RertDose *dose);
/** Identifiers (borrowed). */
RERT_API const RertRtMeta *rert_dose_meta(const RertDose *dose);
/** DoseType. */
RERT_API RertDoseType rert_dose_type(const RertDose *dose);
/** DoseSummationType as read ("PLAN", "BEAM"...; "" when absent). */
RERT_API const char *rert_dose_summation_type(const RertDose *dose);
/** DoseUnits as read ("GY", "CGY", "RELATIVE"). */
RERT_API const char *rert_dose_source_units(const RertDose *dose);
/** DoseGridScaling as read. */
RERT_API double rert_dose_grid_scaling(const RertDose *dose);
/** First ReferencedRTPlanSequence SOPInstanceUID ("" when absent). */
RERT_API const char *rert_dose_referenced_plan_uid(const RertDose *dose);
/** DoseComment (3004,0006) ("" when absent). */
RERT_API const char *rert_dose_comment(const RertDose *dose);
/** Header of the source (pixel data removed), e.g. as the source of a
 * written dose. Borrowed, valid while @p dose lives. */
RERT_API const RertDataset *rert_dose_header(const RertDose *dose);
/** Number of warnings. */
RERT_API size_t rert_dose_warning_count(const RertDose *dose);
/** Warning @p index (borrowed; NULL when out of range). */
RERT_API const char *rert_dose_warning(const RertDose *dose, size_t index);

/** RT Dose writing options; see rert_dose_write_options_default(). */
typedef struct RertDoseWriteOptions {
    /** Data set whose patient, study and frame of reference attributes
     * are kept (an input RTDOSE header or a CT slice); may be NULL. */
    const RertDataset *source;
    RertDoseType dose_type;         /**< default PHYSICAL */
    const char *summation_type;     /**< default "PLAN" */
    const char *comment;            /**< DoseComment, NULL for none */
    const char *series_description; /**< NULL for none */
    /** FrameOfReferenceUID; NULL takes it from @p source. */
    const char *frame_of_reference_uid;
    /** ReferencedRTPlanSequence SOP instance UIDs; when none are given the
     * source's sequence is copied, if any. PLAN, MULTI_PLAN, FRACTION,
     * BEAM, BRACHY, *_SESSION and CONTROL_POINT summations need one. */
    const char *const *referenced_plan_uids;
    size_t referenced_plan_count;
    long series_number; /**< default 1 */
    /** 16 (default) or 32 bits per stored voxel; 0 = default. 16 bits
     * resolve max/65000 (about 1 mGy at 70 Gy) and every DICOM checker
     * reads them; dicom3tools' dciodvfy (Debian 12) aborts on 32-bit
     * pixel data, so 32 bits cannot be verified with it. */
    unsigned bits_allocated;
} RertDoseWriteOptions;

/** Default stored bits of written RT Dose pixels (see bits_allocated). */
#define RERT_DOSE_WRITE_BITS_DEFAULT 16u

/** Defaults: no source, PHYSICAL, "PLAN", no comment, series 1. */
RERT_API RertDoseWriteOptions rert_dose_write_options_default(void);

/** What rert_dose_build_dataset()/rert_dose_save() did. */
typedef struct RertDoseWriteReport {
    size_t clamped_voxels;   /**< negative voxels written as 0 */
    double most_negative_gy; /**< smallest clamped value (0 if none) */
    double grid_scaling;     /**< DoseGridScaling written */
    char sop_instance_uid[RERT_UID_SIZE];    /**< new */
    char series_instance_uid[RERT_UID_SIZE]; /**< new */
} RertDoseWriteReport;

/**
 * Build a complete RT Dose IOD data set for @p dose_gy: Patient, General
 * Study, RT Series, Frame of Reference, General Equipment, General Image,
 * Image Plane, Image Pixel (uint16 or uint32 MONOCHROME2), Multi-frame, RT Dose
 * (DoseUnits GY, relative GridFrameOffsetVector along cross(row, col)) and
 * SOP Common with new SOP instance and series UIDs. Kept from the source:
 * PatientName/ID/BirthDate/Sex, StudyInstanceUID (new when absent),
 * StudyDate/Time/ID, ReferringPhysicianName, AccessionNumber,
 * PositionReferenceIndicator, FrameOfReferenceUID and SpecificCharacter
 * Set (the names are copied as bytes; ISO_IR 100 when the source has
 * none); type 2 attributes are written empty when absent. DoseGridScaling s is
 * chosen so that the maximum maps to about 65000 (16 bits) or 4e9 (32
 * bits); it is the
 * value written as DS text, so every stored integer q satisfies
 * |q*s - v| <= s/2 in double. Negative voxels are written as 0 and
 * counted in @p report. IOP is the grid's i and j directions.
 * @param report may be NULL.
 * Errors: INVALID_ARG (NULL volume, non-finite voxels, no frame of
 * reference, summation type needing a plan reference with none
 * available, grid larger than 65535 rows/columns), IO (UID source), NOMEM.
 * Ownership: new data set, rert_dataset_destroy(). Threads: safe.
 */
RERT_API RertDataset *
rert_dose_build_dataset(RertError *err,
                        const RertVolume *dose_gy,
                        const RertDoseWriteOptions *options,
                        RertDoseWriteReport *report);

/**
 * rert_dose_build_dataset() then rert_dicom_save() to @p path (temp file
 * and rename). Errors: as both, with the path named.
 */
RERT_API bool rert_dose_save(RertError *err,
                             const RertVolume *dose_gy,
                             const char *path,
                             const RertDoseWriteOptions *options,
                             RertDoseWriteReport *report);

/* ---- RT Structure Set (PS3.3 A.19, C.8.8.5, C.8.8.6, C.8.8.8) */

/** ContourGeometricType (3006,0042). */
typedef enum RertContourType {
    RERT_CONTOUR_CLOSED_PLANAR = 0,
    RERT_CONTOUR_OPEN_PLANAR,
    RERT_CONTOUR_POINT,
    RERT_CONTOUR_OPEN_NONPLANAR,
} RertContourType;

/** A structure set: ROIs with contours. Opaque. */
typedef struct RertStructureSet RertStructureSet;
/** One ROI; borrowed from its structure set. Opaque. */
typedef struct RertRoi RertRoi;

/** Structure set options; NULL means defaults (rert_limits_default()). */
typedef struct RertStructureSetOptions {
    RertLimits limits; /**< max_rois, max_contour_points per contour */
    /** Points of a CLOSED_PLANAR contour may leave its plane by this much
     * (mm, default 0.01). */
    double planarity_tolerance_mm;
} RertStructureSetOptions;

/** Defaults: rert_limits_default(), 0.01 mm. */
RERT_API RertStructureSetOptions rert_structure_set_options_default(void);

/**
 * Read ROIs from StructureSetROISequence (number, name, referenced frame
 * of reference), colours and contours from ROIContourSequence and the RT
 * ROI Interpreted Type from RTROIObservationsSequence (matched by ROI
 * number). A broken ROI (NumberOfContourPoints not ContourData/3, unknown
 * ContourGeometricType, a CLOSED_PLANAR contour off its own plane, found
 * with Newell's normal, by more than the tolerance, duplicate number) gets
 * an error status and message and no contours; the other ROIs load.
 * Errors: PARSE (no StructureSetROISequence, ROI without number, no frame
 * of reference anywhere), LIMIT (more ROIs than max_rois, a contour with
 * more than max_contour_points), NOMEM.
 * Ownership: new, rert_structure_set_destroy(). Threads: safe on distinct
 * objects.
 */
RERT_API RertStructureSet *
rert_structure_set_from_dataset(RertError *err,
                                const RertDataset *ds,
                                const RertStructureSetOptions *options);

/** Load the RT Structure Set file at @p path. */
RERT_API RertStructureSet *rert_structure_set_load(
    RertError *err, const char *path, const RertStructureSetOptions *options);

/** Free a structure set and its ROIs. NULL allowed. */
RERT_API void rert_structure_set_destroy(RertStructureSet *ss);

/** Identifiers; frame_of_reference_uid comes from ReferencedFrameOfReference
 * Sequence, else from the first ROI. Borrowed. */
RERT_API const RertRtMeta *rert_structure_set_meta(const RertStructureSet *ss);
/** StructureSetLabel (3006,0002), "" when absent. */
RERT_API const char *rert_structure_set_label(const RertStructureSet *ss);
/** Number of ROIs (in StructureSetROISequence order). */
RERT_API size_t rert_structure_set_roi_count(const RertStructureSet *ss);
/** ROI @p index, or NULL when out of range. Borrowed. */
RERT_API const RertRoi *rert_structure_set_roi_at(const RertStructureSet *ss,
                                                  size_t index);
/** ROI with ROINumber @p number, or NULL. Borrowed. */
RERT_API const RertRoi *
rert_structure_set_roi_by_number(const RertStructureSet *ss, long number);
/** First ROI whose name equals @p name ignoring ASCII case and surrounding
 * spaces, or NULL. Borrowed. */
RERT_API const RertRoi *
rert_structure_set_roi_by_name(const RertStructureSet *ss, const char *name);
/** Number of warnings. */
RERT_API size_t rert_structure_set_warning_count(const RertStructureSet *ss);
/** Warning @p index (borrowed; NULL when out of range). */
RERT_API const char *rert_structure_set_warning(const RertStructureSet *ss,
                                                size_t index);

/** ROINumber (3006,0022). */
RERT_API long rert_roi_number(const RertRoi *roi);
/** ROIName (borrowed; "" when absent). */
RERT_API const char *rert_roi_name(const RertRoi *roi);
/** RTROIInterpretedType ("PTV", "ORGAN"...; "" when absent). */
RERT_API const char *rert_roi_interpreted_type(const RertRoi *roi);
/** ReferencedFrameOfReferenceUID of the ROI ("" when absent). */
RERT_API const char *rert_roi_frame_of_reference_uid(const RertRoi *roi);
/** ROIDisplayColor into @p rgb; false when absent (rgb untouched). */
RERT_API bool rert_roi_color(const RertRoi *roi, uint8_t rgb[3]);
/** RERT_OK, or the code of the ROI's error (PARSE, GEOMETRY). */
RERT_API RertErrorCode rert_roi_status(const RertRoi *roi);
/** The ROI's error message ("" when OK). Borrowed. */
RERT_API const char *rert_roi_error(const RertRoi *roi);
/** Number of contours of all types. */
RERT_API size_t rert_roi_contour_count(const RertRoi *roi);
/** Total points over all contours. */
RERT_API size_t rert_roi_point_count(const RertRoi *roi);
/** Contour @p index as a polygon (points borrowed; count 0 when out of
 * range) and its type in @p type (may be NULL). */
RERT_API RertPolygon rert_roi_contour(const RertRoi *roi,
                                      size_t index,
                                      RertContourType *type);
/**
 * The CLOSED_PLANAR contours as an array for rert_rasterize_polygons():
 * @p count receives the number. Borrowed, valid while the structure set
 * lives; NULL with count 0 when there are none.
 */
RERT_API const RertPolygon *rert_roi_polygons(const RertRoi *roi,
                                              size_t *count);

/* ---- RT Plan and RT Ion Plan (PS3.3 A.20, A.49, C.8.8.9-C.8.8.14) */

/** RadiationType (300A,00C6). */
typedef enum RertRadiationType {
    RERT_RADIATION_UNKNOWN = 0,
    RERT_RADIATION_PHOTON,
    RERT_RADIATION_ELECTRON,
    RERT_RADIATION_PROTON,
    RERT_RADIATION_ION,
    RERT_RADIATION_NEUTRON,
} RertRadiationType;

/** Upper-case DICOM name of @p type ("PHOTON"..., "UNKNOWN"). */
RERT_API const char *rert_radiation_type_name(RertRadiationType type);

/** A beam of BeamSequence or IonBeamSequence (a value). */
typedef struct RertBeam {
    long number;                /**< BeamNumber */
    char name[RERT_RT_LO_SIZE]; /**< BeamName, may be "" */
    RertRadiationType radiation_type;
    char treatment_delivery_type[RERT_RT_LO_SIZE]; /**< TREATMENT, SETUP.. */
} RertBeam;

/** A ReferencedBeamSequence item of a fraction group (a value). */
typedef struct RertReferencedBeam {
    long beam_number;
    bool has_beam_dose;
    double beam_dose_gy; /**< BeamDose per fraction */
    bool has_beam_meterset;
    double beam_meterset; /**< MU (photons) or as the plan says */
} RertReferencedBeam;

/** A fraction group; arrays borrowed, valid while the plan lives. */
typedef struct RertFractionGroup {
    long number;            /**< FractionGroupNumber */
    bool has_fractions;     /**< NumberOfFractionsPlanned present */
    long fractions_planned; /**< 0 when absent */
    size_t beam_count;
    const RertReferencedBeam *beams;
    size_t dose_reference_count;
    const long *dose_reference_numbers; /**< ReferencedDoseReference */
    bool has_dose_per_fraction;  /**< every referenced beam had BeamDose */
    double dose_per_fraction_gy; /**< sum of BeamDose */
} RertFractionGroup;

/** A DoseReferenceSequence item (a value). */
typedef struct RertDoseReference {
    long number;                          /**< DoseReferenceNumber */
    char type[RERT_RT_LO_SIZE];           /**< TARGET, ORGAN_AT_RISK */
    char structure_type[RERT_RT_LO_SIZE]; /**< POINT, VOLUME, SITE... */
    char description[RERT_RT_LO_SIZE];
    bool has_referenced_roi;
    long referenced_roi_number;
    bool has_target_prescription_dose;
    double target_prescription_dose_gy;
    bool has_delivery_maximum_dose;
    double delivery_maximum_dose_gy;
} RertDoseReference;

/** An RT Plan or RT Ion Plan. Opaque. */
typedef struct RertPlan RertPlan;

/**
 * Read an RT Plan or RT Ion Plan: label, name, date, intent, referenced
 * structure set, dose references, fraction groups (kept apart, never
 * merged) and beams (BeamSequence or IonBeamSequence).
 * Errors: PARSE (not a plan, missing FractionGroupNumber or BeamNumber,
 * malformed numbers), NOMEM.
 * Ownership: new, rert_plan_destroy(). Threads: safe on distinct objects.
 */
RERT_API RertPlan *rert_plan_from_dataset(RertError *err,
                                          const RertDataset *ds);
/** Load the RT (Ion) Plan file at @p path. @p limits may be NULL. */
RERT_API RertPlan *
rert_plan_load(RertError *err, const char *path, const RertLimits *limits);
/** Free a plan. NULL allowed. */
RERT_API void rert_plan_destroy(RertPlan *plan);

/** True for an RT Ion Plan (IonBeamSequence). */
RERT_API bool rert_plan_is_ion(const RertPlan *plan);
/** Identifiers (borrowed). */
RERT_API const RertRtMeta *rert_plan_meta(const RertPlan *plan);
/** RTPlanLabel (300A,0002), "" when absent. Borrowed. */
RERT_API const char *rert_plan_label(const RertPlan *plan);
/** RTPlanName (300A,0003), "" when absent. Borrowed. */
RERT_API const char *rert_plan_name(const RertPlan *plan);
/** RTPlanDate (300A,0006), "" when absent. Borrowed. */
RERT_API const char *rert_plan_date(const RertPlan *plan);
/** PlanIntent (300A,000A), "" when absent. Borrowed. */
RERT_API const char *rert_plan_intent(const RertPlan *plan);
/** ReferencedStructureSetSequence SOPInstanceUID ("" when absent). */
RERT_API const char *
rert_plan_referenced_structure_set_uid(const RertPlan *plan);

/** Fraction groups in file order. */
RERT_API size_t rert_plan_fraction_group_count(const RertPlan *plan);
/** Fraction group @p index, or NULL. Borrowed. */
RERT_API const RertFractionGroup *
rert_plan_fraction_group_at(const RertPlan *plan, size_t index);
/** Fraction group with FractionGroupNumber @p number, or NULL. */
RERT_API const RertFractionGroup *
rert_plan_fraction_group_by_number(const RertPlan *plan, long number);

/** Number of beams (BeamSequence or IonBeamSequence items). */
RERT_API size_t rert_plan_beam_count(const RertPlan *plan);
/** Beam @p index, or NULL. Borrowed, valid while the plan lives. */
RERT_API const RertBeam *rert_plan_beam_at(const RertPlan *plan, size_t index);
/** Number of dose references (DoseReferenceSequence items). */
RERT_API size_t rert_plan_dose_reference_count(const RertPlan *plan);
/** Dose reference @p index, or NULL. Borrowed. */
RERT_API const RertDoseReference *
rert_plan_dose_reference_at(const RertPlan *plan, size_t index);

/**
 * The prescription: TargetPrescriptionDose of the first TARGET dose
 * reference that has one, into @p dose_gy. @return false when none (not
 * an error; @p dose_gy untouched).
 */
RERT_API bool rert_plan_prescription_gy(const RertPlan *plan, double *dose_gy);

/**
 * NumberOfFractionsPlanned of fraction group @p group_number, or of the
 * only group when @p group_number is 0.
 * Errors: INVALID_ARG when @p group_number is 0 and there are several
 * groups (the message lists each group's number and fractions) or none,
 * or when no group has that number; PARSE when the group has no
 * NumberOfFractionsPlanned.
 */
RERT_API bool rert_plan_fractions(RertError *err,
                                  const RertPlan *plan,
                                  long group_number,
                                  long *fractions);

/** Number of warnings. */
RERT_API size_t rert_plan_warning_count(const RertPlan *plan);
/** Warning @p index (borrowed; NULL when out of range). */
RERT_API const char *rert_plan_warning(const RertPlan *plan, size_t index);

/* ---- RT Structure Set writing (PS3.3 A.19: Structure Set C.8.8.5, ROI
 * Contour C.8.8.6, RT ROI Observations C.8.8.8) */

/** One ROI to write: closed planar contours in patient mm. */
typedef struct RertRoiWriteSpec {
    const char *name; /**< ROIName, required: 1..64 characters, no '\\' or
                         control characters, unique (ignoring case) */
    long number;      /**< ROINumber >= 1; 0 = the next free number */
    /** RTROIInterpretedType ("GTV", "PTV", "ORGAN", "CONTROL"...; upper
     * case, digits, '_' and ' ', at most 16); NULL or "" writes it empty
     * (type 2). */
    const char *interpreted_type;
    /** ROIGenerationAlgorithm: "AUTOMATIC" (NULL), "SEMIAUTOMATIC" or
     * "MANUAL". */
    const char *generation_algorithm;
    const char *description; /**< ROIDescription (LO), NULL for none */
    bool has_color;          /**< write ROIDisplayColor */
    uint8_t color[3];
    const RertPolygon *polygons; /**< CLOSED_PLANAR contours (each >= 3
                                    finite points, not repeating the
                                    first), borrowed; may be NULL when
                                    polygon_count is 0 */
    size_t polygon_count;
} RertRoiWriteSpec;

/** The image series a structure set refers to. */
typedef struct RertStructureSetImageRef {
    const char *study_instance_uid;  /**< study of the images, required */
    const char *series_instance_uid; /**< required */
    const char *sop_class_uid;       /**< of the images, e.g. RERT_SOP_CT */
    const char *const *sop_instance_uids; /**< one per slice, volume order */
    size_t count;
    /** Image grid (count == dims[2]): each contour whose plane lies on
     * slice k (within a quarter of the slice spacing, at least 0.01 mm)
     * gets a ContourImageSequence item naming slice k. NULL: contours name
     * no image. */
    const RertGridGeometry *grid;
} RertStructureSetImageRef;

/** Structure set writing options; see
 * rert_structure_set_write_options_default(). */
typedef struct RertStructureSetWriteOptions {
    /** An RT Structure Set to extend: every element is kept (ROIs,
     * contours, observations, references) and the new ROIs are appended;
     * the result gets new SOP instance and series UIDs, and an Approval
     * status, if any, becomes UNAPPROVED. NULL writes a new structure
     * set. */
    const RertDataset *existing;
    /** New sets: a data set (an image header) whose patient and study
     * attributes and FrameOfReferenceUID are copied; may be NULL. */
    const RertDataset *source;
    /** FrameOfReferenceUID of the new ROIs; NULL takes the first
     * ReferencedFrameOfReferenceSequence item of @p existing, else
     * (0020,0052) of @p source. */
    const char *frame_of_reference_uid;
    const char *label;              /**< StructureSetLabel; NULL: "RERT"
                                       for new sets, kept when extending */
    const char *series_description; /**< NULL for none (or kept) */
    long series_number;             /**< default 1 (new sets only) */
    /** Referenced image series, merged into ReferencedFrameOfReference
     * Sequence (RT Referenced Study / Series / ContourImageSequence,
     * images already listed are not repeated); NULL for none. */
    const RertStructureSetImageRef *images;
} RertStructureSetWriteOptions;

/** Defaults: a new set, no source or images, label "RERT", series 1. */
RERT_API RertStructureSetWriteOptions
rert_structure_set_write_options_default(void);

/** What rert_structure_set_build_dataset() did. */
typedef struct RertStructureSetWriteReport {
    char sop_instance_uid[RERT_UID_SIZE];    /**< new */
    char series_instance_uid[RERT_UID_SIZE]; /**< new */
    long first_number;      /**< ROINumber of the first new ROI */
    size_t contour_count;   /**< contours written for the new ROIs */
    size_t linked_contours; /**< of those, naming an image slice */
} RertStructureSetWriteReport;

/**
 * Build a complete RT Structure Set IOD data set (Patient, General Study,
 * RT Series, General Equipment, Structure Set, ROI Contour, RT ROI
 * Observations, SOP Common) with @p count new ROIs, either new or
 * appended to options->existing. ROI numbers of 0 are assigned in order
 * after the largest number in use. Contour points are written as DS text
 * (at most 16 characters per value, about 1e-10 relative). Each new ROI
 * gets an RT ROI Observations item (ObservationNumber = its ROINumber
 * when free) with ROIInterpreter empty.
 * @param options NULL for defaults; @param report may be NULL.
 * Errors: INVALID_ARG (bad name, type, number, duplicate name or number,
 * polygon with fewer than 3 or non-finite points, image reference
 * inconsistent with its grid, no frame of reference, existing data set not
 * an RT Structure Set), LIMIT (nesting), IO (UID source), NOMEM.
 * Ownership: new data set, rert_dataset_destroy(); inputs borrowed.
 * Threads: safe.
 */
RERT_API RertDataset *
rert_structure_set_build_dataset(RertError *err,
                                 const RertRoiWriteSpec *rois,
                                 size_t count,
                                 const RertStructureSetWriteOptions *options,
                                 RertStructureSetWriteReport *report);

/**
 * rert_structure_set_build_dataset() then rert_dicom_save() to @p path
 * (temporary file and rename: a reader never sees half a file). Errors: as
 * both, with the path named.
 */
RERT_API bool
rert_structure_set_save(RertError *err,
                        const char *path,
                        const RertRoiWriteSpec *rois,
                        size_t count,
                        const RertStructureSetWriteOptions *options,
                        RertStructureSetWriteReport *report);

#endif
