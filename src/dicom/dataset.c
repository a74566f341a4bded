/* DICOM data set storage (PS3.5 section 7): elements sorted by tag, values
 * kept little-endian, sequences as owned item lists. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/dicom.h>

#include "internal.h"

RertDataset *rert_dataset_create(RertError *err)
{
    return rert_calloc(err, 1, sizeof(RertDataset));
}

/* Recursion through rert_dataset_destroy is bounded by the item depth. */
// NOLINTNEXTLINE(misc-no-recursion): bounded, see above
static void element_clear(RertElement *el)
{
    rert_free(el->owned);
    el->owned = NULL;
    el->value = NULL;
    el->length = 0;
    for (size_t i = 0; i < el->item_count; i++) {
        rert_dataset_destroy(el->items[i]);
    }
    rert_free(el->items);
    el->items = NULL;
    el->item_count = 0;
    el->item_cap = 0;
    el->is_encapsulated = false;
}

/* Items nest at most as deep as the parser allows (RertLimits), so the
 * recursion through element_clear is bounded. */
void rert_dataset_destroy(RertDataset *ds) // NOLINT(misc-no-recursion)
{
    if (ds == NULL) {
        return;
    }
    for (size_t i = 0; i < ds->count; i++) {
        element_clear(&ds->elements[i]);
    }
    rert_free(ds->elements);
    rert_file_view_clear(&ds->backing);
    rert_free(ds);
}

/* Binary search: index of @p tag, or where it would be inserted. */
static size_t lower_bound(const RertDataset *ds, uint32_t tag)
{
    size_t lo = 0;
    size_t hi = ds->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ds->elements[mid].tag < tag) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static bool valid_vr(const char *vr)
{
    return vr != NULL && vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' &&
           vr[1] <= 'Z' && vr[2] == '\0';
}

RertElement *
rert_dataset_slot(RertError *err, RertDataset *ds, uint32_t tag, const char *vr)
{
    if (!valid_vr(vr)) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "tag (%04X,%04X): VR must be two upper-case letters",
                       RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag));
        return NULL;
    }
    size_t at = lower_bound(ds, tag);
    if (at < ds->count && ds->elements[at].tag == tag) {
        RertElement *el = &ds->elements[at];
        element_clear(el);
        memcpy(el->vr, vr, 3);
        return el;
    }
    if (ds->count == ds->cap) {
        size_t ncap = ds->cap == 0 ? 16 : ds->cap * 2;
        RertElement *grown =
            rert_realloc_array(err, ds->elements, ncap, sizeof *grown);
        if (grown == NULL) {
            return NULL;
        }
        ds->elements = grown;
        ds->cap = ncap;
    }
    memmove(&ds->elements[at + 1], &ds->elements[at],
            (ds->count - at) * sizeof *ds->elements);
    ds->count++;
    RertElement *el = &ds->elements[at];
    memset(el, 0, sizeof *el);
    el->tag = tag;
    memcpy(el->vr, vr, 3);
    return el;
}

void rert_element_take_value(RertElement *el, uint8_t *value, size_t length)
{
    rert_free(el->owned);
    el->owned = value;
    el->value = value;
    el->length = length;
}

void rert_element_borrow_value(RertElement *el,
                               const uint8_t *value,
                               size_t length)
{
    rert_free(el->owned);
    el->owned = NULL;
    el->value = value;
    el->length = length;
}

void rert_dataset_take_backing(RertDataset *ds, RertFileView *view)
{
    rert_file_view_clear(&ds->backing);
    ds->backing = *view;
    memset(view, 0, sizeof *view);
}

bool rert_element_add_item_take(RertError *err,
                                RertElement *el,
                                RertDataset *item)
{
    if (el->item_count == el->item_cap) {
        size_t ncap = el->item_cap == 0 ? 4 : el->item_cap * 2;
        RertDataset **grown = rert_realloc_array(
            err, el->items, ncap,
            sizeof *grown); // NOLINT(bugprone-sizeof-expression): pointers
        if (grown == NULL) {
            return false;
        }
        el->items = grown;
        el->item_cap = ncap;
    }
    el->items[el->item_count++] = item;
    return true;
}

bool rert_dataset_set_bytes(RertError *err,
                            RertDataset *ds,
                            uint32_t tag,
                            const char *vr,
                            const void *value,
                            size_t length)
{
    if (vr != NULL && strcmp(vr, "SQ") == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "tag (%04X,%04X): use rert_dataset_add_item for "
                              "sequences",
                              RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag));
    }
    uint8_t *copy = NULL;
    if (length > 0) {
        copy = rert_alloc(err, length);
        if (copy == NULL) {
            return false;
        }
        memcpy(copy, value, length);
    }
    RertElement *el = rert_dataset_slot(err, ds, tag, vr);
    if (el == NULL) {
        rert_free(copy);
        return false;
    }
    rert_element_take_value(el, copy, length);
    return true;
}

bool rert_dataset_set_string(RertError *err,
                             RertDataset *ds,
                             uint32_t tag,
                             const char *vr,
                             const char *value)
{
    return rert_dataset_set_bytes(err, ds, tag, vr, value, strlen(value));
}

/* Format @p v in at most 16 characters (the DS limit), losing as little
 * precision as possible. */
static void format_ds(char out[17], double v)
{
    for (int digits = 16; digits >= 1; digits--) {
        char buf[40];
        (void)snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strlen(buf) <= 16) {
            memcpy(out, buf, strlen(buf) + 1);
            return;
        }
    }
    memcpy(out, "0", 2);
}

bool rert_dataset_set_ds(RertError *err,
                         RertDataset *ds,
                         uint32_t tag,
                         const double *values,
                         size_t n)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, (size_t)1 << 30);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        if (!isfinite(values[i])) {
            ok = rert_error_set(err, RERT_ERR_INVALID_ARG,
                                "tag (%04X,%04X): value %zu is not finite",
                                RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag), i);
            break;
        }
        char text[17];
        format_ds(text, values[i]);
        ok = (i == 0 || rert_strbuf_append(err, &sb, "\\", 1)) &&
             rert_strbuf_puts(err, &sb, text);
    }
    if (ok) {
        ok = rert_dataset_set_bytes(err, ds, tag, "DS", sb.data, sb.len);
    }
    rert_strbuf_clear(&sb);
    return ok;
}

bool rert_dataset_set_is(
    RertError *err, RertDataset *ds, uint32_t tag, const long *values, size_t n)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, (size_t)1 << 30);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        ok = rert_strbuf_printf(err, &sb, i == 0 ? "%ld" : "\\%ld", values[i]);
    }
    if (ok) {
        ok = rert_dataset_set_bytes(err, ds, tag, "IS", sb.data, sb.len);
    }
    rert_strbuf_clear(&sb);
    return ok;
}

bool rert_dataset_set_u16(RertError *err,
                          RertDataset *ds,
                          uint32_t tag,
                          const uint16_t *values,
                          size_t n)
{
    uint8_t *bytes = rert_calloc(err, n, 2);
    if (bytes == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        bytes[2 * i] = (uint8_t)(values[i] & 0xFF);
        bytes[2 * i + 1] = (uint8_t)(values[i] >> 8);
    }
    bool ok = rert_dataset_set_bytes(err, ds, tag, "US", bytes, 2 * n);
    rert_free(bytes);
    return ok;
}

bool rert_dataset_set_u32(RertError *err,
                          RertDataset *ds,
                          uint32_t tag,
                          const uint32_t *values,
                          size_t n)
{
    uint8_t *bytes = rert_calloc(err, n, 4);
    if (bytes == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t b = 0; b < 4; b++) {
            bytes[4 * i + b] = (uint8_t)((values[i] >> (8 * b)) & 0xFF);
        }
    }
    bool ok = rert_dataset_set_bytes(err, ds, tag, "UL", bytes, 4 * n);
    rert_free(bytes);
    return ok;
}

RertDataset *
rert_dataset_add_item(RertError *err, RertDataset *ds, uint32_t tag)
{
    size_t at = lower_bound(ds, tag);
    RertElement *el = NULL;
    if (at < ds->count && ds->elements[at].tag == tag &&
        strcmp(ds->elements[at].vr, "SQ") == 0) {
        el = &ds->elements[at];
    } else {
        el = rert_dataset_slot(err, ds, tag, "SQ");
        if (el == NULL) {
            return NULL;
        }
    }
    RertDataset *item = rert_dataset_create(err);
    if (item == NULL) {
        return NULL;
    }
    if (!rert_element_add_item_take(err, el, item)) {
        rert_dataset_destroy(item);
        return NULL;
    }
    return item;
}

void rert_dataset_remove(RertDataset *ds, uint32_t tag)
{
    size_t at = lower_bound(ds, tag);
    if (at >= ds->count || ds->elements[at].tag != tag) {
        return;
    }
    element_clear(&ds->elements[at]);
    memmove(&ds->elements[at], &ds->elements[at + 1],
            (ds->count - at - 1) * sizeof *ds->elements);
    ds->count--;
}

/* NOLINTBEGIN(misc-no-recursion): element_copy -> rert_dataset_clone ->
 * clone_filtered -> element_copy; depth = item nesting, bounded by the
 * parser's max_sequence_depth */

/* Copy of one element into the empty slot @p dst (values are always
 * copied, never borrowed: the copy outlives any backing). */
static bool
element_copy(RertError *err, RertElement *dst, const RertElement *src)
{
    dst->is_encapsulated = src->is_encapsulated;
    if (src->length > 0) {
        uint8_t *copy = rert_alloc(err, src->length);
        if (copy == NULL) {
            return false;
        }
        memcpy(copy, src->value, src->length);
        rert_element_take_value(dst, copy, src->length);
    }
    for (size_t k = 0; k < src->item_count; k++) {
        RertDataset *item = rert_dataset_clone(err, src->items[k]);
        if (item == NULL || !rert_element_add_item_take(err, dst, item)) {
            rert_dataset_destroy(item);
            return false;
        }
    }
    return true;
}

/* Copy of @p ds without top-level element @p skip when @p has_skip. */
static RertDataset *clone_filtered(RertError *err,
                                   const RertDataset *ds,
                                   bool has_skip,
                                   uint32_t skip)
{
    RertDataset *copy = rert_dataset_create(err);
    if (copy == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < ds->count; i++) {
        const RertElement *src = &ds->elements[i];
        if (has_skip && src->tag == skip) {
            continue;
        }
        RertElement *dst = rert_dataset_slot(err, copy, src->tag, src->vr);
        if (dst == NULL || !element_copy(err, dst, src)) {
            rert_dataset_destroy(copy);
            return NULL;
        }
    }
    return copy;
}

RertDataset *rert_dataset_clone_except(RertError *err,
                                       const RertDataset *ds,
                                       uint32_t skip_tag)
{
    return clone_filtered(err, ds, true, skip_tag);
}

RertDataset *rert_dataset_clone(RertError *err, const RertDataset *ds)
{
    return clone_filtered(err, ds, false, 0);
}
/* NOLINTEND(misc-no-recursion) */

size_t rert_dataset_count(const RertDataset *ds)
{
    return ds->count;
}

const RertElement *rert_dataset_element_at(const RertDataset *ds, size_t index)
{
    return index < ds->count ? &ds->elements[index] : NULL;
}

const RertElement *rert_dataset_find(const RertDataset *ds, uint32_t tag)
{
    if (ds == NULL) {
        return NULL;
    }
    size_t at = lower_bound(ds, tag);
    return at < ds->count && ds->elements[at].tag == tag ? &ds->elements[at]
                                                         : NULL;
}

bool rert_dataset_has(const RertDataset *ds, uint32_t tag)
{
    const RertElement *el = rert_dataset_find(ds, tag);
    return el != NULL && (el->length > 0 || el->item_count > 0);
}

uint32_t rert_element_tag(const RertElement *el)
{
    return el->tag;
}

const char *rert_element_vr(const RertElement *el)
{
    return el->vr;
}

const uint8_t *rert_element_value(const RertElement *el)
{
    return el->value;
}

size_t rert_element_length(const RertElement *el)
{
    return el->length;
}

bool rert_element_is_encapsulated(const RertElement *el)
{
    return el->is_encapsulated;
}

size_t rert_element_item_count(const RertElement *el)
{
    return el->item_count;
}

const RertDataset *rert_element_item(const RertElement *el, size_t index)
{
    return index < el->item_count ? el->items[index] : NULL;
}

size_t rert_vr_binary_size(const char *vr)
{
    static const struct {
        const char *vr;
        size_t size;
    } sizes[] = {{"US", 2}, {"SS", 2}, {"UL", 4}, {"SL", 4}, {"FL", 4},
                 {"FD", 8}, {"AT", 4}, {"OW", 2}, {"OB", 1}, {"OF", 4},
                 {"OD", 8}, {"OL", 4}, {"OV", 8}, {"SV", 8}, {"UV", 8}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (strcmp(vr, sizes[i].vr) == 0) {
            return sizes[i].size;
        }
    }
    return 0;
}

bool rert_vr_is_text(const char *vr)
{
    static const char *const text[] = {"AE", "AS", "CS", "DA", "DS", "DT",
                                       "IS", "LO", "LT", "PN", "SH", "ST",
                                       "TM", "UI", "UT", "UC", "UR"};
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        if (strcmp(vr, text[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool rert_vr_has_long_length(const char *vr)
{
    static const char *const long_vrs[] = {"OB", "OD", "OF", "OL", "OV",
                                           "OW", "SQ", "SV", "UC", "UN",
                                           "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof long_vrs / sizeof long_vrs[0]; i++) {
        if (strcmp(vr, long_vrs[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Locate text value @p index: start pointer and length, trimmed. LT, ST,
 * UT and UR are single-valued (backslash is an ordinary character). */
static bool
text_value(const RertElement *el, size_t index, const char **start, size_t *len)
{
    const char *p = (const char *)el->value;
    size_t n = el->length;
    bool single = strcmp(el->vr, "LT") == 0 || strcmp(el->vr, "ST") == 0 ||
                  strcmp(el->vr, "UT") == 0 || strcmp(el->vr, "UR") == 0;
    size_t begin = 0;
    size_t current = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (!single && p[i] == '\\')) {
            if (current == index) {
                const char *s = p + begin;
                size_t l = i - begin;
                while (l > 0 && (s[0] == ' ' || s[0] == '\0')) {
                    s++;
                    l--;
                }
                while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\0')) {
                    l--;
                }
                *start = s;
                *len = l;
                return true;
            }
            current++;
            begin = i + 1;
        }
    }
    return false;
}

static bool missing(RertError *err, uint32_t tag, size_t index)
{
    const char *kw = rert_dicom_dict_keyword(tag);
    return rert_error_set(err, RERT_ERR_PARSE,
                          "(%04X,%04X)%s%s%s: value %zu missing",
                          RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag),
                          kw ? " " : "", kw ? kw : "", "", index + 1);
}

bool rert_dataset_get_string(RertError *err,
                             const RertDataset *ds,
                             uint32_t tag,
                             size_t index,
                             char *buf,
                             size_t size)
{
    const RertElement *el = rert_dataset_find(ds, tag);
    const char *s = NULL;
    size_t len = 0;
    if (el == NULL || el->value == NULL || !text_value(el, index, &s, &len)) {
        return missing(err, tag, index);
    }
    if (len + 1 > size) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "(%04X,%04X): value is %zu characters, room for "
                              "%zu",
                              RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag), len,
                              size > 0 ? size - 1 : 0);
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

const char *rert_dataset_get_string_or(const RertDataset *ds,
                                       uint32_t tag,
                                       char *buf,
                                       size_t size,
                                       const char *fallback)
{
    if (!rert_dataset_get_string(NULL, ds, tag, 0, buf, size) ||
        buf[0] == '\0') {
        return fallback;
    }
    return buf;
}

size_t rert_dataset_value_count(const RertDataset *ds, uint32_t tag)
{
    const RertElement *el = rert_dataset_find(ds, tag);
    if (el == NULL || el->length == 0) {
        return 0;
    }
    size_t bin = rert_vr_binary_size(el->vr);
    if (bin > 0) {
        return el->length / bin;
    }
    size_t count = 1;
    if (strcmp(el->vr, "LT") != 0 && strcmp(el->vr, "ST") != 0 &&
        strcmp(el->vr, "UT") != 0 && strcmp(el->vr, "UR") != 0) {
        for (size_t i = 0; i < el->length; i++) {
            count += el->value[i] == '\\';
        }
    }
    return count;
}

static uint64_t read_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static bool binary_value(const RertElement *el, size_t index, double *out)
{
    size_t size = rert_vr_binary_size(el->vr);
    size_t offset;
    if (size == 0 || __builtin_mul_overflow(index, size, &offset) ||
        offset + size > el->length) {
        return false;
    }
    uint64_t raw = read_le(el->value + offset, size);
    const char *vr = el->vr;
    if (strcmp(vr, "US") == 0 || strcmp(vr, "OW") == 0) {
        *out = (double)(uint16_t)raw;
    } else if (strcmp(vr, "SS") == 0) {
        *out = (double)(int16_t)(uint16_t)raw;
    } else if (strcmp(vr, "AT") == 0) {
        /* group then element, each 16-bit: the tag (gggg << 16 | eeee) */
        *out =
            (double)(((uint32_t)(raw & 0xFFFF) << 16) | (uint32_t)(raw >> 16));
    } else if (strcmp(vr, "UL") == 0 || strcmp(vr, "OL") == 0) {
        *out = (double)(uint32_t)raw;
    } else if (strcmp(vr, "SL") == 0) {
        *out = (double)(int32_t)(uint32_t)raw;
    } else if (strcmp(vr, "FL") == 0 || strcmp(vr, "OF") == 0) {
        uint32_t bits = (uint32_t)raw;
        float f;
        memcpy(&f, &bits, sizeof f);
        *out = (double)f;
    } else if (strcmp(vr, "FD") == 0 || strcmp(vr, "OD") == 0) {
        double d;
        memcpy(&d, &raw, sizeof d);
        *out = d;
    } else if (strcmp(vr, "OB") == 0) {
        *out = (double)(uint8_t)raw;
    } else {
        return false; /* 64-bit integer VRs are not used by RT objects */
    }
    return true;
}

bool rert_dataset_get_double(RertError *err,
                             const RertDataset *ds,
                             uint32_t tag,
                             size_t index,
                             double *out)
{
    const RertElement *el = rert_dataset_find(ds, tag);
    if (el == NULL || el->value == NULL) {
        return missing(err, tag, index);
    }
    if (rert_vr_binary_size(el->vr) > 0) {
        if (!binary_value(el, index, out)) {
            return missing(err, tag, index);
        }
        return true;
    }
    const char *s = NULL;
    size_t len = 0;
    if (!text_value(el, index, &s, &len)) {
        return missing(err, tag, index);
    }
    char what[48];
    (void)snprintf(what, sizeof what, "(%04X,%04X) value %zu",
                   RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag), index + 1);
    return rert_parse_double(err, s, len, what, out);
}

bool rert_dataset_get_doubles(
    RertError *err, const RertDataset *ds, uint32_t tag, double *out, size_t n)
{
    size_t count = rert_dataset_value_count(ds, tag);
    if (count != n) {
        return rert_error_set(
            err, RERT_ERR_PARSE, "(%04X,%04X): expected %zu values, found %zu",
            RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag), n, count);
    }
    for (size_t i = 0; i < n; i++) {
        if (!rert_dataset_get_double(err, ds, tag, i, &out[i])) {
            return false;
        }
    }
    return true;
}

bool rert_dataset_get_long(RertError *err,
                           const RertDataset *ds,
                           uint32_t tag,
                           size_t index,
                           long *out)
{
    double v;
    if (!rert_dataset_get_double(err, ds, tag, index, &v)) {
        return false;
    }
    if (!(v >= -2147483648.0 && v <= 4294967295.0) || v != floor(v)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(%04X,%04X): expected an integer, found %g",
                              RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag), v);
    }
    *out = (long)v;
    return true;
}

size_t rert_dataset_item_count(const RertDataset *ds, uint32_t tag)
{
    const RertElement *el = rert_dataset_find(ds, tag);
    return el != NULL ? el->item_count : 0;
}

const RertDataset *
rert_dataset_item(const RertDataset *ds, uint32_t tag, size_t index)
{
    const RertElement *el = rert_dataset_find(ds, tag);
    return el != NULL ? rert_element_item(el, index) : NULL;
}
