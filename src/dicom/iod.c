/* IOD modules shared by the object writers (rt: RT Dose, RT Structure
 * Set; registration: Spatial and Deformable Spatial Registration): the
 * Patient, General Study, General Series, Frame of Reference, General
 * Equipment and SOP Common attributes of a new object (PS3.3 C.7, C.12.1). */
#include <string.h>
#include <time.h>

#include <rert/core.h>
#include <rert/dicom.h>

#define TAG_SPECIFIC_CHARSET RERT_TAG(0x0008, 0x0005)
#define TAG_INSTANCE_CREATION_DATE RERT_TAG(0x0008, 0x0012)
#define TAG_INSTANCE_CREATION_TIME RERT_TAG(0x0008, 0x0013)
#define TAG_SOP_CLASS_UID RERT_TAG(0x0008, 0x0016)
#define TAG_SOP_INSTANCE_UID RERT_TAG(0x0008, 0x0018)
#define TAG_MODALITY RERT_TAG(0x0008, 0x0060)
#define TAG_MANUFACTURER RERT_TAG(0x0008, 0x0070)
#define TAG_SERIES_DESCRIPTION RERT_TAG(0x0008, 0x103E)
#define TAG_SOFTWARE_VERSIONS RERT_TAG(0x0018, 0x1020)
#define TAG_STUDY_INSTANCE_UID RERT_TAG(0x0020, 0x000D)
#define TAG_SERIES_INSTANCE_UID RERT_TAG(0x0020, 0x000E)
#define TAG_SERIES_NUMBER RERT_TAG(0x0020, 0x0011)
#define TAG_INSTANCE_NUMBER RERT_TAG(0x0020, 0x0013)
#define TAG_FRAME_OF_REFERENCE_UID RERT_TAG(0x0020, 0x0052)
#define TAG_POSITION_REFERENCE_INDICATOR RERT_TAG(0x0020, 0x1040)

/* Patient (C.7.1.1) and General Study (C.7.2.1) attributes kept from the
 * source of a new object, with SpecificCharacterSet so that copied names
 * keep their encoding. */
static const RertDicomAttribute patient_study[] = {
    {TAG_SPECIFIC_CHARSET, "CS"},
    {RERT_TAG(0x0008, 0x0020), "DA"}, /* StudyDate */
    {RERT_TAG(0x0008, 0x0030), "TM"}, /* StudyTime */
    {RERT_TAG(0x0008, 0x0050), "SH"}, /* AccessionNumber */
    {RERT_TAG(0x0008, 0x0090), "PN"}, /* ReferringPhysicianName */
    {RERT_TAG(0x0010, 0x0010), "PN"}, /* PatientName */
    {RERT_TAG(0x0010, 0x0020), "LO"}, /* PatientID */
    {RERT_TAG(0x0010, 0x0030), "DA"}, /* PatientBirthDate */
    {RERT_TAG(0x0010, 0x0040), "CS"}, /* PatientSex */
    {RERT_TAG(0x0020, 0x0010), "SH"}, /* StudyID */
};

static const RertDicomAttribute position_reference = {
    TAG_POSITION_REFERENCE_INDICATOR, "LO"};

void rert_dicom_now_text(char date[RERT_DICOM_DATE_TIME_SIZE],
                         char time_of_day[RERT_DICOM_DATE_TIME_SIZE])
{
    date[0] = '\0';
    time_of_day[0] = '\0';
    time_t now = time(NULL);
    struct tm tm_now;
    if (localtime_r(&now, &tm_now) != NULL) {
        (void)strftime(date, RERT_DICOM_DATE_TIME_SIZE, "%Y%m%d", &tm_now);
        (void)strftime(time_of_day, RERT_DICOM_DATE_TIME_SIZE, "%H%M%S",
                       &tm_now);
    }
}

bool rert_dataset_set_text(RertError *err,
                           RertDataset *ds,
                           uint32_t tag,
                           const char *vr,
                           const char *value)
{
    return rert_dataset_set_string(err, ds, tag, vr,
                                   value != NULL ? value : "");
}

bool rert_dicom_copy_attributes(RertError *err,
                                RertDataset *ds,
                                const RertDataset *source,
                                const RertDicomAttribute *attrs,
                                size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const RertElement *el =
            source != NULL ? rert_dataset_find(source, attrs[i].tag) : NULL;
        const void *value = el != NULL ? rert_element_value(el) : NULL;
        size_t length = el != NULL ? rert_element_length(el) : 0;
        if (!rert_dataset_set_bytes(err, ds, attrs[i].tag, attrs[i].vr, value,
                                    length)) {
            return false;
        }
    }
    return true;
}

bool rert_dicom_copy_patient_study(RertError *err,
                                   RertDataset *ds,
                                   const RertDataset *source)
{
    return rert_dicom_copy_attributes(err, ds, source, patient_study,
                                      sizeof patient_study /
                                          sizeof patient_study[0]) &&
           (rert_dataset_has(ds, TAG_SPECIFIC_CHARSET) ||
            rert_dataset_set_string(err, ds, TAG_SPECIFIC_CHARSET, "CS",
                                    "ISO_IR 100"));
}

bool rert_dicom_set_frame_of_reference(RertError *err,
                                       RertDataset *ds,
                                       const char *frame_uid,
                                       const RertDataset *source)
{
    if (frame_uid == NULL || frame_uid[0] == '\0') {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "Frame of Reference module: FrameOfReferenceUID "
                              "(0020,0052) is %s, expected a UID",
                              frame_uid == NULL ? "NULL" : "empty");
    }
    if (!rert_dataset_has(ds, TAG_FRAME_OF_REFERENCE_UID) &&
        !rert_dataset_set_string(err, ds, TAG_FRAME_OF_REFERENCE_UID, "UI",
                                 frame_uid)) {
        return false;
    }
    return rert_dataset_find(ds, TAG_POSITION_REFERENCE_INDICATOR) != NULL ||
           rert_dicom_copy_attributes(err, ds, source, &position_reference, 1);
}

bool rert_dicom_set_new_instance(RertError *err,
                                 RertDataset *ds,
                                 const char *sop_class_uid,
                                 RertDicomNewInstance *out)
{
    if (ds == NULL || sop_class_uid == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "new DICOM instance: NULL data set, SOP class "
                              "or output");
    }
    memset(out, 0, sizeof *out);
    rert_dicom_now_text(out->date, out->time);
    return rert_uid_generate(err, out->sop_instance_uid) &&
           rert_uid_generate(err, out->series_instance_uid) &&
           rert_dataset_set_string(err, ds, TAG_SOP_CLASS_UID, "UI",
                                   sop_class_uid) &&
           rert_dataset_set_string(err, ds, TAG_SOP_INSTANCE_UID, "UI",
                                   out->sop_instance_uid) &&
           rert_dataset_set_string(err, ds, TAG_SERIES_INSTANCE_UID, "UI",
                                   out->series_instance_uid) &&
           rert_dataset_set_string(err, ds, TAG_INSTANCE_CREATION_DATE, "DA",
                                   out->date) &&
           rert_dataset_set_string(err, ds, TAG_INSTANCE_CREATION_TIME, "TM",
                                   out->time);
}

/* StudyInstanceUID of @p source, else @p fallback, else a new one. */
static bool study_uid(RertError *err,
                      const RertDataset *source,
                      const char *fallback,
                      char out[RERT_UID_SIZE])
{
    out[0] = '\0';
    if (source != NULL &&
        !rert_dataset_get_string(NULL, source, TAG_STUDY_INSTANCE_UID, 0, out,
                                 RERT_UID_SIZE)) {
        out[0] = '\0';
    }
    if (out[0] == '\0' && fallback != NULL &&
        strlen(fallback) < RERT_UID_SIZE) {
        memcpy(out, fallback, strlen(fallback) + 1);
    }
    return out[0] != '\0' || rert_uid_generate(err, out);
}

bool rert_dicom_set_common_modules(RertError *err,
                                   RertDataset *ds,
                                   const RertDicomObjectSpec *spec,
                                   RertDicomNewInstance *out)
{
    if (ds == NULL || spec == NULL || out == NULL ||
        spec->sop_class_uid == NULL || spec->modality == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "DICOM common modules: NULL data set, output, "
                              "SOP class or modality");
    }
    char study[RERT_UID_SIZE];
    long one = 1;
    if (!study_uid(err, spec->source, spec->study_instance_uid, study) ||
        !rert_dicom_set_new_instance(err, ds, spec->sop_class_uid, out)) {
        return false;
    }
    memcpy(out->study_instance_uid, study, sizeof study);
    return rert_dicom_copy_patient_study(err, ds, spec->source) &&
           rert_dataset_set_string(err, ds, TAG_STUDY_INSTANCE_UID, "UI",
                                   study) &&
           rert_dataset_set_string(err, ds, TAG_MODALITY, "CS",
                                   spec->modality) &&
           rert_dataset_set_is(err, ds, TAG_SERIES_NUMBER, &spec->series_number,
                               1) &&
           (spec->series_description == NULL ||
            rert_dataset_set_string(err, ds, TAG_SERIES_DESCRIPTION, "LO",
                                    spec->series_description)) &&
           rert_dataset_set_is(err, ds, TAG_INSTANCE_NUMBER, &one, 1) &&
           rert_dataset_set_string(err, ds, TAG_MANUFACTURER, "LO", "rert") &&
           rert_dataset_set_string(err, ds, TAG_SOFTWARE_VERSIONS, "LO",
                                   rert_version()) &&
           (spec->frame_of_reference_uid == NULL ||
            rert_dicom_set_frame_of_reference(
                err, ds, spec->frame_of_reference_uid, spec->source));
}
