/* Placeholder dictionary: replaced by the generated table (tools/). */
#include <rert/dicom.h>

const char *rert_dicom_dict_vr(uint32_t tag)
{
    (void)tag;
    return "UN";
}

const char *rert_dicom_dict_keyword(uint32_t tag)
{
    (void)tag;
    return NULL;
}
