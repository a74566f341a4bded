/* Pixel data decoding (PS3.5 section 8 and annex A.4): native pixel data,
 * checked against the image pixel module, and RLE Lossless (annex G); and
 * stored values -> rescaled floats in one vectorisable pass. */
#include <math.h>
#include <string.h>

#include <rert/dicom.h>

#include "internal.h"

#define TAG_PIXEL_DATA RERT_TAG(0x7FE0, 0x0010)
#define TAG_ITEM RERT_TAG(0xFFFE, 0xE000)
#define MAX_RLE_SEGMENTS 15

/* Image pixel module values (PS3.3 C.7.6.3) that size the pixel data. */
typedef struct Layout {
    size_t rows;
    size_t columns;
    size_t frames;
    size_t samples;
    size_t bytes; /* per sample: BitsAllocated / 8 */
    bool is_planar;
    size_t pixels;      /* rows x columns */
    size_t frame_bytes; /* pixels x samples x bytes */
    size_t total_bytes; /* frame_bytes x frames */
} Layout;

/* Integer attribute @p tag in [min, max], or @p fallback when absent. */
static bool get_count(RertError *err,
                      const RertDataset *ds,
                      uint32_t tag,
                      long min,
                      long max,
                      long fallback,
                      size_t *out)
{
    long v = fallback;
    if (rert_dataset_has(ds, tag) &&
        !rert_dataset_get_long(err, ds, tag, 0, &v)) {
        return false;
    }
    if (v < min || v > max) {
        const char *kw = rert_dicom_dict_keyword(tag);
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(%04X,%04X) %s: expected %ld to %ld, found %ld",
                              RERT_TAG_GROUP(tag), RERT_TAG_ELEMENT(tag),
                              kw != NULL ? kw : "", min, max, v);
    }
    *out = (size_t)v;
    return true;
}

static bool read_layout(RertError *err,
                        const RertDataset *ds,
                        const RertLimits *limits,
                        Layout *l)
{
    size_t bits = 0;
    size_t planar = 0;
    memset(l, 0, sizeof *l);
    if (!get_count(err, ds, RERT_TAG(0x0028, 0x0010), 1, 65535, 0, &l->rows) ||
        !get_count(err, ds, RERT_TAG(0x0028, 0x0011), 1, 65535, 0,
                   &l->columns) ||
        !get_count(err, ds, RERT_TAG(0x0028, 0x0008), 1, 2147483647L, 1,
                   &l->frames) ||
        !get_count(err, ds, RERT_TAG(0x0028, 0x0002), 1, 4, 1, &l->samples) ||
        !get_count(err, ds, RERT_TAG(0x0028, 0x0006), 0, 1, 0, &planar) ||
        !get_count(err, ds, RERT_TAG(0x0028, 0x0100), 1, 64, 0, &bits)) {
        return false;
    }
    if (bits != 8 && bits != 16 && bits != 32) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "(0028,0100) BitsAllocated %zu: expected 8, 16 "
                              "or 32",
                              bits);
    }
    l->bytes = bits / 8;
    l->is_planar = planar == 1;
    size_t voxels = 0;
    if (!rert_mul_size(err, l->rows, l->columns, &l->pixels) ||
        !rert_mul_size(err, l->pixels, l->samples, &voxels) ||
        !rert_mul_size(err, voxels, l->bytes, &l->frame_bytes) ||
        !rert_mul_size(err, voxels, l->frames, &voxels) ||
        !rert_mul_size(err, l->frame_bytes, l->frames, &l->total_bytes)) {
        return false;
    }
    if (voxels > limits->max_voxels) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "pixel data: %zu x %zu x %zu frames x %zu "
                              "samples = %zu values, over the limit "
                              "max_voxels %zu",
                              l->rows, l->columns, l->frames, l->samples,
                              voxels, limits->max_voxels);
    }
    return true;
}

static bool
check_native_length(RertError *err, const RertElement *el, const Layout *l)
{
    /* One trailing pad byte keeps an odd-sized value even (PS3.5 8.1.1). */
    if (el->length != l->total_bytes && el->length != l->total_bytes + 1) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(7FE0,0010) PixelData: %zu bytes, expected "
                              "rows x columns x frames x samples x bytes = "
                              "%zu x %zu x %zu x %zu x %zu = %zu",
                              el->length, l->rows, l->columns, l->frames,
                              l->samples, l->bytes, l->total_bytes);
    }
    return true;
}

static bool decode_native(RertError *err,
                          const RertElement *el,
                          const Layout *l,
                          RertBytes *out)
{
    if (!check_native_length(err, el, l)) {
        return false;
    }
    out->data = rert_alloc(err, l->total_bytes);
    if (out->data == NULL) {
        return false;
    }
    memcpy(out->data, el->value, l->total_bytes);
    out->size = l->total_bytes;
    return true;
}

static uint32_t get32(const uint8_t *b)
{
    return ((uint32_t)b[3] << 24) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[1] << 8) | b[0];
}

/* One PackBits segment (PS3.5 G.3.1) into every @p stride-th byte of
 * @p dst, @p count bytes in all. Output past @p count is ignored. */
static bool decode_segment(RertError *err,
                           const uint8_t *src,
                           size_t len,
                           uint8_t *dst,
                           size_t stride,
                           size_t count,
                           size_t frame,
                           size_t segment)
{
    size_t i = 0;
    size_t o = 0;
    while (o < count && i < len) {
        unsigned h = src[i++];
        if (h < 128) {
            size_t n = (size_t)h + 1;
            if (n > len - i) {
                return rert_error_set(err, RERT_ERR_PARSE,
                                      "RLE frame %zu segment %zu: literal run "
                                      "of %zu bytes at %zu overruns the %zu "
                                      "byte segment",
                                      frame + 1, segment + 1, n, i - 1, len);
            }
            for (size_t k = 0; k < n && o < count; k++, o++) {
                dst[o * stride] = src[i + k];
            }
            i += n;
        } else if (h > 128) {
            if (i >= len) {
                return rert_error_set(err, RERT_ERR_PARSE,
                                      "RLE frame %zu segment %zu: replicate "
                                      "run at %zu has no byte to repeat",
                                      frame + 1, segment + 1, i - 1);
            }
            size_t n = 257 - (size_t)h;
            for (size_t k = 0; k < n && o < count; k++, o++) {
                dst[o * stride] = src[i];
            }
            i++;
        }
    }
    if (o < count) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "RLE frame %zu segment %zu: decoded %zu bytes, "
                              "expected rows x columns = %zu",
                              frame + 1, segment + 1, o, count);
    }
    return true;
}

/* Segment offsets from the 64-byte RLE header (PS3.5 G.5). */
static bool read_rle_header(RertError *err,
                            const uint8_t *src,
                            size_t len,
                            const Layout *l,
                            size_t frame,
                            size_t offsets[MAX_RLE_SEGMENTS + 1])
{
    size_t expected = l->samples * l->bytes;
    if (len < 64) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "RLE frame %zu: %zu bytes, expected at least "
                              "the 64-byte header",
                              frame + 1, len);
    }
    uint32_t count = get32(src);
    if (count != expected || count > MAX_RLE_SEGMENTS) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "RLE frame %zu: %u segments, expected samples x "
                              "bytes = %zu",
                              frame + 1, count, expected);
    }
    for (size_t s = 0; s < count; s++) {
        size_t off = get32(src + 4 + 4 * s);
        size_t previous = s == 0 ? 63 : offsets[s - 1];
        if (off <= previous || off >= len) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "RLE frame %zu: segment %zu offset %zu, "
                                  "expected after %zu and before the frame "
                                  "end %zu",
                                  frame + 1, s + 1, off, previous, len);
        }
        offsets[s] = off;
    }
    offsets[count] = len;
    return true;
}

static bool decode_rle_frame(RertError *err,
                             const uint8_t *src,
                             size_t len,
                             const Layout *l,
                             size_t frame,
                             uint8_t *dst)
{
    size_t offsets[MAX_RLE_SEGMENTS + 1];
    if (!read_rle_header(err, src, len, l, frame, offsets)) {
        return false;
    }
    size_t count = l->samples * l->bytes;
    for (size_t s = 0; s < count; s++) {
        /* Segments run sample by sample, most significant byte first;
         * the output is little endian. */
        size_t sample = s / l->bytes;
        size_t byte = l->bytes - 1 - s % l->bytes;
        size_t start = l->is_planar ? sample * l->pixels * l->bytes + byte
                                    : sample * l->bytes + byte;
        size_t stride = l->is_planar ? l->bytes : l->samples * l->bytes;
        if (!decode_segment(err, src + offsets[s], offsets[s + 1] - offsets[s],
                            dst + start, stride, l->pixels, frame, s)) {
            return false;
        }
    }
    return true;
}

/* A fragment of encapsulated pixel data: bytes and where its item starts
 * (relative to the first fragment, as the Basic Offset Table counts). */
typedef struct Fragment {
    const uint8_t *data;
    size_t length;
    size_t offset;
} Fragment;

/* Split the stored value into the Basic Offset Table and fragments. */
static bool split_fragments(RertError *err,
                            const RertElement *el,
                            Fragment **out,
                            size_t *count,
                            Fragment *table)
{
    size_t n = 0;
    *out = NULL;
    *count = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0;
        n = 0;
        while (pos < el->length) {
            if (el->length - pos < 8 || get32(el->value + pos) != 0xE000FFFEu ||
                get32(el->value + pos + 4) > el->length - pos - 8) {
                rert_free(*out);
                *out = NULL;
                return rert_error_set(err, RERT_ERR_PARSE,
                                      "(7FE0,0010) PixelData: malformed "
                                      "fragment item at value offset %zu",
                                      pos);
            }
            size_t length = get32(el->value + pos + 4);
            Fragment f = {el->value + pos + 8, length, pos};
            if (n == 0) {
                *table = f;
            } else if (pass == 1) {
                (*out)[n - 1] = f;
            }
            n++;
            pos += 8 + length;
        }
        if (n < 2) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "(7FE0,0010) PixelData: %zu items, expected "
                                  "an offset table and at least one fragment",
                                  n);
        }
        if (pass == 0 &&
            (*out = rert_calloc(err, n - 1, sizeof **out)) == NULL) {
            return false;
        }
    }
    for (size_t k = 0; k + 1 < n; k++) {
        (*out)[k].offset -= (*out)[0].offset;
    }
    *count = n - 1;
    return true;
}

/* First fragment of each frame (first[frames] = count): one fragment per
 * frame, all fragments in one frame, or grouped by the Basic Offset Table
 * (PS3.5 A.4). */
static bool assign_frames(RertError *err,
                          const Fragment *table,
                          const Fragment *frags,
                          size_t count,
                          size_t frames,
                          size_t *first)
{
    first[frames] = count;
    if (count == frames || frames == 1) {
        for (size_t f = 0; f < frames; f++) {
            first[f] = frames == 1 ? 0 : f;
        }
        return true;
    }
    if (table->length / 4 != frames || table->length % 4 != 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(7FE0,0010) PixelData: %zu fragments for %zu "
                              "frames, and the offset table has %zu entries, "
                              "expected %zu",
                              count, frames, table->length / 4, frames);
    }
    size_t k = 0;
    for (size_t f = 0; f < frames; f++) {
        size_t offset = get32(table->data + 4 * f);
        while (k < count && frags[k].offset < offset) {
            k++;
        }
        if (k == count || frags[k].offset != offset ||
            (f > 0 && k <= first[f - 1])) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "(7FE0,0010) PixelData: offset table entry "
                                  "%zu is %zu, expected the start of a "
                                  "fragment after the previous frame",
                                  f + 1, offset);
        }
        first[f] = k;
    }
    return true;
}

/* Decode frame @p f from its fragments (joined when there are several). */
static bool decode_rle_fragments(RertError *err,
                                 const Fragment *frags,
                                 size_t begin,
                                 size_t end,
                                 const Layout *l,
                                 size_t f,
                                 uint8_t *dst)
{
    if (end - begin == 1) {
        return decode_rle_frame(err, frags[begin].data, frags[begin].length, l,
                                f, dst);
    }
    size_t total = 0;
    for (size_t k = begin; k < end; k++) {
        total += frags[k].length; /* bounded by the element length */
    }
    uint8_t *joined = rert_alloc(err, total);
    if (joined == NULL) {
        return false;
    }
    size_t at = 0;
    for (size_t k = begin; k < end; k++) {
        memcpy(joined + at, frags[k].data, frags[k].length);
        at += frags[k].length;
    }
    bool ok = decode_rle_frame(err, joined, total, l, f, dst);
    rert_free(joined);
    return ok;
}

static bool decode_rle(RertError *err,
                       const RertElement *el,
                       const Layout *l,
                       RertBytes *out)
{
    Fragment table = {NULL, 0, 0};
    Fragment *frags = NULL;
    size_t *first = NULL;
    size_t count = 0;
    bool ok = split_fragments(err, el, &frags, &count, &table);
    if (ok && l->frames > count && !(count >= 1 && l->frames == 1)) {
        ok = rert_error_set(err, RERT_ERR_PARSE,
                            "(7FE0,0010) PixelData: %zu fragments, expected "
                            "at least one per frame (%zu frames)",
                            count, l->frames);
    }
    ok = ok && (first = rert_calloc(err, l->frames + 1, sizeof *first)) != NULL;
    ok = ok && assign_frames(err, &table, frags, count, l->frames, first);
    ok = ok && (out->data = rert_calloc(err, l->total_bytes, 1)) != NULL;
    for (size_t f = 0; ok && f < l->frames; f++) {
        ok = decode_rle_fragments(err, frags, first[f], first[f + 1], l, f,
                                  out->data + f * l->frame_bytes);
    }
    if (ok) {
        out->size = l->total_bytes;
    } else {
        rert_bytes_clear(out);
    }
    rert_free(first);
    rert_free(frags);
    return ok;
}

/* The transfer syntax to decode with: the argument, else the file meta
 * group's, else implicit VR little endian. */
static const char *
syntax_uid(const RertDataset *ds, const char *given, char *buf, size_t size)
{
    if (given != NULL && given[0] != '\0') {
        return given;
    }
    return rert_dataset_get_string_or(ds, RERT_TAG(0x0002, 0x0010), buf, size,
                                      RERT_TS_IMPLICIT_LE);
}

/* The pixel data element of @p ds, checked against the transfer syntax,
 * and its layout. */
static bool locate_pixels(RertError *err,
                          const RertDataset *ds,
                          const char *transfer_syntax,
                          const RertLimits *limits,
                          const RertElement **el_out,
                          Layout *l)
{
    RertLimits defaults = rert_limits_default();
    limits = limits != NULL ? limits : &defaults;
    char buf[RERT_UID_SIZE];
    const char *uid = syntax_uid(ds, transfer_syntax, buf, sizeof buf);
    const RertTransferSyntax *ts = rert_transfer_syntax_find(uid);
    if (ts == NULL) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "pixel data: transfer syntax %s is unknown", uid);
    }
    if (ts->is_encapsulated && strcmp(ts->uid, RERT_TS_RLE) != 0) {
        return rert_error_set(err, RERT_ERR_UNSUPPORTED,
                              "pixel data: transfer syntax %s (%s) is not "
                              "supported: expected native or RLE Lossless",
                              ts->uid, ts->name);
    }
    const RertElement *el = rert_dataset_find(ds, TAG_PIXEL_DATA);
    if (el == NULL || el->length == 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(7FE0,0010) PixelData: absent or empty");
    }
    if (el->is_encapsulated != ts->is_encapsulated) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(7FE0,0010) PixelData: %s, but the transfer "
                              "syntax %s (%s) expects %s pixel data",
                              el->is_encapsulated ? "encapsulated" : "native",
                              ts->uid, ts->name,
                              ts->is_encapsulated ? "encapsulated" : "native");
    }
    *el_out = el;
    return read_layout(err, ds, limits, l);
}

bool rert_dicom_decode_pixels(RertError *err,
                              const RertDataset *ds,
                              const char *transfer_syntax,
                              const RertLimits *limits,
                              RertBytes *out)
{
    out->data = NULL;
    out->size = 0;
    const RertElement *el = NULL;
    Layout l;
    if (!locate_pixels(err, ds, transfer_syntax, limits, &el, &l)) {
        return false;
    }
    return el->is_encapsulated ? decode_rle(err, el, &l, out)
                               : decode_native(err, el, &l, out);
}

/* ---- stored values -> float */

/* How a stored value becomes its integer v (PS3.5 8.1.1, PS3.3 C.7.6.3.1):
 * keep the low BitsStored bits, then sign-extend from bit BitsStored - 1
 * when PixelRepresentation is 1. Branch-free for vector loops:
 * v = (int32)((raw & mask) ^ flip) + offset, exact in double. */
typedef struct ValueMap {
    uint32_t mask;
    uint32_t flip;
    double offset;
} ValueMap;

static ValueMap value_map_make(size_t bits_stored, bool is_signed)
{
    ValueMap m = {0xFFFFFFFFu, 0, 0.0};
    if (bits_stored < 32) {
        uint32_t sign = (uint32_t)1 << (bits_stored - 1);
        m.mask = ((uint32_t)1 << bits_stored) - 1u;
        m.flip = is_signed ? sign : 0u;
        m.offset = is_signed ? -(double)sign : 0.0;
    } else if (!is_signed) {
        /* unsigned 32-bit: shift into int32 range and back */
        m.flip = 0x80000000u;
        m.offset = 2147483648.0;
    }
    return m;
}

/* The pixel -> float loops get an AVX2 copy next to the baseline one,
 * chosen once at load time (GNU ifunc); both run the same IEEE operations
 * (the avx2 target has no FMA), so results are identical everywhere. */
#if defined(__x86_64__) && defined(__linux__) &&                               \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 8)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* The three loops differ only in the load; each vectorises. */
VECTOR_CLONES static void convert_u8(const uint8_t *restrict src,
                                     size_t n,
                                     ValueMap m,
                                     double slope,
                                     double intercept,
                                     float *restrict out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t raw = src[i];
        double v = (double)(int32_t)((raw & m.mask) ^ m.flip) + m.offset;
        out[i] = (float)(v * slope + intercept);
    }
}

VECTOR_CLONES static void convert_u16(const uint8_t *restrict src,
                                      size_t n,
                                      ValueMap m,
                                      double slope,
                                      double intercept,
                                      float *restrict out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t raw16;
        memcpy(&raw16, src + 2 * i, sizeof raw16);
        uint32_t raw = raw16;
        double v = (double)(int32_t)((raw & m.mask) ^ m.flip) + m.offset;
        out[i] = (float)(v * slope + intercept);
    }
}

VECTOR_CLONES static void convert_u32(const uint8_t *restrict src,
                                      size_t n,
                                      ValueMap m,
                                      double slope,
                                      double intercept,
                                      float *restrict out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t raw;
        memcpy(&raw, src + 4 * i, sizeof raw);
        double v = (double)(int32_t)((raw & m.mask) ^ m.flip) + m.offset;
        out[i] = (float)(v * slope + intercept);
    }
}

/* BitsStored (default BitsAllocated) and PixelRepresentation (default 0). */
static bool read_value_map(RertError *err,
                           const RertDataset *ds,
                           const Layout *l,
                           ValueMap *m)
{
    size_t bits_allocated = l->bytes * 8;
    size_t stored = 0;
    size_t representation = 0;
    if (!get_count(err, ds, RERT_TAG(0x0028, 0x0101), 1, (long)bits_allocated,
                   (long)bits_allocated, &stored) ||
        !get_count(err, ds, RERT_TAG(0x0028, 0x0103), 0, 1, 0,
                   &representation)) {
        return false;
    }
    *m = value_map_make(stored, representation == 1);
    return true;
}

/* 16-bit values with slope 1 and an integer intercept (the usual CT
 * rescale): v + intercept is an integer below 2^24 in magnitude, so int32
 * arithmetic and one conversion to float give exactly the double result. */
VECTOR_CLONES static void convert_u16_shift(const uint8_t *restrict src,
                                            size_t n,
                                            ValueMap m,
                                            int32_t shift,
                                            float *restrict out)
{
    int32_t offset = (int32_t)m.offset + shift;
    for (size_t i = 0; i < n; i++) {
        uint16_t raw16;
        memcpy(&raw16, src + 2 * i, sizeof raw16);
        uint32_t raw = raw16;
        out[i] = (float)((int32_t)((raw & m.mask) ^ m.flip) + offset);
    }
}

/* True when slope 1 and an integer intercept of at most 2^23 make every
 * 16-bit result an exact float (|v + intercept| < 2^24). */
static bool is_integer_shift(double slope, double intercept)
{
    return slope == 1.0 && fabs(intercept) <= 8388608.0 &&
           intercept == (double)(int32_t)intercept;
}

static void convert_values(const uint8_t *src,
                           const Layout *l,
                           ValueMap m,
                           double slope,
                           double intercept,
                           float *out,
                           size_t count)
{
    if (l->bytes == 2 && is_integer_shift(slope, intercept)) {
        convert_u16_shift(src, count, m, (int32_t)intercept, out);
    } else if (l->bytes == 1) {
        convert_u8(src, count, m, slope, intercept, out);
    } else if (l->bytes == 2) {
        convert_u16(src, count, m, slope, intercept, out);
    } else {
        convert_u32(src, count, m, slope, intercept, out);
    }
}

bool rert_dicom_decode_pixels_float(RertError *err,
                                    const RertDataset *ds,
                                    const char *transfer_syntax,
                                    const RertLimits *limits,
                                    double slope,
                                    double intercept,
                                    float *out,
                                    size_t count)
{
    const RertElement *el = NULL;
    Layout l;
    ValueMap m;
    if (out == NULL && count > 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "pixel data to float: output is NULL, expected "
                              "%zu floats",
                              count);
    }
    if (!locate_pixels(err, ds, transfer_syntax, limits, &el, &l) ||
        !read_value_map(err, ds, &l, &m)) {
        return false;
    }
    size_t values = l.total_bytes / l.bytes;
    if (count > values) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "(7FE0,0010) PixelData: rows x columns x "
                              "frames x samples = %zu x %zu x %zu x %zu = %zu "
                              "values, expected at least %zu",
                              l.rows, l.columns, l.frames, l.samples, values,
                              count);
    }
    if (!el->is_encapsulated) {
        /* converted straight from the stored value: no copy */
        if (!check_native_length(err, el, &l)) {
            return false;
        }
        convert_values(el->value, &l, m, slope, intercept, out, count);
        return true;
    }
    RertBytes bytes = {NULL, 0};
    if (!decode_rle(err, el, &l, &bytes)) {
        return false;
    }
    convert_values(bytes.data, &l, m, slope, intercept, out, count);
    rert_bytes_clear(&bytes);
    return true;
}
