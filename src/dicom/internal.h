/* Private declarations shared by the DICOM files. Never installed. */
#ifndef RERT_DICOM_INTERNAL_H
#define RERT_DICOM_INTERNAL_H

#include <rert/dicom.h>

struct RertElement {
    uint32_t tag;
    char vr[3];
    bool is_encapsulated;
    const uint8_t *value; /* the bytes: owned, or borrowed from the data
                             set's backing; NULL when empty */
    uint8_t *owned;       /* == value when owned, NULL when borrowed */
    size_t length;
    RertDataset **items; /* owned; SQ only */
    size_t item_count;
    size_t item_cap;
};

struct RertDataset {
    RertElement *elements; /* sorted by tag, unique */
    size_t count;
    size_t cap;
    RertFileView backing; /* owned: the loaded file when top-level values
                             borrow from it (rert_dicom_load), else empty */
};

/* Insert or replace an element with @p tag and @p vr, returning it empty
 * (old value and items freed). Borrowed from @p ds. */
RertElement *rert_dataset_slot(RertError *err,
                               RertDataset *ds,
                               uint32_t tag,
                               const char *vr);
/* Take ownership of @p value (rert allocated) as the element's bytes. */
void rert_element_take_value(RertElement *el, uint8_t *value, size_t length);
/* Point the element at @p length bytes of its data set's backing (not
 * owned; valid while the data set lives). */
void rert_element_borrow_value(RertElement *el,
                               const uint8_t *value,
                               size_t length);
/* Keep @p view alive (takes it) as the backing of @p ds's borrowed values. */
void rert_dataset_take_backing(RertDataset *ds, RertFileView *view);
/* Append @p item (owned on success) to sequence element @p el. */
bool rert_element_add_item_take(RertError *err,
                                RertElement *el,
                                RertDataset *item);
/* Size in bytes of one value of a binary VR, 0 for text/other VRs. */
size_t rert_vr_binary_size(const char *vr);
/* True for VRs whose value is text (split on backslash). */
bool rert_vr_is_text(const char *vr);
/* True for VRs that use a 4-byte length in explicit VR encoding. */
bool rert_vr_has_long_length(const char *vr);

/* A transfer syntax we recognise (PS3.5 section 10, PS3.6 annex A). */
typedef struct RertTransferSyntax {
    const char *uid;
    const char *name;
    bool is_explicit_vr;
    bool is_big_endian;
    bool is_deflated;
    bool is_encapsulated; /* pixel data in fragments (compressed) */
} RertTransferSyntax;

/* The transfer syntax with @p uid (trailing spaces/NULs ignored), or NULL
 * when unknown. Defined in uid.c. */
const RertTransferSyntax *rert_transfer_syntax_find(const char *uid);

#endif
