/* DICOM Part 10 parsing (PS3.10 section 7, PS3.5 sections 7 and 10):
 * preamble, file meta group, implicit/explicit VR, little/big endian,
 * deflate, nested sequences and encapsulated pixel data, every length
 * checked against the bytes left before it is used. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#define ZLIB_CONST
#include <limits.h>
#include <zlib.h>

#include <rert/dicom.h>

#include "internal.h"

#define UNDEFINED_LENGTH 0xFFFFFFFFu
#define NO_END SIZE_MAX
#define NO_TAG 0xFFFFFFFFu
#define TAG_ITEM RERT_TAG(0xFFFE, 0xE000)
#define TAG_ITEM_END RERT_TAG(0xFFFE, 0xE00D)
#define TAG_SEQUENCE_END RERT_TAG(0xFFFE, 0xE0DD)
#define TAG_PIXEL_DATA RERT_TAG(0x7FE0, 0x0010)
#define TAG_TRANSFER_SYNTAX RERT_TAG(0x0002, 0x0010)
#define TAG_BITS_ALLOCATED RERT_TAG(0x0028, 0x0100)
/* Recursion guard whatever the caller's limits say. */
#define HARD_MAX_DEPTH ((size_t)256)

/* How the bytes of one data set are encoded. */
typedef struct Syntax {
    bool is_explicit;
    bool is_big;
} Syntax;

typedef struct Parser {
    RertError *err;
    RertReader r;       /* over the data set bytes (file or inflated) */
    const char *suffix; /* "" or " (inflated data)" for messages */
    RertLimits limits;
    size_t max_depth;
    bool stop_before_pixel_data;
    bool stopped;
    size_t element_count;
    /* Zero-copy loading: large values of this data set (the top level of
     * a file loaded by rert_dicom_load) point into the file's bytes, which
     * the data set then keeps; NULL: every value is copied. */
    RertDataset *borrow_into;
    size_t borrowed;
} Parser;

/* Values at least this large are borrowed rather than copied when allowed:
 * pixel data and other bulk values, not the small header values. */
#define BORROW_MIN_BYTES ((size_t)65536)

typedef struct Header {
    uint32_t tag;
    char vr[3];
    uint32_t length;
    size_t offset; /* of the tag */
} Header;

static bool fail(Parser *p,
                 RertErrorCode code,
                 uint32_t tag,
                 size_t offset,
                 const char *fmt,
                 ...) RERT_PRINTF(5, 6);

/* Set the error: "<name>: (gggg,eeee) Keyword at byte offset N: <what>". */
static bool fail(Parser *p,
                 RertErrorCode code,
                 uint32_t tag,
                 size_t offset,
                 const char *fmt,
                 ...)
{
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (tag == NO_TAG) {
        return rert_error_set(p->err, code, "%s%s: at byte offset %zu: %s",
                              p->r.name, p->suffix, offset, what);
    }
    const char *kw = rert_dicom_dict_keyword(tag);
    return rert_error_set(
        p->err, code, "%s%s: (%04X,%04X)%s%s at byte offset %zu: %s", p->r.name,
        p->suffix, RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag),
        kw != NULL ? " " : "", kw != NULL ? kw : "", offset, what);
}

static uint16_t get16(const uint8_t *b, bool big)
{
    return big ? (uint16_t)((b[0] << 8) | b[1])
               : (uint16_t)((b[1] << 8) | b[0]);
}

static uint32_t get32(const uint8_t *b, bool big)
{
    if (big) {
        return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
               ((uint32_t)b[2] << 8) | b[3];
    }
    return ((uint32_t)b[3] << 24) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[1] << 8) | b[0];
}

static bool known_vr(const uint8_t *b)
{
    static const char vrs[] = "AEASATCSDADSDTFDFLISLOLTOBODOFOLOVOWPNSHSLSQSS"
                              "STSVTMUCUIULUNURUSUTUV";
    for (size_t i = 0; i + 1 < sizeof vrs; i += 2) {
        if (vrs[i] == (char)b[0] && vrs[i + 1] == (char)b[1]) {
            return true;
        }
    }
    return false;
}

/* Bytes left before @p end (the end of the enclosing item or the data). */
static size_t avail(const Parser *p, size_t end)
{
    size_t limit = end == NO_END ? p->r.size : end;
    return limit > p->r.pos ? limit - p->r.pos : 0;
}

static bool take(Parser *p, size_t n, const uint8_t **out)
{
    return rert_reader_borrow(p->err, &p->r, n, out);
}

/* Element header: tag, VR (explicit, or from the dictionary) and length.
 * Item tags (FFFE,xxxx) have no VR in any syntax. */
static bool read_header(Parser *p, Syntax sx, size_t end, Header *h)
{
    h->offset = p->r.pos;
    const uint8_t *b = NULL;
    if (avail(p, end) < 8) {
        return fail(p, RERT_ERR_PARSE, NO_TAG, h->offset,
                    "element header needs 8 bytes, found %zu", avail(p, end));
    }
    (void)take(p, 4, &b);
    h->tag = RERT_TAG(get16(b, sx.is_big), get16(b + 2, sx.is_big));
    if (RERT_TAG_GROUP(h->tag) == 0xFFFE || !sx.is_explicit) {
        (void)take(p, 4, &b);
        h->length = get32(b, sx.is_big);
        const char *vr = rert_dicom_dict_vr(h->tag);
        memcpy(h->vr, vr, 3);
        return true;
    }
    (void)take(p, 2, &b);
    if (!known_vr(b)) {
        return fail(p, RERT_ERR_PARSE, h->tag, h->offset,
                    "expected a VR (two upper-case letters), found bytes "
                    "0x%02X 0x%02X",
                    b[0], b[1]);
    }
    h->vr[0] = (char)b[0];
    h->vr[1] = (char)b[1];
    h->vr[2] = '\0';
    if (!rert_vr_has_long_length(h->vr)) {
        (void)take(p, 2, &b);
        h->length = get16(b, sx.is_big);
        return true;
    }
    if (avail(p, end) < 6) {
        return fail(p, RERT_ERR_PARSE, h->tag, h->offset,
                    "element header with VR %s needs 12 bytes, found %zu",
                    h->vr, avail(p, end) + 6);
    }
    (void)take(p, 2, &b); /* reserved */
    (void)take(p, 4, &b);
    h->length = get32(b, sx.is_big);
    return true;
}

static bool count_element(Parser *p, const Header *h)
{
    if (++p->element_count > p->limits.max_elements) {
        return fail(p, RERT_ERR_LIMIT, h->tag, h->offset,
                    "more than %zu elements (limit max_elements)",
                    p->limits.max_elements);
    }
    return true;
}

static void swap_units(uint8_t *v, size_t n, size_t unit)
{
    if (unit < 2) {
        return;
    }
    for (size_t i = 0; i + unit <= n; i += unit) {
        for (size_t a = i, b = i + unit - 1; a < b; a++, b--) {
            uint8_t t = v[a];
            v[a] = v[b];
            v[b] = t;
        }
    }
}

/* Byte-swap unit for a big-endian value: AT is two 16-bit numbers; pixel
 * data follows BitsAllocated of the data set it belongs to. */
static size_t swap_unit(const RertDataset *ds, uint32_t tag, const char *vr)
{
    if (strcmp(vr, "AT") == 0) {
        return 2;
    }
    if (strcmp(vr, "OB") == 0 || strcmp(vr, "UN") == 0) {
        return 0;
    }
    if (tag == TAG_PIXEL_DATA) {
        long bits = 0;
        if (rert_dataset_get_long(NULL, ds, TAG_BITS_ALLOCATED, 0, &bits) &&
            (bits == 32 || bits == 64)) {
            return (size_t)bits / 8;
        }
        return 2;
    }
    return rert_vr_binary_size(vr);
}

static bool store_value(
    Parser *p, Syntax sx, RertDataset *ds, const Header *h, const char *vr)
{
    const uint8_t *src = NULL;
    (void)take(p, h->length, &src);
    if (ds == p->borrow_into && !sx.is_big && h->length >= BORROW_MIN_BYTES) {
        RertElement *el = rert_dataset_slot(p->err, ds, h->tag, vr);
        if (el == NULL) {
            return false;
        }
        rert_element_borrow_value(el, src, h->length);
        p->borrowed++;
        return true;
    }
    uint8_t *copy = NULL;
    if (h->length > 0) {
        copy = rert_alloc(p->err, h->length);
        if (copy == NULL) {
            return false;
        }
        memcpy(copy, src, h->length);
        if (sx.is_big) {
            swap_units(copy, h->length, swap_unit(ds, h->tag, vr));
        }
    }
    RertElement *el = rert_dataset_slot(p->err, ds, h->tag, vr);
    if (el == NULL) {
        rert_free(copy);
        return false;
    }
    rert_element_take_value(el, copy, h->length);
    return true;
}

/* Fragments of encapsulated pixel data (PS3.5 A.4): items up to the
 * sequence delimiter, kept with their item headers. */
static bool parse_encapsulated(
    Parser *p, Syntax sx, RertDataset *ds, const Header *h, size_t end)
{
    if (sx.is_big) {
        return fail(p, RERT_ERR_PARSE, h->tag, h->offset,
                    "encapsulated pixel data in a big endian syntax");
    }
    size_t start = p->r.pos;
    for (;;) {
        Header item = {0, "", 0, 0};
        item.offset = p->r.pos;
        const uint8_t *b = NULL;
        if (avail(p, end) < 8) {
            return fail(p, RERT_ERR_PARSE, h->tag, item.offset,
                        "expected a fragment item or sequence delimiter "
                        "(8 bytes), found %zu bytes",
                        avail(p, end));
        }
        (void)take(p, 8, &b);
        item.tag = RERT_TAG(get16(b, false), get16(b + 2, false));
        item.length = get32(b + 4, false);
        if (item.tag == TAG_SEQUENCE_END) {
            break;
        }
        if (item.tag != TAG_ITEM) {
            return fail(p, RERT_ERR_PARSE, h->tag, item.offset,
                        "expected fragment item (FFFE,E000), found "
                        "(%04X,%04X)",
                        RERT_TAG_GROUP(item.tag), RERT_TAG_ELEMENT(item.tag));
        }
        if (item.length == UNDEFINED_LENGTH || item.length > avail(p, end)) {
            return fail(p, RERT_ERR_PARSE, h->tag, item.offset,
                        "fragment length %u exceeds the %zu bytes left",
                        item.length, avail(p, end));
        }
        if (!count_element(p, &item)) {
            return false;
        }
        p->r.pos += item.length;
    }
    size_t length = p->r.pos - 8 - start;
    if (length > p->limits.max_element_bytes) {
        return fail(p, RERT_ERR_LIMIT, h->tag, h->offset,
                    "pixel data is %zu bytes, limit max_element_bytes %zu",
                    length, p->limits.max_element_bytes);
    }
    Header whole = *h;
    whole.length = (uint32_t)length;
    p->r.pos = start;
    if (length > UINT32_MAX - 1 || !store_value(p, sx, ds, &whole, h->vr)) {
        return length > UINT32_MAX - 1
                   ? fail(p, RERT_ERR_LIMIT, h->tag, h->offset,
                          "encapsulated pixel data over 4 GiB")
                   : false;
    }
    p->r.pos += 8; /* the sequence delimiter */
    RertElement *el = (RertElement *)rert_dataset_find(ds, h->tag);
    el->is_encapsulated = true;
    return true;
}

static bool parse_dataset(Parser *p,
                          Syntax sx,
                          RertDataset *ds,
                          size_t bound,
                          size_t depth,
                          bool is_undefined_item);

/* Read one item header of a sequence; *done when the sequence ends: at
 * @p bound for a defined-length sequence, at its delimiter otherwise. */
static bool read_item_header(Parser *p,
                             Syntax sx,
                             const Header *seq,
                             size_t bound,
                             Header *item,
                             bool *done)
{
    bool is_defined = seq->length != UNDEFINED_LENGTH;
    *done = is_defined && avail(p, bound) == 0;
    if (*done) {
        return true;
    }
    item->offset = p->r.pos;
    if (avail(p, bound) < 8) {
        return fail(p, RERT_ERR_PARSE, seq->tag, item->offset,
                    "expected an item or sequence delimiter (8 bytes), "
                    "found %zu bytes",
                    avail(p, bound));
    }
    const uint8_t *b = NULL;
    (void)take(p, 8, &b);
    item->tag = RERT_TAG(get16(b, sx.is_big), get16(b + 2, sx.is_big));
    item->length = get32(b + 4, sx.is_big);
    memcpy(item->vr, "UN", 3);
    if (item->tag == TAG_SEQUENCE_END && !is_defined) {
        *done = true;
        return true;
    }
    if (item->tag != TAG_ITEM) {
        return fail(p, RERT_ERR_PARSE, seq->tag, item->offset,
                    "expected item (FFFE,E000), found (%04X,%04X)",
                    RERT_TAG_GROUP(item->tag), RERT_TAG_ELEMENT(item->tag));
    }
    if (item->length != UNDEFINED_LENGTH &&
        (item->length % 2 != 0 || item->length > avail(p, bound))) {
        return fail(p, RERT_ERR_PARSE, seq->tag, item->offset,
                    "item length %u: expected an even length of at most "
                    "%zu bytes",
                    item->length, avail(p, bound));
    }
    return count_element(p, item);
}

/* NOLINTBEGIN(misc-no-recursion): parse_sequence -> parse_dataset ->
 * parse_value -> parse_sequence; depth bounded by p->max_depth */
/* Sequence of items (PS3.5 7.5) whose value starts at the current position
 * and may not pass @p bound; recursion bounded by p->max_depth. */
static bool parse_sequence(Parser *p,
                           Syntax sx,
                           RertDataset *ds,
                           const Header *h,
                           size_t bound,
                           size_t depth)
{
    if (depth + 1 > p->max_depth) {
        return fail(p, RERT_ERR_LIMIT, h->tag, h->offset,
                    "sequences nested deeper than %zu levels (limit "
                    "max_sequence_depth)",
                    p->max_depth);
    }
    RertElement *el = rert_dataset_slot(p->err, ds, h->tag, "SQ");
    if (el == NULL) {
        return false;
    }
    if (h->length != UNDEFINED_LENGTH) {
        bound = p->r.pos + h->length; /* checked against avail by caller */
    }
    for (;;) {
        Header item = {0, "", 0, 0};
        bool done = false;
        if (!read_item_header(p, sx, h, bound, &item, &done)) {
            return false;
        }
        if (done) {
            return true;
        }
        RertDataset *child = rert_dataset_create(p->err);
        if (child == NULL) {
            return false;
        }
        if (!rert_element_add_item_take(p->err, el, child)) {
            rert_dataset_destroy(child);
            return false;
        }
        bool undefined = item.length == UNDEFINED_LENGTH;
        size_t item_bound = undefined ? bound : p->r.pos + item.length;
        if (!parse_dataset(p, sx, child, item_bound, depth + 1, undefined)) {
            return false;
        }
    }
}

/* Act on an element whose header has been read: sequence, encapsulated
 * pixel data, skipped group length, or a plain value. */
static bool parse_value(Parser *p,
                        Syntax sx,
                        RertDataset *ds,
                        const Header *h,
                        size_t bound,
                        size_t depth)
{
    const Syntax implicit_le = {false, false};
    const char *vr = h->vr;
    if (h->length == UNDEFINED_LENGTH) {
        if (strcmp(vr, "SQ") == 0) {
            return parse_sequence(p, sx, ds, h, bound, depth);
        }
        if (h->tag == TAG_PIXEL_DATA && sx.is_explicit) {
            return parse_encapsulated(p, sx, ds, h, bound);
        }
        if (strcmp(vr, "UN") == 0) {
            /* PS3.5 6.2.2: UN (or unknown in implicit VR) with undefined
             * length is a sequence encoded in implicit VR little endian. */
            return parse_sequence(p, implicit_le, ds, h, bound, depth);
        }
        return fail(p, RERT_ERR_PARSE, h->tag, h->offset,
                    "undefined length with VR %s: expected a defined length "
                    "(undefined is for sequences and encapsulated pixel "
                    "data only)",
                    vr);
    }
    if (h->length % 2 != 0) {
        return fail(p, RERT_ERR_PARSE, h->tag, h->offset,
                    "odd value length %u: expected an even length", h->length);
    }
    if (h->length > avail(p, bound)) {
        return fail(p, RERT_ERR_PARSE, h->tag, h->offset,
                    "value length %u exceeds the %zu bytes left", h->length,
                    avail(p, bound));
    }
    if (h->length > p->limits.max_element_bytes) {
        return fail(p, RERT_ERR_LIMIT, h->tag, h->offset,
                    "value length %u over the limit max_element_bytes %zu",
                    h->length, p->limits.max_element_bytes);
    }
    if (strcmp(vr, "SQ") == 0) {
        return parse_sequence(p, sx, ds, h, bound, depth);
    }
    if (sx.is_explicit && strcmp(vr, "UN") == 0) {
        const char *known = rert_dicom_dict_vr(h->tag);
        if (strcmp(known, "SQ") == 0) {
            return parse_sequence(p, implicit_le, ds, h, bound, depth);
        }
        vr = known;
    }
    if (RERT_TAG_ELEMENT(h->tag) == 0) {
        p->r.pos += h->length; /* group lengths are recomputed on write */
        return true;
    }
    return store_value(p, sx, ds, h, vr);
}

/* Item tags met where a data element should be: the delimiter ends an
 * undefined-length item (its length is not checked, PS3.5 7.5.2); any
 * other item tag is misplaced. */
static bool
check_item_tag(Parser *p, const Header *h, bool is_undefined_item, bool *ends)
{
    *ends = h->tag == TAG_ITEM_END && is_undefined_item;
    if (*ends || RERT_TAG_GROUP(h->tag) != 0xFFFE) {
        return true;
    }
    return fail(p, RERT_ERR_PARSE, h->tag, h->offset,
                "expected a data element%s, found an item tag",
                is_undefined_item ? " or item delimiter" : "");
}

/* Elements up to @p bound (or the item delimiter of an undefined-length
 * item). Recursion depth is bounded by p->max_depth in parse_sequence. */
static bool parse_dataset(Parser *p,
                          Syntax sx,
                          RertDataset *ds,
                          size_t bound,
                          size_t depth,
                          bool is_undefined_item)
{
    for (;;) {
        if (avail(p, bound) == 0) {
            if (is_undefined_item) {
                return fail(p, RERT_ERR_PARSE, NO_TAG, p->r.pos,
                            "expected item delimiter (FFFE,E00D), found the "
                            "end of the %s",
                            bound == NO_END ? "data" : "enclosing sequence");
            }
            return true;
        }
        Header h = {0, "", 0, 0};
        bool ends = false;
        if (!read_header(p, sx, bound, &h) ||
            !check_item_tag(p, &h, is_undefined_item, &ends)) {
            return false;
        }
        if (ends) {
            return true;
        }
        if (depth == 0 && p->stop_before_pixel_data &&
            h.tag >= TAG_PIXEL_DATA) {
            p->stopped = true;
            p->r.pos = h.offset;
            return true;
        }
        if (!count_element(p, &h) ||
            !parse_value(p, sx, ds, &h, bound, depth)) {
            return false;
        }
    }
}
/* NOLINTEND(misc-no-recursion) */

/* Explicit VR is detected from the next element: two letters of a known
 * VR where implicit VR has the low bytes of a length, agreeing with the
 * dictionary when the tag is known. */
static bool looks_explicit(const Parser *p)
{
    if (avail(p, NO_END) < 8) {
        return false;
    }
    const uint8_t *b = p->r.data + p->r.pos;
    if (!known_vr(b + 4)) {
        return false;
    }
    char vr[3] = {(char)b[4], (char)b[5], '\0'};
    const char *dict =
        rert_dicom_dict_vr(RERT_TAG(get16(b, false), get16(b + 2, false)));
    return strcmp(dict, "UN") == 0 || strcmp(vr, "UN") == 0 ||
           strcmp(dict, vr) == 0 ||
           (rert_vr_binary_size(dict) > 0 && rert_vr_binary_size(vr) > 0);
}

/* File meta group (0002,xxxx), explicit VR little endian (PS3.10 7.1),
 * read while the next tag is in group 0002. Implicit VR meta groups, which
 * some old writers produce, are accepted when detected. */
static bool parse_meta(Parser *p, RertDataset *ds, bool *has_meta)
{
    Syntax sx = {looks_explicit(p), false};
    while (avail(p, NO_END) >= 8 &&
           get16(p->r.data + p->r.pos, false) == 0x0002) {
        Header h;
        if (!read_header(p, sx, NO_END, &h) || !count_element(p, &h) ||
            !parse_value(p, sx, ds, &h, NO_END, 0)) {
            return false;
        }
        *has_meta = true;
    }
    return true;
}

static const RertTransferSyntax *
choose_syntax(Parser *p, RertDataset *ds, RertDicomFileInfo *info)
{
    char uid[RERT_UID_SIZE] = "";
    const char *found = rert_dataset_get_string_or(ds, TAG_TRANSFER_SYNTAX, uid,
                                                   sizeof uid, NULL);
    if (found == NULL && rert_dataset_has(ds, TAG_TRANSFER_SYNTAX)) {
        fail(p, RERT_ERR_PARSE, TAG_TRANSFER_SYNTAX, 0,
             "expected a UID of at most 64 characters");
        return NULL;
    }
    if (found == NULL) {
        found = looks_explicit(p) ? RERT_TS_EXPLICIT_LE : RERT_TS_IMPLICIT_LE;
    }
    const RertTransferSyntax *ts = rert_transfer_syntax_find(found);
    if (ts == NULL) {
        rert_error_set(p->err, RERT_ERR_UNSUPPORTED,
                       "%s: transfer syntax %s is not supported (expected "
                       "implicit or explicit VR little endian, explicit VR "
                       "big endian, deflated or an encapsulated syntax)",
                       p->r.name, found);
        return NULL;
    }
    memcpy(info->transfer_syntax, ts->uid, strlen(ts->uid) + 1);
    return ts;
}

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return rert_calloc(NULL, items, size);
}

static void zlib_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    rert_free(ptr);
}

/* Grow @p out (capacity *cap) towards the inflate limit. */
static bool grow_inflated(Parser *p, RertBytes *out, size_t *cap)
{
    size_t max = p->limits.max_inflated_bytes;
    if (*cap >= max) {
        return rert_error_set(p->err, RERT_ERR_LIMIT,
                              "%s: deflated data set inflates to more than "
                              "%zu bytes (limit max_inflated_bytes)",
                              p->r.name, max);
    }
    size_t ncap = *cap > max / 2 ? max : *cap * 2;
    uint8_t *grown = rert_realloc_array(p->err, out->data, ncap, 1);
    if (grown == NULL) {
        return false;
    }
    out->data = grown;
    *cap = ncap;
    return true;
}

/* Raw deflate (RFC 1951, no zlib header: PS3.5 A.5) of the rest of the
 * input into @p out, bounded by limits.max_inflated_bytes. */
static bool inflate_loop(Parser *p, z_stream *zs, RertBytes *out)
{
    const uint8_t *in = p->r.data + p->r.pos;
    size_t n = avail(p, NO_END);
    size_t cap = out->size;
    size_t consumed = 0;
    out->size = 0;
    for (int rc = Z_OK; rc != Z_STREAM_END;) {
        if (out->size == cap && !grow_inflated(p, out, &cap)) {
            return false;
        }
        size_t in_chunk = n - consumed < UINT_MAX ? n - consumed : UINT_MAX;
        size_t out_chunk =
            cap - out->size < UINT_MAX ? cap - out->size : UINT_MAX;
        zs->next_in = in + consumed;
        zs->avail_in = (uInt)in_chunk;
        zs->next_out = out->data + out->size;
        zs->avail_out = (uInt)out_chunk;
        rc = inflate(zs, Z_NO_FLUSH);
        consumed += in_chunk - zs->avail_in;
        out->size += out_chunk - zs->avail_out;
        if (rc == Z_BUF_ERROR && consumed == n && out->size < cap) {
            return rert_error_set(p->err, RERT_ERR_PARSE,
                                  "%s: deflated data set truncated after "
                                  "%zu input bytes at byte offset %zu",
                                  p->r.name, consumed, p->r.pos + consumed);
        }
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            return rert_error_set(
                p->err, rc == Z_MEM_ERROR ? RERT_ERR_NOMEM : RERT_ERR_PARSE,
                "%s: inflating the data set at byte offset %zu: %s", p->r.name,
                p->r.pos + consumed, zs->msg != NULL ? zs->msg : "zlib error");
        }
    }
    return true;
}

static bool inflate_rest(Parser *p, RertBytes *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zlib_alloc;
    zs.zfree = zlib_free;
    int rc = inflateInit2(&zs, -15);
    if (rc != Z_OK) {
        return rert_error_set(p->err, RERT_ERR_NOMEM,
                              "%s: cannot start inflating: zlib code %d",
                              p->r.name, rc);
    }
    size_t n = avail(p, NO_END);
    size_t cap = n < SIZE_MAX / 4 ? 4 * n + 4096 : SIZE_MAX;
    if (cap > p->limits.max_inflated_bytes) {
        cap = p->limits.max_inflated_bytes;
    }
    out->data = rert_alloc(p->err, cap);
    out->size = cap;
    bool ok = out->data != NULL && inflate_loop(p, &zs, out);
    inflateEnd(&zs);
    if (!ok) {
        rert_bytes_clear(out);
    }
    return ok;
}

static bool parse_body(Parser *p, RertDataset *ds, const RertTransferSyntax *ts)
{
    Syntax sx = {ts->is_explicit_vr, ts->is_big_endian};
    if (!ts->is_deflated) {
        return parse_dataset(p, sx, ds, NO_END, 0, false);
    }
    RertBytes inflated = {NULL, 0};
    if (!inflate_rest(p, &inflated)) {
        return false;
    }
    Parser q = *p;
    rert_reader_init(&q.r, inflated.data, inflated.size, p->r.name);
    q.suffix = " (inflated data)";
    q.borrow_into = NULL; /* the inflated bytes are freed below */
    bool ok = parse_dataset(&q, sx, ds, NO_END, 0, false);
    p->stopped = q.stopped;
    p->element_count = q.element_count;
    rert_bytes_clear(&inflated);
    return ok;
}

RertDicomParseOptions rert_dicom_parse_options_default(void)
{
    RertDicomParseOptions options;
    memset(&options, 0, sizeof options);
    options.limits = rert_limits_default();
    options.stop_before_pixel_data = false;
    return options;
}

/* rert_dicom_parse; with @p backing, large values borrow from the bytes
 * and the data set takes @p backing (else it stays with the caller). */
static RertDataset *parse_bytes(RertError *err,
                                const void *data,
                                size_t size,
                                const char *name,
                                const RertDicomParseOptions *options,
                                RertDicomFileInfo *info,
                                RertFileView *backing)
{
    RertDicomParseOptions opts =
        options != NULL ? *options : rert_dicom_parse_options_default();
    RertDicomFileInfo local = {0};
    info = info != NULL ? info : &local;
    memset(info, 0, sizeof *info);
    name = name != NULL ? name : "memory";
    if (data == NULL && size > 0) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "%s: no data", name);
        return NULL;
    }
    if (size > opts.limits.max_file_bytes) {
        rert_error_set(err, RERT_ERR_LIMIT,
                       "%s: %zu bytes, over the limit max_file_bytes %zu", name,
                       size, opts.limits.max_file_bytes);
        return NULL;
    }
    Parser p;
    memset(&p, 0, sizeof p);
    p.err = err;
    rert_reader_init(&p.r, size > 0 ? data : "", size, name);
    p.suffix = "";
    p.limits = opts.limits;
    p.max_depth = opts.limits.max_sequence_depth < HARD_MAX_DEPTH
                      ? opts.limits.max_sequence_depth
                      : HARD_MAX_DEPTH;
    p.stop_before_pixel_data = opts.stop_before_pixel_data;
    if (size >= 132 && memcmp((const uint8_t *)data + 128, "DICM", 4) == 0) {
        p.r.pos = 132;
        info->has_preamble = true;
    }
    RertDataset *ds = rert_dataset_create(err);
    if (ds == NULL) {
        return NULL;
    }
    p.borrow_into = backing != NULL ? ds : NULL;
    const RertTransferSyntax *ts = NULL;
    bool ok = parse_meta(&p, ds, &info->has_meta) &&
              (ts = choose_syntax(&p, ds, info)) != NULL &&
              parse_body(&p, ds, ts);
    if (!ok) {
        rert_dataset_destroy(ds);
        return NULL;
    }
    if (p.borrowed > 0) {
        rert_dataset_take_backing(ds, backing);
    }
    return ds;
}

RertDataset *rert_dicom_parse(RertError *err,
                              const void *data,
                              size_t size,
                              const char *name,
                              const RertDicomParseOptions *options,
                              RertDicomFileInfo *info)
{
    return parse_bytes(err, data, size, name, options, info, NULL);
}

RertDataset *rert_dicom_load(RertError *err,
                             const char *path,
                             const RertDicomParseOptions *options,
                             RertDicomFileInfo *info)
{
    RertDicomParseOptions opts =
        options != NULL ? *options : rert_dicom_parse_options_default();
    /* A mapped view: no copy of the file; a header-only parse touches only
     * the first pages, a full parse asks for every page at once. */
    RertFileView view;
    if (!rert_file_view_load(err, path, opts.limits.max_file_bytes,
                             !opts.stop_before_pixel_data, &view)) {
        return NULL;
    }
    /* Large values (pixel data) borrow from the view instead of being
     * copied; the data set then keeps the view until it is destroyed. */
    RertDataset *ds =
        parse_bytes(err, view.data, view.size, path, &opts, info, &view);
    rert_file_view_clear(&view); /* no-op when the data set took it */
    return ds;
}
