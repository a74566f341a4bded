/* DICOM Part 10 writing (PS3.10 section 7): preamble, file meta group and
 * the data set in explicit VR little endian; sequences and items use
 * undefined lengths with delimiters (PS3.5 7.5). */
#include <string.h>

#include <rert/dicom.h>

#include "internal.h"

#define UNDEFINED_LENGTH 0xFFFFFFFFu
/* Sequence nesting accepted when writing a data set built in memory. */
#define MAX_WRITE_DEPTH 256
/* This implementation (PS3.7 D.3.3.2): a fixed UUID-derived UID. */
#define IMPLEMENTATION_CLASS_UID "2.25.317120765775090175869001570134238571717"
#define IMPLEMENTATION_VERSION "RERT_0_1"

/* A growable output buffer. */
typedef struct Out {
    uint8_t *data;
    size_t size;
    size_t cap;
} Out;

static bool put(RertError *err, Out *o, const void *bytes, size_t n)
{
    if (n > o->cap - o->size) {
        size_t need = 0;
        if (!rert_add_size(err, o->size, n, &need)) {
            return false;
        }
        size_t ncap = o->cap < 4096 ? 4096 : o->cap;
        while (ncap < need) {
            ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
        }
        uint8_t *grown = rert_realloc_array(err, o->data, ncap, 1);
        if (grown == NULL) {
            return false;
        }
        o->data = grown;
        o->cap = ncap;
    }
    if (n > 0) {
        memcpy(o->data + o->size, bytes, n);
    }
    o->size += n;
    return true;
}

static void set16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v & 0xFF);
    b[1] = (uint8_t)(v >> 8);
}

static void set32(uint8_t *b, uint32_t v)
{
    for (size_t i = 0; i < 4; i++) {
        b[i] = (uint8_t)((v >> (8 * i)) & 0xFF);
    }
}

/* Item and delimiter tags: tag and 4-byte length, no VR. */
static bool
put_item_tag(RertError *err, Out *o, uint16_t element, uint32_t length)
{
    uint8_t b[8];
    set16(b, 0xFFFE);
    set16(b + 2, element);
    set32(b + 4, length);
    return put(err, o, b, 8);
}

static bool put_header(
    RertError *err, Out *o, uint32_t tag, const char *vr, uint32_t length)
{
    uint8_t b[12];
    set16(b, RERT_TAG_GROUP(tag));
    set16(b + 2, RERT_TAG_ELEMENT(tag));
    b[4] = (uint8_t)vr[0];
    b[5] = (uint8_t)vr[1];
    if (rert_vr_has_long_length(vr)) {
        set16(b + 6, 0);
        set32(b + 8, length);
        return put(err, o, b, 12);
    }
    set16(b + 6, (uint16_t)length);
    return put(err, o, b, 8);
}

static bool too_long(RertError *err, const RertElement *el, size_t limit)
{
    const char *kw = rert_dicom_dict_keyword(el->tag);
    return rert_error_set(err, RERT_ERR_LIMIT,
                          "(%04X,%04X)%s%s: value of %zu bytes, expected at "
                          "most %zu for VR %s",
                          RERT_TAG_GROUP(el->tag), RERT_TAG_ELEMENT(el->tag),
                          kw != NULL ? " " : "", kw != NULL ? kw : "",
                          el->length, limit, el->vr);
}

/* A value padded to even length: UI with NUL, other text with a space,
 * binary with a zero byte (PS3.5 6.2). */
static bool put_value(RertError *err, Out *o, const RertElement *el)
{
    bool is_long = rert_vr_has_long_length(el->vr);
    size_t limit = is_long ? 0xFFFFFFFEu : 0xFFFEu;
    if (el->length > limit || (el->length == limit && el->length % 2 != 0)) {
        return too_long(err, el, limit);
    }
    size_t padded = el->length + el->length % 2;
    if (!put_header(err, o, el->tag, el->vr, (uint32_t)padded) ||
        !put(err, o, el->value, el->length)) {
        return false;
    }
    if (padded == el->length) {
        return true;
    }
    char pad =
        strcmp(el->vr, "UI") != 0 && rert_vr_is_text(el->vr) ? ' ' : '\0';
    return put(err, o, &pad, 1);
}

static bool write_dataset(
    RertError *err, Out *o, const RertDataset *ds, size_t depth, bool is_top);

/* NOLINTBEGIN(misc-no-recursion): item nesting, bounded by MAX_WRITE_DEPTH */
/* Recursion bounded by MAX_WRITE_DEPTH through write_dataset. */
static bool
write_element(RertError *err, Out *o, const RertElement *el, size_t depth)
{
    if (strcmp(el->vr, "SQ") == 0) {
        if (!put_header(err, o, el->tag, "SQ", UNDEFINED_LENGTH)) {
            return false;
        }
        for (size_t i = 0; i < el->item_count; i++) {
            if (!put_item_tag(err, o, 0xE000, UNDEFINED_LENGTH) ||
                !write_dataset(err, o, el->items[i], depth + 1, false) ||
                !put_item_tag(err, o, 0xE00D, 0)) {
                return false;
            }
        }
        return put_item_tag(err, o, 0xE0DD, 0);
    }
    if (el->is_encapsulated) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "(%04X,%04X): encapsulated (compressed) pixel "
                              "data cannot be written as explicit VR little "
                              "endian; decode it first",
                              RERT_TAG_GROUP(el->tag),
                              RERT_TAG_ELEMENT(el->tag));
    }
    return put_value(err, o, el);
}

static bool write_dataset(
    RertError *err, Out *o, const RertDataset *ds, size_t depth, bool is_top)
{
    if (depth > MAX_WRITE_DEPTH) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "sequences nested deeper than %d levels",
                              MAX_WRITE_DEPTH);
    }
    for (size_t i = 0; i < ds->count; i++) {
        const RertElement *el = &ds->elements[i];
        /* group lengths are optional (PS3.5 7.2) and the meta group is
         * rebuilt, so neither is copied */
        if (RERT_TAG_ELEMENT(el->tag) == 0 ||
            (is_top && RERT_TAG_GROUP(el->tag) == 0x0002)) {
            continue;
        }
        if (!write_element(err, o, el, depth)) {
            return false;
        }
    }
    return true;
}
/* NOLINTEND(misc-no-recursion) */

static bool
put_text(RertError *err, Out *o, uint32_t tag, const char *vr, const char *text)
{
    size_t n = strlen(text); /* short constants and UIDs */
    size_t padded = n + n % 2;
    char pad = strcmp(vr, "UI") == 0 ? '\0' : ' ';
    return put_header(err, o, tag, vr, (uint32_t)padded) &&
           put(err, o, text, n) && (padded == n || put(err, o, &pad, 1));
}

/* File meta group (PS3.10 7.1) with its group length patched in. */
static bool write_meta(RertError *err, Out *o, const RertDataset *ds)
{
    char sop_class[RERT_UID_SIZE];
    char sop_instance[RERT_UID_SIZE];
    if (!rert_dataset_get_string(err, ds, RERT_TAG(0x0008, 0x0016), 0,
                                 sop_class, sizeof sop_class) ||
        !rert_dataset_get_string(err, ds, RERT_TAG(0x0008, 0x0018), 0,
                                 sop_instance, sizeof sop_instance)) {
        rert_error_prefix(err, "writing the file meta group");
        return false;
    }
    static const uint8_t version[2] = {0x00, 0x01};
    uint8_t length[4] = {0, 0, 0, 0};
    if (!put_header(err, o, RERT_TAG(0x0002, 0x0000), "UL", 4) ||
        !put(err, o, length, 4)) {
        return false;
    }
    size_t start = o->size;
    bool ok =
        put_header(err, o, RERT_TAG(0x0002, 0x0001), "OB", 2) &&
        put(err, o, version, 2) &&
        put_text(err, o, RERT_TAG(0x0002, 0x0002), "UI", sop_class) &&
        put_text(err, o, RERT_TAG(0x0002, 0x0003), "UI", sop_instance) &&
        put_text(err, o, RERT_TAG(0x0002, 0x0010), "UI", RERT_TS_EXPLICIT_LE) &&
        put_text(err, o, RERT_TAG(0x0002, 0x0012), "UI",
                 IMPLEMENTATION_CLASS_UID) &&
        put_text(err, o, RERT_TAG(0x0002, 0x0013), "SH",
                 IMPLEMENTATION_VERSION);
    if (ok) {
        set32(o->data + start - 4, (uint32_t)(o->size - start));
    }
    return ok;
}

bool rert_dicom_write(RertError *err, const RertDataset *ds, RertBytes *out)
{
    out->data = NULL;
    out->size = 0;
    Out o = {NULL, 0, 0};
    uint8_t preamble[132] = {0};
    preamble[128] = 'D';
    preamble[129] = 'I';
    preamble[130] = 'C';
    preamble[131] = 'M';
    bool ok = put(err, &o, preamble, sizeof preamble) &&
              write_meta(err, &o, ds) && write_dataset(err, &o, ds, 0, true);
    if (!ok) {
        rert_free(o.data);
        return false;
    }
    out->data = o.data;
    out->size = o.size;
    return true;
}

bool rert_dicom_save(RertError *err, const RertDataset *ds, const char *path)
{
    RertBytes bytes = {NULL, 0};
    if (!rert_dicom_write(err, ds, &bytes)) {
        rert_error_prefix(err, "%s", path);
        return false;
    }
    bool ok = rert_file_save_atomic(err, path, bytes.data, bytes.size);
    rert_bytes_clear(&bytes);
    return ok;
}
