/* Test-only DICOM encoder: builds Part 10 files byte by byte in any
 * syntax (implicit/explicit VR, little/big endian, deflate, RLE) so the
 * parser can be tested on input it did not write. Shared by DICOM tests. */
#ifndef RERT_DICOM_ENCODER_H
#define RERT_DICOM_ENCODER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <rert/dicom.h>

#include "rert_test.h"

#define ENC_MAX 65536
#define MAX_MARKS 256
#define TS_JPEG_BASELINE "1.2.840.10008.1.2.4.50"
#define RT_DOSE_CLASS "1.2.840.10008.5.1.4.1.1.481.2"
#define TAG_PIXEL RERT_TAG(0x7FE0, 0x0010)

/* ---- a small encoder for test files in any syntax */

typedef struct Enc {
    uint8_t buf[ENC_MAX];
    size_t n;
    bool big;
    bool is_explicit;
    size_t marks[MAX_MARKS]; /* top-level element boundaries */
    size_t mark_count;
} Enc;

static inline Enc *enc_new(bool is_explicit, bool big)
{
    Enc *e = calloc(1, sizeof *e);
    assert_non_null(e);
    e->is_explicit = is_explicit;
    e->big = big;
    return e;
}

static inline void enc_bytes(Enc *e, const void *p, size_t n)
{
    assert_true(e->n + n <= ENC_MAX);
    memcpy(e->buf + e->n, p, n);
    e->n += n;
}

static inline void enc16(Enc *e, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v & 0xFF), (uint8_t)(v >> 8)};
    if (e->big) {
        uint8_t t = b[0];
        b[0] = b[1];
        b[1] = t;
    }
    enc_bytes(e, b, 2);
}

static inline void enc32(Enc *e, uint32_t v)
{
    if (e->big) {
        enc16(e, (uint16_t)(v >> 16));
        enc16(e, (uint16_t)(v & 0xFFFF));
    } else {
        enc16(e, (uint16_t)(v & 0xFFFF));
        enc16(e, (uint16_t)(v >> 16));
    }
}

static inline void enc_mark(Enc *e)
{
    assert_true(e->mark_count < MAX_MARKS);
    e->marks[e->mark_count++] = e->n;
}

static inline bool long_vr(const char *vr)
{
    return strstr("OBODOFOLOVOWSQSVUCUNURUTUV", vr) != NULL &&
           (strstr("OBODOFOLOVOWSQSVUCUNURUTUV", vr) -
            "OBODOFOLOVOWSQSVUCUNURUTUV") %
                   2 ==
               0;
}

static inline void
enc_header(Enc *e, uint32_t tag, const char *vr, uint32_t len)
{
    enc16(e, RERT_TAG_GROUP(tag));
    enc16(e, RERT_TAG_ELEMENT(tag));
    if (!e->is_explicit || RERT_TAG_GROUP(tag) == 0xFFFE) {
        enc32(e, len);
        return;
    }
    enc_bytes(e, vr, 2);
    if (long_vr(vr)) {
        enc16(e, 0);
        enc32(e, len);
    } else {
        enc16(e, (uint16_t)len);
    }
}

/* @p value is little endian; @p unit is the byte-swap size for big endian */
static inline void enc_value(Enc *e,
                             uint32_t tag,
                             const char *vr,
                             const void *value,
                             size_t len,
                             size_t unit)
{
    enc_header(e, tag, vr, (uint32_t)len);
    const uint8_t *v = value;
    for (size_t i = 0; i < len; i++) {
        size_t at = i;
        if (e->big && unit > 1) {
            at = i / unit * unit + (unit - 1 - i % unit);
        }
        enc_bytes(e, &v[at], 1);
    }
}

static inline void enc_text(Enc *e, uint32_t tag, const char *vr, const char *s)
{
    size_t n = strlen(s);
    enc_header(e, tag, vr, (uint32_t)(n + n % 2));
    enc_bytes(e, s, n);
    if (n % 2 != 0) {
        enc_bytes(e, strcmp(vr, "UI") == 0 ? "\0" : " ", 1);
    }
}

static inline void enc_us(Enc *e, uint32_t tag, uint16_t v)
{
    enc_header(e, tag, "US", 2);
    enc16(e, v);
}

static inline void enc_item(Enc *e, uint16_t element, uint32_t len)
{
    enc16(e, 0xFFFE);
    enc16(e, element);
    enc32(e, len);
}

static inline void enc_preamble_meta(Enc *e, const char *ts)
{
    memset(e->buf, 0, 128);
    e->n = 128;
    enc_bytes(e, "DICM", 4);
    enc_mark(e);
    bool was_big = e->big;
    bool was_explicit = e->is_explicit;
    e->big = false;
    e->is_explicit = true;
    enc_text(e, RERT_TAG(0x0002, 0x0002), "UI", RT_DOSE_CLASS);
    enc_mark(e);
    enc_text(e, RERT_TAG(0x0002, 0x0003), "UI", "1.2.3.4");
    enc_mark(e);
    enc_text(e, RERT_TAG(0x0002, 0x0010), "UI", ts);
    e->big = was_big;
    e->is_explicit = was_explicit;
    enc_mark(e);
}

/* Pixel values of the synthetic 2-frame 2x3 image. */
static inline uint32_t pixel_value(size_t i)
{
    return (uint32_t)(i * 1000u + 7u) ^ (i % 2 != 0 ? 0x00010000u : 0u);
}

/* The synthetic data set: patient, image pixel module, DS/IS/AT/FD, a
 * sequence with undefined and defined lengths, nested, and pixel data of
 * @p bits (16 or 32). */
static inline void enc_dataset(Enc *e, unsigned bits)
{
    enc_text(e, RERT_TAG(0x0008, 0x0016), "UI", RT_DOSE_CLASS);
    enc_mark(e);
    enc_text(e, RERT_TAG(0x0008, 0x0018), "UI", "1.2.3.4");
    enc_mark(e);
    double range[2] = {1.25, -2.5e10};
    enc_value(e, RERT_TAG(0x0008, 0x1163), "FD", range, 16, 8);
    enc_mark(e);
    enc_text(e, RERT_TAG(0x0010, 0x0010), "PN", "Doe^Jane");
    enc_mark(e);
    uint8_t at[4] = {0x04, 0x30, 0x0C, 0x00}; /* (3004,000C) */
    enc_value(e, RERT_TAG(0x0020, 0x5000), "AT", at, 4, 2);
    enc_mark(e);
    enc_us(e, RERT_TAG(0x0028, 0x0002), 1);
    enc_mark(e);
    enc_text(e, RERT_TAG(0x0028, 0x0008), "IS", "2");
    enc_mark(e);
    enc_us(e, RERT_TAG(0x0028, 0x0010), 2);
    enc_mark(e);
    enc_us(e, RERT_TAG(0x0028, 0x0011), 3);
    enc_mark(e);
    enc_us(e, RERT_TAG(0x0028, 0x0100), (uint16_t)bits);
    enc_mark(e);
    enc_text(e, RERT_TAG(0x3004, 0x000C), "DS", "0\\2.5");
    enc_mark(e);
    enc_text(e, RERT_TAG(0x3004, 0x000E), "DS", "1.5e-3");
    enc_mark(e);
    /* (300A,00B0) undefined length, item 1 undefined, item 2 defined */
    enc_header(e, RERT_TAG(0x300A, 0x00B0), "SQ", 0xFFFFFFFFu);
    enc_item(e, 0xE000, 0xFFFFFFFFu);
    enc_text(e, RERT_TAG(0x300A, 0x00B2), "SH", "Beam 1");
    enc_header(e, RERT_TAG(0x300A, 0x0111), "SQ", 18);
    enc_item(e, 0xE000, 10);
    enc_text(e, RERT_TAG(0x300A, 0x0112), "IS", "0");
    enc_item(e, 0xE00D, 0);
    enc_item(e, 0xE000, 10);
    enc_text(e, RERT_TAG(0x300A, 0x00B2), "SH", "B2");
    enc_item(e, 0xE0DD, 0);
    enc_mark(e);
    size_t count = 12;
    size_t bytes = bits / 8;
    uint8_t pixels[48];
    for (size_t i = 0; i < count; i++) {
        uint32_t v = pixel_value(i) & (bits == 16 ? 0xFFFFu : 0xFFFFFFFFu);
        for (size_t b = 0; b < bytes; b++) {
            pixels[i * bytes + b] = (uint8_t)(v >> (8 * b));
        }
    }
    enc_value(e, TAG_PIXEL, "OW", pixels, count * bytes, bytes);
    enc_mark(e);
}

/* Deflate @p n bytes raw (no zlib header) into @p out; returns the size. */
static inline size_t
raw_deflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(
        deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t size = cap - zs.avail_out;
    deflateEnd(&zs);
    return size;
}

/* PackBits: literal runs of up to 128 bytes, replicate runs for repeats. */
static inline size_t packbits(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        size_t run = 1;
        while (i + run < n && run < 128 && in[i + run] == in[i]) {
            run++;
        }
        if (run >= 3) {
            out[o++] = (uint8_t)(257 - run);
            out[o++] = in[i];
            i += run;
            continue;
        }
        size_t lit = 1;
        while (i + lit < n && lit < 128) {
            lit++;
        }
        out[o++] = (uint8_t)(lit - 1);
        memcpy(out + o, in + i, lit);
        o += lit;
        i += lit;
    }
    return o;
}

/* One RLE frame (PS3.5 G) of @p count values of @p bytes each, @p samples
 * interleaved samples per pixel, into @p out; returns its size (even). */
static inline size_t rle_frame(const uint8_t *values,
                               size_t pixels,
                               size_t samples,
                               size_t bytes,
                               uint8_t *out)
{
    size_t segments = samples * bytes;
    memset(out, 0, 64);
    out[0] = (uint8_t)segments;
    size_t o = 64;
    for (size_t s = 0; s < segments; s++) {
        size_t sample = s / bytes;
        size_t byte = bytes - 1 - s % bytes;
        uint8_t plane[256];
        assert_true(pixels <= sizeof plane);
        for (size_t p = 0; p < pixels; p++) {
            plane[p] = values[(p * samples + sample) * bytes + byte];
        }
        out[4 + 4 * s] = (uint8_t)(o & 0xFF);
        out[5 + 4 * s] = (uint8_t)(o >> 8);
        o += packbits(plane, pixels, out + o);
        if (o % 2 != 0) {
            out[o++] = 0x80; /* no-op pad */
        }
    }
    return o;
}

/* An RLE file: @p frames frames of @p rows x @p cols, values given. */
static inline Enc *rle_file(const uint8_t *values,
                            size_t frames,
                            size_t rows,
                            size_t cols,
                            size_t samples,
                            size_t bytes)
{
    Enc *e = enc_new(true, false);
    enc_preamble_meta(e, RERT_TS_RLE);
    enc_text(e, RERT_TAG(0x0008, 0x0016), "UI", RT_DOSE_CLASS);
    enc_text(e, RERT_TAG(0x0008, 0x0018), "UI", "1.2.3.4");
    enc_us(e, RERT_TAG(0x0028, 0x0002), (uint16_t)samples);
    char text[16];
    (void)snprintf(text, sizeof text, "%zu", frames);
    enc_text(e, RERT_TAG(0x0028, 0x0008), "IS", text);
    enc_us(e, RERT_TAG(0x0028, 0x0010), (uint16_t)rows);
    enc_us(e, RERT_TAG(0x0028, 0x0011), (uint16_t)cols);
    enc_us(e, RERT_TAG(0x0028, 0x0100), (uint16_t)(bytes * 8));
    enc_header(e, TAG_PIXEL, "OB", 0xFFFFFFFFu);
    enc_item(e, 0xE000, 0);
    size_t frame_bytes = rows * cols * samples * bytes;
    for (size_t f = 0; f < frames; f++) {
        uint8_t frame[2048];
        size_t n = rle_frame(values + f * frame_bytes, rows * cols, samples,
                             bytes, frame);
        enc_item(e, 0xE000, (uint32_t)n);
        enc_mark(e); /* start of the frame's RLE header */
        enc_bytes(e, frame, n);
    }
    enc_item(e, 0xE0DD, 0);
    return e;
}

#endif
