/* PNG encoding through libpng's simplified write API (libpng 1.6.29+:
 * png_image_write_to_memory, no setjmp in our code), then an atomic file
 * write. */
#include <limits.h>
/* Dead code for compilers: limits.h defines all of these. cppcheck reads
 * libpng's headers without the system ones, and pngconf.h stops with
 * #error unless these limits describe 8-bit bytes and 16/32-bit integers
 * (the values of every platform we build on, LP64 and ILP32). */
#ifndef CHAR_BIT
#define CHAR_BIT 8
#define UCHAR_MAX 255
#define INT_MIN (-2147483647 - 1)
#define INT_MAX 2147483647
#define UINT_MAX 4294967295U
#define SHRT_MIN (-32768)
#define SHRT_MAX 32767
#define USHRT_MAX 65535
#endif
#include <png.h>
#include <string.h>

#include <rert/io.h>

#include "internal.h"

bool rert_png_encode(RertError *err, const RertRgbImage *image, RertBytes *out)
{
    if (image == NULL || out == NULL || image->rgb == NULL ||
        image->width == 0 || image->height == 0 ||
        image->width > RERT_IMAGE_MAX_SIDE ||
        image->height > RERT_IMAGE_MAX_SIDE) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "PNG: expected an image of 1..%d pixels per "
                              "side with pixel data",
                              RERT_IMAGE_MAX_SIDE);
    }
    out->data = NULL;
    out->size = 0;
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)image->width;
    pi.height = (png_uint_32)image->height;
    pi.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&pi, NULL, &size, 0, image->rgb, 0, NULL)) {
        (void)rert_error_set(err, RERT_ERR_INTERNAL,
                             "PNG: libpng could not size the image: %s",
                             pi.message);
        png_image_free(&pi);
        return false;
    }
    uint8_t *data = rert_alloc(err, size);
    if (data == NULL) {
        png_image_free(&pi);
        return false;
    }
    if (!png_image_write_to_memory(&pi, data, &size, 0, image->rgb, 0, NULL)) {
        (void)rert_error_set(err, RERT_ERR_INTERNAL,
                             "PNG: libpng could not encode the image: %s",
                             pi.message);
        png_image_free(&pi);
        rert_free(data);
        return false;
    }
    png_image_free(&pi);
    out->data = data;
    out->size = size;
    return true;
}

bool rert_png_save(RertError *err, const char *path, const RertRgbImage *image)
{
    RertBytes bytes = {NULL, 0};
    if (path == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG, "PNG: NULL path");
    }
    if (!rert_png_encode(err, image, &bytes)) {
        rert_error_prefix(err, "writing %s", path);
        return false;
    }
    bool ok = rert_file_save_atomic(err, path, bytes.data, bytes.size);
    rert_bytes_clear(&bytes);
    return ok;
}
