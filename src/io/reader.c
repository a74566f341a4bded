/* Bounded reader over memory: every read is exactly N bytes or an error
 * naming the source and the byte offset. */
#include <string.h>

#include <rert/io.h>

void rert_reader_init(RertReader *r,
                      const void *data,
                      size_t size,
                      const char *name)
{
    r->data = data;
    r->size = size;
    r->pos = 0;
    r->name = name != NULL ? name : "memory";
}

size_t rert_reader_remaining(const RertReader *r)
{
    return r->size - r->pos;
}

static bool need(RertError *err, const RertReader *r, size_t n)
{
    if (n > r->size - r->pos) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: unexpected end of data at byte offset %zu: "
                              "needed %zu bytes, %zu left",
                              r->name, r->pos, n, r->size - r->pos);
    }
    return true;
}

bool rert_reader_read(RertError *err, RertReader *r, void *out, size_t n)
{
    if (!need(err, r, n)) {
        return false;
    }
    if (n > 0) {
        memcpy(out, r->data + r->pos, n);
    }
    r->pos += n;
    return true;
}

bool rert_reader_borrow(RertError *err,
                        RertReader *r,
                        size_t n,
                        const uint8_t **out)
{
    if (!need(err, r, n)) {
        return false;
    }
    *out = r->data + r->pos;
    r->pos += n;
    return true;
}

bool rert_reader_skip(RertError *err, RertReader *r, size_t n)
{
    if (!need(err, r, n)) {
        return false;
    }
    r->pos += n;
    return true;
}

bool rert_reader_u16(RertError *err,
                     RertReader *r,
                     bool big_endian,
                     uint16_t *out)
{
    uint8_t b[2];
    if (!rert_reader_read(err, r, b, 2)) {
        return false;
    }
    *out = big_endian ? (uint16_t)((b[0] << 8) | b[1])
                      : (uint16_t)((b[1] << 8) | b[0]);
    return true;
}

bool rert_reader_u32(RertError *err,
                     RertReader *r,
                     bool big_endian,
                     uint32_t *out)
{
    uint8_t b[4];
    if (!rert_reader_read(err, r, b, 4)) {
        return false;
    }
    if (big_endian) {
        *out = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
               ((uint32_t)b[2] << 8) | b[3];
    } else {
        *out = ((uint32_t)b[3] << 24) | ((uint32_t)b[2] << 16) |
               ((uint32_t)b[1] << 8) | b[0];
    }
    return true;
}
